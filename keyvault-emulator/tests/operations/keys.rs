//! Creating, reading, updating, deleting and importing keys.

use crate::common::*;

#[tokio::test]
async fn create_every_key_type_with_sizes_curves_and_defaults() {
    let (emu, c) = start(EmulatorOptions::default()).await;
    let rsa = call(c.create_key(
        "rsa",
        &create("RSA", json!({"key_size": 3072, "tags": {"t": "1"}})),
    ))
    .await
    .expect("rsa");
    let key = rsa.key.as_ref().expect("key");
    assert_eq!(
        b64::decode(key.n.as_deref().expect("n")).expect("n").len(),
        384
    );
    assert_eq!(
        key.key_ops,
        [
            "encrypt",
            "decrypt",
            "sign",
            "verify",
            "wrapKey",
            "unwrapKey"
        ]
    );
    assert!(
        key.d.is_none() && key.p.is_none(),
        "private material is never returned"
    );
    let kid = key.kid.clone().expect("kid");
    assert!(
        kid.starts_with(&format!("{}/keys/rsa/", emu.vault_url())),
        "{kid}"
    );
    let version = version_of(&rsa);
    assert_eq!(version.len(), 32);
    assert!(version.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(rsa.tags.get("t").map(String::as_str), Some("1"));
    let attrs = rsa.attributes.as_ref().expect("attributes");
    assert_eq!(attrs.enabled, Some(true));
    assert_eq!(attrs.recoverable_days, Some(90));
    assert_eq!(
        attrs.recovery_level.as_ref().map(|l| l.as_str()),
        Some("Recoverable+Purgeable")
    );
    assert!(attrs.created.is_some() && attrs.hsm_platform.is_none());

    for (crv, len) in [("P-256", 32), ("P-256K", 32), ("P-384", 48), ("P-521", 66)] {
        let ec = call(c.create_key(
            &format!("ec{len}{}", crv.len()),
            &create("EC-HSM", json!({"crv": crv})),
        ))
        .await
        .expect("ec");
        let k = ec.key.expect("key");
        assert_eq!(
            b64::decode(k.x.as_deref().expect("x")).expect("x").len(),
            len
        );
        assert_eq!(k.key_ops, ["sign", "verify"]);
        assert_eq!(
            ec.attributes.and_then(|a| a.hsm_platform).as_deref(),
            Some("2")
        );
    }
    for bits in [128, 192, 256] {
        let oct = call(c.create_key(
            &format!("oct{bits}"),
            &create("oct-HSM", json!({"key_size": bits})),
        ))
        .await
        .expect("oct");
        assert!(
            oct.key.expect("key").k.is_none(),
            "symmetric keys never leave"
        );
    }
    let ops = call(c.create_key("ops", &create("RSA", json!({"key_ops": ["sign"]}))))
        .await
        .expect("ops");
    assert_eq!(ops.key.expect("key").key_ops, ["sign"]);

    for (name, body, needle) in [
        (
            "bad-size",
            create("RSA", json!({"key_size": 1024})),
            "2048, 3072 or 4096",
        ),
        (
            "bad-oct",
            create("oct", json!({"key_size": 64})),
            "128, 192 or 256",
        ),
        ("bad-curve", create("EC", json!({"crv": "P-999"})), "P-256"),
        ("bad-kty", create("ML-DSA", json!({})), "Unknown key type"),
        (
            "bad-export",
            create("RSA", json!({"attributes": {"exportable": true}})),
            "release policy",
        ),
        ("bad_name", create("RSA", json!({})), "invalid name"),
    ] {
        let err = call(c.create_key(name, &body)).await.expect_err(name);
        let (status, code, message) = status_and_code(&err);
        assert_eq!((status, code.as_str()), (400, "BadParameter"), "{name}");
        assert!(message.contains(needle), "{name}: {message}");
    }
    emu.shutdown().await;
}

#[tokio::test]
async fn get_update_and_not_found() {
    let (emu, c) = start(EmulatorOptions::default()).await;
    let v1 = call(c.create_key("k", &create("EC", json!({}))))
        .await
        .expect("v1");
    let v2 = call(c.create_key("K", &create("EC", json!({}))))
        .await
        .expect("v2: names are case-insensitive");
    assert!(
        v2.key
            .as_ref()
            .and_then(|k| k.kid.clone())
            .expect("kid")
            .contains("/keys/k/"),
        "the name keeps its first spelling"
    );
    let latest = call(c.get_key("k", "")).await.expect("latest");
    assert_eq!(version_of(&latest), version_of(&v2));
    let first = call(c.get_key("k", &version_of(&v1))).await.expect("v1");
    assert_eq!(
        first.key.and_then(|k| k.x),
        v1.key.as_ref().and_then(|k| k.x.clone())
    );

    let body: types::KeyUpdateParameters = serde_json::from_value(json!({"attributes": {"enabled": false, "exp": 4102444800_i64}, "tags": {"a": "b"}, "key_ops": ["verify"]})).expect("update");
    let updated = call(c.update_key("k", &version_of(&v1), &body))
        .await
        .expect("update v1");
    assert_eq!(
        updated.attributes.as_ref().and_then(|a| a.enabled),
        Some(false)
    );
    assert_eq!(
        updated.attributes.as_ref().and_then(|a| a.exp),
        Some(4102444800)
    );
    assert_eq!(updated.tags.get("a").map(String::as_str), Some("b"));
    assert_eq!(
        updated.key.as_ref().map(|k| k.key_ops.clone()),
        Some(vec!["verify".to_owned()])
    );
    assert_eq!(
        call(c.get_key("k", ""))
            .await
            .expect("latest")
            .attributes
            .and_then(|a| a.enabled),
        Some(true),
        "latest untouched"
    );

    let err = call(c.get_key("missing", "")).await.expect_err("404");
    let (status, code, message) = status_and_code(&err);
    assert_eq!((status, code.as_str()), (404, "KeyNotFound"));
    assert!(
        message.starts_with("A key with (name/id) missing was not found in this key vault."),
        "{message}"
    );
    let err = call(c.get_key("k", "0123456789abcdef0123456789abcdef"))
        .await
        .expect_err("404 version");
    assert!(
        status_and_code(&err)
            .2
            .contains("(name/id) k/0123456789abcdef0123456789abcdef")
    );
    let err = call(c.update_key("missing", "", &types::KeyUpdateParameters::default()))
        .await
        .expect_err("404");
    assert_eq!(status_and_code(&err).0, 404);
    emu.shutdown().await;
}

#[tokio::test]
async fn delete_recover_purge_and_conflicts() {
    let (emu, c) = start(EmulatorOptions::default()).await;
    call(c.create_key("gone", &create("RSA", json!({}))))
        .await
        .expect("create");
    let deleted = call(c.delete_key("gone")).await.expect("delete");
    assert_eq!(
        deleted.recovery_id.as_deref(),
        Some(format!("{}/deletedkeys/gone", emu.vault_url()).as_str())
    );
    let (d, p) = (
        deleted.deleted_date.expect("deletedDate"),
        deleted.scheduled_purge_date.expect("scheduledPurgeDate"),
    );
    assert_eq!(p - d, 90 * 86_400);
    assert_eq!(
        status_and_code(&call(c.get_key("gone", "")).await.expect_err("gone")).0,
        404
    );
    assert_eq!(
        status_and_code(&call(c.delete_key("gone")).await.expect_err("double delete")).1,
        "KeyNotFound"
    );
    let got = call(c.get_deleted_key("gone")).await.expect("get deleted");
    assert_eq!(got.recovery_id, deleted.recovery_id);
    let list = call(c.get_deleted_keys(None)).await.expect("list deleted");
    assert_eq!(list.value.len(), 1);
    assert_eq!(
        list.value[0].kid.as_deref(),
        Some(format!("{}/keys/gone", emu.vault_url()).as_str())
    );

    let err = call(c.create_key("gone", &create("RSA", json!({}))))
        .await
        .expect_err("409");
    let h = err.http().expect("http");
    assert_eq!(h.status, StatusCode::CONFLICT);
    assert_eq!(h.code.as_deref(), Some("Conflict"));
    assert_eq!(
        h.inner_code.as_deref(),
        Some("ObjectIsDeletedButRecoverable")
    );
    assert!(
        h.message
            .as_deref()
            .is_some_and(|m| m.contains("deleted but recoverable state"))
    );

    let recovered = call(c.recover_deleted_key("gone")).await.expect("recover");
    assert!(recovered.key.is_some());
    call(c.get_key("gone", "")).await.expect("readable again");
    assert_eq!(
        status_and_code(
            &call(c.recover_deleted_key("gone"))
                .await
                .expect_err("not deleted")
        )
        .2,
        "Deleted Key not found: gone"
    );

    call(c.delete_key("gone")).await.expect("delete again");
    let purged = c.purge_deleted_key("gone").await.expect("purge");
    assert_eq!(purged.status(), StatusCode::NO_CONTENT);
    let err = call(c.get_deleted_key("gone")).await.expect_err("purged");
    assert_eq!(
        status_and_code(&err),
        (
            404,
            "KeyNotFound".into(),
            "Deleted Key not found: gone".into()
        )
    );
    assert!(c.purge_deleted_key("gone").await.is_err());
    call(c.create_key("gone", &create("RSA", json!({}))))
        .await
        .expect("name free after purge");
    emu.shutdown().await;
}

#[tokio::test]
async fn import_rsa_ec_oct_and_reject_public_only() {
    let (emu, c) = start(EmulatorOptions::default()).await;
    let rsa = rsa_import_jwk();
    let imported = call(c.import_key(
        "imp-rsa",
        &types::KeyImportParameters {
            key: rsa.clone(),
            hsm: Some(true),
            ..Default::default()
        },
    ))
    .await
    .expect("import");
    let k = imported.key.expect("key");
    assert_eq!(k.kty.as_ref().map(|t| t.as_str()), Some("RSA-HSM"));
    assert_eq!(k.n, rsa.n);
    assert!(k.d.is_none() && k.p.is_none() && k.q.is_none() && k.dp.is_none() && k.qi.is_none());
    let ec = keyvault_crypto::generate(&KeySpec {
        kty: KeyType::Ec,
        size: None,
        curve: Some(keyvault_crypto::KeyCurveName::P384),
        public_exponent: None,
    })
    .expect("ec");
    call(c.import_key(
        "imp-ec",
        &types::KeyImportParameters {
            key: ec.to_protocol(),
            ..Default::default()
        },
    ))
    .await
    .expect("ec import");
    let oct = keyvault_crypto::generate(&KeySpec {
        kty: KeyType::Oct,
        size: Some(128),
        curve: None,
        public_exponent: None,
    })
    .expect("oct");
    let o = call(c.import_key(
        "imp-oct",
        &types::KeyImportParameters {
            key: oct.to_protocol(),
            ..Default::default()
        },
    ))
    .await
    .expect("oct import");
    assert!(o.key.expect("key").k.is_none());
    let public_only = types::KeyImportParameters {
        key: ec.public_only().to_protocol(),
        ..Default::default()
    };
    let err = call(c.import_key("imp-pub", &public_only))
        .await
        .expect_err("no private");
    assert!(status_and_code(&err).2.contains("no private key material"));
    let mut broken = rsa.clone();
    broken.dp = broken.dq.clone();
    let err = call(c.import_key(
        "imp-bad",
        &types::KeyImportParameters {
            key: broken,
            ..Default::default()
        },
    ))
    .await
    .expect_err("inconsistent");
    assert_eq!(status_and_code(&err).0, 400);
    emu.shutdown().await;
}

#[tokio::test]
async fn key_attestation_is_emulated_for_hsm_keys() {
    let (emu, c) = start(EmulatorOptions::default()).await;
    call(c.create_key("hsm", &create("RSA-HSM", json!({}))))
        .await
        .expect("create");
    call(c.create_key("soft", &create("RSA", json!({}))))
        .await
        .expect("create");
    let a = call(c.get_key_attestation("hsm", ""))
        .await
        .expect("attestation");
    let att = a
        .attributes
        .and_then(|a| a.attestation)
        .expect("attestation");
    let text = String::from_utf8(
        b64::decode(att.public_key_attestation.as_deref().expect("blob")).expect("b64"),
    )
    .expect("utf8");
    assert!(text.starts_with("EMULATED"), "{text}");
    assert_eq!(
        status_and_code(
            &call(c.get_key_attestation("soft", ""))
                .await
                .expect_err("soft")
        )
        .0,
        400
    );
    emu.shutdown().await;
}
