//! `uppsikt bench …`: a synthetic large municipality and timings of evaluation, for the
//! scripts under `bench/`. Hidden from `--help`; not for production databases.

use std::time::{Duration, Instant};

use uppsikt_domain::deviation::{
    Action, ActionState, DecidingBody, Decision, Deviation, NewDeviation, Outcome, Severity, Source,
};
use uppsikt_domain::model::{GoalKind, OrgKind, Stage};
use uppsikt_domain::rollup::basis_by_goal;
use uppsikt_domain::{Breakdown, CommitmentStatus, Direction, Frequency, Period, Target};
use uppsikt_store::{
    AssessmentInput, CommitmentInput, GoalInput, IndicatorInput, OrgUnitInput, Scope, Store,
};

/// The shape of the synthetic municipality.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct Shape {
    #[arg(long, default_value_t = 20)]
    pub boards: usize,
    /// Goals in all (spread evenly over the boards).
    #[arg(long, default_value_t = 400)]
    pub goals: usize,
    /// Indicators in all (spread evenly over the goals).
    #[arg(long, default_value_t = 4000)]
    pub indicators: usize,
    #[arg(long, default_value_t = 15)]
    pub years: usize,
}

const FIRST_YEAR: i32 = 2010;
const AREAS: [&str; 2] = ["Område Norr", "Område Söder"];

/// A deterministic pseudo-random value in 0..1 (no RNG dependency; reproducible runs).
fn noise(a: usize, b: usize) -> f64 {
    let mut x = (a as u64)
        .wrapping_mul(6364136223846793005)
        .wrapping_add(b as u64)
        .wrapping_mul(1442695040888963407);
    x ^= x >> 33;
    (x % 10_000) as f64 / 10_000.0
}

/// Writes the synthetic municipality in one transaction per board.
pub async fn generate(store: &Store, shape: Shape) -> Result<(), uppsikt_store::StoreError> {
    let mut w = store
        .writer("bench", uppsikt_store::ChangeSource::Bench)
        .await?;
    let kommun = w
        .upsert_org_unit(&OrgUnitInput {
            key: "synth".into(),
            name: "Syntetiska kommunen".into(),
            short_name: "Synt".into(),
            kind: OrgKind::Kommun,
            parent_id: None,
            position: 0,
        })
        .await?;
    let kf = w
        .upsert_org_unit(&OrgUnitInput {
            key: "synth-kf".into(),
            name: "Kommunfullmäktige".into(),
            short_name: "SKF".into(),
            kind: OrgKind::Fullmaktige,
            parent_id: Some(kommun),
            position: 0,
        })
        .await?;
    let mut kf_goals = Vec::new();
    for i in 0..8 {
        kf_goals.push(
            w.upsert_goal(&GoalInput {
                key: format!("synth-kf-{i}"),
                org_id: kf,
                parent_id: None,
                title: format!("Övergripande mål {}", i + 1),
                description: String::new(),
                kind: GoalKind::Overall,
                position: i as i64,
            })
            .await?,
        );
    }
    w.commit().await?;
    let goals_per_board = shape.goals.div_ceil(shape.boards.max(1));
    let indicators_per_goal = shape.indicators.div_ceil(shape.goals.max(1));
    let mut goal_no = 0;
    let mut indicator_no = 0;
    for b in 0..shape.boards {
        let mut w = store
            .writer("bench", uppsikt_store::ChangeSource::Bench)
            .await?;
        let board = w
            .upsert_org_unit(&OrgUnitInput {
                key: format!("synth-board-{b}"),
                name: format!("Nämnd {}", b + 1),
                short_name: format!("N{}", b + 1),
                kind: OrgKind::Namnd,
                parent_id: Some(kf),
                position: b as i64 + 1,
            })
            .await?;
        for g in 0..goals_per_board {
            if goal_no >= shape.goals {
                break;
            }
            let goal = w
                .upsert_goal(&GoalInput {
                    key: format!("synth-goal-{goal_no}"),
                    org_id: board,
                    parent_id: Some(kf_goals[g % 8]),
                    title: format!("Nämndmål {} för nämnd {}", g + 1, b + 1),
                    description: "Ett syntetiskt mål.".into(),
                    kind: GoalKind::Board,
                    position: g as i64,
                })
                .await?;
            w.set_priorities(
                goal,
                &["Prioritering ett".into(), "Prioritering två".into()],
            )
            .await?;
            for i in 0..indicators_per_goal {
                if indicator_no >= shape.indicators {
                    break;
                }
                indicator(&mut w, goal, indicator_no, i, shape.years).await?;
                indicator_no += 1;
            }
            for c in 0..2 {
                let id = w
                    .upsert_commitment(&CommitmentInput {
                        key: format!("synth-c-{goal_no}-{c}"),
                        goal_id: goal,
                        title: format!("Åtagande {}", c + 1),
                        description: String::new(),
                        year: FIRST_YEAR + shape.years as i32 - 1,
                        carried_over_from: None,
                        position: c,
                    })
                    .await?;
                let status = if noise(goal_no, c as usize) < 0.7 {
                    CommitmentStatus::Done
                } else {
                    CommitmentStatus::NotDoneThisYear
                };
                w.add_commitment_status(
                    id,
                    &format!("{}-12-31", FIRST_YEAR + shape.years as i32 - 1),
                    status,
                    "",
                )
                .await?;
            }
            for y in 0..shape.years {
                let level = ["Mycket god", "God", "Godtagbar", "Ej godtagbar"]
                    [(noise(goal_no, y) * 4.0) as usize % 4];
                w.set_assessment(&AssessmentInput {
                    org_id: board,
                    goal_id: Some(goal),
                    period: Period::Year(FIRST_YEAR + y as i32),
                    stage: Stage::Decided,
                    level: level.into(),
                    motivation: String::new(),
                    author: "Nämnden".into(),
                    date: String::new(),
                })
                .await?;
            }
            goal_no += 1;
        }
        w.commit().await?;
    }
    Ok(())
}

