//! The one set of wire enums, end to end: a value this version does not
//! know goes out through `KeyClient`, the generated request body and the
//! emulator over HTTPS, and comes back unchanged; known values come back as
//! their variants.

use super::*;

#[tokio::test]
async fn an_unknown_key_operation_survives_a_request_and_its_response() {
    let (_emu, c) = setup(EmulatorOptions::default()).await;
    let future_op = KeyOperation::UnknownValue("someFutureOperation".to_owned());
    let key = c
        .create_ec_key(
            "future-ops",
            Some(CreateKeyOptions {
                key_operations: Some(vec![KeyOperation::Sign, future_op.clone()]),
                ..Default::default()
            }),
        )
        .await
        .expect("create");
    assert_eq!(
        key.key_operations(),
        &[KeyOperation::Sign, future_op.clone()]
    );
    assert_eq!(key.key_type(), &KeyType::Ec);
    assert_eq!(
        key.properties.recovery_level,
        Some(DeletionRecoveryLevel::RecoverablePurgeable)
    );

    // The update body carries the enum too, and a read returns what was set.
    let updated = c
        .update_key_properties(
            "future-ops",
            Some(UpdateKeyPropertiesOptions {
                key_operations: Some(vec![future_op.clone(), KeyOperation::Verify]),
                ..Default::default()
            }),
        )
        .await
        .expect("update");
    assert_eq!(
        updated.key_operations(),
        &[future_op.clone(), KeyOperation::Verify]
    );
    let read = c.get_key("future-ops", None).await.expect("get");
    assert_eq!(read.key_operations(), &[future_op, KeyOperation::Verify]);
}

#[test]
fn an_unknown_value_survives_serde_in_every_layer() {
    let json = "\"ML-KEM-1024\"";
    let alg: keyvault_keys::crypto::EncryptionAlgorithm = serde_json::from_str(json).expect("de");
    assert_eq!(
        alg,
        keyvault_keys::crypto::EncryptionAlgorithm::UnknownValue("ML-KEM-1024".into())
    );
    assert_eq!(serde_json::to_string(&alg).expect("ser"), json);
    // keyvault-keys, keyvault-crypto and the protocol name the same type.
    let wire: keyvault_keys_protocol::enums::KeyWrapAlgorithm = alg.clone();
    assert_eq!(wire.to_string(), "ML-KEM-1024");
    let level: DeletionRecoveryLevel =
        serde_json::from_str("\"CustomizedRecoverable+Archived\"").expect("de");
    assert!(!level.is_known());
    assert_eq!(
        serde_json::to_string(&level).expect("ser"),
        "\"CustomizedRecoverable+Archived\""
    );
}
