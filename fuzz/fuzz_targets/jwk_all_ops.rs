//! JWK JSON → engine import → every operation the key allows.
#![no_main]

use keyvault_crypto::fuzzing;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    fuzzing::jwk_all_ops(data);
});
