//! The shared vault: locking, all-or-nothing writes through the store, and
//! the cache of parsed keys.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock, RwLockReadGuard};

use keyvault_crypto::{KeyOperation, LocalKey};

use super::records::KeyRecord;
use super::timeline::due_time;
use super::{Change, EventLog, KeyEvent, Keys, Settings, internal};
use crate::api_error::{ApiError, ApiResult};
use crate::store::Store;

/// The shared vault: the current [`Keys`] behind a read-write lock that is
/// held only to read or to swap one record in, a writer lock that orders
/// writes (held while a write plans and commits, never by reads), the store,
/// and a cache of parsed keys.
pub struct Vault {
    keys: RwLock<Keys>,
    writer: Mutex<()>,
    store: Store,
    cache: Mutex<HashMap<String, Arc<LocalKey>>>,
    /// The vault's name (the first label of its host name).
    pub name: String,
    /// The vault's URL (`https://NAME.vault.localhost:PORT`).
    pub url: String,
    /// Its settings (fixed for its life; also in [`Keys`]).
    pub settings: Settings,
    /// Where committed changes publish their events.
    events: Arc<EventLog>,
    /// When anything is next due (see [`Keys::next_due_time`]): a request
    /// runs what is due first only when the clock has passed it.
    next_due: AtomicI64,
}

/// Who a vault is: its name and URL.
#[derive(Clone, Debug)]
pub struct Identity {
    pub name: String,
    pub url: String,
}

impl Vault {
    pub fn open(
        store: Store,
        settings: Settings,
        identity: Identity,
        events: Arc<EventLog>,
    ) -> Result<Self, String> {
        let (records, backup_key) = store.load()?;
        let keys = Keys::new(records, settings, backup_key);
        let next_due = AtomicI64::new(keys.next_due_time());
        Ok(Self {
            keys: RwLock::new(keys),
            writer: Mutex::new(()),
            store,
            cache: Mutex::new(HashMap::new()),
            name: identity.name,
            url: identity.url,
            settings,
            events,
            next_due,
        })
    }

    /// Every record and the backup key, copied (for the state export).
    pub fn snapshot(&self) -> (Vec<KeyRecord>, [u8; 32]) {
        let keys = self.read();
        (keys.keys.values().cloned().collect(), keys.backup_key)
    }

    /// Checks that `records` could be this vault's contents: one record per
    /// name, and every invariant (names, versions, keys that parse).
    pub fn check_candidate(&self, records: &[KeyRecord]) -> Result<(), String> {
        let keys = Keys::new(records.to_vec(), self.settings, [0; 32]);
        if keys.keys.len() != records.len() {
            return Err(
                "two keys have the same name (names compare without regard to case)".into(),
            );
        }
        keys.check_invariants(&mut std::collections::HashSet::new())
    }

    /// Replaces the whole contents (after [`Vault::check_candidate`]): one
    /// store transaction, then the swap.
    pub fn replace_all(&self, records: Vec<KeyRecord>, backup_key: [u8; 32]) -> ApiResult<()> {
        let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        self.store
            .replace_all(&records, &backup_key)
            .map_err(internal)?;
        let keys = Keys::new(records, self.settings, backup_key);
        let due = keys.next_due_time();
        *self.keys.write().unwrap_or_else(PoisonError::into_inner) = keys;
        self.cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
        self.next_due.store(due, Ordering::SeqCst);
        Ok(())
    }

    /// Whether something is due by `now_ms` (a cheap check for every
    /// request).
    pub fn has_due(&self, now_ms: i64) -> bool {
        self.next_due.load(Ordering::SeqCst) <= now_ms
    }

    /// Runs everything due by `now_ms` (completions of long operations,
    /// retention purges, automatic rotations,
    /// expiry notices), each key's in time order, each as one committed
    /// write; their events are published in time order. Key generation uses
    /// `generate` (the caller is on the blocking pool).
    pub fn run_due(
        &self,
        now_ms: i64,
        generate: &mut dyn FnMut(
            &keyvault_crypto::KeySpec,
        ) -> ApiResult<keyvault_crypto::JsonWebKey>,
    ) -> ApiResult<usize> {
        let due = self.read().due_by(now_ms);
        let mut events = Vec::new();
        for lower in &due {
            let (_, mut e) = self.write_quiet(|k| k.plan_due(lower, now_ms, generate))?;
            events.append(&mut e);
        }
        self.next_due
            .store(self.read().next_due_time(), Ordering::SeqCst);
        events.sort_by_key(|e| e.time);
        self.publish(events);
        Ok(due.len())
    }

    fn publish(&self, events: Vec<KeyEvent>) {
        self.events.record(
            events
                .iter()
                .map(|e| e.to_event_grid(&self.name, &self.url))
                .collect(),
        );
    }

    /// The store's counter of commits to fail on purpose.
    pub fn store_failures(&self) -> Arc<std::sync::atomic::AtomicU32> {
        self.store.failures()
    }

