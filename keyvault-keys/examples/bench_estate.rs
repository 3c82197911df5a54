//! Benchmark (not a test) of the emulator as a test estate, run by
//! `cargo xtask bench` (P6): prints one JSON line of figures.
//!
//! - rotation: N keys with "rotate 30 days after create", the clock moved a
//!   year: wall time of the advance and the versions it made;
//! - state: N keys exported and imported into a fresh emulator: times and
//!   the document's size;
//! - polling: `delete_key` against deletions that take 0, 300 and 3000 ms:
//!   the time it took and the requests it sent, beside the schedule of the
//!   Python and .NET pollers (at once, then every 2 s).
//!
//! `cargo run --release -p keyvault-keys --example bench_estate [-- --quick]`

use std::time::{Duration, Instant};

use keyvault_emulator::{Emulator, EmulatorOptions};
use keyvault_keys::*;

fn client(emulator: &Emulator) -> Result<KeyClient> {
    KeyClient::new(
        emulator.vault_url(),
        emulator.credential(),
        Some(KeyClientOptions {
            client_options: keyvault_keys::ClientOptions {
                http_client: Some(emulator.http_client()),
                ..Default::default()
            },
        }),
    )
}

/// Makes `n` EC keys, 32 at once.
async fn make_keys(client: &KeyClient, prefix: &str, n: usize) -> Result<()> {
    use futures::StreamExt as _;
    let results: Vec<Result<KeyVaultKey>> = futures::stream::iter(0..n)
        .map(|i| {
            let name = format!("{prefix}-{i}");
            async move { client.create_ec_key(&name, None).await }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    results.into_iter().try_for_each(|r| r.map(|_| ()))
}

/// Requests the emulator answered so far (its process-wide counter).
fn requests() -> u64 {
    keyvault_emulator::bench::stats_line()
        .split_whitespace()
        .find_map(|w| w.strip_prefix("requests="))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// Python's and .NET's pollers: at once, then every 2 s. Returns (seconds
/// until the deletion is seen, requests: the delete and the polls).
fn python_schedule(delay_ms: u64) -> (f64, u64) {
    let mut t = 0u64;
    let mut polls = 1u64;
    while t < delay_ms {
        t += 2000;
        polls += 1;
    }
    (t as f64 / 1000.0, polls + 1)
}

#[tokio::main]
async fn main() -> std::result::Result<(), Box<dyn std::error::Error>> {
    let quick = std::env::args().any(|a| a == "--quick");
    let (rotating, stored) = if quick { (200, 1_000) } else { (1_000, 10_000) };

    // Rotation: every key rotates 12 times in a year.
    let emulator = Emulator::start(EmulatorOptions::default()).await?;
    let c = client(&emulator)?;
    make_keys(&c, "turning", rotating).await?;
    let mut rotate = KeyRotationLifetimeAction::new(KeyRotationPolicyAction::Rotate);
    rotate.time_after_create = Some("P30D".into());
    let policy = KeyRotationPolicy::new(vec![rotate]);
    for i in 0..rotating {
        c.update_key_rotation_policy(&format!("turning-{i}"), &policy, None)
            .await?;
    }
    let started = Instant::now();
    emulator
        .advance_clock(Duration::from_secs(365 * 86_400))
        .await?;
    let rotation_s = started.elapsed().as_secs_f64();
    // Versions made: every version in the state, less the first of each key
    // (the event log keeps the newest 10,000 events only).
    let state = emulator.export_state().await?;
    let versions: usize = state["vaults"][0]["keys"]
        .as_array()
        .map(|keys| {
            keys.iter()
                .map(|k| k["versions"].as_array().map_or(0, Vec::len))
                .sum()
        })
        .unwrap_or(0);
    let new_versions = versions.saturating_sub(rotating);
    emulator.shutdown().await;

    // State: export and import.
    let emulator = Emulator::start(EmulatorOptions::default()).await?;
    let c = client(&emulator)?;
    make_keys(&c, "stored", stored).await?;
    let started = Instant::now();
    let state = emulator.export_state().await?;
    let export_s = started.elapsed().as_secs_f64();
    let size = serde_json::to_vec(&state)?.len();
    emulator.shutdown().await;
    let fresh = Emulator::start(EmulatorOptions::default()).await?;
    let started = Instant::now();
    fresh.import_state(&state).await?;
    let import_s = started.elapsed().as_secs_f64();
    fresh.shutdown().await;

    // Polling: deletions that take time.
    let mut polling = Vec::new();
    for delay_ms in [0u64, 300, 3000] {
        let emulator = Emulator::start(EmulatorOptions {
            operation_latency: format!("delete={delay_ms}").parse()?,
            ..Default::default()
        })
        .await?;
        let c = client(&emulator)?;
        c.create_ec_key("polled", None).await?;
        let before = requests();
        let started = Instant::now();
        c.delete_key("polled", None).await?;
        let took = started.elapsed().as_secs_f64();
        let sent = requests() - before;
        let (python_s, python_requests) = python_schedule(delay_ms);
        polling.push(serde_json::json!({
            "delay_ms": delay_ms,
            "ours_s": took,
            "ours_requests": sent,
            "python_net_s": python_s,
            "python_net_requests": python_requests,
        }));
        emulator.shutdown().await;
    }

    println!(
        "{}",
        serde_json::json!({
            "rotation": {"keys": rotating, "advance_s": rotation_s, "new_versions": new_versions},
            "state": {"keys": stored, "export_s": export_s, "import_s": import_s, "bytes": size},
            "polling": polling,
        })
    );
    Ok(())
}
