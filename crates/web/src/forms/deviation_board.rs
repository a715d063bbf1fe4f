//! A board's deviations as a whole: the threshold its indicators raise deviations under,
//! and one motivated decision not to act on several of its undecided deviations ("inom
//! felmarginalen"), all or nothing, through the single decision's parsing and write.

use std::collections::{BTreeMap, HashMap};

use axum::extract::State;
use axum::response::Response;
use uppsikt_domain::access::Action as Access;
use uppsikt_domain::deviation::{board_of, Concern, Decision, DeviationThreshold, Outcome};
use uppsikt_domain::messages;
use uppsikt_domain::model::{Id, OrgUnit};
use uppsikt_domain::number::format_sv;
use uppsikt_store::DeviationFilter;

use super::deviation::{decision_fields, parse_decision};
use super::{Errors, Field, FieldKind, FormPage, Input, Post, Refusal, RefusedAt, TEXT_MAX};
use crate::auth::Viewer;
use crate::error::{AppError, Path, Result};
use crate::AppState;

/// The most deviations one decision covers (and the most the form lists).
pub const BULK_MAX: usize = 500;
/// The motivation suggested for a decision not to act on results within the margin.
pub const WITHIN_MARGIN: &str = "Inom felmarginalen";
/// Longest description shown beside a checkbox, in characters.
const SHOWN_MAX: usize = 160;

/// The units by id and the board `id` names (a unit its deviations are overseen under),
/// or not found.
async fn board(state: &AppState, id: Id) -> Result<(Vec<OrgUnit>, OrgUnit)> {
    let units = state.store.org_units().await?;
    let by_id: HashMap<Id, &OrgUnit> = units.iter().map(|u| (u.id, u)).collect();
    if !by_id.contains_key(&id) || board_of(&by_id, id) != id {
        return Err(AppError::NotFound);
    }
    let unit = by_id[&id].clone();
    Ok((units, unit))
}

fn board_crumbs(board: &OrgUnit) -> Vec<(String, String)> {
    vec![
        ("/uppsikt".into(), crate::crumbs::OVERSIGHT_LABEL.into()),
        (
            format!("/uppsikt/list?board={}", board.id),
            board.name.clone(),
        ),
    ]
}

// ---- The threshold ----

/// A share (0.05) as the percent the form shows ("5", "2,5").
pub fn percent_sv(share: f64) -> String {
    let s = format_sv(share * 100.0, 2);
    if s.contains(',') {
        s.trim_end_matches('0').trim_end_matches(',').to_string()
    } else {
        s
    }
}

/// What a threshold means, in one Swedish sentence (the board's drill-down shows it).
pub fn threshold_sv(t: DeviationThreshold) -> String {
    let trend = if t.negative_trend {
        "en negativ trend skapar en avvikelse även när etappmålet inte missats"
    } else {
        "en negativ trend skapar en avvikelse bara tillsammans med ett missat etappmål"
    };
    let miss = if t.min_shortfall > 0.0 {
        format!(
            "ett missat etappmål när utfallet ligger minst {} % från det",
            percent_sv(t.min_shortfall)
        )
    } else {
        "varje missat etappmål utanför felmarginalen".to_string()
    };
    format!("Avvikelser från mått skapas för {miss}; {trend}.")
}

fn threshold_page(board: &OrgUnit, t: DeviationThreshold) -> FormPage {
    FormPage {
        title: format!("Avvikelser från mått – {}", board.name),
        intro: Some(
            "Bara säkerställda resultat skapar avvikelser: ett etappmål som missats utanför felmarginalen, eller en försämring som är större än felmarginalen. Ett mått ger högst en avvikelse per period, med alla skäl i den. Här väljer ni vilka av dem som ska skapa en avvikelse för nämndens mått. Avvikelser som redan finns påverkas inte."
                .into(),
        ),
        action: format!("/org/{}/deviation-threshold", board.id),
        cancel: format!("/uppsikt/list?board={}", board.id),
        submit: "Spara".into(),
        crumbs: board_crumbs(board),
        fields: vec![
            Field::new(
                "negative_trend",
                "Negativ trend",
                FieldKind::Checkboxes(vec![(
                    "on".into(),
                    "Negativ trend utan missat etappmål skapar en avvikelse".into(),
                )]),
            )
            .value(if t.negative_trend { "on" } else { "" }),
            Field::new(
                "min_shortfall",
                "Missat etappmål skapar en avvikelse först när utfallet ligger minst så här många procent från etappmålet",
                FieldKind::Decimal,
            )
            .required()
            .hint("0–100. 0 betyder att varje missat etappmål utanför felmarginalen skapar en avvikelse. Decimalkomma går bra, t.ex. 2,5.")
            .value(percent_sv(t.min_shortfall)),
        ],
    }
}

