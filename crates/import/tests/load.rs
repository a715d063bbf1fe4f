//! Loading is all-or-nothing: a failed load leaves the database exactly as it was
//! (counts, change log and data version), whether the fault is found while parsing,
//! while resolving references, or by the database in the middle of the transaction.

use std::path::{Path, PathBuf};

use uppsikt_domain::messages::{self, Referent};
use uppsikt_domain::Period;
use uppsikt_import::{demo_files, import_files, load, parse_str, ImportReport};
use uppsikt_store::testing::TestDb;
use uppsikt_store::{Counts, Scope, Store};

fn demo() -> Vec<PathBuf> {
    demo_files(Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../demo"
    )))
}

/// What must not change when a load fails.
#[derive(Debug, PartialEq)]
struct Snapshot {
    version: i64,
    counts: Counts,
    org_units: Vec<(String, String)>,
    values: Vec<(String, Period, f64)>,
}

async fn snapshot(store: &Store) -> Snapshot {
    let records = store.indicator_records(Scope::All).await.unwrap();
    Snapshot {
        version: store.data_version().await.unwrap(),
        counts: store.counts().await.unwrap(),
        org_units: store
            .org_units()
            .await
            .unwrap()
            .into_iter()
            .map(|u| (u.key, u.short_name))
            .collect(),
        values: records
            .iter()
            .flat_map(|r| {
                r.outcomes
                    .iter()
                    .map(|o| (r.indicator.key.clone(), o.period, o.value))
            })
            .collect(),
    }
}

async fn load_text(store: &Store, text: &str) -> Result<uppsikt_import::Summary, ImportReport> {
    let data = parse_str("bad.toml", text)?;
    load(store, &data, "test", uppsikt_store::ChangeSource::Cli).await
}

fn header() -> &'static str {
    "format = \"uppsikt/1\"\n"
}

/// Documents that parse but refer to what exists neither in them nor in the database
/// (which holds huddinge.toml), with the location of the error.
fn invalid_reference_documents() -> Vec<(String, &'static str, String)> {
    let goal = "[[goals]]\nkey = \"ny\"\norg = \"ks\"\ntitle = \"Nytt mål\"\n";
    vec![
        (
            format!("{}{goal}[[goals]]\nkey = \"ny2\"\norg = \"saknas\"\ntitle = \"X\"\n", header()),
            "goals[1].org",
            messages::unknown_reference(Referent::OrgUnit, "saknas"),
        ),
        (
            format!("{}{goal}[[indicators]]\nkey = \"i\"\ngoal = \"inget-mal\"\nname = \"I\"\nunit = \"antal\"\ndirection = \"higher\"\noutcomes = [{{ period = \"2019\", value = 1 }}]\n", header()),
            "indicators[0].goal",
            messages::unknown_reference(Referent::Goal, "inget-mal"),
        ),
        (
            format!("{}{goal}[[commitments]]\nkey = \"c\"\ngoal = \"ny\"\ntitle = \"C\"\nyear = 2020\ncarried_over_from = \"c-2019\"\n", header()),
            "commitments[0].carried_over_from",
            messages::unknown_reference(Referent::Commitment, "c-2019"),
        ),
        (
            format!("{}{goal}[[assessments]]\norg = \"ks\"\ngoal = \"annat\"\nperiod = \"2019\"\nlevel = \"God\"\n", header()),
            "assessments[0].goal",
            messages::unknown_reference(Referent::Goal, "annat"),
        ),
        (
            // kf is in the database under huddinge; making huddinge a child of kf is a cycle.
            format!("{}[[org_units]]\nkey = \"huddinge\"\nname = \"H\"\nshort_name = \"Huddinge\"\nkind = \"kommun\"\nparent = \"kf\"\n", header()),
            "org_units[0].parent",
            messages::reference_cycle(Referent::OrgUnit, "huddinge"),
        ),
        (
            format!("{}{goal}[[assessments]]\norg = \"ks\"\ngoal = \"ny\"\nperiod = \"2019\"\nlevel = \"Uppfyllt\"\n", header()),
            "assessments[0].level",
            messages::unknown_level("Uppfyllt", &["Mycket god", "God", "Godtagbar", "Ej godtagbar"].map(String::from)),
        ),
        (
            format!("{}[[org_units]]\nkey = \"ny-enhet\"\nname = \"Ny\"\nshort_name = \"ks\"\nkind = \"enhet\"\nparent = \"ks\"\n", header()),
            "org_units[0].short_name",
            messages::short_name_taken("ks", "ks"),
        ),
    ]
}

