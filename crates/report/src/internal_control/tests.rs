//! The builders on a plan shaped like seed 004's KS plan 2019 (`DOMAIN-MODULES.md` A4):
//! 18 risk-reducing actions of which 10 done, 11 audit actions (one shared with a risk) of
//! which 7 done, 16 systematic controls of which 12 done, C03 run in its first quarter
//! only, C05 on another threshold than planned, C13 with findings, no adoption decision.

use std::collections::HashMap;

use uppsikt_domain::internal_control::{
    board_year, Amendment, ContractFollowUp, ControlResult, Discontinuation, FirstDocumented,
    Handling, Occurrence, RiskAnalysis, RiskMatrix, Verification,
};

use super::*;
use crate::model::Block;

const AREAS: [&str; 12] = [
    "Informationssäkerhet",
    "Väl fungerande IT-miljö i kommunen",
    "Trygghet och säkerhet",
    "Lagefterlevnad",
    "Sund ekonomi",
    "Kompetensförsörjning",
    "Upphandlingsprocessen",
    "Samhällsbyggnadsprocessen",
    "Samhällsbyggnadsprocessen",
    "Kommunikationsprocessen",
    "Attraktiv arbetsgivare",
    "Attraktiv arbetsgivare",
];

fn risk(n: usize) -> Risk {
    Risk {
        id: 100 + n as Id,
        plan_id: 1,
        key: format!("RK{n:02}"),
        area: AREAS[n - 1].into(),
        text: format!("Risk nummer {n}"),
        background: String::new(),
        first_documented: None,
        carried_from: None,
        common_from: None,
        common: false,
        gross: None,
        net: None,
        handling: None,
    }
}

fn action(id: Id, key: &str, status: ActionStatus, sources: Vec<ActionSource>) -> IcAction {
    IcAction {
        id,
        plan_id: 1,
        key: key.into(),
        text: format!("Åtgärd {key}"),
        responsible: String::new(),
        status,
        done_on: (status == ActionStatus::Done).then(|| "2019-11-15".into()),
        comment: String::new(),
        blocked_by: None,
        sources,
        verification: None,
        amendments: vec![],
        carried_from: None,
    }
}

fn occurrence(
    id: Id,
    control_id: Id,
    planned_on: &str,
    execution: Option<Execution>,
) -> Occurrence {
    Occurrence {
        id,
        control_id,
        seq: id % 100,
        planned_on: planned_on.into(),
        execution,
        recorded_by: None,
    }
}

fn performed(on: &str, result: ControlResult, findings: &str, used: &str) -> Option<Execution> {
    Some(Execution::Performed {
        performed_on: on.into(),
        parameters_used: used.into(),
        result,
        findings: findings.into(),
    })
}

fn control(n: usize, area: &str, occurrences: Vec<Occurrence>) -> Control {
    Control {
        id: 300 + n as Id,
        plan_id: 1,
        key: format!("C{n:02}"),
        kind: ControlKind::Systematic,
        area: area.into(),
        name: format!("Kontroll {n}"),
        purpose: String::new(),
        method: "Stickprov".into(),
        frequency: "En gång per år".into(),
        sample: String::new(),
        planned_parameters: String::new(),
        responsible: String::new(),
        due: "2019-12-31".into(),
        origin: String::new(),
        comment: String::new(),
        carried_from: None,
        common_from: None,
        common: false,
        discontinued: None,
        occurrences,
    }
}

/// Twelve monthly occurrences, the first `done` performed (with `used` parameters).
fn monthly(control_n: usize, done: usize, used: &str) -> Vec<Occurrence> {
    (1..=12)
        .map(|m| {
            let id = (control_n * 1000 + m) as Id;
            let e = (m <= done)
                .then(|| {
                    performed(
                        &format!("2019-{m:02}-28"),
                        ControlResult::WithoutRemark,
                        "",
                        used,
                    )
                })
                .flatten();
            occurrence(id, 300 + control_n as Id, &format!("2019-{m:02}-28"), e)
        })
        .collect()
}

/// The id of C13's occurrence with findings.
const C13_FINDINGS: Id = 13_004;

