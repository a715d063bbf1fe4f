//! The area family of the uppsikt/1 format (`DOMAIN-MODULES.md` C and D): `[[areas]]` with
//! their kind, parent and the police's classifications, the municipality's level scale
//! (`[situation_scale]`), situation reports (`[[situation_reports]]`), forums
//! (`[[forums]]`), agreements (`[[agreements]]`) and statutes with their duties
//! (`[[statutes]]`, `[[statutes.obligations]]`).
//!
//! Rows become domain values here, as `audit` does for audits: what a row can check of
//! itself is checked when parsing (types, codes, dates, lists within the domain's
//! `MAX_ITEMS`, personal identity numbers in every free text: a situation report and its
//! neighbours are aggregate, `docs/personal-data.md`), what spans the files in
//! [`check_merged`], what needs the database in [`check_references`] (names of areas,
//! codes of forums and agreements, keys of units and indicators, SFS numbers: "2023:193"
//! is refused naming 2023:196). The domain's own validation runs again in the store when
//! writing; its refusal names the row being written.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde::Serialize;
use toml::Value;
use uppsikt_domain::area::{
    Area, AreaKind, AreaRefusal, Classification, PoliceClass, MAX_ITEMS, MAX_TEXT_CHARS,
};
use uppsikt_domain::forum::{
    Activity, Agreement, AgreementKind, Council, Documented, FocusArea, Forum, Meeting, Member,
    Party, PartyKind,
};
use uppsikt_domain::messages::{self, area::refusal, Referent};
use uppsikt_domain::model::Id;
use uppsikt_domain::obligation::{
    known_statute, sfs_ok, ComplianceStatus, Evidence, EvidenceKind, Obligation,
    ObligationAssessment, Statute,
};
use uppsikt_domain::situation::{
    AreaLevel, ChecklistItem, LevelScale, Presentation, ReportStatus, SituationKind,
    SituationReport,
};
use uppsikt_store::{Scope, Store, StoreError, Writer};

use crate::data::{DataSet, Key, NAME_MAX, TEXT_MAX};
use crate::load::{At, Ids};
use crate::parse::{list, written, Unique};
use crate::reader::{boolean, date, integer, key_of, long_text, text, year, Row};
use crate::report::{quoted, Errors, ImportReport, Origin};

/// Longest area name (as the format always had it).
const AREA_NAME_MAX: usize = 100;
/// Longest code of a forum, agreement or situation report.
pub const CODE_MAX: usize = 40;

// --- the rows -----------------------------------------------------------------------------

/// `[[areas]]`: an area by name, with what the row gives of its kind, parent, note and
/// classifications. Absent fields keep what the database holds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AreaData {
    pub origin: Origin,
    pub name: String,
    pub kind: Option<AreaKind>,
    /// The parent area's name.
    pub parent: Option<String>,
    /// `None`: not given (the stored note is kept).
    pub note: Option<String>,
    /// The row's classifications; the legacy `police_class` is one without a year.
    pub classifications: Vec<Classification>,
}

/// `[situation_scale]`: the municipality's level scale; an absent field is the domain's
/// default.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LevelScaleData {
    pub origin: Origin,
    pub max_level: u8,
    pub threshold: u8,
    pub present_within_days: u32,
    /// Key of the board the reports must reach (KS).
    pub board: Option<Key>,
    pub definitions: BTreeMap<u8, String>,
}

/// A presentation of a situation report: to a board (org key) or a forum (code).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PresentationData {
    pub origin: Origin,
    pub board: Option<Key>,
    pub forum: Option<String>,
    pub date: String,
    pub reference: String,
}

/// `[[situation_reports]]`. The key names the report within the files loaded together
/// (the store keeps none: a stored report is the one of the same kind and title).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SituationReportData {
    pub origin: Origin,
    pub key: String,
    pub kind: SituationKind,
    pub title: String,
    pub period_start: String,
    pub period_end: String,
    pub producer: String,
    /// Code of the producing forum.
    pub producer_forum: Option<String>,
    pub status: ReportStatus,
    /// (area name, level, where).
    pub levels: Vec<(String, u8, Origin)>,
    pub unnamed_levels: Vec<u8>,
    pub checklist: BTreeSet<ChecklistItem>,
    pub summary: String,
    pub public: bool,
    pub synthetic: bool,
    pub presentations: Vec<PresentationData>,
}

/// `[[forums]]`: a forum by its code (`key`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ForumData {
    pub origin: Origin,
    pub key: String,
    pub name: String,
    pub purpose: String,
    pub chair: String,
    pub members: Vec<Member>,
    pub cadence: String,
    /// Key of the board it reports to.
    pub reports_to: Option<Key>,
    /// Code of the forum it reports to.
    pub reports_to_forum: Option<String>,
    pub reports_what: String,
    pub documented: Documented,
    pub evaluated_on: Option<String>,
    pub evaluation: String,
    /// Area names.
    pub areas: Vec<String>,
    pub council: Option<Council>,
    pub meetings: Vec<Meeting>,
    pub note: String,
}

/// An activity of a focus area's plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActivityData {
    pub origin: Origin,
    pub title: String,
    pub problem: String,
    pub goal_short: String,
    pub goal_long: String,
    pub owner: String,
    pub frequency: String,
    pub follow_up: String,
    /// Key of the indicator that shows its effect.
    pub effect_indicator: Option<Key>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FocusAreaData {
    pub origin: Origin,
    pub name: String,
    pub has_plan: bool,
    pub activities: Vec<ActivityData>,
}

/// `[[agreements]]`: an agreement, programme or plan by its code (`key`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgreementData {
    pub origin: Origin,
    pub key: String,
    pub kind: AgreementKind,
    pub title: String,
    pub parties: Vec<Party>,
    pub valid_from: Option<String>,
    pub valid_to: Option<String>,
    pub purpose: String,
    /// Code of the governing forum.
    pub governing_forum: Option<String>,
    /// Key of the situation report it rests on.
    pub situation_report: Option<String>,
    /// SFS numbers, each checked against the registered statutes when loading.
    pub statutes: Vec<String>,
    pub areas: Vec<String>,
    pub note: String,
    pub focus_areas: Vec<FocusAreaData>,
}

/// Evidence for a duty; `reference` names the situation report (key), agreement or forum
/// (code) for those kinds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvidenceData {
    pub origin: Origin,
    pub kind: EvidenceKind,
    pub reference: Option<String>,
    pub date: Option<String>,
    pub text: String,
}

/// `[[statutes.obligations]]`: one duty, by its code within the statute.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ObligationData {
    pub origin: Origin,
    pub code: String,
    pub section: String,
    pub duty: String,
    pub checklist: Vec<String>,
    pub requirement: Option<String>,
    pub first_due: Option<String>,
    pub every_months: Option<u32>,
    /// Key of the responsible board.
    pub responsible: Option<Key>,
    pub fulfilled_by: Option<EvidenceKind>,
    pub evidence: Vec<EvidenceData>,
    /// With where each is, oldest first as written.
    pub assessments: Vec<(ObligationAssessment, Origin)>,
    pub note: String,
}

/// `[[statutes]]`: a statute by its SFS number.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatuteData {
    pub origin: Origin,
    pub sfs: String,
    pub title: String,
    pub in_force: Option<String>,
    /// Key of the leading body.
    pub leading: Option<Key>,
    pub url: String,
    pub note: String,
    pub obligations: Vec<ObligationData>,
}

// --- converters ---------------------------------------------------------------------------

/// A code: letters (any), digits, `-`, `_` and `.`, at most [`CODE_MAX`] characters.
pub(crate) fn code(v: &Value) -> Result<String, String> {
    let s = text(NAME_MAX)(v)?;
    let ok = !s.is_empty()
        && s.chars().count() <= CODE_MAX
        && s.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(s)
    } else {
        Err(messages::invalid_code(&quoted(&s), CODE_MAX))
    }
}

fn area_name(v: &Value) -> Result<String, String> {
    text(AREA_NAME_MAX)(v)
}

/// The domain's coded enums (`code`, `parse`, `ALL`), so that one converter reads them.
pub(crate) trait Coded: Copy + 'static {
    const ALL: &'static [Self];
    fn parse_code(text: &str) -> Option<Self>;
    fn code_of(self) -> &'static str;
}

macro_rules! coded {
    ($($t:ty),+) => {
        $(impl Coded for $t {
            const ALL: &'static [Self] = <$t>::ALL;
            fn parse_code(text: &str) -> Option<Self> {
                <$t>::parse(text)
            }
            fn code_of(self) -> &'static str {
                self.code()
            }
        })+
    };
}

coded!(
    AreaKind,
    PoliceClass,
    SituationKind,
    ReportStatus,
    ChecklistItem,
    Documented,
    AgreementKind,
    PartyKind,
    EvidenceKind,
    ComplianceStatus,
    uppsikt_domain::economy::CostGroup,
    uppsikt_domain::economy::LineKind,
    uppsikt_domain::economy::TreeKind,
    uppsikt_domain::economy::TotalsPolicy,
    uppsikt_domain::economy::MoneyUnit,
    uppsikt_domain::grant::Direction,
    uppsikt_domain::grant::GrantKind,
    uppsikt_domain::grant::UseStatus
);

fn codes<T: Coded>() -> Vec<&'static str> {
    T::ALL.iter().map(|x| x.code_of()).collect()
}

