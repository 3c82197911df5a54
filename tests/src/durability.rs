//! Crash durability, measured (issue 9): writers, a ledger of acknowledged
//! writes, a SIGKILL at a random moment, a restart on the same data folder,
//! and a check of what survived.
//!
//! One trial:
//!
//! 1. starts the emulator binary with `--data-dir` on a fresh folder;
//! 2. runs [`WRITERS`] concurrent writers, each on key names of its own,
//!    doing a seeded random mix of create (a new key), new version (create
//!    on an existing name), tag update (`PATCH` of the newest acknowledged
//!    version with a `counter` tag), delete and purge (of a deleted key).
//!    A write enters the ledger only once its 2xx answer arrived; the
//!    write each writer had in flight when the kill came is kept as
//!    *unknown* (it may or may not have happened);
//! 3. SIGKILLs the emulator after a random 0.3–2 s;
//! 4. restarts it on the same folder (on a new port: versions are compared
//!    by id, since a `kid` carries host and port) and checks the ledger:
//!    every acknowledged create or new version exists; every acknowledged
//!    tag update is visible (its value, or the value of a later update that
//!    was in flight); no key acknowledged as deleted is live again; no key
//!    acknowledged as purged exists at all, live or deleted.
//!
//! Because names are owned by one writer, each name's writes are ordered
//! and the expected state of every key is exact. The seed fixes the writers'
//! choices and the kill time; which writes were acknowledged before the kill
//! still depends on timing, so a replay (`--seed`) repeats the workload, not
//! the exact interleaving.
//!
//! A deleted key's older versions cannot be read without recovering it (a
//! write), so for keys found deleted the check covers the newest version and
//! its tags.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt as _;
use keyvault_keys_protocol::reqwest;
use serde_json::{Value, json};

use crate::EmulatorProcess;

