//! Areas' pages: every area with the municipality-wide comparison of the indicators
//! broken down by area (`/areas`), and one area's page (`/areas/{id}`): its
//! classification per year with the source, its indicator values beside the municipal
//! value, its lägesbild history, and for those signed in the open deviations tagged with
//! it and the forums and agreements working there.
//!
//! Guards (`lib.rs`): both pages are open ([`Action::ReadPublished`]); what a visitor
//! sees is decided by the one public rule (`publication::Audience`): indicator values of
//! decided periods only, and lägesbild levels only of reports the municipality marked
//! public. Deviations, forums and agreements are working material: signed-in only.
//!
//! [`Action::ReadPublished`]: uppsikt_domain::access::Action::ReadPublished

use std::collections::HashMap;

use askama::Template;
use axum::extract::{OriginalUri, State};
use axum::response::Response;
use uppsikt_domain::access::Action;
use uppsikt_domain::area::{self, Area, ComparisonRow};
use uppsikt_domain::deviation::Concern;
use uppsikt_domain::forum;
use uppsikt_domain::model::{Id, IndicatorRecord};
use uppsikt_domain::number::format_sv;
use uppsikt_domain::publication::Audience;
use uppsikt_store::{DeviationFilter, Scope};

use crate::auth::Viewer;
use crate::crumbs::Crumbs;
use crate::error::{Path, Result};
use crate::AppState;

/// The menu's and the trail's name for the areas.
pub const LABEL: &str = "Områden";

/// The most open deviations an area page lists (the Uppsikt view has them all).
const DEVIATIONS_SHOWN: usize = 50;

pub fn areas_crumbs() -> Crumbs {
    Crumbs::start().then("/areas", LABEL)
}

/// The trail to an area (its page and its forms alike).
pub fn area_trail(a: &Area) -> Crumbs {
    areas_crumbs().then(format!("/areas/{}", a.id), a.name.clone())
}

/// Every indicator record as the audience may see it (the public: decided periods only).
pub(crate) async fn visible_records(
    state: &AppState,
    audience: &Audience,
) -> Result<Vec<IndicatorRecord>> {
    let records = state.store.indicator_records(Scope::All).await?;
    if !audience.is_public() {
        return Ok(records);
    }
    let owner: HashMap<Id, Id> = state
        .store
        .goals()
        .await?
        .into_iter()
        .map(|g| (g.id, g.org_id))
        .collect();
    Ok(records
        .into_iter()
        .filter_map(|r| {
            let org = *owner.get(&r.indicator.goal_id)?;
            let r = audience.indicator(org, r);
            audience.sees_indicator(&r).then_some(r)
        })
        .collect())
}

fn value_sv(r: &IndicatorRecord, v: f64) -> String {
    let unit = r.indicator.unit.trim();
    let n = format_sv(v, r.indicator.decimals);
    if unit.is_empty() {
        n
    } else if unit == "%" {
        format!("{n} %")
    } else {
        format!("{n} {unit}")
    }
}

// ---- The list and the comparison ----

pub struct AreaRow {
    pub id: Id,
    pub name: String,
    pub kind: String,
    pub class: String,
    pub parent: String,
}

pub struct CompareRow {
    pub indicator_id: Id,
    pub indicator: String,
    pub period: String,
    pub municipal: String,
    pub best: String,
    pub worst: String,
    pub areas: usize,
}

pub struct WorstCount {
    pub name: String,
    pub id: Option<Id>,
    pub count: usize,
}

#[derive(Template)]
#[template(path = "areas.html")]
struct AreasPage {
    crumbs: String,
    areas: Vec<AreaRow>,
    rows: Vec<CompareRow>,
    counts: Vec<WorstCount>,
    compared: usize,
    can_manage: bool,
    public: bool,
}

