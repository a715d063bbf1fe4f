//! The area family loaded from data files on both backends: the demo reproduces the
//! audits' findings from the stored data (2 of 4 duties of Lag (2023:196) met, the
//! åtgärdsplan overdue from 2024-07-01, Vårby at level 5 in a lägesbild not presented to
//! KS), loading it again changes nothing, and a refused file leaves the database as it was
//! (the seed's "Lag (2023:193)" and personal identity numbers among the refusals).

use uppsikt_domain::area::{AreaKind, AreaRefusal, PoliceClass};
use uppsikt_domain::messages::{self, area::refusal};
use uppsikt_domain::obligation::{compliance, overdue, ComplianceStatus};
use uppsikt_domain::situation::{presentation_overdue, ReportStatus, SituationKind};
use uppsikt_import::{load, load_demo, parse_json, parse_str, ImportReport, Summary, DEMO};
use uppsikt_store::testing::TestDb;
use uppsikt_store::{ChangeSource, Store};

async fn load_text(store: &Store, text: &str) -> Result<Summary, ImportReport> {
    let data = parse_str("omraden.toml", text)?;
    load(store, &data, "test", ChangeSource::Cli).await
}

/// Everything of the area family as stored, for "nothing changed".
async fn family(store: &Store) -> String {
    let statutes = store.statutes().await.unwrap();
    let mut obligations = Vec::new();
    for s in &statutes {
        obligations.extend(store.obligations(s.id).await.unwrap());
    }
    serde_json::to_string(&(
        store.areas().await.unwrap(),
        store.level_scale().await.unwrap(),
        store.situation_reports(None, None).await.unwrap(),
        store.forums().await.unwrap(),
        store.agreements().await.unwrap(),
        statutes,
        obligations,
    ))
    .unwrap()
}

#[tokio::test]
async fn the_demo_gives_two_of_four_and_the_plan_overdue_from_2024_07_01() {
    for db in TestDb::all().await {
        eprintln!("safety demo on {:?}", db.backend());
        let store = &db.store;
        let summary = load_demo(store, "demo")
            .await
            .unwrap_or_else(|r| panic!("{r}"));
        assert_eq!(
            (
                summary.areas,
                summary.situation_reports,
                summary.forums,
                summary.agreements,
                summary.statutes,
                summary.obligations
            ),
            (12, 2, 14, 8, 1, 8)
        );

        let law = store
            .statute_by_sfs("2023:196")
            .await
            .unwrap()
            .expect("Lag (2023:196)");
        assert_eq!(law.in_force.as_deref(), Some("2023-07-01"));
        let duties = store.obligations(law.id).await.unwrap();
        let c = compliance(&duties);
        assert_eq!(c.summary_sv(), "2 av 4");
        let met: Vec<&str> = duties
            .iter()
            .filter(|o| o.status() == ComplianceStatus::Met)
            .map(|o| o.code.as_str())
            .collect();
        assert_eq!(met, ["L4", "L6"]);

        let facts = store.evidence_facts().await.unwrap();
        let plan = duties.iter().find(|o| o.code == "L2").expect("L2");
        assert_eq!(overdue(plan, &facts, "2024-07-01"), None);
        assert_eq!(
            overdue(plan, &facts, "2024-07-02").as_deref(),
            Some("2024-07-01")
        );
        // The lägesbild is evidence for L1 but lacks the law's content: L1 stays unmet.
        let l1 = duties.iter().find(|o| o.code == "L1").expect("L1");
        assert_eq!(l1.evidence.len(), 1);
        assert!(l1.evidence[0].ref_id.is_some());
        assert!(!facts
            .complete_reports
            .contains(&l1.evidence[0].ref_id.unwrap()));

        let reports = store.situation_reports(None, None).await.unwrap();
        let lb = reports
            .iter()
            .find(|r| r.title == "Övergripande lägesbild 2023")
            .expect("LB-2023-ÖVG");
        assert_eq!(lb.kind, SituationKind::Overall);
        assert_eq!(lb.unnamed_levels, vec![3, 3]);
        let varby = store.area_by_name("Vårby").await.unwrap().expect("Vårby");
        assert_eq!(lb.level_of(varby.id), Some(5));
        assert_eq!(lb.levels.len(), 1, "no other named area gets a level");
        let scale = store.level_scale().await.unwrap();
        assert!(scale.definitions.is_empty());
        assert!(
            presentation_overdue(lb, &scale, "2024-06-01").is_some(),
            "not presented to KS"
        );
        assert!(reports
            .iter()
            .any(|r| r.status == ReportStatus::InPreparation));

        let grantorp = store
            .area_by_name("Grantorp")
            .await
            .unwrap()
            .expect("Grantorp");
        assert_eq!(grantorp.kind, Some(AreaKind::PoliceArea));
        assert_eq!(grantorp.parent_id, None);
        let class = grantorp.class_in(2024).expect("classified 2024");
        assert_eq!(
            (class.class, class.year),
            (PoliceClass::Vulnerable, Some(2024))
        );

        let forums = store.forums().await.unwrap();
        assert_eq!(forums.len(), 14);
        assert!(forums.iter().all(|f| f.code != "F15"));

        // Again: nothing changes; the file alone again writes nothing, not even to the
        // change log.
        let before = family(store).await;
        load_demo(store, "demo")
            .await
            .unwrap_or_else(|r| panic!("{r}"));
        assert_eq!(family(store).await, before);
        let log = store.counts().await.unwrap().change_log;
        let (_, text) = *DEMO
            .iter()
            .find(|(name, _)| name.ends_with("safety.toml"))
            .expect("safety.toml in the demo");
        load_text(store, text)
            .await
            .unwrap_or_else(|r| panic!("{r}"));
        assert_eq!(family(store).await, before);
        assert_eq!(store.counts().await.unwrap().change_log, log);
        db.finish().await;
    }
}

