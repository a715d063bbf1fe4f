//! `uppsikt bench audits`: a synthetic municipality's audits over many years (audits with
//! questions and recommendations to the boards, responses, yearly verdicts until the
//! auditors close a recommendation, re-issued ones), for `bench/audits.sh`; and
//! `uppsikt bench audit-report`, the time to build the auditors' follow-up report of a
//! year as PDF. Hidden from `--help`.

use uppsikt_domain::audit::{
    Assessment, AuditKind, Criterion, Grade, ResponseItem, Stance, SubQuestion,
};
use uppsikt_domain::case_ref::CaseRefFormat;
use uppsikt_domain::deviation::DecidingBody;
use uppsikt_domain::model::{Id, OrgKind};
use uppsikt_store::{
    AuditHeader, AuditInput, ChangeSource, QuestionInput, RecommendationInput, ResponseInput,
    Store, StoreError, VerdictInput,
};

/// The shape of the synthetic register.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct AuditShape {
    #[arg(long, default_value_t = 20)]
    pub years: usize,
    #[arg(long, default_value_t = 15)]
    pub audits: usize,
    #[arg(long, default_value_t = 8)]
    pub recommendations: usize,
}

/// The last year the synthetic audits cover (the follow-up report's year).
pub const LAST_YEAR: i32 = 2025;

const GRADES: [Grade; 4] = [
    Grade::PlannedNotStarted,
    Grade::PartlyImplemented,
    Grade::NotImplemented,
    Grade::PartlyImplemented,
];

