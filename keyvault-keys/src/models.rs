//! The vault's models, as users see them.
//!
//! The models a client returns are `#[non_exhaustive]` (a field added later
//! breaks no one), implement `Default` (a test can build a fake one and set
//! its fields), and serialise with serde (a user can cache them: times as
//! RFC 3339, byte strings as arrays of numbers).
//!
//! Nothing the service sends is dropped silently: a timestamp out of range,
//! a release policy that is not base64url, an attestation blob that does
//! not decode all fail the call with
//! [`ErrorKind::InvalidResponse`](crate::ErrorKind::InvalidResponse).

use std::collections::BTreeMap;

use keyvault_crypto::{JsonWebKey, KeyOperation, KeyType, KeyVaultKeyIdentifier, b64};
use keyvault_keys_protocol::enums::KeyRotationPolicyAction;
use keyvault_keys_protocol::types;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::error::{Error, Result};

/// How a deleted key can come back, and whether it can be purged
/// (`Recoverable+Purgeable`, ...; a value from a newer service is kept as is).
pub use keyvault_keys_protocol::enums::DeletionRecoveryLevel;

/// A service timestamp (seconds since 1970) as a time; one outside the
/// range of `OffsetDateTime` is an `InvalidResponse`, not a missing value.
fn ts(s: Option<i64>, what: &str) -> Result<Option<OffsetDateTime>> {
    s.map(|s| {
        OffsetDateTime::from_unix_timestamp(s).map_err(|e| {
            invalid(&format!(
                "the service returned a {what} timestamp out of range ({s}): {e}"
            ))
        })
    })
    .transpose()
}

/// Base64url from the service as bytes; anything else is an `InvalidResponse`.
fn decode(v: Option<&str>, what: &str) -> Result<Option<Vec<u8>>> {
    v.map(|s| {
        b64::decode(s).map_err(|e| {
            invalid(&format!(
                "the service returned a {what} that is not base64url: {e}"
            ))
        })
    })
    .transpose()
}

/// Service api-versions: the protocol crate's type, one for every layer
/// (see [`keyvault_keys_protocol::ApiVersion`]).
pub use keyvault_keys_protocol::ApiVersion;

/// The conditions under which a key may be released.
///
/// ```
/// use keyvault_keys::KeyReleasePolicy;
/// let policy = KeyReleasePolicy::new(br#"{"version":"1.0.0","anyOf":[]}"#.to_vec()).with_immutable(true);
/// assert_eq!(policy.immutable, Some(true));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct KeyReleasePolicy {
    /// The policy document (JSON, as bytes; serialised as base64url, as
    /// every byte field of the SDK's models is).
    #[serde(with = "keyvault_keys_types::b64::bytes")]
    pub encoded_policy: Vec<u8>,
    /// Its media type (default `application/json; charset=utf-8`).
    pub content_type: Option<String>,
    /// Once true, the policy can no longer change.
    pub immutable: Option<bool>,
}

impl KeyReleasePolicy {
    /// A policy from its JSON document.
    pub fn new(encoded_policy: impl Into<Vec<u8>>) -> Self {
        Self {
            encoded_policy: encoded_policy.into(),
            content_type: None,
            immutable: None,
        }
    }
    /// Sets the media type.
    pub fn with_content_type(mut self, content_type: impl Into<String>) -> Self {
        self.content_type = Some(content_type.into());
        self
    }
    /// Sets whether the policy can change later.
    pub fn with_immutable(mut self, immutable: bool) -> Self {
        self.immutable = Some(immutable);
        self
    }
    pub(crate) fn to_wire(&self) -> types::KeyReleasePolicy {
        types::KeyReleasePolicy {
            content_type: self
                .content_type
                .clone()
                .unwrap_or_else(|| "application/json; charset=utf-8".into()),
            immutable: self.immutable,
            data: Some(b64::encode(&self.encoded_policy)),
            extra: Default::default(),
        }
    }
    pub(crate) fn from_wire(p: &types::KeyReleasePolicy) -> Result<Self> {
        Ok(Self {
            encoded_policy: decode(p.data.as_deref(), "release policy")?.unwrap_or_default(),
            content_type: Some(p.content_type.clone()).filter(|c| !c.is_empty()),
            immutable: p.immutable,
        })
    }
}

