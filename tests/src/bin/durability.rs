//! `durability [--trials N] [--seed S]`: the crash-durability harness
//! (see `keyvault_tests::durability`), as `cargo xtask durability` runs it.
//! Needs the emulator binary in `KEYVAULT_EMULATOR_BIN`.
//!
//! Prints the seed first, a table line per trial and the totals; exits 1
//! when a write was lost, a delete or purge came back, or a trial failed.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use keyvault_tests::durability;

const USAGE: &str = "usage: durability [--trials N] [--seed S]";

fn parse() -> Result<(usize, u64), String> {
    let (mut trials, mut seed) = (20usize, None);
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next();
        match (flag.as_str(), value) {
            ("--trials", Some(v)) => {
                trials = v
                    .parse()
                    .map_err(|_| format!("--trials takes a number, not {v:?}"))?;
            }
            ("--seed", Some(v)) => {
                seed = Some(
                    v.parse()
                        .map_err(|_| format!("--seed takes a number, not {v:?}"))?,
                );
            }
            _ => return Err(USAGE.to_owned()),
        }
    }
    Ok((trials, seed.unwrap_or_else(durability::fresh_seed)))
}

fn main() -> ExitCode {
    let (trials, seed) = match parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    println!(
        "seed {seed} (replay with --seed {seed}; a single trial with --seed <its seed> --trials 1)"
    );
    match durability::run(trials, seed) {
        Ok((totals, _)) if totals.clean() => ExitCode::SUCCESS,
        Ok(_) => {
            println!("NOT CLEAN: see the lines above");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("durability: {e}");
            ExitCode::FAILURE
        }
    }
}