/// One of a coded enum's codes; the message lists them.
pub(crate) fn coded<T: Coded>(v: &Value) -> Result<T, String> {
    let s = text(NAME_MAX)(v)?;
    T::parse_code(&s).ok_or_else(|| messages::choice_of(&quoted(&s), &codes::<T>()))
}

fn sfs(v: &Value) -> Result<String, String> {
    let s = text(NAME_MAX)(v)?;
    if sfs_ok(&s) {
        Ok(s)
    } else {
        Err(refusal(&AreaRefusal::BadSfs(quoted(&s).into_owned())))
    }
}

/// A requirement as written: text, or a bare integer.
fn requirement(v: &Value) -> Result<String, String> {
    match v {
        Value::Integer(i) if *i >= 0 => Ok(i.to_string()),
        other => text(40)(other),
    }
}

// --- row helpers --------------------------------------------------------------------------

/// A required one-line text, checked for personal numbers.
fn required(r: &Row<'_>, errors: &mut Errors, field: &'static str) -> Option<String> {
    let t = r.req(errors, field, &text(NAME_MAX))?;
    personal_number(r, errors, field, &t);
    Some(t)
}

fn short(r: &Row<'_>, errors: &mut Errors, field: &'static str) -> String {
    let t = r.opt(errors, field, &text(NAME_MAX)).unwrap_or_default();
    personal_number(r, errors, field, &t);
    t
}

fn long(r: &Row<'_>, errors: &mut Errors, field: &'static str) -> String {
    let t = r
        .opt(errors, field, &long_text(TEXT_MAX))
        .unwrap_or_default();
    personal_number(r, errors, field, &t);
    t
}

/// Refuses free text holding what looks like a personal identity number (GDPR art. 10:
/// the area family is aggregate), at the field's place; the number is masked.
fn personal_number(r: &Row<'_>, errors: &mut Errors, field: &'static str, t: &str) {
    if let Some(masked) = uppsikt_domain::personal_number::find(t) {
        errors.at(
            &r.at(field),
            refusal(&AreaRefusal::PersonalNumber(field, masked)),
        );
    }
}

/// Array-of-tables rows, at most [`MAX_ITEMS`] (more is refused at the field).
fn rows<'a>(r: &Row<'a>, errors: &mut Errors, field: &'static str) -> Vec<Row<'a>> {
    let rows = r.rows(errors, field);
    if rows.len() > MAX_ITEMS {
        errors.at(&r.at(field), refusal(&AreaRefusal::TooMany(field)));
        return Vec::new();
    }
    rows
}

/// A list of texts, at most [`MAX_ITEMS`], each checked for personal numbers.
fn texts(r: &Row<'_>, errors: &mut Errors, field: &'static str, max: usize) -> Vec<String> {
    let items = r.text_list(errors, field, max);
    if items.len() > MAX_ITEMS {
        errors.at(&r.at(field), refusal(&AreaRefusal::TooMany(field)));
        return Vec::new();
    }
    for t in &items {
        personal_number(r, errors, field, t);
    }
    items
}

fn names(r: &Row<'_>, errors: &mut Errors, field: &'static str) -> Vec<String> {
    let items = list(r, errors, field, &area_name, String::clone).unwrap_or_default();
    if items.len() > MAX_ITEMS {
        errors.at(&r.at(field), refusal(&AreaRefusal::TooMany(field)));
        return Vec::new();
    }
    items
}

// --- parsing ------------------------------------------------------------------------------

pub(crate) fn area(r: &Row<'_>, errors: &mut Errors) -> Option<AreaData> {
    r.only(
        errors,
        &[
            "name",
            "kind",
            "parent",
            "note",
            "police_class",
            "classifications",
        ],
    );
    let name = r.req(errors, "name", &area_name);
    let kind = r.opt(errors, "kind", &coded::<AreaKind>);
    let parent = r.opt(errors, "parent", &area_name);
    if parent.is_some() && parent == name {
        errors.at(&r.at("parent"), refusal(&AreaRefusal::ParentCycle));
    }
    let note = written(r, "note").then(|| long(r, errors, "note"));
    let legacy = r.opt(errors, "police_class", &coded::<PoliceClass>);
    let mut classifications: Vec<Classification> = legacy
        .map(|class| Classification {
            year: None,
            class,
            source: String::new(),
            as_of: None,
        })
        .into_iter()
        .collect();
    let mut years = Unique::default();
    if legacy.is_some() {
        years.first(None, &r.at("police_class"), errors, |_| String::new());
    }
    for c in rows(r, errors, "classifications") {
        c.only(errors, &["year", "class", "source", "as_of"]);
        let y = c.opt(errors, "year", &year);
        let class = c.req(errors, "class", &coded::<PoliceClass>);
        let source = short(&c, errors, "source");
        let as_of = c.opt(errors, "as_of", &date);
        let Some(class) = class else { continue };
        let shown = y.map_or_else(|| "utan år".to_string(), |y| y.to_string());
        if years.first(y, &c.origin.field("year"), errors, |f| {
            messages::duplicate_in_list(&format!("{shown} ({f})"))
        }) {
            classifications.push(Classification {
                year: y,
                class,
                source,
                as_of,
            });
        }
    }
    classifications.sort_by_key(|c| c.year);
    Some(AreaData {
        origin: r.origin.clone(),
        name: name?,
        kind,
        parent,
        note,
        classifications,
    })
}

pub(crate) fn level_scale(r: &Row<'_>, errors: &mut Errors) -> Option<LevelScaleData> {
    r.only(
        errors,
        &[
            "max_level",
            "threshold",
            "present_within_days",
            "board",
            "definitions",
        ],
    );
    let d = LevelScale::default();
    let max_level = r
        .opt(errors, "max_level", &integer(2, 10))
        .map_or(d.max_level, |n| n as u8);
    let threshold = r
        .opt(errors, "threshold", &integer(1, 10))
        .map_or(d.threshold, |n| n as u8);
    if threshold > max_level {
        errors.at(&r.at("threshold"), refusal(&AreaRefusal::BadScale));
    }
    let present_within_days = r
        .opt(errors, "present_within_days", &integer(0, 3660))
        .map_or(d.present_within_days, |n| n as u32);
    let board = r.opt(errors, "board", &key_of);
    let mut definitions = BTreeMap::new();
    if let Some(defs) = r.sub_table(errors, "definitions") {
        for (k, v) in defs.table {
            let at = defs.at(&quoted(k));
            let level = k
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|l| (1..=max_level).contains(l));
            let Some(level) = level else {
                errors.at(&at, refusal(&AreaRefusal::BadScale));
                continue;
            };
            match long_text(MAX_TEXT_CHARS)(v) {
                Ok(t) if t.is_empty() => {}
                Ok(t) => {
                    if let Some(masked) = uppsikt_domain::personal_number::find(&t) {
                        errors.at(
                            &at,
                            refusal(&AreaRefusal::PersonalNumber("definition", masked)),
                        );
                    }
                    definitions.insert(level, t);
                }
                Err(m) => errors.at(&at, m),
            }
        }
    }
    Some(LevelScaleData {
        origin: r.origin.clone(),
        max_level,
        threshold,
        present_within_days,
        board,
        definitions,
    })
}

const SITUATION_FIELDS: &[&str] = &[
    "key",
    "kind",
    "title",
    "period_start",
    "period_end",
    "producer",
    "producer_forum",
    "status",
    "levels",
    "unnamed_levels",
    "checklist",
    "summary",
    "public",
    "synthetic",
    "presentations",
];

pub(crate) fn situation_report(r: &Row<'_>, errors: &mut Errors) -> Option<SituationReportData> {
    r.only(errors, SITUATION_FIELDS);
    let key = r.req(errors, "key", &code);
    let kind = r.req(errors, "kind", &coded::<SituationKind>);
    let title = required(r, errors, "title");
    let period_start = r.req(errors, "period_start", &date);
    let period_end = r.req(errors, "period_end", &date);
    if let (Some(s), Some(e)) = (&period_start, &period_end) {
        if e < s {
            errors.at(&r.at("period_end"), refusal(&AreaRefusal::EndBeforeStart));
        }
    }
    let producer = short(r, errors, "producer");
    let producer_forum = r.opt(errors, "producer_forum", &code);
    let status = r
        .opt(errors, "status", &coded::<ReportStatus>)
        .unwrap_or(ReportStatus::Final);
    let mut levels = Vec::new();
    if let Some(table) = r.sub_table(errors, "levels") {
        if table.table.len() > MAX_ITEMS {
            errors.at(&r.at("levels"), refusal(&AreaRefusal::TooMany("levels")));
        } else {
            let mut seen: HashSet<String> = HashSet::new();
            for (name, v) in table.table {
                let at = table.at(&quoted(name));
                let name = name.trim().to_string();
                if name.is_empty() || name.chars().count() > AREA_NAME_MAX {
                    errors.at(&at, messages::too_long(AREA_NAME_MAX));
                    continue;
                }
                if !seen.insert(name.to_lowercase()) {
                    errors.at(&at, refusal(&AreaRefusal::DuplicateLevel(name)));
                    continue;
                }
                match integer(1, 10)(v) {
                    Ok(l) => levels.push((name, l as u8, at)),
                    Err(m) => errors.at(&at, m),
                }
            }
        }
    }
    let unnamed_levels: Vec<u8> = match r.table.get("unnamed_levels") {
        None => Vec::new(),
        Some(Value::Array(items)) if items.len() <= MAX_ITEMS => items
            .iter()
            .enumerate()
            .filter_map(|(i, v)| {
                integer(1, 10)(v)
                    .map_err(|m| errors.at(&r.at(&format!("unnamed_levels[{i}]")), m))
                    .ok()
                    .map(|l| l as u8)
            })
            .collect(),
        Some(Value::Array(_)) => {
            errors.at(
                &r.at("unnamed_levels"),
                refusal(&AreaRefusal::TooMany("levels")),
            );
            Vec::new()
        }
        Some(_) => {
            errors.at(
                &r.at("unnamed_levels"),
                messages::wrong_type(messages::Expected::List),
            );
            Vec::new()
        }
    };
    let checklist: BTreeSet<ChecklistItem> =
        list(r, errors, "checklist", &coded::<ChecklistItem>, |c| {
            c.code().to_string()
        })
        .unwrap_or_default()
        .into_iter()
        .collect();
    let summary = long(r, errors, "summary");
    let public = r.opt(errors, "public", &boolean).unwrap_or(false);
    let synthetic = r.opt(errors, "synthetic", &boolean).unwrap_or(false);
    let presentations = rows(r, errors, "presentations")
        .iter()
        .filter_map(|p| presentation(p, errors))
        .collect();
    Some(SituationReportData {
        origin: r.origin.clone(),
        key: key?,
        kind: kind?,
        title: title?,
        period_start: period_start?,
        period_end: period_end?,
        producer,
        producer_forum,
        status,
        levels,
        unnamed_levels,
        checklist,
        summary,
        public,
        synthetic,
        presentations,
    })
}

