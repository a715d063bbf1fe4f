//! The assessment rules, versioned (`rule_versions`): every save adds a version with who
//! saved it and why, and the newest version applies. The scale itself stays in
//! `assessment_scales`; a version holds the rules of the active scale and the evaluation
//! settings.

use serde::Serialize;
use uppsikt_domain::assessment::{AssessmentRules, AssessmentScale, MissingOutcomes, RulesError};
use uppsikt_domain::evaluation::EvaluationSettings;
use uppsikt_domain::model::Id;

use crate::write::Bind;
use crate::{Result, Store, StoreError, Writer};

/// The change log's object type for a saved version of the rules.
pub const RULE_VERSION_LOG_TYPE: &str = "rule_version";

/// The largest relative threshold a version may hold (a change below 50 % of the earlier
/// value being no change is already far more than any municipality uses).
pub const RELATIVE_THRESHOLD_MAX: f64 = 0.5;

/// The largest weight of one commitment against one indicator.
pub const COMMITMENT_WEIGHT_MAX: f64 = 10.0;

/// One saved version of the rules.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleVersion {
    pub id: Id,
    /// 1 for the first version, counting up.
    pub number: usize,
    pub scale_id: Id,
    pub rules: AssessmentRules,
    pub settings: EvaluationSettings,
    /// RFC 3339 (UTC); empty for the version the upgrade wrote.
    pub saved_at: String,
    pub saved_by: String,
    pub motivation: String,
}

/// Why a version was not saved.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RuleProblem {
    #[error("rules do not fit the scale: {0}")]
    Rules(RulesError),
    #[error("relative threshold {0} outside 0..={RELATIVE_THRESHOLD_MAX}")]
    RelativeThreshold(f64),
    #[error("commitment weight {0} above {COMMITMENT_WEIGHT_MAX}")]
    Weight(f64),
    #[error("an unfinished commitment's penalty {0} is beyond the scale")]
    Penalty(usize),
    #[error("the motivation is empty")]
    NoMotivation,
    #[error("the settings equal the version that applies")]
    Unchanged,
}

/// Checks rules and settings against the scale: what [`Writer::save_rules`] asks before it
/// saves, for forms to ask before they try.
pub fn check_rules(
    scale: &AssessmentScale,
    rules: &AssessmentRules,
    settings: EvaluationSettings,
) -> std::result::Result<(), RuleProblem> {
    rules.check(scale).map_err(RuleProblem::Rules)?;
    if !(0.0..=COMMITMENT_WEIGHT_MAX).contains(&rules.commitment_weight) {
        return Err(RuleProblem::Weight(rules.commitment_weight));
    }
    if rules.unfinished_commitment_penalty >= scale.levels.len().max(1) {
        return Err(RuleProblem::Penalty(rules.unfinished_commitment_penalty));
    }
    if !(0.0..=RELATIVE_THRESHOLD_MAX).contains(&settings.relative_threshold) {
        return Err(RuleProblem::RelativeThreshold(settings.relative_threshold));
    }
    Ok(())
}

type VersionRow = (
    Id,
    Id,
    String,
    f64,
    i64,
    String,
    f64,
    String,
    String,
    String,
);

const VERSION_COLUMNS: &str = "SELECT id, scale_id, thresholds, commitment_weight, \
     unfinished_commitment_penalty, missing_outcomes, relative_threshold, saved_at, saved_by, \
     motivation FROM rule_versions";

fn version_of(row: VersionRow, number: usize) -> Result<RuleVersion> {
    let (id, scale_id, thresholds, weight, penalty, missing, relative, at, by, motivation) = row;
    let bad = |what: &str| StoreError::Corrupt(format!("rule version {id}: {what}"));
    Ok(RuleVersion {
        id,
        number,
        scale_id,
        rules: AssessmentRules {
            thresholds: serde_json::from_str(&thresholds).map_err(|_| bad("thresholds"))?,
            commitment_weight: weight,
            unfinished_commitment_penalty: usize::try_from(penalty).map_err(|_| bad("penalty"))?,
            missing_outcomes: MissingOutcomes::parse(&missing)
                .ok_or_else(|| bad("missing outcomes"))?,
        },
        settings: EvaluationSettings {
            relative_threshold: relative,
        },
        saved_at: at,
        saved_by: by,
        motivation,
    })
}

impl Store {
    /// The active scale's id and the scale, or `None` when no scale is active.
    async fn active_scale(&self) -> Result<Option<(Id, AssessmentScale)>> {
        let row: Option<(Id, String, String)> = sqlx::query_as(
            "SELECT id, name, levels FROM assessment_scales WHERE active = 1 ORDER BY id LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        let Some((id, name, levels)) = row else {
            return Ok(None);
        };
        let levels = serde_json::from_str(&levels)
            .map_err(|_| StoreError::Corrupt(format!("assessment scale {name}: levels")))?;
        Ok(Some((id, AssessmentScale { name, levels })))
    }

    /// The active assessment scale and the rules that apply: the newest saved version's
    /// (the scale's own columns before any version exists).
    pub async fn assessment_config(&self) -> Result<(AssessmentScale, AssessmentRules)> {
        let Some((scale_id, scale)) = self.active_scale().await? else {
            return Ok((AssessmentScale::huddinge(), AssessmentRules::default()));
        };
        let rules = match self.newest_rule_version(scale_id).await? {
            Some(v) => v.rules,
            None => self.scale_rules(scale_id).await?,
        };
        rules
            .check(&scale)
            .map_err(|e| StoreError::Corrupt(format!("assessment scale {}: {e}", scale.name)))?;
        Ok((scale, rules))
    }

