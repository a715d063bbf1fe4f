//! One file: TOML text → [`DataSet`], with every row validated into domain types.
//! Checks that need more than one file (unique keys, references) live elsewhere.

use std::collections::HashMap;

use toml::Table;
use uppsikt_domain::case_ref::CaseRefFormat;
use uppsikt_domain::indicator::TrendWindow;
use uppsikt_domain::kolada::{KpiId, MunicipalityId};
use uppsikt_domain::messages::{self, Expected};
use uppsikt_domain::model::{
    Comparison, GapJudgement, GapKind, GoalKind, OrgKind, OutcomeComment, Stage,
};
use uppsikt_domain::uncertainty::MarginBasis;
use uppsikt_domain::{Breakdown, CommitmentStatus, Direction, Frequency, Outcome, Target};

use crate::data::*;
use crate::reader::{
    boolean, choice, date, integer, key_of, long_text, non_negative, number, period, text, year,
    Convert, Row,
};
use crate::report::{Errors, Origin};

/// The format this crate reads.
pub const FORMAT: &str = "uppsikt/1";

const TOP_LEVEL: &[&str] = &[
    "format",
    "org_units",
    "vision",
    "areas",
    "goals",
    "indicators",
    "commitments",
    "assessments",
    "period_reviews",
    "decisions",
    "kolada",
    "comparison_groups",
    "control_plans",
    "audits",
    "situation_scale",
    "situation_reports",
    "forums",
    "agreements",
    "statutes",
    "economy",
    "cost_types",
    "ledger_units",
    "budget_lines",
    "budget_explanations",
    "investments",
    "carry_overs",
    "equity",
    "grants",
];

/// Parses one file's text. Errors are added to `errors`; the data set holds the rows
/// that were valid. Case numbers are read in `format`.
pub(crate) fn parse_document(
    file: &str,
    text: &str,
    errors: &mut Errors,
    format: &CaseRefFormat,
) -> DataSet {
    let table = match text.parse::<Table>() {
        Ok(t) => t,
        Err(e) => {
            errors.at(
                &syntax_origin(file, text, e.span()),
                messages::toml_syntax(e.message().trim()),
            );
            return DataSet::default();
        }
    };
    parse_table(file, &table, errors, format)
}

/// Parses one document already read into a table (from TOML or JSON).
pub(crate) fn parse_table(
    file: &str,
    table: &Table,
    errors: &mut Errors,
    format: &CaseRefFormat,
) -> DataSet {
    let doc = Row::new(table, Origin::new(file, ""));
    doc.only(errors, TOP_LEVEL);
    check_format(&doc, errors);
    DataSet {
        org_units: doc
            .rows(errors, "org_units")
            .iter()
            .filter_map(|r| org_unit(r, errors))
            .collect(),
        visions: doc
            .sub_table(errors, "vision")
            .and_then(|r| vision(&r, errors))
            .into_iter()
            .collect(),
        areas: doc
            .rows(errors, "areas")
            .iter()
            .filter_map(|r| crate::area::area(r, errors))
            .collect(),
        goals: doc
            .rows(errors, "goals")
            .iter()
            .filter_map(|r| goal(r, errors))
            .collect(),
        indicators: doc
            .rows(errors, "indicators")
            .iter()
            .filter_map(|r| indicator(r, errors))
            .collect(),
        commitments: doc
            .rows(errors, "commitments")
            .iter()
            .filter_map(|r| commitment(r, errors))
            .collect(),
        assessments: doc
            .rows(errors, "assessments")
            .iter()
            .filter_map(|r| assessment(r, errors))
            .collect(),
        period_reviews: doc
            .rows(errors, "period_reviews")
            .iter()
            .filter_map(|r| period_review(r, errors))
            .collect(),
        decisions: doc
            .rows(errors, "decisions")
            .iter()
            .filter_map(|r| decision(r, errors))
            .collect(),
        kolada: doc
            .sub_table(errors, "kolada")
            .and_then(|r| kolada_settings(&r, errors))
            .into_iter()
            .collect(),
        comparison_groups: doc
            .rows(errors, "comparison_groups")
            .iter()
            .filter_map(|r| comparison_group(r, errors))
            .collect(),
        control_plans: doc
            .rows(errors, "control_plans")
            .iter()
            .filter_map(|r| crate::internal_control::control_plan(r, errors))
            .collect(),
        audits: doc
            .rows(errors, "audits")
            .iter()
            .filter_map(|r| crate::audit::audit(r, errors, format))
            .collect(),
        level_scales: doc
            .sub_table(errors, "situation_scale")
            .and_then(|r| crate::area::level_scale(&r, errors))
            .into_iter()
            .collect(),
        situation_reports: doc
            .rows(errors, "situation_reports")
            .iter()
            .filter_map(|r| crate::area::situation_report(r, errors))
            .collect(),
        forums: doc
            .rows(errors, "forums")
            .iter()
            .filter_map(|r| crate::area::forum(r, errors))
            .collect(),
        agreements: doc
            .rows(errors, "agreements")
            .iter()
            .filter_map(|r| crate::area::agreement(r, errors))
            .collect(),
        statutes: doc
            .rows(errors, "statutes")
            .iter()
            .filter_map(|r| crate::area::statute(r, errors))
            .collect(),
        economy: crate::economy::parse(&doc, errors),
    }
}

