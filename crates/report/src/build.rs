//! Builds a [`Report`] from the store: the goals part for one unit or the whole
//! municipality, and any further parts that modules contribute.

use std::collections::HashMap;

use uppsikt_domain::model::{Commitment, Id, IndicatorRecord, OrgUnit};
use uppsikt_domain::{Breakdown, Period};
use uppsikt_store::{BoxFuture, Scope, Store};

use crate::chart;
use crate::followup::{self, AssessmentView, BoardView, GoalSummary};
use crate::model::{
    Badge, Block, Chart, MeasureValues, PeriodEvaluation, Report, ReportKind, ReportMeta, Section,
    Table,
};
use uppsikt_domain::publication::Audience;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Store(#[from] uppsikt_store::StoreError),
    /// A request that cannot be built, with a Swedish message for the user.
    #[error("{0}")]
    Invalid(String),
}

pub type Result<T, E = ReportError> = std::result::Result<T, E>;

/// Whose report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// One board, committee or company.
    Unit(Id),
    /// Every unit that has goals, consolidated.
    Municipality,
}

/// Which version of a report: what the board decides, or the controller's working copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Version {
    /// Nämndversion: the chapters the board decides and publishes (vision, criteria,
    /// goals, personnel); decided levels without the system's proposal; the data version
    /// only in the document's metadata.
    #[default]
    Board,
    /// Arbetsversion: as the board version plus the system's proposals beside the levels
    /// and the data version on the cover, for the controller's checking.
    Working,
}

impl Version {
    pub fn code(self) -> &'static str {
        match self {
            Version::Board => "board",
            Version::Working => "working",
        }
    }

    pub fn parse(code: &str) -> Option<Version> {
        match code.trim() {
            "board" => Some(Version::Board),
            "working" => Some(Version::Working),
            _ => None,
        }
    }

    pub fn label_sv(self) -> &'static str {
        match self {
            Version::Board => "Nämndversion",
            Version::Working => "Arbetsversion",
        }
    }
}

/// How a report is built beyond its [`Request`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Options {
    pub version: Version,
    /// Whether the oversight of deviations is a chapter (counted as of the day the
    /// report is built: the store keeps no dated state of deviations yet).
    pub oversight: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request {
    pub subject: Subject,
    pub kind: ReportKind,
    pub year: i32,
    /// For a delårsrapport: 1 (per 30 April) or 2 (per 31 August).
    pub tertial: Option<u8>,
}

impl Request {
    /// The period the report covers, or a Swedish message why the request is invalid.
    pub fn period(&self) -> Result<Period> {
        match (self.kind, self.tertial) {
            (
                ReportKind::Verksamhetsberattelse
                | ReportKind::Verksamhetsplan
                | ReportKind::InternalControlFollowUp
                | ReportKind::AuditFollowUp
                | ReportKind::AreaFollowUp
                | ReportKind::CrimePrevention,
                None,
            ) => Ok(Period::Year(self.year)),
            (ReportKind::AreaFollowUp, Some(t @ 1..=3)) => Ok(Period::Tertial(self.year, t)),
            (ReportKind::AreaFollowUp, Some(_)) => Err(ReportError::Invalid(
                "En områdesuppföljning avser tertial 1, 2 eller 3 (till exempel 2023T3) eller ett helt år."
                    .into(),
            )),
            (ReportKind::CrimePrevention, Some(_)) => Err(ReportError::Invalid(
                "Redovisningen av det brottsförebyggande arbetet till kommunfullmäktige avser ett helt år; ange inget tertial."
                    .into(),
            )),
            (ReportKind::Delarsrapport, Some(t @ (1 | 2))) => Ok(Period::Tertial(self.year, t)),
            (ReportKind::Delarsrapport, _) => Err(ReportError::Invalid(
                "En delårsrapport avser tertial 1 (per 30 april) eller tertial 2 (per 31 augusti)."
                    .into(),
            )),
            (ReportKind::Verksamhetsberattelse, Some(_)) => Err(ReportError::Invalid(
                "En verksamhetsberättelse avser ett helt år; ange inget tertial.".into(),
            )),
            (ReportKind::Verksamhetsplan, Some(_)) => Err(ReportError::Invalid(
                "En verksamhetsplan avser ett helt år; ange inget tertial.".into(),
            )),
            (ReportKind::InternalControlFollowUp, Some(_)) => Err(ReportError::Invalid(
                "En uppföljning av internkontrollplanen avser planens år; ange inget tertial."
                    .into(),
            )),
            (ReportKind::AuditFollowUp, Some(_)) => Err(ReportError::Invalid(
                "En uppföljning av revisionens rekommendationer avser revisorernas uppföljningsår; ange inget tertial."
                    .into(),
            )),
        }
    }
}

