//! Retry decisions and delays.

use std::time::{Duration, SystemTime};

use rand::Rng as _;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use crate::options::RetryOptions;

/// Statuses worth another attempt.
pub fn is_retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 429 | 500 | 502 | 503 | 504)
}

/// Transport failures worth another attempt (the request may not have
/// reached the service, or its answer was lost).
pub fn is_retryable_error(e: &reqwest::Error) -> bool {
    e.is_connect() || e.is_timeout() || e.is_request()
}

/// The delay the server asks for, if any: `retry-after-ms`,
/// `x-ms-retry-after-ms` (milliseconds), or `Retry-After` (seconds or an
/// HTTP date).
pub fn server_delay(headers: &HeaderMap) -> Option<Duration> {
    for name in ["retry-after-ms", "x-ms-retry-after-ms"] {
        if let Some(ms) = headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|s| s.trim().parse::<f64>().ok())
            .filter(|ms| ms.is_finite() && *ms >= 0.0)
        {
            return Some(Duration::from_secs_f64(ms / 1000.0));
        }
    }
    let value = headers.get("retry-after")?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// Exponential backoff for retry number `retry` (1-based), with ±20 % jitter.
pub fn backoff(options: &RetryOptions, retry: u32) -> Duration {
    let exp = retry.saturating_sub(1).min(20);
    let base = options
        .initial_delay
        .saturating_mul(1u32 << exp)
        .min(options.max_delay);
    let factor = rand::rng().random_range(0.8..=1.2);
    base.mul_f64(factor).min(options.max_delay)
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
}
