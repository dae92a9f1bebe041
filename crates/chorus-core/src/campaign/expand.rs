//! Expanding a campaign into its variants: one request per row × language ×
//! ratio, each checked and priced as Compose checks and prices one request,
//! with every problem traced back to the sheet column that caused it.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::plan::Plan;
use super::{
    CampaignSpec, MAX_ROWS, MAX_VARIANTS, SheetProblem, SpeechFit, thousands, write_place,
};
use crate::cost::format_usd;
use crate::{AspectRatio, GenerationRequest, Language, ModelSpec, Severity};

/// Whether a variant can be generated as it stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Readiness {
    Ready,
    /// Can be generated; something is worth a look first.
    Warning,
    /// An error in the variant, or in the sheet or template as a whole.
    Blocked,
}

/// One thing wrong with one variant, tied to the sheet column (or template
/// field, or campaign setting) to change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VariantProblem {
    /// `line:de`, `product`, `image`, `prompt (template)`, `ratios`…
    pub column: String,
    pub message: String,
    pub severity: Severity,
}

impl VariantProblem {
    pub(super) fn error(column: impl Into<String>, message: impl Into<String>) -> Self {
        VariantProblem {
            column: column.into(),
            message: message.into(),
            severity: Severity::Error,
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// "row 14, line:de: German needs 7.9 s; the clip is 5 s".
    pub fn describe(&self, row: u32) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = write_place(&mut out, Some(row), Some(&self.column));
        out.push_str(&self.message);
        out
    }
}

impl std::fmt::Display for VariantProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.column, self.message)
    }
}

/// One clip of the campaign: one sheet row in one language and one ratio.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Variant {
    /// The sheet row it comes from, as the spreadsheet numbers it.
    pub row: u32,
    pub language: Language,
    pub ratio: AspectRatio,
    /// The job's request: the template filled from the row, with exactly
    /// this language's line and this ratio.
    pub request: GenerationRequest,
    pub problems: Vec<VariantProblem>,
    pub cost_usd_micros: u64,
    pub readiness: Readiness,
    /// Seconds the line takes to say, once measured.
    pub fit_seconds: Option<f32>,
    /// The line has not been measured yet (see [`Expansion::lines_to_measure`]).
    pub fit_pending: bool,
}

impl Variant {
    /// The line this variant speaks.
    pub fn line(&self) -> &str {
        self.request
            .dialogue
            .first()
            .map_or("", |l| l.text.as_str())
    }
}

/// How many variants are ready, worth a look, or blocked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Counts {
    pub ready: usize,
    pub warning: usize,
    /// Includes every planned variant when the campaign is too large to
    /// expand (then `Expansion::variants` is empty).
    pub blocked: usize,
}

/// A campaign expanded: its variants, what blocks them and what they cost.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Expansion {
    /// Problems with the campaign, the sheet or the template as a whole; an
    /// error here blocks every variant.
    pub problems: Vec<SheetProblem>,
    /// By row, then language order, then ratio order.
    pub variants: Vec<Variant>,
    pub counts: Counts,
    /// What every variant together costs, blocked ones included: the price
    /// of the campaign once its problems are fixed.
    pub total_usd_micros: u64,
    /// The total by model id, in order of first use.
    pub per_model: Vec<(String, u64)>,
    /// The total by language, in the campaign's language order.
    pub per_language: Vec<(Language, u64)>,
}

impl Expansion {
    /// True when an error in the campaign, sheet or template blocks it all.
    pub fn is_blocked(&self) -> bool {
        self.problems.iter().any(SheetProblem::is_error)
    }

    /// The distinct lines whose fit is not measured yet, each once, in
    /// variant order: what the browser asks the server to measure.
    pub fn lines_to_measure(&self) -> Vec<(Language, String)> {
        let mut seen: BTreeSet<(Language, &str)> = BTreeSet::new();
        self.variants
            .iter()
            .filter(|v| v.fit_pending && seen.insert((v.language, v.line())))
            .map(|v| (v.language, v.line().to_string()))
            .collect()
    }
}

