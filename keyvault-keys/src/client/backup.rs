//! Backing up and restoring keys.

use super::*;

impl KeyClient {
    /// Backs up a key (every version) as an opaque, protected blob.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let emulator = keyvault_emulator::Emulator::start(Default::default()).await?;
    /// # let client = keyvault_keys::KeyClient::new(emulator.vault_url(), emulator.credential(), Some(keyvault_keys::KeyClientOptions { client_options: emulator.client_options() }))?;
    /// # client.create_ec_key("key-name", None).await?;
    /// let backup: Vec<u8> = client.backup_key("key-name", None).await?;
    /// println!("{} bytes", backup.len());
    /// # emulator.shutdown().await;
    /// # Ok(()) }
    /// ```
    pub async fn backup_key(
        &self,
        name: &str,
        options: Option<BackupKeyOptions>,
    ) -> Result<Vec<u8>> {
        traced!("KeyClient.backup_key", async move {
            validate_key_name(name)?;
            let BackupKeyOptions {} = options.unwrap_or_default();
            self.require("backup_key", "BackupKey")?;
            let r = call(self.protocol.backup_key(name)).await?;
            let value = r.value.ok_or_else(|| {
                Error::invalid_response("the service returned a backup without value")
            })?;
            b64::decode(&value).map_err(|e| {
                Error::invalid_response(format!(
                    "the service returned a backup that is not base64url: {e}"
                ))
            })
        })
    }

    /// Restores a backed-up key, with all its versions.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let emulator = keyvault_emulator::Emulator::start(Default::default()).await?;
    /// # let client = keyvault_keys::KeyClient::new(emulator.vault_url(), emulator.credential(), Some(keyvault_keys::KeyClientOptions { client_options: emulator.client_options() }))?;
    /// # client.create_ec_key("key-name", None).await?;
    /// # let backup = client.backup_key("key-name", None).await?;
    /// # client.delete_key("key-name", None).await?;
    /// # client.purge_deleted_key("key-name", None).await?;
    /// let restored = client.restore_key_backup(&backup, None).await?;
    /// println!("{} {:?}", restored.name(), restored.properties.version);
    /// # emulator.shutdown().await;
    /// # Ok(()) }
    /// ```
    pub async fn restore_key_backup(
        &self,
        backup: &[u8],
        options: Option<RestoreKeyBackupOptions>,
    ) -> Result<KeyVaultKey> {
        traced!("KeyClient.restore_key_backup", async move {
            // An empty or damaged backup is the service's to refuse.
            let RestoreKeyBackupOptions {} = options.unwrap_or_default();
            let body = types::KeyRestoreParameters {
                value: b64::encode(backup),
                extra: Default::default(),
            };
            self.require("restore_key_backup", "RestoreKey")?;
            KeyVaultKey::from_bundle(&call(self.protocol.restore_key(&body)).await?)
        })
    }
}
