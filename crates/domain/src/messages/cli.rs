//! The command line's failures: each is printed after `Fel: ` and ends the command with a
//! failure status. They start in lower case, as the prefix begins the sentence.

use std::fmt::Display;
use std::net::SocketAddr;
use std::path::Path;

/// Something the command line cannot do at all before it starts (e.g. its runtime).
pub fn cannot_start(detail: &dyn Display) -> String {
    format!("kan inte starta: {detail}")
}

pub const OIDC_INCOMPLETE: &str =
    "--oidc-issuer kräver också --oidc-client-id och --oidc-client-secret";

pub fn invalid_database_url(redacted_url: &str) -> String {
    format!(
        "ogiltig databasadress {redacted_url:?}: använd sqlite://FIL eller postgres://ANVÄNDARE@VÄRD:PORT/DATABAS"
    )
}

pub fn cannot_open_database(detail: &dyn Display) -> String {
    format!("kan inte öppna databasen: {detail}")
}

pub fn database_file_not_writable(path: &Path, detail: &dyn Display) -> String {
    format!(
        "databasfilen {} går inte att skriva: {detail}",
        path.display()
    )
}

// --- backup and restore --------------------------------------------------------------

/// A backup or restore that failed for a reason of the store's.
pub fn nothing_changed(detail: &dyn Display) -> String {
    format!("ingenting har ändrats: {detail}")
}

pub const BACKUP_SQLITE_ONLY: &str = "säkerhetskopiering och återställning med uppsikt gäller SQLite; använd pg_dump och pg_restore för PostgreSQL";

pub fn backup_exists(path: &Path) -> String {
    format!("{} finns redan; välj ett nytt filnamn", path.display())
}

pub fn backup_missing(path: &Path) -> String {
    format!("{} finns inte; ingenting har ändrats", path.display())
}

pub fn not_a_sqlite_database(path: &Path) -> String {
    format!(
        "{} är ingen SQLite-databas; ingenting har ändrats",
        path.display()
    )
}

pub fn backup_damaged(path: &Path, detail: &str) -> String {
    format!(
        "{} är skadad ({detail}); ingenting har ändrats",
        path.display()
    )
}

pub fn backup_incompatible(path: &Path, detail: &str) -> String {
    format!(
        "{} är ingen uppsikt-databas eller kommer från en nyare version av uppsikt ({detail}); ingenting har ändrats",
        path.display()
    )
}

// --- demo, reports, serving ----------------------------------------------------------

/// `report` lists what in the demo's files was refused, one problem a line.
pub fn demo_unreadable(report: &dyn Display) -> String {
    format!("demodata kunde inte läsas in:\n{report}")
}

pub fn unknown_report_kind(kind: &str) -> String {
    format!("okänd rapporttyp {kind:?}: använd verksamhetsberattelse, delarsrapport, verksamhetsplan, internkontroll, revisionsuppfoljning, omradesuppfoljning eller brottsforebyggande")
}

pub fn unknown_report_format(format: &str) -> String {
    format!("okänt format {format:?}: använd pdf, html eller xlsx")
}

/// A unit named on the command line (id or short name) that does not exist.
pub fn unknown_unit(given: &str) -> String {
    format!("enheten {given:?} finns inte; ange id eller kortnamn")
}

/// [`unknown_unit`] with an example, where one unit is asked for.
pub fn unknown_unit_example(given: &str) -> String {
    format!("{}, t.ex. KS", unknown_unit(given))
}

pub fn cannot_write(path: &Path, detail: &dyn Display) -> String {
    format!("kan inte skriva {}: {detail}", path.display())
}

pub fn address_in_use(addr: SocketAddr) -> String {
    format!("adressen {addr} används redan av ett annat program; välj en annan med --addr")
}

pub fn cannot_listen(addr: SocketAddr, detail: &dyn Display) -> String {
    format!("kan inte lyssna på {addr}: {detail}")
}

/// A directory that must be empty before files are saved in it.
pub fn dir_not_empty(dir: &Path) -> String {
    format!("{} är inte tom", dir.display())
}

// --- accounts ------------------------------------------------------------------------

pub fn cannot_read_password(detail: &dyn Display) -> String {
    format!("kan inte läsa lösenordet: {detail}")
}

pub fn password_too_short(min_chars: usize) -> String {
    format!("lösenordet måste ha minst {min_chars} tecken; inget har ändrats")
}

pub fn cannot_hash_password(detail: &dyn Display) -> String {
    format!("kan inte skapa lösenordshash: {detail}")
}

pub fn no_such_account(username: &str) -> String {
    format!("kontot {username:?} finns inte")
}

pub fn account_exists(username: &str) -> String {
    format!("kontot {username:?} finns redan")
}

pub fn unknown_role(role: &str) -> String {
    format!("okänd roll {role:?}: använd admin, controller, editor, reader eller auditor")
}

pub const EDITOR_NEEDS_UNIT: &str =
    "en redaktör behöver minst en enhet: ange --unit, t.ex. --unit KS";

pub const USERNAME_LENGTH: &str = "användarnamnet måste ha 1–100 tecken";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_unit_asked_for_gets_an_example() {
        assert_eq!(
            unknown_unit_example("XX"),
            "enheten \"XX\" finns inte; ange id eller kortnamn, t.ex. KS"
        );
    }

    #[test]
    fn values_typed_on_the_command_line_are_quoted() {
        assert_eq!(
            unknown_role("boss"),
            "okänd roll \"boss\": använd admin, controller, editor, reader eller auditor"
        );
        assert!(
            invalid_database_url("mysql://x").starts_with("ogiltig databasadress \"mysql://x\"")
        );
    }
}
