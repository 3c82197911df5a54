//! Our local engine against Python `cryptography` (OpenSSL), both ways, for
//! every algorithm: what we encrypt, wrap or sign, it decrypts, unwraps or
//! verifies; what it produces, we decrypt, unwrap or verify.

use std::io::Write as _;
use std::process::{Command, Stdio};

use keyvault_crypto::*;
use keyvault_tests::{python, workspace_root};
use serde_json::{Value, json};

fn key(kty: KeyType, size: Option<u32>, curve: Option<KeyCurveName>) -> JsonWebKey {
    generate(&KeySpec {
        kty,
        size,
        curve,
        public_exponent: None,
    })
    .expect("key")
}

#[test]
fn every_algorithm_round_trips_with_python_cryptography() {
    let mut keys = serde_json::Map::new();
    let mut locals = std::collections::HashMap::new();
    let mut add = |name: &str, jwk: JsonWebKey| {
        keys.insert(name.to_owned(), serde_json::to_value(&jwk).expect("jwk"));
        locals.insert(name.to_owned(), LocalKey::from_jwk(&jwk).expect("local"));
    };
    add("rsa", key(KeyType::Rsa, Some(2048), None));
    add("ec256", key(KeyType::Ec, None, Some(KeyCurveName::P256)));
    add("ec256k", key(KeyType::Ec, None, Some(KeyCurveName::P256K)));
    add("ec384", key(KeyType::Ec, None, Some(KeyCurveName::P384)));
    add("ec521", key(KeyType::Ec, None, Some(KeyCurveName::P521)));
    for bits in [128, 192, 256] {
        add(&format!("aes{bits}"), key(KeyType::Oct, Some(bits), None));
    }
    let data = b"thirty-two bytes of test input!!".to_vec();
    let mut ours = Vec::new();
    let mut cases = 0;
    let push_encrypt = |key: &str, alg: &str, ours: &mut Vec<Value>| {
        let r = locals[key]
            .encrypt(
                &EncryptParameters::new(EncryptionAlgorithm::parse(alg), data.clone())
                    .with_aad(b"aad".to_vec()),
            )
            .expect(alg);
        let mut v = json!({"alg": alg, "kind": "encrypt", "key": key, "input": b64::encode(&data), "output": b64::encode(&r.ciphertext)});
        if let Some(iv) = &r.iv {
            v["iv"] = json!(b64::encode(iv));
        }
        if let Some(tag) = &r.authentication_tag {
            v["tag"] = json!(b64::encode(tag));
            v["aad"] = json!(b64::encode(b"aad"));
        }
        ours.push(v);
    };
    for alg in ["RSA-OAEP", "RSA-OAEP-256", "RSA1_5"] {
        push_encrypt("rsa", alg, &mut ours);
    }
    for bits in [128, 192, 256] {
        for mode in ["GCM", "CBC", "CBCPAD"] {
            push_encrypt(&format!("aes{bits}"), &format!("A{bits}{mode}"), &mut ours);
        }
    }
    let push_wrap = |key: &str, alg: &str, ours: &mut Vec<Value>| {
        let r = locals[key]
            .wrap_key(&KeyWrapAlgorithm::parse(alg), &data)
            .expect(alg);
        ours.push(json!({"alg": alg, "kind": "wrap", "key": key, "input": b64::encode(&data), "output": b64::encode(&r.encrypted_key)}));
    };
    for alg in ["RSA-OAEP", "RSA-OAEP-256", "RSA1_5"] {
        push_wrap("rsa", alg, &mut ours);
    }
    for bits in [128, 192, 256] {
        for alg in [
            format!("A{bits}KW"),
            format!("A{bits}KWPAD"),
            "CKM_AES_KEY_WRAP".to_owned(),
            "CKM_AES_KEY_WRAP_PAD".to_owned(),
        ] {
            push_wrap(&format!("aes{bits}"), &alg, &mut ours);
        }
    }
    let push_sign = |key: &str, alg: &str, ours: &mut Vec<Value>| {
        let a = SignatureAlgorithm::parse(alg);
        let digest = a.hash().expect("hash").digest(b"our message");
        let r = locals[key].sign(&a, &digest).expect(alg);
        ours.push(json!({"alg": alg, "kind": "sign", "key": key, "input": b64::encode(&digest), "output": b64::encode(&r.signature)}));
    };
    for alg in ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"] {
        push_sign("rsa", alg, &mut ours);
    }
    for (key, alg) in [
        ("ec256", "ES256"),
        ("ec256k", "ES256K"),
        ("ec384", "ES384"),
        ("ec521", "ES512"),
        ("aes256", "HS256"),
        ("aes256", "HS384"),
        ("aes256", "HS512"),
    ] {
        push_sign(key, alg, &mut ours);
    }
    // Key export wrapping (release): CKM_RSA_AES_KEY_WRAP and friends.
    let rsa_jwk: JsonWebKey = serde_json::from_value(keys["rsa"].clone()).expect("jwk");
    for alg in [
        "CKM_RSA_AES_KEY_WRAP",
        "RSA_AES_KEY_WRAP_256",
        "RSA_AES_KEY_WRAP_384",
    ] {
        let blob = rsa_aes_key_wrap(&rsa_jwk, &KeyExportEncryptionAlgorithm::parse(alg), &data)
            .expect(alg);
        ours.push(json!({"alg": alg, "kind": "export", "key": "rsa", "input": b64::encode(&data), "output": b64::encode(&blob)}));
    }
    cases += ours.len();

    let mut child = Command::new(python().expect("python"))
        .arg(workspace_root().join("tests/python/crosscheck.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python");
    let input = json!({"keys": keys, "ours": ours}).to_string();
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    assert!(
        out.status.success(),
        "crosscheck.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("report");
    assert_eq!(report["checked"].as_u64(), Some(cases as u64));
    assert_eq!(
        report["failures"],
        json!([]),
        "cryptography rejected our outputs"
    );

    // Now what cryptography produced, checked by us.
    let theirs = report["theirs"].as_array().expect("theirs");
    assert!(theirs.len() >= 40, "{} cases from Python", theirs.len());
    let bytes = |v: &Value| b64::decode(v.as_str().expect("string")).expect("b64");
    let mut failures = Vec::new();
    for case in theirs {
        let (alg, kind, key) = (
            case["alg"].as_str().expect("alg"),
            case["kind"].as_str().expect("kind"),
            &locals[case["key"].as_str().expect("key")],
        );
        let (input, output) = (bytes(&case["input"]), bytes(&case["output"]));
        let ok = match kind {
            "encrypt" => {
                let mut p = DecryptParameters::new(EncryptionAlgorithm::parse(alg), output);
                p.iv = case.get("iv").map(bytes);
                p.authentication_tag = case.get("tag").map(bytes);
                p.additional_authenticated_data = case.get("aad").map(bytes);
                key.decrypt(&p).is_ok_and(|r| r.plaintext == input)
            }
            "wrap" => key
                .unwrap_key(&KeyWrapAlgorithm::parse(alg), &output)
                .is_ok_and(|r| r.key.expose() == &input[..]),
            "sign" => key
                .verify(&SignatureAlgorithm::parse(alg), &input, &output)
                .is_ok_and(|r| r.is_valid),
            _ => false,
        };
        if !ok {
            failures.push(format!("{alg}/{kind}"));
        }
    }
    println!(
        "python cryptography: checked {cases} of our outputs, we checked {} of theirs",
        theirs.len()
    );
    assert!(
        failures.is_empty(),
        "we rejected cryptography's outputs: {failures:?}"
    );
}
