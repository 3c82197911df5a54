//! Rotating keys and their rotation policies.

use super::*;

impl KeyClient {
    /// Makes a new version of a key, following its rotation policy.
    ///
    /// ```no_run
    /// # async fn f(client: keyvault_keys::KeyClient) -> keyvault_keys::Result<()> {
    /// let rotated = client.rotate_key("key-name").await?;
    /// println!("{:?}", rotated.properties.version);
    /// # Ok(()) }
    /// ```
    pub async fn rotate_key(&self, name: &str) -> Result<KeyVaultKey> {
        validate_key_name(name)?;
        KeyVaultKey::from_bundle(&call(self.protocol.rotate_key(name)).await?)
    }

    /// Gets a key's rotation policy.
    ///
    /// ```no_run
    /// # async fn f(client: keyvault_keys::KeyClient) -> keyvault_keys::Result<()> {
    /// let policy = client.get_key_rotation_policy("key-name").await?;
    /// println!("{:?}", policy.expires_in);
    /// # Ok(()) }
    /// ```
    pub async fn get_key_rotation_policy(&self, key_name: &str) -> Result<KeyRotationPolicy> {
        validate_key_name(key_name)?;
        Ok(KeyRotationPolicy::from_wire(
            &call(self.protocol.get_key_rotation_policy(key_name)).await?,
        ))
    }

    /// Replaces a key's rotation policy; `lifetime_actions` and `expires_in`
    /// in the options override the policy's.
    ///
    /// ```no_run
    /// # async fn f(client: keyvault_keys::KeyClient) -> keyvault_keys::Result<()> {
    /// use keyvault_keys::{KeyRotationPolicy, KeyRotationLifetimeAction, KeyRotationPolicyAction, UpdateKeyRotationPolicyOptions};
    /// let policy = KeyRotationPolicy {
    ///     lifetime_actions: vec![KeyRotationLifetimeAction::new(KeyRotationPolicyAction::Rotate).after_create("P90D")],
    ///     expires_in: Some("P1Y".into()),
    ///     ..Default::default()
    /// };
    /// let updated = client.update_key_rotation_policy("key-name", &policy, None).await?;
    /// # Ok(()) }
    /// ```
    pub async fn update_key_rotation_policy(
        &self,
        key_name: &str,
        policy: &KeyRotationPolicy,
        options: Option<UpdateKeyRotationPolicyOptions>,
    ) -> Result<KeyRotationPolicy> {
        validate_key_name(key_name)?;
        let o = options.unwrap_or_default();
        let mut policy = policy.clone();
        if let Some(actions) = o.lifetime_actions {
            policy.lifetime_actions = actions;
        }
        if let Some(e) = o.expires_in {
            policy.expires_in = Some(e);
        }
        if let Some(e) = &policy.expires_in {
            validate_duration("expires_in", e)?;
        }
        for (i, a) in policy.lifetime_actions.iter().enumerate() {
            match (&a.time_after_create, &a.time_before_expiry) {
                (Some(_), Some(_)) | (None, None) => {
                    return Err(Error::validation(format!(
                        "lifetime action {i} needs exactly one of time_after_create and time_before_expiry"
                    )));
                }
                (Some(d), None) => {
                    validate_duration(&format!("lifetime action {i} time_after_create"), d)?
                }
                (None, Some(d)) => {
                    validate_duration(&format!("lifetime action {i} time_before_expiry"), d)?
                }
            }
        }
        Ok(KeyRotationPolicy::from_wire(
            &call(
                self.protocol
                    .update_key_rotation_policy(key_name, &policy.to_wire()),
            )
            .await?,
        ))
    }
}
