//! SIE 4 ledger files (`#PSALDO`, `#PBUDGET`, `#OBJEKT`, `#DIM`, `#KONTO`), the export
//! every Swedish accounting system produces, into budget lines.
//!
//! The `sie4` crate (0.1.1, 2023) was evaluated and is not used: it has no `#PSALDO`,
//! `#PBUDGET`, `#OBJEKT` or `#DIM` (it refuses a file holding an item it does not know)
//! and pulls nom, time, rust_decimal and iso_currency. This reader is a few hundred lines.
//!
//! The file is streamed line by line over its raw bytes (bounded memory: one line, the
//! account and object names, and the aggregated lines; never the file), each line decoded
//! from CP437 (`#FORMAT PC8`, as the format requires) with `oem_cp`. Only the items read
//! are tokenised; `#VER`/`#TRANS`, `#IB`/`#UB`/`#RES` and the others are skipped.
//!
//! Semantics (SIE 4B):
//! - `#PSALDO årsnr period konto {objektlista} belopp [kvantitet]` is the account's
//!   movement in the period (month `ÅÅÅÅMM`), not cumulative, for result accounts
//!   (sie.se: "Typ 2 Periodsaldon … månadsvisa saldoförändringar"); `#PBUDGET` the same
//!   for the budget. Balance accounts (class 1–2) are skipped.
//! - Only `årsnr` 0 (this year: outcome and budget) and −1 (last year's outcome) are read.
//! - SIE writes debit positive; uppsikt writes costs negative (seed 004's convention), so
//!   every amount is negated.
//! - A row's object list `{1 "100"}` names objects of dimensions. A row with exactly one
//!   object, of the responsibility dimension (`EconomySettings::ledger_dimension`), is that
//!   object's unit's (through `ledger_units`). A row with an empty list `{}` is the whole
//!   account's; what it holds beyond the rows per object goes to the unit the import names
//!   (the board), or is an error. Rows by other dimensions or combinations are subsets of
//!   those and are skipped (reading them would count the money twice).
//! - Accounts map to cost types by the account plan (`AccountPlan`, the narrowest range).
//!
//! Every problem is a row error with its line number (objects and accounts that are not
//! mapped: once each, at their first line, with the `#OBJEKT`/`#KONTO` name). Any error,
//! and nothing is written. Otherwise the lines, aggregated per unit, cost type, month and
//! kind, replace the lines of origin `sie` of those units and that year in one transaction
//! (`Writer::replace_budget_lines`); last year's outcome is written only for units that have
//! no lines for that year at all (an earlier year's own file is never overwritten).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{BufRead, Read, Write};
use std::path::Path;
use std::sync::Arc;

use serde::Serialize;
use uppsikt_domain::economy::{AccountPlan, Amount, BudgetLine, LineKind};
use uppsikt_domain::messages::{self, economy as msg};
use uppsikt_domain::model::Id;
use uppsikt_domain::Period;
use uppsikt_store::{ChangeSource, Store, StoreError};

use crate::progress::Progress;
use crate::report::{quoted, Errors, ImportReport, Origin};

/// The origin of the budget lines a SIE import writes (and replaces).
pub const ORIGIN: &str = "sie";
/// The largest file read: a year of a large municipality is about 70 MB.
pub const MAX_FILE_BYTES: u64 = 512 * 1024 * 1024;
/// The longest line, in bytes. SIE lines are short; a longer one is not SIE.
pub const MAX_LINE_BYTES: usize = 4096;
/// Lines between two looks at [`Progress`].
const CHECK_EVERY: usize = 20_000;

// --- tokens -----------------------------------------------------------------------------

/// A field of a SIE line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    /// An unquoted field.
    Word(String),
    /// A field in quotes (`"Kansliavdelningen"`), unescaped.
    Quoted(String),
    /// An object list `{1 "100" 6 "P1"}` (its fields; a list holds no list).
    List(Vec<Token>),
}

impl Token {
    /// The field's text (a list has none).
    pub fn text(&self) -> &str {
        match self {
            Token::Word(s) | Token::Quoted(s) => s,
            Token::List(_) => "",
        }
    }
}

