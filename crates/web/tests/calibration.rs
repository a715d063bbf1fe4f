//! Bedömningsregler (`/regler`) over HTTP on every backend: the agreement of the rules'
//! proposals with the demo's decided levels, trying other settings (nothing saved),
//! saving a version that then applies, refusals (nothing saved) and bad input re-displayed.

mod common;

use common::{apps, App};
use uppsikt_domain::assessment::calibrate;
use uppsikt_domain::number::format_sv;

/// The agreement sentence the page must show for the rules that apply now.
async fn expected_agreement(app: &App) -> (String, usize, usize) {
    let (scale, rules) = app.store().assessment_config().await.unwrap();
    let cases: Vec<_> = uppsikt_report::calibration::decided_cases(app.store(), None, None)
        .await
        .unwrap()
        .into_iter()
        .flat_map(|b| b.cases)
        .collect();
    let c = calibrate(&scale, &rules, cases);
    let sentence = format!(
        "Förslaget stämmer med beslutad nivå för {} av {} mål ({}\u{a0}%).",
        c.agreeing,
        c.compared,
        format_sv(c.share().unwrap() * 100.0, 0)
    );
    (sentence, c.compared, c.without_proposal)
}

async fn version_count(app: &App) -> usize {
    app.store().rule_versions().await.unwrap().len()
}

/// The level in the goal page's "Systemets förslag".
fn system_level(html: &str) -> String {
    let at = html
        .find("Systemets förslag</dt>")
        .expect("system proposal shown");
    let rest = &html[at..];
    let start = rest.find("\">").unwrap() + 2;
    rest[start..start + rest[start..].find('<').unwrap()].to_string()
}

/// The settings form with every threshold at 0 %: every goal with a basis is proposed
/// the best level.
const ALL_BEST: [(&str, &str); 7] = [
    ("t0", "0"),
    ("t1", "0"),
    ("t2", "0"),
    ("weight", "1"),
    ("penalty", "0"),
    ("missing", "ignored"),
    ("relative", "1"),
];

fn query(fields: &[(&str, &str)]) -> String {
    let pairs: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("{k}={}", v.replace(' ', "+").replace('%', "%25")))
        .collect();
    pairs.join("&")
}

#[tokio::test]
async fn the_page_shows_how_often_the_proposal_equals_the_decided_level() {
    for app in apps().await {
        let controller = app.session_for("controller").await;
        let (status, html) = app.get_as(Some(&controller), "/regler").await;
        assert_eq!(status, 200, "{html}");
        let (sentence, compared, without) = expected_agreement(&app).await;
        assert!(
            compared >= 20,
            "the KS 2019 decisions are compared ({compared})"
        );
        assert!(html.contains(&sentence), "{sentence} missing: {html}");
        if without > 0 {
            assert!(html.contains(&format!("{without} mål saknar förslag.")));
        }
        for expected in [
            "Reglerna som gäller",
            "Lägsta andel för Mycket god",
            "90\u{a0}%",
            "Kommunstyrelsen 2019",
            "Ökat bostadsbyggande",
            "Godtagbar",
            "Pröva andra regler",
            "Spara som ny version",
            "Reglerna som gällde före versionshanteringen",
            "uppsikt (uppgradering)",
            "<th scope=\"col\">Underlag</th>",
            "href=\"/regler\">Bedömningsregler</a>",
        ] {
            assert!(html.contains(expected), "{expected} missing");
        }
        // Goals are sorted the Swedish way (Å, Ä, Ö after Z) within the board's table.
        let table = &html[html.find("Kommunstyrelsen 2019").unwrap()..];
        let table = &table[..table.find("</table>").unwrap()];
        let goals: Vec<&str> = table
            .split("<th scope=\"row\"><a href=\"/goals/")
            .skip(1)
            .map(|s| {
                let s = &s[s.find('>').unwrap() + 1..];
                &s[..s.find('<').unwrap()]
            })
            .collect();
        let mut sorted = goals.clone();
        sorted.sort_by(|a, b| uppsikt_domain::collate::swedish_cmp(a, b));
        assert_eq!(goals, sorted);
        assert!(goals.len() >= 20, "{goals:?}");
        app.finish().await;
    }
}

