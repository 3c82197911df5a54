//! What the vault stores: keys, their versions, deletion state and
//! rotation policies, and how a new version is put together.
//!
//! These are the store's own types, not the generated wire types: a change
//! to the spec (a member renamed, a type changed) must not silently change
//! what is on disk. Requests and answers convert at the edge
//! ([`StoredReleasePolicy::from_wire`], [`StoredLifetimeAction::to_wire`]);
//! a record carries [`RECORD_VERSION`], and one written by a newer emulator
//! is refused on load rather than misread.

use std::collections::BTreeMap;

use keyvault_crypto::validity::Validity;
use keyvault_crypto::{JsonWebKey, KeyOperation};
use keyvault_keys_types::enums::KeyRotationPolicyAction;
use keyvault_keys_types::types;
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
    pub release_policy: Option<StoredReleasePolicy>,
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

/// The version of the stored record format this emulator writes and reads.
pub const RECORD_VERSION: u32 = 1;

fn record_version_1() -> u32 {
    1
}

/// A key release policy as stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredReleasePolicy {
    #[serde(rename = "contentType", default = "default_content_type")]
    pub content_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub immutable: Option<bool>,
    /// Members the emulator does not know, kept and answered as sent.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Unknown members of a stored object: kept as they came, so a newer
/// client's members survive (as they did when the store held wire types).
pub type Extra = serde_json::Map<String, serde_json::Value>;

fn default_content_type() -> String {
    "application/json; charset=utf-8".into()
}

impl StoredReleasePolicy {
    /// A request's policy as stored (an empty content type is the default).
    pub fn from_wire(p: types::KeyReleasePolicy) -> Self {
        Self {
            content_type: if p.content_type.is_empty() {
                default_content_type()
            } else {
                p.content_type
            },
            data: p.data,
            immutable: p.immutable,
            extra: p.extra,
        }
    }

    /// The policy as an answer carries it.
    pub fn to_wire(&self) -> types::KeyReleasePolicy {
        types::KeyReleasePolicy {
            content_type: self.content_type.clone(),
            data: self.data.clone(),
            immutable: self.immutable,
            extra: self.extra.clone(),
        }
    }
}

/// A rotation policy's lifetime action as stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredLifetimeAction {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<StoredAction>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger: Option<StoredTrigger>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// What a lifetime action does.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredAction {
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub type_: Option<KeyRotationPolicyAction>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// When a lifetime action fires (ISO 8601 durations).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredTrigger {
    #[serde(
        rename = "timeAfterCreate",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub time_after_create: Option<String>,
    #[serde(
        rename = "timeBeforeExpiry",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub time_before_expiry: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl StoredLifetimeAction {
    /// A request's action as stored.
    pub fn from_wire(a: types::LifetimeActions) -> Self {
        Self {
            action: a.action.map(|x| StoredAction {
                type_: x.type_,
                extra: x.extra,
            }),
            trigger: a.trigger.map(|t| StoredTrigger {
                time_after_create: t.time_after_create,
                time_before_expiry: t.time_before_expiry,
                extra: t.extra,
            }),
            extra: a.extra,
        }
    }

    /// The action as an answer carries it.
    pub fn to_wire(&self) -> types::LifetimeActions {
        types::LifetimeActions {
            action: self.action.as_ref().map(|x| types::LifetimeActionsType {
                type_: x.type_.clone(),
                extra: x.extra.clone(),
            }),
            trigger: self
                .trigger
                .as_ref()
                .map(|t| types::LifetimeActionsTrigger {
                    time_after_create: t.time_after_create.clone(),
                    time_before_expiry: t.time_before_expiry.clone(),
                    extra: t.extra.clone(),
                }),
            extra: self.extra.clone(),
        }
    }
}

#[derive(Clone, Serialize, Deserialize)]
pub struct StoredPolicy {
    pub lifetime_actions: Vec<StoredLifetimeAction>,
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
    /// The record format ([`RECORD_VERSION`]); records written before it
    /// was kept are version 1.
    #[serde(default = "record_version_1")]
    pub format: u32,
    pub name: String,
    pub versions: Vec<VersionRecord>,
    pub deleted: Option<Deleted>,
    pub rotation_policy: Option<StoredPolicy>,
    /// A deletion, recovery or purge still under way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<Pending>,
}

impl KeyRecord {
    /// Refuses a record of a format this emulator does not know (written by
    /// a newer one), rather than misreading it.
    pub fn check_format(&self) -> Result<(), String> {
        if self.format == RECORD_VERSION {
            Ok(())
        } else {
            Err(format!(
                "key {} is stored in record format {}; this emulator reads format {RECORD_VERSION}",
                self.name, self.format
            ))
        }
    }

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
        check_exportable(
            attrs.exportable,
            self.release_policy
                .as_ref()
                .is_some_and(|p| p.data.is_some()),
        )?;
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
            release_policy: self.release_policy.map(StoredReleasePolicy::from_wire),
            size: self.size,
            external_key: self.external_key,
            notified_near_expiry: false,
            notified_expired: false,
        })
    }
}

#[cfg(test)]
mod format_tests {
    use super::*;
    use serde_json::json;

    /// The stored form is the store's own: what a version-1 emulator wrote
    /// reads back, and writes out the same.
    #[test]
    fn stored_policies_keep_their_on_disk_form() {
        let wire: types::KeyReleasePolicy =
            serde_json::from_value(json!({"data": "e30", "immutable": true, "extra": 1}))
                .expect("wire");
        let stored = StoredReleasePolicy::from_wire(wire);
        // Unknown members are kept, as the wire type kept them.
        assert_eq!(
            serde_json::to_value(&stored).expect("json"),
            json!({"contentType": "application/json; charset=utf-8", "data": "e30", "immutable": true, "extra": 1})
        );
        let wire: types::LifetimeActions = serde_json::from_value(
            json!({"action": {"type": "rotate"}, "trigger": {"timeAfterCreate": "P90D"}}),
        )
        .expect("wire");
        let stored = StoredLifetimeAction::from_wire(wire.clone());
        let on_disk = json!({"action": {"type": "Rotate"}, "trigger": {"timeAfterCreate": "P90D"}});
        assert_eq!(serde_json::to_value(&stored).expect("json"), on_disk);
        let back: StoredLifetimeAction = serde_json::from_value(on_disk).expect("read");
        assert_eq!(back, stored);
        assert_eq!(back.to_wire().trigger, wire.trigger);
    }

    #[test]
    fn a_record_of_an_unknown_format_is_refused_not_misread() {
        let old: KeyRecord =
            serde_json::from_value(json!({"name": "k", "versions": []})).expect("version 1");
        assert_eq!(old.format, RECORD_VERSION);
        assert!(old.check_format().is_ok());
        let newer: KeyRecord =
            serde_json::from_value(json!({"format": 2, "name": "k", "versions": []}))
                .expect("parses");
        let e = newer.check_format().expect_err("refused");
        assert!(e.contains("format 2"), "{e}");
    }
}
