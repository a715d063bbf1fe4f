//! Swedish messages for the errors users can cause. The one place that maps an error to
//! the words a user reads; the web, the importers and the CLI all use it.
//!
//! The field rules, sign-in, data files, tables and Kolada are in this file; the rest is in
//! submodules by where the words are shown: [`access`] (a guard's refusal), [`http`]
//! (error pages and bodies that cannot be served), [`deviations`], [`forms`] (refusals
//! that belong to one form), [`kolada`] (the Kolada page) and [`cli`] (the command line's
//! failures). Callers pass the variable parts; error and refusal sentences are written
//! nowhere else (labels, headings and button texts are UI copy, in the templates and forms).

pub mod access;
pub mod area;
pub mod audit;
pub mod cli;
pub mod deviations;
pub mod economy;
pub mod forms;
pub mod http;
pub mod internal_control;
pub mod jobs;
pub mod kolada;
pub mod plan;
pub mod rules;

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
        PeriodError::YearOutOfRange(y) => {
            format!("Året {y} ligger utanför det tillåtna intervallet 1900–2200.")
        }
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
        NumberError::PercentNotAllowed(s) => {
            format!("”{s}” har ett procenttecken, men måttets enhet är inte procent. Skriv talet utan %.")
        }
        NumberError::Negative(_) => forms::NEGATIVE_MARGIN.into(),
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
        RulesError::ThresholdOrder => {
            "Gränsvärdena ska ligga mellan 0 och 1 och sjunka från bästa till sämsta nivå.".into()
        }
        RulesError::NegativeWeight => "Vikten för åtaganden får inte vara negativ.".into(),
    }
}

pub const REQUIRED: &str = "Fältet måste fyllas i.";

/// An item of a list that is edited one item per line.
pub const LINE_BREAK_IN_ITEM: &str =
    "En punkt får inte innehålla radbrytningar; dela upp den i flera punkter.";

pub fn too_long(max: usize) -> String {
    format!("Texten är för lång: högst {max} tecken.")
}

pub fn unknown_choice(value: &str) -> String {
    format!("”{value}” är inget av de tillåtna alternativen.")
}

pub fn not_a_date(value: &str) -> String {
    format!("”{value}” är inget datum. Skriv ÅÅÅÅ-MM-DD, t.ex. 2019-12-31.")
}

/// Why a search was not made.
pub fn search_query(e: &crate::search::QueryError) -> String {
    use crate::search::{QueryError, QUERY_MAX_BYTES, QUERY_MAX_WORDS};
    match e {
        QueryError::Empty => "Skriv ett eller flera ord att söka efter.".into(),
        QueryError::TooLong { bytes } => format!(
            "Sökningen är för lång ({bytes} byte). Skriv högst {QUERY_MAX_BYTES} byte, några ord räcker."
        ),
        QueryError::TooManyWords { words } => format!(
            "Sökningen har {words} ord. Sök på högst {QUERY_MAX_WORDS} ord."
        ),
    }
}

// --- sign-in and sessions -----------------------------------------------------------

pub const SIGN_IN_INTRO: &str = "Logga in med ditt konto i uppsikt. Utan inloggning ser du bara det som nämnderna har beslutat.";

/// The one answer to a sign-in that did not succeed, whatever the reason (unknown user
/// name, wrong password, an account that must wait or is disabled): nobody can tell from
/// it which accounts exist or which are waiting.
pub fn sign_in_failed(max_wait_minutes: i64) -> String {
    format!(
        "Fel användarnamn eller lösenord. Efter flera misslyckade försök i rad måste du vänta en stund, \
         högst {max_wait_minutes} minuter, innan nästa försök prövas. I en webbläsare där du har loggat in \
         förut påverkas du inte av andras försök."
    )
}

pub const TOO_MANY_SIGN_INS_FROM_HERE: &str =
    "För många inloggningsförsök från din dator. Vänta en minut och försök igen.";

/// A client over the public API's or the open data's request limit.
pub fn too_many_requests(retry_after_seconds: u64) -> String {
    format!(
        "För många anrop från din adress. Vänta {retry_after_seconds} sekund{} och försök igen.",
        if retry_after_seconds == 1 { "" } else { "er" }
    )
}

/// A query string longer than the open data and the public API read.
pub fn query_too_long(max_bytes: usize) -> String {
    format!("Adressens parametrar (efter ”?”) är för långa: högst {max_bytes} byte.")
}

/// A `--open-data-licence` that is no web address.
pub fn not_a_licence_uri(value: &str) -> String {
    format!("”{value}” är ingen adress till en licens: ange en fullständig adress som börjar med http:// eller https://, t.ex. http://creativecommons.org/publicdomain/zero/1.0/.")
}

/// A download format that does not exist.
pub const UNKNOWN_FORMAT: &str =
    "Okänt format. Välj format=excel (för Excel) eller format=rfc4180 (vanlig CSV).";

pub fn password_too_long(max_bytes: usize) -> String {
    format!("Lösenordet är för långt: högst {max_bytes} byte.")
}

pub const SSO_UNAVAILABLE: &str = "Inloggningen via organisationens konto fungerar inte just nu. Försök igen om en stund eller logga in med lösenord.";

pub const SSO_NOT_STARTED_HERE: &str = "Inloggningen startades inte i den här webbläsaren eller har gått ut. Börja om från inloggningssidan.";

pub const SSO_UNVERIFIABLE: &str =
    "Inloggningen kunde inte kontrolleras. Börja om från inloggningssidan.";

pub const SSO_CANCELLED: &str = "Inloggningen avbröts hos organisationens inloggningstjänst.";

pub const SSO_INCOMPLETE_ANSWER: &str = "Svaret från inloggningstjänsten saknar uppgifter.";

pub const SSO_NO_ACCOUNT: &str = "Du är inloggad hos organisationen men har inget aktivt konto i uppsikt. Be en administratör lägga upp dig.";

/// A `--trusted-proxy` value that is neither an address nor a range.
pub fn not_an_address_range(value: &str) -> String {
    format!("”{value}” är ingen IP-adress eller adressintervall. Skriv t.ex. 10.0.0.5, 10.0.0.0/8 eller fd00::/8.")
}

/// A `--public-origin` value that is not a web site's address.
pub fn not_an_origin(value: &str) -> String {
    format!("”{value}” är ingen webbadress för tjänsten. Skriv schema, värd och eventuell port, t.ex. https://uppsikt.kommun.se.")
}

