//! References by key, resolved against the files first and then against what the
//! database already holds; cycles in the organisation and goal trees; write order.

use std::collections::{HashMap, HashSet};

use uppsikt_domain::audit::Audit;
use uppsikt_domain::messages::{self, audit as au, Referent};
use uppsikt_domain::model::Id;
use uppsikt_domain::AssessmentScale;
use uppsikt_store::{ComparisonGroup, KoladaSettings, Scope, Store, StoreError};

use crate::data::{DataSet, Key};
use crate::report::{Errors, Origin};

/// One object already in the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stored {
    pub id: Id,
    /// Key of its parent (org units, goals) or of the commitment it continues.
    pub parent: Option<String>,
    /// Org units only.
    pub short_name: String,
}

/// What the database holds, by key, for the kinds that rows refer to.
#[derive(Debug, Clone, Default)]
pub(crate) struct Existing {
    pub org_units: HashMap<String, Stored>,
    pub goals: HashMap<String, Stored>,
    pub commitments: HashMap<String, Stored>,
    pub comparison_groups: HashMap<String, ComparisonGroup>,
    /// `None` only in tests that need no database.
    pub kolada: Option<KoladaSettings>,
    /// The id of each unit's internal-control plan by (unit id, year).
    pub control_plans: HashMap<(Id, i32), Id>,
    /// The stored audits, whole (a file's audit is the stored one of the same plan year
    /// and title).
    pub audits: Vec<Audit>,
    /// The stored areas, level scale, situation reports, forums, agreements and statutes,
    /// as far as the files need them (read by `load`, [`crate::area::StoredSafety::read`]).
    pub safety: crate::area::StoredSafety,
}

fn by_key<T>(
    items: Vec<T>,
    parts: impl Fn(&T) -> (Id, String, Option<Id>, String),
) -> HashMap<String, Stored> {
    let parts: Vec<_> = items.iter().map(parts).collect();
    let key_of: HashMap<Id, String> = parts
        .iter()
        .map(|(id, key, ..)| (*id, key.clone()))
        .collect();
    parts
        .into_iter()
        .map(|(id, key, parent, short_name)| {
            let parent = parent.and_then(|p| key_of.get(&p).cloned());
            (
                key,
                Stored {
                    id,
                    parent,
                    short_name,
                },
            )
        })
        .collect()
}

impl Existing {
    pub async fn read(store: &Store) -> Result<Existing, StoreError> {
        let units = store.org_units().await?;
        let goals = store.goals().await?;
        let commitments = store.commitments(Scope::All).await?;
        let groups = store.comparison_groups().await?;
        let plans = store.control_plan_years().await?;
        Ok(Existing {
            safety: crate::area::StoredSafety::default(),
            audits: store.audits().await?,
            control_plans: plans
                .into_iter()
                .map(|(org, year, plan)| ((org, year), plan))
                .collect(),
            comparison_groups: groups.into_iter().map(|g| (g.key.clone(), g)).collect(),
            kolada: Some(store.kolada_settings().await?),
            org_units: by_key(units, |u| {
                (u.id, u.key.clone(), u.parent_id, u.short_name.clone())
            }),
            goals: by_key(goals, |g| (g.id, g.key.clone(), g.parent_id, String::new())),
            commitments: by_key(commitments, |c| {
                (c.id, c.key.clone(), c.carried_over_from, String::new())
            }),
        })
    }
}

