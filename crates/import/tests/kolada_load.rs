//! `[kolada]`, `[[comparison_groups]]` and an indicator's `comparison_groups` in data files,
//! on every backend: a wrong reference or a clash with the database writes nothing (counts,
//! change log, data version, settings, groups and links as they were); groups and links
//! resolve against the database, are replaced by key and left alone when not given; a Kolada
//! group keeps the members Kolada gave it; changing our municipality refills the linked
//! indicators' outcomes from the stored values.

use std::path::{Path, PathBuf};

use uppsikt_domain::messages::{self, Referent};
use uppsikt_domain::{Breakdown, Period};
use uppsikt_import::kolada::load_demo_kolada;
use uppsikt_import::{demo_files, import_files, load, parse_str, ImportReport, Summary};
use uppsikt_store::testing::TestDb;
use uppsikt_store::{ComparisonGroup, Counts, KoladaSettings, Scope, Store};

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
    settings: KoladaSettings,
    groups: Vec<ComparisonGroup>,
    links: Vec<(String, Vec<i64>)>,
}

async fn snapshot(store: &Store) -> Snapshot {
    let mut links = Vec::new();
    for r in store.indicator_records(Scope::All).await.unwrap() {
        let groups = store.indicator_groups(r.indicator.id).await.unwrap();
        links.push((r.indicator.key, groups));
    }
    Snapshot {
        version: store.data_version().await.unwrap(),
        counts: store.counts().await.unwrap(),
        settings: store.kolada_settings().await.unwrap(),
        groups: store.comparison_groups().await.unwrap(),
        links,
    }
}

async fn load_text(store: &Store, text: &str) -> Result<Summary, ImportReport> {
    let data = parse_str("bad.toml", text)?;
    load(store, &data, "test", uppsikt_store::ChangeSource::Cli).await
}

/// A new goal under KS with one indicator linked to N00901, compared against `groups`,
/// and whatever else `extra` adds; everything in it would be written if it were valid.
fn doc(groups: &str, extra: &str) -> String {
    format!(
        "format = \"uppsikt/1\"\n\n[kolada]\nmunicipality = \"0180\"\n\n\
         [[comparison_groups]]\nkey = \"ny-grupp\"\ntitle = \"Ny grupp\"\nmembers = [\"0180\"]\n\n\
         [[goals]]\nkey = \"nytt-mal\"\norg = \"ks\"\ntitle = \"Nytt mål\"\n\n\
         [[indicators]]\nkey = \"nytt-matt\"\ngoal = \"nytt-mal\"\nname = \"Nytt mått\"\n\
         unit = \"procent\"\ndirection = \"lower\"\nkolada_kpi = \"N00901\"\n\
         comparison_groups = {groups}\noutcomes = [{{ period = \"2019\", value = 1 }}]\n{extra}"
    )
}

async fn indicator_id(store: &Store, key: &str) -> i64 {
    store
        .indicator_records(Scope::All)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.indicator.key == key)
        .unwrap_or_else(|| panic!("{key}"))
        .indicator
        .id
}

async fn group_id(store: &Store, key: &str) -> i64 {
    store
        .comparison_groups()
        .await
        .unwrap()
        .into_iter()
        .find(|g| g.key == key)
        .unwrap_or_else(|| panic!("{key}"))
        .id
}

