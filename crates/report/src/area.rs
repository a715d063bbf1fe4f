//! "Områdesuppföljning": the area follow-up for KS per tertial (or year) that seed 000
//! found missing (`DOMAIN-MODULES.md` C3.1): per area (the police's utsatta first, then
//! in Swedish order) its classification, its levels in the period's situation reports
//! with the change since the previous report of the same kind, its indicator values
//! beside the municipal value with "sämst av n" marks, its open deviations, and the
//! forums and agreements working there; then the municipality-wide comparison ("Vårby:
//! 8 av 10") with its table, the levels of unnamed areas and the level scale.
//!
//! A pure builder from [`SafetyData`]; levels are shown only where
//! [`visible_levels`] allows (the public build). There are no charts: every figure is in
//! a table.

use std::collections::BTreeMap;

use uppsikt_domain::area::{area_values, comparison, worst_counts, Area, AreaValue};
use uppsikt_domain::collate::swedish_cmp;
use uppsikt_domain::deviation::Deviation;
use uppsikt_domain::forum::{active_in, agreement_flags, forum_flags, Agreement, Forum};
use uppsikt_domain::model::{Id, IndicatorRecord};
use uppsikt_domain::number::format_sv;
use uppsikt_domain::situation::{
    level_history, visible_levels, LevelHistoryRow, SituationKind, SituationReport,
};
use uppsikt_domain::Period;
use uppsikt_store::Store;

use crate::build::{Request, Result};
use crate::internal_control::{noun, number_word_sv};
use crate::model::{Badge, Block, Report, ReportKind, ReportMeta, Section, Table};
use crate::safety::{
    agreement_label, deviation_visible, deviations_table, flags_sv, forum_label, in_force_during,
    is_open, period_bounds, period_words, validity, SafetyData, DEFINITION_MISSING,
};

/// The report's title (before the period).
pub const REPORT_TITLE: &str = "Områdesuppföljning";

/// A value with its unit: "50 %", "6,5 %", "13".
fn value_sv(value: f64, record: Option<&IndicatorRecord>) -> String {
    let (decimals, unit) =
        record.map_or((1, ""), |r| (r.indicator.decimals, r.indicator.unit.trim()));
    let v = format_sv(value, decimals);
    if unit.is_empty() {
        v
    } else {
        format!("{v} {unit}")
    }
}

/// A change in level: "+2", "−1", "Oförändrat", "Första lägesbilden av slaget".
fn change_sv(change: Option<i16>) -> String {
    match change {
        None => "Första lägesbilden av slaget".into(),
        Some(0) => "Oförändrat".into(),
        Some(c) if c > 0 => format!("Höjt {c} {}", noun(c as usize, "steg", "steg")),
        Some(c) => format!("Sänkt {} {}", -c, noun((-c) as usize, "steg", "steg")),
    }
}

/// What a level means on the municipality's scale.
fn definition(data: &SafetyData, level: u8) -> String {
    data.scale
        .definitions
        .get(&level)
        .map(|d| d.trim())
        .filter(|d| !d.is_empty())
        .map_or_else(|| DEFINITION_MISSING.to_string(), str::to_string)
}

/// The badge of a level: the threshold and above is worst.
fn level_badge(data: &SafetyData, level: u8) -> Badge {
    Badge {
        text: format!("Läge {level} av {}", data.scale.max_level),
        tone: Some(if level >= data.scale.threshold {
            3
        } else if level <= 1 {
            0
        } else {
            2
        }),
    }
}

/// The area and its ancestors (for forums and agreements naming a larger area).
fn with_ancestors(areas: &[Area], id: Id) -> Vec<Id> {
    let mut out = vec![id];
    let mut at = areas.iter().find(|a| a.id == id).and_then(|a| a.parent_id);
    while let Some(p) = at {
        if out.contains(&p) || out.len() > areas.len() {
            break;
        }
        out.push(p);
        at = areas.iter().find(|a| a.id == p).and_then(|a| a.parent_id);
    }
    out
}

