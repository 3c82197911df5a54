//! The challenge dance, resource and scope verification, the TLS rule,
//! credential failures, CAE re-challenges and token renewal.

use super::*;

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
        Error::Credential(e) => {
            // The credential's own error, typed, is the source.
            assert_eq!(
                e.kind(),
                &keyvault_keys_protocol::azure_core::error::ErrorKind::Credential
            );
            assert!(e.to_string().contains("no login"), "{e}");
        }
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

// Issue 19 §3: one challenge per vault per process. A challenge verified by
// one client is reused by a new client of the same origin and the same
// verification settings (only the scope and tenant, never a token); it is
// never handed to another origin or across settings, and a 401 with a new
// challenge still re-challenges and updates what the next client reuses.

#[tokio::test]
async fn a_second_client_of_the_same_vault_sends_its_first_request_authorised() {
    let server = challenging_server(
        |p| format!("https://localhost:{p}"),
        |_, p| json(200, key_bundle(p, "k")),
    )
    .await;
    let first = RecordingCredential::new();
    call(server.client(first.clone()).get_key("k", ""))
        .await
        .expect("first client");
    assert_eq!(server.seen().len(), 2, "the first client probes");

    let second = RecordingCredential::new();
    let client = server.client(second.clone());
    call(client.get_key("k", "")).await.expect("second client");
    let seen = server.seen();
    assert_eq!(
        seen.len(),
        3,
        "the second client's first call is one exchange"
    );
    assert_eq!(
        seen[2].header("authorization").as_deref(),
        Some("Bearer token-1"),
        "with the second credential's own token"
    );
    let calls = second.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(
        calls[0].scopes,
        vec![format!("https://localhost:{}/.default", server.addr.port())]
    );
    assert_eq!(
        calls[0].tenant.as_deref(),
        Some("72f988bf-86f1-41af-91ab-2d7cd011db47")
    );
    assert_eq!(
        client.pipeline().cached_scope().await,
        Some(format!("https://localhost:{}/.default", server.addr.port()))
    );

    // A write with a body goes at once too: no bodiless probe.
    call(
        server
            .client(RecordingCredential::new())
            .update_key("k", "", &update_body()),
    )
    .await
    .expect("update");
    let seen = server.seen();
    assert_eq!(seen.len(), 4);
    assert!(authorised(&seen[3]) && !seen[3].body.is_empty());
}

#[tokio::test]
async fn a_challenge_verified_for_one_origin_is_not_used_for_another_port_or_host() {
    let server = challenging_server(
        |p| format!("https://localhost:{p}"),
        |_, p| json(200, key_bundle(p, "k")),
    )
    .await;
    let other = challenging_server(
        |p| format!("https://localhost:{p}"),
        |_, p| json(200, key_bundle(p, "k")),
    )
    .await;
    call(server.client(RecordingCredential::new()).get_key("k", ""))
        .await
        .expect("verified for myvault.localhost:P");

    // Another port, same host name: a challenge of its own.
    let cred = RecordingCredential::new();
    call(other.client(cred.clone()).get_key("k", ""))
        .await
        .expect("other port");
    let seen = other.seen();
    assert_eq!(seen.len(), 2, "probe + request");
    assert!(!authorised(&seen[0]), "the first request is the probe");
    assert_eq!(
        cred.calls()[0].scopes,
        vec![format!("https://localhost:{}/.default", other.addr.port())]
    );

    // Another host, same port (the same server behind two names).
    for url in [
        format!("https://other.localhost:{}", server.addr.port()),
        format!("https://localhost:{}", server.addr.port()),
    ] {
        let before = server.seen().len();
        let cred = RecordingCredential::new();
        let client = Client::with_credential(&url, cred.clone(), server.options()).expect("client");
        call(client.get_key("k", "")).await.expect(&url);
        let seen = server.seen();
        assert_eq!(seen.len(), before + 2, "{url}: probe + request");
        assert!(
            !authorised(&seen[before]),
            "{url}: the first request is the probe"
        );
    }
}

