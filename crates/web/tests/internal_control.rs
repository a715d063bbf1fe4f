//! Internal control over HTTP on both backends: KS's 2019 plan from seed 004 with the
//! counts the seed prints coming out of the data, recording a control occurrence (a
//! remark without findings refused with everything typed kept; with findings one
//! deviation, raised once), an action's amendment keeping the old wording, a locked year
//! refusing, the JSON API; and a refusal for each route (visitor, reader, editor of
//! another unit) that changes nothing.

mod common;

use common::App;
use uppsikt_domain::internal_control::{findings_cause_key, ControlPlan};

async fn each(test: impl AsyncFn(&App)) {
    for app in common::apps().await {
        eprintln!("backend: {:?}", app.db.backend());
        test(&app).await;
        app.finish().await;
    }
}

async fn ks_plan(app: &App) -> ControlPlan {
    let ks = app.org_id("KS").await;
    app.store()
        .control_plan_of(ks, 2019)
        .await
        .unwrap()
        .expect("the demo holds KS's 2019 plan")
}

#[tokio::test]
async fn ks_2019_shows_the_seeds_counts_computed_and_what_must_be_seen() {
    each(async |app| {
        let plan = ks_plan(app).await;
        let (status, html) = app.get("/internal-control?year=2019").await;
        assert_eq!(status, 200);
        assert!(html.contains("Kommunstyrelsen"));
        assert!(html.contains("Beslut saknas"), "no adoption in the seeds");
        assert!(html.contains(&format!("/internal-control/{}", plan.id)));

        let (status, html) = app.get(&format!("/internal-control/{}", plan.id)).await;
        assert_eq!(status, 200);
        for expected in [
            "10 av 18",                         // risk-reducing actions Klart
            "12 av 16",                         // systematic controls Klart
            "3 av 12 genomförda",               // C03: the first quarter only
            "49 000",                           // C05 run with another threshold
            "dokumenterad 2012 eller tidigare", // RK01's age
            "Beslut om planen saknas",          // the missing adoption
            "Blockerad:",                       // R07 waits for R08
            "Plan för uppföljning och insyn",
        ] {
            assert!(html.contains(expected), "the plan page shows {expected:?}");
        }
        // The API gives the same figures.
        let (status, json) = app
            .json(&format!("/api/v1/internal-control/{}", plan.id))
            .await;
        assert_eq!(status, 200);
        assert_eq!(json["summary"]["risk_actions"], 18);
        assert_eq!(json["summary"]["risk_actions_done"], 10);
        assert_eq!(json["summary"]["controls"], 16);
        assert_eq!(json["summary"]["controls_done"], 12);
        let (status, json) = app.json("/api/v1/internal-control?year=2019").await;
        assert_eq!(status, 200);
        assert_eq!(json["year"], 2019);
        assert!(json["boards"].as_array().unwrap().len() > 1);
        // The follow-up report, from the plan page's form, as a report job.
        let ks = app.org_id("KS").await;
        let body = app
            .report_text(
                ks,
                &[
                    ("kind", "internkontroll"),
                    ("period", "2019"),
                    ("format", "html"),
                ],
            )
            .await;
        assert!(body.contains("Uppföljning av internkontrollplan"));
        assert!(
            body.to_lowercase().contains("tio av arton"),
            "counts in words from the data"
        );
        // The oversight view carries internal control as its own panel.
        let (_, html) = app.get("/uppsikt").await;
        assert!(html.contains("Intern kontroll"));
        let (status, json) = app.json("/api/v1/internal-control?year=tjugo").await;
        assert_eq!(status, 400);
        assert!(json["error"].as_str().unwrap().contains("tjugo"));
    })
    .await;
}

/// The first occurrence of C03 recorded as not performed (the seed's Q2–Q4), as
/// (control id, seq, id): the test records it performed after all.
fn open_occurrence(plan: &ControlPlan) -> (i64, i64, i64) {
    let c03 = plan
        .controls
        .iter()
        .find(|c| c.key == "C03")
        .expect("C03 of seed 004");
    c03.occurrences
        .iter()
        .find(|o| !o.execution.as_ref().is_some_and(|e| e.is_performed()))
        .map(|o| (c03.id, o.seq, o.id))
        .expect("an occurrence of C03 not performed")
}

