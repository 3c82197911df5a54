//! The harness's requests to the vault, and what their answers carry.

use std::path::Path;
use std::time::Duration;

use keyvault_keys_protocol::reqwest;
use serde_json::Value;

use super::API_VERSION;

/// A minimal HTTPS client for one emulator process: trusts its CA, sends a
/// bearer token, one request per call (no retries).
#[derive(Clone, Debug)]
pub struct VaultHttp {
    client: reqwest::Client,
    base: String,
}

/// Why a request did not produce an answer.
#[derive(Debug)]
pub struct TransportError(pub String);

impl VaultHttp {
    /// A client for `url` trusting the PEM CA at `ca_path`.
    pub fn new(url: &str, ca_path: &Path) -> Result<Self, String> {
        let pem = std::fs::read(ca_path)
            .map_err(|e| format!("reading the CA {}: {e}", ca_path.display()))?;
        let cert = reqwest::Certificate::from_pem(&pem).map_err(|e| format!("the CA: {e}"))?;
        let client = reqwest::Client::builder()
            .tls_certs_only([cert])
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(15))
            .build()
            .map_err(|e| format!("building the HTTP client: {e}"))?;
        Ok(Self {
            client,
            base: url.trim_end_matches('/').to_owned(),
        })
    }

    /// Sends one request to `path` (which starts with `/`) and returns the
    /// status and the JSON body (`Null` when empty or not JSON).
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(u16, Value), TransportError> {
        let url = format!("{}{path}?api-version={API_VERSION}", self.base);
        let mut req = self
            .client
            .request(method, url)
            .header("authorization", "Bearer durability-harness");
        if let Some(b) = body {
            req = req
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        let resp = req
            .send()
            .await
            .map_err(|e| TransportError(error_chain(&e)))?;
        let status = resp.status().as_u16();
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| TransportError(error_chain(&e)))?;
        let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Ok((status, value))
    }

    /// `GET path`: `Some(body)` on 200, `None` on 404, an error otherwise.
    pub async fn get(&self, path: &str) -> Result<Option<Value>, String> {
        match self.send(reqwest::Method::GET, path, None).await {
            Ok((200, v)) => Ok(Some(v)),
            Ok((404, _)) => Ok(None),
            Ok((s, v)) => Err(format!("GET {path}: {s} {v}")),
            Err(TransportError(e)) => Err(format!("GET {path}: {e}")),
        }
    }
}

pub(super) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s
}

/// The version id at the end of a bundle's `key.kid`.
pub(super) fn version_of(bundle: &Value) -> Option<String> {
    bundle
        .pointer("/key/kid")
        .and_then(Value::as_str)
        .and_then(|kid| kid.rsplit('/').next())
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// The `counter` tag of a bundle.
pub(super) fn counter_of(bundle: &Value) -> Option<u64> {
    bundle
        .pointer("/tags/counter")
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
}
