//! Vault settings (soft-delete retention, purge protection, the newest
//! api-version) and api-versions handled as the service handles them.

use crate::common::*;
use crate::fidelity::at_version;

async fn started(options: EmulatorOptions) -> Emulator {
    Emulator::start(options).await.expect("start")
}

/// A short retention shows in the recovery level, `recoverableDays` and the
/// scheduled purge date, through our protocol client.
#[tokio::test]
async fn a_seven_day_retention_is_customized_and_purges_seven_days_after_deletion() {
    let (emu, c) = start(EmulatorOptions {
        soft_delete_retention_days: 7,
        ..Default::default()
    })
    .await;
    let key = call(c.create_key("short", &create("EC", json!({}))))
        .await
        .expect("create");
    let attributes = key.attributes.expect("attributes");
    assert_eq!(
        attributes.recovery_level,
        Some(enums::DeletionRecoveryLevel::CustomizedRecoverablePurgeable)
    );
    assert_eq!(attributes.recoverable_days, Some(7));
    let deleted = call(c.delete_key("short")).await.expect("delete");
    let (d, p) = (
        deleted.deleted_date.expect("deletedDate"),
        deleted.scheduled_purge_date.expect("scheduledPurgeDate"),
    );
    assert_eq!(p - d, 7 * 86_400);
    emu.shutdown().await;
}

