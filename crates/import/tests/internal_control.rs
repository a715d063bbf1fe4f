//! Internal-control plans loaded from data files on both backends: the demo's KS plan 2019
//! gives seed 004's counts through the store and the domain's summary, loading it again
//! changes nothing (also after the year is decided), a file can add to and change a stored
//! plan by key, and a plan the load refuses leaves the database exactly as it was.

use uppsikt_domain::internal_control::{
    findings_cause_key, ActionSource, ActionStatus, Blocker, ControlPlan, ExecutionError, Notice,
};
use uppsikt_domain::messages::{self, internal_control as ic, Referent};
use uppsikt_import::{load, load_demo, load_demo_data, parse_str, ImportReport};
use uppsikt_store::testing::TestDb;
use uppsikt_store::{ChangeSource, Store};

async fn ks(store: &Store) -> i64 {
    store
        .org_units()
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.key == "ks")
        .expect("ks")
        .id
}

async fn ks_plan(store: &Store, year: i32) -> Option<ControlPlan> {
    store.control_plan_of(ks(store).await, year).await.unwrap()
}

async fn load_text(store: &Store, text: &str) -> Result<uppsikt_import::Summary, ImportReport> {
    let data = parse_str("plan.toml", text)?;
    load(store, &data, "test", ChangeSource::Cli).await
}

/// The whole plan as JSON, to compare a plan before and after a load.
fn whole(p: &ControlPlan) -> String {
    serde_json::to_string(p).unwrap()
}

/// The counts seed 004 prints (DOMAIN-MODULES.md A4 and B4.1) come from the loaded data:
/// 18 risk-reducing actions, 10 Klart; 11 audit actions, 7 Klart, R16 being both (28
/// actions, 16 Klart); 16 systematic controls, 12 Klart; one contract follow-up.
fn check_ks_2019(p: &ControlPlan) {
    assert_eq!(
        (p.year, p.rule_ref.as_str(), p.legal_basis.as_str()),
        (2019, "HKF 9410", "KL 6:6")
    );
    let s = p.summary("2020-02-15");
    assert_eq!(s.risks, 12);
    assert_eq!((s.actions, s.actions_done), (28, 16));
    assert_eq!((s.risk_actions, s.risk_actions_done), (18, 10));
    assert_eq!((s.audit_actions, s.audit_actions_done), (11, 7));
    assert_eq!(s.actions_blocked, 3, "R07, AA06, AA07");
    assert_eq!((s.controls, s.controls_done), (16, 12));
    assert_eq!(s.contract_follow_ups, 1);
    assert_eq!((s.occurrences, s.occurrences_performed), (60, 48));
    assert_eq!(s.occurrences_missed, 12, "C03 nine months, C09, C15, C16");
    assert_eq!(s.findings, 2, "C10 and C13");

    let action = |k: &str| p.actions.iter().find(|a| a.key == k).unwrap();
    let r08 = action("R08").id;
    assert_eq!(action("R07").blocked_by, Some(Blocker::Action(r08)));
    let r16 = action("R16");
    assert_eq!(r16.status, ActionStatus::Done);
    assert!(
        matches!(r16.sources[..], [ActionSource::Risk { .. }, ActionSource::Recommendation { ref case_ref, .. }] if case_ref == "KS-2018/753.912")
    );
    assert!(p.actions.iter().all(|a| a.key != "AA10"), "AA10 is R16");

    let notices = p.notices("2020-02-15");
    assert!(
        notices.contains(&Notice::NotAdopted),
        "no adoption in the seeds"
    );
    let drift = notices
        .iter()
        .filter(|n| matches!(n, Notice::ParametersChanged { .. }))
        .count();
    assert_eq!(drift, 13, "C05 every month, C12 once");
    let c03 = p.controls.iter().find(|c| c.key == "C03").unwrap();
    assert!(notices.contains(&Notice::OccurrencesMissed {
        control_id: c03.id,
        missed: 9,
        planned: 12
    }));
}

