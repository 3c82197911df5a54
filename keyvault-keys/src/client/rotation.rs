//! Rotating keys and their rotation policies.

use super::*;

impl KeyClient {
    /// Makes a new version of a key, following its rotation policy.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let emulator = keyvault_emulator::Emulator::start(Default::default()).await?;
    /// # let client = keyvault_keys::KeyClient::new(emulator.vault_url(), emulator.credential(), Some(keyvault_keys::KeyClientOptions { client_options: emulator.client_options() }))?;
    /// # client.create_ec_key("key-name", None).await?;
    /// let rotated = client.rotate_key("key-name", None).await?;
    /// println!("{:?}", rotated.properties.version);
    /// # emulator.shutdown().await;
    /// # Ok(()) }
    /// ```
    pub async fn rotate_key(
        &self,
        name: &str,
        options: Option<RotateKeyOptions>,
    ) -> Result<KeyVaultKey> {
        traced!("KeyClient.rotate_key", async move {
            validate_key_name(name)?;
            let RotateKeyOptions {} = options.unwrap_or_default();
            self.require("rotate_key", "RotateKey")?;
            KeyVaultKey::from_bundle(&call(self.protocol.rotate_key(name)).await?)
        })
    }

    /// Gets a key's rotation policy.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let emulator = keyvault_emulator::Emulator::start(Default::default()).await?;
    /// # let client = keyvault_keys::KeyClient::new(emulator.vault_url(), emulator.credential(), Some(keyvault_keys::KeyClientOptions { client_options: emulator.client_options() }))?;
    /// # client.create_ec_key("key-name", None).await?;
    /// let policy = client.get_key_rotation_policy("key-name", None).await?;
    /// println!("{:?}", policy.expires_in);
    /// # emulator.shutdown().await;
    /// # Ok(()) }
    /// ```
    pub async fn get_key_rotation_policy(
        &self,
        name: &str,
        options: Option<GetKeyRotationPolicyOptions>,
    ) -> Result<KeyRotationPolicy> {
        traced!("KeyClient.get_key_rotation_policy", async move {
            validate_key_name(name)?;
            let GetKeyRotationPolicyOptions {} = options.unwrap_or_default();
            self.require("get_key_rotation_policy", "GetKeyRotationPolicy")?;
            KeyRotationPolicy::from_wire(&call(self.protocol.get_key_rotation_policy(name)).await?)
        })
    }

    /// Replaces a key's rotation policy; `lifetime_actions` and `expires_in`
    /// in the options override the policy's.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let emulator = keyvault_emulator::Emulator::start(Default::default()).await?;
    /// # let client = keyvault_keys::KeyClient::new(emulator.vault_url(), emulator.credential(), Some(keyvault_keys::KeyClientOptions { client_options: emulator.client_options() }))?;
    /// # client.create_ec_key("key-name", None).await?;
    /// use keyvault_keys::{KeyRotationPolicy, KeyRotationLifetimeAction, KeyRotationPolicyAction, UpdateKeyRotationPolicyOptions};
    /// let policy = KeyRotationPolicy::new(vec![
    ///     KeyRotationLifetimeAction::new(KeyRotationPolicyAction::Rotate).after_create("P90D"),
    /// ])
    /// .with_expires_in("P1Y");
    /// let updated = client.update_key_rotation_policy("key-name", &policy, None).await?;
    /// # emulator.shutdown().await;
    /// # Ok(()) }
    /// ```
    pub async fn update_key_rotation_policy(
        &self,
        name: &str,
        policy: &KeyRotationPolicy,
        options: Option<UpdateKeyRotationPolicyOptions>,
    ) -> Result<KeyRotationPolicy> {
        traced!("KeyClient.update_key_rotation_policy", async move {
            validate_key_name(name)?;
            let o = options.unwrap_or_default();
            self.require("update_key_rotation_policy", "UpdateKeyRotationPolicy")?;
            let mut policy = policy.clone();
            if let Some(actions) = o.lifetime_actions {
                policy.lifetime_actions = actions;
            }
            if let Some(e) = o.expires_in {
                policy.expires_in = Some(e);
            }
            // The durations and triggers are the service's to check.
            KeyRotationPolicy::from_wire(
                &call(
                    self.protocol
                        .update_key_rotation_policy(name, &policy.to_wire()),
                )
                .await?,
            )
        })
    }
}
