//! `uppsikt bench economy`: a large municipality's ledger for `bench/economy.sh`. Writes a
//! board ("Syntetiska nämnden", key `bench-economy`) with `units` responsibility units
//! under it, a BAS-based account plan of cost types, the ledger's objects mapped to the
//! units, and then a synthetic SIE 4 file of one year (`#PSALDO` and `#PBUDGET` per unit,
//! account and month; `uppsikt_import::sie::write_synthetic`) plus the same rows as CSV,
//! the baseline `sqlite3 .import` and PostgreSQL `COPY` load. Hidden from `--help`.

use std::io::{BufRead, Write};
use std::path::PathBuf;

use uppsikt_domain::economy::{AccountRange, CostGroup, CostType, LedgerUnit};
use uppsikt_domain::model::OrgKind;
use uppsikt_store::{ChangeSource, OrgUnitInput, Store, StoreError};

/// The shape of the synthetic ledger.
#[derive(Debug, Clone, clap::Args)]
pub struct EconomyShape {
    #[arg(long, default_value_t = 2_000)]
    pub units: usize,
    /// Accounts each unit books on (1,500 distinct accounts overall).
    #[arg(long, default_value_t = 32)]
    pub accounts_per_unit: usize,
    #[arg(long, default_value_t = 2026)]
    pub year: i32,
    /// Where the SIE file and the CSV go.
    #[arg(long)]
    pub out: PathBuf,
}

/// The board the synthetic ledger belongs to.
pub const BOARD_KEY: &str = "bench-economy";

/// The account plan: BAS classes as a municipality's report groups them.
const PLAN: &[(&str, &str, CostGroup, &str)] = &[
    (
        "taxor",
        "Taxor och avgifter",
        CostGroup::Revenue,
        "3000-3499",
    ),
    ("bidrag", "Bidrag", CostGroup::Revenue, "3500-3999"),
    ("kop", "Köp av verksamhet", CostGroup::Cost, "4000-4999"),
    (
        "personal",
        "Personalkostnader",
        CostGroup::Staff,
        "5000-5999",
    ),
    ("lokaler", "Lokaler", CostGroup::Cost, "6000-6499"),
    ("varor", "Varor och tjänster", CostGroup::Cost, "6500-6999"),
    ("ovriga", "Övriga kostnader", CostGroup::Cost, "7000-7799"),
    ("kapital", "Kapitalkostnad", CostGroup::Cost, "7800-7999"),
];

/// Writes the board, units, account plan and mapping, then the files. Prints what the
/// script reads.
pub async fn generate(store: &Store, shape: &EconomyShape) -> Result<(), crate::Failure> {
    setup(store, shape.units).await?;
    std::fs::create_dir_all(&shape.out)?;
    let sie = shape.out.join("synthetic.se");
    let rows = {
        let mut f = std::fs::File::create(&sie)?;
        uppsikt_import::sie::write_synthetic(
            &mut f,
            shape.units,
            shape.accounts_per_unit,
            12,
            shape.year,
        )?
    };
    let csv = shape.out.join("rows.csv");
    let csv_rows = to_csv(&sie, &csv)?;
    let bytes = std::fs::metadata(&sie)?.len();
    println!(
        "board={BOARD_KEY} sie={} csv={} rows={rows} csv_rows={csv_rows} bytes={bytes}",
        sie.display(),
        csv.display()
    );
    Ok(())
}

async fn setup(store: &Store, units: usize) -> Result<(), StoreError> {
    let existing = store.org_units().await?;
    let mut w = store.writer("bench", ChangeSource::Bench).await?;
    let root = match existing.iter().find(|u| u.parent_id.is_none()) {
        Some(r) => r.id,
        None => {
            w.upsert_org_unit(&OrgUnitInput {
                key: "bench-kommun".into(),
                name: "Syntetiska kommunen".into(),
                short_name: "Synt".into(),
                kind: OrgKind::Kommun,
                parent_id: None,
                position: 0,
            })
            .await?
        }
    };
    let board = w
        .upsert_org_unit(&OrgUnitInput {
            key: BOARD_KEY.into(),
            name: "Syntetiska nämnden".into(),
            short_name: "SyntN".into(),
            kind: OrgKind::Namnd,
            parent_id: Some(root),
            position: 99,
        })
        .await?;
    for (i, (code, name, group, range)) in PLAN.iter().enumerate() {
        let taken = store.cost_types().await?;
        if taken.iter().any(|c| c.code == *code) {
            continue;
        }
        w.put_cost_type(&CostType {
            id: 0,
            code: (*code).into(),
            name: (*name).into(),
            group: *group,
            position: i as i64,
            ranges: vec![AccountRange::parse(range).expect("a valid range")],
        })
        .await?;
    }
    for u in 0..units {
        let unit = w
            .upsert_org_unit(&OrgUnitInput {
                key: format!("bench-ansvar-{:05}", u + 1),
                name: format!("Ansvar {}", u + 1),
                short_name: format!("A{:05}", u + 1),
                kind: OrgKind::Enhet,
                parent_id: Some(board),
                position: u as i64,
            })
            .await?;
        w.put_ledger_unit(&LedgerUnit {
            object_code: format!("A{:05}", u + 1),
            unit_id: unit,
            ledger_name: String::new(),
        })
        .await?;
    }
    w.commit().await
}

/// The file's `#PSALDO`/`#PBUDGET` rows as CSV (item, year index, period, account,
/// object, amount): what a bulk load of the same rows reads.
fn to_csv(sie: &std::path::Path, csv: &std::path::Path) -> std::io::Result<u64> {
    let reader = std::io::BufReader::new(std::fs::File::open(sie)?);
    let mut out = std::io::BufWriter::new(std::fs::File::create(csv)?);
    let mut n = 0;
    for line in reader.split(b'\n') {
        let line = uppsikt_import::sie::decode_cp437(&line?);
        let line = line.trim_end();
        let item = if line.starts_with("#PSALDO ") {
            "psaldo"
        } else if line.starts_with("#PBUDGET ") {
            "pbudget"
        } else {
            continue;
        };
        let tokens = uppsikt_import::sie::tokenize(line)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        // #ITEM årsnr period konto {1 "A00001"} belopp [kvantitet]
        let t: Vec<&str> = tokens.iter().map(|t| t.text()).collect();
        let object = match tokens.get(4) {
            Some(uppsikt_import::sie::Token::List(items)) => {
                items.get(1).map(|o| o.text()).unwrap_or_default()
            }
            _ => "",
        };
        let amount = t.get(5).copied().unwrap_or("0");
        writeln!(out, "{item},{},{},{},{object},{amount}", t[1], t[2], t[3])?;
        n += 1;
    }
    out.flush()?;
    Ok(n)
}