// --- data files (the uppsikt/1 import format) ---------------------------------------

/// A position in a file, as shown before a message: `rad 3, kolumn 7`.
pub fn file_position(line: usize, column: usize) -> String {
    format!("rad {line}, kolumn {column}")
}

pub fn cannot_read_file(detail: &str) -> String {
    format!("Filen kan inte läsas: {detail}")
}

/// `detail` is the TOML parser's own description of the problem.
pub fn toml_syntax(detail: &str) -> String {
    format!("Filen är inte giltig TOML: {detail}")
}

pub fn missing_format(expected: &str) -> String {
    format!("Filen saknar raden format = \"{expected}\".")
}

pub fn unsupported_format(found: &str, expected: &str) -> String {
    format!("Formatet ”{found}” stöds inte; filen ska ha format = \"{expected}\".")
}

pub fn unknown_field(name: &str) -> String {
    format!("Okänt fält ”{name}”. Kontrollera stavningen mot formatbeskrivningen.")
}

/// What a field's value should have been.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    Text,
    Integer,
    Number,
    Boolean,
    List,
    Table,
}

pub fn wrong_type(expected: Expected) -> String {
    let what = match expected {
        Expected::Text => "en text inom citattecken",
        Expected::Integer => "ett heltal",
        Expected::Number => "ett tal",
        Expected::Boolean => "true eller false",
        Expected::List => "en lista",
        Expected::Table => "en tabell",
    };
    format!("Värdet ska vara {what}.")
}

pub fn invalid_key(value: &str, max: usize) -> String {
    format!("”{value}” är ingen giltig nyckel: använd bara a–z, 0–9 och bindestreck, högst {max} tecken.")
}

/// A code naming a forum, agreement or situation report (`F03`, `AG-2023-24`, `LB-2023-ÖVG`).
pub fn invalid_code(value: &str, max: usize) -> String {
    format!("”{value}” är ingen giltig kod: använd bokstäver, siffror och bindestreck utan mellanslag, högst {max} tecken, t.ex. F03 eller AG-2023-24.")
}

pub fn out_of_range(min: i64, max: i64) -> String {
    format!("Värdet måste ligga mellan {min} och {max}.")
}

pub fn negative() -> String {
    "Värdet får inte vara negativt.".into()
}

pub fn choice_of(value: &str, allowed: &[&str]) -> String {
    format!(
        "”{value}” är inget av de tillåtna alternativen: {}.",
        allowed.join(", ")
    )
}

pub fn unknown_status(value: &str) -> String {
    format!("”{value}” är ingen giltig status. Använd Klart, Ej klart i år, Pågår eller Avbrutet.")
}

pub fn percent_out_of_range(value: f64) -> String {
    format!(
        "En andel i procent måste ligga mellan 0 och 100; här står {}.",
        crate::number::format_sv(value, 2)
            .trim_end_matches('0')
            .trim_end_matches(',')
    )
}

pub fn rank_without_of() -> String {
    "En placering (rank) kräver antalet rankade (of).".into()
}

pub fn rank_out_of_range(rank: i64, of: i64) -> String {
    format!("Placeringen {rank} måste ligga mellan 1 och antalet rankade, {of}.")
}

/// Kinds of objects that rows refer to by key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Referent {
    OrgUnit,
    Goal,
    Indicator,
    Commitment,
    ComparisonGroup,
    /// Named by its code (`F03`).
    Forum,
    /// Named by its key in the files loaded together.
    SituationReport,
    /// Named by its code (`AG-2023-24`).
    Agreement,
    /// Named by its SFS number.
    Statute,
}

/// (no such …, another …, the …) for a kind of object, with the right gender.
fn referent_sv(kind: Referent) -> (&'static str, &'static str, &'static str) {
    match kind {
        Referent::OrgUnit => (
            "ingen organisationsenhet",
            "en annan organisationsenhet",
            "organisationsenheten",
        ),
        Referent::Goal => ("inget mål", "ett annat mål", "målet"),
        Referent::Indicator => ("ingen indikator", "en annan indikator", "indikatorn"),
        Referent::Commitment => ("inget åtagande", "ett annat åtagande", "åtagandet"),
        Referent::ComparisonGroup => (
            "ingen jämförelsegrupp",
            "en annan jämförelsegrupp",
            "jämförelsegruppen",
        ),
        Referent::Forum => ("inget forum", "ett annat forum", "forumet"),
        Referent::SituationReport => ("ingen lägesbild", "en annan lägesbild", "lägesbilden"),
        Referent::Agreement => (
            "ingen överenskommelse",
            "en annan överenskommelse",
            "överenskommelsen",
        ),
        Referent::Statute => ("ingen lag", "en annan lag", "lagen"),
    }
}

pub fn unknown_reference(kind: Referent, key: &str) -> String {
    format!(
        "Det finns {} med nyckeln ”{key}”, varken i filerna eller i databasen.",
        referent_sv(kind).0
    )
}

pub fn duplicate_key(kind: Referent, key: &str, first: &str) -> String {
    format!(
        "Nyckeln ”{key}” används redan för {} ({first}).",
        referent_sv(kind).1
    )
}

pub fn reference_cycle(kind: Referent, key: &str) -> String {
    format!(
        "Överordningen går i cirkel: {} ”{key}” skulle hamna under sig själv.",
        referent_sv(kind).2
    )
}

pub fn duplicate_short_name(name: &str, first: &str) -> String {
    format!("Kortnamnet ”{name}” används redan av en annan organisationsenhet ({first}).")
}

pub fn duplicate_vision(first: &str) -> String {
    format!("Visionen för den här enheten anges redan ({first}).")
}

pub fn duplicate_area(name: &str, first: &str) -> String {
    format!("Området ”{name}” anges redan ({first}).")
}

/// An area named (by its name) that neither the files nor the database hold.
pub fn unknown_area(name: &str) -> String {
    format!("Det finns inget område med namnet ”{name}”, varken i filerna eller i databasen. Lägg till det under [[areas]].")
}

/// A forum given both a board and a forum to report to.
pub const FORUM_REPORTS_TO_ONE: &str =
    "Ange antingen en nämnd (reports_to) eller ett forum (reports_to_forum) som forumet rapporterar till, inte båda.";

