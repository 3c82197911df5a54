//! HTTP: the challenge, routing, wire details (headers, status codes, error
//! bodies), body limits, and the handlers that call the vault.
//!
//! [`challenge`] answers unauthenticated requests, [`routes`] maps a
//! method and path to an operation, and [`crypto_ops`] runs the
//! cryptographic operations.

mod challenge;
mod crypto_ops;
pub mod estate;
mod manage;
mod route;
mod routes;
mod secure_ops;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use keyvault_crypto::JsonWebKey;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::TrustedAttestationKey;
use crate::access::TokenGrant;
use crate::api_error::{ApiError, ApiResult};
use crate::faults::{Fault, Injector};
use crate::state::{Ctx, Identity, RETENTION_DAYS, Settings};
use crate::versions::ApiVersion;

pub use challenge::challenge_resource;
use challenge::www_authenticate;
pub(crate) use challenge::{authorise, authorised};
use estate::Estate;
pub(crate) use manage::run_due_everywhere;
use routes::dispatch;

/// The largest request body accepted.
pub const MAX_BODY: usize = 1024 * 1024;
/// The tenant named in the challenge.
pub const EMULATOR_TENANT: &str = "00000000-0000-4000-8000-00000000e4a1";
/// Sent as `x-ms-keyvault-service-version`.
pub const SERVICE_VERSION: &str = "1.9.0-keyvault-emulator";

pub struct Shared {
    /// Every vault, by host.
    pub estate: Estate,
    /// The emulator's clock (real time plus what tests moved it by).
    pub clock: std::sync::Arc<crate::clock::Clock>,
    /// Every vault's events.
    pub events: std::sync::Arc<crate::state::EventLog>,
    /// The tokens accepted and what each may do; any non-empty token may
    /// do everything when `None`.
    pub accepted: Option<Vec<TokenGrant>>,
    pub trusted: Vec<TrustedAttestationKey>,
    pub signing_key: JsonWebKey,
    pub body_read_timeout: Duration,
    pub faults: Option<Injector>,
    /// Fuzzing only: one generated key per key spec, reused, so a fuzz run
    /// measures the request handling rather than RSA key generation. `None`
    /// (a fresh key every time) everywhere else.
    pub key_memo: Option<KeyMemo>,
}

/// Generated keys by key spec (see [`Shared::key_memo`]).
pub type KeyMemo = std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, JsonWebKey>>>;

impl Shared {
    /// The state a server (or the fuzzing harness) serves from, the
    /// default vault at `https://127.0.0.1:PORT` (the listen port).
    #[cfg(any(test, fuzzing))]
    pub fn new(options: &crate::EmulatorOptions) -> Result<Self, crate::StartError> {
        let port = options.listen.port();
        Self::serving(options, &format!("https://127.0.0.1:{port}"), port)
    }

    /// The state a server serves from: the default vault at `default_url`
    /// (without `vaults`), the named vaults on `port`.
    pub fn serving(
        options: &crate::EmulatorOptions,
        default_url: &str,
        port: u16,
    ) -> Result<Self, crate::StartError> {
        let err = |e: String| crate::StartError(e);
        let settings = settings(options)?;
        let events: std::sync::Arc<crate::state::EventLog> = Default::default();
        let default_identity = Identity {
            name: default_vault_name(default_url),
            url: default_url.to_owned(),
        };
        let estate = Estate::open(
            settings,
            options.data_dir.as_deref(),
            default_identity,
            &options.vaults,
            port,
            events.clone(),
        )
        .map_err(err)?;
        let signing_key = keyvault_crypto::generate(&keyvault_crypto::KeySpec {
            kty: keyvault_crypto::KeyType::Rsa,
            size: Some(2048),
            curve: None,
            public_exponent: None,
        })
        .map_err(|e| err(e.to_string()))?;
        Ok(Self {
            estate,
            clock: Default::default(),
            events,
            accepted: accepted_tokens(options),
            trusted: options.trusted_attestation_keys.clone(),
            signing_key,
            body_read_timeout: options.limits.body_read_timeout,
            faults: options.faults.clone().map(Injector::new),
            key_memo: None,
        })
    }
}