pub async fn threshold_form(State(state): State<AppState>, Path(id): Path<Id>) -> Result<Response> {
    let (_, unit) = board(&state, id).await?;
    let t = state.store.deviation_threshold(id).await?;
    threshold_page(&unit, t).render_page()
}

pub(crate) fn parse_threshold(input: &Input) -> Result<DeviationThreshold, Errors> {
    let mut e = Errors::default();
    let negative_trend = input.contains_key("negative_trend-on");
    let percent = e.decimal(input, "min_shortfall");
    let Some(percent) = percent else {
        return Err(e);
    };
    let t = DeviationThreshold {
        negative_trend,
        min_shortfall: percent / 100.0,
    };
    if !(0.0..=100.0).contains(&percent) || !t.is_valid() {
        e.add("min_shortfall", messages::deviations::SHORTFALL_RANGE);
        return Err(e);
    }
    Ok(t)
}

/// Saves a board's threshold. Its route's guard lets only those allowed
/// [`Access::RaiseDeviations`] through (controllers and administrators).
pub async fn save_threshold(post: Post) -> Result<Response> {
    let (state, id) = (&post.state, post.id);
    let (_, unit) = board(state, id).await?;
    let current = state.store.deviation_threshold(id).await?;
    let form = async || Ok(threshold_page(&unit, current));
    let parsed = parse_threshold(&post.input);
    post.submit(form, parsed, async |w, t| {
        w.set_deviation_threshold(id, t).await?;
        Ok(format!("/uppsikt/list?board={id}"))
    })
    .await
}

// ---- One decision not to act on several deviations ----

/// The board's undecided deviations as checkbox options (oldest first, at most
/// [`BULK_MAX`]), and the marked ones not among them (already decided meanwhile, or sent
/// by hand), so that what was marked stays marked when the form is shown again.
async fn bulk_page(
    state: &AppState,
    units: &[OrgUnit],
    board: &OrgUnit,
    marked: &[Id],
) -> Result<FormPage> {
    let filter = DeviationFilter {
        org_ids: Some(uppsikt_report::oversight::deviations::units_of_board(
            units, board.id,
        )),
        area: None,
    };
    let today = uppsikt_store::today();
    let page = state
        .store
        .deviation_page(&filter, Concern::Undecided, &today, 0, BULK_MAX)
        .await?;
    let names: HashMap<Id, &str> = units.iter().map(|u| (u.id, u.name.as_str())).collect();
    let label = |id: Id, d: &uppsikt_domain::deviation::Deviation| {
        format!(
            "{id}. {} ({}, {}, upptäckt {})",
            uppsikt_domain::text::shown(&d.raised.description, SHOWN_MAX),
            names.get(&d.raised.org_id).copied().unwrap_or(""),
            d.raised.period.label_sv(),
            d.raised_on
        )
    };
    let mut options: Vec<(String, String)> = page
        .items
        .iter()
        .map(|s| (s.id.to_string(), label(s.id, &s.deviation)))
        .collect();
    for id in marked {
        if !page.items.iter().any(|s| s.id == *id) {
            let shown = match state.store.deviation(*id).await {
                Ok(s) => label(*id, &s.deviation),
                Err(e) if e.is_not_found() => format!("{id}. (finns inte)"),
                Err(e) => return Err(e.into()),
            };
            options.push((id.to_string(), shown));
        }
    }
    let more = if page.total > page.items.len() {
        format!(
            " Nämnden har {} avvikelser utan beslut; de {} äldsta visas.",
            page.total,
            page.items.len()
        )
    } else {
        String::new()
    };
    let mut fields = vec![Field::new(
        "deviations",
        "Avvikelser utan beslut",
        FieldKind::Checkboxes(options),
    )
    .hint(&format!(
        "Markera de avvikelser beslutet gäller, högst {BULK_MAX}.{more}"
    ))];
    fields.push(
        Field::new("motivation", "Motivering", FieldKind::Textarea(3))
            .required()
            .hint("Gäller alla markerade avvikelser. Till exempel: Inom felmarginalen – förändringen är inte säkerställd.")
            .value(WITHIN_MARGIN),
    );
    fields.extend(decision_fields(&today));
    Ok(FormPage {
        title: format!("Besluta utan åtgärd – {}", board.name),
        intro: Some("Ett beslut att inte åtgärda, med samma motivering, för flera avvikelser på en gång. Antingen får alla markerade beslutet eller ingen. Beslutet kan inte ändras efteråt.".into()),
        action: format!("/org/{}/deviations/decide", board.id),
        cancel: format!("/uppsikt/list?concern=undecided&board={}", board.id),
        submit: "Besluta utan åtgärd för markerade".into(),
        crumbs: board_crumbs(board),
        fields,
    })
}

