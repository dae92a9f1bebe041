//! Registry entries for the models these adapters serve beyond what
//! chorus-core lists. Limits come from each provider's model page; prices
//! marked GUESS are our best reading of public price lists and must be
//! checked against the provider's billing before they are shown as final.

use chorus_core::model::{AudioSupport, PricePoint};
use chorus_core::{AspectRatio, Language, Mode, ModelSpec, Resolution};

pub const VEO3_FAST_REPLICATE: &str = "veo-3-fast@replicate";
pub const KLING_26_REPLICATE: &str = "kling-2.6@replicate";
pub const WAN_25_REPLICATE: &str = "wan-2.5@replicate";
pub const HAPPYHORSE_FAL: &str = "happyhorse-1.1@fal";
pub const HAPPYHORSE_RUNWARE: &str = "happyhorse-1.1@runware";
pub const HAPPYHORSE_DASHSCOPE: &str = "happyhorse-1.1@dashscope";

fn prices(p720: u64, p1080: u64) -> Vec<PricePoint> {
    vec![
        PricePoint {
            resolution: Resolution::P720,
            usd_micros_per_second: p720,
        },
        PricePoint {
            resolution: Resolution::P1080,
            usd_micros_per_second: p1080,
        },
    ]
}

fn happyhorse(id: &str, provider: &str, label: &str) -> ModelSpec {
    ModelSpec {
        id: id.into(),
        name: "HappyHorse 1.1".into(),
        provider: provider.into(),
        provider_label: label.into(),
        summary: "Alibaba's video model with native audio and lip-sync in seven languages.".into(),
        modes: Mode::ALL.to_vec(),
        min_duration_s: 3,
        max_duration_s: 15,
        default_duration_s: 5,
        resolutions: Resolution::ALL.to_vec(),
        aspect_ratios: AspectRatio::ALL.to_vec(),
        max_references: 9,
        audio: AudioSupport::Always,
        languages: Language::ALL.to_vec(),
        frame_rates: vec![24],
        max_prompt_chars: 2500,
        negative_prompt: false,
        // GUESS: fal's published rate; these resellers price close to it.
        price: prices(140_000, 180_000),
        available: true,
        unavailable_reason: None,
    }
}

/// The fal entry, as chorus-core's registry has it.
pub fn happyhorse_fal() -> ModelSpec {
    chorus_core::registry()
        .into_iter()
        .find(|m| m.id == HAPPYHORSE_FAL)
        .unwrap_or_else(|| happyhorse(HAPPYHORSE_FAL, "fal", "fal"))
}

pub fn happyhorse_runware() -> ModelSpec {
    happyhorse(HAPPYHORSE_RUNWARE, "runware", "Runware")
}

pub fn happyhorse_dashscope() -> ModelSpec {
    ModelSpec {
        // DashScope's native API lists five ratios only.
        aspect_ratios: vec![
            AspectRatio::Landscape16x9,
            AspectRatio::Portrait9x16,
            AspectRatio::Square,
            AspectRatio::Landscape4x3,
            AspectRatio::Portrait3x4,
        ],
        // Image-to-video's media type is not in our protocol notes; until it
        // is confirmed only text and references are offered.
        modes: vec![Mode::TextToVideo, Mode::ReferenceToVideo],
        ..happyhorse(HAPPYHORSE_DASHSCOPE, "dashscope", "Alibaba Cloud")
    }
}

pub fn veo3_fast() -> ModelSpec {
    ModelSpec {
        id: VEO3_FAST_REPLICATE.into(),
        name: "Veo 3 Fast".into(),
        provider: "replicate".into(),
        provider_label: "Replicate".into(),
        summary: "Google's fast Veo 3 with generated sound and speech.".into(),
        modes: vec![Mode::TextToVideo, Mode::ImageToVideo],
        // Veo 3 renders 4, 6 or 8 s clips.
        min_duration_s: 4,
        max_duration_s: 8,
        default_duration_s: 8,
        resolutions: Resolution::ALL.to_vec(),
        aspect_ratios: vec![AspectRatio::Landscape16x9, AspectRatio::Portrait9x16],
        max_references: 1,
        audio: AudioSupport::Optional,
        // Speech is reliable in English; others are not claimed.
        languages: vec![Language::English],
        frame_rates: vec![24],
        max_prompt_chars: 2500,
        negative_prompt: true,
        // GUESS: Replicate lists about $0.15/s with audio for veo-3-fast.
        price: prices(150_000, 150_000),
        available: true,
        unavailable_reason: None,
    }
}

