//! The hand-written pipeline behind every generated method: api-version,
//! request ids, the TLS rule, challenge-based authentication, retries and
//! tracing. It runs in progenitor-client's hooks (`pre` and `exec`), so
//! generated methods, nextLink pages and `send_request` all take one path.

use std::sync::Arc;
use std::time::Duration;

use azure_core::credentials::{AccessToken, TokenCredential, TokenRequestOptions};
use azure_core::http::{ClientMethodOptions, Context};
use progenitor_client::{ClientHooks, OperationInfo};
use reqwest::header::{
    AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, HeaderValue, USER_AGENT, WWW_AUTHENTICATE,
};
use reqwest::{Method, Request, Response, StatusCode};
use tracing::Instrument as _;
use url::Url;

use crate::Client;
use crate::challenge::{Challenge, verify_resource};
use crate::error::Error;
use crate::options::ClientOptions;
use crate::retry::{backoff, is_retryable_error, is_retryable_status, server_delay};

/// The header carrying the caller's request id, the same on every attempt.
pub const CLIENT_REQUEST_ID: &str = "x-ms-client-request-id";

/// Refresh a cached token this long before it expires.
const TOKEN_REFRESH_MARGIN: Duration = Duration::from_secs(300);

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

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(a)) => a.is_loopback(),
        Some(url::Host::Ipv6(a)) => a.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
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
        if url.origin() == self.inner.vault.origin() {
            Ok(())
        } else {
            Err(Error::ForeignOrigin {
                url: url.to_string(),
                vault: self.inner.vault.origin().ascii_serialization(),
            })
        }
    }

    /// Everything before sending: api-version, request id, user agent, the
    /// TLS and origin rules, and the bearer token (challenging first when
    /// the scope is not known yet).
    pub(crate) async fn prepare(
        &self,
        http: &reqwest::Client,
        request: &mut Request,
    ) -> Result<(), Error> {
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
        self.check_origin(&url)?;
        self.authorize(http, request).await
    }

    async fn authorize(&self, http: &reqwest::Client, request: &mut Request) -> Result<(), Error> {
        let known = {
            let st = self.inner.auth.lock().await;
            st.scope.clone().map(|s| (s, st.tenant.clone()))
        };
        let (scope, tenant) = match known {
            Some(k) => k,
            None => match self.discover(http, request).await? {
                Some(k) => k,
                None => return Ok(()),
            },
        };
        let token = self.token(&scope, tenant.as_deref(), None, false).await?;
        set_bearer(request, &token)
    }

    /// Sends a copy of the request without body or token to learn the scope
    /// from the 401 challenge. Returns `None` when the service does not
    /// challenge (it then gets the real request without a token).
    async fn discover(
        &self,
        http: &reqwest::Client,
        request: &Request,
    ) -> Result<Option<(String, Option<String>)>, Error> {
        let span = tracing::debug_span!("keyvault.challenge", url = %request.url().path());
        async {
            let mut probe = Request::new(request.method().clone(), request.url().clone());
            for (k, v) in request.headers() {
                if k != AUTHORIZATION && k != CONTENT_TYPE && k != CONTENT_LENGTH {
                    probe.headers_mut().append(k.clone(), v.clone());
                }
            }
            if matches!(
                *request.method(),
                Method::POST | Method::PUT | Method::PATCH
            ) {
                probe
                    .headers_mut()
                    .insert(CONTENT_LENGTH, HeaderValue::from_static("0"));
                *probe.body_mut() = Some(reqwest::Body::from(Vec::<u8>::new()));
            }
            let response = self
                .send_with_retries(http, probe)
                .await
                .map_err(Error::Transport)?;
            if response.status() != StatusCode::UNAUTHORIZED {
                tracing::warn!(
                    status = response.status().as_u16(),
                    "the service did not challenge; sending without a token"
                );
                return Ok(None);
            }
            let challenge = find_challenge(&response).ok_or_else(|| {
                Error::Challenge(
                    "the service answered 401 without a `WWW-Authenticate: Bearer` challenge"
                        .to_owned(),
                )
            })?;
            // Read the body so the connection can be reused.
            let _ = response.bytes().await;
            let accepted = self.accept_challenge(&challenge).await?;
            Ok(Some(accepted))
        }
        .instrument(span)
        .await
    }

    /// Verifies a challenge and caches its scope and tenant.
    async fn accept_challenge(
        &self,
        challenge: &Challenge,
    ) -> Result<(String, Option<String>), Error> {
        let scope = challenge.token_scope().ok_or_else(|| {
            Error::Challenge("the challenge names neither a scope nor a resource".to_owned())
        })?;
        if self.inner.options.verify_challenge_resource {
            let resource = challenge
                .resource_url()
                .ok_or_else(|| Error::Challenge("the challenge's scope is not a URL".to_owned()))?;
            verify_resource(&self.inner.vault, &resource).map_err(Error::Challenge)?;
        }
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
            && t.expires_on - TOKEN_REFRESH_MARGIN > time::OffsetDateTime::now_utc()
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

    /// After a 401 to an authorised request: accept the new challenge and get
    /// a fresh token (with the CAE claims when the challenge carries them).
    async fn rechallenge(&self, response: &Response) -> Result<String, Error> {
        let challenge = find_challenge(response)
            .ok_or_else(|| Error::Challenge("401 without a Bearer challenge".to_owned()))?;
        let (scope, tenant) = if challenge.token_scope().is_some() {
            self.accept_challenge(&challenge).await?
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

    /// Sends with retries and one re-authorisation, inside a tracing span.
    /// When a retry or a re-authorisation cannot proceed, the last real
    /// response (or transport error) is returned.
    pub(crate) async fn send(
        &self,
        http: &reqwest::Client,
        request: Request,
        operation: &'static str,
    ) -> reqwest::Result<Response> {
        let span = tracing::info_span!(
            "keyvault.request",
            operation,
            method = %request.method(),
            path = %request.url().path(),
            status = tracing::field::Empty,
            attempts = tracing::field::Empty,
            request_id = tracing::field::Empty,
        );
        self.send_with_retries(http, request).instrument(span).await
    }

    async fn send_with_retries(
        &self,
        http: &reqwest::Client,
        request: Request,
    ) -> reqwest::Result<Response> {
        let span = tracing::Span::current();
        let retry = self.inner.options.retry.clone();
        let mut attempts = 0u32;
        let mut retries = 0u32;
        let mut rechallenged = false;
        let mut current = request;
        loop {
            attempts += 1;
            let spare = current.try_clone();
            let authorised = current.headers().contains_key(AUTHORIZATION);
            let result = http.execute(current).await;
            span.record("attempts", attempts);
            let response = match result {
                Ok(r) => r,
                Err(e) => {
                    let Some(mut next) =
                        spare.filter(|_| is_retryable_error(&e) && retries < retry.max_retries)
                    else {
                        tracing::debug!(error = %e, "transport error");
                        return Err(e);
                    };
                    retries += 1;
                    let delay = backoff(&retry, retries);
                    tracing::debug!(error = %e, ?delay, retry = retries, "transport error; retrying");
                    tokio::time::sleep(delay).await;
                    if authorised {
                        match self.current_token().await {
                            Ok(Some(t)) => {
                                if set_bearer(&mut next, &t).is_err() {
                                    return Err(e);
                                }
                            }
                            Ok(None) => {}
                            Err(_) => return Err(e),
                        }
                    }
                    current = next;
                    continue;
                }
            };
            let status = response.status();
            span.record("status", status.as_u16());
            if let Some(id) = response
                .headers()
                .get("x-ms-request-id")
                .and_then(|v| v.to_str().ok())
            {
                span.record("request_id", id);
            }
            if status == StatusCode::UNAUTHORIZED && authorised && !rechallenged {
                let Some(mut next) = spare else {
                    return Ok(response);
                };
                rechallenged = true;
                match self.rechallenge(&response).await {
                    Ok(token) if set_bearer(&mut next, &token).is_ok() => {
                        tracing::debug!("401 to an authorised request; re-authorised once");
                        current = next;
                        continue;
                    }
                    Ok(_) => return Ok(response),
                    Err(e) => {
                        tracing::debug!(error = %e, "re-authorisation failed");
                        return Ok(response);
                    }
                }
            }
            if is_retryable_status(status) && retries < retry.max_retries {
                let Some(mut next) = spare else {
                    return Ok(response);
                };
                let delay = match server_delay(response.headers()) {
                    Some(d) if d > retry.max_retry_after => return Ok(response),
                    Some(d) => d,
                    None => backoff(&retry, retries + 1),
                };
                retries += 1;
                tracing::debug!(
                    status = status.as_u16(),
                    ?delay,
                    retry = retries,
                    "retrying"
                );
                tokio::time::sleep(delay).await;
                if authorised {
                    match self.current_token().await {
                        Ok(Some(t)) if set_bearer(&mut next, &t).is_ok() => {}
                        Ok(None) => {}
                        _ => return Ok(response),
                    }
                }
                drop(response);
                current = next;
                continue;
            }
            return Ok(response);
        }
    }
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
            None => reqwest::Client::builder()
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
        self.inner.prepare(&self.client, &mut request).await?;
        self.inner
            .send(&self.client, request, operation)
            .await
            .map_err(Error::Transport)
    }
}

impl ClientHooks<Pipeline> for Client {
    async fn pre<E>(
        &self,
        request: &mut Request,
        _info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        self.inner
            .prepare(&self.client, request)
            .await
            .map_err(Error::into_custom)
    }

    async fn exec(&self, request: Request, info: &OperationInfo) -> reqwest::Result<Response> {
        self.inner
            .send(&self.client, request, info.operation_id)
            .await
    }
}