/// The default vault's name: the first label of its host, or `emulator`
/// for an address.
fn default_vault_name(url: &str) -> String {
    let authority = url.trim_start_matches("https://");
    crate::state::Ctx::new(authority, "")
        .vault_name()
        .to_owned()
}

/// The tokens `options` accept: `token` (every permission) and the scoped
/// `tokens`; `None` (any non-empty token) when there are none.
fn accepted_tokens(options: &crate::EmulatorOptions) -> Option<Vec<TokenGrant>> {
    let mut grants: Vec<TokenGrant> = options.token.iter().map(TokenGrant::full).collect();
    grants.extend(options.tokens.iter().cloned());
    (!grants.is_empty()).then_some(grants)
}

/// A vault's settings from the options, checked.
fn settings(options: &crate::EmulatorOptions) -> Result<Settings, crate::StartError> {
    let err = |e: String| crate::StartError(e);
    if !RETENTION_DAYS.contains(&options.soft_delete_retention_days) {
        return Err(err(format!(
            "the soft-delete retention is {} to {} days, not {}",
            RETENTION_DAYS.start(),
            RETENTION_DAYS.end(),
            options.soft_delete_retention_days
        )));
    }
    let max_api_version = match &options.max_api_version {
        None => ApiVersion::newest(),
        Some(v) => ApiVersion::parse(v).ok_or_else(|| {
            err(format!(
                "the max api-version {v:?} is not a known api-version (such as 7.1, 7.6 or 2025-07-01)"
            ))
        })?,
    };
    Ok(Settings {
        flavor: options.flavor,
        retention_days: options.soft_delete_retention_days,
        purge_protection: options.purge_protection,
        max_api_version,
        latency: options.operation_latency,
    })
}

/// What to do with a request: answer it, or drop its connection without
/// an answer (fault injection).
pub enum Outcome {
    Answer(Response<Full<Bytes>>),
    Drop,
}

/// What the handler answers: a status and an optional JSON body, already
/// serialised.
pub(super) type Answer = (StatusCode, Option<Bytes>);

/// `200` with `v` serialised straight to bytes (no `Value` in between).
pub(super) fn json_answer<T: Serialize>(v: &T) -> ApiResult<Answer> {
    serde_json::to_vec(v)
        .map(|v| (StatusCode::OK, Some(Bytes::from(v))))
        .map_err(|e| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalError",
                e.to_string(),
            )
        })
}

fn finish(
    mut resp: Response<Full<Bytes>>,
    request_id: &str,
    client_request_id: Option<&HeaderValue>,
) -> Response<Full<Bytes>> {
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert("x-ms-request-id", v);
    }
    if let Some(c) = client_request_id {
        h.insert("x-ms-client-request-id", c.clone());
    }
    h.insert(
        "x-ms-keyvault-service-version",
        HeaderValue::from_static(SERVICE_VERSION),
    );
    h.insert("cache-control", HeaderValue::from_static("no-cache"));
    resp
}

fn json_response(status: StatusCode, body: Option<&Value>) -> Response<Full<Bytes>> {
    bytes_response(status, body.map(|v| Bytes::from(v.to_string())))
}

/// A response with a serialised JSON body (or none).
fn bytes_response(status: StatusCode, body: Option<Bytes>) -> Response<Full<Bytes>> {
    let is_json = body.is_some();
    let mut resp = Response::new(Full::new(body.unwrap_or_default()));
    *resp.status_mut() = status;
    if is_json {
        resp.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
    }
    resp
}

/// What is read of a request before its body: for the answer's headers
/// and the log.
struct Head {
    request_id: String,
    client_request_id: Option<HeaderValue>,
    authority: String,
    method: Method,
    path: String,
    query: Vec<(String, String)>,
}

