//! Our `KeyClient`'s load generator for `cargo xtask bench` (see
//! `harness.rs` for the command line and the JSON line it prints), and,
//! with `--client floor`, the floor it is measured against: the same calls
//! as a bare reqwest request parsed with serde_json (`floor.rs`), through
//! the same harness.
#![forbid(unsafe_code)]

mod calls;
mod floor;
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
    let outcome = match args.client.as_deref() {
        None | Some("ours") => {
            let client = match calls::calls(&args.url, &args.ca, &args.op, &args.key) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("bench-client: {e}");
                    return ExitCode::FAILURE;
                }
            };
            let o = harness::drive(&args, |i| calls::call(&client, &args.op, &args.key, i)).await;
            ("keyvault-keys (ours)", o)
        }
        Some("floor") => {
            let client = match floor::floor(&args.url, &args.ca, &args.key) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("bench-client: {e}");
                    return ExitCode::FAILURE;
                }
            };
            let o = harness::drive(&args, |i| floor::call(&client, &args.op, i)).await;
            ("bare reqwest + serde_json (floor)", o)
        }
        Some(other) => {
            eprintln!("bench-client: --client is ours or floor, not {other:?}");
            return ExitCode::from(2);
        }
    };
    println!("{}", harness::json_line(outcome.0, &args, &outcome.1));
    ExitCode::SUCCESS
}
