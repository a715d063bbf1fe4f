//! One cell's text as a domain value: numbers with decimal comma, periods, breakdowns in
//! Swedish or as codes, sample sizes. Errors are the Swedish sentences users read.

use uppsikt_domain::number::{parse_decimal, parse_margin, parse_value};
use uppsikt_domain::{messages, Breakdown, Period};

/// The longest area name (as `Breakdown::parse` allows).
pub(crate) const AREA_MAX: usize = 100;
/// The largest sample size accepted (as the outcome form does).
pub(crate) const SAMPLE_MAX: i64 = 100_000_000;

/// Excel's and LibreOffice's error values, as calamine and CSV exports write them.
fn is_spreadsheet_error(text: &str) -> bool {
    const CODES: [&str; 12] = [
        "#DIV/0!",
        "#N/A",
        "#NAME?",
        "#NULL!",
        "#NUM!",
        "#REF!",
        "#VALUE!",
        "#DATA!",
        "#SAKNAS!",
        "#DIVISION/0!",
        "#NAMN?",
        "#VÄRDEFEL!",
    ];
    CODES.iter().any(|c| c.eq_ignore_ascii_case(text)) || text.starts_with("Err:")
}

/// A number: `88,7`, `1 234,5`, `−3,2`, `88.7` (from a spreadsheet's numeric cell). For
/// an indicator in per cent, a trailing `%` (`88,7 %`) is allowed. Read by the domain's
/// [`parse_value`], as the web's forms and grids read it.
pub fn number(text: &str, percent_unit: bool) -> Result<f64, String> {
    let t = text.trim();
    if is_spreadsheet_error(t) {
        return Err(messages::cell_error(t));
    }
    parse_value(t, percent_unit).map_err(|e| messages::number(&e))
}

/// An optional number that may not be negative (a margin of error: `4,5`, `±4,5`,
/// `+/-4,5`), read by the domain's [`parse_margin`].
pub fn margin(text: &str, percent_unit: bool) -> Result<Option<f64>, String> {
    let t = text.trim();
    if is_spreadsheet_error(t) {
        return Err(messages::cell_error(t));
    }
    parse_margin(t, percent_unit).map_err(|e| messages::number(&e))
}

/// An optional whole number from 0 (a sample size; `1 234` and a numeric cell's `120`).
pub(crate) fn sample_size(text: &str) -> Result<Option<i64>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let refused = || messages::integer_range(t, 0, SAMPLE_MAX);
    if is_spreadsheet_error(t) {
        return Err(messages::cell_error(t));
    }
    let v = parse_decimal(t).map_err(|_| refused())?;
    if v.fract() != 0.0 || !(0.0..=SAMPLE_MAX as f64).contains(&v) {
        return Err(refused());
    }
    Ok(Some(v as i64))
}

/// Whether `t` is written like a date (`2019-03-05`, `5/3/2019`, `2019-03-05 00:00`,
/// `2019-03-05T00:00:00`): three groups of digits with `-`, `/` or `.` between them.
fn looks_like_date(t: &str) -> bool {
    let day = t.split([' ', 'T']).next().unwrap_or("");
    let parts: Vec<&str> = day.split(['-', '/', '.']).collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 4 && p.bytes().all(|b| b.is_ascii_digit()))
        && parts.iter().any(|p| p.len() == 4)
}

/// A period: `2019`, `2019T2`, `2019-03`, `2019W07`; a year from a numeric cell may be
/// written `2019.0`. A date is refused with a message saying how to write a period.
pub fn period(text: &str) -> Result<Period, String> {
    let t = text.trim();
    if is_spreadsheet_error(t) {
        return Err(messages::cell_error(t));
    }
    if looks_like_date(t) {
        return Err(messages::period_is_date(t));
    }
    match Period::parse(t) {
        Ok(p) => Ok(p),
        Err(e) => {
            // A numeric cell holding a whole year: 2019.0.
            if let Some(year) = t
                .strip_suffix(".0")
                .or_else(|| t.strip_suffix(",0"))
                .filter(|y| y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit()))
            {
                return Period::parse(year).map_err(|e| messages::period(&e));
            }
            Err(messages::period(&e))
        }
    }
}

