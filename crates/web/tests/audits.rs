//! Audit recommendations over HTTP on both backends: the seeds' audits with their counts
//! coming out of the data; the civil-society chain (declined, "Avstår", issued again) on
//! one page; a board's response (a decline without motivation refused with everything
//! typed kept; a response decides the recommendation's deviation once; a locked year
//! refuses); the auditors' register, verdicts and the report PDF (a file that is not a PDF
//! refused and nothing stored); the export; the JSON API; and a refusal for each route
//! (visitor, reader, editor of another unit, auditor on a board's response) that changes
//! nothing.

mod common;

use common::App;
use uppsikt_domain::audit::{self, Audit, Grade, Handling};

async fn each(test: impl AsyncFn(&App)) {
    for app in common::apps().await {
        eprintln!("backend: {:?}", app.db.backend());
        test(&app).await;
        app.finish().await;
    }
}

async fn audits(app: &App) -> Vec<Audit> {
    app.store().audits().await.unwrap()
}

/// The 2024 audit of seed 000 (utsatta områden): 5 questions, 3 recommendations to KS.
async fn audit_2024(app: &App) -> Audit {
    audits(app)
        .await
        .into_iter()
        .find(|a| a.plan_year == 2024 && a.questions.len() == 5)
        .expect("the demo holds seed 000's audit")
}

/// The 2023 audit of seed 002 (trygghet, brottsförebyggande): 6 questions, 10
/// recommendations.
async fn audit_2023(app: &App) -> Audit {
    audits(app)
        .await
        .into_iter()
        .find(|a| a.plan_year == 2023 && a.recommendations.len() == 10)
        .expect("the demo holds seed 002's audit")
}

#[tokio::test]
async fn the_seeds_audits_show_their_counts_and_what_must_be_seen() {
    each(async |app| {
        let all = audits(app).await;
        let a24 = audit_2024(app).await;
        let a23 = audit_2023(app).await;
        assert_eq!(a24.recommendations.len(), 3);
        assert_eq!(a23.questions.len(), 6);
        assert!(
            a24.responses.is_empty() && a23.responses.is_empty(),
            "the seeds record none"
        );

        let (status, html) = app.get("/audits").await;
        assert_eq!(status, 200);
        for expected in [
            "Kommunstyrelsen",
            "Obesvarade",
            "Revisionsplan 2024",
            "Revisionsplan 2019",
        ] {
            assert!(html.contains(expected), "the register shows {expected:?}");
        }
        for a in &all {
            assert!(
                html.contains(&format!("/audits/{}\"", a.id)),
                "{} listed",
                a.title
            );
        }

        let (status, html) = app.get(&format!("/audits/{}", a24.id)).await;
        assert_eq!(status, 200);
        assert!(
            html.contains("Rapporten ger ingen motivering"),
            "question 5 has none"
        );
        assert!(
            html.contains("Revisionsfråga 5 har en bedömning men rapporten ger ingen motivering")
        );
        assert!(html.contains("Inget beslutat svar från"));
        assert!(html.contains("Obesvarad"));
        // Each addressee of the 2023 audit is listed as unanswered, one by one.
        let (_, html) = app.get(&format!("/audits/{}", a23.id)).await;
        let addressees = a23.addressees();
        assert!(addressees.len() > 1, "KS and the boards");
        let rows = audit::board_rows(
            std::slice::from_ref(&a23),
            &Default::default(),
            "2026-12-06",
        );
        assert_eq!(
            rows.len(),
            a23.recommendations
                .iter()
                .map(|r| r.addressees.len())
                .sum::<usize>()
        );
        assert!(html.contains(&format!(
            "{} av {} rekommendationer per mottagare saknar beslutat svar",
            rows.len(),
            rows.len()
        )));

        // KS's oversight gains the audit figures, with a way to the board's list.
        let ks = app.org_id("KS").await;
        let (_, html) = app.get(&format!("/audits/boards/{ks}")).await;
        assert!(html.contains("Öppna rekommendationer, äldst först"));
        assert!(html.contains("Revisorernas bedömning"));
        let (_, html) = app.get("/uppsikt").await;
        assert!(
            html.contains(&format!("/audits/boards/{ks}")),
            "drill-down from Uppsikt"
        );

        // The API gives the same audits and their handling.
        let (status, json) = app.json("/api/v1/audits").await;
        assert_eq!(status, 200);
        assert_eq!(json["audits"].as_array().unwrap().len(), all.len());
        let (status, json) = app.json(&format!("/api/v1/audits/{}", a24.id)).await;
        assert_eq!(status, 200);
        assert_eq!(json["audit"]["questions"].as_array().unwrap().len(), 5);
        assert!(json["handling"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["handling"] == "unanswered"));
        let (status, _) = app.json("/api/v1/audits/999999").await;
        assert_eq!(status, 404);
    })
    .await;
}

