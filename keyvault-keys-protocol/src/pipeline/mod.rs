//! The hand-written pipeline behind every generated method: api-version,
//! request ids, the TLS rule, challenge-based authentication, retries by
//! operation class, the response-size limit and tracing. Every generated
//! method calls it (`Client::execute`, written by `cargo xtask codegen`),
//! so generated methods, nextLink pages and `send_request` all take one
//! path. Its parts: [`auth`] (challenges, tokens), [`verified`] (the
//! process-wide cache of verified challenges), [`retrying`] (attempts by
//! operation class), [`limit`] (the response-size limit), [`client`] (the
//! [`Client`]'s constructor and `execute`).
//!
//! The rules it enforces:
//!
//! - **Where a token may go.** Only over TLS (plain http only to a loopback
//!   address, with `allow_insecure_loopback`), only to the vault's origin
//!   (nextLinks and `send_request` URLs are checked before sending), and
//!   only for a scope that was verified: the scope requested from the
//!   credential is rebuilt from the URL checked against the vault, in
//!   canonical form (see
//!   [`Challenge::verified_scope`]). The credential is not called for a
//!   challenge that fails verification, on the first challenge and on a CAE
//!   re-challenge alike. The default HTTP client follows no redirects.
//! - **One challenge per vault per process.** A scope verified by one
//!   client is reused by every new client of the same origin with the same
//!   verification settings (only the scope and tenant, never a token; see
//!   [`verified`]), so only the first client of a vault probes.
//! - **The challenge probe never runs an operation twice.** Before a scope
//!   is known, a request is first sent without a token to draw the 401
//!   challenge. A request without a body is sent as it is: if the service
//!   does not challenge, its answer is the operation's answer and nothing is
//!   sent again. A request with a body is probed without it (as the Python
//!   policy does): a 401 challenge is answered by sending the request with
//!   its body and a token. Any other answer means the service does not ask
//!   for a token here, and then it depends on the operation:
//!   - a repeatable one (an update, a key operation such as encrypt or sign,
//!     the rotation policy) is sent, once, with its body and without a
//!     token, whatever the probe's answer: the bodiless copy cannot stand
//!     for it (an update without its changes), and performing it twice is
//!     harmless;
//!   - one that cannot be repeated (a create, import, rotation, restore,
//!     recovery, purge, delete) is sent only after a 4xx, which means the
//!     service refused the bodiless copy without acting (Python returns that
//!     refusal as the result, which reports an error the request itself may
//!     not have); after a 2xx, 3xx or 5xx the service may have acted on the
//!     bodiless copy, so that answer is the operation's answer (as in
//!     Python) and the request is not sent again.
//!
//!   When the request sent after the probe is itself challenged (401 with a
//!   `Bearer` challenge), that challenge is answered, once.
//! - **An answer that cannot be read is not a transport error for a write
//!   that cannot be repeated**: the body of a 2xx answer to one is read in
//!   the pipeline, and a failure to read it (a broken connection, a body
//!   over the size limit) is [`Error::OutcomeUnknown`]: the service acted,
//!   and the caller cannot know the result.
//! - **Retries by what the operation does** (see [`crate::retry_policy`]).
//!   `x-ms-client-request-id` is the same on every attempt.
//! - **Bounded memory**: every response body is read through the
//!   [`ClientOptions::max_response_size`] limit while it streams.

use std::sync::Arc;
use std::sync::atomic::AtomicU32;

use azure_core::credentials::TokenCredential;
use bytes::Bytes;
use reqwest::header::{
    AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, HeaderName, HeaderValue, USER_AGENT,
};
use reqwest::{Method, Request, Response, StatusCode};
use tracing::Instrument as _;
use url::Url;

use crate::challenge::{Challenge, is_loopback};
use crate::error::{Error, HttpError};
use crate::options::ClientOptions;
use crate::retry::{OperationClass, classify_request};

mod auth;
mod client;
pub(crate) mod limit;
mod retrying;
mod urls;
mod verified;

