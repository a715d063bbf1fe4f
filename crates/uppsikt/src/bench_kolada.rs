//! `uppsikt bench kolada-pages`: synthetic Kolada API v3 data pages for `bench/kolada.sh`,
//! and the same values as CSV for the databases' own bulk loaders.
//!
//! The pages have the documented shape (`{"count", "next_url", "values": [{"kpi",
//! "municipality", "period", "values": [{"gender", "count", "status", "value",
//! "isdeleted"}]}]}`), 5,000 items a page as Kolada's `per_page` maximum gives them, T/K/M
//! per item. About 1 % of values are `null` (Kolada's missing values) and some carry a
//! status flag; periods alternate between numbers and strings, as Kolada writes both.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::Failure;

#[derive(Debug, Clone, clap::Args)]
pub struct PagesArgs {
    /// Values in all (rounded up to whole KPI × municipality × year items of three).
    #[arg(long, default_value_t = 10_000_000)]
    pub values: u64,
    /// Directory for the JSON pages (created; must be empty).
    #[arg(long)]
    pub out: PathBuf,
    /// The same values as CSV (kpi,municipality,year,gender,value,status), header-less.
    #[arg(long)]
    pub csv: Option<PathBuf>,
}

/// Items per page, Kolada's largest `per_page`.
const PER_PAGE: usize = 5_000;
/// 2000–2022.
const YEARS: std::ops::RangeInclusive<i32> = 2000..=2022;
/// Municipality ids: 290 four-digit codes.
const MUNICIPALITIES: usize = 290;
const GENDERS: [&str; 3] = ["T", "K", "M"];

fn municipality(i: usize) -> String {
    // Counties 01–25 with up to 26 municipalities each, as Kolada's ids look.
    format!("{:02}{:02}", 1 + i / 26, 14 + i % 26)
}

fn kpi(i: usize) -> String {
    format!("N{:05}", 10_000 + i)
}

/// A reproducible value with two decimals, or `None` for about one in a hundred.
fn value(seed: u64) -> Option<f64> {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    x ^= x >> 29;
    x = x.wrapping_mul(0xbf58476d1ce4e5b9);
    x ^= x >> 32;
    (!x.is_multiple_of(100)).then(|| (x % 1_000_000) as f64 / 100.0)
}

pub fn write_pages(args: &PagesArgs) -> Result<(u64, usize), Failure> {
    prepare_dir(&args.out)?;
    let years: Vec<i32> = YEARS.collect();
    let per_kpi = (MUNICIPALITIES * years.len() * GENDERS.len()) as u64;
    let kpis = args.values.div_ceil(per_kpi) as usize;
    let items = kpis * MUNICIPALITIES * years.len();
    let pages = items.div_ceil(PER_PAGE);
    let mut csv = match &args.csv {
        Some(p) => Some(std::io::BufWriter::with_capacity(
            1 << 20,
            std::fs::File::create(p).map_err(|e| Failure(format!("{}: {e}", p.display())))?,
        )),
        None => None,
    };
    let mut written = 0u64;
    let mut item = 0usize;
    let mut page_text = String::with_capacity(PER_PAGE * 400);
    for page in 0..pages {
        page_text.clear();
        let first = item;
        let last = (first + PER_PAGE).min(items);
        page_text.push_str(&format!("{{\"count\": {items}, \"next_url\": "));
        if page + 1 < pages {
            page_text.push_str(&format!(
                "\"https://api.kolada.se/v3/data/kpi/bench?page={}&per_page={PER_PAGE}\"",
                page + 2
            ));
        } else {
            page_text.push_str("null");
        }
        page_text.push_str(", \"values\": [");
        for n in first..last {
            let k = n / (MUNICIPALITIES * years.len());
            let m = (n / years.len()) % MUNICIPALITIES;
            let year = years[n % years.len()];
            let (kpi, place) = (kpi(k), municipality(m));
            if n > first {
                page_text.push(',');
            }
            let period = if n % 2 == 0 {
                year.to_string()
            } else {
                format!("\"{year}\"")
            };
            page_text.push_str(&format!(
                "{{\"kpi\": \"{kpi}\", \"municipality\": \"{place}\", \"period\": {period}, \"values\": ["
            ));
            for (g, gender) in GENDERS.iter().enumerate() {
                let v = value((n * 3 + g) as u64);
                let status = if n % 97 == 0 { "B" } else { "" };
                if g > 0 {
                    page_text.push(',');
                }
                let shown = v.map_or("null".to_string(), |v| format!("{v}"));
                page_text.push_str(&format!(
                    "{{\"gender\": \"{gender}\", \"count\": 1, \"status\": \"{status}\", \"value\": {shown}, \"isdeleted\": false}}"
                ));
                if let Some(out) = csv.as_mut() {
                    let shown = v.map_or(String::new(), |v| format!("{v}"));
                    writeln!(out, "{kpi},{place},{year},{gender},{shown},{status}")
                        .map_err(|e| Failure(e.to_string()))?;
                }
                written += 1;
            }
            page_text.push_str("]}");
        }
        page_text.push_str("]}");
        item = last;
        let path = args.out.join(format!("{:06}-data.json", page + 1));
        std::fs::write(&path, page_text.as_bytes())
            .map_err(|e| Failure(format!("{}: {e}", path.display())))?;
    }
    if let Some(mut out) = csv {
        out.flush().map_err(|e| Failure(e.to_string()))?;
    }
    Ok((written, pages))
}

fn prepare_dir(dir: &Path) -> Result<(), Failure> {
    std::fs::create_dir_all(dir).map_err(|e| Failure(format!("{}: {e}", dir.display())))?;
    let not_empty = std::fs::read_dir(dir)
        .map_err(|e| Failure(format!("{}: {e}", dir.display())))?
        .next()
        .is_some();
    if not_empty {
        return Err(Failure(uppsikt_domain::messages::cli::dir_not_empty(dir)));
    }
    Ok(())
}
