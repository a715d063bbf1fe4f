//! Escaping user text for typst markup and typst string literals.

/// Characters with a meaning somewhere in typst markup, escaped with a backslash
/// (typst turns `\` + any non-space character into that character, literally):
///
/// - `\` escape, `#` code, `*` strong, `_` emphasis, `` ` `` raw, `$` math,
///   `<` label, `>` (pairs with `<`), `@` reference, `~` non-breaking space,
///   `'` `"` smart quotes (escaped they stay straight, exactly as typed);
/// - `=` heading, `-` list/en dash/em dash/soft hyphen/minus sign, `+` numbered list,
///   `/` term list and `//` `/*` comments (and `http://` auto-links),
///   `.` (`1.` numbered list, `...` ellipsis), `:` term lists;
/// - `[` `]` content blocks, and `(` `)` `;` `{` `}` so that text directly after an
///   embedded expression (`#name(…`, `#name;`) never continues or ends it.
const MARKUP_SPECIAL: &[char] = &[
    '\\', '#', '*', '_', '`', '$', '<', '>', '@', '~', '\'', '"', '=', '-', '+', '/', '.', ':',
    '[', ']', '(', ')', ';', '{', '}',
];

/// Escapes user text so that typst markup shows it literally, e.g.
/// `format!("= {}\n{}", escape_markup(goal), escape_markup(motivation))` or inside a
/// content block: `#table.cell[{}]`.
///
/// - Every character with a meaning in markup is preceded by a backslash, so
///   `*`, `_`, `#`, `$`, `@x`, `<x>`, `//`, `http://…`, `- `, `1. `, `--`, `...`, `"`
///   all come out exactly as typed (straight quotes stay straight).
/// - Line breaks are kept as the user meant them: one newline becomes a forced line
///   break (`\` + newline), two or more (with only spaces between) become one
///   paragraph break. Leading and trailing line breaks are dropped; `\r\n` and `\r`
///   count as newlines.
/// - Other control characters are dropped (a tab becomes a space): PDF/UA forbids
///   text that maps to them.
///
/// Because a newline ends a heading (`= …`), a list item (`- …`) or a term, use
/// single-line text there, or the content-block form (`#heading[…]`,
/// `#list.item[…]`), which accepts line breaks.
pub fn escape_markup(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 4 + 8);
    let mut chars = s.chars().peekable();
    // Newlines seen since the last visible character (not yet written).
    let mut pending_newlines = 0usize;
    // Spaces seen since the last newline/visible character (not yet written).
    let mut pending_spaces = String::new();
    let mut wrote_visible = false;

    while let Some(c) = chars.next() {
        let c = match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                '\n'
            }
            '\t' => ' ',
            c if c.is_control() && c != '\n' => continue,
            c => c,
        };
        if c == '\n' {
            pending_newlines += 1;
            pending_spaces.clear();
            continue;
        }
        if c.is_whitespace() {
            pending_spaces.push(c);
            continue;
        }
        // A visible character: flush what came before it.
        if wrote_visible {
            match pending_newlines {
                0 => {}
                1 => out.push_str("\\\n"),
                _ => out.push_str("\n\n"),
            }
            out.push_str(&pending_spaces);
        } else if pending_newlines == 0 {
            out.push_str(&pending_spaces);
        }
        pending_newlines = 0;
        pending_spaces.clear();
        if MARKUP_SPECIAL.contains(&c) {
            out.push('\\');
        }
        out.push(c);
        wrote_visible = true;
    }
    if pending_newlines == 0 {
        out.push_str(&pending_spaces);
    }
    out
}

/// Escapes user text for the inside of a typst string literal; add the quotes
/// yourself: `format!("#set document(title: \"{}\")", escape_string(title))`.
///
/// In a string only `\` and `"` are special (plus the escapes `\n`, `\r`, `\t`,
/// `\u{…}`); everything else, `#`, `*`, `$`, `[`, `//` …, is literal. Newlines, tabs
/// and carriage returns become `\n`, `\t`, `\r`; other control characters become
/// `\u{…}` escapes. A string shown as content (`#text(s)`, `#strong(s)`, `#s`) is
/// displayed literally, never parsed as markup.
pub fn escape_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_escapes_every_special_character() {
        assert_eq!(escape_markup("a*b*"), "a\\*b\\*");
        assert_eq!(escape_markup("#set"), "\\#set");
        assert_eq!(escape_markup("= Rubrik"), "\\= Rubrik");
        assert_eq!(escape_markup("- punkt"), "\\- punkt");
        assert_eq!(escape_markup("1. första"), "1\\. första");
        assert_eq!(escape_markup("a // b"), "a \\/\\/ b");
        assert_eq!(escape_markup("https://x.se"), "https\\:\\/\\/x\\.se");
        assert_eq!(escape_markup("$5 @ref <lbl>"), "\\$5 \\@ref \\<lbl\\>");
        assert_eq!(escape_markup("\"citat\" 'x'"), "\\\"citat\\\" \\'x\\'");
        assert_eq!(escape_markup("a\\b"), "a\\\\b");
        assert_eq!(escape_markup("[x](y);{z}"), "\\[x\\]\\(y\\)\\;\\{z\\}");
        assert_eq!(escape_markup("åäö ÅÄÖ – ≥ ± ”"), "åäö ÅÄÖ – ≥ ± ”");
    }

    #[test]
    fn markup_keeps_line_and_paragraph_breaks() {
        assert_eq!(escape_markup("a\nb"), "a\\\nb");
        assert_eq!(escape_markup("a\r\nb"), "a\\\nb");
        assert_eq!(escape_markup("a\n\n\nb"), "a\n\nb");
        assert_eq!(escape_markup("a\n  \r\n b"), "a\n\n b");
        assert_eq!(escape_markup("\n\na\n"), "a");
        assert_eq!(escape_markup(" a b "), " a b ");
        assert_eq!(escape_markup("a\tb\u{7}c"), "a bc");
        assert_eq!(escape_markup(""), "");
    }

    #[test]
    fn string_escapes() {
        assert_eq!(escape_string(r#"Säg "hej" \ #x"#), r#"Säg \"hej\" \\ #x"#);
        assert_eq!(escape_string("a\nb\tc\rd"), "a\\nb\\tc\\rd");
        assert_eq!(escape_string("\u{1b}"), "\\u{1b}");
    }
}
