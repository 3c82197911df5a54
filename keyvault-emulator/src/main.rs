//! `keyvault-emulator`: a local Key Vault keys service over HTTPS.
//!
//! ```text
//! keyvault-emulator [--listen ADDR:PORT] [--data-dir DIR] [--hostname NAME]...
//!                   [--ca-out FILE] [--token TOKEN[:role=ROLE|:permissions=P,...]]...
//!                   [--insecure-any-token]
//!                   [--flavor any|vault|managed-hsm] [--tls-cert FILE --tls-key FILE]
//!                   [--trust-attestation-key AUTHORITY=FILE]...
//!                   [--tls-handshake-timeout SECS] [--header-read-timeout SECS]
//!                   [--body-read-timeout SECS] [--write-timeout SECS] [--max-connections N]
//!                   [--faults throttle=P,reset=P[,latency=MS][,seed=N]]
//!                   [--soft-delete-retention-days N] [--purge-protection]
//!                   [--max-api-version V] [--vault NAME[,SETTING]...]... [--import FILE]
//!                   [--operation-latency delete=MS,recover=MS,purge=MS]
//! ```
//!
//! Once it accepts connections it prints, each alone on a line,
//! `KEYVAULT_URL=<vault url>` and `KEYVAULT_CA=<path of the CA PEM>`;
//! logs go to stderr. SIGINT/SIGTERM stop it after requests in flight end.
//!
//! Hidden, for the benchmark suite only: `--bench-zero-work` serves the
//! same listener, TLS and hyper stack but answers without touching the
//! vault (the challenge to a request without a token, a fixed EC key to
//! any other: the zero-work baseline of issue 11's emulator figures), and
//! SIGUSR1 prints `KEYVAULT_STATS requests=N handshakes=M`.
//!
//! The CA file is written to `--ca-out` (as a new file renamed into place,
//! so a symlink planted there is replaced, never followed), or into a
//! private directory (0700) the emulator creates under the temporary
//! directory; the file is 0600.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use keyvault_emulator::{Emulator, EmulatorOptions};

