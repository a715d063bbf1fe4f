//! Open data (`/oppna-data`) and the public read-only API (`/api/public/v1/`): decided
//! data only, the same for everyone.
//!
//! Everything here is built for `Audience::Public` whoever asks (signed in or not), through
//! the one public rule (`uppsikt_domain::publication`): outcomes, milestones and targets
//! as `Audience::indicator` leaves them, indicators the public sees
//! (`Audience::sees_indicator`), assessments it sees (`Audience::sees_assessment`, decided
//! ones of decided periods), goals it sees (`Audience::sees_goal`). So every answer may
//! be cached by anyone (`Cache-Control: public`), with a strong `ETag` from the store's
//! data version and the request's path and query; `If-None-Match` is answered 304 before
//! anything is loaded.
//!
//! One [`Snapshot`] (the public data, loaded in a constant number of queries) is kept per
//! data version, and each download file is serialised once per data version and kept as
//! one shared buffer ([`Bytes`]), so a download costs a copy-free answer, not a new
//! string per request. Three datasets (indicators, outcomes, assessments), each as CSV for
//! Swedish Excel (UTF-8 with BOM, `;`, decimal comma, CRLF, formula-looking text cells
//! prefixed with `'`), plain RFC 4180 CSV (UTF-8, `,`, decimal point, CRLF, quoted where
//! the RFC requires) and JSON; a DCAT-AP-SE catalogue (`katalog.rdf`) describes them.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::sync::Arc;

use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use uppsikt_domain::collate::swedish_cmp;
use uppsikt_domain::messages;
use uppsikt_domain::model::{Assessment, Goal, Id, IndicatorRecord, OrgKind, OrgUnit, PeriodLock};
use uppsikt_domain::publication::{Audience, Decisions};

use crate::crumbs::Crumbs;
use crate::error::{refusal, ApiError, AppError, Path};
use crate::AppState;

/// The licence when the operator names none (`--open-data-licence`): CC0 1.0, the one
/// Sveriges dataportal recommends for public-sector data.
pub const DEFAULT_LICENCE: &str = "http://creativecommons.org/publicdomain/zero/1.0/";

/// The longest query string read (bytes); a longer one is refused before it is parsed.
pub const QUERY_MAX: usize = 256;

/// Where the public API is described.
const OPENAPI_PATH: &str = "/api/v1/openapi.json";

// --- the public data of one data version ---------------------------------------------------

/// An indicator the public sees, with what the public may see of its data.
pub struct PublicIndicator {
    pub record: IndicatorRecord,
    /// The unit whose goal it measures.
    pub org_id: Id,
}

/// The public data of one data version.
pub struct Snapshot {
    pub version: i64,
    /// The municipality's name as the store holds it (its top unit of kind kommun).
    pub municipality: Option<String>,
    pub units: Vec<OrgUnit>,
    unit_index: HashMap<Id, usize>,
    /// Goals the public sees, in the store's order.
    pub goals: Vec<Goal>,
    goal_index: HashMap<Id, usize>,
    pub indicators: Vec<PublicIndicator>,
    /// Decided assessments of decided periods.
    pub assessments: Vec<Assessment>,
    pub decisions: Decisions,
    /// The newest decision's date (how fresh the data is), where the records hold one.
    pub last_decided: Option<String>,
    /// Whether any decision makes data public (dated or not).
    pub any_decision: bool,
}

impl Snapshot {
    async fn load(state: &AppState, version: i64) -> Result<Snapshot, AppError> {
        let store = &state.store;
        let decisions = store.decisions().await?;
        let audience = Audience::Public(decisions.clone());
        let units = store.org_units().await?;
        let all_goals = store.goals().await?;
        let goal_org: HashMap<Id, Id> = all_goals.iter().map(|g| (g.id, g.org_id)).collect();
        let mut indicators = Vec::new();
        for record in store.indicator_records(uppsikt_store::Scope::All).await? {
            let Some(&org_id) = goal_org.get(&record.indicator.goal_id) else {
                continue;
            };
            let record = audience.indicator(org_id, record);
            if audience.sees_indicator(&record) {
                indicators.push(PublicIndicator { record, org_id });
            }
        }
        let assessments: Vec<Assessment> = store
            .all_assessments()
            .await?
            .into_iter()
            .filter(|a| audience.sees_assessment(a))
            .collect();
        // A goal is public when it, or a goal below it, holds decided data.
        let mut with_content: HashSet<Id> = indicators
            .iter()
            .map(|i| i.record.indicator.goal_id)
            .chain(assessments.iter().filter_map(|a| a.goal_id))
            .collect();
        let parent: HashMap<Id, Option<Id>> =
            all_goals.iter().map(|g| (g.id, g.parent_id)).collect();
        for id in with_content.clone() {
            let mut up = parent.get(&id).copied().flatten();
            while let Some(p) = up {
                if !with_content.insert(p) {
                    break;
                }
                up = parent.get(&p).copied().flatten();
            }
        }
        let goals: Vec<Goal> = all_goals
            .into_iter()
            .filter(|g| audience.sees_goal(g, with_content.contains(&g.id)))
            .collect();
        let municipality = units
            .iter()
            .find(|u| u.parent_id.is_none() && u.kind == OrgKind::Kommun)
            .map(|u| u.name.clone());
        // A decision whose date the records lack (the demo's) says nothing about freshness.
        let last_decided = decisions
            .locks()
            .iter()
            .map(|l| l.decided_on.trim().to_string())
            .filter(|d| !d.is_empty())
            .max();
        let any_decision = !decisions.locks().is_empty();
        Ok(Snapshot {
            version,
            municipality,
            unit_index: units.iter().enumerate().map(|(i, u)| (u.id, i)).collect(),
            units,
            goal_index: goals.iter().enumerate().map(|(i, g)| (g.id, i)).collect(),
            goals,
            indicators,
            assessments,
            decisions,
            last_decided,
            any_decision,
        })
    }

    fn unit(&self, id: Id) -> Option<&OrgUnit> {
        self.unit_index.get(&id).map(|i| &self.units[*i])
    }

    fn unit_name(&self, id: Id) -> &str {
        self.unit(id).map_or("", |u| u.name.as_str())
    }

    pub fn goal(&self, id: Id) -> Option<&Goal> {
        self.goal_index.get(&id).map(|i| &self.goals[*i])
    }

    fn goal_title(&self, id: Option<Id>) -> &str {
        id.and_then(|id| self.goal(id))
            .map_or("", |g| g.title.as_str())
    }

    pub fn outcome_count(&self) -> usize {
        self.indicators
            .iter()
            .map(|i| i.record.outcomes.len())
            .sum()
    }
}

