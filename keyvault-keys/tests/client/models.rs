//! Models a user can keep (serde round trip) and fake (`Default`, constructors).

use super::*;

/// Serialises to JSON and back; the value must come back equal.
fn round_trip<T>(what: &str, value: &T)
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let json = serde_json::to_string(value).unwrap_or_else(|e| panic!("{what}: {e}"));
    let back: T = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{what}: {e}\n{json}"));
    assert_eq!(
        &back, value,
        "{what} changed in a round trip through {json}"
    );
}

#[tokio::test]
async fn models_from_the_service_survive_a_serde_round_trip() {
    let (emu, c) = setup(EmulatorOptions::default()).await;
    let expires = OffsetDateTime::now_utc() + std::time::Duration::from_secs(86_400);
    let policy = br#"{"version":"1.0.0","anyOf":[{"authority":"https://a.example","allOf":[{"claim":"c","equals":"v"}]}]}"#;
    let key = c
        .create_rsa_key(
            "kept",
            Some(CreateKeyOptions {
                tags: Some([("app".to_owned(), "cache".to_owned())].into()),
                expires_on: Some(expires),
                exportable: Some(true),
                hardware_protected: Some(true),
                release_policy: Some(KeyReleasePolicy::new(policy.to_vec())),
                ..Default::default()
            }),
        )
        .await
        .expect("create");
    // Everything a user might cache is set, so the round trip covers it.
    let p = &key.properties;
    assert!(p.created_on.is_some() && p.updated_on.is_some() && p.expires_on.is_some());
    assert!(p.recovery_level.is_some() && p.release_policy.is_some() && !p.tags.is_empty());
    round_trip("KeyProperties", p);
    round_trip("KeyVaultKey", &key);
    // Bytes are base64url strings in every model, as in the JWK (issue 17:
    // the release policy was a list of numbers beside a base64url `n`).
    let json = serde_json::to_value(&key).expect("json");
    let encoded = &json["properties"]["release_policy"]["encoded_policy"];
    assert!(encoded.is_string(), "{encoded}");
    assert!(json["key"]["n"].is_string());
    let policy = c
        .update_key_rotation_policy(
            "kept",
            &KeyRotationPolicy::new(vec![
                KeyRotationLifetimeAction::new(KeyRotationPolicyAction::Rotate)
                    .after_create("P30D"),
                KeyRotationLifetimeAction::new(KeyRotationPolicyAction::Notify)
                    .before_expiry("P7D"),
            ])
            .with_expires_in("P90D"),
            None,
        )
        .await
        .expect("policy");
    assert!(policy.updated_on.is_some());
    round_trip("KeyRotationPolicy", &policy);
    let deleted = c.delete_key("kept", fast()).await.expect("delete");
    assert!(deleted.deleted_date.is_some() && deleted.scheduled_purge_date.is_some());
    round_trip("DeletedKey", &deleted);
    round_trip(
        "ReleaseKeyResult",
        &ReleaseKeyResult::new("header.payload.sig"),
    );
    // Times are kept as RFC 3339 text, readable in a cache.
    let json = serde_json::to_value(&deleted.properties).expect("json");
    let created = json["created_on"].as_str().expect("a string");
    assert!(
        OffsetDateTime::parse(created, &time_format()).is_ok(),
        "{created}"
    );
    emu.shutdown().await;
}

fn time_format() -> time::format_description::well_known::Rfc3339 {
    time::format_description::well_known::Rfc3339
}

#[test]
fn fakes_for_tests_start_from_default_or_a_constructor() {
    let mut props = KeyProperties::from_id("https://v.vault.azure.net/keys/fake/0a1b").expect("id");
    assert_eq!(props.name, "fake");
    assert_eq!(props.version.as_deref(), Some("0a1b"));
    assert_eq!(props.vault_url, "https://v.vault.azure.net");
    props.enabled = Some(false);
    let key = KeyVaultKey::new(JsonWebKey::new(KeyType::Ec), props.clone());
    assert_eq!((key.name(), key.key_type()), ("fake", &KeyType::Ec));
    let mut deleted = DeletedKey::default();
    deleted.properties = props;
    assert_eq!(deleted.name(), "fake");
    assert_eq!(deleted.key_type(), None);
    assert_eq!(KeyRotationPolicy::default().lifetime_actions, vec![]);
    assert!(KeyProperties::from_id("not a key id").is_err());
}
