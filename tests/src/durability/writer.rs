//! A writer: a seeded random mix of writes on key names of its own, each
//! entered in the ledger once acknowledged.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::json;

use super::MAX_LIVE_PER_WRITER;
use super::http::{TransportError, VaultHttp, counter_of, version_of};
use super::ledger::{KeyLedger, KeyState, Ledger, Pending, Rng};

/// What one writer does next.
pub(super) enum Choice {
    Create,
    NewVersion(usize),
    Tag(usize),
    Delete(usize),
    Purge(usize),
}

pub(super) fn choose(rng: &mut Rng, keys: &[KeyLedger]) -> Choice {
    let usable = |s: KeyState| {
        keys.iter()
            .enumerate()
            .filter(|(_, k)| !k.tainted && k.state == s)
            .map(|(i, _)| i)
            .collect::<Vec<_>>()
    };
    let live = usable(KeyState::Live);
    let deleted = usable(KeyState::Deleted);
    let pick = |rng: &mut Rng, from: &[usize]| {
        let n = u64::try_from(from.len()).unwrap_or(u64::MAX);
        usize::try_from(rng.below(n))
            .ok()
            .and_then(|i| from.get(i).copied())
    };
    let roll = rng.below(100);
    if live.is_empty() {
        return match pick(rng, &deleted) {
            Some(i) if roll < 30 => Choice::Purge(i),
            _ => Choice::Create,
        };
    }
    if roll < 20 && live.len() < MAX_LIVE_PER_WRITER {
        return Choice::Create;
    }
    if roll >= 88
        && let Some(i) = pick(rng, &deleted)
    {
        return Choice::Purge(i);
    }
    let Some(i) = pick(rng, &live) else {
        return Choice::Create;
    };
    match roll {
        0..45 => Choice::NewVersion(i),
        45..75 => Choice::Tag(i),
        75..88 => Choice::Delete(i),
        _ => Choice::Tag(i),
    }
}

/// One writer: its own names (`w<id>-<n>`), sequential writes until `stop`.
pub(super) async fn writer(
    id: usize,
    http: VaultHttp,
    stop: Arc<AtomicBool>,
    mut rng: Rng,
) -> Ledger {
    use keyvault_keys_protocol::reqwest::Method;
    let mut ledger = Ledger::default();
    let mut counter = 0u64;
    let ec = json!({"kty": "EC", "crv": "P-256"});
    while !stop.load(Ordering::SeqCst) {
        let choice = choose(&mut rng, &ledger.keys);
        let idx = match choice {
            Choice::Create => {
                ledger
                    .keys
                    .push(KeyLedger::new(format!("w{id}-{}", ledger.keys.len())));
                ledger.keys.len() - 1
            }
            Choice::NewVersion(i) | Choice::Tag(i) | Choice::Delete(i) | Choice::Purge(i) => i,
        };
        let Some(key) = ledger.keys.get(idx) else {
            break;
        };
        let name = key.name.clone();
        let (pending, method, path, body) = match choice {
            Choice::Create => (
                Pending::Create,
                Method::POST,
                format!("/keys/{name}/create"),
                Some(ec.clone()),
            ),
            Choice::NewVersion(_) => (
                Pending::NewVersion,
                Method::POST,
                format!("/keys/{name}/create"),
                Some(ec.clone()),
            ),
            Choice::Tag(_) => {
                let Some(version) = key.versions.last().cloned() else {
                    break;
                };
                counter += 1;
                (
                    Pending::Tag {
                        version: version.clone(),
                        value: counter,
                    },
                    Method::PATCH,
                    format!("/keys/{name}/{version}"),
                    Some(json!({"tags": {"counter": counter.to_string()}})),
                )
            }
            Choice::Delete(_) => (
                Pending::Delete,
                Method::DELETE,
                format!("/keys/{name}"),
                None,
            ),
            Choice::Purge(_) => (
                Pending::Purge,
                Method::DELETE,
                format!("/deletedkeys/{name}"),
                None,
            ),
        };
        let answer = http.send(method.clone(), &path, body.as_ref()).await;
        let Some(key) = ledger.keys.get_mut(idx) else {
            break;
        };
        match answer {
            Ok((status, value)) if (200..300).contains(&status) => {
                let mut problem = None;
                match &pending {
                    Pending::Create | Pending::NewVersion => match version_of(&value) {
                        Some(v) => {
                            key.versions.push(v);
                            key.state = KeyState::Live;
                        }
                        None => problem = Some(format!("{method} {path}: no kid in {value}")),
                    },
                    Pending::Tag { version, value: n } => {
                        if version_of(&value).as_deref() != Some(version.as_str())
                            || counter_of(&value) != Some(*n)
                        {
                            problem = Some(format!(
                                "{method} {path}: the answer does not show counter {n}: {value}"
                            ));
                        }
                        key.tags.insert(version.clone(), *n);
                    }
                    Pending::Delete => key.state = KeyState::Deleted,
                    Pending::Purge => key.state = KeyState::Purged,
                }
                match problem {
                    Some(p) => {
                        key.tainted = true;
                        ledger.error(p);
                    }
                    None => {
                        let c = &mut ledger.acknowledged;
                        match pending {
                            Pending::Create => c.creates += 1,
                            Pending::NewVersion => c.versions += 1,
                            Pending::Tag { .. } => c.tags += 1,
                            Pending::Delete => c.deletes += 1,
                            Pending::Purge => c.purges += 1,
                        }
                    }
                }
            }
            Ok((status, value)) => {
                // Refused: its outcome is unclear, so the key leaves the check.
                key.tainted = true;
                key.pending = Some(pending);
                ledger.error(format!("{method} {path}: {status} {value}"));
            }
            Err(TransportError(_)) if stop.load(Ordering::SeqCst) => {
                key.pending = Some(pending);
                ledger.unknown += 1;
                break;
            }
            Err(TransportError(e)) => {
                key.tainted = true;
                key.pending = Some(pending);
                ledger.error(format!("{method} {path} before the kill: {e}"));
            }
        }
    }
    ledger
}
