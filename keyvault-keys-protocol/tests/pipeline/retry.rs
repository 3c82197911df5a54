//! Retries: each Retry-After form, bounds, connection errors, and retries
//! by what each operation does (issue 8, item 5).

use super::*;

#[tokio::test]
async fn retries_honour_each_retry_after_form_and_keep_the_request_id() {
    let past = httpdate::fmt_http_date(std::time::SystemTime::now() - Duration::from_secs(30));
    let server = scripted(vec![
        (429, vec![("retry-after-ms", "5".to_owned())]),
        (503, vec![("x-ms-retry-after-ms", "5".to_owned())]),
        (429, vec![("retry-after", "0".to_owned())]),
        (503, vec![("retry-after", past)]),
        (500, vec![]),
    ])
    .await;
    let options = ClientOptions {
        retry: RetryOptions {
            max_retries: 6,
            initial_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(2),
            ..Default::default()
        },
        ..server.options()
    };
    let client = Client::with_credential(&server.vault_url(), RecordingCredential::new(), options)
        .expect("client");
    call(client.update_key("k", "", &update_body()))
        .await
        .expect("succeeds after five retries");
    let attempts = authorised_attempts(&server).await;
    assert_eq!(attempts.len(), 6);
    let ids: std::collections::BTreeSet<_> = server
        .seen()
        .iter()
        .filter_map(|s| s.header("x-ms-client-request-id"))
        .collect();
    assert_eq!(
        ids.len(),
        1,
        "one request id across the probe and every attempt"
    );
    assert!(
        attempts.iter().all(|a| !a.body.is_empty()),
        "every retry carries the body"
    );
}

#[tokio::test]
async fn a_server_delay_longer_than_allowed_ends_the_retries() {
    // Each form of a long delay: the response comes back after one attempt.
    let far = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(3600));
    for header in [
        ("retry-after", "3600".to_owned()),
        ("retry-after", far),
        ("retry-after-ms", "3600000".to_owned()),
        ("x-ms-retry-after-ms", "3600000".to_owned()),
    ] {
        let server = scripted(vec![(429, vec![header.clone()])]).await;
        let options = ClientOptions {
            retry: RetryOptions {
                max_retry_after: Duration::from_secs(60),
                ..server.options().retry
            },
            ..server.options()
        };
        let client =
            Client::with_credential(&server.vault_url(), RecordingCredential::new(), options)
                .expect("client");
        let err = call(client.get_key("k", ""))
            .await
            .expect_err("429 returned");
        assert_eq!(
            err.status(),
            Some(StatusCode::TOO_MANY_REQUESTS),
            "{header:?}"
        );
        assert_eq!(authorised_attempts(&server).await.len(), 1, "{header:?}");
    }
}

#[tokio::test]
async fn retries_stop_after_max_retries_and_do_not_retry_client_errors() {
    let server = scripted((0..10).map(|_| (503, vec![])).collect()).await;
    let options = ClientOptions {
        retry: RetryOptions {
            max_retries: 2,
            ..server.options().retry
        },
        ..server.options()
    };
    let client = Client::with_credential(&server.vault_url(), RecordingCredential::new(), options)
        .expect("client");
    let err = call(client.get_key("k", "")).await.expect_err("503");
    assert_eq!(err.status(), Some(StatusCode::SERVICE_UNAVAILABLE));
    assert_eq!(authorised_attempts(&server).await.len(), 3);

    let server = scripted(vec![(409, vec![])]).await;
    let err = call(server.client(RecordingCredential::new()).get_key("k", ""))
        .await
        .expect_err("409");
    assert_eq!(err.status(), Some(StatusCode::CONFLICT));
    assert_eq!(authorised_attempts(&server).await.len(), 1);
}

#[tokio::test]
async fn connection_errors_are_retried() {
    // The first connection is accepted and dropped at once; later ones get the real server.
    let server = challenging_server(
        |p| format!("https://localhost:{p}"),
        |_, p| json(200, key_bundle(p, "k")),
    )
    .await;
    let flaky = common::fresh_listener().await;
    let flaky_addr = flaky.local_addr().expect("addr");
    let target = server.addr;
    let drops = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let drops2 = drops.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut inbound, _)) = flaky.accept().await else {
                continue;
            };
            if drops2.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
                drop(inbound);
                continue;
            }
            tokio::spawn(async move {
                if let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
    let http = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(server.ca_pem.as_bytes()).expect("pem")])
        .resolve(VAULT_HOST, flaky_addr)
        .build()
        .expect("client");
    // The challenge resource names the server's port, not the proxy's: verification off here.
    let options = ClientOptions {
        http_client: Some(http),
        verify_challenge_resource: false,
        ..server.options()
    };
    let url = format!("https://{VAULT_HOST}:{}", flaky_addr.port());
    let client =
        Client::with_credential(&url, RecordingCredential::new(), options).expect("client");
    call(client.get_key("k", ""))
        .await
        .expect("succeeds after a dropped connection");
    assert!(drops.load(std::sync::atomic::Ordering::SeqCst) >= 2);
}

