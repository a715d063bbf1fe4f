//! An XLS file (an OLE compound file) checked before calamine reads it.
//!
//! calamine's XLS reader trusts the file: it sizes buffers from header and directory
//! fields, follows sector chains without bounds, reserves room for a sheet's cells from
//! its DIMENSIONS record and lays every sheet out densely between its outermost cells,
//! gives every LABELSST record its own copy of the shared string it names, sizes a
//! string by the length its record claims, and turns every formula into text, all while
//! opening the workbook. A damaged or crafted file can so make it ask for terabytes,
//! which aborts the whole process (no `catch_unwind` helps), or loop forever. [`prepare`]
//! walks the file as calamine will and refuses it first; it also hides a VBA project,
//! which calamine would otherwise parse and an import never needs, and empties the
//! formulas' token streams (an import reads the values Excel saved with them, not the
//! formulas), so that their text cannot grow beyond the record holding it.

use std::borrow::Cow;

use uppsikt_domain::messages;

use super::read::{MAX_TEXT_BYTES, MAX_WORKBOOK_CELLS};
use super::unzip::{MAX_MERGED_REGIONS, MAX_SHARED_STRINGS};

const ENDOFCHAIN: u32 = 0xFFFF_FFFE;
/// The DIFAT chain ends at any id from here on (calamine's `RESERVED_SECTORS`).
const RESERVED: u32 = 0xFFFF_FFFA;
/// DIFAT entries below this name FAT sectors that calamine reads.
const DIFSECT: u32 = 0xFFFF_FFFC;
const MINI_SECTOR: usize = 64;
/// Streams shorter than this live in the mini stream.
const MINI_CUTOFF: usize = 4096;
/// calamine reserves this many 4-byte entries at most from bytes 62–66 of the header
/// (which it reads as the DIFAT's length): in real files `0xFFFF` or a small multiple of
/// 65 536.
const HEADER_RESERVE_MAX: usize = 1 << 24;
/// The directory entry of a VBA project; calamine parses the project when it exists.
const VBA: &str = "_VBA_PROJECT_CUR";

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// The bytes to give calamine: `bytes` itself, or a copy whose VBA project is hidden and
/// whose formulas are emptied. Refused: a structure that would make calamine read outside
/// the file, loop, or reserve memory out of proportion to the file (damaged); sheets whose
/// cells or DIMENSIONS records span more than [`MAX_WORKBOOK_CELLS`] in all (too large);
/// more than [`MAX_SHARED_STRINGS`] shared strings, more than [`MAX_TEXT_BYTES`] of text in
/// them or in the sheets' cells (each LABELSST counted as the copy calamine makes), and
/// more than [`MAX_MERGED_REGIONS`] merged regions. What calamine refuses by itself
/// (another sector size, no workbook stream, an encrypted package) is passed on, so that
/// its error is the one reported.
pub(crate) fn prepare(bytes: &[u8]) -> Result<Cow<'_, [u8]>, String> {
    let damaged = messages::workbook_damaged;
    let Some(file) = Compound::open(bytes) else {
        return Ok(Cow::Borrowed(bytes));
    };
    let file = file.ok_or_else(damaged)?;
    let entries = file.directory().ok_or_else(damaged)?;
    let mini = file.mini_stream(&entries).ok_or_else(damaged)?;
    let first = |name: &str| entries.iter().find(|e| e.name == name);
    // File offsets of bytes to set to 0 in the copy calamine reads.
    let mut zeroes: Vec<usize> = Vec::new();
    if let Some(entry) = first("Workbook").or_else(|| first("Book")) {
        let stream = file.stream(entry, &mini).ok_or_else(damaged)?;
        let formulas = biff_fits(&stream)?;
        // A stream under 4 096 bytes (in the mini stream) holds too little to matter.
        if let Some(sectors) = file.regular_sectors(entry) {
            for at in formulas {
                for p in [at, at + 1] {
                    let sector = *sectors.get(p / file.sector).ok_or_else(damaged)? as usize;
                    zeroes.push((sector + 1) * file.sector + p % file.sector);
                }
            }
        }
    }
    let vba: Vec<usize> = entries
        .iter()
        .filter(|e| e.name == VBA)
        .map(|e| e.offset)
        .collect();
    if vba.is_empty() && zeroes.is_empty() {
        return Ok(Cow::Borrowed(bytes));
    }
    let mut copy = bytes.to_vec();
    for at in vba {
        // `_VBA_PROJECT_CUR` → `xVBA_PROJECT_CUR`: calamine no longer finds it.
        copy[at] = b'x';
    }
    for at in zeroes {
        *copy.get_mut(at).ok_or_else(damaged)? = 0;
    }
    Ok(Cow::Owned(copy))
}

