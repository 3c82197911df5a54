//! Key identifiers: `https://{vault}/keys/{name}[/{version}]`.

use url::Url;

/// A parsed key identifier.
///
/// ```
/// use keyvault_keys_types::KeyVaultKeyIdentifier;
/// let id = KeyVaultKeyIdentifier::parse("https://myvault.vault.azure.net:443/keys/my-key/0123456789abcdef0123456789abcdef")?;
/// assert_eq!(id.vault_url, "https://myvault.vault.azure.net:443");
/// assert_eq!(id.name, "my-key");
/// assert_eq!(id.version.as_deref(), Some("0123456789abcdef0123456789abcdef"));
/// assert!(KeyVaultKeyIdentifier::parse("https://myvault.vault.azure.net/secrets/s/1").is_err());
/// let built = KeyVaultKeyIdentifier::new("https://myvault.vault.azure.net", "my-key", Some("0a"));
/// assert_eq!(built.to_string(), "https://myvault.vault.azure.net/keys/my-key/0a");
/// # Ok::<(), keyvault_keys_types::InvalidKeyId>(())
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

/// Why a string is not a key identifier: the message says what was
/// expected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidKeyId(String);

/// Writes a key identifier, `{vault_url}/keys/{name}[/{version}]`: the one
/// place that form is written (the service's answers, the emulator's and
/// [`KeyVaultKeyIdentifier`]'s `Display`).
pub fn write_key_id(
    out: &mut impl std::fmt::Write,
    vault_url: &str,
    name: &str,
    version: Option<&str>,
) -> std::fmt::Result {
    out.write_str(vault_url.trim_end_matches('/'))?;
    out.write_str("/keys/")?;
    out.write_str(name)?;
    if let Some(v) = version {
        out.write_str("/")?;
        out.write_str(v)?;
    }
    Ok(())
}

/// A key identifier as a string: [`write_key_id`] into a new `String`.
pub fn key_id(vault_url: &str, name: &str, version: Option<&str>) -> String {
    let mut s = String::with_capacity(
        vault_url.len() + "/keys/".len() + name.len() + version.map_or(0, |v| v.len() + 1),
    );
    // Writing into a String cannot fail.
    let _ = write_key_id(&mut s, vault_url, name, version);
    s
}

impl std::fmt::Display for KeyVaultKeyIdentifier {
    /// `{vault_url}/keys/{name}[/{version}]` (a deleted key's identifier is
    /// written in its `/keys/` form).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write_key_id(f, &self.vault_url, &self.name, self.version.as_deref())
    }
}

impl KeyVaultKeyIdentifier {
    /// Builds the identifier of `name` (and `version`) in the vault at
    /// `vault_url` (a trailing slash is dropped); `source_id` is its written
    /// form.
    pub fn new(vault_url: &str, name: &str, version: Option<&str>) -> Self {
        let vault_url = vault_url.trim_end_matches('/');
        Self {
            source_id: key_id(vault_url, name, version),
            vault_url: vault_url.to_owned(),
            name: name.to_owned(),
            version: version.map(str::to_owned),
        }
    }

    /// Parses a key (or deleted key) identifier. Any input gives a result or
    /// an error, never a panic.
    pub fn parse(id: &str) -> Result<Self, InvalidKeyId> {
        if let Some(parsed) = Self::parse_plain(id) {
            return Ok(parsed);
        }
        Self::parse_url(id)
    }

    /// The identifiers the service writes (`https://`, a lower-case DNS
    /// name or a dotted IPv4 address, an optional port, `/keys/` or
    /// `/deletedkeys/`, a name and version of letters, digits and hyphens),
    /// read without the URL parser: every `get_key` reads one, and a full
    /// URL parse was about 7,600 instructions of a call's 131,000 (issue
    /// 19). Anything else — upper case, percent signs, `xn--` labels,
    /// other IPv4 spellings, empty segments, a query — gives `None` and
    /// goes to the URL parser, so both give the same answer on every
    /// input (the `key_id` fuzz target checks that they agree).
    pub(crate) fn parse_plain(id: &str) -> Option<Self> {
        // Byte scans: every delimiter is ASCII, so each index is a char
        // boundary.
        let find = |s: &str, c: u8| s.bytes().position(|b| b == c);
        let rest = id.strip_prefix("https://")?;
        let authority_len = find(rest, b'/')?;
        let (authority, path) = rest.split_at(authority_len);
        let (host, port) = match find(authority, b':') {
            Some(i) => (&authority[..i], Some(&authority[i + 1..])),
            None => (authority, None),
        };
        if !(plain_domain(host) || canonical_ipv4(host)) {
            return None;
        }
        if let Some(p) = port {
            let digits_ok = !p.is_empty()
                && p.len() <= 5
                && p.bytes().all(|b| b.is_ascii_digit())
                && !p.starts_with('0');
            if !digits_ok || p.parse::<u32>().ok()? > 65535 {
                return None;
            }
        }
        let path = path
            .strip_prefix("/keys/")
            .or_else(|| path.strip_prefix("/deletedkeys/"))?;
        let (name, version) = match find(path, b'/') {
            Some(i) => (&path[..i], Some(&path[i + 1..])),
            None => (path, None),
        };
        let segment =
            |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !segment(name) || !version.is_none_or(segment) {
            return None;
        }
        Some(Self {
            source_id: id.to_owned(),
            vault_url: id[.."https://".len() + authority_len].to_owned(),
            name: name.to_owned(),
            version: version.map(str::to_owned),
        })
    }

