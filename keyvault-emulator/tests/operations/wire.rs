//! Wire details, the challenge, and how the binary starts.

use crate::common::*;

#[tokio::test]
async fn wire_details() {
    let (emu, c) = start(EmulatorOptions::default()).await;
    call(c.create_key("w", &create("EC", json!({}))))
        .await
        .expect("create");
    let mut req = RawRequest::new(Method::GET, "/keys/w?api%2Dversion=7.3");
    req.headers
        .insert("x-ms-client-request-id", "my-id-1".parse().expect("header"));
    let r = c.send_request(req).await.expect("raw");
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.headers.get("content-type").and_then(|v| v.to_str().ok()),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(
        r.headers
            .get("x-ms-client-request-id")
            .and_then(|v| v.to_str().ok()),
        Some("my-id-1")
    );
    assert!(r.headers.get("x-ms-request-id").is_some());
    assert!(r.headers.get("x-ms-keyvault-service-version").is_some());
    // An api-version the service does not know is refused with its words
    // (see tests/operations/versions.rs); literal segments win over a version.
    let r = c
        .send_request(RawRequest::new(
            Method::GET,
            "/keys/w/versions?api-version=2099-01-01-preview",
        ))
        .await
        .expect("raw");
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text().contains("(2099-01-01-preview) is not recognized"));
    let r = c
        .send_request(RawRequest::new(
            Method::GET,
            "/keys/w/versions?api-version=7.6-preview.2",
        ))
        .await
        .expect("raw");
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text().contains("\"value\""));
    // Malformed JSON, wrong types, oversized bodies: 400 BadParameter, never a 500.
    for body in [&b"{not json"[..], br#"{"kty": 5}"#, br#"[]"#] {
        let mut req = RawRequest::new(Method::POST, "/keys/x/create");
        req.body = Some(body.to_vec().into());
        let r = c.send_request(req).await.expect("raw");
        assert_eq!(
            r.status,
            StatusCode::BAD_REQUEST,
            "{}",
            String::from_utf8_lossy(body)
        );
        let v: Value = r.json().expect("json");
        assert_eq!(v["error"]["code"], "BadParameter");
        assert!(
            v["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("not valid")),
            "{v}"
        );
    }
    let mut req = RawRequest::new(Method::POST, "/keys/x/create");
    req.body = Some(vec![b' '; keyvault_emulator::MAX_BODY + 10].into());
    let r = c.send_request(req).await.expect("raw");
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text().contains("larger than"));
    let r = c
        .send_request(RawRequest::new(Method::GET, "/certificates/x"))
        .await
        .expect("raw");
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    emu.shutdown().await;
}

#[tokio::test]
async fn the_challenge_names_the_host_minus_its_first_label_and_a_token_can_be_required() {
    let options = EmulatorOptions {
        token: Some("sekret".into()),
        hostnames: vec!["myvault.localhost".into()],
        ..Default::default()
    };
    let emu = Emulator::start(options).await.expect("start");
    assert!(emu.vault_url().starts_with("https://myvault.localhost:"));
    let http = emu.http_client();
    let r = http
        .get(format!("{}/keys?api-version=7.6", emu.vault_url()))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let challenge = r
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .expect("challenge")
        .to_owned();
    assert!(
        challenge.contains(&format!(
            r#"resource="https://localhost:{}""#,
            emu.addr().port()
        )),
        "{challenge}"
    );
    assert!(challenge.contains(r#"authorization="https://login.microsoftonline.com/"#));
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["error"]["code"], "Unauthorized");
    let r = http
        .get(format!("{}/keys?api-version=7.6", emu.vault_url()))
        .bearer_auth("wrong")
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = http
        .get(format!("{}/keys?api-version=7.6", emu.vault_url()))
        .bearer_auth("sekret")
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::OK);
    // Our client with verification on: vault myvault.localhost under resource localhost.
    let c = Client::with_credential(emu.vault_url(), emu.credential(), emu.client_options())
        .expect("client");
    call(c.get_keys(None)).await.expect("verified challenge");
    emu.shutdown().await;
}

#[tokio::test]
async fn any_token_on_a_non_loopback_address_needs_an_explicit_opt_in() {
    let open = EmulatorOptions {
        listen: std::net::SocketAddr::from(([0, 0, 0, 0], 0)),
        ..Default::default()
    };
    let err = Emulator::start(open.clone())
        .await
        .expect_err("refused")
        .to_string();
    assert!(
        err.contains("--token") && err.contains("--insecure-any-token"),
        "{err}"
    );
    let emu = Emulator::start(EmulatorOptions {
        token: Some("s3cret".into()),
        ..open.clone()
    })
    .await
    .expect("with a token");
    emu.shutdown().await;
    let emu = Emulator::start(EmulatorOptions {
        insecure_any_token: true,
        ..open
    })
    .await
    .expect("opted in");
    emu.shutdown().await;
    // On loopback any token is still fine; with a token only that one (same length, one byte off, refused).
    let emu = Emulator::start(EmulatorOptions {
        token: Some("s3cret".into()),
        ..Default::default()
    })
    .await
    .expect("start");
    for (t, want) in [
        ("s3cret", 200),
        ("s3cres", 401),
        ("s3cre", 401),
        ("s3crett", 401),
    ] {
        let r = emu
            .http_client()
            .get(format!("{}/keys?api-version=7.6", emu.vault_url()))
            .bearer_auth(t)
            .send()
            .await
            .expect("send");
        assert_eq!(r.status().as_u16(), want, "{t}");
    }
    emu.shutdown().await;
}

