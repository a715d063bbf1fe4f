//! The evaluation a controller can trust, as the web shows it: why a trend is a change, the
//! margin of the latest value and where it comes from, the indicator form's margin basis
//! and trend window, and relative milestones judged alike on goal lists and indicator pages.

mod common;

use common::{apps, App};
use uppsikt_domain::indicator::TrendWindow;
use uppsikt_domain::model::Comparison;
use uppsikt_domain::uncertainty::MarginBasis;
use uppsikt_domain::{Period, Target};

async fn each(test: impl AsyncFn(&App)) {
    for app in apps().await {
        eprintln!("backend: {:?}", app.db.backend());
        test(&app).await;
        app.finish().await;
    }
}

#[tokio::test]
async fn the_indicator_page_says_why_the_trend_counts_and_how_the_margin_is_known() {
    each(async |app| {
        let id = app.indicator_id("Betygsindex för gång- och cykelvägar").await;
        let (status, html) = app.get(&format!("/indicators/{id}")).await;
        assert_eq!(status, 200);
        assert!(
            html.contains("Trend (2017–2019): Negativ. Förändringen 57 → 52 (−5) är större än den sammanlagda felmarginalen ±\u{a0}3,2 (95\u{a0}%)."),
            "{html}"
        );
        assert!(
            html.contains(
                "Felmarginal 2019: ±\u{a0}2,2 enheter (95\u{a0}%), beräknad från 480 svar (index). Källa: SCB:s medborgarundersökning: urval 1 200"
            ),
            "{html}"
        );
        assert!(html.contains("Trenden bedöms över de två senaste värdena."));
    })
    .await;
}

#[tokio::test]
async fn the_indicator_form_sets_margin_basis_and_trend_window_and_redisplays_errors() {
    each(async |app| {
        let goal = app.goal_id("Ökad valfrihet").await;
        let base = [
            ("name", "Nöjdhet med hemtjänsten"),
            ("unit", "%"),
            ("direction", "higher"),
            ("source", "Socialstyrelsens brukarundersökning"),
            ("decimals", "0"),
            ("frequency", "year"),
        ];
        let with = |extra: &[(&'static str, &'static str)]| {
            let mut form = base.to_vec();
            form.extend_from_slice(extra);
            form
        };
        let (status, html, _) = app
            .post(
                &format!("/goals/{goal}/indicators/new"),
                &with(&[
                    ("margin_basis", "survey_n"),
                    ("respondents", ""),
                    ("trend_window", "alla"),
                ]),
            )
            .await;
        assert_eq!(status, 422);
        assert!(html.contains("Ange antal svar"), "{html}");
        assert!(
            html.contains("<option value=\"survey_n\" selected>"),
            "{html}"
        );
        assert!(html.contains("<option value=\"alla\" selected>"), "{html}");
        let before = app.store().counts().await.unwrap().indicators;

        let (status, html, _) = app
            .post(
                &format!("/goals/{goal}/indicators/new"),
                &with(&[("margin_basis", "gissning"), ("trend_window", "series")]),
            )
            .await;
        assert_eq!(status, 422, "{html}");
        assert_eq!(app.store().counts().await.unwrap().indicators, before);

        let (status, _, location) = app
            .post(
                &format!("/goals/{goal}/indicators/new"),
                &with(&[
                    ("margin_basis", "survey_n"),
                    ("respondents", "480"),
                    ("trend_window", "series"),
                ]),
            )
            .await;
        assert_eq!(status, 303);
        let ind: i64 = location
            .unwrap()
            .trim_start_matches("/indicators/")
            .parse()
            .unwrap();
        let i = app.store().indicator_record(ind).await.unwrap().indicator;
        assert_eq!(
            i.margin_basis,
            Some(MarginBasis::Survey {
                respondents: Some(480)
            })
        );
        assert_eq!(i.trend_window, TrendWindow::Series);
        let (_, html) = app.get(&format!("/indicators/{ind}/edit")).await;
        assert!(
            html.contains("<option value=\"survey_n\" selected>"),
            "{html}"
        );
        assert!(
            html.contains("<option value=\"series\" selected>"),
            "{html}"
        );
        assert!(html.contains("value=\"480\""), "{html}");
        assert!(
            html.contains("Enligt källan (Urvalsundersökning)"),
            "the implied basis is named: {html}"
        );

        // Back to the source's basis.
        let (status, _, _) = app
            .post(
                &format!("/indicators/{ind}/edit"),
                &with(&[("margin_basis", "source"), ("trend_window", "last_two")]),
            )
            .await;
        assert_eq!(status, 303);
        let i = app.store().indicator_record(ind).await.unwrap().indicator;
        assert_eq!(
            (i.margin_basis, i.trend_window),
            (None, TrendWindow::LastTwo)
        );
    })
    .await;
}

/// The row of an indicator on a goal page (from its link to the end of the row).
fn row_of(html: &str, id: i64) -> &str {
    let start = html
        .find(&format!("<a href=\"/indicators/{id}\">"))
        .expect("the indicator is listed");
    let end = html[start..].find("</tr>").unwrap() + start;
    &html[start..end]
}

#[tokio::test]
async fn a_goal_page_judges_a_county_milestone_as_the_indicator_page_does() {
    each(async |app| {
        let id = app
            .indicator_id("Betygsindex för gång- och cykelvägar")
            .await;
        let goal = app.goal_id("Förbättrad infrastruktur").await;
        let mut w = app
            .store()
            .writer("test", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        w.set_milestone(id, 2019, Some(Target::parse("> Länssnitt").unwrap()))
            .await
            .unwrap();
        w.add_comparison(
            id,
            &Comparison {
                period: Period::Year(2019),
                group: "Stockholms län".into(),
                rank: None,
                of: None,
                average: Some(50.0),
            },
        )
        .await
        .unwrap();
        w.commit().await.unwrap();
        let (_, page) = app.get(&format!("/indicators/{id}")).await;
        assert!(page.contains("id=\"indicator-status\">Uppnått"), "{page}");
        assert!(
            page.contains("Länssnitt. Stockholms län 2019: 50. Utfall 52: uppnått."),
            "{page}"
        );
        let (status, html) = app.get(&format!("/goals/{goal}?period=2019")).await;
        assert_eq!(status, 200);
        let row = row_of(&html, id);
        assert!(row.contains("status-achieved"), "{row}");
    })
    .await;
}
