//! The store's part of each object kind (`uppsikt_domain::object_kind`): the SQL that
//! finds the unit owning one, and which change-log rows make up its history. Both are
//! exhaustive matches, so a kind added to the domain does not compile until it has both.

use uppsikt_domain::object_kind::ObjectKind;

/// SQL with one parameter, the object's id, that answers the id of the unit owning it.
pub(crate) const fn owning_unit_sql(kind: ObjectKind) -> &'static str {
    match kind {
        ObjectKind::OrgUnit => "SELECT id FROM org_units WHERE id = $1",
        ObjectKind::Goal => "SELECT org_id FROM goals WHERE id = $1",
        ObjectKind::Indicator => {
            "SELECT g.org_id FROM indicators i JOIN goals g ON g.id = i.goal_id WHERE i.id = $1"
        }
        ObjectKind::Commitment => {
            "SELECT g.org_id FROM commitments c JOIN goals g ON g.id = c.goal_id WHERE c.id = $1"
        }
        ObjectKind::Deviation => "SELECT org_id FROM deviations WHERE id = $1",
        ObjectKind::DeviationAction => {
            "SELECT d.org_id FROM deviation_actions a JOIN deviations d ON d.id = a.deviation_id WHERE a.id = $1"
        }
        ObjectKind::ControlPlan => "SELECT org_id FROM control_plans WHERE id = $1",
        ObjectKind::IcRisk => {
            "SELECT p.org_id FROM ic_risks r JOIN control_plans p ON p.id = r.plan_id WHERE r.id = $1"
        }
        ObjectKind::IcAction => {
            "SELECT p.org_id FROM ic_actions a JOIN control_plans p ON p.id = a.plan_id WHERE a.id = $1"
        }
        ObjectKind::Control => {
            "SELECT p.org_id FROM ic_controls c JOIN control_plans p ON p.id = c.plan_id WHERE c.id = $1"
        }
        // An audit belongs to its first audited body, else to the first addressee of its
        // first recommendation, else to the root (the auditors examine the whole
        // municipality).
        ObjectKind::Audit => {
            "SELECT COALESCE(\
                (SELECT u.org_id FROM audit_units u WHERE u.audit_id = a.id \
                   ORDER BY u.position LIMIT 1), \
                (SELECT ra.org_id FROM audit_recommendations r \
                   JOIN audit_rec_addressees ra ON ra.rec_id = r.id WHERE r.audit_id = a.id \
                   ORDER BY r.position, r.id, ra.position LIMIT 1), \
                (SELECT MIN(id) FROM org_units WHERE parent_id IS NULL)) \
             FROM audits a WHERE a.id = $1"
        }
        ObjectKind::Recommendation => {
            "SELECT (SELECT ra.org_id FROM audit_rec_addressees ra WHERE ra.rec_id = r.id \
                ORDER BY ra.position LIMIT 1) \
             FROM audit_recommendations r WHERE r.id = $1"
        }
        // The area family belongs to the municipality as a whole (the root), except a
        // duty (its responsible board) and a statute (the body leading the work under it).
        ObjectKind::Area => {
            "SELECT (SELECT MIN(id) FROM org_units WHERE parent_id IS NULL) FROM areas WHERE id = $1"
        }
        ObjectKind::SituationReport => {
            "SELECT (SELECT MIN(id) FROM org_units WHERE parent_id IS NULL) FROM situation_reports WHERE id = $1"
        }
        ObjectKind::Forum => {
            "SELECT (SELECT MIN(id) FROM org_units WHERE parent_id IS NULL) FROM forums WHERE id = $1"
        }
        ObjectKind::Agreement => {
            "SELECT (SELECT MIN(id) FROM org_units WHERE parent_id IS NULL) FROM agreements WHERE id = $1"
        }
        ObjectKind::Statute => {
            "SELECT COALESCE(s.leading_unit_id, (SELECT MIN(id) FROM org_units WHERE parent_id IS NULL)) \
             FROM statutes s WHERE s.id = $1"
        }
        ObjectKind::Obligation => {
            "SELECT COALESCE(o.responsible_unit_id, (SELECT MIN(id) FROM org_units WHERE parent_id IS NULL)) \
             FROM obligations o WHERE o.id = $1"
        }
        // A grant belongs to its board, else to the root; an investment to its board.
        ObjectKind::Grant => {
            "SELECT COALESCE(g.unit_id, (SELECT MIN(id) FROM org_units WHERE parent_id IS NULL)) \
             FROM grants g WHERE g.id = $1"
        }
        ObjectKind::InvestmentNode => "SELECT unit_id FROM investment_nodes WHERE id = $1",
    }
}