fn ks_plan() -> ControlPlan {
    let risks: Vec<Risk> = (1..=12)
        .map(|n| {
            let mut r = risk(n);
            if n == 1 {
                r.first_documented = Some(FirstDocumented::InOrBefore(2012));
                r.carried_from = Some(9);
                r.background = "Avtalsmodell för molntjänster togs fram 2017.".into();
            }
            r
        })
        .collect();
    // R01–R18 over RK01–RK12 (the seed's grouping).
    let risk_of = [1, 2, 3, 3, 3, 4, 5, 5, 6, 7, 8, 8, 9, 9, 10, 11, 12, 12];
    let done = [2, 4, 9, 10, 11, 13, 15, 16, 17, 18];
    let mut actions: Vec<IcAction> = (1..=18)
        .map(|n| {
            let status = if done.contains(&n) {
                ActionStatus::Done
            } else {
                ActionStatus::NotDone
            };
            let mut sources = vec![ActionSource::Risk {
                risk_id: 100 + risk_of[n - 1] as Id,
            }];
            if n == 16 {
                sources.push(ActionSource::Recommendation {
                    case_ref: "KS-2018/753.912".into(),
                    title: "Bisysslor".into(),
                });
            }
            action(200 + n as Id, &format!("R{n:02}"), status, sources)
        })
        .collect();
    actions[6].blocked_by = Some(Blocker::Action(208));
    actions[8].verification = Some(Verification {
        by: "HR-chef".into(),
        how: "Stickprov av avslut".into(),
        on: "2019-12-10".into(),
    });
    actions[16].amendments.push(Amendment {
        on: "2019-09-01".into(),
        previous_text: "Prata om representation i varje ledningsgrupp en gång per termin".into(),
        new_text: "Åtgärd R17".into(),
        reason: "Genomfördes i stället via intranätet och APT".into(),
        by: "Kanslichef".into(),
    });
    // AA01–AA11 (AA10 is R16): ten more actions, six of them done (seven with R16).
    for n in (1..=11).filter(|n| *n != 10) {
        let status = if [1, 2, 3, 4, 5, 11].contains(&n) {
            ActionStatus::Done
        } else {
            ActionStatus::NotDone
        };
        let (case_ref, title) = if n <= 5 {
            ("KS-2019/100", "Granskning av intern kontroll")
        } else {
            ("KS-2016/200", "Granskning av upphandling")
        };
        let mut a = action(
            400 + n as Id,
            &format!("AA{n:02}"),
            status,
            vec![ActionSource::Recommendation {
                case_ref: case_ref.into(),
                title: title.into(),
            }],
        );
        if n == 6 || n == 7 {
            a.blocked_by = Some(Blocker::Other(
                "KF:s upphandlingspolicy, beslutas 2020-02-10".into(),
            ));
        }
        actions.push(a);
    }
    let control_area = |n: usize| match n {
        1 => "Väl fungerande IT-miljö i kommunen",
        2 => "Kommunens handlingar",
        3 => "Sund ekonomi",
        4..=6 => "Processen administrera löner",
        7..=9 => "Upphandlingsprocessen",
        10 | 11 => "Samhällsbyggnadsprocessen",
        12..=14 => "Kommunikationsprocessen",
        _ => "Lokalförsörjningsprocessen",
    };
    let mut controls: Vec<Control> = (1..=16)
        .map(|n| {
            let id = (n * 1000 + 1) as Id;
            let occurrences = match n {
                3 => monthly(3, 3, ""),
                5 => monthly(5, 12, "> 49 000 kr"),
                13 => (1..=5)
                    .map(|i| {
                        let planned = format!("2019-{:02}-28", i * 2);
                        let result = if i == 4 {
                            performed(
                                &planned,
                                ControlResult::WithRemark,
                                "Ej tillåtna logotyper",
                                "",
                            )
                        } else {
                            performed(&planned, ControlResult::WithoutRemark, "", "")
                        };
                        occurrence((13_000 + i) as Id, 313, &planned, result)
                    })
                    .collect(),
                9 | 15 => vec![occurrence(id, 300 + n as Id, "2019-12-31", None)],
                16 => vec![occurrence(
                    id,
                    316,
                    "2019-11-30",
                    Some(Execution::NotPerformed {
                        reason: "Ingen granskning gjordes under året".into(),
                    }),
                )],
                _ => vec![occurrence(
                    id,
                    300 + n as Id,
                    "2019-11-30",
                    performed("2019-11-20", ControlResult::WithoutRemark, "", ""),
                )],
            };
            control(n, control_area(n), occurrences)
        })
        .collect();
    controls[4].planned_parameters = "> 50 000 kr".into();
    controls[4].name = "Höga nettolöner".into();
    controls[1].discontinued = Some(Discontinuation {
        on: "2019-12-01".into(),
        decided_by: "Ansvarig chef".into(),
        reason: "Fångar bara skräppost".into(),
    });
    let mut u01 = control(17, "Lokalvård", vec![]);
    u01.key = "U01".into();
    u01.name = "Lokalvård av kommunens lokaler".into();
    u01.responsible = "Upphandlingssektionen".into();
    u01.kind = ControlKind::ContractFollowUp(ContractFollowUp {
        follow_up_kind: "Avtalsuppföljning".into(),
        schedule: "En gång per termin första året".into(),
        interval: "Var sjätte månad".into(),
        recipients: "Kommunstyrelsen".into(),
    });
    controls.push(u01);
    ControlPlan {
        id: 1,
        org_id: 2,
        year: 2019,
        rule_ref: "HKF 9410".into(),
        legal_basis: "KL 6:6".into(),
        adoption: None,
        risk_analysis: None,
        self_assessment: Some(OverallAssessment {
            level: "Godtagbar".into(),
            motivation: "Arbetet har i stort fungerat".into(),
            source: "Verksamhetsberättelse 2019".into(),
        }),
        auditor_assessment: Some(OverallAssessment {
            level: "Delvis".into(),
            motivation: "Enhetligt arbetssätt saknas".into(),
            source: "Revisionsrapport 2019".into(),
        }),
        matrix: None,
        risks,
        actions,
        controls,
    }
}

