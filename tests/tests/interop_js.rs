//! The official Azure SDK for JavaScript (@azure/keyvault-keys, versions in
//! tests/js/package.json) against the emulator binary over HTTPS, trusting the
//! emulator's CA through NODE_EXTRA_CA_CERTS. Needs node and tests/js/node_modules
//! (`cargo xtask test` runs `npm ci`); without them the test fails when `CI` is
//! set and is skipped, with the reason printed, otherwise.

use std::process::Command;

use keyvault_tests::EmulatorProcess;
use keyvault_tests::interop::{assert_client_passed, missing, node_and_suite};

#[test]
fn official_javascript_sdk_against_the_emulator_binary() {
    let (node, suite) = match node_and_suite() {
        Ok(found) => found,
        Err(why) => return missing(&why),
    };
    let emulator = EmulatorProcess::start(&["--token", "js-interop-token"]).expect("emulator");
    assert!(
        emulator.url.starts_with("https://127.0.0.1:"),
        "{}",
        emulator.url
    );
    let output = Command::new(&node)
        .arg("interop.mjs")
        .current_dir(&suite)
        .env("KEYVAULT_URL", &emulator.url)
        .env("KEYVAULT_TOKEN", "js-interop-token")
        .env("NODE_EXTRA_CA_CERTS", &emulator.ca)
        .env_remove("KEYVAULT_DEFAULT_SETTINGS")
        .output()
        .expect("run node");
    assert_client_passed(
        "the JavaScript interop script",
        &output,
        "interop-js: all 9 checks passed (challenge verification off)",
    );

    // The same client with a token the emulator does not accept fails.
    let output = Command::new(&node)
        .arg("interop.mjs")
        .current_dir(&suite)
        .env("KEYVAULT_URL", &emulator.url)
        .env("KEYVAULT_TOKEN", "some-other-token")
        .env("NODE_EXTRA_CA_CERTS", &emulator.ca)
        .env_remove("KEYVAULT_DEFAULT_SETTINGS")
        .output()
        .expect("run node");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success() && stderr.contains("not ok 1") && stderr.contains("401"),
        "a wrong token must fail the first check with 401:\n{stderr}"
    );

    let status = emulator.terminate().expect("terminate");
    assert!(status.success(), "SIGTERM stops the emulator: {status:?}");
}
