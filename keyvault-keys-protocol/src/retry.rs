//! Retry decisions and delays: which faults are retried for which class of
//! operation (documented on [`crate::retry_policy`]), and how long to wait.

use std::time::{Duration, SystemTime};

use rand::Rng as _;
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};

use crate::options::RetryOptions;

/// The longest delay a server can ask for: longer values (and values too
/// large to represent) read as this, which is longer than any sensible
/// [`RetryOptions::max_retry_after`], so they end the retries.
pub const MAX_SERVER_DELAY: Duration = Duration::from_secs(24 * 60 * 60);

/// Statuses worth another attempt (for a repeatable operation).
pub fn is_retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 429 | 500 | 502 | 503 | 504)
}

/// Transport failures worth another attempt for a repeatable operation
/// (the request may not have reached the service, or its answer was lost).
pub fn is_retryable_error(e: &reqwest::Error) -> bool {
    e.is_connect() || e.is_timeout() || e.is_request()
}

/// Transport failures that happened before the request was sent: the
/// connection (TCP, TLS) could not be set up, so the service saw nothing.
pub fn failed_before_sending(e: &reqwest::Error) -> bool {
    e.is_connect() || e.is_builder()
}

/// Answers after which the service certainly did not perform the request:
/// 408 (it gave up waiting for it), 429 (throttled), and 503 carrying a
/// Retry-After (it asks to come back later). A 500, 502, 504, or a 503
/// without Retry-After, may come from a service that acted and then failed.
pub fn certainly_not_performed(status: StatusCode, headers: &HeaderMap) -> bool {
    match status.as_u16() {
        408 | 429 => true,
        503 => parse_retry_after(headers, SystemTime::now()).is_some(),
        _ => false,
    }
}

/// What an operation does, which decides when it may be retried (see
/// [`crate::retry_policy`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum OperationClass {
    /// Performing it twice leaves the vault as performing it once.
    Repeatable,
    /// Performing it twice adds twice, or fails the second time.
    Unrepeatable,
    /// `DELETE /keys/{name}`: repeatable in effect; a repeat answers 404.
    DeleteKey,
}

/// The class of a request by its method and its path relative to the vault
/// (`/keys/k/create`): the one table, for generated operations,
/// `send_request` and nextLinks alike (a test checks each generated
/// operation's class).
///
/// GET, HEAD, OPTIONS and PATCH are repeatable, and so is PUT except
/// `PUT /keys/{name}` (an import, which adds a version). DELETE is
/// unrepeatable except `DELETE /keys/{name}`. A POST is repeatable only
/// when it is one of the service's pure operations (backup, encrypt,
/// decrypt, sign, verify, wrapkey, unwrapkey, release, securewrapkey,
/// secureunwrapkey, rng); any other POST,
/// and any other method, is unrepeatable.
pub fn classify_request(method: &Method, path: &str) -> OperationClass {
    use OperationClass::*;
    // The path's segments, without allocating (every request is classed):
    // up to five, trailing empty ones dropped; a longer path is none of the
    // shapes below.
    let mut buf = [""; 5];
    let mut n = 0;
    // Trailing slashes name the same resource (`/keys/k//` is `/keys/k`).
    let trimmed = path.trim_start_matches('/').trim_end_matches('/');
    for seg in trimmed.split('/') {
        if n == buf.len() {
            n = buf.len() + 1;
            break;
        }
        buf[n] = seg;
        n += 1;
    }
    let segs: &[&str] = if n <= buf.len() { &buf[..n] } else { &[] };
    let is = |s: &str, lit: &str| s.eq_ignore_ascii_case(lit);
    match *method {
        Method::GET | Method::HEAD | Method::OPTIONS | Method::PATCH => Repeatable,
        Method::PUT => match segs {
            [keys, name] if is(keys, "keys") && !name.is_empty() => Unrepeatable,
            _ => Repeatable,
        },
        Method::DELETE => match segs {
            [keys, name] if is(keys, "keys") && !name.is_empty() => DeleteKey,
            _ => Unrepeatable,
        },
        Method::POST => match segs {
            [keys, _, op] if is(keys, "keys") && is(op, "backup") => Repeatable,
            [keys, _, _, op]
                if is(keys, "keys")
                    && [
                        "encrypt",
                        "decrypt",
                        "sign",
                        "verify",
                        "wrapkey",
                        "unwrapkey",
                        "release",
                        "securewrapkey",
                        "secureunwrapkey",
                    ]
                    .iter()
                    .any(|o| is(op, o)) =>
            {
                Repeatable
            }
            [rng] if is(rng, "rng") => Repeatable,
            _ => Unrepeatable,
        },
        _ => Unrepeatable,
    }
}