fn period_label(period: Period) -> String {
    match period {
        Period::Tertial(y, 1) => format!("per 30 april {y}"),
        Period::Tertial(y, 2) => format!("per 31 augusti {y}"),
        Period::Year(y) => format!("1 januari–31 december {y}"),
        other => other.label_sv(),
    }
}

/// What every part of a report can read: the request and, loaded once for all parts,
/// each unit's follow-up view, indicators (with all their data) and commitments.
pub struct Context<'a> {
    pub store: &'a Store,
    pub request: Request,
    pub period: Period,
    pub units: Vec<UnitData>,
    pub options: Options,
}

/// One unit's data for the report.
pub struct UnitData {
    pub unit: OrgUnit,
    pub board: BoardView,
    pub records: Vec<IndicatorRecord>,
    pub commitments: Vec<Commitment>,
}

impl UnitData {
    /// The unit's data as it stood at the end of `period`: nothing of a later period.
    pub(crate) async fn load(store: &Store, unit: OrgUnit, period: Period) -> Result<UnitData> {
        Ok(UnitData {
            // Reports are built for signed-in readers (a guard on every report route).
            board: followup::board(store, unit.id, Some(period), &Audience::SignedIn).await?,
            records: store
                .indicator_records(Scope::Org(unit.id))
                .await?
                .into_iter()
                .map(|r| r.until(period))
                .collect(),
            commitments: store.commitments(Scope::Org(unit.id)).await?,
            unit,
        })
    }
}

impl Context<'_> {
    /// Whether this is the board version (no system proposals, no data version shown).
    pub fn board_version(&self) -> bool {
        self.options.version == Version::Board
    }

    /// A municipality-wide report consolidates every unit: measures show the period's
    /// outcome, milestone, status and trend only; outcomes over time, breakdowns and
    /// charts are in each unit's own report and in the workbook.
    pub fn consolidated(&self) -> bool {
        self.request.subject == Subject::Municipality
    }
}

/// A part of a report: a module's contribution of sections (goals, the oversight of
/// deviations; internal control, audits, budget and areas later).
pub trait ReportPart: Send + Sync {
    fn sections<'a>(&'a self, ctx: &'a Context<'a>) -> BoxFuture<'a, Result<Vec<Section>>>;
}

/// The goals and indicators part.
pub struct GoalsPart;

impl ReportPart for GoalsPart {
    fn sections<'a>(&'a self, ctx: &'a Context<'a>) -> BoxFuture<'a, Result<Vec<Section>>> {
        Box::pin(async move {
            let mut out = Vec::new();
            for unit in &ctx.units {
                out.push(unit_section(ctx, unit).await?);
            }
            Ok(out)
        })
    }
}

/// Builds the board version of the report ([`Options::default`]).
pub async fn build(store: &Store, request: Request) -> Result<Report> {
    build_as(store, request, Options::default()).await
}