fn deviations() -> HashMap<String, Id> {
    HashMap::from([
        (findings_cause_key(C13_FINDINGS), 42),
        (missed_cause_key(3004), 50),
        (missed_cause_key(3005), 51),
    ])
}

const YEAR_END: &str = "2019-12-31";

fn texts(s: &Section) -> Vec<String> {
    let mut out = Vec::new();
    for b in &s.blocks {
        match b {
            Block::Paragraph { text } => out.push(text.clone()),
            Block::Labeled { label, text } => out.push(format!("{label}: {text}")),
            Block::List { items, .. } => out.extend(items.iter().cloned()),
            Block::Table(t) => out.extend(t.rows.iter().flatten().cloned()),
            _ => {}
        }
    }
    for c in &s.children {
        out.extend(texts(c));
    }
    out
}

fn row_of<'a>(s: &'a Section, key: &str) -> &'a Vec<String> {
    fn rows(s: &Section) -> Vec<&Vec<String>> {
        let mut out: Vec<&Vec<String>> = s
            .blocks
            .iter()
            .filter_map(|b| match b {
                Block::Table(t) => Some(t.rows.iter()),
                _ => None,
            })
            .flatten()
            .collect();
        for c in &s.children {
            out.extend(rows(c));
        }
        out
    }
    rows(s)
        .into_iter()
        .find(|r| r.iter().any(|c| c.starts_with(&format!("{key} "))))
        .unwrap_or_else(|| panic!("a row for {key}"))
}

#[test]
fn small_numbers_are_words_and_larger_ones_digits() {
    assert_eq!(number_word_sv(0), "noll");
    assert_eq!(number_word_sv(1), "en");
    assert_eq!(number_word_sv_neuter(1), "ett");
    assert_eq!(number_word_sv(10), "tio");
    assert_eq!(number_word_sv(18), "arton");
    assert_eq!(number_word_sv(20), "tjugo");
    assert_eq!(number_word_sv(21), "21");
    assert_eq!(number_word_sv(1000), "1000");
}

