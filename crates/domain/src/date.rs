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

#[cfg(test)]
mod tests {
    use super::*;

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
