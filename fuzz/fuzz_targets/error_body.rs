//! The error-body parser. Input: two bytes of status (big-endian), then the
//! body.
#![no_main]

use keyvault_keys_protocol::fuzzing;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (status, body) = match data {
        [hi, lo, body @ ..] => (u16::from_be_bytes([*hi, *lo]), body),
        _ => return,
    };
    let _ = fuzzing::error_body(status, body);
});