/// The demo's deviations: the rules raise Vårby at level 5 in 2023, and the åtgärdsplan
/// and the lägesbild it rests on overdue from 2024-07-01, once each, on KS, from the
/// data alone.
#[tokio::test]
async fn the_demo_raises_the_audits_findings_from_the_data_once() {
    use uppsikt_domain::deviation::Source;
    for db in TestDb::all().await {
        let store = &db.store;
        load_demo(store, "demo")
            .await
            .unwrap_or_else(|r| panic!("{r}"));
        uppsikt_import::load_demo_deviations(store, "demo")
            .await
            .unwrap();
        let all = store.deviations(None).await.unwrap();
        let keys = |source: Source, start: &str| -> Vec<String> {
            all.iter()
                .map(|d| &d.deviation.raised)
                .filter(|r| r.source == source)
                .filter_map(|r| r.cause_key.clone())
                .filter(|k| k.starts_with(start))
                .collect()
        };
        let level = keys(Source::SituationReport, "situation-level:");
        assert_eq!(level.len(), 1, "{level:?}");
        let varby = all
            .iter()
            .map(|d| &d.deviation.raised)
            .find(|r| r.cause_key.as_deref() == Some(level[0].as_str()))
            .unwrap();
        assert_eq!(varby.area.as_deref(), Some("Vårby"));
        assert_eq!(
            keys(Source::SituationReport, "situation-not-presented:").len(),
            1
        );
        let overdue = keys(Source::Obligation, "obligation-overdue:");
        assert_eq!(overdue.len(), 2, "L1 and L2: {overdue:?}");
        assert!(overdue.iter().all(|k| k.ends_with(":2024-07-01")));
        // L1, L2, L3 and L5 assessed as not met.
        assert_eq!(keys(Source::Obligation, "obligation-unmet:").len(), 4);
        assert_eq!(
            uppsikt_import::load_demo_deviations(store, "demo")
                .await
                .unwrap(),
            0
        );
        db.finish().await;
    }
}

const ORG: &str = r#"format = "uppsikt/1"

