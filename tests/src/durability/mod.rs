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
//!
//! The parts: [`ledger`] (what the writers were told), `http` (the
//! requests), `writer` (the workload), [`verdict`] (the check after the
//! restart) and [`report`] (the table and totals).

mod http;
pub mod ledger;
pub mod report;
pub mod verdict;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::EmulatorProcess;

pub use http::{TransportError, VaultHttp};
pub use ledger::{Counts, KeyLedger, KeyState, Ledger, Pending, Rng};
pub use report::{Totals, TrialReport, table_header, table_row};
pub use verdict::{Verdict, check, check_key};

/// Concurrent writers per trial.
pub const WRITERS: usize = 8;
/// The api-version the requests name.
pub(super) const API_VERSION: &str = keyvault_keys_protocol::DEFAULT_API_VERSION;
/// The shortest and longest time writers run before the kill.
pub(super) const KILL_AFTER_MS: (u64, u64) = (300, 2000);
/// At most this many live keys per writer (then creates become new versions).
pub(super) const MAX_LIVE_PER_WRITER: usize = 6;
/// How many findings and errors a report keeps word for word.
pub(super) const KEEP_MESSAGES: usize = 20;

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
            tokio::spawn(writer::writer(id, http.clone(), stop.clone(), writer_rng))
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
