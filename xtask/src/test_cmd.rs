//! `cargo xtask test`: the whole test suite, as README.md gives it.
//!
//! 1. makes `.venv` from `tests/python/requirements.txt` (PyPI) when it is
//!    missing or lacks a package, for the official-SDK interop suites;
//! 2. runs `npm ci` in `tests/js` when `node_modules` is missing and builds
//!    `tests/official-rust` (see `interop.rs`);
//! 3. builds the emulator binary the interop suites start;
//! 4. runs `cargo test --workspace` (unit, integration, doc tests) with
//!    `KEYVAULT_PYTHON`, `KEYVAULT_EMULATOR_BIN` and
//!    `KEYVAULT_OFFICIAL_RUST_BIN` set.

use std::path::Path;
use std::process::{Command, ExitCode};

use anyhow::{Context, Result, bail};

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

fn run(cmd: &mut Command, what: &str) -> Result<()> {
    let status = cmd.status().with_context(|| format!("running {what}"))?;
    if !status.success() {
        bail!("{what} failed ({status})");
    }
    Ok(())
}

fn python_ready(python: &Path) -> bool {
    python.exists()
        && Command::new(python)
            .args([
                "-c",
                "import azure.keyvault.keys, azure.identity, aiohttp, cryptography, pytest",
            ])
            .status()
            .is_ok_and(|s| s.success())
}

/// Makes `.venv` with the interop packages when it lacks one; returns its Python.
pub fn ensure_python(root: &Path) -> Result<std::path::PathBuf> {
    let venv = root.join(".venv");
    let python = venv.join("bin/python");
    if python_ready(&python) {
        return Ok(python);
    }
    eprintln!("xtask: setting up .venv for the interop suites (PyPI)");
    if !python.exists() {
        run(
            Command::new("python3").args(["-m", "venv"]).arg(&venv),
            "python3 -m venv .venv",
        )?;
    }
    run(
        Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-r",
            ])
            .arg(root.join("tests/python/requirements.txt")),
        "pip install -r tests/python/requirements.txt",
    )?;
    if !python_ready(&python) {
        bail!("the Python environment still lacks a package after pip install");
    }
    Ok(python)
}

/// Makes `.venv-beta` with the official SDK's pre-release
/// (`tests/python_beta/requirements.txt`) when it lacks one; returns its
/// Python.
pub fn ensure_python_beta(root: &Path) -> Result<std::path::PathBuf> {
    let venv = root.join(".venv-beta");
    let python = venv.join("bin/python");
    let ready = |p: &Path| {
        p.exists()
            && Command::new(p)
                .args(["-c", "from azure.keyvault.keys import ExternalKey"])
                .status()
                .is_ok_and(|s| s.success())
    };
    if ready(&python) {
        return Ok(python);
    }
    eprintln!("xtask: setting up .venv-beta for the pre-release interop suite (PyPI)");
    if !python.exists() {
        run(
            Command::new("python3").args(["-m", "venv"]).arg(&venv),
            "python3 -m venv .venv-beta",
        )?;
    }
    run(
        Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-r",
            ])
            .arg(root.join("tests/python_beta/requirements.txt")),
        "pip install -r tests/python_beta/requirements.txt",
    )?;
    if !ready(&python) {
        bail!("the pre-release Python environment still lacks a package after pip install");
    }
    Ok(python)
}

pub fn run_tests(extra: &[String]) -> Result<ExitCode> {
    let root = crate::workspace_root();
    let python = ensure_python(&root)?;
    let python_beta = ensure_python_beta(&root)?;
    crate::interop::ensure_node_modules(&root)?;
    run(
        Command::new(cargo()).current_dir(&root).args([
            "build",
            "-p",
            "keyvault-emulator",
            "--bins",
        ]),
        "cargo build -p keyvault-emulator",
    )?;
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| root.join("target"));
    let official_rust =
        crate::interop::build_official_rust(&root, &target, false)?.join("official-rust-interop");
    let status = Command::new(cargo())
        .current_dir(&root)
        .args(["test", "--workspace"])
        .args(extra)
        .env("KEYVAULT_PYTHON", &python)
        .env("KEYVAULT_PYTHON_BETA", &python_beta)
        .env(
            "KEYVAULT_EMULATOR_BIN",
            target.join("debug/keyvault-emulator"),
        )
        .env("KEYVAULT_OFFICIAL_RUST_BIN", &official_rust)
        .status()
        .context("running cargo test")?;
    Ok(if status.success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
