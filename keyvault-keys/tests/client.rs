//! KeyClient against the emulator over HTTPS: every method, its options and
//! its error paths, the seed's flows, 1,000 keys across pages, and many
//! concurrent tasks on one client.

use std::sync::Arc;

use futures::TryStreamExt as _;
use keyvault_crypto::{KeySpec, KeyType as CK};
use keyvault_emulator::{Emulator, EmulatorOptions, StaticTokenCredential};
use keyvault_keys::crypto::{
    DecryptParameters, EncryptParameters, EncryptionAlgorithm, KeyWrapAlgorithm, SignatureAlgorithm,
};
use keyvault_keys::*;

async fn setup(options: EmulatorOptions) -> (Emulator, KeyClient) {
    let emulator = Emulator::start(options).await.expect("emulator");
    let client = KeyClient::new(
        emulator.vault_url(),
        emulator.credential(),
        Some(KeyClientOptions {
            http_client: Some(emulator.http_client()),
            ..Default::default()
        }),
    )
    .expect("client");
    (emulator, client)
}

fn fast() -> Option<PollOptions> {
    Some(PollOptions {
        poll_interval: std::time::Duration::from_millis(10),
        ..Default::default()
    })
}

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
async fn validation_happens_before_any_request() {
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
        (
            "curve on RSA",
            c.create_rsa_key(
                "k",
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
                "k",
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
                "k",
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
                "k",
                Some(CreateKeyOptions {
                    size: Some(1024),
                    ..Default::default()
                }),
            )
            .await
            .map(|_| ()),
        ),
        ("count 0", c.get_random_bytes(0).await.map(|_| ())),
        ("count 129", c.get_random_bytes(129).await.map(|_| ())),
        (
            "empty token",
            c.release_key("k", " ", None).await.map(|_| ()),
        ),
        (
            "bad duration",
            c.update_key_rotation_policy(
                "k",
                &KeyRotationPolicy {
                    expires_in: Some("90 days".into()),
                    ..Default::default()
                },
                None,
            )
            .await
            .map(|_| ()),
        ),
        (
            "bad trigger",
            c.update_key_rotation_policy(
                "k",
                &KeyRotationPolicy {
                    lifetime_actions: vec![KeyRotationLifetimeAction::new(
                        KeyRotationPolicyAction::Rotate,
                    )],
                    ..Default::default()
                },
                None,
            )
            .await
            .map(|_| ()),
        ),
        (
            "public-only import",
            c.import_key("k", &JsonWebKey::new(KeyType::Rsa), None)
                .await
                .map(|_| ()),
        ),
        ("empty backup", c.restore_key_backup(&[]).await.map(|_| ())),
        (
            "page size",
            c.list_properties_of_keys(Some(ListOptions {
                max_page_size: Some(26),
                ..Default::default()
            }))
            .try_next()
            .await
            .map(|_| ()),
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
    // Plain http is refused before anything is sent.
    let e = KeyClient::new(
        "http://example.com",
        Arc::new(StaticTokenCredential::new("t")),
        None,
    )
    .expect_err("http");
    assert_eq!(e.kind(), ErrorKind::Authentication);
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
        c.get_key("k", v1.properties.version.as_deref())
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
            http_client: Some(emu.http_client()),
            ..Default::default()
        }),
    )
    .expect("client");
    let e = c.get_key("k", None).await.expect_err("401");
    assert_eq!(e.kind(), ErrorKind::Authentication);
    assert_eq!(e.status(), Some(401));
    emu.shutdown().await;
}

