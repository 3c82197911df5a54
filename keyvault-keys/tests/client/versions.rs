//! Api-versions as a checked choice: a method or an option the client's
//! version lacks is refused before any request, with the Python client's
//! words; the client works at old versions against the emulator; and the
//! 2026-04-01 surface (secure wrap/unwrap, external keys, key size) has the
//! request shapes of the spec (a recording server plays the vault, since
//! the emulator cannot answer these yet).

use keyvault_keys::crypto::{CryptoError, KeySecureWrapAlgorithm};

use super::recorder::Recorder;
use super::*;

fn at(version: ApiVersion) -> KeyClientOptions {
    KeyClientOptions {
        client_options: keyvault_keys::ClientOptions {
            api_version: version,
            ..Default::default()
        },
    }
}

/// A server that answers everything with an empty object: whatever it
/// records was sent.
async fn any_answer() -> Recorder {
    Recorder::start(|_, _| (200, "{}".to_owned())).await
}

#[track_caller]
fn refused<T: std::fmt::Debug>(r: Result<T>, message: &str) {
    let e = r.expect_err(message);
    assert_eq!(e.kind(), ErrorKind::Validation, "{e}");
    assert_eq!(e.to_string(), message);
}

#[tokio::test]
async fn each_gated_method_group_is_refused_at_an_older_version_before_any_request() {
    let server = any_answer().await;

    // Rotation, random bytes and release arrived with 7.3-preview.
    let c = server.client(at(ApiVersion::V7_2));
    let later = "or newer";
    for (r, method) in [
        (c.rotate_key("k", None).await.map(drop), "rotate_key"),
        (
            c.get_key_rotation_policy("k", None).await.map(drop),
            "get_key_rotation_policy",
        ),
        (
            c.update_key_rotation_policy("k", &KeyRotationPolicy::default(), None)
                .await
                .map(drop),
            "update_key_rotation_policy",
        ),
        (
            c.get_random_bytes(8, None).await.map(drop),
            "get_random_bytes",
        ),
        (
            c.release_key("k", "token", None).await.map(drop),
            "release_key",
        ),
    ] {
        refused(
            r,
            &format!("'{method}' is not available in API version 7.2; use 7.3-preview {later}"),
        );
    }
    // Options: exportable and release_policy at 7.2, immutable at 7.3-preview.
    refused(
        c.create_rsa_key(
            "k",
            Some(CreateKeyOptions {
                exportable: Some(true),
                ..Default::default()
            }),
        )
        .await,
        "'exportable' is not available in API version 7.2; use 7.3-preview or newer",
    );
    let policy = KeyReleasePolicy::new(br#"{"version":"1.0.0","anyOf":[]}"#.to_vec());
    refused(
        c.update_key_properties(
            "k",
            Some(UpdateKeyPropertiesOptions {
                release_policy: Some(policy.clone()),
                ..Default::default()
            }),
        )
        .await,
        "'release_policy' is not available in API version 7.2; use 7.3-preview or newer",
    );
    refused(
        server
            .client(at(ApiVersion::V7_3_PREVIEW))
            .create_rsa_key(
                "k",
                Some(CreateKeyOptions {
                    release_policy: Some(policy.with_immutable(true)),
                    exportable: Some(true),
                    ..Default::default()
                }),
            )
            .await,
        "'release_policy.immutable' is not available in API version 7.3-preview; use 7.3 or newer",
    );
    // public_exponent: 7.2-preview.
    refused(
        server
            .client(at(ApiVersion::V7_1))
            .create_rsa_key(
                "k",
                Some(CreateKeyOptions {
                    public_exponent: Some(65537),
                    ..Default::default()
                }),
            )
            .await,
        "'public_exponent' is not available in API version 7.1; use 7.2-preview or newer",
    );

    // Attestation: 7.6-preview.2.
    refused(
        server
            .client(at(ApiVersion::V7_5))
            .get_key_attestation("k", None)
            .await,
        "'get_key_attestation' is not available in API version 7.5; use 7.6-preview.2 or newer",
    );

    // Deleted keys: 2016-10-01.
    let c = server.client(at(ApiVersion::V2015_06_01));
    let e = c
        .list_deleted_keys(None)
        .try_next()
        .await
        .expect_err("no deleted keys in 2015-06-01");
    assert_eq!(e.kind(), ErrorKind::Validation);
    assert_eq!(
        e.to_string(),
        "'list_deleted_keys' is not available in API version 2015-06-01; use 2016-10-01 or newer"
    );
    refused(
        c.recover_deleted_key("k", None).await,
        "'recover_deleted_key' is not available in API version 2015-06-01; use 2016-10-01 or newer",
    );

    // Secure wrap and unwrap, external keys: 2026-01-01-preview.
    let c = server.client(at(ApiVersion::V2025_07_01));
    let crypto = c.get_cryptography_client("k", None).expect("crypto client");
    let e = crypto
        .secure_wrap_key(&KeySecureWrapAlgorithm::RsaOaep256, None)
        .await
        .expect_err("refused");
    assert!(matches!(e, CryptoError::NotInApiVersion(_)), "{e:?}");
    assert_eq!(
        e.to_string(),
        "'secure_wrap_key' is not available in API version 2025-07-01; use 2026-01-01-preview or newer"
    );
    refused(
        crypto
            .secure_unwrap_key(&KeySecureWrapAlgorithm::RsaOaep256, b"x", "token", None)
            .await
            .map_err(Error::from),
        "'secure_unwrap_key' is not available in API version 2025-07-01; use 2026-01-01-preview or newer",
    );
    refused(
        c.create_external_key("k", "ext-1", None).await,
        "'create_external_key' is not available in API version 2025-07-01; use 2026-01-01-preview or newer",
    );

    assert!(
        server.seen().is_empty(),
        "a refused call sent something: {:?}",
        server.seen()
    );
}

#[tokio::test]
async fn a_version_that_is_not_known_is_sent_unchecked_and_the_service_answers() {
    let server = Recorder::start(|_, _| {
        (
            400,
            r#"{"error":{"code":"BadParameter","message":"The specified version (2099-01-01) is not recognized."}}"#
                .to_owned(),
        )
    })
    .await;
    let c = server.client(at(ApiVersion::new("2099-01-01")));
    let e = c
        .rotate_key("k", None)
        .await
        .expect_err("the service refuses");
    assert_eq!((e.kind(), e.status()), (ErrorKind::HttpResponse, Some(400)));
    let seen = server.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path, "/keys/k/rotate");
    assert_eq!(seen[0].query, "api-version=2099-01-01");
}