/// Builds the report in a version: the chapters are vision and styrmodell, the criteria
/// for goal fulfilment, the goals, personnel and internal control; the oversight of deviations is a chapter
/// only when chosen. Its figures are counted as of the day the report is built (the
/// store keeps no dated state of deviations yet), and its heading says so. A
/// verksamhetsplan is built by [`crate::plan::build`], a follow-up of an internal-control
/// plan by [`crate::internal_control::build`].
pub async fn build_as(store: &Store, request: Request, options: Options) -> Result<Report> {
    match request.kind {
        ReportKind::Verksamhetsplan => return crate::plan::build(store, request).await,
        ReportKind::InternalControlFollowUp => {
            return crate::internal_control::build(store, request).await
        }
        ReportKind::AuditFollowUp => return crate::audit::build(store, request).await,
        ReportKind::AreaFollowUp => return crate::area::build(store, request, true).await,
        ReportKind::CrimePrevention => return crate::safety::build(store, request, true).await,
        ReportKind::Verksamhetsberattelse | ReportKind::Delarsrapport => {}
    }
    let today = uppsikt_store::today();
    let oversight = crate::oversight::OversightPart {
        today: today.clone(),
    };
    let internal_control = crate::internal_control::InternalControlPart { today };
    // Reports are built for signed-in readers (a guard on every report route).
    let economy = crate::economy::EconomyPart {
        audience: Audience::SignedIn,
    };
    let mut parts: Vec<&dyn ReportPart> = vec![
        &crate::chapters::VisionPart,
        &crate::chapters::CriteriaPart,
        &GoalsPart,
        &crate::chapters::PersonnelPart,
        &economy,
        &internal_control,
    ];
    if options.oversight {
        parts.push(&oversight);
    }
    build_with_options(store, request, options, &parts).await
}

/// Builds a report for the public (no sign-in): the area follow-up and the report on
/// crime prevention, with the levels of only the situation reports marked public
/// (`uppsikt_domain::situation::visible_levels`). The other reports have no public
/// build: they are refused in Swedish.
pub async fn build_public(store: &Store, request: Request) -> Result<Report> {
    match request.kind {
        ReportKind::AreaFollowUp => crate::area::build(store, request, false).await,
        ReportKind::CrimePrevention => crate::safety::build(store, request, false).await,
        _ => Err(ReportError::Invalid(format!(
            "{} finns inte i en offentlig version.",
            request.kind.label_sv()
        ))),
    }
}

/// Builds the board version from the given parts, in order.
pub async fn build_with(
    store: &Store,
    request: Request,
    parts: &[&dyn ReportPart],
) -> Result<Report> {
    build_with_options(store, request, Options::default(), parts).await
}

/// Builds the report in a version from the given parts, in order.
pub async fn build_with_options(
    store: &Store,
    request: Request,
    options: Options,
    parts: &[&dyn ReportPart],
) -> Result<Report> {
    let period = request.period()?;
    let data_version = store.data_version().await?;
    let all_units = store.org_units().await?;
    let goals = store.goals().await?;
    let units: Vec<OrgUnit> = match request.subject {
        Subject::Unit(id) => vec![store.org_unit(id).await?],
        Subject::Municipality => all_units
            .iter()
            .filter(|u| goals.iter().any(|g| g.org_id == u.id))
            .cloned()
            .collect(),
    };
    if units.is_empty() {
        return Err(ReportError::Invalid(
            "Det finns inga mål att rapportera.".into(),
        ));
    }
    let organisation = all_units
        .iter()
        .find(|u| u.parent_id.is_none())
        .map(|u| u.name.clone())
        .unwrap_or_else(|| units[0].name.clone());
    let subject = match request.subject {
        Subject::Unit(_) => units[0].name.clone(),
        Subject::Municipality => format!("{organisation} – alla nämnder och styrelser"),
    };
    let mut loaded = Vec::with_capacity(units.len());
    for unit in units {
        loaded.push(UnitData::load(store, unit, period).await?);
    }
    let ctx = Context {
        store,
        request,
        period,
        units: loaded,
        options,
    };
    let mut sections = Vec::new();
    for part in parts {
        sections.extend(part.sections(&ctx).await?);
    }
    let summary = summary(&ctx).await?;
    let measures = measures(&ctx);
    let title = match request.kind {
        ReportKind::Verksamhetsberattelse => format!("Verksamhetsberättelse {}", request.year),
        ReportKind::Delarsrapport => format!("Delårsrapport {}", period_label(period)),
        ReportKind::Verksamhetsplan => format!("Verksamhetsplan {}", request.year),
        ReportKind::InternalControlFollowUp => {
            format!("Uppföljning av internkontrollplan {}", request.year)
        }
        ReportKind::AuditFollowUp => {
            format!("{} {}", crate::audit::REPORT_TITLE, request.year)
        }
        ReportKind::AreaFollowUp | ReportKind::CrimePrevention => {
            format!("{} {}", request.kind.label_sv(), period_label(period))
        }
    };
    let meta = ReportMeta {
        kind: request.kind,
        title,
        subject,
        organisation,
        period,
        period_label: period_label(period),
        data_version,
        generated_at: String::new(),
        version: options.version,
        draft_note: None,
        decided_href: None,
    };
    Ok(Report {
        meta,
        summary,
        sections,
        measures,
    })
}