/// A breakdown and whether it names an area not yet known. Accepted: empty (Totalt), the
/// Swedish labels Totalt, Kvinnor, Män, Flickor, Pojkar and the codes total, women, men,
/// girls, boys (any case); `Område: NAMN` or `area:NAMN` (a new area is allowed, and
/// flagged); the name of a known area alone (any case). Anything else is refused: an area
/// is never guessed from a name that is not known.
pub fn breakdown(text: &str, areas: &[String]) -> Result<(Breakdown, bool), String> {
    let t = text.trim();
    let known = |name: &str| {
        areas
            .iter()
            .find(|a| a.to_lowercase() == name.to_lowercase())
            .cloned()
    };
    let fixed = match t.to_lowercase().as_str() {
        "" | "totalt" | "total" => Some(Breakdown::Total),
        "kvinnor" | "women" => Some(Breakdown::Women),
        "män" | "men" => Some(Breakdown::Men),
        "flickor" | "girls" => Some(Breakdown::Girls),
        "pojkar" | "boys" => Some(Breakdown::Boys),
        _ => None,
    };
    if let Some(b) = fixed {
        return Ok((b, false));
    }
    if let Some((head, name)) = t.split_once(':') {
        if ["område", "area", "kommundel"].contains(&head.trim().to_lowercase().as_str()) {
            let name = name.trim();
            if name.chars().count() > AREA_MAX {
                return Err(messages::too_long(AREA_MAX));
            }
            let refused = || messages::unknown_table_breakdown(t, areas);
            if name.is_empty() {
                return Err(refused());
            }
            return match known(name) {
                Some(stored) => Ok((Breakdown::Area(stored), false)),
                None => {
                    let b = Breakdown::parse(&format!("area:{name}")).map_err(|_| refused())?;
                    Ok((b, true))
                }
            };
        }
    }
    match known(t) {
        Some(stored) => Ok((Breakdown::Area(stored), false)),
        None => Err(messages::unknown_table_breakdown(t, areas)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_swedish_notation_and_from_numeric_cells() {
        for (text, v) in [
            ("88,7", 88.7),
            ("88.7", 88.7),
            ("1 234,5", 1234.5),
            ("1\u{a0}234", 1234.0),
            ("−3,2", -3.2),
            (" 70 ", 70.0),
        ] {
            assert_eq!(number(text, false), Ok(v), "{text}");
        }
        assert_eq!(number("88,7 %", true), Ok(88.7));
        assert_eq!(number("88,7%", true), Ok(88.7));
        assert_eq!(
            number("88,7 %", false),
            Err(messages::number(
                &uppsikt_domain::number::NumberError::PercentNotAllowed("88,7 %".into())
            ))
        );
        assert_eq!(
            number("8,7,1", false),
            Err(messages::number(
                &uppsikt_domain::number::NumberError::Ambiguous("8,7,1".into())
            ))
        );
        assert_eq!(
            number("#DIV/0!", false),
            Err(messages::cell_error("#DIV/0!"))
        );
        assert_eq!(
            number("", false),
            Err(messages::number(
                &uppsikt_domain::number::NumberError::Empty
            ))
        );
    }

    #[test]
    fn margins_and_sample_sizes_are_optional_and_not_negative() {
        assert_eq!(margin("", false), Ok(None));
        assert_eq!(margin("4,5", false), Ok(Some(4.5)));
        assert_eq!(
            margin("-1", false),
            Err(messages::forms::NEGATIVE_MARGIN.into())
        );
        assert_eq!(margin("± 3", false), Ok(Some(3.0)));
        assert_eq!(margin("+/-3", false), Ok(Some(3.0)));
        assert_eq!(sample_size(""), Ok(None));
        assert_eq!(sample_size("1 234"), Ok(Some(1234)));
        assert_eq!(sample_size("120"), Ok(Some(120)));
        for bad in ["12,5", "-3", "många", "1000000000"] {
            assert_eq!(
                sample_size(bad),
                Err(messages::integer_range(bad, 0, SAMPLE_MAX)),
                "{bad}"
            );
        }
    }

    #[test]
    fn periods_from_text_and_numeric_cells_and_dates_refused() {
        assert_eq!(period("2019"), Ok(Period::Year(2019)));
        assert_eq!(period("2019.0"), Ok(Period::Year(2019)));
        assert_eq!(period("2019T2"), Ok(Period::Tertial(2019, 2)));
        assert_eq!(period("2019-03"), Ok(Period::Month(2019, 3)));
        assert_eq!(period("2019W07"), Ok(Period::Week(2019, 7)));
        for date in ["2019-03-05", "5/3/2019", "2019-03-05 12:00", "05.03.2019"] {
            assert_eq!(period(date), Err(messages::period_is_date(date)), "{date}");
        }
        assert!(period("2019X").is_err());
        assert!(period("2019.5").is_err());
        assert!(period("").is_err());
    }

    #[test]
    fn breakdowns_in_swedish_codes_or_areas_never_guessed() {
        let areas = vec!["Vårby".to_string(), "Gladö-Lissma".to_string()];
        for (text, b) in [
            ("", Breakdown::Total),
            ("Totalt", Breakdown::Total),
            ("KVINNOR", Breakdown::Women),
            ("män", Breakdown::Men),
            ("men", Breakdown::Men),
            ("Flickor", Breakdown::Girls),
            ("boys", Breakdown::Boys),
            ("vårby", Breakdown::Area("Vårby".into())),
            (
                "Område: Gladö-Lissma",
                Breakdown::Area("Gladö-Lissma".into()),
            ),
            ("area:vårby", Breakdown::Area("Vårby".into())),
        ] {
            assert_eq!(breakdown(text, &areas), Ok((b, false)), "{text}");
        }
        assert_eq!(
            breakdown("Område: Nytt område", &areas),
            Ok((Breakdown::Area("Nytt område".into()), true))
        );
        for bad in ["Vårbi", "Kvinna", "area:", "Område: a|b"] {
            assert_eq!(
                breakdown(bad, &areas),
                Err(messages::unknown_table_breakdown(bad, &areas)),
                "{bad}"
            );
        }
        assert_eq!(
            breakdown(&format!("Område: {}", "x".repeat(101)), &areas),
            Err(messages::too_long(AREA_MAX))
        );
    }
}
