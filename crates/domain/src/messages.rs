//! Swedish messages for the errors users can cause. The one place that maps an error to
//! the words a user reads; the web, the importers and the CLI all use it.

use crate::assessment::RulesError;
use crate::indicator::{BreakdownError, TargetError};
use crate::number::NumberError;
use crate::period::PeriodError;

pub fn period(e: &PeriodError) -> String {
    match e {
        PeriodError::Empty => "Ange en period, t.ex. 2019, 2019T2, 2019-03 eller 2019W07.".into(),
        PeriodError::Unrecognised(s) => {
            format!("”{s}” är ingen period. Skriv t.ex. 2019 (år), 2019T2 (tertial), 2019-03 (månad) eller 2019W07 (vecka).")
        }
        PeriodError::YearOutOfRange(y) => format!("Året {y} ligger utanför det tillåtna intervallet 1900–2200."),
        PeriodError::PartOutOfRange { input, max, .. } => {
            format!("”{input}” finns inte: numret måste vara mellan 1 och {max}.")
        }
    }
}

pub fn number(e: &NumberError) -> String {
    match e {
        NumberError::Empty => "Ange ett värde.".into(),
        NumberError::NotANumber(s) => format!("”{s}” är inget tal. Skriv t.ex. 88,7."),
        NumberError::Ambiguous(s) => {
            format!("”{s}” går inte att tolka säkert. Använd decimalkomma och inga tusentalspunkter, t.ex. 1 234,5.")
        }
    }
}

pub fn target(e: &TargetError) -> String {
    format!(
        "”{}” är inget giltigt mål. Skriv ett jämförelsetal som >93,7 eller ≥850, eller Öka, Minska, Behåll eller Indikator.",
        e.0
    )
}

pub fn breakdown(e: &BreakdownError) -> String {
    format!(
        "”{}” är ingen giltig uppdelning. Använd total, women, men, girls, boys eller area:OMRÅDE.",
        e.0
    )
}

pub fn rules(e: &RulesError) -> String {
    match e {
        RulesError::EmptyScale => "Bedömningsskalan saknar nivåer.".into(),
        RulesError::ThresholdCount { thresholds, levels } => {
            format!("Skalan har {levels} nivåer men {thresholds} gränsvärden; det ska vara ett färre än nivåerna.")
        }
        RulesError::ThresholdOrder => "Gränsvärdena ska ligga mellan 0 och 1 och sjunka från bästa till sämsta nivå.".into(),
        RulesError::NegativeWeight => "Vikten för åtaganden får inte vara negativ.".into(),
    }
}

pub const REQUIRED: &str = "Fältet måste fyllas i.";

pub fn too_long(max: usize) -> String {
    format!("Texten är för lång: högst {max} tecken.")
}

pub fn unknown_choice(value: &str) -> String {
    format!("”{value}” är inget av de tillåtna alternativen.")
}

pub fn not_a_date(value: &str) -> String {
    format!("”{value}” är inget datum. Skriv ÅÅÅÅ-MM-DD, t.ex. 2019-12-31.")
}
