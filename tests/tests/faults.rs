//! Fault injection: 2,000 mixed operations through our `KeyClient` against an
//! emulator that throttles a quarter of the requests (429/503 with a
//! Retry-After in one of its three forms) and drops the connection of one in
//! twenty (half before the operation ran, half after).
//!
//! What must hold (issue 9): no read and no state-setting write fails; a
//! version-adding write fails only as "outcome unknown", only because its
//! connection was dropped, and no key ends with more versions than the
//! acknowledged creates plus those unknown outcomes. The same workload then
//! runs with the official Python aio client (tests/python/fault_workload.py)
//! against the binary with the same `--faults`, and both failure counts are
//! printed.

use std::collections::BTreeMap;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use futures::TryStreamExt as _;
use futures::stream::{self, StreamExt as _};
use keyvault_crypto::SignatureAlgorithm;
use keyvault_emulator::{Emulator, EmulatorOptions, Faults};
use keyvault_keys::{
    CreateKeyOptions, ErrorKind, KeyClient, KeyClientOptions, KeyCurveName, KeyRotationPolicy,
    UpdateKeyPropertiesOptions,
};
use keyvault_keys_protocol::RetryOptions;
use keyvault_tests::{EmulatorProcess, python, workspace_root};
use tokio::sync::Mutex;

const OPS: usize = 2_000;
const KEYS: usize = 8;
const CONCURRENCY: usize = 16;
const SEED: u64 = 20_261_130;
const FAULTS: &str = "throttle=0.25,reset=0.05,seed=20261130";

/// What an operation does, which decides how it may be retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Class {
    Read,
    SetsState,
    AddsVersion,
}

#[derive(Default, Debug)]
struct Tally {
    ok: BTreeMap<&'static str, u64>,
    failed: BTreeMap<String, u64>,
    unknown_creates: BTreeMap<usize, u64>,
    acked_creates: BTreeMap<usize, u64>,
}

/// A tiny deterministic generator (xorshift64*), so a failing run replays.
fn next(state: &mut u64) -> u64 {
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    state.wrapping_mul(0x2545_f491_4f6c_dd1d)
}

fn client_for(emulator: &Emulator) -> KeyClient {
    KeyClient::new(
        emulator.vault_url(),
        emulator.credential(),
        Some(KeyClientOptions {
            client_options: keyvault_keys::ClientOptions {
                http_client: Some(emulator.http_client()), // With 30 % of the requests faulted, 3 retries would still fail
                // about one read in 120; 10 (Python's default) leaves ~6e-6.
                retry: RetryOptions {
                    max_retries: 10,
                    initial_delay: Duration::from_millis(5),
                    max_delay: Duration::from_millis(50),
                    ..RetryOptions::default()
                },
                ..Default::default()
            },
        }),
    )
    .expect("client")
}