    /// The rules stored with the scale (before versions existed).
    async fn scale_rules(&self, scale_id: Id) -> Result<AssessmentRules> {
        let (thresholds, weight, penalty): (String, f64, i64) = sqlx::query_as(
            "SELECT thresholds, commitment_weight, unfinished_commitment_penalty \
             FROM assessment_scales WHERE id = $1",
        )
        .bind(scale_id)
        .fetch_one(&self.pool)
        .await?;
        let bad = |what: &str| StoreError::Corrupt(format!("assessment scale {scale_id}: {what}"));
        Ok(AssessmentRules {
            thresholds: serde_json::from_str(&thresholds).map_err(|_| bad("thresholds"))?,
            commitment_weight: weight,
            unfinished_commitment_penalty: usize::try_from(penalty).map_err(|_| bad("penalty"))?,
            missing_outcomes: MissingOutcomes::default(),
        })
    }

    async fn newest_rule_version(&self, scale_id: Id) -> Result<Option<RuleVersion>> {
        let sql = format!("{VERSION_COLUMNS} WHERE scale_id = $1 ORDER BY id DESC LIMIT 1");
        let row: Option<VersionRow> = sqlx::query_as(&sql)
            .bind(scale_id)
            .fetch_optional(&self.pool)
            .await?;
        // Its number is not needed here (0).
        row.map(|r| version_of(r, 0)).transpose()
    }

    /// Every saved version of the rules, newest first (the first applies).
    pub async fn rule_versions(&self) -> Result<Vec<RuleVersion>> {
        let sql = format!("{VERSION_COLUMNS} ORDER BY id DESC");
        let rows: Vec<VersionRow> = sqlx::query_as(&sql).fetch_all(&self.pool).await?;
        let n = rows.len();
        rows.into_iter()
            .enumerate()
            .map(|(i, r)| version_of(r, n - i))
            .collect()
    }
}

impl Writer {
    /// Saves `rules` and `settings` as the newest version of the active scale's rules, with
    /// the writer's actor and time and `motivation`, and logs it. Refused (nothing written)
    /// when they do not fit the scale, lie outside what the rules allow, equal the version
    /// that applies, or come without a motivation.
    pub async fn save_rules(
        &mut self,
        rules: &AssessmentRules,
        settings: EvaluationSettings,
        motivation: &str,
    ) -> Result<std::result::Result<Id, RuleProblem>> {
        let Some((scale_id, scale)) = self.store.active_scale().await? else {
            return Err(StoreError::Corrupt("no active assessment scale".into()));
        };
        if let Err(problem) = check_rules(&scale, rules, settings) {
            return Ok(Err(problem));
        }
        let motivation = motivation.trim();
        if motivation.is_empty() {
            return Ok(Err(RuleProblem::NoMotivation));
        }
        let sql = format!("{VERSION_COLUMNS} WHERE scale_id = $1 ORDER BY id DESC LIMIT 1");
        let before: Option<VersionRow> = sqlx::query_as(&sql)
            .bind(scale_id)
            .fetch_optional(&mut *self.tx)
            .await?;
        let before = before.map(|r| version_of(r, 0)).transpose()?;
        if before
            .as_ref()
            .is_some_and(|b| &b.rules == rules && b.settings == settings)
        {
            return Ok(Err(RuleProblem::Unchanged));
        }
        let thresholds = serde_json::to_string(&rules.thresholds)
            .map_err(|e| StoreError::Corrupt(format!("thresholds: {e}")))?;
        let penalty = i64::try_from(rules.unfinished_commitment_penalty)
            .map_err(|_| StoreError::Corrupt("penalty".into()))?;
        let at = self.time().to_string();
        let by = self.actor().to_string();
        let id = self
            .insert_returning_id(
                "INSERT INTO rule_versions (scale_id, thresholds, commitment_weight, \
                 unfinished_commitment_penalty, missing_outcomes, relative_threshold, saved_at, \
                 saved_by, motivation) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                vec![
                    Bind::Int(scale_id),
                    Bind::Text(thresholds),
                    Bind::Real(rules.commitment_weight),
                    Bind::Int(penalty),
                    Bind::Text(rules.missing_outcomes.code().into()),
                    Bind::Real(settings.relative_threshold),
                    Bind::Text(at),
                    Bind::Text(by),
                    Bind::Text(motivation.to_string()),
                ],
            )
            .await?;
        let snapshot = |rules: &AssessmentRules, settings: &EvaluationSettings| {
            serde_json::json!({
                "thresholds": rules.thresholds,
                "commitment_weight": rules.commitment_weight,
                "unfinished_commitment_penalty": rules.unfinished_commitment_penalty,
                "missing_outcomes": rules.missing_outcomes.code(),
                "relative_threshold": settings.relative_threshold,
            })
        };
        let mut after = snapshot(rules, &settings);
        after["motivation"] = motivation.into();
        self.log(
            "save",
            RULE_VERSION_LOG_TYPE,
            Some(id),
            before.map(|b| snapshot(&b.rules, &b.settings)),
            Some(after),
        )
        .await?;
        Ok(Ok(id))
    }
}
