//! Deleting, reading deleted, purging and recovering keys.

use keyvault_keys_types::types;

use super::records::{Deleted, KeyRecord, Pending, PendingKind};
use super::{Change, Ctx, Keys};
use crate::api_error::{ApiError, ApiResult};

impl Keys {
    // ---------------------------------------------------------------- delete

    pub fn delete(&self, ctx: &Ctx, name: &str) -> ApiResult<Change<types::DeletedKeyBundle>> {
        let mut record = self.live_copy(name)?;
        let now = ctx.now;
        record.deleted = Some(Deleted {
            deleted_date: now,
            scheduled_purge_date: now + self.settings.retention_seconds(),
        });
        record.pending = self.pending(ctx, PendingKind::Deleting, self.settings.latency.delete_ms);
        let answer = self.deleted_bundle(ctx, &record)?;
        Ok(Change {
            lower: name.to_ascii_lowercase(),
            record: Some(record),
            answer,
            events: Vec::new(),
        })
    }

    /// A long operation of `ms` milliseconds from now (none when 0).
    fn pending(&self, ctx: &Ctx, kind: PendingKind, ms: u32) -> Option<Pending> {
        (ms > 0).then(|| Pending {
            kind,
            until_ms: ctx.now_ms.saturating_add(i64::from(ms)),
        })
    }

    /// A deleted key whose deletion has completed, else the service's
    /// answer: 409 while it is still being deleted (`conflict`) or 404.
    fn deleted_record(&self, name: &str, conflict: bool) -> ApiResult<&KeyRecord> {
        match self.keys.get(&name.to_ascii_lowercase()) {
            Some(r) if r.deleted.is_some() && r.pending.is_none() => Ok(r),
            Some(r) if conflict && r.pending.is_some_and(|p| p.kind == PendingKind::Deleting) => {
                Err(ApiError::being_deleted())
            }
            _ => Err(ApiError::deleted_key_not_found(name)),
        }
    }

    pub fn get_deleted(&self, ctx: &Ctx, name: &str) -> ApiResult<types::DeletedKeyBundle> {
        // Until a deletion completes, the deleted key is not found (404).
        self.deleted_bundle(ctx, self.deleted_record(name, false)?)
    }

    pub fn purge(&self, ctx: &Ctx, name: &str) -> ApiResult<Change<()>> {
        let r = self.deleted_record(name, true)?;
        if self.settings.purge_protection {
            return Err(ApiError::purge_protected(ctx.vault_name()));
        }
        // A purge that takes time keeps the name taken until it completes.
        let record = self
            .pending(ctx, PendingKind::Purging, self.settings.latency.purge_ms)
            .map(|p| KeyRecord {
                pending: Some(p),
                ..r.clone()
            });
        Ok(Change {
            lower: name.to_ascii_lowercase(),
            record,
            answer: (),
            events: Vec::new(),
        })
    }

    pub fn recover(&self, ctx: &Ctx, name: &str) -> ApiResult<Change<types::KeyBundle>> {
        let mut record = self.deleted_record(name, true)?.clone();
        record.deleted = None;
        record.pending = self.pending(
            ctx,
            PendingKind::Recovering,
            self.settings.latency.recover_ms,
        );
        let answer = self.bundle(ctx, &record.name, record.latest()?);
        Ok(Change {
            lower: name.to_ascii_lowercase(),
            record: Some(record),
            answer,
            events: Vec::new(),
        })
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
        assert!(k.purge(&ctx(), "k").is_err(), "a live key is not purged");
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
        let planned = k.purge(&ctx(), "K");
        apply(&mut k, planned).expect("purge");
        assert_eq!(len(&k), 0);
        assert!(k.recover(&ctx(), "k").is_err());
    }
}
