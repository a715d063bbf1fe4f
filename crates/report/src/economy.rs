//! "Ekonomi": the economy chapter of a board's verksamhetsberättelse and delårsrapport
//! (`DOMAIN-MODULES.md` E1): the operating statement by cost type and by unit, the
//! forecast (delårsrapport), investments, the exploitation result, balance carry-overs,
//! equity and the result transfer, the grants that affect the board, and cumulative
//! budget against outcome per month as a chart with its table.
//!
//! Every figure comes from the domain's computation ([`BoardEconomy`], [`GrantView`]):
//! sums and deviations are derived from the stored leaves, never typed, so the
//! investments show 86,0 where seed 004 printed 42,1. A table appears only when it has
//! rows; a board without any economy data gets one sentence. The public sees the chapter
//! only for a year a decision covers ([`Audience::sees_economy`]).
//!
//! An annual report shows the year's budget, outcome, avvikelse (outcome − budget,
//! positive is favourable) and last year's outcome. A delårsrapport shows the full-year
//! budget beside the outcome up to the period's end (and last year's up to the same day),
//! and the latest forecast made by then: an avvikelse of eight months' outcome against a
//! year's budget would mean nothing, so its deviation is the forecast's. Carry-overs and
//! the result transfer belong to the annual account and are in the annual report only.

use std::collections::{BTreeSet, HashMap};

use uppsikt_domain::economy::{
    self, sum_present, Amount, BoardEconomy, BudgetLine, EconomyInputs, Figures, LineKind,
    StatementRow, TreeRow,
};
use uppsikt_domain::grant::{GrantFlag, GrantView};
use uppsikt_domain::messages::economy as msg;
use uppsikt_domain::model::{Id, OrgUnit};
use uppsikt_domain::number::format_sv;
use uppsikt_domain::publication::Audience;
use uppsikt_domain::Period;
use uppsikt_store::{BoxFuture, Store};

use crate::build::{Context, ReportPart, Result};
use crate::model::{Block, Chart, FigureCell, FigureRow, FigureTable, Section, Table};

/// The chapter's title (also the name of its sheet in the workbook).
pub const CHAPTER_TITLE: &str = "Ekonomi";

/// What the chapter says first: how to read its figures.
pub const READING_NOTE: &str = "Belopp i miljoner kronor (mnkr). Intäkter är positiva och kostnader negativa; avvikelse är utfall minus budget, så ett positivt tal är gynnsamt. Summor och avvikelser är beräknade ur de enskilda raderna.";

/// The economy chapter as a part of a report, for an audience: the public sees it only
/// for a year that a decision covers.
pub struct EconomyPart {
    pub audience: Audience,
}

impl ReportPart for EconomyPart {
    fn sections<'a>(&'a self, ctx: &'a Context<'a>) -> BoxFuture<'a, Result<Vec<Section>>> {
        Box::pin(async move {
            let year = ctx.period.year();
            let mut shown = Vec::new();
            for data in &ctx.units {
                if self.audience.sees_economy(data.unit.id, year) {
                    shown.push(EconomyData::load(ctx.store, &data.unit, ctx.period).await?);
                }
            }
            if shown.is_empty() {
                return Ok(Vec::new());
            }
            Ok(vec![chapter(&shown, ctx.consolidated())])
        })
    }
}

/// One board's economy and grants for a report period, as loaded from the store.
#[derive(Debug, Clone)]
pub struct EconomyData {
    pub board: OrgUnit,
    pub period: Period,
    pub economy: BoardEconomy,
    /// The grants affecting the board or a unit below it, as of the period's last day.
    pub grants: Vec<GrantView>,
    /// Names of the organisation's units (allocations name their unit).
    pub unit_names: HashMap<Id, String>,
}

