//! `cargo xtask fuzz [--seconds N] [--runs N] [TARGET]`: runs the fuzz
//! targets in `fuzz/` (every one, or TARGET), each for N seconds (default
//! 60) or N executions, starting from its seed corpus
//! `fuzz/corpus/<target>/`.
//!
//! The fuzzer is libFuzzer through `cargo fuzz`, coverage-guided, with
//! `--sanitizer none`: every target is safe Rust, so AddressSanitizer would
//! find nothing the panic and overflow checks (`--debug-assertions`) do not,
//! and the sanitizers need a nightly toolchain while `--sanitizer none`
//! builds on stable (cargo-fuzz then passes only stable `-C` flags: the
//! SanitizerCoverage passes that give libFuzzer its coverage feedback).
//! cargo-fuzz is installed with `cargo install cargo-fuzz --locked` when
//! `cargo fuzz --version` fails.
//!
//! The targets are the `[[bin]]` entries of `fuzz/Cargo.toml` whose file
//! exists: adding one needs no change here. Inputs libFuzzer finds go to
//! `fuzz/found/<target>/` (not committed); a crash is written under
//! `fuzz/artifacts/<target>/` and makes the command exit non-zero.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};

/// The fuzz crate's folder, relative to the workspace root.
const FUZZ_DIR: &str = "fuzz";
/// The flags shared by `cargo fuzz build` and `cargo fuzz run`.
const FUZZ_FLAGS: &[&str] = &["--sanitizer", "none", "--debug-assertions"];

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

fn usage() -> Result<ExitCode> {
    eprintln!("usage: cargo xtask fuzz [--seconds N] [--runs N] [TARGET]");
    Ok(ExitCode::from(2))
}

/// Parsed command line.
struct Args {
    seconds: u64,
    runs: Option<u64>,
    target: Option<String>,
}

fn parse_args(args: &[String]) -> Option<Args> {
    let mut out = Args {
        seconds: 60,
        runs: None,
        target: None,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--seconds" => out.seconds = it.next()?.parse().ok().filter(|n| *n > 0)?,
            "--runs" => out.runs = Some(it.next()?.parse().ok().filter(|n| *n > 0)?),
            s if s.starts_with('-') => return None,
            s if out.target.is_none() => out.target = Some(s.to_owned()),
            _ => return None,
        }
    }
    Some(out)
}

/// The targets: `[[bin]]` entries of `fuzz/Cargo.toml` whose `path` exists.
pub fn targets(fuzz_dir: &Path) -> Result<Vec<String>> {
    let manifest = fuzz_dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest)
        .with_context(|| format!("reading {}", manifest.display()))?;
    Ok(bin_entries(&text)
        .into_iter()
        .filter(|(_, path)| fuzz_dir.join(path).is_file())
        .map(|(name, _)| name)
        .collect())
}

/// `(name, path)` of each `[[bin]]` table (the manifest is ours, so a line
/// reader is enough: `key = "value"` lines inside `[[bin]]` sections).
fn bin_entries(manifest: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut current: Option<(Option<String>, Option<String>)> = None;
    let flush = |c: &mut Option<(Option<String>, Option<String>)>,
                 out: &mut Vec<(String, String)>| {
        if let Some((Some(name), path)) = c.take() {
            let path = path.unwrap_or_else(|| format!("fuzz_targets/{name}.rs"));
            out.push((name, path));
        }
    };
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            flush(&mut current, &mut out);
            if line == "[[bin]]" {
                current = Some((None, None));
            }
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let value = value.trim().trim_matches('"').to_owned();
        if let Some((name, path)) = current.as_mut() {
            match key.trim() {
                "name" => *name = Some(value),
                "path" => *path = Some(value),
                _ => {}
            }
        }
    }
    flush(&mut current, &mut out);
    out
}

