//! A small, self-contained PDF engine for uppsikt's reports.
//!
//! Typst markup in, an accessible and archivable PDF out: tagged, PDF/UA-1 and
//! PDF/A-2a conformant, document language, title and author set, fonts embedded. The typst compiler is used as a
//! library; no external binary, no file or network access, no system fonts.
//!
//! ```no_run
//! use uppsikt_report_pdf::{default_prefix, escape_markup, render_pdf, PdfMeta};
//!
//! let meta = PdfMeta {
//!     title: "Uppföljning 2025".into(),
//!     author: "Huddinge kommun".into(),
//!     lang: "sv".into(),
//! };
//! let mut markup = default_prefix(&meta, "Kommunstyrelsen – uppföljning");
//! markup.push_str(&format!("= {}\n\n{}\n", escape_markup("Mål 1"), escape_markup("Text")));
//! let pdf: Vec<u8> = render_pdf(&markup, &meta)?;
//! # Ok::<(), uppsikt_report_pdf::PdfError>(())
//! ```
//!
//! # What PDF/UA-1 (and PDF/A-2a) ask of the markup
//! [`render_pdf`] exports with PDF/UA-1 and PDF/A-2a enforced and refuses, with
//! [`PdfError::Export`] naming the problem and its line, a document that breaks them.
//! Refused (each checked by a test or a probe of typst 0.15.1):
//! - an `image(…)` without `alt: "…"`; a `figure(…)` whose body is not an image or a
//!   table (a `rect`, a `box` of shapes …) without `figure(alt: "…")`; an equation
//!   (`$…$`) without `math.equation(alt: "…", $…$)`;
//! - a first heading that is not level 1, and a skipped level (1 → 3);
//! - a heading without text (`#heading[]`; a heading whose text only exists in a
//!   `context` expression: put the whole heading inside the context instead);
//! - underline, overline and strike combined on the same text;
//! - an empty document title (it is set from [`PdfMeta::title`]);
//! - a character that none of the embedded fonts has (emoji, CJK …): PDF/UA
//!   and PDF/A forbid the "missing glyph" box; see [`replace_unsupported_chars`];
//! - embedded PDF files as images (use SVG), file attachments, conic gradients.
//!
//! Accepted but worth doing: tables should have a header row (`table.header(…)`),
//! which typst tags as `TH` cells with column scope so screen readers announce the
//! column; a table without one renders. Links, footnotes, lists, quotes, grids,
//! `datetime.today()` and transparency all work. Page headers and footers are tagged
//! as artifacts (skipped by screen readers).

mod escape;
mod prefix;
mod world;

use std::fmt::Write as _;
use std::panic::{catch_unwind, AssertUnwindSafe};

use typst::diag::{SourceDiagnostic, Warned};
use typst::WorldExt;
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, PdfStandard, PdfStandards, Timestamp};

pub use escape::{escape_markup, escape_string};
pub use prefix::default_prefix;

use world::{ReportWorld, FONTS};

/// Document metadata written into the PDF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PdfMeta {
    /// The document title (required by PDF/UA-1; shown by PDF viewers instead of the
    /// file name).
    pub title: String,
    /// The author, e.g. the municipality or board. Empty means none.
    pub author: String,
    /// The document language as an ISO 639 code, optionally with a region:
    /// `"sv"`, `"sv-SE"`, `"en"`.
    pub lang: String,
}

/// Why a PDF could not be made. The message is English, for logs and developers: it
/// names the problem, the line and column in the markup that was passed to
/// [`render_pdf`], that line, and typst's hints.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// The markup did not compile (syntax error, unknown variable, wrong argument …).
    #[error("typst: {0}")]
    Compile(String),
    /// The document compiled but could not be exported, typically because it breaks
    /// PDF/UA-1 or PDF/A-2a (image without alt text, skipped heading level …).
    #[error("pdf: {0}")]
    Export(String),
}

/// Compiles typst markup (a complete document, may use `#set document(title: ..)` etc.)
/// into PDF bytes.
///
/// Before the markup, a prefix sets the document's title, author and language from
/// `meta` (`#set document(…)`, `#set text(lang: …)`); a `#set document(…)` in the
/// markup overrides it. The PDF is tagged, PDF/UA-1 and PDF/A-2a conformant, or this
/// fails with [`PdfError::Export`] (see the crate docs for what that asks). Line
/// numbers in error messages count lines of `markup`. Typst's warnings (e.g. an
/// unknown font family) are dropped.
///
/// Safe to call from several threads at once. CPU-bound: in async code call it
/// through `tokio::task::spawn_blocking`.
pub fn render_pdf(markup: &str, meta: &PdfMeta) -> Result<Vec<u8>, PdfError> {
    let prefix = meta_prefix(meta);
    let prefix_len = prefix.len();
    let mut text = prefix;
    text.push_str(markup);
    let world = ReportWorld::new(text);

    let result = catch_unwind(AssertUnwindSafe(|| {
        let started = std::time::Instant::now();
        let Warned { output, .. } = typst::compile::<PagedDocument>(&world);
        let document =
            output.map_err(|errors| PdfError::Compile(describe(&world, &errors, prefix_len)))?;
        tracing::debug!(
            pages = document.pages().len(),
            ms = started.elapsed().as_millis() as u64,
            "typst layout"
        );
        let started = std::time::Instant::now();
        let options = PdfOptions {
            standards: standards(),
            tagged: true,
            timestamp: world::now_utc().map(Timestamp::new_utc),
            ..PdfOptions::default()
        };
        let pdf = typst_pdf::pdf(&document, &options)
            .map_err(|errors| PdfError::Export(describe(&world, &errors, prefix_len)));
        tracing::debug!(ms = started.elapsed().as_millis() as u64, "pdf export");
        pdf
    }));
    // Typst memoizes across compilations; keep what recent renders used, drop the
    // rest, so a long-running server does not grow without bound.
    typst::comemo::evict(10);
    match result {
        Ok(result) => result,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            Err(PdfError::Compile(format!("internal typst error: {what}")))
        }
    }
}

