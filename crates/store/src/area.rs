//! Areas and community safety: areas with their kinds, parents and the police's
//! classifications; the municipality's level scale; situation reports (lägesbilder) with
//! each area's level, the law's content checklist and their presentations; forums;
//! agreements with focus areas and activities; statutes and their duties with evidence
//! and status assessments.
//!
//! Reads load whole objects table by table: a fixed number of queries however many.
//! Writes are [`Writer`] methods: each applies the domain's rule first
//! (`uppsikt_domain::{area, situation, forum, obligation}::validate*`; refusals are
//! [`StoreError::Area`]), checks that what it refers to exists, then writes and logs the
//! change under the object's kind (`area`, `situation_report`, `forum`, `agreement`,
//! `statute`, `obligation`) or its part ([`PRESENTATION_LOG_TYPE`] under the report's
//! id, [`MEETING_LOG_TYPE`] under the forum's, [`EVIDENCE_LOG_TYPE`] and
//! [`OBLIGATION_ASSESSMENT_LOG_TYPE`] under the duty's, [`SCALE_LOG_TYPE`] without id).
//! A situation report is refused in a year a decision locked for the scale's board.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use uppsikt_domain::area::{
    validate_area, Area, AreaKind, AreaRefusal, Classification, PoliceClass,
};
use uppsikt_domain::collate::swedish_cmp;
use uppsikt_domain::deviation::NewDeviation;
use uppsikt_domain::forum::{
    validate_agreement, validate_forum, Activity, Agreement, AgreementKind, Council, Documented,
    FocusArea, Forum, Meeting, Member, Party, PartyKind,
};
use uppsikt_domain::model::Id;
use uppsikt_domain::object_kind::ObjectKind;
use uppsikt_domain::obligation::{
    self as duty, validate_assessment, validate_obligation, validate_statute, ComplianceStatus,
    Evidence, EvidenceFacts, EvidenceKind, Obligation, ObligationAssessment, Statute,
};
use uppsikt_domain::situation::{
    self, level_history, validate_presentation, validate_report, validate_scale, AreaLevel,
    ChecklistItem, LevelHistoryRow, LevelScale, Presentation, ReportStatus, SituationKind,
    SituationReport,
};
use uppsikt_domain::Period;

use crate::audit::distinct;
use crate::deviation_sources::{BoxFuture, DeviationSource, DueDeviations};
use crate::sql::{rows_with as fetch, value_rows};
use crate::write::{Bind, Writer};
use crate::{Result, Store, StoreError};

/// The change-log type of the level scale (logged without an id).
pub const SCALE_LOG_TYPE: &str = "level_scale";
/// The change-log type of a report's presentation (logged under the report's id).
pub const PRESENTATION_LOG_TYPE: &str = "situation_presentation";
/// The change-log type of a forum's meeting (logged under the forum's id).
pub const MEETING_LOG_TYPE: &str = "forum_meeting";
/// The change-log type of a duty's evidence (logged under the duty's id).
pub const EVIDENCE_LOG_TYPE: &str = "obligation_evidence";
/// The change-log type of a duty's status assessment (logged under the duty's id).
pub const OBLIGATION_ASSESSMENT_LOG_TYPE: &str = "obligation_assessment";

fn corrupt(what: &str, value: impl std::fmt::Debug) -> StoreError {
    StoreError::Corrupt(format!("area family: {what} {value:?}"))
}

fn refused(r: AreaRefusal) -> StoreError {
    StoreError::Area(r)
}

/// A value as the JSON text a column holds (the area family's and the economy's lists).
pub(crate) fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

fn from_json<T: for<'de> Deserialize<'de>>(what: &str, text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|_| corrupt(what, text))
}

/// A value as the change log records it.
pub(crate) fn log_json<T: Serialize>(value: &T) -> Option<serde_json::Value> {
    serde_json::to_value(value).ok()
}

fn code<T>(what: &str, text: &str, parse: impl Fn(&str) -> Option<T>) -> Result<T> {
    parse(text).ok_or_else(|| corrupt(what, text))
}

fn opt_code<T>(
    what: &str,
    text: Option<&str>,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Option<T>> {
    text.map(|t| code(what, t, &parse)).transpose()
}

fn small<T: TryFrom<i64>>(what: &str, v: i64) -> Result<T> {
    T::try_from(v).map_err(|_| corrupt(what, v))
}

fn opt_text(v: Option<&str>) -> Bind {
    Bind::OptText(v.map(|s| s.trim().to_string()))
}

/// The rows of `sql`, each made an object by `from`.
async fn fetch_as<R, T>(
    conn: &mut sqlx::AnyConnection,
    sql: &str,
    binds: &[Bind],
    from: impl Fn(R) -> Result<T>,
) -> Result<Vec<T>>
where
    R: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    fetch::<R>(conn, sql, binds)
        .await?
        .into_iter()
        .map(from)
        .collect()
}

/// Objects loaded for their parts to be attached, by id.
struct Indexed<T> {
    items: Vec<T>,
    at: HashMap<Id, usize>,
}

impl<T> Indexed<T> {
    fn new(items: Vec<T>, id: impl Fn(&T) -> Id) -> Indexed<T> {
        let at = items.iter().enumerate().map(|(i, t)| (id(t), i)).collect();
        Indexed { items, at }
    }

    /// Fetches the parts in `sql`'s rows and gives each to `add` with the object that
    /// owns it (`owner` of the row); a part of an object not loaded is left out.
    async fn attach<R>(
        &mut self,
        conn: &mut sqlx::AnyConnection,
        sql: &str,
        binds: &[Bind],
        owner: impl Fn(&R) -> Id,
        mut add: impl FnMut(&mut T, R) -> Result<()>,
    ) -> Result<()>
    where
        R: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
    {
        if self.items.is_empty() {
            return Ok(());
        }
        for row in fetch::<R>(conn, sql, binds).await? {
            if let Some(&i) = self.at.get(&owner(&row)) {
                add(&mut self.items[i], row)?;
            }
        }
        Ok(())
    }
}

/// The `code` of a register entry, then its name, in Swedish order; coded entries first.
fn register_order(a: (&str, &str), b: (&str, &str)) -> std::cmp::Ordering {
    (a.0.is_empty())
        .cmp(&b.0.is_empty())
        .then_with(|| natural_cmp(a.0, b.0))
        .then_with(|| swedish_cmp(a.1, b.1))
}

/// "L2" before "L10": runs of digits compare by value, the rest in Swedish order.
pub fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    fn parts(s: &str) -> Vec<(bool, String)> {
        let mut out: Vec<(bool, String)> = Vec::new();
        for c in s.chars() {
            let digit = c.is_ascii_digit();
            match out.last_mut() {
                Some((d, run)) if *d == digit => run.push(c),
                _ => out.push((digit, c.to_string())),
            }
        }
        out
    }
    let (pa, pb) = (parts(a), parts(b));
    for (x, y) in pa.iter().zip(pb.iter()) {
        let ord = match (x, y) {
            ((true, m), (true, n)) => {
                let (m, n) = (m.trim_start_matches('0'), n.trim_start_matches('0'));
                m.len().cmp(&n.len()).then_with(|| m.cmp(n))
            }
            ((_, m), (_, n)) => swedish_cmp(m, n),
        };
        if ord.is_ne() {
            return ord;
        }
    }
    pa.len().cmp(&pb.len()).then_with(|| a.cmp(b))
}

// --- JSON columns -----------------------------------------------------------------------

#[derive(Serialize, Deserialize)]
struct ClassificationJson {
    year: Option<i32>,
    class: String,
    source: String,
    as_of: Option<String>,
}

fn classifications_json(cs: &[Classification]) -> String {
    let rows: Vec<ClassificationJson> = cs
        .iter()
        .map(|c| ClassificationJson {
            year: c.year,
            class: c.class.code().into(),
            source: c.source.trim().to_string(),
            as_of: c.as_of.clone(),
        })
        .collect();
    to_json(&rows)
}

fn classifications_from(text: &str) -> Result<Vec<Classification>> {
    let rows: Vec<ClassificationJson> = from_json("classifications", text)?;
    rows.into_iter()
        .map(|c| {
            Ok(Classification {
                year: c.year,
                class: code("police class", &c.class, PoliceClass::parse)?,
                source: c.source,
                as_of: c.as_of,
            })
        })
        .collect()
}

#[derive(Serialize, Deserialize)]
struct MemberJson {
    organisation: String,
    role: String,
}

#[derive(Serialize, Deserialize)]
struct MeetingJson {
    date: String,
    reference: String,
    note: String,
}

#[derive(Serialize, Deserialize)]
struct CouncilJson {
    decision: String,
    led_by_municipality: bool,
    partners_in_leading_positions: bool,
    strategic_remit: bool,
}

#[derive(Serialize, Deserialize)]
struct PartyJson {
    name: String,
    kind: String,
}

fn members_json(ms: &[Member]) -> String {
    to_json(
        &ms.iter()
            .map(|m| MemberJson {
                organisation: m.organisation.trim().to_string(),
                role: m.role.trim().to_string(),
            })
            .collect::<Vec<_>>(),
    )
}

fn meetings_json(ms: &[Meeting]) -> String {
    to_json(
        &ms.iter()
            .map(|m| MeetingJson {
                date: m.date.clone(),
                reference: m.reference.trim().to_string(),
                note: m.note.clone(),
            })
            .collect::<Vec<_>>(),
    )
}

fn council_json(c: Option<&Council>) -> Option<String> {
    c.map(|c| {
        to_json(&CouncilJson {
            decision: c.decision.trim().to_string(),
            led_by_municipality: c.led_by_municipality,
            partners_in_leading_positions: c.partners_in_leading_positions,
            strategic_remit: c.strategic_remit,
        })
    })
}

