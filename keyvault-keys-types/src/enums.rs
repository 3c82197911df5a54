//! The service's enums: the one definition every layer uses.
//!
//! The generator maps each enum schema of `specs/` to the type here (see
//! `xtask/src/codegen.rs`), so the generated models, the crypto engine, the
//! `KeyClient` and the emulator all share these types.
//!
//! Each enum has a variant per value it knows and
//! `UnknownValue(String)` for values from a newer service: they parse from
//! and print to the wire string, and an unknown value round-trips unchanged.
//! [`SPEC_VALUES`](KeyType::SPEC_VALUES) lists the values of the spec's
//! schema (a test checks it against `specs/`); a few enums also know values
//! that this SDK's local engine and emulator support beyond the spec,
//! listed in `LOCAL_VALUES`.

macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        $name:ident = $schema:literal, ignore_case: $ignore_case:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $wire:literal ),+ $(,)?
        }
        $( local {
            $( $(#[$lmeta:meta])* $lvariant:ident = $lwire:literal ),+ $(,)?
        } )?
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* #[doc = concat!("`", $wire, "`")] $variant, )+
            $($( $(#[$lmeta])* #[doc = concat!("`", $lwire, "` (not in the service's spec)")] $lvariant, )+)?
            /// A value this version does not know, kept as sent.
            UnknownValue(String),
        }

        impl $name {
            /// The spec schema this type stands for.
            pub const SPEC_SCHEMA: &'static str = $schema;

            /// The values of the spec's schema, in the spec's order.
            pub const SPEC_VALUES: &'static [&'static str] = &[$($wire),+];

            /// Values known beyond the spec (supported by the local engine
            /// and the emulator, not documented for the service).
            pub const LOCAL_VALUES: &'static [&'static str] = &[$($($lwire),+)?];

            /// Every value this version knows.
            pub const KNOWN: &'static [$name] =
                &[$($name::$variant,)+ $($($name::$lvariant,)+)?];

            /// The wire string.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $wire, )+
                    $($( $name::$lvariant => $lwire, )+)?
                    $name::UnknownValue(s) => s,
                }
            }

            /// Parses a wire string; anything it does not know is kept as
            /// `UnknownValue`.
            pub fn parse(s: &str) -> Self {
                Self::KNOWN
                    .iter()
                    .find(|k| {
                        if $ignore_case {
                            k.as_str().eq_ignore_ascii_case(s)
                        } else {
                            k.as_str() == s
                        }
                    })
                    .cloned()
                    .unwrap_or_else(|| $name::UnknownValue(s.to_owned()))
            }

            /// Whether this version knows the value.
            pub fn is_known(&self) -> bool {
                !matches!(self, $name::UnknownValue(_))
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::std::convert::Infallible;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok(Self::parse(s))
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self::parse(s)
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                Self::parse(&s)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Ok(Self::parse(&s))
            }
        }
    };
}

/// One enum schema of the spec and the type that stands for it.
#[derive(Clone, Copy, Debug)]
pub struct SpecEnum {
    /// The schema's name in `specs/`.
    pub schema: &'static str,
    /// The Rust type's name in this module.
    pub type_name: &'static str,
    /// The schema's values, in the spec's order.
    pub values: &'static [&'static str],
}

macro_rules! spec_enums {
    ($($ty:ident),+ $(,)?) => {
        /// Every enum schema of the spec, with its type here.
        pub const SPEC_ENUMS: &[SpecEnum] = &[$(SpecEnum {
            schema: $ty::SPEC_SCHEMA,
            type_name: stringify!($ty),
            values: $ty::SPEC_VALUES,
        }),+];
    };
}

spec_enums![
    AkpAlgorithm,
    DeletionRecoveryLevel,
    KeyCurveName,
    EncryptionAlgorithm,
    KeyOperation,
    SignatureAlgorithm,
    KeyType,
    KeySecureWrapAlgorithm,
    KeyExportEncryptionAlgorithm,
    KeyRotationPolicyAction,
];

