//! Key identifiers: `https://{vault}/keys/{name}[/{version}]`.

use url::Url;

/// A parsed key identifier.
///
/// ```
/// use keyvault_crypto::KeyVaultKeyIdentifier;
/// let id = KeyVaultKeyIdentifier::parse("https://myvault.vault.azure.net:443/keys/my-key/0123456789abcdef0123456789abcdef")?;
/// assert_eq!(id.vault_url, "https://myvault.vault.azure.net");
/// assert_eq!(id.name, "my-key");
/// assert_eq!(id.version.as_deref(), Some("0123456789abcdef0123456789abcdef"));
/// assert!(KeyVaultKeyIdentifier::parse("https://myvault.vault.azure.net/secrets/s/1").is_err());
/// # Ok::<(), keyvault_crypto::CryptoError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct KeyVaultKeyIdentifier {
    /// The identifier as given.
    pub source_id: String,
    /// The vault's URL (scheme, host and a non-default port; no trailing slash).
    pub vault_url: String,
    /// The key's name.
    pub name: String,
    /// The version, when the identifier names one.
    pub version: Option<String>,
}

impl KeyVaultKeyIdentifier {
    /// Parses a key (or deleted key) identifier.
    pub fn parse(id: &str) -> Result<Self, crate::CryptoError> {
        let bad = |why: &str| {
            crate::CryptoError::InvalidInput(format!(
                "{id:?} is not a Key Vault key identifier: {why}; expected https://<vault>/keys/<name>[/<version>]"
            ))
        };
        let url = Url::parse(id).map_err(|_| bad("not an absolute URL"))?;
        if url.host_str().is_none() {
            return Err(bad("no host"));
        }
        let segments: Vec<&str> = url
            .path_segments()
            .map(|s| s.filter(|p| !p.is_empty()).collect())
            .unwrap_or_default();
        let (collection, name, version) = match segments.as_slice() {
            [c, n] => (*c, *n, None),
            [c, n, v] => (*c, *n, Some((*v).to_owned())),
            _ => {
                return Err(bad(
                    "the path must be /keys/<name> or /keys/<name>/<version>",
                ));
            }
        };
        if collection != "keys" && collection != "deletedkeys" {
            return Err(bad(&format!("the collection is {collection:?}, not keys")));
        }
        let vault_url = url.origin().ascii_serialization();
        Ok(Self {
            source_id: id.to_owned(),
            vault_url,
            name: name.to_owned(),
            version,
        })
    }
}