/// A second `[situation_scale]`.
pub fn duplicate_level_scale(first: &str) -> String {
    format!("Lägesskalan anges redan ({first}).")
}

/// Two obligations of one statute with the same code.
pub fn duplicate_obligation(code: &str, first: &str) -> String {
    format!("Skyldigheten ”{code}” finns redan i lagen ({first}).")
}

pub fn duplicate_outcome(period: &str, breakdown: &str, first: &str) -> String {
    format!("Det finns redan ett utfall för {period} ({breakdown}) ({first}).")
}

pub fn duplicate_year(year: i32, first: &str) -> String {
    format!("Året {year} anges redan ({first}).")
}

pub fn duplicate_period(period: &str, first: &str) -> String {
    format!("Perioden {period} anges redan ({first}).")
}

pub fn duplicate_gap(period: &str, kind: &str, first: &str) -> String {
    format!("Bedömningen av skillnader ({kind}) för {period} anges redan ({first}).")
}

pub fn duplicate_comparison(period: &str, group: &str, field: &str, first: &str) -> String {
    format!("Jämförelsen med ”{group}” för {period} anger {field} två gånger ({first}).")
}

pub fn duplicate_assessment(first: &str) -> String {
    format!("Samma enhet har redan en bedömning av samma mål för samma period och skede ({first}).")
}

// --- form input ------------------------------------------------------------------------

/// A character refused by the text rule (`crate::text`), named by its code point.
pub fn text_refused(e: &crate::text::TextError) -> String {
    use crate::text::Refused;
    let (code, n) = (e.code(), e.position);
    match e.why {
        Refused::LineBreak => format!("Fältet ska vara en enda rad men har en radbrytning ({code}) som tecken nr {n}. Skriv texten på en rad."),
        Refused::Tab => format!("Fältet ska vara en enda rad men har ett tabbtecken ({code}) som tecken nr {n}. Byt det mot ett mellanslag."),
        Refused::Nul => format!("Texten har ett nolltecken ({code}) som tecken nr {n}. Det tas inte emot; ta bort det och försök igen."),
        Refused::Control => format!("Texten har ett osynligt styrtecken ({code}) som tecken nr {n}. Det tas inte emot; ta bort det och försök igen."),
        Refused::Direction => format!("Texten har ett osynligt tecken som ändrar läsriktningen ({code}) som tecken nr {n}. Sådana tecken kan få texten att se ut att säga något annat än den gör och tas inte emot; ta bort det och försök igen."),
        Refused::Invisible => format!("Texten har ett osynligt tecken ({code}) som tecken nr {n}. Det kan få två olika texter att se likadana ut och tas inte emot; ta bort det och försök igen."),
        Refused::Noncharacter => format!("Texten har ett tecken som inte får förekomma i text ({code}) som tecken nr {n}. Ta bort det och försök igen."),
    }
}

/// A form field whose bytes were not UTF-8 once percent-decoded.
pub fn form_not_utf8(field: &str) -> String {
    format!("Formuläret kunde inte läsas: fältet ”{field}” innehöll tecken som inte är giltig UTF-8. Inget har sparats. Gå tillbaka, ladda om sidan och skicka formuläret igen.")
}

pub const FORM_NOT_A_FORM: &str = "Det som skickades var inte ett formulär från den här webbplatsen. Inget har sparats. Gå tillbaka, ladda om sidan och skicka igen.";

/// An address (path) part that cannot be what it names, e.g. `/goals/abc`.
pub fn bad_address_part(value: &str) -> String {
    format!("Adressen är fel: ”{value}” är inget giltigt id. Det du söker finns inte; kontrollera adressen.")
}

pub const REQUEST_UNREADABLE: &str = "Det som skickades kunde inte läsas. Inget har ändrats. Kontrollera adressen, eller gå tillbaka, ladda om sidan och försök igen.";

pub const BAD_ADDRESS: &str =
    "Adressen är fel och kunde inte läsas. Kontrollera adressen eller gå tillbaka och försök igen.";

/// A query parameter that could not be read (e.g. given twice).
pub const BAD_QUERY: &str = "Adressen innehåller parametrar (efter ”?”) som inte kunde läsas, t.ex. samma parameter två gånger. Kontrollera adressen.";

/// A query parameter whose bytes were not UTF-8 once percent-decoded.
pub fn query_not_utf8(name: &str) -> String {
    format!(
        "Adressen kunde inte läsas: parametern ”{name}” innehöll tecken som inte är giltig UTF-8."
    )
}

pub fn bad_page_number(value: &str, max: u32) -> String {
    format!("”{value}” är inget sidnummer. Sidorna numreras från 1 till högst {max}.")
}

pub fn bad_id_parameter(name: &str, value: &str) -> String {
    format!("Adressen är fel: ”{value}” i ”{name}” är inget giltigt id.")
}

pub fn method_not_allowed(method: &str) -> String {
    format!("Adressen finns, men inte för den här sortens begäran ({method}). Inget har ändrats.")
}

/// The chosen option (an id in the form) names nothing that exists any more.
pub fn chosen_gone(value: &str) -> String {
    format!("Det valda (”{value}”) finns inte. Välj ett alternativ i listan.")
}

pub const GOAL_UNDER_ITSELF: &str =
    "Ett mål kan inte ligga under sig självt eller ett av sina egna delmål.";

/// A goal placed under a goal of a unit that is neither its own nor above it.
pub fn goal_parent_of_other_unit(parent: &str, unit: &str) -> String {
    format!("Målet kan bara ligga under mål som hör till den egna enheten eller en enhet ovanför den, t.ex. kommunfullmäktiges mål. ”{parent}” hör till {unit}.")
}

pub const CARRIED_OVER_FROM_ITSELF: &str = "Ett åtagande kan inte vara överfört från sig självt.";

pub fn carried_over_from_other_unit(title: &str, unit: &str) -> String {
    format!("Ett åtagande kan bara föras över från ett åtagande hos samma enhet. ”{title}” hör till {unit}.")
}

pub fn carried_over_from_later(title: &str, from_year: i32, year: i32) -> String {
    format!("Ett åtagande kan bara föras över från ett tidigare år. ”{title}” gäller {from_year}, det här {year}.")
}

/// An editor named an area that does not exist.
pub fn area_not_allowed(name: &str) -> String {
    format!("Området ”{name}” finns inte. Välj ett område i listan; nya områden läggs upp av en controller.")
}