    /// The current contents, for reading. A panic elsewhere cannot leave
    /// them half-changed (records are swapped whole), so a poisoned lock is
    /// taken as it is.
    pub fn read(&self) -> RwLockReadGuard<'_, Keys> {
        self.keys.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether a read lock can be taken right now without waiting (no writer
    /// holds or awaits the lock). The request path answers a read on the
    /// async task only then: waiting there would stop the runtime.
    pub fn readable_now(&self) -> bool {
        !matches!(
            self.keys.try_read(),
            Err(std::sync::TryLockError::WouldBlock)
        )
    }

    /// Runs one write, all or nothing: `plan` validates and builds the new
    /// record against the current contents; the store commits it; only then
    /// does it become visible. A refused plan or a failed commit changes
    /// nothing. Writes are ordered by the writer lock; reads go on meanwhile.
    pub fn write<T>(&self, plan: impl FnOnce(&Keys) -> ApiResult<Change<T>>) -> ApiResult<T> {
        let (answer, events) = self.write_quiet(plan)?;
        self.publish(events);
        Ok(answer)
    }

    /// [`Vault::write`], returning the change's events instead of
    /// publishing them.
    fn write_quiet<T>(
        &self,
        plan: impl FnOnce(&Keys) -> ApiResult<Change<T>>,
    ) -> ApiResult<(T, Vec<KeyEvent>)> {
        let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let change = plan(&self.read())?;
        let due = change.record.as_ref().map_or(i64::MAX, due_time);
        match &change.record {
            Some(r) => self.store.put(&change.lower, r),
            None => self.store.delete(&change.lower),
        }
        .map_err(internal)?;
        let old = {
            let mut keys = self.keys.write().unwrap_or_else(PoisonError::into_inner);
            keys.put(change.lower, change.record)
        };
        if let Some(old) = old {
            let live: Vec<String> = self
                .read()
                .keys
                .get(&old.name.to_ascii_lowercase())
                .map(|r| r.versions.iter().map(|v| v.version.clone()).collect())
                .unwrap_or_default();
            let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
            for v in &old.versions {
                if !live.contains(&v.version) {
                    cache.remove(&v.version);
                }
            }
        }
        self.next_due.fetch_min(due, Ordering::SeqCst);
        Ok((change.answer, change.events))
    }

    /// The key version for a cryptographic operation, after the checks the
    /// service makes (see [`Keys::check_usable`]), parsed once and cached.
    pub fn usable_key(
        &self,
        name: &str,
        version: &str,
        op: &KeyOperation,
        now: i64,
    ) -> ApiResult<(String, Arc<LocalKey>)> {
        let (name_version, version_id, jwk) = {
            let keys = self.read();
            let (record_name, v) = keys.check_usable(name, version, op, now)?;
            let id = v.version.clone();
            let cached = self
                .cache
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get(&id)
                .cloned();
            if let Some(k) = cached {
                return Ok((format!("{record_name}/{id}"), k));
            }
            (format!("{record_name}/{id}"), id, v.jwk.clone())
        };
        let local =
            Arc::new(LocalKey::from_jwk(&jwk).map_err(|e| ApiError::bad_parameter(e.to_string()))?);
        self.cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(version_id, local.clone());
        Ok((name_version, local))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Ctx;
    use keyvault_keys_types::types;
    use std::panic::{AssertUnwindSafe, catch_unwind};

    #[test]
    fn a_panic_during_a_write_or_a_read_leaves_the_vault_usable() {
        let vault = Vault::open(
            Store::memory().expect("store"),
            Settings::default(),
            Identity {
                name: "v".into(),
                url: "https://v.vault.localhost".into(),
            },
            Default::default(),
        )
        .expect("vault");
        let ctx = Ctx::new("vault.localhost", "7.6");
        // A panic while planning (writer lock and read guard held) ...
        let planned = catch_unwind(AssertUnwindSafe(|| {
            vault.write(|_| -> ApiResult<Change<()>> { panic!("a bug while planning") })
        }));
        assert!(planned.is_err());
        // ... and while reading.
        let read = catch_unwind(AssertUnwindSafe(|| {
            let _keys = vault.read();
            panic!("a bug while reading")
        }));
        assert!(read.is_err());
        // Writes and reads still work, and see a consistent vault.
        let p: types::KeyCreateParameters =
            serde_json::from_value(serde_json::json!({"kty": "EC"})).expect("params");
        let spec = vault.read().create_spec("k", &p).expect("spec");
        let jwk = keyvault_crypto::generate(&spec).expect("generate");
        vault
            .write(|k| k.create(&ctx, "k", p, &spec, jwk))
            .expect("a write after the panics");
        assert!(vault.read().get(&ctx, "k", "").is_ok());
        let mut seen = std::collections::HashSet::new();
        vault
            .read()
            .check_invariants(&mut seen)
            .expect("invariants");
    }
}
