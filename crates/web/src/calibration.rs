//! Bedömningsregler (`/regler`): how often the rules' proposal equals the level a board
//! decided, goal by goal with the basis; other settings tried without saving (a GET form,
//! current and tried agreement side by side, the goals whose proposal changes); saving the
//! settings as a new version with a motivation (a POST form); and every version saved.
//! Controllers and administrators ([`Action::ManageRules`](uppsikt_domain::access::Action)).

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, Response};
use uppsikt_domain::assessment::{
    calibrate, AssessmentRules, AssessmentScale, Basis, CalibratedCase, Calibration, DecidedCase,
    MissingOutcomes,
};
use uppsikt_domain::evaluation::EvaluationSettings;
use uppsikt_domain::messages;
use uppsikt_domain::model::Id;
use uppsikt_domain::number::format_sv;
use uppsikt_domain::Period;
use uppsikt_report::calibration::{decided_cases, BoardCases};
use uppsikt_report::followup::format_value;
use uppsikt_store::{RuleProblem, RuleVersion, COMMITMENT_WEIGHT_MAX, RELATIVE_THRESHOLD_MAX};

use crate::auth::Viewer;
use crate::error::{Query, Result};
use crate::forms::{saved, Errors, Field, FieldKind, Form, Input};
use crate::AppState;

/// The page's address.
pub const PATH: &str = "/regler";

/// Field names of the thresholds, one per level boundary.
const THRESHOLD_FIELDS: [&str; 12] = [
    "t0", "t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8", "t9", "t10", "t11",
];

/// Longest motivation, in characters.
const MOTIVATION_MAX: usize = 2000;

/// A share as the form shows it, in percent: `0.9` → `90`, `0.675` → `67,5`.
fn percent_value(share: f64) -> String {
    format_value(share * 100.0, 0, "")
}

fn percent(share: f64) -> String {
    format_value(share * 100.0, 0, "%")
}

/// "Förslaget stämmer med beslutad nivå för 5 av 20 mål (25 %)."
fn agreement_sv(c: &Calibration) -> String {
    match c.share() {
        Some(share) => format!(
            "Förslaget stämmer med beslutad nivå för {} av {} mål ({}\u{a0}%).",
            c.agreeing,
            c.compared,
            format_sv(share * 100.0, 0)
        ),
        None => "Det finns inga beslutade mål med förslag att jämföra med.".into(),
    }
}

/// The agreement of some of the cases ("3 av 4 stämmer, 1 utan förslag").
fn slice_agreement(cases: &[CalibratedCase]) -> String {
    let agreeing = cases.iter().filter(|c| c.agrees()).count();
    let compared = cases.iter().filter(|c| c.difference.is_some()).count();
    let without = cases.iter().filter(|c| c.proposal.is_none()).count();
    let mut s = format!("{agreeing} av {compared} stämmer");
    if without > 0 {
        s.push_str(&format!(", {without} utan förslag"));
    }
    s
}

fn share_sv(c: &Calibration) -> String {
    c.share()
        .map(|s| format!("{}\u{a0}%", format_sv(s * 100.0, 0)))
        .unwrap_or_else(|| "–".into())
}

fn levels_sv(n: i64) -> String {
    if n == 1 {
        "1 nivå".into()
    } else {
        format!("{n} nivåer")
    }
}

/// How a proposal differs from the decided level, in words.
fn difference_sv(c: &CalibratedCase) -> String {
    match (c.difference, &c.proposal) {
        (_, None) => "Inget förslag".into(),
        (None, Some(_)) => "Beslutad nivå finns inte på skalan".into(),
        (Some(0), _) => "Stämmer".into(),
        (Some(d), _) if d < 0 => format!("Förslaget {} bättre", levels_sv(-d)),
        (Some(d), _) => format!("Förslaget {} sämre", levels_sv(d)),
    }
}

