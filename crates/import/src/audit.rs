//! The `[[audits]]` section of the uppsikt/1 format: the elected auditors' audits
//! (`domain::audit`) with their questions, numbered recommendations (their yearly verdicts
//! and links to internal control) and the boards' responses. Rows become domain types here;
//! what one audit can check of itself (numbers, the questions a recommendation answers,
//! who a response may come from) is checked here, what spans the files in
//! [`check_merged`], what needs the database when loading.

use std::collections::{HashMap, HashSet};

use toml::Value;
use uppsikt_domain::audit::{
    Assessment, Audit, AuditKind, AuditRefusal, Criterion, Grade, IcLink, IcTarget, ResponseItem,
    Stance, SubQuestion,
};
use uppsikt_domain::case_ref::{CaseRef, CaseRefFormat};
use uppsikt_domain::deviation::DecidingBody;
use uppsikt_domain::messages::{self, audit as au, Referent};
use uppsikt_domain::model::Id;
use uppsikt_store::{
    AuditHeader, AuditInput, QuestionInput, RecommendationInput, ResponseInput, VerdictInput,
    Writer,
};

use crate::data::*;
use crate::load::{At, Ids};
use crate::parse::{list, written, Unique};
use crate::reader::{boolean, date, integer, key_of, long_text, text, year, Row};
use crate::report::{quoted, Errors, ImportReport};
use crate::resolve::Existing;

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

// --- loading ------------------------------------------------------------------------------

/// Writes the files' audits through the writer, after the control plans (`plans`: every
/// plan's id by unit and year). A file's audit is the stored audit of the same plan year
/// and title if there is one (the store keeps no keys): its header is set to the file's,
/// its questions and recommendations are matched by number (added or changed), and the
/// verdicts, links and responses the file gives are added where missing (a response is
/// changed where it differs; a different verdict for a year already judged is refused).
/// Nothing is deleted for being absent from the files, and an audit exactly as stored
/// writes nothing.
///
/// In order: every audit and its recommendations, then what refers across audits
/// (`follows_up`, `reissues`), then verdicts, links to internal control, responses.
pub(crate) async fn write_audits(
    w: &mut Writer,
    data: &DataSet,
    ids: &Ids,
    existing: &Existing,
    plans: &HashMap<(Id, i32), Id>,
) -> Result<(), ImportReport> {
    if data.audits.is_empty() {
        return Ok(());
    }
    let today = uppsikt_store::today();
    let mut audit_ids: HashMap<&str, Id> = HashMap::new();
    let mut rec_ids: HashMap<&str, Id> = HashMap::new();
    // 1. The audits with their questions and recommendations, without cross references.
    for a in &data.audits {
        let header = header(a, ids, &HashMap::new(), None)?;
        let stored = existing
            .audits
            .iter()
            .find(|s| s.plan_year == a.plan_year && s.title.trim() == a.title.trim());
        let audit_id = match stored {
            Some(s) => s.id,
            None => {
                let mut recs = Vec::with_capacity(a.recommendations.len());
                for r in &a.recommendations {
                    recs.push(rec_input(r, ids, &HashMap::new(), None)?);
                }
                let input = AuditInput {
                    header,
                    questions: a.questions.iter().map(question_input).collect(),
                    recommendations: recs,
                };
                w.create_audit(&input).await.at(&a.origin)?
            }
        };
        audit_ids.insert(a.key.as_str(), audit_id);
        let now = w.audit_in_tx(audit_id).await.at(&a.origin)?;
        for r in &a.recommendations {
            if let Some(x) = now
                .recommendations
                .iter()
                .find(|x| same_number(&x.number, &r.number))
            {
                rec_ids.insert(r.key.as_str(), x.id);
            }
        }
    }
    // 2. Headers (what they follow up), questions and recommendations as the files give them.
    for a in &data.audits {
        let audit_id = audit_ids[a.key.as_str()];
        let stored = w.audit_in_tx(audit_id).await.at(&a.origin)?;
        w.update_audit(audit_id, &header(a, ids, &audit_ids, Some(&stored))?)
            .await
            .at(&a.origin)?;
        for q in &a.questions {
            let input = question_input(q);
            match stored.questions.iter().find(|x| x.number == q.number) {
                Some(x) => w.update_question(x.id, &input).await.at(&q.origin)?,
                None => {
                    w.add_question(audit_id, &input).await.at(&q.origin)?;
                }
            }
        }
        for r in &a.recommendations {
            let stored_rec = stored
                .recommendations
                .iter()
                .find(|x| same_number(&x.number, &r.number));
            let input = rec_input(r, ids, &rec_ids, stored_rec.and_then(|x| x.reissues))?;
            match stored_rec {
                Some(x) => w.update_recommendation(x.id, &input).await.at(&r.origin)?,
                None => {
                    let id = w.add_recommendation(audit_id, &input).await.at(&r.origin)?;
                    rec_ids.insert(r.key.as_str(), id);
                }
            }
        }
    }
    // 3. Verdicts and links to internal control; 4. responses.
    for a in &data.audits {
        let audit_id = audit_ids[a.key.as_str()];
        let stored = w.audit_in_tx(audit_id).await.at(&a.origin)?;
        for r in &a.recommendations {
            let rec_id = rec_ids[r.key.as_str()];
            let rec = stored.recommendation(rec_id);
            for v in &r.verdicts {
                let input = VerdictInput {
                    year: v.year,
                    grade: v.grade,
                    text: v.text.clone(),
                    evidence: v.evidence.clone(),
                    closes: v.closes,
                };
                let same = rec.is_some_and(|x| {
                    x.verdicts.iter().any(|s| {
                        (
                            s.year,
                            s.grade,
                            s.text.as_str(),
                            s.evidence.as_str(),
                            s.closes,
                        ) == (v.year, v.grade, v.text.trim(), v.evidence.trim(), v.closes)
                    })
                });
                if !same {
                    w.record_verdict(rec_id, &input).await.at(&v.origin)?;
                }
            }
            for l in &r.ic_links {
                let link = ic_link_of(w, l, ids, plans).await?;
                w.link_ic(rec_id, link).await.at(&l.origin)?;
            }
        }
        for x in &a.responses {
            let unit_id = ids.get(Referent::OrgUnit, &x.org, &x.origin.field("org"))?;
            let input = ResponseInput {
                audit_id,
                unit_id,
                body: x.body,
                document: x.document.clone(),
                decided_on: x.decided_on.clone(),
                paragraph: x.paragraph.clone(),
                case_ref: x.case_ref.clone(),
                items: x
                    .items
                    .iter()
                    .map(|i| ResponseItem {
                        recommendation_id: rec_ids[i.recommendation.as_str()],
                        stance: i.stance.clone(),
                        comment: i.comment.clone(),
                    })
                    .collect(),
            };
            match stored.response_of(unit_id) {
                Some(s) => w
                    .update_response(s.id, &input, &today)
                    .await
                    .at(&x.origin)?,
                None => {
                    w.record_response(&input, &today).await.at(&x.origin)?;
                }
            }
        }
    }
    Ok(())
}

