//! `JsonWebKey`: key material as the service (and RFC 7517) describe it.

use serde::{Deserialize, Serialize};

use crate::enums::{AkpAlgorithm, KeyCurveName, KeyOperation, KeyType};
use crate::{SecretBytes, SecretString, b64, types};

/// A key from the wire that is not a key: what is wrong with it, never a
/// byte of its material.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid key: {0}")]
pub struct InvalidJwk(pub String);

/// A JSON Web Key with Key Vault's members.
///
/// Binary members hold raw bytes (base64url on the wire). Private members
/// (`d`, `dp`, `dq`, `qi`, `p`, `q`, `k`, and an AKP key's `priv`) are
/// [`SecretBytes`]: zeroized on drop and redacted in `Debug`; so is the BYOK
/// transfer blob `t`.
///
/// An AKP (ML-DSA) key carries its parameter set in `alg` and its public
/// key in `pub` (2026-05-01-preview). The service's spec names no private
/// AKP member; this type holds one as `priv`, the 32-byte FIPS 204 seed ξ
/// (as draft-ietf-cose-dilithium's AKP JWK does), for local keys and the
/// emulator only: [`JsonWebKey::to_protocol`] never sends it.
///
/// ```
/// use keyvault_keys_types::{JsonWebKey, enums::KeyType};
/// let jwk: JsonWebKey = serde_json::from_str(r#"{"kty":"oct","k":"AAECAwQFBgcICQoLDA0ODw"}"#)?;
/// assert_eq!(jwk.kty, KeyType::Oct);
/// assert!(!format!("{jwk:?}").contains("AAEC"));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonWebKey {
    /// Key identifier (the key version's URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// Key type.
    pub kty: KeyType,
    /// Permitted operations; empty means not restricted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub key_ops: Vec<KeyOperation>,
    /// RSA modulus.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "b64::opt")]
    pub n: Option<Vec<u8>>,
    /// RSA public exponent.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "b64::opt")]
    pub e: Option<Vec<u8>>,
    /// RSA private exponent, or EC private scalar.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "b64::secret")]
    pub d: Option<SecretBytes>,
    /// RSA `d mod (p-1)`.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "b64::secret")]
    pub dp: Option<SecretBytes>,
    /// RSA `d mod (q-1)`.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "b64::secret")]
    pub dq: Option<SecretBytes>,
    /// RSA `q^-1 mod p`.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "b64::secret")]
    pub qi: Option<SecretBytes>,
    /// RSA first prime.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "b64::secret")]
    pub p: Option<SecretBytes>,
    /// RSA second prime.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "b64::secret")]
    pub q: Option<SecretBytes>,
    /// Symmetric key.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "b64::secret")]
    pub k: Option<SecretBytes>,
    /// HSM token for bring-your-own-key import (`key_hsm` on the wire).
    #[serde(
        rename = "key_hsm",
        default,
        skip_serializing_if = "Option::is_none",
        with = "b64::opt"
    )]
    pub t: Option<Vec<u8>>,
    /// Elliptic curve.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crv: Option<KeyCurveName>,
    /// EC public x coordinate.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "b64::opt")]
    pub x: Option<Vec<u8>>,
    /// EC public y coordinate.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "b64::opt")]
    pub y: Option<Vec<u8>>,
    /// The parameter set of an AKP key (`ML-DSA-44`, `-65`, `-87`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<AkpAlgorithm>,
    /// An AKP key's public key (FIPS 204 `pkEncode`), `pub` on the wire.
    #[serde(
        rename = "pub",
        default,
        skip_serializing_if = "Option::is_none",
        with = "b64::opt"
    )]
    pub pub_key: Option<Vec<u8>>,
    /// An AKP key's private seed ξ (32 bytes), `priv` in JSON; never sent
    /// to the service (see the type's documentation).
    #[serde(
        rename = "priv",
        default,
        skip_serializing_if = "Option::is_none",
        with = "b64::secret"
    )]
    pub priv_seed: Option<SecretBytes>,
}

impl std::fmt::Debug for JsonWebKey {
    /// Every member, with `t` (the BYOK transfer blob, which wraps the key)
    /// shown by length only; the private members redact themselves.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonWebKey")
            .field("kid", &self.kid)
            .field("kty", &self.kty)
            .field("key_ops", &self.key_ops)
            .field("n", &self.n)
            .field("e", &self.e)
            .field("d", &self.d)
            .field("dp", &self.dp)
            .field("dq", &self.dq)
            .field("qi", &self.qi)
            .field("p", &self.p)
            .field("q", &self.q)
            .field("k", &self.k)
            .field(
                "t",
                &self
                    .t
                    .as_ref()
                    .map(|t| format!("<redacted {} bytes>", t.len())),
            )
            .field("crv", &self.crv)
            .field("x", &self.x)
            .field("y", &self.y)
            .field("alg", &self.alg)
            .field("pub", &self.pub_key)
            .field("priv", &self.priv_seed)
            .finish()
    }
}

impl JsonWebKey {
    /// An empty key of the given type (fill in its members).
    pub fn new(kty: KeyType) -> Self {
        Self {
            kid: None,
            kty,
            key_ops: Vec::new(),
            n: None,
            e: None,
            d: None,
            dp: None,
            dq: None,
            qi: None,
            p: None,
            q: None,
            k: None,
            t: None,
            crv: None,
            x: None,
            y: None,
            alg: None,
            pub_key: None,
            priv_seed: None,
        }
    }

    /// Whether the key holds private (or symmetric) material.
    pub fn has_private_key(&self) -> bool {
        if self.kty.is_oct() {
            self.k.is_some()
        } else if self.kty.is_akp() {
            self.priv_seed.is_some()
        } else {
            self.d.is_some()
        }
    }

