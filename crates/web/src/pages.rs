//! Read-only pages: start page with the organisation tree, board page, goal page and
//! indicator page.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{OriginalUri, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use uppsikt_domain::evaluation::Evaluation;
use uppsikt_domain::model::{Goal, Id, IndicatorRecord, OrgUnit};
use uppsikt_domain::object_kind::ObjectKind;
use uppsikt_domain::{Breakdown, Period};

use uppsikt_domain::access::Action;
use uppsikt_domain::model::PeriodLock;
use uppsikt_domain::publication::Audience;

use uppsikt_report::chart;
use uppsikt_report::followup::{self, format_rounded, format_value, BoardView, GoalView};
use uppsikt_report::html::escape;

use crate::auth::Viewer;
use crate::crumbs::Crumbs;
use crate::error::{period_param, AppError, Path, Query, Result};
use crate::AppState;
use uppsikt_store::PageScope;

#[derive(Deserialize, Default)]
pub struct PeriodQuery {
    pub period: Option<String>,
}

/// An indicator with its data as `audience` may see it; one the public may not see is
/// not published.
async fn visible_indicator(
    store: &uppsikt_store::Store,
    id: Id,
    audience: &Audience,
) -> Result<IndicatorRecord> {
    let record = store.indicator_record(id).await?;
    let org = store.owning_unit(ObjectKind::Indicator, id).await?;
    let record = audience.indicator(org, record);
    if !audience.sees_indicator(&record) {
        return Err(AppError::NotPublished);
    }
    Ok(record)
}

/// Serves a page that may show anything from the cache while the data version is
/// unchanged (any write), else renders it.
pub(crate) async fn cached<F, Fut>(state: &AppState, key: &str, render: F) -> Result<Response>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<String>>,
{
    cached_in(state, PageScope::All, key, render).await
}

/// Serves a page that shows `scope` from the cache while no write has changed what it
/// shows (the store's `scope.rs` decides which write changes which scope), else renders
/// it, once for all who ask at the same time.
pub(crate) async fn cached_in<F, Fut>(
    state: &AppState,
    scope: PageScope,
    key: &str,
    render: F,
) -> Result<Response>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<String>>,
{
    // Read before the page is built: a write in between makes the page look older than
    // it is (built again next time), never newer.
    let stamp = state.store.stamp(scope).await?;
    let html = state.cache.get_or_build(key, stamp, render).await?;
    Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response())
}

/// [`cached`] for a page whose states change with the date (a response or an occurrence
/// becomes overdue): cached per data version, view and day; `render` gets today's date.
pub(crate) async fn cached_today<F, Fut>(
    state: &AppState,
    viewer: &Viewer,
    uri: &OriginalUri,
    render: F,
) -> Result<Response>
where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = Result<String>>,
{
    let today = uppsikt_store::today();
    let key = format!("{} {today}", cache_key(viewer, uri));
    cached(state, &key, || render(today)).await
}

/// One object's page, cached per data version, view and day: `render` builds it from the
/// object's id and today's date (the area family's pages).
pub(crate) async fn object_page<R>(
    state: &AppState,
    viewer: &Viewer,
    uri: &OriginalUri,
    id: Id,
    render: R,
) -> Result<Response>
where
    R: AsyncFnOnce(&AppState, &Viewer, Id, &str) -> Result<String>,
{
    cached_today(state, viewer, uri, |today| async move {
        render(state, viewer, id, &today).await
    })
    .await
}

/// Pages differ by what the viewer may do (edit links, published periods), not by who
/// the viewer is: the user bar is filled in after the cache.
pub(crate) fn cache_key(viewer: &Viewer, uri: &OriginalUri) -> String {
    let path = uri
        .0
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or_default();
    format!("{} {path}", viewer.principal.view_key())
}

/// Who the viewer is as the one public rule sees them (`uppsikt_domain::publication`):
/// the public sees what decisions cover and was decided; anyone signed in sees it all.
pub(crate) async fn audience(state: &AppState, viewer: &Viewer) -> Result<Audience> {
    Ok(if viewer.is_public() {
        Audience::Public(state.store.decisions().await?)
    } else {
        Audience::SignedIn
    })
}

