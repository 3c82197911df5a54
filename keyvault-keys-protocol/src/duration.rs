//! ISO 8601 durations, the wire format of rotation policies (`P90D`,
//! `P1Y2M`, `PT12H`): parsed to validate input before a request, and to
//! compute expiry times.

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
                    match (in_time, unit) {
                        (false, 'Y') => d.years += n,
                        (false, 'M') => d.months += n,
                        (false, 'W') => d.days += 7 * n,
                        (false, 'D') => d.days += n,
                        (true, 'H') => d.seconds += 3600 * n,
                        (true, 'M') => d.seconds += 60 * n,
                        (true, 'S') => d.seconds += n,
                        _ => return Err(bad()),
                    }
                }
            }
        }
        if !num.is_empty() || !any {
            return Err(bad());
        }
        Ok(d)
    }

    /// Adds the duration to a Unix time (calendar months and years).
    pub fn add_to(&self, unix: i64) -> i64 {
        let Ok(t) = time::OffsetDateTime::from_unix_timestamp(unix) else {
            return unix;
        };
        let total_months = t.month() as i64 - 1 + self.months + 12 * self.years;
        let year = t.year() as i64 + total_months.div_euclid(12);
        let month = (total_months.rem_euclid(12) + 1) as u8;
        let Ok(month) = time::Month::try_from(month) else {
            return unix;
        };
        let day = t.day().min(time::util::days_in_month(month, year as i32));
        let date = time::Date::from_calendar_date(year as i32, month, day).unwrap_or(t.date());
        let shifted = t.replace_date(date);
        (shifted + time::Duration::days(self.days) + time::Duration::seconds(self.seconds))
            .unix_timestamp()
    }

    /// Adds the duration to a Unix time, or says why the result is out of range.
    pub fn checked_add_to(&self, unix: i64) -> Result<i64, String> {
        Ok(self.add_to(unix))
    }

    /// Approximate length in days (for minimum checks).
    pub fn approx_days(&self) -> i64 {
        self.years * 365 + self.months * 30 + self.days + self.seconds / 86_400
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
            "P9223372036854775807D",
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
            IsoDuration::parse("P1M").expect("parse").checked_add_to(now),
            Ok(1_709_164_800)
        );
        // The unchecked form never panics either.
        let _ = far.add_to(now);
        let _ = y.add_to(i64::MAX);
    }
}
