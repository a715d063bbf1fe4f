//! Line charts as SVG, generated on the server. Every chart has a data table beside it on
//! the page; the SVG carries a title and a description for assistive technology.

use std::fmt::Write;

use uppsikt_domain::model::IndicatorRecord;
use uppsikt_domain::number::format_sv;
use uppsikt_domain::period::PeriodKind;
use uppsikt_domain::{Breakdown, Frequency, Period};

use crate::html::escape;

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 300.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 30.0;
const BOTTOM: f64 = 64.0;

struct Series {
    label: &'static str,
    /// Presentation attributes of the line (colour, dashes); charts carry their own style
    /// so that they look the same in pages, HTML reports and PDFs.
    class: &'static str,
    points: Vec<(Period, f64)>,
}

const TOTAL: &str = r##"stroke="#0b4f8a""##;
const WOMEN: &str = r##"stroke="#a3375f" stroke-dasharray="6 4""##;
const MEN: &str = r##"stroke="#2f6b3a" stroke-dasharray="2 3""##;

/// The fill of a series' dots, from its line attributes.
fn dot_fill(line: &str) -> String {
    let colour = line.split('"').nth(1).unwrap_or("#0b4f8a");
    format!(r#"fill="{colour}""#)
}

/// "Nice" tick step for a range: 1, 2 or 5 × 10^n giving about five ticks.
fn tick_step(range: f64) -> f64 {
    if range <= 0.0 || !range.is_finite() {
        return 1.0;
    }
    let raw = range / 5.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let norm = raw / magnitude;
    let nice = if norm <= 1.0 {
        1.0
    } else if norm <= 2.0 {
        2.0
    } else if norm <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * magnitude
}

/// The indicator's total, women and men (or girls and boys) over time, with milestones.
/// `id` makes the title and description ids unique within a page that holds several charts.
pub fn line_chart(record: &IndicatorRecord, title: &str, id: &str) -> String {
    let ind = &record.indicator;
    // Chart the kind of period with the most outcomes (usually years).
    let kind = [
        PeriodKind::Year,
        PeriodKind::Tertial,
        PeriodKind::Month,
        PeriodKind::Week,
    ]
    .into_iter()
    .max_by_key(|k| {
        record
            .outcomes
            .iter()
            .filter(|o| o.period.kind() == *k)
            .count()
    })
    .unwrap_or(PeriodKind::Year);
    let series_of = |b: Breakdown| -> Vec<(Period, f64)> {
        record
            .outcomes
            .iter()
            .filter(|o| o.breakdown == b && o.period.kind() == kind)
            .map(|o| (o.period, o.value))
            .collect()
    };
    let all_series = [
        Series {
            label: "Totalt",
            class: TOTAL,
            points: series_of(Breakdown::Total),
        },
        Series {
            label: "Kvinnor",
            class: WOMEN,
            points: series_of(Breakdown::Women),
        },
        Series {
            label: "Män",
            class: MEN,
            points: series_of(Breakdown::Men),
        },
        Series {
            label: "Flickor",
            class: WOMEN,
            points: series_of(Breakdown::Girls),
        },
        Series {
            label: "Pojkar",
            class: MEN,
            points: series_of(Breakdown::Boys),
        },
    ];
    let series: Vec<&Series> = all_series.iter().filter(|s| !s.points.is_empty()).collect();
    let milestones: Vec<(Period, f64)> = if kind == PeriodKind::Year {
        record
            .milestones
            .iter()
            .filter_map(|(y, t)| match t {
                uppsikt_domain::Target::Value { value, .. } => Some((Period::Year(*y), *value)),
                _ => None,
            })
            .collect()
    } else {
        Vec::new()
    };
    let mut periods: Vec<Period> = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.0))
        .chain(milestones.iter().map(|m| m.0))
        .collect();
    periods.sort();
    periods.dedup();
    // Years are spaced by time: a year without data keeps its place on the axis.
    if kind == PeriodKind::Year {
        if let (Some(first), Some(last)) = (periods.first(), periods.last()) {
            periods = (first.year()..=last.year()).map(Period::Year).collect();
        }
    }
    let desc = describe(&series, ind.decimals, &ind.unit);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r##"<svg class="chart" width="100%" viewBox="0 0 {WIDTH} {HEIGHT}" preserveAspectRatio="xMidYMid meet" role="img" aria-labelledby="{id}-title {id}-desc" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" xmlns="http://www.w3.org/2000/svg"><title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"##,
        escape(title),
        escape(&desc)
    );
    if series.is_empty() {
        let _ = write!(
            svg,
            r##"<text x="{}" y="{}" font-size="12" fill="#3b434d" text-anchor="middle">Inga utfall ännu</text></svg>"##,
            WIDTH / 2.0,
            HEIGHT / 2.0
        );
        return svg;
    }
    // Margins of error of the total, drawn as error bars (a change inside them is no change).
    let error_bars: Vec<(Period, f64, f64)> = record
        .outcomes
        .iter()
        .filter(|o| o.breakdown == Breakdown::Total && o.period.kind() == kind)
        .filter_map(|o| o.margin.map(|m| (o.period, o.value - m, o.value + m)))
        .collect();
    let values: Vec<f64> = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .chain(milestones.iter().map(|m| m.1))
        .chain(error_bars.iter().flat_map(|e| [e.1, e.2]))
        .collect();
    let (mut lo, mut hi) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(*v), hi.max(*v))
        });
    // Values that cannot be negative (counts, shares, indices) are drawn from zero, so
    // the height of a point is its size; only negative values move the axis below zero.
    lo = lo.min(0.0);
    if lo == hi {
        hi = lo + 1.0;
    }
    let step = tick_step(hi - lo);
    let y_min = (lo / step).floor() * step;
    let y_max = (hi / step).ceil() * step;
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    // Positions by time (a period's last day), so 2019 → 2021 is twice 2019 → 2020.
    let first_day = periods.first().map(|p| p.last_day_number()).unwrap_or(0) as f64;
    let last_day = periods.last().map(|p| p.last_day_number()).unwrap_or(0) as f64;
    let x = |p: Period| -> f64 {
        if last_day <= first_day {
            LEFT + plot_w / 2.0
        } else {
            LEFT + plot_w * (p.last_day_number() as f64 - first_day) / (last_day - first_day)
        }
    };
    // The unit of the values above the y axis.
    if !ind.unit.trim().is_empty() {
        let _ = write!(
            svg,
            r##"<text font-size="12" fill="#3b434d" x="4" y="{:.1}">{}</text>"##,
            TOP - 14.0,
            escape(&format!("Enhet: {}", ind.unit.trim()))
        );
    }
    let y = |v: f64| TOP + plot_h * (1.0 - (v - y_min) / (y_max - y_min));
    // Grid and y-axis labels.
    let mut tick = y_min;
    let mut guard = 0;
    while tick <= y_max + step * 0.001 && guard < 50 {
        let ty = y(tick);
        let _ = write!(
            svg,
            r##"<line stroke="#e1e5ea" stroke-width="1" x1="{LEFT}" x2="{}" y1="{ty:.1}" y2="{ty:.1}"/><text font-size="12" fill="#3b434d" x="{}" y="{:.1}" text-anchor="end">{}</text>"##,
            WIDTH - RIGHT,
            LEFT - 6.0,
            ty + 4.0,
            format_sv(tick, if step < 1.0 { 1 } else { 0 })
        );
        tick += step;
        guard += 1;
    }
    // X-axis labels; thinned out when crowded.
    let every = (periods.len() / 12).max(1);
    for (i, p) in periods.iter().enumerate() {
        if i % every == 0 || i == periods.len() - 1 {
            let _ = write!(
                svg,
                r##"<text font-size="12" fill="#3b434d" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"##,
                x(*p),
                HEIGHT - BOTTOM + 18.0,
                p
            );
        }
    }
    for (p, low, high) in &error_bars {
        let (cx, y1, y2) = (x(*p), y(*low), y(*high));
        let _ = write!(
            svg,
            r##"<path stroke="#4a5360" stroke-width="1.5" fill="none" d="M{cx:.1},{y1:.1} V{y2:.1} M{:.1},{y1:.1} H{:.1} M{:.1},{y2:.1} H{:.1}"/>"##,
            cx - 5.0,
            cx + 5.0,
            cx - 5.0,
            cx + 5.0
        );
    }
    for s in &series {
        if s.points.len() < 2 {
            // A single value is drawn as its dot only.
            for (p, v) in &s.points {
                let _ = write!(
                    svg,
                    r#"<circle {} cx="{:.1}" cy="{:.1}" r="3.5"/>"#,
                    dot_fill(s.class),
                    x(*p),
                    y(*v)
                );
            }
            continue;
        }
        let mut pts = s.points.clone();
        pts.sort_by_key(|a| a.0);
        // A line joins consecutive periods only: it never bridges a missing one.
        for run in runs(&pts, kind, ind.frequency) {
            if run.len() < 2 {
                continue;
            }
            let path: Vec<String> = run
                .iter()
                .map(|(p, v)| format!("{:.1},{:.1}", x(*p), y(*v)))
                .collect();
            let _ = write!(
                svg,
                r##"<polyline fill="none" stroke-width="2.5" {} points="{}"/>"##,
                s.class,
                path.join(" ")
            );
        }
        for (p, v) in &pts {
            let _ = write!(
                svg,
                r##"<circle {} cx="{:.1}" cy="{:.1}" r="3.5"/>"##,
                dot_fill(s.class),
                x(*p),
                y(*v)
            );
        }
    }
    for (p, v) in &milestones {
        let (cx, cy) = (x(*p), y(*v));
        let _ = write!(
            svg,
            r##"<path fill="#ffbf47" stroke="#5c4300" stroke-width="1.5" d="M{:.1},{:.1} l6,6 l-6,6 l-6,-6 z"/>"##,
            cx,
            cy - 6.0
        );
    }
    // Legend.
    let mut lx = LEFT;
    let ly = HEIGHT - 16.0;
    for s in &series {
        let _ = write!(
            svg,
            r##"<line stroke-width="2.5" {} x1="{lx}" x2="{}" y1="{ly}" y2="{ly}"/><text font-size="12" fill="#3b434d" x="{}" y="{}">{}</text>"##,
            s.class,
            lx + 24.0,
            lx + 30.0,
            ly + 4.0,
            s.label
        );
        lx += 40.0 + 8.0 * s.label.chars().count() as f64;
    }
    if !milestones.is_empty() {
        let _ = write!(
            svg,
            r##"<path fill="#ffbf47" stroke="#5c4300" stroke-width="1.5" d="M{:.1},{:.1} l6,6 l-6,6 l-6,-6 z"/><text font-size="12" fill="#3b434d" x="{}" y="{}">Etappmål</text>"##,
            lx + 12.0,
            ly - 6.0,
            lx + 24.0,
            ly + 4.0
        );
    }
    svg.push_str("</svg>");
    svg
}

