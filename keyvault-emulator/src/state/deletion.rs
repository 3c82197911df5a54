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

#[cfg(test)]
mod tests {
    use super::super::test_support::{apply, create, ctx, keys, len};
    use crate::Flavor;
    use serde_json::json;

    #[test]
    fn delete_recover_and_purge_follow_the_key_state() {
        let mut k = keys(Flavor::Any);
        create(&mut k, "k", json!({"kty": "EC"})).expect("create");
        assert!(k.purge("k").is_err(), "a live key is not purged");
        assert!(k.get_deleted(&ctx(), "k").is_err());
        let planned = k.delete(&ctx(), "k");
        let deleted = apply(&mut k, planned).expect("delete");
        let (d, p) = (deleted.deleted_date, deleted.scheduled_purge_date);
        assert_eq!(p.zip(d).map(|(p, d)| p - d), Some(90 * 86_400));
        assert!(k.get(&ctx(), "k", "").is_err());
        assert!(k.delete(&ctx(), "k").is_err());
        let planned = k.recover(&ctx(), "k");
        apply(&mut k, planned).expect("recover");
        assert!(k.get(&ctx(), "k", "").is_ok());
        let planned = k.delete(&ctx(), "k");
        apply(&mut k, planned).expect("delete");
        let planned = k.purge("K");
        apply(&mut k, planned).expect("purge");
        assert_eq!(len(&k), 0);
        assert!(k.recover(&ctx(), "k").is_err());
    }
}