/// Splits a decoded line into fields: separated by spaces or tabs; `"…"` quoted with
/// `\"` for a quote and `\\` for a backslash inside; `{…}` an object list. Never panics;
/// a line it cannot read is refused with the Swedish reason.
pub fn tokenize(line: &str) -> Result<Vec<Token>, &'static str> {
    let mut out = Vec::new();
    let mut list: Option<Vec<Token>> = None;
    let mut chars = line.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            ' ' | '\t' | '\r' | '\n' => {
                chars.next();
            }
            '{' => {
                chars.next();
                if list.is_some() {
                    return Err(messages::economy::SIE_NESTED_LIST);
                }
                list = Some(Vec::new());
            }
            '}' => {
                chars.next();
                match list.take() {
                    Some(items) => out.push(Token::List(items)),
                    None => return Err(messages::economy::SIE_STRAY_BRACE),
                }
            }
            '"' => {
                chars.next();
                let mut s = String::new();
                let mut closed = false;
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => match chars.peek() {
                            Some('"') | Some('\\') => s.push(chars.next().unwrap_or('\\')),
                            _ => s.push('\\'),
                        },
                        '"' => {
                            closed = true;
                            break;
                        }
                        c => s.push(c),
                    }
                }
                if !closed {
                    return Err(messages::economy::SIE_UNTERMINATED_QUOTE);
                }
                push(&mut out, &mut list, Token::Quoted(s));
            }
            _ => {
                let mut s = String::new();
                while let Some(&c) = chars.peek() {
                    if matches!(c, ' ' | '\t' | '\r' | '\n' | '{' | '}') {
                        break;
                    }
                    s.push(c);
                    chars.next();
                }
                push(&mut out, &mut list, Token::Word(s));
            }
        }
    }
    if list.is_some() {
        return Err(messages::economy::SIE_UNCLOSED_LIST);
    }
    Ok(out)
}

fn push(out: &mut Vec<Token>, list: &mut Option<Vec<Token>>, t: Token) {
    match list {
        Some(items) => items.push(t),
        None => out.push(t),
    }
}

/// A field as SIE writes it: in quotes, `"` and `\` escaped with `\`.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// CP437 bytes as text (every byte is a character in CP437).
pub fn decode_cp437(bytes: &[u8]) -> String {
    oem_cp::decode_string_complete_table(bytes, &oem_cp::code_table::DECODING_TABLE_CP437)
}

/// Text as CP437 bytes; a character CP437 lacks becomes `?`.
pub fn encode_cp437(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| {
            if c.is_ascii() {
                c as u8
            } else {
                oem_cp::code_table::ENCODING_TABLE_CP437
                    .get(&c)
                    .copied()
                    .unwrap_or(b'?')
            }
        })
        .collect()
}

// --- what the import needs to know --------------------------------------------------------

/// What the file is read against: the account plan, the responsibility dimension and its
/// objects' units, and the unit for rows without an object.
#[derive(Debug, Clone, Default)]
pub struct SieContext {
    pub plan: AccountPlan,
    /// The responsibility dimension (`#DIM` number).
    pub dimension: u32,
    /// Object code → unit id.
    pub objects: HashMap<String, Id>,
    /// Rows without an object go here (the board the import names); `None`: an error.
    pub board: Option<Id>,
}

impl SieContext {
    /// Reads the context from the store; `board` is a unit key, id or short name.
    pub async fn read(store: &Store, board: Option<&str>) -> Result<SieContext, StoreError> {
        let cost_types = store.cost_types().await?;
        let settings = store.economy_settings().await?;
        let objects = store
            .ledger_units()
            .await?
            .into_iter()
            .map(|l| (l.object_code, l.unit_id))
            .collect();
        let board = match board {
            Some(b) => Some(find_unit(store, b).await?),
            None => None,
        };
        Ok(SieContext {
            plan: AccountPlan::new(&cost_types),
            dimension: settings.ledger_dimension,
            objects,
            board,
        })
    }
}

/// A unit by key, or by id or short name (as `uppsikt report --org` takes them).
async fn find_unit(store: &Store, reference: &str) -> Result<Id, StoreError> {
    let wanted = reference.trim();
    if let Some(u) = store
        .org_units()
        .await?
        .into_iter()
        .find(|u| u.key == wanted)
    {
        return Ok(u.id);
    }
    Ok(store.find_org_unit(wanted).await?.id)
}

// --- parsing ------------------------------------------------------------------------------

/// The aggregated content of a file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Parsed {
    /// The fiscal year (`#RAR 0`, else the first `årsnr 0` period's).
    pub year: i32,
    /// This year's lines (budget and outcome per unit, cost type and month).
    pub lines: Vec<BudgetLine>,
    /// Last year's outcome lines (`årsnr -1`).
    pub previous: Vec<BudgetLine>,
    /// Lines of the file read (all of them).
    pub file_lines: usize,
    /// `#PSALDO`/`#PBUDGET` rows read (all, before skipping).
    pub rows: usize,
}

/// (årsnr, month as YYYYMM, account, kind) of an account's totals.
type TotalKey = (i8, u32, u32, LineKind);
/// (unit, cost type, year index, YYYYMM, kind) of an aggregated line.
type LineKey = (Id, Id, i8, u32, LineKind);