#[tokio::test]
async fn the_declined_recommendation_shows_its_whole_chain_on_one_page() {
    each(async |app| {
        let all = audits(app).await;
        // CS-1: declined by KS in 2020, "Avstår" in 2021, issued again in 2021.
        let (audit, declined) = all
            .iter()
            .flat_map(|a| a.recommendations.iter().map(move |r| (a, r)))
            .find(|(_, r)| r.verdicts.iter().any(|v| v.grade == Grade::Declined))
            .expect("seed 003's civil-society recommendation 1");
        let response = audit
            .responses
            .iter()
            .find(|r| r.item(declined.id).is_some())
            .expect("the 2020 response");
        assert!(matches!(
            response.item(declined.id).unwrap().stance,
            audit::Stance::Declined(_)
        ));
        let successor = audit::successors(&all)[&declined.id][0];
        let (status, html) = app.get(&format!("/recommendations/{successor}")).await;
        assert_eq!(status, 200);
        let declined_at = html.find("svarar: Avböjer").expect("the decline");
        let judged_at = html
            .find("Revisorernas uppföljning: Avstår")
            .expect("the verdict");
        let again_at = html.find("(denna)").expect("the re-issue");
        assert!(
            declined_at < judged_at && judged_at < again_at,
            "in time order"
        );
        let (_, html) = app.get(&format!("/recommendations/{}", declined.id)).await;
        assert!(html.contains("Återutfärdad som"));
        // The history page of a recommendation exists.
        let (status, _) = app
            .get(&format!("/history/recommendations/{}", declined.id))
            .await;
        assert_eq!(status, 200);
    })
    .await;
}