/// A directory entry as calamine reads it.
struct Entry {
    name: String,
    start: u32,
    len: u64,
    /// Where the entry starts in the file.
    offset: usize,
}

struct Mini {
    fat: Vec<u32>,
    /// The mini stream (the root entry's stream).
    data: Vec<u8>,
}

struct Compound<'a> {
    bytes: &'a [u8],
    sector: usize,
    /// Whole sectors after the header; sector `i` starts at `(i + 1) * sector`.
    sectors: usize,
    fat: Vec<u32>,
    dir_start: u32,
    dir_len: usize,
    mini_fat_start: u32,
    mini_fat_len: usize,
}

impl<'a> Compound<'a> {
    /// `None` when calamine refuses the header itself; `Some(None)` when it is damaged.
    fn open(bytes: &'a [u8]) -> Option<Option<Compound<'a>>> {
        let sector = match (u16_at(bytes, 30)?, u16_at(bytes, 32)?) {
            (9, 6) => 512,
            (12, 6) => 4096,
            _ => return None,
        };
        Some(Compound::read_header(bytes, sector))
    }

    fn read_header(bytes: &'a [u8], sector: usize) -> Option<Compound<'a>> {
        let sectors = bytes.len().checked_sub(sector)? / sector;
        let field = |at| u32_at(bytes, at).map(|v| v as usize);
        let (dir_len, fat_len, mini_fat_len) = (field(40)?, field(44)?, field(64)?);
        if dir_len > sectors
            || fat_len > sectors
            || mini_fat_len > sectors
            || field(62)? > HEADER_RESERVE_MAX
        {
            return None;
        }
        let mut file = Compound {
            bytes,
            sector,
            sectors,
            fat: Vec::new(),
            dir_start: u32_at(bytes, 48)?,
            dir_len,
            mini_fat_start: u32_at(bytes, 60)?,
            mini_fat_len,
        };
        // The DIFAT: 109 entries in the header, then a chain of sectors whose last entry
        // names the next one.
        let mut difat: Vec<u32> = bytes.get(76..512)?.chunks_exact(4).map(le32).collect();
        let mut next = u32_at(bytes, 68)?;
        let mut hops = 0;
        while next < RESERVED {
            hops += 1;
            if hops > sectors {
                return None;
            }
            difat.extend(file.sector(next)?.chunks_exact(4).map(le32));
            next = difat.pop()?;
        }
        let fat_sectors: Vec<u32> = difat.into_iter().filter(|&id| id < DIFSECT).collect();
        if fat_sectors.len() > sectors {
            return None;
        }
        let mut fat = Vec::with_capacity(fat_sectors.len() * sector / 4);
        for id in fat_sectors {
            fat.extend(file.sector(id)?.chunks_exact(4).map(le32));
        }
        file.fat = fat;
        Some(file)
    }

    fn sector(&self, id: u32) -> Option<&'a [u8]> {
        let id = id as usize;
        if id >= self.sectors {
            return None;
        }
        self.bytes
            .get((id + 1) * self.sector..(id + 2) * self.sector)
    }

    /// The sectors of the chain from `start` through `fat`, each below `count`: what
    /// calamine's `get_chain` visits (it stops only at ENDOFCHAIN).
    fn chain(start: u32, fat: &[u32], count: usize) -> Option<Vec<u32>> {
        let mut ids = Vec::new();
        let mut id = start;
        while id != ENDOFCHAIN {
            let i = id as usize;
            if i >= count || i >= fat.len() || ids.len() >= count {
                return None;
            }
            ids.push(id);
            id = fat[i];
        }
        Some(ids)
    }

    /// A stream in regular sectors, cut to `len` when that is not 0 (as calamine does).
    fn regular(&self, start: u32, len: usize) -> Option<Vec<u8>> {
        if len > self.sectors * self.sector {
            return None;
        }
        let mut data = Vec::new();
        for id in Compound::chain(start, &self.fat, self.sectors)? {
            data.extend_from_slice(self.sector(id)?);
        }
        if len > 0 {
            data.truncate(len);
        }
        Some(data)
    }

    /// The sectors of an entry's stream when it is a regular one (not in the mini stream).
    fn regular_sectors(&self, entry: &Entry) -> Option<Vec<u32>> {
        if usize::try_from(entry.len).ok()? < MINI_CUTOFF {
            return None;
        }
        Compound::chain(entry.start, &self.fat, self.sectors)
    }

    /// The directory entries calamine sees: those of the directory's chain, cut to the
    /// header's directory length when that is not 0.
    fn directory(&self) -> Option<Vec<Entry>> {
        let ids = Compound::chain(self.dir_start, &self.fat, self.sectors)?;
        let mut entries = Vec::new();
        for id in ids {
            let base = (id as usize + 1) * self.sector;
            for (k, raw) in self.sector(id)?.chunks_exact(128).enumerate() {
                let units: Vec<u16> = raw[..64].chunks_exact(2).map(le16).collect();
                let name = String::from_utf16_lossy(&units);
                let name = name.split('\0').next().unwrap_or("").to_string();
                let len = if self.sector == 512 {
                    u64::from(u32_at(raw, 120)?)
                } else {
                    u64_at(raw, 120)?
                };
                entries.push(Entry {
                    name,
                    start: u32_at(raw, 116)?,
                    len,
                    offset: base + k * 128,
                });
            }
        }
        if self.dir_len > 0 {
            entries.truncate(self.dir_len * self.sector / 128);
        }
        Some(entries)
    }

    /// The mini stream and its FAT, read when the header says there is a mini FAT.
    fn mini_stream(&self, entries: &[Entry]) -> Option<Mini> {
        let mut mini = Mini {
            fat: Vec::new(),
            data: Vec::new(),
        };
        if self.mini_fat_len == 0 {
            return Some(mini);
        }
        let root = entries.first()?;
        mini.data = self.regular(root.start, usize::try_from(root.len).ok()?)?;
        let fat = self.regular(self.mini_fat_start, self.mini_fat_len * self.sector)?;
        mini.fat = fat.chunks_exact(4).map(le32).collect();
        Some(mini)
    }

    /// A stream as calamine's `get_stream` reads it: from the mini stream when shorter
    /// than 4096 bytes. Only whole mini sectors (calamine reads a partial one from
    /// wherever the file happens to be).
    fn stream(&self, entry: &Entry, mini: &Mini) -> Option<Vec<u8>> {
        let len = usize::try_from(entry.len).ok()?;
        if len >= MINI_CUTOFF {
            return self.regular(entry.start, len);
        }
        let count = mini.data.len() / MINI_SECTOR;
        let mut data = Vec::new();
        for id in Compound::chain(entry.start, &mini.fat, count)? {
            let at = id as usize * MINI_SECTOR;
            data.extend_from_slice(mini.data.get(at..at + MINI_SECTOR)?);
        }
        if len > 0 {
            data.truncate(len);
        }
        Some(data)
    }
}

fn le32(b: &[u8]) -> u32 {
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

fn le16(b: &[u8]) -> u16 {
    u16::from_le_bytes([b[0], b[1]])
}

/// A BIFF record as calamine's `RecordIter` frames it: the CONTINUE records that follow
/// belong to it.
struct Record<'a> {
    typ: u16,
    /// Where the record's data starts in the stream.
    at: usize,
    data: &'a [u8],
    cont: Vec<&'a [u8]>,
}

/// The records from `start` in `stream`, until the end or a record cut short (where
/// calamine stops with an error).
fn records(stream: &[u8], start: usize) -> impl Iterator<Item = Record<'_>> {
    let mut at = start;
    std::iter::from_fn(move || {
        let typ = u16_at(stream, at)?;
        let len = usize::from(u16_at(stream, at + 2)?);
        let data = stream.get(at + 4..at + 4 + len)?;
        let record_at = at + 4;
        at += 4 + len;
        let mut cont = Vec::new();
        while stream.len() > at + 4 && u16_at(stream, at) == Some(0x003C) {
            let len = usize::from(u16_at(stream, at + 2)?);
            cont.push(stream.get(at + 4..at + 4 + len)?);
            at += 4 + len;
        }
        Some(Record {
            typ,
            at: record_at,
            data,
            cont,
        })
    })
}

