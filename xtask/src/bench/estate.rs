//! P6, the emulator as a test estate: automatic rotation after a one-year
//! clock advance, the whole state exported and imported, and how long
//! `delete_key` waits (and how many requests it sends) against deletions
//! that take 0, 300 and 3000 ms, beside the Python and .NET pollers'
//! schedule (at once, then every 2 s). Runs `keyvault-keys`'s
//! `bench_estate` example, which prints one JSON line.

use std::process::Command;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use super::report::{num, table};
use super::{Ctx, Part};

/// Runs P6.
pub fn run(ctx: &mut Ctx) -> Result<Part> {
    let mut cmd = Command::new(super::cargo());
    cmd.current_dir(&ctx.root).arg("run");
    if !ctx.dev {
        cmd.arg("--release");
    }
    cmd.args(["-q", "-p", "keyvault-keys", "--example", "bench_estate"]);
    if ctx.quick {
        cmd.args(["--", "--quick"]);
    }
    ctx.note(&cmd);
    let out = cmd.output().context("running the estate bench example")?;
    if !out.status.success() {
        bail!(
            "bench_estate failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let json: Value = String::from_utf8_lossy(&out.stdout)
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str(l.trim()).ok())
        .context("bench_estate printed no JSON line")?;
    let f = |v: &Value| v.as_f64();
    let r = &json["rotation"];
    let s = &json["state"];
    let mut md = format!(
        "{} keys with \"rotate 30 days after create\", clock advanced a year: **{} s** for {} new versions.\n\n\
         {} keys: export **{} s**, import into a fresh emulator **{} s**, document **{} MiB**.\n\n",
        r["keys"],
        num(f(&r["advance_s"])),
        r["new_versions"],
        s["keys"],
        num(f(&s["export_s"])),
        num(f(&s["import_s"])),
        num(s["bytes"].as_f64().map(|b| b / 1_048_576.0)),
    );
    let rows: Vec<Vec<String>> = json["polling"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            vec![
                p["delay_ms"].to_string(),
                num(f(&p["ours_s"])),
                p["ours_requests"].to_string(),
                num(f(&p["python_net_s"])),
                p["python_net_requests"].to_string(),
            ]
        })
        .collect();
    md.push_str(&table(
        &[
            "deletion takes (ms)",
            "delete_key took (s)",
            "requests (delete + polls)",
            "Python/.NET poller (s)",
            "their requests",
        ],
        &rows,
    ));
    Ok(Part { json, md })
}
