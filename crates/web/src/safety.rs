//! The crime-prevention register's pages: the overview (`/crime-prevention`) with each
//! statute's compliance ("2 av 4"), the latest situation reports, the forum registry
//! and the agreements with what the audits found missing; the situation reports by year
//! (`/situation-reports`) and one (`/situation-reports/{id}`); one forum, agreement,
//! statute (its compliance page: the law as a checklist) and duty; and the JSON API.
//!
//! Guards (`lib.rs`): all are working material in the [`Action::ReadAll`] group (the
//! public meets areas on the area pages, and the register in the decided reports). The
//! forms are in `forms/safety.rs` ([`Action::ManageSafety`] and, for a duty's status,
//! the auditors and the responsible board).
//!
//! [`Action::ReadAll`]: uppsikt_domain::access::Action::ReadAll
//! [`Action::ManageSafety`]: uppsikt_domain::access::Action::ManageSafety

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use axum::extract::{OriginalUri, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use uppsikt_domain::access::Action;
use uppsikt_domain::area::Area;
use uppsikt_domain::forum::{self, Agreement, Forum};
use uppsikt_domain::model::{Id, OrgUnit};
use uppsikt_domain::obligation::{self, Compliance, EvidenceFacts, Obligation, Statute};
use uppsikt_domain::situation::{self, LevelScale, SituationKind, SituationReport};

use crate::auth::Viewer;
use crate::crumbs::Crumbs;
use crate::error::{AppError, Path, Query, Result};
use crate::AppState;

/// The menu's and the trail's name.
pub const LABEL: &str = "Brottsförebyggande arbete";
/// The menu's shorter name.
pub const MENU_LABEL: &str = "Trygghet";

pub fn hub_crumbs() -> Crumbs {
    Crumbs::start().then("/crime-prevention", LABEL)
}

pub fn reports_crumbs() -> Crumbs {
    hub_crumbs().then("/situation-reports", "Lägesbilder")
}

pub fn report_trail(r: &SituationReport) -> Crumbs {
    reports_crumbs().then(format!("/situation-reports/{}", r.id), r.title.clone())
}

pub fn forum_trail(f: &Forum) -> Crumbs {
    hub_crumbs().then(format!("/forums/{}", f.id), f.name.clone())
}

pub fn agreement_trail(a: &Agreement) -> Crumbs {
    hub_crumbs().then(format!("/agreements/{}", a.id), a.title.clone())
}

pub fn statute_trail(s: &Statute) -> Crumbs {
    hub_crumbs().then(format!("/statutes/{}", s.id), statute_name(s))
}

pub fn obligation_trail(s: &Statute, o: &Obligation) -> Crumbs {
    statute_trail(s).then(format!("/obligations/{}", o.id), o.code.clone())
}

/// "Lag (2023:196) om kommuners …" as the statute is cited.
pub fn statute_name(s: &Statute) -> String {
    if s.title.contains(&s.sfs) {
        s.title.clone()
    } else {
        format!("{} ({})", s.title, s.sfs)
    }
}

fn unit_name(units: &HashMap<Id, OrgUnit>, id: Option<Id>) -> String {
    id.and_then(|i| units.get(&i))
        .map(|u| u.name.clone())
        .unwrap_or_default()
}

fn forum_name(forums: &[Forum], id: Option<Id>) -> String {
    id.and_then(|i| forums.iter().find(|f| f.id == i))
        .map(|f| f.name.clone())
        .unwrap_or_default()
}

fn area_names(areas: &[Area]) -> BTreeMap<Id, String> {
    areas.iter().map(|a| (a.id, a.name.clone())).collect()
}

// ---- The overview ----

pub struct StatuteRow {
    pub id: Id,
    pub name: String,
    pub summary: String,
    pub overdue: usize,
}

pub struct ReportRow {
    pub id: Id,
    pub title: String,
    pub kind: &'static str,
    pub period: String,
    pub status: &'static str,
    pub presented_to_board: String,
    pub overdue: bool,
    pub checklist: String,
    pub highest: String,
}

pub struct FlagRow {
    pub id: Id,
    pub code: String,
    pub name: String,
    pub note: String,
    pub flags: Vec<String>,
}

#[derive(Template)]
#[template(path = "crime_prevention.html")]
struct HubPage {
    crumbs: String,
    statutes: Vec<StatuteRow>,
    reports: Vec<ReportRow>,
    forums: Vec<FlagRow>,
    agreements: Vec<FlagRow>,
    scale: ScaleView,
    can_manage: bool,
    /// The municipality's top unit, for whom the register's reports are made.
    report_unit: Option<Id>,
    /// Periods the area follow-up can be made for ("2025T3" …), newest first.
    tertials: Vec<(String, String)>,
    years: Vec<i32>,
}

pub struct ScaleView {
    pub max_level: u8,
    pub threshold: u8,
    pub days: u32,
    pub board: String,
    pub definitions: Vec<(u8, String)>,
}

impl ScaleView {
    fn of(s: &LevelScale, units: &HashMap<Id, OrgUnit>) -> ScaleView {
        ScaleView {
            max_level: s.max_level,
            threshold: s.threshold,
            days: s.present_within_days,
            board: unit_name(units, s.board_id),
            definitions: (1..=s.max_level)
                .map(|l| (l, s.definitions.get(&l).cloned().unwrap_or_default()))
                .collect(),
        }
    }
}

/// Everything the register's pages derive from, loaded once per page.
struct Register {
    units: HashMap<Id, OrgUnit>,
    areas: Vec<Area>,
    scale: LevelScale,
    forums: Vec<Forum>,
    agreements: Vec<Agreement>,
}

impl Register {
    async fn load(state: &AppState) -> Result<Register> {
        let store = &state.store;
        Ok(Register {
            units: crate::audits::unit_names(state).await?,
            areas: store.areas().await?,
            scale: store.level_scale().await?,
            forums: store.forums().await?,
            agreements: store.agreements().await?,
        })
    }

    fn report_row(&self, r: &SituationReport, today: &str) -> ReportRow {
        let names = area_names(&self.areas);
        let highest = r
            .levels
            .iter()
            .map(|l| l.level)
            .chain(r.unnamed_levels.iter().copied())
            .max();
        let highest = match highest {
            None => String::new(),
            Some(max) => {
                let mut at: Vec<String> = r
                    .levels
                    .iter()
                    .filter(|l| l.level == max)
                    .filter_map(|l| names.get(&l.area_id).cloned())
                    .collect();
                let unnamed = r.unnamed_levels.iter().filter(|l| **l == max).count();
                if unnamed > 0 {
                    at.push(format!("{unnamed} område(n) utan namn i källan"));
                }
                format!("Läge {max}: {}", at.join(", "))
            }
        };
        let presented = self
            .scale
            .board_id
            .and_then(|b| r.presented_to(b))
            .map(|p| format!("{} {}", p.date, p.reference).trim().to_string());
        ReportRow {
            id: r.id,
            title: r.title.clone(),
            kind: r.kind.label_sv(),
            period: format!("{} – {}", r.period_start, r.period_end),
            status: r.status.label_sv(),
            presented_to_board: match (presented, r.kind.reaches_board()) {
                (Some(p), _) => p,
                (None, true) => "Nej".into(),
                (None, false) => "Ingår inte".into(),
            },
            overdue: situation::presentation_overdue(r, &self.scale, today).is_some(),
            checklist: if r.checklist_complete() {
                "Komplett".into()
            } else {
                format!(
                    "Saknar {} av {}",
                    r.missing_items().len(),
                    situation::ChecklistItem::ALL.len()
                )
            },
            highest,
        }
    }
}

fn forum_row(f: &Forum) -> FlagRow {
    FlagRow {
        id: f.id,
        code: f.code.clone(),
        name: f.name.clone(),
        note: f.purpose.clone(),
        flags: forum::forum_flags(f)
            .into_iter()
            .map(|x| x.label_sv().to_string())
            .collect(),
    }
}

fn agreement_row(a: &Agreement) -> FlagRow {
    FlagRow {
        id: a.id,
        code: a.code.clone(),
        name: a.title.clone(),
        note: format!(
            "{}, {}",
            a.kind.label_sv(),
            crate::areas::validity_sv(a).to_lowercase()
        ),
        flags: forum::agreement_flags(a)
            .iter()
            .map(|x| x.label_sv())
            .collect(),
    }
}

/// The duties of a statute with what the rules need about their evidence.
async fn statute_data(
    state: &AppState,
    statute_id: Id,
) -> Result<(Vec<Obligation>, EvidenceFacts, Compliance)> {
    let obligations = state.store.obligations(statute_id).await?;
    let facts = state.store.evidence_facts().await?;
    let compliance = obligation::compliance(&obligations);
    Ok((obligations, facts, compliance))
}

/// `GET /crime-prevention`.
pub async fn hub(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
) -> Result<Response> {
    let (state, viewer) = (&state, &viewer);
    crate::pages::cached_today(state, viewer, &uri, |today| async move {
        let reg = Register::load(state).await?;
        let mut statutes = Vec::new();
        for s in state.store.statutes().await? {
            let (obligations, facts, compliance) = statute_data(state, s.id).await?;
            statutes.push(StatuteRow {
                id: s.id,
                name: statute_name(&s),
                summary: format!("{} krav uppfyllda", compliance.summary_sv()),
                overdue: obligations
                    .iter()
                    .filter(|o| obligation::overdue(o, &facts, &today).is_some())
                    .count(),
            });
        }
        let reports: Vec<ReportRow> = state
            .store
            .situation_reports(None, None)
            .await?
            .iter()
            .filter(|r| r.kind.reaches_board())
            .take(10)
            .map(|r| reg.report_row(r, &today))
            .collect();
        let this_year: i32 = today.get(..4).and_then(|y| y.parse().ok()).unwrap_or(2000);
        let mut years = state.store.situation_report_years().await?;
        if !years.contains(&this_year) {
            years.insert(0, this_year);
        }
        let years: Vec<i32> = years.into_iter().filter(|y| *y <= this_year).collect();
        let tertials = years
            .iter()
            .flat_map(|y| {
                [3, 2, 1]
                    .into_iter()
                    .map(move |t| (format!("{y}T{t}"), format!("Tertial {t} {y}")))
                    .chain([(y.to_string(), format!("Hela {y}"))])
            })
            .collect();
        Ok(HubPage {
            report_unit: reg
                .units
                .values()
                .filter(|u| u.parent_id.is_none())
                .map(|u| u.id)
                .min(),
            tertials,
            years,
            crumbs: hub_crumbs().html(),
            statutes,
            reports,
            forums: reg.forums.iter().map(forum_row).collect(),
            agreements: reg.agreements.iter().map(agreement_row).collect(),
            scale: ScaleView::of(&reg.scale, &reg.units),
            can_manage: viewer.allows(Action::ManageSafety, &[]),
        }
        .render()?)
    })
    .await
}

// ---- Situation reports ----

#[derive(Debug, Deserialize)]
pub struct ReportsQuery {
    pub year: Option<String>,
    pub kind: Option<String>,
}

#[derive(Template)]
#[template(path = "situation_reports.html")]
struct ReportsPage {
    crumbs: String,
    year: Option<i32>,
    kind: String,
    kinds: Vec<(&'static str, &'static str)>,
    years: Vec<i32>,
    reports: Vec<ReportRow>,
    can_manage: bool,
}

/// `GET /situation-reports?year=&kind=`: a year's reports (this year by default).
pub async fn reports(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<ReportsQuery>,
    uri: OriginalUri,
) -> Result<Response> {
    let year = match q.year.as_deref().map(str::trim).filter(|y| !y.is_empty()) {
        None => None,
        Some(y) => Some(y.parse::<i32>().map_err(|_| AppError::NotFound)?),
    };
    let kind = match q.kind.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
        None => None,
        Some(k) => Some(SituationKind::parse(k).ok_or(AppError::NotFound)?),
    };
    let (state, viewer) = (&state, &viewer);
    crate::pages::cached_today(state, viewer, &uri, |today| async move {
        let reg = Register::load(state).await?;
        let years = state.store.situation_report_years().await?;
        let year = year.or_else(|| years.first().copied());
        let reports = match year {
            Some(y) => state.store.situation_reports(kind, Some(y)).await?,
            None => Vec::new(),
        };
        Ok(ReportsPage {
            crumbs: reports_crumbs().html(),
            year,
            kind: kind.map(|k| k.code()).unwrap_or_default().into(),
            kinds: SituationKind::ALL
                .iter()
                .map(|k| (k.code(), k.label_sv()))
                .collect(),
            years,
            reports: reports.iter().map(|r| reg.report_row(r, &today)).collect(),
            can_manage: viewer.allows(Action::ManageSafety, &[]),
        }
        .render()?)
    })
    .await
}