/// The cached snapshot and download files of the newest data version seen.
#[derive(Default)]
pub struct OpenDataCache {
    current: tokio::sync::Mutex<Option<Cached>>,
}

struct Cached {
    snapshot: Arc<Snapshot>,
    files: HashMap<(Dataset, Format), Bytes>,
    /// The public API's answers of this version, by path and query (what the ETag names),
    /// within [`ANSWERS_MAX`] entries and [`ANSWERS_MAX_BYTES`]; beyond that, answers are
    /// built and not kept.
    answers: HashMap<String, Bytes>,
    answer_bytes: usize,
}

/// At most this many API answers are kept per data version.
const ANSWERS_MAX: usize = 4096;
/// At most this many bytes of API answers are kept per data version.
const ANSWERS_MAX_BYTES: usize = 64 << 20;

impl OpenDataCache {
    /// The snapshot of `version` (loaded once; concurrent misses wait for one load).
    async fn snapshot(&self, state: &AppState, version: i64) -> Result<Arc<Snapshot>, AppError> {
        let mut current = self.current.lock().await;
        if let Some(c) = current.as_ref().filter(|c| c.snapshot.version >= version) {
            return Ok(c.snapshot.clone());
        }
        let snapshot = Arc::new(Snapshot::load(state, version).await?);
        *current = Some(Cached {
            snapshot: snapshot.clone(),
            files: HashMap::new(),
            answers: HashMap::new(),
            answer_bytes: 0,
        });
        Ok(snapshot)
    }

    /// The kept API answer `key` of `snapshot`'s version, if any.
    async fn answer(&self, snapshot: &Arc<Snapshot>, key: &str) -> Option<Bytes> {
        let current = self.current.lock().await;
        current
            .as_ref()
            .filter(|c| Arc::ptr_eq(&c.snapshot, snapshot))
            .and_then(|c| c.answers.get(key).cloned())
    }

    /// Keeps an API answer of `snapshot`'s version while it is current and within bounds.
    async fn keep_answer(&self, snapshot: &Arc<Snapshot>, key: &str, body: &Bytes) {
        let mut current = self.current.lock().await;
        if let Some(c) = current
            .as_mut()
            .filter(|c| Arc::ptr_eq(&c.snapshot, snapshot))
        {
            if c.answers.len() < ANSWERS_MAX
                && c.answer_bytes + body.len() <= ANSWERS_MAX_BYTES
                && !c.answers.contains_key(key)
            {
                c.answer_bytes += body.len();
                c.answers.insert(key.to_string(), body.clone());
            }
        }
    }

    /// A download file of `version`, serialised once per version.
    async fn file(
        &self,
        state: &AppState,
        version: i64,
        dataset: Dataset,
        format: Format,
    ) -> Result<(i64, Bytes), AppError> {
        let snapshot = self.snapshot(state, version).await?;
        let mut current = self.current.lock().await;
        let Some(c) = current
            .as_mut()
            .filter(|c| Arc::ptr_eq(&c.snapshot, &snapshot))
        else {
            // A newer version arrived meanwhile: this answer is built, not kept.
            let bytes = serialise(&snapshot, dataset, format, &state.open_data_licence);
            return Ok((snapshot.version, bytes.into()));
        };
        if let Some(b) = c.files.get(&(dataset, format)) {
            return Ok((snapshot.version, b.clone()));
        }
        let bytes: Bytes = serialise(&snapshot, dataset, format, &state.open_data_licence).into();
        c.files.insert((dataset, format), bytes.clone());
        Ok((snapshot.version, bytes))
    }
}

// --- datasets and their serialisation ------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dataset {
    Indicators,
    Outcomes,
    Assessments,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// CSV for Swedish Excel: UTF-8 with BOM, `;`, decimal comma, CRLF.
    Excel,
    /// RFC 4180: UTF-8 without BOM, `,`, decimal point, CRLF.
    Rfc4180,
    Json,
}

impl Dataset {
    pub const ALL: [Dataset; 3] = [Dataset::Indicators, Dataset::Outcomes, Dataset::Assessments];

