//! The check after the restart: every acknowledged write is there, nothing
//! deleted or purged came back.

use futures::StreamExt as _;
use serde_json::Value;

use super::http::{VaultHttp, counter_of, version_of};
use super::ledger::{KeyLedger, KeyState, Pending};
use super::{KEEP_MESSAGES, WRITERS};

/// What the check found.
#[derive(Clone, Debug, Default)]
pub struct Verdict {
    /// Acknowledged writes whose effect is gone.
    pub lost: usize,
    /// Keys acknowledged as deleted that are live again, or as purged that
    /// exist again (live or deleted).
    pub resurrected: usize,
    /// State nobody asked for (a key deleted without a delete, say).
    pub anomalies: usize,
    /// Keys the check could not read.
    pub unreadable: usize,
    /// The first few findings, word for word.
    pub findings: Vec<String>,
}

impl Verdict {
    fn add(&mut self, other: Verdict) {
        self.lost += other.lost;
        self.resurrected += other.resurrected;
        self.anomalies += other.anomalies;
        self.unreadable += other.unreadable;
        for f in other.findings {
            if self.findings.len() < KEEP_MESSAGES {
                self.findings.push(f);
            }
        }
    }

    /// No lost write, no resurrection, no anomaly, nothing unreadable.
    pub fn clean(&self) -> bool {
        self.lost == 0 && self.resurrected == 0 && self.anomalies == 0 && self.unreadable == 0
    }
}

/// Checks the tag of `version` in `bundle` against the ledger.
pub(super) fn check_tag(key: &KeyLedger, version: &str, bundle: &Value, v: &mut Verdict) {
    let Some(&acked) = key.tags.get(version) else {
        return;
    };
    let seen = counter_of(bundle);
    let in_flight = match &key.pending {
        Some(Pending::Tag { version: pv, value }) if pv == version => Some(*value),
        _ => None,
    };
    if seen != Some(acked) && (in_flight.is_none() || seen != in_flight) {
        v.lost += 1;
        v.findings.push(format!(
            "{}/{version}: counter {seen:?}, acknowledged {acked}{}",
            key.name,
            in_flight
                .map(|n| format!(" (in flight {n})"))
                .unwrap_or_default()
        ));
    }
}

/// Every acknowledged version of a live key exists, with its tag.
pub(super) async fn check_live_versions(http: &VaultHttp, key: &KeyLedger, v: &mut Verdict) {
    for version in &key.versions {
        match http.get(&format!("/keys/{}/{version}", key.name)).await {
            Ok(Some(bundle)) => check_tag(key, version, &bundle, v),
            Ok(None) => {
                v.lost += 1 + usize::from(key.tags.contains_key(version));
                v.findings
                    .push(format!("{}/{version}: acknowledged, missing", key.name));
            }
            Err(e) => {
                v.unreadable += 1;
                v.findings.push(e);
            }
        }
    }
}

/// A deleted key: its newest version is the newest acknowledged one, with its tag.
pub(super) fn check_deleted_bundle(key: &KeyLedger, bundle: &Value, v: &mut Verdict) {
    let newest = version_of(bundle);
    match key.versions.last() {
        Some(want) if newest.as_deref() == Some(want.as_str()) => check_tag(key, want, bundle, v),
        Some(want) => {
            v.lost += 1;
            v.findings.push(format!(
                "{}: deleted, newest version {newest:?}, acknowledged newest {want}",
                key.name
            ));
        }
        None => {}
    }
}

/// Everything acknowledged for `key` is gone.
pub(super) fn all_lost(key: &KeyLedger, what: &str, v: &mut Verdict) {
    v.lost += key.versions.len() + key.tags.len();
    v.findings.push(format!(
        "{}: {what}, but the ledger has {} versions, {} tagged (state {:?}, in flight {:?})",
        key.name,
        key.versions.len(),
        key.tags.len(),
        key.state,
        key.pending
    ));
}

/// Checks one key of the ledger against the (restarted) emulator.
pub async fn check_key(http: &VaultHttp, key: &KeyLedger) -> Verdict {
    let mut v = Verdict::default();
    if key.tainted {
        return v;
    }
    let (live, deleted) = match (
        http.get(&format!("/keys/{}", key.name)).await,
        http.get(&format!("/deletedkeys/{}", key.name)).await,
    ) {
        (Ok(l), Ok(d)) => (l, d),
        (Err(e), _) | (_, Err(e)) => {
            v.unreadable += 1;
            v.findings.push(e);
            return v;
        }
    };
    let pending = key.pending.as_ref();
    match (key.state, live, deleted) {
        (_, Some(_), Some(_)) => {
            v.anomalies += 1;
            v.findings
                .push(format!("{}: both live and deleted", key.name));
        }
        (KeyState::Unborn, _, None) => {}
        (KeyState::Unborn, None, Some(_)) => {
            v.anomalies += 1;
            v.findings.push(format!(
                "{}: never acknowledged, in flight {pending:?}, found deleted",
                key.name
            ));
        }
        (KeyState::Live, Some(_), None) => check_live_versions(http, key, &mut v).await,
        (KeyState::Live, None, Some(bundle)) => {
            if pending == Some(&Pending::Delete) {
                check_deleted_bundle(key, &bundle, &mut v);
            } else {
                v.anomalies += 1;
                v.findings.push(format!(
                    "{}: live in the ledger (in flight {pending:?}), found deleted",
                    key.name
                ));
            }
        }
        (KeyState::Live, None, None) => all_lost(key, "live in the ledger, found nowhere", &mut v),
        (KeyState::Deleted, Some(_), None) => {
            v.resurrected += 1;
            v.findings
                .push(format!("{}: acknowledged deleted, live again", key.name));
        }
        (KeyState::Deleted, None, Some(bundle)) => check_deleted_bundle(key, &bundle, &mut v),
        (KeyState::Deleted, None, None) => {
            if pending != Some(&Pending::Purge) {
                all_lost(key, "acknowledged deleted, found nowhere", &mut v);
            }
        }
        (KeyState::Purged, None, None) => {}
        (KeyState::Purged, live, _) => {
            v.resurrected += 1;
            v.findings.push(format!(
                "{}: acknowledged purged, back {}",
                key.name,
                if live.is_some() { "live" } else { "deleted" }
            ));
        }
    }
    v
}

/// Checks a whole ledger, a few keys at a time.
pub async fn check(http: &VaultHttp, keys: &[KeyLedger]) -> Verdict {
    let mut verdict = Verdict::default();
    let mut results =
        futures::stream::iter(keys.iter().map(|k| check_key(http, k))).buffer_unordered(WRITERS);
    while let Some(v) = results.next().await {
        verdict.add(v);
    }
    verdict
}
