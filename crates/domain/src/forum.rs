//! Forums (styrgrupper, OSG, beredningar, samverkansforum) and agreements
//! (samverkansöverenskommelser, avsiktsförklaringar, medborgarlöften, handlingsplaner,
//! program) with their focus areas and activity plans (`DOMAIN-MODULES.md` C1, C3).
//!
//! The registry answers seed 000's "vilka forum … och dess syfte" and seed 002's T-1, T-5
//! and T-6: what each forum is for and what it reports to whom. [`forum_flags`] and
//! [`agreement_flags`] show what the audits found missing: a forum without a purpose or a
//! reporting line, never evaluated; a focus area without an activity plan; an activity
//! without an effect indicator; an agreement that names neither the law nor the
//! lägesbild it rests on. A forum counts as the law's strategic council only when it is
//! designated as one with the properties the law asks for ([`Council::qualifies`]).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::area::{self, coded_enum, AreaRefusal};
use crate::model::Id;

/// How far a forum's purpose and role are documented.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Documented {
    Yes,
    Partly,
    No,
    /// An outside forum the municipality takes part in.
    External,
}

coded_enum!(Documented {
    Yes = "ja", "Dokumenterat";
    Partly = "delvis", "Delvis dokumenterat";
    No = "nej", "Inte dokumenterat";
    External = "extern", "Externt forum";
});

/// A member of a forum: the organisation and the role (a function, not a person).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Member {
    pub organisation: String,
    pub role: String,
}

/// A meeting of a forum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Meeting {
    pub date: String,
    /// Minutes or paragraph reference; empty: none recorded.
    pub reference: String,
    pub note: String,
}

/// A forum's designation as the strategic council of Lag (2023:196) (or another
/// statute's): by whom and when, and the properties the law asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Council {
    /// The deciding body and date, e.g. "KS 2025-03-10 § 12".
    pub decision: String,
    pub led_by_municipality: bool,
    pub partners_in_leading_positions: bool,
    pub strategic_remit: bool,
}

impl Council {
    /// Whether the designation meets the law's description (D3.3).
    pub fn qualifies(&self) -> bool {
        !self.decision.trim().is_empty()
            && self.led_by_municipality
            && self.partners_in_leading_positions
            && self.strategic_remit
    }
}

/// A forum.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Forum {
    pub id: Id,
    /// The register's short code (F01 …); empty: none.
    pub code: String,
    pub name: String,
    /// Empty: not documented (Samordnarforum: "Forumets syfte, och roll … otydligt").
    pub purpose: String,
    pub chair: String,
    pub members: Vec<Member>,
    /// E.g. "varje vecka", "två gånger i månaden"; empty: not recorded.
    pub cadence: String,
    /// Whom it reports to: a board or another forum (or neither: not defined).
    pub reports_to_unit: Option<Id>,
    pub reports_to_forum: Option<Id>,
    /// What it reports; empty: not defined (T-5, T-6).
    pub reports_what: String,
    pub documented: Documented,
    /// The latest evaluation (ISO date) and what it found; `None`: never evaluated.
    pub evaluated_on: Option<String>,
    pub evaluation: String,
    /// The areas it works in (empty: the whole municipality).
    pub area_ids: Vec<Id>,
    pub council: Option<Council>,
    pub meetings: Vec<Meeting>,
    pub note: String,
}

/// What is missing about a forum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ForumFlag {
    NoPurpose,
    NoReportingLine,
    NotDocumented,
    NeverEvaluated,
    /// Designated the strategic council without the law's properties.
    CouncilNotQualified,
}

impl ForumFlag {
    pub fn label_sv(self) -> &'static str {
        match self {
            ForumFlag::NoPurpose => "Syfte saknas",
            ForumFlag::NoReportingLine => "Rapporteringsväg saknas (till vem och vad)",
            ForumFlag::NotDocumented => "Roll och uppdrag inte dokumenterade",
            ForumFlag::NeverEvaluated => "Aldrig utvärderat",
            ForumFlag::CouncilNotQualified => {
                "Utsett till strategiskt råd utan lagens krav (kommunen leder, parter i ledande befattning, strategiskt uppdrag)"
            }
        }
    }
}

