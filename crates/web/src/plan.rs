//! The plan (verksamhetsplan) of a unit for a year: its page (`/org/{id}/plan/{year}`),
//! rolling the unit into the year (`…/rollover`: last year's unfinished commitments
//! carried over, every indicator's milestone for the year in one all-or-nothing form),
//! the board's decision on the plan (`…/decide`, like a period lock) and reopening it
//! with a reason (`…/reopen`). The document is a report job (`reports.rs`, kind
//! "Verksamhetsplan", built by `uppsikt_report::plan`).
//!
//! Guards: the page is open, but a plan no decision covers needs [`Action::ReadAll`]
//! (checked here: the public sees what decisions cover); the roll-over is in the
//! [`Action::Edit`] group, the decision in [`Action::LockPeriod`]'s and reopening in
//! [`Action::ReopenPeriod`]'s (`lib.rs`).

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use uppsikt_domain::access::Action;
use uppsikt_domain::messages;
use uppsikt_domain::model::{Commitment, Goal, Id, IndicatorRecord, OrgUnit};
use uppsikt_domain::plan::{to_carry_over, PlanDecision};
use uppsikt_domain::publication::Audience;
use uppsikt_domain::text::{self, Lines};
use uppsikt_domain::Target;
use uppsikt_report::plan::{baseline_sv, milestone_sv, targets_sv, PlanData, MISSING};
use uppsikt_store::StoreError;

use crate::auth::Viewer;
use crate::error::{AppError, Path, Result};
use crate::forms::{Errors, Field, FieldKind, Form, FormPage, Input, Post, Refusal, TEXT_MAX};
use crate::AppState;

/// The years a plan can be made for.
const YEARS: std::ops::RangeInclusive<i32> = 1901..=2200;

/// The unit and the year in the address, or not found.
async fn unit_and_year(state: &AppState, id: Id, year: i32) -> Result<OrgUnit> {
    if !YEARS.contains(&year) {
        return Err(AppError::NotFound);
    }
    Ok(state.store.org_unit(id).await?)
}

fn plan_href(org: &OrgUnit, year: i32) -> String {
    format!("/org/{}/plan/{year}", org.id)
}

fn crumbs(org: &OrgUnit, year: i32) -> Vec<(String, String)> {
    vec![
        (format!("/org/{}", org.id), org.name.clone()),
        (plan_href(org, year), format!("Verksamhetsplan {year}")),
    ]
}

// ---- The page ----

/// One indicator of the plan as the page shows it.
pub struct PlanRow {
    pub id: Id,
    pub name: String,
    pub baseline: String,
    pub milestone: Option<String>,
    pub targets: String,
}

/// One commitment of the year.
pub struct PlanCommitment {
    pub title: String,
    pub description: String,
    /// "Överflyttat från 2019", with the earlier commitment's id for its history.
    pub carried_from: Option<(Id, i32)>,
}

pub struct PlanGoal {
    pub goal: Goal,
    pub rows: Vec<PlanRow>,
    pub commitments: Vec<PlanCommitment>,
}

#[derive(Template)]
#[template(path = "plan.html")]
struct PlanPage {
    org: OrgUnit,
    year: i32,
    goals: Vec<PlanGoal>,
    decision: Option<PlanDecision>,
    reference: String,
    signed_in: bool,
    can_edit: bool,
    can_decide: bool,
    can_reopen: bool,
    missing: usize,
}

fn plan_goals(data: &PlanData, audience: &Audience, org_id: Id) -> Vec<PlanGoal> {
    let year = data.year;
    data.goals
        .iter()
        .map(|g| {
            let rows = data
                .records_of(g.id)
                .map(|r| audience.indicator(org_id, r.clone()))
                .filter(|r| audience.sees_indicator(r))
                .map(|r| PlanRow {
                    id: r.indicator.id,
                    name: r.indicator.name.clone(),
                    baseline: baseline_sv(&r, year),
                    milestone: milestone_sv(&r, year),
                    targets: targets_sv(&r, year),
                })
                .collect();
            let commitments = data
                .commitments_of(g.id)
                .filter_map(|c| audience.commitment(org_id, c.clone()))
                .map(|c| PlanCommitment {
                    carried_from: c
                        .carried_over_from
                        .and_then(|from| data.carried_from_year(&c).map(|y| (from, y))),
                    title: c.title,
                    description: c.description,
                })
                .collect();
            PlanGoal {
                goal: g.clone(),
                rows,
                commitments,
            }
        })
        .filter(|g| !audience.is_public() || !g.rows.is_empty() || !g.commitments.is_empty())
        .collect()
}

