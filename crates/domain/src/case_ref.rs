//! The diarienummer (`CaseRef`): the case number under which a municipality registers an
//! ärende. Huddinge writes `KS-2018/272.912` (body, year, serial, filing class); other
//! municipalities write theirs differently, so the format is a template the installation
//! configures ([`CaseRefFormat`]), and every case number is parsed against it.
//!
//! A case number identifies a case, not one document: several audits may share one
//! (seed 004 heads both the 2018 follow-up of procurement and the audit of the procurement
//! process with `KS-2018/272.912`).

use serde::Serialize;

/// One part of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(char),
    /// The registering body: 1–10 capital letters (`KS`, `GSN`, `SÄN`).
    Body,
    /// Four digits.
    Year,
    /// The running number within the year: 1–7 digits.
    Serial,
    /// The filing class: digits and dots, 1–16 characters (`912`, `1.2.3`).
    Class,
}

/// How the installation writes its case numbers: a template of `{body}`, `{year}`,
/// `{serial}` and `{class}` between literal characters. `{year}` and `{serial}` are
/// required.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseRefFormat {
    template: String,
    parts: Vec<Part>,
}

/// Why a template or a case number was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseRefError {
    /// The template names an unknown field, lacks `{year}` or `{serial}`, or repeats one.
    Template(String),
    /// The text does not follow the template (the template is given for the message).
    Format { input: String, template: String },
}

impl CaseRefFormat {
    /// Huddinge's format, seen in every seed: `KS-2018/272.912`.
    pub const DEFAULT_TEMPLATE: &'static str = "{body}-{year}/{serial}.{class}";

    /// The default format.
    pub fn huddinge() -> CaseRefFormat {
        CaseRefFormat::parse_template(Self::DEFAULT_TEMPLATE).expect("the default template parses")
    }

    /// Parses a template such as `{body}-{year}/{serial}.{class}` or `{body} {year}-{serial}`.
    pub fn parse_template(template: &str) -> Result<CaseRefFormat, CaseRefError> {
        let err = || CaseRefError::Template(template.to_string());
        let mut parts = Vec::new();
        let mut rest = template;
        while let Some(c) = rest.chars().next() {
            if c == '{' {
                let end = rest.find('}').ok_or_else(err)?;
                let part = match &rest[1..end] {
                    "body" => Part::Body,
                    "year" => Part::Year,
                    "serial" => Part::Serial,
                    "class" => Part::Class,
                    _ => return Err(err()),
                };
                if parts.contains(&part) {
                    return Err(err());
                }
                // Two fields side by side could not be told apart.
                if matches!(parts.last(), Some(p) if !matches!(p, Part::Literal(_))) {
                    return Err(err());
                }
                parts.push(part);
                rest = &rest[end + 1..];
            } else if c == '}' || c.is_control() {
                return Err(err());
            } else {
                parts.push(Part::Literal(c));
                rest = &rest[c.len_utf8()..];
            }
        }
        if !parts.contains(&Part::Year) || !parts.contains(&Part::Serial) || template.len() > 100 {
            return Err(err());
        }
        Ok(CaseRefFormat {
            template: template.to_string(),
            parts,
        })
    }

    pub fn template(&self) -> &str {
        &self.template
    }

    /// An example in this format, for form hints ("t.ex. KS-2018/272.912").
    pub fn example(&self) -> String {
        self.parts
            .iter()
            .map(|p| match p {
                Part::Literal(c) => c.to_string(),
                Part::Body => "KS".into(),
                Part::Year => "2018".into(),
                Part::Serial => "272".into(),
                Part::Class => "912".into(),
            })
            .collect()
    }

    /// Parses a case number. Surrounding space is ignored; everything else must follow the
    /// template exactly.
    pub fn parse(&self, input: &str) -> Result<CaseRef, CaseRefError> {
        let text = input.trim();
        let err = || CaseRefError::Format {
            input: input.to_string(),
            template: self.example(),
        };
        let mut rest = text;
        let mut body = None;
        let mut year = None;
        let mut serial = None;
        let mut class = None;
        for (i, part) in self.parts.iter().enumerate() {
            if let Part::Literal(c) = part {
                rest = rest.strip_prefix(*c).ok_or_else(err)?;
                continue;
            }
            // A field runs to the next literal (or the end).
            let stop = match self.parts.get(i + 1) {
                Some(Part::Literal(c)) => rest.find(*c).ok_or_else(err)?,
                _ => rest.len(),
            };
            let field = &rest[..stop];
            rest = &rest[stop..];
            match part {
                Part::Body => {
                    let n = field.chars().count();
                    if !(1..=10).contains(&n) || !field.chars().all(|c| c.is_uppercase()) {
                        return Err(err());
                    }
                    body = Some(field.to_string());
                }
                Part::Year => {
                    if field.len() != 4 || !field.bytes().all(|b| b.is_ascii_digit()) {
                        return Err(err());
                    }
                    let y: i32 = field.parse().map_err(|_| err())?;
                    if !(1900..=2200).contains(&y) {
                        return Err(err());
                    }
                    year = Some(y);
                }
                Part::Serial => {
                    if !(1..=7).contains(&field.len()) || !field.bytes().all(|b| b.is_ascii_digit())
                    {
                        return Err(err());
                    }
                    serial = Some(field.parse::<u32>().map_err(|_| err())?);
                }
                Part::Class => {
                    let ok = (1..=16).contains(&field.len())
                        && field.bytes().all(|b| b.is_ascii_digit() || b == b'.')
                        && !field.starts_with('.')
                        && !field.ends_with('.')
                        && !field.contains("..");
                    if !ok {
                        return Err(err());
                    }
                    class = Some(field.to_string());
                }
                Part::Literal(_) => unreachable!(),
            }
        }
        if !rest.is_empty() {
            return Err(err());
        }
        Ok(CaseRef {
            text: text.to_string(),
            body,
            year: year.ok_or_else(err)?,
            serial: serial.ok_or_else(err)?,
            class,
        })
    }
}

