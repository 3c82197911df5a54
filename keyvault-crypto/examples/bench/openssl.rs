//! `openssl speed` figures for the cases it has (RSA PKCS#1 and ECDSA sign
//! and verify, AES-256-GCM and HMAC-SHA256 throughput), parsed from its
//! summary lines. Only run with `--openssl`: it takes seconds per figure.

use std::process::Command;

/// Which `openssl speed` figure a case compares with.
pub enum Query {
    /// `rsaBITS`: sign/s (`verify` false) or verify/s.
    Rsa { bits: u32, verify: bool },
    /// `ecdsapBITS` on NIST P-BITS: sign/s or verify/s.
    Ecdsa { bits: u32, verify: bool },
    /// `-evp aes-256-gcm` over `bytes`-byte blocks, in operations/s.
    Aes256Gcm { bytes: usize },
    /// `-hmac sha256` over `bytes`-byte inputs, in operations/s.
    HmacSha256 { bytes: usize },
}

/// `openssl version`, or a note that there is none.
pub fn version() -> String {
    Command::new("openssl")
        .arg("version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "no openssl found".into())
}

fn speed(args: &[String]) -> Option<String> {
    let out = Command::new("openssl")
        .arg("speed")
        .args(args)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn numbers(line: &str) -> Vec<f64> {
    line.split_whitespace()
        .filter_map(|t| t.parse().ok())
        .collect()
}

/// The last two numbers of a sign/verify summary line.
fn sign_verify(line: &str, verify: bool) -> Option<f64> {
    let n = numbers(line);
    let (sign, ver) = (n.get(n.len().checked_sub(2)?)?, n.last()?);
    Some(if verify { *ver } else { *sign })
}

/// The last figure of a throughput line ("…k" = 1000s of bytes per second).
fn throughput(text: &str, prefix: &str, bytes: usize) -> Option<f64> {
    let line = text
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with(prefix))?;
    let kbps: f64 = line
        .split_whitespace()
        .last()?
        .trim_end_matches('k')
        .parse()
        .ok()?;
    Some(kbps * 1000.0 / bytes as f64)
}

impl Query {
    /// Runs `openssl speed` for `seconds` and returns operations/s.
    pub fn run(&self, seconds: u32) -> Option<f64> {
        let mut args = vec!["-seconds".to_owned(), seconds.to_string()];
        match self {
            Query::Rsa { bits, verify } => {
                args.push(format!("rsa{bits}"));
                let text = speed(&args)?;
                let tag = format!("rsa {bits} bits");
                let line = text.lines().find(|l| l.trim_start().starts_with(&tag))?;
                sign_verify(line, *verify)
            }
            Query::Ecdsa { bits, verify } => {
                args.push(format!("ecdsap{bits}"));
                let text = speed(&args)?;
                let tag = format!("nistp{bits}");
                let line = text.lines().find(|l| l.contains(&tag))?;
                sign_verify(line, *verify)
            }
            Query::Aes256Gcm { bytes } => {
                args.extend(["-bytes".into(), bytes.to_string()]);
                args.extend(["-evp".into(), "aes-256-gcm".into()]);
                throughput(&speed(&args)?, "aes-256-gcm", *bytes)
            }
            Query::HmacSha256 { bytes } => {
                args.extend(["-bytes".into(), bytes.to_string()]);
                args.extend(["-hmac".into(), "sha256".into()]);
                throughput(&speed(&args)?, "hmac(sha256)", *bytes)
            }
        }
    }
}
