//! `send_request`: a raw call through the full pipeline, for service
//! features this crate does not wrap yet; `send_request_streaming` for the
//! same with the body as a stream (Python's `stream=True`).

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures::stream::{Stream, StreamExt as _, TryStreamExt as _};
use reqwest::header::HeaderMap;
use reqwest::{Method, Request, StatusCode};
use url::Url;

use crate::Client;
use crate::error::{Error, body_error};

/// A raw request.
///
/// `url` is relative to the vault (`/keys/k/?api-version=7.6`, or `keys`) or
/// absolute on the vault's origin. `api-version` is added unless the URL
/// already has one.
///
/// `Debug` shows the body's length and the header names only: a raw body may
/// be a plaintext to encrypt or a private key to import.
#[derive(Clone)]
pub struct RawRequest {
    /// The HTTP method.
    pub method: Method,
    /// Relative to the vault, or absolute on its origin.
    pub url: String,
    /// Extra headers (a `Content-Type` for a body, say).
    pub headers: HeaderMap,
    /// The body, if any.
    pub body: Option<Bytes>,
}

fn header_names(headers: &HeaderMap) -> Vec<&str> {
    headers.keys().map(|k| k.as_str()).collect()
}

impl std::fmt::Debug for RawRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &header_names(&self.headers))
            .field("body_len", &self.body.as_ref().map(Bytes::len))
            .finish()
    }
}

impl std::fmt::Debug for RawResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawResponse")
            .field("status", &self.status)
            .field("headers", &header_names(&self.headers))
            .field("body_len", &self.body.len())
            .finish()
    }
}

impl RawRequest {
    /// A request with no headers and no body.
    pub fn new(method: Method, url: impl Into<String>) -> Self {
        Self {
            method,
            url: url.into(),
            headers: HeaderMap::new(),
            body: None,
        }
    }

    /// Sets a JSON body and `Content-Type: application/json`.
    pub fn with_json(mut self, body: &impl serde::Serialize) -> Result<Self, Error> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| Error::InvalidRequest(format!("the body does not serialise: {e}")))?;
        self.headers.insert(
            reqwest::header::CONTENT_TYPE,
            reqwest::header::HeaderValue::from_static("application/json"),
        );
        self.body = Some(Bytes::from(bytes));
        Ok(self)
    }
}

/// A raw response: whatever the status, it is returned, not raised.
///
/// `Debug` shows the body's length and the header names only: a raw answer
/// may carry a decrypted plaintext, an unwrapped or a released key.
#[derive(Clone)]
pub struct RawResponse {
    /// The HTTP status.
    pub status: StatusCode,
    /// The response headers.
    pub headers: HeaderMap,
    /// The body, as received.
    pub body: Bytes,
}

impl RawResponse {
    /// The body parsed as JSON.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_slice(&self.body)
            .map_err(|source| Error::invalid_response(self.status, self.body.clone(), &source))
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Raises an [`Error::Http`] for a non-2xx status.
    pub fn error_for_status(self) -> Result<Self, Error> {
        if self.status.is_success() {
            Ok(self)
        } else {
            Err(Error::Http(Box::new(crate::HttpError::from_parts(
                self.status,
                self.headers,
                self.body,
            ))))
        }
    }
}

impl Client {
    /// Resolves a URL relative to the vault, or checks an absolute one is on
    /// the vault's origin.
    pub fn resolve_url(&self, url: &str) -> Result<Url, Error> {
        let vault = self.vault_url();
        let lower = url.to_ascii_lowercase();
        if lower.starts_with("https://") || lower.starts_with("http://") {
            let u = Url::parse(url)
                .map_err(|e| Error::InvalidRequest(format!("{url:?} is not a valid URL: {e}")))?;
            self.pipeline().check_origin(&u)?;
            return Ok(u);
        }
        let base = format!("{}/", vault.as_str().trim_end_matches('/'));
        let base = Url::parse(&base).map_err(|e| Error::InvalidRequest(e.to_string()))?;
        let u = base
            .join(url.trim_start_matches('/'))
            .map_err(|e| Error::InvalidRequest(format!("{url:?} is not a valid path: {e}")))?;
        self.pipeline().check_origin(&u)?;
        Ok(u)
    }

    /// Sends a raw request through the full pipeline (api-version, request
    /// id, challenge authentication, retries, tracing) and returns the raw
    /// response whatever its status, its body read whole (within
    /// [`ClientOptions::max_response_size`](crate::ClientOptions::max_response_size)).
    ///
    /// ```no_run
    /// # async fn f(client: keyvault_keys_protocol::Client) -> Result<(), keyvault_keys_protocol::Error> {
    /// use keyvault_keys_protocol::{RawRequest, reqwest::Method};
    /// let response = client.send_request(RawRequest::new(Method::GET, "/keys/my-key/")).await?;
    /// println!("{} {}", response.status, response.text());
    /// # Ok(()) }
    /// ```
    pub async fn send_request(&self, request: RawRequest) -> Result<RawResponse, Error> {
        self.send_request_streaming(request).await?.collect().await
    }

