//! `CryptographyClient`: cryptography with a key, in the vault or in-process.
//!
//! Three ways to build it:
//! - [`CryptographyClient::new`] from a key id and a credential (or from
//!   `KeyClient::get_cryptography_client`, which shares the pipeline): the
//!   key is fetched once; public-key operations then run locally, private
//!   ones (and everything with a symmetric key, whose material the service
//!   never returns) in the vault. If reading the key is forbidden (403), the
//!   client stays remote. If the fetch fails for a reason that says nothing
//!   about the key (a 5xx, a time-out, a 404 that is not `KeyNotFound`), the
//!   operation runs in the vault and the fetch is tried again on the next
//!   call; a 401, a credential or challenge failure and `KeyNotFound` are
//!   returned as errors.
//! - [`CryptographyClient::from_key`] from a key already fetched: the same,
//!   with no fetch.
//! - [`CryptographyClient::from_jwk`]: fully local, never touches the
//!   network; an operation it cannot do locally is an error.
//!
//! Local operations check what the service checks: `key_ops`, enabled,
//! that the algorithm fits the key, and digest lengths; not-before and
//! expiry limit encrypt, wrapKey and sign only (verify, decrypt and
//! unwrapKey still work outside the window, as in the service and the
//! Python client).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use keyvault_keys_protocol::azure_core::credentials::TokenCredential;
use keyvault_keys_protocol::{Client, call, types};
use time::OffsetDateTime;
use tokio::sync::OnceCell;

use crate::enums::{HashDigest as _, KeyOperation, KeyWrapAlgorithm, SignatureAlgorithm};
use crate::error::CryptoError;
use crate::ops::*;
use crate::options::*;
use crate::validity::{Refusal, Validity};
use crate::{JsonWebKey, LocalKey};
use keyvault_keys_types::KeyVaultKeyIdentifier;
use keyvault_keys_types::{SecretBytes, b64};

/// Runs a method's body in its span (`CryptographyClient.<method>`; see
/// [`keyvault_keys_protocol::instrumentation`]).
macro_rules! traced {
    ($name:literal, $body:expr) => {
        keyvault_keys_protocol::instrumentation::in_public_api(
            || keyvault_keys_protocol::public_api_span!($name),
            $body,
        )
        .await
    };
}

/// When a key may be used, as far as the client knows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyUsage {
    /// `false` when the key is disabled.
    pub enabled: Option<bool>,
    /// Not usable before this instant.
    pub not_before: Option<OffsetDateTime>,
    /// Not usable from this instant.
    pub expires_on: Option<OffsetDateTime>,
}

impl KeyUsage {
    /// Applies the validity rule ([`crate::validity`]) to `op` now.
    fn check(&self, op: KeyOperation) -> Result<(), CryptoError> {
        let rule = Validity {
            enabled: self.enabled,
            not_before: self.not_before,
            expires: self.expires_on,
        };
        rule.check(&op, OffsetDateTime::now_utc())
            .map_err(|refusal| {
                CryptoError::KeyNotValid(match refusal {
                    Refusal::Disabled => "the key is disabled".into(),
                    Refusal::NotYetValid(nbf) => format!("the key is not valid before {nbf}"),
                    Refusal::Expired(exp) => format!("the key expired at {exp}"),
                })
            })
    }

    /// Reads the validity from the wire attributes.
    pub fn from_attributes(a: Option<&types::KeyAttributes>) -> Self {
        let t = |s: Option<i64>| s.and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok());
        Self {
            enabled: a.and_then(|a| a.enabled),
            not_before: t(a.and_then(|a| a.nbf)),
            expires_on: t(a.and_then(|a| a.exp)),
        }
    }
}

struct Local {
    key: LocalKey,
    usage: KeyUsage,
}

struct Inner {
    /// Shared by every result (see [`crate::EncryptResult::key_id`]).
    key_id: Option<Arc<str>>,
    /// The vault's URL (no trailing slash), when known.
    vault_url: Option<String>,
    name: String,
    version: String,
    remote: Option<Client>,
    /// `None` inside: no local key (remote only). Left empty after a fetch
    /// that failed for a transient reason, so the next call fetches again.
    local: OnceCell<Option<Local>>,
    /// Counts fetches that failed for a transient reason: a call that was
    /// waiting while one failed goes to the vault instead of fetching again
    /// in turn (each fetch may last a time-out).
    failed_fetches: AtomicU64,
}

