//! Issue 17's decisions over HTTP on every backend: each unit's current period (chosen by
//! controllers, the default view everywhere, working material marked), a recorded
//! decision corrected with a reason (the original kept), and an action's due date already
//! past confirmed before it is saved. Every refusal changes nothing.

mod common;

use common::{apps, decided_apps, App};
use uppsikt_domain::deviation::{DecidingBody, Decision, NewDeviation, Outcome, Severity, Source};
use uppsikt_domain::indicator::{Breakdown, Outcome as IndicatorOutcome};
use uppsikt_domain::Period;

const KF_GOAL: &str = "Huddinge är trivsamt och tryggt för alla invånare";
const WORKING_2024: &str = "Arbetsmaterial – perioden 2024 är inte beslutad.";

/// A 2024 outcome for KF's "Trygg utomhus" (the demo's latest is 2023): one later value.
async fn outcome_2024(app: &App) -> i64 {
    let id = app.indicator_id("Trygg utomhus").await;
    let mut w = app
        .store()
        .writer("test", uppsikt_store::ChangeSource::Form)
        .await
        .unwrap();
    w.set_outcome(
        id,
        &IndicatorOutcome {
            period: Period::Year(2024),
            breakdown: Breakdown::Total,
            value: 64.0,
            margin: None,
            sample_size: None,
        },
    )
    .await
    .unwrap();
    w.commit().await.unwrap();
    id
}

/// One value for a later year no longer moves anyone's default view: the board, goal and
/// indicator pages and the API start from the unit's current period (KF's decided 2023).
#[tokio::test]
async fn a_later_value_does_not_move_the_default_view() {
    for app in decided_apps().await {
        let indicator = outcome_2024(&app).await;
        let kf = app.org_id("KF").await;
        let goal = app.goal_id(KF_GOAL).await;
        let controller = app.session_for("controller").await;
        for path in [
            format!("/org/{kf}"),
            format!("/goals/{goal}"),
            format!("/indicators/{indicator}"),
        ] {
            let (status, html) = app.get_as(Some(&controller), &path).await;
            assert_eq!(status, 200, "{path}");
            assert!(
                html.contains("<option value=\"2023\" selected>"),
                "{path}: {html}"
            );
            assert!(
                html.contains("<option value=\"2024\">"),
                "{path}: 2024 offered"
            );
            assert!(html.contains("Beslutad period."), "{path}");
            assert!(!html.contains("Arbetsmaterial"), "{path}");
            // The later year, asked for, is working material for the signed-in.
            let (status, html) = app
                .get_as(Some(&controller), &format!("{path}?period=2024"))
                .await;
            assert_eq!(status, 200, "{path}");
            assert!(html.contains(WORKING_2024), "{path}: {html}");
            assert!(html.contains("role=\"note\" id=\"working-material\""));
            // The public never sees it, and starts from the decided year.
            let (status, _) = app.get_as(None, &format!("{path}?period=2024")).await;
            assert_eq!(status, 404, "{path}");
            let (status, html) = app.get_as(None, &path).await;
            assert_eq!(status, 200, "{path}");
            assert!(html.contains("<option value=\"2023\" selected>"), "{path}");
            assert!(!html.contains("Arbetsmaterial") && !html.contains(">2024<"));
        }
        let (status, json) = app.json(&format!("/api/v1/goals/{goal}")).await;
        assert_eq!(status, 200);
        assert_eq!(json["period"], "2023", "{json}");
        let (_, html) = app
            .get_as(Some(&controller), &format!("/org/{kf}/reports"))
            .await;
        assert!(html.contains("name=\"period\" value=\"2023\""), "{html}");
        app.finish().await;
    }
}

