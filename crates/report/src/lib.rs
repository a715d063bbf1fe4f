//! The follow-up as pages and reports show it (`followup`), SVG charts shared by the web and
//! the reports (`chart`), and the report model with its renderers.

pub mod area;
pub mod audit;
pub mod build;
pub mod calibration;
pub mod chapters;
pub mod chart;
pub mod economy;
pub mod followup;
pub mod html;
pub mod internal_control;
pub mod model;
pub mod oversight;
pub mod pdf;
pub mod plan;
pub mod safety;
pub mod xlsx;

pub use build::{build, build_as, build_public, Options, ReportError, Request, Subject, Version};
pub use model::{Report, ReportKind};

/// The formats a report can be rendered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Html,
    Xlsx,
    Pdf,
}

impl Format {
    pub fn parse(code: &str) -> Option<Format> {
        match code.trim().to_lowercase().as_str() {
            "html" => Some(Format::Html),
            "xlsx" | "excel" => Some(Format::Xlsx),
            "pdf" => Some(Format::Pdf),
            _ => None,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Html => "html",
            Format::Xlsx => "xlsx",
            Format::Pdf => "pdf",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Html => "text/html; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::Pdf => "application/pdf",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("PDF: {0}")]
    Pdf(String),
    #[error("Excel: {0}")]
    Xlsx(String),
}

/// Renders a report in a format.
pub fn render(report: &Report, format: Format) -> Result<Vec<u8>, RenderError> {
    match format {
        Format::Html => Ok(html::render(report).into_bytes()),
        Format::Xlsx => xlsx::render(report).map_err(|e| RenderError::Xlsx(e.to_string())),
        Format::Pdf => pdf::render(report).map_err(|e| RenderError::Pdf(e.to_string())),
    }
}
