//! Error kinds mean what their docs say: `Validation` only for refusals
//! before any request, `InvalidResponse` for a service answer that is not
//! what the API describes, `Timeout` for a wait that ran out after the
//! operation itself succeeded; and what the service does send (`null` for
//! members it has no value for, empty pages with a nextLink) is no error.
//!
//! The service is played by a scripted plain-HTTP server on loopback (the
//! client's `allow_insecure_loopback`), so a test can answer anything.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::TryStreamExt as _;
use keyvault_emulator::StaticTokenCredential;
use keyvault_keys::*;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

/// `(method, path, query)` → `(status, body)`.
type Handler = dyn Fn(&str, &str, &str) -> (u16, String) + Send + Sync;

/// A scripted vault: answers 401 with a challenge naming its own origin to
/// requests without a token, and `handler(method, path)` to the others.
struct Scripted {
    url: String,
    requests: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Scripted {
    async fn start(handler: impl Fn(&str, &str) -> (u16, String) + Send + Sync + 'static) -> Self {
        Self::start_with_query(move |method, path, _| handler(method, path)).await
    }

    /// As `start`, with the request's query string (without the `?`) too.
    async fn start_with_query(
        handler: impl Fn(&str, &str, &str) -> (u16, String) + Send + Sync + 'static,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let requests = Arc::new(AtomicUsize::new(0));
        let handler: Arc<Handler> = Arc::new(handler);
        let (origin, counter) = (url.clone(), requests.clone());
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (h, o, n) = (handler.clone(), origin.clone(), counter.clone());
                tokio::spawn(async move {
                    let _ = serve(stream, &*h, &o, &n).await;
                });
            }
        });
        Self {
            url,
            requests,
            task,
        }
    }

    fn client(&self) -> KeyClient {
        KeyClient::new(
            &self.url,
            Arc::new(StaticTokenCredential::new("token")),
            Some(KeyClientOptions {
                client_options: keyvault_keys::ClientOptions {
                    allow_insecure_loopback: true,
                    retry: RetryOptions {
                        max_retries: 0,
                        ..Default::default()
                    },
                    ..Default::default()
                },
            }),
        )
        .expect("client")
    }

    fn kid(&self, name: &str) -> String {
        format!("{}/keys/{name}/0123456789abcdef0123456789abcdef", self.url)
    }

    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

