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
    /// `https://vault.azure.net`). Informational: the pipeline verifies the
    /// scope it requests, with [`Challenge::verified_scope`].
    pub fn resource_url(&self) -> Option<String> {
        if let Some(r) = self.resource.as_deref().filter(|r| !r.is_empty()) {
            return Some(r.to_owned());
        }
        let s = self.scope.as_deref()?;
        let url = Url::parse(s).ok()?;
        Some(url.origin().ascii_serialization())
    }

    /// The scope to request, verified for the vault at `vault`: what the
    /// pipeline asks the credential for, or why the challenge is refused.
    ///
    /// What is requested is rebuilt from the URL that was verified, never
    /// the challenge's raw text: `scope` (else `resource`) must be an
    /// absolute URL with a host and nothing that could make its text name
    /// more than that URL — no whitespace, control characters or
    /// backslashes anywhere in the value (a space would make it two scopes
    /// for the credential), no userinfo, no query, no fragment — and its
    /// path must be `/.default` (for `resource`, empty or `/`). The scope
    /// requested is then `{origin}/.default`, the origin in its canonical
    /// form (lower-case host, a default port dropped, any other port kept).
    /// The Python SDK verifies the host of the scope it requests and
    /// requests the raw string; this is stricter, so that what is verified
    /// is exactly what is requested.
    ///
    /// When the challenge names both a `scope` and a `resource`, both must
    /// pass these rules and name the same host (scheme, host and effective
    /// port): a challenge whose `resource` is acceptable but whose `scope`
    /// names another service (Azure Resource Manager, say) is refused, and
    /// so is the reverse.
    ///
    /// The URL must then pass [`verify_resource`].
    pub fn verified_scope(
        &self,
        vault: &Url,
        allow_insecure_loopback: bool,
    ) -> Result<String, String> {
        let scope = self.scope.as_deref().filter(|s| !s.is_empty());
        let resource = self.resource.as_deref().filter(|r| !r.is_empty());
        let scope_url = scope.map(|s| strict_url(s, "scope")).transpose()?;
        let resource_url = resource.map(|r| strict_url(r, "resource")).transpose()?;
        let (url, shown) = match (&scope_url, &resource_url) {
            (Some(s), Some(r)) => {
                if !same_authority(s, r) {
                    return Err(format!(
                        "the challenge's scope {:?} and resource {:?} name different hosts; a \
                         token is only requested for a scope that was verified. If you trust \
                         this service, set `verify_challenge_resource: false`.",
                        scope.unwrap_or_default(),
                        resource.unwrap_or_default()
                    ));
                }
                (s, scope.unwrap_or_default())
            }
            (Some(s), None) => (s, scope.unwrap_or_default()),
            (None, Some(r)) => (r, resource.unwrap_or_default()),
            (None, None) => return Err("the challenge names neither a scope nor a resource".into()),
        };
        check_resource(vault, url, shown, allow_insecure_loopback)?;
        Ok(format!("{}/.default", url.origin().ascii_serialization()))
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

/// Scheme, host and effective port (the scheme's default when none is
/// written, so `https://h` and `https://h:443` are the same).
fn same_authority(a: &Url, b: &Url) -> bool {
    a.scheme().eq_ignore_ascii_case(b.scheme())
        && a.host() == b.host()
        && a.port_or_known_default() == b.port_or_known_default()
}

/// A challenge's `scope` or `resource` (`what`) parsed under the rules of
/// [`Challenge::verified_scope`]: nothing in its text beyond the URL that is
/// checked.
fn strict_url(raw: &str, what: &str) -> Result<Url, String> {
    let refuse = |why: &str| {
        Err(format!(
            "the challenge's {what} {raw:?} {why}, so it cannot be verified against the vault. \
             If you trust this service, set `verify_challenge_resource: false`."
        ))
    };
    if raw
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || c == '\\')
    {
        return refuse("contains whitespace, a control character or a backslash");
    }
    let Some(url) = Url::parse(raw).ok().filter(|u| u.host_str().is_some()) else {
        return refuse("is not a URL with a host");
    };
    if !url.username().is_empty() || url.password().is_some() {
        return refuse("carries userinfo");
    }
    if url.query().is_some() || url.fragment().is_some() {
        return refuse("carries a query or a fragment");
    }
    let path_ok = match what {
        "scope" => url.path() == "/.default",
        _ => url.path().is_empty() || url.path() == "/",
    };
    if !path_ok {
        return refuse(if what == "scope" {
            "does not have the path `/.default`"
        } else {
            "has a path"
        });
    }
    Ok(url)
}

/// A loopback address: 127.0.0.0/8, `::1` or `localhost`.
pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(a)) => a.is_loopback(),
        Some(url::Host::Ipv6(a)) => a.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// Checks that a challenge's resource (or scope's origin) belongs to the
