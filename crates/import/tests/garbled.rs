//! Hostile input in the uppsikt/1 format. Whatever a data file holds, `parse_str` answers
//! with data or a report and never panics; a report names the file and holds at least one
//! error, each a Swedish sentence at its place (`refusal::check_refusal`), showing no
//! control or direction character from the file and of bounded length. A document that
//! parses but cannot be loaded leaves the database exactly as it was, on both backends.
//!
//! Inputs: arbitrary text and bytes, TOML-like text, and structured mutations of a valid
//! document (values of the wrong type, huge and odd numbers, very long strings, control
//! and direction characters, deep nesting, duplicate keys and tables, unknown sections
//! and fields). Each property prints how many inputs it tried.

mod refusal;

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use refusal::{check_refusal, property};
use toml::Value;
use uppsikt_domain::messages;
use uppsikt_import::{load, load_demo_data, parse_str};
use uppsikt_store::testing::TestDb;
use uppsikt_store::{Counts, Scope, Store};

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

[kolada]
municipality = "0126"

[[comparison_groups]]
key = "grannar"
title = "Grannar"
members = ["0127", "0128"]

[[period_reviews]]
org = "ks"
period = "2019"
events = ["Ny plan"]
improvement_areas = ["Uppföljning"]

[[decisions]]
org = "ks"
period = "2019"
body = "Kommunstyrelsen"
decided_on = "2020-03-02"
paragraph = "§ 12"
diary_number = "KS-2020/1"

[[control_plans]]
org = "ks"
year = 2019
rule_ref = "HKF 9410"
legal_basis = "KL 6:6"
adoption = { body = "Kommunstyrelsen", decided_on = "2018-12-10", paragraph = "§ 7", diary_number = "KS-2018/9" }
risk_analysis = { held_on = "2018-10-01", participants = "Ledningsgruppen", elected_members_took_part = true }
self_assessment = { level = "Godtagbar", motivation = "I stort fungerande.", source = "Verksamhetsberättelse 2019" }
auditor_assessment = { level = "Delvis", motivation = "Inte enhetligt.", source = "Granskning 2019" }

[[control_plans.risks]]
key = "RK01"
area = "Informationssäkerhet"
text = "Infoläckage via molntjänster."
background = "Överförd från 2018."
first_documented = "≤2012"
common = true

[[control_plans.actions]]
key = "R01"
risks = ["RK01"]
text = "Ta fram riktlinjer."
responsible = "IT-chefen"
status = "Klart"
done_on = "2019-11-30"
comment = "Fastställda."
verification = { by = "Controller", how = "Läst riktlinjerna", on = "2019-12-15" }

[[control_plans.actions]]
key = "R02"
risks = ["RK01"]
recommendations = [{ case_ref = "KS-2018/753.912", title = "Granskning av bisysslor" }]
text = "Följ upp riktlinjerna."
status = "Ej klart i år"
blocked_by = "R01"

[[control_plans.actions]]
key = "AA06"
recommendations = [{ case_ref = "KS-2014/476.912", title = "Uppföljning av upphandling" }]
text = "Införa en policy."
blocked_by_text = "KF:s beslut 2020-02-10"

[[control_plans.controls]]
key = "C05"
area = "Löner"
name = "Kontroll av höga nettolöner"
purpose = "Riktiga löner."
method = "SQL-frågor."
frequency = "Månadsvis"
sample = "Alla"
planned_parameters = "> 50 000 kr"
responsible = "Lönechefen"
due = "2019-12-31"
origin = "Revision 2013"
comment = "Klar."
common = true
discontinued = { on = "2019-12-20", decided_by = "Ansvarig chef", reason = "Behövs inte." }
occurrences = [
  { planned_on = "2019-01-31", performed_on = "2019-01-31", parameters_used = "> 49 000 kr", result = "Utan anmärkning", findings = "Inga fel." },
  { planned_on = "2019-02-28", performed_on = "2019-03-04", result = "Med anmärkning", findings = "Saknat underlag." },
  { planned_on = "2019-03-31", not_performed = "Sjukskrivning." },
  { planned_on = "2019-04-30" },
]

[[control_plans.controls]]
key = "U01"
kind = "avtalsuppföljning"
name = "Lokalvård"
follow_up_kind = "Avtalsuppföljning"
schedule = "1 gång per termin"
interval = "Var 6:e månad"
recipients = "Kommunstyrelsen"
"#;

