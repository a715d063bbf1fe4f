//! References chosen in forms: a goal's parent and the commitment one is carried over
//! from. Each must exist and be one the form may choose; a wrong one is a Swedish message
//! at its field, never a foreign-key error from the database.
//!
//! - A goal hangs under a goal of its own unit or of a unit above it (KS's goals under
//!   KF's), never under another board's goal, and never under itself or its own subgoals.
//! - A commitment is carried over from an earlier year's commitment of the same unit,
//!   never from itself.
//!
//! A reference that is already stored is accepted unchanged (data files may have made it),
//! so that editing a title never forces a new parent; a new one must follow the rules.

use uppsikt_domain::messages;
use uppsikt_domain::model::{Commitment, Goal, Id};
use uppsikt_store::StoreError;

use crate::error::Result;
use crate::AppState;

/// Whether goals of the unit whose chain (itself up to the root) is `chain` may hang under
/// `parent`.
pub fn may_hang_under(chain: &[Id], parent: &Goal) -> bool {
    chain.contains(&parent.org_id)
}

/// `Ok(None)` if found, `Ok(Some(message))` if it does not exist.
fn gone<T>(
    found: std::result::Result<T, StoreError>,
    id: Id,
) -> Result<std::result::Result<T, String>> {
    match found {
        Ok(t) => Ok(Ok(t)),
        Err(e) if e.is_not_found() => Ok(Err(messages::chosen_gone(&id.to_string()))),
        Err(e) => Err(e.into()),
    }
}

/// Why `parent` may not be the parent of a goal of unit `org` (`goal` when editing one).
pub async fn goal_parent(
    state: &AppState,
    org: Id,
    goal: Option<&Goal>,
    parent: Id,
) -> Result<Option<String>> {
    if let Some(g) = goal {
        let subtree = state.store.goal_tree(g.id).await?;
        if subtree.iter().any(|s| s.id == parent) {
            return Ok(Some(messages::GOAL_UNDER_ITSELF.into()));
        }
        if g.parent_id == Some(parent) {
            return Ok(None);
        }
    }
    let p = match gone(state.store.goal(parent).await, parent)? {
        Ok(p) => p,
        Err(message) => return Ok(Some(message)),
    };
    let chain = state.store.org_chain(org).await?;
    if may_hang_under(&chain, &p) {
        return Ok(None);
    }
    let unit = state.store.org_unit(p.org_id).await?;
    Ok(Some(messages::goal_parent_of_other_unit(
        &p.title, &unit.name,
    )))
}

/// Why the commitment (`this` when editing one) of a goal of unit `org` for `year` may not
/// be carried over from `from`.
pub async fn carried_over_from(
    state: &AppState,
    org: Id,
    this: Option<&Commitment>,
    year: i32,
    from: Id,
) -> Result<Option<String>> {
    if this.is_some_and(|c| c.id == from) {
        return Ok(Some(messages::CARRIED_OVER_FROM_ITSELF.into()));
    }
    if this.is_some_and(|c| c.carried_over_from == Some(from)) {
        return Ok(None);
    }
    let source = match gone(state.store.commitment(from).await, from)? {
        Ok(c) => c,
        Err(message) => return Ok(Some(message)),
    };
    let source_goal = state.store.goal(source.goal_id).await?;
    if source_goal.org_id != org {
        let unit = state.store.org_unit(source_goal.org_id).await?;
        return Ok(Some(messages::carried_over_from_other_unit(
            &source.title,
            &unit.name,
        )));
    }
    if source.year >= year {
        return Ok(Some(messages::carried_over_from_later(
            &source.title,
            source.year,
            year,
        )));
    }
    Ok(None)
}
