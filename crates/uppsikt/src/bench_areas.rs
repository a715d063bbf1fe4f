//! `uppsikt bench areas`: a synthetic municipality's areas and crime-prevention register
//! for `bench/areas.sh`: `areas` kommundelar, weekly lägesbilder for `years` years (one
//! per area and week, as OSG reports each kommundel on Thursdays), three tertial and one
//! overall report per year over every area, `forums` forums, and a statute with eight
//! duties. Every generated report is marked synthetic. Hidden from `--help`.

use uppsikt_domain::area::{Area, AreaKind, Classification, PoliceClass};
use uppsikt_domain::forum::{Documented, Forum, Member};
use uppsikt_domain::model::{Id, OrgKind};
use uppsikt_domain::obligation::{
    ComplianceStatus, EvidenceKind, Obligation, ObligationAssessment, Statute,
};
use uppsikt_domain::situation::{
    AreaLevel, LevelScale, ReportStatus, SituationKind, SituationReport,
};
use uppsikt_store::{ChangeSource, Store, StoreError};

/// The shape of the synthetic register.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct AreaShape {
    #[arg(long, default_value_t = 40)]
    pub areas: usize,
    #[arg(long, default_value_t = 10)]
    pub years: usize,
    #[arg(long, default_value_t = 100)]
    pub forums: usize,
}

/// The last year the synthetic reports cover.
pub const LAST_YEAR: i32 = 2025;

fn report(kind: SituationKind, title: String, start: String, end: String) -> SituationReport {
    SituationReport {
        id: 0,
        kind,
        title,
        period_start: start,
        period_end: end,
        producer: "OSG (syntetisk)".into(),
        producer_forum_id: None,
        status: ReportStatus::Final,
        levels: Vec::new(),
        unnamed_levels: Vec::new(),
        checklist: Default::default(),
        summary: String::new(),
        public: true,
        synthetic: true,
        presentations: Vec::new(),
    }
}

/// A level that drifts slowly per area and week, 1–5.
fn level(area: usize, step: usize) -> u8 {
    (1 + (area * 7 + step / 13) % 5) as u8
}

