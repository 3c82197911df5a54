//! The request path's own tests: what one request can do to the others.

use std::time::Instant;

use super::*;
use crate::EmulatorOptions;

fn request(method: Method, path: &str, body: &str) -> Request<Full<Bytes>> {
    Request::builder()
        .method(method)
        .uri(format!(
            "{path}?api-version={}",
            keyvault_keys_types::DEFAULT_API_VERSION
        ))
        .header(hyper::header::HOST, "127.0.0.1:8443")
        .header(
            hyper::header::AUTHORIZATION,
            format!("Bearer {}", crate::DEFAULT_TOKEN),
        )
        .header(CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from(body.to_owned())))
        .expect("a valid request")
}

fn status(outcome: Outcome) -> u16 {
    match outcome {
        Outcome::Answer(r) => r.status().as_u16(),
        Outcome::Drop => 0,
    }
}

/// A read lock held for long work (a backup, a BYOK unwrap) with a writer
/// queued behind it makes every new reader wait (std's RwLock prefers the
/// writer). A one-version GET answered on the connection's task must not
/// wait there: it would stop the async runtime (accepts, handshakes, every
/// other connection) for as long as the lock is held.
#[tokio::test(flavor = "current_thread")]
async fn a_read_behind_a_queued_writer_does_not_stop_the_runtime() {
    let shared = Arc::new(Shared::new(&EmulatorOptions::default()).expect("shared state"));
    let created = serve(
        shared.clone(),
        request(Method::POST, "/keys/k/create", r#"{"kty":"EC"}"#),
    )
    .await;
    assert_eq!(status(created), 200);

    let (held_tx, held_rx) = std::sync::mpsc::channel();
    let s = shared.clone();
    let reader = std::thread::spawn(move || {
        let vault = s.estate.first().expect("the default vault");
        let guard = vault.read();
        held_tx.send(()).expect("signal");
        std::thread::sleep(Duration::from_millis(600));
        drop(guard);
    });
    held_rx.recv().expect("the read lock is held");
    let s = shared.clone();
    let writer = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        status(rt.block_on(serve(
            s,
            request(Method::PATCH, "/keys/k/", r#"{"tags":{"a":"b"}}"#),
        )))
    });
    // Let the PATCH reach the write lock and queue there.
    std::thread::sleep(Duration::from_millis(100));

    let get = tokio::spawn(serve(shared.clone(), request(Method::GET, "/keys/k/", "")));
    let started = Instant::now();
    tokio::time::sleep(Duration::from_millis(10)).await;
    let waited = started.elapsed();
    assert!(
        waited < Duration::from_millis(250),
        "a 10 ms timer fired after {waited:?}: the runtime was blocked"
    );
    assert_eq!(status(get.await.expect("the GET task")), 200);
    reader.join().expect("reader");
    assert_eq!(writer.join().expect("writer"), 200);
}
