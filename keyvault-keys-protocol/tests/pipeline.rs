//! The hand-written pipeline against a scripted HTTPS server in the test
//! process: the challenge dance, resource verification, the TLS rule,
//! retries and each Retry-After form, re-authorisation, error bodies,
//! paging and `send_request`; and the hardening of issue 8: the scope
//! requested is the scope verified, the resource rule's scheme and port,
//! hostile Retry-After values, a probe that never runs an operation twice,
//! retries by operation class, the response-size limit and nextLink loops.

mod common;

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

#[tokio::test]
async fn challenge_dance_sends_a_bodiless_probe_then_the_body_with_the_same_request_id() {
    let server = challenging_server(
        |p| format!("https://localhost:{p}"),
        |_, p| json(200, key_bundle(p, "k")),
    )
    .await;
    let cred = RecordingCredential::new();
    let client = server.client(cred.clone());

    let key = call(client.update_key("k", "", &update_body()))
        .await
        .expect("update");
    assert!(
        key.key
            .and_then(|k| k.kid)
            .is_some_and(|kid| kid.contains("/keys/k/"))
    );

    let seen = server.seen();
    assert_eq!(seen.len(), 2, "probe + real request");
    let (probe, real) = (&seen[0], &seen[1]);
    assert_eq!(probe.method, "PATCH");
    assert!(probe.header("authorization").is_none());
    assert!(probe.body.is_empty(), "the probe carries no body");
    assert_eq!(probe.header("content-length").as_deref(), Some("0"));
    assert_eq!(
        real.header("authorization").as_deref(),
        Some("Bearer token-1")
    );
    let body: serde_json::Value = serde_json::from_slice(&real.body).expect("json body");
    assert_eq!(body, serde_json::json!({"tags": {"purpose": "pipeline"}}));
    let id = probe.header("x-ms-client-request-id").expect("request id");
    assert_eq!(real.header("x-ms-client-request-id"), Some(id.clone()));
    assert!(uuid_like(&id), "{id}");
    // api-version is a query pair, never a header
    assert_eq!(
        real.query_value("api-version").as_deref(),
        Some("2025-07-01")
    );
    assert!(real.header("api-version").is_none());
    assert_eq!(real.path, "/keys/k/");

    // The credential got the scope from the resource and the tenant from the authorization URL.
    let calls = cred.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(
        calls[0].scopes,
        vec![format!("https://localhost:{}/.default", server.addr.port())]
    );
    assert_eq!(
        calls[0].tenant.as_deref(),
        Some("72f988bf-86f1-41af-91ab-2d7cd011db47")
    );

    // The scope is cached: the next request goes authorised at once, with the cached token.
    call(client.get_key("k", "")).await.expect("get");
    let seen = server.seen();
    assert_eq!(seen.len(), 3);
    assert_eq!(
        seen[2].header("authorization").as_deref(),
        Some("Bearer token-1")
    );
    assert_eq!(cred.calls().len(), 1);
    // A clone shares the cache.
    call(client.clone().get_key("k", ""))
        .await
        .expect("get via clone");
    assert_eq!(server.seen().len(), 4);
}

fn uuid_like(s: &str) -> bool {
    s.len() == 36 && s.chars().filter(|c| *c == '-').count() == 4
}

#[tokio::test]
async fn scope_parameter_is_preferred_over_resource() {
    let server = TestServer::start(|s, _, info| {
        if authorised(s) {
            json(200, key_bundle(info.port, "k"))
        } else {
            unauthorized(&format!(
                r#"Bearer authorization_uri="https://login.microsoftonline.com/tenant-2", scope="https://localhost:{}/.default""#,
                info.port
            ))
        }
    })
    .await;
    let cred = RecordingCredential::new();
    call(server.client(cred.clone()).get_key("k", "v1"))
        .await
        .expect("get");
    let calls = cred.calls();
    assert_eq!(
        calls[0].scopes,
        vec![format!("https://localhost:{}/.default", server.addr.port())]
    );
    assert_eq!(calls[0].tenant.as_deref(), Some("tenant-2"));
}

#[tokio::test]
async fn resource_equal_to_the_vault_origin_is_accepted() {
    // vault https://127.0.0.1:P, resource https://127.0.0.1:P: no label to drop, same origin.
    let server = challenging_server(
        |p| format!("https://127.0.0.1:{p}"),
        |_, p| json(200, key_bundle(p, "k")),
    )
    .await;
    let cred = RecordingCredential::new();
    let client =
        Client::with_credential(&server.ip_url(), cred.clone(), server.options()).expect("client");
    call(client.get_key("k", ""))
        .await
        .expect("equal origin accepted");
    assert_eq!(cred.calls().len(), 1);
}

