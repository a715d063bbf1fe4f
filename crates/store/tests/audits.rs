//! Audit recommendations on every backend: an audit written and read whole (sub-questions,
//! case numbers' parts, re-issues); every refusal changing nothing; a response deciding
//! each recommendation's deviation once (a decline with its motivation, a changed response
//! correcting it); a locked year refusing a response; what boards have done (deviation
//! actions, links to internal control); the histories; the loading's fixed query count.

mod common;

use common::tree;
use uppsikt_domain::audit::{
    cause_key, Assessment, AuditKind, AuditRefusal, Criterion, CriterionRef, Grade, IcLink,
    IcTarget, ResponseItem, Stance, SubQuestion, MAX_REPORT_BYTES,
};
use uppsikt_domain::case_ref::CaseRefFormat;
use uppsikt_domain::deviation::{Action, ActionState, DecidingBody, Outcome, Source};
use uppsikt_domain::model::{Id, PeriodLock};
use uppsikt_domain::object_kind::ObjectKind;
use uppsikt_domain::Period;
use uppsikt_store::testing::{audit_queries, TestDb};
use uppsikt_store::{
    ActionInput, AuditHeader, AuditInput, NewControlPlan, QuestionInput, RecommendationInput,
    ResponseInput, Store, StoreError, VerdictInput, Writer,
};

async fn writer(store: &Store) -> Writer {
    store
        .writer("revisor", uppsikt_store::ChangeSource::Form)
        .await
        .unwrap()
}

fn header(title: &str, year: i32, units: Vec<Id>) -> AuditHeader {
    AuditHeader {
        title: title.into(),
        plan_year: year,
        kind: AuditKind::Review,
        commissioned_by: "Huddinge kommuns revisorer".into(),
        performed_by: "KPMG AB".into(),
        audited_units: units,
        purpose: "Granska den interna kontrollen.".into(),
        fact_checked: true,
        overall: Some(Assessment::Partly),
        ..AuditHeader::default()
    }
}

fn rec(number: &str, addressees: Vec<Id>) -> RecommendationInput {
    RecommendationInput {
        number: number.into(),
        text: format!("Rekommendation {number}"),
        addressees,
        ..RecommendationInput::default()
    }
}

fn question(number: u16, text: &str) -> QuestionInput {
    QuestionInput {
        number,
        text: text.into(),
        assessment: Some(Assessment::Partly),
        reasoning: "Rutinerna är inte dokumenterade.".into(),
        sub_questions: Vec::new(),
    }
}

/// An audit of `year` with recommendations "1" (to `a`) and "2" (to `a` and `b`).
async fn simple_audit(w: &mut Writer, year: i32, a: Id, b: Id) -> (Id, Id, Id) {
    let id = w
        .create_audit(&AuditInput {
            header: header("Intern kontroll", year, vec![a]),
            questions: vec![question(1, "Finns rutiner?")],
            recommendations: vec![rec("1", vec![a]), rec("2", vec![a, b])],
        })
        .await
        .unwrap();
    let audit = w.audit_in_tx(id).await.unwrap();
    (id, audit.recommendations[0].id, audit.recommendations[1].id)
}

fn response(
    audit_id: Id,
    unit_id: Id,
    decided_on: &str,
    items: Vec<ResponseItem>,
) -> ResponseInput {
    ResponseInput {
        audit_id,
        unit_id,
        body: DecidingBody::Board,
        document: "tjänsteutlåtande".into(),
        decided_on: decided_on.into(),
        paragraph: "§ 9".into(),
        case_ref: Some(CaseRefFormat::huddinge().parse("KS-2020/716.912").unwrap()),
        items,
    }
}

fn item(rec: Id, stance: Stance) -> ResponseItem {
    ResponseItem {
        recommendation_id: rec,
        stance,
        comment: "Rutinen ses över under året.".into(),
    }
}

fn refusal<T: std::fmt::Debug>(r: Result<T, StoreError>) -> AuditRefusal {
    match r {
        Err(StoreError::Audit(r)) => r,
        other => panic!("expected an audit refusal, got {other:?}"),
    }
}

fn pdf(n: usize) -> Vec<u8> {
    let mut b = b"%PDF-1.7\n".to_vec();
    b.resize(n.max(b.len()), b'x');
    b
}

async fn deviations_with_key(store: &Store, key: &str) -> Vec<uppsikt_store::StoredDeviation> {
    store
        .deviations(None)
        .await
        .unwrap()
        .into_iter()
        .filter(|d| d.deviation.raised.cause_key.as_deref() == Some(key))
        .collect()
}

