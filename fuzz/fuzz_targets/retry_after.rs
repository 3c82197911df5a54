//! The three Retry-After forms (`retry-after-ms`, `x-ms-retry-after-ms`,
//! `Retry-After` seconds or HTTP date). Input: header lines `name: value`;
//! lines that are not a valid header are skipped.
#![no_main]

use keyvault_keys_protocol::fuzzing;
use keyvault_keys_protocol::reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut headers = HeaderMap::new();
    for line in data.split(|b| *b == b'\n') {
        let Some(colon) = line.iter().position(|b| *b == b':') else {
            continue;
        };
        let (name, value) = (&line[..colon], line[colon + 1..].trim_ascii());
        if let (Ok(name), Ok(value)) =
            (HeaderName::from_bytes(name), HeaderValue::from_bytes(value))
        {
            headers.append(name, value);
        }
    }
    let _ = fuzzing::retry_after(&headers);
});
