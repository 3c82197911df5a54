//! 2026-04-01 against the emulator: secure wrap and secure unwrap on a
//! Managed HSM, external keys, and `key_size` of symmetric keys.

use keyvault_keys::crypto::{EncryptParameters, KeySecureWrapAlgorithm};

use super::*;

const AUTHORITY: &str = "https://attest.emulator.example";

fn ec_key() -> keyvault_crypto::JsonWebKey {
    keyvault_crypto::generate(&KeySpec {
        kty: CK::Ec,
        size: None,
        curve: None,
        public_exponent: None,
    })
    .expect("key")
}

async fn hsm(
    flavor: keyvault_emulator::Flavor,
    authority: &keyvault_crypto::JsonWebKey,
) -> (Emulator, KeyClient) {
    let emulator = Emulator::start(EmulatorOptions {
        flavor,
        trusted_attestation_keys: vec![keyvault_emulator::TrustedAttestationKey::new(
            AUTHORITY,
            authority.public_only(),
        )],
        ..Default::default()
    })
    .await
    .expect("emulator");
    let client = KeyClient::new(
        emulator.vault_url(),
        emulator.credential(),
        Some(KeyClientOptions {
            client_options: keyvault_keys::ClientOptions {
                http_client: Some(emulator.http_client()),
                api_version: ApiVersion::from("2026-04-01"),
                ..Default::default()
            },
        }),
    )
    .expect("client");
    (emulator, client)
}

fn policy() -> KeyReleasePolicy {
    KeyReleasePolicy::new(
        serde_json::json!({"version": "1.0.0", "anyOf": [{"authority": AUTHORITY, "allOf": [{"claim": "tee", "equals": "sevsnp"}]}]})
            .to_string(),
    )
}

fn token(authority: &keyvault_crypto::JsonWebKey, tee: &str, exp: i64) -> String {
    keyvault_emulator::release::sign_token(
        authority,
        &serde_json::json!({"iss": AUTHORITY, "tee": tee, "exp": exp}),
    )
    .expect("token")
}

async fn wrapping_key(client: &KeyClient, name: &str, with_policy: bool) -> KeyVaultKey {
    client
        .create_rsa_key(
            name,
            Some(CreateKeyOptions {
                hardware_protected: Some(true),
                exportable: with_policy.then_some(true),
                release_policy: with_policy.then(policy),
                ..Default::default()
            }),
        )
        .await
        .expect("create")
}

#[tokio::test]
async fn secure_wrap_then_unwrap_gives_back_a_key_that_decrypts_what_it_encrypted() {
    let authority = ec_key();
    let (emu, client) = hsm(keyvault_emulator::Flavor::ManagedHsm, &authority).await;
    let key = wrapping_key(&client, "kek", true).await;
    let crypto = client.cryptography_client_for(&key).expect("crypto");
    let alg = KeySecureWrapAlgorithm::RsaOaep256;
    let wrapped = crypto
        .secure_wrap_key(&alg, None)
        .await
        .expect("secure wrap");
    assert_eq!(wrapped.encrypted_key.len(), 256, "RSA-2048 OAEP output");
    let good = token(&authority, "sevsnp", emu.now() + 3600);
    let unwrapped = crypto
        .secure_unwrap_key(&alg, &wrapped.encrypted_key, &good, None)
        .await
        .expect("secure unwrap");
    assert_eq!(unwrapped.key.expose().len(), 32, "an AES-256 key");
    assert!(!format!("{unwrapped:?}").contains(&format!("{:?}", unwrapped.key.expose())));
    // The key works: AES-GCM locally, both ways.
    let jwk = keyvault_crypto::JsonWebKey {
        k: Some(unwrapped.key.clone()),
        ..keyvault_crypto::JsonWebKey::new(CK::Oct)
    };
    let local = keyvault_crypto::LocalKey::from_jwk(&jwk).expect("aes key");
    let sealed = local
        .encrypt(&EncryptParameters::new(
            EncryptionAlgorithm::A256Gcm,
            b"payload".to_vec(),
        ))
        .expect("encrypt");
    let mut open = DecryptParameters::new(EncryptionAlgorithm::A256Gcm, sealed.ciphertext.clone());
    open.iv = sealed.iv.clone();
    open.authentication_tag = sealed.authentication_tag.clone();
    assert_eq!(
        local.decrypt(&open).expect("decrypt").plaintext.expose(),
        b"payload"
    );
    // Two wraps make two different keys.
    let again = crypto.secure_wrap_key(&alg, None).await.expect("wrap");
    let other = crypto
        .secure_unwrap_key(&alg, &again.encrypted_key, &good, None)
        .await
        .expect("unwrap");
    assert_ne!(other.key.expose(), unwrapped.key.expose());
    emu.shutdown().await;
}

