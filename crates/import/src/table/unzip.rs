//! A zip workbook (XLSX, XLSB, ODS) checked before calamine opens it.
//!
//! calamine trusts a workbook's sizes. It loads some parts whole (the shared strings, the
//! styles, an ODS file's every sheet), builds a cell's text from however much the XML
//! holds, and its XML reader buffers a whole element or text, however long. A file of a
//! few megabytes can so make it ask for gigabytes, and a failed allocation aborts the
//! whole server. [`check`] reads every member once, as calamine's own zip reader reads it,
//! before calamine sees the file, and refuses:
//!
//! - more than [`MAX_MEMBERS`] members;
//! - a member declaring more than [`MAX_MEMBER_BYTES`] (the parts calamine keeps whole:
//!   [`MAX_PART_BYTES`]), members declaring more than [`MAX_UNPACKED_BYTES`] in all, or a
//!   member over 1 MiB packed more than [`MAX_RATIO`] times (a zip bomb);
//! - a member holding more than it declares (the count is of the bytes actually
//!   unpacked, not of what the archive says);
//! - in XML, an element, comment or run of text longer than [`MAX_TOKEN_BYTES`], a value
//!   (`<v>`, `<is>`, `<si>`) with more text than [`MAX_CELL_BYTES`], more than
//!   [`MAX_SHARED_STRINGS`] shared strings or more than [`MAX_TEXT_BYTES`] of text in
//!   them, and more than [`MAX_MERGED_REGIONS`] merged regions.
//!
//! Every member is checked as if it were the sheet or the shared strings calamine reads,
//! whichever it is: the checks do not depend on finding the same parts calamine finds.

use std::io::{BufReader, Cursor, Read};

use quick_xml::events::Event;
use uppsikt_domain::messages;

use super::read::{MAX_CELL_BYTES, MAX_TEXT_BYTES};

/// The most members a workbook may have. Excel and LibreOffice write a dozen, plus two or
/// three per sheet, chart or picture.
pub const MAX_MEMBERS: usize = 1_000;
/// The most bytes one member may unpack to. The sheet of a 20 MB XLSX of outcomes (a
/// million rows of six columns) unpacks to about 300 MB.
pub const MAX_MEMBER_BYTES: u64 = 512 << 20;
/// The most bytes all members together may unpack to.
pub const MAX_UNPACKED_BYTES: u64 = 1 << 30;
/// The most a member over 1 MiB may be packed: spreadsheet XML packs 5 to 30 times, a
/// zip bomb a thousand times.
pub const MAX_RATIO: u64 = 250;
const RATIO_FROM: u64 = 1 << 20;
/// The most bytes a part that calamine keeps whole in memory may unpack to: styles,
/// workbook, relationships, manifest, an XLSB file's shared strings. Excel's largest
/// styles (64 000 cell formats) take about 7 MB.
pub const MAX_PART_BYTES: u64 = 16 << 20;
const PARTS: [&str; 8] = [
    "xl/styles.xml",
    "xl/workbook.xml",
    "xl/_rels/workbook.xml.rels",
    "xl/_rels/workbook.bin.rels",
    "xl/sharedstrings.bin",
    "xl/styles.bin",
    "xl/workbook.bin",
    "meta-inf/manifest.xml",
];
/// The longest element, comment or run of text in a workbook's XML: what the XML reader
/// buffers at once. A cell of Excel's 32 767 characters, each written as `&amp;`, takes
/// 160 KiB.
pub const MAX_TOKEN_BYTES: u64 = 1 << 20;
/// The most attributes one element may have. quick-xml 0.38 (calamine 0.31's) checks an
/// element's attributes for duplicates pair by pair (RUSTSEC-2026-0194): 100 000
/// attributes in one 1 MiB tag take seconds. Excel writes at most about 15 on an element,
/// LibreOffice about 40 (the namespaces on an ODS document's root).
pub const MAX_ATTRIBUTES: u32 = 128;
/// The most shared strings (distinct texts) an XLSX may have: calamine keeps them all,
/// about 60 bytes each besides the text. A file of a million rows with a unique comment in
/// each has a million.
pub const MAX_SHARED_STRINGS: u64 = 1_000_000;
/// The most merged regions one member may declare (calamine keeps them all).
pub const MAX_MERGED_REGIONS: u64 = 100_000;

/// What a zip workbook is, which decides which members are XML.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// XLSX and ODS: calamine may read any member as XML (a sheet's path is whatever the
    /// relationships say).
    Xml,
    /// XLSB: the sheets and shared strings are binary; `.xml` and `.rels` members are XML.
    Binary,
}

