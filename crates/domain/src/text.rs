//! The one rule for text that people type or files carry, before it is stored.
//!
//! Refused (never silently removed), with the character named: NUL and the other C0 and
//! C1 control characters (tab and line breaks are allowed in multi-line text), the
//! Unicode direction overrides, embeddings, isolates and marks that can make text read
//! differently from how it is stored ("Trojan Source"), and invisible format characters
//! that make two different texts look the same (zero-width space, word joiner, BOM, soft
//! hyphen, tag characters, Hangul fillers …). Zero-width joiner and non-joiner stay
//! allowed: emoji sequences and several scripts need them.
//!
//! Line endings of multi-line text are normalised to `\n` (CRLF and CR from browsers and
//! Windows files, U+2028/U+2029). Nothing else is changed.
//!
//! Also here, because it is the same concern on the way out: [`csv_field`], the one way a
//! CSV cell is written so that a spreadsheet never runs it as a formula.

use std::borrow::Cow;

/// Whether a text may span lines (a textarea, a description) or is one line (a title).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    One,
    Many,
}

/// Why a character is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// U+0000.
    Nul,
    /// Another C0 or C1 control character, or DEL.
    Control,
    /// A tab in one-line text.
    Tab,
    /// A line break in one-line text.
    LineBreak,
    /// A bidirectional override, embedding, isolate or mark.
    Direction,
    /// An invisible format character.
    Invisible,
    /// A noncharacter (U+FDD0–U+FDEF, U+xxFFFE, U+xxFFFF).
    Noncharacter,
}

/// The first refused character of a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("character U+{:04X} at position {position} is not allowed ({why:?})", u32::from(*.ch))]
pub struct TextError {
    pub ch: char,
    /// 1-based, in characters.
    pub position: usize,
    pub why: Refused,
}

impl TextError {
    /// The character as `U+202E`.
    pub fn code(&self) -> String {
        format!("U+{:04X}", u32::from(self.ch))
    }
}

/// Why `c` is refused in text of kind `lines`, if it is.
pub fn refused(c: char, lines: Lines) -> Option<Refused> {
    let many = lines == Lines::Many;
    Some(match c {
        '\0' => Refused::Nul,
        '\t' if many => return None,
        '\t' => Refused::Tab,
        '\n' | '\r' | '\u{2028}' | '\u{2029}' if many => return None,
        '\n' | '\r' | '\u{2028}' | '\u{2029}' => Refused::LineBreak,
        '\u{1}'..='\u{1f}' | '\u{7f}'..='\u{9f}' => Refused::Control,
        '\u{202a}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}'
        | '\u{200e}'
        | '\u{200f}'
        | '\u{061c}' => Refused::Direction,
        '\u{00ad}'
        | '\u{115f}'
        | '\u{1160}'
        | '\u{17b4}'
        | '\u{17b5}'
        | '\u{180e}'
        | '\u{200b}'
        | '\u{2060}'..='\u{2064}'
        | '\u{206a}'..='\u{206f}'
        | '\u{3164}'
        | '\u{feff}'
        | '\u{ffa0}'
        | '\u{fff9}'..='\u{fffb}'
        | '\u{1bca0}'..='\u{1bca3}'
        | '\u{1d173}'..='\u{1d17a}'
        | '\u{e0000}'..='\u{e007f}' => Refused::Invisible,
        '\u{fdd0}'..='\u{fdef}' => Refused::Noncharacter,
        c if u32::from(c) & 0xfffe == 0xfffe => Refused::Noncharacter,
        _ => return None,
    })
}

