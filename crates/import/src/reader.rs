//! Reading rows out of a parsed TOML document. Every getter records what is wrong (with
//! the field's location) and returns `None`, so that one pass finds every error.

use toml::{Table, Value};
use uppsikt_domain::messages::{self, Expected};
use uppsikt_domain::number::NumberError;
use uppsikt_domain::period::PeriodError;
use uppsikt_domain::period::{MAX_YEAR, MIN_YEAR};
use uppsikt_domain::text::Lines;
use uppsikt_domain::{parse_decimal, Period};

use crate::data::{Key, KEY_MAX};
use crate::report::{quoted, Errors, Origin};

/// Turns one TOML value into a typed value or a Swedish message.
pub(crate) type Convert<'v, T> = &'v dyn Fn(&Value) -> Result<T, String>;

/// One table (a row, or the document itself) and where it is.
pub(crate) struct Row<'a> {
    pub table: &'a Table,
    pub origin: Origin,
}

impl<'a> Row<'a> {
    pub fn new(table: &'a Table, origin: Origin) -> Row<'a> {
        Row { table, origin }
    }

    pub fn at(&self, field: &str) -> Origin {
        self.origin.field(field)
    }

    /// Reports every field that is not in `allowed`, at its place (a name that TOML
    /// must quote, such as `""` or `"a b"`, quoted so that the place is never blank).
    pub fn only(&self, errors: &mut Errors, allowed: &[&str]) {
        for name in self.table.keys().filter(|k| !allowed.contains(&k.as_str())) {
            let bare = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            let place = if bare {
                self.at(&quoted(name))
            } else {
                self.at(&format!("{:?}", quoted(name)))
            };
            errors.at(&place, messages::unknown_field(&quoted(name)));
        }
    }

    /// The field's value; a blank string counts as absent.
    fn present(&self, field: &str) -> Option<&'a Value> {
        self.table
            .get(field)
            .filter(|v| !matches!(v, Value::String(s) if s.trim().is_empty()))
    }

    /// An optional field: `None` when absent or wrong (the error is recorded).
    pub fn opt<T>(&self, errors: &mut Errors, field: &str, convert: Convert<'_, T>) -> Option<T> {
        let value = self.present(field)?;
        convert(value)
            .map_err(|m| errors.at(&self.at(field), m))
            .ok()
    }

    /// A required field: `None` when absent or wrong (the error is recorded).
    pub fn req<T>(&self, errors: &mut Errors, field: &str, convert: Convert<'_, T>) -> Option<T> {
        if self.present(field).is_none() {
            errors.at(&self.at(field), messages::REQUIRED.into());
            return None;
        }
        self.opt(errors, field, convert)
    }

    /// The tables of an array-of-tables field, each with its location `field[i]`.
    pub fn rows(&self, errors: &mut Errors, field: &str) -> Vec<Row<'a>> {
        let Some(value) = self.table.get(field) else {
            return Vec::new();
        };
        let Value::Array(items) = value else {
            errors.at(&self.at(field), messages::wrong_type(Expected::List));
            return Vec::new();
        };
        let mut rows = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let origin = self.at(&format!("{field}[{i}]"));
            match item {
                Value::Table(t) => rows.push(Row::new(t, origin)),
                _ => errors.at(&origin, messages::wrong_type(Expected::Table)),
            }
        }
        rows
    }

    /// A single sub-table field such as `[vision]`.
    pub fn sub_table(&self, errors: &mut Errors, field: &str) -> Option<Row<'a>> {
        match self.table.get(field)? {
            Value::Table(t) => Some(Row::new(t, self.at(field))),
            _ => {
                errors.at(&self.at(field), messages::wrong_type(Expected::Table));
                None
            }
        }
    }

    /// A list of texts, each at most `max` characters.
    pub fn text_list(&self, errors: &mut Errors, field: &str, max: usize) -> Vec<String> {
        let Some(value) = self.table.get(field) else {
            return Vec::new();
        };
        let Value::Array(items) = value else {
            errors.at(&self.at(field), messages::wrong_type(Expected::List));
            return Vec::new();
        };
        let convert = text(max);
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            match convert(item) {
                Ok(s) if !s.is_empty() => out.push(s),
                Ok(_) => errors.at(
                    &self.at(&format!("{field}[{i}]")),
                    messages::REQUIRED.into(),
                ),
                Err(m) => errors.at(&self.at(&format!("{field}[{i}]")), m),
            }
        }
        out
    }
}

// --- converters ------------------------------------------------------------------------

fn as_str(value: &Value) -> Result<&str, String> {
    match value {
        Value::String(s) => Ok(s.trim()),
        _ => Err(messages::wrong_type(Expected::Text)),
    }
}

/// One-line text of at most `max` characters (refused, never truncated), trimmed, that
/// passes the text rule (`domain::text`: no control or direction characters).
pub(crate) fn text(max: usize) -> impl Fn(&Value) -> Result<String, String> {
    checked_text(max, Lines::One)
}

/// Multi-line text (descriptions, analyses, motivations) like [`text`]; tabs and line
/// breaks allowed, line endings normalised to `\n`.
pub(crate) fn long_text(max: usize) -> impl Fn(&Value) -> Result<String, String> {
    checked_text(max, Lines::Many)
}