/// The client at an old version against the emulator (which answers each
/// version as the service does): what the version has works, what it lacks
/// is refused before the emulator sees it.
async fn works_at(version: ApiVersion) {
    let emu = Emulator::start(EmulatorOptions::default())
        .await
        .expect("emulator");
    let client = KeyClient::new(
        emu.vault_url(),
        emu.credential(),
        Some(KeyClientOptions {
            client_options: keyvault_keys::ClientOptions {
                http_client: Some(emu.http_client()),
                api_version: version.clone(),
                ..Default::default()
            },
        }),
    )
    .expect("client");
    let has = |since: &str| version.has(since) == Some(true);
    let v = version.as_str();

    // An HSM key, so that attestation can answer.
    let hsm = Some(CreateKeyOptions {
        hardware_protected: Some(true),
        ..Default::default()
    });
    let key = client
        .create_ec_key("versioned", hsm)
        .await
        .unwrap_or_else(|e| panic!("{v}: create: {e}"));
    let got = client.get_key("versioned", None).await.expect("get");
    assert_eq!(got.id(), key.id());
    // A member a version lacks is left out of the answer.
    assert_eq!(got.properties.recoverable_days.is_some(), has("7.1"), "{v}");
    let updated = client
        .update_key_properties(
            "versioned",
            Some(UpdateKeyPropertiesOptions {
                tags: Some([("v".to_owned(), v.to_owned())].into()),
                ..Default::default()
            }),
        )
        .await
        .expect("update");
    assert_eq!(updated.properties.tags["v"], v);
    let names: Vec<String> = client
        .list_properties_of_keys(None)
        .map_ok(|k| k.name)
        .try_collect()
        .await
        .expect("list");
    assert_eq!(names, ["versioned"]);
    let crypto = client.cryptography_client_for(&key).expect("crypto");
    let digest = [7u8; 32];
    let signed = crypto
        .sign(&SignatureAlgorithm::Es256, &digest, None)
        .await
        .expect("remote sign");
    assert!(
        crypto
            .verify(&SignatureAlgorithm::Es256, &digest, &signed.signature, None)
            .await
            .expect("verify")
            .is_valid
    );

    let rotated = client.rotate_key("versioned", None).await;
    let attested = client.get_key_attestation("versioned", None).await;
    if has("7.3-preview") {
        assert_ne!(rotated.expect("rotate").id(), key.id());
        client
            .get_key_rotation_policy("versioned", None)
            .await
            .expect("rotation policy");
    } else {
        assert_eq!(
            rotated.expect_err("no rotation").kind(),
            ErrorKind::Validation
        );
    }
    if has("7.6-preview.2") {
        attested.expect("attestation");
    } else {
        assert_eq!(
            attested.expect_err("no attestation").kind(),
            ErrorKind::Validation
        );
    }
    let crypto = client
        .get_cryptography_client("versioned", None)
        .expect("crypto");
    let wrapped = crypto
        .secure_wrap_key(&KeySecureWrapAlgorithm::RsaOaep256, None)
        .await;
    if !has("2026-01-01-preview") {
        assert!(
            matches!(wrapped, Err(CryptoError::NotInApiVersion(_))),
            "{v}: {wrapped:?}"
        );
    }

    client
        .delete_key("versioned", fast())
        .await
        .expect("delete");
    client
        .get_deleted_key("versioned", None)
        .await
        .expect("deleted key");
    emu.shutdown().await;
}

