//! P1, local crypto: the engine vs bare aws-lc-rs (the crypto crate's
//! `bench` example in `--json` mode) vs `openssl speed` where it has the
//! figure.

use std::process::Command;

use anyhow::{Context, Result};
use serde_json::{Value, json};

use super::report::{num, table};
use super::{Ctx, Part};

/// One line of the engine bench: `{"case", "engine_ops_per_s", "bare_ops_per_s", "ratio"}`.
#[derive(Clone, Debug, PartialEq)]
pub struct Case {
    /// What was measured (`RSA-2048 sign (RS256)`, `AES-256-GCM encrypt 1 KiB`, …).
    pub case: String,
    /// The engine's rate.
    pub engine: f64,
    /// Bare aws-lc-rs's rate.
    pub bare: Option<f64>,
    /// engine/bare as the example measured it (the median of interleaved
    /// rounds' ratios, steadier than a ratio of medians on a noisy machine).
    pub ratio: Option<f64>,
}

/// The engine bench's JSON lines (other lines are ignored).
pub fn parse_engine_lines(stdout: &str) -> Vec<Case> {
    stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l.trim()).ok())
        .filter_map(|v| {
            Some(Case {
                case: v.get("case")?.as_str()?.to_owned(),
                engine: v.get("engine_ops_per_s")?.as_f64()?,
                bare: v.get("bare_ops_per_s").and_then(Value::as_f64),
                ratio: v.get("ratio").and_then(Value::as_f64),
            })
        })
        .collect()
}

/// Which `openssl speed` figure (see [`parse_openssl`]) a case matches, if any:
/// RSA PKCS#1 v1.5 sign/verify (RS256), ECDSA P-256/P-384 (ES256/ES384) and
/// AES-256-GCM encryption at a size. PS256, OAEP, key wrap and HMAC have none.
pub fn openssl_key_for_case(case: &str) -> Option<String> {
    let c = case.to_ascii_lowercase();
    let squeezed: String = c.chars().filter(|ch| !ch.is_whitespace()).collect();
    let op = if c.contains("verify") {
        "verify"
    } else if c.contains("sign") {
        "sign"
    } else {
        ""
    };
    if c.contains("ps256") || c.contains("oaep") || c.contains("pss") {
        return None;
    }
    if c.contains("rsa") && !op.is_empty() {
        let size = ["2048", "3072", "4096"]
            .into_iter()
            .find(|s| c.contains(s))?;
        return Some(format!("rsa{size} {op}"));
    }
    if !op.is_empty() {
        if c.contains("es256") || c.contains("p-256") {
            return Some(format!("ecdsap256 {op}"));
        }
        if c.contains("es384") || c.contains("p-384") {
            return Some(format!("ecdsap384 {op}"));
        }
    }
    if c.contains("gcm") && !c.contains("decrypt") {
        let bytes = if squeezed.contains("64kib") || squeezed.contains("65536") {
            65536
        } else if squeezed.contains("1kib") || squeezed.contains("1024") {
            1024
        } else if squeezed.contains("64b") {
            64
        } else {
            return None;
        };
        return Some(format!("aes-256-gcm {bytes}"));
    }
    None
}

/// Figures from `openssl speed` output, as `(key, ops/s)`: `rsaN sign|verify`,
/// `ecdsapN sign|verify` and, with `gcm_bytes`, `aes-256-gcm N`.
pub fn parse_openssl(text: &str, gcm_bytes: Option<u64>) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    let last_two = |line: &str| -> Option<(f64, f64)> {
        let nums: Vec<f64> = line
            .split_whitespace()
            .filter_map(|t| t.parse().ok())
            .collect();
        (nums.len() >= 2).then(|| (nums[nums.len() - 2], nums[nums.len() - 1]))
    };
    for line in text.lines() {
        let t = line.trim();
        if let Some(rest) = t.strip_prefix("rsa ")
            && rest.contains("bits")
            && let Some(bits) = rest.split_whitespace().next()
            && let Some((sign, verify)) = last_two(t)
        {
            out.push((format!("rsa{bits} sign"), sign));
            out.push((format!("rsa{bits} verify"), verify));
        } else if let Some(start) = t.find("ecdsa (nistp")
            && let Some(end) = t[start..].find(')')
            && let Some((sign, verify)) = last_two(t)
        {
            let curve = &t[start + "ecdsa (nist".len()..start + end];
            out.push((format!("ecdsa{curve} sign"), sign));
            out.push((format!("ecdsa{curve} verify"), verify));
        } else if let Some(bytes) = gcm_bytes
            && t.to_ascii_lowercase().starts_with("aes-256-gcm")
            && let Some(k) = t
                .split_whitespace()
                .last()
                .and_then(|v| v.strip_suffix('k'))
                .and_then(|v| v.parse::<f64>().ok())
        {
            // "k" is 1000 bytes per second.
            out.push((format!("aes-256-gcm {bytes}"), k * 1000.0 / bytes as f64));
        }
    }
    out
}

