//! The oversight view over HTTP on every backend: the demo's deviations are counted per
//! board and area, each figure drills down, a decision and an action are recorded through
//! the forms (bad input re-displayed with everything typed), the counts change, and only
//! those allowed may decide.

mod common;

use common::apps;
use uppsikt_domain::deviation::Tally;

async fn total(app: &common::App) -> Tally {
    let mut t = Tally::default();
    for (_, _, tally) in app
        .store()
        .oversight_tallies(&uppsikt_store::today())
        .await
        .unwrap()
    {
        t.add(&tally);
    }
    t
}

/// The id of the demo deviation whose description starts with `start`.
async fn deviation_id(app: &common::App, start: &str) -> i64 {
    app.store()
        .deviations(None)
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.deviation.raised.description.starts_with(start))
        .unwrap_or_else(|| panic!("deviation {start}"))
        .id
}

#[tokio::test]
async fn a_decision_and_an_action_move_a_deviation_out_of_the_undecided() {
    for app in apps().await {
        let raised = uppsikt_import::load_demo_deviations(app.store(), "demo")
            .await
            .unwrap();
        assert!(raised > 10, "the demo raises its deviations ({raised})");
        assert_eq!(
            uppsikt_import::load_demo_deviations(app.store(), "demo")
                .await
                .unwrap(),
            0,
            "loading the demo again raises nothing"
        );
        let controller = app.session_for("controller").await;
        let (status, html) = app.get_as(Some(&controller), "/uppsikt").await;
        assert_eq!(status, 200, "{html}");
        for expected in [
            "Avvikelser utan beslut",
            "Per nämnd och styrelse",
            "Per område",
            "Vårby",
            "Flemingsberg",
            "Kommunstyrelsen",
            "Grundskolenämnden",
        ] {
            assert!(html.contains(expected), "{expected} missing");
        }
        // The public must sign in first.
        let (status, _) = app.get_as(None, "/uppsikt").await;
        assert!(status == 303 || status == 302, "public: {status}");

        // Drill down: KF's undecided include Trygg utomhus 2023; the whole municipality's
        // the Vårby situation picture.
        let kf = app.org_id("KF").await;
        let (status, html) = app
            .get_as(
                Some(&controller),
                &format!("/uppsikt/list?concern=undecided&board={kf}"),
            )
            .await;
        assert_eq!(status, 200);
        assert!(html.contains("Trygg utomhus"), "{html}");
        let (_, html) = app
            .get_as(Some(&controller), "/uppsikt/list?concern=undecided&page=1")
            .await;
        assert!(html.contains("Visar 1–"), "{html}");
        let (status, html) = app
            .get_as(
                Some(&controller),
                "/uppsikt/list?concern=undecided&area=V%C3%A5rby",
            )
            .await;
        assert_eq!(status, 200);
        assert!(
            html.contains("läge 5") && !html.contains("Trygg utomhus"),
            "{html}"
        );
        let (status, _) = app
            .get_as(Some(&controller), "/uppsikt/list?concern=nonsense")
            .await;
        assert_eq!(status, 400);

        // Effect follow-up: the Flemingsberg coordinator's effect shows the next outcome.
        let flemingsberg = deviation_id(&app, "Trygghetsmätningen visar").await;
        let (_, html) = app
            .get_as(Some(&controller), &format!("/deviations/{flemingsberg}"))
            .await;
        assert!(html.contains("Utfall efter åtgärden"), "{html}");
        assert!(
            html.contains("2021: 63"),
            "the first outcome after autumn 2019: {html}"
        );

        let id = deviation_id(&app, "Vårby har läge 5").await;
        let before = total(&app).await;
        // An editor of another board may not decide on a KS deviation.
        let fsn = app.session_for("redaktor-fsn").await;
        let (status, _, _) = app
            .post_as(
                Some(&fsn),
                &format!("/deviations/{id}/decision"),
                &[("outcome", "act")],
            )
            .await;
        assert_eq!(status, 403);

        // Not acting needs a motivation: re-displayed with what was typed.
        let editor = app.session_for("redaktor-ks").await;
        let form = [
            ("outcome", "no_action"),
            ("motivation", " "),
            ("body", "board"),
            ("decided_on", "2025-02-20"),
            ("paragraph", "§ 17 – lägesbild Vårby"),
            ("diary_number", "KS-2025/101"),
        ];
        let path = format!("/deviations/{id}/decision");
        let (status, html, _) = app.post_as(Some(&editor), &path, &form).await;
        assert_eq!(status, 422, "{html}");
        assert!(html.contains("Skriv varför avvikelsen inte ska åtgärdas"));
        assert!(html.contains("§ 17 – lägesbild Vårby") && html.contains("KS-2025/101"));
        assert_eq!(total(&app).await, before, "nothing saved");

        // A decision to act leads to the action form.
        let mut form = form;
        form[0] = ("outcome", "act");
        let (status, _, location) = app.post_as(Some(&editor), &path, &form).await;
        assert_eq!(status, 303);
        assert_eq!(
            location.as_deref(),
            Some(format!("/deviations/{id}/actions/new").as_str())
        );
        let after_decision = total(&app).await;
        assert_eq!(after_decision.undecided, before.undecided - 1);
        assert_eq!(
            after_decision.decided_without_action,
            before.decided_without_action + 1
        );
        // A second decision is refused at the form.
        let (status, html, _) = app.post_as(Some(&editor), &path, &form).await;
        assert_eq!(status, 422);
        assert!(html.contains("redan ett beslut"));

        let ks = app.org_id("KS").await.to_string();
        let indicator = app.indicator_id("Trygg utomhus").await.to_string();
        let mut action = vec![
            (
                "what",
                "Lägesbilden för Vårby rapporteras till kommunstyrelsen varje tertial",
            ),
            ("responsible_unit", ks.as_str()),
            ("responsible_person", "Säkerhetschef"),
            ("due", "2025-13-01"),
            (
                "expected_effect",
                "Styrelsen ser läget i Vårby och kan besluta om åtgärder.",
            ),
            ("indicator", indicator.as_str()),
        ];
        let action_path = format!("/deviations/{id}/actions/new");
        let (status, html, _) = app.post_as(Some(&editor), &action_path, &action).await;
        assert_eq!(status, 422, "an impossible date");
        assert!(
            html.contains("Lägesbilden för Vårby rapporteras"),
            "input kept"
        );
        action[3] = ("due", "2025-08-31");
        // A date already past is saved only when confirmed.
        let (status, html, _) = app.post_as(Some(&editor), &action_path, &action).await;
        assert_eq!(status, 422, "a due date already past");
        assert!(
            html.contains("Förfallodatumet har redan passerat"),
            "{html}"
        );
        action.push(("confirm-yes", "1"));
        let (status, _, location) = app.post_as(Some(&editor), &action_path, &action).await;
        assert_eq!(status, 303, "{location:?}");
        let after_action = total(&app).await;
        assert_eq!(
            after_action.decided_without_action,
            before.decided_without_action
        );
        assert_eq!(
            after_action.overdue_actions,
            before.overdue_actions + 1,
            "due 2025-08-31 has passed"
        );

        // The action follows planned → in progress → done; skipping is refused.
        let stored = app.store().deviation(id).await.unwrap();
        let action_id = stored.action_ids[0];
        let progress = format!("/deviation-actions/{action_id}/progress");
        let (status, html, _) = app
            .post_as(
                Some(&editor),
                &progress,
                &[
                    ("state", "done"),
                    ("on", "2025-03-01"),
                    ("comment", "Första rapporten"),
                ],
            )
            .await;
        assert_eq!(status, 422);
        assert!(html.contains("Första rapporten"));
        let (status, _, _) = app
            .post_as(
                Some(&editor),
                &progress,
                &[
                    ("state", "in_progress"),
                    ("on", "2025-03-01"),
                    ("comment", "Första rapporten"),
                ],
            )
            .await;
        assert_eq!(status, 303);

        // Everything is in the deviation's history; the page shows the decision.
        let (_, html) = app.get(&format!("/history/deviations/{id}")).await;
        assert!(
            html.contains("<td>Beslut</td>") && html.contains("<td>Nytt läge</td>"),
            "{html}"
        );
        assert!(
            html.contains("<td>Avvikelse</td>") && html.contains("<td>Åtgärd</td>"),
            "the deviation and its actions are named in Swedish: {html}"
        );
        let (_, html) = app
            .get_as(Some(&controller), &format!("/deviations/{id}"))
            .await;
        assert!(html.contains("KS-2025/101") && html.contains("Pågår"));

        // The export is a workbook.
        let r = app
            .client
            .get(app.url("/uppsikt/export.xlsx"))
            .header("cookie", &controller.cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        let bytes = r.bytes().await.unwrap();
        assert!(bytes.starts_with(b"PK"), "an xlsx (zip) file");
        app.finish().await;
    }
}

/// Raising the automatic deviations for the whole municipality is for controllers and
/// administrators: the route's own guard refuses the public, readers, auditors and editors,
/// and a refusal raises nothing.
#[tokio::test]
async fn only_controllers_raise_the_automatic_deviations() {
    for app in apps().await {
        // A commitment of last year that was not done is due as a deviation.
        let last_year = uppsikt_store::today()[..4].parse::<i32>().unwrap() - 1;
        let goal = app.goal_id("Ökad valfrihet").await;
        let mut w = app
            .store()
            .writer("test", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        w.create_commitment(&uppsikt_store::CommitmentInput {
            key: String::new(),
            goal_id: goal,
            title: "Ett åtagande som inte blev klart".into(),
            description: String::new(),
            year: last_year,
            carried_over_from: None,
            position: 0,
        })
        .await
        .unwrap();
        w.commit().await.unwrap();
        let stored = async || app.store().deviations(None).await.unwrap().len();
        let before = stored().await;

        let (status, html, _) = app.post_as(None, "/uppsikt/raise", &[]).await;
        assert_eq!(status, 401, "the public must sign in first");
        assert!(html.contains("action=\"/login\""));
        for refused in ["lasare", "revisor", "redaktor-ks"] {
            let session = app.session_for(refused).await;
            let (status, html, _) = app.post_as(Some(&session), "/uppsikt/raise", &[]).await;
            assert_eq!(status, 403, "{refused}");
            assert!(
                html.contains("Bara en controller kan ta fram avvikelser för hela kommunen."),
                "{refused}: {html}"
            );
            let (_, page) = app.get_as(Some(&session), "/uppsikt").await;
            assert!(
                !page.contains("action=\"/uppsikt/raise\""),
                "{refused} is not offered the button"
            );
        }
        assert_eq!(stored().await, before, "a refusal raises nothing");

        let controller = app.session_for("controller").await;
        let (_, page) = app.get_as(Some(&controller), "/uppsikt").await;
        assert!(page.contains("action=\"/uppsikt/raise\""), "{page}");
        let (status, _, location) = app.post_as(Some(&controller), "/uppsikt/raise", &[]).await;
        assert_eq!(status, 303);
        let raised = stored().await - before;
        assert!(raised >= 1, "last year's unfinished commitment is raised");
        assert_eq!(
            location.as_deref(),
            Some(format!("/uppsikt?raised={raised}").as_str())
        );
        // An administrator may too; what is raised is raised once.
        let (status, _, location) = app.post("/uppsikt/raise", &[]).await;
        assert_eq!(status, 303);
        assert_eq!(location.as_deref(), Some("/uppsikt?raised=0"));
        app.finish().await;
    }
}
