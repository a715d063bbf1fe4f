//! The `[[control_plans]]` section of the uppsikt/1 format: a board's internal-control plan
//! for a year (`domain::internal_control`) with its risks, actions and controls, each named
//! by the plan's own key (RK01, R07, C03 …), and the controls' planned occurrences with
//! what was recorded for them. Rows become domain types here; keys are checked within their
//! plan (unique, the risks and blockers an action names exist).

use std::collections::HashMap;

use uppsikt_domain::internal_control::{
    ActionSource, ActionStatus, Adoption, Blocker, ContractFollowUp, ControlKind, ControlPlan,
    ControlResult, Discontinuation, Execution, ExecutionError, FirstDocumented, OverallAssessment,
    RiskAnalysis, Verification,
};
use uppsikt_domain::messages::{self, internal_control as ic};
use uppsikt_domain::model::Id;
use uppsikt_store::{ActionInput, ControlInput, NewControlPlan, PlanHeader, RiskInput, Writer};

use crate::data::*;
use crate::load::At;
use crate::parse::{list, written, Unique};
use crate::reader::{boolean, date, key_of, long_text, text, year, Row};
use crate::report::{quoted, Errors, ImportReport};

/// The codes of a control's kind, as the format writes them.
const KINDS: &[&str] = &["systematisk", "avtalsuppföljning"];

/// A contract follow-up's own fields.
const FOLLOW_UP_FIELDS: [&str; 4] = ["follow_up_kind", "schedule", "interval", "recipients"];

pub(crate) fn control_plan(r: &Row<'_>, errors: &mut Errors) -> Option<ControlPlanData> {
    r.only(
        errors,
        &[
            "org",
            "year",
            "rule_ref",
            "legal_basis",
            "adoption",
            "risk_analysis",
            "self_assessment",
            "auditor_assessment",
            "risks",
            "actions",
            "controls",
        ],
    );
    let org = r.req(errors, "org", &key_of);
    let y = r.req(errors, "year", &year);
    let rule_ref = r
        .opt(errors, "rule_ref", &text(NAME_MAX))
        .unwrap_or_default();
    let legal_basis = r
        .opt(errors, "legal_basis", &text(NAME_MAX))
        .unwrap_or_default();
    let adoption = r
        .sub_table(errors, "adoption")
        .and_then(|t| adoption(&t, errors));
    let risk_analysis = r
        .sub_table(errors, "risk_analysis")
        .and_then(|t| risk_analysis(&t, errors));
    let self_assessment = r
        .sub_table(errors, "self_assessment")
        .and_then(|t| assessment(&t, errors));
    let auditor_assessment = r
        .sub_table(errors, "auditor_assessment")
        .and_then(|t| assessment(&t, errors));
    let risks: Vec<RiskData> = r
        .rows(errors, "risks")
        .iter()
        .filter_map(|x| risk(x, errors))
        .collect();
    let actions: Vec<ActionData> = r
        .rows(errors, "actions")
        .iter()
        .filter_map(|x| action(x, errors))
        .collect();
    let controls: Vec<ControlData> = r
        .rows(errors, "controls")
        .iter()
        .filter_map(|x| control(x, errors))
        .collect();
    check_keys(&risks, &actions, &controls, errors);
    Some(ControlPlanData {
        origin: r.origin.clone(),
        org: org?,
        year: y?,
        rule_ref,
        legal_basis,
        adoption,
        risk_analysis,
        self_assessment,
        auditor_assessment,
        risks,
        actions,
        controls,
    })
}

/// Keys unique in the plan (risks, actions and controls together); the risks and the
/// blocking action an action names are the plan's.
fn check_keys(
    risks: &[RiskData],
    actions: &[ActionData],
    controls: &[ControlData],
    errors: &mut Errors,
) {
    let mut seen = Unique::default();
    let keys = risks
        .iter()
        .map(|x| (&x.key, &x.origin))
        .chain(actions.iter().map(|x| (&x.key, &x.origin)))
        .chain(controls.iter().map(|x| (&x.key, &x.origin)));
    for (key, origin) in keys {
        seen.first(key.as_str(), &origin.field("key"), errors, |f| {
            ic::duplicate_item_key(key.as_str(), f)
        });
    }
    for a in actions {
        for (i, k) in a.risks.iter().enumerate() {
            if !risks.iter().any(|x| x.key == *k) {
                errors.at(
                    &a.origin.field(&format!("risks[{i}]")),
                    ic::unknown_risk(k.as_str()),
                );
            }
        }
        if let Some(BlockerData::Action(k)) = &a.blocked_by {
            let at = a.origin.field("blocked_by");
            if *k == a.key {
                errors.at(&at, ic::BLOCKED_BY_ITSELF.into());
            } else if !actions.iter().any(|x| x.key == *k) {
                errors.at(&at, ic::unknown_action(k.as_str()));
            }
        }
    }
}

fn item_key(v: &toml::Value) -> Result<ItemKey, String> {
    let s = text(NAME_MAX)(v)?;
    ItemKey::parse(&s).ok_or_else(|| ic::invalid_item_key(&quoted(&s), ITEM_KEY_MAX))
}

fn first_documented(v: &toml::Value) -> Result<FirstDocumented, String> {
    let s = text(NAME_MAX)(v)?;
    FirstDocumented::parse(&s).ok_or_else(|| ic::first_documented(&quoted(&s)))
}

fn action_status(v: &toml::Value) -> Result<ActionStatus, String> {
    let s = text(NAME_MAX)(v)?;
    ActionStatus::parse(&s).ok_or_else(|| ic::action_status(&quoted(&s)))
}

fn control_result(v: &toml::Value) -> Result<ControlResult, String> {
    let s = text(NAME_MAX)(v)?;
    ControlResult::parse(&s).ok_or_else(|| ic::control_result(&quoted(&s)))
}

