//! The key lists: live keys, a key's versions, deleted keys.

use keyvault_keys_types::types;

use super::records::KeyRecord;
use super::{Ctx, Keys};

impl Keys {
    // ------------------------------------------------------------------ lists

    /// Up to `max` live (or deleted) records in name order after the
    /// lowercased name `after`, and the position to continue from when more
    /// follow. A range scan of the kind's index: O(max · log n), whatever
    /// the vault's size and however many keys of the other kind it holds, and a key added or removed before the position between
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
        let index = if deleted { &self.deleted } else { &self.live };
        let mut page = Vec::with_capacity(max.min(64));
        let mut next = None;
        for r in index
            .range((start, Unbounded))
            .filter_map(|lower| self.keys.get(lower))
            .filter(|r| !r.versions.is_empty() && r.pending.is_none())
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
        let id = keyvault_keys_types::key_id(&ctx.base(), &r.name, None);
        Some(self.item(ctx, id, v))
    }

    /// A key's versions, oldest first; none (not an error) for a key that
    /// does not exist or is deleted, as the service answers.
    pub fn list_versions(&self, ctx: &Ctx, name: &str) -> Vec<types::KeyItem> {
        let Ok(record) = self.live(name) else {
            return Vec::new();
        };
        record
            .versions
            .iter()
            .map(|v| self.item(ctx, ctx.kid(&record.name, &v.version), v))
            .collect()
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

#[cfg(test)]
mod tests {
    use super::super::test_support::{apply, create, ctx, keys};
    use crate::Flavor;
    use serde_json::json;

    fn names<T>(items: &[T], kid: impl Fn(&T) -> Option<&String>) -> Vec<String> {
        items
            .iter()
            .filter_map(|i| kid(i).and_then(|k| k.rsplit('/').next()).map(str::to_owned))
            .collect()
    }

    #[test]
    fn pages_walk_live_and_deleted_keys_in_name_order() {
        let mut k = keys(Flavor::Any);
        for n in ["b", "A", "c", "d", "e"] {
            create(&mut k, n, json!({"kty": "EC"})).expect("create");
        }
        for n in ["c", "e"] {
            let planned = k.delete(&ctx(), n);
            apply(&mut k, planned).expect("delete");
        }
        let (page, next) = k.list_keys(&ctx(), None, 2);
        assert_eq!(names(&page, |i| i.kid.as_ref()), ["A", "b"]);
        assert_eq!(next.as_deref(), Some("b"));
        let (page, next) = k.list_keys(&ctx(), next.as_deref(), 2);
        assert_eq!(names(&page, |i| i.kid.as_ref()), ["d"]);
        assert_eq!(next, None);
        let (deleted, next) = k.list_deleted(&ctx(), None, 1);
        assert_eq!(names(&deleted, |i| i.kid.as_ref()), ["c"]);
        let (deleted, next) = k.list_deleted(&ctx(), next.as_deref(), 1);
        assert_eq!(names(&deleted, |i| i.kid.as_ref()), ["e"]);
        assert_eq!(next, None);
        assert_eq!(k.list_versions(&ctx(), "a").len(), 1);
        assert!(k.list_versions(&ctx(), "c").is_empty());
    }
}