// --- Kolada and comparison groups ---------------------------------------------------

pub fn not_a_municipality_id(value: &str) -> String {
    format!("”{value}” är ingen kommunkod. En kommunkod har fyra siffror, t.ex. 0126 för Huddinge.")
}

pub fn not_a_kpi_id(value: &str) -> String {
    format!(
        "”{value}” är inget Kolada-id. Ett id är en stor bokstav och fem siffror, t.ex. N00901."
    )
}

pub const GROUPS_NEED_KPI: &str =
    "Jämförelsegrupper räknas ur Kolada-värden: ange måttets Kolada-id eller välj bort grupperna.";

pub fn not_a_web_address(value: &str) -> String {
    format!("”{value}” är ingen webbadress. Den ska börja med https:// (eller http://).")
}

pub fn unknown_municipalities(names: &[String]) -> String {
    let list: Vec<String> = names.iter().map(|n| format!("”{n}”")).collect();
    format!(
        "Okända kommuner: {}. Ange kommunkoden med fyra siffror, eller namnet som Kolada skriver det (hämta Koladas kommunlista först).",
        list.join(", ")
    )
}

pub fn group_title_taken(title: &str) -> String {
    format!("Det finns redan en jämförelsegrupp som heter ”{title}”. Välj ett annat namn.")
}

// --- uploads -------------------------------------------------------------------------

pub fn upload_too_large(max_mb: usize) -> String {
    format!("Filen är för stor: högst {max_mb} MB. Dela upp den i flera filer. Ingenting har importerats.")
}

pub fn upload_unreadable() -> String {
    "Filen kom inte fram hel. Välj filen och försök igen. Ingenting har importerats.".into()
}

pub fn upload_no_file() -> String {
    "Välj en fil att importera (CSV, Excel eller OpenDocument).".into()
}

pub fn upload_empty(name: &str) -> String {
    format!("Filen ”{name}” är tom. Ingenting har importerats.")
}

pub fn upload_gone() -> &'static str {
    "Den uppladdade filen finns inte längre (den sparas en timme, och bara för den som laddade upp den). Ladda upp filen igen."
}

pub fn preview_stale() -> String {
    "Uppgifterna har ändrats sedan förhandsgranskningen och raderna nedan har nu fel. Ingenting har importerats; rätta filen eller kolumnvalet och försök igen.".into()
}

/// The user cancelled an import; nothing was saved.
pub fn import_cancelled() -> String {
    "Importen avbröts. Ingenting sparades.".into()
}

/// The database refused a write during an import; nothing was saved.
pub fn import_database(detail: &str) -> String {
    format!("Databasen kunde inte spara ändringen, så ingenting har sparats: {detail}")
}

// Limits on what an uploaded file may hold or unpack to (`uppsikt_import::table`), and
// the server's own limit on files read at once.

/// A cell (at `at`, `C7`, when known) holds more text than any spreadsheet program writes.
pub fn cell_too_long(at: Option<&str>, max_kib: usize) -> String {
    let which = at.map_or_else(|| "En cell".to_string(), |at| format!("Cellen {at}"));
    format!("{which} innehåller mer än {max_kib} kB text, mer än Excel rymmer i en cell. Filen kan vara skadad. Ingenting har importerats.")
}

/// The table's cells hold more text in all than one import may.
pub fn text_too_large(max_mb: usize) -> String {
    format!("Filen innehåller för mycket text för att importeras på en gång: högst {max_mb} MB text i bladet (en text som upprepas i många celler räknas en gång per cell). Dela upp den i flera filer. Ingenting har importerats.")
}

/// A zip workbook with more members than any spreadsheet program writes.
pub fn too_many_members(max: usize) -> String {
    format!("Filen består av fler än {max} delar och är ingen vanlig kalkylbladsfil. Öppna den i Excel eller LibreOffice och spara den på nytt. Ingenting har importerats.")
}

/// A zip workbook that unpacks to more than an import may read.
pub fn unpacks_too_large(max_mb: u64) -> String {
    format!("Filen packas upp till mer än {max_mb} MB och är för stor för att läsas. Dela upp den i flera filer. Ingenting har importerats.")
}

/// A zip workbook member packed far tighter than spreadsheets pack (a zip bomb).
pub fn packed_too_tightly(max_ratio: u64) -> String {
    format!("Filen är packad mer än {max_ratio} gånger tätare än kalkylblad brukar vara och kan vara gjord för att belasta servern. Öppna den i Excel eller LibreOffice och spara den på nytt. Ingenting har importerats.")
}

pub fn too_many_shared_strings(max: u64) -> String {
    format!(
        "Filen har fler än {} olika texter och är för stor för att importeras på en gång. Dela upp den i flera filer. Ingenting har importerats.",
        crate::number::format_sv(max as f64, 0)
    )
}

pub fn too_many_merged_regions(max: u64) -> String {
    format!(
        "Filen har fler än {} sammanfogade cellområden. Ta bort sammanfogningarna (eller spara bladet som CSV) och försök igen. Ingenting har importerats.",
        crate::number::format_sv(max as f64, 0)
    )
}

/// The server is reading as many files as it reads at once, and this one waited too long.
pub fn upload_busy() -> String {
    "Servern läser andra filer just nu. Vänta en stund och ladda upp filen igen. Ingenting har importerats.".into()
}

pub fn integer_range(value: &str, min: i64, max: i64) -> String {
    format!("”{value}” är inget heltal mellan {min} och {max}.")
}

pub const MOTIVATION_REQUIRED: &str =
    "Skriv en motivering: den beslutade nivån skiljer sig från systemets förslag.";

pub fn unknown_level(value: &str, levels: &[String]) -> String {
    format!(
        "”{value}” finns inte på bedömningsskalan ({}).",
        levels.join(", ")
    )
}

pub fn short_name_taken(name: &str, key: &str) -> String {
    format!("Kortnamnet ”{name}” används redan av organisationsenheten ”{key}” i databasen.")
}

// --- Kolada (saved JSON pages and the API) ----------------------------------------

pub fn json_syntax(detail: &str) -> String {
    format!("Filen är inte giltig JSON: {detail}")
}

pub fn kolada_not_a_page() -> String {
    "Filen är ingen sida från Kolada: den ska vara ett JSON-objekt med listan ”values”.".into()
}

