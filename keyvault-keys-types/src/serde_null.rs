//! `null` as absent, for the generated response models.
//!
//! The service sends `"member": null` for members it has no value for. An
//! `Option` reads that as `None` by itself; a collection or a member with a
//! spec default does not (`#[serde(default)]` covers a missing member
//! only). `cargo xtask codegen` gives each such member of a model a success
//! answer can carry a `deserialize_with` naming one of these functions.

use serde::{Deserialize, Deserializer};

/// `null` (or an absent member, with `#[serde(default)]`) is `T::default()`:
/// an empty array or map.
pub(crate) fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// `null` is what `default` gives (the spec's default for the member).
pub(crate) fn null_or_else<'de, D, T>(deserializer: D, default: fn() -> T) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_else(default))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize, Debug, PartialEq)]
    struct Model {
        #[serde(default, deserialize_with = "null_as_default")]
        list: Vec<u8>,
        #[serde(default = "seven", deserialize_with = "seven_or_null")]
        n: u8,
    }

    fn seven() -> u8 {
        7
    }

    fn seven_or_null<'de, D: Deserializer<'de>>(d: D) -> Result<u8, D::Error> {
        null_or_else(d, seven)
    }

    #[test]
    fn null_and_absent_are_the_same_and_values_are_kept() {
        let parse = |s: &str| serde_json::from_str::<Model>(s);
        let empty = Model { list: vec![], n: 7 };
        assert_eq!(parse("{}").expect("absent"), empty);
        assert_eq!(parse(r#"{"list":null,"n":null}"#).expect("null"), empty);
        assert_eq!(
            parse(r#"{"list":[1],"n":2}"#).expect("values"),
            Model {
                list: vec![1],
                n: 2
            }
        );
        // A wrong type is still an error.
        assert!(parse(r#"{"list":"x"}"#).is_err());
        assert!(parse(r#"{"n":"x"}"#).is_err());
    }
}
