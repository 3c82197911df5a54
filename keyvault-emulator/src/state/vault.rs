//! The shared vault: locking, all-or-nothing writes through the store, and
//! the cache of parsed keys.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, RwLock, RwLockReadGuard};

use keyvault_crypto::{KeyOperation, LocalKey};

use super::{Change, Keys, internal};
use crate::Flavor;
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
}

impl Vault {
    pub fn open(store: Store, flavor: Flavor) -> Result<Self, String> {
        let (records, backup_key) = store.load()?;
        Ok(Self {
            keys: RwLock::new(Keys::new(records, flavor, backup_key)),
            writer: Mutex::new(()),
            store,
            cache: Mutex::new(HashMap::new()),
        })
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
        let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let change = plan(&self.read())?;
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
        Ok(change.answer)
    }

    /// The key version for a cryptographic operation, after the checks the
    /// service makes (see [`Keys::check_usable`]), parsed once and cached.
    pub fn usable_key(
        &self,
        name: &str,
        version: &str,
        op: &KeyOperation,
    ) -> ApiResult<(String, Arc<LocalKey>)> {
        let (name_version, version_id, jwk) = {
            let keys = self.read();
            let (record_name, v) = keys.check_usable(name, version, op)?;
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
    use keyvault_keys_protocol::types;
    use std::panic::{AssertUnwindSafe, catch_unwind};

    #[test]
    fn a_panic_during_a_write_or_a_read_leaves_the_vault_usable() {
        let vault = Vault::open(Store::memory().expect("store"), Flavor::Any).expect("vault");
        let ctx = Ctx {
            authority: "vault.localhost".into(),
            api_version: "7.6".into(),
        };
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
