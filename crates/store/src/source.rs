//! Where a change came from: every change-log row records the source its [`Writer`]
//! was opened with (a form, an imported file, Kolada, an upgrade, the command line …),
//! so the history can say "import av utfall-2020.csv" next to who and when.
//!
//! [`Writer`]: crate::Writer

/// The source of the changes one [`crate::Writer`] makes, given when it is opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeSource {
    /// A form in the web interface.
    Form,
    /// An imported file (an outcome table, an uppsikt/1 data file); its name as the user
    /// gave it (no directories).
    File(String),
    /// Kolada's values, fetched or read from saved pages.
    Kolada,
    /// What the store writes itself when it opens an older database.
    Upgrade,
    /// A command of the `uppsikt` program (accounts, restore, raising deviations …).
    Cli,
    /// The demo data.
    Demo,
    /// The benchmarks' generated data.
    Bench,
}

/// At most this many bytes of a file name are recorded (cut at a character boundary).
const DETAIL_MAX: usize = 200;

impl ChangeSource {
    /// An imported file, named by its last path component.
    pub fn file(name: &str) -> ChangeSource {
        let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
        let mut end = base.len().min(DETAIL_MAX);
        while !base.is_char_boundary(end) {
            end -= 1;
        }
        ChangeSource::File(base[..end].to_string())
    }

    /// The code stored in `change_log.source`.
    pub fn code(&self) -> &'static str {
        match self {
            ChangeSource::Form => "form",
            ChangeSource::File(_) => "file",
            ChangeSource::Kolada => "kolada",
            ChangeSource::Upgrade => "upgrade",
            ChangeSource::Cli => "cli",
            ChangeSource::Demo => "demo",
            ChangeSource::Bench => "bench",
        }
    }

    /// What `change_log.source_detail` holds (the file's name), if anything.
    pub fn detail(&self) -> Option<&str> {
        match self {
            ChangeSource::File(name) => Some(name),
            _ => None,
        }
    }

    /// The source a stored row names; `None` for rows from before sources were recorded
    /// (or a code this version does not know).
    pub fn from_stored(code: Option<&str>, detail: Option<&str>) -> Option<ChangeSource> {
        Some(match code? {
            "form" => ChangeSource::Form,
            "file" => ChangeSource::File(detail.unwrap_or_default().to_string()),
            "kolada" => ChangeSource::Kolada,
            "upgrade" => ChangeSource::Upgrade,
            "cli" => ChangeSource::Cli,
            "demo" => ChangeSource::Demo,
            "bench" => ChangeSource::Bench,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_source_round_trips_through_its_stored_form() {
        for s in [
            ChangeSource::Form,
            ChangeSource::file("utfall-2020.csv"),
            ChangeSource::Kolada,
            ChangeSource::Upgrade,
            ChangeSource::Cli,
            ChangeSource::Demo,
            ChangeSource::Bench,
        ] {
            assert_eq!(
                ChangeSource::from_stored(Some(s.code()), s.detail()),
                Some(s)
            );
        }
        assert_eq!(ChangeSource::from_stored(None, None), None);
        assert_eq!(ChangeSource::from_stored(Some("okänt"), None), None);
    }

    #[test]
    fn a_file_is_named_without_its_directories_and_within_the_limit() {
        assert_eq!(
            ChangeSource::file("/tmp/x/utfall-2020.csv"),
            ChangeSource::File("utfall-2020.csv".into())
        );
        assert_eq!(
            ChangeSource::file("C:\\Users\\a\\mål.xlsx"),
            ChangeSource::File("mål.xlsx".into())
        );
        let long = "å".repeat(300);
        let ChangeSource::File(cut) = ChangeSource::file(&long) else {
            unreachable!()
        };
        assert!(cut.len() <= DETAIL_MAX && cut.chars().all(|c| c == 'å'));
    }
}
