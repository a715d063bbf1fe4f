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

/// (year, month, day) of a day number (days since 1970-01-01, proleptic Gregorian); the
/// inverse of [`days_from_civil`] (Howard Hinnant's `civil_from_days`).
pub fn civil_from_days(n: i64) -> (i64, i64, i64) {
    let z = n + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// The ISO date of a day number (days since 1970-01-01); the inverse of [`day_number`].
pub fn from_day_number(n: i64) -> String {
    let (y, m, d) = civil_from_days(n);
    format!("{y:04}-{m:02}-{d:02}")
}

/// A moment in UTC as calendar day and time of day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CivilTime {
    pub year: i64,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
}

/// The UTC calendar day and time of day at `unix_seconds` (seconds since 1970-01-01
/// 00:00 UTC, leap seconds not counted).
pub fn civil_from_unix(unix_seconds: i64) -> CivilTime {
    let (year, month, day) = civil_from_days(unix_seconds.div_euclid(86_400));
    let in_day = unix_seconds.rem_euclid(86_400);
    // Every part is below 60 (24 for hours, 32 for days), so each fits a u8.
    let small = |n: i64| n as u8;
    CivilTime {
        year,
        month: small(month),
        day: small(day),
        hour: small(in_day / 3600),
        minute: small(in_day % 3600 / 60),
        second: small(in_day % 60),
    }
}

/// The day number of the last Sunday of `month` (which must have 31 days) in `year`.
fn last_sunday(year: i64, month: i64) -> i64 {
    let last = days_from_civil(year, month, 31);
    // 1970-01-01 was a Thursday: (n + 4) mod 7 is 0 on Sundays.
    last - (last + 4).rem_euclid(7)
}

/// How many hours Swedish time (Europe/Stockholm) is ahead of UTC at `unix_seconds`:
/// 2 in summer time (CEST, from 01:00 UTC on the last Sunday of March to 01:00 UTC on the
/// last Sunday of October, the EU rule since 1996), otherwise 1 (CET).
pub fn swedish_utc_offset_hours(unix_seconds: i64) -> i64 {
    let (year, _, _) = civil_from_days(unix_seconds.div_euclid(86_400));
    let start = last_sunday(year, 3) * 86_400 + 3600;
    let end = last_sunday(year, 10) * 86_400 + 3600;
    if (start..end).contains(&unix_seconds) {
        2
    } else {
        1
    }
}

/// The ISO date in Sweden at `unix_seconds` (seconds since 1970-01-01 UTC): "today" for
/// every date default, overdue flag and age in days. Timestamps stay UTC.
pub fn swedish_date(unix_seconds: i64) -> String {
    let local = unix_seconds + 3600 * swedish_utc_offset_hours(unix_seconds);
    from_day_number(local.div_euclid(86_400))
}

/// Seconds since the epoch of an RFC 3339 time as the change log records it
/// (`2024-06-30T12:05:09Z`, `…09.123456Z`, `…09+02:00`); `None` for anything else.
pub fn unix_from_rfc3339(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() < 20 || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let day = day_number(text.get(..10)?)?;
    let (h, m, sec) = (
        part_of(text, 11..13, 23)?,
        part_of(text, 14..16, 59)?,
        part_of(text, 17..19, 60)?,
    );
    let mut rest = &text[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        rest = &frac[digits..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            if rest.len() != 6 || rest.as_bytes()[3] != b':' {
                return None;
            }
            sign * (part_of(rest, 1..3, 23)? * 3600 + part_of(rest, 4..6, 59)? * 60)
        }
    };
    Some(day * 86_400 + h * 3600 + m * 60 + sec - offset)
}

/// The two-digit number at `r` in `text`, at most `max`.
fn part_of(text: &str, r: std::ops::Range<usize>, max: i64) -> Option<i64> {
    let t = text.get(r)?;
    t.bytes()
        .all(|c| c.is_ascii_digit())
        .then(|| t.parse::<i64>().ok())
        .flatten()
        .filter(|n| *n <= max)
}

/// Swedish local time (Europe/Stockholm, CET/CEST) at `unix_seconds` as people read it:
/// `2024-06-30 14:05`.
pub fn swedish_time(unix_seconds: i64) -> String {
    let t = civil_from_unix(unix_seconds + 3600 * swedish_utc_offset_hours(unix_seconds));
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        t.year, t.month, t.day, t.hour, t.minute
    )
}

