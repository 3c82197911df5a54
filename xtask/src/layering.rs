//! The workspace's layering, checked with `cargo tree` (no build): the
//! ground floor has no I/O or HTTP crate, and the emulator's service (its
//! `client-helpers` feature off) compiles no HTTP client, no azure_core and
//! no generated client (issue 17).

use std::process::Command;

/// The crates `cargo tree -p <package> <args>` lists, without versions.
fn crates(package: &str, args: &[&str]) -> Vec<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(crate::workspace_root())
        .args(["tree", "-p", package, "--prefix", "none"])
        .args(args)
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "cargo tree -p {package} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect()
}

const HTTP: &[&str] = &[
    "reqwest",
    "azure_core",
    "progenitor-client",
    "hyper",
    "tokio",
    "keyvault-keys-protocol",
];

#[test]
fn the_ground_floor_has_no_io_and_no_http() {
    let all = crates("keyvault-keys-types", &[]);
    assert!(
        all.iter().any(|c| c == "serde"),
        "the listing works: {all:?}"
    );
    for c in HTTP {
        assert!(
            !all.iter().any(|x| x == c),
            "keyvault-keys-types depends on {c}"
        );
    }
}

#[test]
fn the_emulator_service_compiles_no_http_client() {
    // Exactly the check: dev-dependencies included.
    let all = crates("keyvault-emulator", &["--no-default-features"]);
    assert!(all.iter().any(|c| c == "keyvault-crypto"), "{all:?}");
    for c in [
        "reqwest",
        "azure_core",
        "progenitor-client",
        "keyvault-keys-protocol",
    ] {
        assert!(
            !all.iter().any(|x| x == c),
            "the emulator service depends on {c}"
        );
    }
    // The crypto engine alone, without `CryptographyClient`.
    let engine = crates(
        "keyvault-crypto",
        &["--no-default-features", "-e", "normal"],
    );
    for c in [
        "reqwest",
        "azure_core",
        "progenitor-client",
        "keyvault-keys-protocol",
    ] {
        assert!(
            !engine.iter().any(|x| x == c),
            "the crypto engine depends on {c}"
        );
    }
}