pub struct LevelView {
    pub area_id: Option<Id>,
    pub area: String,
    pub level: u8,
    pub definition: String,
    pub at_threshold: bool,
}

pub struct PresentationView {
    pub to: String,
    pub date: String,
    pub reference: String,
}

#[derive(Template)]
#[template(path = "situation_report.html")]
struct ReportPage {
    crumbs: String,
    r: SituationReport,
    row: ReportRow,
    producer: String,
    levels: Vec<LevelView>,
    checklist: Vec<(&'static str, bool)>,
    presentations: Vec<PresentationView>,
    overdue_due: Option<String>,
    board: String,
    evidence_for: Vec<(Id, String)>,
    can_manage: bool,
}

/// `GET /situation-reports/{id}`.
pub async fn report_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Id>,
    uri: OriginalUri,
) -> Result<Response> {
    let (state, viewer) = (&state, &viewer);
    crate::pages::cached_today(state, viewer, &uri, |today| async move {
        let r = state.store.situation_report(id).await?;
        let reg = Register::load(state).await?;
        let names = area_names(&reg.areas);
        let definition = |l: u8| {
            reg.scale
                .definitions
                .get(&l)
                .cloned()
                .unwrap_or_else(|| "Definition saknas".into())
        };
        let mut levels: Vec<LevelView> = r
            .levels
            .iter()
            .map(|l| LevelView {
                area_id: Some(l.area_id),
                area: names.get(&l.area_id).cloned().unwrap_or_default(),
                level: l.level,
                definition: definition(l.level),
                at_threshold: l.level >= reg.scale.threshold,
            })
            .collect();
        levels.extend(r.unnamed_levels.iter().map(|l| LevelView {
            area_id: None,
            area: "Område utan namn i källan".into(),
            level: *l,
            definition: definition(*l),
            at_threshold: *l >= reg.scale.threshold,
        }));
        levels.sort_by(|a, b| {
            b.level
                .cmp(&a.level)
                .then_with(|| uppsikt_domain::collate::swedish_cmp(&a.area, &b.area))
        });
        let presentations = r
            .presentations
            .iter()
            .map(|p| PresentationView {
                to: if p.unit_id.is_some() {
                    unit_name(&reg.units, p.unit_id)
                } else {
                    forum_name(&reg.forums, p.forum_id)
                },
                date: p.date.clone(),
                reference: p.reference.clone(),
            })
            .collect();
        let mut evidence_for = Vec::new();
        for s in state.store.statutes().await? {
            for o in state.store.obligations(s.id).await? {
                if o.evidence.iter().any(|e| {
                    e.kind == obligation::EvidenceKind::SituationReport && e.ref_id == Some(r.id)
                }) {
                    evidence_for.push((o.id, format!("{} {}", s.sfs, o.code)));
                }
            }
        }
        Ok(ReportPage {
            crumbs: report_trail(&r).html(),
            row: reg.report_row(&r, &today),
            producer: match r.producer_forum_id {
                Some(f) => forum_name(&reg.forums, Some(f)),
                None => r.producer.clone(),
            },
            levels,
            checklist: situation::ChecklistItem::ALL
                .iter()
                .map(|i| (i.label_sv(), r.checklist.contains(i)))
                .collect(),
            presentations,
            overdue_due: situation::presentation_overdue(&r, &reg.scale, &today),
            board: unit_name(&reg.units, reg.scale.board_id),
            evidence_for,
            can_manage: viewer.allows(Action::ManageSafety, &[]),
            r,
        }
        .render()?)
    })
    .await
}

