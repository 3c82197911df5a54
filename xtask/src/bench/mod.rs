//! `cargo xtask bench [--quick] [--dev] [--only NAME] [--clients LIST]
//! [--repeat N]`: the benchmark suite.
//!
//! Measures side by side in one run and writes `target/bench/report.json`
//! (every figure, the commands, the machine and the versions compared),
//! `target/bench/report.md` (tables) and `target/bench/clients.svg`
//! (client throughput and CPU per operation against concurrency):
//!
//! - `crypto` (P1): the engine vs bare aws-lc-rs vs `openssl speed`;
//! - `clients` (P2): our `KeyClient`, the floor (the same calls as a bare
//!   reqwest request parsed with serde_json), the official Rust crate and
//!   the official Python aio client against one release-built emulator;
//! - `emulator` (P3): the emulator vs a zero-work server on the same stack,
//!   and its remote sign rate vs the engine's;
//! - `scale` (P4): keys loaded through the API, listed at two sizes, memory
//!   per key and restart time on a SQLite store;
//! - `codegen` (P5): `cargo xtask codegen`'s time and determinism, and CI's
//!   steps from `target/bench/ci-steps.json` when present;
//! - `estate` (P6): automatic rotation after a year's clock advance, the
//!   state exported and imported, `delete_key` against slow deletions.
//!
//! It sets up what it needs as `cargo xtask test` does (the Python venv, the
//! official Rust crate's workspace) and builds the emulator and the load
//! generators in release mode (`--dev`: with the dev profile, for CI's smoke
//! run, which reuses the test step's builds; its figures mean nothing).
//! Nothing here asserts on a figure: a part fails only when it cannot run.

mod build;
mod clients;
mod crypto;
mod estate;
mod procs;
mod report;
mod scale;
mod svg;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use serde_json::{Map, Value, json};

use procs::{Amount, Generator, Server};

/// One part's figures and its Markdown section.
pub struct Part {
    /// Its figures.
    pub json: Value,
    /// Its section of report.md (without the heading).
    pub md: String,
}

/// What every part shares.
pub struct Ctx {
    root: PathBuf,
    out_dir: PathBuf,
    quick: bool,
    /// Built with the dev profile (`--dev`): CI's smoke run, which checks
    /// that every part still runs end to end and reuses the test step's
    /// debug builds; its figures are not representative.
    dev: bool,
    /// Seconds per timed client run.
    seconds: f64,
    /// Timed runs per P2 figure (`--repeat N`; the median is reported).
    repeat: usize,
    cores: usize,
    emulator: PathBuf,
    /// Ours first (it also sets up keys), then the floor (P2 only), the
    /// official Rust crate, then Python.
    generators: Vec<Generator>,
    commands: Vec<String>,
}

impl Ctx {
    /// Records a command for the report.
    fn note(&mut self, cmd: &Command) {
        let mut line = cmd.get_program().to_string_lossy().into_owned();
        for a in cmd.get_args() {
            line.push(' ');
            line.push_str(&a.to_string_lossy());
        }
        if !self.commands.contains(&line) {
            self.commands.push(line);
        }
    }