#[tokio::test]
async fn the_demo_plan_gives_the_seeds_counts_and_reloads_unchanged() {
    for db in TestDb::all().await {
        eprintln!("internal control demo on {:?}", db.backend());
        let store = &db.store;
        let summary = load_demo(store, "demo")
            .await
            .unwrap_or_else(|r| panic!("{r}"));
        assert_eq!(summary.control_plans, 1);
        let plan = ks_plan(store, 2019).await.expect("KS's plan 2019");
        check_ks_2019(&plan);

        // The findings of C10 and C13 raised their deviations when they were recorded.
        let raised = store.control_plan_deviations(plan.id).await.unwrap();
        for key in ["C10", "C13"] {
            let c = plan.controls.iter().find(|c| c.key == key).unwrap();
            let cause = findings_cause_key(c.occurrences[0].id);
            assert!(raised.contains_key(&cause), "{key}: {raised:?}");
        }

        // Loading again (KS's 2019 is now decided) changes nothing and is not refused.
        let counts = store.counts().await.unwrap();
        load_demo(store, "demo")
            .await
            .unwrap_or_else(|r| panic!("{r}"));
        let again = ks_plan(store, 2019).await.unwrap();
        assert_eq!(whole(&again), whole(&plan));
        assert_eq!(again.id, plan.id);
        assert_eq!(store.counts().await.unwrap().org_units, counts.org_units);
        assert_eq!(
            store.control_plan_deviations(plan.id).await.unwrap(),
            raised
        );
        db.finish().await;
    }
}

const HEADER: &str = "format = \"uppsikt/1\"\n";

#[tokio::test]
async fn a_file_adds_to_and_changes_a_stored_plan_by_key() {
    for db in TestDb::all().await {
        eprintln!("plan update on {:?}", db.backend());
        let store = &db.store;
        load_demo_data(store, "demo")
            .await
            .unwrap_or_else(|r| panic!("{r}"));
        let before = ks_plan(store, 2019).await.unwrap();
        let text = format!(
            "{HEADER}[[control_plans]]\norg = \"ks\"\nyear = 2019\n\
             adoption = {{ body = \"Kommunstyrelsen\", decided_on = \"2018-12-10\" }}\n\n\
             [[control_plans.actions]]\nkey = \"R07\"\nrisks = [\"RK05\"]\ntext = \"Gå igenom delegationsordningen.\"\nstatus = \"Klart\"\ndone_on = \"2020-03-01\"\ncomment = \"Klar 2020.\"\n\n\
             [[control_plans.actions]]\nkey = \"R19\"\nrisks = [\"RK05\"]\ntext = \"Ny åtgärd.\"\nblocked_by = \"R07\"\n\n\
             [[control_plans.risks]]\nkey = \"RK05\"\narea = \"Sund ekonomi\"\ntext = \"Investeringar utan beslutad budget.\"\n\n\
             [[control_plans.controls]]\nkey = \"C16\"\narea = \"Lokalförsörjningsprocessen\"\nname = \"Uppföljning av lokalprojekt i Antura\"\ndue = \"2019-12-31\"\n\
             occurrences = [{{ planned_on = \"2019-12-31\", performed_on = \"2020-01-20\", result = \"Utan anmärkning\" }}]\n"
        );
        load_text(store, &text)
            .await
            .unwrap_or_else(|r| panic!("{r}"));
        let after = ks_plan(store, 2019).await.unwrap();
        assert_eq!(after.id, before.id);
        assert_eq!(after.adoption.as_ref().unwrap().decided_on, "2018-12-10");
        assert_eq!(after.self_assessment, before.self_assessment, "kept");
        assert_eq!(after.risks.len(), 12);
        let r07 = after.actions.iter().find(|a| a.key == "R07").unwrap();
        assert_eq!(r07.status, ActionStatus::Done);
        assert_eq!(r07.done_on.as_deref(), Some("2020-03-01"));
        assert_eq!(r07.amendments.len(), 1, "the new text is an amendment");
        assert!(r07.blocked_by.is_none(), "the file gives no blocker");
        let r19 = after.actions.last().unwrap();
        assert_eq!(r19.key, "R19");
        assert_eq!(r19.blocked_by, Some(Blocker::Action(r07.id)));
        let c16 = after.controls.iter().find(|c| c.key == "C16").unwrap();
        assert!(c16.occurrences[0]
            .execution
            .as_ref()
            .is_some_and(|e| e.is_performed()));
        assert_eq!(after.summary("2020-02-15").controls_done, 13);
        db.finish().await;
    }
}

