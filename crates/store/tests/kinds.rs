//! Every object kind's SQL (`uppsikt_store`'s `kinds`), on every backend: the unit that
//! owns one object of each kind, and its history.

mod common;

use std::collections::HashMap;

use common::tree;
use uppsikt_domain::deviation::{
    Action, ActionState, DecidingBody, Decision, NewDeviation, Outcome, Severity, Source,
};
use uppsikt_domain::internal_control::{ActionSource, ControlKind};
use uppsikt_domain::model::Id;
use uppsikt_domain::object_kind::ObjectKind;
use uppsikt_domain::Period;
use uppsikt_store::testing::TestDb;
use uppsikt_store::{
    ActionInput, AuditHeader, AuditInput, CommitmentInput, ControlInput, NewControlPlan,
    RecommendationInput, RiskInput, Store,
};

/// A grant of the municipality as a whole (no board), a grant of a board with an
/// allocation, and an investment node.
async fn economy(w: &mut uppsikt_store::Writer, t: &common::Tree) -> (Id, Id, Id) {
    use uppsikt_domain::economy::{Amount, InvestmentNode, TreeKind};
    use uppsikt_domain::grant::{Allocation, DecisionRef, Direction, Grant, GrantKind, GrantShare};
    let grant = |code: &str, unit_id: Option<Id>| Grant {
        id: 0,
        code: code.into(),
        name: "Statsbidrag".into(),
        direction: Direction::Received,
        grantor: "Staten".into(),
        legal_basis: String::new(),
        kind: GrantKind::General,
        formula: String::new(),
        reporting_duty: String::new(),
        unit_id,
        allocate_by: None,
        rules: String::new(),
        note: String::new(),
        source: String::new(),
        years: Vec::new(),
    };
    let common = w.put_grant(&grant("G-1", None)).await.unwrap();
    let own = w.put_grant(&grant("G-2", Some(t.other))).await.unwrap();
    w.put_allocation(&Allocation {
        id: 0,
        grant_id: own,
        year: 2024,
        decision: DecisionRef {
            body: "KS".into(),
            ..DecisionRef::default()
        },
        purpose: "Trygghet".into(),
        amount: None,
        share: GrantShare::Unknown,
        unit_id: Some(t.child),
        area: None,
        obligation_id: None,
        commitment_id: None,
        situation_report_id: None,
        recipient: String::new(),
        follow_up: None,
    })
    .await
    .unwrap();
    let node = w
        .put_investment_node(&InvestmentNode {
            id: 0,
            unit_id: t.ks,
            year: 2024,
            kind: TreeKind::Investment,
            parent_id: None,
            code: String::new(),
            name: "Gator och vägar".into(),
            position: 0,
            budget: Some(Amount(-100)),
            outcome: None,
            forecast: None,
            forecast_on: None,
            carry_over: None,
            areas: Vec::new(),
            note: String::new(),
        })
        .await
        .unwrap();
    (common, own, node)
}

struct Family {
    area: Id,
    report: Id,
    forum: Id,
    agreement: Id,
    statute: Id,
    obligation: Id,
}

