//! Which part of the data a write changed, and which part a cached page shows (issue 22):
//! the one rule by which a write invalidates cached pages.
//!
//! Every committed write moves the data version (pages that show everything, such as the
//! Uppsikt view or the start page, are cached by it). Besides, a write moves the version of
//! the *scopes* it changed: organisation units, or scope 0 ("global") for anything that is
//! not one unit's. A page about one unit (its board page, one of its goals or indicators)
//! is cached by the versions of global and of its unit, so a write elsewhere leaves it
//! cached.
//!
//! A write is a unit's only when every change it logged is to a goal, an indicator or a
//! commitment (or one of their parts, as [`crate::kinds::history_parts`] declares them,
//! or an assessment) that still exists and has not moved (no `…_id` changed between
//! before and after). Anything else (a deletion, a move, a unit, a decision, a rule, an
//! account, an import across units, a change of an object kind not listed here) changes
//! global: a new kind of write is safe by default and becomes finer only by being listed.
//!
//! Data flows along the organisation and the goal tree: a unit's page shows its children's
//! and descendants' figures (rolled up) and its parents' decisions and goals (breadcrumbs,
//! locks, the goal a goal serves). So a unit's write changes the unit, everything above it
//! and everything below it, following both the unit tree and goals whose parent goal
//! belongs to another unit; never a sibling's.

use std::collections::{BTreeSet, HashMap};

use serde_json::Value;
use sqlx::{Any, Transaction};
use uppsikt_domain::model::Id;
use uppsikt_domain::object_kind::ObjectKind;

use crate::kinds::{history_parts, owning_unit_sql};
use crate::{Result, Store};

/// The scope of what no one unit owns.
pub const GLOBAL: i64 = 0;

/// More units than this changed at once count as global (a page per unit would be
/// invalidated anyway, and the upserts stay few).
const MAX_UNITS: usize = 256;

/// More distinct objects than this in one write count as global (a bulk write).
const MAX_OBJECTS: usize = 64;

/// What a cached page shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageScope {
    /// Anything: cached by the data version (every write changes it).
    All,
    /// One organisation unit's pages.
    Unit(Id),
    /// One object's page, which shows what its owning unit's pages show.
    Object(ObjectKind, Id),
}

/// The versions a page was built from: it is current while they are unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Stamp(pub i64, pub i64);

impl Store {
    /// The versions of what a page of `scope` shows, read before the page is built (a
    /// write in between only makes the page look older than it is, never newer).
    pub async fn stamp(&self, scope: PageScope) -> Result<Stamp> {
        let unit_sql = match scope {
            PageScope::All => return Ok(Stamp(self.data_version().await?, 0)),
            PageScope::Unit(_) => "$1".to_string(),
            PageScope::Object(kind, _) => format!("({})", owning_unit_sql(kind)),
        };
        let id = match scope {
            PageScope::All => unreachable!("answered above"),
            PageScope::Unit(id) | PageScope::Object(_, id) => id,
        };
        let sql = format!(
            "SELECT COALESCE(MAX(CASE WHEN scope = 0 THEN version END), -1), \
                    COALESCE(MAX(CASE WHEN scope <> 0 THEN version END), 0) \
             FROM scope_versions WHERE scope = 0 OR scope = {unit_sql}"
        );
        let (global, unit): (i64, i64) =
            sqlx::query_as(&sql).bind(id).fetch_one(&self.pool).await?;
        Ok(Stamp(global, unit))
    }
}

/// What one writer has changed so far, as [`changed_scopes`] needs it.
#[derive(Debug, Default)]
pub(crate) struct Touched {
    objects: BTreeSet<(String, Id)>,
    global: bool,
}

impl Touched {
    /// Notes one logged change.
    pub(crate) fn note(
        &mut self,
        object_type: &str,
        object_id: Option<Id>,
        before: Option<&Value>,
        after: Option<&Value>,
    ) {
        if self.global {
            return;
        }
        let unit_part = unit_sql(object_type).is_some();
        match object_id {
            Some(id) if unit_part && !moves(before, after) => {
                self.objects.insert((object_type.to_string(), id));
                if self.objects.len() > MAX_OBJECTS {
                    self.global = true;
                    self.objects.clear();
                }
            }
            _ => {
                self.global = true;
                self.objects.clear();
            }
        }
    }
}