    /// The file name's stem under `/oppna-data/`.
    pub fn stem(self) -> &'static str {
        match self {
            Dataset::Indicators => "indikatorer",
            Dataset::Outcomes => "utfall",
            Dataset::Assessments => "bedomningar",
        }
    }

    pub fn title_sv(self) -> &'static str {
        match self {
            Dataset::Indicators => "Mått (indikatorer)",
            Dataset::Outcomes => "Utfall",
            Dataset::Assessments => "Bedömningar av måluppfyllelse",
        }
    }

    pub fn description_sv(self) -> &'static str {
        match self {
            Dataset::Indicators => "Varje mått som kommunens beslutade uppföljning innehåller: vilket mål och vilken nämnd det hör till, måttenhet, riktning, källa, etappmål och målvärden.",
            Dataset::Outcomes => "Varje beslutat utfall per mått, period och uppdelning (totalt, kvinnor, män, område …) med årets etappmål och beslutet som omfattar det.",
            Dataset::Assessments => "Varje beslutad bedömning av måluppfyllelse för en nämnd eller ett mål och en period, med motivering och beslutet som omfattar den.",
        }
    }

    /// The columns: (name in the files, what it holds in Swedish).
    pub fn columns(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Dataset::Indicators => &[
                ("indicator_id", "Måttets id (stabilt)"),
                ("indicator_key", "Måttets nyckel"),
                ("indicator", "Måttets namn"),
                ("unit_of_measure", "Måttenhet"),
                (
                    "direction",
                    "Riktning: higher (högre är bättre), lower eller none",
                ),
                (
                    "frequency",
                    "Hur ofta det mäts: year, biennial, tertial, month, week",
                ),
                ("source", "Källa"),
                (
                    "kolada_kpi",
                    "Kolada-nyckeltal, om måttet hämtas från Kolada",
                ),
                ("goal_id", "Målets id"),
                ("goal", "Målet måttet följer upp"),
                ("org_unit_id", "Nämndens id"),
                ("org_unit", "Nämnd (eller annan organisatorisk enhet)"),
                (
                    "milestones",
                    "Beslutade etappmål per år, t.ex. ”2019: >93.7”",
                ),
                ("targets", "Långsiktiga målvärden per år"),
                ("outcomes", "Antal beslutade utfall"),
            ],
            Dataset::Outcomes => &[
                ("indicator_id", "Måttets id"),
                ("indicator", "Måttets namn"),
                ("unit_of_measure", "Måttenhet"),
                ("goal_id", "Målets id"),
                ("goal", "Målet"),
                ("org_unit_id", "Nämndens id"),
                ("org_unit", "Nämnd"),
                (
                    "period",
                    "Period: år (2019), tertial (2019T2), månad (2019-03) eller vecka (2019V12)",
                ),
                (
                    "breakdown",
                    "Uppdelning: total, women, men, girls, boys eller area:NAMN",
                ),
                ("breakdown_sv", "Uppdelningen på svenska"),
                ("value", "Värde (tal)"),
                ("margin_of_error", "Felmarginal (±), om den finns"),
                ("sample_size", "Urvalsstorlek, om den finns"),
                ("milestone", "Årets etappmål för måttet, om ett är beslutat"),
                (
                    "decided_by",
                    "Organet som fattade beslutet som omfattar utfallet",
                ),
                ("decided_on", "Beslutsdatum"),
                ("paragraph", "Paragraf"),
                ("diary_number", "Diarienummer"),
            ],
            Dataset::Assessments => &[
                ("assessment_id", "Bedömningens id"),
                ("org_unit_id", "Nämndens id"),
                ("org_unit", "Nämnd"),
                ("goal_id", "Målets id (tomt: nämndens samlade bedömning)"),
                ("goal", "Målet"),
                ("period", "Period"),
                ("level", "Bedömd nivå, t.ex. God"),
                ("motivation", "Motivering"),
                ("date", "Datum för bedömningen"),
                (
                    "decided_by",
                    "Organet som fattade beslutet som omfattar bedömningen",
                ),
                ("decided_on", "Beslutsdatum"),
                ("paragraph", "Paragraf"),
                ("diary_number", "Diarienummer"),
            ],
        }
    }
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Excel | Format::Rfc4180 => "csv",
            Format::Json => "json",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Excel | Format::Rfc4180 => "text/csv; charset=utf-8",
            Format::Json => "application/json",
        }
    }

    /// The IANA media type's URI (DCAT's `dcat:mediaType`).
    fn media_type_uri(self) -> &'static str {
        match self {
            Format::Excel | Format::Rfc4180 => {
                "https://www.iana.org/assignments/media-types/text/csv"
            }
            Format::Json => "https://www.iana.org/assignments/media-types/application/json",
        }
    }

    /// The EU file-type vocabulary's URI (`dct:format`).
    fn file_type_uri(self) -> &'static str {
        match self {
            Format::Excel | Format::Rfc4180 => {
                "http://publications.europa.eu/resource/authority/file-type/CSV"
            }
            Format::Json => "http://publications.europa.eu/resource/authority/file-type/JSON",
        }
    }

    /// The path of `dataset` in this format.
    pub fn path(self, dataset: Dataset) -> String {
        let stem = dataset.stem();
        match self {
            Format::Excel => format!("/oppna-data/{stem}.csv?format=excel"),
            Format::Rfc4180 => format!("/oppna-data/{stem}.csv?format=rfc4180"),
            Format::Json => format!("/oppna-data/{stem}.json"),
        }
    }

    fn title_sv(self) -> &'static str {
        match self {
            Format::Excel => "CSV för Excel (semikolon, decimalkomma)",
            Format::Rfc4180 => "CSV enligt RFC 4180 (komma, decimalpunkt)",
            Format::Json => "JSON",
        }
    }
}

/// One cell of a row.
pub enum Cell<'a> {
    Text(Cow<'a, str>),
    Int(Option<i64>),
    Num(Option<f64>),
}

fn text(s: &str) -> Cell<'_> {
    Cell::Text(Cow::Borrowed(s))
}

/// A number as text: the shortest form that reads back to the same value, never an
/// exponent; `comma` writes the Swedish decimal comma.
fn number(v: f64, comma: bool) -> String {
    let s = format!("{v}");
    if comma {
        s.replace('.', ",")
    } else {
        s
    }
}

/// A text cell as Excel gets it: a cell starting with `=`, `+`, `-`, `@`, a tab, CR or LF
/// would be read as a formula; a leading `'` makes it text.
pub fn excel_text(s: &str) -> Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r', '\n']) {
        Cow::Owned(format!("'{s}"))
    } else {
        Cow::Borrowed(s)
    }
}

/// Writes rows as one of the formats into a byte buffer.
pub struct RowWriter {
    format: Format,
    csv: Option<csv::Writer<Vec<u8>>>,
    json: Vec<u8>,
    columns: &'static [(&'static str, &'static str)],
    rows: usize,
}

impl RowWriter {
    /// A writer for `columns`; CSV starts with the header row, JSON with `header` (the
    /// JSON object's fields before `rows`, without braces).
    pub fn new(
        format: Format,
        columns: &'static [(&'static str, &'static str)],
        header: &str,
    ) -> RowWriter {
        let mut w = RowWriter {
            format,
            csv: None,
            json: Vec::new(),
            columns,
            rows: 0,
        };
        match format {
            Format::Excel | Format::Rfc4180 => {
                let mut out = Vec::new();
                if format == Format::Excel {
                    out.extend_from_slice("\u{feff}".as_bytes());
                }
                let mut csv = csv::WriterBuilder::new()
                    .delimiter(if format == Format::Excel { b';' } else { b',' })
                    .terminator(csv::Terminator::CRLF)
                    .quote_style(csv::QuoteStyle::Necessary)
                    .from_writer(out);
                let _ = csv.write_record(columns.iter().map(|c| c.0));
                w.csv = Some(csv);
            }
            Format::Json => {
                w.json.push(b'{');
                w.json.extend_from_slice(header.as_bytes());
                if !header.is_empty() {
                    w.json.push(b',');
                }
                w.json.extend_from_slice(b"\"rows\":[");
            }
        }
        w
    }

