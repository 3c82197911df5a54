//! Benchmark (not a test) of the emulator's hot path, over HTTPS, in one
//! run:
//!
//! - `get_key` requests/s through our full client pipeline, and as bare
//!   reqwest GETs with a fixed token;
//! - the same bare GETs against a zero-work server on the same hyper +
//!   rustls stack ([`Emulator::start_zero_work`]): the ratio get_key /
//!   zero-work is issue 11's first figure (goal ≥ 0.8);
//! - remote RS256 `sign` requests/s (bare POSTs) against the local
//!   engine's raw RS256 sign rate on the same cores, on as many threads as
//!   concurrent requests (goal ≥ 0.8);
//! - the emulator's CPU per request.
//!
//! The emulators run on their own tokio runtime whose threads (workers and
//! blocking pool) are named `kv-emu`; their CPU time is the sum of
//! `/proc/self/task/*/schedstat` (nanoseconds on CPU) over those threads,
//! before and after each phase (Linux only; other systems print `n/a`).
//! On a shared machine the requests/s depend on the share of the cores
//! the process gets, so the same two ratios are also printed in CPU terms:
//! zero-work CPU/request ÷ get_key CPU/request, and the engine's CPU per
//! raw signature ÷ the emulator's CPU per sign request.
//!
//! ```text
//! cargo run --release -p keyvault-emulator --example bench_get_key [-- SECONDS CONCURRENCY]
//! ```
//!
//! With `BENCH_LOG` set, the emulator logs as the binary does (to stderr,
//! `keyvault_emulator=info` unless `RUST_LOG` says otherwise).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use keyvault_emulator::{DEFAULT_TOKEN, Emulator, EmulatorOptions};
use keyvault_keys_protocol::{Client, call};

/// The name of the emulators' runtime threads.
const EMU_THREAD: &str = "kv-emu";

/// The name of the raw-sign threads.
const RAW_THREAD: &str = "kv-raw";

/// The CPU time (ns) of the emulators' threads.
fn emulator_cpu_ns() -> Option<u64> {
    threads_cpu_ns(EMU_THREAD)
}

/// The CPU time (ns) of this process's threads named `name`.
fn threads_cpu_ns(name: &str) -> Option<u64> {
    let mut total = 0u64;
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let dir = task.ok()?.path();
        let comm = std::fs::read_to_string(dir.join("comm")).unwrap_or_default();
        if comm.trim_end() != name {
            continue;
        }
        let stat = std::fs::read_to_string(dir.join("schedstat")).unwrap_or_default();
        total += stat
            .split_whitespace()
            .next()
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(0);
    }
    Some(total)
}

/// One phase's result.
struct Figures {
    rps: f64,
    /// Emulator CPU (µs) per request.
    cpu_us: Option<f64>,
}

async fn measure<F, Fut>(seconds: f64, concurrency: usize, f: F) -> Figures
where
    F: Fn() -> Fut + Send + Sync + Clone + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let done = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let cpu_before = emulator_cpu_ns();
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
    let elapsed = start.elapsed().as_secs_f64();
    let failures = failed.load(Ordering::Relaxed);
    if failures > 0 {
        eprintln!("warning: {failures} requests failed");
    }
    let n = done.load(Ordering::Relaxed) + failures;
    let cpu_us = match (cpu_before, emulator_cpu_ns()) {
        (Some(a), Some(b)) if n > 0 => Some(b.saturating_sub(a) as f64 / 1000.0 / n as f64),
        _ => None,
    };
    Figures {
        rps: done.load(Ordering::Relaxed) as f64 / elapsed,
        cpu_us,
    }
}

/// RS256 signatures per second of the local engine on `threads` threads
/// (as many as the remote phase's concurrent requests, so both get the
/// same share of a shared machine), and its CPU (µs) per signature.
fn raw_sign_rate(
    seconds: f64,
    threads: usize,
    jwk: &keyvault_crypto::JsonWebKey,
    digest: &[u8],
) -> (f64, Option<f64>) {
    let key = Arc::new(keyvault_crypto::LocalKey::from_jwk(jwk).expect("local key"));
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(seconds);
    let cpu = std::sync::Mutex::new(0u64);
    let total: u64 = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let (key, cpu) = (key.clone(), &cpu);
                std::thread::Builder::new()
                    .name(RAW_THREAD.to_owned())
                    .spawn_scoped(s, move || {
                        let mut n = 0u64;
                        while Instant::now() < deadline {
                            key.sign(&keyvault_crypto::SignatureAlgorithm::Rs256, digest)
                                .expect("sign");
                            n += 1;
                        }
                        // This thread's own CPU time, read before it ends.
                        let own = std::fs::read_to_string("/proc/thread-self/schedstat")
                            .ok()
                            .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
                            .unwrap_or(0);
                        *cpu.lock().unwrap_or_else(|e| e.into_inner()) += own;
                        n
                    })
                    .expect("spawn")
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or(0)).sum()
    });
    let rate = total as f64 / start.elapsed().as_secs_f64();
    let cpu = cpu.into_inner().unwrap_or_else(|e| e.into_inner());
    let per = (total > 0 && cpu > 0).then(|| cpu as f64 / 1000.0 / total as f64);
    (rate, per)
}

fn row(label: &str, f: &Figures) {
    let cpu = f.cpu_us.map_or("n/a".to_owned(), |c| format!("{c:.1}"));
    println!("{label:<48} {:>10.0} {cpu:>12}", f.rps);
}

