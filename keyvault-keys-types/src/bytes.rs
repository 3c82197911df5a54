//! Byte buffers: public ones and secret ones (zeroized, redacted).

use zeroize::Zeroizing;

/// Secret bytes (private key material, plaintext, unwrapped keys): zeroized
/// when dropped, redacted in `Debug`, compared in constant time.
///
/// It reads as a byte slice (`Deref<Target = [u8]>`, [`Self::expose`]), and
/// compares with slices, arrays and vectors, so results stay easy to use:
///
/// ```
/// use keyvault_keys_types::SecretBytes;
/// let s = SecretBytes::new(b"plaintext".to_vec());
/// assert_eq!(s, b"plaintext");
/// assert_eq!(String::from_utf8_lossy(&s), "plaintext");
/// assert_eq!(format!("{s:?}"), "<redacted 9 bytes>");
/// ```
pub struct SecretBytes(Zeroizing<Vec<u8>>);

impl SecretBytes {
    /// Takes ownership of `bytes`.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(Zeroizing::new(bytes))
    }
    /// Copies `bytes`.
    pub fn from_slice(bytes: &[u8]) -> Self {
        Self::new(bytes.to_vec())
    }
    /// The secret bytes. Keep the borrow short; never log them.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// Whether it holds no bytes.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// The bytes, still zeroized when dropped.
    pub fn into_zeroizing(self) -> Zeroizing<Vec<u8>> {
        self.0
    }
}

impl From<Vec<u8>> for SecretBytes {
    fn from(bytes: Vec<u8>) -> Self {
        Self::new(bytes)
    }
}

impl From<Zeroizing<Vec<u8>>> for SecretBytes {
    fn from(bytes: Zeroizing<Vec<u8>>) -> Self {
        Self(bytes)
    }
}

impl std::ops::Deref for SecretBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl AsRef<[u8]> for SecretBytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl Clone for SecretBytes {
    fn clone(&self) -> Self {
        Self::from_slice(&self.0)
    }
}

impl std::fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<redacted {} bytes>", self.0.len())
    }
}

impl PartialEq for SecretBytes {
    fn eq(&self, other: &Self) -> bool {
        ct_eq(&self.0, &other.0)
    }
}

impl Eq for SecretBytes {}

fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq as _;
    // Lengths are not secret; the bytes are compared in constant time.
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

impl PartialEq<[u8]> for SecretBytes {
    fn eq(&self, other: &[u8]) -> bool {
        ct_eq(&self.0, other)
    }
}

impl PartialEq<&[u8]> for SecretBytes {
    fn eq(&self, other: &&[u8]) -> bool {
        ct_eq(&self.0, other)
    }
}

impl<const N: usize> PartialEq<[u8; N]> for SecretBytes {
    fn eq(&self, other: &[u8; N]) -> bool {
        ct_eq(&self.0, other)
    }
}

impl<const N: usize> PartialEq<&[u8; N]> for SecretBytes {
    fn eq(&self, other: &&[u8; N]) -> bool {
        ct_eq(&self.0, *other)
    }
}

impl PartialEq<Vec<u8>> for SecretBytes {
    fn eq(&self, other: &Vec<u8>) -> bool {
        ct_eq(&self.0, other)
    }
}

/// base64url: encode without padding; decode leniently (either alphabet,
/// padded or not), as the service's own examples mix them.
pub mod b64 {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    /// Encodes as unpadded base64url.
    pub fn encode(bytes: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// Decodes base64url or standard base64, padded or not.
    pub fn decode(s: &str) -> Result<Vec<u8>, String> {
        let trimmed = s.trim().trim_end_matches('=');
        // Already base64url (what the service sends): decoded as it is,
        // without a working copy.
        if !trimmed.bytes().any(|b| b == b'+' || b == b'/') {
            return URL_SAFE_NO_PAD
                .decode(trimmed.as_bytes())
                .map_err(|e| format!("not base64url: {e}"));
        }
        // The text may be a secret (a private key member, a plaintext):
        // its working copy is zeroized.
        let normalised: zeroize::Zeroizing<String> = zeroize::Zeroizing::new(
            trimmed
                .chars()
                .map(|c| match c {
                    '+' => '-',
                    '/' => '_',
                    c => c,
                })
                .collect(),
        );
        URL_SAFE_NO_PAD
            .decode(normalised.as_bytes())
            .map_err(|e| format!("not base64url: {e}"))
    }

    /// serde for `Option<Vec<u8>>` as base64url.
    pub mod opt {
        use serde::{Deserialize, Deserializer, Serializer};

        /// Serialises as base64url.
        pub fn serialize<S: Serializer>(v: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
            match v {
                Some(b) => s.serialize_str(&super::encode(b)),
                None => s.serialize_none(),
            }
        }

        /// Deserialises from base64url (leniently).
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
            match Option::<String>::deserialize(d)? {
                Some(s) => super::decode(&s)
                    .map(Some)
                    .map_err(serde::de::Error::custom),
                None => Ok(None),
            }
        }
    }