    pub fn row(&mut self, cells: &[Cell<'_>]) {
        debug_assert_eq!(cells.len(), self.columns.len());
        let comma = self.format == Format::Excel;
        if let Some(csv) = self.csv.as_mut() {
            // Writing into a Vec cannot fail.
            for c in cells {
                let _ = match c {
                    Cell::Text(s) if comma => csv.write_field(excel_text(s).as_bytes()),
                    Cell::Text(s) => csv.write_field(s.as_bytes()),
                    Cell::Int(Some(i)) => csv.write_field(i.to_string()),
                    Cell::Num(Some(v)) if v.is_finite() => csv.write_field(number(*v, comma)),
                    Cell::Int(None) | Cell::Num(_) => csv.write_field(b""),
                };
            }
            let _ = csv.write_record(None::<&[u8]>);
        } else {
            if self.rows > 0 {
                self.json.push(b',');
            }
            self.json.push(b'{');
            for (i, (cell, (name, _))) in cells.iter().zip(self.columns).enumerate() {
                if i > 0 {
                    self.json.push(b',');
                }
                let _ = serde_json::to_writer(&mut self.json, name);
                self.json.push(b':');
                let _ = match cell {
                    Cell::Text(s) => serde_json::to_writer(&mut self.json, s.as_ref()),
                    Cell::Int(v) => serde_json::to_writer(&mut self.json, v),
                    Cell::Num(v) => {
                        serde_json::to_writer(&mut self.json, &v.filter(|v| v.is_finite()))
                    }
                };
            }
            self.json.push(b'}');
        }
        self.rows += 1;
    }

    pub fn finish(self) -> Vec<u8> {
        match self.csv {
            Some(csv) => csv.into_inner().unwrap_or_default(),
            None => {
                let mut json = self.json;
                json.extend_from_slice(b"]}");
                json
            }
        }
    }
}

fn decision_cells(lock: Option<&PeriodLock>) -> [Cell<'_>; 4] {
    match lock {
        Some(l) => [
            text(&l.body),
            text(&l.decided_on),
            text(&l.paragraph),
            text(&l.diary_number),
        ],
        None => [text(""), text(""), text(""), text("")],
    }
}

fn yearly(list: &[(i32, uppsikt_domain::indicator::Target)]) -> String {
    let mut out = String::new();
    for (y, t) in list {
        if !out.is_empty() {
            out.push_str("; ");
        }
        let _ = write!(out, "{y}: {t}");
    }
    out
}

/// A dataset of `s` in `format`.
pub fn serialise(s: &Snapshot, dataset: Dataset, format: Format, licence: &str) -> Vec<u8> {
    let header = format!(
        "\"dataset\":{},\"title\":{},\"licence\":{},\"data_version\":{},\"publisher\":{}",
        json!(dataset.stem()),
        json!(dataset.title_sv()),
        json!(licence),
        s.version,
        json!(s.municipality),
    );
    let mut w = RowWriter::new(format, dataset.columns(), &header);
    match dataset {
        Dataset::Indicators => {
            for i in &s.indicators {
                let ind = &i.record.indicator;
                let milestones = yearly(&i.record.milestones);
                let targets = yearly(&i.record.targets);
                w.row(&[
                    Cell::Int(Some(ind.id)),
                    text(&ind.key),
                    text(&ind.name),
                    text(&ind.unit),
                    text(ind.direction.code()),
                    text(ind.frequency.code()),
                    text(&ind.source),
                    text(&ind.kolada_kpi),
                    Cell::Int(Some(ind.goal_id)),
                    text(s.goal_title(Some(ind.goal_id))),
                    Cell::Int(Some(i.org_id)),
                    text(s.unit_name(i.org_id)),
                    Cell::Text(Cow::Owned(milestones)),
                    Cell::Text(Cow::Owned(targets)),
                    Cell::Int(Some(i.record.outcomes.len() as i64)),
                ]);
            }
        }
        Dataset::Outcomes => {
            for i in &s.indicators {
                let ind = &i.record.indicator;
                let milestones: HashMap<i32, String> = i
                    .record
                    .milestones
                    .iter()
                    .map(|(y, t)| (*y, t.to_string()))
                    .collect();
                let goal = s.goal_title(Some(ind.goal_id));
                let unit = s.unit_name(i.org_id);
                for o in &i.record.outcomes {
                    let [by, on, par, dnr] =
                        decision_cells(s.decisions.covering(i.org_id, o.period));
                    w.row(&[
                        Cell::Int(Some(ind.id)),
                        text(&ind.name),
                        text(&ind.unit),
                        Cell::Int(Some(ind.goal_id)),
                        text(goal),
                        Cell::Int(Some(i.org_id)),
                        text(unit),
                        Cell::Text(Cow::Owned(o.period.to_string())),
                        Cell::Text(Cow::Owned(o.breakdown.code())),
                        Cell::Text(Cow::Owned(o.breakdown.label_sv())),
                        Cell::Num(Some(o.value)),
                        Cell::Num(o.margin),
                        Cell::Int(o.sample_size),
                        text(milestones.get(&o.period.year()).map_or("", |m| m.as_str())),
                        by,
                        on,
                        par,
                        dnr,
                    ]);
                }
            }
        }
        Dataset::Assessments => {
            for a in &s.assessments {
                let [by, on, par, dnr] = decision_cells(s.decisions.covering(a.org_id, a.period));
                w.row(&[
                    Cell::Int(Some(a.id)),
                    Cell::Int(Some(a.org_id)),
                    text(s.unit_name(a.org_id)),
                    Cell::Int(a.goal_id),
                    text(s.goal_title(a.goal_id)),
                    Cell::Text(Cow::Owned(a.period.to_string())),
                    text(&a.level),
                    text(&a.motivation),
                    text(&a.date),
                    by,
                    on,
                    par,
                    dnr,
                ]);
            }
        }
    }
    w.finish()
}

// --- caching headers -----------------------------------------------------------------------

/// A strong validator: the data version and the request's path and query (hashed).
fn etag(version: i64, uri: &Uri) -> String {
    let target = uri.path_and_query().map_or("", |p| p.as_str());
    let digest = Sha256::digest(target.as_bytes());
    let mut out = format!("\"v{version}-");
    for b in &digest[..8] {
        let _ = write!(out, "{b:02x}");
    }
    out.push('"');
    out
}

/// Whether `If-None-Match` names `tag` (or is `*`). Weak comparison, as RFC 9110 asks of
/// `If-None-Match`: `W/"x"` matches `"x"`.
fn not_modified(headers: &HeaderMap, tag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim())
        .any(|t| t == "*" || t.strip_prefix("W/").unwrap_or(t) == tag)
}

const CACHE_CONTROL: &str = "public, max-age=300";

fn with_validators(mut response: Response, tag: &str) -> Response {
    let h = response.headers_mut();
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    if let Ok(v) = HeaderValue::from_str(tag) {
        h.insert(header::ETAG, v);
    }
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    response
}

/// The 304 for a client that has `tag`, if it has; built from the data version alone.
async fn unchanged(
    state: &AppState,
    uri: &Uri,
    headers: &HeaderMap,
) -> Result<(i64, Option<Response>), AppError> {
    let version = state.store.data_version().await?;
    let tag = etag(version, uri);
    Ok((
        version,
        not_modified(headers, &tag)
            .then(|| with_validators(StatusCode::NOT_MODIFIED.into_response(), &tag)),
    ))
}

