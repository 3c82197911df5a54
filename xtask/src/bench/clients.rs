//! P2, client round trips (our `KeyClient`, the official Rust crate and the
//! official Python aio client against one release-built emulator process),
//! and P3, the emulator's rate against a zero-work server on the same stack
//! and its remote RS256 sign rate against the engine's.

use anyhow::{Result, bail};
use serde_json::{Value, json};

use super::procs::{Amount, Server, Stats};
use super::report::{div, num, ratio, table};
use super::svg::Series;
use super::{Ctx, Part};

const EC_KEY: &str = "bench-ec-0";
const RSA_KEY: &str = "bench-rsa";

/// One timed run with the server's counters around it.
fn measured(
    ctx: &mut Ctx,
    generator: usize,
    server: &Server,
    op: &str,
    key: &str,
    concurrency: u64,
    amount: Amount,
) -> Result<Value> {
    let before = server.stats()?;
    let mut r = ctx.run_generator(generator, server, op, key, concurrency, amount)?;
    let after = server.stats()?;
    let f = |k: &str| r[k].as_f64();
    let ops = f("ops");
    let rps = div(ops, f("wall_s"));
    let cpu_us = div(f("cpu_s").map(|c| c * 1e6), ops.filter(|o| *o > 0.0));
    let requests = after.requests.saturating_sub(before.requests);
    let server_cpu_us = div(
        Some((after.cpu_s - before.cpu_s) * 1e6),
        Some(requests as f64).filter(|r| *r > 0.0),
    );
    if let Some(o) = r.as_object_mut() {
        o.insert("client".into(), json!(ctx.generators[generator].name));
        o.insert("requests_per_s".into(), json!(rps));
        o.insert("client_cpu_us_per_op".into(), json!(cpu_us));
        o.insert("server_requests".into(), json!(requests));
        o.insert(
            "server_handshakes".into(),
            json!(after.handshakes.saturating_sub(before.handshakes)),
        );
        o.insert("server_cpu_us_per_request".into(), json!(server_cpu_us));
    }
    Ok(r)
}

/// Creates the keys the runs use (with our client; not measured).
fn set_up(ctx: &mut Ctx, server: &Server) -> Result<()> {
    for (op, key) in [("create", "bench-ec"), ("create-rsa", RSA_KEY)] {
        let r = ctx.run_generator(0, server, op, key, 1, Amount::Count(1))?;
        if r["ops"] != 1 {
            bail!(
                "creating the benchmark's {op} key failed: {}",
                r["first_error"]
            );
        }
    }
    Ok(())
}

/// HTTP exchanges (and handshakes) at the server for 1 call and for 10.
fn exchanges(ctx: &mut Ctx, generator: usize, server: &Server) -> Result<Value> {
    let count = |ctx: &mut Ctx, n: u64| -> Result<(Stats, Value)> {
        let before = server.stats()?;
        let r = ctx.run_generator(generator, server, "get", EC_KEY, 1, Amount::Count(n))?;
        let after = server.stats()?;
        Ok((
            Stats {
                requests: after.requests - before.requests,
                handshakes: after.handshakes - before.handshakes,
                cpu_s: 0.0,
            },
            r,
        ))
    };
    let (one, r1) = count(ctx, 1)?;
    let (ten, r10) = count(ctx, 10)?;
    let later = (ten.requests as f64 - one.requests as f64) / 9.0;
    Ok(json!({
        "client": ctx.generators[generator].name,
        "first_call_exchanges": one.requests,
        "later_call_exchanges": later,
        "handshakes_for_1_call": one.handshakes,
        "handshakes_for_10_calls": ten.handshakes,
        "errors": r1["errors"].as_u64().unwrap_or(0) + r10["errors"].as_u64().unwrap_or(0),
    }))
}

/// The median of `a` (the upper one of an even count), ignoring missing figures.
fn median(mut a: Vec<f64>) -> Option<f64> {
    a.retain(|v| v.is_finite());
    a.sort_by(f64::total_cmp);
    a.get(a.len() / 2).copied()
}