fn proposal_sv(c: &CalibratedCase) -> String {
    c.proposal
        .as_ref()
        .map(|p| format!("{} ({}\u{a0}%)", p.level, format_sv(p.share * 100.0, 0)))
        .unwrap_or_else(|| "Underlag saknas".into())
}

/// One goal's row in a board's table.
pub struct CaseRow {
    pub goal_id: Id,
    pub goal: String,
    pub decided: String,
    pub proposal: String,
    pub difference: String,
    pub agrees: bool,
    pub tried: Option<(String, String, bool)>,
    pub basis: String,
}

pub struct BoardTable {
    pub heading: String,
    pub agreement: String,
    pub rows: Vec<CaseRow>,
}

/// A goal whose proposal the tried rules change.
pub struct ChangedRow {
    pub goal_id: Id,
    pub goal: String,
    pub board: String,
    pub decided: String,
    pub current: String,
    pub tried: String,
}

pub struct VersionRow {
    pub number: usize,
    pub saved_at: String,
    pub saved_by: String,
    pub motivation: String,
    pub thresholds: String,
    pub weight: String,
    pub penalty: String,
    pub missing: String,
    pub relative: String,
}

/// One of the settings forms: its fields, and a message not at any field.
pub struct SettingsForm {
    pub prefix: &'static str,
    pub fields: Vec<Field>,
    pub general: Option<String>,
}

impl SettingsForm {
    pub fn has_errors(&self) -> bool {
        self.general.is_some() || self.fields.iter().any(|f| f.error.is_some())
    }

    pub fn describedby(&self, f: &Field) -> String {
        let mut ids = Vec::new();
        if f.hint.is_some() {
            ids.push(format!("{}-{}-hint", self.prefix, f.name));
        }
        if f.error.is_some() {
            ids.push(format!("{}-{}-error", self.prefix, f.name));
        }
        ids.join(" ")
    }
}

#[derive(Template)]
#[template(path = "calibration.html")]
struct CalibrationPage {
    version: Option<VersionRow>,
    current_rules: Vec<(String, String)>,
    agreement: String,
    without_proposal: usize,
    comparison: Option<(String, String, String)>,
    changed: Vec<ChangedRow>,
    boards: Vec<BoardTable>,
    board_options: Vec<(String, String)>,
    board: String,
    try_form: SettingsForm,
    save_form: SettingsForm,
    versions: Vec<VersionRow>,
    notice: Option<String>,
}

impl CalibrationPage {
    fn forms(&self) -> [&SettingsForm; 2] {
        [&self.try_form, &self.save_form]
    }
}

fn version_row(v: &RuleVersion, scale: &AssessmentScale) -> VersionRow {
    VersionRow {
        number: v.number,
        saved_at: if v.saved_at.is_empty() {
            "vid uppgraderingen".into()
        } else {
            v.saved_at
                .replace('T', " ")
                .trim_end_matches('Z')
                .to_string()
        },
        saved_by: v.saved_by.clone(),
        motivation: v.motivation.clone(),
        thresholds: v
            .rules
            .thresholds
            .iter()
            .zip(&scale.levels)
            .map(|(t, l)| format!("{l} ≥\u{a0}{}", percent(*t)))
            .collect::<Vec<_>>()
            .join(", "),
        weight: format_value(v.rules.commitment_weight, 0, ""),
        penalty: levels_sv(v.rules.unfinished_commitment_penalty as i64),
        missing: v.rules.missing_outcomes.label_sv().into(),
        relative: percent(v.settings.relative_threshold),
    }
}

