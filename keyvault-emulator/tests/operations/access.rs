//! Permissions as the service enforces them: tokens with built-in roles or
//! access-policy permissions, refused with the service's 403 and changing
//! nothing.

use keyvault_emulator::{Role, TokenGrant};

use crate::common::*;

const ADMIN: &str = "admin-token";

async fn estate() -> Emulator {
    let tokens = vec![
        TokenGrant::role("reader", Role::Reader),
        TokenGrant::role("crypto-user", Role::CryptoUser),
        TokenGrant::role("release-user", Role::CryptoServiceReleaseUser),
        TokenGrant::permissions("policy-get-list", ["get", "list"]).expect("grant"),
    ];
    Emulator::start(EmulatorOptions {
        token: Some(ADMIN.into()),
        tokens,
        ..Default::default()
    })
    .await
    .expect("start")
}

fn client_for(emu: &Emulator, token: &str) -> Client {
    Client::with_credential(
        emu.vault_url(),
        emu.credential_for(token),
        emu.client_options(),
    )
    .expect("client")
}

fn refusal(e: &Error) -> (u16, String, String) {
    let h = e
        .http()
        .unwrap_or_else(|| panic!("not an HTTP error: {e:?}"));
    let inner = serde_json::from_slice::<Value>(&h.body)
        .ok()
        .and_then(|v| v["error"]["innererror"]["code"].as_str().map(str::to_owned))
        .unwrap_or_default();
    (h.status.as_u16(), h.code.clone().unwrap_or_default(), inner)
}

fn sign_params() -> types::KeySignParameters {
    serde_json::from_value(json!({"alg": "ES256", "value": b64::encode(&[1u8; 32])}))
        .expect("params")
}

#[tokio::test]
async fn a_reader_gets_and_lists_but_cannot_sign_create_or_delete() {
    let emu = estate().await;
    let admin = client_for(&emu, ADMIN);
    call(admin.create_key("k", &create("EC", json!({}))))
        .await
        .expect("create");
    let reader = client_for(&emu, "reader");
    call(reader.get_key("k", "")).await.expect("get");
    call(reader.get_keys(None)).await.expect("list");
    call(reader.get_key_rotation_policy("k"))
        .await
        .expect("read the rotation policy");
    let e = call(reader.sign("k", "", &sign_params()))
        .await
        .expect_err("sign");
    assert_eq!(
        refusal(&e),
        (403, "Forbidden".into(), "ForbiddenByRbac".into())
    );
    let message = e.http().and_then(|h| h.message.clone()).unwrap_or_default();
    assert!(
        message.contains("Action: 'Microsoft.KeyVault/vaults/keys/sign/action'"),
        "{message}"
    );
    assert!(
        !message.contains("reader"),
        "no token in the message: {message}"
    );
    for e in [
        call(reader.create_key("new", &create("EC", json!({}))))
            .await
            .map(|_| ())
            .expect_err("create"),
        call(reader.delete_key("k"))
            .await
            .map(|_| ())
            .expect_err("delete"),
    ] {
        assert_eq!(refusal(&e).2, "ForbiddenByRbac");
    }
    // Nothing changed.
    call(admin.get_key("k", "")).await.expect("still there");
    assert!(call(admin.get_key("new", "")).await.is_err());
    emu.shutdown().await;
}

#[tokio::test]
async fn a_reader_may_run_public_key_operations_on_asymmetric_keys_only() {
    let emu = estate().await;
    let admin = client_for(&emu, ADMIN);
    call(admin.create_key("rsa", &create("RSA", json!({}))))
        .await
        .expect("create");
    call(admin.create_key("aes", &create("oct-HSM", json!({}))))
        .await
        .expect("create");
    let reader = client_for(&emu, "reader");
    let encrypt = |alg: &str| -> types::KeyOperationsParameters {
        serde_json::from_value(json!({"alg": alg, "value": b64::encode(b"hello")})).expect("params")
    };
    call(reader.encrypt("rsa", "", &encrypt("RSA-OAEP-256")))
        .await
        .expect("encrypt with an RSA key needs only read");
    let e = call(reader.encrypt("aes", "", &encrypt("A256GCM")))
        .await
        .expect_err("encrypt with an AES key needs encrypt");
    assert_eq!(refusal(&e).2, "ForbiddenByRbac");
    let e = call(reader.decrypt("rsa", "", &encrypt("RSA-OAEP-256")))
        .await
        .expect_err("decrypt needs decrypt");
    assert_eq!(refusal(&e).2, "ForbiddenByRbac");
    emu.shutdown().await;
}