#[tokio::test]
async fn a_load_with_an_invalid_reference_writes_nothing() {
    for db in TestDb::all().await {
        import_files(&db.store, &demo()[..1], "test")
            .await
            .unwrap_or_else(|r| panic!("{r}"));
        let before = snapshot(&db.store).await;
        for (doc, location, message) in invalid_reference_documents() {
            let report = load_text(&db.store, &doc).await.expect_err(location);
            assert_eq!(report.errors.len(), 1, "{report}");
            assert_eq!(
                (
                    report.errors[0].location.as_str(),
                    &report.errors[0].message
                ),
                (location, &message)
            );
            assert_eq!(report.errors[0].file, "bad.toml");
            assert_eq!(snapshot(&db.store).await, before, "after {location}");
        }
        db.finish().await;
    }
}

/// The demo file with one change, written to a temporary file beside copies of the rest.
fn demo_with(dir: &Path, file: &str, from: &str, to: &str) -> Vec<PathBuf> {
    std::fs::create_dir_all(dir).unwrap();
    demo()
        .into_iter()
        .map(|p| {
            let mut text = std::fs::read_to_string(&p).unwrap();
            if p.ends_with(file) {
                assert_eq!(text.matches(from).count(), 1, "{from:?}");
                text = text.replacen(from, to, 1);
            }
            let copy = dir.join(p.file_name().unwrap());
            std::fs::write(&copy, text).unwrap();
            copy
        })
        .collect()
}

async fn refused_and_unchanged(store: &Store, files: &[PathBuf], location: &str) {
    let before = snapshot(store).await;
    let report = import_files(store, files, "test")
        .await
        .expect_err("must be refused");
    assert_eq!(report.errors.len(), 1, "{report}");
    assert_eq!(report.errors[0].location, location, "{report}");
    assert!(report.errors[0].file.ends_with(".toml"));
    assert_eq!(snapshot(store).await, before, "{location}");
}

