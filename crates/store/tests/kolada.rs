//! Kolada in the store, on every backend: raw values in bulk (upsert, missing kept as
//! missing, deletions), one change-log row per transaction, outcomes of linked indicators
//! filled from our municipality's values (respecting locks), and ranks and group averages
//! derived on read.

mod common;

use std::collections::BTreeSet;

use common::tree;
use uppsikt_domain::kolada::{Gender, KoladaValue, KpiId, MunicipalityId};
use uppsikt_domain::model::PeriodLock;
use uppsikt_domain::{Breakdown, Direction, Outcome, Period};
use uppsikt_store::testing::TestDb;
use uppsikt_store::{ComparisonGroupInput, IndicatorInput, KoladaSettings, Store};

fn m(id: &str) -> MunicipalityId {
    MunicipalityId::parse(id).unwrap()
}

fn value(kpi: &str, place: &str, year: i32, gender: Gender, v: Option<f64>) -> KoladaValue {
    KoladaValue {
        kpi: KpiId::parse(kpi).unwrap(),
        municipality: m(place),
        year,
        gender,
        value: v,
        status: if v.is_none() {
            "Saknas".into()
        } else {
            String::new()
        },
    }
}

async fn log_rows(store: &Store, object_type: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM change_log WHERE object_type = $1")
        .bind(object_type)
        .fetch_one(store.pool())
        .await
        .unwrap()
}

/// Links the test indicator to N00901 (lower is better) and sets Huddinge as ours.
async fn link(store: &Store, indicator: i64) {
    let mut w = store
        .writer("test", uppsikt_store::ChangeSource::Form)
        .await
        .unwrap();
    let before = store.indicator_record(indicator).await.unwrap().indicator;
    w.update_indicator(
        indicator,
        &IndicatorInput {
            key: before.key,
            goal_id: before.goal_id,
            name: "Kommunal skattesats".into(),
            unit: "öre per skattekrona".into(),
            direction: Direction::Lower,
            source: "Kolada".into(),
            kolada_kpi: "N00901".into(),
            decimals: 2,
            frequency: uppsikt_domain::Frequency::Year,
            position: 0,
            margin_basis: None,
            trend_window: Default::default(),
        },
    )
    .await
    .unwrap();
    w.set_kolada_settings(&KoladaSettings {
        municipality: Some(m("0126")),
        api_url: "http://127.0.0.1:1/v3".into(),
    })
    .await
    .unwrap();
    w.commit().await.unwrap();
}

