//! ML-DSA (FIPS 204) for AKP keys: aws-lc-rs for pure ML-DSA with the
//! empty context, RustCrypto's `ml-dsa` for a context string or an
//! external μ.
//!
//! aws-lc-rs has ML-DSA in its **stable** API since 1.18.0
//! (`aws_lc_rs::signature::{PqdsaKeyPair, ML_DSA_44_SIGNING, ML_DSA_44, …}`,
//! no cargo feature; the `unstable` feature's `unstable::signature` only
//! keeps deprecated aliases). It is covered by aws-lc-rs's semver promise
//! like the rest of `signature`; in a FIPS build the module is approved for
//! the three parameter sets. It does key generation and derivation from
//! the 32-byte seed ξ, the public key, and pure ML-DSA signing (hedged)
//! and verification — but only with the **empty context string**: it has
//! no API for a non-empty context (FIPS 204 §5.2: `sign` and `verify` take
//! only the message) nor for external μ (§6.2: `verify_digest` refuses
//! ML-DSA, and nothing signs a μ). Reaching aws-lc's C functions that do
//! have them would take `unsafe`, which this workspace does not allow.
//!
//! So a request with a non-empty context, or with an external μ, runs on
//! the `ml-dsa` crate (RustCrypto, pure Rust, 0.1): ML-DSA.Sign and
//! ML-DSA.Verify with a context (Algorithms 2 and 3), and the same with a
//! precomputed μ. Its key generation from the seed ξ is FIPS 204's
//! `ML-DSA.KeyGen_internal`, as aws-lc-rs's is, so one seed is one key in
//! both (a test checks that each verifies the other's signatures). Its
//! signing is hedged too (fresh `rnd` from aws-lc-rs's generator). Its
//! keys are expanded once per key, on the first such request, and the
//! expanded signing key is zeroized when dropped.

use aws_lc_rs::signature::{
    KeyPair as _, ML_DSA_44, ML_DSA_44_SIGNING, ML_DSA_65, ML_DSA_65_SIGNING, ML_DSA_87,
    ML_DSA_87_SIGNING, ParsedPublicKey, PqdsaKeyPair, PqdsaSigningAlgorithm,
    PqdsaVerificationAlgorithm,
};

use super::random_bytes;
use crate::enums::{AkpAlgorithm, KeyType};
use crate::error::{CryptoError, backend};
use keyvault_keys_types::JsonWebKey;
use keyvault_keys_types::SecretBytes;

/// The length of the seed ξ an ML-DSA key is derived from (FIPS 204).
pub const ML_DSA_SEED_LEN: usize = 32;

pub(super) struct MlDsa {
    pub(super) algorithm: AkpAlgorithm,
    verifying: ParsedPublicKey,
    /// The encoded public key (for the `ml-dsa` path).
    public: Vec<u8>,
    private: Option<PqdsaKeyPair>,
    /// The seed ξ the private key was derived from (for the `ml-dsa`
    /// path); zeroized when dropped.
    seed: Option<SecretBytes>,
    /// The `ml-dsa` crate's keys, expanded from `public` and `seed` on the
    /// first request with a context or a μ and kept: expanding is most of
    /// a signature's work, not to be repeated per call.
    fips204: std::sync::OnceLock<fips204::Keys>,
}

/// What is signed or verified.
#[derive(Clone, Copy, Debug)]
pub(super) enum Input<'a> {
    /// A message with its context string (empty when none was given).
    Message {
        message: &'a [u8],
        context: &'a [u8],
    },
    /// A precomputed 64-byte μ (FIPS 204 §6.2).
    Mu(&'a [u8]),
}

fn algorithms(
    alg: &AkpAlgorithm,
) -> Result<
    (
        &'static PqdsaSigningAlgorithm,
        &'static PqdsaVerificationAlgorithm,
    ),
    CryptoError,
