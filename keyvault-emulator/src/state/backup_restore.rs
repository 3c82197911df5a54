//! Backing a key up into a sealed blob, and restoring one.

use hyper::StatusCode;
use keyvault_keys_types::types;

use super::records::KeyRecord;
use super::{Change, Ctx, Keys};
use crate::api_error::{ApiError, ApiResult};

impl Keys {
    // --------------------------------------------------------- backup/restore

    #[cfg(test)]
    pub fn backup(&self, name: &str) -> ApiResult<types::BackupKeyResult> {
        seal_backup(self.live(name)?, &self.backup_key)
    }

    /// What a backup of `name` needs, copied so the caller can let go of the
    /// read lock before the long part (serialising up to 500 versions and
    /// sealing them): the record and the vault's backup key.
    pub fn backup_source(
        &self,
        name: &str,
    ) -> ApiResult<(KeyRecord, zeroize::Zeroizing<[u8; 32]>)> {
        Ok((
            self.live_copy(name)?,
            zeroize::Zeroizing::new(self.backup_key),
        ))
    }
}

/// A backup blob of `record`, sealed with the vault's backup key.
pub fn seal_backup(record: &KeyRecord, backup_key: &[u8; 32]) -> ApiResult<types::BackupKeyResult> {
    let plain = zeroize::Zeroizing::new(
        serde_json::to_vec(record).map_err(|e| ApiError::bad_parameter(e.to_string()))?,
    );
    let blob = crate::backup::seal(backup_key, &plain).map_err(ApiError::bad_parameter)?;
    Ok(types::BackupKeyResult {
        value: Some(keyvault_crypto::b64::encode(&blob)),
        extra: Default::default(),
    })
}

impl Keys {
    pub fn restore(
        &self,
        ctx: &Ctx,
        p: types::KeyRestoreParameters,
    ) -> ApiResult<Change<types::KeyBundle>> {
        let malformed = || {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "Malformed backup blob",
                "Backup blob contains invalid or corrupt version.",
            )
        };
        let blob = keyvault_crypto::b64::decode(&p.value).map_err(|_| malformed())?;
        let plain = crate::backup::open(&self.backup_key, &blob).map_err(|_| malformed())?;
        let mut record: KeyRecord = serde_json::from_slice(&plain).map_err(|_| malformed())?;
        record.check_format().map_err(|_| malformed())?;
        let lower = record.name.to_ascii_lowercase();
        if let Some(existing) = self.keys.get(&lower) {
            return Err(if existing.deleted.is_some() {
                ApiError::deleted_but_recoverable(&existing.name)
            } else {
                ApiError::new(
                    StatusCode::CONFLICT,
                    "Conflict",
                    format!(
                        "Key {} already exists; restore needs a name that is not in use.",
                        existing.name
                    ),
                )
            });
        }
        record.deleted = None;
        let answer = self.bundle(ctx, &record.name, record.latest()?);
        Ok(Change {
            lower,
            record: Some(record),
            answer,
            events: Vec::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{apply, create, ctx, keys};
    use crate::Flavor;
    use keyvault_keys_types::types;
    use serde_json::json;

    #[test]
    fn a_backup_restores_under_a_free_name_only() {
        let mut k = keys(Flavor::Any);
        create(&mut k, "k", json!({"kty": "EC", "tags": {"t": "1"}})).expect("create");
        let blob = k.backup("k").expect("backup").value.expect("value");
        let restore = |value: String| types::KeyRestoreParameters {
            value,
            extra: Default::default(),
        };
        let taken = k.restore(&ctx(), restore(blob.clone())).err();
        assert_eq!(taken.map(|e| e.status.as_u16()), Some(409));
        let planned = k.delete(&ctx(), "k");
        apply(&mut k, planned).expect("delete");
        let planned = k.purge(&ctx(), "k");
        apply(&mut k, planned).expect("purge");
        let planned = k.restore(&ctx(), restore(blob.clone()));
        let restored = apply(&mut k, planned).expect("restore");
        assert_eq!(restored.tags.get("t").map(String::as_str), Some("1"));
        let mut tampered = keyvault_crypto::b64::decode(&blob).expect("b64");
        if let Some(b) = tampered.last_mut() {
            *b ^= 1;
        }
        let bad = k.restore(&ctx(), restore(keyvault_crypto::b64::encode(&tampered)));
        assert_eq!(bad.err().map(|e| e.code), Some("Malformed backup blob"));
    }
}
