//! Create and edit indicators (mått).

use axum::extract::State;
use axum::response::Response;
use uppsikt_domain::indicator::TrendWindow;
use uppsikt_domain::kolada::KpiId;
use uppsikt_domain::messages;
use uppsikt_domain::model::{Goal, Id, Indicator};
use uppsikt_domain::uncertainty::MarginBasis;
use uppsikt_domain::{Direction, Frequency};
use uppsikt_store::{ComparisonGroup, IndicatorInput};

use super::{options, Errors, Field, FieldKind, FormPage, Input, Post, RefusedAt, NAME_MAX};
use crate::error::{Path, Result};
use crate::AppState;

pub(crate) fn page(
    goal: &Goal,
    indicator: Option<&Indicator>,
    groups: &[ComparisonGroup],
) -> FormPage {
    let (title, action, cancel) = match indicator {
        Some(i) => (
            format!("Redigera måttet {}", i.name),
            format!("/indicators/{}/edit", i.id),
            format!("/indicators/{}", i.id),
        ),
        None => (
            format!("Nytt mått för {}", goal.title),
            format!("/goals/{}/indicators/new", goal.id),
            format!("/goals/{}", goal.id),
        ),
    };
    FormPage {
        title,
        intro: None,
        action,
        cancel,
        submit: "Spara måttet".into(),
        crumbs: vec![(format!("/goals/{}", goal.id), goal.title.clone())],
        fields: vec![
            Field::new("name", "Namn", FieldKind::Text).required(),
            Field::new("unit", "Enhet", FieldKind::Text)
                .required()
                .hint("T.ex. %, index, antal, mnkr, dagar."),
            Field::new(
                "direction",
                "Riktning",
                options(Direction::ALL.iter().map(|d| (d.code(), d.label_sv()))),
            )
            .required(),
            Field::new("source", "Källa", FieldKind::Text)
                .hint("T.ex. SCB:s medborgarundersökning, Kolada eller egen mätning."),
            Field::new("kolada_kpi", "Kolada-id", FieldKind::Text).hint(
                "Valfritt, t.ex. N00901. Då fylls utfallen för totalt, kvinnor och män i från Kolada för vår kommun.",
            ),
            Field::new("decimals", "Decimaler", FieldKind::Integer)
                .required()
                .hint("Antal decimaler som visas, 0–4.")
                .value("0"),
            Field::new(
                "frequency",
                "Mäts",
                options(Frequency::ALL.iter().map(|f| (f.code(), f.label_sv()))),
            )
                .required()
                .value("year"),
            Field::new(
                "margin_basis",
                "Felmarginal",
                options(margin_basis_options(indicator)),
            )
            .hint("Hur osäkert varje utfall är. En felmarginal som registreras på ett utfall gäller alltid före detta val.")
            .value(SOURCE),
            Field::new("respondents", "Antal svar", FieldKind::Integer).hint(
                "Bara för Urvalsundersökning med antal svar: det vanliga antalet svar enligt källans metodbeskrivning, t.ex. 480. Ett antal svar registrerat på ett utfall gäller före detta.",
            ),
            Field::new(
                "trend_window",
                "Trend bedöms över",
                options(TrendWindow::ALL.iter().map(|w| (w.code(), w.label_sv()))),
            )
            .required()
            .value(TrendWindow::default().code()),
            Field::new(
                "groups",
                "Jämförelsegrupper",
                FieldKind::Checkboxes(
                    groups
                        .iter()
                        .map(|g| (g.id.to_string(), g.title.clone()))
                        .collect(),
                ),
            )
            .hint("Placering och genomsnitt i grupperna räknas ur Kolada-värdena; kräver ett Kolada-id."),
        ],
    }
}

/// The margin-basis option meaning "as the source implies" (stored as no basis).
const SOURCE: &str = "source";
/// The option for a survey with a stated number of answers (given in `respondents`).
const SURVEY_N: &str = "survey_n";
/// The largest usual number of answers a survey may state.
const RESPONDENTS_MAX: i64 = 10_000_000;
const RESPONDENTS_REQUIRED: &str =
    "Ange antal svar (ett heltal större än 0) för en urvalsundersökning med antal svar.";