/// `rad L, kolumn C` (1-based, columns in characters) of a syntax error.
fn syntax_origin(file: &str, text: &str, span: Option<std::ops::Range<usize>>) -> Origin {
    let Some(span) = span else {
        return Origin::new(file, "");
    };
    let offset = span.start.min(text.len());
    let offset = (0..=offset)
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    Origin::new(file, messages::file_position(line, column))
}

fn check_format(doc: &Row<'_>, errors: &mut Errors) {
    match doc.table.get("format") {
        None => errors.at(&doc.at("format"), messages::missing_format(FORMAT)),
        Some(toml::Value::String(s)) if s.trim() == FORMAT => {}
        Some(other) => {
            let found = other
                .as_str()
                .map_or_else(|| other.to_string(), str::to_string);
            errors.at(
                &doc.at("format"),
                messages::unsupported_format(&crate::report::quoted(&found), FORMAT),
            );
        }
    }
}

fn org_unit(r: &Row<'_>, errors: &mut Errors) -> Option<OrgUnitData> {
    r.only(errors, &["key", "name", "short_name", "kind", "parent"]);
    const KINDS: &[&str] = &[
        "kommun",
        "fullmaktige",
        "styrelse",
        "namnd",
        "bolag",
        "forvaltning",
        "avdelning",
        "enhet",
    ];
    let key = r.req(errors, "key", &key_of);
    let name = r.req(errors, "name", &text(NAME_MAX));
    let short_name = r.req(errors, "short_name", &text(NAME_MAX));
    let kind = r.req(errors, "kind", &choice(OrgKind::parse, KINDS));
    let parent = r.opt(errors, "parent", &key_of);
    Some(OrgUnitData {
        origin: r.origin.clone(),
        key: key?,
        name: name?,
        short_name: short_name?,
        kind: kind?,
        parent,
    })
}

fn vision(r: &Row<'_>, errors: &mut Errors) -> Option<VisionData> {
    r.only(errors, &["org", "text", "steering_model"]);
    let org = r.req(errors, "org", &key_of);
    let text = r.req(errors, "text", &long_text(TEXT_MAX));
    let steering_model = r.opt(errors, "steering_model", &long_text(TEXT_MAX));
    Some(VisionData {
        origin: r.origin.clone(),
        org: org?,
        text: text?,
        steering_model: steering_model.unwrap_or_default(),
    })
}

