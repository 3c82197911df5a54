//! ISO 8601 durations (rotation policies): parsing, then the date arithmetic
//! the client and emulator do with them. Input: 8 bytes of a Unix time
//! (little-endian i64), then the duration text.
#![no_main]

use keyvault_keys_protocol::duration::IsoDuration;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 8 {
        return;
    }
    let (time, text) = data.split_at(8);
    let mut unix = [0u8; 8];
    unix.copy_from_slice(time);
    let unix = i64::from_le_bytes(unix);
    let Ok(text) = std::str::from_utf8(text) else {
        return;
    };
    if let Ok(d) = IsoDuration::parse(text) {
        let _ = d.add_to(unix);
        let _ = d.checked_add_to(unix);
        let _ = d.approx_days();
    }
});
