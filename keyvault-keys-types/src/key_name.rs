//! The key-name rule: 1 to 127 letters, digits and dashes
//! (`^[0-9a-zA-Z-]{1,127}$`), the one definition the client (before it
//! sends a request) and the emulator (as the service refuses a name) use.

/// The longest key name, in characters.
pub const MAX_LEN: usize = 127;

/// The rule in words, for error messages.
pub const RULE: &str =
    "a key name is 1 to 127 characters of letters, digits and dashes (^[0-9a-zA-Z-]{1,127}$)";

/// Whether `name` is a valid key name.
///
/// ```
/// use keyvault_keys_types::key_name::is_valid;
/// assert!(is_valid("a-Z-9"));
/// assert!(!is_valid("") && !is_valid("a_b") && !is_valid(&"k".repeat(128)));
/// ```
pub fn is_valid(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_LEN
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}