#[tokio::test]
async fn a_crypto_user_signs_but_cannot_delete_and_a_release_user_only_releases() {
    let emu = estate().await;
    let admin = client_for(&emu, ADMIN);
    call(admin.create_key("k", &create("EC", json!({}))))
        .await
        .expect("create");
    let user = client_for(&emu, "crypto-user");
    call(user.sign("k", "", &sign_params()))
        .await
        .expect("sign");
    let e = call(user.delete_key("k")).await.expect_err("delete");
    assert_eq!(refusal(&e).2, "ForbiddenByRbac");
    let e = call(user.update_key_rotation_policy(
        "k",
        &serde_json::from_value(json!({"lifetimeActions": []})).expect("policy"),
    ))
    .await
    .expect_err("set policy");
    assert_eq!(refusal(&e).2, "ForbiddenByRbac");
    let release = client_for(&emu, "release-user");
    for e in [
        call(release.get_key("k", ""))
            .await
            .map(|_| ())
            .expect_err("get"),
        call(release.sign("k", "", &sign_params()))
            .await
            .map(|_| ())
            .expect_err("sign"),
    ] {
        assert_eq!(refusal(&e).2, "ForbiddenByRbac");
    }
    // Release is allowed: it gets as far as checking the target token.
    let (s, v, _) = {
        let r = emu
            .http_client()
            .post(format!(
                "{}/keys/k//release?api-version=7.6",
                emu.vault_url()
            ))
            .bearer_auth("release-user")
            .header("content-type", "application/json")
            .body(json!({"target": "a.b.c"}).to_string())
            .send()
            .await
            .expect("send");
        let s = r.status().as_u16();
        (s, r.json::<Value>().await.expect("json"), ())
    };
    assert_eq!(s, 403, "{v}");
    assert_eq!(v["error"]["innererror"]["code"], "AccessDenied", "{v}");
    call(admin.get_key("k", "")).await.expect("not deleted");
    emu.shutdown().await;
}

#[tokio::test]
async fn access_policy_permissions_refuse_with_forbidden_by_policy() {
    let emu = estate().await;
    let admin = client_for(&emu, ADMIN);
    call(admin.create_key("k", &create("EC", json!({}))))
        .await
        .expect("create");
    let policy = client_for(&emu, "policy-get-list");
    call(policy.get_key("k", "")).await.expect("get");
    call(policy.get_keys(None)).await.expect("list");
    let e = call(policy.sign("k", "", &sign_params()))
        .await
        .expect_err("sign");
    assert_eq!(
        refusal(&e),
        (403, "Forbidden".into(), "ForbiddenByPolicy".into())
    );
    let message = e.http().and_then(|h| h.message.clone()).unwrap_or_default();
    assert!(
        message.contains(
            "does not have keys sign permission on key vault 'emulator;location=emulator'"
        ),
        "{message}"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn an_unknown_token_is_challenged_and_the_binary_takes_scoped_tokens() {
    let emu = estate().await;
    let stranger = client_for(&emu, "stranger");
    let e = call(stranger.get_keys(None)).await.expect_err("401");
    assert!(e.to_string().contains("401") || e.http().is_some(), "{e}");
    emu.shutdown().await;

    let (mut child, url, _) = spawn_binary(&[
        "--listen",
        "127.0.0.1:0",
        "--token",
        "admin",
        "--token",
        "r:role=Key Vault Reader",
        "--token",
        "p:permissions=get,list",
    ]);
    let _ = child.kill();
    let _ = child.wait();
    assert!(url.starts_with("KEYVAULT_URL=https://"), "{url}");
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_keyvault-emulator"))
        .args(["--listen", "127.0.0.1:0", "--token", "t:role=Owner"])
        .output()
        .expect("run");
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown role"));
}