/// What the registry flags for a forum. External forums are flagged only for a missing
/// purpose.
pub fn forum_flags(f: &Forum) -> Vec<ForumFlag> {
    let mut out = Vec::new();
    if f.purpose.trim().is_empty() {
        out.push(ForumFlag::NoPurpose);
    }
    if f.documented == Documented::External {
        return out;
    }
    if (f.reports_to_unit.is_none() && f.reports_to_forum.is_none())
        || f.reports_what.trim().is_empty()
    {
        out.push(ForumFlag::NoReportingLine);
    }
    if f.documented == Documented::No {
        out.push(ForumFlag::NotDocumented);
    }
    if f.evaluated_on.is_none() {
        out.push(ForumFlag::NeverEvaluated);
    }
    if f.council.as_ref().is_some_and(|c| !c.qualifies()) {
        out.push(ForumFlag::CouncilNotQualified);
    }
    out
}

/// Checks a forum against the others (unique names; a forum cannot report to itself).
pub fn validate_forum(f: &Forum, others: &[Forum]) -> Result<(), AreaRefusal> {
    area::required(&f.name, "name")?;
    area::short(&f.code, "code")?;
    area::short(&f.chair, "chair")?;
    area::short(&f.cadence, "cadence")?;
    for (t, what) in [
        (&f.purpose, "purpose"),
        (&f.reports_what, "reports_what"),
        (&f.evaluation, "evaluation"),
        (&f.note, "note"),
    ] {
        area::long(t, what)?;
    }
    area::date(f.evaluated_on.as_deref(), "evaluated_on")?;
    area::count(f.members.len(), "members")?;
    area::count(f.meetings.len(), "meetings")?;
    area::count(f.area_ids.len(), "areas")?;
    for m in &f.members {
        area::required(&m.organisation, "organisation")?;
        area::short(&m.role, "role")?;
    }
    for m in &f.meetings {
        area::date(Some(&m.date), "date")?;
        area::short(&m.reference, "reference")?;
        area::long(&m.note, "note")?;
    }
    if f.reports_to_forum == Some(f.id) && f.id != 0 {
        return Err(AreaRefusal::ParentCycle);
    }
    if let Some(c) = &f.council {
        area::short(&c.decision, "decision")?;
    }
    if others
        .iter()
        .any(|o| o.id != f.id && o.name.trim().to_lowercase() == f.name.trim().to_lowercase())
    {
        return Err(AreaRefusal::Duplicate(f.name.clone()));
    }
    Ok(())
}

/// What kind of agreement or plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AgreementKind {
    Collaboration,
    Intent,
    CitizenPromise,
    ActionPlan,
    Programme,
}

coded_enum!(AgreementKind {
    Collaboration = "samverkansoverenskommelse", "Samverkansöverenskommelse";
    Intent = "avsiktsforklaring", "Avsiktsförklaring";
    CitizenPromise = "medborgarloefte", "Medborgarlöfte";
    ActionPlan = "handlingsplan", "Handlingsplan";
    Programme = "program", "Program";
});

/// What kind of party.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PartyKind {
    Municipality,
    Police,
    RescueService,
    PrisonProbation,
    MunicipalCompany,
    Other,
}

coded_enum!(PartyKind {
    Municipality = "kommun", "Kommun";
    Police = "polis", "Polisen";
    RescueService = "raddningstjanst", "Räddningstjänst";
    PrisonProbation = "kriminalvard", "Kriminalvården";
    MunicipalCompany = "kommunalt_bolag", "Kommunalt bolag";
    Other = "annan", "Annan part";
});

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Party {
    pub name: String,
    pub kind: PartyKind,
}

/// One activity of an activity plan, with the fields the earlier plans had (002:364-376)
/// and the effect indicator they lacked.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Activity {
    pub id: Id,
    pub title: String,
    pub problem: String,
    pub goal_short: String,
    pub goal_long: String,
    pub owner: String,
    pub frequency: String,
    /// How and by whom it is followed up.
    pub follow_up: String,
    /// The indicator that shows its effect, if any.
    pub effect_indicator_id: Option<Id>,
}

/// A focus area of an agreement and its activity plan's activities (`has_plan` false:
/// no plan made, the seeds' AG-2023-24).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FocusArea {
    pub id: Id,
    pub name: String,
    pub has_plan: bool,
    pub activities: Vec<Activity>,
}