/// The margin-basis choices; the first says what the indicator's source implies.
fn margin_basis_options(indicator: Option<&Indicator>) -> Vec<(String, String)> {
    let implied = match indicator {
        Some(i) => format!(
            "Enligt källan ({})",
            MarginBasis::for_source(&i.source).label_sv()
        ),
        None => "Enligt källan (avgörs av fältet Källa)".to_string(),
    };
    vec![
        (SOURCE.into(), implied),
        ("exact".into(), "Exakt".into()),
        ("published".into(), "Publicerad felmarginal".into()),
        ("survey".into(), "Urvalsundersökning".into()),
        (SURVEY_N.into(), "Urvalsundersökning med antal svar".into()),
        ("unknown".into(), "Okänd".into()),
    ]
}

/// The form's values for a stored basis: the option and the number of answers.
fn margin_basis_values(basis: Option<MarginBasis>) -> (String, String) {
    match basis {
        None => (SOURCE.into(), String::new()),
        Some(MarginBasis::Survey {
            respondents: Some(n),
        }) => (SURVEY_N.into(), n.to_string()),
        Some(b) => (b.code(), String::new()),
    }
}

/// The chosen basis (`None`: as the source implies). A form without the field (an older
/// page) means the source's.
fn margin_basis(input: &Input, e: &mut Errors) -> Option<Option<MarginBasis>> {
    if Errors::is_blank(input, "margin_basis") {
        return Some(None);
    }
    let chosen = e.choice(input, "margin_basis", |code| match code {
        SOURCE => Some(Err(())),
        SURVEY_N => Some(Ok(None)),
        "survey" => Some(Ok(Some(MarginBasis::Survey { respondents: None }))),
        other => MarginBasis::parse(other)
            .filter(|b| !matches!(b, MarginBasis::Survey { .. }))
            .map(|b| Ok(Some(b))),
    })?;
    match chosen {
        Err(()) => Some(None),
        Ok(Some(basis)) => Some(Some(basis)),
        Ok(None) => {
            if Errors::is_blank(input, "respondents") {
                e.add("respondents", RESPONDENTS_REQUIRED);
                return None;
            }
            let n = e.integer(input, "respondents", 1, RESPONDENTS_MAX)?;
            Some(Some(MarginBasis::Survey {
                respondents: u32::try_from(n).ok(),
            }))
        }
    }
}

/// The comparison groups chosen in the form (ids of existing groups).
fn chosen_groups(page: &FormPage, input: &Input, e: &mut Errors, kpi: &str) -> Vec<Id> {
    let groups: Vec<Id> = page
        .fields
        .iter()
        .filter(|f| f.name == "groups")
        .flat_map(|f| f.checked_in(input))
        .filter_map(|v| v.parse().ok())
        .collect();
    if !groups.is_empty() && kpi.trim().is_empty() {
        e.add("groups", messages::GROUPS_NEED_KPI);
    }
    groups
}

pub(crate) fn parse(
    input: &Input,
    goal_id: Id,
    page: &FormPage,
) -> Result<(IndicatorInput, Vec<Id>), Errors> {
    let mut e = Errors::default();
    let name = e.text(input, "name", NAME_MAX);
    let unit = e.text(input, "unit", 20);
    let direction = e.choice(input, "direction", Direction::parse);
    let source = e.optional_text(input, "source", NAME_MAX);
    let kolada_kpi = e.optional_text(input, "kolada_kpi", 20);
    if !kolada_kpi.is_empty() && KpiId::parse(&kolada_kpi).is_none() {
        e.add("kolada_kpi", messages::not_a_kpi_id(&kolada_kpi));
    }
    let groups = chosen_groups(page, input, &mut e, &kolada_kpi);
    let decimals = e.integer(input, "decimals", 0, 4);
    let frequency = e.choice(input, "frequency", Frequency::parse);
    let basis = margin_basis(input, &mut e);
    let window = if Errors::is_blank(input, "trend_window") {
        Some(TrendWindow::default())
    } else {
        e.choice(input, "trend_window", TrendWindow::parse)
    };
    match (
        name,
        unit,
        direction,
        decimals,
        frequency,
        basis,
        window,
        e.is_empty(),
    ) {
        (
            Some(name),
            Some(unit),
            Some(direction),
            Some(decimals),
            Some(frequency),
            Some(margin_basis),
            Some(trend_window),
            true,
        ) => {
            let input = IndicatorInput {
                key: String::new(),
                goal_id,
                name,
                unit,
                direction,
                source,
                kolada_kpi,
                decimals: decimals as u8,
                frequency,
                position: 0,
                margin_basis,
                trend_window,
            };
            Ok((input, groups))
        }
        _ => Err(e),
    }
}