/// The plan of a unit for a year. Open route: a visitor sees a plan a decision covers
/// (what it decided, and the decided outcomes as baselines); a plan no decision covers
/// is a draft, for those allowed [`Action::ReadAll`].
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, year)): Path<(Id, i32)>,
) -> Result<Response> {
    let org = unit_and_year(&state, id, year).await?;
    let decisions = state.store.decisions().await?;
    let chain = decisions.chain(id);
    let decision = decisions.plan_covering(id, year).cloned();
    if decision.is_none() && !viewer.allows(Action::ReadAll, &chain) {
        return Err(AppError::NotPublished);
    }
    let audience = if viewer.is_public() {
        Audience::Public(decisions.clone())
    } else {
        Audience::SignedIn
    };
    let data = PlanData::load(&state.store, id, year).await?;
    let goals = plan_goals(&data, &audience, id);
    let missing = goals
        .iter()
        .flat_map(|g| &g.rows)
        .filter(|r| r.milestone.is_none())
        .count();
    let html = PlanPage {
        reference: decision
            .as_ref()
            .map(|d| messages::decision_reference(&d.as_reference()))
            .unwrap_or_default(),
        signed_in: !viewer.is_public(),
        can_edit: viewer.allows(Action::Edit, &chain),
        can_decide: viewer.allows(Action::LockPeriod, &chain),
        can_reopen: viewer.allows(Action::ReopenPeriod, &chain)
            && decision.as_ref().is_some_and(|d| d.org_id == id),
        org,
        year,
        goals,
        decision,
        missing,
    }
    .render()?;
    Ok(Html(html).into_response())
}

// ---- Rolling over ----

/// One indicator's row of the roll-over form.
pub struct RollRow {
    pub id: Id,
    pub name: String,
    pub last_milestone: String,
    pub last_outcome: String,
    /// What the field holds: the stored milestone of the year, or what was typed.
    pub value: String,
    pub error: Option<String>,
}

impl RollRow {
    pub fn field(&self) -> String {
        format!("m-{}", self.id)
    }
}

pub struct RollGoal {
    pub goal: Goal,
    pub rows: Vec<RollRow>,
}

#[derive(Template)]
#[template(path = "plan_rollover.html")]
struct RollOverPage {
    org: OrgUnit,
    year: i32,
    goals: Vec<RollGoal>,
    /// Last year's commitments this roll-over carries (title, goal).
    to_carry: Vec<(String, String)>,
    /// Last year's commitments carried already.
    carried: usize,
    /// A refusal of the whole form (a decided plan).
    refusal: Option<String>,
    /// The follow-up decision that already covers the year, if any (the year's
    /// milestones and commitments are frozen by it).
    followed_up: Option<String>,
}

impl RollOverPage {
    fn errors(&self) -> Vec<(String, String, String)> {
        self.goals
            .iter()
            .flat_map(|g| &g.rows)
            .filter_map(|r| {
                r.error
                    .as_ref()
                    .map(|e| (r.field(), r.name.clone(), e.clone()))
            })
            .collect()
    }

    fn has_errors(&self) -> bool {
        self.refusal.is_some() || !self.errors().is_empty()
    }
}

async fn rollover_page(
    state: &AppState,
    org: OrgUnit,
    year: i32,
    input: Option<&Input>,
) -> Result<RollOverPage> {
    let data = PlanData::load(&state.store, org.id, year).await?;
    let followed_up = state
        .store
        .lock_covering(org.id, uppsikt_domain::Period::Year(year))
        .await?
        .map(|l| messages::period_locked(&l));
    let last = year - 1;
    let goal_title = |c: &Commitment| {
        data.goals
            .iter()
            .find(|g| g.id == c.goal_id)
            .map(|g| g.title.clone())
            .unwrap_or_default()
    };
    let to_carry = to_carry_over(&data.commitments, last)
        .into_iter()
        .map(|c| (c.title.clone(), goal_title(c)))
        .collect();
    let carried = data
        .commitments
        .iter()
        .filter(|c| c.year == year && c.carried_over_from.is_some())
        .count();
    let goals = data
        .goals
        .iter()
        .map(|g| RollGoal {
            goal: g.clone(),
            rows: data
                .records_of(g.id)
                .map(|r| roll_row(r, year, input))
                .collect(),
        })
        .filter(|g| !g.rows.is_empty())
        .collect();
    Ok(RollOverPage {
        org,
        year,
        goals,
        to_carry,
        carried,
        refusal: None,
        followed_up,
    })
}

