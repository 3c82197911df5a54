//! The load generators' common part (`cargo xtask bench`): the command line,
//! the closed loop of `CONCURRENCY` workers, and the JSON line each prints.
//! Shared, by `#[path]`, by our client's generator (`tests/src/bin/bench-client`)
//! and the official Rust crate's (`tests/official-rust/src/bin/bench.rs`);
//! `tests/python/bench_client.py` is the Python twin. Only std, tokio's
//! clock and futures, so both workspaces compile it.
//!
//! ```text
//! GENERATOR [--client NAME] --url URL --ca CA.pem --op OP --key NAME --concurrency N (--seconds S | --count N)
//! ```
//!
//! `--client` picks one of a generator's clients (ours: `ours`, the
//! default, or `floor`, the bare reqwest + serde_json calls); the other
//! generators have one.
//!
//! Prints one JSON object: `ops` (successful calls), `errors`, `wall_s`,
//! `cpu_s` (this process's user+sys time over the measured window, from
//! `/proc/self/stat`), `items` (keys listed, for `list`), `rss_start_kib` and
//! `rss_peak_kib` (`VmRSS` before the window, `VmHWM` after it) and the first
//! error's text. With `--seconds`, every worker makes one untimed call first
//! (the first call's challenge and the pool's connections are not measured);
//! with `--count`, nothing is warmed (the suite counts those exchanges).

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How long the measured window lasts.
#[derive(Clone, Copy, Debug)]
pub enum Amount {
    /// Calls until this much time has passed.
    Seconds(f64),
    /// Exactly this many calls.
    Count(u64),
}

/// The generator's command line.
#[derive(Clone, Debug)]
pub struct Args {
    /// The vault URL.
    pub url: String,
    /// The CA file to trust (PEM).
    pub ca: String,
    /// `get`, `update`, `sign`, `create`, `create-rsa` or `list`.
    pub op: String,
    /// The key the calls use (`create` makes `KEY-<i>`).
    pub key: String,
    /// Workers making calls at once.
    pub concurrency: u64,
    /// The window.
    pub amount: Amount,
    /// `--client`: which of the generator's clients (`None`: its only or
    /// first one).
    pub client: Option<String>,
}

/// Reads the command line.
pub fn parse_args() -> Result<Args, String> {
    let usage = "usage: GENERATOR [--client NAME] --url URL --ca FILE --op OP --key NAME --concurrency N (--seconds S | --count N)";
    let (mut url, mut ca, mut op, mut key) = (None, None, None, None);
    let (mut concurrency, mut amount, mut client) = (1u64, None, None);
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let v = it
            .next()
            .ok_or_else(|| format!("{flag} needs a value\n{usage}"))?;
        let num = |v: &str| v.parse::<f64>().ok().filter(|n| n.is_finite() && *n > 0.0);
        match flag.as_str() {
            "--client" => client = Some(v),
            "--url" => url = Some(v),
            "--ca" => ca = Some(v),
            "--op" => op = Some(v),
            "--key" => key = Some(v),
            "--concurrency" => {
                concurrency = num(&v).ok_or("--concurrency takes a positive number")? as u64
            }
            "--seconds" => {
                amount = Some(Amount::Seconds(num(&v).ok_or("--seconds takes seconds")?))
            }
            "--count" => {
                amount = Some(Amount::Count(
                    num(&v).ok_or("--count takes a number")? as u64
                ))
            }
            _ => return Err(format!("unknown argument {flag:?}\n{usage}")),
        }
    }
    Ok(Args {
        url: url.ok_or(usage)?,
        ca: ca.ok_or(usage)?,
        op: op.ok_or(usage)?,
        key: key.ok_or(usage)?,
        concurrency: concurrency.max(1),
        amount: amount.ok_or(usage)?,
        client,
    })
}

/// This process's user+sys CPU seconds (`/proc/self/stat`, 100 ticks/s).
pub fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command's closing parenthesis: state is the first,
    // utime the 12th and stime the 13th.
    let rest = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

/// A `/proc/self/status` memory line (`VmRSS`, `VmHWM`) in KiB.
pub fn status_kib(field: &str) -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/status").ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// What the window measured.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Successful calls.
    pub ops: u64,
    /// Failed calls.
    pub errors: u64,
    /// Items the calls returned (keys listed).
    pub items: u64,
    /// The window's wall time.
    pub wall: Duration,
    /// The process's CPU time over the window.
    pub cpu_s: Option<f64>,
    /// `VmRSS` before the window.
    pub rss_start_kib: Option<u64>,
    /// `VmHWM` after it.
    pub rss_peak_kib: Option<u64>,
    /// The first failure.
    pub first_error: Option<String>,
}

/// Runs `call(i)` from `concurrency` workers over the window. A call returns
/// how many items it got.
pub async fn drive<F, Fut>(args: &Args, call: F) -> Outcome
where
    F: Fn(u64) -> Fut,
    Fut: std::future::Future<Output = Result<u64, String>>,
{
    let call = &call;
    if matches!(args.amount, Amount::Seconds(_)) {
        futures::future::join_all((0..args.concurrency).map(|w| call(u64::MAX - w))).await;
    }
    let next = AtomicU64::new(0);
    let (ok, errors, items) = (AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0));
    let first_error = Mutex::new(None::<String>);
    let rss_start_kib = status_kib("VmRSS");
    let cpu0 = cpu_seconds();
    let start = Instant::now();
    let worker = || async {
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            match args.amount {
                Amount::Count(n) if i >= n => break,
                Amount::Seconds(s) if start.elapsed().as_secs_f64() >= s => break,
                _ => {}
            }
            match call(i).await {
                Ok(n) => {
                    ok.fetch_add(1, Ordering::Relaxed);
                    items.fetch_add(n, Ordering::Relaxed);
                }
                Err(e) => {
                    errors.fetch_add(1, Ordering::Relaxed);
                    if let Ok(mut f) = first_error.lock() {
                        f.get_or_insert(e);
                    }
                }
            }
        }
    };
    futures::future::join_all((0..args.concurrency).map(|_| worker())).await;
    let wall = start.elapsed();
    let cpu_s = cpu0.zip(cpu_seconds()).map(|(a, b)| b - a);
    Outcome {
        ops: ok.into_inner(),
        errors: errors.into_inner(),
        items: items.into_inner(),
        wall,
        cpu_s,
        rss_start_kib,
        rss_peak_kib: status_kib("VmHWM"),
        first_error: first_error.into_inner().ok().flatten(),
    }
}

fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_else(|| "null".into())
}

/// The JSON line the suite reads.
pub fn json_line(client: &str, args: &Args, o: &Outcome) -> String {
    format!(
        r#"{{"client":{},"op":{},"concurrency":{},"ops":{},"errors":{},"items":{},"wall_s":{:.6},"cpu_s":{},"rss_start_kib":{},"rss_peak_kib":{},"first_error":{}}}"#,
        json_string(client),
        json_string(&args.op),
        args.concurrency,
        o.ops,
        o.errors,
        o.items,
        o.wall.as_secs_f64(),
        opt(o.cpu_s.map(|c| format!("{c:.3}"))),
        opt(o.rss_start_kib),
        opt(o.rss_peak_kib),
        o.first_error
            .as_deref()
            .map(json_string)
            .unwrap_or_else(|| "null".into()),
    )
}
