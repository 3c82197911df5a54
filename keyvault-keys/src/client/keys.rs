//! Creating, reading, updating and importing keys.

use super::*;

impl KeyClient {
    /// Creates a key of `key_type` (or a new version of an existing key).
    ///
    /// ```no_run
    /// # async fn f(client: keyvault_keys::KeyClient) -> keyvault_keys::Result<()> {
    /// use keyvault_keys::{CreateKeyOptions, KeyType, KeyCurveName};
    /// let key = client.create_key("key-name", KeyType::Ec, Some(CreateKeyOptions { curve: Some(KeyCurveName::P384), ..Default::default() })).await?;
    /// println!("{} {:?}", key.id(), key.properties.enabled);
    /// # Ok(()) }
    /// ```
    pub async fn create_key(
        &self,
        name: &str,
        key_type: KeyType,
        options: Option<CreateKeyOptions>,
    ) -> Result<KeyVaultKey> {
        validate_key_name(name)?;
        let o = options.unwrap_or_default();
        let kty = match (&key_type, o.hardware_protected) {
            (KeyType::Rsa, Some(true)) => KeyType::RsaHsm,
            (KeyType::Ec, Some(true)) => KeyType::EcHsm,
            (KeyType::Oct, Some(true)) => KeyType::OctHsm,
            (k, _) => k.clone(),
        };
        // Sizes, curves and which option fits which key type are the
        // service's to check (Azure SDK guideline: no client-side copy of
        // service validation); its answer comes back as the error.
        // The wire's members are int32: a larger value would wrap into a
        // different (negative) number, so refuse it here.
        let int32 = |what: &str, v: Option<u32>| -> Result<Option<i32>> {
            v.map(|v| {
                i32::try_from(v).map_err(|_| {
                    Error::validation(format!(
                        "{what} {v} is too large: the service takes at most {}",
                        i32::MAX
                    ))
                })
            })
            .transpose()
        };
        let body = types::KeyCreateParameters {
            kty,
            key_size: int32("size", o.size)?,
            public_exponent: int32("public_exponent", o.public_exponent)?,
            key_ops: o.key_operations.unwrap_or_default(),
            attributes: attributes(o.enabled, o.not_before, o.expires_on, o.exportable),
            tags: o.tags.unwrap_or_default(),
            crv: o.curve,
            release_policy: o.release_policy.as_ref().map(KeyReleasePolicy::to_wire),
            extra: Default::default(),
        };
        KeyVaultKey::from_bundle(&call(self.protocol.create_key(name, &body)).await?)
    }

    /// Creates an RSA key (RSA-HSM with `hardware_protected`).
    ///
    /// ```no_run
    /// # async fn f(client: keyvault_keys::KeyClient) -> keyvault_keys::Result<()> {
    /// use keyvault_keys::CreateKeyOptions;
    /// let key = client.create_rsa_key("rsa-key", Some(CreateKeyOptions { size: Some(2048), ..Default::default() })).await?;
    /// # Ok(()) }
    /// ```
    pub async fn create_rsa_key(
        &self,
        name: &str,
        options: Option<CreateKeyOptions>,
    ) -> Result<KeyVaultKey> {
        self.create_key(name, KeyType::Rsa, options).await
    }

    /// Creates an elliptic-curve key (P-256 unless `curve` says otherwise).
    ///
    /// ```no_run
    /// # async fn f(client: keyvault_keys::KeyClient) -> keyvault_keys::Result<()> {
    /// let key = client.create_ec_key("ec-key", None).await?;
    /// println!("{:?}", key.key.crv);
    /// # Ok(()) }
    /// ```
    pub async fn create_ec_key(
        &self,
        name: &str,
        options: Option<CreateKeyOptions>,
    ) -> Result<KeyVaultKey> {
        self.create_key(name, KeyType::Ec, options).await
    }

    /// Creates a symmetric key (Managed HSM; oct-HSM with `hardware_protected`).
    ///
    /// ```no_run
    /// # async fn f(client: keyvault_keys::KeyClient) -> keyvault_keys::Result<()> {
    /// use keyvault_keys::CreateKeyOptions;
    /// let key = client.create_oct_key("aes-key", Some(CreateKeyOptions { size: Some(256), hardware_protected: Some(true), ..Default::default() })).await?;
    /// # Ok(()) }
    /// ```
    pub async fn create_oct_key(
        &self,
        name: &str,
        options: Option<CreateKeyOptions>,
    ) -> Result<KeyVaultKey> {
        self.create_key(name, KeyType::Oct, options).await
    }