fn council_from(text: Option<&str>) -> Result<Option<Council>> {
    text.map(|t| {
        let c: CouncilJson = from_json("council", t)?;
        Ok(Council {
            decision: c.decision,
            led_by_municipality: c.led_by_municipality,
            partners_in_leading_positions: c.partners_in_leading_positions,
            strategic_remit: c.strategic_remit,
        })
    })
    .transpose()
}

fn parties_json(ps: &[Party]) -> String {
    to_json(
        &ps.iter()
            .map(|p| PartyJson {
                name: p.name.trim().to_string(),
                kind: p.kind.code().into(),
            })
            .collect::<Vec<_>>(),
    )
}

fn checklist_json(items: &BTreeSet<ChecklistItem>) -> String {
    to_json(&items.iter().map(|i| i.code()).collect::<Vec<_>>())
}

// --- areas ------------------------------------------------------------------------------

#[derive(FromRow)]
struct AreaRow {
    id: i64,
    name: String,
    kind: Option<String>,
    parent_id: Option<i64>,
    note: String,
    classifications: String,
}

fn area_from(r: AreaRow) -> Result<Area> {
    Ok(Area {
        id: r.id,
        kind: opt_code("area kind", r.kind.as_deref(), AreaKind::parse)?,
        classifications: classifications_from(&r.classifications)?,
        name: r.name,
        parent_id: r.parent_id,
        note: r.note,
    })
}

/// The areas matching `cond`, in Swedish name order.
async fn load_areas(
    conn: &mut sqlx::AnyConnection,
    cond: &str,
    binds: &[Bind],
) -> Result<Vec<Area>> {
    let sql =
        format!("SELECT id, name, kind, parent_id, note, classifications FROM areas WHERE {cond}");
    let areas = fetch_as::<AreaRow, _>(conn, &sql, binds, area_from).await?;
    Ok(uppsikt_domain::area::sorted(areas))
}

async fn load_area(conn: &mut sqlx::AnyConnection, id: Id) -> Result<Area> {
    one(load_areas(conn, "id = $1", &[Bind::Int(id)]).await?, id)
}

fn area_columns(a: &Area) -> Vec<(&'static str, Bind)> {
    vec![
        ("name", Bind::Text(a.name.trim().to_string())),
        ("kind", opt_text(a.kind.map(AreaKind::code))),
        ("parent_id", Bind::OptInt(a.parent_id)),
        ("note", Bind::Text(a.note.clone())),
        (
            "classifications",
            Bind::Text(classifications_json(&a.classifications)),
        ),
    ]
}

/// An area as stored: its name trimmed.
fn area_stored(id: Id, a: &Area) -> Area {
    Area {
        id,
        name: a.name.trim().to_string(),
        ..a.clone()
    }
}

// --- the level scale ----------------------------------------------------------------------

