//! KeyClient against the emulator over HTTPS: every method, its options and
//! its error paths, the seed's flows, 1,000 keys across pages, and many
//! concurrent tasks on one client.

use std::sync::Arc;

use futures::TryStreamExt as _;
use keyvault_crypto::{KeySpec, KeyType as CK};
use keyvault_emulator::{Emulator, EmulatorOptions, StaticTokenCredential};
use keyvault_keys::crypto::{
    DecryptParameters, EncryptParameters, EncryptionAlgorithm, KeyWrapAlgorithm, SignatureAlgorithm,
};
use keyvault_keys::*;

#[path = "../../../keyvault-keys-protocol/tests/common/spans.rs"]
mod capture;
mod crypto;
mod fidelity;
mod keys;
mod lifecycle;
mod lists;
mod mldsa;
mod models;
mod recorder;
mod rotation_release;
mod secure;
mod spans;
mod streaming;
mod versions;
mod wire_enums;

pub(crate) async fn setup(options: EmulatorOptions) -> (Emulator, KeyClient) {
    let emulator = Emulator::start(options).await.expect("emulator");
    let client = KeyClient::new(
        emulator.vault_url(),
        emulator.credential(),
        Some(KeyClientOptions {
            client_options: keyvault_keys::ClientOptions {
                http_client: Some(emulator.http_client()),
                ..Default::default()
            },
        }),
    )
    .expect("client");
    (emulator, client)
}

/// Fast polling, for `delete_key` or `recover_deleted_key`.
pub(crate) fn fast<T: From<PollOptions>>() -> Option<T> {
    Some(
        PollOptions {
            poll_interval: std::time::Duration::from_millis(10),
            ..Default::default()
        }
        .into(),
    )
}
