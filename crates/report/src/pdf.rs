//! The report as typst markup, compiled to a tagged PDF by `uppsikt-report-pdf`.

use std::fmt::Write;

use uppsikt_report_pdf::{
    default_prefix, render_pdf, replace_unsupported_chars, PdfError, PdfMeta,
};

/// User text as typst markup; characters no embedded font can draw become "?", since
/// PDF/UA refuses a missing glyph and the report must render whatever was typed.
fn escape_markup(s: &str) -> String {
    uppsikt_report_pdf::escape_markup(&replace_unsupported_chars(s, '?'))
}

fn escape_string(s: &str) -> String {
    uppsikt_report_pdf::escape_string(&replace_unsupported_chars(s, '?'))
}

use crate::build::Version;
use crate::model::{Badge, Block, FigureTable, Report, Section, Table};

fn colour(tone: Option<u8>) -> &'static str {
    match tone {
        Some(0) => "#0b6e2e",
        Some(1) => "#2e7d32",
        Some(2) => "#8a6d00",
        Some(3) => "#c62828",
        _ => "#555555",
    }
}

fn badge(b: &Badge) -> String {
    format!(
        "#badge(\"{}\", rgb(\"{}\"))",
        escape_string(&b.text),
        colour(b.tone)
    )
}

/// Cell text: lines joined with typst's line break.
fn cell(s: &str) -> String {
    s.split('\n')
        .map(escape_markup)
        .collect::<Vec<_>>()
        .join(" \\ ")
}

fn table(t: &Table, out: &mut String) {
    let widths: Vec<&str> = t
        .columns
        .iter()
        .enumerate()
        .map(|(i, _)| if i == 0 { "2fr" } else { "1.3fr" })
        .collect();
    let _ = writeln!(
        out,
        "#figure(\n  table(\n    columns: ({}),",
        widths.join(", ")
    );
    let header: Vec<String> = t
        .columns
        .iter()
        .map(|c| format!("[{}]", escape_markup(c)))
        .collect();
    let _ = writeln!(out, "    table.header({}),", header.join(", "));
    for row in &t.rows {
        let cells: Vec<String> = row.iter().map(|c| format!("[{}]", cell(c))).collect();
        let _ = writeln!(out, "    {},", cells.join(", "));
    }
    let _ = writeln!(
        out,
        "  ),\n  caption: [{}],\n)\n",
        escape_markup(&t.caption)
    );
}

/// A table of figures: amounts right-aligned, sum rows bold, sub-rows indented.
fn figures(t: &FigureTable, out: &mut String) {
    let widths: Vec<&str> = t
        .columns
        .iter()
        .enumerate()
        .map(|(i, _)| if i == 0 { "3fr" } else { "1fr" })
        .collect();
    let align: Vec<&str> = t
        .columns
        .iter()
        .enumerate()
        .map(|(i, _)| if i == 0 { "left + top" } else { "right + top" })
        .collect();
    let _ = writeln!(
        out,
        "#figure(\n  table(\n    columns: ({}),\n    align: ({},),",
        widths.join(", "),
        align.join(", ")
    );
    let header: Vec<String> = t
        .columns
        .iter()
        .map(|c| format!("[*{}*]", escape_markup(c)))
        .collect();
    let _ = writeln!(out, "    table.header({}),", header.join(", "));
    for row in &t.rows {
        let strong = |s: String| {
            if row.sum && !s.trim().is_empty() {
                format!("*{s}*")
            } else {
                s
            }
        };
        let label = strong(cell(&row.label));
        let label = if row.depth > 0 {
            format!("#pad(left: {}em)[{label}]", row.depth.min(5))
        } else {
            label
        };
        let mut cells = vec![format!("[{label}]")];
        cells.extend(
            row.cells
                .iter()
                .map(|c| format!("[{}]", strong(cell(&c.text)))),
        );
        let _ = writeln!(out, "    {},", cells.join(", "));
    }
    let _ = writeln!(
        out,
        "  ),\n  caption: [{}],\n)\n",
        escape_markup(&t.caption)
    );
}

