//! The builders on audits shaped like seed 003 (`DOMAIN-MODULES.md` B4.2): the three 2019
//! audits (intern kontroll to KS, jämlik skola to grundskolenämnden, civilsamhället to KS
//! and the boards) with their responses and 2021 verdicts, and the 2021 follow-up audit
//! whose recommendations re-issue their predecessors; and the KS 2019 plan's audit actions
//! of seed 004 (B4.1) linked from the older audits.

use std::collections::HashMap;

use uppsikt_domain::audit::{AuditKind, Criterion, IcLink, Question, ResponseItem, SubQuestion};
use uppsikt_domain::case_ref::CaseRefFormat;
use uppsikt_domain::internal_control::{ActionSource, ActionStatus, ControlPlan, IcAction};

use super::*;
use crate::model::Block;

const KS: Id = 1;
const GSN: Id = 2;
const KFN: Id = 3;
const SOC: Id = 4;

fn labels() -> Labels {
    Labels {
        units: [
            (KS, "Kommunstyrelsen"),
            (GSN, "Grundskolenämnden"),
            (KFN, "Kultur- och fritidsnämnden"),
            (SOC, "Socialnämnden"),
        ]
        .into_iter()
        .map(|(id, n)| (id, n.to_string()))
        .collect(),
        ic: HashMap::new(),
    }
}

fn case(text: &str) -> Option<uppsikt_domain::case_ref::CaseRef> {
    Some(CaseRefFormat::huddinge().parse(text).unwrap())
}

fn rec(id: Id, number: &str, text: &str, to: &[Id]) -> Recommendation {
    Recommendation {
        id,
        audit_id: 0,
        number: number.into(),
        text: text.into(),
        addressees: to.to_vec(),
        questions: vec![],
        reissues: None,
        verdicts: vec![],
        ic_links: vec![],
    }
}

fn verdict(id: Id, year: i32, grade: Grade, text: &str, evidence: &str) -> Verdict {
    Verdict {
        id,
        year,
        grade,
        text: text.into(),
        evidence: evidence.into(),
        closes: false,
    }
}

fn audit(id: Id, title: &str, year: i32, audited: &[Id], recs: Vec<Recommendation>) -> Audit {
    Audit {
        id,
        title: title.into(),
        plan_year: year,
        kind: AuditKind::Review,
        commissioned_by: "Huddinge kommuns revisorer".into(),
        performed_by: "KPMG AB".into(),
        audited_units: audited.to_vec(),
        case_ref: None,
        issued_on: None,
        response_due: None,
        purpose: String::new(),
        scope: String::new(),
        method: String::new(),
        criteria: vec![],
        fact_checked: true,
        overall: None,
        overall_text: String::new(),
        signatories: vec![],
        follows_up: vec![],
        questions: vec![],
        recommendations: recs
            .into_iter()
            .map(|mut r| {
                r.audit_id = id;
                r
            })
            .collect(),
        responses: vec![],
        report: None,
    }
}

fn item(rec: Id, stance: Stance, comment: &str) -> ResponseItem {
    ResponseItem {
        recommendation_id: rec,
        stance,
        comment: comment.into(),
    }
}

