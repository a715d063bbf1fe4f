//! Refusals and flags of the economy: budget lines, cost types, investments, carry-overs,
//! equity and grants.

use crate::economy::{EconomyRefusal, TotalDisagreement, MAX_NAME_CHARS, MAX_TEXT_CHARS};
use crate::grant::GrantFlag;

/// The Swedish name of a field named in a refusal.
fn field_sv(what: &str) -> &'static str {
    match what {
        "code" => "Koden",
        "name" => "Namnet",
        "text" => "Förklaringen",
        "note" => "Anteckningen",
        "area" => "Området",
        "forecast_on" => "Prognosdatumet",
        "group" => "Gruppen",
        "project" => "Projektet",
        "reconciliation" => "Avstämningen",
        "grantor" => "Bidragsgivaren",
        "legal_basis" => "Grunden",
        "formula" => "Beräkningen",
        "source" => "Källan",
        "reporting_duty" => "Redovisningsplikten",
        "rules" => "Reglerna",
        "allocate_by" => "Datum för fördelning",
        "received_on" => "Datum då bidraget kom in",
        "quoted" => "Beloppet som källan anger det",
        "decision_body" => "Beslutande organ",
        "decision_date" => "Beslutsdatum",
        "paragraph" => "Paragrafen",
        "case_ref" => "Diarienumret",
        "purpose" => "Ändamålet",
        "recipient" => "Mottagaren",
        "follow_up_date" => "Datum för uppföljning",
        "follow_up" => "Uppföljningen",
        "booked_on" => "Projekt eller budgetrad",
        _ => "Fältet",
    }
}

pub fn refusal(r: &EconomyRefusal) -> String {
    match r {
        EconomyRefusal::Required(w) => format!("{} måste fyllas i.", field_sv(w)),
        EconomyRefusal::TooLong(w) => {
            let max = if matches!(
                *w,
                "text" | "note" | "reconciliation" | "reporting_duty" | "rules" | "purpose" | "follow_up"
            ) {
                MAX_TEXT_CHARS
            } else {
                MAX_NAME_CHARS
            };
            format!(
                "{} är för lång: högst {max} tecken. Inget har kortats.",
                field_sv(w)
            )
        }
        EconomyRefusal::BadAmount(s) => format!(
            "”{s}” är inget belopp. Skriv t.ex. −8,8 (mnkr), 1 234,50 (kr); högst två decimaler i kronor."
        ),
        EconomyRefusal::BadDate(w) => {
            format!("{} är inget datum. Skriv ÅÅÅÅ-MM-DD.", field_sv(w))
        }
        EconomyRefusal::Duplicate(s) => format!("”{s}” finns redan."),
        EconomyRefusal::BadAccountRange(s) => format!(
            "”{s}” är inget kontointervall. Skriv t.ex. 5000–5999 eller ett konto, 4010."
        ),
        EconomyRefusal::ForecastWithoutDate => {
            "En prognos måste ha det datum den gjordes (t.ex. 2019-08-31).".into()
        }
        EconomyRefusal::BadPeriod => {
            "Ekonomin följs per år, tertial eller månad, inte per vecka.".into()
        }
        EconomyRefusal::TypedTotal(name, measure) => format!(
            "{measure} för ”{name}” räknas fram ur raderna under; en summa skrivs inte in. Ange beloppet på raderna i stället."
        ),
        EconomyRefusal::ParentCycle => {
            "Raden kan inte ligga under sig själv eller under en rad som ligger under den.".into()
        }
        EconomyRefusal::ShareOutOfRange => {
            "Andelen som bidraget finansierar måste vara mellan 0 och 100 %.".into()
        }
        EconomyRefusal::BadTolerance => {
            "Toleransen måste vara ett belopp ≥ 0 eller en procentsats 0–100.".into()
        }
        EconomyRefusal::BadCap => "Taket för eget kapital måste vara 0–100 %.".into(),
        EconomyRefusal::AllocationTarget => {
            "Ange vad bidraget fördelas till: en enhet, ett område, ett lagkrav, ett åtagande, en mottagare eller ett ändamål.".into()
        }
        EconomyRefusal::WrongGrant => {
            "Användningen hör till en fördelning av ett annat bidrag.".into()
        }
        EconomyRefusal::OutsideImport(_, period) => format!(
            "En rad för {period} ligger utanför de enheter och det år som läses in. Inget har lästs in."
        ),
    }
}