#[tokio::test]
async fn a_controller_chooses_the_current_period() {
    for app in decided_apps().await {
        outcome_2024(&app).await;
        let kf = app.org_id("KF").await;
        let ks = app.org_id("KS").await;
        let goal = app.goal_id(KF_GOAL).await;
        let path = format!("/org/{kf}/current-period");
        let chosen = async || app.store().chosen_current_periods().await.unwrap();
        let version = app.store().data_version().await.unwrap();

        // Refusals: the public is sent to sign in; readers and editors are refused.
        let (status, _) = app.get_as(None, &path).await;
        assert!(status == 303 || status == 302, "public: {status}");
        let (status, _, _) = app.post_as(None, &path, &[("period", "2024")]).await;
        // The sign-in page, keeping what was typed.
        assert_eq!(status, 401, "public");
        for refused in ["lasare", "redaktor-ks", "redaktor-fsn"] {
            let s = app.session_for(refused).await;
            let (status, _) = app.get_as(Some(&s), &path).await;
            assert_eq!(status, 403, "{refused}");
            let (status, _, _) = app.post_as(Some(&s), &path, &[("period", "2024")]).await;
            assert_eq!(status, 403, "{refused}");
            let (_, html) = app.get_as(Some(&s), &format!("/org/{kf}")).await;
            assert!(
                html.contains("Aktuell period: <strong>2023</strong>"),
                "{refused}"
            );
            assert!(
                !html.contains("Ändra aktuell period"),
                "{refused} is not offered it"
            );
        }
        assert!(chosen().await.is_empty(), "a refusal stores nothing");
        assert_eq!(app.store().data_version().await.unwrap(), version);

        let controller = app.session_for("controller").await;
        let (status, html) = app.get_as(Some(&controller), &path).await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("Aktuell period nu: 2023 (den senast beslutade perioden)."));
        // Bad input comes back as typed with a Swedish message.
        let (status, html, _) = app
            .post_as(Some(&controller), &path, &[("period", "tjugo24")])
            .await;
        assert_eq!(status, 422, "{html}");
        assert!(html.contains("value=\"tjugo24\""), "{html}");
        assert!(chosen().await.is_empty());

        let (status, _, location) = app
            .post_as(Some(&controller), &path, &[("period", "2024")])
            .await;
        assert_eq!(status, 303);
        assert_eq!(location.as_deref(), Some(format!("/org/{kf}").as_str()));
        assert_eq!(chosen().await.get(&kf), Some(&Period::Year(2024)));
        // KF's pages and KS's (no choice of its own) open in 2024, as working material.
        for (page, basis) in [
            (format!("/org/{kf}"), "vald för enheten".to_string()),
            (
                format!("/org/{ks}"),
                "vald för Kommunfullmäktige".to_string(),
            ),
        ] {
            let (_, html) = app.get_as(Some(&controller), &page).await;
            assert!(html.contains("<option value=\"2024\" selected>"), "{page}");
            assert!(html.contains(WORKING_2024), "{page}");
            assert!(
                html.contains(&format!("Aktuell period: <strong>2024</strong> ({basis})")),
                "{page}: {html}"
            );
        }
        let (_, html) = app
            .get_as(Some(&controller), &format!("/goals/{goal}"))
            .await;
        assert!(html.contains(WORKING_2024));
        // The public still starts from what is decided, without the notice.
        let (status, html) = app.get_as(None, &format!("/org/{kf}")).await;
        assert_eq!(status, 200);
        assert!(html.contains("<option value=\"2023\" selected>"));
        assert!(!html.contains("Arbetsmaterial") && !html.contains("Aktuell period"));
        let (_, html) = app.get_as(None, &format!("/org/{ks}")).await;
        assert!(
            html.contains("<option value=\"2019\" selected>"),
            "KS's own decision"
        );
        // Logged in KF's history.
        let log = app
            .store()
            .change_log(Some(("current_period", kf)), 5)
            .await
            .unwrap();
        assert_eq!(log.len(), 1);
        assert_eq!(log[0].actor, "controller");
        // Emptied: KF follows its latest decision again.
        let (status, _, _) = app
            .post_as(Some(&controller), &path, &[("period", "")])
            .await;
        assert_eq!(status, 303);
        assert!(chosen().await.is_empty());
        let (_, html) = app.get_as(Some(&controller), &format!("/org/{kf}")).await;
        assert!(html.contains("<option value=\"2023\" selected>"));
        app.finish().await;
    }
}

