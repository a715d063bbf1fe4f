//! End-to-end: markup → PDF bytes → poppler's pdftotext/pdfinfo.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use uppsikt_report_pdf::{
    default_prefix, escape_markup, escape_string, is_supported, render_pdf,
    replace_unsupported_chars, PdfError, PdfMeta,
};

const SWEDISH: &str = "Måluppfyllelse för Ökad trivsel och trygghet – ÅÄÖ åäö ≥ 93,7 ±9";

fn meta(title: &str) -> PdfMeta {
    PdfMeta {
        title: title.into(),
        author: "Huddinge kommun".into(),
        lang: "sv".into(),
    }
}

/// A tiny SVG with a line and text, as a typst string literal's contents.
const SVG: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" width="240" height="80" viewBox="0 0 240 80"><rect x="0" y="0" width="240" height="80" fill="#f4f7fb"/><line x1="10" y1="70" x2="230" y2="15" stroke="#1b4a7a" stroke-width="3"/><circle cx="230" cy="15" r="4" fill="#1b4a7a"/><text x="10" y="22" font-family="Libertinus Serif" font-size="14" fill="#222">Trygghet ökar</text></svg>"##;

/// Whether poppler's tools are here; panics when they are required (CI) but missing.
fn tools_available() -> bool {
    let have = Command::new("pdftotext").arg("-v").output().is_ok()
        && Command::new("pdfinfo").arg("-v").output().is_ok();
    if !have {
        if std::env::var("UPPSIKT_REQUIRE_TOOLS").as_deref() == Ok("1") {
            panic!("pdftotext/pdfinfo missing (apt-get install -y poppler-utils) and UPPSIKT_REQUIRE_TOOLS=1");
        }
        skipped("pdftotext/pdfinfo not installed (apt-get install -y poppler-utils)");
    }
    have
}

/// Says why a PDF text check did not run, on stderr and as a line in the file
/// `UPPSIKT_SKIP_LOG` names, which `test.sh` sums up: the protocol of
/// `uppsikt_store::testing::skipped`, written out here since this crate's tests stay
/// free of the store.
fn skipped(why: &str) {
    eprintln!("SKIPPED: {why}");
    if let Ok(path) = std::env::var("UPPSIKT_SKIP_LOG") {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path);
        let _ = file.and_then(|mut f| f.write_all(format!("PDF text check\t{why}\n").as_bytes()));
    }
}

/// Writes into cargo's scratch directory for integration tests (target/tmp), so the
/// PDFs of the last run can be looked at and nothing piles up in /tmp.
fn write_temp(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-pdf");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::File::create(&path)
        .unwrap()
        .write_all(bytes)
        .unwrap();
    path
}

fn run(tool: &str, args: &[&str], path: &Path) -> String {
    let out = Command::new(tool)
        .args(args)
        .arg(path)
        .arg("-")
        .output()
        .unwrap_or_else(|e| panic!("{tool}: {e}"));
    assert!(out.status.success(), "{tool} failed: {:?}", out);
    String::from_utf8(out.stdout).unwrap()
}

fn pdfinfo(path: &Path) -> String {
    let out = Command::new("pdfinfo").arg(path).output().unwrap();
    assert!(out.status.success(), "pdfinfo failed: {:?}", out);
    String::from_utf8(out.stdout).unwrap()
}

fn info_field<'a>(info: &'a str, key: &str) -> Option<&'a str> {
    info.lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .map(str::trim)
}

fn collapse_ws(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn sample_document(meta: &PdfMeta) -> String {
    let mut m = default_prefix(meta, "Kommunstyrelsen – Uppföljning av mål och mått");
    m.push_str(&format!(
        r##"
#outline()

= Uppföljning av verksamhetsplanen

{swedish}

Nämnden bedömer att målet i huvudsak är uppnått. #badge([Uppnått], rgb("#2e7d32"))
#badge([Delvis uppnått], rgb("#b26a00")) #badge([Ej uppnått], rgb("#c62828"))

== Mått och utfall

#figure(
  table(
    columns: (1fr, auto, auto, auto),
    align: (left, right, right, left),
    table.header[Mått][Utfall][Målvärde][Status],
    [Andel elever som känner sig trygga i skolan], [93,7 %], [≥ 90 %], [Uppnått],
    [Andel medborgare som känner sig trygga i sitt område], [71,2 %], [≥ 75 %], [Ej uppnått],
    [Nöjd-Region-Index, trygghet (±9)], [58], [≥ 60], [Ej uppnått],
  ),
  caption: [Mått för målet Ökad trivsel och trygghet],
)

== Utveckling över tid

#figure(
  image(bytes("{svg}"), alt: "Linjediagram: andelen som känner sig trygga ökar från 2021 till 2025.", width: 8cm),
  caption: [Trygghet 2021–2025],
)

=== Kommentar

Utfallet ”{q}” för år 2025 ligger över målvärdet.
"##,
        swedish = escape_markup(SWEDISH),
        svg = escape_string(SVG),
        q = escape_markup("93,7 %"),
    ));
    m
}