/// The three 2019 audits and the 2021 follow-up of seed 003.
fn seed_003() -> Vec<Audit> {
    use Grade::*;
    let mut ik = audit(
        10,
        "Granskning av intern kontroll",
        2019,
        &[KS, GSN, KFN, SOC],
        vec![
            rec(
                101,
                "1",
                "Verka för ett enhetligt angreppssätt i nämndernas interna kontroll.",
                &[KS],
            ),
            rec(
                102,
                "2",
                "Använd internkontrollgruppen för att sprida goda exempel.",
                &[KS],
            ),
            rec(
                103,
                "3",
                "Ta fram riktlinjer så att alla förtroendevalda deltar i riskanalysen.",
                &[KS],
            ),
            rec(
                104,
                "4",
                "Ge nämnderna i uppdrag att göra förtroendevalda medvetna om sitt ansvar.",
                &[KS],
            ),
            rec(
                105,
                "5",
                "Inrätta en central funktion för registerförteckningar.",
                &[KS],
            ),
        ],
    );
    ik.overall = Some(Assessment::Partly);
    ik.overall_text = "Nämndernas interna kontroll var inte fullt ut tillräcklig".into();
    ik.responses.push(Response {
        id: 1,
        audit_id: 10,
        unit_id: KS,
        body: DecidingBody::Board,
        document: "tjänsteutlåtande".into(),
        decided_on: "2020-06-22".into(),
        paragraph: String::new(),
        case_ref: case("KS-2020/716.912"),
        items: (101..=105)
            .map(|r| item(r, Stance::NotStated, ""))
            .collect(),
    });
    for (r, g, evidence) in [
        (
            101,
            PartlyImplemented,
            "Gemensamma kontroller i alla planer för 2022.",
        ),
        (
            102,
            PlannedNotStarted,
            "Ingen utveckling av gruppen; start våren 2022.",
        ),
        (103, PlannedNotStarted, ""),
        (104, PlannedNotStarted, ""),
        (
            105,
            Implemented,
            "Dataskyddsombudet har gått från 20 % till 100 % av en tjänst.",
        ),
    ] {
        ik.recommendations[(r - 101) as usize]
            .verdicts
            .push(verdict(
                r * 10,
                2021,
                g,
                "Bedömning enligt uppföljningen",
                evidence,
            ));
    }

    let mut js = audit(
        20,
        "Granskning av grundskolenämndens styrning för att uppnå en jämlik skola",
        2019,
        &[GSN],
        vec![
            rec(
                201,
                "1a",
                "För en nära dialog med rektorerna om tilläggsersättningen.",
                &[GSN],
            ),
            rec(
                202,
                "1b",
                "Beakta de samlade effekterna av alla riktade medel.",
                &[GSN],
            ),
            rec(
                203,
                "2",
                "Utveckla den årliga uppföljningen av resursfördelningen.",
                &[GSN],
            ),
        ],
    );
    js.responses.push(Response {
        id: 2,
        audit_id: 20,
        unit_id: GSN,
        body: DecidingBody::Board,
        document: "protokollsutdrag".into(),
        decided_on: "2020-09-01".into(),
        paragraph: "§ 9".into(),
        case_ref: None,
        items: vec![
            item(201, Stance::Accepted, ""),
            item(
                202,
                Stance::AcceptedWithReservation("Bara statsbidraget går att styra".into()),
                "",
            ),
            item(203, Stance::Accepted, "Styrkort tas fram hösten 2020"),
        ],
    });
    for (r, g) in [
        (201, Implemented),
        (202, PartlyImplemented),
        (203, Implemented),
    ] {
        js.recommendations[(r - 201) as usize]
            .verdicts
            .push(verdict(r * 10, 2021, g, "", ""));
    }

    let mut cs = audit(
        30,
        "Granskning av kommunens samverkan med civilsamhället",
        2019,
        &[KS, GSN, KFN, SOC],
        vec![
            rec(
                301,
                "1",
                "Ta fram en strategi för samverkan med civilsamhället.",
                &[KS],
            ),
            rec(302, "2", "Se över webbplatsen.", &[KS]),
            rec(
                303,
                "3",
                "Se över hur nämnderna möter civilsamhället.",
                &[KFN, SOC],
            ),
            rec(304, "4", "Förtydliga kontaktvägarna.", &[KS, KFN]),
        ],
    );
    cs.responses.push(Response {
        id: 3,
        audit_id: 30,
        unit_id: KS,
        body: DecidingBody::Administration,
        document: "tjänsteutlåtande".into(),
        decided_on: "2020-07-01".into(),
        paragraph: String::new(),
        case_ref: None,
        items: vec![
            item(
                301,
                Stance::Declined("Den ordinarie styrningen och målstrukturen räcker".into()),
                "",
            ),
            item(302, Stance::Accepted, "Webbplatsen utvecklas löpande"),
            item(
                304,
                Stance::Accepted,
                "Servicecenter är den samlade ingången",
            ),
        ],
    });
    for (r, g, text) in [
        (
            301,
            Declined,
            "Kommunstyrelsen har valt att inte följa rekommendationen",
        ),
        (302, Implemented, ""),
        (303, Implemented, ""),
        (304, Implemented, ""),
    ] {
        cs.recommendations[(r - 301) as usize]
            .verdicts
            .push(verdict(r * 10, 2021, g, text, ""));
    }

    let mut f = audit(
        40,
        "Uppföljning av 2019 års granskningar",
        2021,
        &[KS, GSN, KFN, SOC],
        vec![
            rec(
                401,
                "IK21-a",
                "Fortsätt verka för ett enhetligt angreppssätt.",
                &[KS],
            ),
            rec(402, "IK21-b", "Använd internkontrollgruppen.", &[KS]),
            rec(
                403,
                "IK21-c",
                "Riktlinjer om förtroendevaldas delaktighet i planerna.",
                &[KS],
            ),
            rec(
                404,
                "IK21-d",
                "Uppdra åt nämnderna om förtroendevaldas ansvar.",
                &[KS],
            ),
            rec(
                405,
                "IK21-e",
                "Se till att dataskyddsombudet fortsätter arbetet.",
                &[KS],
            ),
            rec(406, "JS21-a", "Beakta effekterna av riktade medel.", &[GSN]),
            rec(
                407,
                "JS21-b",
                "Utveckla det systematiska kvalitetsarbetet.",
                &[GSN],
            ),
            rec(408, "JS21-c", "Använd styrkorten.", &[GSN]),
            rec(
                409,
                "CS21-a",
                "Konkreta mål för samverkan i verksamhetsplanerna.",
                &[KFN, SOC],
            ),
            rec(410, "CS21-b", "Överväg återigen en strategi.", &[KS]),
            rec(411, "CS21-c", "Använd de goda exemplen.", &[KS]),
        ],
    );
    f.kind = AuditKind::FollowUp;
    f.follows_up = vec![10, 20, 30];
    f.case_ref = case("KS-2022/100.912");
    f.overall = Some(Assessment::Partly);
    f.overall_text = "Kommunen har till viss del tagit till sig rekommendationerna".into();
    for (r, p) in [
        (401, 101),
        (402, 102),
        (403, 103),
        (404, 104),
        (405, 105),
        (406, 202),
        (410, 301),
    ] {
        f.recommendations[(r - 401) as usize].reissues = Some(p);
    }
    vec![ik, js, cs, f]
}