fn goal(r: &Row<'_>, errors: &mut Errors) -> Option<GoalData> {
    r.only(
        errors,
        &[
            "key",
            "org",
            "parent",
            "title",
            "description",
            "kind",
            "priorities",
            "position",
            "analyses",
        ],
    );
    let key = r.req(errors, "key", &key_of);
    let org = r.req(errors, "org", &key_of);
    let parent = r.opt(errors, "parent", &key_of);
    let title = r.req(errors, "title", &text(NAME_MAX));
    let description = r
        .opt(errors, "description", &long_text(TEXT_MAX))
        .unwrap_or_default();
    let default_kind = if parent.is_some() {
        GoalKind::Board
    } else {
        GoalKind::Overall
    };
    let kind = r.opt(
        errors,
        "kind",
        &choice(GoalKind::parse, &["overall", "strategic", "board"]),
    );
    let priorities = r.text_list(errors, "priorities", TEXT_MAX);
    let position = r.opt(errors, "position", &integer(i64::MIN, i64::MAX));
    let analyses = analyses(r, errors);
    Some(GoalData {
        origin: r.origin.clone(),
        key: key?,
        org: org?,
        parent,
        title: title?,
        description,
        kind: kind.unwrap_or(default_kind),
        priorities,
        position,
        analyses,
    })
}

fn analyses(r: &Row<'_>, errors: &mut Errors) -> Vec<(uppsikt_domain::Period, String)> {
    let mut seen = Unique::default();
    let mut out = Vec::new();
    for a in r.rows(errors, "analyses") {
        a.only(errors, &["period", "text"]);
        let p = a.req(errors, "period", &period);
        let t = a.req(errors, "text", &long_text(TEXT_MAX));
        if let (Some(p), Some(t)) = (p, t) {
            if seen.first(p, &a.origin, errors, |first| {
                messages::duplicate_period(&p.to_string(), first)
            }) {
                out.push((p, t));
            }
        }
    }
    out
}

/// Remembers the first row with each value of a uniqueness key and reports later ones.
pub(crate) struct Unique<K> {
    first: HashMap<K, Origin>,
}

impl<K> Default for Unique<K> {
    fn default() -> Self {
        Unique {
            first: HashMap::new(),
        }
    }
}

impl<K: std::hash::Hash + Eq> Unique<K> {
    /// `true` when `k` is new; otherwise records `message(where the first one is)`.
    pub fn first(
        &mut self,
        k: K,
        origin: &Origin,
        errors: &mut Errors,
        message: impl FnOnce(&str) -> String,
    ) -> bool {
        match self.first.get(&k) {
            Some(first) => {
                errors.at(origin, message(&first.cited_from(&origin.file)));
                false
            }
            None => {
                self.first.insert(k, origin.clone());
                true
            }
        }
    }
}

