//! Bring-your-own-key import with a key exchange key.

use crate::common::*;

#[tokio::test]
async fn byok_import_with_a_key_exchange_key() {
    use keyvault_crypto::KeyExportEncryptionAlgorithm;
    let (emu, _c) = start(EmulatorOptions::default()).await;
    let (s, kek, _) = raw(
        &emu,
        Method::POST,
        "/keys/kek/create",
        Some(json!({"kty": "RSA-HSM", "key_size": 2048, "key_ops": ["import"]})),
    )
    .await
    .expect("kek");
    assert_eq!(s, 200, "{kek}");
    let kek_kid = kek["key"]["kid"].as_str().expect("kid").to_owned();
    let kek_public: types::JsonWebKey = serde_json::from_value(kek["key"].clone()).expect("jwk");
    let kek_public = JsonWebKey::from_protocol(&kek_public).expect("kek jwk");
    let blob = |kid: &str, material: &[u8]| {
        let ct = keyvault_crypto::rsa_aes_key_wrap(
            &kek_public,
            &KeyExportEncryptionAlgorithm::CkmRsaAesKeyWrap,
            material,
        )
        .expect("wrap");
        let transfer = json!({"schema_version": "1.0.0", "header": {"kid": kid, "alg": "dir", "enc": "CKM_RSA_AES_KEY_WRAP"}, "ciphertext": b64::encode(&ct), "generator": "keyvault-emulator tests"});
        b64::encode(transfer.to_string().as_bytes())
    };
    let make = |kty: KeyType, size: Option<u32>, curve: Option<keyvault_crypto::KeyCurveName>| {
        keyvault_crypto::generate(&KeySpec {
            kty,
            size,
            curve,
            public_exponent: None,
        })
        .expect("generate")
    };

    // RSA: import, then sign in the vault and verify locally with the original.
    let rsa = make(KeyType::Rsa, Some(2048), None);
    let der = LocalKey::from_jwk(&rsa)
        .expect("rsa")
        .private_key_der()
        .expect("der");
    let body = json!({"key": {"kty": "RSA-HSM", "key_hsm": blob(&kek_kid, der.expose()), "key_ops": ["sign", "verify"]}});
    let (s, imported, _) = raw(&emu, Method::PUT, "/keys/byok-rsa", Some(body))
        .await
        .expect("import");
    assert_eq!(s, 200, "{imported}");
    assert_eq!(imported["key"]["kty"], "RSA-HSM");
    assert_eq!(
        imported["key"]["n"].as_str(),
        rsa.n.as_deref().map(b64::encode).as_deref()
    );
    assert!(imported["key"].get("key_hsm").is_none() && imported["key"].get("d").is_none());
    let digest = HashAlgorithm::Sha256.digest(b"bring your own key");
    let (s, sig, _) = raw(
        &emu,
        Method::POST,
        "/keys/byok-rsa//sign",
        Some(json!({"alg": "RS256", "value": b64::encode(&digest)})),
    )
    .await
    .expect("sign");
    assert_eq!(s, 200, "{sig}");
    let signature = b64::decode(sig["value"].as_str().expect("sig")).expect("b64");
    assert!(
        LocalKey::from_jwk(&rsa.public_only())
            .expect("public")
            .verify(
                &keyvault_crypto::SignatureAlgorithm::Rs256,
                &digest,
                &signature
            )
            .expect("verify")
            .is_valid
    );

    // EC and oct.
    let ec = make(KeyType::Ec, None, Some(keyvault_crypto::KeyCurveName::P384));
    let der = LocalKey::from_jwk(&ec)
        .expect("ec")
        .private_key_der()
        .expect("der");
    let body = json!({"key": {"kty": "EC-HSM", "key_hsm": blob(&kek_kid, der.expose())}});
    let (s, imported, _) = raw(&emu, Method::PUT, "/keys/byok-ec", Some(body))
        .await
        .expect("import");
    assert_eq!(s, 200, "{imported}");
    assert_eq!(imported["key"]["crv"], "P-384");
    assert_eq!(
        imported["key"]["x"].as_str(),
        ec.x.as_deref().map(b64::encode).as_deref()
    );
    let aes = [9u8; 32];
    let body = json!({"key": {"kty": "oct-HSM", "key_hsm": blob(&kek_kid, &aes)}});
    let (s, imported, _) = raw(&emu, Method::PUT, "/keys/byok-oct", Some(body))
        .await
        .expect("import");
    assert_eq!(s, 200, "{imported}");
    let (s, enc, _) = raw(
        &emu,
        Method::POST,
        "/keys/byok-oct//encrypt",
        Some(json!({"alg": "A256GCM", "value": b64::encode(b"hello")})),
    )
    .await
    .expect("encrypt");
    assert_eq!(s, 200, "{enc}");
    let mut local = JsonWebKey::new(KeyType::Oct);
    local.k = Some(keyvault_crypto::SecretBytes::from_slice(&aes));
    let plain = LocalKey::from_jwk(&local)
        .expect("oct")
        .decrypt(
            &keyvault_crypto::DecryptParameters::new(
                keyvault_crypto::EncryptionAlgorithm::A256Gcm,
                b64::decode(enc["value"].as_str().expect("ct")).expect("b64"),
            )
            .with_iv(b64::decode(enc["iv"].as_str().expect("iv")).expect("b64"))
            .with_tag(b64::decode(enc["tag"].as_str().expect("tag")).expect("b64")),
        )
        .expect("decrypt");
    assert_eq!(plain.plaintext, b"hello");

    // Refusals: 400 BadParameter with a clear message, and nothing imported.
    assert_eq!(
        status(
            &emu,
            Method::POST,
            "/keys/plain/create",
            Some(json!({"kty": "RSA-HSM"}))
        )
        .await,
        200
    );
    let (_, plain_kek, _) = raw(&emu, Method::GET, "/keys/plain", None)
        .await
        .expect("get");
    let plain_kid = plain_kek["key"]["kid"].as_str().expect("kid").to_owned();
    assert_eq!(
        status(
            &emu,
            Method::POST,
            "/keys/old/create",
            Some(json!({"kty": "RSA-HSM", "key_ops": ["import"], "attributes": {"exp": 1}}))
        )
        .await,
        200
    );
    let (_, old_kek, _) = raw(&emu, Method::GET, "/keys/old", None)
        .await
        .expect("get");
    let old_kid = old_kek["key"]["kid"].as_str().expect("kid").to_owned();
    let missing_kid = format!(
        "{}/keys/nokek/0123456789abcdef0123456789abcdef",
        emu.vault_url()
    );
    let garbage = b64::encode(b"not json");
    for (what, key, needle) in [
        (
            "a KEK without import",
            json!({"kty": "oct-HSM", "key_hsm": blob(&plain_kid, &aes)}),
            "import",
        ),
        (
            "a KEK that does not exist",
            json!({"kty": "oct-HSM", "key_hsm": blob(&missing_kid, &aes)}),
            "does not exist",
        ),
        (
            "an expired KEK",
            json!({"kty": "oct-HSM", "key_hsm": blob(&old_kid, &aes)}),
            "expired",
        ),
        (
            "not a transfer blob",
            json!({"kty": "oct-HSM", "key_hsm": garbage}),
            "transfer blob",
        ),
        (
            "a non-HSM kty",
            json!({"kty": "oct", "key_hsm": blob(&kek_kid, &aes)}),
            "oct-HSM",
        ),
    ] {
        let (s, body, _) = raw(
            &emu,
            Method::PUT,
            "/keys/refused",
            Some(json!({"key": key})),
        )
        .await
        .expect("answer");
        assert_eq!(s, 400, "{what}: {body}");
        assert_eq!(body["error"]["code"], "BadParameter", "{what}");
        let m = body["error"]["message"].as_str().unwrap_or("");
        assert!(m.contains(needle), "{what}: {m}");
    }
    assert_eq!(status(&emu, Method::GET, "/keys/refused", None).await, 404);
    emu.shutdown().await;
}