/// vault.
///
/// The resource must be `https` (plain `http` only to a loopback host, and
/// only with `allow_insecure_loopback`), on the vault's effective port (the
/// official SDKs compare host:port; `:443` written or not is the same), and
/// either a parent domain of the vault's host (`vault.azure.net` for
/// `myvault.vault.azure.net`, compared at a label boundary) or the vault's
/// own host with the vault's scheme (a token for the server's own origin
/// grants nothing anywhere else, and it lets local vaults such as
/// `https://localhost:8443` work without turning verification off).
pub fn verify_resource(
    vault: &Url,
    resource: &str,
    allow_insecure_loopback: bool,
) -> Result<(), String> {
    let res = Url::parse(resource)
        .map_err(|e| format!("the challenge's resource {resource:?} is not a URL: {e}"))?;
    check_resource(vault, &res, resource, allow_insecure_loopback)
}

/// [`verify_resource`] on a parsed URL; `shown` names it in messages.
fn check_resource(
    vault: &Url,
    res: &Url,
    shown: &str,
    allow_insecure_loopback: bool,
) -> Result<(), String> {
    let refuse = |why: &str| {
        Err(format!(
            "the challenge's resource {shown:?} does not match the vault {}: {why}. If you \
             trust this service, set `verify_challenge_resource: false`.",
            vault.origin().ascii_serialization()
        ))
    };
    let scheme_ok = match res.scheme() {
        "https" => true,
        "http" => allow_insecure_loopback && is_loopback(res),
        _ => false,
    };
    if !scheme_ok {
        return refuse(
            "it must be https (plain http only to a loopback host with allow_insecure_loopback)",
        );
    }
    let (Some(vault_host), Some(res_host)) = (vault.host(), res.host()) else {
        return refuse("it has no host to compare with the vault's");
    };
    if vault.port_or_known_default() != res.port_or_known_default() {
        return refuse("it is on another port than the vault");
    }
    let subdomain = match (&vault_host, &res_host) {
        (url::Host::Domain(v), url::Host::Domain(r)) => {
            let (v, r) = (v.to_ascii_lowercase(), r.to_ascii_lowercase());
            v.len() > r.len() + 1 && v.ends_with(&r) && v.as_bytes()[v.len() - r.len() - 1] == b'.'
        }
        _ => false,
    };
    if subdomain {
        return Ok(());
    }
    if vault_host == res_host && vault.scheme() == res.scheme() {
        return Ok(());
    }
    refuse(
        "the vault's host must be a subdomain of the resource's host, or the resource must be \
         the vault's own origin",
    )
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
        assert!(verify_resource(&vault, "https://vault.azure.net", false).is_ok());
        assert!(verify_resource(&vault, "https://VAULT.azure.net/", false).is_ok());
        assert!(verify_resource(&vault, "https://evil.net", false).is_err());
        assert!(
            verify_resource(&vault, "https://myvault.vault.azure.net.evil.net", false).is_err()
        );
        // a suffix that is not at a label boundary
        assert!(verify_resource(&vault, "https://t.azure.net", false).is_err());
        let local = Url::parse("https://localhost:8443").expect("url");
        assert!(verify_resource(&local, "https://localhost:8443", false).is_ok());
        assert!(verify_resource(&local, "https://localhost:9999", false).is_err());
        assert!(verify_resource(&local, "http://localhost:8443", false).is_err());
        assert!(verify_resource(&local, "http://localhost:8443", true).is_err());
        assert!(verify_resource(&local, "not a url", false).is_err());
    }

    #[test]
    fn resource_verification_compares_scheme_and_effective_port() {
        let vault = Url::parse("https://myvault.vault.azure.net").expect("url");
        let ok = |r: &str| verify_resource(&vault, r, false);
        // the reported defect
        assert!(ok("http://vault.azure.net:1").is_err());
        // scheme
        assert!(ok("http://vault.azure.net").is_err());
        assert!(ok("ftp://vault.azure.net").is_err());
        assert!(verify_resource(&vault, "http://vault.azure.net", true).is_err());
        // port: explicit default is the default
        assert!(ok("https://vault.azure.net:443").is_ok());
        assert!(ok("https://vault.azure.net:443/").is_ok());
        assert!(ok("https://vault.azure.net:8443").is_err());
        let explicit = Url::parse("https://myvault.vault.azure.net:443/").expect("url");
        assert!(verify_resource(&explicit, "https://vault.azure.net", false).is_ok());
        let odd_port = Url::parse("https://myvault.vault.azure.net:8443").expect("url");
        assert!(verify_resource(&odd_port, "https://vault.azure.net", false).is_err());
        assert!(verify_resource(&odd_port, "https://vault.azure.net:8443", false).is_ok());
        // no host, or an IP address that is no domain's parent
        assert!(ok("https:///x").is_err());
        assert!(ok("urn:vault.azure.net").is_err());
        let ip = Url::parse("https://10.0.0.1").expect("url");
        assert!(verify_resource(&ip, "https://0.0.1", false).is_err());
        assert!(verify_resource(&ip, "https://10.0.0.1", false).is_ok());

        // plain http only with the loopback opt-in, and only to a loopback host
        let local = Url::parse("http://myvault.localhost:8080").expect("url");
        assert!(verify_resource(&local, "http://localhost:8080", false).is_err());
        assert!(verify_resource(&local, "http://localhost:8080", true).is_ok());
        assert!(verify_resource(&local, "http://localhost:8081", true).is_err());
        let ip = Url::parse("http://127.0.0.1:8080").expect("url");
        assert!(verify_resource(&ip, "http://127.0.0.1:8080", true).is_ok());
        assert!(verify_resource(&ip, "http://127.0.0.1:8080", false).is_err());
    }

    #[test]
    fn the_verified_scope_is_the_requested_scope() {
        let vault = Url::parse("https://myvault.vault.azure.net").expect("url");
        let scope = |h: &str| {
            Challenge::parse(h)
                .expect("bearer")
                .verified_scope(&vault, false)
        };
        assert_eq!(
            scope(r#"Bearer authorization="https://login/t", resource="https://vault.azure.net""#),
            Ok("https://vault.azure.net/.default".to_owned())
        );
        assert_eq!(
            scope(
                r#"Bearer authorization="https://login/t", scope="https://vault.azure.net/.default""#
            ),
            Ok("https://vault.azure.net/.default".to_owned())
        );
        assert_eq!(
            scope(
                r#"Bearer resource="https://vault.azure.net", scope="https://vault.azure.net/.default""#
            ),
            Ok("https://vault.azure.net/.default".to_owned())
        );
        // resource = the server's own origin, scope = another service
        assert!(
            scope(
                r#"Bearer resource="https://myvault.vault.azure.net", scope="https://management.azure.com/.default""#
            )
            .is_err()
        );
        // both acceptable alone, naming different hosts
        assert!(
            scope(
                r#"Bearer resource="https://vault.azure.net", scope="https://myvault.vault.azure.net/.default""#
            )
            .is_err()
        );
        // same host, different port
        assert!(
            scope(
                r#"Bearer resource="https://vault.azure.net:8443", scope="https://vault.azure.net/.default""#
            )
            .is_err()
        );
        // a scope that is not a URL
        assert!(scope(r#"Bearer scope="api://vault/.default""#).is_err());
        assert!(scope(r#"Bearer resource="https://vault.azure.net", scope="user.read""#).is_err());
        assert!(scope(r#"Bearer authorization="https://login/t""#).is_err());
        // an empty scope falls back to the resource
        assert_eq!(
            scope(r#"Bearer resource="https://vault.azure.net", scope="""#),
            Ok("https://vault.azure.net/.default".to_owned())
        );
    }

    /// The scope handed to the credential is rebuilt from the URL that was
    /// verified: a value whose raw text names more than that URL (a second
    /// scope after a space, userinfo, a query, a fragment, another path) is
    /// refused, and an accepted one is requested in its canonical form.
    #[test]
    fn only_the_canonical_form_of_the_verified_url_is_requested() {
        let vault = Url::parse("https://myvault.vault.azure.net").expect("url");
        let scope = |h: &str| {
            Challenge::parse(h)
                .expect("bearer")
                .verified_scope(&vault, false)
        };
        let refused = [
            r#"Bearer authorization="https://login.microsoftonline.com/t", scope="https://vault.azure.net/.default https://management.azure.com/.default""#,
            r#"Bearer authorization="https://login.microsoftonline.com/t", resource="https://vault.azure.net/.default https://management.azure.com""#,
            r#"Bearer authorization="https://login.microsoftonline.com/t", resource="https://vault.azure.net https://management.azure.com""#,
            r#"Bearer authorization="https://login.microsoftonline.com/t", scope="https://management.azure.com@vault.azure.net/.default""#,
            r#"Bearer authorization="https://login.microsoftonline.com/t", scope="https://vault.azure.net\@management.azure.com/.default""#,
            r#"Bearer authorization="https://login.microsoftonline.com/t", scope="https://vault.azure.net\\@management.azure.com/.default""#,
            "Bearer authorization=\"https://login.microsoftonline.com/t\", scope=\"https://vault.azure.net/.default\thttps://management.azure.com/.default\"",
            "Bearer scope=\"https://vault.azure.net/.default\n\"",
            "Bearer scope=\"https://vault.azure.net/\x01.default\"",
            r#"Bearer scope="https://vault.azure.net/.default?x=https://management.azure.com/.default""#,
            r#"Bearer scope="https://vault.azure.net/.default#https://management.azure.com/.default""#,
            r#"Bearer scope="https://vault.azure.net/other""#,
            r#"Bearer scope="https://vault.azure.net/.default/""#,
            r#"Bearer scope="https://vault.azure.net""#,
            r#"Bearer resource="https://vault.azure.net/.default""#,
            r#"Bearer resource="https://vault.azure.net/x""#,
            r#"Bearer resource="https://vault.azure.net?x""#,
            r#"Bearer resource="https://u:p@vault.azure.net""#,
            r#"Bearer resource="https://vault.azure.net", scope="https://vault.azure.net/.default https://management.azure.com/.default""#,
            r#"Bearer resource="https://vault.azure.net/ https://management.azure.com", scope="https://vault.azure.net/.default""#,
        ];
        for h in refused {
            assert!(scope(h).is_err(), "accepted: {h:?} -> {:?}", scope(h));
        }
        // the same refusals when the raw value does not come through the parser
        for raw in [
            "https://vault.azure.net\\@management.azure.com/.default",
            "https://vault.azure.net/.default ",
            " https://vault.azure.net/.default",
        ] {
            let c = Challenge {
                authorization: None,
                resource: None,
                scope: Some(raw.to_owned()),
                claims: None,
                error: None,
            };
            assert!(
                c.verified_scope(&vault, false).is_err(),
                "accepted: {raw:?}"
            );
        }
        // accepted values are requested in canonical form
        let canonical = Ok("https://vault.azure.net/.default".to_owned());
        for h in [
            r#"Bearer scope="https://vault.azure.net/.default""#,
            r#"Bearer scope="HTTPS://VAULT.Azure.NET:443/.default""#,
            r#"Bearer resource="https://vault.azure.net""#,
            r#"Bearer resource="https://vault.azure.net/""#,
            r#"Bearer resource="https://Vault.Azure.Net:443""#,
            r#"Bearer resource="https://vault.azure.net:443/", scope="https://VAULT.azure.net/.default""#,
        ] {
            assert_eq!(scope(h), canonical, "{h:?}");
        }
        // a non-default port is kept
        let odd = Url::parse("https://myvault.vault.azure.net:8443").expect("url");
        let c = Challenge::parse(r#"Bearer scope="https://Vault.Azure.Net:8443/.default""#)
            .expect("bearer");
        assert_eq!(
            c.verified_scope(&odd, false),
            Ok("https://vault.azure.net:8443/.default".to_owned())
        );
    }

    /// Whatever a challenge says, an accepted scope is the canonical
    /// `{origin}/.default` of a URL that belongs to the vault: random
    /// challenges built from pieces of hostile values never yield anything
    /// else.
    #[test]
    fn an_accepted_scope_is_always_a_canonical_scope_of_the_vault() {
        use rand::Rng as _;
        let vault = Url::parse("https://myvault.vault.azure.net").expect("url");
        let allowed = [
            "https://vault.azure.net/.default",
            "https://myvault.vault.azure.net/.default",
        ];
        let slots: [&[&str]; 8] = [
            &["scope=\"", "resource=\"", "scope=", "resource="],
            &["https://", "https://", "http://", "HTTPS://"],
            &[
                "",
                "",
                "u:p@",
                "management.azure.com@",
                "vault.azure.net\\@",
            ],
            &[
                "vault.azure.net",
                "VAULT.azure.net",
                "myvault.vault.azure.net",
                "management.azure.com",
                "evil.net",
            ],
            &["", "", ":443", ":8443"],
            &["", "/", "/.default", "/.default", "/x", "/.default/"],
            &[
                "",
                "",
                "",
                " https://management.azure.com/.default",
                "\t",
                "\n",
                "?x",
                "#x",
                "%20x",
                "@management.azure.com",
                "\\@management.azure.com/.default",
                "\u{0}",
            ],
            &[
                "\"",
                "",
                "\", resource=\"https://vault.azure.net\"",
                ", scope=https://management.azure.com/.default",
            ],
        ];
        let mut rng = rand::rng();
        let mut accepted = 0;
        for _ in 0..50_000 {
            let mut h = String::from("Bearer authorization=\"https://login/t\", ");
            for slot in slots {
                h.push_str(slot[rng.random_range(0..slot.len())]);
            }
            let Some(c) = Challenge::parse(&h) else {
                continue;
            };
            if let Ok(scope) = c.verified_scope(&vault, false) {
                accepted += 1;
                assert!(allowed.contains(&scope.as_str()), "{h:?} -> {scope:?}");
            }
        }
        assert!(
            accepted > 100,
            "only {accepted} accepted: the generator misses the accepting paths"
        );
    }
}
