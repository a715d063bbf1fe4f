//! Files for tests and benchmarks (not part of the documented API): outcome tables of a
//! chosen size as CSV, XLSX and ODS, and files built to expand when they are read – a zip
//! bomb, a member whose declared size lies, one shared string in every cell, an XLS of
//! LABELSST records, an ODS cell repeated over a whole sheet. The hostile files are
//! written directly (zip, compound file and BIFF records by hand): no office program
//! writes them, which is the point.

use std::io::Write;

/// An outcome table: `rows` rows below a header row (Mått;Period;Uppdelning;Värde;
/// Felmarginal;Antal svarande), every row a distinct indicator × month × breakdown, so
/// that a file whose `keys` exist is valid throughout. Months run from 1900-01 on (the
/// years 2019–2023 of the demo are left out: boards have decided some of them).
pub fn outcome_rows(keys: &[String], rows: usize) -> impl Iterator<Item = [String; 6]> + '_ {
    const BREAKDOWNS: [&str; 3] = ["Totalt", "Kvinnor", "Män"];
    (0..rows).map(move |i| {
        let key = &keys[i % keys.len().max(1)];
        let rest = i / keys.len().max(1);
        let breakdown = BREAKDOWNS[rest % 3];
        let month = rest / 3;
        let mut year = 1900 + (month / 12) as i32;
        if year >= 2019 {
            year += 5;
        }
        let value = 2 + (i * 7919) % 97;
        [
            key.clone(),
            format!("{year}-{:02}", month % 12 + 1),
            breakdown.to_string(),
            format!("{value},{}", i % 10),
            format!("{},{}", 1 + i % 3, i % 10),
            format!("{}", 100 + i % 900),
        ]
    })
}

const HEADINGS: [&str; 6] = [
    "Mått",
    "Period",
    "Uppdelning",
    "Värde",
    "Felmarginal",
    "Antal svarande",
];

/// The outcome table as Swedish Excel's CSV (semicolons, UTF-8).
pub fn outcomes_csv(keys: &[String], rows: usize) -> Vec<u8> {
    let mut out = HEADINGS.join(";").into_bytes();
    out.push(b'\n');
    for row in outcome_rows(keys, rows) {
        out.extend_from_slice(row.join(";").as_bytes());
        out.push(b'\n');
    }
    out
}

/// The outcome table as an XLSX workbook written by rust_xlsxwriter (shared strings,
/// numbers as numbers), sheet `Utfall`.
pub fn outcomes_xlsx(keys: &[String], rows: usize) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("Utfall").expect("a valid sheet name");
    for (c, h) in HEADINGS.iter().enumerate() {
        sheet
            .write_string(0, c as u16, *h)
            .expect("within the sheet");
    }
    for (r, row) in outcome_rows(keys, rows).enumerate() {
        let r = r as u32 + 1;
        for (c, cell) in row.iter().enumerate() {
            let c = c as u16;
            let number = cell.replace(',', ".").parse::<f64>();
            match number {
                Ok(n) if c >= 3 => sheet.write_number(r, c, n),
                _ => sheet.write_string(r, c, cell),
            }
            .expect("within the sheet");
        }
    }
    book.save_to_buffer().expect("the workbook is written")
}

// --- zip archives written by hand ---------------------------------------------------

/// A zip member: its name, its data as stored in the archive (deflated or not), and what
/// the archive declares about it.
pub struct Member {
    pub name: String,
    pub data: Vec<u8>,
    pub deflated: bool,
    pub crc32: u32,
    /// The uncompressed size the archive declares (the truth, unless a test lies).
    pub declared_size: u64,
}

impl Member {
    /// A member stored deflated from `text`.
    pub fn deflated(name: &str, text: &[u8]) -> Member {
        let mut encoder =
            flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(text).expect("writing to memory");
        Member {
            name: name.into(),
            data: encoder.finish().expect("writing to memory"),
            deflated: true,
            crc32: crc32fast::hash(text),
            declared_size: text.len() as u64,
        }
    }

