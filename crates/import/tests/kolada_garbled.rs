//! Hostile input in Kolada's pages. Whatever a saved page holds, the page reader
//! (`kolada::read_page`, the one `import_kolada` uses) answers without panicking, with
//! what the page holds or a refusal whose every error is a Swedish sentence at its JSON
//! path (`refusal::check_refusal`); and `import_kolada` keeps all of a directory or none
//! of it.
//!
//! Inputs: arbitrary bytes and JSON-like text, and a valid data page (and the three
//! metadata pages) changed at random: fields given other JSON values (wrong types, nulls,
//! huge and odd numbers, odd periods, long strings, control and direction characters,
//! deep nesting, huge arrays), items removed, characters deleted, replaced or inserted,
//! the page cut short. A garbled page imported alone must leave exactly what an
//! independent reading of it holds, or nothing (SQLite); a garbled page between two good
//! ones, into the demo's database, must leave the database as it was whenever it is
//! refused (both backends). Each property prints how many inputs it tried.

mod refusal;

use std::cell::Cell;
use std::collections::BTreeMap;
use std::path::PathBuf;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use refusal::{check_refusal, property};
use serde_json::{json, Value};
use uppsikt_domain::kolada::{Gender, KpiId, MunicipalityId};
use uppsikt_import::kolada::{import_kolada, read_page, ClientOptions, FetchPlan, Source};
use uppsikt_import::{load_demo_data, Progress};
use uppsikt_store::testing::TestDb;
use uppsikt_store::{Counts, Scope, Store};

/// A valid data page: four items, twelve values, one missing, one with a status flag, a
/// period written as text.
fn valid_page() -> Value {
    let e = |g: &str, v: Option<f64>, status: &str| json!({"gender": g, "count": 1, "status": status, "value": v, "isdeleted": false});
    json!({
        "count": 4,
        "next_url": null,
        "values": [
            {"kpi": "N00901", "municipality": "0126", "period": 2018,
             "values": [e("T", Some(19.87), ""), e("K", Some(19.5), ""), e("M", Some(20.25), "")]},
            {"kpi": "N00901", "municipality": "0126", "period": "2019",
             "values": [e("T", Some(19.87), ""), e("K", None, "B"), e("M", Some(0.0), "")]},
            {"kpi": "N00901", "municipality": "0127", "period": 2019,
             "values": [e("T", Some(20.1), ""), e("K", Some(20.0), ""), e("M", Some(20.2), "")]},
            {"kpi": "U00402", "municipality": "0127", "period": 2019,
             "values": [e("T", Some(55.0), ""), e("K", Some(56.5), ""), e("M", Some(53.0), "")]}
        ]
    })
}

/// JSON values a field may be given instead of its own (built once: some are large).
fn replacements() -> &'static [Value] {
    static ALL: std::sync::OnceLock<Vec<Value>> = std::sync::OnceLock::new();
    ALL.get_or_init(|| {
        let nested = |depth: usize, arrays: bool| {
            (0..depth).fold(json!(1), |inner, _| {
                if arrays {
                    json!([inner])
                } else {
                    json!({ "v": inner })
                }
            })
        };
        vec![
            json!(null),
            json!(true),
            json!(false),
            json!(0),
            json!(1),
            json!(2),
            json!(-1),
            json!(2019),
            json!(2019.5),
            json!(2019.0),
            json!(1899),
            json!(3000),
            json!(-2019),
            json!(1e300),
            json!(-0.0),
            json!(1e-320),
            json!(u64::MAX),
            json!(i64::MIN),
            json!(""),
            json!(" "),
            json!("abc"),
            json!("19,87"),
            json!("2019"),
            json!(" 2019 "),
            json!("+2019"),
            json!("02019"),
            json!("2019T1"),
            json!("2019-01"),
            json!("2019.0"),
            json!("١٩٩٩"),
            json!("2019\u{0}"),
            json!("T"),
            json!("K"),
            json!("X"),
            json!("t"),
            json!(" M "),
            json!("T\u{202e}"),
            json!("0126"),
            json!("0126 "),
            json!("126"),
            json!("G100001"),
            json!("G"),
            json!("N00901"),
            json!("n00901"),
            json!("N00901\u{1b}[2J"),
            json!("B"),
            json!("\u{202e}B"),
            json!("\u{0}"),
            json!("”\u{200b}”"),
            json!([]),
            json!({}),
            json!([1, 2]),
            json!({"gender": "T"}),
            json!([{"gender": "T", "value": 1}, {"gender": "T", "value": 2}]),
            json!("ä".repeat(2_001)),
            json!("”".repeat(100_000)),
            nested(40, true),
            nested(200, true),
            nested(200, false),
            Value::Array(vec![json!(0); 20_000]),
            Value::Array(vec![json!({}); 5_000]),
        ]
    })
}