#[test]
fn swedish_document_is_tagged_with_text_title_and_language() {
    let meta = meta("Uppföljning 2025 – Kommunstyrelsen");
    let started = Instant::now();
    let pdf = render_pdf(&sample_document(&meta), &meta).expect("renders");
    eprintln!(
        "sample document: {} bytes in {:?}",
        pdf.len(),
        started.elapsed()
    );
    assert!(pdf.starts_with(b"%PDF-1.7"), "not a PDF 1.7 file");
    let path = write_temp("sample.pdf", &pdf);
    eprintln!("sample PDF written to {}", path.display());
    if !tools_available() {
        return;
    }

    let text = run("pdftotext", &["-enc", "UTF-8"], &path);
    assert!(
        text.contains(SWEDISH),
        "Swedish text lost; pdftotext gave:\n{text}"
    );
    for expected in [
        "Innehåll",
        "Uppföljning av verksamhetsplanen",
        "Mått och utfall",
        "Andel elever som känner sig trygga i skolan",
        "Målvärde",
        "≥ 90 %",
        "Tabell 1",
        "Figur 1",
        "Sida 1 av",
        "Kommunstyrelsen – Uppföljning av mål och mått",
        "Utfallet ”93,7 %” för år 2025",
        "Delvis uppnått",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing; pdftotext gave:\n{text}"
        );
    }

    let info = pdfinfo(&path);
    eprintln!("{info}");
    assert_eq!(info_field(&info, "Tagged"), Some("yes"), "{info}");
    assert_eq!(
        info_field(&info, "Title"),
        Some(meta.title.as_str()),
        "{info}"
    );
    assert_eq!(
        info_field(&info, "Author"),
        Some("Huddinge kommun"),
        "{info}"
    );
    assert_eq!(
        info_field(&info, "Page size"),
        Some("595.276 x 841.89 pts (A4)"),
        "{info}"
    );
    // pdfinfo does not print /Lang; the XMP metadata carries it uncompressed.
    let raw = String::from_utf8_lossy(&pdf);
    assert!(raw.contains("<rdf:li xml:lang=\"x-default\">") || raw.contains("dc:language"));
    assert!(
        raw.contains("<rdf:li>sv</rdf:li>"),
        "document language sv not in XMP metadata"
    );
    assert!(
        raw.contains("<pdfuaid:part>1</pdfuaid:part>"),
        "PDF/UA-1 identification missing"
    );
    assert!(
        raw.contains("<pdfaid:part>2</pdfaid:part>"),
        "PDF/A-2 identification missing"
    );
    assert!(
        raw.contains("<pdfaid:conformance>A</pdfaid:conformance>"),
        "PDF/A-2a missing"
    );
}

#[test]
fn user_text_survives_escaping_exactly() {
    let nasty = "Citat \"så\" och 'så' – *inte fet* _inte kursiv_ #hash $5$ @ref <etikett> \
                 a // ingen kommentar /* heller */ https://example.se/x?a=1 ~tilde \\ \
                 [hak] (parentes); {klammer} 1. ingen lista -- inget tankstreck ... = \
                 ingen rubrik -5 + 3 / 2 : x `kod`";
    let title = "Rapport \"2025\" \\ #1 $ [x]";
    let meta = meta(title);
    let markup = format!(
        "= {}\n\n{}\n\n#text(\"{}\")\n",
        escape_markup("Rubrik *med* #tecken"),
        escape_markup(nasty),
        escape_string(nasty)
    );
    let pdf = render_pdf(&markup, &meta).expect("renders");
    if !tools_available() {
        return;
    }
    let path = write_temp("escape.pdf", &pdf);
    let text = collapse_ws(&run("pdftotext", &["-enc", "UTF-8"], &path));
    assert!(text.contains("Rubrik *med* #tecken"), "{text}");
    let expected = collapse_ws(nasty);
    assert_eq!(
        text.matches(&expected).count(),
        2,
        "escaped markup and escaped string must both show the text exactly;\n\
         expected twice: {expected}\npdftotext gave: {text}"
    );
    let info = pdfinfo(&path);
    assert_eq!(info_field(&info, "Title"), Some(title), "{info}");
}