#[tokio::test]
async fn bulk_values_upsert_keep_missing_as_missing_and_log_once() {
    for db in TestDb::all().await {
        let store = &db.store;
        // More than one chunk on every backend.
        let values: Vec<KoladaValue> = (0..25_001)
            .map(|i| {
                let v = if i % 1000 == 7 {
                    None
                } else {
                    Some(f64::from(i) / 10.0)
                };
                value(
                    "N00001",
                    &format!("{:04}", i % 300),
                    1990 + i / 900,
                    Gender::ALL[(i % 3) as usize],
                    v,
                )
            })
            .collect();
        let mut w = store
            .writer("test", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        w.write_kolada_values(&values).await.unwrap();
        w.commit().await.unwrap();
        let (count, missing) = store.kolada_value_count().await.unwrap();
        // The last value of each key wins, as an upsert does.
        let mut last = std::collections::BTreeMap::new();
        for v in &values {
            last.insert(v.key(), v.value);
        }
        assert_eq!(count, last.len() as i64, "{:?}", db.backend());
        let expected_missing = last.values().filter(|v| v.is_none()).count() as i64;
        assert!(expected_missing > 0);
        assert_eq!(missing, expected_missing, "missing values are NULL");
        let zeros: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM kolada_values WHERE value = 0")
            .fetch_one(store.pool())
            .await
            .unwrap();
        let expected_zeros = last.values().filter(|v| **v == Some(0.0)).count() as i64;
        assert_eq!(zeros, expected_zeros, "missing is never stored as 0");
        assert_eq!(log_rows(store, "kolada_values").await, 1);

        // Re-writing changes the value in place; deleting removes it.
        let mut w = store
            .writer("test", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        w.write_kolada_values(&[value("N00001", "0000", 1990, Gender::Total, Some(42.5))])
            .await
            .unwrap();
        w.delete_kolada_values(&[value("N00001", "0001", 1990, Gender::Women, None).key()])
            .await
            .unwrap();
        w.commit().await.unwrap();
        let got = store
            .kolada_values_of(&KpiId::parse("N00001").unwrap(), &m("0000"))
            .await
            .unwrap();
        assert!(got.contains(&(1990, Gender::Total, Some(42.5), String::new())));
        assert!(store
            .kolada_values_of(&KpiId::parse("N00001").unwrap(), &m("0001"))
            .await
            .unwrap()
            .iter()
            .all(|(y, g, _, _)| !(*y == 1990 && *g == Gender::Women)));
        assert_eq!(log_rows(store, "kolada_values").await, 2);

        // A writer dropped without commit leaves nothing.
        let before = store.kolada_value_count().await.unwrap();
        let mut w = store
            .writer("test", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        w.write_kolada_values(&[value("N09999", "0126", 2020, Gender::Total, Some(1.0))])
            .await
            .unwrap();
        drop(w);
        assert_eq!(store.kolada_value_count().await.unwrap(), before);
        db.finish().await;
    }
}

/// New values are first inserted plainly (PostgreSQL's upsert is much slower); a later
/// chunk that meets a key written earlier, in this transaction or before, must still
/// replace the value, and a failed plain insert must leave nothing behind.
#[tokio::test]
async fn a_chunk_meeting_stored_keys_replaces_them_after_plain_chunks() {
    for db in TestDb::all().await {
        let store = &db.store;
        let place = |i: i32| format!("{:04}", i % 290);
        let fresh = |from: i32, to: i32, v: f64| -> Vec<KoladaValue> {
            (from..to)
                .map(|i| value("N00002", &place(i), 1990 + i / 290, Gender::Total, Some(v)))
                .collect()
        };
        let mut w = store
            .writer("test", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        w.write_kolada_values(&fresh(0, 100, 1.0)).await.unwrap();
        w.commit().await.unwrap();

        let mut w = store
            .writer("test", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        // Two plain chunks of new keys, then one repeating keys of both earlier writes.
        w.write_kolada_values(&fresh(100, 45_100, 2.0))
            .await
            .unwrap();
        let mut again = fresh(50, 150, 3.0);
        again.extend(fresh(45_100, 45_200, 3.0));
        w.write_kolada_values(&again).await.unwrap();
        w.write_kolada_values(&fresh(45_200, 45_300, 4.0))
            .await
            .unwrap();
        w.commit().await.unwrap();

        let (count, _) = store.kolada_value_count().await.unwrap();
        assert_eq!(count, 45_300, "{:?}", db.backend());
        let by_value: Vec<(f64, i64)> = sqlx::query_as(
            "SELECT value, COUNT(*) FROM kolada_values GROUP BY value ORDER BY value",
        )
        .fetch_all(store.pool())
        .await
        .unwrap();
        assert_eq!(
            by_value,
            vec![(1.0, 50), (2.0, 45_000 - 50), (3.0, 200), (4.0, 100)],
            "{:?}",
            db.backend()
        );
        db.finish().await;
    }
}

/// PostgreSQL writes the values with `COPY` (straight into the table, or through a staging
/// table once a key repeats): a status holding COPY's own special characters (tab,
/// newline, carriage return, backslash, `\N`, `\.`) or quotes arrives as given on both
/// paths, on every backend; and a write that fails after both paths were taken leaves
/// nothing: no value, no change-log row, the same data version (and on PostgreSQL no
/// staging table).
#[tokio::test]
async fn texts_with_copy_delimiters_survive_and_a_failed_write_leaves_nothing() {
    for db in TestDb::all().await {
        let store = &db.store;
        let statuses = [
            "tab\there",
            "new\nline\r\nand more",
            "back\\slash \\N \\. \\t",
            "\\N",
            "\\.",
            "\"double\" 'single' `back`",
            "Å ä ö ; , | {}",
        ];
        let special = |year_offset: i32, suffix: &str| -> Vec<KoladaValue> {
            statuses
                .iter()
                .enumerate()
                .map(|(i, s)| KoladaValue {
                    status: format!("{s}{suffix}"),
                    ..value(
                        "N00003",
                        "0126",
                        2000 + year_offset + i as i32,
                        Gender::Total,
                        Some(i as f64 + 0.25),
                    )
                })
                .collect()
        };
        let stored = |store: &Store| {
            let store = store.clone();
            async move {
                store
                    .kolada_values_of(&KpiId::parse("N00003").unwrap(), &m("0126"))
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|(_, _, _, status)| status)
                    .collect::<Vec<_>>()
            }
        };
        // New keys: PostgreSQL copies them straight into the table.
        let mut w = store
            .writer("test", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        w.write_kolada_values(&special(0, "")).await.unwrap();
        w.commit().await.unwrap();
        assert_eq!(stored(store).await, statuses, "{:?}", db.backend());

        // Stored keys, each given twice in one call: upserted (on PostgreSQL from the
        // staging table), the last value of a key winning.
        let mut twice = special(0, " (first)");
        twice.extend(special(0, " (second)"));
        let mut w = store
            .writer("test", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        w.write_kolada_values(&twice).await.unwrap();
        w.write_kolada_values(&special(100, "")).await.unwrap();
        w.commit().await.unwrap();
        let second: Vec<String> = statuses
            .iter()
            .map(|s| format!("{s} (second)"))
            .chain(statuses.iter().map(|s| s.to_string()))
            .collect();
        assert_eq!(stored(store).await, second, "{:?}", db.backend());

        // A write that fails after new keys and repeated keys: nothing of it stays.
        let version = store.data_version().await.unwrap();
        let count = store.kolada_value_count().await.unwrap();
        let logged = log_rows(store, "kolada_values").await;
        let mut w = store
            .writer("test", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        w.write_kolada_values(&special(200, " (lost)"))
            .await
            .unwrap();
        w.write_kolada_values(&special(0, " (lost)")).await.unwrap();
        if db.backend() == uppsikt_store::Backend::Postgres {
            // PostgreSQL refuses a NUL character in a text: the COPY itself fails.
            let refused = w
                .write_kolada_values(&special(300, "\0"))
                .await
                .unwrap_err();
            assert!(refused.to_string().contains("0x00"), "{refused}");
        }
        drop(w);
        assert_eq!(store.data_version().await.unwrap(), version);
        assert_eq!(store.kolada_value_count().await.unwrap(), count);
        assert_eq!(log_rows(store, "kolada_values").await, logged);
        assert_eq!(stored(store).await, second, "{:?}", db.backend());
        if db.backend() == uppsikt_store::Backend::Postgres {
            let staging: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM pg_class WHERE relname = 'kolada_values_staging'",
            )
            .fetch_one(store.pool())
            .await
            .unwrap();
            assert_eq!(staging, 0, "the staging table goes with the transaction");
        }
        db.finish().await;
    }
}

#[tokio::test]
async fn linked_outcomes_are_filled_from_our_values_and_locks_are_respected() {
    for db in TestDb::all().await {
        let store = &db.store;
        let t = tree(store).await;
        link(store, t.indicator).await;
        // A typed outcome for a breakdown Kolada does not have stays.
        let mut w = store
            .writer("test", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        let girls = Outcome {
            period: Period::Year(2019),
            breakdown: Breakdown::Girls,
            value: 1.0,
            margin: None,
            sample_size: None,
        };
        w.set_outcome(t.indicator, &girls).await.unwrap();
        w.write_kolada_values(&[
            value("N00901", "0126", 2018, Gender::Total, Some(19.87)),
            value("N00901", "0126", 2019, Gender::Total, Some(19.87)),
            value("N00901", "0126", 2019, Gender::Women, None),
            value("N00901", "0126", 2020, Gender::Total, Some(19.95)),
            value("N00901", "0114", 2019, Gender::Total, Some(19.0)),
        ])
        .await
        .unwrap();
        let sync = w.sync_kolada_outcomes(None).await.unwrap();
        w.commit().await.unwrap();
        assert_eq!((sync.indicators, sync.set, sync.removed), (1, 3, 0));
        let r = store.indicator_record(t.indicator).await.unwrap();
        let totals: Vec<(Period, f64)> = r
            .outcomes
            .iter()
            .filter(|o| o.breakdown == Breakdown::Total)
            .map(|o| (o.period, o.value))
            .collect();
        assert_eq!(
            totals,
            vec![
                (Period::Year(2018), 19.87),
                (Period::Year(2019), 19.87),
                (Period::Year(2020), 19.95)
            ]
        );
        assert!(
            r.outcomes.iter().all(|o| o.breakdown != Breakdown::Women),
            "missing is not an outcome"
        );
        assert!(r.outcomes.contains(&girls));
        assert!(r.kolada, "the attribution is due");

        // 2019 is decided; Kolada then revises 2019 and withdraws 2020.
        let mut w = store
            .writer("test", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        w.lock_period(&PeriodLock {
            org_id: t.ks,
            period: Period::Year(2019),
            body: "Kommunstyrelsen".into(),
            decided_on: "2020-03-30".into(),
            paragraph: "§ 45".into(),
            diary_number: "KS-2020/1".into(),
            locked_by: "test".into(),
            locked_at: "2020-03-30T10:00:00Z".into(),
        })
        .await
        .unwrap();
        w.commit().await.unwrap();
        let mut w = store
            .writer("test", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        w.write_kolada_values(&[value("N00901", "0126", 2019, Gender::Total, Some(19.5))])
            .await
            .unwrap();
        w.delete_kolada_values(&[value("N00901", "0126", 2020, Gender::Total, None).key()])
            .await
            .unwrap();
        let only = BTreeSet::from(["N00901".to_string()]);
        let sync = w.sync_kolada_outcomes(Some(&only)).await.unwrap();
        w.commit().await.unwrap();
        assert_eq!(sync.removed, 1);
        assert_eq!(
            sync.locked,
            vec![(t.indicator, Period::Year(2019), Some(19.5))]
        );
        let r = store.indicator_record(t.indicator).await.unwrap();
        let total_2019 = r
            .outcomes
            .iter()
            .find(|o| o.period == Period::Year(2019) && o.breakdown == Breakdown::Total)
            .unwrap();
        assert_eq!(total_2019.value, 19.87, "the decided figure stands");
        assert!(!r.outcomes.iter().any(|o| o.period == Period::Year(2020)));
        db.finish().await;
    }
}

#[tokio::test]
async fn ranks_and_averages_are_derived_per_group_and_year() {
    for db in TestDb::all().await {
        let store = &db.store;
        let t = tree(store).await;
        link(store, t.indicator).await;
        let mut w = store
            .writer("test", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        let county = w
            .upsert_comparison_group(&ComparisonGroupInput {
                key: "stockholms-lan".into(),
                title: "Stockholms län".into(),
                kolada_id: Some("G00001".into()),
                members: ["0114", "0115", "0126", "0180"]
                    .iter()
                    .map(|x| m(x))
                    .collect(),
            })
            .await
            .unwrap();
        let similar = w
            .upsert_comparison_group(&ComparisonGroupInput {
                key: "liknande".into(),
                title: "Liknande kommuner".into(),
                kolada_id: None,
                members: ["0114", "0180"].iter().map(|x| m(x)).collect(),
            })
            .await
            .unwrap();
        w.set_indicator_groups(t.indicator, &[county, similar])
            .await
            .unwrap();
        w.write_kolada_values(&[
            value("N00901", "0126", 2019, Gender::Total, Some(19.87)),
            value("N00901", "0114", 2019, Gender::Total, Some(19.0)),
            value("N00901", "0115", 2019, Gender::Total, Some(20.5)),
            value("N00901", "0180", 2019, Gender::Total, None),
            value("N00901", "0180", 2019, Gender::Women, Some(1.0)),
        ])
        .await
        .unwrap();
        w.commit().await.unwrap();
        let r = store.indicator_record(t.indicator).await.unwrap();
        let c: Vec<_> = r
            .comparisons
            .iter()
            .map(|c| {
                (
                    c.group.as_str(),
                    c.rank,
                    c.of,
                    c.average.map(|a| (a * 1000.0).round() / 1000.0),
                )
            })
            .collect();
        // County: 0114 (19.0) is lower, 0115 higher, 0180 missing; average of the three
        // reporting members incl. us. Similar: we are not a member; only 0114 reports.
        assert!(
            c.contains(&("Stockholms län", Some(2), Some(3), Some(19.79))),
            "{c:?}"
        );
        assert!(
            c.contains(&("Liknande kommuner", Some(2), Some(2), Some(19.0))),
            "{c:?}"
        );
        assert!(r.kolada);

        // No municipality configured: no ranks.
        let mut w = store
            .writer("test", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        w.set_kolada_settings(&KoladaSettings {
            municipality: None,
            api_url: uppsikt_store::KOLADA_API.into(),
        })
        .await
        .unwrap();
        w.commit().await.unwrap();
        let r = store.indicator_record(t.indicator).await.unwrap();
        assert!(r.comparisons.is_empty());
        db.finish().await;
    }
}

/// The day of a KPI's last complete fetch is written through the writer like any change:
/// logged when it changes (set or forgotten), nothing written when it stays.
#[tokio::test]
async fn fetch_days_are_logged_when_they_change() {
    for db in TestDb::all().await {
        let store = &db.store;
        let kpis = [
            KpiId::parse("N00901").unwrap(),
            KpiId::parse("U07414").unwrap(),
        ];
        let write = |day: Option<&'static str>| {
            let kpis = kpis.clone();
            async move {
                let mut w = store
                    .writer("import", uppsikt_store::ChangeSource::Form)
                    .await
                    .unwrap();
                match day {
                    Some(day) => w.set_kolada_fetched_on(&kpis, day).await.unwrap(),
                    None => w.forget_kolada_fetched_on(&kpis[..1]).await.unwrap(),
                }
                w.commit().await.unwrap();
                (
                    log_rows(store, "kolada_fetched_on").await,
                    store.data_version().await.unwrap(),
                )
            }
        };
        let version = store.data_version().await.unwrap();
        assert_eq!(write(Some("2024-05-01")).await, (1, version + 1));
        assert_eq!(store.kolada_fetched_on().await.unwrap().len(), 2);
        assert_eq!(
            write(Some("2024-05-01")).await,
            (1, version + 1),
            "unchanged"
        );
        assert_eq!(write(None).await, (2, version + 2));
        assert_eq!(
            store
                .kolada_fetched_on()
                .await
                .unwrap()
                .keys()
                .collect::<Vec<_>>(),
            ["U07414"]
        );
        assert_eq!(write(None).await, (2, version + 2), "nothing to forget");
        db.finish().await;
    }
}
