//! What a campaign is made of: a name, the template request, the sheet and
//! the axes (languages × aspect ratios) chosen once for all its rows.

use serde::{Deserialize, Serialize};

use super::{Sheet, SheetProblem, SheetRow};
use crate::cost::format_usd;
use crate::{AspectRatio, DialogueLine, GenerationRequest, Language, Mode};

/// How each variant's file is named unless the campaign says otherwise.
pub const DEFAULT_NAME_PATTERN: &str = crate::delivery::DEFAULT_PATTERN;

/// Everything a campaign is made of.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CampaignSpec {
    pub name: String,
    /// The request every variant starts from; its `prompt`, `negative_prompt`
    /// and dialogue texts may hold `{{column}}` placeholders.
    pub template: GenerationRequest,
    /// The languages each row is made in, in the order chosen.
    #[serde(default)]
    pub languages: Vec<Language>,
    /// The aspect ratios each row × language is made in, in the order chosen.
    #[serde(default)]
    pub ratios: Vec<AspectRatio>,
    #[serde(default)]
    pub sheet: Sheet,
    /// The most the whole campaign may cost, in millionths of a dollar.
    #[serde(default)]
    pub budget_cap_usd_micros: Option<u64>,
    /// How each variant's file is named; see [`DEFAULT_NAME_PATTERN`].
    #[serde(default = "default_name_pattern")]
    pub name_pattern: String,
}

fn default_name_pattern() -> String {
    DEFAULT_NAME_PATTERN.to_string()
}

impl CampaignSpec {
    /// What is wrong with the campaign's own settings (not its sheet or
    /// template): each problem names the setting.
    pub fn problems(&self) -> Vec<SheetProblem> {
        let mut out = Vec::new();
        if self.name.trim().is_empty() {
            out.push(SheetProblem::error(None, Some("name"), "name the campaign"));
        }
        if self.languages.is_empty() {
            out.push(SheetProblem::error(
                None,
                Some("languages"),
                "choose at least one language",
            ));
        }
        for (i, language) in self.languages.iter().enumerate() {
            if self.languages[..i].contains(language) {
                out.push(SheetProblem::error(
                    None,
                    Some("languages"),
                    format!("{language} is chosen twice; keep one"),
                ));
            }
        }
        if self.ratios.is_empty() {
            out.push(SheetProblem::error(
                None,
                Some("ratios"),
                "choose at least one aspect ratio",
            ));
        }
        for (i, ratio) in self.ratios.iter().enumerate() {
            if self.ratios[..i].contains(ratio) {
                out.push(SheetProblem::error(
                    None,
                    Some("ratios"),
                    format!("{ratio} is chosen twice; keep one"),
                ));
            }
        }
        if self.budget_cap_usd_micros == Some(0) {
            out.push(SheetProblem::error(
                None,
                Some("budget_cap"),
                format!(
                    "a budget cap of {} lets nothing run; raise it or remove the cap",
                    format_usd(0)
                ),
            ));
        }
        // One rulebook for names: the delivery package's.
        match crate::delivery::NamePattern::parse(&self.name_pattern) {
            Err(message) => out.push(SheetProblem::error(None, Some("name_pattern"), message)),
            Ok(pattern) => {
                if let Some(message) = pattern.warning() {
                    out.push(SheetProblem::warning(None, Some("name_pattern"), message));
                }
            }
        }
        out
    }
}

/// A realistic campaign of `rows` products in English and German, each in
/// 9:16 and 1:1 on HappyHorse (4 variants a row): for benchmarks that time
/// [`super::expand`] natively and in the browser.
#[doc(hidden)]
pub fn bench_spec(rows: usize) -> CampaignSpec {
    const PRODUCTS: [&str; 8] = [
        "trail runner",
        "rain jacket",
        "travel mug",
        "desk lamp",
        "wool scarf",
        "phone stand",
        "water bottle",
        "backpack",
    ];
    const COLOURS: [&str; 5] = ["red", "sand", "forest green", "midnight blue", "white"];
    const PLACES: [&str; 4] = [
        "a city street at dawn",
        "a beach",
        "a mountain hut",
        "a café",
    ];

    let mut template = GenerationRequest::new("happyhorse-1.1@fal");
    template.mode = Mode::TextToVideo;
    template.prompt = "A {{ colour }} {{product}} in {{place}}, slow dolly-in, soft daylight, \
                       the presenter holds it up to the camera and smiles."
        .into();
    template.dialogue = vec![
        DialogueLine::new(Language::English, "Meet the {{product}}: {{claim}}."),
        DialogueLine::new(Language::German, "Das ist der {{product}}."),
    ];
    template.duration_s = 5;
    let sheet = Sheet {
        columns: ["product", "colour", "place", "claim", "line:de", "notes"]
            .map(String::from)
            .to_vec(),
        rows: (0..rows)
            .map(|i| SheetRow {
                number: u32::try_from(i + 2).unwrap_or(u32::MAX),
                cells: vec![
                    format!(
                        "{} {}",
                        PRODUCTS[i % PRODUCTS.len()],
                        i / PRODUCTS.len() + 1
                    ),
                    COLOURS[i % COLOURS.len()].to_string(),
                    PLACES[i % PLACES.len()].to_string(),
                    format!("built for {} days", 10 + i % 20),
                    // Every other row has its own German line; the rest
                    // take the template's.
                    if i % 2 == 0 {
                        format!("Neu: der {}.", PRODUCTS[i % PRODUCTS.len()])
                    } else {
                        String::new()
                    },
                    format!("note {i}"),
                ],
            })
            .collect(),
    };
    CampaignSpec {
        name: "Spring launch".into(),
        template,
        languages: vec![Language::English, Language::German],
        ratios: vec![AspectRatio::Portrait9x16, AspectRatio::Square],
        sheet,
        budget_cap_usd_micros: None,
        name_pattern: DEFAULT_NAME_PATTERN.into(),
    }
}