/// The PDF standards enforced (PDF 1.7): PDF/UA-1 for accessibility and PDF/A-2a for
/// archiving (the long-term format public archives take; "a" = tagged, which UA-1
/// needs anyway). PDF/A-2 allows transparency; it adds an sRGB output intent (~4 KB).
fn standards() -> PdfStandards {
    PdfStandards::new(&[PdfStandard::Ua_1, PdfStandard::A_2a])
        .expect("PDF/UA-1 and PDF/A-2a are compatible")
}

/// `#set document(…)` and `#set text(lang: …)` from the metadata, two lines.
fn meta_prefix(meta: &PdfMeta) -> String {
    let mut out = format!("#set document(title: \"{}\"", escape_string(&meta.title));
    if !meta.author.trim().is_empty() {
        let _ = write!(out, ", author: \"{}\"", escape_string(&meta.author));
    }
    out.push(')');
    let _ = write!(out, "\n{}\n", prefix::lang_rule(&meta.lang));
    out
}

/// Replaces every character that none of the embedded fonts can show (emoji, CJK and
/// most non-European scripts) with `replacement`, keeping whitespace and control
/// characters.
///
/// PDF/UA-1 refuses text drawn with the "missing glyph" box, so a report containing
/// such a character in user text would not render at all; run user text through this
/// (before escaping) when a report must render whatever was typed. The embedded
/// fonts cover Latin (all of Europe's), Greek, Cyrillic and common symbols
/// (– — ” ’ « » ≥ ≤ ± × € § …).
pub fn replace_unsupported_chars(s: &str, replacement: char) -> String {
    s.chars()
        .map(|c| {
            if c.is_whitespace() || c.is_control() || is_supported(c) {
                c
            } else {
                replacement
            }
        })
        .collect()
}

/// Whether some embedded font has a glyph for `c`.
pub fn is_supported(c: char) -> bool {
    FONTS.iter().any(|f| f.info().coverage.contains(c as u32))
}

/// Turns typst diagnostics into one readable message: for each error, where it is
/// (line and column of the caller's markup), the message, the source line, hints.
fn describe(world: &ReportWorld, diagnostics: &[SourceDiagnostic], prefix_len: usize) -> String {
    let source = world.main_source();
    let lines = source.lines();
    let prefix_lines = source.text()[..prefix_len].matches('\n').count();
    let mut out = String::new();
    for (i, diag) in diagnostics.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        // Where: the diagnostic's own span, else the innermost traced call.
        let range = world.range(diag.span).or_else(|| {
            diag.trace
                .iter()
                .rev()
                .find_map(|point| world.range(point.span))
        });
        let location = range.and_then(|r| {
            let (line, col) = lines.byte_to_line_column(r.start)?;
            let text = lines.line_to_range(line).map(|lr| &source.text()[lr])?;
            Some((
                r.start,
                line,
                col,
                excerpt(text.trim_end_matches(['\n', '\r']), col),
            ))
        });
        match location {
            Some((start, _, _, _)) if start < prefix_len => {
                let _ = write!(
                    out,
                    "in the metadata (PdfMeta title/author/lang): {}",
                    diag.message
                );
            }
            Some((_, line, col, text)) => {
                let _ = write!(
                    out,
                    "line {}, column {}: {}\n  | {}",
                    line - prefix_lines + 1,
                    col + 1,
                    diag.message,
                    text
                );
            }
            None => out.push_str(&diag.message),
        }
        for hint in &diag.hints {
            let _ = write!(out, "\n  hint: {}", hint.v);
        }
    }
    if out.is_empty() {
        out.push_str("unknown error");
    }
    out
}

/// The source line for an error message; a long line (generated markup, inline SVG)
/// is cut to a window around the error's column.
fn excerpt(line: &str, col: usize) -> String {
    const WIDTH: usize = 120;
    let count = line.chars().count();
    if count <= WIDTH {
        return line.to_owned();
    }
    let start = col.saturating_sub(WIDTH / 4).min(count - WIDTH);
    let window: String = line.chars().skip(start).take(WIDTH).collect();
    let before = if start > 0 { "…" } else { "" };
    let after = if start + WIDTH < count { "…" } else { "" };
    format!("{before}{window}{after}")
}

#[cfg(test)]
mod tests {
    use super::excerpt;

    #[test]
    fn long_source_lines_are_cut_around_the_column() {
        assert_eq!(excerpt("kort rad", 3), "kort rad");
        let long: String = ('a'..='z').cycle().take(400).collect();
        let cut = excerpt(&long, 200);
        assert_eq!(cut.chars().count(), 122);
        assert!(cut.starts_with('…') && cut.ends_with('…'));
        assert!(cut.contains(&long[195..205]));
        assert!(excerpt(&long, 0).starts_with("abc"));
        assert!(excerpt(&long, 399).ends_with(&long[390..]));
    }
}