/// Writes `audits` audits per year, each with five questions and `recommendations`
/// recommendations to one board (every fourth also to KS); two in three audits get their
/// boards' responses (one stance in eight a decline); every recommendation a verdict each
/// following year until one closes it (half of them are implemented after three years);
/// every fifth audit a follow-up that issues one of last year's recommendations again.
/// One transaction per audit. Answers the number of recommendations written and the board
/// that receives the most of them (the executive board, else the first board).
pub async fn generate(store: &Store, shape: AuditShape) -> Result<(usize, Id), StoreError> {
    let units = store.org_units().await?;
    let boards: Vec<Id> = units
        .iter()
        .filter(|u| matches!(u.kind, OrgKind::Styrelse | OrgKind::Namnd))
        .map(|u| u.id)
        .collect();
    let ks = units
        .iter()
        .find(|u| u.kind == OrgKind::Styrelse)
        .map_or(boards[0], |u| u.id);
    let format = CaseRefFormat::huddinge();
    let first = LAST_YEAR - shape.years as i32 + 1;
    let today = uppsikt_store::today();
    let mut previous_year: Vec<Id> = Vec::new();
    let mut written = 0;
    for year in first..=LAST_YEAR {
        let mut this_year = Vec::new();
        for k in 0..shape.audits {
            let board = boards[k % boards.len()];
            let follow_up = k % 5 == 4;
            let mut w = store.writer("bench", ChangeSource::Bench).await?;
            let questions: Vec<QuestionInput> = (1..=5u16)
                .map(|n| QuestionInput {
                    number: n,
                    text: format!("Revisionsfråga {n}: sker styrning och uppföljning i tillräcklig omfattning?"),
                    assessment: Some(Assessment::ALL[(n as usize + k) % 4]),
                    reasoning: if n == 5 { String::new() } else { "Syntetisk motivering med dokumentstudier och intervjuer.".into() },
                    sub_questions: vec![SubQuestion {
                        text: "Finns dokumenterad uppföljning?".into(),
                        assessment: Some(Assessment::Partly),
                    }],
                })
                .collect();
            let recommendations: Vec<RecommendationInput> = (0..shape.recommendations)
                .map(|r| RecommendationInput {
                    number: (r + 1).to_string(),
                    text: format!("Syntetisk rekommendation {} om tydligare uppföljning och återrapportering till nämnden", r + 1),
                    addressees: if r % 4 == 0 && board != ks { vec![board, ks] } else { vec![board] },
                    questions: vec![(r % 5) as u16 + 1],
                    reissues: (follow_up && r == 0).then(|| previous_year.get(k).copied()).flatten(),
                })
                .collect();
            let audit_id = w
                .create_audit(&AuditInput {
                    header: AuditHeader {
                        title: format!("Syntetisk granskning {year}:{}", k + 1),
                        plan_year: year,
                        kind: if follow_up {
                            AuditKind::FollowUp
                        } else {
                            AuditKind::Review
                        },
                        commissioned_by: "De förtroendevalda revisorerna".into(),
                        performed_by: "Revisionsbyrån AB".into(),
                        audited_units: vec![board],
                        case_ref: format.parse(&format!("KS-{year}/{}.912", 100 + k)).ok(),
                        issued_on: Some(format!("{year}-06-15")),
                        response_due: Some(format!("{year}-09-30")),
                        purpose:
                            "Att bedöma om nämnden har en ändamålsenlig styrning och uppföljning."
                                .into(),
                        scope: String::new(),
                        method: "Dokumentstudier och intervjuer.".into(),
                        criteria: vec![Criterion::parse("kommunallagen (2017:725) 6 kap. 6 §")],
                        fact_checked: true,
                        overall: Some(Assessment::Partly),
                        overall_text: String::new(),
                        signatories: vec!["Syntetisk revisor".into()],
                        follows_up: Vec::new(),
                    },
                    questions,
                    recommendations,
                })
                .await?;
            let audit = w.audit_in_tx(audit_id).await?;
            let rec_ids: Vec<Id> = audit.recommendations.iter().map(|r| r.id).collect();
            if k % 3 != 2 {
                for unit in audit.addressees() {
                    let items = audit
                        .recommendations
                        .iter()
                        .filter(|r| r.addressees.contains(&unit))
                        .enumerate()
                        .map(|(i, r)| ResponseItem {
                            recommendation_id: r.id,
                            stance: if i % 8 == 7 {
                                Stance::Declined("Hanteras inom ordinarie styrning.".into())
                            } else {
                                Stance::Accepted
                            },
                            comment: "Åtgärder planeras i verksamhetsplanen.".into(),
                        })
                        .collect();
                    w.record_response(
                        &ResponseInput {
                            audit_id,
                            unit_id: unit,
                            body: DecidingBody::Board,
                            document: "protokollsutdrag".into(),
                            decided_on: format!("{year}-11-15"),
                            paragraph: format!("§ {}", 10 + k),
                            case_ref: None,
                            items,
                        },
                        &today,
                    )
                    .await?;
                }
            }
            for (r, rec_id) in rec_ids.iter().enumerate() {
                for (n, vy) in (year + 1..=LAST_YEAR).enumerate() {
                    let implemented = r % 2 == 0 && n == 2;
                    let grade = if implemented {
                        Grade::Implemented
                    } else {
                        GRADES[(n + r) % 4]
                    };
                    w.record_verdict(
                        *rec_id,
                        &VerdictInput {
                            year: vy,
                            grade,
                            text: "Syntetisk bedömning av vidtagna åtgärder.".into(),
                            evidence: "Protokoll och intervjuer.".into(),
                            closes: false,
                        },
                    )
                    .await?;
                    if implemented {
                        break;
                    }
                }
            }
            written += rec_ids.len();
            this_year.push(rec_ids[0]);
            w.commit().await?;
        }
        previous_year = this_year;
    }
    Ok((written, ks))
}

/// The median time in milliseconds to build the auditors' follow-up report of `year` as
/// PDF from the database (loading included), over `rounds` rounds, with its size.
pub async fn time_report(store: &Store, year: i32, rounds: usize) -> Result<(f64, usize), String> {
    let mut times = Vec::new();
    let mut bytes = 0;
    for _ in 0..rounds.max(1) {
        let start = std::time::Instant::now();
        let report = uppsikt_report::audit::build(
            store,
            uppsikt_report::build::Request {
                subject: uppsikt_report::build::Subject::Municipality,
                kind: uppsikt_report::ReportKind::AuditFollowUp,
                year,
                tertial: None,
            },
        )
        .await
        .map_err(|e| e.to_string())?;
        let pdf = uppsikt_report::render(&report, uppsikt_report::Format::Pdf)
            .map_err(|e| e.to_string())?;
        times.push(start.elapsed().as_secs_f64() * 1000.0);
        bytes = pdf.len();
    }
    times.sort_by(f64::total_cmp);
    Ok((times[times.len() / 2], bytes))
}
