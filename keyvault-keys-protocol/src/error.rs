//! The protocol layer's error: one type for every way a call can fail.

use bytes::Bytes;
use reqwest::StatusCode;

pub use crate::http_error::HttpError;

/// The error every call of this crate can end with.
///
/// Each variant's `Display` states this layer's fact once; what caused it
/// (the credential's error, reqwest's, the failed attempt of an
/// [`Error::OutcomeUnknown`]) is its `source()`, so a printer of the whole
/// chain prints each fact once.
///
/// A response with a non-2xx status is [`Error::Http`], carrying the status,
/// the service's error code and message, `x-ms-request-id` and the raw body,
/// whatever that body is (the service's JSON, a proxy's HTML, nothing).
///
/// `Debug` is written by hand: a body that failed to parse may be a decrypt,
/// unwrap or release answer carrying key material, so `Debug` shows its
/// length, never its bytes (read [`Error::InvalidResponse`]'s `body` field
/// when you need it).
///
/// Not `#[non_exhaustive]`: `keyvault-keys` sorts every variant into its
/// `ErrorKind` with an exhaustive match, so a new variant is a compile error
/// there rather than a silent "transport error".
#[derive(thiserror::Error)]
pub enum Error {
    /// The service (or something in front of it) answered with an error status.
    #[error(transparent)]
    Http(#[from] Box<HttpError>),
    /// The credential could not produce a token (or produced one that
    /// cannot be sent). The credential's own error is the `source`, with
    /// its kind and its chain.
    #[error("the credential could not get a token")]
    Credential(#[source] azure_core::Error),
    /// A bearer token would have been sent without TLS; nothing was sent.
    #[error("{0}")]
    InsecureTransport(String),
    /// The service's authentication challenge was missing, malformed, or
    /// named a resource that does not belong to the vault; no token was sent.
    #[error("authentication challenge rejected: {0}")]
    Challenge(String),
    /// A URL the caller gave (a `send_request` target, a continuation
    /// token) is not on the vault's origin; nothing was sent, so the token
    /// cannot leave the vault.
    #[error("refused to send to {url}: it is not on the vault's origin {vault}")]
    ForeignOrigin {
        /// The refused URL.
        url: String,
        /// The vault's origin.
        vault: String,
    },
    /// A list page the service sent links to a next page that is not on
    /// the vault's origin; the link was not followed (the token cannot
    /// leave the vault). The service's answer is at fault, not the caller.
    #[error(
        "the service's nextLink {url} is not on the vault's origin {vault}; it was not followed"
    )]
    ForeignNextLink {
        /// The refused link.
        url: String,
        /// The vault's origin.
        vault: String,
    },
    /// The request could not be built (a bad URL or header, for example).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The request could not be sent or the response not read. reqwest's
    /// error is the `source`: [`Error::is_timeout`] and
    /// [`Error::is_connect`] read it.
    #[error("transport error{}", transport_fact(.0))]
    Transport(#[source] reqwest::Error),
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
         retried because repeating it could perform it twice: check before repeating it"
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
    /// The message names the kind of failure and where it happened (for a
    /// value of the wrong type, the member's path, `value[3].attributes.enabled`;
    /// line and column), never serde_json's own message: that quotes the
    /// offending value (in quotes or backticks, escaped or not), and the
    /// value may be key material. So the serde_json error is not kept, not
    /// even as `source()` (a walker of the chain would print it): [`JsonFault`]
    /// keeps its category, line and column. Build one with
    /// [`Error::invalid_response`].
    #[error("the {status} response body is not the expected JSON: {fault}")]
    InvalidResponse {
        /// The response status.
        status: StatusCode,
        /// The raw body.
        body: Bytes,
        /// Why it did not parse: kind and place, no value.
        fault: JsonFault,
    },
}

/// Why a response body did not parse, without any of its content: the
/// kind of failure, the member's path when there is one, the line and the
/// column. Made from a `serde_json::Error`, whose own message quotes the
/// offending value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonFault {
    category: serde_json::error::Category,
    path: Option<String>,
    line: usize,
    column: usize,
}

impl JsonFault {
    /// Reads what may be said of `e`, a failure to parse `body`.
    pub fn new(body: &[u8], e: &serde_json::Error) -> Self {
        Self {
            category: e.classify(),
            path: member_path(body, e),
            line: e.line(),
            column: e.column(),
        }
    }
    /// The kind of failure.
    pub fn category(&self) -> serde_json::error::Category {
        self.category
    }
    /// The member's path (`value[3].attributes.enabled`), for a value of
    /// the wrong type in a body that is JSON up to there.
    pub fn path(&self) -> Option<&str> {
        self.path.as_deref()
    }
    /// The line (from 1).
    pub fn line(&self) -> usize {
        self.line
    }
    /// The column (bytes of the line consumed).
    pub fn column(&self) -> usize {
        self.column
    }
}

impl std::fmt::Display for JsonFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let at = format!("line {}, column {}", self.line, self.column);
        match &self.path {
            Some(path) => write!(f, "{} at `{path}` ({at})", category(self.category)),
            None => write!(f, "{} at {at}", category(self.category)),
        }
    }
}