impl Drop for Scripted {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// One request per connection (the answer closes it).
async fn serve(
    mut stream: TcpStream,
    handler: &Handler,
    origin: &str,
    counter: &AtomicUsize,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.lines();
    let mut first = lines.next().unwrap_or_default().split(' ');
    let method = first.next().unwrap_or_default().to_owned();
    let target = first.next().unwrap_or_default().to_owned();
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let mut length = 0usize;
    let mut authorized = false;
    for line in lines {
        let lower = line.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
        if lower.starts_with("authorization:") {
            authorized = true;
        }
    }
    while buf.len() < head_end + length {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    counter.fetch_add(1, Ordering::SeqCst);
    let (status, body, extra) = if authorized {
        let (s, b) = handler(&method, path, query);
        (s, b, String::new())
    } else {
        (
            401,
            String::new(),
            format!(
                "WWW-Authenticate: Bearer authorization=\"https://login.microsoftonline.com/tenant\", resource=\"{origin}\"\r\n"
            ),
        )
    };
    let answer = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\nx-ms-request-id: rid\r\n{extra}Connection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(answer.as_bytes()).await?;
    stream.shutdown().await
}

fn not_found() -> (u16, String) {
    (
        404,
        r#"{"error":{"code":"KeyNotFound","message":"not found"}}"#.to_owned(),
    )
}

fn ec_key(kid: &str) -> String {
    format!(r#"{{"kid":"{kid}","kty":"EC","crv":"P-256","x":"AAAA","y":"AAAA"}}"#)
}

fn assert_invalid_response(what: &str, r: Result<impl std::fmt::Debug>) {
    let e = r.expect_err(what);
    assert_eq!(e.kind(), ErrorKind::InvalidResponse, "{what}: {e}");
}

#[tokio::test]
async fn malformed_key_bundles_are_invalid_responses() {
    // Each GET /keys/{name}/ answers a different malformed bundle.
    let server = Scripted::start(|_, path| {
        let body = match path.trim_end_matches('/') {
            "/keys/no-key" => r#"{"attributes":{"enabled":true}}"#.to_owned(),
            "/keys/no-kid" => {
                r#"{"key":{"kty":"EC","crv":"P-256","x":"AAAA","y":"AAAA"}}"#.to_owned()
            }
            "/keys/bad-kid" => format!(r#"{{"key":{}}}"#, ec_key("not a url")),
            "/keys/bad-b64" => {
                r#"{"key":{"kid":"KID","kty":"EC","x":"!!!","y":"AAAA"}}"#.to_owned()
            }
            "/keys/no-kty" => r#"{"key":{"kid":"KID"}}"#.to_owned(),
            "/keys/not-json" => "<html>proxy</html>".to_owned(),
            "/deletedkeys/no-key" => r#"{"recoveryId":"x"}"#.to_owned(),
            "/keys" => r#"{"value":[{"attributes":{}}]}"#.to_owned(),
            _ => return not_found(),
        };
        (200, body)
    })
    .await;
    let c = server.client();
    for name in [
        "no-key", "no-kid", "bad-kid", "bad-b64", "no-kty", "not-json",
    ] {
        assert_invalid_response(name, c.get_key(name, None).await);
    }
    assert_invalid_response("deleted", c.get_deleted_key("no-key", None).await);
    assert_invalid_response(
        "list item without kid",
        c.list_properties_of_keys(None)
            .try_collect::<Vec<_>>()
            .await,
    );
}

#[tokio::test]
async fn malformed_backup_random_bytes_and_release_answers_are_invalid_responses() {
    let server = Scripted::start(|_, path| match path {
        "/keys/empty/backup" => (200, "{}".to_owned()),
        "/keys/garbled/backup" => (200, r#"{"value":"!!not base64!!"}"#.to_owned()),
        "/rng" => (200, r#"{"value":"!!not base64!!"}"#.to_owned()),
        p if p.starts_with("/keys/k/") && p.ends_with("/release") => (200, "{}".to_owned()),
        _ => not_found(),
    })
    .await;
    let c = server.client();
    assert_invalid_response("backup without value", c.backup_key("empty", None).await);
    assert_invalid_response("backup not base64", c.backup_key("garbled", None).await);
    assert_invalid_response("random bytes", c.get_random_bytes(8, None).await);
    assert_invalid_response(
        "release without value",
        c.release_key("k", "attestation-token", None).await,
    );
}

/// Fast polling with a time-out, for `delete_key` or `recover_deleted_key`.
fn quick<T: From<PollOptions>>(timeout_ms: u64) -> Option<T> {
    Some(
        PollOptions {
            wait: true,
            poll_interval: Duration::from_millis(10),
            initial_interval: Duration::from_millis(10),
            timeout: Duration::from_millis(timeout_ms),
        }
        .into(),
    )
}

#[tokio::test]
async fn a_delete_whose_wait_runs_out_is_a_timeout_that_says_the_delete_succeeded() {
    // The DELETE answer names the server's own URL, known once it listens.
    let holder: Arc<std::sync::OnceLock<String>> = Arc::new(std::sync::OnceLock::new());
    let h = holder.clone();
    let server = Scripted::start(move |method, path| match (method, path) {
        ("DELETE", "/keys/k") => (200, h.get().cloned().unwrap_or_default()),
        _ => not_found(),
    })
    .await;
    let kid = server.kid("k");
    holder
        .set(format!(
            r#"{{"key":{},"recoveryId":"{}/deletedkeys/k","deletedDate":1700000000,"scheduledPurgeDate":1800000000}}"#,
            ec_key(&kid),
            server.url
        ))
        .expect("set once");
    let e = server
        .client()
        .delete_key("k", quick(60))
        .await
        .expect_err("the wait runs out");
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    let message = e.to_string();
    assert!(
        message.contains("delete") && message.contains("succeeded"),
        "the message says the delete itself succeeded: {message}"
    );
    assert!(e.status().is_none());
}

#[tokio::test]
async fn a_recovery_whose_wait_runs_out_is_a_timeout_that_says_the_recovery_succeeded() {
    let holder: Arc<std::sync::OnceLock<String>> = Arc::new(std::sync::OnceLock::new());
    let h = holder.clone();
    let server = Scripted::start(move |method, path| match (method, path) {
        ("POST", "/deletedkeys/k/recover") => (200, h.get().cloned().unwrap_or_default()),
        _ => not_found(),
    })
    .await;
    let kid = server.kid("k");
    holder
        .set(format!(r#"{{"key":{}}}"#, ec_key(&kid)))
        .expect("set once");
    let e = server
        .client()
        .recover_deleted_key("k", quick(60))
        .await
        .expect_err("the wait runs out");
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    let message = e.to_string();
    assert!(
        message.contains("recover") && message.contains("succeeded"),
        "the message says the recovery itself succeeded: {message}"
    );
}

#[tokio::test]
async fn a_public_exponent_above_i32_max_is_refused_before_any_request() {
    let server = Scripted::start(|_, _| not_found()).await;
    let c = server.client();
    for exponent in [i32::MAX as u32 + 1, u32::MAX] {
        let e = c
            .create_rsa_key(
                "k",
                Some(CreateKeyOptions {
                    public_exponent: Some(exponent),
                    ..Default::default()
                }),
            )
            .await
            .expect_err("refused");
        assert_eq!(e.kind(), ErrorKind::Validation, "{exponent}: {e}");
        assert!(e.to_string().contains("public_exponent"), "{e}");
    }
    // Any size that does not fit the wire's int32 is refused the same way
    // (EC sizes are otherwise left to the service).
    let e = c
        .create_ec_key(
            "k",
            Some(CreateKeyOptions {
                size: Some(u32::MAX),
                ..Default::default()
            }),
        )
        .await
        .expect_err("refused");
    assert_eq!(e.kind(), ErrorKind::Validation, "{e}");
    assert_eq!(server.requests(), 0, "nothing reached the server");
}

#[tokio::test]
async fn the_scripted_server_is_reached_by_valid_calls() {
    // The harness itself: a well-formed answer parses, so the failures
    // above come from the bodies, not from the harness.
    let holder: Arc<std::sync::OnceLock<String>> = Arc::new(std::sync::OnceLock::new());
    let h = holder.clone();
    let server = Scripted::start(move |method, path| match (method, path) {
        ("GET", "/keys/k/") => (200, h.get().cloned().unwrap_or_default()),
        _ => not_found(),
    })
    .await;
    let kid = server.kid("k");
    holder
        .set(format!(r#"{{"key":{}}}"#, ec_key(&kid)))
        .expect("set once");
    let key = server.client().get_key("k", None).await.expect("get");
    assert_eq!(key.id(), kid);
    assert!(server.requests() >= 1);
}

#[tokio::test]
async fn values_that_do_not_decode_are_invalid_responses_not_missing_values() {
    const KID: &str = "https://v.vault.azure.net/keys/k/0123";
    let key = format!(r#"{{"kid":"{KID}","kty":"EC","crv":"P-256","x":"AAAA","y":"AAAA"}}"#);
    let server = Scripted::start(move |_, path| {
        let body = match path.trim_end_matches('/') {
            // Beyond the year 9999: no OffsetDateTime holds it.
            "/keys/far-future" => {
                format!(r#"{{"key":{key},"attributes":{{"created":99999999999999}}}}"#)
            }
            "/keys/bad-policy" => format!(
                r#"{{"key":{key},"release_policy":{{"contentType":"application/json","data":"!!not base64!!"}}}}"#
            ),
            p if p.starts_with("/keys/bad-attestation") => format!(
                r#"{{"key":{key},"attributes":{{"attestation":{{"certificatePemFile":"!!not base64!!"}}}}}}"#
            ),
            "/deletedkeys/far-future" => format!(
                r#"{{"key":{key},"recoveryId":"x","scheduledPurgeDate":-99999999999999}}"#
            ),
            "/keys/far-future/rotationpolicy" => {
                r#"{"lifetimeActions":[],"attributes":{"updated":99999999999999}}"#.to_owned()
            }
            // A lifetime action without its type (issue 17: it was read as
            // an action named "").
            "/keys/no-action/rotationpolicy" => {
                r#"{"lifetimeActions":[{"trigger":{"timeAfterCreate":"P90D"}}]}"#.to_owned()
            }
            _ => return not_found(),
        };
        (200, body)
    })
    .await;
    let c = server.client();
    assert_invalid_response("timestamp", c.get_key("far-future", None).await);
    assert_invalid_response("release policy", c.get_key("bad-policy", None).await);
    assert_invalid_response(
        "attestation",
        c.get_key_attestation("bad-attestation", None).await,
    );
    assert_invalid_response(
        "deleted timestamp",
        c.get_deleted_key("far-future", None).await,
    );
    assert_invalid_response(
        "policy timestamp",
        c.get_key_rotation_policy("far-future", None).await,
    );
    assert_invalid_response(
        "lifetime action without a type",
        c.get_key_rotation_policy("no-action", None).await,
    );
}

#[tokio::test]
async fn a_next_link_off_the_vaults_origin_is_an_invalid_response_and_a_foreign_token_a_validation_error()
 {
    // The service sends a nextLink to another origin: the client refuses to
    // follow it (the token would leave the vault), and the fault is the
    // service's, not the caller's.
    let server = Scripted::start(|_, path| match path {
        "/keys" => (
            200,
            r#"{"value":[],"nextLink":"https://evil.example/keys?$skiptoken=1"}"#.to_owned(),
        ),
        _ => not_found(),
    })
    .await;
    let c = server.client();
    let e = c
        .list_properties_of_keys(None)
        .try_collect::<Vec<_>>()
        .await
        .expect_err("hostile nextLink");
    assert_eq!(e.kind(), ErrorKind::InvalidResponse, "{e}");
    assert!(e.to_string().contains("evil.example"), "{e}");
    let served = server.requests();
    // A continuation token the caller passes is the caller's input.
    let e = c
        .list_properties_of_keys(Some(ListPropertiesOfKeysOptions {
            continuation_token: Some("https://evil.example/keys?$skiptoken=1".to_owned()),
            ..Default::default()
        }))
        .try_collect::<Vec<_>>()
        .await
        .expect_err("foreign continuation token");
    assert_eq!(e.kind(), ErrorKind::Validation, "{e}");
    assert_eq!(server.requests(), served, "nothing was sent for it");
}

#[tokio::test]
async fn a_malformed_key_operation_answer_is_an_invalid_response() {
    // The key cannot be used locally (its point is not on the curve), so
    // the signature is asked of the vault, which answers garbage.
    let holder: Arc<std::sync::OnceLock<String>> = Arc::new(std::sync::OnceLock::new());
    let h = holder.clone();
    let server = Scripted::start(move |method, path| match (method, path) {
        ("GET", p) if p.starts_with("/keys/k/") => (200, h.get().cloned().unwrap_or_default()),
        ("POST", p) if p.ends_with("/sign") => {
            (200, r#"{"kid":"k","value":"!!not base64!!"}"#.to_owned())
        }
        _ => not_found(),
    })
    .await;
    let kid = server.kid("k");
    holder
        .set(format!(r#"{{"key":{}}}"#, ec_key(&kid)))
        .expect("set once");
    let c = server.client();
    let crypto = c
        .get_cryptography_client(
            "k",
            Some(GetCryptographyClientOptions {
                version: Some("0123456789abcdef0123456789abcdef".to_owned()),
            }),
        )
        .expect("crypto client");
    let e = Error::from(
        crypto
            .sign(&crypto::SignatureAlgorithm::Es256, &[7u8; 32], None)
            .await
            .expect_err("garbled signature"),
    );
    assert_eq!(e.kind(), ErrorKind::InvalidResponse, "{e}");
}

// ---------------------------------------------------------------------------
// What the service does send is no error.

fn query_value<'q>(query: &'q str, key: &str) -> Option<&'q str> {
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix(key)?.strip_prefix('='))
}

#[tokio::test]
async fn a_rotation_policy_with_null_members_is_a_policy_without_actions() {
    // The real service's answer for a key that never had a policy.
    let server = Scripted::start(|method, path| match (method, path) {
        ("GET", "/keys/k/rotationpolicy") => (
            200,
            r#"{"id":null,"lifetimeActions":null,"attributes":null}"#.to_owned(),
        ),
        _ => not_found(),
    })
    .await;
    let policy = server
        .client()
        .get_key_rotation_policy("k", None)
        .await
        .expect("a policy, not an invalid response");
    assert!(policy.lifetime_actions.is_empty(), "{policy:?}");
    assert_eq!(policy.id, None);
    assert_eq!(policy.expires_in, None);
    assert_eq!(policy.created_on, None);
    assert_eq!(policy.updated_on, None);
}

/// A vault whose listings at `/keys` and `/deletedkeys` are `pages`, each
/// page's nextLink (when `Some`) pointing at the next one; returns the
/// server and the number of list requests it answered.
async fn paged(pages: Vec<(&'static str, bool)>) -> (Scripted, Arc<AtomicUsize>) {
    let url: Arc<std::sync::OnceLock<String>> = Arc::new(std::sync::OnceLock::new());
    let served = Arc::new(AtomicUsize::new(0));
    let (u, n) = (url.clone(), served.clone());
    let server = Scripted::start_with_query(move |method, path, query| {
        if method != "GET" || !matches!(path, "/keys" | "/deletedkeys") {
            return not_found();
        }
        n.fetch_add(1, Ordering::SeqCst);
        let i: usize = query_value(query, "$skiptoken").map_or(0, |t| t.parse().expect("token"));
        let Some((items, has_next)) = pages.get(i) else {
            return not_found();
        };
        let base = u.get().expect("url");
        let value = items
            .replace("KID_A", &format!("{base}/keys/a"))
            .replace("KID_B", &format!("{base}/keys/b"));
        let next = if *has_next {
            format!(
                r#""{base}{path}?api-version=2025-07-01&$skiptoken={}""#,
                i + 1
            )
        } else {
            "null".to_owned()
        };
        (200, format!(r#"{{"value":{value},"nextLink":{next}}}"#))
    })
    .await;
    url.set(server.url.clone()).expect("set once");
    (server, served)
}

#[tokio::test]
async fn empty_and_null_pages_with_a_next_link_are_followed_to_a_null_next_link() {
    let item = |kid: &str| format!(r#"{{"kid":"{kid}","attributes":{{"enabled":true}}}}"#);
    let a: &'static str = Box::leak(format!("[{}]", item("KID_A")).into_boxed_str());
    let b: &'static str = Box::leak(format!("[{}]", item("KID_B")).into_boxed_str());
    // Empty, null, a, empty, b, then an empty last page: two items, six
    // requests, and nothing after the null nextLink.
    let (server, served) = paged(vec![
        ("[]", true),
        ("null", true),
        (a, true),
        ("[]", true),
        (b, true),
        ("[]", false),
    ])
    .await;
    let c = server.client();
    let keys: Vec<KeyProperties> = c
        .list_properties_of_keys(None)
        .try_collect()
        .await
        .expect("keys");
    let names: Vec<&str> = keys.iter().map(|k| k.name.as_str()).collect();
    assert_eq!(names, ["a", "b"]);
    assert_eq!(served.load(Ordering::SeqCst), 6);

    let deleted: Vec<DeletedKey> = c
        .list_deleted_keys(None)
        .try_collect()
        .await
        .expect("deleted keys");
    let names: Vec<&str> = deleted.iter().map(DeletedKey::name).collect();
    assert_eq!(names, ["a", "b"]);
    assert_eq!(served.load(Ordering::SeqCst), 12);
}

#[tokio::test]
async fn a_listing_of_one_empty_or_null_page_is_empty() {
    for last in ["[]", "null"] {
        let (server, served) = paged(vec![(last, false)]).await;
        let c = server.client();
        let keys: Vec<KeyProperties> = c
            .list_properties_of_keys(None)
            .try_collect()
            .await
            .unwrap_or_else(|e| panic!("value {last}: {e}"));
        assert!(keys.is_empty());
        let deleted: Vec<DeletedKey> = c
            .list_deleted_keys(None)
            .try_collect()
            .await
            .unwrap_or_else(|e| panic!("value {last}: {e}"));
        assert!(deleted.is_empty());
        assert_eq!(served.load(Ordering::SeqCst), 2, "value {last}");
    }
    // `{"value": null}` with no nextLink member at all.
    let server = Scripted::start(|_, path| match path {
        "/keys" | "/deletedkeys" => (200, r#"{"value":null}"#.to_owned()),
        _ => not_found(),
    })
    .await;
    let c = server.client();
    let keys: Vec<KeyProperties> = c
        .list_properties_of_keys(None)
        .try_collect()
        .await
        .expect("keys");
    assert!(keys.is_empty());
    let deleted: Vec<DeletedKey> = c
        .list_deleted_keys(None)
        .try_collect()
        .await
        .expect("deleted");
    assert!(deleted.is_empty());
}