/// What a page offers the viewer for one unit and period.
pub struct PageAccess {
    pub signed_in: bool,
    pub can_edit: bool,
    pub can_lock: bool,
    pub can_reopen: bool,
    /// Locks on the unit and its parents, newest period first.
    pub locks: Vec<PeriodLock>,
    /// The decision that covers the page's period, if any.
    pub lock: Option<PeriodLock>,
    /// The period the page shows, if it shows one.
    pub period: Option<Period>,
    /// For the signed-in: the unit's current period and where it comes from (Swedish).
    pub current: Option<(Period, String)>,
}

impl PageAccess {
    pub async fn of(
        state: &AppState,
        viewer: &Viewer,
        org_id: Id,
        period: Option<Period>,
    ) -> Result<PageAccess> {
        let decisions = state.store.decisions().await?;
        let chain = decisions.chain(org_id);
        let mut locks: Vec<PeriodLock> = decisions.over(org_id).cloned().collect();
        locks.sort_by_key(|l| std::cmp::Reverse(l.period.last_day_number()));
        let current = if viewer.is_public() {
            None
        } else {
            let units = state.store.org_units().await?;
            state
                .store
                .current_period(org_id)
                .await?
                .map(|c| (c.period, crate::forms::current_period::basis_sv(&c, &units)))
        };
        Ok(PageAccess {
            signed_in: !viewer.is_public(),
            can_edit: viewer.allows(Action::Edit, &chain),
            can_lock: viewer.allows(Action::LockPeriod, &chain),
            can_reopen: viewer.allows(Action::ReopenPeriod, &chain),
            lock: period.and_then(|p| decisions.covering(org_id, p).cloned()),
            locks,
            period,
            current,
        })
    }

    /// Nothing offered (until the page knows its unit and period).
    fn none() -> PageAccess {
        PageAccess {
            signed_in: false,
            can_edit: false,
            can_lock: false,
            can_reopen: false,
            locks: Vec::new(),
            lock: None,
            period: None,
            current: None,
        }
    }

    /// The period shown when it is working material: signed in, and no decision covers it
    /// (the public never sees such a period: `publication::Audience`).
    pub fn working_material(&self) -> Option<Period> {
        self.period
            .filter(|_| self.signed_in && self.lock.is_none())
    }

    /// Whether a decision covers `period` (what the public may see).
    pub fn is_published(&self, period: Period) -> bool {
        self.locks.iter().any(|l| period.covered_by(l.period))
    }

    /// Whether the unit's lock list has a lock this unit itself holds (can be reopened here).
    pub fn own_lock(&self, lock: &PeriodLock, org_id: &Id) -> bool {
        lock.org_id == *org_id
    }

    /// How a decision is referred to: body, date, § and dnr, with what the records lack
    /// said to be missing.
    pub fn reference(&self, lock: &PeriodLock) -> String {
        uppsikt_domain::messages::decision_reference(lock)
    }
}

/// The period a page shows: as asked, except that the public sees only decided periods;
/// none asked: the unit's start period (`followup::start_period`, the one default: its
/// current period, for the public the latest decided), which views resolve themselves for
/// the signed-in.
pub(crate) async fn page_period(
    state: &AppState,
    audience: &Audience,
    org_id: Id,
    requested: Option<Period>,
) -> Result<Option<Period>> {
    let Audience::Public(decisions) = audience else {
        return Ok(requested);
    };
    match requested {
        Some(p) if decisions.covers(org_id, p) => Ok(Some(p)),
        Some(_) => Err(AppError::NotPublished),
        None => followup::start_period(&state.store, org_id, audience)
            .await?
            .map(Some)
            .ok_or(AppError::NotPublished),
    }
}

/// A unit in the organisation tree, with its depth for indentation.
pub struct TreeNode {
    pub unit: OrgUnit,
    pub children: Vec<TreeNode>,
    pub goals: usize,
}

#[derive(Template)]
#[template(path = "index.html")]
struct IndexPage {
    vision: Option<String>,
    tree_html: String,
}

/// The organisation tree as nested lists (escaped here; askama cannot recurse).
fn tree_html(nodes: &[TreeNode]) -> String {
    let mut out = String::from("<ul class=\"tree\">");
    for n in nodes {
        let name = format!(
            "<a href=\"/org/{}\">{}</a>",
            n.unit.id,
            escape(&n.unit.name)
        );
        out.push_str(&format!(
            "<li>{name} <span class=\"muted\">({}{})</span>",
            escape(&n.unit.short_name),
            if n.goals > 0 {
                format!(", {} mål", n.goals)
            } else {
                String::new()
            }
        ));
        if !n.children.is_empty() {
            out.push_str(&tree_html(&n.children));
        }
        out.push_str("</li>");
    }
    out.push_str("</ul>");
    out
}