/// One area, situation report, forum, agreement, statute and duty.
async fn area_family(w: &mut uppsikt_store::Writer, t: &common::Tree) -> Family {
    use uppsikt_domain::area::Area;
    use uppsikt_domain::forum::{Agreement, AgreementKind, Documented, Forum};
    use uppsikt_domain::obligation::{Obligation, Statute};
    use uppsikt_domain::situation::{ReportStatus, SituationKind, SituationReport};
    let area = w
        .create_area(&Area {
            id: 0,
            name: "Vårby".into(),
            kind: None,
            parent_id: None,
            note: String::new(),
            classifications: Vec::new(),
        })
        .await
        .unwrap();
    let report = w
        .create_situation_report(&SituationReport {
            id: 0,
            kind: SituationKind::Overall,
            title: "Övergripande lägesbild".into(),
            period_start: "2023-01-01".into(),
            period_end: "2023-12-31".into(),
            producer: "OSG".into(),
            producer_forum_id: None,
            status: ReportStatus::Final,
            levels: Vec::new(),
            unnamed_levels: Vec::new(),
            checklist: Default::default(),
            summary: String::new(),
            public: false,
            synthetic: false,
            presentations: Vec::new(),
        })
        .await
        .unwrap();
    let forum = w
        .create_forum(&Forum {
            id: 0,
            code: "F03".into(),
            name: "Styrgruppen".into(),
            purpose: String::new(),
            chair: String::new(),
            members: Vec::new(),
            cadence: String::new(),
            reports_to_unit: None,
            reports_to_forum: None,
            reports_what: String::new(),
            documented: Documented::No,
            evaluated_on: None,
            evaluation: String::new(),
            area_ids: Vec::new(),
            council: None,
            meetings: Vec::new(),
            note: String::new(),
        })
        .await
        .unwrap();
    let agreement = w
        .create_agreement(&Agreement {
            id: 0,
            code: "AG-2023-24".into(),
            kind: AgreementKind::Collaboration,
            title: "Samverkansöverenskommelse".into(),
            parties: Vec::new(),
            valid_from: None,
            valid_to: None,
            purpose: String::new(),
            focus_areas: Vec::new(),
            governing_forum_id: None,
            situation_report_id: None,
            statutes: Vec::new(),
            area_ids: Vec::new(),
            note: String::new(),
        })
        .await
        .unwrap();
    let statute = w
        .create_statute(&Statute {
            id: 0,
            sfs: "2023:196".into(),
            title: "Lag om kommuners ansvar för brottsförebyggande arbete".into(),
            in_force: Some("2023-07-01".into()),
            leading_unit_id: Some(t.ks),
            url: String::new(),
            note: String::new(),
        })
        .await
        .unwrap();
    let obligation = w
        .create_obligation(&Obligation {
            id: 0,
            statute_id: statute,
            code: "L1".into(),
            section: String::new(),
            duty: "Ta fram en lägesbild".into(),
            checklist: Vec::new(),
            requirement: None,
            first_due: None,
            every_months: None,
            responsible_unit_id: Some(t.child),
            fulfilled_by: None,
            evidence: Vec::new(),
            assessments: Vec::new(),
            note: String::new(),
        })
        .await
        .unwrap();
    Family {
        area,
        report,
        forum,
        agreement,
        statute,
        obligation,
    }
}

/// One object of each kind, under the units `tree` made: the kind's id and its owner.
async fn one_of_each(store: &Store) -> HashMap<ObjectKind, (Id, Id)> {
    let t = tree(store).await;
    let mut w = store
        .writer("controller", uppsikt_store::ChangeSource::Form)
        .await
        .unwrap();
    let commitment = w
        .create_commitment(&CommitmentInput {
            key: String::new(),
            goal_id: t.goal,
            title: "Samverkan".into(),
            description: String::new(),
            year: 2024,
            carried_over_from: None,
            position: 0,
        })
        .await
        .unwrap();
    let deviation = w
        .raise_deviations(
            vec![NewDeviation {
                org_id: t.other,
                area: None,
                source: Source::AuditRemark,
                severity: Severity::Low,
                period: Period::Year(2024),
                description: "Protokollen saknas.".into(),
                cause_key: None,
            }],
            "2024-02-01",
        )
        .await
        .unwrap()[0];
    w.decide_deviation(
        deviation,
        &Decision {
            body: DecidingBody::Board,
            decided_on: "2024-03-20".into(),
            paragraph: "§ 12".into(),
            diary_number: "SON-2024/1".into(),
            outcome: Outcome::Act,
        },
    )
    .await
    .unwrap();
    let action = w
        .add_deviation_action(
            deviation,
            &Action {
                what: "Rutin för protokoll".into(),
                responsible_unit: t.other,
                responsible_person: "Nämndsekreterare".into(),
                due: "2024-06-30".into(),
                expected_effect: "Protokoll i tid".into(),
                indicator_id: None,
                state: ActionState::Planned,
                comments: Vec::new(),
                closed_on: None,
            },
        )
        .await
        .unwrap();
    let plan = w
        .create_control_plan(&NewControlPlan {
            org_id: t.ks,
            year: 2024,
            rule_ref: "HKF 9410".into(),
            legal_basis: "KL 6:6".into(),
        })
        .await
        .unwrap();
    let risk = w
        .add_risk(
            plan,
            &RiskInput {
                area: "Informationssäkerhet".into(),
                text: "Infoläckage via molntjänster".into(),
                ..RiskInput::default()
            },
        )
        .await
        .unwrap();
    let ic_action = w
        .add_ic_action(
            plan,
            &ActionInput {
                key: String::new(),
                text: "Riktlinjer för molntjänster".into(),
                responsible: "IT-chef".into(),
                sources: vec![ActionSource::Risk { risk_id: risk }],
                blocked_by: None,
            },
        )
        .await
        .unwrap();
    let control = w
        .add_control(
            plan,
            &ControlInput {
                key: String::new(),
                kind: ControlKind::Systematic,
                area: "Sund ekonomi".into(),
                name: "Leverantörsfakturor".into(),
                purpose: String::new(),
                method: "Stickprov".into(),
                frequency: "En gång per år".into(),
                sample: String::new(),
                planned_parameters: String::new(),
                responsible: "Ekonomichef".into(),
                due: "2024-12-31".into(),
                origin: String::new(),
                comment: String::new(),
                common: false,
                planned_dates: vec!["2024-11-30".into()],
            },
        )
        .await
        .unwrap();
    let audit = w
        .create_audit(&AuditInput {
            header: AuditHeader {
                title: "Intern kontroll".into(),
                plan_year: 2024,
                audited_units: vec![t.other, t.ks],
                ..AuditHeader::default()
            },
            questions: Vec::new(),
            recommendations: vec![RecommendationInput {
                number: "1".into(),
                text: "Dokumentera riskanalysen.".into(),
                addressees: vec![t.child, t.ks],
                ..RecommendationInput::default()
            }],
        })
        .await
        .unwrap();
    let recommendation = w.audit_in_tx(audit).await.unwrap().recommendations[0].id;
    let family = area_family(&mut w, &t).await;
    let (_, unit_grant, investment) = economy(&mut w, &t).await;
    w.commit().await.unwrap();
    ObjectKind::ALL
        .into_iter()
        .map(|kind| {
            let object = match kind {
                ObjectKind::OrgUnit => (t.child, t.child),
                ObjectKind::Goal => (t.goal, t.child),
                ObjectKind::Indicator => (t.indicator, t.child),
                ObjectKind::Commitment => (commitment, t.child),
                ObjectKind::Deviation => (deviation, t.other),
                ObjectKind::DeviationAction => (action, t.other),
                ObjectKind::ControlPlan => (plan, t.ks),
                ObjectKind::IcRisk => (risk, t.ks),
                ObjectKind::IcAction => (ic_action, t.ks),
                ObjectKind::Control => (control, t.ks),
                ObjectKind::Audit => (audit, t.other),
                ObjectKind::Recommendation => (recommendation, t.child),
                // The area family belongs to the root, a statute to the body leading the
                // work, a duty to its responsible board.
                ObjectKind::Area => (family.area, t.kommun),
                ObjectKind::SituationReport => (family.report, t.kommun),
                ObjectKind::Forum => (family.forum, t.kommun),
                ObjectKind::Agreement => (family.agreement, t.kommun),
                ObjectKind::Statute => (family.statute, t.ks),
                ObjectKind::Obligation => (family.obligation, t.child),
                // A grant belongs to its board (else to the root), an investment to its
                // board.
                ObjectKind::Grant => (unit_grant, t.other),
                ObjectKind::InvestmentNode => (investment, t.ks),
            };
            (kind, object)
        })
        .collect()
}

