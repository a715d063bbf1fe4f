//! Calendar dates as users type them (ISO `YYYY-MM-DD`).

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an ISO date: {0:?}")]
pub struct DateError(pub String);

/// Checks an ISO date `YYYY-MM-DD` (a real calendar day) and returns it trimmed.
pub fn parse_iso_date(input: &str) -> Result<String, DateError> {
    let s = input.trim();
    let err = || DateError(s.to_string());
    let bytes = s.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return Err(err());
    }
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = s.get(r)?;
        part.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| part.parse().ok())
            .flatten()
    };
    let (y, m, d) = (
        digits(0..4).ok_or_else(err)?,
        digits(5..7).ok_or_else(err)?,
        digits(8..10).ok_or_else(err)?,
    );
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err(err()),
    };
    if !(1900..=2200).contains(&y) || d == 0 || d > days {
        return Err(err());
    }
    Ok(s.to_string())
}

/// Days from `from` to `to` (ISO dates); `None` if either is not a date.
pub fn days_between(from: &str, to: &str) -> Option<i64> {
    Some(day_number(to)? - day_number(from)?)
}

/// Days since 1970-01-01 (proleptic Gregorian).
pub fn day_number(date: &str) -> Option<i64> {
    let date = parse_iso_date(date).ok()?;
    let y: i64 = date[0..4].parse().ok()?;
    let m: i64 = date[5..7].parse().ok()?;
    let d: i64 = date[8..10].parse().ok()?;
    Some(days_from_civil(y, m, d))
}

/// Days since 1970-01-01 of a valid calendar day (proleptic Gregorian).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The ISO date of a day number (days since 1970-01-01); the inverse of [`day_number`].
pub fn from_day_number(n: i64) -> String {
    let z = n + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_between_counts_calendar_days() {
        assert_eq!(days_between("1970-01-01", "1970-01-02"), Some(1));
        assert_eq!(day_number("1970-01-01"), Some(0));
        assert_eq!(
            days_between("2024-02-28", "2024-03-01"),
            Some(2),
            "leap year"
        );
        assert_eq!(days_between("2023-02-28", "2023-03-01"), Some(1));
        assert_eq!(days_between("2024-03-20", "2023-03-20"), Some(-366));
        assert_eq!(days_between("2019-12-31", "2020-12-31"), Some(366));
        assert_eq!(days_between("igår", "2020-12-31"), None);
    }

    proptest::proptest! {
        #[test]
        fn day_numbers_round_trip(n in -25_567i64..84_000) {
            let date = from_day_number(n);
            proptest::prop_assert_eq!(day_number(&date), Some(n), "{}", date);
        }
    }

    #[test]
    fn accepts_real_days_only() {
        assert_eq!(parse_iso_date(" 2019-12-31 "), Ok("2019-12-31".into()));
        assert!(parse_iso_date("2020-02-29").is_ok());
        for bad in [
            "2019-02-29",
            "2019-13-01",
            "2019-00-10",
            "2019-1-1",
            "31/12/2019",
            "",
            "2019-12-3x",
        ] {
            assert!(parse_iso_date(bad).is_err(), "{bad}");
        }
    }
}
