//! Wycheproof vectors against the local engine, for every group that
//! matches a Key Vault algorithm. Valid vectors must pass, invalid ones must
//! fail; "acceptable" ones may go either way. Counts per set are printed
//! (`cargo test -p keyvault-crypto --test wycheproof -- --nocapture`).

use keyvault_crypto::*;
use wycheproof::TestResult;

#[derive(Default)]
struct Tally {
    valid: usize,
    invalid: usize,
    acceptable: usize,
    skipped: usize,
    failures: Vec<String>,
}

impl Tally {
    fn record(&mut self, set: &str, tc: usize, expected: TestResult, passed: bool) {
        match expected {
            TestResult::Valid if passed => self.valid += 1,
            TestResult::Invalid if !passed => self.invalid += 1,
            TestResult::Acceptable => self.acceptable += 1,
            _ => self.failures.push(format!(
                "{set} tcId {tc}: expected {expected:?}, got {}",
                if passed { "accepted" } else { "rejected" }
            )),
        }
    }
    fn report(&self, set: &str) {
        println!(
            "{set:<36} valid accepted {:>4}  invalid rejected {:>4}  acceptable {:>3}  skipped {:>3}  failures {}",
            self.valid,
            self.invalid,
            self.acceptable,
            self.skipped,
            self.failures.len()
        );
    }
}

fn finish(set: &str, t: Tally) {
    t.report(set);
    assert!(t.valid + t.invalid > 0, "{set}: no vector was run");
    assert!(t.failures.is_empty(), "{set}:\n{}", t.failures.join("\n"));
}

fn hash_of(h: wycheproof::HashFunction) -> Option<HashAlgorithm> {
    match h {
        wycheproof::HashFunction::Sha2_256 => Some(HashAlgorithm::Sha256),
        wycheproof::HashFunction::Sha2_384 => Some(HashAlgorithm::Sha384),
        wycheproof::HashFunction::Sha2_512 => Some(HashAlgorithm::Sha512),
        _ => None,
    }
}

fn rsa_public(n: &[u8], e: &[u8]) -> JsonWebKey {
    let mut jwk = JsonWebKey::new(KeyType::Rsa);
    jwk.n = Some(n.to_vec());
    jwk.e = Some(e.to_vec());
    jwk
}

fn rsa_private(k: &wycheproof::RsaPrivate) -> JsonWebKey {
    let mut jwk = rsa_public(&k.n, &k.e);
    jwk.d = Some(SecretBytes::from_slice(&k.d));
    jwk.p = Some(SecretBytes::from_slice(&k.p));
    jwk.q = Some(SecretBytes::from_slice(&k.q));
    jwk.dp = Some(SecretBytes::from_slice(&k.d1));
    jwk.dq = Some(SecretBytes::from_slice(&k.d2));
    jwk.qi = Some(SecretBytes::from_slice(&k.c));
    jwk
}

fn oct(key: &[u8]) -> Option<LocalKey> {
    let mut jwk = JsonWebKey::new(KeyType::Oct);
    jwk.k = Some(SecretBytes::from_slice(key));
    LocalKey::from_jwk(&jwk).ok()
}