fn ec() -> Option<CreateKeyOptions> {
    Some(CreateKeyOptions {
        curve: Some(KeyCurveName::P256),
        ..Default::default()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_client_under_throttling_and_dropped_connections() {
    let faults: Faults = FAULTS.parse().expect("faults");
    let emulator = Emulator::start(EmulatorOptions {
        faults: Some(faults),
        ..Default::default()
    })
    .await
    .expect("emulator");
    let client = client_for(&emulator);
    let prefix = format!("faults-{}", std::process::id());
    let names: Vec<String> = (0..KEYS).map(|i| format!("{prefix}-{i}")).collect();

    // Set-up: one version per key. A create may end "outcome unknown"; then
    // the key may or may not exist, so create again until one is
    // acknowledged, and count what was unknown.
    let tally = Arc::new(Mutex::new(Tally::default()));
    for (i, name) in names.iter().enumerate() {
        let mut acked = false;
        for _ in 0..10 {
            match client.create_ec_key(name, ec()).await {
                Ok(_) => {
                    acked = true;
                    *tally.lock().await.acked_creates.entry(i).or_default() += 1;
                    break;
                }
                Err(e) if e.kind() == ErrorKind::OutcomeUnknown => {
                    *tally.lock().await.unknown_creates.entry(i).or_default() += 1;
                }
                Err(e) => panic!("set-up create failed with {:?}: {e}", e.kind()),
            }
        }
        assert!(acked, "no create of {name} was acknowledged in 10 tries");
    }

    let mut rng = SEED;
    let plan: Vec<(usize, usize)> = (0..OPS)
        .map(|_| {
            (
                (next(&mut rng) % 7) as usize,
                (next(&mut rng) % KEYS as u64) as usize,
            )
        })
        .collect();
    stream::iter(plan.into_iter().enumerate())
        .for_each_concurrent(CONCURRENCY, |(n, (op, k))| {
            let client = &client;
            let names = &names;
            let tally = tally.clone();
            async move {
                let name = names[k].as_str();
                let (label, class, result): (&'static str, Class, keyvault_keys::Result<()>) =
                    match op {
                        0 => (
                            "create",
                            Class::AddsVersion,
                            client.create_ec_key(name, ec()).await.map(drop),
                        ),
                        1 => ("get", Class::Read, client.get_key(name, None).await.map(drop)),
                        2 => (
                            "update",
                            Class::SetsState,
                            client
                                .update_key_properties(
                                    name,
                                    Some(UpdateKeyPropertiesOptions {
                                        tags: Some([("n".to_owned(), n.to_string())].into()),
                                        ..Default::default()
                                    }),
                                )
                                .await
                                .map(drop),
                        ),
                        3 => (
                            "list_versions",
                            Class::Read,
                            client
                                .list_properties_of_key_versions(name, None)
                                .try_collect::<Vec<_>>()
                                .await
                                .map(drop),
                        ),
                        4 => (
                            "get_policy",
                            Class::Read,
                            client.get_key_rotation_policy(name, None).await.map(drop),
                        ),
                        5 => (
                            "set_policy",
                            Class::SetsState,
                            client
                                .update_key_rotation_policy(
                                    name,
                                    &KeyRotationPolicy::default().with_expires_in("P90D"),
                                    None,
                                )
                                .await
                                .map(drop),
                        ),
                        _ => {
                            let r = match client.get_cryptography_client(name, None) {
                                Ok(c) => c
                                    .sign(&SignatureAlgorithm::Es256, &[1u8; 32], None)
                                    .await
                                    .map(drop)
                                    .map_err(|e| {
                                        keyvault_keys::Error::from(e)
                                    }),
                                Err(e) => Err(e),
                            };
                            ("sign", Class::Read, r)
                        }
                    };
                let mut t = tally.lock().await;
                match result {
                    Ok(()) => {
                        *t.ok.entry(label).or_default() += 1;
                        if class == Class::AddsVersion {
                            *t.acked_creates.entry(k).or_default() += 1;
                        }
                    }
                    Err(e) => {
                        let what = format!("{label}:{:?}", e.kind());
                        *t.failed.entry(what.clone()).or_default() += 1;
                        // Reads and state-setting writes must never fail;
                        // a create may fail only as "outcome unknown", and
                        // only because its connection was dropped.
                        assert_eq!(
                            class,
                            Class::AddsVersion,
                            "{what} failed under faults: {e}"
                        );
                        assert_eq!(e.kind(), ErrorKind::OutcomeUnknown, "{what}: {e}");
                        let cause = e
                            .protocol_error()
                            .expect("the protocol error is kept")
                            .status();
                        assert_eq!(
                            cause, None,
                            "an unknown outcome here comes from a dropped connection, not a status: {e}"
                        );
                        *t.unknown_creates.entry(k).or_default() += 1;
                    }
                }
            }
        })
        .await;

    // The versions each key has, read with retries (faults still on).
    let stats = emulator.fault_stats();
    let t = tally.lock().await;
    let mut over = Vec::new();
    let mut total_versions = 0u64;
    for (i, name) in names.iter().enumerate() {
        let versions = client
            .list_properties_of_key_versions(name, None)
            .try_collect::<Vec<_>>()
            .await
            .expect("list versions")
            .len() as u64;
        total_versions += versions;
        let acked = t.acked_creates.get(&i).copied().unwrap_or(0);
        let unknown = t.unknown_creates.get(&i).copied().unwrap_or(0);
        assert!(
            versions >= acked,
            "{name}: {versions} versions but {acked} acknowledged creates: an acknowledged write was lost"
        );
        if versions > acked + unknown {
            over.push(format!("{name}: {versions} > {acked} + {unknown}"));
        }
    }
    let unknown_total: u64 = t.unknown_creates.values().sum();
    println!(
        "our KeyClient: {OPS} ops, ok {:?}, failed {:?}; {} versions from {} acknowledged + {} unknown creates; emulator {:?}",
        t.ok,
        t.failed,
        total_versions,
        t.acked_creates.values().sum::<u64>(),
        unknown_total,
        stats
    );
    assert!(
        over.is_empty(),
        "keys with more versions than acknowledged + unknown creates: {over:?}"
    );
    assert!(
        unknown_total <= stats.reset_before + stats.reset_after,
        "{unknown_total} unknown outcomes but only {} dropped connections",
        stats.reset_before + stats.reset_after
    );
    // The faults did happen, so the assertions above meant something.
    assert!(stats.throttled > 300, "{stats:?}");
    assert!(stats.reset_before + stats.reset_after > 40, "{stats:?}");
    let ok: u64 = t.ok.values().sum();
    let failed: u64 = t.failed.values().sum();
    assert_eq!(ok + failed, OPS as u64);
    drop(t);
    emulator.shutdown().await;
}

/// The same workload with the official Python aio client, against the binary
/// with the same `--faults`: its failure counts are printed (the official
/// client's behaviour is what it is; this test asserts only that the run
/// completed and was faulted).
#[test]
fn official_python_aio_client_under_the_same_faults() {
    let python = match python() {
        Ok(p) => p,
        Err(e) if std::env::var_os("CI").is_none() => {
            println!("skipped: {e}");
            return;
        }
        Err(e) => panic!("{e}"),
    };
    let emulator = EmulatorProcess::start(&["--faults", FAULTS]).expect("emulator");
    let output = Command::new(&python)
        .arg("tests/python/fault_workload.py")
        .args([OPS.to_string(), SEED.to_string(), CONCURRENCY.to_string()])
        .current_dir(workspace_root())
        .env("KEYVAULT_URL", &emulator.url)
        .env("KEYVAULT_CA", &emulator.ca)
        .output()
        .expect("run the Python workload");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the Python workload crashed:\n{stdout}\n{stderr}"
    );
    let line = stdout.lines().last().unwrap_or_default();
    let report: serde_json::Value = serde_json::from_str(line).expect("one JSON line");
    println!("official Python aio client: {report}");
    let counts = &report["counts"];
    let total: u64 = ["read", "sets_state", "adds_version"]
        .iter()
        .map(|c| counts[c]["ok"].as_u64().unwrap_or(0) + counts[c]["failed"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(total, OPS as u64, "{report}");
}
