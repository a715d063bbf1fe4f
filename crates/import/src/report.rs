//! Errors as the user reads them: one line per wrong row, with file, location and a
//! Swedish message from `uppsikt_domain::messages`.

use std::fmt;

use serde::Serialize;

/// One thing wrong with the input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    /// The file as given (path or name).
    pub file: String,
    /// Where in the file: `indicators[12].outcomes[3].period` (0-based), `rad 3, kolumn 7`
    /// for syntax errors, or empty for the whole file.
    pub location: String,
    /// Swedish, for the user.
    pub message: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.file.is_empty() && self.location.is_empty() {
            f.write_str(&self.message)
        } else if self.location.is_empty() {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{}: {}: {}", self.file, self.location, self.message)
        }
    }
}

/// Every error found in one import; nothing was written.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ImportReport {
    pub errors: Vec<RowError>,
    /// The import was cancelled by the user (the one "error" is the message saying so).
    pub cancelled: bool,
}

impl ImportReport {
    pub fn single(origin: &Origin, message: String) -> ImportReport {
        ImportReport {
            errors: vec![origin.error(message)],
            cancelled: false,
        }
    }

    /// A cancelled import: nothing was written.
    pub fn cancelled() -> ImportReport {
        ImportReport {
            errors: vec![Origin::new("", "").error(uppsikt_domain::messages::import_cancelled())],
            cancelled: true,
        }
    }
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ImportReport {}

/// Where a row came from: its file and its path in that file.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Origin {
    pub file: String,
    pub location: String,
}

impl Origin {
    pub fn new(file: &str, location: impl Into<String>) -> Origin {
        Origin {
            file: file.to_string(),
            location: location.into(),
        }
    }

    /// The origin of a field of this row.
    pub fn field(&self, name: &str) -> Origin {
        let location = if self.location.is_empty() {
            name.to_string()
        } else {
            format!("{}.{name}", self.location)
        };
        Origin {
            file: self.file.clone(),
            location,
        }
    }

    pub fn error(&self, message: String) -> RowError {
        RowError {
            file: self.file.clone(),
            location: self.location.clone(),
            message,
        }
    }

    /// How to point at this row from an error in `from_file`: the location alone when it
    /// is in the same file, else file and location.
    pub fn cited_from(&self, from_file: &str) -> String {
        if self.file == from_file {
            self.location.clone()
        } else {
            format!("{}: {}", self.file, self.location)
        }
    }
}

/// Errors listed in one report; beyond this they are only counted ("… och 12 345 fel
/// till"), so that a file of a million wrong rows costs neither a million messages in
/// memory nor a report nobody reads.
pub(crate) const MAX_ERRORS: usize = 500;

/// Characters of one quoted value (`”…”`) a message keeps, and of a whole message or
/// location: what a file holds is quoted back, and a field may hold megabytes.
const QUOTED_MAX: usize = 100;
const MESSAGE_MAX: usize = 1_000;

/// Collects the errors of one parse or check: at most [`MAX_ERRORS`] (`.0`), the rest
/// counted (`.1`).
#[derive(Debug, Default)]
pub(crate) struct Errors(pub Vec<RowError>, pub usize);

impl Errors {
    /// Records an error, its message and location [`tame`]d: they quote the file.
    pub fn at(&mut self, origin: &Origin, message: String) {
        if self.0.len() < MAX_ERRORS {
            self.0.push(RowError {
                file: origin.file.clone(),
                location: tame(&origin.location),
                message: tame(&message),
            });
        } else {
            self.1 += 1;
        }
    }

    /// Errors found, listed or not.
    pub fn count(&self) -> usize {
        self.0.len() + self.1
    }

    pub fn is_empty(&self) -> bool {
        self.count() == 0
    }

    /// Adds another collection's errors (in order, within the same cap).
    pub fn append(&mut self, other: Errors) {
        for e in other.0 {
            if self.0.len() < MAX_ERRORS {
                self.0.push(e);
            } else {
                self.1 += 1;
            }
        }
        self.1 += other.1;
    }

    pub fn into_result<T>(mut self, value: T) -> Result<T, ImportReport> {
        if self.is_empty() {
            return Ok(value);
        }
        if self.1 > 0 {
            let more = Origin::new("", "").error(uppsikt_domain::messages::too_many_errors(self.1));
            self.0.push(more);
        }
        Err(ImportReport {
            errors: self.0,
            cancelled: false,
        })
    }
}