#[tokio::test]
async fn delete_recover_purge_backup_restore() {
    let (emu, c) = setup(EmulatorOptions::default()).await;
    c.create_rsa_key("k", None).await.expect("create");
    let backup = c.backup_key("k").await.expect("backup");
    let deleted = c.delete_key("k", fast()).await.expect("delete");
    assert_eq!(deleted.name(), "k");
    assert_eq!(
        deleted.recovery_id.as_deref(),
        Some(format!("{}/deletedkeys/k", emu.vault_url()).as_str())
    );
    assert!(
        deleted.key.is_some()
            && deleted.deleted_date.is_some()
            && deleted.scheduled_purge_date.is_some()
    );
    assert_eq!(
        c.get_deleted_key("k").await.expect("get deleted").name(),
        "k"
    );
    let listed: Vec<DeletedKey> = c.list_deleted_keys(None).try_collect().await.expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(
        c.create_rsa_key("k", None).await.expect_err("409").kind(),
        ErrorKind::ResourceExists
    );
    let recovered = c.recover_deleted_key("k", fast()).await.expect("recover");
    assert_eq!(recovered.name(), "k");
    c.get_key("k", None).await.expect("readable");
    // Without waiting
    c.delete_key(
        "k",
        Some(PollOptions {
            wait: false,
            ..Default::default()
        }),
    )
    .await
    .expect("delete, no wait");
    c.purge_deleted_key("k").await.expect("purge");
    assert_eq!(
        c.get_deleted_key("k").await.expect_err("purged").kind(),
        ErrorKind::ResourceNotFound
    );
    assert_eq!(
        c.purge_deleted_key("k").await.expect_err("again").kind(),
        ErrorKind::ResourceNotFound
    );
    let restored = c.restore_key_backup(&backup).await.expect("restore");
    assert_eq!(restored.name(), "k");
    assert_eq!(
        c.restore_key_backup(&backup)
            .await
            .expect_err("exists")
            .kind(),
        ErrorKind::ResourceExists
    );
    let e = c
        .restore_key_backup(b"garbage")
        .await
        .expect_err("malformed");
    assert_eq!((e.kind(), e.status()), (ErrorKind::HttpResponse, Some(400)));
    emu.shutdown().await;
}

#[tokio::test]
async fn import_rotate_policy_random_attestation_and_send_request() {
    let (emu, c) = setup(EmulatorOptions::default()).await;
    let jwk = keyvault_crypto::generate(&KeySpec {
        kty: CK::Rsa,
        size: Some(2048),
        curve: None,
        public_exponent: None,
    })
    .expect("jwk");
    let imported = c
        .import_key(
            "imp",
            &jwk,
            Some(ImportKeyOptions {
                hardware_protected: Some(true),
                tags: Some([("src".to_owned(), "import".to_owned())].into()),
                ..Default::default()
            }),
        )
        .await
        .expect("import");
    assert_eq!(imported.key_type(), &KeyType::RsaHsm);
    assert_eq!(imported.key.n, jwk.n);
    assert!(!imported.key.has_private_key());

    let default = c
        .get_key_rotation_policy("imp")
        .await
        .expect("default policy");
    assert_eq!(
        default.lifetime_actions[0].action,
        KeyRotationPolicyAction::Notify
    );
    let policy = KeyRotationPolicy {
        expires_in: Some("P30D".into()),
        ..Default::default()
    };
    let options = UpdateKeyRotationPolicyOptions {
        lifetime_actions: Some(vec![
            KeyRotationLifetimeAction::new(KeyRotationPolicyAction::Rotate).before_expiry("P7D"),
        ]),
        expires_in: Some("P60D".into()),
    };
    let set = c
        .update_key_rotation_policy("imp", &policy, Some(options))
        .await
        .expect("policy");
    assert_eq!(
        set.expires_in.as_deref(),
        Some("P60D"),
        "the option overrides the policy"
    );
    assert_eq!(
        set.lifetime_actions[0].time_before_expiry.as_deref(),
        Some("P7D")
    );
    let rotated = c.rotate_key("imp").await.expect("rotate");
    assert_ne!(rotated.properties.version, imported.properties.version);
    assert_ne!(rotated.key.n, jwk.n);
    let (created, exp) = (
        rotated.properties.created_on.expect("created"),
        rotated.properties.expires_on.expect("exp"),
    );
    assert_eq!((exp - created).whole_days(), 60);

    assert_eq!(c.get_random_bytes(32).await.expect("rng").len(), 32);
    assert_eq!(
        c.get_key_attestation("imp", None)
            .await
            .expect("attestation")
            .properties
            .attestation
            .and_then(|a| a.version)
            .as_deref(),
        Some("emulated-1.0")
    );

    let r = c
        .send_request(RawRequest::new(Method::GET, "/keys/imp/"))
        .await
        .expect("raw");
    assert_eq!(r.status.as_u16(), 200);
    assert_eq!(c.vault_url(), emu.vault_url());
    emu.shutdown().await;
}