    /// Any other identifier, through the URL parser.
    pub(crate) fn parse_url(id: &str) -> Result<Self, InvalidKeyId> {
        let bad = |why: &str| {
            InvalidKeyId(format!(
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

/// A DNS name the URL parser keeps as written: lower-case ASCII labels of
/// letters, digits and hyphens, none empty, none an IDNA (`xn--`) label,
/// the last starting with a letter (so it is no IPv4 number).
fn plain_domain(host: &str) -> bool {
    let b = host.as_bytes();
    let mut label_start = 0;
    for (i, &c) in b.iter().enumerate() {
        if c == b'.' {
            if i == label_start {
                return false;
            }
            label_start = i + 1;
        } else if !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
            || (i == label_start && b[i..].starts_with(b"xn--"))
        {
            return false;
        }
    }
    // The last label is not empty and starts with a letter.
    b.get(label_start).is_some_and(u8::is_ascii_lowercase)
}

/// A dotted-decimal IPv4 address as the URL parser writes it: four parts,
/// each 0 to 255 without leading zeros.
fn canonical_ipv4(host: &str) -> bool {
    let (mut parts, mut value, mut digits, mut leading_zero) = (0u8, 0u16, 0u8, false);
    for c in host.bytes().chain(std::iter::once(b'.')) {
        if c == b'.' {
            if digits == 0 || value > 255 || (leading_zero && digits > 1) || parts == 4 {
                return false;
            }
            (parts, value, digits, leading_zero) = (parts + 1, 0, 0, false);
        } else if c.is_ascii_digit() && digits < 3 {
            leading_zero |= digits == 0 && c == b'0';
            value = value * 10 + u16::from(c - b'0');
            digits += 1;
        } else {
            return false;
        }
    }
    parts == 4
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
    fn the_plain_reader_agrees_with_the_url_parser() {
        let plain = [
            "https://myvault.vault.azure.net/keys/k/0123456789abcdef0123456789abcdef",
            "https://myvault.vault.azure.net:443/keys/k",
            "https://my-vault.managedhsm.azure.net:8443/deletedkeys/key-1/v2",
            "https://127.0.0.1:8443/keys/k/v",
            "https://10.0.0.255/keys/K-1/ABC",
            "https://a.b-c.d9/keys/k",
        ];
        for id in plain {
            let fast = KeyVaultKeyIdentifier::parse_plain(id).expect(id);
            assert_eq!(
                Ok(fast),
                KeyVaultKeyIdentifier::parse_url(id).map_err(|e| e.to_string()),
                "{id}"
            );
        }
        // Each of these leaves the plain reader (None); the URL parser
        // decides.
        let other = [
            "https://MyVault.vault.azure.net/keys/k",
            "HTTPS://v.vault.azure.net/keys/k",
            "https://v.vault.azure.net:0443/keys/k",
            "https://v.vault.azure.net:/keys/k",
            "https://v.vault.azure.net:99999/keys/k",
            "https://127.1/keys/k",
            "https://127.0.0.01/keys/k",
            "https://0x7f.0.0.1/keys/k",
            "https://v.vault.azure.net.1/keys/k",
            "https://xn--nxasmq6b.example/keys/k",
            "https://v..net/keys/k",
            "https://v.net./keys/k",
            "https://v.net/keys/k/",
            "https://v.net/keys//k",
            "https://v.net/keys/k%2F/v",
            "https://v.net/keys/k/v?x=1",
            "https://v.net/keys/k/v#f",
            "https://v.net/keys/k/v/extra",
            "https://v.net/secrets/k",
            "https://user@v.net/keys/k",
            "https://[::1]:443/keys/k",
        ];
        for id in other {
            assert!(KeyVaultKeyIdentifier::parse_plain(id).is_none(), "{id}");
        }
    }

    #[test]
    fn the_plain_reader_and_the_url_parser_agree_on_every_combination() {
        let long = "a".repeat(64);
        let hosts = [
            "v",
            "v.net",
            "-v-.net",
            "v-.x",
            "a1.b2",
            "1a.b",
            "0.0.0.0",
            "255.255.255.255",
            "256.0.0.1",
            "1.2.3",
            "1.2.3.4.5",
            "01.2.3.4",
            "xn--a.net",
            "a.xn--b",
            &long,
            "V.net",
            "v_x.net",
            "v.net.",
        ];
        let ports = [
            "", ":1", ":443", ":8443", ":65535", ":65536", ":0", ":00", ":+1",
        ];
        let paths = [
            "/keys/k",
            "/keys/k/v",
            "/deletedkeys/k-1/0a",
            "/keys/k/v/",
            "/keys/-/-",
            "/keys/k.v",
            "/keys/%41",
            "/Keys/k",
        ];
        let mut plain = 0;
        for h in hosts {
            for p in ports {
                for path in paths {
                    let id = format!("https://{h}{p}{path}");
                    if let Some(fast) = KeyVaultKeyIdentifier::parse_plain(&id) {
                        plain += 1;
                        assert_eq!(
                            KeyVaultKeyIdentifier::parse_url(&id).ok(),
                            Some(fast),
                            "{id}"
                        );
                    }
                }
            }
        }
        assert!(plain > 100, "{plain}");
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