/// An agreement, programme or plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Agreement {
    pub id: Id,
    pub code: String,
    pub kind: AgreementKind,
    pub title: String,
    pub parties: Vec<Party>,
    pub valid_from: Option<String>,
    pub valid_to: Option<String>,
    pub purpose: String,
    pub focus_areas: Vec<FocusArea>,
    pub governing_forum_id: Option<Id>,
    /// The situation report it rests on.
    pub situation_report_id: Option<Id>,
    /// SFS numbers of statutes it refers to (canonical, registered).
    pub statutes: Vec<String>,
    pub area_ids: Vec<Id>,
    pub note: String,
}

impl Agreement {
    /// Whether it is in force on `date` (open ends count as in force).
    pub fn in_force(&self, date: &str) -> bool {
        self.valid_from.as_deref().is_none_or(|f| f <= date)
            && self.valid_to.as_deref().is_none_or(|t| date <= t)
    }
}

/// What is missing about an agreement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AgreementFlag {
    FocusAreaWithoutPlan(String),
    ActivityWithoutEffectIndicator(String),
    NoPurpose,
    /// A collaboration agreement that does not name the statute it answers.
    NoStatute,
    /// A collaboration agreement that does not name the situation report it rests on.
    NoSituationReport,
}

impl AgreementFlag {
    pub fn label_sv(&self) -> String {
        match self {
            AgreementFlag::FocusAreaWithoutPlan(n) => {
                format!("Fokusområdet ”{n}” saknar aktivitetsplan")
            }
            AgreementFlag::ActivityWithoutEffectIndicator(n) => {
                format!("Aktiviteten ”{n}” saknar effektindikator")
            }
            AgreementFlag::NoPurpose => "Syfte saknas".into(),
            AgreementFlag::NoStatute => {
                "Hänvisar inte till lagen om kommuners brottsförebyggande arbete".into()
            }
            AgreementFlag::NoSituationReport => "Anger inte vilken lägesbild den bygger på".into(),
        }
    }
}

/// What the registry flags for an agreement.
pub fn agreement_flags(a: &Agreement) -> Vec<AgreementFlag> {
    let mut out = Vec::new();
    if a.purpose.trim().is_empty() {
        out.push(AgreementFlag::NoPurpose);
    }
    for f in &a.focus_areas {
        if !f.has_plan {
            out.push(AgreementFlag::FocusAreaWithoutPlan(f.name.clone()));
        }
        for act in f
            .activities
            .iter()
            .filter(|x| x.effect_indicator_id.is_none())
        {
            out.push(AgreementFlag::ActivityWithoutEffectIndicator(
                act.title.clone(),
            ));
        }
    }
    if a.kind == AgreementKind::Collaboration {
        if a.statutes.is_empty() {
            out.push(AgreementFlag::NoStatute);
        }
        if a.situation_report_id.is_none() {
            out.push(AgreementFlag::NoSituationReport);
        }
    }
    out
}

/// Checks an agreement. `known_sfs` are the registered statutes' SFS numbers.
pub fn validate_agreement(
    a: &Agreement,
    others: &[Agreement],
    known_sfs: &[String],
) -> Result<(), AreaRefusal> {
    area::required(&a.title, "title")?;
    area::short(&a.code, "code")?;
    area::long(&a.purpose, "purpose")?;
    area::long(&a.note, "note")?;
    area::date(a.valid_from.as_deref(), "valid_from")?;
    area::date(a.valid_to.as_deref(), "valid_to")?;
    if let (Some(f), Some(t)) = (&a.valid_from, &a.valid_to) {
        if t < f {
            return Err(AreaRefusal::EndBeforeStart);
        }
    }
    area::count(a.parties.len(), "parties")?;
    area::count(a.focus_areas.len(), "focus_areas")?;
    area::count(a.area_ids.len(), "areas")?;
    for p in &a.parties {
        area::required(&p.name, "party")?;
    }
    for f in &a.focus_areas {
        area::required(&f.name, "focus_area")?;
        area::count(f.activities.len(), "activities")?;
        for act in &f.activities {
            area::required(&act.title, "activity")?;
            for t in [
                &act.problem,
                &act.goal_short,
                &act.goal_long,
                &act.follow_up,
            ] {
                area::long(t, "activity_text")?;
            }
            area::short(&act.owner, "owner")?;
            area::short(&act.frequency, "frequency")?;
        }
    }
    for s in &a.statutes {
        crate::obligation::known_statute(s, known_sfs)?;
    }
    if !a.code.trim().is_empty()
        && others
            .iter()
            .any(|o| o.id != a.id && o.code.trim() == a.code.trim())
    {
        return Err(AreaRefusal::Duplicate(a.code.clone()));
    }
    Ok(())
}