/// A decided deviation of KS's (raised and decided not to act on 2024-03-20).
async fn decided_deviation(app: &App) -> i64 {
    let ks = app.org_id("KS").await;
    let mut w = app
        .store()
        .writer("test", uppsikt_store::ChangeSource::Form)
        .await
        .unwrap();
    let id = w
        .raise_deviations(
            vec![NewDeviation {
                org_id: ks,
                area: Some("Vårby".into()),
                source: Source::SituationReport,
                severity: Severity::High,
                period: Period::Year(2024),
                description: "Lägesbilden når inte styrelsen.".into(),
                cause_key: None,
            }],
            "2024-02-01",
        )
        .await
        .unwrap()[0];
    w.decide_deviation(
        id,
        &Decision {
            body: DecidingBody::Board,
            decided_on: "2024-03-20".into(),
            paragraph: "§ 12".into(),
            diary_number: "KS-2024/55".into(),
            outcome: Outcome::NoAction {
                motivation: "Ryms i ordinarie arbete".into(),
            },
        },
    )
    .await
    .unwrap();
    w.commit().await.unwrap();
    id
}

const CORRECTED: [(&str, &str); 6] = [
    ("outcome", "act"),
    ("motivation", ""),
    ("body", "board"),
    ("decided_on", "2024-03-20"),
    ("paragraph", "§ 14"),
    ("diary_number", "KS-2024/55"),
];

#[tokio::test]
async fn a_recorded_decision_is_corrected_with_a_reason_and_the_original_kept() {
    for app in apps().await {
        let id = decided_deviation(&app).await;
        let path = format!("/deviations/{id}/decision/correct");
        let stored = async || app.store().deviation(id).await.unwrap();
        let before = stored().await;
        let with_reason: Vec<(&str, &str)> = CORRECTED
            .iter()
            .copied()
            .chain([("reason", "Protokollet justerades: § 14, åtgärda.")])
            .collect();

        let (status, _) = app.get_as(None, &path).await;
        assert!(status == 303 || status == 302, "public: {status}");
        let (status, _, _) = app.post_as(None, &path, &with_reason).await;
        // The sign-in page, keeping what was typed.
        assert_eq!(status, 401, "public");
        for refused in ["lasare", "redaktor-fsn"] {
            let s = app.session_for(refused).await;
            let (status, _) = app.get_as(Some(&s), &path).await;
            assert_eq!(status, 403, "{refused}");
            let (status, _, _) = app.post_as(Some(&s), &path, &with_reason).await;
            assert_eq!(status, 403, "{refused}");
            let (_, html) = app.get_as(Some(&s), &format!("/deviations/{id}")).await;
            assert!(
                !html.contains("Rätta beslutet"),
                "{refused} is not offered it"
            );
        }
        assert_eq!(stored().await, before, "a refusal changes nothing");

        let editor = app.session_for("redaktor-ks").await;
        let (status, html) = app.get_as(Some(&editor), &path).await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("Skäl till rättelsen"));
        assert!(
            html.contains("Ryms i ordinarie arbete"),
            "filled with the decision"
        );
        assert!(html.contains("name=\"paragraph\" value=\"§ 12\""), "{html}");

        // Without a reason: shown again as typed, with the message at the reason.
        let (status, html, _) = app.post_as(Some(&editor), &path, &CORRECTED).await;
        assert_eq!(status, 422, "{html}");
        assert!(html.contains("name=\"paragraph\" value=\"§ 14\""), "{html}");
        assert!(html.contains("f-reason-error"), "{html}");
        // Unchanged: refused at the reason.
        let unchanged = [
            ("outcome", "no_action"),
            ("motivation", "Ryms i ordinarie arbete"),
            ("body", "board"),
            ("decided_on", "2024-03-20"),
            ("paragraph", "§ 12"),
            ("diary_number", "KS-2024/55"),
            ("reason", "Ingen ändring"),
        ];
        let (status, html, _) = app.post_as(Some(&editor), &path, &unchanged).await;
        assert_eq!(status, 422, "{html}");
        assert!(
            html.contains("Rättelsen är likadan som beslutet som gäller"),
            "{html}"
        );
        assert_eq!(stored().await, before);

        let (status, _, location) = app.post_as(Some(&editor), &path, &with_reason).await;
        assert_eq!(status, 303);
        assert_eq!(
            location.as_deref(),
            Some(format!("/deviations/{id}#decision-h").as_str())
        );
        let after = stored().await.deviation;
        assert_eq!(after.decision.as_ref().unwrap().outcome, Outcome::Act);
        assert_eq!(
            after.original_decision(),
            before.deviation.decision.as_ref()
        );
        let (_, html) = app
            .get_as(Some(&editor), &format!("/deviations/{id}"))
            .await;
        assert!(
            html.contains("<dd>§ 14</dd>"),
            "the correction is in force: {html}"
        );
        assert!(html.contains("<strong>Ursprungligt beslut</strong> (ersatt)"));
        assert!(html.contains(
            "<del class=\"replaced\">Inte åtgärda (Ryms i ordinarie arbete), Nämnd/styrelse, 2024-03-20, § 12, dnr KS-2024/55</del>"
        ), "{html}");
        assert!(html.contains(&format!(
            "Rättat {} av Test redaktor-ks: Protokollet justerades: § 14, åtgärda.",
            uppsikt_store::today()
        )));
        assert!(
            html.contains("Beslut utan åtgärd"),
            "standing counts the correction"
        );
        app.finish().await;
    }
}