    /// A deflated member of `head`, then `chunk` `times` times, then `tail`, without ever
    /// holding the whole: each part is compressed on its own (flushed to a byte boundary),
    /// so the chunk's compressed bytes are repeated. A 1 MiB chunk of one byte compresses
    /// to about 1 KiB: twenty thousand of them make a 20 MB member of 20 GiB.
    pub fn repeated(name: &str, head: &[u8], chunk: &[u8], times: u64, tail: &[u8]) -> Member {
        use flate2::{Compress, Compression, FlushCompress};
        let mut z = Compress::new(Compression::best(), false);
        let mut data = deflate_part(&mut z, head, FlushCompress::Full);
        // A full flush empties the compressor's window: the chunk's compressed bytes do
        // not depend on what came before, so they are the same every time.
        let repeated = deflate_part(&mut z, chunk, FlushCompress::Full);
        data.reserve(repeated.len() * times as usize);
        for _ in 0..times {
            data.extend_from_slice(&repeated);
        }
        data.extend(deflate_part(&mut z, tail, FlushCompress::Finish));
        let crc_of = |bytes: &[u8]| {
            let mut h = crc32fast::Hasher::new();
            h.update(bytes);
            h
        };
        // The CRC of `times` chunks, by doubling (crc32fast combines two checksums).
        let mut crc = crc_of(head);
        let mut power = crc_of(chunk);
        let mut n = times;
        while n > 0 {
            if n & 1 == 1 {
                crc.combine(&power);
            }
            let copy = power.clone();
            power.combine(&copy);
            n >>= 1;
        }
        crc.combine(&crc_of(tail));
        Member {
            name: name.into(),
            data,
            deflated: true,
            crc32: crc.finalize(),
            declared_size: head.len() as u64 + chunk.len() as u64 * times + tail.len() as u64,
        }
    }
}