fn presentation(r: &Row<'_>, errors: &mut Errors) -> Option<PresentationData> {
    r.only(errors, &["board", "forum", "date", "reference"]);
    let board = r.opt(errors, "board", &key_of);
    let forum = r.opt(errors, "forum", &code);
    if written(r, "board") == written(r, "forum") {
        errors.at(&r.origin, refusal(&AreaRefusal::PresentationTarget));
    }
    let d = r.req(errors, "date", &date);
    let reference = short(r, errors, "reference");
    Some(PresentationData {
        origin: r.origin.clone(),
        board,
        forum,
        date: d?,
        reference,
    })
}

pub(crate) fn forum(r: &Row<'_>, errors: &mut Errors) -> Option<ForumData> {
    r.only(
        errors,
        &[
            "key",
            "name",
            "purpose",
            "chair",
            "members",
            "cadence",
            "reports_to",
            "reports_to_forum",
            "reports_what",
            "documented",
            "evaluated_on",
            "evaluation",
            "areas",
            "council",
            "meetings",
            "note",
        ],
    );
    let key = r.req(errors, "key", &code);
    let name = required(r, errors, "name");
    let purpose = long(r, errors, "purpose");
    let chair = short(r, errors, "chair");
    let members = rows(r, errors, "members")
        .iter()
        .filter_map(|m| {
            m.only(errors, &["organisation", "role"]);
            let organisation = required(m, errors, "organisation");
            let role = short(m, errors, "role");
            Some(Member {
                organisation: organisation?,
                role,
            })
        })
        .collect();
    let cadence = short(r, errors, "cadence");
    let reports_to = r.opt(errors, "reports_to", &key_of);
    let reports_to_forum = r.opt(errors, "reports_to_forum", &code);
    if reports_to.is_some() && reports_to_forum.is_some() {
        errors.at(
            &r.at("reports_to_forum"),
            messages::FORUM_REPORTS_TO_ONE.into(),
        );
    }
    if reports_to_forum.is_some() && reports_to_forum == key {
        errors.at(
            &r.at("reports_to_forum"),
            refusal(&AreaRefusal::ParentCycle),
        );
    }
    let reports_what = long(r, errors, "reports_what");
    let documented = r.req(errors, "documented", &coded::<Documented>);
    let evaluated_on = r.opt(errors, "evaluated_on", &date);
    let evaluation = long(r, errors, "evaluation");
    let areas = names(r, errors, "areas");
    let council = r.sub_table(errors, "council").map(|c| {
        c.only(
            errors,
            &[
                "decision",
                "led_by_municipality",
                "partners_in_leading_positions",
                "strategic_remit",
            ],
        );
        let flag = |f: &str, errors: &mut Errors| c.opt(errors, f, &boolean).unwrap_or(false);
        Council {
            decision: short(&c, errors, "decision"),
            led_by_municipality: flag("led_by_municipality", errors),
            partners_in_leading_positions: flag("partners_in_leading_positions", errors),
            strategic_remit: flag("strategic_remit", errors),
        }
    });
    let meetings = rows(r, errors, "meetings")
        .iter()
        .filter_map(|m| {
            m.only(errors, &["date", "reference", "note"]);
            let d = m.req(errors, "date", &date);
            let reference = short(m, errors, "reference");
            let note = long(m, errors, "note");
            Some(Meeting {
                date: d?,
                reference,
                note,
            })
        })
        .collect();
    let note = long(r, errors, "note");
    Some(ForumData {
        origin: r.origin.clone(),
        key: key?,
        name: name?,
        purpose,
        chair,
        members,
        cadence,
        reports_to,
        reports_to_forum,
        reports_what,
        documented: documented?,
        evaluated_on,
        evaluation,
        areas,
        council,
        meetings,
        note,
    })
}

pub(crate) fn agreement(r: &Row<'_>, errors: &mut Errors) -> Option<AgreementData> {
    r.only(
        errors,
        &[
            "key",
            "kind",
            "title",
            "parties",
            "valid_from",
            "valid_to",
            "purpose",
            "governing_forum",
            "situation_report",
            "statutes",
            "areas",
            "note",
            "focus_areas",
        ],
    );
    let key = r.req(errors, "key", &code);
    let kind = r.req(errors, "kind", &coded::<AgreementKind>);
    let title = required(r, errors, "title");
    let parties = rows(r, errors, "parties")
        .iter()
        .filter_map(|p| {
            p.only(errors, &["name", "kind"]);
            let name = required(p, errors, "name");
            let kind = p
                .opt(errors, "kind", &coded::<PartyKind>)
                .unwrap_or(PartyKind::Other);
            Some(Party { name: name?, kind })
        })
        .collect();
    let valid_from = r.opt(errors, "valid_from", &date);
    let valid_to = r.opt(errors, "valid_to", &date);
    if let (Some(f), Some(t)) = (&valid_from, &valid_to) {
        if t < f {
            errors.at(&r.at("valid_to"), refusal(&AreaRefusal::EndBeforeStart));
        }
    }
    let purpose = long(r, errors, "purpose");
    let governing_forum = r.opt(errors, "governing_forum", &code);
    let situation_report = r.opt(errors, "situation_report", &code);
    let statutes = list(r, errors, "statutes", &sfs, String::clone).unwrap_or_default();
    let areas = names(r, errors, "areas");
    let note = long(r, errors, "note");
    let mut seen = Unique::default();
    let mut focus_areas = Vec::new();
    for f in rows(r, errors, "focus_areas") {
        f.only(errors, &["name", "has_plan", "activities"]);
        let name = required(&f, errors, "name");
        let has_plan = f.opt(errors, "has_plan", &boolean).unwrap_or(false);
        let activities = rows(&f, errors, "activities")
            .iter()
            .filter_map(|a| activity(a, errors))
            .collect();
        let Some(name) = name else { continue };
        if seen.first(name.to_lowercase(), &f.origin.field("name"), errors, |_| {
            refusal(&AreaRefusal::Duplicate(name.clone()))
        }) {
            focus_areas.push(FocusAreaData {
                origin: f.origin.clone(),
                name,
                has_plan,
                activities,
            });
        }
    }
    Some(AgreementData {
        origin: r.origin.clone(),
        key: key?,
        kind: kind?,
        title: title?,
        parties,
        valid_from,
        valid_to,
        purpose,
        governing_forum,
        situation_report,
        statutes,
        areas,
        note,
        focus_areas,
    })
}

fn activity(r: &Row<'_>, errors: &mut Errors) -> Option<ActivityData> {
    r.only(
        errors,
        &[
            "title",
            "problem",
            "goal_short",
            "goal_long",
            "owner",
            "frequency",
            "follow_up",
            "effect_indicator",
        ],
    );
    let title = required(r, errors, "title");
    Some(ActivityData {
        origin: r.origin.clone(),
        problem: long(r, errors, "problem"),
        goal_short: long(r, errors, "goal_short"),
        goal_long: long(r, errors, "goal_long"),
        owner: short(r, errors, "owner"),
        frequency: short(r, errors, "frequency"),
        follow_up: long(r, errors, "follow_up"),
        effect_indicator: r.opt(errors, "effect_indicator", &key_of),
        title: title?,
    })
}

