//! Fuzzes the emulator's request handler in-process (no sockets): a
//! method, a path shaped like the routes (or not), a query, a header and a
//! JSON-ish body, all derived from the input bytes. Asserts that nothing
//! panics, that every 4xx/5xx answer is a JSON error body with `error.code`,
//! that no request answers 500, and that the vault's invariants hold after
//! every request (every stored key parses, every version's kid names its
//! key and version, ...). The vault lives for the whole run, so state built
//! by earlier inputs is exercised by later ones.
#![no_main]

use std::sync::OnceLock;

use keyvault_emulator::fuzzing::{Harness, Input, check_answer};
use libfuzzer_sys::fuzz_target;

static HARNESS: OnceLock<Harness> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let harness = HARNESS.get_or_init(|| Harness::new().expect("the harness starts"));
    let input = Input::from_bytes(data);
    let (status, body) = harness.handle(
        &input.method,
        &input.path_and_query,
        &input.headers,
        &input.body,
    );
    assert_ne!(
        status,
        500,
        "{input:?} answered 500: {}",
        String::from_utf8_lossy(&body)
    );
    if let Err(e) = check_answer(status, &body) {
        panic!("{input:?}: {e}");
    }
    if let Err(e) = harness.check_invariants() {
        panic!("after {input:?}: {e}");
    }
});
