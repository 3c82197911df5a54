//! The operation results as models: built with their constructors from
//! outside the crate (they are `#[non_exhaustive]`), and round-tripped
//! through serde unchanged, byte strings as base64url.

use keyvault_crypto::*;
use serde::{Serialize, de::DeserializeOwned};

const KID: &str = "https://v.vault.azure.net/keys/k/0123456789abcdef";

/// Serialises `v`, reads it back, and checks nothing changed.
fn round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(v: &T) -> String {
    let json = serde_json::to_string(v).expect("serialise");
    let back: T = serde_json::from_str(&json).expect("deserialise");
    assert_eq!(&back, v, "round trip through {json}");
    json
}

#[test]
fn encrypt_result_round_trips_with_every_field() {
    let full = EncryptResult::new(EncryptionAlgorithm::A256Gcm, vec![0xfb, 0xff, 0x01])
        .with_key_id(KID)
        .with_iv(vec![7; 12])
        .with_tag(vec![9; 16])
        .with_aad(b"context".to_vec());
    assert_eq!(full.key_id.as_deref(), Some(KID));
    assert_eq!(full.iv.as_deref(), Some(&[7; 12][..]));
    let json = round_trip(&full);
    let value: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert_eq!(value["algorithm"], "A256GCM");
    assert_eq!(value["ciphertext"], "-_8B", "base64url, unpadded");
    assert_eq!(value["additional_authenticated_data"], "Y29udGV4dA");

    let bare = EncryptResult::new(EncryptionAlgorithm::RsaOaep, vec![1, 2, 3]);
    assert_eq!(
        round_trip(&bare),
        r#"{"key_id":null,"algorithm":"RSA-OAEP","ciphertext":"AQID","iv":null,"authentication_tag":null,"additional_authenticated_data":null}"#
    );
    // Absent options may be left out, and either base64 alphabet is read.
    let lean: EncryptResult =
        serde_json::from_str(r#"{"algorithm":"RSA-OAEP","ciphertext":"+/8B"}"#).expect("lean");
    assert_eq!(
        lean,
        EncryptResult::new(EncryptionAlgorithm::RsaOaep, vec![0xfb, 0xff, 0x01])
    );
}

#[test]
fn decrypt_result_round_trips() {
    let r = DecryptResult::new(EncryptionAlgorithm::A128CbcPad, b"plain text".to_vec())
        .with_key_id(KID);
    let json = round_trip(&r);
    assert!(json.contains(r#""plaintext":"cGxhaW4gdGV4dA""#), "{json}");
}

#[test]
fn wrap_result_round_trips() {
    let r = WrapResult::new(KeyWrapAlgorithm::A256Kw, vec![0xaa; 40]).with_key_id(KID);
    round_trip(&r);
    round_trip(&WrapResult::new(KeyWrapAlgorithm::RsaOaep256, vec![1]));
}

#[test]
fn unwrap_result_round_trips() {
    let r = UnwrapResult::new(KeyWrapAlgorithm::A256KwPad, vec![0x5a; 32]).with_key_id(KID);
    assert_eq!(r.key, [0x5a; 32]);
    round_trip(&r);
}

#[test]
fn sign_result_round_trips() {
    let r = SignResult::new(SignatureAlgorithm::Es256, vec![3; 64]).with_key_id(KID);
    round_trip(&r);
}

#[test]
fn verify_result_round_trips() {
    for valid in [true, false] {
        let r = VerifyResult::new(SignatureAlgorithm::Ps512, valid).with_key_id(KID);
        assert_eq!(r.is_valid, valid);
        let json = round_trip(&r);
        assert!(json.contains(&format!(r#""is_valid":{valid}"#)), "{json}");
    }
}

#[test]
fn engine_results_round_trip_and_still_work() {
    let jwk = generate(&KeySpec {
        kty: KeyType::Oct,
        size: Some(256),
        curve: None,
        public_exponent: None,
    })
    .expect("oct");
    let key = LocalKey::from_jwk(&jwk).expect("key");
    let encrypted = key
        .encrypt(
            &EncryptParameters::new(EncryptionAlgorithm::A256Gcm, b"hello".to_vec())
                .with_aad(b"a".to_vec()),
        )
        .expect("encrypt");
    round_trip(&encrypted);
    // A stored-then-loaded result still decrypts.
    let loaded: EncryptResult =
        serde_json::from_str(&serde_json::to_string(&encrypted).expect("ser")).expect("de");
    let decrypted = key
        .decrypt(&DecryptParameters::from_encrypt_result(&loaded))
        .expect("decrypt");
    assert_eq!(decrypted.plaintext, b"hello");
    round_trip(&decrypted);
    let wrapped = key
        .wrap_key(&KeyWrapAlgorithm::A256Kw, &[0x11; 32])
        .expect("wrap");
    round_trip(&wrapped);
    let unwrapped = key
        .unwrap_key(&KeyWrapAlgorithm::A256Kw, &wrapped.encrypted_key)
        .expect("unwrap");
    round_trip(&unwrapped);
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    for json in [
        r#"{"algorithm":"RSA-OAEP","ciphertext":"!!"}"#,
        r#"{"algorithm":"RSA-OAEP","ciphertext":7}"#,
        r#"{"algorithm":"RSA-OAEP"}"#,
        r#"{"algorithm":"RSA-OAEP","ciphertext":"AQID","iv":"%"}"#,
    ] {
        assert!(
            serde_json::from_str::<EncryptResult>(json).is_err(),
            "{json}"
        );
    }
    // An algorithm from a newer service is kept, not refused.
    let r: SignResult =
        serde_json::from_str(r#"{"algorithm":"FUTURE-ALG","signature":"AQ"}"#).expect("future");
    assert_eq!(r.algorithm.as_str(), "FUTURE-ALG");
    round_trip(&r);
    // A secret that is not base64url: the error names no byte of it.
    let err =
        serde_json::from_str::<DecryptResult>(r#"{"algorithm":"RSA-OAEP","plaintext":"se!cret"}"#)
            .expect_err("not base64url");
    let text = err.to_string();
    assert!(text.contains("a secret that is not base64url"), "{text}");
    assert!(!text.contains("se!") && !text.contains("offset"), "{text}");
}
