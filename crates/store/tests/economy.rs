//! The economy on every backend: cost types, budget lines, explanations, tolerances,
//! settings, the ledger mapping, investment trees, carry-overs, equity and grants written
//! and read whole; a budget line upserted on its leaf key; a typed total refused; a locked
//! year refusing every change to it and changing nothing; `replace_budget_lines` replacing
//! only its origin, units and year; KS 2019's statements computed from stored leaves; the
//! deviations budget lines and grants raise, once; the histories.

mod common;

use std::collections::BTreeSet;

use common::tree;
use uppsikt_domain::deviation::Source;
use uppsikt_domain::economy::{
    AccountRange, Amount, BudgetLine, CarryOver, CostGroup, CostType, EconomyRefusal,
    EconomySettings, EquityYear, Explanation, InvestmentNode, LedgerUnit, LineKind, Tolerance,
    TotalsPolicy, TreeKind,
};
use uppsikt_domain::grant::{
    Allocation, DecisionRef, Direction, Grant, GrantFlag, GrantKind, GrantShare, GrantYear, Spend,
    UseFollowUp, UseStatus,
};
use uppsikt_domain::model::{Id, OrgKind, PeriodLock};
use uppsikt_domain::object_kind::ObjectKind;
use uppsikt_domain::Period;
use uppsikt_store::testing::TestDb;
use uppsikt_store::{ChangeSource, OrgUnitInput, Store, StoreError, Writer};

async fn writer(store: &Store) -> Writer {
    store
        .writer("controller", ChangeSource::Form)
        .await
        .unwrap()
}

/// Mnkr with one decimal as öre.
fn mnkr(v: f64) -> Amount {
    Amount((v * 100_000_000.0).round() as i64)
}

fn refusal<T: std::fmt::Debug>(r: Result<T, StoreError>) -> EconomyRefusal {
    match r {
        Err(StoreError::Economy(r)) => r,
        other => panic!("expected an economy refusal, got {other:?}"),
    }
}

fn locked<T: std::fmt::Debug>(r: Result<T, StoreError>) {
    assert!(
        matches!(r, Err(StoreError::Locked(_))),
        "expected a lock, got {r:?}"
    );
}

fn decision(org_id: Id, year: i32) -> PeriodLock {
    PeriodLock {
        org_id,
        period: Period::Year(year),
        body: "Kommunstyrelsen".into(),
        decided_on: "2020-03-30".into(),
        paragraph: "§ 45".into(),
        diary_number: "KS-2020/123".into(),
        locked_by: "controller".into(),
        locked_at: "2020-03-30T12:00:00Z".into(),
    }
}

fn cost_type(code: &str, name: &str, group: CostGroup, position: i64) -> CostType {
    CostType {
        id: 0,
        code: code.into(),
        name: name.into(),
        group,
        position,
        ranges: Vec::new(),
    }
}

fn line(unit: Id, ct: Option<Id>, period: Period, kind: LineKind, amount: Amount) -> BudgetLine {
    BudgetLine {
        id: 0,
        unit_id: unit,
        cost_type_id: ct,
        period,
        kind,
        amount,
        forecast_on: (kind == LineKind::Forecast).then(|| "2019-08-31".to_string()),
        area: None,
    }
}

fn node(
    unit: Id,
    year: i32,
    parent: Option<Id>,
    name: &str,
    budget: Option<f64>,
) -> InvestmentNode {
    InvestmentNode {
        id: 0,
        unit_id: unit,
        year,
        kind: TreeKind::Investment,
        parent_id: parent,
        code: String::new(),
        name: name.into(),
        position: 0,
        budget: budget.map(mnkr),
        outcome: None,
        forecast: None,
        forecast_on: None,
        carry_over: None,
        areas: Vec::new(),
        note: String::new(),
    }
}

fn carry_over(unit: Id, year: i32, project: &str) -> CarryOver {
    CarryOver {
        id: 0,
        unit_id: unit,
        year,
        group: "Samhällsbyggnadsinvesteringar".into(),
        project: project.into(),
        position: 0,
        budget: Some(mnkr(-10.0)),
        outcome: Some(mnkr(-4.0)),
        transfer: Some(mnkr(6.0)),
    }
}

fn equity(unit: Id, year: i32) -> EquityYear {
    EquityYear {
        unit_id: unit,
        year,
        cap_permille: 30,
        opening: Some(mnkr(15.5)),
        withdrawal: Amount::ZERO,
        requested_carry_over: Some(mnkr(28.7)),
        reconciliation: "Tabellen summerar till 33,5 mnkr.".into(),
    }
}

fn grant(code: &str, unit: Option<Id>) -> Grant {
    Grant {
        id: 0,
        code: code.into(),
        name: "Statsbidrag brottsförebyggande arbete".into(),
        direction: Direction::Received,
        grantor: "Staten".into(),
        legal_basis: "Lag (2023:196)".into(),
        kind: GrantKind::General,
        formula: "21 kr per invånare".into(),
        reporting_duty: String::new(),
        unit_id: unit,
        allocate_by: Some("2024-06-30".into()),
        rules: String::new(),
        note: String::new(),
        source: "002:605-618".into(),
        years: vec![
            GrantYear {
                year: 2023,
                amount: Some(mnkr(1.9)),
                received_on: Some("2023-07-01".into()),
                quoted: "ca 1,9 mnkr".into(),
                half_year: true,
            },
            GrantYear {
                year: 2024,
                amount: Some(mnkr(2.4)),
                received_on: None,
                quoted: "ca 2,4 mnkr".into(),
                half_year: false,
            },
        ],
    }
}

fn allocation(grant: Id, unit: Option<Id>, share: GrantShare) -> Allocation {
    Allocation {
        id: 0,
        grant_id: grant,
        year: 2024,
        decision: DecisionRef {
            body: "KS".into(),
            date: Some("2024-02-12".into()),
            paragraph: "§ 12".into(),
            case_ref: "KS-2024/1".into(),
        },
        purpose: "Trygghetsskapande insatser".into(),
        amount: Some(mnkr(1.0)),
        share,
        unit_id: unit,
        area: Some("Vårby".into()),
        obligation_id: None,
        commitment_id: None,
        situation_report_id: None,
        recipient: String::new(),
        follow_up: None,
    }
}