/// Recommendation numbers are compared as the domain compares them.
fn same_number(a: &str, b: &str) -> bool {
    a.trim().to_lowercase() == b.trim().to_lowercase()
}

/// The file's header; `follows_up` resolved through `audits` (empty in the first pass, when
/// a stored audit keeps what it follows up).
fn header(
    a: &AuditData,
    ids: &Ids,
    audits: &HashMap<&str, Id>,
    stored: Option<&Audit>,
) -> Result<AuditHeader, ImportReport> {
    let mut audited = Vec::with_capacity(a.audited.len());
    for (i, k) in a.audited.iter().enumerate() {
        let at = a.origin.field(&format!("audited[{i}]"));
        audited.push(ids.get(Referent::OrgUnit, k, &at)?);
    }
    let follows_up = if audits.is_empty() {
        stored.map(|s| s.follows_up.clone()).unwrap_or_default()
    } else {
        a.follows_up
            .iter()
            .filter_map(|k| audits.get(k.as_str()).copied())
            .collect()
    };
    Ok(AuditHeader {
        title: a.title.clone(),
        plan_year: a.plan_year,
        kind: a.kind,
        commissioned_by: a.commissioned_by.clone(),
        performed_by: a.performed_by.clone(),
        audited_units: audited,
        case_ref: a.case_ref.clone(),
        issued_on: a.issued_on.clone(),
        response_due: a.response_due.clone(),
        purpose: a.purpose.clone(),
        scope: a.scope.clone(),
        method: a.method.clone(),
        criteria: a.criteria.clone(),
        fact_checked: a.fact_checked,
        overall: a.overall,
        overall_text: a.overall_text.clone(),
        signatories: a.signatories.clone(),
        follows_up,
    })
}

