//! The protocol layer's error: one type for every way a call can fail.

use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde::Deserialize;

/// The error every call of this crate can end with.
///
/// A response with a non-2xx status is [`Error::Http`], carrying the status,
/// the service's error code and message, `x-ms-request-id` and the raw body,
/// whatever that body is (the service's JSON, a proxy's HTML, nothing).
///
/// `Debug` is written by hand: a body that failed to parse may be a decrypt,
/// unwrap or release answer carrying key material, so `Debug` shows its
/// length, never its bytes (read [`Error::InvalidResponse`]'s `body` field
/// when you need it).
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The service (or something in front of it) answered with an error status.
    #[error(transparent)]
    Http(#[from] Box<HttpError>),
    /// The credential could not produce a token.
    #[error("the credential could not get a token: {0}")]
    Credential(String),
    /// A bearer token would have been sent without TLS; nothing was sent.
    #[error("{0}")]
    InsecureTransport(String),
    /// The service's authentication challenge was missing, malformed, or
    /// named a resource that does not belong to the vault; no token was sent.
    #[error("authentication challenge rejected: {0}")]
    Challenge(String),
    /// A URL (a nextLink, or a `send_request` target) is not on the vault's
    /// origin; nothing was sent, so the token cannot leave the vault.
    #[error("refused to send to {url}: it is not on the vault's origin {vault}")]
    ForeignOrigin {
        /// The refused URL.
        url: String,
        /// The vault's origin.
        vault: String,
    },
    /// The request could not be built (a bad URL or header, for example).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The request could not be sent or the response not read.
    #[error("transport error: {}", error_chain(.0))]
    Transport(#[source] reqwest::Error),
    /// The request could not be sent (reported by a pipeline stage that can
    /// only carry the message).
    #[error("transport error: {0}")]
    Network(String),
    /// A request that adds something or cannot be repeated (a create, an
    /// import, a rotation, a restore, a recovery, a purge) failed in a way
    /// that leaves its outcome unknown: the connection broke after the
    /// request was sent, or the service answered 500, 502, 504 or 503
    /// without `Retry-After`, or it answered with success but its answer
    /// could not be read (the connection broke, or the body was over
    /// [`ClientOptions::max_response_size`](crate::ClientOptions::max_response_size)).
    /// It was not retried, since repeating it could perform it twice. The service may or may not have performed it:
    /// check (list the key's versions, get the key) before repeating it.
    #[error(
        "the service may or may not have performed {operation} ({method} {path}); it was not \
         retried because repeating it could perform it twice: check before repeating it: {cause}"
    )]
    OutcomeUnknown {
        /// The operation (its operationId, or `send_request`).
        operation: String,
        /// The request's method.
        method: reqwest::Method,
        /// The request's path (no query).
        path: String,
        /// What happened: [`Error::Transport`] for a broken connection or a
        /// time-out, [`Error::Http`] (status, body, request id) for an
        /// error answer, [`Error::ResponseTooLarge`] for a success whose
        /// body was over the limit.
        #[source]
        cause: Box<Error>,
    },
    /// A response body was longer than
    /// [`ClientOptions::max_response_size`](crate::ClientOptions::max_response_size);
    /// reading stopped at the limit.
    #[error(
        "the response body is larger than the limit of {limit} bytes (ClientOptions::max_response_size); \
         reading stopped there"
    )]
    ResponseTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// A list's nextLink points to a page already read in this listing:
    /// following it would page forever.
    #[error("the nextLink {url} points to a page already read in this listing; paging stopped")]
    RepeatedNextLink {
        /// The repeated link.
        url: String,
    },
    /// A listing read [`ClientOptions::max_pages`](crate::ClientOptions::max_pages)
    /// pages and the last one still had a nextLink; paging stopped.
    #[error("the listing went on past {limit} pages (ClientOptions::max_pages); paging stopped")]
    TooManyPages {
        /// The limit, in pages.
        limit: usize,
    },
    /// A success response whose body is not what the API describes.
    ///
    /// The message names the kind of failure and where it happened (line
    /// and column), never serde_json's own message: that quotes the
    /// offending value (in quotes or backticks, escaped or not), and the
    /// value may be key material. Read `source` when you need it.
    #[error(
        "the {status} response body is not the expected JSON: {} at line {}, column {}",
        category(source.classify()),
        source.line(),
        source.column()
    )]
    InvalidResponse {
        /// The response status.
        status: StatusCode,
        /// The raw body.
        body: Bytes,
        /// Why it did not parse.
        #[source]
        source: serde_json::Error,
    },
}

