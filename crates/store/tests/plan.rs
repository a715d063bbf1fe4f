//! The plan on every backend: a roll-over carries last year's unfinished commitments once
//! and sets the new year's milestones in one transaction (all or nothing); a decision on
//! the plan freezes its year's milestones, targets and commitments for the unit and the
//! units below it until reopened (logged); the follow-up stays open.

mod common;

use common::tree;
use uppsikt_domain::plan::PlanDecision;
use uppsikt_domain::{Breakdown, CommitmentStatus, Outcome, Period, Target};
use uppsikt_store::testing::TestDb;
use uppsikt_store::{CommitmentInput, Scope, StoreError};

fn decision(org_id: i64, year: i32) -> PlanDecision {
    PlanDecision {
        org_id,
        year,
        body: "Kommunstyrelsen".into(),
        decided_on: "2019-12-09".into(),
        paragraph: "§ 200".into(),
        diary_number: "KS-2019/1".into(),
        decided_by: "controller".into(),
        decided_at: "2019-12-10T10:00:00Z".into(),
    }
}

fn commitment(goal_id: i64, title: &str, year: i32) -> CommitmentInput {
    CommitmentInput {
        key: String::new(),
        goal_id,
        title: title.into(),
        description: format!("Beskrivning av {title}"),
        year,
        carried_over_from: None,
        position: 0,
    }
}

fn target(s: &str) -> Option<Target> {
    Some(Target::parse(s).unwrap())
}

async fn plan_log_rows(store: &uppsikt_store::Store) -> usize {
    store
        .change_log(None, 1000)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.object_type == "plan")
        .count()
}