    /// Like [`Client::send_request`], but returns as soon as the response's
    /// head arrived: the body is an [`AsyncResponseBody`], a stream of byte
    /// chunks read as they arrive (Python's `send_request(..., stream=True)`).
    ///
    /// The size limit still applies, counted as the bytes flow:
    /// once more than
    /// [`ClientOptions::max_response_size`](crate::ClientOptions::max_response_size)
    /// bytes arrived, the stream yields [`Error::ResponseTooLarge`] instead
    /// of the chunk that passed the limit, and ends. A `Content-Length`
    /// above the limit fails the first poll, before any chunk. The chunks
    /// before the limit are delivered: a caller that must not act on a
    /// partial body collects it first ([`AsyncRawResponse::collect`]).
    /// [`ClientOptions::timeout`](crate::ClientOptions::timeout) bounds the
    /// whole attempt, the reading of the body included.
    ///
    /// A success answer to a write that cannot be repeated (a create, an
    /// import, a purge) is read whole in the pipeline before this returns
    /// (see [`Error::OutcomeUnknown`]), so its stream is served from memory.
    ///
    /// ```no_run
    /// # async fn f(client: keyvault_keys_protocol::Client) -> Result<(), keyvault_keys_protocol::Error> {
    /// use futures::TryStreamExt as _;
    /// use keyvault_keys_protocol::{RawRequest, reqwest::Method};
    /// let response = client.send_request_streaming(RawRequest::new(Method::GET, "/keys/my-key/")).await?;
    /// println!("{}", response.status);
    /// let mut body = response.into_body();
    /// let mut total = 0;
    /// while let Some(chunk) = body.try_next().await? {
    ///     total += chunk.len();
    /// }
    /// println!("{total} bytes");
    /// # Ok(()) }
    /// ```
    pub async fn send_request_streaming(
        &self,
        request: RawRequest,
    ) -> Result<AsyncRawResponse, Error> {
        let url = self.resolve_url(&request.url)?;
        let mut req = Request::new(request.method, url);
        *req.headers_mut() = request.headers;
        if !req.headers().contains_key(reqwest::header::ACCEPT) {
            req.headers_mut().insert(
                reqwest::header::ACCEPT,
                reqwest::header::HeaderValue::from_static("application/json"),
            );
        }
        if let Some(body) = request.body {
            *req.body_mut() = Some(reqwest::Body::from(body));
        }
        let response = self.execute(req, "send_request").await?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = AsyncResponseBody(response.bytes_stream().map_err(body_error).boxed());
        Ok(AsyncRawResponse {
            status,
            headers,
            body,
        })
    }
}

/// A raw response whose body has not been read yet:
/// [`Client::send_request_streaming`]'s answer, whatever its status.
///
/// `Debug` shows the status and the header names only.
pub struct AsyncRawResponse {
    /// The HTTP status.
    pub status: StatusCode,
    /// The response headers.
    pub headers: HeaderMap,
    /// The body, as it arrives.
    pub body: AsyncResponseBody,
}

impl std::fmt::Debug for AsyncRawResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncRawResponse")
            .field("status", &self.status)
            .field("headers", &header_names(&self.headers))
            .field("body", &self.body)
            .finish()
    }
}

impl AsyncRawResponse {
    /// The body stream.
    pub fn into_body(self) -> AsyncResponseBody {
        self.body
    }

    /// Status, headers and body stream.
    pub fn deconstruct(self) -> (StatusCode, HeaderMap, AsyncResponseBody) {
        (self.status, self.headers, self.body)
    }

    /// Reads the whole body (within the size limit) into a [`RawResponse`].
    pub async fn collect(self) -> Result<RawResponse, Error> {
        Ok(RawResponse {
            status: self.status,
            headers: self.headers,
            body: self.body.collect().await?,
        })
    }

    /// Raises an [`Error::Http`] for a non-2xx status (its body read whole,
    /// within the size limit); keeps the stream of a 2xx.
    pub async fn error_for_status(self) -> Result<Self, Error> {
        if self.status.is_success() {
            return Ok(self);
        }
        let raw = self.collect().await?;
        Err(Error::Http(Box::new(crate::HttpError::from_parts(
            raw.status,
            raw.headers,
            raw.body,
        ))))
    }
}

/// The body of an [`AsyncRawResponse`]: a stream of the chunks as they
/// arrive, bounded by the size limit (see
/// [`Client::send_request_streaming`]). After an error it ends.
///
/// `Debug` shows nothing of the bytes: a raw answer may carry a decrypted
/// plaintext, an unwrapped or a released key.
pub struct AsyncResponseBody(futures::stream::BoxStream<'static, Result<Bytes, Error>>);

impl std::fmt::Debug for AsyncResponseBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AsyncResponseBody { .. }")
    }
}

impl AsyncResponseBody {
    /// Reads the rest of the body into memory (within the size limit).
    pub async fn collect(self) -> Result<Bytes, Error> {
        let mut out = Vec::new();
        let mut stream = self.0;
        while let Some(chunk) = stream.try_next().await? {
            out.extend_from_slice(&chunk);
        }
        Ok(Bytes::from(out))
    }
}

impl Stream for AsyncResponseBody {
    type Item = Result<Bytes, Error>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0.poll_next_unpin(cx)
    }
}
