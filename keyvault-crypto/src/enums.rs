//! Key types, curves, operations and algorithms.
//!
//! Each is an enum of the values the service documents plus `Other(String)`
//! for values from a newer service: they parse from and print to the wire
//! string, and round-trip unchanged.

macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        $name:ident { $( $(#[$vmeta:meta])* $variant:ident = $wire:literal ),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* #[doc = concat!("`", $wire, "`")] $variant, )+
            /// A value this version does not know, kept as sent.
            Other(String),
        }

        impl $name {
            /// Every value this version knows.
            pub const KNOWN: &'static [$name] = &[$($name::$variant),+];

            /// The wire string.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $wire, )+
                    $name::Other(s) => s,
                }
            }

            /// Parses a wire string (exact match; anything else is `Other`).
            pub fn parse(s: &str) -> Self {
                match s {
                    $( $wire => $name::$variant, )+
                    other => $name::Other(other.to_owned()),
                }
            }

            /// Whether this version knows the value.
            pub fn is_known(&self) -> bool {
                !matches!(self, $name::Other(_))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::convert::Infallible;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok(Self::parse(s))
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self::parse(s)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Ok(Self::parse(&s))
            }
        }
    };
}

wire_enum! {
    /// The kind of a key (`kty`). The `-HSM` kinds live in hardware.
    KeyType {
        Ec = "EC",
        EcHsm = "EC-HSM",
        Rsa = "RSA",
        RsaHsm = "RSA-HSM",
        Oct = "oct",
        OctHsm = "oct-HSM",
    }
}

impl KeyType {
    /// RSA or RSA-HSM.
    pub fn is_rsa(&self) -> bool {
        matches!(self, KeyType::Rsa | KeyType::RsaHsm)
    }
    /// EC or EC-HSM.
    pub fn is_ec(&self) -> bool {
        matches!(self, KeyType::Ec | KeyType::EcHsm)
    }
    /// oct or oct-HSM.
    pub fn is_oct(&self) -> bool {
        matches!(self, KeyType::Oct | KeyType::OctHsm)
    }
    /// One of the `-HSM` kinds.
    pub fn is_hsm(&self) -> bool {
        matches!(self, KeyType::EcHsm | KeyType::RsaHsm | KeyType::OctHsm)
    }
}

wire_enum! {
    /// An elliptic curve (`crv`).
    KeyCurveName {
        P256 = "P-256",
        P256K = "P-256K",
        P384 = "P-384",
        P521 = "P-521",
    }
}

wire_enum! {
    /// An operation a key may be used for (`key_ops`).
    KeyOperation {
        Encrypt = "encrypt",
        Decrypt = "decrypt",
        Sign = "sign",
        Verify = "verify",
        WrapKey = "wrapKey",
        UnwrapKey = "unwrapKey",
        Import = "import",
        Export = "export",
    }
}

wire_enum! {
    /// An encryption algorithm (encrypt and decrypt).
    EncryptionAlgorithm {
        RsaOaep = "RSA-OAEP",
        RsaOaep256 = "RSA-OAEP-256",
        Rsa15 = "RSA1_5",
        A128Gcm = "A128GCM",
        A192Gcm = "A192GCM",
        A256Gcm = "A256GCM",
        A128Cbc = "A128CBC",
        A192Cbc = "A192CBC",
        A256Cbc = "A256CBC",
        A128CbcPad = "A128CBCPAD",
        A192CbcPad = "A192CBCPAD",
        A256CbcPad = "A256CBCPAD",
    }
}

wire_enum! {
    /// A key-wrap algorithm (wrapKey and unwrapKey).
    KeyWrapAlgorithm {
        RsaOaep = "RSA-OAEP",
        RsaOaep256 = "RSA-OAEP-256",
        Rsa15 = "RSA1_5",
        A128Kw = "A128KW",
        A192Kw = "A192KW",
        A256Kw = "A256KW",
        A128KwPad = "A128KWPAD",
        A192KwPad = "A192KWPAD",
        A256KwPad = "A256KWPAD",
        /// AES key wrap (RFC 3394) with a key of any AES size.
        CkmAesKeyWrap = "CKM_AES_KEY_WRAP",
        /// AES key wrap with padding (RFC 5649) with a key of any AES size.
        CkmAesKeyWrapPad = "CKM_AES_KEY_WRAP_PAD",
    }
}

wire_enum! {
    /// A signature algorithm.
    SignatureAlgorithm {
        Ps256 = "PS256",
        Ps384 = "PS384",
        Ps512 = "PS512",
        Rs256 = "RS256",
        Rs384 = "RS384",
        Rs512 = "RS512",
        RsNull = "RSNULL",
        Es256 = "ES256",
        Es256K = "ES256K",
        Es384 = "ES384",
        Es512 = "ES512",
        Hs256 = "HS256",
        Hs384 = "HS384",
        Hs512 = "HS512",
    }
}

