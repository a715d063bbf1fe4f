//! A board's deviations over HTTP on every backend: the threshold its indicators raise
//! deviations under (controllers only), and one decision not to act on several undecided
//! deviations, all or nothing (those who may decide on them only). Refusals change nothing.

mod common;

use common::apps;
use uppsikt_domain::deviation::{DeviationThreshold, NewDeviation, Outcome, Severity, Source};
use uppsikt_domain::Period;

/// Raises a manual deviation for `org`; its id.
async fn raise(app: &common::App, org: i64, what: &str) -> i64 {
    let mut w = app
        .store()
        .writer("test", uppsikt_store::ChangeSource::Form)
        .await
        .unwrap();
    let ids = w
        .raise_deviations(
            vec![NewDeviation {
                org_id: org,
                area: None,
                source: Source::SituationReport,
                severity: Severity::Low,
                period: Period::Year(2024),
                description: what.into(),
                cause_key: None,
            }],
            "2024-05-01",
        )
        .await
        .unwrap();
    w.commit().await.unwrap();
    ids[0]
}

#[tokio::test]
async fn a_controller_sets_a_boards_threshold() {
    for app in apps().await {
        let ks = app.org_id("KS").await;
        let path = format!("/org/{ks}/deviation-threshold");
        let stored = async || app.store().deviation_thresholds().await.unwrap();

        // Refusals: the public signs in first; editors and readers are refused.
        let (status, _) = app.get_as(None, &path).await;
        assert!(status == 303 || status == 302, "public: {status}");
        let (status, _, _) = app.post_as(None, &path, &[("min_shortfall", "5")]).await;
        // The sign-in page, keeping what was typed.
        assert_eq!(status, 401, "public");
        for refused in ["redaktor-ks", "lasare"] {
            let s = app.session_for(refused).await;
            let (status, _) = app.get_as(Some(&s), &path).await;
            assert_eq!(status, 403, "{refused}");
            let (status, _, _) = app
                .post_as(Some(&s), &path, &[("min_shortfall", "5")])
                .await;
            assert_eq!(status, 403, "{refused}");
        }
        assert!(stored().await.is_empty(), "a refusal stores nothing");

        let controller = app.session_for("controller").await;
        let (status, html) = app.get_as(Some(&controller), &path).await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("Negativ trend utan missat etappmål skapar en avvikelse"));
        assert!(
            html.contains("name=\"negative_trend-on\" value=\"1\" checked"),
            "{html}"
        );
        assert!(
            html.contains("name=\"min_shortfall\" value=\"0\""),
            "{html}"
        );

        // Bad input comes back with what was typed and a Swedish message.
        for (typed, message) in [
            ("fem", "tal"),
            ("150", "mellan 0 och 100 procent"),
            ("-1", "mellan 0 och 100 procent"),
        ] {
            let (status, html, _) = app
                .post_as(Some(&controller), &path, &[("min_shortfall", typed)])
                .await;
            assert_eq!(status, 422, "{typed}: {html}");
            assert!(
                html.contains(&format!("value=\"{typed}\"")),
                "{typed}: {html}"
            );
            assert!(html.contains(message), "{typed}: {html}");
            assert!(
                !html.contains("name=\"negative_trend-on\" value=\"1\" checked"),
                "the unticked box stays unticked"
            );
        }
        assert!(stored().await.is_empty(), "nothing stored");

        // A decimal comma; the trend box left unticked.
        let (status, _, location) = app
            .post_as(Some(&controller), &path, &[("min_shortfall", "2,5")])
            .await;
        assert_eq!(status, 303);
        assert_eq!(
            location.as_deref(),
            Some(format!("/uppsikt/list?board={ks}").as_str())
        );
        let t = stored().await[&ks];
        assert!(!t.negative_trend);
        assert!((t.min_shortfall - 0.025).abs() < 1e-12, "{t:?}");
        let (_, html) = app.get_as(Some(&controller), &path).await;
        assert!(
            html.contains("name=\"min_shortfall\" value=\"2,5\""),
            "{html}"
        );
        let (_, html) = app
            .get_as(Some(&controller), &format!("/uppsikt/list?board={ks}"))
            .await;
        assert!(html.contains("minst 2,5 % från det"), "{html}");
        assert!(html.contains(&format!("href=\"/org/{ks}/deviation-threshold\"")));
        let s = app.session_for("redaktor-ks").await;
        let (_, html) = app
            .get_as(Some(&s), &format!("/uppsikt/list?board={ks}"))
            .await;
        assert!(
            !html.contains("deviation-threshold"),
            "editors are not offered it"
        );

        // The threshold applies to the board's units (KSF is overseen under KS).
        let ksf = app.org_id("KSF").await;
        assert_eq!(
            app.store().deviation_threshold(ksf).await.unwrap(),
            DeviationThreshold {
                negative_trend: false,
                min_shortfall: t.min_shortfall
            }
        );
        // A unit that is no board has no threshold of its own.
        let (status, _) = app
            .get_as(
                Some(&controller),
                &format!("/org/{ksf}/deviation-threshold"),
            )
            .await;
        assert_eq!(status, 404);
        app.finish().await;
    }
}