/// Why the first fetch of the key did not give a local key.
enum FetchFailure {
    /// Return this error: the operation would fail the same way remotely.
    Surface(keyvault_keys_protocol::Error),
    /// Run this operation in the vault; fetch again on the next call.
    Transient,
}

/// Sorts a failed key fetch (`get_key`).
///
/// Python (`CryptographyClient._initialize`) falls back to the remote
/// operation on every `HttpResponseError`, never fetches again after a 403,
/// and lets transport errors and time-outs escape. We differ where that is
/// better: a time-out or a broken connection also falls back (the vault may
/// well answer the operation itself), and a 401 (authentication refused),
/// a credential or challenge failure, and the service's `KeyNotFound` are
/// returned at once: the remote operation could only fail the same way, one
/// round trip later. A 404 without `KeyNotFound` (a proxy, a gateway) says
/// nothing about the key and falls back.
fn sort_fetch_failure(e: keyvault_keys_protocol::Error) -> FetchFailure {
    use keyvault_keys_protocol::Error as E;
    let status = e.status().map(|s| s.as_u16());
    let key_not_found = e
        .http()
        .and_then(|h| h.code.as_deref())
        .is_some_and(|c| c.eq_ignore_ascii_case("KeyNotFound"));
    match (&e, status) {
        (_, Some(401)) => FetchFailure::Surface(e),
        (_, Some(404)) if key_not_found => FetchFailure::Surface(e),
        (
            E::Credential(_) | E::Challenge(_) | E::InsecureTransport(_) | E::ForeignOrigin { .. },
            _,
        ) => FetchFailure::Surface(e),
        _ => FetchFailure::Transient,
    }
}

/// Cryptography with one key. Cheap to clone (shares its state).
#[derive(Clone)]
pub struct CryptographyClient {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for CryptographyClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CryptographyClient")
            .field("key_id", &self.inner.key_id)
            .field("remote", &self.inner.remote.is_some())
            .finish_non_exhaustive()
    }
}

fn local_from_jwk(jwk: &JsonWebKey, usage: KeyUsage) -> Option<Local> {
    LocalKey::from_jwk(jwk).ok().map(|key| Local { key, usage })
}

impl CryptographyClient {
    /// A client for the key `key_id` (`https://<vault>/keys/<name>[/<version>]`).
    pub fn new(
        key_id: &str,
        credential: Arc<dyn TokenCredential>,
        options: Option<CryptographyClientOptions>,
    ) -> Result<Self, CryptoError> {
        let id = KeyVaultKeyIdentifier::parse(key_id)?;
        let options = options.unwrap_or_default();
        let client = Client::with_credential(&id.vault_url, credential, options)?;
        Self::with_client(client, key_id)
    }

    /// A client sharing an existing pipeline (same vault).
    pub fn with_client(client: Client, key_id: &str) -> Result<Self, CryptoError> {
        let id = KeyVaultKeyIdentifier::parse(key_id)?;
        let same_origin =
            url::Url::parse(&id.vault_url).is_ok_and(|u| u.origin() == client.vault_url().origin());
        if !same_origin {
            return Err(CryptoError::InvalidInput(format!(
                "the key {key_id} is not in the client's vault {}",
                client.vault_url().origin().ascii_serialization()
            )));
        }
        Ok(Self {
            inner: Arc::new(Inner {
                key_id: Some(Arc::from(key_id)),
                vault_url: Some(client.vault_url().as_str().trim_end_matches('/').to_owned()),
                name: id.name,
                version: id.version.unwrap_or_default(),
                remote: Some(client),
                local: OnceCell::new(),
                failed_fetches: AtomicU64::new(0),
            }),
        })
    }

