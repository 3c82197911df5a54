//! Update a key's properties: disable it, set an expiry and tags.
#[path = "common/mod.rs"]
mod common;

use keyvault_keys::UpdateKeyPropertiesOptions;

#[tokio::main]
async fn main() -> Result<(), common::AnyError> {
    let vault = common::connect().await?;
    let client = &vault.client;
    let name = common::unique("update-key");
    client.create_ec_key(&name, None).await?;
    let expires =
        keyvault_keys::OffsetDateTime::now_utc() + std::time::Duration::from_secs(365 * 24 * 3600);
    let updated = client
        .update_key_properties(
            &name,
            Some(UpdateKeyPropertiesOptions {
                enabled: Some(false),
                expires_on: Some(expires),
                tags: Some([("env".to_owned(), "test".to_owned())].into()),
                ..Default::default()
            }),
        )
        .await?;
    println!(
        "version {} updated on {}",
        common::short(updated.properties.version.as_deref()),
        common::when(updated.properties.updated_on)
    );
    println!(
        "enabled: {}, expires {}, tags: {}, type {}",
        common::yes_no(updated.properties.enabled),
        common::when(updated.properties.expires_on),
        common::tags(&updated.properties.tags),
        updated.key_type()
    );
    vault.close().await;
    Ok(())
}