#[tokio::test]
async fn secure_unwrap_refuses_what_the_service_refuses() {
    let authority = ec_key();
    let stranger = ec_key();
    let (emu, client) = hsm(keyvault_emulator::Flavor::ManagedHsm, &authority).await;
    let key = wrapping_key(&client, "kek", true).await;
    let crypto = client.cryptography_client_for(&key).expect("crypto");
    let alg = KeySecureWrapAlgorithm::RsaOaep256;
    let wrapped = crypto.secure_wrap_key(&alg, None).await.expect("wrap");
    let now = emu.now();
    for (why, t, inner) in [
        (
            "an untrusted authority",
            token(&stranger, "sevsnp", now + 3600),
            "AccessDenied",
        ),
        (
            "an expired token",
            token(&authority, "sevsnp", now - 60),
            "AccessDenied",
        ),
        (
            "claims the policy refuses",
            token(&authority, "none", now + 3600),
            "AccessDenied",
        ),
    ] {
        let e = crypto
            .secure_unwrap_key(&alg, &wrapped.encrypted_key, &t, None)
            .await
            .expect_err(why);
        let e = Error::from(e);
        assert_eq!(
            (e.status(), e.inner_code()),
            (Some(403), Some(inner)),
            "{why}: {e}"
        );
    }
    // A key without the operations, and a key without a release policy.
    let no_ops = client
        .create_rsa_key(
            "no-ops",
            Some(CreateKeyOptions {
                hardware_protected: Some(true),
                exportable: Some(true),
                release_policy: Some(policy()),
                key_operations: Some(vec![KeyOperation::Sign]),
                ..Default::default()
            }),
        )
        .await
        .expect("create");
    let e = client
        .cryptography_client_for(&no_ops)
        .expect("crypto")
        .secure_wrap_key(&alg, None)
        .await
        .expect_err("no wrap operation");
    assert_eq!(Error::from(e).status(), Some(403));
    let plain = wrapping_key(&client, "plain", false).await;
    let e = client
        .cryptography_client_for(&plain)
        .expect("crypto")
        .secure_wrap_key(&alg, None)
        .await
        .expect_err("no release policy");
    assert_eq!(Error::from(e).status(), Some(400));
    emu.shutdown().await;

    // A key vault (not a Managed HSM) refuses both.
    let (emu, client) = hsm(keyvault_emulator::Flavor::Vault, &authority).await;
    let key = wrapping_key(&client, "kek", true).await;
    let e = client
        .cryptography_client_for(&key)
        .expect("crypto")
        .secure_wrap_key(&alg, None)
        .await
        .expect_err("a vault");
    let e = Error::from(e);
    assert_eq!((e.status(), e.code()), (Some(400), Some("BadParameter")));
    emu.shutdown().await;
}

#[tokio::test]
async fn external_keys_round_trip_their_id_and_symmetric_keys_say_their_size() {
    let authority = ec_key();
    let (emu, client) = hsm(keyvault_emulator::Flavor::ManagedHsm, &authority).await;
    let external = client
        .create_external_key("ext", "ekm-key-0001", None)
        .await
        .expect("create external");
    assert_eq!(
        external
            .properties
            .external_key
            .as_ref()
            .map(|e| e.id.as_str()),
        Some("ekm-key-0001")
    );
    let read = client.get_key("ext", None).await.expect("get");
    assert_eq!(
        read.properties.external_key.as_ref().map(|e| e.id.as_str()),
        Some("ekm-key-0001")
    );
    // Its material is outside: cryptographic operations are refused.
    let e = client
        .cryptography_client_for(&read)
        .expect("crypto")
        .encrypt(
            &EncryptParameters::new(EncryptionAlgorithm::A256Gcm, b"x".to_vec()),
            None,
        )
        .await
        .expect_err("no material here");
    assert_eq!(Error::from(e).status(), Some(400));
    let e = client
        .create_external_key("bad", "not_valid!", None)
        .await
        .expect_err("bad id");
    assert_eq!(e.status(), Some(400));
    for bits in [128, 192, 256] {
        let k = client
            .create_oct_key(
                &format!("aes-{bits}"),
                Some(CreateKeyOptions {
                    size: Some(bits),
                    hardware_protected: Some(true),
                    ..Default::default()
                }),
            )
            .await
            .expect("create oct");
        assert_eq!(k.properties.key_size, i32::try_from(bits).ok(), "{bits}");
    }
    emu.shutdown().await;
}
