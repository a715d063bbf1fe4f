//! The crime-prevention register's forms over HTTP on both backends: areas with their
//! classifications, the level scale, situation reports with a level per area (a personal
//! identity number in the summary re-displays the form with the text kept and the Swedish
//! message, and stores nothing), presentations, forums and meetings, agreements (an
//! unknown SFS number names the registered one), statutes and duties, evidence and status
//! assessments (by the responsible board's editor and by the auditors); and a refusal for
//! every route (visitor, reader, an editor, and for assessments an editor of another
//! board) that changes nothing. Each test makes its own data through the store's writer;
//! the object pages the forms redirect to are not this file's.

mod common;

use common::App;
use uppsikt_domain::area::{Area, AreaKind, PoliceClass};
use uppsikt_domain::forum::{Activity, Agreement, AgreementKind, Documented, FocusArea, Forum};
use uppsikt_domain::model::Id;
use uppsikt_domain::obligation::{ComplianceStatus, Evidence, EvidenceKind, Obligation, Statute};
use uppsikt_domain::situation::{ReportStatus, SituationKind, SituationReport};
use uppsikt_store::ChangeSource;

async fn each(test: impl AsyncFn(&App)) {
    for app in common::apps().await {
        eprintln!("backend: {:?}", app.db.backend());
        test(&app).await;
        app.finish().await;
    }
}

/// What the tests make before they start: one of each kind.
struct Data {
    area: Id,
    report: Id,
    forum: Id,
    agreement: Id,
    statute: Id,
    duty: Id,
    evidence: Id,
}

/// A statute no seed has, so that the tests do not depend on the demo's register.
const SFS: &str = "2030:5";

fn area(name: &str) -> Area {
    Area {
        id: 0,
        name: name.into(),
        kind: Some(AreaKind::District),
        parent_id: None,
        note: String::new(),
        classifications: Vec::new(),
    }
}

fn forum(name: &str) -> Forum {
    Forum {
        id: 0,
        code: "T01".into(),
        name: name.into(),
        purpose: "Prova formulären".into(),
        chair: String::new(),
        members: Vec::new(),
        cadence: String::new(),
        reports_to_unit: None,
        reports_to_forum: None,
        reports_what: String::new(),
        documented: Documented::Partly,
        evaluated_on: None,
        evaluation: String::new(),
        area_ids: Vec::new(),
        council: None,
        meetings: Vec::new(),
        note: String::new(),
    }
}

async fn seed(app: &App) -> Data {
    let ks = app.org_id("KS").await;
    let mut w = app
        .store()
        .writer("test", ChangeSource::Form)
        .await
        .unwrap();
    let area = w.create_area(&area("Testområde Norr")).await.unwrap();
    let forum = w.create_forum(&forum("Testforum")).await.unwrap();
    let report = w
        .create_situation_report(&SituationReport {
            id: 0,
            kind: SituationKind::Tertial,
            title: "Testlägesbild T1".into(),
            period_start: "2024-01-01".into(),
            period_end: "2024-04-30".into(),
            producer: "OSG".into(),
            producer_forum_id: None,
            status: ReportStatus::InPreparation,
            levels: Vec::new(),
            unnamed_levels: Vec::new(),
            checklist: Default::default(),
            summary: String::new(),
            public: false,
            synthetic: false,
            presentations: Vec::new(),
        })
        .await
        .unwrap();
    let statute = w
        .create_statute(&Statute {
            id: 0,
            sfs: SFS.into(),
            title: "Testlagen".into(),
            in_force: Some("2030-01-01".into()),
            leading_unit_id: Some(ks),
            url: String::new(),
            note: String::new(),
        })
        .await
        .unwrap();
    let duty = w
        .create_obligation(&Obligation {
            id: 0,
            statute_id: statute,
            code: "T1".into(),
            section: String::new(),
            duty: "Ta fram en lägesbild".into(),
            checklist: Vec::new(),
            requirement: Some("1".into()),
            first_due: Some("2024-07-01".into()),
            every_months: Some(24),
            responsible_unit_id: Some(ks),
            fulfilled_by: Some(EvidenceKind::SituationReport),
            evidence: Vec::new(),
            assessments: Vec::new(),
            note: String::new(),
        })
        .await
        .unwrap();
    let evidence = w
        .add_evidence(
            duty,
            &Evidence {
                id: 0,
                kind: EvidenceKind::Decision,
                ref_id: None,
                date: Some("2024-01-10".into()),
                text: "KS 2024-01-10 § 3".into(),
            },
        )
        .await
        .unwrap();
    let agreement = w
        .create_agreement(&Agreement {
            id: 0,
            code: "TEST-1".into(),
            kind: AgreementKind::Collaboration,
            title: "Testöverenskommelsen".into(),
            parties: Vec::new(),
            valid_from: None,
            valid_to: None,
            purpose: String::new(),
            // An activity plan as import brings it: the form keeps it.
            focus_areas: vec![FocusArea {
                id: 0,
                name: "Trygghet i offentlig miljö".into(),
                has_plan: true,
                activities: vec![Activity {
                    id: 0,
                    title: "Trygghetsvandringar".into(),
                    problem: "Otrygghet kvällstid".into(),
                    goal_short: String::new(),
                    goal_long: String::new(),
                    owner: "OSG".into(),
                    frequency: "varje månad".into(),
                    follow_up: String::new(),
                    effect_indicator_id: None,
                }],
            }],
            governing_forum_id: None,
            situation_report_id: None,
            statutes: Vec::new(),
            area_ids: Vec::new(),
            note: String::new(),
        })
        .await
        .unwrap();
    w.commit().await.unwrap();
    Data {
        area,
        report,
        forum,
        agreement,
        statute,
        duty,
        evidence,
    }
}