fn checked_text(max: usize, lines: Lines) -> impl Fn(&Value) -> Result<String, String> {
    move |v| {
        let s = as_str(v)?;
        if s.chars().count() > max {
            return Err(messages::too_long(max));
        }
        uppsikt_domain::text::check(s, lines)
            .map(|s| s.into_owned())
            .map_err(|e| messages::text_refused(&e))
    }
}

pub(crate) fn key_of(v: &Value) -> Result<Key, String> {
    let s = as_str(v)?;
    Key::parse(s).ok_or_else(|| messages::invalid_key(&quoted(s), KEY_MAX))
}

/// A period; an unquoted year (`period = 2019`) is accepted too.
pub(crate) fn period(v: &Value) -> Result<Period, String> {
    let written = match v {
        Value::Integer(i) => i.to_string(),
        other => as_str(other)?.to_string(),
    };
    Period::parse(&written).map_err(|e| {
        let e = match e {
            PeriodError::Unrecognised(s) => PeriodError::Unrecognised(quoted(&s).into_owned()),
            PeriodError::PartOutOfRange { input, part, max } => PeriodError::PartOutOfRange {
                input: quoted(&input).into_owned(),
                part,
                max,
            },
            other => other,
        };
        messages::period(&e)
    })
}

pub(crate) fn date(v: &Value) -> Result<String, String> {
    let s = as_str(v)?;
    uppsikt_domain::date::parse_iso_date(s).map_err(|_| messages::not_a_date(&quoted(s)))
}

pub(crate) fn integer(min: i64, max: i64) -> impl Fn(&Value) -> Result<i64, String> {
    move |v| match v {
        Value::Integer(i) if (min..=max).contains(i) => Ok(*i),
        Value::Integer(_) => Err(messages::out_of_range(min, max)),
        _ => Err(messages::wrong_type(Expected::Integer)),
    }
}

pub(crate) fn year(v: &Value) -> Result<i32, String> {
    let y = integer(i64::from(MIN_YEAR), i64::from(MAX_YEAR))(v)?;
    Ok(i32::try_from(y).expect("year range fits i32"))
}

/// A TOML number, or a string in Swedish notation (`"88,7"`, `"1 234,5"`).
pub(crate) fn number(v: &Value) -> Result<f64, String> {
    let n = match v {
        Value::Integer(i) => *i as f64,
        Value::Float(f) => *f,
        Value::String(s) => {
            return parse_decimal(s).map_err(|e| {
                messages::number(&match e {
                    NumberError::NotANumber(s) => NumberError::NotANumber(quoted(&s).into_owned()),
                    NumberError::Ambiguous(s) => NumberError::Ambiguous(quoted(&s).into_owned()),
                    other => other,
                })
            })
        }
        _ => return Err(messages::wrong_type(Expected::Number)),
    };
    if n.is_finite() {
        Ok(n)
    } else {
        Err(messages::number(
            &uppsikt_domain::number::NumberError::NotANumber(n.to_string()),
        ))
    }
}

pub(crate) fn non_negative(v: &Value) -> Result<f64, String> {
    number(v).and_then(|n| {
        if n < 0.0 {
            Err(messages::negative())
        } else {
            Ok(n)
        }
    })
}

pub(crate) fn boolean(v: &Value) -> Result<bool, String> {
    match v {
        Value::Boolean(b) => Ok(*b),
        _ => Err(messages::wrong_type(Expected::Boolean)),
    }
}

/// One of a fixed set of codes, parsed by `parse`; the message lists the codes.
pub(crate) fn choice<T>(
    parse: impl Fn(&str) -> Option<T>,
    allowed: &'static [&'static str],
) -> impl Fn(&Value) -> Result<T, String> {
    move |v| {
        let s = as_str(v)?;
        parse(s).ok_or_else(|| messages::choice_of(&quoted(s), allowed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(text: &str) -> Table {
        text.parse::<Table>().unwrap()
    }

    #[test]
    fn blank_required_fields_are_reported_as_missing() {
        let t = row("name = '  '");
        let r = Row::new(&t, Origin::new("f", "org_units[0]"));
        let mut errors = Errors::default();
        assert_eq!(r.req(&mut errors, "name", &text(200)), None);
        assert_eq!(r.req(&mut errors, "kind", &text(200)), None);
        let locations: Vec<_> = errors.0.iter().map(|e| e.location.as_str()).collect();
        assert_eq!(locations, ["org_units[0].name", "org_units[0].kind"]);
        assert!(errors.0.iter().all(|e| e.message == messages::REQUIRED));
    }

    #[test]
    fn numbers_accept_toml_numbers_and_swedish_strings_but_not_infinity() {
        assert_eq!(number(&Value::String("88,7".into())), Ok(88.7));
        assert_eq!(number(&Value::String("1 234,5".into())), Ok(1234.5));
        assert_eq!(number(&Value::Integer(997)), Ok(997.0));
        assert!(number(&Value::Float(f64::INFINITY)).is_err());
        assert!(number(&Value::Float(f64::NAN)).is_err());
        assert!(number(&Value::Boolean(true)).unwrap_err().contains("tal"));
    }

    #[test]
    fn periods_may_be_unquoted_years() {
        assert_eq!(period(&Value::Integer(2019)), Ok(Period::Year(2019)));
        assert_eq!(
            period(&Value::String("2019T2".into())),
            Ok(Period::Tertial(2019, 2))
        );
        assert!(period(&Value::Integer(19)).is_err());
    }
}