/// What kind of JSON failure it was, in words.
fn category(c: serde_json::error::Category) -> &'static str {
    use serde_json::error::Category;
    match c {
        Category::Io => "an I/O error",
        Category::Syntax => "a syntax error",
        Category::Data => "a value of the wrong type or out of range",
        Category::Eof => "an unexpected end of the body",
    }
}

/// The longest part of a server-supplied string (`error.message`, `code`)
/// that [`HttpError`]'s `Display` shows, in characters.
const MAX_SHOWN_CHARS: usize = 512;

/// A server-supplied string as `Display` shows it: at most
/// [`MAX_SHOWN_CHARS`] characters (then `…`), control characters escaped
/// (`\n`, `\u{1b}`), so a hostile server can neither flood a log nor forge
/// its lines.
fn shown(s: &str) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i == MAX_SHOWN_CHARS {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

impl std::fmt::Debug for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Http(e) => f.debug_tuple("Http").field(e).finish(),
            Error::Credential(m) => f.debug_tuple("Credential").field(m).finish(),
            Error::InsecureTransport(m) => f.debug_tuple("InsecureTransport").field(m).finish(),
            Error::Challenge(m) => f.debug_tuple("Challenge").field(m).finish(),
            Error::ForeignOrigin { url, vault } => f
                .debug_struct("ForeignOrigin")
                .field("url", url)
                .field("vault", vault)
                .finish(),
            Error::InvalidRequest(m) => f.debug_tuple("InvalidRequest").field(m).finish(),
            Error::Transport(e) => f.debug_tuple("Transport").field(e).finish(),
            Error::Network(m) => f.debug_tuple("Network").field(m).finish(),
            Error::OutcomeUnknown {
                operation,
                method,
                path,
                cause,
            } => f
                .debug_struct("OutcomeUnknown")
                .field("operation", operation)
                .field("method", method)
                .field("path", path)
                .field("cause", cause)
                .finish(),
            Error::ResponseTooLarge { limit } => f
                .debug_struct("ResponseTooLarge")
                .field("limit", limit)
                .finish(),
            Error::RepeatedNextLink { url } => f
                .debug_struct("RepeatedNextLink")
                .field("url", url)
                .finish(),
            Error::TooManyPages { limit } => f
                .debug_struct("TooManyPages")
                .field("limit", limit)
                .finish(),
            Error::InvalidResponse {
                status,
                body,
                source,
            } => f
                .debug_struct("InvalidResponse")
                .field("status", status)
                .field("body_len", &body.len())
                .field("line", &source.line())
                .field("column", &source.column())
                .field("category", &source.classify())
                .finish(),
        }
    }
}

impl Error {
    /// The HTTP status, when the error comes from a response.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Http(e) => Some(e.status),
            Error::InvalidResponse { status, .. } => Some(*status),
            Error::OutcomeUnknown { cause, .. } => cause.status(),
            _ => None,
        }
    }

    /// The HTTP details, when the error comes from an error response
    /// (also inside [`Error::OutcomeUnknown`], when the service answered).
    pub fn http(&self) -> Option<&HttpError> {
        match self {
            Error::Http(e) => Some(e),
            Error::OutcomeUnknown { cause, .. } => cause.http(),
            _ => None,
        }
    }

    /// True for [`Error::OutcomeUnknown`]: the service may have performed
    /// the request; check before repeating it.
    pub fn is_outcome_unknown(&self) -> bool {
        matches!(self, Error::OutcomeUnknown { .. })
    }
}

/// An error response: status, service error, request id and raw body.
#[derive(Clone)]
pub struct HttpError {
    /// The HTTP status.
    pub status: StatusCode,
    /// `error.code` from the body (for example `KeyNotFound`), if the body is
    /// the service's error envelope.
    pub code: Option<String>,
    /// `error.message` from the body, as sent. `Display` shows at most 512
    /// characters of it, control characters escaped.
    pub message: Option<String>,
    /// `error.innererror.code` (for example `ObjectIsDeletedButRecoverable`).
    pub inner_code: Option<String>,
    /// The `x-ms-request-id` response header: quote it to Azure support.
    pub request_id: Option<String>,
    /// The `x-ms-client-request-id` the request carried.
    pub client_request_id: Option<String>,
    /// The response headers.
    pub headers: HeaderMap,
    /// The raw response body, exactly as received.
    pub body: Bytes,
}

