//! An in-process entry point to the request handler, for fuzzing: no
//! sockets, no TLS, the real routing and handlers against an in-memory
//! vault. Not part of the supported API.
//!
//! ```
//! let h = keyvault_emulator::fuzzing::Harness::new().expect("harness");
//! let (status, body) = h.handle("POST", "/keys/k/create?api-version=7.6", &[], br#"{"kty":"EC"}"#);
//! assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
//! h.check_invariants().expect("invariants");
//! ```

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};

use crate::server::{Outcome, Shared};

/// An in-memory vault and a current-thread runtime, created once and
/// reused for every request.
pub struct Harness {
    shared: Arc<Shared>,
    runtime: tokio::runtime::Runtime,
    seen: Mutex<HashSet<String>>,
}

impl std::fmt::Debug for Harness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Harness")
    }
}

fn refused(message: &str) -> (u16, Vec<u8>) {
    let body = serde_json::json!({"error": {"code": "BadRequest", "message": message}});
    (400, body.to_string().into_bytes())
}

impl Harness {
    /// A fresh in-memory vault that accepts the default token.
    pub fn new() -> Result<Self, String> {
        let options = crate::EmulatorOptions {
            limits: crate::ConnectionLimits {
                body_read_timeout: std::time::Duration::from_secs(5),
                ..Default::default()
            },
            ..Default::default()
        };
        let mut shared = Shared::new(&options).map_err(|e| e.to_string())?;
        // Keys are generated once per key spec for the whole process: a fuzz
        // run should spend its time in request handling, not RSA generation.
        static KEYS: std::sync::OnceLock<crate::server::KeyMemo> = std::sync::OnceLock::new();
        shared.key_memo = Some(KEYS.get_or_init(Default::default).clone());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            shared: Arc::new(shared),
            runtime,
            seen: Mutex::new(HashSet::new()),
        })
    }

    /// Runs one request through the real handler; returns the status and
    /// body. Sent with `Authorization: Bearer <default token>` and `Host:
    /// vault.localhost` unless `headers` name those. A method or URI that
    /// HTTP itself could not carry is answered 400 by the harness.
    pub fn handle(
        &self,
        method: &str,
        path_and_query: &str,
        headers: &[(String, String)],
        body: &[u8],
    ) -> (u16, Vec<u8>) {
        let Ok(method) = hyper::Method::from_bytes(method.as_bytes()) else {
            return refused("not an HTTP method");
        };
        let Ok(uri) = path_and_query.parse::<hyper::Uri>() else {
            return refused("not a request target");
        };
        let mut req = hyper::Request::new(Full::new(Bytes::copy_from_slice(body)));
        *req.method_mut() = method;
        *req.uri_mut() = uri;
        let h = req.headers_mut();
        h.insert(
            hyper::header::HOST,
            hyper::header::HeaderValue::from_static("vault.localhost"),
        );
        if let Ok(v) =
            hyper::header::HeaderValue::from_str(&format!("Bearer {}", crate::DEFAULT_TOKEN))
        {
            h.insert(hyper::header::AUTHORIZATION, v);
        }
        for (name, value) in headers {
            if let (Ok(n), Ok(v)) = (
                hyper::header::HeaderName::from_bytes(name.as_bytes()),
                hyper::header::HeaderValue::from_str(value),
            ) {
                h.insert(n, v);
            }
        }
        let shared = self.shared.clone();
        self.runtime.block_on(async move {
            match crate::server::serve(shared, req).await {
                Outcome::Answer(resp) => {
                    let status = resp.status().as_u16();
                    let bytes = resp
                        .into_body()
                        .collect()
                        .await
                        .map(|b| b.to_bytes().to_vec())
                        .unwrap_or_default();
                    (status, bytes)
                }
                Outcome::Drop => (0, Vec::new()),
            }
        })
    }

    /// Checks the vault's invariants: every key stored under its lowercased
    /// name, a valid name, at least one version, unique well-formed version
    /// ids, every version's kid naming its key and version, and every
    /// stored key parsing with its private material.
    pub fn check_invariants(&self) -> Result<(), String> {
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        match self.shared.estate.first() {
            Some(v) => v.read().check_invariants(&mut seen),
            None => Ok(()),
        }
    }
}

