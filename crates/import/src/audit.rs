//! The `[[audits]]` section of the uppsikt/1 format: the elected auditors' audits
//! (`domain::audit`) with their questions, numbered recommendations (their yearly verdicts
//! and links to internal control) and the boards' responses. Rows become domain types here;
//! what one audit can check of itself (numbers, the questions a recommendation answers,
//! who a response may come from) is checked here, what spans the files in
//! [`check_merged`], what needs the database when loading.

use std::collections::{HashMap, HashSet};

use toml::Value;
use uppsikt_domain::audit::{
    Assessment, AuditKind, AuditRefusal, Criterion, Grade, Stance, SubQuestion,
};
use uppsikt_domain::case_ref::{CaseRef, CaseRefFormat};
use uppsikt_domain::deviation::DecidingBody;
use uppsikt_domain::messages::{self, audit as au};

use crate::data::*;
use crate::parse::{list, written, Unique};
use crate::reader::{boolean, date, integer, key_of, long_text, text, year, Row};
use crate::report::{quoted, Errors};

/// The codes of a deciding body, as the format writes them.
const BODIES: &[&str] = &["nämnd", "utskott", "förvaltning"];

pub(crate) fn audit(r: &Row<'_>, errors: &mut Errors, format: &CaseRefFormat) -> Option<AuditData> {
    r.only(
        errors,
        &[
            "key",
            "title",
            "plan_year",
            "kind",
            "commissioned_by",
            "performed_by",
            "audited",
            "case_ref",
            "issued_on",
            "response_due",
            "purpose",
            "scope",
            "method",
            "criteria",
            "fact_checked",
            "overall",
            "overall_text",
            "signatories",
            "follows_up",
            "questions",
            "recommendations",
            "responses",
        ],
    );
    let key = r.req(errors, "key", &key_of);
    let title = r.req(errors, "title", &text(NAME_MAX));
    let plan_year = r.req(errors, "plan_year", &year);
    let kind = r
        .opt(errors, "kind", &audit_kind)
        .unwrap_or(AuditKind::Review);
    let commissioned_by = optional_text(r, errors, "commissioned_by");
    let performed_by = optional_text(r, errors, "performed_by");
    let audited = list(r, errors, "audited", &key_of, Key::to_string).unwrap_or_default();
    let case_ref = r.opt(errors, "case_ref", &|v| case_ref(v, format));
    let issued_on = r.opt(errors, "issued_on", &date);
    let response_due = r.opt(errors, "response_due", &date);
    let purpose = optional_long_text(r, errors, "purpose");
    let scope = optional_long_text(r, errors, "scope");
    let method = optional_long_text(r, errors, "method");
    let criteria = r
        .text_list(errors, "criteria", TEXT_MAX)
        .iter()
        .map(|c| Criterion::parse(c))
        .collect();
    let fact_checked = r.opt(errors, "fact_checked", &boolean).unwrap_or(false);
    let overall = r.opt(errors, "overall", &assessment);
    let overall_text = optional_long_text(r, errors, "overall_text");
    let signatories = r.text_list(errors, "signatories", NAME_MAX);
    let follows_up = list(r, errors, "follows_up", &key_of, Key::to_string).unwrap_or_default();
    if let Some(k) = &key {
        if let Some(i) = follows_up.iter().position(|f| f == k) {
            errors.at(
                &r.at(&format!("follows_up[{i}]")),
                au::FOLLOWS_UP_ITSELF.into(),
            );
        }
    }
    let questions = questions(r, errors);
    let numbers: HashSet<u16> = questions.iter().map(|q| q.number).collect();
    let recommendations: Vec<AuditRecommendationData> = r
        .rows(errors, "recommendations")
        .iter()
        .filter_map(|x| recommendation(x, errors, &numbers, plan_year))
        .collect();
    check_recommendation_numbers(&recommendations, errors);
    let responses = responses(r, errors, format, &recommendations);
    Some(AuditData {
        origin: r.origin.clone(),
        key: key?,
        title: title?,
        plan_year: plan_year?,
        kind,
        commissioned_by,
        performed_by,
        audited,
        case_ref,
        issued_on,
        response_due,
        purpose,
        scope,
        method,
        criteria,
        fact_checked,
        overall,
        overall_text,
        signatories,
        follows_up,
        questions,
        recommendations,
        responses,
    })
}

