//! Maintainer commands for the workspace.
//!
//! ```text
//! cargo xtask codegen            regenerate the generated types and client from specs/
//! cargo xtask codegen --check    fail (exit 1) when the checked-in file is stale
//! cargo xtask spec-compare PATH [--yaml [--since V]]  compare specs/ with a Microsoft Swagger 2.0 keys document
//!                                (--yaml: print the YAML to add to specs/)
//! cargo xtask test [ARGS]        the whole test suite (README's test command)
//! cargo xtask durability [--trials N] [--seed S]   crash durability (SIGKILL) trials
//! cargo xtask fuzz [--seconds N] [--runs N] [TARGET]  run the fuzz targets in fuzz/
//! cargo xtask bench [--quick] [--only NAME] [--clients LIST]   the benchmark suite (target/bench/report.md)
//! ```

mod bench;
mod codegen;
mod durability;
mod fuzz;
mod interop;
#[cfg(test)]
mod layering;
mod normalise;
#[cfg(test)]
mod reference;
mod spec_compare;
mod test_cmd;

use std::path::PathBuf;
use std::process::ExitCode;

fn usage() -> ExitCode {
    eprintln!(
        "usage:\n  cargo xtask codegen [--check]\n  cargo xtask spec-compare PATH-TO-SWAGGER.json [--ours PATH] [--yaml [--since VERSION]]\n  cargo xtask test [-- CARGO-TEST-ARGS]\n  cargo xtask durability [--trials N] [--seed S]\n  cargo xtask fuzz [--seconds N] [--runs N] [TARGET]\n  cargo xtask bench [--quick] [--only crypto|clients|emulator|scale|codegen] [--clients ours,floor,official-rust,python]"
    );
    ExitCode::from(2)
}

/// The workspace root (the parent of this crate's folder).
pub(crate) fn workspace_root() -> PathBuf {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    here.parent().map(PathBuf::from).unwrap_or(here)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("codegen") => {
            let check = match args.get(1).map(String::as_str) {
                None => false,
                Some("--check") => true,
                Some(_) => return usage(),
            };
            codegen::run(check)
        }
        Some("spec-compare") => {
            let Some(theirs) = args.get(1) else {
                return usage();
            };
            let mut ours = workspace_root().join(codegen::SPEC_PATH);
            let mut yaml = spec_compare::YamlMode::default();
            let mut rest = args[2..].iter();
            while let Some(a) = rest.next() {
                match (a.as_str(), rest.clone().next()) {
                    ("--ours", Some(p)) => {
                        ours = PathBuf::from(p);
                        rest.next();
                    }
                    ("--since", Some(v)) => {
                        yaml.since = Some(v.clone());
                        rest.next();
                    }
                    ("--yaml", _) => yaml.enabled = true,
                    _ => return usage(),
                }
            }
            spec_compare::run(&ours, &PathBuf::from(theirs), &yaml)
        }
        Some("test") => test_cmd::run_tests(&args[1..]),
        Some("durability") => durability::run(&args[1..]),
        Some("fuzz") => fuzz::run(&args[1..]),
        Some("bench") => bench::run(&args[1..]),
        _ => return usage(),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
