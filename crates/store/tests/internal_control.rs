//! Internal control on every backend: a plan written and read whole; executions with
//! findings raising their deviation once; actions verified only when done and amended
//! with the earlier text kept; a risk matrix fixed once a risk is scored; a locked year
//! refusing every change and changing nothing; common items pushed once; a carry-over
//! once; the plans' automatic deviations through `Store::automatic_deviations`.

mod common;

use common::tree;
use uppsikt_domain::internal_control::{
    ActionSource, ActionStatus, Blocker, ContractFollowUp, ControlKind, ControlResult,
    Discontinuation, Execution, ExecutionError, FirstDocumented, Handling, IcRefusal, MatrixError,
    RiskScore, Verification,
};
use uppsikt_domain::model::{Id, PeriodLock};
use uppsikt_domain::object_kind::ObjectKind;
use uppsikt_domain::Period;
use uppsikt_store::testing::TestDb;
use uppsikt_store::{
    ActionInput, ControlInput, NewControlPlan, PlanHeader, RiskInput, Store, StoreError, Writer,
};

async fn writer(store: &Store) -> Writer {
    store
        .writer("controller", uppsikt_store::ChangeSource::Form)
        .await
        .unwrap()
}

async fn new_plan(w: &mut Writer, org_id: Id, year: i32) -> Id {
    w.create_control_plan(&NewControlPlan {
        org_id,
        year,
        rule_ref: "HKF 9410".into(),
        legal_basis: "KL 6:6".into(),
    })
    .await
    .unwrap()
}

fn risk(key: &str, text: &str) -> RiskInput {
    RiskInput {
        key: key.into(),
        area: "Informationssäkerhet".into(),
        text: text.into(),
        ..RiskInput::default()
    }
}

fn action(key: &str, text: &str, sources: Vec<ActionSource>) -> ActionInput {
    ActionInput {
        key: key.into(),
        text: text.into(),
        responsible: "Förvaltningschef".into(),
        sources,
        blocked_by: None,
    }
}

fn monthly(year: i32) -> Vec<String> {
    (1..=12).map(|m| format!("{year}-{m:02}-28")).collect()
}

fn control(key: &str, name: &str, planned_dates: Vec<String>) -> ControlInput {
    ControlInput {
        key: key.into(),
        kind: ControlKind::Systematic,
        area: "Sund ekonomi".into(),
        name: name.into(),
        purpose: "Fakturor följer reglerna".into(),
        method: "Månadsvisa stickprov".into(),
        frequency: "Månadsvis".into(),
        sample: "tio fakturor".into(),
        planned_parameters: "> 50 000 kr".into(),
        responsible: "Ekonomichef".into(),
        due: "2019-12-31".into(),
        origin: String::new(),
        comment: String::new(),
        common: false,
        planned_dates,
    }
}

fn performed(on: &str, result: ControlResult, findings: &str) -> Execution {
    Execution::Performed {
        performed_on: on.into(),
        parameters_used: String::new(),
        result,
        findings: findings.into(),
    }
}

fn refusal<T: std::fmt::Debug>(r: Result<T, StoreError>) -> IcRefusal {
    match r {
        Err(StoreError::InternalControl(r)) => r,
        other => panic!("expected an internal-control refusal, got {other:?}"),
    }
}

fn labels(n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("Nivå {i}")).collect()
}

async fn deviations_with_key(store: &Store, key: &str) -> usize {
    store
        .deviations(None)
        .await
        .unwrap()
        .iter()
        .filter(|d| d.deviation.raised.cause_key.as_deref() == Some(key))
        .count()
}

