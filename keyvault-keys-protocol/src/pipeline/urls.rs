//! The URL of a generated operation, built from the vault's parsed URL.
//!
//! progenitor writes `format!("{}/keys/{}/{}", baseurl, encode_path(name),
//! …)` and reqwest then parses that string back into a URL: a full parse
//! per call (about 6,400 instructions of a `get_key`, issue 19). `cargo
//! xtask codegen` rewrites those lines into a call of [`operation_url`],
//! which appends the segments to a copy of the vault's URL, already
//! parsed when the client was made. A segment of anything but ASCII
//! letters, digits and hyphens (which `KeyClient` never sends, but a raw
//! protocol call may) takes progenitor's road instead — the string is
//! formatted and parsed — so every request goes to the very URL it went to
//! before.

use url::Url;

/// The URL of an operation: the client's base URL followed by `template`
/// (the path after the vault, `/keys/{}/{}/sign`), each `{}` filled with
/// the next of `params`, percent-encoded as progenitor's `encode_path`
/// does. `base` is the generated client's `baseurl` and `vault` the
/// pipeline's parsed vault URL: they are the same URL unless the client was
/// put together by hand with another base (`Client::new`), which is then
/// used as before.
///
/// A parameter that is `.` or `..`, or holds a backslash, is refused:
/// the URL parser would make it a step up the path (`delete_key("..\\
/// deletedkeys\\k")` sent `DELETE /deletedkeys/k`, a purge). Key names
/// and versions never hold them; `KeyClient` checks names before this.
pub(crate) fn operation_url(
    base: &str,
    vault: &Url,
    template: &'static str,
    params: &[&str],
) -> Result<Url, String> {
    if let Some(p) = params
        .iter()
        .find(|p| matches!(**p, "." | "..") || p.contains('\\'))
    {
        return Err(format!(
            "{p:?} is not a valid path segment (a key name or version has letters, digits and dashes)"
        ));
    }
    let plain = |p: &&str| p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    let same_base = vault.as_str().trim_end_matches('/') == base;
    if same_base && params.iter().all(plain) {
        let mut url = vault.clone();
        let mut params = params.iter();
        let mut complete = true;
        if let Ok(mut segments) = url.path_segments_mut() {
            // One `extend` (each `push` is one, with its own set-up).
            segments
                .pop_if_empty()
                .extend(template.split('/').skip(1).map(|segment| {
                    if segment != "{}" {
                        return segment;
                    }
                    params.next().copied().unwrap_or_else(|| {
                        complete = false;
                        ""
                    })
                }));
        } else {
            complete = false;
        }
        if complete && params.next().is_none() {
            return Ok(url);
        }
    }
    formatted(base, template, params)
}

/// progenitor's road: the string, then the URL parser.
fn formatted(base: &str, template: &str, params: &[&str]) -> Result<Url, String> {
    let mut text = base.to_owned();
    let mut params = params.iter();
    let mut pieces = template.split("{}");
    if let Some(first) = pieces.next() {
        text.push_str(first);
    }
    for piece in pieces {
        let param = params
            .next()
            .ok_or_else(|| format!("the path {template:?} has more places than parameters"))?;
        text.push_str(&progenitor_client::encode_path(param));
        text.push_str(piece);
    }
    if params.next().is_some() {
        return Err(format!(
            "the path {template:?} has fewer places than parameters"
        ));
    }
    Url::parse(&text).map_err(|e| format!("the request URL {text:?} is not valid: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the generated code did before: format, then parse.
    fn progenitors(base: &str, template: &str, params: &[&str]) -> Url {
        formatted(base, template, params).expect("parse")
    }

    /// The generated client's `baseurl` for a vault URL.
    fn base_of(vault: &Url) -> String {
        vault.as_str().trim_end_matches('/').to_owned()
    }

    #[test]
    fn the_built_url_is_the_one_progenitor_formatted_and_reqwest_parsed() {
        let vaults = [
            "https://myvault.vault.azure.net",
            "https://myvault.vault.azure.net/",
            "https://127.0.0.1:8443",
            "https://h.example/prefix",
            "https://h.example/prefix/",
        ];
        let cases: [(&'static str, &[&str]); 8] = [
            ("/keys", &[]),
            ("/keys/{}", &["k"]),
            ("/keys/{}/{}", &["k-1", "0123abcd"]),
            ("/keys/{}/{}", &["k", ""]),
            ("/keys/{}/{}/sign", &["K", "V"]),
            ("/deletedkeys/{}/recover", &["k"]),
            ("/keys/{}/{}", &["a b/c%d?e#f", "x.y"]),
            ("/keys/{}", &["..."]),
        ];
        for v in vaults {
            let mut vault = Url::parse(v).expect("vault");
            // As the client keeps it: no trailing slash on a path.
            let path = vault.path().trim_end_matches('/').to_owned();
            vault.set_path(&path);
            for (template, params) in cases {
                let base = base_of(&vault);
                assert_eq!(
                    operation_url(&base, &vault, template, params).expect("url"),
                    progenitors(&base, template, params),
                    "{v} {template} {params:?}"
                );
            }
        }
    }

    #[test]
    fn a_template_and_parameters_that_do_not_match_are_an_error_not_a_panic() {
        let vault = Url::parse("https://h.example").expect("vault");
        let base = base_of(&vault);
        assert!(operation_url(&base, &vault, "/keys/{}/{}", &["k"]).is_err());
        assert!(operation_url(&base, &vault, "/keys/{}", &["k", "v"]).is_err());
        assert!(operation_url(&base, &vault, "/keys/{}/{}", &["k%"]).is_err());
    }

    #[test]
    fn a_segment_that_would_climb_the_path_is_refused() {
        let vault = Url::parse("https://h.example").expect("vault");
        let base = base_of(&vault);
        // Before: `..\\deletedkeys\\victim` became DELETE /deletedkeys/victim.
        assert_eq!(
            formatted(&base, "/keys/{}", &["..\\deletedkeys\\victim"])
                .expect("parse")
                .path(),
            "/deletedkeys/victim"
        );
        for bad in ["..", ".", "..\\deletedkeys\\victim", "a\\b"] {
            let e = operation_url(&base, &vault, "/keys/{}", &[bad]).expect_err(bad);
            assert!(e.contains("not a valid path segment"), "{e}");
        }
    }

    #[test]
    fn a_client_made_with_another_base_url_keeps_it() {
        let vault = Url::parse("https://h.example").expect("vault");
        let url =
            operation_url("https://h.example/prefix", &vault, "/keys/{}", &["k"]).expect("url");
        assert_eq!(url.as_str(), "https://h.example/prefix/keys/k");
    }
}