fn roll_row(r: &IndicatorRecord, year: i32, input: Option<&Input>) -> RollRow {
    let last = year - 1;
    let id = r.indicator.id;
    let stored = r
        .milestones
        .iter()
        .find(|(y, _)| *y == year)
        .map(|(_, t)| t.to_string())
        .unwrap_or_default();
    let value = match input {
        // A row the form did not send (an indicator added meanwhile) keeps its milestone.
        Some(input) => input.get(&format!("m-{id}")).cloned().unwrap_or(stored),
        None => stored,
    };
    RollRow {
        id,
        name: r.indicator.name.clone(),
        last_milestone: milestone_sv(r, last).unwrap_or_else(|| MISSING.into()),
        last_outcome: r
            .outcomes
            .iter()
            .find(|o| {
                o.period == uppsikt_domain::Period::Year(last)
                    && o.breakdown == uppsikt_domain::Breakdown::Total
            })
            .map(|o| {
                uppsikt_report::followup::format_value(
                    o.value,
                    r.indicator.decimals,
                    &r.indicator.unit,
                )
            })
            .unwrap_or_else(|| format!("Inget utfall för {last}")),
        value,
        error: None,
    }
}

fn render_rollover(page: RollOverPage) -> Result<Response> {
    let status = if page.has_errors() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, Html(page.render()?)).into_response())
}

pub async fn rollover_form(
    State(state): State<AppState>,
    Path((id, year)): Path<(Id, i32)>,
) -> Result<Response> {
    let org = unit_and_year(&state, id, year).await?;
    render_rollover(rollover_page(&state, org, year, None).await?)
}

/// A row's field through the one text rule, at most `crate::forms::TYPED_MAX` characters,
/// then the milestone grammar (`forms::milestone::target_of`).
fn parse_row(raw: &str) -> std::result::Result<Option<Target>, String> {
    if raw.chars().count() > crate::forms::TYPED_MAX {
        return Err(messages::too_long(crate::forms::TYPED_MAX));
    }
    let checked = text::check(raw, Lines::One).map_err(|e| messages::text_refused(&e))?;
    crate::forms::milestone::target_of(&checked)
}

/// Every row's milestone, or the page with a message at each row in error.
fn parse_rows(page: &mut RollOverPage) -> Option<Vec<(Id, Option<Target>)>> {
    let mut out = Vec::new();
    let mut ok = true;
    for row in page.goals.iter_mut().flat_map(|g| g.rows.iter_mut()) {
        match parse_row(&row.value) {
            Ok(t) => out.push((row.id, t)),
            Err(message) => {
                row.error = Some(message);
                ok = false;
            }
        }
    }
    ok.then_some(out)
}

/// Rolls the unit into the year: carries last year's unfinished commitments over and
/// saves every milestone of the form, all or nothing (one `Writer`).
pub async fn rollover(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, year)): Path<(Id, i32)>,
    Form(input): Form,
) -> Result<Response> {
    let org = unit_and_year(&state, id, year).await?;
    let mut page = rollover_page(&state, org, year, Some(&input)).await?;
    let Some(milestones) = parse_rows(&mut page) else {
        return render_rollover(page);
    };
    let mut w = state
        .store
        .writer(&viewer.actor(), uppsikt_store::ChangeSource::Form)
        .await?;
    match w.roll_over(id, year, &milestones).await {
        Ok(_) => {
            w.commit().await?;
            Ok(crate::forms::saved(format!("/org/{id}/plan/{year}")))
        }
        Err(StoreError::PlanDecided(d)) => {
            page.refusal = Some(messages::plan::plan_decided(&d));
            render_rollover(page)
        }
        Err(StoreError::Locked(lock)) => {
            page.refusal = Some(messages::period_locked(&lock));
            render_rollover(page)
        }
        Err(e) => Err(e.into()),
    }
}

