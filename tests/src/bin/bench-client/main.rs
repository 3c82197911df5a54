//! Our `KeyClient`'s load generator for `cargo xtask bench` (see
//! `harness.rs` for the command line and the JSON line it prints).
#![forbid(unsafe_code)]

mod calls;
mod harness;

use std::process::ExitCode;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = match harness::parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let client = match calls::calls(&args.url, &args.ca, &args.op, &args.key) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("bench-client: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = harness::drive(&args, |i| calls::call(&client, &args.op, &args.key, i)).await;
    println!(
        "{}",
        harness::json_line("keyvault-keys (ours)", &args, &outcome)
    );
    ExitCode::SUCCESS
}
