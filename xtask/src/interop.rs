//! Set-up for the JavaScript and official-Rust interop suites, run by
//! `cargo xtask test` before `cargo test` (and by `cargo xtask bench`):
//!
//! - `tests/js`: `npm ci` (npm registry, versions pinned by the committed
//!   package-lock.json) when `node_modules` is missing;
//! - `tests/official-rust`: `cargo build` of its own workspace (its own lock
//!   file, target folder `target/official-rust`), whose binary the tests run.
//!
//! Without node/npm the JavaScript set-up fails when `CI` is set and is left
//! out with a warning otherwise (the test then says it is skipped).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty())
}

fn tool_works(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs `npm ci` in `tests/js` when its `node_modules` lacks the SDK.
pub fn ensure_node_modules(root: &Path) -> Result<()> {
    let suite = root.join("tests/js");
    if suite.join("node_modules/@azure/keyvault-keys").exists() {
        return Ok(());
    }
    if !tool_works("node") || !tool_works("npm") {
        if in_ci() {
            bail!("node and npm are needed for the JavaScript interop suite (CI is set)");
        }
        eprintln!("xtask: node/npm not found: the JavaScript interop tests will be skipped");
        return Ok(());
    }
    eprintln!("xtask: npm ci in tests/js for the JavaScript interop suite (npm registry)");
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(&suite)
        .status()
        .context("running npm ci")?;
    if !status.success() {
        bail!("npm ci in tests/js failed ({status})");
    }
    Ok(())
}

/// Builds `tests/official-rust` into `<target>/official-rust` (in release
/// mode for the benchmark's generator) and returns the profile's folder,
/// which holds its binaries (`official-rust-interop`, `bench`).
pub fn build_official_rust(root: &Path, target: &Path, release: bool) -> Result<PathBuf> {
    let target_dir = target.join("official-rust");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    eprintln!("xtask: building tests/official-rust (the official Rust SDK, its own workspace)");
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root)
        .args(["build", "--locked", "--manifest-path"])
        .arg(root.join("tests/official-rust/Cargo.toml"))
        .env("CARGO_TARGET_DIR", &target_dir);
    if release {
        cmd.arg("--release");
    }
    let status = cmd
        .status()
        .context("running cargo build for tests/official-rust")?;
    if !status.success() {
        bail!("cargo build of tests/official-rust failed ({status})");
    }
    Ok(target_dir.join(if release { "release" } else { "debug" }))
}