pub(crate) fn statute(r: &Row<'_>, errors: &mut Errors) -> Option<StatuteData> {
    r.only(
        errors,
        &[
            "sfs",
            "title",
            "in_force",
            "leading",
            "url",
            "note",
            "obligations",
        ],
    );
    let sfs = r.req(errors, "sfs", &sfs);
    let title = required(r, errors, "title");
    let in_force = r.opt(errors, "in_force", &date);
    let leading = r.opt(errors, "leading", &key_of);
    let url = r.opt(errors, "url", &text(NAME_MAX)).unwrap_or_default();
    let note = long(r, errors, "note");
    let mut codes = Unique::default();
    let mut obligations = Vec::new();
    for o in rows(r, errors, "obligations") {
        let Some(o) = obligation(&o, errors) else {
            continue;
        };
        if codes.first(
            o.code.to_lowercase(),
            &o.origin.field("code"),
            errors,
            |f| messages::duplicate_obligation(&o.code, f),
        ) {
            obligations.push(o);
        }
    }
    Some(StatuteData {
        origin: r.origin.clone(),
        sfs: sfs?,
        title: title?,
        in_force,
        leading,
        url,
        note,
        obligations,
    })
}

fn obligation(r: &Row<'_>, errors: &mut Errors) -> Option<ObligationData> {
    r.only(
        errors,
        &[
            "code",
            "section",
            "duty",
            "checklist",
            "requirement",
            "first_due",
            "every_months",
            "responsible",
            "fulfilled_by",
            "evidence",
            "assessments",
            "note",
        ],
    );
    let code_ = r.req(errors, "code", &code);
    let section = short(r, errors, "section");
    let duty = r.req(errors, "duty", &long_text(TEXT_MAX));
    if let Some(d) = &duty {
        personal_number(r, errors, "duty", d);
    }
    let checklist = texts(r, errors, "checklist", TEXT_MAX);
    let requirement = r.opt(errors, "requirement", &requirement);
    let first_due = r.opt(errors, "first_due", &date);
    let every_months = r
        .opt(errors, "every_months", &integer(1, 120))
        .map(|n| n as u32);
    let responsible = r.opt(errors, "responsible", &key_of);
    let evidence_kind = coded::<EvidenceKind>;
    let fulfilled_by = r.opt(errors, "fulfilled_by", &evidence_kind);
    let evidence = rows(r, errors, "evidence")
        .iter()
        .filter_map(|e| {
            e.only(errors, &["kind", "ref", "date", "text"]);
            let kind = e.req(errors, "kind", &evidence_kind);
            let reference = e.opt(errors, "ref", &code);
            let d = e.opt(errors, "date", &date);
            let t = long(e, errors, "text");
            Some(EvidenceData {
                origin: e.origin.clone(),
                kind: kind?,
                reference,
                date: d,
                text: t,
            })
        })
        .collect();
    let assessments = rows(r, errors, "assessments")
        .iter()
        .filter_map(|a| {
            a.only(
                errors,
                &[
                    "status",
                    "assessed_by",
                    "by_auditors",
                    "assessed_on",
                    "text",
                ],
            );
            let status = a.req(errors, "status", &coded::<ComplianceStatus>);
            let assessed_by = required(a, errors, "assessed_by");
            let by_auditors = a.opt(errors, "by_auditors", &boolean).unwrap_or(false);
            let assessed_on = a.req(errors, "assessed_on", &date);
            let t = long(a, errors, "text");
            Some((
                ObligationAssessment {
                    status: status?,
                    assessed_by: assessed_by?,
                    by_auditors,
                    assessed_on: assessed_on?,
                    text: t,
                },
                a.origin.clone(),
            ))
        })
        .collect();
    let note = long(r, errors, "note");
    Some(ObligationData {
        origin: r.origin.clone(),
        code: code_?,
        section,
        duty: duty?,
        checklist,
        requirement,
        first_due,
        every_months,
        responsible,
        fulfilled_by,
        evidence,
        assessments,
        note,
    })
}

// --- across the files ---------------------------------------------------------------------

/// Across the files: one scale; forum, agreement and situation-report codes and SFS
/// numbers unique; no forum reports to itself through others.
pub(crate) fn check_merged(data: &DataSet, errors: &mut Errors) {
    let mut scales = Unique::default();
    for s in &data.level_scales {
        scales.first((), &s.origin, errors, messages::duplicate_level_scale);
    }
    let unique = |rows: Vec<(String, &Origin)>, kind: Referent, errors: &mut Errors| {
        let mut seen = Unique::default();
        for (k, origin) in rows {
            let at = origin.field("key");
            seen.first(k.to_lowercase(), &at, errors, |f| {
                messages::duplicate_key(kind, &k, f)
            });
        }
    };
    unique(
        data.forums
            .iter()
            .map(|f| (f.key.clone(), &f.origin))
            .collect(),
        Referent::Forum,
        errors,
    );
    unique(
        data.agreements
            .iter()
            .map(|a| (a.key.clone(), &a.origin))
            .collect(),
        Referent::Agreement,
        errors,
    );
    unique(
        data.situation_reports
            .iter()
            .map(|r| (r.key.clone(), &r.origin))
            .collect(),
        Referent::SituationReport,
        errors,
    );
    let mut sfs = Unique::default();
    for s in &data.statutes {
        sfs.first(s.sfs.clone(), &s.origin.field("sfs"), errors, |f| {
            messages::duplicate_key(Referent::Statute, &s.sfs, f)
        });
    }
    // Reporting lines among the files' forums must not loop.
    let to: HashMap<String, String> = data
        .forums
        .iter()
        .filter_map(|f| {
            Some((
                f.key.to_lowercase(),
                f.reports_to_forum.as_ref()?.to_lowercase(),
            ))
        })
        .collect();
    for f in &data.forums {
        let me = f.key.to_lowercase();
        // A forum reporting to itself is reported with its row.
        if to.get(&me) != Some(&me) && loops_back(&to, &me) {
            errors.at(
                &f.origin.field("reports_to_forum"),
                refusal(&AreaRefusal::ParentCycle),
            );
        }
    }
}

/// Whether following `parent` (child → parent, lower-case names or codes) from `me`
/// comes back to `me`.
fn loops_back(parent: &HashMap<String, String>, me: &str) -> bool {
    let mut at = parent.get(me);
    for _ in 0..=parent.len() {
        match at {
            Some(p) if p == me => return true,
            Some(p) => at = parent.get(p),
            None => return false,
        }
    }
    false
}

// --- what the database holds --------------------------------------------------------------

/// The area family as stored, read before writing.
#[derive(Debug, Clone, Default)]
pub(crate) struct StoredSafety {
    pub areas: Vec<Area>,
    pub scale: LevelScale,
    pub reports: Vec<SituationReport>,
    pub forums: Vec<Forum>,
    pub agreements: Vec<Agreement>,
    pub statutes: Vec<Statute>,
    /// Every statute's duties.
    pub obligations: Vec<Obligation>,
    /// The indicators' ids by key, read only when an activity names an indicator.
    pub indicators: HashMap<String, Id>,
}

impl StoredSafety {
    /// What the files need of the stored area family: the areas and the scale always
    /// (small), the rest only when the files hold any of the family (a goal file does not
    /// read 20,000 weekly reports), the situation reports only when the files hold some,
    /// and the indicators' keys only when an activity names one.
    pub async fn read(store: &Store, data: &DataSet) -> Result<StoredSafety, StoreError> {
        let mut out = StoredSafety {
            areas: store.areas().await?,
            scale: store.level_scale().await?,
            ..StoredSafety::default()
        };
        let family = !data.situation_reports.is_empty()
            || !data.forums.is_empty()
            || !data.agreements.is_empty()
            || !data.statutes.is_empty();
        if !family {
            return Ok(out);
        }
        if !data.situation_reports.is_empty() {
            out.reports = store.situation_reports(None, None).await?;
        }
        out.forums = store.forums().await?;
        out.agreements = store.agreements().await?;
        out.statutes = store.statutes().await?;
        for s in &out.statutes {
            out.obligations.extend(store.obligations(s.id).await?);
        }
        let named = data
            .agreements
            .iter()
            .flat_map(|a| &a.focus_areas)
            .flat_map(|f| &f.activities)
            .any(|a| a.effect_indicator.is_some());
        if named {
            out.indicators = store
                .indicator_records(Scope::All)
                .await?
                .into_iter()
                .map(|r| (r.indicator.key, r.indicator.id))
                .collect();
        }
        Ok(out)
    }

    fn area(&self, name: &str) -> Option<&Area> {
        let wanted = name.trim().to_lowercase();
        self.areas
            .iter()
            .find(|a| a.name.trim().to_lowercase() == wanted)
    }

    fn forum(&self, code: &str) -> Option<&Forum> {
        self.forums.iter().find(|f| same_code(&f.code, code))
    }

    fn agreement(&self, code: &str) -> Option<&Agreement> {
        self.agreements.iter().find(|a| same_code(&a.code, code))
    }

    fn report(&self, r: &SituationReportData) -> Option<&SituationReport> {
        self.reports
            .iter()
            .find(|s| s.kind == r.kind && s.title.trim() == r.title.trim())
    }
}

fn same_code(a: &str, b: &str) -> bool {
    a.trim().to_lowercase() == b.trim().to_lowercase()
}