/// The period's reports of one area: every tertial and overall report ending in the
/// period with a level for it, and the latest weekly one (with how many there were).
struct PeriodLevels<'a> {
    rows: Vec<(&'a SituationReport, u8)>,
    weekly_count: usize,
}

fn period_levels<'a>(reports: &[&'a SituationReport], area: Id) -> PeriodLevels<'a> {
    let mut rows: Vec<(&SituationReport, u8)> = reports
        .iter()
        .filter(|r| r.kind != SituationKind::Weekly)
        .filter_map(|r| r.level_of(area).map(|l| (*r, l)))
        .collect();
    let weekly: Vec<(&SituationReport, u8)> = reports
        .iter()
        .filter(|r| r.kind == SituationKind::Weekly)
        .filter_map(|r| r.level_of(area).map(|l| (*r, l)))
        .collect();
    let weekly_count = weekly.len();
    if let Some(latest) = weekly
        .into_iter()
        .max_by(|a, b| (&a.0.period_end, a.0.id).cmp(&(&b.0.period_end, b.0.id)))
    {
        rows.push(latest);
    }
    rows.sort_by(|a, b| (&a.0.period_end, a.0.id).cmp(&(&b.0.period_end, b.0.id)));
    PeriodLevels { rows, weekly_count }
}

/// Everything the report says about one area, and whether there is anything.
struct AreaFacts<'a> {
    area: &'a Area,
    levels: PeriodLevels<'a>,
    history: Vec<LevelHistoryRow>,
    values: Vec<AreaValue>,
    deviations: Vec<&'a Deviation>,
    forums: Vec<&'a Forum>,
    agreements: Vec<&'a Agreement>,
}

impl AreaFacts<'_> {
    fn is_empty(&self, year: i32) -> bool {
        self.area.class_in(year).is_none()
            && self.area.latest_class().is_none()
            && self.levels.rows.is_empty()
            && self.history.is_empty()
            && self.values.is_empty()
            && self.deviations.is_empty()
            && self.forums.is_empty()
            && self.agreements.is_empty()
    }

    /// The latest level of the period and its change.
    fn latest(&self) -> Option<(u8, Option<i16>)> {
        let (r, level) = self.levels.rows.last()?;
        let change = self
            .history
            .iter()
            .find(|h| h.report_id == r.id)
            .and_then(|h| h.change);
        Some((*level, change))
    }
}

/// The latest value per indicator (the values are oldest first per indicator).
fn latest_values(values: Vec<AreaValue>) -> Vec<AreaValue> {
    let mut latest: BTreeMap<Id, AreaValue> = BTreeMap::new();
    for v in values {
        match latest.get(&v.indicator_id) {
            Some(have) if have.period >= v.period => {}
            _ => {
                latest.insert(v.indicator_id, v);
            }
        }
    }
    latest.into_values().collect()
}

fn record(data: &SafetyData, id: Id) -> Option<&IndicatorRecord> {
    data.records.iter().find(|r| r.indicator.id == id)
}

fn indicator_name(data: &SafetyData, id: Id) -> String {
    record(data, id).map_or_else(|| format!("Mått nr {id}"), |r| r.indicator.name.clone())
}

/// The worst mark of a value: "Sämst av 11", "Nej (11 områden)", or "Ingen bättre
/// riktning".
fn worst_sv(data: &SafetyData, v: &AreaValue) -> String {
    let directed = record(data, v.indicator_id)
        .is_some_and(|r| r.indicator.direction != uppsikt_domain::Direction::None);
    if !directed {
        "Ingen bättre riktning".into()
    } else if v.areas_with_value < 2 {
        "Inget att jämföra med".into()
    } else if v.worst {
        format!("Sämst av {}", v.areas_with_value)
    } else {
        format!("Nej ({} områden)", v.areas_with_value)
    }
}