fn badge(level: Option<&str>, position: Option<usize>, scale_len: usize) -> Badge {
    match level {
        None => Badge {
            text: "Ej bedömd".into(),
            tone: None,
        },
        Some(l) => Badge {
            text: l.to_string(),
            tone: position.map(|p| {
                if scale_len <= 1 {
                    0
                } else {
                    ((p * 3 + (scale_len - 2)) / (scale_len - 1)) as u8
                }
            }),
        },
    }
}

/// The badge beside a heading: the decided level, else a person's proposal, else (in the
/// working version only) the system's.
fn heading_badge(a: &AssessmentView, working: bool) -> Option<Badge> {
    if let Some(d) = &a.decided {
        return Some(badge(Some(&d.level), a.decided_position, a.scale_len));
    }
    if let Some(p) = &a.proposed {
        return Some(Badge {
            text: format!("{} (förslag)", p.level),
            ..badge(Some(&p.level), a.proposed_position, a.scale_len)
        });
    }
    a.system.as_ref().filter(|_| working).map(|s| Badge {
        text: format!("{} (systemets förslag)", s.level),
        ..badge(Some(&s.level), Some(s.position), a.scale_len)
    })
}

/// Decided and proposed levels; the working version adds the system's proposal.
fn assessment_block(a: &AssessmentView, working: bool) -> Vec<Block> {
    let mut entries = vec![(
        "Beslutad".to_string(),
        badge(
            a.decided.as_ref().map(|d| d.level.as_str()),
            a.decided_position,
            a.scale_len,
        ),
    )];
    if let Some(p) = &a.proposed {
        entries.push((
            "Föreslagen".into(),
            badge(Some(&p.level), a.proposed_position, a.scale_len),
        ));
    }
    if working {
        entries.push((
            "Systemets förslag".into(),
            match &a.system {
                Some(s) => Badge {
                    text: format!("{} ({} uppfyllt)", s.level, a.system_share()),
                    ..badge(Some(&s.level), Some(s.position), a.scale_len)
                },
                None => Badge {
                    text: "Underlag saknas".into(),
                    tone: None,
                },
            },
        ));
    }
    let mut blocks = vec![Block::Assessment {
        entries,
        basis: format!("{}.", a.basis.summary_sv()),
    }];
    if let Some(d) = a.decided.as_ref().filter(|d| !d.motivation.is_empty()) {
        blocks.push(Block::Labeled {
            label: "Motivering".into(),
            text: d.motivation.clone(),
        });
    }
    blocks
}

