//! ISO 8601 durations, the wire format of rotation policies (`P90D`,
//! `P1Y2M`, `PT12H`): parsed to validate input before a request, and to
//! compute expiry times.

/// 0001-01-01T00:00:00Z, the earliest time [`IsoDuration::checked_add_to`] gives.
const MIN_UNIX: i64 = -62_135_596_800;
/// 9999-12-31T23:59:59Z, the latest time [`IsoDuration::checked_add_to`] gives.
const MAX_UNIX: i64 = 253_402_300_799;

/// A duration: (years, months, days, seconds). Calendar parts are kept
/// apart: a month is not a fixed number of days.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IsoDuration {
    /// Years.
    pub years: i64,
    /// Months.
    pub months: i64,
    /// Days (weeks count as 7 days).
    pub days: i64,
    /// Hours, minutes and seconds, in seconds.
    pub seconds: i64,
}

impl IsoDuration {
    /// Parses `PnYnMnWnDTnHnMnS` (at least one part).
    pub fn parse(s: &str) -> Result<Self, String> {
        let bad = || format!("{s:?} is not an ISO 8601 duration such as P90D, P1Y or PT12H");
        let rest = s.strip_prefix('P').ok_or_else(bad)?;
        if rest.is_empty() {
            return Err(bad());
        }
        let mut d = IsoDuration {
            years: 0,
            months: 0,
            days: 0,
            seconds: 0,
        };
        let mut in_time = false;
        let mut num = String::new();
        let mut any = false;
        for c in rest.chars() {
            match c {
                '0'..='9' => num.push(c),
                'T' if !in_time && num.is_empty() => in_time = true,
                unit => {
                    let n: i64 = num.parse().map_err(|_| bad())?;
                    num.clear();
                    any = true;
                    // Checked: a number too large for the unit is refused, never wrapped.
                    let (slot, factor) = match (in_time, unit) {
                        (false, 'Y') => (&mut d.years, 1),
                        (false, 'M') => (&mut d.months, 1),
                        (false, 'W') => (&mut d.days, 7),
                        (false, 'D') => (&mut d.days, 1),
                        (true, 'H') => (&mut d.seconds, 3600),
                        (true, 'M') => (&mut d.seconds, 60),
                        (true, 'S') => (&mut d.seconds, 1),
                        _ => return Err(bad()),
                    };
                    *slot = n
                        .checked_mul(factor)
                        .and_then(|v| slot.checked_add(v))
                        .ok_or_else(|| format!("{s:?} is too large a duration"))?;
                }
            }
        }
        if !num.is_empty() || !any {
            return Err(bad());
        }
        Ok(d)
    }

    /// Adds the duration to a Unix time (calendar months and years). Never
    /// panics: a result out of range saturates at the latest (or earliest)
    /// representable time; see [`Self::checked_add_to`].
    pub fn add_to(&self, unix: i64) -> i64 {
        self.checked_add_to(unix)
            .unwrap_or(if self.approx_days() >= 0 {
                MAX_UNIX
            } else {
                MIN_UNIX
            })
    }

    /// Adds the duration to a Unix time (calendar months and years), or
    /// says why the result is out of range (before year 1 or after 9999).
    pub fn checked_add_to(&self, unix: i64) -> Result<i64, String> {
        let out = || "the resulting date is out of range (after year 9999)".to_owned();
        let t = time::OffsetDateTime::from_unix_timestamp(unix).map_err(|_| out())?;
        let total_months = (t.month() as i64 - 1)
            .checked_add(self.months)
            .and_then(|m| self.years.checked_mul(12).and_then(|y| m.checked_add(y)))
            .ok_or_else(out)?;
        let year = (t.year() as i64)
            .checked_add(total_months.div_euclid(12))
            .filter(|y| (1..=9999).contains(y))
            .ok_or_else(out)?;
        let month =
            time::Month::try_from((total_months.rem_euclid(12) + 1) as u8).map_err(|_| out())?;
        let year = year as i32;
        let day = t.day().min(time::util::days_in_month(month, year));
        let date = time::Date::from_calendar_date(year, month, day).map_err(|_| out())?;
        let shifted = t.replace_date(date).unix_timestamp();
        let secs = self
            .days
            .checked_mul(86_400)
            .and_then(|d| d.checked_add(self.seconds))
            .and_then(|d| shifted.checked_add(d))
            .filter(|r| (MIN_UNIX..=MAX_UNIX).contains(r))
            .ok_or_else(out)?;
        Ok(secs)
    }

