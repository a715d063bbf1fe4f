//! The demo's deviations: the automatic ones the demo data raises (indicators below their
//! milestone, commitments not finished in their year), and the deviations, decisions and
//! actions that the seeds themselves record. Some are left without a decision, as the
//! seeds leave them, so that the oversight view has something to show.
//!
//! Dates: where a seed gives a date (a meeting, a diarienummer) it is used. Where it only
//! says "under hösten 2019" or "våren 2020", the date is the end of that season; automatic
//! deviations are raised on 15 February the year after their period (when the annual
//! report is written). Paragraphs and diarienummer are left empty where the seeds give none.

use uppsikt_domain::deviation::{
    Action, ActionState, DecidingBody, Decision, NewDeviation, Outcome, Severity, Source,
};
use uppsikt_domain::model::Id;
use uppsikt_domain::Period;
use uppsikt_store::{Scope, Store, StoreError, Writer};

/// A deviation the seeds record, with what was decided and done about it.
struct Recorded {
    key: &'static str,
    unit: &'static str,
    area: Option<&'static str>,
    source: Source,
    severity: Severity,
    period: Period,
    raised_on: &'static str,
    description: &'static str,
    decision: Option<Decision>,
    actions: Vec<RecordedAction>,
}

struct RecordedAction {
    what: &'static str,
    unit: &'static str,
    person: &'static str,
    due: &'static str,
    effect: &'static str,
    /// The start of the linked indicator's name.
    indicator: Option<&'static str>,
    /// Steps after planned: (state, date, comment).
    steps: Vec<(ActionState, &'static str, &'static str)>,
}

fn decision(body: DecidingBody, on: &str, paragraph: &str, diary: &str) -> Option<Decision> {
    Some(Decision {
        body,
        decided_on: on.into(),
        paragraph: paragraph.into(),
        diary_number: diary.into(),
        outcome: Outcome::Act,
    })
}

