//! Cryptographic operations for every algorithm, the usage checks, and
//! random bytes.

use crate::common::*;

#[tokio::test]
async fn random_bytes_and_flavors() {
    let (emu, c) = start(EmulatorOptions::default()).await;
    for n in [1u32, 64, 128] {
        let count = NonZeroU32::new(n).expect("nonzero");
        let r = call(c.get_random_bytes(&types::GetRandomBytesRequest {
            count,
            extra: Default::default(),
        }))
        .await
        .expect("rng");
        assert_eq!(
            b64::decode(r.value.expose_secret()).expect("b64").len(),
            n as usize
        );
    }
    for n in [0, 129, -1] {
        let req = RawRequest::new(Method::POST, "/rng")
            .with_json(&json!({"count": n}))
            .expect("json");
        let r = c.send_request(req).await.expect("raw");
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "count {n}");
    }
    emu.shutdown().await;

    let (emu, c) = start(EmulatorOptions {
        flavor: Flavor::Vault,
        ..Default::default()
    })
    .await;
    let four = NonZeroU32::new(4).expect("nonzero");
    assert!(
        call(c.get_random_bytes(&types::GetRandomBytesRequest {
            count: four,
            extra: Default::default()
        }))
        .await
        .is_err()
    );
    assert_eq!(
        status_and_code(
            &call(c.create_key("o", &create("oct", json!({}))))
                .await
                .expect_err("oct on a vault")
        )
        .0,
        400
    );
    call(c.create_key("r", &create("RSA-HSM", json!({}))))
        .await
        .expect("premium vault RSA-HSM");
    emu.shutdown().await;

    let (emu, c) = start(EmulatorOptions {
        flavor: Flavor::ManagedHsm,
        ..Default::default()
    })
    .await;
    // A Managed HSM takes RSA and answers RSA-HSM (see fidelity.rs).
    let r = call(c.create_key("r", &create("RSA", json!({}))))
        .await
        .expect("RSA on a Managed HSM");
    assert_eq!(r.key.and_then(|k| k.kty), Some(enums::KeyType::RsaHsm));
    call(c.create_key("o", &create("oct-HSM", json!({}))))
        .await
        .expect("oct-HSM");
    emu.shutdown().await;
}

