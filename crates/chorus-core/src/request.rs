//! A generation request: everything the Compose page gathers before a job is
//! created.

use serde::{Deserialize, Serialize};

use crate::{AspectRatio, Language, Resolution};

/// How the picture is driven.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// From the prompt alone.
    TextToVideo,
    /// Animates one start image.
    ImageToVideo,
    /// Keeps characters, products or style from 1–9 reference images, which the
    /// prompt names `character1` … `character9` in the order given.
    ReferenceToVideo,
}

impl Mode {
    pub const ALL: [Mode; 3] = [
        Mode::TextToVideo,
        Mode::ImageToVideo,
        Mode::ReferenceToVideo,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Mode::TextToVideo => "Text to video",
            Mode::ImageToVideo => "Image to video",
            Mode::ReferenceToVideo => "Reference to video",
        }
    }

    /// The short form providers use in model ids (`t2v`, `i2v`, `r2v`).
    pub fn short(self) -> &'static str {
        match self {
            Mode::TextToVideo => "t2v",
            Mode::ImageToVideo => "i2v",
            Mode::ReferenceToVideo => "r2v",
        }
    }

    pub fn slug(self) -> &'static str {
        match self {
            Mode::TextToVideo => "text-to-video",
            Mode::ImageToVideo => "image-to-video",
            Mode::ReferenceToVideo => "reference-to-video",
        }
    }

    pub fn parse(s: &str) -> Option<Mode> {
        Mode::ALL
            .into_iter()
            .find(|m| m.slug() == s || m.short() == s)
    }
}

/// The line one language speaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DialogueLine {
    pub language: Language,
    pub text: String,
    /// Where a translated line came from and who approved it; `None` for
    /// a line written by hand in its own language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub localized: Option<crate::localize::Localized>,
}

impl DialogueLine {
    /// A line written by hand.
    pub fn new(language: Language, text: impl Into<String>) -> Self {
        DialogueLine {
            language,
            text: text.into(),
            localized: None,
        }
    }
}

/// Largest seed the providers accept.
pub const MAX_SEED: i64 = 2_147_483_647;

/// The token a prompt uses for the reference at `index` (0-based).
pub fn character_token(index: usize) -> String {
    format!("character{}", index + 1)
}

/// Everything needed to generate one clip per spoken language.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GenerationRequest {
    /// Registry id of the model, e.g. `draft` or `happyhorse-1.1@fal`.
    pub model: String,
    pub mode: Mode,
    pub prompt: String,
    #[serde(default)]
    pub negative_prompt: String,
    /// Uploaded asset ids, in order: the start image for image-to-video, or
    /// `character1`… for reference-to-video.
    #[serde(default)]
    pub references: Vec<String>,
    /// One line per chosen language, in the order chosen.
    #[serde(default)]
    pub dialogue: Vec<DialogueLine>,
    pub duration_s: u32,
    pub resolution: Resolution,
    pub aspect_ratio: AspectRatio,
    #[serde(default = "default_audio")]
    pub audio: bool,
    /// `None` lets the model pick. Signed so that a negative value reaches the
    /// checker and gets a clear message instead of a parse error.
    #[serde(default)]
    pub seed: Option<i64>,
    /// Frames per second; `None` takes the model's default.
    #[serde(default)]
    pub fps: Option<u32>,
    /// Burn the dialogue into the picture as captions (draft engine).
    #[serde(default)]
    pub captions: bool,
}

fn default_audio() -> bool {
    true
}

/// The model id an imported clip's job carries: no engine runs it, and the
/// job is finished the moment it exists.
pub const IMPORT_MODEL: &str = "import";

/// One clip as `POST /api/imports` took it, for the job it becomes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedClip {
    /// The file name it came with.
    pub name: String,
    /// What is spoken in it; `None` for no speech.
    pub language: Option<Language>,
    pub width: u32,
    pub height: u32,
    pub duration_ms: u64,
}

