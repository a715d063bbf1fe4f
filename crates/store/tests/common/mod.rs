//! A small organisation for store tests: Kommunen → KS → KS förvaltning, a sibling board,
//! and one indicator under KS förvaltning.

#![allow(dead_code)]

use uppsikt_domain::model::{GoalKind, OrgKind};
use uppsikt_domain::Direction;
use uppsikt_store::{GoalInput, IndicatorInput, OrgUnitInput, Store};

pub struct Tree {
    pub kommun: i64,
    pub ks: i64,
    pub child: i64,
    pub other: i64,
    /// The child's goal, which holds the indicator.
    pub goal: i64,
    pub indicator: i64,
}

pub async fn unit(w: &mut uppsikt_store::Writer, key: &str, parent: Option<i64>) -> i64 {
    w.upsert_org_unit(&OrgUnitInput {
        key: key.into(),
        name: key.into(),
        short_name: key.into(),
        kind: if parent.is_none() {
            OrgKind::Kommun
        } else {
            OrgKind::Namnd
        },
        parent_id: parent,
        position: 0,
    })
    .await
    .unwrap()
}

/// Kommunen → KS → KS förvaltning, and a sibling board; one goal with one indicator under
/// the child.
pub async fn tree(store: &Store) -> Tree {
    let mut w = store
        .writer("test", uppsikt_store::ChangeSource::Form)
        .await
        .unwrap();
    let kommun = unit(&mut w, "kommun", None).await;
    let ks = unit(&mut w, "ks", Some(kommun)).await;
    let child = unit(&mut w, "ks-forvaltning", Some(ks)).await;
    let other = unit(&mut w, "son", Some(kommun)).await;
    let goal = w
        .create_goal(&GoalInput {
            key: String::new(),
            org_id: child,
            parent_id: None,
            title: "Trygghet".into(),
            description: String::new(),
            kind: GoalKind::Board,
            position: 0,
        })
        .await
        .unwrap();
    let indicator = w
        .create_indicator(&IndicatorInput {
            key: String::new(),
            goal_id: goal,
            name: "Andel trygga".into(),
            unit: "%".into(),
            direction: Direction::Higher,
            source: String::new(),
            kolada_kpi: String::new(),
            decimals: 0,
            frequency: uppsikt_domain::Frequency::Year,
            position: 0,
            margin_basis: None,
            trend_window: Default::default(),
        })
        .await
        .unwrap();
    w.commit().await.unwrap();
    Tree {
        kommun,
        ks,
        child,
        other,
        goal,
        indicator,
    }
}
