//! Refusals at a form's field that belong to one form (the general field rules are at the
//! top of [`super`]).

/// A goal's analysis typed without the period it concerns.
pub const ANALYSIS_NEEDS_PERIOD: &str = "Ange vilken period analysen gäller, t.ex. 2019.";

/// Locking a period that the unit has already locked; `period` as shown (`label_sv`).
pub fn already_locked(period: &str) -> String {
    format!("Perioden {period} är redan låst för enheten.")
}

/// An outcome in percent outside 0–100.
pub const PERCENT_OUT_OF_RANGE: &str = "En andel i procent måste ligga mellan 0 och 100.";

pub const NEGATIVE_MARGIN: &str = "Felmarginalen kan inte vara negativ.";

/// What the page after a form's save confirms (`changes`: change-log rows written).
pub fn saved(changes: usize) -> String {
    match changes {
        0 => "Inget ändrades: det du skickade var redan sparat.".into(),
        1 => "Sparat: 1 ändring. Den finns i historiken.".into(),
        n => format!("Sparat: {n} ändringar. De finns i historiken."),
    }
}

/// What the page after an outcome grid's save confirms.
pub fn outcomes_saved(saved: usize, deleted: usize) -> String {
    let mut parts = Vec::new();
    if saved > 0 {
        parts.push(format!("{saved} utfall"));
    }
    if deleted > 0 {
        let removed = if deleted == 1 {
            "borttaget"
        } else {
            "borttagna"
        };
        parts.push(format!("{deleted} utfall {removed}"));
    }
    if parts.is_empty() {
        "Inget ändrades: alla värden var redan sparade.".into()
    } else {
        format!("Sparat: {}.", parts.join(", "))
    }
}

/// A grid cell with a margin of error but no value.
pub const GRID_MARGIN_WITHOUT_VALUE: &str =
    "Ange ett värde till felmarginalen, eller töm båda rutorna.";

/// The goal grid sent without the period it is for.
pub const GRID_NEEDS_PERIOD: &str =
    "Formuläret saknar period. Öppna rutnätet igen från målets sida.";

/// Rows pasted from Excel: too much text.
pub fn paste_too_large(kilobytes: usize) -> String {
    format!("Det inklistrade är för stort: högst {kilobytes} kB går att läsa in på en gång. Dela upp det, eller använd Data in för hela filer.")
}

pub fn paste_too_many_lines(max: usize) -> String {
    format!("Det inklistrade har fler än {max} rader. Dela upp det, eller använd Data in för hela filer.")
}

pub fn paste_too_many_cells(line: usize, max: usize) -> String {
    format!("Rad {line} har fler än {max} celler.")
}

/// A pasted line whose first cell names no period or indicator of the grid.
pub fn paste_unknown_row(line: usize, text: &str, periods: bool) -> String {
    let shown = crate::text::shown(text, 40);
    if periods {
        format!("Rad {line}: ”{shown}” är ingen period. Skriv t.ex. 2019, 2019T2 eller 2019-03 i första kolumnen, eller klistra in bara värden.")
    } else {
        format!("Rad {line}: ”{shown}” är inget av målets mått. Använd måttets namn eller nyckel i första kolumnen, eller klistra in bara värden.")
    }
}

/// A pasted line without a row name below the grid's last row.
pub fn paste_beyond_grid(line: usize) -> String {
    format!("Rad {line} har ingen rad i rutnätet att hamna i. Skriv perioden eller måttet i första kolumnen.")
}

pub fn paste_too_many_values(line: usize) -> String {
    format!("Rad {line} har fler värden än rutnätet har kolumner; de sista lästes inte in.")
}

/// A header cell that names no breakdown.
pub fn paste_unknown_column(text: &str, areas: &[String]) -> String {
    let shown = crate::text::shown(text, 40);
    let mut known = vec!["Totalt", "Kvinnor", "Män", "Flickor", "Pojkar"];
    known.extend(areas.iter().take(12).map(String::as_str));
    format!("Kolumnen ”{shown}” är ingen grupp. Rubrikerna kan vara {} (och ± efter en kolumn för dess felmarginal).", known.join(", "))
}

// --- no lost update; nothing typed lost on an expired session ------------------------------

/// The heading above a form that was not saved because someone else changed the object.
pub const CONFLICT_HEADING: &str = "Någon annan har ändrat detta sedan du öppnade formuläret";

/// What happened and what saving again does, above the other person's changes.
pub fn conflict_intro(who: &str, when: &str) -> String {
    format!(
        "Det du skrev är inte sparat, men det står kvar i fälten nedan. {who} ändrade senast {when}. \
         Jämför deras ändring med det du skrev. Sparar du igen ersätter det du skrev deras ändring."
    )
}

/// More changes were made than the form lists.
pub fn conflict_more(shown: usize) -> String {
    format!("Bara de {shown} senaste ändringarna visas; se historiken för resten.")
}

/// The version field of a form was not a number.
pub const VERSION_INVALID: &str =
    "Formuläret kom med en ogiltig version. Öppna formuläret igen från sidan och skriv in ändringen där.";

/// The sign-in page after a form was sent without a valid session.
pub const SESSION_EXPIRED_TYPED: &str = "Din inloggning har gått ut. Det du skrev är kvar: logga in igen, så får du välja om du vill se formuläret med det du skrev eller spara det.";

/// After signing in again: the page that shows what was typed.
pub const TYPED_TITLE: &str = "Du är inloggad igen";
pub const TYPED_INTRO: &str = "Det här skrev du innan inloggningen gick ut. Inget är sparat än. Välj om du vill se formuläret med det du skrev eller spara det direkt.";
pub const TYPED_HEADING: &str = "Det du skrev";
pub const SHOW_TYPED: &str = "Visa formuläret med det jag skrev";
pub const SAVE_TYPED: &str = "Spara det jag skrev";
/// A field that was sent empty.
pub const TYPED_EMPTY: &str = "(tomt)";

/// Above a form shown again with what was typed before signing in again.
pub const RESUMED_NOTICE: &str =
    "Formuläret visar det du skrev innan inloggningen gick ut. Inget är sparat än: granska och spara.";

/// The address a form was sent to is not a page of this site.
pub const RESUME_ADDRESS_REFUSED: &str =
    "Adressen som formuläret skickades till är inte en sida i uppsikt, så det du skrev kan inte skickas dit.";

#[cfg(test)]
mod tests {
    #[test]
    fn an_already_locked_period_is_named() {
        assert_eq!(
            super::already_locked("tertial 2 2019"),
            "Perioden tertial 2 2019 är redan låst för enheten."
        );
    }
}
