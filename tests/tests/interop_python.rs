//! The official Python SDK (azure-keyvault-keys 4.11, sync and aio, and its
//! CryptographyClient) against the emulator binary over HTTPS.

use std::process::Command;

use keyvault_tests::{EmulatorProcess, python, workspace_root};

#[test]
fn official_python_sdk_against_the_emulator_binary() {
    let emulator = EmulatorProcess::start(&[]).expect("emulator");
    assert!(
        emulator.url.starts_with("https://127.0.0.1:"),
        "{}",
        emulator.url
    );
    let python = python().expect("python");
    let output = Command::new(&python)
        .args([
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/python",
        ])
        .current_dir(workspace_root())
        .env("KEYVAULT_URL", &emulator.url)
        .env("KEYVAULT_CA", &emulator.ca)
        .output()
        .expect("run pytest");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    assert!(
        output.status.success(),
        "the Python interop suite failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains(" passed"), "pytest ran no test:\n{stdout}");
    assert!(
        !stdout.contains("skipped"),
        "no interop test may be skipped:\n{stdout}"
    );
    let status = emulator.terminate().expect("terminate");
    assert!(
        status.success(),
        "SIGTERM stops the emulator cleanly: {status:?}"
    );
}

/// The official Python SDK against emulators with settings: 7-day
/// retention and purge protection with an admin and a Reader token, and a
/// vault whose newest api-version is 7.1 (`tests/python_settings/`).
#[test]
fn official_python_sdk_against_vault_settings_and_scoped_tokens() {
    let settings = EmulatorProcess::start(&[
        "--soft-delete-retention-days",
        "7",
        "--purge-protection",
        "--token",
        "admin",
        "--token",
        "reader:role=Key Vault Reader",
    ])
    .expect("emulator with settings");
    let old = EmulatorProcess::start(&["--max-api-version", "7.1"]).expect("emulator at 7.1");
    let python = python().expect("python");
    let output = Command::new(&python)
        .args([
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/python_settings",
        ])
        .current_dir(workspace_root())
        .env("KEYVAULT_URL_SETTINGS", &settings.url)
        .env("KEYVAULT_CA_SETTINGS", &settings.ca)
        .env("KEYVAULT_URL_OLD", &old.url)
        .env("KEYVAULT_CA_OLD", &old.ca)
        .output()
        .expect("run pytest");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    assert!(
        output.status.success(),
        "the Python settings suite failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("3 passed"), "pytest ran:\n{stdout}");
}

/// The official Python SDK against the emulator as a test estate: two
/// vaults by host name (challenge verification on), the clock moved
/// through the management API, and deletions that take 300 ms
/// (`tests/python_estate/`).
#[test]
fn official_python_sdk_against_several_vaults_the_clock_and_slow_deletions() {
    let estate = EmulatorProcess::start(&[
        "--vault",
        "alpha",
        "--vault",
        "beta,flavor=managed-hsm",
        "--operation-latency",
        "delete=300,recover=300",
    ])
    .expect("emulator with two vaults");
    let port = estate.url.rsplit(':').next().unwrap_or_default().to_owned();
    let python = python().expect("python");
    let output = Command::new(&python)
        .args([
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/python_estate",
        ])
        .current_dir(workspace_root())
        .env(
            "KEYVAULT_URL_ALPHA",
            format!("https://alpha.vault.localhost:{port}"),
        )
        .env(
            "KEYVAULT_URL_BETA",
            format!("https://beta.managedhsm.localhost:{port}"),
        )
        .env("KEYVAULT_CA_ESTATE", &estate.ca)
        .output()
        .expect("run pytest");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    assert!(
        output.status.success(),
        "the Python estate suite failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("3 passed"), "pytest ran:\n{stdout}");
}

/// The README's Python examples of "Testing your code against the
/// emulator", each run against the binary started as that section says.
/// `*.localhost` names are mapped to the loopback first (this machine's
/// resolver may not do it).
#[test]
fn the_readmes_python_examples_run() {
    let readme = std::fs::read_to_string(workspace_root().join("README.md")).expect("README");
    let section = readme
        .split("## Testing your code against the emulator")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("the README's section");
    let examples: Vec<&str> = section
        .split("```python\n")
        .skip(1)
        .filter_map(|b| b.split("```").next())
        .collect();
    assert_eq!(examples.len(), 4, "one Python example per part");
    let estate = EmulatorProcess::start(&[
        "--vault",
        "alpha",
        "--vault",
        "beta,flavor=managed-hsm",
        "--operation-latency",
        "delete=300,recover=300",
    ])
    .expect("emulator");
    let port = estate.url.rsplit(':').next().unwrap_or_default().to_owned();
    let prelude = "import socket\n_gai = socket.getaddrinfo\nsocket.getaddrinfo = lambda h, *a, **k: _gai('127.0.0.1' if isinstance(h, str) and h.endswith('.localhost') else h, *a, **k)\n";
    let python = python().expect("python");
    for (i, example) in examples.iter().enumerate() {
        let output = Command::new(&python)
            .args(["-c", &format!("{prelude}{example}")])
            .env("KEYVAULT_CA", &estate.ca)
            .env(
                "KEYVAULT_URL_ALPHA",
                format!("https://alpha.vault.localhost:{port}"),
            )
            .env(
                "KEYVAULT_URL_BETA",
                format!("https://beta.managedhsm.localhost:{port}"),
            )
            .output()
            .expect("run python");
        assert!(
            output.status.success(),
            "README Python example {} failed:\n{}\n{}",
            i + 1,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// The official Python SDK's pre-release 4.12.0b3 (its own `.venv-beta`)
/// at 2026-01-01-preview against a Managed HSM emulator: secure wrap,
/// secure unwrap with an emulator-signed attestation token, and
/// `create_external_key` (`tests/python_beta/`).
#[test]
fn official_python_pre_release_does_secure_wrap_unwrap_and_external_keys() {
    let python = match std::env::var("KEYVAULT_PYTHON_BETA") {
        Ok(p) => std::path::PathBuf::from(p),
        Err(_) => {
            let venv = workspace_root().join(".venv-beta/bin/python");
            if venv.exists() {
                venv
            } else if std::env::var_os("CI").is_some() {
                panic!("KEYVAULT_PYTHON_BETA is not set: `cargo xtask test` sets up .venv-beta");
            } else {
                eprintln!("skipped: no .venv-beta (run `cargo xtask test` to set it up)");
                return;
            }
        }
    };
    let authority = keyvault_crypto::generate(&keyvault_crypto::KeySpec {
        kty: keyvault_crypto::KeyType::Ec,
        size: None,
        curve: None,
        public_exponent: None,
    })
    .expect("authority key");
    let dir = std::env::temp_dir().join(format!("kv-beta-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp");
    let jwks = dir.join("authority.json");
    std::fs::write(
        &jwks,
        serde_json::to_vec(&authority.public_only()).expect("jwk"),
    )
    .expect("write jwks");
    let issuer = "https://attest.emulator.example";
    let emulator = EmulatorProcess::start(&[
        "--flavor",
        "managed-hsm",
        "--trust-attestation-key",
        &format!("{issuer}={}", jwks.display()),
    ])
    .expect("emulator");
    let policy = serde_json::json!({"version": "1.0.0", "anyOf": [{"authority": issuer, "allOf": [{"claim": "tee", "equals": "sevsnp"}]}]});
    let exp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64 + 3600)
        .unwrap_or(4_102_444_800);
    let token = keyvault_emulator::release::sign_token(
        &authority,
        &serde_json::json!({"iss": issuer, "tee": "sevsnp", "exp": exp}),
    )
    .expect("token");
    let output = Command::new(&python)
        .arg("tests/python_beta/secure_wrap_interop.py")
        .current_dir(workspace_root())
        .env("KEYVAULT_URL", &emulator.url)
        .env("KEYVAULT_CA", &emulator.ca)
        .env("RELEASE_POLICY", policy.to_string())
        .env("TARGET_TOKEN", token)
        .output()
        .expect("run python");
    let _ = std::fs::remove_dir_all(&dir);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("beta interop ok"),
        "the pre-release interop failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
