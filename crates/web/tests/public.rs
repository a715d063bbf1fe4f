//! What the public sees is what was decided, and what was decided stays decided: HTTP
//! tests on both backends of the one public rule (`uppsikt_domain::publication`).

mod common;

use common::{apps, decided_apps, App, KS_2019_DECISION};

const HOMES: &str = "Antal färdigställda bostäder (Totalt)";

/// A goal of KS, as a visitor and as a reader see it.
async fn both_views(app: &App, path: &str) -> (u16, String, u16, String) {
    let reader = app.session_for("lasare").await;
    let (public_status, public) = app.get_as(None, path).await;
    let (reader_status, read) = app.get_as(Some(&reader), path).await;
    (public_status, public, reader_status, read)
}

#[tokio::test]
async fn a_visitor_sees_the_decided_2019_pages_and_nothing_undecided() {
    for app in decided_apps().await {
        let ks = app.org_id("KS").await;
        let root = app.org_id("Huddinge").await;
        let (_, start) = app.get_as(None, "/").await;
        assert!(start.contains(&format!("href=\"/org/{ks}\"")));
        assert!(
            !start.contains(&format!("href=\"/org/{root}\"")),
            "no decision covers the municipality's own unit: not offered"
        );
        let (status, html) = app.get_as(None, &format!("/org/{ks}")).await;
        assert_eq!(status, 200, "KS's decided 2019 is public");
        assert!(html.contains("Sammanvägd måluppfyllelse 2019"));
        assert!(html.contains("Ökad valfrihet"));
        assert!(html.contains("Ej godtagbar"), "the decided level");
        assert!(html.contains("Beslutad period."));
        assert!(
            html.contains("datum, paragraf och diarienummer saknas i underlaget"),
            "what the seed does not give is said to be missing"
        );
        for working in ["Systemets förslag", "Föreslagen", "Så föreslår systemet"] {
            assert!(!html.contains(working), "{working} is working material");
        }
        // The menu offers a visitor nothing that needs signing in.
        for link in [
            "href=\"/uppsikt\"",
            "href=\"/import\"",
            "/api/v1/openapi.json",
        ] {
            assert!(!html.contains(link), "{link} offered to a visitor");
        }

        let goal = app.goal_id("Ökat bostadsbyggande").await;
        let (status, html) = app.get_as(None, &format!("/goals/{goal}")).await;
        assert_eq!(status, 200);
        assert!(html.contains("Antal färdigställda bostäder"));

        let ind = app.indicator_id(HOMES).await;
        let (status, html) = app.get_as(None, &format!("/indicators/{ind}")).await;
        assert_eq!(status, 200, "indicator pages are public too");
        assert!(
            html.contains("997"),
            "the 2018 outcome the 2019 report shows"
        );
        assert!(
            !html.contains("/history/indicators/"),
            "history is sign-in only"
        );

        // A period no decision covers answers that it is not decided.
        let (status, html) = app.get_as(None, &format!("/org/{ks}?period=2024")).await;
        assert_eq!(status, 404);
        assert!(html.contains("inget beslut"));
        app.finish().await;
    }
}

/// The repro: a proposed 2020 assessment on Ökat bostadsbyggande while KS 2019 is
/// locked was shown to the public under "Alla bedömningar av målet".
#[tokio::test]
async fn a_proposal_for_an_undecided_year_never_reaches_the_public() {
    for app in apps().await {
        let ks = app.org_id("KS").await;
        let goal = app.goal_id("Ökat bostadsbyggande").await;
        let controller = app.session_for("controller").await;
        let (status, _, _) = app
            .post_as(
                Some(&controller),
                &format!("/org/{ks}/lock"),
                &KS_2019_DECISION,
            )
            .await;
        assert_eq!(status, 303);
        let (status, _, _) = app
            .post_as(
                Some(&controller),
                &format!("/goals/{goal}/assessment"),
                &[
                    ("period", "2020"),
                    ("stage", "proposed"),
                    ("level", "God"),
                    ("motivation", "Utkast-motivering-2020"),
                    ("author", "Controller Cecilia"),
                    ("date", ""),
                ],
            )
            .await;
        assert_eq!(status, 303, "the proposal is recorded");
        for path in [
            format!("/goals/{goal}"),
            format!("/goals/{goal}?period=2019"),
        ] {
            let (status, public, reader_status, read) = both_views(&app, &path).await;
            assert_eq!((status, reader_status), (200, 200), "{path}");
            assert!(!public.contains("Utkast-motivering-2020"), "{path}");
            assert!(!public.contains("Controller Cecilia"), "{path}");
            assert!(read.contains("Utkast-motivering-2020"), "a reader sees it");
        }
        let (status, _) = app
            .get_as(None, &format!("/goals/{goal}?period=2020"))
            .await;
        assert_eq!(status, 404, "2020 is not decided");
        app.finish().await;
    }
}