#[test]
fn ecdsa_p1363() {
    use wycheproof::ecdsa::{TestName, TestSet};
    for (name, curve, alg) in [
        (
            TestName::EcdsaSecp256r1Sha256P1363,
            KeyCurveName::P256,
            SignatureAlgorithm::Es256,
        ),
        (
            TestName::EcdsaSecp384r1Sha384P1363,
            KeyCurveName::P384,
            SignatureAlgorithm::Es384,
        ),
        (
            TestName::EcdsaSecp521r1Sha512P1363,
            KeyCurveName::P521,
            SignatureAlgorithm::Es512,
        ),
        (
            TestName::EcdsaSecp256k1Sha256P1363,
            KeyCurveName::P256K,
            SignatureAlgorithm::Es256K,
        ),
    ] {
        let set_name = format!("{name:?}");
        let set = TestSet::load(name).expect("load");
        let mut t = Tally::default();
        let hash = alg.hash().expect("hash");
        for g in &set.test_groups {
            let point: &[u8] = &g.key.key;
            let len = keyvault_crypto::rules::curve(&curve)
                .expect("len")
                .coordinate_len;
            let mut jwk = JsonWebKey::new(KeyType::Ec);
            jwk.crv = Some(curve.clone());
            jwk.x = Some(point[1..1 + len].to_vec());
            jwk.y = Some(point[1 + len..].to_vec());
            let key = LocalKey::from_jwk(&jwk).expect("key");
            for tc in &g.tests {
                let ok = key
                    .verify(&alg, &hash.digest(&tc.msg), &tc.sig)
                    .map(|r| r.is_valid)
                    .unwrap_or(false);
                t.record(&set_name, tc.tc_id, tc.result, ok);
            }
        }
        finish(&set_name, t);
    }
}

#[test]
fn rsa_pkcs1_signatures() {
    use wycheproof::rsa_pkcs1_verify::{TestName, TestSet};
    for name in [
        TestName::Rsa2048Sha256,
        TestName::Rsa2048Sha384,
        TestName::Rsa2048Sha512,
        TestName::Rsa3072Sha256,
        TestName::Rsa3072Sha384,
        TestName::Rsa3072Sha512,
        TestName::Rsa4096Sha256,
        TestName::Rsa4096Sha384,
        TestName::Rsa4096Sha512,
    ] {
        let set_name = format!("{name:?}");
        let set = TestSet::load(name).expect("load");
        let mut t = Tally::default();
        for g in &set.test_groups {
            let Some(hash) = hash_of(g.hash) else {
                continue;
            };
            let alg = match hash {
                HashAlgorithm::Sha256 => SignatureAlgorithm::Rs256,
                HashAlgorithm::Sha384 => SignatureAlgorithm::Rs384,
                HashAlgorithm::Sha512 => SignatureAlgorithm::Rs512,
            };
            let key = LocalKey::from_jwk(&rsa_public(&g.key.n, &g.key.e)).expect("key");
            for tc in &g.tests {
                let ok = key
                    .verify(&alg, &hash.digest(&tc.msg), &tc.sig)
                    .map(|r| r.is_valid)
                    .unwrap_or(false);
                t.record(&set_name, tc.tc_id, tc.result, ok);
            }
        }
        finish(&set_name, t);
    }
}

#[test]
fn rsa_pss_signatures_with_salt_equal_to_hash_length() {
    use wycheproof::rsa_pss_verify::{TestName, TestSet};
    for name in [
        TestName::RsaPss2048Sha256Mgf1SaltLen32,
        TestName::RsaPss3072Sha256Mgf1SaltLen32,
        TestName::RsaPss4096Sha256Mgf1SaltLen32,
        TestName::RsaPss2048Sha384Mgf1SaltLen48,
        TestName::RsaPss4096Sha384Mgf1SaltLen48,
        TestName::RsaPss4096Sha512Mgf1SaltLen64,
    ] {
        let set_name = format!("{name:?}");
        let set = TestSet::load(name).expect("load");
        let mut t = Tally::default();
        for g in &set.test_groups {
            let Some(hash) = hash_of(g.hash) else {
                continue;
            };
            if g.salt_size != hash.len() || g.mgf_hash.and_then(hash_of) != Some(hash) {
                t.skipped += g.tests.len();
                continue;
            }
            let alg = match hash {
                HashAlgorithm::Sha256 => SignatureAlgorithm::Ps256,
                HashAlgorithm::Sha384 => SignatureAlgorithm::Ps384,
                HashAlgorithm::Sha512 => SignatureAlgorithm::Ps512,
            };
            let key = LocalKey::from_jwk(&rsa_public(&g.key.n, &g.key.e)).expect("key");
            for tc in &g.tests {
                let ok = key
                    .verify(&alg, &hash.digest(&tc.msg), &tc.sig)
                    .map(|r| r.is_valid)
                    .unwrap_or(false);
                t.record(&set_name, tc.tc_id, tc.result, ok);
            }
        }
        finish(&set_name, t);
    }
}

