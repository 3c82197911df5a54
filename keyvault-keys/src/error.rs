//! Errors callers can match on.

use keyvault_crypto::CryptoError;

/// What kind of failure, in the terms the Azure SDKs use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// 404: the key (or version, or deleted key) does not exist.
    ResourceNotFound,
    /// 409: the name is taken (or held by a deleted key).
    ResourceExists,
    /// 401, a refused challenge, or a bearer token that would go without TLS.
    Authentication,
    /// The credential could not get a token.
    Credential,
    /// Any other error status from the service.
    HttpResponse,
    /// Rejected before any request: the input cannot be right.
    Validation,
    /// The request could not be sent or the answer not read.
    Transport,
    /// The service's answer is not what the API describes.
    InvalidResponse,
    /// A wait ran out of time after the operation itself succeeded: the
    /// polling that `delete_key` and `recover_deleted_key` do until the
    /// service reports the change. The message says which.
    Timeout,
    /// A local cryptographic operation failed.
    Cryptography,
    /// The request may or may not have been carried out: a create, import,
    /// rotation, restore, recovery or purge whose connection broke after it
    /// was sent, or that the service answered with 500, 502, 504 or 503
    /// without `Retry-After`. It was not retried, since repeating it could
    /// carry it out twice (two new versions, say). Check before repeating it
    /// (get the key, list its versions). [`Error::status`] and
    /// [`Error::request_id`] are set when the service answered.
    OutcomeUnknown,
}

/// An error of this crate: its kind, and what is known of the response.
///
/// An error read from a lower layer's (the protocol's, the crypto
/// engine's) says what that one says: its `Display` is the lower error's,
/// and `source()` goes on with the lower error's own source, so a printer
/// of the whole chain prints each fact once. The lower error itself is
/// [`Error::protocol_error`].
///
/// `Debug` shows no more than `Display`: a raw response body (which can
/// carry key material) never reaches a log through it.
pub struct Error {
    kind: ErrorKind,
    status: Option<u16>,
    code: Option<String>,
    request_id: Option<String>,
    message: String,
    /// The lower layer's error this one reads as (its `Display` is
    /// `message`).
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        // The lower error's text is this one's; its cause comes next.
        self.source.as_deref()?.source()
    }
}

impl std::fmt::Debug for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.kind)
            .field("status", &self.status)
            .field("code", &self.code)
            .field("request_id", &self.request_id)
            .field("message", &self.message)
            .finish()
    }
}

impl Error {
    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }
    /// The HTTP status, when the service answered.
    pub fn status(&self) -> Option<u16> {
        self.status
    }
    /// The service's error code (for example `KeyNotFound`).
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }
    /// The `x-ms-request-id` of the failed response.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// The service's inner error code (`error.innererror.code`), which says
    /// more than [`Error::code`]: `ForbiddenByRbac` or `ForbiddenByPolicy`
    /// for a 403 from the permission model, `KeyExpired`,
    /// `ObjectIsDeletedButRecoverable`, ….
    pub fn inner_code(&self) -> Option<&str> {
        self.protocol_error()
            .and_then(|p| p.http())
            .and_then(|h| h.inner_code.as_deref())
    }
    /// The protocol error underneath, with the raw response body.
    pub fn protocol_error(&self) -> Option<&keyvault_keys_protocol::Error> {
        self.source.as_ref().and_then(|s| s.downcast_ref())
    }
    /// The cryptography error underneath (a local operation's, or a
    /// remote one's that is not the service's answer).
    pub fn crypto_error(&self) -> Option<&CryptoError> {
        self.source.as_ref().and_then(|s| s.downcast_ref())
    }
    /// The api-version refusal underneath: the method or option, and the
    /// version that introduced it.
    pub fn not_in_api_version(&self) -> Option<&keyvault_keys_protocol::NotInApiVersion> {
        self.source.as_ref().and_then(|s| s.downcast_ref())
    }

    /// An input error found before any request.
    pub fn validation(message: impl Into<String>) -> Self {
        Self {
            kind: ErrorKind::Validation,
            status: None,
            code: None,
            request_id: None,
            message: message.into(),
            source: None,
        }
    }
}

