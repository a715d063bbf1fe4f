//! Deviations on every backend: raising is idempotent, a decision comes first, actions
//! follow their lifecycle, and every step is logged.

mod common;

use common::tree;
use uppsikt_domain::deviation::{
    Action, ActionState, DecidingBody, Decision, LifecycleError, NewDeviation, Outcome, Severity,
    Source, Standing,
};
use uppsikt_domain::Period;
use uppsikt_store::testing::TestDb;
use uppsikt_store::StoreError;

fn trygg_utomhus(org_id: i64, indicator: i64) -> NewDeviation {
    NewDeviation {
        org_id,
        area: None,
        source: Source::IndicatorNotAchieved,
        severity: Severity::Medium,
        period: Period::Year(2023),
        description: "Trygg utomhus: etappmålet nåddes inte 2023.".into(),
        cause_key: Some(format!("indicator:{indicator}:not_achieved:2023")),
    }
}

fn decision(outcome: Outcome) -> Decision {
    Decision {
        body: DecidingBody::Board,
        decided_on: "2024-03-20".into(),
        paragraph: "§ 12".into(),
        diary_number: "KS-2024/55".into(),
        outcome,
    }
}

#[tokio::test]
async fn a_deviation_is_raised_once_decided_once_and_its_actions_followed() {
    for db in TestDb::all().await {
        let store = &db.store;
        let t = tree(store).await;
        let manual = NewDeviation {
            org_id: t.ks,
            area: Some("Vårby".into()),
            source: Source::AuditRemark,
            severity: Severity::High,
            period: Period::Year(2024),
            description: "Lägesbilden når inte styrelsen.".into(),
            cause_key: None,
        };
        let mut w = store.writer("controller").await.unwrap();
        let ids = w
            .raise_deviations(
                vec![trygg_utomhus(t.child, t.indicator), manual.clone()],
                "2024-02-01",
            )
            .await
            .unwrap();
        w.commit().await.unwrap();
        assert_eq!(ids.len(), 2);
        // Raising the same cause again adds nothing (a manual one has no cause key).
        let mut w = store.writer("controller").await.unwrap();
        let again = w
            .raise_deviations(vec![trygg_utomhus(t.child, t.indicator)], "2024-02-02")
            .await
            .unwrap();
        w.commit().await.unwrap();
        assert!(again.is_empty());
        assert_eq!(store.deviations(None).await.unwrap().len(), 2);

        // An action before a decision is refused; so is a second decision.
        let action = Action {
            what: "Trygghetsvandring i Vårby".into(),
            responsible_unit: t.child,
            responsible_person: "Områdessamordnare".into(),
            due: "2024-06-30".into(),
            expected_effect: "Fler trygga kvällstid".into(),
            indicator_id: Some(t.indicator),
            state: ActionState::Done,
            comments: vec![],
        };
        let id = ids[0];
        let mut w = store.writer("controller").await.unwrap();
        assert!(matches!(
            w.add_deviation_action(id, &action).await,
            Err(StoreError::Lifecycle(LifecycleError::NoDecisionToAct))
        ));
        w.decide_deviation(id, &decision(Outcome::Act))
            .await
            .unwrap();
        assert!(matches!(
            w.decide_deviation(id, &decision(Outcome::Act)).await,
            Err(StoreError::Lifecycle(LifecycleError::AlreadyDecided))
        ));
        let action_id = w.add_deviation_action(id, &action).await.unwrap();
        assert!(matches!(
            w.advance_deviation_action(action_id, ActionState::Done, "2024-05-01", "")
                .await,
            Err(StoreError::Lifecycle(LifecycleError::Transition(..)))
        ));
        w.advance_deviation_action(action_id, ActionState::InProgress, "2024-04-01", "Startad")
            .await
            .unwrap();
        w.commit().await.unwrap();

        let stored = store.deviation(id).await.unwrap();
        assert_eq!(stored.deviation.standing(), Standing::ActionsOpen);
        assert_eq!(stored.action_ids, vec![action_id]);
        let a = &stored.deviation.actions[0];
        assert_eq!(
            a.state,
            ActionState::InProgress,
            "stored planned, then moved on"
        );
        assert_eq!(
            a.comments,
            vec![("2024-04-01".to_string(), "Startad".to_string())]
        );
        assert!(a.is_overdue("2024-07-01"));
        let other = store.deviation(ids[1]).await.unwrap();
        assert_eq!(other.deviation.standing(), Standing::Undecided);
        assert_eq!(other.deviation.raised, manual);

        let log = store.change_log(None, 20).await.unwrap();
        let actions: Vec<(&str, &str)> = log
            .iter()
            .filter(|e| e.object_type.starts_with("deviation"))
            .map(|e| (e.action.as_str(), e.object_type.as_str()))
            .collect();
        assert_eq!(
            actions,
            [
                ("advance", "deviation_action"),
                ("create", "deviation_action"),
                ("decide", "deviation"),
                ("raise", "deviation"),
                ("raise", "deviation"),
            ]
        );
        db.finish().await;
    }
}