#[tokio::test]
async fn one_bad_row_among_many_leaves_the_database_exactly_as_it_was() {
    let tmp = std::env::temp_dir().join(format!("uppsikt-import-bad-{}", std::process::id()));
    for db in TestDb::all().await {
        eprintln!("bad rows on {:?}", db.backend());
        let store = &db.store;
        import_files(store, &demo(), "test")
            .await
            .unwrap_or_else(|r| panic!("{r}"));
        let dir = tmp.join(format!("{:?}", db.backend()));

        // Found while parsing: one outcome's period. The same file also changes values.
        let files = demo_with(
            &dir,
            "ks-2019.toml",
            "{ period = \"2019\", value = 51, margin = 9 }",
            "{ period = \"2019X\", value = 51, margin = 9 }",
        );
        refused_and_unchanged(store, &files, "indicators[23].outcomes[3].period").await;

        // Found while resolving: one commitment's goal.
        let files = demo_with(
            &dir,
            "ks-2019.toml",
            "key = \"ks-2019-vagtrafikplan\"\ngoal = \"ks-forbattrad-infrastruktur\"",
            "key = \"ks-2019-vagtrafikplan\"\ngoal = \"ks-finns-inte\"",
        );
        refused_and_unchanged(store, &files, "commitments[3].goal").await;

        // Found by the database halfway through the transaction: a new unit is written
        // first, then KF takes the short name KS still holds (UNIQUE). Everything written
        // before the failure must be rolled back.
        let swap = "[[org_units]]\nkey = \"kf\"\nname = \"Kommunfullmäktige\"\nshort_name = \"KF\"";
        let files = demo_with(
            &dir,
            "huddinge.toml",
            swap,
            "[[org_units]]\nkey = \"ny-enhet\"\nname = \"Ny enhet\"\nshort_name = \"NY\"\nkind = \"enhet\"\nparent = \"huddinge\"\n\n\
             [[org_units]]\nkey = \"kf\"\nname = \"Kommunfullmäktige\"\nshort_name = \"KS\"",
        );
        let files = {
            let text = std::fs::read_to_string(&files[0]).unwrap();
            let ks = "key = \"ks\"\nname = \"Kommunstyrelsen\"\nshort_name = \"KS\"";
            assert_eq!(text.matches(ks).count(), 1);
            std::fs::write(
                &files[0],
                text.replace(
                    ks,
                    "key = \"ks\"\nname = \"Kommunstyrelsen\"\nshort_name = \"KF\"",
                ),
            )
            .unwrap();
            files
        };
        let before = snapshot(store).await;
        let report = import_files(store, &files, "test")
            .await
            .expect_err("the database refuses");
        assert_eq!(report.errors.len(), 1, "{report}");
        assert_eq!(report.errors[0].location, "org_units[2]", "{report}");
        assert!(
            report.errors[0]
                .message
                .starts_with(&messages::import_database("")),
            "{report}"
        );
        assert_eq!(snapshot(store).await, before);
        assert!(
            store.find_org_unit("ny-enhet").await.is_err(),
            "the unit written first is rolled back"
        );
        db.finish().await;
    }
    let _ = std::fs::remove_dir_all(&tmp);
}