fn location_id(location: &Option<String>, prefix: &str) -> Id {
    let l = location.as_deref().expect("a redirect");
    l.strip_prefix(prefix)
        .and_then(|rest| rest.parse().ok())
        .unwrap_or_else(|| panic!("{l} is not {prefix}{{id}}"))
}

#[tokio::test]
async fn every_route_refuses_who_may_not_and_changes_nothing() {
    each(async |app| {
        let d = seed(app).await;
        let reader = app.session_for("lasare").await;
        let ks_editor = app.session_for("redaktor-ks").await;
        let fsn_editor = app.session_for("redaktor-fsn").await;
        let auditor = app.session_for("revisor").await;
        let version = app.store().data_version().await.unwrap();
        // The register: controllers and administrators only.
        let register = vec![&reader, &ks_editor, &auditor];
        let routes: Vec<common::Route> = vec![
            ("/areas/new".into(), vec![("name", "X")], register.clone()),
            (
                format!("/areas/{}/edit", d.area),
                vec![("name", "X")],
                register.clone(),
            ),
            (
                "/situation-reports/scale".into(),
                vec![("max_level", "5"), ("threshold", "4")],
                register.clone(),
            ),
            (
                "/situation-reports/new".into(),
                vec![("title", "X")],
                register.clone(),
            ),
            (
                format!("/situation-reports/{}/edit", d.report),
                vec![("title", "X")],
                register.clone(),
            ),
            (
                format!("/situation-reports/{}/presentations/new", d.report),
                vec![("date", "2024-05-01")],
                register.clone(),
            ),
            ("/forums/new".into(), vec![("name", "X")], register.clone()),
            (
                format!("/forums/{}/edit", d.forum),
                vec![("name", "X")],
                register.clone(),
            ),
            (
                format!("/forums/{}/meetings/new", d.forum),
                vec![("date", "2024-05-01")],
                register.clone(),
            ),
            (
                "/agreements/new".into(),
                vec![("title", "X")],
                register.clone(),
            ),
            (
                format!("/agreements/{}/edit", d.agreement),
                vec![("title", "X")],
                register.clone(),
            ),
            (
                "/statutes/new".into(),
                vec![("sfs", "2031:1")],
                register.clone(),
            ),
            (
                format!("/statutes/{}/edit", d.statute),
                vec![("sfs", SFS)],
                register.clone(),
            ),
            (
                format!("/statutes/{}/obligations/new", d.statute),
                vec![("code", "T9")],
                register.clone(),
            ),
            (
                format!("/obligations/{}/edit", d.duty),
                vec![("code", "T1")],
                register.clone(),
            ),
            (
                format!("/obligations/{}/evidence/new", d.duty),
                vec![("kind", "beslut")],
                register.clone(),
            ),
            (
                format!("/obligations/{}/evidence/{}/remove", d.duty, d.evidence),
                vec![],
                register.clone(),
            ),
            // A duty's status: also the auditors and the responsible board's editors,
            // not an editor of another board.
            (
                format!("/obligations/{}/assessments/new", d.duty),
                vec![
                    ("status", "ej_uppfylld"),
                    ("assessed_by", "X"),
                    ("assessed_on", "2024-01-01"),
                ],
                vec![&reader, &fsn_editor],
            ),
        ];
        common::assert_routes_refused(app, &routes).await;
        assert_eq!(
            app.store().data_version().await.unwrap(),
            version,
            "nothing changed"
        );
        // Those the assessment route lets through see its form.
        let path = format!("/obligations/{}/assessments/new", d.duty);
        for s in [&ks_editor, &auditor] {
            let (status, html) = app.get_as(Some(s), &path).await;
            assert_eq!(status, 200, "{html}");
        }
        let (status, _) = app.get(&path).await;
        assert_eq!(status, 200, "the administrator");
        // An address that names nothing is not found, for those let through.
        assert_eq!(app.get("/areas/999999/edit").await.0, 404);
        assert_eq!(app.get("/obligations/999999/edit").await.0, 404);
    })
    .await;
}