struct State<'c> {
    ctx: &'c SieContext,
    errors: Vec<(usize, String)>,
    more_errors: usize,
    sietyp: Option<String>,
    /// årsnr → (start YYYYMM, end YYYYMM).
    rar: HashMap<i32, (u32, u32)>,
    year: Option<i32>,
    /// The responsibility dimension's object names (for messages).
    object_names: HashMap<String, String>,
    account_names: HashMap<u32, String>,
    /// First line of each unmapped object / account (reported at the end with names).
    unmapped_objects: BTreeMap<String, usize>,
    unmapped_accounts: BTreeMap<u32, usize>,
    lines: HashMap<LineKey, i64>,
    /// Per account: the `{}` total (and its line) and the sum of the rows per object.
    totals: HashMap<TotalKey, (i64, usize)>,
    by_object: HashMap<TotalKey, i64>,
    rows: usize,
}

impl State<'_> {
    fn error(&mut self, line: usize, message: String) {
        if self.errors.len() < crate::report::MAX_ERRORS {
            self.errors.push((line, message));
        } else {
            self.more_errors += 1;
        }
    }
}

/// Reads a SIE 4 file from `reader` (raw CP437 bytes) against `ctx`; `file` names it in
/// errors. `progress` counts bytes (its total set by the caller, when known).
pub fn parse(
    file: &str,
    mut reader: impl BufRead,
    ctx: &SieContext,
    progress: &Progress,
) -> Result<Parsed, ImportReport> {
    let whole = Origin::new(file, "");
    let mut st = State {
        ctx,
        errors: Vec::new(),
        more_errors: 0,
        sietyp: None,
        rar: HashMap::new(),
        year: None,
        object_names: HashMap::new(),
        account_names: HashMap::new(),
        unmapped_objects: BTreeMap::new(),
        unmapped_accounts: BTreeMap::new(),
        lines: HashMap::new(),
        totals: HashMap::new(),
        by_object: HashMap::new(),
        rows: 0,
    };
    let mut buf: Vec<u8> = Vec::with_capacity(256);
    let mut number = 0usize;
    let mut read_bytes = 0u64;
    loop {
        buf.clear();
        let n = Read::take(&mut reader, MAX_LINE_BYTES as u64 + 1)
            .read_until(b'\n', &mut buf)
            .map_err(|e| {
                ImportReport::single(&whole, messages::cannot_read_file(&e.to_string()))
            })?;
        if n == 0 {
            break;
        }
        number += 1;
        read_bytes += n as u64;
        if read_bytes > MAX_FILE_BYTES {
            return Err(ImportReport::single(
                &whole,
                msg::sie_too_large(MAX_FILE_BYTES / (1024 * 1024)),
            ));
        }
        if buf.len() > MAX_LINE_BYTES && buf.last() != Some(&b'\n') {
            let mut errors = collected(file, &mut st);
            errors.at(
                &Origin::new(file, messages::table_row(number)),
                msg::sie_line_too_long(MAX_LINE_BYTES),
            );
            return errors.into_result(Parsed::default());
        }
        progress.advance(n as u64);
        if number.is_multiple_of(CHECK_EVERY) {
            progress.check()?;
        }
        line(&mut st, number, &buf);
    }
    finish(file, st, number)
}

/// The errors collected so far, in line order.
fn collected(file: &str, st: &mut State<'_>) -> Errors {
    let mut errors = Errors::default();
    st.errors.sort_by_key(|(l, _)| *l);
    for (l, m) in st.errors.drain(..) {
        errors.at(&Origin::new(file, messages::table_row(l)), m);
    }
    errors.1 += st.more_errors;
    errors
}

/// The label of a raw line (`#PSALDO`), without decoding the rest.
fn label(raw: &[u8]) -> &[u8] {
    let start = raw
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t'))
        .unwrap_or(raw.len());
    let rest = &raw[start..];
    let end = rest
        .iter()
        .position(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'{'))
        .unwrap_or(rest.len());
    &rest[..end]
}

