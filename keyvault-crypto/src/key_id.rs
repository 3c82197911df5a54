//! Key identifiers: `https://{vault}/keys/{name}[/{version}]`.

use url::Url;

/// A parsed key identifier.
///
/// ```
/// use keyvault_crypto::KeyVaultKeyIdentifier;
/// let id = KeyVaultKeyIdentifier::parse("https://myvault.vault.azure.net:443/keys/my-key/0123456789abcdef0123456789abcdef")?;
/// assert_eq!(id.vault_url, "https://myvault.vault.azure.net:443");
/// assert_eq!(id.name, "my-key");
/// assert_eq!(id.version.as_deref(), Some("0123456789abcdef0123456789abcdef"));
/// assert!(KeyVaultKeyIdentifier::parse("https://myvault.vault.azure.net/secrets/s/1").is_err());
/// # Ok::<(), keyvault_crypto::CryptoError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct KeyVaultKeyIdentifier {
    /// The identifier as given.
    pub source_id: String,
    /// The vault's URL: scheme, host and the port when the identifier
    /// names one (even the default `:443`, as Python keeps it); no trailing
    /// slash.
    pub vault_url: String,
    /// The key's name.
    pub name: String,
    /// The version, when the identifier names one.
    pub version: Option<String>,
}

impl KeyVaultKeyIdentifier {
    /// Parses a key (or deleted key) identifier. Any input gives a result or
    /// an error, never a panic.
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
        let Some(host) = url.host_str() else {
            return Err(bad("no host"));
        };
        // The url crate forgets a default port written in the identifier
        // (`:443`); Python's parse_key_vault_id keeps it, and so do we.
        let port = url.port().or_else(|| {
            if has_explicit_port(id) {
                url.port_or_known_default()
            } else {
                None
            }
        });
        let vault_url = match port {
            Some(p) => format!("{}://{host}:{p}", url.scheme()),
            None => format!("{}://{host}", url.scheme()),
        };
        Ok(Self {
            source_id: id.to_owned(),
            vault_url,
            name: name.to_owned(),
            version,
        })
    }
}

/// Whether the authority of `id` (`scheme://[userinfo@]host[:port]/...`)
/// writes a port. Only ASCII delimiters are searched, so slicing cannot split
/// a character.
fn has_explicit_port(id: &str) -> bool {
    let Some((_, rest)) = id.split_once("://") else {
        return false;
    };
    let end = rest.find(['/', '?', '#', '\\']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let port = if host_port.starts_with('[') {
        host_port.split_once("]:").map(|(_, p)| p)
    } else {
        host_port.rsplit_once(':').map(|(_, p)| p)
    };
    port.is_some_and(|p| !p.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_explicit_port_is_kept_in_the_vault_url_as_python_does() {
        let id = KeyVaultKeyIdentifier::parse("https://myvault.vault.azure.net:443/keys/k/v")
            .expect("parse");
        assert_eq!(id.vault_url, "https://myvault.vault.azure.net:443");
        let id =
            KeyVaultKeyIdentifier::parse("https://MyVault.vault.azure.net/keys/k").expect("parse");
        assert_eq!(id.vault_url, "https://myvault.vault.azure.net");
        let id = KeyVaultKeyIdentifier::parse("https://127.0.0.1:8443/keys/k/v").expect("parse");
        assert_eq!(id.vault_url, "https://127.0.0.1:8443");
        let id = KeyVaultKeyIdentifier::parse("https://user@[::1]:443/keys/k/v").expect("parse");
        assert_eq!(id.vault_url, "https://[::1]:443");
        let id = KeyVaultKeyIdentifier::parse("https://[::1]/keys/k/v").expect("parse");
        assert_eq!(id.vault_url, "https://[::1]");
    }

    #[test]
    fn hostile_identifiers_are_errors_not_panics() {
        for s in [
            "",
            ":",
            "https://",
            "https://:443/keys/k",
            "https://h:99999/keys/k",
            "https://h:/keys/k",
            "https://h:443:443/keys/k",
            "https://[::1/keys/k",
            "https://h\u{e9}:44\u{e9}/keys/k",
            "https://\u{1F600}.example:443/keys/\u{1F600}/\u{1F600}",
            "https://h/keys/k/v/extra",
            "file:///keys/k",
            "data:text/plain,keys/k",
            "https://h@@:443/keys/k",
            "https://h#:443/keys/k",
            "https://h?x=:1/keys/k",
        ] {
            let _ = KeyVaultKeyIdentifier::parse(s);
            crate::fuzzing::key_id(s);
        }
    }
}
