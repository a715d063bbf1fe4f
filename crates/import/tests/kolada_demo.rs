//! The demo's saved Kolada pages (`demo/kolada/`, loaded by `load_demo`) reproduce the
//! figures the annual report 2019 publishes for the municipal tax rate, on every backend:
//! Huddinge's rank in Stockholms län, the county's and Södertörn's averages, and the
//! outcomes, all derived from Kolada's values and attributed to Kolada. Loading the demo
//! again changes nothing. See `demo/kolada/README.md`.

use uppsikt_domain::model::IndicatorRecord;
use uppsikt_domain::number::format_sv;
use uppsikt_domain::{Breakdown, Period};
use uppsikt_import::load_demo;
use uppsikt_store::testing::TestDb;
use uppsikt_store::{Scope, Store};

const KEY: &str = "ks-kommunal-skattesats";

/// The annual report's figures (seed 004), 2017–2019.
const RANKS_IN_COUNTY: [(i32, i64, i64); 3] = [(2017, 22, 26), (2018, 22, 26), (2019, 21, 26)];
const COUNTY_AVERAGES: [(i32, &str); 3] = [(2017, "19,07"), (2018, "19,05"), (2019, "19,05")];
const SODERTORN_AVERAGES: [(i32, &str); 3] = [(2017, "19,86"), (2018, "19,86"), (2019, "19,91")];

async fn tax_rate(store: &Store) -> IndicatorRecord {
    let records = store.indicator_records(Scope::All).await.unwrap();
    let id = records
        .iter()
        .find(|r| r.indicator.key == KEY)
        .unwrap_or_else(|| panic!("{KEY} in the demo"))
        .indicator
        .id;
    store.indicator_record(id).await.unwrap()
}

/// (year, rank, of, average at 2 decimals as the report prints it) of one group, by year.
fn figures(record: &IndicatorRecord, group: &str) -> Vec<(i32, Option<i64>, Option<i64>, String)> {
    let mut out: Vec<_> = record
        .comparisons
        .iter()
        .filter(|c| c.group == group)
        .map(|c| {
            let Period::Year(y) = c.period else {
                panic!("{:?} is not a year", c.period)
            };
            (
                y,
                c.rank,
                c.of,
                c.average.map_or_else(String::new, |a| format_sv(a, 2)),
            )
        })
        .collect();
    out.sort_by_key(|f| f.0);
    out
}

fn check_published_figures(record: &IndicatorRecord) {
    assert!(
        record.kolada,
        "Kolada-sourced: pages and reports name the source"
    );
    let county: Vec<_> = RANKS_IN_COUNTY
        .iter()
        .zip(COUNTY_AVERAGES)
        .map(|(&(y, rank, of), (_, avg))| (y, Some(rank), Some(of), avg.to_string()))
        .collect();
    assert_eq!(figures(record, "Stockholms län"), county);
    let sodertorn: Vec<(i32, String)> = figures(record, "Södertörn")
        .into_iter()
        .map(|(y, _, _, avg)| (y, avg))
        .collect();
    let published: Vec<(i32, String)> = SODERTORN_AVERAGES
        .iter()
        .map(|&(y, a)| (y, a.to_string()))
        .collect();
    assert_eq!(sodertorn, published);
    // Only what Kolada derives: one row per group and year, nothing typed twice.
    let mut groups: Vec<&str> = record
        .comparisons
        .iter()
        .map(|c| c.group.as_str())
        .collect();
    groups.sort_unstable();
    assert_eq!(
        groups,
        [
            "Stockholms län",
            "Stockholms län",
            "Stockholms län",
            "Södertörn",
            "Södertörn",
            "Södertörn"
        ]
    );
    let totals: Vec<(Period, f64)> = record
        .outcomes
        .iter()
        .filter(|o| o.breakdown == Breakdown::Total)
        .map(|o| (o.period, o.value))
        .collect();
    assert_eq!(
        totals,
        [2017, 2018, 2019]
            .map(|y| (Period::Year(y), 19.87))
            .to_vec()
    );
}