fn line(st: &mut State<'_>, number: usize, raw: &[u8]) {
    let label = label(raw);
    let known: &[&[u8]] = &[
        b"#PSALDO",
        b"#PBUDGET",
        b"#OBJEKT",
        b"#KONTO",
        b"#RAR",
        b"#SIETYP",
        b"#FORMAT",
    ];
    if !known.contains(&label) {
        return;
    }
    let text = decode_cp437(raw);
    let tokens = match tokenize(&text) {
        Ok(t) => t,
        Err(why) => return st.error(number, msg::sie_syntax(why)),
    };
    let fields = tokens.get(1..).unwrap_or(&[]);
    match label {
        b"#PSALDO" => row(st, number, fields, LineKind::Outcome, "#PSALDO"),
        b"#PBUDGET" => row(st, number, fields, LineKind::Budget, "#PBUDGET"),
        b"#OBJEKT" => {
            let (Some(dim), Some(code)) = (fields.first(), fields.get(1)) else {
                return st.error(
                    number,
                    msg::sie_missing_field("#OBJEKT", "dimension och objekt"),
                );
            };
            if dim.text().parse::<u32>().ok() == Some(st.ctx.dimension) {
                let name = fields
                    .get(2)
                    .map(|t| t.text().to_string())
                    .unwrap_or_default();
                st.object_names.insert(code.text().to_string(), cap(name));
            }
        }
        b"#KONTO" => {
            let Some(acc) = fields.first() else {
                return st.error(number, msg::sie_missing_field("#KONTO", "kontonummer"));
            };
            match account(acc.text()) {
                Some(a) => {
                    let name = fields
                        .get(1)
                        .map(|t| t.text().to_string())
                        .unwrap_or_default();
                    st.account_names.insert(a, cap(name));
                }
                None => st.error(number, msg::sie_bad_account(&quoted(acc.text()))),
            }
        }
        b"#RAR" => {
            let (Some(idx), Some(start), Some(end)) =
                (fields.first(), fields.get(1), fields.get(2))
            else {
                return st.error(
                    number,
                    msg::sie_missing_field("#RAR", "årsnummer, start och slut"),
                );
            };
            let Ok(idx) = idx.text().parse::<i32>() else {
                return st.error(number, msg::sie_bad_year_index(&quoted(idx.text())));
            };
            let ym = |t: &Token| date_month(t.text());
            match (ym(start), ym(end)) {
                (Some(s), Some(e)) if s <= e => {
                    st.rar.insert(idx, (s, e));
                    if idx == 0 {
                        st.year = Some((s / 100) as i32);
                    }
                }
                (Some(_), Some(_)) | (None, _) => {
                    st.error(number, msg::sie_bad_period(&quoted(start.text())))
                }
                (_, None) => st.error(number, msg::sie_bad_period(&quoted(end.text()))),
            }
        }
        b"#SIETYP" => {
            st.sietyp = Some(
                fields
                    .first()
                    .map(|t| t.text().to_string())
                    .unwrap_or_default(),
            );
            if st.sietyp.as_deref() != Some("4") {
                let found = st.sietyp.clone().unwrap_or_default();
                st.error(number, msg::sie_wrong_type(&quoted(&found)));
            }
        }
        b"#FORMAT" => {
            let f = fields.first().map(|t| t.text()).unwrap_or("");
            if !f.eq_ignore_ascii_case("PC8") {
                st.error(number, msg::sie_wrong_format(&quoted(f)));
            }
        }
        _ => {}
    }
}

/// Names kept at most this long (the rest is cut): they only name things in messages.
fn cap(mut s: String) -> String {
    if let Some((i, _)) = s.char_indices().nth(100) {
        s.truncate(i);
    }
    s
}

/// A 4–6 digit account number.
fn account(t: &str) -> Option<u32> {
    (t.len() >= 4 && t.len() <= 6 && t.bytes().all(|b| b.is_ascii_digit()))
        .then(|| t.parse().ok())
        .flatten()
}

/// `YYYYMMDD` → `YYYYMM` (a date of `#RAR`).
fn date_month(t: &str) -> Option<u32> {
    let ok = t.len() == 8 && t.bytes().all(|b| b.is_ascii_digit());
    let d = uppsikt_domain::date::parse_iso_date(&format!(
        "{}-{}-{}",
        t.get(..4)?,
        t.get(4..6)?,
        t.get(6..8)?
    ));
    (ok && d.is_ok()).then(|| t[..6].parse().ok()).flatten()
}

/// `YYYYMM` with a month 1–12.
fn month(t: &str) -> Option<u32> {
    let ok = t.len() == 6 && t.bytes().all(|b| b.is_ascii_digit());
    let v: u32 = t.parse().ok().filter(|_| ok)?;
    let (y, m) = (v / 100, v % 100);
    ((1..=12).contains(&m) && (1900..=2200).contains(&y)).then_some(v)
}