#[tokio::test]
async fn an_audit_is_written_and_read_whole() {
    for db in TestDb::all().await {
        eprintln!("audit on {:?}", db.backend());
        let store = &db.store;
        let t = tree(store).await;
        let mut w = writer(store).await;
        let (earlier, earlier_rec, _) = simple_audit(&mut w, 2019, t.ks, t.child).await;
        let case = CaseRefFormat::huddinge().parse("KS-2018/272.912").unwrap();
        let follow_up = w
            .create_audit(&AuditInput {
                header: AuditHeader {
                    kind: AuditKind::FollowUp,
                    case_ref: Some(case.clone()),
                    issued_on: Some("2021-04-15".into()),
                    response_due: Some("2021-06-30".into()),
                    scope: "Kommunstyrelsen och grundskolenämnden".into(),
                    method: "Intervjuer och dokumentstudier".into(),
                    criteria: vec![
                        Criterion::parse("Kommunallagen (2017:725) 6 kap. 6 §"),
                        Criterion::parse("Reglemente för intern kontroll, HKF 9410"),
                        Criterion::parse("Kommunens riktlinjer"),
                    ],
                    overall_text: "Delvis tillräcklig".into(),
                    signatories: vec!["Anna Revisor".into(), "Bo Revisor".into()],
                    follows_up: vec![earlier],
                    ..header("Uppföljning 2021", 2021, vec![t.ks, t.other])
                },
                questions: vec![
                    QuestionInput {
                        sub_questions: vec![
                            SubQuestion {
                                text: "Är rutinen beslutad?".into(),
                                assessment: Some(Assessment::InAllEssentials),
                            },
                            SubQuestion {
                                text: "Följs den?".into(),
                                assessment: Some(Assessment::No),
                            },
                        ],
                        ..question(2, "Följs rutinerna?")
                    },
                    QuestionInput {
                        assessment: Some(Assessment::Yes),
                        reasoning: String::new(),
                        ..question(1, "Finns rutiner?")
                    },
                ],
                recommendations: vec![
                    RecommendationInput {
                        questions: vec![1, 2],
                        reissues: Some(earlier_rec),
                        ..rec("IK21-a", vec![t.ks, t.other])
                    },
                    rec("IK21-b", vec![t.other]),
                ],
            })
            .await
            .unwrap();
        w.commit().await.unwrap();

        let a = store.audit(follow_up).await.unwrap();
        assert_eq!(a.title, "Uppföljning 2021");
        assert_eq!((a.plan_year, a.kind), (2021, AuditKind::FollowUp));
        assert_eq!(a.case_ref, Some(case.clone()));
        let c = a.case_ref.as_ref().unwrap();
        assert_eq!(
            (c.body.as_deref(), c.year, c.serial, c.class.as_deref()),
            (Some("KS"), 2018, 272, Some("912"))
        );
        assert_eq!(a.audited_units, vec![t.ks, t.other]);
        assert_eq!(a.issued_on.as_deref(), Some("2021-04-15"));
        assert_eq!(a.response_due.as_deref(), Some("2021-06-30"));
        assert_eq!(a.criteria.len(), 3);
        assert_eq!(
            a.criteria[0].refers_to,
            Some(CriterionRef::Statute("2017:725".into()))
        );
        assert_eq!(
            a.criteria[1].refers_to,
            Some(CriterionRef::Rule("HKF 9410".into()))
        );
        assert_eq!(a.criteria[2].refers_to, None);
        assert_eq!(a.signatories, vec!["Anna Revisor", "Bo Revisor"]);
        assert_eq!(a.follows_up, vec![earlier]);
        assert!(a.fact_checked);
        assert_eq!(a.overall, Some(Assessment::Partly));
        // Questions by number, with their sub-questions in order.
        assert_eq!(
            a.questions.iter().map(|q| q.number).collect::<Vec<_>>(),
            vec![1, 2]
        );
        assert_eq!(a.questions[0].assessment, Some(Assessment::Yes));
        assert_eq!(a.questions_without_reasoning(), vec![1]);
        assert_eq!(a.questions[1].sub_questions.len(), 2);
        assert_eq!(
            a.questions[1].sub_questions[1].assessment,
            Some(Assessment::No)
        );
        // Recommendations in order, with addressees, questions and what they re-issue.
        let r = &a.recommendations[0];
        assert_eq!((r.number.as_str(), r.audit_id), ("IK21-a", follow_up));
        assert_eq!(r.addressees, vec![t.ks, t.other]);
        assert_eq!(r.questions, vec![1, 2]);
        assert_eq!(r.reissues, Some(earlier_rec));
        assert_eq!(a.recommendations[1].number, "IK21-b");
        assert_eq!(a.addressees(), vec![t.ks, t.other]);
        let rec_id = r.id;

        // All audits: newest plan year first, each whole.
        let all = store.audits().await.unwrap();
        assert_eq!(
            all.iter().map(|a| a.id).collect::<Vec<_>>(),
            vec![follow_up, earlier]
        );
        assert_eq!(all[0], a);
        assert_eq!(all[1].recommendations.len(), 2);
        assert_eq!(
            store
                .audit_id_of(ObjectKind::Recommendation, rec_id)
                .await
                .unwrap(),
            follow_up
        );
        assert_eq!(
            store.audit_id_of(ObjectKind::Audit, earlier).await.unwrap(),
            earlier
        );
        assert!(store
            .audit_id_of(ObjectKind::Goal, t.goal)
            .await
            .unwrap_err()
            .is_not_found());
        assert!(store
            .audit(follow_up + 100)
            .await
            .unwrap_err()
            .is_not_found());

        // Header, questions and recommendations change.
        let mut w = writer(store).await;
        let mut h = AuditHeader::of(&a);
        h.title = "Uppföljande granskning 2021".into();
        h.case_ref = None;
        h.signatories = vec!["Cecilia Revisor".into()];
        w.update_audit(follow_up, &h).await.unwrap();
        let q3 = w
            .add_question(follow_up, &question(3, "Rapporteras resultaten?"))
            .await
            .unwrap();
        // Renumbering a question carries the recommendations that answer it along.
        let q1 = a.questions[0].id;
        w.update_question(
            q1,
            &QuestionInput {
                number: 4,
                ..QuestionInput::of(&a.questions[0])
            },
        )
        .await
        .unwrap();
        let r3 = w
            .add_recommendation(
                follow_up,
                &RecommendationInput {
                    questions: vec![3],
                    ..rec("IK21-c", vec![t.ks])
                },
            )
            .await
            .unwrap();
        w.update_recommendation(
            rec_id,
            &RecommendationInput {
                text: "Dokumentera riskanalysen.".into(),
                // Question 1 is number 4 now.
                questions: vec![4, 2],
                ..RecommendationInput::of(&a.recommendations[0])
            },
        )
        .await
        .unwrap();
        w.commit().await.unwrap();
        let b = store.audit(follow_up).await.unwrap();
        assert_eq!(b.title, "Uppföljande granskning 2021");
        assert_eq!(b.case_ref, None);
        assert_eq!(b.signatories, vec!["Cecilia Revisor"]);
        assert_eq!(
            b.questions
                .iter()
                .map(|q| (q.id, q.number))
                .collect::<Vec<_>>(),
            vec![(a.questions[1].id, 2), (q3, 3), (q1, 4)]
        );
        assert_eq!(b.recommendations[0].questions, vec![4, 2]);
        assert_eq!(b.recommendations[0].text, "Dokumentera riskanalysen.");
        assert_eq!(b.recommendations[2].id, r3);
        assert_eq!(b.recommendations[2].questions, vec![3]);
        // Nothing changed: nothing logged.
        let version = store.data_version().await.unwrap();
        let mut w = writer(store).await;
        w.update_audit(follow_up, &AuditHeader::of(&b))
            .await
            .unwrap();
        w.update_recommendation(r3, &RecommendationInput::of(&b.recommendations[2]))
            .await
            .unwrap();
        assert_eq!(w.changes(), 0);
        w.commit().await.unwrap();
        assert_eq!(store.data_version().await.unwrap(), version);
        db.finish().await;
    }
}