fn optional_text(r: &Row<'_>, errors: &mut Errors, field: &str) -> String {
    r.opt(errors, field, &text(NAME_MAX)).unwrap_or_default()
}

fn optional_long_text(r: &Row<'_>, errors: &mut Errors, field: &str) -> String {
    r.opt(errors, field, &long_text(TEXT_MAX))
        .unwrap_or_default()
}

/// `granskning`, `fördjupad`, `uppföljande`, the codes, or the full Swedish labels.
pub(crate) fn parse_kind(s: &str) -> Option<AuditKind> {
    match s.trim().to_lowercase().as_str() {
        "granskning" => Some(AuditKind::Review),
        "fördjupad" => Some(AuditKind::InDepth),
        "uppföljande" => Some(AuditKind::FollowUp),
        _ => AuditKind::parse(s),
    }
}

fn audit_kind(v: &Value) -> Result<AuditKind, String> {
    let s = text(NAME_MAX)(v)?;
    parse_kind(&s).ok_or_else(|| au::not_on_scale(&quoted(&s), au::KIND_SCALE))
}

fn assessment(v: &Value) -> Result<Assessment, String> {
    let s = text(NAME_MAX)(v)?;
    Assessment::parse(&s).ok_or_else(|| au::not_on_scale(&quoted(&s), au::ASSESSMENT_SCALE))
}

/// A grade by code or label; "Avstår" alone is read as "Avstår, med motivering".
fn grade(v: &Value) -> Result<Grade, String> {
    let s = text(NAME_MAX)(v)?;
    if s.trim().eq_ignore_ascii_case("avstår") {
        return Ok(Grade::Declined);
    }
    Grade::parse(&s).ok_or_else(|| au::not_on_scale(&quoted(&s), au::GRADE_SCALE))
}

fn case_ref(v: &Value, format: &CaseRefFormat) -> Result<CaseRef, String> {
    let s = text(NAME_MAX)(v)?;
    format.parse(&s).map_err(|e| au::case_ref(&e))
}

/// `nämnd`, `utskott` or `förvaltning` (also without diacritics, or the English codes).
fn deciding_body(v: &Value) -> Result<DecidingBody, String> {
    let s = text(NAME_MAX)(v)?;
    match s.trim().to_lowercase().as_str() {
        "nämnd" | "namnd" | "board" => Ok(DecidingBody::Board),
        "utskott" | "committee" => Ok(DecidingBody::Committee),
        "förvaltning" | "forvaltning" | "administration" => Ok(DecidingBody::Administration),
        _ => Err(messages::choice_of(&quoted(&s), BODIES)),
    }
}

/// A question number: 1-999.
fn question_number(v: &Value) -> Result<u16, String> {
    integer(1, 999)(v).map(|n| u16::try_from(n).expect("range fits u16"))
}

/// A recommendation's number as the report writes it: text, or a bare integer.
fn rec_number(v: &Value) -> Result<String, String> {
    match v {
        Value::Integer(i) if *i >= 0 => Ok(i.to_string()),
        other => text(40)(other),
    }
}

fn questions(r: &Row<'_>, errors: &mut Errors) -> Vec<QuestionData> {
    let mut seen = Unique::default();
    let mut out = Vec::new();
    for q in r.rows(errors, "questions") {
        q.only(
            errors,
            &["number", "text", "assessment", "reasoning", "sub_questions"],
        );
        let number = q.req(errors, "number", &question_number);
        let t = q.req(errors, "text", &long_text(TEXT_MAX));
        let assessment = q.opt(errors, "assessment", &assessment);
        let reasoning = optional_long_text(&q, errors, "reasoning");
        let mut subs = Vec::new();
        for s in q.rows(errors, "sub_questions") {
            s.only(errors, &["text", "assessment"]);
            let st = s.req(errors, "text", &long_text(TEXT_MAX));
            let sa = s.opt(errors, "assessment", &assessment_of);
            if let Some(text) = st {
                subs.push(SubQuestion {
                    text,
                    assessment: sa,
                });
            }
        }
        let (Some(number), Some(text)) = (number, t) else {
            continue;
        };
        if seen.first(number, &q.origin.field("number"), errors, |_| {
            au::refusal(&AuditRefusal::DuplicateNumber(number.to_string()))
        }) {
            out.push(QuestionData {
                origin: q.origin.clone(),
                number,
                text,
                assessment,
                reasoning,
                sub_questions: subs,
            });
        }
    }
    out
}