/// A zip archive of `members` (zip64 sizes where a member's exceed 4 GiB).
pub fn zip(members: &[Member]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for m in members {
        let offset = out.len() as u32;
        let big =
            m.declared_size >= u64::from(u32::MAX) || m.data.len() as u64 >= u64::from(u32::MAX);
        let (size32, csize32) = if big {
            (u32::MAX, u32::MAX)
        } else {
            (m.declared_size as u32, m.data.len() as u32)
        };
        let extra: Vec<u8> = if big {
            let mut e = vec![0x01, 0x00, 16, 0];
            e.extend(m.declared_size.to_le_bytes());
            e.extend((m.data.len() as u64).to_le_bytes());
            e
        } else {
            Vec::new()
        };
        let method: u16 = if m.deflated { 8 } else { 0 };
        let version: u16 = if big { 45 } else { 20 };
        let common = |out: &mut Vec<u8>| {
            out.extend(version.to_le_bytes()); // version needed
            out.extend(0x0800u16.to_le_bytes()); // flags: UTF-8 names
            out.extend(method.to_le_bytes());
            out.extend(0u16.to_le_bytes()); // time
            out.extend(0x5A21u16.to_le_bytes()); // date 2025-01-01
            out.extend(m.crc32.to_le_bytes());
            out.extend(csize32.to_le_bytes());
            out.extend(size32.to_le_bytes());
            out.extend((m.name.len() as u16).to_le_bytes());
            out.extend((extra.len() as u16).to_le_bytes());
        };
        out.extend(b"PK\x03\x04");
        common(&mut out);
        out.extend(m.name.as_bytes());
        out.extend(&extra);
        out.extend(&m.data);
        central.extend(b"PK\x01\x02");
        central.extend(version.to_le_bytes()); // version made by
        common(&mut central);
        central.extend(0u16.to_le_bytes()); // comment length
        central.extend(0u16.to_le_bytes()); // disk
        central.extend(0u16.to_le_bytes()); // internal attributes
        central.extend(0u32.to_le_bytes()); // external attributes
        central.extend(offset.to_le_bytes());
        central.extend(m.name.as_bytes());
        central.extend(&extra);
    }
    let start = out.len() as u32;
    out.extend(&central);
    out.extend(b"PK\x05\x06");
    out.extend(0u16.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out.extend((members.len() as u16).to_le_bytes());
    out.extend((members.len() as u16).to_le_bytes());
    out.extend((central.len() as u32).to_le_bytes());
    out.extend(start.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out
}

/// The members of a one-sheet XLSX workbook around `sheet` (and `shared`, the shared
/// strings, when given).
pub fn xlsx_members(sheet: Member, shared: Option<Member>) -> Vec<Member> {
    let types = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
        <Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
        <Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
        <Default Extension=\"xml\" ContentType=\"application/xml\"/>\
        <Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>\
        <Override PartName=\"/xl/worksheets/sheet1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>\
        <Override PartName=\"/xl/sharedStrings.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml\"/>\
        </Types>";
    let rels = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
        <Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
        <Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"xl/workbook.xml\"/>\
        </Relationships>";
    let workbook = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
        <workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" \
        xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">\
        <sheets><sheet name=\"Utfall\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>";
    let book_rels = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
        <Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
        <Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"worksheets/sheet1.xml\"/>\
        <Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings\" Target=\"sharedStrings.xml\"/>\
        </Relationships>";
    let mut members = vec![
        Member::deflated("[Content_Types].xml", types.as_bytes()),
        Member::deflated("_rels/.rels", rels.as_bytes()),
        Member::deflated("xl/workbook.xml", workbook.as_bytes()),
        Member::deflated("xl/_rels/workbook.xml.rels", book_rels.as_bytes()),
    ];
    members.extend(shared);
    members.push(sheet);
    members
}

const SHEET_HEAD: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
    <worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData>";
const SHEET_TAIL: &str = "</sheetData></worksheet>";

/// A zip bomb: an XLSX whose sheet holds one cell with `text_bytes` bytes of text
/// (declared honestly). Read as calamine reads it, the cell is one string of that size.
pub fn zip_bomb_xlsx(text_bytes: u64) -> Vec<u8> {
    zip(&xlsx_members(text_member(text_bytes), None))
}

fn text_member(text_bytes: u64) -> Member {
    let head = format!(
        "{SHEET_HEAD}<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>Mått</t></is></c></row>\
         <row r=\"2\"><c r=\"A2\" t=\"str\"><v>"
    );
    // Chunks of 1 MiB (or the whole text, when it is shorter).
    const MIB: u64 = 1 << 20;
    let chunk = vec![b'x'; text_bytes.min(MIB) as usize];
    Member::repeated(
        "xl/worksheets/sheet1.xml",
        head.as_bytes(),
        &chunk,
        text_bytes / chunk.len().max(1) as u64,
        format!("</v></c></row>{SHEET_TAIL}").as_bytes(),
    )
}

/// The zip bomb's member declaring `declared` bytes while it holds `text_bytes`: a reader
/// that trusts the declaration is misled.
pub fn lying_member_xlsx(text_bytes: u64, declared: u64) -> Vec<u8> {
    let mut sheet = text_member(text_bytes);
    sheet.declared_size = declared;
    zip(&xlsx_members(sheet, None))
}

/// One shared string of `text_bytes` bytes, referenced by every cell of `rows` rows of
/// 256 columns. The sheet is written 200 rows at a time (fewer if `rows` is), the same
/// rows again and again (their cells named, so that they pack as a real sheet does, about
/// ten times).
pub fn shared_string_xlsx(text_bytes: usize, rows: u64) -> Vec<u8> {
    let text = "å".repeat(text_bytes / 2);
    let shared = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
         <sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" count=\"1\" \
         uniqueCount=\"1\"><si><t>{text}</t></si></sst>"
    );
    let per_chunk = rows.clamp(1, 200);
    let mut chunk = String::new();
    for r in 1..=per_chunk {
        chunk.push_str(&format!("<row r=\"{r}\">"));
        for c in 0..256 {
            let col = super::read::column_letters(c);
            chunk.push_str(&format!("<c r=\"{col}{r}\" t=\"s\"><v>0</v></c>"));
        }
        chunk.push_str("</row>");
    }
    let sheet = Member::repeated(
        "xl/worksheets/sheet1.xml",
        SHEET_HEAD.as_bytes(),
        chunk.as_bytes(),
        rows.div_ceil(per_chunk),
        SHEET_TAIL.as_bytes(),
    );
    zip(&xlsx_members(
        sheet,
        Some(Member::deflated("xl/sharedStrings.xml", shared.as_bytes())),
    ))
}

/// An ODS whose one cell holds `text_bytes` bytes of text and is repeated over 256
/// columns and `rows` rows (`number-columns-repeated`, `number-rows-repeated`).
pub fn repeated_cell_ods(text_bytes: usize, rows: u64) -> Vec<u8> {
    let text = "x".repeat(text_bytes);
    let content = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
         <office:document-content \
           xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" \
           xmlns:table=\"urn:oasis:names:tc:opendocument:xmlns:table:1.0\" \
           xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\" office:version=\"1.3\">\
         <office:body><office:spreadsheet><table:table table:name=\"Utfall\">\
         <table:table-row><table:table-cell office:value-type=\"string\"><text:p>Mått</text:p></table:table-cell></table:table-row>\
         <table:table-row table:number-rows-repeated=\"{rows}\">\
         <table:table-cell table:number-columns-repeated=\"256\" office:value-type=\"string\"><text:p>{text}</text:p></table:table-cell>\
         </table:table-row></table:table></office:spreadsheet></office:body></office:document-content>"
    );
    ods(&content)
}