/// The path of the member serde_json stopped at (`value[3].attributes`),
/// found by scanning the body up to the error's position. Only for
/// `Data` errors: up to their position the body is well-formed JSON, so
/// member names and values cannot be mistaken for each other. Names are
/// printed, values never; a name longer than 64 bytes or with a character
/// outside `A-Z a-z 0-9 _ - . $ @` is printed as `…`.
fn member_path(body: &[u8], e: &serde_json::Error) -> Option<String> {
    enum Frame {
        Object { key: Option<String> },
        Array { index: usize, started: bool },
    }
    if e.classify() != serde_json::error::Category::Data || e.line() == 0 {
        return None;
    }
    // serde_json counts lines from 1, and columns as the bytes of the line
    // consumed so far.
    let line_start = if e.line() == 1 {
        0
    } else {
        body.iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .nth(e.line() - 2)?
            .0
            + 1
    };
    let end = (line_start + e.column()).min(body.len());
    let mut stack: Vec<Frame> = Vec::new();
    let mut i = 0;
    while i < end {
        let b = body[i];
        // A value begins: in an array, it is the current item.
        if !matches!(b, b',' | b':' | b']' | b'}' | b' ' | b'\t' | b'\n' | b'\r')
            && let Some(Frame::Array { started, .. }) = stack.last_mut()
        {
            *started = true;
        }
        match b {
            b'{' => stack.push(Frame::Object { key: None }),
            b'[' => stack.push(Frame::Array {
                index: 0,
                started: false,
            }),
            b'}' | b']' => {
                stack.pop();
            }
            b',' => match stack.last_mut() {
                Some(Frame::Object { key }) => *key = None,
                Some(Frame::Array { index, started }) => {
                    *index += 1;
                    *started = false;
                }
                None => {}
            },
            b'"' => {
                let start = i;
                i += 1;
                while i < body.len() && body[i] != b'"' {
                    i += if body[i] == b'\\' { 2 } else { 1 };
                }
                if i >= body.len() {
                    return None;
                }
                if let Some(Frame::Object { key: key @ None }) = stack.last_mut() {
                    let name: String = serde_json::from_slice(&body[start..=i]).ok()?;
                    *key = Some(name);
                }
            }
            _ => {}
        }
        i += 1;
    }
    let mut path = String::new();
    for frame in &stack {
        match frame {
            Frame::Object { key: Some(k) } => {
                if !path.is_empty() {
                    path.push('.');
                }
                let printable = k.len() <= 64
                    && k.bytes()
                        .all(|c| c.is_ascii_alphanumeric() || b"_-.$@".contains(&c));
                path.push_str(if printable { k } else { "…" });
            }
            Frame::Array {
                index,
                started: true,
            } => path.push_str(&format!("[{index}]")),
            _ => break,
        }
    }
    (!path.is_empty()).then_some(path)
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

impl std::fmt::Debug for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Http(e) => f.debug_tuple("Http").field(e).finish(),
            Error::Credential(e) => f.debug_tuple("Credential").field(e).finish(),
            Error::InsecureTransport(m) => f.debug_tuple("InsecureTransport").field(m).finish(),
            Error::Challenge(m) => f.debug_tuple("Challenge").field(m).finish(),
            Error::ForeignOrigin { url, vault } => f
                .debug_struct("ForeignOrigin")
                .field("url", url)
                .field("vault", vault)
                .finish(),
            Error::ForeignNextLink { url, vault } => f
                .debug_struct("ForeignNextLink")
                .field("url", url)
                .field("vault", vault)
                .finish(),
            Error::InvalidRequest(m) => f.debug_tuple("InvalidRequest").field(m).finish(),
            Error::Transport(e) => f.debug_tuple("Transport").field(e).finish(),
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
                fault,
            } => f
                .debug_struct("InvalidResponse")
                .field("status", status)
                .field("body_len", &body.len())
                .field("fault", fault)
                .finish(),
        }
    }
}

impl Error {
    /// [`Error::InvalidResponse`] for `body`, which failed to parse with `e`
    /// (only its kind and place are kept, see [`JsonFault`]).
    pub fn invalid_response(status: StatusCode, body: Bytes, e: &serde_json::Error) -> Self {
        let fault = JsonFault::new(&body, e);
        Error::InvalidResponse {
            status,
            body,
            fault,
        }
    }

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

    /// The transport error, for [`Error::Transport`] (also inside
    /// [`Error::OutcomeUnknown`]).
    pub fn transport(&self) -> Option<&reqwest::Error> {
        match self {
            Error::Transport(e) => Some(e),
            Error::OutcomeUnknown { cause, .. } => cause.transport(),
            _ => None,
        }
    }

    /// True when an attempt timed out
    /// ([`ClientOptions::timeout`](crate::ClientOptions::timeout) or the
    /// HTTP client's own), also inside [`Error::OutcomeUnknown`].
    pub fn is_timeout(&self) -> bool {
        self.transport().is_some_and(reqwest::Error::is_timeout)
    }