#[test]
fn the_summary_counts_come_from_the_data_in_words() {
    let plan = ks_plan();
    let s = plan.summary(YEAR_END);
    assert_eq!((s.controls, s.controls_done), (16, 12));
    let sentences = summary_sentences(&plan, YEAR_END);
    let all = sentences.join(" ");
    assert!(
        all.contains("Tio av arton riskreducerande åtgärder har slutförts."),
        "{all}"
    );
    assert!(
        all.contains("En av de åtta återstående väntar på något annat innan den kan slutföras."),
        "R07 waits for R08: {all}"
    );
    assert!(all.contains("Effekten är verifierad för en av de slutförda."));
    assert!(
        all.contains("Sju av elva åtgärder utifrån revision eller annan granskning har slutförts."),
        "{all}"
    );
    assert!(all.contains("Två av dem som återstår väntar på något annat"));
    assert!(
        all.contains(
            "Tolv av sexton systematiska kontroller är genomförda vid alla planerade tillfällen."
        ),
        "{all}"
    );
    assert!(
        all.contains("Ett kontrolltillfälle gav anmärkning"),
        "C13: {all}"
    );
    assert!(all.contains("en avtalsuppföljning"));

    // Change the data and the words follow.
    let mut fewer = plan.clone();
    fewer.actions[1].status = ActionStatus::NotDone;
    assert!(summary_sentences(&fewer, YEAR_END)[0]
        .starts_with("Nio av arton riskreducerande åtgärder har slutförts."));
}

#[test]
fn the_missing_adoption_and_both_assessments_are_shown() {
    let plan = ks_plan();
    let s = summary_section(&plan, YEAR_END);
    let t = texts(&s);
    assert!(t.contains(&NOT_ADOPTED.to_string()), "{t:?}");
    assert!(t.contains(
        &"Nämndens samlade bedömning: Godtagbar. Arbetet har i stort fungerat. Källa: Verksamhetsberättelse 2019."
            .to_string()
    ));
    assert!(t
        .iter()
        .any(|x| x.starts_with("Revisorernas bedömning: Delvis.")));
    assert!(t.contains(&"Åtgärd R07 väntar på åtgärd R08.".to_string()));
    assert!(
        t.contains(&"Ingen risk- och väsentlighetsanalys är registrerad för planen.".to_string())
    );

    let mut adopted = plan;
    adopted.adoption = Some(Adoption {
        body: "Kommunstyrelsen".into(),
        decided_on: "2019-01-28".into(),
        paragraph: "§ 12".into(),
        diary_number: String::new(),
    });
    let t = texts(&summary_section(&adopted, YEAR_END));
    let decision = t
        .iter()
        .find(|x| x.starts_with("Beslut om planen:"))
        .unwrap();
    assert!(
        decision.contains("Kommunstyrelsen 2019-01-28, § 12"),
        "{decision}"
    );
    assert!(decision.contains("diarienummer saknas"), "{decision}");
}

#[test]
fn controls_show_occurrences_parameters_findings_and_deviation() {
    let plan = ks_plan();
    let s = controls_section(&plan, YEAR_END, &deviations());
    assert_eq!(
        s.children
            .iter()
            .map(|c| c.title.as_str())
            .collect::<Vec<_>>(),
        [
            "Väl fungerande IT-miljö i kommunen",
            "Kommunens handlingar",
            "Sund ekonomi",
            "Processen administrera löner",
            "Upphandlingsprocessen",
            "Samhällsbyggnadsprocessen",
            "Kommunikationsprocessen",
            "Lokalförsörjningsprocessen",
        ]
    );
    let c03 = row_of(&s, "C03");
    assert!(
        c03[2].starts_with("Ej klart i år\n3 av 12 genomförda\n9 inte genomförda enligt plan"),
        "{c03:?}"
    );
    let c05 = row_of(&s, "C05");
    assert!(c05[1].contains("Planerat: > 50 000 kr"), "{c05:?}");
    assert!(
        c05[1].contains("Använt i stället: > 49 000 kr (12 tillfällen)"),
        "{c05:?}"
    );
    assert!(c05[2].starts_with("Klart\n12 av 12 genomförda"));
    let c13 = row_of(&s, "C13");
    assert!(c13[2].starts_with("Klart\n5 av 5 genomförda"), "{c13:?}");
    assert!(
        c13[3].contains("Med anmärkning: Ej tillåtna logotyper Avvikelse nr 42."),
        "{c13:?}"
    );
    let c16 = row_of(&s, "C16");
    assert!(
        c16[3].contains("Inte genomförd 2019-11-30: Ingen granskning gjordes under året."),
        "{c16:?}"
    );
    assert!(
        c03[3].contains(
            "Inte genomförda 2019-04-28 – 2019-12-28 (9 tillfällen): inget är registrerat. Avvikelser nr 50, 51."
        ),
        "{c03:?}"
    );
    let c02 = row_of(&s, "C02");
    assert!(c02[2].contains("Avslutas: beslut 2019-12-01 av Ansvarig chef: Fångar bara skräppost"));
    // Without the deviation, its absence is said.
    let none = controls_section(&plan, YEAR_END, &HashMap::new());
    assert!(row_of(&none, "C13")[3].contains("Ingen avvikelse är registrerad."));
}