wire_enum! {
    /// The kind of a key (`kty`). The `-HSM` kinds live in hardware.
    KeyType = "JsonWebKeyType", ignore_case: false {
        Ec = "EC",
        EcHsm = "EC-HSM",
        Rsa = "RSA",
        RsaHsm = "RSA-HSM",
        Oct = "oct",
        OctHsm = "oct-HSM",
        /// Algorithm Key Pair: an ML-DSA (FIPS 204) key, its parameter set
        /// in the JWK's `alg` ([`AkpAlgorithm`]); 2026-05-01-preview on.
        Akp = "AKP",
        /// An AKP key whose private key lives in the HSM.
        AkpHsm = "AKP-HSM",
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
    /// AKP or AKP-HSM (ML-DSA).
    pub fn is_akp(&self) -> bool {
        matches!(self, KeyType::Akp | KeyType::AkpHsm)
    }
    /// One of the `-HSM` kinds.
    pub fn is_hsm(&self) -> bool {
        matches!(
            self,
            KeyType::EcHsm | KeyType::RsaHsm | KeyType::OctHsm | KeyType::AkpHsm
        )
    }
}

wire_enum! {
    /// The parameter set of an AKP key (the JWK's and the create request's
    /// `alg`): ML-DSA of FIPS 204, named as in draft-ietf-cose-dilithium.
    AkpAlgorithm = "AKPAlgorithm", ignore_case: false {
        /// ML-DSA-44 (NIST security category 2).
        MlDsa44 = "ML-DSA-44",
        /// ML-DSA-65 (category 3).
        MlDsa65 = "ML-DSA-65",
        /// ML-DSA-87 (category 5).
        MlDsa87 = "ML-DSA-87",
    }
}

impl AkpAlgorithm {
    /// The length of the encoded public key (FIPS 204, table 2).
    pub fn public_key_len(&self) -> Option<usize> {
        match self {
            AkpAlgorithm::MlDsa44 => Some(1312),
            AkpAlgorithm::MlDsa65 => Some(1952),
            AkpAlgorithm::MlDsa87 => Some(2592),
            AkpAlgorithm::UnknownValue(_) => None,
        }
    }
    /// The length of a signature (FIPS 204, table 2).
    pub fn signature_len(&self) -> Option<usize> {
        match self {
            AkpAlgorithm::MlDsa44 => Some(2420),
            AkpAlgorithm::MlDsa65 => Some(3309),
            AkpAlgorithm::MlDsa87 => Some(4627),
            AkpAlgorithm::UnknownValue(_) => None,
        }
    }
}

wire_enum! {
    /// An elliptic curve (`crv`).
    KeyCurveName = "JsonWebKeyCurveName", ignore_case: false {
        P256 = "P-256",
        P384 = "P-384",
        P521 = "P-521",
        P256K = "P-256K",
    }
}

wire_enum! {
    /// An operation a key may be used for (`key_ops`).
    KeyOperation = "JsonWebKeyOperation", ignore_case: false {
        Encrypt = "encrypt",
        Decrypt = "decrypt",
        Sign = "sign",
        Verify = "verify",
        WrapKey = "wrapKey",
        UnwrapKey = "unwrapKey",
        Import = "import",
        Export = "export",
        /// Secure wrap (2026-01-01-preview and later; 2026-04-01's list
        /// leaves it out, but keys carry it).
        SecureWrapKey = "secureWrapKey",
        /// Secure unwrap (as [`KeyOperation::SecureWrapKey`]).
        SecureUnwrapKey = "secureUnwrapKey",
    }
}

wire_enum! {
    /// An encryption or key-wrap algorithm (encrypt, decrypt, wrapKey and
    /// unwrapKey take the same family).
    EncryptionAlgorithm = "JsonWebKeyEncryptionAlgorithm", ignore_case: false {
        RsaOaep = "RSA-OAEP",
        RsaOaep256 = "RSA-OAEP-256",
        Rsa15 = "RSA1_5",
        A128Gcm = "A128GCM",
        A192Gcm = "A192GCM",
        A256Gcm = "A256GCM",
        A128Kw = "A128KW",
        A192Kw = "A192KW",
        A256Kw = "A256KW",
        A128Cbc = "A128CBC",
        A192Cbc = "A192CBC",
        A256Cbc = "A256CBC",
        A128CbcPad = "A128CBCPAD",
        A192CbcPad = "A192CBCPAD",
        A256CbcPad = "A256CBCPAD",
        /// AES key wrap (RFC 3394) with a key of any AES size.
        CkmAesKeyWrap = "CKM_AES_KEY_WRAP",
        /// AES key wrap with padding (RFC 5649) with a key of any AES size.
        CkmAesKeyWrapPad = "CKM_AES_KEY_WRAP_PAD",
    }
    local {
        /// AES key wrap with padding (RFC 5649), 128-bit key.
        A128KwPad = "A128KWPAD",
        /// AES key wrap with padding (RFC 5649), 192-bit key.
        A192KwPad = "A192KWPAD",
        /// AES key wrap with padding (RFC 5649), 256-bit key.
        A256KwPad = "A256KWPAD",
    }
}

wire_enum! {
    /// How secure wrap and secure unwrap protect the AES key they carry
    /// (2026-01-01-preview and later). Python's `KeySecureWrapAlgorithm`.
    KeySecureWrapAlgorithm = "JsonWebKeyWrapAlgorithm", ignore_case: false {
        RsaOaep256 = "RSA-OAEP-256",
        A128Kw = "A128KW",
        A192Kw = "A192KW",
        A256Kw = "A256KW",
        A128KwPad = "A128KWPAD",
        A192KwPad = "A192KWPAD",
        A256KwPad = "A256KWPAD",
        CkmAesKeyWrap = "CKM_AES_KEY_WRAP",
        CkmAesKeyWrapPad = "CKM_AES_KEY_WRAP_PAD",
    }
}

/// The key-wrap algorithms: wrapKey and unwrapKey take the same family as
/// encrypt and decrypt (one type, two names).
pub use EncryptionAlgorithm as KeyWrapAlgorithm;

wire_enum! {
    /// A signature algorithm.
    SignatureAlgorithm = "JsonWebKeySignatureAlgorithm", ignore_case: false {
        Ps256 = "PS256",
        Ps384 = "PS384",
        Ps512 = "PS512",
        Rs256 = "RS256",
        Rs384 = "RS384",
        Rs512 = "RS512",
        Hs256 = "HS256",
        Hs384 = "HS384",
        Hs512 = "HS512",
        RsNull = "RSNULL",
        Es256 = "ES256",
        Es384 = "ES384",
        Es512 = "ES512",
        Es256K = "ES256K",
    }
}

/// The hash a signature algorithm signs over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
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
}

