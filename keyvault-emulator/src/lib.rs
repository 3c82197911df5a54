//! # keyvault-emulator
//!
//! A local Azure Key Vault keys service over HTTPS: every operation of
//! api-version 2025-07-01 with the service's semantics, real cryptography
//! (through `keyvault-crypto`'s engine), the service's challenge, error
//! bodies and wire details, so that our client **and the official Azure
//! SDKs** work against it.
//!
//! Start it in-process on a free port:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use keyvault_emulator::{Emulator, EmulatorOptions};
//! use keyvault_keys_protocol::{Client, call};
//!
//! let emulator = Emulator::start(EmulatorOptions::default()).await?;
//! let client = Client::with_credential(emulator.vault_url(), emulator.credential(), emulator.client_options())?;
//! let keys = call(client.get_keys(None)).await?;
//! assert!(keys.value.is_empty());
//! emulator.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! The client-side helpers ([`Emulator::credential`],
//! [`Emulator::http_client`], [`Emulator::client_options`],
//! `StaticTokenCredential`) are behind the `client-helpers` feature (on by
//! default): they are for the tests and examples that talk to the emulator,
//! and pull in client crates (azure_core, reqwest) the service itself does
//! not need. `cargo build -p keyvault-emulator --no-default-features` builds
//! the service alone.
//!
//! Or run the binary (see `src/main.rs` for its contract):
//! `keyvault-emulator --listen 127.0.0.1:0` prints `KEYVAULT_URL=…` and
//! `KEYVAULT_CA=…` once it accepts connections.
//!
//! It is a test estate too: several vaults by host name
//! ([`EmulatorOptions::vaults`]), vault settings (soft-delete retention,
//! purge protection, the newest api-version, Managed HSM), permissions
//! ([`TokenGrant`]: built-in roles and access policies, refused with the
//! service's 403s), a clock tests move ([`Emulator::advance_clock`]: what
//! falls due — automatic rotation, retention purges, expiry events — runs
//! in time order), the service's Event Grid events ([`Emulator::events`]),
//! the whole state as one document ([`Emulator::export_state`],
//! [`Emulator::import_state`]), long operations that take time
//! ([`EmulatorOptions::operation_latency`]), and a management API under
//! `/_emulator/` for tests in any language.
//!
//! What differs from the real service is listed in the crate's README
//! section of the repository; key attestation is emulated (its blobs say
//! so), and release trusts the attestation keys it is given.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod access;
mod api_error;
mod backup;
#[doc(hidden)]
pub mod bench;
mod byok;
#[cfg(feature = "client-helpers")]
mod client_helpers;
pub mod clock;
mod deadline;
mod faults;
mod files;
// Entry points of the fuzz targets: compiled for `cargo fuzz` (which sets
// `--cfg fuzzing`) and the unit tests only.
#[cfg(any(test, fuzzing))]
#[doc(hidden)]
pub mod fuzzing;
pub mod release;
mod server;
mod state;
mod state_doc;
mod store;
mod tls;
mod versions;
mod webhook;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use hyper_util::rt::TokioIo;
use keyvault_crypto::JsonWebKey;
use tokio::net::TcpListener;

pub use access::{Access, Role, TokenGrant};
#[cfg(feature = "client-helpers")]
pub use client_helpers::StaticTokenCredential;
pub use faults::{FaultStats, Faults};
pub use server::estate::VaultOptions;
pub use server::{EMULATOR_TENANT, MAX_BODY, SERVICE_VERSION, challenge_resource};
pub use state::Latency as OperationLatency;

/// Which service the emulator behaves as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Flavor {
    /// Everything a vault or a Managed HSM accepts.
    #[default]
    Any,
    /// A standard/premium vault: no oct keys, no random bytes, no
    /// HSM-only algorithms.
    Vault,
    /// A Managed HSM: every key is HSM-protected (`RSA`, `EC` and `oct`
    /// are created and imported as `RSA-HSM`, `EC-HSM` and `oct-HSM`).
    ManagedHsm,
}

impl std::str::FromStr for Flavor {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "any" => Ok(Flavor::Any),
            "vault" => Ok(Flavor::Vault),
            "managed-hsm" => Ok(Flavor::ManagedHsm),
            other => Err(format!(
                "--flavor takes any, vault or managed-hsm, not {other:?}"
            )),
        }
    }
}