fn texts(blocks: &[Block]) -> Vec<String> {
    blocks
        .iter()
        .filter_map(|b| match b {
            Block::Paragraph { text } => Some(text.clone()),
            Block::Labeled { label, text } => Some(format!("{label}: {text}")),
            _ => None,
        })
        .collect()
}

fn tables(blocks: &[Block]) -> Vec<&Table> {
    blocks
        .iter()
        .filter_map(|b| match b {
            Block::Table(t) => Some(t),
            _ => None,
        })
        .collect()
}

#[test]
fn the_summary_counts_the_years_verdicts_in_words_and_in_a_table() {
    let audits = seed_003();
    let f = follow_up(&audits, 2021, None, &labels());
    let t = texts(&f.summary.blocks);
    assert_eq!(
        t[0],
        "Uppföljningen 2021 görs i uppföljande granskning ”Uppföljning av 2019 års granskningar” ur revisionsplanen för 2021 (dnr KS-2022/100.912). Den är utförd av KPMG AB på uppdrag av Huddinge kommuns revisorer."
    );
    assert_eq!(
        t[1],
        "Revisorernas samlade bedömning: Delvis. Kommunen har till viss del tagit till sig rekommendationerna."
    );
    assert_eq!(t[2], "Tre granskningar följs upp:");
    assert_eq!(
        t[3],
        "Revisorerna bedömde tolv rekommendationer 2021: sex genomförda, två delvis genomförda, tre planerade men inte påbörjade och en där nämnden har valt att avstå. Av dem är sex avslutade med bedömningen och sex lämnas på nytt i nya rekommendationer."
    );
    assert_eq!(
        t[4],
        "Uppföljningen ger elva nya rekommendationer; sju av dem upprepar tidigare rekommendationer. De finns i avsnittet Nya rekommendationer."
    );
    let table = tables(&f.summary.blocks)[0];
    assert_eq!(table.columns.len(), 7);
    let total = table.rows.last().unwrap();
    assert_eq!(total, &["Totalt", "6", "2", "3", "0", "1", "12"]);
    assert_eq!(table.rows[0][0], "Granskning av intern kontroll (2019)");
    assert_eq!(table.rows[0][1..], ["1", "1", "3", "0", "0", "5"]);
    // The counts come from the data: the sum of the rows is the total.
    let sum: usize = table.rows[..3]
        .iter()
        .map(|r| r[6].parse::<usize>().unwrap())
        .sum();
    assert_eq!(sum, 12);
}

