//! `KeyVaultKeyIdentifier::parse` on arbitrary text.
#![no_main]

use keyvault_crypto::fuzzing;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        fuzzing::key_id(s);
    }
});
