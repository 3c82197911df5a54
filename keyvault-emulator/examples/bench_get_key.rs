//! Benchmark (not a test): `get_key` requests per second against the
//! in-process emulator over HTTPS, through our full client pipeline, next
//! to bare reqwest GETs with a fixed token (baseline) in the same run.
//!
//! ```text
//! cargo run --release -p keyvault-emulator --example bench_get_key [-- SECONDS CONCURRENCY]
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use keyvault_emulator::{DEFAULT_TOKEN, Emulator, EmulatorOptions};
use keyvault_keys_protocol::{Client, call};

async fn measure<F, Fut>(seconds: f64, concurrency: usize, f: F) -> f64
where
    F: Fn() -> Fut + Send + Sync + Clone + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let done = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (f, done, failed) = (f.clone(), done.clone(), failed.clone());
        tasks.spawn(async move {
            while Instant::now() < deadline {
                if f().await {
                    done.fetch_add(1, Ordering::Relaxed);
                } else {
                    failed.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    let failures = failed.load(Ordering::Relaxed);
    if failures > 0 {
        eprintln!("warning: {failures} requests failed");
    }
    done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let seconds: f64 = args.first().and_then(|s| s.parse().ok()).unwrap_or(3.0);
    let concurrency: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(16);
    let emulator = Emulator::start(EmulatorOptions::default()).await?;
    let client = Client::with_credential(
        emulator.vault_url(),
        emulator.credential(),
        emulator.client_options(),
    )?;
    let create = serde_json::from_value(serde_json::json!({"kty": "EC", "crv": "P-256"}))?;
    call(client.create_key("bench", &create)).await?;
    println!(
        "get_key against the in-process emulator ({}), {seconds} s, {concurrency} concurrent tasks\n",
        emulator.vault_url()
    );

    let c = client.clone();
    let ours = measure(seconds, concurrency, move || {
        let c = c.clone();
        async move { call(c.get_key("bench", "")).await.is_ok() }
    })
    .await;

    let http = emulator.http_client();
    let url = format!(
        "{}/keys/bench/?api-version=2025-07-01",
        emulator.vault_url()
    );
    let bare = measure(seconds, concurrency, move || {
        let (http, url) = (http.clone(), url.clone());
        async move {
            match http.get(&url).bearer_auth(DEFAULT_TOKEN).send().await {
                Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                Err(_) => false,
            }
        }
    })
    .await;

    println!("{:<44} {:>10}", "client", "requests/s");
    println!(
        "{:<44} {:>10.0}",
        "keyvault-keys-protocol get_key (full pipeline)", ours
    );
    println!("{:<44} {:>10.0}", "bare reqwest GET (baseline)", bare);
    println!("\nratio pipeline / baseline: {:.2}", ours / bare);
    emulator.shutdown().await;
    Ok(())
}