/// Checks `text` against the rule; multi-line text comes back with its line endings
/// normalised to `\n` (borrowed when nothing changed).
pub fn check(text: &str, lines: Lines) -> Result<Cow<'_, str>, TextError> {
    let mut normalise = false;
    for (i, c) in text.chars().enumerate() {
        if let Some(why) = refused(c, lines) {
            return Err(TextError {
                ch: c,
                position: i + 1,
                why,
            });
        }
        normalise |= matches!(c, '\r' | '\u{2028}' | '\u{2029}');
    }
    if !normalise {
        return Ok(Cow::Borrowed(text));
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                chars.next_if_eq(&'\n');
                out.push('\n');
            }
            '\u{2028}' | '\u{2029}' => out.push('\n'),
            c => out.push(c),
        }
    }
    Ok(Cow::Owned(out))
}

/// `value` made safe to quote in a message: every refused character (for one-line text)
/// written as `U+XXXX`, and at most `max` characters (then `…`). For echoing what came
/// in an address or a file back to the user, never for storing.
pub fn shown(value: &str, max: usize) -> String {
    let mut out = String::new();
    for (i, c) in value.chars().enumerate() {
        if i == max {
            out.push('…');
            break;
        }
        match refused(c, Lines::One) {
            Some(_) => out.push_str(&format!("U+{:04X}", u32::from(c))),
            None => out.push(c),
        }
    }
    out
}