#[tokio::test]
async fn a_boards_response_decides_the_recommendations_deviation() {
    each(async |app| {
        let a = audit_2024(app).await;
        let ks = app.org_id("KS").await;
        let editor = app.session_for("redaktor-ks").await;
        let path = format!("/org/{ks}/audits/{}/response", a.id);
        let (status, html) = app.get_as(Some(&editor), &path).await;
        assert_eq!(status, 200);
        assert!(html.contains("Rekommendation"));
        let version = app.store().data_version().await.unwrap();
        let mut form = vec![
            ("body", "board"),
            ("document", "protokollsutdrag"),
            ("decided_on", "2025-02-20"),
            ("paragraph", "§ 12"),
            ("case_ref", "KS 2025/77"),
            ("stance-0", "accepted"),
            ("comment-0", "Återrapportering två gånger per år"),
            ("stance-1", "declined"),
            ("stance_text-1", ""),
            ("stance-2", "accepted_with_reservation"),
            ("stance_text-2", "Forumen ses över inom befintliga ramar"),
        ];
        let (status, html, _) = app.post_as(Some(&editor), &path, &form).await;
        assert_eq!(status, 422);
        assert!(html.contains("inget diarienummer i kommunens format"));
        assert!(
            html.contains("KS-2018/272.912"),
            "the message shows the format"
        );
        assert!(html.contains("En avböjd rekommendation kräver en motivering"));
        assert!(
            html.contains("Återrapportering två gånger per år"),
            "what was typed is kept"
        );
        assert_eq!(app.store().data_version().await.unwrap(), version);

        form[4] = ("case_ref", "KS-2025/77.912");
        form[8] = (
            "stance_text-1",
            "Uppföljningen sker redan i delårsrapporten",
        );
        let (status, _, location) = app.post_as(Some(&editor), &path, &form).await;
        assert_eq!(status, 303);
        assert!(location.unwrap().starts_with(&format!("/audits/{}", a.id)));
        let raised = app.store().audit_deviations().await.unwrap();
        let first = &a.recommendations[0];
        let declined = &a.recommendations[1];
        let dev = raised[&audit::cause_key(first.id, ks)];
        let dev_declined = raised[&audit::cause_key(declined.id, ks)];
        let (_, html) = app.get(&format!("/deviations/{dev}")).await;
        assert!(
            html.contains("§ 12"),
            "the response is the deviation's decision"
        );
        let (_, html) = app.get(&format!("/deviations/{dev_declined}")).await;
        assert!(html.contains("Uppföljningen sker redan i delårsrapporten"));
        // Sending it again changes the response, raises nothing new.
        let (status, _, _) = app.post_as(Some(&editor), &path, &form).await;
        assert_eq!(status, 303);
        assert_eq!(
            app.store().audit_deviations().await.unwrap().len(),
            raised.len()
        );

        let after = audit_2024(app).await;
        let facts = app.store().audit_action_facts("2026-12-06").await.unwrap();
        let rows = audit::board_rows(&[after], &facts, "2026-12-06");
        let state_of = |id| {
            rows.iter()
                .find(|r| r.recommendation_id == id)
                .unwrap()
                .handling
        };
        assert_eq!(state_of(first.id), Handling::AnsweredWithoutAction);
        assert_eq!(state_of(declined.id), Handling::Declined);
        let (_, html) = app.get(&format!("/audits/{}", a.id)).await;
        assert!(html.contains("Besvarad utan åtgärd"));
        assert!(html.contains("Avböjer: Uppföljningen sker redan i delårsrapporten"));
    })
    .await;
}

#[tokio::test]
async fn a_response_in_a_locked_year_is_refused_and_changes_nothing() {
    each(async |app| {
        let a = audit_2024(app).await;
        let ks = app.org_id("KS").await;
        let (status, _, _) = app
            .post(
                &format!("/org/{ks}/lock"),
                &[
                    ("period", "2025"),
                    ("body", "Kommunstyrelsen"),
                    ("decided_on", "2026-03-30"),
                    ("paragraph", "§ 31"),
                    ("diary_number", "KS-2026/12"),
                ],
            )
            .await;
        assert_eq!(status, 303, "the controller locks KS 2025");
        let version = app.store().data_version().await.unwrap();
        let (status, html, _) = app
            .post(
                &format!("/org/{ks}/audits/{}/response", a.id),
                &[
                    ("body", "board"),
                    ("document", "protokollsutdrag"),
                    ("decided_on", "2025-02-20"),
                    ("stance-0", "accepted"),
                    ("comment-0", "Ses över"),
                ],
            )
            .await;
        assert_eq!(status, 422);
        assert!(html.contains("§ 31"), "the message names the decision");
        assert!(html.contains("Ses över"), "what was typed is kept");
        assert_eq!(app.store().data_version().await.unwrap(), version);
    })
    .await;
}

