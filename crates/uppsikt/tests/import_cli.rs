//! `uppsikt import kolada` and `uppsikt import outcomes`: what they print, that a bad input
//! or Ctrl+C keeps nothing, and that `--dry-run` only checks.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use uppsikt_store::Store;

fn uppsikt(args: &[&str]) -> Output {
    command(args).output().expect("run uppsikt")
}

/// `uppsikt --database-url URL import WHAT ARGS…`
fn import(url: &str, what: &str, args: &[&str]) -> Output {
    let mut all = vec!["--database-url", url, "import", what];
    all.extend_from_slice(args);
    uppsikt(&all)
}

fn command(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_uppsikt"));
    c.args(args)
        .env_remove("UPPSIKT_DATABASE_URL")
        .env_remove("UPPSIKT_ADDR")
        .env("RUST_LOG", "warn");
    c
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn ok(o: &Output) {
    assert!(o.status.success(), "{}\n{}", stdout(o), stderr(o));
}

/// A fresh directory with a database URL in it.
fn temp_dir(name: &str) -> (PathBuf, String) {
    let dir =
        std::env::temp_dir().join(format!("uppsikt-import-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("db.sqlite").display());
    (dir, url)
}

fn demo_kolada() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../demo/kolada")
}

async fn raw_values(url: &str) -> i64 {
    let store = Store::open(url).await.unwrap();
    let (values, _) = store.kolada_value_count().await.unwrap();
    store.close().await;
    values
}

#[tokio::test]
async fn kolada_pages_are_imported_from_a_directory_with_the_source_named() {
    let (dir, url) = temp_dir("kolada");
    ok(&uppsikt(&["--database-url", &url, "migrate"]));
    let o = import(&url, "kolada", &["--from", demo_kolada().to_str().unwrap()]);
    ok(&o);
    let out = stdout(&o);
    assert!(out.contains("Källa: Kolada (RKA)"), "{out}");
    assert!(out.contains("4 sidor"), "{out}");
    // 26 municipalities × 3 years; the tax rate has a total only.
    assert_eq!(raw_values(&url).await, 26 * 3);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_bad_kolada_page_is_named_by_its_json_path_and_nothing_is_kept() {
    let (dir, url) = temp_dir("kolada-bad");
    ok(&uppsikt(&["--database-url", &url, "migrate"]));
    let pages = dir.join("pages");
    std::fs::create_dir_all(&pages).unwrap();
    for entry in std::fs::read_dir(demo_kolada()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            std::fs::copy(&path, pages.join(path.file_name().unwrap())).unwrap();
        }
    }
    std::fs::write(
        pages.join("zz-bad.json"),
        r#"{"count": 1, "next_url": null, "values": [{"kpi": "N00901", "municipality": "0126", "period": 2020, "values": [{"gender": "X", "value": 19.87}]}]}"#,
    )
    .unwrap();
    let o = import(&url, "kolada", &["--from", pages.to_str().unwrap()]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(err.contains("Ingenting importerades"), "{err}");
    assert!(
        err.contains("zz-bad.json: values[0].values[0].gender"),
        "{err}"
    );
    assert_eq!(
        raw_values(&url).await,
        0,
        "the valid pages are not kept either"
    );
    let wrong_kpi = import(
        &url,
        "kolada",
        &["--from", pages.to_str().unwrap(), "--kpi", "skattesats"],
    );
    assert!(!wrong_kpi.status.success());
    assert!(
        stderr(&wrong_kpi).contains("skattesats"),
        "{}",
        stderr(&wrong_kpi)
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn ctrl_c_cancels_a_kolada_import_and_keeps_nothing() {
    let (dir, url) = temp_dir("kolada-cancel");
    ok(&uppsikt(&["--database-url", &url, "migrate"]));
    let pages = dir.join("pages");
    ok(&uppsikt(&[
        "bench",
        "kolada-pages",
        "--values",
        "3000000",
        "--out",
        pages.to_str().unwrap(),
    ]));
    let mut child = command(&[
        "--database-url",
        &url,
        "import",
        "kolada",
        "--from",
        pages.to_str().unwrap(),
    ])
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    // Wait until the import writes (its transaction's pages spill into the WAL).
    let wal = dir.join("db.sqlite-wal");
    let started = Instant::now();
    while std::fs::metadata(&wal).map_or(0, |m| m.len()) < 8 * 1024 * 1024 {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the import ended before it could be interrupted"
        );
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no writing seen"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let interrupted = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    let o = child.wait_with_output().unwrap();
    assert!(!o.status.success(), "{}", stdout(&o));
    assert!(
        stderr(&o).contains("Importen avbröts. Ingenting sparades."),
        "{}",
        stderr(&o)
    );
    assert_eq!(raw_values(&url).await, 0);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn outcomes_are_checked_row_by_row_then_imported_all_or_nothing() {
    let (dir, url) = temp_dir("outcomes");
    ok(&uppsikt(&["--database-url", &url, "demo", "--no-serve"]));
    let store = Store::open(&url).await.unwrap();
    let before = store.data_version().await.unwrap();
    let file = dir.join("utfall.csv");
    // Row 3: a percentage above 100; row 4: no number; row 5: an unknown indicator.
    std::fs::write(
        &file,
        "Mått;Period;Uppdelning;Värde\n\
         kf-trygg-utomhus;2024;Totalt;64,5\n\
         kf-trygg-utomhus;2024;Kvinnor;164,5\n\
         kf-trygg-utomhus;2024;Män;sextio\n\
         Trygghet på månen;2024;;12\n",
    )
    .unwrap();
    let refused = import(&url, "outcomes", &[file.to_str().unwrap()]);
    assert!(!refused.status.success());
    let err = stderr(&refused);
    assert!(
        err.contains("Filen har 3 fel; ingenting har sparats."),
        "{err}"
    );
    for row in ["rad 3", "rad 4", "rad 5"] {
        assert!(err.contains(row), "{row}: {err}");
    }
    assert!(err.contains("Trygghet på månen"), "{err}");
    assert_eq!(store.data_version().await.unwrap(), before);

    std::fs::write(
        &file,
        "Mått;År;Kön;Utfall\n\
         kf-trygg-utomhus;2024;Totalt;64,5\n\
         kf-trygg-utomhus;2024;Kvinnor;60,1\n",
    )
    .unwrap();
    let checked = import(&url, "outcomes", &[file.to_str().unwrap(), "--dry-run"]);
    ok(&checked);
    let out = stdout(&checked);
    assert!(
        out.contains("2 nya utfall, 0 ändrade, 0 oförändrade."),
        "{out}"
    );
    assert!(out.contains("ingenting sparades"), "{out}");
    assert_eq!(store.data_version().await.unwrap(), before);

    let imported = import(&url, "outcomes", &[file.to_str().unwrap()]);
    ok(&imported);
    assert!(
        stdout(&imported).contains("2 nya utfall"),
        "{}",
        stdout(&imported)
    );
    assert!(store.data_version().await.unwrap() > before);
    let again = import(&url, "outcomes", &[file.to_str().unwrap()]);
    ok(&again);
    assert!(
        stdout(&again).contains("0 nya utfall, 0 ändrade, 2 oförändrade."),
        "{}",
        stdout(&again)
    );
    store.close().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_column_choice_names_a_field_and_a_column_that_exist() {
    let (dir, url) = temp_dir("outcomes-columns");
    ok(&uppsikt(&["--database-url", &url, "migrate"]));
    let file = dir.join("utfall.csv");
    std::fs::write(&file, "A;B;C\nx;2024;1\n").unwrap();
    let bad_field = import(
        &url,
        "outcomes",
        &[file.to_str().unwrap(), "--column", "färg=A"],
    );
    assert!(!bad_field.status.success());
    assert!(
        stderr(&bad_field).contains("FÄLT=KOLUMN"),
        "{}",
        stderr(&bad_field)
    );
    let bad_column = import(
        &url,
        "outcomes",
        &[file.to_str().unwrap(), "--column", "värde=Q"],
    );
    assert!(!bad_column.status.success());
    assert!(
        stderr(&bad_column).contains("Det finns ingen kolumn ”Q”"),
        "{}",
        stderr(&bad_column)
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn import_sie_reads_a_ledger_file_and_a_bad_one_keeps_nothing() {
    let (dir, url) = temp_dir("sie");
    let org = dir.join("org.toml");
    std::fs::write(
        &org,
        "format = \"uppsikt/1\"\n\n[[org_units]]\nkey = \"ks\"\nname = \"Kommunstyrelsen\"\nshort_name = \"KS\"\nkind = \"styrelse\"\n\n[[org_units]]\nkey = \"eko\"\nname = \"Ekonomiavdelningen\"\nshort_name = \"EKO\"\nkind = \"avdelning\"\nparent = \"ks\"\n\n[[cost_types]]\ncode = \"personal\"\nname = \"Personalkostnader\"\ngroup = \"personal\"\nranges = [\"5000-5999\"]\n\n[[ledger_units]]\nobject = \"A00001\"\norg = \"eko\"\n",
    )
    .unwrap();
    ok(&import(&url, "data", &[org.to_str().unwrap()]));
    // A synthetic file of one unit: its accounts 3000-3099 are not mapped.
    let file = dir.join("bok.se");
    let mut bytes = Vec::new();
    uppsikt_import::sie::write_synthetic(&mut bytes, 1, 2, 12, 2024).unwrap();
    std::fs::write(&file, &bytes).unwrap();
    let o = uppsikt(&[
        "--database-url",
        &url,
        "import-sie",
        file.to_str().unwrap(),
        "--unit",
        "ks",
    ]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("rad ") && stderr(&o).contains("hör inte till något kostnadsslag"),
        "{}",
        stderr(&o)
    );
    // Accounts of class 5 only: all mapped.
    let text = "#FORMAT PC8\r\n#SIETYP 4\r\n#RAR 0 20240101 20241231\r\n#PSALDO 0 202401 5010 {1 \"A00001\"} 100.00\r\n#PBUDGET 0 202401 5010 {1 \"A00001\"} 120.00\r\n";
    std::fs::write(&file, text).unwrap();
    let o = import(&url, "sie", &[file.to_str().unwrap(), "--unit", "ks"]);
    ok(&o);
    assert!(
        stdout(&o).contains("2 budget- och utfallsrader för 2024"),
        "{}",
        stdout(&o)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