pub(crate) fn compare_row(r: &IndicatorRecord, c: &ComparisonRow) -> CompareRow {
    let join = |names: &[String], values: &[(String, f64)]| {
        names
            .iter()
            .map(|n| {
                let v = values
                    .iter()
                    .find(|(m, _)| m == n)
                    .map(|(_, v)| value_sv(r, *v))
                    .unwrap_or_default();
                format!("{n} ({v})")
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    CompareRow {
        indicator_id: r.indicator.id,
        indicator: r.indicator.name.clone(),
        period: c.period.label_sv(),
        municipal: c
            .municipal
            .map(|v| value_sv(r, v))
            .unwrap_or_else(|| "Saknas".into()),
        best: join(&c.best, &c.values),
        worst: join(&c.worst, &c.values),
        areas: c.values.len(),
    }
}

/// `GET /areas`: every area, and which areas are worst on which indicators.
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
) -> Result<Response> {
    let (state, viewer) = (&state, &viewer);
    crate::pages::cached_today(state, viewer, &uri, |_today| async move {
        let audience = crate::pages::audience(state, viewer).await?;
        let areas = area::sorted(state.store.areas().await?);
        let records = visible_records(state, &audience).await?;
        let comparison = area::comparison(&records);
        let by_id: HashMap<Id, &IndicatorRecord> =
            records.iter().map(|r| (r.indicator.id, r)).collect();
        let rows: Vec<CompareRow> = comparison
            .iter()
            .filter_map(|c| by_id.get(&c.indicator_id).map(|r| compare_row(r, c)))
            .collect();
        let counts = area::worst_counts(&comparison)
            .into_iter()
            .map(|(name, count)| WorstCount {
                id: areas.iter().find(|a| a.name == name).map(|a| a.id),
                name,
                count,
            })
            .collect();
        let names: HashMap<Id, String> = areas.iter().map(|a| (a.id, a.name.clone())).collect();
        let this_year = uppsikt_store::today()
            .get(..4)
            .and_then(|y| y.parse().ok())
            .unwrap_or(i32::MAX);
        Ok(AreasPage {
            crumbs: areas_crumbs().html(),
            areas: areas
                .iter()
                .map(|a| AreaRow {
                    id: a.id,
                    name: a.name.clone(),
                    kind: a.kind.map(|k| k.label_sv()).unwrap_or("Ej angivet").into(),
                    class: a.class_in(this_year).map(class_sv).unwrap_or_default(),
                    parent: a
                        .parent_id
                        .and_then(|p| names.get(&p).cloned())
                        .unwrap_or_default(),
                })
                .collect(),
            compared: rows.len(),
            rows,
            counts,
            can_manage: viewer.allows(Action::ManageSources, &[]),
            public: viewer.is_public(),
        }
        .render()?)
    })
    .await
}

fn class_sv(c: &area::Classification) -> String {
    match c.year {
        Some(y) => format!("{} ({y})", c.class.label_sv()),
        None => format!("{} (år saknas)", c.class.label_sv()),
    }
}

// ---- One area ----

pub struct ClassRow {
    pub year: String,
    pub class: String,
    pub source: String,
    pub as_of: String,
}

pub struct ValueRow {
    pub indicator_id: Id,
    pub indicator: String,
    pub period: String,
    pub value: String,
    pub municipal: String,
    pub difference: String,
    pub worst: bool,
    pub areas: usize,
}

pub struct LevelRow {
    pub report_id: Id,
    pub title: String,
    pub kind: &'static str,
    pub period_end: String,
    pub level: u8,
    pub change: String,
    pub rose: bool,
}

pub struct DeviationRow {
    pub id: Id,
    pub description: String,
    pub source: &'static str,
    pub raised_on: String,
    pub decision: String,
    pub actions: usize,
}

pub struct Link {
    pub href: String,
    pub label: String,
    pub note: String,
}

#[derive(Template)]
#[template(path = "area.html")]
struct AreaPage {
    crumbs: String,
    area: Area,
    kind: String,
    parent: Option<Link>,
    children: Vec<Link>,
    classes: Vec<ClassRow>,
    values: Vec<ValueRow>,
    levels: Vec<LevelRow>,
    weekly: Vec<LevelRow>,
    levels_hidden: usize,
    max_level: u8,
    definitions_missing: bool,
    deviations: Vec<DeviationRow>,
    deviations_total: usize,
    forums: Vec<Link>,
    agreements: Vec<Link>,
    signed_in: bool,
    can_manage: bool,
}

/// `GET /areas/{id}`.
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Id>,
    uri: OriginalUri,
) -> Result<Response> {
    crate::pages::object_page(&state, &viewer, &uri, id, area_html).await
}

async fn area_html(state: &AppState, viewer: &Viewer, id: Id, today: &str) -> Result<String> {
    let store = &state.store;
    let area = store.area(id).await?;
    let areas = store.areas().await?;
    let audience = crate::pages::audience(state, viewer).await?;
    let records = visible_records(state, &audience).await?;
    let by_id: HashMap<Id, &IndicatorRecord> =
        records.iter().map(|r| (r.indicator.id, r)).collect();
    let values = area::area_values(&records, &area.name)
        .into_iter()
        .filter_map(|v| {
            let r = by_id.get(&v.indicator_id)?;
            Some(ValueRow {
                indicator_id: v.indicator_id,
                indicator: r.indicator.name.clone(),
                period: v.period.label_sv(),
                value: value_sv(r, v.value),
                municipal: v
                    .municipal
                    .map(|m| value_sv(r, m))
                    .unwrap_or_else(|| "Saknas".into()),
                difference: v
                    .municipal
                    .map(|m| {
                        let d = v.value - m;
                        let sign = if d > 0.0 { "+" } else { "" };
                        format!("{sign}{}", format_sv(d, r.indicator.decimals))
                    })
                    .unwrap_or_default(),
                worst: v.worst,
                areas: v.areas_with_value,
            })
        })
        .collect();
    let (levels, weekly, levels_hidden) = level_rows(state, &audience, id).await?;
    let scale = store.level_scale().await?;
    let signed_in = !viewer.is_public();
    let (deviations, deviations_total) = if signed_in {
        let page = store
            .deviation_page(
                &DeviationFilter {
                    org_ids: None,
                    area: Some(area.name.clone()),
                },
                Concern::All,
                today,
                0,
                DEVIATIONS_SHOWN,
            )
            .await?;
        let rows = page
            .items
            .iter()
            .map(|d| DeviationRow {
                id: d.id,
                description: d.deviation.raised.description.clone(),
                source: d.deviation.raised.source.label_sv(),
                raised_on: d.deviation.raised_on.clone(),
                decision: uppsikt_report::oversight::deviations::standing_sv(
                    d.deviation.standing(),
                )
                .into(),
                actions: d.deviation.actions.len(),
            })
            .collect();
        (rows, page.total)
    } else {
        (Vec::new(), 0)
    };
    // The area and the areas it lies in: a forum working in Flemingsberg works in
    // Grantorp too.
    let mut chain = vec![area.id];
    let mut at = area.parent_id;
    while let Some(p) = at.filter(|p| !chain.contains(p)) {
        chain.push(p);
        at = areas.iter().find(|a| a.id == p).and_then(|a| a.parent_id);
    }
    let (forums, agreements) = if signed_in {
        let fs = store.forums().await?;
        let ags = store.agreements().await?;
        let forums = forum::active_in(&fs, |f| &f.area_ids, &chain, false)
            .into_iter()
            .map(|f| Link {
                href: format!("/forums/{}", f.id),
                label: f.name.clone(),
                note: f.purpose.clone(),
            })
            .collect();
        let agreements = forum::active_in(&ags, |a| &a.area_ids, &chain, false)
            .into_iter()
            .map(|a| Link {
                href: format!("/agreements/{}", a.id),
                label: a.title.clone(),
                note: validity_sv(a),
            })
            .collect();
        (forums, agreements)
    } else {
        (Vec::new(), Vec::new())
    };
    let link = |a: &Area| Link {
        href: format!("/areas/{}", a.id),
        label: a.name.clone(),
        note: a.kind.map(|k| k.label_sv()).unwrap_or_default().into(),
    };
    let parent = area
        .parent_id
        .and_then(|p| areas.iter().find(|a| a.id == p))
        .map(link);
    let children = area::sorted(
        areas
            .iter()
            .filter(|a| a.parent_id == Some(area.id))
            .cloned()
            .collect(),
    )
    .iter()
    .map(link)
    .collect();
    let classes = area
        .classifications
        .iter()
        .rev()
        .map(|c| ClassRow {
            year: c.year.map(|y| y.to_string()).unwrap_or("Ej angivet".into()),
            class: c.class.label_sv().into(),
            source: if c.source.trim().is_empty() {
                "Källa saknas".into()
            } else {
                c.source.clone()
            },
            as_of: c.as_of.clone().unwrap_or_default(),
        })
        .collect();
    Ok(AreaPage {
        crumbs: area_trail(&area).html(),
        kind: area
            .kind
            .map(|k| k.label_sv())
            .unwrap_or("Ej angivet")
            .into(),
        parent,
        children,
        classes,
        values,
        levels,
        weekly,
        levels_hidden,
        max_level: scale.max_level,
        definitions_missing: scale.definitions.is_empty(),
        deviations,
        deviations_total,
        forums,
        agreements,
        signed_in,
        can_manage: viewer.allows(Action::ManageSources, &[]),
        area,
    }
    .render()?)
}

/// "2023-01-01 – 2026-12-31", open ends shown as such.
pub(crate) fn validity_sv(a: &forum::Agreement) -> String {
    match (&a.valid_from, &a.valid_to) {
        (None, None) => "Giltighet ej angiven".into(),
        (f, t) => format!(
            "{} – {}",
            f.as_deref().unwrap_or("…"),
            t.as_deref().unwrap_or("tills vidare")
        ),
    }
}

/// The weekly levels an area page lists (the newest); the rest are in the reports.
const WEEKS_SHOWN: usize = 12;

/// An area's level history, newest first, as the audience may see it: the tertial and
/// overall reports in full and the latest weekly ones; and how many levels were left out
/// for the public.
async fn level_rows(
    state: &AppState,
    audience: &Audience,
    area_id: Id,
) -> Result<(Vec<LevelRow>, Vec<LevelRow>, usize)> {
    let history = state.store.area_level_history(area_id).await?;
    let (mut board, mut weekly, mut hidden) = (Vec::new(), Vec::new(), 0);
    for h in history.iter().rev() {
        if !audience.sees_levels_marked(h.public) {
            hidden += 1;
            continue;
        }
        let row = LevelRow {
            report_id: h.report_id,
            title: h.title.clone(),
            kind: h.kind.label_sv(),
            period_end: h.period_end.clone(),
            level: h.level,
            change: match h.change {
                None => "Första".into(),
                Some(0) => "Oförändrat".into(),
                Some(c) if c > 0 => format!("Upp {c}"),
                Some(c) => format!("Ned {}", -c),
            },
            rose: h.change.is_some_and(|c| c > 0),
        };
        if h.kind.reaches_board() {
            board.push(row);
        } else if weekly.len() < WEEKS_SHOWN {
            weekly.push(row);
        }
    }
    Ok((board, weekly, hidden))
}
