//! A vault's settings: which service it is, how long deleted keys stay
//! recoverable, purge protection, and the newest api-version it knows.

use keyvault_keys_types::enums::DeletionRecoveryLevel;

use crate::Flavor;
use crate::versions::ApiVersion;

/// The shortest and longest soft-delete retention a vault can have, in days.
pub const RETENTION_DAYS: std::ops::RangeInclusive<u32> = 7..=90;

/// How a vault is configured.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    pub flavor: Flavor,
    /// Days a deleted key stays recoverable (7–90).
    pub retention_days: u32,
    /// A deleted key cannot be purged; the service purges it when its
    /// retention ends.
    pub purge_protection: bool,
    /// The newest api-version the vault recognises.
    pub max_api_version: ApiVersion,
    /// How long a deletion, a recovery and a purge take, in milliseconds
    /// (0: at once). Until then the key is in neither list.
    pub latency: Latency,
}

/// How long the long operations take, in milliseconds (0: at once).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Latency {
    /// A deletion.
    pub delete_ms: u32,
    /// A recovery.
    pub recover_ms: u32,
    /// A purge.
    pub purge_ms: u32,
}

impl std::str::FromStr for Latency {
    type Err = String;

    /// `delete=MS,recover=MS,purge=MS` (any of them).
    fn from_str(s: &str) -> Result<Self, String> {
        let mut l = Latency::default();
        for part in s.split(',') {
            let (k, v) = part.split_once('=').ok_or_else(|| {
                format!("--operation-latency takes delete=MS,recover=MS,purge=MS, not {s:?}")
            })?;
            let ms: u32 = v.parse().ok().filter(|ms| *ms <= 600_000).ok_or_else(|| {
                format!("--operation-latency: {k} takes 0 to 600000 ms, not {v:?}")
            })?;
            match k {
                "delete" => l.delete_ms = ms,
                "recover" => l.recover_ms = ms,
                "purge" => l.purge_ms = ms,
                _ => {
                    return Err(format!(
                        "--operation-latency: {k:?} is not delete, recover or purge"
                    ));
                }
            }
        }
        Ok(l)
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            flavor: Flavor::Any,
            retention_days: 90,
            purge_protection: false,
            max_api_version: ApiVersion::newest(),
            latency: Latency::default(),
        }
    }
}

impl Settings {
    /// The recovery level the service reports for this combination: a
    /// retention shorter than 90 days is "Customized", and purge protection
    /// drops "+Purgeable".
    pub fn recovery_level(&self) -> DeletionRecoveryLevel {
        match (self.retention_days < 90, self.purge_protection) {
            (false, false) => DeletionRecoveryLevel::RecoverablePurgeable,
            (true, false) => DeletionRecoveryLevel::CustomizedRecoverablePurgeable,
            (false, true) => DeletionRecoveryLevel::Recoverable,
            (true, true) => DeletionRecoveryLevel::CustomizedRecoverable,
        }
    }

    /// Seconds a deleted key stays recoverable.
    pub fn retention_seconds(&self) -> i64 {
        i64::from(self.retention_days) * 86_400
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_recovery_level_follows_retention_and_purge_protection() {
        let level = |retention_days, purge_protection| {
            Settings {
                retention_days,
                purge_protection,
                ..Default::default()
            }
            .recovery_level()
            .as_str()
            .to_owned()
        };
        assert_eq!(level(90, false), "Recoverable+Purgeable");
        assert_eq!(level(7, false), "CustomizedRecoverable+Purgeable");
        assert_eq!(level(90, true), "Recoverable");
        assert_eq!(level(30, true), "CustomizedRecoverable");
    }
}
