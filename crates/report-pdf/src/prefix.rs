//! The default page layout (`default_prefix`) and the language rule.

use crate::escape::escape_string;
use crate::PdfMeta;

/// `#set text(lang: …, region: …)` for `"sv"`, `"sv-SE"`, `"sv_SE"`.
pub(crate) fn lang_rule(lang: &str) -> String {
    let lang = lang.trim();
    let (code, region) = match lang.split_once(['-', '_']) {
        Some((code, region)) => (code, Some(region)),
        None => (lang, None),
    };
    let mut rule = format!(
        "#set text(lang: \"{}\"",
        escape_string(&code.to_ascii_lowercase())
    );
    if let Some(region) = region {
        rule.push_str(&format!(
            ", region: \"{}\"",
            escape_string(&region.to_ascii_uppercase())
        ));
    }
    rule.push(')');
    rule
}

/// The default layout: prepend it to report markup before [`crate::render_pdf`].
///
/// Gives a clean A4 layout in Swedish conventions:
/// - A4, margins 2 cm left/right and 2.5 cm top/bottom; body text Libertinus Serif
///   10.5 pt, ragged right (easier to read than justified), the document language
///   from `meta.lang` (so hyphenation, quotes ”…”, "Figur", "Tabell", "Innehåll" are
///   Swedish);
/// - a running header (`running_header`, left; small grey text over a thin rule) and
///   a footer with the title left and "Sida X av Y" right, both marked as artifacts
///   in the tagged PDF (screen readers skip them);
/// - unnumbered headings in a dark blue (level 1: 17 pt, 2: 13.5 pt, 3: 11.5 pt),
///   never alone at the bottom of a page;
/// - tables with thin horizontal rules, 9.5 pt text, and the first row (the
///   `table.header(…)`) bold on a light grey background, repeated on every page;
///   a table's figure caption ("Tabell 1: …") above it, an image's below;
/// - links underlined in the accent colour.
///
/// Defines these typst names for the markup after it:
/// - `uppsikt-title` (str): `meta.title`;
/// - `uppsikt-header` (str): `running_header`;
/// - `uppsikt-accent` (color): the dark blue of headings and links;
/// - `badge(body, colour)`: an inline label for statuses, e.g.
///   `#badge([Uppnått], rgb("#2e7d32"))` or `#badge("Ej uppnått", rgb("#c62828"))`:
///   dark text in `colour` on a light tint of it, with a border; the text carries the
///   meaning, never the colour alone (WCAG 1.4.1).
///
/// Everything can be overridden by later `#set`/`#show` rules, e.g.
/// `#set heading(numbering: "1.1")` for numbered headings.
pub fn default_prefix(meta: &PdfMeta, running_header: &str) -> String {
    let title = escape_string(&meta.title);
    let header = escape_string(running_header);
    let lang = lang_rule(&meta.lang);
    format!(
        r##"// uppsikt: default layout
#let uppsikt-title = "{title}"
#let uppsikt-header = "{header}"
#let uppsikt-accent = rgb("#1b4a7a")
#let badge(body, colour) = box(
  fill: colour.lighten(85%),
  stroke: 0.6pt + colour,
  inset: (x: 0.35em, y: 0.15em),
  outset: (y: 0.15em),
  radius: 0.25em,
  text(fill: colour.darken(45%), size: 0.9em, weight: "semibold", body),
)
{lang}
#set text(font: ("Libertinus Serif", "DejaVu Sans Mono", "New Computer Modern"), size: 10.5pt)
#set page(
  paper: "a4",
  margin: (x: 2cm, top: 2.5cm, bottom: 2.5cm),
  header-ascent: 35%,
  footer-descent: 35%,
  header: context {{
    set text(size: 8.5pt, fill: luma(70))
    set par(spacing: 0.3em)
    uppsikt-header
    line(length: 100%, stroke: 0.4pt + luma(170))
  }},
  footer: context {{
    set text(size: 8.5pt, fill: luma(70))
    set par(spacing: 0.3em)
    line(length: 100%, stroke: 0.4pt + luma(170))
    grid(
      columns: (1fr, auto),
      column-gutter: 1em,
      uppsikt-title,
      [Sida #counter(page).display() av #counter(page).final().first()],
    )
  }},
)
#set par(justify: false, leading: 0.62em, spacing: 1.05em)
#show heading: set text(fill: uppsikt-accent, weight: "bold")
#show heading: set block(sticky: true)
#show heading.where(level: 1): set text(size: 17pt)
#show heading.where(level: 1): set block(above: 1.7em, below: 0.9em)
#show heading.where(level: 2): set text(size: 13.5pt)
#show heading.where(level: 2): set block(above: 1.5em, below: 0.75em)
#show heading.where(level: 3): set text(size: 11.5pt)
#show link: set text(fill: uppsikt-accent)
#show link: underline
#set table(
  stroke: (x, y) => (bottom: 0.4pt + luma(185), top: if y == 0 {{ 0.8pt + luma(120) }}),
  inset: (x: 5pt, y: 4pt),
  fill: (x, y) => if y == 0 {{ luma(236) }},
)
#show table: set text(size: 9.5pt)
#show table.cell.where(y: 0): set text(weight: "bold")
#show figure.where(kind: table): set figure.caption(position: top)
#show figure.caption: set text(size: 9.5pt)
#show outline.entry.where(level: 1): set block(above: 0.9em)
"##
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lang_rules() {
        assert_eq!(lang_rule("sv"), "#set text(lang: \"sv\")");
        assert_eq!(
            lang_rule("sv-se"),
            "#set text(lang: \"sv\", region: \"SE\")"
        );
        assert_eq!(lang_rule("x\"y"), "#set text(lang: \"x\\\"y\")");
    }
}
