//! The challenge probe never makes an operation run twice (issue 8,
//! item 4, and the review's finding 3).

use super::*;

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
    // challenge; the request with its body is challenged. A server per
    // operation: a second client of the same vault would reuse the
    // challenge the first verified and send no probe (issue 19 §3).
    for op in ["create_key", "update_key"] {
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