/// One CSV cell, quoted, for a spreadsheet. A cell that starts with `=`, `+`, `-`, `@`, a
/// tab or a line break would be taken as a formula (or pushed into one) by Excel or
/// LibreOffice: it gets a leading `'`, which they show as text. Quotes are doubled.
pub fn csv_field(value: &str) -> String {
    let formula = value.starts_with(['=', '+', '-', '@', '\t', '\r', '\n']);
    let mut out = String::with_capacity(value.len() + 3);
    out.push('"');
    if formula {
        out.push('\'');
    }
    out.push_str(&value.replace('"', "\"\""));
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn why(text: &str, lines: Lines) -> Option<(String, usize, Refused)> {
        check(text, lines)
            .err()
            .map(|e| (e.code(), e.position, e.why))
    }

    #[test]
    fn control_direction_and_invisible_characters_are_refused_by_name() {
        use Refused::*;
        for (text, lines, expected) in [
            ("a\u{0}b", Lines::Many, ("U+0000", 2, Nul)),
            ("Klocka\u{7}", Lines::Many, ("U+0007", 7, Control)),
            ("\u{1b}[31m", Lines::Many, ("U+001B", 1, Control)),
            ("del\u{7f}", Lines::One, ("U+007F", 4, Control)),
            ("nel\u{85}", Lines::Many, ("U+0085", 4, Control)),
            ("åäö\u{202e}", Lines::One, ("U+202E", 4, Direction)),
            ("\u{2066}x\u{2069}", Lines::One, ("U+2066", 1, Direction)),
            ("rlm\u{200f}", Lines::One, ("U+200F", 4, Direction)),
            ("zw\u{200b}sp", Lines::One, ("U+200B", 3, Invisible)),
            ("\u{feff}bom", Lines::Many, ("U+FEFF", 1, Invisible)),
            ("soft\u{ad}hyphen", Lines::One, ("U+00AD", 5, Invisible)),
            ("tag\u{e0041}", Lines::One, ("U+E0041", 4, Invisible)),
            ("hangul\u{3164}", Lines::One, ("U+3164", 7, Invisible)),
            ("non\u{ffff}", Lines::Many, ("U+FFFF", 4, Noncharacter)),
            ("non\u{fdd0}", Lines::Many, ("U+FDD0", 4, Noncharacter)),
            ("tab\there", Lines::One, ("U+0009", 4, Tab)),
            ("two\nlines", Lines::One, ("U+000A", 4, LineBreak)),
            ("cr\r", Lines::One, ("U+000D", 3, LineBreak)),
            ("ls\u{2028}", Lines::One, ("U+2028", 3, LineBreak)),
        ] {
            assert_eq!(
                why(text, lines),
                Some((expected.0.to_string(), expected.1, expected.2)),
                "{text:?}"
            );
        }
    }

    #[test]
    fn ordinary_swedish_text_emoji_and_scripts_pass_unchanged() {
        for text in [
            "Ökad trygghet i Vårby – 2019: ≥ 85 %",
            "Åsa Öberg & Ärla \"citat\" <b>",
            "👩‍💻 samarbete", // ZWJ sequence
            "می‌خواهم",      // ZWNJ in Persian
            "مرحبا بالعالم",
            "\u{a0}non-breaking space",
            "",
        ] {
            assert_eq!(check(text, Lines::One), Ok(Cow::Borrowed(text)), "{text}");
        }
    }

    #[test]
    fn multi_line_text_keeps_tabs_and_gets_unix_line_endings() {
        assert_eq!(
            check("a\r\nb\rc\nd\te\u{2028}f", Lines::Many).unwrap(),
            "a\nb\nc\nd\te\nf"
        );
        assert!(matches!(
            check("a\nb", Lines::Many),
            Ok(Cow::Borrowed("a\nb"))
        ));
    }

    #[test]
    fn shown_names_what_it_cannot_show_and_stops_at_max() {
        assert_eq!(shown("ab\u{202e}c\u{0}", 10), "abU+202EcU+0000");
        assert_eq!(shown("abcdef", 3), "abc…");
        assert_eq!(shown("åäö", 3), "åäö");
    }

    #[test]
    fn csv_cells_that_a_spreadsheet_would_run_get_a_leading_apostrophe() {
        assert_eq!(csv_field("a\"b"), "\"a\"\"b\"");
        assert_eq!(csv_field("Åsa; Örjan"), "\"Åsa; Örjan\"");
        for formula in ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", "\n=1"] {
            assert_eq!(
                csv_field(formula),
                format!("\"'{formula}\""),
                "{formula:?} is neutralised"
            );
        }
        assert_eq!(
            csv_field(" =1"),
            "\" =1\"",
            "a leading space is text already"
        );
    }

    /// Reads one quoted CSV cell back (the inverse of `csv_field` up to the apostrophe).
    fn unquote(cell: &str) -> String {
        let inner = cell
            .strip_prefix('"')
            .and_then(|c| c.strip_suffix('"'))
            .expect("quoted");
        assert!(
            !inner.replace("\"\"", "").contains('"'),
            "every quote inside is doubled"
        );
        inner.replace("\"\"", "\"")
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn csv_fields_round_trip_and_never_start_a_formula(value in any::<String>()) {
            let cell = csv_field(&value);
            let read = unquote(&cell);
            let first = read.chars().next();
            prop_assert!(
                !matches!(first, Some('=' | '+' | '-' | '@' | '\t' | '\r' | '\n')),
                "{:?} starts a formula", read
            );
            if read.starts_with('\'') && read[1..] == value {
                prop_assert!(value.starts_with(['=', '+', '-', '@', '\t', '\r', '\n']));
            } else {
                prop_assert_eq!(read, value);
            }
        }

        #[test]
        fn checked_text_has_no_refused_character_and_only_line_endings_change(
            value in any::<String>(),
        ) {
            for lines in [Lines::One, Lines::Many] {
                match check(&value, lines) {
                    Ok(text) => {
                        prop_assert!(text.chars().all(|c| refused(c, lines).is_none()));
                        let breaks = ['\r', '\u{2028}', '\u{2029}'];
                        prop_assert!(lines == Lines::One || !text.contains(breaks), "normalised");
                        let without_breaks = |s: &str| -> String {
                            s.chars().filter(|c| !matches!(c, '\r' | '\n' | '\u{2028}' | '\u{2029}')).collect()
                        };
                        prop_assert_eq!(without_breaks(&text), without_breaks(&value));
                    }
                    Err(e) => {
                        prop_assert_eq!(value.chars().nth(e.position - 1), Some(e.ch));
                        prop_assert!(refused(e.ch, lines).is_some());
                    }
                }
            }
        }
    }
}