impl Head {
    fn of<B>(req: &Request<B>) -> Self {
        let authority = req
            .headers()
            .get(hyper::header::HOST)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .or_else(|| req.uri().authority().map(|a| a.to_string()))
            .unwrap_or_else(|| "localhost".to_owned());
        Self {
            request_id: uuid::Uuid::new_v4().to_string(),
            client_request_id: req.headers().get("x-ms-client-request-id").cloned(),
            authority,
            method: req.method().clone(),
            path: req.uri().path().to_owned(),
            query: url::form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
                .into_owned()
                .collect(),
        }
    }

    /// The answer, with the request ids and the service's headers.
    fn answer(&self, resp: Response<Full<Bytes>>) -> Outcome {
        Outcome::Answer(finish(
            resp,
            &self.request_id,
            self.client_request_id.as_ref(),
        ))
    }

    /// An error answer.
    fn refuse(&self, e: ApiError) -> Outcome {
        self.answer(json_response(e.status, Some(&e.body())))
    }

    /// The 401 and its challenge, for a request without a token it takes.
    fn challenge(&self) -> Outcome {
        let err = ApiError::new(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "AKV10000: Request is missing a Bearer or PoP token.",
        );
        let mut resp = json_response(err.status, Some(&err.body()));
        if let Ok(v) = HeaderValue::from_str(&www_authenticate(&self.authority)) {
            resp.headers_mut()
                .insert(hyper::header::WWW_AUTHENTICATE, v);
        }
        tracing::debug!(method = %self.method, path = %self.path, "401 challenge");
        self.answer(resp)
    }

    /// The `api-version` query value, if any.
    fn api_version(&self) -> Option<String> {
        self.query
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("api-version"))
            .map(|(_, v)| v.clone())
    }

    /// The management API (`/_emulator/...`: key names have no `_`, so it
    /// never collides with the service's paths) answers on every host.
    fn is_management(&self) -> bool {
        self.path == "/_emulator" || self.path.starts_with("/_emulator/")
    }

    /// The path's segments, each percent-decoded as a path segment: `+` is
    /// a plus and `&` or `=` are no separators (a name that is not 1 to 127
    /// letters, digits and dashes is refused by the router).
    fn segments(&self) -> Vec<String> {
        self.path
            .trim_start_matches('/')
            .split('/')
            .map(|s| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8_lossy()
                    .into_owned()
            })
            .collect()
    }
}

/// Serves one request. Never panics on input; every failure is an error
/// body. The handler runs on the blocking pool (it may generate keys or
/// wait for a commit); a panic in it answers 500 and changes nothing.
pub async fn serve<B>(shared: Arc<Shared>, req: Request<B>) -> Outcome
where
    B: hyper::body::Body<Data = Bytes> + Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let head = Head::of(&req);
    let Some((caller, access)) = authorise(&req, shared.accepted.as_deref()) else {
        return head.challenge();
    };
    let mut fault = match &shared.faults {
        Some(f) => f.decide().await,
        None => Fault::None,
    };
    if let Some(outcome) = fault_before(&head, &mut fault) {
        return outcome;
    }
    let body = match read_body(&shared, req.into_body()).await {
        Ok(b) => b,
        Err(resp) => return head.answer(resp),
    };
    let (vault, version) = match resolve_vault(&shared, &head) {
        Ok(found) => found,
        Err(e) => return head.refuse(e),
    };
    let now_ms = shared.clock.now_ms();
    let ctx = Ctx {
        authority: head.authority.clone(),
        api_version: head.api_version().unwrap_or_default(),
        version,
        access,
        caller,
        now: now_ms.div_euclid(1000),
        now_ms,
    };
    let result = handle(&shared, vault, ctx, &head, body).await;
    if matches!(fault, Fault::ResetAfter) {
        tracing::info!(method = %head.method, path = %head.path, "fault: connection dropped after the operation");
        return Outcome::Drop;
    }
    let resp = match result {
        Ok((status, body)) => bytes_response(status, body),
        Err(e) => {
            tracing::debug!(method = %head.method, path = %head.path, status = e.status.as_u16(), code = e.code, "error");
            json_response(e.status, Some(&e.body()))
        }
    };
    tracing::info!(method = %head.method, path = %head.path, status = resp.status().as_u16(), "request");
    head.answer(resp)
}

