//! `KeyClient`: every method of the Python aio `KeyClient`, in Rust.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Instant;

use futures::stream::StreamExt as _;
use keyvault_crypto::{
    AkpAlgorithm, CryptographyClient, JsonWebKey, KeyType, KeyUsage, SecretBytes, b64,
};
use keyvault_keys_protocol::azure_core::credentials::TokenCredential;
use keyvault_keys_protocol::{Client, RawRequest, RawResponse, call, types};
use keyvault_keys_types::key_name;

use crate::error::{Error, ErrorKind, Result};
use crate::models::*;
use crate::options::*;
use crate::pager::{Page, Pager};

/// Runs a method's body in its span (`KeyClient.<method>`; see
/// [`keyvault_keys_protocol::instrumentation`]).
macro_rules! traced {
    ($name:literal, $body:expr) => {
        keyvault_keys_protocol::instrumentation::in_public_api(
            || keyvault_keys_protocol::public_api_span!($name),
            $body,
        )
        .await
    };
}

mod backup;
mod crypto;
mod keys;
mod lifecycle;
mod lists;
mod raw;
mod release;
mod rotation;

/// A client for the keys of one vault (or Managed HSM).
///
/// Cloning is cheap and shares the connections, the token and the
/// challenge cache; dropping the last clone releases the connections.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let emulator = keyvault_emulator::Emulator::start(Default::default()).await?;
/// # let (url, credential) = (emulator.vault_url().to_owned(), emulator.credential());
/// # let options = Some(keyvault_keys::KeyClientOptions { client_options: emulator.client_options() });
/// use keyvault_keys::{KeyClient, CreateKeyOptions};
/// // `url` is your vault's, such as "https://myvault.vault.azure.net";
/// // `options` None for the defaults.
/// let client = KeyClient::new(&url, credential, options)?;
/// let key = client.create_rsa_key("my-key", Some(CreateKeyOptions { size: Some(3072), ..Default::default() })).await?;
/// println!("{} {}", key.name(), key.key_type());
/// # emulator.shutdown().await;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct KeyClient {
    protocol: Client,
    vault_url: String,
}

/// Checks a key name: 1 to 127 letters, digits and dashes.
pub fn validate_key_name(name: &str) -> Result<()> {
    if key_name::is_valid(name) {
        Ok(())
    } else {
        Err(Error::validation(format!(
            "invalid key name {name:?}: {}",
            key_name::RULE
        )))
    }
}

fn unix(t: Option<time::OffsetDateTime>) -> Option<i64> {
    t.map(|t| t.unix_timestamp())
}

fn attributes(
    enabled: Option<bool>,
    nbf: Option<time::OffsetDateTime>,
    exp: Option<time::OffsetDateTime>,
    exportable: Option<bool>,
) -> Option<types::KeyAttributes> {
    if enabled.is_none() && nbf.is_none() && exp.is_none() && exportable.is_none() {
        return None;
    }
    Some(types::KeyAttributes {
        enabled,
        nbf: unix(nbf),
        exp: unix(exp),
        exportable,
        ..Default::default()
    })
}

impl KeyClient {
    /// A client for the vault at `vault_url`, authenticating with `credential`.
    ///
    /// Fails (before anything is sent) when the URL is not an absolute
    /// `https` URL.
    pub fn new(
        vault_url: &str,
        credential: Arc<dyn TokenCredential>,
        options: Option<KeyClientOptions>,
    ) -> Result<Self> {
        let options = options.unwrap_or_default();
        let protocol = Client::with_credential(vault_url, credential, options.client_options)?;
        let vault_url = protocol
            .vault_url()
            .as_str()
            .trim_end_matches('/')
            .to_owned();
        Ok(Self {
            protocol,
            vault_url,
        })
    }

    /// A client over an existing protocol client (sharing its pipeline).
    pub fn from_protocol(protocol: Client) -> Self {
        let vault_url = protocol
            .vault_url()
            .as_str()
            .trim_end_matches('/')
            .to_owned();
        Self {
            protocol,
            vault_url,
        }
    }

    /// The vault's URL.
    pub fn vault_url(&self) -> &str {
        &self.vault_url
    }

    /// The low-level client underneath.
    pub fn protocol_client(&self) -> &Client {
        &self.protocol
    }

    /// The api-version this client sends, and checks every method and
    /// option against (see [`ApiVersion`]).
    pub fn api_version(&self) -> &ApiVersion {
        &self.protocol.pipeline().options().api_version
    }

    /// Refuses `method` (named as Python names it) before any request when
    /// the client's api-version is a known version older than the one that
    /// introduced `operation_id`.
    pub(crate) fn require(&self, method: &str, operation_id: &str) -> Result<()> {
        Ok(self.api_version().check_operation(method, operation_id)?)
    }

    /// Refuses the option `option`, when it is set, before any request
    /// when the client's api-version is a known version older than the one
    /// that introduced the request member `schema.member` it is sent as.
    pub(crate) fn require_member(
        &self,
        set: bool,
        option: &str,
        schema: &str,
        member: &str,
    ) -> Result<()> {
        if set {
            self.api_version().check_member(option, schema, member)?;
        }
        Ok(())
    }

    /// The options that land in `attributes` and `release_policy`.
    pub(crate) fn require_common(
        &self,
        schema: &str,
        exportable: Option<bool>,
        release_policy: Option<&KeyReleasePolicy>,
    ) -> Result<()> {
        self.require_member(
            exportable.is_some(),
            "exportable",
            "KeyAttributes",
            "exportable",
        )?;
        self.require_member(
            release_policy.is_some(),
            "release_policy",
            schema,
            "release_policy",
        )?;
        self.require_member(
            release_policy.is_some_and(|p| p.immutable.is_some()),
            "release_policy.immutable",
            "KeyReleasePolicy",
            "immutable",
        )
    }
}
