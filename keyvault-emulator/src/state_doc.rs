//! The whole state as one versioned JSON document: every vault, its
//! settings, its keys (all versions, attributes, policies and **private
//! key material**) and deleted keys, and the clock's offset. Export, and
//! import all or nothing: a malformed or inconsistent document is refused
//! with a message naming what is wrong, and nothing changes.

use bytes::Bytes;
use keyvault_crypto::b64;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::api_error::{ApiError, ApiResult};
use crate::server::Shared;
use crate::server::estate::VaultOptions;
use crate::state::KeyRecord;

/// The document's `format`.
pub const FORMAT: &str = "keyvault-emulator-state";
/// The document's `version` this emulator writes and reads.
pub const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Document {
    format: String,
    version: u32,
    clock_offset_seconds: i64,
    vaults: Vec<VaultDoc>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct VaultDoc {
    name: String,
    /// The vault every host reaches (without `--vault`), not a named one.
    #[serde(default)]
    default: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    options: Option<VaultOptions>,
    /// The key backups are sealed with (base64url), so backups made before
    /// an export restore after an import.
    backup_key: String,
    keys: Vec<KeyRecord>,
}

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::bad_parameter(message)
}

/// The whole state.
pub fn export(shared: &Shared) -> ApiResult<Value> {
    let named = shared.estate.named();
    let mut vaults = Vec::new();
    for v in shared.estate.all() {
        let options = named
            .iter()
            .find(|(_, n)| std::sync::Arc::ptr_eq(n, &v))
            .map(|(o, _)| o.clone());
        let (mut keys, backup_key) = v.snapshot();
        keys.sort_by(|a, b| {
            a.name
                .to_ascii_lowercase()
                .cmp(&b.name.to_ascii_lowercase())
        });
        vaults.push(VaultDoc {
            name: v.name.clone(),
            default: options.is_none(),
            options,
            backup_key: b64::encode(&backup_key),
            keys,
        });
    }
    let doc = Document {
        format: FORMAT.into(),
        version: VERSION,
        clock_offset_seconds: shared.clock.offset_seconds(),
        vaults,
    };
    serde_json::to_value(&doc).map_err(|e| bad(e.to_string()))
}

/// How many vaults and keys there are (the answer to an import).
pub fn export_summary(shared: &Shared) -> Value {
    let vaults = shared.estate.all();
    let keys: usize = vaults.iter().map(|v| v.snapshot().0.len()).sum();
    json!({"vaults": vaults.len(), "keys": keys})
}

/// Loads a document, all or nothing: every part is checked before anything
/// changes. Named vaults the document lacks are removed, those it names
/// are made; the default vault takes the document's default vault.
pub fn import(shared: &Shared, body: &[u8]) -> ApiResult<()> {
    let doc: Document = serde_json::from_slice(body)
        .map_err(|e| bad(format!("The state document is not valid: {e}")))?;
    if doc.format != FORMAT || doc.version != VERSION {
        return Err(bad(format!(
            "The state document is {} version {}; this emulator reads {FORMAT} version {VERSION}.",
            doc.format, doc.version
        )));
    }
    if doc.clock_offset_seconds < 0 {
        return Err(bad("clockOffsetSeconds: the clock only moves forward."));
    }
    let mut plan = Vec::new();
    let mut names = std::collections::HashSet::new();
    for (i, v) in doc.vaults.into_iter().enumerate() {
        let at = format!("vaults[{i}] ({})", v.name);
        if !names.insert(v.name.to_ascii_lowercase()) {
            return Err(bad(format!("{at}: the name is used twice.")));
        }
        let backup_key: [u8; 32] = b64::decode(&v.backup_key)
            .ok()
            .and_then(|k| k.try_into().ok())
            .ok_or_else(|| bad(format!("{at}: backupKey is not 32 bytes of base64url.")))?;
        let target = if v.default {
            match shared.estate.all().into_iter().next() {
                Some(d)
                    if shared
                        .estate
                        .named()
                        .iter()
                        .all(|(_, n)| !std::sync::Arc::ptr_eq(n, &d)) =>
                {
                    Some(d)
                }
                _ => {
                    return Err(bad(format!(
                        "{at}: this emulator has no default vault (it was started with --vault)."
                    )));
                }
            }
        } else {
            let options = v
                .options
                .clone()
                .ok_or_else(|| bad(format!("{at}: a named vault needs its options.")))?;
            if !options.name.eq_ignore_ascii_case(&v.name) {
                return Err(bad(format!("{at}: options.name differs from name.")));
            }
            options
                .settings(&crate::state::Settings::default())
                .map_err(|e| bad(format!("{at}: {e}")))?;
            None
        };
        plan.push((at, v, backup_key, target));
    }
    // Every key of every vault must fit, checked against a vault with the
    // document's settings before anything changes.
    let scratch_events = std::sync::Arc::new(crate::state::EventLog::default());
    for (at, v, _, target) in &plan {
        let check = |vault: &crate::state::Vault| {
            vault
                .check_candidate(&v.keys)
                .map_err(|e| bad(format!("{at}: {e}")))
        };
        match target {
            Some(d) => check(d)?,
            None => {
                let options = v.options.clone().unwrap_or_default();
                let settings = options
                    .settings(&crate::state::Settings::default())
                    .map_err(|e| bad(format!("{at}: {e}")))?;
                let vault = crate::state::Vault::open(
                    crate::store::Store::memory().map_err(bad)?,
                    settings,
                    crate::state::Identity {
                        name: v.name.clone(),
                        url: String::new(),
                    },
                    scratch_events.clone(),
                )
                .map_err(bad)?;
                check(&vault)?;
            }
        }
    }
    // Apply: the clock, the named vaults (removed, made), then the keys.
    let offset = shared.clock.offset_seconds();
    if doc.clock_offset_seconds > offset {
        shared
            .clock
            .advance(doc.clock_offset_seconds - offset)
            .map_err(bad)?;
    }
    let wanted: Vec<String> = plan
        .iter()
        .filter(|(_, _, _, t)| t.is_none())
        .map(|(_, v, _, _)| v.name.to_ascii_lowercase())
        .collect();
    for (options, _) in shared.estate.named() {
        if !wanted.contains(&options.name) {
            shared.estate.remove(&options.name).map_err(bad)?;
        }
    }
    for (at, v, backup_key, target) in plan {
        let vault = match target {
            Some(d) => d,
            None => {
                let options = v.options.clone().unwrap_or_default();
                match shared.estate.by_name(&options.name) {
                    Some(existing)
                        if shared.estate.named().iter().any(|(o, n)| {
                            *o == options && std::sync::Arc::ptr_eq(n, &existing)
                        }) =>
                    {
                        existing
                    }
                    Some(_) => {
                        shared.estate.remove(&options.name).map_err(bad)?;
                        shared
                            .estate
                            .add(options)
                            .map_err(|e| bad(format!("{at}: {e}")))?
                    }
                    None => shared
                        .estate
                        .add(options)
                        .map_err(|e| bad(format!("{at}: {e}")))?,
                }
            }
        };
        vault.replace_all(v.keys, backup_key)?;
    }
    Ok(())
}

/// Loads a document from a file at start (`--import FILE`).
pub fn import_file(shared: &Shared, path: &std::path::Path) -> Result<(), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    import(shared, &Bytes::from(bytes)).map_err(|e| format!("{}: {}", path.display(), e.message))
}
