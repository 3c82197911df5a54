//! Client-side helpers (feature `client-helpers`): a credential, and an
//! HTTP client that trusts the emulator's certificate, for tests and
//! examples. The service does not use them.

use std::sync::Arc;

use azure_core::credentials::{AccessToken, Secret, TokenCredential, TokenRequestOptions};

use crate::Emulator;

impl Emulator {
    /// A credential that works against this emulator.
    pub fn credential(&self) -> Arc<dyn TokenCredential> {
        Arc::new(StaticTokenCredential::new(self.token.clone()))
    }

    /// A credential that hands out `token`: for a token of
    /// [`EmulatorOptions::tokens`](crate::EmulatorOptions::tokens) (a role
    /// or access-policy permissions).
    pub fn credential_for(&self, token: &str) -> Arc<dyn TokenCredential> {
        Arc::new(StaticTokenCredential::new(token))
    }

    /// An HTTP client that trusts the emulator's certificate and resolves
    /// its host names to it.
    pub fn http_client(&self) -> reqwest::Client {
        let mut b = reqwest::Client::builder();
        if let Ok(cert) = reqwest::Certificate::from_pem(self.ca_pem.as_bytes()) {
            b = b.tls_certs_only([cert]);
        }
        for h in &self.hostnames {
            b = b.resolve(h, self.addr);
        }
        // Every `*.localhost` name (the named vaults, also those made at
        // run time) reaches this emulator.
        b = b.dns_resolver(Arc::new(LocalhostResolver(self.addr)));
        b.build().unwrap_or_default()
    }

    /// Client options for the protocol layer, with [`Self::http_client`].
    pub fn client_options(&self) -> keyvault_keys_protocol::ClientOptions {
        keyvault_keys_protocol::ClientOptions {
            http_client: Some(self.http_client()),
            ..Default::default()
        }
    }
}

/// A credential that always hands out the same token (valid for an hour
/// from each call), for the emulator and tests.
#[derive(Clone)]
pub struct StaticTokenCredential {
    token: String,
}

impl StaticTokenCredential {
    /// A credential for `token`.
    pub fn new(token: impl Into<String>) -> Self {
        Self {
            token: token.into(),
        }
    }
}

impl std::fmt::Debug for StaticTokenCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StaticTokenCredential")
    }
}

#[async_trait::async_trait]
impl TokenCredential for StaticTokenCredential {
    async fn get_token(
        &self,
        _scopes: &[&str],
        _options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        Ok(AccessToken::new(
            Secret::new(self.token.clone()),
            time::OffsetDateTime::now_utc() + time::Duration::hours(1),
        ))
    }
}

/// Resolves `localhost` and every `*.localhost` name to the emulator's
/// address (and nothing else: other names fail).
struct LocalhostResolver(std::net::SocketAddr);

impl reqwest::dns::Resolve for LocalhostResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().trim_end_matches('.').to_ascii_lowercase();
        let addr = self.0;
        Box::pin(async move {
            if host == "localhost" || host.ends_with(".localhost") {
                let addrs: reqwest::dns::Addrs = Box::new(std::iter::once(addr));
                Ok(addrs)
            } else {
                Err(format!("{host} is not a name of the emulator").into())
            }
        })
    }
}