/// Checks an answer: a 4xx/5xx body is JSON with `error.code`; a 2xx body
/// is empty or JSON.
pub fn check_answer(status: u16, body: &[u8]) -> Result<(), String> {
    let text = String::from_utf8_lossy(body);
    if status >= 400 {
        let v: serde_json::Value = serde_json::from_slice(body)
            .map_err(|e| format!("{status} answer is not JSON ({e}): {text}"))?;
        if !v["error"]["code"].is_string() {
            return Err(format!("{status} answer has no error.code: {text}"));
        }
    } else if !body.is_empty() {
        serde_json::from_slice::<serde_json::Value>(body)
            .map_err(|e| format!("{status} answer is not JSON ({e}): {text}"))?;
    }
    Ok(())
}

/// A request derived from fuzzer bytes.
#[derive(Clone, Debug)]
pub struct Input {
    /// The method.
    pub method: String,
    /// Path and query.
    pub path_and_query: String,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

const METHODS: &[&str] = &["GET", "PUT", "POST", "PATCH", "DELETE", "HEAD", "OPTIONS"];
const SEGMENTS: &[&str] = &[
    "keys",
    "deletedkeys",
    "rng",
    "restore",
    "create",
    "rotate",
    "backup",
    "versions",
    "rotationpolicy",
    "recover",
    "encrypt",
    "decrypt",
    "sign",
    "verify",
    "wrapkey",
    "unwrapkey",
    "release",
    "attestation",
    "k",
    "K",
    "k2",
    "kek",
    "",
    "%2e%2e",
    "a%20b",
    "0123456789abcdef0123456789abcdef",
];
// Mostly valid versions: a request without one is refused before routing.
const QUERIES: &[&str] = &[
    "?api-version=7.6",
    "?api-version=2025-07-01",
    "?api-version=7.4",
    "?api-version=7.6",
    "?api-version=2025-07-01&maxresults=1",
    "?api-version=7.6&maxresults=0",
    "?api-version=2025-07-01&maxresults=26",
    "?api-version=7.6&$skiptoken=b2Zmc2V0OjE",
    "?api-version=7.6&$skiptoken=%%%",
    "?api-version=7.2",
    "?api-version",
    "",
    "?api-version=2099-01-01",
];
const BODIES: &[&str] = &[
    r#"{"kty":"EC"}"#,
    r#"{"kty":"EC-HSM","crv":"P-384"}"#,
    r#"{"kty":"oct-HSM","key_size":256}"#,
    r#"{"kty":"oct","key_size":128,"key_ops":["encrypt","decrypt"]}"#,
    r#"{"kty":"RSA","key_size":2048}"#,
    r#"{"kty":"RSA-HSM","key_ops":["import"]}"#,
    r#"{"kty":"EC","attributes":{"exportable":true}}"#,
    r#"{"attributes":{"enabled":false,"exp":1}}"#,
    r#"{"attributes":{"exportable":true},"tags":{"a":"b"}}"#,
    r#"{"tags":{},"key_ops":[]}"#,
    r#"{"lifetimeActions":[{"trigger":{"timeAfterCreate":"P90D"},"action":{"type":"Rotate"}}],"attributes":{"expiryTime":"P1Y"}}"#,
    r#"{"lifetimeActions":[],"attributes":{"expiryTime":"P99999999D"}}"#,
    r#"{"lifetimeActions":[],"attributes":{"expiryTime":"P9223372036854775807W"}}"#,
    r#"{"alg":"A256GCM","value":"AAAA"}"#,
    r#"{"alg":"RSA-OAEP","value":"AAAA"}"#,
    r#"{"alg":"ES256","value":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}"#,
    r#"{"alg":"ES256","digest":"AAAA","value":"AAAA"}"#,
    r#"{"count":16}"#,
    r#"{"count":1000}"#,
    r#"{"value":"S1ZFTVUtQkFDS1VQLTE"}"#,
    r#"{"target":"a.b.c"}"#,
    r#"{"key":{"kty":"oct","k":"AAAAAAAAAAAAAAAAAAAAAA"}}"#,
    r#"{"key":{"kty":"RSA-HSM","key_hsm":"e30"}}"#,
    r#"{"key":{"kty":"EC","crv":"P-256","x":"AA","y":"AA","d":"AA"}}"#,
    "",
    "{",
    "[]",
    "null",
];

/// Reads fuzzer bytes as choices.
struct Choices<'a>(&'a [u8]);

impl Choices<'_> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((b, rest)) => {
                self.0 = rest;
                *b
            }
            None => 0,
        }
    }
    fn pick<'s>(&mut self, from: &[&'s str]) -> &'s str {
        from[self.byte() as usize % from.len()]
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        let n = n.min(self.0.len());
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        a.to_vec()
    }
}