#[tokio::test]
async fn a_roll_over_carries_unfinished_commitments_once_and_sets_milestones() {
    for db in TestDb::all().await {
        eprintln!("plan roll-over on {:?}", db.backend());
        let store = &db.store;
        let t = tree(store).await;
        let mut w = store
            .writer("test", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        let open = w
            .create_commitment(&commitment(t.goal, "Arkitekturstrategi", 2019))
            .await
            .unwrap();
        w.add_commitment_status(open, "2019-12-31", CommitmentStatus::NotDoneThisYear, "")
            .await
            .unwrap();
        let done = w
            .create_commitment(&commitment(t.goal, "Spårväg syd", 2019))
            .await
            .unwrap();
        w.add_commitment_status(done, "2019-12-31", CommitmentStatus::Done, "")
            .await
            .unwrap();
        w.set_milestone(t.indicator, 2019, target("≥ 49"))
            .await
            .unwrap();
        w.commit().await.unwrap();

        let mut w = store
            .writer("redaktor", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        let done_now = w
            .roll_over(t.child, 2020, &[(t.indicator, target("≥ 52"))])
            .await
            .unwrap();
        w.commit().await.unwrap();
        assert_eq!(done_now.carried.len(), 1);
        assert_eq!(done_now.carried[0].0, open);
        assert_eq!(done_now.milestones, 1);

        let all = store.commitments(Scope::Org(t.child)).await.unwrap();
        let new: Vec<_> = all.iter().filter(|c| c.year == 2020).collect();
        assert_eq!(new.len(), 1, "Klart is not carried: {all:?}");
        assert_eq!(new[0].title, "Arkitekturstrategi");
        assert_eq!(new[0].description, "Beskrivning av Arkitekturstrategi");
        assert_eq!(new[0].carried_over_from, Some(open));
        assert!(new[0].statuses.is_empty(), "the history stays with 2019's");
        let old = store.commitment(open).await.unwrap();
        assert_eq!(old.statuses.len(), 1);
        let record = store.indicator_record(t.indicator).await.unwrap();
        assert!(record
            .milestones
            .contains(&(2020, Target::parse("≥52").unwrap())));

        // Again: nothing is carried twice, an unchanged milestone is no change.
        let mut w = store
            .writer("redaktor", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        let again = w
            .roll_over(t.child, 2020, &[(t.indicator, target("≥ 52"))])
            .await
            .unwrap();
        w.commit().await.unwrap();
        assert_eq!(again.carried, vec![]);
        assert_eq!(again.milestones, 0);
        assert_eq!(
            store.commitments(Scope::Org(t.child)).await.unwrap().len(),
            3
        );
        assert_eq!(plan_log_rows(store).await, 2, "one row per roll-over");

        // An indicator of another unit: nothing at all is written.
        let mut w = store
            .writer("redaktor", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        let result = w
            .roll_over(t.ks, 2020, &[(t.indicator, target("≥ 60"))])
            .await;
        assert!(
            matches!(result, Err(StoreError::NotFound { .. })),
            "{result:?}"
        );
        drop(w);
        let record = store.indicator_record(t.indicator).await.unwrap();
        assert!(record
            .milestones
            .contains(&(2020, Target::parse("≥52").unwrap())));
    }
}

#[tokio::test]
async fn a_decided_plan_freezes_its_year_for_the_unit_and_below_until_reopened() {
    for db in TestDb::all().await {
        eprintln!("plan decision on {:?}", db.backend());
        let store = &db.store;
        let t = tree(store).await;
        let mut w = store
            .writer("test", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        let c2020 = w
            .create_commitment(&commitment(t.goal, "Processregister", 2020))
            .await
            .unwrap();
        w.set_milestone(t.indicator, 2020, target("≥ 52"))
            .await
            .unwrap();
        w.commit().await.unwrap();

        // KS decides its plan for 2020: the child below KS is covered.
        let mut w = store
            .writer("controller", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        let id = w.decide_plan(&decision(t.ks, 2020)).await.unwrap();
        assert!(id > 0);
        w.commit().await.unwrap();
        let mut w = store
            .writer("controller", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        assert!(matches!(
            w.decide_plan(&decision(t.ks, 2020)).await,
            Err(StoreError::Duplicate(_))
        ));
        drop(w);
        assert_eq!(
            store
                .plan_covering(t.child, 2020)
                .await
                .unwrap()
                .unwrap()
                .org_id,
            t.ks
        );

        let refused = |r: Result<(), StoreError>, what: &str| {
            assert!(
                matches!(r, Err(StoreError::PlanDecided(_))),
                "{what}: {r:?}"
            );
        };
        let mut w = store
            .writer("redaktor", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        refused(
            w.set_milestone(t.indicator, 2020, target("≥ 60")).await,
            "the year's milestone",
        );
        refused(
            w.set_target(t.indicator, 2030, target("≥ 70")).await,
            "a long-term target the plan shows",
        );
        refused(
            w.create_commitment(&commitment(t.goal, "Nytt", 2020))
                .await
                .map(|_| ()),
            "a new commitment of the year",
        );
        let mut changed = commitment(t.goal, "Processregister 2.0", 2020);
        changed.key = store.commitment(c2020).await.unwrap().key;
        refused(
            w.update_commitment(c2020, &changed).await,
            "a commitment's definition",
        );
        refused(
            w.roll_over(t.child, 2020, &[]).await.map(|_| ()),
            "a roll-over into the decided year",
        );
        refused(
            w.clear_indicator_series(t.indicator).await,
            "a re-import replacing the series",
        );
        drop(w);

        // The follow-up and other years stay open.
        let mut w = store
            .writer("redaktor", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        w.set_outcome(
            t.indicator,
            &Outcome {
                period: Period::Year(2020),
                breakdown: Breakdown::Total,
                value: 55.0,
                margin: None,
                sample_size: None,
            },
        )
        .await
        .unwrap();
        w.add_commitment_status(c2020, "2020-06-30", CommitmentStatus::InProgress, "")
            .await
            .unwrap();
        w.set_milestone(t.indicator, 2021, target("≥ 55"))
            .await
            .unwrap();
        w.set_target(t.indicator, 2019, target("≥ 40"))
            .await
            .unwrap();
        w.commit().await.unwrap();
        // Another board's plan is not covered.
        let mut w = store
            .writer("redaktor", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        w.ensure_plan_open(t.other, 2020).await.unwrap();
        drop(w);
        let record = store.indicator_record(t.indicator).await.unwrap();
        assert!(record
            .milestones
            .contains(&(2020, Target::parse("≥52").unwrap())));

        // Reopening (logged with the reason) opens the year again.
        let mut w = store
            .writer("controller", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        w.reopen_plan(t.ks, 2020, "Fel etappmål").await.unwrap();
        w.commit().await.unwrap();
        let log = store.change_log(None, 1000).await.unwrap();
        let reopen = log
            .iter()
            .find(|e| e.object_type == "plan" && e.action == "reopen")
            .expect("logged");
        assert!(reopen
            .after_value
            .as_deref()
            .unwrap_or("")
            .contains("Fel etappmål"));
        let mut w = store
            .writer("redaktor", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        w.set_milestone(t.indicator, 2020, target("≥ 60"))
            .await
            .unwrap();
        w.commit().await.unwrap();
        let mut w = store
            .writer("controller", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        assert!(w
            .reopen_plan(t.ks, 2020, "igen")
            .await
            .unwrap_err()
            .is_not_found());
    }
}
