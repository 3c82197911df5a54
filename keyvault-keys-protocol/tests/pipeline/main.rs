//! The hand-written pipeline against a scripted HTTPS server in the test
//! process: the challenge dance, resource verification, the TLS rule,
//! retries and each Retry-After form, re-authorisation, error bodies,
//! paging and `send_request`; and the hardening of issue 8: the scope
//! requested is the scope verified, the resource rule's scheme and port,
//! hostile Retry-After values, a probe that never runs an operation twice,
//! retries by operation class, the response-size limit and nextLink loops.
//!
//! One test binary, a module per concern.

#[path = "../common/mod.rs"]
mod common;
#[path = "../common/spans.rs"]
mod spans;

mod challenge;
mod errors;
mod paging;
mod probe;
mod raw;
mod responses;
mod retry;
mod size_limit;
#[path = "spans.rs"]
mod span_tests;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use futures::StreamExt as _;
use keyvault_keys_protocol::reqwest::{Method, StatusCode};
use keyvault_keys_protocol::{Client, ClientOptions, Error, RawRequest, RetryOptions, call, types};

/// A server that challenges unauthorised requests with `resource` and
/// answers authorised ones with `ok`.
async fn challenging_server(
    resource: impl Fn(u16) -> String + Send + Sync + 'static,
    ok: impl Fn(&Seen, u16) -> hyper::Response<http_body_util::Full<bytes::Bytes>>
    + Send
    + Sync
    + 'static,
) -> TestServer {
    TestServer::start(move |s, _, info| {
        if authorised(s) {
            ok(s, info.port)
        } else {
            unauthorized(&challenge(&resource(info.port)))
        }
    })
    .await
}

fn update_body() -> types::KeyUpdateParameters {
    types::KeyUpdateParameters {
        tags: Some([("purpose".to_owned(), "pipeline".to_owned())].into()),
        ..Default::default()
    }
}

fn uuid_like(s: &str) -> bool {
    s.len() == 36 && s.chars().filter(|c| *c == '-').count() == 4
}

/// A server that answers the n-th authorised request with `answers[n]`,
/// then 200.
async fn scripted(answers: Vec<(u16, Vec<(&'static str, String)>)>) -> TestServer {
    let answers = Arc::new(answers);
    let count = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    TestServer::start(move |s, _, info| {
        if !authorised(s) {
            return unauthorized(&challenge(&format!("https://localhost:{}", info.port)));
        }
        let n = count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        match answers.get(n) {
            Some((status, headers)) => {
                let mut r = json(
                    *status,
                    serde_json::json!({"error": {"code": "Throttled", "message": "slow down"}}),
                );
                for (k, v) in headers {
                    r.headers_mut().insert(*k, v.parse().expect("header"));
                }
                r
            }
            None => json(200, key_bundle(info.port, "k")),
        }
    })
    .await
}

async fn authorised_attempts(server: &TestServer) -> Vec<Seen> {
    server.seen().into_iter().filter(authorised).collect()
}

fn list_page(port: u16, names: &[&str], next: Option<String>) -> serde_json::Value {
    serde_json::json!({
        "value": names.iter().map(|n| serde_json::json!({"kid": format!("https://{VAULT_HOST}:{port}/keys/{n}"), "attributes": {"enabled": true}})).collect::<Vec<_>>(),
        "nextLink": next,
    })
}

// ---------------------------------------------------------------------------
// Issue 8, item 1: the scope requested is the scope verified.

/// A server whose challenge is `header(port)` and that answers authorised
/// requests with a key.
async fn server_challenging_with(
    header: impl Fn(u16) -> String + Send + Sync + 'static,
) -> TestServer {
    TestServer::start(move |s, _, info| {
        if authorised(s) {
            json(200, key_bundle(info.port, "k"))
        } else {
            unauthorized(&header(info.port))
        }
    })
    .await
}

// Issue 8, item 4: the challenge probe never makes an operation run twice.

/// A server that never challenges; `answer` sees each request.
async fn open_server(
    answer: impl Fn(&Seen, usize, u16) -> hyper::Response<http_body_util::Full<bytes::Bytes>>
    + Send
    + Sync
    + 'static,
) -> TestServer {
    TestServer::start(move |s, n, info| answer(s, n, info.port)).await
}

fn create_body() -> types::KeyCreateParameters {
    serde_json::from_value(serde_json::json!({"kty": "EC", "crv": "P-256"})).expect("create body")
}

fn jwk() -> types::JsonWebKey {
    serde_json::from_value(serde_json::json!({"kty": "oct", "k": "AAECAwQFBgcICQoLDA0ODw"}))
        .expect("jwk")
}

/// Runs one operation of the generated client by name.
async fn run_op(client: &Client, op: &str) -> Result<(), Error> {
    let import = types::KeyImportParameters {
        key: jwk(),
        ..Default::default()
    };
    let restore = types::KeyRestoreParameters {
        value: "YmFja3Vw".to_owned(),
        ..Default::default()
    };
    let crypto: types::KeyOperationsParameters =
        serde_json::from_value(serde_json::json!({"alg": "RSA-OAEP-256", "value": "AAEC"}))
            .expect("crypto body");
    match op {
        "create_key" => call(client.create_key("k", &create_body())).await.map(drop),
        "import_key" => call(client.import_key("k", &import)).await.map(drop),
        "rotate_key" => call(client.rotate_key("k")).await.map(drop),
        "restore_key" => call(client.restore_key(&restore)).await.map(drop),
        "recover_deleted_key" => call(client.recover_deleted_key("k")).await.map(drop),
        "purge_deleted_key" => call(client.purge_deleted_key("k")).await.map(drop),
        "get_key" => call(client.get_key("k", "")).await.map(drop),
        "update_key" => call(client.update_key("k", "", &update_body()))
            .await
            .map(drop),
        "update_key_rotation_policy" => {
            call(client.update_key_rotation_policy("k", &Default::default()))
                .await
                .map(drop)
        }
        "encrypt" => call(client.encrypt("k", "v", &crypto)).await.map(drop),
        "backup_key" => call(client.backup_key("k")).await.map(drop),
        other => panic!("no such operation in this test: {other}"),
    }
}