/// The delay the server asks for, if any: `retry-after-ms`,
/// `x-ms-retry-after-ms` (milliseconds), or `Retry-After` (seconds or an
/// HTTP date).
pub fn server_delay(headers: &HeaderMap) -> Option<Duration> {
    parse_retry_after(headers, SystemTime::now())
}

/// The delay the server asks for, relative to `now`: the first of
/// `retry-after-ms`, `x-ms-retry-after-ms` (milliseconds, decimals allowed)
/// and `Retry-After` (whole seconds, or an HTTP date) that reads as a delay.
///
/// Never panics, whatever the headers hold: a value that is not a number,
/// not finite or negative is ignored (the next form is tried); a value
/// above [`MAX_SERVER_DELAY`] (or too large to represent) reads as
/// `MAX_SERVER_DELAY`; a date in the past reads as zero. The cap is applied
/// before any conversion to [`Duration`].
pub fn parse_retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    for name in ["retry-after-ms", "x-ms-retry-after-ms"] {
        if let Some(d) = headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_millis)
        {
            return Some(d);
        }
    }
    let value = headers.get("retry-after")?.to_str().ok()?.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // All digits: too many of them for a u64 is still "a long time".
        let secs = value.parse::<u64>().unwrap_or(u64::MAX);
        return Some(Duration::from_secs(secs.min(MAX_SERVER_DELAY.as_secs())));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(now)
            .unwrap_or(Duration::ZERO)
            .min(MAX_SERVER_DELAY),
    )
}

fn parse_millis(value: &str) -> Option<Duration> {
    let ms: f64 = value.trim().parse().ok()?;
    if !ms.is_finite() || ms < 0.0 {
        return None;
    }
    let secs = ms / 1000.0;
    if secs >= MAX_SERVER_DELAY.as_secs_f64() {
        return Some(MAX_SERVER_DELAY);
    }
    Duration::try_from_secs_f64(secs).ok()
}