/// A typed total that the rows do not give (an import's row error or warning).
pub fn total_disagreement(d: &TotalDisagreement) -> String {
    match d.computed {
        Some(c) => format!(
            "{} för ”{}” är {} mnkr i filen men {} mnkr enligt raderna under.",
            d.measure.label_sv(),
            d.name,
            d.typed.format_mnkr(),
            c.format_mnkr()
        ),
        None => format!(
            "{} för ”{}” är {} mnkr i filen men raderna under har inget belopp.",
            d.measure.label_sv(),
            d.name,
            d.typed.format_mnkr()
        ),
    }
}

/// A flag on a grant page.
pub fn grant_flag(f: &GrantFlag) -> String {
    match f {
        GrantFlag::ShareUnknown { purpose, .. } => format!(
            "Andel bidragsfinansierad okänd: beslutet om ”{purpose}” säger inte hur stor del bidraget betalar."
        ),
        GrantFlag::AllocationWithoutAmount { purpose, .. } => {
            format!("Fördelningen ”{purpose}” saknar belopp i beslutet.")
        }
        GrantFlag::OverAllocated {
            year,
            received,
            allocated,
        } => format!(
            "{year}: {} mnkr fördelat men bara {} mnkr mottaget.",
            allocated.format_mnkr(),
            received.format_mnkr()
        ),
        GrantFlag::OverSpent {
            allocated, spent, ..
        } => format!(
            "Mer använt ({} mnkr) än fördelat ({} mnkr).",
            spent.format_mnkr(),
            allocated.format_mnkr()
        ),
        GrantFlag::HalfYearMismatch {
            year,
            amount,
            next_year,
            next,
        } => format!(
            "{year} är ett halvår, men {} mnkr är inte hälften av {} mnkr för {next_year} (hälften vore {} mnkr).",
            amount.format_mnkr(),
            next.format_mnkr(),
            crate::economy::Amount(next.0 / 2).format_mnkr()
        ),
        GrantFlag::Unallocated { year, amount, by } => format!(
            "{} mnkr av {year} års bidrag var inte fördelat på beslut {by}.",
            amount.format_mnkr()
        ),
        GrantFlag::UseNotFollowedUp { recipient, .. } => {
            format!("Hur {recipient} använde bidraget är inte uppföljt.")
        }
        GrantFlag::NoAllocations { year } => format!(
            "Inget beslut om hur {year} års bidrag används är registrerat: användningen går inte att spåra."
        ),
    }
}

// --- imports: SIE 4 files, the uppsikt/1 economy sections, budget tables --------------------

/// A SIE file larger than the limit.
pub fn sie_too_large(max_mib: u64) -> String {
    format!("Filen är större än {max_mib} MiB och läses inte in. Dela upp den per år eller per förvaltning.")
}

/// A line of a SIE file longer than the limit.
pub fn sie_line_too_long(max: usize) -> String {
    format!("Raden är längre än {max} tecken; en SIE-rad är kort. Är det verkligen en SIE-fil?")
}

/// A file that says it is not SIE type 4 (or does not say).
pub fn sie_wrong_type(found: &str) -> String {
    format!("Filen är av SIE-typ ”{found}”; uppsikt läser SIE typ 4 (#SIETYP 4) med #PSALDO och #PBUDGET.")
}

/// A file without `#SIETYP`, `#PSALDO` and `#PBUDGET`: nothing to read.
pub const SIE_NOTHING: &str =
    "Filen har inga periodsaldon (#PSALDO) eller periodbudgetar (#PBUDGET). Är det en SIE 4-fil från ekonomisystemet?";

/// `#FORMAT` other than PC8.
pub fn sie_wrong_format(found: &str) -> String {
    format!("Teckenkodningen ”{found}” stöds inte; SIE-filer ska vara i PC8 (#FORMAT PC8, teckentabell 437).")
}

/// An item whose fields cannot be read (an unterminated quote, an unclosed `{`).
pub fn sie_syntax(what: &str) -> String {
    format!("Raden kan inte läsas: {what}.")
}

pub const SIE_UNTERMINATED_QUOTE: &str = "ett citationstecken (\") stängs aldrig";
pub const SIE_UNCLOSED_LIST: &str = "en objektlista ({…}) stängs aldrig";
pub const SIE_NESTED_LIST: &str = "en objektlista ({…}) inuti en annan";
pub const SIE_STRAY_BRACE: &str = "ett } utan {";

