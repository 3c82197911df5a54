//! Typed errors end to end: a generated method returns the crate's
//! [`Error`] itself (no placeholder status, no tag string), with the
//! source chain of what failed (a reqwest time-out, the credential's error).

use std::error::Error as _;

use tokio::io::AsyncReadExt as _;

use super::*;

/// Nothing a caller sees names a placeholder status or a tag.
fn assert_no_placeholder(e: &Error) {
    for text in [format!("{e}"), format!("{e:?}")] {
        assert!(!text.contains("600"), "{text}");
        assert!(!text.contains("keyvault-pipeline"), "{text}");
    }
}

/// A plain-HTTP server on loopback that reads requests and never answers.
async fn silent_server() -> (String, tokio::task::JoinHandle<()>) {
    let listener = common::fresh_listener().await;
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let task = tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                while matches!(stream.read(&mut buf).await, Ok(n) if n > 0) {}
            });
        }
    });
    (url, task)
}

fn impatient_client(url: &str) -> Client {
    let options = ClientOptions {
        allow_insecure_loopback: true,
        http_client: Some(
            keyvault_keys_protocol::reqwest::Client::builder()
                .timeout(Duration::from_millis(300))
                .build()
                .expect("http client"),
        ),
        retry: RetryOptions::none(),
        ..Default::default()
    };
    Client::with_credential(url, RecordingCredential::new(), options).expect("client")
}

#[tokio::test]
async fn a_time_out_is_a_typed_transport_error_with_its_source_chain() {
    let (url, task) = silent_server().await;
    let client = impatient_client(&url);
    // Called directly, without `call`: the method returns our Error.
    let err: Error = client.get_key("k", "").await.expect_err("time-out");
    assert!(matches!(err, Error::Transport(_)), "{err:?}");
    assert!(err.is_timeout(), "{err:?}");
    assert!(!err.is_connect(), "{err:?}");
    let source = err
        .source()
        .and_then(|s| s.downcast_ref::<keyvault_keys_protocol::reqwest::Error>())
        .expect("reqwest's error is the source");
    assert!(source.is_timeout());
    assert_no_placeholder(&err);

    // A create whose answer never came: its outcome is unknown, and the
    // time-out is still readable through it.
    let err = client
        .create_key("k", &create_body())
        .await
        .expect_err("time-out");
    assert!(err.is_outcome_unknown(), "{err:?}");
    assert!(err.is_timeout(), "{err:?}");
    let cause = err.source().expect("the cause");
    assert!(
        cause
            .source()
            .and_then(|s| s.downcast_ref::<keyvault_keys_protocol::reqwest::Error>())
            .is_some_and(|r| r.is_timeout()),
        "{err:?}"
    );
    assert_no_placeholder(&err);
    task.abort();
}

#[tokio::test]
async fn a_refused_connection_is_a_typed_connect_error() {
    // Bind, then close: nothing listens on the port.
    let url = {
        let listener = common::fresh_listener().await;
        format!("http://{}", listener.local_addr().expect("addr"))
    };
    let err = impatient_client(&url)
        .get_key("k", "")
        .await
        .expect_err("refused");
    assert!(err.is_connect(), "{err:?}");
    assert_no_placeholder(&err);
}

#[tokio::test]
async fn pipeline_failures_come_out_of_generated_methods_typed() {
    // A refused challenge.
    let server = challenging_server(
        |_| "https://evil.example".to_owned(),
        |_, p| json(200, key_bundle(p, "k")),
    )
    .await;
    let err = server
        .client(RecordingCredential::new())
        .get_key("k", "")
        .await
        .expect_err("refused challenge");
    assert!(matches!(err, Error::Challenge(_)), "{err:?}");
    assert_no_placeholder(&err);

    // A credential failure: the credential's error is the source.
    let cred = RecordingCredential::new();
    *cred.fail_with.lock().expect("lock") = Some("no login".to_owned());
    let server = challenging_server(
        |p| format!("https://localhost:{p}"),
        |_, p| json(200, key_bundle(p, "k")),
    )
    .await;
    let err = server
        .client(cred)
        .update_key("k", "", &update_body())
        .await
        .expect_err("credential");
    assert!(matches!(err, Error::Credential(_)), "{err:?}");
    let source = err
        .source()
        .and_then(|s| s.downcast_ref::<keyvault_keys_protocol::azure_core::Error>())
        .expect("the credential's error is the source");
    assert_eq!(
        source.kind(),
        &keyvault_keys_protocol::azure_core::error::ErrorKind::Credential
    );
    assert_no_placeholder(&err);

    // An error answer, read by the method itself.
    let server = challenging_server(
        |p| format!("https://localhost:{p}"),
        |_, _| {
            json(
                404,
                serde_json::json!({"error": {"code": "KeyNotFound", "message": "nope"}}),
            )
        },
    )
    .await;
    let err = server
        .client(RecordingCredential::new())
        .get_key("k", "")
        .await
        .expect_err("404");
    let http = err.http().expect("an error answer");
    assert_eq!(http.status, StatusCode::NOT_FOUND);
    assert_eq!(http.code.as_deref(), Some("KeyNotFound"));
    assert_no_placeholder(&err);
}

/// A path parameter that the URL parser would turn into a step up the
/// path (`..`, `.`, a backslash) is refused before anything is sent: a raw
/// `delete_key("..\\deletedkeys\\victim")` once became
/// `DELETE /deletedkeys/victim`, a purge.
#[tokio::test]
async fn a_path_parameter_that_climbs_the_path_is_refused_before_sending() {
    let server = challenging_server(
        |p| format!("https://localhost:{p}"),
        |_, p| json(200, key_bundle(p, "k")),
    )
    .await;
    let cred = RecordingCredential::new();
    let client = server.client(cred.clone());
    for name in ["..\\deletedkeys\\victim", "..", ".", "k\\v"] {
        let e = client.delete_key(name).await.expect_err(name);
        assert!(matches!(e, Error::InvalidRequest(_)), "{name}: {e:?}");
        assert!(e.to_string().contains("not a valid path segment"), "{e}");
    }
    let e = client.get_key("k", "..").await.expect_err("version ..");
    assert!(matches!(e, Error::InvalidRequest(_)), "{e:?}");
    assert!(
        server.seen().is_empty(),
        "nothing was sent: {:?}",
        server.seen()
    );
    assert!(cred.calls().is_empty(), "no token was asked for");
    // A plain name still goes out.
    call(client.get_key("k", "")).await.expect("get");
    assert!(!server.seen().is_empty());
}
