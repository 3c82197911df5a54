//! The response-size limit: every body is read through it as it streams.

use bytes::Bytes;
use futures::StreamExt as _;
use reqwest::Response;

use crate::error::{Error, body_error};

/// The same response with its body read whole (within the size limit
/// [`limit_body`] set), or why the body could not be read.
pub(super) async fn read_whole(mut response: Response) -> Result<Response, Error> {
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
///
/// A body whose length is declared within the limit is left as it is: the
/// HTTP framing (hyper reads exactly the declared length, and fails the body
/// otherwise) already holds it to that length, so wrapping it would only
/// cost a response rebuilt, a URL parsed and a stream layer on every answer.
pub(crate) fn limit_body(mut response: Response, limit: usize) -> Result<Response, Error> {
    let declared = response.content_length();
    if declared.is_some_and(|n| n <= limit as u64) {
        return Ok(response);
    }
    let declared_too_large = declared.is_some();
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
    // The parts came from a valid response; this cannot fail.
    builder
        .body(reqwest::Body::wrap_stream(limited))
        .map(Response::from)
        .map_err(|e| Error::InvalidRequest(e.to_string()))
}