/// Exponential backoff for retry number `retry` (1-based), with ±20 % jitter,
/// never above `max_delay`.
pub fn backoff(options: &RetryOptions, retry: u32) -> Duration {
    let exp = retry.saturating_sub(1).min(20);
    let base = options
        .initial_delay
        .saturating_mul(1u32 << exp)
        .min(options.max_delay);
    let factor = rand::rng().random_range(0.8..=1.2);
    Duration::try_from_secs_f64(base.as_secs_f64() * factor)
        .unwrap_or(options.max_delay)
        .min(options.max_delay)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).expect("header"));
        }
        h
    }

    #[test]
    fn reads_each_retry_after_form() {
        assert_eq!(
            server_delay(&headers(&[("retry-after-ms", "250")])),
            Some(Duration::from_millis(250))
        );
        assert_eq!(
            server_delay(&headers(&[("x-ms-retry-after-ms", "1500")])),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            server_delay(&headers(&[("retry-after", "3")])),
            Some(Duration::from_secs(3))
        );
        let in_two = SystemTime::now() + Duration::from_secs(120);
        let d = server_delay(&headers(&[(
            "retry-after",
            &httpdate::fmt_http_date(in_two),
        )]))
        .expect("a date");
        assert!(
            d > Duration::from_secs(100) && d <= Duration::from_secs(120),
            "{d:?}"
        );
        let past = SystemTime::now() - Duration::from_secs(120);
        assert_eq!(
            server_delay(&headers(&[("retry-after", &httpdate::fmt_http_date(past))])),
            Some(Duration::ZERO)
        );
        assert_eq!(server_delay(&headers(&[("retry-after", "soon")])), None);
        assert_eq!(server_delay(&HeaderMap::new()), None);
        // the millisecond headers win over Retry-After
        assert_eq!(
            server_delay(&headers(&[("retry-after", "9"), ("retry-after-ms", "10")])),
            Some(Duration::from_millis(10))
        );
    }

    #[test]
    fn hostile_values_give_a_bounded_delay_or_none() {
        let huge = "9".repeat(400);
        let values = [
            "1e30",
            "1e300",
            "1e400",
            "1.8e308",
            huge.as_str(),
            "NaN",
            "nan",
            "inf",
            "-inf",
            "infinity",
            "-1",
            "-0",
            "-1e30",
            "1e-30",
            "0x10",
            "",
            " ",
            "5 5",
            "1_000",
            "18446744073709551616",
            "18446744073709551615",
            "4294967296000",
            "\u{0}",
        ];
        let now = SystemTime::now();
        let mut cases: Vec<HeaderMap> = Vec::new();
        for v in values {
            for name in ["retry-after-ms", "x-ms-retry-after-ms", "retry-after"] {
                if let Ok(value) = HeaderValue::from_str(v) {
                    let mut h = HeaderMap::new();
                    h.insert(name, value);
                    cases.push(h);
                }
            }
        }
        for date in [
            "Fri, 31 Dec 9999 23:59:59 GMT",
            "Thu, 01 Jan 1970 00:00:00 GMT",
            "Mon, 01 Jan 0001 00:00:00 GMT",
            "Sun, 06 Nov 1994 08:49:37 GMT",
        ] {
            cases.push(headers(&[("retry-after", date)]));
        }
        for h in &cases {
            for at in [
                now,
                SystemTime::UNIX_EPOCH,
                now + Duration::from_secs(1 << 40),
            ] {
                if let Some(d) = parse_retry_after(h, at) {
                    assert!(d <= MAX_SERVER_DELAY, "{h:?}: {d:?}");
                }
            }
        }
        // Overlong values read as the longest delay, so they end the retries.
        assert_eq!(
            parse_retry_after(&headers(&[("retry-after-ms", "1e30")]), now),
            Some(MAX_SERVER_DELAY)
        );
        assert_eq!(
            parse_retry_after(&headers(&[("retry-after", &"9".repeat(30))]), now),
            Some(MAX_SERVER_DELAY)
        );
        assert_eq!(
            parse_retry_after(
                &headers(&[("retry-after", "Fri, 31 Dec 9999 23:59:59 GMT")]),
                now
            ),
            Some(MAX_SERVER_DELAY)
        );
        // Values that are no delay at all are ignored.
        for v in ["NaN", "inf", "-1", "-1e30"] {
            assert_eq!(
                parse_retry_after(&headers(&[("retry-after-ms", v)]), now),
                None,
                "{v}"
            );
        }
        // an invalid millisecond header gives way to the next form
        assert_eq!(
            parse_retry_after(
                &headers(&[("retry-after-ms", "NaN"), ("retry-after", "2")]),
                now
            ),
            Some(Duration::from_secs(2))
        );
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let o = RetryOptions {
            initial_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
            ..RetryOptions::default()
        };
        let first = backoff(&o, 1);
        assert!(first >= Duration::from_millis(80) && first <= Duration::from_millis(120));
        let third = backoff(&o, 3);
        assert!(third >= Duration::from_millis(320) && third <= Duration::from_millis(480));
        assert!(backoff(&o, 30) <= Duration::from_millis(1000));
        // extreme settings do not panic
        let o = RetryOptions {
            initial_delay: Duration::MAX,
            max_delay: Duration::MAX,
            ..RetryOptions::default()
        };
        for retry in [0, 1, 2, 30, u32::MAX] {
            let _ = backoff(&o, retry);
        }
    }

    #[test]
    fn retryable_statuses() {
        for s in [408, 429, 500, 502, 503, 504] {
            assert!(is_retryable_status(
                StatusCode::from_u16(s).expect("status")
            ));
        }
        for s in [200, 400, 401, 403, 404, 409, 501] {
            assert!(!is_retryable_status(
                StatusCode::from_u16(s).expect("status")
            ));
        }
    }

    #[test]
    fn every_generated_operation_has_a_class_that_agrees_with_its_path() {
        // Every operationId in the generated client, with its method and path.
        let generated = include_str!("generated.rs");
        let mut seen = 0;
        let mut rest = generated;
        while let Some(i) = rest.find("/// Sends a `") {
            rest = &rest[i + "/// Sends a `".len()..];
            let method = &rest[..rest.find('`').expect("method")];
            let after = &rest[rest.find("request to `").expect("path") + "request to `".len()..];
            let path = &after[..after.find('`').expect("path end")];
            let id_at = rest.find("operation_id: \"").expect("operation id");
            let id_rest = &rest[id_at + "operation_id: \"".len()..];
            let id = &id_rest[..id_rest.find('"').expect("id end")];
            // What each operation does to the vault, said here as the
            // expectation the one table must meet.
            let class = match id {
                "create_key"
                | "import_key"
                | "rotate_key"
                | "restore_key"
                | "recover_deleted_key"
                | "purge_deleted_key" => OperationClass::Unrepeatable,
                "delete_key" => OperationClass::DeleteKey,
                _ => OperationClass::Repeatable,
            };
            let path = path
                .replace("{key-name}", "k")
                .replace("{key-version}", "v");
            let method = Method::from_bytes(method.as_bytes()).expect("method");
            assert_eq!(
                classify_request(&method, &path),
                class,
                "{id}: {method} {path}"
            );
            seen += 1;
        }
        assert_eq!(seen, 27, "every operation was checked");
    }

    #[test]
    fn requests_are_classed_by_method_and_path() {
        use OperationClass::*;
        let c = |m: Method, p: &str| classify_request(&m, p);
        assert_eq!(c(Method::GET, "/keys/k/"), Repeatable);
        assert_eq!(c(Method::PUT, "/keys/k"), Unrepeatable);
        assert_eq!(c(Method::PUT, "/keys/k/"), Unrepeatable);
        assert_eq!(c(Method::PUT, "/keys/k/rotationpolicy"), Repeatable);
        assert_eq!(c(Method::DELETE, "/keys/k"), DeleteKey);
        assert_eq!(c(Method::DELETE, "/deletedkeys/k"), Unrepeatable);
        assert_eq!(c(Method::POST, "/keys/k/create"), Unrepeatable);
        assert_eq!(c(Method::POST, "/KEYS/k//ENCRYPT"), Repeatable);
        assert_eq!(c(Method::POST, "/keys/k/v/frobnicate"), Unrepeatable);
        assert_eq!(c(Method::POST, "/rng"), Repeatable);
        assert_eq!(
            c(Method::from_bytes(b"PURGE").expect("m"), "/x"),
            Unrepeatable
        );
        assert_eq!(c(Method::GET, "/keys"), Repeatable);
        assert_eq!(c(Method::POST, "/keys/k/v/encrypt/x/y"), Unrepeatable);
        assert_eq!(c(Method::PUT, "/keys/k/a/b/c/d"), Repeatable);
        assert_eq!(c(Method::DELETE, "/keys/k//"), DeleteKey);
        // More trailing slashes than segments the table looks at: still
        // an import, which adds a version.
        assert_eq!(c(Method::PUT, "/keys/k////"), Unrepeatable);
        assert_eq!(c(Method::DELETE, "/keys/k/////////"), DeleteKey);
    }

    #[test]
    fn what_certainly_was_not_performed() {
        let none = HeaderMap::new();
        let ra = headers(&[("retry-after", "1")]);
        let s = |c: u16| StatusCode::from_u16(c).expect("status");
        assert!(certainly_not_performed(s(408), &none));
        assert!(certainly_not_performed(s(429), &none));
        assert!(certainly_not_performed(s(503), &ra));
        assert!(!certainly_not_performed(s(503), &none));
        assert!(!certainly_not_performed(
            s(503),
            &headers(&[("retry-after", "soon")])
        ));
        for c in [500, 502, 504] {
            assert!(!certainly_not_performed(s(c), &ra));
        }
    }
}
