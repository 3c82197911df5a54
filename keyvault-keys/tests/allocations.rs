//! Issue 19 §2: heap allocations per `get_key`, ours against the floor (the
//! same call as a bare reqwest GET with a bearer header, its body parsed
//! into a `serde_json::Value`), on one client thread.
//!
//! A counting global allocator counts the allocations made on the test's
//! thread only (a thread-local counter): the emulator runs on a runtime of
//! its own, in another thread, so its work is not counted; the client's
//! connection tasks run on the test's single-threaded runtime, so they are.
//! This file is its own test binary with one test. It prints both figures
//! and asserts an upper bound on ours (allocation counts of a steady call
//! are deterministic, not timings).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use keyvault_emulator::{Emulator, EmulatorOptions};
use keyvault_keys::{KeyClient, KeyClientOptions};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
    static BYTES: Cell<u64> = const { Cell::new(0) };
}

fn count(size: usize) {
    let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
    let _ = BYTES.try_with(|c| c.set(c.get() + size as u64));
}

// SAFETY: forwards to the system allocator; only counts, in thread-locals
// that need no allocation.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// This thread's (allocations, bytes) so far.
fn counted() -> (u64, u64) {
    (ALLOCATIONS.with(Cell::get), BYTES.with(Cell::get))
}

const CALLS: u64 = 200;

/// Allocations and bytes per call of `f`, after a few unmeasured calls.
async fn per_call<F, Fut>(mut f: F) -> (f64, f64)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for _ in 0..20 {
        f().await;
    }
    let (a0, b0) = counted();
    for _ in 0..CALLS {
        f().await;
    }
    let (a1, b1) = counted();
    (
        (a1 - a0) as f64 / CALLS as f64,
        (b1 - b0) as f64 / CALLS as f64,
    )
}

/// The most allocations a steady `get_key` may make: 129 before issue 19
/// §2, 99 after its first round, 84 after its second (the floor makes 83).
const MAX_ALLOCATIONS_PER_GET_KEY: f64 = 90.0;

#[tokio::test]
async fn allocations_per_get_key_against_the_floor() {
    // The emulator on its own runtime and thread, so its allocations are
    // not this thread's.
    let (tx, rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        rt.block_on(async move {
            let emulator = Emulator::start(EmulatorOptions::default())
                .await
                .expect("emulator");
            tx.send((
                emulator.vault_url().to_owned(),
                emulator.http_client(),
                emulator.credential(),
            ))
            .expect("send");
            let _ = stop_rx.await;
            emulator.shutdown().await;
        });
    });
    let (url, http, credential) = rx.recv().expect("the emulator's URL");

    let client = KeyClient::new(
        &url,
        credential,
        Some(KeyClientOptions {
            client_options: keyvault_keys::ClientOptions {
                http_client: Some(http.clone()),
                ..Default::default()
            },
        }),
    )
    .expect("client");
    let key = client.create_ec_key("alloc-k", None).await.expect("create");
    println!(
        "sizes: KeyBundle {} B, ResponseValue<KeyBundle> {} B, KeyVaultKey {} B, Result<KeyVaultKey> {} B",
        std::mem::size_of::<keyvault_keys_protocol::types::KeyBundle>(),
        std::mem::size_of::<
            keyvault_keys_protocol::ResponseValue<keyvault_keys_protocol::types::KeyBundle>,
        >(),
        std::mem::size_of::<keyvault_keys::KeyVaultKey>(),
        std::mem::size_of::<keyvault_keys::Result<keyvault_keys::KeyVaultKey>>(),
    );
    println!(
        "get_key future: {} bytes; protocol get_key future: {} bytes",
        std::mem::size_of_val(&client.get_key("alloc-k", None)),
        std::mem::size_of_val(&client.protocol_client().get_key("alloc-k", "")),
    );
    let ours = per_call(|| async {
        let got = client.get_key("alloc-k", None).await.expect("get_key");
        assert_eq!(got.id(), key.id());
    })
    .await;

    let protocol = client.protocol_client();
    let proto = per_call(|| async {
        let got = keyvault_keys_protocol::call(protocol.get_key("alloc-k", ""))
            .await
            .expect("protocol get_key");
        assert!(got.key.is_some());
    })
    .await;
    println!(
        "protocol get_key: {:.1} allocations ({:.0} bytes)",
        proto.0, proto.1
    );
    let floor_url = format!(
        "{url}/keys/alloc-k?api-version={}",
        client.api_version().as_str()
    );
    let floor = per_call(|| async {
        let response = http
            .get(&floor_url)
            .header("authorization", "Bearer floor-token")
            .send()
            .await
            .expect("floor send");
        assert!(response.status().is_success(), "{}", response.status());
        let body = response.bytes().await.expect("floor body");
        let value: serde_json::Value = serde_json::from_slice(&body).expect("floor json");
        assert_eq!(value["key"]["kid"].as_str(), Some(key.id()));
    })
    .await;

    println!(
        "allocations per get_key: ours {:.1} ({:.0} bytes), floor {:.1} ({:.0} bytes), ours/floor {:.2}",
        ours.0,
        ours.1,
        floor.0,
        floor.1,
        ours.0 / floor.0
    );
    let _ = stop_tx.send(());
    server.join().expect("the emulator's thread");
    assert!(floor.0 >= 1.0, "the floor allocates: {floor:?}");
    assert!(
        ours.0 <= MAX_ALLOCATIONS_PER_GET_KEY,
        "ours allocates {:.1} times per get_key (at most {MAX_ALLOCATIONS_PER_GET_KEY})",
        ours.0
    );
}