> {
    match alg {
        AkpAlgorithm::MlDsa44 => Ok((&ML_DSA_44_SIGNING, &ML_DSA_44)),
        AkpAlgorithm::MlDsa65 => Ok((&ML_DSA_65_SIGNING, &ML_DSA_65)),
        AkpAlgorithm::MlDsa87 => Ok((&ML_DSA_87_SIGNING, &ML_DSA_87)),
        AkpAlgorithm::UnknownValue(other) => Err(unknown_set(other)),
    }
}

/// A parameter set the engine does not know.
fn unknown_set(name: &str) -> CryptoError {
    CryptoError::UnsupportedAlgorithm {
        algorithm: format!("AKP parameter set {name:?}"),
        context: "by the local engine (ML-DSA-44, ML-DSA-65, ML-DSA-87)".into(),
    }
}

/// Reads an AKP JWK: `alg` is required; `priv` (the seed), when present,
/// must give the `pub` the JWK states (if it states one).
pub(super) fn ml_dsa_material(jwk: &JsonWebKey) -> Result<MlDsa, CryptoError> {
    let alg = jwk
        .alg
        .clone()
        .ok_or_else(|| CryptoError::InvalidKey("an AKP key needs the member alg".into()))?;
    let (signing, verification) = algorithms(&alg)?;
    let private = match &jwk.priv_seed {
        Some(seed) => {
            if seed.len() != ML_DSA_SEED_LEN {
                return Err(CryptoError::InvalidKey(format!(
                    "an AKP key's priv is the {ML_DSA_SEED_LEN}-byte seed, not {} bytes",
                    seed.len()
                )));
            }
            Some(
                PqdsaKeyPair::from_seed(signing, seed.expose())
                    .map_err(|_| CryptoError::InvalidKey("the AKP seed is refused".into()))?,
            )
        }
        None => None,
    };
    let public: Vec<u8> = match (&jwk.pub_key, &private) {
        (Some(p), Some(pair)) if p.as_slice() != pair.public_key().as_ref() => {
            return Err(CryptoError::InvalidKey(
                "the AKP key's pub is not the public key of its priv".into(),
            ));
        }
        (Some(p), _) => p.clone(),
        (None, Some(pair)) => pair.public_key().as_ref().to_vec(),
        (None, None) => {
            return Err(CryptoError::InvalidKey(
                "an AKP key needs the member pub (or priv)".into(),
            ));
        }
    };
    if Some(public.len()) != alg.public_key_len() {
        return Err(CryptoError::InvalidKey(format!(
            "an {alg} public key is {} bytes, not {}",
            alg.public_key_len().unwrap_or_default(),
            public.len()
        )));
    }
    let verifying = ParsedPublicKey::new(verification, &public)
        .map_err(|_| CryptoError::InvalidKey(format!("the {alg} public key is refused")))?;
    Ok(MlDsa {
        algorithm: alg,
        verifying,
        public,
        private,
        seed: jwk.priv_seed.clone(),
        fips204: std::sync::OnceLock::new(),
    })
}

impl MlDsa {
    pub(super) fn has_private_key(&self) -> bool {
        self.private.is_some()
    }

    /// Signs (hedged: two signatures of one input differ): pure ML-DSA
    /// with the empty context on aws-lc-rs, a context or a μ on `ml-dsa`.
    pub(super) fn sign(&self, input: Input<'_>) -> Result<Vec<u8>, CryptoError> {
        let missing = || CryptoError::MissingPrivateKey {
            operation: "sign".into(),
        };
        match input {
            Input::Message {
                message,
                context: [],
            } => {
                let pair = self.private.as_ref().ok_or_else(missing)?;
                let mut sig = vec![0u8; pair.algorithm().signature_len()];
                let n = pair
                    .sign(message, &mut sig)
                    .map_err(backend("ML-DSA signing"))?;
                sig.truncate(n);
                Ok(sig)
            }
            _ => self.fips204()?.sign(input),
        }
    }

    /// Verifies: pure ML-DSA with the empty context on aws-lc-rs, a
    /// context or a μ on `ml-dsa`. A signature of the wrong length, or a μ
    /// not of 64 bytes, is simply invalid.
    pub(super) fn verify(&self, input: Input<'_>, signature: &[u8]) -> bool {
        match input {
            Input::Message {
                message,
                context: [],
            } => self.verifying.verify_sig(message, signature).is_ok(),
            _ => self
                .fips204()
                .is_ok_and(|keys| keys.verify(input, signature)),
        }
    }

