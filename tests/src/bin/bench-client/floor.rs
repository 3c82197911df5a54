//! The floor: the same calls as [`crate::calls`] made with nothing but a
//! bare `reqwest` client (the same reqwest/hyper/rustls stack, built the
//! same way, trusting only the emulator's CA) and `serde_json`. No
//! pipeline: no challenge (the bearer token is sent at once; the emulator
//! accepts any token), no request id, no retries, no size limit, no spans,
//! no models. `get` is `GET /keys/{name}` and `update` is
//! `PATCH /keys/{name}` with the same `tags` body; the answer is read whole
//! and parsed into a [`serde_json::Value`], and its `key.kid` checked, so
//! the parse is not optimised away and an error answer counts as an error.

use keyvault_keys_protocol::ApiVersion;
use keyvault_keys_protocol::reqwest::{self, Method, header};

/// A bare reqwest client and the two URLs it calls.
pub struct Floor {
    http: reqwest::Client,
    /// `{vault}/keys/{key}?api-version=…`
    key_url: reqwest::Url,
    bearer: header::HeaderValue,
}

/// The floor's client for `url`, trusting only the PEM file `ca`.
pub fn floor(url: &str, ca: &str, key: &str) -> Result<Floor, String> {
    let pem = std::fs::read(ca).map_err(|e| format!("reading {ca}: {e}"))?;
    let cert = reqwest::Certificate::from_pem(&pem).map_err(|e| e.to_string())?;
    let http = reqwest::Client::builder()
        .tls_certs_only([cert])
        .build()
        .map_err(|e| e.to_string())?;
    let key_url = reqwest::Url::parse(&format!(
        "{}/keys/{key}?api-version={}",
        url.trim_end_matches('/'),
        ApiVersion::default().as_str()
    ))
    .map_err(|e| e.to_string())?;
    Ok(Floor {
        http,
        key_url,
        bearer: header::HeaderValue::from_static("Bearer bench-token"),
    })
}

/// One call of `op` (`get` or `update`); returns 1 on a 2xx answer whose
/// JSON names the key.
pub async fn call(floor: &Floor, op: &str, i: u64) -> Result<u64, String> {
    let request = match op {
        "get" => floor.http.request(Method::GET, floor.key_url.clone()),
        "update" => {
            let body = serde_json::json!({ "tags": { "n": (i % 1000).to_string() } });
            floor
                .http
                .request(Method::PATCH, floor.key_url.clone())
                .header(header::CONTENT_TYPE, "application/json")
                .body(serde_json::to_vec(&body).map_err(|e| e.to_string())?)
        }
        other => return Err(format!("the floor has no op {other:?} (only get, update)")),
    };
    let response = request
        .header(header::AUTHORIZATION, floor.bearer.clone())
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status();
    let body = response.bytes().await.map_err(|e| e.to_string())?;
    if !status.is_success() {
        return Err(format!("{status}: {}", String::from_utf8_lossy(&body)));
    }
    let value: serde_json::Value = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
    match value["key"]["kid"].as_str() {
        Some(_) => Ok(1),
        None => Err("the answer names no key".to_owned()),
    }
}