/// A month with its cumulative budget and outcome, as `uppsikt_domain::economy::monthly`
/// gives it.
pub type MonthFigures = (
    u8,
    Option<uppsikt_domain::economy::Amount>,
    Option<uppsikt_domain::economy::Amount>,
);

/// Swedish short month names, January first.
pub const MONTHS_SV: [&str; 12] = [
    "jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec",
];

/// The short Swedish name of month `m` (1–12).
pub fn month_sv(m: u8) -> &'static str {
    MONTHS_SV
        .get(usize::from(m.clamp(1, 12)) - 1)
        .copied()
        .unwrap_or("")
}

const BUDGET_LINE: &str = r##"stroke="#6b7785" stroke-dasharray="6 4""##;
const OUTCOME_LINE: &str = r##"stroke="#0b4f8a""##;

/// Cumulative budget and outcome per month (mnkr) as a line chart: months on the x axis
/// (evenly spaced, from the first month with lines to the last), zero on the y axis.
/// `months` is (month, cumulative budget, cumulative outcome) as
/// `uppsikt_domain::economy::monthly` gives it; the same values belong in a table beside it.
pub fn budget_chart(months: &[MonthFigures], title: &str, id: &str) -> String {
    let budget: Vec<(u8, f64)> = months
        .iter()
        .filter_map(|(m, b, _)| b.map(|b| (*m, b.mnkr())))
        .collect();
    let outcome: Vec<(u8, f64)> = months
        .iter()
        .filter_map(|(m, _, o)| o.map(|o| (*m, o.mnkr())))
        .collect();
    let desc = describe_months(&budget, &outcome);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r##"<svg class="chart" width="100%" viewBox="0 0 {WIDTH} {HEIGHT}" preserveAspectRatio="xMidYMid meet" role="img" aria-labelledby="{id}-title {id}-desc" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" xmlns="http://www.w3.org/2000/svg"><title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"##,
        escape(title),
        escape(&desc)
    );
    let (Some(first), Some(last)) = (
        months.iter().map(|m| m.0).min(),
        months.iter().map(|m| m.0).max(),
    ) else {
        let _ = write!(
            svg,
            r##"<text x="{}" y="{}" font-size="12" fill="#3b434d" text-anchor="middle">Inga månadsvärden</text></svg>"##,
            WIDTH / 2.0,
            HEIGHT / 2.0
        );
        return svg;
    };
    let values: Vec<f64> = budget.iter().chain(&outcome).map(|p| p.1).collect();
    let (mut lo, mut hi) = values
        .iter()
        .fold((0.0f64, 0.0f64), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
    if lo == hi {
        hi = lo + 1.0;
    }
    let step = tick_step(hi - lo);
    lo = (lo / step).floor() * step;
    hi = (hi / step).ceil() * step;
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let x = |m: u8| -> f64 {
        if last <= first {
            LEFT + plot_w / 2.0
        } else {
            LEFT + plot_w * f64::from(m - first) / f64::from(last - first)
        }
    };
    let y = |v: f64| TOP + plot_h * (1.0 - (v - lo) / (hi - lo));
    let _ = write!(
        svg,
        r##"<text font-size="12" fill="#3b434d" x="4" y="{:.1}">Enhet: mnkr</text>"##,
        TOP - 14.0
    );
    let mut tick = lo;
    let mut guard = 0;
    while tick <= hi + step * 0.001 && guard < 50 {
        let ty = y(tick);
        let _ = write!(
            svg,
            r##"<line stroke="#e1e5ea" stroke-width="1" x1="{LEFT}" x2="{}" y1="{ty:.1}" y2="{ty:.1}"/><text font-size="12" fill="#3b434d" x="{}" y="{:.1}" text-anchor="end">{}</text>"##,
            WIDTH - RIGHT,
            LEFT - 6.0,
            ty + 4.0,
            format_sv(tick, if step < 1.0 { 1 } else { 0 })
        );
        tick += step;
        guard += 1;
    }
    for m in first..=last {
        let _ = write!(
            svg,
            r##"<text font-size="12" fill="#3b434d" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"##,
            x(m),
            HEIGHT - BOTTOM + 18.0,
            month_sv(m)
        );
    }
    for (line, points) in [(BUDGET_LINE, &budget), (OUTCOME_LINE, &outcome)] {
        if points.len() >= 2 {
            let path: Vec<String> = points
                .iter()
                .map(|(m, v)| format!("{:.1},{:.1}", x(*m), y(*v)))
                .collect();
            let _ = write!(
                svg,
                r##"<polyline fill="none" stroke-width="2.5" {line} points="{}"/>"##,
                path.join(" ")
            );
        }
        for (m, v) in points.iter() {
            let _ = write!(
                svg,
                r#"<circle {} cx="{:.1}" cy="{:.1}" r="3.5"/>"#,
                dot_fill(line),
                x(*m),
                y(*v)
            );
        }
    }
    let ly = HEIGHT - 16.0;
    let mut lx = LEFT;
    for (line, label) in [
        (BUDGET_LINE, "Budget, ackumulerad"),
        (OUTCOME_LINE, "Utfall, ackumulerat"),
    ] {
        let _ = write!(
            svg,
            r##"<line stroke-width="2.5" {line} x1="{lx}" x2="{}" y1="{ly}" y2="{ly}"/><text font-size="12" fill="#3b434d" x="{}" y="{}">{label}</text>"##,
            lx + 24.0,
            lx + 30.0,
            ly + 4.0,
        );
        lx += 40.0 + 7.5 * label.chars().count() as f64;
    }
    svg.push_str("</svg>");
    svg
}

