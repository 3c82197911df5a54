//! The Key Vault authentication challenge (`WWW-Authenticate: Bearer …`).

use url::Url;

/// A parsed `Bearer` challenge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Challenge {
    /// `authorization` or `authorization_uri`: the authority's URL.
    pub authorization: Option<String>,
    /// `resource`: the audience the token is for.
    pub resource: Option<String>,
    /// `scope`: the scope to ask for (preferred over `resource`).
    pub scope: Option<String>,
    /// `claims`: a CAE claims challenge (base64 of a JSON document on the
    /// wire; decoded here when it is base64, kept as sent otherwise).
    pub claims: Option<String>,
    /// `error` (for example `insufficient_claims`).
    pub error: Option<String>,
}

impl Challenge {
    /// Parses the value of a `WWW-Authenticate` header. Returns `None` when
    /// there is no `Bearer` challenge in it.
    ///
    /// Parameters are `key=value` pairs, separated by commas and/or spaces,
    /// values quoted or not; keys are matched without regard to case.
    pub fn parse(header: &str) -> Option<Self> {
        let trimmed = header.trim_start();
        let scheme_end = trimmed.find(char::is_whitespace).unwrap_or(trimmed.len());
        let (scheme, rest) = trimmed.split_at(scheme_end);
        if !scheme.eq_ignore_ascii_case("bearer") {
            return None;
        }
        let mut c = Challenge {
            authorization: None,
            resource: None,
            scope: None,
            claims: None,
            error: None,
        };
        for (k, v) in params(rest) {
            match k.to_ascii_lowercase().as_str() {
                "authorization" | "authorization_uri" => c.authorization = Some(v),
                "resource" => c.resource = Some(v),
                "scope" => c.scope = Some(v),
                "claims" => c.claims = Some(decode_claims(&v)),
                "error" => c.error = Some(v),
                _ => {}
            }
        }
        Some(c)
    }

    /// The scope to request: `scope`, else `resource` + `/.default`.
    pub fn token_scope(&self) -> Option<String> {
        if let Some(s) = self.scope.as_deref().filter(|s| !s.is_empty()) {
            return Some(s.to_owned());
        }
        let r = self.resource.as_deref().filter(|r| !r.is_empty())?;
        Some(format!("{}/.default", r.trim_end_matches('/')))
    }

    /// The resource named by the challenge: `resource`, else `scope` without
    /// its last path segment (`https://vault.azure.net/.default` →
    /// `https://vault.azure.net`).
    pub fn resource_url(&self) -> Option<String> {
        if let Some(r) = self.resource.as_deref().filter(|r| !r.is_empty()) {
            return Some(r.to_owned());
        }
        let s = self.scope.as_deref()?;
        let url = Url::parse(s).ok()?;
        Some(url.origin().ascii_serialization())
    }

    /// The tenant: the first path segment of the authorization URL.
    pub fn tenant(&self) -> Option<String> {
        let url = Url::parse(self.authorization.as_deref()?).ok()?;
        let first = url.path_segments()?.next()?;
        (!first.is_empty()).then(|| first.to_owned())
    }
}

/// Splits `k1="v1", k2=v2 k3="v 3"` into pairs.
fn params(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace() || *c == ',') {
            chars.next();
        }
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c == ',' || c.is_whitespace() {
                break;
            }
            key.push(c);
            chars.next();
        }
        if key.is_empty() {
            break;
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.peek() != Some(&'=') {
            continue; // a bare token: skip it
        }
        chars.next();
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => {
                        if let Some(n) = chars.next() {
                            value.push(n);
                        }
                    }
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ',' || c.is_whitespace() {
                    break;
                }
                value.push(c);
                chars.next();
            }
        }
        out.push((key, value));
    }
    out
}

fn decode_claims(v: &str) -> String {
    use base64::Engine as _;
    let engines = [
        &base64::engine::general_purpose::STANDARD,
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        &base64::engine::general_purpose::STANDARD_NO_PAD,
        &base64::engine::general_purpose::URL_SAFE,
    ];
    for engine in engines {
        if let Ok(bytes) = engine.decode(v.trim())
            && let Ok(text) = String::from_utf8(bytes)
            && text.trim_start().starts_with('{')
        {
            return text;
        }
    }
    v.to_owned()
}

