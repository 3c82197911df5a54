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

/// Runs P2; also returns the chart's series.
pub fn run_p2(ctx: &mut Ctx) -> Result<(Part, Vec<Series>)> {
    let server = Server::start(&ctx.emulator.clone(), &[])?;
    set_up(ctx, &server)?;
    let mut exch = Vec::new();
    for g in 0..ctx.generators.len() {
        exch.push(exchanges(ctx, g, &server)?);
    }
    let concurrencies = [1u64, 8, 32, 128];
    let secs = ctx.seconds;
    let mut runs = Vec::new();
    for op in ["get", "update"] {
        for c in concurrencies {
            if ctx.quick && op == "update" && c != 1 && c != 32 {
                continue;
            }
            for g in 0..ctx.generators.len() {
                runs.push(measured(
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
    }
    server.stop()?;
    let (tput, cpu) = goals_at_32(&runs);
    let mut md = format!(
        "One release-built emulator process (request logs off); each run {secs} s after one untimed call per worker; client CPU is the client process's user+sys time over the window; {} the emulator's counters.\n\nGoals at concurrency 32 (get_key): ours/official-Rust throughput **{}** (goal ≥ 1.5), ours/official-Rust client CPU per operation **{}** (goal ≤ 0.5).\n\n",
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
            "goals": {
                "throughput_ours_over_official_rust_at_32": tput,
                "throughput_goal": ">= 1.5",
                "client_cpu_per_op_ours_over_official_rust_at_32": cpu,
                "client_cpu_goal": "<= 0.5",
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
}
