//! A decision freezes what its pages rest on, in the one write path, on every backend:
//! milestones, targets, direction, goal places, commitments and their statuses, typed
//! comparisons and units' places; what it does not cover stays open; reopening (logged)
//! opens it again.

mod common;

use common::tree;
use uppsikt_domain::model::{Comparison, GoalKind, PeriodLock};
use uppsikt_domain::{Breakdown, CommitmentStatus, Direction, Outcome, Period, Target};
use uppsikt_store::testing::TestDb;
use uppsikt_store::{CommitmentInput, GoalInput, IndicatorInput, StoreError};

fn decision(org_id: i64, period: &str) -> PeriodLock {
    PeriodLock {
        org_id,
        period: Period::parse(period).unwrap(),
        body: "Kommunstyrelsen".into(),
        decided_on: String::new(),
        paragraph: String::new(),
        diary_number: String::new(),
        locked_by: "controller".into(),
        locked_at: "2020-03-30T12:00:00Z".into(),
    }
}

/// Runs one change in its own transaction; a refused change is rolled back.
macro_rules! attempt {
    ($store:expr, $w:ident => $change:expr) => {{
        let mut $w = $store
            .writer("redaktor", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        let result: Result<(), StoreError> = async { $change.map(|_| ()) }.await;
        match result {
            Ok(()) => $w.commit().await,
            Err(e) => Err(e),
        }
    }};
}

fn refused(result: Result<(), StoreError>, what: &str) {
    assert!(
        matches!(result, Err(StoreError::Locked(_))),
        "{what}: {result:?}"
    );
}

#[tokio::test]
async fn a_decision_freezes_what_its_pages_rest_on_until_reopened() {
    for db in TestDb::all().await {
        eprintln!("decided on {:?}", db.backend());
        let store = &db.store;
        let t = tree(store).await;
        let ind = t.indicator;
        let goal = store.indicator_record(ind).await.unwrap().indicator.goal_id;
        let mut w = store
            .writer("test", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        w.set_outcome(
            ind,
            &Outcome {
                period: Period::Year(2019),
                breakdown: Breakdown::Total,
                value: 70.0,
                margin: None,
                sample_size: None,
            },
        )
        .await
        .unwrap();
        w.set_milestone(ind, 2019, Some(Target::parse("≥ 49").unwrap()))
            .await
            .unwrap();
        let commitment = w
            .create_commitment(&CommitmentInput {
                key: String::new(),
                goal_id: goal,
                title: "Åtagande 2019".into(),
                description: String::new(),
                year: 2019,
                carried_over_from: None,
                position: 0,
            })
            .await
            .unwrap();
        let parent_goal = w
            .create_goal(&GoalInput {
                key: String::new(),
                org_id: t.ks,
                parent_id: None,
                title: "KS-mål".into(),
                description: String::new(),
                kind: GoalKind::Board,
                position: 0,
            })
            .await
            .unwrap();
        w.lock_period(&decision(t.ks, "2019")).await.unwrap();
        w.commit().await.unwrap();
        let version = store.data_version().await.unwrap();
        let before = store.indicator_record(ind).await.unwrap();

        refused(
            attempt!(store, w => w.set_milestone(ind, 2019, Some(Target::parse("≥ 40").unwrap())).await),
            "the decided year's milestone",
        );
        refused(
            attempt!(store, w => w.set_target(ind, 2030, Some(Target::parse("> 90").unwrap())).await),
            "a long-term target shown beside decided figures",
        );
        let changed = |direction: Direction| IndicatorInput {
            key: before.indicator.key.clone(),
            goal_id: goal,
            name: before.indicator.name.clone(),
            unit: before.indicator.unit.clone(),
            direction,
            source: String::new(),
            kolada_kpi: String::new(),
            decimals: before.indicator.decimals,
            frequency: uppsikt_domain::Frequency::Year,
            position: 0,
            margin_basis: None,
            trend_window: Default::default(),
        };
        refused(
            attempt!(store, w => w.update_indicator(ind, &changed(Direction::Lower)).await),
            "the direction",
        );
        refused(
            attempt!(store, w => w.clear_indicator_series(ind).await),
            "clearing a decided series",
        );
        refused(
            attempt!(store, w => w.add_comparison(
                    ind,
                    &Comparison {
                        period: Period::Year(2018),
                        group: "Riket".into(),
                        rank: Some(1),
                        of: Some(290),
                        average: None,
                    },
                ).await),
            "a typed comparison of an earlier year",
        );
        let goal_input = store.goal(goal).await.unwrap();
        refused(
            attempt!(store, w => w.update_goal(
                    goal,
                    &GoalInput {
                        key: goal_input.key.clone(),
                        org_id: goal_input.org_id,
                        parent_id: Some(parent_goal),
                        title: goal_input.title.clone(),
                        description: String::new(),
                        kind: goal_input.kind,
                        position: 0,
                    },
                ).await),
            "moving a decided goal",
        );
        let commitment_input = |title: &str, year: i32| CommitmentInput {
            key: String::new(),
            goal_id: goal,
            title: title.into(),
            description: String::new(),
            year,
            carried_over_from: None,
            position: 0,
        };
        refused(
            attempt!(store, w => w.create_commitment(&commitment_input("I efterhand", 2019))
                        .await),
            "a new commitment of the decided year",
        );
        refused(
            attempt!(store, w => w.update_commitment(commitment, &commitment_input("Ny rubrik", 2019)).await),
            "editing a decided commitment",
        );
        refused(
            attempt!(store, w => w.add_commitment_status(commitment, "2019-06-01", CommitmentStatus::Done, "")
                        .await),
            "a status dated within the decision",
        );
        refused(
            attempt!(store, w => w.upsert_org_unit(&uppsikt_store::OrgUnitInput {
                        key: "son".into(),
                        name: "son".into(),
                        short_name: "son".into(),
                        kind: uppsikt_domain::model::OrgKind::Namnd,
                        parent_id: Some(t.ks),
                        position: 0,
                    })
                    .await),
            "moving another board in under the decision",
        );
        assert_eq!(
            store.data_version().await.unwrap(),
            version,
            "nothing changed"
        );
        assert_eq!(store.indicator_record(ind).await.unwrap(), before);

        // What the decision does not cover stays open.
        attempt!(store, w => w.set_milestone(ind, 2020, Some(Target::parse("≥ 60").unwrap())).await)
        .unwrap();
        attempt!(store, w => w.add_commitment_status(commitment, "2020-02-01", CommitmentStatus::Done, "")
                    .await)
        .unwrap();
        attempt!(store, w => w.create_commitment(&commitment_input("Nästa år", 2020))
                    .await)
        .unwrap();
        let renamed = IndicatorInput {
            name: "Andel trygga (nytt namn)".into(),
            ..changed(Direction::Higher)
        };
        attempt!(store, w => w.update_indicator(ind, &renamed).await).unwrap();

        // Reopened (logged), the direction can change.
        let mut w = store
            .writer("controller", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        w.reopen_period(t.ks, Period::Year(2019), "fel riktning")
            .await
            .unwrap();
        w.commit().await.unwrap();
        attempt!(store, w => w.update_indicator(ind, &changed(Direction::Lower)).await).unwrap();
        db.finish().await;
    }
}