/// The most UTF-8 bytes a character may become as calamine decodes it: an 8-bit
/// character (`wide` false) or a UTF-16 unit. With the code page BIFF8 writes (1200,
/// UTF-16) that is its UTF-8 length; another code page may turn each byte into a
/// character of its own.
fn utf8_bound(unit: u16, wide: bool, utf16: bool) -> u64 {
    match (utf16, wide) {
        (true, _) if unit < 0x80 => 1,
        (true, false) => 2,
        (true, true) if unit < 0x800 => 2,
        (true, true) => 3,
        (false, false) => 4,
        (false, true) => 6,
    }
}

/// The shared strings as calamine's `parse_sst` reads them (`XLUnicodeRichExtendedString`
/// after `XLUnicodeRichExtendedString`, across CONTINUE records, each continuation
/// starting with the width of the characters that follow): how many UTF-8 bytes each
/// becomes at the most. `None` where calamine stops with an error or a panic.
fn shared_string_sizes(sst: &Record<'_>, utf16: bool) -> Option<Vec<u64>> {
    let mut data = sst.data.get(8..)?;
    let mut cont = sst.cont.iter();
    let mut sizes = Vec::new();
    // calamine's `Record::skip`.
    fn skip<'a>(
        data: &mut &'a [u8],
        cont: &mut std::slice::Iter<'_, &'a [u8]>,
        mut len: usize,
    ) -> Option<()> {
        while len > 0 {
            if data.is_empty() {
                *data = cont.next()?;
            }
            let l = len.min(data.len());
            *data = &data[l..];
            len -= l;
        }
        Some(())
    }
    loop {
        if data.is_empty() {
            match cont.next() {
                Some(next) => data = next,
                None => return Some(sizes),
            }
            continue;
        }
        if sizes.len() as u64 >= MAX_SHARED_STRINGS {
            // More than allowed: the caller refuses, whatever follows.
            sizes.push(0);
            return Some(sizes);
        }
        let cch = usize::from(u16_at(data, 0)?);
        let flags = *data.get(2)?;
        data = &data[3..];
        let mut wide = flags & 0x1 != 0;
        let mut runs = 0usize;
        if flags & 0x8 != 0 {
            runs = usize::from(u16_at(data, 0)?);
            data = &data[2..];
        }
        let mut ext = 0usize;
        if flags & 0x4 != 0 {
            ext = u32_at(data, 0)? as i32 as usize;
            data = &data[4..];
        }
        let (mut left, mut size) = (cch, 0u64);
        while left > 0 {
            let (chars, used) = if wide {
                let l = (data.len() / 2).min(left);
                (l, 2 * l)
            } else {
                let l = data.len().min(left);
                (l, l)
            };
            for i in 0..chars {
                let unit = if wide {
                    u16::from_le_bytes([data[2 * i], data[2 * i + 1]])
                } else {
                    u16::from(data[i])
                };
                size += utf8_bound(unit, wide, utf16);
            }
            data = &data[used..];
            left -= chars;
            if left > 0 {
                data = cont.next()?;
                wide = *data.first()? & 0x1 != 0;
                data = &data[1..];
            }
        }
        // calamine reserves `cch` bytes for the string and grows it as it decodes.
        sizes.push(size.max(cch as u64));
        skip(&mut data, &mut cont, runs.checked_mul(4)?)?;
        skip(&mut data, &mut cont, ext)?;
    }
}

