//! Development commitments (utvecklingsåtaganden) and their status.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CommitmentStatus {
    /// Klart.
    Done,
    /// Ej klart i år: not finished this year; usually carried over.
    NotDoneThisYear,
    /// Pågår.
    InProgress,
    /// Avbrutet.
    Cancelled,
}

impl CommitmentStatus {
    pub const ALL: [CommitmentStatus; 4] = [
        CommitmentStatus::InProgress,
        CommitmentStatus::Done,
        CommitmentStatus::NotDoneThisYear,
        CommitmentStatus::Cancelled,
    ];

    pub fn label_sv(self) -> &'static str {
        match self {
            CommitmentStatus::Done => "Klart",
            CommitmentStatus::NotDoneThisYear => "Ej klart i år",
            CommitmentStatus::InProgress => "Pågår",
            CommitmentStatus::Cancelled => "Avbrutet",
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            CommitmentStatus::Done => "done",
            CommitmentStatus::NotDoneThisYear => "not_done",
            CommitmentStatus::InProgress => "in_progress",
            CommitmentStatus::Cancelled => "cancelled",
        }
    }

    /// Accepts the Swedish label (any case) or the code.
    pub fn parse(input: &str) -> Option<CommitmentStatus> {
        let s = input.trim();
        CommitmentStatus::ALL
            .into_iter()
            .find(|c| c.code() == s || c.label_sv().to_lowercase() == s.to_lowercase())
    }

    /// Whether the commitment counts as finished when a goal is assessed.
    pub fn is_finished(self) -> bool {
        self == CommitmentStatus::Done
    }

    /// Whether the commitment is still expected to be delivered.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            CommitmentStatus::InProgress | CommitmentStatus::NotDoneThisYear
        )
    }
}

/// The status in force on a date (ISO `YYYY-MM-DD`), from a dated history:
/// the last entry on or before that date.
pub fn status_on<'a, T>(
    history: &'a [T],
    date: &str,
    entry: impl Fn(&'a T) -> (&'a str, CommitmentStatus),
) -> Option<CommitmentStatus> {
    history
        .iter()
        .map(entry)
        .filter(|(d, _)| *d <= date)
        .max_by(|a, b| a.0.cmp(b.0))
        .map(|(_, s)| s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_swedish_labels_and_codes() {
        assert_eq!(
            CommitmentStatus::parse("Ej klart i år"),
            Some(CommitmentStatus::NotDoneThisYear)
        );
        assert_eq!(
            CommitmentStatus::parse("klart"),
            Some(CommitmentStatus::Done)
        );
        assert_eq!(
            CommitmentStatus::parse("in_progress"),
            Some(CommitmentStatus::InProgress)
        );
        assert_eq!(CommitmentStatus::parse("Färdig"), None);
    }

    #[test]
    fn status_on_a_date_is_the_latest_entry_not_after_it() {
        let history = [
            ("2019-03-01", CommitmentStatus::InProgress),
            ("2019-12-31", CommitmentStatus::NotDoneThisYear),
            ("2020-06-30", CommitmentStatus::Done),
        ];
        let on = |d| status_on(&history, d, |(d, s)| (*d, *s));
        assert_eq!(on("2019-01-01"), None);
        assert_eq!(on("2019-12-31"), Some(CommitmentStatus::NotDoneThisYear));
        assert_eq!(on("2020-12-31"), Some(CommitmentStatus::Done));
    }
}
