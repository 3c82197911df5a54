//! Remote (through the emulator) and local (in-process) agree, for every
//! algorithm: encrypt locally, decrypt remotely; sign remotely, verify
//! locally; and the reverse. Plus the two anchor bugs at the client level.

use keyvault_crypto::*;
use keyvault_emulator::{Emulator, EmulatorOptions};
use keyvault_keys_protocol::{Client, call, types};

async fn setup() -> (Emulator, Client) {
    let emulator = Emulator::start(EmulatorOptions::default())
        .await
        .expect("emulator");
    let client = Client::with_credential(
        emulator.vault_url(),
        emulator.credential(),
        emulator.client_options(),
    )
    .expect("client");
    (emulator, client)
}

/// Imports `jwk` into the emulator; returns a remote-only client (keys/get
/// is not consulted: built by id, then used for private operations) and a
/// fully local client with the same material.
async fn pair(
    client: &Client,
    name: &str,
    jwk: &JsonWebKey,
) -> (CryptographyClient, CryptographyClient) {
    let bundle = call(client.import_key(
        name,
        &types::KeyImportParameters {
            key: jwk.to_protocol(),
            ..Default::default()
        },
    ))
    .await
    .expect("import");
    let kid = bundle.key.and_then(|k| k.kid).expect("kid");
    let remote = CryptographyClient::with_client(client.clone(), &kid).expect("remote");
    let local = CryptographyClient::from_jwk(jwk.clone()).expect("local");
    (remote, local)
}

fn key(kty: KeyType, size: Option<u32>, curve: Option<KeyCurveName>) -> JsonWebKey {
    generate(&KeySpec {
        kty,
        size,
        curve,
        public_exponent: None,
    })
    .expect("key")
}

#[tokio::test]
async fn rsa_every_algorithm_both_ways() {
    let (emu, client) = setup().await;
    let jwk = key(KeyType::Rsa, Some(2048), None);
    let (remote, local) = pair(&client, "rsa", &jwk).await;
    for alg in [
        EncryptionAlgorithm::RsaOaep,
        EncryptionAlgorithm::RsaOaep256,
        EncryptionAlgorithm::Rsa15,
    ] {
        let e = local
            .encrypt(
                &EncryptParameters::new(alg.clone(), b"local to remote".to_vec()),
                None,
            )
            .await
            .expect("local encrypt");
        assert_eq!(
            remote
                .decrypt(&DecryptParameters::from_encrypt_result(&e), None)
                .await
                .expect("remote decrypt")
                .plaintext,
            b"local to remote"
        );
        let e = remote
            .encrypt(
                &EncryptParameters::new(alg.clone(), b"remote to local".to_vec()),
                None,
            )
            .await
            .expect("remote encrypt");
        assert_eq!(
            local
                .decrypt(&DecryptParameters::from_encrypt_result(&e), None)
                .await
                .expect("local decrypt")
                .plaintext,
            b"remote to local"
        );
    }
    for alg in [
        KeyWrapAlgorithm::RsaOaep,
        KeyWrapAlgorithm::RsaOaep256,
        KeyWrapAlgorithm::Rsa15,
    ] {
        let w = local.wrap_key(&alg, &[1u8; 32], None).await.expect("wrap");
        assert_eq!(
            remote
                .unwrap_key(&alg, &w.encrypted_key, None)
                .await
                .expect("unwrap")
                .key
                .expose(),
            &[1u8; 32]
        );
    }
    for alg in [
        SignatureAlgorithm::Rs256,
        SignatureAlgorithm::Rs384,
        SignatureAlgorithm::Rs512,
        SignatureAlgorithm::Ps256,
        SignatureAlgorithm::Ps384,
        SignatureAlgorithm::Ps512,
    ] {
        let s = remote
            .sign_data(&alg, b"remote signs", None)
            .await
            .expect("remote sign");
        assert!(
            local
                .verify_data(&alg, b"remote signs", &s.signature, None)
                .await
                .expect("local verify")
                .is_valid,
            "{alg}"
        );
        let s = local
            .sign_data(&alg, b"local signs", None)
            .await
            .expect("local sign");
        assert!(
            remote
                .verify_data(&alg, b"local signs", &s.signature, None)
                .await
                .expect("remote verify")
                .is_valid,
            "{alg}"
        );
    }
    emu.shutdown().await;
}

