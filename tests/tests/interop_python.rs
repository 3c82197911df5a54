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