/// Refuses a query string over [`QUERY_MAX`] bytes or with parameters other than
/// `allowed` (each at most once), in Swedish, before anything is loaded.
#[allow(clippy::result_large_err)] // the refusal is the answer, built once
fn check_query(uri: &Uri, allowed: &[&str]) -> Result<Vec<(String, String)>, Response> {
    let path = uri.path();
    let raw = uri.query().unwrap_or("");
    if raw.len() > QUERY_MAX {
        return Err(refusal(
            path,
            StatusCode::BAD_REQUEST,
            &messages::query_too_long(QUERY_MAX),
        ));
    }
    let pairs = match crate::forms::parse_form_pairs(raw.as_bytes()) {
        Ok(p) => p,
        Err(name) => {
            let message = messages::query_not_utf8(&uppsikt_domain::text::shown(&name, 40));
            return Err(refusal(path, StatusCode::BAD_REQUEST, &message));
        }
    };
    let mut seen = HashSet::new();
    for (name, _) in &pairs {
        if !allowed.contains(&name.as_str()) || !seen.insert(name.clone()) {
            return Err(refusal(path, StatusCode::BAD_REQUEST, messages::BAD_QUERY));
        }
    }
    Ok(pairs)
}

fn error_response(path: &str, e: AppError) -> Response {
    crate::error::respond(path, e)
}

// --- downloads -----------------------------------------------------------------------------