#[tokio::test]
async fn a_wrong_group_reference_or_a_clash_with_the_database_writes_nothing() {
    for db in TestDb::all().await {
        eprintln!("bad group references on {:?}", db.backend());
        let store = &db.store;
        // The organisation file: [kolada], Stockholms län and Södertörn.
        import_files(store, &demo()[..1], "test")
            .await
            .unwrap_or_else(|r| panic!("{r}"));
        let before = snapshot(store).await;
        assert_eq!(before.groups.len(), 2);
        assert_eq!(
            before.settings.municipality.as_ref().map(|m| m.as_str()),
            Some("0126")
        );
        let cases = [
            (
                doc("[\"sodertorn\", \"ny-grupp\", \"finns-inte\"]", ""),
                "indicators[0].comparison_groups[2]",
                messages::unknown_reference(Referent::ComparisonGroup, "finns-inte"),
            ),
            (
                doc(
                    "[\"ny-grupp\"]",
                    "\n[[comparison_groups]]\nkey = \"lanet\"\ntitle = \"Länet\"\nkolada_id = \"G100001\"\n",
                ),
                "comparison_groups[1].kolada_id",
                messages::kolada_group_taken_by("G100001", "stockholms-lan"),
            ),
            (
                doc(
                    "[\"ny-grupp\"]",
                    "\n[[comparison_groups]]\nkey = \"soder\"\ntitle = \"SÖDERTÖRN\"\nmembers = [\"0127\"]\n",
                ),
                "comparison_groups[1].title",
                messages::group_title_taken_by("SÖDERTÖRN", "sodertorn"),
            ),
        ];
        for (text, location, message) in cases {
            let report = load_text(store, &text).await.expect_err(location);
            assert_eq!(report.errors.len(), 1, "{report}");
            let e = &report.errors[0];
            assert_eq!(
                (e.file.as_str(), e.location.as_str()),
                ("bad.toml", location)
            );
            assert_eq!(e.message, message);
            assert_eq!(snapshot(store).await, before, "after {location}");
        }
        // The same document with a known group is written whole.
        load_text(store, &doc("[\"sodertorn\", \"ny-grupp\"]", ""))
            .await
            .unwrap_or_else(|r| panic!("{r}"));
        let id = indicator_id(store, "nytt-matt").await;
        assert_eq!(
            store.indicator_groups(id).await.unwrap(),
            vec![
                group_id(store, "sodertorn").await,
                group_id(store, "ny-grupp").await
            ],
            "in the order written, from the database and the file"
        );
        assert_eq!(
            store
                .kolada_settings()
                .await
                .unwrap()
                .municipality
                .map(|m| m.to_string()),
            Some("0180".into())
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn groups_and_links_are_replaced_when_given_and_kept_when_not() {
    for db in TestDb::all().await {
        eprintln!("groups on {:?}", db.backend());
        let store = &db.store;
        import_files(store, &demo()[..1], "test")
            .await
            .unwrap_or_else(|r| panic!("{r}"));
        load_text(store, &doc("[\"sodertorn\", \"ny-grupp\"]", ""))
            .await
            .unwrap_or_else(|r| panic!("{r}"));
        let id = indicator_id(store, "nytt-matt").await;
        let (sodertorn, new) = (
            group_id(store, "sodertorn").await,
            group_id(store, "ny-grupp").await,
        );

        // The same again: nothing changes in groups or links.
        let groups = store.comparison_groups().await.unwrap();
        load_text(store, &doc("[\"sodertorn\", \"ny-grupp\"]", ""))
            .await
            .unwrap();
        assert_eq!(store.comparison_groups().await.unwrap(), groups);
        assert_eq!(
            store.indicator_groups(id).await.unwrap(),
            vec![sodertorn, new]
        );

        // Reordered; then without the field (left alone); then [] (removed).
        load_text(store, &doc("[\"ny-grupp\", \"sodertorn\"]", ""))
            .await
            .unwrap();
        assert_eq!(
            store.indicator_groups(id).await.unwrap(),
            vec![new, sodertorn]
        );
        let without = doc("[]", "").replace("comparison_groups = []\n", "");
        load_text(store, &without).await.unwrap();
        assert_eq!(
            store.indicator_groups(id).await.unwrap(),
            vec![new, sodertorn]
        );
        load_text(store, &doc("[]", "")).await.unwrap();
        assert!(store.indicator_groups(id).await.unwrap().is_empty());

        // A group is replaced by key: title and members.
        let changed = doc("[]", "").replace(
            "title = \"Ny grupp\"\nmembers = [\"0180\"]",
            "title = \"Nyare grupp\"\nmembers = [\"0181\", \"0127\"]",
        );
        load_text(store, &changed).await.unwrap();
        let g = store
            .comparison_groups()
            .await
            .unwrap()
            .into_iter()
            .find(|g| g.key == "ny-grupp")
            .unwrap();
        assert_eq!(g.id, new);
        assert_eq!(g.title, "Nyare grupp");
        let members: Vec<&str> = g.members.iter().map(|m| m.as_str()).collect();
        assert_eq!(members, ["0127", "0181"]);
        db.finish().await;
    }
}

#[tokio::test]
async fn a_kolada_group_keeps_kolada_s_members_and_our_municipality_fills_the_outcomes() {
    for db in TestDb::all().await {
        eprintln!("kolada settings on {:?}", db.backend());
        let store = &db.store;
        import_files(store, &demo(), "test")
            .await
            .unwrap_or_else(|r| panic!("{r}"));
        load_demo_kolada(store, "test")
            .await
            .unwrap_or_else(|r| panic!("{r}"));
        let county = |groups: Vec<ComparisonGroup>| {
            groups
                .into_iter()
                .find(|g| g.key == "stockholms-lan")
                .unwrap()
        };
        let fetched = county(store.comparison_groups().await.unwrap());
        assert_eq!(fetched.members.len(), 26);

        // The organisation file again: Stockholms län is listed without members.
        let version = store.data_version().await.unwrap();
        import_files(store, &demo()[..1], "test")
            .await
            .unwrap_or_else(|r| panic!("{r}"));
        assert!(store.data_version().await.unwrap() > version);
        assert_eq!(
            county(store.comparison_groups().await.unwrap()),
            fetched,
            "Kolada's members are kept"
        );

        // An API address given is kept by a file without one.
        let url = "format = \"uppsikt/1\"\n[kolada]\nmunicipality = \"0126\"\napi_url = \"http://127.0.0.1:9/v3/\"\n";
        load_text(store, url)
            .await
            .unwrap_or_else(|r| panic!("{r}"));
        import_files(store, &demo()[..1], "test").await.unwrap();
        let settings = store.kolada_settings().await.unwrap();
        assert_eq!(settings.api_url, "http://127.0.0.1:9/v3");

        // Another municipality: the linked indicator shows its values (Botkyrka's 20,15),
        // and ours again when changed back.
        let tax = |year: i32| async move {
            let id = indicator_id(store, "ks-kommunal-skattesats").await;
            let r = store.indicator_record(id).await.unwrap();
            r.outcomes
                .iter()
                .find(|o| o.period == Period::Year(year) && o.breakdown == Breakdown::Total)
                .map(|o| o.value)
        };
        let botkyrka = "format = \"uppsikt/1\"\n[kolada]\nmunicipality = \"0127\"\n";
        load_text(store, botkyrka)
            .await
            .unwrap_or_else(|r| panic!("{r}"));
        assert_eq!(
            tax(2019).await,
            Some(19.87),
            "KS's decided 2019 stays as decided"
        );
        // Reopened (logged), the periods follow our municipality again.
        let mut w = store
            .writer("test", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        for (unit, year) in [("ks", 2019), ("kf", 2023)] {
            let org = store.find_org_unit(unit).await.unwrap().id;
            w.reopen_period(org, Period::Year(year), "test: byte av kommun")
                .await
                .unwrap();
        }
        w.commit().await.unwrap();
        load_text(
            store,
            "format = \"uppsikt/1\"\n[kolada]\nmunicipality = \"0126\"\n",
        )
        .await
        .unwrap_or_else(|r| panic!("{r}"));
        load_text(store, botkyrka)
            .await
            .unwrap_or_else(|r| panic!("{r}"));
        assert_eq!(tax(2019).await, Some(20.15));
        import_files(store, &demo()[..1], "test").await.unwrap();
        assert_eq!(tax(2019).await, Some(19.87));
        assert_eq!(tax(2017).await, Some(19.87));
        db.finish().await;
    }
}
