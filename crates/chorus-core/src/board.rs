//! A submitted campaign as its board shows it: each variant's status, cost,
//! picture, lip-sync reading and decision, and the filters the board offers.
//! The server answers `GET /api/campaigns/{id}` with a [`Campaign`]; the
//! studio and a client's campaign review page draw it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::review::{ReadingVerdict, Verdict};
use crate::{AspectRatio, Language};

/// `POST /api/campaigns`: a campaign to run, under a key the client chose,
/// so that sending it twice (a double click, a retried request) makes its
/// jobs once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignSubmit {
    /// 8 to 100 characters of letters, digits, `-` and `_`.
    pub key: String,
    pub spec: crate::campaign::CampaignSpec,
    /// Uploaded images by the file names the sheet uses: name → asset id.
    #[serde(default)]
    pub images: BTreeMap<String, String>,
}

/// Where a variant stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VariantStatus {
    /// Not sent yet: its `reason` says why (the cap, the month's budget).
    Held,
    Queued,
    Running,
    Succeeded,
    Failed,
    Canceled,
}

impl VariantStatus {
    pub const ALL: [VariantStatus; 6] = [
        VariantStatus::Held,
        VariantStatus::Queued,
        VariantStatus::Running,
        VariantStatus::Succeeded,
        VariantStatus::Failed,
        VariantStatus::Canceled,
    ];

    pub fn label(self) -> &'static str {
        match self {
            VariantStatus::Held => "Held",
            VariantStatus::Queued => "Queued",
            VariantStatus::Running => "Rendering",
            VariantStatus::Succeeded => "Done",
            VariantStatus::Failed => "Failed",
            VariantStatus::Canceled => "Canceled",
        }
    }

    pub fn slug(self) -> &'static str {
        match self {
            VariantStatus::Held => "held",
            VariantStatus::Queued => "queued",
            VariantStatus::Running => "running",
            VariantStatus::Succeeded => "succeeded",
            VariantStatus::Failed => "failed",
            VariantStatus::Canceled => "canceled",
        }
    }

    pub fn parse(s: &str) -> Option<VariantStatus> {
        VariantStatus::ALL.into_iter().find(|v| v.slug() == s)
    }

    /// Nothing more will happen to it unless someone retries it.
    pub fn is_ended(self) -> bool {
        matches!(
            self,
            VariantStatus::Succeeded | VariantStatus::Failed | VariantStatus::Canceled
        )
    }
}

/// A variant's lip-sync reading, as the board shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncReading {
    /// Sound against picture, ms; positive: the sound is late.
    pub offset_ms: Option<f64>,
    pub verdict: ReadingVerdict,
    pub summary: String,
}

/// One cell of the board: one sheet row in one language and one format.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoardVariant {
    /// Position in the campaign's expansion (row, then language, then ratio).
    pub idx: u32,
    /// The sheet's row, as a spreadsheet numbers it (the header is row 1).
    pub row: u32,
    pub language: Language,
    pub ratio: AspectRatio,
    pub status: VariantStatus,
    /// Why it is held, or why its job failed.
    #[serde(default)]
    pub reason: Option<String>,
    /// Its latest job; `None` while held.
    #[serde(default)]
    pub job_id: Option<String>,
    /// How many jobs it has been sent as (a retry sends another).
    pub attempts: u32,
    pub progress: f32,
    pub model: String,
    #[serde(default)]
    pub seed: Option<i64>,
    pub estimate_usd_micros: u64,
    /// What it cost, once settled.
    #[serde(default)]
    pub cost_usd_micros: Option<u64>,
    /// Asset ids of its take, once made.
    #[serde(default)]
    pub video: Option<String>,
    #[serde(default)]
    pub poster: Option<String>,
    #[serde(default)]
    pub sidecar: Option<String>,
    #[serde(default)]
    pub sync: Option<SyncReading>,
    /// The standing review decision on its take, who made it and when.
    #[serde(default)]
    pub decision: Option<Verdict>,
    #[serde(default)]
    pub reviewer: Option<String>,
    #[serde(default)]
    pub decided_at: Option<i64>,
    /// When it last changed (ms since the epoch).
    pub updated_at: i64,
}

/// `GET /api/campaigns/{id}`: the campaign and every variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Campaign {
    pub id: String,
    pub name: String,
    pub created_at: i64,
    #[serde(default)]
    pub created_by: Option<String>,
    #[serde(default)]
    pub cap_usd_micros: Option<u64>,
    /// Reserved by jobs still running plus what ended ones cost.
    pub committed_usd_micros: u64,
    /// The estimate of every variant.
    pub estimate_usd_micros: u64,
    pub name_pattern: String,
    pub languages: Vec<Language>,
    pub ratios: Vec<AspectRatio>,
    #[serde(default)]
    pub canceled_at: Option<i64>,
    #[serde(default)]
    pub finished_at: Option<i64>,
    pub variants: Vec<BoardVariant>,
}

/// `GET /api/campaigns`: one line per campaign, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignSummary {
    pub id: String,
    pub name: String,
    pub created_at: i64,
    pub variants: u32,
    pub succeeded: u32,
    pub failed: u32,
    pub approved: u32,
    pub estimate_usd_micros: u64,
    pub committed_usd_micros: u64,
    #[serde(default)]
    pub finished_at: Option<i64>,
    #[serde(default)]
    pub canceled_at: Option<i64>,
}