pub fn kolada_unknown_row() -> String {
    "Raden är varken ett nyckeltal, en kommun, en kommungrupp eller ett värde från Kolada (saknar ”id” eller ”kpi”).".into()
}

pub fn kolada_row_kind(expected: &str) -> String {
    format!("Raden passar inte ihop med sidans övriga rader, som är {expected}.")
}

pub fn invalid_kpi_id(value: &str) -> String {
    format!("”{value}” är inget giltigt id för ett nyckeltal i Kolada: en stor bokstav och fem siffror, t.ex. N00901.")
}

pub fn invalid_municipality_id(value: &str) -> String {
    format!("”{value}” är inget giltigt kommun-id: fyra siffror, t.ex. 0126 (Huddinge).")
}

pub fn invalid_group_id(value: &str) -> String {
    format!("”{value}” är inget giltigt id för en kommungrupp i Kolada: G följt av siffror, t.ex. G124125.")
}

pub fn invalid_gender(value: &str) -> String {
    format!("”{value}” är inget kön i Kolada: använd T (totalt), K (kvinnor) eller M (män).")
}

pub fn duplicate_in_list(value: &str) -> String {
    format!("”{value}” finns redan i listan.")
}

pub fn duplicate_kolada_settings(first: &str) -> String {
    format!("Kolada-inställningen anges redan ({first}).")
}

pub fn groups_need_kpi() -> String {
    "Jämförelsegrupper ger placering och snitt bara för ett mått med Kolada-id: ange kolada_kpi."
        .into()
}

pub fn too_many_errors(more: usize) -> String {
    format!("… och {more} fel till. Rätta de första och försök igen.")
}

pub fn no_json_files(dir: &str) -> String {
    format!("Katalogen {dir} innehåller inga sidor från Kolada (*.json).")
}

pub fn cannot_read_dir(dir: &str, detail: &str) -> String {
    format!("Katalogen {dir} kan inte läsas: {detail}")
}

pub fn cannot_save_page(path: &str, detail: &str) -> String {
    format!("Sidan kunde inte sparas i {path}: {detail}. Ingenting har sparats i databasen.")
}

pub fn save_dir_not_empty(dir: &str) -> String {
    format!("Katalogen {dir} är inte tom: ange en ny eller tom katalog att spara sidorna från Kolada i.")
}

pub fn kolada_no_kpis() -> String {
    "Det finns inga nyckeltal att hämta: koppla ett mått till ett Kolada-id (kolada_kpi) eller ange nyckeltalen (--kpi N00901).".into()
}

pub fn kolada_no_municipalities() -> String {
    "Det finns inga kommuner att hämta värden för: ange vår kommun (uppsikt kolada municipality 0126) eller kommunerna (--municipality 0126).".into()
}

pub fn invalid_year_range(value: &str) -> String {
    format!("”{value}” är inga år: skriv ett år (2019) eller ett intervall (2015-2023) mellan 1900 och 2200.")
}

pub fn invalid_api_url(value: &str) -> String {
    format!("”{value}” är ingen giltig adress till Kolada: skriv t.ex. https://api.kolada.se/v3.")
}

/// Kolada refused a request (4xx): retrying would not help.
pub fn kolada_refused(url: &str, status: u16) -> String {
    format!("Kolada svarade {status} på {url}: frågan godtogs inte (kontrollera id:n och adressen). Ingenting har sparats.")
}

/// Kolada (or the network) failed on every try.
pub fn kolada_unreachable(url: &str, tries: u32, detail: &str) -> String {
    format!("Kolada kunde inte nås på {url} efter {tries} försök ({detail}). Ingenting har sparats; försök igen senare.")
}

pub fn kolada_server_error(status: u16) -> String {
    format!("serverfel {status}")
}

// --- background jobs and the Kolada client's limits ------------------------------------

/// A user asked for another report while `running` of theirs are still being made.
pub fn reports_user_busy(running: usize) -> String {
    format!(
        "Du har redan {} som skapas. Vänta tills någon av dem är klar och försök sedan igen. Ingen ny rapport har påbörjats.",
        count_sv(running as u64, "rapport", "rapporter")
    )
}

/// The server makes as many reports as it may at once.
pub fn reports_server_busy() -> String {
    "Många rapporter skapas just nu. Försök igen om en stund. Ingen ny rapport har påbörjats."
        .into()
}

/// A report too large to keep for download.
pub fn report_too_large(max_mb: usize) -> String {
    format!("Rapporten blev större än {max_mb} MB och kan inte sparas för nedladdning. Skapa den för en nämnd i taget eller i ett annat format.")
}

/// A report failed for a reason of ours (the details are logged).
pub fn report_failed() -> String {
    "Rapporten kunde inte skapas på grund av ett fel hos oss. Försök igen om en stund.".into()
}

/// A user started another import while `running` of theirs are still going on.
pub fn imports_user_busy(running: usize) -> String {
    format!(
        "Du har redan {} som pågår. Vänta tills någon av dem är klar och försök sedan igen. Ingenting nytt har påbörjats.",
        count_sv(running as u64, "import", "importer")
    )
}

/// The server runs as many imports as it may at once.
pub fn imports_server_busy() -> String {
    "Många importer pågår just nu. Försök igen om en stund. Ingenting nytt har påbörjats.".into()
}

/// An address of Kolada's API that the server's operator has not allowed.
pub fn kolada_api_not_allowed(value: &str, allowed: &str) -> String {
    format!("”{value}” är ingen tillåten adress till Koladas API. Tillåtet är {allowed}. En annan adress (t.ex. en egen kopia av API:et) måste den som driver uppsikt tillåta, med --kolada-api-allow.")
}

/// The operator's `--kolada-api-allow` is no address.
pub fn kolada_api_allow_invalid(value: &str) -> String {
    format!("--kolada-api-allow: ”{value}” är ingen adress av formen https://värd[:port][/sökväg] (utan användarnamn, ? eller #).")
}

/// Kolada answered with a redirect, which is not followed.
pub fn kolada_redirected(url: &str, status: u16) -> String {
    format!("Kolada svarade {status} på {url} och hänvisade till en annan adress. Hänvisningar följs inte: kontrollera adressen till Koladas API. Ingenting har sparats.")
}