#[test]
fn each_audit_shows_responses_evidence_and_verdicts_like_the_seed() {
    let audits = seed_003();
    let f = follow_up(&audits, 2021, None, &labels());
    let titles: Vec<&str> = f.sections.iter().map(|s| s.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "Granskning av intern kontroll",
            "Granskning av grundskolenämndens styrning för att uppnå en jämlik skola",
            "Granskning av kommunens samverkan med civilsamhället",
            NEW_RECOMMENDATIONS_TITLE,
        ]
    );
    let ik = &f.sections[0];
    let children: Vec<&str> = ik.children.iter().map(|s| s.title.as_str()).collect();
    assert_eq!(
        children,
        [
            "Rekommendationer",
            "Nämndernas svar",
            "Vidtagna åtgärder enligt uppföljningen 2021",
            "Bedömning 2021",
        ]
    );
    assert!(texts(&ik.blocks).contains(
        &"Samlad bedömning 2019: Delvis. Nämndernas interna kontroll var inte fullt ut tillräcklig."
            .to_string()
    ));
    assert_eq!(
        texts(&ik.children[1].blocks)[0],
        "Kommunstyrelsen: Tjänsteutlåtande 2020-06-22, KS-2020/716.912, beslutat av kommunstyrelsen."
    );
    let evidence = tables(&ik.children[2].blocks)[0];
    assert_eq!(
        evidence.rows[2],
        [
            "3. Ta fram riktlinjer så att alla förtroendevalda deltar i riskanalysen.",
            "Inget underlag är angivet."
        ]
    );
    let judged = tables(&ik.children[3].blocks)[0];
    assert_eq!(judged.rows[0][1], "Delvis genomförd");
    assert_eq!(
        judged.rows[0][3],
        "Lämnas på nytt som IK21-a i Uppföljning av 2019 års granskningar (2021)"
    );
    assert_eq!(judged.rows[4][3], "Avslutad");

    // Grundskolenämnden's protokollsutdrag, accepted with a reservation.
    let js = &f.sections[1];
    assert_eq!(
        texts(&js.children[1].blocks)[0],
        "Grundskolenämnden: Protokollsutdrag 2020-09-01 § 9, beslutat av grundskolenämnden."
    );
    let stances = tables(&js.children[1].blocks)[0];
    assert_eq!(
        stances.rows[1][1],
        "Instämmer med reservation: Bara statsbidraget går att styra"
    );
    assert_eq!(
        texts(&js.children[3].blocks)[0],
        "Revisorerna bedömde tre rekommendationer 2021: två genomförda och en delvis genomförd."
    );

    // Civilsamhället: KS's answer was the administration's; the boards gave none; the
    // decline stands beside the auditors' "Avstår" and the re-issue.
    let cs = &f.sections[2];
    let answers = texts(&cs.children[1].blocks);
    assert_eq!(
        answers,
        [
            "Kommunstyrelsen: Tjänsteutlåtande 2020-07-01, skrivet av förvaltningen, inte beslutat av nämnden.",
            "Inget svar från kultur- och fritidsnämnden är registrerat i uppsikt.",
            "Inget svar från socialnämnden är registrerat i uppsikt.",
        ]
    );
    let ks = tables(&cs.children[1].blocks)[0];
    assert_eq!(
        ks.rows[0][1],
        "Avböjer: Den ordinarie styrningen och målstrukturen räcker"
    );
    let verdicts = tables(&cs.children[3].blocks)[0];
    assert_eq!(verdicts.rows[0][1], "Avstår, med motivering");
    assert_eq!(
        verdicts.rows[0][2],
        "Kommunstyrelsen har valt att inte följa rekommendationen"
    );
    assert!(verdicts.rows[0][3].starts_with("Lämnas på nytt som CS21-b"));
}

