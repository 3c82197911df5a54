//! Benchmark support for `cargo xtask bench` (hidden from the usage text):
//!
//! - process-wide counters of TLS handshakes and HTTP requests, which the
//!   binary prints as `KEYVAULT_STATS requests=N handshakes=M` on SIGUSR1, so
//!   the suite counts a client's exchanges and connections at the server;
//! - the zero-work answer served by [`crate::Emulator::start_zero_work`]
//!   (`keyvault-emulator --bench-zero-work`) on the emulator's own listener,
//!   TLS and hyper stack: a fixed EC key to a `get_key` (and the challenge to
//!   a request without a token), nothing else, the ceiling the emulator's
//!   request rate is compared with.

use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Request, Response, StatusCode};

/// TLS handshakes completed since the process started.
static HANDSHAKES: AtomicU64 = AtomicU64::new(0);
/// HTTP requests received since the process started.
static REQUESTS: AtomicU64 = AtomicU64::new(0);

/// Counts a completed TLS handshake.
pub(crate) fn count_handshake() {
    HANDSHAKES.fetch_add(1, Ordering::Relaxed);
}

/// Counts a request.
pub(crate) fn count_request() {
    REQUESTS.fetch_add(1, Ordering::Relaxed);
}

/// The counters' line: `KEYVAULT_STATS requests=N handshakes=M`.
pub fn stats_line() -> String {
    format!(
        "KEYVAULT_STATS requests={} handshakes={}",
        REQUESTS.load(Ordering::Relaxed),
        HANDSHAKES.load(Ordering::Relaxed)
    )
}

/// The zero-work server's fixed key (a P-256 public key made once).
fn zero_work_jwk() -> &'static serde_json::Value {
    static JWK: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    JWK.get_or_init(|| {
        let mut jwk = keyvault_crypto::generate(&keyvault_crypto::KeySpec {
            kty: keyvault_crypto::KeyType::Ec,
            size: None,
            curve: Some(keyvault_crypto::KeyCurveName::P256),
            public_exponent: None,
        })
        .ok()
        .and_then(|k| serde_json::to_value(k.public_only()).ok())
        .unwrap_or_else(|| serde_json::json!({"kty": "EC"}));
        jwk["key_ops"] = serde_json::json!(["sign", "verify"]);
        jwk
    })
}

/// The zero-work answer ([`crate::Emulator::start_zero_work`]): the
/// challenge to a request without the emulator's token (checked as the
/// emulator checks it), a fixed EC key bundle named for the path to any
/// other; the vault is never touched.
pub(crate) fn zero_work_answer<B>(req: &Request<B>, authorised: bool) -> Response<Full<Bytes>> {
    let authority = req
        .headers()
        .get(hyper::header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost");
    let b = Response::builder().header("cache-control", "no-cache");
    let built = if authorised {
        // The kid names the key the path asked for (…/keys/NAME[/VERSION]).
        let name = req.uri().path().split('/').nth(2).unwrap_or("zero");
        let mut key = zero_work_jwk().clone();
        key["kid"] =
            format!("https://{authority}/keys/{name}/00000000000000000000000000000000").into();
        let body = serde_json::json!({
            "key": key,
            "attributes": {
                "enabled": true,
                "created": 1_700_000_000,
                "updated": 1_700_000_000,
                "recoveryLevel": "Recoverable+Purgeable",
                "recoverableDays": 90,
            },
        });
        b.status(StatusCode::OK)
            .header("content-type", "application/json; charset=utf-8")
            .body(Full::new(Bytes::from(body.to_string())))
    } else {
        b.status(StatusCode::UNAUTHORIZED)
            .header(
                hyper::header::WWW_AUTHENTICATE,
                format!(
                    r#"Bearer authorization="https://login.microsoftonline.com/{}", resource="{}""#,
                    crate::EMULATOR_TENANT,
                    crate::challenge_resource(authority)
                ),
            )
            .body(Full::new(Bytes::new()))
    };
    built.unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
}

// The test drives the server with reqwest, a client-helpers dependency.
#[cfg(all(test, feature = "client-helpers"))]
mod tests {
    use super::*;

    fn count(line: &str, field: &str) -> u64 {
        line.split_whitespace()
            .find_map(|f| f.strip_prefix(field)?.strip_prefix('='))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }

    #[tokio::test]
    async fn zero_work_answers_the_challenge_then_a_key_and_counts_both() {
        let server = crate::Emulator::start_zero_work(crate::EmulatorOptions {
            token: Some(crate::DEFAULT_TOKEN.to_owned()),
            ..Default::default()
        })
        .await
        .unwrap();
        let ca = reqwest::Certificate::from_pem(server.ca_pem().as_bytes()).unwrap();
        let http = reqwest::Client::builder()
            .tls_certs_only([ca])
            .build()
            .unwrap();
        let before = stats_line();
        let url = format!("{}/keys/k1?api-version=2025-07-01", server.vault_url());
        let challenge = http.get(&url).send().await.unwrap();
        assert_eq!(challenge.status(), 401);
        let header = challenge.headers()["www-authenticate"].to_str().unwrap();
        assert!(header.contains("resource=\"https://127.0.0.1:"), "{header}");
        let wrong = http
            .get(&url)
            .bearer_auth("not-the-token")
            .send()
            .await
            .unwrap();
        assert_eq!(wrong.status(), 401, "the zero-work server checks the token");
        let ok = http
            .get(&url)
            .bearer_auth(crate::DEFAULT_TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(ok.status(), 200);
        let body: serde_json::Value = ok.json().await.unwrap();
        let kid = body["key"]["kid"].as_str().unwrap();
        assert!(
            kid.starts_with(&format!("{}/keys/k1/", server.vault_url())),
            "{kid}"
        );
        assert_eq!(body["key"]["crv"], "P-256");
        let after = stats_line();
        // Other tests in this process may add to the counters too.
        assert!(count(&after, "requests") >= count(&before, "requests") + 2);
        assert!(count(&after, "handshakes") > count(&before, "handshakes"));
    }
}