#[tokio::test]
async fn several_deviations_are_decided_without_action_all_or_none() {
    for app in apps().await {
        let (ks, ksf, fsn) = (
            app.org_id("KS").await,
            app.org_id("KSF").await,
            app.org_id("FSN").await,
        );
        let a = raise(&app, ks, "Lägesbild A").await;
        let b = raise(&app, ksf, "Lägesbild B").await;
        let c = raise(&app, ksf, "Lägesbild C").await;
        let other = raise(&app, fsn, "Lägesbild FSN").await;
        let path = format!("/org/{ks}/deviations/decide");
        let undecided = async || {
            let mut ids: Vec<i64> = app
                .store()
                .deviations(None)
                .await
                .unwrap()
                .into_iter()
                .filter(|d| d.deviation.decision.is_none())
                .map(|d| d.id)
                .collect();
            ids.sort_unstable();
            ids
        };
        // The demo's own undecided deviations (internal control's findings in KS 2019).
        let mut from_demo = undecided().await;
        from_demo.retain(|id| ![a, b, c, other].contains(id));
        let log = async || app.store().change_log(None, 10_000).await.unwrap().len();
        let mark = |id: i64| format!("deviations-{id}");
        let (ma, mb, mc, mo) = (mark(a), mark(b), mark(c), mark(other));
        fn decision(marks: Vec<&str>) -> Vec<(&str, &str)> {
            let mut form: Vec<(&str, &str)> = marks.into_iter().map(|m| (m, "1")).collect();
            form.extend([
                ("motivation", "Inom felmarginalen"),
                ("body", "board"),
                ("decided_on", "2025-02-20"),
                ("paragraph", "§ 21"),
                ("diary_number", "KS-2025/77"),
            ]);
            form
        }
        let before = (undecided().await, log().await);

        // Refusals change nothing: the public, an editor of another board, a reader.
        let (status, html, _) = app.post_as(None, &path, &decision(vec![&ma])).await;
        // The sign-in page, keeping what was typed.
        assert_eq!(status, 401, "public");
        assert!(html.contains("action=\"/login\""));
        for refused in ["redaktor-fsn", "lasare"] {
            let s = app.session_for(refused).await;
            let (status, _) = app.get_as(Some(&s), &path).await;
            assert_eq!(status, 403, "{refused}");
            let (status, html, _) = app.post_as(Some(&s), &path, &decision(vec![&ma])).await;
            assert_eq!(status, 403, "{refused}: {html}");
        }
        assert_eq!((undecided().await, log().await), before, "nothing changed");

        // The board's editor sees the board's undecided deviations, the motivation suggested.
        let editor = app.session_for("redaktor-ks").await;
        let (status, html) = app.get_as(Some(&editor), &path).await;
        assert_eq!(status, 200, "{html}");
        for m in [&ma, &mb, &mc] {
            assert!(html.contains(&format!("name=\"{m}\"")), "{m}: {html}");
        }
        assert!(!html.contains(&format!("name=\"{mo}\"")), "another board's");
        assert!(html.contains(">Inom felmarginalen</textarea>"), "{html}");
        assert!(html.contains("Besluta utan åtgärd för markerade"));
        let (_, list) = app
            .get_as(
                Some(&editor),
                &format!("/uppsikt/list?concern=undecided&board={ks}"),
            )
            .await;
        assert!(
            list.contains(&format!("href=\"/org/{ks}/deviations/decide\"")),
            "{list}"
        );

        // One already decided: none is decided, the marks stay, the offender is named.
        let (status, _, _) = app
            .post_as(
                Some(&editor),
                &format!("/deviations/{a}/decision"),
                &[
                    ("outcome", "act"),
                    ("body", "board"),
                    ("decided_on", "2025-02-19"),
                ],
            )
            .await;
        assert_eq!(status, 303);
        let before = (undecided().await, log().await);
        let (status, html, _) = app
            .post_as(Some(&editor), &path, &decision(vec![&ma, &mb, &mc]))
            .await;
        assert_eq!(status, 422, "{html}");
        assert!(
            html.contains(&format!("Avvikelse {a} har redan ett beslut")),
            "{html}"
        );
        for m in [&ma, &mb, &mc] {
            assert!(
                html.contains(&format!("name=\"{m}\" value=\"1\" checked")),
                "{m}: {html}"
            );
        }
        assert!(html.contains("KS-2025/77"), "input kept");
        assert_eq!((undecided().await, log().await), before, "all or nothing");

        // Another board's deviation, one that does not exist, none, too many, no motivation.
        let (status, html, _) = app
            .post_as(
                Some(&editor),
                &path,
                &decision(vec![&mb, &mo, "deviations-999999"]),
            )
            .await;
        assert_eq!(status, 422);
        assert!(
            html.contains(&format!("Avvikelse {other} hör inte till nämnden"))
                && html.contains("Avvikelse 999999 finns inte"),
            "{html}"
        );
        let (status, html, _) = app.post_as(Some(&editor), &path, &decision(vec![])).await;
        assert_eq!(status, 422);
        assert!(html.contains("Markera minst en avvikelse som beslutet gäller."));
        let many: Vec<String> = (1..=501).map(mark).collect();
        let (status, html, _) = app
            .post_as(
                Some(&editor),
                &path,
                &decision(many.iter().map(String::as_str).collect()),
            )
            .await;
        assert_eq!(status, 422);
        assert!(html.contains("Högst 500 avvikelser"), "{html}");
        let mut unmotivated = decision(vec![&mb]);
        unmotivated[1] = ("motivation", "  ");
        let (status, html, _) = app.post_as(Some(&editor), &path, &unmotivated).await;
        assert_eq!(status, 422);
        assert!(
            html.contains("Skriv varför avvikelsen inte ska åtgärdas"),
            "{html}"
        );
        assert_eq!((undecided().await, log().await), before, "nothing decided");

        // The board's own: both decided, each logged as the single decision is.
        let (status, _, location) = app
            .post_as(Some(&editor), &path, &decision(vec![&mb, &mc]))
            .await;
        assert_eq!(status, 303);
        assert_eq!(
            location.as_deref(),
            Some(format!("/uppsikt/list?concern=undecided&board={ks}").as_str())
        );
        for id in [b, c] {
            let d = app.store().deviation(id).await.unwrap().deviation;
            let decision = d.decision.expect("decided");
            assert_eq!(
                decision.outcome,
                Outcome::NoAction {
                    motivation: "Inom felmarginalen".into()
                }
            );
            assert_eq!(decision.diary_number, "KS-2025/77");
            let history = app
                .store()
                .change_log(Some(("deviation", id)), 10)
                .await
                .unwrap();
            assert!(history.iter().any(|e| e.action == "decide"), "{history:?}");
        }
        let mut left = from_demo.clone();
        left.push(other);
        left.sort_unstable();
        assert_eq!(undecided().await, left);
        app.finish().await;
    }
}