/// Several runs of one client at one op and concurrency as one: the run
/// with the median client CPU per operation, its requests/s replaced by
/// the median requests/s, and every run's two figures kept in `repeats`.
fn median_run(tries: Vec<Value>) -> Option<Value> {
    if tries.len() <= 1 {
        return tries.into_iter().next();
    }
    let figure = |k: &str| -> Vec<f64> { tries.iter().filter_map(|r| r[k].as_f64()).collect() };
    let rps = median(figure("requests_per_s"));
    let cpu = median(figure("client_cpu_us_per_op"));
    let repeats: Vec<Value> = tries
        .iter()
        .map(|r| json!({"requests_per_s": r["requests_per_s"], "client_cpu_us_per_op": r["client_cpu_us_per_op"]}))
        .collect();
    let mut chosen = tries
        .iter()
        .find(|r| cpu.is_some() && r["client_cpu_us_per_op"].as_f64() == cpu)
        .unwrap_or(&tries[0])
        .clone();
    if let Some(o) = chosen.as_object_mut() {
        o.insert("requests_per_s".into(), json!(rps));
        o.insert("repeats".into(), json!(repeats));
    }
    Some(chosen)
}

fn find<'a>(runs: &'a [Value], client: &str, op: &str, c: u64) -> Option<&'a Value> {
    runs.iter()
        .find(|r| r["client"] == client && r["op"] == op && r["concurrency"] == c)
}

/// The goal ratios at concurrency 32 (ours over the official Rust crate).
pub fn goals_at_32(runs: &[Value]) -> (Option<f64>, Option<f64>) {
    let get = |client: &str, k: &str| find(runs, client, "get", 32).and_then(|r| r[k].as_f64());
    (
        div(
            get("ours", "requests_per_s"),
            get("official-rust", "requests_per_s"),
        ),
        div(
            get("ours", "client_cpu_us_per_op"),
            get("official-rust", "client_cpu_us_per_op"),
        ),
    )
}

/// Ours against the floor for one op at one concurrency: requests/s and
/// client CPU per call of each, and the ratios ours/floor.
#[derive(Clone, Debug, PartialEq)]
pub struct FloorRow {
    /// `get` or `update`.
    pub op: String,
    /// Workers.
    pub concurrency: u64,
    /// Our requests/s.
    pub ours_rps: Option<f64>,
    /// The floor's requests/s.
    pub floor_rps: Option<f64>,
    /// Our client CPU µs per call.
    pub ours_cpu: Option<f64>,
    /// The floor's client CPU µs per call.
    pub floor_cpu: Option<f64>,
}

impl FloorRow {
    /// Ours/floor throughput (goal ≥ 0.9).
    pub fn throughput_ratio(&self) -> Option<f64> {
        div(self.ours_rps, self.floor_rps)
    }
    /// Ours/floor client CPU per call (goal ≤ 1.2).
    pub fn cpu_ratio(&self) -> Option<f64> {
        div(self.ours_cpu, self.floor_cpu)
    }
    /// Both goals met (`None` when a figure is missing).
    pub fn goals_met(&self) -> Option<bool> {
        Some(
            self.throughput_ratio()? >= FLOOR_THROUGHPUT_GOAL
                && self.cpu_ratio()? <= FLOOR_CPU_GOAL,
        )
    }
}

/// Ours/floor throughput goal (at least).
pub const FLOOR_THROUGHPUT_GOAL: f64 = 0.9;
/// Ours/floor client CPU per call goal (at most).
pub const FLOOR_CPU_GOAL: f64 = 1.2;

/// Our runs paired with the floor's, in the order of our runs.
pub fn floor_rows(runs: &[Value]) -> Vec<FloorRow> {
    runs.iter()
        .filter(|r| r["client"] == "ours")
        .filter_map(|ours| {
            let op = ours["op"].as_str()?;
            let c = ours["concurrency"].as_u64()?;
            let floor = find(runs, "floor", op, c)?;
            Some(FloorRow {
                op: op.to_owned(),
                concurrency: c,
                ours_rps: ours["requests_per_s"].as_f64(),
                floor_rps: floor["requests_per_s"].as_f64(),
                ours_cpu: ours["client_cpu_us_per_op"].as_f64(),
                floor_cpu: floor["client_cpu_us_per_op"].as_f64(),
            })
        })
        .collect()
}