// ---- The decision and reopening ----

fn decide_page(org: &OrgUnit, year: i32) -> FormPage {
    FormPage {
        title: format!("Besluta verksamhetsplan {year}: {}", org.name),
        intro: Some(format!(
            "När {} har beslutat om verksamhetsplanen för {year} låses årets etappmål, målvärden och utvecklingsåtaganden för enheten och dess underenheter, och planen blir offentlig. Utfall och status följs upp som vanligt.",
            org.name
        )),
        action: format!("/org/{}/plan/{year}/decide", org.id),
        cancel: plan_href(org, year),
        submit: "Besluta planen".into(),
        crumbs: crumbs(org, year),
        fields: crate::forms::lock::decision_fields(org),
    }
}

pub async fn decide_form(
    State(state): State<AppState>,
    Path((id, year)): Path<(Id, i32)>,
) -> Result<Response> {
    let org = unit_and_year(&state, id, year).await?;
    decide_page(&org, year).render_page()
}

/// The decision's fields, read by the period lock's parser (`forms::lock::parse_lock`).
pub(crate) fn parse_decision(
    input: &Input,
    org_id: Id,
    year: i32,
    actor: &str,
) -> std::result::Result<PlanDecision, Errors> {
    let mut with_year = input.clone();
    with_year.insert("period".into(), year.to_string());
    let lock = crate::forms::lock::parse_lock(&with_year, org_id, actor)?;
    Ok(PlanDecision {
        org_id,
        year,
        body: lock.body,
        decided_on: lock.decided_on,
        paragraph: lock.paragraph,
        diary_number: lock.diary_number,
        decided_by: lock.locked_by,
        decided_at: lock.locked_at,
    })
}

/// Records the board's decision on the plan. The decision's id
/// (`Writer::decide_plan`'s answer) is what a stored decided document refers to.
pub async fn decide(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, year)): Path<(Id, i32)>,
    Form(input): Form,
) -> Result<Response> {
    let org = unit_and_year(&state, id, year).await?;
    let parsed = parse_decision(&input, id, year, &viewer.actor());
    let post = Post::new(&state, viewer, id, input);
    let form = async || Ok(decide_page(&org, year));
    post.submit(form, parsed, async |w, decision| {
        match w.decide_plan(&decision).await {
            Err(StoreError::Duplicate(_)) => Err(Refusal::at(
                "decided_on",
                messages::plan::plan_already_decided(year),
            )),
            written => {
                written?;
                Ok(format!("/org/{id}/plan/{year}"))
            }
        }
    })
    .await
}

fn reopen_page(org: &OrgUnit, year: i32) -> FormPage {
    FormPage {
        title: format!("Öppna verksamhetsplan {year}: {}", org.name),
        intro: Some("Att öppna en beslutad plan är ett undantag: ange varför. Motiveringen och vem som öppnade loggas, och planen bör beslutas igen.".into()),
        action: format!("/org/{}/plan/{year}/reopen", org.id),
        cancel: plan_href(org, year),
        submit: "Öppna planen".into(),
        crumbs: crumbs(org, year),
        fields: vec![Field::new("reason", "Motivering", FieldKind::Textarea(4)).required()],
    }
}

pub async fn reopen_form(
    State(state): State<AppState>,
    Path((id, year)): Path<(Id, i32)>,
) -> Result<Response> {
    let org = unit_and_year(&state, id, year).await?;
    reopen_page(&org, year).render_page()
}

pub async fn reopen(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, year)): Path<(Id, i32)>,
    Form(input): Form,
) -> Result<Response> {
    let org = unit_and_year(&state, id, year).await?;
    let mut e = Errors::default();
    let reason = e.paragraphs(&input, "reason", TEXT_MAX);
    let parsed = match (reason, e.is_empty()) {
        (Some(reason), true) => Ok(reason),
        _ => Err(e),
    };
    let post = Post::new(&state, viewer, id, input);
    let form = async || Ok(reopen_page(&org, year));
    post.submit(form, parsed, async |w, reason| {
        match w.reopen_plan(id, year, &reason).await {
            Err(e) if e.is_not_found() => Err(Refusal::at(
                "reason",
                messages::plan::plan_not_decided(year),
            )),
            written => {
                written?;
                Ok(format!("/org/{id}/plan/{year}"))
            }
        }
    })
    .await
}