/// Every reference of the area family that neither the files nor the database can
/// satisfy, at its place: area names, forum and agreement codes, situation-report keys,
/// units, indicators (`indicators`: the database's indicator keys) and SFS numbers (a
/// statute that is not registered is refused naming the one it is one character from).
pub(crate) fn check_references(
    data: &DataSet,
    stored: &StoredSafety,
    units: &dyn Fn(&Key) -> bool,
) -> Errors {
    let mut errors = Errors::default();
    let file_areas: HashSet<String> = data.areas.iter().map(|a| a.name.to_lowercase()).collect();
    let area_ok = |n: &str| file_areas.contains(&n.to_lowercase()) || stored.area(n).is_some();
    let file_forums: HashSet<String> = data.forums.iter().map(|f| f.key.to_lowercase()).collect();
    let forum_ok = |c: &str| file_forums.contains(&c.to_lowercase()) || stored.forum(c).is_some();
    let file_agreements: HashSet<String> = data
        .agreements
        .iter()
        .map(|a| a.key.to_lowercase())
        .collect();
    let agreement_ok =
        |c: &str| file_agreements.contains(&c.to_lowercase()) || stored.agreement(c).is_some();
    let reports: HashSet<String> = data
        .situation_reports
        .iter()
        .map(|r| r.key.to_lowercase())
        .collect();
    let file_indicators: HashSet<&str> = data.indicators.iter().map(|i| i.key.as_str()).collect();
    let mut known_sfs: Vec<String> = stored.statutes.iter().map(|s| s.sfs.clone()).collect();
    known_sfs.extend(data.statutes.iter().map(|s| s.sfs.clone()));

    let area = |n: &str, at: Origin, errors: &mut Errors| {
        if !area_ok(n) {
            errors.at(&at, messages::unknown_area(n));
        }
    };
    let unit = |k: &Key, at: Origin, errors: &mut Errors| {
        if !units(k) {
            errors.at(
                &at,
                messages::unknown_reference(Referent::OrgUnit, k.as_str()),
            );
        }
    };
    let forum = |c: &str, at: Origin, errors: &mut Errors| {
        if !forum_ok(c) {
            errors.at(&at, messages::unknown_reference(Referent::Forum, c));
        }
    };
    for a in &data.areas {
        if let Some(p) = &a.parent {
            area(p, a.origin.field("parent"), &mut errors);
        }
    }
    check_area_cycles(data, stored, &mut errors);
    if let Some(s) = data.level_scales.first() {
        if let Some(b) = &s.board {
            unit(b, s.origin.field("board"), &mut errors);
        }
    }
    let max_level = data
        .level_scales
        .first()
        .map_or(stored.scale.max_level, |s| s.max_level);
    for r in &data.situation_reports {
        if let Some(f) = &r.producer_forum {
            forum(f, r.origin.field("producer_forum"), &mut errors);
        }
        for (name, level, at) in &r.levels {
            area(name, at.clone(), &mut errors);
            if *level > max_level {
                errors.at(
                    at,
                    refusal(&AreaRefusal::LevelOutOfScale(i64::from(*level), max_level)),
                );
            }
        }
        for (i, level) in r.unnamed_levels.iter().enumerate() {
            if *level > max_level {
                errors.at(
                    &r.origin.field(&format!("unnamed_levels[{i}]")),
                    refusal(&AreaRefusal::LevelOutOfScale(i64::from(*level), max_level)),
                );
            }
        }
        for p in &r.presentations {
            if let Some(b) = &p.board {
                unit(b, p.origin.field("board"), &mut errors);
            }
            if let Some(f) = &p.forum {
                forum(f, p.origin.field("forum"), &mut errors);
            }
        }
    }
    for f in &data.forums {
        if let Some(b) = &f.reports_to {
            unit(b, f.origin.field("reports_to"), &mut errors);
        }
        if let Some(t) = &f.reports_to_forum {
            forum(t, f.origin.field("reports_to_forum"), &mut errors);
        }
        for (i, n) in f.areas.iter().enumerate() {
            area(n, f.origin.field(&format!("areas[{i}]")), &mut errors);
        }
    }
    for a in &data.agreements {
        if let Some(f) = &a.governing_forum {
            forum(f, a.origin.field("governing_forum"), &mut errors);
        }
        if let Some(k) = &a.situation_report {
            if !reports.contains(&k.to_lowercase()) {
                errors.at(
                    &a.origin.field("situation_report"),
                    messages::unknown_reference(Referent::SituationReport, k),
                );
            }
        }
        for (i, s) in a.statutes.iter().enumerate() {
            if let Err(e) = known_statute(s, &known_sfs) {
                errors.at(&a.origin.field(&format!("statutes[{i}]")), refusal(&e));
            }
        }
        for (i, n) in a.areas.iter().enumerate() {
            area(n, a.origin.field(&format!("areas[{i}]")), &mut errors);
        }
        for act in a.focus_areas.iter().flat_map(|f| &f.activities) {
            if let Some(k) = &act.effect_indicator {
                if !file_indicators.contains(k.as_str())
                    && !stored.indicators.contains_key(k.as_str())
                {
                    errors.at(
                        &act.origin.field("effect_indicator"),
                        messages::unknown_reference(Referent::Indicator, k.as_str()),
                    );
                }
            }
        }
    }
    for s in &data.statutes {
        if let Some(l) = &s.leading {
            unit(l, s.origin.field("leading"), &mut errors);
        }
        for o in &s.obligations {
            if let Some(r) = &o.responsible {
                unit(r, o.origin.field("responsible"), &mut errors);
            }
            for e in &o.evidence {
                let Some(k) = &e.reference else { continue };
                let at = e.origin.field("ref");
                match e.kind {
                    EvidenceKind::SituationReport if !reports.contains(&k.to_lowercase()) => errors
                        .at(
                            &at,
                            messages::unknown_reference(Referent::SituationReport, k),
                        ),
                    EvidenceKind::Agreement if !agreement_ok(k) => {
                        errors.at(&at, messages::unknown_reference(Referent::Agreement, k))
                    }
                    EvidenceKind::Forum => forum(k, at, &mut errors),
                    EvidenceKind::SituationReport
                    | EvidenceKind::Agreement
                    | EvidenceKind::Decision
                    | EvidenceKind::Function
                    | EvidenceKind::Document => {}
                }
            }
        }
    }
    errors
}

/// An area of the files whose parents lead back to it (through the files' and the
/// database's areas).
fn check_area_cycles(data: &DataSet, stored: &StoredSafety, errors: &mut Errors) {
    let mut parent: HashMap<String, String> = HashMap::new();
    let name_of: HashMap<Id, String> = stored
        .areas
        .iter()
        .map(|a| (a.id, a.name.to_lowercase()))
        .collect();
    for a in &stored.areas {
        if let Some(p) = a.parent_id.and_then(|p| name_of.get(&p)) {
            parent.insert(a.name.to_lowercase(), p.clone());
        }
    }
    for a in &data.areas {
        if let Some(p) = &a.parent {
            parent.insert(a.name.to_lowercase(), p.to_lowercase());
        }
    }
    for a in &data.areas {
        if loops_back(&parent, &a.name.to_lowercase()) {
            errors.at(
                &a.origin.field("parent"),
                refusal(&AreaRefusal::ParentCycle),
            );
        }
    }
}

// --- writing ------------------------------------------------------------------------------

/// Ids of the area family by name or code (lower case), the database's and those written.
#[derive(Default)]
pub(crate) struct SafetyIds {
    areas: HashMap<String, Id>,
    forums: HashMap<String, Id>,
    reports: HashMap<String, Id>,
    agreements: HashMap<String, Id>,
    /// Indicators by key (the database's named by an activity, and the files').
    pub indicators: HashMap<String, Id>,
}

impl SafetyIds {
    pub fn new(stored: &StoredSafety) -> SafetyIds {
        SafetyIds {
            areas: stored
                .areas
                .iter()
                .map(|a| (a.name.trim().to_lowercase(), a.id))
                .collect(),
            forums: stored
                .forums
                .iter()
                .filter(|f| !f.code.trim().is_empty())
                .map(|f| (f.code.trim().to_lowercase(), f.id))
                .collect(),
            reports: HashMap::new(),
            agreements: stored
                .agreements
                .iter()
                .filter(|a| !a.code.trim().is_empty())
                .map(|a| (a.code.trim().to_lowercase(), a.id))
                .collect(),
            indicators: stored.indicators.clone(),
        }
    }
}

fn get(
    map: &HashMap<String, Id>,
    name: &str,
    kind: Referent,
    at: &Origin,
) -> Result<Id, ImportReport> {
    map.get(&name.trim().to_lowercase())
        .copied()
        .ok_or_else(|| ImportReport::single(at, messages::unknown_reference(kind, name)))
}

fn area_id(ids: &SafetyIds, name: &str, at: &Origin) -> Result<Id, ImportReport> {
    ids.areas
        .get(&name.trim().to_lowercase())
        .copied()
        .ok_or_else(|| ImportReport::single(at, messages::unknown_area(name)))
}

fn unit_id(ids: &Ids, key: &Option<Key>, at: &Origin) -> Result<Option<Id>, ImportReport> {
    key.as_ref()
        .map(|k| ids.get(Referent::OrgUnit, k, at))
        .transpose()
}

/// The file's classifications merged into the stored ones: per year (or none), the
/// file's replaces the stored; other years are kept.
fn merged_classifications(
    stored: &[Classification],
    file: &[Classification],
) -> Vec<Classification> {
    let mut out: Vec<Classification> = stored
        .iter()
        .filter(|s| !file.iter().any(|f| f.year == s.year))
        .cloned()
        .collect();
    out.extend(file.iter().cloned());
    out.sort_by_key(|c| c.year);
    out
}