/// `/oppna-data/{file}`: a dataset as `indikatorer.csv?format=excel|rfc4180` (Excel when
/// no format is named) or `indikatorer.json`, and likewise `utfall`, `bedomningar`.
/// Open to everyone, decided data only (Audience::Public).
pub async fn download(
    State(state): State<AppState>,
    Path(file): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let path = uri.path().to_string();
    let query = match check_query(&uri, &["format"]) {
        Ok(q) => q,
        Err(r) => return r,
    };
    let Some((stem, ext)) = file.rsplit_once('.') else {
        return crate::error::not_found(uri.clone()).await;
    };
    let Some(dataset) = Dataset::ALL.into_iter().find(|d| d.stem() == stem) else {
        return crate::error::not_found(uri.clone()).await;
    };
    let format = match (ext, query.first().map(|(_, v)| v.as_str())) {
        ("json", None) => Format::Json,
        ("csv", None | Some("excel")) => Format::Excel,
        ("csv", Some("rfc4180")) => Format::Rfc4180,
        ("json" | "csv", Some(_)) => {
            return refusal(&path, StatusCode::BAD_REQUEST, messages::UNKNOWN_FORMAT)
        }
        _ => return crate::error::not_found(uri.clone()).await,
    };
    let (version, done) = match unchanged(&state, &uri, &headers).await {
        Ok(v) => v,
        Err(e) => return error_response(&path, e),
    };
    if let Some(r) = done {
        return r;
    }
    let (version, bytes) = match state.open_data.file(&state, version, dataset, format).await {
        Ok(v) => v,
        Err(e) => return error_response(&path, e),
    };
    let name = format!(
        "{}{}.{}",
        dataset.stem(),
        if format == Format::Rfc4180 {
            "-rfc4180"
        } else {
            ""
        },
        format.extension()
    );
    let response = (
        [
            (header::CONTENT_TYPE, format.content_type().to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response();
    with_validators(response, &etag(version, &uri))
}

// --- the page ------------------------------------------------------------------------------

pub struct FileLink {
    pub href: String,
    pub label: &'static str,
}

pub struct DatasetInfo {
    pub id: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub columns: &'static [(&'static str, &'static str)],
    pub rows: usize,
    pub files: Vec<FileLink>,
}

#[derive(Template)]
#[template(path = "open_data.html")]
struct OpenDataPage {
    crumbs: String,
    municipality: Option<String>,
    licence: String,
    licence_is_cc0: bool,
    last_decided: Option<String>,
    any_decision: bool,
    datasets: Vec<DatasetInfo>,
}

/// `/oppna-data`: what the datasets are, their columns, licence and freshness.
/// Open to everyone, decided data only (Audience::Public).
pub async fn page(State(state): State<AppState>) -> crate::error::Result<Response> {
    let version = state.store.data_version().await?;
    let s = state.open_data.snapshot(&state, version).await?;
    let datasets = Dataset::ALL
        .into_iter()
        .map(|d| DatasetInfo {
            id: d.stem(),
            title: d.title_sv(),
            description: d.description_sv(),
            columns: d.columns(),
            rows: match d {
                Dataset::Indicators => s.indicators.len(),
                Dataset::Outcomes => s.outcome_count(),
                Dataset::Assessments => s.assessments.len(),
            },
            files: [Format::Excel, Format::Rfc4180, Format::Json]
                .into_iter()
                .map(|f| FileLink {
                    href: f.path(d),
                    label: f.title_sv(),
                })
                .collect(),
        })
        .collect();
    let licence = state.open_data_licence.to_string();
    let page = OpenDataPage {
        crumbs: Crumbs::start().then("/oppna-data", "Öppna data").html(),
        municipality: s.municipality.clone(),
        licence_is_cc0: licence == DEFAULT_LICENCE,
        licence,
        last_decided: s.last_decided.clone(),
        any_decision: s.any_decision,
        datasets,
    };
    Ok(Html(page.render()?).into_response())
}

// --- the DCAT-AP-SE catalogue --------------------------------------------------------------

/// Text for XML (element content and attribute values alike): the workspace's one
/// escaping (`uppsikt_report::html::escape`, whose references XML shares), after leaving
/// out the characters XML 1.0 cannot hold.
pub fn xml_escape(s: &str) -> String {
    let allowed = |c: &char| {
        !((*c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r')
            || matches!(c, '\u{FFFE}' | '\u{FFFF}'))
    };
    uppsikt_report::html::escape(&s.chars().filter(allowed).collect::<String>())
}

/// The base of the catalogue's absolute URLs: the first configured public origin
/// (`--public-origin`; without it the listening address). Never the request's `Host`:
/// a harvester must get the same URLs whatever name it used, and a forged `Host` must
/// not put another site's addresses in the catalogue.
fn base_url(origins: &crate::auth::PublicOrigins) -> String {
    origins
        .0
        .first()
        .cloned()
        .unwrap_or_else(|| "http://localhost".into())
}

/// `/oppna-data/katalog.rdf`: the DCAT-AP-SE catalogue of the datasets and the public API
/// (RDF/XML, what Sveriges dataportal harvests). Open to everyone, decided data only
/// (Audience::Public; the catalogue itself names no data).
pub async fn catalogue(
    State(state): State<AppState>,
    axum::Extension(origins): axum::Extension<crate::auth::PublicOrigins>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let path = uri.path().to_string();
    if let Err(r) = check_query(&uri, &[]) {
        return r;
    }
    let (version, done) = match unchanged(&state, &uri, &headers).await {
        Ok(v) => v,
        Err(e) => return error_response(&path, e),
    };
    if let Some(r) = done {
        return r;
    }
    let s = match state.open_data.snapshot(&state, version).await {
        Ok(s) => s,
        Err(e) => return error_response(&path, e),
    };
    let base = base_url(&origins);
    let body = catalogue_xml(&s, &base, &state.open_data_licence);
    let response = (
        [(header::CONTENT_TYPE, "application/rdf+xml; charset=utf-8")],
        body,
    )
        .into_response();
    with_validators(response, &etag(s.version, &uri))
}

/// The catalogue as RDF/XML, every URL absolute under `base`.
pub fn catalogue_xml(s: &Snapshot, base: &str, licence: &str) -> String {
    let e = xml_escape;
    let base = e(base.trim_end_matches('/'));
    let licence = e(licence);
    let who = s.municipality.as_deref().map(e);
    let publisher_name = match &who {
        Some(name) => format!("<foaf:name xml:lang=\"sv\">{name}</foaf:name>"),
        // The store holds no municipality: the agent is described by the service alone.
        None => "<foaf:name xml:lang=\"sv\">Kommunen (namnet saknas i uppsikt)</foaf:name>".into(),
    };
    let of = who
        .as_deref()
        .map(|n| format!(" från {n}"))
        .unwrap_or_default();
    let modified = s
        .last_decided
        .as_deref()
        .map(|d| {
            format!(
                "<dct:modified rdf:datatype=\"http://www.w3.org/2001/XMLSchema#date\">{}</dct:modified>",
                e(d.get(..10).unwrap_or(d))
            )
        })
        .unwrap_or_default();
    let contact = format!(
        "<dcat:contactPoint><vcard:Organization rdf:about=\"{base}/oppna-data#kontakt\">\
         <vcard:fn xml:lang=\"sv\">{}</vcard:fn>\
         <vcard:hasURL rdf:resource=\"{base}/oppna-data\"/>\
         </vcard:Organization></dcat:contactPoint>",
        who.as_deref().unwrap_or("Kommunen"),
    );
    let theme = "<dcat:theme rdf:resource=\"http://publications.europa.eu/resource/authority/data-theme/GOVE\"/>";
    let mut x = String::new();
    x.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    x.push_str(
        "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" \
         xmlns:rdfs=\"http://www.w3.org/2000/01/rdf-schema#\" \
         xmlns:dcat=\"http://www.w3.org/ns/dcat#\" \
         xmlns:dct=\"http://purl.org/dc/terms/\" \
         xmlns:foaf=\"http://xmlns.com/foaf/0.1/\" \
         xmlns:vcard=\"http://www.w3.org/2006/vcard/ns#\">\n",
    );
    let _ = writeln!(
        x,
        "<dcat:Catalog rdf:about=\"{base}/oppna-data/katalog.rdf\">\
         <dct:title xml:lang=\"sv\">Öppna data om mål och uppföljning{of}</dct:title>\
         <dct:description xml:lang=\"sv\">Beslutade mått, utfall och bedömningar av måluppfyllelse ur kommunens planering och uppföljning (uppsikt).</dct:description>\
         <dct:publisher rdf:resource=\"{base}/#utgivare\"/>\
         <dct:license rdf:resource=\"{licence}\"/>\
         <dct:language rdf:resource=\"http://publications.europa.eu/resource/authority/language/SWE\"/>\
         <foaf:homepage rdf:resource=\"{base}/oppna-data\"/>{modified}"
    );
    for d in Dataset::ALL {
        let _ = writeln!(
            x,
            "<dcat:dataset rdf:resource=\"{base}/oppna-data#{}\"/>",
            d.stem()
        );
    }
    let _ = writeln!(x, "<dcat:service rdf:resource=\"{base}/api/public/v1\"/>");
    x.push_str("</dcat:Catalog>\n");
    let _ = writeln!(
        x,
        "<foaf:Agent rdf:about=\"{base}/#utgivare\">{publisher_name}\
         <dct:type rdf:resource=\"http://purl.org/adms/publishertype/LocalAuthority\"/></foaf:Agent>"
    );
    for d in Dataset::ALL {
        let stem = d.stem();
        let _ = writeln!(
            x,
            "<dcat:Dataset rdf:about=\"{base}/oppna-data#{stem}\">\
             <dct:title xml:lang=\"sv\">{}{of}</dct:title>\
             <dct:description xml:lang=\"sv\">{}</dct:description>\
             <dct:publisher rdf:resource=\"{base}/#utgivare\"/>\
             <dct:license rdf:resource=\"{licence}\"/>\
             {theme}{contact}\
             <dct:accrualPeriodicity rdf:resource=\"http://publications.europa.eu/resource/authority/frequency/IRREG\"/>\
             <dcat:landingPage rdf:resource=\"{base}/oppna-data#{stem}\"/>{modified}",
            e(d.title_sv()),
            e(d.description_sv()),
        );
        for f in [Format::Excel, Format::Rfc4180, Format::Json] {
            let url = format!("{base}{}", e(&f.path(d)));
            let _ = writeln!(
                x,
                "<dcat:distribution><dcat:Distribution rdf:about=\"{url}\">\
                 <dct:title xml:lang=\"sv\">{} – {}</dct:title>\
                 <dcat:accessURL rdf:resource=\"{base}/oppna-data\"/>\
                 <dcat:downloadURL rdf:resource=\"{url}\"/>\
                 <dcat:mediaType rdf:resource=\"{}\"/>\
                 <dct:format rdf:resource=\"{}\"/>\
                 <dct:license rdf:resource=\"{licence}\"/>\
                 </dcat:Distribution></dcat:distribution>",
                e(d.title_sv()),
                e(f.title_sv()),
                f.media_type_uri(),
                f.file_type_uri(),
            );
        }
        x.push_str("</dcat:Dataset>\n");
    }
    let _ = writeln!(
        x,
        "<dcat:DataService rdf:about=\"{base}/api/public/v1\">\
         <dct:title xml:lang=\"sv\">Öppet API för beslutade mål och utfall{of}</dct:title>\
         <dct:description xml:lang=\"sv\">Läs beslutade mål, mått, utfall och bedömningar som JSON, utan inloggning.</dct:description>\
         <dcat:endpointURL rdf:resource=\"{base}/api/public/v1\"/>\
         <dcat:endpointDescription rdf:resource=\"{base}{OPENAPI_PATH}\"/>\
         <dct:conformsTo rdf:resource=\"{base}{OPENAPI_PATH}\"/>\
         <dct:publisher rdf:resource=\"{base}/#utgivare\"/>\
         <dct:license rdf:resource=\"{licence}\"/>\
         {theme}{contact}\
         {}\
         </dcat:DataService>",
        Dataset::ALL
            .iter()
            .map(|d| format!("<dcat:servesDataset rdf:resource=\"{base}/oppna-data#{}\"/>", d.stem()))
            .collect::<String>(),
    );
    x.push_str("</rdf:RDF>\n");
    x
}

// --- the public API ------------------------------------------------------------------------

#[derive(Deserialize)]
struct UnitFilter {
    /// Only what belongs to this unit (nämnd).
    unit: Option<Id>,
}

/// The JSON answer of a public API route: 304 when the client has it, else `build` over
/// the snapshot, with the validators.
async fn public_json(
    state: &AppState,
    uri: &Uri,
    headers: &HeaderMap,
    allowed: &[&str],
    build: impl FnOnce(&Snapshot, &[(String, String)]) -> Result<Value, AppError>,
) -> Response {
    let path = uri.path();
    let query = match check_query(uri, allowed) {
        Ok(q) => q,
        Err(r) => return r,
    };
    let (version, done) = match unchanged(state, uri, headers).await {
        Ok(v) => v,
        Err(e) => return error_response(path, e),
    };
    if let Some(r) = done {
        return r;
    }
    let s = match state.open_data.snapshot(state, version).await {
        Ok(s) => s,
        Err(e) => return error_response(path, e),
    };
    // Answers are the same for everyone, so each is built once per data version.
    let key = uri.path_and_query().map_or(path, |p| p.as_str());
    let body = match state.open_data.answer(&s, key).await {
        Some(body) => body,
        None => match build(&s, &query).map(|v| v.to_string().into_bytes()) {
            Ok(v) => {
                let body = Bytes::from(v);
                state.open_data.keep_answer(&s, key, &body).await;
                body
            }
            Err(e) => return ApiError(e).into_response(),
        },
    };
    let response = ([(header::CONTENT_TYPE, "application/json")], body).into_response();
    with_validators(response, &etag(s.version, uri))
}

fn unit_filter(query: &[(String, String)]) -> Result<Option<Id>, AppError> {
    let raw: Vec<(&str, &str)> = query
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let encoded = serde_urlencoded::to_string(raw).unwrap_or_default();
    serde_urlencoded::from_str::<UnitFilter>(&encoded)
        .map(|f| f.unit)
        .map_err(|_| AppError::Refused(StatusCode::BAD_REQUEST, messages::BAD_QUERY.into()))
}

fn not_found() -> AppError {
    AppError::NotFound
}

fn unit_json(u: &OrgUnit) -> Value {
    json!({ "id": u.id, "key": u.key, "name": u.name, "short_name": u.short_name,
            "kind": u.kind, "parent_id": u.parent_id })
}

fn goal_json(s: &Snapshot, g: &Goal) -> Value {
    json!({ "id": g.id, "key": g.key, "title": g.title, "description": g.description,
            "kind": g.kind, "parent_id": g.parent_id,
            "org_unit": { "id": g.org_id, "name": s.unit_name(g.org_id) } })
}

fn indicator_summary(s: &Snapshot, i: &PublicIndicator) -> Value {
    let ind = &i.record.indicator;
    json!({ "id": ind.id, "key": ind.key, "name": ind.name, "unit_of_measure": ind.unit,
            "direction": ind.direction.code(), "frequency": ind.frequency.code(),
            "goal_id": ind.goal_id, "goal": s.goal_title(Some(ind.goal_id)),
            "org_unit": { "id": i.org_id, "name": s.unit_name(i.org_id) } })
}

fn decision_json(lock: Option<&PeriodLock>) -> Value {
    match lock {
        None => Value::Null,
        Some(l) => json!({ "body": l.body, "decided_on": l.decided_on,
                           "paragraph": l.paragraph, "diary_number": l.diary_number }),
    }
}

fn assessment_json(s: &Snapshot, a: &Assessment) -> Value {
    json!({ "id": a.id, "org_unit": { "id": a.org_id, "name": s.unit_name(a.org_id) },
            "goal_id": a.goal_id, "goal": a.goal_id.map(|_| s.goal_title(a.goal_id)),
            "period": a.period.to_string(), "level": a.level, "motivation": a.motivation,
            "date": a.date, "decision": decision_json(s.decisions.covering(a.org_id, a.period)) })
}

fn meta(s: &Snapshot) -> Value {
    json!({ "data_version": s.version, "publisher": s.municipality })
}

/// `/api/public/v1/units`: every organisational unit. Open to everyone, decided data only
/// (Audience::Public; the organisation itself is public on every page).
pub async fn api_units(State(state): State<AppState>, uri: Uri, headers: HeaderMap) -> Response {
    public_json(&state, &uri, &headers, &[], |s, _| {
        Ok(json!({ "meta": meta(s), "units": s.units.iter().map(unit_json).collect::<Vec<_>>() }))
    })
    .await
}

/// `/api/public/v1/goals[?unit=ID]`: goals holding decided data. Open to everyone,
/// decided data only (Audience::Public).
pub async fn api_goals(State(state): State<AppState>, uri: Uri, headers: HeaderMap) -> Response {
    public_json(&state, &uri, &headers, &["unit"], |s, q| {
        let unit = unit_filter(q)?;
        let goals: Vec<Value> = s
            .goals
            .iter()
            .filter(|g| unit.is_none_or(|u| g.org_id == u))
            .map(|g| goal_json(s, g))
            .collect();
        Ok(json!({ "meta": meta(s), "goals": goals }))
    })
    .await
}

/// `/api/public/v1/goals/{id}`: a goal with its decided assessments, its public
/// indicators and the public goals under it. Open to everyone, decided data only
/// (Audience::Public); a goal the public does not see is 404.
pub async fn api_goal(
    State(state): State<AppState>,
    Path(id): Path<Id>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    public_json(&state, &uri, &headers, &[], |s, _| {
        let g = s.goal(id).ok_or_else(not_found)?;
        let mut out = goal_json(s, g);
        out["assessments"] = s
            .assessments
            .iter()
            .filter(|a| a.goal_id == Some(id))
            .map(|a| assessment_json(s, a))
            .collect();
        out["indicators"] = s
            .indicators
            .iter()
            .filter(|i| i.record.indicator.goal_id == id)
            .map(|i| indicator_summary(s, i))
            .collect();
        let mut children: Vec<&Goal> = s.goals.iter().filter(|c| c.parent_id == Some(id)).collect();
        children.sort_by(|a, b| {
            a.position
                .cmp(&b.position)
                .then_with(|| swedish_cmp(&a.title, &b.title))
        });
        out["children"] = children
            .into_iter()
            .map(|c| json!({ "id": c.id, "title": c.title, "org_unit_id": c.org_id }))
            .collect();
        Ok(json!({ "meta": meta(s), "goal": out }))
    })
    .await
}

/// `/api/public/v1/indicators[?unit=ID]`: indicators holding decided data. Open to
/// everyone, decided data only (Audience::Public).
pub async fn api_indicators(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    public_json(&state, &uri, &headers, &["unit"], |s, q| {
        let unit = unit_filter(q)?;
        let list: Vec<Value> = s
            .indicators
            .iter()
            .filter(|i| unit.is_none_or(|u| i.org_id == u))
            .map(|i| indicator_summary(s, i))
            .collect();
        Ok(json!({ "meta": meta(s), "indicators": list }))
    })
    .await
}

/// `/api/public/v1/indicators/{id}`: an indicator with its decided outcomes (each with the
/// decision covering it), milestones and targets. Open to everyone, decided data only
/// (Audience::Public); an indicator without decided data is 404.
pub async fn api_indicator(
    State(state): State<AppState>,
    Path(id): Path<Id>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    public_json(&state, &uri, &headers, &[], |s, _| {
        let i = s
            .indicators
            .iter()
            .find(|i| i.record.indicator.id == id)
            .ok_or_else(not_found)?;
        let r = &i.record;
        let mut out = indicator_summary(s, i);
        out["source"] = json!(r.indicator.source);
        out["kolada_kpi"] = json!(r.indicator.kolada_kpi);
        out["outcomes"] = r
            .outcomes
            .iter()
            .map(|o| {
                json!({ "period": o.period.to_string(), "breakdown": o.breakdown.code(),
                        "value": o.value, "margin_of_error": o.margin, "sample_size": o.sample_size,
                        "decision": decision_json(s.decisions.covering(i.org_id, o.period)) })
            })
            .collect();
        out["milestones"] = r
            .milestones
            .iter()
            .map(|(y, t)| json!({ "year": y, "target": t.to_string() }))
            .collect();
        out["targets"] = r
            .targets
            .iter()
            .map(|(y, t)| json!({ "year": y, "target": t.to_string() }))
            .collect();
        out["source_attribution"] = json!(r.kolada.then_some(uppsikt_domain::kolada::ATTRIBUTION));
        Ok(json!({ "meta": meta(s), "indicator": out }))
    })
    .await
}

/// `/api/public/v1/assessments[?unit=ID]`: decided assessments of decided periods. Open to
/// everyone, decided data only (Audience::Public).
pub async fn api_assessments(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    public_json(&state, &uri, &headers, &["unit"], |s, q| {
        let unit = unit_filter(q)?;
        let list: Vec<Value> = s
            .assessments
            .iter()
            .filter(|a| unit.is_none_or(|u| a.org_id == u))
            .map(|a| assessment_json(s, a))
            .collect();
        Ok(json!({ "meta": meta(s), "assessments": list }))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const BOM: &[u8] = b"\xef\xbb\xbf";

    fn write_one(format: Format, cells: &[String]) -> Vec<u8> {
        static COLS: [(&str, &str); 3] = [("a", ""), ("b", ""), ("c", "")];
        let mut w = RowWriter::new(format, &COLS, "");
        let row: Vec<Cell> = cells.iter().map(|c| Cell::Text(Cow::Borrowed(c))).collect();
        w.row(&row);
        w.finish()
    }

    fn read_back(bytes: &[u8], delimiter: u8) -> Vec<Vec<String>> {
        let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
        csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(true)
            .from_reader(bytes)
            .records()
            .map(|r| r.unwrap().iter().map(String::from).collect())
            .collect()
    }

    proptest! {
        /// Any text (separators, quotes, line breaks, formula starts, å ä ö) reads back as
        /// written from the RFC variant, and from the Excel variant with only the formula
        /// guard's `'` added.
        #[test]
        fn any_text_round_trips(cells in proptest::collection::vec("(?s).{0,12}|[=+@\\-;,\"\r\n\tåäö]{0,6}", 3)) {
            let rfc = write_one(Format::Rfc4180, &cells);
            prop_assert!(!rfc.starts_with(BOM));
            prop_assert_eq!(read_back(&rfc, b','), vec![cells.clone()]);
            let excel = write_one(Format::Excel, &cells);
            prop_assert!(excel.starts_with(BOM));
            let guarded: Vec<String> = cells.iter().map(|c| excel_text(c).into_owned()).collect();
            prop_assert_eq!(read_back(&excel, b';'), vec![guarded]);
            // Both end every record with CRLF.
            prop_assert!(rfc.ends_with(b"\r\n") && excel.ends_with(b"\r\n"));
        }
    }

    #[test]
    fn numbers_are_numbers_with_the_decimal_mark_of_the_variant() {
        static COLS: [(&str, &str); 3] = [("a", ""), ("b", ""), ("c", "")];
        let mut excel = RowWriter::new(Format::Excel, &COLS, "");
        excel.row(&[Cell::Num(Some(-88.7)), Cell::Int(Some(-3)), Cell::Num(None)]);
        let excel = String::from_utf8(excel.finish()).unwrap();
        assert!(excel.ends_with("a;b;c\r\n-88,7;-3;\r\n"), "{excel:?}");
        let mut rfc = RowWriter::new(Format::Rfc4180, &COLS, "");
        rfc.row(&[
            Cell::Num(Some(1234567.25)),
            Cell::Int(None),
            Cell::Num(Some(f64::NAN)),
        ]);
        assert_eq!(
            String::from_utf8(rfc.finish()).unwrap(),
            "a,b,c\r\n1234567.25,,\r\n"
        );
    }

    #[test]
    fn xml_text_is_escaped_and_control_characters_dropped() {
        assert_eq!(
            xml_escape("<a href=\"x\">&'\u{1}"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    #[test]
    fn if_none_match_matches_the_tag_in_a_list_or_weakly() {
        let mut h = HeaderMap::new();
        h.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_static("\"x\", W/\"v1-ab\""),
        );
        assert!(not_modified(&h, "\"v1-ab\""));
        assert!(!not_modified(&h, "\"v2-ab\""));
    }
}