impl Input {
    /// Derives a request: a method from a small set, a path of real route
    /// fragments mixed with raw bytes, a query, maybe a header, and a
    /// JSON-ish body (a template, a template with bytes spliced in, or the
    /// raw remaining bytes).
    pub fn from_bytes(data: &[u8]) -> Self {
        let mut c = Choices(data);
        let method = c.pick(METHODS).to_owned();
        let mut path = String::new();
        let shape = c.byte();
        if shape % 8 == 0 {
            // Free-form: route fragments and raw bytes in any order.
            for _ in 0..1 + c.byte() % 5 {
                path.push('/');
                if c.byte() % 4 == 0 {
                    let len = (c.byte() % 8) as usize;
                    path.push_str(&String::from_utf8_lossy(&c.bytes(len)));
                } else {
                    path.push_str(c.pick(SEGMENTS));
                }
            }
        } else {
            // Shaped like the routes: /keys/NAME/VERSION-or-OP/OP.
            let levels: [&[&str]; 4] = [
                &["keys", "keys", "keys", "deletedkeys", "rng", "keys"],
                &["k", "K", "k2", "kek", "restore", "k"],
                &[
                    "create",
                    "rotate",
                    "backup",
                    "versions",
                    "rotationpolicy",
                    "recover",
                    "",
                    "create",
                    "attestation",
                ],
                &[
                    "encrypt",
                    "decrypt",
                    "sign",
                    "verify",
                    "wrapkey",
                    "unwrapkey",
                    "release",
                    "attestation",
                ],
            ];
            for level in levels.iter().take(1 + (shape as usize >> 3) % 4) {
                path.push('/');
                path.push_str(c.pick(level));
            }
        }
        path.push_str(c.pick(QUERIES));
        let mut headers = Vec::new();
        match c.byte() % 8 {
            5 => headers.push(("authorization".to_owned(), "Bearer ".to_owned())),
            6 => headers.push(("host".to_owned(), "[::1]:8443".to_owned())),
            7 => headers.push(("x-ms-client-request-id".to_owned(), "id\u{7f}".to_owned())),
            _ => {}
        }
        let body = match c.byte() % 4 {
            0 => c.0.to_vec(),
            1 => {
                let mut b = c.pick(BODIES).as_bytes().to_vec();
                let at = if b.is_empty() {
                    0
                } else {
                    c.byte() as usize % b.len()
                };
                let len = (c.byte() % 16) as usize;
                let insert = c.bytes(len);
                b.splice(at..at, insert);
                b
            }
            _ => c.pick(BODIES).as_bytes().to_vec(),
        };
        Self {
            method,
            path_and_query: path,
            headers,
            body,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shared_across_threads<T: Send + Sync>() {}

    /// The fuzz target's loop, run without cargo-fuzz: 2,000 pseudo-random
    /// requests from a fixed seed (`KEYVAULT_FUZZ_REQUESTS` and
    /// `KEYVAULT_FUZZ_SEED` change them).
    #[test]
    fn two_thousand_pseudo_random_requests_keep_the_invariants() {
        shared_across_threads::<Harness>();
        let requests: usize = std::env::var("KEYVAULT_FUZZ_REQUESTS")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(2000);
        let h = Harness::new().expect("harness");
        let mut state = std::env::var("KEYVAULT_FUZZ_SEED")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0x5eed_u64);
        let mut next = || {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        let mut statuses = std::collections::BTreeMap::new();
        for i in 0..requests {
            let len = 8 + (next() % 64) as usize;
            let data: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            let mut input = Input::from_bytes(&data);
            // RSA generation is slow in debug builds: keep it rare.
            if i % 50 != 0 && input.body.windows(3).any(|w| w == b"RSA") {
                input.body = br#"{"kty":"EC"}"#.to_vec();
            }
            let (status, body) = h.handle(
                &input.method,
                &input.path_and_query,
                &input.headers,
                &input.body,
            );
            assert_ne!(status, 500, "{input:?}: {}", String::from_utf8_lossy(&body));
            check_answer(status, &body).unwrap_or_else(|e| panic!("{input:?}: {e}"));
            *statuses.entry(status).or_insert(0) += 1;
            h.check_invariants()
                .unwrap_or_else(|e| panic!("after {input:?}: {e}"));
        }
        assert!(
            statuses.get(&200).copied().unwrap_or(0) > 20,
            "{statuses:?}"
        );
    }
}