/// HSM attestation of a key.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct KeyAttestation {
    /// Certificates to check the attestation with.
    #[serde(default, with = "keyvault_keys_types::b64::opt")]
    pub certificate_pem_file: Option<Vec<u8>>,
    /// Attestation of the private key.
    #[serde(default, with = "keyvault_keys_types::b64::opt")]
    pub private_key_attestation: Option<Vec<u8>>,
    /// Attestation of the public key.
    #[serde(default, with = "keyvault_keys_types::b64::opt")]
    pub public_key_attestation: Option<Vec<u8>>,
    /// Format version.
    pub version: Option<String>,
}

/// A key's properties (everything but its material).
///
/// A fake for a test starts from `Default` or [`KeyProperties::from_id`]:
///
/// ```
/// use keyvault_keys::KeyProperties;
/// let mut fake = KeyProperties::from_id("https://myvault.vault.azure.net/keys/my-key/0123")?;
/// fake.enabled = Some(true);
/// assert_eq!((fake.name.as_str(), fake.version.as_deref()), ("my-key", Some("0123")));
/// # Ok::<(), keyvault_keys::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct KeyProperties {
    /// The key's identifier (with the version, when known).
    pub id: String,
    /// The key's name.
    pub name: String,
    /// The version, when known.
    pub version: Option<String>,
    /// The vault's URL.
    pub vault_url: String,
    /// Whether the key can be used.
    pub enabled: Option<bool>,
    /// Not usable before.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub not_before: Option<OffsetDateTime>,
    /// Not usable from.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub expires_on: Option<OffsetDateTime>,
    /// When the version was created.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub created_on: Option<OffsetDateTime>,
    /// When the version last changed.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub updated_on: Option<OffsetDateTime>,
    /// The vault's recovery level.
    pub recovery_level: Option<DeletionRecoveryLevel>,
    /// Days a deleted key stays recoverable.
    pub recoverable_days: Option<i32>,
    /// Caller-defined tags.
    pub tags: BTreeMap<String, String>,
    /// True when a certificate manages the key.
    pub managed: Option<bool>,
    /// Whether the private key can be released.
    pub exportable: Option<bool>,
    /// The release policy.
    pub release_policy: Option<KeyReleasePolicy>,
    /// The HSM platform.
    pub hsm_platform: Option<String>,
    /// Attestation (from `get_key_attestation`).
    pub attestation: Option<KeyAttestation>,
    /// Where the material of a key held by an external key manager lives
    /// (2026-01-01-preview and later; see `KeyClient::create_external_key`).
    pub external_key: Option<ExternalKey>,
    /// The size in bits of a symmetric key (128, 192 or 256 for AES;
    /// 2026-01-01-preview and later, read-only).
    pub key_size: Option<i32>,
}

/// A reference to key material held by an external key manager connected
/// to a Managed HSM (Python's `ExternalKey`).
///
/// ```
/// use keyvault_keys::ExternalKey;
/// assert_eq!(ExternalKey::new("ext-0042").id, "ext-0042");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ExternalKey {
    /// The external key manager's identifier of the key (letters, digits
    /// and dashes, at most 64 characters).
    pub id: String,
}

impl ExternalKey {
    /// A reference to the external key `id`.
    pub fn new(id: impl Into<String>) -> Self {
        Self { id: id.into() }
    }
}

impl KeyProperties {
    /// Properties with only the identifier and what it names (vault URL,
    /// name, version) set: a starting point for a fake in a test.
    pub fn from_id(id: &str) -> Result<Self> {
        let parsed = KeyVaultKeyIdentifier::parse(id)
            .map_err(|e| Error::validation(format!("not a key identifier: {e}")))?;
        Ok(Self {
            id: id.to_owned(),
            name: parsed.name,
            version: parsed.version,
            vault_url: parsed.vault_url,
            ..Default::default()
        })
    }