#[tokio::test]
async fn the_demo_derives_the_annual_reports_ranks_and_averages_from_kolada() {
    for db in TestDb::all().await {
        eprintln!("kolada demo on {:?}", db.backend());
        let store = &db.store;
        let first = load_demo(store, "demo")
            .await
            .unwrap_or_else(|r| panic!("{r}"));
        let record = tax_rate(store).await;
        check_published_figures(&record);
        let settings = store.kolada_settings().await.unwrap();
        assert_eq!(settings.municipality.unwrap().as_str(), "0126");
        let groups = store.comparison_groups().await.unwrap();
        let county = groups.iter().find(|g| g.key == "stockholms-lan").unwrap();
        assert_eq!(county.kolada_id.as_deref(), Some("G100001"));
        assert_eq!(
            county.members.len(),
            26,
            "the members come from Kolada's page"
        );
        assert_eq!(
            groups.len(),
            2,
            "Kolada's group is refreshed under the demo's key"
        );
        assert_eq!(
            store.indicator_groups(record.indicator.id).await.unwrap(),
            vec![
                county.id,
                groups.iter().find(|g| g.key == "sodertorn").unwrap().id
            ]
        );

        // Loading the demo again changes nothing (the data version moves: every write is
        // logged, whether or not it changed a value).
        let counts = store.counts().await.unwrap();
        let values = store.kolada_value_count().await.unwrap();
        let version = store.data_version().await.unwrap();
        let second = load_demo(store, "demo")
            .await
            .unwrap_or_else(|r| panic!("{r}"));
        assert_eq!(second, first);
        assert!(store.data_version().await.unwrap() > version);
        let again = tax_rate(store).await;
        assert_eq!(again, record);
        check_published_figures(&again);
        assert_eq!(store.comparison_groups().await.unwrap(), groups);
        assert_eq!(store.kolada_value_count().await.unwrap(), values);
        let counts_again = store.counts().await.unwrap();
        assert_eq!(
            counts_again,
            uppsikt_store::Counts {
                change_log: counts_again.change_log,
                ..counts
            }
        );
        db.finish().await;
    }
}

/// A published "21/26" became "1/26" after a Kolada fetch changed the comparison values
/// behind a decided year. The demo's decisions (KS 2019, KF 2023) froze the figures:
/// new values and a changed group leave them as decided; reopening the decisions lets
/// them follow Kolada again.
#[tokio::test]
async fn decided_ranks_and_averages_stay_as_decided_until_reopened() {
    use uppsikt_domain::kolada::{Gender, KoladaValue, KpiId, MunicipalityId};
    for db in TestDb::all().await {
        eprintln!("decided figures on {:?}", db.backend());
        let store = &db.store;
        load_demo(store, "demo")
            .await
            .unwrap_or_else(|r| panic!("{r}"));
        let decided = tax_rate(store).await;
        check_published_figures(&decided);

        // A database whose decisions were recorded before figures were frozen at the
        // decision gets them frozen once, when it is opened (migrated).
        for sql in [
            "DELETE FROM decided_comparisons",
            "UPDATE period_locks SET comparisons_frozen = 0",
        ] {
            sqlx::query(sql).execute(store.pool()).await.unwrap();
        }
        store.migrate().await.unwrap();
        let frozen: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM decided_comparisons")
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert!(frozen >= 6, "frozen again on opening: {frozen}");
        assert_eq!(tax_rate(store).await.comparisons, decided.comparisons);

        // Every other member of the county now has a far higher tax rate in 2019 (we
        // would rank first), and Södertörn loses members.
        let county = store
            .comparison_groups()
            .await
            .unwrap()
            .into_iter()
            .find(|g| g.key == "stockholms-lan")
            .unwrap();
        let ours = MunicipalityId::parse("0126").unwrap();
        let values: Vec<KoladaValue> = county
            .members
            .iter()
            .filter(|m| **m != ours)
            .map(|m| KoladaValue {
                kpi: KpiId::parse("N00901").unwrap(),
                municipality: m.clone(),
                year: 2019,
                gender: Gender::Total,
                value: Some(30.0),
                status: String::new(),
            })
            .collect();
        let sodertorn = store
            .comparison_groups()
            .await
            .unwrap()
            .into_iter()
            .find(|g| g.key == "sodertorn")
            .unwrap();
        let mut w = store
            .writer("test", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        w.write_kolada_values(&values).await.unwrap();
        w.upsert_comparison_group(&uppsikt_store::ComparisonGroupInput {
            key: sodertorn.key.clone(),
            title: sodertorn.title.clone(),
            kolada_id: None,
            members: sodertorn.members[..2].to_vec(),
        })
        .await
        .unwrap();
        w.commit().await.unwrap();
        let after = tax_rate(store).await;
        assert_eq!(after.comparisons, decided.comparisons, "as decided");
        check_published_figures(&after);

        // Reopened (logged), the figures are Kolada's again.
        let mut w = store
            .writer("test", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        for unit in ["ks", "kf"] {
            let org = store.find_org_unit(unit).await.unwrap().id;
            let year = if unit == "ks" { 2019 } else { 2023 };
            w.reopen_period(org, Period::Year(year), "test: nya värden från Kolada")
                .await
                .unwrap();
        }
        w.commit().await.unwrap();
        let reopened = tax_rate(store).await;
        let rank_2019 = reopened
            .comparisons
            .iter()
            .find(|c| c.group == "Stockholms län" && c.period == Period::Year(2019))
            .and_then(|c| c.rank);
        assert_eq!(rank_2019, Some(1), "derived from the new values");
        db.finish().await;
    }
}
