//! "Historik": who changed what and when, per object, and the whole log as CSV for the
//! auditors. Read straight from the append-only change log, each row in words
//! (`change_text`), in Swedish local time, with the person's name and the change's source.

use askama::Template;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use uppsikt_domain::model::Id;
use uppsikt_domain::object_kind::{log_type_sv, ObjectKind};
use uppsikt_domain::{date, text};
use uppsikt_store::ChangeLogEntry;

use crate::change_text::{describe, person, source_sv};
use crate::crumbs::Crumbs;
use crate::error::{AppError, Path, Query, Result};
use crate::AppState;

/// At most this many changes are listed on a page (newest first).
const PAGE_ROWS: i64 = 500;

pub struct Row {
    /// Swedish local time.
    pub at: String,
    /// The person's name.
    pub actor: String,
    pub source: String,
    pub action: String,
    pub what: String,
    /// The change in words.
    pub change: String,
}

#[derive(Template)]
#[template(path = "history.html")]
struct HistoryPage {
    title: String,
    crumbs: String,
    back: String,
    rows: Vec<Row>,
    truncated: bool,
}

pub(crate) fn action_sv(action: &str) -> &str {
    match action {
        "create" => "Skapad",
        "update" => "Ändrad",
        "set" => "Satt",
        "delete" => "Borttagen",
        "clear" | "clear_series" | "clear_statuses" => "Rensad",
        "import_outcomes" => "Utfall importerade",
        "import" => "Importerad",
        "confirm_source" => "Bekräftad av Kolada",
        "lock" => "Låst efter beslut",
        "reopen" => "Öppnad igen",
        "restore" => "Återställd från säkerhetskopia",
        "set_password" => "Nytt lösenord",
        "set_disabled" => "Konto avstängt eller aktiverat",
        "raise" => "Upptäckt",
        "decide" => "Beslut",
        "advance" => "Nytt läge",
        "save" => "Sparad",
        "fill_last_days" => "Kompletterad vid uppgradering",
        "freeze_comparisons" => "Jämförelser låsta med beslutet",
        "choose_matrix" => "Riskmatris vald",
        "score" => "Bedömd",
        "set_status" => "Ny status",
        "verify" => "Effekt verifierad",
        "amend" => "Innehåll ändrat",
        "set_blocker" => "Beroende ändrat",
        "record" => "Genomförande registrerat",
        "discontinue" => "Avslutad genom beslut",
        "push_common" => "Gemensamma delar införda",
        "carry_over" => "Överförd från föregående år",
        other => other,
    }
}

fn row(e: ChangeLogEntry) -> Row {
    Row {
        at: date::swedish_time_of(&e.at),
        actor: person(&e),
        source: source_sv(&e),
        action: action_sv(&e.action).into(),
        what: log_type_sv(&e.object_type).into(),
        change: describe(&e),
    }
}

/// The history page's heading (the object's name) and its way back, or not found for a
/// kind that has no history page.
async fn heading(state: &AppState, kind: ObjectKind, id: Id) -> Result<(String, String)> {
    let back = format!("/{}/{id}", kind.path_segment());
    Ok(match kind {
        ObjectKind::OrgUnit => (state.store.org_unit(id).await?.name, back),
        ObjectKind::Goal => (state.store.goal(id).await?.title, back),
        ObjectKind::Indicator => (state.store.indicator_record(id).await?.indicator.name, back),
        ObjectKind::Commitment => {
            let c = state.store.commitment(id).await?;
            (c.title, format!("/goals/{}", c.goal_id))
        }
        ObjectKind::Deviation => (format!("avvikelse {id}"), back),
        ObjectKind::DeviationAction => return Err(AppError::NotFound),
        ObjectKind::ControlPlan => {
            let plan = state.store.control_plan(id).await?;
            (format!("{} {}", kind.label_sv(), plan.year), back)
        }
        ObjectKind::IcRisk | ObjectKind::IcAction | ObjectKind::Control => {
            let plan_id = state.store.control_plan_id_of(kind, id).await?;
            let plan = state.store.control_plan(plan_id).await?;
            let key = match kind {
                ObjectKind::IcRisk => plan.risks.iter().find(|r| r.id == id).map(|r| &r.key),
                ObjectKind::IcAction => plan.actions.iter().find(|a| a.id == id).map(|a| &a.key),
                _ => plan.controls.iter().find(|c| c.id == id).map(|c| &c.key),
            };
            (
                format!("{} {}", kind.label_sv(), key.cloned().unwrap_or_default()),
                format!("/{}/{plan_id}", ObjectKind::ControlPlan.path_segment()),
            )
        }
        ObjectKind::Audit => {
            let audit = state.store.audit(id).await?;
            (format!("{} ({})", audit.title, audit.plan_year), back)
        }
        ObjectKind::Recommendation => {
            let audit_id = state.store.audit_id_of(kind, id).await?;
            let audit = state.store.audit(audit_id).await?;
            let rec = audit.recommendation(id).ok_or(AppError::NotFound)?;
            (
                format!("Rekommendation {} i {}", rec.number, audit.title),
                back,
            )
        }
        ObjectKind::Area => (state.store.area(id).await?.name, back),
        ObjectKind::SituationReport => (state.store.situation_report(id).await?.title, back),
        ObjectKind::Forum => (state.store.forum(id).await?.name, back),
        ObjectKind::Agreement => (state.store.agreement(id).await?.title, back),
        ObjectKind::Statute => (
            crate::safety::statute_name(&state.store.statute(id).await?),
            back,
        ),
        ObjectKind::Obligation => {
            let o = state.store.obligation(id).await?;
            let s = state.store.statute(o.statute_id).await?;
            (format!("{} {}", s.sfs, o.code), back)
        }
        ObjectKind::Grant => (state.store.grant(id).await?.name, back),
        ObjectKind::InvestmentNode => {
            let n = state.store.investment_node(id).await?;
            (
                format!("{} ({} {})", n.name, n.kind.label_sv(), n.year),
                // An investment row has no page of its own: back to its board's economy.
                format!("/economy/{}/{}", n.unit_id, n.year),
            )
        }
    })
}

