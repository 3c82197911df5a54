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
mod get;
mod invariants;
mod lists;
mod lookup;
mod records;
mod rules;
mod rotation;
mod update;
mod usage;
mod vault;

use std::collections::BTreeMap;

use hyper::StatusCode;

use crate::Flavor;
use crate::api_error::ApiError;

pub use records::{Deleted, KeyRecord, StoredPolicy, VersionRecord};
pub use rules::{MAX_TAGS, MAX_VERSIONS, RECOVERABLE_DAYS};
pub use vault::Vault;

pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// What a request knows about where it arrived.
#[derive(Clone, Debug)]
pub struct Ctx {
    /// `host[:port]` as the client addressed us.
    pub authority: String,
    pub api_version: String,
}

impl Ctx {
    pub fn base(&self) -> String {
        format!("https://{}", self.authority)
    }
    fn kid(&self, name: &str, version: &str) -> String {
        format!("{}/keys/{name}/{version}", self.base())
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
    flavor: Flavor,
    backup_key: [u8; 32],
}

/// A planned write: the record to store under `lower` (or `None` to remove
/// it), and the answer to give once it is committed.
pub struct Change<T> {
    lower: String,
    record: Option<KeyRecord>,
    answer: T,
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "InternalError",
        format!("the store failed: {e}"),
    )
}