#[test]
fn rsa_oaep_decryption() {
    use wycheproof::rsa_oaep::{TestName, TestSet};
    for (name, alg) in [
        (TestName::Rsa2048Sha1Mgf1Sha1, EncryptionAlgorithm::RsaOaep),
        (
            TestName::Rsa2048Sha256Mgf1Sha256,
            EncryptionAlgorithm::RsaOaep256,
        ),
        (
            TestName::Rsa3072Sha256Mgf1Sha256,
            EncryptionAlgorithm::RsaOaep256,
        ),
        (
            TestName::Rsa4096Sha256Mgf1Sha256,
            EncryptionAlgorithm::RsaOaep256,
        ),
    ] {
        let set_name = format!("{name:?}");
        let set = TestSet::load(name).expect("load");
        let mut t = Tally::default();
        for g in &set.test_groups {
            let key = LocalKey::from_jwk(&rsa_private(&g.key)).expect("key");
            for tc in &g.tests {
                if !tc.label.is_empty() {
                    t.skipped += 1; // Key Vault's OAEP has no label
                    continue;
                }
                let r = key.decrypt(&DecryptParameters::new(alg.clone(), tc.ct.to_vec()));
                let ok = r.is_ok_and(|r| r.plaintext == *tc.pt);
                t.record(&set_name, tc.tc_id, tc.result, ok);
            }
        }
        finish(&set_name, t);
    }
}

#[test]
fn rsa_pkcs1_decryption() {
    use wycheproof::rsa_pkcs1_decrypt::{TestName, TestSet};
    for name in [TestName::Rsa2048, TestName::Rsa3072, TestName::Rsa4096] {
        let set_name = format!("RsaPkcs1Decrypt{name:?}");
        let set = TestSet::load(name).expect("load");
        let mut t = Tally::default();
        for g in &set.test_groups {
            let key = LocalKey::from_jwk(&rsa_private(&g.key)).expect("key");
            for tc in &g.tests {
                let r = key.decrypt(&DecryptParameters::new(
                    EncryptionAlgorithm::Rsa15,
                    tc.ct.to_vec(),
                ));
                let ok = r.is_ok_and(|r| r.plaintext == *tc.pt);
                t.record(&set_name, tc.tc_id, tc.result, ok);
            }
        }
        finish(&set_name, t);
    }
}

#[test]
fn aes_gcm() {
    use wycheproof::aead::{TestName, TestSet};
    let set = TestSet::load(TestName::AesGcm).expect("load");
    let mut t = Tally::default();
    for g in &set.test_groups {
        if g.nonce_size != 96 || g.tag_size != 128 || ![128, 192, 256].contains(&g.key_size) {
            t.skipped += g.tests.len();
            continue;
        }
        let alg = EncryptionAlgorithm::parse(&format!("A{}GCM", g.key_size));
        for tc in &g.tests {
            let Some(key) = oct(&tc.key) else {
                t.skipped += 1;
                continue;
            };
            let opened = key
                .decrypt(
                    &DecryptParameters::new(alg.clone(), tc.ct.to_vec())
                        .with_iv(tc.nonce.to_vec())
                        .with_aad(tc.aad.to_vec())
                        .with_tag(tc.tag.to_vec()),
                )
                .is_ok_and(|r| r.plaintext == *tc.pt);
            let sealed = key
                .encrypt(
                    &EncryptParameters::new(alg.clone(), tc.pt.to_vec())
                        .with_gcm_iv_for_interop_tests(tc.nonce.to_vec())
                        .with_aad(tc.aad.to_vec()),
                )
                .is_ok_and(|r| {
                    r.ciphertext == *tc.ct && r.authentication_tag.as_deref() == Some(&tc.tag[..])
                });
            let ok = if tc.result == TestResult::Valid {
                opened && sealed
            } else {
                opened
            };
            t.record("AesGcm", tc.tc_id, tc.result, ok);
        }
    }
    finish("AesGcm (96-bit IV, 128-bit tag)", t);
}

