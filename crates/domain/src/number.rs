//! Numbers as Swedish users write and read them: decimal comma, space as thousands
//! separator, `−` as minus sign.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NumberError {
    #[error("empty number")]
    Empty,
    #[error("not a number: {0:?}")]
    NotANumber(String),
    #[error("ambiguous separators in {0:?}")]
    Ambiguous(String),
}

/// Parses `88,7`, `88.7`, `1 234,5`, `−3,2` and `+5` into a finite `f64`.
///
/// Both a comma and a point in one number is refused as ambiguous (`1,234.5` could be
/// either convention), as is more than one decimal separator.
pub fn parse_decimal(input: &str) -> Result<f64, NumberError> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(NumberError::Empty);
    }
    let mut cleaned = String::with_capacity(trimmed.len());
    for c in trimmed.chars() {
        match c {
            ' ' | '\u{a0}' | '\u{202f}' | '\u{2009}' => {}
            '−' | '–' => cleaned.push('-'),
            c => cleaned.push(c),
        }
    }
    let commas = cleaned.matches(',').count();
    let points = cleaned.matches('.').count();
    if commas > 0 && points > 0 || commas > 1 || points > 1 {
        return Err(NumberError::Ambiguous(trimmed.to_string()));
    }
    let normalised = cleaned.replace(',', ".");
    let well_formed = {
        let body = normalised.strip_prefix(['-', '+']).unwrap_or(&normalised);
        !body.is_empty()
            && body.bytes().all(|b| b.is_ascii_digit() || b == b'.')
            && body.bytes().any(|b| b.is_ascii_digit())
    };
    if !well_formed {
        return Err(NumberError::NotANumber(trimmed.to_string()));
    }
    normalised
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| NumberError::NotANumber(trimmed.to_string()))
}

/// Formats a number the Swedish way with a fixed number of decimals: `1 234,5`.
/// The thousands separator is a no-break space so that a number never wraps.
pub fn format_sv(value: f64, decimals: u8) -> String {
    let formatted = format!("{:.*}", usize::from(decimals), value.abs());
    let (int_part, frac_part) = match formatted.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (formatted.as_str(), None),
    };
    let mut grouped = String::new();
    for (i, c) in int_part.chars().enumerate() {
        if i > 0 && (int_part.len() - i) % 3 == 0 {
            grouped.push('\u{a0}');
        }
        grouped.push(c);
    }
    let negative = value < 0.0 && formatted.bytes().any(|b| (b'1'..=b'9').contains(&b));
    let mut out = String::new();
    if negative {
        out.push('−');
    }
    out.push_str(&grouped);
    if let Some(f) = frac_part {
        out.push(',');
        out.push_str(f);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_swedish_and_international_notation() {
        assert_eq!(parse_decimal("88,7"), Ok(88.7));
        assert_eq!(parse_decimal("88.7"), Ok(88.7));
        assert_eq!(parse_decimal("1 234,5"), Ok(1234.5));
        assert_eq!(parse_decimal("1\u{a0}234"), Ok(1234.0));
        assert_eq!(parse_decimal("−3,2"), Ok(-3.2));
        assert_eq!(parse_decimal("+5"), Ok(5.0));
        assert_eq!(parse_decimal(",5"), Ok(0.5));
    }

    #[test]
    fn refuses_what_is_not_one_clear_number() {
        for bad in [
            "", " ", "abc", "1,234.5", "1,2,3", "1.2.3", "NaN", "inf", "-", "1e5", "12%", ",",
        ] {
            assert!(parse_decimal(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn formats_with_decimal_comma_and_grouping() {
        assert_eq!(format_sv(88.7, 1), "88,7");
        assert_eq!(format_sv(1234.5, 1), "1\u{a0}234,5");
        assert_eq!(format_sv(997.0, 0), "997");
        assert_eq!(format_sv(-3.25, 1), "−3,2");
        assert_eq!(format_sv(-0.01, 0), "0");
        assert_eq!(format_sv(1_000_000.0, 0), "1\u{a0}000\u{a0}000");
    }

    proptest! {
        #[test]
        fn formatted_numbers_parse_back(v in -1.0e9f64..1.0e9, d in 0u8..4) {
            let s = format_sv(v, d);
            let back = parse_decimal(&s).unwrap();
            let tolerance = 0.5 * 10f64.powi(-i32::from(d)) + 1e-6;
            prop_assert!((back - v).abs() <= tolerance, "{v} -> {s} -> {back}");
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,20}") {
            let _ = parse_decimal(&s);
        }
    }
}