#[tokio::test]
async fn trying_other_settings_shows_their_agreement_and_saves_nothing() {
    for app in apps().await {
        let controller = app.session_for("controller").await;
        let versions = version_count(&app).await;
        let data = app.store().data_version().await.unwrap();
        let (sentence, _, _) = expected_agreement(&app).await;
        let path = format!("/regler?prova=1&{}", query(&ALL_BEST));
        let (status, html) = app.get_as(Some(&controller), &path).await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("Nuvarande regler: "), "{html}");
        assert!(html.contains("Prövade regler: "));
        assert!(html.contains("Mål som får ett annat förslag"));
        assert!(html.contains("Prövat förslag"));
        // Every goal with a basis is proposed Mycket god: the tried agreement is the
        // share of goals decided Mycket god.
        let cases: Vec<_> = uppsikt_report::calibration::decided_cases(app.store(), None, None)
            .await
            .unwrap()
            .into_iter()
            .flat_map(|b| b.cases)
            .collect();
        let (scale, _) = app.store().assessment_config().await.unwrap();
        let tried = calibrate(
            &scale,
            &uppsikt_domain::AssessmentRules {
                thresholds: vec![0.0, 0.0, 0.0],
                ..Default::default()
            },
            cases,
        );
        assert!(tried
            .cases
            .iter()
            .all(|c| c.proposal.as_ref().is_none_or(|p| p.level == "Mycket god")));
        let tried_sentence = format!(
            "Förslaget stämmer med beslutad nivå för {} av {} mål",
            tried.agreeing, tried.compared
        );
        assert!(html.contains(&tried_sentence), "{tried_sentence}: {html}");
        assert!(
            html.contains(&sentence),
            "the current agreement stays shown"
        );
        // The save form offers the tried settings.
        let save = &html[html.find("id=\"save-h\"").unwrap()..];
        assert!(
            save.contains("id=\"save-t0\" name=\"t0\" value=\"0\""),
            "{save}"
        );
        // One board only.
        let ks = app.org_id("KS").await;
        let (status, html) = app
            .get_as(Some(&controller), &format!("{path}&enhet={ks}"))
            .await;
        assert_eq!(status, 200);
        assert!(html.contains("Kommunstyrelsen 2019"));
        let (status, _) = app.get_as(Some(&controller), "/regler?enhet=ks").await;
        assert_eq!(status, 400);

        // A relative threshold judges the indicators again: the tried agreement is that
        // of the basis under it.
        let settings = uppsikt_domain::evaluation::EvaluationSettings {
            relative_threshold: 0.5,
        };
        let rejudged: Vec<_> =
            uppsikt_report::calibration::decided_cases(app.store(), None, Some(settings))
                .await
                .unwrap()
                .into_iter()
                .flat_map(|b| b.cases)
                .collect();
        let c = calibrate(&scale, &Default::default(), rejudged);
        let (status, html) = app
            .get_as(
                Some(&controller),
                "/regler?prova=1&t0=90&t1=60&t2=40&weight=1&penalty=0&missing=ignored&relative=50",
            )
            .await;
        assert_eq!(status, 200, "{html}");
        let expected = format!(
            "Prövade regler: {}\u{a0}%",
            format_sv(c.share().unwrap() * 100.0, 0)
        );
        assert!(html.contains(&expected), "{expected}: {html}");

        assert_eq!(version_count(&app).await, versions, "trying saves nothing");
        assert_eq!(app.store().data_version().await.unwrap(), data);
        app.finish().await;
    }
}

#[tokio::test]
async fn a_saved_version_applies_to_the_proposals() {
    for app in apps().await {
        let controller = app.session_for("controller").await;
        let goal = app.goal_id("Ökat bostadsbyggande").await;
        let (_, before) = app
            .get_as(Some(&controller), &format!("/goals/{goal}?period=2019"))
            .await;
        let level_before = system_level(&before);
        assert_ne!(level_before, "Mycket god", "{before}");

        let mut form: Vec<(&str, &str)> = ALL_BEST.to_vec();
        form.push((
            "motivation",
            "Prövar att alla mål med underlag får bästa nivå.",
        ));
        let (status, html, location) = app.post_as(Some(&controller), "/regler", &form).await;
        assert_eq!(status, 303, "{html}");
        assert_eq!(location.as_deref(), Some("/regler?sparad=2"));
        let versions = app.store().rule_versions().await.unwrap();
        assert_eq!(versions.len(), 2);
        assert_eq!(versions[0].number, 2);
        assert_eq!(versions[0].saved_by, "controller");
        assert_eq!(versions[0].rules.thresholds, vec![0.0, 0.0, 0.0]);
        assert!((versions[0].settings.relative_threshold - 0.01).abs() < 1e-12);
        let (_, rules) = app.store().assessment_config().await.unwrap();
        assert_eq!(rules, versions[0].rules);

        let (status, html) = app.get_as(Some(&controller), "/regler?sparad=2").await;
        assert_eq!(status, 200);
        assert!(html.contains("Version 2 av reglerna är sparad"), "{html}");
        assert!(html.contains("Prövar att alla mål med underlag får bästa nivå."));
        assert!(html.contains("Version 2, sparad"));

        let (_, after) = app
            .get_as(Some(&controller), &format!("/goals/{goal}?period=2019"))
            .await;
        assert_eq!(
            system_level(&after),
            "Mycket god",
            "the new version applies"
        );

        // The change log holds the save, in Swedish in the history.
        let log = app.store().change_log(None, 5).await.unwrap();
        assert!(log.iter().any(|e| e.object_type == "rule_version"));

        // Saving the same settings again is refused: nothing new to save.
        let (status, html, _) = app.post_as(Some(&controller), "/regler", &form).await;
        assert_eq!(status, 422);
        assert!(html.contains("Ingen ny version har sparats"), "{html}");
        assert_eq!(version_count(&app).await, 2);
        app.finish().await;
    }
}