#[tokio::test]
async fn an_area_is_added_with_its_classifications_and_placed_in_another() {
    each(async |app| {
        let d = seed(app).await;
        let controller = app.session_for("controller").await;
        let (status, html) = app.get_as(Some(&controller), "/areas/new").await;
        assert_eq!(status, 200);
        assert!(html.contains("Klassning 3"), "three empty rows");
        let (status, _, location) = app
            .post_as(
                Some(&controller),
                "/areas/new",
                &[
                    ("name", "Testområde Söder"),
                    ("kind", "kommundel"),
                    ("parent", ""),
                    ("note", ""),
                    ("class-0", "utsatt"),
                    ("class_year-0", "2024"),
                    ("class_source-0", "Polisens lägesbild"),
                    ("class_as_of-0", ""),
                    ("class-1", "risk"),
                    ("class_year-1", ""),
                ],
            )
            .await;
        assert_eq!(status, 303);
        let id = location_id(&location, "/areas/");
        let a = app.store().area(id).await.unwrap();
        assert_eq!(a.kind, Some(AreaKind::District));
        assert_eq!(a.classifications.len(), 2);
        assert_eq!(a.class_in(2024).unwrap().class, PoliceClass::Vulnerable);
        assert_eq!(
            a.class_in(2020).unwrap().class,
            PoliceClass::Risk,
            "no year"
        );

        // The edit form shows the stored rows and three empty ones, and places the area.
        let path = format!("/areas/{id}/edit");
        let (status, html) = app.get(&path).await;
        assert_eq!(status, 200);
        assert!(html.contains("Klassning 5") && !html.contains("Klassning 6"));
        assert!(html.contains("Polisens lägesbild"));
        let parent = d.area.to_string();
        let (status, _, location) = app
            .post(
                &path,
                &[
                    ("name", "Testområde Söder"),
                    ("kind", "kommundel"),
                    ("parent", &parent),
                    ("note", "Gränsen ändrades 2022."),
                    ("class-0", "utsatt"),
                    ("class_year-0", "2024"),
                    ("class_source-0", "Polisens lägesbild"),
                ],
            )
            .await;
        assert_eq!(status, 303);
        assert_eq!(location.as_deref(), Some(format!("/areas/{id}").as_str()));
        let a = app.store().area(id).await.unwrap();
        assert_eq!(a.parent_id, Some(d.area));
        assert_eq!(a.classifications.len(), 1, "an emptied row is removed");

        // Its own sub-area is not offered as its parent: a cycle cannot be chosen.
        let version = app.store().data_version().await.unwrap();
        let child = id.to_string();
        let (status, html, _) = app
            .post(
                &format!("/areas/{}/edit", d.area),
                &[("name", "Testområde Norr"), ("parent", &child)],
            )
            .await;
        assert_eq!(status, 422, "{html}");
        // A name that is taken, and a row without a class, are refused with the text kept.
        let (status, html, _) = app
            .post(
                "/areas/new",
                &[
                    ("name", "testområde norr"),
                    ("class_year-0", "2023"),
                    ("class_source-0", "Källan X"),
                ],
            )
            .await;
        assert_eq!(status, 422);
        assert!(html.contains("Källan X"), "what was typed is kept");
        assert!(html.contains("Fältet måste fyllas i"), "the row's class");
        let (status, html, _) = app.post("/areas/new", &[("name", "testområde norr")]).await;
        assert_eq!(status, 422);
        assert!(html.contains("finns redan"), "{html}");
        assert_eq!(app.store().data_version().await.unwrap(), version);
    })
    .await;
}