/// The text alternative of [`budget_chart`] for `months`.
pub fn describe_budget(months: &[MonthFigures]) -> String {
    let series = |f: fn(&MonthFigures) -> Option<uppsikt_domain::economy::Amount>| {
        months
            .iter()
            .filter_map(|m| f(m).map(|a| (m.0, a.mnkr())))
            .collect::<Vec<_>>()
    };
    describe_months(&series(|m| m.1), &series(|m| m.2))
}

/// The text alternative of [`budget_chart`]: every value of both series.
fn describe_months(budget: &[(u8, f64)], outcome: &[(u8, f64)]) -> String {
    let series = |label: &str, points: &[(u8, f64)]| {
        let values: Vec<String> = points
            .iter()
            .map(|(m, v)| format!("{} {}", month_sv(*m), format_sv(*v, 1)))
            .collect();
        format!("{label}: {}", values.join(", "))
    };
    let mut parts = Vec::new();
    if !budget.is_empty() {
        parts.push(series("Budget, ackumulerad (mnkr)", budget));
    }
    if !outcome.is_empty() {
        parts.push(series("Utfall, ackumulerat (mnkr)", outcome));
    }
    if parts.is_empty() {
        "Inga månadsvärden.".into()
    } else {
        format!("{}. Samma värden finns i tabellen nedan.", parts.join("; "))
    }
}

