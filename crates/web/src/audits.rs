//! Audit recommendations' pages: the register of the auditors' audits with every board's
//! open recommendations (`/audits`), one audit with its questions, recommendations,
//! responses and verdicts (`/audits/{id}`), one recommendation's chain from recommended to
//! closed (`/recommendations/{id}`), one board's recommendations with the board's own
//! handling beside the auditors' verdict (`/audits/boards/{id}`), the audit's report PDF,
//! the auditors' export of one audit with its history, and the JSON API.
//!
//! Guards (`lib.rs`): the pages, the PDF and the API are internal working material in the
//! [`Action::ReadAll`] group (the public meets audits in the decided reports); the export
//! holds the change history and is [`Action::ReadHistory`]'s. The forms are in
//! `forms/audits.rs`.

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use uppsikt_domain::access::Action;
use uppsikt_domain::audit::{
    self, ActionFacts, Audit, BoardRow, BoardTally, ChainStep, Closure, Handling, IcTarget,
    Recommendation, Stance,
};
use uppsikt_domain::collate;
use uppsikt_domain::model::{Id, OrgKind, OrgUnit};
use uppsikt_domain::object_kind::ObjectKind;

use crate::auth::Viewer;
use crate::crumbs::Crumbs;
use crate::error::{AppError, Path, Result};
use crate::AppState;

/// The menu's and the trail's name for the audits.
pub const LABEL: &str = "Revisionens granskningar";
/// The menu's shorter name.
pub const MENU_LABEL: &str = "Revision";

/// The trail to the register.
pub fn register_crumbs() -> Crumbs {
    Crumbs::start().then("/audits", LABEL)
}

/// The trail to an audit (its page and its forms alike).
pub fn audit_trail(audit: &Audit) -> Crumbs {
    register_crumbs().then(
        format!("/audits/{}", audit.id),
        format!("{} ({})", audit.title, audit.plan_year),
    )
}

/// The trail to a recommendation.
pub fn recommendation_trail(audit: &Audit, rec: &Recommendation) -> Crumbs {
    audit_trail(audit).then(
        format!("/recommendations/{}", rec.id),
        format!("Rekommendation {}", rec.number),
    )
}

/// Unit names by id.
pub(crate) async fn unit_names(state: &AppState) -> Result<HashMap<Id, OrgUnit>> {
    Ok(state
        .store
        .org_units()
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect())
}

fn name_of(units: &HashMap<Id, OrgUnit>, id: Id) -> String {
    units
        .get(&id)
        .map(|u| u.name.clone())
        .unwrap_or_else(|| format!("enhet {id}"))
}

