//! The pure domain core of uppsikt.
//!
//! Types named after the glossary (`docs/glossary.md`; the map is `ARCHITECTURE.md`), parsing of
//! user input into those types, and the rules that turn outcomes into an evaluation: status
//! against the milestone, trend honouring margins of error, gender gap, district spread,
//! and a proposed goal assessment. Nothing here does I/O.

pub mod access;
pub mod area;
pub mod assessment;
pub mod audit;
pub mod case_ref;
pub mod commitment;
pub mod comparison;
pub mod current_period;
pub mod deviation;
pub mod economy;
pub mod evaluation;
pub mod explain;
pub mod forum;
pub mod grant;
pub mod indicator;
pub mod internal_control;
pub mod kolada;
pub mod number;
pub mod object_kind;
pub mod obligation;
pub mod period;
pub mod personal_number;
pub mod plan;
pub mod publication;
pub mod situation;

pub use assessment::{AssessmentRules, AssessmentScale, Proposal};
pub use commitment::CommitmentStatus;
pub use evaluation::{evaluate, Evaluation, Status, Trend};
pub use indicator::{Breakdown, Comparator, Direction, Frequency, Outcome, Target};
pub use number::parse_decimal;
pub use period::Period;
pub mod collate;
pub mod date;
pub mod messages;
pub mod model;
pub mod rollup;
pub mod search;
pub mod text;
pub mod uncertainty;
