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
    /// A `%` after a value of an indicator whose unit is not per cent.
    #[error("per cent sign for a unit that is not per cent: {0:?}")]
    PercentNotAllowed(String),
    /// A negative margin of error.
    #[error("negative margin: {0:?}")]
    Negative(String),
}

/// Whether an indicator's unit is per cent (`%`): its values are shares 0–100 and may be
/// written with a trailing `%`.
pub fn is_percent_unit(unit: &str) -> bool {
    unit.trim() == "%"
}

/// The rule for unit `%`: a share, 0–100. Other units take any finite value.
pub fn percent_in_range(unit: &str, value: f64) -> bool {
    !is_percent_unit(unit) || (0.0..=100.0).contains(&value)
}

/// A value as people enter it for an indicator (forms, grids, pasted cells, outcome
/// files): [`parse_decimal`], and where the indicator's unit is per cent (`percent`) a
/// trailing `%` (`3 %`, `3%`). A `%` after a value of another unit is refused
/// ([`NumberError::PercentNotAllowed`]), never dropped silently.
pub fn parse_value(input: &str, percent: bool) -> Result<f64, NumberError> {
    let trimmed = input.trim();
    match trimmed.strip_suffix('%') {
        Some(_) if !percent => Err(NumberError::PercentNotAllowed(trimmed.to_string())),
        Some(rest) => parse_decimal(rest).map_err(|e| match e {
            // Quote what was written, with its `%`.
            NumberError::NotANumber(_) | NumberError::Empty => {
                NumberError::NotANumber(trimmed.to_string())
            }
            e => e,
        }),
        None => parse_decimal(trimmed),
    }
}

/// An optional margin of error (±): empty is `None`; `3`, `±3`, `± 3`, `+/-3`, `+-3`
/// (and `3 %` for a per-cent indicator) are 3. A negative margin is refused.
pub fn parse_margin(input: &str, percent: bool) -> Result<Option<f64>, NumberError> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    let body = ["±", "+/-", "+/−", "+-", "+−"]
        .iter()
        .find_map(|p| trimmed.strip_prefix(p))
        .unwrap_or(trimmed);
    if body.trim().is_empty() {
        return Err(NumberError::NotANumber(trimmed.to_string()));
    }
    let v = parse_value(body, percent).map_err(|e| match e {
        NumberError::NotANumber(_) => NumberError::NotANumber(trimmed.to_string()),
        e => e,
    })?;
    if v < 0.0 {
        return Err(NumberError::Negative(trimmed.to_string()));
    }
    Ok(Some(v))
}

/// Parses `88,7`, `88.7`, `1 234,5`, `−3,2` and `+5` into a finite `f64`.
///
/// Thousands are grouped with a space, a no-break space (U+00A0), a narrow no-break space
/// (U+202F) or a thin space (U+2009): what Swedish text, Excel and [`format_sv`] write.
/// The decimal separator is a comma, or a point (a spreadsheet's numeric cell, an
/// English-language Excel). Both a comma and a point in one number is refused as
/// ambiguous (`1.234,5` and `1,234.5` are each one convention's thousands separator and
/// the other's decimal sign, and a wrong guess is a thousandfold error), as is more than
/// one decimal separator (`1.234.567`, `1,234,567`): people group thousands with spaces.
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
    fn values_with_per_cent_sign_only_for_per_cent_units() {
        assert_eq!(parse_value("3 %", true), Ok(3.0));
        assert_eq!(parse_value("3%", true), Ok(3.0));
        assert_eq!(parse_value(" 88,7\u{a0}% ", true), Ok(88.7));
        assert_eq!(parse_value("1\u{202f}234,5", false), Ok(1234.5));
        assert_eq!(parse_value("3", true), Ok(3.0));
        assert_eq!(
            parse_value("3 %", false),
            Err(NumberError::PercentNotAllowed("3 %".into()))
        );
        assert_eq!(
            parse_value("%", true),
            Err(NumberError::NotANumber("%".into()))
        );
        assert_eq!(
            parse_value("1.234,5 %", true),
            Err(NumberError::Ambiguous("1.234,5".into()))
        );
        assert!(is_percent_unit(" % ") && !is_percent_unit("procent"));
        assert!(percent_in_range("%", 100.0) && !percent_in_range("%", 100.5));
        assert!(percent_in_range("antal", 100.5));
    }

    #[test]
    fn margins_with_or_without_plus_minus() {
        for text in ["3", "±3", "± 3", "+/-3", "+/- 3", "+-3", " ±3,0 "] {
            assert_eq!(parse_margin(text, false), Ok(Some(3.0)), "{text}");
        }
        assert_eq!(parse_margin("± 2,5 %", true), Ok(Some(2.5)));
        assert_eq!(parse_margin("", false), Ok(None));
        assert_eq!(parse_margin("  ", false), Ok(None));
        assert_eq!(
            parse_margin("-1", false),
            Err(NumberError::Negative("-1".into()))
        );
        assert_eq!(
            parse_margin("±-1", false),
            Err(NumberError::Negative("±-1".into()))
        );
        assert_eq!(
            parse_margin("±", false),
            Err(NumberError::NotANumber("±".into()))
        );
        assert_eq!(
            parse_margin("± tre", false),
            Err(NumberError::NotANumber("± tre".into()))
        );
        assert_eq!(
            parse_margin("3 %", false),
            Err(NumberError::PercentNotAllowed("3 %".into()))
        );
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
            let _ = parse_value(&s, true);
            let _ = parse_margin(&s, false);
        }

        /// Whatever separator groups the thousands, with or without `%` and `±`, a
        /// formatted number reads back as itself.
        #[test]
        fn grouped_per_cent_and_margins_parse_back(
            v in 0.0f64..1.0e7,
            d in 0u8..3,
            sep in prop::sample::select(vec![' ', '\u{a0}', '\u{202f}']),
            pct in prop::sample::select(vec!["", "%", " %"]),
            pm in prop::sample::select(vec!["", "±", "± ", "+/-"]),
        ) {
            let s = format_sv(v, d).replace('\u{a0}', &sep.to_string());
            let tolerance = 0.5 * 10f64.powi(-i32::from(d)) + 1e-6;
            let value = parse_value(&format!("{s}{pct}"), true).unwrap();
            prop_assert!((value - v).abs() <= tolerance, "{s}{pct} -> {value}");
            let margin = parse_margin(&format!("{pm}{s}{pct}"), true).unwrap().unwrap();
            prop_assert!((margin - v).abs() <= tolerance, "{pm}{s}{pct} -> {margin}");
            if !pct.is_empty() {
                prop_assert_eq!(
                    parse_value(&format!("{s}{pct}"), false),
                    Err(NumberError::PercentNotAllowed(format!("{s}{pct}")))
                );
            }
        }

        /// A number with both a comma and a point is never guessed.
        #[test]
        fn mixed_separators_are_refused(a in 1u32..1000, b in 0u32..1000, c in 0u32..10) {
            for s in [format!("{a}.{b:03},{c}"), format!("{a},{b:03}.{c}")] {
                prop_assert_eq!(parse_decimal(&s), Err(NumberError::Ambiguous(s.clone())));
            }
        }
    }
}