#[tokio::test]
async fn the_client_at_7_0_against_the_emulator() {
    works_at(ApiVersion::V7_0).await;
}

#[tokio::test]
async fn the_client_at_7_3_against_the_emulator() {
    works_at(ApiVersion::V7_3).await;
}

#[tokio::test]
async fn the_client_at_7_6_against_the_emulator() {
    works_at(ApiVersion::V7_6).await;
}

#[tokio::test]
async fn the_client_at_2025_07_01_against_the_emulator() {
    works_at(ApiVersion::V2025_07_01).await;
}

const KID: &str = "/keys/k/0123456789abcdef0123456789abcdef";

#[tokio::test]
async fn secure_wrap_and_unwrap_send_the_specs_shapes_and_read_the_answers() {
    let unwrapped_b64 = keyvault_keys::crypto::b64::encode(&[0x5a; 32]);
    let u = unwrapped_b64.clone();
    let server = Recorder::start(move |url, path| {
        let kid = format!("{url}{KID}");
        if path.ends_with("/securewrapkey") {
            (
                200,
                serde_json::json!({"kid": kid, "alg": "RSA-OAEP-256", "value": "AQIDBA"})
                    .to_string(),
            )
        } else {
            (
                200,
                serde_json::json!({"kid": kid, "alg": "RSA-OAEP-256", "value": u}).to_string(),
            )
        }
    })
    .await;
    let client = server.client(at(ApiVersion::V2026_04_01));
    let crypto = client
        .get_cryptography_client(
            "k",
            Some(GetCryptographyClientOptions {
                version: Some("0123456789abcdef0123456789abcdef".into()),
            }),
        )
        .expect("crypto");

    let wrapped = crypto
        .secure_wrap_key(&KeySecureWrapAlgorithm::RsaOaep256, None)
        .await
        .expect("secure wrap");
    assert_eq!(wrapped.encrypted_key, [1, 2, 3, 4]);
    assert_eq!(wrapped.algorithm, KeySecureWrapAlgorithm::RsaOaep256);
    assert_eq!(wrapped.key_id, Some(format!("{}{KID}", server.url)));

    let unwrapped = crypto
        .secure_unwrap_key(
            &KeySecureWrapAlgorithm::RsaOaep256,
            &wrapped.encrypted_key,
            "attestation-token",
            None,
        )
        .await
        .expect("secure unwrap");
    assert_eq!(unwrapped.key.expose(), [0x5a; 32]);
    // The key never shows in Debug, raw or base64url.
    let debug = format!("{unwrapped:?}");
    assert!(debug.contains("<redacted 32 bytes>"), "{debug}");
    assert!(
        !debug.contains(&unwrapped_b64) && !debug.contains("90, 90"),
        "{debug}"
    );

    let seen = server.seen();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!(seen[0].method, "POST");
    assert_eq!(seen[0].path, format!("{KID}/securewrapkey"));
    assert_eq!(seen[0].query, "api-version=2026-04-01");
    assert_eq!(seen[0].body, serde_json::json!({"alg": "RSA-OAEP-256"}));
    assert_eq!(seen[1].method, "POST");
    assert_eq!(seen[1].path, format!("{KID}/secureunwrapkey"));
    assert_eq!(
        seen[1].body,
        serde_json::json!({"alg": "RSA-OAEP-256", "value": "AQIDBA", "target": "attestation-token"})
    );

    // An empty token cannot be sent (the wire's minLength 1).
    let e = crypto
        .secure_unwrap_key(&KeySecureWrapAlgorithm::A256KwPad, b"x", "", None)
        .await
        .expect_err("empty token");
    assert!(matches!(e, CryptoError::InvalidInput(_)), "{e:?}");
    assert_eq!(server.seen().len(), 2);
}

