//! Key release with attestation tokens.

use crate::common::*;

#[tokio::test]
async fn release_with_a_trusted_attestation_token() {
    let authority = keyvault_crypto::generate(&KeySpec {
        kty: KeyType::Ec,
        size: None,
        curve: Some(keyvault_crypto::KeyCurveName::P256),
        public_exponent: None,
    })
    .expect("authority key");
    let runtime = keyvault_crypto::generate(&KeySpec {
        kty: KeyType::Rsa,
        size: Some(2048),
        curve: None,
        public_exponent: None,
    })
    .expect("runtime key");
    let options = EmulatorOptions {
        trusted_attestation_keys: vec![keyvault_emulator::TrustedAttestationKey::new(
            "https://attest.test",
            authority.public_only(),
        )],
        ..Default::default()
    };
    let (emu, c) = start(options).await;
    let policy = json!({"version": "1.0.0", "anyOf": [{"authority": "https://attest.test", "allOf": [{"claim": "x-ms-attestation-type", "equals": "sevsnpvm"}]}]});
    let release_policy =
        json!({"data": b64::encode(policy.to_string().as_bytes()), "immutable": false});
    let created = call(c.create_key(
        "exp",
        &create(
            "RSA-HSM",
            json!({"attributes": {"exportable": true}, "release_policy": release_policy}),
        ),
    ))
    .await
    .expect("exportable key");
    assert_eq!(
        created.attributes.as_ref().and_then(|a| a.exportable),
        Some(true)
    );
    let mut runtime_public = serde_json::to_value(runtime.public_only()).expect("jwk");
    runtime_public["kid"] = json!("TpmEphemeralEncryptionKey");
    let claims = json!({"iss": "https://attest.test", "x-ms-attestation-type": "sevsnpvm", "x-ms-runtime": {"keys": [runtime_public]}, "exp": 4102444800_i64});
    let token = keyvault_emulator::release::sign_token(&authority, &claims).expect("token");
    let params: types::KeyReleaseParameters = serde_json::from_value(
        json!({"target": token, "enc": "RSA_AES_KEY_WRAP_256", "nonce": "n-1"}),
    )
    .expect("params");
    let jws = call(c.release("exp", "", &params))
        .await
        .expect("release")
        .value
        .expect("jws");

    // The JWS verifies with the emulator's release key, and the wrapped key unwraps to the key.
    let parts: Vec<&str> = jws.expose_secret().split('.').collect();
    assert_eq!(parts.len(), 3);
    let signer = LocalKey::from_jwk(&emu.release_signing_key()).expect("signer");
    let digest = HashAlgorithm::Sha256.digest(format!("{}.{}", parts[0], parts[1]).as_bytes());
    assert!(
        signer
            .verify(
                &keyvault_crypto::SignatureAlgorithm::Rs256,
                &digest,
                &b64::decode(parts[2]).expect("sig")
            )
            .expect("verify")
            .is_valid
    );
    let payload: Value =
        serde_json::from_slice(&b64::decode(parts[1]).expect("payload")).expect("json");
    assert_eq!(payload["request"]["nonce"], "n-1");
    assert_eq!(payload["request"]["enc"], "RSA_AES_KEY_WRAP_256");
    let wrapped = b64::decode(
        payload["response"]["key"]["key"]["key_hsm"]
            .as_str()
            .expect("key_hsm"),
    )
    .expect("b64");
    let pkcs8 = keyvault_crypto::rsa_aes_key_unwrap(
        &runtime,
        &keyvault_crypto::KeyExportEncryptionAlgorithm::RsaAesKeyWrap256,
        &wrapped,
    )
    .expect("unwrap");
    let mut released = JsonWebKey::new(KeyType::Rsa);
    keyvault_crypto::engine::fill_rsa_from_pkcs8(&mut released, pkcs8.expose()).expect("pkcs8");
    assert_eq!(
        released.n.as_deref().map(b64::encode),
        created.key.as_ref().and_then(|k| k.n.clone()),
        "the released key is the vault's key"
    );

    // Claims that do not satisfy the policy; a token from an untrusted authority; a non-exportable key.
    let wrong = keyvault_emulator::release::sign_token(&authority, &json!({"iss": "https://attest.test", "x-ms-attestation-type": "tdx", "x-ms-runtime": {"keys": [runtime.public_only()]}})).expect("token");
    let p: types::KeyReleaseParameters =
        serde_json::from_value(json!({"target": wrong})).expect("params");
    assert_eq!(
        status_and_code(&call(c.release("exp", "", &p)).await.expect_err("policy")).0,
        403
    );
    let stranger = keyvault_crypto::generate(&KeySpec {
        kty: KeyType::Ec,
        size: None,
        curve: None,
        public_exponent: None,
    })
    .expect("key");
    let untrusted = keyvault_emulator::release::sign_token(&stranger, &claims).expect("token");
    let p: types::KeyReleaseParameters =
        serde_json::from_value(json!({"target": untrusted})).expect("params");
    assert!(
        status_and_code(&call(c.release("exp", "", &p)).await.expect_err("untrusted"))
            .2
            .contains("trusted")
    );
    call(c.create_key("plain", &create("RSA", json!({}))))
        .await
        .expect("plain");
    let p: types::KeyReleaseParameters =
        serde_json::from_value(json!({"target": token})).expect("params");
    assert!(
        status_and_code(
            &call(c.release("plain", "", &p))
                .await
                .expect_err("not exportable")
        )
        .2
        .contains("not exportable")
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn release_refuses_tokens_it_should_not_trust() {
    let ec = || {
        keyvault_crypto::generate(&KeySpec {
            kty: KeyType::Ec,
            size: None,
            curve: Some(keyvault_crypto::KeyCurveName::P256),
            public_exponent: None,
        })
        .expect("key")
    };
    let (good, other) = (ec(), ec());
    let runtime = keyvault_crypto::generate(&KeySpec {
        kty: KeyType::Rsa,
        size: Some(2048),
        curve: None,
        public_exponent: None,
    })
    .expect("runtime key");
    let options = EmulatorOptions {
        trusted_attestation_keys: vec![
            keyvault_emulator::TrustedAttestationKey::new(
                "https://attest.test",
                good.public_only(),
            ),
            keyvault_emulator::TrustedAttestationKey::new(
                "https://other.test",
                other.public_only(),
            ),
        ],
        ..Default::default()
    };
    let (emu, _c) = start(options).await;
    let policy = json!({"version": "1.0.0", "anyOf": [{"authority": "https://attest.test", "allOf": [{"claim": "x-ms-attestation-type", "equals": "sevsnpvm"}]}]});
    let body = json!({"kty": "RSA-HSM", "attributes": {"exportable": true}, "release_policy": {"data": b64::encode(policy.to_string().as_bytes())}});
    assert_eq!(
        status(&emu, Method::POST, "/keys/r/create", Some(body)).await,
        200
    );
    let claims = |extra: Value| {
        let mut c = json!({"iss": "https://attest.test", "x-ms-attestation-type": "sevsnpvm", "x-ms-runtime": {"keys": [runtime.public_only()]}});
        if let (Some(o), Some(e)) = (c.as_object_mut(), extra.as_object()) {
            o.extend(e.clone());
        }
        c
    };
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let cases = [
        (
            "a trusted key for another authority",
            &other,
            claims(json!({"exp": now + 3600})),
        ),
        (
            "exp as a string",
            &good,
            claims(json!({"exp": (now + 3600).to_string()})),
        ),
        ("no exp", &good, claims(json!({}))),
        (
            "exp 1.7e9 (past, as a float)",
            &good,
            claims(json!({"exp": 1.7e9})),
        ),
        (
            "nbf in the future (a float)",
            &good,
            claims(json!({"exp": now + 7200, "nbf": (now + 3600) as f64 + 0.5})),
        ),
        (
            "nbf as a string",
            &good,
            claims(json!({"exp": now + 7200, "nbf": "0"})),
        ),
    ];
    for (what, key, c) in cases {
        let token = keyvault_emulator::release::sign_token(key, &c).expect("token");
        let (s, body, _) = raw(
            &emu,
            Method::POST,
            "/keys/r//release",
            Some(json!({"target": token})),
        )
        .await
        .expect("answer");
        assert_eq!(s, 403, "{what}: {body}");
        assert_eq!(body["error"]["code"], "Forbidden", "{what}");
    }
    // Accepted: the bound key, a numeric exp (a float too) in the future, nbf in the past.
    for exp in [json!(now + 3600), json!((now + 3600) as f64 + 0.25)] {
        let token = keyvault_emulator::release::sign_token(
            &good,
            &claims(json!({"exp": exp, "nbf": now - 60})),
        )
        .expect("token");
        let (s, body, _) = raw(
            &emu,
            Method::POST,
            "/keys/r//release",
            Some(json!({"target": token})),
        )
        .await
        .expect("answer");
        assert_eq!(s, 200, "{body}");
    }
    emu.shutdown().await;
}