impl Error {
    /// A service answer that is not what the API describes.
    pub(crate) fn invalid_response(message: impl Into<String>) -> Self {
        Self {
            kind: ErrorKind::InvalidResponse,
            ..Self::validation(message)
        }
    }

    /// A wait that ran out after the operation succeeded.
    pub(crate) fn timeout(message: impl Into<String>) -> Self {
        Self {
            kind: ErrorKind::Timeout,
            ..Self::validation(message)
        }
    }
}

impl From<keyvault_keys_protocol::Error> for Error {
    fn from(e: keyvault_keys_protocol::Error) -> Self {
        use keyvault_keys_protocol::Error as P;
        let (kind, status, code, request_id) = match &e {
            P::Http(h) => {
                let kind = match h.status.as_u16() {
                    404 => ErrorKind::ResourceNotFound,
                    409 => ErrorKind::ResourceExists,
                    401 => ErrorKind::Authentication,
                    _ => ErrorKind::HttpResponse,
                };
                (
                    kind,
                    Some(h.status.as_u16()),
                    h.code.clone(),
                    h.request_id.clone(),
                )
            }
            P::Credential(_) => (ErrorKind::Credential, None, None, None),
            P::InsecureTransport(_) | P::Challenge(_) => {
                (ErrorKind::Authentication, None, None, None)
            }
            P::ForeignOrigin { .. } | P::InvalidRequest(_) => {
                (ErrorKind::Validation, None, None, None)
            }
            P::InvalidResponse { status, .. } => (
                ErrorKind::InvalidResponse,
                Some(status.as_u16()),
                None,
                None,
            ),
            P::OutcomeUnknown { .. } => {
                let http = e.http();
                (
                    ErrorKind::OutcomeUnknown,
                    e.status().map(|s| s.as_u16()),
                    http.and_then(|h| h.code.clone()),
                    http.and_then(|h| h.request_id.clone()),
                )
            }
            // The service's answer is at fault: too large, a nextLink that
            // loops, never ends or leaves the vault's origin.
            P::ResponseTooLarge { .. }
            | P::RepeatedNextLink { .. }
            | P::TooManyPages { .. }
            | P::ForeignNextLink { .. } => (ErrorKind::InvalidResponse, None, None, None),
            // Exhaustive: a variant added to the protocol's error does not
            // compile until it is sorted here.
            P::Transport(_) => (ErrorKind::Transport, None, None, None),
        };
        Self {
            kind,
            status,
            code,
            request_id,
            message: e.to_string(),
            source: Some(Box::new(e)),
        }
    }
}

impl From<keyvault_keys_protocol::NotInApiVersion> for Error {
    fn from(e: keyvault_keys_protocol::NotInApiVersion) -> Self {
        Self {
            kind: ErrorKind::Validation,
            status: None,
            code: None,
            request_id: None,
            message: e.to_string(),
            source: Some(Box::new(e)),
        }
    }
}

impl From<CryptoError> for Error {
    fn from(e: CryptoError) -> Self {
        match e {
            CryptoError::Service(p) => p.into(),
            CryptoError::NotInApiVersion(v) => v.into(),
            CryptoError::InvalidResponse(_) => Self {
                kind: ErrorKind::InvalidResponse,
                status: None,
                code: None,
                request_id: None,
                message: e.to_string(),
                source: Some(Box::new(e)),
            },
            CryptoError::InvalidInput(_)
            | CryptoError::AlgorithmMismatch { .. }
            | CryptoError::UnsupportedAlgorithm { .. } => Self {
                kind: ErrorKind::Validation,
                status: None,
                code: None,
                request_id: None,
                message: e.to_string(),
                source: Some(Box::new(e)),
            },
            other => Self {
                kind: ErrorKind::Cryptography,
                status: None,
                code: None,
                request_id: None,
                message: other.to_string(),
                source: Some(Box::new(other)),
            },
        }
    }
}