async fn org_unit(w: &mut Writer, key: &str, name: &str, kind: OrgKind, parent: Id) -> Id {
    w.upsert_org_unit(&OrgUnitInput {
        key: key.into(),
        name: name.into(),
        short_name: name.into(),
        kind,
        parent_id: Some(parent),
        position: 0,
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn every_type_round_trips() {
    for db in TestDb::all().await {
        let store = &db.store;
        let t = tree(store).await;
        let mut w = writer(store).await;
        let mut staff = cost_type("personal", " Personalkostnader ", CostGroup::Staff, 1);
        staff.ranges = vec![
            AccountRange::parse("5000-5999").unwrap(),
            AccountRange::parse("4010").unwrap(),
        ];
        let staff_id = w.put_cost_type(&staff).await.unwrap();
        let rev_id = w
            .put_cost_type(&cost_type(
                "taxor",
                "Taxor och avgifter",
                CostGroup::Revenue,
                1,
            ))
            .await
            .unwrap();
        let budget = line(
            t.ks,
            Some(staff_id),
            Period::Year(2019),
            LineKind::Budget,
            mnkr(-263.4),
        );
        let mut forecast = line(
            t.child,
            None,
            Period::Tertial(2019, 2),
            LineKind::Forecast,
            mnkr(-8.1),
        );
        forecast.area = Some(" Grantorp ".into());
        let budget_id = w.put_budget_line(&budget, "manual").await.unwrap();
        let forecast_id = w.put_budget_line(&forecast, "file").await.unwrap();
        w.put_explanation(&Explanation {
            unit_id: t.child,
            year: 2019,
            cost_type_id: None,
            text: "Vakanser.".into(),
        })
        .await
        .unwrap();
        w.put_tolerance(t.child, Some(Tolerance::Amount(mnkr(0.5))))
            .await
            .unwrap();
        w.put_tolerance(t.ks, Some(Tolerance::Permille(5)))
            .await
            .unwrap();
        let settings = EconomySettings {
            ledger_dimension: 6,
            totals_policy: TotalsPolicy::Flag,
            totals_tolerance: mnkr(0.1),
        };
        w.put_economy_settings(&settings).await.unwrap();
        w.put_ledger_unit(&LedgerUnit {
            object_code: " 100 ".into(),
            unit_id: t.child,
            ledger_name: "Kansli".into(),
        })
        .await
        .unwrap();
        w.put_ledger_unit(&LedgerUnit {
            object_code: "200".into(),
            unit_id: t.ks,
            ledger_name: "KS".into(),
        })
        .await
        .unwrap();
        let root = w
            .put_investment_node(&node(t.ks, 2019, None, "Exploateringsprojekt", None))
            .await
            .unwrap();
        let mut leaf = node(t.ks, 2019, Some(root), "Bostäder", Some(-135.7));
        leaf.outcome = Some(mnkr(-95.1));
        leaf.forecast = Some(mnkr(-100.0));
        leaf.forecast_on = Some("2019-08-31".into());
        leaf.areas = vec!["Skogås".into(), "Trångsund".into()];
        leaf.code = "P100".into();
        leaf.note = "Tidsförskjutning.".into();
        let leaf_id = w.put_investment_node(&leaf).await.unwrap();
        let mut expl = node(t.ks, 2019, None, "Grantorp 5:3", Some(90.0));
        expl.kind = TreeKind::Exploitation;
        let expl_id = w.put_investment_node(&expl).await.unwrap();
        let co_id = w
            .put_carry_over(&carry_over(t.ks, 2019, "Brandstegen"))
            .await
            .unwrap();
        w.put_equity_year(&equity(t.ks, 2019)).await.unwrap();
        let g = grant("G-LAG2023", Some(t.ks));
        let g_id = w.put_grant(&g).await.unwrap();
        let given_id = w
            .put_grant(&Grant {
                direction: Direction::Given,
                code: "F-BIDRAG".into(),
                unit_id: None,
                ..g.clone()
            })
            .await
            .unwrap();
        let mut a = allocation(g_id, Some(t.child), GrantShare::Known(400));
        a.follow_up = Some(UseFollowUp {
            date: "2025-02-01".into(),
            status: UseStatus::Shortcomings,
            text: "Redovisad sent.".into(),
        });
        let a_id = w.put_allocation(&a).await.unwrap();
        let unknown_id = w
            .put_allocation(&allocation(g_id, None, GrantShare::Unknown))
            .await
            .unwrap();
        let spend = Spend {
            id: 0,
            allocation_id: a_id,
            period: Period::Month(2024, 3),
            amount: mnkr(-0.3),
            booked_on: "P100".into(),
            note: "Väktare".into(),
        };
        let spend_id = w.put_spend(&spend).await.unwrap();
        w.commit().await.unwrap();

        // Read back whole.
        let cts = store.cost_types().await.unwrap();
        assert_eq!(
            cts.iter().map(|c| c.id).collect::<Vec<_>>(),
            [rev_id, staff_id],
            "by group: revenue before staff"
        );
        assert_eq!(
            cts[1],
            CostType {
                id: staff_id,
                name: "Personalkostnader".into(),
                ..staff.clone()
            }
        );
        let lines = store
            .budget_lines(&[t.ks, t.child, t.other], 2019, 2019)
            .await
            .unwrap();
        assert_eq!(lines.len(), 2);
        assert!(lines.contains(&BudgetLine {
            id: budget_id,
            ..budget.clone()
        }));
        assert!(lines.contains(&BudgetLine {
            id: forecast_id,
            area: Some("Grantorp".into()),
            ..forecast.clone()
        }));
        assert!(store
            .budget_lines(&[t.ks], 2020, 2021)
            .await
            .unwrap()
            .is_empty());
        assert_eq!(
            store.budget_explanations(&[t.child], 2019).await.unwrap(),
            [Explanation {
                unit_id: t.child,
                year: 2019,
                cost_type_id: None,
                text: "Vakanser.".into(),
            }]
        );
        let tolerances = store.budget_tolerances().await.unwrap();
        assert_eq!(tolerances[&t.child], Tolerance::Amount(mnkr(0.5)));
        assert_eq!(tolerances[&t.ks], Tolerance::Permille(5));
        assert_eq!(store.economy_settings().await.unwrap(), settings);
        assert_eq!(
            store.ledger_units().await.unwrap(),
            [
                LedgerUnit {
                    object_code: "100".into(),
                    unit_id: t.child,
                    ledger_name: "Kansli".into(),
                },
                LedgerUnit {
                    object_code: "200".into(),
                    unit_id: t.ks,
                    ledger_name: "KS".into(),
                },
            ]
        );
        let nodes = store.investment_nodes(t.ks, 2019).await.unwrap();
        assert_eq!(nodes.len(), 3, "both kinds");
        assert_eq!(
            store.investment_node(leaf_id).await.unwrap(),
            InvestmentNode {
                id: leaf_id,
                ..leaf.clone()
            }
        );
        assert_eq!(
            store.investment_node(expl_id).await.unwrap().kind,
            TreeKind::Exploitation
        );
        let missing = store.investment_node(expl_id + 100).await.unwrap_err();
        assert!(
            matches!(
                &missing,
                StoreError::NotFound {
                    kind: "investment",
                    ..
                }
            ),
            "{missing}"
        );
        assert_eq!(
            store.carry_overs(t.ks, 2019).await.unwrap(),
            [CarryOver {
                id: co_id,
                ..carry_over(t.ks, 2019, "Brandstegen")
            }]
        );
        assert_eq!(
            store.equity_year(t.ks, 2019).await.unwrap(),
            Some(equity(t.ks, 2019))
        );
        assert_eq!(store.equity_year(t.ks, 2018).await.unwrap(), None);
        let grants = store.grants().await.unwrap();
        assert_eq!(
            grants.iter().map(|g| g.id).collect::<Vec<_>>(),
            [g_id, given_id],
            "received first"
        );
        assert_eq!(store.grant(g_id).await.unwrap(), Grant { id: g_id, ..g });
        assert!(store
            .grant(given_id + 100)
            .await
            .unwrap_err()
            .is_not_found());
        let allocations = store.grant_allocations(Some(g_id)).await.unwrap();
        assert_eq!(
            allocations,
            [
                Allocation { id: a_id, ..a },
                Allocation {
                    id: unknown_id,
                    ..allocation(g_id, None, GrantShare::Unknown)
                }
            ]
        );
        assert_eq!(store.grant_allocations(None).await.unwrap().len(), 2);
        assert!(store
            .grant_allocations(Some(given_id))
            .await
            .unwrap()
            .is_empty());
        assert_eq!(
            store.grant_spend(Some(g_id)).await.unwrap(),
            [Spend {
                id: spend_id,
                ..spend.clone()
            }]
        );
        assert!(store.grant_spend(Some(given_id)).await.unwrap().is_empty());
        let view = store.grant_view(g_id, "2024-12-01").await.unwrap();
        assert_eq!(view.allocations.len(), 2);
        assert!(view
            .flags
            .iter()
            .any(|f| matches!(f, GrantFlag::ShareUnknown { allocation_id, .. } if *allocation_id == unknown_id)));
        assert!(view
            .flags
            .iter()
            .any(|f| matches!(f, GrantFlag::HalfYearMismatch { .. })));
        // A grant affects its board and the units its allocations go to.
        let affecting = |units: &[Id]| {
            let set: BTreeSet<Id> = units.iter().copied().collect();
            async move {
                store
                    .grants_affecting(&set)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|g| g.id)
                    .collect::<Vec<_>>()
            }
        };
        assert_eq!(affecting(&[t.child]).await, [g_id]);
        assert_eq!(affecting(&[t.ks]).await, [g_id]);
        assert!(affecting(&[t.other]).await.is_empty());
        // (board, year) pairs: the child's forecast counts for the child (a nämnd here).
        let years = store.economy_years().await.unwrap();
        assert!(years.contains(&(t.ks, 2019)), "{years:?}");

        // Unchanged writes are no changes.
        let version = store.data_version().await.unwrap();
        let mut w = writer(store).await;
        w.put_cost_type(&CostType {
            id: staff_id,
            ..staff.clone()
        })
        .await
        .unwrap();
        w.put_budget_line(
            &BudgetLine {
                id: budget_id,
                ..budget.clone()
            },
            "manual",
        )
        .await
        .unwrap();
        w.put_economy_settings(&settings).await.unwrap();
        w.put_equity_year(&equity(t.ks, 2019)).await.unwrap();
        assert_eq!(w.changes(), 0);
        w.commit().await.unwrap();
        assert_eq!(store.data_version().await.unwrap(), version);

        // Deletes.
        let mut w = writer(store).await;
        w.delete_spend(spend_id).await.unwrap();
        w.delete_allocation(unknown_id).await.unwrap();
        w.delete_carry_over(co_id).await.unwrap();
        w.delete_investment_node(root).await.unwrap();
        w.delete_budget_line(forecast_id).await.unwrap();
        w.delete_ledger_unit("100").await.unwrap();
        w.put_tolerance(t.child, None).await.unwrap();
        w.put_explanation(&Explanation {
            unit_id: t.child,
            year: 2019,
            cost_type_id: None,
            text: "  ".into(),
        })
        .await
        .unwrap();
        w.commit().await.unwrap();
        assert!(store.grant_spend(None).await.unwrap().is_empty());
        assert_eq!(store.grant_allocations(None).await.unwrap().len(), 1);
        assert!(store.carry_overs(t.ks, 2019).await.unwrap().is_empty());
        assert_eq!(
            store.investment_nodes(t.ks, 2019).await.unwrap().len(),
            1,
            "the root and its leaf are gone, the exploitation tree stays"
        );
        assert_eq!(
            store.budget_lines(&[t.child], 2019, 2019).await.unwrap(),
            []
        );
        assert_eq!(store.ledger_units().await.unwrap().len(), 1);
        assert!(!store
            .budget_tolerances()
            .await
            .unwrap()
            .contains_key(&t.child));
        assert!(store
            .budget_explanations(&[t.child], 2019)
            .await
            .unwrap()
            .is_empty());
        let mut w = writer(store).await;
        assert!(w.delete_spend(spend_id).await.unwrap_err().is_not_found());
        assert!(w
            .delete_ledger_unit("100")
            .await
            .unwrap_err()
            .is_not_found());
        w.rollback().await.unwrap();
        db.finish().await;
    }
}

#[tokio::test]
async fn a_budget_line_is_upserted_on_its_leaf_key() {
    for db in TestDb::all().await {
        let store = &db.store;
        let t = tree(store).await;
        let mut w = writer(store).await;
        let ct = w
            .put_cost_type(&cost_type("lokaler", "Lokaler", CostGroup::Cost, 1))
            .await
            .unwrap();
        let first = line(
            t.ks,
            Some(ct),
            Period::Year(2019),
            LineKind::Budget,
            mnkr(-21.9),
        );
        let id = w.put_budget_line(&first, "manual").await.unwrap();
        // The same key again (id 0): the amount changes, the line stays one.
        let again = BudgetLine {
            amount: mnkr(-23.0),
            ..first.clone()
        };
        assert_eq!(w.put_budget_line(&again, "manual").await.unwrap(), id);
        // Another kind, period, area or forecast date is another leaf.
        let outcome = BudgetLine {
            kind: LineKind::Outcome,
            ..first.clone()
        };
        let other = w.put_budget_line(&outcome, "manual").await.unwrap();
        assert_ne!(other, id);
        let net = BudgetLine {
            cost_type_id: None,
            ..first.clone()
        };
        assert_ne!(w.put_budget_line(&net, "manual").await.unwrap(), id);
        let mut f1 = line(
            t.ks,
            Some(ct),
            Period::Year(2019),
            LineKind::Forecast,
            mnkr(-22.0),
        );
        f1.forecast_on = Some("2019-04-30".into());
        let mut f2 = f1.clone();
        f2.forecast_on = Some("2019-08-31".into());
        let f1_id = w.put_budget_line(&f1, "manual").await.unwrap();
        assert_ne!(w.put_budget_line(&f2, "manual").await.unwrap(), f1_id);
        // Moving a line by id onto another's key is refused.
        let onto = BudgetLine {
            id: other,
            kind: LineKind::Budget,
            ..first.clone()
        };
        assert!(matches!(
            refusal(w.put_budget_line(&onto, "manual").await),
            EconomyRefusal::Duplicate(_)
        ));
        // Refusals of the domain: a week, a forecast without its date.
        assert_eq!(
            refusal(
                w.put_budget_line(
                    &line(
                        t.ks,
                        None,
                        Period::Week(2019, 3),
                        LineKind::Budget,
                        mnkr(1.0)
                    ),
                    "manual"
                )
                .await
            ),
            EconomyRefusal::BadPeriod
        );
        let mut dateless = f1.clone();
        dateless.forecast_on = None;
        assert_eq!(
            refusal(w.put_budget_line(&dateless, "manual").await),
            EconomyRefusal::ForecastWithoutDate
        );
        // A unit or cost type that does not exist.
        assert!(w
            .put_budget_line(
                &line(
                    t.ks,
                    Some(ct + 99),
                    Period::Year(2019),
                    LineKind::Budget,
                    mnkr(1.0)
                ),
                "manual"
            )
            .await
            .unwrap_err()
            .is_not_found());
        w.commit().await.unwrap();
        let lines = store.budget_lines(&[t.ks], 2019, 2019).await.unwrap();
        assert_eq!(lines.len(), 5);
        let stored = lines.iter().find(|l| l.id == id).unwrap();
        assert_eq!(stored.amount, mnkr(-23.0));
        // The unit's history holds the create and the update.
        let history = store.history(ObjectKind::OrgUnit, t.ks, 100).await.unwrap();
        let actions: Vec<&str> = history
            .iter()
            .filter(|e| e.object_type == "budget_line")
            .map(|e| e.action.as_str())
            .collect();
        assert_eq!(actions.iter().filter(|a| **a == "update").count(), 1);
        assert_eq!(actions.iter().filter(|a| **a == "create").count(), 5);
        db.finish().await;
    }
}

#[tokio::test]
async fn investment_nodes_refuse_typed_totals_and_cycles() {
    for db in TestDb::all().await {
        let store = &db.store;
        let t = tree(store).await;
        let mut w = writer(store).await;
        let total = w
            .put_investment_node(&node(t.ks, 2019, None, "Investeringsprojekt", None))
            .await
            .unwrap();
        let prog = w
            .put_investment_node(&node(t.ks, 2019, Some(total), "Genomförandeprojekt", None))
            .await
            .unwrap();
        let leaf = w
            .put_investment_node(&node(
                t.ks,
                2019,
                Some(prog),
                "Gator och vägar",
                Some(-17.2),
            ))
            .await
            .unwrap();
        w.commit().await.unwrap();
        let version = store.data_version().await.unwrap();
        let mut w = writer(store).await;
        // The printed 42,1 typed on the total whose leaves carry budgets.
        let typed = InvestmentNode {
            id: total,
            budget: Some(mnkr(-197.4)),
            ..node(t.ks, 2019, None, "Investeringsprojekt", None)
        };
        assert_eq!(
            refusal(w.put_investment_node(&typed).await),
            EconomyRefusal::TypedTotal("Investeringsprojekt".into(), "Budget")
        );
        // A new child typing under a typed leaf: the leaf would become a typed total.
        assert!(matches!(
            refusal(
                w.put_investment_node(&node(t.ks, 2019, Some(leaf), "Delprojekt", Some(-1.0)))
                    .await
            ),
            EconomyRefusal::TypedTotal(..)
        ));
        // A cycle.
        let cycle = InvestmentNode {
            id: total,
            parent_id: Some(leaf),
            ..node(t.ks, 2019, None, "Investeringsprojekt", None)
        };
        assert_eq!(
            refusal(w.put_investment_node(&cycle).await),
            EconomyRefusal::ParentCycle
        );
        // A parent in another tree (year) is not found.
        assert!(w
            .put_investment_node(&node(t.ks, 2020, Some(total), "Nästa år", None))
            .await
            .unwrap_err()
            .is_not_found());
        // An empty name.
        assert_eq!(
            refusal(
                w.put_investment_node(&node(t.ks, 2019, None, "  ", None))
                    .await
            ),
            EconomyRefusal::Required("name")
        );
        assert_eq!(w.changes(), 0);
        w.commit().await.unwrap();
        assert_eq!(store.data_version().await.unwrap(), version);
        // The derived sums.
        let e = store.board_economy(t.ks, 2019).await.unwrap();
        assert_eq!(e.investments[0].budget, Some(mnkr(-17.2)));
        assert!(!e.investments[0].leaf);

        // Moving the programme to 2020 takes its leaf along.
        let mut w = writer(store).await;
        let moved = InvestmentNode {
            id: prog,
            year: 2020,
            ..node(t.ks, 2020, None, "Genomförandeprojekt", None)
        };
        w.put_investment_node(&moved).await.unwrap();
        w.commit().await.unwrap();
        let next = store.investment_nodes(t.ks, 2020).await.unwrap();
        assert_eq!(
            next.iter().map(|n| n.id).collect::<BTreeSet<_>>(),
            BTreeSet::from([prog, leaf])
        );
        assert_eq!(store.investment_nodes(t.ks, 2019).await.unwrap().len(), 1);
        db.finish().await;
    }
}

#[tokio::test]
async fn a_locked_year_refuses_every_change_and_changes_nothing() {
    for db in TestDb::all().await {
        let store = &db.store;
        let t = tree(store).await;
        let mut w = writer(store).await;
        let b = w
            .put_budget_line(
                &line(
                    t.child,
                    None,
                    Period::Year(2019),
                    LineKind::Budget,
                    mnkr(-8.8),
                ),
                "manual",
            )
            .await
            .unwrap();
        let month = w
            .put_budget_line(
                &line(
                    t.child,
                    None,
                    Period::Month(2019, 3),
                    LineKind::Outcome,
                    mnkr(-0.7),
                ),
                "sie",
            )
            .await
            .unwrap();
        let n = w
            .put_investment_node(&node(t.ks, 2019, None, "IT investeringar", Some(-40.1)))
            .await
            .unwrap();
        let co = w
            .put_carry_over(&carry_over(t.ks, 2019, "Gladö kvarn"))
            .await
            .unwrap();
        w.put_equity_year(&equity(t.ks, 2019)).await.unwrap();
        // KS's 2019 is decided: it covers its child too.
        w.lock_period(&decision(t.ks, 2019)).await.unwrap();
        w.commit().await.unwrap();

        let version = store.data_version().await.unwrap();
        let before_lines = store.budget_lines(&[t.child], 2019, 2019).await.unwrap();
        let mut w = writer(store).await;
        locked(
            w.put_budget_line(
                &line(
                    t.child,
                    None,
                    Period::Year(2019),
                    LineKind::Budget,
                    mnkr(-9.0),
                ),
                "manual",
            )
            .await,
        );
        locked(
            w.put_budget_line(
                &line(
                    t.ks,
                    None,
                    Period::Tertial(2019, 1),
                    LineKind::Outcome,
                    mnkr(-9.0),
                ),
                "manual",
            )
            .await,
        );
        locked(w.delete_budget_line(b).await);
        // Moving a locked line to an open year is refused too.
        locked(
            w.put_budget_line(
                &BudgetLine {
                    id: month,
                    ..line(
                        t.child,
                        None,
                        Period::Month(2020, 3),
                        LineKind::Outcome,
                        mnkr(-0.7),
                    )
                },
                "sie",
            )
            .await,
        );
        locked(
            w.replace_budget_lines(
                "sie",
                &[t.child],
                2019,
                &[line(
                    t.child,
                    None,
                    Period::Month(2019, 4),
                    LineKind::Outcome,
                    mnkr(-1.0),
                )],
            )
            .await,
        );
        locked(
            w.put_explanation(&Explanation {
                unit_id: t.child,
                year: 2019,
                cost_type_id: None,
                text: "För sent.".into(),
            })
            .await,
        );
        locked(
            w.put_investment_node(&node(t.ks, 2019, None, "Ny", Some(-1.0)))
                .await,
        );
        locked(
            w.put_investment_node(&InvestmentNode {
                id: n,
                ..node(t.ks, 2020, None, "IT investeringar", Some(-40.1))
            })
            .await,
        );
        locked(w.delete_investment_node(n).await);
        locked(w.put_carry_over(&carry_over(t.ks, 2019, "Utsälje")).await);
        locked(
            w.put_carry_over(&CarryOver {
                id: co,
                ..carry_over(t.ks, 2020, "Gladö kvarn")
            })
            .await,
        );
        locked(w.delete_carry_over(co).await);
        locked(
            w.put_equity_year(&EquityYear {
                opening: Some(mnkr(1.0)),
                ..equity(t.ks, 2019)
            })
            .await,
        );
        assert_eq!(w.changes(), 0);
        w.commit().await.unwrap();
        assert_eq!(store.data_version().await.unwrap(), version);
        assert_eq!(
            store.budget_lines(&[t.child], 2019, 2019).await.unwrap(),
            before_lines
        );
        assert_eq!(store.investment_nodes(t.ks, 2019).await.unwrap().len(), 1);
        assert_eq!(store.carry_overs(t.ks, 2019).await.unwrap().len(), 1);
        assert_eq!(
            store.equity_year(t.ks, 2019).await.unwrap(),
            Some(equity(t.ks, 2019))
        );

        // The next year is open, and so is a unit outside KS.
        let mut w = writer(store).await;
        w.put_budget_line(
            &line(
                t.child,
                None,
                Period::Year(2020),
                LineKind::Budget,
                mnkr(-9.0),
            ),
            "manual",
        )
        .await
        .unwrap();
        w.put_budget_line(
            &line(
                t.other,
                None,
                Period::Year(2019),
                LineKind::Budget,
                mnkr(-9.0),
            ),
            "manual",
        )
        .await
        .unwrap();
        w.put_carry_over(&carry_over(t.ks, 2020, "Utsälje"))
            .await
            .unwrap();
        w.commit().await.unwrap();
        db.finish().await;
    }
}

#[tokio::test]
async fn replace_budget_lines_replaces_only_its_origin_units_and_year() {
    for db in TestDb::all().await {
        let store = &db.store;
        let t = tree(store).await;
        let mut w = writer(store).await;
        let ct = w
            .put_cost_type(&cost_type(
                "personal",
                "Personalkostnader",
                CostGroup::Staff,
                1,
            ))
            .await
            .unwrap();
        // What must stay: a manual line, another origin, another unit, another year.
        let manual = w
            .put_budget_line(
                &line(
                    t.child,
                    None,
                    Period::Year(2019),
                    LineKind::Budget,
                    mnkr(-8.8),
                ),
                "manual",
            )
            .await
            .unwrap();
        let other_unit = w
            .put_budget_line(
                &line(
                    t.other,
                    Some(ct),
                    Period::Month(2019, 1),
                    LineKind::Outcome,
                    mnkr(-1.0),
                ),
                "sie",
            )
            .await
            .unwrap();
        let other_year = w
            .put_budget_line(
                &line(
                    t.child,
                    Some(ct),
                    Period::Month(2018, 1),
                    LineKind::Outcome,
                    mnkr(-1.0),
                ),
                "sie",
            )
            .await
            .unwrap();
        w.put_budget_line(
            &line(
                t.child,
                Some(ct),
                Period::Month(2019, 1),
                LineKind::Outcome,
                mnkr(-5.0),
            ),
            "sie",
        )
        .await
        .unwrap();
        w.commit().await.unwrap();

        // 12 months × 2 units × 2 kinds, and one line on the manual line's key, which it
        // takes over.
        let mut new = Vec::new();
        for unit in [t.child, t.ks] {
            for m in 1..=12u8 {
                for kind in [LineKind::Budget, LineKind::Outcome] {
                    new.push(line(
                        unit,
                        Some(ct),
                        Period::Month(2019, m),
                        kind,
                        mnkr(-1.5),
                    ));
                }
            }
        }
        new.push(line(
            t.child,
            None,
            Period::Year(2019),
            LineKind::Budget,
            mnkr(-9.9),
        ));
        let mut w = writer(store).await;
        let n = w
            .replace_budget_lines("sie", &[t.child, t.ks], 2019, &new)
            .await
            .unwrap();
        assert_eq!(n, 49);
        assert_eq!(w.changes(), 2, "one entry per unit");
        w.commit().await.unwrap();
        let lines = store
            .budget_lines(&[t.child, t.ks], 2019, 2019)
            .await
            .unwrap();
        assert_eq!(lines.len(), 49);
        // The old sie line is gone (SQLite may give its id to a new line: compare keys).
        let at_old_key: Vec<_> = lines
            .iter()
            .filter(|l| {
                (l.unit_id, l.cost_type_id, l.period, l.kind)
                    == (t.child, Some(ct), Period::Month(2019, 1), LineKind::Outcome)
            })
            .collect();
        assert_eq!(at_old_key.len(), 1);
        assert_eq!(at_old_key[0].amount, mnkr(-1.5));
        let taken = lines
            .iter()
            .find(|l| l.cost_type_id.is_none())
            .expect("the net line");
        assert_eq!(taken.id, manual);
        assert_eq!(taken.amount, mnkr(-9.9));
        assert_eq!(
            store.budget_lines(&[t.other], 2019, 2019).await.unwrap()[0].id,
            other_unit
        );
        assert_eq!(
            store.budget_lines(&[t.child], 2018, 2018).await.unwrap()[0].id,
            other_year
        );
        let history = store
            .history(ObjectKind::OrgUnit, t.child, 100)
            .await
            .unwrap();
        let import = history
            .iter()
            .find(|e| e.object_type == "budget_import")
            .expect("an import entry");
        let after: serde_json::Value =
            serde_json::from_str(import.after_value.as_deref().unwrap()).unwrap();
        assert_eq!(after["lines"], 25);
        assert_eq!(after["removed"], 1);
        assert_eq!(after["kinds"]["budget"], 13);
        assert_eq!(after["taken_over"].as_array().unwrap().len(), 1);

        // Refusals change nothing: a line of another year, of a unit not replaced, two
        // lines on one key, a bad line, a cost type that does not exist.
        let version = store.data_version().await.unwrap();
        let mut w = writer(store).await;
        let bad = |l: BudgetLine| {
            let mut v = new.clone();
            v.push(l);
            v
        };
        let r = w
            .replace_budget_lines(
                "sie",
                &[t.child],
                2019,
                &bad(line(
                    t.child,
                    None,
                    Period::Year(2020),
                    LineKind::Budget,
                    mnkr(1.0),
                )),
            )
            .await;
        assert!(matches!(refusal(r), EconomyRefusal::OutsideImport(..)));
        let r = w
            .replace_budget_lines(
                "sie",
                &[t.child, t.ks],
                2019,
                &bad(line(
                    t.other,
                    None,
                    Period::Year(2019),
                    LineKind::Budget,
                    mnkr(1.0),
                )),
            )
            .await;
        assert!(matches!(refusal(r), EconomyRefusal::OutsideImport(u, _) if u == t.other));
        let r = w
            .replace_budget_lines("sie", &[t.child, t.ks], 2019, &bad(new[0].clone()))
            .await;
        assert!(matches!(refusal(r), EconomyRefusal::Duplicate(_)));
        let r = w
            .replace_budget_lines(
                "sie",
                &[t.child, t.ks],
                2019,
                &bad(line(
                    t.ks,
                    None,
                    Period::Week(2019, 5),
                    LineKind::Budget,
                    mnkr(1.0),
                )),
            )
            .await;
        assert!(matches!(
            refusal(r),
            EconomyRefusal::OutsideImport(..) | EconomyRefusal::BadPeriod
        ));
        let r = w
            .replace_budget_lines(
                "sie",
                &[t.child, t.ks],
                2019,
                &bad(line(
                    t.ks,
                    Some(ct + 50),
                    Period::Year(2019),
                    LineKind::Budget,
                    mnkr(1.0),
                )),
            )
            .await;
        assert!(r.unwrap_err().is_not_found());
        assert_eq!(w.changes(), 0);
        w.commit().await.unwrap();
        assert_eq!(store.data_version().await.unwrap(), version);
        assert_eq!(
            store
                .budget_lines(&[t.child, t.ks], 2019, 2019)
                .await
                .unwrap(),
            lines
        );

        // Replacing with nothing empties the origin's lines of those units and year.
        let mut w = writer(store).await;
        w.replace_budget_lines("sie", &[t.ks], 2019, &[])
            .await
            .unwrap();
        w.commit().await.unwrap();
        assert!(store
            .budget_lines(&[t.ks], 2019, 2019)
            .await
            .unwrap()
            .is_empty());
        assert_eq!(
            store
                .budget_lines(&[t.child], 2019, 2019)
                .await
                .unwrap()
                .len(),
            25
        );
        db.finish().await;
    }
}

/// Many lines in batches over the parameter limits (4 680 rows of 7 parameters on SQLite,
/// 9 362 on PostgreSQL).
#[tokio::test]
async fn replace_budget_lines_writes_more_lines_than_one_statement_holds() {
    for db in TestDb::all().await {
        let store = &db.store;
        let t = tree(store).await;
        let mut w = writer(store).await;
        let mut cts = Vec::new();
        for i in 0..40 {
            cts.push(
                w.put_cost_type(&cost_type(
                    &format!("k{i}"),
                    &format!("Konto {i}"),
                    CostGroup::Cost,
                    i,
                ))
                .await
                .unwrap(),
            );
        }
        w.commit().await.unwrap();
        let mut lines = Vec::new();
        for unit in [t.ks, t.child, t.other] {
            for ct in &cts {
                for m in 1..=12u8 {
                    for kind in [LineKind::Budget, LineKind::Outcome] {
                        for area in [None, Some("Vårby"), Some("Grantorp"), Some("Skogås")] {
                            let mut l =
                                line(unit, Some(*ct), Period::Month(2019, m), kind, Amount(-100));
                            l.area = area.map(str::to_string);
                            lines.push(l);
                        }
                    }
                }
            }
        }
        assert!(lines.len() > 10_000);
        let mut w = writer(store).await;
        let n = w
            .replace_budget_lines("sie", &[t.ks, t.child, t.other], 2019, &lines)
            .await
            .unwrap();
        w.commit().await.unwrap();
        assert_eq!(n, lines.len());
        let stored = store
            .budget_lines(&[t.ks, t.child, t.other], 2019, 2019)
            .await
            .unwrap();
        assert_eq!(stored.len(), lines.len());
        let e = store.board_economy(t.ks, 2019).await.unwrap();
        let per_unit = (cts.len() * 12 * 4) as i64 * -100;
        assert_eq!(
            e.statements.total_by_cost_type.budget,
            Some(Amount(per_unit * 2))
        );
        assert_eq!(e.monthly.len(), 12);
        db.finish().await;
    }
}

/// The rows of E1.1 (cost types on KS) and E1.2 (net lines per unit), mnkr: budget 2019,
/// outcome 2019, outcome 2018.
const BY_COST_TYPE: &[(&str, CostGroup, f64, f64, f64)] = &[
    ("Taxor och avgifter", CostGroup::Revenue, 8.8, 15.7, 10.6),
    (
        "Försäljning av verksamhet",
        CostGroup::Revenue,
        7.0,
        24.9,
        51.0,
    ),
    ("Bidrag", CostGroup::Revenue, 6.2, 9.9, 9.8),
    ("Övriga intäkter", CostGroup::Revenue, 25.6, 29.4, 26.6),
    (
        "Personalkostnader",
        CostGroup::Staff,
        -263.4,
        -251.6,
        -236.7,
    ),
    (
        "Lön fördelad mot investeringsprojekt",
        CostGroup::Staff,
        51.2,
        41.3,
        38.7,
    ),
    ("Lokaler", CostGroup::Cost, -21.9, -23.0, -24.4),
    ("Bidrag kostnader", CostGroup::Cost, -8.5, -7.8, -8.2),
    ("Köp av verksamhet", CostGroup::Cost, -76.5, -75.1, -74.5),
    (
        "Konsulter och inhyrd personal",
        CostGroup::Cost,
        -28.3,
        -29.6,
        -33.2,
    ),
    ("Varor och tjänster", CostGroup::Cost, -78.2, -98.1, -128.1),
    ("Övriga kostnader", CostGroup::Cost, 0.0, -2.0, -0.1),
    ("Kapitalkostnad", CostGroup::Cost, -133.2, -132.1, -129.4),
];

const BY_UNIT: &[(&str, f64, f64, f64)] = &[
    ("Kommundirektör", -8.8, -8.1, -9.5),
    ("IT- och kommunikationsavdelningen", -107.3, -106.9, -102.9),
    ("Ekonomiavdelningen", -53.7, -47.8, -51.1),
    ("HR-avdelningen", -33.4, -31.6, -36.1),
    // Kansli's own leaf: the printed total −83,1 less its varav −30,6.
    ("Kansliavdelningen", -52.5, -53.2, -51.5),
    ("Samhällsbyggnadsavdelningen", -149.2, -143.3, -141.9),
    ("Södertörns brandförsvarsförbund", -68.2, -68.0, -65.8),
    ("Södertörns överförmyndarnämnd", -7.6, -6.6, -7.9),
];

#[tokio::test]
async fn ks_2019_statements_and_the_deviations_they_raise() {
    for db in TestDb::all().await {
        let store = &db.store;
        let t = tree(store).await;
        let mut w = writer(store).await;
        let mut lines = Vec::new();
        let triple = |unit: Id, ct: Option<Id>, (b, o, ly): (f64, f64, f64)| {
            vec![
                line(unit, ct, Period::Year(2019), LineKind::Budget, mnkr(b)),
                line(unit, ct, Period::Year(2019), LineKind::Outcome, mnkr(o)),
                line(unit, ct, Period::Year(2018), LineKind::Outcome, mnkr(ly)),
            ]
        };
        for (i, (name, group, b, o, ly)) in BY_COST_TYPE.iter().enumerate() {
            let ct = w
                .put_cost_type(&cost_type(&format!("k{i}"), name, *group, i as i64))
                .await
                .unwrap();
            lines.extend(triple(t.ks, Some(ct), (*b, *o, *ly)));
        }
        let mut kansli = 0;
        let mut units = vec![t.ks];
        for (i, (name, b, o, ly)) in BY_UNIT.iter().enumerate() {
            let u = org_unit(&mut w, &format!("u{i}"), name, OrgKind::Avdelning, t.ks).await;
            if name.starts_with("Kansli") {
                kansli = u;
            }
            units.push(u);
            lines.extend(triple(u, None, (*b, *o, *ly)));
        }
        let politik = org_unit(
            &mut w,
            "politik",
            "Politisk verksamhet",
            OrgKind::Enhet,
            kansli,
        )
        .await;
        units.push(politik);
        lines.extend(triple(politik, None, (-30.6, -32.5, -31.2)));
        let mut by_year: std::collections::BTreeMap<i32, Vec<BudgetLine>> = Default::default();
        for l in lines {
            by_year.entry(l.period.year()).or_default().push(l);
        }
        for (year, lines) in &by_year {
            w.replace_budget_lines("demo", &units, *year, lines)
                .await
                .unwrap();
        }
        w.put_explanation(&Explanation {
            unit_id: kansli,
            year: 2019,
            cost_type_id: None,
            text: "Politisk verksamhet, försäkringspremier och ombyggnad.".into(),
        })
        .await
        .unwrap();
        w.put_equity_year(&equity(t.ks, 2019)).await.unwrap();
        w.commit().await.unwrap();

        let e = store.board_economy(t.ks, 2019).await.unwrap();
        let s = &e.statements;
        assert_eq!(s.total_by_unit.budget, Some(mnkr(-511.3)));
        assert_eq!(s.total_by_unit.outcome, Some(mnkr(-498.0)));
        assert_eq!(s.total_by_unit.deviation, Some(mnkr(13.3)));
        assert_eq!(s.total_by_unit.last_year, Some(mnkr(-497.9)));
        // By cost type the printed rounding differs by at most 0,2: they agree.
        assert_eq!(s.total_by_cost_type.budget, Some(mnkr(-511.2)));
        assert_eq!(s.total_by_cost_type.outcome, Some(mnkr(-498.1)));
        assert!(e.disagreements.is_empty(), "{:?}", e.disagreements);
        let row = |label: &str| {
            s.by_cost_type
                .iter()
                .chain(&s.by_unit)
                .find(|r| r.label == label)
                .unwrap_or_else(|| panic!("no row {label}"))
        };
        assert_eq!(
            row("Summa verksamhetens intäkter").figures.budget,
            Some(mnkr(47.6))
        );
        assert_eq!(
            row("Summa personalkostnader, netto").figures.deviation,
            Some(mnkr(1.9))
        );
        let k = row("Kansliavdelningen");
        assert_eq!(k.figures.budget, Some(mnkr(-83.1)));
        assert_eq!(k.figures.outcome, Some(mnkr(-85.7)));
        assert_eq!(k.figures.deviation, Some(mnkr(-2.6)));
        assert!(k.explanation.starts_with("Politisk verksamhet"));
        let v = row("varav Politisk verksamhet");
        assert_eq!(v.depth, 1);
        assert_eq!(v.figures.deviation, Some(mnkr(-1.9)));
        assert_eq!(s.by_unit.len(), 9);
        // The equity rule: 3 % of 511,3 caps the closing equity.
        let eq = e.equity.expect("equity");
        assert_eq!(eq.cap, Some(Amount(1_533_900_000)));
        assert_eq!(eq.closing, Some(Amount(1_533_900_000)));
        assert_eq!(
            store.economy_years().await.unwrap(),
            [(t.ks, 2019), (t.ks, 2018)]
        );

        // Deviations: Kansli (with its varav) and Politisk verksamhet are below budget by
        // more than 1 %; KS as a whole is not. Raised once.
        let raised = store
            .raise_automatic_deviations("uppsikt", ChangeSource::Form, Some(2018))
            .await
            .unwrap();
        let budget: Vec<_> = store
            .deviations(None)
            .await
            .unwrap()
            .into_iter()
            .filter(|d| d.deviation.raised.source == Source::Budget)
            .collect();
        let on: BTreeSet<Id> = budget.iter().map(|d| d.deviation.raised.org_id).collect();
        assert_eq!(on, BTreeSet::from([kansli, politik]));
        assert_eq!(raised.len(), budget.len());
        let k = budget
            .iter()
            .find(|d| d.deviation.raised.org_id == kansli)
            .unwrap();
        assert_eq!(
            k.deviation.raised.cause_key.as_deref(),
            Some(format!("budget:{kansli}:2019:utfall").as_str())
        );
        assert!(k.deviation.raised.description.contains("−2,6"));
        assert!(store
            .raise_automatic_deviations("uppsikt", ChangeSource::Form, Some(2018))
            .await
            .unwrap()
            .is_empty());
        // A tolerance of 3 mnkr on Kansli would have kept it quiet.
        let mut w = writer(store).await;
        w.put_tolerance(kansli, Some(Tolerance::Amount(mnkr(3.0))))
            .await
            .unwrap();
        w.commit().await.unwrap();
        let due = store
            .automatic_deviations(&uppsikt_store::today(), 2019)
            .await
            .unwrap();
        assert!(!due
            .iter()
            .any(|d| d.source == Source::Budget && d.org_id == kansli));
        db.finish().await;
    }
}

#[tokio::test]
async fn grants_raise_deviations_and_keep_their_history() {
    for db in TestDb::all().await {
        let store = &db.store;
        let t = tree(store).await;
        let mut w = writer(store).await;
        let mut g = grant("G-LAG2023", Some(t.ks));
        // Money of 2023 and 2024 to be allocated by mid-2024.
        g.allocate_by = Some("2024-06-30".into());
        let g_id = w.put_grant(&g).await.unwrap();
        let known = w
            .put_allocation(&allocation(g_id, Some(t.child), GrantShare::Known(1000)))
            .await
            .unwrap();
        let unknown = w
            .put_allocation(&allocation(g_id, Some(t.other), GrantShare::Unknown))
            .await
            .unwrap();
        let spend = w
            .put_spend(&Spend {
                id: 0,
                allocation_id: known,
                period: Period::Month(2024, 5),
                amount: mnkr(-0.4),
                booked_on: "P1".into(),
                note: String::new(),
            })
            .await
            .unwrap();
        w.commit().await.unwrap();

        // Refusals change nothing.
        let version = store.data_version().await.unwrap();
        let mut w = writer(store).await;
        assert_eq!(
            refusal(w.put_grant(&grant("G-LAG2023", None)).await),
            EconomyRefusal::Duplicate("G-LAG2023".into())
        );
        let mut twice = grant("G-2", None);
        twice.years.push(twice.years[0].clone());
        assert!(matches!(
            refusal(w.put_grant(&twice).await),
            EconomyRefusal::Duplicate(_)
        ));
        let mut nowhere = allocation(g_id, None, GrantShare::Known(100));
        nowhere.area = None;
        nowhere.purpose = String::new();
        assert_eq!(
            refusal(w.put_allocation(&nowhere).await),
            EconomyRefusal::AllocationTarget
        );
        assert_eq!(
            refusal(
                w.put_allocation(&allocation(g_id, None, GrantShare::Known(1001)))
                    .await
            ),
            EconomyRefusal::ShareOutOfRange
        );
        assert!(w
            .put_allocation(&allocation(g_id + 10, None, GrantShare::Unknown))
            .await
            .unwrap_err()
            .is_not_found());
        // Spend moved to another grant's allocation.
        let other_grant = w.put_grant(&grant("G-ANNAN", None)).await.unwrap();
        let elsewhere = w
            .put_allocation(&allocation(other_grant, None, GrantShare::Unknown))
            .await
            .unwrap();
        let r = w
            .put_spend(&Spend {
                id: spend,
                allocation_id: elsewhere,
                period: Period::Month(2024, 5),
                amount: mnkr(-0.4),
                booked_on: "P1".into(),
                note: String::new(),
            })
            .await;
        assert_eq!(refusal(r), EconomyRefusal::WrongGrant);
        w.rollback().await.unwrap();
        assert_eq!(store.data_version().await.unwrap(), version);

        // Deviations: the allocation whose share is unknown (2024), and (after
        // 2024-06-30) the money of 2023–2024 not allocated.
        let due = store
            .automatic_deviations("2024-12-01", 2023)
            .await
            .unwrap();
        let grants: Vec<_> = due.iter().filter(|d| d.source == Source::Grant).collect();
        assert!(grants.iter().any(|d| d.cause_key.as_deref()
            == Some(format!("grant:{g_id}:andel:2024:{unknown}").as_str())
            && d.org_id == t.other));
        assert!(grants.iter().any(|d| d.cause_key.as_deref()
            == Some(format!("grant:{g_id}:ofordelat:2023:0").as_str())
            && d.org_id == t.ks));
        let raised = store
            .raise_automatic_deviations("uppsikt", ChangeSource::Form, Some(2023))
            .await
            .unwrap();
        assert!(!raised.is_empty());
        assert!(store
            .raise_automatic_deviations("uppsikt", ChangeSource::Form, Some(2023))
            .await
            .unwrap()
            .is_empty());

        // The grant's history holds its allocations and spend.
        let mut w = writer(store).await;
        w.put_allocation(&Allocation {
            id: known,
            amount: Some(mnkr(1.2)),
            ..allocation(g_id, Some(t.child), GrantShare::Known(1000))
        })
        .await
        .unwrap();
        w.delete_spend(spend).await.unwrap();
        w.commit().await.unwrap();
        let history = store.history(ObjectKind::Grant, g_id, 100).await.unwrap();
        let entries: Vec<(&str, &str)> = history
            .iter()
            .map(|e| (e.object_type.as_str(), e.action.as_str()))
            .collect();
        assert_eq!(
            entries,
            [
                ("grant_spend", "delete"),
                ("grant_allocation", "update"),
                ("grant_spend", "create"),
                ("grant_allocation", "create"),
                ("grant_allocation", "create"),
                ("grant", "create"),
            ]
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn cost_types_settings_and_ledger_mapping_refuse_bad_input() {
    for db in TestDb::all().await {
        let store = &db.store;
        let t = tree(store).await;
        let mut w = writer(store).await;
        w.put_cost_type(&cost_type("lokaler", "Lokaler", CostGroup::Cost, 1))
            .await
            .unwrap();
        w.commit().await.unwrap();
        let version = store.data_version().await.unwrap();
        let mut w = writer(store).await;
        assert!(matches!(
            refusal(
                w.put_cost_type(&cost_type(" lokaler ", "Annat", CostGroup::Cost, 2))
                    .await
            ),
            EconomyRefusal::Duplicate(_)
        ));
        assert_eq!(
            refusal(
                w.put_cost_type(&cost_type("", "Annat", CostGroup::Cost, 2))
                    .await
            ),
            EconomyRefusal::Required("code")
        );
        assert!(w
            .put_cost_type(&CostType {
                id: 999,
                ..cost_type("x", "X", CostGroup::Cost, 2)
            })
            .await
            .unwrap_err()
            .is_not_found());
        assert_eq!(
            refusal(
                w.put_economy_settings(&EconomySettings {
                    totals_tolerance: Amount(-1),
                    ..EconomySettings::default()
                })
                .await
            ),
            EconomyRefusal::BadTolerance
        );
        assert_eq!(
            refusal(w.put_tolerance(t.ks, Some(Tolerance::Permille(1001))).await),
            EconomyRefusal::BadTolerance
        );
        assert_eq!(
            refusal(
                w.put_ledger_unit(&LedgerUnit {
                    object_code: " ".into(),
                    unit_id: t.ks,
                    ledger_name: String::new(),
                })
                .await
            ),
            EconomyRefusal::Required("code")
        );
        assert!(w
            .put_ledger_unit(&LedgerUnit {
                object_code: "1".into(),
                unit_id: t.ks + 999,
                ledger_name: String::new(),
            })
            .await
            .unwrap_err()
            .is_not_found());
        assert_eq!(
            refusal(
                w.put_equity_year(&EquityYear {
                    cap_permille: 1001,
                    ..equity(t.ks, 2019)
                })
                .await
            ),
            EconomyRefusal::BadCap
        );
        assert_eq!(w.changes(), 0);
        w.commit().await.unwrap();
        assert_eq!(store.data_version().await.unwrap(), version);
        assert_eq!(
            store.economy_settings().await.unwrap(),
            EconomySettings::default()
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn forecasts_raise_deviations_and_units_keep_their_economy_history() {
    for db in TestDb::all().await {
        let store = &db.store;
        let t = tree(store).await;
        let mut w = writer(store).await;
        let enhet = org_unit(&mut w, "enhet", "Fritidsgården", OrgKind::Enhet, t.child).await;
        // The enhet's 2019: a budget of −10, no outcome yet, forecasts of −10,05 (April)
        // and −11 (August): the latest counts and passes the 1 % tolerance.
        w.put_budget_line(
            &line(
                enhet,
                None,
                Period::Year(2019),
                LineKind::Budget,
                mnkr(-10.0),
            ),
            "manual",
        )
        .await
        .unwrap();
        let mut april = line(
            enhet,
            None,
            Period::Year(2019),
            LineKind::Forecast,
            Amount(-1_005_000_000),
        );
        april.forecast_on = Some("2019-04-30".into());
        w.put_budget_line(&april, "manual").await.unwrap();
        w.put_budget_line(
            &line(
                enhet,
                None,
                Period::Year(2019),
                LineKind::Forecast,
                mnkr(-11.0),
            ),
            "manual",
        )
        .await
        .unwrap();
        // A line on a unit outside any board (the root) is its own board's.
        w.put_budget_line(
            &line(
                t.kommun,
                None,
                Period::Year(2017),
                LineKind::Budget,
                mnkr(-1.0),
            ),
            "manual",
        )
        .await
        .unwrap();
        w.put_explanation(&Explanation {
            unit_id: enhet,
            year: 2019,
            cost_type_id: None,
            text: "Fler besökare.".into(),
        })
        .await
        .unwrap();
        w.put_carry_over(&carry_over(t.ks, 2019, "Brandstegen"))
            .await
            .unwrap();
        w.put_equity_year(&equity(t.ks, 2019)).await.unwrap();
        w.put_tolerance(t.ks, Some(Tolerance::Amount(mnkr(2.0))))
            .await
            .unwrap();
        w.put_ledger_unit(&LedgerUnit {
            object_code: "300".into(),
            unit_id: t.ks,
            ledger_name: "Kommunstyrelsen".into(),
        })
        .await
        .unwrap();
        w.replace_budget_lines(
            "sie",
            &[t.ks],
            2018,
            &[line(
                t.ks,
                None,
                Period::Month(2018, 1),
                LineKind::Outcome,
                mnkr(-1.0),
            )],
        )
        .await
        .unwrap();
        w.commit().await.unwrap();

        let due = store
            .automatic_deviations("2019-09-15", 2019)
            .await
            .unwrap();
        let budget: Vec<_> = due.iter().filter(|d| d.source == Source::Budget).collect();
        // The enhet, and its förvaltning (a nämnd here, whose total it is); KS's tolerance of
        // 2 mnkr keeps KS quiet.
        let on: BTreeSet<Id> = budget.iter().map(|d| d.org_id).collect();
        assert_eq!(on, BTreeSet::from([enhet, t.child]));
        let e = budget.iter().find(|d| d.org_id == enhet).unwrap();
        assert_eq!(
            e.cause_key.as_deref(),
            Some(format!("budget:{enhet}:2019:prognos").as_str())
        );
        assert!(e.description.contains("2019-08-31"), "{}", e.description);

        // The boards with economy: the enhet's is its förvaltning (a nämnd here); KS has
        // its carry-overs, equity and 2018 import; the root has none above it.
        assert_eq!(
            store.economy_years().await.unwrap(),
            [
                (t.ks, 2019),
                (t.child, 2019),
                (t.ks, 2018),
                (t.kommun, 2017)
            ]
        );

        // Each part is in its unit's history.
        let types = |history: Vec<uppsikt_store::ChangeLogEntry>| {
            history
                .into_iter()
                .map(|e| e.object_type)
                .collect::<BTreeSet<_>>()
        };
        let ks = types(store.history(ObjectKind::OrgUnit, t.ks, 100).await.unwrap());
        for part in [
            "carry_over",
            "equity",
            "budget_tolerance",
            "ledger_unit",
            "budget_import",
        ] {
            assert!(ks.contains(part), "{part}: {ks:?}");
        }
        let enhet_history = types(
            store
                .history(ObjectKind::OrgUnit, enhet, 100)
                .await
                .unwrap(),
        );
        for part in ["budget_line", "budget_explanation"] {
            assert!(enhet_history.contains(part), "{part}: {enhet_history:?}");
        }
        db.finish().await;
    }
}

/// A ledger's million lines replaced (and replaced again) on every backend; prints the
/// time. `cargo test -p uppsikt-store --release --test economy -- --ignored --nocapture`.
#[tokio::test]
#[ignore = "a benchmark: a million lines"]
async fn replace_budget_lines_a_million() {
    for db in TestDb::all().await {
        let store = &db.store;
        let t = tree(store).await;
        let mut w = writer(store).await;
        let mut units = Vec::new();
        for i in 0..200 {
            units.push(
                org_unit(
                    &mut w,
                    &format!("a{i}"),
                    &format!("Ansvar {i}"),
                    OrgKind::Enhet,
                    t.ks,
                )
                .await,
            );
        }
        let mut cts = Vec::new();
        for i in 0..70 {
            cts.push(
                w.put_cost_type(&cost_type(
                    &format!("k{i}"),
                    &format!("Konto {i}"),
                    CostGroup::Cost,
                    i,
                ))
                .await
                .unwrap(),
            );
        }
        w.commit().await.unwrap();
        let mut lines = Vec::with_capacity(1_008_000);
        for u in &units {
            for ct in &cts {
                for m in 1..=12u8 {
                    for kind in [LineKind::Budget, LineKind::Outcome] {
                        for area in [None, Some("Vårby"), Some("Flemingsberg")] {
                            let mut l =
                                line(*u, Some(*ct), Period::Month(2019, m), kind, Amount(-12_345));
                            l.area = area.map(str::to_string);
                            lines.push(l);
                        }
                    }
                }
            }
        }
        for round in 0..2 {
            let started = std::time::Instant::now();
            let mut w = writer(store).await;
            let n = w
                .replace_budget_lines("sie", &units, 2019, &lines)
                .await
                .unwrap();
            w.commit().await.unwrap();
            eprintln!(
                "{:?}: {n} lines replaced (round {round}) in {:.1} s",
                store.backend(),
                started.elapsed().as_secs_f64()
            );
        }
        let started = std::time::Instant::now();
        let due = store
            .automatic_deviations("2020-06-01", 2019)
            .await
            .unwrap();
        eprintln!(
            "{:?}: deviations over them in {:.1} s ({} due)",
            store.backend(),
            started.elapsed().as_secs_f64(),
            due.len()
        );
        let started = std::time::Instant::now();
        let all = store.budget_lines(&units, 2018, 2019).await.unwrap();
        eprintln!(
            "{:?}: {} lines read in {:.1} s",
            store.backend(),
            all.len(),
            started.elapsed().as_secs_f64()
        );
        let started = std::time::Instant::now();
        let e = store.board_economy(t.ks, 2019).await.unwrap();
        eprintln!(
            "{:?}: board_economy in {:.1} s ({} rows by unit)",
            store.backend(),
            started.elapsed().as_secs_f64(),
            e.statements.by_unit.len()
        );
        db.finish().await;
    }
}