#[tokio::test]
async fn an_occurrence_with_a_remark_needs_findings_and_raises_one_deviation() {
    each(async |app| {
        let plan = ks_plan(app).await;
        let (control, seq, occurrence) = open_occurrence(&plan);
        let path = format!("/ic-controls/{control}/occurrences/{seq}");
        let (status, html) = app.get(&path).await;
        assert_eq!(status, 200);
        assert!(html.contains("Genomfördes kontrollen?"));

        let version = app.store().data_version().await.unwrap();
        let mut form = vec![
            ("performed", "yes"),
            ("performed_on", "2019-05-31"),
            ("parameters_used", "> 45 000 kr"),
            ("result", "with_remark"),
            ("findings", ""),
        ];
        let (status, html, _) = app.post(&path, &form).await;
        assert_eq!(status, 422);
        assert!(html.contains("Beskriv vad kontrollen fann"));
        assert!(html.contains("45 000 kr\""), "what was typed is kept");
        assert_eq!(app.store().data_version().await.unwrap(), version);

        form[4] = ("findings", "Två fakturor saknade attest.");
        let (status, _, location) = app.post(&path, &form).await;
        assert_eq!(status, 303);
        assert!(location
            .unwrap()
            .starts_with(&format!("/internal-control/{}", plan.id)));
        let raised = app.store().control_plan_deviations(plan.id).await.unwrap();
        let deviation = raised[&findings_cause_key(occurrence)];
        // Sending the same again changes the record but raises nothing new.
        let (status, _, _) = app.post(&path, &form).await;
        assert_eq!(status, 303);
        let again = app.store().control_plan_deviations(plan.id).await.unwrap();
        assert_eq!(again[&findings_cause_key(occurrence)], deviation);
        assert_eq!(again.len(), raised.len());
        let (_, html) = app.get(&format!("/internal-control/{}", plan.id)).await;
        assert!(html.contains("Två fakturor saknade attest."));
        assert!(html.contains(&format!("/deviations/{deviation}")));
        // The findings wait for a decision in the overview.
        let undecided = app.store().undecided_findings().await.unwrap();
        assert!(undecided.get(&plan.id).copied().unwrap_or(0) >= 1);
    })
    .await;
}

#[tokio::test]
async fn an_amendment_keeps_the_old_wording_and_verifying_needs_a_done_action() {
    each(async |app| {
        let plan = ks_plan(app).await;
        let action = plan
            .actions
            .iter()
            .find(|a| a.key == "R17")
            .expect("R17 of seed 004");
        let old = action.text.clone();
        let path = format!("/ic-actions/{}/amend", action.id);
        let (status, html, _) = app.post(&path, &[("text", &old), ("reason", "")]).await;
        assert_eq!(status, 422);
        assert!(html.contains("likadan"));
        let (status, _, _) = app
            .post(
                &path,
                &[
                    (
                        "text",
                        "Material på intranätet och en punkt på APT varje år",
                    ),
                    ("reason", "Genomfördes på annat sätt än planerat"),
                ],
            )
            .await;
        assert_eq!(status, 303);
        let after = ks_plan(app).await;
        let a = after.actions.iter().find(|a| a.id == action.id).unwrap();
        assert_eq!(a.amendments.last().unwrap().previous_text, old);
        let (_, html) = app.get(&format!("/internal-control/{}", plan.id)).await;
        assert!(html.contains("tidigare:"));

        // Verifying a not-done action is refused at the form.
        let not_done = plan
            .actions
            .iter()
            .find(|a| a.key == "R01")
            .expect("R01 of seed 004");
        let (status, html, _) = app
            .post(
                &format!("/ic-actions/{}/verify", not_done.id),
                &[
                    ("by", "Controller"),
                    ("how", "Stickprov"),
                    ("on", "2020-01-15"),
                ],
            )
            .await;
        assert_eq!(status, 422);
        assert!(html.contains("Bara en åtgärd som är klar"));
    })
    .await;
}