pub async fn index(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
) -> Result<Response> {
    // A visitor gets the start page made for residents (`public_site`); this one is the
    // signed-in viewer's: the whole organisation and every goal.
    if viewer.is_public() {
        return crate::public_site::start(&state, &viewer, &uri).await;
    }
    let key = cache_key(&viewer, &uri);
    cached(&state, &key, || async {
        let units = state.store.org_units().await?;
        let mut goal_count: HashMap<Id, usize> = HashMap::new();
        for g in state.store.goals().await? {
            *goal_count.entry(g.org_id).or_default() += 1;
        }
        let tree = build_tree(&units, None, &goal_count, 0);
        Ok(IndexPage {
            vision: state.store.vision().await?,
            tree_html: tree_html(&tree),
        }
        .render()?)
    })
    .await
}

fn build_tree(
    units: &[OrgUnit],
    parent: Option<Id>,
    goals: &HashMap<Id, usize>,
    depth: usize,
) -> Vec<TreeNode> {
    if depth > 30 {
        return Vec::new();
    }
    units
        .iter()
        .filter(|u| u.parent_id == parent)
        .map(|u| TreeNode {
            unit: u.clone(),
            children: build_tree(units, Some(u.id), goals, depth + 1),
            goals: goals.get(&u.id).copied().unwrap_or(0),
        })
        .collect()
}

/// A follow-up view: the period it shows and the periods it offers.
trait FollowUp {
    fn periods(&mut self) -> (Period, &mut Vec<Period>);
}

impl FollowUp for BoardView {
    fn periods(&mut self) -> (Period, &mut Vec<Period>) {
        (self.period, &mut self.periods)
    }
}

impl FollowUp for GoalView {
    fn periods(&mut self) -> (Period, &mut Vec<Period>) {
        (self.period, &mut self.periods)
    }
}

/// What a unit's or a goal's page shows `viewer`: the view `build` makes for the period
/// asked for (or the latest the viewer may see) of a unit's data, with what the viewer may
/// do there; the public is offered only the periods that are published.
async fn followup_view<V: FollowUp>(
    state: &AppState,
    viewer: &Viewer,
    org_id: Id,
    requested: Option<Period>,
    build: impl AsyncFnOnce(Option<Period>, &Audience) -> Result<V>,
) -> Result<(V, PageAccess)> {
    let audience = audience(state, viewer).await?;
    let period = page_period(state, &audience, org_id, requested).await?;
    let mut v = build(period, &audience).await?;
    let (shown, periods) = v.periods();
    let access = PageAccess::of(state, viewer, org_id, Some(shown)).await?;
    if viewer.is_public() {
        periods.retain(|p| access.is_published(*p));
    }
    Ok((v, access))
}

#[derive(Template)]
#[template(path = "org.html")]
struct OrgPage {
    v: BoardView,
    crumbs: String,
    children: Vec<OrgUnit>,
    access: PageAccess,
    /// The year's economy next to the goals ("Sund ekonomi"), when there is any.
    economy: Option<crate::economy::Summary>,
}

pub async fn org_unit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Id>,
    Query(q): Query<PeriodQuery>,
    uri: OriginalUri,
) -> Result<Response> {
    let period = period_param(q.period.as_deref())?;
    let key = cache_key(&viewer, &uri);
    cached_in(&state, PageScope::Unit(id), &key, || async {
        let (v, access) = followup_view(&state, &viewer, id, period, async |period, audience| {
            Ok(followup::board(&state.store, id, period, audience).await?)
        })
        .await?;
        let units = state.store.org_units().await?;
        let children = units
            .iter()
            .filter(|u| u.parent_id == Some(id))
            .cloned()
            .collect();
        let crumbs = Crumbs::units(&units, id, None).html();
        let audience = audience(&state, &viewer).await?;
        let economy = crate::economy::summary(&state, &audience, id, v.period.year()).await?;
        Ok(OrgPage {
            v,
            crumbs,
            children,
            access,
            economy,
        }
        .render()?)
    })
    .await
}