#[tokio::test]
async fn only_controllers_and_administrators_may_see_try_and_save_rules() {
    for app in apps().await {
        let versions = version_count(&app).await;
        let data = app.store().data_version().await.unwrap();
        let mut form: Vec<(&str, &str)> = ALL_BEST.to_vec();
        form.push(("motivation", "Obehörig"));

        // The public is asked to sign in; its POST is refused before anything is read.
        let (status, _) = app.get_as(None, "/regler").await;
        assert!(status == 303 || status == 302, "public GET: {status}");
        let (status, _, _) = app.post_as(None, "/regler", &form).await;
        assert!(
            [302, 303, 401, 403].contains(&status),
            "public POST: {status}"
        );
        for user in ["lasare", "revisor", "redaktor-ks", "redaktor-fsn"] {
            let s = app.session_for(user).await;
            let (status, html) = app.get_as(Some(&s), "/regler").await;
            assert_eq!(status, 403, "{user} GET");
            assert!(
                html.contains(
                    "Bara controller och administratörer kan pröva och ändra bedömningsreglerna"
                ),
                "{user}: {html}"
            );
            assert!(
                !html.contains("href=\"/regler\""),
                "{user} is not offered the page"
            );
            let (status, _, _) = app.post_as(Some(&s), "/regler", &form).await;
            assert_eq!(status, 403, "{user} POST");
        }
        // A controller's form without the session's CSRF token is refused too.
        let controller = app.session_for("controller").await;
        let r = app
            .client
            .post(app.url("/regler"))
            .header("cookie", &controller.cookie)
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 403, "without the CSRF token");
        assert_eq!(version_count(&app).await, versions, "nothing saved");
        assert_eq!(app.store().data_version().await.unwrap(), data);
        let (status, _) = app.get("/regler").await;
        assert_eq!(status, 200, "the administrator may");
        app.finish().await;
    }
}

#[tokio::test]
async fn invalid_settings_are_shown_again_with_swedish_messages() {
    for app in apps().await {
        let controller = app.session_for("controller").await;
        let versions = version_count(&app).await;
        let data = app.store().data_version().await.unwrap();
        let form = [
            ("t0", "50"),
            ("t1", "70"),
            ("t2", "40"),
            ("weight", "mycket"),
            ("penalty", "9"),
            ("missing", "ignored"),
            ("relative", "60"),
            ("motivation", " "),
        ];
        let (status, html, _) = app.post_as(Some(&controller), "/regler", &form).await;
        assert_eq!(status, 422, "{html}");
        for expected in [
            "Reglerna sparades inte",
            "gränsen för God får inte vara högre än gränsen för Mycket god",
            "”mycket” är inget tal",
            "”9” är inget heltal mellan 0 och 3",
            "Den relativa tröskeln ska vara mellan 0 och 50 %.",
            "Skriv varför reglerna ändras",
            "id=\"save-t1\" name=\"t1\" value=\"70\"",
            "id=\"save-weight\" name=\"weight\" value=\"mycket\"",
            "aria-invalid=\"true\"",
        ] {
            assert!(html.contains(expected), "{expected} missing: {html}");
        }
        // A tried threshold above 100 % is shown again in the try form.
        let (status, html) = app
            .get_as(
                Some(&controller),
                "/regler?prova=1&t0=150&t1=60&t2=40&weight=1&penalty=0&missing=ignored&relative=1",
            )
            .await;
        assert_eq!(status, 422);
        assert!(
            html.contains("Gränsen för Mycket god ska vara mellan 0 och 100 %."),
            "{html}"
        );
        assert!(html.contains("id=\"try-t0\" name=\"t0\" value=\"150\""));
        assert!(!html.contains("Prövade regler: "));
        // Swedish decimals are understood.
        let (status, html) = app
            .get_as(
                Some(&controller),
                "/regler?prova=1&t0=87,5&t1=60&t2=40&weight=0,5&penalty=1&missing=not_achieved&relative=0,5",
            )
            .await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("Prövade regler: "));
        assert_eq!(version_count(&app).await, versions, "nothing saved");
        assert_eq!(app.store().data_version().await.unwrap(), data);
        app.finish().await;
    }
}