/// Parts of an object that the change log records under their own ids.
pub(crate) struct Related {
    /// SQL with one parameter, the object's id, that answers the parts' ids.
    pub ids_sql: &'static str,
    /// The change-log object type of the parts.
    pub log_type: &'static str,
}

/// Which change-log rows, besides those of its kind under its id, are an object's history.
pub(crate) struct HistoryParts {
    /// Object types logged under the object's own id (its goal's analysis, its outcomes …).
    pub own: &'static [&'static str],
    pub related: Option<Related>,
}

/// The history of one object of `kind`.
pub(crate) const fn history_parts(kind: ObjectKind) -> HistoryParts {
    // Assessments are logged under their own ids: a goal's, or a unit's overall ones;
    // so are a deviation's actions.
    const ASSESSMENT: &str = "assessment";
    let (own, related): (&'static [&'static str], _) = match kind {
        ObjectKind::OrgUnit => (
            &[
                "vision",
                "period_review",
                "period",
                crate::plan::PLAN_LOG_TYPE,
                "assessments",
                crate::thresholds::THRESHOLD_LOG_TYPE,
                crate::current_period::CURRENT_PERIOD_LOG_TYPE,
                crate::decided_documents::DECIDED_DOCUMENT_LOG_TYPE,
                crate::economy::BUDGET_LINE_LOG_TYPE,
                crate::economy::EXPLANATION_LOG_TYPE,
                crate::economy::BUDGET_IMPORT_LOG_TYPE,
                crate::economy::CARRY_OVER_LOG_TYPE,
                crate::economy::EQUITY_LOG_TYPE,
                crate::economy::TOLERANCE_LOG_TYPE,
                crate::economy::LEDGER_UNIT_LOG_TYPE,
            ],
            Some(Related {
                ids_sql: "SELECT id FROM assessments WHERE org_id = $1 AND goal_id IS NULL",
                log_type: ASSESSMENT,
            }),
        ),
        ObjectKind::Goal => (
            &["goal_priorities", "goal_analysis"],
            Some(Related {
                ids_sql: "SELECT id FROM assessments WHERE goal_id = $1",
                log_type: ASSESSMENT,
            }),
        ),
        ObjectKind::Indicator => (
            &[
                "outcome",
                "milestone",
                "target",
                "comparison",
                "gap_judgement",
                "outcome_comment",
            ],
            None,
        ),
        ObjectKind::Commitment => (&["commitment_status"], None),
        ObjectKind::Deviation => (
            &[],
            Some(Related {
                ids_sql: "SELECT id FROM deviation_actions WHERE deviation_id = $1",
                log_type: ObjectKind::DeviationAction.log_type(),
            }),
        ),
        ObjectKind::DeviationAction => (&[], None),
        ObjectKind::ControlPlan | ObjectKind::IcRisk => (&[], None),
        // An action's amendments are logged under its id.
        ObjectKind::IcAction => (&[crate::internal_control::AMENDMENT_LOG_TYPE], None),
        ObjectKind::Control => (
            &[],
            Some(Related {
                ids_sql: "SELECT id FROM ic_occurrences WHERE control_id = $1",
                log_type: crate::internal_control::OCCURRENCE_LOG_TYPE,
            }),
        ),
        // Questions, responses and the attached report are logged under the audit's id.
        ObjectKind::Audit => (&["audit_question", "audit_response", "audit_report"], None),
        // Verdicts and links to internal control under the recommendation's id.
        ObjectKind::Recommendation => (&["audit_verdict", "audit_ic_link"], None),
        // Presentations under the report's id; meetings under the forum's; evidence and
        // assessments under the duty's.
        ObjectKind::Area => (&[], None),
        ObjectKind::SituationReport => (&["situation_presentation"], None),
        ObjectKind::Forum => (&["forum_meeting"], None),
        ObjectKind::Agreement | ObjectKind::Statute => (&[], None),
        ObjectKind::Obligation => (&["obligation_evidence", "obligation_assessment"], None),
        // Allocations and spend are logged under the grant's id.
        ObjectKind::Grant => (
            &[
                crate::economy::ALLOCATION_LOG_TYPE,
                crate::economy::SPEND_LOG_TYPE,
            ],
            None,
        ),
        ObjectKind::InvestmentNode => (&[], None),
    };
    HistoryParts { own, related }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uppsikt_domain::object_kind::log_type_sv;

    #[test]
    fn every_part_of_a_history_has_a_swedish_label() {
        for kind in ObjectKind::ALL {
            let parts = history_parts(kind);
            let related = parts.related.map(|r| r.log_type);
            for part in parts.own.iter().copied().chain(related) {
                assert_ne!(log_type_sv(part), part, "{kind:?}: {part}");
            }
        }
    }
}