[[org_units]]
key = "kommun"
name = "Kommunen"
short_name = "Kommun"
kind = "kommun"

[[org_units]]
key = "ks"
name = "Kommunstyrelsen"
short_name = "KS"
kind = "styrelse"
parent = "kommun"

[[areas]]
name = "Vårby"
kind = "kommundel"

[situation_scale]
board = "ks"

[[statutes]]
sfs = "2023:196"
title = "Lag (2023:196) om kommuners ansvar för brottsförebyggande arbete"
leading = "ks"

[[forums]]
key = "F03"
name = "Styrgruppen"
documented = "ja"
"#;

const AGREEMENT: &str = r#"
[[agreements]]
key = "AG-2023-24"
kind = "samverkansoverenskommelse"
title = "Samverkansöverenskommelse 2023–2024"
statutes = ["2023:196"]
areas = ["Vårby"]
"#;

const REPORT: &str = r#"
[[situation_reports]]
key = "lb"
kind = "tertial"
title = "Tertiallägesbild 2024:1"
period_start = "2024-01-01"
period_end = "2024-04-30"
levels = { "Vårby" = 4 }
summary = "Fler anmälda rån än föregående tertial."
"#;

#[tokio::test]
async fn the_seeds_2023_193_is_refused_naming_2023_196_and_nothing_is_written() {
    for db in TestDb::all().await {
        let store = &db.store;
        load_text(store, ORG)
            .await
            .unwrap_or_else(|r| panic!("{r}"));
        let before = family(store).await;
        let counts = store.counts().await.unwrap();

        let typo = AGREEMENT.replace("[\"2023:196\"]", "[\"2023:193\"]");
        let report = load_text(store, &format!("{ORG}{REPORT}{typo}"))
            .await
            .expect_err("2023:193 is not registered");
        assert_eq!(report.errors.len(), 1, "{report}");
        assert_eq!(report.errors[0].location, "agreements[0].statutes[0]");
        assert_eq!(
            report.errors[0].message,
            refusal(&AreaRefusal::UnknownStatute(
                "2023:193".into(),
                Some("2023:196".into())
            ))
        );
        assert!(report.errors[0].message.contains("2023:196"));
        assert_eq!(family(store).await, before);
        assert_eq!(store.counts().await.unwrap(), counts);

        // The right number loads.
        load_text(store, &format!("{ORG}{REPORT}{AGREEMENT}"))
            .await
            .unwrap_or_else(|r| panic!("{r}"));
        assert_eq!(store.agreements().await.unwrap()[0].statutes, ["2023:196"]);
        db.finish().await;
    }
}

#[tokio::test]
async fn a_refused_row_is_named_and_nothing_is_written() {
    for db in TestDb::all().await {
        let store = &db.store;
        load_text(store, &format!("{ORG}{REPORT}{AGREEMENT}"))
            .await
            .unwrap_or_else(|r| panic!("{r}"));
        let before = family(store).await;
        let counts = store.counts().await.unwrap();

        // A personal identity number in a summary: refused when parsing.
        let pn = REPORT.replace(
            "än föregående tertial.",
            "än föregående tertial, 121212-1212.",
        );
        let report = load_text(store, &format!("{ORG}{pn}{AGREEMENT}"))
            .await
            .expect_err("personnummer");
        assert_eq!(report.errors.len(), 1, "{report}");
        assert_eq!(report.errors[0].location, "situation_reports[0].summary");
        assert!(
            report.errors[0].message.contains("dataskyddsförordningen"),
            "{report}"
        );

        // A level above the scale and an unknown area: refused before writing.
        let bad = REPORT.replace("{ \"Vårby\" = 4 }", "{ \"Vårby\" = 4, \"Atlantis\" = 2 }");
        let report = load_text(store, &format!("{ORG}{bad}{AGREEMENT}"))
            .await
            .expect_err("unknown area");
        assert_eq!(
            report.errors[0].location,
            "situation_reports[0].levels.Atlantis"
        );
        assert_eq!(report.errors[0].message, messages::unknown_area("Atlantis"));

        // "Uppfylld" without evidence that can fulfil the duty: refused by the store when
        // written, after the forum and report before it were; nothing stays.
        let duty = r#"
[[statutes.obligations]]
code = "L5"
duty = "Verka för ett strategiskt råd."
requirement = "3"
fulfilled_by = "forum"
assessments = [{ status = "uppfylld", assessed_by = "Kommunstyrelsen", assessed_on = "2024-03-01" }]
"#;
        let changed = REPORT.replace("Fler anmälda rån", "Färre anmälda rån");
        let text = format!("{ORG}{duty}{changed}{AGREEMENT}");
        let report = load_text(store, &text).await.expect_err("no evidence");
        assert_eq!(report.errors.len(), 1, "{report}");
        assert_eq!(report.errors[0].location, "statutes[0].obligations[0]");
        assert!(
            report.errors[0]
                .message
                .starts_with("Kravet kan inte bedömas som uppfyllt"),
            "{report}"
        );
        assert_eq!(family(store).await, before);
        assert_eq!(store.counts().await.unwrap(), counts);
        db.finish().await;
    }
}