#[test]
fn risk_actions_show_age_blockers_verification_and_amendments() {
    let plan = ks_plan();
    let s = risk_actions_section(&plan);
    assert_eq!(s.children.len(), 10, "ten areas");
    assert_eq!(s.children[0].title, "Informationssäkerhet");
    let r01 = row_of(&s, "RK01");
    assert!(
        r01[0].contains("dokumenterad 2012 eller tidigare (ålder minst 7 år)"),
        "{r01:?}"
    );
    assert!(r01[0].contains("Överflyttad från föregående års plan."));
    assert_eq!(r01[2], "Ej klart i år");
    let r07 = row_of(&s, "R07");
    assert!(r07[2].contains("Väntar på åtgärd R08."), "{r07:?}");
    let r08 = row_of(&s, "R08");
    assert!(r08[0].starts_with("RK05 (samma risk som ovan)"), "{r08:?}");
    let r09 = row_of(&s, "R09");
    assert!(r09[2].contains("Effekten verifierad 2019-12-10 av HR-chef"));
    let r02 = row_of(&s, "R02");
    assert!(
        r02[2].contains("Klart 2019-11-15\nEffekten är inte verifierad."),
        "{r02:?}"
    );
    let r17 = row_of(&s, "R17");
    assert!(
        r17[1].contains("Ändrad 2019-09-01: tidigare lydelse ”Prata om representation"),
        "{r17:?}"
    );
    let r16 = row_of(&s, "R16");
    assert!(r16[1].contains("Även åtgärd utifrån granskning: Bisysslor (KS-2018/753.912)"));
}

#[test]
fn audit_actions_are_grouped_by_case_and_the_shared_one_counts_once() {
    let plan = ks_plan();
    let s = audit_actions_section(&plan, &[]).unwrap();
    let titles: Vec<&str> = s.children.iter().map(|c| c.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "Bisysslor (KS-2018/753.912)",
            "Granskning av intern kontroll (KS-2019/100)",
            "Granskning av upphandling (KS-2016/200)"
        ]
    );
    let r16 = row_of(&s, "R16");
    assert!(r16[0].contains("Samma åtgärd minskar även risk RK11"));
    let aa06 = row_of(&s, "AA06");
    assert!(aa06[1].contains("Väntar på KF:s upphandlingspolicy, beslutas 2020-02-10."));
    assert_eq!(plan.summary(YEAR_END).audit_actions, 11);
}

#[test]
fn contract_follow_ups_have_their_own_table() {
    let plan = ks_plan();
    let s = contracts_section(&plan, YEAR_END, &HashMap::new()).unwrap();
    let Block::Table(t) = &s.blocks[1] else {
        panic!("a table")
    };
    assert_eq!(t.columns[1], "Avtal/uppdrag");
    assert_eq!(t.rows[0][1], "U01 Lokalvård av kommunens lokaler");
    assert_eq!(t.rows[0][6], "Kommunstyrelsen");
    assert!(t.rows[0][7].contains("Inga kontrolltillfällen är planerade."));
    assert!(contracts_section(
        &ControlPlan {
            controls: vec![],
            ..plan
        },
        YEAR_END,
        &HashMap::new()
    )
    .is_none());
}