pub async fn bulk_form(State(state): State<AppState>, Path(id): Path<Id>) -> Result<Response> {
    let (units, unit) = board(&state, id).await?;
    bulk_page(&state, &units, &unit, &[]).await?.render_page()
}

/// The marked deviations' numbers (checkboxes `deviations-{id}`), in order.
fn marked(input: &Input) -> Result<Vec<Id>, String> {
    let mut ids = Vec::new();
    for key in input.keys() {
        if let Some(raw) = key.strip_prefix("deviations-") {
            match raw.parse::<Id>() {
                Ok(id) => ids.push(id),
                Err(_) => {
                    return Err(messages::deviations::not_a_deviation(
                        &uppsikt_domain::text::shown(raw, 40),
                    ))
                }
            }
        }
    }
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// The marked deviations and the decision not to act on them: the single decision's
/// fields, read by the single decision's parser.
pub(crate) fn parse_bulk(input: &Input) -> Result<(Vec<Id>, Decision), Errors> {
    let mut e = Errors::default();
    let ids = match marked(input) {
        Ok(ids) if ids.is_empty() => {
            e.add("deviations", messages::deviations::NONE_MARKED);
            Vec::new()
        }
        Ok(ids) if ids.len() > BULK_MAX => {
            e.add(
                "deviations",
                messages::deviations::too_many_marked(ids.len(), BULK_MAX),
            );
            Vec::new()
        }
        Ok(ids) => ids,
        Err(message) => {
            e.add("deviations", message);
            Vec::new()
        }
    };
    let mut single = input.clone();
    single.insert("outcome".into(), "no_action".into());
    let decision = match parse_decision(&single) {
        Ok(d) => Some(d),
        Err(errors) => {
            for (field, message) in errors.0 {
                e.add(field, message);
            }
            None
        }
    };
    if Errors::is_blank(input, "motivation") {
        e.add(
            "motivation",
            messages::deviations::lifecycle(
                &uppsikt_domain::deviation::LifecycleError::MotivationRequired,
            ),
        );
    }
    debug_assert!(TEXT_MAX > WITHIN_MARGIN.len());
    match (decision, e.is_empty()) {
        (Some(d), true) => Ok((ids, d)),
        _ => Err(e),
    }
}

/// Decides not to act on the marked deviations of a board, all or none: if any is already
/// decided, outside the viewer's scope or this board's, or gone, nothing is decided and the
/// form comes back with the marks and a message naming them. Its route's guard is the
/// single decision's ([`Access::Edit`], here on the board).
pub async fn bulk_decide(post: Post) -> Result<Response> {
    let (state, id, viewer) = (&post.state, post.id, &post.viewer);
    let (units, unit) = board(state, id).await?;
    let marked_ids = marked(&post.input).unwrap_or_default();
    let form = async || bulk_page(state, &units, &unit, &marked_ids).await;
    let parsed = parse_bulk(&post.input);
    let of_board = uppsikt_report::oversight::deviations::units_of_board(&units, id);
    post.submit(form, parsed, async |w, (ids, decision)| {
        debug_assert!(matches!(decision.outcome, Outcome::NoAction { .. }));
        let standings = w.deviation_standings(&ids).await?;
        let allowed = allowed_units(state, viewer, &of_board).await?;
        let (mut decided, mut out_of_scope, mut missing) = (Vec::new(), Vec::new(), Vec::new());
        for d in &ids {
            match standings.get(d) {
                None => missing.push(*d),
                Some((org, _)) if !allowed.get(org).copied().unwrap_or(false) => {
                    out_of_scope.push(*d)
                }
                Some((_, true)) => decided.push(*d),
                Some(_) => {}
            }
        }
        if !(decided.is_empty() && out_of_scope.is_empty() && missing.is_empty()) {
            return Err(Refusal::at(
                "deviations",
                messages::deviations::bulk_refused(&decided, &out_of_scope, &missing),
            ));
        }
        w.decide_deviations(&ids, &decision)
            .await
            .at("deviations")?;
        Ok(format!("/uppsikt/list?concern=undecided&board={id}"))
    })
    .await
}

/// Whether the viewer may decide on deviations of each of the board's units.
async fn allowed_units(
    state: &AppState,
    viewer: &Viewer,
    of_board: &[Id],
) -> std::result::Result<BTreeMap<Id, bool>, Refusal> {
    let mut allowed = BTreeMap::new();
    for org in of_board {
        let chain = state.store.org_chain(*org).await?;
        allowed.insert(*org, viewer.allows(Access::Edit, &chain));
    }
    Ok(allowed)
}