/// Published tertial pages showed the full year's outcomes and comments, which are not
/// decided by a tertial decision.
#[tokio::test]
async fn a_decided_tertial_page_shows_no_full_year_figures() {
    for app in apps().await {
        let ks = app.org_id("KS").await;
        let goal = app.goal_id("Ökat bostadsbyggande").await;
        let ind = app.indicator_id(HOMES).await;
        let outcome = |period, value| uppsikt_domain::Outcome {
            period,
            breakdown: uppsikt_domain::Breakdown::Total,
            value,
            margin: None,
            sample_size: None,
        };
        let mut w = app
            .store()
            .writer("test", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        w.set_outcome(
            ind,
            &outcome(uppsikt_domain::Period::Tertial(2019, 2), 411.0),
        )
        .await
        .unwrap();
        w.set_outcome(ind, &outcome(uppsikt_domain::Period::Year(2019), 873.0))
            .await
            .unwrap();
        w.commit().await.unwrap();
        let record = app.store().indicator_record(ind).await.unwrap();
        let year_comment = record
            .comments
            .iter()
            .find(|c| c.period == uppsikt_domain::Period::Year(2019))
            .map(|c| c.text.clone())
            .expect("the demo comments the 2019 outcome");
        let controller = app.session_for("controller").await;
        let (status, _, _) = app
            .post_as(
                Some(&controller),
                &format!("/org/{ks}/lock"),
                &[
                    ("period", "2019T2"),
                    ("body", "Kommunstyrelsen"),
                    ("decided_on", "2019-09-30"),
                    ("paragraph", "§ 101"),
                    ("diary_number", "KS-2019/900"),
                ],
            )
            .await;
        assert_eq!(status, 303);
        for path in [
            format!("/goals/{goal}?period=2019T2"),
            format!("/goals/{goal}"),
        ] {
            let (status, html) = app.get_as(None, &path).await;
            assert_eq!(status, 200, "{path}");
            assert!(html.contains("411"), "{path}: the tertial's outcome");
            assert!(!html.contains(&year_comment), "{path}");
            assert!(
                !html.contains("873"),
                "{path}: the full year is not decided"
            );
        }
        let (status, html) = app.get_as(None, &format!("/indicators/{ind}")).await;
        assert_eq!(status, 200);
        assert!(html.contains("411"));
        assert!(!html.contains("873"));
        assert!(!html.contains(&year_comment));
        app.finish().await;
    }
}

/// After a decision, an editor changed what its published result rests on (milestone,
/// target, direction, commitments) and the public page changed from Ej uppnått to
/// Uppnått. Each is refused now, with the form kept, and nothing changes.
#[tokio::test]
async fn what_a_decision_rests_on_is_refused_with_the_form_kept() {
    for app in decided_apps().await {
        let editor = app.session_for("redaktor-ks").await;
        let goal = app.goal_id("Ökat bostadsbyggande").await;
        let ind = app.indicator_id(HOMES).await;
        let (_, before) = app.get_as(None, &format!("/goals/{goal}")).await;
        let version = app.store().data_version().await.unwrap();

        let refused = |(status, html, _): (u16, String, Option<String>), what: &str| {
            assert_eq!(status, 422, "{what}: {html}");
            assert!(html.contains("är låst genom beslut"), "{what}");
        };
        let milestones = format!("/indicators/{ind}/milestones");
        let r = app
            .post_as(
                Some(&editor),
                &milestones,
                &[("kind", "milestone"), ("year", "2019"), ("target", "≥ 40")],
            )
            .await;
        assert!(r.1.contains("value=\"≥ 40\""), "what was typed is kept");
        refused(r, "the 2019 milestone");
        let r = app
            .post_as(
                Some(&editor),
                &milestones,
                &[("kind", "target"), ("year", "2030"), ("target", "≥ 10")],
            )
            .await;
        refused(r, "a long-term target");

        let i = app.store().indicator_record(ind).await.unwrap().indicator;
        let decimals = i.decimals.to_string();
        let r = app
            .post_as(
                Some(&editor),
                &format!("/indicators/{ind}/edit"),
                &[
                    ("name", i.name.as_str()),
                    ("unit", i.unit.as_str()),
                    ("direction", "lower"),
                    ("source", i.source.as_str()),
                    ("kolada_kpi", i.kolada_kpi.as_str()),
                    ("decimals", decimals.as_str()),
                    ("frequency", i.frequency.code()),
                ],
            )
            .await;
        refused(r, "the direction");

        let r = app
            .post_as(
                Some(&editor),
                &format!("/goals/{goal}/commitments/new"),
                &[
                    ("title", "Ett åtagande i efterhand"),
                    ("description", ""),
                    ("year", "2019"),
                    ("carried_over_from", ""),
                ],
            )
            .await;
        refused(r, "a new 2019 commitment");

        let commitments = app
            .store()
            .commitments(uppsikt_store::Scope::All)
            .await
            .unwrap();
        let c = commitments.iter().find(|c| c.year == 2019).unwrap();
        let year = c.year.to_string();
        let r = app
            .post_as(
                Some(&editor),
                &format!("/commitments/{}/edit", c.id),
                &[
                    ("title", "Ny rubrik"),
                    ("description", c.description.as_str()),
                    ("year", year.as_str()),
                    ("carried_over_from", ""),
                ],
            )
            .await;
        refused(r, "editing a 2019 commitment");
        let r = app
            .post_as(
                Some(&app.session_for("controller").await),
                &format!("/commitments/{}/status", c.id),
                &[("status", "done"), ("date", "2019-12-30"), ("comment", "")],
            )
            .await;
        refused(r, "a status dated in 2019");
        assert_eq!(
            app.store().data_version().await.unwrap(),
            version,
            "a refusal changes nothing"
        );
        let (_, after) = app.get_as(None, &format!("/goals/{goal}")).await;
        assert_eq!(after, before, "the public page is as decided");

        // A status after the decided year is news, not a change of the decision.
        let (status, _, _) = app
            .post_as(
                Some(&app.session_for("controller").await),
                &format!("/commitments/{}/status", c.id),
                &[("status", "done"), ("date", "2024-02-01"), ("comment", "")],
            )
            .await;
        assert_eq!(status, 303);
        app.finish().await;
    }
}