/// `true` for a contract follow-up.
fn follow_up_kind(v: &toml::Value) -> Result<bool, String> {
    let s = text(NAME_MAX)(v)?;
    match s.as_str() {
        "systematisk" => Ok(false),
        "avtalsuppföljning" => Ok(true),
        _ => Err(messages::choice_of(&quoted(&s), KINDS)),
    }
}

fn optional_text(r: &Row<'_>, errors: &mut Errors, field: &str) -> String {
    r.opt(errors, field, &text(NAME_MAX)).unwrap_or_default()
}

fn optional_long_text(r: &Row<'_>, errors: &mut Errors, field: &str) -> String {
    r.opt(errors, field, &long_text(TEXT_MAX))
        .unwrap_or_default()
}

fn adoption(r: &Row<'_>, errors: &mut Errors) -> Option<Adoption> {
    r.only(errors, &["body", "decided_on", "paragraph", "diary_number"]);
    let body = r.req(errors, "body", &text(NAME_MAX));
    let decided_on = r.req(errors, "decided_on", &date);
    let paragraph = optional_text(r, errors, "paragraph");
    let diary_number = optional_text(r, errors, "diary_number");
    Some(Adoption {
        body: body?,
        decided_on: decided_on?,
        paragraph,
        diary_number,
    })
}

fn risk_analysis(r: &Row<'_>, errors: &mut Errors) -> Option<RiskAnalysis> {
    r.only(
        errors,
        &["held_on", "participants", "elected_members_took_part"],
    );
    let held_on = r.opt(errors, "held_on", &date);
    let participants = optional_long_text(r, errors, "participants");
    let elected = r.req(errors, "elected_members_took_part", &boolean);
    Some(RiskAnalysis {
        held_on,
        participants,
        elected_members_took_part: elected?,
    })
}

fn assessment(r: &Row<'_>, errors: &mut Errors) -> Option<OverallAssessment> {
    r.only(errors, &["level", "motivation", "source"]);
    let level = r.req(errors, "level", &text(NAME_MAX));
    let motivation = optional_long_text(r, errors, "motivation");
    let source = optional_text(r, errors, "source");
    Some(OverallAssessment {
        level: level?,
        motivation,
        source,
    })
}

fn risk(r: &Row<'_>, errors: &mut Errors) -> Option<RiskData> {
    r.only(
        errors,
        &[
            "key",
            "area",
            "text",
            "background",
            "first_documented",
            "common",
        ],
    );
    let key = r.req(errors, "key", &item_key);
    let area = optional_text(r, errors, "area");
    let t = r.req(errors, "text", &long_text(TEXT_MAX));
    let background = optional_long_text(r, errors, "background");
    let first = r.opt(errors, "first_documented", &first_documented);
    let common = r.opt(errors, "common", &boolean).unwrap_or(false);
    Some(RiskData {
        origin: r.origin.clone(),
        key: key?,
        area,
        text: t?,
        background,
        first_documented: first,
        common,
    })
}

fn action(r: &Row<'_>, errors: &mut Errors) -> Option<ActionData> {
    r.only(
        errors,
        &[
            "key",
            "text",
            "responsible",
            "status",
            "done_on",
            "comment",
            "risks",
            "recommendations",
            "blocked_by",
            "blocked_by_text",
            "verification",
        ],
    );
    let key = r.req(errors, "key", &item_key);
    let t = r.req(errors, "text", &long_text(TEXT_MAX));
    let responsible = optional_text(r, errors, "responsible");
    let status = r
        .opt(errors, "status", &action_status)
        .unwrap_or(ActionStatus::NotDone);
    let done_on = r.opt(errors, "done_on", &date);
    if done_on.is_some() && status != ActionStatus::Done {
        errors.at(&r.at("done_on"), ic::DONE_ON_NOT_DONE.into());
    }
    let comment = optional_long_text(r, errors, "comment");
    let risks = list(r, errors, "risks", &item_key, ItemKey::to_string).unwrap_or_default();
    let recommendations = recommendations(r, errors);
    let blocked_by = r.opt(errors, "blocked_by", &item_key);
    let blocked_by_text = r.opt(errors, "blocked_by_text", &text(NAME_MAX));
    if written(r, "blocked_by") && written(r, "blocked_by_text") {
        errors.at(&r.at("blocked_by_text"), ic::BLOCKER_TWICE.into());
    }
    let blocked_by = blocked_by
        .map(BlockerData::Action)
        .or(blocked_by_text.map(BlockerData::Other));
    let verification = r
        .sub_table(errors, "verification")
        .and_then(|v| verification(&v, errors));
    if written(r, "verification") && status != ActionStatus::Done {
        errors.at(&r.at("verification"), ic::VERIFY_NOT_DONE.into());
    }
    Some(ActionData {
        origin: r.origin.clone(),
        key: key?,
        text: t?,
        responsible,
        status,
        done_on,
        comment,
        risks,
        recommendations,
        blocked_by,
        verification,
    })
}

fn recommendations(r: &Row<'_>, errors: &mut Errors) -> Vec<RecommendationData> {
    let mut seen = Unique::default();
    let mut out = Vec::new();
    for x in r.rows(errors, "recommendations") {
        x.only(errors, &["case_ref", "title"]);
        let case_ref = x.req(errors, "case_ref", &text(NAME_MAX));
        let title = x.req(errors, "title", &text(NAME_MAX));
        let (Some(case_ref), Some(title)) = (case_ref, title) else {
            continue;
        };
        if seen.first(case_ref.clone(), &x.at("case_ref"), errors, |_| {
            messages::duplicate_in_list(&case_ref)
        }) {
            out.push(RecommendationData { case_ref, title });
        }
    }
    out
}

fn verification(r: &Row<'_>, errors: &mut Errors) -> Option<Verification> {
    r.only(errors, &["by", "how", "on"]);
    let by = r.req(errors, "by", &text(NAME_MAX));
    let how = r.req(errors, "how", &long_text(TEXT_MAX));
    let on = r.req(errors, "on", &date);
    Some(Verification {
        by: by?,
        how: how?,
        on: on?,
    })
}

