//! Locking a period after the board's decision, and reopening it (controllers only; the
//! routes are guarded). A lock covers the unit and its children.

use axum::extract::State;
use axum::response::Response;
use uppsikt_domain::messages;
use uppsikt_domain::model::{Id, OrgUnit, PeriodLock};
use uppsikt_store::{NewDecidedDocument, StoreError};

use super::{
    options, Errors, Field, FieldKind, FormPage, Input, Post, Refusal, NAME_MAX, TEXT_MAX,
};
use crate::error::{Path, Query, Result};
use crate::pages::PeriodQuery;
use crate::AppState;

fn lock_page(org: &OrgUnit) -> FormPage {
    FormPage {
        title: format!("Lås period efter beslut: {}", org.name),
        intro: Some(format!(
            "När {} har beslutat om delårsrapporten eller verksamhetsberättelsen låses periodens utfall, analyser och bedömningar för enheten och dess underenheter. Ett år låser hela året; ett tertial låser året till och med tertialet. Nämndversionen av verksamhetsberättelsen (år) eller delårsrapporten (tertial 1 och 2) sparas som det beslutade dokumentet, med kontrollsumma och beslutet.",
            org.name
        )),
        action: format!("/org/{}/lock", org.id),
        cancel: format!("/org/{}", org.id),
        submit: "Lås perioden".into(),
        crumbs: vec![(format!("/org/{}", org.id), org.name.clone())],
        fields: vec![
            Field::new("period", "Period", FieldKind::Text)
                .required()
                .hint("Ett år som 2019, eller ett tertial som 2019T2."),
        ]
        .into_iter()
        .chain(decision_fields(org))
        .collect(),
    }
}

/// The fields of a board's decision (body, date, §, diarienummer), shared by locking a
/// period and deciding a plan, which `parse_lock` reads.
pub(crate) fn decision_fields(org: &OrgUnit) -> Vec<Field> {
    vec![
        Field::new("body", "Beslutande organ", FieldKind::Text)
            .required()
            .value(org.name.clone()),
        Field::new("decided_on", "Beslutsdatum", FieldKind::Date)
            .required()
            .hint("ÅÅÅÅ-MM-DD"),
        Field::new("paragraph", "Paragraf", FieldKind::Text)
            .required()
            .hint("T.ex. § 45"),
        Field::new("diary_number", "Diarienummer", FieldKind::Text)
            .required()
            .hint("T.ex. KS-2020/123"),
    ]
}

pub async fn lock_form(State(state): State<AppState>, Path(id): Path<Id>) -> Result<Response> {
    let org = state.store.org_unit(id).await?;
    lock_page(&org).render_page()
}

pub(crate) fn parse_lock(input: &Input, org_id: Id, actor: &str) -> Result<PeriodLock, Errors> {
    let mut e = Errors::default();
    let period = e.period(input, "period");
    let body = e.text(input, "body", NAME_MAX);
    let decided_on = e.date(input, "decided_on");
    let paragraph = e.text(input, "paragraph", 50);
    let diary_number = e.text(input, "diary_number", 100);
    let (Some(period), Some(body), Some(decided_on), Some(paragraph), Some(diary_number), true) = (
        period,
        body,
        decided_on,
        paragraph,
        diary_number,
        e.is_empty(),
    ) else {
        return Err(e);
    };
    Ok(PeriodLock {
        org_id,
        period,
        body,
        decided_on,
        paragraph,
        diary_number,
        locked_by: actor.to_string(),
        // A timestamp: UTC, as the change log's.
        locked_at: time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
    })
}

