//! The vault's models, as users see them.

use std::collections::BTreeMap;

use keyvault_crypto::{JsonWebKey, KeyOperation, KeyType, KeyVaultKeyIdentifier, b64};
use keyvault_keys_protocol::enums::{DeletionRecoveryLevel, KeyRotationPolicyAction};
use keyvault_keys_protocol::types;
use time::OffsetDateTime;

use crate::error::{Error, Result};

fn ts(s: Option<i64>) -> Option<OffsetDateTime> {
    s.and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
}

/// Service API versions this client knows; any other string works too.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum ApiVersion {
    /// 7.0
    V7_0,
    /// 7.1
    V7_1,
    /// 7.2
    V7_2,
    /// 7.3
    V7_3,
    /// 7.4
    V7_4,
    /// 7.5
    V7_5,
    /// 7.6
    V7_6,
    /// 2025-07-01 (the default)
    #[default]
    V2025_07_01,
    /// Any other version string (for example a preview).
    Other(String),
}

impl ApiVersion {
    /// The query value.
    pub fn as_str(&self) -> &str {
        match self {
            ApiVersion::V7_0 => "7.0",
            ApiVersion::V7_1 => "7.1",
            ApiVersion::V7_2 => "7.2",
            ApiVersion::V7_3 => "7.3",
            ApiVersion::V7_4 => "7.4",
            ApiVersion::V7_5 => "7.5",
            ApiVersion::V7_6 => "7.6",
            ApiVersion::V2025_07_01 => "2025-07-01",
            ApiVersion::Other(s) => s,
        }
    }
}

impl From<&str> for ApiVersion {
    fn from(s: &str) -> Self {
        match s {
            "7.0" => ApiVersion::V7_0,
            "7.1" => ApiVersion::V7_1,
            "7.2" => ApiVersion::V7_2,
            "7.3" => ApiVersion::V7_3,
            "7.4" => ApiVersion::V7_4,
            "7.5" => ApiVersion::V7_5,
            "7.6" => ApiVersion::V7_6,
            "2025-07-01" => ApiVersion::V2025_07_01,
            other => ApiVersion::Other(other.to_owned()),
        }
    }
}

/// The conditions under which a key may be released.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyReleasePolicy {
    /// The policy document (JSON, as bytes).
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
    pub(crate) fn from_wire(p: &types::KeyReleasePolicy) -> Self {
        Self {
            encoded_policy: p
                .data
                .as_deref()
                .and_then(|d| b64::decode(d).ok())
                .unwrap_or_default(),
            content_type: Some(p.content_type.clone()).filter(|c| !c.is_empty()),
            immutable: p.immutable,
        }
    }
}

/// HSM attestation of a key.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct KeyAttestation {
    /// Certificates to check the attestation with.
    pub certificate_pem_file: Option<Vec<u8>>,
    /// Attestation of the private key.
    pub private_key_attestation: Option<Vec<u8>>,
    /// Attestation of the public key.
    pub public_key_attestation: Option<Vec<u8>>,
    /// Format version.
    pub version: Option<String>,
}

/// A key's properties (everything but its material).
#[derive(Clone, Debug, PartialEq, Eq)]
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
    pub not_before: Option<OffsetDateTime>,
    /// Not usable from.
    pub expires_on: Option<OffsetDateTime>,
    /// When the version was created.
    pub created_on: Option<OffsetDateTime>,
    /// When the version last changed.
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
}

impl KeyProperties {
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
        let attestation = a.and_then(|a| a.attestation.as_ref()).map(|t| {
            let dec = |v: &Option<String>| v.as_deref().and_then(|s| b64::decode(s).ok());
            KeyAttestation {
                certificate_pem_file: dec(&t.certificate_pem_file),
                private_key_attestation: dec(&t.private_key_attestation),
                public_key_attestation: dec(&t.public_key_attestation),
                version: t.version.clone(),
            }
        });
        Ok(Self {
            id: kid.to_owned(),
            name: id.name,
            version: id.version,
            vault_url: id.vault_url,
            enabled: a.and_then(|a| a.enabled),
            not_before: ts(a.and_then(|a| a.nbf)),
            expires_on: ts(a.and_then(|a| a.exp)),
            created_on: ts(a.and_then(|a| a.created)),
            updated_on: ts(a.and_then(|a| a.updated)),
            recovery_level: a.and_then(|a| a.recovery_level.clone()),
            recoverable_days: a.and_then(|a| a.recoverable_days),
            tags: tags.clone(),
            managed,
            exportable: a.and_then(|a| a.exportable),
            release_policy: release_policy.map(KeyReleasePolicy::from_wire),
            hsm_platform: a.and_then(|a| a.hsm_platform.clone()),
            attestation,
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
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyVaultKey {
    /// The key material (public parts only; the service never returns private material).
    pub key: JsonWebKey,
    /// The properties.
    pub properties: KeyProperties,
}

impl KeyVaultKey {
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
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeletedKey {
    /// The key material (absent in lists).
    pub key: Option<JsonWebKey>,
    /// The properties.
    pub properties: KeyProperties,
    /// The URL to recover it with.
    pub recovery_id: Option<String>,
    /// When it was deleted.
    pub deleted_date: Option<OffsetDateTime>,
    /// When it will be purged.
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
            deleted_date: ts(b.deleted_date),
            scheduled_purge_date: ts(b.scheduled_purge_date),
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
            deleted_date: ts(i.deleted_date),
            scheduled_purge_date: ts(i.scheduled_purge_date),
        })
    }
}

/// The result of `release_key`: a signed token (JWS) holding the wrapped key.
///
/// `Debug` shows only its length: the token carries key material.
#[derive(Clone, PartialEq, Eq)]
pub struct ReleaseKeyResult {
    /// The JWS.
    pub value: String,
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
#[derive(Clone, Debug, PartialEq, Eq)]
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
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct KeyRotationPolicy {
    /// The policy's identifier.
    pub id: Option<String>,
    /// Actions and their triggers.
    pub lifetime_actions: Vec<KeyRotationLifetimeAction>,
    /// How long each new version lives (ISO 8601).
    pub expires_in: Option<String>,
    /// When the policy was created.
    pub created_on: Option<OffsetDateTime>,
    /// When the policy last changed.
    pub updated_on: Option<OffsetDateTime>,
}

impl KeyRotationPolicy {
    pub(crate) fn from_wire(p: &types::KeyRotationPolicy) -> Self {
        Self {
            id: p.id.clone(),
            lifetime_actions: p
                .lifetime_actions
                .iter()
                .map(|a| KeyRotationLifetimeAction {
                    action: a
                        .action
                        .as_ref()
                        .and_then(|x| x.type_.clone())
                        .unwrap_or(KeyRotationPolicyAction::UnknownValue(String::new())),
                    time_after_create: a.trigger.as_ref().and_then(|t| t.time_after_create.clone()),
                    time_before_expiry: a
                        .trigger
                        .as_ref()
                        .and_then(|t| t.time_before_expiry.clone()),
                })
                .collect(),
            expires_in: p.attributes.as_ref().and_then(|a| a.expiry_time.clone()),
            created_on: ts(p.attributes.as_ref().and_then(|a| a.created)),
            updated_on: ts(p.attributes.as_ref().and_then(|a| a.updated)),
        }
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