#[tokio::test]
async fn release_key_to_an_attested_target() {
    let authority = keyvault_crypto::generate(&KeySpec {
        kty: CK::Ec,
        size: None,
        curve: None,
        public_exponent: None,
    })
    .expect("authority");
    let runtime = keyvault_crypto::generate(&KeySpec {
        kty: CK::Rsa,
        size: Some(2048),
        curve: None,
        public_exponent: None,
    })
    .expect("runtime");
    let (emu, c) = setup(EmulatorOptions {
        trusted_attestation_keys: vec![keyvault_emulator::TrustedAttestationKey::new(
            "https://attest",
            authority.public_only(),
        )],
        ..Default::default()
    })
    .await;
    let policy = serde_json::json!({"version": "1.0.0", "anyOf": [{"authority": "https://attest", "allOf": [{"claim": "tee", "equals": "ok"}]}]});
    let key = c
        .create_ec_key(
            "rel",
            Some(CreateKeyOptions {
                exportable: Some(true),
                release_policy: Some(KeyReleasePolicy::new(policy.to_string())),
                ..Default::default()
            }),
        )
        .await
        .expect("create");
    let token = keyvault_emulator::release::sign_token(&authority, &serde_json::json!({"iss": "https://attest", "tee": "ok", "exp": 4102444800_i64, "x-ms-runtime": {"keys": [runtime.public_only()]}})).expect("token");
    let result = c
        .release_key(
            "rel",
            &token,
            Some(ReleaseKeyOptions {
                version: key.properties.version.clone(),
                algorithm: Some(KeyExportEncryptionAlgorithm::CkmRsaAesKeyWrap),
                nonce: Some("n".into()),
            }),
        )
        .await
        .expect("release");
    assert_eq!(result.value.split('.').count(), 3);
    let bad = keyvault_emulator::release::sign_token(&authority, &serde_json::json!({"iss": "https://attest", "tee": "no", "exp": 4102444800_i64, "x-ms-runtime": {"keys": [runtime.public_only()]}})).expect("token");
    assert_eq!(
        c.release_key("rel", &bad, None)
            .await
            .expect_err("policy")
            .status(),
        Some(403)
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn cryptography_clients_from_the_key_client() {
    let (emu, c) = setup(EmulatorOptions::default()).await;
    let rsa = c.create_rsa_key("rsa", None).await.expect("rsa");
    // by name: fetches the key once, then public ops run locally
    let crypto = c.get_cryptography_client("rsa", None).expect("client");
    let e = crypto
        .encrypt(&EncryptParameters::new(
            EncryptionAlgorithm::RsaOaep,
            b"x".to_vec(),
        ))
        .await
        .expect("encrypt");
    assert_eq!(
        crypto
            .decrypt(&DecryptParameters::from_encrypt_result(&e))
            .await
            .expect("decrypt")
            .plaintext,
        b"x"
    );
    let s = crypto
        .sign_data(&SignatureAlgorithm::Ps384, b"data")
        .await
        .expect("sign");
    assert!(
        crypto
            .verify_data(&SignatureAlgorithm::Ps384, b"data", &s.signature)
            .await
            .expect("verify")
            .is_valid
    );
    // from a fetched key
    let crypto = c.cryptography_client_for(&rsa).expect("client");
    let w = crypto
        .wrap_key(&KeyWrapAlgorithm::RsaOaep256, &[4u8; 32])
        .await
        .expect("wrap");
    assert_eq!(
        crypto
            .unwrap_key(&KeyWrapAlgorithm::RsaOaep256, &w.encrypted_key)
            .await
            .expect("unwrap")
            .key
            .expose(),
        &[4u8; 32]
    );
    // a symmetric key: everything in the vault
    c.create_oct_key(
        "aes",
        Some(CreateKeyOptions {
            size: Some(256),
            hardware_protected: Some(true),
            ..Default::default()
        }),
    )
    .await
    .expect("oct");
    let aes = c.get_cryptography_client("aes", None).expect("client");
    let e = aes
        .encrypt(
            &EncryptParameters::new(EncryptionAlgorithm::A256Gcm, b"sym".to_vec())
                .with_aad(b"aad".to_vec()),
        )
        .await
        .expect("gcm");
    assert_eq!(
        aes.decrypt(&DecryptParameters::from_encrypt_result(&e))
            .await
            .expect("open")
            .plaintext,
        b"sym"
    );
    assert!(c.get_cryptography_client("bad name", None).is_err());
    emu.shutdown().await;
}

#[tokio::test]
async fn a_thousand_keys_across_pages_and_resuming_from_a_token() {
    let (emu, c) = setup(EmulatorOptions::default()).await;
    let mut tasks = tokio::task::JoinSet::new();
    for chunk in 0..10 {
        let c = c.clone();
        tasks.spawn(async move {
            for i in 0..100 {
                c.create_ec_key(&format!("key-{chunk}-{i:03}"), None)
                    .await
                    .expect("create");
            }
        });
    }
    while let Some(r) = tasks.join_next().await {
        r.expect("task");
    }
    let all: Vec<KeyProperties> = c
        .list_properties_of_keys(None)
        .try_collect()
        .await
        .expect("list");
    assert_eq!(all.len(), 1000);
    let mut names: Vec<&str> = all.iter().map(|k| k.name.as_str()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 1000, "no key twice");
    let mut pages = c
        .list_properties_of_keys(Some(ListOptions {
            max_page_size: Some(25),
            ..Default::default()
        }))
        .into_pages();
    let first = pages.try_next().await.expect("page").expect("some");
    assert_eq!(first.items.len(), 25);
    let token = first.continuation_token.expect("token");
    let rest: Vec<KeyProperties> = c
        .list_properties_of_keys(Some(ListOptions {
            continuation_token: Some(token),
            ..Default::default()
        }))
        .try_collect()
        .await
        .expect("resume");
    assert_eq!(rest.len(), 975);
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_concurrent_tasks_on_one_client() {
    let (emu, c) = setup(EmulatorOptions::default()).await;
    c.create_rsa_key("shared", None).await.expect("create");
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..64 {
        let c = c.clone();
        tasks.spawn(async move {
            let name = format!("task-{i}");
            c.create_ec_key(&name, None).await.expect("create");
            c.get_key(&name, None).await.expect("get");
            let crypto = c.get_cryptography_client("shared", None).expect("crypto");
            let s = crypto
                .sign_data(&SignatureAlgorithm::Rs256, name.as_bytes())
                .await
                .expect("sign");
            assert!(
                crypto
                    .verify_data(&SignatureAlgorithm::Rs256, name.as_bytes(), &s.signature)
                    .await
                    .expect("verify")
                    .is_valid
            );
        });
    }
    while let Some(r) = tasks.join_next().await {
        r.expect("task");
    }
    let count = c
        .list_properties_of_keys(None)
        .try_collect::<Vec<_>>()
        .await
        .expect("list")
        .len();
    assert_eq!(count, 65);
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
    // A key with neither private material nor a BYOK blob is still refused.
    let e = c
        .import_key("public-only", &JsonWebKey::new(KeyType::Rsa), None)
        .await
        .expect_err("nothing to import");
    assert_eq!((e.kind(), e.status()), (ErrorKind::Validation, None));
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
            .sign(&alg, &digest)
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