#[tokio::test]
async fn the_auditors_register_an_audit_its_recommendations_and_verdicts() {
    each(async |app| {
        let auditor = app.session_for("revisor").await;
        let ks = app.org_id("KS").await;
        let audited = format!("audited-{ks}");
        let mut form = vec![
            ("title", "Granskning av bisysslor 2025"),
            ("plan_year", "2025"),
            ("kind", "review"),
            ("performed_by", "KPMG AB"),
            (audited.as_str(), "on"),
            ("case_ref", "KS/2025-12"),
            ("criteria", "kommunallagen (2017:725) 6 kap. 6 §\nHKF 9410"),
            ("overall", "partly"),
        ];
        let (status, html, _) = app.post_as(Some(&auditor), "/audits/new", &form).await;
        assert_eq!(status, 422);
        assert!(html.contains("inget diarienummer i kommunens format"));
        assert!(html.contains("Granskning av bisysslor 2025"), "input kept");
        form[5] = ("case_ref", "KS-2018/753.912");
        let (status, _, location) = app.post_as(Some(&auditor), "/audits/new", &form).await;
        assert_eq!(status, 303);
        let path = location.unwrap();
        let id: i64 = path.trim_start_matches("/audits/").parse().unwrap();
        let (_, html) = app.get(&path).await;
        assert!(html.contains("SFS 2017:725"));
        assert!(
            html.contains("samma ärende som"),
            "the case number is shared with G6"
        );

        let (status, _, _) = app
            .post_as(
                Some(&auditor),
                &format!("/audits/{id}/questions/new"),
                &[
                    ("number", "1"),
                    ("text", "Hanteras bisysslor enligt riktlinjen?"),
                    ("assessment", "partly"),
                    ("sub_questions", "Redovisas bisysslor årligen? | Nej"),
                ],
            )
            .await;
        assert_eq!(status, 303);
        let to = format!("to-{ks}");
        let (status, _, location) = app
            .post_as(
                Some(&auditor),
                &format!("/audits/{id}/recommendations/new"),
                &[
                    ("number", "1"),
                    ("text", "Inför en årlig påminnelse om bisysslor"),
                    (to.as_str(), "on"),
                    ("questions-1", "on"),
                    ("reissues", ""),
                ],
            )
            .await;
        assert_eq!(status, 303);
        let rec_path = location.unwrap();
        let rec: i64 = rec_path
            .trim_start_matches("/recommendations/")
            .parse()
            .unwrap();
        // A recommendation without an addressee is refused.
        let (status, html, _) = app
            .post_as(
                Some(&auditor),
                &format!("/audits/{id}/recommendations/new"),
                &[("number", "2"), ("text", "Utan mottagare")],
            )
            .await;
        assert_eq!(status, 422);
        assert!(html.contains("minst en nämnd"));

        // Verdicts: "Avstår" needs the auditors' text; one per year; Genomförd closes.
        let verdict = format!("/recommendations/{rec}/verdicts/new");
        let (status, html, _) = app
            .post_as(
                Some(&auditor),
                &verdict,
                &[("year", "2026"), ("grade", "declined"), ("text", "")],
            )
            .await;
        assert_eq!(status, 422);
        assert!(html.contains("”Avstår” kräver en text"));
        let (status, _, _) = app
            .post_as(
                Some(&auditor),
                &verdict,
                &[
                    ("year", "2026"),
                    ("grade", "implemented"),
                    ("text", "Påminnelsen skickas i januari"),
                    ("closes", "no"),
                ],
            )
            .await;
        assert_eq!(status, 303);
        let (status, html, _) = app
            .post_as(
                Some(&auditor),
                &verdict,
                &[
                    ("year", "2026"),
                    ("grade", "not_implemented"),
                    ("text", "x"),
                ],
            )
            .await;
        assert_eq!(status, 422);
        assert!(html.contains("redan en bedömning för 2026"));
        let (_, html) = app.get(&format!("/audits/boards/{ks}")).await;
        assert!(html.contains("Inför en årlig påminnelse om bisysslor"));
        assert!(html.contains("Genomförd (2026)"));
        let (_, html) = app.get(&rec_path).await;
        assert!(html.contains("Avslutad av revisorerna 2026"));
    })
    .await;
}