/// The settings' fields for `scale`, with the values of `rules` and `settings`.
fn settings_fields(
    scale: &AssessmentScale,
    rules: &AssessmentRules,
    settings: EvaluationSettings,
) -> Vec<Field> {
    let mut fields = Vec::new();
    let boundaries = scale.levels.len().saturating_sub(1);
    for (i, name) in THRESHOLD_FIELDS.iter().enumerate().take(boundaries) {
        let value = rules.thresholds.get(i).copied().unwrap_or_default();
        fields.push(
            Field::new(
                name,
                &format!("Lägsta andel för {} (%)", scale.levels[i]),
                FieldKind::Decimal,
            )
            .value(percent_value(value))
            .required(),
        );
    }
    if let Some(last) = scale.levels.last() {
        if let Some(f) = fields.first_mut() {
            f.hint = Some(format!(
                "Andelen uppnådda etappmål och klara åtaganden. Gränserna ska sjunka från bästa nivå; under den sista blir förslaget {last}."
            ));
        }
    }
    fields.push(
        Field::new("weight", "Vikt för ett åtagande", FieldKind::Decimal)
            .value(format_value(rules.commitment_weight, 0, ""))
            .hint("1 = ett åtagande väger lika mycket som ett mått med etappmål; 0 = åtaganden räknas inte i andelen.")
            .required(),
    );
    fields.push(
        Field::new(
            "penalty",
            "Sänkning för oavslutade åtaganden (nivåer)",
            FieldKind::Integer,
        )
        .value(rules.unfinished_commitment_penalty.to_string())
        .hint("Så många nivåer sänks förslaget om något åtagande inte är klart; 0 = bara andelen räknas.")
        .required(),
    );
    fields.push(
        Field::new(
            "missing",
            "Mått med etappmål men utan utfall",
            FieldKind::Select(
                MissingOutcomes::ALL
                    .iter()
                    .map(|m| (m.code().to_string(), m.label_sv().to_string()))
                    .collect(),
            ),
        )
        .value(rules.missing_outcomes.code())
        .required(),
    );
    fields.push(
        Field::new("relative", "Relativ tröskel för förändring (%)", FieldKind::Decimal)
            .value(percent_value(settings.relative_threshold))
            .hint("En förändring som är mindre än så här stor del av det tidigare värdet räknas inte som förändring (t.ex. 1). 0 = av.")
            .required(),
    );
    fields
}

/// Parses the settings fields; every problem is collected at its field.
fn parse_settings(
    scale: &AssessmentScale,
    input: &Input,
    e: &mut Errors,
) -> Option<(AssessmentRules, EvaluationSettings)> {
    let boundaries = scale.levels.len().saturating_sub(1);
    let mut thresholds = Vec::new();
    let mut complete = boundaries <= THRESHOLD_FIELDS.len();
    for (i, name) in THRESHOLD_FIELDS.iter().enumerate().take(boundaries) {
        let level = &scale.levels[i];
        match e.decimal(input, name) {
            Some(v) if (0.0..=100.0).contains(&v) => {
                if thresholds.last().is_some_and(|better| v / 100.0 > *better) {
                    e.add(
                        name,
                        messages::rules::threshold_order(level, &scale.levels[i - 1]),
                    );
                    complete = false;
                }
                thresholds.push(v / 100.0);
            }
            Some(_) => {
                e.add(name, messages::rules::threshold_range(level));
                complete = false;
            }
            None => complete = false,
        }
    }
    let weight = match e.decimal(input, "weight") {
        Some(w) if (0.0..=COMMITMENT_WEIGHT_MAX).contains(&w) => Some(w),
        Some(_) => {
            e.add(
                "weight",
                messages::rules::weight_range(COMMITMENT_WEIGHT_MAX),
            );
            None
        }
        None => None,
    };
    let max_penalty = i64::try_from(scale.levels.len().saturating_sub(1)).unwrap_or(0);
    let penalty = e.integer(input, "penalty", 0, max_penalty);
    let missing = e.choice(input, "missing", MissingOutcomes::parse);
    let relative = match e.decimal(input, "relative") {
        Some(r) if (0.0..=RELATIVE_THRESHOLD_MAX * 100.0).contains(&r) => Some(r / 100.0),
        Some(_) => {
            e.add(
                "relative",
                messages::rules::relative_threshold_range(RELATIVE_THRESHOLD_MAX * 100.0),
            );
            None
        }
        None => None,
    };
    let (Some(weight), Some(penalty), Some(missing), Some(relative), true) =
        (weight, penalty, missing, relative, complete)
    else {
        return None;
    };
    let rules = AssessmentRules {
        thresholds,
        commitment_weight: weight,
        unfinished_commitment_penalty: usize::try_from(penalty).unwrap_or(0),
        missing_outcomes: missing,
    };
    let settings = EvaluationSettings {
        relative_threshold: relative,
    };
    match uppsikt_store::check_rules(scale, &rules, settings) {
        Ok(()) => Some((rules, settings)),
        Err(problem) => {
            refuse(e, scale, &problem);
            None
        }
    }
}