/// Locks the period and stores the board version of the report it decided (PDF, with its
/// SHA-256 and the decision) as the decided document, in the same transaction. The report
/// is built before the lock from the same data the lock then freezes; a period without a
/// report (a month, tertial 3) or a unit without goals locks without a document.
pub async fn lock(post: Post) -> Result<Response> {
    let (state, id) = (&post.state, post.id);
    let org = state.store.org_unit(id).await?;
    let form = async || Ok(lock_page(&org));
    let parsed = parse_lock(&post.input, id, &post.viewer.actor());
    let request = parsed
        .as_ref()
        .ok()
        .and_then(|lock| crate::reports::decided_request(&org, lock.period));
    let already = match &parsed {
        Ok(lock) => state
            .store
            .period_locks(Some(id))
            .await?
            .iter()
            .any(|l| l.period == lock.period),
        Err(_) => true,
    };
    let document = match request.filter(|_| !already) {
        Some(request) => match crate::reports::board_pdf(&state.store, request).await {
            Ok(built) => Some((request.kind, built)),
            Err(e) => {
                tracing::warn!(org = id, "no decided document stored with the lock: {e}");
                None
            }
        },
        None => None,
    };
    post.submit(form, parsed, async |w, lock| {
        let period = lock.period;
        match w.lock_period(&lock).await {
            Err(StoreError::Duplicate(_)) => {
                let message = messages::forms::already_locked(&period.label_sv());
                Err(Refusal::at("period", message))
            }
            written => {
                written?;
                if let Some((kind, (title, file_name, bytes, data_version))) = &document {
                    w.store_decided_document(NewDecidedDocument {
                        kind: crate::reports::document_kind(*kind),
                        decision: &lock,
                        title,
                        file_name,
                        content_type: "application/pdf",
                        content: bytes,
                        data_version: *data_version,
                    })
                    .await?;
                }
                Ok(format!("/org/{id}?period={period}"))
            }
        }
    })
    .await
}

fn reopen_page(org: &OrgUnit, locked: &[PeriodLock]) -> FormPage {
    FormPage {
        title: format!("Öppna låst period: {}", org.name),
        intro: Some("Att öppna en beslutad period är ett undantag: ange varför. Motiveringen och vem som öppnade loggas, och perioden bör låsas igen efter ett nytt beslut.".into()),
        action: format!("/org/{}/reopen", org.id),
        cancel: format!("/org/{}", org.id),
        submit: "Öppna perioden".into(),
        crumbs: vec![(format!("/org/{}", org.id), org.name.clone())],
        fields: vec![
            Field::new(
                "period",
                "Period",
                options(locked.iter().map(|l| {
                    (
                        l.period.to_string(),
                        format!(
                            "{} ({} {}, {})",
                            l.period.label_sv(),
                            l.body,
                            l.decided_on,
                            l.paragraph
                        ),
                    )
                })),
            )
            .required(),
            Field::new("reason", "Motivering", FieldKind::Textarea(4)).required(),
        ],
    }
}

pub async fn reopen_form(
    State(state): State<AppState>,
    Path(id): Path<Id>,
    Query(q): Query<PeriodQuery>,
) -> Result<Response> {
    let org = state.store.org_unit(id).await?;
    let locked = state.store.period_locks(Some(id)).await?;
    reopen_page(&org, &locked)
        .with_values(q.period.map(|p| ("period", p)))
        .render_page()
}

/// The locked period to reopen (one of `locked`) and the reason.
pub(crate) fn parse_reopen(
    input: &Input,
    locked: &[PeriodLock],
) -> Result<(uppsikt_domain::Period, String), Errors> {
    let mut e = Errors::default();
    let period = e.choice(input, "period", |raw| {
        locked
            .iter()
            .find(|l| l.period.to_string() == raw)
            .map(|l| l.period)
    });
    let reason = e.paragraphs(input, "reason", TEXT_MAX);
    match (period, reason, e.is_empty()) {
        (Some(period), Some(reason), true) => Ok((period, reason)),
        _ => Err(e),
    }
}

pub async fn reopen(post: Post) -> Result<Response> {
    let (state, id) = (&post.state, post.id);
    let org = state.store.org_unit(id).await?;
    let locked = state.store.period_locks(Some(id)).await?;
    let form = async || Ok(reopen_page(&org, &locked));
    let parsed = parse_reopen(&post.input, &locked);
    post.submit(form, parsed, async |w, (period, reason)| {
        w.reopen_period(id, period, &reason).await?;
        Ok(format!("/org/{id}?period={period}"))
    })
    .await
}
