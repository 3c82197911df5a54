//! P4, scale: keys loaded through the API (our client, 32 at once) into an
//! emulator with a SQLite store, listed with our client at two sizes; the
//! emulator's memory per key and its restart time on that store.

use anyhow::{Result, bail};
use serde_json::{Value, json};

use super::procs::{Amount, Server};
use super::report::{div, num, ratio, table};
use super::{Ctx, Part};

/// Time per listed key at the large size over the small one (goal ≤ 1.3).
pub fn per_key_ratio(small: (u64, f64), large: (u64, f64)) -> Option<f64> {
    let per = |(n, s): (u64, f64)| (n > 0).then(|| s / n as f64);
    div(per(large), per(small))
}

fn load(ctx: &mut Ctx, server: &Server, prefix: &str, n: u64) -> Result<Value> {
    let r = ctx.run_generator(0, server, "create", prefix, 32, Amount::Count(n))?;
    if r["ops"].as_u64() != Some(n) {
        bail!(
            "loading {n} keys: {} made, first error {}",
            r["ops"],
            r["first_error"]
        );
    }
    Ok(r)
}

fn list(ctx: &mut Ctx, server: &Server) -> Result<Value> {
    ctx.run_generator(0, server, "list", "-", 1, Amount::Count(1))
}

/// Runs P4.
pub fn run(ctx: &mut Ctx) -> Result<Part> {
    let (small, large) = if ctx.quick {
        (1_000u64, 10_000u64)
    } else {
        (10_000, 100_000)
    };
    let dir = ctx.out_dir.join("scale-store");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let data_dir = dir.to_string_lossy().into_owned();
    let server = Server::start(&ctx.emulator.clone(), &["--data-dir", &data_dir])?;
    let rss0 = server.rss_kib();
    let load_a = load(ctx, &server, "scale-a", small)?;
    let list_small = list(ctx, &server)?;
    let load_b = load(ctx, &server, "scale-b", large - small)?;
    let rss1 = server.rss_kib();
    let list_large = list(ctx, &server)?;
    server.stop()?;
    let restarted = Server::start(&ctx.emulator.clone(), &["--data-dir", &data_dir])?;
    let restart_s = restarted.startup.as_secs_f64();
    let after_restart = list(ctx, &restarted)?;
    restarted.stop()?;
    let _ = std::fs::remove_dir_all(&dir);

    let secs = |r: &Value| r["wall_s"].as_f64().unwrap_or(0.0);
    let items = |r: &Value| r["items"].as_u64().unwrap_or(0);
    let growth_mib = |r: &Value| {
        div(
            r["rss_peak_kib"]
                .as_f64()
                .zip(r["rss_start_kib"].as_f64())
                .map(|(p, s)| p - s),
            Some(1024.0),
        )
    };
    let per_key_ratio = per_key_ratio(
        (items(&list_small), secs(&list_small)),
        (items(&list_large), secs(&list_large)),
    );
    let mem_per_key = rss0
        .zip(rss1)
        .map(|(a, b)| (b as f64 - a as f64) * 1024.0 / large as f64);
    let create_rate = div(
        Some((small + (large - small)) as f64),
        Some(secs(&load_a) + secs(&load_b)),
    );
    let us_per_key = |r: &Value| {
        div(
            Some(secs(r) * 1e6),
            Some(items(r) as f64).filter(|n| *n > 0.0),
        )
    };
    let rows = vec![
        vec![
            format!("list {} keys", items(&list_small)),
            num(Some(secs(&list_small))),
            num(us_per_key(&list_small)),
            num(growth_mib(&list_small)),
        ],
        vec![
            format!("list {} keys", items(&list_large)),
            num(Some(secs(&list_large))),
            num(us_per_key(&list_large)),
            num(growth_mib(&list_large)),
        ],
        vec![
            format!("list {} keys after a restart", items(&after_restart)),
            num(Some(secs(&after_restart))),
            num(us_per_key(&after_restart)),
            num(growth_mib(&after_restart)),
        ],
    ];
    let mut md = format!(
        "{}Keys (EC P-256) created through the API by our client, 32 at once, into an emulator with a SQLite store (`--data-dir`): **{} creates/s**. Listing with our client (25 a page): time per key at {large} over {small} **{}** (goal ≤ 1.3). Emulator memory per key **{} bytes** (RSS growth over {large} keys). Restart on the {large}-key store (spawn to URL line): **{} s**.\n\n",
        if ctx.quick {
            "Quick mode: 1,000 and 10,000 keys (the full run: 10,000 and 100,000). "
        } else {
            ""
        },
        num(create_rate),
        ratio(per_key_ratio),
        num(mem_per_key),
        num(Some(restart_s)),
    );
    md.push_str(&table(
        &[
            "run",
            "seconds",
            "µs per key",
            "client peak RSS growth MiB (goal < 20)",
        ],
        &rows,
    ));
    Ok(Part {
        json: json!({
            "keys_small": small,
            "keys_large": large,
            "create_per_s": create_rate,
            "list_time_per_key_large_over_small": per_key_ratio,
            "list_goal": "<= 1.3",
            "client_rss_growth_mib_large": growth_mib(&list_large),
            "client_rss_goal_mib": "< 20",
            "emulator_bytes_per_key": mem_per_key,
            "emulator_rss_kib": {"empty": rss0, "loaded": rss1},
            "restart_seconds": restart_s,
            "keys_after_restart": items(&after_restart),
            "runs": {"load_small": load_a, "list_small": list_small, "load_rest": load_b,
                     "list_large": list_large, "list_after_restart": after_restart},
        }),
        md,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_key_ratio_compares_time_per_key() {
        assert_eq!(per_key_ratio((1000, 1.0), (10_000, 12.0)), Some(1.2));
        assert_eq!(per_key_ratio((0, 1.0), (10, 1.0)), None);
    }
}