/// How to start the emulator.
#[derive(Clone, Debug)]
pub struct EmulatorOptions {
    /// Where to listen; port 0 picks a free port. Default `127.0.0.1:0`.
    pub listen: SocketAddr,
    /// Extra host names for the certificate (and the first one for the vault URL).
    pub hostnames: Vec<String>,
    /// Persist in SQLite under this folder; in memory when `None`.
    pub data_dir: Option<PathBuf>,
    /// A bearer token with every permission. Without it and without
    /// `tokens`, any non-empty token is accepted (with every permission).
    pub token: Option<String>,
    /// Bearer tokens with a built-in role or access-policy permissions
    /// ([`TokenGrant`]): a request without the permission its operation
    /// needs gets the service's 403 (`ForbiddenByRbac` or
    /// `ForbiddenByPolicy`) and changes nothing. When any is given, only
    /// these and `token` are accepted.
    pub tokens: Vec<TokenGrant>,
    /// Which service to behave as.
    pub flavor: Flavor,
    /// A certificate chain and key (PEM files) instead of a generated CA.
    pub tls_files: Option<(PathBuf, PathBuf)>,
    /// Public keys of the attestation authorities whose tokens release
    /// trusts, each bound to the authority (`iss`) it may speak for.
    pub trusted_attestation_keys: Vec<TrustedAttestationKey>,
    /// Accept any non-empty bearer token even when listening on an address
    /// other than loopback (without it, such a start needs `token`).
    pub insecure_any_token: bool,
    /// Time-outs and the connection cap.
    pub limits: ConnectionLimits,
    /// Faults to inject (throttling, dropped connections, latency); none
    /// when `None`.
    pub faults: Option<Faults>,
    /// Days a deleted key stays recoverable, 7 to 90 (default 90, the
    /// service's default). `recoverableDays`, `scheduledPurgeDate` and the
    /// recovery level follow it.
    pub soft_delete_retention_days: u32,
    /// Purge protection: a deleted key cannot be purged (403, as the
    /// service refuses it) and the recovery level says so.
    pub purge_protection: bool,
    /// The newest api-version the vault recognises (default: the newest
    /// known), to behave like an older or sovereign cloud: a newer version
    /// is refused as unknown, naming this one.
    pub max_api_version: Option<String>,
    /// Named vaults, each addressed by its host name
    /// (`https://NAME.vault.localhost:PORT`, `https://NAME.managedhsm.localhost:PORT`),
    /// with its own keys and settings (those it does not give are the
    /// ones above). Without any, one default vault answers every host.
    pub vaults: Vec<VaultOptions>,
    /// A state document ([`Emulator::export_state`]) to load at start.
    pub import: Option<PathBuf>,
    /// How long a deletion, a recovery and a purge take (default: at once),
    /// as the service's do ("may take several seconds"): a deleted key
    /// leaves `/keys/{name}` at once but appears at `/deletedkeys/{name}`
    /// only when the deletion completes (404 until then); a purge or
    /// recovery meanwhile gets 409 `Conflict` (`ObjectIsBeingDeleted`).
    pub operation_latency: OperationLatency,
    /// POST every batch of new events to this loopback URL (`http://127.0.0.1:PORT/path`),
    /// as Event Grid delivers them.
    pub events_webhook: Option<String>,
}

/// A public key an attestation authority signs its tokens with, and the
/// authority (the token's `iss`) it is trusted for: a token signed by this
/// key that claims another issuer is refused.
#[derive(Clone, Debug)]
pub struct TrustedAttestationKey {
    /// The issuer URL, compared with the token's `iss` (a trailing `/` and
    /// letter case do not matter).
    pub authority: String,
    /// The public key.
    pub key: JsonWebKey,
}

impl TrustedAttestationKey {
    /// Trusts `key` for tokens issued by `authority`.
    pub fn new(authority: impl Into<String>, key: JsonWebKey) -> Self {
        Self {
            authority: authority.into(),
            key: key.public_only(),
        }
    }
}

