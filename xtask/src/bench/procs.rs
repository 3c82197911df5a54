//! The processes the benchmark runs: the emulator (or its zero-work twin),
//! whose counters it reads on SIGUSR1, and the load generators, whose JSON
//! line it reads.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::Value;

/// The server's counters (`KEYVAULT_STATS requests=N handshakes=M`).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Stats {
    /// HTTP requests received.
    pub requests: u64,
    /// TLS handshakes completed.
    pub handshakes: u64,
    /// The server process's user+sys CPU seconds.
    pub cpu_s: f64,
}

/// Parses the emulator's `KEYVAULT_STATS` line.
pub fn parse_stats_line(line: &str) -> Option<(u64, u64)> {
    let rest = line.strip_prefix("KEYVAULT_STATS ")?;
    let mut requests = None;
    let mut handshakes = None;
    for field in rest.split_whitespace() {
        match field.split_once('=') {
            Some(("requests", v)) => requests = v.parse().ok(),
            Some(("handshakes", v)) => handshakes = v.parse().ok(),
            _ => {}
        }
    }
    Some((requests?, handshakes?))
}

/// user+sys CPU seconds from a `/proc/PID/stat` text (100 ticks/s).
pub fn parse_proc_stat_cpu(stat: &str) -> Option<f64> {
    let rest = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

/// A `/proc/PID/status` field (`VmRSS`, `VmHWM`) in KiB.
pub fn parse_status_kib(status: &str, field: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// A running emulator or zero-work server.
pub struct Server {
    child: Child,
    lines: mpsc::Receiver<String>,
    /// `KEYVAULT_URL`.
    pub url: String,
    /// `KEYVAULT_CA`.
    pub ca: String,
    /// From spawn to the URL line.
    pub startup: Duration,
}

impl Server {
    /// Starts `bin` on a free port with `extra` arguments (request logs off).
    pub fn start(bin: &Path, extra: &[&str]) -> Result<Self> {
        let started = Instant::now();
        let mut child = Command::new(bin)
            .args(["--listen", "127.0.0.1:0"])
            .args(extra)
            .env("RUST_LOG", "keyvault_emulator=warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let stdout = child.stdout.take().context("no stdout")?;
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(|l| l.ok()) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let (mut url, mut ca) = (None, None);
        while url.is_none() || ca.is_none() {
            let Ok(line) = lines.recv_timeout(Duration::from_secs(600)) else {
                let _ = child.kill();
                let _ = child.wait();
                bail!("{} exited or hung before printing its URL", bin.display());
            };
            if let Some(v) = line.strip_prefix("KEYVAULT_URL=") {
                url = Some(v.to_owned());
            } else if let Some(v) = line.strip_prefix("KEYVAULT_CA=") {
                ca = Some(v.to_owned());
            }
        }
        Ok(Self {
            child,
            lines,
            url: url.unwrap_or_default(),
            ca: ca.unwrap_or_default(),
            startup: started.elapsed(),
        })
    }

    fn proc_file(&self, name: &str) -> Option<String> {
        std::fs::read_to_string(format!("/proc/{}/{name}", self.child.id())).ok()
    }

    /// The server's resident memory now, KiB.
    pub fn rss_kib(&self) -> Option<u64> {
        parse_status_kib(&self.proc_file("status")?, "VmRSS")
    }

    /// The counters and CPU time now (SIGUSR1, then the line it prints).
    pub fn stats(&self) -> Result<Stats> {
        while self.lines.try_recv().is_ok() {}
        let status = Command::new("kill")
            .args(["-USR1", &self.child.id().to_string()])
            .status()
            .context("kill -USR1")?;
        if !status.success() {
            bail!("kill -USR1 failed");
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            let Ok(line) = self.lines.recv_timeout(left) else {
                break;
            };
            if let Some((requests, handshakes)) = parse_stats_line(&line) {
                let cpu_s = self
                    .proc_file("stat")
                    .and_then(|s| parse_proc_stat_cpu(&s))
                    .unwrap_or(0.0);
                return Ok(Stats {
                    requests,
                    handshakes,
                    cpu_s,
                });
            }
        }
        bail!("the server did not print its counters after SIGUSR1")
    }

    /// SIGTERM, then waits.
    pub fn stop(mut self) -> Result<()> {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        self.child.wait().context("waiting for the server")?;
        Ok(())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A load generator: a program and the arguments before the common ones.
#[derive(Clone, Debug)]
pub struct Generator {
    /// The client's short name in the report (`ours`, `official-rust`, `python`).
    pub name: &'static str,
    /// Its name in the chart's legend.
    pub label: &'static str,
    /// The program.
    pub program: PathBuf,
    /// Arguments before `--url …` (the Python script's path).
    pub prefix: Vec<String>,
}

/// The amount of work a generator run does.
#[derive(Clone, Copy, Debug)]
pub enum Amount {
    /// `--seconds S`
    Seconds(f64),
    /// `--count N`
    Count(u64),
}

impl Generator {
    /// The command line for one run (shown in the report).
    pub fn command(
        &self,
        server: &Server,
        op: &str,
        key: &str,
        concurrency: u64,
        amount: Amount,
    ) -> Command {
        let mut c = Command::new(&self.program);
        c.args(&self.prefix)
            .args(["--url", &server.url, "--ca", &server.ca, "--op", op])
            .args(["--key", key, "--concurrency", &concurrency.to_string()]);
        match amount {
            Amount::Seconds(s) => c.args(["--seconds", &format!("{s}")]),
            Amount::Count(n) => c.args(["--count", &n.to_string()]),
        };
        c
    }

    /// Runs one generator and returns its JSON line.
    pub fn run(
        &self,
        server: &Server,
        op: &str,
        key: &str,
        concurrency: u64,
        amount: Amount,
    ) -> Result<Value> {
        let out = self
            .command(server, op, key, concurrency, amount)
            .stderr(Stdio::inherit())
            .output()
            .with_context(|| format!("running the {} generator", self.name))?;
        if !out.status.success() {
            bail!("the {} generator failed ({})", self.name, out.status);
        }
        parse_generator_output(&String::from_utf8_lossy(&out.stdout))
            .with_context(|| format!("the {} generator's output", self.name))
    }
}

/// The generator's JSON object (its last line that parses as one).
pub fn parse_generator_output(stdout: &str) -> Result<Value> {
    stdout
        .lines()
        .rev()
        .filter_map(|l| serde_json::from_str::<Value>(l.trim()).ok())
        .find(|v| v.get("ops").is_some_and(Value::is_u64))
        .context("no JSON line with \"ops\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_line_is_read_and_others_are_not() {
        assert_eq!(
            parse_stats_line("KEYVAULT_STATS requests=12 handshakes=3"),
            Some((12, 3))
        );
        assert_eq!(parse_stats_line("KEYVAULT_STATS requests=12"), None);
        assert_eq!(parse_stats_line("KEYVAULT_URL=https://x"), None);
    }

    #[test]
    fn proc_stat_cpu_counts_user_and_system_ticks() {
        // pid (comm with ) and spaces) state ppid … utime=250 stime=50
        let stat = "42 (a) b) S 1 42 42 0 -1 4194304 100 0 0 0 250 50 0 0 20 0 3 0";
        assert_eq!(parse_proc_stat_cpu(stat), Some(3.0));
        assert_eq!(parse_proc_stat_cpu("garbage"), None);
    }

    #[test]
    fn status_field_in_kib() {
        let status = "Name:\tx\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\n";
        assert_eq!(parse_status_kib(status, "VmRSS"), Some(1024));
        assert_eq!(parse_status_kib(status, "VmHWM"), Some(2048));
        assert_eq!(parse_status_kib(status, "VmSwap"), None);
    }

    #[test]
    fn generator_output_is_its_json_line() {
        let out = "warming up\n{\"ops\":10,\"errors\":0,\"wall_s\":1.0}\n";
        assert_eq!(parse_generator_output(out).unwrap()["ops"], 10);
        assert!(parse_generator_output("{\"x\":1}\nnothing").is_err());
    }
}
