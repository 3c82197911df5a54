//! Benchmark (not a test): ops/s of the local engine next to the bare
//! aws-lc-rs primitive doing the same work on the same inputs (issue 11,
//! P1), and optionally `openssl speed`.
//!
//! ```text
//! cargo run --release -p keyvault-crypto --example bench -- [--json] [--quick] [--openssl] [--seconds S] [--rounds N] [--filter TEXT]
//! ```
//!
//! - Each case runs engine and bare in interleaved rounds (engine, bare,
//!   bare, engine, ...), each round for a time slice; a side's figure is the
//!   median of its rounds, and the ratio is the median of the per-round
//!   ratios (engine / bare), so a machine that slows down in the middle of a
//!   case moves both sides alike.
//! - `--json` prints one JSON object per line and case:
//!   `{"case":..., "engine_ops_per_s":..., "bare_ops_per_s":..., "ratio":...}`
//!   (plus `"openssl_ops_per_s"` with `--openssl` where openssl has the figure).
//! - `--quick`: short slices and fewer rounds, under 30 s in all.
//! - Before timing, every case's engine and bare closures are run once and
//!   must succeed (a verify must say valid), so a broken path is never timed.

mod cases;
mod openssl;

use std::hint::black_box;
use std::time::{Duration, Instant};

/// One measured operation: the engine and the bare aws-lc-rs code doing the
/// same work. Each closure returns whether the operation succeeded.
pub struct Case {
    /// The case's name (stable: the JSON `case`).
    pub name: String,
    /// The engine's call.
    pub engine: Box<dyn FnMut() -> bool>,
    /// The bare aws-lc-rs call.
    pub bare: Box<dyn FnMut() -> bool>,
    /// The `openssl speed` figure for the same operation, if it has one.
    pub openssl: Option<openssl::Query>,
}

struct Options {
    json: bool,
    quick: bool,
    openssl: bool,
    slice: Duration,
    rounds: usize,
    filter: Option<String>,
}

fn usage(code: i32) -> ! {
    eprintln!(
        "usage: bench [--json] [--quick] [--openssl] [--seconds S (per round and side)] [--rounds N] [--filter TEXT]"
    );
    std::process::exit(code)
}

fn options() -> Options {
    let mut o = Options {
        json: false,
        quick: false,
        openssl: false,
        slice: Duration::from_millis(300),
        rounds: 7,
        filter: None,
    };
    let (mut slice, mut rounds) = (None, None);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--json" => o.json = true,
            "--quick" => o.quick = true,
            "--openssl" => o.openssl = true,
            "--seconds" => slice = args.next().and_then(|s| s.parse::<f64>().ok()),
            "--rounds" => rounds = args.next().and_then(|s| s.parse::<usize>().ok()),
            "--filter" => o.filter = args.next(),
            "-h" | "--help" => usage(0),
            _ => usage(2),
        }
    }
    if o.quick {
        o.slice = Duration::from_millis(45);
        o.rounds = 5;
    }
    if let Some(s) = slice.filter(|s| s.is_finite() && *s > 0.0) {
        o.slice = Duration::from_secs_f64(s);
    }
    if let Some(r) = rounds.filter(|r| *r > 0) {
        o.rounds = r;
    }
    o
}

/// Calls per second of `f` over one time slice (after a short warm-up).
fn rate(slice: Duration, f: &mut dyn FnMut() -> bool) -> f64 {
    for _ in 0..3 {
        black_box(f());
    }
    let start = Instant::now();
    let mut n = 0u64;
    let mut batch = 1u64;
    loop {
        for _ in 0..batch {
            black_box(f());
        }
        n += batch;
        let elapsed = start.elapsed();
        if elapsed >= slice {
            return n as f64 / elapsed.as_secs_f64();
        }
        // Fewer clock reads for fast operations.
        batch = (batch * 2).min(256);
    }
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.len().is_multiple_of(2) {
        (v[m - 1] + v[m]) / 2.0
    } else {
        v[m]
    }
}

/// The figures of one case.
struct Figures {
    engine: f64,
    bare: f64,
    ratio: f64,
}

fn measure(case: &mut Case, o: &Options) -> Figures {
    let (mut engine, mut bare, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..o.rounds {
        // Alternate which side goes first, so neither always runs warmer.
        let (e, b) = if round % 2 == 0 {
            let e = rate(o.slice, &mut case.engine);
            (e, rate(o.slice, &mut case.bare))
        } else {
            let b = rate(o.slice, &mut case.bare);
            (rate(o.slice, &mut case.engine), b)
        };
        engine.push(e);
        bare.push(b);
        ratios.push(e / b);
    }
    Figures {
        engine: median(&mut engine),
        bare: median(&mut bare),
        ratio: median(&mut ratios),
    }
}

fn json_line(name: &str, f: &Figures, openssl: Option<f64>) -> String {
    let mut s = format!(
        "{{\"case\":{},\"engine_ops_per_s\":{:.1},\"bare_ops_per_s\":{:.1},\"ratio\":{:.4}",
        serde_json::Value::from(name),
        f.engine,
        f.bare,
        f.ratio
    );
    if let Some(v) = openssl {
        s.push_str(&format!(",\"openssl_ops_per_s\":{v:.1}"));
    }
    s.push('}');
    s
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let o = options();
    let started = Instant::now();
    let mut cases = cases::all()?;
    if let Some(f) = &o.filter {
        cases.retain(|c| c.name.contains(f.as_str()));
    }
    for c in &mut cases {
        if !(c.engine)() || !(c.bare)() {
            return Err(format!("case {}: the operation failed before timing", c.name).into());
        }
    }
    let openssl_secs = if o.quick { 1 } else { 3 };
    if !o.json {
        println!(
            "local engine vs bare aws-lc-rs{}: {} rounds of {:.2} s per side; ratio = median of per-round engine/bare\n",
            if o.openssl {
                format!(" vs `openssl speed` ({})", openssl::version())
            } else {
                String::new()
            },
            o.rounds,
            o.slice.as_secs_f64()
        );
        println!(
            "{:<34} {:>12} {:>12} {:>6} {:>12}",
            "operation (ops/s)", "engine", "aws-lc-rs", "ratio", "openssl"
        );
    }
    let mut below = Vec::new();
    for c in &mut cases {
        let f = measure(c, &o);
        let ossl = if o.openssl {
            c.openssl.as_ref().and_then(|q| q.run(openssl_secs))
        } else {
            None
        };
        if f.ratio < 0.95 {
            below.push(c.name.clone());
        }
        if o.json {
            println!("{}", json_line(&c.name, &f, ossl));
        } else {
            let ossl = ossl
                .map(|v| format!("{v:>12.0}"))
                .unwrap_or_else(|| format!("{:>12}", "–"));
            println!(
                "{:<34} {:>12.0} {:>12.0} {:>6.2} {ossl}",
                c.name, f.engine, f.bare, f.ratio
            );
        }
    }
    if !o.json {
        println!(
            "\n{} cases in {:.1} s; below the 0.95 goal: {}",
            cases.len(),
            started.elapsed().as_secs_f64(),
            if below.is_empty() {
                "none".to_owned()
            } else {
                below.join(", ")
            }
        );
    }
    Ok(())
}
