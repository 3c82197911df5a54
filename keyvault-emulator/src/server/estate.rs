//! Several vaults in one process, each addressed by its host name
//! (`NAME.vault.localhost`, `NAME.managedhsm.localhost`), or one default
//! vault that every host reaches; created and deleted at run time, and
//! kept under `--data-dir` (`vaults.json` lists them, each has its folder).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};

use hyper::StatusCode;
use serde::{Deserialize, Serialize};

use crate::Flavor;
use crate::api_error::ApiError;
use crate::state::{EventLog, Identity, RETENTION_DAYS, Settings, Vault};
use crate::store::Store;
use crate::versions::ApiVersion;

/// A named vault's settings, as `--vault` and the management API give
/// them (absent members take the emulator's defaults).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VaultOptions {
    /// 3 to 24 letters, digits and dashes, starting with a letter.
    pub name: String,
    /// `vault` (default) or `managed-hsm`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flavor: Option<String>,
    /// 7 to 90.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention_days: Option<u32>,
    /// Purge protection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purge_protection: Option<bool>,
    /// The newest api-version the vault recognises.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_api_version: Option<String>,
    /// How long a deletion takes, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_latency_ms: Option<u32>,
    /// How long a recovery takes, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recover_latency_ms: Option<u32>,
    /// How long a purge takes, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purge_latency_ms: Option<u32>,
}

impl std::str::FromStr for VaultOptions {
    type Err = String;

    /// `NAME[,flavor=vault|managed-hsm][,retention-days=N][,purge-protection][,max-api-version=V]`.
    fn from_str(s: &str) -> Result<Self, String> {
        let mut parts = s.split(',');
        let mut o = VaultOptions {
            name: parts.next().unwrap_or("").trim().to_owned(),
            ..Default::default()
        };
        for part in parts {
            match part.trim().split_once('=') {
                Some(("flavor", v)) => o.flavor = Some(v.to_owned()),
                Some(("retention-days", v)) => {
                    o.retention_days = Some(v.parse().map_err(|_| {
                        format!("--vault {s}: retention-days takes 7 to 90, not {v:?}")
                    })?)
                }
                Some(("max-api-version", v)) => o.max_api_version = Some(v.to_owned()),
                Some((k @ ("delete-latency" | "recover-latency" | "purge-latency"), v)) => {
                    let ms =
                        Some(v.parse().map_err(|_| {
                            format!("--vault {s}: {k} takes milliseconds, not {v:?}")
                        })?);
                    match k {
                        "delete-latency" => o.delete_latency_ms = ms,
                        "recover-latency" => o.recover_latency_ms = ms,
                        _ => o.purge_latency_ms = ms,
                    }
                }
                None if part.trim() == "purge-protection" => o.purge_protection = Some(true),
                _ => {
                    return Err(format!(
                        "--vault {s}: unknown setting {part:?}; use flavor=vault|managed-hsm, retention-days=N, purge-protection, max-api-version=V or delete-latency|recover-latency|purge-latency=MS"
                    ));
                }
            }
        }
        Ok(o)
    }
}

/// Checks a vault name as the service does (3 to 24 letters, digits and
/// dashes, starting with a letter, not ending with a dash, no `--`).
pub fn check_vault_name(name: &str) -> Result<(), String> {
    let ok = (3..=24).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && !name.ends_with('-')
        && !name.contains("--")
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "the vault name {name:?} is not valid: 3 to 24 letters, digits and dashes, starting with a letter and not ending with a dash"
        ))
    }
}