fn area_section(data: &SafetyData, f: &AreaFacts<'_>, year: i32, period_text: &str) -> Section {
    let a = f.area;
    let mut s = Section::new(a.name.clone());
    if let Some((level, _)) = f.latest() {
        s.badge = Some(level_badge(data, level));
    }
    let mut facts: Vec<(String, String)> = vec![(
        "Slag av område".into(),
        a.kind
            .map_or_else(|| "Inte angivet".into(), |k| k.label_sv().to_string()),
    )];
    if let Some(p) = a.parent_id {
        facts.push(("Ingår i".into(), data.area_name(p)));
    }
    facts.push((
        format!("Polisens klassning {year}"),
        match a.class_in(year) {
            None if a.latest_class().is_some() => class_sv(a, year),
            Some(c) => {
                let mut t = c.class.label_sv().to_string();
                let when = match (c.year, &c.as_of) {
                    (_, Some(d)) => format!("per {d}"),
                    (Some(y), None) => format!("avser {y}"),
                    (None, None) => "år anges inte".into(),
                };
                if c.source.trim().is_empty() {
                    t.push_str(&format!(" ({when}, källa anges inte)"));
                } else {
                    t.push_str(&format!(" ({when}, källa: {})", c.source.trim()));
                }
                t
            }
            None => "Inte klassat enligt uppgifterna i uppsikt".into(),
        },
    ));
    if !a.note.trim().is_empty() {
        facts.push(("Anmärkning".into(), a.note.trim().to_string()));
    }
    for (label, text) in facts {
        s.blocks.push(Block::Labeled { label, text });
    }

    // Levels in the period.
    if f.levels.rows.is_empty() {
        s.blocks.push(Block::Paragraph {
            text: format!(
                "Ingen lägesbild {period_text} anger ett läge för {}.",
                a.name
            ),
        });
    } else {
        s.blocks.push(Block::Table(Table {
            caption: format!("Lägen för {} {period_text}", a.name),
            columns: [
                "Lägesbild",
                "Slag",
                "Period",
                "Läge",
                "Förändring",
                "Lägets innebörd",
            ]
            .map(String::from)
            .to_vec(),
            rows: f
                .levels
                .rows
                .iter()
                .map(|(r, level)| {
                    let change = f
                        .history
                        .iter()
                        .find(|h| h.report_id == r.id)
                        .and_then(|h| h.change);
                    let mut title = r.title.clone();
                    if r.kind == SituationKind::Weekly && f.levels.weekly_count > 1 {
                        title.push_str(&format!(
                            " (den senaste av {} veckolägesbilder)",
                            f.levels.weekly_count
                        ));
                    }
                    if r.synthetic {
                        title.push_str(" (genererade data)");
                    }
                    vec![
                        title,
                        r.kind.label_sv().to_string(),
                        format!("{}–{}", r.period_start, r.period_end),
                        format!("{level} av {}", data.scale.max_level),
                        change_sv(change),
                        definition(data, *level),
                    ]
                })
                .collect(),
            row_headers: true,
        }));
    }
    // The history before the period (tertial and overall reports).
    let earlier: Vec<&LevelHistoryRow> = f
        .history
        .iter()
        .filter(|h| h.kind != SituationKind::Weekly)
        .filter(|h| !f.levels.rows.iter().any(|(r, _)| r.id == h.report_id))
        .collect();
    if !earlier.is_empty() {
        s.blocks.push(Block::Table(Table {
            caption: format!("Tidigare lägen för {}", a.name),
            columns: ["Lägesbild", "Slag", "Periodens slut", "Läge", "Förändring"]
                .map(String::from)
                .to_vec(),
            rows: earlier
                .iter()
                .map(|h| {
                    vec![
                        data.report_title(h.report_id),
                        h.kind.label_sv().to_string(),
                        h.period_end.clone(),
                        format!("{} av {}", h.level, data.scale.max_level),
                        change_sv(h.change),
                    ]
                })
                .collect(),
            row_headers: true,
        }));
    }

    // Indicator values.
    if !f.values.is_empty() {
        s.blocks.push(Block::Table(Table {
            caption: format!("Mått för {} jämfört med kommunen", a.name),
            columns: [
                "Mått",
                "Period",
                a.name.as_str(),
                "Kommunen",
                "Sämst av områdena",
            ]
            .map(String::from)
            .to_vec(),
            rows: f
                .values
                .iter()
                .map(|v| {
                    let r = record(data, v.indicator_id);
                    vec![
                        indicator_name(data, v.indicator_id),
                        v.period.label_sv(),
                        value_sv(v.value, r),
                        v.municipal
                            .map_or_else(|| "Uppgift saknas".into(), |m| value_sv(m, r)),
                        worst_sv(data, v),
                    ]
                })
                .collect(),
            row_headers: true,
        }));
    }

    // Open deviations.
    if f.deviations.is_empty() {
        s.blocks.push(Block::Paragraph {
            text: format!("Inga öppna avvikelser gäller {}.", a.name),
        });
    } else {
        s.blocks.push(Block::Table(deviations_table(
            format!("Öppna avvikelser för {}", a.name),
            data,
            &f.deviations,
        )));
    }

    // Forums and agreements naming the area (or an area it lies in).
    if !f.forums.is_empty() || !f.agreements.is_empty() {
        let mut rows: Vec<Vec<String>> = f
            .forums
            .iter()
            .map(|x| {
                let flags = forum_flags(x);
                vec![
                    forum_label(x),
                    "Forum".into(),
                    if x.cadence.trim().is_empty() {
                        "Mötesfrekvens anges inte".into()
                    } else {
                        x.cadence.trim().to_string()
                    },
                    flags_sv(flags.iter().map(|f| f.label_sv().to_string())),
                ]
            })
            .collect();
        rows.extend(f.agreements.iter().map(|x| {
            vec![
                agreement_label(x),
                x.kind.label_sv().to_string(),
                validity(x),
                flags_sv(agreement_flags(x).iter().map(|f| f.label_sv())),
            ]
        }));
        s.blocks.push(Block::Table(Table {
            caption: format!("Forum och överenskommelser i {}", a.name),
            columns: ["Namn", "Slag", "Mötesfrekvens eller giltighet", "Brister"]
                .map(String::from)
                .to_vec(),
            rows,
            row_headers: true,
        }));
    }
    s
}