async fn unit_section(ctx: &Context<'_>, data: &UnitData) -> Result<Section> {
    let UnitData {
        unit,
        board,
        records,
        commitments,
    } = data;
    let mut section = Section::new(unit.name.clone());
    section.badge = heading_badge(&board.overall, !ctx.board_version());
    // A report on one unit has its overall assessment in the summary already.
    if ctx.consolidated() {
        section.blocks.push(Block::Paragraph {
            text: format!(
                "Sammanvägd måluppfyllelse för {} {}.",
                unit.name,
                period_label(ctx.period)
            ),
        });
        section
            .blocks
            .extend(assessment_block(&board.overall, !ctx.board_version()));
        section.children.extend(review_sections(board));
    }
    section
        .blocks
        .push(Block::Table(goal_table(board, !ctx.board_version())));
    for s in &board.sections {
        let mut group = match &s.parent {
            Some(parent) => {
                let mut g = Section::new(parent.goal.title.clone());
                g.badge = heading_badge(&parent.assessment, !ctx.board_version());
                g.blocks.push(Block::Paragraph {
                    text: format!(
                        "{}. {} bedömning av bidraget till målet.",
                        parent.goal.kind.label_sv(),
                        board.org_genitive()
                    ),
                });
                g.blocks
                    .extend(assessment_block(&parent.assessment, !ctx.board_version()));
                g
            }
            None => Section::new("Egna mål"),
        };
        for goal in &s.goals {
            group
                .children
                .push(goal_section(ctx, goal, records, commitments).await?);
        }
        section.children.push(group);
    }
    Ok(section)
}

fn goal_table(board: &BoardView, working: bool) -> Table {
    let rows = board
        .sections
        .iter()
        .flat_map(|s| s.goals.iter().map(move |g| (s, g)))
        .map(|(s, g)| {
            vec![
                g.goal.title.clone(),
                s.parent
                    .as_ref()
                    .map(|p| p.goal.title.clone())
                    .unwrap_or_default(),
                g.assessment
                    .decided
                    .as_ref()
                    .map(|d| d.level.clone())
                    .unwrap_or_else(|| "Ej beslutad".into()),
                g.assessment.system_level(),
                g.assessment.basis.summary_sv(),
            ]
        })
        .collect();
    without_system(
        Table {
            caption: format!("Måluppfyllelse per mål, {}", board.org.name),
            columns: [
                "Mål",
                "Övergripande mål",
                "Beslutad",
                "Systemets förslag",
                "Underlag",
            ]
            .map(String::from)
            .to_vec(),
            rows,
            row_headers: true,
        },
        working,
    )
}

/// The table without its "Systemets förslag" column, unless in the working version.
fn without_system(mut table: Table, working: bool) -> Table {
    if working {
        return table;
    }
    if let Some(c) = table.columns.iter().position(|c| c == "Systemets förslag") {
        table.columns.remove(c);
        for row in &mut table.rows {
            if c < row.len() {
                row.remove(c);
            }
        }
    }
    table
}

async fn goal_section(
    ctx: &Context<'_>,
    g: &GoalSummary,
    records: &[IndicatorRecord],
    commitments: &[Commitment],
) -> Result<Section> {
    let mut s = Section::new(g.goal.title.clone());
    s.badge = heading_badge(&g.assessment, !ctx.board_version());
    s.blocks
        .extend(assessment_block(&g.assessment, !ctx.board_version()));
    if !g.goal.description.is_empty() {
        s.blocks.push(Block::Paragraph {
            text: g.goal.description.clone(),
        });
    }
    let priorities = ctx.store.priorities(g.goal.id).await?;
    if !priorities.is_empty() {
        s.blocks.push(Block::List {
            title: Some("Särskilt prioriterat".into()),
            items: priorities,
        });
    }
    let analysis = ctx
        .store
        .analyses(g.goal.id)
        .await?
        .into_iter()
        .find(|a| a.period == ctx.period || a.period == Period::Year(ctx.period.year()));
    if let Some(a) = analysis {
        s.blocks.push(Block::Labeled {
            label: "Analys".into(),
            text: a.text,
        });
    }
    let own: Vec<&IndicatorRecord> = records
        .iter()
        .filter(|r| r.indicator.goal_id == g.goal.id)
        .collect();
    let attribution = own.iter().any(|r| r.kolada).then(|| Block::Paragraph {
        text: format!("{}.", uppsikt_domain::kolada::ATTRIBUTION),
    });
    if ctx.consolidated() && !own.is_empty() {
        s.blocks.push(Block::Table(compact_measures_table(
            &g.goal.title,
            &own,
            ctx.period,
        )));
        s.blocks.extend(attribution);
    } else if !own.is_empty() {
        s.blocks.push(Block::Table(measures_table(
            &g.goal.title,
            &own,
            ctx.period,
        )));
        s.blocks.extend(attribution);
        for r in own.iter().filter(|r| chartable(r)) {
            let title = format!("{} över tid", r.indicator.name);
            s.blocks.push(Block::Chart(Chart {
                alt: chart::describe_record(r),
                svg: chart::line_chart(r, &title, &format!("chart-{}", r.indicator.id)),
                title,
            }));
            s.blocks.push(Block::Table(chart::data_table(
                r,
                &format!("{}: diagrammets värden", r.indicator.name),
            )));
        }
    }
    for c in commitments
        .iter()
        .filter(|c| c.goal_id == g.goal.id && c.year == ctx.period.year())
    {
        let row = followup::commitment_row(c, ctx.period);
        s.blocks.push(Block::Commitment {
            title: c.title.clone(),
            description: c.description.clone(),
            done: row.status_code == "done",
            status: row.status,
            comment: row.comment,
        });
    }
    Ok(s)
}