fn indicator(r: &Row<'_>, errors: &mut Errors) -> Option<IndicatorData> {
    r.only(
        errors,
        &[
            "key",
            "goal",
            "name",
            "unit",
            "direction",
            "source",
            "kolada_kpi",
            "decimals",
            "frequency",
            "margin_basis",
            "trend_window",
            "position",
            "outcomes",
            "milestones",
            "targets",
            "comparisons",
            "gaps",
            "comments",
            "comparison_groups",
        ],
    );
    let key = r.req(errors, "key", &key_of);
    let goal = r.req(errors, "goal", &key_of);
    let name = r.req(errors, "name", &text(NAME_MAX));
    let unit = r.req(errors, "unit", &text(NAME_MAX));
    let direction = r.req(
        errors,
        "direction",
        &choice(Direction::parse, &["higher", "lower", "none"]),
    );
    let source = r.opt(errors, "source", &text(NAME_MAX)).unwrap_or_default();
    let kolada_kpi = r.opt(errors, "kolada_kpi", &kpi_id);
    let comparison_groups = list(r, errors, "comparison_groups", &key_of, Key::to_string);
    if comparison_groups.as_ref().is_some_and(|g| !g.is_empty()) && !written(r, "kolada_kpi") {
        errors.at(&r.at("comparison_groups"), messages::groups_need_kpi());
    }
    let decimals = r.opt(errors, "decimals", &integer(0, 6)).unwrap_or(0);
    let frequency = r.opt(
        errors,
        "frequency",
        &choice(
            Frequency::parse,
            &["year", "tertial", "month", "week", "biennial"],
        ),
    );
    let margin_basis = r
        .opt(
            errors,
            "margin_basis",
            &choice(parse_margin_basis, MARGIN_BASIS_CODES),
        )
        .flatten();
    let trend_window = r.opt(
        errors,
        "trend_window",
        &choice(TrendWindow::parse, &["last_two", "series"]),
    );
    let position = r.opt(errors, "position", &integer(i64::MIN, i64::MAX));
    let percent = unit.as_deref() == Some("%");
    Some(IndicatorData {
        origin: r.origin.clone(),
        outcomes: outcomes(r, errors, percent),
        milestones: year_targets(r, errors, "milestones"),
        targets: year_targets(r, errors, "targets"),
        comparisons: comparisons(r, errors),
        gaps: gaps(r, errors),
        comments: comments(r, errors),
        key: key?,
        goal: goal?,
        name: name?,
        unit: unit?,
        direction: direction?,
        source,
        kolada_kpi: kolada_kpi.map(|k| k.to_string()).unwrap_or_default(),
        comparison_groups,
        decimals: u8::try_from(decimals).expect("decimals range fits u8"),
        frequency: frequency.unwrap_or(Frequency::Year),
        margin_basis,
        trend_window: trend_window.unwrap_or_default(),
        position,
    })
}

/// The codes a margin basis may be written as (`survey:480`: a survey of about 480
/// answers); an empty text means "as the source implies".
pub(crate) const MARGIN_BASIS_CODES: &[&str] = &[
    "exact",
    "published",
    "survey",
    "survey:<antal svar>",
    "unknown",
];

/// A margin basis code, or `Some(None)` for an empty one (as the source implies).
pub(crate) fn parse_margin_basis(code: &str) -> Option<Option<MarginBasis>> {
    if code.trim().is_empty() {
        return Some(None);
    }
    MarginBasis::parse(code).map(Some)
}

fn outcomes(r: &Row<'_>, errors: &mut Errors, percent: bool) -> Vec<Outcome> {
    let mut seen = Unique::default();
    let mut out = Vec::new();
    for o in r.rows(errors, "outcomes") {
        let errors_before = errors.count();
        o.only(
            errors,
            &["period", "breakdown", "value", "margin", "sample_size"],
        );
        let p = o.req(errors, "period", &period);
        let breakdown = o
            .opt(errors, "breakdown", &breakdown)
            .unwrap_or(Breakdown::Total);
        let value = o.req(errors, "value", &number);
        let margin = o.opt(errors, "margin", &non_negative);
        let sample_size = o.opt(errors, "sample_size", &integer(0, i64::MAX));
        if let (true, Some(v)) = (percent, value) {
            if !(0.0..=100.0).contains(&v) {
                errors.at(&o.at("value"), messages::percent_out_of_range(v));
            }
        }
        // A wrong row is left out, so that it causes no second error (e.g. a duplicate).
        let (Some(p), Some(value), true) = (p, value, errors.count() == errors_before) else {
            continue;
        };
        let label = breakdown.code();
        if seen.first((p, breakdown.clone()), &o.origin, errors, |f| {
            messages::duplicate_outcome(&p.to_string(), &label, f)
        }) {
            out.push(Outcome {
                period: p,
                breakdown,
                value,
                margin,
                sample_size,
            });
        }
    }
    out
}

