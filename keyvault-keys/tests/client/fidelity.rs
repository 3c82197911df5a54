//! KeyClient against the service's answers the fidelity issue lists: 403s
//! from the permission model, purge protection, recovery levels, refused
//! api-versions, an empty versions listing and the service's Notify action.

use keyvault_emulator::{Role, TokenGrant};

use super::*;

const ADMIN: &str = "admin-token";

async fn estate(options: EmulatorOptions) -> Emulator {
    Emulator::start(EmulatorOptions {
        token: Some(ADMIN.into()),
        tokens: vec![
            TokenGrant::role("reader", Role::Reader),
            TokenGrant::role("crypto-user", Role::CryptoUser),
            TokenGrant::role("release-user", Role::CryptoServiceReleaseUser),
            TokenGrant::permissions("sign-only", ["sign", "verify"]).expect("grant"),
        ],
        ..options
    })
    .await
    .expect("emulator")
}

fn client_for(emu: &Emulator, token: &str, options: KeyClientOptions) -> KeyClient {
    KeyClient::new(
        emu.vault_url(),
        emu.credential_for(token),
        Some(KeyClientOptions {
            client_options: keyvault_keys::ClientOptions {
                http_client: Some(emu.http_client()),
                ..options.client_options
            },
        }),
    )
    .expect("client")
}

fn forbidden(e: &Error) -> (ErrorKind, Option<u16>, Option<&str>, Option<&str>) {
    (e.kind(), e.status(), e.code(), e.inner_code())
}

const RBAC: (ErrorKind, Option<u16>, Option<&str>, Option<&str>) = (
    ErrorKind::HttpResponse,
    Some(403),
    Some("Forbidden"),
    Some("ForbiddenByRbac"),
);

#[tokio::test]
async fn each_role_gets_the_services_403_for_what_it_may_not_do() {
    let emu = estate(EmulatorOptions::default()).await;
    let admin = client_for(&emu, ADMIN, Default::default());
    admin.create_ec_key("k", None).await.expect("create");
    let digest = [9u8; 32];

    // A Reader gets and lists, but may not sign.
    let reader = client_for(&emu, "reader", Default::default());
    reader.get_key("k", None).await.expect("get");
    let names: Vec<String> = reader
        .list_properties_of_keys(None)
        .map_ok(|p| p.name)
        .try_collect()
        .await
        .expect("list");
    assert_eq!(names, ["k"]);
    let crypto = reader.get_cryptography_client("k", None).expect("crypto");
    let e = crypto
        .sign(&SignatureAlgorithm::Es256, &digest, None)
        .await
        .expect_err("a Reader may not sign");
    let e = Error::from(e);
    assert_eq!(forbidden(&e), RBAC, "{e}");
    assert!(
        e.to_string().contains("keys/sign/action"),
        "the message names the data action: {e}"
    );

    // A Crypto User signs, but may not delete.
    let user = client_for(&emu, "crypto-user", Default::default());
    let crypto = user.get_cryptography_client("k", None).expect("crypto");
    crypto
        .sign(&SignatureAlgorithm::Es256, &digest, None)
        .await
        .expect("a Crypto User signs");
    let e = user.delete_key("k", fast()).await.expect_err("delete");
    assert_eq!(forbidden(&e), RBAC, "{e}");

    // A Release User may release only.
    let release = client_for(&emu, "release-user", Default::default());
    let e = release.get_key("k", None).await.expect_err("get");
    assert_eq!(forbidden(&e), RBAC);
    let e = release
        .release_key("k", "not.a.token", None)
        .await
        .expect_err("release with an unverifiable token");
    assert_eq!(
        (e.status(), e.inner_code()),
        (Some(403), Some("AccessDenied")),
        "past the permission check: {e}"
    );
    // Nothing changed.
    admin.get_key("k", None).await.expect("still there");
    emu.shutdown().await;
}

#[tokio::test]
async fn a_cryptography_client_that_may_not_get_the_key_works_remotely() {
    let emu = estate(EmulatorOptions::default()).await;
    let admin = client_for(&emu, ADMIN, Default::default());
    let key = admin.create_ec_key("remote", None).await.expect("create");
    let signer = client_for(&emu, "sign-only", Default::default());
    let e = signer.get_key("remote", None).await.expect_err("no get");
    assert_eq!(e.inner_code(), Some("ForbiddenByPolicy"));
    let crypto = signer
        .get_cryptography_client("remote", None)
        .expect("crypto");
    let digest = [3u8; 32];
    let signed = crypto
        .sign(&SignatureAlgorithm::Es256, &digest, None)
        .await
        .expect("sign in the vault");
    let verified = crypto
        .verify(&SignatureAlgorithm::Es256, &digest, &signed.signature, None)
        .await
        .expect("verify in the vault");
    assert!(verified.is_valid);
    assert!(key.id().ends_with(&format!(
        "/keys/remote/{}",
        key.properties.version.clone().unwrap_or_default()
    )));
    emu.shutdown().await;
}