const ITEM_FIELDS: [&str; 6] = ["kpi", "municipality", "period", "values", "extra", "count"];
const ENTRY_FIELDS: [&str; 6] = ["gender", "value", "status", "isdeleted", "count", "extra"];

#[derive(Debug, Clone)]
enum Edit {
    /// Sets a field of an item (`entry: None`) or of one of its values to a replacement.
    Field {
        item: usize,
        entry: Option<usize>,
        field: usize,
        with: usize,
    },
    /// Removes an item or value.
    Remove { item: usize, entry: Option<usize> },
    /// The page's top level: `values`, `next_url` or `count` set to a replacement.
    Top { field: usize, with: usize },
}

#[derive(Debug, Clone)]
enum Chars {
    Delete { at: usize, len: usize },
    Replace { at: usize, with: char },
    Insert { at: usize, text: String },
    Truncate { at: usize },
}

#[derive(Debug, Clone)]
enum Garble {
    /// Structured edits of the page, then character edits of its text.
    Edited(Vec<Edit>, Vec<Chars>),
    /// Random JSON-like text.
    Random(String),
    /// Random JSON-like text as the page's list of values.
    RandomValues(String),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        4 => (0usize..5, prop::option::of(0usize..4), 0usize..6, 0usize..1000).prop_map(
            |(item, entry, field, with)| Edit::Field { item, entry, field, with }
        ),
        1 => (0usize..5, prop::option::of(0usize..4))
            .prop_map(|(item, entry)| Edit::Remove { item, entry }),
        1 => (0usize..3, 0usize..1000).prop_map(|(field, with)| Edit::Top { field, with }),
    ]
}

fn chars() -> impl Strategy<Value = Chars> {
    prop_oneof![
        (any::<usize>(), 1usize..8).prop_map(|(at, len)| Chars::Delete { at, len }),
        (
            any::<usize>(),
            prop_oneof![
                any::<char>(),
                prop::sample::select(
                    &['{', '}', '[', ']', '"', ',', ':', '0', '-', '.', 'e', ' '][..]
                )
            ]
        )
            .prop_map(|(at, with)| Chars::Replace { at, with }),
        (any::<usize>(), "[{}\\[\\]\":,0-9.eE+ntrufalsTKMX -]{1,6}")
            .prop_map(|(at, text)| Chars::Insert { at, text }),
        any::<usize>().prop_map(|at| Chars::Truncate { at }),
    ]
}

fn garble() -> impl Strategy<Value = Garble> {
    const JSONISH: &str = "[{}\\[\\]\":,0-9.eE+ntrufalsTKMXkpimuncodyegvN -]{0,200}";
    prop_oneof![
        4 => prop::collection::vec(edit(), 1..4).prop_map(|e| Garble::Edited(e, Vec::new())),
        4 => (prop::collection::vec(edit(), 0..3), prop::collection::vec(chars(), 1..3))
            .prop_map(|(e, c)| Garble::Edited(e, c)),
        1 => JSONISH.prop_map(Garble::Random),
        1 => JSONISH.prop_map(Garble::RandomValues),
    ]
}

fn apply_edit(page: &mut Value, e: &Edit) {
    let with = |i: usize| {
        let r = replacements();
        r[i % r.len()].clone()
    };
    match e {
        Edit::Field {
            item,
            entry,
            field,
            with: w,
        } => {
            let Some(items) = page["values"].as_array_mut() else {
                return;
            };
            if items.is_empty() {
                return;
            }
            let n = items.len();
            let it = &mut items[item % n];
            if !it.is_object() {
                return;
            }
            let target = match entry {
                None => Some((it, ITEM_FIELDS[*field])),
                Some(j) => it["values"]
                    .as_array_mut()
                    .filter(|l| !l.is_empty())
                    .map(|l| {
                        let n = l.len();
                        (&mut l[j % n], ENTRY_FIELDS[*field])
                    }),
            };
            if let Some((obj, name)) = target {
                if obj.is_object() {
                    obj[name] = with(*w);
                }
            }
        }
        Edit::Remove { item, entry } => {
            let Some(items) = page["values"].as_array_mut() else {
                return;
            };
            if items.is_empty() {
                return;
            }
            let i = item % items.len();
            match entry {
                None => {
                    items.remove(i);
                }
                Some(j) => {
                    if let Some(l) = items[i].get_mut("values").and_then(Value::as_array_mut) {
                        if !l.is_empty() {
                            let n = l.len();
                            l.remove(j % n);
                        }
                    }
                }
            }
        }
        Edit::Top { field, with: w } => {
            page[["values", "next_url", "count"][*field]] = with(*w);
        }
    }
}