fn breakdown(v: &toml::Value) -> Result<Breakdown, String> {
    let s = text(200)(v)?;
    Breakdown::parse(&s).map_err(|e| messages::breakdown(&e))
}

fn target(v: &toml::Value) -> Result<Target, String> {
    match v {
        toml::Value::Integer(_) | toml::Value::Float(_) => Target::parse(&v.to_string()),
        other => Target::parse(&text(200)(other)?),
    }
    .map_err(|e| messages::target(&e))
}

fn year_targets(r: &Row<'_>, errors: &mut Errors, field: &str) -> Vec<(i32, Target)> {
    let mut seen = Unique::default();
    let mut out = Vec::new();
    for m in r.rows(errors, field) {
        m.only(errors, &["year", "target"]);
        let y = m.req(errors, "year", &year);
        let t = m.req(errors, "target", &target);
        let (Some(y), Some(t)) = (y, t) else { continue };
        if seen.first(y, &m.origin, errors, |f| messages::duplicate_year(y, f)) {
            out.push((y, t));
        }
    }
    out
}

fn comparisons(r: &Row<'_>, errors: &mut Errors) -> Vec<Comparison> {
    let mut merged: Vec<(Comparison, Origin)> = Vec::new();
    for c in r.rows(errors, "comparisons") {
        let Some(new) = comparison(&c, errors) else {
            continue;
        };
        match merged
            .iter_mut()
            .find(|(m, _)| m.period == new.period && m.group == new.group)
        {
            Some((existing, first)) => merge_comparison(existing, new, &c.origin, first, errors),
            None => merged.push((new, c.origin.clone())),
        }
    }
    merged.into_iter().map(|(c, _)| c).collect()
}

fn comparison(c: &Row<'_>, errors: &mut Errors) -> Option<Comparison> {
    c.only(errors, &["period", "group", "rank", "of", "average"]);
    let p = c.req(errors, "period", &period);
    let group = c.req(errors, "group", &text(NAME_MAX));
    let rank = c.opt(errors, "rank", &integer(1, i64::MAX));
    let of = c.opt(errors, "of", &integer(1, i64::MAX));
    let average = c.opt(errors, "average", &number);
    match (rank, of) {
        (Some(_), None) if !c.table.contains_key("of") => {
            errors.at(&c.at("of"), messages::rank_without_of())
        }
        (Some(rank), Some(of)) if rank > of => {
            errors.at(&c.at("rank"), messages::rank_out_of_range(rank, of))
        }
        _ => {}
    }
    Some(Comparison {
        period: p?,
        group: group?,
        rank,
        of,
        average,
    })
}

/// Rows for the same period and group complete each other (a report may publish the rank
/// and the group average in separate tables); giving one field twice is an error.
fn merge_comparison(
    into: &mut Comparison,
    new: Comparison,
    origin: &Origin,
    first: &Origin,
    errors: &mut Errors,
) {
    let mut twice = |field: &str| {
        let m = messages::duplicate_comparison(
            &new.period.to_string(),
            &new.group,
            field,
            &first.cited_from(&origin.file),
        );
        errors.at(origin, m);
    };
    if into.rank.is_some() && new.rank.is_some() || into.of.is_some() && new.of.is_some() {
        twice("rank/of");
    }
    if into.average.is_some() && new.average.is_some() {
        twice("average");
    }
    into.rank = into.rank.or(new.rank);
    into.of = into.of.or(new.of);
    into.average = into.average.or(new.average);
}