impl SignatureAlgorithm {
    /// The hash the algorithm signs over (`None` for RSNULL and unknown values).
    pub fn hash(&self) -> Option<HashAlgorithm> {
        use SignatureAlgorithm::*;
        match self {
            Ps256 | Rs256 | Es256 | Es256K | Hs256 => Some(HashAlgorithm::Sha256),
            Ps384 | Rs384 | Es384 | Hs384 => Some(HashAlgorithm::Sha384),
            Ps512 | Rs512 | Es512 | Hs512 => Some(HashAlgorithm::Sha512),
            RsNull | UnknownValue(_) => None,
        }
    }
}

wire_enum! {
    /// How a released key is wrapped for its target environment.
    KeyExportEncryptionAlgorithm = "KeyEncryptionAlgorithm", ignore_case: false {
        /// RSA-OAEP (SHA-1) of a fresh AES-256 key, then AES key wrap with
        /// padding (RFC 5649) of the key material.
        CkmRsaAesKeyWrap = "CKM_RSA_AES_KEY_WRAP",
        /// As `CKM_RSA_AES_KEY_WRAP` with OAEP SHA-256.
        RsaAesKeyWrap256 = "RSA_AES_KEY_WRAP_256",
        /// As `CKM_RSA_AES_KEY_WRAP` with OAEP SHA-384.
        RsaAesKeyWrap384 = "RSA_AES_KEY_WRAP_384",
    }
}