fn names(units: &HashMap<Id, OrgUnit>, ids: &[Id]) -> String {
    ids.iter()
        .map(|id| name_of(units, *id))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The boards (styrelse, nämnder) in Swedish alphabetical order: the addressees and audited
/// bodies offered in the forms.
pub(crate) fn boards(units: &HashMap<Id, OrgUnit>) -> Vec<&OrgUnit> {
    let mut b: Vec<&OrgUnit> = units
        .values()
        .filter(|u| {
            matches!(
                u.kind,
                OrgKind::Styrelse | OrgKind::Namnd | OrgKind::Fullmaktige | OrgKind::Bolag
            )
        })
        .collect();
    b.sort_by(|x, y| collate::swedish_cmp(&x.name, &y.name));
    b
}

/// Everything the pages derive from the audits as of today, loaded once per page.
struct Register {
    /// The names of the linked items of internal control ("Åtgärd AA01 … (2019)"); loaded
    /// only by the pages that show links ([`Register::with_ic_labels`]).
    ic_labels: HashMap<IcTarget, String>,
    audits: Vec<Audit>,
    rows: Vec<BoardRow>,
    deviations: HashMap<String, Id>,
    units: HashMap<Id, OrgUnit>,
}

impl Register {
    async fn load(state: &AppState, today: &str) -> Result<Register> {
        let store = &state.store;
        let audits = store.audits().await?;
        let facts = store.audit_action_facts(today).await?;
        let rows = audit::board_rows(&audits, &facts, today);
        Ok(Register {
            ic_labels: HashMap::new(),
            deviations: store.audit_deviations().await?,
            units: unit_names(state).await?,
            rows,
            audits,
        })
    }

    /// Names the items of internal control the recommendations link to.
    async fn with_ic_labels(mut self, state: &AppState) -> Result<Register> {
        let plans = state.store.control_plans(None).await?;
        self.ic_labels = uppsikt_report::audit::ic_labels(&plans);
        Ok(self)
    }

    fn audit(&self, id: Id) -> Option<&Audit> {
        self.audits.iter().find(|a| a.id == id)
    }

    fn rec(&self, id: Id) -> Option<(&Audit, &Recommendation)> {
        self.audits
            .iter()
            .find_map(|a| a.recommendation(id).map(|r| (a, r)))
    }

    fn row(&self, rec_id: Id, unit_id: Id) -> Option<&BoardRow> {
        self.rows
            .iter()
            .find(|r| r.recommendation_id == rec_id && r.unit_id == unit_id)
    }

    fn deviation(&self, rec_id: Id, unit_id: Id) -> Option<Id> {
        self.deviations
            .get(&audit::cause_key(rec_id, unit_id))
            .copied()
    }
}

/// A handling state as a page shows it: its words, and whether it needs attention.
pub struct StateView {
    pub label: &'static str,
    pub attention: bool,
}

impl StateView {
    fn of(h: Handling) -> StateView {
        StateView {
            label: h.label_sv(),
            attention: h.needs_attention(),
        }
    }
}

/// "2 av 3 klara, 1 försenad".
fn facts_sv(f: &ActionFacts) -> String {
    if f.planned == 0 {
        return "Inga åtgärder".into();
    }
    let mut s = format!("{} av {} klara", f.done, f.planned);
    if f.overdue > 0 {
        s.push_str(&format!(", {} försenade", f.overdue));
    }
    s
}

fn verdict_sv(v: Option<(i32, audit::Grade)>) -> String {
    match v {
        Some((year, grade)) => format!("{} ({year})", grade.label_sv()),
        None => "Ingen uppföljning ännu".into(),
    }
}

// ---- The register ----

pub struct TallyRow {
    pub unit_id: Id,
    pub name: String,
    pub tally: BoardTally,
    pub oldest: String,
}

pub struct AuditListItem {
    pub id: Id,
    pub title: String,
    pub kind: &'static str,
    pub case_ref: String,
    pub audited: String,
    pub overall: String,
    pub recommendations: usize,
    pub open: usize,
    pub unanswered: usize,
}

pub struct YearGroup {
    pub year: i32,
    pub audits: Vec<AuditListItem>,
}

#[derive(Template)]
#[template(path = "audits.html")]
struct RegisterPage {
    crumbs: String,
    tallies: Vec<TallyRow>,
    years: Vec<YearGroup>,
    follow_up_years: Vec<i32>,
    can_manage: bool,
    report_unit: Option<Id>,
    today: String,
}

/// `GET /audits`: every audit by revisionsplan year, and every board's open
/// recommendations (KS's oversight of the boards' handling).
pub async fn register(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: axum::extract::OriginalUri,
) -> Result<Response> {
    let (state, viewer) = (&state, &viewer);
    crate::pages::cached_today(state, viewer, &uri, |today| async move {
        register_html(state, viewer, &today).await
    })
    .await
}

async fn register_html(state: &AppState, viewer: &Viewer, today: &str) -> Result<String> {
    let reg = Register::load(state, today).await?;
    let mut tallies: Vec<TallyRow> = audit::tally_by_unit(&reg.rows)
        .into_iter()
        .map(|(unit_id, tally)| TallyRow {
            unit_id,
            name: name_of(&reg.units, unit_id),
            oldest: tally.oldest_years.map(audit::age_sv).unwrap_or_default(),
            tally,
        })
        .collect();
    tallies.sort_by(|a, b| collate::swedish_cmp(&a.name, &b.name));
    let mut years: Vec<YearGroup> = Vec::new();
    for a in &reg.audits {
        let rows: Vec<&BoardRow> = reg.rows.iter().filter(|r| r.audit_id == a.id).collect();
        let item = AuditListItem {
            id: a.id,
            title: a.title.clone(),
            kind: a.kind.label_sv(),
            case_ref: a
                .case_ref
                .as_ref()
                .map(|c| c.text.clone())
                .unwrap_or_default(),
            audited: names(&reg.units, &a.audited_units),
            overall: a
                .overall
                .map(|o| o.label_sv().to_string())
                .unwrap_or_default(),
            recommendations: a.recommendations.len(),
            open: rows
                .iter()
                .filter(|r| r.handling != Handling::Closed)
                .count(),
            unanswered: rows
                .iter()
                .filter(|r| r.handling == Handling::Unanswered)
                .count(),
        };
        match years.iter_mut().find(|g| g.year == a.plan_year) {
            Some(g) => g.audits.push(item),
            None => years.push(YearGroup {
                year: a.plan_year,
                audits: vec![item],
            }),
        }
    }
    years.sort_by_key(|g| std::cmp::Reverse(g.year));
    // The follow-up report is the municipality's: it is made for the top unit.
    let report_unit = reg
        .units
        .values()
        .filter(|u| u.parent_id.is_none())
        .map(|u| u.id)
        .min();
    Ok(RegisterPage {
        crumbs: register_crumbs().html(),
        tallies,
        years,
        follow_up_years: audit::follow_up_years(&reg.audits),
        can_manage: viewer.allows(Action::ManageAudits, &[]),
        report_unit,
        today: today.to_string(),
    }
    .render()?)
}

// ---- One audit ----

pub struct AddresseeView {
    pub unit_id: Id,
    pub name: String,
    pub state: StateView,
    pub stance: Option<String>,
    pub comment: String,
    pub actions: String,
    pub deviation: Option<Id>,
    pub overdue_response: bool,
    pub can_respond: bool,
}

pub struct IcLinkView {
    pub label: String,
    pub href: String,
    pub unit: String,
    pub unit_id: Id,
    /// The form value naming the linked item (`ic_action:12`).
    pub value: String,
    /// Whether the viewer may remove the link (edits the linking board).
    pub can_remove: bool,
}

pub struct VerdictView {
    pub year: i32,
    pub grade: &'static str,
    pub text: String,
    pub evidence: String,
    pub closes: bool,
}

pub struct RecView {
    pub rec: Recommendation,
    pub questions: String,
    pub addressees: Vec<AddresseeView>,
    pub verdicts: Vec<VerdictView>,
    pub ic_links: Vec<IcLinkView>,
    pub closure: Option<String>,
    pub reissues: Option<(Id, String)>,
    pub reissued_by: Vec<(Id, String)>,
}

pub struct ResponseView {
    pub unit: String,
    pub unit_id: Id,
    pub body: &'static str,
    pub reference: String,
    pub items: Vec<(String, String, String)>,
    pub can_edit: bool,
}

pub struct QuestionView {
    pub number: u16,
    pub id: Id,
    pub text: String,
    pub assessment: String,
    pub reasoning: String,
    pub sub_questions: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    crumbs: String,
    audit: Audit,
    audited: String,
    criteria: Vec<(String, String)>,
    follows_up: Vec<(Id, String)>,
    followed_by: Vec<(Id, String)>,
    shares_case: Vec<(Id, String)>,
    questions: Vec<QuestionView>,
    recs: Vec<RecView>,
    responses: Vec<ResponseView>,
    /// Addressed boards without a response, with whether the viewer may answer for them.
    unanswered: Vec<(Id, String, bool)>,
    notices: Vec<String>,
    can_manage: bool,
    can_export: bool,
}

/// `GET /audits/{id}`.
pub async fn audit_page(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: axum::extract::OriginalUri,
    Path(id): Path<Id>,
) -> Result<Response> {
    let (state, viewer) = (&state, &viewer);
    crate::pages::cached_today(state, viewer, &uri, |today| async move {
        audit_html(state, viewer, id, &today).await
    })
    .await
}

/// What must not go unseen on an audit's page.
fn notices(
    audit: &Audit,
    rows: &[&BoardRow],
    units: &HashMap<Id, OrgUnit>,
    today: &str,
) -> Vec<String> {
    let mut n = Vec::new();
    for q in audit.questions_without_reasoning() {
        n.push(format!(
            "Revisionsfråga {q} har en bedömning men rapporten ger ingen motivering till den."
        ));
    }
    let overdue: Vec<String> = audit
        .addressees()
        .into_iter()
        .filter(|u| audit.response_overdue(*u, today))
        .map(|u| name_of(units, u))
        .collect();
    if !overdue.is_empty() {
        n.push(format!(
            "Svaret är försenat (begärt senast {}): {}.",
            audit.response_due.clone().unwrap_or_default(),
            overdue.join(", ")
        ));
    }
    let unanswered = rows
        .iter()
        .filter(|r| r.handling == Handling::Unanswered)
        .count();
    if unanswered > 0 {
        n.push(format!(
            "{} av {} rekommendationer per mottagare saknar beslutat svar.",
            unanswered,
            rows.len()
        ));
    }
    let without_action = rows
        .iter()
        .filter(|r| r.handling == Handling::AnsweredWithoutAction)
        .count();
    if without_action > 0 {
        n.push(format!(
            "{without_action} besvarade rekommendationer har ingen planerad åtgärd."
        ));
    }
    n
}

fn ic_link_view(reg: &Register, link: &audit::IcLink, can_remove: bool) -> IcLinkView {
    let units = &reg.units;
    let segment = match link.target {
        IcTarget::Action(_) => ObjectKind::IcAction.path_segment(),
        IcTarget::Control(_) => ObjectKind::Control.path_segment(),
        IcTarget::Risk(_) => ObjectKind::IcRisk.path_segment(),
    };
    IcLinkView {
        label: reg
            .ic_labels
            .get(&link.target)
            .cloned()
            .unwrap_or_else(|| format!("{} {}", link.target.label_sv(), link.target.id())),
        href: format!("/history/{segment}/{}", link.target.id()),
        unit: name_of(units, link.unit_id),
        unit_id: link.unit_id,
        value: format!("{}:{}", link.target.kind_code(), link.target.id()),
        can_remove,
    }
}

fn rec_label(audit: &Audit, rec: &Recommendation) -> String {
    format!("{} {} ({})", rec.number, audit.title, audit.plan_year)
}

fn rec_view(
    reg: &Register,
    audit: &Audit,
    rec: &Recommendation,
    viewer: &Viewer,
    chains: &HashMap<Id, Vec<Id>>,
) -> RecView {
    let succ = audit::successors(&reg.audits);
    let addressees = rec
        .addressees
        .iter()
        .map(|u| {
            let row = reg.row(rec.id, *u);
            let item = audit.response_of(*u).and_then(|r| r.item(rec.id));
            AddresseeView {
                unit_id: *u,
                name: name_of(&reg.units, *u),
                state: StateView::of(row.map_or(Handling::Unanswered, |r| r.handling)),
                stance: item.map(|i| match &i.stance {
                    Stance::Accepted | Stance::NotStated => i.stance.label_sv().to_string(),
                    s => format!("{}: {}", s.label_sv(), s.text()),
                }),
                comment: item.map(|i| i.comment.clone()).unwrap_or_default(),
                actions: row.map(|r| facts_sv(&r.facts)).unwrap_or_default(),
                deviation: reg.deviation(rec.id, *u),
                overdue_response: row.is_some_and(|r| r.response_overdue),
                can_respond: viewer.allows(Action::Edit, chains.get(u).map_or(&[][..], |c| c)),
            }
        })
        .collect();
    RecView {
        questions: rec
            .questions
            .iter()
            .map(u16::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        addressees,
        verdicts: rec
            .verdicts
            .iter()
            .map(|v| VerdictView {
                year: v.year,
                grade: v.grade.label_sv(),
                text: v.text.clone(),
                evidence: v.evidence.clone(),
                closes: v.is_closing(),
            })
            .collect(),
        ic_links: rec
            .ic_links
            .iter()
            .map(|l| {
                let chain = chains.get(&l.unit_id).map_or(&[][..], |c| c);
                ic_link_view(reg, l, viewer.allows(Action::Edit, chain))
            })
            .collect(),
        closure: audit::closure(rec, &succ).map(|c| closure_sv(reg, &c)),
        reissues: rec
            .reissues
            .and_then(|p| reg.rec(p).map(|(a, r)| (p, rec_label(a, r)))),
        reissued_by: succ
            .get(&rec.id)
            .into_iter()
            .flatten()
            .filter_map(|s| reg.rec(*s).map(|(a, r)| (*s, rec_label(a, r))))
            .collect(),
        rec: rec.clone(),
    }
}

fn closure_sv(reg: &Register, c: &Closure) -> String {
    match c {
        Closure::ByVerdict { year, grade } => {
            format!("Avslutad av revisorerna {year} ({})", grade.label_sv())
        }
        Closure::Reissued { by } => match reg.rec(*by) {
            Some((a, r)) => format!("Återutfärdad som {}", rec_label(a, r)),
            None => "Återutfärdad".into(),
        },
    }
}

/// Each unit's chain up to the root, for the guards the page's links mirror.
async fn chains(state: &AppState, units: &[Id]) -> Result<HashMap<Id, Vec<Id>>> {
    let decisions = state.store.decisions().await?;
    Ok(units.iter().map(|u| (*u, decisions.chain(*u))).collect())
}

async fn audit_html(state: &AppState, viewer: &Viewer, id: Id, today: &str) -> Result<String> {
    let reg = Register::load(state, today)
        .await?
        .with_ic_labels(state)
        .await?;
    let audit = reg.audit(id).ok_or(AppError::NotFound)?.clone();
    let addressees = audit.addressees();
    let chains = chains(state, &addressees).await?;
    let rows: Vec<&BoardRow> = reg.rows.iter().filter(|r| r.audit_id == id).collect();
    let title_of = |a: &Audit| format!("{} ({})", a.title, a.plan_year);
    let may_edit = |u: &Id| viewer.allows(Action::Edit, chains.get(u).map_or(&[][..], |c| c));
    let page = AuditPage {
        crumbs: audit_trail(&audit).html(),
        audited: names(&reg.units, &audit.audited_units),
        criteria: audit
            .criteria
            .iter()
            .map(|c| {
                let refers = match &c.refers_to {
                    Some(audit::CriterionRef::Statute(sfs)) => format!("SFS {sfs}"),
                    Some(audit::CriterionRef::Rule(code)) => code.clone(),
                    None => String::new(),
                };
                (c.text.clone(), refers)
            })
            .collect(),
        follows_up: audit
            .follows_up
            .iter()
            .filter_map(|f| reg.audit(*f).map(|a| (a.id, title_of(a))))
            .collect(),
        followed_by: reg
            .audits
            .iter()
            .filter(|a| a.follows_up.contains(&id))
            .map(|a| (a.id, title_of(a)))
            .collect(),
        shares_case: reg
            .audits
            .iter()
            .filter(|a| a.id != id && a.case_ref.is_some() && a.case_ref == audit.case_ref)
            .map(|a| (a.id, title_of(a)))
            .collect(),
        questions: audit
            .questions
            .iter()
            .map(|q| QuestionView {
                number: q.number,
                id: q.id,
                text: q.text.clone(),
                assessment: q
                    .assessment
                    .map(|a| a.label_sv().to_string())
                    .unwrap_or_default(),
                reasoning: q.reasoning.clone(),
                sub_questions: q
                    .sub_questions
                    .iter()
                    .map(|s| {
                        (
                            s.text.clone(),
                            s.assessment
                                .map(|a| a.label_sv().to_string())
                                .unwrap_or_default(),
                        )
                    })
                    .collect(),
            })
            .collect(),
        recs: audit
            .recommendations
            .iter()
            .map(|r| rec_view(&reg, &audit, r, viewer, &chains))
            .collect(),
        responses: audit
            .responses
            .iter()
            .map(|r| ResponseView {
                unit: name_of(&reg.units, r.unit_id),
                unit_id: r.unit_id,
                body: r.body.label_sv(),
                reference: r.reference_sv(),
                items: r
                    .items
                    .iter()
                    .map(|i| {
                        let number = audit
                            .recommendation(i.recommendation_id)
                            .map(|x| x.number.clone())
                            .unwrap_or_default();
                        let stance = match &i.stance {
                            Stance::Accepted | Stance::NotStated => i.stance.label_sv().to_string(),
                            s => format!("{}: {}", s.label_sv(), s.text()),
                        };
                        (number, stance, i.comment.clone())
                    })
                    .collect(),
                can_edit: may_edit(&r.unit_id),
            })
            .collect(),
        unanswered: addressees
            .iter()
            .filter(|u| audit.response_of(**u).is_none())
            .map(|u| (*u, name_of(&reg.units, *u), may_edit(u)))
            .collect(),
        notices: notices(&audit, &rows, &reg.units, today),
        can_manage: viewer.allows(Action::ManageAudits, &[]),
        can_export: viewer.allows(Action::ReadHistory, &[]),
        audit,
    };
    Ok(page.render()?)
}

// ---- One recommendation ----

pub struct StepView {
    pub when: String,
    pub what: String,
    pub detail: String,
    pub href: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "recommendation.html")]
struct RecommendationPage {
    crumbs: String,
    audit_id: Id,
    audit_title: String,
    view: RecView,
    steps: Vec<StepView>,
    age: String,
    can_manage: bool,
}

/// `GET /recommendations/{id}`: the recommendation with its whole chain.
pub async fn recommendation_page(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: axum::extract::OriginalUri,
    Path(id): Path<Id>,
) -> Result<Response> {
    let (state, viewer) = (&state, &viewer);
    crate::pages::cached_today(state, viewer, &uri, |today| async move {
        recommendation_html(state, viewer, id, &today).await
    })
    .await
}

fn step_view(reg: &Register, step: &ChainStep, current: Id) -> StepView {
    match step {
        ChainStep::Recommended {
            audit_id,
            recommendation_id,
            year,
        } => {
            let (title, number, text) = reg
                .rec(*recommendation_id)
                .map(|(a, r)| (a.title.clone(), r.number.clone(), r.text.clone()))
                .unwrap_or_default();
            let _ = audit_id;
            StepView {
                when: year.to_string(),
                what: format!("Rekommenderad ({title}, nr {number})"),
                detail: text,
                href: format!("/recommendations/{recommendation_id}"),
                current: *recommendation_id == current,
            }
        }
        ChainStep::Responded {
            recommendation_id,
            unit_id,
            decided_on,
            stance,
        } => StepView {
            when: decided_on.clone(),
            what: format!(
                "{} svarar: {}",
                name_of(&reg.units, *unit_id),
                stance.label_sv()
            ),
            detail: stance.text().to_string(),
            href: format!("/recommendations/{recommendation_id}"),
            current: false,
        },
        ChainStep::Judged {
            recommendation_id,
            year,
            grade,
        } => {
            let text = reg
                .rec(*recommendation_id)
                .and_then(|(_, r)| r.verdicts.iter().find(|v| v.year == *year))
                .map(|v| v.text.clone())
                .unwrap_or_default();
            StepView {
                when: year.to_string(),
                what: format!("Revisorernas uppföljning: {}", grade.label_sv()),
                detail: text,
                href: format!("/recommendations/{recommendation_id}"),
                current: false,
            }
        }
    }
}

async fn recommendation_html(
    state: &AppState,
    viewer: &Viewer,
    id: Id,
    today: &str,
) -> Result<String> {
    let reg = Register::load(state, today)
        .await?
        .with_ic_labels(state)
        .await?;
    let (audit, rec) = reg.rec(id).ok_or(AppError::NotFound)?;
    let chains = chains(state, &rec.addressees).await?;
    let view = rec_view(&reg, audit, rec, viewer, &chains);
    let steps = audit::chain(&reg.audits, id)
        .iter()
        .map(|s| step_view(&reg, s, id))
        .collect();
    Ok(RecommendationPage {
        crumbs: recommendation_trail(audit, rec).html(),
        audit_id: audit.id,
        audit_title: format!("{} ({})", audit.title, audit.plan_year),
        age: audit::age_sv(audit::age_years(audit, today)),
        steps,
        view,
        can_manage: viewer.allows(Action::ManageAudits, &[]),
    }
    .render()?)
}

// ---- One board's recommendations ----

pub struct BoardRowView {
    pub rec_id: Id,
    pub number: String,
    pub text: String,
    pub audit_id: Id,
    pub audit: String,
    pub year: i32,
    pub age: String,
    pub state: StateView,
    pub actions: String,
    pub verdict: String,
    pub response_overdue: bool,
    pub deviation: Option<Id>,
}

#[derive(Template)]
#[template(path = "audit_board.html")]
struct BoardPage {
    crumbs: String,
    unit: OrgUnit,
    open: Vec<BoardRowView>,
    closed: Vec<BoardRowView>,
    tally: BoardTally,
    today: String,
}

/// `GET /audits/boards/{id}`: every recommendation addressed to a board, the open ones
/// first, oldest first, with the board's own handling beside the auditors' verdict.
pub async fn board_page(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: axum::extract::OriginalUri,
    Path(id): Path<Id>,
) -> Result<Response> {
    let (state, viewer) = (&state, &viewer);
    crate::pages::cached_today(state, viewer, &uri, |today| async move {
        board_html(state, id, &today).await
    })
    .await
}

async fn board_html(state: &AppState, unit_id: Id, today: &str) -> Result<String> {
    let unit = state.store.org_unit(unit_id).await?;
    let reg = Register::load(state, today).await?;
    let mut open = Vec::new();
    let mut closed = Vec::new();
    let mine: Vec<BoardRow> = reg
        .rows
        .iter()
        .filter(|r| r.unit_id == unit_id)
        .cloned()
        .collect();
    for r in &mine {
        let Some((a, rec)) = reg.rec(r.recommendation_id) else {
            continue;
        };
        let v = BoardRowView {
            rec_id: rec.id,
            number: rec.number.clone(),
            text: rec.text.clone(),
            audit_id: a.id,
            audit: a.title.clone(),
            year: a.plan_year,
            age: audit::age_sv(r.age_years),
            state: StateView::of(r.handling),
            actions: facts_sv(&r.facts),
            verdict: verdict_sv(r.latest_verdict),
            response_overdue: r.response_overdue,
            deviation: reg.deviation(rec.id, unit_id),
        };
        if r.handling == Handling::Closed {
            closed.push(v);
        } else {
            open.push(v);
        }
    }
    open.sort_by(|a, b| a.year.cmp(&b.year).then(a.audit_id.cmp(&b.audit_id)));
    closed.sort_by(|a, b| b.year.cmp(&a.year).then(a.audit_id.cmp(&b.audit_id)));
    let tally = audit::tally_by_unit(&mine)
        .remove(&unit_id)
        .unwrap_or_default();
    Ok(BoardPage {
        crumbs: register_crumbs()
            .then(format!("/audits/boards/{unit_id}"), unit.name.clone())
            .html(),
        unit,
        open,
        closed,
        tally,
        today: today.to_string(),
    }
    .render()?)
}

// ---- Files ----

/// `GET /audits/{id}/report.pdf`: the audit report as stored. Served as a download with
/// its content type, never sniffed, and sandboxed should a browser open it.
pub async fn report_pdf(State(state): State<AppState>, Path(id): Path<Id>) -> Result<Response> {
    let (file, bytes) = state
        .store
        .audit_report(id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"{}\"",
                    safe_file_name(&file.file_name)
                ),
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; sandbox".to_string(),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// A file name safe in a header: ASCII letters, digits, `-`, `_` and `.`; anything else
/// becomes `_` (the stored name is kept as typed).
pub fn safe_file_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .take(100)
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if cleaned.trim_matches(['_', '.']).is_empty() {
        "granskningsrapport.pdf".into()
    } else {
        cleaned
    }
}

/// `GET /audits/{id}/export.xlsx`: everything of one audit with its history, for the
/// auditors (ReadHistory).
pub async fn export(State(state): State<AppState>, Path(id): Path<Id>) -> Result<Response> {
    let today = uppsikt_store::today();
    let reg = Register::load(&state, &today).await?;
    let audit = reg.audit(id).ok_or(AppError::NotFound)?;
    let mut history = state.store.history(ObjectKind::Audit, id, 10_000).await?;
    for r in &audit.recommendations {
        history.extend(
            state
                .store
                .history(ObjectKind::Recommendation, r.id, 10_000)
                .await?,
        );
    }
    let units: Vec<OrgUnit> = reg.units.values().cloned().collect();
    let mut labels = uppsikt_report::audit::Labels::of_units(&units);
    labels.ic = uppsikt_report::audit::ic_labels(&state.store.control_plans(None).await?);
    let rows: Vec<uppsikt_report::audit::HistoryRow> = history
        .iter()
        .map(|e| uppsikt_report::audit::HistoryRow {
            what: format!(
                "{} {}",
                crate::history::action_sv(&e.action),
                uppsikt_domain::object_kind::log_type_sv(&e.object_type)
            ),
            ..uppsikt_report::audit::HistoryRow::from(e)
        })
        .collect();
    let bytes = uppsikt_report::audit::audit_export_xlsx(audit, &reg.audits, &labels, &rows)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"granskning-{id}.xlsx\""),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}