/// Variants by status, for the board's header.
pub fn count_by_status(variants: &[BoardVariant]) -> BTreeMap<VariantStatus, u32> {
    let mut counts = BTreeMap::new();
    for v in variants {
        *counts.entry(v.status).or_insert(0) += 1;
    }
    counts
}

/// Which decision a filter asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionFilter {
    Approved,
    ChangesRequested,
    Undecided,
}

impl DecisionFilter {
    pub const ALL: [DecisionFilter; 3] = [
        DecisionFilter::Approved,
        DecisionFilter::ChangesRequested,
        DecisionFilter::Undecided,
    ];

    pub fn label(self) -> &'static str {
        match self {
            DecisionFilter::Approved => "Approved",
            DecisionFilter::ChangesRequested => "Changes requested",
            DecisionFilter::Undecided => "Not decided",
        }
    }

    pub fn slug(self) -> &'static str {
        match self {
            DecisionFilter::Approved => "approved",
            DecisionFilter::ChangesRequested => "changes",
            DecisionFilter::Undecided => "undecided",
        }
    }

    pub fn parse(s: &str) -> Option<DecisionFilter> {
        DecisionFilter::ALL.into_iter().find(|d| d.slug() == s)
    }

    fn matches(self, decision: Option<Verdict>) -> bool {
        match self {
            DecisionFilter::Approved => decision == Some(Verdict::Approved),
            DecisionFilter::ChangesRequested => decision == Some(Verdict::ChangesRequested),
            DecisionFilter::Undecided => decision.is_none(),
        }
    }
}

/// The board's filters; `None` lets everything through.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardFilter {
    pub status: Option<VariantStatus>,
    pub language: Option<Language>,
    pub decision: Option<DecisionFilter>,
}

impl BoardFilter {
    pub fn matches(&self, variant: &BoardVariant) -> bool {
        self.status.is_none_or(|s| s == variant.status)
            && self.language.is_none_or(|l| l == variant.language)
            && self.decision.is_none_or(|d| d.matches(variant.decision))
    }

    /// The variants shown, in board order.
    pub fn apply<'a>(&self, variants: &'a [BoardVariant]) -> Vec<&'a BoardVariant> {
        variants.iter().filter(|v| self.matches(v)).collect()
    }
}

/// A client-chosen submit key's problem, if any.
pub fn key_problem(key: &str) -> Option<String> {
    let ok_chars = key
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !(8..=100).contains(&key.len()) || !ok_chars {
        return Some(format!(
            "key: {key:?} must be 8 to 100 letters, digits, '-' or '_' (a UUID will do)"
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn variant(status: VariantStatus, language: Language, decision: Option<Verdict>) -> BoardVariant {
        BoardVariant {
            idx: 0,
            row: 2,
            language,
            ratio: AspectRatio::Portrait9x16,
            status,
            reason: None,
            job_id: None,
            attempts: 0,
            progress: 0.0,
            model: "draft".into(),
            seed: None,
            estimate_usd_micros: 0,
            cost_usd_micros: None,
            video: None,
            poster: None,
            sidecar: None,
            sync: None,
            decision,
            reviewer: None,
            decided_at: None,
            updated_at: 0,
        }
    }

    #[test]
    fn filters_combine_status_language_and_decision() {
        let all = [
            variant(VariantStatus::Succeeded, Language::English, Some(Verdict::Approved)),
            variant(VariantStatus::Succeeded, Language::German, None),
            variant(VariantStatus::Failed, Language::German, None),
            variant(
                VariantStatus::Succeeded,
                Language::German,
                Some(Verdict::ChangesRequested),
            ),
        ];
        assert_eq!(BoardFilter::default().apply(&all).len(), 4);
        let german_done = BoardFilter {
            status: Some(VariantStatus::Succeeded),
            language: Some(Language::German),
            decision: None,
        };
        assert_eq!(german_done.apply(&all).len(), 2);
        let undecided = BoardFilter {
            decision: Some(DecisionFilter::Undecided),
            ..BoardFilter::default()
        };
        assert_eq!(undecided.apply(&all).len(), 2);
        let approved = BoardFilter {
            decision: Some(DecisionFilter::Approved),
            ..BoardFilter::default()
        };
        assert_eq!(approved.apply(&all)[0].language, Language::English);
        let counts = count_by_status(&all);
        assert_eq!(counts[&VariantStatus::Succeeded], 3);
        assert_eq!(counts[&VariantStatus::Failed], 1);
    }

    #[test]
    fn statuses_and_filters_round_trip_their_slugs() {
        for s in VariantStatus::ALL {
            assert_eq!(VariantStatus::parse(s.slug()), Some(s));
            assert_eq!(serde_json::to_string(&s).unwrap(), format!("\"{}\"", s.slug()));
        }
        for d in DecisionFilter::ALL {
            assert_eq!(DecisionFilter::parse(d.slug()), Some(d));
        }
        assert!(VariantStatus::Failed.is_ended() && !VariantStatus::Held.is_ended());
    }

    #[test]
    fn submit_keys_are_checked() {
        assert!(key_problem("0b9e5c1a-77f2-4c53-9c1e-3d8f0c2a9b11").is_none());
        assert!(key_problem("short").unwrap().starts_with("key:"));
        assert!(key_problem("has spaces in it").is_some());
    }
}