fn control(r: &Row<'_>, errors: &mut Errors) -> Option<ControlData> {
    r.only(
        errors,
        &[
            "key",
            "kind",
            "follow_up_kind",
            "schedule",
            "interval",
            "recipients",
            "area",
            "name",
            "purpose",
            "method",
            "frequency",
            "sample",
            "planned_parameters",
            "responsible",
            "due",
            "origin",
            "comment",
            "common",
            "discontinued",
            "occurrences",
        ],
    );
    let key = r.req(errors, "key", &item_key);
    let follow_up = r.opt(errors, "kind", &follow_up_kind);
    let [follow_up_kind, schedule, interval, recipients] =
        FOLLOW_UP_FIELDS.map(|f| optional_text(r, errors, f));
    let kind = if follow_up.unwrap_or(false) {
        ControlKind::ContractFollowUp(ContractFollowUp {
            follow_up_kind,
            schedule,
            interval,
            recipients,
        })
    } else {
        if follow_up.is_some() || !written(r, "kind") {
            for f in FOLLOW_UP_FIELDS.into_iter().filter(|f| written(r, f)) {
                errors.at(&r.at(f), ic::FOLLOW_UP_FIELD.into());
            }
        }
        ControlKind::Systematic
    };
    let area = optional_text(r, errors, "area");
    let name = r.req(errors, "name", &text(NAME_MAX));
    let purpose = optional_long_text(r, errors, "purpose");
    let method = optional_long_text(r, errors, "method");
    let frequency = optional_text(r, errors, "frequency");
    let sample = optional_long_text(r, errors, "sample");
    let planned_parameters = optional_text(r, errors, "planned_parameters");
    let responsible = optional_text(r, errors, "responsible");
    let due = r.opt(errors, "due", &date).unwrap_or_default();
    let reason_origin = optional_long_text(r, errors, "origin");
    let comment = optional_long_text(r, errors, "comment");
    let common = r.opt(errors, "common", &boolean).unwrap_or(false);
    let discontinued = r
        .sub_table(errors, "discontinued")
        .and_then(|d| discontinuation(&d, errors));
    let occurrences = r
        .rows(errors, "occurrences")
        .iter()
        .filter_map(|o| occurrence(o, errors))
        .collect();
    Some(ControlData {
        origin: r.origin.clone(),
        key: key?,
        kind,
        area,
        name: name?,
        purpose,
        method,
        frequency,
        sample,
        planned_parameters,
        responsible,
        due,
        reason_origin,
        comment,
        common,
        discontinued,
        occurrences,
    })
}

/// A decision not to continue the control; the seeds give no date for C02's, so the date
/// may be left out (empty).
fn discontinuation(r: &Row<'_>, errors: &mut Errors) -> Option<Discontinuation> {
    r.only(errors, &["on", "decided_by", "reason"]);
    let on = r.opt(errors, "on", &date).unwrap_or_default();
    let decided_by = r.req(errors, "decided_by", &text(NAME_MAX));
    let reason = r.req(errors, "reason", &long_text(TEXT_MAX));
    Some(Discontinuation {
        on,
        decided_by: decided_by?,
        reason: reason?,
    })
}

/// `{ planned_on, performed_on, parameters_used, result, findings }`,
/// `{ planned_on, not_performed = "why" }` or `{ planned_on }` (nothing recorded yet).
fn occurrence(r: &Row<'_>, errors: &mut Errors) -> Option<OccurrenceData> {
    r.only(
        errors,
        &[
            "planned_on",
            "performed_on",
            "parameters_used",
            "result",
            "findings",
            "not_performed",
        ],
    );
    let planned_on = r.req(errors, "planned_on", &date);
    let performed_on = r.opt(errors, "performed_on", &date);
    let parameters_used = optional_text(r, errors, "parameters_used");
    let result = r.opt(errors, "result", &control_result);
    let findings = optional_long_text(r, errors, "findings");
    let reason = r.opt(errors, "not_performed", &long_text(TEXT_MAX));
    let performed = written(r, "performed_on");
    let not_performed = r.table.contains_key("not_performed");
    let mut execution = None;
    if performed && not_performed {
        errors.at(&r.at("not_performed"), ic::PERFORMED_AND_NOT.into());
    } else if performed {
        if !written(r, "result") {
            errors.at(&r.at("result"), messages::REQUIRED.into());
        }
        if let (Some(performed_on), Some(result)) = (performed_on, result) {
            execution = Some(Execution::Performed {
                performed_on,
                parameters_used,
                result,
                findings,
            });
        }
    } else {
        for f in ["result", "parameters_used", "findings"] {
            if written(r, f) {
                errors.at(&r.at(f), ic::RESULT_WITHOUT_PERFORMED.into());
            }
        }
        if not_performed {
            execution = Some(Execution::NotPerformed {
                reason: reason.unwrap_or_default(),
            });
        }
    }
    // Whether it lies in the future is checked when loading, against the day.
    match execution.as_ref().map(|e| e.check("9999-12-31")) {
        Some(Err(e @ ExecutionError::FindingsRequired)) => {
            errors.at(&r.at("findings"), ic::execution(&e).into())
        }
        Some(Err(e)) if !written(r, "not_performed") => {
            errors.at(&r.at("not_performed"), ic::execution(&e).into())
        }
        _ => {}
    }
    Some(OccurrenceData {
        planned_on: planned_on?,
        execution,
    })
}

// --- loading ------------------------------------------------------------------------------

