//! The real demo files load on every backend, give the published figures, and loading
//! them again changes no counts (re-import updates by key).

use std::path::{Path, PathBuf};

use uppsikt_domain::model::Stage;
use uppsikt_domain::{Breakdown, Period};
use uppsikt_import::{demo_files, import_files, load_demo, Summary};
use uppsikt_store::testing::TestDb;
use uppsikt_store::{Counts, Scope, Store};

fn demo() -> Vec<PathBuf> {
    let files = demo_files(Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../demo"
    )));
    assert!(files[0].ends_with("huddinge.toml"), "{files:?}");
    files
}

const EXPECTED: Summary = Summary {
    org_units: 25,
    goals: 36,
    indicators: 92,
    outcomes: 494,
    milestones: 71,
    commitments: 43,
    assessments: 34,
    period_reviews: 1,
    decisions: 2,
    control_plans: 1,
    audits: 14,
    areas: 12,
    situation_reports: 2,
    forums: 14,
    agreements: 8,
    statutes: 1,
    obligations: 8,
    economy: uppsikt_import::economy::EconomySummary {
        cost_types: 13,
        budget_lines: 66,
        investment_nodes: 39,
        carry_overs: 11,
        grants: 7,
        allocations: 6,
    },
    warnings: Vec::new(),
};

fn as_counts(s: &Summary, change_log: i64) -> Counts {
    let n = |v: usize| i64::try_from(v).unwrap();
    Counts {
        org_units: n(s.org_units),
        goals: n(s.goals),
        indicators: n(s.indicators),
        outcomes: n(s.outcomes),
        milestones: n(s.milestones),
        commitments: n(s.commitments),
        assessments: n(s.assessments),
        change_log,
    }
}

async fn published_facts(store: &Store) {
    let goals = store.goals().await.unwrap();
    let choice = goals
        .iter()
        .find(|g| g.title == "Ökad valfrihet")
        .expect("goal Ökad valfrihet");
    let decided: Vec<_> = store
        .assessments_of_goal(choice.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|a| a.period == Period::Year(2019) && a.stage == Stage::Decided)
        .collect();
    assert_eq!(decided.len(), 1);
    assert_eq!(decided[0].level, "Ej godtagbar");

    let records = store.indicator_records(Scope::All).await.unwrap();
    let safety = records
        .iter()
        .find(|r| r.indicator.name == "Betygsindex för trygghet")
        .expect("Betygsindex för trygghet");
    let totals: Vec<(Period, f64, Option<f64>)> = safety
        .outcomes
        .iter()
        .filter(|o| o.breakdown == Breakdown::Total)
        .map(|o| (o.period, o.value, o.margin))
        .collect();
    let expected: Vec<_> = [(2013, 56.0), (2015, 57.0), (2017, 55.0), (2019, 51.0)]
        .map(|(y, v)| (Period::Year(y), v, Some(9.0)))
        .to_vec();
    assert_eq!(totals, expected);

    let homes = records
        .iter()
        .find(|r| {
            r.indicator
                .name
                .starts_with("Antal färdigställda bostäder (Totalt)")
        })
        .expect("Antal färdigställda bostäder");
    let y2018 = homes
        .outcomes
        .iter()
        .find(|o| o.period == Period::Year(2018) && o.breakdown == Breakdown::Total);
    assert_eq!(y2018.map(|o| o.value), Some(997.0));
    assert_eq!(homes.milestones.len(), 1);

    // Areas named only in `area:` breakdowns exist too, and listed ones keep their class.
    let areas = store.areas().await.unwrap();
    assert!(areas
        .iter()
        .any(|a| a.name == "Vårby" && a.latest_class().map(|c| c.class.code()) == Some("utsatt")));
}

