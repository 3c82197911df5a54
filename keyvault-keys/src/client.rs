//! `KeyClient`: every method of the Python aio `KeyClient`, in Rust.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Instant;

use futures::stream::StreamExt as _;
use keyvault_crypto::{
    CryptographyClient, JsonWebKey, KeyCurveName, KeyType, KeyUsage, SecretBytes, b64,
};
use keyvault_keys_protocol::azure_core::credentials::TokenCredential;
use keyvault_keys_protocol::duration::IsoDuration;
use keyvault_keys_protocol::{Client, RawRequest, RawResponse, call, types};

use crate::error::{Error, ErrorKind, Result};
use crate::models::*;
use crate::options::*;
use crate::pager::{Page, Pager};

/// A client for the keys of one vault (or Managed HSM).
///
/// Cloning is cheap and shares the connections, the token and the
/// challenge cache; dropping the last clone releases the connections.
///
/// ```no_run
/// # async fn f(credential: std::sync::Arc<dyn keyvault_keys_protocol::azure_core::credentials::TokenCredential>) -> keyvault_keys::Result<()> {
/// use keyvault_keys::{KeyClient, CreateKeyOptions};
/// let client = KeyClient::new("https://myvault.vault.azure.net", credential, None)?;
/// let key = client.create_rsa_key("my-key", Some(CreateKeyOptions { size: Some(3072), ..Default::default() })).await?;
/// println!("{} {}", key.name(), key.key_type());
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct KeyClient {
    protocol: Client,
    vault_url: String,
}

/// Checks a key name: 1 to 127 letters, digits and dashes.
pub fn validate_key_name(name: &str) -> Result<()> {
    if !name.is_empty()
        && name.len() <= 127
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        Ok(())
    } else {
        Err(Error::validation(format!(
            "invalid key name {name:?}: a key name is 1 to 127 characters of letters, digits and dashes (^[0-9a-zA-Z-]{{1,127}}$)"
        )))
    }
}

fn validate_duration(what: &str, d: &str) -> Result<()> {
    IsoDuration::parse(d)
        .map(|_| ())
        .map_err(|e| Error::validation(format!("{what}: {e}")))
}

fn unix(t: Option<time::OffsetDateTime>) -> Option<i64> {
    t.map(|t| t.unix_timestamp())
}

fn attributes(
    enabled: Option<bool>,
    nbf: Option<time::OffsetDateTime>,
    exp: Option<time::OffsetDateTime>,
    exportable: Option<bool>,
) -> Option<types::KeyAttributes> {
    if enabled.is_none() && nbf.is_none() && exp.is_none() && exportable.is_none() {
        return None;
    }
    Some(types::KeyAttributes {
        enabled,
        nbf: unix(nbf),
        exp: unix(exp),
        exportable,
        ..Default::default()
    })
}

impl KeyClient {
    /// A client for the vault at `vault_url`, authenticating with `credential`.
    ///
    /// Fails (before anything is sent) when the URL is not an absolute
    /// `https` URL.
    pub fn new(
        vault_url: &str,
        credential: Arc<dyn TokenCredential>,
        options: Option<KeyClientOptions>,
    ) -> Result<Self> {
        let options = options.unwrap_or_default();
        let protocol = Client::with_credential(vault_url, credential, options.to_protocol())?;
        let vault_url = protocol
            .vault_url()
            .as_str()
            .trim_end_matches('/')
            .to_owned();
        Ok(Self {
            protocol,
            vault_url,
        })
    }

    /// A client over an existing protocol client (sharing its pipeline).
    pub fn from_protocol(protocol: Client) -> Self {
        let vault_url = protocol
            .vault_url()
            .as_str()
            .trim_end_matches('/')
            .to_owned();
        Self {
            protocol,
            vault_url,
        }
    }

    /// The vault's URL.
    pub fn vault_url(&self) -> &str {
        &self.vault_url
    }