/// Reads every member of the archive in `bytes` once and refuses what calamine could not
/// read within bounded memory (see the module's documentation). The archive is read with
/// the zip reader calamine uses (the same crate and version).
pub(crate) fn check(bytes: &[u8], kind: Kind) -> Result<(), String> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| messages::cannot_read_file(&e.to_string()))?;
    if zip.len() > MAX_MEMBERS {
        return Err(messages::too_many_members(MAX_MEMBERS));
    }
    let mut declared_total: u64 = 0;
    let mut members = Vec::with_capacity(zip.len());
    for i in 0..zip.len() {
        let file = zip
            .by_index_raw(i)
            .map_err(|e| messages::cannot_read_file(&e.to_string()))?;
        let name = file.name().replace('\\', "/").to_lowercase();
        let limit = if PARTS.contains(&name.as_str()) {
            MAX_PART_BYTES
        } else {
            MAX_MEMBER_BYTES
        };
        let declared = file.size();
        let packed = file.compressed_size().max(1);
        if declared > limit {
            return Err(messages::unpacks_too_large(limit >> 20));
        }
        declared_total = declared_total.saturating_add(declared);
        if declared_total > MAX_UNPACKED_BYTES {
            return Err(messages::unpacks_too_large(MAX_UNPACKED_BYTES >> 20));
        }
        if declared > RATIO_FROM && declared / packed > MAX_RATIO {
            return Err(messages::packed_too_tightly(MAX_RATIO));
        }
        let xml = kind == Kind::Xml || name.ends_with(".xml") || name.ends_with(".rels");
        members.push((declared, limit, xml));
    }
    let mut unpacked_total: u64 = 0;
    for (i, (declared, limit, xml)) in members.into_iter().enumerate() {
        let file = zip
            .by_index(i)
            .map_err(|e| messages::cannot_read_file(&e.to_string()))?;
        // Never more than the member declares (it was checked against the limits): one
        // byte beyond is proof enough that it lies.
        let mut guarded = Guarded::new(file, declared.min(limit), xml);
        if xml {
            scan_xml(&mut guarded)?;
        }
        drain(&mut guarded)?;
        unpacked_total += guarded.read;
        if unpacked_total > MAX_UNPACKED_BYTES {
            return Err(messages::unpacks_too_large(MAX_UNPACKED_BYTES >> 20));
        }
    }
    Ok(())
}

/// Reads what is left of a member (after an XML error, which ends calamine's reading too,
/// the rest is still counted).
fn drain<R: Read>(guarded: &mut Guarded<R>) -> Result<(), String> {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match guarded.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(_) => {}
            Err(e) => return Err(guarded.refusal(&e)),
        }
    }
}

/// Why a [`Guarded`] reader stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    /// More bytes than the member declares.
    Lies,
    /// An element, comment or text longer than [`MAX_TOKEN_BYTES`].
    Token,
    /// An element with more than [`MAX_ATTRIBUTES`] attributes.
    Attributes,
}

/// A member's bytes as they are unpacked: counted (at most `limit`), and for XML split
/// into markup and text as quick-xml splits them, each piece at most [`MAX_TOKEN_BYTES`].
struct Guarded<R> {
    inner: R,
    limit: u64,
    read: u64,
    xml: bool,
    state: Lexer,
    /// The length of the current piece of markup or text.
    run: u64,
    /// The last two bytes of the current markup.
    last: [u8; 2],
    /// The attributes of the current tag so far (its `=` outside quotes).
    attributes: u32,
    stop: Option<Stop>,
}

/// Where in the XML the last byte was, as quick-xml's reader sees it (it buffers one
/// piece at a time: a text up to the next `<`, or markup up to its end).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lexer {
    Text,
    /// Just after `<`.
    Open,
    /// Just after `<!`.
    Bang,
    /// `<?…?>`
    Pi,
    /// `<!--…-->`
    Comment,
    /// `<![CDATA[…]]>`
    CData,
    /// `<!DOCTYPE…>`, with the balance of `<` and `>` inside.
    DocType(u32),
    /// A start or end tag, and the quote it is inside of (`>` ends it only outside).
    Tag(Option<u8>),
}

impl<R: Read> Guarded<R> {
    fn new(inner: R, limit: u64, xml: bool) -> Guarded<R> {
        Guarded {
            inner,
            limit,
            read: 0,
            xml,
            state: Lexer::Text,
            run: 0,
            last: [0; 2],
            attributes: 0,
            stop: None,
        }
    }

    fn refusal(&self, e: &std::io::Error) -> String {
        match self.stop {
            Some(Stop::Lies) => messages::workbook_damaged(),
            Some(Stop::Token) => messages::cell_too_long(None, MAX_CELL_BYTES / 1024),
            Some(Stop::Attributes) => messages::too_many_attributes(MAX_ATTRIBUTES),
            None => messages::cannot_read_file(&e.to_string()),
        }
    }