/// Signs `(name, version)`'s encrypt etc. through the emulator for every algorithm.
#[tokio::test]
async fn cryptography_for_every_algorithm_and_the_usage_checks() {
    let (emu, c) = start(EmulatorOptions::default()).await;
    call(c.create_key("rsa", &create("RSA", json!({}))))
        .await
        .expect("rsa");
    call(c.create_key("aes", &create("oct-HSM", json!({"key_size": 256}))))
        .await
        .expect("aes");
    call(c.create_key("aes192", &create("oct-HSM", json!({"key_size": 192}))))
        .await
        .expect("aes");
    let op = |alg: &str, value: &[u8]| -> types::KeyOperationsParameters {
        serde_json::from_value(json!({"alg": alg, "value": b64::encode(value)})).expect("params")
    };
    for alg in ["RSA-OAEP", "RSA-OAEP-256", "RSA1_5"] {
        let e = call(c.encrypt("rsa", "", &op(alg, b"hello")))
            .await
            .expect("encrypt");
        assert!(
            e.kid
                .as_deref()
                .is_some_and(|k| k.starts_with(&format!("{}/keys/rsa/", emu.vault_url())))
        );
        let d = call(c.decrypt(
            "rsa",
            "",
            &op(
                alg,
                &b64::decode(e.value.as_ref().map(|v| v.expose_secret()).expect("ct")).expect("ct"),
            ),
        ))
        .await
        .expect("decrypt");
        assert_eq!(
            b64::decode(d.value.as_ref().map(|v| v.expose_secret()).expect("pt")).expect("pt"),
            b"hello"
        );
        let w = call(c.wrap_key("rsa", "", &op(alg, &[1u8; 32])))
            .await
            .expect("wrap");
        let u = call(c.unwrap_key(
            "rsa",
            "",
            &op(
                alg,
                &b64::decode(w.value.as_ref().map(|v| v.expose_secret()).expect("w")).expect("w"),
            ),
        ))
        .await
        .expect("unwrap");
        assert_eq!(
            b64::decode(u.value.as_ref().map(|v| v.expose_secret()).expect("k")).expect("k"),
            [1u8; 32]
        );
    }
    for alg in ["A256GCM", "A256CBC", "A256CBCPAD"] {
        let mut p = op(alg, &[7u8; 32]);
        p.aad = alg.ends_with("GCM").then(|| b64::encode(b"aad"));
        let e = call(c.encrypt("aes", "", &p)).await.expect("encrypt");
        let mut d = op(
            alg,
            &b64::decode(e.value.as_ref().map(|v| v.expose_secret()).expect("ct")).expect("ct"),
        );
        d.iv = e.iv.clone();
        d.tag = e.tag.clone();
        d.aad = e.aad.clone();
        let out = call(c.decrypt("aes", "", &d)).await.expect("decrypt");
        assert_eq!(
            b64::decode(out.value.as_ref().map(|v| v.expose_secret()).expect("pt")).expect("pt"),
            [7u8; 32],
            "{alg}"
        );
    }
    for (key, alg) in [
        ("aes", "A256KW"),
        ("aes", "A256KWPAD"),
        ("aes", "CKM_AES_KEY_WRAP"),
        ("aes", "CKM_AES_KEY_WRAP_PAD"),
        ("aes192", "A192KW"),
        ("aes192", "A192KWPAD"),
    ] {
        let w = call(c.wrap_key(key, "", &op(alg, &[3u8; 24])))
            .await
            .expect("wrap");
        let u = call(c.unwrap_key(
            key,
            "",
            &op(
                alg,
                &b64::decode(w.value.as_ref().map(|v| v.expose_secret()).expect("w")).expect("w"),
            ),
        ))
        .await
        .expect("unwrap");
        assert_eq!(
            b64::decode(u.value.as_ref().map(|v| v.expose_secret()).expect("k")).expect("k"),
            [3u8; 24],
            "{alg}"
        );
    }
    // sign/verify for every RSA algorithm; ECDSA per curve
    for alg in ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"] {
        let hash = keyvault_crypto::SignatureAlgorithm::parse(alg)
            .hash()
            .expect("hash");
        let digest = hash.digest(b"data");
        let s: types::KeySignParameters =
            serde_json::from_value(json!({"alg": alg, "value": b64::encode(&digest)}))
                .expect("sign");
        let sig = call(c.sign("rsa", "", &s))
            .await
            .expect("sign")
            .value
            .expect("sig");
        let v: types::KeyVerifyParameters = serde_json::from_value(
            json!({"alg": alg, "digest": b64::encode(&digest), "value": sig}),
        )
        .expect("verify");
        assert_eq!(
            call(c.verify("rsa", "", &v)).await.expect("verify").value,
            Some(true),
            "{alg}"
        );
    }
    // Algorithm that does not fit, and a digest of the wrong length: 400 with a message.
    let err = call(c.encrypt("rsa", "", &op("A256GCM", b"x")))
        .await
        .expect_err("mismatch");
    assert!(
        status_and_code(&err).2.contains("cannot"),
        "{:?}",
        status_and_code(&err)
    );
    let s: types::KeySignParameters =
        serde_json::from_value(json!({"alg": "RS256", "value": b64::encode(&[0u8; 20])}))
            .expect("sign");
    assert!(
        status_and_code(&call(c.sign("rsa", "", &s)).await.expect_err("digest"))
            .2
            .contains("32-byte digest")
    );

    // Decrypt failures read the same whatever the cause.
    let bad_padding = call(c.decrypt("rsa", "", &op("RSA1_5", &[5u8; 256])))
        .await
        .expect_err("padding");
    let bad_length = call(c.decrypt("rsa", "", &op("RSA-OAEP", &[5u8; 17])))
        .await
        .expect_err("length");
    let mut gcm = op("A256GCM", &[1u8; 16]);
    gcm.iv = Some(b64::encode(&[0u8; 12]));
    gcm.tag = Some(b64::encode(&[0u8; 16]));
    let bad_tag = call(c.decrypt("aes", "", &gcm)).await.expect_err("tag");
    let bad_unwrap = call(c.unwrap_key("aes", "", &op("A256KW", &[9u8; 40])))
        .await
        .expect_err("unwrap");
    let answers: Vec<(u16, String, String)> = [&bad_padding, &bad_length, &bad_tag, &bad_unwrap]
        .iter()
        .map(|e| status_and_code(e))
        .collect();
    assert!(answers.windows(2).all(|w| w[0] == w[1]), "{answers:?}");

    // Usage checks: key_ops, disabled, not yet valid, expired: 403 Forbidden.
    call(c.create_key("signonly", &create("RSA", json!({"key_ops": ["sign"]}))))
        .await
        .expect("create");
    let err = call(c.encrypt("signonly", "", &op("RSA-OAEP", b"x")))
        .await
        .expect_err("key_ops");
    assert_eq!(
        (status_and_code(&err).0, status_and_code(&err).1.as_str()),
        (403, "Forbidden")
    );
    let future = time::OffsetDateTime::now_utc().unix_timestamp() + 3600;
    let past = time::OffsetDateTime::now_utc().unix_timestamp() - 3600;
    for (name, attrs, inner) in [
        ("disabled", json!({"enabled": false}), "KeyDisabled"),
        ("notyet", json!({"nbf": future}), "KeyNotYetValid"),
        ("expired", json!({"exp": past}), "KeyExpired"),
    ] {
        call(c.create_key(name, &create("RSA", json!({"attributes": attrs}))))
            .await
            .expect("create");
        let err = call(c.encrypt(name, "", &op("RSA-OAEP", b"x")))
            .await
            .expect_err(name);
        let h = err.http().expect("http");
        assert_eq!(
            (
                h.status.as_u16(),
                h.code.as_deref(),
                h.inner_code.as_deref()
            ),
            (403, Some("Forbidden"), Some(inner))
        );
    }
    emu.shutdown().await;
}