// Issue 8, item 3: a hostile Retry-After never panics.

#[tokio::test]
async fn a_hostile_retry_after_gives_a_bounded_delay_or_none() {
    for (name, value) in [
        ("retry-after-ms", "1e30"),
        ("x-ms-retry-after-ms", "1e300"),
        ("retry-after", "99999999999999999999999999"),
        ("retry-after", "Fri, 31 Dec 9999 23:59:59 GMT"),
    ] {
        let server = scripted(vec![(429, vec![(name, value.to_owned())])]).await;
        let client = server.client(RecordingCredential::new());
        let err = call(client.get_key("k", ""))
            .await
            .expect_err("the 429 comes back: the delay is longer than allowed");
        assert_eq!(
            err.status(),
            Some(StatusCode::TOO_MANY_REQUESTS),
            "{name}: {value}"
        );
        assert_eq!(
            authorised_attempts(&server).await.len(),
            1,
            "{name}: {value}"
        );
    }
}

// Issue 8, item 5: retry by what each operation does.

#[derive(Clone, Copy, Debug)]
enum Fault {
    /// Carry the operation out, then drop the connection without answering.
    ActThenDrop,
    /// Answer with this status (and a `retry-after-ms: 1` when `true`) without acting.
    Refuse(u16, bool),
    /// Answer with this error status after acting (what a 500 may hide).
    ActThenStatus(u16),
}

/// A vault that challenges unauthorised requests. Authorised requests to
/// `method path` meet `script[n]` (n counting them), then are carried out
/// and answered by `ok`; `acted` counts how often the operation was carried
/// out. Other authorised requests are answered by `ok`.
async fn acting_server(
    method: &'static str,
    path: &'static str,
    script: Vec<Fault>,
    ok: impl Fn(&Seen, u16) -> hyper::Response<http_body_util::Full<bytes::Bytes>>
    + Send
    + Sync
    + 'static,
) -> (TestServer, Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::Ordering::SeqCst;
    let acted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let acted2 = acted.clone();
    let n = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let server = TestServer::start(move |s, _, info| {
        let p = info.port;
        if !authorised(s) {
            return unauthorized(&challenge(&format!("https://localhost:{p}")));
        }
        if s.method != method || s.path != path {
            return ok(s, p);
        }
        match script.get(n.fetch_add(1, SeqCst)) {
            Some(Fault::ActThenDrop) => {
                acted2.fetch_add(1, SeqCst);
                drop_connection()
            }
            Some(Fault::Refuse(status, retry_after)) => {
                let mut r = json(
                    *status,
                    serde_json::json!({"error": {"code": "Busy", "message": "not now"}}),
                );
                if *retry_after {
                    r.headers_mut()
                        .insert("retry-after-ms", "1".parse().expect("header"));
                }
                r
            }
            Some(Fault::ActThenStatus(status)) => {
                acted2.fetch_add(1, SeqCst);
                json(
                    *status,
                    serde_json::json!({"error": {"code": "InternalError", "message": "oops"}}),
                )
            }
            None => {
                acted2.fetch_add(1, SeqCst);
                ok(s, p)
            }
        }
    })
    .await;
    (server, acted)
}

fn key_ok(_: &Seen, p: u16) -> hyper::Response<http_body_util::Full<bytes::Bytes>> {
    json(200, key_bundle(p, "k"))
}

fn deleted_ok(_: &Seen, p: u16) -> hyper::Response<http_body_util::Full<bytes::Bytes>> {
    let mut b = key_bundle(p, "k");
    b["recoveryId"] = serde_json::json!(format!("https://{VAULT_HOST}:{p}/deletedkeys/k"));
    json(200, b)
}

const UNREPEATABLE: [(&str, &str, &str); 6] = [
    ("create_key", "POST", "/keys/k/create"),
    ("import_key", "PUT", "/keys/k"),
    ("rotate_key", "POST", "/keys/k/rotate"),
    ("restore_key", "POST", "/keys/restore"),
    ("recover_deleted_key", "POST", "/deletedkeys/k/recover"),
    ("purge_deleted_key", "DELETE", "/deletedkeys/k"),
];