impl std::fmt::Debug for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpError")
            .field("status", &self.status)
            .field("code", &self.code)
            .field("message", &self.message)
            .field("inner_code", &self.inner_code)
            .field("request_id", &self.request_id)
            .field("body_len", &self.body.len())
            .finish()
    }
}

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the service answered {}", self.status)?;
        if let Some(code) = &self.code {
            write!(f, " ({}", shown(code))?;
            if let Some(inner) = &self.inner_code {
                write!(f, "/{}", shown(inner))?;
            }
            write!(f, ")")?;
        }
        match &self.message {
            Some(m) => write!(f, ": {}", shown(m))?,
            None if self.body.is_empty() => write!(f, " with an empty body")?,
            None => {
                let text = String::from_utf8_lossy(&self.body);
                let snippet: String = text.chars().take(200).collect();
                write!(
                    f,
                    " with a body that is not the service's error JSON: {snippet:?}"
                )?
            }
        }
        if let Some(id) = &self.request_id {
            write!(f, " [x-ms-request-id: {id}]")?;
        }
        Ok(())
    }
}

impl std::error::Error for HttpError {}

#[derive(Deserialize)]
struct Envelope {
    error: Option<Detail>,
}

#[derive(Deserialize)]
struct Detail {
    code: Option<String>,
    message: Option<String>,
    innererror: Option<Box<Detail>>,
}

fn header_str(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

impl HttpError {
    /// Builds the error from a response's parts; any body is accepted.
    pub fn from_parts(status: StatusCode, headers: HeaderMap, body: Bytes) -> Self {
        let detail = serde_json::from_slice::<Envelope>(&body)
            .ok()
            .and_then(|e| e.error);
        let (code, message, inner_code) = match detail {
            Some(d) => (d.code, d.message, d.innererror.and_then(|i| i.code)),
            None => (None, None, None),
        };
        Self {
            status,
            code,
            message,
            inner_code,
            request_id: header_str(&headers, "x-ms-request-id"),
            client_request_id: header_str(&headers, "x-ms-client-request-id"),
            headers,
            body,
        }
    }

    /// Reads a whole error response.
    pub async fn from_response(response: reqwest::Response) -> Result<Self, Error> {
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(body_error)?;
        Ok(Self::from_parts(status, headers, body))
    }
}

/// The status of the response that carries a typed pipeline failure out of
/// progenitor's `exec` hook (see `pipeline::failure_response`): outside
/// every range a generated method matches, so it ends as
/// `UnexpectedResponse`.
pub(crate) const FAILURE_STATUS: u16 = 600;

/// A typed pipeline failure in a response's extensions.
#[derive(Clone)]
pub(crate) struct PipelineFailure(std::sync::Arc<std::sync::Mutex<Option<Error>>>);

impl PipelineFailure {
    pub(crate) fn new(e: Error) -> Self {
        Self(std::sync::Arc::new(std::sync::Mutex::new(Some(e))))
    }

    fn take(&self) -> Option<Error> {
        self.0.lock().ok().and_then(|mut e| e.take())
    }
}

/// A failure to read a response body: [`Error::ResponseTooLarge`] when the
/// size limit stopped it, else [`Error::Transport`].
pub(crate) fn body_error(e: reqwest::Error) -> Error {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
    while let Some(s) = source {
        if let Some(t) = s.downcast_ref::<crate::pipeline::BodyTooLarge>() {
            return Error::ResponseTooLarge { limit: t.limit };
        }
        source = s.source();
    }
    Error::Transport(e)
}

/// An error and its sources, joined: reqwest's own message rarely says why.
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s
}

/// Tags used to carry a typed pipeline failure through
/// `progenitor_client::Error::Custom(String)`.
pub(crate) mod tag {
    pub const PREFIX: &str = "keyvault-pipeline:";
    pub const CREDENTIAL: &str = "credential";
    pub const INSECURE: &str = "insecure-transport";
    pub const CHALLENGE: &str = "challenge";
    pub const FOREIGN: &str = "foreign-origin";
    pub const INVALID: &str = "invalid-request";
    pub const TRANSPORT: &str = "transport";
}

impl Error {
    /// Encodes a pipeline failure for `progenitor_client::Error::Custom`.
    pub(crate) fn into_custom<E>(self) -> progenitor_client::Error<E> {
        let (kind, msg) = match &self {
            Error::Credential(m) => (tag::CREDENTIAL, m.clone()),
            Error::InsecureTransport(m) => (tag::INSECURE, m.clone()),
            Error::Challenge(m) => (tag::CHALLENGE, m.clone()),
            Error::ForeignOrigin { url, vault } => (tag::FOREIGN, format!("{url}\n{vault}")),
            Error::InvalidRequest(m) => (tag::INVALID, m.clone()),
            Error::Transport(e) => (tag::TRANSPORT, error_chain(e)),
            other => (tag::TRANSPORT, other.to_string()),
        };
        progenitor_client::Error::Custom(format!("{}{kind}:{msg}", tag::PREFIX))
    }