async fn indicator(
    w: &mut uppsikt_store::Writer,
    goal: i64,
    no: usize,
    position: usize,
    years: usize,
) -> Result<(), uppsikt_store::StoreError> {
    let id = w
        .upsert_indicator(&IndicatorInput {
            key: format!("synth-i-{no}"),
            goal_id: goal,
            name: format!("Mått {no}"),
            unit: "%".into(),
            direction: if no.is_multiple_of(5) {
                Direction::Lower
            } else {
                Direction::Higher
            },
            // Every source kind the evaluation knows: a third surveys with a known number
            // of answers (margins derived per value), a third exact registers, a third
            // published margins; every other indicator judges its trend over the series.
            source: ["SCB:s medborgarundersökning", "SCB", "Syntetisk"][no % 3].into(),
            kolada_kpi: String::new(),
            decimals: 1,
            frequency: Frequency::Year,
            position: position as i64,
            margin_basis: (no % 3 == 2)
                .then_some(uppsikt_domain::uncertainty::MarginBasis::Published),
            trend_window: if no.is_multiple_of(2) {
                uppsikt_domain::indicator::TrendWindow::Series
            } else {
                uppsikt_domain::indicator::TrendWindow::LastTwo
            },
        })
        .await?;
    w.clear_indicator_series(id).await?;
    let base = 40.0 + 40.0 * noise(no, 0);
    let mut outcomes = Vec::with_capacity(years * 5);
    for y in 0..years {
        let period = Period::Year(FIRST_YEAR + y as i32);
        let total = (base + 10.0 * (noise(no, y + 1) - 0.5) + y as f64 * 0.3).clamp(0.0, 100.0);
        let breakdowns = [
            (Breakdown::Total, total),
            (Breakdown::Women, (total + 3.0).min(100.0)),
            (Breakdown::Men, (total - 3.0).max(0.0)),
            (Breakdown::Area(AREAS[0].into()), (total - 8.0).max(0.0)),
            (Breakdown::Area(AREAS[1].into()), (total + 8.0).min(100.0)),
        ];
        for (breakdown, value) in breakdowns {
            outcomes.push(uppsikt_domain::Outcome {
                period,
                breakdown,
                value: (value * 10.0).round() / 10.0,
                margin: Some(2.0),
                sample_size: None,
            });
        }
    }
    w.insert_outcomes(id, &outcomes).await?;
    for y in 0..years {
        let target = if y.is_multiple_of(3) {
            Target::Increase
        } else {
            Target::parse(&format!(">={:.1}", base + y as f64 * 0.3)).unwrap_or(Target::FollowOnly)
        };
        w.set_milestone(id, FIRST_YEAR + y as i32, Some(target))
            .await?;
    }
    Ok(())
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Times evaluating every goal: in memory (the pure domain evaluation and roll-up of all
/// goals) and from the database (loading all indicators, outcomes and commitments first).
pub async fn evaluate(store: &Store, rounds: usize) -> Result<(), uppsikt_store::StoreError> {
    let period = store
        .all_assessments()
        .await?
        .iter()
        .map(|a| a.period)
        .max()
        .unwrap_or(Period::Year(FIRST_YEAR));
    let mut load_times = Vec::new();
    let mut eval_times = Vec::new();
    let mut proposals = 0;
    for _ in 0..rounds.max(1) {
        let started = Instant::now();
        let goals = store.goals().await?;
        let records = store.indicator_records(Scope::All).await?;
        let commitments = store.commitments(Scope::All).await?;
        let (scale, rules) = store.assessment_config().await?;
        load_times.push(started.elapsed());
        let started = Instant::now();
        let tree: Vec<(i64, Option<i64>)> = goals.iter().map(|g| (g.id, g.parent_id)).collect();
        let basis = basis_by_goal(&tree, &records, &commitments, period);
        proposals = basis
            .values()
            .filter_map(|b| rules.propose(&scale, *b))
            .count();
        eval_times.push(started.elapsed());
        if records.is_empty() {
            break;
        }
    }
    let counts = store.counts().await?;
    println!(
        "goals={} indicators={} outcomes={} period={period} proposals={proposals}",
        counts.goals, counts.indicators, counts.outcomes
    );
    let eval_ms = median(eval_times).as_secs_f64() * 1000.0;
    let load_ms = median(load_times).as_secs_f64() * 1000.0;
    println!("evaluate_all_goals_ms={eval_ms:.2}");
    println!("load_all_from_database_ms={load_ms:.2}");
    println!("load_and_evaluate_all_goals_ms={:.2}", load_ms + eval_ms);
    Ok(())
}

/// Areas the synthetic deviations are spread over (besides none).
const DEVIATION_AREAS: [&str; 8] = [
    "Område Norr",
    "Område Söder",
    "Älvdalen",
    "Östra hamnen",
    "Åby",
    "Centrum",
    "Västra skogen",
    "Ängsbacken",
];

/// Writes `n` deviations over the existing units (30 % undecided, 10 % decided not to
/// act, the rest decided to act) and `actions` actions under those decided to act, in
/// every state, with due dates from 2019 to 2027: in one transaction through the store's
/// bulk write, logged as one change.
pub async fn deviations(
    store: &Store,
    n: usize,
    actions: usize,
) -> Result<(), uppsikt_store::StoreError> {
    let units: Vec<i64> = store.org_units().await?.iter().map(|u| u.id).collect();
    let indicators: Vec<i64> = store
        .indicator_choices()
        .await?
        .iter()
        .map(|(id, _, _)| *id)
        .collect();
    let mut list: Vec<Deviation> = (0..n).map(|i| synthetic_deviation(i, &units)).collect();
    let acting: Vec<usize> = (0..n)
        .filter(|i| matches!(&list[*i].decision, Some(d) if d.outcome == Outcome::Act))
        .collect();
    for i in 0..actions {
        if acting.is_empty() {
            break;
        }
        let action = synthetic_action(i, &units, &indicators);
        list[acting[i % acting.len()]].actions.push(action);
    }
    let mut w = store
        .writer("bench", uppsikt_store::ChangeSource::Bench)
        .await?;
    w.insert_deviations(&list).await?;
    w.commit().await
}

/// A reproducible date in `years` years from `from_year`.
fn synthetic_date(i: usize, salt: usize, from_year: usize, years: usize) -> String {
    let y = from_year + (noise(i, salt) * years as f64) as usize;
    let m = 1 + (noise(i, salt + 1) * 12.0) as usize;
    let d = 1 + (noise(i, salt + 2) * 28.0) as usize;
    format!("{y:04}-{m:02}-{d:02}")
}

fn synthetic_deviation(i: usize, units: &[i64]) -> Deviation {
    let raised_on = synthetic_date(i, 11, 2019, 7);
    let year = raised_on[..4].parse().unwrap_or(2019);
    let raised = NewDeviation {
        org_id: units[i % units.len()],
        area: (i % 10 < 8).then(|| DEVIATION_AREAS[i % 10].to_string()),
        source: Source::Other,
        severity: Severity::Medium,
        period: Period::Year(year),
        description: format!("Syntetisk avvikelse {i}"),
        cause_key: None,
    };
    let kind = noise(i, 17);
    let decision = (kind >= 0.3).then(|| Decision {
        body: DecidingBody::Board,
        decided_on: raised_on.clone(),
        paragraph: format!("§ {}", i % 200),
        diary_number: format!("SYN-{i}"),
        outcome: if kind >= 0.4 {
            Outcome::Act
        } else {
            Outcome::NoAction {
                motivation: "Ryms i ordinarie arbete".into(),
            }
        },
    });
    Deviation {
        decision,
        ..Deviation::new(raised, &raised_on)
    }
}

fn synthetic_action(i: usize, units: &[i64], indicators: &[i64]) -> Action {
    let (state, closed) = match (noise(i, 23) * 4.0) as usize {
        0 => (ActionState::Planned, false),
        1 => (ActionState::InProgress, false),
        2 => (ActionState::Done, true),
        _ => (ActionState::Cancelled, true),
    };
    Action {
        what: format!("Syntetisk åtgärd {i}"),
        responsible_unit: units[(i * 7) % units.len()],
        responsible_person: "Ansvarig".into(),
        due: synthetic_date(i, 31, 2019, 9),
        expected_effect: "Förväntad effekt".into(),
        indicator_id: (!indicators.is_empty() && !i.is_multiple_of(5))
            .then(|| indicators[(i * 13) % indicators.len()]),
        state,
        comments: Vec::new(),
        closed_on: closed.then(|| synthetic_date(i, 29, 2019, 8)),
    }
}

// --- bench/upload.sh: the files to upload ---------------------------------------------

/// What `uppsikt bench upload-files` writes: (file name, what it is).
pub const UPLOAD_FILES: [(&str, &str); 8] = [
    ("normal.csv", "a 20 MB CSV of outcomes"),
    (
        "errors.csv",
        "the same with an unknown indicator on every row",
    ),
    ("normal.xlsx", "a 20 MB XLSX of outcomes (rust_xlsxwriter)"),
    (
        "bomb.xlsx",
        "zip bomb: one cell of ~19 GiB of text, declared",
    ),
    ("lying.xlsx", "the same member declaring 4 kB"),
    ("shared.xlsx", "one 32 KiB shared string in every cell"),
    (
        "labelsst.xls",
        "one 8 000-character shared string in every LABELSST",
    ),
    (
        "repeated.ods",
        "one 100 kB cell repeated over 256 × 15 000 cells",
    ),
];

/// Near the largest upload (20 MiB), leaving room for the form around the file.
const UPLOAD_BYTES: usize = 20_000_000;

/// Writes the files of [`UPLOAD_FILES`] into `out`, the normal ones with the indicators'
/// `keys`; returns each file's name, size and what it is.
pub fn upload_files(
    keys: &[String],
    out: &std::path::Path,
) -> std::io::Result<Vec<(&'static str, usize, &'static str)>> {
    use uppsikt_import::table::samples;
    std::fs::create_dir_all(out)?;
    // Rows that fill a file of about UPLOAD_BYTES, from the size of a sample of them.
    let rows_for = |sample_rows: usize, sample: usize| UPLOAD_BYTES * sample_rows / sample;
    let csv = samples::outcomes_csv(
        keys,
        rows_for(10_000, samples::outcomes_csv(keys, 10_000).len()),
    );
    let xlsx_rows = rows_for(50_000, samples::outcomes_xlsx(keys, 50_000).len());
    let xlsx = samples::outcomes_xlsx(keys, xlsx_rows);
    // A 1 MiB chunk of one byte packs to about 1 KiB: as many as fill the file.
    let (one, two) = (
        samples::zip_bomb_xlsx(1 << 20).len(),
        samples::zip_bomb_xlsx(2 << 20).len(),
    );
    let chunks = ((UPLOAD_BYTES - one) / (two - one)) as u64;
    let bomb_text = chunks << 20;
    let shared_rows =
        200 * (UPLOAD_BYTES / samples::shared_string_xlsx(32 * 1024, 200).len()) as u64;
    let labels = (UPLOAD_BYTES - 20_000) / 14;
    let unknown: Vec<String> = keys.iter().map(|k| format!("okänt-{k}")).collect();
    let errors = samples::outcomes_csv(
        &unknown,
        rows_for(10_000, samples::outcomes_csv(&unknown, 10_000).len()),
    );
    let files: [(&str, Vec<u8>); 8] = [
        ("normal.csv", csv),
        ("errors.csv", errors),
        ("normal.xlsx", xlsx),
        ("bomb.xlsx", samples::zip_bomb_xlsx(bomb_text)),
        ("lying.xlsx", samples::lying_member_xlsx(bomb_text, 4096)),
        (
            "shared.xlsx",
            samples::shared_string_xlsx(32 * 1024, shared_rows * 95 / 100),
        ),
        ("labelsst.xls", samples::labelsst_xls(8_000, labels)),
        ("repeated.ods", samples::repeated_cell_ods(100_000, 15_000)),
    ];
    let mut written = Vec::new();
    for ((name, bytes), (_, what)) in files.into_iter().zip(UPLOAD_FILES) {
        std::fs::write(out.join(name), &bytes)?;
        written.push((name, bytes.len(), what));
    }
    Ok(written)
}