/// The SQL that finds the owning unit of an object logged as `object_type` (its id is
/// `$1`), for the types that are one unit's; `None`: global.
fn unit_sql(object_type: &str) -> Option<&'static str> {
    if object_type == "assessment" {
        return Some("SELECT org_id FROM assessments WHERE id = $1");
    }
    [
        ObjectKind::Goal,
        ObjectKind::Indicator,
        ObjectKind::Commitment,
    ]
    .into_iter()
    .find(|k| k.log_type() == object_type || history_parts(*k).own.contains(&object_type))
    .map(owning_unit_sql)
}

/// Whether a change moved its object (to another unit, goal or parent): some `…_id`
/// field differs between before and after.
fn moves(before: Option<&Value>, after: Option<&Value>) -> bool {
    let (Some(Value::Object(b)), Some(Value::Object(a))) = (before, after) else {
        return false;
    };
    b.keys()
        .chain(a.keys())
        .filter(|k| k.ends_with("_id") || k.as_str() == "parent" || k.as_str() == "org")
        .any(|k| b.get(k) != a.get(k))
}

/// The scopes a write changed, inside its transaction (after its changes).
pub(crate) async fn changed_scopes(
    tx: &mut Transaction<'static, Any>,
    touched: Touched,
) -> Result<Vec<i64>> {
    if touched.global {
        return Ok(vec![GLOBAL]);
    }
    let mut units = BTreeSet::new();
    for (object_type, id) in &touched.objects {
        let sql = unit_sql(object_type).expect("noted only when mapped");
        let unit: Option<Option<i64>> = sqlx::query_scalar(sql)
            .bind(*id)
            .fetch_optional(&mut **tx)
            .await?;
        match unit.flatten() {
            Some(u) => units.insert(u),
            // Gone (deleted in this write): where it was is not known any more.
            None => return Ok(vec![GLOBAL]),
        };
    }
    if units.is_empty() {
        return Ok(vec![GLOBAL]);
    }
    let mut up: Vec<(i64, i64)> =
        sqlx::query_as("SELECT id, parent_id FROM org_units WHERE parent_id IS NOT NULL")
            .fetch_all(&mut **tx)
            .await?;
    up.extend(
        sqlx::query_as::<_, (i64, i64)>(
            "SELECT DISTINCT g.org_id, p.org_id FROM goals g JOIN goals p ON p.id = g.parent_id \
             WHERE g.org_id <> p.org_id",
        )
        .fetch_all(&mut **tx)
        .await?,
    );
    let affected = affected_units(&units, &up);
    Ok(if affected.len() > MAX_UNITS {
        vec![GLOBAL]
    } else {
        affected.into_iter().collect()
    })
}

/// The units whose pages can show data of `changed`: those units, everything above them
/// and everything below them along `up` edges (child → parent: the unit tree and goals
/// serving another unit's goal), but not sideways.
fn affected_units(changed: &BTreeSet<i64>, up: &[(i64, i64)]) -> BTreeSet<i64> {
    let mut parents: HashMap<i64, Vec<i64>> = HashMap::new();
    let mut children: HashMap<i64, Vec<i64>> = HashMap::new();
    for &(child, parent) in up {
        parents.entry(child).or_default().push(parent);
        children.entry(parent).or_default().push(child);
    }
    let mut out = changed.clone();
    for edges in [&parents, &children] {
        let mut todo: Vec<i64> = changed.iter().copied().collect();
        let mut seen: BTreeSet<i64> = changed.clone();
        while let Some(u) = todo.pop() {
            for &next in edges.get(&u).into_iter().flatten() {
                if seen.insert(next) {
                    todo.push(next);
                }
            }
        }
        out.extend(seen);
    }
    out
}

