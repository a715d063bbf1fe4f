//! Internal control's (den interna kontrollens) refusals: an execution without its
//! findings or reason, a risk matrix or score that does not fit.

use crate::internal_control::{ExecutionError, IcRefusal, MatrixError};

/// Why an execution of a control occurrence was refused.
pub fn execution(e: &ExecutionError) -> &'static str {
    match e {
        ExecutionError::FindingsRequired => {
            "Beskriv vad kontrollen fann. Ett resultat med anmärkning kräver iakttagelser; de blir en avvikelse som behöver ett beslut."
        }
        ExecutionError::ReasonRequired => {
            "Skriv varför kontrollen inte genomfördes. Skälet följer med avvikelsen."
        }
        ExecutionError::InFuture => "Datumet ligger i framtiden. Ange den dag kontrollen genomfördes.",
    }
}

/// Why a risk matrix or a score was refused.
pub fn matrix(e: &MatrixError) -> &'static str {
    match e {
        MatrixError::Size => "En riskmatris har 2–10 steg för sannolikhet och för konsekvens.",
        MatrixError::Label => "Varje steg i matrisen behöver en egen benämning; ingen får vara tom eller upprepad.",
        MatrixError::OutOfRange => "Värdet ligger utanför planens riskmatris.",
        MatrixError::Fixed => {
            "Planens riskmatris kan inte bytas när en risk har bedömts i den. En ändrad mall blir en ny version för kommande planer."
        }
        MatrixError::NoMatrix => "Välj en riskmatris för planen innan risker bedöms.",
    }
}

/// Why the store refused a change to a plan.
pub fn refusal(r: &IcRefusal) -> String {
    match r {
        IcRefusal::Execution(e) => execution(e).into(),
        IcRefusal::Matrix(e) => matrix(e).into(),
        IcRefusal::AmendmentReason => AMENDMENT_REASON.into(),
        IcRefusal::AmendmentUnchanged => AMENDMENT_UNCHANGED.into(),
        IcRefusal::VerificationIncomplete => VERIFICATION_INCOMPLETE.into(),
        IcRefusal::VerifyNotDone => VERIFY_NOT_DONE.into(),
        IcRefusal::PlanExists(year) => plan_exists(*year),
        IcRefusal::AcceptMotivation => ACCEPT_MOTIVATION.into(),
        IcRefusal::BlockedByItself => BLOCKED_BY_ITSELF.into(),
    }
}

/// A year that is not one for a plan.
pub fn plan_year(raw: &str) -> String {
    format!("”{raw}” är inget år för en internkontrollplan. Ange ett år mellan 1900 och 2200.")
}

/// A year given for a risk's first documentation that did not parse.
pub fn first_documented(raw: &str) -> String {
    format!("”{raw}” är inget årtal. Skriv t.ex. 2017, eller ≤2012 för ”2012 eller tidigare”.")
}

/// A status that is neither "Klart" nor "Ej klart i år".
pub fn action_status(raw: &str) -> String {
    format!("”{raw}” är ingen status. Välj Klart eller Ej klart i år.")
}

/// A result that is neither with nor without a remark.
pub fn control_result(raw: &str) -> String {
    format!("”{raw}” är inget resultat. Välj Utan anmärkning eller Med anmärkning.")
}

/// An action amended without a reason, or to the same text.
pub const AMENDMENT_REASON: &str =
    "Skriv varför åtgärdens innehåll ändras. Den tidigare lydelsen sparas och visas bredvid.";
pub const AMENDMENT_UNCHANGED: &str =
    "Den nya lydelsen är likadan som den gällande. Ändra texten eller avbryt.";

/// A verification without who, how or when.
pub const VERIFICATION_INCOMPLETE: &str = "Ange vem som verifierade effekten, hur och när.";

/// Verifying an action that is not done.
pub const VERIFY_NOT_DONE: &str = "Bara en åtgärd som är klar kan få sin effekt verifierad.";

/// A plan for a unit and year that already has one.
pub fn plan_exists(year: i32) -> String {
    format!("Enheten har redan en internkontrollplan för {year}.")
}

/// Accepting a risk without saying why.
pub const ACCEPT_MOTIVATION: &str = "Motivera varför risken accepteras.";

/// An action blocked by itself.
pub const BLOCKED_BY_ITSELF: &str = "En åtgärd kan inte vänta på sig själv.";

// --- data files (the `[[control_plans]]` section of the uppsikt/1 format) ----------------

/// A plan item's key (RK01, R07, C03 …) that is not one.
pub fn invalid_item_key(value: &str, max: usize) -> String {
    format!("”{value}” är ingen giltig nyckel i planen: använd bokstäverna A–Z, siffror och bindestreck, högst {max} tecken, t.ex. R07 eller C03.")
}

/// A key given to two items of the same plan.
pub fn duplicate_item_key(key: &str, first: &str) -> String {
    format!("Nyckeln ”{key}” används redan i samma plan ({first}).")
}

/// A second plan for the same unit and year in the files.
pub fn duplicate_plan(year: i32, first: &str) -> String {
    format!("Enheten har redan en internkontrollplan för {year} ({first}).")
}

/// An action naming a risk its plan does not have.
pub fn unknown_risk(key: &str) -> String {
    format!("Planen har ingen risk med nyckeln ”{key}”.")
}

/// An action waiting for an action its plan does not have.
pub fn unknown_action(key: &str) -> String {
    format!("Planen har ingen åtgärd med nyckeln ”{key}”.")
}

/// Both kinds of blocker given for one action.
pub const BLOCKER_TWICE: &str =
    "Ange antingen blocked_by (en annan åtgärd i planen) eller blocked_by_text (något utanför planen), inte båda.";

/// A done date on an action that is not done.
pub const DONE_ON_NOT_DONE: &str =
    "Datumet då åtgärden blev klar hör bara till en åtgärd med status Klart.";

/// A contract follow-up's own field on a systematic control.
pub const FOLLOW_UP_FIELD: &str =
    "Fältet hör bara till en avtalsuppföljning (kind = \"avtalsuppföljning\").";

/// An occurrence given as performed and as not performed.
pub const PERFORMED_AND_NOT: &str =
    "Ett kontrolltillfälle är antingen genomfört (performed_on) eller inte genomfört (not_performed), inte båda.";

/// A result, parameters or findings on an occurrence not recorded as performed.
pub const RESULT_WITHOUT_PERFORMED: &str =
    "Resultat, använda parametrar och iakttagelser hör till ett genomfört kontrolltillfälle: ange också performed_on.";

/// An action of a stored plan that the files give with other sources or another
/// responsible, which an import does not change.
pub fn plan_item_differs(key: &str) -> String {
    format!("Åtgärden ”{key}” finns redan i planen med andra källor (risker, rekommendationer) eller en annan ansvarig än filen anger. Sådant ändras i uppsikt, inte genom import.")
}

/// The reason recorded when an import gives an action a new text (the old one is kept).
pub const IMPORT_AMENDMENT_REASON: &str = "Ny lydelse i en importerad datafil.";

/// A confirmation page sent without its box ticked.
pub const CONFIRM: &str = "Kryssa i rutan för att bekräfta. Inget har ändrats.";

/// A risk analysis with a date or participants but no answer on elected members.
pub const ELECTED_MEMBERS: &str = "Ange om förtroendevalda deltog i analysen.";

/// A label (R01, C03 …) another item of the plan already has.
pub fn key_taken(key: &str) -> String {
    format!("Beteckningen ”{key}” finns redan i planen. Välj en annan.")
}