/// This crate's `Result`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// `error.type` of a method's span: the status of the service's answer,
/// else the kind.
impl keyvault_keys_protocol::instrumentation::TracedError for Error {
    fn status_code(&self) -> Option<u16> {
        self.status
    }
    fn error_type(&self) -> &'static str {
        match self.kind {
            ErrorKind::ResourceNotFound => "ResourceNotFound",
            ErrorKind::ResourceExists => "ResourceExists",
            ErrorKind::Authentication => "Authentication",
            ErrorKind::Credential => "Credential",
            ErrorKind::HttpResponse => "HttpResponse",
            ErrorKind::Validation => "Validation",
            ErrorKind::Transport => "Transport",
            ErrorKind::InvalidResponse => "InvalidResponse",
            ErrorKind::Timeout => "Timeout",
            ErrorKind::Cryptography => "Cryptography",
            ErrorKind::OutcomeUnknown => "OutcomeUnknown",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyvault_keys_protocol::reqwest::{Method, StatusCode, header::HeaderMap};

    /// `source()` goes past the layer whose text this error reads as; the
    /// typed errors underneath stay reachable by their accessors.
    #[test]
    fn the_typed_error_underneath_is_reachable_by_its_accessor() {
        let e: Error = CryptoError::DecryptionFailed.into();
        assert!(matches!(
            e.crypto_error(),
            Some(CryptoError::DecryptionFailed)
        ));
        assert!(e.protocol_error().is_none() && e.not_in_api_version().is_none());
        let refused = keyvault_keys_protocol::ApiVersion::V2025_07_01
            .check_operation("secure_wrap_key", "securewrapkey")
            .expect_err("not in 2025-07-01");
        let e: Error = refused.clone().into();
        assert_eq!(e.not_in_api_version(), Some(&refused));
        assert!(e.crypto_error().is_none());
    }
    use keyvault_keys_protocol::{Error as P, HttpError};

    #[test]
    fn an_unknown_outcome_keeps_its_kind_status_and_request_id() {
        let mut headers = HeaderMap::new();
        headers.insert("x-ms-request-id", "req-1".parse().expect("header"));
        let http = HttpError::from_parts(
            StatusCode::INTERNAL_SERVER_ERROR,
            headers,
            br#"{"error":{"code":"InternalError","message":"oops"}}"#[..].into(),
        );
        let e = Error::from(P::OutcomeUnknown {
            operation: "create_key".to_owned(),
            method: Method::POST,
            path: "/keys/k/create".to_owned(),
            cause: Box::new(P::Http(Box::new(http))),
        });
        assert_eq!(e.kind(), ErrorKind::OutcomeUnknown);
        assert_eq!(e.status(), Some(500));
        assert_eq!(e.code(), Some("InternalError"));
        assert_eq!(e.request_id(), Some("req-1"));
        assert!(e.to_string().contains("may or may not"), "{e}");
        assert!(e.protocol_error().is_some_and(|p| p.is_outcome_unknown()));

        let e = Error::from(P::OutcomeUnknown {
            operation: "rotate_key".to_owned(),
            method: Method::POST,
            path: "/keys/k/rotate".to_owned(),
            cause: Box::new(P::ResponseTooLarge { limit: 16 }),
        });
        assert_eq!(e.kind(), ErrorKind::OutcomeUnknown);
        assert_eq!(e.status(), None);
    }

    #[test]
    fn hostile_responses_are_invalid_responses() {
        let e = Error::from(P::ResponseTooLarge { limit: 16 });
        assert_eq!(e.kind(), ErrorKind::InvalidResponse);
        let e = Error::from(P::RepeatedNextLink {
            url: "https://v/keys?x".to_owned(),
        });
        assert_eq!(e.kind(), ErrorKind::InvalidResponse);
        let e = Error::from(P::TooManyPages { limit: 5 });
        assert_eq!(e.kind(), ErrorKind::InvalidResponse);
        let e = Error::from(P::ForeignNextLink {
            url: "https://evil.example/keys".to_owned(),
            vault: "https://v".to_owned(),
        });
        assert_eq!(e.kind(), ErrorKind::InvalidResponse);
        // A URL the caller gave is the caller's to fix.
        let e = Error::from(P::ForeignOrigin {
            url: "https://evil.example/keys".to_owned(),
            vault: "https://v".to_owned(),
        });
        assert_eq!(e.kind(), ErrorKind::Validation);
    }
}