pub fn kling_26() -> ModelSpec {
    ModelSpec {
        id: KLING_26_REPLICATE.into(),
        name: "Kling 2.6".into(),
        provider: "replicate".into(),
        provider_label: "Replicate".into(),
        summary: "Kuaishou's Kling 2.6 with native audio.".into(),
        modes: vec![Mode::TextToVideo, Mode::ImageToVideo],
        // Kling offers 5 or 10 s.
        min_duration_s: 5,
        max_duration_s: 10,
        default_duration_s: 5,
        // Kling 2.6 renders 1080p only; there is no resolution input.
        resolutions: vec![Resolution::P1080],
        aspect_ratios: vec![
            AspectRatio::Landscape16x9,
            AspectRatio::Portrait9x16,
            AspectRatio::Square,
        ],
        max_references: 1,
        audio: AudioSupport::Optional,
        languages: vec![Language::English, Language::Mandarin],
        frame_rates: vec![24],
        max_prompt_chars: 2500,
        negative_prompt: true,
        // GUESS: about $0.14/s with audio, as on other hosts.
        price: vec![PricePoint {
            resolution: Resolution::P1080,
            usd_micros_per_second: 140_000,
        }],
        available: true,
        unavailable_reason: None,
    }
}

pub fn wan_25() -> ModelSpec {
    ModelSpec {
        id: WAN_25_REPLICATE.into(),
        name: "Wan 2.5".into(),
        provider: "replicate".into(),
        provider_label: "Replicate".into(),
        summary: "Alibaba's open Wan 2.5 (fast), text to video with sound.".into(),
        // Only the t2v-fast model is wired; its i2v sibling is another model.
        modes: vec![Mode::TextToVideo],
        min_duration_s: 5,
        max_duration_s: 10,
        default_duration_s: 5,
        resolutions: Resolution::ALL.to_vec(),
        aspect_ratios: vec![AspectRatio::Landscape16x9, AspectRatio::Portrait9x16],
        max_references: 0,
        // Sound is always made; the `audio` input is a track to sync to, not a switch.
        audio: AudioSupport::Always,
        languages: vec![Language::English, Language::Mandarin],
        frame_rates: vec![24],
        max_prompt_chars: 2000,
        negative_prompt: true,
        // GUESS: roughly $0.07/s at 720p and $0.10/s at 1080p.
        price: prices(68_000, 102_000),
        available: true,
        unavailable_reason: None,
    }
}

/// Every model this crate serves, for the server's registry.
pub fn models() -> Vec<ModelSpec> {
    vec![
        happyhorse_fal(),
        veo3_fast(),
        kling_26(),
        wan_25(),
        happyhorse_runware(),
        happyhorse_dashscope(),
    ]
}

/// Checks `request` against `spec` before anything is sent or spent.
pub fn check_fits(spec: &ModelSpec, request: &crate::SubmitRequest) -> crate::Result<()> {
    let fail = |reason: String| {
        Err(crate::ProviderError::Unsupported {
            model: spec.full_name(),
            reason,
        })
    };
    if !spec.modes.contains(&request.mode) {
        return fail(format!(
            "{} is not offered",
            request.mode.label().to_lowercase()
        ));
    }
    if !(spec.min_duration_s..=spec.max_duration_s).contains(&request.duration_s) {
        return fail(format!(
            "duration {} s is outside {}–{} s",
            request.duration_s, spec.min_duration_s, spec.max_duration_s
        ));
    }
    if !spec.resolutions.contains(&request.resolution) {
        return fail(format!("{} is not offered", request.resolution));
    }
    if !spec.aspect_ratios.contains(&request.aspect_ratio) {
        return fail(format!(
            "aspect ratio {} is not offered",
            request.aspect_ratio
        ));
    }
    let needed = match request.mode {
        Mode::TextToVideo => 0..=0,
        Mode::ImageToVideo => 1..=1,
        Mode::ReferenceToVideo => 1..=spec.max_references as usize,
    };
    if !needed.contains(&request.images.len()) {
        return fail(format!(
            "{} takes {}–{} images, {} given",
            request.mode.label().to_lowercase(),
            needed.start(),
            needed.end(),
            request.images.len()
        ));
    }
    if request.prompt.chars().count() > spec.max_prompt_chars as usize {
        return fail(format!(
            "the prompt is longer than {} characters",
            spec.max_prompt_chars
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_unique_prices_cover_resolutions() {
        let all = models();
        for (i, m) in all.iter().enumerate() {
            assert!(all[i + 1..].iter().all(|o| o.id != m.id), "{}", m.id);
            for r in &m.resolutions {
                assert!(m.price_per_second(*r).is_some(), "{} {r}", m.id);
            }
            assert!((m.min_duration_s..=m.max_duration_s).contains(&m.default_duration_s));
        }
        assert_eq!(happyhorse_dashscope().aspect_ratios.len(), 5);
    }
}