    /// A client for a key already fetched: public-key operations run locally
    /// at once, the rest in the vault through `client`.
    pub fn from_key(client: Client, jwk: JsonWebKey, usage: KeyUsage) -> Result<Self, CryptoError> {
        let key_id = jwk
            .kid
            .clone()
            .ok_or_else(|| CryptoError::InvalidKey("the key has no kid".into()))?;
        let me = Self::with_client(client, &key_id)?;
        let _ = me.inner.local.set(local_from_jwk(&jwk, usage));
        Ok(me)
    }

    /// A fully local client: never touches the network.
    pub fn from_jwk(jwk: JsonWebKey) -> Result<Self, CryptoError> {
        let key = LocalKey::from_jwk(&jwk)?;
        let key_id = key.kid().cloned();
        let local = OnceCell::new_with(Some(Some(Local {
            key,
            usage: KeyUsage::default(),
        })));
        Ok(Self {
            inner: Arc::new(Inner {
                key_id,
                vault_url: jwk
                    .kid
                    .as_deref()
                    .and_then(|kid| KeyVaultKeyIdentifier::parse(kid).ok())
                    .map(|id| id.vault_url),
                name: String::new(),
                version: String::new(),
                remote: None,
                local,
                failed_fetches: AtomicU64::new(0),
            }),
        })
    }

    /// The key id, when known.
    pub fn key_id(&self) -> Option<&str> {
        self.inner.key_id.as_deref()
    }

    /// The URL of the key's vault: the vault this client sends to, or for a
    /// local-only client the one its JWK's `kid` names (`None` without one).
    pub fn vault_url(&self) -> Option<&str> {
        self.inner.vault_url.as_deref()
    }

    /// Whether the client has no vault to ask.
    pub fn is_local_only(&self) -> bool {
        self.inner.remote.is_none()
    }

    async fn local(&self) -> Result<Option<&Local>, CryptoError> {
        let Some(remote) = &self.inner.remote else {
            return Ok(self.inner.local.get().and_then(|l| l.as_ref()));
        };
        let failed_before = self.inner.failed_fetches.load(Ordering::SeqCst);
        let fetched = self
            .inner
            .local
            .get_or_try_init(|| async {
                if self.inner.failed_fetches.load(Ordering::SeqCst) != failed_before {
                    // A fetch failed while this call waited for it.
                    return Err(FetchFailure::Transient);
                }
                match call(remote.get_key(&self.inner.name, &self.inner.version)).await {
                    Ok(bundle) => {
                        // A key that does not convert stays remote (the
                        // vault can still use it).
                        let jwk = bundle
                            .key
                            .as_ref()
                            .and_then(|k| JsonWebKey::from_protocol(k).ok());
                        Ok(jwk.and_then(|j| {
                            local_from_jwk(
                                &j,
                                KeyUsage::from_attributes(bundle.attributes.as_ref()),
                            )
                        }))
                    }
                    // Without keys/get permission the client stays remote
                    // for good (Python does the same).
                    Err(e) if e.status().is_some_and(|s| s.as_u16() == 403) => Ok(None),
                    Err(e) => {
                        let failure = sort_fetch_failure(e);
                        if matches!(failure, FetchFailure::Transient) {
                            self.inner.failed_fetches.fetch_add(1, Ordering::SeqCst);
                        }
                        Err(failure)
                    }
                }
            })
            .await;
        match fetched {
            Ok(local) => Ok(local.as_ref()),
            Err(FetchFailure::Surface(e)) => Err(CryptoError::Service(e)),
            // The cell stays empty: this call goes to the vault, the next
            // one fetches again.
            Err(FetchFailure::Transient) => Ok(None),
        }
    }

    fn remote(&self, operation: &str) -> Result<&Client, CryptoError> {
        self.inner.remote.as_ref().ok_or_else(|| CryptoError::LocalUnavailable {
            operation: operation.to_owned(),
            reason: "this client was built from a JWK without the material the operation needs, and has no vault to ask".into(),
        })
    }