use auth::{AuthState, find_challenge, set_bearer};
pub use auth::{ChallengeClaims, ChallengeTenant};
use limit::read_whole;
pub(crate) use urls::operation_url;

/// The header carrying the caller's request id, the same on every attempt.
pub const CLIENT_REQUEST_ID: &str = "x-ms-client-request-id";

/// [`CLIENT_REQUEST_ID`] as a header name (a `&str` name is copied into a
/// new one on every insert).
const CLIENT_REQUEST_ID_NAME: HeaderName = HeaderName::from_static(CLIENT_REQUEST_ID);

/// The pipeline's state, shared by every clone of a [`Client`](crate::Client).
#[derive(Clone)]
pub struct Pipeline {
    inner: Arc<Inner>,
}

struct Inner {
    vault: Url,
    credential: Arc<dyn TokenCredential>,
    options: ClientOptions,
    api_version: String,
    /// `api-version=…`, form-encoded once: the query of a request that
    /// has none.
    api_version_query: String,
    user_agent: HeaderValue,
    auth: tokio::sync::Mutex<AuthState>,
    /// The fast path to the cached token: its `Authorization` value and
    /// when it is to be refreshed (see [`Pipeline::fast_bearer`]); written
    /// only with `auth` held.
    fast_bearer: std::sync::Mutex<Option<(HeaderValue, time::OffsetDateTime)>>,
    /// This vault's entry in the process-wide cache of verified challenges
    /// (see [`verified`]).
    vault_key: Option<verified::VaultKey>,
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline")
            .field("vault", &self.inner.vault.as_str())
            .field("api_version", &self.inner.api_version)
            .field(
                "verify_challenge_resource",
                &self.inner.options.verify_challenge_resource,
            )
            .finish_non_exhaustive()
    }
}

impl Pipeline {
    fn new(
        vault: Url,
        credential: Arc<dyn TokenCredential>,
        options: ClientOptions,
    ) -> Result<Self, Error> {
        let mut ua = format!(
            "keyvault-keys-rs/{} (rust; {})",
            env!("CARGO_PKG_VERSION"),
            std::env::consts::OS
        );
        if let Some(suffix) = &options.user_agent_suffix {
            ua.push(' ');
            ua.push_str(suffix);
        }
        let user_agent = HeaderValue::from_str(&ua).map_err(|_| {
            Error::InvalidRequest(format!(
                "user agent suffix is not a valid header value: {ua:?}"
            ))
        })?;
        let vault_key = verified::VaultKey::new(&vault, &options);
        Ok(Self {
            inner: Arc::new(Inner {
                vault_key,
                api_version: options.api_version.as_str().to_owned(),
                api_version_query: url::form_urlencoded::Serializer::new(String::new())
                    .append_pair("api-version", options.api_version.as_str())
                    .finish(),
                vault,
                credential,
                options,
                user_agent,
                auth: tokio::sync::Mutex::new(AuthState::default()),
                fast_bearer: std::sync::Mutex::new(None),
            }),
        })
    }

    /// The vault's URL (origin, no trailing slash in its path).
    pub fn vault_url(&self) -> &Url {
        &self.inner.vault
    }

    /// The api-version sent on every request.
    pub fn api_version(&self) -> &str {
        &self.inner.api_version
    }

    /// The settings this pipeline was built with.
    pub fn options(&self) -> &ClientOptions {
        &self.inner.options
    }

    /// The scope accepted from the service's challenge, once one was.
    pub async fn cached_scope(&self) -> Option<String> {
        self.inner.auth.lock().await.scope.clone()
    }

    /// Refuses URLs that would carry a bearer token without TLS.
    pub(crate) fn check_transport(&self, url: &Url) -> Result<(), Error> {
        match url.scheme() {
            "https" => Ok(()),
            "http" if self.inner.options.allow_insecure_loopback && is_loopback(url) => Ok(()),
            "http" if self.inner.options.allow_insecure_loopback => {
                Err(Error::InsecureTransport(format!(
                    "bearer token authentication is not permitted for non-TLS URLs: {url}; \
                 allow_insecure_loopback allows plain http only to a loopback address"
                )))
            }
            _ => Err(Error::InsecureTransport(format!(
                "bearer token authentication is not permitted for non-TLS URLs: {url}; use https \
                 (or, for a test server on a loopback address, set allow_insecure_loopback)"
            ))),
        }
    }

