//! Error responses, malformed success bodies, the api-version sent and the
//! tracing span of each operation.

use super::*;

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