/// A chart is worth drawing from three total values on.
fn chartable(r: &IndicatorRecord) -> bool {
    r.outcomes
        .iter()
        .filter(|o| o.breakdown == Breakdown::Total)
        .count()
        >= 3
}

/// One line per measure: the period's outcome, milestone, status and trend.
fn compact_measures_table(goal: &str, records: &[&IndicatorRecord], period: Period) -> Table {
    let rows = records
        .iter()
        .map(|r| {
            let m = followup::measure_row(r, period);
            let latest = m
                .values
                .first()
                .map(|(p, v)| format!("{v} ({p})"))
                .unwrap_or_else(|| "Inget utfall".into());
            vec![m.name, latest, m.milestone, m.status_label, m.trend]
        })
        .collect();
    Table {
        caption: format!("Mått för {goal}"),
        columns: ["Mått", "Utfall", "Etappmål", "Status", "Trend"]
            .map(String::from)
            .to_vec(),
        rows,
        row_headers: true,
    }
}

pub(crate) fn measures_table(goal: &str, records: &[&IndicatorRecord], period: Period) -> Table {
    let rows = records
        .iter()
        .map(|r| {
            let m = followup::measure_row(r, period);
            let values: Vec<String> = m.values.iter().map(|(p, v)| format!("{p}: {v}")).collect();
            let mut target = vec![];
            if !m.milestone.is_empty() {
                target.push(m.milestone.clone());
            }
            target.extend(m.targets.iter().cloned());
            target.push(m.status_label.clone());
            vec![
                m.name.clone(),
                format!("{}\nTrend: {}", values.join("\n"), m.trend),
                target.join("\n"),
                m.rankings.join("\n"),
                m.gender.join("\n"),
                m.areas.join("\n"),
                m.gaps.join("\n"),
            ]
        })
        .collect();
    Table {
        caption: format!("Mått för {goal}"),
        columns: [
            "Mått",
            "Utfall & trend",
            "Etappmål & status",
            "Ranking & genomsnitt",
            "Kön",
            "Område",
            "Omotiverade skillnader?",
        ]
        .map(String::from)
        .to_vec(),
        rows,
        row_headers: true,
    }
    .without_empty_columns()
}