    /// Approximate length in days (for minimum checks).
    pub fn approx_days(&self) -> i64 {
        self.years
            .saturating_mul(365)
            .saturating_add(self.months.saturating_mul(30))
            .saturating_add(self.days)
            .saturating_add(self.seconds / 86_400)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        assert_eq!(IsoDuration::parse("P90D").map(|d| d.days), Ok(90));
        assert_eq!(
            IsoDuration::parse("P1Y2M").map(|d| (d.years, d.months)),
            Ok((1, 2))
        );
        assert_eq!(IsoDuration::parse("PT12H").map(|d| d.seconds), Ok(43_200));
        assert_eq!(IsoDuration::parse("P2W").map(|d| d.days), Ok(14));
        for bad in ["", "P", "90D", "P90", "PT", "P1H", "P-1D", "PxD"] {
            assert!(IsoDuration::parse(bad).is_err(), "{bad}");
        }
        let jan31 = 1_706_659_200; // 2024-01-31T00:00:00Z
        let d = IsoDuration::parse("P1M").expect("parse");
        assert_eq!(d.add_to(jan31), 1_709_164_800); // 2024-02-29
    }

    #[test]
    fn huge_durations_are_refused_or_checked_never_a_panic() {
        // Overflows in debug builds before the checks (issue 9, defect 1).
        for s in [
            "P9223372036854775807W",
            "P1317624576693539402W1D",
            "PT9223372036854775807H",
            "P99999999999999999999D",
        ] {
            assert!(IsoDuration::parse(s).is_err(), "{s}");
        }
        let y = IsoDuration::parse("P9223372036854775807Y").expect("parses");
        assert_eq!(y.approx_days(), i64::MAX);
        // A date past year 9999 is out of range: an error, not a panic.
        let now = 1_706_659_200;
        let far = IsoDuration::parse("P99999999D").expect("parses");
        assert!(far.checked_add_to(now).is_err());
        assert!(y.checked_add_to(now).is_err());
        assert_eq!(
            IsoDuration::parse("P1M")
                .expect("parse")
                .checked_add_to(now),
            Ok(1_709_164_800)
        );
        // The unchecked form never panics either.
        let _ = far.add_to(now);
        let _ = y.add_to(i64::MAX);
    }

    /// Every input the `iso_duration` fuzz target crashed on before the
    /// checks (11 sites; the same inputs are seeds in
    /// `fuzz/corpus/iso_duration/regress-*`): each parses to an error or a
    /// duration whose arithmetic answers, never a panic.
    #[test]
    fn the_inputs_the_fuzzer_crashed_on_are_answered() {
        let now = 1_700_000_000;
        for s in [
            "P9223372036854775807Y1Y",
            "P9223372036854775807W",
            "P9223372036854775807D9223372036854775807D",
            "PT9223372036854775807H",
            "PT9223372036854775807M",
            "P9223372036854775807Y",
            "P99999999D",
            "PT900000000000000S",
            "P66666666666666666D",
            "P999999999999999999M",
            "P100000000000000000Y",
        ] {
            if let Ok(d) = IsoDuration::parse(s) {
                let _ = d.add_to(now);
                assert!(d.checked_add_to(now).is_err(), "{s}: past year 9999");
                assert!(d.approx_days() > 0, "{s}");
            }
        }
    }
}
