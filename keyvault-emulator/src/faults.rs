//! Fault injection: a share of authenticated requests is throttled (429 or
//! 503 with a Retry-After in one of its three forms) or has its connection
//! dropped, half before the operation runs and half after it ran, so that
//! clients can be tested against "did it happen?". Deterministic with a
//! seed: the n-th request gets the same fate in every run.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Response, StatusCode};

/// Which faults to inject, and how often (`--faults
/// throttle=0.25,reset=0.05,latency=20,seed=7`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Faults {
    /// The share of authenticated requests answered 429 or 503 (0 to 1).
    pub throttle: f64,
    /// The share of authenticated requests whose connection is dropped
    /// without an answer (0 to 1); half of them after the operation ran.
    pub reset: f64,
    /// Each authenticated request is delayed by up to this (uniformly).
    pub latency: Option<Duration>,
    /// The seed of the decisions; a fixed seed gives the same sequence of
    /// faults for the same sequence of requests. Random when `None`.
    pub seed: Option<u64>,
}

impl std::str::FromStr for Faults {
    type Err = String;

    /// Parses `throttle=P,reset=P[,latency=MS][,seed=N]` (any order, each optional).
    fn from_str(s: &str) -> Result<Self, String> {
        let mut f = Faults::default();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = part
                .split_once('=')
                .ok_or_else(|| format!("--faults: {part:?} is not NAME=VALUE"))?;
            let share = |v: &str| -> Result<f64, String> {
                v.parse::<f64>()
                    .ok()
                    .filter(|p| (0.0..=1.0).contains(p))
                    .ok_or_else(|| format!("--faults: {k} takes a share from 0 to 1, not {v:?}"))
            };
            match k {
                "throttle" => f.throttle = share(v)?,
                "reset" => f.reset = share(v)?,
                "latency" => {
                    f.latency = Some(Duration::from_millis(v.parse().map_err(|_| {
                        format!("--faults: latency takes milliseconds, not {v:?}")
                    })?))
                }
                "seed" => {
                    f.seed = Some(
                        v.parse()
                            .map_err(|_| format!("--faults: seed takes an integer, not {v:?}"))?,
                    )
                }
                other => {
                    return Err(format!(
                        "--faults knows throttle, reset, latency and seed, not {other:?}"
                    ));
                }
            }
        }
        if f.throttle + f.reset > 1.0 {
            return Err("--faults: throttle and reset add up to more than 1".into());
        }
        Ok(f)
    }
}

/// What the injector did so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FaultStats {
    /// Authenticated requests received.
    pub requests: u64,
    /// Answered 429 or 503 without running.
    pub throttled: u64,
    /// Connection dropped before the operation ran (it did not run).
    pub reset_before: u64,
    /// Connection dropped after the operation ran (it did run).
    pub reset_after: u64,
}

/// What happens to one request.
pub(crate) enum Fault {
    None,
    Throttle(Response<Full<Bytes>>),
    ResetBefore,
    ResetAfter,
}

/// splitmix64: a small, well-mixed, seedable generator.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Decides each request's fate and counts.
pub(crate) struct Injector {
    faults: Faults,
    seed: u64,
    next: AtomicU64,
    throttled: AtomicU64,
    reset_before: AtomicU64,
    reset_after: AtomicU64,
}

impl Injector {
    pub(crate) fn new(faults: Faults) -> Self {
        let seed = faults.seed.unwrap_or_else(|| {
            let mut b = [0u8; 8];
            let _ = aws_lc_rs::rand::fill(&mut b);
            u64::from_le_bytes(b)
        });
        Self {
            faults,
            seed,
            next: AtomicU64::new(0),
            throttled: AtomicU64::new(0),
            reset_before: AtomicU64::new(0),
            reset_after: AtomicU64::new(0),
        }
    }

    pub(crate) fn stats(&self) -> FaultStats {
        FaultStats {
            requests: self.next.load(Ordering::SeqCst),
            throttled: self.throttled.load(Ordering::SeqCst),
            reset_before: self.reset_before.load(Ordering::SeqCst),
            reset_after: self.reset_after.load(Ordering::SeqCst),
        }
    }