    fn run_generator(
        &mut self,
        g: usize,
        server: &Server,
        op: &str,
        key: &str,
        concurrency: u64,
        amount: Amount,
    ) -> Result<Value> {
        let generator = self.generators[g].clone();
        self.note(&generator.command(server, op, key, concurrency, amount));
        generator.run(server, op, key, concurrency, amount)
    }
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

/// The clients P2 compares (`--clients` picks some; ours always runs).
const CLIENTS: [&str; 4] = ["ours", "floor", "official-rust", "python"];

const PARTS: [(&str, &str, &str); 6] = [
    (
        "crypto",
        "p1",
        "P1. Local crypto: engine vs bare aws-lc-rs vs openssl speed",
    ),
    ("codegen", "p5", "P5. Build and codegen"),
    (
        "clients",
        "p2",
        "P2. Client round trip: get_key and update_key_properties",
    ),
    (
        "emulator",
        "p3",
        "P3. Emulator vs a zero-work server; remote sign vs the engine",
    ),
    ("scale", "p4", "P4. Scale"),
    (
        "estate",
        "p6",
        "P6. The emulator as a test estate: rotation, state, slow deletions",
    ),
];

/// The `version = "…"` of package `name` in a Cargo.lock text.
pub fn lock_version(lock: &str, name: &str) -> Option<String> {
    let mut lines = lock.lines();
    while let Some(l) = lines.next() {
        if l.trim() == format!("name = \"{name}\"") {
            let v = lines.next()?.trim().strip_prefix("version = \"")?;
            return Some(v.trim_end_matches('"').to_owned());
        }
    }
    None
}

fn output_of(program: &str, args: &[&str]) -> Option<String> {
    let o = Command::new(program).args(args).output().ok()?;
    o.status
        .success()
        .then(|| String::from_utf8_lossy(&o.stdout).trim().to_owned())
}

fn machine(cores: usize) -> Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo").ok().and_then(|t| {
        t.lines().find_map(|l| {
            l.strip_prefix("model name")?
                .split_once(':')
                .map(|x| x.1.trim().to_owned())
        })
    });
    json!({
        "cores": cores,
        "cpu": cpu,
        "kernel": output_of("uname", &["-srm"]),
        "memory_kib": std::fs::read_to_string("/proc/meminfo").ok()
            .and_then(|t| procs::parse_status_kib(&t, "MemTotal")),
    })
}

fn versions(root: &Path, python: Option<&Path>) -> Value {
    let ours = std::fs::read_to_string(root.join("Cargo.lock")).unwrap_or_default();
    let official =
        std::fs::read_to_string(root.join("tests/official-rust/Cargo.lock")).unwrap_or_default();
    let py = |code: &str| python.and_then(|p| output_of(&p.to_string_lossy(), &["-c", code]));
    json!({
        "keyvault-keys (ours)": lock_version(&ours, "keyvault-keys"),
        "commit": output_of("git", &["-C", &root.to_string_lossy(), "rev-parse", "--short", "HEAD"]),
        "aws-lc-rs": lock_version(&ours, "aws-lc-rs"),
        "hyper": lock_version(&ours, "hyper"),
        "rustls": lock_version(&ours, "rustls"),
        "azure_security_keyvault_keys (official Rust)": lock_version(&official, "azure_security_keyvault_keys"),
        "azure_core (official Rust)": lock_version(&official, "azure_core"),
        "azure-keyvault-keys (official Python)": py("import azure.keyvault.keys as k; print(k.__version__)"),
        "aiohttp": py("import aiohttp; print(aiohttp.__version__)"),
        "python": py("import sys; print(sys.version.split()[0])"),
        "rustc": output_of("rustc", &["--version"]),
        "openssl": output_of("openssl", &["version"]),
    })
}

fn run_cmd(cmd: &mut Command, what: &str) -> Result<()> {
    let status = cmd.status().with_context(|| format!("running {what}"))?;
    if !status.success() {
        bail!("{what} failed ({status})");
    }
    Ok(())
}