/// A store's refusal at the field it concerns.
fn refuse(e: &mut Errors, scale: &AssessmentScale, problem: &RuleProblem) {
    match problem {
        RuleProblem::Rules(r) => e.add("t0", messages::rules(r)),
        RuleProblem::Weight(_) => e.add(
            "weight",
            messages::rules::weight_range(COMMITMENT_WEIGHT_MAX),
        ),
        RuleProblem::Penalty(p) => e.add(
            "penalty",
            messages::integer_range(
                &p.to_string(),
                0,
                i64::try_from(scale.levels.len().saturating_sub(1)).unwrap_or(0),
            ),
        ),
        RuleProblem::RelativeThreshold(_) => e.add(
            "relative",
            messages::rules::relative_threshold_range(RELATIVE_THRESHOLD_MAX * 100.0),
        ),
        RuleProblem::NoMotivation => e.add("motivation", messages::rules::MOTIVATION_REQUIRED),
        RuleProblem::Unchanged => e.add("general", messages::rules::UNCHANGED),
    }
}

/// Puts the errors on the form's fields; one for no field becomes its general message.
fn apply(mut form: SettingsForm, mut e: Errors) -> SettingsForm {
    for f in &mut form.fields {
        f.error = e.0.remove(f.name);
    }
    form.general = e.0.into_values().next();
    form
}

fn fill(mut form: SettingsForm, input: &Input) -> SettingsForm {
    for f in &mut form.fields {
        if let Some(v) = input.get(f.name) {
            f.value = v.clone();
        }
    }
    form
}

/// What the page is asked to show besides the rules that apply.
#[derive(Default)]
struct Request {
    /// The tried settings as typed (GET), when trying.
    tried: Option<Input>,
    /// The save form as sent (POST) with its errors, when saving failed.
    refused_save: Option<(Input, Errors)>,
    board: Option<Id>,
    notice: Option<String>,
}

