//! Every example runs against the embedded emulator and prints what it did.

use std::path::PathBuf;
use std::process::Command;

fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("exe");
    // target/<profile>/deps/<test> → target/<profile>/examples/<name>
    exe.parent()
        .and_then(|d| d.parent())
        .map(|p| p.join("examples").join(name))
        .expect("examples folder")
}

#[test]
fn every_example_runs_against_the_embedded_emulator() {
    let cases = [
        ("quickstart", "Done."),
        ("quickstart", "recoverable until 20"),
        ("delete_recover_purge", "purge scheduled 20"),
        ("create_keys", "create_oct_key: oct-key"),
        ("get_key", "specific:"),
        ("update_key", "enabled: no"),
        ("delete_recover_purge", "purged"),
        ("list_keys", "page of 1 versions, more: false"),
        ("backup_restore", "restored"),
        ("rotation", "rotated"),
        ("random_bytes", "16 random bytes"),
        ("release_key", "released"),
        ("send_request", "404 Not Found (returned, not raised)"),
        ("cryptography", "valid=true"),
        ("tracing_otel", "Name         : KeyClient.get_key"),
        ("tracing_otel", "error.type: String(Owned(\"404\"))"),
    ];
    for (name, needle) in cases {
        let path = example(name);
        assert!(
            path.exists(),
            "{} is not built (cargo test builds examples)",
            path.display()
        );
        let out = Command::new(&path)
            .env_remove("AZURE_KEYVAULT_URL")
            .output()
            .expect("run example");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{name} failed:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            stdout.contains(needle),
            "{name} did not print {needle:?}:\n{stdout}"
        );
    }
}
