//! Benchmark (not a test): ops/s of the local engine next to the bare
//! aws-lc-rs primitive and `openssl speed`, measured in the same run.
//!
//! ```text
//! cargo run --release -p keyvault-crypto --example bench [-- SECONDS]
//! ```

use std::hint::black_box;
use std::process::Command;
use std::time::{Duration, Instant};

use aws_lc_rs::signature::KeyPair as _;
use keyvault_crypto::*;

fn rate(seconds: f64, mut f: impl FnMut()) -> f64 {
    for _ in 0..10 {
        f();
    }
    let budget = Duration::from_secs_f64(seconds);
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < budget {
        for _ in 0..16 {
            f();
        }
        n += 16;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

/// `openssl speed` figures, parsed from its summary lines.
fn openssl(args: &[&str]) -> Option<String> {
    let out = Command::new("openssl")
        .arg("speed")
        .args(args)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn openssl_rsa2048(seconds: &str) -> Option<(f64, f64)> {
    let text = openssl(&["-seconds", seconds, "rsa2048"])?;
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("rsa 2048 bits"))?;
    let nums: Vec<f64> = line
        .split_whitespace()
        .filter_map(|t| t.parse().ok())
        .collect();
    // "rsa 2048 bits sign/s verify/s ..." → the last two numbers are sign/s and verify/s
    Some((nums[nums.len() - 2], nums[nums.len() - 1]))
}

fn openssl_p256(seconds: &str) -> Option<(f64, f64)> {
    let text = openssl(&["-seconds", seconds, "ecdsap256"])?;
    let line = text.lines().find(|l| l.contains("nistp256"))?;
    let nums: Vec<f64> = line
        .split_whitespace()
        .filter_map(|t| t.parse().ok())
        .collect();
    Some((nums[nums.len() - 2], nums[nums.len() - 1]))
}

fn openssl_gcm_1k(seconds: &str) -> Option<f64> {
    let text = openssl(&["-seconds", seconds, "-bytes", "1024", "-evp", "aes-256-gcm"])?;
    let line = text
        .lines()
        .find(|l| l.starts_with("AES-256-GCM") || l.starts_with("aes-256-gcm"))?;
    let kbps: f64 = line
        .split_whitespace()
        .last()?
        .trim_end_matches('k')
        .parse()
        .ok()?;
    Some(kbps * 1000.0 / 1024.0)
}

fn row(name: &str, ours: f64, bare: Option<f64>, openssl: Option<f64>) {
    let fmt = |v: Option<f64>| {
        v.map(|v| format!("{v:>12.0}"))
            .unwrap_or_else(|| format!("{:>12}", "–"))
    };
    let ratio = |v: Option<f64>| {
        v.map(|v| format!("{:>6.2}", ours / v))
            .unwrap_or_else(|| format!("{:>6}", "–"))
    };
    println!(
        "{name:<28} {:>12.0} {} {} {} {}",
        ours,
        fmt(bare),
        ratio(bare),
        fmt(openssl),
        ratio(openssl)
    );
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let seconds: f64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0);
    let secs_arg = format!("{}", seconds.ceil().max(1.0) as u64);
    println!(
        "local engine vs bare aws-lc-rs vs `openssl speed` ({}), {seconds} s per figure\n",
        String::from_utf8_lossy(&Command::new("openssl").arg("version").output()?.stdout).trim()
    );
    println!(
        "{:<28} {:>12} {:>12} {:>6} {:>12} {:>6}",
        "operation (ops/s)", "engine", "aws-lc-rs", "ratio", "openssl", "ratio"
    );

    let rsa = generate(&KeySpec {
        kty: KeyType::Rsa,
        size: Some(2048),
        curve: None,
        public_exponent: None,
    })?;
    let rsa_key = LocalKey::from_jwk(&rsa)?;
    let der = rsa_key.private_key_der()?;
    let bare_rsa = aws_lc_rs::rsa::KeyPair::from_pkcs8(der.expose()).map_err(|e| e.to_string())?;
    let digest = HashAlgorithm::Sha256.digest(b"benchmark");
    let aws_digest =
        aws_lc_rs::digest::Digest::import_less_safe(&digest, &aws_lc_rs::digest::SHA256)
            .map_err(|e| e.to_string())?;
    let sig = rsa_key.sign(&SignatureAlgorithm::Rs256, &digest)?.signature;
    let ossl_rsa = openssl_rsa2048(&secs_arg);
    let ours = rate(seconds, || {
        black_box(rsa_key.sign(&SignatureAlgorithm::Rs256, &digest).ok());
    });
    let mut buf = vec![0u8; 256];
    let bare = rate(seconds, || {
        black_box(
            bare_rsa
                .sign_digest(
                    &aws_lc_rs::signature::RSA_PKCS1_SHA256,
                    &aws_digest,
                    &mut buf,
                )
                .ok(),
        );
    });
    row(
        "RSA-2048 sign (RS256)",
        ours,
        Some(bare),
        ossl_rsa.map(|r| r.0),
    );
    let public = LocalKey::from_jwk(&rsa.public_only())?;
    let spki = aws_lc_rs::encoding::AsDer::<aws_lc_rs::encoding::PublicKeyX509Der>::as_der(
        bare_rsa.public_key(),
    )
    .map_err(|e| e.to_string())?;
    let bare_pub = aws_lc_rs::signature::UnparsedPublicKey::new(
        &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
        spki.as_ref().to_vec(),
    );
    let ours = rate(seconds, || {
        black_box(
            public
                .verify(&SignatureAlgorithm::Rs256, &digest, &sig)
                .ok(),
        );
    });
    let bare = rate(seconds, || {
        black_box(bare_pub.verify_digest(&aws_digest, &sig).ok());
    });
    row(
        "RSA-2048 verify (RS256)",
        ours,
        Some(bare),
        ossl_rsa.map(|r| r.1),
    );

    let oaep_pub = aws_lc_rs::rsa::OaepPublicEncryptingKey::new(
        aws_lc_rs::rsa::PublicEncryptingKey::from_der(spki.as_ref()).map_err(|e| e.to_string())?,
    )
    .map_err(|e| e.to_string())?;
    let oaep_priv = aws_lc_rs::rsa::OaepPrivateDecryptingKey::new(
        aws_lc_rs::rsa::PrivateDecryptingKey::from_pkcs8(der.expose())
            .map_err(|e| e.to_string())?,
    )
    .map_err(|e| e.to_string())?;
    let p = EncryptParameters::new(EncryptionAlgorithm::RsaOaep256, vec![1u8; 32]);
    let ours = rate(seconds, || {
        black_box(public.encrypt(&p).ok());
    });
    let mut ct = vec![0u8; 256];
    let bare = rate(seconds, || {
        black_box(
            oaep_pub
                .encrypt(
                    &aws_lc_rs::rsa::OAEP_SHA256_MGF1SHA256,
                    &[1u8; 32],
                    &mut ct,
                    None,
                )
                .ok(),
        );
    });
    row("RSA-2048 OAEP-256 encrypt", ours, Some(bare), None);
    let e = public.encrypt(&p)?;
    let d = DecryptParameters::from_encrypt_result(&e);
    let ours = rate(seconds, || {
        black_box(rsa_key.decrypt(&d).ok());
    });
    let mut pt = vec![0u8; 256];
    let bare = rate(seconds, || {
        black_box(
            oaep_priv
                .decrypt(
                    &aws_lc_rs::rsa::OAEP_SHA256_MGF1SHA256,
                    &e.ciphertext,
                    &mut pt,
                    None,
                )
                .ok(),
        );
    });
    row("RSA-2048 OAEP-256 decrypt", ours, Some(bare), None);

    let ec = generate(&KeySpec {
        kty: KeyType::Ec,
        size: None,
        curve: Some(KeyCurveName::P256),
        public_exponent: None,
    })?;
    let ec_key = LocalKey::from_jwk(&ec)?;
    let ec_der = ec_key.private_key_der()?;
    let bare_ec = aws_lc_rs::signature::EcdsaKeyPair::from_pkcs8(
        &aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        ec_der.expose(),
    )
    .map_err(|e| e.to_string())?;
    let ossl_ec = openssl_p256(&secs_arg);
    let ours = rate(seconds, || {
        black_box(ec_key.sign(&SignatureAlgorithm::Es256, &digest).ok());
    });
    let bare = rate(seconds, || {
        black_box(bare_ec.sign_digest(&aws_digest).ok());
    });
    row("ES256 sign", ours, Some(bare), ossl_ec.map(|r| r.0));
    let ec_pub = LocalKey::from_jwk(&ec.public_only())?;
    let ec_sig = ec_key.sign(&SignatureAlgorithm::Es256, &digest)?.signature;
    let bare_ec_pub = aws_lc_rs::signature::UnparsedPublicKey::new(
        &aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED,
        bare_ec.public_key().as_ref().to_vec(),
    );
    let ours = rate(seconds, || {
        black_box(
            ec_pub
                .verify(&SignatureAlgorithm::Es256, &digest, &ec_sig)
                .ok(),
        );
    });
    let bare = rate(seconds, || {
        black_box(bare_ec_pub.verify_digest(&aws_digest, &ec_sig).ok());
    });
    row("ES256 verify", ours, Some(bare), ossl_ec.map(|r| r.1));

    let aes = generate(&KeySpec {
        kty: KeyType::Oct,
        size: Some(256),
        curve: None,
        public_exponent: None,
    })?;
    let aes_key = LocalKey::from_jwk(&aes)?;
    let k = aes.k.clone().ok_or("no k")?;
    let bare_gcm = aws_lc_rs::aead::LessSafeKey::new(
        aws_lc_rs::aead::UnboundKey::new(&aws_lc_rs::aead::AES_256_GCM, k.expose())
            .map_err(|e| e.to_string())?,
    );
    let block = vec![5u8; 1024];
    // A fresh random IV per encryption, as every real caller gets.
    let gp = EncryptParameters::new(EncryptionAlgorithm::A256Gcm, block.clone());
    let ours = rate(seconds, || {
        black_box(aes_key.encrypt(&gp).ok());
    });
    let bare = rate(seconds, || {
        let mut b = block.clone();
        black_box(
            bare_gcm
                .seal_in_place_separate_tag(
                    aws_lc_rs::aead::Nonce::assume_unique_for_key([0u8; 12]),
                    aws_lc_rs::aead::Aad::empty(),
                    &mut b,
                )
                .ok(),
        );
    });
    row(
        "AES-256-GCM encrypt 1 KiB",
        ours,
        Some(bare),
        openssl_gcm_1k(&secs_arg),
    );

    let cek = [3u8; 32];
    let ours = rate(seconds, || {
        black_box(aes_key.wrap_key(&KeyWrapAlgorithm::A256Kw, &cek).ok());
    });
    let bare = rate(seconds, || {
        use aws_lc_rs::key_wrap::KeyWrap as _;
        let kek =
            aws_lc_rs::key_wrap::KeyEncryptionKey::new(&aws_lc_rs::key_wrap::AES_256, k.expose())
                .ok();
        let mut out = [0u8; 40];
        black_box(kek.map(|kek| kek.wrap(&cek, &mut out).is_ok()));
    });
    row("A256KW wrap 32-byte key", ours, Some(bare), None);
    println!(
        "\nratio = engine / baseline (1.00 = as fast). `–`: openssl speed has no such figure."
    );
    Ok(())
}
