//! Whatever the input, `parse_str` answers with data or a report; it never panics, and a
//! report always names the file and holds at least one error.

use proptest::prelude::*;
use uppsikt_import::parse_str;

const SMALL: &str = r#"format = "uppsikt/1"

[[org_units]]
key = "ks"
name = "Kommunstyrelsen"
short_name = "KS"
kind = "styrelse"

[vision]
org = "ks"
text = "En vision"

[[areas]]
name = "Vårby"
police_class = "utsatt"

[[goals]]
key = "trygghet"
org = "ks"
title = "Ökad trygghet"
priorities = ["Belysning"]
analyses = [{ period = "2019", text = "Oförändrat." }]

[[indicators]]
key = "index"
goal = "trygghet"
name = "Betygsindex för trygghet"
unit = "%"
direction = "higher"
decimals = 1
frequency = "biennial"
outcomes = [
  { period = "2019", value = 51, margin = 9 },
  { period = "2019", breakdown = "area:Vårby", value = "40,5", sample_size = 120 },
]
milestones = [{ year = 2019, target = ">=50" }]
targets = [{ year = 2030, target = ">94" }]
comparisons = [{ period = "2019", group = "Riket", rank = 13, of = 19, average = 55 }]
gaps = [{ period = "2019", kind = "gender", unjustified = false }]
comments = [{ period = "2019", text = "Inom felmarginalen." }]

[[commitments]]
key = "plan"
goal = "trygghet"
title = "Trygghetsplan"
year = 2019
statuses = [{ date = "2019-12-31", status = "Klart", comment = "Klar." }]

[[assessments]]
org = "ks"
goal = "trygghet"
period = "2019T3"
level = "God"
stage = "proposed"
date = "2020-01-15"
"#;

fn check(text: &str) {
    if let Err(report) = parse_str("garbled.toml", text) {
        assert!(!report.errors.is_empty());
        assert!(report
            .errors
            .iter()
            .all(|e| e.file == "garbled.toml" && !e.message.is_empty()));
        let _ = report.to_string();
    }
}

#[test]
fn the_small_document_is_valid() {
    parse_str("small.toml", SMALL).unwrap_or_else(|r| panic!("{r}"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn random_text_never_panics(text in "\\PC{0,300}") {
        check(&text);
    }

    #[test]
    fn random_toml_like_text_never_panics(text in "[a-z_\\[\\]{}=\",. 0-9:\\n#%<>≥åäö-]{0,300}") {
        check(&format!("format = \"uppsikt/1\"\n{text}"));
    }

    #[test]
    fn deleting_a_line_never_panics(line in 0usize..80) {
        let lines: Vec<&str> = SMALL.lines().collect();
        let kept: Vec<&str> = lines.iter().enumerate().filter(|(i, _)| *i != line % lines.len()).map(|(_, l)| *l).collect();
        check(&kept.join("\n"));
    }

    #[test]
    fn changing_a_character_never_panics(at in 0usize..3000, c in any::<char>()) {
        let chars: Vec<char> = SMALL.chars().collect();
        let mut changed = chars.clone();
        changed[at % chars.len()] = c;
        check(&changed.into_iter().collect::<String>());
    }

    #[test]
    fn several_changes_never_panic(edits in prop::collection::vec((0usize..3000, "\\PC{0,3}"), 1..6)) {
        let mut text = SMALL.to_string();
        for (at, insert) in edits {
            let mut boundary = at % (text.len() + 1);
            while !text.is_char_boundary(boundary) {
                boundary -= 1;
            }
            let end = text[boundary..].chars().next().map_or(boundary, |c| boundary + c.len_utf8());
            text.replace_range(boundary..end, &insert);
        }
        check(&text);
    }
}

#[test]
fn deeply_nested_input_is_refused_without_overflowing_the_stack() {
    for depth in [1_000, 100_000] {
        let arrays = format!(
            "format = \"uppsikt/1\"\na = {}{}",
            "[".repeat(depth),
            "]".repeat(depth)
        );
        let tables = format!(
            "format = \"uppsikt/1\"\na = {}1{}",
            "{b=".repeat(depth),
            "}".repeat(depth)
        );
        for text in [arrays, tables] {
            let report = parse_str("deep.toml", &text).expect_err("refused");
            assert!(!report.errors.is_empty());
        }
    }
}