/// Listed areas, parents first (created, or updated where the row changes them), then
/// those only named in `area:` breakdowns.
pub(crate) async fn write_areas(
    w: &mut Writer,
    data: &DataSet,
    stored: &StoredSafety,
    sids: &mut SafetyIds,
) -> Result<(), ImportReport> {
    let mut left: Vec<&AreaData> = data.areas.iter().collect();
    // Parents first: a row waits while its parent is a file row not yet written.
    while !left.is_empty() {
        let before = left.len();
        let mut waiting = Vec::new();
        for a in left {
            let parent_pending = a.parent.as_ref().is_some_and(|p| {
                !sids.areas.contains_key(&p.trim().to_lowercase())
                    && data.areas.iter().any(|x| same_code(&x.name, p))
            });
            if parent_pending {
                waiting.push(a);
                continue;
            }
            write_area(w, a, stored, sids).await?;
        }
        if waiting.len() == before {
            // A cycle (reported before writing); write them without waiting.
            for a in &waiting {
                write_area(w, a, stored, sids).await?;
            }
            break;
        }
        left = waiting;
    }
    let listed: BTreeSet<String> = data.areas.iter().map(|a| a.name.to_lowercase()).collect();
    for i in &data.indicators {
        let named: BTreeSet<&str> = i
            .outcomes
            .iter()
            .filter_map(|o| o.breakdown.area())
            .collect();
        for name in named
            .into_iter()
            .filter(|n| !listed.contains(&n.to_lowercase()))
        {
            if !sids.areas.contains_key(&name.trim().to_lowercase()) {
                w.upsert_area(name, None).await.at(&i.origin)?;
            }
        }
    }
    Ok(())
}

async fn write_area(
    w: &mut Writer,
    a: &AreaData,
    stored: &StoredSafety,
    sids: &mut SafetyIds,
) -> Result<(), ImportReport> {
    let parent_id = match &a.parent {
        Some(p) => Some(area_id(sids, p, &a.origin.field("parent"))?),
        None => None,
    };
    let before = stored.area(&a.name);
    let area = Area {
        id: before.map_or(0, |b| b.id),
        name: before.map_or_else(|| a.name.clone(), |b| b.name.clone()),
        kind: a.kind.or(before.and_then(|b| b.kind)),
        parent_id: parent_id.or(before.and_then(|b| b.parent_id)),
        note: a
            .note
            .clone()
            .or_else(|| before.map(|b| b.note.clone()))
            .unwrap_or_default(),
        classifications: merged_classifications(
            before.map_or(&[][..], |b| &b.classifications),
            &a.classifications,
        ),
    };
    let id = match before {
        Some(b) if *b == area => b.id,
        Some(b) => {
            w.update_area(&area).await.at(&a.origin)?;
            b.id
        }
        None => w.create_area(&area).await.at(&a.origin)?,
    };
    sids.areas.insert(a.name.trim().to_lowercase(), id);
    Ok(())
}

/// The scale, forums, statutes, situation reports, agreements and the statutes' duties, in
/// that order (each refers only to what is written before it; forums report to forums
/// written before them). An object exactly as stored writes nothing; nothing is deleted
/// for being absent from the files.
pub(crate) async fn write_safety(
    w: &mut Writer,
    data: &DataSet,
    ids: &Ids,
    stored: &StoredSafety,
    sids: &mut SafetyIds,
) -> Result<(), ImportReport> {
    if let Some(s) = data.level_scales.first() {
        let scale = LevelScale {
            max_level: s.max_level,
            definitions: s.definitions.clone(),
            threshold: s.threshold,
            present_within_days: s.present_within_days,
            board_id: unit_id(ids, &s.board, &s.origin.field("board"))?,
        };
        if scale != stored.scale {
            w.set_level_scale(&scale).await.at(&s.origin)?;
        }
    }
    write_forums(w, data, ids, stored, sids).await?;
    // Statutes before the agreements that name them; their duties after the reports and
    // agreements their evidence names.
    let mut statute_ids = Vec::with_capacity(data.statutes.len());
    for s in &data.statutes {
        let before = stored.statutes.iter().find(|x| x.sfs == s.sfs);
        let statute = Statute {
            id: before.map_or(0, |b| b.id),
            sfs: s.sfs.clone(),
            title: s.title.clone(),
            in_force: s.in_force.clone(),
            leading_unit_id: unit_id(ids, &s.leading, &s.origin.field("leading"))?,
            url: s.url.clone(),
            note: s.note.clone(),
        };
        let statute_id = match before {
            Some(b) if *b == statute => b.id,
            Some(b) => {
                w.update_statute(&statute).await.at(&s.origin)?;
                b.id
            }
            None => w.create_statute(&statute).await.at(&s.origin)?,
        };
        statute_ids.push(statute_id);
    }
    for r in &data.situation_reports {
        let before = stored.report(r);
        let report = report_of(r, ids, sids, before.map_or(0, |b| b.id))?;
        let id = match before {
            Some(b) if same_report(b, &report) => b.id,
            Some(b) => {
                w.update_situation_report(&report).await.at(&r.origin)?;
                b.id
            }
            None => w.create_situation_report(&report).await.at(&r.origin)?,
        };
        sids.reports.insert(r.key.to_lowercase(), id);
    }
    for a in &data.agreements {
        let before = stored.agreement(&a.key);
        let agreement = agreement_of(a, sids, before)?;
        let id = match before {
            Some(b) if *b == agreement => b.id,
            Some(b) => {
                w.update_agreement(&agreement).await.at(&a.origin)?;
                b.id
            }
            None => w.create_agreement(&agreement).await.at(&a.origin)?,
        };
        sids.agreements.insert(a.key.to_lowercase(), id);
    }
    for (s, statute_id) in data.statutes.iter().zip(statute_ids) {
        for o in &s.obligations {
            write_obligation(w, o, statute_id, ids, stored, sids).await?;
        }
    }
    Ok(())
}

/// Forums in reporting order (a forum after the forum it reports to).
async fn write_forums(
    w: &mut Writer,
    data: &DataSet,
    ids: &Ids,
    stored: &StoredSafety,
    sids: &mut SafetyIds,
) -> Result<(), ImportReport> {
    let mut left: Vec<&ForumData> = data.forums.iter().collect();
    loop {
        let before = left.len();
        let mut waiting = Vec::new();
        for f in left {
            let pending = f.reports_to_forum.as_ref().is_some_and(|t| {
                !sids.forums.contains_key(&t.to_lowercase())
                    && data.forums.iter().any(|x| same_code(&x.key, t))
            });
            if pending && waiting.len() < before {
                waiting.push(f);
                continue;
            }
            write_forum(w, f, ids, stored, sids).await?;
        }
        if waiting.is_empty() {
            return Ok(());
        }
        if waiting.len() == before {
            // A loop (reported when parsing); cannot happen after the checks.
            let f = waiting[0];
            return Err(ImportReport::single(
                &f.origin.field("reports_to_forum"),
                refusal(&AreaRefusal::ParentCycle),
            ));
        }
        left = waiting;
    }
}

async fn write_forum(
    w: &mut Writer,
    f: &ForumData,
    ids: &Ids,
    stored: &StoredSafety,
    sids: &mut SafetyIds,
) -> Result<(), ImportReport> {
    let before = stored.forum(&f.key);
    let mut area_ids = Vec::with_capacity(f.areas.len());
    for (i, n) in f.areas.iter().enumerate() {
        area_ids.push(area_id(sids, n, &f.origin.field(&format!("areas[{i}]")))?);
    }
    let reports_to_forum = match &f.reports_to_forum {
        Some(t) => Some(get(
            &sids.forums,
            t,
            Referent::Forum,
            &f.origin.field("reports_to_forum"),
        )?),
        None => None,
    };
    let forum = Forum {
        id: before.map_or(0, |b| b.id),
        code: f.key.clone(),
        name: f.name.clone(),
        purpose: f.purpose.clone(),
        chair: f.chair.clone(),
        members: f.members.clone(),
        cadence: f.cadence.clone(),
        reports_to_unit: unit_id(ids, &f.reports_to, &f.origin.field("reports_to"))?,
        reports_to_forum,
        reports_what: f.reports_what.clone(),
        documented: f.documented,
        evaluated_on: f.evaluated_on.clone(),
        evaluation: f.evaluation.clone(),
        area_ids,
        council: f.council.clone(),
        meetings: f.meetings.clone(),
        note: f.note.clone(),
    };
    let id = match before {
        Some(b) if *b == forum => b.id,
        Some(b) => {
            w.update_forum(&forum).await.at(&f.origin)?;
            b.id
        }
        None => w.create_forum(&forum).await.at(&f.origin)?,
    };
    sids.forums.insert(f.key.to_lowercase(), id);
    Ok(())
}