    pub(crate) fn from_wire(
        kid: Option<&str>,
        attributes: Option<&types::KeyAttributes>,
        tags: &BTreeMap<String, String>,
        managed: Option<bool>,
        release_policy: Option<&types::KeyReleasePolicy>,
    ) -> Result<Self> {
        let kid = kid.ok_or_else(|| invalid("the service returned a key without kid"))?;
        let id = KeyVaultKeyIdentifier::parse(kid)
            .map_err(|e| invalid(&format!("the service returned a malformed kid: {e}")))?;
        let a = attributes;
        let attestation = a
            .and_then(|a| a.attestation.as_ref())
            .map(|t| -> Result<KeyAttestation> {
                Ok(KeyAttestation {
                    certificate_pem_file: decode(
                        t.certificate_pem_file.as_deref(),
                        "attestation certificate",
                    )?,
                    private_key_attestation: decode(
                        t.private_key_attestation.as_deref(),
                        "private key attestation",
                    )?,
                    public_key_attestation: decode(
                        t.public_key_attestation.as_deref(),
                        "public key attestation",
                    )?,
                    version: t.version.clone(),
                })
            })
            .transpose()?;
        Ok(Self {
            id: kid.to_owned(),
            name: id.name,
            version: id.version,
            vault_url: id.vault_url,
            enabled: a.and_then(|a| a.enabled),
            not_before: ts(a.and_then(|a| a.nbf), "not-before")?,
            expires_on: ts(a.and_then(|a| a.exp), "expiry")?,
            created_on: ts(a.and_then(|a| a.created), "created")?,
            updated_on: ts(a.and_then(|a| a.updated), "updated")?,
            recovery_level: a.and_then(|a| a.recovery_level.clone()),
            recoverable_days: a.and_then(|a| a.recoverable_days),
            tags: tags.clone(),
            managed,
            exportable: a.and_then(|a| a.exportable),
            release_policy: release_policy
                .map(KeyReleasePolicy::from_wire)
                .transpose()?,
            hsm_platform: a.and_then(|a| a.hsm_platform.clone()),
            attestation,
            external_key: a
                .and_then(|a| a.external_key.as_ref())
                .map(|e| ExternalKey::new(e.id.clone())),
            key_size: a.and_then(|a| a.key_size),
        })
    }

    pub(crate) fn from_item(item: &types::KeyItem) -> Result<Self> {
        Self::from_wire(
            item.kid.as_deref(),
            item.attributes.as_ref(),
            &item.tags,
            item.managed,
            None,
        )
    }
}

/// A service answer that does not describe a key: `InvalidResponse`.
fn invalid(m: &str) -> Error {
    Error::invalid_response(m)
}

/// A key: its public material and its properties.
///
/// A fake for a test comes from [`KeyVaultKey::new`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct KeyVaultKey {
    /// The key material (public parts only; the service never returns private material).
    pub key: JsonWebKey,
    /// The properties.
    pub properties: KeyProperties,
}

impl KeyVaultKey {
    /// A key from its material and properties (for fakes in tests; the
    /// client builds them from the service's answers).
    pub fn new(key: JsonWebKey, properties: KeyProperties) -> Self {
        Self { key, properties }
    }
    /// The key's identifier.
    pub fn id(&self) -> &str {
        &self.properties.id
    }
    /// The key's name.
    pub fn name(&self) -> &str {
        &self.properties.name
    }
    /// The key type.
    pub fn key_type(&self) -> &KeyType {
        &self.key.kty
    }
    /// The permitted operations.
    pub fn key_operations(&self) -> &[KeyOperation] {
        &self.key.key_ops
    }

