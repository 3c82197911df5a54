//! A list page body and its nextLink. Input: `VAULT_URL\nBODY` (without a
//! newline the whole input is the body, read for a service-style vault).
#![no_main]

use keyvault_keys_protocol::fuzzing;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (vault, body) = match data.iter().position(|b| *b == b'\n') {
        Some(i) => match std::str::from_utf8(&data[..i]) {
            Ok(vault) => (vault, &data[i + 1..]),
            Err(_) => return,
        },
        None => ("https://myvault.vault.azure.net", data),
    };
    let _ = fuzzing::page_body(body, vault);
});