/// A page's `next_url` is no address below the API's (the page is named with the error).
pub fn kolada_next_url_elsewhere(base: &str) -> String {
    format!("Nästa sida (next_url) ligger inte under Koladas API {base}, så hämtningen avbröts. Ingenting har sparats.")
}

/// An answer larger than a page may be.
pub fn kolada_page_too_large(url: &str, max_bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    let max = if max_bytes >= MIB {
        format!("{} MB", whole_sv(max_bytes / MIB))
    } else {
        format!("{} kB", whole_sv(max_bytes.div_ceil(1024)))
    };
    format!("Svaret på {url} är större än {max}, så hämtningen avbröts. Ingenting har sparats. Hämta färre nyckeltal åt gången eller be den som driver uppsikt om en högre gräns.")
}

/// Fetched pages could not be kept on the server's disk for a moment.
pub fn kolada_spool_failed() -> String {
    "Sidorna från Kolada kunde inte sparas tillfälligt på servern (är disken full?). Ingenting har sparats i databasen; försök igen senare.".into()
}

/// A request could not be sent or its answer broke off (the details are logged).
pub fn kolada_no_connection() -> String {
    "ingen förbindelse".into()
}

pub fn kolada_connection_broken() -> String {
    "förbindelsen bröts".into()
}

pub fn kolada_timed_out(seconds: u64) -> String {
    format!("inget svar inom {seconds} s")
}

pub fn kolada_connection(detail: &str) -> String {
    format!("förbindelsen bröts: {detail}")
}

pub fn kolada_bad_next_url(value: &str) -> String {
    format!("Nästa sida (next_url) har en ogiltig adress: ”{value}”.")
}

/// `n` and the singular or plural noun: `1 sida`, `2 sidor`; thousands spaced (`10 000`).
fn count_sv(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", whole_sv(n), if n == 1 { one } else { many })
}

/// A whole number with Swedish thousands spacing (no-break space): `10 000 000`.
fn whole_sv(n: u64) -> String {
    let digits = n.to_string();
    let mut spaced = String::with_capacity(digits.len() + digits.len() / 3 * 2);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            spaced.push('\u{a0}');
        }
        spaced.push(c);
    }
    spaced
}

/// The first line of a Kolada import's summary: what was read.
pub fn kolada_read(pages: u64, requests: u64, retries: u64) -> String {
    let pages = count_sv(pages, "sida", "sidor");
    if requests == 0 {
        return format!("Läste {pages} från Kolada (sparade filer).");
    }
    let asked = count_sv(requests, "förfrågan", "förfrågningar");
    match retries {
        0 => format!("Läste {pages} från Kolada ({asked})."),
        r => format!(
            "Läste {pages} från Kolada ({asked}, {} efter fel).",
            count_sv(r, "nytt försök", "nya försök")
        ),
    }
}

pub fn kolada_values_written(values: u64, missing: u64, deleted: u64) -> String {
    let mut line = format!("Sparade {}", count_sv(values, "värde", "värden"));
    if missing > 0 {
        line.push_str(&format!(
            ", varav {} utan siffra (sparade som saknade, inte som 0)",
            whole_sv(missing)
        ));
    }
    if deleted > 0 {
        line.push_str(&format!(
            "; tog bort {} som Kolada har dragit tillbaka",
            count_sv(deleted, "värde", "värden")
        ));
    }
    line.push('.');
    line
}

pub fn kolada_metadata_written(kpis: u64, municipalities: u64, groups: u64) -> String {
    format!(
        "Uppdaterade {}, {} och {}.",
        count_sv(kpis, "nyckeltal", "nyckeltal"),
        count_sv(municipalities, "kommun", "kommuner"),
        count_sv(groups, "kommungrupp", "kommungrupper")
    )
}

pub fn kolada_skipped(group_values: u64, outside_plan: u64) -> String {
    let mut parts = Vec::new();
    if group_values > 0 {
        parts.push(format!(
            "{} för kommungrupper (snitt räknas fram ur medlemmarnas värden)",
            count_sv(group_values, "värde", "värden")
        ));
    }
    if outside_plan > 0 {
        parts.push(format!(
            "{} utanför urvalet (andra nyckeltal, kommuner eller år)",
            count_sv(outside_plan, "värde", "värden")
        ));
    }
    format!("Hoppade över {}.", parts.join(" och "))
}

pub fn kolada_incremental(requests: u64) -> String {
    format!(
        "{} bad bara om ändringar sedan förra hämtningen.",
        count_sv(requests, "förfrågan", "förfrågningar")
    )
}

pub fn kolada_outcomes_synced(indicators: u64, set: u64, removed: u64, unchanged: u64) -> String {
    format!(
        "Utfall för {} kopplade till Kolada: {} nya eller ändrade, {} borttagna, {} oförändrade.",
        count_sv(indicators, "mått", "mått"),
        whole_sv(set),
        whole_sv(removed),
        whole_sv(unchanged)
    )
}

pub fn kolada_outcomes_locked(count: u64) -> String {
    format!(
        "{} gjordes inte eftersom perioden är låst av ett beslut; lås upp perioden och hämta igen för att ta in Kolada-värdena.",
        count_sv(count, "ändring av utfall", "ändringar av utfall")
    )
}

pub fn kolada_no_own_municipality() -> String {
    "Ingen egen kommun är angiven, så inga utfall fylldes i: ange den med ”uppsikt kolada municipality 0126” (eller [kolada] municipality i en datafil).".into()
}

/// Swedish genitive: `KS` → `KS:s`, `Huddinge` → `Huddinges`, `Kultur- och fritidsnämnden`
/// → `Kultur- och fritidsnämndens`; names ending in s, x or z take no extra s.
pub fn genitive(name: &str) -> String {
    let last = name.chars().last();
    let last_word = name.split_whitespace().last().unwrap_or("");
    let is_abbreviation = last_word.chars().any(char::is_alphabetic)
        && last_word
            .chars()
            .filter(|c| c.is_alphabetic())
            .all(char::is_uppercase);
    match last {
        None => String::new(),
        Some(_) if is_abbreviation => format!("{name}:s"),
        Some('s' | 'x' | 'z') => name.to_string(),
        Some(_) => format!("{name}s"),
    }
}

fn nonempty(s: &str) -> Option<&str> {
    Some(s.trim()).filter(|s| !s.is_empty())
}