fn apply_chars(text: &str, c: &Chars) -> String {
    let mut cs: Vec<char> = text.chars().collect();
    let n = cs.len();
    match c {
        Chars::Delete { at, len } => {
            if n > 0 {
                let a = at % n;
                cs.drain(a..(a + len).min(n));
            }
        }
        Chars::Replace { at, with } => {
            if n > 0 {
                cs[at % n] = *with;
            }
        }
        Chars::Insert { at, text } => {
            let a = at % (n + 1);
            cs.splice(a..a, text.chars());
        }
        Chars::Truncate { at } => cs.truncate(at % (n + 1)),
    }
    cs.into_iter().collect()
}

fn render(g: &Garble) -> String {
    match g {
        Garble::Edited(edits, chars) => {
            let mut page = valid_page();
            for e in edits {
                apply_edit(&mut page, e);
            }
            let mut text = if edits.len() % 2 == 0 {
                page.to_string()
            } else {
                serde_json::to_string_pretty(&page).unwrap()
            };
            for c in chars {
                text = apply_chars(&text, c);
            }
            text
        }
        Garble::Random(t) => t.clone(),
        Garble::RandomValues(t) => {
            format!("{{\"count\": 1, \"next_url\": null, \"values\": [{t}]}}")
        }
    }
}

/// A page too deep for `serde_json::Value` (nesting beyond 128 in a field that is not
/// read) can still have been imported: the importer's fast path skips unknown fields
/// without a depth limit (and without recursion). Read what it reads, the same way.
fn fast_reading(text: &str) -> Value {
    #[derive(serde::Deserialize)]
    struct Page {
        values: Vec<Item>,
    }
    #[derive(serde::Deserialize)]
    struct Item {
        kpi: String,
        municipality: String,
        period: Value,
        values: Vec<Entry>,
    }
    #[derive(serde::Deserialize)]
    struct Entry {
        gender: String,
        #[serde(default)]
        value: Option<f64>,
        #[serde(default)]
        status: Option<String>,
        #[serde(default)]
        isdeleted: Option<Value>,
    }
    let page: Page = serde_json::from_str(text).expect("an imported page is JSON");
    let items: Vec<Value> = page
        .values
        .into_iter()
        .map(|i| {
            let entries: Vec<Value> = i
                .values
                .into_iter()
                .map(|e| json!({"gender": e.gender, "value": e.value, "status": e.status, "isdeleted": e.isdeleted}))
                .collect();
            json!({"kpi": i.kpi, "municipality": i.municipality, "period": i.period, "values": entries})
        })
        .collect();
    json!({ "values": items })
}

type Row = (String, String, i64, String, Option<f64>, String);
/// KPI, municipality, year, gender.
type Key = (String, String, i64, String);

/// What a page that imported cleanly holds, read independently of the importer: every
/// value of every data item of a municipality (not a group), in order, a withdrawn one
/// (`isdeleted`) removing what came before.
fn expected_rows(text: &str) -> Vec<Row> {
    let page: Value = serde_json::from_str(text).unwrap_or_else(|_| fast_reading(text));
    let mut rows: BTreeMap<Key, (Option<f64>, String)> = BTreeMap::new();
    for item in page["values"].as_array().into_iter().flatten() {
        if item.get("kpi").is_none() || item.get("period").is_none() {
            continue; // not a data item (a metadata page)
        }
        let Some(place) = item["municipality"]
            .as_str()
            .and_then(MunicipalityId::parse)
        else {
            continue; // a municipality group's values: skipped
        };
        let kpi = KpiId::parse(item["kpi"].as_str().unwrap()).unwrap();
        let year = match &item["period"] {
            Value::Number(n) => n.as_i64().unwrap(),
            Value::String(s) => s.trim().parse().unwrap(),
            other => panic!("period {other}"),
        };
        for e in item["values"].as_array().unwrap() {
            let gender = Gender::parse(e["gender"].as_str().unwrap()).unwrap();
            let key = (
                kpi.as_str().to_string(),
                place.as_str().to_string(),
                year,
                gender.code().to_string(),
            );
            let deleted = matches!(e.get("isdeleted"), Some(Value::Bool(true)))
                || e.get("isdeleted").and_then(Value::as_u64) == Some(1);
            if deleted {
                rows.remove(&key);
            } else {
                let value = e
                    .get("value")
                    .and_then(Value::as_f64)
                    .filter(|v| v.is_finite());
                let status = e.get("status").and_then(Value::as_str).unwrap_or("");
                rows.insert(key, (value, status.to_string()));
            }
        }
    }
    rows.into_iter()
        .map(|((k, m, y, g), (v, s))| (k, m, y, g, v, s))
        .collect()
}

