//! Import, rotation, policies, random bytes, attestation, raw requests and key release.

use super::*;

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
        .get_key_rotation_policy("imp", None)
        .await
        .expect("default policy");
    assert_eq!(
        default.lifetime_actions[0].action,
        KeyRotationPolicyAction::Notify
    );
    let policy = KeyRotationPolicy::default().with_expires_in("P30D");
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
    let rotated = c.rotate_key("imp", None).await.expect("rotate");
    assert_ne!(rotated.properties.version, imported.properties.version);
    assert_ne!(rotated.key.n, jwk.n);
    let (created, exp) = (
        rotated.properties.created_on.expect("created"),
        rotated.properties.expires_on.expect("exp"),
    );
    assert_eq!((exp - created).whole_days(), 60);

    assert_eq!(c.get_random_bytes(32, None).await.expect("rng").len(), 32);
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
