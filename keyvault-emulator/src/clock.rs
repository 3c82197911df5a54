//! The emulator's clock: real time plus an offset that tests move forward,
//! so expiry, automatic rotation and retention can be tested without
//! waiting. Every time the service shows or checks reads it.

use std::sync::atomic::{AtomicI64, Ordering};

/// Real time plus an offset (never negative: the clock only moves forward).
#[derive(Debug, Default)]
pub struct Clock {
    /// Milliseconds added to real time.
    offset_ms: AtomicI64,
}

fn real_ms() -> i64 {
    let now = time::OffsetDateTime::now_utc();
    now.unix_timestamp()
        .saturating_mul(1000)
        .saturating_add(i64::from(now.millisecond()))
}

/// The latest time the clock may show (the end of year 9999), so every
/// date it makes stays printable.
pub const MAX_UNIX: i64 = 253_402_300_799;

impl Clock {
    /// The emulated time, in Unix seconds.
    pub fn now(&self) -> i64 {
        self.now_ms().div_euclid(1000)
    }

    /// The emulated time, in Unix milliseconds.
    pub fn now_ms(&self) -> i64 {
        real_ms().saturating_add(self.offset_ms.load(Ordering::SeqCst))
    }

    /// The offset from real time, in seconds.
    pub fn offset_seconds(&self) -> i64 {
        self.offset_ms.load(Ordering::SeqCst).div_euclid(1000)
    }

    /// Moves the clock forward by `seconds` (not backward); returns the new
    /// time. Refused when it would pass the year 9999.
    pub fn advance(&self, seconds: i64) -> Result<i64, String> {
        if seconds < 0 {
            return Err("the clock only moves forward".into());
        }
        let target = self.now().checked_add(seconds).filter(|t| *t <= MAX_UNIX);
        let Some(target) = target else {
            return Err("the clock cannot move past the year 9999".into());
        };
        self.set(target)
    }

    /// Sets the clock to `unix` seconds, which must not be earlier than now.
    pub fn set(&self, unix: i64) -> Result<i64, String> {
        if unix > MAX_UNIX {
            return Err("the clock cannot move past the year 9999".into());
        }
        let now = self.now();
        if unix < now {
            return Err(format!(
                "the clock only moves forward: {unix} is before the emulator's now ({now})"
            ));
        }
        self.offset_ms
            .fetch_add((unix - now).saturating_mul(1000), Ordering::SeqCst);
        Ok(self.now().max(unix))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_moves_forward_only() {
        let c = Clock::default();
        let t0 = c.now();
        let t1 = c.advance(30 * 86_400).expect("advance");
        assert!(t1 >= t0 + 30 * 86_400);
        assert!(c.advance(-1).is_err());
        assert!(c.set(t0).is_err(), "backwards");
        assert!(c.set(MAX_UNIX + 1).is_err());
        assert!(c.advance(i64::MAX).is_err());
        assert!(c.offset_seconds() >= 30 * 86_400 - 1);
    }
}