// ---- Forums and agreements ----

#[derive(Template)]
#[template(path = "forum.html")]
struct ForumPage {
    crumbs: String,
    f: Forum,
    documented: &'static str,
    flags: Vec<String>,
    reports_to: String,
    reports_to_href: String,
    reporting_to_it: Vec<(Id, String)>,
    areas: String,
    agreements: Vec<(Id, String)>,
    council: Option<(String, bool)>,
    can_manage: bool,
}

/// `GET /forums/{id}`.
pub async fn forum_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Id>,
    uri: OriginalUri,
) -> Result<Response> {
    crate::pages::object_page(&state, &viewer, &uri, id, forum_html).await
}

async fn forum_html(state: &AppState, viewer: &Viewer, id: Id, _today: &str) -> Result<String> {
    let f = state.store.forum(id).await?;
    let reg = Register::load(state).await?;
    let names = area_names(&reg.areas);
    let (reports_to, reports_to_href) = match (f.reports_to_unit, f.reports_to_forum) {
        (Some(u), _) => (unit_name(&reg.units, Some(u)), format!("/org/{u}")),
        (None, Some(x)) => (forum_name(&reg.forums, Some(x)), format!("/forums/{x}")),
        (None, None) => (String::new(), String::new()),
    };
    let tree = forum::reporting_tree(&reg.forums);
    let reporting_to_it = tree
        .get(&f.id)
        .into_iter()
        .flatten()
        .map(|i| (*i, forum_name(&reg.forums, Some(*i))))
        .collect();
    let page = ForumPage {
        crumbs: forum_trail(&f).html(),
        documented: f.documented.label_sv(),
        flags: forum::forum_flags(&f)
            .into_iter()
            .map(|x| x.label_sv().to_string())
            .collect(),
        reports_to,
        reports_to_href,
        reporting_to_it,
        areas: area_list(&names, &f.area_ids),
        agreements: reg
            .agreements
            .iter()
            .filter(|a| a.governing_forum_id == Some(f.id))
            .map(|a| (a.id, a.title.clone()))
            .collect(),
        council: f
            .council
            .as_ref()
            .map(|c| (c.decision.clone(), c.qualifies())),
        can_manage: viewer.allows(Action::ManageSafety, &[]),
        f,
    };
    Ok(page.render()?)
}