impl EconomyData {
    /// The board's economy for the report's period: the year's as the store computes it
    /// for an annual report; for a delårsrapport the lines known at the period's end.
    pub async fn load(store: &Store, board: &OrgUnit, period: Period) -> Result<EconomyData> {
        let units = store.org_units().await?;
        let economy = match period {
            Period::Year(y) => store.board_economy(board.id, y).await?,
            _ => interim_economy(store, &units, board.id, period).await?,
        };
        let sub: BTreeSet<Id> = economy::subtree(&units, board.id)
            .into_iter()
            .map(|(u, _)| u)
            .collect();
        let mut grants = Vec::new();
        for g in store.grants_affecting(&sub).await? {
            grants.push(store.grant_view(g.id, &period.last_day()).await?);
        }
        Ok(EconomyData {
            board: board.clone(),
            period,
            economy,
            grants,
            unit_names: units.into_iter().map(|u| (u.id, u.name)).collect(),
        })
    }

    fn year(&self) -> i32 {
        self.period.year()
    }

    /// A delårsrapport (a period shorter than the year).
    fn interim(&self) -> bool {
        !matches!(self.period, Period::Year(_))
    }

    /// The grants with figures or allocations in the report's year.
    fn grants_of_year(&self) -> Vec<&GrantView> {
        self.grants
            .iter()
            .filter(|g| {
                g.years.iter().any(|y| y.year == self.year())
                    || g.allocations.iter().any(|a| a.year == self.year())
            })
            .collect()
    }

    /// Whether there is nothing to show at all.
    pub fn is_empty(&self) -> bool {
        self.economy.is_empty()
            && self.economy.monthly.is_empty()
            && self.grants_of_year().is_empty()
    }
}

/// The same period a year earlier (last year's outcome up to the same day).
fn year_before(p: Period) -> Period {
    match p {
        Period::Year(y) => Period::Year(y - 1),
        Period::Tertial(y, t) => Period::Tertial(y - 1, t),
        Period::Month(y, m) => Period::Month(y - 1, m),
        Period::Week(y, w) => Period::Week(y - 1, w),
    }
}

/// A board's economy as it stood at the end of `period` (within its year): the year's
/// budget, outcome lines of periods ended by then (last year's up to the same day), and
/// forecasts made by then. Computed by the domain from the store's leaves, as
/// `Store::board_economy` does for a whole year.
async fn interim_economy(
    store: &Store,
    units: &[OrgUnit],
    board: Id,
    period: Period,
) -> Result<BoardEconomy> {
    let year = period.year();
    let sub: Vec<Id> = economy::subtree(units, board)
        .into_iter()
        .map(|(u, _)| u)
        .collect();
    let end = period.last_day_number();
    let end_before = year_before(period).last_day_number();
    let last_day = period.last_day();
    let lines: Vec<BudgetLine> = store
        .budget_lines(&sub, year - 1, year)
        .await?
        .into_iter()
        .filter(|l| match l.kind {
            LineKind::Budget => true,
            LineKind::Outcome if l.period.year() == year => l.period.last_day_number() <= end,
            LineKind::Outcome => l.period.last_day_number() <= end_before,
            LineKind::Forecast => l
                .forecast_on
                .as_deref()
                .is_some_and(|d| d <= last_day.as_str()),
        })
        .collect();
    let cost_types = store.cost_types().await?;
    let explanations = store.budget_explanations(&sub, year).await?;
    let nodes = store.investment_nodes(board, year).await?;
    let carry_overs = store.carry_overs(board, year).await?;
    let equity_year = store.equity_year(board, year).await?;
    Ok(economy::board_economy(
        board,
        year,
        EconomyInputs {
            units,
            cost_types: &cost_types,
            lines: &lines,
            explanations: &explanations,
            nodes: &nodes,
            carry_overs: &carry_overs,
            equity_year,
        },
    ))
}