    fn fail(&mut self, stop: Stop) -> std::io::Error {
        self.stop = Some(stop);
        std::io::Error::other("refused")
    }

    /// Follows `bytes` through the lexer; `Err` when a piece grows too long.
    fn lex(&mut self, bytes: &[u8]) -> Result<(), Stop> {
        for &b in bytes {
            self.run += 1;
            let ends = match self.state {
                Lexer::Text => {
                    if b == b'<' {
                        self.state = Lexer::Open;
                        self.run = 1;
                    }
                    false
                }
                Lexer::Open => {
                    self.state = match b {
                        b'!' => Lexer::Bang,
                        b'?' => Lexer::Pi,
                        b'"' | b'\'' => Lexer::Tag(Some(b)),
                        _ => Lexer::Tag(None),
                    };
                    b == b'>'
                }
                Lexer::Bang => {
                    self.state = match b {
                        b'[' => Lexer::CData,
                        b'-' => Lexer::Comment,
                        b'D' | b'd' => Lexer::DocType(0),
                        // quick-xml stops with an error here; calamine with it.
                        _ => Lexer::Tag(None),
                    };
                    false
                }
                Lexer::Pi => b == b'>' && self.last[1] == b'?',
                // `<!---->` is the shortest comment quick-xml ends.
                Lexer::Comment => b == b'>' && self.last == *b"--" && self.run >= 7,
                Lexer::CData => b == b'>' && self.last == *b"]]",
                Lexer::DocType(depth) => match b {
                    b'<' => {
                        self.state = Lexer::DocType(depth + 1);
                        false
                    }
                    b'>' if depth == 0 => true,
                    b'>' => {
                        self.state = Lexer::DocType(depth - 1);
                        false
                    }
                    _ => false,
                },
                Lexer::Tag(quote) => match (quote, b) {
                    (None, b'>') => true,
                    (None, b'=') => {
                        self.attributes += 1;
                        if self.attributes > MAX_ATTRIBUTES {
                            return Err(Stop::Attributes);
                        }
                        false
                    }
                    (None, b'"' | b'\'') => {
                        self.state = Lexer::Tag(Some(b));
                        false
                    }
                    (Some(q), _) if q == b => {
                        self.state = Lexer::Tag(None);
                        false
                    }
                    _ => false,
                },
            };
            self.last = [self.last[1], b];
            if ends {
                self.state = Lexer::Text;
                self.run = 0;
                self.last = [0; 2];
                self.attributes = 0;
            } else if self.run > MAX_TOKEN_BYTES {
                return Err(Stop::Token);
            }
        }
        Ok(())
    }
}

impl<R: Read> Read for Guarded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.stop.is_some() {
            return Err(std::io::Error::other("refused"));
        }
        // Ask for one byte beyond the limit, to see whether there is one.
        let room = (self.limit + 1 - self.read).min(buf.len() as u64) as usize;
        let n = self.inner.read(&mut buf[..room])?;
        self.read += n as u64;
        if self.read > self.limit {
            return Err(self.fail(Stop::Lies));
        }
        if self.xml {
            if let Err(stop) = self.lex(&buf[..n]) {
                return Err(self.fail(stop));
            }
        }
        Ok(n)
    }
}

