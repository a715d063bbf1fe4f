//! Background jobs in the database (issue 22): what their pages say when a server stopped.

/// An import whose job another server took over (this one lost its lease): nothing of it
/// was written here.
pub fn import_taken_over() -> String {
    "Importen togs över av en annan server och sparades inte två gånger.".into()
}

/// A job whose server stopped while it ran, too often: it is not tried again.
pub fn job_gave_up() -> String {
    "Jobbet avbröts: servern som körde det stannade flera gånger. Försök igen.".into()
}

/// An import whose data was saved by a server that stopped before it wrote the summary.
pub fn import_saved_summary_lost() -> String {
    "Importen sparades, men servern som körde den stannade innan sammanfattningen skrevs. Ändringsloggen visar vad som ändrades.".into()
}

/// A report job waiting for a worker.
pub fn job_waiting() -> &'static str {
    "Väntar på sin tur"
}