/// How long a connection may take and how many may be open at once.
#[derive(Clone, Debug)]
pub struct ConnectionLimits {
    /// The TLS handshake must finish within this (default 10 s).
    pub tls_handshake_timeout: std::time::Duration,
    /// A request's headers must arrive within this, counted from when the
    /// connection is ready for the next request, so it also closes idle
    /// keep-alive connections (default 30 s).
    pub header_read_timeout: std::time::Duration,
    /// A request's body must arrive within this (default 30 s).
    pub body_read_timeout: std::time::Duration,
    /// A response write that makes no progress for this long (a client that
    /// stopped reading, for example while pipelining requests) closes the
    /// connection (default 30 s).
    pub write_timeout: std::time::Duration,
    /// At most this many connections are served at once; more wait in the
    /// listen backlog (default 512).
    pub max_connections: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            tls_handshake_timeout: std::time::Duration::from_secs(10),
            header_read_timeout: std::time::Duration::from_secs(30),
            body_read_timeout: std::time::Duration::from_secs(30),
            write_timeout: std::time::Duration::from_secs(30),
            max_connections: 512,
        }
    }
}

impl Default for EmulatorOptions {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            hostnames: Vec::new(),
            data_dir: None,
            token: None,
            tokens: Vec::new(),
            flavor: Flavor::Any,
            tls_files: None,
            trusted_attestation_keys: Vec::new(),
            insecure_any_token: false,
            limits: ConnectionLimits::default(),
            faults: None,
            soft_delete_retention_days: 90,
            purge_protection: false,
            max_api_version: None,
            vaults: Vec::new(),
            import: None,
            operation_latency: OperationLatency::default(),
            events_webhook: None,
        }
    }
}

/// Why the emulator could not start.
#[derive(Debug, thiserror::Error)]
#[error("the emulator could not start: {0}")]
pub struct StartError(String);

/// A running emulator.
pub struct Emulator {
    addr: SocketAddr,
    vault_url: String,
    ca_pem: String,
    #[cfg_attr(not(feature = "client-helpers"), allow(dead_code))]
    token: String,
    #[cfg_attr(not(feature = "client-helpers"), allow(dead_code))]
    hostnames: Vec<String>,
    signing_key: JsonWebKey,
    shutdown: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
    store_failures: Arc<std::sync::atomic::AtomicU32>,
    shared: Arc<server::Shared>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("vault_url", &self.vault_url)
            .finish_non_exhaustive()
    }
}

/// The token the emulator's credential hands out (when no `--token` is set).
pub const DEFAULT_TOKEN: &str = "keyvault-emulator-token";

impl Emulator {
    /// Starts listening and serving; returns once connections are accepted.
    ///
    /// Refuses to listen on an address other than loopback without a
    /// `token` unless `insecure_any_token` says so: anyone who can reach the
    /// port could otherwise use the vault.
    pub async fn start(options: EmulatorOptions) -> Result<Self, StartError> {
        Self::start_serving(options, false).await
    }

    /// Benchmarks only: the same listener, TLS configuration, connection
    /// limits, hyper settings and token check as [`Emulator::start`], but
    /// without the vault: a request without the token gets the challenge,
    /// any other a fixed EC key bundle named for its path. The emulator's
    /// requests per second divided by this server's, measured in the same
    /// run with the same client, is the share of the stack's capacity the
    /// vault's own work leaves (issue 11, goal ≥ 0.8). The binary serves it
    /// with the hidden flag `--bench-zero-work`.
    #[doc(hidden)]
    pub async fn start_zero_work(options: EmulatorOptions) -> Result<Self, StartError> {
        Self::start_serving(options, true).await
    }