/// [`swedish_time`] of an RFC 3339 time; the text as it is when it is not one.
pub fn swedish_time_of(rfc3339: &str) -> String {
    unix_from_rfc3339(rfc3339).map_or_else(|| rfc3339.to_string(), swedish_time)
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

    /// Seconds since the epoch of a UTC time `YYYY-MM-DD` `hh:mm`.
    fn utc(date: &str, h: i64, m: i64) -> i64 {
        day_number(date).unwrap() * 86_400 + h * 3600 + m * 60
    }

    #[test]
    fn swedish_today_turns_at_swedish_midnight_in_winter_and_summer() {
        // Winter (CET, UTC+1): 23:00 UTC is already tomorrow.
        assert_eq!(swedish_date(utc("2024-12-31", 22, 59)), "2024-12-31");
        assert_eq!(swedish_date(utc("2024-12-31", 23, 0)), "2025-01-01");
        assert_eq!(swedish_date(utc("2025-01-15", 23, 30)), "2025-01-16");
        // Summer (CEST, UTC+2): 22:00 UTC is tomorrow, 21:59 is not.
        assert_eq!(swedish_date(utc("2024-06-30", 21, 59)), "2024-06-30");
        assert_eq!(swedish_date(utc("2024-06-30", 22, 0)), "2024-07-01");
        assert_eq!(swedish_date(utc("2024-06-30", 23, 30)), "2024-07-01");
        // Day time is the same day everywhere.
        assert_eq!(swedish_date(utc("2024-06-30", 12, 0)), "2024-06-30");
    }

    #[test]
    fn summer_time_starts_and_ends_on_the_last_sundays_at_one_utc() {
        // 2024: Sunday 31 March and Sunday 27 October.
        assert_eq!(swedish_utc_offset_hours(utc("2024-03-31", 0, 59)), 1);
        assert_eq!(swedish_utc_offset_hours(utc("2024-03-31", 1, 0)), 2);
        assert_eq!(swedish_utc_offset_hours(utc("2024-10-27", 0, 59)), 2);
        assert_eq!(swedish_utc_offset_hours(utc("2024-10-27", 1, 0)), 1);
        // 2025: Sunday 30 March and Sunday 26 October; 2026: 29 March and 25 October.
        assert_eq!(swedish_utc_offset_hours(utc("2025-03-30", 0, 59)), 1);
        assert_eq!(swedish_utc_offset_hours(utc("2025-03-30", 1, 0)), 2);
        assert_eq!(swedish_utc_offset_hours(utc("2025-10-26", 1, 0)), 1);
        assert_eq!(swedish_utc_offset_hours(utc("2026-03-29", 1, 0)), 2);
        assert_eq!(swedish_utc_offset_hours(utc("2026-10-25", 0, 59)), 2);
        assert_eq!(swedish_utc_offset_hours(utc("2026-03-28", 12, 0)), 1);
        // Midnight around the switches: the night the clocks go forward, 22:30 UTC on
        // Saturday is 23:30 CET (still Saturday); the night they go back, 22:30 UTC on
        // Saturday is 00:30 CEST on Sunday.
        assert_eq!(swedish_date(utc("2024-03-30", 22, 30)), "2024-03-30");
        assert_eq!(swedish_date(utc("2024-03-30", 23, 0)), "2024-03-31");
        assert_eq!(swedish_date(utc("2024-10-26", 21, 59)), "2024-10-26");
        assert_eq!(swedish_date(utc("2024-10-26", 22, 0)), "2024-10-27");
        assert_eq!(swedish_date(utc("2024-10-27", 22, 59)), "2024-10-27");
        assert_eq!(swedish_date(utc("2024-10-27", 23, 0)), "2024-10-28");
    }

    proptest::proptest! {
        #[test]
        fn swedish_date_is_utc_plus_one_or_two_hours(secs in 0i64..7_000_000_000) {
            let utc_day = from_day_number(secs.div_euclid(86_400));
            let d = swedish_date(secs);
            let offset = swedish_utc_offset_hours(secs);
            proptest::prop_assert!(offset == 1 || offset == 2);
            proptest::prop_assert_eq!(d, from_day_number((secs + offset * 3600).div_euclid(86_400)));
            let ahead = days_between(&utc_day, &swedish_date(secs));
            proptest::prop_assert!(matches!(ahead, Some(0 | 1) | None));
        }

        #[test]
        fn civil_days_round_trip(n in -1_000_000i64..1_000_000) {
            let (y, m, d) = civil_from_days(n);
            proptest::prop_assert!((1..=12).contains(&m) && (1..=31).contains(&d));
            proptest::prop_assert_eq!(days_from_civil(y, m, d), n);
        }

        #[test]
        fn unix_seconds_round_trip(secs in -10_000_000_000i64..10_000_000_000) {
            let t = civil_from_unix(secs);
            proptest::prop_assert!(t.hour < 24 && t.minute < 60 && t.second < 60);
            let day = days_from_civil(t.year, i64::from(t.month), i64::from(t.day));
            let in_day = i64::from(t.hour) * 3600 + i64::from(t.minute) * 60 + i64::from(t.second);
            proptest::prop_assert_eq!(day * 86_400 + in_day, secs);
        }

        #[test]
        fn day_numbers_round_trip(n in -25_567i64..84_000) {
            let date = from_day_number(n);
            proptest::prop_assert_eq!(day_number(&date), Some(n), "{}", date);
        }
    }

    #[test]
    fn change_log_times_read_in_swedish_local_time() {
        // Winter (CET): one hour ahead; summer (CEST): two.
        assert_eq!(swedish_time_of("2024-01-15T09:30:00Z"), "2024-01-15 10:30");
        assert_eq!(
            swedish_time_of("2024-07-01T09:30:00.123456Z"),
            "2024-07-01 11:30"
        );
        assert_eq!(swedish_time_of("2024-12-31T23:30:00Z"), "2025-01-01 00:30");
        // The switches: 01:00 UTC on the last Sundays of March and October.
        assert_eq!(swedish_time_of("2024-03-31T00:59:00Z"), "2024-03-31 01:59");
        assert_eq!(swedish_time_of("2024-03-31T01:00:00Z"), "2024-03-31 03:00");
        assert_eq!(swedish_time_of("2024-10-27T00:59:00Z"), "2024-10-27 02:59");
        assert_eq!(swedish_time_of("2024-10-27T01:00:00Z"), "2024-10-27 02:00");
        assert_eq!(
            swedish_time_of("2024-07-01T11:30:00+02:00"),
            "2024-07-01 11:30"
        );
        for bad in [
            "",
            "igår",
            "2024-07-01 09:30:00Z",
            "2024-07-01T25:00:00Z",
            "2024-07-01T09:30:00",
        ] {
            assert_eq!(unix_from_rfc3339(bad), None, "{bad}");
            assert_eq!(swedish_time_of(bad), bad);
        }
    }

    proptest::proptest! {
        #[test]
        fn swedish_time_is_the_utc_time_plus_the_offset(secs in 0i64..7_000_000_000) {
            let t = civil_from_unix(secs);
            let utc = format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
                t.year, t.month, t.day, t.hour, t.minute, t.second
            );
            proptest::prop_assert_eq!(unix_from_rfc3339(&utc), Some(secs));
            let local = swedish_time_of(&utc);
            proptest::prop_assert_eq!(&local[..10], swedish_date(secs));
            let expected = swedish_time(secs);
            proptest::prop_assert_eq!(local, expected);
        }
    }

    #[test]
    fn unix_seconds_give_the_utc_day_and_time() {
        let t = |year, month, day, hour, minute, second| CivilTime {
            year,
            month,
            day,
            hour,
            minute,
            second,
        };
        assert_eq!(civil_from_unix(0), t(1970, 1, 1, 0, 0, 0));
        assert_eq!(civil_from_unix(-1), t(1969, 12, 31, 23, 59, 59));
        // 2024-02-29 12:34:56 UTC (a leap day).
        assert_eq!(civil_from_unix(1_709_210_096), t(2024, 2, 29, 12, 34, 56));
        // 2026-12-31 23:59:59 UTC.
        assert_eq!(civil_from_unix(1_798_761_599), t(2026, 12, 31, 23, 59, 59));
        assert_eq!(civil_from_days(days_from_civil(2000, 2, 29)), (2000, 2, 29));
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