/// Expands `spec` into its variants, checking each against `models`.
/// `images` maps uploaded file names to asset ids; `fit` says how long each
/// line takes to say, where measured.
pub fn expand(
    spec: &CampaignSpec,
    models: &[ModelSpec],
    images: &BTreeMap<String, String>,
    fit: &dyn SpeechFit,
) -> Expansion {
    let mut expansion = Expansion {
        problems: spec.problems(),
        ..Expansion::default()
    };
    expansion.problems.extend(spec.sheet.problems());
    if !spec.sheet.columns.is_empty() && spec.sheet.rows.is_empty() {
        expansion.problems.push(SheetProblem::error(
            None,
            None,
            "the sheet has no rows below its header; add one row per product",
        ));
    }

    let planned = spec.sheet.rows.len() * spec.languages.len() * spec.ratios.len();
    if spec.sheet.rows.len() > MAX_ROWS || planned > MAX_VARIANTS {
        if planned > MAX_VARIANTS {
            expansion.problems.push(SheetProblem::error(
                None,
                None,
                format!(
                    "the campaign makes {} variants ({} rows × {} × {}); a campaign makes at most {}",
                    thousands(planned),
                    thousands(spec.sheet.rows.len()),
                    plural(spec.languages.len(), "language"),
                    plural(spec.ratios.len(), "ratio"),
                    thousands(MAX_VARIANTS)
                ),
            ));
        }
        expansion.counts.blocked = planned;
        return expansion;
    }

    let plan = Plan::new(spec, images, &mut expansion.problems);
    let model = crate::model::find(models, &spec.template.model);
    let campaign_blocked = expansion.is_blocked();

    expansion.variants.reserve(planned);
    for row in &spec.sheet.rows {
        plan.expand_row(row, models, model, fit, &mut expansion.variants);
    }

    let mut per_model: Vec<(String, u64)> = Vec::new();
    let mut per_language: Vec<(Language, u64)> = Vec::new();
    for variant in &mut expansion.variants {
        if campaign_blocked {
            variant.readiness = Readiness::Blocked;
        }
        let cost = variant.cost_usd_micros;
        expansion.total_usd_micros = expansion.total_usd_micros.saturating_add(cost);
        add_to(&mut per_model, &variant.request.model, cost);
        add_to(&mut per_language, &variant.language, cost);
    }
    // Every language the campaign names is listed, in its order, even at $0.
    for language in &spec.languages {
        if !expansion.per_language.iter().any(|(l, _)| l == language) {
            let total = per_language
                .iter()
                .find(|(l, _)| l == language)
                .map_or(0, |(_, total)| *total);
            expansion.per_language.push((*language, total));
        }
    }
    expansion.per_model = per_model;

    if let Some(cap) = spec.budget_cap_usd_micros
        && cap > 0
        && expansion.total_usd_micros > cap
    {
        // The cap is what the campaign never passes while it runs: what
        // does not fit waits, saying why, until something ends cheaper.
        expansion.problems.push(SheetProblem::warning(
            None,
            Some("budget_cap"),
            format!(
                "the campaign is estimated at {}; its cap of {} sends only what fits and holds the rest",
                format_usd(expansion.total_usd_micros),
                format_usd(cap)
            ),
        ));
    }

    for variant in &expansion.variants {
        match variant.readiness {
            Readiness::Ready => expansion.counts.ready += 1,
            Readiness::Warning => expansion.counts.warning += 1,
            Readiness::Blocked => expansion.counts.blocked += 1,
        }
    }
    expansion
}

fn add_to<K: PartialEq + Clone>(totals: &mut Vec<(K, u64)>, key: &K, cost: u64) {
    match totals.iter_mut().find(|(k, _)| k == key) {
        Some((_, total)) => *total = total.saturating_add(cost),
        None => totals.push((key.clone(), cost)),
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}
