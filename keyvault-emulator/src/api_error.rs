//! Error responses in the service's shape.

use hyper::StatusCode;

/// An error answer: `{"error":{"code","message","innererror"?}}`.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub inner: Option<&'static str>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            inner: None,
        }
    }
    pub fn with_inner(mut self, inner: &'static str) -> Self {
        self.inner = Some(inner);
        self
    }
    pub fn bad_parameter(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "BadParameter", message)
    }
    pub fn forbidden(message: impl Into<String>, inner: &'static str) -> Self {
        Self::new(StatusCode::FORBIDDEN, "Forbidden", message).with_inner(inner)
    }
    pub fn key_not_found(id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "KeyNotFound",
            format!(
                "A key with (name/id) {id} was not found in this key vault. If you recently deleted this key you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182"
            ),
        )
    }
    pub fn deleted_key_not_found(name: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "KeyNotFound",
            format!("Deleted Key not found: {name}"),
        )
    }
    pub fn deleted_but_recoverable(name: &str) -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "Conflict",
            format!(
                "Key {name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the key can only be recovered or purged."
            ),
        )
        .with_inner("ObjectIsDeletedButRecoverable")
    }
    /// A purge refused by purge protection: the service's 403, with no
    /// inner error, naming the vault.
    pub fn purge_protected(vault: &str) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "Forbidden",
            format!(
                "Operation \"purge\" is not allowed because purge protection is enabled for this vault. Key Vault service will automatically purge it after the retention period has passed.\r\nVault: {vault};location=emulator"
            ),
        )
    }
    /// A key whose deletion or purge is still under way.
    pub fn being_deleted() -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "Conflict",
            "Key is currently being deleted.",
        )
        .with_inner("ObjectIsBeingDeleted")
    }
    /// A key whose recovery is still under way (the emulator's words).
    pub fn being_recovered() -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "Conflict",
            "Key is currently being recovered.",
        )
        .with_inner("ObjectIsBeingRecovered")
    }
    pub fn not_supported(message: impl Into<String>) -> Self {
        Self::bad_parameter(message)
    }

    pub fn body(&self) -> serde_json::Value {
        let mut error = serde_json::json!({"code": self.code, "message": self.message});
        if let Some(inner) = self.inner {
            error["innererror"] = serde_json::json!({"code": inner});
        }
        serde_json::json!({ "error": error })
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
