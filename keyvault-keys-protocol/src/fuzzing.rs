//! Entry points for the fuzz targets in `fuzz/`: each runs one parser of
//! untrusted service input the way the client does. Not part of the API.

use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use std::time::Duration;
use url::Url;

use crate::challenge::{Challenge, verify_resource};
use crate::error::HttpError;
use crate::paging::Page as _;
use crate::types;

/// Parses a `WWW-Authenticate` value and verifies it against `vault_url`.
pub fn challenge(header: &str, vault_url: &str) {
    let Some(c) = Challenge::parse(header) else {
        return;
    };
    let _ = (c.token_scope(), c.tenant());
    if let (Ok(vault), Some(resource)) = (Url::parse(vault_url), c.resource_url()) {
        let _ = verify_resource(&vault, &resource);
    }
}

/// The delay the client would wait for these response headers.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    crate::retry::server_delay(headers)
}

/// Builds the error of an error response and formats it.
pub fn error_body(status: u16, body: &[u8]) {
    let Ok(status) = StatusCode::from_u16(status) else {
        return;
    };
    let e = HttpError::from_parts(status, HeaderMap::new(), Bytes::copy_from_slice(body));
    let _ = (e.to_string(), format!("{e:?}"));
}

/// Reads a list page and checks its nextLink against the vault's origin.
pub fn page_body(body: &[u8], vault_url: &str) {
    let vault = Url::parse(vault_url).ok();
    let check = |link: Option<&str>| {
        if let (Some(vault), Some(Ok(url))) = (&vault, link.map(Url::parse)) {
            let _ = url.origin() == vault.origin();
        }
    };
    if let Ok(page) = serde_json::from_slice::<types::KeyListResult>(body) {
        check(page.next_link());
    }
    if let Ok(page) = serde_json::from_slice::<types::DeletedKeyListResult>(body) {
        check(page.next_link());
    }
}