async fn rows(store: &Store) -> Vec<Row> {
    sqlx::query_as(
        "SELECT kpi, municipality, year, gender, value, status FROM kolada_values ORDER BY kpi, municipality, year, gender",
    )
    .fetch_all(store.pool())
    .await
    .unwrap()
}

/// Imports `text` as the one page of a directory; checks all-or-nothing.
async fn check(store: &Store, dir: &std::path::Path, text: &str) -> Result<(), TestCaseError> {
    // Each case starts from no values (test bookkeeping, not an import).
    sqlx::query("DELETE FROM kolada_values")
        .execute(store.pool())
        .await
        .unwrap();
    std::fs::write(dir.join("page.json"), text).unwrap();
    let version = store.data_version().await.unwrap();
    let result = import_kolada(
        store,
        &Source::Dir(dir.to_path_buf()),
        &FetchPlan::everything(),
        &ClientOptions::default(),
        "test",
        &Progress::default(),
    )
    .await;
    let after = rows(store).await;
    match result {
        Ok(summary) => {
            let expected = expected_rows(text);
            prop_assert_eq!(&after, &expected, "everything the page holds, and no more");
            let count = store.kolada_value_count().await.unwrap();
            prop_assert_eq!(count.0, expected.len() as i64);
            prop_assert_eq!(
                count.1,
                expected.iter().filter(|r| r.4.is_none()).count() as i64
            );
            prop_assert!(summary.values >= expected.len() as u64);
            let now = store.data_version().await.unwrap();
            prop_assert!(now >= version);
            if !expected.is_empty() {
                prop_assert!(now > version, "a committed import moves the data version");
            }
        }
        Err(report) => {
            for e in &report.errors {
                prop_assert!(
                    !e.message.contains("panic"),
                    "the page reader panicked: {}",
                    e
                );
            }
            check_refusal(&report, &dir.join("page.json").display().to_string())?;
            prop_assert!(after.is_empty(), "nothing kept: {:?}", after);
            prop_assert_eq!(store.kolada_value_count().await.unwrap(), (0, 0));
            prop_assert_eq!(store.data_version().await.unwrap(), version);
        }
    }
    Ok(())
}

fn temp_dir() -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!(
        "uppsikt-kolada-garbled-{}-{nanos}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn the_valid_page_imports_all_its_values() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let db = TestDb::sqlite().await;
        let dir = temp_dir();
        let text = valid_page().to_string();
        assert_eq!(expected_rows(&text).len(), 12);
        check(&db.store, &dir, &text).await.unwrap();
        assert_eq!(db.store.kolada_value_count().await.unwrap(), (12, 1));
        std::fs::remove_dir_all(&dir).unwrap();
        db.finish().await;
    });
}

#[test]
fn a_garbled_page_never_panics_and_is_imported_whole_or_not_at_all() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = rt.block_on(TestDb::sqlite());
    let dir = temp_dir();
    let mut runner = TestRunner::new(Config {
        cases: 128,
        failure_persistence: None,
        ..Config::default()
    });
    let (ok, failed) = (Cell::new(0u32), Cell::new(0u32));
    let result = runner.run(&garble(), |g| {
        let text = render(&g);
        rt.block_on(async {
            let before = db.store.data_version().await.unwrap();
            check(&db.store, &dir, &text).await?;
            if db.store.data_version().await.unwrap() == before
                && db.store.kolada_value_count().await.unwrap().0 == 0
            {
                failed.set(failed.get() + 1);
            } else {
                ok.set(ok.get() + 1);
            }
            Ok(())
        })
    });
    std::fs::remove_dir_all(&dir).unwrap();
    rt.block_on(db.finish());
    if let Err(e) = result {
        panic!("{e}");
    }
    eprintln!(
        "Kolada garbled page imported alone: {} inputs tried ({} imported, {} refused or empty)",
        ok.get() + failed.get(),
        ok.get(),
        failed.get()
    );
}

