//! The site made for residents, on both backends: the visitor's start page (KF's decided
//! goals, how it went, the boards), the boards' goals under a KF goal, share metadata,
//! robots.txt and the sitemap, and the accessibility statement with its gaps file.

mod common;

use common::{decided_apps, App};
use uppsikt_domain::model::GoalKind;

/// A KF goal of 2019 that no board's decided goal serves: nothing of it is decided.
const UNDECIDED_KF_GOAL: &str = "Utbildning med hög kvalitet";

async fn get(base: &str, path: &str) -> (u16, String, reqwest::header::HeaderMap) {
    let r = reqwest::get(format!("{base}{path}")).await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, r.text().await.unwrap(), headers)
}

/// Adds a KF goal written after the decisions: the public rule keeps it out until it
/// holds decided data.
async fn add_undecided_kf_goal(app: &App, title: &str) -> i64 {
    let kf = app.org_id("KF").await;
    let mut w = app
        .store()
        .writer("test", uppsikt_store::ChangeSource::Form)
        .await
        .unwrap();
    let id = w
        .create_goal(&uppsikt_store::GoalInput {
            key: String::new(),
            org_id: kf,
            parent_id: None,
            title: title.into(),
            description: String::new(),
            kind: GoalKind::Overall,
            position: 99,
        })
        .await
        .unwrap();
    w.commit().await.unwrap();
    id
}

#[tokio::test]
async fn a_visitors_start_page_shows_what_kf_decided_and_nothing_undecided() {
    for app in decided_apps().await {
        let undecided = add_undecided_kf_goal(&app, "Obeslutat mål om cykelvägar").await;
        let ks = app.org_id("KS").await;
        let kf = app.org_id("KF").await;
        let root = app.org_id("Huddinge").await;
        let promised = app.goal_id("Bra att leva och bo").await;
        let (status, html) = app.get_as(None, "/").await;
        assert_eq!(status, 200);
        assert!(html.contains("<title>Huddinge kommun: mål och resultat – uppsikt</title>"));
        // What the municipality promised: KF's goals with decided content, 2019 and 2023.
        assert!(html.contains(&format!("href=\"/goals/{promised}\"")));
        assert!(html.contains("Bra att leva och bo"));
        assert!(html.contains("Huddinge är trivsamt och tryggt för alla invånare"));
        assert!(
            html.contains("10 mål hos nämnderna"),
            "KS's ten goals under it"
        );
        for hidden in [UNDECIDED_KF_GOAL, "Obeslutat mål om cykelvägar"] {
            assert!(!html.contains(hidden), "{hidden} is not decided");
        }
        assert!(!html.contains(&format!("/goals/{undecided}")));
        // How it went: KS's decided 2019 assessments counted per level, honestly.
        assert!(html.contains("Kommunstyrelsen, 2019"));
        assert!(html.contains("Kommunstyrelsen bedömde"));
        assert!(html.contains("<th scope=\"row\">Godtagbar</th>"));
        assert!(html.contains("Ej godtagbar"));
        assert!(
            html.contains(
                "Kommunfullmäktige har inte beslutat någon bedömning av sina mål för 2023"
            ),
            "KF's 2023 assessment is not recorded: said so"
        );
        for working in ["Systemets förslag", "Föreslagen", "Underlag saknas"] {
            assert!(!html.contains(working), "{working} is working material");
        }
        // The boards a decision covers, and the ways further.
        assert!(html.contains(&format!("href=\"/org/{ks}\">Kommunstyrelsen</a>")));
        assert!(html.contains(&format!("href=\"/org/{kf}\">Kommunfullmäktige</a>")));
        assert!(!html.contains(&format!("href=\"/org/{root}\"")));
        for link in ["/sok", "/oppna-data", "/tillganglighet", "/areas"] {
            assert!(html.contains(&format!("href=\"{link}\"")), "{link}");
        }
        assert!(html.contains("En nämnd är"), "nämnd explained in passing");
        assert!(
            html.contains("indikatorer, alltså"),
            "indikator explained in passing"
        );
        app.finish().await;
    }
}

#[tokio::test]
async fn a_signed_in_start_page_is_the_organisation_page_as_before() {
    for app in decided_apps().await {
        let reader = app.session_for("lasare").await;
        let (status, html) = app.get_as(Some(&reader), "/").await;
        assert_eq!(status, 200);
        assert!(html.contains("<h1>Organisation och mål</h1>"));
        assert!(html.contains("<ul class=\"tree\">"));
        assert!(html.contains(UNDECIDED_KF_GOAL) || html.contains("Kommunfullmäktige"));
        assert!(
            !html.contains("Så gick det"),
            "the residents' page is for visitors"
        );
        app.finish().await;
    }
}