#[test]
fn line_breaks_in_user_text_become_line_and_paragraph_breaks() {
    let meta = meta("Radbrytningar");
    let markup = format!(
        "#block[{}]\n",
        escape_markup("Första raden\nAndra raden\n\nNytt stycke")
    );
    let pdf = render_pdf(&markup, &meta).expect("renders");
    if !tools_available() {
        return;
    }
    let path = write_temp("breaks.pdf", &pdf);
    let text = run("pdftotext", &["-enc", "UTF-8"], &path);
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(
        lines[..3],
        ["Första raden", "Andra raden", "Nytt stycke"],
        "{text}"
    );
}

#[test]
fn syntax_error_is_a_readable_compile_error() {
    let markup = "= Rubrik\n\nText före.\n#table(columns: 2, [a], [b]\nMer text.\n";
    let err = render_pdf(markup, &meta("Fel")).expect_err("must fail");
    let PdfError::Compile(message) = &err else {
        panic!("expected PdfError::Compile, got {err:?}");
    };
    eprintln!("{err}");
    assert!(message.contains("line 4"), "{message}");
    assert!(message.contains("#table(columns: 2, [a], [b]"), "{message}");
    assert!(
        message.to_lowercase().contains("unclosed") || message.contains("expected"),
        "{message}"
    );
    assert!(err.to_string().starts_with("typst: "));
}

#[test]
fn unknown_variable_names_the_variable_and_line() {
    let err = render_pdf("Hej\n\n#okänd\n", &meta("Fel")).expect_err("must fail");
    let message = err.to_string();
    eprintln!("{message}");
    assert!(matches!(err, PdfError::Compile(_)));
    assert!(
        message.contains("line 3, column 2: unknown variable: okänd"),
        "{message}"
    );
    assert!(message.contains("  | #okänd"), "{message}");
}

#[test]
fn bad_language_points_at_the_metadata() {
    let mut m = meta("Fel språk");
    m.lang = "svenska".into();
    let err = render_pdf("Hej", &m).expect_err("must fail");
    eprintln!("{err}");
    assert!(err.to_string().contains("in the metadata"), "{err}");
}

#[test]
fn image_without_alt_text_is_refused_by_pdf_ua() {
    let markup = format!(
        "= Diagram\n\n#image(bytes(\"{}\"), width: 4cm)\n",
        escape_string(SVG)
    );
    let err = render_pdf(&markup, &meta("Utan alt-text")).expect_err("must fail");
    eprintln!("{err}");
    let PdfError::Export(message) = &err else {
        panic!("expected PdfError::Export, got {err:?}");
    };
    assert!(message.contains("PDF/UA-1"), "{message}");
    assert!(message.contains("alt"), "{message}");
    assert!(message.contains("line 3"), "{message}");
}

#[test]
fn skipped_heading_level_is_refused_by_pdf_ua() {
    let err = render_pdf("= Ett\n\n=== Tre\n", &meta("Rubriker")).expect_err("must fail");
    eprintln!("{err}");
    assert!(matches!(err, PdfError::Export(_)));
    assert!(
        err.to_string()
            .contains("skipped from heading level 1 to 3"),
        "{err}"
    );
    assert!(err.to_string().contains("line 3"), "{err}");
}

#[test]
fn empty_title_is_refused_by_pdf_ua() {
    let err = render_pdf("Hej", &meta("")).expect_err("must fail");
    eprintln!("{err}");
    assert!(err.to_string().contains("title"), "{err}");
}

