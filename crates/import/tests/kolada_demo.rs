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