/// Writes the register; one transaction per year of reports. Answers the number of
/// reports written, the id of the area with the most levels (the first), and the statute.
pub async fn generate(store: &Store, shape: AreaShape) -> Result<(usize, Id, Id), StoreError> {
    let units = store.org_units().await?;
    let ks = units
        .iter()
        .find(|u| u.kind == OrgKind::Styrelse)
        .map(|u| u.id);
    let mut w = store.writer("bench", ChangeSource::Bench).await?;
    let mut area_ids = Vec::new();
    for a in 0..shape.areas {
        let id = w
            .create_area(&Area {
                id: 0,
                name: format!("Syntetisk kommundel {:02}", a + 1),
                kind: Some(AreaKind::District),
                parent_id: None,
                note: String::new(),
                classifications: if a % 10 == 0 {
                    vec![Classification {
                        year: Some(LAST_YEAR),
                        class: PoliceClass::Vulnerable,
                        source: "Syntetisk".into(),
                        as_of: None,
                    }]
                } else {
                    Vec::new()
                },
            })
            .await?;
        area_ids.push(id);
    }
    w.set_level_scale(&LevelScale {
        board_id: ks,
        ..LevelScale::default()
    })
    .await?;
    let mut forum_ids = Vec::new();
    for f in 0..shape.forums {
        let id = w
            .create_forum(&Forum {
                id: 0,
                code: format!("S{:03}", f + 1),
                name: format!("Syntetiskt forum {}", f + 1),
                purpose: if f % 7 == 0 {
                    String::new()
                } else {
                    "Samverkan om trygghet i området.".into()
                },
                chair: "Säkerhetschef".into(),
                members: (0..6)
                    .map(|m| Member {
                        organisation: format!("Organisation {m}"),
                        role: "Representant".into(),
                    })
                    .collect(),
                cadence: "varje månad".into(),
                reports_to_unit: if f % 3 == 0 { None } else { ks },
                reports_to_forum: None,
                reports_what: if f % 3 == 0 {
                    String::new()
                } else {
                    "Lägesbild och åtgärder".into()
                },
                documented: if f % 5 == 0 {
                    Documented::No
                } else {
                    Documented::Yes
                },
                evaluated_on: (f % 4 != 0).then(|| format!("{LAST_YEAR}-03-01")),
                evaluation: String::new(),
                area_ids: vec![area_ids[f % area_ids.len()]],
                council: None,
                meetings: Vec::new(),
                note: String::new(),
            })
            .await?;
        forum_ids.push(id);
    }
    let statute = w
        .create_statute(&Statute {
            id: 0,
            sfs: "2099:1".into(),
            title: "Syntetisk lag om kommunala skyldigheter".into(),
            in_force: Some("2020-01-01".into()),
            leading_unit_id: ks,
            url: String::new(),
            note: String::new(),
        })
        .await?;
    for n in 1..=8usize {
        w.create_obligation(&Obligation {
            id: 0,
            statute_id: statute,
            code: format!("L{n}"),
            section: String::new(),
            duty: format!("Syntetisk skyldighet {n}"),
            checklist: vec!["Innehåll A".into(), "Innehåll B".into()],
            requirement: (n <= 6).then(|| n.div_ceil(2).to_string()),
            first_due: Some("2024-07-01".into()),
            every_months: Some(24),
            responsible_unit_id: ks,
            fulfilled_by: Some(if n == 1 {
                EvidenceKind::SituationReport
            } else {
                EvidenceKind::Decision
            }),
            evidence: Vec::new(),
            assessments: vec![ObligationAssessment {
                status: if n % 2 == 0 {
                    ComplianceStatus::NotMet
                } else {
                    ComplianceStatus::NotAssessed
                },
                assessed_by: "Syntetiska revisorer".into(),
                by_auditors: true,
                assessed_on: "2024-09-01".into(),
                text: String::new(),
            }],
            note: String::new(),
        })
        .await?;
    }
    w.commit().await?;
    let mut written = 0;
    let first = LAST_YEAR - shape.years as i32 + 1;
    let mut step = 0;
    for year in first..=LAST_YEAR {
        let mut w = store.writer("bench", ChangeSource::Bench).await?;
        for week in 1..=52u32 {
            let day = uppsikt_domain::date::days_from_civil(i64::from(year), 1, 1)
                + i64::from(week - 1) * 7;
            let end = uppsikt_domain::date::from_day_number(day + 6);
            let start = uppsikt_domain::date::from_day_number(day);
            for (a, area) in area_ids.iter().enumerate() {
                let mut r = report(
                    SituationKind::Weekly,
                    format!("Vecka {week} {year}, kommundel {:02}", a + 1),
                    start.clone(),
                    end.clone(),
                );
                r.levels = vec![AreaLevel {
                    area_id: *area,
                    level: level(a, step),
                }];
                w.create_situation_report(&r).await?;
                written += 1;
            }
            step += 1;
        }
        for (t, (s, e)) in [("01-01", "04-30"), ("05-01", "08-31"), ("09-01", "12-31")]
            .iter()
            .enumerate()
        {
            let mut r = report(
                SituationKind::Tertial,
                format!("Tertial {} {year}", t + 1),
                format!("{year}-{s}"),
                format!("{year}-{e}"),
            );
            r.levels = area_ids
                .iter()
                .enumerate()
                .map(|(a, id)| AreaLevel {
                    area_id: *id,
                    level: level(a, step + t),
                })
                .collect();
            w.create_situation_report(&r).await?;
            written += 1;
        }
        let mut r = report(
            SituationKind::Overall,
            format!("Övergripande lägesbild {year}"),
            format!("{year}-01-01"),
            format!("{year}-12-31"),
        );
        r.levels = area_ids
            .iter()
            .enumerate()
            .map(|(a, id)| AreaLevel {
                area_id: *id,
                level: level(a, step),
            })
            .collect();
        w.create_situation_report(&r).await?;
        written += 1;
        w.commit().await?;
    }
    Ok((written, area_ids[0], statute))
}