#[tokio::test]
async fn a_situation_report_holds_levels_and_refuses_personal_numbers() {
    each(async |app| {
        let d = seed(app).await;
        let (status, html) = app.get("/situation-reports/new").await;
        assert_eq!(status, 200);
        assert!(html.contains("Läge i Testområde Norr"));
        assert!(
            html.contains("dataskyddsförordningen"),
            "the summary's hint"
        );
        let level_field = format!("level-{}", d.area);
        let before = app.store().situation_reports(None, None).await.unwrap();
        let version = app.store().data_version().await.unwrap();
        let summary = "Händelse med 121212-1212 i Vårby";
        let mut form = vec![
            ("kind", "overgripande"),
            ("title", "Övergripande lägesbild 2031"),
            ("period_start", "2031-01-01"),
            ("period_end", "2031-12-31"),
            ("producer", "OSG"),
            ("status", "klar"),
            (level_field.as_str(), "5"),
            ("unnamed_levels", "3, 3"),
            ("checklist-kartlaggning", "1"),
            ("checklist-analys", "1"),
            ("summary", summary),
            ("public", "no"),
            ("synthetic", "no"),
        ];
        let (status, html, _) = app.post("/situation-reports/new", &form).await;
        assert_eq!(status, 422, "{html}");
        assert!(html.contains(summary), "the summary is kept as typed");
        assert!(html.contains("personnummer"), "the Swedish message");
        assert!(html.contains("dataskyddsförordningen art. 10"));
        assert!(
            html.contains("value=\"5\""),
            "the level typed is kept: {html}"
        );
        // A level off the scale is refused at its area.
        form.retain(|(k, _)| *k != "summary");
        form.push(("summary", "Sammanställning per område."));
        let mut off = form.clone();
        off.retain(|(k, _)| *k != level_field.as_str());
        off.push((level_field.as_str(), "7"));
        let (status, html, _) = app.post("/situation-reports/new", &off).await;
        assert_eq!(status, 422);
        assert!(
            html.contains("Läge 7 finns inte på kommunens skala"),
            "{html}"
        );
        assert_eq!(app.store().data_version().await.unwrap(), version);
        assert_eq!(
            app.store()
                .situation_reports(None, None)
                .await
                .unwrap()
                .len(),
            before.len(),
            "nothing stored"
        );

        let (status, _, location) = app.post("/situation-reports/new", &form).await;
        assert_eq!(status, 303);
        let id = location_id(&location, "/situation-reports/");
        let r = app.store().situation_report(id).await.unwrap();
        assert_eq!(r.level_of(d.area), Some(5));
        assert_eq!(r.unnamed_levels, vec![3, 3]);
        assert_eq!(r.checklist.len(), 2);
        assert!(!r.public && !r.synthetic);

        // Presented to KS: a board or a forum, not both and not neither.
        let ks = app.org_id("KS").await.to_string();
        let forum = d.forum.to_string();
        let path = format!("/situation-reports/{id}/presentations/new");
        let (status, html, _) = app
            .post(
                &path,
                &[("board", &ks), ("forum", &forum), ("date", "2032-02-01")],
            )
            .await;
        assert_eq!(status, 422);
        assert!(html.contains("antingen en nämnd eller ett forum"), "{html}");
        let (status, _, location) = app
            .post(
                &path,
                &[
                    ("board", &ks),
                    ("forum", ""),
                    ("date", "2032-02-01"),
                    ("reference", "§ 12"),
                ],
            )
            .await;
        assert_eq!(status, 303);
        assert_eq!(
            location.as_deref(),
            Some(format!("/situation-reports/{id}").as_str())
        );
        let r = app.store().situation_report(id).await.unwrap();
        assert_eq!(r.presentations.len(), 1);
        assert_eq!(r.presentations[0].reference, "§ 12");

        // Editing keeps the presentation; an emptied level is removed.
        let (status, html) = app.get(&format!("/situation-reports/{id}/edit")).await;
        assert_eq!(status, 200);
        assert!(html.contains("Övergripande lägesbild 2031"));
        let mut edit = form.clone();
        edit.retain(|(k, _)| *k != level_field.as_str());
        let (status, _, _) = app
            .post(&format!("/situation-reports/{id}/edit"), &edit)
            .await;
        assert_eq!(status, 303);
        let r = app.store().situation_report(id).await.unwrap();
        assert_eq!(r.level_of(d.area), None);
        assert_eq!(r.presentations.len(), 1, "kept");

        // The scale: a threshold above the top level is refused; the definitions are saved.
        let (status, html) = app.get("/situation-reports/scale").await;
        assert_eq!(status, 200);
        assert!(html.contains("Läge 10"));
        let (status, _, _) = app
            .post(
                "/situation-reports/scale",
                &[
                    ("max_level", "5"),
                    ("threshold", "6"),
                    ("present_within_days", "60"),
                ],
            )
            .await;
        assert_eq!(status, 422);
        let (status, _, _) = app
            .post(
                "/situation-reports/scale",
                &[
                    ("max_level", "5"),
                    ("threshold", "4"),
                    ("present_within_days", "60"),
                    ("board", &ks),
                    ("definition-1", "Lugnt"),
                ],
            )
            .await;
        assert_eq!(status, 303);
        let scale = app.store().level_scale().await.unwrap();
        assert_eq!(scale.definitions.get(&1).map(String::as_str), Some("Lugnt"));
        assert_eq!(scale.board_id, Some(app.org_id("KS").await));

        // With KS as the scale's board, a year KS's decision locked takes no report.
        let (status, _, _) = app
            .post(&format!("/org/{ks}/lock"), &common::KS_2019_DECISION)
            .await;
        assert_eq!(status, 303, "KS 2019 locked");
        let version = app.store().data_version().await.unwrap();
        let mut locked = form.clone();
        locked.retain(|(k, _)| !k.starts_with("period_"));
        locked.extend([("period_start", "2019-01-01"), ("period_end", "2019-12-31")]);
        let (status, html, _) = app.post("/situation-reports/new", &locked).await;
        assert_eq!(status, 422);
        assert!(html.contains("f-period_end-error"), "at the period: {html}");
        assert_eq!(app.store().data_version().await.unwrap(), version);
    })
    .await;
}

