//! `send_request` and `send_request_streaming`.

use super::*;

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
async fn send_request_streaming_delivers_the_body_in_chunks_as_it_arrives() {
    use futures::TryStreamExt as _;
    const LEN: u64 = 1024 * 1024;
    let produced = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let p2 = produced.clone();
    let server = challenging_server(
        |p| format!("https://localhost:{p}"),
        move |s, _| match s.path.as_str() {
            "/keys/big" => streamed(200, LEN, false, p2.clone()),
            _ => json(
                404,
                serde_json::json!({"error": {"code": "KeyNotFound", "message": "nope"}}),
            ),
        },
    )
    .await;
    let client = server.client(RecordingCredential::new());
    let response = client
        .send_request_streaming(RawRequest::new(Method::GET, "/keys/big"))
        .await
        .expect("head");
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(
        response
            .headers
            .get("x-ms-request-id")
            .and_then(|v| v.to_str().ok()),
        Some("req-streamed")
    );
    // Debug names the headers, never the bytes.
    let debug = format!("{response:?}");
    assert!(debug.contains("x-ms-request-id"), "{debug}");
    assert!(!debug.contains("req-streamed"), "{debug}");
    let mut body = response.into_body();
    let first = body.try_next().await.expect("chunk").expect("some");
    assert!(!first.is_empty());
    assert!(
        (first.len() as u64) < LEN,
        "the first chunk came before the whole body"
    );
    let mut total = first.len() as u64;
    while let Some(chunk) = body.try_next().await.expect("chunk") {
        total += chunk.len() as u64;
    }
    assert_eq!(total, LEN);

    // An error status is returned as a stream too; error_for_status reads it.
    let response = client
        .send_request_streaming(RawRequest::new(Method::GET, "/keys/none"))
        .await
        .expect("404 returned");
    assert_eq!(response.status, StatusCode::NOT_FOUND);
    let err = response.error_for_status().await.expect_err("raised");
    assert_eq!(
        err.http().and_then(|h| h.code.as_deref()),
        Some("KeyNotFound")
    );
}