wire_enum! {
    /// How a released key is wrapped for its target environment.
    KeyExportEncryptionAlgorithm {
        /// RSA-OAEP (SHA-1) of a fresh AES-256 key, then AES key wrap with
        /// padding (RFC 5649) of the key material.
        CkmRsaAesKeyWrap = "CKM_RSA_AES_KEY_WRAP",
        /// As `CKM_RSA_AES_KEY_WRAP` with OAEP SHA-256.
        RsaAesKeyWrap256 = "RSA_AES_KEY_WRAP_256",
        /// As `CKM_RSA_AES_KEY_WRAP` with OAEP SHA-384.
        RsaAesKeyWrap384 = "RSA_AES_KEY_WRAP_384",
    }
}

/// The hash an algorithm signs over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HashAlgorithm {
    /// SHA-256 (32-byte digests).
    Sha256,
    /// SHA-384 (48-byte digests).
    Sha384,
    /// SHA-512 (64-byte digests).
    Sha512,
}

impl HashAlgorithm {
    /// Digest length in bytes.
    pub fn len(self) -> usize {
        match self {
            HashAlgorithm::Sha256 => 32,
            HashAlgorithm::Sha384 => 48,
            HashAlgorithm::Sha512 => 64,
        }
    }

    /// Always false: a digest has a length.
    pub fn is_empty(self) -> bool {
        false
    }

    /// Hashes `data`.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        aws_lc_rs::digest::digest(self.aws(), data)
            .as_ref()
            .to_vec()
    }

    pub(crate) fn aws(self) -> &'static aws_lc_rs::digest::Algorithm {
        match self {
            HashAlgorithm::Sha256 => &aws_lc_rs::digest::SHA256,
            HashAlgorithm::Sha384 => &aws_lc_rs::digest::SHA384,
            HashAlgorithm::Sha512 => &aws_lc_rs::digest::SHA512,
        }
    }
}

impl SignatureAlgorithm {
    /// The hash the algorithm signs over (`None` for RSNULL and unknown values).
    pub fn hash(&self) -> Option<HashAlgorithm> {
        use SignatureAlgorithm::*;
        match self {
            Ps256 | Rs256 | Es256 | Es256K | Hs256 => Some(HashAlgorithm::Sha256),
            Ps384 | Rs384 | Es384 | Hs384 => Some(HashAlgorithm::Sha384),
            Ps512 | Rs512 | Es512 | Hs512 => Some(HashAlgorithm::Sha512),
            RsNull | Other(_) => None,
        }
    }

    /// The curve an ECDSA algorithm needs.
    pub fn curve(&self) -> Option<KeyCurveName> {
        match self {
            SignatureAlgorithm::Es256 => Some(KeyCurveName::P256),
            SignatureAlgorithm::Es256K => Some(KeyCurveName::P256K),
            SignatureAlgorithm::Es384 => Some(KeyCurveName::P384),
            SignatureAlgorithm::Es512 => Some(KeyCurveName::P521),
            _ => None,
        }
    }
}

impl KeyCurveName {
    /// The byte length of a coordinate (and of the private scalar).
    pub fn coordinate_len(&self) -> Option<usize> {
        match self {
            KeyCurveName::P256 | KeyCurveName::P256K => Some(32),
            KeyCurveName::P384 => Some(48),
            KeyCurveName::P521 => Some(66),
            KeyCurveName::Other(_) => None,
        }
    }
    /// The signature algorithm that goes with the curve.
    pub fn signature_algorithm(&self) -> Option<SignatureAlgorithm> {
        match self {
            KeyCurveName::P256 => Some(SignatureAlgorithm::Es256),
            KeyCurveName::P256K => Some(SignatureAlgorithm::Es256K),
            KeyCurveName::P384 => Some(SignatureAlgorithm::Es384),
            KeyCurveName::P521 => Some(SignatureAlgorithm::Es512),
            KeyCurveName::Other(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_strings_round_trip_and_unknowns_are_kept() {
        for kty in KeyType::KNOWN {
            assert_eq!(&KeyType::parse(kty.as_str()), kty);
        }
        let x: KeyType = serde_json::from_str("\"ML-DSA\"").expect("parse");
        assert_eq!(x, KeyType::Other("ML-DSA".into()));
        assert_eq!(serde_json::to_string(&x).expect("ser"), "\"ML-DSA\"");
        assert_eq!(
            KeyWrapAlgorithm::parse("CKM_AES_KEY_WRAP_PAD"),
            KeyWrapAlgorithm::CkmAesKeyWrapPad
        );
        assert_eq!(
            SignatureAlgorithm::Es256K.curve(),
            Some(KeyCurveName::P256K)
        );
        assert_eq!(
            SignatureAlgorithm::Ps384.hash().map(HashAlgorithm::len),
            Some(48)
        );
    }
}