/// Every reference that neither the files nor the database can satisfy, every cycle,
/// and every short name already taken in the database.
pub(crate) fn check_references(data: &DataSet, existing: &Existing) -> Errors {
    let mut errors = Errors::default();
    let units = Tree::new(
        data.org_units
            .iter()
            .map(|u| (&u.key, u.parent.as_ref(), &u.origin)),
        &existing.org_units,
    );
    let goals = Tree::new(
        data.goals
            .iter()
            .map(|g| (&g.key, g.parent.as_ref(), &g.origin)),
        &existing.goals,
    );
    let chains = Tree::new(
        data.commitments
            .iter()
            .map(|c| (&c.key, c.carried_over_from.as_ref(), &c.origin)),
        &existing.commitments,
    );
    units.check(Referent::OrgUnit, "parent", &mut errors);
    goals.check(Referent::Goal, "parent", &mut errors);
    chains.check(Referent::Commitment, "carried_over_from", &mut errors);
    let mut need = |tree: &Tree<'_>, kind, key: &Key, origin: &Origin, field: &str| {
        if !tree.knows(key.as_str()) {
            errors.at(
                &origin.field(field),
                messages::unknown_reference(kind, key.as_str()),
            );
        }
    };
    for v in &data.visions {
        need(&units, Referent::OrgUnit, &v.org, &v.origin, "org");
    }
    for g in &data.goals {
        need(&units, Referent::OrgUnit, &g.org, &g.origin, "org");
    }
    for i in &data.indicators {
        need(&goals, Referent::Goal, &i.goal, &i.origin, "goal");
    }
    for c in &data.commitments {
        need(&goals, Referent::Goal, &c.goal, &c.origin, "goal");
    }
    for a in &data.assessments {
        need(&units, Referent::OrgUnit, &a.org, &a.origin, "org");
        if let Some(goal) = &a.goal {
            need(&goals, Referent::Goal, goal, &a.origin, "goal");
        }
    }
    for r in &data.period_reviews {
        need(&units, Referent::OrgUnit, &r.org, &r.origin, "org");
    }
    for d in &data.decisions {
        need(&units, Referent::OrgUnit, &d.org, &d.origin, "org");
    }
    for p in &data.control_plans {
        need(&units, Referent::OrgUnit, &p.org, &p.origin, "org");
    }
    for a in &data.audits {
        for (i, k) in a.audited.iter().enumerate() {
            need(
                &units,
                Referent::OrgUnit,
                k,
                &a.origin,
                &format!("audited[{i}]"),
            );
        }
        for r in &a.recommendations {
            for (i, k) in r.to.iter().enumerate() {
                need(&units, Referent::OrgUnit, k, &r.origin, &format!("to[{i}]"));
            }
        }
        for x in &a.responses {
            need(&units, Referent::OrgUnit, &x.org, &x.origin, "org");
        }
    }
    check_ic_links(data, existing, &mut errors);
    let groups_in_files: HashSet<&str> = data
        .comparison_groups
        .iter()
        .map(|g| g.key.as_str())
        .collect();
    check_group_references(data, existing, &groups_in_files, &mut errors);
    check_short_names(data, existing, &mut errors);
    check_groups(data, existing, &groups_in_files, &mut errors);
    errors
}

/// Every link to internal control names a plan in the files or the database, and an item
/// of that kind a plan in the files has (a stored plan's items are checked when written).
fn check_ic_links(data: &DataSet, existing: &Existing, errors: &mut Errors) {
    for l in data
        .audits
        .iter()
        .flat_map(|a| &a.recommendations)
        .flat_map(|r| &r.ic_links)
    {
        let in_files = data
            .control_plans
            .iter()
            .find(|p| p.org == l.org && p.year == l.year);
        match in_files {
            Some(p) => {
                let key = l.item.key();
                let found = match &l.item {
                    crate::data::IcItemKey::Action(k) => p.actions.iter().any(|x| &x.key == k),
                    crate::data::IcItemKey::Control(k) => p.controls.iter().any(|x| &x.key == k),
                    crate::data::IcItemKey::Risk(k) => p.risks.iter().any(|x| &x.key == k),
                };
                if !found {
                    errors.at(
                        &l.origin,
                        au::unknown_plan_item(key.as_str(), l.org.as_str(), l.year),
                    );
                }
            }
            None => {
                let stored = existing
                    .org_units
                    .get(l.org.as_str())
                    .is_some_and(|u| existing.control_plans.contains_key(&(u.id, l.year)));
                if !stored {
                    errors.at(
                        &l.origin.field("plan"),
                        au::unknown_plan(l.org.as_str(), l.year),
                    );
                }
            }
        }
    }
}

/// Every comparison group an indicator names is in the files or in the database.
fn check_group_references(
    data: &DataSet,
    existing: &Existing,
    in_files: &HashSet<&str>,
    errors: &mut Errors,
) {
    for i in &data.indicators {
        for (n, key) in i.comparison_groups.iter().flatten().enumerate() {
            let key = key.as_str();
            if !in_files.contains(key) && !existing.comparison_groups.contains_key(key) {
                errors.at(
                    &i.origin.field(&format!("comparison_groups[{n}]")),
                    messages::unknown_reference(Referent::ComparisonGroup, key),
                );
            }
        }
    }
}

/// A group's Kolada id and (case-insensitive) title may not be another group's in the
/// database (unless that group is in the files too, and so changes).
fn check_groups(
    data: &DataSet,
    existing: &Existing,
    in_files: &HashSet<&str>,
    errors: &mut Errors,
) {
    let mut others: Vec<&ComparisonGroup> = existing
        .comparison_groups
        .values()
        .filter(|s| !in_files.contains(s.key.as_str()))
        .collect();
    others.sort_by(|a, b| a.key.cmp(&b.key));
    for g in &data.comparison_groups {
        if let Some(id) = &g.kolada_id {
            let holder = others.iter().find(|s| s.kolada_id.as_ref() == Some(id));
            if let Some(holder) = holder {
                errors.at(
                    &g.origin.field("kolada_id"),
                    messages::kolada_group_taken_by(id, &holder.key),
                );
                continue;
            }
        }
        let title = g.title.to_lowercase();
        if let Some(holder) = others.iter().find(|s| s.title.to_lowercase() == title) {
            errors.at(
                &g.origin.field("title"),
                messages::group_title_taken_by(&g.title, &holder.key),
            );
        }
    }
}

