//! Finding a key and a version: live or deleted, latest or named.

use super::Keys;
use super::records::{KeyRecord, PendingKind, VersionRecord};
use crate::Flavor;
use crate::api_error::{ApiError, ApiResult};

impl Keys {
    pub(super) fn live(&self, name: &str) -> ApiResult<&KeyRecord> {
        match self.keys.get(&name.to_ascii_lowercase()) {
            Some(r) if r.deleted.is_none() && r.pending.is_none() => Ok(r),
            _ => Err(ApiError::key_not_found(name)),
        }
    }

    /// A copy of a live record, to build a changed one from.
    pub(super) fn live_copy(&self, name: &str) -> ApiResult<KeyRecord> {
        self.live(name).cloned()
    }

    pub(super) fn version<'a>(
        record: &'a KeyRecord,
        name: &str,
        version: &str,
    ) -> ApiResult<&'a VersionRecord> {
        if version.is_empty() {
            return record.latest();
        }
        record
            .versions
            .iter()
            .find(|v| v.version.eq_ignore_ascii_case(version))
            .ok_or_else(|| ApiError::key_not_found(&format!("{name}/{version}")))
    }

    /// Refuses a name that is taken by a deleted key.
    pub(super) fn check_not_deleted(&self, name: &str) -> ApiResult<()> {
        match self.keys.get(&name.to_ascii_lowercase()) {
            Some(r) => match r.pending.map(|p| p.kind) {
                Some(PendingKind::Recovering) => Err(ApiError::being_recovered()),
                Some(_) => Err(ApiError::being_deleted()),
                None if r.deleted.is_some() => Err(ApiError::deleted_but_recoverable(&r.name)),
                None => Ok(()),
            },
            _ => Ok(()),
        }
    }

    /// The key type of a live key's version (latest when `version` is
    /// empty), if there is one.
    pub fn kty(&self, name: &str, version: &str) -> Option<keyvault_crypto::KeyType> {
        let record = self.live(name).ok()?;
        Self::version(record, name, version)
            .ok()
            .map(|v| v.jwk.kty.clone())
    }

    /// The full record of a version (for release).
    pub fn version_record(&self, name: &str, version: &str) -> ApiResult<(String, VersionRecord)> {
        let record = self.live(name)?;
        let v = Self::version(record, name, version)?;
        Ok((record.name.clone(), v.clone()))
    }

    pub fn flavor(&self) -> Flavor {
        self.settings.flavor
    }
}
