//! Kolada in the store: settings, metadata, the raw values (written in bulk), comparison
//! groups and which of them each indicator is compared against; filling linked indicators'
//! outcomes from the raw values; and the ranks and averages derived from them on read.
//!
//! The raw values are reference data, not the municipality's own decisions: a bulk write is
//! logged as one change-log row per transaction (how many values were written and
//! deleted, of which KPIs), written by [`Writer::commit`]. The outcomes they fill are the
//! municipality's follow-up data and are logged one by one, like any other outcome, and
//! refused for periods a board has locked (reported, not failed: Kolada revises old years).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;
use uppsikt_domain::comparison::group_figures;
use uppsikt_domain::kolada::{
    reconcile, FetchedValue, Gender, KoladaKey, KoladaValue, KpiId, MunicipalityId, StoredOutcome,
    SyncStep,
};
use uppsikt_domain::model::{Comparison, Id, Indicator, IndicatorRecord};
use uppsikt_domain::{Breakdown, Direction, Period};

use crate::sql::{placeholders, rows_for};
use crate::write::Bind;
use crate::{Backend, Result, Store, StoreError, Writer};

/// Which municipality is ours in Kolada, and where its API answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KoladaSettings {
    /// `None` until configured: then no outcomes are filled and no ranks computed.
    pub municipality: Option<MunicipalityId>,
    pub api_url: String,
}

/// The default API address.
pub const KOLADA_API: &str = "https://api.kolada.se/v3";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KoladaMunicipality {
    pub id: MunicipalityId,
    pub title: String,
    /// `K` (kommun) or `L` (region), as Kolada gives it.
    pub kind: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KoladaKpi {
    pub id: KpiId,
    pub title: String,
    pub description: String,
    pub operating_area: String,
    pub divided_by_gender: bool,
}

/// A comparison group with its members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ComparisonGroup {
    pub id: Id,
    pub key: String,
    pub title: String,
    /// Kolada's id for a municipality group (e.g. `G124125`); `None` for a custom list.
    pub kolada_id: Option<String>,
    pub members: Vec<MunicipalityId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ComparisonGroupInput {
    /// Identifies the group across imports (`kolada-g124125` for Kolada's groups).
    pub key: String,
    pub title: String,
    pub kolada_id: Option<String>,
    pub members: Vec<MunicipalityId>,
}

/// What one transaction did to the raw values; logged once at commit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct KoladaChanges {
    pub written: u64,
    pub deleted: u64,
    pub kpis: BTreeSet<String>,
    /// PostgreSQL: a chunk met a stored key, so the rest of the transaction upserts.
    #[serde(skip)]
    pub upserting: bool,
}

impl KoladaChanges {
    pub fn is_empty(&self) -> bool {
        self.written == 0 && self.deleted == 0
    }
}

/// What filling the linked indicators' outcomes did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct OutcomeSync {
    /// Indicators linked to a KPI that were looked at.
    pub indicators: usize,
    /// Outcomes set (new or changed).
    pub set: usize,
    /// Outcomes removed because Kolada no longer has a value.
    pub removed: usize,
    /// Outcomes already as Kolada has them.
    pub unchanged: usize,
    /// Changes refused because a board has locked the period: (indicator, period,
    /// Kolada's value or `None` for a removal).
    pub locked: Vec<(Id, Period, Option<f64>)>,
    /// No municipality configured: nothing was filled.
    pub no_municipality: bool,
}

/// Rows per bulk statement on SQLite: 6 binds a row stay under its 32,766 variables.
/// (PostgreSQL takes a whole call's values in one `COPY`.)
const SQLITE_CHUNK: usize = 5_000;

fn municipality(s: &str) -> Result<MunicipalityId> {
    MunicipalityId::parse(s)
        .ok_or_else(|| StoreError::Corrupt(format!("kolada municipality {s:?}")))
}

impl Store {
    pub async fn kolada_settings(&self) -> Result<KoladaSettings> {
        let (m, url): (String, String) =
            sqlx::query_as("SELECT municipality, api_url FROM kolada_settings WHERE id = 1")
                .fetch_one(&self.pool)
                .await?;
        Ok(KoladaSettings {
            municipality: MunicipalityId::parse(&m),
            api_url: url,
        })
    }

    /// Kolada's municipalities and regions as imported, by id.
    pub async fn kolada_municipalities(&self) -> Result<Vec<KoladaMunicipality>> {
        let rows: Vec<(String, String, String)> =
            sqlx::query_as("SELECT id, title, kind FROM kolada_municipalities ORDER BY id")
                .fetch_all(&self.pool)
                .await?;
        rows.into_iter()
            .map(|(id, title, kind)| {
                Ok(KoladaMunicipality {
                    id: municipality(&id)?,
                    title,
                    kind,
                })
            })
            .collect()
    }

    /// A KPI's metadata, if imported.
    pub async fn kolada_kpi(&self, id: &KpiId) -> Result<Option<KoladaKpi>> {
        let row: Option<(String, String, String, i64)> = sqlx::query_as(
            "SELECT title, description, operating_area, divided_by_gender FROM kolada_kpis WHERE id = $1",
        )
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await?;
        Ok(
            row.map(|(title, description, operating_area, g)| KoladaKpi {
                id: id.clone(),
                title,
                description,
                operating_area,
                divided_by_gender: g != 0,
            }),
        )
    }

