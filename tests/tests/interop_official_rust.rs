//! The official Azure SDK for Rust (azure_security_keyvault_keys, built in its
//! own workspace under tests/official-rust by `cargo xtask test`) against the
//! emulator binary over HTTPS, trusting only the emulator's CA. Without the
//! binary the test fails when `CI` is set and is skipped, with the reason
//! printed, otherwise.

use std::process::Command;

use keyvault_tests::EmulatorProcess;
use keyvault_tests::interop::{assert_client_passed, missing, official_rust_binary};

#[test]
fn official_rust_sdk_against_the_emulator_binary() {
    let bin = match official_rust_binary() {
        Ok(bin) => bin,
        Err(why) => return missing(&why),
    };
    let emulator = EmulatorProcess::start(&["--token", "rust-interop-token"]).expect("emulator");
    assert!(
        emulator.url.starts_with("https://127.0.0.1:"),
        "{}",
        emulator.url
    );
    let output = Command::new(&bin)
        .env("KEYVAULT_URL", &emulator.url)
        .env("KEYVAULT_CA", &emulator.ca)
        .env("KEYVAULT_TOKEN", "rust-interop-token")
        .env_remove("KEYVAULT_DEFAULT_SETTINGS")
        .output()
        .expect("run the official-Rust interop binary");
    assert_client_passed(
        "the official-Rust interop binary",
        &output,
        "official-rust: all 9 checks passed (challenge verification off)",
    );
    let status = emulator.terminate().expect("terminate");
    assert!(status.success(), "SIGTERM stops the emulator: {status:?}");
}