#[test]
fn the_new_recommendations_name_what_they_issue_again() {
    let audits = seed_003();
    let f = follow_up(&audits, 2021, None, &labels());
    let new = f.sections.last().unwrap();
    assert_eq!(new.children.len(), 1);
    let t = tables(&new.children[0].blocks)[0];
    assert_eq!(t.rows.len(), 11);
    assert_eq!(
        t.rows[0][2],
        "Upprepar 1 i Granskning av intern kontroll (2019)\nBedömd 2021: Delvis genomförd"
    );
    assert_eq!(t.rows[6][2], "Ny");
    assert_eq!(t.rows[8][1], "Kultur- och fritidsnämnden, Socialnämnden");
    assert!(t.rows[9][2].contains("Bedömd 2021: Avstår, med motivering"));
}

#[test]
fn a_boards_report_keeps_the_audits_that_concern_it() {
    let audits = seed_003();
    let f = follow_up(&audits, 2021, Some(&[GSN]), &labels());
    // Intern kontroll and civilsamhället audited every board; all three concern GSN.
    assert_eq!(f.sections.len(), 4);
    let mut only_js = audits.clone();
    only_js[0].audited_units = vec![KS];
    only_js[2].audited_units = vec![KS];
    let f = follow_up(&only_js, 2021, Some(&[GSN]), &labels());
    let titles: Vec<&str> = f.sections.iter().map(|s| s.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "Granskning av grundskolenämndens styrning för att uppnå en jämlik skola",
            NEW_RECOMMENDATIONS_TITLE
        ]
    );
    assert!(texts(&f.summary.blocks)
        .iter()
        .any(|t| t.starts_with("Revisorerna bedömde tre rekommendationer 2021")));
}

#[test]
fn a_year_without_follow_up_says_so() {
    let f = follow_up(&seed_003(), 2020, None, &labels());
    assert!(f.sections.is_empty());
    assert_eq!(
        texts(&f.summary.blocks),
        ["Det finns ingen uppföljning av revisionens rekommendationer för 2020 i uppsikt."]
    );
}

#[test]
fn grade_sentences_agree_in_number() {
    let one = [verdict(1, 2021, Grade::Declined, "x", "")];
    assert_eq!(
        grades_sentence(2021, &one),
        "Revisorerna bedömde en rekommendation 2021: ”Avstår, med motivering”."
    );
    let two = [
        verdict(1, 2021, Grade::PlannedNotStarted, "", ""),
        verdict(2, 2021, Grade::NotImplemented, "", ""),
    ];
    assert_eq!(
        grades_sentence(2021, &two),
        "Revisorerna bedömde två rekommendationer 2021: en planerad men inte påbörjad och en inte genomförd."
    );
    assert_eq!(
        grades_sentence(2022, &[]),
        "Revisorerna bedömde inga rekommendationer 2022."
    );
}

#[test]
fn the_report_renders_in_every_format_with_swedish_characters() {
    let audits = seed_003();
    let report = follow_up_report(
        &audits,
        2021,
        None,
        &labels(),
        "Huddinge kommun",
        "Huddinge kommun",
        3,
    );
    assert_eq!(report.meta.kind, ReportKind::AuditFollowUp);
    assert_eq!(
        report.meta.title,
        "Uppföljning av revisionens rekommendationer 2021"
    );
    let html = String::from_utf8(crate::render(&report, crate::Format::Html).unwrap()).unwrap();
    assert!(html.contains("Nämndernas svar"));
    assert!(html.contains("Instämmer med reservation"));
    let pdf = crate::render(&report, crate::Format::Pdf).unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    let xlsx = crate::render(&report, crate::Format::Xlsx).unwrap();
    let mut wb: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx)).unwrap();
    use calamine::Reader;
    assert_eq!(wb.sheet_names(), ["Revisionsuppföljning"]);
    let range = wb.worksheet_range("Revisionsuppföljning").unwrap();
    let cells: Vec<String> = range.cells().map(|(_, _, c)| c.to_string()).collect();
    assert!(cells.iter().any(|c| c == "Avstår, med motivering"));
    if let Ok(dir) = std::env::var("UPPSIKT_AUDIT_PDF_OUT") {
        std::fs::write(format!("{dir}/revisionsuppfoljning-2021.pdf"), pdf).unwrap();
    }
    insta::assert_json_snapshot!("seed_003_follow_up_summary", report.summary);
}