const USAGE: &str = "usage: keyvault-emulator [--listen ADDR:PORT] [--data-dir DIR] [--hostname NAME]... [--ca-out FILE] [--token TOKEN | --insecure-any-token] [--flavor any|vault|managed-hsm] [--tls-cert FILE --tls-key FILE] [--trust-attestation-key AUTHORITY=FILE]... [--tls-handshake-timeout SECS] [--header-read-timeout SECS] [--body-read-timeout SECS] [--write-timeout SECS] [--max-connections N] [--faults throttle=P,reset=P[,latency=MS][,seed=N]] [--soft-delete-retention-days N] [--purge-protection] [--max-api-version V]

  --token TOKEN[:role=ROLE|:permissions=P,P,...]  (repeatable) accept TOKEN with every permission, a
                                  built-in role (Key Vault Administrator, Crypto Officer, Crypto User,
                                  Reader, Crypto Service Encryption User, Crypto Service Release User),
                                  or access-policy key permissions (get, list, create, import, update,
                                  delete, purge, recover, backup, restore, encrypt, decrypt, wrapKey,
                                  unwrapKey, sign, verify, release, rotate, getrotationpolicy,
                                  setrotationpolicy, or all); a request without the permission gets the
                                  service's 403 (ForbiddenByRbac / ForbiddenByPolicy)
  --vault NAME[,flavor=vault|managed-hsm][,retention-days=N][,purge-protection][,max-api-version=V]
                                  (repeatable) a named vault at https://NAME.vault.localhost:PORT
                                  (https://NAME.managedhsm.localhost:PORT for a Managed HSM), with its
                                  own keys and settings; without --vault one vault answers every host
  --import FILE                   load a state document (GET /_emulator/state) at start
  --events-webhook URL            POST new events to a loopback URL as Event Grid delivers them
  --operation-latency delete=MS,recover=MS,purge=MS
                                  long operations take time, as the service's do: a deleted key
                                  leaves /keys at once and appears at /deletedkeys only when the
                                  deletion completes (404 until then; a purge meanwhile gets 409
                                  ObjectIsBeingDeleted); recovery likewise in reverse
  --soft-delete-retention-days N  days a deleted key stays recoverable, 7 to 90 (default 90);
                                  recoverableDays, scheduledPurgeDate and recoveryLevel follow it
  --purge-protection              deleted keys cannot be purged (403, as the service answers)
  --max-api-version V             the newest api-version the vault recognises (default: the newest
                                  known), like an older or sovereign cloud: newer ones are refused";

struct Args {
    options: EmulatorOptions,
    ca_out: Option<PathBuf>,
    /// Hidden `--bench-zero-work`: serve `Emulator::start_zero_work` (the
    /// same stack answering without the vault) for the benchmark suite.
    zero_work: bool,
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

fn seconds(flag: &str, v: &str) -> Result<std::time::Duration, String> {
    v.parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s > 0.0 && *s <= 86_400.0)
        .map(std::time::Duration::from_secs_f64)
        .ok_or_else(|| format!("{flag} takes seconds (more than 0, at most 86400), not {v:?}"))
}

fn random_name() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Creates `path` as a new file (never opening an existing one or following
/// a symlink) with mode 0600, and writes `text`.
fn create_new(path: &Path, text: &str) -> std::io::Result<()> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    let mut f = o.open(path)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()
}

/// Writes the CA where `--ca-out` says (a new file renamed over the path,
/// which replaces a symlink rather than following it), or into a private
/// directory of its own under the temporary directory. Returns the path.
fn write_ca(ca_out: Option<PathBuf>, pem: &str) -> Result<PathBuf, String> {
    match ca_out {
        Some(path) => {
            let dir = match path.parent() {
                Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
                _ => PathBuf::from("."),
            };
            let tmp = dir.join(format!(".keyvault-emulator-ca-{}.tmp", random_name()));
            create_new(&tmp, pem).map_err(|e| format!("writing {}: {e}", tmp.display()))?;
            std::fs::rename(&tmp, &path).map_err(|e| {
                let _ = std::fs::remove_file(&tmp);
                format!("writing the CA to {}: {e}", path.display())
            })?;
            Ok(path)
        }
        None => {
            let dir = std::env::temp_dir().join(format!("keyvault-emulator-{}", random_name()));
            let mut b = std::fs::DirBuilder::new();
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
            b.create(&dir)
                .map_err(|e| format!("creating {}: {e}", dir.display()))?;
            let path = dir.join("ca.pem");
            create_new(&path, pem).map_err(|e| format!("writing {}: {e}", path.display()))?;
            Ok(path)
        }
    }
}

fn parse_args() -> Result<Args, String> {
    let mut options = EmulatorOptions {
        listen: ([127, 0, 0, 1], 8443).into(),
        ..Default::default()
    };
    let mut ca_out = None;
    let mut zero_work = false;
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
            "--token" => {
                let grant: keyvault_emulator::TokenGrant = value("--token")?.parse()?;
                match grant.access {
                    keyvault_emulator::Access::Full if options.token.is_none() => {
                        options.token = Some(grant.token)
                    }
                    _ => options.tokens.push(grant),
                }
            }
            "--flavor" => options.flavor = value("--flavor")?.parse()?,
            "--tls-cert" => cert = Some(PathBuf::from(value("--tls-cert")?)),
            "--tls-key" => key = Some(PathBuf::from(value("--tls-key")?)),
            "--trust-attestation-key" => {
                let v = value("--trust-attestation-key")?;
                // The authority is a URL (with no '='); the rest is the file.
                let Some((authority, file)) = v
                    .split_once('=')
                    .filter(|(a, f)| !a.is_empty() && !f.is_empty())
                else {
                    return Err(format!(
                        "--trust-attestation-key takes AUTHORITY=FILE (the issuer whose tokens the key signs, such as https://myattest.weu.attest.azure.net=jwks.json), not {v:?}"
                    ));
                };
                options.trusted_attestation_keys.extend(
                    load_jwks(file)?
                        .into_iter()
                        .map(|k| keyvault_emulator::TrustedAttestationKey::new(authority, k)),
                );
            }
            "--insecure-any-token" => options.insecure_any_token = true,
            "--tls-handshake-timeout" => {
                options.limits.tls_handshake_timeout = seconds(
                    "--tls-handshake-timeout",
                    &value("--tls-handshake-timeout")?,
                )?
            }
            "--header-read-timeout" => {
                options.limits.header_read_timeout =
                    seconds("--header-read-timeout", &value("--header-read-timeout")?)?
            }
            "--body-read-timeout" => {
                options.limits.body_read_timeout =
                    seconds("--body-read-timeout", &value("--body-read-timeout")?)?
            }
            "--write-timeout" => {
                options.limits.write_timeout =
                    seconds("--write-timeout", &value("--write-timeout")?)?
            }
            "--max-connections" => {
                let v = value("--max-connections")?;
                options.limits.max_connections =
                    v.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
                        format!("--max-connections takes a positive integer, not {v:?}")
                    })?;
            }
            "--faults" => options.faults = Some(value("--faults")?.parse()?),
            "--soft-delete-retention-days" => {
                let v = value("--soft-delete-retention-days")?;
                options.soft_delete_retention_days = v
                    .parse()
                    .ok()
                    .filter(|d| (7..=90).contains(d))
                    .ok_or_else(|| {
                        format!("--soft-delete-retention-days takes 7 to 90 days, not {v:?}")
                    })?;
            }
            "--purge-protection" => options.purge_protection = true,
            "--vault" => options.vaults.push(value("--vault")?.parse()?),
            "--import" => options.import = Some(PathBuf::from(value("--import")?)),
            "--events-webhook" => options.events_webhook = Some(value("--events-webhook")?),
            "--operation-latency" => {
                options.operation_latency = value("--operation-latency")?.parse()?
            }
            "--max-api-version" => options.max_api_version = Some(value("--max-api-version")?),
            "--bench-zero-work" => zero_work = true,
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    options.tls_files = match (cert, key) {
        (Some(c), Some(k)) => Some((c, k)),
        (None, None) => None,
        _ => return Err("--tls-cert and --tls-key go together".to_owned()),
    };
    Ok(Args {
        options,
        ca_out,
        zero_work,
    })
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