#[test]
fn a_report_as_of_august_knows_nothing_later() {
    let plan = ks_plan();
    let day = as_of_day(Period::Tertial(2019, 2), "2026-01-01");
    assert_eq!(day, "2019-08-31");
    assert_eq!(as_of_day(Period::Year(2019), "2019-06-01"), "2019-06-01");
    let cut = plan_as_of(&plan, &day);
    // Actions done on 2019-11-15 were not done by August.
    assert_eq!(cut.summary(&day).actions_done, 0);
    assert!(cut.actions[8].verification.is_none());
    // R17's amendment of September is not yet made.
    assert_eq!(cut.actions[16].amendments.len(), 0);
    assert!(cut.actions[16].text.starts_with("Prata om representation"));
    // C03 ran Jan–Mar; the months after are missed, the rest not yet due.
    let c03 = &cut.controls[2];
    assert_eq!(c03.performed(), 3);
    assert!(control_status_cell(c03, &day)
        .contains("3 av 12 genomförda\n5 inte genomförda enligt plan"));
    // C13's findings in August (the fourth, 2019-08-28) are kept; the October one is not.
    assert_eq!(cut.controls[12].performed(), 4);
    assert!(cut.controls[1].discontinued.is_none());
    let chapter = chapter(
        "Kommunstyrelsen",
        2019,
        Some(&plan),
        &day,
        &deviations(),
        &[],
    );
    assert!(texts(&chapter).contains(&"Läget per 2019-08-31.".to_string()));
}

fn matrix() -> RiskMatrix {
    RiskMatrix {
        id: 5,
        name: "Kommunens riskmatris".into(),
        version: 2,
        probability: ["Osannolik", "Möjlig", "Sannolik", "Mycket sannolik"]
            .map(String::from)
            .to_vec(),
        consequence: ["Lindrig", "Kännbar", "Allvarlig", "Mycket allvarlig"]
            .map(String::from)
            .to_vec(),
    }
}