    /// The vault client for `method` (Python's name, for messages), which
    /// sends the operation `operation_id`: refused before any request when
    /// the client's api-version is a known one older than the operation.
    pub(crate) fn remote_for(
        &self,
        method: &str,
        operation_id: &str,
    ) -> Result<&Client, CryptoError> {
        let remote = self.remote(method)?;
        api_version(remote).check_operation(method, operation_id)?;
        Ok(remote)
    }

    /// The key's name and version (empty: the latest), as the vault's
    /// paths take them.
    pub(crate) fn name_and_version(&self) -> (&str, &str) {
        (&self.inner.name, &self.inner.version)
    }

    /// Encrypts: locally with an RSA public key, else in the vault.
    ///
    /// AES-GCM always uses a fresh random IV (made locally, or by the
    /// service); a chosen one is refused before anything is sent (see
    /// [`EncryptParameters`]).
    pub async fn encrypt(
        &self,
        p: &EncryptParameters,
        options: Option<EncryptOptions>,
    ) -> Result<EncryptResult, CryptoError> {
        traced!("CryptographyClient.encrypt", async move {
            let EncryptOptions {} = options.unwrap_or_default();
            let gcm = crate::rules::is_aes_gcm(&p.algorithm);
            if gcm && p.iv.is_some() && !p.gcm_iv_for_interop_tests {
                return Err(CryptoError::InvalidInput(
                    "AES-GCM makes a fresh random 96-bit IV for every encryption and takes none from the caller: an IV used twice with one key breaks GCM's confidentiality and authenticity; leave iv unset".into(),
                ));
            }
            if let Some(l) = self.local().await?
                && (l.key.jwk().kty.is_rsa() || l.key.has_private_key())
            {
                l.usage.check(KeyOperation::Encrypt)?;
                let mut r = l.key.encrypt(p)?;
                r.key_id = r.key_id.or_else(|| self.inner.key_id.clone());
                return Ok(r);
            }
            let remote = self.remote_for("encrypt", "encrypt")?;
            // The service makes the GCM IV itself: a test IV stays local.
            let body = op_params(
                &p.algorithm,
                &p.plaintext,
                if gcm { None } else { p.iv.as_deref() },
                p.additional_authenticated_data.as_deref(),
                None,
            );
            check_members(remote, &body)?;
            let r = call(remote.encrypt(&self.inner.name, &self.inner.version, &body)).await?;
            Ok(EncryptResult {
                key_id: r
                    .kid
                    .as_deref()
                    .map(Arc::from)
                    .or_else(|| self.inner.key_id.clone()),
                algorithm: p.algorithm.clone(),
                ciphertext: decode(r.value.as_ref().map(|v| v.expose_secret()))?,
                iv: r.iv.as_deref().map(|v| decode(Some(v))).transpose()?,
                authentication_tag: r.tag.as_deref().map(|v| decode(Some(v))).transpose()?,
                additional_authenticated_data: r
                    .aad
                    .as_deref()
                    .map(|v| decode(Some(v)))
                    .transpose()?
                    .or_else(|| p.additional_authenticated_data.clone()),
            })
        })
    }

    /// Decrypts: locally when the client holds the private or symmetric key, else in the vault.
    pub async fn decrypt(
        &self,
        p: &DecryptParameters,
        options: Option<DecryptOptions>,
    ) -> Result<DecryptResult, CryptoError> {
        traced!("CryptographyClient.decrypt", async move {
            let DecryptOptions {} = options.unwrap_or_default();
            if let Some(l) = self.local().await?
                && l.key.has_private_key()
            {
                l.usage.check(KeyOperation::Decrypt)?;
                let mut r = l.key.decrypt(p)?;
                r.key_id = r.key_id.or_else(|| self.inner.key_id.clone());
                return Ok(r);
            }
            let remote = self.remote_for("decrypt", "decrypt")?;
            let body = op_params(
                &p.algorithm,
                &p.ciphertext,
                p.iv.as_deref(),
                p.additional_authenticated_data.as_deref(),
                p.authentication_tag.as_deref(),
            );
            check_members(remote, &body)?;
            let mut r = call(remote.decrypt(&self.inner.name, &self.inner.version, &body)).await?;
            let plaintext = decode_secret(r.value.take())?;
            Ok(DecryptResult {
                key_id: r
                    .kid
                    .as_deref()
                    .map(Arc::from)
                    .or_else(|| self.inner.key_id.clone()),
                algorithm: p.algorithm.clone(),
                plaintext,
            })
        })
    }