fn area_list(names: &BTreeMap<Id, String>, ids: &[Id]) -> String {
    if ids.is_empty() {
        return "Hela kommunen".into();
    }
    let mut v: Vec<String> = ids.iter().filter_map(|i| names.get(i).cloned()).collect();
    v.sort_by(|a, b| uppsikt_domain::collate::swedish_cmp(a, b));
    v.join(", ")
}

#[derive(Template)]
#[template(path = "agreement.html")]
struct AgreementPage {
    crumbs: String,
    a: Agreement,
    kind: &'static str,
    validity: String,
    in_force: bool,
    flags: Vec<String>,
    parties: Vec<(String, &'static str)>,
    forum: Option<(Id, String)>,
    report: Option<(Id, String)>,
    statutes: Vec<(Option<Id>, String)>,
    areas: String,
    indicator_names: HashMap<Id, String>,
    can_manage: bool,
}

/// `GET /agreements/{id}`.
pub async fn agreement_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Id>,
    uri: OriginalUri,
) -> Result<Response> {
    crate::pages::object_page(&state, &viewer, &uri, id, agreement_html).await
}

async fn agreement_html(state: &AppState, viewer: &Viewer, id: Id, today: &str) -> Result<String> {
    let a = state.store.agreement(id).await?;
    let reg = Register::load(state).await?;
    let report = match a.situation_report_id {
        Some(r) => Some((r, state.store.situation_report(r).await?.title)),
        None => None,
    };
    let all_statutes = state.store.statutes().await?;
    let statutes = a
        .statutes
        .iter()
        .map(|sfs| {
            let s = all_statutes.iter().find(|s| &s.sfs == sfs);
            (
                s.map(|s| s.id),
                s.map(statute_name)
                    .unwrap_or_else(|| format!("Lag ({sfs})")),
            )
        })
        .collect();
    let mut indicator_names = HashMap::new();
    for act in a.focus_areas.iter().flat_map(|f| &f.activities) {
        if let Some(i) = act.effect_indicator_id {
            let r = state.store.indicator_record(i).await?;
            indicator_names.insert(i, r.indicator.name);
        }
    }
    let page = AgreementPage {
        crumbs: agreement_trail(&a).html(),
        kind: a.kind.label_sv(),
        validity: crate::areas::validity_sv(&a),
        in_force: a.in_force(today),
        flags: forum::agreement_flags(&a)
            .iter()
            .map(|x| x.label_sv())
            .collect(),
        parties: a
            .parties
            .iter()
            .map(|p| (p.name.clone(), p.kind.label_sv()))
            .collect(),
        forum: a
            .governing_forum_id
            .map(|f| (f, forum_name(&reg.forums, Some(f)))),
        report,
        statutes,
        areas: area_list(&area_names(&reg.areas), &a.area_ids),
        indicator_names,
        can_manage: viewer.allows(Action::ManageSafety, &[]),
        a,
    };
    Ok(page.render()?)
}

