//! Crash durability (issue 9): three SIGKILL trials against the emulator
//! binary with `--data-dir` lose no acknowledged write and bring back no
//! deleted or purged key; and the check itself finds lost writes and
//! resurrections when they are there (so a clean result means something).
//!
//! `DURABILITY_SEED=<n>` replays a run; `cargo xtask durability --trials 20`
//! runs more trials and prints the table.

use std::path::Path;
use std::time::Instant;

use keyvault_keys_protocol::reqwest::Method;
use keyvault_tests::EmulatorProcess;
use keyvault_tests::durability::{
    self, KeyLedger, KeyState, Pending, VaultHttp, check, fresh_seed,
};
use serde_json::{Value, json};

#[test]
fn three_sigkill_trials_lose_nothing_and_resurrect_nothing() {
    let seed = std::env::var("DURABILITY_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(fresh_seed);
    println!("DURABILITY_SEED={seed}");
    let started = Instant::now();
    let (totals, reports) = durability::run(3, seed).expect("the trials run");
    println!("3 trials in {:.1} s", started.elapsed().as_secs_f64());
    assert_eq!(totals.failed_trials, 0, "a trial did not run to the end");
    assert_eq!(reports.len(), 3);
    for r in &reports {
        assert!(
            r.ledger.acknowledged.total() > 0,
            "trial {} acknowledged no write before the kill",
            r.seed
        );
    }
    let a = totals.acknowledged;
    assert!(
        a.creates > 0 && a.versions > 0 && a.tags > 0 && a.deletes > 0 && a.purges > 0,
        "the trials did not exercise every kind of write: {a:?}"
    );
    assert_eq!(
        totals.errors, 0,
        "writes refused before the kill: {reports:#?}"
    );
    assert_eq!(totals.lost, 0, "acknowledged writes lost (seed {seed})");
    assert_eq!(
        totals.resurrected, 0,
        "deleted or purged keys came back (seed {seed})"
    );
    assert_eq!(totals.anomalies, 0, "unexpected state (seed {seed})");

    // Negative control: a trial's ledger against an empty vault must count
    // every acknowledged version and tag of its surviving keys as lost.
    let expected_loss = |ledger: &durability::Ledger| -> usize {
        ledger
            .keys
            .iter()
            .filter(|k| !k.tainted)
            .map(|k| match (k.state, &k.pending) {
                (KeyState::Live, _) => k.versions.len() + k.tags.len(),
                (KeyState::Deleted, Some(Pending::Purge)) => 0,
                (KeyState::Deleted, _) => k.versions.len() + k.tags.len(),
                _ => 0,
            })
            .sum()
    };
    let (ledger, expected) = reports
        .iter()
        .map(|r| (&r.ledger, expected_loss(&r.ledger)))
        .max_by_key(|(_, n)| *n)
        .expect("three reports");
    assert!(expected > 0, "no trial left a key to check");
    let empty = EmulatorProcess::start(&[]).expect("an empty emulator");
    let http = VaultHttp::new(&empty.url, Path::new(&empty.ca)).expect("client");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let verdict = runtime.block_on(check(&http, &ledger.keys));
    assert_eq!(verdict.lost, expected, "{:?}", verdict.findings);
    assert_eq!(verdict.resurrected, 0);
    assert_eq!(verdict.unreadable, 0, "{:?}", verdict.findings);
}

async fn create(http: &VaultHttp, name: &str) -> String {
    let (status, body) = http
        .send(
            Method::POST,
            &format!("/keys/{name}/create"),
            Some(&json!({"kty": "EC", "crv": "P-256"})),
        )
        .await
        .expect("create");
    assert_eq!(status, 200, "{body}");
    let kid = body
        .pointer("/key/kid")
        .and_then(Value::as_str)
        .expect("kid");
    kid.rsplit('/').next().expect("version").to_owned()
}

async fn send_ok(http: &VaultHttp, method: Method, path: &str, body: Option<Value>) {
    let (status, answer) = http
        .send(method.clone(), path, body.as_ref())
        .await
        .expect("send");
    assert!(
        (200..300).contains(&status),
        "{method} {path}: {status} {answer}"
    );
}

fn key(name: &str, state: KeyState, versions: &[&str]) -> KeyLedger {
    let mut k = KeyLedger::new(name);
    k.state = state;
    k.versions = versions.iter().map(|v| v.to_string()).collect();
    k
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_check_finds_lost_writes_and_resurrections() {
    let emulator = tokio::task::spawn_blocking(|| EmulatorProcess::start(&[]).expect("emulator"))
        .await
        .expect("join");
    let http = VaultHttp::new(&emulator.url, Path::new(&emulator.ca)).expect("client");

    // The vault as it is.
    let a = create(&http, "a").await; // live, but the ledger says deleted
    let b = create(&http, "b").await; // deleted, but the ledger says purged
    send_ok(&http, Method::DELETE, "/keys/b", None).await;
    let c = create(&http, "c").await; // one of two acknowledged versions
    let d = create(&http, "d").await; // counter 4, acknowledged 5
    send_ok(
        &http,
        Method::PATCH,
        &format!("/keys/d/{d}"),
        Some(json!({"tags": {"counter": "4"}})),
    )
    .await;
    let e = create(&http, "e").await; // counter 6: the update in flight
    send_ok(
        &http,
        Method::PATCH,
        &format!("/keys/e/{e}"),
        Some(json!({"tags": {"counter": "6"}})),
    )
    .await;
    let h = create(&http, "h").await; // create in flight: either outcome is fine
    let i = create(&http, "i").await; // deleted, as acknowledged, newest version kept
    send_ok(&http, Method::DELETE, "/keys/i", None).await;

    // What the ledger claims.
    let mut keys = vec![
        key("a", KeyState::Deleted, &[&a]),
        key("b", KeyState::Purged, &[&b]),
        key(
            "c",
            KeyState::Live,
            &[&c, "00000000000000000000000000000000"],
        ),
        key("d", KeyState::Live, &[&d]),
        key("e", KeyState::Live, &[&e]),
        key("f", KeyState::Live, &["11111111111111111111111111111111"]),
        key(
            "g",
            KeyState::Deleted,
            &["22222222222222222222222222222222"],
        ),
        key("h", KeyState::Unborn, &[]),
        key("i", KeyState::Deleted, &[&i]),
        key("j", KeyState::Purged, &[]),
    ];
    keys[3].tags.insert(d.clone(), 5);
    keys[4].tags.insert(e.clone(), 5);
    keys[4].pending = Some(Pending::Tag {
        version: e.clone(),
        value: 6,
    });
    keys[6].pending = Some(Pending::Purge);
    keys[7].pending = Some(Pending::Create);
    let _ = h;

    let verdict = check(&http, &keys).await;
    println!("{:#?}", verdict.findings);
    // c's second version, d's tag, f's only version.
    assert_eq!(verdict.lost, 3, "{:?}", verdict.findings);
    // a (deleted, live again), b (purged, back deleted).
    assert_eq!(verdict.resurrected, 2, "{:?}", verdict.findings);
    assert_eq!(verdict.anomalies, 0, "{:?}", verdict.findings);
    assert_eq!(verdict.unreadable, 0, "{:?}", verdict.findings);
    assert!(!verdict.clean());

    // And the clean case is clean: the same vault, described truthfully.
    let mut truthful = vec![
        key("a", KeyState::Live, &[&a]),
        key("b", KeyState::Deleted, &[&b]),
        key("c", KeyState::Live, &[&c]),
        key("d", KeyState::Live, &[&d]),
        key("i", KeyState::Deleted, &[&i]),
    ];
    truthful[3].tags.insert(d.clone(), 4);
    let verdict = check(&http, &truthful).await;
    assert!(verdict.clean(), "{verdict:?}");
    drop(emulator);
}