#[tokio::test]
async fn foreign_resource_is_rejected_and_no_token_is_sent() {
    let server = challenging_server(
        |_| "https://vault.azure.net".to_owned(),
        |_, p| json(200, key_bundle(p, "k")),
    )
    .await;
    let cred = RecordingCredential::new();
    let client =
        Client::with_credential(&server.ip_url(), cred.clone(), server.options()).expect("client");
    let err = call(client.get_key("k", ""))
        .await
        .expect_err("foreign resource");
    assert!(matches!(err, Error::Challenge(_)), "{err:?}");
    assert!(
        err.to_string().contains("verify_challenge_resource"),
        "the message says how to opt out: {err}"
    );
    assert!(cred.calls().is_empty(), "no token was requested");
    assert_eq!(server.seen().len(), 1, "only the probe was sent");
    assert!(
        server
            .seen()
            .iter()
            .all(|s| s.header("authorization").is_none())
    );

    // The same resource with a port that differs from the vault's is not the vault's origin either.
    let server2 = challenging_server(
        |p| format!("https://127.0.0.1:{}", p + 1),
        |_, p| json(200, key_bundle(p, "k")),
    )
    .await;
    let client2 = Client::with_credential(&server2.ip_url(), cred.clone(), server2.options())
        .expect("client");
    assert!(matches!(
        call(client2.get_key("k", "")).await,
        Err(Error::Challenge(_))
    ));

    // With verification off, the same service works.
    let options = ClientOptions {
        verify_challenge_resource: false,
        ..server.options()
    };
    let client = Client::with_credential(&server.ip_url(), cred.clone(), options).expect("client");
    call(client.get_key("k", ""))
        .await
        .expect("verification off");
    assert_eq!(
        cred.calls()[0].scopes,
        vec!["https://vault.azure.net/.default".to_owned()]
    );
}

#[tokio::test]
async fn a_401_without_a_bearer_challenge_is_a_challenge_error() {
    let server = TestServer::start(|_, _, _| raw(401, "text/plain", "go away")).await;
    let err = call(server.client(RecordingCredential::new()).get_key("k", ""))
        .await
        .expect_err("no challenge");
    assert!(matches!(err, Error::Challenge(_)), "{err:?}");
}

#[tokio::test]
async fn credential_failures_are_credential_errors() {
    let server = challenging_server(
        |p| format!("https://localhost:{p}"),
        |_, p| json(200, key_bundle(p, "k")),
    )
    .await;
    let cred = RecordingCredential::new();
    *cred.fail_with.lock().expect("lock") = Some("no login".to_owned());
    let err = call(server.client(cred).get_key("k", ""))
        .await
        .expect_err("credential fails");
    match err {
        Error::Credential(m) => assert!(m.contains("no login"), "{m}"),
        other => panic!("expected a credential error, got {other:?}"),
    }
}

#[tokio::test]
async fn plain_http_is_refused_before_anything_is_sent() {
    let cred = RecordingCredential::new();
    // A listener that records whether anything connected.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("nonblocking");
    let port = listener.local_addr().expect("addr").port();
    let err = Client::with_credential(
        &format!("http://127.0.0.1:{port}"),
        cred.clone(),
        ClientOptions::default(),
    )
    .expect_err("http refused");
    assert!(matches!(err, Error::InsecureTransport(_)), "{err:?}");
    assert!(err.to_string().contains("non-TLS"), "{err}");
    // The loopback opt-in does not extend to other hosts.
    let opt_in = ClientOptions {
        allow_insecure_loopback: true,
        ..Default::default()
    };
    let err = Client::with_credential("http://example.com", cred.clone(), opt_in.clone())
        .expect_err("non-loopback http");
    assert!(matches!(err, Error::InsecureTransport(_)));
    // With the opt-in, loopback http is allowed.
    assert!(
        Client::with_credential(&format!("http://127.0.0.1:{port}"), cred.clone(), opt_in).is_ok()
    );
    assert!(listener.accept().is_err(), "nothing connected");
    assert!(cred.calls().is_empty());
    assert!(matches!(
        Client::with_credential("not a url", cred, ClientOptions::default()),
        Err(Error::InvalidRequest(_))
    ));
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
async fn a_token_that_expired_while_waiting_is_renewed() {
    let server = scripted(vec![(503, vec![("retry-after-ms", "1".to_owned())])]).await;
    let cred = RecordingCredential::new();
    // Tokens that live 60 s are inside the 5-minute refresh margin: stale at once.
    *cred.lifetime_secs.lock().expect("lock") = Some(60);
    call(server.client(cred.clone()).get_key("k", ""))
        .await
        .expect("get");
    let attempts = authorised_attempts(&server).await;
    assert_eq!(attempts.len(), 2);
    assert_eq!(
        attempts[0].header("authorization").as_deref(),
        Some("Bearer token-1")
    );
    assert_eq!(
        attempts[1].header("authorization").as_deref(),
        Some("Bearer token-2")
    );
}

#[tokio::test]
async fn connection_errors_are_retried() {
    // The first connection is accepted and dropped at once; later ones get the real server.
    let server = challenging_server(
        |p| format!("https://localhost:{p}"),
        |_, p| json(200, key_bundle(p, "k")),
    )
    .await;
    let flaky = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
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

#[tokio::test]
async fn a_401_to_an_authorised_request_rechallenges_once_with_cae_claims() {
    use base64::Engine as _;
    let claims = r#"{"access_token":{"nbf":{"essential":true,"value":"1726077595"}}}"#;
    let encoded = base64::engine::general_purpose::STANDARD.encode(claims);
    let count = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let server = TestServer::start(move |s, _, info| {
        if !authorised(s) {
            return unauthorized(&challenge(&format!("https://localhost:{}", info.port)));
        }
        if count.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
            return unauthorized(&format!(
                r#"Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", error="insufficient_claims", claims="{encoded}""#
            ));
        }
        json(200, key_bundle(info.port, "k"))
    })
    .await;
    let cred = RecordingCredential::new();
    call(server.client(cred.clone()).get_key("k", ""))
        .await
        .expect("re-authorised");
    let calls = cred.calls();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[1].claims.as_deref(), Some(claims));
    let attempts = authorised_attempts(&server).await;
    assert_eq!(
        attempts[1].header("authorization").as_deref(),
        Some("Bearer token-2")
    );

    // A service that keeps answering 401: one re-authorisation, then the 401 reaches the caller.
    let server = TestServer::start(|s, _, info| {
        let _ = s;
        unauthorized(&challenge(&format!("https://localhost:{}", info.port)))
    })
    .await;
    let cred = RecordingCredential::new();
    let err = call(server.client(cred.clone()).get_key("k", ""))
        .await
        .expect_err("401");
    assert_eq!(err.status(), Some(StatusCode::UNAUTHORIZED));
    assert_eq!(
        err.http().and_then(|h| h.code.as_deref()),
        Some("Unauthorized")
    );
    assert_eq!(
        authorised_attempts(&server).await.len(),
        2,
        "the request and one re-authorised retry"
    );
    assert_eq!(cred.calls().len(), 2);
}

