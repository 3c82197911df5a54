//! Issue 19 §3, measured at the emulator: a vault's challenge is drawn once
//! per process. The first client of a vault pays a probe (2 exchanges for
//! its first call); a second `KeyClient`, or a `CryptographyClient` built
//! without a shared pipeline, pays 1.
//!
//! The emulator's request counter is process-wide, so this file holds one
//! test: nothing else in its process sends requests.

use keyvault_emulator::{Emulator, EmulatorOptions, bench};
use keyvault_keys::crypto::{CryptographyClient, SignatureAlgorithm};
use keyvault_keys::{KeyClient, KeyClientOptions};

fn requests() -> u64 {
    bench::stats_line()
        .split_whitespace()
        .find_map(|f| f.strip_prefix("requests="))
        .and_then(|n| n.parse().ok())
        .expect("the emulator's request counter")
}

/// The requests `f` makes the emulator serve.
async fn exchanges<T>(f: impl std::future::Future<Output = T>) -> (T, u64) {
    let before = requests();
    let out = f.await;
    (out, requests() - before)
}

#[tokio::test]
async fn a_second_client_of_a_vault_costs_one_exchange_not_two() {
    let emulator = Emulator::start(EmulatorOptions::default())
        .await
        .expect("emulator");
    let new_client = || {
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
        .expect("client")
    };

    let first = new_client();
    let (key, n) = exchanges(first.create_ec_key("k", None)).await;
    let key = key.expect("create");
    assert_eq!(n, 2, "the first client of the vault: probe + create");

    let second = new_client();
    let (got, n) = exchanges(second.get_key("k", None)).await;
    got.expect("get");
    assert_eq!(n, 1, "a second KeyClient: the get alone");
    println!("second KeyClient's first call: {n} exchange(s)");

    // A CryptographyClient with a pipeline of its own: its first call
    // fetches the key (1 exchange) and verifies locally.
    let crypto = CryptographyClient::new(
        &key.properties.id,
        emulator.credential(),
        Some(emulator.client_options()),
    )
    .expect("crypto client");
    let (verified, n) =
        exchanges(crypto.verify(&SignatureAlgorithm::Es256, &[7; 32], &[1; 64], None)).await;
    assert!(!verified.expect("verify").is_valid);
    assert_eq!(n, 1, "a CryptographyClient of its own: the key fetch alone");
}
