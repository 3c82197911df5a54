//! Helpers shared by the test modules: starting an emulator, building
//! requests, raw HTTP, and the imports every module uses.

pub use std::num::NonZeroU32;

pub use keyvault_crypto::{
    HashAlgorithm, HashDigest as _, JsonWebKey, KeySpec, KeyType, LocalKey, b64,
};
pub use keyvault_emulator::{Emulator, EmulatorOptions, Flavor};
pub use keyvault_keys_protocol::reqwest::{Method, StatusCode};
pub use keyvault_keys_protocol::{Client, Error, RawRequest, call, enums, types};
pub use serde_json::{Value, json};

pub async fn start(options: EmulatorOptions) -> (Emulator, Client) {
    let emulator = Emulator::start(options).await.expect("start");
    let client = Client::with_credential(
        emulator.vault_url(),
        emulator.credential(),
        emulator.client_options(),
    )
    .expect("client");
    (emulator, client)
}

pub fn create(kty: &str, extra: Value) -> types::KeyCreateParameters {
    let mut v = json!({"kty": kty});
    if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
        o.extend(e.clone());
    }
    serde_json::from_value(v).expect("create parameters")
}

pub fn status_and_code(e: &Error) -> (u16, String, String) {
    let h = e
        .http()
        .unwrap_or_else(|| panic!("not an HTTP error: {e:?}"));
    (
        h.status.as_u16(),
        h.code.clone().unwrap_or_default(),
        h.message.clone().unwrap_or_default(),
    )
}

pub fn version_of(bundle: &types::KeyBundle) -> String {
    let kid = bundle
        .key
        .as_ref()
        .and_then(|k| k.kid.clone())
        .expect("kid");
    kid.rsplit('/').next().expect("version").to_owned()
}

pub async fn futures_collect<T>(
    s: impl futures_util_stream::Stream<Item = Result<T, Error>>,
) -> Vec<T> {
    use futures_util_stream::StreamExt as _;
    let mut out = Vec::new();
    let mut s = Box::pin(s);
    while let Some(item) = s.next().await {
        out.push(item.expect("item"));
    }
    out
}

pub mod futures_util_stream {
    pub use futures::stream::{Stream, StreamExt};
}

pub fn rsa_import_jwk() -> types::JsonWebKey {
    let jwk = keyvault_crypto::generate(&KeySpec {
        kty: KeyType::Rsa,
        size: Some(2048),
        curve: None,
        public_exponent: None,
    })
    .expect("gen");
    jwk.to_protocol()
}

/// One request sent with the emulator's own HTTP client (no retries, so a
/// 500 is seen as it was answered); the status, the JSON body (or Null), and
/// the headers. `Err` when the connection failed.
pub async fn raw(
    emu: &Emulator,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Result<
    (
        u16,
        Value,
        keyvault_keys_protocol::reqwest::header::HeaderMap,
    ),
    String,
> {
    let sep = if path.contains('?') { '&' } else { '?' };
    let mut req = emu
        .http_client()
        .request(
            method,
            format!("{}{path}{sep}api-version=2025-07-01", emu.vault_url()),
        )
        .bearer_auth(keyvault_emulator::DEFAULT_TOKEN);
    if let Some(b) = body {
        req = req
            .header("content-type", "application/json")
            .body(b.to_string());
    }
    let r = req.send().await.map_err(|e| format!("{e:?}"))?;
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let bytes = r.bytes().await.map_err(|e| format!("{e:?}"))?;
    let v = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Ok((status, v, headers))
}

pub async fn status(emu: &Emulator, method: Method, path: &str, body: Option<Value>) -> u16 {
    raw(emu, method, path, body).await.map(|r| r.0).unwrap_or(0)
}

pub async fn versions(emu: &Emulator, name: &str) -> usize {
    let (s, v, _) = raw(emu, Method::GET, &format!("/keys/{name}/versions"), None)
        .await
        .expect("versions");
    assert_eq!(s, 200, "{v}");
    v["value"].as_array().map(Vec::len).unwrap_or(0)
}

/// What the vault holds, as its answers show it.
pub async fn observe(emu: &Emulator) -> Value {
    let mut out = serde_json::Map::new();
    for name in ["k", "gone", "new", "restored"] {
        let (s, v, _) = raw(emu, Method::GET, &format!("/keys/{name}"), None)
            .await
            .expect("get");
        let (ds, _, _) = raw(emu, Method::GET, &format!("/deletedkeys/{name}"), None)
            .await
            .expect("get deleted");
        let n = if s == 200 {
            versions(emu, name).await
        } else {
            0
        };
        out.insert(
            name.to_owned(),
            json!({"live": s, "deleted": ds, "versions": n, "tags": v["tags"], "enabled": v["attributes"]["enabled"]}),
        );
    }
    let (_, p, _) = raw(emu, Method::GET, "/keys/k/rotationpolicy", None)
        .await
        .expect("policy");
    out.insert("policy".into(), p["attributes"].clone());
    Value::Object(out)
}

pub fn tls_connector(emu: &Emulator) -> tokio_rustls::TlsConnector {
    use rustls::pki_types::pem::PemObject as _;
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls::pki_types::CertificateDer::pem_slice_iter(emu.ca_pem().as_bytes()) {
        roots.add(cert.expect("pem")).expect("root");
    }
    let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    tokio_rustls::TlsConnector::from(std::sync::Arc::new(config))
}

/// Reads until the peer closes; `true` when it closed within `within`.
pub async fn closed_within<R: tokio::io::AsyncRead + Unpin>(
    r: &mut R,
    within: std::time::Duration,
) -> (bool, Vec<u8>) {
    use tokio::io::AsyncReadExt as _;
    let mut got = Vec::new();
    let r = tokio::time::timeout(within, async {
        let mut buf = [0u8; 4096];
        loop {
            match r.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    (r.is_ok(), got)
}

/// Starts the binary; returns the child and the lines it printed (URL, CA).
pub fn spawn_binary(args: &[&str]) -> (std::process::Child, String, String) {
    use std::io::BufRead as _;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_keyvault-emulator"))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let mut lines = std::io::BufReader::new(child.stdout.take().expect("stdout")).lines();
    let url = lines.next().and_then(Result::ok).unwrap_or_default();
    let ca = lines.next().and_then(Result::ok).unwrap_or_default();
    (child, url, ca)
}