/// An item lacking a field (named in Swedish).
pub fn sie_missing_field(item: &str, field: &str) -> String {
    format!("{item} saknar {field}.")
}

/// An amount that is not a SIE amount (`-1234.50`).
pub fn sie_bad_amount(text: &str) -> String {
    format!("”{text}” är inget belopp. SIE skriver belopp med punkt och högst två decimaler, t.ex. -1234.50.")
}

/// A period that is not `YYYYMM`, or outside the year it belongs to.
pub fn sie_bad_period(text: &str) -> String {
    format!("”{text}” är ingen period. SIE skriver perioder som ÅÅÅÅMM, t.ex. 201903, inom räkenskapsåret (#RAR).")
}

/// A year index (`årsnr`) that is not a number.
pub fn sie_bad_year_index(text: &str) -> String {
    format!("”{text}” är inget årsnummer (0 för innevarande år, -1 för föregående).")
}

/// An account that is not a number of 4–6 digits.
pub fn sie_bad_account(text: &str) -> String {
    format!("”{text}” är inget kontonummer (4–6 siffror).")
}

/// An object list that is not pairs of dimension and object.
pub fn sie_bad_objects(text: &str) -> String {
    format!("Objektlistan ”{text}” ska bestå av par av dimension och objekt, t.ex. {{1 \"100\"}}.")
}

/// An object of the responsibility dimension that no unit is mapped to (each code once,
/// at its first line).
pub fn sie_unmapped_object(dimension: u32, code: &str, name: &str) -> String {
    let named = if name.is_empty() {
        String::new()
    } else {
        format!(" (”{name}”)")
    };
    format!(
        "Objektet ”{code}”{named} i dimension {dimension} (ansvar) är inte kopplat till någon enhet. Koppla det under Ekonomi → Koppling till ekonomisystemet och läs in filen igen."
    )
}

/// An account the account plan maps to no cost type (each account once, at its first line).
pub fn sie_unmapped_account(account: u32, name: &str) -> String {
    let named = if name.is_empty() {
        String::new()
    } else {
        format!(" (”{name}”)")
    };
    format!(
        "Kontot {account}{named} hör inte till något kostnadsslag. Lägg till ett kontointervall som omfattar det under Ekonomi → Kostnadsslag och läs in filen igen."
    )
}

/// A row without an object of the responsibility dimension while the import names no unit.
pub fn sie_no_unit(dimension: u32) -> String {
    format!("Raden har inget objekt i dimension {dimension} (ansvar), och ingen enhet angavs för rader utan ansvar.")
}

/// What a SIE import wrote.
pub fn sie_done(lines: usize, units: usize, year: i32) -> String {
    format!(
        "{lines} budget- och utfallsrader för {year} på {units} enheter inlästa från SIE-filen."
    )
}

/// Last year's outcome (`årsnr -1`) written for units that had none.
pub fn sie_previous_year(lines: usize, units: usize, skipped: usize, year: i32) -> String {
    let mut s = format!("{lines} utfallsrader för {year} (föregående år) inlästa för {units} enheter som saknade dem.");
    if skipped > 0 {
        s.push_str(&format!(
            " {skipped} enheter hade redan rader för {year}; de ändrades inte."
        ));
    }
    s
}

/// A typed total that disagrees, loaded anyway (the flag policy): a warning.
pub fn total_flagged(d: &TotalDisagreement) -> String {
    format!(
        "{} Inläst ändå; summan räknas fram ur raderna.",
        total_disagreement(d)
    )
}

/// A value typed on a row that has children, with nothing to check it against: a stray
/// figure (F2's "0,0" on "Planeringsprojekt"). A warning; the value is not stored.
pub fn stray_value(name: &str, measure: &str, value: &str) -> String {
    format!(
        "{measure} {value} står på ”{name}”, som har rader under sig men inget värde att jämföra med; värdet räknas fram ur raderna och {value} sparas inte."
    )
}

/// A typed deviation (avvikelse) on a leaf that disagrees with outcome − budget.
pub fn deviation_disagrees(name: &str, typed: &str, computed: &str) -> String {
    format!(
        "Avvikelsen för ”{name}” är {typed} mnkr i filen men utfall − budget är {computed} mnkr."
    )
}