// ---- Statutes and duties ----

pub struct DutyRow {
    pub id: Id,
    pub code: String,
    pub section: String,
    pub duty: String,
    pub status: &'static str,
    pub status_code: &'static str,
    pub assessed: String,
    pub due: String,
    pub overdue: bool,
    pub evidence: usize,
    pub qualifying: usize,
    pub responsible: String,
}

pub struct RequirementView {
    pub requirement: String,
    pub codes: String,
    pub met: bool,
}

#[derive(Template)]
#[template(path = "statute.html")]
struct StatutePage {
    crumbs: String,
    s: Statute,
    name: String,
    leading: String,
    compliance: String,
    requirements: Vec<RequirementView>,
    duties: Vec<DutyRow>,
    today: String,
    can_manage: bool,
}

fn duty_row(
    o: &Obligation,
    facts: &EvidenceFacts,
    units: &HashMap<Id, OrgUnit>,
    today: &str,
) -> DutyRow {
    let current = o.current();
    let overdue = obligation::overdue(o, facts, today);
    let qualifying = o
        .evidence
        .iter()
        .filter(|e| obligation::qualifies(o, e, facts))
        .count();
    DutyRow {
        id: o.id,
        code: o.code.clone(),
        section: o.section.clone(),
        duty: o.duty.clone(),
        status: o.status().label_sv(),
        status_code: o.status().code(),
        assessed: current
            .map(|a| format!("{}, {}", a.assessed_by, a.assessed_on))
            .unwrap_or_default(),
        due: match (&overdue, obligation::next_due(o, facts)) {
            (Some(d), _) => format!("Försenad sedan {d}"),
            (None, Some(d)) => format!("Senast {d}"),
            // No date: either met once for good by its evidence, or none is set.
            (None, None) if qualifying > 0 => "Uppfylld, inget nytt datum".into(),
            (None, None) if o.first_due.is_none() && o.every_months.is_some() => {
                "Inget första datum angivet".into()
            }
            (None, None) => String::new(),
        },
        overdue: overdue.is_some(),
        evidence: o.evidence.len(),
        qualifying,
        responsible: unit_name(units, o.responsible_unit_id),
    }
}