fn usage() -> ! {
    eprintln!(
        "usage: bench_get_key [SECONDS [CONCURRENCY]]   (defaults 3 and 16)\n\
         Measures get_key (pipeline and bare), a zero-work server on the same stack,\n\
         remote RS256 sign vs the local engine's raw rate, and emulator CPU/request."
    );
    std::process::exit(2)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "-h" || a == "--help") {
        usage();
    }
    if std::env::var_os("BENCH_LOG").is_some() {
        // The binary's logging (src/main.rs), to measure its cost.
        tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .with_env_filter(
                tracing_subscriber::EnvFilter::try_from_default_env()
                    .unwrap_or_else(|_| "keyvault_emulator=info".into()),
            )
            .init();
    }
    let seconds: f64 = args.first().and_then(|s| s.parse().ok()).unwrap_or(3.0);
    let concurrency: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(16);

    // The emulators on their own runtime, so their CPU can be told apart.
    let emu_rt = tokio::runtime::Builder::new_multi_thread()
        .thread_name(EMU_THREAD)
        .thread_keep_alive(Duration::from_secs(3600))
        .enable_all()
        .build()?;
    let (emulator, zero) = emu_rt
        .spawn(async {
            let e = Emulator::start(EmulatorOptions::default()).await?;
            let z = Emulator::start_zero_work(EmulatorOptions::default()).await?;
            Ok::<_, keyvault_emulator::StartError>((e, z))
        })
        .await??;

    let client = Client::with_credential(
        emulator.vault_url(),
        emulator.credential(),
        emulator.client_options(),
    )?;
    let create = serde_json::from_value(serde_json::json!({"kty": "EC", "crv": "P-256"}))?;
    call(client.create_key("bench", &create)).await?;
    let create = serde_json::from_value(serde_json::json!({"kty": "RSA", "key_size": 2048}))?;
    call(client.create_key("bench-rsa", &create)).await?;
    println!(
        "emulator {} / zero-work {}, {seconds} s per phase, {concurrency} concurrent tasks, {} cores\n",
        emulator.vault_url(),
        zero.vault_url(),
        std::thread::available_parallelism().map_or(1, |n| n.get()),
    );

    let c = client.clone();
    let ours = measure(seconds, concurrency, move || {
        let c = c.clone();
        async move { call(c.get_key("bench", "")).await.is_ok() }
    })
    .await;

    let get = |http: reqwest::Client, url: String| {
        move || {
            let (http, url) = (http.clone(), url.clone());
            async move {
                match http.get(&url).bearer_auth(DEFAULT_TOKEN).send().await {
                    Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                    Err(_) => false,
                }
            }
        }
    };
    let path = "/keys/bench/?api-version=2025-07-01";
    let bare = measure(
        seconds,
        concurrency,
        get(
            emulator.http_client(),
            format!("{}{path}", emulator.vault_url()),
        ),
    )
    .await;
    let zero_work = measure(
        seconds,
        concurrency,
        get(zero.http_client(), format!("{}{path}", zero.vault_url())),
    )
    .await;

    // RS256 over a SHA-256 digest: remote, then the engine itself.
    let digest = [0x5a_u8; 32];
    let sign_url = format!(
        "{}/keys/bench-rsa//sign?api-version=2025-07-01",
        emulator.vault_url()
    );
    let sign_body = bytes::Bytes::from(
        serde_json::json!({"alg": "RS256", "value": keyvault_crypto::b64::encode(&digest)})
            .to_string(),
    );
    let http = emulator.http_client();
    let remote_sign = measure(seconds, concurrency, move || {
        let (http, url, body) = (http.clone(), sign_url.clone(), sign_body.clone());
        async move {
            match http
                .post(&url)
                .bearer_auth(DEFAULT_TOKEN)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
            {
                Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                Err(_) => false,
            }
        }
    })
    .await;
    let jwk = keyvault_crypto::generate(&keyvault_crypto::KeySpec {
        kty: keyvault_crypto::KeyType::Rsa,
        size: Some(2048),
        curve: None,
        public_exponent: None,
    })?;
    let (raw_sign, raw_cpu_us) =
        tokio::task::spawn_blocking(move || raw_sign_rate(seconds, concurrency, &jwk, &digest))
            .await?;

    println!(
        "{:<48} {:>10} {:>12}",
        "phase", "requests/s", "emu CPU µs/req"
    );
    row("keyvault-keys-protocol get_key (full pipeline)", &ours);
    row("bare reqwest GET get_key", &bare);
    row("bare reqwest GET zero-work (same stack)", &zero_work);
    row("bare reqwest POST sign RS256 (remote)", &remote_sign);
    row(
        "local engine RS256 sign (raw, CONCURRENCY threads)",
        &Figures {
            rps: raw_sign,
            cpu_us: raw_cpu_us,
        },
    );
    println!(
        "\nratio get_key / zero-work:        {:.2}  (goal >= 0.8)",
        bare.rps / zero_work.rps
    );
    println!(
        "ratio remote sign / raw sign:     {:.2}  (goal >= 0.8)",
        remote_sign.rps / raw_sign
    );
    println!(
        "ratio pipeline / bare get_key:    {:.2}",
        ours.rps / bare.rps
    );
    // The machine may be shared: CPU per request does not depend on the
    // share this process gets, so the same goals in CPU terms.
    if let (Some(g), Some(z)) = (bare.cpu_us, zero_work.cpu_us) {
        println!(
            "CPU ratio zero-work / get_key:    {:.2}  (emulator CPU per request)",
            z / g
        );
    }
    if let (Some(r), Some(s)) = (raw_cpu_us, remote_sign.cpu_us) {
        println!(
            "CPU ratio raw sign / remote sign: {:.2}  (emulator CPU per request)",
            r / s
        );
    }
    emu_rt
        .spawn(async move {
            emulator.shutdown().await;
            zero.shutdown().await;
        })
        .await?;
    emu_rt.shutdown_background();
    Ok(())
}
