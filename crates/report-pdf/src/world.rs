//! The minimal `typst::World`: one in-memory main source, the standard library, the
//! embedded fonts, no file access.

use std::sync::LazyLock;
use std::time::{SystemTime, UNIX_EPOCH};

use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime, Duration};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};

/// The fonts compiled into the binary (typst-assets: Libertinus Serif, New Computer
/// Modern + Math, DejaVu Sans Mono), parsed once.
pub(crate) static FONTS: LazyLock<Vec<Font>> = LazyLock::new(|| {
    typst_assets::fonts()
        .flat_map(|data| Font::iter(Bytes::new(data)))
        .collect()
});

/// The font book of [`FONTS`], built once.
static BOOK: LazyLock<LazyHash<FontBook>> =
    LazyLock::new(|| LazyHash::new(FontBook::from_fonts(FONTS.iter())));

/// The standard library, built once.
static LIBRARY: LazyLock<LazyHash<Library>> = LazyLock::new(|| LazyHash::new(Library::default()));

/// The id of the one source file: `/report.typ` in the (empty) project.
fn main_id() -> FileId {
    RootedPath::new(
        VirtualRoot::Project,
        VirtualPath::new("/report.typ").expect("a valid virtual path"),
    )
    .intern()
}

/// A world with exactly one file, the report's markup.
pub(crate) struct ReportWorld {
    main: Source,
}

impl ReportWorld {
    pub(crate) fn new(text: String) -> Self {
        Self {
            main: Source::new(main_id(), text),
        }
    }

    pub(crate) fn main_source(&self) -> &Source {
        &self.main
    }
}

impl World for ReportWorld {
    fn library(&self) -> &LazyHash<Library> {
        &LIBRARY
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &BOOK
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else {
            Err(not_found(id))
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.main.id() {
            Ok(Bytes::from_string(self.main.text().to_owned()))
        } else {
            Err(not_found(id))
        }
    }

    fn font(&self, index: usize) -> Option<Font> {
        FONTS.get(index).cloned()
    }

    /// The current date in UTC, shifted by `offset` when typst asks for one (there is
    /// no time-zone database here, so "local" means UTC).
    fn today(&self, offset: Option<Duration>) -> Option<Datetime> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs() as i64;
        let shift = offset.map_or(0, |d| d.seconds() as i64);
        let (year, month, day, _, _, _) = civil_from_unix(now + shift);
        Datetime::from_ymd(year, month, day)
    }
}

fn not_found(id: FileId) -> FileError {
    FileError::NotFound(id.vpath().get_with_slash().into())
}

/// Seconds since the Unix epoch (UTC) → (year, month, day, hour, minute, second).
/// Howard Hinnant's `civil_from_days`.
pub(crate) fn civil_from_unix(secs: i64) -> (i32, u8, u8, u8, u8, u8) {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
    (
        year,
        month,
        day,
        (rem / 3600) as u8,
        (rem % 3600 / 60) as u8,
        (rem % 60) as u8,
    )
}

/// The current time in UTC.
pub(crate) fn now_utc() -> Option<Datetime> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs() as i64;
    let (y, mo, d, h, mi, s) = civil_from_unix(now);
    Datetime::from_ymd_hms(y, mo, d, h, mi, s)
}

#[cfg(test)]
mod tests {
    use super::civil_from_unix;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_unix(0), (1970, 1, 1, 0, 0, 0));
        // 2024-02-29 12:34:56 UTC (a leap day).
        assert_eq!(civil_from_unix(1_709_210_096), (2024, 2, 29, 12, 34, 56));
        // 2026-12-31 23:59:59 UTC.
        assert_eq!(civil_from_unix(1_798_761_599), (2026, 12, 31, 23, 59, 59));
    }
}