#[tokio::test]
async fn every_kind_finds_the_unit_that_owns_it() {
    for db in TestDb::all().await {
        let store = &db.store;
        for (kind, (id, owner)) in one_of_each(store).await {
            assert_eq!(
                store.owning_unit(kind, id).await.unwrap(),
                owner,
                "{kind:?}"
            );
            let missing = store.owning_unit(kind, id + 1000).await.unwrap_err();
            assert!(missing.is_not_found(), "{kind:?}: {missing}");
        }
    }
}

#[tokio::test]
async fn every_kind_s_history_begins_with_its_creation() {
    for db in TestDb::all().await {
        let store = &db.store;
        let objects = one_of_each(store).await;
        for (&kind, &(id, _)) in &objects {
            let history = store.history(kind, id, 100).await.unwrap();
            let first = history.last().expect("a history");
            assert_eq!(first.object_type, kind.log_type(), "{kind:?}");
            assert_eq!(first.object_id, Some(id), "{kind:?}");
        }
        // A deviation's history holds its actions'.
        let (deviation, _) = objects[&ObjectKind::Deviation];
        let (action, _) = objects[&ObjectKind::DeviationAction];
        let history = store
            .history(ObjectKind::Deviation, deviation, 100)
            .await
            .unwrap();
        assert!(history
            .iter()
            .any(|e| e.object_type == "deviation_action" && e.object_id == Some(action)));
    }
}

#[tokio::test]
async fn a_grant_without_a_board_belongs_to_the_root() {
    for db in TestDb::all().await {
        let store = &db.store;
        let t = tree(store).await;
        let mut w = store
            .writer("controller", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        let (common, _, _) = economy(&mut w, &t).await;
        w.commit().await.unwrap();
        assert_eq!(
            store.owning_unit(ObjectKind::Grant, common).await.unwrap(),
            t.kommun
        );
        db.finish().await;
    }
}