    /// Refuses URLs that are not on the vault's origin.
    pub(crate) fn check_origin(&self, url: &Url) -> Result<(), Error> {
        check_origin(&self.inner.vault, url)
    }

    /// Everything before sending that needs no network: api-version,
    /// request id, user agent, and the TLS and origin rules.
    pub(crate) fn prepare(&self, request: &mut Request) -> Result<(), Error> {
        let headers = request.headers_mut();
        headers.insert(USER_AGENT, self.inner.user_agent.clone());
        if !headers.contains_key(&CLIENT_REQUEST_ID_NAME) {
            headers.insert(CLIENT_REQUEST_ID_NAME, request_id());
        }
        let url = request.url_mut();
        match url.query() {
            // Most requests: the query is the version alone.
            None => url.set_query(Some(&self.inner.api_version_query)),
            Some(_) if !url.query_pairs().any(|(k, _)| k == "api-version") => {
                url.query_pairs_mut()
                    .append_pair("api-version", &self.inner.api_version);
            }
            Some(_) => {}
        }
        self.check_transport(request.url())?;
        self.check_origin(request.url())
    }

    /// Gives a continuation request (a nextLink, the service's or a
    /// caller's token) the client's api-version, as the Python client does:
    /// a listing never changes version between pages.
    pub(crate) fn set_api_version(&self, url: &mut Url) {
        set_api_version(url, &self.inner.api_version);
    }