fn report_of(
    r: &SituationReportData,
    ids: &Ids,
    sids: &SafetyIds,
    id: Id,
) -> Result<SituationReport, ImportReport> {
    let mut levels = Vec::with_capacity(r.levels.len());
    for (name, level, at) in &r.levels {
        levels.push(AreaLevel {
            area_id: area_id(sids, name, at)?,
            level: *level,
        });
    }
    let mut presentations = Vec::with_capacity(r.presentations.len());
    for p in &r.presentations {
        presentations.push(Presentation {
            unit_id: unit_id(ids, &p.board, &p.origin.field("board"))?,
            forum_id: match &p.forum {
                Some(f) => Some(get(
                    &sids.forums,
                    f,
                    Referent::Forum,
                    &p.origin.field("forum"),
                )?),
                None => None,
            },
            date: p.date.clone(),
            reference: p.reference.clone(),
        });
    }
    Ok(SituationReport {
        id,
        kind: r.kind,
        title: r.title.clone(),
        period_start: r.period_start.clone(),
        period_end: r.period_end.clone(),
        producer: r.producer.clone(),
        producer_forum_id: match &r.producer_forum {
            Some(f) => Some(get(
                &sids.forums,
                f,
                Referent::Forum,
                &r.origin.field("producer_forum"),
            )?),
            None => None,
        },
        status: r.status,
        levels,
        unnamed_levels: r.unnamed_levels.clone(),
        checklist: r.checklist.clone(),
        summary: r.summary.clone(),
        public: r.public,
        synthetic: r.synthetic,
        presentations,
    })
}

/// Whether the stored report already is the file's (levels and presentations compared
/// as sets: the store may return them in its own order).
fn same_report(stored: &SituationReport, file: &SituationReport) -> bool {
    let mut a = stored.clone();
    let mut b = file.clone();
    for r in [&mut a, &mut b] {
        r.levels.sort_by_key(|l| l.area_id);
        r.presentations.sort_by(|x, y| {
            (&x.date, x.unit_id, x.forum_id).cmp(&(&y.date, y.unit_id, y.forum_id))
        });
    }
    a == b
}

fn agreement_of(
    a: &AgreementData,
    sids: &SafetyIds,
    before: Option<&Agreement>,
) -> Result<Agreement, ImportReport> {
    let mut area_ids = Vec::with_capacity(a.areas.len());
    for (i, n) in a.areas.iter().enumerate() {
        area_ids.push(area_id(sids, n, &a.origin.field(&format!("areas[{i}]")))?);
    }
    let mut focus_areas = Vec::with_capacity(a.focus_areas.len());
    for f in &a.focus_areas {
        let kept = before.and_then(|b| b.focus_areas.iter().find(|x| same_code(&x.name, &f.name)));
        let mut activities = Vec::with_capacity(f.activities.len());
        for act in &f.activities {
            let kept_act = kept.and_then(|k| k.activities.iter().find(|x| x.title == act.title));
            activities.push(Activity {
                id: kept_act.map_or(0, |k| k.id),
                title: act.title.clone(),
                problem: act.problem.clone(),
                goal_short: act.goal_short.clone(),
                goal_long: act.goal_long.clone(),
                owner: act.owner.clone(),
                frequency: act.frequency.clone(),
                follow_up: act.follow_up.clone(),
                effect_indicator_id: match &act.effect_indicator {
                    Some(k) => Some(get(
                        &sids.indicators,
                        k.as_str(),
                        Referent::Indicator,
                        &act.origin.field("effect_indicator"),
                    )?),
                    None => None,
                },
            });
        }
        focus_areas.push(FocusArea {
            id: kept.map_or(0, |k| k.id),
            name: f.name.clone(),
            has_plan: f.has_plan,
            activities,
        });
    }
    Ok(Agreement {
        id: before.map_or(0, |b| b.id),
        code: a.key.clone(),
        kind: a.kind,
        title: a.title.clone(),
        parties: a.parties.clone(),
        valid_from: a.valid_from.clone(),
        valid_to: a.valid_to.clone(),
        purpose: a.purpose.clone(),
        focus_areas,
        governing_forum_id: match &a.governing_forum {
            Some(f) => Some(get(
                &sids.forums,
                f,
                Referent::Forum,
                &a.origin.field("governing_forum"),
            )?),
            None => None,
        },
        situation_report_id: match &a.situation_report {
            Some(k) => Some(get(
                &sids.reports,
                k,
                Referent::SituationReport,
                &a.origin.field("situation_report"),
            )?),
            None => None,
        },
        statutes: a.statutes.clone(),
        area_ids,
        note: a.note.clone(),
    })
}