    /// The day of the last complete fetch of each KPI (for `from_date`).
    pub async fn kolada_fetched_on(&self) -> Result<HashMap<String, String>> {
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT id, fetched_on FROM kolada_kpis WHERE fetched_on IS NOT NULL")
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.into_iter().collect())
    }

    /// The KPIs that indicators are linked to, with the number of indicators each.
    pub async fn linked_kpis(&self) -> Result<Vec<(KpiId, i64)>> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT kolada_kpi, COUNT(*) FROM indicators WHERE kolada_kpi <> '' GROUP BY kolada_kpi ORDER BY kolada_kpi",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(k, n)| KpiId::parse(&k).map(|k| (k, n)))
            .collect())
    }

    /// How many raw values are stored (and how many of them are missing).
    pub async fn kolada_value_count(&self) -> Result<(i64, i64)> {
        Ok(sqlx::query_as(
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN value IS NULL THEN 1 ELSE 0 END), 0) FROM kolada_values",
        )
        .fetch_one(&self.pool)
        .await?)
    }

    /// One municipality's values of a KPI, by year and gender (`None`: missing).
    pub async fn kolada_values_of(
        &self,
        kpi: &KpiId,
        municipality: &MunicipalityId,
    ) -> Result<Vec<(i32, Gender, Option<f64>, String)>> {
        let rows: Vec<(i64, String, Option<f64>, String)> = sqlx::query_as(
            "SELECT year, gender, value, status FROM kolada_values WHERE kpi = $1 AND municipality = $2 ORDER BY year, gender",
        )
        .bind(kpi.as_str())
        .bind(municipality.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(y, g, v, s)| {
                let gender = Gender::parse(&g)
                    .ok_or_else(|| StoreError::Corrupt(format!("kolada gender {g:?}")))?;
                Ok((y as i32, gender, v, s))
            })
            .collect()
    }

    /// Every comparison group with its members, by title.
    pub async fn comparison_groups(&self) -> Result<Vec<ComparisonGroup>> {
        let groups: Vec<(Id, String, String, Option<String>)> =
            sqlx::query_as("SELECT id, key, title, kolada_id FROM comparison_groups")
                .fetch_all(&self.pool)
                .await?;
        let members: Vec<(Id, String)> = sqlx::query_as(
            "SELECT group_id, municipality FROM comparison_group_members ORDER BY municipality",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut by_group: HashMap<Id, Vec<MunicipalityId>> = HashMap::new();
        for (g, m) in members {
            by_group.entry(g).or_default().push(municipality(&m)?);
        }
        let mut out: Vec<ComparisonGroup> = groups
            .into_iter()
            .map(|(id, key, title, kolada_id)| ComparisonGroup {
                members: by_group.remove(&id).unwrap_or_default(),
                id,
                key,
                title,
                kolada_id,
            })
            .collect();
        out.sort_by(|a, b| {
            uppsikt_domain::collate::swedish_cmp(&a.title, &b.title).then(a.id.cmp(&b.id))
        });
        Ok(out)
    }

    /// The groups an indicator is compared against, in order.
    pub async fn indicator_groups(&self, indicator_id: Id) -> Result<Vec<Id>> {
        Ok(sqlx::query_scalar(
            "SELECT group_id FROM indicator_comparison_groups WHERE indicator_id = $1 ORDER BY position, group_id",
        )
        .bind(indicator_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Adds to `records` what Kolada says about them: ranks and group averages per year for
    /// each comparison group of a linked indicator, and whether any figure shown comes
    /// from Kolada (for the attribution). The figures are derived here, except for the
    /// periods a decision covers: those are read as the decision froze them
    /// (`decided_comparisons`), so that what was decided stays decided.
    pub(crate) async fn add_kolada_figures(
        &self,
        records: &mut [IndicatorRecord],
        with_comparisons: bool,
    ) -> Result<()> {
        let ids: Vec<Id> = records
            .iter()
            .filter(|r| !r.indicator.kolada_kpi.is_empty())
            .map(|r| r.indicator.id)
            .collect();
        if ids.is_empty() {
            return Ok(());
        }
        let with_kolada_outcomes: BTreeSet<Id> = {
            let mut conn = self.pool.acquire().await?;
            let rows: Vec<(Id,)> = rows_for(
                &mut conn,
                "SELECT DISTINCT indicator_id FROM outcomes WHERE source = 'kolada' AND indicator_id IN (@IDS@)",
                &ids,
            )
            .await?;
            rows.into_iter().map(|(id,)| id).collect()
        };
        for r in records.iter_mut() {
            if with_kolada_outcomes.contains(&r.indicator.id) {
                r.kolada = true;
            }
        }
        if !with_comparisons {
            return Ok(());
        }
        self.attach_kolada_comparisons(records, |_| true).await
    }

    /// Adds Kolada's ranks and group averages to the Kolada-linked records that `wanted`
    /// picks (and marks them as showing Kolada figures).
    pub(crate) async fn attach_kolada_comparisons(
        &self,
        records: &mut [IndicatorRecord],
        wanted: impl Fn(&IndicatorRecord) -> bool,
    ) -> Result<()> {
        let linked: Vec<Indicator> = records
            .iter()
            .filter(|r| wanted(r) && !r.indicator.kolada_kpi.is_empty())
            .map(|r| r.indicator.clone())
            .collect();
        if linked.is_empty() {
            return Ok(());
        }
        let figures = self.kolada_comparisons(&linked).await?;
        for r in records.iter_mut() {
            if let Some(added) = figures.get(&r.indicator.id).filter(|a| !a.is_empty()) {
                r.kolada = true;
                r.comparisons.extend(added.iter().cloned());
            }
        }
        Ok(())
    }

    /// The comparison figures Kolada gives the linked indicators among `records`, by
    /// indicator id: derived from the raw values, or as decided for covered periods.
    pub(crate) async fn kolada_comparisons(
        &self,
        linked: &[Indicator],
    ) -> Result<HashMap<Id, Vec<Comparison>>> {
        let ids: Vec<Id> = linked.iter().map(|i| i.id).collect();
        let mut out: HashMap<Id, Vec<Comparison>> = HashMap::new();
        if ids.is_empty() {
            return Ok(out);
        }
        if let Some(ours) = self.kolada_settings().await?.municipality {
            self.derive_comparisons(linked, &ours, &mut out).await?;
        }
        self.apply_decided_comparisons(&ids, &mut out).await?;
        Ok(out)
    }

    /// Ranks and averages per year from Kolada's raw values for each comparison group of
    /// each linked indicator.
    async fn derive_comparisons(
        &self,
        linked: &[Indicator],
        ours: &MunicipalityId,
        out: &mut HashMap<Id, Vec<Comparison>>,
    ) -> Result<()> {
        let ids: Vec<Id> = linked.iter().map(|i| i.id).collect();
        let uses = self.groups_of_indicators(&ids).await?;
        if uses.is_empty() {
            return Ok(());
        }
        let groups: HashMap<Id, ComparisonGroup> = self
            .comparison_groups()
            .await?
            .into_iter()
            .map(|g| (g.id, g))
            .collect();
        let mut kpis: BTreeSet<String> = BTreeSet::new();
        let mut places: BTreeSet<String> = BTreeSet::from([ours.as_str().to_string()]);
        for i in linked {
            for g in uses.get(&i.id).into_iter().flatten() {
                if let Some(group) = groups.get(g) {
                    kpis.insert(i.kolada_kpi.clone());
                    places.extend(group.members.iter().map(|m| m.as_str().to_string()));
                }
            }
        }
        let values = self.total_values(&kpis, &places).await?;
        for i in linked {
            let Some(series) = values.get(&i.kolada_kpi) else {
                continue;
            };
            for g in uses.get(&i.id).into_iter().flatten() {
                let Some(group) = groups.get(g) else { continue };
                out.entry(i.id).or_default().extend(group_comparisons(
                    series,
                    group,
                    ours,
                    i.direction,
                ));
            }
        }
        Ok(())
    }

    /// Replaces the derived figures of every period a decision covers by the figures that
    /// decision froze (none, if it froze none): of several decisions covering a period,
    /// the one on the earliest period, as `Decisions::covering` names it. A decision whose
    /// figures are still to be frozen (an upgraded database) does not count yet.
    async fn apply_decided_comparisons(
        &self,
        ids: &[Id],
        out: &mut HashMap<Id, Vec<Comparison>>,
    ) -> Result<()> {
        let decisions = {
            let mut conn = self.pool.acquire().await?;
            crate::access::load_frozen_decisions(&mut conn).await?
        };
        if decisions.is_empty() {
            return Ok(());
        }
        type Row = (
            Id,
            String,
            String,
            Option<i64>,
            Option<i64>,
            Option<f64>,
            String,
        );
        let (owner, rows): (HashMap<Id, Id>, Vec<Row>) = {
            let mut conn = self.pool.acquire().await?;
            let owner: Vec<(Id, Id)> = rows_for(
                &mut conn,
                "SELECT i.id, g.org_id FROM indicators i JOIN goals g ON g.id = i.goal_id WHERE i.id IN (@IDS@)",
                ids,
            )
            .await?;
            let rows = rows_for(
                &mut conn,
                "SELECT d.indicator_id, d.period, d.group_name, d.rank, d.of_count, d.average, l.period \
                 FROM decided_comparisons d JOIN period_locks l ON l.id = d.lock_id \
                 WHERE d.indicator_id IN (@IDS@)",
                ids,
            )
            .await?;
            (owner.into_iter().collect(), rows)
        };
        let mut frozen: HashMap<Id, Vec<(i64, Comparison)>> = HashMap::new();
        for (id, period, group, rank, of, average, lock_period) in rows {
            let lock_day = crate::rows::period(&lock_period)?.last_day_number();
            let c = Comparison {
                period: crate::rows::period(&period)?,
                group,
                rank,
                of,
                average,
            };
            frozen.entry(id).or_default().push((lock_day, c));
        }
        for id in ids {
            let Some(&org) = owner.get(id) else { continue };
            let list = out.entry(*id).or_default();
            list.retain(|c| !decisions.covers(org, c.period));
            let mut decided = frozen.remove(id).unwrap_or_default();
            // The earliest decision first; keep its copy of each (period, group).
            decided.sort_by_key(|(day, _)| *day);
            let mut seen: BTreeSet<(Period, String)> = BTreeSet::new();
            for (_, c) in decided {
                if seen.insert((c.period, c.group.clone())) {
                    list.push(c);
                }
            }
        }
        Ok(())
    }

    /// The comparison groups of each indicator, in order.
    async fn groups_of_indicators(&self, ids: &[Id]) -> Result<HashMap<Id, Vec<Id>>> {
        let mut out: HashMap<Id, Vec<Id>> = HashMap::new();
        let mut conn = self.pool.acquire().await?;
        let rows: Vec<(Id, Id)> = rows_for(
            &mut conn,
            "SELECT indicator_id, group_id FROM indicator_comparison_groups WHERE indicator_id IN (@IDS@) \
             ORDER BY indicator_id, position, group_id",
            ids,
        )
        .await?;
        for (i, g) in rows {
            out.entry(i).or_default().push(g);
        }
        Ok(out)
    }

    /// Total (`T`) values of the KPIs for the places: kpi → year → municipality → value.
    async fn total_values(
        &self,
        kpis: &BTreeSet<String>,
        places: &BTreeSet<String>,
    ) -> Result<HashMap<String, YearValues>> {
        let mut out: HashMap<String, YearValues> = HashMap::new();
        if kpis.is_empty() {
            return Ok(out);
        }
        let places: Vec<&String> = places.iter().collect();
        for kpi_chunk in kpis.iter().collect::<Vec<_>>().chunks(100) {
            let sql = format!(
                "SELECT kpi, municipality, year, value FROM kolada_values WHERE gender = 'T' \
                 AND kpi IN ({}) AND municipality IN ({})",
                placeholders(1, kpi_chunk.len()),
                placeholders(kpi_chunk.len() + 1, places.len())
            );
            let mut q = sqlx::query_as::<_, (String, String, i64, Option<f64>)>(&sql);
            for k in kpi_chunk {
                q = q.bind(k.as_str());
            }
            for p in &places {
                q = q.bind(p.as_str());
            }
            for (kpi, m, year, value) in q.fetch_all(&self.pool).await? {
                out.entry(kpi)
                    .or_default()
                    .entry(year as i32)
                    .or_default()
                    .insert(m, value);
            }
        }
        Ok(out)
    }
}

/// year → municipality → value (`None`: missing).
type YearValues = BTreeMap<i32, HashMap<String, Option<f64>>>;

/// One comparison per year in which anyone in the group, or we, reported.
fn group_comparisons(
    series: &YearValues,
    group: &ComparisonGroup,
    ours: &MunicipalityId,
    direction: Direction,
) -> Vec<Comparison> {
    let we_are_member = group.members.contains(ours);
    let mut out = Vec::new();
    for (&year, by_place) in series {
        let Ok(period) = Period::parse(&year.to_string()) else {
            continue;
        };
        let our_value = by_place.get(ours.as_str()).copied().flatten();
        let others: Vec<Option<f64>> = group
            .members
            .iter()
            .filter(|m| *m != ours)
            .map(|m| by_place.get(m.as_str()).copied().flatten())
            .collect();
        let f = group_figures(our_value, &others, we_are_member, direction);
        if f.rank.is_none() && f.average.is_none() {
            continue;
        }
        out.push(Comparison {
            period,
            group: group.title.clone(),
            rank: f.rank,
            of: f.of,
            average: f.average,
        });
    }
    out
}

/// The chunk without earlier values of a key given again (PostgreSQL refuses to upsert
/// one row twice in a statement; SQLite applies them in order, so the last one wins
/// there too).
fn last_of_each_key(chunk: &[KoladaValue]) -> std::borrow::Cow<'_, [KoladaValue]> {
    let mut seen: HashMap<(&str, &str, i32, Gender), usize> = HashMap::with_capacity(chunk.len());
    for (i, v) in chunk.iter().enumerate() {
        seen.insert(
            (v.kpi.as_str(), v.municipality.as_str(), v.year, v.gender),
            i,
        );
    }
    if seen.len() == chunk.len() {
        return std::borrow::Cow::Borrowed(chunk);
    }
    let keep: BTreeSet<usize> = seen.into_values().collect();
    std::borrow::Cow::Owned(keep.into_iter().map(|i| chunk[i].clone()).collect())
}

/// An upsert of `rows` rows into `kolada_values` with six parameters a row (SQLite).
fn sqlite_upsert(rows: usize) -> String {
    let mut sql = String::with_capacity(128 + rows * 14);
    sql.push_str(
        "INSERT INTO kolada_values (kpi, municipality, year, gender, value, status) VALUES ",
    );
    for i in 0..rows {
        if i > 0 {
            sql.push(',');
        }
        sql.push_str("(?,?,?,?,?,?)");
    }
    sql.push(' ');
    sql.push_str(UPSERT_TAIL);
    sql
}

fn sqlite_bind_values<'q>(
    sql: &'q str,
    chunk: &'q [KoladaValue],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    let mut q = sqlx::query(sql);
    for v in chunk {
        q = q
            .bind(v.kpi.as_str())
            .bind(v.municipality.as_str())
            .bind(i64::from(v.year))
            .bind(v.gender.code())
            .bind(v.value)
            .bind(v.status.as_str());
    }
    q
}

/// The columns of `kolada_values` a bulk write fills, in the order of its rows.
const COLUMNS: &str = "kpi, municipality, year, gender, value, status";

/// Copies `values` into `table` (`kolada_values` or its staging table) with
/// `COPY … FROM STDIN` on the transaction's connection, in PostgreSQL's text format.
async fn copy_values(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    table: &str,
    values: &[KoladaValue],
) -> Result<()> {
    /// Bytes sent a message; a whole call's rows need not be held as text at once.
    const BATCH: usize = 1 << 20;
    let conn = postgres_connection(tx)?;
    let mut copy = conn
        .copy_in_raw(&format!("COPY {table} ({COLUMNS}) FROM STDIN"))
        .await?;
    let mut buf = Vec::with_capacity(BATCH + 256);
    for v in values {
        copy_row(&mut buf, v);
        if buf.len() >= BATCH {
            copy.send(buf.as_slice()).await?;
            buf.clear();
        }
    }
    if !buf.is_empty() {
        copy.send(buf.as_slice()).await?;
    }
    copy.finish().await?;
    Ok(())
}

/// One row of `COPY`'s text format: tab-separated, `\N` for a missing value, and a
/// backslash, tab, newline or carriage return in a text escaped as `\\`, `\t`, `\n`,
/// `\r`. A number is written as Rust prints it (the shortest text that reads back the
/// same `f64`).
fn copy_row(buf: &mut Vec<u8>, v: &KoladaValue) {
    use std::io::Write;
    copy_text(buf, v.kpi.as_str());
    buf.push(b'\t');
    copy_text(buf, v.municipality.as_str());
    let _ = write!(buf, "\t{}\t", v.year);
    copy_text(buf, v.gender.code());
    buf.push(b'\t');
    match v.value {
        Some(x) => {
            let _ = write!(buf, "{x}");
        }
        None => buf.extend_from_slice(b"\\N"),
    }
    buf.push(b'\t');
    copy_text(buf, &v.status);
    buf.push(b'\n');
}

fn copy_text(buf: &mut Vec<u8>, s: &str) {
    for b in s.bytes() {
        match b {
            b'\\' => buf.extend_from_slice(b"\\\\"),
            b'\t' => buf.extend_from_slice(b"\\t"),
            b'\n' => buf.extend_from_slice(b"\\n"),
            b'\r' => buf.extend_from_slice(b"\\r"),
            _ => buf.push(b),
        }
    }
}

/// The PostgreSQL connection under the transaction, for `COPY`, which sqlx offers on
/// `PgConnection` only: the store's pool uses sqlx's runtime-generic `Any` driver, whose
/// `AnyConnection` holds the driver's own connection (for PostgreSQL, a `PgConnection`)
/// as its one field, `Box<dyn AnyConnectionBackend>`, but does not hand it out.
fn postgres_connection<'t>(
    tx: &'t mut sqlx::Transaction<'static, sqlx::Any>,
) -> Result<&'t mut sqlx::PgConnection> {
    use sqlx_core::any::{AnyConnection, AnyConnectionBackend};
    // The layout this relies on, checked at build time: the struct is exactly as large as
    // its field, so the field sits at its start (sqlx-core is pinned to =0.8.6 in the
    // workspace's Cargo.toml; an upgrade must look at `AnyConnection` again).
    const _: () = assert!(
        std::mem::size_of::<AnyConnection>()
            == std::mem::size_of::<Box<dyn AnyConnectionBackend>>()
            && std::mem::align_of::<AnyConnection>()
                == std::mem::align_of::<Box<dyn AnyConnectionBackend>>()
    );
    let conn: &mut AnyConnection = tx;
    // SAFETY: `AnyConnection` (sqlx-core 0.8.6) is `struct AnyConnection { backend:
    // Box<dyn AnyConnectionBackend> }`; with its size and alignment equal to the field's
    // (asserted above), a pointer to the struct is a valid pointer to that field, borrowed
    // for as long as `tx` is.
    let backend: &mut Box<dyn AnyConnectionBackend> =
        unsafe { &mut *std::ptr::from_mut(conn).cast::<Box<dyn AnyConnectionBackend>>() };
    let backend: &mut dyn std::any::Any = backend.as_mut();
    backend
        .downcast_mut::<sqlx::PgConnection>()
        .ok_or_else(|| StoreError::Corrupt("COPY needs a PostgreSQL connection".into()))
}