#[tokio::test]
async fn a_year_a_decision_locked_refuses_every_change_to_its_plan() {
    each(async |app| {
        let ks = app.org_id("KS").await;
        let plan = ks_plan(app).await;
        let (status, _, _) = app
            .post(&format!("/org/{ks}/lock"), &common::KS_2019_DECISION)
            .await;
        assert_eq!(status, 303, "the controller locks KS 2019");
        let version = app.store().data_version().await.unwrap();
        let action = plan.actions.iter().find(|a| a.key == "R01").unwrap();
        let (status, html, _) = app
            .post(
                &format!("/ic-actions/{}/status", action.id),
                &[
                    ("status", "done"),
                    ("done_on", "2019-12-01"),
                    ("comment", "Klart till slut"),
                ],
            )
            .await;
        assert_eq!(status, 422);
        assert!(html.contains("§ 45"), "the message names the decision");
        assert!(html.contains("Klart till slut"), "what was typed is kept");
        assert_eq!(app.store().data_version().await.unwrap(), version);
    })
    .await;
}

#[tokio::test]
async fn a_new_plan_is_made_once_per_unit_and_year() {
    each(async |app| {
        let fsn = app.org_id("FSN").await;
        let path = format!("/org/{fsn}/internal-control/new");
        let form = [
            ("year", "2020"),
            ("rule_ref", "HKF 9410"),
            ("legal_basis", "KL 6:6"),
        ];
        let (status, _, location) = app.post(&path, &form).await;
        assert_eq!(status, 303);
        assert!(location.unwrap().starts_with("/internal-control/"));
        let (status, html, _) = app.post(&path, &form).await;
        assert_eq!(status, 422);
        assert!(html.contains("redan en internkontrollplan för 2020"));
        let (status, html, _) = app.post(&path, &[("year", "tjugo")]).await;
        assert_eq!(status, 422);
        assert!(html.contains("tjugo"));
    })
    .await;
}

#[tokio::test]
async fn a_plan_scored_in_a_matrix_draws_its_risk_map_and_keeps_the_matrix_fixed() {
    each(async |app| {
        let fsn = app.org_id("FSN").await;
        let (status, _, location) = app
            .post(
                &format!("/org/{fsn}/internal-control/new"),
                &[("year", "2025"), ("rule_ref", "HKF 9410")],
            )
            .await;
        assert_eq!(status, 303);
        let plan = location.unwrap();
        let levels = "Osannolik\nMindre sannolik\nMöjlig\nSannolik";
        let (status, html, _) = app
            .post(
                "/risk-matrices",
                &[
                    ("name", "4×4"),
                    ("probability", "Ett"),
                    ("consequence", levels),
                ],
            )
            .await;
        assert_eq!(status, 422, "one step is no matrix");
        assert!(html.contains("2–10 steg"));
        let (status, _, _) = app
            .post(
                "/risk-matrices",
                &[
                    ("name", "4×4"),
                    ("probability", levels),
                    ("consequence", "Försumbar\nLindrig\nKännbar\nAllvarlig"),
                ],
            )
            .await;
        assert_eq!(status, 303);
        let matrix = app.store().risk_matrices().await.unwrap()[0].id.to_string();
        let (status, _, _) = app
            .post(&format!("{plan}/matrix"), &[("matrix", &matrix)])
            .await;
        assert_eq!(status, 303);
        let risk = [
            ("key", "RK01"),
            ("area", "Informationssäkerhet"),
            ("text", "Risk för infoläckage via molntjänster"),
            ("first_documented", "≤2012"),
            ("gross_p", "4"),
            ("gross_c", "3"),
            ("net_p", "2"),
            ("net_c", "3"),
            ("handling", "accept"),
            ("accept_motivation", ""),
        ];
        let (status, html, _) = app.post(&format!("{plan}/risks/new"), &risk).await;
        assert_eq!(status, 422, "accepting needs a motivation");
        assert!(html.contains("Motivera varför risken accepteras"));
        assert!(
            html.contains("Risk för infoläckage via molntjänster"),
            "input kept"
        );
        let mut risk = risk.to_vec();
        risk[8] = ("handling", "action");
        let (status, _, _) = app.post(&format!("{plan}/risks/new"), &risk).await;
        assert_eq!(status, 303);
        let (_, html) = app.get(&plan).await;
        assert!(html.contains("<svg"), "the risk map is drawn");
        assert!(html.contains("Riskkarta"));
        assert!(
            html.contains("Sannolik (4) × Kännbar (3)"),
            "and given as a table"
        );
        // Once a risk is scored, the plan's matrix stays.
        let (status, html, _) = app.post(&format!("{plan}/matrix"), &[("matrix", "")]).await;
        assert_eq!(status, 422);
        assert!(html.contains("kan inte bytas"));
    })
    .await;
}