    /// The `ml-dsa` keys, expanded on first use.
    fn fips204(&self) -> Result<&fips204::Keys, CryptoError> {
        if let Some(keys) = self.fips204.get() {
            return Ok(keys);
        }
        let keys = fips204::Keys::new(&self.algorithm, &self.public, self.seed.as_ref())?;
        Ok(self.fips204.get_or_init(|| keys))
    }
}

/// ML-DSA with a context or a μ, on RustCrypto's `ml-dsa`.
mod fips204 {
    use ml_dsa::signature::rand_core::{TryCryptoRng, TryRng};
    use ml_dsa::{
        EncodedSignature, EncodedVerifyingKey, ExpandedSigningKey, MlDsaParams, Seed, Signature,
        VerifyingKey,
    };
    use zeroize::Zeroizing;

    use super::Input;
    use crate::enums::AkpAlgorithm;
    use crate::error::CryptoError;
    use keyvault_keys_types::SecretBytes;

    /// aws-lc-rs's generator, as `ml-dsa` takes one.
    struct AwsLcRng;

    /// The generator failed.
    #[derive(Debug)]
    struct RngFailed;

    impl std::fmt::Display for RngFailed {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("the random generator failed")
        }
    }

    impl std::error::Error for RngFailed {}

    impl TryRng for AwsLcRng {
        type Error = RngFailed;
        fn try_next_u32(&mut self) -> Result<u32, RngFailed> {
            let mut b = [0u8; 4];
            self.try_fill_bytes(&mut b)?;
            Ok(u32::from_le_bytes(b))
        }
        fn try_next_u64(&mut self) -> Result<u64, RngFailed> {
            let mut b = [0u8; 8];
            self.try_fill_bytes(&mut b)?;
            Ok(u64::from_le_bytes(b))
        }
        fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), RngFailed> {
            aws_lc_rs::rand::fill(dst).map_err(|_| RngFailed)
        }
    }

    impl TryCryptoRng for AwsLcRng {}

    /// One parameter set's keys: the signing key expanded from the seed
    /// (zeroized on drop), when there is a seed, and the verifying key.
    pub(super) struct Of<P: MlDsaParams> {
        signing: Option<Box<ExpandedSigningKey<P>>>,
        verifying: Box<VerifyingKey<P>>,
    }

    /// The keys of the key's parameter set.
    pub(super) enum Keys {
        MlDsa44(Of<ml_dsa::MlDsa44>),
        MlDsa65(Of<ml_dsa::MlDsa65>),
        MlDsa87(Of<ml_dsa::MlDsa87>),
    }

    impl Keys {
        /// Expands `public` (of the set's length, checked when the key was
        /// read) and the 32-byte `seed`.
        pub(super) fn new(
            algorithm: &AkpAlgorithm,
            public: &[u8],
            seed: Option<&SecretBytes>,
        ) -> Result<Self, CryptoError> {
            Ok(match algorithm {
                AkpAlgorithm::MlDsa44 => Keys::MlDsa44(Of::new(public, seed)?),
                AkpAlgorithm::MlDsa65 => Keys::MlDsa65(Of::new(public, seed)?),
                AkpAlgorithm::MlDsa87 => Keys::MlDsa87(Of::new(public, seed)?),
                // `ml_dsa_material` refuses unknown parameter sets.
                AkpAlgorithm::UnknownValue(other) => return Err(super::unknown_set(other)),
            })
        }

        pub(super) fn sign(&self, input: Input<'_>) -> Result<Vec<u8>, CryptoError> {
            match self {
                Keys::MlDsa44(k) => k.sign(input),
                Keys::MlDsa65(k) => k.sign(input),
                Keys::MlDsa87(k) => k.sign(input),
            }
        }

        pub(super) fn verify(&self, input: Input<'_>, signature: &[u8]) -> bool {
            match self {
                Keys::MlDsa44(k) => k.verify(input, signature),
                Keys::MlDsa65(k) => k.verify(input, signature),
                Keys::MlDsa87(k) => k.verify(input, signature),
            }
        }
    }

    impl<P: MlDsaParams> Of<P> {
        fn new(public: &[u8], seed: Option<&SecretBytes>) -> Result<Self, CryptoError> {
            let public = EncodedVerifyingKey::<P>::try_from(public)
                .map_err(|_| CryptoError::InvalidKey("the AKP public key's length".into()))?;
            let signing = match seed {
                Some(seed) => {
                    let seed: Zeroizing<Seed> =
                        Zeroizing::new(Seed::try_from(seed.expose()).map_err(|_| {
                            CryptoError::InvalidKey("an AKP key's priv is 32 bytes".into())
                        })?);
                    Some(Box::new(ExpandedSigningKey::<P>::from_seed(&seed)))
                }
                None => None,
            };
            Ok(Self {
                signing,
                verifying: Box::new(VerifyingKey::<P>::decode(&public)),
            })
        }

        fn sign(&self, input: Input<'_>) -> Result<Vec<u8>, CryptoError> {
            let key = self
                .signing
                .as_ref()
                .ok_or_else(|| CryptoError::MissingPrivateKey {
                    operation: "sign".into(),
                })?;
            let signature = match input {
                Input::Message { message, context } => {
                    key.sign_randomized(message, context, &mut AwsLcRng)
                }
                Input::Mu(mu) => {
                    let mu = mu.try_into().map_err(|_| {
                        CryptoError::InvalidInput(format!(
                            "an ML-DSA external mu is 64 bytes (FIPS 204, 6.2), not {}",
                            mu.len()
                        ))
                    })?;
                    key.sign_mu_randomized(&mu, &mut AwsLcRng)
                }
            }
            // A context over 255 bytes is refused before this (validate),
            // so what is left is the generator or the rejection sampling
            // failing.
            .map_err(|_| CryptoError::Backend("ML-DSA signing failed".into()))?;
            Ok(signature.encode().to_vec())
        }

        fn verify(&self, input: Input<'_>, signature: &[u8]) -> bool {
            let Ok(signature) = EncodedSignature::<P>::try_from(signature) else {
                return false;
            };
            let Some(signature) = Signature::<P>::decode(&signature) else {
                return false;
            };
            match input {
                Input::Message { message, context } => self
                    .verifying
                    .verify_with_context(message, context, &signature),
                Input::Mu(mu) => match mu.try_into() {
                    Ok(mu) => self.verifying.verify_mu(&mu, &signature),
                    Err(_) => false,
                },
            }
        }
    }
}

