//! The kinds of object that have pages of their own, declared once: the type the change
//! log records them under, the first segment of their pages' paths, and their Swedish
//! name. The web's guard and "Historik" page and the store's SQL per kind (its
//! `kinds.rs`) are keyed by [`ObjectKind`], so a new kind is one variant here (also in
//! [`ObjectKind::ALL`]), one arm in its private `spec`, and the arms the compiler then
//! asks for elsewhere.

/// An object with pages of its own (`/goals/{id}`, `/indicators/{id}/edit` …) that an
/// organisation unit owns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ObjectKind {
    OrgUnit,
    Goal,
    Indicator,
    Commitment,
    Deviation,
    DeviationAction,
    ControlPlan,
    IcRisk,
    IcAction,
    Control,
    Audit,
    Recommendation,
    Area,
    SituationReport,
    Forum,
    Agreement,
    Statute,
    Obligation,
    Grant,
    InvestmentNode,
}

/// What one kind is called where: in the change log, in paths and in Swedish.
struct Spec {
    log_type: &'static str,
    path_segment: &'static str,
    label_sv: &'static str,
}

impl ObjectKind {
    /// Every kind, in the order the organisation holds them (a kind missing here has no
    /// pages: its paths are not found).
    pub const ALL: [ObjectKind; 20] = [
        ObjectKind::OrgUnit,
        ObjectKind::Goal,
        ObjectKind::Indicator,
        ObjectKind::Commitment,
        ObjectKind::Deviation,
        ObjectKind::DeviationAction,
        ObjectKind::ControlPlan,
        ObjectKind::IcRisk,
        ObjectKind::IcAction,
        ObjectKind::Control,
        ObjectKind::Audit,
        ObjectKind::Recommendation,
        ObjectKind::Area,
        ObjectKind::SituationReport,
        ObjectKind::Forum,
        ObjectKind::Agreement,
        ObjectKind::Statute,
        ObjectKind::Obligation,
        ObjectKind::Grant,
        ObjectKind::InvestmentNode,
    ];

    /// The one declaration of each kind.
    const fn spec(self) -> Spec {
        let (log_type, path_segment, label_sv) = match self {
            ObjectKind::OrgUnit => ("org_unit", "org", "Enhet"),
            ObjectKind::Goal => ("goal", "goals", "Mål"),
            ObjectKind::Indicator => ("indicator", "indicators", "Mått"),
            ObjectKind::Commitment => ("commitment", "commitments", "Utvecklingsåtagande"),
            ObjectKind::Deviation => ("deviation", "deviations", "Avvikelse"),
            ObjectKind::DeviationAction => ("deviation_action", "deviation-actions", "Åtgärd"),
            ObjectKind::ControlPlan => ("control_plan", "internal-control", "Internkontrollplan"),
            ObjectKind::IcRisk => ("ic_risk", "ic-risks", "Risk"),
            ObjectKind::IcAction => ("ic_action", "ic-actions", "Åtgärd i internkontrollplan"),
            ObjectKind::Control => ("ic_control", "ic-controls", "Kontroll"),
            ObjectKind::Audit => ("audit", "audits", "Granskning"),
            ObjectKind::Recommendation => {
                ("audit_recommendation", "recommendations", "Rekommendation")
            }
            ObjectKind::Area => ("area", "areas", "Område"),
            ObjectKind::SituationReport => ("situation_report", "situation-reports", "Lägesbild"),
            ObjectKind::Forum => ("forum", "forums", "Forum"),
            ObjectKind::Agreement => ("agreement", "agreements", "Överenskommelse"),
            ObjectKind::Statute => ("statute", "statutes", "Lag"),
            ObjectKind::Obligation => ("obligation", "obligations", "Lagkrav"),
            ObjectKind::Grant => ("grant", "grants", "Bidrag"),
            ObjectKind::InvestmentNode => ("investment", "investments", "Investering"),
        };
        Spec {
            log_type,
            path_segment,
            label_sv,
        }
    }

    /// The change log's `object_type` for this kind. It is data in every database: never
    /// rename it.
    pub const fn log_type(self) -> &'static str {
        self.spec().log_type
    }

    /// The first segment of the kind's pages: `goals` in `/goals/{id}/edit`.
    pub const fn path_segment(self) -> &'static str {
        self.spec().path_segment
    }

    /// The kind's name in Swedish, as the change history shows it.
    pub const fn label_sv(self) -> &'static str {
        self.spec().label_sv
    }

    /// The kind whose pages start with `segment`.
    pub fn from_path_segment(segment: &str) -> Option<ObjectKind> {
        Self::ALL.into_iter().find(|k| k.path_segment() == segment)
    }

    /// The kind of the page at `path` (`/goals/{id}/edit` → goal), from its first segment.
    pub fn of_path(path: &str) -> Option<ObjectKind> {
        let segment = path.trim_start_matches('/').split('/').next()?;
        Self::from_path_segment(segment)
    }

    /// The kind the change log records under `log_type`.
    pub fn from_log_type(log_type: &str) -> Option<ObjectKind> {
        Self::ALL.into_iter().find(|k| k.log_type() == log_type)
    }
}