/// The chapter for one board, or for the municipality (a section per board with data).
pub fn chapter(boards: &[EconomyData], consolidated: bool) -> Section {
    let mut s = Section::new(CHAPTER_TITLE);
    let year = boards.first().map_or(0, |b| b.year());
    let (with, without): (Vec<&EconomyData>, Vec<&EconomyData>) =
        boards.iter().partition(|b| !b.is_empty());
    if with.is_empty() {
        s.blocks.push(Block::Paragraph {
            text: match boards {
                [one] => format!(
                    "Det finns inga ekonomiska uppgifter för {} {year}.",
                    one.board.name
                ),
                _ => format!("Det finns inga ekonomiska uppgifter för {year}."),
            },
        });
        return s;
    }
    s.blocks.push(Block::Paragraph {
        text: READING_NOTE.into(),
    });
    if !consolidated && with.len() == 1 {
        s.children = board_sections(with[0]);
        return s;
    }
    if !without.is_empty() {
        s.blocks.push(Block::Paragraph {
            text: format!(
                "Ekonomiska uppgifter för {year} saknas för {}.",
                without
                    .iter()
                    .map(|b| b.board.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        });
    }
    for b in with {
        let mut unit = Section::new(b.board.name.clone());
        unit.children = board_sections(b);
        s.children.push(unit);
    }
    s
}

/// A board's economy as subsections, in the order of the annual report.
pub fn board_sections(d: &EconomyData) -> Vec<Section> {
    let e = &d.economy;
    let mut out = Vec::new();
    if !e.statements.by_cost_type.is_empty() {
        let mut s = Section::new("Driftredovisning per kostnadsslag");
        s.blocks.push(Block::Figures(statement_table(
            d,
            &format!("Driftredovisning per kostnadsslag {}, mnkr", d.year()),
            "Kostnadsslag",
            &e.statements.by_cost_type,
            &e.statements.total_by_cost_type,
        )));
        s.blocks.extend(explanations(&e.statements.by_cost_type));
        out.push(s);
    }
    if !e.statements.by_unit.is_empty() {
        let mut s = Section::new("Driftredovisning per ansvar");
        s.blocks.push(Block::Figures(statement_table(
            d,
            &format!("Driftredovisning per ansvar {}, mnkr", d.year()),
            "Ansvar",
            &e.statements.by_unit,
            &e.statements.total_by_unit,
        )));
        s.blocks.extend(explanations(&e.statements.by_unit));
        out.push(s);
    }
    if let Some(last) = out.last_mut() {
        for (what, by_cost_type, by_unit) in &e.disagreements {
            last.blocks.push(Block::Paragraph {
                text: msg::statement_disagreement(what, *by_cost_type, *by_unit),
            });
        }
    }
    if d.interim() {
        out.extend(forecast_section(d));
    }
    if !e.investments.is_empty() {
        let mut s = Section::new("Investeringar");
        s.blocks.push(Block::Figures(tree_table(
            &format!(
                "Investeringar {}, mnkr (positivt tal är en intäkt)",
                d.year()
            ),
            d.year(),
            &e.investments,
        )));
        s.blocks.extend(tree_notes(&e.investments));
        out.push(s);
    }
    if !e.exploitation.is_empty() {
        let mut s = Section::new("Exploateringsresultat");
        s.blocks.push(Block::Figures(tree_table(
            &format!("Exploateringsresultat {}, mnkr", d.year()),
            d.year(),
            &e.exploitation,
        )));
        s.blocks.extend(tree_notes(&e.exploitation));
        out.push(s);
    }
    if !d.interim() {
        out.extend(carry_over_section(d));
        out.extend(equity_section(d));
    }
    out.extend(grants_section(d));
    out.extend(monthly_section(d));
    out
}

/// A cell of an amount in mnkr (empty when unknown).
fn amount(a: Option<Amount>) -> FigureCell {
    match a {
        Some(a) => FigureCell {
            text: a.format_mnkr(),
            value: Some(a.mnkr()),
        },
        None => FigureCell::empty(),
    }
}

/// "31 augusti 2019": the day a delårsrapport's period ends.
fn day_sv(p: Period) -> String {
    match p {
        Period::Tertial(y, 1) => format!("30 april {y}"),
        Period::Tertial(y, 2) => format!("31 augusti {y}"),
        other => other.last_day(),
    }
}

/// Without the amount columns that are empty in every row.
fn without_empty_columns(mut t: FigureTable) -> FigureTable {
    let cells = t.columns.len().saturating_sub(1);
    let keep: Vec<bool> = (0..cells)
        .map(|c| {
            t.rows
                .iter()
                .any(|r| r.cells.get(c).is_some_and(|x| !x.text.is_empty()))
        })
        .collect();
    let mut i = 0;
    t.columns.retain(|_| {
        i += 1;
        i == 1 || keep[i - 2]
    });
    for r in &mut t.rows {
        let mut c = 0;
        r.cells.retain(|_| {
            c += 1;
            keep.get(c - 1).copied().unwrap_or(true)
        });
    }
    t
}

/// The operating statement: the annual report's Budget | Utfall | Avvikelse | Utfall
/// last year, or the delårsrapport's full-year budget beside the outcome to date.
fn statement_table(
    d: &EconomyData,
    caption: &str,
    label: &str,
    rows: &[StatementRow],
    total: &Figures,
) -> FigureTable {
    let y = d.year();
    let columns: Vec<String> = if d.interim() {
        vec![
            label.to_string(),
            format!("Budget helår {y}"),
            format!("Utfall t.o.m. {}", day_sv(d.period)),
            format!("Utfall t.o.m. {}", day_sv(year_before(d.period))),
        ]
    } else {
        vec![
            label.to_string(),
            format!("Budget {y}"),
            format!("Utfall {y}"),
            "Avvikelse".into(),
            format!("Utfall {}", y - 1),
        ]
    };
    let cells = |f: &Figures| {
        if d.interim() {
            vec![amount(f.budget), amount(f.outcome), amount(f.last_year)]
        } else {
            vec![
                amount(f.budget),
                amount(f.outcome),
                amount(f.deviation),
                amount(f.last_year),
            ]
        }
    };
    let mut out: Vec<FigureRow> = rows
        .iter()
        .map(|r| FigureRow {
            label: r.label.clone(),
            depth: r.depth,
            sum: r.sum,
            cells: cells(&r.figures),
        })
        .collect();
    out.push(FigureRow {
        label: "Årets resultat".into(),
        depth: 0,
        sum: true,
        cells: cells(total),
    });
    without_empty_columns(FigureTable {
        caption: caption.into(),
        columns,
        rows: out,
    })
}

/// The rows' explanations as text under their table.
fn explanations(rows: &[StatementRow]) -> Vec<Block> {
    rows.iter()
        .filter(|r| !r.explanation.trim().is_empty())
        .map(|r| Block::Labeled {
            label: r
                .label
                .strip_prefix("varav ")
                .unwrap_or(&r.label)
                .to_string(),
            text: r.explanation.trim().to_string(),
        })
        .collect()
}

/// "Prognos" of a delårsrapport: the latest full-year forecast made by the period's end
/// against the full-year budget, per unit (or per cost type).
fn forecast_section(d: &EconomyData) -> Option<Section> {
    let st = &d.economy.statements;
    let (rows, total, label) = if st.by_unit.iter().any(|r| r.figures.forecast.is_some()) {
        (&st.by_unit, &st.total_by_unit, "Ansvar")
    } else if st.by_cost_type.iter().any(|r| r.figures.forecast.is_some()) {
        (&st.by_cost_type, &st.total_by_cost_type, "Kostnadsslag")
    } else {
        return None;
    };
    let on = total.forecast_on.clone().unwrap_or_default();
    let y = d.year();
    let cells = |f: &Figures| {
        vec![
            amount(f.budget),
            amount(f.forecast),
            amount(f.forecast_deviation),
        ]
    };
    let mut table_rows: Vec<FigureRow> = rows
        .iter()
        .map(|r| FigureRow {
            label: r.label.clone(),
            depth: r.depth,
            sum: r.sum,
            cells: cells(&r.figures),
        })
        .collect();
    table_rows.push(FigureRow {
        label: "Årets resultat".into(),
        depth: 0,
        sum: true,
        cells: cells(total),
    });
    let mut s = Section::new("Prognos");
    let mut text = format!("Den senaste helårsprognosen är gjord {on}.");
    if let (Some(f), Some(dev)) = (total.forecast, total.forecast_deviation) {
        text.push_str(&format!(
            " Den pekar på ett resultat för {y} på {} mnkr, en avvikelse mot budget på {} mnkr.",
            f.format_mnkr(),
            dev.format_mnkr()
        ));
    }
    s.blocks.push(Block::Paragraph { text });
    s.blocks.push(Block::Figures(FigureTable {
        caption: format!("Helårsprognos {y} per {on}, mnkr"),
        columns: vec![
            label.to_string(),
            format!("Budget {y}"),
            "Prognos helår".into(),
            "Avvikelse mot budget".into(),
        ],
        rows: table_rows,
    }));
    Some(s)
}

/// An investment or exploitation tree: each level indented under the one above it, sums
/// (the rows with rows under them) bold; a forecast column where a row has a forecast.
fn tree_table(caption: &str, year: i32, rows: &[TreeRow]) -> FigureTable {
    let forecast_on = rows.iter().filter_map(|r| r.forecast_on.clone()).max();
    let mut columns = vec![
        "Projekt".to_string(),
        format!("Budget {year}"),
        format!("Utfall {year}"),
        "Avvikelse".into(),
    ];
    if let Some(on) = &forecast_on {
        columns.push(format!("Prognos ({on})"));
    }
    let cells = |budget, outcome, deviation, forecast| {
        let mut c = vec![amount(budget), amount(outcome), amount(deviation)];
        if forecast_on.is_some() {
            c.push(amount(forecast));
        }
        c
    };
    let mut out: Vec<FigureRow> = rows
        .iter()
        .map(|r| FigureRow {
            label: r.name.clone(),
            depth: r.depth,
            sum: !r.leaf,
            cells: cells(r.budget, r.outcome, r.deviation, r.forecast),
        })
        .collect();
    let roots: Vec<&TreeRow> = rows.iter().filter(|r| r.depth == 0).collect();
    if roots.len() > 1 {
        let sum = |f: fn(&TreeRow) -> Option<Amount>| sum_present(roots.iter().map(|r| f(r)));
        let (b, o) = (sum(|r| r.budget), sum(|r| r.outcome));
        out.push(FigureRow {
            label: "Summa".into(),
            depth: 0,
            sum: true,
            cells: cells(b, o, economy::deviation(b, o), sum(|r| r.forecast)),
        });
    }
    FigureTable {
        caption: caption.into(),
        columns,
        rows: out,
    }
}

/// The notes and areas of a tree's rows, as text under the table.
fn tree_notes(rows: &[TreeRow]) -> Vec<Block> {
    let items: Vec<String> = rows
        .iter()
        .filter_map(|r| {
            let mut parts = Vec::new();
            if !r.areas.is_empty() {
                parts.push(format!("område {}", r.areas.join(", ")));
            }
            if !r.note.trim().is_empty() {
                parts.push(r.note.trim().to_string());
            }
            (!parts.is_empty()).then(|| format!("{}: {}", r.name, parts.join("; ")))
        })
        .collect();
    if items.is_empty() {
        Vec::new()
    } else {
        vec![Block::List {
            title: Some("Kommentarer".into()),
            items,
        }]
    }
}

/// "Saldoöverföringar": the projects' requested carry-overs by group with the groups'
/// and the total's sums, and the board's request where its text says another amount.
fn carry_over_section(d: &EconomyData) -> Option<Section> {
    let c = &d.economy.carry_overs;
    if c.groups.is_empty() {
        return None;
    }
    let next = d.year() + 1;
    let mut rows = Vec::new();
    for g in &c.groups {
        rows.push(FigureRow {
            label: g.group.clone(),
            depth: 0,
            sum: true,
            cells: vec![amount(g.budget), amount(g.outcome), amount(g.transfer)],
        });
        for r in &g.rows {
            rows.push(FigureRow {
                label: r.project.clone(),
                depth: 1,
                sum: false,
                cells: vec![amount(r.budget), amount(r.outcome), amount(r.transfer)],
            });
        }
    }
    rows.push(FigureRow {
        label: "Summa".into(),
        depth: 0,
        sum: true,
        cells: vec![amount(c.budget), amount(c.outcome), amount(c.transfer)],
    });
    let mut s = Section::new("Saldoöverföringar");
    s.blocks.push(Block::Figures(FigureTable {
        caption: format!("Saldoöverföringar till {next}, mnkr"),
        columns: vec![
            "Projekt".into(),
            "Budget".into(),
            "Utfall".into(),
            "Överföring".into(),
        ],
        rows,
    }));
    if let Some(eq) = &d.economy.equity_year {
        match (eq.requested_carry_over, c.transfer) {
            (Some(asked), Some(table)) if asked.format_mnkr() != table.format_mnkr() => {
                s.blocks.push(Block::Paragraph {
                    text: msg::carry_over_request_differs(asked, table, next),
                });
                if eq.reconciliation.trim().is_empty() {
                    s.blocks.push(Block::Paragraph {
                        text: msg::RECONCILIATION_MISSING.into(),
                    });
                } else {
                    s.blocks.push(Block::Labeled {
                        label: "Avstämning".into(),
                        text: eq.reconciliation.trim().to_string(),
                    });
                }
            }
            (Some(asked), _) => s.blocks.push(Block::Paragraph {
                text: format!(
                    "Nämnden begär att {} mnkr överförs till {next}.",
                    asked.format_mnkr()
                ),
            }),
            (None, _) => {}
        }
    }
    for p in &c.over_unused {
        s.blocks.push(Block::Paragraph {
            text: msg::carry_over_over_unused(p),
        });
    }
    Some(s)
}

/// "3 %" from per mille.
fn permille_sv(p: u32) -> String {
    format!(
        "{} %",
        format_sv(f64::from(p) / 10.0, 1).trim_end_matches(",0")
    )
}

/// "Eget kapital och resultatöverföring": the equity rule worked through, from the
/// opening balance and the year's result to the capped closing balance.
fn equity_section(d: &EconomyData) -> Option<Section> {
    let (Some(ey), Some(eq)) = (&d.economy.equity_year, &d.economy.equity) else {
        return None;
    };
    let cap_label = permille_sv(ey.cap_permille);
    let st = &d.economy.statements;
    let turnover = if st.total_by_unit.budget.is_some() {
        st.total_by_unit.budget
    } else {
        st.total_by_cost_type.budget
    }
    .map(Amount::abs);
    let uncapped = match (eq.opening, eq.result) {
        (Some(o), Some(r)) => Some(o + r - eq.withdrawal),
        _ => None,
    };
    let row = |label: String, a: Option<Amount>, sum: bool| FigureRow {
        label,
        depth: 0,
        sum,
        cells: vec![amount(a)],
    };
    let mut rows = vec![
        row("Ingående eget kapital (IB)".into(), eq.opening, false),
        row(
            "Årets resultat (avvikelse mot budget)".into(),
            eq.result,
            false,
        ),
        row("Uttag ur eget kapital".into(), Some(eq.withdrawal), false),
        row("Eget kapital före taket".into(), uncapped, false),
        row(
            format!("Tak: {cap_label} av budgetomslutningen"),
            eq.cap,
            false,
        ),
        row("Utgående eget kapital (UB)".into(), eq.closing, true),
        row("Resultatöverföring (UB − IB)".into(), eq.transfer, false),
    ];
    if eq.forfeited.is_some() {
        rows.push(row(
            "Överskott över taket, förs inte över".into(),
            eq.forfeited,
            false,
        ));
    }
    let mut s = Section::new("Eget kapital och resultatöverföring");
    if let (Some(t), Some(cap), Some(o), Some(r), Some(u), Some(c)) = (
        turnover, eq.cap, eq.opening, eq.result, uncapped, eq.closing,
    ) {
        let mut text = format!(
            "Eget kapital får vara högst {cap_label} av nämndens budgetomslutning {} mnkr, alltså {} mnkr. Ingående eget kapital {} mnkr, årets resultat {} mnkr och uttag {} mnkr ger {} mnkr",
            t.format_mnkr(),
            cap.format_mnkr(),
            o.format_mnkr(),
            r.format_mnkr(),
            eq.withdrawal.format_mnkr(),
            u.format_mnkr(),
        );
        match eq.forfeited {
            Some(f) => text.push_str(&format!(
                "; utgående eget kapital blir taket {} mnkr och {} mnkr förs inte över.",
                c.format_mnkr(),
                f.format_mnkr()
            )),
            None => text.push_str(&format!(
                ", inom taket; utgående eget kapital blir {} mnkr.",
                c.format_mnkr()
            )),
        }
        if let Some(tr) = eq.transfer {
            text.push_str(&format!(
                " Resultatöverföringen till {} är {} mnkr.",
                d.year() + 1,
                tr.format_mnkr()
            ));
        }
        s.blocks.push(Block::Paragraph { text });
    }
    s.blocks.push(Block::Figures(FigureTable {
        caption: format!("Eget kapital och resultatöverföring {}, mnkr", d.year()),
        columns: vec!["Post".into(), "Belopp".into()],
        rows,
    }));
    if eq.negative {
        s.blocks.push(Block::Paragraph {
            text: msg::EQUITY_NEGATIVE.into(),
        });
    }
    Some(s)
}

/// Whether a grant flag concerns `year` (its own year, or its allocation's).
fn flag_in_year(g: &GrantView, f: &GrantFlag, year: i32) -> bool {
    let allocation_year = |id: &Id| {
        g.allocations
            .iter()
            .find(|a| a.id == *id)
            .is_some_and(|a| a.year == year)
    };
    match f {
        GrantFlag::ShareUnknown { allocation_id, .. }
        | GrantFlag::AllocationWithoutAmount { allocation_id, .. }
        | GrantFlag::OverSpent { allocation_id, .. }
        | GrantFlag::UseNotFollowedUp { allocation_id, .. } => allocation_year(allocation_id),
        GrantFlag::OverAllocated { year: y, .. }
        | GrantFlag::Unallocated { year: y, .. }
        | GrantFlag::NoAllocations { year: y } => *y == year,
        GrantFlag::HalfYearMismatch {
            year: y, next_year, ..
        } => *y == year || *next_year == year,
    }
}

/// "Bidrag som berör nämnden": every grant affecting the board in the year, received →
/// allocated → spent, each grant's allocations by decision, and what cannot be traced.
fn grants_section(d: &EconomyData) -> Option<Section> {
    let grants = d.grants_of_year();
    if grants.is_empty() {
        return None;
    }
    let year = d.year();
    let missing = || FigureCell::text("–");
    let known = |a: Option<Amount>| if a.is_some() { amount(a) } else { missing() };
    let mut rows = Vec::new();
    for g in &grants {
        let Some(y) = g.years.iter().find(|y| y.year == year) else {
            continue;
        };
        rows.push(FigureRow {
            label: format!("{} {}", g.grant.code, g.grant.name),
            depth: 0,
            sum: false,
            cells: vec![
                known(y.received),
                known(y.allocated),
                known(y.grant_financed),
                known(y.spent),
                // An allocation without an amount leaves what is unallocated unknown.
                if y.allocations_without_amount > 0 {
                    missing()
                } else {
                    known(y.unallocated)
                },
            ],
        });
    }
    let mut s = Section::new("Bidrag som berör nämnden");
    s.blocks.push(Block::Paragraph {
        text: format!(
            "Bidrag som {} tar emot eller fördelar, eller som fördelats till en enhet under den, {year}. Ett streck betyder att uppgiften saknas.",
            d.board.name
        ),
    });
    s.blocks.push(Block::Figures(FigureTable {
        caption: format!("Bidrag {year}: mottaget, fördelat och använt, mnkr"),
        columns: vec![
            "Bidrag".into(),
            "Mottaget".into(),
            "Fördelat".into(),
            "Varav bidragsfinansierat".into(),
            "Använt".into(),
            "Ej fördelat".into(),
        ],
        rows,
    }));
    for g in &grants {
        let allocations: Vec<_> = g.allocations.iter().filter(|a| a.year == year).collect();
        let mut sub = Section::new(format!("{} {}", g.grant.code, g.grant.name));
        let mut facts = vec![g.grant.kind.label_sv().to_string()];
        if !g.grant.grantor.trim().is_empty() {
            facts.push(format!("från {}", g.grant.grantor.trim()));
        }
        if let Some(y) = g.grant.years.iter().find(|y| y.year == year) {
            if !y.quoted.trim().is_empty() {
                facts.push(format!("enligt källan {}", y.quoted.trim()));
            }
        }
        sub.blocks.push(Block::Paragraph {
            text: format!("{}.", capitalise(&facts.join(", "))),
        });
        if !allocations.is_empty() {
            let rows = allocations
                .iter()
                .map(|a| {
                    let spent = sum_present(
                        g.spend
                            .iter()
                            .filter(|s| s.allocation_id == a.id)
                            .map(|s| Some(s.amount)),
                    );
                    let mut decision = vec![a.decision.body.clone()];
                    decision.extend(a.decision.date.clone());
                    if !a.decision.paragraph.trim().is_empty() {
                        decision.push(a.decision.paragraph.clone());
                    }
                    let to: Vec<String> = a
                        .unit_id
                        .and_then(|u| d.unit_names.get(&u).cloned())
                        .into_iter()
                        .chain(a.area.clone())
                        .chain((!a.recipient.trim().is_empty()).then(|| a.recipient.clone()))
                        .collect();
                    vec![
                        decision.join(" "),
                        a.purpose.clone(),
                        to.join(", "),
                        a.amount.map_or_else(|| "–".into(), |x| x.format_mnkr()),
                        a.share.label(),
                        spent.map_or_else(|| "–".into(), |x| x.format_mnkr()),
                    ]
                })
                .collect();
            sub.blocks.push(Block::Table(Table {
                caption: format!("Fördelning av {} {year}", g.grant.code),
                columns: [
                    "Beslut",
                    "Ändamål",
                    "Till",
                    "Belopp, mnkr",
                    "Andel bidrag",
                    "Använt, mnkr",
                ]
                .map(String::from)
                .to_vec(),
                rows,
                row_headers: true,
            }));
        }
        let flags: Vec<String> = g
            .flags
            .iter()
            .filter(|f| flag_in_year(g, f, year))
            .map(msg::grant_flag)
            .collect();
        if !flags.is_empty() {
            sub.blocks.push(Block::List {
                title: Some("Att observera".into()),
                items: flags,
            });
        }
        s.children.push(sub);
    }
    Some(s)
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Cumulative budget and outcome per month: the chart and its table.
fn monthly_section(d: &EconomyData) -> Option<Section> {
    let months = &d.economy.monthly;
    if months.is_empty() {
        return None;
    }
    let title = format!("Budget och utfall per månad {}, ackumulerat", d.year());
    let svg = crate::chart::budget_chart(
        months,
        &title,
        &format!("economy-{}-{}", d.board.id, d.year()),
    );
    let alt = crate::chart::describe_budget(months);
    let rows = months
        .iter()
        .map(|(m, b, o)| FigureRow {
            label: crate::chart::month_sv(*m).to_string(),
            depth: 0,
            sum: false,
            cells: vec![amount(*b), amount(*o), amount(economy::deviation(*b, *o))],
        })
        .collect();
    let mut s = Section::new("Budget och utfall per månad");
    s.blocks.push(Block::Chart(Chart {
        title: title.clone(),
        alt,
        svg,
    }));
    s.blocks.push(Block::Figures(FigureTable {
        caption: format!("{title}: diagrammets värden, mnkr"),
        columns: vec![
            "Månad".into(),
            "Budget, ackumulerad".into(),
            "Utfall, ackumulerat".into(),
            "Avvikelse".into(),
        ],
        rows,
    }));
    Some(s)
}

#[cfg(test)]
mod tests;