/// Generates an AKP key of the parameter set `algorithm`: a fresh random
/// 32-byte seed ξ (`priv`, [`SecretBytes`]) and its public key (`pub`).
///
/// `kty` is `AKP` or `AKP-HSM` (the same material). A separate function
/// rather than a [`crate::KeySpec`] member, so that code building a
/// `KeySpec` by its fields keeps compiling.
pub fn generate_akp(kty: &KeyType, algorithm: &AkpAlgorithm) -> Result<JsonWebKey, CryptoError> {
    if !kty.is_akp() {
        return Err(CryptoError::InvalidInput(format!(
            "generate_akp makes AKP or AKP-HSM keys, not {kty}"
        )));
    }
    let (signing, _) = algorithms(algorithm)?;
    let seed = SecretBytes::new(random_bytes(ML_DSA_SEED_LEN)?);
    let pair = PqdsaKeyPair::from_seed(signing, seed.expose())
        .map_err(|_| CryptoError::Backend("ML-DSA key generation failed".into()))?;
    let mut jwk = JsonWebKey::new(kty.clone());
    jwk.alg = Some(algorithm.clone());
    jwk.pub_key = Some(pair.public_key().as_ref().to_vec());
    jwk.priv_seed = Some(seed);
    Ok(jwk)
}
