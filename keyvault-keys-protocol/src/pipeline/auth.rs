//! Challenge-based authentication: the verified scope, the token cache,
//! CAE re-challenges.

use azure_core::credentials::{AccessToken, TokenRequestOptions};
use azure_core::http::{ClientMethodOptions, Context};
use reqwest::header::{AUTHORIZATION, HeaderValue, WWW_AUTHENTICATE};
use reqwest::{Request, Response};

use super::Pipeline;
use super::verified::{self, Verified};
use crate::challenge::Challenge;
use crate::error::Error;

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

#[derive(Default)]
pub(super) struct AuthState {
    /// The verified scope; `None` until a challenge was accepted.
    pub(super) scope: Option<String>,
    pub(super) tenant: Option<String>,
    pub(super) token: Option<AccessToken>,
}

impl Pipeline {
    /// Verifies a challenge and caches its scope and tenant.
    pub(super) async fn accept_challenge(
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
            self.set_fast_bearer(None);
        }
        st.scope = Some(scope.clone());
        st.tenant = tenant.clone();
        drop(st);
        if let Some(key) = &self.inner.vault_key {
            verified::remember(
                key.clone(),
                Verified {
                    scope: scope.clone(),
                    tenant: tenant.clone(),
                },
            );
        }
        Ok((scope, tenant))
    }

    /// The verified scope and tenant: this client's, else what another
    /// client of this process verified for the same origin with the same
    /// verification settings (adopted as this client's own). `None` until
    /// a challenge was verified.
    pub(super) async fn known_scope(&self) -> Option<(String, Option<String>)> {
        let mut st = self.inner.auth.lock().await;
        if let Some(scope) = &st.scope {
            return Some((scope.clone(), st.tenant.clone()));
        }
        let shared = verified::lookup(self.inner.vault_key.as_ref()?)?;
        tracing::debug!(
            "a challenge for this vault was verified earlier in this process: no probe"
        );
        st.scope = Some(shared.scope.clone());
        st.tenant = shared.tenant.clone();
        Some((shared.scope, shared.tenant))
    }

    /// A token for `scope`: the cached one while it is fresh, else a new one.
    pub(super) async fn token(
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
        self.set_fast_bearer(None);
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
            .map_err(Error::Credential)?;
        let secret = token.token.secret().to_owned();
        // The scope is this client's own (a token is only requested for a
        // verified scope), so later calls may take the token from the fast
        // path without the lock.
        if st.scope.as_deref() == Some(scope) {
            let refresh = token.expires_on.checked_sub(TOKEN_REFRESH_MARGIN);
            let fast = refresh.and_then(|r| Some((bearer_value(&secret).ok()?, r)));
            self.set_fast_bearer(fast);
        }
        st.token = Some(token);
        Ok(secret)
    }

    /// The `Authorization` value of this client's own cached token while it
    /// is fresh (what [`known_scope`](Self::known_scope) and
    /// [`token`](Self::token) would give without a challenge or claims):
    /// one uncontended lock and a clone of a shared value, no allocation.
    pub(super) fn fast_bearer(&self) -> Option<HeaderValue> {
        let fast = self.inner.fast_bearer.lock().ok()?;
        let (value, refresh) = fast.as_ref()?;
        (*refresh > time::OffsetDateTime::now_utc()).then(|| value.clone())
    }

    /// Sets (or clears) the fast path's token; called with the auth lock
    /// held, whenever the cached token or scope changes.
    fn set_fast_bearer(&self, value: Option<(HeaderValue, time::OffsetDateTime)>) {
        if let Ok(mut fast) = self.inner.fast_bearer.lock() {
            *fast = value.map(|(mut v, refresh)| {
                v.set_sensitive(true);
                // Cloned once here, so that the value is shared and every
                // later clone only counts a reference.
                let _ = v.clone();
                (v, refresh)
            });
        }
    }

    /// After a 401 to an authorised request: accept the new challenge (it is
    /// verified like the first: a CAE challenge naming another scope is
    /// refused before the credential is called) and get a fresh token, with
    /// the CAE claims when the challenge carries them. A challenge without a
    /// scope or resource keeps the verified scope.
    pub(super) async fn rechallenge(&self, challenge: &Challenge) -> Result<String, Error> {
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
    pub(super) async fn reauthorise(&self, request: &mut Request) -> Result<(), Error> {
        if let Some(t) = self.current_token().await? {
            set_bearer(request, &t)?;
        }
        Ok(())
    }
}

/// The first `Bearer` challenge of a response.
pub(super) fn find_challenge(response: &Response) -> Option<Challenge> {
    response
        .headers()
        .get_all(WWW_AUTHENTICATE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(Challenge::parse)
}

/// Puts a bearer token on a request (marked sensitive: never logged).
pub(super) fn set_bearer(request: &mut Request, token: &str) -> Result<(), Error> {
    let value = bearer_value(token)?;
    request.headers_mut().insert(AUTHORIZATION, value);
    Ok(())
}

/// `Bearer {token}` as a header value (marked sensitive: never logged).
fn bearer_value(token: &str) -> Result<HeaderValue, Error> {
    let mut value = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
        Error::Credential(azure_core::Error::with_message(
            azure_core::error::ErrorKind::Credential,
            "the credential returned a token that is not a valid header value",
        ))
    })?;
    value.set_sensitive(true);
    Ok(value)
}