/// `cargo xtask bench [--quick] [--dev] [--only NAME] [--clients LIST]`
/// (`--clients ours,floor`: P2 with only those clients; ours always runs;
/// `--repeat N`: each P2 figure the median of N runs, the clients' runs
/// interleaved).
pub fn run(args: &[String]) -> Result<ExitCode> {
    let mut quick = false;
    let mut dev = false;
    let mut only: Option<&str> = None;
    let mut clients: Option<Vec<String>> = None;
    let mut repeat = 1usize;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--quick" => quick = true,
            "--repeat" => {
                let n = it.next().context("--repeat needs a number")?;
                repeat = n
                    .parse::<usize>()
                    .ok()
                    .filter(|n| *n >= 1)
                    .with_context(|| format!("--repeat takes a positive number, not {n:?}"))?;
            }
            "--dev" => dev = true,
            "--only" => {
                let name = it.next().context("--only needs a part name")?;
                let Some(p) = PARTS.iter().find(|p| p.0 == name || p.1 == name) else {
                    bail!(
                        "--only takes one of crypto (p1), clients (p2), emulator (p3), scale (p4), codegen (p5), estate (p6), not {name:?}"
                    );
                };
                only = Some(p.0);
            }
            "--clients" => {
                let list = it.next().context("--clients needs a list")?;
                let names: Vec<String> = list.split(',').map(str::to_owned).collect();
                if let Some(n) = names.iter().find(|n| !CLIENTS.contains(&n.as_str())) {
                    bail!("--clients takes some of {}, not {n:?}", CLIENTS.join(","));
                }
                clients = Some(names);
            }
            other => bail!(
                "unknown argument {other:?}: cargo xtask bench [--quick] [--dev] [--only NAME] [--clients LIST] [--repeat N]"
            ),
        }
    }
    let wanted = |p: &str| only.is_none_or(|o| o == p);
    // Ours always runs (it also sets up the keys).
    let client_wanted = |c: &str| {
        wanted("clients")
            && (c == "ours" || clients.as_ref().is_none_or(|l| l.iter().any(|n| n == c)))
    };
    let started = Instant::now();
    let root = crate::workspace_root();
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root.join("target"));
    let out_dir = target.join("bench");
    std::fs::create_dir_all(&out_dir)?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut setup = Map::new();

    // Set-up, as `cargo xtask test` does, plus release builds.
    let needs_servers = ["clients", "emulator", "scale"].iter().any(|p| wanted(p));
    let python = if client_wanted("python") {
        let t = Instant::now();
        let p = crate::test_cmd::ensure_python(&root)?;
        setup.insert("python_venv_s".into(), json!(t.elapsed().as_secs_f64()));
        Some(p)
    } else {
        None
    };
    let mut commands = Vec::new();
    if needs_servers {
        let t = Instant::now();
        let mut cmd = Command::new(cargo());
        cmd.current_dir(&root).arg("build");
        if !dev {
            cmd.arg("--release");
        }
        cmd.args([
            "-p",
            "keyvault-emulator",
            "-p",
            "keyvault-tests",
            "--bin",
            "keyvault-emulator",
            "--bin",
            "bench-client",
        ]);
        commands.push(format!("{cmd:?}"));
        run_cmd(&mut cmd, "cargo build (emulator, our load generator)")?;
        setup.insert(
            "release_build_ours_s".into(),
            json!(t.elapsed().as_secs_f64()),
        );
    }
    let release = target.join(if dev { "debug" } else { "release" });
    let mut generators = vec![Generator {
        name: "ours",
        label: "keyvault-keys (ours)",
        program: release.join("bench-client"),
        prefix: Vec::new(),
    }];
    if client_wanted("floor") {
        // The floor: the same calls as a bare reqwest request parsed with
        // serde_json, made by the same load generator and harness.
        generators.push(Generator {
            name: "floor",
            label: "bare reqwest + serde_json (floor)",
            program: release.join("bench-client"),
            prefix: vec!["--client".into(), "floor".into()],
        });
    }
    if client_wanted("official-rust") {
        let t = Instant::now();
        let official = crate::interop::build_official_rust(&root, &target, !dev)?;
        setup.insert(
            "release_build_official_rust_s".into(),
            json!(t.elapsed().as_secs_f64()),
        );
        generators.push(Generator {
            name: "official-rust",
            label: "azure_security_keyvault_keys (official Rust)",
            program: official.join("bench"),
            prefix: Vec::new(),
        });
    }
    {
        if let Some(p) = &python {
            generators.push(Generator {
                name: "python",
                label: "azure-keyvault-keys aio (official Python)",
                program: p.clone(),
                prefix: vec![
                    root.join("tests/python/bench_client.py")
                        .to_string_lossy()
                        .into_owned(),
                ],
            });
        }
    }
    let mut ctx = Ctx {
        root: root.clone(),
        out_dir: out_dir.clone(),
        quick,
        dev,
        seconds: if quick { 1.0 } else { 5.0 },
        repeat,
        cores,
        emulator: release.join("keyvault-emulator"),
        generators,
        commands,
    };

    let mut parts = Map::new();
    let mut part_seconds = Map::new();
    let mut md_parts = String::new();
    let mut series = Vec::new();
    let mut failed = Vec::new();
    let mut p1: Option<Value> = None;
    for (name, id, title) in PARTS {
        if !wanted(name) {
            continue;
        }
        eprintln!("xtask bench: {title}");
        let t = Instant::now();
        let result = match name {
            "crypto" => crypto::run(&mut ctx),
            "codegen" => build::run(&mut ctx),
            "clients" => clients::run_p2(&mut ctx).map(|(p, s)| {
                series = s;
                p
            }),
            "emulator" => {
                let engine = p1.as_ref().and_then(crypto::engine_rs256_sign);
                clients::run_p3(&mut ctx, engine)
            }
            "estate" => estate::run(&mut ctx),
            _ => scale::run(&mut ctx),
        };
        let secs = t.elapsed().as_secs_f64();
        part_seconds.insert(name.into(), json!(secs));
        md_parts.push_str(&format!(
            "\n## {title}\n\n_{name} ({id}), {secs:.1} s._\n\n"
        ));
        match result {
            Ok(part) => {
                if name == "crypto" {
                    p1 = Some(part.json.clone());
                }
                md_parts.push_str(&part.md);
                parts.insert(name.into(), part.json);
            }
            Err(e) => {
                eprintln!("xtask bench: {name} failed: {e:#}");
                md_parts.push_str(&format!("**Failed**: {e:#}\n"));
                parts.insert(name.into(), json!({"error": format!("{e:#}")}));
                failed.push(name);
            }
        }
    }
    let date = output_of("date", &["-u", "+%Y-%m-%dT%H:%M:%SZ"]);
    let machine = machine(cores);
    let versions = versions(&root, python.as_deref());
    let total = started.elapsed().as_secs_f64();
    let mode = match (quick, dev) {
        (true, true) => "quick, dev profile (smoke run: figures not representative)",
        (true, false) => "quick",
        (false, true) => "full, dev profile (figures not representative)",
        (false, false) => "full",
    };
    let json = json!({
        "date": date,
        "mode": mode,
        "only": only,
        "machine": machine,
        "versions": versions,
        "setup_seconds": setup,
        "part_seconds": part_seconds,
        "total_seconds": total,
        "parts": parts,
        "commands": ctx.commands,
        "failed_parts": failed,
    });
    let mut md = format!(
        "# Benchmarks ({mode} run)\n\n{} on {} ({} cores, {}). Total {total:.0} s (set-up and builds {} s). Reproduce: `cargo xtask bench{}`; every command is in report.json.\n\nVersions: {}.\n",
        date.as_deref().unwrap_or("?"),
        machine["cpu"].as_str().unwrap_or("?"),
        cores,
        machine["kernel"].as_str().unwrap_or("?"),
        report::num(Some(setup.values().filter_map(Value::as_f64).sum())),
        if quick { " --quick" } else { "" },
        versions
            .as_object()
            .map(|m| m
                .iter()
                .filter_map(|(k, v)| Some(format!("{k} {}", v.as_str()?)))
                .collect::<Vec<_>>()
                .join(", "))
            .unwrap_or_default(),
    );
    md.push_str(&md_parts);
    if !series.is_empty() {
        md.push_str("\n![client throughput and CPU per operation](clients.svg)\n");
    }
    let svg = svg::chart(
        &series,
        &format!(
            "{mode} run, {} , {cores} cores",
            date.as_deref().unwrap_or("?")
        ),
    );
    report::write(&out_dir, &json, &md, &svg)?;
    eprintln!(
        "xtask bench: wrote {}/report.json, report.md and clients.svg in {total:.0} s",
        out_dir.display()
    );
    if failed.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!(
            "xtask bench: parts that could not run: {}",
            failed.join(", ")
        );
        Ok(ExitCode::FAILURE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_version_reads_the_line_after_the_name() {
        let lock = "[[package]]\nname = \"azure_core\"\nversion = \"1.2.0-beta.1\"\n\n[[package]]\nname = \"azure_core_macros\"\nversion = \"9\"\n";
        assert_eq!(
            lock_version(lock, "azure_core").as_deref(),
            Some("1.2.0-beta.1")
        );
        assert_eq!(
            lock_version(lock, "azure_core_macros").as_deref(),
            Some("9")
        );
        assert_eq!(lock_version(lock, "tokio"), None);
    }
}