fn openssl_figures(ctx: &mut Ctx) -> (Option<String>, Vec<(String, f64)>) {
    let version = Command::new("openssl")
        .arg("version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    if version.is_none() {
        return (None, Vec::new());
    }
    let secs = if ctx.quick { "1" } else { "3" };
    let mut figures = Vec::new();
    let mut runs: Vec<(Vec<String>, Option<u64>)> = vec![(
        ["rsa2048", "rsa3072", "ecdsap256", "ecdsap384"]
            .map(String::from)
            .to_vec(),
        None,
    )];
    for bytes in [64u64, 1024, 65536] {
        runs.push((
            vec![
                "-bytes".into(),
                bytes.to_string(),
                "-evp".into(),
                "aes-256-gcm".into(),
            ],
            Some(bytes),
        ));
    }
    for (args, gcm) in runs {
        let mut cmd = Command::new("openssl");
        cmd.args(["speed", "-seconds", secs, "-elapsed"])
            .args(&args);
        ctx.note(&cmd);
        if let Ok(o) = cmd.output() {
            figures.extend(parse_openssl(&String::from_utf8_lossy(&o.stdout), gcm));
        }
    }
    (version, figures)
}

/// Runs P1.
pub fn run(ctx: &mut Ctx) -> Result<Part> {
    let mut cmd = Command::new(super::cargo());
    cmd.current_dir(&ctx.root).arg("run");
    if !ctx.dev {
        cmd.arg("--release");
    }
    cmd.args([
        "-q",
        "-p",
        "keyvault-crypto",
        "--example",
        "bench",
        "--",
        "--json",
    ]);
    if ctx.quick {
        cmd.arg("--quick");
    }
    ctx.note(&cmd);
    let out = cmd.output().context("running the crypto bench example")?;
    let (cases, exit) = (
        parse_engine_lines(&String::from_utf8_lossy(&out.stdout)),
        out.status.to_string(),
    );
    let (openssl_version, openssl) = openssl_figures(ctx);
    let lookup = |case: &str| {
        let key = openssl_key_for_case(case)?;
        openssl.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    };
    let mut rows = Vec::new();
    let mut items = Vec::new();
    for c in &cases {
        let ratio = c
            .ratio
            .or_else(|| c.bare.filter(|b| *b > 0.0).map(|b| c.engine / b));
        let ossl = lookup(&c.case);
        rows.push(vec![
            c.case.clone(),
            num(Some(c.engine)),
            num(c.bare),
            ratio.map(|r| format!("{r:.2}")).unwrap_or("n/a".into()),
            num(ossl),
        ]);
        items.push(json!({
            "case": c.case, "engine_ops_per_s": c.engine, "bare_ops_per_s": c.bare,
            "engine_over_bare": ratio, "openssl_ops_per_s": ossl,
        }));
    }
    let below: Vec<&str> = items
        .iter()
        .filter(|i| i["engine_over_bare"].as_f64().is_some_and(|r| r < 0.95))
        .filter_map(|i| i["case"].as_str())
        .collect();
    let mut md = String::from("Goal: every engine/bare ratio ≥ 0.95.\n\n");
    if cases.is_empty() {
        md.push_str(&format!(
            "**No engine figures** ({exit}): expected one JSON object a line from `cargo run --release -p keyvault-crypto --example bench -- --json`.\n\n"
        ));
    }
    if rows.is_empty() {
        rows = openssl
            .iter()
            .map(|(k, v)| {
                vec![
                    format!("openssl {k}"),
                    "n/a".into(),
                    "n/a".into(),
                    "n/a".into(),
                    num(Some(*v)),
                ]
            })
            .collect();
    }
    md.push_str(&table(
        &[
            "case",
            "engine ops/s",
            "aws-lc-rs ops/s",
            "engine/bare",
            "openssl speed ops/s",
        ],
        &rows,
    ));
    md.push_str(&format!(
        "\nBelow the goal: {}. openssl: {}.\n",
        if below.is_empty() {
            "none".to_owned()
        } else {
            below.join(", ")
        },
        openssl_version
            .as_deref()
            .unwrap_or("not on this machine (n/a)")
    ));
    Ok(Part {
        json: json!({
            "goal": "engine/bare >= 0.95 for every case",
            "cases": items,
            "below_goal": below,
            "openssl": openssl_version,
            "openssl_figures": openssl.iter().map(|(k, v)| json!({"figure": k, "ops_per_s": v})).collect::<Vec<_>>(),
            "engine_bench": exit,
        }),
        md,
    })
}