#[tokio::test]
async fn purge_protection_and_a_short_retention_read_as_the_service_says() {
    let (emu, client) = setup(EmulatorOptions {
        purge_protection: true,
        soft_delete_retention_days: 7,
        ..Default::default()
    })
    .await;
    let key = client.create_ec_key("kept", None).await.expect("create");
    assert_eq!(
        key.properties.recovery_level,
        Some(DeletionRecoveryLevel::CustomizedRecoverable)
    );
    assert_eq!(key.properties.recoverable_days, Some(7));
    let deleted = client.delete_key("kept", fast()).await.expect("delete");
    let (d, p) = (
        deleted.deleted_date.expect("deleted date"),
        deleted.scheduled_purge_date.expect("purge date"),
    );
    assert_eq!(p - d, time::Duration::days(7));
    let e = client
        .purge_deleted_key("kept", None)
        .await
        .expect_err("purge protection");
    assert_eq!(
        (e.kind(), e.status(), e.code()),
        (ErrorKind::HttpResponse, Some(403), Some("Forbidden"))
    );
    assert!(
        e.to_string().contains("purge protection is enabled"),
        "the message says why: {e}"
    );
    client
        .get_deleted_key("kept", None)
        .await
        .expect("still recoverable");
    emu.shutdown().await;

    let (emu, client) = setup(EmulatorOptions {
        soft_delete_retention_days: 30,
        ..Default::default()
    })
    .await;
    let key = client.create_ec_key("k", None).await.expect("create");
    assert_eq!(
        key.properties.recovery_level,
        Some(DeletionRecoveryLevel::CustomizedRecoverablePurgeable)
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn an_unrecognised_api_version_brings_the_services_message() {
    let emu = Emulator::start(EmulatorOptions {
        max_api_version: Some("7.1".into()),
        ..Default::default()
    })
    .await
    .expect("emulator");
    let client = client_for(
        &emu,
        "any",
        KeyClientOptions {
            client_options: keyvault_keys::ClientOptions {
                api_version: ApiVersion::from("7.3"),
                ..Default::default()
            },
        },
    );
    let e = client.get_key("k", None).await.expect_err("7.3 refused");
    assert_eq!((e.status(), e.code()), (Some(400), Some("BadParameter")));
    assert!(
        e.to_string().contains(
            "The specified version (7.3) is not recognized. Consider using the latest supported version (7.1)."
        ),
        "{e}"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn the_versions_of_a_missing_key_are_an_empty_stream() {
    let (emu, client) = setup(EmulatorOptions::default()).await;
    let versions: Vec<KeyProperties> = client
        .list_properties_of_key_versions("never-made", None)
        .try_collect()
        .await
        .expect("an empty listing, not an error");
    assert!(versions.is_empty());
    emu.shutdown().await;
}

#[tokio::test]
async fn the_services_notify_action_round_trips_unchanged() {
    let (emu, client) = setup(EmulatorOptions::default()).await;
    client.create_ec_key("r", None).await.expect("create");
    let mut rotate = KeyRotationLifetimeAction::new(KeyRotationPolicyAction::Rotate);
    rotate.time_after_create = Some("P30D".into());
    let mut policy = KeyRotationPolicy::new(vec![rotate]);
    policy.expires_in = Some("P90D".into());
    let set = client
        .update_key_rotation_policy("r", &policy, None)
        .await
        .expect("set");
    assert_eq!(set.lifetime_actions.len(), 2, "{set:?}");
    let notify = set
        .lifetime_actions
        .iter()
        .find(|a| a.action == KeyRotationPolicyAction::Notify)
        .expect("the service's Notify action");
    assert_eq!(notify.time_before_expiry.as_deref(), Some("P30D"));
    let again = client
        .update_key_rotation_policy("r", &set, None)
        .await
        .expect("set what was read");
    assert_eq!(again.lifetime_actions, set.lifetime_actions);
    let read = client
        .get_key_rotation_policy("r", None)
        .await
        .expect("get");
    assert_eq!(read.lifetime_actions, set.lifetime_actions);
    emu.shutdown().await;
}

/// `delete_key` and `recover_deleted_key` wait as long as the service takes
/// (0, 300 ms, 3 s), seeing a fast one in well under Python's 2 s poll;
/// `wait: false` returns at once.
#[tokio::test]
async fn deletions_and_recoveries_are_waited_for_as_long_as_they_take() {
    for delay in [0u32, 300, 3000] {
        let (emu, client) = setup(EmulatorOptions {
            operation_latency: keyvault_emulator::OperationLatency {
                delete_ms: delay,
                recover_ms: delay,
                purge_ms: 0,
            },
            ..Default::default()
        })
        .await;
        client.create_ec_key("w", None).await.expect("create");
        let started = std::time::Instant::now();
        client.delete_key("w", None).await.expect("delete");
        let took = started.elapsed();
        let d = std::time::Duration::from_millis(u64::from(delay));
        assert!(
            took >= d,
            "{delay} ms: returned after {took:?}, before the deletion completed"
        );
        assert!(
            took < d + std::time::Duration::from_millis(if delay < 1000 { 1500 } else { 2500 }),
            "{delay} ms: took {took:?}"
        );
        client
            .get_deleted_key("w", None)
            .await
            .expect("deleted when delete_key returns");
        let started = std::time::Instant::now();
        client
            .recover_deleted_key("w", None)
            .await
            .expect("recover");
        let took = started.elapsed();
        assert!(took >= d, "{delay} ms: recovery returned after {took:?}");
        client
            .get_key("w", None)
            .await
            .expect("back when it returns");
        // Without waiting: at once, and the key is not yet deleted.
        let started = std::time::Instant::now();
        client
            .delete_key(
                "w",
                Some(DeleteKeyOptions {
                    poll: PollOptions {
                        wait: false,
                        ..Default::default()
                    },
                }),
            )
            .await
            .expect("delete");
        // It did not wait: the deletion is still under way (checked below).
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
        if delay > 0 {
            let e = client
                .get_deleted_key("w", None)
                .await
                .expect_err("not yet");
            assert_eq!(e.kind(), ErrorKind::ResourceNotFound);
        }
        emu.shutdown().await;
    }
}