fn question_input(q: &QuestionData) -> QuestionInput {
    QuestionInput {
        number: q.number,
        text: q.text.clone(),
        assessment: q.assessment,
        reasoning: q.reasoning.clone(),
        sub_questions: q.sub_questions.clone(),
    }
}

/// The file's recommendation; `reissues` resolved through `recs` (a stored recommendation
/// keeps what it re-issues while the predecessors are not all written yet).
fn rec_input(
    r: &AuditRecommendationData,
    ids: &Ids,
    recs: &HashMap<&str, Id>,
    kept: Option<Id>,
) -> Result<RecommendationInput, ImportReport> {
    let mut addressees = Vec::with_capacity(r.to.len());
    for (i, k) in r.to.iter().enumerate() {
        let at = r.origin.field(&format!("to[{i}]"));
        addressees.push(ids.get(Referent::OrgUnit, k, &at)?);
    }
    let reissues = match &r.reissues {
        Some(k) => recs.get(k.as_str()).copied().or(kept),
        None if recs.is_empty() => kept,
        None => None,
    };
    Ok(RecommendationInput {
        number: r.number.clone(),
        text: r.text.clone(),
        addressees,
        questions: r.questions.clone(),
        reissues,
    })
}

/// The link's plan item by key, for the plan's unit.
async fn ic_link_of(
    w: &mut Writer,
    l: &IcLinkData,
    ids: &Ids,
    plans: &HashMap<(Id, i32), Id>,
) -> Result<IcLink, ImportReport> {
    let unit_id = ids.get(Referent::OrgUnit, &l.org, &l.origin.field("plan"))?;
    let missing_plan = || {
        ImportReport::single(
            &l.origin.field("plan"),
            au::unknown_plan(l.org.as_str(), l.year),
        )
    };
    let plan_id = *plans.get(&(unit_id, l.year)).ok_or_else(missing_plan)?;
    let plan = w.control_plan_in_tx(plan_id).await.at(&l.origin)?;
    let key = l.item.key().as_str();
    let target = match &l.item {
        IcItemKey::Action(_) => plan
            .actions
            .iter()
            .find(|x| x.key == key)
            .map(|x| IcTarget::Action(x.id)),
        IcItemKey::Control(_) => plan
            .controls
            .iter()
            .find(|x| x.key == key)
            .map(|x| IcTarget::Control(x.id)),
        IcItemKey::Risk(_) => plan
            .risks
            .iter()
            .find(|x| x.key == key)
            .map(|x| IcTarget::Risk(x.id)),
    };
    let target = target.ok_or_else(|| {
        ImportReport::single(
            &l.origin,
            au::unknown_plan_item(key, l.org.as_str(), l.year),
        )
    })?;
    Ok(IcLink { unit_id, target })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{parse_str, parse_str_in, parse_texts, DEMO};

    const DOC: &str = r#"format = "uppsikt/1"

[[audits]]
key = "ik"
title = "Granskning av intern kontroll"
plan_year = 2019
kind = "granskning"
case_ref = "KS-2019/12.912"
criteria = ["Kommunallagen (2017:725) 6 kap. 6 §"]
overall = "Delvis"

[[audits.questions]]
number = 1
text = "Räcker den interna kontrollen?"
assessment = "Delvis"
sub_questions = [{ text = "Är uppdraget tydligt?", assessment = "Nej" }]

[[audits.recommendations]]
key = "ik-1"
number = "1"
text = "Verka för ett enhetligt arbetssätt."
to = ["ks"]
questions = [1]
ic_links = [{ plan = { org = "ks", year = 2019 }, action = "AA01" }]

[[audits.recommendations.verdicts]]
year = 2021
grade = "Avstår"
text = "Valt att inte följa."

[[audits.recommendations]]
key = "ik-2"
number = "2"
text = "Inrätta en central funktion."
to = ["ks", "gsn"]

[[audits.responses]]
org = "ks"
body = "nämnd"
document = "Tjänsteutlåtande"
decided_on = "2020-06-22"
case_ref = "KS-2020/716.912"
items = [
  { recommendation = "ik-1", stance = "declined", text = "Ordinarie styrning räcker." },
  { recommendation = "ik-2", stance = "Instämmer", comment = "Funktionen inrättas." },
]

[[audits]]
key = "uppf"
title = "Uppföljning"
plan_year = 2021
kind = "uppföljande"
follows_up = ["ik"]

[[audits.recommendations]]
key = "uppf-1"
number = "IK21-a"
text = "Fortsätt verka för ett enhetligt arbetssätt."
to = ["ks"]
reissues = "ik-1"
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
    fn a_whole_audit_becomes_domain_values() {
        let d = parse_str("t.toml", DOC).unwrap_or_else(|r| panic!("{r}"));
        let a = &d.audits[0];
        assert_eq!(a.kind, AuditKind::Review);
        let c = a.case_ref.as_ref().unwrap();
        assert_eq!(
            (c.year, c.serial, c.class.as_deref()),
            (2019, 12, Some("912"))
        );
        assert_eq!(
            a.criteria[0].refers_to,
            Some(uppsikt_domain::audit::CriterionRef::Statute(
                "2017:725".into()
            ))
        );
        assert_eq!(
            a.questions[0].sub_questions[0].assessment,
            Some(Assessment::No)
        );
        let r = &a.recommendations[0];
        assert_eq!(r.verdicts[0].grade, Grade::Declined);
        assert_eq!(
            r.ic_links[0].item,
            IcItemKey::Action(ItemKey::parse("AA01").unwrap())
        );
        let resp = &a.responses[0];
        assert_eq!(resp.body, DecidingBody::Board);
        assert_eq!(
            resp.items[0].stance,
            Stance::Declined("Ordinarie styrning räcker.".into())
        );
        assert_eq!(resp.items[1].stance, Stance::Accepted);
        assert_eq!(d.audits[1].kind, AuditKind::FollowUp);
        assert_eq!(d.audits[1].recommendations[0].reissues, Key::parse("ik-1"));
    }

    #[test]
    fn case_numbers_follow_the_configured_format() {
        let other = CaseRefFormat::parse_template("{body} {year}-{serial}").unwrap();
        let report = parse_str_in("t.toml", DOC, &other).expect_err("Huddinge's format");
        let locations: Vec<&str> = report.errors.iter().map(|e| e.location.as_str()).collect();
        assert_eq!(
            locations,
            ["audits[0].case_ref", "audits[0].responses[0].case_ref"]
        );
        let text = DOC
            .replace("KS-2019/12.912", "KS 2019-12")
            .replace("KS-2020/716.912", "KS 2020-716");
        let d = parse_str_in("t.toml", &text, &other).unwrap_or_else(|r| panic!("{r}"));
        assert_eq!(d.audits[0].case_ref.as_ref().unwrap().serial, 12);
    }

    #[test]
    fn each_wrong_row_is_reported_at_its_place_in_swedish() {
        let refusal = |r: AuditRefusal| au::refusal(&r);
        let cases: Vec<(String, &str, String)> = vec![
            (
                with("case_ref = \"KS-2019/12.912\"", "case_ref = \"KS 2019/12\""),
                "audits[0].case_ref",
                au::case_ref(&CaseRefFormat::huddinge().parse("KS 2019/12").unwrap_err()),
            ),
            (
                with("kind = \"granskning\"", "kind = \"revision\""),
                "audits[0].kind",
                au::not_on_scale("revision", au::KIND_SCALE),
            ),
            (
                with("assessment = \"Delvis\"", "assessment = \"Kanske\""),
                "audits[0].questions[0].assessment",
                au::not_on_scale("Kanske", au::ASSESSMENT_SCALE),
            ),
            (
                with("questions = [1]", "questions = [1, 2]"),
                "audits[0].recommendations[0].questions[1]",
                refusal(AuditRefusal::UnknownQuestion(2)),
            ),
            (
                with("number = \"2\"", "number = \"1\""),
                "audits[0].recommendations[1].number",
                refusal(AuditRefusal::DuplicateNumber("1".into())),
            ),
            (
                with("to = [\"ks\", \"gsn\"]", "to = []"),
                "audits[0].recommendations[1].to",
                refusal(AuditRefusal::NoAddressee),
            ),
            (
                with("text = \"Valt att inte följa.\"\n", ""),
                "audits[0].recommendations[0].verdicts[0].text",
                refusal(AuditRefusal::VerdictTextRequired),
            ),
            (
                with("year = 2021\ngrade", "year = 2018\ngrade"),
                "audits[0].recommendations[0].verdicts[0].year",
                refusal(AuditRefusal::VerdictBeforeAudit),
            ),
            (
                with("action = \"AA01\"", "action = \"AA01\", risk = \"RK01\""),
                "audits[0].recommendations[0].ic_links[0]",
                au::LINK_ONE_ITEM.into(),
            ),
            (
                with("org = \"ks\", year = 2019", "org = \"gsn\", year = 2019"),
                "audits[0].recommendations[0].ic_links[0].plan",
                au::link_not_addressee("gsn"),
            ),
            (
                with(
                    "stance = \"declined\", text = \"Ordinarie styrning räcker.\"",
                    "stance = \"declined\"",
                ),
                "audits[0].responses[0].items[0].text",
                refusal(AuditRefusal::MotivationRequired),
            ),
            (
                with("stance = \"Instämmer\"", "stance = \"Kanske\""),
                "audits[0].responses[0].items[1].stance",
                refusal(AuditRefusal::UnknownStance("Kanske".into())),
            ),
            (
                with(
                    "{ recommendation = \"ik-2\"",
                    "{ recommendation = \"uppf-1\"",
                ),
                "audits[0].responses[0].items[1].recommendation",
                au::recommendation_of_other_audit("uppf-1"),
            ),
            (
                with("org = \"ks\"\nbody", "org = \"gsn\"\nbody"),
                "audits[0].responses[0].items[0].recommendation",
                refusal(AuditRefusal::NotAddressedRecommendation("ik-1".into())),
            ),
            (
                with("body = \"nämnd\"", "body = \"kommun\""),
                "audits[0].responses[0].body",
                messages::choice_of("kommun", BODIES),
            ),
            (
                with("reissues = \"ik-1\"", "reissues = \"ik-9\""),
                "audits[1].recommendations[0].reissues",
                au::unknown_recommendation("ik-9"),
            ),
            (
                with("follows_up = [\"ik\"]", "follows_up = [\"uppf\"]"),
                "audits[1].follows_up[0]",
                au::FOLLOWS_UP_ITSELF.into(),
            ),
            (
                with("key = \"uppf-1\"", "key = \"ik-1\""),
                "audits[1].recommendations[0].key",
                au::duplicate_recommendation_key("ik-1", "audits[0].recommendations[0].key"),
            ),
            (
                with("key = \"uppf\"", "key = \"ik\""),
                "audits[1].key",
                au::duplicate_audit_key("ik", "audits[0].key"),
            ),
            (
                with("plan_year = 2021", "plan_year = \"2021\""),
                "audits[1].plan_year",
                messages::wrong_type(messages::Expected::Integer),
            ),
            (
                with("title = \"Uppföljning\"", "titel = \"Uppföljning\""),
                "audits[1].titel",
                messages::unknown_field("titel"),
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
    fn a_chain_of_reissues_that_loops_is_refused() {
        let text = format!(
            "{DOC}\n[[audits]]\nkey = \"x\"\ntitle = \"X\"\nplan_year = 2022\n\n[[audits.recommendations]]\nkey = \"x-1\"\nnumber = \"1\"\ntext = \"T\"\nto = [\"ks\"]\nreissues = \"x-2\"\n\n[[audits.recommendations]]\nkey = \"x-2\"\nnumber = \"2\"\ntext = \"T\"\nto = [\"ks\"]\nreissues = \"x-1\"\n"
        );
        let errs = errors(&text);
        let cycle = au::refusal(&AuditRefusal::ReissueCycle);
        assert_eq!(
            errs.iter().filter(|(_, m)| *m == cycle).count(),
            2,
            "{errs:#?}"
        );
    }

    #[test]
    fn the_demo_holds_every_audit_of_b4() {
        let data = parse_texts(DEMO).unwrap_or_else(|r| panic!("{r}"));
        assert_eq!(data.audits.len(), 14);
        let recs: usize = data.audits.iter().map(|a| a.recommendations.len()).sum();
        assert_eq!(recs, 12 + 12 + 11 + 3 + 10);
        let responses: usize = data.audits.iter().map(|a| a.responses.len()).sum();
        assert_eq!(responses, 3);
    }
}
