//! Bounded memory: bodies over `max_response_size` are refused while they
//! stream (issue 8, item 6).

use super::*;

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

#[tokio::test]
async fn a_streamed_raw_body_fails_once_the_limit_is_passed_and_is_never_read_to_its_end() {
    use futures::TryStreamExt as _;
    for declare_length in [false, true] {
        let produced = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let p2 = produced.clone();
        let server = challenging_server(
            |p| format!("https://localhost:{p}"),
            move |_, _| streamed(200, BIG, declare_length, p2.clone()),
        )
        .await;
        let client = small_limit(&server, 64 * 1024);
        let response = client
            .send_request_streaming(RawRequest::new(Method::GET, "/keys/raw"))
            .await
            .expect("the head arrives");
        assert_eq!(response.status, StatusCode::OK);
        let mut body = response.into_body();
        let mut delivered = 0usize;
        let err = loop {
            match body.try_next().await {
                Ok(Some(chunk)) => delivered += chunk.len(),
                Ok(None) => panic!("{declare_length}: ended after {delivered} bytes"),
                Err(e) => break e,
            }
        };
        assert!(
            matches!(err, Error::ResponseTooLarge { limit: 65536 }),
            "{declare_length}: {err:?}"
        );
        assert!(delivered <= 64 * 1024, "{delivered} bytes delivered");
        if declare_length {
            assert_eq!(
                delivered, 0,
                "a declared length over the limit fails at once"
            );
        }
        assert!(body.try_next().await.expect("ended").is_none());
        let sent = produced.load(std::sync::atomic::Ordering::SeqCst);
        assert!(sent < BIG / 2, "the body was read to its end: {sent} bytes");
    }
}
