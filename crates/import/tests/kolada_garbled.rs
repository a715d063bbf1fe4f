//! Whatever a saved Kolada page holds, `import_kolada` answers without panicking and
//! keeps all of it or none of it: a valid data page, changed at random (fields given other
//! JSON values, characters deleted, replaced or inserted, the page cut short, or replaced
//! by random JSON-like text), is imported from a directory; if the import succeeds the
//! database holds exactly the values the page holds (an independent reading of the page),
//! and if it fails it holds what it held before and the data version has not moved.
//! SQLite only: the all-or-nothing path is the same on every backend, and
//! `kolada_client.rs` runs it on both.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::path::PathBuf;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{json, Value};
use uppsikt_domain::kolada::{Gender, KpiId, MunicipalityId};
use uppsikt_import::kolada::{import_kolada, ClientOptions, FetchPlan, Source};
use uppsikt_import::Progress;
use uppsikt_store::testing::TestDb;
use uppsikt_store::Store;

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

/// JSON values a field may be given instead of its own.
fn replacements() -> Vec<Value> {
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
        json!(1899),
        json!(3000),
        json!(1e300),
        json!(-0.0),
        json!(u64::MAX),
        json!(""),
        json!(" "),
        json!("abc"),
        json!("19,87"),
        json!("2019"),
        json!(" 2019 "),
        json!("T"),
        json!("K"),
        json!("X"),
        json!("t"),
        json!(" M "),
        json!("0126"),
        json!("0126 "),
        json!("126"),
        json!("G100001"),
        json!("N00901"),
        json!("n00901"),
        json!("B"),
        json!([]),
        json!({}),
        json!([1, 2]),
        json!({"gender": "T"}),
        json!("ä".repeat(2_001)),
    ]
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
        4 => (0usize..5, prop::option::of(0usize..4), 0usize..6, 0usize..64).prop_map(
            |(item, entry, field, with)| Edit::Field { item, entry, field, with }
        ),
        1 => (0usize..5, prop::option::of(0usize..4))
            .prop_map(|(item, entry)| Edit::Remove { item, entry }),
        1 => (0usize..3, 0usize..64).prop_map(|(field, with)| Edit::Top { field, with }),
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

type Row = (String, String, i64, String, Option<f64>, String);
/// KPI, municipality, year, gender.
type Key = (String, String, i64, String);

/// What a page that imported cleanly holds, read independently of the importer: every
/// value of every data item of a municipality (not a group), in order, a withdrawn one
/// (`isdeleted`) removing what came before.
fn expected_rows(text: &str) -> Vec<Row> {
    let page: Value = serde_json::from_str(text).expect("an imported page is JSON");
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
            prop_assert!(!report.cancelled);
            prop_assert!(!report.errors.is_empty());
            for e in &report.errors {
                prop_assert!(!e.message.is_empty());
                prop_assert!(
                    !e.message.contains("panic"),
                    "the page reader panicked: {}",
                    e
                );
            }
            let _ = report.to_string();
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
        "{} garbled pages imported, {} refused or empty",
        ok.get(),
        failed.get()
    );
}
