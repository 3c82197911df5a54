//! The CryptographyClient: encrypt/verify run locally with the public key,
//! decrypt/sign run in the vault; a fully local client from a JWK.
#[path = "common/mod.rs"]
mod common;

use keyvault_keys::CreateKeyOptions;
use keyvault_keys::crypto::{
    CryptographyClient, DecryptParameters, EncryptParameters, EncryptionAlgorithm,
    SignatureAlgorithm,
};

#[tokio::main]
async fn main() -> Result<(), common::AnyError> {
    let vault = common::connect().await?;
    let client = &vault.client;
    let key = client
        .create_rsa_key(
            &common::unique("crypto-key"),
            Some(CreateKeyOptions {
                size: Some(2048),
                ..Default::default()
            }),
        )
        .await?;
    let crypto = client.cryptography_client_for(&key)?;

    let encrypted = crypto
        .encrypt(
            &EncryptParameters::new(EncryptionAlgorithm::RsaOaep256, b"a secret".to_vec()),
            None,
        )
        .await?;
    let decrypted = crypto
        .decrypt(&DecryptParameters::from_encrypt_result(&encrypted), None)
        .await?;
    println!(
        "encrypt (local) / decrypt (vault): \"{}\"",
        String::from_utf8_lossy(&decrypted.plaintext)
    );

    let signed = crypto
        .sign_data(&SignatureAlgorithm::Ps256, b"a document", None)
        .await?;
    let verified = crypto
        .verify_data(
            &SignatureAlgorithm::Ps256,
            b"a document",
            &signed.signature,
            None,
        )
        .await?;
    println!("sign (vault) / verify (local): valid={}", verified.is_valid);

    let local = CryptographyClient::from_jwk(key.key.clone())?;
    let again = local
        .encrypt(
            &EncryptParameters::new(EncryptionAlgorithm::RsaOaep, b"offline".to_vec()),
            None,
        )
        .await?;
    println!(
        "fully local client: {} bytes of ciphertext; decrypting needs the vault: {}",
        again.ciphertext.len(),
        local
            .decrypt(&DecryptParameters::from_encrypt_result(&again), None)
            .await
            .is_err()
    );
    vault.close().await;
    Ok(())
}