/// What `parse_str` may answer for `text`: data, or a well-formed refusal.
fn check(text: &str) -> Result<(), TestCaseError> {
    match parse_str("garbled.toml", text) {
        Ok(_) => Ok(()),
        Err(report) => check_refusal(&report, "garbled.toml"),
    }
}

#[test]
fn the_small_document_is_valid() {
    parse_str("small.toml", SMALL).unwrap_or_else(|r| panic!("{r}"));
}

#[test]
fn random_text_never_panics() {
    property("uppsikt/1 random text", 400, "\\PC{0,300}", |t| check(&t));
}

#[test]
fn random_bytes_never_panic() {
    // What a file of any bytes becomes: `parse_files` reads UTF-8 (else "cannot read"),
    // so the parser sees the valid prefix's text or a lossy decoding.
    property(
        "uppsikt/1 random bytes",
        400,
        prop::collection::vec(any::<u8>(), 0..400),
        |bytes| check(&String::from_utf8_lossy(&bytes)),
    );
}

#[test]
fn random_toml_like_text_never_panics() {
    property(
        "uppsikt/1 TOML-like text",
        400,
        "[a-z_\\[\\]{}=\",. 0-9:\\n#%<>≥åäö'\\\\-]{0,300}",
        |t| check(&format!("format = \"uppsikt/1\"\n{t}")),
    );
}

#[test]
fn deleting_a_line_never_panics() {
    let lines: Vec<&str> = SMALL.lines().collect();
    property("uppsikt/1 line deleted", 200, 0..lines.len(), |line| {
        let kept: Vec<&str> = lines
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != line)
            .map(|(_, l)| *l)
            .collect();
        check(&kept.join("\n"))
    });
}

#[test]
fn changing_characters_never_panics() {
    let chars: Vec<char> = SMALL.chars().collect();
    property(
        "uppsikt/1 characters changed",
        400,
        prop::collection::vec((0..chars.len() + 1, "\\PC{0,3}", 0usize..3), 1..6),
        |edits| {
            let mut text = chars.clone();
            for (at, insert, delete) in edits {
                let at = at.min(text.len());
                let end = (at + delete).min(text.len());
                text.splice(at..end, insert.chars());
            }
            check(&text.into_iter().collect::<String>())
        },
    );
}

// --- structured mutations of the valid document ---------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
}

