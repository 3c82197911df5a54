//! `CryptographyClient`s made by the `KeyClient`.

use super::*;

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