    fn from_custom(s: String) -> Self {
        let Some(rest) = s.strip_prefix(tag::PREFIX) else {
            return Error::InvalidRequest(s);
        };
        let (kind, msg) = rest.split_once(':').unwrap_or(("", rest));
        let msg = msg.to_owned();
        match kind {
            tag::CREDENTIAL => Error::Credential(msg),
            tag::INSECURE => Error::InsecureTransport(msg),
            tag::CHALLENGE => Error::Challenge(msg),
            tag::FOREIGN => {
                let (url, vault) = msg.split_once('\n').unwrap_or((msg.as_str(), ""));
                Error::ForeignOrigin {
                    url: url.to_owned(),
                    vault: vault.to_owned(),
                }
            }
            tag::TRANSPORT => Error::Network(msg),
            _ => Error::InvalidRequest(msg),
        }
    }

    /// Converts what a generated method returns into this error, reading the
    /// raw body of an error response.
    pub async fn from_generated(
        e: progenitor_client::Error<progenitor_client::ByteStream>,
    ) -> Self {
        use futures::TryStreamExt as _;
        use progenitor_client::Error as G;
        match e {
            G::ErrorResponse(rv) => {
                let status = rv.status();
                let headers = rv.headers().clone();
                let stream = rv.into_inner();
                let body: Vec<u8> = match stream
                    .into_inner()
                    .try_fold(Vec::new(), |mut acc, chunk| async move {
                        acc.extend_from_slice(&chunk);
                        Ok(acc)
                    })
                    .await
                {
                    Ok(b) => b,
                    Err(e) => return body_error(e),
                };
                Error::Http(Box::new(HttpError::from_parts(
                    status,
                    headers,
                    Bytes::from(body),
                )))
            }
            G::UnexpectedResponse(resp) => {
                if let Some(e) = resp
                    .extensions()
                    .get::<PipelineFailure>()
                    .and_then(PipelineFailure::take)
                {
                    return e;
                }
                match HttpError::from_response(resp).await {
                    Ok(h) => Error::Http(Box::new(h)),
                    Err(e) => e,
                }
            }
            G::InvalidResponsePayload(body, source) => Error::InvalidResponse {
                status: StatusCode::OK,
                body,
                source,
            },
            G::CommunicationError(e) | G::ResponseBodyError(e) | G::InvalidUpgrade(e) => {
                body_error(e)
            }
            G::InvalidRequest(m) => Error::InvalidRequest(m),
            G::Custom(s) => Self::from_custom(s),
        }
    }
}

/// What the generated methods return on failure.
pub type GeneratedError = progenitor_client::Error<progenitor_client::ByteStream>;

/// Awaits a generated method and converts its error into [`Error`].
///
/// ```no_run
/// # async fn f(client: &keyvault_keys_protocol::Client) -> Result<(), keyvault_keys_protocol::Error> {
/// use keyvault_keys_protocol::call;
/// let key = call(client.get_key("my-key", "")).await?;
/// println!("{:?}", key.key.as_ref().and_then(|k| k.kid.as_deref()));
/// # Ok(()) }
/// ```
pub async fn call<T, F>(fut: F) -> Result<T, Error>
where
    F: std::future::Future<Output = Result<progenitor_client::ResponseValue<T>, GeneratedError>>,
{
    match fut.await {
        Ok(v) => Ok(v.into_inner()),
        Err(e) => Err(Error::from_generated(e).await),
    }
}

/// Like [`call`], keeping the status and headers of the success response.
pub async fn call_with_response<T, F>(fut: F) -> Result<progenitor_client::ResponseValue<T>, Error>
where
    F: std::future::Future<Output = Result<progenitor_client::ResponseValue<T>, GeneratedError>>,
{
    match fut.await {
        Ok(v) => Ok(v),
        Err(e) => Err(Error::from_generated(e).await),
    }
}

#[cfg(test)]
mod redaction_tests {
    use super::*;

