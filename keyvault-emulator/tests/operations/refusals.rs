//! Refused requests change nothing; the store survives restarts and
//! failed commits.

use crate::common::*;

#[tokio::test]
async fn sqlite_store_survives_a_restart() {
    let dir = tempfile::tempdir().expect("tmp");
    let options = EmulatorOptions {
        data_dir: Some(dir.path().join("data")),
        ..Default::default()
    };
    let (emu, c) = start(options.clone()).await;
    let k = call(c.create_key("durable", &create("RSA", json!({"tags": {"keep": "me"}}))))
        .await
        .expect("create");
    call(c.create_key("gone", &create("EC", json!({}))))
        .await
        .expect("create");
    call(c.delete_key("gone")).await.expect("delete");
    let blob = call(c.backup_key("durable"))
        .await
        .expect("backup")
        .value
        .expect("blob");
    emu.shutdown().await;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(dir.path().join("data/keyvault.db"))
            .expect("db")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600);
    }
    let (emu, c) = start(options).await;
    let again = call(c.get_key("durable", "")).await.expect("after restart");
    assert_eq!(
        again.key.as_ref().and_then(|k| k.n.clone()),
        k.key.as_ref().and_then(|k| k.n.clone())
    );
    assert_eq!(again.tags.get("keep").map(String::as_str), Some("me"));
    call(c.get_deleted_key("gone"))
        .await
        .expect("deleted state kept");
    // The backup key persists too: a backup from before the restart restores.
    call(c.delete_key("durable")).await.expect("delete");
    c.purge_deleted_key("durable").await.expect("purge");
    call(c.restore_key(&types::KeyRestoreParameters {
        value: blob,
        extra: Default::default(),
    }))
    .await
    .expect("restore old backup");
    // And the private key still works.
    let p: types::KeyOperationsParameters =
        serde_json::from_value(json!({"alg": "RSA-OAEP", "value": b64::encode(b"x")})).expect("p");
    let e = call(c.encrypt("durable", "", &p)).await.expect("encrypt");
    let d: types::KeyOperationsParameters =
        serde_json::from_value(json!({"alg": "RSA-OAEP", "value": e.value})).expect("d");
    assert_eq!(
        call(c.decrypt("durable", "", &d))
            .await
            .expect("decrypt")
            .value
            .as_ref()
            .map(|v| v.expose_secret()),
        Some("eA")
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn an_out_of_range_duration_is_refused_and_never_breaks_the_vault() {
    let (emu, _c) = start(EmulatorOptions::default()).await;
    assert_eq!(
        status(
            &emu,
            Method::POST,
            "/keys/k/create",
            Some(json!({"kty": "EC"}))
        )
        .await,
        200
    );
    // The sequence from the issue: a policy whose expiry is past year 9999, then rotate.
    let huge = raw(
        &emu,
        Method::PUT,
        "/keys/k/rotationpolicy",
        Some(json!({"lifetimeActions": [], "attributes": {"expiryTime": "P99999999D"}})),
    )
    .await;
    let rotated = raw(&emu, Method::POST, "/keys/k/rotate", None).await;
    // A number that overflows i64 arithmetic while parsing.
    let weeks = raw(
        &emu,
        Method::PUT,
        "/keys/k/rotationpolicy",
        Some(json!({"lifetimeActions": [], "attributes": {"expiryTime": "P9223372036854775807W"}})),
    )
    .await;
    let trigger = raw(&emu, Method::PUT, "/keys/k/rotationpolicy", Some(json!({"lifetimeActions": [{"trigger": {"timeAfterCreate": "P9223372036854775807W"}, "action": {"type": "Rotate"}}]}))).await;
    // The vault still answers: a later request is served normally.
    assert_eq!(status(&emu, Method::GET, "/keys/k", None).await, 200);
    assert_eq!(status(&emu, Method::GET, "/keys", None).await, 200);
    for (what, r) in [("P99999999D", &huge), ("P9223372036854775807W", &weeks)] {
        let (s, body, _) = r.as_ref().expect("an answer");
        assert_eq!(*s, 400, "{what}: {body}");
        assert_eq!(body["error"]["code"], "BadParameter");
        let m = body["error"]["message"].as_str().unwrap_or("");
        assert!(m.contains("expiryTime"), "{what}: {m}");
    }
    let (s, body, _) = trigger.expect("an answer");
    assert_eq!(s, 400, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("lifetimeActions[0]"),
        "{body}"
    );
    // Rotate ran without the refused policy: a new version, no panic.
    assert_eq!(rotated.expect("an answer").0, 200);
    emu.shutdown().await;
}

#[tokio::test]
async fn a_refused_update_changes_nothing() {
    let (emu, _c) = start(EmulatorOptions::default()).await;
    let create = json!({"kty": "RSA", "tags": {"a": "1"}});
    assert_eq!(
        status(&emu, Method::POST, "/keys/k/create", Some(create)).await,
        200
    );
    // exportable without a release policy is refused; nothing else in the request may stick.
    let refused = raw(
        &emu,
        Method::PATCH,
        "/keys/k",
        Some(json!({"attributes": {"exportable": true, "enabled": false, "exp": 4102444800_i64}, "tags": {"b": "2"}, "key_ops": ["sign"]})),
    )
    .await
    .expect("answer");
    assert_eq!(refused.0, 400, "{}", refused.1);
    let (s, got, _) = raw(&emu, Method::GET, "/keys/k", None).await.expect("get");
    assert_eq!(s, 200);
    assert_eq!(got["attributes"]["exportable"], false, "{got}");
    assert_eq!(got["attributes"]["enabled"], true, "{got}");
    assert!(got["attributes"].get("exp").is_none(), "{got}");
    assert_eq!(got["tags"], json!({"a": "1"}));
    assert_eq!(got["key"]["key_ops"].as_array().map(Vec::len), Some(6));
    emu.shutdown().await;
}

#[tokio::test]
async fn a_failed_commit_changes_nothing_in_memory_or_on_disk() {
    let dir = tempfile::tempdir().expect("tmp");
    let options = EmulatorOptions {
        data_dir: Some(dir.path().join("data")),
        ..Default::default()
    };
    let (emu, _c) = start(options.clone()).await;
    for name in ["k", "gone", "restored"] {
        let b = json!({"kty": "EC", "tags": {"t": "0"}});
        assert_eq!(
            status(&emu, Method::POST, &format!("/keys/{name}/create"), Some(b)).await,
            200
        );
    }
    assert_eq!(status(&emu, Method::DELETE, "/keys/gone", None).await, 200);
    let (_, blob, _) = raw(&emu, Method::POST, "/keys/restored/backup", None)
        .await
        .expect("backup");
    assert_eq!(
        status(&emu, Method::DELETE, "/keys/restored", None).await,
        200
    );
    assert_eq!(
        status(&emu, Method::DELETE, "/deletedkeys/restored", None).await,
        204
    );
    let before = observe(&emu).await;

    let policy = json!({"lifetimeActions": [], "attributes": {"expiryTime": "P90D"}});
    let writes: Vec<(Method, &str, Option<Value>)> = vec![
        (Method::POST, "/keys/k/create", Some(json!({"kty": "EC"}))),
        (Method::POST, "/keys/new/create", Some(json!({"kty": "EC"}))),
        (
            Method::PUT,
            "/keys/k",
            Some(json!({"key": {"kty": "oct", "k": b64::encode(&[7u8; 32])}})),
        ),
        (
            Method::PATCH,
            "/keys/k",
            Some(json!({"tags": {"t": "1"}, "attributes": {"enabled": false}})),
        ),
        (Method::PUT, "/keys/k/rotationpolicy", Some(policy)),
        (Method::POST, "/keys/k/rotate", None),
        (Method::DELETE, "/keys/k", None),
        (Method::DELETE, "/deletedkeys/gone", None),
        (Method::POST, "/deletedkeys/gone/recover", None),
        (
            Method::POST,
            "/keys/restore",
            Some(json!({"value": blob["value"]})),
        ),
    ];
    for (method, path, body) in writes {
        emu.fail_next_commits(1);
        let r = raw(&emu, method.clone(), path, body).await.expect("answer");
        assert_eq!(r.0, 500, "{method} {path}: {}", r.1);
        emu.fail_next_commits(0);
        assert_eq!(
            observe(&emu).await,
            before,
            "memory after a failed {method} {path}"
        );
    }
    emu.shutdown().await;
    let (emu, _c) = start(options.clone()).await;
    assert_eq!(observe(&emu).await, before, "disk after the failed writes");
    // A purge that did commit stays purged.
    assert_eq!(
        status(&emu, Method::DELETE, "/deletedkeys/gone", None).await,
        204
    );
    emu.shutdown().await;
    let (emu, _c) = start(options).await;
    assert_eq!(
        status(&emu, Method::GET, "/deletedkeys/gone", None).await,
        404
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn tags_and_versions_are_bounded_and_a_refusal_changes_nothing() {
    // A review found that nothing bounded a key's data: ~1 MB of tags copied
    // into every rotated version grows memory and disk without limit. The
    // service's limits hold: at most 15 tags, names up to 512 characters,
    // values up to 256; and a key keeps at most 500 versions (the most the
    // service can back up).
    let (emu, _client) = start(EmulatorOptions::default()).await;
    let many: serde_json::Map<String, Value> =
        (0..16).map(|i| (format!("t{i}"), json!("v"))).collect();
    let long_value = json!({"t": "v".repeat(257)});
    let long_name = json!({ "n".repeat(513): "v" });
    for tags in [Value::Object(many), long_value, long_name] {
        let (s, body, _) = raw(
            &emu,
            Method::POST,
            "/keys/tagged/create",
            Some(json!({"kty": "EC", "tags": tags})),
        )
        .await
        .expect("create");
        assert_eq!(
            (s, body["error"]["code"].as_str()),
            (400, Some("BadParameter")),
            "{body}"
        );
    }
    let (s, _, _) = raw(&emu, Method::GET, "/keys/tagged", None)
        .await
        .expect("get");
    assert_eq!(s, 404, "a refused create made nothing");
    let (s, _, _) = raw(
        &emu,
        Method::POST,
        "/keys/tagged/create",
        Some(json!({"kty": "EC", "tags": {"a": "1"}})),
    )
    .await
    .expect("create");
    assert_eq!(s, 200);
    let too_many: serde_json::Map<String, Value> =
        (0..16).map(|i| (format!("t{i}"), json!("v"))).collect();
    let (s, _, _) = raw(
        &emu,
        Method::PATCH,
        "/keys/tagged",
        Some(json!({"tags": too_many})),
    )
    .await
    .expect("update");
    assert_eq!(s, 400);
    let (_, key, _) = raw(&emu, Method::GET, "/keys/tagged", None)
        .await
        .expect("get");
    assert_eq!(
        key["tags"],
        json!({"a": "1"}),
        "a refused update changed nothing"
    );
    // Versions: 500 in all, then a refusal.
    for _ in 1..500 {
        let (s, _, _) = raw(&emu, Method::POST, "/keys/tagged/rotate", None)
            .await
            .expect("rotate");
        assert_eq!(s, 200);
    }
    let (s, body, _) = raw(&emu, Method::POST, "/keys/tagged/rotate", None)
        .await
        .expect("rotate");
    assert_eq!(
        (s, body["error"]["code"].as_str()),
        (400, Some("BadParameter")),
        "{body}"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn a_data_dir_in_use_by_another_emulator_is_refused() {
    // Two emulators on one --data-dir would each keep their own copy in
    // memory and overwrite each other's rows: updates silently lost. The
    // second one must refuse to start, saying why; once the first has
    // stopped, the folder can be used again.
    let dir = tempfile::tempdir().expect("tmp");
    let options = EmulatorOptions {
        data_dir: Some(dir.path().join("data")),
        ..Default::default()
    };
    let (first, _c) = start(options.clone()).await;
    let second = Emulator::start(options.clone()).await;
    let e = second.expect_err("a second emulator on the same folder");
    assert!(e.to_string().contains("in use"), "{e}");
    first.shutdown().await;
    let (again, c) = start(options).await;
    call(c.get_keys(None))
        .await
        .expect("serves after the first stopped");
    again.shutdown().await;
}
