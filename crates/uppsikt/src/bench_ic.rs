//! `uppsikt bench internal-control`: synthetic internal-control plans for every board of
//! the synthetic municipality, for `bench/internal_control.sh`. Hidden from `--help`.

use uppsikt_domain::internal_control::{
    planned_dates, ActionSource, ActionStatus, Adoption, ControlKind, ControlResult, Execution,
    FirstDocumented, OverallAssessment, RiskAnalysis,
};
use uppsikt_domain::model::OrgKind;
use uppsikt_store::{
    ActionInput, ChangeSource, ControlInput, NewControlPlan, PlanHeader, RiskInput, Store,
    StoreError,
};

/// The shape of each plan.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct IcShape {
    #[arg(long, default_value_t = 10)]
    pub years: usize,
    #[arg(long, default_value_t = 30)]
    pub risks: usize,
    #[arg(long, default_value_t = 3)]
    pub actions_per_risk: usize,
    #[arg(long, default_value_t = 10)]
    pub controls: usize,
    #[arg(long, default_value_t = 12)]
    pub occurrences: usize,
}

/// The last year the synthetic plans cover (the overview's year).
pub const LAST_YEAR: i32 = 2024;

/// Writes one plan per board and year, one transaction per plan: risks, their actions
/// (two in three done), controls whose occurrences are recorded (one in ten with a remark,
/// one in twenty not performed), a contract follow-up; every other plan adopted.
pub async fn generate(store: &Store, shape: IcShape) -> Result<usize, StoreError> {
    let boards: Vec<_> = store
        .org_units()
        .await?
        .into_iter()
        .filter(|u| matches!(u.kind, OrgKind::Styrelse | OrgKind::Namnd))
        .collect();
    let first = LAST_YEAR - shape.years as i32 + 1;
    let today = uppsikt_store::today();
    let mut plans = 0;
    for (b, board) in boards.iter().enumerate() {
        for year in first..=LAST_YEAR {
            let mut w = store.writer("bench", ChangeSource::Bench).await?;
            let adopted = (b + year as usize).is_multiple_of(2);
            let plan_id = w
                .create_control_plan(&NewControlPlan {
                    org_id: board.id,
                    year,
                    rule_ref: "HKF 9410".into(),
                    legal_basis: "KL 6:6".into(),
                })
                .await?;
            w.update_control_plan(
                plan_id,
                &PlanHeader {
                    rule_ref: "HKF 9410".into(),
                    legal_basis: "KL 6:6".into(),
                    adoption: adopted.then(|| Adoption {
                        body: board.name.clone(),
                        decided_on: format!("{}-12-15", year - 1),
                        paragraph: format!("§ {}", 100 + b),
                        diary_number: format!("SYN-{}/{}.912", year - 1, 100 + b),
                    }),
                    risk_analysis: Some(RiskAnalysis {
                        held_on: Some(format!("{}-10-01", year - 1)),
                        participants: "Förvaltningsledning".into(),
                        elected_members_took_part: b % 3 != 0,
                    }),
                    self_assessment: Some(OverallAssessment {
                        level: "Godtagbar".into(),
                        motivation: String::new(),
                        source: format!("Verksamhetsberättelse {year}"),
                    }),
                    auditor_assessment: None,
                },
            )
            .await?;
            for r in 0..shape.risks {
                let risk_id = w
                    .add_risk(
                        plan_id,
                        &RiskInput {
                            key: format!("RK{:02}", r + 1),
                            area: format!("Process {}", r % 6 + 1),
                            text: format!("Syntetisk risk {} för {}", r + 1, board.name),
                            background: String::new(),
                            first_documented: Some(FirstDocumented::In(year - (r % 7) as i32)),
                            common: false,
                            gross: None,
                            net: None,
                            handling: None,
                        },
                    )
                    .await?;
                for a in 0..shape.actions_per_risk {
                    let n = r * shape.actions_per_risk + a;
                    let done = !n.is_multiple_of(3);
                    let action_id = w
                        .add_ic_action(
                            plan_id,
                            &ActionInput {
                                key: format!("R{:03}", n + 1),
                                text: format!("Åtgärd {} mot risk {}", a + 1, r + 1),
                                responsible: "Avdelningschef".into(),
                                sources: vec![ActionSource::Risk { risk_id }],
                                blocked_by: None,
                            },
                        )
                        .await?;
                    if done {
                        let on = format!("{year}-06-30");
                        w.set_action_status(action_id, ActionStatus::Done, Some(&on), "")
                            .await?;
                    }
                }
            }
            for c in 0..shape.controls {
                w.add_control(
                    plan_id,
                    &ControlInput {
                        key: format!("C{:02}", c + 1),
                        kind: ControlKind::Systematic,
                        area: format!("Process {}", c % 6 + 1),
                        name: format!("Syntetisk kontroll {}", c + 1),
                        purpose: String::new(),
                        method: "Stickprov".into(),
                        frequency: "Månadsvis".into(),
                        sample: "Fem poster".into(),
                        planned_parameters: "> 50 000 kr".into(),
                        responsible: "Controller".into(),
                        due: format!("{year}-12-31"),
                        origin: String::new(),
                        comment: String::new(),
                        common: false,
                        planned_dates: planned_dates(year, shape.occurrences),
                    },
                )
                .await?;
            }
            w.commit().await?;
            // The occurrences' ids are known once the plan is stored: record them in a
            // second transaction.
            let plan = store.control_plan(plan_id).await?;
            let mut w = store.writer("bench", ChangeSource::Bench).await?;
            for (c, control) in plan.controls.iter().enumerate() {
                for (i, o) in control.occurrences.iter().enumerate() {
                    if o.planned_on.as_str() > today.as_str() {
                        continue;
                    }
                    let k = c * shape.occurrences + i;
                    let e = if k % 20 == 7 {
                        Execution::NotPerformed {
                            reason: "Vakans".into(),
                        }
                    } else {
                        Execution::Performed {
                            performed_on: o.planned_on.clone(),
                            parameters_used: String::new(),
                            result: if k % 10 == 3 {
                                ControlResult::WithRemark
                            } else {
                                ControlResult::WithoutRemark
                            },
                            findings: if k % 10 == 3 {
                                "Syntetisk brist".into()
                            } else {
                                String::new()
                            },
                        }
                    };
                    w.record_execution(o.id, &e, &today).await?;
                }
            }
            w.commit().await?;
            plans += 1;
        }
    }
    Ok(plans)
}