    /// The request's path relative to the vault's URL.
    fn relative_path<'u>(&self, url: &'u Url) -> &'u str {
        let base = self.inner.vault.path().trim_end_matches('/');
        url.path().strip_prefix(base).unwrap_or(url.path())
    }

    /// Sends a request through authorisation, retries and the size limit,
    /// inside a tracing span. `operation` is the generated operationId (or
    /// `send_request`, `nextLink`); with the method and path it decides the
    /// retry class.
    pub(crate) async fn send(
        &self,
        http: &reqwest::Client,
        request: Request,
        operation: &'static str,
    ) -> Result<Response, Error> {
        // The method's span: the caller's (a `KeyClient` method), else one
        // named after the protocol client's method.
        let span = if crate::instrumentation::inside_public_api() {
            tracing::Span::none()
        } else {
            let span = tracing::info_span!(
                target: "keyvault",
                "keyvault.operation",
                otel.name = tracing::field::Empty,
                otel.kind = "internal",
                az.namespace = crate::instrumentation::AZ_NAMESPACE,
                "error.type" = tracing::field::Empty,
                otel.status_code = tracing::field::Empty,
            );
            if !span.is_disabled() {
                span.record("otel.name", format!("Client.{operation}"));
            }
            span
        };
        let op = Op {
            id: operation,
            method: request.method().clone(),
            path: request.url().path().to_owned(),
            sends: AtomicU32::new(0),
        };
        let class = classify_request(&op.method, self.relative_path(request.url()));
        let result = async {
            let mut request = request;
            // This client's token while it is fresh (one uncontended lock,
            // no copy of the scope or the token); else the verified scope's
            // token; else no scope is known yet: the challenge.
            let authorised = match self.fast_bearer() {
                Some(bearer) => {
                    request.headers_mut().insert(AUTHORIZATION, bearer);
                    true
                }
                None => match self.known_scope().await {
                    Some((scope, tenant)) => {
                        let token = self.token(&scope, tenant.as_deref(), None, false).await?;
                        set_bearer(&mut request, &token)?;
                        true
                    }
                    None => false,
                },
            };
            let result = if authorised {
                self.send_with_retries(http, request, class, &op).await
            } else {
                // Boxed: it is taken once per vault and process, and kept
                // out of every call's future (moved, whole, at each layer).
                Box::pin(self.challenge_and_send(http, request, class, &op)).await
            };
            self.read_if_unrepeatable(class, &op, result).await
        }
        .instrument(span.clone())
        .await;
        if !span.is_disabled() {
            match &result {
                Ok(r) if r.status().as_u16() >= 400 => {
                    crate::instrumentation::record_failure(&span, Some(r.status().as_u16()), "")
                }
                Ok(_) => {}
                Err(e) => {
                    use crate::instrumentation::TracedError as _;
                    crate::instrumentation::record_failure(&span, e.status_code(), e.error_type())
                }
            }
        }
        result
    }

    /// The service performed the write and answered: an answer that cannot
    /// be read (a broken connection, a body over the size limit) leaves the
    /// caller not knowing what was done, which is what OutcomeUnknown says.
    /// So the body of a 2xx to a write that cannot be repeated is read here
    /// (it is bounded by the size limit), not by the caller.
    async fn read_if_unrepeatable(
        &self,
        class: OperationClass,
        op: &Op,
        result: Result<Response, Error>,
    ) -> Result<Response, Error> {
        match (class, result) {
            (OperationClass::Unrepeatable | OperationClass::DeleteKey, Ok(r))
                if r.status().is_success() =>
            {
                read_whole(r).await.map_err(|e| op.outcome_unknown(e))
            }
            (_, result) => result,
        }
    }

    /// Sends a request while no scope is known: first without a token, to
    /// draw the service's challenge, then (after a verified challenge) with
    /// one. See the module documentation for what happens when the service
    /// does not challenge.
    async fn challenge_and_send(
        &self,
        http: &reqwest::Client,
        request: Request,
        class: OperationClass,
        op: &Op,
    ) -> Result<Response, Error> {
        let has_body = request
            .body()
            .is_some_and(|b| b.as_bytes().is_none_or(|bytes| !bytes.is_empty()));
        let mut probe = Request::new(request.method().clone(), request.url().clone());
        for (k, v) in request.headers() {
            if k != AUTHORIZATION && !(has_body && (k == CONTENT_TYPE || k == CONTENT_LENGTH)) {
                probe.headers_mut().append(k.clone(), v.clone());
            }
        }
        if has_body {
            probe
                .headers_mut()
                .insert(CONTENT_LENGTH, HeaderValue::from_static("0"));
            *probe.body_mut() = Some(reqwest::Body::from(Vec::<u8>::new()));
        } else if let Some(body) = request.body().and_then(|b| b.as_bytes()) {
            // empty, but keep it as it is
            *probe.body_mut() = Some(reqwest::Body::from(Bytes::copy_from_slice(body)));
        }
        tracing::debug!("no scope known yet: probing for the challenge without a token");
        let response = self.send_with_retries(http, probe, class, op).await?;
        let status = response.status();
        if status == StatusCode::UNAUTHORIZED {
            let challenge = find_challenge(&response).ok_or_else(|| {
                Error::Challenge(
                    "the service answered 401 without a `WWW-Authenticate: Bearer` challenge"
                        .to_owned(),
                )
            })?;
            // The body is not read: a 401's body is of no use, and an
            // unread body only costs this one connection.
            drop(response);
            return self
                .answer_challenge(http, request, &challenge, class, op)
                .await;
        }
        if !has_body {
            // The probe was the request itself: its answer is the answer.
            tracing::debug!(
                status = status.as_u16(),
                "the service did not challenge; its answer to the unauthenticated request is the result"
            );
            return Ok(response);
        }
        // A 4xx: the service refused the bodiless copy without acting on it.
        // A repeatable request may be performed twice, so whatever the
        // service did with the bodiless copy, the request itself is sent.
        if !status.is_client_error() && class != OperationClass::Repeatable {
            // 2xx, 3xx, 5xx to a write that cannot be repeated: the service
            // may have acted on the bodiless copy; sending the request too
            // could perform the operation twice (Python returns this answer
            // too).
            tracing::warn!(
                status = status.as_u16(),
                "the service did not challenge and answered the bodiless probe; that answer is \
                 the result, and the request is not sent again"
            );
            return Ok(response);
        }
        tracing::warn!(
            status = status.as_u16(),
            "the service did not challenge the bodiless probe; sending the request without a token"
        );
        drop(response);
        let spare = request.try_clone();
        let response = self.send_with_retries(http, request, class, op).await?;
        if response.status() == StatusCode::UNAUTHORIZED
            && let (Some(request), Some(challenge)) = (spare, find_challenge(&response))
        {
            // The service challenges the request with its body after all
            // (401: it did not act): answer that challenge, once.
            drop(response);
            return self
                .answer_challenge(http, request, &challenge, class, op)
                .await;
        }
        Ok(response)
    }

    /// Verifies `challenge`, gets a token for its scope and sends `request`
    /// with it.
    async fn answer_challenge(
        &self,
        http: &reqwest::Client,
        mut request: Request,
        challenge: &Challenge,
        class: OperationClass,
        op: &Op,
    ) -> Result<Response, Error> {
        let (scope, tenant) = self.accept_challenge(challenge).await?;
        let token = self.token(&scope, tenant.as_deref(), None, false).await?;
        set_bearer(&mut request, &token)?;
        self.send_with_retries(http, request, class, op).await
    }
}