/// The floor's table and its goals line (empty without floor runs).
fn floor_section(rows: &[FloorRow]) -> String {
    if rows.is_empty() {
        return String::new();
    }
    let mut md = format!(
        "\nOurs against the floor (the same call as a bare reqwest request with a bearer header, its body parsed with serde_json, from the same load generator; goals at concurrency 1 and 32: throughput ours/floor ≥ {FLOOR_THROUGHPUT_GOAL}, client CPU per call ours/floor ≤ {FLOOR_CPU_GOAL}):\n\n"
    );
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let goal = if r.concurrency == 1 || r.concurrency == 32 {
                match r.goals_met() {
                    Some(true) => "met",
                    Some(false) => "not met",
                    None => "n/a",
                }
            } else {
                ""
            };
            vec![
                r.op.clone(),
                r.concurrency.to_string(),
                num(r.ours_rps),
                num(r.floor_rps),
                ratio(r.throughput_ratio()),
                num(r.ours_cpu),
                num(r.floor_cpu),
                ratio(r.cpu_ratio()),
                goal.to_owned(),
            ]
        })
        .collect();
    md.push_str(&table(
        &[
            "op",
            "concurrency",
            "ours requests/s",
            "floor requests/s",
            "throughput ours/floor",
            "ours CPU µs/op",
            "floor CPU µs/op",
            "CPU ours/floor",
            "goals (1, 32)",
        ],
        &cells,
    ));
    md
}

/// Runs P2; also returns the chart's series.
pub fn run_p2(ctx: &mut Ctx) -> Result<(Part, Vec<Series>)> {
    let server = Server::start(&ctx.emulator.clone(), &[])?;
    set_up(ctx, &server)?;
    let mut exch = Vec::new();
    for g in 0..ctx.generators.len() {
        // The floor sends its token at once: it has no challenge to count.
        if ctx.generators[g].name != "floor" {
            exch.push(exchanges(ctx, g, &server)?);
        }
    }
    let concurrencies = [1u64, 8, 32, 128];
    let secs = ctx.seconds;
    let mut runs = Vec::new();
    for op in ["get", "update"] {
        for c in concurrencies {
            if ctx.quick && op == "update" && c != 1 && c != 32 {
                continue;
            }
            // With --repeat, the clients take turns, so that a busy
            // moment of the machine is shared out.
            let mut tries: Vec<Vec<Value>> = vec![Vec::new(); ctx.generators.len()];
            for _ in 0..ctx.repeat {
                for (g, t) in tries.iter_mut().enumerate() {
                    t.push(measured(
                        ctx,
                        g,
                        &server,
                        op,
                        EC_KEY,
                        c,
                        Amount::Seconds(secs),
                    )?);
                }
            }
            runs.extend(tries.into_iter().filter_map(median_run));
        }
    }
    server.stop()?;
    let (tput, cpu) = goals_at_32(&runs);
    let floor = floor_rows(&runs);
    let mut md = format!(
        "One release-built emulator process (request logs off); each run {secs} s after one untimed call per worker{}; client CPU is the client process's user+sys time over the window; {} the emulator's counters.\n\nGoals at concurrency 32 (get_key): ours/official-Rust throughput **{}** (goal ≥ 1.5), ours/official-Rust client CPU per operation **{}** (goal ≤ 0.5).\n\n",
        if ctx.repeat > 1 {
            format!(
                "; each figure the median of {} runs, the clients taking turns",
                ctx.repeat
            )
        } else {
            String::new()
        },
        "handshakes and emulator CPU from",
        ratio(tput),
        ratio(cpu)
    );
    let rows: Vec<Vec<String>> = runs
        .iter()
        .map(|r| {
            vec![
                r["op"].as_str().unwrap_or("").to_owned(),
                r["concurrency"].to_string(),
                r["client"].as_str().unwrap_or("").to_owned(),
                num(r["requests_per_s"].as_f64()),
                num(r["client_cpu_us_per_op"].as_f64()),
                r["errors"].to_string(),
                r["server_handshakes"].to_string(),
                num(r["server_cpu_us_per_request"].as_f64()),
            ]
        })
        .collect();
    md.push_str(&table(
        &[
            "op",
            "concurrency",
            "client",
            "requests/s",
            "client CPU µs/op",
            "errors",
            "TLS handshakes (incl. warm-up)",
            "emulator CPU µs/request",
        ],
        &rows,
    ));
    md.push_str(&floor_section(&floor));
    md.push_str("\nHTTP exchanges counted at the emulator (goal: the first call 2, later calls 1; one handshake per pooled connection):\n\n");
    let erows: Vec<Vec<String>> = exch
        .iter()
        .map(|e| {
            vec![
                e["client"].as_str().unwrap_or("").to_owned(),
                e["first_call_exchanges"].to_string(),
                num(e["later_call_exchanges"].as_f64()),
                e["handshakes_for_1_call"].to_string(),
                e["handshakes_for_10_calls"].to_string(),
            ]
        })
        .collect();
    md.push_str(&table(
        &[
            "client",
            "first call",
            "each later call",
            "handshakes, 1 call",
            "handshakes, 10 calls",
        ],
        &erows,
    ));
    let series = (0..ctx.generators.len())
        .map(|g| {
            let name = ctx.generators[g].name;
            Series {
                name: ctx.generators[g].label.to_owned(),
                points: concurrencies
                    .iter()
                    .map(|c| {
                        let r = find(&runs, name, "get", *c);
                        (
                            *c,
                            r.and_then(|r| r["requests_per_s"].as_f64()),
                            r.and_then(|r| r["client_cpu_us_per_op"].as_f64()),
                        )
                    })
                    .collect(),
            }
        })
        .collect();
    let part = Part {
        json: json!({
            "seconds_per_run": secs,
            "runs_per_figure": ctx.repeat,
            "goals": {
                "throughput_ours_over_official_rust_at_32": tput,
                "throughput_goal": ">= 1.5",
                "client_cpu_per_op_ours_over_official_rust_at_32": cpu,
                "client_cpu_goal": "<= 0.5",
            },
            "floor": floor.iter().map(|r| json!({
                "op": r.op,
                "concurrency": r.concurrency,
                "ours_requests_per_s": r.ours_rps,
                "floor_requests_per_s": r.floor_rps,
                "throughput_ours_over_floor": r.throughput_ratio(),
                "ours_client_cpu_us_per_op": r.ours_cpu,
                "floor_client_cpu_us_per_op": r.floor_cpu,
                "client_cpu_ours_over_floor": r.cpu_ratio(),
            })).collect::<Vec<_>>(),
            "floor_goals": {
                "at": [1, 32],
                "throughput_ours_over_floor": format!(">= {FLOOR_THROUGHPUT_GOAL}"),
                "client_cpu_ours_over_floor": format!("<= {FLOOR_CPU_GOAL}"),
            },
            "exchanges": exch,
            "runs": runs,
        }),
        md,
    };
    Ok((part, series))
}

