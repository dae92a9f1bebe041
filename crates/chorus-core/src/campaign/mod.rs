//! Campaigns: one template request and a sheet of rows, expanded into one
//! job per row × language × aspect ratio. Everything here is checked in the
//! browser on every keystroke and again on the server, so each problem names
//! the sheet row and column a marketer has to change.

mod expand;
mod fit;
mod placeholders;
mod plan;
mod sheet;
mod spec;

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

use crate::Severity;

pub use expand::{Counts, Expansion, Readiness, Variant, VariantProblem, expand};
pub use fit::{MeasuredFit, NoFit, SpeechFit, speech_too_long};
pub use placeholders::{Placeholder, Template, TemplateError};
pub use sheet::{Sheet, SheetRow};
pub use spec::{CampaignSpec, DEFAULT_NAME_PATTERN, bench_spec};

/// Most data rows a campaign's sheet may have.
pub const MAX_ROWS: usize = 1000;

/// Most variants (rows × languages × ratios) one campaign may make.
pub const MAX_VARIANTS: usize = 2000;

/// Something wrong with the sheet, the template or the campaign as a whole,
/// placed as exactly as it can be: "row 14, line:de: …".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SheetProblem {
    /// The row as a spreadsheet shows it (header = 1); `None` for problems
    /// with no one row.
    #[serde(default)]
    pub row: Option<u32>,
    /// The sheet column (`line:de`), the template field (`prompt`,
    /// `dialogue.de`) or the campaign setting (`languages`) concerned.
    #[serde(default)]
    pub column: Option<String>,
    pub message: String,
    /// Errors block the whole campaign; warnings are said and let it run.
    #[serde(default = "error")]
    pub severity: Severity,
}

fn error() -> Severity {
    Severity::Error
}

impl SheetProblem {
    pub fn error(row: Option<u32>, column: Option<&str>, message: impl Into<String>) -> Self {
        SheetProblem {
            row,
            column: column.map(str::to_string),
            message: message.into(),
            severity: Severity::Error,
        }
    }

    pub fn warning(row: Option<u32>, column: Option<&str>, message: impl Into<String>) -> Self {
        SheetProblem {
            severity: Severity::Warning,
            ..SheetProblem::error(row, column, message)
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl std::fmt::Display for SheetProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write_place(f, self.row, self.column.as_deref())?;
        f.write_str(&self.message)
    }
}

/// "row 14, line:de: " — the parts that are known, then the colon.
fn write_place(
    f: &mut impl std::fmt::Write,
    row: Option<u32>,
    column: Option<&str>,
) -> std::fmt::Result {
    match (row, column) {
        (Some(row), Some(column)) => write!(f, "row {row}, {column}: "),
        (Some(row), None) => write!(f, "row {row}: "),
        (None, Some(column)) => write!(f, "{column}: "),
        (None, None) => Ok(()),
    }
}

/// 10000 → "10,000", for counts in messages and on screen.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