    /// The low-level client underneath.
    pub fn protocol_client(&self) -> &Client {
        &self.protocol
    }

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
            tokio::time::sleep(options.poll_interval).await;
        }
    }

    /// Deletes every version of a key, and (unless `wait` is false) waits
    /// until the deletion completes, polling `get_deleted_key`.
    ///
    /// ```no_run
    /// # async fn f(client: keyvault_keys::KeyClient) -> keyvault_keys::Result<()> {
    /// let deleted = client.delete_key("key-name", None).await?;
    /// println!("{} {:?} {:?} {:?}", deleted.name(), deleted.deleted_date, deleted.scheduled_purge_date, deleted.recovery_id);
    /// # Ok(()) }
    /// ```
    pub async fn delete_key(&self, name: &str, options: Option<PollOptions>) -> Result<DeletedKey> {
        validate_key_name(name)?;
        let o = options.unwrap_or_default();
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
            self.poll(&o, timed_out, || self.get_deleted_key(name))
                .await?;
        }
        Ok(deleted)
    }

    /// Gets a deleted key.
    ///
    /// ```no_run
    /// # async fn f(client: keyvault_keys::KeyClient) -> keyvault_keys::Result<()> {
    /// let deleted = client.get_deleted_key("key-name").await?;
    /// println!("{}", deleted.name());
    /// # Ok(()) }
    /// ```
    pub async fn get_deleted_key(&self, name: &str) -> Result<DeletedKey> {
        validate_key_name(name)?;
        DeletedKey::from_bundle(&call(self.protocol.get_deleted_key(name)).await?)
    }

    /// Erases a deleted key for good.
    ///
    /// ```no_run
    /// # async fn f(client: keyvault_keys::KeyClient) -> keyvault_keys::Result<()> {
    /// client.purge_deleted_key("key-name").await?;
    /// # Ok(()) }
    /// ```
    pub async fn purge_deleted_key(&self, name: &str) -> Result<()> {
        validate_key_name(name)?;
        call(self.protocol.purge_deleted_key(name)).await?;
        Ok(())
    }

    /// Recovers a deleted key, and (unless `wait` is false) waits until it
    /// can be read again.
    ///
    /// ```no_run
    /// # async fn f(client: keyvault_keys::KeyClient) -> keyvault_keys::Result<()> {
    /// let recovered = client.recover_deleted_key("key-name", None).await?;
    /// println!("{} {}", recovered.id(), recovered.name());
    /// # Ok(()) }
    /// ```
    pub async fn recover_deleted_key(
        &self,
        name: &str,
        options: Option<PollOptions>,
    ) -> Result<KeyVaultKey> {
        validate_key_name(name)?;
        let o = options.unwrap_or_default();
        let key = KeyVaultKey::from_bundle(&call(self.protocol.recover_deleted_key(name)).await?)?;
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
    }

    /// Backs up a key (every version) as an opaque, protected blob.
    ///
    /// ```no_run
    /// # async fn f(client: keyvault_keys::KeyClient) -> keyvault_keys::Result<()> {
    /// let backup: Vec<u8> = client.backup_key("key-name").await?;
    /// println!("{} bytes", backup.len());
    /// # Ok(()) }
    /// ```
    pub async fn backup_key(&self, name: &str) -> Result<Vec<u8>> {
        validate_key_name(name)?;
        let r = call(self.protocol.backup_key(name)).await?;
        let value = r.value.ok_or_else(|| {
            Error::invalid_response("the service returned a backup without value")
        })?;
        b64::decode(&value).map_err(|e| {
            Error::invalid_response(format!(
                "the service returned a backup that is not base64url: {e}"
            ))
        })
    }

    /// Restores a backed-up key, with all its versions.
    ///
    /// ```no_run
    /// # async fn f(client: keyvault_keys::KeyClient, backup: Vec<u8>) -> keyvault_keys::Result<()> {
    /// let restored = client.restore_key_backup(&backup).await?;
    /// println!("{} {:?}", restored.name(), restored.properties.version);
    /// # Ok(()) }
    /// ```
    pub async fn restore_key_backup(&self, backup: &[u8]) -> Result<KeyVaultKey> {
        if backup.is_empty() {
            return Err(Error::validation("the backup is empty"));
        }
        let body = types::KeyRestoreParameters {
            value: b64::encode(backup),
            extra: Default::default(),
        };
        KeyVaultKey::from_bundle(&call(self.protocol.restore_key(&body)).await?)
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

    /// Draws `count` (1 to 128) random bytes from the HSM (Managed HSM).
    ///
    /// They often become key material, so they come as [`SecretBytes`]:
    /// zeroized when dropped, never printed by `Debug`.
    ///
    /// ```no_run
    /// # async fn f(client: keyvault_keys::KeyClient) -> keyvault_keys::Result<()> {
    /// let bytes = client.get_random_bytes(16).await?;
    /// assert_eq!(bytes.len(), 16);
    /// let raw: &[u8] = bytes.expose();
    /// # Ok(()) }
    /// ```
    pub async fn get_random_bytes(&self, count: u32) -> Result<SecretBytes> {
        let Some(count) = NonZeroU32::new(count).filter(|c| c.get() <= 128) else {
            return Err(Error::validation(format!(
                "count must be from 1 to 128, not {count}"
            )));
        };
        let r = call(
            self.protocol
                .get_random_bytes(&types::GetRandomBytesRequest {
                    count,
                    extra: Default::default(),
                }),
        )
        .await?;
        b64::decode(r.value.expose_secret())
            .map(SecretBytes::new)
            .map_err(|e| {
                Error::invalid_response(format!(
                    "the service returned random bytes that are not base64url: {e}"
                ))
            })
    }

    /// Releases an exportable key to the environment that
    /// `target_attestation_token` attests.
    ///
    /// ```no_run
    /// # async fn f(client: keyvault_keys::KeyClient, token: &str) -> keyvault_keys::Result<()> {
    /// let result = client.release_key("key-name", token, None).await?;
    /// println!("{}", result.value);
    /// # Ok(()) }
    /// ```
    pub async fn release_key(
        &self,
        name: &str,
        target_attestation_token: &str,
        options: Option<ReleaseKeyOptions>,
    ) -> Result<ReleaseKeyResult> {
        validate_key_name(name)?;
        if target_attestation_token.trim().is_empty() {
            return Err(Error::validation("the target attestation token is empty"));
        }
        let o = options.unwrap_or_default();
        let target =
            types::KeyReleaseParametersTarget::try_from(target_attestation_token.to_owned())
                .map_err(|e| {
                    Error::validation(format!("the target attestation token is not valid: {e}"))
                })?;
        let body = types::KeyReleaseParameters {
            target,
            nonce: o.nonce,
            enc: o.algorithm,
            extra: Default::default(),
        };
        let r = call(
            self.protocol
                .release(name, o.version.as_deref().unwrap_or(""), &body),
        )
        .await?;
        let value = r.value.ok_or_else(|| {
            Error::invalid_response("the service returned a release result without value")
        })?;
        Ok(ReleaseKeyResult {
            value: value.expose_secret().to_owned(),
        })
    }

    fn pager<W, T>(
        &self,
        pages: impl futures::Stream<Item = std::result::Result<W, keyvault_keys_protocol::Error>>
        + Send
        + 'static,
        convert: fn(W) -> Result<Page<T>>,
    ) -> Pager<T>
    where
        W: Send + 'static,
        T: Send + 'static,
    {
        Pager::new(
            pages
                .map(move |p| p.map_err(Error::from).and_then(convert))
                .boxed(),
        )
    }

    fn max_results(o: &ListOptions) -> Result<Option<NonZeroU32>> {
        match o.max_page_size {
            None => Ok(None),
            Some(n @ 1..=25) => Ok(NonZeroU32::new(n)),
            Some(n) => Err(Error::validation(format!(
                "max_page_size must be from 1 to 25, not {n}"
            ))),
        }
    }

    fn key_page(p: types::KeyListResult) -> Result<Page<KeyProperties>> {
        Ok(Page {
            items: p
                .value
                .iter()
                .map(KeyProperties::from_item)
                .collect::<Result<_>>()?,
            continuation_token: p.next_link,
        })
    }

    fn failed<T: Send + 'static>(e: Error) -> Pager<T> {
        Pager::new(futures::stream::once(async move { Err(e) }).boxed())
    }

    /// Lists the keys (latest version of each), without key material.
    ///
    /// ```no_run
    /// # async fn f(client: keyvault_keys::KeyClient) -> keyvault_keys::Result<()> {
    /// use futures::TryStreamExt as _;
    /// let keys: Vec<_> = client.list_properties_of_keys(None).try_collect().await?;
    /// for key in keys { println!("{}", key.name); }
    /// # Ok(()) }
    /// ```
    pub fn list_properties_of_keys(&self, options: Option<ListOptions>) -> Pager<KeyProperties> {
        let o = options.unwrap_or_default();
        let max = match Self::max_results(&o) {
            Ok(m) => m,
            Err(e) => return Self::failed(e),
        };
        match o.continuation_token {
            Some(token) => self.pager(
                self.protocol.pages_from::<types::KeyListResult>(token),
                Self::key_page,
            ),
            None => {
                let c = self.protocol.clone();
                self.pager(
                    self.protocol.pages(async move { c.get_keys(max).await }),
                    Self::key_page,
                )
            }
        }
    }

    /// Lists the versions of a key.
    ///
    /// ```no_run
    /// # async fn f(client: keyvault_keys::KeyClient) -> keyvault_keys::Result<()> {
    /// use futures::TryStreamExt as _;
    /// let mut versions = client.list_properties_of_key_versions("key-name", None);
    /// while let Some(v) = versions.try_next().await? { println!("{:?} {:?}", v.version, v.created_on); }
    /// # Ok(()) }
    /// ```
    pub fn list_properties_of_key_versions(
        &self,
        name: &str,
        options: Option<ListOptions>,
    ) -> Pager<KeyProperties> {
        if let Err(e) = validate_key_name(name) {
            return Self::failed(e);
        }
        let o = options.unwrap_or_default();
        let max = match Self::max_results(&o) {
            Ok(m) => m,
            Err(e) => return Self::failed(e),
        };
        match o.continuation_token {
            Some(token) => self.pager(
                self.protocol.pages_from::<types::KeyListResult>(token),
                Self::key_page,
            ),
            None => {
                let (c, name) = (self.protocol.clone(), name.to_owned());
                self.pager(
                    self.protocol
                        .pages(async move { c.get_key_versions(&name, max).await }),
                    Self::key_page,
                )
            }
        }
    }

    /// Lists the deleted keys.
    ///
    /// ```no_run
    /// # async fn f(client: keyvault_keys::KeyClient) -> keyvault_keys::Result<()> {
    /// use futures::TryStreamExt as _;
    /// let mut deleted = client.list_deleted_keys(None);
    /// while let Some(d) = deleted.try_next().await? { println!("{} {:?}", d.name(), d.deleted_date); }
    /// # Ok(()) }
    /// ```
    pub fn list_deleted_keys(&self, options: Option<ListOptions>) -> Pager<DeletedKey> {
        let o = options.unwrap_or_default();
        let max = match Self::max_results(&o) {
            Ok(m) => m,
            Err(e) => return Self::failed(e),
        };
        fn page(p: types::DeletedKeyListResult) -> Result<Page<DeletedKey>> {
            Ok(Page {
                items: p
                    .value
                    .iter()
                    .map(DeletedKey::from_item)
                    .collect::<Result<_>>()?,
                continuation_token: p.next_link,
            })
        }
        match o.continuation_token {
            Some(token) => self.pager(
                self.protocol
                    .pages_from::<types::DeletedKeyListResult>(token),
                page,
            ),
            None => {
                let c = self.protocol.clone();
                self.pager(
                    self.protocol
                        .pages(async move { c.get_deleted_keys(max).await }),
                    page,
                )
            }
        }
    }

    /// A `CryptographyClient` for a key of this vault, sharing this client's
    /// pipeline (connections, token, challenge cache).
    ///
    /// ```no_run
    /// # async fn f(client: keyvault_keys::KeyClient) -> keyvault_keys::Result<()> {
    /// use keyvault_keys::crypto::{EncryptParameters, EncryptionAlgorithm};
    /// let crypto = client.get_cryptography_client("key-name", None)?;
    /// let r = crypto.encrypt(&EncryptParameters::new(EncryptionAlgorithm::RsaOaep256, b"plaintext".to_vec())).await?;
    /// # Ok(()) }
    /// ```
    pub fn get_cryptography_client(
        &self,
        key_name: &str,
        key_version: Option<&str>,
    ) -> Result<CryptographyClient> {
        validate_key_name(key_name)?;
        let id = match key_version {
            Some(v) if !v.is_empty() => format!("{}/keys/{key_name}/{v}", self.vault_url),
            _ => format!("{}/keys/{key_name}", self.vault_url),
        };
        Ok(CryptographyClient::with_client(self.protocol.clone(), &id)?)
    }

    /// A `CryptographyClient` for a key already fetched: public-key
    /// operations run locally at once, no fetch needed.
    pub fn cryptography_client_for(&self, key: &KeyVaultKey) -> Result<CryptographyClient> {
        let mut jwk = key.key.clone();
        jwk.kid = Some(key.properties.id.clone());
        let usage = KeyUsage {
            enabled: key.properties.enabled,
            not_before: key.properties.not_before,
            expires_on: key.properties.expires_on,
        };
        Ok(CryptographyClient::from_key(
            self.protocol.clone(),
            jwk,
            usage,
        )?)
    }

    /// Sends a raw request through this client's pipeline (api-version,
    /// authentication, retries); the response is returned whatever its status.
    ///
    /// ```no_run
    /// # async fn f(client: keyvault_keys::KeyClient) -> keyvault_keys::Result<()> {
    /// use keyvault_keys::{RawRequest, Method};
    /// let response = client.send_request(RawRequest::new(Method::GET, "/keys/key-name/")).await?;
    /// println!("{} {}", response.status, response.text());
    /// # Ok(()) }
    /// ```
    pub async fn send_request(&self, request: RawRequest) -> Result<RawResponse> {
        Ok(self.protocol.send_request(request).await?)
    }
}