/// Runs P3 (`engine_rs256` is P1's single-thread RS256 sign rate, if P1 ran).
pub fn run_p3(ctx: &mut Ctx, engine_rs256: Option<f64>) -> Result<Part> {
    let secs = ctx.seconds;
    let emulator = Server::start(&ctx.emulator.clone(), &[])?;
    set_up(ctx, &emulator)?;
    let zero = Server::start(&ctx.emulator.clone(), &["--bench-zero-work"])?;
    let c = 32;
    let on_emulator = measured(ctx, 0, &emulator, "get", EC_KEY, c, Amount::Seconds(secs))?;
    let on_zero = measured(ctx, 0, &zero, "get", EC_KEY, c, Amount::Seconds(secs))?;
    let sign = measured(ctx, 0, &emulator, "sign", RSA_KEY, c, Amount::Seconds(secs))?;
    zero.stop()?;
    emulator.stop()?;
    let rate = |r: &Value| r["requests_per_s"].as_f64();
    let get_ratio = div(rate(&on_emulator), rate(&on_zero));
    let engine_on_cores = engine_rs256.map(|e| e * ctx.cores as f64);
    let sign_ratio = div(rate(&sign), engine_on_cores);
    let rows = vec![
        vec![
            "get_key on the emulator".into(),
            num(rate(&on_emulator)),
            num(on_emulator["server_cpu_us_per_request"].as_f64()),
        ],
        vec![
            "get_key on the zero-work server".into(),
            num(rate(&on_zero)),
            num(on_zero["server_cpu_us_per_request"].as_f64()),
        ],
        vec![
            "RS256 sign (RSA-2048) on the emulator".into(),
            num(rate(&sign)),
            num(sign["server_cpu_us_per_request"].as_f64()),
        ],
    ];
    let mut md = format!(
        "Our client at concurrency {c}, {secs} s a run. Emulator/zero-work get_key rate **{}** (goal ≥ 0.8). Remote RS256 sign rate over the engine's raw sign rate on {} cores ({} ops/s single-thread × {}) **{}** (goal ≥ 0.8).\n\n",
        ratio(get_ratio),
        ctx.cores,
        num(engine_rs256),
        ctx.cores,
        ratio(sign_ratio)
    );
    md.push_str(&table(
        &["run", "requests/s", "server CPU µs/request"],
        &rows,
    ));
    Ok(Part {
        json: json!({
            "concurrency": c,
            "seconds_per_run": secs,
            "get_emulator_over_zero_work": get_ratio,
            "get_goal": ">= 0.8",
            "engine_rs256_sign_single_thread": engine_rs256,
            "engine_rs256_sign_on_all_cores": engine_on_cores,
            "remote_sign_over_engine": sign_ratio,
            "sign_goal": ">= 0.8",
            "runs": [on_emulator, on_zero, sign],
        }),
        md,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn goals_compare_ours_with_the_official_rust_crate_at_32() {
        let runs = vec![
            json!({"client": "ours", "op": "get", "concurrency": 32, "requests_per_s": 3000.0, "client_cpu_us_per_op": 100.0}),
            json!({"client": "official-rust", "op": "get", "concurrency": 32, "requests_per_s": 1500.0, "client_cpu_us_per_op": 400.0}),
            json!({"client": "ours", "op": "get", "concurrency": 8, "requests_per_s": 1.0, "client_cpu_us_per_op": 1.0}),
        ];
        assert_eq!(goals_at_32(&runs), (Some(2.0), Some(0.25)));
        assert_eq!(goals_at_32(&runs[..1]), (None, None));
    }

    #[test]
    fn repeated_runs_report_the_median_figures() {
        let tries = vec![
            json!({"client": "ours", "requests_per_s": 300.0, "client_cpu_us_per_op": 30.0, "errors": 1}),
            json!({"client": "ours", "requests_per_s": 100.0, "client_cpu_us_per_op": 10.0, "errors": 2}),
            json!({"client": "ours", "requests_per_s": 200.0, "client_cpu_us_per_op": 20.0, "errors": 3}),
        ];
        let m = median_run(tries.clone()).expect("a run");
        assert_eq!(m["requests_per_s"], 200.0);
        assert_eq!(m["client_cpu_us_per_op"], 20.0);
        assert_eq!(m["errors"], 3, "the median-CPU run's other figures");
        assert_eq!(m["repeats"].as_array().map(Vec::len), Some(3));
        let one = median_run(tries[..1].to_vec()).expect("a run");
        assert_eq!(one, tries[0]);
        assert_eq!(median_run(Vec::new()), None);
        assert_eq!(median(vec![2.0, f64::NAN, 1.0]), Some(2.0));
    }

    #[test]
    fn ours_is_paired_with_the_floor_at_the_same_op_and_concurrency() {
        let runs = vec![
            json!({"client": "ours", "op": "get", "concurrency": 1, "requests_per_s": 900.0, "client_cpu_us_per_op": 24.0}),
            json!({"client": "floor", "op": "get", "concurrency": 1, "requests_per_s": 1000.0, "client_cpu_us_per_op": 20.0}),
            json!({"client": "floor", "op": "get", "concurrency": 32, "requests_per_s": 1.0, "client_cpu_us_per_op": 1.0}),
            json!({"client": "ours", "op": "update", "concurrency": 1, "requests_per_s": 800.0, "client_cpu_us_per_op": 30.0}),
            json!({"client": "floor", "op": "update", "concurrency": 1, "requests_per_s": 1000.0, "client_cpu_us_per_op": 20.0}),
            json!({"client": "ours", "op": "update", "concurrency": 8, "requests_per_s": 1.0}),
        ];
        let rows = floor_rows(&runs);
        assert_eq!(rows.len(), 2, "{rows:?}");
        let (get, update) = (&rows[0], &rows[1]);
        assert_eq!((get.op.as_str(), get.concurrency), ("get", 1));
        assert_eq!(get.throughput_ratio(), Some(0.9));
        assert_eq!(get.cpu_ratio(), Some(1.2));
        assert_eq!(get.goals_met(), Some(true));
        assert_eq!(update.cpu_ratio(), Some(1.5));
        assert_eq!(update.goals_met(), Some(false));
        let md = floor_section(&rows);
        assert!(
            md.contains("| get | 1 | 900.0 | 1000 | 0.90 | 24.00 | 20.00 | 1.20 | met |"),
            "{md}"
        );
        assert!(md.contains("| not met |"), "{md}");
        assert_eq!(floor_section(&[]), "");
    }
}
