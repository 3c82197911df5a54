//! The hand-written pipeline behind every generated method: api-version,
//! request ids, the TLS rule, challenge-based authentication, retries by
//! operation class, the response-size limit and tracing. It runs in
//! progenitor-client's hooks (`pre` and `exec`), so generated methods,
//! nextLink pages and `send_request` all take one path.
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
use std::time::Duration;

use azure_core::credentials::{AccessToken, TokenCredential, TokenRequestOptions};
use azure_core::http::{ClientMethodOptions, Context};
use bytes::Bytes;
use futures::StreamExt as _;
use progenitor_client::{ClientHooks, OperationInfo};
use reqwest::header::{
    AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, HeaderValue, USER_AGENT, WWW_AUTHENTICATE,
};
use reqwest::{Method, Request, Response, StatusCode};
use tracing::Instrument as _;
use url::Url;

use crate::Client;
use crate::challenge::{Challenge, is_loopback};
use crate::error::{Error, HttpError, PipelineFailure, body_error};
use crate::options::ClientOptions;
use crate::retry::{
    OperationClass, backoff, certainly_not_performed, classify, failed_before_sending,
    is_retryable_error, is_retryable_status, server_delay,
};

/// The header carrying the caller's request id, the same on every attempt.
pub const CLIENT_REQUEST_ID: &str = "x-ms-client-request-id";

/// Refresh a cached token this long before it expires.
const TOKEN_REFRESH_MARGIN: time::Duration = time::Duration::minutes(5);

/// The tenant named by the service's challenge (the first path segment of its
/// authorization URL), handed to the credential in
/// `TokenRequestOptions::method_options.context`. azure_core 1.x has no tenant
/// parameter; a multi-tenant credential reads it with
/// `options.method_options.context.value::<ChallengeTenant>()`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChallengeTenant(pub String);

/// The claims of a CAE challenge (decoded JSON), handed to the credential in
/// the request context like [`ChallengeTenant`]. A credential that sees it
/// must not answer from its cache.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChallengeClaims(pub String);

/// The pipeline's state, shared by every clone of a [`Client`].
#[derive(Clone)]
pub struct Pipeline {
    inner: Arc<Inner>,
}

struct Inner {
    vault: Url,
    credential: Arc<dyn TokenCredential>,
    options: ClientOptions,
    api_version: String,
    user_agent: HeaderValue,
    auth: tokio::sync::Mutex<AuthState>,
}

