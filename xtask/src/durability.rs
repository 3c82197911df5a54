//! `cargo xtask durability [--trials N] [--seed S]`: crash durability,
//! measured (issue 9). Builds the emulator binary, then runs the harness in
//! `tests/` (`keyvault-tests`'s `durability` binary): per trial, 8 writers
//! against `--data-dir`, a SIGKILL at a random moment, a restart on the same
//! folder, and a check that every acknowledged write survived and nothing
//! deleted or purged came back. Prints the seed and a table.

use std::process::{Command, ExitCode};

use anyhow::{Context, Result, bail};

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

pub fn run(args: &[String]) -> Result<ExitCode> {
    let root = crate::workspace_root();
    let status = Command::new(cargo())
        .current_dir(&root)
        .args(["build", "-p", "keyvault-emulator", "--bins"])
        .status()
        .context("running cargo build -p keyvault-emulator")?;
    if !status.success() {
        bail!("cargo build -p keyvault-emulator failed ({status})");
    }
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| root.join("target"));
    let status = Command::new(cargo())
        .current_dir(&root)
        .args([
            "run",
            "--quiet",
            "-p",
            "keyvault-tests",
            "--bin",
            "durability",
            "--",
        ])
        .args(args)
        .env(
            "KEYVAULT_EMULATOR_BIN",
            target.join("debug/keyvault-emulator"),
        )
        .status()
        .context("running the durability harness")?;
    Ok(if status.success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
