//! A trial's report, the table printed as trials run, and the totals.

use std::path::PathBuf;
use std::time::Duration;

use super::ledger::{Counts, Ledger};
use super::verdict::Verdict;

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