// ---- API ----

/// `GET /api/v1/audits`: every audit whole, with each recommendation × addressee's
/// handling as of today.
pub async fn api_audits(
    State(state): State<AppState>,
) -> std::result::Result<axum::Json<serde_json::Value>, crate::error::ApiError> {
    let today = uppsikt_store::today();
    let reg = Register::load(&state, &today)
        .await
        .map_err(crate::error::ApiError)?;
    Ok(axum::Json(serde_json::json!({
        "as_of": today,
        "audits": reg.audits,
        "handling": reg.rows,
    })))
}

/// `GET /api/v1/audits/{id}`: one audit whole, with its handling rows and each
/// recommendation's chain.
pub async fn api_audit(
    State(state): State<AppState>,
    Path(id): Path<Id>,
) -> std::result::Result<axum::Json<serde_json::Value>, crate::error::ApiError> {
    let today = uppsikt_store::today();
    let reg = Register::load(&state, &today)
        .await
        .map_err(crate::error::ApiError)?;
    let audit = reg
        .audit(id)
        .ok_or(crate::error::ApiError(AppError::NotFound))?;
    let rows: Vec<&BoardRow> = reg.rows.iter().filter(|r| r.audit_id == id).collect();
    let chains: HashMap<String, Vec<ChainStep>> = audit
        .recommendations
        .iter()
        .map(|r| (r.id.to_string(), audit::chain(&reg.audits, r.id)))
        .collect();
    Ok(axum::Json(serde_json::json!({
        "as_of": today,
        "audit": audit,
        "handling": rows,
        "chains": chains,
    })))
}