/// The service's date-time controlled operations: outside its nbf/exp
/// window a key refuses wrapKey and sign (and encrypt) but still unwraps and
/// verifies, so data protected while it was valid can be recovered.
#[tokio::test]
async fn outside_its_window_a_key_still_unwraps_and_verifies() {
    let (emu, c) = start(EmulatorOptions::default()).await;
    let secret = |v: Option<&keyvault_keys_protocol::SecretString>| {
        b64::decode(v.map(|v| v.expose_secret()).expect("value")).expect("b64")
    };
    let op = |alg: &str, value: &[u8]| -> types::KeyOperationsParameters {
        serde_json::from_value(json!({"alg": alg, "value": b64::encode(value)})).expect("params")
    };
    call(c.create_key("aes", &create("oct-HSM", json!({}))))
        .await
        .expect("create");
    call(c.create_key("ec", &create("EC", json!({}))))
        .await
        .expect("create");
    let wrapped = call(c.wrap_key("aes", "", &op("A256KW", &[5u8; 32])))
        .await
        .expect("wrap");
    let digest = HashAlgorithm::Sha256.digest(b"data");
    let sign: types::KeySignParameters =
        serde_json::from_value(json!({"alg": "ES256", "value": b64::encode(&digest)}))
            .expect("sign");
    let signature = call(c.sign("ec", "", &sign)).await.expect("sign");
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    for (attributes, inner) in [
        (json!({"exp": now - 60}), "KeyExpired"),
        (json!({"exp": null, "nbf": now + 3600}), "KeyNotYetValid"),
    ] {
        let body: types::KeyUpdateParameters =
            serde_json::from_value(json!({ "attributes": attributes })).expect("update");
        for name in ["aes", "ec"] {
            call(c.update_key(name, "", &body)).await.expect("update");
        }
        let refused = [
            call(c.wrap_key("aes", "", &op("A256KW", &[5u8; 32])))
                .await
                .expect_err("wrap"),
            call(c.sign("ec", "", &sign)).await.expect_err("sign"),
        ];
        for err in refused {
            let h = err.http().expect("http");
            assert_eq!(
                (h.status.as_u16(), h.inner_code.as_deref()),
                (403, Some(inner))
            );
        }
        let unwrapped =
            call(c.unwrap_key("aes", "", &op("A256KW", &secret(wrapped.value.as_ref()))))
                .await
                .expect("unwrap outside the window");
        assert_eq!(secret(unwrapped.value.as_ref()), [5u8; 32]);
        let verify: types::KeyVerifyParameters = serde_json::from_value(json!({
            "alg": "ES256",
            "digest": b64::encode(&digest),
            "value": signature.value.as_ref().map(|v| v.expose_secret()),
        }))
        .expect("verify");
        let verified = call(c.verify("ec", "", &verify))
            .await
            .expect("verify outside the window");
        assert_eq!(verified.value, Some(true));
    }
    emu.shutdown().await;
}
