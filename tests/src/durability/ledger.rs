//! The ledger: what each writer was told about each of its keys, and a
//! seeded generator for the writers' choices.

use std::collections::BTreeMap;

use super::KEEP_MESSAGES;

/// A small seeded generator (SplitMix64): the same seed gives the same
/// choices on every platform and with every dependency version.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }
}

/// A key's state as the acknowledged writes left it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyState {
    /// Its create was never acknowledged (it was in flight at the kill).
    Unborn,
    /// Created, not deleted.
    Live,
    /// Deleted (soft), not purged.
    Deleted,
    /// Purged.
    Purged,
}

/// A write whose answer had not arrived when the emulator was killed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pending {
    /// Creating the key.
    Create,
    /// Adding a version.
    NewVersion,
    /// Setting `counter` to `value` on `version`.
    Tag {
        /// The version updated.
        version: String,
        /// The counter value sent.
        value: u64,
    },
    /// Deleting the key.
    Delete,
    /// Purging the deleted key.
    Purge,
}

/// What the acknowledged writes say about one key name.
#[derive(Clone, Debug)]
pub struct KeyLedger {
    /// The key's name.
    pub name: String,
    /// Its state after the acknowledged writes.
    pub state: KeyState,
    /// Acknowledged version ids, oldest first.
    pub versions: Vec<String>,
    /// The last acknowledged `counter` tag of each version.
    pub tags: BTreeMap<String, u64>,
    /// The write in flight at the kill, if any.
    pub pending: Option<Pending>,
    /// A write on it was refused or failed before the kill: it is left out
    /// of the check (and counted as an error).
    pub tainted: bool,
}

impl KeyLedger {
    /// A key with no acknowledged write yet.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            state: KeyState::Unborn,
            versions: Vec::new(),
            tags: BTreeMap::new(),
            pending: None,
            tainted: false,
        }
    }
}

/// Acknowledged writes by kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Creates of a new key.
    pub creates: usize,
    /// New versions of an existing key.
    pub versions: usize,
    /// Tag updates.
    pub tags: usize,
    /// Deletes.
    pub deletes: usize,
    /// Purges.
    pub purges: usize,
}

impl Counts {
    /// All acknowledged writes.
    pub fn total(&self) -> usize {
        self.creates + self.versions + self.tags + self.deletes + self.purges
    }

    pub(super) fn add(&mut self, other: &Counts) {
        self.creates += other.creates;
        self.versions += other.versions;
        self.tags += other.tags;
        self.deletes += other.deletes;
        self.purges += other.purges;
    }
}

/// Every write of a trial: the keys, the acknowledged counts, the unknown
/// outcomes and the errors.
#[derive(Clone, Debug, Default)]
pub struct Ledger {
    /// Every key name a writer used.
    pub keys: Vec<KeyLedger>,
    /// Acknowledged writes.
    pub acknowledged: Counts,
    /// Writes in flight at the kill.
    pub unknown: usize,
    /// Writes refused (non-2xx) or failed before the kill.
    pub errors: usize,
    /// The first few error messages.
    pub error_messages: Vec<String>,
}

impl Ledger {
    pub(super) fn error(&mut self, message: String) {
        self.errors += 1;
        if self.error_messages.len() < KEEP_MESSAGES {
            self.error_messages.push(message);
        }
    }

    pub(super) fn merge(&mut self, other: Ledger) {
        self.keys.extend(other.keys);
        self.acknowledged.add(&other.acknowledged);
        self.unknown += other.unknown;
        for m in other.error_messages {
            if self.error_messages.len() < KEEP_MESSAGES {
                self.error_messages.push(m);
            }
        }
        self.errors += other.errors;
    }
}
