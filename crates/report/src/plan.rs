//! The verksamhetsplan for one unit and year as a [`Report`]: the unit's goals with their
//! indicators, each with the year's milestone, the long-term targets still ahead and the
//! latest outcome before the year as its baseline (labelled with its period), and the
//! year's commitments (those carried over say from which year). The renderers (HTML, PDF,
//! XLSX) are the follow-up reports'. Module chapters (an internal-control plan, a budget)
//! join as [`ReportPart`]s through [`build_with`]; none is invented here.

use std::collections::HashMap;

use uppsikt_domain::messages::decision_reference;
use uppsikt_domain::model::{Commitment, Goal, Id, IndicatorRecord};
use uppsikt_domain::plan::PlanDecision;
use uppsikt_domain::{Breakdown, Outcome, Period};
use uppsikt_store::{Scope, Store};

use crate::build::{Context, ReportError, ReportPart, Request, Result, Subject, UnitData};
use crate::followup::{format_value, source_label};
use crate::model::{Block, MeasureValues, Report, ReportKind, ReportMeta, Section, Table};

/// What a plan is built from, loaded once (the plan page shows the same).
pub struct PlanData {
    pub year: i32,
    pub goals: Vec<Goal>,
    /// The indicators of the unit's goals.
    pub records: Vec<IndicatorRecord>,
    /// Every commitment of the unit's goals (all years: a carried one names last year's).
    pub commitments: Vec<Commitment>,
    /// The decision that covers the plan (the unit's own or one above it), if any.
    pub decision: Option<PlanDecision>,
}

impl PlanData {
    pub async fn load(store: &Store, org_id: Id, year: i32) -> Result<PlanData> {
        Ok(PlanData {
            year,
            goals: store.goals_of_org(org_id).await?,
            records: store.indicator_records(Scope::Org(org_id)).await?,
            commitments: store.commitments(Scope::Org(org_id)).await?,
            decision: store.plan_covering(org_id, year).await?,
        })
    }

    /// The indicators of a goal, in order.
    pub fn records_of(&self, goal_id: Id) -> impl Iterator<Item = &IndicatorRecord> {
        self.records
            .iter()
            .filter(move |r| r.indicator.goal_id == goal_id)
    }

    /// The year's commitments of a goal, in order.
    pub fn commitments_of(&self, goal_id: Id) -> impl Iterator<Item = &Commitment> {
        self.commitments
            .iter()
            .filter(move |c| c.goal_id == goal_id && c.year == self.year)
    }

    /// The year a commitment was carried over from, if it was.
    pub fn carried_from_year(&self, c: &Commitment) -> Option<i32> {
        let from = c.carried_over_from?;
        self.commitments
            .iter()
            .find(|o| o.id == from)
            .map(|o| o.year)
    }
}

/// The latest total outcome that ended before the plan's year began: the plan's baseline.
pub fn baseline(record: &IndicatorRecord, year: i32) -> Option<&Outcome> {
    let before = Period::Year(year - 1).last_day_number();
    record
        .outcomes
        .iter()
        .filter(|o| o.breakdown == Breakdown::Total && o.period.last_day_number() <= before)
        .max_by_key(|o| {
            (
                o.period.last_day_number(),
                matches!(o.period, Period::Year(_)),
            )
        })
}

/// The baseline as the plan shows it: "853 (2019)", or that there is none.
pub fn baseline_sv(record: &IndicatorRecord, year: i32) -> String {
    match baseline(record, year) {
        Some(o) => format!(
            "{} ({})",
            format_value(o.value, record.indicator.decimals, &record.indicator.unit),
            o.period.label_sv()
        ),
        None => format!("Inget utfall före {year}"),
    }
}

/// The milestone of a year as shown, if set.
pub fn milestone_sv(record: &IndicatorRecord, year: i32) -> Option<String> {
    record
        .milestones
        .iter()
        .find(|(y, _)| *y == year)
        .map(|(_, t)| t.label_sv(record.indicator.decimals))
}