    /// True when the connection could not be made (nothing was sent), also
    /// inside [`Error::OutcomeUnknown`].
    pub fn is_connect(&self) -> bool {
        self.transport().is_some_and(reqwest::Error::is_connect)
    }
}

/// A reqwest error as this crate's error: [`Error::ResponseTooLarge`] when
/// the size limit stopped a body, else [`Error::Transport`].
pub(crate) fn body_error(e: reqwest::Error) -> Error {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
    while let Some(s) = source {
        if let Some(t) = s.downcast_ref::<crate::pipeline::limit::BodyTooLarge>() {
            return Error::ResponseTooLarge { limit: t.limit };
        }
        source = s.source();
    }
    Error::Transport(e)
}

/// What kind of transport failure it was, when reqwest says.
fn transport_fact(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        " (timed out)"
    } else if e.is_connect() {
        " (could not connect)"
    } else if e.is_body() || e.is_decode() {
        " (reading the response failed)"
    } else {
        ""
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
        let err = Error::invalid_response(StatusCode::OK, Bytes::from(body), &source);
        let typed = Error::invalid_response(
            StatusCode::OK,
            Bytes::new(),
            &serde_json::from_str::<u64>(&format!("\"{secret}\"")).unwrap_err(),
        );
        let wrapped = Error::OutcomeUnknown {
            operation: "decrypt".into(),
            method: reqwest::Method::POST,
            path: "/keys/k/v/decrypt".into(),
            cause: Box::new(Error::invalid_response(
                StatusCode::OK,
                Bytes::from(format!("[\"{secret}\"")),
                &serde_json::from_slice::<serde_json::Value>(b"[").unwrap_err(),
            )),
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
            let e = Error::invalid_response(StatusCode::OK, Bytes::new(), &source);
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

    fn invalid<T: serde::de::DeserializeOwned + std::fmt::Debug>(body: &str) -> Error {
        let source = serde_json::from_slice::<T>(body.as_bytes()).expect_err(body);
        Error::invalid_response(
            StatusCode::OK,
            Bytes::copy_from_slice(body.as_bytes()),
            &source,
        )
    }

    /// A value of the wrong type is named by its member path, so a report
    /// says which member the service got wrong.
    #[test]
    fn an_invalid_response_message_names_the_member_path() {
        use crate::types;
        let cases = [
            (
                invalid::<types::KeyRotationPolicy>(
                    r#"{"id":"x","lifetimeActions":[{"action":{"type":"Rotate"}},{"action":{"type":5}}]}"#,
                ),
                "`lifetimeActions[1].action.type`",
            ),
            (
                invalid::<types::KeyBundle>(
                    "{\"key\": {\"kid\": \"k\", \"key_ops\": [\"sign\", 7]},\n \"tags\": {}}",
                ),
                "`key.key_ops[1]`",
            ),
            (
                invalid::<types::KeyListResult>(
                    r#"{"value":[{"kid":"a"},{"kid":"b","attributes":{"enabled":"yes"}}]}"#,
                ),
                "`value[1].attributes.enabled`",
            ),
            (
                invalid::<types::KeyBundle>(r#"{"tags":{"a\"b":"1","c.d":2}}"#),
                "`tags.c.d`",
            ),
        ];
        for (e, path) in cases {
            let text = e.to_string();
            assert!(text.contains(&format!(" at {path} (line ")), "{text}");
            assert!(text.contains("column"), "{text}");
        }
    }

    /// Member names that could be anything (longer than a name, or with
    /// characters no name has) are not printed; nor is a path for a body
    /// that is not JSON, whose members cannot be told from values.
    #[test]
    fn a_member_path_prints_no_value() {
        use crate::types;
        let secret = "c2VjcmV0LWtleS1tYXRlcmlhbC1tdWNoLWxvbmdlci10aGFuLWEtbmFtZS0xMjM0NTY3ODk";
        let e = invalid::<types::KeyBundle>(&format!(r#"{{"tags":{{"{secret}":5}}}}"#));
        let text = e.to_string();
        assert!(!text.contains(secret), "{text}");
        assert!(text.contains(" at `tags.…` (line "), "{text}");
        let e = invalid::<types::KeyBundle>(r#"{"tags":{"a b\u0000":5}}"#);
        assert!(e.to_string().contains(" at `tags.…` (line "), "{e}");

        let e = invalid::<types::KeyBundle>(&format!(r#"{{"key":{{"kid":"{secret}" "#));
        let text = e.to_string();
        assert!(!text.contains(secret) && !text.contains('`'), "{text}");
        let e = invalid::<types::KeyBundle>(&format!(r#"{{"{secret}" "x"}}"#));
        let text = e.to_string();
        assert!(!text.contains(secret) && !text.contains('`'), "{text}");
        // The body itself is the wrong type: no member to name.
        let e = invalid::<types::KeyBundle>("[1]");
        assert!(!e.to_string().contains('`'), "{e}");
    }
}