fn row(st: &mut State<'_>, number: usize, f: &[Token], kind: LineKind, item: &str) {
    st.rows += 1;
    let (Some(idx), Some(per), Some(acc), Some(objs), Some(amount)) =
        (f.first(), f.get(1), f.get(2), f.get(3), f.get(4))
    else {
        return st.error(
            number,
            msg::sie_missing_field(item, "årsnummer, period, konto, objektlista eller belopp"),
        );
    };
    let mut ok = true;
    let idx = match idx.text().parse::<i32>() {
        Ok(i) => i,
        Err(_) => {
            st.error(number, msg::sie_bad_year_index(&quoted(idx.text())));
            return;
        }
    };
    let wanted = idx == 0 || (idx == -1 && kind == LineKind::Outcome);
    let period = month(per.text());
    if period.is_none() {
        st.error(number, msg::sie_bad_period(&quoted(per.text())));
        ok = false;
    }
    let account = account(acc.text());
    if account.is_none() {
        st.error(number, msg::sie_bad_account(&quoted(acc.text())));
        ok = false;
    }
    let value = Amount::parse_ledger(amount.text());
    if value.is_none() {
        st.error(number, msg::sie_bad_amount(&quoted(amount.text())));
        ok = false;
    }
    let Token::List(items) = objs else {
        st.error(number, msg::sie_bad_objects(&quoted(objs.text())));
        return;
    };
    if items.len() % 2 != 0 || items.chunks(2).any(|p| p[0].text().parse::<u32>().is_err()) {
        let shown: Vec<&str> = items.iter().map(Token::text).collect();
        st.error(number, msg::sie_bad_objects(&quoted(&shown.join(" "))));
        ok = false;
    }
    if !ok || !wanted {
        return;
    }
    let (Some(period), Some(account), Some(value)) = (period, account, value) else {
        return;
    };
    // Within the fiscal year of its årsnr: #RAR where given, else the calendar year
    // of the first årsnr 0 row.
    let in_year = match st.rar.get(&idx) {
        Some((s, e)) => (*s..=*e).contains(&period),
        None => {
            let year = *st.year.get_or_insert((period / 100) as i32 - idx);
            (period / 100) as i32 == year + idx
        }
    };
    if !in_year {
        return st.error(number, msg::sie_bad_period(&quoted(per.text())));
    }
    if AccountPlan::is_balance_account(account) {
        return;
    }
    let Some(cost_type) = st.ctx.plan.cost_type_of(account) else {
        st.unmapped_accounts.entry(account).or_insert(number);
        return;
    };
    // Debit positive in SIE; costs negative in uppsikt.
    let amount = -value.0;
    let idx = idx as i8;
    let key: TotalKey = (idx, period, account, kind);
    let dim = st.ctx.dimension.to_string();
    match items.as_slice() {
        [] => {
            let e = st.totals.entry(key).or_insert((0, number));
            e.0 = e.0.saturating_add(amount);
        }
        [d, o] if d.text() == dim => {
            let code = o.text();
            let Some(unit) = st.ctx.objects.get(code).copied() else {
                if !st.unmapped_objects.contains_key(code) {
                    st.unmapped_objects.insert(code.to_string(), number);
                }
                return;
            };
            let e = st.by_object.entry(key).or_default();
            *e = e.saturating_add(amount);
            let e = st
                .lines
                .entry((unit, cost_type, idx, period, kind))
                .or_default();
            *e = e.saturating_add(amount);
        }
        // Another dimension, or a combination: a subset of the rows above.
        _ => {}
    }
}

fn finish(file: &str, mut st: State<'_>, file_lines: usize) -> Result<Parsed, ImportReport> {
    let dimension = st.ctx.dimension;
    for (code, line) in std::mem::take(&mut st.unmapped_objects) {
        let name = st.object_names.get(&code).cloned().unwrap_or_default();
        st.error(
            line,
            msg::sie_unmapped_object(dimension, &quoted(&code), &quoted(&name)),
        );
    }
    for (acc, line) in std::mem::take(&mut st.unmapped_accounts) {
        let name = st.account_names.get(&acc).cloned().unwrap_or_default();
        st.error(line, msg::sie_unmapped_account(acc, &quoted(&name)));
    }
    // What an account's total holds beyond its rows per object: the board's.
    let totals = std::mem::take(&mut st.totals);
    let mut rest: Vec<(TotalKey, i64, usize)> = totals
        .into_iter()
        .map(|(k, (total, line))| {
            let objects = st.by_object.get(&k).copied().unwrap_or(0);
            (k, total.saturating_sub(objects), line)
        })
        .filter(|(_, r, _)| *r != 0)
        .collect();
    rest.sort_by_key(|(_, _, line)| *line);
    for ((idx, period, account, kind), amount, line) in rest {
        let Some(board) = st.ctx.board else {
            st.error(line, msg::sie_no_unit(dimension));
            continue;
        };
        // Mapped when the row was read.
        let Some(ct) = st.ctx.plan.cost_type_of(account) else {
            continue;
        };
        let e = st.lines.entry((board, ct, idx, period, kind)).or_default();
        *e = e.saturating_add(amount);
    }
    if st.rows == 0 && st.errors.is_empty() {
        st.error(file_lines.max(1), msg::SIE_NOTHING.into());
    }
    if st.sietyp.is_none() && st.errors.is_empty() && st.rows > 0 {
        // Type 4 is required; a file without #SIETYP is read as the format's default (1),
        // which has no periods.
        st.error(1, msg::sie_wrong_type("1"));
    }
    let errors = collected(file, &mut st);
    errors.into_result(())?;
    let year = st.year.unwrap_or_default();
    let mut lines = Vec::new();
    let mut previous = Vec::new();
    let mut keys: Vec<(LineKey, i64)> = st.lines.into_iter().collect();
    keys.sort_unstable();
    for ((unit, ct, idx, period, kind), amount) in keys {
        let l = BudgetLine {
            id: 0,
            unit_id: unit,
            cost_type_id: Some(ct),
            period: Period::Month((period / 100) as i32, (period % 100) as u8),
            kind,
            amount: Amount(amount),
            forecast_on: None,
            area: None,
        };
        if idx == 0 {
            lines.push(l);
        } else {
            previous.push(l);
        }
    }
    Ok(Parsed {
        year,
        lines,
        previous,
        file_lines,
        rows: st.rows,
    })
}