/// The longest stretch of days between two consecutive periods of a kind (a year, the
/// longest tertial, month and week); an indicator measured every other year expects two.
fn longest_step(kind: PeriodKind, frequency: Frequency) -> i64 {
    match (kind, frequency) {
        (PeriodKind::Year, Frequency::Biennial) => 731,
        (PeriodKind::Year, _) => 366,
        (PeriodKind::Tertial, _) => 123,
        (PeriodKind::Month, _) => 31,
        (PeriodKind::Week, _) => 7,
    }
}

/// Sorted points split where a period the indicator is measured for is missing between
/// two of them.
fn runs(points: &[(Period, f64)], kind: PeriodKind, frequency: Frequency) -> Vec<&[(Period, f64)]> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..points.len() {
        let gap = points[i].0.last_day_number() - points[i - 1].0.last_day_number();
        if gap > longest_step(kind, frequency) {
            out.push(&points[start..i]);
            start = i;
        }
    }
    if !points.is_empty() {
        out.push(&points[start..]);
    }
    out
}

/// The data of [`line_chart`] as a table (periods × total, women, men …), to show beside
/// the chart: the same values, readable without the picture.
pub fn data_table(record: &IndicatorRecord, caption: &str) -> crate::model::Table {
    let ind = &record.indicator;
    let breakdowns: Vec<Breakdown> = [
        Breakdown::Total,
        Breakdown::Women,
        Breakdown::Men,
        Breakdown::Girls,
        Breakdown::Boys,
    ]
    .into_iter()
    .filter(|b| record.outcomes.iter().any(|o| o.breakdown == *b))
    .collect();
    let rows = record
        .periods()
        .into_iter()
        .map(|p| {
            let mut row = vec![p.to_string()];
            for b in &breakdowns {
                row.push(
                    record
                        .outcomes
                        .iter()
                        .find(|o| o.period == p && o.breakdown == *b)
                        .map(|o| crate::followup::format_value(o.value, ind.decimals, &ind.unit))
                        .unwrap_or_else(|| "–".into()),
                );
            }
            row
        })
        .collect();
    crate::model::Table {
        caption: caption.into(),
        columns: std::iter::once("Period".to_string())
            .chain(breakdowns.iter().map(|b| b.label_sv()))
            .collect(),
        rows,
        row_headers: true,
    }
}