/// Writes one plan of the files through the writer: creates it, or updates the stored plan
/// of the unit and year by item key (see `docs/import-format.md`). Every write of the store
/// leaves unchanged data alone, so a plan exactly as stored writes nothing (and is not
/// refused in a year a decision locked). `today` is the import's day, against which
/// executions are checked. Returns the plan's id.
pub(crate) async fn write_plan(
    w: &mut Writer,
    p: &ControlPlanData,
    org_id: Id,
    stored_id: Option<Id>,
    today: &str,
) -> Result<Id, ImportReport> {
    let plan_id = match stored_id {
        Some(id) => id,
        None => w
            .create_control_plan(&NewControlPlan {
                org_id,
                year: p.year,
                rule_ref: p.rule_ref.clone(),
                legal_basis: p.legal_basis.clone(),
            })
            .await
            .at(&p.origin)?,
    };
    let stored = w.control_plan_in_tx(plan_id).await.at(&p.origin)?;
    w.update_control_plan(plan_id, &header(p, &stored))
        .await
        .at(&p.origin)?;
    let risks = write_risks(w, p, &stored).await?;
    write_actions(w, p, &stored, &risks, today).await?;
    write_controls(w, p, &stored).await?;
    // The occurrences as they now are (new controls have theirs only now).
    let now = w.control_plan_in_tx(plan_id).await.at(&p.origin)?;
    for c in &p.controls {
        let Some(sc) = now.controls.iter().find(|x| x.key == c.key.as_str()) else {
            continue;
        };
        for (i, o) in c.occurrences.iter().enumerate() {
            let (Some(e), Some(so)) = (&o.execution, sc.occurrences.get(i)) else {
                continue;
            };
            let at = c.origin.field(&format!("occurrences[{i}]"));
            if let Err(x) = e.check(today) {
                return Err(ImportReport::single(&at, ic::execution(&x).into()));
            }
            // Findings raise their deviation on the day the control found them.
            let on = match e {
                Execution::Performed { performed_on, .. } => performed_on.as_str(),
                Execution::NotPerformed { .. } => today,
            };
            w.record_execution(so.id, e, on).await.at(&at)?;
        }
        if let Some(d) = &c.discontinued {
            w.discontinue_control(sc.id, d)
                .await
                .at(&c.origin.field("discontinued"))?;
        }
    }
    Ok(plan_id)
}

/// The file's header over the stored one: what the file leaves out is kept.
fn header(p: &ControlPlanData, stored: &ControlPlan) -> PlanHeader {
    let or = |file: &str, kept: &str| if file.is_empty() { kept } else { file }.to_string();
    PlanHeader {
        rule_ref: or(&p.rule_ref, &stored.rule_ref),
        legal_basis: or(&p.legal_basis, &stored.legal_basis),
        adoption: p.adoption.clone().or_else(|| stored.adoption.clone()),
        risk_analysis: p
            .risk_analysis
            .clone()
            .or_else(|| stored.risk_analysis.clone()),
        self_assessment: p
            .self_assessment
            .clone()
            .or_else(|| stored.self_assessment.clone()),
        auditor_assessment: p
            .auditor_assessment
            .clone()
            .or_else(|| stored.auditor_assessment.clone()),
    }
}

/// Risks by key: added, or updated (scores set in uppsikt are kept); their ids by key.
async fn write_risks(
    w: &mut Writer,
    p: &ControlPlanData,
    stored: &ControlPlan,
) -> Result<HashMap<String, Id>, ImportReport> {
    let mut ids: HashMap<String, Id> = stored.risks.iter().map(|r| (r.key.clone(), r.id)).collect();
    for r in &p.risks {
        let kept = stored.risks.iter().find(|x| x.key == r.key.as_str());
        let input = RiskInput {
            key: r.key.to_string(),
            area: r.area.clone(),
            text: r.text.clone(),
            background: r.background.clone(),
            first_documented: r.first_documented,
            common: r.common,
            gross: kept.and_then(|x| x.gross),
            net: kept.and_then(|x| x.net),
            handling: kept.and_then(|x| x.handling.clone()),
        };
        match kept {
            Some(x) => w.update_risk(x.id, &input).await.at(&r.origin)?,
            None => {
                let id = w.add_risk(stored.id, &input).await.at(&r.origin)?;
                ids.insert(r.key.to_string(), id);
            }
        }
    }
    Ok(ids)
}

/// What an action serves, as the files can say it: its risks and recommendations.
fn file_sources(a: &ActionData, risks: &HashMap<String, Id>) -> Vec<ActionSource> {
    a.risks
        .iter()
        .filter_map(|k| risks.get(k.as_str()))
        .map(|&risk_id| ActionSource::Risk { risk_id })
        .chain(
            a.recommendations
                .iter()
                .map(|r| ActionSource::Recommendation {
                    case_ref: r.case_ref.clone(),
                    title: r.title.clone(),
                }),
        )
        .collect()
}

/// Actions by key: added with their sources, or checked against the stored ones (sources
/// and responsible cannot change through an import; a new text is an amendment); then
/// their status, verification and blocker.
async fn write_actions(
    w: &mut Writer,
    p: &ControlPlanData,
    stored: &ControlPlan,
    risks: &HashMap<String, Id>,
    today: &str,
) -> Result<(), ImportReport> {
    let mut ids: HashMap<String, Id> = stored
        .actions
        .iter()
        .map(|a| (a.key.clone(), a.id))
        .collect();
    for a in &p.actions {
        let sources = file_sources(a, risks);
        match stored.actions.iter().find(|x| x.key == a.key.as_str()) {
            Some(x) => {
                let kept: Vec<ActionSource> = x
                    .sources
                    .iter()
                    .filter(|s| !matches!(s, ActionSource::Deviation { .. }))
                    .cloned()
                    .collect();
                if kept != sources || x.responsible != a.responsible {
                    return Err(ImportReport::single(
                        &a.origin,
                        ic::plan_item_differs(a.key.as_str()),
                    ));
                }
                if x.text.trim() != a.text.trim() {
                    w.amend_action(x.id, &a.text, ic::IMPORT_AMENDMENT_REASON, today)
                        .await
                        .at(&a.origin.field("text"))?;
                }
            }
            None => {
                let input = ActionInput {
                    key: a.key.to_string(),
                    text: a.text.clone(),
                    responsible: a.responsible.clone(),
                    sources,
                    blocked_by: None,
                };
                let id = w.add_ic_action(stored.id, &input).await.at(&a.origin)?;
                ids.insert(a.key.to_string(), id);
            }
        }
    }
    for a in &p.actions {
        let id = ids[a.key.as_str()];
        w.set_action_status(id, a.status, a.done_on.as_deref(), &a.comment)
            .await
            .at(&a.origin)?;
        if let Some(v) = &a.verification {
            w.verify_action(id, v)
                .await
                .at(&a.origin.field("verification"))?;
        }
        let blocker = match &a.blocked_by {
            Some(BlockerData::Action(k)) => Some(Blocker::Action(ids[k.as_str()])),
            Some(BlockerData::Other(t)) => Some(Blocker::Other(t.clone())),
            None => None,
        };
        w.set_action_blocker(id, blocker.as_ref())
            .await
            .at(&a.origin)?;
    }
    Ok(())
}

