//! The report as one self-contained, accessible and printable HTML document.

use std::fmt::Write;

use crate::build::Version;
use crate::model::{Badge, Block, FigureTable, Report, Section, Table};

/// Text for HTML (and SVG) element content and quoted attribute values: `&`, `<`, `>`,
/// `"` and `'` as references. The workspace's one HTML escaping: reports, charts, and the
/// web pages' hand-built HTML (askama escapes what templates show).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Multi-line cell text: lines joined with `<br>`.
fn lines(s: &str) -> String {
    s.split('\n').map(escape).collect::<Vec<_>>().join("<br>")
}

const STYLE: &str = include_str!("report.css");

fn badge(b: &Badge) -> String {
    let tone = b
        .tone
        .map(|t| format!("tone-{t}"))
        .unwrap_or_else(|| "tone-none".into());
    format!(r#"<span class="badge {tone}">{}</span>"#, escape(&b.text))
}

fn table(t: &Table, out: &mut String) {
    // A wide table scrolls in its own box; the box is a named region a keyboard can reach.
    let name = if t.caption.trim().is_empty() {
        "Tabell"
    } else {
        t.caption.as_str()
    };
    let _ = write!(
        out,
        r#"<div class="table-wrap" role="region" tabindex="0" aria-label="{}"><table><caption>{}</caption><thead><tr>"#,
        escape(name),
        escape(&t.caption)
    );
    for c in &t.columns {
        let _ = write!(out, r#"<th scope="col">{}</th>"#, escape(c));
    }
    out.push_str("</tr></thead><tbody>");
    for row in &t.rows {
        out.push_str("<tr>");
        for (i, cell) in row.iter().enumerate() {
            if i == 0 && t.row_headers {
                let _ = write!(out, r#"<th scope="row">{}</th>"#, lines(cell));
            } else {
                let _ = write!(out, "<td>{}</td>", lines(cell));
            }
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table></div>");
}

/// A table of figures: the label column heads each row (indented by depth), amounts are
/// right-aligned, sum rows bold.
fn figures(t: &FigureTable, out: &mut String) {
    let name = if t.caption.trim().is_empty() {
        "Tabell"
    } else {
        t.caption.as_str()
    };
    let _ = write!(
        out,
        r#"<div class="table-wrap" role="region" tabindex="0" aria-label="{}"><table class="figures"><caption>{}</caption><thead><tr>"#,
        escape(name),
        escape(&t.caption)
    );
    for (i, c) in t.columns.iter().enumerate() {
        let class = if i == 0 { "" } else { r#" class="num""# };
        let _ = write!(out, r#"<th scope="col"{class}>{}</th>"#, escape(c));
    }
    out.push_str("</tr></thead><tbody>");
    for row in &t.rows {
        out.push_str(if row.sum {
            r#"<tr class="sum">"#
        } else {
            "<tr>"
        });
        let depth = row.depth.min(5);
        let class = if depth > 0 {
            format!(r#" class="d{depth}""#)
        } else {
            String::new()
        };
        let _ = write!(out, r#"<th scope="row"{class}>{}</th>"#, lines(&row.label));
        for cell in &row.cells {
            let _ = write!(out, r#"<td class="num">{}</td>"#, lines(&cell.text));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table></div>");
}

/// One section (and its subsections) as HTML, headed at `depth` (0: a chapter, `<h2>`):
/// for tests and for pages that show a part of a report.
pub fn section_html(s: &Section, depth: usize) -> String {
    let mut out = String::new();
    section(s, depth, &mut 0, &mut out);
    out
}

fn block(b: &Block, out: &mut String) {
    match b {
        Block::Paragraph { text } => {
            let _ = write!(out, "<p>{}</p>", escape(text));
        }
        Block::Labeled { label, text } => {
            let _ = write!(
                out,
                "<p><strong>{}:</strong> {}</p>",
                escape(label),
                escape(text)
            );
        }
        Block::List { title, items } => {
            if let Some(t) = title {
                let _ = write!(
                    out,
                    r#"<p class="list-title"><strong>{}</strong></p>"#,
                    escape(t)
                );
            }
            out.push_str("<ul>");
            for i in items {
                let _ = write!(out, "<li>{}</li>", escape(i));
            }
            out.push_str("</ul>");
        }
        Block::Assessment { entries, basis } => {
            out.push_str(r#"<dl class="assessment">"#);
            for (label, b) in entries {
                let _ = write!(
                    out,
                    "<div><dt>{}</dt><dd>{}</dd></div>",
                    escape(label),
                    badge(b)
                );
            }
            let _ = write!(out, r#"</dl><p class="basis">{}</p>"#, escape(basis));
        }
        Block::Table(t) => table(t, out),
        Block::Figures(t) => figures(t, out),
        Block::Chart(c) => {
            let _ = write!(
                out,
                r#"<figure class="chart">{}<figcaption>{}</figcaption></figure>"#,
                c.svg,
                escape(&c.title)
            );
        }
        Block::Commitment {
            title,
            description,
            status,
            done,
            comment,
        } => {
            let class = if *done { "done" } else { "open" };
            let _ = write!(
                out,
                r#"<div class="commitment"><p class="commitment-title"><strong>Utvecklingsåtagande: {}</strong></p>"#,
                escape(title)
            );
            if !description.is_empty() {
                let _ = write!(out, "<p>{}</p>", escape(description));
            }
            let _ = write!(
                out,
                r#"<p><strong>Status:</strong> <span class="status {class}">{}</span></p>"#,
                escape(status)
            );
            if !comment.is_empty() {
                let _ = write!(
                    out,
                    "<p><strong>Kommentar:</strong> {}</p>",
                    escape(comment)
                );
            }
            out.push_str("</div>");
        }
    }
}

fn section(s: &Section, depth: usize, id: &mut usize, out: &mut String) {
    *id += 1;
    let level = (depth + 2).min(6);
    let anchor = format!("s{id}");
    let _ = write!(
        out,
        r#"<section aria-labelledby="{anchor}"><h{level} id="{anchor}">{}"#,
        escape(&s.title)
    );
    if let Some(b) = &s.badge {
        let _ = write!(out, " {}", badge(b));
    }
    let _ = write!(out, "</h{level}>");
    for b in &s.blocks {
        block(b, out);
    }
    for c in &s.children {
        section(c, depth + 1, id, out);
    }
    out.push_str("</section>");
}

fn toc<'a>(
    sections: impl IntoIterator<Item = &'a Section>,
    depth: usize,
    id: &mut usize,
    out: &mut String,
) {
    out.push_str("<ol>");
    for s in sections {
        *id += 1;
        let _ = write!(out, r##"<li><a href="#s{id}">{}</a>"##, escape(&s.title));
        // The table of contents lists chapters and their groups; goals are too many.
        if depth < 1 && !s.children.is_empty() {
            toc(&s.children, depth + 1, id, out);
        } else {
            *id += count(&s.children);
        }
        out.push_str("</li>");
    }
    out.push_str("</ol>");
}

fn count(sections: &[Section]) -> usize {
    sections.iter().map(|s| 1 + count(&s.children)).sum()
}

/// Renders the whole report.
pub fn render(r: &Report) -> String {
    let m = &r.meta;
    let mut out = String::with_capacity(64 * 1024);
    let _ = write!(
        out,
        r#"<!doctype html><html lang="sv"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{title} – {subject}</title><meta name="generator" content="uppsikt"><meta name="uppsikt-data-version" content="{version}"><meta name="uppsikt-version" content="{kind}"><style>{STYLE}</style></head><body>"#,
        title = escape(&m.title),
        subject = escape(&m.subject),
        version = m.data_version,
        kind = m.version.code(),
    );
    let _ = write!(
        out,
        r#"<header class="cover"><p class="org">{}</p><h1>{}<span class="subject">{}</span></h1><p class="period">{}</p>"#,
        escape(&m.organisation),
        escape(&m.title),
        escape(&m.subject),
        escape(&m.period_label),
    );
    if let Some(note) = &m.draft_note {
        let _ = write!(out, r#"<p class="draft"><strong>{}</strong>"#, escape(note));
        if let Some(href) = &m.decided_href {
            let _ = write!(
                out,
                r#" <a href="{}">Hämta det beslutade dokumentet</a>"#,
                escape(href)
            );
        }
        out.push_str("</p>");
    }
    // The board version carries its data version in the metadata only.
    if m.version == Version::Working {
        let _ = write!(
            out,
            r#"<p class="meta">Arbetsversion. Sammanställd av uppsikt ur dataversion {}{}.</p>"#,
            m.data_version,
            if m.generated_at.is_empty() {
                String::new()
            } else {
                format!(", {}", escape(&m.generated_at))
            }
        );
    }
    out.push_str("</header>");
    out.push_str(r##"<nav class="toc" aria-labelledby="toc-h"><h2 id="toc-h">Innehåll</h2>"##);
    toc(r.chapters(), 0, &mut 0, &mut out);
    out.push_str("</nav><main>");
    let mut id = 0;
    for s in r.chapters() {
        section(s, 0, &mut id, &mut out);
    }
    out.push_str(match m.version {
        Version::Working => "</main><footer><p>Måluppfyllelsen bedöms på skalan i uppsikts inställningar. Systemets förslag räknas fram ur mått och åtaganden; beslutade bedömningar är nämndens.</p></footer></body></html>",
        Version::Board => "</main></body></html>",
    });
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escape_replaces_the_five_special_characters_and_keeps_the_rest() {
        assert_eq!(
            escape(r#"<a href="x" title='y'>Tom & Jerry</a>"#),
            "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;Tom &amp; Jerry&lt;/a&gt;"
        );
        assert_eq!(
            escape("&amp;"),
            "&amp;amp;",
            "escapes once more, never decodes"
        );
        assert_eq!(
            escape("Måluppfyllelse – ÅÄÖ ≥ 93,7"),
            "Måluppfyllelse – ÅÄÖ ≥ 93,7"
        );
        assert_eq!(escape(""), "");
    }
}
