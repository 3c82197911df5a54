//! Get a key: the latest version, then a specific one.
#[path = "common/mod.rs"]
mod common;

use keyvault_keys::GetKeyOptions;

#[tokio::main]
async fn main() -> Result<(), common::AnyError> {
    let vault = common::connect().await?;
    let client = &vault.client;
    let name = common::unique("get-key");
    let first = client.create_rsa_key(&name, None).await?;
    client.create_rsa_key(&name, None).await?;

    let key = client.get_key(&name, None).await?;
    println!(
        "latest:   {} version {} in {}",
        key.name(),
        common::short(key.properties.version.as_deref()),
        key.properties.vault_url
    );
    let old = client
        .get_key(
            &name,
            Some(GetKeyOptions {
                version: first.properties.version.clone(),
            }),
        )
        .await?;
    println!(
        "specific: {} version {} ({})",
        old.name(),
        common::short(old.properties.version.as_deref()),
        old.key_type()
    );
    vault.close().await;
    Ok(())
}