async fn render(state: &AppState, request: Request) -> Result<Response> {
    let (scale, rules) = state.store.assessment_config().await?;
    let versions = state.store.rule_versions().await?;
    let settings = versions.first().map(|v| v.settings).unwrap_or_default();
    let all = decided_cases(&state.store, None, None).await?;
    let mut board_options: Vec<(String, String)> = vec![(String::new(), "Alla".into())];
    for b in &all {
        let id = b.org.id.to_string();
        if !board_options.iter().any(|(v, _)| *v == id) {
            board_options.push((id, b.org.name.clone()));
        }
    }
    let shown: Vec<&BoardCases> = all
        .iter()
        .filter(|b| request.board.is_none_or(|id| b.org.id == id))
        .collect();
    let cases: Vec<_> = shown.iter().flat_map(|b| b.cases.iter().cloned()).collect();
    let current = calibrate(&scale, &rules, cases.clone());

    // Trying: the tried settings, parsed; their calibration when they are valid.
    let mut try_form = SettingsForm {
        prefix: "try",
        fields: settings_fields(&scale, &rules, settings),
        general: None,
    };
    let mut tried_settings = None;
    if let Some(input) = &request.tried {
        let mut e = Errors::default();
        let parsed = parse_settings(&scale, input, &mut e);
        try_form = apply(fill(try_form, input), e);
        tried_settings = parsed;
    }
    let tried = match &tried_settings {
        None => None,
        // The relative threshold changes which indicators reached an Öka, Minska or Behåll
        // milestone: the basis is judged again under the tried one.
        Some((r, s)) => {
            let judged: HashMap<(Id, Period, Id), Basis> =
                decided_cases(&state.store, None, Some(*s))
                    .await?
                    .into_iter()
                    .flat_map(|b| {
                        let org = b.org.id;
                        b.cases
                            .into_iter()
                            .map(move |c| ((org, c.period, c.goal_id), c.basis))
                    })
                    .collect();
            let rejudged = shown
                .iter()
                .flat_map(|b| {
                    let judged = &judged;
                    b.cases.iter().map(move |c| DecidedCase {
                        basis: judged
                            .get(&(b.org.id, c.period, c.goal_id))
                            .copied()
                            .unwrap_or(c.basis),
                        ..c.clone()
                    })
                })
                .collect();
            Some(calibrate(&scale, r, rejudged))
        }
    };

    // Saving: the tried settings are offered for saving; a refused save keeps its input.
    let (save_rules, save_settings) = tried_settings
        .clone()
        .unwrap_or_else(|| (rules.clone(), settings));
    let mut save_form = SettingsForm {
        prefix: "save",
        fields: settings_fields(&scale, &save_rules, save_settings),
        general: None,
    };
    save_form.fields.push(
        Field::new("motivation", "Motivering", FieldKind::Textarea(4))
            .hint("Varför reglerna ändras, t.ex. vilken jämförelse med besluten som ligger bakom. Sparas med versionen.")
            .required(),
    );
    let save_refused = request.refused_save.is_some();
    if let Some((input, e)) = request.refused_save {
        save_form = apply(fill(save_form, &input), e);
    }

    let mut boards = Vec::new();
    let mut offset = 0;
    for b in &shown {
        let n = b.cases.len();
        let mine = slice_agreement(&current.cases[offset..offset + n]);
        let rows = current.cases[offset..offset + n]
            .iter()
            .enumerate()
            .map(|(i, c)| CaseRow {
                goal_id: c.case.goal_id,
                goal: c.case.goal.clone(),
                decided: c.case.decided.clone(),
                proposal: proposal_sv(c),
                difference: difference_sv(c),
                agrees: c.agrees(),
                tried: tried.as_ref().map(|t| {
                    let t = &t.cases[offset + i];
                    (proposal_sv(t), difference_sv(t), t.agrees())
                }),
                basis: c.case.basis.summary_sv(),
            })
            .collect();
        boards.push(BoardTable {
            heading: format!("{} {}", b.org.name, b.period.label_sv()),
            agreement: mine,
            rows,
        });
        offset += n;
    }
    let mut changed = Vec::new();
    if let Some(t) = &tried {
        let mut offset = 0;
        for b in &shown {
            for i in offset..offset + b.cases.len() {
                let (c, t) = (&current.cases[i], &t.cases[i]);
                let level = |c: &CalibratedCase| c.proposal.as_ref().map(|p| p.position);
                if level(c) != level(t) {
                    changed.push(ChangedRow {
                        goal_id: c.case.goal_id,
                        goal: c.case.goal.clone(),
                        board: format!("{} {}", b.org.short_name, b.period.label_sv()),
                        decided: c.case.decided.clone(),
                        current: proposal_sv(c),
                        tried: proposal_sv(t),
                    });
                }
            }
            offset += b.cases.len();
        }
    }
    let comparison = tried.as_ref().map(|t| {
        (
            share_sv(&current),
            share_sv(t),
            format!(
                "{} {}",
                agreement_sv(t),
                if t.without_proposal > 0 {
                    format!("{} mål saknar förslag.", t.without_proposal)
                } else {
                    String::new()
                }
            )
            .trim()
            .to_string(),
        )
    });
    let mut current_rules: Vec<(String, String)> = rules
        .thresholds
        .iter()
        .zip(&scale.levels)
        .map(|(t, l)| (format!("Lägsta andel för {l}"), percent(*t)))
        .collect();
    current_rules.extend([
        (
            "Vikt för ett åtagande".to_string(),
            format_value(rules.commitment_weight, 0, ""),
        ),
        (
            "Sänkning för oavslutade åtaganden".to_string(),
            levels_sv(rules.unfinished_commitment_penalty as i64),
        ),
        (
            "Mått med etappmål men utan utfall".to_string(),
            rules.missing_outcomes.label_sv().to_string(),
        ),
        (
            "Relativ tröskel för förändring".to_string(),
            percent(settings.relative_threshold),
        ),
    ]);
    let invalid = try_form.has_errors() || save_refused;
    let page = CalibrationPage {
        version: versions.first().map(|v| version_row(v, &scale)),
        current_rules,
        agreement: agreement_sv(&current),
        without_proposal: current.without_proposal,
        comparison,
        changed,
        boards,
        board_options,
        board: request.board.map(|b| b.to_string()).unwrap_or_default(),
        try_form,
        save_form,
        versions: versions.iter().map(|v| version_row(v, &scale)).collect(),
        notice: request.notice,
    };
    let status = if invalid {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(crate::jobs::uncached((status, Html(page.render()?))))
}

/// The board filter (`enhet`): empty for all; anything else must be an id.
fn board_param(q: &HashMap<String, String>) -> Result<Option<Id>> {
    match q.get("enhet").map(|s| s.trim()).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(raw) => raw
            .parse::<Id>()
            .map(Some)
            .map_err(|_| crate::error::AppError::BadRequest(messages::unknown_choice(raw))),
    }
}