#[tokio::test]
async fn demo_files_load_on_every_backend_and_reload_idempotently() {
    let files = demo();
    for db in TestDb::all().await {
        eprintln!("demo on {:?}", db.backend());
        let store = &db.store;
        let first = import_files(store, &files, "test")
            .await
            .unwrap_or_else(|r| panic!("{r}"));
        assert_eq!(first, EXPECTED);
        let counts = store.counts().await.unwrap();
        assert_eq!(counts, as_counts(&EXPECTED, counts.change_log));
        published_facts(store).await;
        let areas = store.areas().await.unwrap();

        let second = import_files(store, &files, "test")
            .await
            .unwrap_or_else(|r| panic!("{r}"));
        assert_eq!(second, first);
        let again = store.counts().await.unwrap();
        assert_eq!(
            again,
            as_counts(&EXPECTED, again.change_log),
            "re-import must not duplicate"
        );
        assert_eq!(store.areas().await.unwrap(), areas);
        published_facts(store).await;
        db.finish().await;
    }
}

#[tokio::test]
async fn a_board_file_loads_after_the_organisation_file_in_a_separate_run() {
    let files = demo();
    for db in TestDb::all().await {
        import_files(&db.store, &files[..1], "test")
            .await
            .unwrap_or_else(|r| panic!("{r}"));
        let rest = import_files(&db.store, &files[1..], "test")
            .await
            .unwrap_or_else(|r| panic!("{r}"));
        assert_eq!(rest.org_units, 0);
        assert_eq!(rest.goals, EXPECTED.goals - 8);
        let counts = db.store.counts().await.unwrap();
        assert_eq!(counts, as_counts(&EXPECTED, counts.change_log));
        published_facts(&db.store).await;
        db.finish().await;
    }
}

#[tokio::test]
async fn the_built_in_demo_loads_like_the_files() {
    for db in TestDb::all().await {
        assert_eq!(
            load_demo(&db.store, "demo")
                .await
                .unwrap_or_else(|r| panic!("{r}")),
            EXPECTED
        );
        assert_eq!(
            import_files(&db.store, &demo(), "test")
                .await
                .unwrap_or_else(|r| panic!("{r}")),
            EXPECTED
        );
        let counts = db.store.counts().await.unwrap();
        assert_eq!(counts, as_counts(&EXPECTED, counts.change_log));
        published_facts(&db.store).await;
        db.finish().await;
    }
}

/// The deviations the seeds document are found in the demo by the automatic rules:
/// Trygg utomhus below its milestone in 2023, and unfinished commitments of 2019.
#[tokio::test]
async fn the_demo_raises_the_deviations_the_seeds_document() {
    use uppsikt_domain::deviation::{commitment_candidates, indicator_candidates, Source};
    for db in TestDb::all().await {
        import_files(&db.store, &demo(), "test").await.unwrap();
        let goals = db.store.goals().await.unwrap();
        let org_of = |goal_id: i64| goals.iter().find(|g| g.id == goal_id).unwrap().org_id;
        let records = db.store.indicator_records(Scope::All).await.unwrap();
        let commitments = db.store.commitments(Scope::All).await.unwrap();
        let indicators: Vec<_> = records
            .iter()
            .map(|r| (org_of(r.indicator.goal_id), r))
            .collect();
        let commitments: Vec<_> = commitments.iter().map(|c| (org_of(c.goal_id), c)).collect();
        // The candidates of the two sources the store registers for a year.
        let candidates_for_year = |year: i32| {
            let mut all = indicator_candidates(&indicators, year, |_| Default::default());
            all.extend(commitment_candidates(&commitments, year));
            all
        };

        let y2023 = candidates_for_year(2023);
        assert!(
            y2023
                .iter()
                .any(|d| d.source == Source::IndicatorNotAchieved
                    && d.description.starts_with("Trygg utomhus")),
            "{:#?}",
            y2023.iter().map(|d| &d.description).collect::<Vec<_>>()
        );
        let y2019 = candidates_for_year(2019);
        let unfinished: Vec<&str> = y2019
            .iter()
            .filter(|d| d.source == Source::CommitmentUnfinished)
            .map(|d| d.description.as_str())
            .collect();
        assert!(
            !unfinished.is_empty(),
            "some 2019 commitments were not finished"
        );
        // Every candidate has a cause key, so raising the demo's deviations is idempotent.
        assert!(y2019.iter().chain(&y2023).all(|d| d.cause_key.is_some()));
        eprintln!(
            "2019: {} candidates ({} unfinished commitments); 2023: {}",
            y2019.len(),
            unfinished.len(),
            y2023.len()
        );
        db.finish().await;
    }
}