const UPSERT_TAIL: &str = "ON CONFLICT (kpi, municipality, year, gender) DO UPDATE SET value = excluded.value, status = excluded.status";

impl Writer {
    pub async fn set_kolada_settings(&mut self, settings: &KoladaSettings) -> Result<()> {
        let before: (String, String) =
            sqlx::query_as("SELECT municipality, api_url FROM kolada_settings WHERE id = 1")
                .fetch_one(&mut *self.tx)
                .await?;
        let municipality = settings
            .municipality
            .as_ref()
            .map(|m| m.as_str().to_string())
            .unwrap_or_default();
        if before == (municipality.clone(), settings.api_url.clone()) {
            return Ok(());
        }
        self.execute(
            "UPDATE kolada_settings SET municipality = $1, api_url = $2 WHERE id = 1",
            vec![
                Bind::Text(municipality),
                Bind::Text(settings.api_url.clone()),
            ],
        )
        .await?;
        let before = serde_json::json!({"municipality": before.0, "api_url": before.1});
        self.log(
            "set",
            "kolada_settings",
            None,
            Some(before),
            serde_json::to_value(settings).ok(),
        )
        .await
    }

    /// Adds or updates Kolada's municipalities (metadata); logged as one change.
    pub async fn upsert_kolada_municipalities(
        &mut self,
        list: &[KoladaMunicipality],
    ) -> Result<()> {
        if list.is_empty() {
            return Ok(());
        }
        for m in list {
            self.execute(
                "INSERT INTO kolada_municipalities (id, title, kind) VALUES ($1, $2, $3) \
                 ON CONFLICT (id) DO UPDATE SET title = excluded.title, kind = excluded.kind",
                vec![
                    Bind::Text(m.id.as_str().into()),
                    Bind::Text(m.title.clone()),
                    Bind::Text(m.kind.clone()),
                ],
            )
            .await?;
        }
        self.log(
            "import",
            "kolada_municipalities",
            None,
            None,
            Some(serde_json::json!({"count": list.len()})),
        )
        .await
    }

