//! Generated methods return [`Error`]: how a pipeline failure gets there.
//!
//! progenitor's generated bodies run the pipeline in the `exec` hook, which
//! can only return a `reqwest::Result<Response>`. A failure of the pipeline
//! (a refused challenge, a credential error, an unknown outcome, a broken
//! connection) is therefore returned as a `reqwest::Error` whose source
//! chain holds the typed [`Error`] itself ([`Carried`]): no placeholder
//! response, no status, no string. The public method `codegen` writes
//! around each generated body (with [`Error::from_generated`]) takes it back
//! out, so callers only ever see [`Error`], with its own source chain
//! (a reqwest time-out still answers [`Error::is_timeout`]).

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures::TryStreamExt as _;
use progenitor_client::ResponseValue;
use reqwest::Response;

use crate::error::{Error, HttpError, body_error};

/// What progenitor's `ResponseValue::from_response` does, with the
/// headers moved out of the response instead of cloned (`cargo xtask
/// codegen` writes calls of this in its place): the body read whole and
/// parsed with serde_json, a failure to read it `ResponseBodyError`, one to
/// parse it `InvalidResponsePayload` with the body.
pub(crate) async fn response_value<T: serde::de::DeserializeOwned, E>(
    mut response: Response,
) -> Result<ResponseValue<T>, progenitor_client::Error<E>> {
    let status = response.status();
    let headers = std::mem::take(response.headers_mut());
    let full = response
        .bytes()
        .await
        .map_err(progenitor_client::Error::ResponseBodyError)?;
    let inner = serde_json::from_slice(&full)
        .map_err(|e| progenitor_client::Error::InvalidResponsePayload(full, e))?;
    Ok(ResponseValue::new(inner, status, headers))
}

/// progenitor's error for what the generated bodies return.
pub(crate) type GeneratedError = progenitor_client::Error<progenitor_client::ByteStream>;

/// A typed pipeline failure inside a `reqwest::Error`'s source chain; taken
/// out once by [`body_error`].
#[derive(Clone)]
pub(crate) struct Carried(Arc<Mutex<Option<Error>>>);

impl Carried {
    /// The carried error; `None` once taken.
    pub(crate) fn take(&self) -> Option<Error> {
        self.0.lock().ok().and_then(|mut e| e.take())
    }
}

impl std::fmt::Debug for Carried {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0.lock() {
            Ok(e) => f.debug_tuple("Carried").field(&*e).finish(),
            Err(_) => f.write_str("Carried(<poisoned>)"),
        }
    }
}

impl std::fmt::Display for Carried {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0.lock().ok().as_deref() {
            Some(Some(e)) => e.fmt(f),
            _ => f.write_str("a pipeline failure (already taken)"),
        }
    }
}

impl std::error::Error for Carried {}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A response whose body fails, at once, with `carried`.
fn failing(carried: Carried) -> Response {
    let chunk: Result<Bytes, BoxError> = Err(Box::new(carried));
    let body = reqwest::Body::wrap_stream(futures::stream::iter([chunk]));
    Response::from(http::Response::new(body))
}

/// What the `exec` hook returns for a pipeline failure: a `reqwest::Error`
/// carrying `error` (reading a body whose only chunk is an error fails with
/// a `reqwest::Error` whose source is that error).
pub(crate) async fn carry(error: Error) -> reqwest::Result<Response> {
    let carried = Carried(Arc::new(Mutex::new(Some(error))));
    match failing(carried.clone()).bytes().await {
        Err(e) => Err(e),
        // Not reached (the body's only chunk is an error). Were it reached,
        // the response's body still fails with the error, and reading it
        // (every generated body reads the body of an answer it did not
        // expect) brings the error back the same way.
        Ok(_) => Ok(failing(carried)),
    }
}

impl Error {
    /// Converts what a generated body returns into this error, reading the
    /// raw body of an error response.
    pub(crate) async fn from_generated(e: GeneratedError) -> Self {
        use progenitor_client::Error as G;
        match e {
            G::ErrorResponse(rv) => {
                let status = rv.status();
                let headers = rv.headers().clone();
                let body: Vec<u8> = match rv
                    .into_inner()
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
            G::UnexpectedResponse(resp) => match HttpError::from_response(resp).await {
                Ok(h) => Error::Http(Box::new(h)),
                Err(e) => e,
            },
            G::InvalidResponsePayload(body, source) => {
                Error::invalid_response(reqwest::StatusCode::OK, body, &source)
            }
            G::CommunicationError(e) | G::ResponseBodyError(e) | G::InvalidUpgrade(e) => {
                body_error(e)
            }
            G::InvalidRequest(m) | G::Custom(m) => Error::InvalidRequest(m),
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A carried error comes back whole, typed, once.
    #[tokio::test]
    async fn a_carried_error_comes_back_typed() {
        let e = carry(Error::ForeignOrigin {
            url: "https://evil.example/".into(),
            vault: "https://v.example".into(),
        })
        .await
        .expect_err("a reqwest error");
        let generated: GeneratedError = e.into();
        match Error::from_generated(generated).await {
            Error::ForeignOrigin { url, vault } => {
                assert_eq!(url, "https://evil.example/");
                assert_eq!(vault, "https://v.example");
            }
            other => panic!("{other:?}"),
        }
    }
}
