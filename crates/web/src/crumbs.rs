//! Breadcrumbs, built one way for every page: Start → the unit tree (from the top down
//! to the object's unit) → the goal → the indicator …, then the page itself, rendered as
//! `<nav aria-label="Brödsmulor"><ol>` with `aria-current="page"` on the last crumb.

use uppsikt_domain::model::{Id, OrgUnit};
use uppsikt_domain::object_kind::ObjectKind;
use uppsikt_domain::Period;
use uppsikt_report::html::escape;

use crate::error::{AppError, Result};
use crate::AppState;

/// The trail to a page: (link, label) from the start page on.
#[derive(Debug, Clone)]
pub struct Crumbs(Vec<(String, String)>);

impl Default for Crumbs {
    fn default() -> Self {
        Crumbs::start()
    }
}

impl Crumbs {
    /// Just the start page.
    pub fn start() -> Crumbs {
        Crumbs(vec![("/".into(), "Startsida".into())])
    }

    /// One more crumb.
    pub fn then(mut self, href: impl Into<String>, label: impl Into<String>) -> Crumbs {
        self.0.push((href.into(), label.into()));
        self
    }

    /// Start → each unit from the top of the tree down to `org_id`.
    pub fn units(units: &[OrgUnit], org_id: Id, period: Option<Period>) -> Crumbs {
        let mut chain = Vec::new();
        let mut at = Some(org_id);
        // The tree has no cycles (the store refuses them); the bound keeps a damaged
        // database from looping.
        while let Some(id) = at.filter(|_| chain.len() <= units.len()) {
            let Some(u) = units.iter().find(|u| u.id == id) else {
                break;
            };
            chain.push(u);
            at = u.parent_id;
        }
        let q = query(period);
        chain.into_iter().rev().fold(Crumbs::start(), |c, u| {
            c.then(format!("/org/{}{q}", u.id), u.name.clone())
        })
    }

    /// Start → the unit tree → (the goal above, if any) → the object of `kind` itself:
    /// the trail of every page about one object (its page, its history, its forms).
    pub async fn to_object(
        state: &AppState,
        kind: ObjectKind,
        id: Id,
        period: Option<Period>,
    ) -> Result<Crumbs> {
        let store = &state.store;
        let units = store.org_units().await?;
        let q = query(period);
        let goal_trail = async |goal_id: Id| -> Result<Crumbs> {
            let goal = store.goal(goal_id).await?;
            let mut c = Crumbs::units(&units, goal.org_id, period);
            if let Some(parent) = goal.parent_id {
                let p = store.goal(parent).await?;
                c = c.then(format!("/goals/{}{q}", p.id), p.title);
            }
            Ok(c.then(format!("/goals/{}{q}", goal.id), goal.title))
        };
        Ok(match kind {
            ObjectKind::OrgUnit => Crumbs::units(&units, id, period),
            ObjectKind::Goal => goal_trail(id).await?,
            ObjectKind::Indicator => {
                let i = store.indicator_record(id).await?.indicator;
                goal_trail(i.goal_id)
                    .await?
                    .then(format!("/indicators/{id}"), i.name)
            }
            ObjectKind::Commitment => {
                let c = store.commitment(id).await?;
                goal_trail(c.goal_id)
                    .await?
                    .then(format!("/goals/{}{q}#commitment-{id}", c.goal_id), c.title)
            }
            ObjectKind::Deviation | ObjectKind::DeviationAction => Crumbs::start()
                .then("/uppsikt", OVERSIGHT_LABEL)
                .then(format!("/deviations/{id}"), format!("Avvikelse {id}")),
            ObjectKind::ControlPlan
            | ObjectKind::IcRisk
            | ObjectKind::IcAction
            | ObjectKind::Control => {
                let plan_id = store.control_plan_id_of(kind, id).await?;
                let plan = store.control_plan(plan_id).await?;
                Crumbs::units(&units, plan.org_id, period).then(
                    format!("/{}/{plan_id}", ObjectKind::ControlPlan.path_segment()),
                    format!("{} {}", ObjectKind::ControlPlan.label_sv(), plan.year),
                )
            }
            ObjectKind::Audit => crate::audits::audit_trail(&store.audit(id).await?),
            ObjectKind::Recommendation => {
                let audit = store.audit(store.audit_id_of(kind, id).await?).await?;
                let rec = audit.recommendation(id).ok_or(AppError::NotFound)?;
                crate::audits::recommendation_trail(&audit, rec)
            }
            ObjectKind::Area => crate::areas::area_trail(&store.area(id).await?),
            ObjectKind::SituationReport => {
                crate::safety::report_trail(&store.situation_report(id).await?)
            }
            ObjectKind::Forum => crate::safety::forum_trail(&store.forum(id).await?),
            ObjectKind::Agreement => crate::safety::agreement_trail(&store.agreement(id).await?),
            ObjectKind::Statute => crate::safety::statute_trail(&store.statute(id).await?),
            ObjectKind::Obligation => {
                let o = store.obligation(id).await?;
                crate::safety::obligation_trail(&store.statute(o.statute_id).await?, &o)
            }
            ObjectKind::Grant => crate::economy::grant_trail(&store.grant(id).await?),
            ObjectKind::InvestmentNode => {
                let n = store.investment_node(id).await?;
                crate::economy::board_trail(&units, n.unit_id, n.year)
            }
        })
    }

