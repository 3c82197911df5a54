//! `cargo xtask test`: the whole test suite, as README.md gives it.
//!
//! Runs `cargo test --workspace` (unit, integration and doc tests). Later
//! stages (the official-SDK interop suites) hook in here, so one command
//! sets up and runs everything on a fresh machine.

use std::process::{Command, ExitCode};

use anyhow::{Context, Result};

pub fn run(extra: &[String]) -> Result<ExitCode> {
    let root = crate::workspace_root();
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
        .current_dir(&root)
        .args(["test", "--workspace"])
        .args(extra)
        .status()
        .context("running cargo test")?;
    Ok(if status.success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