/// The operation a request belongs to, for errors and logs.
struct Op {
    id: &'static str,
    method: Method,
    path: String,
    /// The HTTP exchanges sent for it so far (`http.request.resend_count`).
    sends: AtomicU32,
}

impl Op {
    fn outcome_unknown(&self, cause: Error) -> Error {
        Error::OutcomeUnknown {
            operation: self.id.to_owned(),
            method: self.method.clone(),
            path: self.path.clone(),
            cause: Box::new(cause),
        }
    }
}

/// Reads an error response (within the size limit) into an error.
async fn http_error(response: Response) -> Error {
    match HttpError::from_response(response).await {
        Ok(h) => Error::Http(Box::new(h)),
        Err(e) => e,
    }
}

/// A version-4 UUID for `x-ms-client-request-id`.
///
/// From rand's thread-local generator (uuid's `fast-rng`): without it,
/// `Uuid::new_v4` asks the OS for 16 bytes on every call, one `getrandom`
/// system call per request (seen with `strace -c`; issue 19). The ids stay
/// independent random v4 UUIDs, so requests cannot be linked by them.
fn request_id() -> HeaderValue {
    let id = uuid::Uuid::new_v4();
    let mut buf = [0u8; uuid::fmt::Hyphenated::LENGTH];
    id.hyphenated().encode_lower(&mut buf);
    HeaderValue::from_maybe_shared(Bytes::from_owner(buf))
        .expect("a hyphenated UUID is a valid header value")
}

/// Whether `url` is on the origin of `vault`: [`Url::origin`] compared,
/// without building the two origins (each a copy of its host) for the
/// `http`/`https` URLs every request has.
fn same_origin(vault: &Url, url: &Url) -> bool {
    let tuple = |u: &Url| matches!(u.scheme(), "http" | "https");
    if tuple(vault) && tuple(url) {
        url.scheme() == vault.scheme()
            && url.host() == vault.host()
            && url.port_or_known_default() == vault.port_or_known_default()
    } else {
        url.origin() == vault.origin()
    }
}

/// Refuses URLs that are not on the vault's origin.
pub(crate) fn check_origin(vault: &Url, url: &Url) -> Result<(), Error> {
    if same_origin(vault, url) {
        Ok(())
    } else {
        Err(Error::ForeignOrigin {
            url: url.to_string(),
            vault: vault.origin().ascii_serialization(),
        })
    }
}

