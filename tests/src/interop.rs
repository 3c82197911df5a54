//! Helpers for the JavaScript and official-Rust interop tests: locating the
//! tools, skipping (outside CI) or failing (in CI) when one is missing, and
//! making `vault.localhost` resolve for the default-settings scenario.

use std::net::ToSocketAddrs as _;
use std::path::PathBuf;
use std::process::{Command, Output};

use crate::workspace_root;

/// Whether a missing tool fails the test (`CI` is set) or skips it.
pub fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty())
}

/// What a test does when something it needs is missing: in CI this panics
/// (a skipped interop test must not pass there); elsewhere it says why the
/// test is skipped (see [`say`]) and returns, so the caller returns too.
pub fn missing(what: &str) {
    if in_ci() {
        panic!("CI is set, so this interop test may not be skipped: {what}");
    }
    say(&format!("SKIPPED: {what}"));
}

/// Writes a line to the real stderr, past the test harness's capture, so a
/// skip is visible in `cargo test`'s output even when the test passes.
pub fn say(line: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// The `node` executable (`KEYVAULT_NODE`, else `node` on `PATH`) and the
/// JavaScript suite's folder with its `node_modules`, or why not.
pub fn node_and_suite() -> Result<(PathBuf, PathBuf), String> {
    let node = std::env::var_os("KEYVAULT_NODE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("node"));
    let version = Command::new(&node)
        .arg("--version")
        .output()
        .map_err(|e| format!("node is not available ({}: {e})", node.display()))?;
    if !version.status.success() {
        return Err(format!("`{} --version` failed", node.display()));
    }
    let suite = workspace_root().join("tests/js");
    if !suite.join("node_modules/@azure/keyvault-keys").exists() {
        return Err(format!(
            "{}/node_modules is missing: run `cargo xtask test` (it runs `npm ci` there)",
            suite.display()
        ));
    }
    Ok((node, suite))
}

/// The official-Rust interop binary: `KEYVAULT_OFFICIAL_RUST_BIN` (set by
/// `cargo xtask test`, which builds it), or why not.
pub fn official_rust_binary() -> Result<PathBuf, String> {
    let path = std::env::var_os("KEYVAULT_OFFICIAL_RUST_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            workspace_root().join("target/official-rust/debug/official-rust-interop")
        });
    if path.exists() {
        Ok(path)
    } else {
        Err(format!(
            "the official-Rust interop binary is not at {}: run `cargo xtask test` (it builds tests/official-rust)",
            path.display()
        ))
    }
}

/// How a client process gets to resolve a name to 127.0.0.1.
#[derive(Debug)]
pub enum NameResolution {
    /// The system resolver already maps it to loopback.
    Native,
    /// Run the client under `unshare -m` with a hosts file bind-mounted over
    /// `/etc/hosts` (needs CAP_SYS_ADMIN, as root in CI).
    PrivateHosts {
        /// The hosts file mounted over `/etc/hosts`.
        hosts: PathBuf,
        /// Also a user namespace (`unshare -r`), for a user without
        /// CAP_SYS_ADMIN where unprivileged user namespaces are allowed.
        user_namespace: bool,
    },
}

impl NameResolution {
    /// Finds a way to make `host` resolve to 127.0.0.1 for child processes,
    /// or says why there is none. `scratch` holds the hosts file.
    pub fn for_host(host: &str, scratch: &std::path::Path) -> Result<Self, String> {
        let loopback = |addrs: Vec<std::net::SocketAddr>| {
            !addrs.is_empty() && addrs.iter().all(|a| a.ip().is_loopback())
        };
        if let Ok(addrs) = (host, 443).to_socket_addrs()
            && loopback(addrs.collect())
        {
            return Ok(Self::Native);
        }
        let hosts = scratch.join("hosts");
        let mut text = std::fs::read_to_string("/etc/hosts").unwrap_or_default();
        if !text.ends_with('\n') && !text.is_empty() {
            text.push('\n');
        }
        text.push_str(&format!("127.0.0.1 {host}\n"));
        std::fs::write(&hosts, text).map_err(|e| format!("writing {}: {e}", hosts.display()))?;
        let mut failures = Vec::new();
        for user_namespace in [false, true] {
            let this = Self::PrivateHosts {
                hosts: hosts.clone(),
                user_namespace,
            };
            match this.command("getent").args(["hosts", host]).output() {
                Ok(probe)
                    if probe.status.success()
                        && String::from_utf8_lossy(&probe.stdout).starts_with("127.0.0.1") =>
                {
                    return Ok(this);
                }
                Ok(probe) => failures.push(format!(
                    "{}: {}",
                    this.describe(),
                    String::from_utf8_lossy(&probe.stderr).trim()
                )),
                Err(e) => failures.push(format!("`unshare` is not available: {e}")),
            }
        }
        Err(format!(
            "{host} does not resolve here, and no private mount namespace with its own /etc/hosts \
             could be made (needs root, CAP_SYS_ADMIN or unprivileged user namespaces): {}",
            failures.join("; ")
        ))
    }

    /// A command running `program` where the name resolves.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        match self {
            Self::Native => Command::new(program),
            Self::PrivateHosts {
                hosts,
                user_namespace,
            } => {
                let mut c = Command::new("unshare");
                if *user_namespace {
                    c.arg("-r");
                }
                c.args([
                    "-m",
                    "sh",
                    "-c",
                    r#"mount --bind "$0" /etc/hosts && exec "$@""#,
                ])
                .arg(hosts)
                .arg(program);
                c
            }
        }
    }

    /// Said in the test's output.
    pub fn describe(&self) -> &'static str {
        match self {
            Self::Native => "the system resolver maps it to loopback",
            Self::PrivateHosts {
                user_namespace: false,
                ..
            } => "a private mount namespace (unshare -m) with its own /etc/hosts",
            Self::PrivateHosts {
                user_namespace: true,
                ..
            } => "private user and mount namespaces (unshare -r -m) with their own /etc/hosts",
        }
    }
}

/// Prints a client's output and asserts it exited 0 and printed `marker`.
pub fn assert_client_passed(what: &str, output: &Output, marker: &str) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("--- {what} ---\n{stdout}");
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    assert!(
        stdout.contains(marker),
        "{what} did not report success ({marker:?}):\n{stdout}\n{stderr}"
    );
}