#[tokio::test]
async fn the_report_pdf_is_stored_checked_and_served_as_a_download() {
    each(async |app| {
        let a = audit_2024(app).await;
        let auditor = app.session_for("revisor").await;
        let path = format!("/audits/{}/report", a.id);
        let version = app.store().data_version().await.unwrap();
        let (status, html, _) = app
            .upload_to(
                &auditor,
                &path,
                "rapport.pdf",
                b"<script>alert(1)</script>".to_vec(),
                true,
            )
            .await;
        assert_eq!(status, 422);
        assert!(html.contains("Filen är ingen PDF"));
        assert_eq!(
            app.store().data_version().await.unwrap(),
            version,
            "nothing stored"
        );
        let (status, _, _) = app
            .upload_to(
                &auditor,
                &path,
                "rapport.pdf",
                b"%PDF-1.7\n%fake".to_vec(),
                false,
            )
            .await;
        assert_eq!(status, 403, "the CSRF token is required");
        let pdf = b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n".to_vec();
        let (status, _, _) = app
            .upload_to(
                &auditor,
                &path,
                "Granskning utsatta områden.pdf",
                pdf.clone(),
                true,
            )
            .await;
        assert_eq!(status, 303);
        let r = app
            .client
            .get(app.url(&format!("/audits/{}/report.pdf", a.id)))
            .header("cookie", &app.session.as_ref().unwrap().cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let h = r.headers().clone();
        assert_eq!(h["content-type"], "application/pdf");
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert!(h["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment;"));
        assert!(h["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("sandbox"));
        assert_eq!(r.bytes().await.unwrap().to_vec(), pdf);
        let (_, html) = app.get(&format!("/audits/{}", a.id)).await;
        assert!(html.contains("Granskning utsatta områden.pdf"));

        // The export holds the audit with its history.
        let r = app
            .client
            .get(app.url(&format!("/audits/{}/export.xlsx", a.id)))
            .header("cookie", &auditor.cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("spreadsheetml"));
        let bytes = r.bytes().await.unwrap();
        assert!(bytes.starts_with(b"PK"), "a workbook");
    })
    .await;
}

#[tokio::test]
async fn a_board_links_a_recommendation_to_its_internal_control_and_removes_the_link() {
    each(async |app| {
        let a = audit_2024(app).await;
        let rec = &a.recommendations[0];
        let ks = app.org_id("KS").await;
        let editor = app.session_for("redaktor-ks").await;
        let plan = app
            .store()
            .control_plan_of(ks, 2019)
            .await
            .unwrap()
            .expect("KS's 2019 plan");
        let target = format!("ic_action:{}", plan.actions[0].id);
        let path = format!("/org/{ks}/recommendations/{}/ic-links", rec.id);
        let (status, html) = app.get_as(Some(&editor), &path).await;
        assert_eq!(status, 200);
        assert!(
            html.contains(&format!("value=\"{target}\"")),
            "the board's own items are offered"
        );
        let version = app.store().data_version().await.unwrap();
        let (status, _, _) = app
            .post_as(Some(&editor), &path, &[("target", "ic_action:999999")])
            .await;
        assert_eq!(status, 422, "an item the board does not have is refused");
        assert_eq!(app.store().data_version().await.unwrap(), version);
        let (status, _, _) = app
            .post_as(Some(&editor), &path, &[("target", &target)])
            .await;
        assert_eq!(status, 303);
        let facts = app.store().audit_action_facts("2026-12-06").await.unwrap();
        assert_eq!(
            facts[&(rec.id, ks)].planned,
            1,
            "the link counts as the board's action"
        );
        let (_, html) = app
            .get_as(Some(&editor), &format!("/recommendations/{}", rec.id))
            .await;
        assert!(html.contains("Ta bort kopplingen"));
        let remove = format!("{path}/remove");
        let (status, _, _) = app
            .post_as(Some(&editor), &remove, &[("target", &target)])
            .await;
        assert_eq!(status, 303);
        assert!(audit_2024(app).await.recommendations[0].ic_links.is_empty());
        let (status, _, _) = app
            .post_as(Some(&editor), &remove, &[("target", &target)])
            .await;
        assert_eq!(status, 404, "a link that is not there");
    })
    .await;
}

#[tokio::test]
async fn every_route_refuses_who_may_not_and_changes_nothing() {
    each(async |app| {
        let a = audit_2024(app).await;
        let rec = a.recommendations[0].id;
        let q = a.questions[0].id;
        let reader = app.session_for("lasare").await;
        let fsn_editor = app.session_for("redaktor-fsn").await;
        let ks_editor = app.session_for("redaktor-ks").await;
        let auditor = app.session_for("revisor").await;
        let ks = app.org_id("KS").await;
        let version = app.store().data_version().await.unwrap();
        let id = a.id;
        // The auditors' work: not for readers or any editor.
        let register_refused = vec![&reader, &fsn_editor, &ks_editor];
        // A board's response: its own editors (and controllers), not the auditors.
        let response_refused = vec![&reader, &fsn_editor, &auditor];
        let routes: Vec<common::Route> = vec![
            (
                "/audits/new".into(),
                vec![("title", "X"), ("plan_year", "2030"), ("kind", "review")],
                register_refused.clone(),
            ),
            (
                format!("/audits/{id}/edit"),
                vec![("title", "X")],
                register_refused.clone(),
            ),
            (
                format!("/audits/{id}/questions/new"),
                vec![("number", "9"), ("text", "?")],
                register_refused.clone(),
            ),
            (
                format!("/audits/{id}/questions/{q}/edit"),
                vec![("number", "1"), ("text", "?")],
                register_refused.clone(),
            ),
            (
                format!("/audits/{id}/recommendations/new"),
                vec![("number", "9"), ("text", "R")],
                register_refused.clone(),
            ),
            (
                format!("/recommendations/{rec}/edit"),
                vec![("number", "1"), ("text", "R")],
                register_refused.clone(),
            ),
            (
                format!("/recommendations/{rec}/verdicts/new"),
                vec![("year", "2026"), ("grade", "implemented")],
                register_refused.clone(),
            ),
            (
                format!("/org/{ks}/audits/{id}/response"),
                vec![
                    ("body", "board"),
                    ("document", "x"),
                    ("decided_on", "2025-01-01"),
                ],
                response_refused.clone(),
            ),
            (
                format!("/org/{ks}/recommendations/{rec}/ic-links"),
                vec![("target", "")],
                response_refused.clone(),
            ),
        ];
        common::assert_routes_refused(app, &routes).await;
        // Removing a link to internal control: POST only, the board's own editors.
        let remove = format!("/org/{ks}/recommendations/{rec}/ic-links/remove");
        let (status, _, _) = app
            .post_as(None, &remove, &[("target", "ic_action:1")])
            .await;
        assert!(
            [303, 401, 403].contains(&status),
            "visitor POST {remove}: {status}"
        );
        for s in &response_refused {
            let (status, _, _) = app
                .post_as(Some(s), &remove, &[("target", "ic_action:1")])
                .await;
            assert_eq!(status, 403, "POST {remove}");
        }
        // The upload: refused for a reader before the file is read.
        let (status, _, _) = app
            .upload_to(
                &reader,
                &format!("/audits/{id}/report"),
                "r.pdf",
                b"%PDF-1.7".to_vec(),
                true,
            )
            .await;
        assert_eq!(status, 403);
        // The working pages, the PDF and the API are not for visitors; the export needs the
        // history right.
        for path in [
            "/audits".to_string(),
            format!("/audits/{id}"),
            format!("/audits/boards/{ks}"),
            format!("/recommendations/{rec}"),
            format!("/api/v1/audits/{id}"),
            "/api/v1/audits".to_string(),
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
        for path in [
            format!("/audits/{id}/report.pdf"),
            format!("/audits/{id}/export.xlsx"),
        ] {
            let (status, _) = app.get_as(None, &path).await;
            assert!(
                status == 303 || status == 401 || status == 403,
                "visitor GET {path}: {status}"
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