#[test]
fn the_export_holds_everything_of_one_audit() {
    let mut audits = seed_003();
    let a = &mut audits[1];
    a.case_ref = case("GSN-2019/55.611");
    a.criteria = vec![Criterion::parse("Skollagen (2010:800)")];
    a.questions.push(Question {
        id: 1,
        number: 1,
        text: "Fördelas resurserna efter elevernas behov?".into(),
        assessment: Some(Assessment::InAllEssentials),
        reasoning: "Enligt lagstiftningen".into(),
        sub_questions: vec![SubQuestion {
            text: "Ses modellen över?".into(),
            assessment: Some(Assessment::No),
        }],
    });
    a.recommendations[0].ic_links.push(IcLink {
        unit_id: GSN,
        target: IcTarget::Action(77),
    });
    let mut l = labels();
    l.ic.insert(
        IcTarget::Action(77),
        "Åtgärd G01 Dialog med rektorer (2020)".into(),
    );
    let history = [HistoryRow {
        at: "2021-05-03T10:00:00Z".into(),
        who: "Revisor Rebecca".into(),
        what: "Bedömning 2021 registrerad".into(),
        before: String::new(),
        after: "Genomförd".into(),
        source: "web".into(),
    }];
    let bytes = audit_export_xlsx(&audits[1], &audits, &l, &history).unwrap();
    let mut wb: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    use calamine::{Data, Reader};
    assert_eq!(
        wb.sheet_names(),
        [
            "Granskning",
            "Frågor",
            "Rekommendationer",
            "Svar",
            "Uppföljning",
            "Historik"
        ]
    );
    let cell = |wb: &mut calamine::Xlsx<_>, sheet: &str, r: u32, c: u32| -> String {
        wb.worksheet_range(sheet)
            .unwrap()
            .get_value((r, c))
            .map(Data::to_string)
            .unwrap_or_default()
    };
    assert_eq!(cell(&mut wb, "Granskning", 6, 1), "GSN-2019/55.611");
    assert_eq!(cell(&mut wb, "Granskning", 12, 1), "Skollagen (2010:800)");
    assert_eq!(cell(&mut wb, "Frågor", 2, 1), "1.1");
    assert_eq!(cell(&mut wb, "Frågor", 2, 3), "Nej");
    assert_eq!(
        cell(&mut wb, "Rekommendationer", 1, 6),
        "Grundskolenämnden: Åtgärd G01 Dialog med rektorer (2020)"
    );
    assert_eq!(
        cell(&mut wb, "Rekommendationer", 2, 5),
        "JS21-a i Uppföljning av 2019 års granskningar (2021)"
    );
    assert_eq!(cell(&mut wb, "Svar", 2, 4), "Instämmer med reservation");
    assert_eq!(
        cell(&mut wb, "Svar", 2, 5),
        "Bara statsbidraget går att styra"
    );
    let rows = wb.worksheet_range("Uppföljning").unwrap().height();
    assert_eq!(rows, 4, "a header and three verdicts");
    assert_eq!(cell(&mut wb, "Historik", 1, 4), "Genomförd");
}

fn ic_action(id: Id, key: &str, status: ActionStatus, sources: Vec<ActionSource>) -> IcAction {
    IcAction {
        id,
        plan_id: 9,
        key: key.into(),
        text: format!("Åtgärd {key}"),
        responsible: String::new(),
        status,
        done_on: None,
        comment: format!("Kommentar {key}"),
        blocked_by: None,
        sources,
        verification: None,
        amendments: vec![],
        carried_from: None,
    }
}

fn link(r: &mut Recommendation, action: Id) {
    r.ic_links.push(IcLink {
        unit_id: KS,
        target: IcTarget::Action(action),
    });
}