    /// Adds or updates KPI metadata; logged as one change.
    pub async fn upsert_kolada_kpis(&mut self, list: &[KoladaKpi]) -> Result<()> {
        if list.is_empty() {
            return Ok(());
        }
        for k in list {
            self.execute(
                "INSERT INTO kolada_kpis (id, title, description, operating_area, divided_by_gender) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (id) DO UPDATE SET title = excluded.title, description = excluded.description, \
                 operating_area = excluded.operating_area, divided_by_gender = excluded.divided_by_gender",
                vec![
                    Bind::Text(k.id.as_str().into()),
                    Bind::Text(k.title.clone()),
                    Bind::Text(k.description.clone()),
                    Bind::Text(k.operating_area.clone()),
                    Bind::Int(i64::from(k.divided_by_gender)),
                ],
            )
            .await?;
        }
        let ids: Vec<&str> = list.iter().map(|k| k.id.as_str()).collect();
        self.log(
            "import",
            "kolada_kpis",
            None,
            None,
            Some(serde_json::json!({"count": list.len(), "ids": ids})),
        )
        .await
    }

    /// Records that the KPIs were fetched completely on `day` (the next fetch asks only
    /// for what changed since). Logged as one change naming the KPIs whose day changed.
    pub async fn set_kolada_fetched_on(&mut self, kpis: &[KpiId], day: &str) -> Result<()> {
        let mut changed = Vec::new();
        for k in kpis {
            let n = self
                .execute(
                    "INSERT INTO kolada_kpis (id, title, fetched_on) VALUES ($1, $1, $2) \
                     ON CONFLICT (id) DO UPDATE SET fetched_on = excluded.fetched_on \
                     WHERE kolada_kpis.fetched_on IS NULL OR kolada_kpis.fetched_on <> excluded.fetched_on",
                    vec![Bind::Text(k.as_str().into()), Bind::Text(day.into())],
                )
                .await?;
            if n > 0 {
                changed.push(k.as_str());
            }
        }
        self.log_fetched_on(&changed, Some(day)).await
    }