    async fn start_serving(options: EmulatorOptions, zero_work: bool) -> Result<Self, StartError> {
        if !options.listen.ip().is_loopback()
            && options.token.is_none()
            && options.tokens.is_empty()
            && !options.insecure_any_token
        {
            return Err(StartError(format!(
                "listening on {} (not a loopback address) without --token would let anyone who can reach it use the vault with any bearer token; give --token TOKEN (EmulatorOptions::token), or --insecure-any-token (EmulatorOptions::insecure_any_token) to accept that",
                options.listen
            )));
        }
        let tls = match &options.tls_files {
            Some((cert, key)) => tls::from_files(cert, key),
            None => tls::generate(&options.hostnames),
        }
        .map_err(StartError)?;
        let listener = TcpListener::bind(options.listen)
            .await
            .map_err(|e| StartError(format!("binding {}: {e}", options.listen)))?;
        let addr = listener
            .local_addr()
            .map_err(|e| StartError(e.to_string()))?;
        let host = match options.hostnames.first() {
            Some(h) => h.clone(),
            None if addr.ip().is_unspecified() => "127.0.0.1".to_owned(),
            None if addr.is_ipv6() => format!("[{}]", addr.ip()),
            None => addr.ip().to_string(),
        };
        let default_url = format!("https://{host}:{}", addr.port());
        let shared = Arc::new(server::Shared::serving(
            &options,
            &default_url,
            addr.port(),
        )?);
        if let Some(url) = &options.events_webhook {
            webhook::spawn(webhook::parse(url).map_err(StartError)?, &shared.events);
        }
        if let Some(path) = &options.import {
            let s = shared.clone();
            let path = path.clone();
            tokio::task::spawn_blocking(move || state_doc::import_file(&s, &path))
                .await
                .map_err(|e| StartError(e.to_string()))?
                .map_err(StartError)?;
        }
        let vault_url = shared.estate.first().map_or(default_url, |v| v.url.clone());
        let store_failures = shared
            .estate
            .first()
            .map(|v| v.store_failures())
            .unwrap_or_default();
        let signing_key = shared.signing_key.clone();
        let (shutdown, stop) = tokio::sync::watch::channel(false);
        let acceptor = tokio_rustls::TlsAcceptor::from(tls.config.clone());
        let task = tokio::spawn(accept_loop(
            listener,
            acceptor,
            shared.clone(),
            options.limits.clone(),
            stop,
            zero_work,
        ));
        Ok(Self {
            addr,
            vault_url,
            ca_pem: tls.ca_pem,
            token: options.token.unwrap_or_else(|| DEFAULT_TOKEN.to_owned()),
            hostnames: options.hostnames,
            signing_key,
            shutdown,
            task,
            store_failures,
            shared,
        })
    }

    /// Every vault's name and URL: the default vault, or the named ones by
    /// name.
    pub fn vault_urls(&self) -> Vec<(String, String)> {
        self.shared
            .estate
            .all()
            .iter()
            .map(|v| (v.name.clone(), v.url.clone()))
            .collect()
    }

    /// The named vaults' names and URLs (without the default vault).
    pub fn named_vault_urls(&self) -> Vec<(String, String)> {
        self.shared
            .estate
            .named()
            .iter()
            .map(|(_, v)| (v.name.clone(), v.url.clone()))
            .collect()
    }

    /// The URL of the vault named `name`.
    pub fn vault_url_of(&self, name: &str) -> Option<String> {
        self.shared.estate.by_name(name).map(|v| v.url.clone())
    }