/// `GET /statutes/{id}`: the compliance page, the statute as a checklist.
pub async fn statute_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Id>,
    uri: OriginalUri,
) -> Result<Response> {
    let (state, viewer) = (&state, &viewer);
    crate::pages::cached_today(state, viewer, &uri, |today| async move {
        let s = state.store.statute(id).await?;
        let (obligations, facts, compliance) = statute_data(state, id).await?;
        let units = crate::audits::unit_names(state).await?;
        let code_of = |i: &Id| {
            obligations
                .iter()
                .find(|o| o.id == *i)
                .map(|o| o.code.clone())
                .unwrap_or_default()
        };
        Ok(StatutePage {
            crumbs: statute_trail(&s).html(),
            name: statute_name(&s),
            leading: unit_name(&units, s.leading_unit_id),
            compliance: compliance.summary_sv(),
            requirements: compliance
                .requirements
                .iter()
                .map(|r| RequirementView {
                    requirement: r.requirement.clone(),
                    codes: r
                        .obligation_ids
                        .iter()
                        .map(code_of)
                        .collect::<Vec<_>>()
                        .join(", "),
                    met: r.met,
                })
                .collect(),
            duties: obligations
                .iter()
                .map(|o| duty_row(o, &facts, &units, &today))
                .collect(),
            today: today.clone(),
            can_manage: viewer.allows(Action::ManageSafety, &[]),
            s,
        }
        .render()?)
    })
    .await
}