/// What opening the workbook makes calamine hold, counted over every sheet.
#[derive(Default)]
struct Tally {
    /// Cells laid out: per sheet the most of its DIMENSIONS record, the span of its cells
    /// and the cells its records push.
    cells: u64,
    /// Text: the shared strings once, each LABELSST its copy, every other string the size
    /// its record claims, every formula the record's size.
    text: u64,
    merged: u64,
}

impl Tally {
    fn check(&self) -> Result<(), String> {
        if self.cells > MAX_WORKBOOK_CELLS as u64 {
            return Err(messages::table_too_large(MAX_WORKBOOK_CELLS));
        }
        if self.text > MAX_TEXT_BYTES as u64 {
            return Err(messages::text_too_large(MAX_TEXT_BYTES >> 20));
        }
        if self.merged > MAX_MERGED_REGIONS {
            return Err(messages::too_many_merged_regions(MAX_MERGED_REGIONS));
        }
        Ok(())
    }
}

/// Walks the workbook stream as calamine's `parse_workbook` does and refuses what it
/// could not hold (see [`prepare`]). Returns where in the stream each formula's token
/// count (`cce`) is, to be set to 0.
fn biff_fits(stream: &[u8]) -> Result<Vec<usize>, String> {
    let damaged = messages::workbook_damaged;
    let mut tally = Tally::default();
    let mut positions = Vec::new();
    let mut sizes: Vec<u64> = Vec::new();
    let mut utf16 = true;
    for r in records(stream, 0) {
        match r.typ {
            0x000A => break,
            0x0042 => utf16 = u16_at(r.data, 0) == Some(1200),
            0x0085 => {
                if let Some(p) = u32_at(r.data, 0) {
                    positions.push(p as usize);
                }
            }
            0x00FC => {
                sizes = shared_string_sizes(&r, utf16).ok_or_else(damaged)?;
                if sizes.len() as u64 > MAX_SHARED_STRINGS {
                    return Err(messages::too_many_shared_strings(MAX_SHARED_STRINGS));
                }
                // The table itself, once; each string's reserved size and its header.
                let table: u64 = sizes.iter().map(|s| s + 24).sum();
                tally.text = tally.text.max(table);
                tally.check()?;
            }
            _ => {}
        }
    }
    let mut formulas = Vec::new();
    for pos in positions {
        if pos < stream.len() {
            sheet_fits(stream, pos, &sizes, utf16, &mut tally, &mut formulas)?;
        }
    }
    Ok(formulas)
}