#[test]
fn a_risk_map_is_an_accessible_grid_with_its_table() {
    let mut plan = ks_plan();
    plan.matrix = Some(matrix());
    let score = |p, c| {
        Some(RiskScore {
            probability: p,
            consequence: c,
        })
    };
    plan.risks[0].gross = score(3, 2);
    plan.risks[0].net = score(2, 2);
    plan.risks[1].gross = score(3, 2);
    plan.risks[2].gross = score(4, 4);
    plan.risks[3].handling = Some(Handling::Accept {
        motivation: "Låg kostnad".into(),
    });
    let s = risk_map_section(&plan).unwrap();
    let Block::Chart(c) = &s.blocks[1] else {
        panic!("a chart")
    };
    assert_eq!(c.title, "Riskkarta, bruttorisk");
    assert!(c.svg.contains(r#"role="img""#));
    assert!(c
        .svg
        .contains("<title id=\"riskmap-1-gross-title\">Riskkarta, bruttorisk</title>"));
    assert!(c.svg.contains(
        "<title>Sannolikhet Sannolik (3), konsekvens Kännbar (2): 2 risker (RK01, RK02)</title>"
    ));
    assert_eq!(c.svg.matches("<rect").count(), 16);
    assert!(c
        .alt
        .contains("Sannolik (3) × Kännbar (2): 2 risker (RK01, RK02)"));
    assert!(c.alt.contains("Ej bedömda: RK04"));
    let Block::Table(t) = &s.blocks[2] else {
        panic!("its table")
    };
    assert_eq!(t.rows.len(), 4);
    assert_eq!(t.rows[0][0], "Mycket sannolik (4)");
    assert_eq!(t.rows[0][4], "1\nRK03");
    assert_eq!(t.rows[1][2], "2\nRK01, RK02");
    assert_eq!(t.rows[3][1], "0");
    assert!(matches!(&s.blocks[3], Block::Chart(c) if c.title == "Riskkarta, nettorisk"));
    // Without a matrix, no map.
    assert!(risk_map_section(&ks_plan()).is_none());
    // The risk's cell names its scores; an accepted risk without actions says why.
    let r = risk_actions_section(&plan);
    assert!(row_of(&r, "RK01")[0].contains("Bruttorisk: Sannolik (3) × Kännbar (2)"));
    let rk04 = plan.risks[3].clone();
    plan.actions
        .retain(|a| a.risk_ids().all(|id| id != rk04.id));
    let r = risk_actions_section(&plan);
    let row = row_of(&r, "RK04");
    assert_eq!(row[1], "Ingen åtgärd i planen");
    assert_eq!(row[2], "Acceptera: Låg kostnad");
}

fn unit(id: Id, name: &str) -> OrgUnit {
    OrgUnit {
        id,
        key: name.into(),
        name: name.into(),
        short_name: name.into(),
        kind: uppsikt_domain::model::OrgKind::Namnd,
        parent_id: Some(1),
        position: id,
    }
}

#[test]
fn the_oversight_table_shows_each_board_and_the_missing() {
    let ks = ks_plan();
    let mut other = ks_plan();
    other.id = 2;
    other.org_id = 3;
    other.adoption = Some(Adoption {
        body: "Socialnämnden".into(),
        decided_on: "2019-02-10".into(),
        paragraph: "§ 5".into(),
        diary_number: "SOF-2019/7".into(),
    });
    other.risk_analysis = Some(RiskAnalysis {
        held_on: Some("2018-11-01".into()),
        participants: "Presidiet och ledningsgruppen".into(),
        elected_members_took_part: true,
    });
    other.risks[0].common_from = Some(101);
    other.self_assessment = None;
    let boards = vec![
        (
            unit(2, "Kommunstyrelsen"),
            board_year(2, 2019, Some(&ks), 3, 1, YEAR_END),
        ),
        (
            unit(3, "Socialnämnden"),
            board_year(3, 2019, Some(&other), 3, 0, YEAR_END),
        ),
        (
            unit(4, "Gymnasie- och arbetsmarknadsnämnden"),
            board_year(4, 2019, None, 3, 0, YEAR_END),
        ),
    ];
    let rows = oversight_rows(&boards);
    assert_eq!(rows[0].plan_link.as_deref(), Some("/internal-control/1"));
    assert_eq!(
        rows[0].cells,
        [
            "Saknas",
            "Uppgift saknas",
            "0 av 3",
            "16 av 28 (57 %)",
            "30 av 42 (71 %)",
            "1",
            "Godtagbar",
            "Delvis"
        ]
        .map(String::from)
    );
    assert_eq!(
        rows[1].cells[0],
        "Socialnämnden 2019-02-10, § 5, dnr SOF-2019/7"
    );
    assert_eq!(rows[1].cells[1], "Ja");
    assert_eq!(rows[1].cells[2], "1 av 3");
    assert_eq!(rows[1].cells[6], "Saknas");
    assert_eq!(rows[2].cells[0], "Ingen plan i uppsikt");
    assert_eq!(rows[2].plan_link, None);
    let t = oversight_table(&boards, 2019);
    assert_eq!(t.columns.len(), 9);
    let total = t.rows.last().unwrap();
    assert_eq!(total[0], "Totalt");
    assert_eq!(total[1], "1 av 3 (planer: 2)");
    assert_eq!(total[4], "32 av 56 (57 %)");
    assert_eq!(total[5], "60 av 84 (71 %)");
    assert_eq!(total[6], "1");
}

#[test]
fn the_chapter_holds_the_seeds_parts_in_order_and_says_when_a_plan_is_missing() {
    let plan = ks_plan();
    let c = chapter(
        "Kommunstyrelsen",
        2019,
        Some(&plan),
        YEAR_END,
        &deviations(),
        &[],
    );
    assert_eq!(c.title, CHAPTER_TITLE);
    let titles: Vec<&str> = c.children.iter().map(|s| s.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            SUMMARY_TITLE,
            STRUCTURE_TITLE,
            RISK_ACTIONS_TITLE,
            AUDIT_ACTIONS_TITLE,
            CONTROLS_TITLE,
            CONTRACTS_TITLE
        ]
    );
    let intro = texts(&Section {
        children: vec![],
        ..c.clone()
    });
    assert!(intro
        .iter()
        .any(|t| t.contains("kommunallagen (KL 6:6)") && t.contains("(HKF 9410)")));
    assert!(intro
        .iter()
        .any(|t| t.contains("följs upp i delårsrapporten och i verksamhetsberättelsen")));
    let none = chapter(
        "Gymnasienämnden",
        2019,
        None,
        YEAR_END,
        &HashMap::new(),
        &[],
    );
    assert_eq!(
        texts(&none),
        ["Gymnasienämnden har ingen internkontrollplan för 2019 i uppsikt."]
    );
}

#[test]
fn the_stand_alone_report_renders_as_html_with_the_chapter_text() {
    let mut plan = ks_plan();
    plan.matrix = Some(matrix());
    plan.risks[0].gross = Some(RiskScore {
        probability: 4,
        consequence: 3,
    });
    let report = follow_up_report(
        &plan,
        "Kommunstyrelsen",
        "Huddinge kommun",
        YEAR_END,
        &deviations(),
        &[],
        7,
    );
    assert_eq!(report.meta.kind, ReportKind::InternalControlFollowUp);
    assert_eq!(report.meta.title, "Uppföljning av internkontrollplan 2019");
    assert_eq!(report.summary.title, SUMMARY_TITLE);
    let html = crate::html::render(&report);
    for sample in [
        "<title>Uppföljning av internkontrollplan 2019 – Kommunstyrelsen</title>",
        "Tio av arton riskreducerande åtgärder har slutförts.",
        "<p>Beslut om planen saknas i uppsikt.</p>",
        "Källa: Verksamhetsberättelse 2019.",
        "<caption>Riskreducerande åtgärder: Informationssäkerhet</caption>",
        "<th scope=\"col\">Risk</th><th scope=\"col\">Åtgärd</th><th scope=\"col\">Status</th><th scope=\"col\">Kommentar</th>",
        "3 av 12 genomförda<br>9 inte genomförda enligt plan",
        "Planerat: &gt; 50 000 kr<br>Använt i stället: &gt; 49 000 kr (12 tillfällen)",
        "Med anmärkning: Ej tillåtna logotyper Avvikelse nr 42.",
        "Plan för uppföljning och insyn</h2>",
        "<figure class=\"chart\"><svg",
        "<caption>Riskkarta, bruttorisk: antal risker per sannolikhet och konsekvens</caption>",
    ] {
        assert!(html.contains(sample), "sample {sample}");
    }
    assert_eq!(html.matches("<svg").count(), html.matches("</svg>").count());
    // The model's summary, so that unintended changes show in review.
    insta::assert_json_snapshot!("ks_2019_internal_control_summary", report.summary);
}

#[test]
fn the_chapter_in_a_verksamhetsberattelse_renders_under_its_heading() {
    let plan = ks_plan();
    let mut report = follow_up_report(&plan, "KS", "Kommunen", YEAR_END, &deviations(), &[], 1);
    report.meta.kind = ReportKind::Verksamhetsberattelse;
    report.sections = vec![chapter(
        "KS",
        2019,
        Some(&plan),
        YEAR_END,
        &deviations(),
        &[],
    )];
    let html = crate::html::render(&report);
    assert!(html.contains(">Intern kontroll</h2>"));
    assert!(html.contains(">Sammanfattning av nämndens internkontrollarbete</h3>"));
    assert!(html.contains(">Informationssäkerhet</h4>"));
    let bytes = crate::xlsx::render(&report).unwrap();
    use calamine::Reader;
    let wb: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    assert_eq!(
        wb.sheet_names(),
        ["Mått", "Måluppfyllelse", "Intern kontroll"]
    );
}

#[test]
fn the_stand_alone_report_compiles_to_pdf_with_its_risk_map() {
    let mut plan = ks_plan();
    plan.matrix = Some(matrix());
    plan.risks[0].gross = Some(RiskScore {
        probability: 4,
        consequence: 3,
    });
    let report = follow_up_report(
        &plan,
        "Kommunstyrelsen",
        "Kommunen",
        YEAR_END,
        &deviations(),
        &[],
        7,
    );
    let markup = crate::pdf::markup(&report);
    assert!(markup.contains("format: \"svg\""), "the risk map is drawn");
    let pdf = crate::pdf::render(&report).unwrap();
    assert!(pdf.starts_with(b"%PDF"));
}