#[tokio::test]
async fn error_responses_carry_status_code_message_request_id_and_raw_body() {
    let html = "<html><body><h1>502 Bad Gateway</h1></body></html>";
    let server = TestServer::start(move |s, _, info| {
        if !authorised(s) {
            return unauthorized(&challenge(&format!("https://localhost:{}", info.port)));
        }
        match s.path.as_str() {
            "/keys/missing/" => json(404, serde_json::json!({"error": {"code": "KeyNotFound", "message": "A key with (name/id) missing was not found in this key vault.", "innererror": {"code": "Inner"}}})),
            "/keys/proxy/" => raw(502, "text/html", html),
            _ => raw(503, "application/json", ""),
        }
    })
    .await;
    let options = ClientOptions {
        retry: RetryOptions::none(),
        ..server.options()
    };
    let client = Client::with_credential(&server.vault_url(), RecordingCredential::new(), options)
        .expect("client");

    let err = call(client.get_key("missing", "")).await.expect_err("404");
    let http = err.http().expect("http error");
    assert_eq!(http.status, StatusCode::NOT_FOUND);
    assert_eq!(http.code.as_deref(), Some("KeyNotFound"));
    assert_eq!(http.inner_code.as_deref(), Some("Inner"));
    assert!(
        http.message
            .as_deref()
            .is_some_and(|m| m.contains("was not found"))
    );
    assert_eq!(http.request_id.as_deref(), Some("req-404"));
    assert!(
        err.to_string().contains("KeyNotFound") && err.to_string().contains("req-404"),
        "{err}"
    );

    let err = call(client.get_key("proxy", "")).await.expect_err("502");
    let http = err.http().expect("http error");
    assert_eq!(http.status, StatusCode::BAD_GATEWAY);
    assert_eq!(http.code, None);
    assert_eq!(&http.body[..], html.as_bytes());
    assert!(err.to_string().contains("Bad Gateway"), "{err}");

    let err = call(client.get_key("empty", "")).await.expect_err("503");
    let http = err.http().expect("http error");
    assert_eq!(http.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(http.body.is_empty());
    assert!(err.to_string().contains("empty body"), "{err}");
}

fn list_page(port: u16, names: &[&str], next: Option<String>) -> serde_json::Value {
    serde_json::json!({
        "value": names.iter().map(|n| serde_json::json!({"kid": format!("https://{VAULT_HOST}:{port}/keys/{n}"), "attributes": {"enabled": true}})).collect::<Vec<_>>(),
        "nextLink": next,
    })
}

#[tokio::test]
async fn next_links_are_followed_through_the_pipeline() {
    let server = challenging_server(
        |p| format!("https://localhost:{p}"),
        |s, p| match s.query_value("$skiptoken").as_deref() {
            None => json(
                200,
                list_page(
                    p,
                    &["a", "b"],
                    Some(format!(
                        "https://{VAULT_HOST}:{p}/keys?api-version=7.2&$skiptoken=t1&maxresults=2"
                    )),
                ),
            ),
            Some("t1") => json(
                200,
                list_page(
                    p,
                    &["c", "d"],
                    Some(format!(
                        "https://{VAULT_HOST}:{p}/keys?$skiptoken=t2&maxresults=2"
                    )),
                ),
            ),
            _ => json(200, list_page(p, &["e"], None)),
        },
    )
    .await;
    let client = server.client(RecordingCredential::new());
    let c = client.clone();
    let items: Vec<types::KeyItem> = client
        .items(async move { c.get_keys(std::num::NonZeroU32::new(2)).await })
        .map(|r| r.expect("item"))
        .collect()
        .await;
    let kids: Vec<String> = items.iter().filter_map(|i| i.kid.clone()).collect();
    assert_eq!(kids.len(), 5);
    assert!(kids[4].ends_with("/keys/e"));
    let lists: Vec<Seen> = server.seen().into_iter().filter(authorised).collect();
    assert_eq!(lists.len(), 3);
    assert_eq!(lists[0].query_value("maxresults").as_deref(), Some("2"));
    // A nextLink's own api-version is kept; one is added where it has none.
    assert_eq!(lists[1].query_value("api-version").as_deref(), Some("7.2"));
    assert_eq!(
        lists[2].query_value("api-version").as_deref(),
        Some("2025-07-01")
    );
    assert!(lists.iter().all(|s| s.header("authorization").is_some()));

    // Resuming from a continuation token.
    let token = format!(
        "https://{VAULT_HOST}:{}/keys?$skiptoken=t1&maxresults=2",
        server.addr.port()
    );
    let pages: Vec<types::KeyListResult> = client
        .pages_from(token)
        .map(|r| r.expect("page"))
        .collect()
        .await;
    assert_eq!(pages.len(), 2);
    assert_eq!(pages[1].value.len(), 1);
}

#[tokio::test]
async fn a_foreign_next_link_is_refused() {
    let server = challenging_server(
        |p| format!("https://localhost:{p}"),
        |_, p| {
            json(
                200,
                list_page(
                    p,
                    &["a"],
                    Some("https://other.localhost:1/keys?$skiptoken=x".to_owned()),
                ),
            )
        },
    )
    .await;
    let client = server.client(RecordingCredential::new());
    let c = client.clone();
    let results: Vec<Result<types::KeyListResult, Error>> = client
        .pages(async move { c.get_keys(None).await })
        .collect()
        .await;
    assert_eq!(results.len(), 2);
    assert!(results[0].is_ok());
    match &results[1] {
        Err(Error::ForeignOrigin { url, .. }) => assert!(url.contains("other.localhost")),
        other => panic!("expected a foreign-origin error, got {other:?}"),
    }
    // Same host, other port: also foreign.
    let err = client
        .get_page::<types::KeyListResult>(&format!(
            "https://{VAULT_HOST}:{}/keys",
            server.addr.port() + 1
        ))
        .await
        .expect_err("other port");
    assert!(matches!(err, Error::ForeignOrigin { .. }));
    assert_eq!(
        server.seen().into_iter().filter(authorised).count(),
        1,
        "nothing was sent to the foreign link"
    );
}

#[tokio::test]
async fn send_request_relative_and_absolute() {
    let server = challenging_server(
        |p| format!("https://localhost:{p}"),
        |s, p| match s.path.as_str() {
            "/keys/raw/" => json(200, key_bundle(p, "raw")),
            "/rng" => json(200, serde_json::json!({"value": "AAEC"})),
            _ => json(
                404,
                serde_json::json!({"error": {"code": "KeyNotFound", "message": "nope"}}),
            ),
        },
    )
    .await;
    let client = server.client(RecordingCredential::new());

    let r = client
        .send_request(RawRequest::new(Method::GET, "/keys/raw/"))
        .await
        .expect("relative");
    assert_eq!(r.status, StatusCode::OK);
    let bundle: types::KeyBundle = r.json().expect("bundle");
    assert!(bundle.key.is_some());

    let absolute = format!("{}/keys/raw/?api-version=7.4", server.vault_url());
    let r = client
        .send_request(RawRequest::new(Method::GET, absolute))
        .await
        .expect("absolute");
    assert_eq!(r.status, StatusCode::OK);

    let body = RawRequest::new(Method::POST, "rng")
        .with_json(&serde_json::json!({"count": 3}))
        .expect("json");
    let r = client.send_request(body).await.expect("post");
    assert_eq!(
        r.json::<types::RandomBytes>()
            .expect("bytes")
            .value
            .expose_secret(),
        "AAEC"
    );

    // An error status is returned, not raised.
    let r = client
        .send_request(RawRequest::new(Method::GET, "/keys/none/"))
        .await
        .expect("404 returned");
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.text().contains("KeyNotFound"));
    assert!(matches!(r.error_for_status(), Err(Error::Http(_))));

    // A foreign absolute URL is refused before sending.
    let err = client
        .send_request(RawRequest::new(Method::GET, "https://evil.example/keys"))
        .await
        .expect_err("foreign");
    assert!(matches!(err, Error::ForeignOrigin { .. }));

    let seen: Vec<Seen> = server.seen().into_iter().filter(authorised).collect();
    assert_eq!(seen.len(), 4);
    assert_eq!(seen[0].path, "/keys/raw/");
    assert_eq!(
        seen[0].query_value("api-version").as_deref(),
        Some("2025-07-01")
    );
    assert_eq!(
        seen[1].query_value("api-version").as_deref(),
        Some("7.4"),
        "the caller's api-version is kept"
    );
    assert_eq!(
        seen[1]
            .query_pairs()
            .iter()
            .filter(|(k, _)| k == "api-version")
            .count(),
        1
    );
    assert_eq!(seen[2].method, "POST");
    assert_eq!(
        seen[2].header("content-type").as_deref(),
        Some("application/json")
    );
    assert_eq!(&seen[2].body[..], br#"{"count":3}"#);
}

#[tokio::test]
async fn the_configured_api_version_is_sent() {
    let server = challenging_server(
        |p| format!("https://localhost:{p}"),
        |_, p| json(200, key_bundle(p, "k")),
    )
    .await;
    let options = ClientOptions {
        api_version: "7.6-preview.2".into(),
        ..server.options()
    };
    let client = Client::with_credential(&server.vault_url(), RecordingCredential::new(), options)
        .expect("client");
    call(client.get_key("k", "")).await.expect("get");
    assert!(
        server
            .seen()
            .iter()
            .all(|s| s.query_value("api-version").as_deref() == Some("7.6-preview.2"))
    );
}

#[tokio::test]
async fn malformed_success_bodies_are_invalid_response_errors() {
    let server = challenging_server(
        |p| format!("https://localhost:{p}"),
        |_, _| raw(200, "application/json", "{not json"),
    )
    .await;
    let err = call(server.client(RecordingCredential::new()).get_key("k", ""))
        .await
        .expect_err("bad json");
    assert!(matches!(err, Error::InvalidResponse { .. }), "{err:?}");
}

/// A writer that keeps what the subscriber prints.
#[derive(Clone, Default)]
struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn each_operation_has_a_span_with_its_fields_and_no_token() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(captured.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let server = scripted(vec![(503, vec![("retry-after-ms", "1".to_owned())])]).await;
    let client = server.client(RecordingCredential::new());
    call(client.update_key("k", "", &update_body()))
        .await
        .expect("update");
    let text = String::from_utf8(captured.0.lock().expect("lock").clone()).expect("utf8");
    let close = text
        .lines()
        // the request span's own close line (the challenge probe's span is nested in it)
        .find(|l| {
            l.contains("keyvault.request")
                && l.contains("close")
                && !l.contains("keyvault.challenge")
        })
        .unwrap_or_else(|| panic!("no closed request span in:\n{text}"));
    for field in [
        "operation=\"update_key\"",
        "method=PATCH",
        "path=/keys/k/",
        "status=200",
        "attempts=2",
        "request_id=\"req-200\"",
    ] {
        assert!(close.contains(field), "{field} missing from {close}");
    }
    assert!(
        text.contains("keyvault.challenge"),
        "the challenge has its own span"
    );
    assert!(
        !text.contains("token-1") && !text.contains("token-2"),
        "a token reached the logs:\n{text}"
    );
    assert!(
        !format!("{client:?}").contains("token-"),
        "Debug shows no token"
    );
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

#[tokio::test]
async fn a_scope_naming_another_host_than_the_resource_is_refused_before_the_credential_is_called()
{
    type Header = Box<dyn Fn(u16) -> String + Send + Sync>;
    let cases: Vec<(&str, Header)> = vec![
        (
            "resource = the server's own origin, scope = Azure Resource Manager",
            Box::new(|p| {
                format!(
                    r#"Bearer authorization="https://login.microsoftonline.com/t", resource="https://{VAULT_HOST}:{p}", scope="https://management.azure.com/.default""#
                )
            }),
        ),
        (
            "scope alone, naming Azure Resource Manager",
            Box::new(|_| {
                r#"Bearer authorization="https://login.microsoftonline.com/t", scope="https://management.azure.com/.default""#.to_owned()
            }),
        ),
        (
            "resource and scope each acceptable alone, but naming different hosts",
            Box::new(|p| {
                format!(
                    r#"Bearer authorization="https://login.microsoftonline.com/t", resource="https://localhost:{p}", scope="https://{VAULT_HOST}:{p}/.default""#
                )
            }),
        ),
        (
            "a scope that is not a URL",
            Box::new(|p| {
                format!(
                    r#"Bearer authorization="https://login.microsoftonline.com/t", resource="https://localhost:{p}", scope="00000003-0000-0000-c000-000000000000/.default""#
                )
            }),
        ),
    ];
    for (what, header) in cases {
        let server = server_challenging_with(header).await;
        let cred = RecordingCredential::new();
        let err = call(server.client(cred.clone()).get_key("k", ""))
            .await
            .expect_err(what);
        assert!(matches!(err, Error::Challenge(_)), "{what}: {err:?}");
        assert!(cred.calls().is_empty(), "{what}: the credential was called");
        assert!(
            server.seen().iter().all(|s| !authorised(s)),
            "{what}: a token was sent"
        );
    }
}

#[tokio::test]
async fn a_cae_rechallenge_naming_another_scope_is_refused_without_calling_the_credential() {
    use base64::Engine as _;
    let claims = base64::engine::general_purpose::STANDARD
        .encode(r#"{"access_token":{"nbf":{"essential":true,"value":"1726077595"}}}"#);
    let count = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let server = TestServer::start(move |s, _, info| {
        let p = info.port;
        if !authorised(s) {
            return unauthorized(&challenge(&format!("https://localhost:{p}")));
        }
        if count.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
            return unauthorized(&format!(
                r#"Bearer authorization="https://login.microsoftonline.com/t", resource="https://localhost:{p}", scope="https://management.azure.com/.default", error="insufficient_claims", claims="{claims}""#
            ));
        }
        json(200, key_bundle(p, "k"))
    })
    .await;
    let cred = RecordingCredential::new();
    let client = server.client(cred.clone());
    let err = call(client.get_key("k", ""))
        .await
        .expect_err("hostile re-challenge");
    assert!(matches!(err, Error::Challenge(_)), "{err:?}");
    assert_eq!(cred.calls().len(), 1, "only the first, verified, token");
    assert_eq!(authorised_attempts(&server).await.len(), 1);
    // The verified scope stays; the client keeps working with it.
    let scope = format!("https://localhost:{}/.default", server.addr.port());
    assert_eq!(client.pipeline().cached_scope().await, Some(scope.clone()));
    call(client.get_key("k", "")).await.expect("get");
    assert!(cred.calls().iter().all(|c| c.scopes == [scope.clone()]));
}

// Issue 8, item 2: the resource rule compares scheme, host and effective port.

#[tokio::test]
async fn a_resource_on_another_scheme_or_port_is_refused() {
    for resource in [
        "http://localhost:{p}",
        "https://localhost:{q}",
        "https://localhost",
        "http://localhost:1",
    ] {
        let server = challenging_server(
            move |p| {
                resource
                    .replace("{p}", &p.to_string())
                    .replace("{q}", &(p + 1).to_string())
            },
            |_, p| json(200, key_bundle(p, "k")),
        )
        .await;
        let cred = RecordingCredential::new();
        let err = call(server.client(cred.clone()).get_key("k", ""))
            .await
            .expect_err(resource);
        assert!(matches!(err, Error::Challenge(_)), "{resource}: {err:?}");
        assert!(cred.calls().is_empty(), "{resource}");
    }
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

#[tokio::test]
async fn a_purge_whose_probe_is_answered_is_not_sent_again() {
    let purged = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let p2 = purged.clone();
    let server = open_server(move |s, _, _| {
        assert_eq!(
            (s.method.as_str(), s.path.as_str()),
            ("DELETE", "/deletedkeys/k")
        );
        if p2.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
            raw(204, "application/json", "")
        } else {
            json(
                404,
                serde_json::json!({"error": {"code": "KeyNotFound", "message": "gone"}}),
            )
        }
    })
    .await;
    let cred = RecordingCredential::new();
    call(server.client(cred.clone()).purge_deleted_key("k"))
        .await
        .expect("the probe's 204 is the purge's answer");
    assert_eq!(server.seen().len(), 1, "sent once");
    assert_eq!(purged.load(std::sync::atomic::Ordering::SeqCst), 1);
    assert!(cred.calls().is_empty());
}

#[tokio::test]
async fn a_get_probe_answered_200_is_the_result() {
    let server = open_server(|_, _, p| json(200, key_bundle(p, "k"))).await;
    let key = call(server.client(RecordingCredential::new()).get_key("k", ""))
        .await
        .expect("get");
    assert!(key.key.is_some());
    assert_eq!(server.seen().len(), 1, "the probe was the request");
}

fn create_body() -> types::KeyCreateParameters {
    serde_json::from_value(serde_json::json!({"kty": "EC", "crv": "P-256"})).expect("create body")
}

#[tokio::test]
async fn the_bodiless_probe_of_a_request_with_a_body() {
    // A service that refuses the bodiless copy (400) has not acted: the
    // request is then sent, once, without a token.
    let server = open_server(|s, _, p| {
        if s.body.is_empty() {
            json(
                400,
                serde_json::json!({"error": {"code": "BadParameter", "message": "no body"}}),
            )
        } else {
            json(200, key_bundle(p, "k"))
        }
    })
    .await;
    call(
        server
            .client(RecordingCredential::new())
            .create_key("k", &create_body()),
    )
    .await
    .expect("create");
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    assert!(seen[0].body.is_empty() && !seen[1].body.is_empty());
    assert!(seen.iter().all(|s| !authorised(s)));

    // A service that acted on the bodiless copy (2xx): its answer is the
    // operation's answer; nothing is sent again.
    let created = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let c2 = created.clone();
    let server = open_server(move |_, _, p| {
        c2.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        json(200, key_bundle(p, "k"))
    })
    .await;
    call(
        server
            .client(RecordingCredential::new())
            .create_key("k", &create_body()),
    )
    .await
    .expect("create");
    assert_eq!(created.load(std::sync::atomic::Ordering::SeqCst), 1);
    assert_eq!(server.seen().len(), 1);
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
    let proxy = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
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

// Issue 8, item 6: bounded memory.

fn small_limit(server: &TestServer, limit: usize) -> Client {
    let options = ClientOptions {
        max_response_size: limit,
        retry: RetryOptions::none(),
        ..server.options()
    };
    Client::with_credential(&server.vault_url(), RecordingCredential::new(), options)
        .expect("client")
}

const BIG: u64 = 64 * 1024 * 1024;

#[tokio::test]
async fn a_success_body_over_the_limit_is_refused_while_streaming() {
    for declare_length in [false, true] {
        let produced = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let p2 = produced.clone();
        let server = challenging_server(
            |p| format!("https://localhost:{p}"),
            move |_, _| streamed(200, BIG, declare_length, p2.clone()),
        )
        .await;
        let client = small_limit(&server, 64 * 1024);
        let err = call(client.get_key("k", "")).await.expect_err("too large");
        assert!(
            matches!(err, Error::ResponseTooLarge { limit: 65536 }),
            "{declare_length}: {err:?}"
        );
        let sent = produced.load(std::sync::atomic::Ordering::SeqCst);
        assert!(sent < BIG / 2, "the body was read to its end: {sent} bytes");
    }
}

#[tokio::test]
async fn error_page_and_raw_bodies_over_the_limit_are_refused() {
    let produced = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let p2 = produced.clone();
    let server = challenging_server(
        |p| format!("https://localhost:{p}"),
        move |s, p| match s.path.as_str() {
            "/keys" if s.query_value("$skiptoken").is_none() => json(
                200,
                list_page(
                    p,
                    &["a"],
                    Some(format!("https://{VAULT_HOST}:{p}/keys?$skiptoken=big")),
                ),
            ),
            "/keys/error/" => streamed(500, BIG, false, p2.clone()),
            _ => streamed(200, BIG, false, p2.clone()),
        },
    )
    .await;
    let client = small_limit(&server, 64 * 1024);

    let err = call(client.get_key("error", ""))
        .await
        .expect_err("error body");
    assert!(matches!(err, Error::ResponseTooLarge { .. }), "{err:?}");

    let c = client.clone();
    let pages: Vec<Result<types::KeyListResult, Error>> = client
        .pages(async move { c.get_keys(None).await })
        .collect()
        .await;
    assert_eq!(pages.len(), 2);
    assert!(
        matches!(pages[1], Err(Error::ResponseTooLarge { .. })),
        "{:?}",
        pages[1]
    );

    let err = client
        .send_request(RawRequest::new(Method::GET, "/keys/raw"))
        .await
        .expect_err("raw body");
    assert!(matches!(err, Error::ResponseTooLarge { .. }), "{err:?}");
}

#[tokio::test]
async fn a_next_link_loop_ends_with_an_error() {
    // A page whose nextLink is itself; and two pages pointing at each other.
    let server = challenging_server(
        |p| format!("https://localhost:{p}"),
        |s, p| {
            let next = match s.query_value("$skiptoken").as_deref() {
                Some("self") => "self",
                Some("a") => "b",
                Some("b") => "a",
                _ => "self",
            };
            json(
                200,
                list_page(
                    p,
                    &["k"],
                    Some(format!("https://{VAULT_HOST}:{p}/keys?$skiptoken={next}")),
                ),
            )
        },
    )
    .await;
    let client = server.client(RecordingCredential::new());
    for start in ["self", "a"] {
        let link = format!(
            "https://{VAULT_HOST}:{}/keys?$skiptoken={start}",
            server.addr.port()
        );
        let pages: Vec<Result<types::KeyListResult, Error>> =
            client.pages_from(link).take(10).collect().await;
        let last = pages.last().expect("a page");
        assert!(
            matches!(last, Err(Error::RepeatedNextLink { .. })),
            "{start}: {} pages, last {last:?}",
            pages.len()
        );
        assert!(pages.len() <= 3, "{start}: {} pages", pages.len());
    }
}

// Review of the pipeline, finding 1: the scope requested is exactly the URL
// that was verified, in canonical form.

#[tokio::test]
async fn a_scope_whose_raw_text_names_more_than_the_verified_url_is_refused() {
    type Header = Box<dyn Fn(u16) -> String + Send + Sync>;
    let auth = r#"authorization="https://login.microsoftonline.com/t""#;
    let cases: Vec<(&str, Header)> = vec![
        (
            "two scopes separated by a space",
            Box::new(move |p| {
                format!(
                    r#"Bearer {auth}, scope="https://localhost:{p}/.default https://management.azure.com/.default""#
                )
            }),
        ),
        (
            "a resource followed by another",
            Box::new(move |p| {
                format!(
                    r#"Bearer {auth}, resource="https://localhost:{p}/.default https://management.azure.com""#
                )
            }),
        ),
        (
            "userinfo",
            Box::new(move |p| {
                format!(
                    r#"Bearer {auth}, scope="https://management.azure.com@localhost:{p}/.default""#
                )
            }),
        ),
        (
            "an escaped backslash before userinfo",
            Box::new(move |p| {
                format!(
                    r#"Bearer {auth}, scope="https://localhost:{p}\\@management.azure.com/.default""#
                )
            }),
        ),
        (
            "a tab",
            Box::new(move |p| {
                format!(
                    "Bearer {auth}, scope=\"https://localhost:{p}/.default\thttps://management.azure.com/.default\""
                )
            }),
        ),
        (
            "a query",
            Box::new(move |p| {
                format!(
                    r#"Bearer {auth}, scope="https://localhost:{p}/.default?https://management.azure.com/.default""#
                )
            }),
        ),
        (
            "a fragment",
            Box::new(move |p| {
                format!(
                    r#"Bearer {auth}, scope="https://localhost:{p}/.default#https://management.azure.com/.default""#
                )
            }),
        ),
        (
            "another path",
            Box::new(move |p| {
                format!(r#"Bearer {auth}, scope="https://localhost:{p}/x/.default""#)
            }),
        ),
    ];
    for (what, header) in cases {
        let server = server_challenging_with(header).await;
        let cred = RecordingCredential::new();
        let err = call(server.client(cred.clone()).get_key("k", ""))
            .await
            .expect_err(what);
        assert!(matches!(err, Error::Challenge(_)), "{what}: {err:?}");
        assert!(cred.calls().is_empty(), "{what}: the credential was called");
        assert!(
            server.seen().iter().all(|s| !authorised(s)),
            "{what}: a token was sent"
        );
    }
}

#[tokio::test]
async fn the_credential_is_asked_for_the_canonical_form_of_the_verified_scope() {
    type Header = Box<dyn Fn(u16) -> String + Send + Sync>;
    let cases: Vec<Header> = vec![
        Box::new(|p| format!(r#"Bearer scope="HTTPS://LOCALHOST:{p}/.default""#)),
        Box::new(|p| format!(r#"Bearer resource="https://LocalHost:{p}/""#)),
        Box::new(|p| format!(r#"Bearer resource="https://localhost:{p}""#)),
    ];
    for header in cases {
        let server = server_challenging_with(header).await;
        let cred = RecordingCredential::new();
        call(server.client(cred.clone()).get_key("k", ""))
            .await
            .expect("get");
        let scope = format!("https://localhost:{}/.default", server.addr.port());
        let calls = cred.calls();
        assert_eq!(calls.len(), 1);
        assert_eq!(calls[0].scopes, [scope]);
    }
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
        matches!(&err, Error::OutcomeUnknown { cause, .. } if matches!(**cause, Error::Transport(_) | Error::Network(_))),
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

#[tokio::test]
async fn a_too_large_success_of_an_unrepeatable_write_is_outcome_unknown() {
    let produced = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let p2 = produced.clone();
    let server = challenging_server(
        |p| format!("https://localhost:{p}"),
        move |_, _| streamed(200, BIG, false, p2.clone()),
    )
    .await;
    let client = small_limit(&server, 64 * 1024);
    let err = call(client.create_key("k", &create_body()))
        .await
        .expect_err("too large");
    assert!(
        matches!(&err, Error::OutcomeUnknown { cause, .. } if matches!(**cause, Error::ResponseTooLarge { limit: 65536 })),
        "{err:?}"
    );
}

// Finding 3: the probe never drops a write.

#[tokio::test]
async fn a_repeatable_request_with_a_body_is_sent_after_an_answered_probe() {
    // Never challenges; answers 200 with an echo of the body ({} for none).
    let server = open_server(|s, _, _| {
        let body = if s.body.is_empty() {
            "{}".to_owned()
        } else {
            String::from_utf8_lossy(&s.body).into_owned()
        };
        raw(200, "application/json", &body)
    })
    .await;
    let client = server.client(RecordingCredential::new());
    let updated = call(client.update_key("k", "", &update_body()))
        .await
        .expect("update");
    assert_eq!(
        updated.tags.get("purpose").map(String::as_str),
        Some("pipeline"),
        "the answer is the answer to the request with its body"
    );
    let seen = server.seen();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert!(seen[0].body.is_empty());
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&seen[1].body).expect("json"),
        serde_json::json!({"tags": {"purpose": "pipeline"}})
    );
    assert!(seen.iter().all(|s| !authorised(s)));

    // The pure computations and the rotation policy alike.
    for op in ["encrypt", "update_key_rotation_policy"] {
        let before = server.seen().len();
        let _ = run_op(&client, op).await;
        let seen = server.seen();
        assert_eq!(seen.len(), before + 2, "{op}");
        assert!(!seen[before + 1].body.is_empty(), "{op}: the body was sent");
    }

    // An unrepeatable write whose bodiless probe was answered 200 may have
    // been performed: it is not sent again.
    let before = server.seen().len();
    let _ = call(client.create_key("k", &create_body())).await;
    assert_eq!(
        server.seen().len(),
        before + 1,
        "the create was not sent again"
    );
}

#[tokio::test]
async fn a_challenge_to_the_request_sent_after_the_probe_is_answered() {
    // The bodiless copy is refused (create) or answered (update) without a
    // challenge; the request with its body is challenged.
    let server = TestServer::start(|s, _, info| {
        let p = info.port;
        if authorised(s) {
            json(200, key_bundle(p, "k"))
        } else if s.body.is_empty() && s.path.ends_with("/create") {
            json(
                400,
                serde_json::json!({"error": {"code": "BadParameter", "message": "no body"}}),
            )
        } else if s.body.is_empty() {
            json(200, key_bundle(p, "k"))
        } else {
            unauthorized(&challenge(&format!("https://localhost:{p}")))
        }
    })
    .await;
    for op in ["create_key", "update_key"] {
        let cred = RecordingCredential::new();
        let client = server.client(cred.clone());
        let before = server.seen().len();
        run_op(&client, op).await.expect(op);
        let seen = server.seen();
        let seen = &seen[before..];
        assert_eq!(seen.len(), 3, "{op}: {seen:?}");
        assert!(authorised(&seen[2]) && !seen[2].body.is_empty(), "{op}");
        assert_eq!(cred.calls().len(), 1, "{op}");
    }
}

// Finding 5: a bound on the number of pages.

#[tokio::test]
async fn an_endless_series_of_next_links_ends_at_max_pages() {
    let server = challenging_server(
        |p| format!("https://localhost:{p}"),
        |s, p| {
            let n: u64 = s.query_value("p").and_then(|v| v.parse().ok()).unwrap_or(0);
            json(
                200,
                list_page(
                    p,
                    &["k"],
                    Some(format!("https://{VAULT_HOST}:{p}/keys?p={}", n + 1)),
                ),
            )
        },
    )
    .await;
    let options = ClientOptions {
        max_pages: Some(5),
        ..server.options()
    };
    let client = Client::with_credential(&server.vault_url(), RecordingCredential::new(), options)
        .expect("client");
    let link = format!("https://{VAULT_HOST}:{}/keys?p=1", server.addr.port());
    let pages: Vec<Result<types::KeyListResult, Error>> =
        client.pages_from(link).take(20).collect().await;
    assert_eq!(pages.len(), 6, "{pages:?}");
    assert!(pages[..5].iter().all(Result::is_ok));
    assert!(
        matches!(pages[5], Err(Error::TooManyPages { limit: 5 })),
        "{:?}",
        pages[5]
    );
    assert_eq!(authorised_attempts(&server).await.len(), 5);

    // From the first page of a list method too.
    let c = client.clone();
    let pages: Vec<Result<types::KeyListResult, Error>> = client
        .pages(async move { c.get_keys(None).await })
        .take(20)
        .collect()
        .await;
    assert_eq!(pages.len(), 6);
    assert!(matches!(pages[5], Err(Error::TooManyPages { limit: 5 })));
    assert_eq!(
        ClientOptions::default().max_pages,
        Some(keyvault_keys_protocol::DEFAULT_MAX_PAGES)
    );
}

// Finding 6: an extreme expiry from the credential cannot panic the client.

#[tokio::test]
async fn a_token_expiring_at_the_earliest_representable_date_is_renewed_without_panicking() {
    let server = challenging_server(
        |p| format!("https://localhost:{p}"),
        |_, p| json(200, key_bundle(p, "k")),
    )
    .await;
    for expiry in [
        time::PrimitiveDateTime::MIN.assume_utc(),
        time::PrimitiveDateTime::MAX.assume_utc(),
    ] {
        let cred = RecordingCredential::new();
        *cred.expires_on.lock().expect("lock") = Some(expiry);
        let client = server.client(cred.clone());
        call(client.get_key("k", "")).await.expect("first");
        call(client.get_key("k", "")).await.expect("second");
        let expected = if expiry.year() < 0 { 2 } else { 1 };
        assert_eq!(cred.calls().len(), expected, "{expiry}");
    }
}
