//! Delete a key (waiting until done), recover it, delete it again and purge it.
#[path = "common/mod.rs"]
mod common;

#[tokio::main]
async fn main() -> Result<(), common::AnyError> {
    let vault = common::connect().await?;
    let client = &vault.client;
    let name = common::unique("delete-key");
    client.create_rsa_key(&name, None).await?;

    let deleted = client.delete_key(&name, None).await?;
    println!(
        "deleted {} on {}; purge scheduled {}; recovery id {}",
        deleted.name(),
        common::when(deleted.deleted_date),
        common::when(deleted.scheduled_purge_date),
        common::or_unset(deleted.recovery_id.as_ref())
    );
    let found = client.get_deleted_key(&name, None).await?;
    println!("get_deleted_key: {}", found.name());

    let recovered = client.recover_deleted_key(&name, None).await?;
    println!("recovered {} ({})", recovered.name(), recovered.id());

    client.delete_key(&name, None).await?;
    client.purge_deleted_key(&name, None).await?;
    println!("purged {name}");
    vault.close().await;
    Ok(())
}