#[tokio::test]
async fn references_resolve_against_the_files_and_then_the_database() {
    for db in TestDb::all().await {
        let store = &db.store;
        import_files(store, &demo()[..1], "test")
            .await
            .unwrap_or_else(|r| panic!("{r}"));
        // Children before parents in the file; a commitment carried over from one defined later.
        let doc = format!(
            "{}[[goals]]\nkey = \"barn\"\norg = \"ks\"\nparent = \"mitten\"\ntitle = \"Barn\"\n\n\
             [[goals]]\nkey = \"mitten\"\norg = \"ks\"\nparent = \"bra-att-leva-och-bo\"\ntitle = \"Mitten\"\n\n\
             [[commitments]]\nkey = \"c-2020\"\ngoal = \"barn\"\ntitle = \"C\"\nyear = 2020\ncarried_over_from = \"c-2019\"\n\n\
             [[commitments]]\nkey = \"c-2019\"\ngoal = \"barn\"\ntitle = \"C\"\nyear = 2019\n\n\
             [[assessments]]\norg = \"ks\"\ngoal = \"barn\"\nperiod = \"2019\"\nlevel = \"ej GODTAGBAR\"\n",
            header()
        );
        for _ in 0..2 {
            let summary = load_text(store, &doc)
                .await
                .unwrap_or_else(|r| panic!("{r}"));
            assert_eq!(
                (summary.goals, summary.commitments, summary.assessments),
                (2, 2, 1)
            );
        }
        let goals = store.goals().await.unwrap();
        let id = |key: &str| goals.iter().find(|g| g.key == key).unwrap().id;
        let child = goals.iter().find(|g| g.key == "barn").unwrap();
        assert_eq!(child.parent_id, Some(id("mitten")));
        assert_eq!(
            goals.iter().find(|g| g.key == "mitten").unwrap().parent_id,
            Some(id("bra-att-leva-och-bo"))
        );
        let commitments = store.commitments(Scope::All).await.unwrap();
        let c2019 = commitments.iter().find(|c| c.key == "c-2019").unwrap();
        let c2020 = commitments.iter().find(|c| c.key == "c-2020").unwrap();
        assert_eq!(c2020.carried_over_from, Some(c2019.id));
        let assessments = store.assessments_of_goal(child.id).await.unwrap();
        assert_eq!(assessments.len(), 1, "re-import replaces");
        assert_eq!(
            assessments[0].level, "Ej godtagbar",
            "stored in the scale's spelling"
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn optional_numbers_may_be_missing_then_present_on_every_backend() {
    // A statement first run with a missing margin or average must still take a real one.
    let doc = format!(
        "{}[[org_units]]\nkey = \"k\"\nname = \"K\"\nshort_name = \"K\"\nkind = \"kommun\"\n\n\
         [[goals]]\nkey = \"g\"\norg = \"k\"\ntitle = \"G\"\n\n\
         [[indicators]]\nkey = \"a\"\ngoal = \"g\"\nname = \"A\"\nunit = \"index\"\ndirection = \"higher\"\n\
         outcomes = [{{ period = \"2019\", value = 1 }}]\ncomparisons = [{{ period = \"2019\", group = \"R\", rank = 1, of = 2 }}]\n\n\
         [[indicators]]\nkey = \"b\"\ngoal = \"g\"\nname = \"B\"\nunit = \"index\"\ndirection = \"higher\"\n\
         outcomes = [{{ period = \"2019\", value = 2, margin = 0.5 }}]\ncomparisons = [{{ period = \"2019\", group = \"R\", average = 1.5 }}]\n",
        header()
    );
    for db in TestDb::all().await {
        load_text(&db.store, &doc)
            .await
            .unwrap_or_else(|r| panic!("{:?}: {r}", db.backend()));
        let records = db.store.indicator_records(Scope::All).await.unwrap();
        assert_eq!(records[1].outcomes[0].margin, Some(0.5));
        assert_eq!(records[1].comparisons[0].average, Some(1.5));
        assert_eq!(records[0].outcomes[0].margin, None);
        db.finish().await;
    }
}

/// A bad margin basis is a row-level error in Swedish and nothing of the file is loaded;
/// good codes reach the store.
#[tokio::test]
async fn a_bad_margin_basis_refuses_the_whole_file() {
    let doc = |basis: &str| {
        format!(
            "{}[[org_units]]\nkey = \"k\"\nname = \"K\"\nshort_name = \"K\"\nkind = \"kommun\"\n\n\
             [[goals]]\nkey = \"g\"\norg = \"k\"\ntitle = \"G\"\n\n\
             [[indicators]]\nkey = \"a\"\ngoal = \"g\"\nname = \"A\"\nunit = \"index\"\ndirection = \"higher\"\n\
             margin_basis = \"{basis}\"\ntrend_window = \"series\"\n\
             outcomes = [{{ period = \"2019\", value = 47, sample_size = 480 }}]\n",
            header()
        )
    };
    for db in TestDb::all().await {
        let before = snapshot(&db.store).await;
        let report = load_text(&db.store, &doc("enkät"))
            .await
            .expect_err("refused");
        assert_eq!(report.errors.len(), 1, "{report}");
        assert_eq!(report.errors[0].location, "indicators[0].margin_basis");
        assert!(
            report.errors[0]
                .message
                .contains("”enkät” är inget av de tillåtna alternativen"),
            "{report}"
        );
        assert_eq!(snapshot(&db.store).await, before);
        assert_eq!(db.store.counts().await.unwrap().indicators, 0);

        load_text(&db.store, &doc("survey:480"))
            .await
            .unwrap_or_else(|r| panic!("{r}"));
        let r = &db.store.indicator_records(Scope::All).await.unwrap()[0];
        assert_eq!(
            r.indicator.margin_basis.map(|b| b.code()).as_deref(),
            Some("survey:480")
        );
        assert_eq!(r.indicator.trend_window.code(), "series");
        assert_eq!(r.outcomes[0].sample_size, Some(480));
        db.finish().await;
    }
}
