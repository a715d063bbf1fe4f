//! The JSON form of a data file: JSON read into the TOML values the reader walks, so that
//! one parser checks both. What TOML cannot hold is refused at its place: `null`, and
//! numbers that are neither 64-bit integers nor finite decimals.

use serde_json::Value as Json;
use toml::{Table, Value};
use uppsikt_domain::messages::audit as au;

use crate::report::{Errors, Origin};

/// The document as a TOML table, or `None` (the errors recorded) when it is not JSON, not
/// an object, or holds what TOML cannot.
pub(crate) fn to_table(name: &str, json: &str, errors: &mut Errors) -> Option<Table> {
    let value: Json = match serde_json::from_str(json) {
        Ok(v) => v,
        Err(e) => {
            errors.at(
                &Origin::new(name, ""),
                au::json_syntax(e.line(), e.column()),
            );
            return None;
        }
    };
    let before = errors.count();
    match convert(&value, &Origin::new(name, ""), errors) {
        Some(Value::Table(t)) if errors.count() == before => Some(t),
        Some(Value::Table(_)) => None,
        _ => {
            if errors.count() == before {
                errors.at(&Origin::new(name, ""), au::JSON_NOT_OBJECT.into());
            }
            None
        }
    }
}

fn convert(v: &Json, at: &Origin, errors: &mut Errors) -> Option<Value> {
    match v {
        Json::Null => {
            errors.at(at, au::JSON_NULL.into());
            None
        }
        Json::Bool(b) => Some(Value::Boolean(*b)),
        Json::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => Some(Value::Integer(i)),
            (None, Some(f)) if f.is_finite() && !n.is_u64() => Some(Value::Float(f)),
            _ => {
                errors.at(at, au::JSON_NUMBER.into());
                None
            }
        },
        Json::String(s) => Some(Value::String(s.clone())),
        Json::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let place = Origin::new(&at.file, format!("{}[{i}]", at.location));
                if let Some(x) = convert(item, &place, errors) {
                    out.push(x);
                }
            }
            Some(Value::Array(out))
        }
        Json::Object(map) => {
            let mut t = Table::new();
            for (k, item) in map {
                if let Some(x) = convert(item, &at.field(k), errors) {
                    t.insert(k.clone(), x);
                }
            }
            Some(Value::Table(t))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errs(json: &str) -> Vec<(String, String)> {
        let mut e = Errors::default();
        assert!(to_table("api", json, &mut e).is_none());
        e.0.into_iter().map(|r| (r.location, r.message)).collect()
    }

    #[test]
    fn json_becomes_the_tables_toml_gives() {
        let mut e = Errors::default();
        let t = to_table(
            "api",
            r#"{"format":"uppsikt/1","audits":[{"key":"a","plan_year":2019,"fact_checked":true,"x":1.5}]}"#,
            &mut e,
        )
        .unwrap();
        let expected: Table = r#"format = "uppsikt/1"
[[audits]]
key = "a"
plan_year = 2019
fact_checked = true
x = 1.5
"#
        .parse()
        .unwrap();
        assert_eq!(t, expected);
        assert_eq!(e.count(), 0);
    }

    #[test]
    fn null_huge_numbers_and_non_objects_are_refused_at_their_place() {
        assert_eq!(
            errs(r#"{"audits":[{"key":null,"n":18446744073709551615}]}"#),
            [
                ("audits[0].key".to_string(), au::JSON_NULL.to_string()),
                ("audits[0].n".to_string(), au::JSON_NUMBER.to_string()),
            ]
        );
        assert_eq!(errs("[1]")[0].1, au::JSON_NOT_OBJECT);
        assert_eq!(errs("{\"a\":")[0].1, au::json_syntax(1, 5));
    }
}