    /// Wraps a key: locally with an RSA public key, else in the vault.
    pub async fn wrap_key(
        &self,
        algorithm: &KeyWrapAlgorithm,
        key: &[u8],
        options: Option<WrapKeyOptions>,
    ) -> Result<WrapResult, CryptoError> {
        traced!("CryptographyClient.wrap_key", async move {
            let WrapKeyOptions {} = options.unwrap_or_default();
            if let Some(l) = self.local().await?
                && (l.key.jwk().kty.is_rsa() || l.key.has_private_key())
            {
                l.usage.check(KeyOperation::WrapKey)?;
                let mut r = l.key.wrap_key(algorithm, key)?;
                r.key_id = r.key_id.or_else(|| self.inner.key_id.clone());
                return Ok(r);
            }
            let remote = self.remote_for("wrap_key", "wrapKey")?;
            let r = call(remote.wrap_key(
                &self.inner.name,
                &self.inner.version,
                &op_params(algorithm, key, None, None, None),
            ))
            .await?;
            Ok(WrapResult {
                key_id: r
                    .kid
                    .as_deref()
                    .map(Arc::from)
                    .or_else(|| self.inner.key_id.clone()),
                algorithm: algorithm.clone(),
                encrypted_key: decode(r.value.as_ref().map(|v| v.expose_secret()))?,
            })
        })
    }

    /// Unwraps a key: locally with the private or symmetric key, else in the vault.
    pub async fn unwrap_key(
        &self,
        algorithm: &KeyWrapAlgorithm,
        encrypted_key: &[u8],
        options: Option<UnwrapKeyOptions>,
    ) -> Result<UnwrapResult, CryptoError> {
        traced!("CryptographyClient.unwrap_key", async move {
            let UnwrapKeyOptions {} = options.unwrap_or_default();
            if let Some(l) = self.local().await?
                && l.key.has_private_key()
            {
                l.usage.check(KeyOperation::UnwrapKey)?;
                let mut r = l.key.unwrap_key(algorithm, encrypted_key)?;
                r.key_id = r.key_id.or_else(|| self.inner.key_id.clone());
                return Ok(r);
            }
            let remote = self.remote_for("unwrap_key", "unwrapKey")?;
            let mut r = call(remote.unwrap_key(
                &self.inner.name,
                &self.inner.version,
                &op_params(algorithm, encrypted_key, None, None, None),
            ))
            .await?;
            let key = decode_secret(r.value.take())?;
            Ok(UnwrapResult {
                key_id: r
                    .kid
                    .as_deref()
                    .map(Arc::from)
                    .or_else(|| self.inner.key_id.clone()),
                algorithm: algorithm.clone(),
                key,
            })
        })
    }

    /// Signs a digest: locally with a private or symmetric key, else in the vault.
    pub async fn sign(
        &self,
        algorithm: &SignatureAlgorithm,
        digest: &[u8],
        options: Option<SignOptions>,
    ) -> Result<SignResult, CryptoError> {
        traced!("CryptographyClient.sign", async move {
            let SignOptions {} = options.unwrap_or_default();
            if let Some(l) = self.local().await?
                && l.key.has_private_key()
            {
                l.usage.check(KeyOperation::Sign)?;
                let mut r = l.key.sign(algorithm, digest)?;
                r.key_id = r.key_id.or_else(|| self.inner.key_id.clone());
                return Ok(r);
            }
            let remote = self.remote_for("sign", "sign")?;
            let body = types::KeySignParameters {
                alg: algorithm.clone(),
                value: b64::encode(digest),
                context: None,
                external_mu: None,
                extra: Default::default(),
            };
            let r = call(remote.sign(&self.inner.name, &self.inner.version, &body)).await?;
            Ok(SignResult {
                key_id: r
                    .kid
                    .as_deref()
                    .map(Arc::from)
                    .or_else(|| self.inner.key_id.clone()),
                algorithm: algorithm.clone(),
                signature: decode(r.value.as_ref().map(|v| v.expose_secret()))?,
            })
        })
    }