// --- the page reader alone: many more inputs --------------------------------------------

/// What `read_page` may answer: the page's counts, or a well-formed refusal.
fn check_read(text: &[u8]) -> Result<(), TestCaseError> {
    match read_page("garbled.json", text) {
        Ok(_) => Ok(()),
        Err(report) => check_refusal(&report, "garbled.json"),
    }
}

#[test]
fn arbitrary_bytes_never_panic_the_page_reader() {
    property(
        "Kolada page reader: random bytes",
        1_000,
        prop::collection::vec(any::<u8>(), 0..600),
        |bytes| check_read(&bytes),
    );
}

#[test]
fn garbled_data_pages_never_panic_the_page_reader() {
    property(
        "Kolada page reader: garbled data page",
        1_500,
        garble(),
        |g| check_read(render(&g).as_bytes()),
    );
}

/// The demo's metadata pages: KPIs, municipalities and municipality groups.
fn metadata_pages() -> Vec<Value> {
    uppsikt_import::kolada::DEMO_KOLADA
        .iter()
        .filter(|(name, _)| !name.ends_with("data.json"))
        .map(|(_, text)| serde_json::from_str(text).unwrap())
        .collect()
}

/// Every place in a JSON value, as a JSON pointer.
fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, c) in m {
                let p = format!("{at}/{k}");
                out.push(p.clone());
                pointers(c, p, out);
            }
        }
        Value::Array(a) => {
            for (i, c) in a.iter().enumerate() {
                let p = format!("{at}/{i}");
                out.push(p.clone());
                pointers(c, p, out);
            }
        }
        _ => {}
    }
}

#[test]
fn garbled_metadata_pages_never_panic_the_page_reader() {
    // A KPI, municipality or group page with up to three of its places (any field, item
    // or member) given another JSON value, then perhaps its text cut or changed.
    let pages = metadata_pages();
    let places: Vec<Vec<String>> = pages
        .iter()
        .map(|p| {
            let mut out = Vec::new();
            pointers(p, String::new(), &mut out);
            out
        })
        .collect();
    let strategy = (
        0..pages.len(),
        prop::collection::vec((any::<usize>(), 0usize..1000), 1..4),
        prop::collection::vec(chars(), 0..2),
    );
    property(
        "Kolada page reader: garbled metadata page",
        1_000,
        strategy,
        |(which, edits, char_edits)| {
            let mut page = pages[which].clone();
            for (at, with) in edits {
                let list = &places[which];
                if let Some(slot) = page.pointer_mut(&list[at % list.len()]) {
                    let r = replacements();
                    *slot = r[with % r.len()].clone();
                }
            }
            let mut text = page.to_string();
            for c in &char_edits {
                text = apply_chars(&text, c);
            }
            check_read(text.as_bytes())
        },
    );
}

#[test]
fn a_huge_or_deep_page_is_refused_with_a_bounded_report() {
    // Pages fetched from the API are capped (`ClientOptions::max_page_bytes`, 64 MB, while
    // streaming); saved pages are read whole. Either way a page can no longer multiply its
    // size in errors: 500 are listed, the rest counted.
    let items = |item: &str, n: usize| {
        let mut t = String::from("{\"values\": [");
        for i in 0..n {
            if i > 0 {
                t.push(',');
            }
            t.push_str(item);
        }
        t.push_str("]}");
        t
    };
    let long_status = format!(
        "{{\"values\": [{{\"kpi\": \"N00901\", \"municipality\": \"0126\", \"period\": 2019, \"values\": [{{\"gender\": \"T\", \"value\": 1, \"status\": \"{}\"}}]}}]}}",
        "\\u202e".repeat(1_000_000)
    );
    let cases = [
        items("{}", 1_000_000),
        items("1", 1_000_000),
        items(
            r#"{"kpi": "N00901", "municipality": "0126", "period": 2019, "values": [{"gender": "X", "value": 1}]}"#,
            100_000,
        ),
        long_status,
        format!(
            "{{\"values\": {}{}}}",
            "[".repeat(100_000),
            "]".repeat(100_000)
        ),
    ];
    // A field nobody reads, nested a million deep: skipped without recursion.
    let deep_extra = format!(
        "{{\"values\": [{{\"kpi\": \"N00901\", \"municipality\": \"0126\", \"period\": 2019, \"extra\": {}{}, \"values\": [{{\"gender\": \"T\", \"value\": 1}}]}}]}}",
        "[".repeat(1_000_000),
        "]".repeat(1_000_000)
    );
    assert_eq!(
        read_page("deep.json", deep_extra.as_bytes())
            .unwrap()
            .values,
        1
    );
    for text in cases {
        let report = read_page("huge.json", text.as_bytes()).expect_err("refused");
        check_refusal(&report, "huge.json").unwrap();
        assert!(report.errors.len() <= 501, "{}", report.errors.len());
    }
}

