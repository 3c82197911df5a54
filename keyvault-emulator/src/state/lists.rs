//! The key lists: live keys, a key's versions, deleted keys.

use keyvault_keys_protocol::types;

use super::records::KeyRecord;
use super::{Ctx, Keys};
use crate::api_error::ApiResult;

impl Keys {
    // ------------------------------------------------------------------ lists

    /// Up to `max` live (or deleted) records in name order after the
    /// lowercased name `after`, and the position to continue from when more
    /// follow. A range scan of the ordered map: O(max + log n), whatever the
    /// vault's size, and a key added or removed before the position between
    /// two pages neither skips nor repeats one.
    fn records_after(
        &self,
        deleted: bool,
        after: Option<&str>,
        max: usize,
    ) -> (Vec<&KeyRecord>, Option<String>) {
        use std::ops::Bound::{Excluded, Unbounded};
        let start = match after {
            Some(a) => Excluded(a.to_owned()),
            None => Unbounded,
        };
        let mut page = Vec::with_capacity(max.min(64));
        let mut next = None;
        for r in self
            .keys
            .range((start, Unbounded))
            .map(|(_, r)| r)
            .filter(|r| r.deleted.is_some() == deleted && !r.versions.is_empty())
        {
            if page.len() == max {
                next = page
                    .last()
                    .map(|r: &&KeyRecord| r.name.to_ascii_lowercase());
                break;
            }
            page.push(r);
        }
        (page, next)
    }

    /// One page of the live keys after the position `after` (see
    /// [`Keys::records_after`]).
    pub fn list_keys(
        &self,
        ctx: &Ctx,
        after: Option<&str>,
        max: usize,
    ) -> (Vec<types::KeyItem>, Option<String>) {
        let (records, next) = self.records_after(false, after, max);
        let items = records
            .into_iter()
            .filter_map(|r| self.latest_item(ctx, r))
            .collect();
        (items, next)
    }

    /// A list item for a key: its latest version, under the key's URL.
    fn latest_item(&self, ctx: &Ctx, r: &KeyRecord) -> Option<types::KeyItem> {
        let v = r.versions.last()?;
        Some(self.item(format!("{}/keys/{}", ctx.base(), r.name), v))
    }

    pub fn list_versions(&self, ctx: &Ctx, name: &str) -> ApiResult<Vec<types::KeyItem>> {
        let record = self.live(name)?;
        Ok(record
            .versions
            .iter()
            .map(|v| self.item(ctx.kid(&record.name, &v.version), v))
            .collect())
    }

    /// One page of the deleted keys after the position `after`.
    pub fn list_deleted(
        &self,
        ctx: &Ctx,
        after: Option<&str>,
        max: usize,
    ) -> (Vec<types::DeletedKeyItem>, Option<String>) {
        let (records, next) = self.records_after(true, after, max);
        let items = records
            .into_iter()
            .filter_map(|r| {
                let d = r.deleted.as_ref()?;
                let item = self.latest_item(ctx, r)?;
                Some(types::DeletedKeyItem {
                    kid: item.kid,
                    attributes: item.attributes,
                    tags: item.tags,
                    managed: None,
                    recovery_id: Some(format!("{}/deletedkeys/{}", ctx.base(), r.name)),
                    deleted_date: Some(d.deleted_date),
                    scheduled_purge_date: Some(d.scheduled_purge_date),
                    extra: Default::default(),
                })
            })
            .collect();
        (items, next)
    }
}