#[tokio::test]
async fn forums_agreements_and_duties_are_kept_through_their_forms() {
    each(async |app| {
        let d = seed(app).await;
        let area_box = format!("areas-{}", d.area);
        // A forum with members, and a meeting.
        let (status, _, location) = app
            .post(
                "/forums/new",
                &[
                    ("code", "T02"),
                    ("name", "Testrådet"),
                    (
                        "members",
                        "Huddinge kommun; Kommundirektör\nPolisen; Lokalpolisområdeschef",
                    ),
                    ("documented", "ja"),
                    (area_box.as_str(), "1"),
                    ("council_decision", "KS 2031-03-10 § 12"),
                    ("council-led", "1"),
                ],
            )
            .await;
        assert_eq!(status, 303);
        let forum = location_id(&location, "/forums/");
        // A person's identity number has no place in the register, in any text.
        let version = app.store().data_version().await.unwrap();
        let (status, html, _) = app
            .post(
                &format!("/forums/{forum}/edit"),
                &[
                    ("name", "Testrådet"),
                    ("documented", "ja"),
                    ("members", "Huddinge kommun; 19121212-1212"),
                ],
            )
            .await;
        assert_eq!(status, 422);
        assert!(html.contains("Medlemmarna innehåller det som ser ut som ett personnummer"));
        assert!(
            html.contains("Huddinge kommun; 19121212-1212"),
            "kept as typed"
        );
        assert_eq!(app.store().data_version().await.unwrap(), version);
        let f = app.store().forum(forum).await.unwrap();
        assert_eq!(f.members.len(), 2);
        assert_eq!(f.members[1].role, "Lokalpolisområdeschef");
        assert_eq!(f.area_ids, vec![d.area]);
        let council = f.council.expect("designated");
        assert!(council.led_by_municipality && !council.strategic_remit);
        let (status, _, _) = app
            .post(
                &format!("/forums/{forum}/meetings/new"),
                &[("date", "2031-04-01"), ("reference", "Protokoll 1")],
            )
            .await;
        assert_eq!(status, 303);
        assert_eq!(app.store().forum(forum).await.unwrap().meetings.len(), 1);

        // An agreement naming a statute one digit off: the registered one is named.
        let version = app.store().data_version().await.unwrap();
        let mut form = vec![
            ("code", "TEST-2"),
            ("kind", "samverkansoverenskommelse"),
            ("title", "Samverkan 2031–2032"),
            (
                "parties",
                "Lokalpolisområde Huddinge; polisen\nHuge Bostäder AB; kommunalt bolag",
            ),
            ("valid_from", "2031-01-01"),
            ("valid_to", "2032-12-31"),
            (
                "focus_areas",
                "Gängkriminalitet; nej\nTrygghet i offentlig miljö; ja",
            ),
            ("statutes", "2030:6"),
        ];
        let (status, html, _) = app.post("/agreements/new", &form).await;
        assert_eq!(status, 422);
        assert!(html.contains(&format!("Menar du Lag ({SFS})")), "{html}");
        assert!(html.contains("Huge Bostäder AB; kommunalt bolag"), "kept");
        assert_eq!(app.store().data_version().await.unwrap(), version);
        form.retain(|(k, _)| *k != "statutes");
        form.push(("statutes", SFS));
        let (status, _, location) = app.post("/agreements/new", &form).await;
        assert_eq!(status, 303);
        let agreement = location_id(&location, "/agreements/");
        let a = app.store().agreement(agreement).await.unwrap();
        assert_eq!(a.parties.len(), 2);
        assert_eq!(a.statutes, vec![SFS.to_string()]);
        assert_eq!(
            a.focus_areas.iter().map(|f| f.has_plan).collect::<Vec<_>>(),
            vec![false, true]
        );
        let (status, html) = app.get(&format!("/agreements/{agreement}/edit")).await;
        assert_eq!(status, 200);
        assert!(html.contains("läggs in genom import"), "activities: say so");
        // Editing an agreement keeps the activities of the focus areas it keeps.
        let path = format!("/agreements/{}/edit", d.agreement);
        let (status, html) = app.get(&path).await;
        assert_eq!(status, 200);
        assert!(html.contains("Trygghet i offentlig miljö; ja"), "{html}");
        let (status, _, location) = app
            .post(
                &path,
                &[
                    ("code", "TEST-1"),
                    ("kind", "samverkansoverenskommelse"),
                    ("title", "Testöverenskommelsen, reviderad"),
                    (
                        "focus_areas",
                        "trygghet i offentlig miljö; ja\nGängkriminalitet; nej",
                    ),
                ],
            )
            .await;
        assert_eq!(status, 303);
        assert_eq!(
            location.as_deref(),
            Some(format!("/agreements/{}", d.agreement).as_str())
        );
        let a = app.store().agreement(d.agreement).await.unwrap();
        assert_eq!(a.title, "Testöverenskommelsen, reviderad");
        assert_eq!(a.focus_areas.len(), 2);
        assert_eq!(
            a.focus_areas[0].activities.len(),
            1,
            "the imported activity is kept"
        );
        assert_eq!(a.focus_areas[0].activities[0].title, "Trygghetsvandringar");

        // A statute: a malformed SFS number and a link that is not a web address.
        let (status, html, _) = app
            .post(
                "/statutes/new",
                &[
                    ("sfs", "2031-7"),
                    ("title", "X"),
                    ("url", "javascript:alert(1)"),
                ],
            )
            .await;
        assert_eq!(status, 422);
        assert!(html.contains("inget SFS-nummer"));
        assert!(html.contains("Länken ska vara en webbadress"));
        // A duty of the seeded statute, then its evidence and assessments.
        let (status, _, location) = app
            .post(
                &format!("/statutes/{}/obligations/new", d.statute),
                &[
                    ("code", "T2"),
                    ("duty", "Besluta en åtgärdsplan"),
                    ("checklist", "Åtgärder\nAnsvar"),
                    ("requirement", "1"),
                    ("first_due", "2024-07-01"),
                    ("every_months", "24"),
                    ("fulfilled_by", "beslut"),
                ],
            )
            .await;
        assert_eq!(status, 303);
        let duty = location_id(&location, "/obligations/");
        let o = app.store().obligation(duty).await.unwrap();
        assert_eq!(o.checklist, vec!["Åtgärder", "Ansvar"]);
        assert_eq!(o.every_months, Some(24));
        assert_eq!(o.fulfilled_by, Some(EvidenceKind::Decision));

        // Evidence: a report for the report kind; a mismatch is refused.
        let report_ref = format!("lagesbild:{}", d.report);
        let (status, _, _) = app
            .post(
                &format!("/obligations/{duty}/evidence/new"),
                &[("kind", "beslut"), ("ref", &report_ref)],
            )
            .await;
        assert_eq!(status, 422);
        let (status, _, _) = app
            .post(
                &format!("/obligations/{duty}/evidence/new"),
                &[
                    ("kind", "beslut"),
                    ("ref", ""),
                    ("date", "2031-06-10"),
                    ("text", "KS 2031-06-10 § 5"),
                ],
            )
            .await;
        assert_eq!(status, 303);
        let o = app.store().obligation(duty).await.unwrap();
        assert_eq!(o.evidence.len(), 1);

        // The responsible board's editor assesses; "Uppfylld" needs qualifying evidence
        // (the seeded duty has only a decision, but asks for a lägesbild).
        let ks_editor = app.session_for("redaktor-ks").await;
        let path = format!("/obligations/{}/assessments/new", d.duty);
        let (status, html) = app.get_as(Some(&ks_editor), &path).await;
        assert_eq!(status, 200);
        assert!(html.contains("Kommunstyrelsen"), "assessed_by prefilled");
        let (status, html, _) = app
            .post_as(
                Some(&ks_editor),
                &path,
                &[
                    ("status", "uppfylld"),
                    ("assessed_by", "Kommunstyrelsen"),
                    ("assessed_on", "2024-03-01"),
                ],
            )
            .await;
        assert_eq!(status, 422);
        assert!(html.contains("kan inte bedömas som uppfyllt"), "{html}");
        let (status, html, _) = app
            .post_as(
                Some(&ks_editor),
                &path,
                &[
                    ("status", "ej_uppfylld"),
                    ("assessed_by", "Kommunstyrelsen"),
                    ("assessed_on", "2199-01-01"),
                ],
            )
            .await;
        assert_eq!(status, 422);
        assert!(html.contains("framtiden"), "{html}");
        let (status, _, _) = app
            .post_as(
                Some(&ks_editor),
                &path,
                &[
                    ("status", "ej_uppfylld"),
                    ("assessed_by", "Kommunstyrelsen"),
                    ("assessed_on", "2024-03-01"),
                    // Not the editor's to claim.
                    ("by_auditors", "yes"),
                ],
            )
            .await;
        assert_eq!(status, 303);
        let auditor = app.session_for("revisor").await;
        let (status, _, _) = app
            .post_as(
                Some(&auditor),
                &path,
                &[
                    ("status", "delvis"),
                    ("assessed_by", "Revisorerna (KPMG), granskning 2023/24"),
                    ("assessed_on", "2024-04-01"),
                ],
            )
            .await;
        assert_eq!(status, 303);
        let o = app.store().obligation(d.duty).await.unwrap();
        assert_eq!(
            o.assessments
                .iter()
                .map(|a| (a.status, a.by_auditors))
                .collect::<Vec<_>>(),
            vec![
                (ComplianceStatus::NotMet, false),
                (ComplianceStatus::Partly, true)
            ]
        );

        // Removing evidence: the duty's own only.
        let wrong = format!("/obligations/{duty}/evidence/{}/remove", d.evidence);
        assert_eq!(app.get(&wrong).await.0, 404);
        let remove = format!("/obligations/{}/evidence/{}/remove", d.duty, d.evidence);
        let (status, html) = app.get(&remove).await;
        assert_eq!(status, 200);
        assert!(html.contains("KS 2024-01-10 § 3"));
        let (status, _, location) = app.post(&remove, &[]).await;
        assert_eq!(status, 303);
        assert_eq!(
            location.as_deref(),
            Some(format!("/obligations/{}", d.duty).as_str())
        );
        assert!(app
            .store()
            .obligation(d.duty)
            .await
            .unwrap()
            .evidence
            .is_empty());
    })
    .await;
}
