//! Sending with retries by operation class, one re-authorisation, and the
//! delete that a retry finds already done.

use reqwest::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE};
use reqwest::{Method, Request, Response, StatusCode};

use super::auth::{find_challenge, set_bearer};
use super::limit::limit_body;
use super::{Op, Pipeline, http_error, record_response};
use crate::error::Error;
use crate::retry::{
    OperationClass, backoff, certainly_not_performed, failed_before_sending, is_retryable_error,
    is_retryable_status, server_delay,
};

impl Pipeline {
    /// Sends with retries by `class` and one re-authorisation. Every
    /// response's body is limited to `max_response_size`.
    pub(super) async fn send_with_retries(
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
