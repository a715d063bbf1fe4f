//! Deviations on every backend: raising is idempotent, a decision comes first, actions
//! follow their lifecycle, and every step is logged.

mod common;

use common::tree;
use std::collections::BTreeMap;

use uppsikt_domain::deviation::{
    Action, ActionState, Concern, DecidingBody, Decision, LifecycleError, NewDeviation, Outcome,
    Severity, Source, Standing, Tally,
};
use uppsikt_domain::indicator::{Breakdown, Outcome as IndicatorOutcome};
use uppsikt_domain::Period;
use uppsikt_store::testing::TestDb;
use uppsikt_store::{DeviationFilter, StoreError};

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

/// A total outcome for `period`.
fn total(period: &str, value: f64) -> IndicatorOutcome {
    IndicatorOutcome {
        period: Period::parse(period).unwrap(),
        breakdown: Breakdown::Total,
        value,
        margin: None,
        sample_size: None,
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
        let mut w = store
            .writer("controller", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
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
        let mut w = store
            .writer("controller", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
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
            closed_on: None,
        };
        let id = ids[0];
        let mut w = store
            .writer("controller", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
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

/// A recorded decision is corrected with a reason: the correction is in force, the
/// original is kept whole with who corrected it, when and why, and it is logged. A
/// correction without a reason, or of a decision within a decided period, changes nothing.
#[tokio::test]
async fn a_recorded_decision_is_corrected_and_the_original_kept() {
    for db in TestDb::all().await {
        let store = &db.store;
        let t = tree(store).await;
        let not_acting = decision(Outcome::NoAction {
            motivation: "Ryms i ordinarie arbete".into(),
        });
        let mut w = store
            .writer("controller", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        let id = w
            .raise_deviations(vec![trygg_utomhus(t.child, t.indicator)], "2024-02-01")
            .await
            .unwrap()[0];
        assert!(matches!(
            w.correct_deviation_decision(id, &decision(Outcome::Act), "Fel")
                .await,
            Err(StoreError::Lifecycle(LifecycleError::NothingToCorrect))
        ));
        w.decide_deviation(id, &not_acting).await.unwrap();
        w.commit().await.unwrap();

        let corrected = Decision {
            paragraph: "§ 14".into(),
            ..decision(Outcome::Act)
        };
        let mut w = store
            .writer("controller", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        assert!(matches!(
            w.correct_deviation_decision(id, &corrected, " ").await,
            Err(StoreError::Lifecycle(LifecycleError::ReasonRequired))
        ));
        w.rollback().await.unwrap();
        let before = store.deviation(id).await.unwrap();
        assert_eq!(before.deviation.decision.as_ref(), Some(&not_acting));
        assert!(before.deviation.corrections.is_empty());

        let mut w = store
            .writer("controller", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        w.correct_deviation_decision(id, &corrected, "Protokollet justerades: § 14, åtgärda.")
            .await
            .unwrap();
        w.commit().await.unwrap();
        let after = store.deviation(id).await.unwrap().deviation;
        assert_eq!(after.decision.as_ref(), Some(&corrected));
        assert_eq!(after.original_decision(), Some(&not_acting));
        assert_eq!(after.standing(), Standing::DecidedWithoutAction);
        let c = &after.corrections[0];
        assert_eq!(c.reason, "Protokollet justerades: § 14, åtgärda.");
        assert_eq!(c.corrected_by, "controller");
        assert_eq!(c.corrected_on, uppsikt_store::today());
        let log = store.change_log(Some(("deviation", id)), 1).await.unwrap();
        assert_eq!(log[0].action, "correct_decision");
        assert!(log[0]
            .before_value
            .as_deref()
            .unwrap()
            .contains("Ryms i ordinarie arbete"));
        assert!(log[0]
            .after_value
            .as_deref()
            .unwrap()
            .contains("Protokollet justerades"));

        // A board's decision on 2024 covers the decision's day: no more corrections.
        let mut w = store
            .writer("controller", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        w.lock_period(&uppsikt_domain::model::PeriodLock {
            org_id: t.ks,
            period: Period::Year(2024),
            body: "Kommunstyrelsen".into(),
            decided_on: "2025-03-30".into(),
            paragraph: "§ 40".into(),
            diary_number: "KS-2025/12".into(),
            locked_by: "controller".into(),
            locked_at: "2025-03-30T12:00:00Z".into(),
        })
        .await
        .unwrap();
        w.commit().await.unwrap();
        let mut w = store
            .writer("controller", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        assert!(matches!(
            w.correct_deviation_decision(id, &not_acting, "Ångrat")
                .await,
            Err(StoreError::Locked(_))
        ));
        w.rollback().await.unwrap();
        assert_eq!(store.deviation(id).await.unwrap().deviation, after);
        db.finish().await;
    }
}

/// The oversight view's queries count and list exactly what the domain's rules say, for
/// a mix of every standing, overdue and done actions, and effects known and unknown.
#[tokio::test]
async fn the_oversight_queries_agree_with_the_domain_rules() {
    const TODAY: &str = "2024-09-15";
    for db in TestDb::all().await {
        let store = &db.store;
        let t = tree(store).await;
        let mut w = store
            .writer("controller", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        // Outcomes for 2023 (ends 2023-12-31) and tertial 1 2024 (ends 2024-04-30).
        for (period, value) in [("2023", 63.5), ("2024T1", 65.0)] {
            w.set_outcome(t.indicator, &total(period, value))
                .await
                .unwrap();
        }
        let units = [t.ks, t.child, t.other];
        let areas = [None, Some("Vårby"), Some("Skogås")];
        let candidates: Vec<NewDeviation> = (0..45)
            .map(|i| NewDeviation {
                org_id: units[i % 3],
                area: areas[(i / 3) % 3].map(String::from),
                source: Source::Other,
                severity: Severity::Low,
                period: Period::Year(2024),
                description: format!("Avvikelse {i}"),
                cause_key: None,
            })
            .collect();
        let mut ids = Vec::new();
        for (i, c) in candidates.into_iter().enumerate() {
            let raised_on = format!("2024-0{}-1{}", 1 + i % 8, i % 10);
            ids.extend(w.raise_deviations(vec![c], &raised_on).await.unwrap());
        }
        for (i, id) in ids.iter().enumerate() {
            let kind = i % 5;
            if kind == 0 {
                continue; // undecided
            }
            let outcome = if kind == 1 {
                Outcome::NoAction {
                    motivation: "Ryms i ordinarie arbete".into(),
                }
            } else {
                Outcome::Act
            };
            w.decide_deviation(*id, &decision(outcome)).await.unwrap();
            if kind <= 2 {
                continue; // not acted on, or decided without action
            }
            for j in 0..(i % 4) {
                let action = Action {
                    what: format!("Åtgärd {i}.{j}"),
                    responsible_unit: t.child,
                    responsible_person: "Samordnare".into(),
                    due: ["2024-03-31", "2024-12-31", "2024-09-15"][j % 3].into(),
                    expected_effect: "Fler trygga".into(),
                    indicator_id: (j != 2).then_some(t.indicator),
                    state: ActionState::Planned,
                    comments: vec![],
                    closed_on: None,
                };
                let a = w.add_deviation_action(*id, &action).await.unwrap();
                let steps: &[(ActionState, &str)] = match (i + j) % 4 {
                    0 => &[],
                    1 => &[(ActionState::InProgress, "2024-02-01")],
                    2 => &[
                        (ActionState::InProgress, "2024-02-01"),
                        (ActionState::Done, "2024-03-31"),
                    ],
                    _ => &[
                        (ActionState::InProgress, "2024-02-01"),
                        (ActionState::Done, "2024-06-30"),
                    ],
                };
                for (state, on) in steps {
                    w.advance_deviation_action(a, *state, on, "").await.unwrap();
                }
            }
        }
        // Corrected decisions count as corrected: a decision not to act corrected to act
        // (decided without action), and one to act, still without actions, corrected to not.
        let mut corrected = 0;
        for (i, id) in ids.iter().enumerate() {
            let to = match i % 5 {
                1 if i % 2 == 1 => Outcome::Act,
                2 if i % 2 == 0 => Outcome::NoAction {
                    motivation: "Ryms i ordinarie arbete".into(),
                },
                _ => continue,
            };
            w.correct_deviation_decision(*id, &decision(to), "Fel i protokollet")
                .await
                .unwrap();
            corrected += 1;
        }
        assert!(corrected >= 4, "{corrected}");
        w.commit().await.unwrap();

        let record = store.indicator_record(t.indicator).await.unwrap();
        let effect_known = |a: &Action| a.effect(&record.outcomes).is_some();
        let all = store.deviations(None).await.unwrap();
        let mut expected: BTreeMap<(i64, Option<String>), Tally> = BTreeMap::new();
        for d in &all {
            let key = (d.deviation.raised.org_id, d.deviation.raised.area.clone());
            expected
                .entry(key)
                .or_default()
                .add(&Tally::of(&d.deviation, TODAY, effect_known));
        }
        let stored: BTreeMap<(i64, Option<String>), Tally> = store
            .oversight_tallies(TODAY)
            .await
            .unwrap()
            .into_iter()
            .map(|(org, area, tally)| ((org, area), tally))
            .collect();
        assert_eq!(stored, expected);
        let total = uppsikt_domain::deviation::oversight(
            all.iter().map(|d| &d.deviation),
            TODAY,
            effect_known,
        );
        assert!(total.undecided > 0 && total.decided_without_action > 0);
        assert!(total.overdue_actions > 0 && total.done_effect_unknown > 0);

        let filters = [
            DeviationFilter::default(),
            DeviationFilter {
                org_ids: Some(vec![t.ks, t.child]),
                area: None,
            },
            DeviationFilter {
                org_ids: None,
                area: Some("Vårby".into()),
            },
            DeviationFilter {
                org_ids: Some(vec![t.other]),
                area: Some(String::new()),
            },
        ];
        for filter in &filters {
            for concern in Concern::ALL {
                let mut want: Vec<&uppsikt_store::StoredDeviation> = all
                    .iter()
                    .filter(|d| {
                        let r = &d.deviation.raised;
                        filter
                            .org_ids
                            .as_ref()
                            .is_none_or(|ids| ids.contains(&r.org_id))
                            && filter
                                .area
                                .as_ref()
                                .is_none_or(|a| r.area.as_deref().unwrap_or("") == a)
                            && concern.matches(&d.deviation, TODAY, effect_known)
                    })
                    .collect();
                want.sort_by(|a, b| {
                    (&a.deviation.raised_on, a.id).cmp(&(&b.deviation.raised_on, b.id))
                });
                let page = store
                    .deviation_page(filter, concern, TODAY, 2, 5)
                    .await
                    .unwrap();
                assert_eq!(page.total, want.len(), "{filter:?} {concern:?}");
                let want_ids: Vec<i64> = want.iter().skip(2).take(5).map(|d| d.id).collect();
                let got_ids: Vec<i64> = page.items.iter().map(|d| d.id).collect();
                assert_eq!(got_ids, want_ids, "{filter:?} {concern:?}");
            }
        }
        db.finish().await;
    }
}

/// The automatic deviations of a year come from the stored evaluations and commitments,
/// and raising them twice raises them once.
#[tokio::test]
async fn automatic_deviations_are_raised_once() {
    for db in TestDb::all().await {
        let store = &db.store;
        let t = tree(store).await;
        let mut w = store
            .writer("controller", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        for (period, value) in [("2022", 68.5), ("2023", 63.5)] {
            w.set_outcome(t.indicator, &total(period, value))
                .await
                .unwrap();
        }
        w.set_milestone(
            t.indicator,
            2023,
            Some(uppsikt_domain::Target::parse(">68,5").unwrap()),
        )
        .await
        .unwrap();
        w.commit().await.unwrap();
        let due = store
            .automatic_deviations("2024-02-01", 2023)
            .await
            .unwrap();
        assert!(
            store
                .automatic_deviations("2024-02-01", 2024)
                .await
                .unwrap()
                .is_empty(),
            "nothing before the first year followed up"
        );
        assert!(
            due.iter().any(|d| d.source == Source::IndicatorNotAchieved
                && d.period == Period::Year(2023)
                && d.org_id == t.child),
            "{due:#?}"
        );
        for _ in 0..2 {
            let mut w = store
                .writer("controller", uppsikt_store::ChangeSource::Form)
                .await
                .unwrap();
            w.raise_deviations(
                store
                    .automatic_deviations("2024-02-01", 2023)
                    .await
                    .unwrap(),
                "2024-02-01",
            )
            .await
            .unwrap();
            w.commit().await.unwrap();
        }
        assert_eq!(store.deviations(None).await.unwrap().len(), due.len());
        db.finish().await;
    }
}

/// Outcomes without their period's last day (stored before the column existed, or
/// restored from an older backup) are filled when the store opens, through a writer that
/// logs it; a store with nothing to fill writes nothing and keeps its data version.
#[tokio::test]
async fn missing_last_days_are_filled_once_and_logged() {
    for db in TestDb::all().await {
        let store = &db.store;
        let t = tree(store).await;
        let mut w = store
            .writer("controller", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        for period in ["2023", "2024T1"] {
            w.set_outcome(t.indicator, &total(period, 60.0))
                .await
                .unwrap();
        }
        w.commit().await.unwrap();
        let untouched = store.data_version().await.unwrap();
        store.migrate().await.unwrap();
        assert_eq!(
            store.data_version().await.unwrap(),
            untouched,
            "nothing to fill, nothing written"
        );
        sqlx::query("UPDATE outcomes SET last_day = NULL")
            .execute(store.pool())
            .await
            .unwrap();
        store.migrate().await.unwrap();
        let days: Vec<(String, Option<String>)> =
            sqlx::query_as("SELECT period, last_day FROM outcomes ORDER BY period")
                .fetch_all(store.pool())
                .await
                .unwrap();
        assert_eq!(
            days,
            vec![
                ("2023".to_string(), Some("2023-12-31".to_string())),
                ("2024T1".to_string(), Some("2024-04-30".to_string())),
            ]
        );
        let log = store.change_log(None, 1).await.unwrap();
        assert_eq!(
            (log[0].actor.as_str(), log[0].action.as_str()),
            ("uppsikt (uppgradering)", "fill_last_days")
        );
        assert_eq!(store.data_version().await.unwrap(), untouched + 1);
        store.migrate().await.unwrap();
        assert_eq!(store.data_version().await.unwrap(), untouched + 1);
        db.finish().await;
    }
}

/// Many deviations with their decisions, actions and comments are written in one bulk
/// write, logged as one change, and read back as given; one that breaks the lifecycle
/// (actions without a decision to act) is refused.
#[tokio::test]
async fn deviations_are_written_in_bulk_as_given() {
    use uppsikt_domain::deviation::Deviation;
    for db in TestDb::all().await {
        let store = &db.store;
        let t = tree(store).await;
        let action = |state: ActionState, closed_on: Option<&str>, comments: usize| Action {
            what: "Trygghetsvandring".into(),
            responsible_unit: t.child,
            responsible_person: "Samordnare".into(),
            due: "2024-06-30".into(),
            expected_effect: "Fler trygga".into(),
            indicator_id: Some(t.indicator),
            state,
            comments: (0..comments)
                .map(|i| (format!("2024-05-0{}", i + 1), format!("Kommentar {i}")))
                .collect(),
            closed_on: closed_on.map(str::to_string),
        };
        let mut acted = Deviation::new(trygg_utomhus(t.child, t.indicator), "2024-02-01");
        acted.decision = Some(decision(Outcome::Act));
        acted.actions = vec![
            action(ActionState::Done, Some("2024-05-02"), 2),
            action(ActionState::Planned, None, 0),
        ];
        let mut not_acted = Deviation::new(trygg_utomhus(t.ks, t.indicator), "2024-02-03");
        not_acted.raised.cause_key = None;
        not_acted.decision = Some(decision(Outcome::NoAction {
            motivation: "Ryms i ordinarie arbete".into(),
        }));
        let mut open = Deviation::new(trygg_utomhus(t.other, t.indicator), "2024-02-04");
        open.raised.cause_key = None;
        let given = vec![acted, not_acted, open];
        let log_before = store.change_log(None, 1000).await.unwrap().len();
        let mut w = store
            .writer("bench", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        let ids = w.insert_deviations(&given).await.unwrap();
        w.commit().await.unwrap();
        assert_eq!(
            store.change_log(None, 1000).await.unwrap().len(),
            log_before + 1
        );
        for (id, want) in ids.iter().zip(&given) {
            let got = store.deviation(*id).await.unwrap();
            assert_eq!(&got.deviation, want);
        }

        let mut broken = Deviation::new(trygg_utomhus(t.child, t.indicator), "2024-02-01");
        broken.raised.cause_key = None;
        broken.actions = vec![action(ActionState::Planned, None, 0)];
        let mut w = store
            .writer("bench", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        assert!(matches!(
            w.insert_deviations(&[broken]).await,
            Err(StoreError::Lifecycle(LifecycleError::NoDecisionToAct))
        ));
        // The refused writer still holds its connection: closing the store waits for it.
        w.rollback().await.unwrap();
        db.finish().await;
    }
}

/// Automatic deviations come from the registered sources, and each source is asked for
/// every year any source holds data for.
#[tokio::test]
async fn automatic_deviations_come_from_every_registered_source() {
    use uppsikt_store::DEVIATION_SOURCES;
    for db in TestDb::all().await {
        let store = &db.store;
        let t = tree(store).await;
        let mut w = store
            .writer("controller", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        for (period, value) in [("2021", 70.0), ("2022", 60.0)] {
            w.set_outcome(t.indicator, &total(period, value))
                .await
                .unwrap();
        }
        let goal = store
            .indicator_record(t.indicator)
            .await
            .unwrap()
            .indicator
            .goal_id;
        w.create_commitment(&uppsikt_store::CommitmentInput {
            key: String::new(),
            goal_id: goal,
            title: "Ny lokal".into(),
            description: String::new(),
            year: 2023,
            carried_over_from: None,
            position: 0,
        })
        .await
        .unwrap();
        w.commit().await.unwrap();
        let due = store
            .automatic_deviations("2024-02-01", 2021)
            .await
            .unwrap();
        let mut asked = 0;
        for source in DEVIATION_SOURCES {
            let loaded = source.load(store, "2024-02-01").await.unwrap();
            for d in loaded.candidates(2023) {
                assert!(due.contains(&d), "{d:?}");
                asked += 1;
            }
        }
        assert_eq!(asked, 1, "only the commitment raises in 2023: {due:#?}");
        let keys: Vec<&str> = due.iter().filter_map(|d| d.cause_key.as_deref()).collect();
        let indicator = t.indicator;
        let commitment_key = keys.iter().find(|k| k.starts_with("commitment:")).copied();
        assert!(
            commitment_key.is_some_and(|k| k.ends_with(":unfinished:2023")),
            "{keys:?}"
        );
        // The indicator's 2021–2022 fall is raised once, in 2022, the year it ends in: not
        // again in 2023, a year only the commitment has data for.
        assert!(
            keys.contains(&format!("indicator:{indicator}:2022").as_str()),
            "{keys:?}"
        );
        assert!(
            !keys.contains(&format!("indicator:{indicator}:2023").as_str()),
            "{keys:?}"
        );
        db.finish().await;
    }
}