impl GenerationRequest {
    /// The record of an import: the clips' names stand as the prompt, their
    /// languages as the dialogue (with no text: the words are already
    /// spoken), and the nearest standard format to the first clip's.
    pub fn imported(clips: &[ImportedClip]) -> GenerationRequest {
        let mut request = GenerationRequest::new(IMPORT_MODEL);
        request.prompt = clips
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        request.dialogue = clips
            .iter()
            .filter_map(|c| c.language)
            .map(|language| DialogueLine::new(language, String::new()))
            .collect();
        if let Some(first) = clips.first() {
            let longest = clips.iter().map(|c| c.duration_ms).max().unwrap_or(0);
            request.duration_s = u32::try_from(longest.div_ceil(1000)).unwrap_or(u32::MAX);
            request.resolution = if first.width.min(first.height) > 720 {
                Resolution::P1080
            } else {
                Resolution::P720
            };
            request.aspect_ratio = AspectRatio::nearest(first.width, first.height);
        }
        request
    }

    /// Whether this is the record of imported clips rather than a request
    /// for a model.
    pub fn is_import(&self) -> bool {
        self.model == IMPORT_MODEL
    }
    /// A sensible starting composition for `model`.
    pub fn new(model: impl Into<String>) -> Self {
        GenerationRequest {
            model: model.into(),
            mode: Mode::TextToVideo,
            prompt: String::new(),
            negative_prompt: String::new(),
            references: Vec::new(),
            dialogue: Vec::new(),
            duration_s: 5,
            resolution: Resolution::P720,
            aspect_ratio: AspectRatio::Landscape16x9,
            audio: true,
            seed: None,
            fps: None,
            captions: false,
        }
    }

    /// The languages chosen, in order.
    pub fn languages(&self) -> impl Iterator<Item = Language> + '_ {
        self.dialogue.iter().map(|d| d.language)
    }

    /// How many clips this request produces: one per spoken language, or one
    /// when nothing is spoken.
    pub fn take_count(&self) -> u32 {
        if self.audio && !self.dialogue.is_empty() {
            self.dialogue.len() as u32
        } else {
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_import_names_its_clips_and_languages() {
        let clip = |name: &str, language, width, height, duration_ms| ImportedClip {
            name: name.into(),
            language,
            width,
            height,
            duration_ms,
        };
        let request = GenerationRequest::imported(&[
            clip("talking.mov", Some(Language::English), 524, 524, 9_100),
            clip("talking +200.mp4", Some(Language::German), 524, 524, 9_300),
            clip("ambience.mp4", None, 524, 524, 4_000),
        ]);
        assert!(request.is_import());
        assert_eq!(
            request.prompt,
            "talking.mov, talking +200.mp4, ambience.mp4"
        );
        assert_eq!(
            request.languages().collect::<Vec<_>>(),
            [Language::English, Language::German]
        );
        assert_eq!(request.duration_s, 10);
        assert_eq!(request.aspect_ratio, AspectRatio::Square);
        assert_eq!(request.resolution, Resolution::P720);
        let wide = GenerationRequest::imported(&[clip("a.mp4", None, 1920, 1080, 500)]);
        assert_eq!(wide.aspect_ratio, AspectRatio::Landscape16x9);
        assert_eq!(wide.resolution, Resolution::P1080);
        assert_eq!(wide.duration_s, 1);
        assert!(!GenerationRequest::new("draft").is_import());
    }

    #[test]
    fn parses_minimal_json_with_defaults() {
        let req: GenerationRequest = serde_json::from_str(
            r#"{"model":"draft","mode":"text-to-video","prompt":"a fox","duration_s":5,
                "resolution":"720p","aspect_ratio":"9:16"}"#,
        )
        .expect("parses");
        assert!(req.audio);
        assert!(req.references.is_empty());
        assert_eq!(req.aspect_ratio, AspectRatio::Portrait9x16);
        assert_eq!(req.take_count(), 1);
    }

    #[test]
    fn one_take_per_language() {
        let mut req = GenerationRequest::new("draft");
        req.dialogue = vec![
            DialogueLine::new(Language::German, "Hallo"),
            DialogueLine::new(Language::Japanese, "こんにちは"),
        ];
        assert_eq!(req.take_count(), 2);
        req.audio = false;
        assert_eq!(req.take_count(), 1);
    }

    #[test]
    fn modes_parse_both_forms() {
        for m in Mode::ALL {
            assert_eq!(Mode::parse(m.slug()), Some(m));
            assert_eq!(Mode::parse(m.short()), Some(m));
        }
        assert_eq!(character_token(0), "character1");
    }
}