#[tokio::test]
async fn a_kf_goal_page_lists_the_boards_goals_with_assessments_and_indicators() {
    for app in decided_apps().await {
        let promised = app.goal_id("Bra att leva och bo").await;
        let homes = app.goal_id("Ökat bostadsbyggande").await;
        let ind = app
            .indicator_id("Antal färdigställda bostäder (Totalt)")
            .await;
        let (status, html) = app.get_as(None, &format!("/goals/{promised}")).await;
        assert_eq!(status, 200);
        let section = html
            .split("id=\"serving-h\"")
            .nth(1)
            .expect("the boards' goals are listed");
        assert!(section.contains(&format!("href=\"/goals/{homes}\">Ökat bostadsbyggande</a>")));
        assert!(section.contains("(KS)"));
        assert!(section.contains("Godtagbar (2019)"), "KS's decided level");
        assert!(section.contains(&format!("href=\"/indicators/{ind}\"")));
        assert!(!section.contains("Föreslagen"));
        let (status, _) = app
            .get_as(
                None,
                &format!("/goals/{}", app.goal_id(UNDECIDED_KF_GOAL).await),
            )
            .await;
        assert_eq!(status, 404, "an undecided KF goal has no public page");
        app.finish().await;
    }
}

#[tokio::test]
async fn pages_carry_escaped_share_metadata_and_a_canonical_link_only_with_an_origin() {
    for app in decided_apps().await {
        let goal = app.goal_id("Ökat bostadsbyggande").await;
        let ks = app.org_id("KS").await;
        let before = app.store().goal(goal).await.unwrap();
        let mut w = app
            .store()
            .writer("test", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        w.update_goal(
            goal,
            &uppsikt_store::GoalInput {
                key: before.key.clone(),
                org_id: before.org_id,
                parent_id: before.parent_id,
                title: "Bygg \"<&\" nu".into(),
                description: before.description.clone(),
                kind: before.kind,
                position: before.position,
            },
        )
        .await
        .unwrap();
        w.commit().await.unwrap();
        let (status, html) = app.get_as(None, &format!("/goals/{goal}")).await;
        assert_eq!(status, 200);
        let escaped = "Bygg &#34;&#60;&#38;&#34; nu";
        let head = html.split("</head>").next().unwrap();
        assert!(
            html.contains(&format!(
                "<meta name=\"description\" content=\"Nämndmål för Kommunstyrelsen: {escaped}."
            )),
            "{head}"
        );
        assert!(html.contains(&format!(
            "<meta property=\"og:title\" content=\"{escaped} 2019 – uppsikt\">"
        )));
        assert!(html.contains(&format!(
            "<meta property=\"og:description\" content=\"Nämndmål för Kommunstyrelsen: {escaped}."
        )));
        assert!(!html.contains("Bygg \"<&\" nu"), "never unescaped");
        for tag in [
            "<meta property=\"og:type\" content=\"website\">",
            "<meta property=\"og:locale\" content=\"sv_SE\">",
            "<meta property=\"og:site_name\" content=\"uppsikt\">",
        ] {
            assert!(html.contains(tag), "{tag}");
        }
        assert!(
            !html.contains("rel=\"canonical\""),
            "no configured origin: no canonical"
        );
        assert!(!html.contains("og:url"));

        let twin = app
            .twin(uppsikt_web::ServerOptions {
                canonical_origin: Some("https://uppsikt.huddinge.se".into()),
                ..Default::default()
            })
            .await;
        let (_, html, _) = get(&twin.base, &format!("/org/{ks}?period=2019&x=\"><b>")).await;
        let url = format!("https://uppsikt.huddinge.se/org/{ks}?period=2019");
        assert!(html.contains(&format!("<link rel=\"canonical\" href=\"{url}\">")));
        assert!(html.contains(&format!("<meta property=\"og:url\" content=\"{url}\">")));
        assert!(!html.contains("<b>"), "nothing of the query is echoed");
        let (status, html, _) = get(&twin.base, "/org/999999").await;
        assert_eq!(status, 404);
        assert!(
            !html.contains("rel=\"canonical\""),
            "a missing page has none"
        );
        app.finish().await;
    }
}

#[tokio::test]
async fn robots_txt_and_the_sitemap_name_only_public_pages() {
    for app in decided_apps().await {
        let undecided = add_undecided_kf_goal(&app, "Obeslutat mål om parker").await;
        let (status, robots, headers) = get(&app.base, "/robots.txt").await;
        assert_eq!(status, 200);
        assert!(headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain"));
        for line in [
            "User-agent: *",
            "Allow: /api/public",
            "Disallow: /login",
            "Disallow: /konto",
            "Disallow: /api\n",
        ] {
            assert!(robots.contains(line), "{line}");
        }
        assert!(
            !robots.contains("Sitemap:"),
            "no origin: no absolute sitemap address"
        );
        let (status, _, _) = get(&app.base, "/sitemap.xml").await;
        assert_eq!(status, 404, "a sitemap needs the public origin");
        let (status, _, _) = app.post_as(None, "/robots.txt", &[]).await;
        assert_ne!(status, 200, "robots.txt is read, never written");

        let origin = "https://uppsikt.huddinge.se";
        let twin = app
            .twin(uppsikt_web::ServerOptions {
                canonical_origin: Some(origin.into()),
                ..Default::default()
            })
            .await;
        let (_, robots, _) = get(&twin.base, "/robots.txt").await;
        assert!(robots.contains(&format!("Sitemap: {origin}/sitemap.xml")));
        let (status, xml, headers) = get(&twin.base, "/sitemap.xml").await;
        assert_eq!(status, 200);
        assert!(headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/xml"));
        let ks = app.org_id("KS").await;
        let root = app.org_id("Huddinge").await;
        let promised = app.goal_id("Bra att leva och bo").await;
        let hidden = app.goal_id(UNDECIDED_KF_GOAL).await;
        let ind = app
            .indicator_id("Antal färdigställda bostäder (Totalt)")
            .await;
        for url in [
            format!("{origin}/"),
            format!("{origin}/org/{ks}"),
            format!("{origin}/goals/{promised}"),
            format!("{origin}/indicators/{ind}"),
            format!("{origin}/tillganglighet"),
        ] {
            assert!(xml.contains(&format!("<loc>{url}</loc>")), "{url}");
        }
        for url in [
            format!("{origin}/org/{root}<"),
            format!("{origin}/goals/{hidden}<"),
            format!("{origin}/goals/{undecided}<"),
            format!("{origin}/login"),
            format!("{origin}/uppsikt"),
        ] {
            assert!(!xml.contains(&url), "{url} is not public");
        }
        // Every address in it answers a visitor.
        for loc in xml.split("<loc>").skip(1).take(40) {
            let url = loc.split("</loc>").next().unwrap();
            let path = url.strip_prefix(origin).unwrap();
            if path == "/oppna-data" {
                continue; // built by another part of issue 23
            }
            let (status, _) = app.get_as(None, path).await;
            assert_eq!(status, 200, "{path}");
        }
        app.finish().await;
    }
}

#[derive(serde::Deserialize)]
struct GapsFile {
    reviewed: String,
    gaps: Vec<GapEntry>,
}

#[derive(serde::Deserialize)]
struct GapEntry {
    title: String,
    wcag: Vec<String>,
}

#[tokio::test]
async fn the_accessibility_statement_renders_the_gaps_file_and_the_contact() {
    let file: GapsFile =
        serde_json::from_str(include_str!("../accessibility.json")).expect("valid gaps file");
    for app in decided_apps().await {
        let (status, html) = app.get_as(None, "/tillganglighet").await;
        assert_eq!(status, 200);
        for heading in [
            "Hur tillgänglig är webbplatsen?",
            "Vad kan du göra om du inte kan använda delar av webbplatsen?",
            "Rapportera brister i webbplatsens tillgänglighet",
            "Tillsyn",
            "Teknisk information om webbplatsens tillgänglighet",
            "Innehåll som inte är tillgängligt",
            "Hur vi testat webbplatsen",
        ] {
            assert!(html.contains(&format!("{heading}</h2>")), "{heading}");
        }
        assert!(html.contains("lagen (2018:1937)"));
        assert!(html.contains("href=\"https://www.digg.se/tdosanmalan\""));
        assert!(html.contains("WCAG 2.1"));
        assert!(html.contains(&format!("uppdaterades senast {}", file.reviewed)));
        assert!(html.contains("390 pixlar") && html.contains("768 pixlar"));
        for gap in &file.gaps {
            assert!(
                html.contains(&gap.title.replace('"', "&#34;")),
                "{}",
                gap.title
            );
            for w in &gap.wcag {
                assert!(html.contains(w.as_str()));
            }
        }
        if file.gaps.is_empty() {
            assert!(html.contains("Vi känner inte till något innehåll som inte är tillgängligt."));
        } else {
            assert!(html.contains("delvis förenlig"));
        }
        assert!(
            html.contains("Kontaktuppgift saknas"),
            "no contact configured: said to be missing, none invented"
        );
        assert!(!html.contains("mailto:"));

        // Linked from every page's footer, for visitors and the signed-in alike.
        let ks = app.org_id("KS").await;
        let reader = app.session_for("lasare").await;
        for (who, path) in [
            (None, "/".to_string()),
            (None, format!("/org/{ks}")),
            (Some(&reader), "/uppsikt".to_string()),
        ] {
            let (_, page) = app.get_as(who, &path).await;
            let footer = page.split("<footer").nth(1).unwrap();
            assert!(footer.contains("href=\"/tillganglighet\""), "{path}");
        }

        let contact =
            uppsikt_web::parse_accessibility_contact("tillganglighet@huddinge.se").unwrap();
        let twin = app
            .twin(uppsikt_web::ServerOptions {
                accessibility_contact: Some(contact),
                ..Default::default()
            })
            .await;
        let (_, html, _) = get(&twin.base, "/tillganglighet").await;
        assert!(html.contains("href=\"mailto:tillganglighet@huddinge.se\""));
        assert!(!html.contains("Kontaktuppgift saknas"));
        app.finish().await;
    }
}

#[test]
fn a_contact_that_is_neither_an_address_nor_a_web_page_is_refused() {
    for bad in [
        "",
        "javascript:alert(1)",
        "\"><script>@x.se",
        "ingen adress",
    ] {
        let e = uppsikt_web::parse_accessibility_contact(bad).unwrap_err();
        assert!(
            e.contains("varken en e-postadress eller en webbadress"),
            "{e}"
        );
    }
}