/// A money unit that is not kr, tkr or mnkr.
pub fn money_unit(found: &str) -> String {
    format!("”{found}” är ingen beloppsenhet; skriv kr, tkr eller mnkr.")
}

/// A share that is neither a per cent nor "okänd".
pub fn share(found: &str) -> String {
    format!("”{found}” är ingen andel; skriv en procentsats 0–100 eller ”okänd”.")
}

/// A cost type code that neither the file nor the database holds.
pub fn unknown_cost_type(code: &str) -> String {
    format!("Kostnadsslaget ”{code}” finns inte. Lägg till det under [[cost_types]] eller under Ekonomi → Kostnadsslag.")
}

/// The same budget line twice in the files.
pub fn duplicate_budget_line(first: &str) -> String {
    format!("Samma budgetrad (enhet, kostnadsslag, period, typ, prognosdatum och område) finns redan, se {first}.")
}

/// A budget line's period in a year locked by a decision.
pub fn budget_year_locked(unit: &str, year: i32) -> String {
    format!("{year} är beslutat för {unit} och kan inte ändras av en import.")
}

/// What an economy file or budget table wrote (the Data in page, the command line).
pub fn economy_loaded(lines: usize, nodes: usize, carry_overs: usize, grants: usize) -> String {
    format!(
        "Inläst: {lines} budgetrader, {nodes} investeringsrader, {carry_overs} saldoöverföringar och {grants} bidrag."
    )
}

/// A second `[economy]` section.
pub fn duplicate_settings(first: &str) -> String {
    format!("Ekonomiinställningarna ([economy]) får bara anges en gång; de finns redan i {first}.")
}

/// An investment row placed under a row of another table or year (web forms).
pub const PARENT_OTHER_TABLE: &str =
    "Raden kan bara ligga under en rad i samma tabell (investeringar eller exploatering) för samma enhet och år.";

/// A grant share that is neither a percentage nor "okänd" (web forms).
pub fn bad_share(text: &str) -> String {
    format!("”{text}” är ingen andel. Skriv en procentsats 0–100, t.ex. 40, eller ”okänd”.")
}

/// A tolerance typed without saying whether it is per cent or mnkr (web forms).
pub const TOLERANCE_KIND: &str =
    "Välj om toleransen är en procentsats av budgeten eller ett belopp i mnkr.";

/// The operating statement's totals by cost type and by unit that disagree
/// (`BoardEconomy::disagreements`: what, by cost type, by unit).
pub fn statement_disagreement(
    what: &str,
    by_cost_type: crate::economy::Amount,
    by_unit: crate::economy::Amount,
) -> String {
    format!(
        "{what} stämmer inte mellan tabellerna: {} mnkr summerat per kostnadsslag men {} mnkr summerat per ansvar (skillnad {} mnkr).",
        by_cost_type.format_mnkr(),
        by_unit.format_mnkr(),
        (by_cost_type - by_unit).abs().format_mnkr()
    )
}

/// The carry-over a board requests in its text differs from its table's total (F5: 28,7
/// requested, 33,5 in the table).
pub fn carry_over_request_differs(
    requested: crate::economy::Amount,
    table: crate::economy::Amount,
    next_year: i32,
) -> String {
    format!(
        "Nämnden begär att {} mnkr överförs till {next_year}, men tabellen över saldoöverföringar summerar till {} mnkr (skillnad {} mnkr).",
        requested.format_mnkr(),
        table.format_mnkr(),
        (table - requested).abs().format_mnkr()
    )
}

/// A requested carry-over whose difference from the table is not explained.
pub const RECONCILIATION_MISSING: &str = "Någon avstämning av skillnaden finns inte i uppgifterna.";

/// A carry-over larger than the budget its project left unused.
pub fn carry_over_over_unused(project: &str) -> String {
    format!("Överföringen för ”{project}” är större än den budget som inte använts.")
}

/// Closing equity below zero.
pub const EQUITY_NEGATIVE: &str =
    "Utgående eget kapital är negativt: underskottet ska återställas.";

/// A budget table's row for a unit whose budget the user may not edit.
pub fn budget_not_allowed(unit: &str) -> String {
    format!("Du får inte ändra budgeten för {unit}. Be en controller eller enhetens redigerare läsa in raden.")
}

/// After a ledger or budget-table import: where its changes are recorded.
pub const BUDGET_IN_HISTORY: &str =
    "Varje inläsning finns i enheternas historik (Historik på enhetens sida).";