    /// Gets a key: the latest version, or the options' `version`.
    ///
    /// ```no_run
    /// # async fn f(client: keyvault_keys::KeyClient) -> keyvault_keys::Result<()> {
    /// use keyvault_keys::GetKeyOptions;
    /// let key = client.get_key("key-name", None).await?;
    /// println!("{} {:?} {}", key.id(), key.properties.version, key.properties.vault_url);
    /// let version = key.properties.version.clone();
    /// let same = client.get_key("key-name", Some(GetKeyOptions { version, ..Default::default() })).await?;
    /// # Ok(()) }
    /// ```
    pub async fn get_key(&self, name: &str, options: Option<GetKeyOptions>) -> Result<KeyVaultKey> {
        validate_key_name(name)?;
        let o = options.unwrap_or_default();
        KeyVaultKey::from_bundle(
            &call(
                self.protocol
                    .get_key(name, o.version.as_deref().unwrap_or("")),
            )
            .await?,
        )
    }

    /// Gets a key with the HSM's attestation of it.
    ///
    /// ```no_run
    /// # async fn f(client: keyvault_keys::KeyClient) -> keyvault_keys::Result<()> {
    /// let key = client.get_key_attestation("hsm-key", None).await?;
    /// println!("{:?}", key.properties.attestation.and_then(|a| a.version));
    /// # Ok(()) }
    /// ```
    pub async fn get_key_attestation(
        &self,
        name: &str,
        options: Option<GetKeyAttestationOptions>,
    ) -> Result<KeyVaultKey> {
        validate_key_name(name)?;
        let o = options.unwrap_or_default();
        KeyVaultKey::from_bundle(
            &call(
                self.protocol
                    .get_key_attestation(name, o.version.as_deref().unwrap_or("")),
            )
            .await?,
        )
    }

    /// Changes a key version's properties (the latest unless `version` is set).
    ///
    /// ```no_run
    /// # async fn f(client: keyvault_keys::KeyClient) -> keyvault_keys::Result<()> {
    /// use keyvault_keys::UpdateKeyPropertiesOptions;
    /// let updated = client.update_key_properties("key-name", Some(UpdateKeyPropertiesOptions { enabled: Some(false), ..Default::default() })).await?;
    /// println!("{:?} {:?}", updated.properties.updated_on, updated.properties.enabled);
    /// # Ok(()) }
    /// ```
    pub async fn update_key_properties(
        &self,
        name: &str,
        options: Option<UpdateKeyPropertiesOptions>,
    ) -> Result<KeyVaultKey> {
        validate_key_name(name)?;
        let o = options.unwrap_or_default();
        // `None` leaves tags and operations alone; `Some(empty)` sends `{}` /
        // `[]`, which clears them (as the Python client does).
        let body = types::KeyUpdateParameters {
            key_ops: o.key_operations,
            attributes: attributes(o.enabled, o.not_before, o.expires_on, None),
            tags: o.tags,
            release_policy: o.release_policy.as_ref().map(KeyReleasePolicy::to_wire),
            extra: Default::default(),
        };
        KeyVaultKey::from_bundle(
            &call(
                self.protocol
                    .update_key(name, o.version.as_deref().unwrap_or(""), &body),
            )
            .await?,
        )
    }

    /// Imports key material (with its private part) as a new key or version.
    ///
    /// ```no_run
    /// # async fn f(client: keyvault_keys::KeyClient, jwk: keyvault_keys::JsonWebKey) -> keyvault_keys::Result<()> {
    /// let key = client.import_key("imported", &jwk, None).await?;
    /// # Ok(()) }
    /// ```
    pub async fn import_key(
        &self,
        name: &str,
        key: &JsonWebKey,
        options: Option<ImportKeyOptions>,
    ) -> Result<KeyVaultKey> {
        validate_key_name(name)?;
        // Whether the key has the private material (or, for bring your own
        // key, the HSM transfer blob `key_hsm`) is the service's to check.
        let o = options.unwrap_or_default();
        let body = types::KeyImportParameters {
            hsm: o.hardware_protected,
            key: key.to_protocol(),
            attributes: attributes(o.enabled, o.not_before, o.expires_on, o.exportable),
            tags: o.tags.unwrap_or_default(),
            release_policy: o.release_policy.as_ref().map(KeyReleasePolicy::to_wire),
            extra: Default::default(),
        };
        KeyVaultKey::from_bundle(&call(self.protocol.import_key(name, &body)).await?)
    }
}