/// GET `/regler`: the rules that apply, their agreement with the decided levels, and with
/// `?prova=1` the agreement of the settings in the query.
pub async fn page(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response> {
    let board = board_param(&q)?;
    let notice = q
        .get("sparad")
        .and_then(|n| n.parse::<usize>().ok())
        .map(|n| format!("Version {n} av reglerna är sparad och gäller nu."));
    let tried = q.contains_key("prova").then(|| q.clone());
    render(
        &state,
        Request {
            tried,
            refused_save: None,
            board,
            notice,
        },
    )
    .await
}

/// POST `/regler`: saves the settings as a new version, or shows the page again (422) with
/// everything typed and the messages at their fields.
pub async fn save(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(input): Form<Input>,
) -> Result<Response> {
    let (scale, _) = state.store.assessment_config().await?;
    let mut e = Errors::default();
    let parsed = parse_settings(&scale, &input, &mut e);
    let motivation = if Errors::is_blank(&input, "motivation") {
        e.add("motivation", messages::rules::MOTIVATION_REQUIRED);
        None
    } else {
        e.paragraphs(&input, "motivation", MOTIVATION_MAX)
    };
    let refused = match (parsed, motivation, e.is_empty()) {
        (Some((rules, settings)), Some(motivation), true) => {
            let mut w = state
                .store
                .writer(&viewer.actor(), uppsikt_store::ChangeSource::Form)
                .await?;
            match w.save_rules(&rules, settings, &motivation).await? {
                Ok(_) => {
                    w.commit().await?;
                    let number = state.store.rule_versions().await?.len();
                    return Ok(saved(format!("{PATH}?sparad={number}")));
                }
                Err(problem) => {
                    w.rollback().await?;
                    let mut e = Errors::default();
                    refuse(&mut e, &scale, &problem);
                    e
                }
            }
        }
        _ => e,
    };
    render(
        &state,
        Request {
            tried: None,
            refused_save: Some((input, refused)),
            board: None,
            notice: None,
        },
    )
    .await
}
