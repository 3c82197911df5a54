//! Sending with retries by operation class, one re-authorisation, and the
//! delete that a retry finds already done.

use reqwest::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE};
use reqwest::{Method, Request, Response, StatusCode};

use super::auth::{find_challenge, set_bearer};
use super::limit::limit_body;
use super::{Op, Pipeline, http_error};
use crate::error::Error;
use crate::instrumentation::{AZ_NAMESPACE, record_failure, url_full};
use crate::pipeline::CLIENT_REQUEST_ID;
use crate::retry::{
    OperationClass, backoff, certainly_not_performed, failed_before_sending, is_retryable_error,
    is_retryable_status, server_delay,
};
use std::sync::atomic::Ordering;
use tracing::{Instrument as _, Span};

impl Pipeline {
    /// Sends with retries by `class` and one re-authorisation. Every
    /// response's body is limited to `max_response_size`. The futures of
    /// the paths a call seldom takes (a retry's re-authorisation, a
    /// re-challenge, an error body, a retried delete) are boxed, so that
    /// they do not make every call's future larger.
    pub(super) async fn send_with_retries(
        &self,
        http: &reqwest::Client,
        request: Request,
        class: OperationClass,
        op: &Op,
    ) -> Result<Response, Error> {
        let retry = &self.inner.options.retry;
        let limit = self.inner.options.max_response_size;
        let mut retries = 0u32;
        let mut rechallenged = false;
        // DeleteKey: an earlier attempt may have been performed.
        let mut maybe_performed = false;
        let mut current = request;
        loop {
            let spare = current.try_clone();
            let authorised = current.headers().contains_key(AUTHORIZATION);
            let attempt = attempt_span(&current, op.sends.fetch_add(1, Ordering::Relaxed));
            let result = http.execute(current).instrument(attempt.clone()).await;
            record_attempt(&attempt, &result);
            let response = match result {
                Ok(r) => limit_body(r, limit)?,
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
                            Box::pin(self.reauthorise(&mut next)).await?;
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
            if status == StatusCode::UNAUTHORIZED && authorised && !rechallenged {
                let (Some(mut next), Some(challenge)) = (spare, find_challenge(&response)) else {
                    return Ok(response);
                };
                rechallenged = true;
                let token = Box::pin(self.rechallenge(&challenge)).await?;
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
                return Box::pin(self.resolve_deleted(http, spare, op, response)).await;
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
                        return Err(op.outcome_unknown(Box::pin(http_error(response)).await));
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
                    Box::pin(self.reauthorise(&mut next)).await?;
                }
                current = next;
                continue;
            }
            if class == OperationClass::DeleteKey && maybe_performed {
                return Err(op.outcome_unknown(Box::pin(http_error(response)).await));
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
            sends: Default::default(),
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

/// The span of one HTTP exchange, named after its method (`otel.kind =
/// "client"`); see [`crate::instrumentation`].
macro_rules! http_span {
    ($name:literal) => {
        tracing::info_span!(
            target: "keyvault",
            $name,
            otel.kind = "client",
            az.namespace = AZ_NAMESPACE,
            http.request.method = tracing::field::Empty,
            url.full = tracing::field::Empty,
            server.address = tracing::field::Empty,
            server.port = tracing::field::Empty,
            az.client_request_id = tracing::field::Empty,
            http.request.resend_count = tracing::field::Empty,
            http.response.status_code = tracing::field::Empty,
            az.service_request_id = tracing::field::Empty,
            "error.type" = tracing::field::Empty,
            otel.status_code = tracing::field::Empty,
        )
    };
}

/// Opens the span of an exchange; `resend` is how many went before it in
/// the operation. Fields are formatted only when the span is enabled;
/// numbers are recorded as `i64`, which OpenTelemetry layers export as
/// integers (a `u64` becomes a string there).
fn attempt_span(request: &Request, resend: u32) -> Span {
    let method = request.method();
    let span = match *method {
        Method::GET => http_span!("GET"),
        Method::PUT => http_span!("PUT"),
        Method::POST => http_span!("POST"),
        Method::PATCH => http_span!("PATCH"),
        Method::DELETE => http_span!("DELETE"),
        Method::HEAD => http_span!("HEAD"),
        _ => http_span!("HTTP"),
    };
    if span.is_disabled() {
        return span;
    }
    let url = request.url();
    span.record("http.request.method", method.as_str());
    span.record("url.full", url_full(url));
    if let Some(host) = url.host_str() {
        span.record(
            "server.address",
            host.trim_start_matches('[').trim_end_matches(']'),
        );
    }
    if let Some(port) = url.port_or_known_default() {
        span.record("server.port", i64::from(port));
    }
    if let Some(id) = request
        .headers()
        .get(CLIENT_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
    {
        span.record("az.client_request_id", id);
    }
    if resend > 0 {
        span.record("http.request.resend_count", i64::from(resend));
    }
    span
}

/// Records an exchange's answer (status, `x-ms-request-id`) or failure.
fn record_attempt(span: &Span, result: &Result<Response, reqwest::Error>) {
    if span.is_disabled() {
        return;
    }
    match result {
        Ok(r) => {
            let status = r.status().as_u16();
            span.record("http.response.status_code", i64::from(status));
            if let Some(id) = r
                .headers()
                .get("x-ms-request-id")
                .and_then(|v| v.to_str().ok())
            {
                span.record("az.service_request_id", id);
            }
            if status >= 400 {
                // A client span's 4xx is an error too (OpenTelemetry HTTP
                // conventions); the method's span leaves a 4xx unset.
                span.record("error.type", status.to_string());
                span.record("otel.status_code", "ERROR");
            }
        }
        Err(e) => {
            let kind = if e.is_timeout() {
                "Timeout"
            } else if e.is_connect() {
                "Connect"
            } else {
                "Transport"
            };
            record_failure(span, None, kind);
        }
    }
}