pub async fn page(
    State(state): State<AppState>,
    Path((kind, id)): Path<(String, Id)>,
) -> Result<Response> {
    let kind = ObjectKind::from_path_segment(&kind).ok_or(AppError::NotFound)?;
    let (name, back) = heading(&state, kind, id).await?;
    let crumbs = Crumbs::to_object(&state, kind, id, None)
        .await?
        .then(format!("/history/{}/{id}", kind.path_segment()), "Historik")
        .html();
    let entries = state.store.history(kind, id, PAGE_ROWS + 1).await?;
    let truncated = entries.len() as i64 > PAGE_ROWS;
    let rows = entries
        .into_iter()
        .take(PAGE_ROWS as usize)
        .map(row)
        .collect();
    let html = HistoryPage {
        title: format!("Historik: {name}"),
        crumbs,
        back,
        rows,
        truncated,
    }
    .render()?;
    Ok(axum::response::Html(html).into_response())
}

#[derive(Deserialize, Default)]
pub struct ExportQuery {
    pub from: Option<String>,
    pub to: Option<String>,
}

/// The whole change log (or a date range) as CSV for Excel: UTF-8 with BOM, semicolons.
pub async fn export(
    State(state): State<AppState>,
    Query(q): Query<ExportQuery>,
) -> Result<Response> {
    let date = |d: &Option<String>| -> Result<Option<String>> {
        match d.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
            None => Ok(None),
            Some(d) => uppsikt_domain::date::parse_iso_date(d)
                .map(Some)
                .map_err(|_| AppError::BadRequest(uppsikt_domain::messages::not_a_date(d))),
        }
    };
    let (from, to) = (date(&q.from)?, date(&q.to)?);
    let entries = state
        .store
        .change_log_between(from.as_deref(), to.as_deref())
        .await?;
    // The first eight columns as before (scripts read them); then the same row as the
    // Historik page shows it.
    let mut out = String::from(
        "\u{feff}id;tid;vem;åtgärd;objekttyp;objekt-id;före;efter;\
         tid (svensk);namn;källa;ändring;vad\r\n",
    );
    for e in entries {
        let fields = [
            e.id.to_string(),
            e.at.clone(),
            e.actor.clone(),
            e.action.clone(),
            e.object_type.clone(),
            e.object_id.map(|i| i.to_string()).unwrap_or_default(),
            e.before_value.clone().unwrap_or_default(),
            e.after_value.clone().unwrap_or_default(),
            date::swedish_time_of(&e.at),
            person(&e),
            source_sv(&e),
            action_sv(&e.action).to_string(),
            describe(&e),
        ];
        // Every cell through the one CSV writer: formulas (= + - @ tab CR LF) defused.
        let line: Vec<String> = fields.iter().map(|f| text::csv_field(f)).collect();
        out.push_str(&line.join(";"));
        out.push_str("\r\n");
    }
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"uppsikt-andringslogg.csv\"",
            ),
        ],
        out,
    )
        .into_response())
}
