//! Finding and doing, over HTTP on every backend: the history read in words (Swedish
//! local time, people's names, where each change came from) on the page and in the
//! auditors' export; search in Swedish word forms among what the viewer may see; Att
//! göra per board and period; the menu, footer and breadcrumbs.

mod common;

use common::{App, Session};
use uppsikt_domain::deviation::{NewDeviation, Severity, Source};
use uppsikt_domain::model::GoalKind;
use uppsikt_domain::{Breakdown, Outcome, Period};
use uppsikt_store::{ChangeSource, GoalInput, Scope};

async fn each(apps: Vec<App>, test: impl AsyncFn(&App)) {
    for app in apps {
        eprintln!("backend: {:?}", app.db.backend());
        test(&app).await;
        app.finish().await;
    }
}

/// A KS indicator without outcomes for 2020 (for a clean "– → 58").
async fn ks_indicator(app: &App) -> i64 {
    let ks = app.org_id("KS").await;
    app.store()
        .indicator_records(Scope::Org(ks))
        .await
        .unwrap()
        .into_iter()
        .find(|r| !r.outcomes.iter().any(|o| o.period == Period::Year(2020)))
        .expect("a KS indicator without 2020")
        .indicator
        .id
}

/// The trail's nav, exactly once, with exactly one current page.
fn assert_crumbs(html: &str, current: &str) {
    assert_eq!(
        html.matches("aria-label=\"Brödsmulor\"").count(),
        1,
        "one trail: {html}"
    );
    assert_eq!(html.matches("aria-current=\"page\"").count(), 1);
    assert!(
        html.contains(&format!(
            "aria-current=\"page\">{current}</a></li></ol></nav>"
        )),
        "the current page {current} ends the trail: {html}"
    );
}

#[tokio::test]
async fn history_reads_in_words_with_local_time_names_and_sources() {
    each(common::apps().await, async |app| {
        let ind = ks_indicator(app).await;
        let editor = app.session_for("redaktor-ks").await;
        let (status, _, _) = app
            .post_as(
                Some(&editor),
                &format!("/indicators/{ind}/outcome"),
                &[
                    ("period", "2020"),
                    ("breakdown", "total"),
                    ("value", "58"),
                    ("margin", "3"),
                    ("sample_size", ""),
                ],
            )
            .await;
        assert_eq!(status, 303);
        // Kolada's values arrive through a writer opened for Kolada.
        let mut w = app
            .store()
            .writer("kolada-hamtning", ChangeSource::Kolada)
            .await
            .unwrap();
        w.set_outcome(
            ind,
            &Outcome {
                period: Period::Year(2021),
                breakdown: Breakdown::Women,
                value: 61.5,
                margin: None,
                sample_size: None,
            },
        )
        .await
        .unwrap();
        w.commit().await.unwrap();
        // Two rows written at known moments, a winter and a summer one; the winter one
        // as an older version wrote it, without a source.
        for (at, source) in [
            ("2024-01-15T09:30:00Z", None),
            ("2024-07-01T09:30:00.250Z", Some("form")),
        ] {
            sqlx::query(
                "INSERT INTO change_log (at, actor, action, object_type, object_id, before_value, after_value, source) \
                 VALUES ($1, 'controller', 'set', 'milestone', $2, NULL, '{\"year\":2024,\"target\":\">=60\"}', $3)",
            )
            .bind(at)
            .bind(ind)
            .bind(source)
            .execute(app.store().pool())
            .await
            .unwrap();
        }

        let reader = app.session_for("lasare").await;
        let (status, html) = app
            .get_as(Some(&reader), &format!("/history/indicators/{ind}"))
            .await;
        assert_eq!(status, 200);
        assert!(
            html.contains("Utfall 2020 Totalt: – → 58 (± 3)"),
            "the outcome in words: {html}"
        );
        assert!(html.contains("Utfall 2021 Kvinnor: – → 61,5"));
        assert!(html.contains("Etappmål 2024: – → ") && html.contains("=60</td>"));
        assert!(
            !html.contains("&quot;breakdown&quot;") && !html.contains("{&quot;"),
            "no JSON on the page"
        );
        assert!(html.contains("<td>Test redaktor-ks</td>"), "the person's name");
        assert!(html.contains("<td>formulär</td>") && html.contains("<td>Kolada</td>"));
        assert!(html.contains("<td>okänd källa</td>"), "an older row");
        // Swedish local time: CET in January, CEST in July.
        assert!(html.contains("2024-01-15 10:30"), "winter: UTC+1");
        assert!(html.contains("2024-07-01 11:30"), "summer: UTC+2");
        assert!(!html.contains("2024-07-01 09:30"));
        assert_crumbs(&html, "Historik");
        assert!(html.contains("<li><a href=\"/org/"), "the unit tree in the trail");

        let auditor = app.session_for("revisor").await;
        let (status, csv) = app
            .get_as(Some(&auditor), "/history/export.csv?from=2000-01-01")
            .await;
        assert_eq!(status, 200);
        let header = csv.lines().next().unwrap();
        assert_eq!(
            header,
            "\u{feff}id;tid;vem;åtgärd;objekttyp;objekt-id;före;efter;tid (svensk);namn;källa;ändring;vad",
            "the old columns first, for the scripts that read them"
        );
        let line = csv
            .lines()
            .find(|l| l.contains("\"2024-07-01T09:30:00.250Z\""))
            .unwrap();
        assert!(
            line.ends_with(";\"2024-07-01 11:30\";\"Test controller\";\"formulär\";\"Satt\";\"Etappmål 2024: – → >=60\""),
            "{line}"
        );
        assert!(csv.contains("\"Utfall 2020 Totalt: – → 58 (± 3)\""));
        assert!(csv.contains(";\"Kolada\";"));
    })
    .await;
}