#[tokio::test]
async fn every_refusal_changes_nothing() {
    for db in TestDb::all().await {
        let store = &db.store;
        let t = tree(store).await;
        let mut w = writer(store).await;
        let (audit_id, r1, r2) = simple_audit(&mut w, 2019, t.ks, t.child).await;
        let (later, later_rec, _) = simple_audit(&mut w, 2021, t.ks, t.child).await;
        w.update_recommendation(
            later_rec,
            &RecommendationInput {
                reissues: Some(r1),
                ..rec("1", vec![t.ks])
            },
        )
        .await
        .unwrap();
        w.record_verdict(
            r1,
            &VerdictInput {
                year: 2020,
                grade: Grade::PartlyImplemented,
                text: "Arbetet pågår.".into(),
                evidence: "Intervjuer".into(),
                closes: false,
            },
        )
        .await
        .unwrap();
        w.commit().await.unwrap();
        let before = store.audits().await.unwrap();
        let version = store.data_version().await.unwrap();
        let deviations = store.deviations(None).await.unwrap().len();

        let mut w = writer(store).await;
        // A board the recommendations are not addressed to.
        assert_eq!(
            refusal(
                w.record_response(
                    &response(audit_id, t.other, "2020-05-01", vec![]),
                    "2020-06-01"
                )
                .await
            ),
            AuditRefusal::NotAddressed
        );
        // A stance on a recommendation not addressed to the board.
        assert!(matches!(
            refusal(
                w.record_response(
                    &response(
                        audit_id,
                        t.child,
                        "2020-05-01",
                        vec![item(r1, Stance::Accepted)]
                    ),
                    "2020-06-01"
                )
                .await
            ),
            AuditRefusal::NotAddressedRecommendation(_)
        ));
        // A decline without its motivation.
        assert_eq!(
            refusal(
                w.record_response(
                    &response(
                        audit_id,
                        t.ks,
                        "2020-05-01",
                        vec![item(r1, Stance::Declined("  ".into()))]
                    ),
                    "2020-06-01"
                )
                .await
            ),
            AuditRefusal::MotivationRequired
        );
        // Dated after today.
        assert_eq!(
            refusal(
                w.record_response(
                    &response(audit_id, t.ks, "2020-07-01", vec![]),
                    "2020-06-01"
                )
                .await
            ),
            AuditRefusal::InFuture
        );
        // A second verdict in the same year.
        assert_eq!(
            refusal(
                w.record_verdict(
                    r1,
                    &VerdictInput {
                        year: 2020,
                        grade: Grade::Implemented,
                        text: String::new(),
                        evidence: String::new(),
                        closes: true,
                    }
                )
                .await
            ),
            AuditRefusal::VerdictExists(2020)
        );
        // "Avstår" without the auditors' text.
        assert_eq!(
            refusal(
                w.record_verdict(
                    r2,
                    &VerdictInput {
                        year: 2021,
                        grade: Grade::Declined,
                        text: String::new(),
                        evidence: String::new(),
                        closes: false,
                    }
                )
                .await
            ),
            AuditRefusal::VerdictTextRequired
        );
        // Re-issuing itself, or closing a loop (r1 ← later_rec; r1 re-issuing later_rec).
        assert_eq!(
            refusal(
                w.update_recommendation(
                    r1,
                    &RecommendationInput {
                        reissues: Some(r1),
                        ..rec("1", vec![t.ks])
                    }
                )
                .await
            ),
            AuditRefusal::ReissueCycle
        );
        assert_eq!(
            refusal(
                w.update_recommendation(
                    r1,
                    &RecommendationInput {
                        reissues: Some(later_rec),
                        ..rec("1", vec![t.ks])
                    }
                )
                .await
            ),
            AuditRefusal::ReissueCycle
        );
        // Not a PDF; too large.
        assert_eq!(
            refusal(
                w.attach_audit_report(audit_id, "rapport.pdf", b"<html>")
                    .await
            ),
            AuditRefusal::NotPdf
        );
        assert_eq!(
            refusal(
                w.attach_audit_report(audit_id, "rapport.pdf", &pdf(MAX_REPORT_BYTES + 1))
                    .await
            ),
            AuditRefusal::ReportTooLarge
        );
        // A recommendation without addressee, a number used twice, an unknown question.
        assert_eq!(
            refusal(w.add_recommendation(audit_id, &rec("3", vec![])).await),
            AuditRefusal::NoAddressee
        );
        assert_eq!(
            refusal(w.add_recommendation(audit_id, &rec("2", vec![t.ks])).await),
            AuditRefusal::DuplicateNumber("2".into())
        );
        assert_eq!(
            refusal(
                w.add_recommendation(
                    audit_id,
                    &RecommendationInput {
                        questions: vec![9],
                        ..rec("3", vec![t.ks])
                    }
                )
                .await
            ),
            AuditRefusal::UnknownQuestion(9)
        );
        assert_eq!(
            refusal(w.add_question(audit_id, &question(1, "Igen?")).await),
            AuditRefusal::DuplicateNumber("1".into())
        );
        assert_eq!(
            refusal(
                w.create_audit(&AuditInput {
                    header: header("  ", 2020, vec![t.ks]),
                    ..AuditInput::default()
                })
                .await
            ),
            AuditRefusal::Required("title")
        );
        // A follow-up of itself.
        let mut h = AuditHeader::of(&before[0]);
        h.follows_up = vec![later];
        assert_eq!(
            refusal(w.update_audit(later, &h).await),
            AuditRefusal::ReissueCycle
        );
        // A link for a board the recommendation is not addressed to.
        assert!(matches!(
            refusal(
                w.link_ic(
                    r1,
                    IcLink {
                        unit_id: t.other,
                        target: IcTarget::Action(1)
                    }
                )
                .await
            ),
            AuditRefusal::NotAddressedRecommendation(_)
        ));
        // What does not exist.
        assert!(w
            .link_ic(
                r1,
                IcLink {
                    unit_id: t.ks,
                    target: IcTarget::Action(999)
                }
            )
            .await
            .unwrap_err()
            .is_not_found());
        assert!(w
            .add_recommendation(audit_id, &rec("3", vec![t.ks + 1000]))
            .await
            .unwrap_err()
            .is_not_found());
        assert_eq!(w.changes(), 0);
        w.commit().await.unwrap();
        assert_eq!(store.audits().await.unwrap(), before);
        assert_eq!(store.data_version().await.unwrap(), version);
        assert_eq!(store.deviations(None).await.unwrap().len(), deviations);
        db.finish().await;
    }
}