#[tokio::test]
async fn a_due_date_already_past_is_saved_only_when_confirmed() {
    for app in apps().await {
        let id = decided_deviation(&app).await;
        let editor = app.session_for("redaktor-ks").await;
        let correct = format!("/deviations/{id}/decision/correct");
        let to_act: Vec<(&str, &str)> = CORRECTED
            .iter()
            .copied()
            .chain([("reason", "Nämnden beslutade att åtgärda.")])
            .collect();
        let (status, _, _) = app.post_as(Some(&editor), &correct, &to_act).await;
        assert_eq!(status, 303);
        let ks = app.org_id("KS").await.to_string();
        let path = format!("/deviations/{id}/actions/new");
        let action = |due: &'static str| {
            vec![
                ("what", "Lägesbilden till styrelsen varje tertial"),
                ("responsible_unit", ks.as_str()),
                ("responsible_person", "Säkerhetssamordnare"),
                ("due", due),
                ("expected_effect", "Styrelsen ser lägesbilden"),
                ("indicator", ""),
            ]
        };
        let actions = async || app.store().deviation(id).await.unwrap().deviation.actions;

        // Refused for those who may not edit KS's deviations, whatever the date.
        for refused in ["lasare", "redaktor-fsn"] {
            let s = app.session_for(refused).await;
            let (status, _, _) = app.post_as(Some(&s), &path, &action("2099-12-31")).await;
            assert_eq!(status, 403, "{refused}");
        }
        let (status, html, _) = app
            .post_as(Some(&editor), &path, &action("2020-01-31"))
            .await;
        assert_eq!(status, 422, "{html}");
        assert!(html.contains("Förfallodatumet har redan passerat; åtgärden blir försenad direkt"));
        assert!(html.contains("Spara ändå"), "{html}");
        assert!(html.contains("name=\"due\" value=\"2020-01-31\""));
        assert!(
            html.contains("Säkerhetssamordnare"),
            "everything typed is kept"
        );
        assert!(actions().await.is_empty(), "not saved");

        let mut confirmed = action("2020-01-31");
        confirmed.push(("confirm-yes", "1"));
        let (status, _, _) = app.post_as(Some(&editor), &path, &confirmed).await;
        assert_eq!(status, 303);
        let saved = actions().await;
        assert_eq!(saved.len(), 1);
        assert_eq!(saved[0].due, "2020-01-31");
        assert!(saved[0].is_overdue(&uppsikt_store::today()));

        // A date ahead needs no confirmation.
        let (status, _, _) = app
            .post_as(Some(&editor), &path, &action("2099-12-31"))
            .await;
        assert_eq!(status, 303);
        assert_eq!(actions().await.len(), 2);
        app.finish().await;
    }
}