#[tokio::test]
async fn ecdsa_every_curve_both_ways() {
    let (emu, client) = setup().await;
    for (curve, alg) in [
        (KeyCurveName::P256, SignatureAlgorithm::Es256),
        (KeyCurveName::P256K, SignatureAlgorithm::Es256K),
        (KeyCurveName::P384, SignatureAlgorithm::Es384),
        (KeyCurveName::P521, SignatureAlgorithm::Es512),
    ] {
        let jwk = key(KeyType::Ec, None, Some(curve.clone()));
        let (remote, local) = pair(
            &client,
            &format!("ec-{}", alg.as_str().to_lowercase()),
            &jwk,
        )
        .await;
        let s = remote.sign_data(&alg, b"remote", None).await.expect("sign");
        assert!(
            local
                .verify_data(&alg, b"remote", &s.signature, None)
                .await
                .expect("verify")
                .is_valid,
            "{alg}"
        );
        let s = local.sign_data(&alg, b"local", None).await.expect("sign");
        assert!(
            remote
                .verify_data(&alg, b"local", &s.signature, None)
                .await
                .expect("verify")
                .is_valid,
            "{alg}"
        );
    }
    emu.shutdown().await;
}

#[tokio::test]
async fn symmetric_every_algorithm_both_ways() {
    let (emu, client) = setup().await;
    for bits in [128u32, 192, 256] {
        let mut jwk = key(KeyType::Oct, Some(bits), None);
        use KeyOperation::*;
        jwk.key_ops = vec![Encrypt, Decrypt, WrapKey, UnwrapKey, Sign, Verify];
        let (remote, local) = pair(&client, &format!("aes{bits}"), &jwk).await;
        for mode in ["GCM", "CBC", "CBCPAD"] {
            let alg = EncryptionAlgorithm::parse(&format!("A{bits}{mode}"));
            let params =
                EncryptParameters::new(alg.clone(), vec![9u8; 32]).with_aad(b"aad".to_vec());
            let e = local.encrypt(&params, None).await.expect("local encrypt");
            assert_eq!(
                remote
                    .decrypt(&DecryptParameters::from_encrypt_result(&e), None)
                    .await
                    .expect("remote decrypt")
                    .plaintext,
                vec![9u8; 32],
                "{alg}"
            );
            let e = remote.encrypt(&params, None).await.expect("remote encrypt");
            assert_eq!(
                local
                    .decrypt(&DecryptParameters::from_encrypt_result(&e), None)
                    .await
                    .expect("local decrypt")
                    .plaintext,
                vec![9u8; 32],
                "{alg}"
            );
        }
        for alg in [
            format!("A{bits}KW"),
            format!("A{bits}KWPAD"),
            "CKM_AES_KEY_WRAP".into(),
            "CKM_AES_KEY_WRAP_PAD".into(),
        ] {
            let alg = KeyWrapAlgorithm::parse(&alg);
            let w = local
                .wrap_key(&alg, &[7u8; 24], None)
                .await
                .expect("local wrap");
            assert_eq!(
                remote
                    .unwrap_key(&alg, &w.encrypted_key, None)
                    .await
                    .expect("remote unwrap")
                    .key
                    .expose(),
                &[7u8; 24],
                "{alg}"
            );
            let w = remote
                .wrap_key(&alg, &[7u8; 24], None)
                .await
                .expect("remote wrap");
            assert_eq!(
                local
                    .unwrap_key(&alg, &w.encrypted_key, None)
                    .await
                    .expect("local unwrap")
                    .key
                    .expose(),
                &[7u8; 24],
                "{alg}"
            );
        }
        for alg in [
            SignatureAlgorithm::Hs256,
            SignatureAlgorithm::Hs384,
            SignatureAlgorithm::Hs512,
        ] {
            let s = remote
                .sign_data(&alg, b"mac me", None)
                .await
                .expect("remote mac");
            assert!(
                local
                    .verify_data(&alg, b"mac me", &s.signature, None)
                    .await
                    .expect("local verify")
                    .is_valid
            );
        }
    }
    emu.shutdown().await;
}

/// Anchor bug (Python SDK): an oct-HSM key fetched from the vault has no `k`;
/// the client must never invent a local key for it.
#[tokio::test]
async fn a_symmetric_key_without_k_goes_to_the_vault_and_never_gets_a_local_key() {
    let (emu, client) = setup().await;
    let bundle = call(
        client.create_key(
            "hsm-aes",
            &serde_json::from_value(serde_json::json!({"kty": "oct-HSM", "key_size": 256}))
                .expect("params"),
        ),
    )
    .await
    .expect("create");
    let jwk = JsonWebKey::from_protocol(bundle.key.as_ref().expect("key")).expect("jwk");
    assert!(jwk.k.is_none());
    // From the fetched key: local is impossible, so it goes remote, and the
    // remote result decrypts remotely (a locally invented key would not).
    let crypto = CryptographyClient::from_key(client.clone(), jwk.clone(), KeyUsage::default())
        .expect("client");
    let e = crypto
        .encrypt(
            &EncryptParameters::new(EncryptionAlgorithm::A256Gcm, b"hsm".to_vec()),
            None,
        )
        .await
        .expect("encrypt");
    let by_id = CryptographyClient::with_client(client.clone(), jwk.kid.as_deref().expect("kid"))
        .expect("client");
    assert_eq!(
        by_id
            .decrypt(&DecryptParameters::from_encrypt_result(&e), None)
            .await
            .expect("decrypt")
            .plaintext,
        b"hsm"
    );
    // A fully local client cannot be made from it.
    let err = CryptographyClient::from_jwk(jwk).expect_err("no material");
    assert!(matches!(err, CryptoError::InvalidKey(_)), "{err}");
    emu.shutdown().await;
}