/// The same converter under another name (a closure cannot name the outer `assessment`
/// once the local binding shadows it).
fn assessment_of(v: &Value) -> Result<Assessment, String> {
    assessment(v)
}

fn recommendation(
    r: &Row<'_>,
    errors: &mut Errors,
    questions: &HashSet<u16>,
    plan_year: Option<i32>,
) -> Option<AuditRecommendationData> {
    r.only(
        errors,
        &[
            "key",
            "number",
            "text",
            "to",
            "questions",
            "reissues",
            "ic_links",
            "verdicts",
        ],
    );
    let key = r.req(errors, "key", &key_of);
    let number = r.req(errors, "number", &rec_number);
    let t = r.req(errors, "text", &long_text(TEXT_MAX));
    let to = list(r, errors, "to", &key_of, Key::to_string).unwrap_or_default();
    if to.is_empty() {
        errors.at(&r.at("to"), au::refusal(&AuditRefusal::NoAddressee));
    }
    let answers =
        list(r, errors, "questions", &question_number, u16::to_string).unwrap_or_default();
    for (i, n) in answers.iter().enumerate() {
        if !questions.contains(n) {
            errors.at(
                &r.at(&format!("questions[{i}]")),
                au::refusal(&AuditRefusal::UnknownQuestion(*n)),
            );
        }
    }
    let reissues = r.opt(errors, "reissues", &key_of);
    if reissues.is_some() && reissues == key {
        errors.at(&r.at("reissues"), au::refusal(&AuditRefusal::ReissueCycle));
    }
    let ic_links: Vec<IcLinkData> = r
        .rows(errors, "ic_links")
        .iter()
        .filter_map(|l| ic_link(l, errors))
        .collect();
    let mut seen_links = Unique::default();
    for l in &ic_links {
        if !to.contains(&l.org) {
            errors.at(
                &l.origin.field("plan"),
                au::link_not_addressee(l.org.as_str()),
            );
        }
        let shown = l.item.key().to_string();
        seen_links.first(
            (l.org.clone(), l.year, l.item.clone()),
            &l.origin,
            errors,
            |_| messages::duplicate_in_list(&shown),
        );
    }
    let verdicts = verdicts(r, errors, plan_year);
    Some(AuditRecommendationData {
        origin: r.origin.clone(),
        key: key?,
        number: number?,
        text: t?,
        to,
        questions: answers,
        reissues,
        ic_links,
        verdicts,
    })
}

/// Numbers unique within the audit (case-insensitive, as the domain compares them).
fn check_recommendation_numbers(recs: &[AuditRecommendationData], errors: &mut Errors) {
    let mut seen = Unique::default();
    for r in recs {
        seen.first(
            r.number.trim().to_lowercase(),
            &r.origin.field("number"),
            errors,
            |_| au::refusal(&AuditRefusal::DuplicateNumber(r.number.clone())),
        );
    }
}

/// `{ plan = { org, year }, action | control | risk = "KEY" }`.
fn ic_link(r: &Row<'_>, errors: &mut Errors) -> Option<IcLinkData> {
    r.only(errors, &["plan", "action", "control", "risk"]);
    let plan = match r.sub_table(errors, "plan") {
        Some(p) => {
            p.only(errors, &["org", "year"]);
            let org = p.req(errors, "org", &key_of);
            let y = p.req(errors, "year", &year);
            org.zip(y)
        }
        None => {
            if !r.table.contains_key("plan") {
                errors.at(&r.at("plan"), messages::REQUIRED.into());
            }
            None
        }
    };
    let action = r.opt(errors, "action", &item_key);
    let control = r.opt(errors, "control", &item_key);
    let risk = r.opt(errors, "risk", &item_key);
    let given = ["action", "control", "risk"]
        .iter()
        .filter(|f| written(r, f))
        .count();
    if given != 1 {
        errors.at(&r.origin, au::LINK_ONE_ITEM.into());
        return None;
    }
    let item = action
        .map(IcItemKey::Action)
        .or(control.map(IcItemKey::Control))
        .or(risk.map(IcItemKey::Risk))?;
    let (org, year) = plan?;
    Some(IcLinkData {
        origin: r.origin.clone(),
        org,
        year,
        item,
    })
}