pub async fn new_form(State(state): State<AppState>, Path(goal_id): Path<Id>) -> Result<Response> {
    let goal = state.store.goal(goal_id).await?;
    let groups = state.store.comparison_groups().await?;
    page(&goal, None, &groups).render_page()
}

/// Saves the indicator's comparison groups and fills its outcomes from Kolada when linked.
async fn save_link(w: &mut uppsikt_store::Writer, id: Id, groups: &[Id]) -> Result<()> {
    w.set_indicator_groups(id, groups).await?;
    w.sync_indicator_outcomes(id).await?;
    Ok(())
}

pub async fn create(post: Post) -> Result<Response> {
    let (state, goal_id) = (&post.state, post.id);
    let goal = state.store.goal(goal_id).await?;
    let form = page(&goal, None, &state.store.comparison_groups().await?);
    let mut parsed = parse(&post.input, goal_id, &form);
    if let Ok((parsed, _)) = &mut parsed {
        parsed.position = state
            .store
            .indicator_records(uppsikt_store::Scope::GoalTree(goal_id))
            .await?
            .len() as i64;
    }
    let form = async || Ok(form);
    post.submit(form, parsed, async |w, (parsed, groups)| {
        let id = w.create_indicator(&parsed).await?;
        save_link(w, id, &groups).await?;
        Ok(format!("/indicators/{id}"))
    })
    .await
}

pub async fn edit_form(State(state): State<AppState>, Path(id): Path<Id>) -> Result<Response> {
    let record = state.store.indicator_record(id).await?;
    let i = &record.indicator;
    let goal = state.store.goal(i.goal_id).await?;
    let p = page(&goal, Some(i), &state.store.comparison_groups().await?);
    let chosen: Vec<String> = state
        .store
        .indicator_groups(id)
        .await?
        .iter()
        .map(Id::to_string)
        .collect();
    let (basis, respondents) = margin_basis_values(i.margin_basis);
    let values = [
        ("name", i.name.clone()),
        ("unit", i.unit.clone()),
        ("direction", i.direction.code().to_string()),
        ("source", i.source.clone()),
        ("kolada_kpi", i.kolada_kpi.clone()),
        ("decimals", i.decimals.to_string()),
        ("frequency", i.frequency.code().to_string()),
        ("margin_basis", basis),
        ("respondents", respondents),
        ("trend_window", i.trend_window.code().to_string()),
        ("groups", chosen.join(",")),
    ];
    p.with_values(values).render_page()
}

pub async fn update(post: Post) -> Result<Response> {
    let (state, id) = (&post.state, post.id);
    let record = state.store.indicator_record(id).await?;
    let goal = state.store.goal(record.indicator.goal_id).await?;
    let form = page(
        &goal,
        Some(&record.indicator),
        &state.store.comparison_groups().await?,
    );
    let parsed = parse(&post.input, goal.id, &form);
    let form = async || Ok(form);
    post.submit(form, parsed, async |w, (mut parsed, groups)| {
        parsed.key = record.indicator.key.clone();
        parsed.position = record.indicator.position;
        // A decision on the indicator's data freezes its direction, decimals and goal.
        w.update_indicator(id, &parsed).await.at("direction")?;
        save_link(w, id, &groups).await?;
        Ok(format!("/indicators/{id}"))
    })
    .await
}
