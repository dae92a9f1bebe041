//! The model registry: what each model accepts and what it costs. Compose
//! checks and prices a request against these facts before anything is spent.

use serde::{Deserialize, Serialize};

use crate::{AspectRatio, Language, Mode, Resolution};

/// Whether a model makes sound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum AudioSupport {
    /// Sound is always generated; there is no switch to turn it off.
    Always,
    /// Sound can be turned on or off.
    Optional,
    /// Silent output only.
    Never,
}

/// Price of one second of output at one resolution, in millionths of a US dollar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PricePoint {
    pub resolution: Resolution,
    pub usd_micros_per_second: u64,
}

/// Everything Chorus knows about one model behind one provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ModelSpec {
    /// Registry id, stable across releases: `draft`, `happyhorse-1.1@fal`.
    pub id: String,
    /// Model name shown to users.
    pub name: String,
    /// Provider key (`draft`, `fal`, …).
    pub provider: String,
    /// Provider name shown to users.
    pub provider_label: String,
    pub summary: String,
    pub modes: Vec<Mode>,
    pub min_duration_s: u32,
    pub max_duration_s: u32,
    pub default_duration_s: u32,
    pub resolutions: Vec<Resolution>,
    pub aspect_ratios: Vec<AspectRatio>,
    /// Most reference images reference-to-video takes.
    pub max_references: u32,
    pub audio: AudioSupport,
    /// Languages the model speaks with lip-sync.
    pub languages: Vec<Language>,
    /// Frame rates on offer; the first is the default.
    pub frame_rates: Vec<u32>,
    pub max_prompt_chars: u32,
    pub negative_prompt: bool,
    pub price: Vec<PricePoint>,
    /// False when the server cannot reach it (no key configured, say).
    #[serde(default = "yes")]
    pub available: bool,
    /// Why it is unavailable, in words a user can act on.
    #[serde(default)]
    pub unavailable_reason: Option<String>,
}

fn yes() -> bool {
    true
}

impl ModelSpec {
    /// Price per second at `resolution`, if the model offers it.
    pub fn price_per_second(&self, resolution: Resolution) -> Option<u64> {
        self.price
            .iter()
            .find(|p| p.resolution == resolution)
            .map(|p| p.usd_micros_per_second)
    }

    pub fn default_fps(&self) -> u32 {
        self.frame_rates.first().copied().unwrap_or(24)
    }

    /// "HappyHorse 1.1 (fal)", used in messages.
    pub fn full_name(&self) -> String {
        format!("{} ({})", self.name, self.provider_label)
    }
}

/// Id of the embedded draft engine, the default model.
pub const DRAFT_MODEL_ID: &str = "draft";

const HAPPYHORSE_RATIOS_FAL: [AspectRatio; 9] = AspectRatio::ALL;

/// The built-in registry. The server marks entries unavailable when their
/// provider has no key; the order here is the order the studio lists them.
pub fn registry() -> Vec<ModelSpec> {
    vec![
        ModelSpec {
            id: DRAFT_MODEL_ID.into(),
            name: "Chorus Draft".into(),
            provider: "draft".into(),
            provider_label: "on this machine".into(),
            summary: "Talking animatics rendered locally with a scratch voice. Free, offline, seconds to render.".into(),
            modes: Mode::ALL.to_vec(),
            min_duration_s: 3,
            max_duration_s: 15,
            default_duration_s: 5,
            resolutions: Resolution::ALL.to_vec(),
            aspect_ratios: AspectRatio::ALL.to_vec(),
            max_references: 9,
            audio: AudioSupport::Optional,
            languages: Language::ALL.to_vec(),
            frame_rates: vec![24, 25, 30],
            max_prompt_chars: 2500,
            negative_prompt: true,
            price: vec![
                PricePoint { resolution: Resolution::P720, usd_micros_per_second: 0 },
                PricePoint { resolution: Resolution::P1080, usd_micros_per_second: 0 },
            ],
            available: true,
            unavailable_reason: None,
        },
        ModelSpec {
            id: "happyhorse-1.1@fal".into(),
            name: "HappyHorse 1.1".into(),
            provider: "fal".into(),
            provider_label: "fal".into(),
            summary: "Alibaba's video model with native audio and lip-sync in seven languages.".into(),
            modes: Mode::ALL.to_vec(),
            min_duration_s: 3,
            max_duration_s: 15,
            default_duration_s: 5,
            resolutions: Resolution::ALL.to_vec(),
            aspect_ratios: HAPPYHORSE_RATIOS_FAL.to_vec(),
            max_references: 9,
            audio: AudioSupport::Always,
            languages: Language::ALL.to_vec(),
            frame_rates: vec![24],
            max_prompt_chars: 2500,
            negative_prompt: false,
            price: vec![
                PricePoint { resolution: Resolution::P720, usd_micros_per_second: 140_000 },
                PricePoint { resolution: Resolution::P1080, usd_micros_per_second: 180_000 },
            ],
            available: true,
            unavailable_reason: None,
        },
    ]
}

/// Looks a model up by id in `models`.
pub fn find<'a>(models: &'a [ModelSpec], id: &str) -> Option<&'a ModelSpec> {
    models.iter().find(|m| m.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_has_draft_and_happyhorse_on_fal() {
        let models = registry();
        let draft = find(&models, DRAFT_MODEL_ID).expect("draft");
        assert_eq!(draft.price_per_second(Resolution::P1080), Some(0));
        let hh = find(&models, "happyhorse-1.1@fal").expect("happyhorse");
        assert_eq!(hh.modes, Mode::ALL.to_vec());
        assert_eq!(hh.price_per_second(Resolution::P720), Some(140_000));
        assert_eq!(hh.price_per_second(Resolution::P1080), Some(180_000));
        assert_eq!((hh.min_duration_s, hh.max_duration_s), (3, 15));
    }

    #[test]
    fn ids_are_unique_and_defaults_are_in_range() {
        let models = registry();
        for (i, m) in models.iter().enumerate() {
            assert!(
                models[i + 1..].iter().all(|o| o.id != m.id),
                "duplicate {}",
                m.id
            );
            assert!((m.min_duration_s..=m.max_duration_s).contains(&m.default_duration_s));
            for r in &m.resolutions {
                assert!(
                    m.price_per_second(*r).is_some(),
                    "{} has no price at {r}",
                    m.id
                );
            }
        }
    }
}