    /// Verifies a signature over a digest: locally with an RSA or EC public key, else in the vault.
    pub async fn verify(
        &self,
        algorithm: &SignatureAlgorithm,
        digest: &[u8],
        signature: &[u8],
        options: Option<VerifyOptions>,
    ) -> Result<VerifyResult, CryptoError> {
        traced!("CryptographyClient.verify", async move {
            let VerifyOptions {} = options.unwrap_or_default();
            if let Some(l) = self.local().await?
                && (l.key.jwk().kty.is_rsa() || l.key.jwk().kty.is_ec() || l.key.has_private_key())
            {
                l.usage.check(KeyOperation::Verify)?;
                let mut r = l.key.verify(algorithm, digest, signature)?;
                r.key_id = r.key_id.or_else(|| self.inner.key_id.clone());
                return Ok(r);
            }
            let remote = self.remote_for("verify", "verify")?;
            let body = types::KeyVerifyParameters {
                alg: algorithm.clone(),
                digest: b64::encode(digest),
                value: b64::encode(signature),
                context: None,
                external_mu: None,
                extra: Default::default(),
            };
            let r = call(remote.verify(&self.inner.name, &self.inner.version, &body)).await?;
            Ok(VerifyResult {
                key_id: self.inner.key_id.clone(),
                algorithm: algorithm.clone(),
                is_valid: r.value.unwrap_or(false),
            })
        })
    }

    /// Signs with an AKP (ML-DSA, FIPS 204) key: a message, with an
    /// optional context string, or an external μ (2026-05-01-preview on).
    ///
    /// Locally when the client holds the private seed (a message with its
    /// context, or a μ); otherwise in the vault, whose body is what the preview's examples
    /// and the official .NET client send: no `alg` (the key's parameter
    /// set decides), the message in `value`, `context`; or `external_mu`
    /// alone. The generated `KeySignParameters` requires `alg`, so this
    /// body goes through the pipeline's raw request (same retries, auth
    /// and tracing). The shape (one of message and μ, μ of 64 bytes, a
    /// context of at most 255 bytes and none with μ) is checked before
    /// anything is sent, and `context`/`external_mu` against the client's
    /// api-version. The result's `algorithm` is the key's parameter set
    /// when known (`ML-DSA-65` as [`SignatureAlgorithm::UnknownValue`]).
    pub async fn sign_ml_dsa(
        &self,
        p: &MlDsaSignParameters,
        options: Option<MlDsaSignOptions>,
    ) -> Result<SignResult, CryptoError> {
        traced!("CryptographyClient.sign_ml_dsa", async move {
            let MlDsaSignOptions {} = options.unwrap_or_default();
            p.validate()?;
            let local = self.local().await?;
            if let Some(l) = local
                && l.key.has_private_key()
                && l.key.can_ml_dsa_locally()
            {
                l.usage.check(KeyOperation::Sign)?;
                let mut r = l.key.sign_ml_dsa(p)?;
                r.key_id = r.key_id.or_else(|| self.inner.key_id.clone());
                return Ok(r);
            }
            if self.inner.remote.is_none() {
                return Err(local_ml_dsa_refusal("sign_ml_dsa", local));
            }
            let remote = self.remote_for("sign_ml_dsa", "sign")?;
            let version = api_version(remote);
            if p.context.is_some() {
                version.check_member("context", "KeySignParameters", "context")?;
            }
            if p.external_mu.is_some() {
                version.check_member("external_mu", "KeySignParameters", "external_mu")?;
            }
            let mut body = serde_json::Map::new();
            put_b64(&mut body, "value", p.message.as_deref());
            put_b64(&mut body, "context", p.context.as_deref());
            put_b64(&mut body, "external_mu", p.external_mu.as_deref());
            let r: types::KeyOperationResult = self.raw_key_operation(remote, "sign", body).await?;
            Ok(SignResult {
                key_id: r
                    .kid
                    .as_deref()
                    .map(Arc::from)
                    .or_else(|| self.inner.key_id.clone()),
                algorithm: ml_dsa_algorithm(local),
                signature: decode(r.value.as_ref().map(|v| v.expose_secret()))?,
            })
        })
    }