impl Default for CaseRefFormat {
    fn default() -> Self {
        CaseRefFormat::huddinge()
    }
}

/// A parsed diarienummer. Two are the same case when their texts are equal.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct CaseRef {
    /// As written (trimmed): how it is stored and shown.
    pub text: String,
    pub body: Option<String>,
    pub year: i32,
    pub serial: u32,
    pub class: Option<String>,
}

impl CaseRef {
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl std::fmt::Display for CaseRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn every_case_number_in_the_seeds_parses() {
        let f = CaseRefFormat::huddinge();
        for text in [
            "KS-2013/227.912",
            "KS-2014/476.912",
            "KS-2016/669.912",
            "KS-2016/2614.912",
            "KS-2018/272.912",
            "KS-2018/753.912",
            "KS-2018/1222.912",
            "KS-2020/716.912",
        ] {
            let c = f.parse(text).unwrap();
            assert_eq!(c.text, text);
            assert_eq!(c.body.as_deref(), Some("KS"));
            assert_eq!(c.class.as_deref(), Some("912"));
        }
        let c = f.parse(" KS-2016/2614.912 ").unwrap();
        assert_eq!((c.year, c.serial), (2016, 2614));
    }

    #[test]
    fn what_is_not_a_case_number_is_refused() {
        let f = CaseRefFormat::huddinge();
        for bad in [
            "",
            "KS 2018/272.912",
            "ks-2018/272.912",
            "KS-18/272.912",
            "KS-2018/.912",
            "KS-2018/272.",
            "KS-2018/272.912 extra",
            "KS-2018/272912",
            "2018-03-05 KS-2018/272.912",
            "KS-2018/12345678.912",
            "KS-3018/272.912",
        ] {
            assert!(f.parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn another_municipalitys_format_is_configured_by_template() {
        let f = CaseRefFormat::parse_template("{body} {year}-{serial}").unwrap();
        let c = f.parse("SBN 2021-45").unwrap();
        assert_eq!(
            (c.body.as_deref(), c.year, c.serial),
            (Some("SBN"), 2021, 45)
        );
        assert_eq!(c.class, None);
        assert!(f.parse("KS-2018/272.912").is_err());
        assert_eq!(f.example(), "KS 2018-272");
        let f = CaseRefFormat::parse_template("Dnr {year}:{serial}").unwrap();
        assert_eq!(f.parse("Dnr 2020:7").unwrap().serial, 7);
    }

    #[test]
    fn a_template_without_year_or_serial_or_with_unknown_fields_is_refused() {
        for bad in [
            "{body}-{serial}",
            "{year}",
            "{body}-{year}/{nummer}",
            "{year}{serial}",
            "{year}-{serial}-{year}",
            "{year}-{serial",
            "",
        ] {
            assert!(CaseRefFormat::parse_template(bad).is_err(), "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn generated_case_numbers_round_trip(
            body in "[A-ZÅÄÖ]{1,10}", year in 1900i32..=2200, serial in 0u32..9_999_999,
            class in "[0-9]{1,3}(\\.[0-9]{1,3}){0,2}",
        ) {
            let f = CaseRefFormat::huddinge();
            let text = format!("{body}-{year}/{serial}.{class}");
            let c = f.parse(&text).unwrap();
            prop_assert_eq!(c.text, text);
            prop_assert_eq!(c.body, Some(body));
            prop_assert_eq!((c.year, c.serial), (year, serial));
            prop_assert_eq!(c.class, Some(class));
        }

        #[test]
        fn parsing_never_panics(s in "\\PC{0,40}", t in "\\PC{0,30}") {
            let _ = CaseRefFormat::huddinge().parse(&s);
            if let Ok(f) = CaseRefFormat::parse_template(&t) {
                let _ = f.parse(&s);
                let _ = f.example();
            }
        }
    }
}
