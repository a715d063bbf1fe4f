//! The chapters a board's report has besides the goals (seed 004's verksamhetsberättelse):
//! vision and styrmodell, the criteria for goal fulfilment, and the personnel figures.
//! Each is a [`ReportPart`], built only from what the data holds; what it lacks is said,
//! never filled in.

use uppsikt_domain::assessment::{AssessmentRules, AssessmentScale, MissingOutcomes};
use uppsikt_domain::model::{GoalKind, IndicatorRecord};
use uppsikt_domain::number::format_sv;
use uppsikt_domain::Direction;
use uppsikt_store::{BoxFuture, Scope};

use crate::build::{Context, ReportPart, Result};
use crate::model::{Block, Section, Table};

/// "Vision och styrmodell": the municipality's vision, its steering model as the data
/// describes it, and the council's overall and strategic goals.
pub struct VisionPart;

impl ReportPart for VisionPart {
    fn sections<'a>(&'a self, ctx: &'a Context<'a>) -> BoxFuture<'a, Result<Vec<Section>>> {
        Box::pin(async move {
            let mut s = Section::new("Vision och styrmodell");
            match ctx.store.vision().await? {
                Some(v) if !v.trim().is_empty() => s.blocks.push(Block::Labeled {
                    label: "Vision".into(),
                    text: v,
                }),
                _ => s.blocks.push(Block::Paragraph {
                    text: "Någon vision finns inte i uppgifterna.".into(),
                }),
            }
            match ctx.store.steering_model().await? {
                Some(text) if !text.trim().is_empty() => s.blocks.push(Block::Labeled {
                    label: "Styrmodell".into(),
                    text,
                }),
                _ => s.blocks.push(Block::Paragraph {
                    text: "En beskrivning av styrmodellen finns inte i uppgifterna.".into(),
                }),
            }
            let goals = ctx.store.goals().await?;
            for (kind, title) in [
                (GoalKind::Overall, "Övergripande mål"),
                (GoalKind::Strategic, "Strategiska mål"),
            ] {
                let items: Vec<String> = goals
                    .iter()
                    .filter(|g| g.kind == kind && g.parent_id.is_none())
                    .map(|g| g.title.clone())
                    .collect();
                if !items.is_empty() {
                    s.blocks.push(Block::List {
                        title: Some(title.into()),
                        items,
                    });
                }
            }
            Ok(vec![s])
        })
    }
}

/// "Kriterier för måluppfyllelse": the assessment scale and, per level, the rule the
/// system's proposals follow (the active rules), so a reader knows what a level means.
pub struct CriteriaPart;

impl ReportPart for CriteriaPart {
    fn sections<'a>(&'a self, ctx: &'a Context<'a>) -> BoxFuture<'a, Result<Vec<Section>>> {
        Box::pin(async move {
            let (scale, rules) = ctx.store.assessment_config().await?;
            Ok(vec![criteria_section(&scale, &rules)])
        })
    }
}

fn percent(share: f64) -> String {
    format!("{} %", format_sv(share * 100.0, 0))
}

/// The criteria chapter for a scale and its rules.
pub fn criteria_section(scale: &AssessmentScale, rules: &AssessmentRules) -> Section {
    let mut s = Section::new("Kriterier för måluppfyllelse");
    s.blocks.push(Block::Paragraph {
        text: format!(
            "Måluppfyllelsen bedöms på en skala med {} nivåer. Underlaget för en bedömning är målets mått med etappmål och dess utvecklingsåtaganden: andelen uppnådda etappmål och genomförda åtaganden ger en nivå enligt tabellen. Nämnden beslutar nivån med en motivering.",
            scale.levels.len()
        ),
    });
    let rows = scale
        .levels
        .iter()
        .enumerate()
        .map(|(i, level)| {
            let rule = match (
                rules.thresholds.get(i),
                i.checked_sub(1).and_then(|p| rules.thresholds.get(p)),
            ) {
                (Some(t), None) => format!("Minst {} uppnått", percent(*t)),
                (Some(t), Some(above)) => format!(
                    "Minst {}, men under {} uppnått",
                    percent(*t),
                    percent(*above)
                ),
                (None, Some(above)) => format!("Under {} uppnått", percent(*above)),
                (None, None) => "Alla bedömningar".into(),
            };
            vec![level.clone(), rule]
        })
        .collect();
    s.blocks.push(Block::Table(Table {
        caption: "Nivåer och kriterier".into(),
        columns: ["Nivå", "Andel uppnått"].map(String::from).to_vec(),
        rows,
        row_headers: true,
    }));
    let mut notes = vec![format!(
        "Ett utvecklingsåtagande väger {} mot ett mått med etappmål.",
        format_sv(rules.commitment_weight, 1).replace(",0", "")
    )];
    if rules.unfinished_commitment_penalty > 0 {
        notes.push(format!(
            "Ett åtagande som inte är genomfört sänker bedömningen {} nivå{}.",
            rules.unfinished_commitment_penalty,
            if rules.unfinished_commitment_penalty == 1 {
                ""
            } else {
                "er"
            }
        ));
    }
    notes.push(match rules.missing_outcomes {
        MissingOutcomes::Ignored => {
            "Ett mått vars etappmål saknar utfall räknas inte med.".to_string()
        }
        MissingOutcomes::NotAchieved => {
            "Ett mått vars etappmål saknar utfall räknas som ej uppnått.".to_string()
        }
    });
    notes.push("Mått som endast följs (utan etappmål) redovisas men påverkar inte nivån.".into());
    s.blocks.push(Block::List {
        title: None,
        items: notes,
    });
    s
}