/// An ODS file of `content` (its `content.xml`), with the mimetype and manifest that
/// LibreOffice writes and calamine expects.
pub fn ods(content: &str) -> Vec<u8> {
    let mime = b"application/vnd.oasis.opendocument.spreadsheet";
    let manifest = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
        <manifest:manifest xmlns:manifest=\"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0\">\
        <manifest:file-entry manifest:full-path=\"/\" manifest:media-type=\"application/vnd.oasis.opendocument.spreadsheet\"/>\
        <manifest:file-entry manifest:full-path=\"content.xml\" manifest:media-type=\"text/xml\"/>\
        </manifest:manifest>";
    zip(&[
        Member {
            name: "mimetype".into(),
            data: mime.to_vec(),
            deflated: false,
            crc32: crc32fast::hash(mime),
            declared_size: mime.len() as u64,
        },
        Member::deflated("META-INF/manifest.xml", manifest.as_bytes()),
        Member::deflated("content.xml", content.as_bytes()),
    ])
}

// --- XLS: BIFF8 records in a compound file --------------------------------------------

fn record(typ: u16, data: &[u8]) -> Vec<u8> {
    let mut r = typ.to_le_bytes().to_vec();
    r.extend((data.len() as u16).to_le_bytes());
    r.extend_from_slice(data);
    r
}

/// An XLS workbook (BIFF8) whose shared string table holds one string of `text_bytes`
/// ASCII characters (at most 8 000, one record) and whose one sheet has `labels` LABELSST
/// records referring to it, 200 to a row: calamine gives every one its own copy.
pub fn labelsst_xls(text_bytes: usize, labels: usize) -> Vec<u8> {
    let text_bytes = text_bytes.min(8_000);
    let bof = |dt: u16| {
        let mut d = 0x0600u16.to_le_bytes().to_vec();
        d.extend(dt.to_le_bytes());
        d.extend([0u8; 12]);
        record(0x0809, &d)
    };
    let mut sst = 1u32.to_le_bytes().to_vec();
    sst.extend(1u32.to_le_bytes());
    sst.extend((text_bytes as u16).to_le_bytes());
    sst.push(0); // 8-bit characters
    sst.extend(std::iter::repeat_n(b'x', text_bytes));
    let name = b"Utfall";
    let boundsheet_len = 4 + 8 + name.len();
    let mut globals = bof(0x0005);
    globals.extend(record(0x0042, &1200u16.to_le_bytes()));
    let sheet_at = globals.len() + boundsheet_len + (4 + sst.len()) + 4;
    let mut boundsheet = (sheet_at as u32).to_le_bytes().to_vec();
    boundsheet.extend([0, 0, name.len() as u8, 0]);
    boundsheet.extend_from_slice(name);
    globals.extend(record(0x0085, &boundsheet));
    globals.extend(record(0x00FC, &sst));
    globals.extend(record(0x000A, &[]));
    debug_assert_eq!(globals.len(), sheet_at);
    const PER_ROW: usize = 200;
    let rows = labels.div_ceil(PER_ROW).max(1);
    let mut stream = globals;
    stream.extend(bof(0x0010));
    let mut dims = 0u32.to_le_bytes().to_vec();
    dims.extend((rows as u32).to_le_bytes());
    dims.extend(0u16.to_le_bytes());
    dims.extend((PER_ROW as u16).to_le_bytes());
    dims.extend(0u16.to_le_bytes());
    stream.extend(record(0x0200, &dims));
    for i in 0..labels {
        let mut d = ((i / PER_ROW) as u16).to_le_bytes().to_vec();
        d.extend(((i % PER_ROW) as u16).to_le_bytes());
        d.extend(0u16.to_le_bytes());
        d.extend(0u32.to_le_bytes());
        stream.extend(record(0x00FD, &d));
    }
    stream.extend(record(0x000A, &[]));
    compound_file("Workbook", &stream)
}

