//! The response-size limit holds memory down: a 64 MiB body is refused at
//! the default limit without the client ever holding it. A counting global
//! allocator measures the peak; this file is its own test binary so no
//! other test's allocations are counted, and its one test runs alone.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use common::*;
use keyvault_keys_protocol::{DEFAULT_MAX_RESPONSE_SIZE, Error, call};

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = CURRENT.fetch_add(layout.size(), Ordering::SeqCst) + layout.size();
            PEAK.fetch_max(now, Ordering::SeqCst);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        CURRENT.fetch_sub(layout.size(), Ordering::SeqCst);
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const MIB: usize = 1024 * 1024;
const BODY: u64 = 64 * MIB as u64;

#[tokio::test]
async fn a_64_mib_body_is_refused_at_the_default_limit_without_being_held() {
    for declare_length in [false, true] {
        let produced = Arc::new(AtomicU64::new(0));
        let p2 = produced.clone();
        let server = TestServer::start(move |s, _, info| {
            if authorised(s) {
                streamed(200, BODY, declare_length, p2.clone())
            } else {
                unauthorized(&challenge(&format!("https://localhost:{}", info.port)))
            }
        })
        .await;
        let client = server.client(RecordingCredential::new());
        let base = CURRENT.load(Ordering::SeqCst);
        PEAK.store(base, Ordering::SeqCst);
        let err = call(client.get_key("k", "")).await.expect_err("too large");
        let peak = PEAK.load(Ordering::SeqCst).saturating_sub(base);
        eprintln!(
            "declared length {declare_length}: peak {:.1} MiB, server produced {:.1} MiB",
            peak as f64 / MIB as f64,
            produced.load(Ordering::SeqCst) as f64 / MIB as f64
        );
        assert!(
            matches!(err, Error::ResponseTooLarge { limit } if limit == DEFAULT_MAX_RESPONSE_SIZE),
            "{err:?}"
        );
        assert_eq!(DEFAULT_MAX_RESPONSE_SIZE, 16 * MIB);
        // At most the limit is held (plus buffers); never the whole body.
        assert!(
            peak < DEFAULT_MAX_RESPONSE_SIZE + 8 * MIB,
            "declared length {declare_length}: peak {} MiB",
            peak / MIB
        );
        if declare_length {
            assert!(
                peak < 8 * MIB,
                "refused before reading: peak {} MiB",
                peak / MIB
            );
        }
        let sent = produced.load(Ordering::SeqCst);
        assert!(sent < BODY, "the whole body was produced: {sent}");
    }
}