/// The area's classification in `year` in short; a later one says from when: "Inte
/// klassat 2023; klassat som Utsatt område från 2024".
fn class_sv(a: &Area, year: i32) -> String {
    match (a.class_in(year), a.latest_class()) {
        (Some(c), _) => c.class.label_sv().to_string(),
        (None, Some(later)) => format!(
            "Inte klassat {year}; klassat som {} från {}",
            later.class.label_sv(),
            later
                .year
                .map_or_else(|| "ett senare år".into(), |y| y.to_string())
        ),
        (None, None) => "Inte klassat".into(),
    }
}

/// The pure builder of "Områdesuppföljning" for a tertial or a year. `reads_all` false:
/// the public build, with levels only of situation reports marked public.
pub fn area_follow_up_report(
    data: &SafetyData,
    period: Period,
    reads_all: bool,
    data_version: i64,
) -> Report {
    let year = period.year();
    let (start, end) = period_bounds(period);
    let period_text = format!("under {}", period_label(period));
    // The reports whose levels this reader may see, up to the period's end.
    let visible: Vec<&SituationReport> = data
        .reports
        .iter()
        .filter(|r| visible_levels(r, reads_all))
        .filter(|r| r.period_end.as_str() <= end.as_str())
        .collect();
    let in_period: Vec<&SituationReport> = visible
        .iter()
        .copied()
        .filter(|r| r.period_end.as_str() >= start.as_str())
        .collect();
    let history_reports: Vec<SituationReport> = visible.iter().map(|r| (*r).clone()).collect();

    let mut areas: Vec<&Area> = data.areas.iter().collect();
    // The areas the police classify (in the year, or later: the list is what KS follows
    // now) first, then the rest, each in Swedish order.
    let classified = |a: &Area| a.class_in(year).or_else(|| a.latest_class()).is_some();
    areas.sort_by(|a, b| {
        classified(b)
            .cmp(&classified(a))
            .then_with(|| swedish_cmp(&a.name, &b.name))
    });
    let facts: Vec<AreaFacts> = areas
        .iter()
        .map(|a| {
            let ids = with_ancestors(&data.areas, a.id);
            AreaFacts {
                area: a,
                levels: period_levels(&in_period, a.id),
                history: level_history(&history_reports, a.id),
                values: latest_values(area_values(&data.records, &a.name)),
                deviations: data
                    .deviations
                    .iter()
                    .filter(|d| {
                        d.raised.area.as_deref() == Some(a.name.as_str())
                            && is_open(d)
                            && deviation_visible(data, d, reads_all)
                    })
                    .collect(),
                forums: active_in(&data.forums, |f| &f.area_ids, &ids, false),
                agreements: active_in(&data.agreements, |x| &x.area_ids, &ids, false)
                    .into_iter()
                    .filter(|x| in_force_during(x, &start, &end))
                    .collect(),
            }
        })
        .collect();

    let rows = comparison(&data.records);
    let ranked = rows.iter().filter(|r| !r.worst.is_empty()).count();
    let worst = worst_counts(&rows);

    // Summary.
    let mut summary = Section::new("Sammanfattning");
    summary.blocks.push(Block::Paragraph {
        text: format!(
            "Uppföljningen visar för varje område polisens klassning, lägena i lägesbilderna {period_text} och förändringen sedan föregående lägesbild av samma slag, måtten per område jämförda med kommunen, öppna avvikelser samt de forum och överenskommelser som verkar i området. Områden som polisen klassar visas först, övriga i bokstavsordning."
        ),
    });
    if !reads_all {
        summary.blocks.push(Block::Paragraph {
            text: "Lägen visas bara ur lägesbilder som är markerade som offentliga.".into(),
        });
    }
    if ranked > 0 {
        if let Some((name, n)) = worst.first() {
            summary.blocks.push(Block::Paragraph {
                text: format!("Av de {ranked} mått som jämför områdena är {name} sämst på {n}."),
            });
        }
    }
    let shown: Vec<&AreaFacts> = facts.iter().filter(|f| !f.is_empty(year)).collect();
    summary.blocks.push(Block::Table(Table {
        caption: format!("Områdena {period_text}"),
        columns: [
            "Område",
            "Polisens klassning",
            "Senaste läge",
            "Förändring",
            "Sämst på antal mått",
            "Öppna avvikelser",
        ]
        .map(String::from)
        .to_vec(),
        rows: shown
            .iter()
            .map(|f| {
                let (level, change) = match f.latest() {
                    Some((l, c)) => (format!("{l} av {}", data.scale.max_level), change_sv(c)),
                    None => ("Inget läge under perioden".into(), String::new()),
                };
                let worst_n = worst
                    .iter()
                    .find(|(n, _)| n == &f.area.name)
                    .map_or(0, |(_, n)| *n);
                vec![
                    f.area.name.clone(),
                    class_sv(f.area, year),
                    level,
                    change,
                    if ranked == 0 {
                        "Inga jämförbara mått".into()
                    } else {
                        format!("{worst_n} av {ranked}")
                    },
                    f.deviations.len().to_string(),
                ]
            })
            .collect(),
        row_headers: true,
    }));

    // One section per area with anything to show.
    let mut areas_chapter = Section::new("Områdena");
    for f in &shown {
        areas_chapter
            .children
            .push(area_section(data, f, year, &period_text));
    }
    let empty: Vec<&str> = facts
        .iter()
        .filter(|f| f.is_empty(year))
        .map(|f| f.area.name.as_str())
        .collect();
    if shown.is_empty() {
        areas_chapter.blocks.push(Block::Paragraph {
            text: "Inga områden med uppgifter finns i uppsikt.".into(),
        });
    }
    if !empty.is_empty() {
        areas_chapter.blocks.push(Block::Labeled {
            label: "Områden utan uppgifter för perioden".into(),
            text: empty.join(", "),
        });
    }

    // Municipality-wide.
    let mut wide = Section::new("Hela kommunen");
    let mut cmp = Section::new("Jämförelse mellan områdena");
    if rows.is_empty() {
        cmp.blocks.push(Block::Paragraph {
            text: "Inget mått har värden för minst två områden samma period.".into(),
        });
    } else {
        if !worst.is_empty() {
            cmp.blocks.push(Block::Paragraph {
                text: format!(
                    "Sämst på flest mått: {}.",
                    worst
                        .iter()
                        .map(|(n, c)| format!("{n}: {c} av {ranked}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
            cmp.blocks.push(Block::Table(Table {
                caption: "Antal mått där området är sämst".into(),
                columns: ["Område", "Sämst på", "Av jämförda mått"]
                    .map(String::from)
                    .to_vec(),
                rows: worst
                    .iter()
                    .map(|(n, c)| vec![n.clone(), c.to_string(), ranked.to_string()])
                    .collect(),
                row_headers: true,
            }));
        }
        cmp.blocks.push(Block::Table(Table {
            caption: "Måtten per område, senaste period med minst två områden".into(),
            columns: [
                "Mått",
                "Period",
                "Kommunen",
                "Sämst",
                "Bäst",
                "Områden med värde",
            ]
            .map(String::from)
            .to_vec(),
            rows: rows
                .iter()
                .map(|row| {
                    let r = record(data, row.indicator_id);
                    let named = |names: &[String]| {
                        if names.is_empty() {
                            return "Ingen bättre riktning".to_string();
                        }
                        names
                            .iter()
                            .map(|n| {
                                let v = row
                                    .values
                                    .iter()
                                    .find(|(a, _)| a == n)
                                    .map(|(_, v)| *v)
                                    .unwrap_or_default();
                                format!("{n} {}", value_sv(v, r))
                            })
                            .collect::<Vec<_>>()
                            .join("\n")
                    };
                    vec![
                        indicator_name(data, row.indicator_id),
                        row.period.label_sv(),
                        row.municipal
                            .map_or_else(|| "Uppgift saknas".into(), |m| value_sv(m, r)),
                        named(&row.worst),
                        named(&row.best),
                        row.values.len().to_string(),
                    ]
                })
                .collect(),
            row_headers: true,
        }));
    }
    wide.children.push(cmp);

    // Unnamed areas' levels in the period.
    let unnamed: Vec<&&SituationReport> = in_period
        .iter()
        .filter(|r| !r.unnamed_levels.is_empty())
        .collect();
    if !unnamed.is_empty() {
        let mut u = Section::new("Lägen för områden som källan inte namnger");
        u.blocks.push(Block::Paragraph {
            text: "Lägesbilden anger lägen för områden utan att namnge dem; de visas här och knyts inte till något område.".into(),
        });
        u.blocks.push(Block::Table(Table {
            caption: format!("Ej namngivna områden {period_text}"),
            columns: ["Lägesbild", "Antal områden", "Lägen"]
                .map(String::from)
                .to_vec(),
            rows: unnamed
                .iter()
                .map(|r| {
                    let mut levels = r.unnamed_levels.clone();
                    levels.sort_unstable_by(|a, b| b.cmp(a));
                    vec![
                        r.title.clone(),
                        r.unnamed_levels.len().to_string(),
                        levels
                            .iter()
                            .map(|l| format!("läge {l}"))
                            .collect::<Vec<_>>()
                            .join(", "),
                    ]
                })
                .collect(),
            row_headers: true,
        }));
        wide.children.push(u);
    }

    // Forums and agreements for the whole municipality.
    let general_forums: Vec<&Forum> = data
        .forums
        .iter()
        .filter(|f| f.area_ids.is_empty())
        .collect();
    let general_agreements: Vec<&Agreement> = data
        .agreements
        .iter()
        .filter(|a| a.area_ids.is_empty() && in_force_during(a, &start, &end))
        .collect();
    if !general_forums.is_empty() || !general_agreements.is_empty() {
        let mut g = Section::new("Forum och överenskommelser för hela kommunen");
        let mut rows: Vec<Vec<String>> = general_forums
            .iter()
            .map(|x| {
                vec![
                    forum_label(x),
                    "Forum".into(),
                    flags_sv(forum_flags(x).iter().map(|f| f.label_sv().to_string())),
                ]
            })
            .collect();
        rows.extend(general_agreements.iter().map(|x| {
            vec![
                agreement_label(x),
                x.kind.label_sv().to_string(),
                flags_sv(agreement_flags(x).iter().map(|f| f.label_sv())),
            ]
        }));
        g.blocks.push(Block::Table(Table {
            caption: "Forum och överenskommelser utan avgränsning till områden".into(),
            columns: ["Namn", "Slag", "Brister"].map(String::from).to_vec(),
            rows,
            row_headers: true,
        }));
        wide.children.push(g);
    }

    // The level scale.
    let mut scale = Section::new("Skalan för lägen");
    scale.blocks.push(Block::Paragraph {
        text: format!(
            "Kommunens skala har {} lägen; läge {} och högre ger en avvikelse. En lägesbild ska redovisas för styrelsen inom {} dagar efter periodens slut.",
            number_word_sv(usize::from(data.scale.max_level)),
            data.scale.threshold,
            data.scale.present_within_days
        ),
    });
    scale.blocks.push(Block::Table(Table {
        caption: "Lägenas innebörd".into(),
        columns: ["Läge", "Innebörd"].map(String::from).to_vec(),
        rows: (1..=data.scale.max_level)
            .map(|l| vec![l.to_string(), definition(data, l)])
            .collect(),
        row_headers: true,
    }));
    wide.children.push(scale);

    let subject = match data.scale.board_id {
        Some(b) => data.unit(b),
        None => data.organisation.clone(),
    };
    Report {
        meta: ReportMeta {
            kind: ReportKind::AreaFollowUp,
            title: format!("{REPORT_TITLE} {}", period_label(period)),
            subject,
            organisation: data.organisation.clone(),
            period,
            period_label: period_words(period),
            data_version,
            generated_at: String::new(),
            version: crate::build::Version::Board,
            draft_note: None,
            decided_href: None,
        },
        summary,
        sections: vec![areas_chapter, wide],
        measures: Vec::new(),
    }
}

/// "tertial 3 2023" or "2023".
pub fn period_label(period: Period) -> String {
    match period {
        Period::Tertial(y, t) => format!("tertial {t} {y}"),
        other => other.year().to_string(),
    }
}

/// Builds "Områdesuppföljning" for a request (`ReportKind::AreaFollowUp`): the
/// municipality's, for a tertial (2023T3) or a year. `reads_all` false is the public build.
pub async fn build(store: &Store, request: Request, reads_all: bool) -> Result<Report> {
    let period = request.period()?;
    let data = SafetyData::load(store, period, true).await?;
    Ok(area_follow_up_report(
        &data,
        period,
        reads_all,
        store.data_version().await?,
    ))
}