pub struct EvidenceView {
    pub kind: &'static str,
    pub href: String,
    pub label: String,
    pub date: String,
    pub qualifies: bool,
}

#[derive(Template)]
#[template(path = "obligation.html")]
struct ObligationPage {
    crumbs: String,
    o: Obligation,
    statute: String,
    statute_id: Id,
    row: DutyRow,
    evidence: Vec<EvidenceView>,
    missing: String,
    can_manage: bool,
    can_assess: bool,
}

/// `GET /obligations/{id}`.
pub async fn obligation_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Id>,
    uri: OriginalUri,
) -> Result<Response> {
    crate::pages::object_page(&state, &viewer, &uri, id, obligation_html).await
}

async fn obligation_html(state: &AppState, viewer: &Viewer, id: Id, today: &str) -> Result<String> {
    let o = state.store.obligation(id).await?;
    let s = state.store.statute(o.statute_id).await?;
    let facts = state.store.evidence_facts().await?;
    let reg = Register::load(state).await?;
    let mut evidence = Vec::new();
    for e in &o.evidence {
        let (href, label) = match (e.kind, e.ref_id) {
            (obligation::EvidenceKind::SituationReport, Some(r)) => (
                format!("/situation-reports/{r}"),
                state.store.situation_report(r).await?.title,
            ),
            (obligation::EvidenceKind::Agreement, Some(a)) => (
                format!("/agreements/{a}"),
                reg.agreements
                    .iter()
                    .find(|x| x.id == a)
                    .map(|x| x.title.clone())
                    .unwrap_or_default(),
            ),
            (obligation::EvidenceKind::Forum, Some(f)) => {
                (format!("/forums/{f}"), forum_name(&reg.forums, Some(f)))
            }
            _ => (String::new(), e.text.clone()),
        };
        evidence.push(EvidenceView {
            kind: e.kind.label_sv(),
            href,
            label: if label.is_empty() {
                e.text.clone()
            } else {
                label
            },
            date: e.date.clone().unwrap_or_default(),
            qualifies: obligation::qualifies(&o, e, &facts),
        });
    }
    let responsible: Vec<Id> = match o.responsible_unit_id {
        Some(u) => state.store.decisions().await?.chain(u),
        None => Vec::new(),
    };
    let can_manage = viewer.allows(Action::ManageSafety, &[]);
    let page = ObligationPage {
        crumbs: obligation_trail(&s, &o).html(),
        statute: statute_name(&s),
        statute_id: s.id,
        row: duty_row(&o, &facts, &reg.units, today),
        evidence,
        missing: obligation::missing_evidence_sv(&o),
        can_assess: can_manage
            || viewer.allows(Action::ManageAudits, &[])
            || (!responsible.is_empty() && viewer.allows(Action::Edit, &responsible)),
        can_manage,
        o,
    };
    Ok(page.render()?)
}