#[tokio::test]
async fn a_response_decides_each_recommendation_s_deviation_once() {
    for db in TestDb::all().await {
        let store = &db.store;
        let t = tree(store).await;
        let mut w = writer(store).await;
        let (audit_id, r1, r2) = simple_audit(&mut w, 2019, t.ks, t.child).await;
        let response_id = w
            .record_response(
                &response(
                    audit_id,
                    t.ks,
                    "2020-06-22",
                    vec![
                        item(r1, Stance::Accepted),
                        item(r2, Stance::Declined("Rutinen finns redan.".into())),
                    ],
                ),
                "2020-07-01",
            )
            .await
            .unwrap();
        // A second response of the same board is refused.
        assert_eq!(
            refusal(
                w.record_response(
                    &response(audit_id, t.ks, "2020-06-23", vec![]),
                    "2020-07-01"
                )
                .await
            ),
            AuditRefusal::AlreadyAnswered
        );
        w.commit().await.unwrap();

        let a = store.audit(audit_id).await.unwrap();
        let resp = a.response_of(t.ks).unwrap();
        assert_eq!(resp.id, response_id);
        assert_eq!(resp.items.len(), 2);
        assert_eq!(resp.item(r2).unwrap().stance.text(), "Rutinen finns redan.");
        assert_eq!(resp.case_ref.as_ref().unwrap().serial, 716);

        let accepted = deviations_with_key(store, &cause_key(r1, t.ks)).await;
        assert_eq!(accepted.len(), 1);
        let d = &accepted[0].deviation;
        assert_eq!(d.raised.source, Source::AuditRecommendation);
        assert_eq!(d.raised.org_id, t.ks);
        assert_eq!(d.raised.period, Period::Year(2019));
        let decision = d.decision.as_ref().unwrap();
        assert_eq!(decision.outcome, Outcome::Act);
        assert_eq!(decision.decided_on, "2020-06-22");
        assert_eq!(decision.diary_number, "KS-2020/716.912");
        let declined = deviations_with_key(store, &cause_key(r2, t.ks)).await;
        assert_eq!(declined.len(), 1);
        assert_eq!(
            declined[0].deviation.decision.as_ref().unwrap().outcome,
            Outcome::NoAction {
                motivation: "Rutinen finns redan.".into()
            }
        );
        // The automatic deviations raise the unanswered one (the child's) and nothing twice.
        let due = store
            .automatic_deviations("2020-07-01", 2019)
            .await
            .unwrap();
        let audit_due: Vec<_> = due
            .iter()
            .filter(|d| d.source == Source::AuditRecommendation)
            .collect();
        assert_eq!(audit_due.len(), 3);
        let mut w = writer(store).await;
        let raised = w.raise_deviations(due.clone(), "2020-07-01").await.unwrap();
        assert_eq!(raised.len(), 1);
        assert!(w
            .raise_deviations(due, "2020-07-01")
            .await
            .unwrap()
            .is_empty());
        w.commit().await.unwrap();
        assert_eq!(
            deviations_with_key(store, &cause_key(r1, t.ks)).await.len(),
            1
        );
        let keys = store.audit_deviations().await.unwrap();
        assert_eq!(keys.len(), 3);
        assert_eq!(keys[&cause_key(r1, t.ks)], accepted[0].id);
        assert!(keys.contains_key(&cause_key(r2, t.child)));

        // A changed response corrects the decision; the earlier one stays.
        let mut w = writer(store).await;
        let changed = response(
            audit_id,
            t.ks,
            "2020-06-22",
            vec![
                item(r1, Stance::Accepted),
                item(
                    r2,
                    Stance::AcceptedWithReservation("Betona uppföljningen.".into()),
                ),
            ],
        );
        w.update_response(response_id, &changed, "2020-08-01")
            .await
            .unwrap();
        // The same response again changes nothing.
        let n = w.changes();
        w.update_response(response_id, &changed, "2020-08-01")
            .await
            .unwrap();
        assert_eq!(w.changes(), n);
        w.commit().await.unwrap();
        let d = &deviations_with_key(store, &cause_key(r2, t.ks)).await[0].deviation;
        assert_eq!(d.decision.as_ref().unwrap().outcome, Outcome::Act);
        assert_eq!(d.corrections.len(), 1);
        assert!(matches!(
            d.corrections[0].replaced.outcome,
            Outcome::NoAction { .. }
        ));
        assert!(d.corrections[0]
            .reason
            .contains("tjänsteutlåtande 2020-06-22"));
        let d = &deviations_with_key(store, &cause_key(r1, t.ks)).await[0].deviation;
        assert!(d.corrections.is_empty());
        let a = store.audit(audit_id).await.unwrap();
        assert_eq!(
            a.response_of(t.ks).unwrap().item(r2).unwrap().stance,
            Stance::AcceptedWithReservation("Betona uppföljningen.".into())
        );
        db.finish().await;
    }
}

