//! Audit recommendations' refusals: an audit, a response or a verdict that does not hold,
//! a case number that does not follow the municipality's format, a report that is not a
//! PDF.

use crate::audit::{AuditRefusal, MAX_ITEMS, MAX_REPORT_BYTES, MAX_TEXT_CHARS};
use crate::case_ref::CaseRefError;

/// The Swedish name of a field named in a refusal.
fn field_sv(what: &str) -> &'static str {
    match what {
        "title" => "Rubriken",
        "purpose" => "Syftet",
        "scope" => "Avgränsningen",
        "method" => "Metoden",
        "overall_text" => "Den samlade bedömningen",
        "question" => "Revisionsfrågan",
        "reasoning" => "Motiveringen",
        "recommendation" => "Rekommendationens text",
        "recommendation_number" => "Rekommendationens nummer",
        "document" => "Dokumentets namn",
        "comment" => "Kommentaren",
        "stance" => "Motiveringen eller reservationen",
        "verdict" => "Revisorernas bedömningstext",
        "evidence" => "Underlaget",
        "questions" => "Revisionsfrågorna",
        "recommendations" => "Rekommendationerna",
        "criteria" => "Revisionskriterierna",
        "signatories" => "Undertecknarna",
        "audited_units" => "De granskade nämnderna",
        "sub_questions" => "Delfrågorna",
        "addressees" => "Mottagarna",
        _ => "Fältet",
    }
}

/// Why a change to an audit, a response or a verdict was refused.
pub fn refusal(r: &AuditRefusal) -> String {
    match r {
        AuditRefusal::Required(what) => format!("{} behöver fyllas i.", field_sv(what)),
        AuditRefusal::TooLong(what) => format!(
            "{} är längre än {MAX_TEXT_CHARS} tecken. Korta texten eller bifoga den som rapport; inget har sparats.",
            field_sv(what)
        ),
        AuditRefusal::TooMany(what) => format!(
            "{} är fler än {MAX_ITEMS}. Inget har sparats.",
            field_sv(what)
        ),
        AuditRefusal::DuplicateNumber(n) => {
            format!("Numret ”{n}” används redan i granskningen. Varje fråga och rekommendation har ett eget nummer.")
        }
        AuditRefusal::UnknownQuestion(n) => {
            format!("Granskningen har ingen revisionsfråga {n}. Lägg in frågan först eller välj en annan.")
        }
        AuditRefusal::NoAddressee => {
            "Ange minst en nämnd eller styrelse som rekommendationen riktas till.".into()
        }
        AuditRefusal::ReissueCycle => {
            "En rekommendation kan inte återutfärda sig själv eller en av sina efterföljare.".into()
        }
        AuditRefusal::MotivationRequired => {
            "Skriv nämndens motivering. En avböjd rekommendation kräver en motivering, som revisorerna följer upp.".into()
        }
        AuditRefusal::ReservationRequired => {
            "Skriv vad nämnden vill betona eller reservera sig mot.".into()
        }
        AuditRefusal::UnknownStance(s) => {
            format!("”{s}” är inget ställningstagande. Välj Instämmer, Instämmer med reservation, Avböjer eller Ej angivet.")
        }
        AuditRefusal::NotAddressed => {
            "Granskningens rekommendationer riktas inte till den nämnden. Bara de nämnder som fått rekommendationer lämnar svar.".into()
        }
        AuditRefusal::NotAddressedRecommendation(id) => {
            format!("Rekommendation {id} hör inte till granskningen eller riktas inte till den nämnden.")
        }
        AuditRefusal::AlreadyAnswered => {
            "Nämnden har redan svarat på den rekommendationen. Ändra det svar som finns.".into()
        }
        AuditRefusal::VerdictTextRequired => {
            "Skriv revisorernas motivering. ”Avstår” kräver en text om varför nämnden valt att inte följa rekommendationen.".into()
        }
        AuditRefusal::VerdictExists(year) => {
            format!("Rekommendationen har redan en bedömning för {year}. Ändra den i stället.")
        }
        AuditRefusal::VerdictBeforeAudit => {
            "Uppföljningsåret ligger före granskningens år.".into()
        }
        AuditRefusal::AlreadyClosed => {
            "Revisorerna har redan avslutat rekommendationen. En ny bedömning görs på den rekommendation som ersatt den.".into()
        }
        AuditRefusal::NotPdf => {
            "Filen är ingen PDF. Bifoga granskningsrapporten som PDF; inget har sparats.".into()
        }
        AuditRefusal::ReportTooLarge => format!(
            "Filen är större än {} MB. Inget har sparats.",
            MAX_REPORT_BYTES / (1024 * 1024)
        ),
        AuditRefusal::InFuture => {
            "Beslutsdatumet ligger i framtiden. Ange den dag svaret beslutades.".into()
        }
    }
}

/// A case number or a case-number template that was refused.
pub fn case_ref(e: &CaseRefError) -> String {
    match e {
        CaseRefError::Format { input, template } => format!(
            "”{input}” är inget diarienummer i kommunens format. Skriv t.ex. {template}."
        ),
        CaseRefError::Template(t) => format!(
            "Formatet ”{t}” för diarienummer går inte att använda. Det byggs av {{body}}, {{year}}, {{serial}} och {{class}}; {{year}} och {{serial}} krävs, och två fält måste skiljas av ett tecken."
        ),
    }
}

/// A year that is not one for an audit.
pub fn audit_year(raw: &str) -> String {
    format!("”{raw}” är inget år för en revisionsplan. Ange ett år mellan 1900 och 2200.")
}

/// An assessment, grade or kind that is not on the scale.
pub fn not_on_scale(raw: &str, scale: &str) -> String {
    format!("”{raw}” finns inte på skalan. Välj {scale}.")
}

/// The reason recorded when a board's changed response to an audit corrects the decision
/// on a recommendation's deviation (the earlier decision stays in its history).
pub fn response_changed(reference: &str) -> String {
    format!("Nämndens svar till revisionen ändrades ({reference}).")
}