/// Reads a member's XML as calamine reads it (quick-xml with calamine's settings) and
/// refuses a value with more text than [`MAX_CELL_BYTES`], more than
/// [`MAX_SHARED_STRINGS`] shared strings or [`MAX_TEXT_BYTES`] of text in them, and more
/// than [`MAX_MERGED_REGIONS`] merged regions.
///
/// A value is what calamine builds one string from: a cell's `<v>`, an inline string's
/// `<is>` and a shared string's `<si>`, from its start tag to the end tag of the same
/// name (calamine does not stop earlier: a value whose end tag is missing runs on over
/// the cells after it, and so does the count here). Its text is counted as written,
/// each entity as four bytes (the most one character takes).
fn scan_xml<R: Read>(guarded: &mut Guarded<R>) -> Result<(), String> {
    let mut reader = quick_xml::Reader::from_reader(BufReader::with_capacity(64 * 1024, guarded));
    let config = reader.config_mut();
    config.check_end_names = false;
    config.trim_text(false);
    config.check_comments = false;
    config.expand_empty_elements = true;
    let mut buf = Vec::new();
    // The value being read: its element's name, whether it is a shared string, its text.
    let mut value: Option<(Vec<u8>, bool, u64)> = None;
    let (mut shared, mut shared_text, mut merged) = (0u64, 0u64, 0u64);
    let too_long = || messages::cell_too_long(None, MAX_CELL_BYTES / 1024);
    loop {
        buf.clear();
        let event = match reader.read_event_into(&mut buf) {
            Ok(event) => event,
            Err(quick_xml::Error::Io(e)) => return Err(reader.get_ref().get_ref().refusal(&e)),
            // calamine stops at the same error; whatever follows it is never read.
            Err(_) => return Ok(()),
        };
        match event {
            Event::Start(e) => {
                let local = e.local_name();
                let local = local.as_ref();
                if value.is_none() && matches!(local, b"v" | b"is" | b"si") {
                    value = Some((e.name().as_ref().to_vec(), local == b"si", 0));
                    if local == b"si" {
                        shared += 1;
                        if shared > MAX_SHARED_STRINGS {
                            return Err(messages::too_many_shared_strings(MAX_SHARED_STRINGS));
                        }
                    }
                }
                if local == b"mergeCell" {
                    merged += 1;
                    if merged > MAX_MERGED_REGIONS {
                        return Err(messages::too_many_merged_regions(MAX_MERGED_REGIONS));
                    }
                }
            }
            Event::End(e) => {
                if let Some((name, is_shared, len)) = &value {
                    if e.name().as_ref() == name.as_slice() {
                        if *is_shared {
                            shared_text += len;
                            if shared_text > MAX_TEXT_BYTES as u64 {
                                return Err(messages::text_too_large(MAX_TEXT_BYTES >> 20));
                            }
                        }
                        value = None;
                    }
                }
            }
            Event::Text(t) => {
                if let Some((_, _, len)) = &mut value {
                    *len += t.len() as u64;
                    if *len > MAX_CELL_BYTES as u64 {
                        return Err(too_long());
                    }
                }
            }
            Event::GeneralRef(_) => {
                if let Some((_, _, len)) = &mut value {
                    *len += 4;
                    if *len > MAX_CELL_BYTES as u64 {
                        return Err(too_long());
                    }
                }
            }
            Event::Eof => return Ok(()),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lex(xml: &str) -> Result<Lexer, Stop> {
        let mut g = Guarded::new(std::io::empty(), u64::MAX - 1, true);
        g.lex(xml.as_bytes())?;
        Ok(g.state)
    }

    #[test]
    fn the_lexer_ends_markup_where_quick_xml_does() {
        for xml in [
            "<a>text</a>",
            "<a b='>'>",
            "<a b=\">\">",
            "<!---->",
            "<!-- a > b -- c -->",
            "<![CDATA[ a > b ]]>",
            "<?xml version=\"1.0\"?>",
            "<!DOCTYPE a [<!ENTITY b \"c\">]>",
        ] {
            assert_eq!(lex(xml), Ok(Lexer::Text), "{xml}");
        }
        for (xml, state) in [
            ("<a b='>", Lexer::Tag(Some(b'\''))),
            ("<!-->", Lexer::Comment),
            ("<!--->", Lexer::Comment),
            ("<![CDATA[]>", Lexer::CData),
            ("<?a>", Lexer::Pi),
            ("<!DOCTYPE a [<b>", Lexer::DocType(0)),
        ] {
            assert_eq!(lex(xml), Ok(state), "{xml}");
        }
    }

    #[test]
    fn an_element_with_more_attributes_than_a_spreadsheet_writes_is_refused() {
        let attrs = |n: u32| (0..n).map(|i| format!(" a{i}=\"1\"")).collect::<String>();
        assert!(lex(&format!("<x{}/>", attrs(MAX_ATTRIBUTES))).is_ok());
        assert_eq!(
            lex(&format!("<x{}/>", attrs(MAX_ATTRIBUTES + 1))).err(),
            Some(Stop::Attributes)
        );
        assert!(
            lex(&format!("<x a=\"{}\"/>", "=".repeat(1000))).is_ok(),
            "a = inside a value is not an attribute"
        );
        assert!(
            lex(&format!("<x{}/><y{}/>", attrs(100), attrs(100))).is_ok(),
            "counted per element"
        );
    }

    #[test]
    fn a_long_text_or_element_is_refused_however_it_hides_its_end() {
        let long = "x".repeat(MAX_TOKEN_BYTES as usize + 1);
        for xml in [
            format!("<v>{long}</v>"),
            format!("<c a=\"{long}\">"),
            format!("<c a=\"{}\">", ">".repeat(MAX_TOKEN_BYTES as usize)),
            format!("<!-- {long} -->"),
            format!("<![CDATA[{long}]]>"),
        ] {
            assert_eq!(lex(&xml), Err(Stop::Token), "{}", &xml[..20]);
        }
        // The same amount in pieces is fine.
        let pieces = "<v>x</v>".repeat(MAX_TOKEN_BYTES as usize / 4);
        assert_eq!(lex(&pieces), Ok(Lexer::Text));
    }
}