/// How a decision is referred to: "Kommunstyrelsen 2020-03-23, § 45, dnr KS-2020/123".
/// What the records lack is said to be missing, never left as an empty slot (the demo's
/// decisions come from documents that do not give their date or paragraph).
pub fn decision_reference(lock: &crate::model::PeriodLock) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut missing: Vec<&str> = Vec::new();
    let mut first = lock.body.trim().to_string();
    match nonempty(&lock.decided_on) {
        Some(d) => first = format!("{first} {d}"),
        None => missing.push("datum"),
    }
    parts.push(first);
    match nonempty(&lock.paragraph) {
        Some(p) => parts.push(p.to_string()),
        None => missing.push("paragraf"),
    }
    match nonempty(&lock.diary_number) {
        Some(d) => parts.push(format!("dnr {d}")),
        None => missing.push("diarienummer"),
    }
    let mut out = parts.join(", ");
    if !missing.is_empty() {
        let list = match missing.as_slice() {
            [one] => one.to_string(),
            [init @ .., last] => format!("{} och {last}", init.join(", ")),
            [] => String::new(),
        };
        out.push_str(&format!(" ({list} saknas i underlaget)"));
    }
    out
}

/// A data file's decision differs from the one recorded for the same unit and period.
pub fn decision_differs(recorded: &crate::model::PeriodLock) -> String {
    format!(
        "Ett annat beslut om {} är redan registrerat ({}). Ett registrerat beslut ändras inte \
         genom import; en controller kan öppna perioden igen med en motivering.",
        recorded.period.label_sv(),
        decision_reference(recorded)
    )
}

/// A change refused because a board's decision covers the data (period lock).
pub fn period_locked(lock: &crate::model::PeriodLock) -> String {
    format!(
        "Perioden {} är låst genom beslut: {}. Beslutade uppgifter, och det de vilar på, \
         kan inte ändras. En controller kan öppna perioden igen med en motivering; det loggas.",
        lock.period.label_sv(),
        decision_reference(lock)
    )
}

// --- outcome tables (CSV, XLSX, XLS, ODS: `uppsikt_import::table`) -----------------

/// Where in a table an error is: `rad 7, Värde` (the row as the spreadsheet numbers it
/// and the column's heading as the file writes it).
pub fn table_cell(row: usize, column: &str) -> String {
    format!("rad {row}, {column}")
}

/// A whole row of a table: `rad 7`.
pub fn table_row(row: usize) -> String {
    format!("rad {row}")
}

pub fn unknown_file_kind(name: &str) -> String {
    format!("”{name}” är ingen fil som kan läsas: använd CSV (semikolon-, komma- eller tabbavgränsad), Excel (.xlsx, .xls) eller OpenDocument (.ods).")
}

pub fn file_not_what_its_name_says(name: &str) -> String {
    format!("”{name}” ser inte ut att vara en kalkylbladsfil trots namnet. Spara den på nytt som .xlsx, .ods eller CSV.")
}

pub fn password_protected() -> String {
    "Filen är lösenordsskyddad. Spara en kopia utan lösenord och importera den.".into()
}

/// An XML element in a workbook with more attributes than spreadsheet programs write.
pub fn too_many_attributes(max: u32) -> String {
    format!(
        "Filen innehåller ett element med fler än {max} attribut, vilket Excel och LibreOffice \
         inte skriver, och kan därför inte läsas. Öppna den i Excel eller LibreOffice och spara \
         den på nytt."
    )
}

pub fn workbook_damaged() -> String {
    "Filen är skadad eller har ett innehåll som inte kan läsas. Öppna den i Excel eller LibreOffice och spara den på nytt.".into()
}

pub fn binary_file() -> String {
    "Filen innehåller binära data och är ingen textfil (CSV). Spara den som .xlsx, .ods eller CSV."
        .into()
}

pub fn unknown_sheet(name: &str, sheets: &[String]) -> String {
    format!(
        "Bladet ”{name}” finns inte i filen. Filen har bladen: {}.",
        sheets.join(", ")
    )
}

pub fn no_header_row() -> String {
    "Filen är tom: den saknar en rubrikrad med kolumnernas namn.".into()
}

pub fn no_data_rows() -> String {
    "Filen har inga rader med utfall under rubrikraden.".into()
}

pub fn table_too_large(max_cells: usize) -> String {
    format!(
        "Filen är för stor för att importeras på en gång: högst {} celler. Dela upp den i flera filer.",
        crate::number::format_sv(max_cells as f64, 0)
    )
}

pub fn too_many_columns(column: &str, max: usize) -> String {
    format!("Det står något i kolumn {column}; högst {max} kolumner kan läsas. Ta bort det som står långt till höger.")
}

/// A required column the user has not chosen.
pub fn column_not_mapped(field: &str) -> String {
    format!("Välj vilken kolumn som innehåller ”{field}”; den krävs.")
}

pub fn column_mapped_twice(column: &str, first: &str, second: &str) -> String {
    format!("Kolumnen ”{column}” är vald både för ”{first}” och för ”{second}”; välj en kolumn för varje.")
}

pub fn no_such_column(column: &str, headers: &[String]) -> String {
    format!(
        "Det finns ingen kolumn ”{column}”. Filens kolumner: {}.",
        headers.join(", ")
    )
}

pub fn unknown_indicator(value: &str) -> String {
    format!("Det finns inget mått med nyckeln eller namnet ”{value}”. Se bladet Mått i importmallen för de mått du kan importera till.")
}

pub fn ambiguous_indicator(value: &str, keys: &[String]) -> String {
    format!(
        "Flera mått heter ”{value}”; skriv måttets nyckel i stället: {}.",
        keys.join(", ")
    )
}

pub fn unknown_table_breakdown(value: &str, areas: &[String]) -> String {
    let known = if areas.is_empty() {
        String::new()
    } else {
        format!(" Kända områden: {}.", areas.join(", "))
    };
    format!("”{value}” är ingen uppdelning. Skriv Totalt, Kvinnor, Män, Flickor, Pojkar eller Område: NAMN.{known}")
}

pub fn new_area(name: &str) -> String {
    format!("Området ”{name}” finns inte ännu; det läggs till när utfallen sparas. Kontrollera stavningen.")
}