#[tokio::test]
async fn search_finds_word_forms_and_shows_the_public_only_what_is_decided() {
    each(common::decided_apps().await, async |app| {
        let ks = app.org_id("KS").await;
        // Undecided: a new KS goal (nothing decided under it) and a deviation.
        let mut w = app
            .store()
            .writer("controller", ChangeSource::Form)
            .await
            .unwrap();
        w.create_goal(&GoalInput {
            key: String::new(),
            org_id: ks,
            parent_id: None,
            title: "Trygghetsvandringar i centrum".into(),
            description: String::new(),
            kind: GoalKind::Board,
            position: 99,
        })
        .await
        .unwrap();
        w.raise_deviations(
            vec![NewDeviation {
                org_id: ks,
                area: None,
                source: Source::AuditRemark,
                severity: Severity::Low,
                period: Period::Year(2024),
                description: "Tryggheten i parkerna brister".into(),
                cause_key: None,
            }],
            "2024-05-01",
        )
        .await
        .unwrap();
        w.commit().await.unwrap();
        let trygg = app.indicator_id("Trygg utomhus").await;

        // The public: the decided indicator (KF 2023), nothing undecided, no deviations.
        let (status, html) = app.get_as(None, "/sok?q=trygghet").await;
        assert_eq!(status, 200);
        assert!(
            html.contains(&format!("<a href=\"/indicators/{trygg}\">Trygg utomhus")),
            "\"trygghet\" finds \"Trygg utomhus\": {html}"
        );
        assert!(
            !html.contains("Trygghetsvandringar"),
            "an undecided goal leaked"
        );
        assert!(
            !html.contains("parkerna"),
            "a deviation leaked to the public"
        );
        assert!(!html.contains("Avvikelser ("));
        assert_crumbs(&html, "Sök");

        // Signed in: everything, grouped by kind with counts.
        let reader = app.session_for("lasare").await;
        let (status, html) = app.get_as(Some(&reader), "/sok?q=TRYGGHET").await;
        assert_eq!(status, 200);
        assert!(html.contains("Trygghetsvandringar i centrum"));
        assert!(html.contains("Tryggheten i parkerna brister"));
        assert!(
            html.contains("<h2 id=\"sok-avvikelser\">Avvikelser (1)</h2>"),
            "{html}"
        );
        let goals = html.find("id=\"sok-mal\"").unwrap();
        let measures = html.find("id=\"sok-matt\"").unwrap();
        assert!(goals < measures, "goals first, then measures");

        // Limits and empty queries.
        let (status, html) = app
            .get_as(None, &format!("/sok?q={}", "a".repeat(201)))
            .await;
        assert_eq!(status, 422);
        assert!(html.contains("Sökningen är för lång (201 byte)"));
        assert!(html.contains(&"a".repeat(201)), "the query is kept");
        let (status, html) = app.get_as(None, "/sok?q=%20").await;
        assert_eq!(status, 200);
        assert!(!html.contains("träff"));
        let (status, html) = app.get_as(None, "/sok?q=xyzzyqq").await;
        assert_eq!(status, 200);
        assert!(html.contains("Inga träffar för ”xyzzyqq”."));
        // The box is in every page's header, a plain GET form.
        let (_, html) = app.get_as(None, "/").await;
        assert!(html.contains(
            "<form class=\"site-search\" method=\"get\" action=\"/sok\" role=\"search\">"
        ));
    })
    .await;
}

async fn todo_page(app: &App, s: &Session, org: i64) -> (u16, String) {
    app.get_as(Some(s), &format!("/org/{org}/att-gora?period=2019"))
        .await
}