/// Controls by key with their planned occurrences (occurrence n keeps what was recorded
/// for it and gets the file's n-th date).
async fn write_controls(
    w: &mut Writer,
    p: &ControlPlanData,
    stored: &ControlPlan,
) -> Result<(), ImportReport> {
    for c in &p.controls {
        let input = ControlInput {
            key: c.key.to_string(),
            kind: c.kind.clone(),
            area: c.area.clone(),
            name: c.name.clone(),
            purpose: c.purpose.clone(),
            method: c.method.clone(),
            frequency: c.frequency.clone(),
            sample: c.sample.clone(),
            planned_parameters: c.planned_parameters.clone(),
            responsible: c.responsible.clone(),
            due: c.due.clone(),
            origin: c.reason_origin.clone(),
            comment: c.comment.clone(),
            common: c.common,
            planned_dates: c.occurrences.iter().map(|o| o.planned_on.clone()).collect(),
        };
        match stored.controls.iter().find(|x| x.key == c.key.as_str()) {
            Some(x) => w.update_control(x.id, &input).await.at(&c.origin)?,
            None => {
                w.add_control(stored.id, &input).await.at(&c.origin)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use uppsikt_domain::internal_control::{
        ActionStatus, ContractFollowUp, ControlKind, ControlResult, Execution, ExecutionError,
        FirstDocumented,
    };
    use uppsikt_domain::messages::{self, internal_control as ic, Referent};

    use crate::data::{BlockerData, ItemKey, RecommendationData};
    use crate::resolve::{check_references, Existing};
    use crate::{parse_str, parse_texts, DataSet, RowError, DEMO};

    const ORG: &str = r#"format = "uppsikt/1"

[[org_units]]
key = "ks"
name = "Kommunstyrelsen"
short_name = "KS"
kind = "styrelse"
"#;

    /// A plan with one of each kind of row; tests change one thing in it.
    const PLAN: &str = r#"
[[control_plans]]
org = "ks"
year = 2019
rule_ref = "HKF 9410"
legal_basis = "KL 6:6"
adoption = { body = "Kommunstyrelsen", decided_on = "2018-12-10", paragraph = "§ 7" }
risk_analysis = { participants = "Förvaltningsledningen", elected_members_took_part = false }
self_assessment = { level = "Godtagbar", source = "Verksamhetsberättelse 2019" }

[[control_plans.risks]]
key = "RK01"
area = "Informationssäkerhet"
text = "Infoläckage via molntjänster."
first_documented = "≤2012"

[[control_plans.risks]]
key = "RK05"
area = "Sund ekonomi"
text = "Investeringar utan beslutad budget."
common = true

[[control_plans.actions]]
key = "R07"
risks = ["RK05"]
text = "Gå igenom delegationsordningen."
status = "Ej klart i år"
blocked_by = "R08"

[[control_plans.actions]]
key = "R08"
risks = ["RK05", "RK01"]
text = "Beskriv beslutsprocessen."
status = "Klart"
done_on = "2019-11-30"
verification = { by = "Controller", how = "Läst ekonomihandboken", on = "2019-12-15" }

[[control_plans.actions]]
key = "AA06"
recommendations = [{ case_ref = "KS-2014/476.912", title = "Uppföljning av upphandling" }]
text = "Införa en policy för upphandling."
blocked_by_text = "KF:s upphandlingspolicy, 2020-02-10"

[[control_plans.controls]]
key = "C05"
area = "Processen administrera löner"
name = "Kontroll av höga nettolöner"
frequency = "Månadsvis"
planned_parameters = "> 50 000 kr"
due = "2019-12-31"
discontinued = { decided_by = "Ansvarig chef", reason = "Behövs inte längre." }
occurrences = [
  { planned_on = "2019-01-31", performed_on = "2019-01-31", parameters_used = "> 49 000 kr", result = "Utan anmärkning" },
  { planned_on = "2019-02-28", performed_on = "2019-03-04", result = "Med anmärkning", findings = "Saknat underlag." },
  { planned_on = "2019-03-31", not_performed = "Sjukskrivning." },
  { planned_on = "2019-04-30" },
]

[[control_plans.controls]]
key = "U01"
kind = "avtalsuppföljning"
name = "Lokalvård av kommunens lokaler"
follow_up_kind = "Avtalsuppföljning"
schedule = "1 gång per termin år 1"
interval = "År 1 var 6:e månad"
recipients = "Kommunstyrelsen"
"#;

    fn doc() -> String {
        format!("{ORG}{PLAN}")
    }

    fn with(from: &str, to: &str) -> String {
        let d = doc();
        assert_eq!(d.matches(from).count(), 1, "{from:?} must occur once");
        d.replace(from, to)
    }

    fn ok(text: &str) -> DataSet {
        parse_str("t.toml", text).unwrap_or_else(|r| panic!("{r}"))
    }

    fn errors(text: &str) -> Vec<RowError> {
        parse_str("t.toml", text).expect_err("refused").errors
    }

    /// The one error of `text`: (location, message).
    fn one_error(text: &str) -> (String, String) {
        let errs = errors(text);
        assert_eq!(errs.len(), 1, "{errs:#?}");
        assert_eq!(errs[0].file, "t.toml");
        (errs[0].location.clone(), errs[0].message.clone())
    }

    fn key(s: &str) -> ItemKey {
        ItemKey::parse(s).unwrap()
    }

    #[test]
    fn a_plan_parses_into_domain_types() {
        let d = ok(&doc());
        assert_eq!(d.control_plans.len(), 1);
        let p = &d.control_plans[0];
        assert_eq!((p.org.as_str(), p.year), ("ks", 2019));
        assert_eq!(
            (p.rule_ref.as_str(), p.legal_basis.as_str()),
            ("HKF 9410", "KL 6:6")
        );
        let adoption = p.adoption.as_ref().unwrap();
        assert_eq!(
            (adoption.decided_on.as_str(), adoption.diary_number.as_str()),
            ("2018-12-10", "")
        );
        assert!(!p.risk_analysis.as_ref().unwrap().elected_members_took_part);
        assert_eq!(p.self_assessment.as_ref().unwrap().level, "Godtagbar");
        assert!(p.auditor_assessment.is_none());

        assert_eq!(
            p.risks[0].first_documented,
            Some(FirstDocumented::InOrBefore(2012))
        );
        assert!(!p.risks[0].common && p.risks[1].common);

        let [r07, r08, aa06] = &p.actions[..] else {
            panic!("three actions")
        };
        assert_eq!(r07.blocked_by, Some(BlockerData::Action(key("R08"))));
        assert_eq!(r08.risks, vec![key("RK05"), key("RK01")]);
        assert_eq!(
            (r08.status, r08.done_on.as_deref()),
            (ActionStatus::Done, Some("2019-11-30"))
        );
        assert_eq!(r08.verification.as_ref().unwrap().on, "2019-12-15");
        assert_eq!(aa06.status, ActionStatus::NotDone, "the default");
        assert!(aa06.risks.is_empty());
        assert_eq!(
            aa06.recommendations,
            vec![RecommendationData {
                case_ref: "KS-2014/476.912".into(),
                title: "Uppföljning av upphandling".into()
            }]
        );
        assert!(matches!(&aa06.blocked_by, Some(BlockerData::Other(t)) if t.starts_with("KF:s")));

        let c05 = &p.controls[0];
        assert_eq!(c05.kind, ControlKind::Systematic, "the default");
        assert_eq!(c05.discontinued.as_ref().unwrap().on, "", "no date given");
        let executions: Vec<_> = c05.occurrences.iter().map(|o| &o.execution).collect();
        assert_eq!(
            executions,
            [
                &Some(Execution::Performed {
                    performed_on: "2019-01-31".into(),
                    parameters_used: "> 49 000 kr".into(),
                    result: ControlResult::WithoutRemark,
                    findings: String::new(),
                }),
                &Some(Execution::Performed {
                    performed_on: "2019-03-04".into(),
                    parameters_used: String::new(),
                    result: ControlResult::WithRemark,
                    findings: "Saknat underlag.".into(),
                }),
                &Some(Execution::NotPerformed {
                    reason: "Sjukskrivning.".into()
                }),
                &None,
            ]
        );
        assert_eq!(c05.occurrences[3].planned_on, "2019-04-30");
        assert_eq!(
            p.controls[1].kind,
            ControlKind::ContractFollowUp(ContractFollowUp {
                follow_up_kind: "Avtalsuppföljning".into(),
                schedule: "1 gång per termin år 1".into(),
                interval: "År 1 var 6:e månad".into(),
                recipients: "Kommunstyrelsen".into(),
            })
        );
        assert!(check_references(&d, &Existing::default()).0.is_empty());
    }

    #[test]
    fn the_codes_and_the_seeds_spelling_are_both_read() {
        let d = ok(&with("status = \"Klart\"", "status = \"done\"")
            .replace("result = \"Med anmärkning\"", "result = \"with_remark\"")
            .replace("\"≤2012\"", "\"2012 eller tidigare\""));
        let p = &d.control_plans[0];
        assert_eq!(p.actions[1].status, ActionStatus::Done);
        assert_eq!(
            p.risks[0].first_documented,
            Some(FirstDocumented::InOrBefore(2012))
        );
        assert!(p.controls[0].occurrences[1]
            .execution
            .as_ref()
            .is_some_and(Execution::has_findings));
    }

    #[test]
    fn each_wrong_row_is_reported_at_its_place_in_swedish() {
        let cases: Vec<(String, &str, String)> = vec![
            (
                with("key = \"R08\"", "key = \"R07\""),
                "control_plans[0].actions[1].key",
                ic::duplicate_item_key("R07", "control_plans[0].actions[0].key"),
            ),
            (
                with("key = \"U01\"", "key = \"RK01\""),
                "control_plans[0].controls[1].key",
                ic::duplicate_item_key("RK01", "control_plans[0].risks[0].key"),
            ),
            (
                with("risks = [\"RK05\", \"RK01\"]", "risks = [\"RK05\", \"RK99\"]"),
                "control_plans[0].actions[1].risks[1]",
                ic::unknown_risk("RK99"),
            ),
            (
                with("blocked_by = \"R08\"", "blocked_by = \"R09\""),
                "control_plans[0].actions[0].blocked_by",
                ic::unknown_action("R09"),
            ),
            (
                with("blocked_by = \"R08\"", "blocked_by = \"R07\""),
                "control_plans[0].actions[0].blocked_by",
                ic::BLOCKED_BY_ITSELF.into(),
            ),
            (
                with(
                    "blocked_by = \"R08\"",
                    "blocked_by = \"R08\"\nblocked_by_text = \"Ett beslut\"",
                ),
                "control_plans[0].actions[0].blocked_by_text",
                ic::BLOCKER_TWICE.into(),
            ),
            (
                with("findings = \"Saknat underlag.\"", "findings = \" \""),
                "control_plans[0].controls[0].occurrences[1].findings",
                ic::execution(&ExecutionError::FindingsRequired).into(),
            ),
            (
                with(
                    "not_performed = \"Sjukskrivning.\"",
                    "not_performed = \"\"",
                ),
                "control_plans[0].controls[0].occurrences[2].not_performed",
                ic::execution(&ExecutionError::ReasonRequired).into(),
            ),
            (
                with("planned_on = \"2019-04-30\"", "planned_on = \"2019-04-31\""),
                "control_plans[0].controls[0].occurrences[3].planned_on",
                messages::not_a_date("2019-04-31"),
            ),
            (
                with("\"≤2012\"", "\"tolv\""),
                "control_plans[0].risks[0].first_documented",
                ic::first_documented("tolv"),
            ),
            (
                with("status = \"Klart\"", "status = \"Nästan klart\""),
                "control_plans[0].actions[1].status",
                ic::action_status("Nästan klart"),
            ),
            (
                with("result = \"Med anmärkning\"", "result = \"Godkänd\""),
                "control_plans[0].controls[0].occurrences[1].result",
                ic::control_result("Godkänd"),
            ),
            (
                with("status = \"Ej klart i år\"", "status = \"Ej klart i år\"\ndone_on = \"2019-06-01\""),
                "control_plans[0].actions[0].done_on",
                ic::DONE_ON_NOT_DONE.into(),
            ),
            (
                with("status = \"Klart\"", "status = \"Ej klart i år\"").replace(
                    "done_on = \"2019-11-30\"\n",
                    "",
                ),
                "control_plans[0].actions[1].verification",
                ic::VERIFY_NOT_DONE.into(),
            ),
            (
                with("key = \"RK05\"", "key = \"RK 05\"").replace("\"RK05\"", "\"RK 05\""),
                "control_plans[0].risks[1].key",
                ic::invalid_item_key("RK 05", crate::data::ITEM_KEY_MAX),
            ),
            (
                with(
                    "planned_on = \"2019-03-31\", not_performed",
                    "planned_on = \"2019-03-31\", performed_on = \"2019-03-31\", result = \"Utan anmärkning\", not_performed",
                ),
                "control_plans[0].controls[0].occurrences[2].not_performed",
                ic::PERFORMED_AND_NOT.into(),
            ),
            (
                with(
                    "{ planned_on = \"2019-04-30\" }",
                    "{ planned_on = \"2019-04-30\", result = \"Utan anmärkning\" }",
                ),
                "control_plans[0].controls[0].occurrences[3].result",
                ic::RESULT_WITHOUT_PERFORMED.into(),
            ),
            (
                with(
                    "{ planned_on = \"2019-04-30\" }",
                    "{ planned_on = \"2019-04-30\", performed_on = \"2019-04-30\" }",
                ),
                "control_plans[0].controls[0].occurrences[3].result",
                messages::REQUIRED.into(),
            ),
            (
                with("frequency = \"Månadsvis\"", "frequency = \"Månadsvis\"\nschedule = \"Varje månad\""),
                "control_plans[0].controls[0].schedule",
                ic::FOLLOW_UP_FIELD.into(),
            ),
            (
                with("kind = \"avtalsuppföljning\"", "kind = \"avtal\""),
                "control_plans[0].controls[1].kind",
                messages::choice_of("avtal", &["systematisk", "avtalsuppföljning"]),
            ),
            (
                with("year = 2019", "year = 19"),
                "control_plans[0].year",
                messages::out_of_range(1900, 2200),
            ),
            (
                with("name = \"Kontroll av höga nettolöner\"\n", ""),
                "control_plans[0].controls[0].name",
                messages::REQUIRED.into(),
            ),
            (
                with("title = \"Uppföljning av upphandling\"", "titel = \"Uppföljning av upphandling\""),
                "control_plans[0].actions[2].recommendations[0].titel",
                messages::unknown_field("titel"),
            ),
        ];
        for (text, location, message) in cases {
            let errs = errors(&text);
            assert!(
                errs.iter()
                    .any(|e| e.location == location && e.message == message),
                "expected {location}: {message}\ngot {errs:#?}"
            );
        }
    }

    #[test]
    fn most_wrong_rows_give_exactly_one_error() {
        assert_eq!(
            one_error(&with("blocked_by = \"R08\"", "blocked_by = \"R07\"")).0,
            "control_plans[0].actions[0].blocked_by"
        );
        assert_eq!(
            one_error(&with("findings = \"Saknat underlag.\"", "findings = \"\"")).0,
            "control_plans[0].controls[0].occurrences[1].findings"
        );
        assert_eq!(
            one_error(&with("\"≤2012\"", "\"2012?\"")).0,
            "control_plans[0].risks[0].first_documented"
        );
    }

    #[test]
    fn a_second_plan_for_the_same_unit_and_year_is_refused() {
        let second = "\n[[control_plans]]\norg = \"ks\"\nyear = 2019\n";
        let (location, message) = one_error(&format!("{}{second}", doc()));
        assert_eq!(location, "control_plans[1]");
        assert_eq!(message, ic::duplicate_plan(2019, "control_plans[0]"));
        // Across files the other file is named.
        let report = parse_texts(&[
            ("a.toml", &doc()),
            (
                "b.toml",
                &format!("{ORG}{second}").replace(&ORG[..20], "format = \"uppsikt/1\"\n"),
            ),
        ]);
        let errs = report.expect_err("refused").errors;
        assert!(errs.iter().any(|e| e.file == "b.toml"
            && e.message == ic::duplicate_plan(2019, "a.toml: control_plans[0]")));
        // Another year is another plan.
        ok(&format!("{}{}", doc(), second.replace("2019", "2020")));
    }

    #[test]
    fn a_plan_of_an_unknown_unit_is_found_before_anything_is_written() {
        let d = ok(&format!(
            "format = \"uppsikt/1\"\n{}",
            PLAN.replace("org = \"ks\"", "org = \"gymnasienamnden\"")
        ));
        let errs = check_references(&d, &Existing::default()).0;
        assert_eq!(errs.len(), 1, "{errs:#?}");
        assert_eq!(errs[0].location, "control_plans[0].org");
        assert_eq!(
            errs[0].message,
            messages::unknown_reference(Referent::OrgUnit, "gymnasienamnden")
        );
    }

    /// The demo's plan carries seed 004's figures (DOMAIN-MODULES.md A4 and B4.1).
    #[test]
    fn the_demo_plan_is_ks_2019_as_the_seed_reports_it() {
        let data = parse_texts(DEMO).unwrap_or_else(|r| panic!("{r}"));
        assert_eq!(data.control_plans.len(), 1);
        let p = &data.control_plans[0];
        assert_eq!((p.org.as_str(), p.year), ("ks", 2019));
        assert_eq!(
            (p.rule_ref.as_str(), p.legal_basis.as_str()),
            ("HKF 9410", "KL 6:6")
        );
        assert!(p.adoption.is_none(), "not in the seeds");
        assert!(p.risk_analysis.is_none(), "not in the seeds");
        let own = p.self_assessment.as_ref().unwrap();
        assert_eq!(
            (own.level.as_str(), own.source.as_str()),
            ("Godtagbar", "Verksamhetsberättelse 2019")
        );

        let keys = |prefix: &str, n: usize| -> Vec<String> {
            (1..=n).map(|i| format!("{prefix}{i:02}")).collect()
        };
        let risk_keys: Vec<String> = p.risks.iter().map(|r| r.key.to_string()).collect();
        assert_eq!(risk_keys, keys("RK", 12));
        assert_eq!(
            p.risks[0].first_documented,
            Some(FirstDocumented::InOrBefore(2012))
        );

        let done = |a: &&&crate::ActionData| a.status == ActionStatus::Done;
        let risk_actions: Vec<_> = p.actions.iter().filter(|a| !a.risks.is_empty()).collect();
        let names: Vec<String> = risk_actions.iter().map(|a| a.key.to_string()).collect();
        assert_eq!(names, keys("R", 18));
        let risk_done: Vec<&str> = risk_actions
            .iter()
            .filter(done)
            .map(|a| a.key.as_str())
            .collect();
        assert_eq!(
            risk_done,
            ["R02", "R04", "R09", "R10", "R11", "R13", "R15", "R16", "R17", "R18"]
        );
        let audit: Vec<_> = p
            .actions
            .iter()
            .filter(|a| !a.recommendations.is_empty())
            .collect();
        assert_eq!((audit.len(), audit.iter().filter(done).count()), (11, 7));
        assert_eq!(p.actions.len(), 28, "R16 is AA10: entered once");
        let r16 = p.actions.iter().find(|a| a.key.as_str() == "R16").unwrap();
        assert_eq!(r16.risks, vec![key("RK11")]);
        assert_eq!(r16.recommendations[0].case_ref, "KS-2018/753.912");
        let r07 = p.actions.iter().find(|a| a.key.as_str() == "R07").unwrap();
        assert_eq!(r07.blocked_by, Some(BlockerData::Action(key("R08"))));
        for k in ["AA06", "AA07"] {
            let a = p.actions.iter().find(|a| a.key.as_str() == k).unwrap();
            assert!(
                matches!(&a.blocked_by, Some(BlockerData::Other(t)) if t.contains("10 februari 2020")),
                "{k}"
            );
        }

        let systematic: Vec<_> = p
            .controls
            .iter()
            .filter(|c| c.kind == ControlKind::Systematic)
            .collect();
        let names: Vec<String> = systematic.iter().map(|c| c.key.to_string()).collect();
        assert_eq!(names, keys("C", 16));
        let all_performed = |c: &&&crate::ControlData| {
            !c.occurrences.is_empty()
                && c.occurrences
                    .iter()
                    .all(|o| o.execution.as_ref().is_some_and(Execution::is_performed))
        };
        let not_done: Vec<&str> = systematic
            .iter()
            .filter(|c| !all_performed(c))
            .map(|c| c.key.as_str())
            .collect();
        assert_eq!(not_done, ["C03", "C09", "C15", "C16"], "12 Klart, 4 not");
        let c = |k: &str| systematic.iter().find(|c| c.key.as_str() == k).unwrap();
        let performed = |k: &str| {
            c(k).occurrences
                .iter()
                .filter(|o| o.execution.as_ref().is_some_and(Execution::is_performed))
                .count()
        };
        assert_eq!((c("C03").occurrences.len(), performed("C03")), (12, 3));
        assert!(c("C03").occurrences[3..].iter().all(|o| matches!(
            &o.execution,
            Some(Execution::NotPerformed { reason }) if reason.contains("underbemanning")
        )));
        for k in ["C04", "C05", "C06"] {
            assert_eq!((c(k).occurrences.len(), performed(k)), (12, 12), "{k}");
        }
        assert_eq!(c("C05").planned_parameters, "> 50 000 kr");
        assert!(c("C05").occurrences.iter().all(|o| matches!(
            &o.execution,
            Some(Execution::Performed { parameters_used, .. }) if parameters_used == "> 49 000 kr"
        )));
        let with_remark: Vec<&str> = systematic
            .iter()
            .filter(|c| {
                c.occurrences
                    .iter()
                    .any(|o| o.execution.as_ref().is_some_and(Execution::has_findings))
            })
            .map(|c| c.key.as_str())
            .collect();
        assert_eq!(with_remark, ["C10", "C13"]);
        assert!(c("C02").discontinued.is_some());
        assert!(systematic.iter().all(|c| c
            .occurrences
            .iter()
            .all(|o| o.planned_on.as_str() <= "2019-12-31")));

        let u01 = p.controls.iter().find(|c| c.key.as_str() == "U01").unwrap();
        assert!(
            matches!(&u01.kind, ControlKind::ContractFollowUp(f) if f.follow_up_kind == "Avtalsuppföljning")
        );
    }
}
