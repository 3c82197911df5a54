//! Deleting, recovering and purging keys (with the wait for completion).

use super::*;

impl KeyClient {
    /// Polls `check` until it succeeds. Running out of time is a
    /// [`ErrorKind::Timeout`] whose message is `timed_out` (the operation
    /// being waited for has already succeeded).
    async fn poll<T, F, Fut>(
        &self,
        options: &PollOptions,
        timed_out: impl FnOnce(std::time::Duration) -> String,
        mut check: F,
    ) -> Result<Option<T>>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T>>,
    {
        let started = Instant::now();
        // At once, then after `initial_interval`, doubling up to
        // `poll_interval`: a deletion that completes in 300 ms is seen in
        // well under a second, while a slow one settles to Python's and
        // .NET's pace (one poll every 2 s).
        let mut interval = options.initial_interval.min(options.poll_interval);
        loop {
            match check().await {
                Ok(v) => return Ok(Some(v)),
                Err(e) if e.kind() == ErrorKind::ResourceNotFound => {}
                // Without permission to read, polling cannot tell: stop, as the Python poller does.
                Err(e) if e.status() == Some(403) => return Ok(None),
                Err(e) => return Err(e),
            }
            if started.elapsed() >= options.timeout {
                return Err(Error::timeout(timed_out(options.timeout)));
            }
            tokio::time::sleep(interval).await;
            interval = (interval * 2).min(options.poll_interval);
        }
    }

    /// Deletes every version of a key, and (unless `wait` is false) waits
    /// until the deletion completes, polling `get_deleted_key`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let emulator = keyvault_emulator::Emulator::start(Default::default()).await?;
    /// # let client = keyvault_keys::KeyClient::new(emulator.vault_url(), emulator.credential(), Some(keyvault_keys::KeyClientOptions { client_options: emulator.client_options() }))?;
    /// # client.create_ec_key("key-name", None).await?;
    /// let deleted = client.delete_key("key-name", None).await?;
    /// println!("{} {:?} {:?} {:?}", deleted.name(), deleted.deleted_date, deleted.scheduled_purge_date, deleted.recovery_id);
    /// # emulator.shutdown().await;
    /// # Ok(()) }
    /// ```
    pub async fn delete_key(
        &self,
        name: &str,
        options: Option<DeleteKeyOptions>,
    ) -> Result<DeletedKey> {
        traced!("KeyClient.delete_key", async move {
            validate_key_name(name)?;
            let o = options.unwrap_or_default().poll;
            self.require("delete_key", "DeleteKey")?;
            let deleted = DeletedKey::from_bundle(&call(self.protocol.delete_key(name)).await?)?;
            // Without a recovery id soft delete is off: the key is gone at once.
            if o.wait && deleted.recovery_id.is_some() {
                let timed_out = |t| {
                    format!(
                        "the delete of key {name:?} succeeded, but the service did not report the key \
                         as deleted within {t:?} (the wait timed out, not the delete); \
                         get_deleted_key tells when it is done"
                    )
                };
                self.poll(&o, timed_out, || self.get_deleted_key(name, None))
                    .await?;
            }
            Ok(deleted)
        })
    }

    /// Gets a deleted key.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let emulator = keyvault_emulator::Emulator::start(Default::default()).await?;
    /// # let client = keyvault_keys::KeyClient::new(emulator.vault_url(), emulator.credential(), Some(keyvault_keys::KeyClientOptions { client_options: emulator.client_options() }))?;
    /// # client.create_ec_key("key-name", None).await?;
    /// # client.delete_key("key-name", None).await?;
    /// let deleted = client.get_deleted_key("key-name", None).await?;
    /// println!("{}", deleted.name());
    /// # emulator.shutdown().await;
    /// # Ok(()) }
    /// ```
    pub async fn get_deleted_key(
        &self,
        name: &str,
        options: Option<GetDeletedKeyOptions>,
    ) -> Result<DeletedKey> {
        traced!("KeyClient.get_deleted_key", async move {
            validate_key_name(name)?;
            let GetDeletedKeyOptions {} = options.unwrap_or_default();
            self.require("get_deleted_key", "GetDeletedKey")?;
            DeletedKey::from_bundle(&call(self.protocol.get_deleted_key(name)).await?)
        })
    }

    /// Erases a deleted key for good.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let emulator = keyvault_emulator::Emulator::start(Default::default()).await?;
    /// # let client = keyvault_keys::KeyClient::new(emulator.vault_url(), emulator.credential(), Some(keyvault_keys::KeyClientOptions { client_options: emulator.client_options() }))?;
    /// # client.create_ec_key("key-name", None).await?;
    /// # client.delete_key("key-name", None).await?;
    /// client.purge_deleted_key("key-name", None).await?;
    /// # emulator.shutdown().await;
    /// # Ok(()) }
    /// ```
    pub async fn purge_deleted_key(
        &self,
        name: &str,
        options: Option<PurgeDeletedKeyOptions>,
    ) -> Result<()> {
        traced!("KeyClient.purge_deleted_key", async move {
            validate_key_name(name)?;
            let PurgeDeletedKeyOptions {} = options.unwrap_or_default();
            self.require("purge_deleted_key", "PurgeDeletedKey")?;
            call(self.protocol.purge_deleted_key(name)).await?;
            Ok(())
        })
    }

    /// Recovers a deleted key, and (unless `wait` is false) waits until it
    /// can be read again.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let emulator = keyvault_emulator::Emulator::start(Default::default()).await?;
    /// # let client = keyvault_keys::KeyClient::new(emulator.vault_url(), emulator.credential(), Some(keyvault_keys::KeyClientOptions { client_options: emulator.client_options() }))?;
    /// # client.create_ec_key("key-name", None).await?;
    /// # client.delete_key("key-name", None).await?;
    /// let recovered = client.recover_deleted_key("key-name", None).await?;
    /// println!("{} {}", recovered.id(), recovered.name());
    /// # emulator.shutdown().await;
    /// # Ok(()) }
    /// ```
    pub async fn recover_deleted_key(
        &self,
        name: &str,
        options: Option<RecoverDeletedKeyOptions>,
    ) -> Result<KeyVaultKey> {
        traced!("KeyClient.recover_deleted_key", async move {
            validate_key_name(name)?;
            let o = options.unwrap_or_default().poll;
            self.require("recover_deleted_key", "RecoverDeletedKey")?;
            let key =
                KeyVaultKey::from_bundle(&call(self.protocol.recover_deleted_key(name)).await?)?;
            if o.wait {
                let timed_out = |t| {
                    format!(
                        "the recover of deleted key {name:?} succeeded, but the key was not readable \
                         within {t:?} (the wait timed out, not the recovery); get_key tells when it is done"
                    )
                };
                self.poll(&o, timed_out, || self.get_key(name, None))
                    .await?;
            }
            Ok(key)
        })
    }
}