// --- the import ---------------------------------------------------------------------------

/// What a SIE import wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SieSummary {
    pub year: i32,
    /// Lines of the file and `#PSALDO`/`#PBUDGET` rows read.
    pub file_lines: usize,
    pub rows: usize,
    /// Budget lines written for `year`, and the units they are on.
    pub lines: usize,
    pub units: usize,
    /// Last year's outcome lines written, the units they are on, and the units skipped
    /// because they already had lines for that year.
    pub previous_lines: usize,
    pub previous_units: usize,
    pub previous_skipped: usize,
}

impl SieSummary {
    /// In Swedish, a sentence a line.
    pub fn lines_sv(&self) -> Vec<String> {
        let mut out = vec![msg::sie_done(self.lines, self.units, self.year)];
        if self.previous_lines > 0 || self.previous_skipped > 0 {
            out.push(msg::sie_previous_year(
                self.previous_lines,
                self.previous_units,
                self.previous_skipped,
                self.year - 1,
            ));
        }
        out.push(messages::economy::BUDGET_IN_HISTORY.to_string());
        out
    }
}

/// Imports the SIE 4 file at `path`: [`import`] over the file, its size checked first.
pub async fn import_file(
    store: &Store,
    path: &Path,
    board: Option<&str>,
    actor: &str,
    progress: &Arc<Progress>,
) -> Result<SieSummary, ImportReport> {
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let whole = Origin::new(&name, "");
    let cannot = |e: std::io::Error| {
        ImportReport::single(&whole, messages::cannot_read_file(&e.to_string()))
    };
    let meta = std::fs::metadata(path).map_err(cannot)?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(ImportReport::single(
            &whole,
            msg::sie_too_large(MAX_FILE_BYTES / (1024 * 1024)),
        ));
    }
    progress.set_total(meta.len());
    let file = std::fs::File::open(path).map_err(cannot)?;
    import(
        store,
        &name,
        std::io::BufReader::with_capacity(1 << 16, file),
        board,
        actor,
        progress,
    )
    .await
}

/// Imports a SIE 4 file read from `reader` (raw bytes) as `actor`; rows without an object
/// of the responsibility dimension go to `board` (a unit key, id or short name). All or
/// nothing: any error, and nothing is written (the report lists them by line). The file is
/// read on a blocking thread; `progress` counts its bytes and can cancel.
pub async fn import<R: BufRead + Send + 'static>(
    store: &Store,
    file: &str,
    reader: R,
    board: Option<&str>,
    actor: &str,
    progress: &Arc<Progress>,
) -> Result<SieSummary, ImportReport> {
    let whole = Origin::new(file, "");
    let db = |e: StoreError| match e {
        e if e.is_not_found() && board.is_some() => ImportReport::single(
            &whole,
            messages::unknown_reference(messages::Referent::OrgUnit, board.unwrap_or_default()),
        ),
        e => crate::load::db_error(&whole, &e),
    };
    progress.set_step("Läser SIE-filen");
    let ctx = Arc::new(SieContext::read(store, board).await.map_err(db)?);
    let parsed = {
        let (ctx, progress, name) = (ctx.clone(), progress.clone(), file.to_string());
        tokio::task::spawn_blocking(move || parse(&name, reader, &ctx, &progress))
            .await
            .map_err(|e| {
                ImportReport::single(&whole, messages::import_database(&e.to_string()))
            })??
    };
    progress.check()?;
    progress.set_step("Sparar");
    write(store, file, &parsed, ctx.board, actor, progress).await
}

