//! The [`Client`]'s constructor, accessors and progenitor hooks.

use std::sync::Arc;
use std::time::Duration;

use azure_core::credentials::TokenCredential;

use reqwest::{Request, Response};
use url::Url;

use super::Pipeline;
use crate::Client;
use crate::error::Error;
use crate::options::ClientOptions;

impl Client {
    /// A client for the vault at `vault_url` (for example
    /// `https://myvault.vault.azure.net`), authenticating with `credential`.
    ///
    /// Fails before anything is sent when the URL is not absolute, or is not
    /// `https` (plain `http` is accepted only to a loopback address with
    /// [`ClientOptions::allow_insecure_loopback`]). Cloning the client shares
    /// its connections, token and challenge cache. A challenge verified by
    /// any client of this process for the same origin and verification
    /// settings is reused: the first request then goes with a token at
    /// once, without a probe.
    pub fn with_credential(
        vault_url: &str,
        credential: Arc<dyn TokenCredential>,
        options: ClientOptions,
    ) -> Result<Self, Error> {
        let mut url = Url::parse(vault_url).map_err(|e| {
            Error::InvalidRequest(format!(
                "the vault URL {vault_url:?} is not an absolute URL: {e}"
            ))
        })?;
        if url.host_str().is_none() {
            return Err(Error::InvalidRequest(format!(
                "the vault URL {vault_url:?} has no host"
            )));
        }
        url.set_query(None);
        url.set_fragment(None);
        let path = url.path().trim_end_matches('/').to_owned();
        url.set_path(&path);
        let http = match &options.http_client {
            Some(c) => c.clone(),
            // No redirects: Key Vault does not redirect, and a token or a
            // body must not follow one elsewhere.
            None => reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(options.timeout)
                .connect_timeout(options.timeout.min(Duration::from_secs(30)))
                .build()
                .map_err(|e| {
                    Error::InvalidRequest(format!("could not build the HTTP client: {e}"))
                })?,
        };
        let pipeline = Pipeline::new(url.clone(), credential, options)?;
        pipeline.check_transport(&url)?;
        let base = url.as_str().trim_end_matches('/').to_owned();
        Ok(Client::new_with_client(&base, http, pipeline))
    }

    /// The pipeline (settings, vault URL, challenge state).
    pub fn pipeline(&self) -> &Pipeline {
        &self.inner
    }

    /// The vault's URL.
    pub fn vault_url(&self) -> &Url {
        self.inner.vault_url()
    }

    /// The underlying HTTP client.
    pub fn http_client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Runs a request through the whole pipeline (what every generated
    /// method does, `cargo xtask codegen` writes the call): prepare,
    /// authorise, send with retries.
    pub(crate) async fn execute(
        &self,
        mut request: Request,
        operation: &'static str,
    ) -> Result<Response, Error> {
        self.inner.prepare(&mut request)?;
        self.inner.send(&self.client, request, operation).await
    }
}