    /// Forgets the KPIs' last complete fetch day: their next fetch asks for everything.
    /// Logged as one change naming the KPIs that had a day.
    pub async fn forget_kolada_fetched_on(&mut self, kpis: &[KpiId]) -> Result<()> {
        let mut changed = Vec::new();
        for k in kpis {
            let n = self
                .execute(
                    "UPDATE kolada_kpis SET fetched_on = NULL WHERE id = $1 AND fetched_on IS NOT NULL",
                    vec![Bind::Text(k.as_str().into())],
                )
                .await?;
            if n > 0 {
                changed.push(k.as_str());
            }
        }
        self.log_fetched_on(&changed, None).await
    }

    /// One change-log row for the KPIs whose fetch day became `day` (`None`: forgotten).
    async fn log_fetched_on(&mut self, kpis: &[&str], day: Option<&str>) -> Result<()> {
        if kpis.is_empty() {
            return Ok(());
        }
        self.log(
            "set",
            "kolada_fetched_on",
            None,
            None,
            Some(serde_json::json!({ "kpis": kpis, "fetched_on": day })),
        )
        .await
    }

    /// Creates or replaces (by key) a comparison group and its members.
    pub async fn upsert_comparison_group(&mut self, input: &ComparisonGroupInput) -> Result<Id> {
        let existing: Option<Id> =
            sqlx::query_scalar("SELECT id FROM comparison_groups WHERE key = $1")
                .bind(&input.key)
                .fetch_optional(&mut *self.tx)
                .await?;
        let id = match existing {
            Some(id) => {
                self.execute(
                    "UPDATE comparison_groups SET title = $1, kolada_id = $2 WHERE id = $3",
                    vec![
                        Bind::Text(input.title.clone()),
                        Bind::OptText(input.kolada_id.clone()),
                        Bind::Int(id),
                    ],
                )
                .await?;
                self.execute(
                    "DELETE FROM comparison_group_members WHERE group_id = $1",
                    vec![Bind::Int(id)],
                )
                .await?;
                id
            }
            None => {
                self.insert_returning_id(
                    "INSERT INTO comparison_groups (key, title, kolada_id) VALUES ($1, $2, $3)",
                    vec![
                        Bind::Text(input.key.clone()),
                        Bind::Text(input.title.clone()),
                        Bind::OptText(input.kolada_id.clone()),
                    ],
                )
                .await?
            }
        };
        let members: BTreeSet<&str> = input.members.iter().map(MunicipalityId::as_str).collect();
        for m in &members {
            self.execute(
                "INSERT INTO comparison_group_members (group_id, municipality) VALUES ($1, $2)",
                vec![Bind::Int(id), Bind::Text((*m).into())],
            )
            .await?;
        }
        let action = if existing.is_some() {
            "update"
        } else {
            "create"
        };
        self.log(
            action,
            "comparison_group",
            Some(id),
            None,
            serde_json::to_value(input).ok(),
        )
        .await?;
        Ok(id)
    }