#[tokio::test]
async fn an_unrepeatable_operation_is_not_repeated_after_the_service_may_have_acted() {
    for (op, method, path) in UNREPEATABLE {
        let ok = move |s: &Seen, p: u16| {
            if op == "purge_deleted_key" {
                raw(204, "application/json", "")
            } else {
                key_ok(s, p)
            }
        };
        let (server, acted) = acting_server(method, path, vec![Fault::ActThenDrop], ok).await;
        let client = server.client(RecordingCredential::new());
        let err = run_op(&client, op).await.expect_err(op);
        assert!(err.is_outcome_unknown(), "{op}: {err:?}");
        let text = err.to_string();
        assert!(
            text.contains(op) && text.contains(method) && text.contains(path),
            "{op}: the message names the operation: {text}"
        );
        assert!(text.contains("may or may not"), "{text}");
        assert!(
            matches!(&err, Error::OutcomeUnknown { cause, .. } if matches!(**cause, Error::Transport(_))),
            "{op}: the cause is the transport error: {err:?}"
        );
        assert_eq!(acted.load(std::sync::atomic::Ordering::SeqCst), 1, "{op}");
        assert_eq!(authorised_attempts(&server).await.len(), 1, "{op}");

        // An error status that may hide an act (500, 502, 504, 503 without
        // Retry-After) is not retried either; status and body are kept.
        for status in [500, 502, 503, 504] {
            let (server, acted) =
                acting_server(method, path, vec![Fault::ActThenStatus(status)], ok).await;
            let client = server.client(RecordingCredential::new());
            let err = run_op(&client, op).await.expect_err(op);
            assert!(err.is_outcome_unknown(), "{op} {status}: {err:?}");
            assert_eq!(err.status().map(|s| s.as_u16()), Some(status), "{op}");
            let http = err.http().expect("the answer is kept");
            assert_eq!(http.code.as_deref(), Some("InternalError"));
            assert_eq!(
                http.request_id.as_deref(),
                Some(format!("req-{status}").as_str())
            );
            assert!(!http.body.is_empty());
            assert_eq!(
                acted.load(std::sync::atomic::Ordering::SeqCst),
                1,
                "{op} {status}"
            );
            assert_eq!(authorised_attempts(&server).await.len(), 1, "{op} {status}");
        }

        // Answers that say the service did not act are retried.
        let (server, acted) = acting_server(
            method,
            path,
            vec![
                Fault::Refuse(408, false),
                Fault::Refuse(429, false),
                Fault::Refuse(503, true),
            ],
            ok,
        )
        .await;
        run_op(&server.client(RecordingCredential::new()), op)
            .await
            .unwrap_or_else(|e| panic!("{op}: retried to success, got {e:?}"));
        assert_eq!(acted.load(std::sync::atomic::Ordering::SeqCst), 1, "{op}");
        assert_eq!(authorised_attempts(&server).await.len(), 4, "{op}");
    }
}

#[tokio::test]
async fn repeatable_operations_are_retried_after_a_dropped_connection() {
    for (op, method, path) in [
        ("get_key", "GET", "/keys/k/"),
        ("update_key", "PATCH", "/keys/k/"),
        (
            "update_key_rotation_policy",
            "PUT",
            "/keys/k/rotationpolicy",
        ),
        ("encrypt", "POST", "/keys/k/v/encrypt"),
        ("backup_key", "POST", "/keys/k/backup"),
    ] {
        let ok = move |s: &Seen, p: u16| match op {
            "update_key_rotation_policy" => json(200, serde_json::json!({"id": "x"})),
            "encrypt" => json(200, serde_json::json!({"kid": "x", "value": "AAEC"})),
            "backup_key" => json(200, serde_json::json!({"value": "YmFja3Vw"})),
            _ => key_ok(s, p),
        };
        let (server, acted) = acting_server(
            method,
            path,
            vec![Fault::ActThenDrop, Fault::ActThenStatus(500)],
            ok,
        )
        .await;
        run_op(&server.client(RecordingCredential::new()), op)
            .await
            .unwrap_or_else(|e| panic!("{op}: retried to success, got {e:?}"));
        assert_eq!(acted.load(std::sync::atomic::Ordering::SeqCst), 3, "{op}");
        assert_eq!(authorised_attempts(&server).await.len(), 3, "{op}");
    }
}