#[test]
fn characters_without_glyph_are_refused_and_can_be_replaced() {
    assert!(SWEDISH.chars().all(is_supported));
    // Finnish, Meänkieli, the Sami languages, Romani chib, Yiddish in Latin script.
    assert!("Šaddá ŋ ŧ đ č ž ï Ŋ Ŧ Đ Č Ž Ï ä ö å"
        .chars()
        .all(is_supported));
    assert!("€ § « » — ’ × ½ ≤ Ω Ж".chars().all(is_supported));
    assert!(!is_supported('😀'));
    let typed = "Bra jobbat 😀 – 你好";
    let err = render_pdf(&escape_markup(typed), &meta("Emoji")).expect_err("must fail");
    eprintln!("{err}");
    assert!(err.to_string().contains("could not be displayed"), "{err}");
    let cleaned = replace_unsupported_chars(typed, '?');
    assert_eq!(cleaned, "Bra jobbat ? – ??");
    render_pdf(&escape_markup(&cleaned), &meta("Emoji")).expect("renders");
}

#[test]
fn markup_can_override_the_metadata_title() {
    let meta = meta("Från PdfMeta");
    let markup = format!(
        "{}#set document(title: \"Från markup\")\n= Rubrik\n\nText.\n",
        default_prefix(&meta, "Sidhuvud")
    );
    let pdf = render_pdf(&markup, &meta).expect("renders");
    if !tools_available() {
        return;
    }
    let info = pdfinfo(&write_temp("override.pdf", &pdf));
    assert_eq!(info_field(&info, "Title"), Some("Från markup"), "{info}");
}

#[test]
fn concurrent_renders() {
    let handles: Vec<_> = (0..2)
        .map(|i| {
            std::thread::spawn(move || {
                let m = meta(&format!("Tråd {i}"));
                render_pdf(&sample_document(&m), &m).map(|pdf| pdf.len())
            })
        })
        .collect();
    for h in handles {
        assert!(h.join().unwrap().unwrap() > 1000);
    }
}

/// 200 sections, each a heading and a 30-row table, one section a page.
fn big_document(meta: &PdfMeta, sections: usize) -> String {
    let mut m = default_prefix(meta, "Kommunstyrelsen – Årsredovisning");
    m.push_str("#outline()\n");
    for s in 1..=sections {
        m.push_str(&format!(
            "\n#pagebreak(weak: true)\n= Avsnitt {s}: Ökad trivsel och trygghet\n\n\
             Måluppfyllelse för avsnitt {s} – ÅÄÖ åäö ≥ 93,7 ±9.\n\n\
             #table(\n  columns: (1fr, auto, auto, auto),\n  \
             table.header[Mått][Period][Utfall][Målvärde],\n"
        ));
        for r in 1..=30 {
            m.push_str(&format!(
                "  [Mått {s}.{r}: andel som känner sig trygga], [T{}], [{},{} %], [≥ 90 %],\n",
                r % 3 + 1,
                60 + (s * 7 + r * 3) % 40,
                r % 10
            ));
        }
        m.push_str(")\n");
    }
    m
}

/// About 5 s in a debug build (dependencies at opt-level 1), so not ignored.
#[test]
fn two_hundred_pages() {
    let meta = meta("Årsredovisning – prestandaprov");
    let markup = big_document(&meta, 200);
    let started = Instant::now();
    let pdf = render_pdf(&markup, &meta).expect("renders");
    let elapsed = started.elapsed();
    let path = write_temp("big.pdf", &pdf);
    let pages = if tools_available() {
        let info = pdfinfo(&path);
        assert_eq!(info_field(&info, "Tagged"), Some("yes"));
        info_field(&info, "Pages")
            .unwrap()
            .parse::<usize>()
            .unwrap()
    } else {
        0
    };
    eprintln!(
        "200 sections: {pages} pages, {} bytes in {elapsed:?} ({:.1} ms/page)",
        pdf.len(),
        elapsed.as_secs_f64() * 1000.0 / pages.max(1) as f64
    );
    if pages > 0 {
        assert!(pages >= 200, "{pages} pages");
    }
    // A second render of the same document hits typst's memo cache.
    let started = Instant::now();
    render_pdf(&markup, &meta).expect("renders");
    eprintln!("same document again: {:?}", started.elapsed());
}
