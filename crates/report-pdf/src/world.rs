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
use uppsikt_domain::date::civil_from_unix;

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
        let t = civil_from_unix(now + shift);
        Datetime::from_ymd(i32::try_from(t.year).ok()?, t.month, t.day)
    }
}

fn not_found(id: FileId) -> FileError {
    FileError::NotFound(id.vpath().get_with_slash().into())
}

/// The current time in UTC.
pub(crate) fn now_utc() -> Option<Datetime> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs() as i64;
    let t = civil_from_unix(now);
    Datetime::from_ymd_hms(
        i32::try_from(t.year).ok()?,
        t.month,
        t.day,
        t.hour,
        t.minute,
        t.second,
    )
}