#[tokio::test]
async fn a_connection_that_fails_before_the_request_is_sent_is_retried_for_a_create() {
    // A proxy in front of the vault drops the second connection at once
    // (the first carries the challenge probe); every request gets a new
    // connection.
    let (server, acted) = acting_server("POST", "/keys/k/create", vec![], key_ok).await;
    let proxy = common::fresh_listener().await;
    let proxy_addr = proxy.local_addr().expect("addr");
    let target = server.addr;
    let connections = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let c2 = connections.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut inbound, _)) = proxy.accept().await else {
                continue;
            };
            if c2.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 1 {
                drop(inbound);
                continue;
            }
            tokio::spawn(async move {
                if let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
    let http = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(server.ca_pem.as_bytes()).expect("pem")])
        .resolve(VAULT_HOST, proxy_addr)
        .resolve("localhost", proxy_addr)
        .pool_max_idle_per_host(0)
        .build()
        .expect("client");
    let options = ClientOptions {
        http_client: Some(http),
        verify_challenge_resource: false,
        ..server.options()
    };
    let url = format!("https://{VAULT_HOST}:{}", proxy_addr.port());
    let client =
        Client::with_credential(&url, RecordingCredential::new(), options).expect("client");
    call(client.create_key("k", &create_body()))
        .await
        .expect("retried after a failure before sending");
    assert!(connections.load(std::sync::atomic::Ordering::SeqCst) >= 3);
    assert_eq!(acted.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[tokio::test]
async fn delete_key_treats_already_deleted_on_a_retry_as_success() {
    use std::sync::atomic::Ordering::SeqCst;
    let deleted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let d2 = deleted.clone();
    let server = TestServer::start(move |s, _, info| {
        let p = info.port;
        if !authorised(s) {
            return unauthorized(&challenge(&format!("https://localhost:{p}")));
        }
        match (s.method.as_str(), s.path.as_str()) {
            ("DELETE", "/keys/k") => {
                if d2.fetch_add(1, SeqCst) == 0 {
                    drop_connection() // deleted, but the answer is lost
                } else {
                    json(404, serde_json::json!({"error": {"code": "KeyNotFound", "message": "no key k"}}))
                }
            }
            ("GET", "/deletedkeys/k") if d2.load(SeqCst) > 0 => deleted_ok(s, p),
            _ => json(404, serde_json::json!({"error": {"code": "KeyNotFound", "message": "no key"}})),
        }
    })
    .await;
    let client = server.client(RecordingCredential::new());
    let bundle = call(client.delete_key("k"))
        .await
        .expect("the key is deleted: success");
    assert!(
        bundle
            .recovery_id
            .is_some_and(|r| r.ends_with("/deletedkeys/k"))
    );
    assert_eq!(deleted.load(SeqCst), 2, "the delete and one retry");

    // Without an earlier attempt whose outcome is unknown, a 404 is a 404.
    let err = call(client.delete_key("other")).await.expect_err("404");
    assert_eq!(err.status(), Some(StatusCode::NOT_FOUND));
}

#[tokio::test]
async fn send_request_retries_by_method_and_path() {
    // A raw create is not repeated after the service may have acted.
    let (server, acted) =
        acting_server("POST", "/keys/k/create", vec![Fault::ActThenDrop], key_ok).await;
    let client = server.client(RecordingCredential::new());
    let err = client
        .send_request(
            RawRequest::new(Method::POST, "/keys/k/create")
                .with_json(&serde_json::json!({"kty": "EC"}))
                .expect("json"),
        )
        .await
        .expect_err("outcome unknown");
    assert!(err.is_outcome_unknown(), "{err:?}");
    assert!(err.to_string().contains("send_request"), "{err}");
    assert_eq!(acted.load(std::sync::atomic::Ordering::SeqCst), 1);

    // A raw GET is.
    let (server, acted) = acting_server("GET", "/keys/k", vec![Fault::ActThenDrop], key_ok).await;
    let r = server
        .client(RecordingCredential::new())
        .send_request(RawRequest::new(Method::GET, "/keys/k"))
        .await
        .expect("retried");
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(acted.load(std::sync::atomic::Ordering::SeqCst), 2);
}

// Finding 2: a success of an unrepeatable write whose answer cannot be read.

#[tokio::test]
async fn an_unreadable_success_of_an_unrepeatable_write_is_outcome_unknown() {
    let server = challenging_server(
        |p| format!("https://localhost:{p}"),
        |_, _| truncated(200, 1000, b"{\"key\": {"),
    )
    .await;
    let client = server.client(RecordingCredential::new());
    let err = call(client.create_key("k", &create_body()))
        .await
        .expect_err("truncated create");
    assert!(err.is_outcome_unknown(), "{err:?}");
    assert!(
        matches!(&err, Error::OutcomeUnknown { cause, .. } if matches!(**cause, Error::Transport(_))),
        "{err:?}"
    );
    assert_eq!(
        authorised_attempts(&server).await.len(),
        1,
        "not sent again"
    );
    let err = call(client.delete_key("k"))
        .await
        .expect_err("truncated delete");
    assert!(err.is_outcome_unknown(), "{err:?}");
    // A read whose answer cannot be read is an ordinary transport error.
    let err = call(client.get_key("k", ""))
        .await
        .expect_err("truncated get");
    assert!(!err.is_outcome_unknown(), "{err:?}");
}