#[test]
fn aes_key_wrap_and_key_wrap_with_padding() {
    use wycheproof::keywrap::{TestName, TestSet};
    for (name, padded) in [
        (TestName::AesKeyWrap, false),
        (TestName::AesKeyWrapWithPadding, true),
    ] {
        let set_name = format!("{name:?}");
        let set = TestSet::load(name).expect("load");
        let mut per_size: std::collections::BTreeMap<usize, usize> = Default::default();
        let mut t = Tally::default();
        for g in &set.test_groups {
            let alg = KeyWrapAlgorithm::parse(&format!(
                "A{}KW{}",
                g.key_size,
                if padded { "PAD" } else { "" }
            ));
            for tc in &g.tests {
                let Some(key) = oct(&tc.key) else {
                    t.skipped += 1;
                    continue;
                };
                *per_size.entry(g.key_size).or_default() += 1;
                let unwrapped = key
                    .unwrap_key(&alg, &tc.ct)
                    .is_ok_and(|r| r.key.expose() == &tc.pt[..]);
                let ok = if tc.result == TestResult::Valid {
                    unwrapped
                        && key
                            .wrap_key(&alg, &tc.pt)
                            .is_ok_and(|r| r.encrypted_key == *tc.ct)
                } else {
                    unwrapped
                };
                t.record(&set_name, tc.tc_id, tc.result, ok);
            }
        }
        println!("{set_name:<36} vectors per key size {per_size:?}");
        assert!(per_size.contains_key(&192), "the 192-bit groups ran");
        finish(&set_name, t);
    }
}

#[test]
fn aes_cbc_pkcs5() {
    use wycheproof::cipher::{TestName, TestSet};
    let set = TestSet::load(TestName::AesCbcPkcs5).expect("load");
    let mut t = Tally::default();
    for g in &set.test_groups {
        let alg = EncryptionAlgorithm::parse(&format!("A{}CBCPAD", g.key_size));
        for tc in &g.tests {
            let Some(key) = oct(&tc.key) else {
                t.skipped += 1;
                continue;
            };
            let decrypted = key
                .decrypt(
                    &DecryptParameters::new(alg.clone(), tc.ct.to_vec()).with_iv(tc.nonce.to_vec()),
                )
                .is_ok_and(|r| r.plaintext == *tc.pt);
            let ok = if tc.result == TestResult::Valid {
                decrypted
                    && key
                        .encrypt(
                            &EncryptParameters::new(alg.clone(), tc.pt.to_vec())
                                .with_iv(tc.nonce.to_vec()),
                        )
                        .is_ok_and(|r| r.ciphertext == *tc.ct)
            } else {
                decrypted
            };
            t.record("AesCbcPkcs5", tc.tc_id, tc.result, ok);
        }
    }
    finish("AesCbcPkcs5", t);
}

#[test]
fn hmac() {
    use wycheproof::mac::{TestName, TestSet};
    for (name, alg, full) in [
        (TestName::HmacSha256, SignatureAlgorithm::Hs256, 256),
        (TestName::HmacSha384, SignatureAlgorithm::Hs384, 384),
        (TestName::HmacSha512, SignatureAlgorithm::Hs512, 512),
    ] {
        let set_name = format!("{name:?}");
        let set = TestSet::load(name).expect("load");
        let mut t = Tally::default();
        for g in &set.test_groups {
            if g.tag_size != full || ![128, 192, 256].contains(&g.key_size) {
                t.skipped += g.tests.len();
                continue;
            }
            for tc in &g.tests {
                let Some(key) = oct(&tc.key) else {
                    t.skipped += 1;
                    continue;
                };
                let ok = key
                    .verify(&alg, &tc.msg, &tc.tag)
                    .map(|r| r.is_valid)
                    .unwrap_or(false);
                t.record(&set_name, tc.tc_id, tc.result, ok);
            }
        }
        finish(&set_name, t);
    }
}