    /// The crumbs after the start page, for a form's trail (`forms::FormPage::crumbs`,
    /// which adds the start page and the form itself).
    pub fn after_start(self) -> Vec<(String, String)> {
        self.0.into_iter().skip(1).collect()
    }

    /// The trail as HTML; the last crumb is the current page.
    pub fn html(&self) -> String {
        let last = self.0.len().saturating_sub(1);
        let items: String = self
            .0
            .iter()
            .enumerate()
            .map(|(i, (href, label))| {
                let current = if i == last {
                    " aria-current=\"page\""
                } else {
                    ""
                };
                format!(
                    "<li><a href=\"{}\"{current}>{}</a></li>",
                    escape(href),
                    escape(label)
                )
            })
            .collect();
        format!("<nav class=\"crumbs\" aria-label=\"Brödsmulor\"><ol>{items}</ol></nav>")
    }
}

/// The menu's and the trail's name for the oversight view (`/uppsikt`).
pub const OVERSIGHT_LABEL: &str = "Uppsiktsplikt";

fn query(period: Option<Period>) -> String {
    period.map(|p| format!("?period={p}")).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use uppsikt_domain::model::OrgKind;

    fn unit(id: Id, parent: Option<Id>, name: &str) -> OrgUnit {
        OrgUnit {
            id,
            key: name.to_lowercase(),
            name: name.into(),
            short_name: name.into(),
            kind: OrgKind::Namnd,
            parent_id: parent,
            position: 0,
        }
    }

    #[test]
    fn the_unit_tree_runs_from_the_top_and_the_last_crumb_is_current() {
        let units = [unit(1, None, "KF"), unit(2, Some(1), "KS & <x>")];
        let c = Crumbs::units(&units, 2, None).then("/history/org/2", "Historik");
        let html = c.html();
        assert!(html.starts_with("<nav class=\"crumbs\" aria-label=\"Brödsmulor\"><ol>"));
        assert!(html.contains("<li><a href=\"/\">Startsida</a></li><li><a href=\"/org/1\">KF</a></li><li><a href=\"/org/2\">KS &amp; &lt;x&gt;</a></li>"));
        assert!(html.ends_with(
            "<li><a href=\"/history/org/2\" aria-current=\"page\">Historik</a></li></ol></nav>"
        ));
        assert_eq!(html.matches("aria-current").count(), 1);
    }

    #[test]
    fn a_cycle_in_a_damaged_tree_ends() {
        let units = [unit(1, Some(2), "A"), unit(2, Some(1), "B")];
        assert!(Crumbs::units(&units, 1, None).0.len() <= 4);
    }
}