#[tokio::test]
async fn every_route_refuses_who_may_not_and_changes_nothing() {
    each(async |app| {
        let plan = ks_plan(app).await;
        let (control, seq, _) = open_occurrence(&plan);
        let action = plan.actions[0].id;
        let risk = plan.risks[0].id;
        let reader = app.session_for("lasare").await;
        let fsn_editor = app.session_for("redaktor-fsn").await;
        let ks_editor = app.session_for("redaktor-ks").await;
        let auditor = app.session_for("revisor").await;
        let ks = app.org_id("KS").await;
        let version = app.store().data_version().await.unwrap();
        let p = plan.id;
        let edit_refused = vec![&reader, &fsn_editor, &auditor];
        let shared_refused = vec![&reader, &fsn_editor, &ks_editor, &auditor];
        let routes: Vec<common::Route> = vec![
            (
                format!("/org/{ks}/internal-control/new"),
                vec![("year", "2031")],
                edit_refused.clone(),
            ),
            (
                format!("/internal-control/{p}/edit"),
                vec![("rule_ref", "X")],
                edit_refused.clone(),
            ),
            (
                format!("/internal-control/{p}/risks/new"),
                vec![("key", "RK99"), ("text", "Risk")],
                edit_refused.clone(),
            ),
            (
                format!("/internal-control/{p}/actions/new"),
                vec![("key", "R99"), ("text", "Åtgärd")],
                edit_refused.clone(),
            ),
            (
                format!("/internal-control/{p}/controls/new"),
                vec![("key", "C99")],
                edit_refused.clone(),
            ),
            (
                format!("/internal-control/{p}/matrix"),
                vec![("matrix", "")],
                edit_refused.clone(),
            ),
            (
                format!("/internal-control/{p}/carry-over"),
                vec![("confirm-yes", "1")],
                edit_refused.clone(),
            ),
            (
                format!("/ic-risks/{risk}/edit"),
                vec![("key", "RK01")],
                edit_refused.clone(),
            ),
            (
                format!("/ic-actions/{action}/status"),
                vec![("status", "done")],
                edit_refused.clone(),
            ),
            (
                format!("/ic-actions/{action}/verify"),
                vec![("by", "X")],
                edit_refused.clone(),
            ),
            (
                format!("/ic-actions/{action}/amend"),
                vec![("text", "Y")],
                edit_refused.clone(),
            ),
            (
                format!("/ic-controls/{control}/edit"),
                vec![("key", "C01")],
                edit_refused.clone(),
            ),
            (
                format!("/ic-controls/{control}/occurrences/{seq}"),
                vec![("performed", "no"), ("reason", "Nej")],
                edit_refused.clone(),
            ),
            (
                format!("/ic-controls/{control}/discontinue"),
                vec![("on", "2019-12-01")],
                edit_refused.clone(),
            ),
            (
                format!("/internal-control/{p}/push-common"),
                vec![("confirm-yes", "1")],
                shared_refused.clone(),
            ),
            (
                "/risk-matrices".to_string(),
                vec![("name", "4×4")],
                shared_refused.clone(),
            ),
        ];
        common::assert_routes_refused(app, &routes).await;
        // The working pages and the API are not for visitors.
        for path in [
            "/internal-control".to_string(),
            format!("/internal-control/{p}"),
            format!("/api/v1/internal-control/{p}"),
        ] {
            let (status, _) = app.get_as(None, &path).await;
            assert!(
                status == 303 || status == 401 || status == 403,
                "visitor GET {path}: {status}"
            );
            assert_eq!(
                app.get_as(Some(&reader), &path).await.0,
                200,
                "reader GET {path}"
            );
        }
        assert_eq!(
            app.store().data_version().await.unwrap(),
            version,
            "nothing changed"
        );
    })
    .await;
}
