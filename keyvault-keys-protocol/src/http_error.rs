//! An error response: status, the service's error, request id, raw body.

use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde::Deserialize;

use crate::error::{Error, body_error};

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

#[cfg(test)]
mod tests {
    use super::*;

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
