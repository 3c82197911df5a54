//! The one rule for tests that read Microsoft's reference material
//! (`../shared/reference/...`, beside the repository, never copied into it).
//!
//! A fresh clone has no such folder: there such a test prints why it skips
//! and passes. CI always has it, so with `CI` set an absent folder fails the
//! test instead (a broken checkout must not pass as a skip).
//!
//! Used by the xtask's own tests and, through `#[path]`, by the protocol
//! crate's conformance test, so both follow the same rule.

use std::path::PathBuf;

/// What to do when the reference material is missing.
#[derive(Debug, PartialEq, Eq)]
pub enum Missing {
    /// Skip the test, saying why.
    Skip(String),
    /// Fail the test, saying why.
    Fail(String),
}

/// The rule, without the environment: `Ok(path)` when it exists, else
/// what to do (fail under CI, skip elsewhere).
pub fn check(path: PathBuf, test: &str, ci: bool) -> Result<PathBuf, Missing> {
    if path.exists() {
        return Ok(path);
    }
    let why = format!(
        "{test}: {} is absent (Microsoft's reference material lives in \
         shared/reference beside the repository)",
        path.display()
    );
    Err(if ci {
        Missing::Fail(format!(
            "{why}; CI is set, so this fails instead of skipping"
        ))
    } else {
        Missing::Skip(format!("{why}; skipped (set CI to make this a failure)"))
    })
}

/// Whether the `CI` environment variable is set (to anything but empty,
/// `0` or `false`), as CI services set it.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && !v.eq_ignore_ascii_case("false"))
}

/// `Some(path)` when the reference material at `path` exists; else prints
/// why `test` skips and returns `None`, or, with `CI` set, panics.
pub fn require(path: PathBuf, test: &str) -> Option<PathBuf> {
    match check(path, test, in_ci()) {
        Ok(path) => Some(path),
        Err(Missing::Skip(why)) => {
            eprintln!("{why}");
            None
        }
        Err(Missing::Fail(why)) => panic!("{why}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_absent_folder_skips_locally_and_fails_under_ci() {
        let absent = PathBuf::from("/nonexistent/shared/reference/x");
        match check(absent.clone(), "t", false) {
            Err(Missing::Skip(why)) => {
                assert!(why.contains("/nonexistent/shared/reference/x"), "{why}");
                assert!(why.contains("skipped"), "{why}");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(check(absent, "t", true), Err(Missing::Fail(_))));
    }

    #[test]
    fn a_present_folder_is_used_whether_or_not_under_ci() {
        let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        assert_eq!(check(here.clone(), "t", false), Ok(here.clone()));
        assert_eq!(check(here.clone(), "t", true), Ok(here));
    }
}