/// The change log's other object types (an object's parts, settings, accounts …) in
/// Swedish.
const PART_LABELS: &[(&str, &str)] = &[
    ("vision", "Vision"),
    ("period_review", "Händelser och förbättringsområden"),
    ("period", "Period"),
    ("plan", "Verksamhetsplan"),
    ("assessments", "Bedömning"),
    ("assessment", "Bedömning"),
    ("goal_priorities", "Prioriteringar"),
    ("goal_analysis", "Analys"),
    ("outcome", "Utfall"),
    ("milestone", "Etappmål"),
    ("target", "Målvärde"),
    ("comparison", "Jämförelse"),
    ("gap_judgement", "Bedömning av skillnad"),
    ("outcome_comment", "Kommentar till utfall"),
    ("commitment_status", "Status för åtagande"),
    ("user", "Konto"),
    ("api_token", "API-nyckel"),
    ("database", "Databas"),
    ("kolada_values", "Kolada-värden"),
    ("kolada_settings", "Koppling till Kolada"),
    ("kolada_kpis", "Kolada-nyckeltal"),
    ("kolada_municipalities", "Koladas kommuner"),
    ("comparison_group", "Jämförelsegrupp"),
    ("indicator_comparison_groups", "Jämförelsegrupper för mått"),
    ("deviation_threshold", "Tröskel för avvikelser"),
    ("current_period", "Aktuell period"),
    ("rule_version", "Bedömningsregler"),
    ("decided_document", "Beslutat dokument"),
    ("ic_occurrence", "Kontrolltillfälle"),
    ("situation_presentation", "Redovisning av lägesbild"),
    ("forum_meeting", "Möte i forum"),
    ("obligation_evidence", "Underlag för lagkrav"),
    ("obligation_assessment", "Bedömning av lagkrav"),
    ("level_scale", "Skala för lägesbilder"),
    ("ic_amendment", "Ändrad åtgärd"),
    ("audit_question", "Revisionsfråga"),
    ("audit_response", "Svar till revisionen"),
    ("audit_report", "Granskningsrapport"),
    ("audit_verdict", "Revisorernas uppföljning"),
    ("audit_ic_link", "Koppling till intern kontroll"),
    ("risk_matrix", "Riskmatris"),
    ("budget_line", "Budgetrad"),
    ("budget_explanation", "Förklaring till avvikelse"),
    ("budget_import", "Inläsning av ekonomi"),
    ("cost_type", "Kostnadsslag"),
    ("economy_settings", "Ekonomiinställningar"),
    ("equity", "Eget kapital"),
    ("carry_over", "Saldoöverföring"),
    ("grant_allocation", "Fördelning av bidrag"),
    ("grant_spend", "Användning av bidrag"),
    ("budget_tolerance", "Tolerans för budgetavvikelse"),
    ("ledger_unit", "Koppling till huvudbokens ansvar"),
];

/// A change-log object type in Swedish: a kind's name, a part's, or (unknown) as logged.
pub fn log_type_sv(log_type: &str) -> &str {
    if let Some(kind) = ObjectKind::from_log_type(log_type) {
        return kind.label_sv();
    }
    PART_LABELS
        .iter()
        .find(|(t, _)| *t == log_type)
        .map_or(log_type, |(_, label)| label)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_kind_round_trips_through_its_path_and_its_log_type() {
        for kind in ObjectKind::ALL {
            assert_eq!(
                ObjectKind::from_path_segment(kind.path_segment()),
                Some(kind)
            );
            assert_eq!(
                ObjectKind::of_path(&format!("/{}/{{id}}/edit", kind.path_segment())),
                Some(kind)
            );
            assert_eq!(ObjectKind::from_log_type(kind.log_type()), Some(kind));
        }
    }

    #[test]
    fn paths_log_types_and_labels_are_distinct() {
        let distinct = |f: fn(ObjectKind) -> &'static str| {
            ObjectKind::ALL
                .into_iter()
                .map(f)
                .collect::<HashSet<_>>()
                .len()
        };
        assert_eq!(distinct(ObjectKind::path_segment), ObjectKind::ALL.len());
        assert_eq!(distinct(ObjectKind::log_type), ObjectKind::ALL.len());
        assert_eq!(distinct(ObjectKind::label_sv), ObjectKind::ALL.len());
        for (part, _) in PART_LABELS {
            assert_eq!(ObjectKind::from_log_type(part), None, "{part} is a kind");
        }
    }

    #[test]
    fn every_kind_has_a_swedish_label_the_history_shows() {
        for kind in ObjectKind::ALL {
            assert!(!kind.label_sv().is_empty());
            assert_eq!(log_type_sv(kind.log_type()), kind.label_sv());
        }
        assert_eq!(log_type_sv("goal_analysis"), "Analys");
        assert_eq!(log_type_sv("assessment"), "Bedömning");
    }

    #[test]
    fn unknown_paths_and_log_types_are_no_kind() {
        for path in [
            "",
            "/",
            "/history/goals/1",
            "/goal/1",
            "/Goals/1",
            "/deviation_actions/1",
        ] {
            assert_eq!(ObjectKind::of_path(path), None, "{path}");
        }
        assert_eq!(ObjectKind::from_log_type("goals"), None);
        assert_eq!(log_type_sv("something_new"), "something_new");
    }
}
