//! The vault: keys, versions, deleted keys, rotation policies, and every
//! operation's semantics. Handlers call into [`Vault`] with wire types from
//! the protocol crate; persistence goes through [`crate::store::Store`].
//!
//! One file per job: [`records`] (what is stored), [`rules`] (the
//! service's limits and checks), [`vault`] (locking, commits, the key
//! cache), and one file per group of operations: [`create`], [`get`],
//! [`update`], [`lists`], [`deletion`], [`backup_restore`], [`rotation`],
//! [`usage`] (the checks before a cryptographic operation); [`bundles`]
//! makes the wire answers and [`invariants`] checks the contents.

mod backup_restore;
mod bundles;
mod create;
mod deletion;
mod events;
mod get;
mod invariants;
mod lists;
mod lookup;
mod records;
mod rotation;
mod rules;
mod settings;
mod timeline;
mod update;
mod usage;
mod vault;

use std::collections::{BTreeMap, BTreeSet};

use hyper::StatusCode;

use crate::api_error::ApiError;
use crate::versions::ApiVersion;

pub use backup_restore::seal_backup;
pub use events::{EventKind, EventLog, KeyEvent};
pub use records::{KeyRecord, VersionRecord};
pub use rules::hsm_only_algorithm;
pub(crate) use rules::{akp_algorithm, valid_name};
pub use settings::{Latency, RETENTION_DAYS, Settings};
pub(crate) use usage::{refuse_external, refused};
pub use vault::{Identity, Vault};

/// Real time, for contexts made outside a request (tests).
pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// What a request knows about where it arrived.
#[derive(Clone, Debug)]
pub struct Ctx {
    /// `host[:port]` as the client addressed us.
    pub authority: String,
    /// The request's api-version, as it was sent.
    pub api_version: String,
    /// The same, parsed (the newest known one when the text is not known:
    /// the server refuses such requests before they reach the vault).
    pub version: ApiVersion,
    /// What the caller's token may do.
    pub access: crate::access::Access,
    /// The caller's position among the accepted tokens (refusals name it
    /// instead of the token).
    pub caller: usize,
    /// The emulator's time when the request arrived (Unix seconds, from its
    /// [`crate::clock::Clock`]): what every date it writes or checks reads.
    pub now: i64,
    /// The same in milliseconds (long operations' latencies).
    pub now_ms: i64,
}

impl Ctx {
    /// A request's context.
    pub fn new(authority: impl Into<String>, api_version: impl Into<String>) -> Self {
        let api_version = api_version.into();
        let version = ApiVersion::parse(&api_version).unwrap_or_else(ApiVersion::newest);
        Self {
            authority: authority.into(),
            api_version,
            version,
            access: crate::access::Access::Full,
            caller: 0,
            now: now(),
            now_ms: now().saturating_mul(1000),
        }
    }

    /// The vault's name: the first label of the host the request named
    /// (`myvault` of `myvault.vault.localhost`), or `emulator` for an
    /// address.
    pub fn vault_name(&self) -> &str {
        let host = self
            .authority
            .rsplit_once(':')
            .filter(|(_, p)| p.chars().all(|c| c.is_ascii_digit()))
            .map_or(self.authority.as_str(), |(h, _)| h);
        if host.starts_with('[') || host.parse::<std::net::IpAddr>().is_ok() {
            return "emulator";
        }
        host.split('.')
            .next()
            .filter(|l| !l.is_empty())
            .unwrap_or("emulator")
    }

    pub fn base(&self) -> String {
        format!("https://{}", self.authority)
    }
    fn kid(&self, name: &str, version: &str) -> String {
        keyvault_keys_types::key_id(&self.base(), name, Some(version))
    }
}

/// The vault's contents at one moment: what reads look at and what a write
/// plans its change against. It is never changed in place by a request:
/// a write builds the new record, commits it, and only then swaps it in
/// ([`Vault::write`]).
pub struct Keys {
    /// Keyed by the lowercased name, in name order, so a list page is a range
    /// scan from the last name of the previous page: O(page + log n).
    keys: BTreeMap<String, KeyRecord>,
    /// The lowercased names of the live keys and of the deleted keys: a
    /// list page ranges over its own kind and never scans past the other.
    live: BTreeSet<String>,
    deleted: BTreeSet<String>,
    settings: Settings,
    backup_key: [u8; 32],
}

impl Keys {
    /// Contents holding `records`.
    fn new(records: Vec<KeyRecord>, settings: Settings, backup_key: [u8; 32]) -> Self {
        let mut keys = Self {
            keys: BTreeMap::new(),
            live: BTreeSet::new(),
            deleted: BTreeSet::new(),
            settings,
            backup_key,
        };
        for r in records {
            keys.put(r.name.to_ascii_lowercase(), Some(r));
        }
        keys
    }

    /// Stores `record` under `lower` (removes the key when `None`), keeping
    /// the live and deleted indexes in step; returns the record it replaces.
    fn put(&mut self, lower: String, record: Option<KeyRecord>) -> Option<KeyRecord> {
        self.live.remove(&lower);
        self.deleted.remove(&lower);
        match record {
            Some(r) => {
                let index = if r.deleted.is_some() {
                    &mut self.deleted
                } else {
                    &mut self.live
                };
                index.insert(lower.clone());
                self.keys.insert(lower, r)
            }
            None => self.keys.remove(&lower),
        }
    }
}

/// A planned write: the record to store under `lower` (or `None` to remove
/// it), and the answer to give once it is committed.
pub struct Change<T> {
    lower: String,
    record: Option<KeyRecord>,
    answer: T,
    /// Events to publish once the change is committed.
    events: Vec<KeyEvent>,
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "InternalError",
        format!("the store failed: {e}"),
    )
}

/// Builds vault contents in memory for the unit tests of the operations:
/// a plan's change is applied directly (no store, no locks).
#[cfg(test)]
pub(crate) mod test_support {
    use super::*;
    use crate::Flavor;
    use crate::api_error::ApiResult;
    use keyvault_crypto::{JsonWebKey, KeySpec};
    use keyvault_keys_types::types;

    pub fn keys(flavor: Flavor) -> Keys {
        Keys::new(
            Vec::new(),
            Settings {
                flavor,
                ..Default::default()
            },
            [7; 32],
        )
    }

    pub fn ctx() -> Ctx {
        Ctx::new("vault.localhost", "7.6")
    }

    /// Applies a planned change as a committed write would.
    pub fn apply<T>(keys: &mut Keys, change: ApiResult<Change<T>>) -> ApiResult<T> {
        let change = change?;
        keys.put(change.lower, change.record);
        Ok(change.answer)
    }

    /// Create parameters from JSON.
    pub fn params(v: serde_json::Value) -> types::KeyCreateParameters {
        serde_json::from_value(v).expect("create parameters")
    }

    /// Creates `name` from create parameters, generating its key.
    pub fn create(
        keys: &mut Keys,
        name: &str,
        v: serde_json::Value,
    ) -> ApiResult<types::KeyBundle> {
        let p = params(v);
        let spec: KeySpec = keys.create_spec(name, &p)?;
        let jwk: JsonWebKey = keyvault_crypto::generate(&spec).expect("generate");
        let planned = keys.create(&ctx(), name, p, &spec, jwk);
        apply(keys, planned)
    }

    /// The number of records (live and deleted).
    pub fn len(keys: &Keys) -> usize {
        keys.keys.len()
    }
}