#[derive(Default)]
struct AuthState {
    /// The verified scope; `None` until a challenge was accepted.
    scope: Option<String>,
    tenant: Option<String>,
    token: Option<AccessToken>,
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
        Ok(Self {
            inner: Arc::new(Inner {
                api_version: options.api_version.clone(),
                vault,
                credential,
                options,
                user_agent,
                auth: tokio::sync::Mutex::new(AuthState::default()),
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
        // progenitor sends the spec's version as a header; Key Vault wants a query pair.
        headers.remove("api-version");
        headers.insert(USER_AGENT, self.inner.user_agent.clone());
        if !headers.contains_key(CLIENT_REQUEST_ID) {
            let id = uuid::Uuid::new_v4().to_string();
            if let Ok(v) = HeaderValue::from_str(&id) {
                headers.insert(CLIENT_REQUEST_ID, v);
            }
        }
        let url = request.url_mut();
        if !url.query_pairs().any(|(k, _)| k == "api-version") {
            url.query_pairs_mut()
                .append_pair("api-version", &self.inner.api_version);
        }
        let url = request.url().clone();
        self.check_transport(&url)?;
        self.check_origin(&url)
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
        let span = tracing::info_span!(
            "keyvault.request",
            operation,
            method = %request.method(),
            path = %request.url().path(),
            status = tracing::field::Empty,
            attempts = tracing::field::Empty,
            request_id = tracing::field::Empty,
        );
        let op = Op {
            id: operation,
            method: request.method().clone(),
            path: request.url().path().to_owned(),
        };
        let class = classify(operation, &op.method, self.relative_path(request.url()));
        async move {
            let known = {
                let st = self.inner.auth.lock().await;
                st.scope.clone().map(|s| (s, st.tenant.clone()))
            };
            let result = match known {
                Some((scope, tenant)) => {
                    let mut request = request;
                    let token = self.token(&scope, tenant.as_deref(), None, false).await?;
                    set_bearer(&mut request, &token)?;
                    self.send_with_retries(http, request, class, &op).await
                }
                None => self.challenge_and_send(http, request, class, &op).await,
            };
            if let Ok(r) = &result {
                record_response(&tracing::Span::current(), r);
            }
            match (class, result) {
                // The service performed the write and answered: an answer
                // that cannot be read (a broken connection, a body over the
                // size limit) leaves the caller not knowing what was done,
                // which is what OutcomeUnknown says. So the body is read here
                // (it is bounded by the size limit), not by the caller.
                (OperationClass::Unrepeatable | OperationClass::DeleteKey, Ok(r))
                    if r.status().is_success() =>
                {
                    read_whole(r).await.map_err(|e| op.outcome_unknown(e))
                }
                (_, result) => result,
            }
        }
        .instrument(span)
        .await
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
        let span = tracing::debug_span!("keyvault.challenge", url = %request.url().path());
        let response = self
            .send_with_retries(http, probe, class, op)
            .instrument(span)
            .await?;
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

    /// Verifies a challenge and caches its scope and tenant.
    async fn accept_challenge(
        &self,
        challenge: &Challenge,
    ) -> Result<(String, Option<String>), Error> {
        // What is verified is exactly what will be requested.
        let scope = if self.inner.options.verify_challenge_resource {
            challenge
                .verified_scope(
                    &self.inner.vault,
                    self.inner.options.allow_insecure_loopback,
                )
                .map_err(Error::Challenge)?
        } else {
            challenge.token_scope().ok_or_else(|| {
                Error::Challenge("the challenge names neither a scope nor a resource".to_owned())
            })?
        };
        let tenant = challenge.tenant();
        let mut st = self.inner.auth.lock().await;
        if st.scope.as_deref() != Some(scope.as_str()) {
            st.token = None;
        }
        st.scope = Some(scope.clone());
        st.tenant = tenant.clone();
        Ok((scope, tenant))
    }

    /// A token for `scope`: the cached one while it is fresh, else a new one.
    async fn token(
        &self,
        scope: &str,
        tenant: Option<&str>,
        claims: Option<&str>,
        force: bool,
    ) -> Result<String, Error> {
        let mut st = self.inner.auth.lock().await;
        if !force
            && claims.is_none()
            && let Some(t) = &st.token
            // checked: a credential may return any date, even the earliest
            // representable one; a token whose refresh time cannot be
            // computed is renewed.
            && t.expires_on
                .checked_sub(TOKEN_REFRESH_MARGIN)
                .is_some_and(|refresh| refresh > time::OffsetDateTime::now_utc())
        {
            return Ok(t.token.secret().to_owned());
        }
        let mut context = Context::new();
        if let Some(t) = tenant {
            context.insert(ChallengeTenant(t.to_owned()));
        }
        if let Some(c) = claims {
            context.insert(ChallengeClaims(c.to_owned()));
        }
        let options = TokenRequestOptions {
            method_options: ClientMethodOptions { context },
        };
        let token = self
            .inner
            .credential
            .get_token(&[scope], Some(options))
            .await
            .map_err(|e| Error::Credential(e.to_string()))?;
        let secret = token.token.secret().to_owned();
        st.token = Some(token);
        Ok(secret)
    }

    /// After a 401 to an authorised request: accept the new challenge (it is
    /// verified like the first: a CAE challenge naming another scope is
    /// refused before the credential is called) and get a fresh token, with
    /// the CAE claims when the challenge carries them. A challenge without a
    /// scope or resource keeps the verified scope.
    async fn rechallenge(&self, challenge: &Challenge) -> Result<String, Error> {
        let (scope, tenant) = if challenge.token_scope().is_some() {
            self.accept_challenge(challenge).await?
        } else {
            let st = self.inner.auth.lock().await;
            let scope = st
                .scope
                .clone()
                .ok_or_else(|| Error::Challenge("no scope known".to_owned()))?;
            (scope, st.tenant.clone())
        };
        self.token(&scope, tenant.as_deref(), challenge.claims.as_deref(), true)
            .await
    }

    /// The current token if the request is authorised, renewed if it expired.
    async fn current_token(&self) -> Result<Option<String>, Error> {
        let (scope, tenant) = {
            let st = self.inner.auth.lock().await;
            match st.scope.clone() {
                Some(s) => (s, st.tenant.clone()),
                None => return Ok(None),
            }
        };
        self.token(&scope, tenant.as_deref(), None, false)
            .await
            .map(Some)
    }

    /// Puts the current token on a request that is sent again.
    async fn reauthorise(&self, request: &mut Request) -> Result<(), Error> {
        if let Some(t) = self.current_token().await? {
            set_bearer(request, &t)?;
        }
        Ok(())
    }

    /// Sends with retries by `class` and one re-authorisation. Every
    /// response's body is limited to `max_response_size`.
    async fn send_with_retries(
        &self,
        http: &reqwest::Client,
        request: Request,
        class: OperationClass,
        op: &Op,
    ) -> Result<Response, Error> {
        let span = tracing::Span::current();
        let retry = &self.inner.options.retry;
        let limit = self.inner.options.max_response_size;
        let mut attempts = 0u32;
        let mut retries = 0u32;
        let mut rechallenged = false;
        // DeleteKey: an earlier attempt may have been performed.
        let mut maybe_performed = false;
        let mut current = request;
        loop {
            attempts += 1;
            let spare = current.try_clone();
            let authorised = current.headers().contains_key(AUTHORIZATION);
            let result = http.execute(current).await;
            span.record("attempts", attempts);
            let response = match result {
                Ok(r) => limit_body(r, limit),
                Err(e) => {
                    let not_sent = failed_before_sending(&e);
                    let retryable = is_retryable_error(&e);
                    // The answer was lost after the request went out.
                    let unknown = retryable && !not_sent;
                    let allowed = match class {
                        OperationClass::Unrepeatable => retryable && not_sent,
                        _ => retryable,
                    };
                    if class == OperationClass::DeleteKey && unknown {
                        maybe_performed = true;
                    }
                    if let Some(mut next) = spare.filter(|_| allowed && retries < retry.max_retries)
                    {
                        retries += 1;
                        let delay = backoff(retry, retries);
                        tracing::debug!(error = %e, ?delay, retry = retries, "transport error; retrying");
                        tokio::time::sleep(delay).await;
                        if authorised {
                            self.reauthorise(&mut next).await?;
                        }
                        current = next;
                        continue;
                    }
                    tracing::debug!(error = %e, "transport error");
                    let err = Error::Transport(e);
                    return Err(match class {
                        OperationClass::Repeatable => err,
                        _ if unknown || maybe_performed => op.outcome_unknown(err),
                        _ => err,
                    });
                }
            };
            let status = response.status();
            record_response(&span, &response);
            if status == StatusCode::UNAUTHORIZED && authorised && !rechallenged {
                let (Some(mut next), Some(challenge)) = (spare, find_challenge(&response)) else {
                    return Ok(response);
                };
                rechallenged = true;
                let token = self.rechallenge(&challenge).await?;
                set_bearer(&mut next, &token)?;
                tracing::debug!("401 to an authorised request; re-authorised once");
                current = next;
                continue;
            }
            if class == OperationClass::DeleteKey
                && maybe_performed
                && status == StatusCode::NOT_FOUND
                && let Some(spare) = spare
            {
                return self.resolve_deleted(http, spare, op, response).await;
            }
            if !is_retryable_status(status) {
                return Ok(response);
            }
            let certain = certainly_not_performed(status, response.headers());
            if !certain {
                match class {
                    OperationClass::Repeatable => {}
                    OperationClass::Unrepeatable => {
                        tracing::debug!(
                            status = status.as_u16(),
                            "not retried: the service may have performed the request"
                        );
                        return Err(op.outcome_unknown(http_error(response).await));
                    }
                    OperationClass::DeleteKey => maybe_performed = true,
                }
            }
            let server = server_delay(response.headers());
            let too_long = server.is_some_and(|d| d > retry.max_retry_after);
            if let Some(mut next) = spare.filter(|_| !too_long && retries < retry.max_retries) {
                let delay = server.unwrap_or_else(|| backoff(retry, retries + 1));
                retries += 1;
                tracing::debug!(
                    status = status.as_u16(),
                    ?delay,
                    retry = retries,
                    "retrying"
                );
                drop(response);
                tokio::time::sleep(delay).await;
                if authorised {
                    self.reauthorise(&mut next).await?;
                }
                current = next;
                continue;
            }
            if class == OperationClass::DeleteKey && maybe_performed {
                return Err(op.outcome_unknown(http_error(response).await));
            }
            return Ok(response);
        }
    }

    /// `DELETE /keys/{name}` answered 404 on a retry after an attempt whose
    /// outcome is unknown: the key is gone, most likely deleted by that
    /// attempt. Reads the deleted key; when it is there, that is the
    /// delete's answer (the same `DeletedKeyBundle`), as the delete poller
    /// would conclude. Otherwise the outcome stays unknown.
    async fn resolve_deleted(
        &self,
        http: &reqwest::Client,
        delete: Request,
        op: &Op,
        not_found: Response,
    ) -> Result<Response, Error> {
        let mut url = delete.url().clone();
        let base = self.inner.vault.path().trim_end_matches('/').to_owned();
        let name = self
            .relative_path(&url)
            .trim_start_matches('/')
            .split('/')
            .nth(1)
            .unwrap_or("")
            .to_owned();
        url.set_path(&format!("{base}/deletedkeys/{name}"));
        let mut get = Request::new(Method::GET, url);
        for (k, v) in delete.headers() {
            if k != CONTENT_TYPE && k != CONTENT_LENGTH {
                get.headers_mut().append(k.clone(), v.clone());
            }
        }
        self.reauthorise(&mut get).await?;
        let read = Op {
            id: "get_deleted_key",
            method: Method::GET,
            path: get.url().path().to_owned(),
        };
        let found =
            Box::pin(self.send_with_retries(http, get, OperationClass::Repeatable, &read)).await;
        match found {
            Ok(r) if r.status() == StatusCode::OK => {
                tracing::debug!("the retried delete found the key already deleted: success");
                Ok(r)
            }
            _ => Err(op.outcome_unknown(http_error(not_found).await)),
        }
    }
}

/// The operation a request belongs to, for errors and logs.
struct Op {
    id: &'static str,
    method: Method,
    path: String,
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

/// The same response with its body read whole (within the size limit
/// [`limit_body`] set), or why the body could not be read.
async fn read_whole(mut response: Response) -> Result<Response, Error> {
    let builder = same_head(&mut response);
    let body = response.bytes().await.map_err(body_error)?;
    builder
        .body(reqwest::Body::from(body))
        .map(Response::from)
        .map_err(|e| Error::InvalidRequest(e.to_string()))
}

/// A builder for a response like `response` (status, version, URL; its
/// headers and extensions moved over), to be given a new body.
fn same_head(response: &mut Response) -> http::response::Builder {
    use reqwest::ResponseBuilderExt as _;
    let mut builder = http::Response::builder()
        .status(response.status())
        .version(response.version())
        .url(response.url().clone());
    if let Some(h) = builder.headers_mut() {
        *h = std::mem::take(response.headers_mut());
    }
    if let Some(x) = builder.extensions_mut() {
        *x = std::mem::take(response.extensions_mut());
    }
    builder
}

fn record_response(span: &tracing::Span, response: &Response) {
    span.record("status", response.status().as_u16());
    if let Some(id) = response
        .headers()
        .get("x-ms-request-id")
        .and_then(|v| v.to_str().ok())
    {
        span.record("request_id", id);
    }
}

/// Refuses URLs that are not on the vault's origin.
pub(crate) fn check_origin(vault: &Url, url: &Url) -> Result<(), Error> {
    if url.origin() == vault.origin() {
        Ok(())
    } else {
        Err(Error::ForeignOrigin {
            url: url.to_string(),
            vault: vault.origin().ascii_serialization(),
        })
    }
}

/// The marker error a limited body fails with; found again in the error's
/// source chain by [`crate::error::body_error`].
#[derive(Debug)]
pub(crate) struct BodyTooLarge {
    pub(crate) limit: usize,
}

impl std::fmt::Display for BodyTooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the response body is larger than {} bytes", self.limit)
    }
}

impl std::error::Error for BodyTooLarge {}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The same response with a body that fails with [`BodyTooLarge`] once more
/// than `limit` bytes arrived (at once, when a `Content-Length` above the
/// limit is declared). Nothing is buffered: chunks pass through as they
/// come, and reading stops at the limit.
pub(crate) fn limit_body(mut response: Response, limit: usize) -> Response {
    let declared_too_large = response.content_length().is_some_and(|n| n > limit as u64);
    let builder = same_head(&mut response);
    let inner = Box::pin(response.bytes_stream());
    let limited = futures::stream::unfold(
        Some((inner, 0usize, declared_too_large)),
        move |state| async move {
            let (mut inner, seen, too_large) = state?;
            if too_large {
                return Some((Err(BoxError::from(BodyTooLarge { limit })), None));
            }
            match inner.next().await {
                None => None,
                Some(Err(e)) => Some((Err(BoxError::from(e)), None)),
                Some(Ok(chunk)) => {
                    let seen = seen.saturating_add(chunk.len());
                    if seen > limit {
                        Some((Err(BoxError::from(BodyTooLarge { limit })), None))
                    } else {
                        Some((Ok::<Bytes, BoxError>(chunk), Some((inner, seen, false))))
                    }
                }
            }
        },
    );
    match builder.body(reqwest::Body::wrap_stream(limited)) {
        Ok(r) => Response::from(r),
        // The parts came from a valid response; this cannot fail.
        Err(e) => failure_response(Error::InvalidRequest(e.to_string())),
    }
}

/// A pipeline failure as the response `exec` returns: progenitor's `exec`
/// hook can only return a reqwest result, so a typed failure (a refused
/// challenge, a credential error, an unknown outcome) travels as a response
/// with a status no operation expects (so the generated method returns
/// `UnexpectedResponse`), carrying the error in its extensions;
/// [`Error::from_generated`] (and so [`crate::call`]) takes it back out.
pub(crate) fn failure_response(error: Error) -> Response {
    let text = error.to_string();
    let mut r = http::Response::new(reqwest::Body::from(text));
    *r.status_mut() = StatusCode::from_u16(crate::error::FAILURE_STATUS)
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r.extensions_mut().insert(PipelineFailure::new(error));
    Response::from(r)
}

fn find_challenge(response: &Response) -> Option<Challenge> {
    response
        .headers()
        .get_all(WWW_AUTHENTICATE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(Challenge::parse)
}

fn set_bearer(request: &mut Request, token: &str) -> Result<(), Error> {
    let mut value = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
        Error::Credential(
            "the credential returned a token that is not a valid header value".to_owned(),
        )
    })?;
    value.set_sensitive(true);
    request.headers_mut().insert(AUTHORIZATION, value);
    Ok(())
}

impl Client {
    /// A client for the vault at `vault_url` (for example
    /// `https://myvault.vault.azure.net`), authenticating with `credential`.
    ///
    /// Fails before anything is sent when the URL is not absolute, or is not
    /// `https` (plain `http` is accepted only to a loopback address with
    /// [`ClientOptions::allow_insecure_loopback`]). Cloning the client shares
    /// its connections, token and challenge cache.
    pub fn with_credential(
        vault_url: &str,
        credential: Arc<dyn TokenCredential>,
        options: ClientOptions,
    ) -> Result<Self, Error> {
        let mut url = Url::parse(vault_url).map_err(|e| {
            Error::InvalidRequest(format!(
                "the vault URL {vault_url:?} is not an absolute URL: {e}"
            ))
        })?;
        if url.host_str().is_none() {
            return Err(Error::InvalidRequest(format!(
                "the vault URL {vault_url:?} has no host"
            )));
        }
        url.set_query(None);
        url.set_fragment(None);
        let path = url.path().trim_end_matches('/').to_owned();
        url.set_path(&path);
        let http = match &options.http_client {
            Some(c) => c.clone(),
            // No redirects: Key Vault does not redirect, and a token or a
            // body must not follow one elsewhere.
            None => reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(options.timeout)
                .connect_timeout(options.timeout.min(Duration::from_secs(30)))
                .build()
                .map_err(|e| {
                    Error::InvalidRequest(format!("could not build the HTTP client: {e}"))
                })?,
        };
        let pipeline = Pipeline::new(url.clone(), credential, options)?;
        pipeline.check_transport(&url)?;
        let base = url.as_str().trim_end_matches('/').to_owned();
        Ok(Client::new_with_client(&base, http, pipeline))
    }

    /// The pipeline (settings, vault URL, challenge state).
    pub fn pipeline(&self) -> &Pipeline {
        &self.inner
    }

    /// The vault's URL.
    pub fn vault_url(&self) -> &Url {
        self.inner.vault_url()
    }

    /// The underlying HTTP client.
    pub fn http_client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Runs a request through the whole pipeline (what every generated
    /// method does): prepare, authorise, send with retries.
    pub(crate) async fn execute(
        &self,
        mut request: Request,
        operation: &'static str,
    ) -> Result<Response, Error> {
        self.inner.prepare(&mut request)?;
        self.inner.send(&self.client, request, operation).await
    }
}

impl ClientHooks<Pipeline> for Client {
    async fn pre<E>(
        &self,
        request: &mut Request,
        _info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        self.inner.prepare(request).map_err(Error::into_custom)
    }

    async fn exec(&self, request: Request, info: &OperationInfo) -> reqwest::Result<Response> {
        match self
            .inner
            .send(&self.client, request, info.operation_id)
            .await
        {
            Ok(r) => Ok(r),
            Err(Error::Transport(e)) => Err(e),
            Err(other) => Ok(failure_response(other)),
        }
    }
}