#[tokio::test]
async fn a_plan_is_written_and_read_whole() {
    for db in TestDb::all().await {
        eprintln!("internal control plan on {:?}", db.backend());
        let store = &db.store;
        let t = tree(store).await;
        let mut w = writer(store).await;
        let plan_id = new_plan(&mut w, t.ks, 2019).await;
        let header = PlanHeader {
            rule_ref: "HKF 9410".into(),
            legal_basis: "KL 6:6".into(),
            adoption: Some(uppsikt_domain::internal_control::Adoption {
                body: "Kommunstyrelsen".into(),
                decided_on: "2019-01-28".into(),
                paragraph: "§ 12".into(),
                diary_number: "KS-2019/10".into(),
            }),
            risk_analysis: Some(uppsikt_domain::internal_control::RiskAnalysis {
                held_on: Some("2018-11-01".into()),
                participants: "Ledningsgruppen".into(),
                elected_members_took_part: false,
            }),
            self_assessment: Some(uppsikt_domain::internal_control::OverallAssessment {
                level: "Godtagbar".into(),
                motivation: "I stort fungerande".into(),
                source: "Verksamhetsberättelse 2019".into(),
            }),
            auditor_assessment: None,
        };
        w.update_control_plan(plan_id, &header).await.unwrap();
        let rk01 = w
            .add_risk(
                plan_id,
                &RiskInput {
                    first_documented: Some(FirstDocumented::InOrBefore(2012)),
                    background: "Överflyttad från verksamhetsberättelse för 2018.".into(),
                    ..risk("RK01", "Infoläckage via molntjänster")
                },
            )
            .await
            .unwrap();
        let r01 = w
            .add_ic_action(
                plan_id,
                &ActionInput {
                    blocked_by: Some(Blocker::Other("KF:s policy".into())),
                    ..action(
                        "R01",
                        "Ta fram riktlinjer för molntjänster",
                        vec![
                            ActionSource::Risk { risk_id: rk01 },
                            ActionSource::Recommendation {
                                case_ref: "KS-2018/753.912".into(),
                                title: "Bisysslor".into(),
                            },
                        ],
                    )
                },
            )
            .await
            .unwrap();
        let r02 = w
            .add_ic_action(
                plan_id,
                &ActionInput {
                    blocked_by: Some(Blocker::Action(r01)),
                    ..action("", "Följa upp", vec![ActionSource::Risk { risk_id: rk01 }])
                },
            )
            .await
            .unwrap();
        let c03 = w
            .add_control(
                plan_id,
                &control("C03", "Leverantörsfakturor", monthly(2019)),
            )
            .await
            .unwrap();
        let u01 = w
            .add_control(
                plan_id,
                &ControlInput {
                    kind: ControlKind::ContractFollowUp(ContractFollowUp {
                        follow_up_kind: "Avtalsuppföljning".into(),
                        schedule: "1 gång per termin år 1".into(),
                        interval: "Var 6:e månad".into(),
                        recipients: "Kommunstyrelsen".into(),
                    }),
                    ..control(
                        "",
                        "Lokalvård",
                        vec!["2019-06-30".into(), "2019-12-31".into()],
                    )
                },
            )
            .await
            .unwrap();
        // A plan per unit and year; keys unique per plan.
        assert_eq!(
            refusal(
                w.create_control_plan(&NewControlPlan {
                    org_id: t.ks,
                    year: 2019,
                    rule_ref: String::new(),
                    legal_basis: String::new(),
                })
                .await
            ),
            IcRefusal::PlanExists(2019)
        );
        assert!(matches!(
            w.add_risk(plan_id, &risk("RK01", "Samma nyckel")).await,
            Err(StoreError::Duplicate(_))
        ));
        // A risk of another plan is no source of this plan's action.
        let other_plan = new_plan(&mut w, t.other, 2019).await;
        assert!(w
            .add_ic_action(
                other_plan,
                &action(
                    "R01",
                    "Fel plan",
                    vec![ActionSource::Risk { risk_id: rk01 }]
                )
            )
            .await
            .unwrap_err()
            .is_not_found());
        w.commit().await.unwrap();

        let plan = store.control_plan(plan_id).await.unwrap();
        assert_eq!((plan.org_id, plan.year), (t.ks, 2019));
        assert_eq!(PlanHeader::of(&plan), header);
        assert_eq!(plan.risks.len(), 1);
        let r = &plan.risks[0];
        assert_eq!((r.id, r.key.as_str()), (rk01, "RK01"));
        assert_eq!(r.first_documented, Some(FirstDocumented::InOrBefore(2012)));
        assert_eq!(r.gross, None);
        let keys: Vec<&str> = plan.actions.iter().map(|a| a.key.as_str()).collect();
        assert_eq!(keys, ["R01", "R02"]);
        assert_eq!(plan.actions[0].id, r01);
        assert_eq!(plan.actions[0].sources.len(), 2);
        assert_eq!(plan.actions[0].status, ActionStatus::NotDone);
        assert_eq!(
            plan.actions[0].blocked_by,
            Some(Blocker::Other("KF:s policy".into()))
        );
        assert_eq!(plan.actions[1].id, r02);
        assert_eq!(plan.actions[1].blocked_by, Some(Blocker::Action(r01)));
        assert_eq!(plan.actions_of(rk01).count(), 2);
        let keys: Vec<&str> = plan.controls.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(keys, ["C03", "U02"]);
        assert_eq!(plan.controls[0].id, c03);
        assert_eq!(plan.controls[0].occurrences.len(), 12);
        assert_eq!(plan.controls[0].occurrences[11].seq, 12);
        assert_eq!(plan.controls[0].occurrences[11].planned_on, "2019-12-28");
        assert_eq!(plan.controls[1].id, u01);
        assert!(plan.controls[1].is_contract_follow_up());
        let s = plan.summary("2019-01-01");
        assert_eq!((s.risks, s.actions, s.audit_actions), (1, 2, 1));
        assert_eq!(
            (s.controls, s.contract_follow_ups, s.occurrences),
            (1, 1, 12)
        );

        assert_eq!(
            store.control_plan_of(t.ks, 2019).await.unwrap().as_ref(),
            Some(&plan)
        );
        assert!(store.control_plan_of(t.ks, 2020).await.unwrap().is_none());
        assert_eq!(store.control_plans(Some(2019)).await.unwrap().len(), 2);
        assert!(store.control_plans(Some(2018)).await.unwrap().is_empty());
        let years = store.control_plan_years().await.unwrap();
        assert!(years.contains(&(t.ks, 2019, plan_id)));
        assert!(store
            .control_plan(plan_id + 1000)
            .await
            .unwrap_err()
            .is_not_found());
        assert_eq!(
            store
                .control_plan_id_of(ObjectKind::Control, c03)
                .await
                .unwrap(),
            plan_id
        );

        // Updating a control keeps its occurrences when no dates are given, and moves
        // them when they are.
        let mut w = writer(store).await;
        let changed = ControlInput {
            comment: "Q1 klart".into(),
            planned_dates: Vec::new(),
            ..control("", "Leverantörsfakturor", Vec::new())
        };
        w.update_control(c03, &changed).await.unwrap();
        let quarterly: Vec<String> = ["03-31", "06-30", "09-30", "12-31"]
            .iter()
            .map(|d| format!("2019-{d}"))
            .collect();
        w.update_control(
            c03,
            &ControlInput {
                planned_dates: quarterly.clone(),
                ..changed
            },
        )
        .await
        .unwrap();
        w.commit().await.unwrap();
        let c = store.control_plan(plan_id).await.unwrap().controls[0].clone();
        assert_eq!((c.key.as_str(), c.comment.as_str()), ("C03", "Q1 klart"));
        let dates: Vec<String> = c.occurrences.iter().map(|o| o.planned_on.clone()).collect();
        assert_eq!(dates, quarterly);
        let history = store
            .history(ObjectKind::ControlPlan, plan_id, 100)
            .await
            .unwrap();
        assert_eq!(history.len(), 2, "created and updated");
        db.finish().await;
    }
}