pub fn period_is_date(value: &str) -> String {
    format!("”{value}” är ett datum, inte en period. Skriv året (2019), tertialet (2019T2), månaden (2019-03) eller veckan (2019W07). I Excel blir 2019-03 ett datum; skriv '2019-03 med en apostrof först eller formatera kolumnen som text.")
}

pub fn cell_error(value: &str) -> String {
    format!("Cellen innehåller ett fel från kalkylprogrammet ({value}) i stället för ett värde.")
}

pub fn import_not_allowed() -> String {
    "Du har inte behörighet att importera utfall.".into()
}

pub fn not_allowed_for_unit(unit: &str) -> String {
    format!("Du får inte ändra utfall för mått som hör till {unit}.")
}

/// A value ≤ 1 for an indicator in per cent: perhaps a share from a percent-formatted cell.
pub fn percent_looks_like_fraction(value: f64) -> String {
    let shown = crate::number::format_sv(value, 6);
    let shown = shown.trim_end_matches('0').trim_end_matches(',');
    let percent = crate::number::format_sv(value * 100.0, 4);
    let percent = percent.trim_end_matches('0').trim_end_matches(',');
    format!("Värdet {shown} är högst 1 för ett mått i procent. Om cellen var formaterad som procent i kalkylprogrammet är det en andel: {shown} betyder {percent} %, och då ska det stå {percent}. Kontrollera innan du sparar.")
}

pub fn changed_since_preview(now: &str, then: &str) -> String {
    format!("Utfallet har ändrats sedan förhandsgranskningen (nu {now}, i förhandsgranskningen {then}). Läs in filen igen och granska ändringarna.")
}

pub fn indicator_gone() -> String {
    "Måttet finns inte längre eller har flyttats sedan förhandsgranskningen. Läs in filen igen."
        .into()
}

/// Below the example rows of the import template.
pub fn template_example_note() -> String {
    "Raderna ovan är exempel. Fyll i utfallen på bladet Utfall; bladet Mått visar nycklarna till de mått du kan importera till.".into()
}

/// What an outcome import is doing, for its progress bar.
pub fn table_progress_checking() -> String {
    "Kontrollerar raderna mot databasen".into()
}

pub fn table_progress_saving() -> String {
    "Sparar utfallen".into()
}

pub fn table_progress_done() -> String {
    "Klart".into()
}

/// Before the list of errors of an import that kept nothing.
pub fn nothing_imported() -> String {
    "Ingenting importerades:".into()
}

/// The command line asked the running import to stop (Ctrl+C).
pub fn import_cancelling() -> String {
    "Avbryter importen …".into()
}

/// A `--column` choice on the command line that is not `FÄLT=KOLUMN`.
pub fn invalid_column_choice(value: &str) -> String {
    format!(
        "”{value}” säger inte vilken kolumn som innehåller vad: skriv FÄLT=KOLUMN, t.ex. värde=D eller \"Mått=Nyckeltal\". Fält: mått, period, uppdelning, värde, felmarginal, antal svarande."
    )
}

pub fn table_ignored_columns(headings: &[String]) -> String {
    format!("Importeras inte: {}.", headings.join(", "))
}

/// What an import would do (the preview), and what it did.
pub fn table_planned(new: usize, changed: usize, unchanged: usize) -> String {
    format!("{new} nya utfall, {changed} ändrade, {unchanged} oförändrade.")
}

pub fn table_new_areas(areas: &[String]) -> String {
    format!("Nya områden: {}.", areas.join(", "))
}

pub fn table_in_history() -> String {
    "Varje ändring finns i måttens historik.".into()
}

pub fn dry_run_nothing_saved() -> String {
    "Bara en kontroll: ingenting sparades.".into()
}

/// An outcome as a preview or an error shows it: `88,7 ± 2,1 (n = 1 200)`, or that there
/// is none.
pub fn outcome_value(outcome: Option<&crate::Outcome>, decimals: u8) -> String {
    let Some(o) = outcome else {
        return "inget utfall".into();
    };
    // At least the indicator's decimals, more where the value has them (up to 6).
    let exact = |v: f64| {
        let d = (decimals.min(6)..=6)
            .find(|&d| {
                let scale = 10f64.powi(i32::from(d));
                ((v * scale).round() / scale - v).abs() <= 1e-9 * v.abs().max(1.0)
            })
            .unwrap_or(6);
        crate::number::format_sv(v, d)
    };
    let mut s = exact(o.value);
    if let Some(m) = o.margin {
        s.push_str(&format!(" ± {}", exact(m)));
    }
    if let Some(n) = o.sample_size {
        s.push_str(&format!(" (n = {})", crate::number::format_sv(n as f64, 0)));
    }
    s
}

pub fn table_has_errors(count: usize) -> String {
    if count == 1 {
        "Filen har ett fel; ingenting har sparats.".into()
    } else {
        format!("Filen har {count} fel; ingenting har sparats.")
    }
}

// --- comparison groups in data files (the uppsikt/1 import format) ------------------

pub fn custom_group_needs_members() -> String {
    "En egen jämförelsegrupp behöver minst en kommun i members. Bara en kommungrupp från Kolada (kolada_id) får sakna medlemmar tills den hämtas.".into()
}

pub fn duplicate_group_title(title: &str, first: &str) -> String {
    format!("Det finns redan en jämförelsegrupp som heter ”{title}” ({first}).")
}

pub fn group_title_taken_by(title: &str, key: &str) -> String {
    format!("Namnet ”{title}” används redan av jämförelsegruppen ”{key}” i databasen.")
}

pub fn duplicate_kolada_group(id: &str, first: &str) -> String {
    format!("Kommungruppen ”{id}” från Kolada anges redan ({first}).")
}

pub fn kolada_group_taken_by(id: &str, key: &str) -> String {
    format!("Kommungruppen ”{id}” från Kolada finns redan i databasen som jämförelsegruppen ”{key}”; använd den nyckeln.")
}

#[cfg(test)]
mod tests {
    use super::genitive;

    #[test]
    fn genitive_follows_swedish_rules() {
        assert_eq!(genitive("KS"), "KS:s");
        assert_eq!(genitive("Huddinge"), "Huddinges");
        assert_eq!(genitive("Kommunstyrelsen"), "Kommunstyrelsens");
        assert_eq!(genitive("Huge Bostäder AB"), "Huge Bostäder AB:s");
        assert_eq!(genitive("Västerås"), "Västerås");
    }
}