fn block(b: &Block, out: &mut String) {
    match b {
        Block::Paragraph { text } => {
            let _ = writeln!(out, "{}\n", escape_markup(text));
        }
        Block::Labeled { label, text } => {
            let _ = writeln!(out, "*{}:* {}\n", escape_markup(label), escape_markup(text));
        }
        Block::List { title, items } => {
            if let Some(t) = title {
                let _ = writeln!(out, "*{}*\n", escape_markup(t));
            }
            for i in items {
                let _ = writeln!(out, "- {}", escape_markup(i));
            }
            out.push('\n');
        }
        Block::Assessment { entries, basis } => {
            let parts: Vec<String> = entries
                .iter()
                .map(|(label, b)| format!("{}: {}", escape_markup(label), badge(b)))
                .collect();
            let _ = writeln!(
                out,
                "{}\n\n{}\n",
                parts.join(" #h(1.2em) "),
                escape_markup(basis)
            );
        }
        Block::Table(t) => table(t, out),
        Block::Figures(t) => figures(t, out),
        Block::Chart(c) => {
            let _ = writeln!(
                out,
                "#figure(image(bytes(\"{}\"), format: \"svg\", width: 100%, alt: \"{}\"), caption: [{}])\n",
                escape_string(&c.svg),
                escape_string(&c.alt),
                escape_markup(&c.title)
            );
        }
        Block::Commitment {
            title,
            description,
            status,
            done,
            comment,
        } => {
            let tone = if *done { Some(1) } else { Some(3) };
            let _ = write!(
                out,
                "#block(breakable: false)[*Utvecklingsåtagande: {}*",
                escape_markup(title)
            );
            if !description.is_empty() {
                let _ = write!(out, " \\ {}", escape_markup(description));
            }
            let _ = write!(
                out,
                " \\ *Status:* {}",
                badge(&Badge {
                    text: status.clone(),
                    tone
                })
            );
            if !comment.is_empty() {
                let _ = write!(out, " \\ *Kommentar:* {}", escape_markup(comment));
            }
            out.push_str("]\n\n");
        }
    }
}

fn section(s: &Section, depth: usize, out: &mut String) {
    if depth == 0 {
        // Chapters start on a new page; typst also lays out such page runs in parallel.
        out.push_str("#pagebreak(weak: true)\n");
    }
    let marks = "=".repeat((depth + 1).min(6));
    let _ = write!(out, "{marks} {}", escape_markup(&s.title));
    if let Some(b) = &s.badge {
        let _ = write!(out, " {}", badge(b));
    }
    out.push_str("\n\n");
    for b in &s.blocks {
        block(b, out);
    }
    for c in &s.children {
        section(c, depth + 1, out);
    }
}

/// The report as one typst document (layout prefix included).
pub fn markup(r: &Report) -> String {
    let m = &r.meta;
    let meta = PdfMeta {
        title: format!("{} – {}", m.title, m.subject),
        author: m.organisation.clone(),
        lang: "sv".into(),
    };
    let mut out = default_prefix(
        &meta,
        &format!("{} · {} · {}", m.organisation, m.subject, m.title),
    );
    // Long tables break across pages (a figure does not by default); cells read left.
    out.push_str("\n#show figure.where(kind: table): set block(breakable: true)\n#set table(align: left + top)\n");
    // The data version goes into the document's metadata (keywords); the cover shows it
    // in the working version only.
    let _ = write!(
        out,
        "\n#set document(keywords: (\"uppsikt-data-version: {}\", \"{}\"))\n",
        m.data_version,
        m.version.label_sv()
    );
    let draft = m
        .draft_note
        .as_ref()
        .map(|n| {
            format!(
                "  #v(1em)\n  #text(weight: \"bold\")[{}] \\\n",
                escape_markup(n)
            )
        })
        .unwrap_or_default();
    let version_note = match m.version {
        Version::Working => format!(
            "  #v(2em)\n  #text(size: 9pt)[Arbetsversion. Sammanställd av uppsikt ur dataversion {}.]\n",
            m.data_version
        ),
        Version::Board => String::new(),
    };
    let _ = write!(
        out,
        "\n#align(center + horizon)[\n  #text(size: 13pt)[{}] \\\n  #v(1em)\n  #text(size: 26pt, weight: \"bold\")[{}] \\\n  #v(0.5em)\n  #text(size: 16pt)[{}] \\\n  #v(1em)\n  {} \\\n{draft}{version_note}]\n#pagebreak()\n#outline(title: [Innehåll], depth: 2)\n#pagebreak()\n\n",
        escape_markup(&m.organisation),
        escape_markup(&m.title),
        escape_markup(&m.subject),
        escape_markup(&m.period_label),
    );
    for s in r.chapters() {
        section(s, 0, &mut out);
    }
    out
}

/// Renders the report to PDF bytes.
pub fn render(r: &Report) -> Result<Vec<u8>, PdfError> {
    let m = &r.meta;
    let meta = PdfMeta {
        title: format!("{} – {}", m.title, m.subject),
        author: m.organisation.clone(),
        lang: "sv".into(),
    };
    render_pdf(&markup(r), &meta)
}
