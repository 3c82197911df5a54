//! The emulator as a test estate: several vaults by host name, a clock
//! tests move, events, and the whole state exported and imported.

use keyvault_emulator::VaultOptions;

use crate::common::*;

const DAY: u64 = 86_400;

fn client_at(emu: &Emulator, url: &str) -> Client {
    Client::with_credential(url, emu.credential(), emu.client_options()).expect("client")
}

/// A management call (JSON in and out) with the emulator's token.
async fn manage(emu: &Emulator, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut req = emu
        .http_client()
        .request(method, format!("{}{path}", emu.vault_url()))
        .bearer_auth(keyvault_emulator::DEFAULT_TOKEN);
    if let Some(b) = body {
        req = req
            .header("content-type", "application/json")
            .body(b.to_string());
    }
    let r = req.send().await.expect("send");
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

fn vault(name: &str, flavor: Option<&str>) -> VaultOptions {
    VaultOptions {
        name: name.into(),
        flavor: flavor.map(str::to_owned),
        ..Default::default()
    }
}

#[tokio::test]
async fn two_vaults_hold_different_keys_under_one_name_and_refuse_each_others_kids() {
    let emu = Emulator::start(EmulatorOptions {
        vaults: vec![vault("alpha", None), vault("beta", Some("managed-hsm"))],
        ..Default::default()
    })
    .await
    .expect("start");
    let urls = emu.vault_urls();
    let port = emu.addr().port();
    assert_eq!(
        urls,
        [
            (
                "alpha".to_owned(),
                format!("https://alpha.vault.localhost:{port}")
            ),
            (
                "beta".to_owned(),
                format!("https://beta.managedhsm.localhost:{port}")
            ),
        ]
    );
    assert_eq!(emu.vault_url(), urls[0].1);
    let a = client_at(&emu, &urls[0].1);
    let b = client_at(&emu, &urls[1].1);
    let ka = call(a.create_key("same", &create("EC", json!({}))))
        .await
        .expect("create in alpha");
    let kb = call(b.create_key("same", &create("EC", json!({}))))
        .await
        .expect("create in beta");
    let version = version_of(&ka);
    let (ja, jb) = (ka.key.expect("key"), kb.key.expect("key"));
    assert_ne!(ja.x, jb.x, "different key material");
    assert!(ja.kid.as_deref().is_some_and(|k| k.starts_with(&urls[0].1)));
    assert!(jb.kid.as_deref().is_some_and(|k| k.starts_with(&urls[1].1)));
    assert_eq!(jb.kty, Some(enums::KeyType::EcHsm), "beta is a Managed HSM");
    // A version of alpha's key is not one of beta's.
    let e = call(b.get_key("same", &version))
        .await
        .expect_err("alpha's version in beta");
    assert_eq!(status_and_code(&e).0, 404);
    // Each lists its own keys only.
    call(a.create_key("only-alpha", &create("EC", json!({}))))
        .await
        .expect("create");
    let listed = call(b.get_keys(None)).await.expect("list").value;
    assert_eq!(listed.len(), 1);
    // A host that names no vault gets a 404 naming the vaults there are.
    let http = emu.http_client();
    for host in [
        "gamma.vault.localhost",
        "alpha.managedhsm.localhost",
        "127.0.0.1",
    ] {
        let r = http
            .get(format!("https://{host}:{port}/keys?api-version=7.6"))
            .bearer_auth(keyvault_emulator::DEFAULT_TOKEN)
            .send()
            .await
            .expect("send");
        assert_eq!(r.status().as_u16(), 404, "{host}");
        let v: Value = r.json().await.expect("json");
        let message = v["error"]["message"].as_str().unwrap_or("");
        assert!(
            message.contains("alpha") && message.contains("beta"),
            "{message}"
        );
    }
    emu.shutdown().await;
}

#[tokio::test]
async fn vaults_are_made_and_removed_at_run_time_and_kept_under_the_data_dir() {
    let dir = tempfile::tempdir().expect("tmp");
    let options = || EmulatorOptions {
        data_dir: Some(dir.path().to_path_buf()),
        ..Default::default()
    };
    let emu = Emulator::start(options()).await.expect("start");
    let (s, v) = manage(
        &emu,
        Method::POST,
        "/_emulator/vaults",
        Some(json!({"name": "dev", "retentionDays": 7})),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    let url = v["url"].as_str().expect("url").to_owned();
    assert!(url.starts_with("https://dev.vault.localhost:"), "{url}");
    let dev = client_at(&emu, &url);
    let made = call(dev.create_key("kept", &create("EC", json!({}))))
        .await
        .expect("create");
    assert_eq!(made.attributes.and_then(|a| a.recoverable_days), Some(7));
    // Refusals name the field and change nothing.
    for (body, needle) in [
        (json!({"name": "dev"}), "exists already"),
        (json!({"name": "x"}), "not valid"),
        (json!({"name": "qa-env", "colour": "red"}), "colour"),
        (json!({"name": "qa-env", "retentionDays": 3}), "7 to 90"),
    ] {
        let (s, v) = manage(&emu, Method::POST, "/_emulator/vaults", Some(body.clone())).await;
        assert_eq!(s, 400, "{body}: {v}");
        assert!(
            v["error"]["message"]
                .as_str()
                .unwrap_or("")
                .contains(needle),
            "{v}"
        );
    }
    let (_, list) = manage(&emu, Method::GET, "/_emulator/vaults", None).await;
    assert_eq!(list["value"].as_array().map(Vec::len), Some(2), "{list}");
    emu.shutdown().await;

    // After a restart on the same folder the vault and its key are there.
    let emu = Emulator::start(options()).await.expect("restart");
    let url = emu.vault_url_of("dev").expect("dev is kept");
    call(client_at(&emu, &url).get_key("kept", ""))
        .await
        .expect("the key is kept");
    let (s, _) = manage(&emu, Method::DELETE, "/_emulator/vaults/dev", None).await;
    assert_eq!(s, 204);
    assert!(emu.vault_url_of("dev").is_none());
    let (s, _) = manage(&emu, Method::DELETE, "/_emulator/vaults/dev", None).await;
    assert_eq!(s, 404);
    emu.shutdown().await;
}

fn oct_params(alg: &str, value: &[u8]) -> types::KeyOperationsParameters {
    serde_json::from_value(json!({"alg": alg, "value": b64::encode(value)})).expect("params")
}

fn event_types(events: &[Value], name: &str) -> Vec<String> {
    events
        .iter()
        .filter(|e| e["subject"] == name)
        .filter_map(|e| e["eventType"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn the_clock_rotates_warns_expires_and_purges_as_the_service_does() {
    let (emu, c) = start(EmulatorOptions::default()).await;
    let t0 = emu.now();
    call(c.create_key("r", &create("oct-HSM", json!({}))))
        .await
        .expect("create");
    let policy: types::KeyRotationPolicy = serde_json::from_value(json!({
        "lifetimeActions": [
            {"trigger": {"timeAfterCreate": "P30D"}, "action": {"type": "Rotate"}},
            {"trigger": {"timeBeforeExpiry": "P7D"}, "action": {"type": "Notify"}}
        ],
        "attributes": {"expiryTime": "P90D"}
    }))
    .expect("policy");
    call(c.update_key_rotation_policy("r", &policy))
        .await
        .expect("policy");
    // 31 days on: one automatic rotation, at its trigger.
    emu.advance_clock(std::time::Duration::from_secs(31 * DAY))
        .await
        .expect("advance");
    let versions = call(c.get_key_versions("r", None))
        .await
        .expect("versions")
        .value;
    assert_eq!(versions.len(), 2);
    let latest = call(c.get_key("r", "")).await.expect("latest");
    let a = latest.attributes.expect("attributes");
    let created = a.created.expect("created");
    assert!(
        (created - (t0 + 30 * DAY as i64)).abs() <= 2,
        "made at its trigger"
    );
    assert_eq!(
        a.exp,
        Some(created + 90 * DAY as i64),
        "the policy's expiryTime"
    );
    let events = emu.events(None);
    assert_eq!(
        event_types(&events, "r"),
        [
            "Microsoft.KeyVault.KeyNewVersionCreated",
            "Microsoft.KeyVault.KeyNewVersionCreated"
        ],
        "the create and the rotation"
    );
    // Stop rotating; 7 days before the current version's expiry: near expiry.
    let notify_only: types::KeyRotationPolicy = serde_json::from_value(json!({
        "lifetimeActions": [{"trigger": {"timeBeforeExpiry": "P7D"}, "action": {"type": "Notify"}}]
    }))
    .expect("policy");
    call(c.update_key_rotation_policy("r", &notify_only))
        .await
        .expect("policy");
    let exp = a.exp.expect("exp");
    let to_warning = (exp - 7 * DAY as i64 - emu.now()) as u64 + 1;
    emu.advance_clock(std::time::Duration::from_secs(to_warning))
        .await
        .expect("advance");
    let last = emu.events(None);
    let warning = last.last().expect("an event");
    assert_eq!(warning["eventType"], "Microsoft.KeyVault.KeyNearExpiry");
    assert_eq!(warning["data"]["EXP"], exp);
    assert_eq!(warning["data"]["ObjectName"], "r");
    // Past the expiry: encrypt is refused, decrypt still works.
    let sealed = call(c.encrypt("r", "", &oct_params("A256GCM", b"before")))
        .await
        .expect("encrypt before expiry");
    emu.advance_clock(std::time::Duration::from_secs(8 * DAY))
        .await
        .expect("advance");
    let e = call(c.encrypt("r", "", &oct_params("A256GCM", b"after")))
        .await
        .expect_err("expired");
    assert_eq!(status_and_code(&e).0, 403);
    let open: types::KeyOperationsParameters = serde_json::from_value(json!({
        "alg": "A256GCM", "value": sealed.value, "iv": sealed.iv, "tag": sealed.tag
    }))
    .expect("params");
    call(c.decrypt("r", "", &open))
        .await
        .expect("decrypt after expiry");
    assert_eq!(
        emu.events(None)
            .last()
            .and_then(|e| e["eventType"].as_str().map(str::to_owned)),
        Some("Microsoft.KeyVault.KeyExpired".to_owned())
    );
    // Deleted, then gone when the retention ends.
    let deleted = call(c.delete_key("r")).await.expect("delete");
    let purge = deleted.scheduled_purge_date.expect("purge date");
    emu.advance_clock(std::time::Duration::from_secs(
        (purge - emu.now()) as u64 + 1,
    ))
    .await
    .expect("advance");
    let e = call(c.get_deleted_key("r")).await.expect_err("purged");
    assert_eq!(status_and_code(&e).0, 404);
    assert!(
        call(c.get_deleted_keys(None))
            .await
            .expect("list")
            .value
            .is_empty()
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn the_management_clock_moves_forward_only_and_names_what_is_wrong() {
    let (emu, c) = start(EmulatorOptions::default()).await;
    let (s, v) = manage(
        &emu,
        Method::POST,
        "/_emulator/clock",
        Some(json!({"advance": "P1Y"})),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let now = v["unix"].as_i64().expect("unix");
    assert!(
        v["offsetSeconds"].as_i64().unwrap_or(0) >= 364 * 86_400,
        "{v}"
    );
    // New keys are made at the emulator's time.
    let k = call(c.create_key("later", &create("EC", json!({}))))
        .await
        .expect("create");
    let created = k.attributes.and_then(|a| a.created).expect("created");
    assert!((created - now).abs() <= 2, "{created} vs {now}");
    for (body, needle) in [
        (json!({"set": "2020-01-01T00:00:00Z"}), "forward"),
        (json!({"advance": "soon"}), "advance"),
        (
            json!({"advance": "P1D", "set": "2030-01-01T00:00:00Z"}),
            "exactly one",
        ),
        (json!({"warp": "P1D"}), "warp"),
    ] {
        let (s, v) = manage(&emu, Method::POST, "/_emulator/clock", Some(body.clone())).await;
        assert_eq!(s, 400, "{body}: {v}");
        assert!(
            v["error"]["message"]
                .as_str()
                .unwrap_or("")
                .contains(needle),
            "{body}: {v}"
        );
    }
    let (_, after) = manage(&emu, Method::GET, "/_emulator/clock", None).await;
    assert!(
        after["unix"].as_i64().unwrap_or(0) - now < 5,
        "refusals moved nothing"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn the_management_api_needs_a_token_with_every_permission() {
    let emu = Emulator::start(EmulatorOptions {
        token: Some("admin".into()),
        tokens: vec![keyvault_emulator::TokenGrant::role(
            "reader",
            keyvault_emulator::Role::Reader,
        )],
        ..Default::default()
    })
    .await
    .expect("start");
    let http = emu.http_client();
    let url = format!("{}/_emulator/clock", emu.vault_url());
    let none = http.get(&url).send().await.expect("send");
    assert_eq!(none.status().as_u16(), 401);
    let reader = http
        .get(&url)
        .bearer_auth("reader")
        .send()
        .await
        .expect("send");
    assert_eq!(reader.status().as_u16(), 403);
    let admin = http
        .get(&url)
        .bearer_auth("admin")
        .send()
        .await
        .expect("send");
    assert_eq!(admin.status().as_u16(), 200);
    emu.shutdown().await;
}

#[tokio::test]
async fn the_state_exports_and_imports_whole_and_a_bad_document_changes_nothing() {
    let emu = Emulator::start(EmulatorOptions {
        vaults: vec![vault("one", None), vault("two", Some("managed-hsm"))],
        ..Default::default()
    })
    .await
    .expect("start");
    let one = client_at(&emu, &emu.vault_url_of("one").expect("one"));
    let two = client_at(&emu, &emu.vault_url_of("two").expect("two"));
    call(one.create_key("signer", &create("EC", json!({}))))
        .await
        .expect("create");
    call(one.create_key("gone", &create("EC", json!({}))))
        .await
        .expect("create");
    call(one.delete_key("gone")).await.expect("delete");
    call(two.create_key("aes", &create("oct", json!({}))))
        .await
        .expect("create");
    let doc = emu.export_state().await.expect("export");
    assert_eq!(doc["format"], "keyvault-emulator-state");
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("state.json");
    emu.export_state_to(&file).await.expect("write");
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&file).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the file holds private keys");
    }
    emu.shutdown().await;

    // A fresh emulator with no vaults of its own takes the document.
    let other = Emulator::start(EmulatorOptions {
        vaults: vec![vault("scratch", None)],
        ..Default::default()
    })
    .await
    .expect("start");
    other.import_state(&doc).await.expect("import");
    assert_eq!(
        other.export_state().await.expect("export"),
        doc,
        "import then export"
    );
    assert!(
        other.vault_url_of("scratch").is_none(),
        "the document's vaults only"
    );
    let one = client_at(&other, &other.vault_url_of("one").expect("one"));
    call(one.get_deleted_key("gone"))
        .await
        .expect("deleted key kept");
    // The imported key signs, and its signature verifies with the exported
    // public key.
    let digest = [5u8; 32];
    let signed = call(
        one.sign(
            "signer",
            "",
            &serde_json::from_value(json!({"alg": "ES256", "value": b64::encode(&digest)}))
                .expect("params"),
        ),
    )
    .await
    .expect("sign");
    let exported = doc["vaults"]
        .as_array()
        .and_then(|v| v.iter().find(|v| v["name"] == "one"))
        .and_then(|v| v["keys"].as_array())
        .and_then(|k| k.iter().find(|k| k["name"] == "signer"))
        .map(|k| k["versions"][0]["jwk"].clone())
        .expect("exported key");
    let public: JsonWebKey = serde_json::from_value(exported).expect("jwk");
    let local = LocalKey::from_jwk(&public.public_only()).expect("local");
    let signature =
        b64::decode(signed.value.as_ref().expect("value").expose_secret()).expect("b64");
    let ok = local
        .verify(
            &keyvault_crypto::SignatureAlgorithm::Es256,
            &digest,
            &signature,
        )
        .expect("verify");
    assert!(ok.is_valid);
    // A bad document is refused, naming what is wrong, and nothing changes.
    let before = other.export_state().await.expect("export");
    let mut bad = doc.clone();
    bad["vaults"][0]["keys"][0]["versions"][0]["version"] = json!("not-a-version");
    let e = other.import_state(&bad).await.expect_err("refused");
    assert!(
        e.contains("vaults[0]") && e.contains("malformed version"),
        "{e}"
    );
    let mut wrong_format = doc.clone();
    wrong_format["version"] = json!(99);
    let e = other
        .import_state(&wrong_format)
        .await
        .expect_err("refused");
    assert!(e.contains("version 99"), "{e}");
    assert_eq!(other.export_state().await.expect("export"), before);
    // Over HTTP too, and from a file at start.
    let (s, v) = manage(
        &other,
        Method::PUT,
        "/_emulator/state",
        Some(json!({"format": 1})),
    )
    .await;
    assert_eq!(s, 400, "{v}");
    other.shutdown().await;
    let third = Emulator::start(EmulatorOptions {
        vaults: vec![vault("scratch", None)],
        import: Some(file.clone()),
        ..Default::default()
    })
    .await
    .expect("start with --import");
    assert!(third.vault_url_of("two").is_some());
    third.shutdown().await;
}

#[tokio::test]
async fn long_operations_take_their_time_as_the_services_do() {
    let (emu, c) = start(EmulatorOptions {
        operation_latency: "delete=400,recover=400,purge=400".parse().expect("latency"),
        ..Default::default()
    })
    .await;
    call(c.create_key("slow", &create("EC", json!({}))))
        .await
        .expect("create");
    call(c.delete_key("slow")).await.expect("delete");
    // Gone from the keys at once, not yet among the deleted keys.
    assert_eq!(
        status_and_code(&call(c.get_key("slow", "")).await.expect_err("gone")).0,
        404
    );
    assert_eq!(
        status_and_code(&call(c.get_deleted_key("slow")).await.expect_err("not yet")).0,
        404
    );
    assert!(
        call(c.get_deleted_keys(None))
            .await
            .expect("list")
            .value
            .is_empty()
    );
    let (s, v, _) = raw(&emu, Method::DELETE, "/deletedkeys/slow", None)
        .await
        .expect("purge");
    assert_eq!(s, 409, "{v}");
    assert_eq!(v["error"]["innererror"]["code"], "ObjectIsBeingDeleted");
    assert_eq!(v["error"]["message"], "Key is currently being deleted.");
    tokio::time::sleep(std::time::Duration::from_millis(450)).await;
    call(c.get_deleted_key("slow")).await.expect("deleted now");
    // Recovery likewise in reverse.
    call(c.recover_deleted_key("slow")).await.expect("recover");
    assert_eq!(
        status_and_code(&call(c.get_key("slow", "")).await.expect_err("not yet back")).0,
        404
    );
    assert_eq!(
        status_and_code(&call(c.get_deleted_key("slow")).await.expect_err("left")).0,
        404
    );
    tokio::time::sleep(std::time::Duration::from_millis(450)).await;
    call(c.get_key("slow", "")).await.expect("back");
    // A purge keeps the name taken until it completes.
    call(c.delete_key("slow")).await.expect("delete");
    tokio::time::sleep(std::time::Duration::from_millis(450)).await;
    call(c.purge_deleted_key("slow")).await.expect("purge");
    let e = call(c.create_key("slow", &create("EC", json!({}))))
        .await
        .expect_err("being purged");
    assert_eq!(status_and_code(&e).0, 409);
    tokio::time::sleep(std::time::Duration::from_millis(450)).await;
    call(c.create_key("slow", &create("EC", json!({}))))
        .await
        .expect("the name is free again");
    emu.shutdown().await;
}

#[tokio::test]
async fn events_are_posted_to_a_loopback_webhook_as_event_grid_delivers_them() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let hook = format!(
        "http://127.0.0.1:{}/events",
        listener.local_addr().expect("addr").port()
    );
    let received = tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.expect("accept");
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        // Read until the body (a JSON array) is complete.
        while !String::from_utf8_lossy(&got).trim_end().ends_with(']') {
            let n = s.read(&mut buf).await.expect("read");
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
        s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
            .await
            .expect("answer");
        String::from_utf8_lossy(&got).into_owned()
    });
    let (emu, c) = start(EmulatorOptions {
        events_webhook: Some(hook),
        ..Default::default()
    })
    .await;
    call(c.create_key("hooked", &create("EC", json!({}))))
        .await
        .expect("create");
    let request = tokio::time::timeout(std::time::Duration::from_secs(10), received)
        .await
        .expect("posted in time")
        .expect("server");
    let lower = request.to_ascii_lowercase();
    assert!(lower.starts_with("post /events http/1.1"), "{request}");
    assert!(lower.contains("aeg-event-type: notification"), "{request}");
    let body = &request[request.find("\r\n\r\n").expect("body") + 4..];
    let events: Value = serde_json::from_str(body).expect("a JSON array");
    assert_eq!(
        events[0]["eventType"],
        "Microsoft.KeyVault.KeyNewVersionCreated"
    );
    assert_eq!(events[0]["subject"], "hooked");
    emu.shutdown().await;
    let refused = Emulator::start(EmulatorOptions {
        events_webhook: Some("http://10.1.2.3/x".into()),
        ..Default::default()
    })
    .await
    .expect_err("not loopback");
    assert!(refused.to_string().contains("loopback"), "{refused}");
}

#[test]
fn the_binary_prints_each_named_vaults_url_after_the_first_two_lines() {
    use std::io::BufRead as _;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_keyvault-emulator"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--vault",
            "alpha",
            "--vault",
            "beta-two,flavor=managed-hsm,retention-days=7",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let mut lines = std::io::BufReader::new(child.stdout.take().expect("stdout")).lines();
    let got: Vec<String> = (0..4)
        .filter_map(|_| lines.next().and_then(Result::ok))
        .collect();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(got.len(), 4, "{got:?}");
    let port = got[0].rsplit(':').next().expect("port").to_owned();
    assert_eq!(
        got[0],
        format!("KEYVAULT_URL=https://alpha.vault.localhost:{port}")
    );
    assert!(got[1].starts_with("KEYVAULT_CA="), "{got:?}");
    assert_eq!(
        got[2],
        format!("KEYVAULT_URL_ALPHA=https://alpha.vault.localhost:{port}")
    );
    assert_eq!(
        got[3],
        format!("KEYVAULT_URL_BETA_TWO=https://beta-two.managedhsm.localhost:{port}")
    );
}