#[test]
fn the_annual_reports_audit_actions_come_from_the_links() {
    use crate::internal_control::{audit_actions_section, AUDIT_ACTIONS_TITLE};
    let old = |case_ref: &str, title: &str| ActionSource::Recommendation {
        case_ref: case_ref.into(),
        title: title.into(),
    };
    let plan = ControlPlan {
        id: 9,
        org_id: KS,
        year: 2019,
        rule_ref: String::new(),
        legal_basis: String::new(),
        adoption: None,
        risk_analysis: None,
        self_assessment: None,
        auditor_assessment: None,
        matrix: None,
        risks: vec![],
        actions: vec![
            ic_action(1, "AA01", ActionStatus::Done, vec![]),
            ic_action(4, "AA04", ActionStatus::NotDone, vec![]),
            ic_action(5, "AA05", ActionStatus::Done, vec![]),
            ic_action(
                7,
                "AA07",
                ActionStatus::NotDone,
                vec![old(
                    "KS-2018/272.912",
                    "Granskning av upphandlingsprocessen",
                )],
            ),
        ],
        controls: vec![],
    };
    // G1 (2013) answered by AA01 and AA04; G2 (2014) and its 2018 follow-up both by AA05.
    let mut g1 = audit(
        50,
        "Granskning av lokal- och investeringsprocessen",
        2013,
        &[KS],
        vec![
            rec(501, "1", "Se över lokalförsörjningsprocessen.", &[KS]),
            rec(
                502,
                "2",
                "Pröva om incitament ger bättre lokalförsörjning.",
                &[KS],
            ),
        ],
    );
    g1.case_ref = case("KS-2013/227.912");
    link(&mut g1.recommendations[0], 1);
    link(&mut g1.recommendations[1], 4);
    g1.responses.push(Response {
        id: 5,
        audit_id: 50,
        unit_id: KS,
        body: DecidingBody::Board,
        document: "tjänsteutlåtande".into(),
        decided_on: "2013-11-04".into(),
        paragraph: String::new(),
        case_ref: None,
        items: vec![item(502, Stance::Accepted, "En lokalbank utreds")],
    });
    let mut g2 = audit(
        60,
        "Uppföljning av upphandling",
        2014,
        &[KS],
        vec![rec(
            601,
            "1",
            "Formulera fler mål för upphandlingen.",
            &[KS],
        )],
    );
    g2.case_ref = case("KS-2014/476.912");
    link(&mut g2.recommendations[0], 5);
    let mut g2b = audit(
        61,
        "Uppföljande granskning av upphandling",
        2018,
        &[KS],
        vec![rec(
            611,
            "1",
            "Upprätta mätbara mål för upphandlingssektionen.",
            &[KS],
        )],
    );
    g2b.kind = AuditKind::FollowUp;
    g2b.case_ref = case("KS-2018/272.912");
    link(&mut g2b.recommendations[0], 5);
    let audits = vec![g2b, g1, g2];

    let s = audit_actions_section(&plan, &audits).unwrap();
    assert_eq!(s.title, AUDIT_ACTIONS_TITLE);
    let titles: Vec<&str> = s.children.iter().map(|c| c.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "Granskning av lokal- och investeringsprocessen",
            "Uppföljning av upphandling",
            "Granskning av upphandlingsprocessen (KS-2018/272.912)",
        ]
    );
    let g1s = &s.children[0];
    assert_eq!(texts(&g1s.blocks)[0], "Diarienummer: KS-2013/227.912");
    let Some(Block::List { items, .. }) =
        g1s.blocks.iter().find(|b| matches!(b, Block::List { .. }))
    else {
        panic!("a background list")
    };
    assert_eq!(
        items,
        &[
            "1. Se över lokalförsörjningsprocessen.".to_string(),
            "2. Pröva om incitament ger bättre lokalförsörjning. Svar 2013-11-04: instämmer. En lokalbank utreds.".to_string(),
        ]
    );
    let rows = &tables(&g1s.blocks)[0].rows;
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1][0], "AA04 Åtgärd AA04");
    assert_eq!(rows[1][1], "Ej klart i år");
    assert_eq!(rows[1][2], "Kommentar AA04");
    // The shared action sits under the older audit, with both diarienummer and both
    // recommendations in its background.
    let g2s = &s.children[1];
    assert_eq!(
        texts(&g2s.blocks)[0],
        "Diarienummer: KS-2014/476.912, KS-2018/272.912"
    );
    let Some(Block::List { items, .. }) =
        g2s.blocks.iter().find(|b| matches!(b, Block::List { .. }))
    else {
        panic!("a background list")
    };
    assert_eq!(items.len(), 2);
    assert!(items[1].ends_with("(Uppföljande granskning av upphandling 2018)"));
    // Without audits the section is the old grouping by the actions' diarienummer.
    let s = audit_actions_section(&plan, &[]).unwrap();
    assert_eq!(s.children.len(), 1);
}