/// Characters of a value from a file that a message quotes; the rest is left out (with
/// `…`): a field may hold megabytes, and up to [`MAX_ERRORS`] errors are listed.
pub(crate) const VALUE_QUOTED_MAX: usize = 40;

/// A value from a file as a message quotes it (`”{quoted}”`): at most
/// [`VALUE_QUOTED_MAX`] characters, and a `”` in it written `"`, so that it cannot end
/// the quotation early. Refused characters are shown by code by [`tame`].
pub(crate) fn quoted(s: &str) -> std::borrow::Cow<'_, str> {
    let long = s.char_indices().nth(VALUE_QUOTED_MAX);
    if long.is_none() && !s.contains('”') {
        return std::borrow::Cow::Borrowed(s);
    }
    let kept = long.map_or(s, |(cut, _)| &s[..cut]);
    let mut out = kept.replace('”', "\"");
    if long.is_some() {
        out.push('…');
    }
    std::borrow::Cow::Owned(out)
}

/// A message or location made safe to show: every character the text rule refuses
/// (control, direction-changing and invisible ones, line breaks) written as `U+XXXX`, a
/// quoted value (`”…”`) cut after [`QUOTED_MAX`] characters and the whole after
/// [`MESSAGE_MAX`] (each cut marked `…`). Messages quote what a file holds; shown raw,
/// an escape sequence would reach the operator's terminal, a U+202E reorder the page.
pub(crate) fn tame(text: &str) -> String {
    use uppsikt_domain::text::{refused, Lines};
    if text.chars().count() <= QUOTED_MAX && !text.chars().any(|c| refused(c, Lines::One).is_some())
    {
        return text.to_string();
    }
    let mut out = String::new();
    let (mut quoted, mut run, mut total) = (false, 0usize, 0usize);
    for c in text.chars() {
        if total == MESSAGE_MAX {
            out.push('…');
            break;
        }
        if c == '”' {
            quoted = !quoted;
            run = 0;
        } else if quoted {
            run += 1;
            if run == QUOTED_MAX + 1 {
                out.push('…');
            }
            if run > QUOTED_MAX {
                continue;
            }
        }
        total += 1;
        match refused(c, Lines::One) {
            Some(_) => out.push_str(&format!("U+{:04X}", u32::from(c))),
            None => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_show_refused_characters_by_code_and_cut_long_quotes() {
        assert_eq!(
            tame("”a\u{1b}[2Jb” är ingen nyckel."),
            "”aU+001B[2Jb” är ingen nyckel."
        );
        assert_eq!(tame("goals[0].x\u{202e}y"), "goals[0].xU+202Ey");
        let long = format!("”{}” är inget tal.", "9".repeat(1_000_000));
        let shown = tame(&long);
        assert_eq!(
            shown,
            format!("”{}…” är inget tal.", "9".repeat(QUOTED_MAX))
        );
        let unquoted = "x".repeat(5_000);
        assert_eq!(tame(&unquoted).chars().count(), MESSAGE_MAX + 1);
        let plain = "Fältet måste fyllas i.";
        assert_eq!(tame(plain), plain);
    }

    #[test]
    fn errors_beyond_the_cap_are_counted_not_kept() {
        let mut errors = Errors::default();
        for i in 0..MAX_ERRORS + 7 {
            errors.at(&Origin::new("f", format!("areas[{i}]")), "Fel.".into());
        }
        assert_eq!(errors.count(), MAX_ERRORS + 7);
        let report = errors.into_result(()).unwrap_err();
        assert_eq!(report.errors.len(), MAX_ERRORS + 1);
        assert_eq!(
            report.errors[MAX_ERRORS].message,
            uppsikt_domain::messages::too_many_errors(7)
        );
    }

    #[test]
    fn report_prints_one_line_per_error_with_file_and_location() {
        let report = ImportReport {
            cancelled: false,
            errors: vec![
                Origin::new("a.toml", "goals[0].title").error("Fältet måste fyllas i.".into()),
                Origin::new("b.toml", "").error("Filen kan inte läsas: x".into()),
            ],
        };
        assert_eq!(
            report.to_string(),
            "a.toml: goals[0].title: Fältet måste fyllas i.\nb.toml: Filen kan inte läsas: x"
        );
    }
}