fn recorded() -> Vec<Recorded> {
    use ActionState::*;
    vec![
        // Seed 004, Systematiska kontroller, Sund ekonomi.
        Recorded {
            key: "demo:ic-2019-leverantorsfakturor",
            unit: "Kommunstyrelsens förvaltning",
            area: None,
            source: Source::InternalControl,
            severity: Severity::Medium,
            period: Period::Year(2019),
            raised_on: "2019-12-31",
            description: "Kontrollen av leverantörsfakturor (månadsvisa stickprov) genomfördes inte enligt plan under kvartal 2–4 2019, på grund av sjukskrivning och underbemanning.",
            decision: decision(DecidingBody::Administration, "2019-12-31", "", ""),
            actions: vec![RecordedAction {
                what: "Återuppta de månadsvisa stickprovsgranskningarna av leverantörsfakturor",
                unit: "Kommunstyrelsens förvaltning",
                person: "Ekonomichef",
                due: "2020-03-31",
                effect: "Riktlinjerna för leverantörsfakturor kontrolleras varje månad igen.",
                indicator: None,
                steps: vec![],
            }],
        },
        // Seed 004, Systematiska kontroller: the graphic profile; no action recorded.
        Recorded {
            key: "demo:ic-2019-grafisk-profil",
            unit: "Kommunstyrelsens förvaltning",
            area: None,
            source: Source::InternalControl,
            severity: Severity::Low,
            period: Period::Year(2019),
            raised_on: "2019-12-31",
            description: "Kommunen uppfyller inte kraven i den grafiska profilen vad gäller skyltar; icke tillåtna undervarumärken förekommer inom undersökta grundskolor.",
            decision: None,
            actions: vec![],
        },
        // Seed 004, Ökad trivsel och trygghet: the analyses led to a coordinator.
        Recorded {
            key: "demo:trygghet-2019-flemingsberg",
            unit: "Kommunstyrelsen",
            area: Some("Flemingsberg"),
            source: Source::SituationReport,
            severity: Severity::High,
            period: Period::Year(2019),
            raised_on: "2019-06-30",
            description: "Trygghetsmätningen visar att vuxna i flera kommundelar känner sig otrygga kvällstid (lägst Vårby, 50 procent 2018); analyserna pekar ut Flemingsberg för insatser.",
            decision: decision(DecidingBody::Administration, "2019-08-31", "", ""),
            actions: vec![RecordedAction {
                what: "Anställa en operativ samordnare för trygghetsfrågor i Flemingsberg",
                unit: "Kommunstyrelsens förvaltning",
                person: "Operativ samordnare",
                due: "2019-12-31",
                effect: "Fler invånare känner sig trygga utomhus när det är mörkt.",
                indicator: Some("Trygg utomhus"),
                steps: vec![
                    (InProgress, "2019-09-01", "Rekryteringen påbörjad."),
                    (Done, "2019-11-30", "Samordnaren anställdes under hösten 2019."),
                ],
            }],
        },
        // Seed 003: the KS reply to the 2019 audit of internal control.
        Recorded {
            key: "demo:revision-2019-intern-kontroll",
            unit: "Kommunstyrelsen",
            area: None,
            source: Source::AuditRemark,
            severity: Severity::High,
            period: Period::Year(2019),
            raised_on: "2020-01-31",
            description: "Revisionens granskning 2019: kommunstyrelsens interna kontroll behöver stärkas.",
            decision: decision(DecidingBody::Administration, "2020-06-22", "", "KS-2020/716.912"),
            actions: vec![RecordedAction {
                what: "Genomföra åtgärderna i svaret på granskningen av intern kontroll",
                unit: "Kommunstyrelsens förvaltning",
                person: "Kommundirektör",
                due: "2021-12-31",
                effect: "Revisionens uppföljning bedömer att bristerna är åtgärdade.",
                indicator: None,
                steps: vec![(
                    InProgress,
                    "2021-12-31",
                    "Åtgärderna är inte fullföljda: försenade på grund av vakanser under större delen av 2021. En översyn planeras våren 2022.",
                )],
            }],
        },
        // Seed 003: Grundskolenämnden backed the recommendations (2020-09-01 § 9).
        Recorded {
            key: "demo:revision-2019-resursfordelning",
            unit: "Grundskolenämnden",
            area: None,
            source: Source::AuditRemark,
            severity: Severity::Medium,
            period: Period::Year(2019),
            raised_on: "2020-01-31",
            description: "Revisionens granskning 2019: resursfördelningen till grundskolan tar inte tillräcklig hänsyn till elevernas förutsättningar.",
            decision: decision(DecidingBody::Board, "2020-09-01", "§ 9", ""),
            actions: vec![RecordedAction {
                what: "Införa en ny socioekonomisk resursfördelningsmodell stegvis (75/25 år 2021, 50/50 år 2022)",
                unit: "Grundskolenämnden",
                person: "Förvaltningschef",
                due: "2022-12-31",
                effect: "Resurserna följer elevernas behov bättre.",
                indicator: None,
                steps: vec![
                    (InProgress, "2021-01-01", "Steg 1: 75/25."),
                    (Done, "2022-01-01", "Steg 2: 50/50."),
                ],
            }],
        },
        // Seed 002's findings that the overall lägesbild 2023 (Vårby at level 5) never
        // reached KS, and that there is no åtgärdsplan after 1 July 2024, are raised by the
        // rules from demo/safety.toml (the situation reports' and the duties' sources), not
        // recorded here.
        // Seed 000: "Leder identifierade avvikelser till beslut om åtgärder? Nej".
        Recorded {
            key: "demo:revision-2024-utsatta-omraden",
            unit: "Kommunstyrelsen",
            area: None,
            source: Source::AuditRemark,
            severity: Severity::High,
            period: Period::Year(2024),
            raised_on: "2024-12-31",
            description: "Revisionen 2024 om arbetet med utsatta områden: identifierade avvikelser leder inte till beslut om åtgärder, och någon områdesspecifik uppföljning genomförs inte.",
            decision: None,
            actions: vec![],
        },
    ]
}

async fn unit_id(store: &Store, name: &str) -> Result<Id, StoreError> {
    store
        .org_units()
        .await?
        .into_iter()
        .find(|u| u.name == name)
        .map(|u| u.id)
        .ok_or_else(|| StoreError::not_found("org unit", name))
}

