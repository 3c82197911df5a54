//! `CryptographyClient`s made by the `KeyClient`.

use super::*;

#[tokio::test]
async fn cryptography_clients_from_the_key_client() {
    let (emu, c) = setup(EmulatorOptions::default()).await;
    let rsa = c.create_rsa_key("rsa", None).await.expect("rsa");
    // by name: fetches the key once, then public ops run locally
    let crypto = c.get_cryptography_client("rsa", None).expect("client");
    let e = crypto
        .encrypt(
            &EncryptParameters::new(EncryptionAlgorithm::RsaOaep, b"x".to_vec()),
            None,
        )
        .await
        .expect("encrypt");
    assert_eq!(
        crypto
            .decrypt(&DecryptParameters::from_encrypt_result(&e), None)
            .await
            .expect("decrypt")
            .plaintext,
        b"x"
    );
    let s = crypto
        .sign_data(&SignatureAlgorithm::Ps384, b"data", None)
        .await
        .expect("sign");
    assert!(
        crypto
            .verify_data(&SignatureAlgorithm::Ps384, b"data", &s.signature, None)
            .await
            .expect("verify")
            .is_valid
    );
    // from a fetched key
    let crypto = c.cryptography_client_for(&rsa).expect("client");
    let w = crypto
        .wrap_key(&KeyWrapAlgorithm::RsaOaep256, &[4u8; 32], None)
        .await
        .expect("wrap");
    assert_eq!(
        crypto
            .unwrap_key(&KeyWrapAlgorithm::RsaOaep256, &w.encrypted_key, None)
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
            None,
        )
        .await
        .expect("gcm");
    assert_eq!(
        aes.decrypt(&DecryptParameters::from_encrypt_result(&e), None)
            .await
            .expect("open")
            .plaintext,
        b"sym"
    );
    assert!(c.get_cryptography_client("bad name", None).is_err());
    emu.shutdown().await;
}

#[tokio::test]
async fn a_cryptography_client_built_on_its_own_takes_options_and_knows_its_vault() {
    let (emu, c) = setup(EmulatorOptions::default()).await;
    let key = c.create_ec_key("own", None).await.expect("key");
    let crypto = CryptographyClient::new(
        key.id(),
        emu.credential(),
        Some(CryptographyClientOptions {
            http_client: Some(emu.http_client()),
            user_agent_suffix: Some("crypto-test".into()),
            ..Default::default()
        }),
    )
    .expect("client");
    assert_eq!(
        crypto.vault_url(),
        Some(emu.vault_url().trim_end_matches('/'))
    );
    assert_eq!(crypto.vault_url(), Some(c.vault_url()));
    let signed = crypto
        .sign_data(&SignatureAlgorithm::Es256, b"data", None)
        .await
        .expect("sign in the vault");
    assert!(
        crypto
            .verify_data(&SignatureAlgorithm::Es256, b"data", &signed.signature, None)
            .await
            .expect("verify")
            .is_valid
    );
    // From the key client, and fully local from the key's JWK (whose kid
    // names the vault).
    let shared = c
        .get_cryptography_client(
            "own",
            Some(GetCryptographyClientOptions {
                version: key.properties.version.clone(),
            }),
        )
        .expect("shared");
    assert_eq!(shared.key_id(), Some(key.id()));
    assert_eq!(shared.vault_url(), Some(c.vault_url()));
    let mut jwk = key.key.clone();
    jwk.kid = Some(key.id().to_owned());
    let local = CryptographyClient::from_jwk(jwk).expect("local");
    assert_eq!(local.vault_url(), Some(c.vault_url()));
    let mut bare = key.key.clone();
    bare.kid = None;
    assert_eq!(
        CryptographyClient::from_jwk(bare)
            .expect("no kid")
            .vault_url(),
        None
    );
    emu.shutdown().await;
}