fn ks_decision(org_id: Id, year: i32) -> PeriodLock {
    PeriodLock {
        org_id,
        period: Period::Year(year),
        body: "Kommunstyrelsen".into(),
        decided_on: "2021-03-30".into(),
        paragraph: "§ 45".into(),
        diary_number: "KS-2021/123".into(),
        locked_by: "controller".into(),
        locked_at: "2021-03-30T12:00:00Z".into(),
    }
}

#[tokio::test]
async fn a_locked_year_refuses_a_response_but_not_a_verdict() {
    for db in TestDb::all().await {
        let store = &db.store;
        let t = tree(store).await;
        let mut w = writer(store).await;
        let (audit_id, r1, r2) = simple_audit(&mut w, 2019, t.ks, t.other).await;
        let unlocked = w
            .record_response(
                &response(
                    audit_id,
                    t.other,
                    "2020-05-01",
                    vec![item(r2, Stance::Accepted)],
                ),
                "2021-06-01",
            )
            .await
            .unwrap();
        w.lock_period(&ks_decision(t.ks, 2020)).await.unwrap();
        w.lock_period(&ks_decision(t.other, 2020)).await.unwrap();
        w.commit().await.unwrap();
        let before = store.audit(audit_id).await.unwrap();
        let version = store.data_version().await.unwrap();

        let mut w = writer(store).await;
        let locked = |r: Result<(), StoreError>| matches!(r, Err(StoreError::Locked(_)));
        assert!(locked(
            w.record_response(
                &response(
                    audit_id,
                    t.ks,
                    "2020-06-22",
                    vec![item(r1, Stance::Accepted)]
                ),
                "2021-06-01"
            )
            .await
            .map(|_| ())
        ));
        // A response dated in the locked year cannot be changed, nor moved out of it.
        assert!(locked(
            w.update_response(
                unlocked,
                &response(
                    audit_id,
                    t.other,
                    "2021-05-01",
                    vec![item(r2, Stance::Accepted)]
                ),
                "2021-06-01"
            )
            .await
        ));
        assert_eq!(w.changes(), 0);
        w.commit().await.unwrap();
        assert_eq!(store.audit(audit_id).await.unwrap(), before);
        assert_eq!(store.data_version().await.unwrap(), version);

        // The next year is open; verdicts are the auditors' and not locked.
        let mut w = writer(store).await;
        w.record_response(
            &response(
                audit_id,
                t.ks,
                "2021-04-01",
                vec![item(r1, Stance::Accepted)],
            ),
            "2021-06-01",
        )
        .await
        .unwrap();
        w.record_verdict(
            r1,
            &VerdictInput {
                year: 2020,
                grade: Grade::Implemented,
                text: "Genomförd.".into(),
                evidence: "Beslut KS 2020-06-22".into(),
                closes: false,
            },
        )
        .await
        .unwrap();
        w.commit().await.unwrap();
        let a = store.audit(audit_id).await.unwrap();
        assert_eq!(a.responses.len(), 2);
        let v = &a.recommendation(r1).unwrap().verdicts[0];
        assert_eq!(
            (v.year, v.grade, v.is_closing()),
            (2020, Grade::Implemented, true)
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn action_facts_count_deviation_actions_and_linked_internal_control() {
    for db in TestDb::all().await {
        let store = &db.store;
        let t = tree(store).await;
        let mut w = writer(store).await;
        let (audit_id, r1, r2) = simple_audit(&mut w, 2019, t.ks, t.child).await;
        w.record_response(
            &response(
                audit_id,
                t.ks,
                "2019-06-01",
                vec![item(r1, Stance::Accepted), item(r2, Stance::Accepted)],
            ),
            "2019-06-01",
        )
        .await
        .unwrap();
        let deviation = w
            .deviation_by_cause(&cause_key(r1, t.ks))
            .await
            .unwrap()
            .unwrap();
        let action = |what: &str, due: &str| Action {
            what: what.into(),
            responsible_unit: t.ks,
            responsible_person: "Kommundirektör".into(),
            due: due.into(),
            expected_effect: "Dokumenterad rutin".into(),
            indicator_id: None,
            state: ActionState::Planned,
            comments: Vec::new(),
            closed_on: None,
        };
        w.add_deviation_action(deviation, &action("Ta fram rutin", "2019-12-31"))
            .await
            .unwrap();
        let done = w
            .add_deviation_action(deviation, &action("Utbilda", "2019-10-31"))
            .await
            .unwrap();
        w.advance_deviation_action(done, ActionState::InProgress, "2019-09-15", "Påbörjad")
            .await
            .unwrap();
        w.advance_deviation_action(done, ActionState::Done, "2019-10-15", "Klart")
            .await
            .unwrap();
        let cancelled = w
            .add_deviation_action(deviation, &action("Annat", "2019-09-30"))
            .await
            .unwrap();
        w.advance_deviation_action(
            cancelled,
            ActionState::Cancelled,
            "2019-09-01",
            "Behövs inte",
        )
        .await
        .unwrap();
        let plan = w
            .create_control_plan(&NewControlPlan {
                org_id: t.ks,
                year: 2019,
                rule_ref: "HKF 9410".into(),
                legal_basis: "KL 6:6".into(),
            })
            .await
            .unwrap();
        let ic_action = w
            .add_ic_action(
                plan,
                &ActionInput {
                    key: "AA01".into(),
                    text: "Rutin för bisysslor".into(),
                    responsible: "HR-chef".into(),
                    sources: Vec::new(),
                    blocked_by: None,
                },
            )
            .await
            .unwrap();
        let control = w
            .add_control(
                plan,
                &uppsikt_store::ControlInput {
                    key: String::new(),
                    kind: uppsikt_domain::internal_control::ControlKind::Systematic,
                    area: "Sund ekonomi".into(),
                    name: "Attester".into(),
                    purpose: String::new(),
                    method: "Stickprov".into(),
                    frequency: "Årligen".into(),
                    sample: String::new(),
                    planned_parameters: String::new(),
                    responsible: "Ekonomichef".into(),
                    due: "2019-12-31".into(),
                    origin: String::new(),
                    comment: String::new(),
                    common: false,
                    planned_dates: vec!["2019-11-30".into()],
                },
            )
            .await
            .unwrap();
        let link = IcLink {
            unit_id: t.ks,
            target: IcTarget::Action(ic_action),
        };
        w.link_ic(r2, link).await.unwrap();
        w.link_ic(r2, link).await.unwrap();
        w.link_ic(
            r2,
            IcLink {
                unit_id: t.child,
                target: IcTarget::Control(control),
            },
        )
        .await
        .unwrap();
        w.commit().await.unwrap();

        let a = store.audit(audit_id).await.unwrap();
        assert_eq!(a.recommendation(r2).unwrap().ic_links.len(), 2);
        // During 2019: two actions planned (the cancelled one does not count), one done,
        // none overdue; the linked IC action's year has not ended.
        let facts = store.audit_action_facts("2019-11-01").await.unwrap();
        let f = facts[&(r1, t.ks)];
        assert_eq!((f.planned, f.done, f.overdue), (2, 1, 0));
        let f = facts[&(r2, t.ks)];
        assert_eq!((f.planned, f.done, f.overdue), (1, 0, 0));
        let f = facts[&(r2, t.child)];
        assert_eq!((f.planned, f.done, f.overdue), (1, 0, 0));
        assert!(!facts.contains_key(&(r1, t.child)));
        // In 2020: the deviation action is past its date, and the IC action's year ended.
        let facts = store.audit_action_facts("2020-01-15").await.unwrap();
        assert_eq!(facts[&(r1, t.ks)].overdue, 1);
        assert_eq!(facts[&(r2, t.ks)].overdue, 1);
        assert_eq!(facts[&(r2, t.child)].overdue, 0);
        let rows = uppsikt_domain::audit::board_rows(&[a], &facts, "2020-01-15");
        let row = rows
            .iter()
            .find(|r| r.recommendation_id == r2 && r.unit_id == t.ks)
            .unwrap();
        assert_eq!(row.handling, uppsikt_domain::audit::Handling::ActionOverdue);

        // Done, it is no longer overdue; unlinked, it no longer counts.
        let mut w = writer(store).await;
        w.set_action_status(
            ic_action,
            uppsikt_domain::internal_control::ActionStatus::Done,
            Some("2019-12-01"),
            "Klart",
        )
        .await
        .unwrap();
        w.unlink_ic(
            r2,
            IcLink {
                unit_id: t.child,
                target: IcTarget::Control(control),
            },
        )
        .await
        .unwrap();
        w.commit().await.unwrap();
        let facts = store.audit_action_facts("2020-01-15").await.unwrap();
        let f = facts[&(r2, t.ks)];
        assert_eq!((f.planned, f.done, f.overdue), (1, 1, 0));
        assert!(!facts.contains_key(&(r2, t.child)));
        db.finish().await;
    }
}

#[tokio::test]
async fn the_report_is_kept_byte_for_byte() {
    for db in TestDb::all().await {
        let store = &db.store;
        let t = tree(store).await;
        let mut w = writer(store).await;
        let (audit_id, _, _) = simple_audit(&mut w, 2019, t.ks, t.child).await;
        let bytes = pdf(70_000);
        w.attach_audit_report(audit_id, " granskning.pdf ", &bytes)
            .await
            .unwrap();
        w.commit().await.unwrap();
        let (file, stored) = store.audit_report(audit_id).await.unwrap().unwrap();
        assert_eq!(stored, bytes);
        assert_eq!(file.file_name, "granskning.pdf");
        assert_eq!(file.bytes, bytes.len());
        assert_eq!(file.sha256, uppsikt_store::sha256_hex(&bytes));
        assert_eq!(store.audit(audit_id).await.unwrap().report, Some(file));
        // The same file again changes nothing; another replaces it.
        let version = store.data_version().await.unwrap();
        let mut w = writer(store).await;
        w.attach_audit_report(audit_id, "granskning.pdf", &bytes)
            .await
            .unwrap();
        assert_eq!(w.changes(), 0);
        w.attach_audit_report(audit_id, "granskning-v2.pdf", &pdf(10))
            .await
            .unwrap();
        w.commit().await.unwrap();
        assert!(store.data_version().await.unwrap() > version);
        let (file, stored) = store.audit_report(audit_id).await.unwrap().unwrap();
        assert_eq!(
            (file.file_name.as_str(), stored.len()),
            ("granskning-v2.pdf", 10)
        );
        assert!(store.audit_report(audit_id + 1).await.unwrap().is_none());
        db.finish().await;
    }
}

#[tokio::test]
async fn histories_show_an_audit_s_and_a_recommendation_s_parts() {
    for db in TestDb::all().await {
        let store = &db.store;
        let t = tree(store).await;
        let mut w = writer(store).await;
        let (audit_id, r1, _) = simple_audit(&mut w, 2019, t.ks, t.child).await;
        w.add_question(audit_id, &question(2, "Rapporteras resultaten?"))
            .await
            .unwrap();
        w.record_response(
            &response(
                audit_id,
                t.ks,
                "2020-06-22",
                vec![item(r1, Stance::Accepted)],
            ),
            "2020-07-01",
        )
        .await
        .unwrap();
        w.attach_audit_report(audit_id, "rapport.pdf", &pdf(100))
            .await
            .unwrap();
        w.record_verdict(
            r1,
            &VerdictInput {
                year: 2021,
                grade: Grade::NotImplemented,
                text: "Inte genomförd.".into(),
                evidence: String::new(),
                closes: false,
            },
        )
        .await
        .unwrap();
        let plan = w
            .create_control_plan(&NewControlPlan {
                org_id: t.ks,
                year: 2020,
                rule_ref: String::new(),
                legal_basis: String::new(),
            })
            .await
            .unwrap();
        let risk = w
            .add_risk(
                plan,
                &uppsikt_store::RiskInput {
                    area: "Styrning".into(),
                    text: "Rutiner saknas".into(),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        w.link_ic(
            r1,
            IcLink {
                unit_id: t.ks,
                target: IcTarget::Risk(risk),
            },
        )
        .await
        .unwrap();
        w.commit().await.unwrap();

        let types = |h: Vec<uppsikt_store::ChangeLogEntry>| {
            let mut t: Vec<String> = h.into_iter().map(|e| e.object_type).collect();
            t.sort();
            t.dedup();
            t
        };
        assert_eq!(
            types(
                store
                    .history(ObjectKind::Audit, audit_id, 100)
                    .await
                    .unwrap()
            ),
            vec!["audit", "audit_question", "audit_report", "audit_response"]
        );
        assert_eq!(
            types(
                store
                    .history(ObjectKind::Recommendation, r1, 100)
                    .await
                    .unwrap()
            ),
            vec!["audit_ic_link", "audit_recommendation", "audit_verdict"]
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn loading_takes_the_same_queries_however_many_audits() {
    for db in TestDb::all().await {
        let store = &db.store;
        let t = tree(store).await;
        let mut w = writer(store).await;
        let (first, _, _) = simple_audit(&mut w, 2019, t.ks, t.child).await;
        w.commit().await.unwrap();
        let count = |before: usize| audit_queries() - before;
        let before = audit_queries();
        assert_eq!(store.audits().await.unwrap().len(), 1);
        let for_one = count(before);
        let before = audit_queries();
        store.audit(first).await.unwrap();
        assert_eq!(count(before), for_one);

        let mut w = writer(store).await;
        for year in 2010..2030 {
            let (id, r1, _) = simple_audit(&mut w, year, t.ks, t.child).await;
            w.add_question(
                id,
                &QuestionInput {
                    sub_questions: vec![SubQuestion {
                        text: "Delfråga".into(),
                        assessment: None,
                    }],
                    ..question(2, "Fråga två")
                },
            )
            .await
            .unwrap();
            w.record_response(
                &response(
                    id,
                    t.ks,
                    &format!("{}-06-01", year.max(2011)),
                    vec![item(r1, Stance::Accepted)],
                ),
                "2030-01-01",
            )
            .await
            .unwrap();
        }
        w.commit().await.unwrap();
        let before = audit_queries();
        assert_eq!(store.audits().await.unwrap().len(), 21);
        assert_eq!(count(before), for_one);
        assert!(for_one <= 15, "{for_one} queries");
        db.finish().await;
    }
}