/// An OLE compound file (version 4, 4 096-byte sectors) holding one stream.
pub fn compound_file(stream_name: &str, stream: &[u8]) -> Vec<u8> {
    const SECTOR: usize = 4096;
    const FREE: u32 = 0xFFFF_FFFF;
    const END: u32 = 0xFFFF_FFFE;
    const FATSECT: u32 = 0xFFFF_FFFD;
    let stream = {
        let mut s = stream.to_vec();
        // Streams under 4 096 bytes live in the mini stream, which this writer leaves out.
        s.resize(s.len().max(SECTOR), 0);
        s
    };
    let data_sectors = stream.len().div_ceil(SECTOR);
    let mut fat_sectors = 1;
    while (data_sectors + fat_sectors + 1).div_ceil(SECTOR / 4) > fat_sectors {
        fat_sectors += 1;
    }
    assert!(fat_sectors <= 109, "one header's DIFAT");
    let dir_sector = data_sectors + fat_sectors;
    let mut fat: Vec<u32> = (1..=data_sectors as u32).collect();
    fat[data_sectors - 1] = END;
    fat.extend(std::iter::repeat_n(FATSECT, fat_sectors));
    fat.push(END);
    fat.resize(fat_sectors * SECTOR / 4, FREE);

    let mut header = Vec::with_capacity(SECTOR);
    header.extend([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]);
    header.extend([0u8; 16]);
    header.extend(0x003Eu16.to_le_bytes());
    header.extend(0x0004u16.to_le_bytes());
    header.extend(0xFFFEu16.to_le_bytes());
    header.extend(12u16.to_le_bytes());
    header.extend(6u16.to_le_bytes());
    header.extend([0u8; 6]);
    header.extend(1u32.to_le_bytes()); // directory sectors
    header.extend((fat_sectors as u32).to_le_bytes());
    header.extend((dir_sector as u32).to_le_bytes());
    header.extend(0u32.to_le_bytes());
    header.extend(4096u32.to_le_bytes());
    header.extend(END.to_le_bytes()); // mini FAT
    header.extend(0u32.to_le_bytes());
    header.extend(END.to_le_bytes()); // DIFAT sectors
    header.extend(0u32.to_le_bytes());
    for i in 0..109 {
        let id = if i < fat_sectors {
            (data_sectors + i) as u32
        } else {
            FREE
        };
        header.extend(id.to_le_bytes());
    }
    header.resize(SECTOR, 0);

    let entry = |name: &str, typ: u8, child: u32, start: u32, size: u64| {
        let mut e = Vec::with_capacity(128);
        let units: Vec<u8> = name.encode_utf16().flat_map(u16::to_le_bytes).collect();
        e.extend(&units);
        e.resize(64, 0);
        e.extend(((units.len() + 2) as u16).to_le_bytes());
        e.push(typ);
        e.push(1); // black
        e.extend(FREE.to_le_bytes());
        e.extend(FREE.to_le_bytes());
        e.extend(child.to_le_bytes());
        e.extend([0u8; 16 + 4 + 16]);
        e.extend(start.to_le_bytes());
        e.extend(size.to_le_bytes());
        e
    };
    // No mini stream; calamine wants a version 4 root entry to name a start sector all
    // the same.
    let mut dir = entry("Root Entry", 5, 1, 0, 0);
    dir.extend(entry(stream_name, 2, FREE, 0, stream.len() as u64));
    dir.resize(SECTOR, 0);

    let mut out = header;
    out.extend(&stream);
    out.resize(SECTOR * (1 + data_sectors), 0);
    for id in fat {
        out.extend(id.to_le_bytes());
    }
    out.extend(dir);
    out
}

/// `input` deflated and flushed as `flush` says.
fn deflate_part(
    z: &mut flate2::Compress,
    mut input: &[u8],
    flush: flate2::FlushCompress,
) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        out.reserve(64 * 1024);
        let before = z.total_in();
        let status = z
            .compress_vec(input, &mut out, flush)
            .expect("deflate in memory");
        input = &input[(z.total_in() - before) as usize..];
        let done = match flush {
            flate2::FlushCompress::Finish => status == flate2::Status::StreamEnd,
            _ => input.is_empty() && out.len() < out.capacity(),
        };
        if done {
            return out;
        }
    }
}