#[derive(Template)]
#[template(path = "goal.html")]
struct GoalPage {
    v: GoalView,
    crumbs: String,
    access: PageAccess,
    /// Other units' goals that serve this one (a KF goal's boards' goals), with their
    /// decided assessments and indicators.
    serving: Vec<crate::public_site::Serving>,
}

pub async fn goal(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Id>,
    Query(q): Query<PeriodQuery>,
    uri: OriginalUri,
) -> Result<Response> {
    let period = period_param(q.period.as_deref())?;
    let key = cache_key(&viewer, &uri);
    cached_in(
        &state,
        PageScope::Object(ObjectKind::Goal, id),
        &key,
        || async {
            let org_id = state.store.owning_unit(ObjectKind::Goal, id).await?;
            let (v, access) =
                followup_view(&state, &viewer, org_id, period, async |period, audience| {
                    Ok(followup::goal(&state.store, id, period, audience).await?)
                })
                .await?;
            let crumbs = Crumbs::to_object(&state, ObjectKind::Goal, id, Some(v.period))
                .await?
                .html();
            let audience = audience(&state, &viewer).await?;
            let serving =
                crate::public_site::serving(&state, &audience, &v.goal, &v.children).await?;
            Ok(GoalPage {
                v,
                crumbs,
                access,
                serving,
            }
            .render()?)
        },
    )
    .await
}

/// One row of the indicator's data table: a period with its values per breakdown.
pub struct DataRow {
    pub period: String,
    pub cells: Vec<String>,
}

pub struct EvaluationRow {
    pub period: String,
    pub value: String,
    pub milestone: String,
    pub status: String,
    pub status_code: String,
    pub trend: String,
}

#[derive(Template)]
#[template(path = "indicator.html")]
struct IndicatorPage {
    crumbs: String,
    record: IndicatorRecord,
    goal: Goal,
    org: OrgUnit,
    current: Evaluation,
    current_row: followup::MeasureRow,
    chart_svg: String,
    chart_title: String,
    columns: Vec<String>,
    rows: Vec<DataRow>,
    evaluations: Vec<EvaluationRow>,
    comparisons: Vec<(String, String, String, String)>,
    margins: bool,
    /// Why the current evaluation came out as it did (trend, margin, relative milestone).
    explanations: Vec<String>,
    /// The periods offered: years with data or milestones, the one shown and the current.
    periods: Vec<Period>,
    access: PageAccess,
}

pub async fn indicator(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Id>,
    Query(q): Query<PeriodQuery>,
    uri: OriginalUri,
) -> Result<Response> {
    let requested = period_param(q.period.as_deref())?;
    let key = cache_key(&viewer, &uri);
    cached_in(
        &state,
        PageScope::Object(ObjectKind::Indicator, id),
        &key,
        || async {
            let audience = audience(&state, &viewer).await?;
            let record = visible_indicator(&state.store, id, &audience).await?;
            let goal = state.store.goal(record.indicator.goal_id).await?;
            let org = state.store.org_unit(goal.org_id).await?;
            let start = followup::start_period(&state.store, org.id, &audience).await?;
            let period = page_period(&state, &audience, org.id, requested)
                .await?
                .or(start);
            let page = indicator_page(record, goal, org, period, start);
            let access =
                PageAccess::of(&state, &viewer, page.org.id, Some(page.current.period)).await?;
            let crumbs = Crumbs::to_object(&state, ObjectKind::Indicator, id, None)
                .await?
                .html();
            Ok(IndicatorPage {
                access,
                crumbs,
                ..page
            }
            .render()?)
        },
    )
    .await
}

impl IndicatorPage {
    /// The milestone of the current year, e.g. "> 60", or "–".
    fn milestone_label(&self) -> String {
        self.current
            .milestone
            .map(|t| t.label_sv(self.record.indicator.decimals))
            .unwrap_or_else(|| "–".into())
    }
}

/// The sentences saying why `e` is what it is: the milestone against a group, the trend
/// and the margin of the latest value with where it comes from (built in the domain).
fn explanations(record: &IndicatorRecord, e: &Evaluation) -> Vec<String> {
    let facts = record.facts();
    let ind = &record.indicator;
    let mut out = Vec::new();
    out.extend(e.milestone_explain_sv(ind.decimals));
    out.extend(e.trend_explain_sv(&facts));
    if let Some(margin) = e.margin_explain_sv(&facts) {
        out.push(format!(
            "{margin} {}",
            uppsikt_domain::explain::basis_reason_sv(ind.margin_basis, &ind.source)
        ));
    }
    out
}