#[test]
fn the_binary_refuses_any_token_on_a_public_address() {
    use std::io::Read as _;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_keyvault-emulator"))
        .args(["--listen", "0.0.0.0:0"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break Some(s);
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let mut err = String::new();
    let _ = child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut err);
    let status = status.expect("the emulator started serving any token on 0.0.0.0");
    assert!(!status.success());
    assert!(
        err.contains("--token") && err.contains("--insecure-any-token"),
        "{err}"
    );
}

#[cfg(unix)]
#[test]
fn the_ca_file_never_follows_a_planted_symlink() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().expect("tmp");
    let victim = dir.path().join("victim");
    std::fs::write(&victim, "precious").expect("victim");
    // An explicit --ca-out that someone replaced by a symlink.
    let planted = dir.path().join("ca.pem");
    std::os::unix::fs::symlink(&victim, &planted).expect("symlink");
    let out = planted.to_string_lossy().into_owned();
    let (mut child, url, ca) = spawn_binary(&["--listen", "127.0.0.1:0", "--ca-out", &out]);
    let _ = child.kill();
    let _ = child.wait();
    assert!(url.starts_with("KEYVAULT_URL=https://"), "{url}");
    assert_eq!(ca, format!("KEYVAULT_CA={out}"));
    assert_eq!(
        std::fs::read_to_string(&victim).expect("victim"),
        "precious"
    );
    let meta = std::fs::symlink_metadata(&planted).expect("ca");
    assert!(
        meta.file_type().is_file(),
        "the symlink was replaced by a file"
    );
    assert!(
        std::fs::read_to_string(&planted)
            .expect("ca")
            .contains("BEGIN CERTIFICATE")
    );

    // The default place: the old guessable name is planted for the port the emulator will use.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let guessable = std::env::temp_dir().join(format!("keyvault-emulator-{port}-ca.pem"));
    let _ = std::fs::remove_file(&guessable);
    std::os::unix::fs::symlink(&victim, &guessable).expect("symlink");
    let listen = format!("127.0.0.1:{port}");
    let (mut child, url, ca) = spawn_binary(&["--listen", &listen]);
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_file(&guessable);
    assert!(url.starts_with("KEYVAULT_URL=https://"), "{url}");
    assert_eq!(
        std::fs::read_to_string(&victim).expect("victim"),
        "precious"
    );
    let path = std::path::PathBuf::from(ca.trim_start_matches("KEYVAULT_CA="));
    let meta = std::fs::symlink_metadata(&path).expect("ca file");
    assert!(meta.file_type().is_file());
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    let parent = path.parent().expect("parent");
    assert_eq!(
        std::fs::metadata(parent).expect("dir").permissions().mode() & 0o777,
        0o700
    );
    if parent != std::env::temp_dir() {
        let _ = std::fs::remove_dir_all(parent);
    }
}

#[test]
fn the_binary_binds_each_trusted_attestation_key_to_an_authority() {
    let dir = tempfile::tempdir().expect("tmp");
    let key = keyvault_crypto::generate(&KeySpec {
        kty: KeyType::Ec,
        size: None,
        curve: None,
        public_exponent: None,
    })
    .expect("key");
    let file = dir.path().join("jwks.json");
    std::fs::write(
        &file,
        json!({"keys": [serde_json::to_value(key.public_only()).expect("jwk")]}).to_string(),
    )
    .expect("write");
    let file = file.to_string_lossy().into_owned();
    // A bare FILE is refused with the form it needs.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_keyvault-emulator"))
        .args(["--listen", "127.0.0.1:0", "--trust-attestation-key", &file])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("AUTHORITY=FILE"), "{err}");
    // AUTHORITY=FILE starts.
    let ca = dir.path().join("ca.pem").to_string_lossy().into_owned();
    let bound = format!("https://attest.test={file}");
    let (mut child, url, _) = spawn_binary(&[
        "--listen",
        "127.0.0.1:0",
        "--ca-out",
        &ca,
        "--trust-attestation-key",
        &bound,
    ]);
    let _ = child.kill();
    let _ = child.wait();
    assert!(url.starts_with("KEYVAULT_URL=https://"), "{url}");
}
