//! The `WWW-Authenticate` challenge parser and its verification against the
//! vault. Input: `VAULT_URL\nHEADER` (without a newline the whole input is
//! the header, checked against a service-style vault URL).
#![no_main]

use keyvault_keys_protocol::fuzzing;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (vault, header) = text
        .split_once('\n')
        .unwrap_or(("https://myvault.vault.azure.net", text));
    let _ = fuzzing::challenge(header, vault);
});
