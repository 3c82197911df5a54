//! The bearer challenge: who is authorised, and what resource the
//! challenge names.

use hyper::Request;

use super::EMULATOR_TENANT;
use crate::access::{Access, TokenGrant};

/// The challenge resource for a request's `Host`: the host minus its first
/// DNS label, port kept (`vault.localhost:8443` → `https://localhost:8443`);
/// the request's own origin when there is no label to drop (an IP address,
/// or a single-label name such as `localhost`).
pub fn challenge_resource(authority: &str) -> String {
    let (host, port) = split_authority(authority);
    let is_ip = host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[');
    let parent = if is_ip {
        None
    } else {
        host.split_once('.')
            .map(|(_, rest)| rest)
            .filter(|r| !r.is_empty())
    };
    let h = parent.unwrap_or(host);
    match port {
        Some(p) => format!("https://{h}:{p}"),
        None => format!("https://{h}"),
    }
}

fn split_authority(authority: &str) -> (&str, Option<&str>) {
    if let Some(rest) = authority.strip_prefix('[') {
        // [::1]:8443
        if let Some((h, after)) = rest.split_once(']') {
            let port = after.strip_prefix(':');
            return (&authority[..h.len() + 2], port);
        }
    }
    match authority.rsplit_once(':') {
        Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) && !h.contains(':') => (h, Some(p)),
        _ => (authority, None),
    }
}

pub(super) fn www_authenticate(authority: &str) -> String {
    format!(
        r#"Bearer authorization="https://login.microsoftonline.com/{EMULATOR_TENANT}", resource="{}""#,
        challenge_resource(authority)
    )
}

/// Whether a request carries an accepted bearer token (see [`authorise`]).
pub(crate) fn authorised<B>(req: &Request<B>, accepted: Option<&[TokenGrant]>) -> bool {
    authorise(req, accepted).is_some()
}

/// The grant a request's bearer token matches, with its position in the
/// list: any non-empty token is the full grant when `accepted` is `None`.
/// Each comparison takes the same time wherever the tokens differ, and
/// every grant is compared.
pub(crate) fn authorise<B>(
    req: &Request<B>,
    accepted: Option<&[TokenGrant]>,
) -> Option<(usize, Access)> {
    let value = req
        .headers()
        .get(hyper::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())?;
    let mut parts = value.splitn(2, ' ');
    let (Some(scheme), Some(t)) = (parts.next(), parts.next()) else {
        return None;
    };
    let t = t.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || t.is_empty() {
        return None;
    }
    let Some(grants) = accepted else {
        return Some((0, Access::Full));
    };
    let mut found = None;
    for (i, g) in grants.iter().enumerate() {
        let same =
            aws_lc_rs::constant_time::verify_slices_are_equal(g.token.as_bytes(), t.as_bytes())
                .is_ok();
        if same && found.is_none() {
            found = Some((i, g.access.clone()));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::challenge_resource;

    #[test]
    fn resource_drops_the_first_label_and_keeps_the_port() {
        assert_eq!(
            challenge_resource("vault.localhost:8443"),
            "https://localhost:8443"
        );
        assert_eq!(
            challenge_resource("myvault.vault.azure.net"),
            "https://vault.azure.net"
        );
        assert_eq!(
            challenge_resource("localhost:8443"),
            "https://localhost:8443"
        );
        assert_eq!(
            challenge_resource("127.0.0.1:8443"),
            "https://127.0.0.1:8443"
        );
        assert_eq!(challenge_resource("[::1]:8443"), "https://[::1]:8443");
    }
}