    /// A copy without private material.
    pub fn public_only(&self) -> Self {
        Self {
            d: None,
            dp: None,
            dq: None,
            qi: None,
            p: None,
            q: None,
            k: None,
            t: None,
            priv_seed: None,
            ..self.clone()
        }
    }

    /// Whether `key_ops` allows `op` (an empty list allows everything).
    pub fn permits(&self, op: &KeyOperation) -> bool {
        self.key_ops.is_empty() || self.key_ops.contains(op)
    }

    /// The key's size in bits: RSA modulus, AES key, or curve size (none
    /// for an AKP key, whose parameter set is `alg`).
    pub fn key_size(&self) -> Option<usize> {
        if self.kty.is_rsa() {
            let n = self.n.as_deref()?;
            let n = strip_leading_zeros(n);
            let lead = n.first()?;
            Some(n.len() * 8 - lead.leading_zeros() as usize)
        } else if self.kty.is_oct() {
            self.k.as_ref().map(|k| k.len() * 8)
        } else if self.kty.is_akp() {
            None
        } else {
            crate::rules::curve(self.crv.as_ref()?).map(|c| c.bits as usize)
        }
    }

    /// Converts from the protocol's wire type, decoding base64url members.
    pub fn from_protocol(wire: &types::JsonWebKey) -> Result<Self, InvalidJwk> {
        let kty = wire
            .kty
            .clone()
            .ok_or_else(|| InvalidJwk("the key has no kty".into()))?;
        let dec = |name: &str, v: &Option<String>| -> Result<Option<Vec<u8>>, InvalidJwk> {
            v.as_deref()
                .map(|s| b64::decode(s).map_err(|e| InvalidJwk(format!("member {name}: {e}"))))
                .transpose()
        };
        // A fixed message: the decoder's names the bad byte and its offset,
        // a part of the secret.
        let sec = |name: &str, v: &Option<SecretString>| -> Result<Option<Vec<u8>>, InvalidJwk> {
            v.as_ref()
                .map(|s| {
                    b64::decode(s.expose_secret())
                        .map_err(|_| InvalidJwk(format!("member {name}: not base64url")))
                })
                .transpose()
        };
        Ok(Self {
            kid: wire.kid.clone(),
            kty,
            key_ops: wire
                .key_ops
                .iter()
                .map(|o| KeyOperation::parse(o))
                .collect(),
            n: dec("n", &wire.n)?,
            e: dec("e", &wire.e)?,
            d: sec("d", &wire.d)?.map(SecretBytes::new),
            dp: sec("dp", &wire.dp)?.map(SecretBytes::new),
            dq: sec("dq", &wire.dq)?.map(SecretBytes::new),
            qi: sec("qi", &wire.qi)?.map(SecretBytes::new),
            p: sec("p", &wire.p)?.map(SecretBytes::new),
            q: sec("q", &wire.q)?.map(SecretBytes::new),
            k: sec("k", &wire.k)?.map(SecretBytes::new),
            t: sec("key_hsm", &wire.key_hsm)?,
            crv: wire.crv.clone(),
            x: dec("x", &wire.x)?,
            y: dec("y", &wire.y)?,
            alg: wire.alg.clone(),
            pub_key: dec("pub", &wire.pub_)?,
            priv_seed: None,
        })
    }

    /// Converts to the protocol's wire type (private members included when
    /// present: importing a key sends them). An AKP key's `priv` seed is
    /// left out: the service's spec has no member for it.
    pub fn to_protocol(&self) -> types::JsonWebKey {
        let enc = |v: &Option<Vec<u8>>| v.as_deref().map(b64::encode);
        let sec = |v: &Option<SecretBytes>| v.as_ref().map(|s| b64::encode(s.expose()).into());
        types::JsonWebKey {
            kid: self.kid.clone(),
            kty: Some(self.kty.clone()),
            key_ops: self.key_ops.iter().map(|o| o.as_str().to_owned()).collect(),
            n: enc(&self.n),
            e: enc(&self.e),
            d: sec(&self.d),
            dp: sec(&self.dp),
            dq: sec(&self.dq),
            qi: sec(&self.qi),
            p: sec(&self.p),
            q: sec(&self.q),
            k: sec(&self.k),
            key_hsm: enc(&self.t).map(Into::into),
            crv: self.crv.clone(),
            x: enc(&self.x),
            y: enc(&self.y),
            alg: self.alg.clone(),
            pub_: enc(&self.pub_key),
            extra: Default::default(),
        }
    }
}

/// `b` without its leading zero bytes (an RSA modulus or exponent in
/// minimal big-endian form).
pub fn strip_leading_zeros(b: &[u8]) -> &[u8] {
    let first = b.iter().position(|x| *x != 0).unwrap_or(b.len());
    &b[first..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_malformed_private_member_error_shows_no_byte_of_it() {
        // The base64 decoder's own message names the bad byte and where it
        // is: a part of the secret.
        let e = serde_json::from_str::<JsonWebKey>(r#"{"kty":"oct","k":"c2Vj!mV0"}"#)
            .expect_err("not base64");
        let m = e.to_string();
        assert!(!m.contains("33") && !m.contains("offset"), "{m}");
    }

    #[test]
    fn a_malformed_private_member_from_the_wire_shows_no_byte_of_it() {
        let wire: types::JsonWebKey =
            serde_json::from_str(r#"{"kty":"oct","k":"c2Vj!mV0"}"#).expect("wire");
        let m = JsonWebKey::from_protocol(&wire)
            .expect_err("not base64")
            .to_string();
        assert!(
            !m.contains("33") && !m.contains("offset") && !m.contains('!'),
            "{m}"
        );
        assert!(m.contains("member k"), "{m}");
    }
}
