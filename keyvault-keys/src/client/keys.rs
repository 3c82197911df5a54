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
        if !kty.is_known() {
            return Err(Error::validation(format!(
                "key type {kty} is not one this client can create; use RSA, EC or oct (or their -HSM forms)"
            )));
        }
        if kty.is_ec() {
            if let (Some(size), Some(curve)) = (o.size, o.curve.as_ref()) {
                let fits = matches!(
                    (size, curve),
                    (256, KeyCurveName::P256 | KeyCurveName::P256K)
                        | (384, KeyCurveName::P384)
                        | (521, KeyCurveName::P521)
                );
                if !fits {
                    return Err(Error::validation(format!(
                        "size {size} does not fit curve {curve}; omit size for EC keys"
                    )));
                }
            }
            if o.public_exponent.is_some() {
                return Err(Error::validation(
                    "public_exponent applies to RSA keys only",
                ));
            }
        } else if o.curve.is_some() {
            return Err(Error::validation(format!(
                "curve applies to EC keys only, not {kty}"
            )));
        }
        if kty.is_oct() && o.public_exponent.is_some() {
            return Err(Error::validation(
                "public_exponent applies to RSA keys only",
            ));
        }
        if let Some(size) = o.size {
            let ok = if kty.is_rsa() {
                [2048, 3072, 4096].contains(&size)
            } else if kty.is_oct() {
                [128, 192, 256].contains(&size)
            } else {
                true
            };
            if !ok {
                let allowed = if kty.is_rsa() {
                    "2048, 3072 or 4096"
                } else {
                    "128, 192 or 256"
                };
                return Err(Error::validation(format!(
                    "size {size} does not fit a {kty} key: use {allowed}"
                )));
            }
        }
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
            kty: enums::JsonWebKeyType::new(kty.as_str()),
            key_size: int32("size", o.size)?,
            public_exponent: int32("public_exponent", o.public_exponent)?,
            key_ops: o
                .key_operations
                .unwrap_or_default()
                .iter()
                .map(|op| enums::JsonWebKeyOperation::new(op.as_str()))
                .collect(),
            attributes: attributes(o.enabled, o.not_before, o.expires_on, o.exportable),
            tags: o.tags.unwrap_or_default(),
            crv: o.curve.map(|c| enums::JsonWebKeyCurveName::new(c.as_str())),
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

    /// Gets a key: the latest version, or `version`.
    ///
    /// ```no_run
    /// # async fn f(client: keyvault_keys::KeyClient) -> keyvault_keys::Result<()> {
    /// let key = client.get_key("key-name", None).await?;
    /// println!("{} {:?} {}", key.id(), key.properties.version, key.properties.vault_url);
    /// # Ok(()) }
    /// ```
    pub async fn get_key(&self, name: &str, version: Option<&str>) -> Result<KeyVaultKey> {
        validate_key_name(name)?;
        KeyVaultKey::from_bundle(&call(self.protocol.get_key(name, version.unwrap_or(""))).await?)
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
        version: Option<&str>,
    ) -> Result<KeyVaultKey> {
        validate_key_name(name)?;
        KeyVaultKey::from_bundle(
            &call(
                self.protocol
                    .get_key_attestation(name, version.unwrap_or("")),
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
            key_ops: o.key_operations.map(|ops| {
                ops.iter()
                    .map(|op| enums::JsonWebKeyOperation::new(op.as_str()))
                    .collect()
            }),
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
        // A bring-your-own-key import carries the HSM transfer blob
        // (`key_hsm`) instead of d/k; the service checks it.
        if !key.has_private_key() && key.t.is_none() {
            return Err(Error::validation(
                "the key to import has no private material (d for RSA and EC keys, k for oct \
                 keys) and no key_hsm transfer blob (t) for a bring-your-own-key import",
            ));
        }
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