// --- all or nothing, on both backends, into the demo -----------------------------------

/// What must not change when an import is refused.
#[derive(Debug, PartialEq)]
struct Snapshot {
    version: i64,
    counts: Counts,
    values: Vec<Row>,
    groups: Vec<(String, Vec<String>)>,
    outcomes: Vec<(String, String, String, f64)>,
}

async fn snapshot(store: &Store) -> Snapshot {
    let records = store.indicator_records(Scope::All).await.unwrap();
    Snapshot {
        version: store.data_version().await.unwrap(),
        counts: store.counts().await.unwrap(),
        values: rows(store).await,
        groups: store
            .comparison_groups()
            .await
            .unwrap()
            .into_iter()
            .map(|g| (g.key, g.members.iter().map(|m| m.to_string()).collect()))
            .collect(),
        outcomes: records
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

/// A good data page that changes the demo: Huddinge's and a neighbour's tax rate for
/// 2020 (the demo's linked indicator takes Huddinge's as an outcome).
fn good_page() -> Value {
    let e = |g: &str, v: f64| json!({"gender": g, "value": v, "status": ""});
    json!({"count": 2, "next_url": null, "values": [
        {"kpi": "N00901", "municipality": "0126", "period": 2020, "values": [e("T", 20.12)]},
        {"kpi": "N00901", "municipality": "0127", "period": 2020, "values": [e("T", 19.5)]}
    ]})
}

#[test]
fn a_garbled_page_between_good_ones_leaves_the_demo_as_it_was_on_either_backend() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dbs = rt.block_on(TestDb::all());
    let kpis = uppsikt_import::kolada::DEMO_KOLADA[0].1;
    for db in &dbs {
        rt.block_on(load_demo_data(&db.store, "test"))
            .unwrap_or_else(|r| panic!("{r}"));
        let dir = temp_dir();
        // Read in name order: the good page is written before the garbled one is read.
        std::fs::write(dir.join("01-good.json"), good_page().to_string()).unwrap();
        std::fs::write(dir.join("03-kpi.json"), kpis).unwrap();
        let garbled_name = dir.join("02-garbled.json");
        let (imported, refused) = (Cell::new(0u32), Cell::new(0u32));
        property(
            &format!(
                "Kolada garbled page between good ones on {:?}",
                db.backend()
            ),
            80,
            garble(),
            |g| {
                std::fs::write(&garbled_name, render(&g)).unwrap();
                rt.block_on(async {
                    let before = snapshot(&db.store).await;
                    let result = import_kolada(
                        &db.store,
                        &Source::Dir(dir.clone()),
                        &FetchPlan::everything(),
                        &ClientOptions::default(),
                        "test",
                        &Progress::default(),
                    )
                    .await;
                    match result {
                        Ok(_) => {
                            imported.set(imported.get() + 1);
                            let now = rows(&db.store).await;
                            for r in expected_rows(&good_page().to_string()) {
                                // Unless the garbled page withdrew or rewrote it.
                                let key = (&r.0, &r.1, r.2, &r.3);
                                let same_key = now.iter().any(|n| (&n.0, &n.1, n.2, &n.3) == key);
                                prop_assert!(
                                    same_key || render(&g).contains("isdeleted"),
                                    "{:?} kept",
                                    r
                                );
                            }
                        }
                        Err(report) => {
                            refused.set(refused.get() + 1);
                            check_refusal(&report, &garbled_name.display().to_string())?;
                            prop_assert_eq!(&snapshot(&db.store).await, &before);
                        }
                    }
                    Ok(())
                })
            },
        );
        eprintln!("  ({} imported, {} refused)", imported.get(), refused.get());
        std::fs::remove_dir_all(&dir).unwrap();
    }
    for db in dbs {
        rt.block_on(db.finish());
    }
}