    /// The fate of the next request (after its latency, if any).
    pub(crate) async fn decide(&self) -> Fault {
        let n = self.next.fetch_add(1, Ordering::SeqCst);
        let r = mix(self.seed ^ mix(n));
        // Independent draws from one 64-bit word and a second mix.
        let unit = |x: u64| (x >> 11) as f64 / (1u64 << 53) as f64;
        let roll = unit(r);
        let second = mix(r);
        if let Some(max) = self.faults.latency {
            let ms = max.as_millis() as u64;
            if ms > 0 {
                tokio::time::sleep(Duration::from_millis(second % (ms + 1))).await;
            }
        }
        if roll < self.faults.throttle {
            self.throttled.fetch_add(1, Ordering::SeqCst);
            return Fault::Throttle(throttled_response(second));
        }
        if roll < self.faults.throttle + self.faults.reset {
            if second & 1 == 0 {
                self.reset_before.fetch_add(1, Ordering::SeqCst);
                return Fault::ResetBefore;
            }
            self.reset_after.fetch_add(1, Ordering::SeqCst);
            return Fault::ResetAfter;
        }
        Fault::None
    }
}

/// 429 or 503 with `Retry-After: 0`, `retry-after-ms: 0..=50` or
/// `x-ms-retry-after-ms: 0..=50`.
fn throttled_response(r: u64) -> Response<Full<Bytes>> {
    let (status, code, message) = if (r >> 1) & 1 == 0 {
        (
            StatusCode::TOO_MANY_REQUESTS,
            "Throttled",
            "Operations per second is over the limit (emulated fault).",
        )
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailable",
            "The service is temporarily unavailable (emulated fault).",
        )
    };
    let ms = (r >> 8) % 51;
    let (name, value) = match (r >> 2) % 3 {
        0 => ("retry-after", "0".to_owned()),
        1 => ("retry-after-ms", ms.to_string()),
        _ => ("x-ms-retry-after-ms", ms.to_string()),
    };
    let body = serde_json::json!({"error": {"code": code, "message": message}}).to_string();
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&value) {
        h.insert(name, v);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_flag() {
        let f: Faults = "throttle=0.25,reset=0.05,latency=20,seed=7"
            .parse()
            .expect("parse");
        assert_eq!(
            f,
            Faults {
                throttle: 0.25,
                reset: 0.05,
                latency: Some(Duration::from_millis(20)),
                seed: Some(7)
            }
        );
        for bad in [
            "throttle=2",
            "reset=x",
            "boom=1",
            "throttle",
            "throttle=0.6,reset=0.6",
        ] {
            assert!(bad.parse::<Faults>().is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn rates_are_roughly_honoured_and_the_seed_repeats() {
        let faults = Faults {
            throttle: 0.25,
            reset: 0.1,
            latency: None,
            seed: Some(42),
        };
        let run = || async {
            let i = Injector::new(faults.clone());
            let mut fates = Vec::new();
            for _ in 0..4000 {
                fates.push(match i.decide().await {
                    Fault::None => 0,
                    Fault::Throttle(r) => r.status().as_u16(),
                    Fault::ResetBefore => 1,
                    Fault::ResetAfter => 2,
                });
            }
            (fates, i.stats())
        };
        let (a, stats) = run().await;
        let (b, _) = run().await;
        assert_eq!(a, b, "the same seed gives the same faults");
        assert_eq!(stats.requests, 4000);
        let share = |n: u64| n as f64 / 4000.0;
        assert!((0.22..0.28).contains(&share(stats.throttled)), "{stats:?}");
        let resets = stats.reset_before + stats.reset_after;
        assert!((0.08..0.12).contains(&share(resets)), "{stats:?}");
        assert!(stats.reset_before > resets / 3 && stats.reset_after > resets / 3);
        assert!(a.contains(&429) && a.contains(&503));
    }
}