/// The council's goal under which a board reports its personnel figures (seed 004: the
/// strategic goal "Attraktiv arbetsgivare").
pub const PERSONNEL_GOAL: &str = "Attraktiv arbetsgivare";

/// "Personal": the indicators that are only followed (direction none) and hang directly
/// on the goal [`PERSONNEL_GOAL`] above the unit's own goals, as the board reports them
/// (the number of employees, of managers …). The selection is by that rule only: an
/// indicator with a milestone is a goal's measure and stays in the goal chapters.
pub struct PersonnelPart;

impl ReportPart for PersonnelPart {
    fn sections<'a>(&'a self, ctx: &'a Context<'a>) -> BoxFuture<'a, Result<Vec<Section>>> {
        Box::pin(async move {
            if ctx.consolidated() {
                return Ok(Vec::new());
            }
            let goals = ctx.store.goals().await?;
            let mut s = Section::new("Personal");
            for data in &ctx.units {
                let parents: Vec<_> = goals
                    .iter()
                    .filter(|p| {
                        p.title == PERSONNEL_GOAL
                            && p.org_id != data.unit.id
                            && goals
                                .iter()
                                .any(|g| g.org_id == data.unit.id && g.parent_id == Some(p.id))
                    })
                    .collect();
                let mut records: Vec<IndicatorRecord> = Vec::new();
                for p in parents {
                    records.extend(
                        ctx.store
                            .indicator_records(Scope::GoalTree(p.id))
                            .await?
                            .into_iter()
                            .filter(|r| {
                                r.indicator.goal_id == p.id
                                    && r.indicator.direction == Direction::None
                            })
                            .map(|r| r.until(ctx.period)),
                    );
                }
                if records.is_empty() {
                    continue;
                }
                let refs: Vec<&IndicatorRecord> = records.iter().collect();
                s.blocks.push(Block::Paragraph {
                    text: format!(
                        "Nyckeltal om personalen som {} följer under fullmäktiges mål {}.",
                        data.unit.name, PERSONNEL_GOAL
                    ),
                });
                s.blocks.push(Block::Table(crate::build::measures_table(
                    PERSONNEL_GOAL,
                    &refs,
                    ctx.period,
                )));
            }
            if s.blocks.is_empty() {
                s.blocks.push(Block::Paragraph {
                    text: "Nyckeltal om personalen finns inte i uppgifterna.".into(),
                });
            }
            Ok(vec![s])
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn criteria_follow_the_scale_and_the_rules() {
        let s = criteria_section(&AssessmentScale::huddinge(), &AssessmentRules::default());
        let Block::Table(t) = &s.blocks[1] else {
            panic!("a table of levels")
        };
        assert_eq!(
            t.rows,
            vec![
                vec!["Mycket god".to_string(), "Minst 90 % uppnått".into()],
                vec!["God".into(), "Minst 60 %, men under 90 % uppnått".into()],
                vec![
                    "Godtagbar".into(),
                    "Minst 40 %, men under 60 % uppnått".into()
                ],
                vec!["Ej godtagbar".into(), "Under 40 % uppnått".into()],
            ]
        );
        let rules = AssessmentRules {
            thresholds: vec![0.8, 0.5, 0.3],
            unfinished_commitment_penalty: 1,
            missing_outcomes: MissingOutcomes::NotAchieved,
            ..AssessmentRules::default()
        };
        let s = criteria_section(&AssessmentScale::huddinge(), &rules);
        let Block::Table(t) = &s.blocks[1] else {
            panic!("a table of levels")
        };
        assert_eq!(t.rows[0][1], "Minst 80 % uppnått");
        let Block::List { items, .. } = &s.blocks[2] else {
            panic!("the rules' notes")
        };
        assert!(items
            .iter()
            .any(|i| i.contains("sänker bedömningen 1 nivå.")));
        assert!(items.iter().any(|i| i.contains("räknas som ej uppnått")));
    }
}