/// The rectangle a sheet's cells span, which calamine lays out.
struct Span {
    top: u32,
    bottom: u32,
    left: u32,
    right: u32,
}

impl Default for Span {
    fn default() -> Span {
        Span {
            top: u32::MAX,
            bottom: 0,
            left: u32::MAX,
            right: 0,
        }
    }
}

impl Span {
    fn add(&mut self, row: u32, col: u32) {
        (self.top, self.bottom) = (self.top.min(row), self.bottom.max(row));
        (self.left, self.right) = (self.left.min(col), self.right.max(col));
    }

    fn area(&self) -> u64 {
        if self.top > self.bottom {
            return 0;
        }
        (u64::from(self.bottom - self.top) + 1) * (u64::from(self.right - self.left) + 1)
    }
}

fn sheet_fits(
    stream: &[u8],
    pos: usize,
    sizes: &[u64],
    utf16: bool,
    tally: &mut Tally,
    formulas: &mut Vec<usize>,
) -> Result<(), String> {
    let too_large = || messages::table_too_large(MAX_WORKBOOK_CELLS);
    let area = |rows: u64, cols: u64| rows.saturating_mul(cols);
    let mut span = Span::default();
    let mut formula_at = (0u32, 0u32);
    let (mut reserved, mut pushed) = (0u64, 0u64);
    let at = |data: &[u8]| Some((u32::from(u16_at(data, 0)?), u32::from(u16_at(data, 2)?)));
    // A string record's claimed length, as calamine reserves it and decodes into it.
    let per_char = if utf16 { 3 } else { 6 };
    let string_size = |data: &[u8]| u64::from(u16_at(data, 0).unwrap_or(0)) * per_char + 24;
    let base = tally.cells;
    for r in records(stream, pos) {
        let data = r.data;
        match r.typ {
            0x000A => break,
            // DIMENSIONS: calamine reserves rows × columns cells.
            0x0200 => {
                let (first_row, last_row, mut first_col, last_col) = match data.len() {
                    10 => (
                        u32::from(u16_at(data, 0).unwrap_or(0)),
                        u32::from(u16_at(data, 2).unwrap_or(0)),
                        u32::from(u16_at(data, 4).unwrap_or(0)),
                        u32::from(u16_at(data, 6).unwrap_or(0)),
                    ),
                    14 => (
                        u32_at(data, 0).unwrap_or(0),
                        u32_at(data, 4).unwrap_or(0),
                        u32::from(u16_at(data, 8).unwrap_or(0)),
                        u32::from(u16_at(data, 10).unwrap_or(0)),
                    ),
                    _ => continue,
                };
                if first_col > 0xFF || last_col < first_col {
                    first_col = 0;
                }
                let (start, end) = if last_row >= 1 && last_col >= 1 {
                    ((first_row, first_col), (last_row - 1, last_col - 1))
                } else {
                    ((first_row, first_col), (first_row, first_col))
                };
                // As calamine computes them (wrapping where its subtraction would).
                let rows = end.0.wrapping_sub(start.0).wrapping_add(1);
                let cols = end.1.wrapping_sub(start.1).wrapping_add(1);
                reserved = reserved.max(area(u64::from(rows), u64::from(cols)));
            }
            0x0203 | 0x0205 | 0x027E => {
                if let Some((row, col)) = at(data) {
                    span.add(row, col);
                    pushed += 1;
                }
            }
            // LABEL: a string of its claimed length.
            0x0204 => {
                if let Some((row, col)) = at(data) {
                    span.add(row, col);
                    pushed += 1;
                    tally.text += string_size(data.get(6..).unwrap_or(&[]));
                }
            }
            // LABELSST: its own copy of the shared string (none for an empty one).
            0x00FD => {
                if let (Some((row, col)), Some(i)) = (at(data), u32_at(data, 6)) {
                    span.add(row, col);
                    let size = sizes.get(i as usize).copied().unwrap_or(0);
                    if size > 0 {
                        pushed += 1;
                        tally.text += size;
                    }
                }
            }
            0x0006 => {
                if let (Some(pos), true) = (at(data), data.len() >= 20) {
                    formula_at = pos;
                    span.add(pos.0, pos.1);
                    pushed += 1;
                    // The formula's text (its tokens are emptied; the record's size is
                    // what calamine reserves for it, or its message about it).
                    tally.text += data.len() as u64 + 96;
                    if data.len() >= 22 {
                        formulas.push(r.at + 20);
                    }
                }
            }
            // A formula's text result: calamine places it at the last formula's cell.
            0x0207 => {
                span.add(formula_at.0, formula_at.1);
                pushed += 1;
                tally.text += string_size(data);
            }
            // MULRK: one row, columns first..=last.
            0x00BD if data.len() >= 6 => {
                let (Some((row, first)), Some(last)) = (at(data), u16_at(data, data.len() - 2))
                else {
                    continue;
                };
                let last = u32::from(last);
                if last >= first && data.len() == 6 + 6 * (last - first + 1) as usize {
                    span.add(row, first);
                    span.add(row, last);
                    pushed += u64::from(last - first + 1);
                }
            }
            // MERGECELLS: a count, then 8 bytes per region.
            0x00E5 => tally.merged += u64::from(u16_at(data, 0).unwrap_or(0)),
            _ => {}
        }
        tally.cells = base.saturating_add(reserved.max(span.area()).max(pushed));
        if tally.cells > MAX_WORKBOOK_CELLS as u64 {
            return Err(too_large());
        }
        tally.check()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const XLS: &[u8] = include_bytes!("../../tests/fixtures/utfall.xls");

    fn record(typ: u16, data: &[u8]) -> Vec<u8> {
        let mut r = typ.to_le_bytes().to_vec();
        r.extend_from_slice(&(data.len() as u16).to_le_bytes());
        r.extend_from_slice(data);
        r
    }

    /// One sheet's records checked on their own.
    fn fits(sheet: &[u8]) -> Result<(), String> {
        sheet_fits(sheet, 0, &[], true, &mut Tally::default(), &mut Vec::new())
    }

    /// The file offset of the first NUMBER record in the fixture's workbook stream (a
    /// regular stream, its sectors in order).
    fn first_number_record(bytes: &[u8]) -> usize {
        (512..bytes.len() - 18)
            .find(|&i| bytes[i..i + 4] == [0x03, 0x02, 0x0E, 0x00])
            .expect("a NUMBER record")
    }

    #[test]
    fn a_sound_xls_is_given_to_calamine_as_it_is() {
        assert!(matches!(prepare(XLS), Ok(Cow::Borrowed(b)) if b == XLS));
        // Not a compound file calamine would open: its own error is reported.
        let mut other = XLS.to_vec();
        other[30] = 10;
        assert!(matches!(prepare(&other), Ok(Cow::Borrowed(_))));
    }

    #[test]
    fn sector_ids_and_sizes_beyond_the_file_are_refused_before_calamine_allocates() {
        // The directory's first sector far beyond the end of the file: calamine would
        // grow its buffer to (id + 1) × 512 bytes, 2 TB for this id.
        let mut far = XLS.to_vec();
        far[48..52].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
        // A FAT that is longer than the file.
        let mut fat = XLS.to_vec();
        fat[44..48].copy_from_slice(&0x4000_0000u32.to_le_bytes());
        // A DIFAT chain through a reserved id.
        let mut difat = XLS.to_vec();
        difat[76..80].copy_from_slice(&0xFFFF_FFFAu32.to_le_bytes());
        // The field calamine takes for the DIFAT's length, made huge.
        let mut reserve = XLS.to_vec();
        reserve[64..68].copy_from_slice(&0xFFFFu32.to_le_bytes());
        // A directory chain that loops back on itself.
        let mut cycle = XLS.to_vec();
        let dir = u32_at(XLS, 48).unwrap() as usize;
        let fat_sector = u32_at(XLS, 76).unwrap() as usize;
        let slot = (fat_sector + 1) * 512 + dir * 4;
        cycle[slot..slot + 4].copy_from_slice(&(dir as u32).to_le_bytes());
        for (what, bytes) in [
            ("far", far),
            ("fat", fat),
            ("difat", difat),
            ("reserve", reserve),
            ("cycle", cycle),
        ] {
            assert_eq!(
                prepare(&bytes).err(),
                Some(messages::workbook_damaged()),
                "{what}"
            );
            assert_eq!(
                super::super::workbook::read("x.xls", &bytes, None).err(),
                Some(messages::workbook_damaged()),
                "{what}"
            );
        }
    }

    #[test]
    fn cells_or_dimensions_spanning_more_than_max_cells_are_refused() {
        // A NUMBER record moved to row 65 535, column 65 535: calamine would lay out
        // 65 536 × 65 536 cells between it and A1.
        let mut far_cell = XLS.to_vec();
        let at = first_number_record(XLS) + 4;
        far_cell[at..at + 4].copy_from_slice(&[0xFF; 4]);
        assert_eq!(
            prepare(&far_cell).err(),
            Some(messages::table_too_large(MAX_WORKBOOK_CELLS))
        );
        assert_eq!(
            super::super::workbook::read("x.xls", &far_cell, None).err(),
            Some(messages::table_too_large(MAX_WORKBOOK_CELLS))
        );
        let sheet = |records: &[Vec<u8>]| {
            let mut s: Vec<u8> = records.concat();
            s.extend(record(0x000A, &[]));
            s
        };
        let dims = |rows: u32, cols: u16| {
            let mut d = 0u32.to_le_bytes().to_vec();
            d.extend(rows.to_le_bytes());
            d.extend(0u16.to_le_bytes());
            d.extend(cols.to_le_bytes());
            d.extend(0u16.to_le_bytes());
            record(0x0200, &d)
        };
        assert_eq!(
            fits(&sheet(&[dims(65_536, 256)])),
            Err(messages::table_too_large(MAX_WORKBOOK_CELLS))
        );
        assert_eq!(fits(&sheet(&[dims(1_000, 26)])), Ok(()));
        // First row after the last: calamine's subtraction would wrap.
        let mut upside_down = 10u32.to_le_bytes().to_vec();
        upside_down.extend(5u32.to_le_bytes());
        upside_down.extend([0, 0, 3, 0, 0, 0]);
        assert_eq!(
            fits(&sheet(&[record(0x0200, &upside_down)])),
            Err(messages::table_too_large(MAX_WORKBOOK_CELLS))
        );
        let mulrk = |row: u16, first: u16, last: u16| {
            let mut d = row.to_le_bytes().to_vec();
            d.extend(first.to_le_bytes());
            for _ in first..=last {
                d.extend([0u8; 6]);
            }
            d.extend(last.to_le_bytes());
            record(0x00BD, &d)
        };
        let number = |row: u16, col: u16| {
            let mut d = row.to_le_bytes().to_vec();
            d.extend(col.to_le_bytes());
            d.extend([0u8; 10]);
            record(0x0203, &d)
        };
        assert_eq!(fits(&sheet(&[number(0, 0), mulrk(9_999, 0, 255)])), Ok(()));
        assert_eq!(
            fits(&sheet(&[number(0, 0), number(65_535, 255)])),
            Err(messages::table_too_large(MAX_WORKBOOK_CELLS))
        );
    }

    #[test]
    fn a_vba_project_is_hidden_from_calamine() {
        let entries = |bytes: &[u8]| {
            let file = Compound::open(bytes).unwrap().unwrap();
            file.directory().unwrap()
        };
        // Rename the fixture's workbook's summary entry to the VBA project's name.
        let mut with_vba = XLS.to_vec();
        let victim = entries(XLS)
            .into_iter()
            .find(|e| e.name.contains("SummaryInformation"))
            .expect("a summary entry");
        let name: Vec<u8> = VBA.encode_utf16().flat_map(u16::to_le_bytes).collect();
        with_vba[victim.offset..victim.offset + 64].fill(0);
        with_vba[victim.offset..victim.offset + name.len()].copy_from_slice(&name);
        assert!(entries(&with_vba).iter().any(|e| e.name == VBA));
        let prepared = prepare(&with_vba).unwrap();
        assert!(matches!(prepared, Cow::Owned(_)));
        assert!(!entries(&prepared).iter().any(|e| e.name == VBA));
        assert!(entries(&prepared)
            .iter()
            .any(|e| e.name == "xVBA_PROJECT_CUR"));
    }
}
