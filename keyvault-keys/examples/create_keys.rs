//! Create keys: `create_key`, `create_rsa_key`, `create_ec_key`, `create_oct_key`.
#[path = "common/mod.rs"]
mod common;

use keyvault_keys::{CreateKeyOptions, KeyCurveName, KeyType};

#[tokio::main]
async fn main() -> Result<(), common::AnyError> {
    let vault = common::connect().await?;
    let client = &vault.client;
    println!("Creating keys in {}", vault.describe());

    let key = client
        .create_key(&common::unique("any-key"), KeyType::Ec, None)
        .await?;
    println!(
        "create_key:     {} ({}) enabled: {}",
        key.name(),
        key.key_type(),
        common::yes_no(key.properties.enabled)
    );

    let rsa = client
        .create_rsa_key(
            &common::unique("rsa-key"),
            Some(CreateKeyOptions {
                size: Some(3072),
                tags: Some([("purpose".to_owned(), "example".to_owned())].into()),
                ..Default::default()
            }),
        )
        .await?;
    println!(
        "create_rsa_key: {} ({}, {} bits) expires {}",
        rsa.name(),
        rsa.key_type(),
        common::or_unset(rsa.key.key_size()),
        common::when(rsa.properties.expires_on)
    );

    let ec = client
        .create_ec_key(
            &common::unique("ec-key"),
            Some(CreateKeyOptions {
                curve: Some(KeyCurveName::P384),
                ..Default::default()
            }),
        )
        .await?;
    println!(
        "create_ec_key:  {} ({}, curve {})",
        ec.name(),
        ec.key_type(),
        common::or_unset(ec.key.crv.as_ref())
    );

    // Symmetric keys live in a Managed HSM (the emulator accepts them too).
    match client
        .create_oct_key(
            &common::unique("oct-key"),
            Some(CreateKeyOptions {
                size: Some(256),
                hardware_protected: Some(true),
                ..Default::default()
            }),
        )
        .await
    {
        Ok(oct) => println!("create_oct_key: {} ({})", oct.name(), oct.key_type()),
        Err(e) => println!("create_oct_key: not available here ({e})"),
    }
    vault.close().await;
    Ok(())
}