    pub(crate) fn from_bundle(b: &types::KeyBundle) -> Result<Self> {
        let wire = b
            .key
            .as_ref()
            .ok_or_else(|| invalid("the service returned a key bundle without key"))?;
        let key = JsonWebKey::from_protocol(wire).map_err(|e| invalid(&e.to_string()))?;
        let properties = KeyProperties::from_wire(
            wire.kid.as_deref(),
            b.attributes.as_ref(),
            &b.tags,
            b.managed,
            b.release_policy.as_ref(),
        )?;
        Ok(Self { key, properties })
    }
}

/// A deleted key.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DeletedKey {
    /// The key material (absent in lists).
    pub key: Option<JsonWebKey>,
    /// The properties.
    pub properties: KeyProperties,
    /// The URL to recover it with.
    pub recovery_id: Option<String>,
    /// When it was deleted.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub deleted_date: Option<OffsetDateTime>,
    /// When it will be purged.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub scheduled_purge_date: Option<OffsetDateTime>,
}

impl DeletedKey {
    /// The key's name.
    pub fn name(&self) -> &str {
        &self.properties.name
    }
    /// The key's identifier.
    pub fn id(&self) -> &str {
        &self.properties.id
    }
    /// The key type (`None` in lists, which carry no key material).
    pub fn key_type(&self) -> Option<&KeyType> {
        self.key.as_ref().map(|k| &k.kty)
    }
    /// The permitted operations (empty in lists, which carry no key material).
    pub fn key_operations(&self) -> &[KeyOperation] {
        self.key.as_ref().map_or(&[], |k| &k.key_ops)
    }

    pub(crate) fn from_bundle(b: &types::DeletedKeyBundle) -> Result<Self> {
        let wire = b
            .key
            .as_ref()
            .ok_or_else(|| invalid("the service returned a deleted key without key"))?;
        Ok(Self {
            key: Some(JsonWebKey::from_protocol(wire).map_err(|e| invalid(&e.to_string()))?),
            properties: KeyProperties::from_wire(
                wire.kid.as_deref(),
                b.attributes.as_ref(),
                &b.tags,
                b.managed,
                b.release_policy.as_ref(),
            )?,
            recovery_id: b.recovery_id.clone(),
            deleted_date: ts(b.deleted_date, "deleted")?,
            scheduled_purge_date: ts(b.scheduled_purge_date, "scheduled purge")?,
        })
    }

    pub(crate) fn from_item(i: &types::DeletedKeyItem) -> Result<Self> {
        Ok(Self {
            key: None,
            properties: KeyProperties::from_wire(
                i.kid.as_deref(),
                i.attributes.as_ref(),
                &i.tags,
                i.managed,
                None,
            )?,
            recovery_id: i.recovery_id.clone(),
            deleted_date: ts(i.deleted_date, "deleted")?,
            scheduled_purge_date: ts(i.scheduled_purge_date, "scheduled purge")?,
        })
    }
}

/// The result of `release_key`: a signed token (JWS) holding the wrapped key.
///
/// `Debug` shows only its length: the token carries key material.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ReleaseKeyResult {
    /// The JWS.
    pub value: String,
}

impl ReleaseKeyResult {
    /// A result holding `value` (for fakes in tests).
    pub fn new(value: impl Into<String>) -> Self {
        Self {
            value: value.into(),
        }
    }
}

impl std::fmt::Debug for ReleaseKeyResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReleaseKeyResult")
            .field(
                "value",
                &format_args!("<redacted {} chars>", self.value.len()),
            )
            .finish()
    }
}

/// An action and when it fires.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct KeyRotationLifetimeAction {
    /// The action.
    pub action: KeyRotationPolicyAction,
    /// Fire this long after a version is created (ISO 8601, e.g. `P90D`).
    pub time_after_create: Option<String>,
    /// Fire this long before a version expires (ISO 8601).
    pub time_before_expiry: Option<String>,
}