    /// Verifies an ML-DSA signature: locally with the key's public `pub`
    /// (a message with its context, or a μ) when the client has the key,
    /// else in the vault (no `alg`; the message in `digest`, the signature in `value`,
    /// `context`; or `external_mu` with the signature). Checks as
    /// [`CryptographyClient::sign_ml_dsa`].
    pub async fn verify_ml_dsa(
        &self,
        p: &MlDsaVerifyParameters,
        options: Option<MlDsaVerifyOptions>,
    ) -> Result<VerifyResult, CryptoError> {
        traced!("CryptographyClient.verify_ml_dsa", async move {
            let MlDsaVerifyOptions {} = options.unwrap_or_default();
            p.validate()?;
            let local = self.local().await?;
            if let Some(l) = local
                && l.key.can_ml_dsa_locally()
            {
                l.usage.check(KeyOperation::Verify)?;
                let mut r = l.key.verify_ml_dsa(p)?;
                r.key_id = r.key_id.or_else(|| self.inner.key_id.clone());
                return Ok(r);
            }
            if self.inner.remote.is_none() {
                return Err(local_ml_dsa_refusal("verify_ml_dsa", local));
            }
            let remote = self.remote_for("verify_ml_dsa", "verify")?;
            let version = api_version(remote);
            if p.context.is_some() {
                version.check_member("context", "KeyVerifyParameters", "context")?;
            }
            if p.external_mu.is_some() {
                version.check_member("external_mu", "KeyVerifyParameters", "external_mu")?;
            }
            let mut body = serde_json::Map::new();
            put_b64(&mut body, "digest", p.message.as_deref());
            put_b64(&mut body, "value", Some(&p.signature));
            put_b64(&mut body, "context", p.context.as_deref());
            put_b64(&mut body, "external_mu", p.external_mu.as_deref());
            let r: types::KeyVerifyResult = self.raw_key_operation(remote, "verify", body).await?;
            Ok(VerifyResult {
                key_id: self.inner.key_id.clone(),
                algorithm: ml_dsa_algorithm(local),
                is_valid: r.value.unwrap_or(false),
            })
        })
    }

    /// POSTs `body` to `keys/{name}/{version}/{operation}` through the
    /// pipeline and reads the JSON answer (an error status is an error).
    async fn raw_key_operation<T: serde::de::DeserializeOwned>(
        &self,
        remote: &Client,
        operation: &str,
        body: serde_json::Map<String, serde_json::Value>,
    ) -> Result<T, CryptoError> {
        let mut url = remote.resolve_url("/")?;
        url.path_segments_mut()
            .map_err(|()| CryptoError::InvalidInput("the vault URL cannot take a path".into()))?
            .pop_if_empty()
            .extend(["keys", &self.inner.name, &self.inner.version, operation]);
        let request = keyvault_keys_protocol::RawRequest::new(
            keyvault_keys_protocol::reqwest::Method::POST,
            url.as_str(),
        )
        .with_json(&body)?;
        let response = remote.send_request(request).await?.error_for_status()?;
        Ok(response.json()?)
    }

    /// Hashes `data` with the algorithm's hash, then signs the digest.
    pub async fn sign_data(
        &self,
        algorithm: &SignatureAlgorithm,
        data: &[u8],
        options: Option<SignDataOptions>,
    ) -> Result<SignResult, CryptoError> {
        traced!("CryptographyClient.sign_data", async move {
            let SignDataOptions {} = options.unwrap_or_default();
            let hash = algorithm
                .hash()
                .ok_or_else(|| CryptoError::UnsupportedAlgorithm {
                    algorithm: algorithm.to_string(),
                    context: "for sign_data (it has no hash)".into(),
                })?;
            self.sign(algorithm, &hash.digest(data), None).await
        })
    }