async fn load_scale(conn: &mut sqlx::AnyConnection) -> Result<LevelScale> {
    let row: Option<(i64, i64, i64, Option<i64>, String)> = sqlx::query_as(
        "SELECT max_level, threshold, present_within_days, board_id, definitions \
         FROM level_scale WHERE id = 1",
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some((max_level, threshold, days, board_id, definitions)) = row else {
        return Ok(LevelScale::default());
    };
    let defs: BTreeMap<String, String> = from_json("definitions", &definitions)?;
    Ok(LevelScale {
        max_level: small("max level", max_level)?,
        threshold: small("threshold", threshold)?,
        present_within_days: small("days", days)?,
        board_id,
        definitions: defs
            .into_iter()
            .map(|(k, v)| Ok((k.parse::<u8>().map_err(|_| corrupt("level", &k))?, v)))
            .collect::<Result<_>>()?,
    })
}

// --- situation reports --------------------------------------------------------------------

#[derive(FromRow)]
struct ReportRow {
    id: i64,
    kind: String,
    title: String,
    period_start: String,
    period_end: String,
    producer: String,
    producer_forum_id: Option<i64>,
    status: String,
    unnamed_levels: String,
    checklist: String,
    summary: String,
    public: i64,
    synthetic: i64,
}

const REPORT_COLUMNS: &str = "r.id, r.kind, r.title, r.period_start, r.period_end, r.producer, \
     r.producer_forum_id, r.status, r.unnamed_levels, r.checklist, r.summary, r.public, r.synthetic";

fn report_from(r: ReportRow) -> Result<SituationReport> {
    let codes: Vec<String> = from_json("checklist", &r.checklist)?;
    Ok(SituationReport {
        id: r.id,
        kind: code("situation kind", &r.kind, SituationKind::parse)?,
        status: code("report status", &r.status, ReportStatus::parse)?,
        unnamed_levels: from_json("unnamed levels", &r.unnamed_levels)?,
        checklist: codes
            .iter()
            .map(|c| code("checklist item", c, ChecklistItem::parse))
            .collect::<Result<_>>()?,
        title: r.title,
        period_start: r.period_start,
        period_end: r.period_end,
        producer: r.producer,
        producer_forum_id: r.producer_forum_id,
        levels: Vec::new(),
        summary: r.summary,
        public: r.public != 0,
        synthetic: r.synthetic != 0,
        presentations: Vec::new(),
    })
}

/// (report id, board, forum, date, reference) of a presentation.
type PresentationRow = (i64, Option<i64>, Option<i64>, String, String);

/// The reports matching `cond` (on `situation_reports r`), newest first, whole: three
/// queries however many.
async fn load_reports(
    conn: &mut sqlx::AnyConnection,
    cond: &str,
    binds: &[Bind],
) -> Result<Vec<SituationReport>> {
    let sql = format!(
        "SELECT {REPORT_COLUMNS} FROM situation_reports r WHERE {cond} \
         ORDER BY r.period_end DESC, r.id DESC"
    );
    let reports = fetch_as::<ReportRow, _>(conn, &sql, binds, report_from).await?;
    let mut reports = Indexed::new(reports, |r| r.id);
    let sql = format!(
        "SELECT l.report_id, l.area_id, l.level FROM situation_levels l \
         JOIN situation_reports r ON r.id = l.report_id WHERE {cond} \
         ORDER BY l.report_id, l.position"
    );
    reports
        .attach(
            conn,
            &sql,
            binds,
            |l: &(i64, i64, i64)| l.0,
            |r, (_, area_id, level)| {
                r.levels.push(AreaLevel {
                    area_id,
                    level: small("level", level)?,
                });
                Ok(())
            },
        )
        .await?;
    let sql = format!(
        "SELECT p.report_id, p.unit_id, p.forum_id, p.date, p.reference \
         FROM situation_presentations p \
         JOIN situation_reports r ON r.id = p.report_id WHERE {cond} \
         ORDER BY p.report_id, p.position, p.id"
    );
    reports
        .attach(
            conn,
            &sql,
            binds,
            |p: &PresentationRow| p.0,
            |r, p| {
                let (_, unit_id, forum_id, date, reference) = p;
                r.presentations.push(Presentation {
                    unit_id,
                    forum_id,
                    date,
                    reference,
                });
                Ok(())
            },
        )
        .await?;
    Ok(reports.items)
}

async fn load_report(conn: &mut sqlx::AnyConnection, id: Id) -> Result<SituationReport> {
    one(load_reports(conn, "r.id = $1", &[Bind::Int(id)]).await?, id)
}

fn report_columns(r: &SituationReport) -> Vec<(&'static str, Bind)> {
    vec![
        ("kind", Bind::Text(r.kind.code().into())),
        ("title", Bind::Text(r.title.trim().to_string())),
        ("period_start", Bind::Text(r.period_start.clone())),
        ("period_end", Bind::Text(r.period_end.clone())),
        ("producer", Bind::Text(r.producer.trim().to_string())),
        ("producer_forum_id", Bind::OptInt(r.producer_forum_id)),
        ("status", Bind::Text(r.status.code().into())),
        ("unnamed_levels", Bind::Text(to_json(&r.unnamed_levels))),
        ("checklist", Bind::Text(checklist_json(&r.checklist))),
        ("summary", Bind::Text(r.summary.clone())),
        ("public", Bind::Int(i64::from(r.public))),
        ("synthetic", Bind::Int(i64::from(r.synthetic))),
    ]
}

fn report_stored(id: Id, r: &SituationReport) -> SituationReport {
    SituationReport {
        id,
        title: r.title.trim().to_string(),
        producer: r.producer.trim().to_string(),
        presentations: r.presentations.iter().map(presentation_stored).collect(),
        ..r.clone()
    }
}

fn presentation_stored(p: &Presentation) -> Presentation {
    Presentation {
        reference: p.reference.trim().to_string(),
        ..p.clone()
    }
}

// --- forums -------------------------------------------------------------------------------

#[derive(FromRow)]
struct ForumRow {
    id: i64,
    code: String,
    name: String,
    purpose: String,
    chair: String,
    members: String,
    cadence: String,
    reports_to_unit: Option<i64>,
    reports_to_forum: Option<i64>,
    reports_what: String,
    documented: String,
    evaluated_on: Option<String>,
    evaluation: String,
    council: Option<String>,
    meetings: String,
    note: String,
}

fn forum_from(r: ForumRow) -> Result<Forum> {
    let members: Vec<MemberJson> = from_json("members", &r.members)?;
    let meetings: Vec<MeetingJson> = from_json("meetings", &r.meetings)?;
    Ok(Forum {
        id: r.id,
        documented: code("documented", &r.documented, Documented::parse)?,
        council: council_from(r.council.as_deref())?,
        members: members
            .into_iter()
            .map(|m| Member {
                organisation: m.organisation,
                role: m.role,
            })
            .collect(),
        meetings: meetings
            .into_iter()
            .map(|m| Meeting {
                date: m.date,
                reference: m.reference,
                note: m.note,
            })
            .collect(),
        code: r.code,
        name: r.name,
        purpose: r.purpose,
        chair: r.chair,
        cadence: r.cadence,
        reports_to_unit: r.reports_to_unit,
        reports_to_forum: r.reports_to_forum,
        reports_what: r.reports_what,
        evaluated_on: r.evaluated_on,
        evaluation: r.evaluation,
        area_ids: Vec::new(),
        note: r.note,
    })
}

/// The forums matching `cond` (on `forums f`), in register order: two queries.
async fn load_forums(
    conn: &mut sqlx::AnyConnection,
    cond: &str,
    binds: &[Bind],
) -> Result<Vec<Forum>> {
    let sql = format!(
        "SELECT f.id, f.code, f.name, f.purpose, f.chair, f.members, f.cadence, \
         f.reports_to_unit, f.reports_to_forum, f.reports_what, f.documented, \
         f.evaluated_on, f.evaluation, f.council, f.meetings, f.note \
         FROM forums f WHERE {cond}"
    );
    let forums = fetch_as::<ForumRow, _>(conn, &sql, binds, forum_from).await?;
    let mut forums = Indexed::new(forums, |f| f.id);
    let sql = format!(
        "SELECT a.forum_id, a.area_id FROM forum_areas a JOIN forums f ON f.id = a.forum_id \
         WHERE {cond} ORDER BY a.forum_id, a.position"
    );
    forums
        .attach(
            conn,
            &sql,
            binds,
            |a: &(i64, i64)| a.0,
            |f, (_, area)| {
                f.area_ids.push(area);
                Ok(())
            },
        )
        .await?;
    let mut forums = forums.items;
    forums.sort_by(|a, b| {
        register_order(
            (a.code.as_str(), a.name.as_str()),
            (b.code.as_str(), b.name.as_str()),
        )
    });
    Ok(forums)
}

async fn load_forum(conn: &mut sqlx::AnyConnection, id: Id) -> Result<Forum> {
    one(load_forums(conn, "f.id = $1", &[Bind::Int(id)]).await?, id)
}

fn forum_columns(f: &Forum) -> Vec<(&'static str, Bind)> {
    vec![
        ("code", Bind::Text(f.code.trim().to_string())),
        ("name", Bind::Text(f.name.trim().to_string())),
        ("purpose", Bind::Text(f.purpose.clone())),
        ("chair", Bind::Text(f.chair.trim().to_string())),
        ("members", Bind::Text(members_json(&f.members))),
        ("cadence", Bind::Text(f.cadence.trim().to_string())),
        ("reports_to_unit", Bind::OptInt(f.reports_to_unit)),
        ("reports_to_forum", Bind::OptInt(f.reports_to_forum)),
        ("reports_what", Bind::Text(f.reports_what.clone())),
        ("documented", Bind::Text(f.documented.code().into())),
        ("evaluated_on", opt_text(f.evaluated_on.as_deref())),
        ("evaluation", Bind::Text(f.evaluation.clone())),
        ("council", Bind::OptText(council_json(f.council.as_ref()))),
        ("meetings", Bind::Text(meetings_json(&f.meetings))),
        ("note", Bind::Text(f.note.clone())),
    ]
}

/// A forum as stored (short texts trimmed), with `id`.
fn forum_stored(id: Id, f: &Forum) -> Forum {
    Forum {
        id,
        code: f.code.trim().to_string(),
        name: f.name.trim().to_string(),
        chair: f.chair.trim().to_string(),
        cadence: f.cadence.trim().to_string(),
        members: f
            .members
            .iter()
            .map(|m| Member {
                organisation: m.organisation.trim().to_string(),
                role: m.role.trim().to_string(),
            })
            .collect(),
        meetings: f
            .meetings
            .iter()
            .map(|m| Meeting {
                reference: m.reference.trim().to_string(),
                ..m.clone()
            })
            .collect(),
        council: f.council.as_ref().map(|c| Council {
            decision: c.decision.trim().to_string(),
            ..c.clone()
        }),
        area_ids: distinct(&f.area_ids),
        ..f.clone()
    }
}

// --- agreements ---------------------------------------------------------------------------

#[derive(FromRow)]
struct AgreementRow {
    id: i64,
    code: String,
    kind: String,
    title: String,
    parties: String,
    valid_from: Option<String>,
    valid_to: Option<String>,
    purpose: String,
    governing_forum_id: Option<i64>,
    situation_report_id: Option<i64>,
    statutes: String,
    note: String,
}

#[derive(FromRow)]
struct ActivityRow {
    focus_area_id: i64,
    id: i64,
    title: String,
    problem: String,
    goal_short: String,
    goal_long: String,
    owner: String,
    frequency: String,
    follow_up: String,
    effect_indicator_id: Option<i64>,
}

fn agreement_from(r: AgreementRow) -> Result<Agreement> {
    let parties: Vec<PartyJson> = from_json("parties", &r.parties)?;
    Ok(Agreement {
        id: r.id,
        kind: code("agreement kind", &r.kind, AgreementKind::parse)?,
        parties: parties
            .into_iter()
            .map(|p| {
                Ok(Party {
                    kind: code("party kind", &p.kind, PartyKind::parse)?,
                    name: p.name,
                })
            })
            .collect::<Result<_>>()?,
        statutes: from_json("statutes", &r.statutes)?,
        code: r.code,
        title: r.title,
        valid_from: r.valid_from,
        valid_to: r.valid_to,
        purpose: r.purpose,
        focus_areas: Vec::new(),
        governing_forum_id: r.governing_forum_id,
        situation_report_id: r.situation_report_id,
        area_ids: Vec::new(),
        note: r.note,
    })
}

/// The agreements matching `cond` (on `agreements g`), in register order: four queries.
async fn load_agreements(
    conn: &mut sqlx::AnyConnection,
    cond: &str,
    binds: &[Bind],
) -> Result<Vec<Agreement>> {
    let sql = format!(
        "SELECT g.id, g.code, g.kind, g.title, g.parties, g.valid_from, g.valid_to, \
         g.purpose, g.governing_forum_id, g.situation_report_id, g.statutes, g.note \
         FROM agreements g WHERE {cond}"
    );
    let agreements = fetch_as::<AgreementRow, _>(conn, &sql, binds, agreement_from).await?;
    let mut agreements = Indexed::new(agreements, |a| a.id);
    let sql = format!(
        "SELECT a.agreement_id, a.area_id FROM agreement_areas a \
         JOIN agreements g ON g.id = a.agreement_id WHERE {cond} \
         ORDER BY a.agreement_id, a.position"
    );
    agreements
        .attach(
            conn,
            &sql,
            binds,
            |a: &(i64, i64)| a.0,
            |g, (_, area)| {
                g.area_ids.push(area);
                Ok(())
            },
        )
        .await?;
    let sql = format!(
        "SELECT fa.agreement_id, fa.id, fa.name, fa.has_plan FROM agreement_focus_areas fa \
         JOIN agreements g ON g.id = fa.agreement_id WHERE {cond} \
         ORDER BY fa.agreement_id, fa.position, fa.id"
    );
    // Which agreement each focus area belongs to, for its activities.
    let mut agreement_of: HashMap<Id, Id> = HashMap::new();
    agreements
        .attach(
            conn,
            &sql,
            binds,
            |f: &(i64, i64, String, i64)| f.0,
            |g, (_, id, name, has_plan)| {
                agreement_of.insert(id, g.id);
                g.focus_areas.push(FocusArea {
                    id,
                    name,
                    has_plan: has_plan != 0,
                    activities: Vec::new(),
                });
                Ok(())
            },
        )
        .await?;
    let sql = format!(
        "SELECT x.focus_area_id, x.id, x.title, x.problem, x.goal_short, x.goal_long, \
         x.owner, x.frequency, x.follow_up, x.effect_indicator_id \
         FROM agreement_activities x \
         JOIN agreement_focus_areas fa ON fa.id = x.focus_area_id \
         JOIN agreements g ON g.id = fa.agreement_id WHERE {cond} \
         ORDER BY x.focus_area_id, x.position, x.id"
    );
    agreements
        .attach(
            conn,
            &sql,
            binds,
            |x: &ActivityRow| agreement_of.get(&x.focus_area_id).copied().unwrap_or(0),
            |g, x| {
                if let Some(f) = g.focus_areas.iter_mut().find(|f| f.id == x.focus_area_id) {
                    f.activities.push(Activity {
                        id: x.id,
                        title: x.title,
                        problem: x.problem,
                        goal_short: x.goal_short,
                        goal_long: x.goal_long,
                        owner: x.owner,
                        frequency: x.frequency,
                        follow_up: x.follow_up,
                        effect_indicator_id: x.effect_indicator_id,
                    });
                }
                Ok(())
            },
        )
        .await?;
    let mut agreements = agreements.items;
    agreements.sort_by(|a, b| {
        register_order(
            (a.code.as_str(), a.title.as_str()),
            (b.code.as_str(), b.title.as_str()),
        )
    });
    Ok(agreements)
}

async fn load_agreement(conn: &mut sqlx::AnyConnection, id: Id) -> Result<Agreement> {
    one(
        load_agreements(conn, "g.id = $1", &[Bind::Int(id)]).await?,
        id,
    )
}

fn agreement_columns(a: &Agreement) -> Vec<(&'static str, Bind)> {
    vec![
        ("code", Bind::Text(a.code.trim().to_string())),
        ("kind", Bind::Text(a.kind.code().into())),
        ("title", Bind::Text(a.title.trim().to_string())),
        ("parties", Bind::Text(parties_json(&a.parties))),
        ("valid_from", opt_text(a.valid_from.as_deref())),
        ("valid_to", opt_text(a.valid_to.as_deref())),
        ("purpose", Bind::Text(a.purpose.clone())),
        ("governing_forum_id", Bind::OptInt(a.governing_forum_id)),
        ("situation_report_id", Bind::OptInt(a.situation_report_id)),
        ("statutes", Bind::Text(to_json(&a.statutes))),
        ("note", Bind::Text(a.note.clone())),
    ]
}

/// An agreement as stored, with `id` (focus areas and activities get their ids when
/// written).
fn agreement_stored(id: Id, a: &Agreement) -> Agreement {
    Agreement {
        id,
        code: a.code.trim().to_string(),
        title: a.title.trim().to_string(),
        parties: a
            .parties
            .iter()
            .map(|p| Party {
                name: p.name.trim().to_string(),
                kind: p.kind,
            })
            .collect(),
        statutes: a.statutes.iter().map(|s| s.trim().to_string()).collect(),
        area_ids: distinct(&a.area_ids),
        focus_areas: a
            .focus_areas
            .iter()
            .map(|f| FocusArea {
                name: f.name.trim().to_string(),
                activities: f
                    .activities
                    .iter()
                    .map(|x| Activity {
                        title: x.title.trim().to_string(),
                        owner: x.owner.trim().to_string(),
                        frequency: x.frequency.trim().to_string(),
                        ..x.clone()
                    })
                    .collect(),
                ..f.clone()
            })
            .collect(),
        ..a.clone()
    }
}

/// An agreement with its focus areas' and activities' ids left out (they are new at
/// every write), to tell whether a change changes anything.
fn without_part_ids(a: &Agreement) -> Agreement {
    let mut a = a.clone();
    for f in &mut a.focus_areas {
        f.id = 0;
        for x in &mut f.activities {
            x.id = 0;
        }
    }
    a
}

// --- statutes and duties ------------------------------------------------------------------

#[derive(FromRow)]
struct StatuteRow {
    id: i64,
    sfs: String,
    title: String,
    in_force: Option<String>,
    leading_unit_id: Option<i64>,
    url: String,
    note: String,
}

fn statute_from(r: StatuteRow) -> Result<Statute> {
    Ok(Statute {
        id: r.id,
        sfs: r.sfs,
        title: r.title,
        in_force: r.in_force,
        leading_unit_id: r.leading_unit_id,
        url: r.url,
        note: r.note,
    })
}

async fn load_statutes(
    conn: &mut sqlx::AnyConnection,
    cond: &str,
    binds: &[Bind],
) -> Result<Vec<Statute>> {
    let sql = format!(
        "SELECT id, sfs, title, in_force, leading_unit_id, url, note FROM statutes WHERE {cond}"
    );
    let mut statutes = fetch_as::<StatuteRow, _>(conn, &sql, binds, statute_from).await?;
    statutes.sort_by(|a, b| natural_cmp(&a.sfs, &b.sfs));
    Ok(statutes)
}

fn statute_columns(s: &Statute) -> Vec<(&'static str, Bind)> {
    vec![
        ("sfs", Bind::Text(s.sfs.trim().to_string())),
        ("title", Bind::Text(s.title.trim().to_string())),
        ("in_force", opt_text(s.in_force.as_deref())),
        ("leading_unit_id", Bind::OptInt(s.leading_unit_id)),
        ("url", Bind::Text(s.url.trim().to_string())),
        ("note", Bind::Text(s.note.clone())),
    ]
}

fn statute_stored(id: Id, s: &Statute) -> Statute {
    Statute {
        id,
        sfs: s.sfs.trim().to_string(),
        title: s.title.trim().to_string(),
        url: s.url.trim().to_string(),
        ..s.clone()
    }
}

#[derive(FromRow)]
struct ObligationRow {
    id: i64,
    statute_id: i64,
    code: String,
    section: String,
    duty: String,
    checklist: String,
    requirement: Option<String>,
    first_due: Option<String>,
    every_months: Option<i64>,
    responsible_unit_id: Option<i64>,
    fulfilled_by: Option<String>,
    note: String,
}

#[derive(FromRow)]
struct EvidenceRow {
    obligation_id: i64,
    id: i64,
    kind: String,
    ref_id: Option<i64>,
    date: Option<String>,
    text: String,
}

#[derive(FromRow)]
struct AssessmentRow {
    obligation_id: i64,
    status: String,
    assessed_by: String,
    by_auditors: i64,
    assessed_on: String,
    text: String,
}

fn obligation_from(r: ObligationRow) -> Result<Obligation> {
    Ok(Obligation {
        id: r.id,
        statute_id: r.statute_id,
        checklist: from_json("obligation checklist", &r.checklist)?,
        every_months: r
            .every_months
            .map(|m| small("every months", m))
            .transpose()?,
        fulfilled_by: opt_code(
            "evidence kind",
            r.fulfilled_by.as_deref(),
            EvidenceKind::parse,
        )?,
        code: r.code,
        section: r.section,
        duty: r.duty,
        requirement: r.requirement,
        first_due: r.first_due,
        responsible_unit_id: r.responsible_unit_id,
        evidence: Vec::new(),
        assessments: Vec::new(),
        note: r.note,
    })
}

/// The duties matching `cond` (on `obligations o`) by statute and code (L1, L2 … L10):
/// three queries however many.
async fn load_obligations(
    conn: &mut sqlx::AnyConnection,
    cond: &str,
    binds: &[Bind],
) -> Result<Vec<Obligation>> {
    let sql = format!(
        "SELECT o.id, o.statute_id, o.code, o.section, o.duty, o.checklist, o.requirement, \
         o.first_due, o.every_months, o.responsible_unit_id, o.fulfilled_by, o.note \
         FROM obligations o WHERE {cond}"
    );
    let mut duties = fetch_as::<ObligationRow, _>(conn, &sql, binds, obligation_from).await?;
    duties.sort_by(|a, b| {
        a.statute_id
            .cmp(&b.statute_id)
            .then_with(|| natural_cmp(&a.code, &b.code))
    });
    let mut duties = Indexed::new(duties, |o| o.id);
    let sql = format!(
        "SELECT e.obligation_id, e.id, e.kind, e.ref_id, e.date, e.text \
         FROM obligation_evidence e JOIN obligations o ON o.id = e.obligation_id \
         WHERE {cond} ORDER BY e.obligation_id, e.id"
    );
    duties
        .attach(
            conn,
            &sql,
            binds,
            |e: &EvidenceRow| e.obligation_id,
            |o, e| {
                o.evidence.push(Evidence {
                    id: e.id,
                    kind: code("evidence kind", &e.kind, EvidenceKind::parse)?,
                    ref_id: e.ref_id,
                    date: e.date,
                    text: e.text,
                });
                Ok(())
            },
        )
        .await?;
    let sql = format!(
        "SELECT a.obligation_id, a.status, a.assessed_by, a.by_auditors, a.assessed_on, a.text \
         FROM obligation_assessments a JOIN obligations o ON o.id = a.obligation_id \
         WHERE {cond} ORDER BY a.obligation_id, a.id"
    );
    duties
        .attach(
            conn,
            &sql,
            binds,
            |a: &AssessmentRow| a.obligation_id,
            |o, a| {
                o.assessments.push(ObligationAssessment {
                    status: code("compliance status", &a.status, ComplianceStatus::parse)?,
                    assessed_by: a.assessed_by,
                    by_auditors: a.by_auditors != 0,
                    assessed_on: a.assessed_on,
                    text: a.text,
                });
                Ok(())
            },
        )
        .await?;
    Ok(duties.items)
}

async fn load_obligation(conn: &mut sqlx::AnyConnection, id: Id) -> Result<Obligation> {
    one(
        load_obligations(conn, "o.id = $1", &[Bind::Int(id)]).await?,
        id,
    )
}

fn obligation_columns(o: &Obligation) -> Vec<(&'static str, Bind)> {
    vec![
        ("statute_id", Bind::Int(o.statute_id)),
        ("code", Bind::Text(o.code.trim().to_string())),
        ("section", Bind::Text(o.section.trim().to_string())),
        ("duty", Bind::Text(o.duty.trim().to_string())),
        ("checklist", Bind::Text(to_json(&o.checklist))),
        ("requirement", opt_text(o.requirement.as_deref())),
        ("first_due", opt_text(o.first_due.as_deref())),
        ("every_months", Bind::OptInt(o.every_months.map(i64::from))),
        ("responsible_unit_id", Bind::OptInt(o.responsible_unit_id)),
        (
            "fulfilled_by",
            opt_text(o.fulfilled_by.map(EvidenceKind::code)),
        ),
        ("note", Bind::Text(o.note.clone())),
    ]
}

fn obligation_stored(id: Id, o: &Obligation) -> Obligation {
    Obligation {
        id,
        code: o.code.trim().to_string(),
        section: o.section.trim().to_string(),
        duty: o.duty.trim().to_string(),
        requirement: o.requirement.as_ref().map(|r| r.trim().to_string()),
        ..o.clone()
    }
}

/// What the duties' evidence refers to: two queries.
async fn load_facts(conn: &mut sqlx::AnyConnection) -> Result<EvidenceFacts> {
    let cond: Vec<String> = (1..=ChecklistItem::ALL.len())
        .map(|k| format!("checklist LIKE ${k}"))
        .collect();
    let binds: Vec<Bind> = ChecklistItem::ALL
        .iter()
        .map(|i| Bind::Text(format!("%\"{}\"%", i.code())))
        .collect();
    let complete: Vec<(i64,)> = fetch(
        conn,
        &format!(
            "SELECT id FROM situation_reports WHERE {}",
            cond.join(" AND ")
        ),
        &binds,
    )
    .await?;
    let councils: Vec<(i64, String)> = fetch(
        conn,
        "SELECT id, council FROM forums WHERE council IS NOT NULL",
        &[],
    )
    .await?;
    let agreements: Vec<(i64,)> = fetch(conn, "SELECT id FROM agreements", &[]).await?;
    let mut qualified = BTreeSet::new();
    for (id, council) in councils {
        if council_from(Some(&council))?.is_some_and(|c| c.qualifies()) {
            qualified.insert(id);
        }
    }
    Ok(EvidenceFacts {
        complete_reports: complete.into_iter().map(|(id,)| id).collect(),
        qualified_councils: qualified,
        agreements: agreements.into_iter().map(|(id,)| id).collect(),
    })
}

/// Area id → name of every area.
fn area_names(areas: &[Area]) -> BTreeMap<Id, String> {
    areas.iter().map(|a| (a.id, a.name.clone())).collect()
}

// --- reads --------------------------------------------------------------------------------

impl Store {
    /// Every area, in Swedish name order.
    pub async fn areas(&self) -> Result<Vec<Area>> {
        let mut conn = self.pool.acquire().await?;
        load_areas(&mut conn, "1 = 1", &[]).await
    }

    /// One area; not found (`area`) if none.
    pub async fn area(&self, id: Id) -> Result<Area> {
        let mut conn = self.pool.acquire().await?;
        load_area(&mut conn, id).await
    }

    /// The area with exactly this name (as outcome breakdowns name it), if any.
    pub async fn area_by_name(&self, name: &str) -> Result<Option<Area>> {
        let mut conn = self.pool.acquire().await?;
        Ok(load_areas(
            &mut conn,
            "name = $1",
            &[Bind::Text(name.trim().to_string())],
        )
        .await?
        .pop())
    }

    /// The municipality's level scale (the defaults when never set).
    pub async fn level_scale(&self) -> Result<LevelScale> {
        let mut conn = self.pool.acquire().await?;
        load_scale(&mut conn).await
    }

    /// Situation reports, newest first (by period end), of a kind and/or whose period
    /// ends in a year: three queries however many.
    pub async fn situation_reports(
        &self,
        kind: Option<SituationKind>,
        year: Option<i32>,
    ) -> Result<Vec<SituationReport>> {
        let mut cond = vec!["1 = 1".to_string()];
        let mut binds = Vec::new();
        if let Some(k) = kind {
            binds.push(Bind::Text(k.code().into()));
            cond.push(format!("r.kind = ${}", binds.len()));
        }
        if let Some(y) = year {
            binds.push(Bind::Text(format!("{y:04}-01-01")));
            binds.push(Bind::Text(format!("{y:04}-12-31")));
            cond.push(format!(
                "r.period_end >= ${} AND r.period_end <= ${}",
                binds.len() - 1,
                binds.len()
            ));
        }
        let mut conn = self.pool.acquire().await?;
        load_reports(&mut conn, &cond.join(" AND "), &binds).await
    }

    /// One situation report, whole; not found (`situation_report`) if none.
    pub async fn situation_report(&self, id: Id) -> Result<SituationReport> {
        let mut conn = self.pool.acquire().await?;
        load_report(&mut conn, id).await
    }

    /// An area's level history (`situation::level_history`): one query on the levels
    /// indexed by area, however many reports there are.
    pub async fn area_level_history(&self, area_id: Id) -> Result<Vec<LevelHistoryRow>> {
        let rows: Vec<(i64, String, String, i64, String, i64)> = sqlx::query_as(
            "SELECT r.id, r.kind, r.period_end, l.level, r.title, r.public FROM situation_levels l \
             JOIN situation_reports r ON r.id = l.report_id WHERE l.area_id = $1 \
             ORDER BY r.period_end, r.id",
        )
        .bind(area_id)
        .fetch_all(&self.pool)
        .await?;
        // Each row as a report holding just that level, so that the domain's rule decides
        // the changes.
        let reports = rows
            .into_iter()
            .map(|(id, kind, period_end, level, title, public)| {
                Ok(SituationReport {
                    id,
                    kind: code("situation kind", &kind, SituationKind::parse)?,
                    title,
                    period_start: String::new(),
                    period_end,
                    producer: String::new(),
                    producer_forum_id: None,
                    status: ReportStatus::Final,
                    levels: vec![AreaLevel {
                        area_id,
                        level: small("level", level)?,
                    }],
                    unnamed_levels: Vec::new(),
                    checklist: BTreeSet::new(),
                    summary: String::new(),
                    public: public != 0,
                    synthetic: false,
                    presentations: Vec::new(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(level_history(&reports, area_id))
    }

    /// The years in which situation reports end, newest first.
    pub async fn situation_report_years(&self) -> Result<Vec<i32>> {
        let ends: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT SUBSTR(period_end, 1, 4) FROM situation_reports ORDER BY 1 DESC",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(ends.iter().filter_map(|y| y.parse().ok()).collect())
    }

    /// Every forum, in register order (by code, then name).
    pub async fn forums(&self) -> Result<Vec<Forum>> {
        let mut conn = self.pool.acquire().await?;
        load_forums(&mut conn, "1 = 1", &[]).await
    }

    /// One forum; not found (`forum`) if none.
    pub async fn forum(&self, id: Id) -> Result<Forum> {
        let mut conn = self.pool.acquire().await?;
        load_forum(&mut conn, id).await
    }

    /// Every agreement, whole, in register order (by code, then title).
    pub async fn agreements(&self) -> Result<Vec<Agreement>> {
        let mut conn = self.pool.acquire().await?;
        load_agreements(&mut conn, "1 = 1", &[]).await
    }

    /// One agreement, whole; not found (`agreement`) if none.
    pub async fn agreement(&self, id: Id) -> Result<Agreement> {
        let mut conn = self.pool.acquire().await?;
        load_agreement(&mut conn, id).await
    }

    /// Every statute, by SFS number.
    pub async fn statutes(&self) -> Result<Vec<Statute>> {
        let mut conn = self.pool.acquire().await?;
        load_statutes(&mut conn, "1 = 1", &[]).await
    }

    /// One statute; not found (`statute`) if none.
    pub async fn statute(&self, id: Id) -> Result<Statute> {
        let mut conn = self.pool.acquire().await?;
        one(
            load_statutes(&mut conn, "id = $1", &[Bind::Int(id)]).await?,
            id,
        )
    }

    /// The statute with this SFS number ("2023:196"), if registered.
    pub async fn statute_by_sfs(&self, sfs: &str) -> Result<Option<Statute>> {
        let mut conn = self.pool.acquire().await?;
        Ok(
            load_statutes(&mut conn, "sfs = $1", &[Bind::Text(sfs.trim().to_string())])
                .await?
                .pop(),
        )
    }

    /// A statute's duties, whole, in code order (L1, L2 … L10).
    pub async fn obligations(&self, statute_id: Id) -> Result<Vec<Obligation>> {
        let mut conn = self.pool.acquire().await?;
        load_obligations(&mut conn, "o.statute_id = $1", &[Bind::Int(statute_id)]).await
    }

    /// One duty, whole; not found (`obligation`) if none.
    pub async fn obligation(&self, id: Id) -> Result<Obligation> {
        let mut conn = self.pool.acquire().await?;
        load_obligation(&mut conn, id).await
    }

    /// What the duties' evidence refers to (complete reports, qualified councils,
    /// agreements).
    pub async fn evidence_facts(&self) -> Result<EvidenceFacts> {
        let mut conn = self.pool.acquire().await?;
        load_facts(&mut conn).await
    }
}

// --- deviations ---------------------------------------------------------------------------

/// Situation reports: a tertial or overall report not presented to the scale's board in
/// time, a level at or above the threshold, a rise since the previous report of the same
/// kind (`domain::situation::deviation_candidates`). Weekly reports are not loaded.
pub struct SituationSource;

struct SituationsDue {
    reports: Vec<SituationReport>,
    scale: LevelScale,
    names: BTreeMap<Id, String>,
    today: String,
}

impl DeviationSource for SituationSource {
    fn load<'a>(
        &'a self,
        store: &'a Store,
        today: &'a str,
    ) -> BoxFuture<'a, Result<Box<dyn DueDeviations>>> {
        Box::pin(async move {
            let mut conn = store.pool.acquire().await?;
            let scale = load_scale(&mut conn).await?;
            // Without a board nothing is raised: nothing more to load.
            let reports = if scale.board_id.is_some() {
                // By the kinds that reach the board (the index on kind), not "all but
                // weekly", which would read every weekly report's levels.
                let kinds: Vec<Bind> = SituationKind::ALL
                    .iter()
                    .filter(|k| k.reaches_board())
                    .map(|k| Bind::Text(k.code().into()))
                    .collect();
                let cond = format!("r.kind IN ({})", crate::sql::placeholders(1, kinds.len()));
                load_reports(&mut conn, &cond, &kinds).await?
            } else {
                Vec::new()
            };
            let names = area_names(&load_areas(&mut conn, "1 = 1", &[]).await?);
            Ok(Box::new(SituationsDue {
                reports,
                scale,
                names,
                today: today.to_string(),
            }) as Box<dyn DueDeviations>)
        })
    }
}

impl DueDeviations for SituationsDue {
    fn years(&self) -> Vec<i32> {
        situation::deviation_years(&self.reports)
    }

    fn candidates(&self, year: i32) -> Vec<NewDeviation> {
        situation::deviation_candidates(&self.reports, &self.scale, &self.names, year, &self.today)
    }
}

/// Statutory duties: overdue, or assessed as not met, on their responsible board
/// (`domain::obligation::deviation_candidates`).
pub struct ObligationSource;

struct ObligationsDue {
    statutes: Vec<Statute>,
    duties: Vec<Obligation>,
    facts: EvidenceFacts,
    today: String,
}

impl DeviationSource for ObligationSource {
    fn load<'a>(
        &'a self,
        store: &'a Store,
        today: &'a str,
    ) -> BoxFuture<'a, Result<Box<dyn DueDeviations>>> {
        Box::pin(async move {
            let mut conn = store.pool.acquire().await?;
            let statutes = load_statutes(&mut conn, "1 = 1", &[]).await?;
            let duties = load_obligations(&mut conn, "1 = 1", &[]).await?;
            let facts = load_facts(&mut conn).await?;
            Ok(Box::new(ObligationsDue {
                statutes,
                duties,
                facts,
                today: today.to_string(),
            }) as Box<dyn DueDeviations>)
        })
    }
}

impl DueDeviations for ObligationsDue {
    fn years(&self) -> Vec<i32> {
        duty::deviation_years(&self.duties, &self.facts)
    }

    fn candidates(&self, year: i32) -> Vec<NewDeviation> {
        duty::deviation_candidates(&self.statutes, &self.duties, &self.facts, year, &self.today)
    }
}

/// An object of the family with a row of its own: its table, kind and columns, so that
/// writing and logging one is written once ([`Writer::insert_object`],
/// [`Writer::update_object`], [`Writer::log_created`], [`Writer::log_updated`]).
trait Object: Serialize {
    const TABLE: &'static str;
    const KIND: ObjectKind;
    /// Each column with its value (not `id`).
    fn columns(&self) -> Vec<(&'static str, Bind)>;
}

macro_rules! object {
    ($t:ty, $table:literal, $kind:ident, $columns:ident) => {
        impl Object for $t {
            const TABLE: &'static str = $table;
            const KIND: ObjectKind = ObjectKind::$kind;
            fn columns(&self) -> Vec<(&'static str, Bind)> {
                $columns(self)
            }
        }
    };
}

object!(Area, "areas", Area, area_columns);
object!(
    SituationReport,
    "situation_reports",
    SituationReport,
    report_columns
);
object!(Forum, "forums", Forum, forum_columns);
object!(Agreement, "agreements", Agreement, agreement_columns);
object!(Statute, "statutes", Statute, statute_columns);
object!(Obligation, "obligations", Obligation, obligation_columns);

/// The one object a load by id found; not found (its kind) if none.
fn one<T: Object>(mut found: Vec<T>, id: Id) -> Result<T> {
    found
        .pop()
        .ok_or_else(|| StoreError::not_found(T::KIND.log_type(), id))
}

// --- writes -------------------------------------------------------------------------------

impl Writer {
    /// Inserts an object's row; returns its id.
    async fn insert_object<T: Object>(&mut self, new: &T) -> Result<Id> {
        self.insert_columns(T::TABLE, new.columns()).await
    }

    /// Writes the row of the object `id`.
    async fn update_object<T: Object>(&mut self, id: Id, after: &T) -> Result<()> {
        self.update_columns(T::TABLE, id, after.columns()).await
    }

    /// Logs an object's creation, as stored.
    async fn log_created<T: Object>(&mut self, id: Id, stored: &T) -> Result<()> {
        self.log(
            "create",
            T::KIND.log_type(),
            Some(id),
            None,
            log_json(stored),
        )
        .await
    }

    /// Logs an object's change.
    async fn log_updated<T: Object>(&mut self, id: Id, before: &T, after: &T) -> Result<()> {
        self.log(
            "update",
            T::KIND.log_type(),
            Some(id),
            log_json(before),
            log_json(after),
        )
        .await
    }

    /// Every area as this transaction sees it.
    pub async fn areas_in_tx(&mut self) -> Result<Vec<Area>> {
        load_areas(&mut self.tx, "1 = 1", &[]).await
    }

    /// Every forum as this transaction sees it (an import resolving forum codes).
    pub async fn forums_in_tx(&mut self) -> Result<Vec<Forum>> {
        load_forums(&mut self.tx, "1 = 1", &[]).await
    }

    /// The situation reports of a kind and period end as this transaction sees them,
    /// newest first (an import finding a report it wrote before).
    pub async fn situation_reports_in_tx(
        &mut self,
        kind: SituationKind,
        period_end: &str,
    ) -> Result<Vec<SituationReport>> {
        load_reports(
            &mut self.tx,
            "r.kind = $1 AND r.period_end = $2",
            &[
                Bind::Text(kind.code().into()),
                Bind::Text(period_end.to_string()),
            ],
        )
        .await
    }

    /// Every agreement as this transaction sees it.
    pub async fn agreements_in_tx(&mut self) -> Result<Vec<Agreement>> {
        load_agreements(&mut self.tx, "1 = 1", &[]).await
    }

    /// Every statute as this transaction sees it.
    pub async fn statutes_in_tx(&mut self) -> Result<Vec<Statute>> {
        load_statutes(&mut self.tx, "1 = 1", &[]).await
    }

    /// A statute's duties as this transaction sees them.
    pub async fn obligations_in_tx(&mut self, statute_id: Id) -> Result<Vec<Obligation>> {
        load_obligations(&mut self.tx, "o.statute_id = $1", &[Bind::Int(statute_id)]).await
    }

    /// Checks an area against the others and that its parent exists.
    async fn check_area(&mut self, area: &Area) -> Result<()> {
        let others = self.areas_in_tx().await?;
        validate_area(area, &others).map_err(refused)?;
        if let Some(parent) = area.parent_id {
            if !others.iter().any(|o| o.id == parent) {
                return Err(StoreError::not_found(ObjectKind::Area.log_type(), parent));
            }
        }
        Ok(())
    }

    /// Creates an area; returns its id (its `id` is ignored).
    pub async fn create_area(&mut self, area: &Area) -> Result<Id> {
        let new = area_stored(0, area);
        self.check_area(&new).await?;
        let id = self.insert_object(&new).await?;
        self.log_created(id, &area_stored(id, &new)).await?;
        Ok(id)
    }

    /// Changes an area (`area.id`); unchanged is no change.
    pub async fn update_area(&mut self, area: &Area) -> Result<()> {
        let before = load_area(&mut self.tx, area.id).await?;
        let after = area_stored(area.id, area);
        if before == after {
            return Ok(());
        }
        self.check_area(&after).await?;
        self.update_object(area.id, &after).await?;
        self.log_updated(area.id, &before, &after).await
    }

    /// The area named (exactly) `name`, created if missing (areas named by outcome
    /// breakdowns). A police class (a `PoliceClass` code) becomes the area's
    /// classification without a year, replacing one it had without a year; its dated
    /// classifications stay.
    pub async fn upsert_area(&mut self, name: &str, police_class: Option<&str>) -> Result<()> {
        let class = police_class
            .map(|c| PoliceClass::parse(c).ok_or(AreaRefusal::Required("class")))
            .transpose()
            .map_err(refused)?;
        let undated = |class: PoliceClass| Classification {
            year: None,
            class,
            source: String::new(),
            as_of: None,
        };
        let existing = load_areas(&mut self.tx, "name = $1", &[Bind::Text(name.trim().into())])
            .await?
            .pop();
        match existing {
            Some(area) => {
                let Some(class) = class else {
                    return Ok(());
                };
                if area
                    .classifications
                    .iter()
                    .any(|c| c.year.is_none() && c.class == class)
                {
                    return Ok(());
                }
                let mut changed = area.clone();
                changed.classifications.retain(|c| c.year.is_some());
                changed.classifications.push(undated(class));
                self.update_area(&changed).await
            }
            None => self
                .create_area(&Area {
                    id: 0,
                    name: name.to_string(),
                    kind: None,
                    parent_id: None,
                    note: String::new(),
                    classifications: class.map(undated).into_iter().collect(),
                })
                .await
                .map(|_| ()),
        }
    }

    /// The level scale as this transaction sees it.
    pub async fn level_scale_in_tx(&mut self) -> Result<LevelScale> {
        load_scale(&mut self.tx).await
    }

    /// Sets the municipality's level scale; unchanged is no change.
    pub async fn set_level_scale(&mut self, scale: &LevelScale) -> Result<()> {
        validate_scale(scale).map_err(refused)?;
        let before = load_scale(&mut self.tx).await?;
        if before == *scale {
            return Ok(());
        }
        if let Some(board) = scale.board_id {
            self.ensure_exist("org_units", "org unit", &[board]).await?;
        }
        let definitions: BTreeMap<String, &String> = scale
            .definitions
            .iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        self.execute("DELETE FROM level_scale", vec![]).await?;
        self.execute(
            "INSERT INTO level_scale (id, max_level, threshold, present_within_days, board_id, definitions) \
             VALUES (1, $1, $2, $3, $4, $5)",
            vec![
                Bind::Int(i64::from(scale.max_level)),
                Bind::Int(i64::from(scale.threshold)),
                Bind::Int(i64::from(scale.present_within_days)),
                Bind::OptInt(scale.board_id),
                Bind::Text(to_json(&definitions)),
            ],
        )
        .await?;
        self.log(
            "set",
            SCALE_LOG_TYPE,
            None,
            log_json(&before),
            log_json(scale),
        )
        .await
    }

    /// Refuses a change to a report of `year` when a decision locked that year for the
    /// scale's board.
    async fn ensure_report_unlocked(&mut self, scale: &LevelScale, year: i32) -> Result<()> {
        match scale.board_id {
            Some(board) => self.ensure_unlocked(board, Period::Year(year)).await,
            None => Ok(()),
        }
    }

    /// Checks a report whole (`situation::validate_report` on the stored scale) and that
    /// its areas, forum and presentations' boards and forums exist.
    async fn check_report(&mut self, r: &SituationReport, scale: &LevelScale) -> Result<()> {
        let names = area_names(&self.areas_in_tx().await?);
        validate_report(r, scale, &names).map_err(refused)?;
        if let Some(missing) = r.levels.iter().find(|l| !names.contains_key(&l.area_id)) {
            return Err(StoreError::not_found(
                ObjectKind::Area.log_type(),
                missing.area_id,
            ));
        }
        self.check_presentation_targets(&r.presentations).await?;
        if let Some(f) = r.producer_forum_id {
            self.ensure_exist("forums", ObjectKind::Forum.log_type(), &[f])
                .await?;
        }
        Ok(())
    }

    async fn check_presentation_targets(&mut self, ps: &[Presentation]) -> Result<()> {
        let units: Vec<Id> = ps.iter().filter_map(|p| p.unit_id).collect();
        let forums: Vec<Id> = ps.iter().filter_map(|p| p.forum_id).collect();
        self.ensure_exist("org_units", "org unit", &units).await?;
        self.ensure_exist("forums", ObjectKind::Forum.log_type(), &forums)
            .await
    }

    /// Writes a report's levels and presentations anew.
    async fn write_report_parts(&mut self, id: Id, r: &SituationReport) -> Result<()> {
        for table in ["situation_levels", "situation_presentations"] {
            self.execute(
                &format!("DELETE FROM {table} WHERE report_id = $1"),
                vec![Bind::Int(id)],
            )
            .await?;
        }
        for (chunk_at, chunk) in r.levels.chunks(100).enumerate() {
            let sql = format!(
                "INSERT INTO situation_levels (report_id, area_id, level, position) VALUES {}",
                value_rows(self.backend, chunk.len(), 4)
            );
            let mut binds = Vec::with_capacity(chunk.len() * 4);
            for (i, l) in chunk.iter().enumerate() {
                binds.extend([
                    Bind::Int(id),
                    Bind::Int(l.area_id),
                    Bind::Int(i64::from(l.level)),
                    Bind::Int((chunk_at * 100 + i) as i64),
                ]);
            }
            self.execute(&sql, binds).await?;
        }
        for p in &r.presentations {
            self.insert_presentation(id, p).await?;
        }
        Ok(())
    }

    async fn insert_presentation(&mut self, report_id: Id, p: &Presentation) -> Result<()> {
        self.execute(
            "INSERT INTO situation_presentations (report_id, unit_id, forum_id, date, reference, position) \
             VALUES ($1, $2, $3, $4, $5, \
             (SELECT COUNT(*) FROM situation_presentations WHERE report_id = $1))",
            vec![
                Bind::Int(report_id),
                Bind::OptInt(p.unit_id),
                Bind::OptInt(p.forum_id),
                Bind::Text(p.date.clone()),
                Bind::Text(p.reference.trim().to_string()),
            ],
        )
        .await?;
        Ok(())
    }

    /// Creates a situation report with its levels and presentations; returns its id.
    /// Refused in a year a decision locked for the scale's board.
    pub async fn create_situation_report(&mut self, r: &SituationReport) -> Result<Id> {
        let scale = load_scale(&mut self.tx).await?;
        self.check_report(r, &scale).await?;
        self.ensure_report_unlocked(&scale, r.year()).await?;
        let id = self.insert_object(r).await?;
        self.write_report_parts(id, r).await?;
        self.log_created(id, &report_stored(id, r)).await?;
        Ok(id)
    }

    /// Changes a situation report (`r.id`), its levels, checklist and presentations
    /// replaced; unchanged is no change. Refused when its year, before or after, is
    /// locked for the scale's board.
    pub async fn update_situation_report(&mut self, r: &SituationReport) -> Result<()> {
        let before = load_report(&mut self.tx, r.id).await?;
        let after = report_stored(r.id, r);
        if before == after {
            return Ok(());
        }
        let scale = load_scale(&mut self.tx).await?;
        self.check_report(&after, &scale).await?;
        self.ensure_report_unlocked(&scale, before.year()).await?;
        self.ensure_report_unlocked(&scale, after.year()).await?;
        self.update_object(r.id, &after).await?;
        self.write_report_parts(r.id, &after).await?;
        self.log_updated(r.id, &before, &after).await
    }

    /// Records that a report was presented to a board or a forum.
    pub async fn add_presentation(&mut self, report_id: Id, p: &Presentation) -> Result<()> {
        let mut report = load_report(&mut self.tx, report_id).await?;
        validate_presentation(p).map_err(refused)?;
        report.presentations.push(p.clone());
        let scale = load_scale(&mut self.tx).await?;
        self.check_report(&report, &scale).await?;
        self.ensure_report_unlocked(&scale, report.year()).await?;
        self.insert_presentation(report_id, p).await?;
        self.log(
            "create",
            PRESENTATION_LOG_TYPE,
            Some(report_id),
            None,
            log_json(&presentation_stored(p)),
        )
        .await
    }

    /// Checks a forum against the others and that what it names exists.
    async fn check_forum(&mut self, f: &Forum) -> Result<()> {
        let others = self.forums_in_tx().await?;
        validate_forum(f, &others).map_err(refused)?;
        if let Some(u) = f.reports_to_unit {
            self.ensure_exist("org_units", "org unit", &[u]).await?;
        }
        if let Some(to) = f.reports_to_forum {
            if !others.iter().any(|o| o.id == to) {
                return Err(StoreError::not_found(ObjectKind::Forum.log_type(), to));
            }
        }
        self.ensure_exist("areas", ObjectKind::Area.log_type(), &f.area_ids)
            .await
    }

    /// Writes the areas an object works in anew (`forum_areas` or `agreement_areas`,
    /// whose owner column is `owner`).
    async fn write_area_links(
        &mut self,
        table: &str,
        owner: &str,
        id: Id,
        areas: &[Id],
    ) -> Result<()> {
        self.execute(
            &format!("DELETE FROM {table} WHERE {owner} = $1"),
            vec![Bind::Int(id)],
        )
        .await?;
        for (i, a) in areas.iter().enumerate() {
            self.execute(
                &format!("INSERT INTO {table} ({owner}, area_id, position) VALUES ($1, $2, $3)"),
                vec![Bind::Int(id), Bind::Int(*a), Bind::Int(i as i64)],
            )
            .await?;
        }
        Ok(())
    }

    /// Creates a forum; returns its id.
    pub async fn create_forum(&mut self, f: &Forum) -> Result<Id> {
        let new = forum_stored(0, f);
        self.check_forum(&new).await?;
        let id = self.insert_object(&new).await?;
        self.write_area_links("forum_areas", "forum_id", id, &new.area_ids)
            .await?;
        self.log_created(id, &forum_stored(id, &new)).await?;
        Ok(id)
    }

    /// Changes a forum (`f.id`), its members, meetings and areas replaced; unchanged is
    /// no change.
    pub async fn update_forum(&mut self, f: &Forum) -> Result<()> {
        let before = load_forum(&mut self.tx, f.id).await?;
        let after = forum_stored(f.id, f);
        if before == after {
            return Ok(());
        }
        self.check_forum(&after).await?;
        self.update_object(f.id, &after).await?;
        self.write_area_links("forum_areas", "forum_id", f.id, &after.area_ids)
            .await?;
        self.log_updated(f.id, &before, &after).await
    }

    /// Records a forum's meeting.
    pub async fn add_meeting(&mut self, forum_id: Id, m: &Meeting) -> Result<()> {
        let mut forum = load_forum(&mut self.tx, forum_id).await?;
        forum.meetings.push(m.clone());
        let forum = forum_stored(forum_id, &forum);
        self.check_forum(&forum).await?;
        self.update_columns(
            "forums",
            forum_id,
            vec![("meetings", Bind::Text(meetings_json(&forum.meetings)))],
        )
        .await?;
        self.log(
            "create",
            MEETING_LOG_TYPE,
            Some(forum_id),
            None,
            forum.meetings.last().and_then(|m| {
                log_json(&serde_json::json!({
                    "date": m.date, "reference": m.reference, "note": m.note
                }))
            }),
        )
        .await
    }

    /// Checks an agreement against the others (`forum::validate_agreement`, its statutes
    /// registered) and that what it names exists.
    async fn check_agreement(&mut self, a: &Agreement) -> Result<()> {
        let others = self.agreements_in_tx().await?;
        let known: Vec<String> = self
            .statutes_in_tx()
            .await?
            .into_iter()
            .map(|s| s.sfs)
            .collect();
        validate_agreement(a, &others, &known).map_err(refused)?;
        uppsikt_domain::area::count(a.statutes.len(), "statutes").map_err(refused)?;
        if let Some(f) = a.governing_forum_id {
            self.ensure_exist("forums", ObjectKind::Forum.log_type(), &[f])
                .await?;
        }
        if let Some(r) = a.situation_report_id {
            self.ensure_exist(
                "situation_reports",
                ObjectKind::SituationReport.log_type(),
                &[r],
            )
            .await?;
        }
        self.ensure_exist("areas", ObjectKind::Area.log_type(), &a.area_ids)
            .await?;
        let indicators: Vec<Id> = a
            .focus_areas
            .iter()
            .flat_map(|f| f.activities.iter().filter_map(|x| x.effect_indicator_id))
            .collect();
        self.ensure_exist("indicators", ObjectKind::Indicator.log_type(), &indicators)
            .await
    }

    /// Writes an agreement's areas, focus areas and activities anew; returns it with the
    /// parts' new ids.
    async fn write_agreement_parts(&mut self, id: Id, a: &Agreement) -> Result<Agreement> {
        let mut stored = agreement_stored(id, a);
        self.write_area_links("agreement_areas", "agreement_id", id, &stored.area_ids)
            .await?;
        self.execute(
            "DELETE FROM agreement_focus_areas WHERE agreement_id = $1",
            vec![Bind::Int(id)],
        )
        .await?;
        for (i, f) in stored.focus_areas.iter_mut().enumerate() {
            f.id = self
                .insert_columns(
                    "agreement_focus_areas",
                    vec![
                        ("agreement_id", Bind::Int(id)),
                        ("position", Bind::Int(i as i64)),
                        ("name", Bind::Text(f.name.clone())),
                        ("has_plan", Bind::Int(i64::from(f.has_plan))),
                    ],
                )
                .await?;
            for (j, x) in f.activities.iter_mut().enumerate() {
                x.id = self
                    .insert_columns(
                        "agreement_activities",
                        vec![
                            ("focus_area_id", Bind::Int(f.id)),
                            ("position", Bind::Int(j as i64)),
                            ("title", Bind::Text(x.title.clone())),
                            ("problem", Bind::Text(x.problem.clone())),
                            ("goal_short", Bind::Text(x.goal_short.clone())),
                            ("goal_long", Bind::Text(x.goal_long.clone())),
                            ("owner", Bind::Text(x.owner.clone())),
                            ("frequency", Bind::Text(x.frequency.clone())),
                            ("follow_up", Bind::Text(x.follow_up.clone())),
                            ("effect_indicator_id", Bind::OptInt(x.effect_indicator_id)),
                        ],
                    )
                    .await?;
            }
        }
        Ok(stored)
    }

    /// Creates an agreement with its focus areas and activities; returns its id.
    pub async fn create_agreement(&mut self, a: &Agreement) -> Result<Id> {
        let new = agreement_stored(0, a);
        self.check_agreement(&new).await?;
        let id = self.insert_object(&new).await?;
        let stored = self.write_agreement_parts(id, &new).await?;
        self.log_created(id, &stored).await?;
        Ok(id)
    }

    /// Changes an agreement (`a.id`), its areas, focus areas and activities replaced
    /// (the parts get new ids); unchanged (but for the parts' ids) is no change.
    pub async fn update_agreement(&mut self, a: &Agreement) -> Result<()> {
        let before = load_agreement(&mut self.tx, a.id).await?;
        let after = agreement_stored(a.id, a);
        if without_part_ids(&before) == without_part_ids(&after) {
            return Ok(());
        }
        self.check_agreement(&after).await?;
        self.update_object(a.id, &after).await?;
        let stored = self.write_agreement_parts(a.id, &after).await?;
        self.log_updated(a.id, &before, &stored).await
    }

    async fn check_statute(&mut self, s: &Statute) -> Result<()> {
        let others = self.statutes_in_tx().await?;
        validate_statute(s, &others).map_err(refused)?;
        if let Some(u) = s.leading_unit_id {
            self.ensure_exist("org_units", "org unit", &[u]).await?;
        }
        Ok(())
    }

    /// Registers a statute; returns its id.
    pub async fn create_statute(&mut self, s: &Statute) -> Result<Id> {
        let new = statute_stored(0, s);
        self.check_statute(&new).await?;
        let id = self.insert_object(&new).await?;
        self.log_created(id, &statute_stored(id, &new)).await?;
        Ok(id)
    }

    /// Changes a statute (`s.id`); unchanged is no change. A changed SFS number stays
    /// unique (agreements keep the number they name).
    pub async fn update_statute(&mut self, s: &Statute) -> Result<()> {
        let before = one(
            load_statutes(&mut self.tx, "id = $1", &[Bind::Int(s.id)]).await?,
            s.id,
        )?;
        let after = statute_stored(s.id, s);
        if before == after {
            return Ok(());
        }
        self.check_statute(&after).await?;
        self.update_object(s.id, &after).await?;
        self.log_updated(s.id, &before, &after).await
    }

    /// Checks a duty's own content, that its statute and board exist and that its code is
    /// unique under the statute.
    async fn check_obligation(&mut self, o: &Obligation) -> Result<()> {
        validate_obligation(o).map_err(refused)?;
        self.ensure_exist("statutes", ObjectKind::Statute.log_type(), &[o.statute_id])
            .await?;
        if let Some(u) = o.responsible_unit_id {
            self.ensure_exist("org_units", "org unit", &[u]).await?;
        }
        let taken: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM obligations WHERE statute_id = $1 AND code = $2 AND id <> $3",
        )
        .bind(o.statute_id)
        .bind(o.code.trim())
        .bind(o.id)
        .fetch_optional(&mut *self.tx)
        .await?;
        if taken.is_some() {
            return Err(refused(AreaRefusal::Duplicate(o.code.trim().to_string())));
        }
        Ok(())
    }

    /// Refuses evidence naming a report, agreement or forum that does not exist.
    async fn check_evidence_refs(&mut self, evidence: &[Evidence]) -> Result<()> {
        for e in evidence {
            let table = match e.kind {
                EvidenceKind::SituationReport => ("situation_reports", ObjectKind::SituationReport),
                EvidenceKind::Agreement => ("agreements", ObjectKind::Agreement),
                EvidenceKind::Forum => ("forums", ObjectKind::Forum),
                _ => continue,
            };
            if let Some(id) = e.ref_id {
                self.ensure_exist(table.0, table.1.log_type(), &[id])
                    .await?;
            }
        }
        Ok(())
    }

    async fn insert_evidence(&mut self, obligation_id: Id, e: &Evidence) -> Result<Id> {
        self.insert_columns(
            "obligation_evidence",
            vec![
                ("obligation_id", Bind::Int(obligation_id)),
                ("kind", Bind::Text(e.kind.code().into())),
                ("ref_id", Bind::OptInt(e.ref_id)),
                ("date", opt_text(e.date.as_deref())),
                ("text", Bind::Text(e.text.clone())),
            ],
        )
        .await
    }

    async fn insert_obligation_assessment(
        &mut self,
        obligation_id: Id,
        a: &ObligationAssessment,
    ) -> Result<()> {
        self.insert_columns(
            "obligation_assessments",
            vec![
                ("obligation_id", Bind::Int(obligation_id)),
                ("status", Bind::Text(a.status.code().into())),
                ("assessed_by", Bind::Text(a.assessed_by.trim().to_string())),
                ("by_auditors", Bind::Int(i64::from(a.by_auditors))),
                ("assessed_on", Bind::Text(a.assessed_on.clone())),
                ("text", Bind::Text(a.text.clone())),
            ],
        )
        .await?;
        Ok(())
    }

    /// Creates a duty with its evidence and assessments (what an import writes); returns
    /// its id. Each assessment is checked as [`Writer::add_obligation_assessment`] checks
    /// it, against the duty's evidence, as of today.
    pub async fn create_obligation(&mut self, o: &Obligation) -> Result<Id> {
        let new = obligation_stored(0, o);
        self.check_obligation(&new).await?;
        self.check_evidence_refs(&new.evidence).await?;
        let facts = load_facts(&mut self.tx).await?;
        let today = crate::today();
        for a in &new.assessments {
            validate_assessment(&new, a, &facts, &today).map_err(refused)?;
        }
        let id = self.insert_object(&new).await?;
        let mut stored = obligation_stored(id, &new);
        for e in stored.evidence.iter_mut() {
            e.id = self.insert_evidence(id, e).await?;
        }
        for a in &new.assessments {
            self.insert_obligation_assessment(id, a).await?;
        }
        self.log_created(id, &stored).await?;
        Ok(id)
    }

    /// Changes a duty's own fields and checklist (`o.id`; its evidence and assessments
    /// are written by their own writes and stay); unchanged is no change.
    pub async fn update_obligation(&mut self, o: &Obligation) -> Result<()> {
        let before = load_obligation(&mut self.tx, o.id).await?;
        let after = Obligation {
            evidence: before.evidence.clone(),
            assessments: before.assessments.clone(),
            ..obligation_stored(o.id, o)
        };
        if before == after {
            return Ok(());
        }
        self.check_obligation(&after).await?;
        self.update_object(o.id, &after).await?;
        self.log_updated(o.id, &before, &after).await
    }

    /// Adds evidence to a duty; returns its id.
    pub async fn add_evidence(&mut self, obligation_id: Id, e: &Evidence) -> Result<Id> {
        let mut duty = load_obligation(&mut self.tx, obligation_id).await?;
        duty.evidence.push(e.clone());
        validate_obligation(&duty).map_err(refused)?;
        self.check_evidence_refs(std::slice::from_ref(e)).await?;
        let id = self.insert_evidence(obligation_id, e).await?;
        self.log(
            "create",
            EVIDENCE_LOG_TYPE,
            Some(obligation_id),
            None,
            log_json(&Evidence { id, ..e.clone() }),
        )
        .await?;
        Ok(id)
    }

    /// Removes a piece of evidence; not found (`obligation_evidence`) if none.
    pub async fn remove_evidence(&mut self, evidence_id: Id) -> Result<()> {
        let owner: Option<i64> =
            sqlx::query_scalar("SELECT obligation_id FROM obligation_evidence WHERE id = $1")
                .bind(evidence_id)
                .fetch_optional(&mut *self.tx)
                .await?;
        let owner = owner.ok_or_else(|| StoreError::not_found(EVIDENCE_LOG_TYPE, evidence_id))?;
        let duty = load_obligation(&mut self.tx, owner).await?;
        let before = duty.evidence.iter().find(|e| e.id == evidence_id).cloned();
        self.execute(
            "DELETE FROM obligation_evidence WHERE id = $1",
            vec![Bind::Int(evidence_id)],
        )
        .await?;
        self.log(
            "delete",
            EVIDENCE_LOG_TYPE,
            Some(owner),
            before.as_ref().and_then(log_json),
            None,
        )
        .await
    }

    /// Records a status assessment of a duty, checked against its evidence as this
    /// transaction sees it (`obligation::validate_assessment`: "Uppfylld" needs evidence
    /// that can fulfil the duty; no date after `today`).
    pub async fn add_obligation_assessment(
        &mut self,
        obligation_id: Id,
        a: &ObligationAssessment,
        today: &str,
    ) -> Result<()> {
        let mut duty = load_obligation(&mut self.tx, obligation_id).await?;
        let facts = load_facts(&mut self.tx).await?;
        validate_assessment(&duty, a, &facts, today).map_err(refused)?;
        duty.assessments.push(a.clone());
        validate_obligation(&duty).map_err(refused)?;
        self.insert_obligation_assessment(obligation_id, a).await?;
        self.log(
            "create",
            OBLIGATION_ASSESSMENT_LOG_TYPE,
            Some(obligation_id),
            None,
            log_json(a),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::natural_cmp;

    #[test]
    fn codes_sort_naturally() {
        let mut codes = vec!["L10", "L2", "L1", "F03", "F01", "L02b"];
        codes.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(codes, vec!["F01", "F03", "L1", "L2", "L02b", "L10"]);
    }
}
