//! [`SecretString`]: the type of every wire member that can carry secret
//! material (private key members, plaintext, random bytes, released keys).
//!
//! The spec marks such members with `x-ms-secret: true`; the generator
//! (`cargo xtask codegen`) gives them this type instead of `String`, so the
//! generated models' derived `Debug` never prints them.

use zeroize::Zeroize as _;

/// A string that holds secret material: redacted in `Debug`, wiped from
/// memory when dropped, compared without an early exit.
///
/// On the wire it is a plain JSON string (serde transparent). Read it with
/// [`expose_secret`](Self::expose_secret), and keep the borrow short.
///
/// ```
/// use keyvault_keys_types::SecretString;
/// let s = SecretString::from("c2VjcmV0");
/// assert_eq!(format!("{s:?}"), "SecretString(<redacted 8 chars>)");
/// assert_eq!(s.expose_secret(), "c2VjcmV0");
/// assert_eq!(serde_json::to_string(&s).unwrap(), "\"c2VjcmV0\"");
/// ```
#[derive(Clone, Default)]
pub struct SecretString(String);

impl SecretString {
    /// Takes ownership of `value`.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret text. Never log it.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }

    /// Its length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Drop for SecretString {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl std::fmt::Debug for SecretString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretString(<redacted {} chars>)", self.0.len())
    }
}

impl PartialEq for SecretString {
    /// Compares every byte whatever the first difference (the lengths are
    /// not secret).
    fn eq(&self, other: &Self) -> bool {
        let (a, b) = (self.0.as_bytes(), other.0.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

impl Eq for SecretString {}

impl From<String> for SecretString {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for SecretString {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

impl serde::Serialize for SecretString {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for SecretString {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Self)
    }
}

#[cfg(test)]
mod tests {
    use super::SecretString;

    #[test]
    fn redacted_compared_and_transparent_on_the_wire() {
        let s = SecretString::from("top-secret");
        assert!(!format!("{s:?}").contains("top-secret"));
        assert!(!format!("{:?}", Some(s.clone())).contains("top"));
        assert_eq!(s, SecretString::new("top-secret".to_owned()));
        assert_ne!(s, SecretString::from("top-secreT"));
        assert_ne!(s, SecretString::from("top"));
        let back: SecretString = serde_json::from_str("\"top-secret\"").expect("json");
        assert_eq!(back.expose_secret(), "top-secret");
        assert_eq!(serde_json::to_string(&s).expect("json"), "\"top-secret\"");
    }
}