impl VaultOptions {
    /// The settings this gives, over `base` (the emulator's own).
    pub fn settings(&self, base: &Settings) -> Result<Settings, String> {
        check_vault_name(&self.name)?;
        let flavor = match self.flavor.as_deref() {
            None | Some("vault") => Flavor::Vault,
            Some("managed-hsm") => Flavor::ManagedHsm,
            Some(other) => {
                return Err(format!(
                    "vault {}: flavor is vault or managed-hsm, not {other:?}",
                    self.name
                ));
            }
        };
        let retention_days = self.retention_days.unwrap_or(base.retention_days);
        if !RETENTION_DAYS.contains(&retention_days) {
            return Err(format!(
                "vault {}: the soft-delete retention is 7 to 90 days, not {retention_days}",
                self.name
            ));
        }
        let max_api_version = match &self.max_api_version {
            None => base.max_api_version,
            Some(v) => ApiVersion::parse(v).ok_or_else(|| {
                format!(
                    "vault {}: max-api-version {v:?} is not a known api-version",
                    self.name
                )
            })?,
        };
        Ok(Settings {
            flavor,
            retention_days,
            purge_protection: self.purge_protection.unwrap_or(base.purge_protection),
            max_api_version,
            latency: crate::state::Latency {
                delete_ms: self.delete_latency_ms.unwrap_or(base.latency.delete_ms),
                recover_ms: self.recover_latency_ms.unwrap_or(base.latency.recover_ms),
                purge_ms: self.purge_latency_ms.unwrap_or(base.latency.purge_ms),
            },
        })
    }
}

/// The host label that names a vault's kind.
fn kind_label(flavor: Flavor) -> &'static str {
    match flavor {
        Flavor::ManagedHsm => "managedhsm",
        _ => "vault",
    }
}

/// Every vault of the emulator.
pub struct Estate {
    /// Without `--vault`: the vault every host that names no other reaches.
    default: Option<Arc<Vault>>,
    /// The named vaults, by lowercased name, with their options.
    named: RwLock<BTreeMap<String, (VaultOptions, Arc<Vault>)>>,
    data_dir: Option<PathBuf>,
    port: u16,
    base: Settings,
    events: Arc<EventLog>,
}

impl Estate {
    /// The vaults of a start: the default one (`default` is its identity)
    /// when `vaults` is empty and no named vault was kept under `data_dir`,
    /// and each named vault.
    pub fn open(
        base: Settings,
        data_dir: Option<&Path>,
        default: Identity,
        vaults: &[VaultOptions],
        port: u16,
        events: Arc<EventLog>,
    ) -> Result<Self, String> {
        let mut kept = match data_dir {
            Some(dir) => read_list(dir)?,
            None => Vec::new(),
        };
        for v in vaults {
            kept.retain(|k| !k.name.eq_ignore_ascii_case(&v.name));
            kept.push(v.clone());
        }
        let default = if vaults.is_empty() {
            let store = match data_dir {
                Some(dir) => Store::sqlite(dir)?,
                None => Store::memory()?,
            };
            Some(Arc::new(Vault::open(store, base, default, events.clone())?))
        } else {
            None
        };
        let estate = Self {
            default,
            named: RwLock::new(BTreeMap::new()),
            data_dir: data_dir.map(Path::to_path_buf),
            port,
            base,
            events,
        };
        for v in kept {
            estate.add(v)?;
        }
        Ok(estate)
    }

    /// Adds a named vault (refused when the name is taken); keeps the list
    /// under the data folder.
    pub fn add(&self, options: VaultOptions) -> Result<Arc<Vault>, String> {
        let settings = options.settings(&self.base)?;
        let lower = options.name.to_ascii_lowercase();
        let mut named = self.named.write().unwrap_or_else(PoisonError::into_inner);
        if named.contains_key(&lower) {
            return Err(format!("a vault named {lower} exists already"));
        }
        let store = match &self.data_dir {
            Some(dir) => Store::sqlite(&dir.join("vaults").join(&lower))?,
            None => Store::memory()?,
        };
        let identity = Identity {
            url: format!(
                "https://{lower}.{}.localhost:{}",
                kind_label(settings.flavor),
                self.port
            ),
            name: lower.clone(),
        };
        let vault = Arc::new(Vault::open(store, settings, identity, self.events.clone())?);
        let options = VaultOptions {
            name: lower.clone(),
            ..options
        };
        named.insert(lower, (options, vault.clone()));
        self.save(&named)?;
        Ok(vault)
    }