/// Anchor bug (JS SDK): PS256 verification must use PSS, locally too.
#[tokio::test]
async fn ps256_is_verified_with_pss_locally() {
    let (emu, client) = setup().await;
    let jwk = key(KeyType::Rsa, Some(2048), None);
    let (remote, _) = pair(&client, "pss", &jwk).await;
    let public = CryptographyClient::from_jwk(jwk.public_only()).expect("public");
    let digest = HashAlgorithm::Sha256.digest(b"pss");
    let pkcs1 = remote
        .sign(&SignatureAlgorithm::Rs256, &digest, None)
        .await
        .expect("rs256");
    let pss = remote
        .sign(&SignatureAlgorithm::Ps256, &digest, None)
        .await
        .expect("ps256");
    assert!(
        !public
            .verify(&SignatureAlgorithm::Ps256, &digest, &pkcs1.signature, None)
            .await
            .expect("verify")
            .is_valid
    );
    assert!(
        public
            .verify(&SignatureAlgorithm::Ps256, &digest, &pss.signature, None)
            .await
            .expect("verify")
            .is_valid
    );
    // And a public-only local client cannot sign.
    assert!(
        public
            .sign(&SignatureAlgorithm::Ps256, &digest, None)
            .await
            .is_err()
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn local_checks_mirror_the_service() {
    let (emu, client) = setup().await;
    // A key that expired: public operations refuse locally, as the service would.
    let past = time::OffsetDateTime::now_utc().unix_timestamp() - 60;
    let body = serde_json::from_value(serde_json::json!({"kty": "RSA", "attributes": {"exp": past}, "key_ops": ["encrypt", "verify"]})).expect("params");
    let bundle = call(client.create_key("expired", &body))
        .await
        .expect("create");
    let kid = bundle
        .key
        .as_ref()
        .and_then(|k| k.kid.clone())
        .expect("kid");
    let crypto = CryptographyClient::with_client(client.clone(), &kid).expect("client");
    let err = crypto
        .encrypt(
            &EncryptParameters::new(EncryptionAlgorithm::RsaOaep, b"x".to_vec()),
            None,
        )
        .await
        .expect_err("expired");
    assert!(matches!(err, CryptoError::KeyNotValid(_)), "{err}");
    // key_ops: wrapKey is not permitted on this key.
    let body = serde_json::from_value(serde_json::json!({"kty": "RSA", "key_ops": ["encrypt"]}))
        .expect("params");
    let bundle = call(client.create_key("encrypt-only", &body))
        .await
        .expect("create");
    let kid = bundle
        .key
        .as_ref()
        .and_then(|k| k.kid.clone())
        .expect("kid");
    let crypto = CryptographyClient::with_client(client.clone(), &kid).expect("client");
    assert!(matches!(
        crypto
            .wrap_key(&KeyWrapAlgorithm::RsaOaep, &[0u8; 16], None)
            .await,
        Err(CryptoError::OperationNotPermitted { .. })
    ));
    // An algorithm that does not fit, and a digest of the wrong length.
    assert!(matches!(
        crypto
            .encrypt(
                &EncryptParameters::new(EncryptionAlgorithm::A128Gcm, b"x".to_vec()),
                None
            )
            .await,
        Err(CryptoError::AlgorithmMismatch { .. })
    ));
    emu.shutdown().await;
}

/// Issue 8, item 11: the validity window (`nbf`, `exp`) limits encrypt,
/// wrapKey and sign only. Verify, decrypt and unwrapKey keep working outside
/// it, as the service and the Python client (`raise_if_time_invalid` only in
/// encrypt, wrap_key and sign) do. A disabled key is refused for everything.
#[tokio::test]
async fn outside_its_validity_window_a_key_still_verifies_decrypts_and_unwraps_locally() {
    let (emu, client) = setup().await;
    let jwk = key(KeyType::Rsa, Some(2048), None);
    let (remote, valid) = pair(&client, "window", &jwk).await;
    let mut with_kid = jwk.clone();
    with_kid.kid = remote.key_id().map(str::to_owned);
    let ciphertext = valid
        .encrypt(
            &EncryptParameters::new(EncryptionAlgorithm::RsaOaep256, b"window".to_vec()),
            None,
        )
        .await
        .expect("encrypt");
    let wrapped = valid
        .wrap_key(&KeyWrapAlgorithm::RsaOaep256, &[4u8; 32], None)
        .await
        .expect("wrap");
    let digest = HashAlgorithm::Sha256.digest(b"window");
    let signature = valid
        .sign(&SignatureAlgorithm::Rs256, &digest, None)
        .await
        .expect("sign")
        .signature;
    let now = time::OffsetDateTime::now_utc();
    for usage in [
        KeyUsage {
            expires_on: Some(now - time::Duration::minutes(1)),
            ..Default::default()
        },
        KeyUsage {
            not_before: Some(now + time::Duration::hours(1)),
            ..Default::default()
        },
    ] {
        let c = CryptographyClient::from_key(client.clone(), with_kid.clone(), usage.clone())
            .expect("client");
        let d = c
            .decrypt(&DecryptParameters::from_encrypt_result(&ciphertext), None)
            .await
            .unwrap_or_else(|e| panic!("decrypt with {usage:?}: {e}"));
        assert_eq!(&*d.plaintext, b"window");
        let u = c
            .unwrap_key(&KeyWrapAlgorithm::RsaOaep256, &wrapped.encrypted_key, None)
            .await
            .unwrap_or_else(|e| panic!("unwrap with {usage:?}: {e}"));
        assert_eq!(u.key.expose(), &[4u8; 32]);
        assert!(
            c.verify(&SignatureAlgorithm::Rs256, &digest, &signature, None)
                .await
                .unwrap_or_else(|e| panic!("verify with {usage:?}: {e}"))
                .is_valid
        );
        // The three that the window does limit.
        let e = c
            .encrypt(
                &EncryptParameters::new(EncryptionAlgorithm::RsaOaep256, b"x".to_vec()),
                None,
            )
            .await;
        assert!(matches!(e, Err(CryptoError::KeyNotValid(_))), "{e:?}");
        let w = c
            .wrap_key(&KeyWrapAlgorithm::RsaOaep256, &[1u8; 16], None)
            .await;
        assert!(matches!(w, Err(CryptoError::KeyNotValid(_))), "{w:?}");
        let s = c.sign(&SignatureAlgorithm::Rs256, &digest, None).await;
        assert!(matches!(s, Err(CryptoError::KeyNotValid(_))), "{s:?}");
    }
    let disabled = CryptographyClient::from_key(
        client.clone(),
        with_kid,
        KeyUsage {
            enabled: Some(false),
            ..Default::default()
        },
    )
    .expect("client");
    let v = disabled
        .verify(&SignatureAlgorithm::Rs256, &digest, &signature, None)
        .await;
    assert!(matches!(v, Err(CryptoError::KeyNotValid(_))), "{v:?}");
    emu.shutdown().await;
}

/// Issue 8, item 12, against the emulator: the service's `KeyNotFound` on
/// the key fetch is returned at once (the remote operation could only fail
/// the same way), and nothing else is sent.
#[tokio::test]
async fn a_key_that_does_not_exist_surfaces_key_not_found() {
    let (emu, client) = setup().await;
    let kid = format!(
        "{}/keys/missing/0123456789abcdef0123456789abcdef",
        emu.vault_url()
    );
    let crypto = CryptographyClient::with_client(client.clone(), &kid).expect("client");
    let err = crypto
        .encrypt(
            &EncryptParameters::new(EncryptionAlgorithm::RsaOaep, b"x".to_vec()),
            None,
        )
        .await
        .expect_err("no such key");
    let CryptoError::Service(e) = &err else {
        panic!("expected the service's error, got {err}");
    };
    assert_eq!(e.status().map(|s| s.as_u16()), Some(404), "{err}");
    assert_eq!(
        e.http().and_then(|h| h.code.as_deref()),
        Some("KeyNotFound"),
        "{err}"
    );
    emu.shutdown().await;
}

/// Issue 8, item 13: an identifier with an explicit `:443` belongs to the
/// vault `https://host` (same origin) even though its `vault_url` keeps the
/// port.
#[test]
fn an_explicit_default_port_is_the_same_vault() {
    let client = Client::with_credential(
        "https://myvault.vault.azure.net",
        std::sync::Arc::new(keyvault_emulator::StaticTokenCredential::new("t")),
        Default::default(),
    )
    .expect("client");
    let id = "https://myvault.vault.azure.net:443/keys/k/0123456789abcdef0123456789abcdef";
    let crypto = CryptographyClient::with_client(client.clone(), id).expect("same vault");
    assert_eq!(crypto.key_id(), Some(id));
    assert!(
        CryptographyClient::with_client(client, "https://other.vault.azure.net:443/keys/k/v")
            .is_err()
    );
}