/// Moves each scope's version to `version` (the write's data version).
pub(crate) async fn bump(
    tx: &mut Transaction<'static, Any>,
    scopes: &[i64],
    version: i64,
) -> Result<()> {
    for scope in scopes {
        sqlx::query(
            "INSERT INTO scope_versions (scope, version) VALUES ($1, $2) \
             ON CONFLICT (scope) DO UPDATE SET version = excluded.version",
        )
        .bind(scope)
        .bind(version)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn set(ids: &[i64]) -> BTreeSet<i64> {
        ids.iter().copied().collect()
    }

    #[test]
    fn a_units_write_reaches_up_and_down_but_not_sideways() {
        // 1 = KF; 2, 3 = boards under it; 4 under 2; 5 under 3.
        let tree = [(2, 1), (3, 1), (4, 2), (5, 3)];
        assert_eq!(affected_units(&set(&[2]), &tree), set(&[1, 2, 4]));
        assert_eq!(affected_units(&set(&[4]), &tree), set(&[1, 2, 4]));
        assert_eq!(affected_units(&set(&[1]), &tree), set(&[1, 2, 3, 4, 5]));
        // A goal of 4 serves a goal of 3: 3's pages show 4's figures, and 4's show 3's goal
        // (and so 1's above it), but 5 below 3 is reached only as 3's descendant.
        let linked = [(2, 1), (3, 1), (4, 2), (5, 3), (4, 3)];
        assert_eq!(affected_units(&set(&[4]), &linked), set(&[1, 2, 3, 4]));
        assert_eq!(affected_units(&set(&[3]), &linked), set(&[1, 3, 4, 5]));
    }

    #[test]
    fn only_goal_family_changes_that_did_not_move_are_a_units() {
        let mut t = Touched::default();
        t.note("outcome", Some(7), None, Some(&json!({"value": 1})));
        t.note(
            "goal",
            Some(3),
            Some(&json!({"title": "a", "parent_id": 1})),
            Some(&json!({"title": "b", "parent_id": 1})),
        );
        t.note("assessment", Some(9), None, Some(&json!({})));
        assert!(!t.global);
        assert_eq!(t.objects.len(), 3);
        let mut moved = Touched::default();
        moved.note(
            "indicator",
            Some(3),
            Some(&json!({"goal_id": 1})),
            Some(&json!({"goal_id": 2})),
        );
        assert!(moved.global);
        for (object_type, id) in [
            ("org_unit", Some(1)),
            ("period", Some(1)),
            ("outcome", None),
            ("kolada_values", None),
            ("audit", Some(1)),
        ] {
            let mut t = Touched::default();
            t.note(object_type, id, None, None);
            assert!(t.global, "{object_type}");
        }
        let mut bulk = Touched::default();
        for id in 0..=MAX_OBJECTS as i64 {
            bulk.note("outcome", Some(id), None, None);
        }
        assert!(bulk.global);
    }

    proptest! {
        /// In a random unit forest, a unit's write reaches exactly its ancestors and
        /// descendants (and itself).
        #[test]
        fn affected_is_ancestors_and_descendants(parents in prop::collection::vec(prop::option::of(0usize..40), 1..40), pick in 0usize..40) {
            // Unit i's parent is an earlier unit (a forest, no cycles).
            let tree: Vec<(i64, i64)> = parents.iter().enumerate()
                .filter_map(|(i, p)| p.filter(|p| *p < i).map(|p| (i as i64, p as i64)))
                .collect();
            let n = parents.len() as i64;
            let unit = (pick as i64) % n;
            let parent_of = |u: i64| tree.iter().find(|(c, _)| *c == u).map(|(_, p)| *p);
            let is_above = |a: i64, mut b: i64| { while let Some(p) = parent_of(b) { if p == a { return true; } b = p; } false };
            let expected: BTreeSet<i64> = (0..n).filter(|&u| u == unit || is_above(u, unit) || is_above(unit, u)).collect();
            prop_assert_eq!(affected_units(&set(&[unit]), &tree), expected);
        }
    }
}
