//! Deleting, reading deleted, purging and recovering keys.

use keyvault_keys_protocol::types;

use super::records::Deleted;
use super::rules::RECOVERABLE_DAYS;
use super::{Change, Ctx, Keys, now};
use crate::api_error::{ApiError, ApiResult};

impl Keys {
    // ---------------------------------------------------------------- delete

    pub fn delete(&self, ctx: &Ctx, name: &str) -> ApiResult<Change<types::DeletedKeyBundle>> {
        let mut record = self.live_copy(name)?;
        let now = now();
        record.deleted = Some(Deleted {
            deleted_date: now,
            scheduled_purge_date: now + i64::from(RECOVERABLE_DAYS) * 86_400,
        });
        let answer = self.deleted_bundle(ctx, &record)?;
        Ok(Change {
            lower: name.to_ascii_lowercase(),
            record: Some(record),
            answer,
        })
    }

    pub fn get_deleted(&self, ctx: &Ctx, name: &str) -> ApiResult<types::DeletedKeyBundle> {
        match self.keys.get(&name.to_ascii_lowercase()) {
            Some(r) if r.deleted.is_some() => self.deleted_bundle(ctx, r),
            _ => Err(ApiError::deleted_key_not_found(name)),
        }
    }

    pub fn purge(&self, name: &str) -> ApiResult<Change<()>> {
        let lower = name.to_ascii_lowercase();
        match self.keys.get(&lower) {
            Some(r) if r.deleted.is_some() => Ok(Change {
                lower,
                record: None,
                answer: (),
            }),
            _ => Err(ApiError::deleted_key_not_found(name)),
        }
    }

    pub fn recover(&self, ctx: &Ctx, name: &str) -> ApiResult<Change<types::KeyBundle>> {
        let lower = name.to_ascii_lowercase();
        match self.keys.get(&lower) {
            Some(r) if r.deleted.is_some() => {
                let mut record = r.clone();
                record.deleted = None;
                let answer = self.bundle(ctx, &record.name, record.latest()?);
                Ok(Change {
                    lower,
                    record: Some(record),
                    answer,
                })
            }
            _ => Err(ApiError::deleted_key_not_found(name)),
        }
    }
}