// ---- The JSON API ----

/// An API answer: JSON, or a JSON error with a Swedish message.
type ApiResult = std::result::Result<Response, crate::error::ApiError>;

/// `GET /api/v1/areas`.
pub async fn api_areas(State(state): State<AppState>) -> ApiResult {
    Ok(Json(state.store.areas().await?).into_response())
}

/// `GET /api/v1/areas/{id}`: the area with its values and level history.
pub async fn api_area(State(state): State<AppState>, Path(id): Path<Id>) -> ApiResult {
    let area = state.store.area(id).await?;
    let records = state
        .store
        .indicator_records(uppsikt_store::Scope::All)
        .await?;
    Ok(Json(serde_json::json!({
        "area": area,
        "values": uppsikt_domain::area::area_values(&records, &area.name),
        "levels": state.store.area_level_history(id).await?,
    }))
    .into_response())
}

/// `GET /api/v1/situation-reports?year=&kind=`.
pub async fn api_reports(
    State(state): State<AppState>,
    Query(q): Query<ReportsQuery>,
) -> ApiResult {
    let year = match q.year.as_deref() {
        None | Some("") => None,
        Some(y) => Some(y.trim().parse::<i32>().map_err(|_| {
            AppError::BadRequest("Året ska vara ett tal, till exempel 2023.".into())
        })?),
    };
    let kind = match q.kind.as_deref() {
        None | Some("") => None,
        Some(k) => Some(SituationKind::parse(k).ok_or_else(|| {
            AppError::BadRequest("Slaget ska vara vecka, tertial eller overgripande.".into())
        })?),
    };
    Ok(Json(state.store.situation_reports(kind, year).await?).into_response())
}

/// `GET /api/v1/situation-reports/{id}`.
pub async fn api_report(State(state): State<AppState>, Path(id): Path<Id>) -> ApiResult {
    Ok(Json(state.store.situation_report(id).await?).into_response())
}

/// `GET /api/v1/forums`: every forum with its flags.
pub async fn api_forums(State(state): State<AppState>) -> ApiResult {
    let forums = state.store.forums().await?;
    let out: Vec<serde_json::Value> = forums
        .iter()
        .map(|f| serde_json::json!({ "forum": f, "flags": forum::forum_flags(f) }))
        .collect();
    Ok(Json(out).into_response())
}

/// `GET /api/v1/agreements`: every agreement with its flags.
pub async fn api_agreements(State(state): State<AppState>) -> ApiResult {
    let agreements = state.store.agreements().await?;
    let out: Vec<serde_json::Value> = agreements
        .iter()
        .map(|a| serde_json::json!({ "agreement": a, "flags": forum::agreement_flags(a) }))
        .collect();
    Ok(Json(out).into_response())
}

/// `GET /api/v1/statutes`.
pub async fn api_statutes(State(state): State<AppState>) -> ApiResult {
    Ok(Json(state.store.statutes().await?).into_response())
}

/// `GET /api/v1/statutes/{id}`: the statute, its duties with due dates, and compliance.
pub async fn api_statute(State(state): State<AppState>, Path(id): Path<Id>) -> ApiResult {
    let s = state.store.statute(id).await?;
    let (obligations, facts, compliance) = statute_data(&state, id).await?;
    let today = uppsikt_store::today();
    let duties: Vec<serde_json::Value> = obligations
        .iter()
        .map(|o| {
            serde_json::json!({
                "obligation": o,
                "status": o.status(),
                "next_due": obligation::next_due(o, &facts),
                "overdue": obligation::overdue(o, &facts, &today).is_some(),
            })
        })
        .collect();
    Ok(Json(serde_json::json!({
        "statute": s,
        "compliance": compliance,
        "obligations": duties,
    }))
    .into_response())
}