#[tokio::test]
async fn an_external_key_is_created_without_kty_and_reads_back_with_its_id_and_size() {
    let server = Recorder::start(|url, _| {
        (
            200,
            serde_json::json!({
                "key": {"kid": format!("{url}/keys/ek/0123456789abcdef0123456789abcdef"), "kty": "oct-HSM",
                        "key_ops": ["wrapKey", "unwrapKey", "secureWrapKey", "secureUnwrapKey"]},
                "attributes": {"enabled": true, "created": 1_700_000_000, "updated": 1_700_000_000,
                               "external_key": {"id": "ext-0042"}, "key_size": 256},
                "tags": {"t": "1"}
            })
            .to_string(),
        )
    })
    .await;
    let client = server.client(at(ApiVersion::V2026_04_01));
    let key = client
        .create_external_key(
            "ek",
            "ext-0042",
            Some(CreateExternalKeyOptions {
                enabled: Some(true),
                tags: Some([("t".to_owned(), "1".to_owned())].into()),
                ..Default::default()
            }),
        )
        .await
        .expect("create external key");
    assert_eq!(
        key.properties.external_key,
        Some(ExternalKey::new("ext-0042"))
    );
    assert_eq!(key.properties.key_size, Some(256));
    assert_eq!(
        key.key_operations(),
        [
            KeyOperation::WrapKey,
            KeyOperation::UnwrapKey,
            KeyOperation::SecureWrapKey,
            KeyOperation::SecureUnwrapKey
        ]
    );
    let seen = server.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        (seen[0].method.as_str(), seen[0].path.as_str()),
        ("POST", "/keys/ek/create")
    );
    assert_eq!(seen[0].query, "api-version=2026-04-01");
    assert_eq!(
        seen[0].body,
        serde_json::json!({"attributes": {"enabled": true, "external_key": {"id": "ext-0042"}}, "tags": {"t": "1"}})
    );
    assert!(seen[0].body.get("kty").is_none());
}
