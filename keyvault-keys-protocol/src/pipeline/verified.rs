//! One challenge per vault per process: the challenges verified so far, by
//! vault origin and verification settings.
//!
//! A new client of a vault that another client of this process already
//! verified sends its first request with a token at once, instead of first
//! drawing the 401 challenge with a request without one. What is shared is
//! only what verification established — the scope requested and the tenant
//! named by the challenge —, never a token: each client asks its own
//! credential.
//!
//! An entry is used only for the same origin (scheme, host, effective port)
//! and the same settings that decide what a challenge may say
//! ([`ClientOptions::verify_challenge_resource`],
//! [`ClientOptions::allow_insecure_loopback`]): a scope accepted with
//! verification off is never used by a client that verifies. A 401 with a
//! new challenge to an authorised request still re-challenges (CAE, a vault
//! moved to another tenant), and what it verifies replaces the entry.
//!
//! The .NET SDK keeps verified challenges in a static cache keyed by host
//! and port, whatever the verification settings; Python keeps one per
//! process and probes anyway. The cache holds at most [`CAPACITY`] vaults;
//! the least recently used one is forgotten first.
//!
//! [`ClientOptions::verify_challenge_resource`]: crate::ClientOptions::verify_challenge_resource
//! [`ClientOptions::allow_insecure_loopback`]: crate::ClientOptions::allow_insecure_loopback

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use url::Url;

use crate::options::ClientOptions;

/// The most vaults remembered.
pub(super) const CAPACITY: usize = 256;

/// What an entry is for: the vault's origin and the settings that decide
/// what a challenge may say.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) struct VaultKey {
    /// `scheme://host[:port]`, host lower-case, a default port dropped.
    origin: String,
    verify_challenge_resource: bool,
    allow_insecure_loopback: bool,
}

impl VaultKey {
    /// The key of a vault; `None` for a URL without a tuple origin (no
    /// host), which is never shared.
    pub(super) fn new(vault: &Url, options: &ClientOptions) -> Option<Self> {
        let origin = vault.origin();
        origin.is_tuple().then(|| Self {
            origin: origin.ascii_serialization(),
            verify_challenge_resource: options.verify_challenge_resource,
            allow_insecure_loopback: options.allow_insecure_loopback,
        })
    }
}

/// What verification established: the scope to request and the tenant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Verified {
    pub(super) scope: String,
    pub(super) tenant: Option<String>,
}

/// A map bounded to `capacity` entries that forgets the least recently
/// used one.
#[derive(Debug)]
pub(super) struct Lru {
    capacity: usize,
    clock: u64,
    entries: HashMap<VaultKey, (Verified, u64)>,
}

impl Lru {
    pub(super) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            clock: 0,
            entries: HashMap::new(),
        }
    }

    fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }

    pub(super) fn get(&mut self, key: &VaultKey) -> Option<Verified> {
        let now = self.tick();
        let (verified, used) = self.entries.get_mut(key)?;
        *used = now;
        Some(verified.clone())
    }

    pub(super) fn insert(&mut self, key: VaultKey, verified: Verified) {
        let now = self.tick();
        if !self.entries.contains_key(&key) && self.entries.len() >= self.capacity {
            // O(n) over at most `capacity` entries, only when a new vault
            // is added to a full cache.
            if let Some(oldest) = self
                .entries
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, _)| k.clone())
            {
                self.entries.remove(&oldest);
            }
        }
        self.entries.insert(key, (verified, now));
    }

    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.entries.len()
    }
}

static CACHE: LazyLock<Mutex<Lru>> = LazyLock::new(|| Mutex::new(Lru::new(CAPACITY)));

fn cache() -> std::sync::MutexGuard<'static, Lru> {
    // Nothing can be left half-written by a panic in these short sections.
    CACHE.lock().unwrap_or_else(|e| e.into_inner())
}

/// What an earlier client of this process verified for `key`.
pub(super) fn lookup(key: &VaultKey) -> Option<Verified> {
    cache().get(key)
}

/// Remembers what a client verified for `key`.
pub(super) fn remember(key: VaultKey, verified: Verified) {
    cache().insert(key, verified);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(url: &str, verify: bool) -> VaultKey {
        let options = ClientOptions {
            verify_challenge_resource: verify,
            ..Default::default()
        };
        VaultKey::new(&Url::parse(url).expect("url"), &options).expect("key")
    }

    fn verified(scope: &str) -> Verified {
        Verified {
            scope: scope.to_owned(),
            tenant: Some("t".to_owned()),
        }
    }

    #[test]
    fn keys_are_the_origin_and_the_settings() {
        assert_eq!(
            key("https://V.vault.azure.net:443/", true),
            key("https://v.vault.azure.net", true)
        );
        assert_eq!(
            key("https://v.vault.azure.net/a", true),
            key("https://v.vault.azure.net/b", true),
            "the path is not part of the origin"
        );
        for other in [
            key("https://v.vault.azure.net:8443", true),
            key("https://w.vault.azure.net", true),
            key("http://v.vault.azure.net", true),
            key("https://v.vault.azure.net", false),
        ] {
            assert_ne!(key("https://v.vault.azure.net", true), other);
        }
        let loopback = ClientOptions {
            allow_insecure_loopback: true,
            ..Default::default()
        };
        let url = Url::parse("https://localhost:8443").expect("url");
        assert_ne!(
            VaultKey::new(&url, &loopback),
            VaultKey::new(&url, &ClientOptions::default())
        );
    }

    #[test]
    fn the_cache_is_bounded_and_forgets_the_least_recently_used_vault() {
        let mut lru = Lru::new(3);
        let keys: Vec<_> = (0..5)
            .map(|i| key(&format!("https://v{i}.vault.azure.net"), true))
            .collect();
        for k in &keys[..3] {
            lru.insert(k.clone(), verified("https://vault.azure.net/.default"));
        }
        // v0 is used, so v1 is now the least recently used.
        assert!(lru.get(&keys[0]).is_some());
        lru.insert(
            keys[3].clone(),
            verified("https://vault.azure.net/.default"),
        );
        assert_eq!(lru.len(), 3);
        assert!(lru.get(&keys[1]).is_none(), "the least recently used went");
        assert!(lru.get(&keys[0]).is_some());
        // Updating an entry does not evict another.
        lru.insert(keys[3].clone(), verified("https://other.net/.default"));
        assert_eq!(lru.len(), 3);
        assert_eq!(
            lru.get(&keys[3]).map(|v| v.scope),
            Some("https://other.net/.default".to_owned())
        );
        // Many vaults never grow it past its capacity.
        for i in 0..1000 {
            lru.insert(
                key(&format!("https://x{i}.vault.azure.net"), true),
                verified("s"),
            );
        }
        assert_eq!(lru.len(), 3);
    }
}
