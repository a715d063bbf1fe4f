//! Checks across all files loaded together: keys unique per kind, one vision per unit,
//! one row per area, short names and assessments unique, one `[kolada]`, comparison
//! groups' titles and Kolada ids unique, one internal-control plan per unit and year.

use uppsikt_domain::messages::{self, Referent};

use crate::data::DataSet;
use crate::parse::Unique;
use crate::report::{Errors, Origin};

pub(crate) fn check_merged(data: &DataSet, errors: &mut Errors) {
    crate::economy::check_merged(&data.economy, errors);
    unique_keys(
        data.org_units.iter().map(|u| (u.key.as_str(), &u.origin)),
        Referent::OrgUnit,
        errors,
    );
    unique_keys(
        data.goals.iter().map(|g| (g.key.as_str(), &g.origin)),
        Referent::Goal,
        errors,
    );
    unique_keys(
        data.indicators.iter().map(|i| (i.key.as_str(), &i.origin)),
        Referent::Indicator,
        errors,
    );
    unique_keys(
        data.commitments.iter().map(|c| (c.key.as_str(), &c.origin)),
        Referent::Commitment,
        errors,
    );
    unique_keys(
        data.comparison_groups
            .iter()
            .map(|g| (g.key.as_str(), &g.origin)),
        Referent::ComparisonGroup,
        errors,
    );
    let mut short = Unique::default();
    for u in &data.org_units {
        let at = u.origin.field("short_name");
        short.first(u.short_name.to_lowercase(), &at, errors, |f| {
            messages::duplicate_short_name(&u.short_name, f)
        });
    }
    let mut visions = Unique::default();
    for v in &data.visions {
        visions.first(v.org.clone(), &v.origin, errors, messages::duplicate_vision);
    }
    let mut areas = Unique::default();
    for a in &data.areas {
        areas.first(a.name.clone(), &a.origin, errors, |f| {
            messages::duplicate_area(&a.name, f)
        });
    }
    let mut assessments = Unique::default();
    for a in &data.assessments {
        let k = (a.org.clone(), a.goal.clone(), a.period, a.stage);
        assessments.first(k, &a.origin, errors, messages::duplicate_assessment);
    }
    let mut reviews = Unique::default();
    for r in &data.period_reviews {
        reviews.first((r.org.clone(), r.period), &r.origin, errors, |f| {
            messages::duplicate_period(&r.period.to_string(), f)
        });
    }
    let mut decisions = Unique::default();
    for d in &data.decisions {
        decisions.first((d.org.clone(), d.period), &d.origin, errors, |f| {
            messages::duplicate_period(&d.period.to_string(), f)
        });
    }
    let mut plans = Unique::default();
    for p in &data.control_plans {
        plans.first((p.org.clone(), p.year), &p.origin, errors, |f| {
            messages::internal_control::duplicate_plan(p.year, f)
        });
    }
    crate::audit::check_merged(data, errors);
    crate::area::check_merged(data, errors);
    let mut kolada = Unique::default();
    for k in &data.kolada {
        kolada.first((), &k.origin, errors, messages::duplicate_kolada_settings);
    }
    let mut titles = Unique::default();
    let mut kolada_ids = Unique::default();
    for g in &data.comparison_groups {
        let at = g.origin.field("title");
        titles.first(g.title.to_lowercase(), &at, errors, |f| {
            messages::duplicate_group_title(&g.title, f)
        });
        if let Some(id) = &g.kolada_id {
            let at = g.origin.field("kolada_id");
            kolada_ids.first(id.as_str(), &at, errors, |f| {
                messages::duplicate_kolada_group(id, f)
            });
        }
    }
}

fn unique_keys<'a>(
    rows: impl Iterator<Item = (&'a str, &'a Origin)>,
    kind: Referent,
    errors: &mut Errors,
) {
    let mut seen = Unique::default();
    for (key, origin) in rows {
        let at = origin.field("key");
        seen.first(key, &at, errors, |f| messages::duplicate_key(kind, key, f));
    }
}