fn gaps(r: &Row<'_>, errors: &mut Errors) -> Vec<GapJudgement> {
    let mut seen = Unique::default();
    let mut out = Vec::new();
    for g in r.rows(errors, "gaps") {
        g.only(errors, &["period", "kind", "unjustified", "comment"]);
        let p = g.req(errors, "period", &period);
        let kind = g.req(errors, "kind", &choice(GapKind::parse, &["gender", "area"]));
        let unjustified = g.req(errors, "unjustified", &boolean);
        let comment = g
            .opt(errors, "comment", &long_text(TEXT_MAX))
            .unwrap_or_default();
        let (Some(p), Some(kind), Some(unjustified)) = (p, kind, unjustified) else {
            continue;
        };
        if seen.first((p, kind), &g.origin, errors, |f| {
            messages::duplicate_gap(&p.to_string(), kind.code(), f)
        }) {
            out.push(GapJudgement {
                period: p,
                kind,
                unjustified,
                comment,
            });
        }
    }
    out
}

fn comments(r: &Row<'_>, errors: &mut Errors) -> Vec<OutcomeComment> {
    let mut seen = Unique::default();
    let mut out = Vec::new();
    for c in r.rows(errors, "comments") {
        c.only(errors, &["period", "text"]);
        let p = c.req(errors, "period", &period);
        let t = c.req(errors, "text", &long_text(TEXT_MAX));
        let (Some(p), Some(t)) = (p, t) else { continue };
        if seen.first(p, &c.origin, errors, |f| {
            messages::duplicate_period(&p.to_string(), f)
        }) {
            out.push(OutcomeComment { period: p, text: t });
        }
    }
    out
}

fn commitment(r: &Row<'_>, errors: &mut Errors) -> Option<CommitmentData> {
    r.only(
        errors,
        &[
            "key",
            "goal",
            "title",
            "description",
            "year",
            "carried_over_from",
            "statuses",
        ],
    );
    let key = r.req(errors, "key", &key_of);
    let goal = r.req(errors, "goal", &key_of);
    let title = r.req(errors, "title", &text(NAME_MAX));
    let description = r
        .opt(errors, "description", &long_text(TEXT_MAX))
        .unwrap_or_default();
    let y = r.req(errors, "year", &year);
    let carried_over_from = r.opt(errors, "carried_over_from", &key_of);
    let statuses = statuses(r, errors);
    Some(CommitmentData {
        origin: r.origin.clone(),
        key: key?,
        goal: goal?,
        title: title?,
        description,
        year: y?,
        carried_over_from,
        statuses,
    })
}

fn status(v: &toml::Value) -> Result<CommitmentStatus, String> {
    let s = text(NAME_MAX)(v)?;
    CommitmentStatus::parse(&s).ok_or_else(|| messages::unknown_status(&s))
}

fn statuses(r: &Row<'_>, errors: &mut Errors) -> Vec<StatusData> {
    let mut out = Vec::new();
    for s in r.rows(errors, "statuses") {
        s.only(errors, &["date", "status", "comment"]);
        let d = s.req(errors, "date", &date);
        let st = s.req(errors, "status", &status);
        let comment = s
            .opt(errors, "comment", &long_text(TEXT_MAX))
            .unwrap_or_default();
        if let (Some(date), Some(status)) = (d, st) {
            out.push(StatusData {
                date,
                status,
                comment,
            });
        }
    }
    out
}

fn assessment(r: &Row<'_>, errors: &mut Errors) -> Option<AssessmentData> {
    r.only(
        errors,
        &[
            "org",
            "goal",
            "period",
            "level",
            "stage",
            "motivation",
            "author",
            "date",
        ],
    );
    let org = r.req(errors, "org", &key_of);
    let goal = r.opt(errors, "goal", &key_of);
    let p = r.req(errors, "period", &period);
    let level = r.req(errors, "level", &text(NAME_MAX));
    let stage = r.opt(
        errors,
        "stage",
        &choice(Stage::parse, &["decided", "proposed"]),
    );
    let motivation = r
        .opt(errors, "motivation", &long_text(TEXT_MAX))
        .unwrap_or_default();
    let author = r.opt(errors, "author", &text(NAME_MAX)).unwrap_or_default();
    let d = r.opt(errors, "date", &date).unwrap_or_default();
    Some(AssessmentData {
        origin: r.origin.clone(),
        org: org?,
        goal,
        period: p?,
        level: level?,
        stage: stage.unwrap_or(Stage::Decided),
        motivation,
        author,
        date: d,
    })
}