/// The forums and agreements working in an area: those naming it or one of its
/// ancestors, and those naming no area (municipality-wide) when `with_general`.
pub fn active_in<'a, T>(
    items: &'a [T],
    area_ids: impl Fn(&T) -> &[Id],
    area_and_ancestors: &[Id],
    with_general: bool,
) -> Vec<&'a T> {
    items
        .iter()
        .filter(|i| {
            let ids = area_ids(i);
            (with_general && ids.is_empty()) || ids.iter().any(|a| area_and_ancestors.contains(a))
        })
        .collect()
}

/// Forums by whom they report to, for the registry's reporting-line view: each forum id
/// with the forums reporting to it.
pub fn reporting_tree(forums: &[Forum]) -> BTreeMap<Id, Vec<Id>> {
    let mut out: BTreeMap<Id, Vec<Id>> = BTreeMap::new();
    for f in forums {
        if let Some(to) = f.reports_to_forum {
            out.entry(to).or_default().push(f.id);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn forum(id: Id, name: &str) -> Forum {
        Forum {
            id,
            code: String::new(),
            name: name.into(),
            purpose: String::new(),
            chair: String::new(),
            members: vec![],
            cadence: String::new(),
            reports_to_unit: None,
            reports_to_forum: None,
            reports_what: String::new(),
            documented: Documented::No,
            evaluated_on: None,
            evaluation: String::new(),
            area_ids: vec![],
            council: None,
            meetings: vec![],
            note: String::new(),
        }
    }

    #[test]
    fn samordnarforum_is_flagged_for_everything_the_audit_found() {
        let f = forum(5, "Samordnarforum");
        assert_eq!(
            forum_flags(&f),
            vec![
                ForumFlag::NoPurpose,
                ForumFlag::NoReportingLine,
                ForumFlag::NotDocumented,
                ForumFlag::NeverEvaluated
            ]
        );
        let mut ok = forum(3, "Styrgruppen");
        ok.purpose = "Inriktning".into();
        ok.reports_to_unit = Some(2);
        ok.reports_what = "Lägesbilder".into();
        ok.documented = Documented::Yes;
        ok.evaluated_on = Some("2024-01-01".into());
        assert!(forum_flags(&ok).is_empty());
        ok.council = Some(Council {
            decision: "KS 2025-01-01 § 3".into(),
            led_by_municipality: true,
            partners_in_leading_positions: false,
            strategic_remit: true,
        });
        assert_eq!(forum_flags(&ok), vec![ForumFlag::CouncilNotQualified]);
    }

    #[test]
    fn the_2023_agreement_lacks_plans_law_and_lägesbild() {
        let a = Agreement {
            id: 1,
            code: "AG-2023-24".into(),
            kind: AgreementKind::Collaboration,
            title: "Samverkansöverenskommelse 2023–2024".into(),
            parties: vec![],
            valid_from: Some("2023-01-01".into()),
            valid_to: Some("2024-12-31".into()),
            purpose: "Ökad trygghet".into(),
            focus_areas: ["Trygghet i offentlig miljö", "Gängkriminalitet"]
                .iter()
                .enumerate()
                .map(|(i, n)| FocusArea {
                    id: i as Id,
                    name: n.to_string(),
                    has_plan: false,
                    activities: vec![],
                })
                .collect(),
            governing_forum_id: None,
            situation_report_id: None,
            statutes: vec![],
            area_ids: vec![],
            note: String::new(),
        };
        let flags = agreement_flags(&a);
        assert_eq!(flags.len(), 4, "{flags:?}");
        assert!(a.in_force("2024-06-01"));
        assert!(!a.in_force("2025-01-01"));
        assert_eq!(validate_agreement(&a, &[], &["2023:196".into()]), Ok(()));
        let mut wrong = a.clone();
        wrong.statutes = vec!["2023:193".into()];
        assert_eq!(
            validate_agreement(&wrong, &[], &["2023:196".into()]),
            Err(AreaRefusal::UnknownStatute(
                "2023:193".into(),
                Some("2023:196".into())
            ))
        );
    }
}