    /// Moves the emulator's clock forward by `by` and runs what became due
    /// (retention purges, automatic rotations, expiry events), as
    /// `POST /_emulator/clock {"advance": …}` does. Returns the new time
    /// (Unix seconds).
    pub async fn advance_clock(&self, by: std::time::Duration) -> Result<i64, String> {
        let seconds = i64::try_from(by.as_secs()).map_err(|_| "too far".to_owned())?;
        let now = self.shared.clock.advance(seconds)?;
        let shared = self.shared.clone();
        tokio::task::spawn_blocking(move || {
            server::run_due_everywhere(&shared, now.saturating_mul(1000))
        })
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.message)?;
        Ok(now)
    }

    /// The emulator's time (Unix seconds).
    pub fn now(&self) -> i64 {
        self.shared.clock.now()
    }

    /// The events recorded so far (Event Grid schema), after the one whose
    /// id is `since`.
    pub fn events(&self, since: Option<&str>) -> Vec<serde_json::Value> {
        self.shared.events.since(since)
    }

    /// The whole state as one versioned JSON document (every vault, its
    /// settings, keys with **private key material**, deleted keys, the
    /// clock's offset), as `GET /_emulator/state` answers.
    pub async fn export_state(&self) -> Result<serde_json::Value, String> {
        let shared = self.shared.clone();
        tokio::task::spawn_blocking(move || state_doc::export(&shared))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.message)
    }

    /// Writes [`Emulator::export_state`] to `path` as a new 0600 file (it
    /// holds private key material).
    pub async fn export_state_to(&self, path: &std::path::Path) -> Result<(), String> {
        let doc = self.export_state().await?;
        let bytes = serde_json::to_vec(&doc).map_err(|e| e.to_string())?;
        files::write_private(path, &bytes)
    }

    /// Loads a state document, all or nothing, as `PUT /_emulator/state`
    /// does: a malformed or inconsistent one is refused with a message
    /// naming what is wrong, and nothing changes.
    pub async fn import_state(&self, doc: &serde_json::Value) -> Result<(), String> {
        let bytes = serde_json::to_vec(doc).map_err(|e| e.to_string())?;
        let shared = self.shared.clone();
        tokio::task::spawn_blocking(move || state_doc::import(&shared, &bytes))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.message)
    }

    /// What fault injection did so far (all zero without faults).
    pub fn fault_stats(&self) -> FaultStats {
        self.shared
            .faults
            .as_ref()
            .map(|f| f.stats())
            .unwrap_or_default()
    }

    /// The vault URL, `https://HOST:PORT` (the first `hostnames` entry, or the listen address).
    pub fn vault_url(&self) -> &str {
        &self.vault_url
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The PEM certificate clients should trust.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// The public key that signs release results (RS256 JWS).
    pub fn release_signing_key(&self) -> JsonWebKey {
        self.signing_key.public_only()
    }

    /// Makes the next `n` store commits fail (for tests of what a failed
    /// commit leaves behind: nothing).
    #[doc(hidden)]
    pub fn fail_next_commits(&self, n: u32) {
        self.store_failures
            .store(n, std::sync::atomic::Ordering::SeqCst);
    }

    /// Stops accepting, lets requests in flight finish, and returns.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
    }
}

/// A connection the service drops on purpose (fault injection).
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}

impl std::error::Error for Dropped {}

/// Accepts connections while the cap allows, each with a TLS handshake
/// time-out, hyper's header-read time-out (with a timer, so it works) and
/// the body-read time-out in the handler. An accept error (such as running
/// out of file descriptors) backs off instead of spinning.
async fn accept_loop(
    listener: TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
    shared: Arc<server::Shared>,
    limits: ConnectionLimits,
    mut stop: tokio::sync::watch::Receiver<bool>,
    zero_work: bool,
) {
    let permits = Arc::new(tokio::sync::Semaphore::new(limits.max_connections.max(1)));
    let mut connections = tokio::task::JoinSet::new();
    let mut backoff = std::time::Duration::from_millis(10);
    loop {
        // Wait for a free slot before accepting: excess clients wait in the backlog.
        let permit = tokio::select! {
            _ = stop.changed() => break,
            p = permits.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
        };
        let tcp = tokio::select! {
            _ = stop.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok((tcp, _)) => {
                    backoff = std::time::Duration::from_millis(10);
                    tcp
                }
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed; backing off");
                    drop(permit);
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(std::time::Duration::from_secs(1));
                    continue;
                }
            },
        };
        let acceptor = acceptor.clone();
        let shared = shared.clone();
        let mut stop = stop.clone();
        let limits = limits.clone();
        connections.spawn(async move {
            let _permit = permit;
            let Ok(Ok(stream)) =
                tokio::time::timeout(limits.tls_handshake_timeout, acceptor.accept(tcp)).await
            else {
                return;
            };
            bench::count_handshake();
            let service = hyper::service::service_fn(move |req| {
                bench::count_request();
                let shared = shared.clone();
                async move {
                    if zero_work {
                        return Ok(bench::zero_work_answer(
                            &req,
                            server::authorised(&req, shared.accepted.as_deref()),
                        ));
                    }
                    match server::serve(shared, req).await {
                        server::Outcome::Answer(r) => Ok(r),
                        server::Outcome::Drop => Err(Dropped),
                    }
                }
            });
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(limits.header_read_timeout);
            let stream = deadline::WriteDeadline::new(stream, limits.write_timeout);
            let conn = builder.serve_connection(TokioIo::new(stream), service);
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = stop.changed() => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
        });
        while connections.try_join_next().is_some() {}
    }
    // Let requests in flight finish (their writes are committed before they answer).
    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        while connections.join_next().await.is_some() {}
    })
    .await;
}
