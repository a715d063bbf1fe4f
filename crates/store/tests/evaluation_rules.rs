//! What evaluation reads from the store: an indicator's margin basis and trend window, the
//! municipality's relative threshold, and the comparisons a relative milestone needs.

mod common;

use common::tree;
use uppsikt_domain::indicator::TrendWindow;
use uppsikt_domain::model::Comparison;
use uppsikt_domain::uncertainty::MarginBasis;
use uppsikt_domain::{Breakdown, Direction, Frequency, Outcome, Period, Status, Target};
use uppsikt_store::testing::TestDb;
use uppsikt_store::{IndicatorInput, Scope};

fn input(goal: i64, basis: Option<MarginBasis>, window: TrendWindow) -> IndicatorInput {
    IndicatorInput {
        key: "nojd-medborgare".into(),
        goal_id: goal,
        name: "Nöjd-Medborgar-Index".into(),
        unit: "index".into(),
        direction: Direction::Higher,
        source: "SCB:s medborgarundersökning".into(),
        kolada_kpi: String::new(),
        decimals: 0,
        frequency: Frequency::Biennial,
        position: 1,
        margin_basis: basis,
        trend_window: window,
    }
}

#[tokio::test]
async fn margin_basis_and_trend_window_round_trip() {
    for db in TestDb::all().await {
        let store = &db.store;
        let t = tree(store).await;
        let mut w = store
            .writer("test", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        let basis = MarginBasis::Survey {
            respondents: Some(480),
        };
        let id = w
            .create_indicator(&input(t.goal, Some(basis), TrendWindow::Series))
            .await
            .unwrap();
        w.commit().await.unwrap();
        let stored: (String, String) =
            sqlx::query_as("SELECT margin_basis, trend_window FROM indicators WHERE id = $1")
                .bind(id)
                .fetch_one(store.pool())
                .await
                .unwrap();
        assert_eq!(stored, ("survey:480".into(), "series".into()));
        let read = store.indicator_record(id).await.unwrap().indicator;
        assert_eq!(read.margin_basis, Some(basis));
        assert_eq!(read.trend_window, TrendWindow::Series);

        // Back to "as the source implies": stored as '' and read as None.
        let mut w = store
            .writer("test", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        w.upsert_indicator(&input(t.goal, None, TrendWindow::LastTwo))
            .await
            .unwrap();
        w.commit().await.unwrap();
        let read = store.indicator_record(id).await.unwrap().indicator;
        assert_eq!(read.margin_basis, None);
        assert_eq!(read.trend_window, TrendWindow::LastTwo);
        assert_eq!(read.uncertainty(), basis, "implied by the source");
        let log = store.change_log(Some(("indicator", id)), 1).await.unwrap();
        let before = log[0].before_value.clone().unwrap_or_default();
        let after = log[0].after_value.clone().unwrap_or_default();
        assert!(
            before.contains("\"series\"") && before.contains("480"),
            "{before}"
        );
        assert!(
            after.contains("\"last_two\"") && after.contains("\"margin_basis\":null"),
            "{after}"
        );

        // A code the domain does not know is corrupt data, not a panic.
        sqlx::query("UPDATE indicators SET margin_basis = 'gissning' WHERE id = $1")
            .bind(id)
            .execute(store.pool())
            .await
            .unwrap();
        assert!(store.indicator_record(id).await.is_err());
        db.finish().await;
    }
}

#[tokio::test]
async fn records_carry_the_newest_relative_threshold() {
    for db in TestDb::all().await {
        let store = &db.store;
        let t = tree(store).await;
        // The migration's first version: 1 %.
        assert_eq!(
            store
                .evaluation_settings()
                .await
                .unwrap()
                .relative_threshold,
            0.01
        );
        sqlx::query(
            "INSERT INTO rule_versions (scale_id, thresholds, commitment_weight, \
             unfinished_commitment_penalty, missing_outcomes, relative_threshold, saved_at, saved_by) \
             SELECT id, thresholds, commitment_weight, unfinished_commitment_penalty, 'ignored', 0.05, \
             '2026-01-01T00:00:00Z', 'test' FROM assessment_scales WHERE active = 1",
        )
        .execute(store.pool())
        .await
        .unwrap();
        assert_eq!(
            store
                .evaluation_settings()
                .await
                .unwrap()
                .relative_threshold,
            0.05
        );
        let full = store.indicator_record(t.indicator).await.unwrap();
        assert_eq!(full.settings.relative_threshold, 0.05);
        for r in store.indicator_statuses(Scope::All).await.unwrap() {
            assert_eq!(r.settings.relative_threshold, 0.05);
        }
        sqlx::query("DELETE FROM rule_versions")
            .execute(store.pool())
            .await
            .unwrap();
        assert_eq!(
            store.evaluation_settings().await.unwrap(),
            Default::default(),
            "no version: the defaults"
        );
        db.finish().await;
    }
}

/// A goal list (`indicator_statuses`) judges "> Länssnitt" as the indicator page does.
#[tokio::test]
async fn goal_lists_judge_relative_milestones_like_the_indicator_page() {
    for db in TestDb::all().await {
        let store = &db.store;
        let t = tree(store).await;
        let mut w = store
            .writer("test", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        w.set_outcome(
            t.indicator,
            &Outcome {
                period: Period::Year(2019),
                breakdown: Breakdown::Total,
                value: 82.0,
                margin: None,
                sample_size: None,
            },
        )
        .await
        .unwrap();
        w.set_milestone(
            t.indicator,
            2019,
            Some(Target::parse("> Länssnitt").unwrap()),
        )
        .await
        .unwrap();
        w.add_comparison(
            t.indicator,
            &Comparison {
                period: Period::Year(2019),
                group: "Stockholms län".into(),
                rank: None,
                of: None,
                average: Some(78.0),
            },
        )
        .await
        .unwrap();
        w.commit().await.unwrap();
        let page = store
            .indicator_record(t.indicator)
            .await
            .unwrap()
            .evaluate(Period::Year(2019));
        assert_eq!(page.status, Status::Achieved);
        let statuses = store.indicator_statuses(Scope::Org(t.child)).await.unwrap();
        let listed = statuses
            .iter()
            .find(|r| r.indicator.id == t.indicator)
            .unwrap()
            .evaluate(Period::Year(2019));
        assert_eq!(listed.status, page.status);
        assert_eq!(listed.benchmark, page.benchmark);
        db.finish().await;
    }
}