/// Installs cargo-fuzz when `cargo fuzz` is not there.
fn ensure_cargo_fuzz() -> Result<()> {
    let present = Command::new(cargo())
        .args(["fuzz", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if present {
        return Ok(());
    }
    eprintln!("xtask: installing cargo-fuzz (cargo install cargo-fuzz --locked)");
    let status = Command::new(cargo())
        .args(["install", "cargo-fuzz", "--locked"])
        .status()
        .context("running cargo install cargo-fuzz")?;
    if !status.success() {
        bail!("cargo install cargo-fuzz --locked failed ({status})");
    }
    Ok(())
}

/// What one target's run reported.
struct Outcome {
    target: String,
    executions: Option<u64>,
    crashed: bool,
    seconds: f64,
    log: PathBuf,
    artifacts: Vec<PathBuf>,
}

/// `stat::number_of_executed_units: N` from libFuzzer's final statistics,
/// else the count of its last `#N` status line.
fn executions(log: &str) -> Option<u64> {
    let stat = log.lines().rev().find_map(|l| {
        l.strip_prefix("stat::number_of_executed_units:")
            .and_then(|n| n.trim().parse().ok())
    });
    stat.or_else(|| {
        log.lines().rev().find_map(|l| {
            l.strip_prefix('#')?
                .split(|c: char| !c.is_ascii_digit())
                .next()?
                .parse()
                .ok()
        })
    })
}

fn list_files(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default()
}

fn run_target(root: &Path, target: &str, args: &Args) -> Result<Outcome> {
    let fuzz_dir = root.join(FUZZ_DIR);
    let found = fuzz_dir.join("found").join(target);
    let seeds = fuzz_dir.join("corpus").join(target);
    let artifacts = fuzz_dir.join("artifacts").join(target);
    let logs = fuzz_dir.join("target").join("fuzz-logs");
    for d in [&found, &artifacts, &logs] {
        std::fs::create_dir_all(d).with_context(|| format!("creating {}", d.display()))?;
    }
    let before = list_files(&artifacts);
    let log_path = logs.join(format!("{target}.log"));
    let log = std::fs::File::create(&log_path)
        .with_context(|| format!("creating {}", log_path.display()))?;
    let mut cmd = Command::new(cargo());
    cmd.current_dir(root)
        .args(["fuzz", "run"])
        .args(FUZZ_FLAGS)
        .arg(target)
        // new inputs go to the first folder; the seeds are only read
        .arg(&found)
        .arg(&seeds)
        .arg("--")
        .arg(format!("-max_total_time={}", args.seconds))
        // an input that takes this long is a finding (a hang)
        .arg("-timeout=20")
        .arg("-print_final_stats=1");
    if let Some(runs) = args.runs {
        cmd.arg(format!("-runs={runs}"));
    }
    eprintln!("xtask: fuzzing {target} for {} s", args.seconds);
    let start = Instant::now();
    let status = cmd
        .stdout(log.try_clone()?)
        .stderr(log)
        .status()
        .context("running cargo fuzz run")?;
    let seconds = start.elapsed().as_secs_f64();
    let text = std::fs::read_to_string(&log_path).unwrap_or_default();
    let new_artifacts: Vec<PathBuf> = list_files(&artifacts)
        .into_iter()
        .filter(|p| !before.contains(p))
        .collect();
    Ok(Outcome {
        target: target.to_owned(),
        executions: executions(&text),
        crashed: !status.success() || !new_artifacts.is_empty(),
        seconds,
        log: log_path,
        artifacts: new_artifacts,
    })
}

/// What a crash log says happened: the panic (its location and message),
/// libFuzzer's error line and the input as base64; the last lines when none
/// of these is there.
fn crash_summary(log: &str) -> String {
    let lines: Vec<&str> = log.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if line.contains(" panicked at ") {
            out.push(*line);
            if let Some(message) = lines.get(i + 1) {
                out.push(message);
            }
        } else if line.contains("ERROR: libFuzzer")
            || line.starts_with("Base64:")
            || line.starts_with("SUMMARY:")
        {
            out.push(line);
        }
    }
    if out.is_empty() {
        out = lines[lines.len().saturating_sub(20)..].to_vec();
    }
    out.join("\n")
}

/// Runs the command.
pub fn run(args: &[String]) -> Result<ExitCode> {
    let Some(args) = parse_args(args) else {
        return usage();
    };
    let root = crate::workspace_root();
    let all = targets(&root.join(FUZZ_DIR))?;
    let chosen: Vec<String> = match &args.target {
        Some(t) if all.contains(t) => vec![t.clone()],
        Some(t) => bail!("no fuzz target {t:?}; the targets are: {}", all.join(", ")),
        None => all,
    };
    if chosen.is_empty() {
        bail!("fuzz/Cargo.toml lists no fuzz target whose file exists");
    }
    ensure_cargo_fuzz()?;

    eprintln!("xtask: building the fuzz targets (cargo fuzz build --sanitizer none)");
    let start = Instant::now();
    let mut build = Command::new(cargo());
    build
        .current_dir(&root)
        .args(["fuzz", "build"])
        .args(FUZZ_FLAGS);
    if let Some(t) = &args.target {
        build.arg(t);
    }
    let status = build.status().context("running cargo fuzz build")?;
    if !status.success() {
        bail!("cargo fuzz build failed ({status})");
    }
    eprintln!("xtask: built in {:.0} s", start.elapsed().as_secs_f64());

    let mut outcomes = Vec::new();
    for target in &chosen {
        let o = run_target(&root, target, &args)?;
        eprintln!(
            "xtask: {target}: {} executions, {} in {:.1} s",
            o.executions
                .map_or_else(|| "?".to_owned(), |n| n.to_string()),
            if o.crashed { "crashed" } else { "no crash" },
            o.seconds
        );
        outcomes.push(o);
    }

    println!(
        "\n{:<20} {:>14} {:>8} {:>8}",
        "target", "executions", "crashes", "seconds"
    );
    for o in &outcomes {
        let execs = o
            .executions
            .map_or_else(|| "?".to_owned(), |n| n.to_string());
        println!(
            "{:<20} {:>14} {:>8} {:>8.1}",
            o.target,
            execs,
            u8::from(o.crashed),
            o.seconds
        );
    }
    let crashed: Vec<&Outcome> = outcomes.iter().filter(|o| o.crashed).collect();
    for o in &crashed {
        println!("\n--- {} crashed; log {} ---", o.target, o.log.display());
        let log = std::fs::read_to_string(&o.log).unwrap_or_default();
        println!("{}", crash_summary(&log));
        for a in &o.artifacts {
            println!("input kept: {}", a.display());
        }
    }
    println!(
        "\nfuzz: {} target(s), {} crashed",
        outcomes.len(),
        crashed.len()
    );
    Ok(if crashed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_bin_entries() {
        let manifest = r#"
[package]
name = "f"

[[bin]]
name = "one"
path = "fuzz_targets/one.rs"
test = false

[[bin]]
name = "two"

[dependencies]
x = "1"
"#;
        assert_eq!(
            bin_entries(manifest),
            vec![
                ("one".to_owned(), "fuzz_targets/one.rs".to_owned()),
                ("two".to_owned(), "fuzz_targets/two.rs".to_owned()),
            ]
        );
    }

    #[test]
    fn reads_executions() {
        let log = "#1024\tpulse  cov: 10 ft: 12\n#2000\tDONE   cov: 11\nstat::number_of_executed_units: 2001\n";
        assert_eq!(executions(log), Some(2001));
        assert_eq!(executions("#77\tNEW cov: 1\n==1== ERROR"), Some(77));
        assert_eq!(executions("nothing"), None);
    }

    #[test]
    fn summarises_a_crash() {
        let log = "#5\tNEW cov: 3\nthread '<unnamed>' (1) panicked at src/x.rs:1:2:\nboom\nstack backtrace:\n   0: f\n==1== ERROR: libFuzzer: deadly signal\nBase64: AAE=\n";
        assert_eq!(
            crash_summary(log),
            "thread '<unnamed>' (1) panicked at src/x.rs:1:2:\nboom\n==1== ERROR: libFuzzer: deadly signal\nBase64: AAE="
        );
        assert_eq!(crash_summary("a\nb"), "a\nb");
    }

    #[test]
    fn parses_arguments() {
        let a = parse_args(&["--seconds".into(), "15".into(), "kw_unwrap".into()]).expect("args");
        assert_eq!((a.seconds, a.target.as_deref()), (15, Some("kw_unwrap")));
        assert!(parse_args(&["--seconds".into(), "0".into()]).is_none());
        assert!(parse_args(&["a".into(), "b".into()]).is_none());
    }
}