fn period_review(r: &Row<'_>, errors: &mut Errors) -> Option<PeriodReviewData> {
    r.only(errors, &["org", "period", "events", "improvement_areas"]);
    let org = r.req(errors, "org", &key_of);
    let p = r.req(errors, "period", &period);
    let mut items = |field: &str| {
        let items = r.text_list(errors, field, TEXT_MAX);
        for (i, item) in items.iter().enumerate() {
            if item.contains(['\n', '\r']) {
                errors.at(
                    &r.origin.field(&format!("{field}[{i}]")),
                    messages::LINE_BREAK_IN_ITEM.into(),
                );
            }
        }
        items
    };
    let events = items("events");
    let improvement_areas = items("improvement_areas");
    Some(PeriodReviewData {
        origin: r.origin.clone(),
        org: org?,
        period: p?,
        events,
        improvement_areas,
    })
}

fn decision(r: &Row<'_>, errors: &mut Errors) -> Option<DecisionData> {
    r.only(
        errors,
        &[
            "org",
            "period",
            "body",
            "decided_on",
            "paragraph",
            "diary_number",
        ],
    );
    let org = r.req(errors, "org", &key_of);
    let p = r.req(errors, "period", &period);
    let body = r.req(errors, "body", &text(NAME_MAX));
    let decided_on = r.opt(errors, "decided_on", &date).unwrap_or_default();
    let paragraph = r
        .opt(errors, "paragraph", &text(NAME_MAX))
        .unwrap_or_default();
    let diary_number = r
        .opt(errors, "diary_number", &text(NAME_MAX))
        .unwrap_or_default();
    Some(DecisionData {
        origin: r.origin.clone(),
        org: org?,
        period: p?,
        body: body?,
        decided_on,
        paragraph,
        diary_number,
    })
}

/// `[kolada]`: our municipality (required in the table) and the API's address.
fn kolada_settings(r: &Row<'_>, errors: &mut Errors) -> Option<KoladaData> {
    r.only(errors, &["municipality", "api_url"]);
    let municipality = r.req(errors, "municipality", &municipality_id);
    let api_url = r.opt(errors, "api_url", &api_url);
    Some(KoladaData {
        origin: r.origin.clone(),
        municipality: municipality?,
        api_url,
    })
}

fn comparison_group(r: &Row<'_>, errors: &mut Errors) -> Option<ComparisonGroupData> {
    r.only(errors, &["key", "title", "kolada_id", "members"]);
    let key = r.req(errors, "key", &key_of);
    let title = r.req(errors, "title", &text(NAME_MAX));
    let kolada_id = r.opt(errors, "kolada_id", &kolada_group_id);
    let members = list(r, errors, "members", &municipality_id, |m| m.to_string());
    // Only a Kolada group may wait for its members (a wrong kolada_id or wrong members are
    // reported already, not once more as missing).
    let none_listed = match r.table.get("members") {
        None => true,
        Some(toml::Value::Array(items)) => items.is_empty(),
        Some(_) => false,
    };
    if none_listed && !written(r, "kolada_id") {
        errors.at(&r.at("members"), messages::custom_group_needs_members());
    }
    Some(ComparisonGroupData {
        origin: r.origin.clone(),
        key: key?,
        title: title?,
        kolada_id,
        members: members.unwrap_or_default(),
    })
}

/// Whether a field is given (a blank text counts as absent), right or wrong.
pub(crate) fn written(r: &Row<'_>, field: &str) -> bool {
    r.table
        .get(field)
        .is_some_and(|v| v.as_str().is_none_or(|s| !s.trim().is_empty()))
}

