//! What a campaign is made of: a name, the template request, the sheet and
//! the axes (languages × aspect ratios) chosen once for all its rows.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::{Sheet, SheetProblem, SheetRow};
use crate::cost::format_usd;
use crate::{AspectRatio, DialogueLine, GenerationRequest, Language, Mode};

/// How each variant's file is named unless the campaign says otherwise.
pub const DEFAULT_NAME_PATTERN: &str = "{campaign}_{row}_{lang}_{ratio}_v{version}.mp4";

/// The tokens a name pattern may use.
const NAME_TOKENS: [&str; 5] = ["campaign", "row", "lang", "ratio", "version"];

/// Everything a campaign is made of.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
        if let Err(message) = check_name_pattern(&self.name_pattern) {
            out.push(SheetProblem::error(None, Some("name_pattern"), message));
        }
        out
    }

    /// The file name of one variant's `version`, from the name pattern:
    /// `spring_2_de_9x16_v1.mp4`. The campaign name is made file-safe.
    pub fn file_name(
        &self,
        row: u32,
        language: Language,
        ratio: AspectRatio,
        version: u32,
    ) -> String {
        let (w, h) = ratio.ratio();
        let mut out = String::with_capacity(self.name_pattern.len() + self.name.len());
        let mut rest = self.name_pattern.as_str();
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let Some(close) = after.find('}') else {
                rest = &rest[open..];
                break;
            };
            match &after[..close] {
                "campaign" => out.push_str(&file_safe(&self.name)),
                "row" => out.push_str(&row.to_string()),
                "lang" => out.push_str(language.code()),
                "ratio" => {
                    // Writing to a String cannot fail.
                    let _ = write!(out, "{w}x{h}");
                }
                "version" => out.push_str(&version.to_string()),
                other => {
                    out.push('{');
                    out.push_str(other);
                    out.push('}');
                }
            }
            rest = &after[close + 1..];
        }
        out.push_str(rest);
        out
    }
}

/// A name pattern must give every variant its own name.
fn check_name_pattern(pattern: &str) -> Result<(), String> {
    let mut used = Vec::new();
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            return Err("the file name pattern has { with no closing }".into());
        };
        let token = &after[..close];
        if !NAME_TOKENS.contains(&token) {
            return Err(format!(
                "the file name pattern uses {{{token}}}; use {{campaign}}, {{row}}, {{lang}}, {{ratio}} and {{version}}"
            ));
        }
        used.push(token);
        rest = &after[close + 1..];
    }
    let missing: Vec<String> = ["row", "lang", "ratio", "version"]
        .iter()
        .filter(|token| !used.contains(token))
        .map(|token| format!("{{{token}}}"))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the file name pattern needs {} so that each file has its own name",
            missing.join(", ")
        ))
    }
}

/// Letters, digits, `-` and `_` kept; anything else becomes `-`.
fn file_safe(name: &str) -> String {
    let safe: String = name
        .trim()
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    if safe.is_empty() {
        "campaign".into()
    } else {
        safe
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
