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

/// Collects the errors of one parse or check.
#[derive(Debug, Default)]
pub(crate) struct Errors(pub Vec<RowError>);

impl Errors {
    pub fn at(&mut self, origin: &Origin, message: String) {
        self.0.push(origin.error(message));
    }

    pub fn into_result<T>(self, value: T) -> Result<T, ImportReport> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(ImportReport {
                errors: self.0,
                cancelled: false,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