/// The engine's single-thread RS256 (RSA-2048) sign rate from P1's figures.
pub fn engine_rs256_sign(p1: &Value) -> Option<f64> {
    p1["cases"].as_array()?.iter().find_map(|c| {
        let case = c["case"].as_str()?;
        (openssl_key_for_case(case).as_deref() == Some("rsa2048 sign"))
            .then(|| c["engine_ops_per_s"].as_f64())
            .flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_lines_are_read_and_other_lines_skipped() {
        // A stand-in for the example's --json output (one object a line).
        let out = "header text\n{\"case\":\"ES256 sign\",\"engine_ops_per_s\":1000.5,\"bare_ops_per_s\":1010.0,\"ratio\":0.99}\n{\"case\":\"HS256\",\"engine_ops_per_s\":5e5,\"bare_ops_per_s\":null,\"ratio\":null}\n";
        let cases = parse_engine_lines(out);
        assert_eq!(cases.len(), 2);
        assert_eq!(cases[0].case, "ES256 sign");
        assert_eq!(cases[0].bare, Some(1010.0));
        assert_eq!(cases[1].engine, 500_000.0);
        assert_eq!(cases[1].bare, None);
    }

    #[test]
    fn cases_map_to_openssl_figures_where_openssl_has_them() {
        let k = |c: &str| openssl_key_for_case(c);
        assert_eq!(k("RSA-2048 sign (RS256)").as_deref(), Some("rsa2048 sign"));
        assert_eq!(
            k("RSA-3072 verify (RS256)").as_deref(),
            Some("rsa3072 verify")
        );
        assert_eq!(k("RSA-2048 sign (PS256)"), None);
        assert_eq!(k("RSA-2048 OAEP-256 encrypt"), None);
        assert_eq!(k("ES384 verify").as_deref(), Some("ecdsap384 verify"));
        assert_eq!(
            k("AES-256-GCM encrypt 64 KiB").as_deref(),
            Some("aes-256-gcm 65536")
        );
        assert_eq!(
            k("AES-256-GCM encrypt 1 KiB").as_deref(),
            Some("aes-256-gcm 1024")
        );
        assert_eq!(
            k("AES-256-GCM encrypt 64 B").as_deref(),
            Some("aes-256-gcm 64")
        );
        assert_eq!(k("AES-256-GCM decrypt 64 B"), None);
        assert_eq!(k("A256KW wrap"), None);
        assert_eq!(k("HS256 sign"), None);
    }

    #[test]
    fn openssl_speed_tables_are_parsed() {
        let pk = "                  sign    verify    sign/s verify/s\nrsa 2048 bits 0.000620s 0.000018s   1612.9  55555.6\nrsa 3072 bits 0.001900s 0.000040s    526.3  25000.0\n                              sign    verify    sign/s verify/s\n 256 bits ecdsa (nistp256)   0.0000s   0.0001s  40000.0  13000.0\n 384 bits ecdsa (nistp384)   0.0010s   0.0008s   1000.0   1250.0\n";
        let f = parse_openssl(pk, None);
        assert!(f.contains(&("rsa2048 sign".into(), 1612.9)));
        assert!(f.contains(&("rsa3072 verify".into(), 25000.0)));
        assert!(f.contains(&("ecdsap256 sign".into(), 40000.0)));
        assert!(f.contains(&("ecdsap384 verify".into(), 1250.0)));
        let gcm = "type             64 bytes\nAES-256-GCM     128000.00k\n";
        assert_eq!(
            parse_openssl(gcm, Some(64)),
            vec![("aes-256-gcm 64".into(), 2_000_000.0)]
        );
        assert!(parse_openssl("nothing here", Some(64)).is_empty());
    }

    #[test]
    fn rs256_sign_rate_is_found_in_p1() {
        let p1 = json!({"cases": [
            {"case": "RSA-2048 sign (PS256)", "engine_ops_per_s": 1.0},
            {"case": "RSA-2048 sign (RS256)", "engine_ops_per_s": 1500.0},
        ]});
        assert_eq!(engine_rs256_sign(&p1), Some(1500.0));
        assert_eq!(engine_rs256_sign(&json!({})), None);
    }
}