#[tokio::test]
async fn att_gora_lists_what_is_missing_and_refuses_others() {
    each(common::apps().await, async |app| {
        let ks = app.org_id("KS").await;
        let fsn = app.org_id("FSN").await;
        let controller = app.session_for("controller").await;
        let missing: Vec<(i64, String)> = app
            .store()
            .indicator_statuses(Scope::Org(ks))
            .await
            .unwrap()
            .into_iter()
            .filter(|r| {
                !r.outcomes
                    .iter()
                    .any(|o| o.period == Period::Year(2019) && o.breakdown == Breakdown::Total)
            })
            .map(|r| (r.indicator.id, r.indicator.name))
            .collect();
        let (status, html) = todo_page(app, &controller, ks).await;
        assert_eq!(status, 200, "{html}");
        assert!(
            html.contains(&format!("Utfall saknas ({})", missing.len())),
            "{} KS indicators lack a 2019 total: {html}",
            missing.len()
        );
        for heading in [
            "Analys saknas (",
            "Bedömning saknas (",
            "Avvikelser utan beslut (",
            "Försenade åtgärder (",
        ] {
            assert!(html.contains(heading), "{heading}");
        }
        assert_crumbs(&html, "Att göra");
        // Entering the missing total removes it from the list, counted one fewer.
        if let Some((id, _)) = missing.first() {
            let link = format!("href=\"/indicators/{id}/outcomes\"");
            assert!(html.contains(&link), "a link to where it is fixed");
            let editor = app.session_for("redaktor-ks").await;
            let (status, _, _) = app
                .post_as(
                    Some(&editor),
                    &format!("/indicators/{id}/outcome"),
                    &[
                        ("period", "2019"),
                        ("breakdown", "total"),
                        ("value", "12"),
                        ("margin", ""),
                        ("sample_size", ""),
                    ],
                )
                .await;
            assert_eq!(status, 303);
            let (status, html) = todo_page(app, &editor, ks).await;
            assert_eq!(status, 200, "the unit's editor");
            assert!(html.contains(&format!("Utfall saknas ({})", missing.len() - 1)));
            assert!(!html.contains(&link));
        }

        // Refused: the public, a reader, an editor of another unit; nothing changes.
        let before = app.store().data_version().await.unwrap();
        let (status, _) = app.get_as(None, &format!("/org/{ks}/att-gora")).await;
        assert_ne!(status, 200);
        for who in ["lasare", "redaktor-fsn"] {
            let s = app.session_for(who).await;
            let (status, html) = todo_page(app, &s, ks).await;
            assert_eq!(status, 403, "{who}");
            assert!(!html.contains("Utfall saknas"), "{who}");
        }
        let fsn_editor = app.session_for("redaktor-fsn").await;
        let (status, _) = todo_page(app, &fsn_editor, fsn).await;
        assert_eq!(status, 200, "the editor's own unit");
        assert_eq!(app.store().data_version().await.unwrap(), before);
        // The menu's link: an editor with one unit goes straight to it.
        let (status, _, location) = common::answer(
            app.client
                .get(app.url("/att-gora"))
                .header("cookie", &fsn_editor.cookie)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, 303);
        assert_eq!(
            location.as_deref(),
            Some(format!("/org/{fsn}/att-gora").as_str())
        );
    })
    .await;
}

#[tokio::test]
async fn the_menu_footer_and_breadcrumbs_are_the_same_everywhere() {
    each(common::apps().await, async |app| {
        let controller = app.session_for("controller").await;
        let (_, html) = app.get_as(Some(&controller), "/").await;
        let nav_start = html.find("aria-label=\"Huvudmeny\"").unwrap();
        let nav = &html[nav_start..html[nav_start..].find("</nav>").unwrap() + nav_start];
        assert!(nav.contains("<a href=\"/uppsikt\">Uppsiktsplikt</a>"), "{nav}");
        assert!(nav.contains("<a href=\"/att-gora\">Att göra</a>"));
        assert!(!nav.contains("API"), "the API is in the footer");
        assert!(html.contains("<footer class=\"site\">"));
        assert!(html.contains("<a href=\"/api/v1/openapi.json\">Öppet API (JSON)</a>"));
        let (_, html) = app.get_as(None, "/").await;
        assert!(!html.contains("/att-gora"), "nothing for the public to do");
        // The API needs signing in, so a visitor is not offered it.
        assert!(!html.contains("Öppet API (JSON)"));

        let ks = app.org_id("KS").await;
        let goal = app
            .store()
            .goals_of_org(ks)
            .await
            .unwrap()
            .into_iter()
            .next()
            .unwrap();
        let ind = ks_indicator(app).await;
        let record = app.store().indicator_record(ind).await.unwrap();
        for (path, current) in [
            (format!("/org/{ks}"), "Kommunstyrelsen".to_string()),
            (format!("/goals/{}", goal.id), goal.title.clone()),
            (format!("/indicators/{ind}"), record.indicator.name.clone()),
            (format!("/history/goals/{}", goal.id), "Historik".into()),
            (format!("/goals/{}/edit", goal.id), format!("Redigera målet {}", goal.title)),
            ("/uppsikt".into(), "Uppsiktsplikt".into()),
        ] {
            let (status, html) = app.get_as(Some(&controller), &path).await;
            assert_eq!(status, 200, "{path}");
            let current = uppsikt_report::html::escape(&current);
            assert!(
                html.contains("<nav class=\"crumbs\" aria-label=\"Brödsmulor\"><ol><li><a href=\"/\">Startsida</a></li>")
                    || path == "/uppsikt",
                "{path}: the one helper's trail"
            );
            assert_eq!(html.matches("aria-label=\"Brödsmulor\"").count(), 1, "{path}");
            assert!(
                html.contains(&format!("aria-current=\"page\">{current}</a>")),
                "{path}: {current} is the current page"
            );
        }
    })
    .await;
}
