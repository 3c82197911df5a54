//! End-to-end tests across the workspace's crates (see `tests/`), and the
//! official-SDK interop suites (`python/`, `js/`, `official-rust/`), run by
//! `cargo xtask test`.
//!
//! Helpers shared by those tests live here.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

pub mod durability;
pub mod interop;

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    here.parent().map(PathBuf::from).unwrap_or(here)
}

/// The emulator binary: `KEYVAULT_EMULATOR_BIN`, else next to the test
/// executable's target folder (`cargo xtask test` builds it first).
pub fn emulator_binary() -> Result<PathBuf, String> {
    if let Ok(p) = std::env::var("KEYVAULT_EMULATOR_BIN") {
        return Ok(PathBuf::from(p));
    }
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    // target/<profile>/deps/<test> → target/<profile>/keyvault-emulator
    let candidate = exe
        .parent()
        .and_then(|deps| deps.parent())
        .map(|profile| profile.join("keyvault-emulator"))
        .ok_or("cannot locate the target folder")?;
    if candidate.exists() {
        Ok(candidate)
    } else {
        Err(format!(
            "the emulator binary is not at {}: build it with `cargo build -p keyvault-emulator`, or run `cargo xtask test`",
            candidate.display()
        ))
    }
}

/// A running emulator process, stopped (SIGTERM, then kill) when dropped.
pub struct EmulatorProcess {
    child: Child,
    /// `KEYVAULT_URL` as the binary printed it.
    pub url: String,
    /// `KEYVAULT_CA` as the binary printed it.
    pub ca: String,
}

impl EmulatorProcess {
    /// Starts the binary on a free port with `extra` arguments and reads its
    /// two `KEY=value` lines, as a script would.
    pub fn start(extra: &[&str]) -> Result<Self, String> {
        let bin = emulator_binary()?;
        let mut child = Command::new(&bin)
            .args(["--listen", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("starting {}: {e}", bin.display()))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let (mut url, mut ca) = (None, None);
        while url.is_none() || ca.is_none() {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(v) = line.strip_prefix("KEYVAULT_URL=") {
                        url = Some(v.to_owned());
                    } else if let Some(v) = line.strip_prefix("KEYVAULT_CA=") {
                        ca = Some(v.to_owned());
                    }
                }
                _ => {
                    let _ = child.kill();
                    return Err(
                        "the emulator exited before printing KEYVAULT_URL and KEYVAULT_CA".into(),
                    );
                }
            }
        }
        Ok(Self {
            child,
            url: url.unwrap_or_default(),
            ca: ca.unwrap_or_default(),
        })
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGKILL (no chance to clean up) and waits for the exit status.
    pub fn kill(mut self) -> Result<std::process::ExitStatus, String> {
        self.child.kill().map_err(|e| format!("kill -KILL: {e}"))?;
        self.child.wait().map_err(|e| e.to_string())
    }

    /// Sends SIGTERM and waits for the exit status.
    pub fn terminate(mut self) -> Result<std::process::ExitStatus, String> {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .map_err(|e| e.to_string())?;
        if !status.success() {
            return Err("kill -TERM failed".into());
        }
        self.child.wait().map_err(|e| e.to_string())
    }
}

impl Drop for EmulatorProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The Python with the interop packages: `KEYVAULT_PYTHON`, else the
/// workspace's `.venv` (made by `cargo xtask test`).
pub fn python() -> Result<PathBuf, String> {
    if let Ok(p) = std::env::var("KEYVAULT_PYTHON") {
        return Ok(PathBuf::from(p));
    }
    let venv = workspace_root().join(".venv/bin/python");
    if venv.exists() {
        Ok(venv)
    } else {
        Err("no Python environment for the interop suite: run `cargo xtask test` (it creates .venv from tests/python/requirements.txt), or set KEYVAULT_PYTHON".into())
    }
}
