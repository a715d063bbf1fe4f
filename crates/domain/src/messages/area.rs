//! Refusals of the area family: areas, situation reports, forums, agreements, statutes
//! and their duties.

use crate::area::{AreaRefusal, MAX_ITEMS, MAX_NAME_CHARS, MAX_TEXT_CHARS};

/// The Swedish name of a field named in a refusal.
fn field_sv(what: &str) -> &'static str {
    match what {
        "name" => "Namnet",
        "title" => "Rubriken",
        "note" => "Anteckningen",
        "source" => "Källan",
        "as_of" => "Källans datum",
        "classifications" => "Klassningarna",
        "definition" => "Nivåns definition",
        "producer" => "Vem som tog fram lägesbilden",
        "summary" => "Sammanfattningen",
        "period_start" => "Periodens början",
        "period_end" => "Periodens slut",
        "levels" => "Nivåerna",
        "presentations" => "Redovisningarna",
        "date" => "Datumet",
        "reference" => "Paragrafen eller protokollet",
        "code" => "Koden",
        "chair" => "Ordföranden",
        "cadence" => "Mötesfrekvensen",
        "purpose" => "Syftet",
        "reports_what" => "Vad forumet rapporterar",
        "evaluation" => "Utvärderingen",
        "evaluated_on" => "Datum för utvärdering",
        "members" => "Medlemmarna",
        "meetings" => "Mötena",
        "areas" => "Områdena",
        "organisation" => "Medlemmens organisation",
        "role" => "Medlemmens roll",
        "decision" => "Beslutet",
        "valid_from" => "Giltig från",
        "valid_to" => "Giltig till",
        "parties" => "Parterna",
        "statutes" => "Lagarna",
        "party" => "Partens namn",
        "focus_areas" => "Fokusområdena",
        "focus_area" => "Fokusområdets namn",
        "activities" => "Aktiviteterna",
        "activity" => "Aktivitetens namn",
        "activity_text" => "Aktivitetens text",
        "owner" => "Ansvarig",
        "frequency" => "Frekvensen",
        "url" => "Länken",
        "in_force" => "Datum för ikraftträdande",
        "duty" => "Skyldigheten",
        "section" => "Paragrafen",
        "checklist" => "Innehållskraven",
        "evidence" => "Underlagen",
        "assessments" => "Bedömningarna",
        "first_due" => "Första sista datum",
        "every_months" => "Intervallet i månader (1–120)",
        "assessed_by" => "Vem som bedömde",
        "assessed_on" => "Datum för bedömningen",
        "text" => "Texten",
        _ => "Fältet",
    }
}

/// Why a change was refused, in Swedish.
pub fn refusal(r: &AreaRefusal) -> String {
    match r {
        AreaRefusal::Required(what) => format!("{} behöver fyllas i.", field_sv(what)),
        AreaRefusal::TooLong(what) => format!(
            "{} är för lång (högst {MAX_NAME_CHARS} tecken för namn och korta fält, {MAX_TEXT_CHARS} för texter). Inget har sparats.",
            field_sv(what)
        ),
        AreaRefusal::TooMany(what) => {
            format!("{} är fler än {MAX_ITEMS}. Inget har sparats.", field_sv(what))
        }
        AreaRefusal::Duplicate(name) => {
            format!("”{name}” finns redan. Välj ett annat namn eller redigera det som finns.")
        }
        AreaRefusal::ParentCycle => {
            "Ett område kan inte ligga i sig självt eller i ett av sina delområden, och ett forum kan inte rapportera till sig självt.".into()
        }
        AreaRefusal::BadDate(what) => {
            format!("{} ska vara ett datum som ÅÅÅÅ-MM-DD.", field_sv(what))
        }
        AreaRefusal::EndBeforeStart => "Slutdatumet ligger före startdatumet.".into(),
        AreaRefusal::LevelOutOfScale(level, max) => {
            format!("Läge {level} finns inte på kommunens skala (1–{max}).")
        }
        AreaRefusal::DuplicateLevel(area) => {
            format!("{area} har fått två lägen i samma lägesbild. Ange ett läge per område.")
        }
        AreaRefusal::BadScale => {
            "Skalan ska ha 2–10 nivåer, och tröskeln och definitionerna ska ligga på skalan.".into()
        }
        AreaRefusal::PersonalNumber(what, masked) => format!(
            "{} innehåller det som ser ut som ett personnummer ({masked}). En lägesbild är en sammanställning per område: skriv inga personnummer, namn eller andra uppgifter om enskilda personer eller brott de misstänks för (dataskyddsförordningen art. 10). Inget har sparats.",
            field_sv(what)
        ),
        AreaRefusal::PresentationTarget => {
            "Välj antingen en nämnd eller ett forum som lägesbilden redovisades för.".into()
        }
        AreaRefusal::BadSfs(sfs) => {
            format!("”{sfs}” är inget SFS-nummer. Skriv det som år:löpnummer, till exempel 2023:196.")
        }
        AreaRefusal::UnknownStatute(sfs, Some(close)) => format!(
            "Lag ({sfs}) finns inte i registret. Menar du Lag ({close})?"
        ),
        AreaRefusal::UnknownStatute(sfs, None) => format!(
            "Lag ({sfs}) finns inte i registret. Lägg in lagen först."
        ),
        AreaRefusal::NoQualifyingEvidence(missing) => format!(
            "Kravet kan inte bedömas som uppfyllt utan {missing}. Lägg till underlaget först."
        ),
        AreaRefusal::InFuture => "Datumet ligger i framtiden.".into(),
    }
}