/// The summary chapter: for one unit its overall assessment, events and improvement
/// areas; for the municipality a table of every unit's (their texts are in their chapters).
async fn summary(ctx: &Context<'_>) -> Result<Section> {
    let mut rows = Vec::new();
    let mut summary = Section::new("Sammanfattning");
    if ctx.consolidated() {
        summary.blocks.push(Block::Paragraph {
            text: "Rapporten sammanställer alla nämnders och styrelsers mål. Måtten visas med periodens utfall, etappmål, status och trend; utfall över tid, uppdelning på kön och område samt diagram finns i respektive nämnds egen rapport och i arbetsboken (Excel).".into(),
        });
    }
    for UnitData { unit, board, .. } in &ctx.units {
        if !ctx.consolidated() {
            summary.blocks.push(Block::Paragraph {
                text: format!(
                    "Sammanvägd måluppfyllelse för {} {}.",
                    unit.name,
                    period_label(ctx.period)
                ),
            });
            summary
                .blocks
                .extend(assessment_block(&board.overall, !ctx.board_version()));
            summary.children.extend(review_sections(board));
        }
        let goals = board.sections.iter().map(|s| s.goals.len()).sum::<usize>();
        let decided: Vec<String> = board
            .scale
            .levels
            .iter()
            .map(|level| {
                let n = board
                    .sections
                    .iter()
                    .flat_map(|s| &s.goals)
                    .filter(|g| {
                        g.assessment
                            .decided
                            .as_ref()
                            .is_some_and(|d| &d.level == level)
                    })
                    .count();
                format!("{level}: {n}")
            })
            .collect();
        rows.push(vec![
            unit.name.clone(),
            board
                .overall
                .decided
                .as_ref()
                .map(|d| d.level.clone())
                .unwrap_or_else(|| "Ej beslutad".into()),
            board.overall.system_level(),
            goals.to_string(),
            decided.join("\n"),
        ]);
    }
    summary.blocks.push(Block::Table(without_system(
        Table {
            caption: "Sammanfattning av måluppfyllelsen".into(),
            columns: [
                "Enhet",
                "Beslutad sammanvägd bedömning",
                "Systemets förslag",
                "Antal mål",
                "Beslutade bedömningar per nivå",
            ]
            .map(String::from)
            .to_vec(),
            rows,
            row_headers: true,
        },
        !ctx.board_version(),
    )));
    Ok(summary)
}

/// "Årets händelser" and "Förbättringsområden" as subsections, where the unit wrote them.
fn review_sections(board: &BoardView) -> Vec<Section> {
    let Some(review) = &board.review else {
        return Vec::new();
    };
    [
        (review.events_label_sv(), &review.events),
        ("Förbättringsområden", &review.improvement_areas),
    ]
    .into_iter()
    .filter(|(_, items)| !items.is_empty())
    .map(|(title, items)| {
        let mut s = Section::new(title);
        s.blocks.push(Block::List {
            title: None,
            items: items.clone(),
        });
        s
    })
    .collect()
}

fn measures(ctx: &Context<'_>) -> Vec<MeasureValues> {
    let mut out = Vec::new();
    for UnitData {
        unit,
        board,
        records,
        ..
    } in &ctx.units
    {
        let titles: HashMap<Id, &str> = board
            .sections
            .iter()
            .flat_map(|s| &s.goals)
            .map(|g| (g.goal.id, g.goal.title.as_str()))
            .collect();
        for r in records {
            let e = r.evaluate(Period::Year(ctx.period.year()));
            let ind = &r.indicator;
            out.push(MeasureValues {
                unit_name: unit.name.clone(),
                goal: titles
                    .get(&ind.goal_id)
                    .map(|t| t.to_string())
                    .unwrap_or_default(),
                indicator: ind.name.clone(),
                unit: ind.unit.clone(),
                decimals: ind.decimals,
                source: followup::source_label(&ind.source, r.kolada),
                values: r
                    .outcomes
                    .iter()
                    .map(|o| {
                        (
                            o.period.to_string(),
                            o.breakdown.label_sv(),
                            o.value,
                            o.margin,
                        )
                    })
                    .collect(),
                milestone: e
                    .milestone
                    .map(|t| t.label_sv(ind.decimals))
                    .unwrap_or_default(),
                status: e.status.label_sv().into(),
                trend: e
                    .trend
                    .map(|t| t.label_sv().to_string())
                    .unwrap_or_default(),
                by_period: r
                    .periods()
                    .into_iter()
                    .map(|p| {
                        // The evaluation reads only data up to the period it judges.
                        let e = r.evaluate(p);
                        PeriodEvaluation {
                            period: p.to_string(),
                            milestone: e
                                .milestone
                                .map(|t| t.label_sv(ind.decimals))
                                .unwrap_or_default(),
                            status: e.status.label_sv().into(),
                            trend: e
                                .trend
                                .map(|t| t.label_sv().to_string())
                                .unwrap_or_default(),
                        }
                    })
                    .collect(),
            });
        }
    }
    out
}