/// Raises the demo's deviations and records what the seeds record about them. Running it
/// again adds nothing: every deviation has a cause key. Returns how many were raised.
pub async fn load_demo_deviations(store: &Store, actor: &str) -> Result<usize, StoreError> {
    let today = uppsikt_store::today();
    let mut w = store
        .writer(actor, uppsikt_store::ChangeSource::Demo)
        .await?;
    let mut raised = 0;
    // The years the demo's reports follow up: KS 2019, KF 2021–2023.
    let due = store.automatic_deviations(&today, 2019).await?;
    let mut years: Vec<i32> = due.iter().map(|d| d.period.year()).collect();
    years.sort_unstable();
    years.dedup();
    for year in years {
        let of_year: Vec<NewDeviation> = due
            .iter()
            .filter(|d| d.period.year() == year)
            .cloned()
            .collect();
        raised += w
            .raise_deviations(of_year, &format!("{}-02-15", year + 1))
            .await?
            .len();
    }
    raised_valfrihet(store, &mut w).await?;
    for r in recorded() {
        let new = NewDeviation {
            org_id: unit_id(store, r.unit).await?,
            area: r.area.map(String::from),
            source: r.source,
            severity: r.severity,
            period: r.period,
            description: r.description.into(),
            cause_key: Some(r.key.into()),
        };
        let Some(id) = w.raise_deviations(vec![new], r.raised_on).await?.pop() else {
            continue; // raised before
        };
        raised += 1;
        record(store, &mut w, id, r.decision, r.actions).await?;
    }
    w.commit().await?;
    Ok(raised)
}

/// Seed 004, Ökad valfrihet: the strategy for competition, choice and new establishment
/// was not finished in 2019; "arbetet … fortgår under våren 2020".
async fn raised_valfrihet(store: &Store, w: &mut Writer) -> Result<(), StoreError> {
    let Some(commitment) = store
        .commitments(Scope::All)
        .await?
        .into_iter()
        .find(|c| c.year == 2019 && c.title.starts_with("Strategi för konkurrensprövning"))
    else {
        return Ok(());
    };
    let key = format!("commitment:{}:unfinished:2019", commitment.id);
    let found: Option<i64> = w.deviation_by_cause(&key).await?;
    let Some(id) = found else {
        return Ok(());
    };
    if w.deviation_is_decided(id).await? {
        return Ok(());
    }
    let action = RecordedAction {
        what: "Slutföra styrdokumentet för konkurrensprövning, valfrihet och nyetablering",
        unit: "Kommunstyrelsens förvaltning",
        person: "Projektledare",
        due: "2020-06-30",
        effect: "Ett beslutat styrdokument för konkurrensprövning, valfrihet och nyetablering.",
        indicator: None,
        steps: vec![(
            ActionState::InProgress,
            "2019-12-31",
            "Projektet startade i augusti 2019 och bedrivs tillsammans med fackförvaltningarna; arbetet fortgår under våren 2020.",
        )],
    };
    let decided = decision(DecidingBody::Administration, "2019-12-31", "", "");
    record(store, w, id, decided, vec![action]).await
}

async fn record(
    store: &Store,
    w: &mut Writer,
    id: Id,
    decision: Option<Decision>,
    actions: Vec<RecordedAction>,
) -> Result<(), StoreError> {
    let Some(decision) = decision else {
        return Ok(());
    };
    w.decide_deviation(id, &decision).await?;
    let indicators = store.indicator_records(Scope::All).await?;
    for a in actions {
        let indicator_id = a.indicator.and_then(|name| {
            indicators
                .iter()
                .find(|i| i.indicator.name.starts_with(name))
                .map(|i| i.indicator.id)
        });
        let action = Action {
            what: a.what.into(),
            responsible_unit: unit_id(store, a.unit).await?,
            responsible_person: a.person.into(),
            due: a.due.into(),
            expected_effect: a.effect.into(),
            indicator_id,
            state: ActionState::Planned,
            comments: Vec::new(),
            closed_on: None,
        };
        let action_id = w.add_deviation_action(id, &action).await?;
        for (state, on, comment) in a.steps {
            w.advance_deviation_action(action_id, state, on, comment)
                .await?;
        }
    }
    Ok(())
}