/// What must not change when a load is refused.
async fn state(store: &Store) -> (i64, uppsikt_store::Counts, Vec<String>) {
    let plans = store.control_plans(None).await.unwrap();
    (
        store.data_version().await.unwrap(),
        store.counts().await.unwrap(),
        plans.iter().map(whole).collect(),
    )
}

#[tokio::test]
async fn a_refused_plan_writes_nothing() {
    let plan = |body: &str| format!("{HEADER}[[control_plans]]\norg = \"ks\"\nyear = 2019\n{body}");
    let cases: Vec<(String, &str, String)> = vec![
        (
            format!("{HEADER}[[control_plans]]\norg = \"gymnasienamnden\"\nyear = 2019\n"),
            "control_plans[0].org",
            messages::unknown_reference(Referent::OrgUnit, "gymnasienamnden"),
        ),
        (
            // R16 given without its audit recommendation: sources do not change by import.
            plan("\n[[control_plans.risks]]\nkey = \"RK11\"\ntext = \"Bisysslor.\"\n\n[[control_plans.actions]]\nkey = \"R16\"\nrisks = [\"RK11\"]\ntext = \"Bisysslor.\"\n"),
            "control_plans[0].actions[0]",
            ic::plan_item_differs("R16"),
        ),
        (
            // An execution after today.
            plan("\n[[control_plans.controls]]\nkey = \"C09\"\nname = \"Mutor\"\noccurrences = [{ planned_on = \"2019-12-31\", performed_on = \"2199-01-01\", result = \"Utan anmärkning\" }]\n"),
            "control_plans[0].controls[0].occurrences[0]",
            ic::execution(&ExecutionError::InFuture).into(),
        ),
        (
            // A new plan after a good one: the first is rolled back too.
            format!("{HEADER}[[control_plans]]\norg = \"ks\"\nyear = 2031\n\n[[control_plans.risks]]\nkey = \"RK1\"\ntext = \"Risk.\"\n\n\
                     [[control_plans]]\norg = \"ks\"\nyear = 2032\n\n[[control_plans.controls]]\nkey = \"C1\"\nname = \"K\"\noccurrences = [{{ planned_on = \"2032-01-31\", performed_on = \"2199-01-31\", result = \"Utan anmärkning\" }}]\n"),
            "control_plans[1].controls[0].occurrences[0]",
            ic::execution(&ExecutionError::InFuture).into(),
        ),
    ];
    for db in TestDb::all().await {
        eprintln!("refused plans on {:?}", db.backend());
        let store = &db.store;
        load_demo_data(store, "demo")
            .await
            .unwrap_or_else(|r| panic!("{r}"));
        let before = state(store).await;
        for (text, location, message) in &cases {
            let report = load_text(store, text).await.expect_err(location);
            assert!(
                report
                    .errors
                    .iter()
                    .any(|e| e.location == *location && e.message == *message),
                "{location}: {report}"
            );
            assert_eq!(state(store).await, before, "{location}");
        }
        assert!(ks_plan(store, 2031).await.is_none());
        db.finish().await;
    }
}

#[tokio::test]
async fn a_decided_year_refuses_a_changed_plan() {
    for db in TestDb::all().await {
        let store = &db.store;
        load_demo(store, "demo")
            .await
            .unwrap_or_else(|r| panic!("{r}"));
        let before = state(store).await;
        let text = format!(
            "{HEADER}[[control_plans]]\norg = \"ks\"\nyear = 2019\n\n[[control_plans.actions]]\nkey = \"R01\"\nrisks = [\"RK01\"]\ntext = \"Ta fram policy eller riktlinjer för molntjänster.\"\nstatus = \"Klart\"\n\n\
             [[control_plans.risks]]\nkey = \"RK01\"\narea = \"Informationssäkerhet\"\ntext = \"Information kan läcka ut via molntjänster.\"\n"
        );
        let report = load_text(store, &text).await.expect_err("locked");
        assert!(
            report
                .errors
                .iter()
                .any(|e| e.location.starts_with("control_plans[0]")),
            "{report}"
        );
        assert_eq!(state(store).await, before);
        db.finish().await;
    }
}
