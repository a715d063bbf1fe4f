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