/// The indicator page for `period` (none: the latest year with data or a milestone),
/// offering the unit's start period too; what the viewer may do and the breadcrumbs are
/// filled in after.
fn indicator_page(
    record: IndicatorRecord,
    goal: Goal,
    org: OrgUnit,
    period: Option<Period>,
    start: Option<Period>,
) -> IndicatorPage {
    let ind = &record.indicator;
    let fmt = |v: f64| format_value(v, ind.decimals, &ind.unit);
    let mut breakdowns: Vec<Breakdown> = Vec::new();
    for o in &record.outcomes {
        if !breakdowns.contains(&o.breakdown) {
            breakdowns.push(o.breakdown.clone());
        }
    }
    breakdowns.sort_by(|a, b| match (a.area(), b.area()) {
        (Some(x), Some(y)) => uppsikt_domain::collate::swedish_cmp(x, y),
        _ => a.cmp(b),
    });
    let periods = record.periods();
    let margins = record.outcomes.iter().any(|o| o.margin.is_some());
    let rows = periods
        .iter()
        .rev()
        .map(|p| DataRow {
            period: p.label_sv(),
            cells: breakdowns
                .iter()
                .map(|b| {
                    record
                        .outcomes
                        .iter()
                        .find(|o| o.period == *p && &o.breakdown == b)
                        .map(|o| match o.margin {
                            Some(m) => format!(
                                "{} (±{})",
                                fmt(o.value),
                                uppsikt_domain::number::format_sv(m, ind.decimals.max(1))
                            ),
                            None => fmt(o.value),
                        })
                        .unwrap_or_else(|| "–".into())
                })
                .collect(),
        })
        .collect();
    let mut years: Vec<i32> = periods
        .iter()
        .filter(|p| matches!(p, Period::Year(_)))
        .map(|p| p.year())
        .collect();
    years.extend(record.milestones.iter().map(|m| m.0));
    years.sort();
    years.dedup();
    let evaluations = years
        .iter()
        .rev()
        .map(|y| {
            let e = record.evaluate(Period::Year(*y));
            EvaluationRow {
                period: y.to_string(),
                value: e
                    .current
                    .map(|c| fmt(c.value))
                    .unwrap_or_else(|| "–".into()),
                milestone: e
                    .milestone
                    .map(|t| t.label_sv(ind.decimals))
                    .unwrap_or_else(|| "–".into()),
                status: e.status.label_sv().into(),
                status_code: e.status.code().into(),
                trend: e
                    .trend
                    .map(|t| t.label_sv().to_string())
                    .unwrap_or_else(|| "–".into()),
            }
        })
        .collect();
    let latest = period.unwrap_or_else(|| {
        years
            .last()
            .copied()
            .map(Period::Year)
            .unwrap_or(Period::Year(2019))
    });
    let mut offered: Vec<Period> = years.iter().copied().map(Period::Year).collect();
    for p in std::iter::once(latest).chain(start) {
        if !offered.contains(&p) {
            offered.push(p);
        }
    }
    offered.sort_by(|a, b| b.cmp(a));
    let current = record.evaluate(latest);
    let explanations = explanations(&record, &current);
    let current_row = followup::measure_row(&record, latest);
    let chart_title = format!("{} över tid", ind.name);
    let chart_svg = chart::line_chart(&record, &chart_title, "chart");
    let comparisons = record
        .comparisons
        .iter()
        .map(|c| {
            (
                c.period.label_sv(),
                c.group.clone(),
                match (c.rank, c.of) {
                    (Some(r), Some(n)) => format!("{r} av {n}"),
                    _ => "–".into(),
                },
                c.average
                    .map(|a| format_rounded(a, ind.decimals, &ind.unit))
                    .unwrap_or_else(|| "–".into()),
            )
        })
        .collect();
    IndicatorPage {
        crumbs: String::new(),
        columns: breakdowns.iter().map(|b| b.label_sv()).collect(),
        rows,
        evaluations,
        current,
        current_row,
        chart_svg,
        chart_title,
        comparisons,
        margins,
        explanations,
        periods: offered,
        record,
        goal,
        org,
        access: PageAccess::none(),
    }
}