wire_enum! {
    /// How a deleted key can be recovered, and whether it can be purged.
    DeletionRecoveryLevel = "DeletionRecoveryLevel", ignore_case: false {
        Purgeable = "Purgeable",
        RecoverablePurgeable = "Recoverable+Purgeable",
        Recoverable = "Recoverable",
        RecoverableProtectedSubscription = "Recoverable+ProtectedSubscription",
        CustomizedRecoverablePurgeable = "CustomizedRecoverable+Purgeable",
        CustomizedRecoverable = "CustomizedRecoverable",
        CustomizedRecoverableProtectedSubscription = "CustomizedRecoverable+ProtectedSubscription",
    }
}

wire_enum! {
    /// What a rotation policy's lifetime action does.
    ///
    /// The service compares it without regard to case, so it parses that
    /// way too (`"rotate"` is [`Rotate`](Self::Rotate), printed `Rotate`);
    /// other values are kept as sent.
    KeyRotationPolicyAction = "KeyRotationPolicyAction", ignore_case: true {
        /// Rotate the key.
        Rotate = "Rotate",
        /// Send a notification (Event Grid).
        Notify = "Notify",
    }
}

/// `Rotate`: what a new lifetime action does unless told otherwise (so a
/// model holding one can be `Default`).
impl Default for KeyRotationPolicyAction {
    fn default() -> Self {
        Self::Rotate
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
        for alg in EncryptionAlgorithm::KNOWN {
            let json = serde_json::to_string(alg).expect("ser");
            assert_eq!(
                &serde_json::from_str::<EncryptionAlgorithm>(&json).expect("de"),
                alg
            );
        }
        let x: KeyType = serde_json::from_str("\"ML-DSA\"").expect("parse");
        assert_eq!(x, KeyType::UnknownValue("ML-DSA".into()));
        assert!(!x.is_known());
        assert_eq!(serde_json::to_string(&x).expect("ser"), "\"ML-DSA\"");
        // Exact match: a known value in another case is a different value.
        assert_eq!(KeyType::parse("ec"), KeyType::UnknownValue("ec".into()));
        assert_eq!(
            KeyWrapAlgorithm::parse("CKM_AES_KEY_WRAP_PAD"),
            KeyWrapAlgorithm::CkmAesKeyWrapPad
        );
        assert_eq!(
            SignatureAlgorithm::Ps384.hash().map(HashAlgorithm::len),
            Some(48)
        );
    }

    #[test]
    fn the_rotation_action_ignores_case_and_keeps_unknown_values() {
        assert_eq!(
            KeyRotationPolicyAction::parse("rotate"),
            KeyRotationPolicyAction::Rotate
        );
        assert_eq!(KeyRotationPolicyAction::Notify.as_str(), "Notify");
        let x: KeyRotationPolicyAction = serde_json::from_str("\"Archive\"").expect("de");
        assert_eq!(x, KeyRotationPolicyAction::UnknownValue("Archive".into()));
        assert_eq!(serde_json::to_string(&x).expect("ser"), "\"Archive\"");
    }

    #[test]
    fn known_values_are_the_spec_values_then_the_local_ones() {
        fn check<T: std::fmt::Debug>(
            known: &[T],
            name: fn(&T) -> &str,
            spec: &[&str],
            local: &[&str],
        ) {
            let known: Vec<&str> = known.iter().map(name).collect();
            let expected: Vec<&str> = spec.iter().chain(local).copied().collect();
            assert_eq!(known, expected);
            assert!(local.iter().all(|l| !spec.contains(l)), "{local:?}");
        }
        check(
            EncryptionAlgorithm::KNOWN,
            EncryptionAlgorithm::as_str,
            EncryptionAlgorithm::SPEC_VALUES,
            EncryptionAlgorithm::LOCAL_VALUES,
        );
        assert_eq!(EncryptionAlgorithm::LOCAL_VALUES.len(), 3);
        check(
            KeyType::KNOWN,
            KeyType::as_str,
            KeyType::SPEC_VALUES,
            KeyType::LOCAL_VALUES,
        );
        check(
            DeletionRecoveryLevel::KNOWN,
            DeletionRecoveryLevel::as_str,
            DeletionRecoveryLevel::SPEC_VALUES,
            DeletionRecoveryLevel::LOCAL_VALUES,
        );
    }
}
