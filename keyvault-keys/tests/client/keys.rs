//! Creating, reading, updating and importing keys (BYOK too), and what is checked before a request.

use super::*;

#[tokio::test]
async fn create_with_every_option() {
    let (emu, c) = setup(EmulatorOptions::default()).await;
    let nbf = time::OffsetDateTime::from_unix_timestamp(1_700_000_000).expect("t");
    let exp = time::OffsetDateTime::from_unix_timestamp(4_102_444_800).expect("t");
    let key = c
        .create_rsa_key(
            "rsa",
            Some(CreateKeyOptions {
                size: Some(3072),
                public_exponent: Some(65537),
                hardware_protected: Some(true),
                key_operations: Some(vec![KeyOperation::Sign, KeyOperation::Verify]),
                enabled: Some(false),
                tags: Some([("k".to_owned(), "v".to_owned())].into()),
                not_before: Some(nbf),
                expires_on: Some(exp),
                ..Default::default()
            }),
        )
        .await
        .expect("create");
    assert_eq!(key.key_type(), &KeyType::RsaHsm);
    assert_eq!(key.key.key_size(), Some(3072));
    assert_eq!(
        key.key_operations(),
        [KeyOperation::Sign, KeyOperation::Verify]
    );
    let p = &key.properties;
    assert_eq!(
        (p.enabled, p.not_before, p.expires_on),
        (Some(false), Some(nbf), Some(exp))
    );
    assert_eq!(p.tags.get("k").map(String::as_str), Some("v"));
    assert_eq!(p.name, "rsa");
    assert_eq!(p.vault_url, emu.vault_url());
    assert_eq!(p.version.as_deref().map(str::len), Some(32));
    assert_eq!(
        p.recovery_level,
        Some(keyvault_keys::DeletionRecoveryLevel::RecoverablePurgeable)
    );
    assert_eq!(p.recoverable_days, Some(90));
    assert!(p.created_on.is_some() && p.updated_on.is_some());
    assert_eq!(p.hsm_platform.as_deref(), Some("2"));

    let ec = c
        .create_ec_key(
            "ec",
            Some(CreateKeyOptions {
                curve: Some(KeyCurveName::P256K),
                ..Default::default()
            }),
        )
        .await
        .expect("ec");
    assert_eq!(ec.key.crv, Some(KeyCurveName::P256K));
    let ec_default = c.create_ec_key("ec-default", None).await.expect("ec");
    assert_eq!(ec_default.key.crv, Some(KeyCurveName::P256));
    let oct = c
        .create_oct_key(
            "oct",
            Some(CreateKeyOptions {
                size: Some(128),
                hardware_protected: Some(true),
                ..Default::default()
            }),
        )
        .await
        .expect("oct");
    assert_eq!(oct.key_type(), &KeyType::OctHsm);
    assert!(oct.key.k.is_none());
    let generic = c
        .create_key(
            "generic",
            KeyType::Ec,
            Some(CreateKeyOptions {
                curve: Some(KeyCurveName::P521),
                ..Default::default()
            }),
        )
        .await
        .expect("generic");
    assert_eq!(generic.key.key_size(), Some(521));
    let policy = serde_json::json!({"version": "1.0.0", "anyOf": [{"authority": "https://a", "allOf": [{"claim": "c", "equals": "v"}]}]});
    let exportable = c
        .create_rsa_key(
            "exportable",
            Some(CreateKeyOptions {
                exportable: Some(true),
                release_policy: Some(KeyReleasePolicy::new(policy.to_string())),
                ..Default::default()
            }),
        )
        .await
        .expect("exportable");
    assert_eq!(exportable.properties.exportable, Some(true));
    let rp = exportable.properties.release_policy.expect("policy");
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&rp.encoded_policy).expect("json"),
        policy
    );
    assert_eq!(
        rp.content_type.as_deref(),
        Some("application/json; charset=utf-8")
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn only_what_builds_the_url_or_body_is_checked_before_a_request() {
    // Port 1 on loopback: anything actually sent would be a transport error.
    let c = KeyClient::new(
        "https://127.0.0.1:1",
        Arc::new(StaticTokenCredential::new("t")),
        None,
    )
    .expect("client");
    let cases: Vec<(&str, Result<(), Error>)> = vec![
        ("bad name", c.get_key("bad_name!", None).await.map(|_| ())),
        (
            "long name",
            c.get_key(&"a".repeat(128), None).await.map(|_| ()),
        ),
        // The request's count and maxresults are non-zero numbers.
        ("count 0", c.get_random_bytes(0, None).await.map(|_| ())),
        (
            "page size 0",
            c.list_properties_of_keys(Some(ListPropertiesOfKeysOptions {
                max_page_size: Some(0),
                ..Default::default()
            }))
            .try_next()
            .await
            .map(|_| ()),
        ),
        // The wire's key size is an int32.
        (
            "size beyond int32",
            c.create_rsa_key(
                "k",
                Some(CreateKeyOptions {
                    size: Some(u32::MAX),
                    ..Default::default()
                }),
            )
            .await
            .map(|_| ()),
        ),
        (
            "empty token",
            c.release_key("k", "", None).await.map(|_| ()),
        ),
        (
            "versions name",
            c.list_properties_of_key_versions("no spaces", None)
                .try_next()
                .await
                .map(|_| ()),
        ),
    ];
    for (what, r) in cases {
        let e = r.expect_err(what);
        assert_eq!(e.kind(), ErrorKind::Validation, "{what}: {e}");
        assert!(!e.to_string().is_empty());
    }
    let e = c.get_key("bad_name!", None).await.expect_err("name");
    assert!(
        e.to_string().contains("^[0-9a-zA-Z-]{1,127}$"),
        "the message says what a name is: {e}"
    );
    // What the service checks is sent: here it meets the closed port.
    let e = c
        .create_rsa_key(
            "k",
            Some(CreateKeyOptions {
                size: Some(1024),
                ..Default::default()
            }),
        )
        .await
        .expect_err("nothing listens");
    assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
    // Plain http is refused before anything is sent.
    let e = KeyClient::new(
        "http://example.com",
        Arc::new(StaticTokenCredential::new("t")),
        None,
    )
    .expect_err("http");
    assert_eq!(e.kind(), ErrorKind::Authentication);
}

/// Sizes, curves, durations, triggers, counts, page sizes, backups and
/// import material are the service's to check (Azure SDK guideline): the
/// client sends them and returns the service's error.
#[tokio::test]
async fn service_side_checks_come_back_as_the_services_error() {
    let (emu, c) = setup(EmulatorOptions::default()).await;
    c.create_rsa_key("k", None)
        .await
        .expect("key for the policy");
    let cases: Vec<(&str, Result<(), Error>)> = vec![
        (
            "curve on RSA",
            c.create_rsa_key(
                "k2",
                Some(CreateKeyOptions {
                    curve: Some(KeyCurveName::P256),
                    ..Default::default()
                }),
            )
            .await
            .map(|_| ()),
        ),
        (
            "size vs curve",
            c.create_ec_key(
                "k2",
                Some(CreateKeyOptions {
                    curve: Some(KeyCurveName::P384),
                    size: Some(256),
                    ..Default::default()
                }),
            )
            .await
            .map(|_| ()),
        ),
        (
            "oct size",
            c.create_oct_key(
                "k2",
                Some(CreateKeyOptions {
                    size: Some(100),
                    ..Default::default()
                }),
            )
            .await
            .map(|_| ()),
        ),
        (
            "rsa size",
            c.create_rsa_key(
                "k2",
                Some(CreateKeyOptions {
                    size: Some(1024),
                    ..Default::default()
                }),
            )
            .await
            .map(|_| ()),
        ),
        ("count 129", c.get_random_bytes(129, None).await.map(|_| ())),
        (
            "bad duration",
            c.update_key_rotation_policy(
                "k",
                &KeyRotationPolicy::default().with_expires_in("90 days"),
                None,
            )
            .await
            .map(|_| ()),
        ),
        (
            "bad trigger",
            c.update_key_rotation_policy(
                "k",
                &KeyRotationPolicy::new(vec![KeyRotationLifetimeAction::new(
                    KeyRotationPolicyAction::Rotate,
                )]),
                None,
            )
            .await
            .map(|_| ()),
        ),
        (
            "public-only import",
            c.import_key("k2", &JsonWebKey::new(KeyType::Rsa), None)
                .await
                .map(|_| ()),
        ),
        (
            "empty backup",
            c.restore_key_backup(&[], None).await.map(|_| ()),
        ),
        (
            "page size 26",
            c.list_properties_of_keys(Some(ListPropertiesOfKeysOptions {
                max_page_size: Some(26),
                ..Default::default()
            }))
            .try_next()
            .await
            .map(|_| ()),
        ),
    ];
    for (what, r) in cases {
        let e = r.expect_err(what);
        assert_eq!(e.kind(), ErrorKind::HttpResponse, "{what}: {e}");
        assert_eq!(e.status(), Some(400), "{what}: {e}");
    }
    assert!(
        c.get_key("k2", None).await.is_err(),
        "no refused create left a key behind"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn get_update_and_error_kinds() {
    let (emu, c) = setup(EmulatorOptions::default()).await;
    let v1 = c.create_ec_key("k", None).await.expect("v1");
    let v2 = c.create_ec_key("k", None).await.expect("v2");
    assert_eq!(
        c.get_key("k", None)
            .await
            .expect("latest")
            .properties
            .version,
        v2.properties.version
    );
    assert_eq!(
        c.get_key(
            "k",
            Some(GetKeyOptions {
                version: v1.properties.version.clone()
            })
        )
        .await
        .expect("v1")
        .key
        .x,
        v1.key.x
    );
    let updated = c
        .update_key_properties(
            "k",
            Some(UpdateKeyPropertiesOptions {
                version: v1.properties.version.clone(),
                enabled: Some(false),
                key_operations: Some(vec![KeyOperation::Verify]),
                tags: Some([("a".to_owned(), "1".to_owned())].into()),
                ..Default::default()
            }),
        )
        .await
        .expect("update v1");
    assert_eq!(updated.properties.version, v1.properties.version);
    assert_eq!(updated.properties.enabled, Some(false));
    assert_eq!(updated.key_operations(), [KeyOperation::Verify]);
    assert_eq!(
        c.get_key("k", None)
            .await
            .expect("latest")
            .properties
            .enabled,
        Some(true)
    );

    let e = c.get_key("missing", None).await.expect_err("404");
    assert_eq!(e.kind(), ErrorKind::ResourceNotFound);
    assert_eq!((e.status(), e.code()), (Some(404), Some("KeyNotFound")));
    assert!(e.request_id().is_some());
    assert!(
        e.protocol_error()
            .and_then(|p| p.http())
            .is_some_and(|h| !h.body.is_empty()),
        "the raw body is reachable"
    );
    emu.shutdown().await;

    // A token the service refuses: an authentication error.
    let emu = Emulator::start(EmulatorOptions {
        token: Some("right".into()),
        ..Default::default()
    })
    .await
    .expect("emulator");
    let c = KeyClient::new(
        emu.vault_url(),
        Arc::new(StaticTokenCredential::new("wrong")),
        Some(KeyClientOptions {
            client_options: keyvault_keys::ClientOptions {
                http_client: Some(emu.http_client()),
                ..Default::default()
            },
        }),
    )
    .expect("client");
    let e = c.get_key("k", None).await.expect_err("401");
    assert_eq!(e.kind(), ErrorKind::Authentication);
    assert_eq!(e.status(), Some(401));
    emu.shutdown().await;
}

#[tokio::test]
async fn update_clears_tags_and_key_operations_with_empty_values() {
    // Issue 8 item 10: `Some(empty)` clears, `None` leaves alone (as Python
    // sends `{}` / `[]` and omits what was not given).
    let (emu, c) = setup(EmulatorOptions::default()).await;
    c.create_ec_key(
        "k",
        Some(CreateKeyOptions {
            tags: Some([("a".to_owned(), "1".to_owned())].into()),
            key_operations: Some(vec![KeyOperation::Sign, KeyOperation::Verify]),
            ..Default::default()
        }),
    )
    .await
    .expect("create");
    let untouched = c
        .update_key_properties(
            "k",
            Some(UpdateKeyPropertiesOptions {
                enabled: Some(true),
                ..Default::default()
            }),
        )
        .await
        .expect("update nothing but enabled");
    assert_eq!(untouched.properties.tags.len(), 1, "absent tags stay");
    assert_eq!(untouched.key_operations().len(), 2, "absent key_ops stay");

    let cleared = c
        .update_key_properties(
            "k",
            Some(UpdateKeyPropertiesOptions {
                tags: Some(Default::default()),
                key_operations: Some(Vec::new()),
                ..Default::default()
            }),
        )
        .await
        .expect("clear");
    assert!(cleared.properties.tags.is_empty(), "{cleared:?}");
    assert!(cleared.key_operations().is_empty(), "{cleared:?}");
    let read = c.get_key("k", None).await.expect("get");
    assert!(read.properties.tags.is_empty() && read.key_operations().is_empty());

    // What reaches the wire: `{}` and `[]`, not nothing.
    let body = keyvault_keys_protocol::types::KeyUpdateParameters {
        tags: Some(Default::default()),
        key_ops: Some(Vec::new()),
        ..Default::default()
    };
    assert_eq!(
        serde_json::to_value(&body).expect("json"),
        serde_json::json!({"tags": {}, "key_ops": []})
    );
    let absent = keyvault_keys_protocol::types::KeyUpdateParameters::default();
    assert_eq!(
        serde_json::to_value(&absent).expect("json"),
        serde_json::json!({})
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn import_of_a_byok_key_with_only_key_hsm_is_sent_to_the_service() {
    // Issue 8 item 9: a BYOK key carries the transfer blob (`key_hsm`, `t`)
    // and no `d`/`k`; the client must not refuse it locally. Whether the
    // emulator accepts this (fake) blob is its business: any error must come
    // from the service (a status), not be a local Validation refusal.
    let (emu, c) = setup(EmulatorOptions::default()).await;
    for kty in [KeyType::RsaHsm, KeyType::EcHsm, KeyType::OctHsm] {
        let mut jwk = JsonWebKey::new(kty.clone());
        jwk.t = Some(br#"{"schema_version":"1.0.0","header":{},"ciphertext":"AA"}"#.to_vec());
        match c.import_key("byok", &jwk, None).await {
            Ok(key) => assert_eq!(key.name(), "byok"),
            Err(e) => {
                assert_ne!(
                    e.kind(),
                    ErrorKind::Validation,
                    "{kty}: refused locally: {e}"
                );
                assert!(e.status().is_some(), "{kty}: the service answered: {e}");
            }
        }
    }
    // A key with neither private material nor a BYOK blob is the service's
    // to refuse (no client-side copy of its validation).
    let e = c
        .import_key("public-only", &JsonWebKey::new(KeyType::Rsa), None)
        .await
        .expect_err("nothing to import");
    assert_eq!((e.kind(), e.status()), (ErrorKind::HttpResponse, Some(400)));
    emu.shutdown().await;
}

#[tokio::test]
async fn byok_end_to_end_kek_then_local_wrap_then_import_then_use() {
    // Issue 8 item 9, the whole BYOK path: a key-exchange key made in the
    // vault with the `import` operation, a key made and wrapped locally for
    // it by our engine (`keyvault_crypto::byok`), imported as `key_hsm` only,
    // then used in the vault: its signatures verify with the local original.
    let (emu, c) = setup(EmulatorOptions::default()).await;
    let kek = c
        .create_rsa_key(
            "byok-kek",
            Some(CreateKeyOptions {
                hardware_protected: Some(true),
                key_operations: Some(vec![KeyOperation::Import]),
                ..Default::default()
            }),
        )
        .await
        .expect("key-exchange key");
    assert_eq!(kek.key.key_ops, vec![KeyOperation::Import]);
    let cases = [
        (
            "byok-rsa",
            KeySpec {
                kty: CK::Rsa,
                size: Some(2048),
                curve: None,
                public_exponent: None,
            },
            SignatureAlgorithm::Rs256,
        ),
        (
            "byok-ec",
            KeySpec {
                kty: CK::Ec,
                size: None,
                curve: Some(KeyCurveName::P256),
                public_exponent: None,
            },
            SignatureAlgorithm::Es256,
        ),
    ];
    for (name, spec, alg) in cases {
        let mut target = keyvault_crypto::generate(&spec).expect("local key");
        target.key_ops = vec![KeyOperation::Sign, KeyOperation::Verify];
        let jwk = keyvault_crypto::byok::import_jwk(&kek.key, &target).expect("transfer blob");
        assert!(
            jwk.d.is_none() && jwk.k.is_none() && jwk.t.is_some(),
            "{name}"
        );
        let imported = c.import_key(name, &jwk, None).await.expect("BYOK import");
        assert!(imported.key.kty.to_string().ends_with("-HSM"), "{name}");
        assert_eq!(
            (&imported.key.n, &imported.key.x),
            (&target.n, &target.x),
            "{name}: the vault holds the key that was wrapped"
        );
        assert!(!imported.key.has_private_key(), "{name}");
        let digest = [7u8; 32];
        let signed = c
            .get_cryptography_client(name, None)
            .expect("crypto client")
            .sign(&alg, &digest, None)
            .await
            .expect("the vault signs with the imported key");
        let local = keyvault_crypto::LocalKey::from_jwk(&target).expect("local");
        assert!(
            local
                .verify(&alg, &digest, &signed.signature)
                .expect("verify")
                .is_valid,
            "{name}: the signature of the imported key verifies with the original"
        );
    }
    // A blob for another vault's KEK (a KEK this vault does not hold) is refused.
    let mut other_kek = keyvault_crypto::generate(&KeySpec {
        kty: CK::RsaHsm,
        size: Some(2048),
        curve: None,
        public_exponent: None,
    })
    .expect("kek");
    other_kek.kid = Some(format!("{}/keys/elsewhere/0123", emu.vault_url()));
    other_kek.key_ops = vec![KeyOperation::Import];
    let target = keyvault_crypto::generate(&KeySpec {
        kty: CK::Ec,
        size: None,
        curve: Some(KeyCurveName::P256),
        public_exponent: None,
    })
    .expect("target");
    let jwk = keyvault_crypto::byok::import_jwk(&other_kek.public_only(), &target)
        .expect("transfer blob");
    let e = c
        .import_key("byok-refused", &jwk, None)
        .await
        .expect_err("unknown KEK");
    assert_eq!(e.status(), Some(400), "{e}");
    emu.shutdown().await;
}