/// Prints the request and handshake counters on each SIGUSR1 (for
/// `cargo xtask bench`, which counts a client's exchanges at the server).
fn print_stats_on_sigusr1() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut usr1) = signal(SignalKind::user_defined1()) {
            tokio::spawn(async move {
                while usr1.recv().await.is_some() {
                    let mut out = std::io::stdout().lock();
                    let _ = writeln!(out, "{}", keyvault_emulator::bench::stats_line());
                    let _ = out.flush();
                }
            });
        }
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
    print_stats_on_sigusr1();
    let started = if args.zero_work {
        Emulator::start_zero_work(args.options).await
    } else {
        Emulator::start(args.options).await
    };
    let emulator = match started {
        Ok(e) => e,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let ca_path = match write_ca(args.ca_out, emulator.ca_pem()) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "KEYVAULT_URL={}", emulator.vault_url());
    let _ = writeln!(out, "KEYVAULT_CA={}", ca_path.display());
    for (name, url) in emulator.named_vault_urls() {
        let var: String = name
            .chars()
            .map(|c| {
                if c == '-' {
                    '_'
                } else {
                    c.to_ascii_uppercase()
                }
            })
            .collect();
        let _ = writeln!(out, "KEYVAULT_URL_{var}={url}");
    }
    let _ = out.flush();
    drop(out);
    tracing::info!(url = emulator.vault_url(), "listening");
    stop_signal().await;
    tracing::info!("stopping");
    emulator.shutdown().await;
    ExitCode::SUCCESS
}