    /// serde for `Vec<u8>` as base64url (public bytes: ciphertexts,
    /// signatures, wrapped keys).
    pub mod bytes {
        use serde::{Deserialize, Deserializer, Serializer};

        /// Serialises as base64url.
        pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
            s.serialize_str(&super::encode(v))
        }

        /// Deserialises from base64url (leniently).
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
            super::decode(&String::deserialize(d)?).map_err(serde::de::Error::custom)
        }
    }

    /// serde for a [`SecretBytes`](crate::SecretBytes) as base64url: **writes
    /// the secret itself** into the output.
    ///
    /// `SecretBytes` has no `Serialize` of its own, so a secret is never
    /// written by accident: a field opts in with
    /// `#[serde(with = "keyvault_keys_types::b64::expose_secret")]`, as
    /// `keyvault_crypto::DecryptResult` and
    /// `keyvault_crypto::UnwrapResult` do. The encoded working copies
    /// are zeroized; the serialised output is the caller's to protect.
    pub mod expose_secret {
        use serde::{Deserialize, Deserializer, Serializer};

        use crate::SecretBytes;

        /// Serialises the secret as base64url.
        pub fn serialize<S: Serializer>(v: &SecretBytes, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_str(&zeroize::Zeroizing::new(super::encode(v.expose())))
        }

        /// Deserialises a secret from base64url (leniently).
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<SecretBytes, D::Error> {
            let s = zeroize::Zeroizing::new(String::deserialize(d)?);
            // A fixed message: the decoder's own names the offending byte.
            super::decode(s.as_str())
                .map(SecretBytes::new)
                .map_err(|_| serde::de::Error::custom("a secret that is not base64url"))
        }
    }

    /// serde for `Option<SecretBytes>` as base64url.
    pub mod secret {
        use serde::{Deserialize, Deserializer, Serializer};

        use crate::SecretBytes;

        /// Serialises as base64url.
        pub fn serialize<S: Serializer>(v: &Option<SecretBytes>, s: S) -> Result<S::Ok, S::Error> {
            match v {
                Some(b) => s.serialize_str(&zeroize::Zeroizing::new(super::encode(b.expose()))),
                None => s.serialize_none(),
            }
        }

        /// Deserialises from base64url (leniently).
        pub fn deserialize<'de, D: Deserializer<'de>>(
            d: D,
        ) -> Result<Option<SecretBytes>, D::Error> {
            match Option::<String>::deserialize(d)?.map(zeroize::Zeroizing::new) {
                // A fixed message: the decoder's names the bad byte and its
                // offset, a part of the secret.
                Some(s) => super::decode(s.as_str())
                    .map(|b| Some(SecretBytes::new(b)))
                    .map_err(|_| serde::de::Error::custom("a secret that is not base64url")),
                None => Ok(None),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_and_decoding_is_lenient() {
        let s = SecretBytes::from_slice(b"very secret");
        assert_eq!(format!("{s:?}"), "<redacted 11 bytes>");
        assert_eq!(b64::decode("-_8").expect("url"), vec![0xfb, 0xff]);
        assert_eq!(b64::decode("+/8=").expect("std"), vec![0xfb, 0xff]);
        assert!(b64::decode("!!").is_err());
        assert_eq!(b64::encode(&[0xfb, 0xff]), "-_8");
    }
}