/// Concurrent writers per trial.
pub const WRITERS: usize = 8;
/// The api-version the requests name.
const API_VERSION: &str = "2025-07-01";
/// The shortest and longest time writers run before the kill.
const KILL_AFTER_MS: (u64, u64) = (300, 2000);
/// At most this many live keys per writer (then creates become new versions).
const MAX_LIVE_PER_WRITER: usize = 6;
/// How many findings and errors a report keeps word for word.
const KEEP_MESSAGES: usize = 20;

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

    fn add(&mut self, other: &Counts) {
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
    fn error(&mut self, message: String) {
        self.errors += 1;
        if self.error_messages.len() < KEEP_MESSAGES {
            self.error_messages.push(message);
        }
    }

    fn merge(&mut self, other: Ledger) {
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

/// A minimal HTTPS client for one emulator process: trusts its CA, sends a
/// bearer token, one request per call (no retries).
#[derive(Clone, Debug)]
pub struct VaultHttp {
    client: reqwest::Client,
    base: String,
}

/// Why a request did not produce an answer.
#[derive(Debug)]
pub struct TransportError(pub String);

impl VaultHttp {
    /// A client for `url` trusting the PEM CA at `ca_path`.
    pub fn new(url: &str, ca_path: &Path) -> Result<Self, String> {
        let pem = std::fs::read(ca_path)
            .map_err(|e| format!("reading the CA {}: {e}", ca_path.display()))?;
        let cert = reqwest::Certificate::from_pem(&pem).map_err(|e| format!("the CA: {e}"))?;
        let client = reqwest::Client::builder()
            .tls_certs_only([cert])
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(15))
            .build()
            .map_err(|e| format!("building the HTTP client: {e}"))?;
        Ok(Self {
            client,
            base: url.trim_end_matches('/').to_owned(),
        })
    }

    /// Sends one request to `path` (which starts with `/`) and returns the
    /// status and the JSON body (`Null` when empty or not JSON).
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(u16, Value), TransportError> {
        let url = format!("{}{path}?api-version={API_VERSION}", self.base);
        let mut req = self
            .client
            .request(method, url)
            .header("authorization", "Bearer durability-harness");
        if let Some(b) = body {
            req = req
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        let resp = req
            .send()
            .await
            .map_err(|e| TransportError(error_chain(&e)))?;
        let status = resp.status().as_u16();
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| TransportError(error_chain(&e)))?;
        let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Ok((status, value))
    }

    /// `GET path`: `Some(body)` on 200, `None` on 404, an error otherwise.
    pub async fn get(&self, path: &str) -> Result<Option<Value>, String> {
        match self.send(reqwest::Method::GET, path, None).await {
            Ok((200, v)) => Ok(Some(v)),
            Ok((404, _)) => Ok(None),
            Ok((s, v)) => Err(format!("GET {path}: {s} {v}")),
            Err(TransportError(e)) => Err(format!("GET {path}: {e}")),
        }
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s
}

/// The version id at the end of a bundle's `key.kid`.
fn version_of(bundle: &Value) -> Option<String> {
    bundle
        .pointer("/key/kid")
        .and_then(Value::as_str)
        .and_then(|kid| kid.rsplit('/').next())
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// The `counter` tag of a bundle.
fn counter_of(bundle: &Value) -> Option<u64> {
    bundle
        .pointer("/tags/counter")
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
}

/// What one writer does next.
enum Choice {
    Create,
    NewVersion(usize),
    Tag(usize),
    Delete(usize),
    Purge(usize),
}

fn choose(rng: &mut Rng, keys: &[KeyLedger]) -> Choice {
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
async fn writer(id: usize, http: VaultHttp, stop: Arc<AtomicBool>, mut rng: Rng) -> Ledger {
    use reqwest::Method;
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
fn check_tag(key: &KeyLedger, version: &str, bundle: &Value, v: &mut Verdict) {
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
async fn check_live_versions(http: &VaultHttp, key: &KeyLedger, v: &mut Verdict) {
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
fn check_deleted_bundle(key: &KeyLedger, bundle: &Value, v: &mut Verdict) {
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
fn all_lost(key: &KeyLedger, what: &str, v: &mut Verdict) {
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

/// What one trial did and found.
#[derive(Clone, Debug)]
pub struct TrialReport {
    /// The trial's seed (`--seed` replays it as the first trial).
    pub seed: u64,
    /// How long the writers ran before the SIGKILL.
    pub kill_after: Duration,
    /// The ledger.
    pub ledger: Ledger,
    /// The check after the restart.
    pub verdict: Verdict,
    /// How long the trial took.
    pub elapsed: Duration,
    /// The trial's folder, kept when the trial was not clean.
    pub kept: Option<PathBuf>,
}

impl TrialReport {
    /// No lost write, no resurrection, no anomaly, no error.
    pub fn clean(&self) -> bool {
        self.verdict.clean() && self.ledger.errors == 0
    }
}

fn trial_dir(seed: u64) -> Result<PathBuf, String> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let dir = std::env::temp_dir().join(format!(
        "keyvault-durability-{}-{seed:016x}-{nanos}",
        std::process::id()
    ));
    std::fs::create_dir(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    Ok(dir)
}

async fn start(data: &Path, ca: &Path) -> Result<EmulatorProcess, String> {
    let (data, ca) = (data.display().to_string(), ca.display().to_string());
    tokio::task::spawn_blocking(move || {
        EmulatorProcess::start(&["--data-dir", &data, "--ca-out", &ca])
    })
    .await
    .map_err(|e| format!("starting the emulator: {e}"))?
}

/// Runs one trial with `seed` (the emulator binary as
/// [`crate::emulator_binary`] finds it).
pub async fn run_trial(seed: u64) -> Result<TrialReport, String> {
    let started = Instant::now();
    let dir = trial_dir(seed)?;
    let data = dir.join("data");
    let mut rng = Rng::new(seed);
    let kill_after =
        Duration::from_millis(KILL_AFTER_MS.0 + rng.below(KILL_AFTER_MS.1 - KILL_AFTER_MS.0 + 1));

    let emulator = start(&data, &dir.join("ca-before.pem")).await?;
    let http = VaultHttp::new(&emulator.url, Path::new(&emulator.ca))?;
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..WRITERS)
        .map(|id| {
            let writer_rng = Rng::new(rng.next_u64());
            tokio::spawn(writer(id, http.clone(), stop.clone(), writer_rng))
        })
        .collect();
    tokio::time::sleep(kill_after).await;
    // Writes failing from here on were (or may have been) cut by the kill.
    stop.store(true, Ordering::SeqCst);
    tokio::task::spawn_blocking(move || emulator.kill())
        .await
        .map_err(|e| format!("killing the emulator: {e}"))??;
    let mut ledger = Ledger::default();
    for w in writers {
        match tokio::time::timeout(Duration::from_secs(30), w).await {
            Ok(Ok(l)) => ledger.merge(l),
            Ok(Err(e)) => return Err(format!("a writer failed: {e}")),
            Err(_) => return Err("a writer did not stop within 30 s of the kill".into()),
        }
    }
    drop(http);

    let emulator = start(&data, &dir.join("ca-after.pem")).await.map_err(|e| {
        format!(
            "restarting on {} after the kill: {e} (folder kept)",
            data.display()
        )
    })?;
    let http = VaultHttp::new(&emulator.url, Path::new(&emulator.ca))?;
    let verdict = check(&http, &ledger.keys).await;
    drop(http);
    let stopped = tokio::task::spawn_blocking(move || emulator.terminate())
        .await
        .map_err(|e| format!("stopping the emulator: {e}"))??;
    if !stopped.success() {
        return Err(format!(
            "the restarted emulator did not stop cleanly: {stopped}"
        ));
    }
    let mut report = TrialReport {
        seed,
        kill_after,
        ledger,
        verdict,
        elapsed: started.elapsed(),
        kept: None,
    };
    if report.clean() {
        let _ = std::fs::remove_dir_all(&dir);
    } else {
        report.kept = Some(dir);
    }
    Ok(report)
}

/// The seed of trial `i` when the run's seed is `seed`: `seed + i`, so
/// `--seed <a trial's seed> --trials 1` replays that trial.
pub fn trial_seed(seed: u64, i: usize) -> u64 {
    seed.wrapping_add(u64::try_from(i).unwrap_or(u64::MAX))
}

/// A seed from the clock and the process id.
pub fn fresh_seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let mut rng = Rng::new((nanos as u64) ^ (u64::from(std::process::id()) << 32));
    rng.next_u64()
}

/// The table's header line.
pub fn table_header() -> String {
    format!(
        "{:>5} {:>20} {:>6} {:>6} {:>6} {:>6} {:>6} {:>6} {:>6} {:>5} {:>5} {:>5} {:>5} {:>5} {:>7}",
        "trial",
        "seed",
        "killms",
        "acked",
        "create",
        "vers",
        "tag",
        "delete",
        "purge",
        "unkn",
        "lost",
        "resur",
        "anom",
        "err",
        "secs"
    )
}

/// One line of the table.
pub fn table_row(label: &str, r: &TrialReport) -> String {
    let a = &r.ledger.acknowledged;
    format!(
        "{:>5} {:>20} {:>6} {:>6} {:>6} {:>6} {:>6} {:>6} {:>6} {:>5} {:>5} {:>5} {:>5} {:>5} {:>7.1}",
        label,
        r.seed,
        r.kill_after.as_millis(),
        a.total(),
        a.creates,
        a.versions,
        a.tags,
        a.deletes,
        a.purges,
        r.ledger.unknown,
        r.verdict.lost,
        r.verdict.resurrected,
        r.verdict.anomalies + r.verdict.unreadable,
        r.ledger.errors,
        r.elapsed.as_secs_f64()
    )
}

/// Totals over several trials.
#[derive(Clone, Debug, Default)]
pub struct Totals {
    /// Trials run (including failed ones).
    pub trials: usize,
    /// Trials that could not run to the end.
    pub failed_trials: usize,
    /// Acknowledged writes.
    pub acknowledged: Counts,
    /// In flight at the kill.
    pub unknown: usize,
    /// Lost acknowledged writes.
    pub lost: usize,
    /// Resurrected deletes and purges.
    pub resurrected: usize,
    /// Anomalies and unreadable keys.
    pub anomalies: usize,
    /// Writes refused or failed before the kill.
    pub errors: usize,
}

impl Totals {
    /// Adds one trial.
    pub fn add(&mut self, r: &TrialReport) {
        self.trials += 1;
        self.acknowledged.add(&r.ledger.acknowledged);
        self.unknown += r.ledger.unknown;
        self.lost += r.verdict.lost;
        self.resurrected += r.verdict.resurrected;
        self.anomalies += r.verdict.anomalies + r.verdict.unreadable;
        self.errors += r.ledger.errors;
    }

    /// Every trial ran; nothing lost, resurrected, anomalous or refused.
    pub fn clean(&self) -> bool {
        self.failed_trials == 0
            && self.lost == 0
            && self.resurrected == 0
            && self.anomalies == 0
            && self.errors == 0
    }

    /// The totals line of the table.
    pub fn row(&self) -> String {
        let a = &self.acknowledged;
        format!(
            "{:>5} {:>20} {:>6} {:>6} {:>6} {:>6} {:>6} {:>6} {:>6} {:>5} {:>5} {:>5} {:>5} {:>5}",
            "total",
            format!("{} trials", self.trials),
            "",
            a.total(),
            a.creates,
            a.versions,
            a.tags,
            a.deletes,
            a.purges,
            self.unknown,
            self.lost,
            self.resurrected,
            self.anomalies,
            self.errors
        )
    }
}

/// Runs `trials` trials from `seed`, printing the table to stdout as it
/// goes (and each unclean trial's findings), and returns the totals and the
/// reports of the trials that ran to the end.
pub fn run(trials: usize, seed: u64) -> Result<(Totals, Vec<TrialReport>), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("starting tokio: {e}"))?;
    println!(
        "durability: {trials} trials, {WRITERS} writers, kill after {}-{} ms, seed {seed}",
        KILL_AFTER_MS.0, KILL_AFTER_MS.1
    );
    println!("{}", table_header());
    let mut totals = Totals::default();
    let mut reports = Vec::new();
    for i in 0..trials {
        let s = trial_seed(seed, i);
        match runtime.block_on(run_trial(s)) {
            Ok(r) => {
                println!("{}", table_row(&(i + 1).to_string(), &r));
                if !r.clean() {
                    for m in r.ledger.error_messages.iter().chain(&r.verdict.findings) {
                        println!("      {m}");
                    }
                    if let Some(d) = &r.kept {
                        println!("      folder kept: {}", d.display());
                    }
                }
                totals.add(&r);
                reports.push(r);
            }
            Err(e) => {
                totals.trials += 1;
                totals.failed_trials += 1;
                println!("{:>5} {s:>20} trial failed: {e}", i + 1);
            }
        }
    }
    println!("{}", totals.row());
    if totals.failed_trials > 0 {
        println!("{} trials could not run to the end", totals.failed_trials);
    }
    Ok((totals, reports))
}