/// A fault injected before the operation: a throttling answer, or the
/// connection dropped.
fn fault_before(head: &Head, fault: &mut Fault) -> Option<Outcome> {
    let (method, path) = (&head.method, &head.path);
    match std::mem::replace(fault, Fault::None) {
        Fault::Throttle(resp) => {
            tracing::info!(%method, %path, status = resp.status().as_u16(), "fault: throttled");
            Some(head.answer(resp))
        }
        Fault::ResetBefore => {
            tracing::info!(%method, %path, "fault: connection dropped before the operation");
            Some(Outcome::Drop)
        }
        other => {
            *fault = other;
            None
        }
    }
}

/// The request's body, at most [`MAX_BODY`] bytes within the body time-out;
/// else the answer that refuses it.
async fn read_body<B>(shared: &Shared, body: B) -> Result<Bytes, Response<Full<Bytes>>>
where
    B: hyper::body::Body<Data = Bytes> + Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let read = tokio::time::timeout(
        shared.body_read_timeout,
        Limited::new(body, MAX_BODY).collect(),
    )
    .await;
    match read {
        Ok(Ok(b)) => Ok(b.to_bytes()),
        Ok(Err(_)) => {
            let err = ApiError::bad_parameter(format!(
                "The request body is larger than {MAX_BODY} bytes, or could not be read."
            ));
            Err(json_response(err.status, Some(&err.body())))
        }
        Err(_) => {
            let err = ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "RequestTimeout",
                format!(
                    "The request body did not arrive within {} ms.",
                    shared.body_read_timeout.as_millis()
                ),
            );
            let mut resp = json_response(err.status, Some(&err.body()));
            resp.headers_mut()
                .insert(hyper::header::CONNECTION, HeaderValue::from_static("close"));
            Err(resp)
        }
    }
}

/// The vault the host names and the api-version it answers at; no vault
/// for the management API.
fn resolve_vault(
    shared: &Shared,
    head: &Head,
) -> ApiResult<(Option<Arc<crate::state::Vault>>, ApiVersion)> {
    if head.is_management() {
        return Ok((None, ApiVersion::newest()));
    }
    let vault = shared.estate.vault_for(&head.authority)?;
    let api_version = head.api_version();
    match crate::versions::check(api_version.as_deref(), vault.settings.max_api_version) {
        Ok(v) => Ok((Some(vault), v)),
        Err(e) => {
            tracing::debug!(method = %head.method, path = %head.path, "api-version refused");
            Err(e)
        }
    }
}

/// Runs the request's handler: the route's (or the management API's), on
/// the blocking pool, or inline for a cheap read; a panic is a 500.
async fn handle(
    shared: &Arc<Shared>,
    vault: Option<Arc<crate::state::Vault>>,
    ctx: Ctx,
    head: &Head,
    body: Bytes,
) -> ApiResult<Answer> {
    let segments = head.segments();
    let method = head.method.clone();
    let query = head.query.clone();
    let route = {
        let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
        route::Route::parse(&segs)
    };
    // A read of one key version is a short read-locked lookup and a small
    // serialisation: answered on this task, without the two thread
    // hand-offs of the blocking pool, but only when the lock is free now
    // and nothing is due (what the clock made due runs first, off this
    // task). Behind a queued writer the read would wait as long as the
    // writer's predecessors hold the lock, with the runtime stopped; it
    // then goes to the blocking pool like everything else. (A writer that
    // queues between the check and the read costs at most one short
    // read-locked section.)
    let inline = vault.as_ref().is_some_and(|v| {
        route.as_ref().is_ok_and(|r| r.reads_one_version(&method))
            && v.readable_now()
            && !v.has_due(ctx.now_ms)
    });
    let handler = match vault {
        Some(v) if inline => {
            let run = std::panic::AssertUnwindSafe(|| {
                let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
                dispatch(shared, &v, &ctx, &method, route, &segs, &query, &body)
            });
            std::panic::catch_unwind(run).map_err(|_| ())
        }
        Some(v) => {
            let (method, shared) = (method.clone(), shared.clone());
            tokio::task::spawn_blocking(move || {
                if v.has_due(ctx.now_ms) {
                    v.run_due(ctx.now_ms, &mut |spec| generate(&shared, spec))?;
                }
                let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
                dispatch(&shared, &v, &ctx, &method, route, &segs, &query, &body)
            })
            .await
            .map_err(|_| ())
        }
        None => {
            let (method, shared) = (method.clone(), shared.clone());
            tokio::task::spawn_blocking(move || {
                let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
                manage::handle(&shared, &ctx, &method, &segs, &query, &body)
            })
            .await
            .map_err(|_| ())
        }
    };
    handler.unwrap_or_else(|_| {
        // The vault's records are swapped whole after their commit, so a
        // panic cannot leave them half-changed or any lock unusable.
        tracing::error!(method = %head.method, path = %head.path, "the handler panicked");
        Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            "An internal error interrupted the request.",
        ))
    })
}