/// The text alternative of [`line_chart`]: every value of every series.
pub fn describe_record(record: &IndicatorRecord) -> String {
    let ind = &record.indicator;
    let points = |b: Breakdown| -> Vec<(Period, f64)> {
        let mut v: Vec<(Period, f64)> = record
            .outcomes
            .iter()
            .filter(|o| o.breakdown == b && o.period.kind() == PeriodKind::Year)
            .map(|o| (o.period, o.value))
            .collect();
        v.sort_by_key(|p| p.0);
        v
    };
    let all = [
        Series {
            label: "Totalt",
            class: TOTAL,
            points: points(Breakdown::Total),
        },
        Series {
            label: "Kvinnor",
            class: WOMEN,
            points: points(Breakdown::Women),
        },
        Series {
            label: "Män",
            class: MEN,
            points: points(Breakdown::Men),
        },
    ];
    let present: Vec<&Series> = all.iter().filter(|s| !s.points.is_empty()).collect();
    describe(&present, ind.decimals, &ind.unit)
}

fn describe(series: &[&Series], decimals: u8, unit: &str) -> String {
    let parts: Vec<String> = series
        .iter()
        .map(|s| {
            let mut pts = s.points.clone();
            pts.sort_by_key(|a| a.0);
            let values: Vec<String> = pts
                .iter()
                .map(|(p, v)| format!("{p}: {}", crate::followup::format_value(*v, decimals, unit)))
                .collect();
            format!("{}: {}", s.label, values.join(", "))
        })
        .collect();
    if parts.is_empty() {
        "Inga utfall ännu.".into()
    } else {
        format!("{}. Samma värden finns i tabellen nedan.", parts.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uppsikt_domain::model::Indicator;
    use uppsikt_domain::{Direction, Outcome};

    fn record(values: &[(i32, f64)]) -> IndicatorRecord {
        IndicatorRecord {
            indicator: Indicator {
                id: 1,
                key: "t".into(),
                goal_id: 1,
                name: "Trygg <utomhus>".into(),
                unit: "%".into(),
                direction: Direction::Higher,
                source: String::new(),
                kolada_kpi: String::new(),
                decimals: 1,
                frequency: uppsikt_domain::Frequency::Year,
                position: 0,
                margin_basis: None,
                trend_window: Default::default(),
            },
            outcomes: values
                .iter()
                .map(|(y, v)| Outcome {
                    period: Period::Year(*y),
                    breakdown: Breakdown::Total,
                    value: *v,
                    margin: None,
                    sample_size: None,
                })
                .collect(),
            milestones: vec![(2023, uppsikt_domain::Target::parse(">68.5").unwrap())],
            targets: vec![],
            comparisons: vec![],
            gaps: vec![],
            comments: vec![],
            kolada: false,
            settings: Default::default(),
        }
    }

    #[test]
    fn chart_has_accessible_name_points_and_milestone() {
        let svg = line_chart(
            &record(&[(2021, 63.0), (2022, 68.5), (2023, 63.5)]),
            "Trygg <utomhus> över tid",
            "chart",
        );
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains(r#"role="img""#));
        assert!(svg.contains("<title id=\"chart-title\">Trygg &lt;utomhus&gt; över tid</title>"));
        assert!(svg.contains("2022: 68,5"), "description lists the values");
        assert_eq!(svg.matches("<circle").count(), 3);
        assert!(svg.contains("Etappmål"));
    }

    /// The x coordinates of the total's dots, in order.
    fn dots(svg: &str) -> Vec<f64> {
        svg.split("<circle")
            .skip(1)
            .map(|c| {
                let at = c.find("cx=\"").unwrap() + 4;
                c[at..].split('"').next().unwrap().parse().unwrap()
            })
            .collect()
    }

    #[test]
    fn years_are_spaced_by_time_and_a_missing_year_breaks_the_line() {
        let svg = line_chart(
            &record(&[(2019, 60.0), (2021, 64.0), (2022, 66.0)]),
            "T",
            "c",
        );
        let x = dots(&svg);
        assert_eq!(x.len(), 3);
        let (a, b) = (x[1] - x[0], x[2] - x[1]);
        assert!(
            (a / b - 2.0).abs() < 0.02,
            "2019 → 2021 is twice 2021 → 2022: {x:?}"
        );
        assert!(
            svg.contains(">2020</text>"),
            "the missing year is on the axis"
        );
        // One polyline for 2021–2022 only; 2019 stands alone.
        assert_eq!(svg.matches("<polyline").count(), 1, "{svg}");
        let line = svg
            .split("<polyline")
            .nth(1)
            .and_then(|l| l.split("/>").next())
            .unwrap();
        assert!(!line.contains(&format!("{:.1},", x[0])));
    }

    #[test]
    fn a_biennial_indicator_is_one_line_over_its_years() {
        let mut r = record(&[(2013, 56.0), (2015, 57.0), (2017, 55.0), (2019, 51.0)]);
        r.indicator.frequency = uppsikt_domain::Frequency::Biennial;
        let svg = line_chart(&r, "T", "c");
        assert_eq!(svg.matches("<polyline").count(), 1);
        r.outcomes.retain(|o| o.period != Period::Year(2017));
        let svg = line_chart(&r, "T", "c");
        assert_eq!(
            svg.matches("<polyline").count(),
            1,
            "2013–2015 only; 2019 alone"
        );
    }

    #[test]
    fn the_y_axis_starts_at_zero_and_names_the_unit() {
        let svg = line_chart(
            &record(&[(2019, 60.0), (2020, 64.0), (2021, 66.0)]),
            "T",
            "c",
        );
        assert!(svg.contains(">0</text>"), "zero on the y axis: {svg}");
        assert!(svg.contains(">Enhet: %</text>"));
        assert!(svg.contains(r#"width="100%""#));
    }

    #[test]
    fn empty_chart_says_so() {
        let svg = line_chart(&record(&[]), "Tom", "c");
        assert!(svg.contains("Inga utfall ännu"));
    }

    #[test]
    fn budget_chart_draws_both_series_and_stops_the_outcome_where_it_ends() {
        use uppsikt_domain::economy::Amount;
        let mn = |v: i64| Some(Amount(v * 100_000_000));
        let months = [
            (1, mn(-40), mn(-38)),
            (2, mn(-80), mn(-79)),
            (3, mn(-120), None),
        ];
        let svg = budget_chart(&months, "Budget & utfall", "b");
        assert!(svg.contains("<title id=\"b-title\">Budget &amp; utfall</title>"));
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert_eq!(
            svg.matches("<circle").count(),
            5,
            "three budget, two outcome dots"
        );
        assert!(svg.contains(">mar</text>") && svg.contains(">Enhet: mnkr</text>"));
        assert!(svg.contains("Utfall, ackumulerat (mnkr): jan −38,0, feb −79,0."));
        assert!(svg.contains(">0</text>"), "zero on the axis");
        assert!(budget_chart(&[], "T", "t").contains("Inga månadsvärden"));
    }

    #[test]
    fn ticks_are_round_numbers() {
        assert_eq!(tick_step(100.0), 20.0);
        assert_eq!(tick_step(7.0), 2.0);
        assert_eq!(tick_step(0.3), 0.1);
    }
}