/// The long-term targets of the plan's year and later: "≥ 1 000 (2030)".
pub fn targets_sv(record: &IndicatorRecord, year: i32) -> String {
    let mut targets: Vec<&(i32, uppsikt_domain::Target)> =
        record.targets.iter().filter(|(y, _)| *y >= year).collect();
    targets.sort_by_key(|(y, _)| *y);
    targets
        .iter()
        .map(|(y, t)| format!("{} ({y})", t.label_sv(record.indicator.decimals)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The words for a missing milestone.
pub const MISSING: &str = "Saknas";

/// Builds the verksamhetsplan (no module chapters exist yet).
pub async fn build(store: &Store, request: Request) -> Result<Report> {
    build_with(store, request, &[]).await
}

/// Builds the verksamhetsplan with module chapters (`parts`) after the goals.
pub async fn build_with(
    store: &Store,
    request: Request,
    parts: &[&dyn ReportPart],
) -> Result<Report> {
    let Subject::Unit(org_id) = request.subject else {
        return Err(ReportError::Invalid(
            "En verksamhetsplan gäller en nämnd eller styrelse; välj enheten.".into(),
        ));
    };
    let period = request.period()?;
    let year = request.year;
    let data_version = store.data_version().await?;
    let unit = store.org_unit(org_id).await?;
    let organisation = store
        .org_units()
        .await?
        .into_iter()
        .find(|u| u.parent_id.is_none())
        .map_or_else(|| unit.name.clone(), |u| u.name);
    let data = PlanData::load(store, org_id, year).await?;
    let mut sections: Vec<Section> = data.goals.iter().map(|g| goal_section(&data, g)).collect();
    if !parts.is_empty() {
        let ctx = Context {
            store,
            request,
            period,
            units: vec![UnitData::load(store, unit.clone(), period).await?],
            options: crate::build::Options::default(),
        };
        for part in parts {
            sections.extend(part.sections(&ctx).await?);
        }
    }
    let measures = data
        .goals
        .iter()
        .flat_map(|g| data.records_of(g.id).map(move |r| (g, r)))
        .map(|(g, r)| MeasureValues {
            unit_name: unit.name.clone(),
            goal: g.title.clone(),
            indicator: r.indicator.name.clone(),
            unit: r.indicator.unit.clone(),
            decimals: r.indicator.decimals,
            source: source_label(&r.indicator.source, r.kolada),
            values: baseline(r, year)
                .map(|o| {
                    (
                        o.period.to_string(),
                        o.breakdown.label_sv(),
                        o.value,
                        o.margin,
                    )
                })
                .into_iter()
                .collect(),
            milestone: milestone_sv(r, year).unwrap_or_else(|| MISSING.into()),
            status: String::new(),
            trend: String::new(),
            // A plan judges nothing: its baseline is shown, not evaluated.
            by_period: Vec::new(),
        })
        .collect();
    Ok(Report {
        meta: ReportMeta {
            kind: ReportKind::Verksamhetsplan,
            title: format!("Verksamhetsplan {year}"),
            subject: unit.name.clone(),
            organisation,
            period,
            period_label: format!("1 januari–31 december {year}"),
            data_version,
            generated_at: String::new(),
            version: crate::build::Version::Board,
            draft_note: None,
            decided_href: None,
        },
        summary: summary(&data),
        sections,
        measures,
    })
}

fn summary(data: &PlanData) -> Section {
    let year = data.year;
    let mut s = Section::new("Om verksamhetsplanen");
    s.blocks.push(Block::Labeled {
        label: "Beslut".into(),
        text: match &data.decision {
            Some(d) => format!("{}.", decision_reference(&d.as_reference())),
            None => "Utkast – planen är inte beslutad.".into(),
        },
    });
    s.blocks.push(Block::Paragraph {
        text: format!(
            "Målen och måtten gäller tills vidare och följer med från år till år. Etappmålen och utvecklingsåtagandena gäller för {year}."
        ),
    });
    s.blocks.push(Block::Paragraph {
        text: format!(
            "Utgångsläget är måttets senaste utfall (totalt) före {year}, med den period det avser."
        ),
    });
    let indicators = data
        .goals
        .iter()
        .flat_map(|g| data.records_of(g.id))
        .count();
    let missing = data
        .goals
        .iter()
        .flat_map(|g| data.records_of(g.id))
        .filter(|r| milestone_sv(r, year).is_none())
        .count();
    let commitments = data
        .goals
        .iter()
        .flat_map(|g| data.commitments_of(g.id))
        .count();
    s.blocks.push(Block::Table(Table {
        caption: format!("Planen {year} i siffror"),
        columns: vec!["Innehåll".into(), "Antal".into()],
        rows: vec![
            vec!["Mål".into(), data.goals.len().to_string()],
            vec!["Mått".into(), indicators.to_string()],
            vec![
                format!("Mått utan etappmål för {year}"),
                missing.to_string(),
            ],
            vec![
                format!("Utvecklingsåtaganden {year}"),
                commitments.to_string(),
            ],
        ],
        row_headers: true,
    }));
    s
}

fn goal_section(data: &PlanData, goal: &Goal) -> Section {
    let year = data.year;
    let mut s = Section::new(goal.title.clone());
    if !goal.description.trim().is_empty() {
        s.blocks.push(Block::Paragraph {
            text: goal.description.clone(),
        });
    }
    let rows: Vec<Vec<String>> = data
        .records_of(goal.id)
        .map(|r| {
            vec![
                r.indicator.name.clone(),
                baseline_sv(r, year),
                milestone_sv(r, year).unwrap_or_else(|| MISSING.into()),
                targets_sv(r, year),
            ]
        })
        .collect();
    if rows.is_empty() {
        s.blocks.push(Block::Paragraph {
            text: "Målet har inga mått.".into(),
        });
    } else {
        s.blocks.push(Block::Table(Table {
            caption: format!("Mått och etappmål {year}: {}", goal.title),
            columns: vec![
                "Mått".into(),
                format!("Utgångsläge (senast före {year})"),
                format!("Etappmål {year}"),
                "Långsiktigt målvärde".into(),
            ],
            rows,
            row_headers: true,
        }));
    }
    let by_id: HashMap<Id, &Commitment> = data.commitments.iter().map(|c| (c.id, c)).collect();
    let rows: Vec<Vec<String>> = data
        .commitments_of(goal.id)
        .map(|c| {
            let origin = match c.carried_over_from.and_then(|id| by_id.get(&id)) {
                Some(old) => format!("Överflyttat från {}", old.year),
                None => format!("Nytt för {year}"),
            };
            vec![c.title.clone(), c.description.clone(), origin]
        })
        .collect();
    if !rows.is_empty() {
        s.blocks.push(Block::Table(Table {
            caption: format!("Utvecklingsåtaganden {year}: {}", goal.title),
            columns: vec![
                "Utvecklingsåtagande".into(),
                "Beskrivning".into(),
                "Ursprung".into(),
            ],
            rows,
            row_headers: true,
        }));
    }
    s
}
