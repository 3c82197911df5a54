//! What the generated methods call to read an answer, and [`call`].
//!
//! `cargo xtask codegen` rewrites each generated operation so that it runs
//! the pipeline itself (`Client::execute`) and returns this crate's
//! [`Error`] directly: a pipeline failure (a refused challenge, a
//! credential error, an unknown outcome, a broken connection) leaves
//! typed, never through a `reqwest::Error` (issue 17). The answer is read
//! here: a success parsed into its model, any other status read whole into
//! an [`HttpError`].

use progenitor_client::ResponseValue;
use reqwest::Response;

use crate::error::{Error, HttpError, body_error};

/// A success answer's value (what progenitor's `ResponseValue::from_response`
/// does, with the headers moved out instead of cloned, issue 19): the body
/// read whole and parsed with serde_json.
pub(crate) async fn response_value<T: serde::de::DeserializeOwned>(
    mut response: Response,
) -> Result<ResponseValue<T>, Error> {
    let status = response.status();
    let headers = std::mem::take(response.headers_mut());
    let full = response.bytes().await.map_err(body_error)?;
    let inner = serde_json::from_slice(&full)
        .map_err(|e| Error::invalid_response(status, full.clone(), &e))?;
    Ok(ResponseValue::new(inner, status, headers))
}

/// Any answer but the operation's success, read whole into
/// [`Error::Http`] (status, the service's code and message, request id,
/// raw body).
pub(crate) async fn error_answer(response: Response) -> Error {
    match HttpError::from_response(response).await {
        Ok(h) => Error::Http(Box::new(h)),
        Err(e) => e,
    }
}

/// A request the HTTP client could not build (a header or URL it refuses).
pub(crate) fn build_error(e: reqwest::Error) -> Error {
    Error::InvalidRequest(format!("the request could not be built: {e}"))
}

/// Awaits a generated method and keeps only the response's value (its
/// status and headers are dropped).
///
/// ```no_run
/// # async fn f(client: &keyvault_keys_protocol::Client) -> Result<(), keyvault_keys_protocol::Error> {
/// use keyvault_keys_protocol::call;
/// let key = call(client.get_key("my-key", "")).await?;
/// println!("{:?}", key.key.as_ref().and_then(|k| k.kid.as_deref()));
/// // the same, keeping the status and headers:
/// let response = client.get_key("my-key", "").await?;
/// println!("{} {:?}", response.status(), response.key.as_ref().and_then(|k| k.kid.as_deref()));
/// # Ok(()) }
/// ```
///
/// It returns `fut` wrapped, not an `async fn`'s future: that would hold
/// `fut` twice (as its argument and as what it awaits), doubling the size
/// of every call's future and the bytes copied each time it is moved. Nor
/// is it `FutureExt::map`, which writes its whole state over when it
/// completes (a copy of `fut`'s size per call).
pub fn call<T, F>(fut: F) -> impl std::future::Future<Output = Result<T, Error>>
where
    F: std::future::Future<Output = Result<ResponseValue<T>, Error>>,
{
    IntoInner { fut }
}

pin_project_lite::pin_project! {
    /// [`call`]'s future.
    struct IntoInner<F> {
        #[pin]
        fut: F,
    }
}

impl<T, F> std::future::Future for IntoInner<F>
where
    F: std::future::Future<Output = Result<ResponseValue<T>, Error>>,
{
    type Output = Result<T, Error>;

    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        self.project()
            .fut
            .poll(cx)
            .map(|r| r.map(ResponseValue::into_inner))
    }
}