/// Writes parsed lines in one transaction (see the module's documentation).
pub async fn write(
    store: &Store,
    file: &str,
    parsed: &Parsed,
    board: Option<Id>,
    actor: &str,
    progress: &Progress,
) -> Result<SieSummary, ImportReport> {
    let whole = Origin::new(file, "");
    let db = |e: StoreError| crate::load::db_error(&whole, &e);
    let mut units: BTreeSet<Id> = parsed.lines.iter().map(|l| l.unit_id).collect();
    units.extend(board);
    let units: Vec<Id> = units.into_iter().collect();
    let prev_units: BTreeSet<Id> = parsed.previous.iter().map(|l| l.unit_id).collect();
    let prev_units: Vec<Id> = prev_units.into_iter().collect();
    let year = parsed.year;
    // Units that have last year's lines already keep them.
    let had: BTreeSet<Id> = if prev_units.is_empty() {
        BTreeSet::new()
    } else {
        store
            .budget_lines(&prev_units, year - 1, year - 1)
            .await
            .map_err(db)?
            .into_iter()
            .map(|l| l.unit_id)
            .collect()
    };
    let fill: Vec<Id> = prev_units
        .iter()
        .copied()
        .filter(|u| !had.contains(u))
        .collect();
    let previous: Vec<BudgetLine> = parsed
        .previous
        .iter()
        .filter(|l| !had.contains(&l.unit_id))
        .cloned()
        .collect();
    let mut w = store
        .writer(actor, ChangeSource::file(file))
        .await
        .map_err(db)?;
    let written = async {
        let n = w
            .replace_budget_lines(ORIGIN, &units, year, &parsed.lines)
            .await?;
        let p = if fill.is_empty() {
            0
        } else {
            w.replace_budget_lines(ORIGIN, &fill, year - 1, &previous)
                .await?
        };
        Ok::<_, StoreError>((n, p))
    }
    .await;
    let (n, p) = match written {
        Ok(x) => x,
        Err(e) => {
            let _ = w.rollback().await;
            return Err(db(e));
        }
    };
    if let Err(r) = progress.check() {
        let _ = w.rollback().await;
        return Err(r);
    }
    if let Err(r) = progress.seal(&mut w).await {
        let _ = w.rollback().await;
        return Err(r);
    }
    w.commit().await.map_err(db)?;
    Ok(SieSummary {
        year,
        file_lines: parsed.file_lines,
        rows: parsed.rows,
        lines: n,
        units: units.len(),
        previous_lines: p,
        previous_units: fill.len(),
        previous_skipped: had.len(),
    })
}

// --- a synthetic file -----------------------------------------------------------------------

/// Object names with å, ä and ö (so that CP437 is exercised), cycled.
const NAMES: &[&str] = &[
    "Förskola Snäckan",
    "Äldreboende Björkgården",
    "Överförmyndare",
    "Skola Vårby gård",
    "Kök och måltider",
    "Fritidsgård Skogås",
];

