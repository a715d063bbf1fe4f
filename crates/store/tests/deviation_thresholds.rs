//! A board's threshold for automatic deviations, on every backend: it changes what is
//! raised, is logged in the unit's history, and one indicator and period raises one
//! deviation however it was keyed before.

mod common;

use common::tree;

use uppsikt_domain::deviation::{DeviationThreshold, NewDeviation, Severity, Source};
use uppsikt_domain::indicator::{Breakdown, Outcome as IndicatorOutcome};
use uppsikt_domain::object_kind::ObjectKind;
use uppsikt_domain::Period;
use uppsikt_store::testing::TestDb;
use uppsikt_store::{Store, StoreError};

fn total(period: &str, value: f64) -> IndicatorOutcome {
    IndicatorOutcome {
        period: Period::parse(period).unwrap(),
        breakdown: Breakdown::Total,
        value,
        margin: None,
        sample_size: None,
    }
}

/// 2022: 68.5, 2023: 63.5 (a significant change for the worse), and optionally a 2023
/// milestone.
async fn falling(store: &Store, indicator: i64, milestone: Option<&str>) {
    let mut w = store
        .writer("controller", uppsikt_store::ChangeSource::Form)
        .await
        .unwrap();
    for (period, value) in [("2022", 68.5), ("2023", 63.5)] {
        w.set_outcome(indicator, &total(period, value))
            .await
            .unwrap();
    }
    w.set_milestone(
        indicator,
        2023,
        milestone.map(|m| uppsikt_domain::Target::parse(m).unwrap()),
    )
    .await
    .unwrap();
    w.commit().await.unwrap();
}

async fn set(store: &Store, org: i64, negative_trend: bool, min_shortfall: f64) {
    let mut w = store
        .writer("controller", uppsikt_store::ChangeSource::Form)
        .await
        .unwrap();
    w.set_deviation_threshold(
        org,
        DeviationThreshold {
            negative_trend,
            min_shortfall,
        },
    )
    .await
    .unwrap();
    w.commit().await.unwrap();
}

async fn due(store: &Store) -> Vec<NewDeviation> {
    store
        .automatic_deviations("2024-02-01", 2023)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_boards_threshold_changes_what_is_raised() {
    for db in TestDb::all().await {
        let store = &db.store;
        let t = tree(store).await;
        falling(store, t.indicator, None).await;
        assert!(store.deviation_thresholds().await.unwrap().is_empty());
        let key = format!("indicator:{}:2023", t.indicator);
        let trend_only = due(store).await;
        assert_eq!(trend_only.len(), 1, "{trend_only:#?}");
        assert_eq!(trend_only[0].cause_key.as_deref(), Some(key.as_str()));
        assert_eq!(trend_only[0].source, Source::IndicatorNegativeTrend);

        // The board (the indicator's unit governs itself) turns trend-only deviations off.
        set(store, t.child, false, 0.0).await;
        assert_eq!(
            store.deviation_threshold(t.child).await.unwrap(),
            DeviationThreshold {
                negative_trend: false,
                min_shortfall: 0.0
            }
        );
        assert!(due(store).await.is_empty(), "a trend alone raises nothing");
        // Another board's threshold is its own.
        assert_eq!(
            store.deviation_threshold(t.other).await.unwrap(),
            DeviationThreshold::default()
        );

        // A near miss of the milestone: 63.5 against > 65 is 2.3 % short.
        falling(store, t.indicator, Some(">65")).await;
        let missed = due(store).await;
        assert_eq!(missed.len(), 1, "one per indicator and period: {missed:#?}");
        assert_eq!(missed[0].source, Source::IndicatorNotAchieved);
        assert_eq!(missed[0].cause_key.as_deref(), Some(key.as_str()));
        set(store, t.child, false, 0.05).await;
        assert!(
            due(store).await.is_empty(),
            "a miss under 5 % of the milestone raises nothing"
        );
        set(store, t.child, false, 0.02).await;
        assert_eq!(due(store).await.len(), 1, "2.3 % is at least 2 %");

        // Every change is logged in the unit's history, with before and after.
        let history = store
            .history(ObjectKind::OrgUnit, t.child, 100)
            .await
            .unwrap();
        let logged: Vec<_> = history
            .iter()
            .filter(|e| e.object_type == "deviation_threshold")
            .collect();
        assert_eq!(logged.len(), 3, "{history:#?}");
        assert!(logged[0].after_value.as_deref().unwrap().contains("0.02"));
        // Saving the same again is no change.
        let version = store.data_version().await.unwrap();
        set(store, t.child, false, 0.02).await;
        assert_eq!(store.data_version().await.unwrap(), version);

        // Nonsense is refused and nothing is stored.
        let mut w = store
            .writer("controller", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        for bad in [1.5, -0.1, f64::NAN] {
            let refused = w
                .set_deviation_threshold(
                    t.child,
                    DeviationThreshold {
                        negative_trend: true,
                        min_shortfall: bad,
                    },
                )
                .await;
            assert!(matches!(refused, Err(StoreError::Corrupt(_))), "{bad}");
        }
        w.rollback().await.unwrap();
        assert_eq!(
            store
                .deviation_threshold(t.child)
                .await
                .unwrap()
                .min_shortfall,
            0.02
        );
        db.finish().await;
    }
}

/// A database raised under the old keys (one deviation per reason) gets nothing more for
/// the same indicator and period, whichever old key it holds.
#[tokio::test]
async fn raising_again_over_old_keys_adds_nothing_for_the_same_indicator_and_period() {
    for db in TestDb::all().await {
        let store = &db.store;
        let t = tree(store).await;
        // 2022 misses its milestone; 2023 misses its own and falls.
        falling(store, t.indicator, Some(">68,5")).await;
        let mut w = store
            .writer("controller", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        w.set_milestone(
            t.indicator,
            2022,
            Some(uppsikt_domain::Target::parse(">70").unwrap()),
        )
        .await
        .unwrap();
        w.commit().await.unwrap();
        let old = |reason: &str, source: Source, year: i32| NewDeviation {
            org_id: t.child,
            area: None,
            source,
            severity: Severity::Medium,
            period: Period::Year(year),
            description: format!("Andel trygga {year}: {reason}"),
            cause_key: Some(format!("indicator:{}:{reason}:{year}", t.indicator)),
        };
        let mut w = store
            .writer("controller", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        w.raise_deviations(
            vec![
                old("not_achieved", Source::IndicatorNotAchieved, 2022),
                old("negative_trend", Source::IndicatorNegativeTrend, 2023),
            ],
            "2024-01-15",
        )
        .await
        .unwrap();
        w.commit().await.unwrap();
        let keys: Vec<Option<String>> = store
            .automatic_deviations("2024-02-01", 2022)
            .await
            .unwrap()
            .into_iter()
            .map(|d| d.cause_key)
            .collect();
        assert_eq!(
            keys,
            [2022, 2023].map(|y| Some(format!("indicator:{}:{y}", t.indicator))),
            "the new keys are due"
        );
        for _ in 0..2 {
            let raised = store
                .raise_automatic_deviations(
                    "controller",
                    uppsikt_store::ChangeSource::Form,
                    Some(2022),
                )
                .await
                .unwrap();
            assert!(raised.is_empty(), "raised again: {raised:?}");
        }
        assert_eq!(store.deviations(None).await.unwrap().len(), 2);
        db.finish().await;
    }
}
