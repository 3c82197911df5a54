//! `KeyClient::send_request_streaming` against the emulator over HTTPS:
//! the body as a stream, bounded by `max_response_size` as it flows.

use super::*;

#[tokio::test]
async fn send_request_streaming_reads_the_body_as_it_arrives_within_the_size_limit() {
    let (emu, c) = setup(EmulatorOptions::default()).await;
    c.create_rsa_key("streamed", None).await.expect("create");
    let whole = c
        .send_request(RawRequest::new(Method::GET, "/keys/streamed/"))
        .await
        .expect("raw");
    let response = c
        .send_request_streaming(RawRequest::new(Method::GET, "/keys/streamed/"))
        .await
        .expect("streaming");
    assert_eq!(response.status.as_u16(), 200);
    let debug = format!("{response:?}");
    assert!(!debug.contains("streamed/"), "no body in Debug: {debug}");
    let mut chunks = 0;
    let mut body = Vec::new();
    let mut stream = response.into_body();
    while let Some(chunk) = stream.try_next().await.expect("chunk") {
        chunks += 1;
        body.extend_from_slice(&chunk);
    }
    assert!(chunks >= 1);
    let streamed: serde_json::Value = serde_json::from_slice(&body).expect("json");
    let read: serde_json::Value = whole.json().expect("json");
    assert_eq!(streamed["key"]["kid"], read["key"]["kid"]);

    // The limit is counted as the bytes flow: the head arrives, the body
    // stream fails once the limit is passed, and ends.
    let small = KeyClient::new(
        emu.vault_url(),
        emu.credential(),
        Some(KeyClientOptions {
            client_options: keyvault_keys::ClientOptions {
                http_client: Some(emu.http_client()),
                max_response_size: 64,
                ..Default::default()
            },
        }),
    )
    .expect("client");
    let response = small
        .send_request_streaming(RawRequest::new(Method::GET, "/keys/streamed/"))
        .await
        .expect("the head is within any limit");
    assert_eq!(response.status.as_u16(), 200);
    let mut stream = response.into_body();
    let mut delivered = 0;
    let err = loop {
        match stream.try_next().await {
            Ok(Some(chunk)) => delivered += chunk.len(),
            Ok(None) => panic!("the body ended within the limit after {delivered} bytes"),
            Err(e) => break e,
        }
    };
    assert!(delivered <= 64, "{delivered} bytes delivered");
    assert!(
        matches!(
            err,
            keyvault_keys_protocol::Error::ResponseTooLarge { limit: 64 }
        ),
        "{err:?}"
    );
    assert!(stream.try_next().await.expect("ended").is_none());
    // Collected, the same failure is the crate's InvalidResponse.
    let e = Error::from(
        small
            .send_request_streaming(RawRequest::new(Method::GET, "/keys/streamed/"))
            .await
            .expect("head")
            .collect()
            .await
            .expect_err("over the limit"),
    );
    assert_eq!(e.kind(), ErrorKind::InvalidResponse, "{e}");
    emu.shutdown().await;
}