fn item_key(v: &Value) -> Result<ItemKey, String> {
    let s = text(NAME_MAX)(v)?;
    ItemKey::parse(&s)
        .ok_or_else(|| messages::internal_control::invalid_item_key(&quoted(&s), ITEM_KEY_MAX))
}

fn verdicts(r: &Row<'_>, errors: &mut Errors, plan_year: Option<i32>) -> Vec<VerdictData> {
    let mut seen = Unique::default();
    let mut out: Vec<VerdictData> = Vec::new();
    for v in r.rows(errors, "verdicts") {
        v.only(errors, &["year", "grade", "text", "evidence", "closes"]);
        let y = v.req(errors, "year", &year);
        let g = v.req(errors, "grade", &grade);
        let t = optional_long_text(&v, errors, "text");
        let evidence = optional_long_text(&v, errors, "evidence");
        let closes = v.opt(errors, "closes", &boolean).unwrap_or(false);
        let (Some(y), Some(g)) = (y, g) else { continue };
        if g == Grade::Declined && t.trim().is_empty() {
            errors.at(
                &v.at("text"),
                au::refusal(&AuditRefusal::VerdictTextRequired),
            );
            continue;
        }
        if plan_year.is_some_and(|p| y < p) {
            errors.at(
                &v.at("year"),
                au::refusal(&AuditRefusal::VerdictBeforeAudit),
            );
            continue;
        }
        if !seen.first(y, &v.origin.field("year"), errors, |_| {
            au::refusal(&AuditRefusal::VerdictExists(y))
        }) {
            continue;
        }
        if out
            .iter()
            .any(|x| x.year < y && (x.closes || x.grade == Grade::Implemented))
        {
            errors.at(&v.origin, au::refusal(&AuditRefusal::AlreadyClosed));
            continue;
        }
        out.push(VerdictData {
            origin: v.origin.clone(),
            year: y,
            grade: g,
            text: t,
            evidence,
            closes,
        });
    }
    out.sort_by_key(|v| v.year);
    out
}

fn responses(
    r: &Row<'_>,
    errors: &mut Errors,
    format: &CaseRefFormat,
    recs: &[AuditRecommendationData],
) -> Vec<ResponseData> {
    let by_key: HashMap<&str, &AuditRecommendationData> =
        recs.iter().map(|x| (x.key.as_str(), x)).collect();
    let mut boards = Unique::default();
    let mut out = Vec::new();
    for x in r.rows(errors, "responses") {
        x.only(
            errors,
            &[
                "org",
                "body",
                "document",
                "decided_on",
                "paragraph",
                "case_ref",
                "items",
            ],
        );
        let org = x.req(errors, "org", &key_of);
        let body = x.req(errors, "body", &deciding_body);
        let document = x.req(errors, "document", &text(NAME_MAX));
        let decided_on = x.req(errors, "decided_on", &date);
        let paragraph = optional_text(&x, errors, "paragraph");
        let case_ref = x.opt(errors, "case_ref", &|v| case_ref(v, format));
        let addressed = org
            .as_ref()
            .is_some_and(|o| recs.iter().any(|rec| rec.to.contains(o)));
        if org.is_some() && !addressed {
            errors.at(&x.at("org"), au::refusal(&AuditRefusal::NotAddressed));
        }
        let items = items(&x, errors, org.as_ref(), &by_key);
        let (Some(org), Some(body), Some(document), Some(decided_on)) =
            (org, body, document, decided_on)
        else {
            continue;
        };
        if boards.first(
            org.clone(),
            &x.origin.field("org"),
            errors,
            au::response_twice,
        ) {
            out.push(ResponseData {
                origin: x.origin.clone(),
                org,
                body,
                document,
                decided_on,
                paragraph,
                case_ref,
                items,
            });
        }
    }
    out
}