pub(super) fn parse_body<T: DeserializeOwned>(body: &Bytes) -> ApiResult<T> {
    if body.is_empty() {
        return Err(ApiError::bad_parameter("The request body is required."));
    }
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_parameter(format!("The request body is not valid: {e}")))
}

/// Generates a key (CPU-heavy for RSA; the caller is on the blocking pool
/// and holds no lock).
pub(super) fn generate(shared: &Shared, spec: &keyvault_crypto::KeySpec) -> ApiResult<JsonWebKey> {
    let fresh = || match spec.public_exponent {
        Some(e) if spec.kty.is_rsa() => rsa_with_exponent(spec, e),
        _ if spec.kty.is_akp() => {
            let alg = crate::state::akp_algorithm(spec.size).ok_or_else(|| {
                ApiError::bad_parameter("An AKP key needs alg: ML-DSA-44, ML-DSA-65 or ML-DSA-87.")
            })?;
            keyvault_crypto::generate_akp(&spec.kty, &alg)
                .map_err(|e| ApiError::bad_parameter(e.to_string()))
        }
        _ => keyvault_crypto::generate(spec).map_err(|e| ApiError::bad_parameter(e.to_string())),
    };
    let Some(memo) = &shared.key_memo else {
        return fresh();
    };
    let id = format!("{spec:?}");
    if let Some(jwk) = memo.lock().unwrap_or_else(|e| e.into_inner()).get(&id) {
        return Ok(jwk.clone());
    }
    let jwk = fresh()?;
    memo.lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(id, jwk.clone());
    Ok(jwk)
}

/// An RSA key with a public exponent other than 65537 (a Managed HSM
/// honours `public_exponent`), generated with the RustCrypto `rsa` crate:
/// aws-lc-rs generates only 65537. The engine then uses it as any other key.
fn rsa_with_exponent(spec: &keyvault_crypto::KeySpec, e: u32) -> ApiResult<JsonWebKey> {
    use rsa::pkcs8::EncodePrivateKey as _;
    let bits = spec.size.unwrap_or(2048) as usize;
    let key =
        rsa::RsaPrivateKey::new_with_exp(&mut rsa::rand_core::OsRng, bits, &rsa::BigUint::from(e))
            .map_err(|err| {
                ApiError::bad_parameter(format!("RSA key generation with e = {e} failed: {err}"))
            })?;
    let der = key.to_pkcs8_der().map_err(|err| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            err.to_string(),
        )
    })?;
    let mut jwk = JsonWebKey::new(spec.kty.clone());
    keyvault_crypto::engine::fill_rsa_from_pkcs8(&mut jwk, der.as_bytes())
        .map_err(|err| ApiError::bad_parameter(err.to_string()))?;
    Ok(jwk)
}

pub(super) fn method_not_allowed(method: &Method) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "BadParameter",
        format!("Method {method} is not allowed on this path."),
    )
}
