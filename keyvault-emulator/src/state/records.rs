//! What the vault stores: keys, their versions, deletion state and
//! rotation policies, and how a new version is put together.

use std::collections::BTreeMap;

use keyvault_crypto::validity::Validity;
use keyvault_crypto::{JsonWebKey, KeyOperation};
use keyvault_keys_protocol::types;
use serde::{Deserialize, Serialize};

use super::rules::{check_exportable, new_version};
use crate::api_error::{ApiError, ApiResult};

/// One version of a key, with its private material.
#[derive(Clone, Serialize, Deserialize)]
pub struct VersionRecord {
    pub version: String,
    /// The key material; its `kid` and `key_ops` are always empty (the kid
    /// depends on the request's host; the operations are `key_ops` below).
    pub jwk: JsonWebKey,
    /// The operations the version permits: the one place they are kept.
    /// An empty list permits none (as after a `PATCH` with `key_ops: []`).
    pub key_ops: Vec<KeyOperation>,
    pub enabled: bool,
    pub nbf: Option<i64>,
    pub exp: Option<i64>,
    pub created: i64,
    pub updated: i64,
    pub exportable: Option<bool>,
    pub tags: BTreeMap<String, String>,
    pub release_policy: Option<types::KeyReleasePolicy>,
    /// RSA modulus bits or AES bits, for rotation.
    pub size: Option<u32>,
    /// The id of the key in the external key manager (an external key's
    /// material is not here; cryptographic operations are refused).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_key: Option<String>,
    /// Whether `KeyNearExpiry` was published for this version.
    #[serde(default)]
    pub notified_near_expiry: bool,
    /// Whether `KeyExpired` was published for this version.
    #[serde(default)]
    pub notified_expired: bool,
}

impl VersionRecord {
    /// What the validity rule ([`keyvault_crypto::validity`]) looks at.
    pub fn validity(&self) -> Validity<i64> {
        Validity {
            enabled: Some(self.enabled),
            not_before: self.nbf,
            expires: self.exp,
        }
    }
}

#[derive(Clone, Serialize, Deserialize)]
pub struct Deleted {
    pub deleted_date: i64,
    pub scheduled_purge_date: i64,
}

#[derive(Clone, Serialize, Deserialize)]
pub struct StoredPolicy {
    pub lifetime_actions: Vec<types::LifetimeActions>,
    pub expiry_time: Option<String>,
    pub created: i64,
    pub updated: i64,
}

/// A long operation under way (the vault's operation latency): until
/// `until_ms` (emulated Unix milliseconds) the key is in neither list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PendingKind {
    /// Deleted, not yet in the deleted keys.
    Deleting,
    /// Recovered, not yet back among the keys.
    Recovering,
    /// Purged, its name not yet free.
    Purging,
}

/// A long operation and when it completes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    pub kind: PendingKind,
    pub until_ms: i64,
}

/// A key: its name as created, its versions (oldest first), deletion state
/// and rotation policy.
#[derive(Clone, Serialize, Deserialize)]
pub struct KeyRecord {
    pub name: String,
    pub versions: Vec<VersionRecord>,
    pub deleted: Option<Deleted>,
    pub rotation_policy: Option<StoredPolicy>,
    /// A deletion, recovery or purge still under way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<Pending>,
}

impl KeyRecord {
    pub(super) fn latest(&self) -> ApiResult<&VersionRecord> {
        self.versions
            .last()
            .ok_or_else(|| ApiError::key_not_found(&self.name))
    }
}

/// What a new version (created or imported) is made of.
pub(super) struct NewVersion {
    pub(super) jwk: JsonWebKey,
    pub(super) key_ops: Vec<KeyOperation>,
    pub(super) attributes: Option<types::KeyAttributes>,
    pub(super) tags: BTreeMap<String, String>,
    pub(super) release_policy: Option<types::KeyReleasePolicy>,
    pub(super) external_key: Option<String>,
    pub(super) size: Option<u32>,
}

impl NewVersion {
    pub(super) fn into_record(self, now: i64) -> ApiResult<VersionRecord> {
        let attrs = self.attributes.unwrap_or_default();
        check_exportable(attrs.exportable, self.release_policy.as_ref())?;
        let mut jwk = self.jwk;
        jwk.kid = None;
        jwk.key_ops.clear();
        Ok(VersionRecord {
            version: new_version(),
            jwk,
            key_ops: self.key_ops,
            enabled: attrs.enabled.unwrap_or(true),
            nbf: attrs.nbf,
            exp: attrs.exp,
            created: now,
            updated: now,
            exportable: attrs.exportable,
            tags: self.tags,
            release_policy: self.release_policy.map(normalise_policy),
            size: self.size,
            external_key: self.external_key,
            notified_near_expiry: false,
            notified_expired: false,
        })
    }
}

pub(super) fn normalise_policy(mut p: types::KeyReleasePolicy) -> types::KeyReleasePolicy {
    if p.content_type.is_empty() {
        p.content_type = "application/json; charset=utf-8".into();
    }
    p
}
