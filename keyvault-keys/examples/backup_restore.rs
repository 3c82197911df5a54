//! Back up a key, delete and purge it, then restore it from the backup.
#[path = "common/mod.rs"]
mod common;

#[tokio::main]
async fn main() -> Result<(), common::AnyError> {
    let vault = common::connect().await?;
    let client = &vault.client;
    let name = common::unique("backup-key");
    client.create_rsa_key(&name, None).await?;
    let backup = client.backup_key(&name, None).await?;
    println!("backup of {name}: {} bytes", backup.len());
    client.delete_key(&name, None).await?;
    client.purge_deleted_key(&name, None).await?;
    let restored = client.restore_key_backup(&backup, None).await?;
    println!(
        "restored {} ({}) version {}",
        restored.name(),
        restored.id(),
        common::short(restored.properties.version.as_deref())
    );
    vault.close().await;
    Ok(())
}