/// Writes a valid SIE 4 file (CP437) of `units` responsibility objects (`#DIM 1 "Ansvar"`,
/// codes `A00001`…, names with å/ä/ö), 1,500 result accounts (`3000`–`7999`, spread) of
/// which each unit uses `accounts_per_unit` (rotating, so that all appear), with a
/// `#PSALDO` and a `#PBUDGET` per unit, account and month of `year`. Amounts vary
/// deterministically. About 45 bytes per row: 2,000 units × 33 accounts × 12 months × 2
/// items ≈ 70 MB (1.58 million rows). Returns the number of `#PSALDO` + `#PBUDGET` rows written.
pub fn write_synthetic(
    out: &mut impl Write,
    units: usize,
    accounts_per_unit: usize,
    months: u8,
    year: i32,
) -> std::io::Result<u64> {
    const ACCOUNTS: usize = 1_500;
    let account = |i: usize| 3000 + (i % ACCOUNTS) as u32 * 3 + (i % ACCOUNTS) as u32 / 500;
    let mut w = std::io::BufWriter::with_capacity(1 << 16, out);
    let put = |w: &mut std::io::BufWriter<_>, s: &str| w.write_all(&encode_cp437(s));
    put(&mut w, "#FLAGGA 0\r\n")?;
    put(&mut w, "#PROGRAM \"uppsikt syntetisk\" 1.0\r\n")?;
    put(&mut w, "#FORMAT PC8\r\n")?;
    put(&mut w, &format!("#GEN {year}1231\r\n"))?;
    put(&mut w, "#SIETYP 4\r\n")?;
    put(&mut w, "#FNAMN \"Syntetiska kommunen\"\r\n")?;
    put(&mut w, &format!("#RAR 0 {year}0101 {year}1231\r\n"))?;
    put(
        &mut w,
        &format!("#RAR -1 {}0101 {}1231\r\n", year - 1, year - 1),
    )?;
    put(&mut w, "#DIM 1 \"Ansvar\"\r\n")?;
    for u in 0..units {
        let name = format!("{} {}", NAMES[u % NAMES.len()], u + 1);
        put(
            &mut w,
            &format!("#OBJEKT 1 \"A{:05}\" {}\r\n", u + 1, quote(&name)),
        )?;
    }
    for i in 0..ACCOUNTS.min(units.max(1) * accounts_per_unit) {
        put(
            &mut w,
            &format!(
                "#KONTO {} \"Konto {} för övrigt\"\r\n",
                account(i),
                account(i)
            ),
        )?;
    }
    let mut rows = 0u64;
    for u in 0..units {
        for a in 0..accounts_per_unit {
            let acc = account(u * 7 + a);
            for m in 1..=months.min(12) {
                // Costs (classes 4–7) debit, income (class 3) credit.
                let base = ((u * 131 + a * 17 + m as usize * 7) % 9_000 + 100) as i64 * 100 + 25;
                let signed = if acc < 4000 { -base } else { base };
                for (item, v) in [("#PSALDO", signed), ("#PBUDGET", signed + signed / 10)] {
                    let (sign, abs) = if v < 0 { ("-", -v) } else { ("", v) };
                    put(
                        &mut w,
                        &format!(
                            "{item} 0 {year}{m:02} {acc} {{1 \"A{:05}\"}} {sign}{}.{:02}\r\n",
                            u + 1,
                            abs / 100,
                            abs % 100
                        ),
                    )?;
                    rows += 1;
                }
            }
        }
    }
    w.flush()?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        tokenize(line)
            .unwrap()
            .iter()
            .map(|t| match t {
                Token::List(items) => format!(
                    "{{{}}}",
                    items.iter().map(Token::text).collect::<Vec<_>>().join(",")
                ),
                t => t.text().to_string(),
            })
            .collect()
    }

    #[test]
    fn lines_split_into_words_quoted_fields_and_object_lists() {
        assert_eq!(
            words("#PSALDO 0 201901 5010 {1 \"100\" 6 \"P 1\"} -12.50 3"),
            [
                "#PSALDO",
                "0",
                "201901",
                "5010",
                "{1,100,6,P 1}",
                "-12.50",
                "3"
            ]
        );
        assert_eq!(
            words("#OBJEKT 1 \"100\" \"Kansli \\\"avd\\\"\""),
            ["#OBJEKT", "1", "100", "Kansli \"avd\""]
        );
        assert_eq!(
            words("#PSALDO 0 201901 5010 {} 1"),
            ["#PSALDO", "0", "201901", "5010", "{}", "1"]
        );
        assert_eq!(words("  \t"), Vec::<String>::new());
        assert_eq!(tokenize("#X \"open"), Err(msg::SIE_UNTERMINATED_QUOTE));
        assert_eq!(tokenize("#X {1 2"), Err(msg::SIE_UNCLOSED_LIST));
        assert_eq!(tokenize("#X {1 {2}}"), Err(msg::SIE_NESTED_LIST));
        assert_eq!(tokenize("#X }"), Err(msg::SIE_STRAY_BRACE));
    }

    #[test]
    fn cp437_round_trips_swedish_letters() {
        let s = "Förskola Åsa, Älvsjö";
        let bytes = encode_cp437(s);
        assert_eq!(bytes[1], 0x94, "ö is 0x94 in CP437");
        assert_eq!(decode_cp437(&bytes), s);
    }

    #[test]
    fn periods_accounts_and_dates_are_checked() {
        assert_eq!(month("201903"), Some(201903));
        assert_eq!(month("201913"), None);
        assert_eq!(month("2019-03"), None);
        assert_eq!(account("5010"), Some(5010));
        assert_eq!(account("50"), None);
        assert_eq!(date_month("20190101"), Some(201901));
        assert_eq!(date_month("20190230"), None);
    }

    proptest::proptest! {
        #[test]
        fn the_tokenizer_never_panics(line in "\\PC{0,200}") {
            let _ = tokenize(&line);
        }

        #[test]
        fn the_tokenizer_never_panics_on_sie_like_lines(line in "[#A-Z0-9 {}\"\\\\\\-.\t]{0,120}") {
            let _ = tokenize(&line);
        }

        #[test]
        fn quoted_fields_round_trip(a in "[^\r\n]{0,60}", b in "[^\r\n]{0,60}") {
            let line = format!("#OBJEKT 1 {} {{1 {}}}", quote(&a), quote(&b));
            let t = tokenize(&line).unwrap();
            proptest::prop_assert_eq!(&t[2], &Token::Quoted(a));
            proptest::prop_assert_eq!(&t[3], &Token::List(vec![Token::Word("1".into()), Token::Quoted(b)]));
        }
    }
}