fn items(
    r: &Row<'_>,
    errors: &mut Errors,
    org: Option<&Key>,
    recs: &HashMap<&str, &AuditRecommendationData>,
) -> Vec<ResponseItemData> {
    let mut seen = Unique::default();
    let mut out = Vec::new();
    for i in r.rows(errors, "items") {
        i.only(errors, &["recommendation", "stance", "text", "comment"]);
        let key = i.req(errors, "recommendation", &key_of);
        let code = i.opt(errors, "stance", &text(NAME_MAX));
        let t = optional_long_text(&i, errors, "text");
        let comment = optional_long_text(&i, errors, "comment");
        let stance = match Stance::from_parts(code.as_deref().unwrap_or("not_stated"), &t) {
            Ok(s) => Some(s),
            Err(e @ AuditRefusal::UnknownStance(_)) => {
                errors.at(&i.at("stance"), au::refusal(&e));
                None
            }
            Err(e) => {
                errors.at(&i.at("text"), au::refusal(&e));
                None
            }
        };
        if !t.is_empty() && matches!(stance, Some(Stance::Accepted | Stance::NotStated)) {
            errors.at(&i.at("text"), au::STANCE_TEXT.into());
        }
        let Some(key) = key else { continue };
        match recs.get(key.as_str()) {
            None => {
                errors.at(
                    &i.at("recommendation"),
                    au::recommendation_of_other_audit(key.as_str()),
                );
                continue;
            }
            Some(rec) if org.is_some_and(|o| !rec.to.contains(o)) => {
                errors.at(
                    &i.at("recommendation"),
                    au::refusal(&AuditRefusal::NotAddressedRecommendation(key.to_string())),
                );
                continue;
            }
            Some(_) => {}
        }
        let Some(stance) = stance else { continue };
        if seen.first(
            key.clone(),
            &i.origin.field("recommendation"),
            errors,
            |_| au::refusal(&AuditRefusal::AlreadyAnswered),
        ) {
            out.push(ResponseItemData {
                origin: i.origin.clone(),
                recommendation: key,
                stance,
                comment,
            });
        }
    }
    out
}

/// Across the files: audit keys and recommendation keys unique; `follows_up` and
/// `reissues` name audits and recommendations of the files; no chain of re-issues loops.
pub(crate) fn check_merged(data: &DataSet, errors: &mut Errors) {
    let mut audits = Unique::default();
    for a in &data.audits {
        audits.first(a.key.as_str(), &a.origin.field("key"), errors, |f| {
            au::duplicate_audit_key(a.key.as_str(), f)
        });
    }
    let mut recs = Unique::default();
    for r in data.audits.iter().flat_map(|a| &a.recommendations) {
        recs.first(r.key.as_str(), &r.origin.field("key"), errors, |f| {
            au::duplicate_recommendation_key(r.key.as_str(), f)
        });
    }
    let audit_keys: HashSet<&str> = data.audits.iter().map(|a| a.key.as_str()).collect();
    let parent: HashMap<&str, Option<&str>> = data
        .audits
        .iter()
        .flat_map(|a| &a.recommendations)
        .map(|r| (r.key.as_str(), r.reissues.as_ref().map(Key::as_str)))
        .collect();
    for a in &data.audits {
        for (i, f) in a.follows_up.iter().enumerate() {
            if !audit_keys.contains(f.as_str()) {
                errors.at(
                    &a.origin.field(&format!("follows_up[{i}]")),
                    au::unknown_audit(f.as_str()),
                );
            }
        }
        for r in &a.recommendations {
            let Some(p) = &r.reissues else { continue };
            if p == &r.key {
                continue; // reported with the row
            }
            if !parent.contains_key(p.as_str()) {
                errors.at(
                    &r.origin.field("reissues"),
                    au::unknown_recommendation(p.as_str()),
                );
            } else if reaches(&parent, p.as_str(), r.key.as_str()) {
                errors.at(
                    &r.origin.field("reissues"),
                    au::refusal(&AuditRefusal::ReissueCycle),
                );
            }
        }
    }
}

/// Whether following `reissues` from `from` comes to `target`.
fn reaches(parent: &HashMap<&str, Option<&str>>, from: &str, target: &str) -> bool {
    let mut at = Some(from);
    for _ in 0..=parent.len() {
        match at {
            Some(k) if k == target => return true,
            Some(k) => at = parent.get(k).copied().flatten(),
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{parse_texts, DEMO};

    #[test]
    fn the_demo_parses() {
        let data = parse_texts(DEMO).unwrap_or_else(|r| panic!("{r}"));
        assert_eq!(data.audits.len(), 14);
    }
}
