//! A unit's current period, chosen by a controller: the period its pages, forms and
//! reports start from (`uppsikt_domain::current_period`). Guarded as locking a period: it
//! belongs to the same yearly cycle (decide the report, lock it, move on to the next year),
//! which controllers and administrators run for every unit and editors do not.

use axum::extract::State;
use axum::response::Response;
use uppsikt_domain::current_period::{Basis, CurrentPeriod};
use uppsikt_domain::model::{Id, OrgUnit};
use uppsikt_domain::Period;

use super::{Errors, Field, FieldKind, FormPage, Input, Post};
use crate::error::{Path, Result};
use crate::AppState;

/// Where the current period comes from, in Swedish ("den senast beslutade perioden").
pub fn basis_sv(current: &CurrentPeriod, units: &[OrgUnit]) -> String {
    match current.basis {
        Basis::Chosen => "vald för enheten".into(),
        Basis::Inherited(id) => {
            let name = units
                .iter()
                .find(|u| u.id == id)
                .map_or_else(|| id.to_string(), |u| u.name.clone());
            format!("vald för {name}")
        }
        Basis::LatestDecided => "den senast beslutade perioden".into(),
    }
}

fn page(unit: &OrgUnit, current: Option<&CurrentPeriod>, units: &[OrgUnit]) -> FormPage {
    let now = match current {
        Some(c) => format!(
            "Aktuell period nu: {} ({}).",
            c.period.label_sv(),
            basis_sv(c, units)
        ),
        None => "Ingen period är vald och ingen är beslutad ännu.".into(),
    };
    let own = current.filter(|c| c.basis == Basis::Chosen);
    FormPage {
        title: format!("Aktuell period för {}", unit.name),
        intro: Some(format!(
            "{now} Sidorna för enheten, dess mål och mått och formulären öppnas i den aktuella perioden; andra perioder går att välja på sidorna. Underenheter utan eget val följer enhetens. En period som inte är beslutad visas som arbetsmaterial för inloggade; allmänheten ser bara beslutade perioder."
        )),
        action: format!("/org/{}/current-period", unit.id),
        cancel: format!("/org/{}", unit.id),
        submit: "Spara aktuell period".into(),
        crumbs: vec![(format!("/org/{}", unit.id), unit.name.clone())],
        fields: vec![Field::new("period", "Aktuell period", FieldKind::Text)
            .hint("Ett år som 2020, eller ett tertial som 2020T2. Lämna tomt för att följa den senast beslutade perioden (eller den överordnade enhetens val).")
            .value(own.map(|c| c.period.to_string()).unwrap_or_default())],
    }
}

pub async fn form(State(state): State<AppState>, Path(id): Path<Id>) -> Result<Response> {
    let unit = state.store.org_unit(id).await?;
    let units = state.store.org_units().await?;
    let current = state.store.current_period(id).await?;
    page(&unit, current.as_ref(), &units).render_page()
}

/// The chosen period, or `None` (the field left empty) to follow the default again.
pub(crate) fn parse(input: &Input) -> Result<Option<Period>, Errors> {
    let mut e = Errors::default();
    if Errors::is_blank(input, "period") {
        return Ok(None);
    }
    match e.period(input, "period") {
        Some(p) => Ok(Some(p)),
        None => Err(e),
    }
}

pub async fn save(post: Post) -> Result<Response> {
    let (state, id) = (&post.state, post.id);
    let unit = state.store.org_unit(id).await?;
    let units = state.store.org_units().await?;
    let current = state.store.current_period(id).await?;
    let form = async || Ok(page(&unit, current.as_ref(), &units));
    post.submit(form, parse(&post.input), async |w, period| {
        w.set_current_period(id, period).await?;
        Ok(format!("/org/{id}"))
    })
    .await
}