/// Sets the query's `api-version` to `version`: every `api-version` pair
/// (the key in any case) is dropped and one with `version` appended; the
/// other pairs stay, byte for byte, in their order.
pub(crate) fn set_api_version(url: &mut Url, version: &str) {
    let is_api_version = |segment: &str| {
        url::form_urlencoded::parse(segment.as_bytes())
            .next()
            .is_some_and(|(k, _)| k.eq_ignore_ascii_case("api-version"))
    };
    let mut query = url
        .query()
        .unwrap_or_default()
        .split('&')
        .filter(|segment| !segment.is_empty() && !is_api_version(segment))
        .collect::<Vec<_>>()
        .join("&");
    // Appends `&api-version=…` (no `&` when it is the only pair).
    url::form_urlencoded::Serializer::for_suffix(&mut query, 0).append_pair("api-version", version);
    url.set_query(Some(&query));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_origin_is_url_origin_equality() {
        let urls = [
            "https://v.vault.azure.net",
            "https://v.vault.azure.net/keys/k?api-version=1",
            "https://v.vault.azure.net:443/keys",
            "https://V.Vault.Azure.Net/keys",
            "https://v.vault.azure.net:8443/keys",
            "http://v.vault.azure.net/keys",
            "http://v.vault.azure.net:443/keys",
            "https://w.vault.azure.net/keys",
            "https://user:pw@v.vault.azure.net/keys",
            "https://127.0.0.1:8443/keys",
            "https://[::1]:8443/keys",
            "https://[0:0:0:0:0:0:0:1]:8443/keys",
            "http://127.0.0.1/keys",
            "http://127.0.0.1:80/keys",
            "https://xn--bcher-kva.example/keys",
            "https://bücher.example/keys",
            "ftp://v.vault.azure.net/keys",
            "file:///keys",
            "data:text/plain,x",
        ];
        for a in urls {
            for b in urls {
                let (a, b) = (Url::parse(a).expect(a), Url::parse(b).expect(b));
                assert_eq!(same_origin(&a, &b), a.origin() == b.origin(), "{a} and {b}");
            }
        }
    }

    #[test]
    fn request_ids_are_lower_case_hyphenated_v4_uuids() {
        let (a, b) = (request_id(), request_id());
        assert_ne!(a, b);
        // Many in a row never repeat.
        let ids: std::collections::HashSet<HeaderValue> =
            (0..100_000).map(|_| request_id()).collect();
        assert_eq!(ids.len(), 100_000);
        let text = a.to_str().expect("ascii");
        let parsed = uuid::Uuid::parse_str(text).expect("a UUID");
        assert_eq!(parsed.get_version_num(), 4);
        assert_eq!(parsed.get_variant(), uuid::Variant::RFC4122);
        assert_eq!(parsed.hyphenated().to_string(), text);
    }

    #[test]
    fn set_api_version_replaces_every_api_version_pair_and_keeps_the_rest() {
        let cases = [
            ("https://v/keys", "https://v/keys?api-version=7.6"),
            ("https://v/keys?", "https://v/keys?api-version=7.6"),
            (
                "https://v/keys?api-version=1999-01-01&$skiptoken=a%2Fb%3D&maxresults=2",
                "https://v/keys?$skiptoken=a%2Fb%3D&maxresults=2&api-version=7.6",
            ),
            (
                "https://v/keys?x=1&API-Version=1&y=&Api-Version=2&api%2Dversion=3&z",
                "https://v/keys?x=1&y=&z&api-version=7.6",
            ),
            (
                "https://v/keys?api-versions=1&api-version",
                "https://v/keys?api-versions=1&api-version=7.6",
            ),
        ];
        for (before, after) in cases {
            let mut url = Url::parse(before).expect("url");
            set_api_version(&mut url, "7.6");
            assert_eq!(url.as_str(), after, "{before}");
        }
        // A version that needs encoding is encoded.
        let mut url = Url::parse("https://v/keys").expect("url");
        set_api_version(&mut url, "7.6 preview&x");
        assert_eq!(url.query(), Some("api-version=7.6+preview%26x"));
    }
}