/// Checks that a challenge's resource belongs to the vault.
///
/// Accepted when the vault's host is a subdomain of the resource's host
/// (`myvault.vault.azure.net` under `vault.azure.net`), or when the resource
/// is the vault's own origin (same scheme, host and port): a token for the
/// server's own origin grants nothing anywhere else, and it lets local vaults
/// (`https://localhost:8443`) work without turning verification off.
pub fn verify_resource(vault: &Url, resource: &str) -> Result<(), String> {
    let res = Url::parse(resource)
        .map_err(|e| format!("the challenge's resource {resource:?} is not a URL: {e}"))?;
    let (Some(vault_host), Some(res_host)) = (vault.host_str(), res.host_str()) else {
        return Err(format!(
            "the challenge's resource {resource:?} has no host to compare with the vault's"
        ));
    };
    let vault_host = vault_host.to_ascii_lowercase();
    let res_host = res_host.to_ascii_lowercase();
    if vault_host.ends_with(&format!(".{res_host}")) {
        return Ok(());
    }
    if vault.origin() == res.origin() {
        return Ok(());
    }
    Err(format!(
        "the challenge's resource {resource:?} does not match the vault {}: the vault's host \
         must be a subdomain of the resource's host, or the resource must be the vault's own \
         origin. If you trust this service, set `verify_challenge_resource: false`.",
        vault.origin().ascii_serialization()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_service_form() {
        let c = Challenge::parse(
            r#"Bearer authorization="https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47", resource="https://vault.azure.net""#,
        )
        .expect("a bearer challenge");
        assert_eq!(c.resource.as_deref(), Some("https://vault.azure.net"));
        assert_eq!(
            c.token_scope().as_deref(),
            Some("https://vault.azure.net/.default")
        );
        assert_eq!(
            c.tenant().as_deref(),
            Some("72f988bf-86f1-41af-91ab-2d7cd011db47")
        );
    }

    #[test]
    fn parses_variants() {
        let c = Challenge::parse(r#"Bearer authorization_uri="https://login.windows.net/tid",scope="https://x.net/.default""#)
            .expect("bearer");
        assert_eq!(c.token_scope().as_deref(), Some("https://x.net/.default"));
        assert_eq!(c.resource_url().as_deref(), Some("https://x.net"));
        assert_eq!(c.tenant().as_deref(), Some("tid"));
        let c = Challenge::parse("bearer resource=https://r.example error=insufficient_claims")
            .expect("bearer");
        assert_eq!(c.resource.as_deref(), Some("https://r.example"));
        assert_eq!(c.error.as_deref(), Some("insufficient_claims"));
        assert!(Challenge::parse(r#"Basic realm="x""#).is_none());
    }

    #[test]
    fn decodes_cae_claims() {
        use base64::Engine as _;
        let json = r#"{"access_token":{"nbf":{"essential":true,"value":"1"}}}"#;
        let b64 = base64::engine::general_purpose::STANDARD.encode(json);
        let c = Challenge::parse(&format!(
            r#"Bearer authorization="https://login.microsoftonline.com/t", error="insufficient_claims", claims="{b64}""#
        ))
        .expect("bearer");
        assert_eq!(c.claims.as_deref(), Some(json));
    }

    #[test]
    fn resource_verification() {
        let vault = Url::parse("https://myvault.vault.azure.net/").expect("url");
        assert!(verify_resource(&vault, "https://vault.azure.net").is_ok());
        assert!(verify_resource(&vault, "https://VAULT.azure.net/").is_ok());
        assert!(verify_resource(&vault, "https://evil.net").is_err());
        assert!(verify_resource(&vault, "https://myvault.vault.azure.net.evil.net").is_err());
        // a suffix that is not at a label boundary
        assert!(verify_resource(&vault, "https://t.azure.net").is_err());
        let local = Url::parse("https://localhost:8443").expect("url");
        assert!(verify_resource(&local, "https://localhost:8443").is_ok());
        assert!(verify_resource(&local, "https://localhost:9999").is_err());
        assert!(verify_resource(&local, "http://localhost:8443").is_err());
        assert!(verify_resource(&local, "not a url").is_err());
    }
}
