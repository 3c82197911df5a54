//! Release an exportable key to an attested environment.
//!
//! Against the embedded emulator this example plays the attestation
//! authority itself (the emulator trusts its key). Against a real vault set
//! `AZURE_KEYVAULT_ATTESTATION_TOKEN` to a token from your attestation
//! service and `AZURE_KEYVAULT_ATTESTATION_AUTHORITY` to its URL.
#[path = "common/mod.rs"]
mod common;

use keyvault_emulator::EmulatorOptions;
use keyvault_keys::crypto::{KeySpec, KeyType as CryptoKeyType};
use keyvault_keys::{
    CreateKeyOptions, KeyExportEncryptionAlgorithm, KeyReleasePolicy, ReleaseKeyOptions,
};

#[tokio::main]
async fn main() -> Result<(), common::AnyError> {
    let authority_key = keyvault_keys::crypto::generate(&KeySpec {
        kty: CryptoKeyType::Ec,
        size: None,
        curve: None,
        public_exponent: None,
    })?;
    let runtime_key = keyvault_keys::crypto::generate(&KeySpec {
        kty: CryptoKeyType::Rsa,
        size: Some(2048),
        curve: None,
        public_exponent: None,
    })?;
    let authority = std::env::var("AZURE_KEYVAULT_ATTESTATION_AUTHORITY")
        .unwrap_or_else(|_| "https://attest.example".into());
    let vault = common::connect_with(EmulatorOptions {
        trusted_attestation_keys: vec![keyvault_emulator::TrustedAttestationKey::new(
            authority.clone(),
            authority_key.public_only(),
        )],
        ..Default::default()
    })
    .await?;
    let client = &vault.client;
    let policy = format!(
        r#"{{"version":"1.0.0","anyOf":[{{"authority":"{authority}","allOf":[{{"claim":"x-ms-attestation-type","equals":"sevsnpvm"}}]}}]}}"#
    );
    let name = common::unique("release-key");
    let options = CreateKeyOptions {
        hardware_protected: Some(true),
        exportable: Some(true),
        release_policy: Some(KeyReleasePolicy::new(policy)),
        ..Default::default()
    };
    client.create_rsa_key(&name, Some(options)).await?;

    let token = match std::env::var("AZURE_KEYVAULT_ATTESTATION_TOKEN") {
        Ok(t) => t,
        // The emulator's stand-in for an attestation service.
        Err(_) => keyvault_emulator::release::sign_token(
            &authority_key,
            &serde_json::json!({"iss": authority, "x-ms-attestation-type": "sevsnpvm", "exp": keyvault_keys::OffsetDateTime::now_utc().unix_timestamp() + 600, "x-ms-runtime": {"keys": [runtime_key.public_only()]}}),
        )?,
    };
    let result = client
        .release_key(
            &name,
            &token,
            Some(ReleaseKeyOptions {
                algorithm: Some(KeyExportEncryptionAlgorithm::RsaAesKeyWrap256),
                nonce: Some("example".into()),
                ..Default::default()
            }),
        )
        .await?;
    println!(
        "released {name}: a JWS of {} characters",
        result.value.len()
    );
    vault.close().await;
    Ok(())
}
