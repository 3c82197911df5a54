//! List keys, the versions of one key, and deleted keys (streams of items).
#[path = "common/mod.rs"]
mod common;

use keyvault_keys::ListPropertiesOfKeyVersionsOptions;
use keyvault_keys::TryStreamExt as _;

#[tokio::main]
async fn main() -> Result<(), common::AnyError> {
    let vault = common::connect().await?;
    let client = &vault.client;
    let name = common::unique("list-key");
    for _ in 0..3 {
        client.create_ec_key(&name, None).await?;
    }
    let gone = common::unique("list-deleted");
    client.create_ec_key(&gone, None).await?;
    client.delete_key(&gone, None).await?;

    let mut keys = client.list_properties_of_keys(None);
    while let Some(key) = keys.try_next().await? {
        println!("key: {} enabled: {}", key.name, common::yes_no(key.enabled));
    }
    // Pages of 2, with their continuation tokens.
    let mut pages = client
        .list_properties_of_key_versions(
            &name,
            Some(ListPropertiesOfKeyVersionsOptions {
                max_page_size: Some(2),
                ..Default::default()
            }),
        )
        .into_pages();
    while let Some(page) = pages.try_next().await? {
        println!(
            "page of {} versions, more: {}",
            page.items.len(),
            page.continuation_token.is_some()
        );
    }
    let deleted: Vec<_> = client.list_deleted_keys(None).try_collect().await?;
    for d in deleted {
        println!("deleted: {} on {}", d.name(), common::when(d.deleted_date));
    }
    vault.close().await;
    Ok(())
}