async fn write_obligation(
    w: &mut Writer,
    o: &ObligationData,
    statute_id: Id,
    ids: &Ids,
    stored: &StoredSafety,
    sids: &SafetyIds,
) -> Result<(), ImportReport> {
    let before = stored
        .obligations
        .iter()
        .find(|x| x.statute_id == statute_id && same_code(&x.code, &o.code));
    let mut evidence = Vec::with_capacity(o.evidence.len());
    for e in &o.evidence {
        let at = e.origin.field("ref");
        let ref_id = match (&e.reference, e.kind) {
            (Some(k), EvidenceKind::SituationReport) => {
                Some(get(&sids.reports, k, Referent::SituationReport, &at)?)
            }
            (Some(k), EvidenceKind::Agreement) => {
                Some(get(&sids.agreements, k, Referent::Agreement, &at)?)
            }
            (Some(k), EvidenceKind::Forum) => Some(get(&sids.forums, k, Referent::Forum, &at)?),
            _ => None,
        };
        evidence.push(Evidence {
            id: 0,
            kind: e.kind,
            ref_id,
            date: e.date.clone(),
            text: e.text.clone(),
        });
    }
    let obligation = Obligation {
        id: before.map_or(0, |b| b.id),
        statute_id,
        code: o.code.clone(),
        section: o.section.clone(),
        duty: o.duty.clone(),
        checklist: o.checklist.clone(),
        requirement: o.requirement.clone(),
        first_due: o.first_due.clone(),
        every_months: o.every_months,
        responsible_unit_id: unit_id(ids, &o.responsible, &o.origin.field("responsible"))?,
        fulfilled_by: o.fulfilled_by,
        evidence: evidence.clone(),
        assessments: o.assessments.iter().map(|(a, _)| a.clone()).collect(),
        note: o.note.clone(),
    };
    let Some(b) = before else {
        w.create_obligation(&obligation).await.at(&o.origin)?;
        return Ok(());
    };
    let header = |x: &Obligation| {
        (
            x.code.clone(),
            x.section.clone(),
            x.duty.clone(),
            x.checklist.clone(),
            x.requirement.clone(),
            x.first_due.clone(),
            x.every_months,
            x.responsible_unit_id,
            x.fulfilled_by,
            x.note.clone(),
        )
    };
    if header(b) != header(&obligation) {
        w.update_obligation(&obligation).await.at(&o.origin)?;
    }
    // Evidence and assessments the file gives are added where missing.
    for (e, data) in evidence.iter().zip(&o.evidence) {
        let known = b.evidence.iter().any(|s| {
            (s.kind, s.ref_id, &s.date, s.text.trim()) == (e.kind, e.ref_id, &e.date, e.text.trim())
        });
        if !known {
            w.add_evidence(b.id, e).await.at(&data.origin)?;
        }
    }
    let today = uppsikt_store::today();
    for (a, at) in &o.assessments {
        let known = b.assessments.iter().any(|s| {
            (
                s.status,
                s.assessed_by.trim(),
                &s.assessed_on,
                s.text.trim(),
                s.by_auditors,
            ) == (
                a.status,
                a.assessed_by.trim(),
                &a.assessed_on,
                a.text.trim(),
                a.by_auditors,
            )
        });
        if !known {
            w.add_obligation_assessment(b.id, a, &today).await.at(at)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{parse_json, parse_str, parse_texts, DEMO};

    const DOC: &str = r#"format = "uppsikt/1"

[[areas]]
name = "Vårby"
kind = "kommundel"
classifications = [{ year = 2024, class = "utsatt", source = "Polisens lägesbild" }]

[[areas]]
name = "Grantorp"
kind = "polisomrade"
parent = "Vårby"
police_class = "utsatt"

[situation_scale]
board = "ks"
definitions = { "5" = "Allvarligt läge" }

[[forums]]
key = "F03"
name = "Styrgruppen"
documented = "ja"
members = [{ organisation = "Huddinge kommun", role = "Kommundirektör" }]

[[forums]]
key = "F04"
name = "OSG"
documented = "ja"
reports_to_forum = "F03"
areas = ["Vårby"]

[[situation_reports]]
key = "LB-2023-ÖVG"
kind = "overgripande"
title = "Övergripande lägesbild 2023"
period_start = "2023-01-01"
period_end = "2023-12-31"
producer_forum = "F04"
levels = { "Vårby" = 5 }
unnamed_levels = [3, 3]
checklist = ["kartlaggning"]
summary = "Vårby har läge 5."
presentations = [{ forum = "F03", date = "2024-01-10", reference = "§ 2" }]

[[agreements]]
key = "AG-2023-24"
kind = "samverkansoverenskommelse"
title = "Samverkansöverenskommelse 2023–2024"
parties = [{ name = "Lokalpolisområde Huddinge", kind = "polis" }]
valid_from = "2023-01-01"
valid_to = "2024-12-31"
statutes = ["2023:196"]
situation_report = "LB-2023-ÖVG"
focus_areas = [{ name = "Gängkriminalitet", activities = [{ title = "Fokusmöten" }] }]

[[statutes]]
sfs = "2023:196"
title = "Lag (2023:196) om kommuners ansvar för brottsförebyggande arbete"
leading = "ks"

[[statutes.obligations]]
code = "L2"
duty = "Besluta om en åtgärdsplan."
requirement = 1
first_due = "2024-07-01"
every_months = 24
fulfilled_by = "beslut"
assessments = [{ status = "ej_uppfylld", assessed_by = "Revisorerna", by_auditors = true, assessed_on = "2024-03-01" }]

[[statutes.obligations]]
code = "L4"
duty = "Verka för överenskommelser."
requirement = "2"
evidence = [{ kind = "overenskommelse", ref = "AG-2023-24" }]
"#;

    fn with(from: &str, to: &str) -> String {
        assert!(DOC.contains(from), "{from}");
        DOC.replacen(from, to, 1)
    }

    fn errors(text: &str) -> Vec<(String, String)> {
        parse_str("t.toml", text)
            .expect_err("refused")
            .errors
            .into_iter()
            .map(|e| (e.location, e.message))
            .collect()
    }

    #[test]
    fn a_whole_document_becomes_domain_values() {
        let d = parse_str("t.toml", DOC).unwrap_or_else(|r| panic!("{r}"));
        assert_eq!(d.areas[0].kind, Some(AreaKind::District));
        assert_eq!(d.areas[0].classifications[0].year, Some(2024));
        assert_eq!(d.areas[1].parent.as_deref(), Some("Vårby"));
        assert_eq!(d.areas[1].classifications[0].year, None, "police_class");
        assert_eq!(d.areas[1].note, None);
        let s = &d.level_scales[0];
        assert_eq!(
            (s.max_level, s.threshold, s.present_within_days),
            (5, 4, 60)
        );
        assert_eq!(
            s.definitions.get(&5).map(String::as_str),
            Some("Allvarligt läge")
        );
        let r = &d.situation_reports[0];
        assert_eq!(r.kind, SituationKind::Overall);
        assert_eq!(r.status, ReportStatus::Final);
        assert_eq!(r.levels[0].0, "Vårby");
        assert_eq!(r.levels[0].1, 5);
        assert_eq!(r.unnamed_levels, vec![3, 3]);
        assert_eq!(r.checklist.len(), 1);
        assert_eq!(r.presentations[0].forum.as_deref(), Some("F03"));
        assert_eq!(d.forums[1].reports_to_forum.as_deref(), Some("F03"));
        assert_eq!(
            d.agreements[0].focus_areas[0].activities[0].title,
            "Fokusmöten"
        );
        let st = &d.statutes[0];
        assert_eq!(st.obligations[0].requirement.as_deref(), Some("1"));
        assert_eq!(
            st.obligations[0].assessments[0].0.status,
            ComplianceStatus::NotMet
        );
        assert_eq!(st.obligations[1].evidence[0].kind, EvidenceKind::Agreement);
    }

    #[test]
    fn each_wrong_row_is_reported_at_its_place_in_swedish() {
        let cases: Vec<(String, &str, String)> = vec![
            (
                with("kind = \"kommundel\"", "kind = \"stadsdel\""),
                "areas[0].kind",
                messages::choice_of("stadsdel", &codes::<AreaKind>()),
            ),
            (
                with("parent = \"Vårby\"", "parent = \"Grantorp\""),
                "areas[1].parent",
                refusal(&AreaRefusal::ParentCycle),
            ),
            (
                with("\"5\" = \"Allvarligt läge\"", "\"7\" = \"Okänt\""),
                "situation_scale.definitions.7",
                refusal(&AreaRefusal::BadScale),
            ),
            (
                with("period_end = \"2023-12-31\"", "period_end = \"2022-12-31\""),
                "situation_reports[0].period_end",
                refusal(&AreaRefusal::EndBeforeStart),
            ),
            (
                with(
                    "presentations = [{ forum = \"F03\",",
                    "presentations = [{ board = \"ks\", forum = \"F03\",",
                ),
                "situation_reports[0].presentations[0]",
                refusal(&AreaRefusal::PresentationTarget),
            ),
            (
                with("checklist = [\"kartlaggning\"]", "checklist = [\"karta\"]"),
                "situation_reports[0].checklist[0]",
                messages::choice_of("karta", &codes::<ChecklistItem>()),
            ),
            (
                with("levels = { \"Vårby\" = 5 }", "levels = { \"Vårby\" = 11 }"),
                "situation_reports[0].levels.Vårby",
                messages::out_of_range(1, 10),
            ),
            (
                with(
                    "name = \"Styrgruppen\"\ndocumented = \"ja\"",
                    "name = \"Styrgruppen\"\ndocumented = \"ja\"\nreports_to_forum = \"F04\"",
                ),
                "forums[0].reports_to_forum",
                refusal(&AreaRefusal::ParentCycle),
            ),
            (
                with("key = \"F04\"", "key = \"F 04\""),
                "forums[1].key",
                messages::invalid_code("F 04", CODE_MAX),
            ),
            (
                with("key = \"F04\"", "key = \"F03\""),
                "forums[1].key",
                messages::duplicate_key(Referent::Forum, "F03", "forums[0].key"),
            ),
            (
                with("name = \"OSG\"\ndocumented = \"ja\"", "name = \"OSG\""),
                "forums[1].documented",
                messages::REQUIRED.into(),
            ),
            (
                with("statutes = [\"2023:196\"]", "statutes = [\"2023-196\"]"),
                "agreements[0].statutes[0]",
                refusal(&AreaRefusal::BadSfs("2023-196".into())),
            ),
            (
                with("valid_to = \"2024-12-31\"", "valid_to = \"2022-12-31\""),
                "agreements[0].valid_to",
                refusal(&AreaRefusal::EndBeforeStart),
            ),
            (
                with("code = \"L4\"", "code = \"L2\""),
                "statutes[0].obligations[1].code",
                messages::duplicate_obligation("L2", "statutes[0].obligations[0].code"),
            ),
            (
                with("every_months = 24", "every_months = 0"),
                "statutes[0].obligations[0].every_months",
                messages::out_of_range(1, 120),
            ),
            (
                with("status = \"ej_uppfylld\"", "status = \"nej\""),
                "statutes[0].obligations[0].assessments[0].status",
                messages::choice_of("nej", &codes::<ComplianceStatus>()),
            ),
            (
                with("duty = \"Verka för överenskommelser.\"", "plikt = \"x\""),
                "statutes[0].obligations[1].plikt",
                messages::unknown_field("plikt"),
            ),
        ];
        for (text, location, message) in cases {
            let errs = errors(&text);
            assert!(
                errs.iter().any(|(l, m)| l == location && *m == message),
                "expected {location}: {message}\ngot {errs:#?}"
            );
        }
    }

    #[test]
    fn a_personal_identity_number_is_refused_in_any_free_text_at_its_place() {
        for (from, to, location, field) in [
            (
                "summary = \"Vårby har läge 5.\"",
                "summary = \"Händelse med 121212-1212 i Vårby.\"",
                "situation_reports[0].summary",
                "summary",
            ),
            (
                "role = \"Kommundirektör\"",
                "role = \"Kommundirektör 121212-1212\"",
                "forums[0].members[0].role",
                "role",
            ),
            (
                "duty = \"Verka för överenskommelser.\"",
                "duty = \"Verka för överenskommelser.\"\nnote = \"Kontakt 19121212-1212\"",
                "statutes[0].obligations[1].note",
                "note",
            ),
        ] {
            let errs = errors(&with(from, to));
            let masked = uppsikt_domain::personal_number::find(to).unwrap();
            let message = refusal(&AreaRefusal::PersonalNumber(field, masked));
            assert_eq!(errs, vec![(location.to_string(), message)], "{location}");
        }
    }

    #[test]
    fn the_json_form_reads_as_the_toml_form() {
        let toml = parse_str("a.toml", DOC).unwrap_or_else(|r| panic!("{r}"));
        let table: toml::Table = DOC.parse().unwrap();
        let json = serde_json::to_string(&table).unwrap();
        assert_eq!(
            parse_json("a.toml", &json).unwrap_or_else(|r| panic!("{r}")),
            toml
        );
    }

    #[test]
    fn the_demo_holds_c4_and_d4() {
        let data = parse_texts(DEMO).unwrap_or_else(|r| panic!("{r}"));
        assert_eq!(data.areas.len(), 12);
        let utsatta: Vec<&str> = data
            .areas
            .iter()
            .filter(|a| {
                a.classifications
                    .iter()
                    .any(|c| c.class == PoliceClass::Vulnerable)
            })
            .map(|a| a.name.as_str())
            .collect();
        assert_eq!(utsatta, ["Vårby", "Skogås", "Grantorp", "Visättra"]);
        assert!(data.areas.iter().all(|a| a.parent.is_none()));
        let forums: Vec<&str> = data.forums.iter().map(|f| f.key.as_str()).collect();
        assert_eq!(forums.len(), 14);
        assert!(
            !forums.contains(&"F15"),
            "the strategic council does not exist"
        );
        assert_eq!(data.agreements.len(), 8);
        assert_eq!(data.situation_reports.len(), 2);
        assert!(data.level_scales[0].definitions.is_empty(), "F19");
        let law = &data.statutes[0];
        assert_eq!(law.sfs, "2023:196");
        let codes: Vec<&str> = law.obligations.iter().map(|o| o.code.as_str()).collect();
        assert_eq!(codes, ["L1", "L2", "L3", "L4", "L5", "L6", "L7", "L8"]);
        let sections: Vec<&str> = law
            .obligations
            .iter()
            .filter(|o| !o.section.is_empty())
            .map(|o| o.code.as_str())
            .collect();
        assert_eq!(sections, ["L1"]);
    }
}
