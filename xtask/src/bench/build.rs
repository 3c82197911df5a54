//! P5, build and codegen: `cargo xtask codegen`'s time and whether a rerun
//! gives the same bytes, and CI's wall time per step from the last
//! `.ci/run` on this checkout (`target/ci-steps.tsv`, which it writes) or a
//! `target/bench/ci-steps.json` put there by hand.

use std::process::Command;
use std::time::Instant;

use anyhow::Result;
use serde_json::{Value, json};

use super::report::{num, table};
use super::{Ctx, Part};

/// CI steps from `ci-steps.json`: `{"step": seconds, …}` or
/// `[{"step"|"name": …, "seconds": …}, …]`, as `(step, seconds)`.
pub fn parse_ci_steps(v: &Value) -> Vec<(String, f64)> {
    match v {
        Value::Object(m) => m
            .iter()
            .filter_map(|(k, s)| Some((k.clone(), s.as_f64()?)))
            .collect(),
        Value::Array(a) => a
            .iter()
            .filter_map(|s| {
                let name = s.get("step").or_else(|| s.get("name"))?.as_str()?;
                Some((name.to_owned(), s.get("seconds")?.as_f64()?))
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// CI steps from `.ci/run`'s `target/ci-steps.tsv` (`seconds<TAB>step`
/// a line), as `(step, seconds)`.
pub fn parse_ci_tsv(text: &str) -> Vec<(String, f64)> {
    text.lines()
        .filter_map(|l| {
            let (secs, step) = l.split_once('\t')?;
            Some((step.trim().to_owned(), secs.trim().parse().ok()?))
        })
        .collect()
}

/// Runs P5.
pub fn run(ctx: &mut Ctx) -> Result<Part> {
    let spec = ctx.root.join(crate::codegen::SPEC_PATH);
    let mut times = Vec::new();
    let mut outputs = Vec::new();
    for _ in 0..2 {
        let t = Instant::now();
        outputs.push(crate::codegen::generate(&spec)?);
        times.push(t.elapsed().as_secs_f64());
    }
    let identical = outputs[0] == outputs[1];
    let checked_in = outputs[0].is_checked_in(&ctx.root);
    // The xtask binary itself, not through cargo: a cargo started while
    // another build holds the target folder's lock would wait for it.
    let exe = std::env::current_exe().unwrap_or_else(|_| "xtask".into());
    let mut cmd = Command::new(exe);
    cmd.current_dir(&ctx.root).args(["codegen", "--check"]);
    ctx.note(&cmd);
    let t = Instant::now();
    let check_ok = cmd.output().is_ok_and(|o| o.status.success());
    let check_s = t.elapsed().as_secs_f64();

    let ci_path = ctx.out_dir.join("ci-steps.json");
    let ci: Option<Value> = std::fs::read_to_string(&ci_path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok());
    let mut steps = ci.as_ref().map(parse_ci_steps).unwrap_or_default();
    if steps.is_empty()
        && let Some(target) = ctx.out_dir.parent()
        && let Ok(tsv) = std::fs::read_to_string(target.join("ci-steps.tsv"))
    {
        steps = parse_ci_tsv(&tsv);
    }
    let mut md = table(
        &["figure", "value"],
        &[
            vec![
                "codegen, in process (first, second run) s".into(),
                format!(
                    "{}, {}",
                    num(times.first().copied()),
                    num(times.get(1).copied())
                ),
            ],
            vec![
                "`xtask codegen --check` process wall s (goal < 5)".into(),
                num(Some(check_s)),
            ],
            vec!["byte-identical on rerun".into(), identical.to_string()],
            vec![
                "identical to the checked-in file".into(),
                format!(
                    "{checked_in} (--check {})",
                    if check_ok { "passed" } else { "failed" }
                ),
            ],
        ],
    );
    if steps.is_empty() {
        md.push_str(&format!(
            "\nCI wall time per step: not given (put the last run's figures in `{}`).\n",
            ci_path.display()
        ));
    } else {
        md.push_str("\nCI wall time per step (last run):\n\n");
        let rows: Vec<Vec<String>> = steps
            .iter()
            .map(|(s, t)| vec![s.clone(), num(Some(*t))])
            .collect();
        md.push_str(&table(&["step", "seconds"], &rows));
    }
    Ok(Part {
        json: json!({
            "codegen_in_process_seconds": times,
            "codegen_check_command_seconds": check_s,
            "codegen_goal_seconds": 5,
            "byte_identical_on_rerun": identical,
            "identical_to_checked_in": checked_in,
            "ci_steps": ci,
        }),
        md,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ci_steps_are_read_in_either_shape() {
        let m = parse_ci_steps(&json!({"fmt": 3.5, "tests": 600}));
        assert!(m.contains(&("fmt".into(), 3.5)) && m.contains(&("tests".into(), 600.0)));
        let a = parse_ci_steps(&json!([{"step": "clippy", "seconds": 120.0}, {"name": "x"}]));
        assert_eq!(a, vec![("clippy".into(), 120.0)]);
        assert!(parse_ci_steps(&json!("nope")).is_empty());
    }

    #[test]
    fn ci_steps_are_read_from_the_ci_scripts_tsv() {
        let steps =
            parse_ci_tsv("12\tcargo fmt --check\nnot a line\n340\ttests (README's test command)\n");
        assert_eq!(
            steps,
            vec![
                ("cargo fmt --check".to_owned(), 12.0),
                ("tests (README's test command)".to_owned(), 340.0)
            ]
        );
    }
}