    /// A decrypt, unwrap or release answer carries key material: a body that
    /// failed to parse must not reach `Debug` (nor `Display`) output.
    #[test]
    fn an_invalid_response_never_prints_its_body() {
        let secret = "c2VjcmV0LWtleS1tYXRlcmlhbA";
        let body = format!("{{\"kid\":\"k\",\"value\":\"{secret}\",");
        let source = serde_json::from_slice::<serde_json::Value>(body.as_bytes()).unwrap_err();
        let err = Error::InvalidResponse {
            status: StatusCode::OK,
            body: Bytes::from(body),
            source,
        };
        let typed = Error::InvalidResponse {
            status: StatusCode::OK,
            body: Bytes::new(),
            source: serde_json::from_str::<u64>(&format!("\"{secret}\"")).unwrap_err(),
        };
        let wrapped = Error::OutcomeUnknown {
            operation: "decrypt".into(),
            method: reqwest::Method::POST,
            path: "/keys/k/v/decrypt".into(),
            cause: Box::new(Error::InvalidResponse {
                status: StatusCode::OK,
                body: Bytes::from(format!("[\"{secret}\"")),
                source: serde_json::from_slice::<serde_json::Value>(b"[").unwrap_err(),
            }),
        };
        for e in [&err, &typed, &wrapped] {
            for text in [format!("{e:?}"), format!("{e:#?}"), format!("{e}")] {
                assert!(!text.contains(secret), "secret printed: {text}");
            }
        }
        assert!(format!("{err:?}").contains("body_len"), "{err:?}");
    }

    /// serde_json escapes a quote inside a value (`\"`), and puts some
    /// values in backticks (`unknown variant`, `invalid value: integer`):
    /// neither may carry a value into the message.
    #[test]
    fn an_invalid_response_message_names_no_value_however_it_is_quoted() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        enum Kty {
            Rsa,
        }
        let secret = "c2VjcmV0LWtleS1tYXRlcmlhbA";
        let sources = [
            serde_json::from_str::<u64>(&format!(r#""a\"{secret}""#)).unwrap_err(),
            serde_json::from_str::<u64>(&format!(r#""\"{secret}\"{secret}""#)).unwrap_err(),
            serde_json::from_str::<Kty>(&format!(r#""{secret}""#)).unwrap_err(),
            serde_json::from_str::<u8>("98765432123").unwrap_err(),
            serde_json::from_str::<Vec<u8>>("[1, 2, 98765432123]").unwrap_err(),
            serde_json::from_str::<bool>(&format!("\"{secret}\"")).unwrap_err(),
        ];
        for source in sources {
            let shown = source.to_string();
            let e = Error::InvalidResponse {
                status: StatusCode::OK,
                body: Bytes::new(),
                source,
            };
            for text in [format!("{e}"), format!("{e:?}"), format!("{e:#?}")] {
                assert!(!text.contains(secret), "secret printed: {text} ({shown})");
                assert!(
                    !text.contains("98765432123"),
                    "value printed: {text} ({shown})"
                );
            }
            let text = e.to_string();
            assert!(text.contains("line 1"), "{text}");
            assert!(text.contains("column"), "{text}");
        }
    }

    /// The service's `message` is shown, but bounded and with its control
    /// characters escaped (a hostile server cannot flood or forge log lines).
    #[test]
    fn an_http_error_message_is_truncated_and_its_control_characters_escaped() {
        let body = serde_json::json!({"error": {
            "code": "Bad",
            "message": format!("line\nforged\r\x1b[31m\u{7}{}", "x".repeat(100_000)),
        }})
        .to_string();
        let e = HttpError::from_parts(StatusCode::BAD_REQUEST, HeaderMap::new(), Bytes::from(body));
        let text = e.to_string();
        assert!(text.len() < 1024, "{} bytes", text.len());
        assert!(!text.chars().any(char::is_control), "{text:?}");
        assert!(text.contains(r"line\nforged\r\u{1b}[31m\u{7}xxx"), "{text}");
        // a short, clean message is shown whole
        let body = r#"{"error":{"code":"KeyNotFound","message":"A key with (name/id) k was not found in this key vault."}}"#;
        let e = HttpError::from_parts(StatusCode::NOT_FOUND, HeaderMap::new(), Bytes::from(body));
        assert!(
            e.to_string()
                .ends_with(": A key with (name/id) k was not found in this key vault."),
            "{e}"
        );
        // 512 characters, not bytes
        let body = serde_json::json!({"error": {"message": "é".repeat(600)}}).to_string();
        let e = HttpError::from_parts(StatusCode::BAD_REQUEST, HeaderMap::new(), Bytes::from(body));
        assert_eq!(e.to_string().matches('é').count(), 512, "{e}");
    }
}
