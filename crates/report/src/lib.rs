//! The follow-up as pages and reports show it (`followup`), SVG charts shared by the web and
//! the reports (`chart`), and the report model with its renderers.

pub mod build;
pub mod chart;
pub mod followup;
pub mod model;

pub use build::{build, ReportError, Request, Subject};
pub use model::{Report, ReportKind};
