//! `keyvault-emulator`: a local Key Vault keys service over HTTPS.
//!
//! ```text
//! keyvault-emulator [--listen ADDR:PORT] [--data-dir DIR] [--hostname NAME]...
//!                   [--ca-out FILE] [--token TOKEN] [--flavor any|vault|managed-hsm]
//!                   [--tls-cert FILE --tls-key FILE] [--trust-attestation-key FILE]...
//! ```
//!
//! Once it accepts connections it prints, each alone on a line,
//! `KEYVAULT_URL=<vault url>` and `KEYVAULT_CA=<path of the CA PEM>`;
//! logs go to stderr. SIGINT/SIGTERM stop it after requests in flight end.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use keyvault_emulator::{Emulator, EmulatorOptions};

const USAGE: &str = "usage: keyvault-emulator [--listen ADDR:PORT] [--data-dir DIR] [--hostname NAME]... [--ca-out FILE] [--token TOKEN] [--flavor any|vault|managed-hsm] [--tls-cert FILE --tls-key FILE] [--trust-attestation-key FILE]...";

struct Args {
    options: EmulatorOptions,
    ca_out: Option<PathBuf>,
}

fn load_jwks(path: &str) -> Result<Vec<keyvault_crypto::JsonWebKey>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("reading {path}: {e}"))?;
    let v: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{path} is not JSON: {e}"))?;
    let keys = match v.get("keys") {
        Some(list) => list.as_array().cloned().unwrap_or_default(),
        None => vec![v],
    };
    keys.into_iter()
        .map(|k| serde_json::from_value(k).map_err(|e| format!("{path}: not a JWK: {e}")))
        .collect()
}

fn parse_args() -> Result<Args, String> {
    let mut options = EmulatorOptions {
        listen: ([127, 0, 0, 1], 8443).into(),
        ..Default::default()
    };
    let mut ca_out = None;
    let (mut cert, mut key) = (None, None);
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .ok_or_else(|| format!("{name} needs a value\n{USAGE}"))
        };
        match flag.as_str() {
            "--listen" => {
                let v = value("--listen")?;
                options.listen = v.parse().map_err(|_| {
                    format!("--listen takes ADDR:PORT such as 127.0.0.1:8443, not {v:?}")
                })?;
            }
            "--data-dir" => options.data_dir = Some(PathBuf::from(value("--data-dir")?)),
            "--hostname" => options.hostnames.push(value("--hostname")?),
            "--ca-out" => ca_out = Some(PathBuf::from(value("--ca-out")?)),
            "--token" => options.token = Some(value("--token")?),
            "--flavor" => options.flavor = value("--flavor")?.parse()?,
            "--tls-cert" => cert = Some(PathBuf::from(value("--tls-cert")?)),
            "--tls-key" => key = Some(PathBuf::from(value("--tls-key")?)),
            "--trust-attestation-key" => options
                .trusted_attestation_keys
                .extend(
                    load_jwks(&value("--trust-attestation-key")?)?
                        .into_iter()
                        .map(|k| keyvault_emulator::TrustedAttestationKey::new("", k)),
                ),
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    options.tls_files = match (cert, key) {
        (Some(c), Some(k)) => Some((c, k)),
        (None, None) => None,
        _ => return Err("--tls-cert and --tls-key go together".to_owned()),
    };
    Ok(Args { options, ca_out })
}

async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "keyvault_emulator=info".into()),
        )
        .init();
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let emulator = match Emulator::start(args.options).await {
        Ok(e) => e,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let ca_path = args.ca_out.unwrap_or_else(|| {
        std::env::temp_dir().join(format!(
            "keyvault-emulator-{}-ca.pem",
            emulator.addr().port()
        ))
    });
    if let Err(e) = std::fs::write(&ca_path, emulator.ca_pem()) {
        eprintln!("writing the CA to {}: {e}", ca_path.display());
        return ExitCode::FAILURE;
    }
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "KEYVAULT_URL={}", emulator.vault_url());
    let _ = writeln!(out, "KEYVAULT_CA={}", ca_path.display());
    let _ = out.flush();
    drop(out);
    tracing::info!(url = emulator.vault_url(), "listening");
    stop_signal().await;
    tracing::info!("stopping");
    emulator.shutdown().await;
    ExitCode::SUCCESS
}