#[tokio::test]
async fn a_challenge_verified_under_other_settings_is_not_used() {
    // The service names a resource that is not the vault's: only a client
    // with verification off accepts it.
    let server = challenging_server(
        |_| "https://vault.azure.net".to_owned(),
        |_, p| json(200, key_bundle(p, "k")),
    )
    .await;
    let off = ClientOptions {
        verify_challenge_resource: false,
        ..server.options()
    };
    let cred = RecordingCredential::new();
    let trusting =
        Client::with_credential(&server.vault_url(), cred.clone(), off.clone()).expect("client");
    call(trusting.get_key("k", ""))
        .await
        .expect("verification off");
    assert_eq!(
        cred.calls()[0].scopes,
        vec!["https://vault.azure.net/.default".to_owned()]
    );

    // A verifying client of the same vault is challenged and refuses: the
    // scope the trusting client accepted is not handed to it.
    let before = server.seen().len();
    let cred = RecordingCredential::new();
    let err = call(server.client(cred.clone()).get_key("k", ""))
        .await
        .expect_err("the verifying client refuses the foreign resource");
    assert!(matches!(err, Error::Challenge(_)), "{err:?}");
    assert!(cred.calls().is_empty(), "no token was requested");
    let seen = server.seen();
    assert_eq!(seen.len(), before + 1, "only the probe");
    assert!(!authorised(&seen[before]));

    // Another trusting client reuses what the first one accepted.
    let before = server.seen().len();
    let client = Client::with_credential(&server.vault_url(), RecordingCredential::new(), off)
        .expect("client");
    call(client.get_key("k", "")).await.expect("reused");
    assert_eq!(server.seen().len(), before + 1);

    // And the reverse: what a verifying client verified is not reused by a
    // client with verification off, nor with other loopback settings.
    let server = challenging_server(
        |p| format!("https://localhost:{p}"),
        |_, p| json(200, key_bundle(p, "k")),
    )
    .await;
    call(server.client(RecordingCredential::new()).get_key("k", ""))
        .await
        .expect("verified");
    for options in [
        ClientOptions {
            verify_challenge_resource: false,
            ..server.options()
        },
        ClientOptions {
            allow_insecure_loopback: true,
            ..server.options()
        },
    ] {
        let before = server.seen().len();
        let client =
            Client::with_credential(&server.vault_url(), RecordingCredential::new(), options)
                .expect("client");
        call(client.get_key("k", "")).await.expect("get");
        let seen = server.seen();
        assert_eq!(seen.len(), before + 2, "probe + request");
        assert!(!authorised(&seen[before]));
    }
}

#[tokio::test]
async fn a_401_with_a_new_challenge_rechallenges_and_updates_what_the_next_client_reuses() {
    // The vault moves to another tenant: from then on its challenge names
    // the new tenant, and the first authorised request after the move is
    // refused with that challenge.
    let moved = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let refused = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (m, r) = (moved.clone(), refused.clone());
    let server = TestServer::start(move |s, _, info| {
        let tenant = if m.load(std::sync::atomic::Ordering::SeqCst) {
            "tenant-new"
        } else {
            "tenant-old"
        };
        let header = format!(
            r#"Bearer authorization="https://login.microsoftonline.com/{tenant}", resource="https://localhost:{}""#,
            info.port
        );
        if !authorised(s) {
            return unauthorized(&header);
        }
        if m.load(std::sync::atomic::Ordering::SeqCst)
            && !r.swap(true, std::sync::atomic::Ordering::SeqCst)
        {
            return unauthorized(&header);
        }
        json(200, key_bundle(info.port, "k"))
    })
    .await;
    let first = RecordingCredential::new();
    call(server.client(first.clone()).get_key("k", ""))
        .await
        .expect("before the move");
    assert_eq!(first.calls()[0].tenant.as_deref(), Some("tenant-old"));

    moved.store(true, std::sync::atomic::Ordering::SeqCst);
    let second = RecordingCredential::new();
    call(server.client(second.clone()).get_key("k", ""))
        .await
        .expect("re-challenged");
    let calls = second.calls();
    assert_eq!(
        calls.len(),
        2,
        "the reused challenge's token, then the new one"
    );
    assert_eq!(calls[0].tenant.as_deref(), Some("tenant-old"));
    assert_eq!(calls[1].tenant.as_deref(), Some("tenant-new"));
    let seen = server.seen();
    assert_eq!(seen.len(), 4, "2 before the move, then refused + retried");
    assert!(authorised(&seen[2]) && authorised(&seen[3]));

    // The next client reuses the new challenge: one exchange, the new tenant.
    let third = RecordingCredential::new();
    call(server.client(third.clone()).get_key("k", ""))
        .await
        .expect("after the move");
    assert_eq!(server.seen().len(), 5);
    assert!(authorised(&server.seen()[4]));
    let calls = third.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].tenant.as_deref(), Some("tenant-new"));
}