/// Purge protection: the purge is refused as the service refuses it, the
/// key stays recoverable, and the recovery level says so.
#[tokio::test]
async fn purge_protection_refuses_the_purge_and_changes_nothing() {
    let (emu, c) = start(EmulatorOptions {
        purge_protection: true,
        ..Default::default()
    })
    .await;
    call(c.create_key("kept", &create("EC", json!({}))))
        .await
        .expect("create");
    let deleted = call(c.delete_key("kept")).await.expect("delete");
    assert_eq!(
        deleted.attributes.and_then(|a| a.recovery_level),
        Some(enums::DeletionRecoveryLevel::Recoverable)
    );
    let (s, v, _) = raw(&emu, Method::DELETE, "/deletedkeys/kept", None)
        .await
        .expect("purge");
    assert_eq!(s, 403, "{v}");
    assert_eq!(v["error"]["code"], "Forbidden");
    assert!(v["error"].get("innererror").is_none(), "{v}");
    let message = v["error"]["message"].as_str().unwrap_or("");
    assert!(
        message.starts_with(
            "Operation \"purge\" is not allowed because purge protection is enabled for this vault. Key Vault service will automatically purge it after the retention period has passed."
        ),
        "{message}"
    );
    assert!(message.contains("Vault: emulator;"), "{message}");
    call(c.get_deleted_key("kept"))
        .await
        .expect("still deleted, not purged");
    call(c.recover_deleted_key("kept"))
        .await
        .expect("recoverable");
    emu.shutdown().await;

    // With a short retention too: CustomizedRecoverable.
    let (emu, c) = start(EmulatorOptions {
        purge_protection: true,
        soft_delete_retention_days: 30,
        ..Default::default()
    })
    .await;
    let key = call(c.create_key("k", &create("EC", json!({}))))
        .await
        .expect("create");
    assert_eq!(
        key.attributes.and_then(|a| a.recovery_level),
        Some(enums::DeletionRecoveryLevel::CustomizedRecoverable)
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn settings_out_of_range_stop_the_start_with_a_message() {
    for (options, needle) in [
        (
            EmulatorOptions {
                soft_delete_retention_days: 6,
                ..Default::default()
            },
            "7 to 90 days",
        ),
        (
            EmulatorOptions {
                soft_delete_retention_days: 91,
                ..Default::default()
            },
            "7 to 90 days",
        ),
        (
            EmulatorOptions {
                max_api_version: Some("7.9".into()),
                ..Default::default()
            },
            "not a known api-version",
        ),
    ] {
        let err = Emulator::start(options).await.expect_err("refused");
        assert!(err.to_string().contains(needle), "{err}");
    }
}

/// A vault limited to 7.1 (as Azure Stack Hub is) refuses 7.3 with the
/// service's message, naming 7.1.
#[tokio::test]
async fn a_vault_with_an_older_newest_version_refuses_newer_ones_by_name() {
    let emu = started(EmulatorOptions {
        max_api_version: Some("7.1".into()),
        ..Default::default()
    })
    .await;
    let (s, v) = at_version(&emu, Method::GET, "/keys", Some("7.3"), None).await;
    assert_eq!(s, 400, "{v}");
    assert_eq!(v["error"]["code"], "BadParameter");
    assert_eq!(
        v["error"]["message"],
        "The specified version (7.3) is not recognized. Consider using the latest supported version (7.1)."
    );
    let (s, _) = at_version(&emu, Method::GET, "/keys", Some("7.1"), None).await;
    assert_eq!(s, 200);
    emu.shutdown().await;
}

#[tokio::test]
async fn unknown_and_missing_api_versions_are_refused() {
    let emu = started(EmulatorOptions::default()).await;
    let (s, v) = at_version(&emu, Method::GET, "/keys", Some("2099-01-01"), None).await;
    assert_eq!(s, 400);
    assert_eq!(
        v["error"]["message"],
        "The specified version (2099-01-01) is not recognized. Consider using the latest supported version (2026-04-01)."
    );
    let (s, v) = at_version(&emu, Method::GET, "/keys", None, None).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (400, Some("BadParameter"))
    );
    // Every version clients send, old and preview, is known.
    for v in [
        "2016-10-01",
        "7.0",
        "7.1",
        "7.2",
        "7.3",
        "7.4",
        "7.5",
        "7.6",
        "2025-07-01",
        "2026-04-01",
        "7.3-preview",
        "7.4-preview.1",
        "7.5-preview.1",
        "7.6-preview.2",
        "2026-01-01-preview",
        "2026-03-01-preview",
        "2026-07-01-preview",
    ] {
        let (s, body) = at_version(&emu, Method::GET, "/keys", Some(v), None).await;
        assert_eq!(s, 200, "{v}: {body}");
    }
    emu.shutdown().await;
}

/// Members a request's api-version does not have are left out of answers.
#[tokio::test]
async fn answers_leave_out_members_newer_than_the_requests_version() {
    let emu = started(EmulatorOptions::default()).await;
    let policy = json!({"data": b64::encode(br#"{"anyOf":[],"version":"1.0.0"}"#)});
    let (s, v) = at_version(
        &emu,
        Method::POST,
        "/keys/new/create",
        Some("7.6"),
        Some(
            json!({"kty": "RSA-HSM", "attributes": {"exportable": true}, "release_policy": policy}),
        ),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let members = |v: &Value| {
        let a = &v["attributes"];
        (
            a.get("recoveryLevel").is_some(),
            a.get("recoverableDays").is_some(),
            a.get("exportable").is_some(),
            v.get("release_policy").is_some(),
            a.get("hsmPlatform").is_some(),
        )
    };
    assert_eq!(members(&v), (true, true, true, true, true));
    for (version, want) in [
        ("7.0", (true, false, false, false, false)),
        ("7.2", (true, true, false, false, false)),
        ("7.3", (true, true, true, true, false)),
        ("7.5", (true, true, true, true, true)),
    ] {
        let (s, v) = at_version(&emu, Method::GET, "/keys/new", Some(version), None).await;
        assert_eq!(s, 200);
        assert_eq!(members(&v), want, "{version}: {v}");
        let (_, list) = at_version(&emu, Method::GET, "/keys", Some(version), None).await;
        let item = &list["value"][0];
        assert_eq!(
            item["attributes"].get("recoverableDays").is_some(),
            want.1,
            "{version}: {list}"
        );
    }
    emu.shutdown().await;
}

/// Operations newer than the request's api-version are refused, naming the
/// version that introduced them.
#[tokio::test]
async fn operations_newer_than_the_requests_version_are_refused_by_name() {
    let emu = started(EmulatorOptions::default()).await;
    let (s, _) = at_version(
        &emu,
        Method::POST,
        "/keys/k/create",
        Some("7.0"),
        Some(json!({"kty": "RSA-HSM"})),
    )
    .await;
    assert_eq!(s, 200);
    for (method, path, body, version, introduced) in [
        (Method::POST, "/keys/k/rotate", None, "7.2", "7.3-preview"),
        (
            Method::GET,
            "/keys/k/rotationpolicy",
            None,
            "7.2",
            "7.3-preview",
        ),
        (
            Method::POST,
            "/rng",
            Some(json!({"count": 8})),
            "7.2",
            "7.3-preview",
        ),
        (
            Method::POST,
            "/keys/k//release",
            Some(json!({"target": "x.y.z"})),
            "7.2",
            "7.3-preview",
        ),
        (
            Method::GET,
            "/keys/k//attestation",
            None,
            "7.5",
            "7.6-preview.2",
        ),
    ] {
        let (s, v) = at_version(&emu, method.clone(), path, Some(version), body.clone()).await;
        assert_eq!(s, 400, "{path} at {version}: {v}");
        assert_eq!(v["error"]["code"], "BadParameter");
        let message = v["error"]["message"].as_str().unwrap_or("");
        assert!(
            message.contains(&format!("introduced in api-version {introduced}")),
            "{message}"
        );
        let (s, v) = at_version(&emu, method, path, Some("2025-07-01"), body).await;
        assert_ne!(s, 400, "{path} at 2025-07-01: {v}");
    }
    emu.shutdown().await;
}

/// The binary takes the settings as flags.
#[tokio::test]
async fn the_binary_takes_the_settings_as_flags() {
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_keyvault-emulator"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--soft-delete-retention-days",
            "3",
        ])
        .output()
        .expect("run");
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("7 to 90 days"));
    let dir = tempfile::tempdir().expect("tmp");
    let ca = dir.path().join("ca.pem");
    let (mut child, url, _) = spawn_binary(&[
        "--listen",
        "127.0.0.1:0",
        "--ca-out",
        ca.to_str().expect("path"),
        "--soft-delete-retention-days",
        "7",
        "--max-api-version",
        "7.4",
    ]);
    let url = url.trim_start_matches("KEYVAULT_URL=").to_owned();
    let pem = std::fs::read(&ca).expect("ca");
    let http = keyvault_keys_protocol::reqwest::Client::builder()
        .add_root_certificate(
            keyvault_keys_protocol::reqwest::Certificate::from_pem(&pem).expect("pem"),
        )
        .build()
        .expect("client");
    let send = |method: Method, path: &str, version: &str, body: Option<Value>| {
        let mut req = http
            .request(method, format!("{url}{path}?api-version={version}"))
            .bearer_auth("t");
        if let Some(b) = body {
            req = req
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        async move {
            let r = req.send().await.expect("send");
            (
                r.status().as_u16(),
                r.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    let (s, v) = send(
        Method::POST,
        "/keys/k/create",
        "7.4",
        Some(json!({"kty": "EC"})),
    )
    .await;
    let (s2, v2) = send(Method::GET, "/keys", "2025-07-01", None).await;
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["attributes"]["recoverableDays"], 7);
    assert_eq!(
        v["attributes"]["recoveryLevel"],
        "CustomizedRecoverable+Purgeable"
    );
    assert_eq!(s2, 400);
    assert!(
        v2["error"]["message"]
            .as_str()
            .is_some_and(|m| m.ends_with("latest supported version (7.4).")),
        "{v2}"
    );
}
