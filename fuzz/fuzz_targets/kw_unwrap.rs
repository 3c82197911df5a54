//! AES key unwrap (RFC 3394) and with padding (RFC 5649) of arbitrary input.
//! Input: one control byte (bit 0: padded; bits 1-2: KEK of 16, 24 or 32
//! bytes, or 3: the next byte gives its length), the KEK, then the wrapped
//! data.
#![no_main]

use keyvault_crypto::fuzzing;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&control, rest)) = data.split_first() else {
        return;
    };
    let padded = control & 1 == 1;
    let (kek_len, rest) = match (control >> 1) & 3 {
        0 => (16, rest),
        1 => (24, rest),
        2 => (32, rest),
        _ => match rest.split_first() {
            Some((&n, rest)) => (usize::from(n), rest),
            None => return,
        },
    };
    if rest.len() < kek_len {
        return;
    }
    let (kek, wrapped) = rest.split_at(kek_len);
    fuzzing::kw_unwrap(kek, wrapped, padded);
});