#[tokio::test]
async fn findings_raise_their_deviation_once_and_misses_are_visible() {
    for db in TestDb::all().await {
        eprintln!("internal control executions on {:?}", db.backend());
        let store = &db.store;
        let t = tree(store).await;
        let mut w = writer(store).await;
        let plan_id = new_plan(&mut w, t.ks, 2019).await;
        let control_id = w
            .add_control(
                plan_id,
                &control("C03", "Leverantörsfakturor", monthly(2019)),
            )
            .await
            .unwrap();
        let unfinished = w
            .add_ic_action(plan_id, &action("R01", "Riktlinjer", vec![]))
            .await
            .unwrap();
        w.commit().await.unwrap();
        let occurrences: Vec<Id> = store.control_plan(plan_id).await.unwrap().controls[0]
            .occurrences
            .iter()
            .map(|o| o.id)
            .collect();

        let mut w = writer(store).await;
        for (i, o) in occurrences[..3].iter().enumerate() {
            let raised = w
                .record_execution(
                    *o,
                    &performed(
                        &format!("2019-{:02}-28", i + 1),
                        ControlResult::WithoutRemark,
                        "",
                    ),
                    "2019-04-15",
                )
                .await
                .unwrap();
            assert_eq!(raised, None);
        }
        let findings = performed(
            "2019-04-28",
            ControlResult::WithRemark,
            "Fakturor attesterades av fel person",
        );
        let first = w
            .record_execution(occurrences[3], &findings, "2019-05-02")
            .await
            .unwrap()
            .expect("a deviation for the findings");
        let again = w
            .record_execution(occurrences[3], &findings, "2019-05-03")
            .await
            .unwrap();
        assert_eq!(again, Some(first));
        let missed = w
            .record_execution(
                occurrences[4],
                &Execution::NotPerformed {
                    reason: "Sjukskrivning och underbemanning".into(),
                },
                "2019-06-01",
            )
            .await
            .unwrap();
        assert_eq!(missed, None);
        // The execution's own rule refuses, before anything is written.
        assert_eq!(
            refusal(
                w.record_execution(
                    occurrences[5],
                    &performed("2019-06-28", ControlResult::WithRemark, " "),
                    "2019-07-01"
                )
                .await
            ),
            IcRefusal::Execution(ExecutionError::FindingsRequired)
        );
        assert_eq!(
            refusal(
                w.record_execution(
                    occurrences[5],
                    &performed("2019-08-28", ControlResult::WithoutRemark, ""),
                    "2019-07-01"
                )
                .await
            ),
            IcRefusal::Execution(ExecutionError::InFuture)
        );
        assert_eq!(
            refusal(
                w.record_execution(
                    occurrences[5],
                    &Execution::NotPerformed { reason: " ".into() },
                    "2019-07-01"
                )
                .await
            ),
            IcRefusal::Execution(ExecutionError::ReasonRequired)
        );
        w.commit().await.unwrap();

        let key = uppsikt_domain::internal_control::findings_cause_key(occurrences[3]);
        assert_eq!(deviations_with_key(store, &key).await, 1);
        let stored = store.deviation(first).await.unwrap();
        assert_eq!(stored.deviation.raised.org_id, t.ks);
        assert_eq!(stored.deviation.raised.period, Period::Year(2019));
        assert!(stored.deviation.raised.description.contains("fel person"));

        let plan = store.control_plan(plan_id).await.unwrap();
        let c = &plan.controls[0];
        assert_eq!(c.id, control_id);
        assert_eq!(c.performed(), 4);
        assert_eq!(c.findings().count(), 1);
        assert_eq!(c.occurrences[0].recorded_by.as_deref(), Some("controller"));
        assert_eq!(c.occurrences[3].execution, Some(findings.clone()));
        let s = plan.summary("2019-07-01");
        assert_eq!((s.occurrences_performed, s.findings), (4, 1));
        assert_eq!(s.occurrences_missed, 2, "May recorded, June past its date");

        assert_eq!(
            store.control_plan_deviations(plan_id).await.unwrap(),
            [(key.clone(), first)].into_iter().collect()
        );
        assert_eq!(
            store.undecided_findings().await.unwrap().get(&plan_id),
            Some(&1)
        );

        // The plan's automatic deviations: the findings (raised already), eight misses,
        // the unfinished action once the year has ended.
        let due = store
            .automatic_deviations("2020-01-15", 2019)
            .await
            .unwrap();
        let ours: Vec<_> = due
            .iter()
            .filter_map(|d| d.cause_key.clone())
            .filter(|k| k.starts_with("internal_control:"))
            .collect();
        assert_eq!(ours.len(), 1 + 8 + 1, "{ours:#?}");
        assert!(
            ours.contains(&uppsikt_domain::internal_control::unfinished_cause_key(
                unfinished, 2019
            ))
        );
        let mut w = writer(store).await;
        let raised = w.raise_deviations(due.clone(), "2020-01-15").await.unwrap();
        w.commit().await.unwrap();
        let mut w = writer(store).await;
        assert!(w
            .raise_deviations(due, "2020-01-16")
            .await
            .unwrap()
            .is_empty());
        w.rollback().await.unwrap();
        assert_eq!(raised.len(), 9, "all but the findings raised before");
        assert_eq!(deviations_with_key(store, &key).await, 1);
        let keys = store.control_plan_deviations(plan_id).await.unwrap();
        assert_eq!(keys.len(), 10);
        assert_eq!(
            store.undecided_findings().await.unwrap().get(&plan_id),
            Some(&10)
        );
        // The control's history holds its occurrences' records.
        let history = store
            .history(ObjectKind::Control, control_id, 100)
            .await
            .unwrap();
        assert_eq!(
            history
                .iter()
                .filter(|e| e.object_type == uppsikt_store::OCCURRENCE_LOG_TYPE)
                .count(),
            5,
            "three performed, one with findings (recorded once), one not performed"
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn actions_are_verified_when_done_and_amended_with_the_earlier_text_kept() {
    for db in TestDb::all().await {
        let store = &db.store;
        let t = tree(store).await;
        let mut w = writer(store).await;
        let plan_id = new_plan(&mut w, t.ks, 2019).await;
        let a = w
            .add_ic_action(
                plan_id,
                &action("R17", "En gång per termin i varje ledningsgrupp", vec![]),
            )
            .await
            .unwrap();
        let verification = Verification {
            by: "Internkontrollgruppen".into(),
            how: "Stickprov på APT-protokoll".into(),
            on: "2020-02-01".into(),
        };
        assert_eq!(
            refusal(w.verify_action(a, &verification).await),
            IcRefusal::VerifyNotDone
        );
        w.set_action_status(
            a,
            ActionStatus::Done,
            Some("2019-11-30"),
            "Material på intranätet",
        )
        .await
        .unwrap();
        assert_eq!(
            refusal(
                w.verify_action(
                    a,
                    &Verification {
                        how: String::new(),
                        ..verification.clone()
                    }
                )
                .await
            ),
            IcRefusal::VerificationIncomplete
        );
        w.verify_action(a, &verification).await.unwrap();
        assert_eq!(
            refusal(
                w.amend_action(a, "Material på intranätet", " ", "2019-10-01")
                    .await
            ),
            IcRefusal::AmendmentReason
        );
        assert_eq!(
            refusal(
                w.amend_action(
                    a,
                    " En gång per termin i varje ledningsgrupp ",
                    "Samma",
                    "2019-10-01"
                )
                .await
            ),
            IcRefusal::AmendmentUnchanged
        );
        w.amend_action(
            a,
            "Material på intranätet och en punkt på APT varje år",
            "Ledningsgrupperna hann inte",
            "2019-10-01",
        )
        .await
        .unwrap();
        assert_eq!(
            refusal(w.set_action_blocker(a, Some(&Blocker::Action(a))).await),
            IcRefusal::BlockedByItself
        );
        w.commit().await.unwrap();

        let plan = store.control_plan(plan_id).await.unwrap();
        let stored = &plan.actions[0];
        assert_eq!(stored.status, ActionStatus::Done);
        assert_eq!(stored.done_on.as_deref(), Some("2019-11-30"));
        assert_eq!(stored.comment, "Material på intranätet");
        assert!(stored.is_verified());
        assert_eq!(stored.verification.as_ref(), Some(&verification));
        assert_eq!(
            stored.text,
            "Material på intranätet och en punkt på APT varje år"
        );
        assert_eq!(stored.amendments.len(), 1);
        assert_eq!(
            stored.amendments[0].previous_text,
            "En gång per termin i varje ledningsgrupp"
        );
        assert_eq!(stored.amendments[0].reason, "Ledningsgrupperna hann inte");
        assert_eq!(stored.amendments[0].by, "controller");
        let history = store.history(ObjectKind::IcAction, a, 100).await.unwrap();
        assert!(history
            .iter()
            .any(|e| e.object_type == uppsikt_store::AMENDMENT_LOG_TYPE));
        db.finish().await;
    }
}

#[tokio::test]
async fn a_plans_matrix_is_fixed_once_a_risk_is_scored() {
    for db in TestDb::all().await {
        let store = &db.store;
        let t = tree(store).await;
        let mut w = writer(store).await;
        let v1 = w
            .save_risk_matrix("Kommunens matris", &labels(4), &labels(4))
            .await
            .unwrap();
        let v2 = w
            .save_risk_matrix("Kommunens matris", &labels(5), &labels(4))
            .await
            .unwrap();
        assert_eq!(
            refusal(
                w.save_risk_matrix("Kommunens matris", &labels(1), &labels(4))
                    .await
            ),
            IcRefusal::Matrix(MatrixError::Size)
        );
        let plan_id = new_plan(&mut w, t.ks, 2019).await;
        let r = w
            .add_risk(plan_id, &risk("RK01", "Cyberangrepp"))
            .await
            .unwrap();
        let score = |p, c| {
            Some(RiskScore {
                probability: p,
                consequence: c,
            })
        };
        assert_eq!(
            refusal(w.score_risk(r, score(2, 2), None, None).await),
            IcRefusal::Matrix(MatrixError::NoMatrix)
        );
        w.choose_risk_matrix(plan_id, Some(v1)).await.unwrap();
        assert_eq!(
            refusal(w.score_risk(r, score(5, 1), None, None).await),
            IcRefusal::Matrix(MatrixError::OutOfRange)
        );
        assert_eq!(
            refusal(
                w.score_risk(
                    r,
                    score(3, 4),
                    None,
                    Some(Handling::Accept {
                        motivation: " ".into()
                    })
                )
                .await
            ),
            IcRefusal::AcceptMotivation
        );
        // Still open: no risk is scored yet.
        w.choose_risk_matrix(plan_id, Some(v2)).await.unwrap();
        w.choose_risk_matrix(plan_id, Some(v1)).await.unwrap();
        w.score_risk(r, score(3, 4), score(2, 2), Some(Handling::Action))
            .await
            .unwrap();
        assert_eq!(
            refusal(w.choose_risk_matrix(plan_id, Some(v2)).await),
            IcRefusal::Matrix(MatrixError::Fixed)
        );
        // Choosing the matrix it has is no change.
        w.choose_risk_matrix(plan_id, Some(v1)).await.unwrap();
        w.commit().await.unwrap();

        let matrices = store.risk_matrices().await.unwrap();
        let versions: Vec<(Id, i64)> = matrices.iter().map(|m| (m.id, m.version)).collect();
        assert_eq!(versions, [(v1, 1), (v2, 2)]);
        assert_eq!(matrices[1].probability, labels(5));
        let plan = store.control_plan(plan_id).await.unwrap();
        assert_eq!(plan.matrix.as_ref().map(|m| m.id), Some(v1));
        assert_eq!(plan.risks[0].gross, score(3, 4));
        assert_eq!(plan.risks[0].net, score(2, 2));
        assert_eq!(plan.risks[0].handling, Some(Handling::Action));
        assert!(!plan.matrix_is_open());
        let map = uppsikt_domain::internal_control::risk_map(&plan).unwrap();
        assert_eq!(map.gross.len(), 1);
        db.finish().await;
    }
}

fn ks_decision(org_id: Id, year: i32) -> PeriodLock {
    PeriodLock {
        org_id,
        period: Period::Year(year),
        body: "Kommunstyrelsen".into(),
        decided_on: "2020-03-30".into(),
        paragraph: "§ 45".into(),
        diary_number: "KS-2020/123".into(),
        locked_by: "controller".into(),
        locked_at: "2020-03-30T12:00:00Z".into(),
    }
}

#[tokio::test]
async fn a_locked_year_refuses_every_change_and_changes_nothing() {
    for db in TestDb::all().await {
        let store = &db.store;
        let t = tree(store).await;
        let mut w = writer(store).await;
        let plan_id = new_plan(&mut w, t.child, 2019).await;
        let r = w.add_risk(plan_id, &risk("RK01", "Brand")).await.unwrap();
        let a = w
            .add_ic_action(plan_id, &action("R01", "Brandskydd", vec![]))
            .await
            .unwrap();
        let c = w
            .add_control(plan_id, &control("C01", "Attester", monthly(2019)))
            .await
            .unwrap();
        w.lock_period(&ks_decision(t.ks, 2019)).await.unwrap();
        w.commit().await.unwrap();
        let before = store.control_plan(plan_id).await.unwrap();
        let version = store.data_version().await.unwrap();
        let occurrence = before.controls[0].occurrences[0].id;

        let mut w = writer(store).await;
        let locked = |r: Result<(), StoreError>| matches!(r, Err(StoreError::Locked(_)));
        assert!(locked(
            w.add_risk(plan_id, &risk("RK02", "Ny")).await.map(|_| ())
        ));
        assert!(locked(w.update_risk(r, &risk("", "Brand i lokaler")).await));
        assert!(locked(
            w.set_action_status(a, ActionStatus::Done, None, "").await
        ));
        assert!(locked(
            w.amend_action(a, "Annat", "Skäl", "2020-01-01").await
        ));
        assert!(locked(
            w.add_control(plan_id, &control("C02", "Ny", vec![]))
                .await
                .map(|_| ())
        ));
        assert!(locked(
            w.record_execution(
                occurrence,
                &performed("2019-01-28", ControlResult::WithRemark, "Brister"),
                "2020-04-01"
            )
            .await
            .map(|_| ())
        ));
        assert!(locked(
            w.discontinue_control(
                c,
                &Discontinuation {
                    on: "2019-12-01".into(),
                    decided_by: "Chef".into(),
                    reason: "Behövs inte".into(),
                }
            )
            .await
        ));
        assert!(locked(
            w.update_control_plan(
                plan_id,
                &PlanHeader {
                    rule_ref: "Ny regel".into(),
                    ..PlanHeader::of(&before)
                }
            )
            .await
        ));
        assert!(locked(
            w.create_control_plan(&NewControlPlan {
                org_id: t.ks,
                year: 2019,
                rule_ref: String::new(),
                legal_basis: String::new(),
            })
            .await
            .map(|_| ())
        ));
        // Re-writing what is stored is no change and is not refused.
        w.update_control_plan(plan_id, &PlanHeader::of(&before))
            .await
            .unwrap();
        w.commit().await.unwrap();
        assert_eq!(store.data_version().await.unwrap(), version);
        assert_eq!(store.control_plan(plan_id).await.unwrap(), before);
        assert!(store.deviations(None).await.unwrap().is_empty());
        // Next year is open.
        let mut w = writer(store).await;
        w.carry_over_control_plan(plan_id).await.unwrap();
        w.commit().await.unwrap();
        db.finish().await;
    }
}

#[tokio::test]
async fn common_items_are_pushed_into_every_boards_plan_once() {
    for db in TestDb::all().await {
        let store = &db.store;
        let t = tree(store).await;
        let mut w = writer(store).await;
        let ks_plan = new_plan(&mut w, t.ks, 2022).await;
        let common_risk = w
            .add_risk(
                ks_plan,
                &RiskInput {
                    common: true,
                    ..risk("RK01", "Diskriminering")
                },
            )
            .await
            .unwrap();
        w.add_risk(ks_plan, &risk("RK02", "KS egen risk"))
            .await
            .unwrap();
        let common_control = w
            .add_control(
                ks_plan,
                &ControlInput {
                    common: true,
                    ..control("C01", "Kommungemensam kontroll (KS)", monthly(2022))
                },
            )
            .await
            .unwrap();
        let board_plan = new_plan(&mut w, t.other, 2022).await;
        w.add_risk(board_plan, &risk("RK01", "Nämndens egen risk"))
            .await
            .unwrap();
        w.commit().await.unwrap();

        let mut w = writer(store).await;
        let pushed = w.push_common_items(ks_plan).await.unwrap();
        w.commit().await.unwrap();
        assert_eq!(pushed.copied, [(board_plan, 2)]);
        assert_eq!(
            pushed.without_plan,
            [t.child],
            "the unit below KS has no plan"
        );
        let mut w = writer(store).await;
        let again = w.push_common_items(ks_plan).await.unwrap();
        w.commit().await.unwrap();
        assert_eq!(again.copied, [(board_plan, 0)]);
        assert_eq!(again.total(), 0);

        let board = store.control_plan(board_plan).await.unwrap();
        assert_eq!(board.risks.len(), 2);
        let copy = &board.risks[1];
        assert_eq!(copy.common_from, Some(common_risk));
        assert_eq!(copy.key, "RK01-2", "the board's own RK01 keeps its key");
        assert!(!copy.common);
        assert_eq!(board.controls.len(), 1);
        assert_eq!(board.controls[0].common_from, Some(common_control));
        assert_eq!(board.controls[0].occurrences.len(), 12);
        assert_eq!(board.items_from_common(), 2);
        let ks = store.control_plan(ks_plan).await.unwrap();
        assert_eq!(ks.common_items(), 2);
        db.finish().await;
    }
}

#[tokio::test]
async fn a_carry_over_takes_the_unfinished_items_into_next_year_once() {
    for db in TestDb::all().await {
        let store = &db.store;
        let t = tree(store).await;
        let mut w = writer(store).await;
        let plan_id = new_plan(&mut w, t.ks, 2019).await;
        let rk01 = w
            .add_risk(plan_id, &risk("RK01", "Molntjänster"))
            .await
            .unwrap();
        let rk02 = w
            .add_risk(plan_id, &risk("RK02", "Lösenord"))
            .await
            .unwrap();
        let r08 = w
            .add_ic_action(
                plan_id,
                &action(
                    "R08",
                    "Ekonomihandbok",
                    vec![ActionSource::Risk { risk_id: rk01 }],
                ),
            )
            .await
            .unwrap();
        let r07 = w
            .add_ic_action(
                plan_id,
                &ActionInput {
                    blocked_by: Some(Blocker::Action(r08)),
                    ..action(
                        "R07",
                        "Delegationsordningen",
                        vec![ActionSource::Risk { risk_id: rk01 }],
                    )
                },
            )
            .await
            .unwrap();
        let r02 = w
            .add_ic_action(
                plan_id,
                &action(
                    "R02",
                    "Lösenordsrutiner",
                    vec![ActionSource::Risk { risk_id: rk02 }],
                ),
            )
            .await
            .unwrap();
        w.set_action_status(r02, ActionStatus::Done, Some("2019-10-01"), "")
            .await
            .unwrap();
        let live = w
            .add_control(plan_id, &control("C03", "Fakturor", monthly(2019)))
            .await
            .unwrap();
        let stopped = w
            .add_control(
                plan_id,
                &control("C02", "Skräppost", vec!["2019-06-30".into()]),
            )
            .await
            .unwrap();
        w.discontinue_control(
            stopped,
            &Discontinuation {
                on: "2019-12-01".into(),
                decided_by: "Ansvarig chef".into(),
                reason: "Fångar bara skräppost".into(),
            },
        )
        .await
        .unwrap();
        let first = store.control_plan(plan_id).await;
        assert!(first.unwrap_err().is_not_found(), "not committed yet");
        w.commit().await.unwrap();
        let plan = store.control_plan(plan_id).await.unwrap();
        let mut w = writer(store).await;
        w.record_execution(
            plan.controls[0].occurrences[0].id,
            &performed("2019-01-28", ControlResult::WithoutRemark, ""),
            "2019-02-01",
        )
        .await
        .unwrap();
        let carried = w.carry_over_control_plan(plan_id).await.unwrap();
        w.commit().await.unwrap();
        assert!(carried.created);
        assert_eq!(carried.risks.len(), 1);
        assert_eq!(carried.risks[0].0, rk01);
        let actions: Vec<Id> = carried.actions.iter().map(|(from, _)| *from).collect();
        assert_eq!(actions, [r08, r07]);
        assert_eq!(carried.controls.len(), 1);
        assert_eq!(carried.controls[0].0, live);

        let next = store.control_plan_of(t.ks, 2020).await.unwrap().unwrap();
        assert_eq!(next.id, carried.plan_id);
        assert_eq!(next.rule_ref, "HKF 9410");
        assert!(next.adoption.is_none());
        let new_risk = &next.risks[0];
        assert_eq!(new_risk.carried_from, Some(rk01));
        assert_eq!(new_risk.key, "RK01");
        assert_eq!(new_risk.first_documented, Some(FirstDocumented::In(2019)));
        let new_r08 = next.actions.iter().find(|a| a.key == "R08").unwrap();
        let new_r07 = next.actions.iter().find(|a| a.key == "R07").unwrap();
        assert_eq!(new_r07.carried_from, Some(r07));
        assert_eq!(new_r07.status, ActionStatus::NotDone);
        assert_eq!(
            new_r07.sources,
            [ActionSource::Risk {
                risk_id: new_risk.id
            }]
        );
        assert_eq!(new_r07.blocked_by, Some(Blocker::Action(new_r08.id)));
        let c = &next.controls[0];
        assert_eq!(c.carried_from, Some(live));
        assert_eq!(c.due, "2020-12-31");
        assert_eq!(c.occurrences.len(), 12);
        assert_eq!(c.occurrences[0].planned_on, "2020-01-28");
        assert!(c.occurrences.iter().all(|o| o.execution.is_none()));

        // Once: a second carry-over finds everything carried.
        let mut w = writer(store).await;
        let version = store.data_version().await.unwrap();
        let again = w.carry_over_control_plan(plan_id).await.unwrap();
        w.commit().await.unwrap();
        assert!(!again.created);
        assert_eq!(again.plan_id, next.id);
        assert!(again.risks.is_empty() && again.actions.is_empty() && again.controls.is_empty());
        assert_eq!(store.data_version().await.unwrap(), version);
        assert_eq!(store.control_plan(next.id).await.unwrap(), next);
        db.finish().await;
    }
}