    /// Hashes `data` with the algorithm's hash, then verifies the signature.
    pub async fn verify_data(
        &self,
        algorithm: &SignatureAlgorithm,
        data: &[u8],
        signature: &[u8],
        options: Option<VerifyDataOptions>,
    ) -> Result<VerifyResult, CryptoError> {
        traced!("CryptographyClient.verify_data", async move {
            let VerifyDataOptions {} = options.unwrap_or_default();
            let hash = algorithm
                .hash()
                .ok_or_else(|| CryptoError::UnsupportedAlgorithm {
                    algorithm: algorithm.to_string(),
                    context: "for verify_data (it has no hash)".into(),
                })?;
            self.verify(algorithm, &hash.digest(data), signature, None)
                .await
        })
    }
}

/// The client's api-version.
fn api_version(remote: &Client) -> &keyvault_keys_protocol::ApiVersion {
    &remote.pipeline().options().api_version
}

/// Refuses an IV, additional data or a tag (AES, 7.2-preview and later)
/// that the client's api-version does not have.
fn check_members(
    remote: &Client,
    body: &types::KeyOperationsParameters,
) -> Result<(), CryptoError> {
    let version = api_version(remote);
    for (set, option, member) in [
        (body.iv.is_some(), "iv", "iv"),
        (body.aad.is_some(), "additional_authenticated_data", "aad"),
        (body.tag.is_some(), "authentication_tag", "tag"),
    ] {
        if set {
            version.check_member(option, "KeyOperationsParameters", member)?;
        }
    }
    Ok(())
}

/// Sets `name` to the base64url of `value`, when there is one.
fn put_b64(
    body: &mut serde_json::Map<String, serde_json::Value>,
    name: &str,
    value: Option<&[u8]>,
) {
    if let Some(v) = value {
        body.insert(name.to_owned(), b64::encode(v).into());
    }
}

/// The algorithm an ML-DSA result names: the key's parameter set when the
/// client knows the key, else `ML-DSA`.
fn ml_dsa_algorithm(local: Option<&Local>) -> SignatureAlgorithm {
    let alg = local
        .and_then(|l| l.key.jwk().alg.as_ref())
        .map_or("ML-DSA", |a| a.as_str());
    SignatureAlgorithm::parse(alg)
}

/// Why a local-only client cannot run an ML-DSA request.
fn local_ml_dsa_refusal(operation: &str, local: Option<&Local>) -> CryptoError {
    let reason = match local {
        Some(l) if !l.key.jwk().kty.is_akp() => {
            format!("ML-DSA needs an AKP key, not a {} key", l.key.jwk().kty)
        }
        Some(l) if operation.starts_with("sign") && !l.key.has_private_key() => {
            "signing needs the AKP key's private seed, which this JWK does not have".to_owned()
        }
        _ => "the client has no AKP key to run it with".to_owned(),
    };
    CryptoError::LocalUnavailable {
        operation: operation.to_owned(),
        reason,
    }
}

fn op_params(
    alg: &KeyWrapAlgorithm,
    value: &[u8],
    iv: Option<&[u8]>,
    aad: Option<&[u8]>,
    tag: Option<&[u8]>,
) -> types::KeyOperationsParameters {
    types::KeyOperationsParameters {
        alg: alg.clone(),
        value: b64::encode(value).into(),
        iv: iv.map(b64::encode),
        aad: aad.map(b64::encode),
        tag: tag.map(b64::encode),
        extra: Default::default(),
    }
}

/// Decodes a result that is secret (a plaintext, an unwrapped key): the
/// service's base64url text is zeroized too.
fn decode_secret(
    v: Option<keyvault_keys_protocol::SecretString>,
) -> Result<SecretBytes, CryptoError> {
    // The text is a `SecretString` (wiped when dropped); the bytes become
    // `SecretBytes`.
    decode(v.as_ref().map(|s| s.expose_secret())).map(SecretBytes::new)
}

fn decode(v: Option<&str>) -> Result<Vec<u8>, CryptoError> {
    let s = v.ok_or_else(|| CryptoError::InvalidResponse("the result has no value".into()))?;
    b64::decode(s)
        .map_err(|e| CryptoError::InvalidResponse(format!("the result is not base64url: {e}")))
}
