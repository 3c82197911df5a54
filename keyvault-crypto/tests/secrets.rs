//! Secret material never reaches `Debug` or `Display` output: every public
//! type of this crate that can hold a plaintext, a private key or an
//! unwrapped key is formatted both ways, and none of the secret's usual
//! spellings (hex, base64, base64url, the decimal byte list) may appear.

use base64::Engine as _;
use keyvault_crypto::*;

/// The spellings of `secret` that must not appear in any output.
fn spellings(secret: &[u8]) -> Vec<String> {
    let hex: String = secret.iter().map(|b| format!("{b:02x}")).collect();
    let decimal = |bytes: &[u8]| {
        bytes
            .iter()
            .map(|b| b.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut out = vec![
        hex.clone(),
        hex.to_uppercase(),
        base64::engine::general_purpose::STANDARD.encode(secret),
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(secret),
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret),
        decimal(secret),
    ];
    // Prefixes too: a truncated dump is still a leak.
    let head = &secret[..secret.len().min(8)];
    out.push(head.iter().map(|b| format!("{b:02x}")).collect());
    out.push(decimal(head));
    out.push(
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&secret[..6.min(secret.len())]),
    );
    out
}

fn assert_no_secret(what: &str, text: &str, secrets: &[Vec<u8>]) {
    for secret in secrets {
        for s in spellings(secret) {
            assert!(
                !text.contains(&s),
                "{what} leaks secret material ({s:?}) in: {text}"
            );
        }
    }
}

macro_rules! check_debug {
    ($secrets:expr, $($v:expr),+ $(,)?) => {
        $( assert_no_secret(stringify!($v), &format!("{:?}", $v), $secrets);
           assert_no_secret(stringify!($v), &format!("{:#?}", $v), $secrets); )+
    };
}

macro_rules! check_display {
    ($secrets:expr, $($v:expr),+ $(,)?) => {
        $( assert_no_secret(stringify!($v), &format!("{}", $v), $secrets); )+
    };
}

/// Distinctive bytes (no long runs of one value, so a match is a real leak).
fn distinctive(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(37).wrapping_add(seed) ^ 0xa5)
        .collect()
}

#[test]
fn no_public_type_prints_secret_material() {
    let plaintext = distinctive(32, 11);
    let cek = distinctive(32, 99);

    // Symmetric key: k, plaintext and unwrapped key.
    let oct = generate(&KeySpec {
        kty: KeyType::Oct,
        size: Some(256),
        curve: None,
        public_exponent: None,
    })
    .expect("oct");
    let k = oct.k.as_ref().expect("k").expose().to_vec();
    let rsa = generate(&KeySpec {
        kty: KeyType::Rsa,
        size: Some(2048),
        curve: None,
        public_exponent: None,
    })
    .expect("rsa");
    let ec = generate(&KeySpec {
        kty: KeyType::Ec,
        size: None,
        curve: Some(KeyCurveName::P256),
        public_exponent: None,
    })
    .expect("ec");
    let mut secrets = vec![plaintext.clone(), cek.clone(), k];
    for m in [&rsa.d, &rsa.p, &rsa.q, &rsa.dp, &rsa.dq, &rsa.qi, &ec.d] {
        secrets.push(m.as_ref().expect("private member").expose().to_vec());
    }

    let key = LocalKey::from_jwk(&oct).expect("key");
    let params = EncryptParameters::new(EncryptionAlgorithm::A256Gcm, plaintext.clone());
    let encrypted = key.encrypt(&params).expect("encrypt");
    let decrypt_params = DecryptParameters::from_encrypt_result(&encrypted);
    let decrypted = key.decrypt(&decrypt_params).expect("decrypt");
    let wrapped = key
        .wrap_key(&KeyWrapAlgorithm::A256KwPad, &cek)
        .expect("wrap");
    let unwrapped = key
        .unwrap_key(&KeyWrapAlgorithm::A256KwPad, &wrapped.encrypted_key)
        .expect("unwrap");
    let rsa_key = LocalKey::from_jwk(&rsa).expect("rsa key");
    let rsa_plain = rsa_key
        .decrypt(&DecryptParameters::from_encrypt_result(
            &rsa_key
                .encrypt(&EncryptParameters::new(
                    EncryptionAlgorithm::RsaOaep256,
                    plaintext.clone(),
                ))
                .expect("rsa encrypt"),
        ))
        .expect("rsa decrypt");
    let der = rsa_key.private_key_der().expect("der");
    // The DER's tail is the CRT coefficient (its head is public: version, n, e).
    let tail = der.expose().len() - 64;
    secrets.push(der.expose()[tail..].to_vec());
    let ec_der = LocalKey::from_jwk(&ec)
        .expect("ec key")
        .private_key_der()
        .expect("ec der");
    let client = CryptographyClient::from_jwk(rsa.clone()).expect("client");
    let secret = SecretBytes::from_slice(&cek);

    check_debug!(
        &secrets,
        params,
        decrypted,
        rsa_plain,
        unwrapped,
        unwrapped.key,
        oct,
        rsa,
        ec,
        key,
        rsa_key,
        der,
        ec_der,
        client,
        secret,
        Some(decrypted.clone()),
    );
    // Serialising writes the secret (explicitly asked for); a result read
    // back from it is still redacted in Debug.
    let decrypted_json = serde_json::to_string(&decrypted).expect("ser decrypted");
    let unwrapped_json = serde_json::to_string(&unwrapped).expect("ser unwrapped");
    assert!(
        decrypted_json
            .contains(&base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&plaintext))
    );
    assert!(
        unwrapped_json.contains(&base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&cek))
    );
    let decrypted_back: DecryptResult =
        serde_json::from_str(&decrypted_json).expect("de decrypted");
    let unwrapped_back: UnwrapResult = serde_json::from_str(&unwrapped_json).expect("de unwrapped");
    assert_eq!(decrypted_back.plaintext, plaintext);
    assert_eq!(unwrapped_back.key, cek);
    check_debug!(
        &secrets,
        decrypted_back,
        decrypted_back.plaintext,
        unwrapped_back,
        unwrapped_back.key,
        Some(unwrapped_back.clone()),
    );
    // Types with Display: the error a failed operation gives.
    let err = key.decrypt(&DecryptParameters::new(
        EncryptionAlgorithm::A256Gcm,
        plaintext.clone(),
    ));
    let err = err.expect_err("no iv");
    check_debug!(&secrets, err);
    check_display!(&secrets, err);
}