/// A short name may not be one that another unit already has in the database (unless
/// that unit gets a new short name in the same files).
fn check_short_names(data: &DataSet, existing: &Existing, errors: &mut Errors) {
    let renamed: HashSet<&str> = data.org_units.iter().map(|u| u.key.as_str()).collect();
    for u in &data.org_units {
        let wanted = u.short_name.to_lowercase();
        let holder = existing.org_units.iter().find(|(k, s)| {
            k.as_str() != u.key.as_str()
                && !renamed.contains(k.as_str())
                && s.short_name.to_lowercase() == wanted
        });
        if let Some((holder, _)) = holder {
            errors.at(
                &u.origin.field("short_name"),
                messages::short_name_taken(&u.short_name, holder),
            );
        }
    }
}

/// Parent links of one kind: the files' rows over the database's.
struct Tree<'a> {
    rows: Vec<(&'a Key, Option<&'a Key>, &'a Origin)>,
    parent: HashMap<&'a str, Option<&'a str>>,
}

impl<'a> Tree<'a> {
    fn new(
        rows: impl Iterator<Item = (&'a Key, Option<&'a Key>, &'a Origin)>,
        existing: &'a HashMap<String, Stored>,
    ) -> Tree<'a> {
        let rows: Vec<_> = rows.collect();
        let mut parent: HashMap<&str, Option<&str>> = existing
            .iter()
            .map(|(k, s)| (k.as_str(), s.parent.as_deref()))
            .collect();
        for (key, p, _) in &rows {
            parent.insert(key.as_str(), p.map(Key::as_str));
        }
        Tree { rows, parent }
    }

    fn knows(&self, key: &str) -> bool {
        self.parent.contains_key(key)
    }

    /// Reports unknown parents and rows that end up above themselves.
    fn check(&self, kind: Referent, field: &str, errors: &mut Errors) {
        for (key, parent, origin) in &self.rows {
            let Some(parent) = parent else { continue };
            if !self.knows(parent.as_str()) {
                errors.at(
                    &origin.field(field),
                    messages::unknown_reference(kind, parent.as_str()),
                );
            } else if self.reaches(parent.as_str(), key.as_str()) {
                errors.at(
                    &origin.field(field),
                    messages::reference_cycle(kind, key.as_str()),
                );
            }
        }
    }

    /// Whether walking up from `from` reaches `target`.
    fn reaches(&self, from: &str, target: &str) -> bool {
        let mut cursor = Some(from);
        for _ in 0..=self.parent.len() {
            match cursor {
                Some(c) if c == target => return true,
                Some(c) => cursor = self.parent.get(c).copied().flatten(),
                None => return false,
            }
        }
        true
    }
}

/// Indices of `rows` so that every row comes after its parent when both are in `rows`;
/// otherwise file order. Assumes no cycles (checked before).
pub(crate) fn parents_first(rows: &[(&Key, Option<&Key>)]) -> Vec<usize> {
    let index: HashMap<&str, usize> = rows
        .iter()
        .enumerate()
        .map(|(i, (k, _))| (k.as_str(), i))
        .collect();
    let mut placed = vec![false; rows.len()];
    let mut order = Vec::with_capacity(rows.len());
    for start in 0..rows.len() {
        let mut chain = Vec::new();
        let mut cursor = Some(start);
        while let Some(i) = cursor.filter(|&i| !placed[i] && !chain.contains(&i)) {
            chain.push(i);
            cursor = rows[i].1.and_then(|p| index.get(p.as_str()).copied());
        }
        for &i in chain.iter().rev() {
            placed[i] = true;
            order.push(i);
        }
    }
    order
}

/// Every assessment level that is not on the active scale.
pub(crate) fn check_levels(data: &DataSet, scale: &AssessmentScale) -> Errors {
    let mut errors = Errors::default();
    for a in &data.assessments {
        if scale.canonical(&a.level).is_none() {
            errors.at(
                &a.origin.field("level"),
                messages::unknown_level(&a.level, &scale.levels),
            );
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(s: &str) -> Key {
        Key::parse(s).unwrap()
    }

    #[test]
    fn parents_come_first_whatever_the_file_order() {
        let (a, b, c, d, elsewhere) = (k("a"), k("b"), k("c"), k("d"), k("elsewhere"));
        let rows = [
            (&c, Some(&b)),
            (&b, Some(&a)),
            (&d, None),
            (&a, Some(&elsewhere)),
        ];
        let order = parents_first(&rows);
        assert_eq!(order, vec![3, 1, 0, 2]);
    }
}
