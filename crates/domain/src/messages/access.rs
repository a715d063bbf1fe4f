//! Refusals of the access rules: what a signed-in person is told when a route's guard
//! ([`Action`]) does not let them through.

use crate::access::Action;

/// Why `action` was refused to a signed-in person; nothing was changed.
pub fn refused(action: Action) -> &'static str {
    match action {
        Action::Edit => "Du har inte behörighet att ändra uppgifter för den här enheten. Inget har sparats. Be en controller om behörighet om du ska arbeta med enheten.",
        Action::LockPeriod | Action::ReopenPeriod => "Bara en controller kan låsa en period efter beslut eller öppna den igen. Inget har ändrats.",
        Action::ExportLog => "Bara revisorer, controller och administratörer kan exportera ändringsloggen.",
        Action::ManageUsers => "Bara administratörer kan hantera konton.",
        Action::ImportData => "Bara controller, administratörer och redaktörer kan importera utfall. Ingenting har importerats.",
        Action::ManageSources => "Bara controller och administratörer kan ändra kopplingen till Kolada och jämförelsegrupperna. Inget har ändrats.",
        Action::RaiseDeviations => "Bara en controller kan ta fram avvikelser för hela kommunen.",
        Action::ManageRules => "Bara controller och administratörer kan pröva och ändra bedömningsreglerna. Inget har ändrats.",
        Action::ManageInternalControl => "Bara controller och administratörer kan föra in kommungemensamma risker och kontroller i nämndernas planer och ändra riskmatrisen. Inget har ändrats.",
        Action::ManageAudits => "Bara revisorer, controller och administratörer kan registrera granskningar, rekommendationer och revisorernas uppföljning. Inget har ändrats.",
        Action::ManageSafety => "Bara controller och administratörer kan föra registret över lägesbilder, forum, överenskommelser och lagkrav. Inget har ändrats.",
        Action::ManageEconomy => "Bara controller och administratörer kan föra ekonomiregistret: kostnadsslag, kontoplan, inläsning från ekonomisystemet och bidrag. Inget har ändrats.",
        Action::ReadAll | Action::ReadHistory | Action::ReadPublished => {
            "Du har inte behörighet att se den här sidan."
        }
    }
}

/// Sign in first: the API answers the public with this instead of a sign-in page.
pub const SIGN_IN_FOR_API: &str = "Logga in för att använda API:t.";

/// A POST whose origin is another web site.
pub const CROSS_SITE: &str = "Begäran kom från en annan webbplats och har inte utförts.";

/// A form whose CSRF token is missing or belongs to another session.
pub const FORM_UNVERIFIED: &str =
    "Formuläret kunde inte kontrolleras (det kan ha öppnats före en ny inloggning). \
         Gå tillbaka, ladda om sidan och skicka igen. Inget har sparats.";

/// A request with `Authorization` whose token is malformed, unknown, expired or revoked,
/// or whose owner's account is disabled.
pub const TOKEN_INVALID: &str = "API-nyckeln gäller inte: den är felskriven, okänd, har gått ut \
     eller återkallats. Skapa en ny under Mitt konto → API-nycklar.";

/// A token used for something its scope does not allow (anything but reading, or an
/// import with a read-only token).
pub const TOKEN_SCOPE: &str = "API-nyckeln får inte göra detta: en nyckel för läsning får bara \
     hämta (GET), och bara en nyckel för läsning och import får importera utfall.";

/// A page that needs a signed-in browser (an API token cannot manage tokens).
pub const SESSION_ONLY: &str =
    "Den här sidan kräver att du är inloggad i webbläsaren; en API-nyckel räcker inte.";

/// The outcome import through the API without a token that may import.
pub const IMPORT_NEEDS_TOKEN: &str = "Importen via API:t kräver en API-nyckel med behörigheten \
     ”Läsa och importera utfall” (Authorization: Bearer …).";

/// The body of an API import is neither CSV nor an Excel workbook.
pub const IMPORT_CONTENT_TYPE: &str = "Skicka filen som text/csv eller som Excel-arbetsbok \
     (application/vnd.openxmlformats-officedocument.spreadsheetml.sheet).";

/// The person already has as many live tokens as allowed.
pub fn too_many_tokens(limit: i64) -> String {
    format!("Du har redan {limit} giltiga API-nycklar. Återkalla en som inte behövs innan du skapar en ny.")
}

/// The expiry of a new token is not within the allowed days.
pub fn token_expiry(max_days: i64) -> String {
    format!("Välj ett datum efter i dag och högst {max_days} dagar fram.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_a_swedish_refusal() {
        for action in Action::ALL {
            let m = refused(action);
            assert!(m.ends_with('.') && m.len() > 20, "{action:?}: {m}");
        }
        assert_ne!(refused(Action::RaiseDeviations), refused(Action::Edit));
    }
}