impl KeyRotationLifetimeAction {
    /// An action with no trigger yet.
    pub fn new(action: KeyRotationPolicyAction) -> Self {
        Self {
            action,
            time_after_create: None,
            time_before_expiry: None,
        }
    }
    /// Sets the time after creation.
    pub fn after_create(mut self, d: impl Into<String>) -> Self {
        self.time_after_create = Some(d.into());
        self
    }
    /// Sets the time before expiry.
    pub fn before_expiry(mut self, d: impl Into<String>) -> Self {
        self.time_before_expiry = Some(d.into());
        self
    }
}

/// A key's rotation policy.
///
/// ```
/// use keyvault_keys::{KeyRotationLifetimeAction, KeyRotationPolicy, KeyRotationPolicyAction};
/// let policy = KeyRotationPolicy::new(vec![
///     KeyRotationLifetimeAction::new(KeyRotationPolicyAction::Rotate).after_create("P90D"),
/// ])
/// .with_expires_in("P1Y");
/// assert_eq!(policy.expires_in.as_deref(), Some("P1Y"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct KeyRotationPolicy {
    /// The policy's identifier.
    pub id: Option<String>,
    /// Actions and their triggers.
    pub lifetime_actions: Vec<KeyRotationLifetimeAction>,
    /// How long each new version lives (ISO 8601).
    pub expires_in: Option<String>,
    /// When the policy was created.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub created_on: Option<OffsetDateTime>,
    /// When the policy last changed.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub updated_on: Option<OffsetDateTime>,
}

impl KeyRotationPolicy {
    /// A policy with these lifetime actions.
    pub fn new(lifetime_actions: Vec<KeyRotationLifetimeAction>) -> Self {
        Self {
            lifetime_actions,
            ..Default::default()
        }
    }
    /// Sets how long each new version lives (ISO 8601 duration, e.g. `P1Y`).
    pub fn with_expires_in(mut self, d: impl Into<String>) -> Self {
        self.expires_in = Some(d.into());
        self
    }

    pub(crate) fn from_wire(p: &types::KeyRotationPolicy) -> Result<Self> {
        Ok(Self {
            id: p.id.clone(),
            lifetime_actions: p
                .lifetime_actions
                .iter()
                .map(|a| {
                    Ok(KeyRotationLifetimeAction {
                        // A lifetime action without its type is not an
                        // action of any kind: the answer is at fault.
                        action: a.action.as_ref().and_then(|x| x.type_.clone()).ok_or_else(
                            || {
                                invalid(
                                    "the service returned a lifetime action without action.type",
                                )
                            },
                        )?,
                        time_after_create: a
                            .trigger
                            .as_ref()
                            .and_then(|t| t.time_after_create.clone()),
                        time_before_expiry: a
                            .trigger
                            .as_ref()
                            .and_then(|t| t.time_before_expiry.clone()),
                    })
                })
                .collect::<Result<Vec<_>>>()?,
            expires_in: p.attributes.as_ref().and_then(|a| a.expiry_time.clone()),
            created_on: ts(p.attributes.as_ref().and_then(|a| a.created), "created")?,
            updated_on: ts(p.attributes.as_ref().and_then(|a| a.updated), "updated")?,
        })
    }

    pub(crate) fn to_wire(&self) -> types::KeyRotationPolicy {
        types::KeyRotationPolicy {
            id: None,
            lifetime_actions: self
                .lifetime_actions
                .iter()
                .map(|a| types::LifetimeActions {
                    trigger: Some(types::LifetimeActionsTrigger {
                        time_after_create: a.time_after_create.clone(),
                        time_before_expiry: a.time_before_expiry.clone(),
                        extra: Default::default(),
                    }),
                    action: Some(types::LifetimeActionsType {
                        type_: Some(a.action.clone()),
                        extra: Default::default(),
                    }),
                    extra: Default::default(),
                })
                .collect(),
            attributes: Some(types::KeyRotationPolicyAttributes {
                expiry_time: self.expires_in.clone(),
                created: None,
                updated: None,
                extra: Default::default(),
            }),
            extra: Default::default(),
        }
    }
}