/// A list field whose items each convert, in order; `None` when the field is absent. A
/// wrong item is reported at `field[i]`, an item given twice at its second place; both
/// are left out.
pub(crate) fn list<T: PartialEq>(
    r: &Row<'_>,
    errors: &mut Errors,
    field: &str,
    convert: Convert<'_, T>,
    shown: impl Fn(&T) -> String,
) -> Option<Vec<T>> {
    let value = r.table.get(field)?;
    let toml::Value::Array(items) = value else {
        errors.at(&r.at(field), messages::wrong_type(Expected::List));
        return None;
    };
    let mut out: Vec<T> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = r.at(&format!("{field}[{i}]"));
        match convert(item) {
            Ok(v) if out.contains(&v) => errors.at(&at, messages::duplicate_in_list(&shown(&v))),
            Ok(v) => out.push(v),
            Err(m) => errors.at(&at, m),
        }
    }
    Some(out)
}

/// A Kolada municipality id: four digits, written as text (`"0126"`: as a TOML number the
/// leading zero would be lost).
fn municipality_id(v: &toml::Value) -> Result<MunicipalityId, String> {
    let s = text(NAME_MAX)(v)?;
    MunicipalityId::parse(&s).ok_or_else(|| messages::invalid_municipality_id(&s))
}

fn kpi_id(v: &toml::Value) -> Result<KpiId, String> {
    let s = text(NAME_MAX)(v)?;
    KpiId::parse(&s).ok_or_else(|| messages::invalid_kpi_id(&s))
}

fn kolada_group_id(v: &toml::Value) -> Result<String, String> {
    let s = text(NAME_MAX)(v)?;
    crate::kolada::group_id(&s)
        .map(str::to_string)
        .ok_or_else(|| messages::invalid_group_id(&s))
}

/// The API's address: `http(s)://` and a host; stored without a trailing slash.
fn api_url(v: &toml::Value) -> Result<String, String> {
    let s = text(NAME_MAX)(v)?;
    crate::kolada::api_address(&s).ok_or_else(|| messages::invalid_api_url(&s))
}

#[cfg(test)]
mod text_rule {
    use crate::parse_str;

    const DOC: &str = r#"format = "uppsikt/1"

[[org_units]]
key = "kommun"
name = "NAME"
short_name = "Kommun"
kind = "kommun"

[[goals]]
key = "bo"
org = "kommun"
title = "TITLE"
description = "DESCRIPTION"
"#;

    fn doc(name: &str, title: &str, description: &str) -> String {
        DOC.replace("NAME", name)
            .replace("TITLE", title)
            .replace("DESCRIPTION", description)
    }

    #[test]
    fn data_files_refuse_control_and_direction_characters_by_name() {
        for (text, location, code) in [
            (
                doc("Kommun", "Bra\\u202Eatt", ""),
                "goals[0].title",
                "U+202E",
            ),
            (
                doc("Kom\\u0000mun", "Bo", ""),
                "org_units[0].name",
                "U+0000",
            ),
            (doc("Kommun", "Två\\nrader", ""), "goals[0].title", "U+000A"),
            (
                doc("Kommun", "Bo", "Osynligt\\u200B"),
                "goals[0].description",
                "U+200B",
            ),
            (
                doc("Kommun", "Bo", "Flykt\\u001B[31m"),
                "goals[0].description",
                "U+001B",
            ),
        ] {
            let report = parse_str("t.toml", &text).expect_err(code);
            assert_eq!(report.errors.len(), 1, "{report}");
            assert_eq!(report.errors[0].location, location);
            assert!(report.errors[0].message.contains(code), "{report}");
        }
    }

    #[test]
    fn multi_line_text_in_data_files_keeps_tabs_and_gets_unix_line_endings() {
        let data = parse_str("t.toml", &doc("Kommun", "Bo", "Rad ett\\r\\nRad\\ttvå")).unwrap();
        assert_eq!(data.goals[0].description, "Rad ett\nRad\ttvå");
    }
}