/// Every place in the document (tables, arrays and leaves), depth first, with its path.
fn places(v: &Value, path: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    if !path.is_empty() {
        out.push(path.clone());
    }
    match v {
        Value::Table(t) => {
            for (k, child) in t {
                path.push(Step::Key(k.clone()));
                places(child, path, out);
                path.pop();
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                path.push(Step::Index(i));
                places(child, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

/// The place as an error names it: `indicators[0].outcomes[1].value`.
fn location(path: &[Step]) -> String {
    let mut out = String::new();
    for s in path {
        match s {
            Step::Key(k) if out.is_empty() => out.push_str(k),
            Step::Key(k) => {
                out.push('.');
                out.push_str(k);
            }
            Step::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

fn at_mut<'v>(v: &'v mut Value, path: &[Step]) -> &'v mut Value {
    path.iter().fold(v, |v, s| match s {
        Step::Key(k) => &mut v.as_table_mut().unwrap()[k.as_str()],
        Step::Index(i) => &mut v.as_array_mut().unwrap()[*i],
    })
}

fn small() -> Value {
    Value::Table(SMALL.parse::<toml::Table>().unwrap())
}

fn all_places() -> Vec<Vec<Step>> {
    let mut out = Vec::new();
    places(&small(), &mut Vec::new(), &mut out);
    out
}

/// Characters the text rule refuses in every kind of text (one line or many).
const REFUSED: &[char] = &[
    '\u{0}',
    '\u{1}',
    '\u{8}',
    '\u{1b}',
    '\u{7f}',
    '\u{85}',
    '\u{9b}',
    '\u{202a}',
    '\u{202e}',
    '\u{2066}',
    '\u{2069}',
    '\u{200e}',
    '\u{200f}',
    '\u{61c}',
    '\u{200b}',
    '\u{2060}',
    '\u{feff}',
    '\u{ad}',
    '\u{3164}',
    '\u{e0041}',
    '\u{fdd0}',
    '\u{fffe}',
    '\u{1fffe}',
];

/// A value put in place of another.
fn replacement() -> impl Strategy<Value = Value> {
    let number = prop::sample::select(vec![
        Value::Integer(0),
        Value::Integer(-1),
        Value::Integer(i64::MAX),
        Value::Integer(i64::MIN),
        Value::Integer(2019),
        Value::Integer(99_999_999),
        Value::Float(f64::NAN),
        Value::Float(f64::INFINITY),
        Value::Float(f64::NEG_INFINITY),
        Value::Float(f64::MAX),
        Value::Float(1e-320),
        Value::Float(-0.0),
        Value::Float(2019.5),
        Value::Boolean(true),
        Value::Datetime("2019-12-31T23:59:60Z".parse().unwrap()),
        Value::Datetime("2019-01-01".parse().unwrap()),
    ]);
    let text = prop::sample::select(vec![
        "",
        " ",
        "\t",
        "2019",
        "2019T3",
        "2019-13",
        "2019W53",
        "0019",
        "99999",
        "God",
        "ks",
        "finns-inte",
        "%",
        ">=50",
        "≥ 1e309",
        "Öka",
        "area:",
        "area:Vårby",
        "women",
        "NaN",
        "inf",
        "1,2,3",
        "1 234,5",
        "--",
        "0126",
        "G1",
        "N00901",
        "http://",
        "javascript:x",
        "<script>",
        "=1+1",
        "\u{202e}gnäl",
        "a\u{0}b",
        "\u{1b}[2J",
        "x\u{200b}y",
        "\u{feff}",
        "rad\nrad",
        "ÅÄÖ",
    ])
    .prop_map(|s| Value::String(s.to_string()));
    let long = (
        1usize..4,
        prop::sample::select(vec!['a', 'ä', '9', ' ', '\u{202e}', '”']),
    )
        .prop_map(|(k, c)| Value::String(c.to_string().repeat([250, 20_001, 200_000][k - 1])));
    let nested = (
        prop::sample::select(vec![2usize, 10, 60, 300]),
        any::<bool>(),
    )
        .prop_map(|(depth, arrays)| {
            (0..depth).fold(Value::Integer(1), |inner, i| {
                if arrays {
                    Value::Array(vec![inner])
                } else {
                    let mut t = toml::Table::new();
                    t.insert(format!("n{i}"), inner);
                    Value::Table(t)
                }
            })
        });
    let containers = prop::sample::select(vec![
        Value::Array(vec![]),
        Value::Table(toml::Table::new()),
        Value::Array(vec![Value::Integer(1), Value::String("x".into())]),
        Value::Array(vec![Value::Table(toml::Table::new()); 3]),
        Value::Array(vec![Value::Integer(7); 5_000]),
    ]);
    prop_oneof![3 => number, 3 => text, 1 => long, 1 => nested, 1 => containers]
}

/// A name for a field or section that the format does not have.
fn odd_key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "okänt",
            "Key",
            "key ",
            "",
            " ",
            "x.y",
            "org_units",
            "format",
            "goals",
        ])
        .prop_map(str::to_string),
        (0..REFUSED.len()).prop_map(|i| format!("fält{}x", REFUSED[i])),
        Just("k".repeat(5_000)),
    ]
}

#[derive(Debug, Clone)]
enum Mutation {
    /// The value at a place replaced.
    Replace(usize, Value),
    /// A field or section added to the table at (or holding) a place.
    Add(usize, String, Value),
    /// A place removed.
    Remove(usize),
    /// A row (an array's element) given twice.
    Twice(usize),
}

#[derive(Debug, Clone)]
enum TextEdit {
    /// A `name = value` line given twice (a duplicate key).
    LineTwice(usize),
    /// A `[table]` or `[[array]]` header given twice.
    HeaderTwice(usize),
    /// A table defined again at the end.
    Redefine(usize),
    Truncate(usize),
}

fn mutation(n: usize) -> impl Strategy<Value = Mutation> {
    prop_oneof![
        5 => (0..n, replacement()).prop_map(|(at, v)| Mutation::Replace(at, v)),
        2 => (0..n + 1, odd_key(), replacement()).prop_map(|(at, k, v)| Mutation::Add(at, k, v)),
        1 => (0..n).prop_map(Mutation::Remove),
        1 => (0..n).prop_map(Mutation::Twice),
    ]
}

fn text_edit() -> impl Strategy<Value = TextEdit> {
    prop_oneof![
        any::<usize>().prop_map(TextEdit::LineTwice),
        any::<usize>().prop_map(TextEdit::HeaderTwice),
        any::<usize>().prop_map(TextEdit::Redefine),
        any::<usize>().prop_map(TextEdit::Truncate),
    ]
}

fn apply(doc: &mut Value, m: &Mutation, all: &[Vec<Step>]) {
    // Places are those of the valid document; after earlier mutations a path may lead
    // nowhere, and then the mutation is skipped.
    let exists = |doc: &Value, path: &[Step]| {
        let mut v = doc;
        for s in path {
            v = match (s, v) {
                (Step::Key(k), Value::Table(t)) => match t.get(k) {
                    Some(c) => c,
                    None => return false,
                },
                (Step::Index(i), Value::Array(a)) => match a.get(*i) {
                    Some(c) => c,
                    None => return false,
                },
                _ => return false,
            };
        }
        true
    };
    match m {
        Mutation::Replace(at, v) => {
            if exists(doc, &all[*at]) {
                *at_mut(doc, &all[*at]) = v.clone();
            }
        }
        Mutation::Add(at, key, v) => {
            // The table at the place, or the one holding it; past the end: the document.
            let mut path: &[Step] = all.get(*at).map_or(&[], Vec::as_slice);
            while !(path.is_empty() || exists(doc, path) && at_mut(doc, path).is_table()) {
                path = &path[..path.len() - 1];
            }
            at_mut(doc, path)
                .as_table_mut()
                .unwrap()
                .insert(key.clone(), v.clone());
        }
        Mutation::Remove(at) => {
            let path = &all[*at];
            if exists(doc, path) {
                let (last, parent) = path.split_last().unwrap();
                match (last, at_mut(doc, parent)) {
                    (Step::Key(k), Value::Table(t)) => {
                        t.remove(k);
                    }
                    (Step::Index(i), Value::Array(a)) => {
                        a.remove(*i);
                    }
                    _ => {}
                }
            }
        }
        Mutation::Twice(at) => {
            let path = &all[*at];
            if exists(doc, path) {
                if let Some((Step::Index(i), parent)) = path.split_last() {
                    if let Value::Array(a) = at_mut(doc, parent) {
                        let row = a[*i].clone();
                        a.insert(*i, row);
                    }
                }
            }
        }
    }
}

fn edit_text(text: &str, e: &TextEdit) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let pick = |n: usize, f: &dyn Fn(&str) -> bool| {
        let candidates: Vec<usize> = (0..lines.len()).filter(|&i| f(lines[i])).collect();
        (!candidates.is_empty()).then(|| candidates[n % candidates.len()])
    };
    let twice = |i: usize| {
        let mut out: Vec<&str> = lines.clone();
        out.insert(i + 1, lines[i]);
        out.join("\n")
    };
    match e {
        TextEdit::LineTwice(n) => pick(*n, &|l| l.contains(" = ") && !l.starts_with(' '))
            .map_or_else(|| text.to_string(), twice),
        TextEdit::HeaderTwice(n) => {
            pick(*n, &|l| l.starts_with('[')).map_or_else(|| text.to_string(), twice)
        }
        TextEdit::Redefine(n) => match pick(*n, &|l| l.starts_with('[') && !l.starts_with("[[")) {
            Some(i) => format!("{text}\n{}\nx = 1\n", lines[i]),
            None => format!("{text}\n[vision]\ntext = \"igen\"\n"),
        },
        TextEdit::Truncate(n) => {
            let cut = n % (text.len() + 1);
            let cut = (0..=cut).rev().find(|&c| text.is_char_boundary(c)).unwrap();
            text[..cut].to_string()
        }
    }
}

#[test]
fn structured_mutations_of_a_valid_document_never_panic() {
    let all = all_places();
    let n = all.len();
    let strategy = (
        prop::collection::vec(mutation(n), 1..5),
        prop::option::weighted(0.25, text_edit()),
    );
    property(
        "uppsikt/1 structured mutations",
        600,
        strategy,
        |(ms, edit)| {
            let mut doc = small();
            for m in &ms {
                apply(&mut doc, m, &all);
            }
            let Ok(mut text) = toml::to_string(&doc) else {
                return Ok(()); // not writable as TOML (e.g. nested too deep for the writer)
            };
            if let Some(e) = &edit {
                text = edit_text(&text, e);
            }
            check(&text)
        },
    );
}

#[test]
fn a_wrong_kind_of_value_is_refused_at_its_place() {
    // Every leaf of the valid document (a string, number, boolean or date) given a list or
    // a table instead: refused, with an error at exactly that place.
    let all = all_places();
    let doc = small();
    let leaves: Vec<Vec<Step>> = all
        .iter()
        .filter(|p| {
            let mut d = doc.clone();
            !matches!(at_mut(&mut d, p), Value::Table(_) | Value::Array(_))
        })
        .cloned()
        .collect();
    let with = prop_oneof![
        Just(Value::Array(vec![])),
        Just(Value::Array(vec![Value::Integer(1)])),
        Just(Value::Table(toml::Table::new())),
    ];
    property(
        "uppsikt/1 wrong kind of value at a leaf",
        300,
        (0..leaves.len(), with),
        |(i, v)| {
            let mut d = doc.clone();
            *at_mut(&mut d, &leaves[i]) = v;
            let text = toml::to_string(&d).unwrap();
            let report = parse_str("garbled.toml", &text).expect_err("a wrong kind is refused");
            check_refusal(&report, "garbled.toml")?;
            let place = location(&leaves[i]);
            prop_assert!(
                report.errors.iter().any(|e| e.location == place),
                "no error at {}: {}",
                place,
                report
            );
            Ok(())
        },
    );
}

#[test]
fn a_refused_character_in_any_text_is_named_at_its_place() {
    // A control, direction or invisible character inside any string of the valid document:
    // refused at that place, the message naming it by code (U+202E), whether the field is
    // a free text, a key, a period, a number, a date or a choice.
    let doc = small();
    let strings: Vec<(Vec<Step>, usize)> = all_places()
        .into_iter()
        .filter_map(|p| {
            let mut d = doc.clone();
            match at_mut(&mut d, &p) {
                Value::String(s) if s.chars().count() >= 2 => Some((p, s.chars().count())),
                _ => None,
            }
        })
        .collect();
    property(
        "uppsikt/1 refused character in a text",
        400,
        (0..strings.len(), 0..REFUSED.len(), any::<usize>()),
        |(i, c, at)| {
            let (path, len) = &strings[i];
            let mut d = doc.clone();
            let Value::String(s) = at_mut(&mut d, path) else {
                unreachable!()
            };
            let mut chars: Vec<char> = s.chars().collect();
            chars.insert(1 + at % (len - 1), REFUSED[c]); // inside, not at an end
            *s = chars.into_iter().collect();
            let text = toml::to_string(&d).unwrap();
            let report = parse_str("garbled.toml", &text).expect_err("refused");
            check_refusal(&report, "garbled.toml")?;
            let place = location(path);
            let code = format!("U+{:04X}", u32::from(REFUSED[c]));
            prop_assert!(
                report
                    .errors
                    .iter()
                    .any(|e| e.location == place && e.message.contains(&code)),
                "no error naming {} at {}: {}",
                code,
                place,
                report
            );
            Ok(())
        },
    );
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

#[test]
fn a_huge_document_is_refused_with_a_bounded_report() {
    // There is no size limit on a data file (only the operator imports them, with the
    // CLI): memory follows the file's size. What a file can no longer do is multiply it:
    // 500 errors are listed and the rest counted, and no message quotes more than 100
    // characters of a value.
    let rows = format!(
        "format = \"uppsikt/1\"\nareas = [{}1]\n",
        "1,".repeat(1_000_000)
    );
    let long = format!(
        "format = \"uppsikt/1\"\n[[org_units]]\nkey = \"{}\"\nname = \"{}\"\nshort_name = \"X\"\nkind = \"{}\"\n",
        "k".repeat(5_000_000),
        "n".repeat(5_000_000),
        "\u{1b}".repeat(5_000_000)
    );
    for text in [rows, long] {
        let report = parse_str("huge.toml", &text).expect_err("refused");
        check_refusal(&report, "huge.toml").unwrap();
        assert!(report.errors.len() <= 501);
        let shown: usize = report.errors.iter().map(|e| e.message.len()).sum();
        assert!(shown < 501 * 1_100, "{shown} bytes of messages");
    }
}

// --- no partial write -------------------------------------------------------------------

/// What must not change when a load is refused.
#[derive(Debug, PartialEq)]
struct Snapshot {
    version: i64,
    counts: Counts,
    kolada: (i64, i64),
    org_units: Vec<(String, String, Option<i64>)>,
    values: Vec<(String, String, String, f64)>,
}

async fn snapshot(store: &Store) -> Snapshot {
    let records = store.indicator_records(Scope::All).await.unwrap();
    Snapshot {
        version: store.data_version().await.unwrap(),
        counts: store.counts().await.unwrap(),
        kolada: store.kolada_value_count().await.unwrap(),
        org_units: store
            .org_units()
            .await
            .unwrap()
            .into_iter()
            .map(|u| (u.key, u.short_name, u.parent_id))
            .collect(),
        values: records
            .iter()
            .flat_map(|r| {
                r.outcomes.iter().map(|o| {
                    (
                        r.indicator.key.clone(),
                        o.period.to_string(),
                        o.breakdown.code(),
                        o.value,
                    )
                })
            })
            .collect(),
    }
}

/// A row that loads on the demo's working copy (it writes something).
#[derive(Debug, Clone)]
enum Good {
    Goal,
    Indicator(f64),
    /// An existing indicator's outcomes given again with other values.
    Outcomes(f64),
    Unit,
    Commitment,
    Assessment,
    /// A new internal-control plan of KS with a risk, an action and a control.
    ControlPlan,
}

/// A row that parses but that the load refuses: against the database, or in it.
#[derive(Debug, Clone, Copy)]
enum Bad {
    UnknownOrg,
    UnknownGoal,
    UnknownParentGoal,
    UnknownCarriedOver,
    UnknownLevel,
    UnknownGroup,
    Cycle,
    ShortNameTaken,
    /// KS and KF swap short names: each is free once both are written, so the check
    /// passes and the database's UNIQUE refuses halfway through the transaction.
    SwappedShortNames,
    /// An internal-control plan of a unit that does not exist.
    UnknownPlanOrg,
    /// A new plan whose control was performed in the future: refused by the load in the
    /// middle of the transaction, after the plan and its control were written.
    PlanFutureExecution,
}

const BADS: [Bad; 11] = [
    Bad::UnknownOrg,
    Bad::UnknownGoal,
    Bad::UnknownParentGoal,
    Bad::UnknownCarriedOver,
    Bad::UnknownLevel,
    Bad::UnknownGroup,
    Bad::Cycle,
    Bad::ShortNameTaken,
    Bad::SwappedShortNames,
    Bad::UnknownPlanOrg,
    Bad::PlanFutureExecution,
];

const DEMO_GOAL: &str = "ks-okat-bostadsbyggande";

/// The document: the good rows with the bad one at `at`, and where its error must be.
fn bad_document(n: u64, goods: &[Good], bad: Bad, at: usize) -> (String, String) {
    use std::collections::HashMap;
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut next = |section: &'static str| {
        let i = index.entry(section).or_default();
        *i += 1;
        *i - 1
    };
    let mut rows = Vec::new();
    let mut expected = String::new();
    let (mut assessed, mut outcomes, mut planned) = (false, false, false);
    for (i, g) in goods.iter().enumerate() {
        if i == at {
            let (row, place) = bad_row(n, bad, &mut next);
            rows.push(row);
            expected = place;
        }
        rows.push(match g {
            Good::Goal => {
                next("goals");
                format!("[[goals]]\nkey = \"fz-{n}-g{i}\"\norg = \"ks\"\nparent = \"bra-att-leva-och-bo\"\ntitle = \"Fuzzmål {n} {i}\"\n")
            }
            Good::Indicator(v) => {
                next("indicators");
                format!("[[indicators]]\nkey = \"fz-{n}-i{i}\"\ngoal = \"{DEMO_GOAL}\"\nname = \"Mått {n} {i}\"\nunit = \"antal\"\ndirection = \"higher\"\noutcomes = [{{ period = \"2019\", value = {v} }}]\n")
            }
            Good::Outcomes(v) if !outcomes => {
                outcomes = true;
                next("indicators");
                format!("[[indicators]]\nkey = \"ks-antal-fardigstallda-bostader\"\ngoal = \"{DEMO_GOAL}\"\nname = \"Antal färdigställda bostäder (Totalt)\"\nunit = \"antal\"\ndirection = \"higher\"\noutcomes = [{{ period = \"2016\", value = {v} }}, {{ period = \"2020\", value = 1 }}]\n")
            }
            Good::Unit => {
                next("org_units");
                format!("[[org_units]]\nkey = \"fz-{n}-u{i}\"\nname = \"Enhet {n} {i}\"\nshort_name = \"FZ{n}U{i}\"\nkind = \"enhet\"\nparent = \"ks\"\n")
            }
            Good::Commitment => {
                next("commitments");
                format!("[[commitments]]\nkey = \"fz-{n}-c{i}\"\ngoal = \"{DEMO_GOAL}\"\ntitle = \"Åtagande {n} {i}\"\nyear = 2019\n")
            }
            Good::Assessment if !assessed => {
                assessed = true;
                next("assessments");
                format!("[[assessments]]\norg = \"ks\"\ngoal = \"{DEMO_GOAL}\"\nperiod = \"2019\"\nlevel = \"God\"\nstage = \"proposed\"\n")
            }
            Good::ControlPlan if !planned => {
                planned = true;
                next("control_plans");
                format!("[[control_plans]]\norg = \"ks\"\nyear = 2030\nrule_ref = \"HKF 9410\"\n\n[[control_plans.risks]]\nkey = \"RK1\"\ntext = \"Risk {n}\"\n\n[[control_plans.actions]]\nkey = \"R1\"\nrisks = [\"RK1\"]\ntext = \"Åtgärd {n}\"\n\n[[control_plans.controls]]\nkey = \"C1\"\nname = \"Kontroll {n}\"\noccurrences = [{{ planned_on = \"2030-01-31\" }}]\n")
            }
            Good::Assessment | Good::Outcomes(_) | Good::ControlPlan => String::new(),
        });
    }
    if at >= goods.len() {
        let (row, place) = bad_row(n, bad, &mut next);
        rows.push(row);
        expected = place;
    }
    (
        format!("format = \"uppsikt/1\"\n\n{}", rows.join("\n")),
        expected,
    )
}

fn bad_row(n: u64, bad: Bad, next: &mut dyn FnMut(&'static str) -> usize) -> (String, String) {
    match bad {
        Bad::UnknownOrg => {
            let i = next("goals");
            (
                format!("[[goals]]\nkey = \"fz-{n}-bad\"\norg = \"finns-inte-{n}\"\ntitle = \"Fel {n}\"\n"),
                format!("goals[{i}].org"),
            )
        }
        Bad::UnknownGoal => {
            let i = next("indicators");
            (
                format!("[[indicators]]\nkey = \"fz-{n}-bad\"\ngoal = \"finns-inte\"\nname = \"Fel\"\nunit = \"antal\"\ndirection = \"higher\"\noutcomes = [{{ period = \"2019\", value = 1 }}]\n"),
                format!("indicators[{i}].goal"),
            )
        }
        Bad::UnknownParentGoal => {
            let i = next("goals");
            (
                format!("[[goals]]\nkey = \"fz-{n}-bad\"\norg = \"ks\"\nparent = \"finns-inte\"\ntitle = \"Fel {n}\"\n"),
                format!("goals[{i}].parent"),
            )
        }
        Bad::UnknownCarriedOver => {
            let i = next("commitments");
            (
                format!("[[commitments]]\nkey = \"fz-{n}-bad\"\ngoal = \"{DEMO_GOAL}\"\ntitle = \"Fel {n}\"\nyear = 2020\ncarried_over_from = \"finns-inte\"\n"),
                format!("commitments[{i}].carried_over_from"),
            )
        }
        Bad::UnknownLevel => {
            let i = next("assessments");
            (
                "[[assessments]]\norg = \"ks\"\nperiod = \"2019T2\"\nlevel = \"Utmärkt\"\n"
                    .to_string(),
                format!("assessments[{i}].level"),
            )
        }
        Bad::UnknownGroup => {
            let i = next("indicators");
            (
                format!("[[indicators]]\nkey = \"fz-{n}-bad\"\ngoal = \"{DEMO_GOAL}\"\nname = \"Fel\"\nunit = \"antal\"\ndirection = \"higher\"\nkolada_kpi = \"N00901\"\ncomparison_groups = [\"sodertorn\", \"finns-inte\"]\n"),
                format!("indicators[{i}].comparison_groups"),
            )
        }
        Bad::Cycle => {
            let i = next("org_units");
            (
                "[[org_units]]\nkey = \"huddinge\"\nname = \"Huddinge kommun\"\nshort_name = \"Huddinge\"\nkind = \"kommun\"\nparent = \"ks\"\n".into(),
                format!("org_units[{i}].parent"),
            )
        }
        Bad::ShortNameTaken => {
            let i = next("org_units");
            (
                format!("[[org_units]]\nkey = \"fz-{n}-bad\"\nname = \"Fel\"\nshort_name = \"ksf\"\nkind = \"enhet\"\nparent = \"ks\"\n"),
                format!("org_units[{i}].short_name"),
            )
        }
        Bad::SwappedShortNames => {
            next("org_units");
            next("org_units");
            (
                "[[org_units]]\nkey = \"kf\"\nname = \"Kommunfullmäktige\"\nshort_name = \"KS\"\nkind = \"fullmaktige\"\nparent = \"huddinge\"\n\n\
                 [[org_units]]\nkey = \"ks\"\nname = \"Kommunstyrelsen\"\nshort_name = \"KF\"\nkind = \"styrelse\"\nparent = \"kf\"\n"
                    .into(),
                "org_units[".into(),
            )
        }
        Bad::UnknownPlanOrg => {
            let i = next("control_plans");
            (
                format!("[[control_plans]]\norg = \"finns-inte-{n}\"\nyear = 2019\n\n[[control_plans.risks]]\nkey = \"RK1\"\ntext = \"Risk\"\n"),
                format!("control_plans[{i}].org"),
            )
        }
        Bad::PlanFutureExecution => {
            let i = next("control_plans");
            (
                format!("[[control_plans]]\norg = \"ks\"\nyear = 2031\n\n[[control_plans.controls]]\nkey = \"C1\"\nname = \"Kontroll {n}\"\noccurrences = [{{ planned_on = \"2031-01-31\", performed_on = \"2199-12-31\", result = \"Utan anmärkning\" }}]\n"),
                format!("control_plans[{i}].controls[0].occurrences[0]"),
            )
        }
    }
}

fn good() -> impl Strategy<Value = Good> {
    prop_oneof![
        Just(Good::Goal),
        (-1e9f64..1e9).prop_map(Good::Indicator),
        (0f64..5000.0).prop_map(Good::Outcomes),
        Just(Good::Unit),
        Just(Good::Commitment),
        Just(Good::Assessment),
        Just(Good::ControlPlan),
    ]
}

#[test]
fn a_refused_load_writes_nothing_on_either_backend() {
    // Against the demo's working copy: documents of up to a dozen rows that load, with one
    // row the load refuses (found against the database, or by the database itself halfway
    // through the transaction) somewhere among them.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dbs = rt.block_on(TestDb::all());
    for db in &dbs {
        rt.block_on(load_demo_data(&db.store, "test"))
            .unwrap_or_else(|r| panic!("{r}"));
        let before = rt.block_on(snapshot(&db.store));
        let counter = std::cell::Cell::new(0u64);
        let strategy = (
            prop::collection::vec(good(), 0..12),
            prop::sample::select(BADS.to_vec()),
            0usize..13,
        );
        property(
            &format!("uppsikt/1 refused load on {:?}", db.backend()),
            150,
            strategy,
            |(goods, bad, at)| {
                counter.set(counter.get() + 1);
                let (text, place) = bad_document(counter.get(), &goods, bad, at);
                let data = parse_str("bad.toml", &text)
                    .unwrap_or_else(|r| panic!("the document parses: {r}\n{text}"));
                let report = rt
                    .block_on(load(
                        &db.store,
                        &data,
                        "test",
                        uppsikt_store::ChangeSource::Cli,
                    ))
                    .expect_err("the load is refused");
                check_refusal(&report, "bad.toml")?;
                prop_assert!(
                    report.errors.iter().any(|e| e.location.starts_with(&place)),
                    "{:?}: no error at {}: {}",
                    bad,
                    place,
                    report
                );
                if let Bad::SwappedShortNames = bad {
                    // Refused by the database itself, after the rows before it were written.
                    let db_refused = messages::import_database("");
                    prop_assert!(
                        report
                            .errors
                            .iter()
                            .any(|e| e.message.starts_with(&db_refused)),
                        "{}",
                        report
                    );
                }
                prop_assert_eq!(&rt.block_on(snapshot(&db.store)), &before, "{:?}", bad);
                Ok(())
            },
        );
    }
    for db in dbs {
        rt.block_on(db.finish());
    }
}