    /// Removes a named vault and its keys (its folder under the data
    /// folder too); `false` when there is none of that name.
    pub fn remove(&self, name: &str) -> Result<bool, String> {
        let lower = name.to_ascii_lowercase();
        let mut named = self.named.write().unwrap_or_else(PoisonError::into_inner);
        if named.remove(&lower).is_none() {
            return Ok(false);
        }
        self.save(&named)?;
        if let Some(dir) = &self.data_dir {
            let folder = dir.join("vaults").join(&lower);
            let _ = std::fs::remove_dir_all(folder);
        }
        Ok(true)
    }

    fn save(&self, named: &BTreeMap<String, (VaultOptions, Arc<Vault>)>) -> Result<(), String> {
        let Some(dir) = &self.data_dir else {
            return Ok(());
        };
        let list: Vec<&VaultOptions> = named.values().map(|(o, _)| o).collect();
        let text = serde_json::to_vec_pretty(&list).map_err(|e| e.to_string())?;
        crate::files::write_private(&dir.join("vaults.json"), &text)
    }

    /// The vault a request's `Host` names: a named vault by its first label
    /// and kind (`NAME.vault.…`, `NAME.managedhsm.…`), else the default
    /// vault; a 404 naming the known vaults when there is neither.
    pub fn vault_for(&self, authority: &str) -> Result<Arc<Vault>, ApiError> {
        let host = match authority.rsplit_once(':') {
            Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) && !h.ends_with(']') => h,
            _ => authority,
        }
        .to_ascii_lowercase();
        let mut labels = host.split('.');
        if let (Some(name), Some(kind)) = (labels.next(), labels.next()) {
            let named = self.named.read().unwrap_or_else(PoisonError::into_inner);
            if let Some((_, v)) = named.get(name)
                && kind == kind_label(v.settings.flavor)
            {
                return Ok(v.clone());
            }
        }
        if let Some(d) = &self.default {
            return Ok(d.clone());
        }
        let known: Vec<String> = self
            .all()
            .iter()
            .map(|v| format!("{} ({})", v.name, v.url))
            .collect();
        Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "VaultNotFound",
            format!(
                "No vault answers at the host {host:?}. This emulator's vaults: {}.",
                if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                }
            ),
        ))
    }

    /// Every vault: the default one first, then the named ones by name.
    pub fn all(&self) -> Vec<Arc<Vault>> {
        let mut out: Vec<Arc<Vault>> = self.default.iter().cloned().collect();
        out.extend(
            self.named
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .values()
                .map(|(_, v)| v.clone()),
        );
        out
    }

    /// The named vaults with the options they were made with.
    pub fn named(&self) -> Vec<(VaultOptions, Arc<Vault>)> {
        self.named
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .cloned()
            .collect()
    }

    /// The first vault (the default one, or the first named one).
    pub fn first(&self) -> Option<Arc<Vault>> {
        self.all().into_iter().next()
    }

    /// The vault named `name` (the default vault is `name` too when its
    /// identity says so).
    pub fn by_name(&self, name: &str) -> Option<Arc<Vault>> {
        self.all()
            .into_iter()
            .find(|v| v.name.eq_ignore_ascii_case(name))
    }
}

fn read_list(dir: &Path) -> Result<Vec<VaultOptions>, String> {
    let path = dir.join("vaults.json");
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map_err(|e| format!("{} is not a list of vaults: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(format!("reading {}: {e}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vault_options_parse_from_the_command_line() {
        let o: VaultOptions =
            "prod,flavor=managed-hsm,retention-days=7,purge-protection,max-api-version=7.4"
                .parse()
                .expect("parse");
        assert_eq!(o.name, "prod");
        let s = o.settings(&Settings::default()).expect("settings");
        assert_eq!(s.flavor, Flavor::ManagedHsm);
        assert_eq!((s.retention_days, s.purge_protection), (7, true));
        assert_eq!(s.max_api_version.as_str(), "7.4");
        assert!("x,colour=red".parse::<VaultOptions>().is_err());
        for bad in ["ab", "1abc", "abc-", "a_bc", "a--b"] {
            let o: VaultOptions = bad.parse().expect("parse");
            assert!(o.settings(&Settings::default()).is_err(), "{bad}");
        }
    }
}