#[test]
fn the_demo_file_reads_the_same_as_json() {
    let text = include_str!("../../../demo/safety.toml");
    let toml = parse_str("safety.toml", text).unwrap_or_else(|r| panic!("{r}"));
    let table: toml::Table = text.parse().unwrap();
    let json = serde_json::to_string(&table).unwrap();
    let from_json = parse_json("safety.toml", &json).unwrap_or_else(|r| panic!("{r}"));
    assert_eq!(from_json, toml);
}

#[tokio::test]
async fn an_area_row_changes_only_what_it_gives_and_parents_cannot_loop() {
    for db in TestDb::all().await {
        let store = &db.store;
        let first = format!(
            "{ORG}\n[[areas]]\nname = \"Grantorp\"\nkind = \"polisomrade\"\nparent = \"Vårby\"\nnote = \"Polisens område.\"\nclassifications = [{{ year = 2024, class = \"utsatt\", source = \"Polisens lägesbild\" }}]\n"
        );
        load_text(store, &first)
            .await
            .unwrap_or_else(|r| panic!("{r}"));
        // The earlier form: a class without year; kind, parent, note and the 2024 class stay.
        load_text(
            store,
            "format = \"uppsikt/1\"\n\n[[areas]]\nname = \"Grantorp\"\npolice_class = \"risk\"\n",
        )
        .await
        .unwrap_or_else(|r| panic!("{r}"));
        let g = store.area_by_name("Grantorp").await.unwrap().unwrap();
        let varby = store.area_by_name("Vårby").await.unwrap().unwrap();
        assert_eq!(g.kind, Some(AreaKind::PoliceArea));
        assert_eq!(g.parent_id, Some(varby.id));
        assert_eq!(g.note, "Polisens område.");
        let classes: Vec<(Option<i32>, PoliceClass)> = g
            .classifications
            .iter()
            .map(|c| (c.year, c.class))
            .collect();
        assert!(
            classes.contains(&(Some(2024), PoliceClass::Vulnerable)),
            "{classes:?}"
        );
        assert!(classes.contains(&(None, PoliceClass::Risk)), "{classes:?}");

        // Vårby under Grantorp would put Vårby under itself (through the database).
        let before = family(store).await;
        let report = load_text(
            store,
            "format = \"uppsikt/1\"\n\n[[areas]]\nname = \"Vårby\"\nparent = \"Grantorp\"\n",
        )
        .await
        .expect_err("a loop");
        assert_eq!(report.errors.len(), 1, "{report}");
        assert_eq!(report.errors[0].location, "areas[0].parent");
        assert_eq!(report.errors[0].message, refusal(&AreaRefusal::ParentCycle));
        assert_eq!(family(store).await, before);
        db.finish().await;
    }
}