    pub async fn delete_comparison_group(&mut self, id: Id) -> Result<()> {
        let title: Option<String> =
            sqlx::query_scalar("SELECT title FROM comparison_groups WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *self.tx)
                .await?;
        let title = title.ok_or_else(|| StoreError::not_found("comparison group", id))?;
        self.execute(
            "DELETE FROM comparison_groups WHERE id = $1",
            vec![Bind::Int(id)],
        )
        .await?;
        self.log(
            "delete",
            "comparison_group",
            Some(id),
            Some(serde_json::json!({ "title": title })),
            None,
        )
        .await
    }

    /// Sets the groups an indicator is compared against, in order.
    pub async fn set_indicator_groups(&mut self, indicator_id: Id, groups: &[Id]) -> Result<()> {
        let before: Vec<Id> = sqlx::query_scalar(
            "SELECT group_id FROM indicator_comparison_groups WHERE indicator_id = $1 ORDER BY position, group_id",
        )
        .bind(indicator_id)
        .fetch_all(&mut *self.tx)
        .await?;
        let mut after: Vec<Id> = Vec::new();
        for g in groups {
            if !after.contains(g) {
                after.push(*g);
            }
        }
        if before == after {
            return Ok(());
        }
        self.execute(
            "DELETE FROM indicator_comparison_groups WHERE indicator_id = $1",
            vec![Bind::Int(indicator_id)],
        )
        .await?;
        for (i, g) in after.iter().enumerate() {
            self.execute(
                "INSERT INTO indicator_comparison_groups (indicator_id, group_id, position) VALUES ($1, $2, $3)",
                vec![Bind::Int(indicator_id), Bind::Int(*g), Bind::Int(i as i64)],
            )
            .await?;
        }
        self.log(
            "set",
            "indicator_comparison_groups",
            Some(indicator_id),
            serde_json::to_value(&before).ok(),
            serde_json::to_value(&after).ok(),
        )
        .await
    }

    /// Writes raw values (insert, or replace the value and status of the same KPI,
    /// municipality, year and gender). Counted for the one change-log row at commit.
    pub async fn write_kolada_values(&mut self, values: &[KoladaValue]) -> Result<()> {
        if values.is_empty() {
            return Ok(());
        }
        match self.backend {
            Backend::Sqlite => self.write_values_sqlite(values).await?,
            Backend::Postgres => self.write_values_postgres(values).await?,
        }
        let changes = self.kolada_changes();
        changes.written += values.len() as u64;
        for v in values {
            if !changes.kpis.contains(v.kpi.as_str()) {
                changes.kpis.insert(v.kpi.as_str().to_string());
            }
        }
        Ok(())
    }

    /// Multi-row upserts of [`SQLITE_CHUNK`] rows. SQLite runs them on sqlx's worker
    /// thread; the next chunk's parameters are bound here meanwhile, which keeps both
    /// threads busy.
    async fn write_values_sqlite<'a>(&mut self, values: &'a [KoladaValue]) -> Result<()> {
        let full_sql = sqlite_upsert(SQLITE_CHUNK);
        let last_sql = sqlite_upsert(values.len() % SQLITE_CHUNK);
        let bound = |chunk: &'a [KoladaValue]| {
            let sql = if chunk.len() == SQLITE_CHUNK {
                full_sql.as_str()
            } else {
                last_sql.as_str()
            };
            sqlite_bind_values(sql, chunk)
        };
        let mut chunks = values.chunks(SQLITE_CHUNK);
        let mut next = chunks.next().map(bound);
        while let Some(query) = next.take() {
            let (done, following) = tokio::join!(query.execute(&mut *self.tx), async {
                chunks.next().map(bound)
            });
            done?;
            next = following;
        }
        Ok(())
    }

    /// PostgreSQL: the values go through `COPY … FROM STDIN`, PostgreSQL's bulk load, on
    /// the transaction's own connection. `ON CONFLICT DO UPDATE` makes an insert more than
    /// twice as slow (speculative insertion), though a bulk load of new values never meets
    /// a stored key; so the values are first copied straight into `kolada_values` under a
    /// savepoint. When they meet a stored key (or repeat one), that is rolled back to the
    /// savepoint, and these and every later value of the transaction are copied into a
    /// temporary staging table (dropped at commit) and upserted from it with one
    /// `INSERT … SELECT … ON CONFLICT`: the same upsert as SQLite's, the last value of a
    /// key winning.
    async fn write_values_postgres(&mut self, values: &[KoladaValue]) -> Result<()> {
        if !self.kolada_changes().upserting {
            sqlx::query("SAVEPOINT kolada_values_plain")
                .execute(&mut *self.tx)
                .await?;
            match copy_values(&mut self.tx, "kolada_values", values).await {
                Ok(()) => {
                    sqlx::query("RELEASE SAVEPOINT kolada_values_plain")
                        .execute(&mut *self.tx)
                        .await?;
                    return Ok(());
                }
                Err(StoreError::Sql(sqlx::Error::Database(e))) if e.is_unique_violation() => {
                    sqlx::query("ROLLBACK TO SAVEPOINT kolada_values_plain")
                        .execute(&mut *self.tx)
                        .await?;
                    self.kolada_changes().upserting = true;
                    sqlx::query(
                        "CREATE TEMPORARY TABLE kolada_values_staging \
                         (LIKE kolada_values INCLUDING DEFAULTS) ON COMMIT DROP",
                    )
                    .execute(&mut *self.tx)
                    .await?;
                }
                Err(e) => return Err(e),
            }
        } else {
            sqlx::query("TRUNCATE kolada_values_staging")
                .execute(&mut *self.tx)
                .await?;
        }
        copy_values(
            &mut self.tx,
            "kolada_values_staging",
            &last_of_each_key(values),
        )
        .await?;
        sqlx::query(&format!(
            "INSERT INTO kolada_values ({COLUMNS}) SELECT {COLUMNS} FROM kolada_values_staging {UPSERT_TAIL}"
        ))
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Deletes raw values Kolada has withdrawn. Counted for the change-log row at commit.
    pub async fn delete_kolada_values(&mut self, keys: &[KoladaKey]) -> Result<()> {
        let mut deleted = 0;
        for k in keys {
            deleted += self
                .execute(
                    "DELETE FROM kolada_values WHERE kpi = $1 AND municipality = $2 AND year = $3 AND gender = $4",
                    vec![
                        Bind::Text(k.kpi.as_str().into()),
                        Bind::Text(k.municipality.as_str().into()),
                        Bind::Int(i64::from(k.year)),
                        Bind::Text(k.gender.code().into()),
                    ],
                )
                .await?;
        }
        let changes = self.kolada_changes();
        changes.deleted += deleted;
        for k in keys {
            changes.kpis.insert(k.kpi.as_str().to_string());
        }
        Ok(())
    }

    /// Fills the outcomes of indicators linked to a KPI (all, or those of `only`) from the
    /// raw values of our municipality: T/K/M become total/women/men per year. Kolada's
    /// value replaces a different stored one; an outcome Kolada filled is removed when
    /// Kolada has no value any more; outcomes typed for other breakdowns or periods are
    /// left alone. Locked periods are left as decided and listed in the result.
    pub async fn sync_kolada_outcomes(
        &mut self,
        only: Option<&BTreeSet<String>>,
    ) -> Result<OutcomeSync> {
        let mut sync = OutcomeSync::default();
        let (m,): (String,) =
            sqlx::query_as("SELECT municipality FROM kolada_settings WHERE id = 1")
                .fetch_one(&mut *self.tx)
                .await?;
        let Some(ours) = MunicipalityId::parse(&m) else {
            sync.no_municipality = true;
            return Ok(sync);
        };
        let linked: Vec<(Id, String)> = sqlx::query_as(
            "SELECT id, kolada_kpi FROM indicators WHERE kolada_kpi <> '' ORDER BY id",
        )
        .fetch_all(&mut *self.tx)
        .await?;
        for (indicator_id, kpi) in linked {
            if only.is_some_and(|set| !set.contains(&kpi)) {
                continue;
            }
            sync.indicators += 1;
            self.sync_indicator(indicator_id, &kpi, &ours, &mut sync)
                .await?;
        }
        Ok(sync)
    }

    /// [`Self::sync_kolada_outcomes`] for one indicator (after its link changed).
    pub async fn sync_indicator_outcomes(&mut self, indicator_id: Id) -> Result<OutcomeSync> {
        let mut sync = OutcomeSync::default();
        let (m,): (String,) =
            sqlx::query_as("SELECT municipality FROM kolada_settings WHERE id = 1")
                .fetch_one(&mut *self.tx)
                .await?;
        let Some(ours) = MunicipalityId::parse(&m) else {
            sync.no_municipality = true;
            return Ok(sync);
        };
        let kpi: Option<String> =
            sqlx::query_scalar("SELECT kolada_kpi FROM indicators WHERE id = $1")
                .bind(indicator_id)
                .fetch_optional(&mut *self.tx)
                .await?;
        match kpi {
            Some(kpi) if !kpi.is_empty() => {
                sync.indicators = 1;
                self.sync_indicator(indicator_id, &kpi, &ours, &mut sync)
                    .await?;
            }
            Some(_) => {}
            None => return Err(StoreError::not_found("indicator", indicator_id)),
        }
        Ok(sync)
    }

    /// Loads the indicator's stored yearly outcomes and our municipality's values of its
    /// KPI, asks the domain's [`reconcile`] what to change, and applies that plan through
    /// the normal outcome writes (a locked period is listed, not failed).
    async fn sync_indicator(
        &mut self,
        indicator_id: Id,
        kpi: &str,
        ours: &MunicipalityId,
        sync: &mut OutcomeSync,
    ) -> Result<()> {
        let raw: Vec<(i64, String, Option<f64>)> = sqlx::query_as(
            "SELECT year, gender, value FROM kolada_values WHERE kpi = $1 AND municipality = $2",
        )
        .bind(kpi)
        .bind(ours.as_str())
        .fetch_all(&mut *self.tx)
        .await?;
        let fetched: Vec<FetchedValue> = raw
            .into_iter()
            .filter_map(|(year, gender, value)| {
                Some(FetchedValue {
                    year: i32::try_from(year).ok()?,
                    gender: Gender::parse(&gender)?,
                    value,
                })
            })
            .collect();
        let rows: Vec<(String, String, f64, String)> = sqlx::query_as(
            "SELECT period, breakdown, value, source FROM outcomes WHERE indicator_id = $1 \
             AND breakdown IN ('total', 'women', 'men')",
        )
        .bind(indicator_id)
        .fetch_all(&mut *self.tx)
        .await?;
        let stored: Vec<StoredOutcome> = rows
            .into_iter()
            .filter_map(|(p, b, value, source)| {
                Some(StoredOutcome {
                    period: Period::parse(&p).ok()?,
                    breakdown: Breakdown::parse(&b).ok()?,
                    value,
                    from_kolada: source == "kolada",
                })
            })
            .collect();
        let plan = reconcile(&stored, &fetched);
        sync.unchanged += plan.unchanged;
        for step in plan.steps {
            self.apply_sync_step(indicator_id, step, sync).await?;
        }
        sync.locked.sort_by_key(|a| (a.0, a.1));
        Ok(())
    }

    async fn apply_sync_step(
        &mut self,
        indicator_id: Id,
        step: SyncStep,
        sync: &mut OutcomeSync,
    ) -> Result<()> {
        let (period, kolada_value, result) = match step {
            SyncStep::Replace(outcome) => {
                let result = self
                    .set_outcome_from(indicator_id, &outcome, "kolada")
                    .await;
                (
                    outcome.period,
                    Some(outcome.value),
                    result.map(|()| &mut sync.set),
                )
            }
            SyncStep::Confirm(period, breakdown) => {
                return self
                    .confirm_kolada_source(indicator_id, period, &breakdown.code())
                    .await;
            }
            SyncStep::Withdraw(period, breakdown) => {
                let result = self
                    .delete_outcome(indicator_id, period, &breakdown.code())
                    .await;
                (period, None, result.map(|_| &mut sync.removed))
            }
        };
        match result {
            Ok(count) => *count += 1,
            Err(StoreError::Locked(_)) => sync.locked.push((indicator_id, period, kolada_value)),
            Err(e) => return Err(e),
        }
        Ok(())
    }

    /// Marks a typed outcome that Kolada publishes with the same value as Kolada's (its
    /// value, margin and sample size stay), so that pages name the source. Logged; left
    /// alone in a locked period.
    async fn confirm_kolada_source(
        &mut self,
        indicator_id: Id,
        period: Period,
        breakdown: &str,
    ) -> Result<()> {
        match self.ensure_indicator_unlocked(indicator_id, [period]).await {
            Err(StoreError::Locked(_)) => return Ok(()),
            other => other?,
        }
        self.execute(
            "UPDATE outcomes SET source = 'kolada' WHERE indicator_id = $1 AND period = $2 AND breakdown = $3",
            vec![
                Bind::Int(indicator_id),
                Bind::Text(period.to_string()),
                Bind::Text(breakdown.into()),
            ],
        )
        .await?;
        let at = |source: &str| serde_json::json!({"period": period.to_string(), "breakdown": breakdown, "source": source});
        self.log(
            "confirm_source",
            "outcome",
            Some(indicator_id),
            Some(at("")),
            Some(at("kolada")),
        )
        .await
    }

    fn kolada_changes(&mut self) -> &mut KoladaChanges {
        self.kolada.get_or_insert_with(KoladaChanges::default)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_rows_escape_texts_and_write_null_for_missing() {
        let value = |value, status: &str| KoladaValue {
            kpi: KpiId::parse("N00001").unwrap(),
            municipality: MunicipalityId::parse("0126").unwrap(),
            year: 2019,
            gender: Gender::Women,
            value,
            status: status.into(),
        };
        let mut buf = Vec::new();
        copy_row(&mut buf, &value(Some(19.87), "a\tb\nc\rd\\e \"f\" 'g' \\N"));
        copy_row(&mut buf, &value(None, ""));
        copy_row(&mut buf, &value(Some(0.1 + 0.2), "Å"));
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            "N00001\t0126\t2019\tK\t19.87\ta\\tb\\nc\\rd\\\\e \"f\" 'g' \\\\N\n\
             N00001\t0126\t2019\tK\t\\N\t\n\
             N00001\t0126\t2019\tK\t0.30000000000000004\tÅ\n"
        );
    }

    #[test]
    fn group_comparisons_skip_years_without_figures() {
        let ours = MunicipalityId::parse("0126").unwrap();
        let group = ComparisonGroup {
            id: 1,
            key: "lan".into(),
            title: "Stockholms län".into(),
            kolada_id: None,
            members: ["0126", "0114", "0115"]
                .iter()
                .map(|m| MunicipalityId::parse(m).unwrap())
                .collect(),
        };
        let mut series: YearValues = BTreeMap::new();
        series.insert(
            2018,
            HashMap::from([("0126".into(), None), ("0114".into(), None)]),
        );
        series.insert(
            2019,
            HashMap::from([
                ("0126".into(), Some(19.87)),
                ("0114".into(), Some(19.5)),
                ("0115".into(), None),
            ]),
        );
        let out = group_comparisons(&series, &group, &ours, Direction::Lower);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].period, Period::Year(2019));
        assert_eq!((out[0].rank, out[0].of), (Some(2), Some(2)));
        assert!((out[0].average.unwrap() - 19.685).abs() < 1e-9);
    }
}
