//! The half-written campaign behind the New campaign page: what is kept in
//! localStorage between reloads, and the small rules the form shows as the
//! person types (the budget cap and seed as typed, the placeholders the
//! template uses, the example file name, the Run button's words). Pure, so
//! it is unit-tested natively; the expansion itself is chorus-core's.

/// 1000 → "1,000", for counts a person reads.
pub use chorus_core::campaign::thousands;
use chorus_core::campaign::{CampaignSpec, DEFAULT_NAME_PATTERN, Expansion, Sheet, Template};
use chorus_core::cost::format_usd;
use chorus_core::model::DRAFT_MODEL_ID;
use chorus_core::{AspectRatio, DialogueLine, GenerationRequest, Language};
use serde::{Deserialize, Serialize};

/// An uploaded image the sheet's `image` / `referenceN` columns name by its
/// file name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedImage {
    pub name: String,
    pub id: String,
    pub url: String,
}

/// Everything the form keeps across a reload. The sheet is kept as the text
/// it was pasted (or read) as, never as parsed rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SavedDraft {
    pub name: String,
    pub template: GenerationRequest,
    pub languages: Vec<Language>,
    pub ratios: Vec<AspectRatio>,
    /// The cap field as typed, in dollars.
    pub cap: String,
    /// The seed field as typed; empty lets the model pick.
    pub seed: String,
    pub name_pattern: String,
    pub sheet_text: String,
    pub images: Vec<NamedImage>,
    /// The submit key, made once per form, so a double click or a retry
    /// after a lost answer sends one campaign.
    pub key: String,
}

impl Default for SavedDraft {
    fn default() -> Self {
        let mut template = GenerationRequest::new(DRAFT_MODEL_ID);
        template.duration_s = 3;
        SavedDraft {
            name: String::new(),
            template,
            languages: vec![Language::English],
            ratios: vec![AspectRatio::Portrait9x16],
            cap: String::new(),
            seed: String::new(),
            name_pattern: DEFAULT_NAME_PATTERN.to_string(),
            sheet_text: String::new(),
            images: Vec::new(),
            key: String::new(),
        }
    }
}

impl SavedDraft {
    /// The campaign as the form stands, with `sheet` moved in (the page
    /// keeps the parsed sheet inside the spec it expands, so typing never
    /// copies a thousand rows).
    pub fn to_spec(&self, sheet: Sheet) -> CampaignSpec {
        let mut template = self.template.clone();
        template.seed = parse_seed(&self.seed).ok().flatten();
        CampaignSpec {
            name: self.name.clone(),
            template,
            languages: self.languages.clone(),
            ratios: self.ratios.clone(),
            sheet,
            budget_cap_usd_micros: parse_cap(&self.cap).ok().flatten(),
            name_pattern: self.name_pattern.clone(),
        }
    }
}

/// The template's line for `language`, or "" when it has none.
pub fn template_line(template: &GenerationRequest, language: Language) -> &str {
    template
        .dialogue
        .iter()
        .find(|l| l.language == language)
        .map_or("", |l| l.text.as_str())
}

/// Sets (or, when blank, removes) the template's line for `language`.
pub fn set_template_line(template: &mut GenerationRequest, language: Language, text: String) {
    if text.is_empty() {
        template.dialogue.retain(|l| l.language != language);
        return;
    }
    match template
        .dialogue
        .iter_mut()
        .find(|l| l.language == language)
    {
        Some(line) => line.text = text,
        None => template.dialogue.push(DialogueLine::new(language, text)),
    }
}

/// Reads the budget cap as typed: "" is no cap, "25" or "$12.50" dollars.
pub fn parse_cap(text: &str) -> Result<Option<u64>, String> {
    let text = text.trim().trim_start_matches('$').trim().replace(',', "");
    if text.is_empty() {
        return Ok(None);
    }
    let wrong = || format!("Budget cap: write dollars, like 25 or 12.50 (not “{text}”)");
    let (whole, cents) = match text.split_once('.') {
        Some((w, c)) => (w, c),
        None => (text.as_str(), ""),
    };
    if cents.len() > 2 || !cents.chars().all(|c| c.is_ascii_digit()) {
        return Err(wrong());
    }
    let whole: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| wrong())?
    };
    let cents: u64 = format!("{cents:0<2}").parse().map_err(|_| wrong())?;
    whole
        .checked_mul(1_000_000)
        .and_then(|w| w.checked_add(cents * 10_000))
        .map(Some)
        .ok_or_else(wrong)
}

/// Reads the seed as typed: "" lets the model pick.
pub fn parse_seed(text: &str) -> Result<Option<i64>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse()
        .map(Some)
        .map_err(|_| format!("Seed: a whole number, or empty to let the model pick (not “{text}”)"))
}

/// The `{{placeholders}}` the template's texts use, each once, first use
/// first, as written.
pub fn placeholders_used(template: &GenerationRequest) -> Vec<String> {
    let texts = std::iter::once(template.prompt.as_str())
        .chain(std::iter::once(template.negative_prompt.as_str()))
        .chain(template.dialogue.iter().map(|l| l.text.as_str()));
    let mut out: Vec<String> = Vec::new();
    for text in texts {
        let Ok(parsed) = Template::parse(text) else {
            continue;
        };
        for p in parsed.placeholders() {
            if !out.iter().any(|o| o.eq_ignore_ascii_case(&p.name)) {
                out.push(p.name.clone());
            }
        }
    }
    out
}

/// "Run 12 variants · $0.60" on the submit button.
pub fn run_label(expansion: &Expansion) -> String {
    let n = expansion.variants.len();
    let noun = if n == 1 { "variant" } else { "variants" };
    format!(
        "Run {} {noun} · {}",
        thousands(n),
        format_usd(expansion.total_usd_micros)
    )
}

/// Why the campaign cannot be sent as it stands, in one sentence; `None`
/// when it can.
pub fn blocked_reason(expansion: &Expansion, sheet_rows: usize) -> Option<String> {
    if sheet_rows == 0 {
        return Some("Paste or upload a sheet with a header row and at least one row".into());
    }
    let errors = expansion.problems.iter().filter(|p| p.is_error()).count();
    if errors > 0 {
        let things = if errors == 1 { "problem" } else { "problems" };
        return Some(format!(
            "Fix the {errors} campaign {things} above the preview first"
        ));
    }
    let blocked = expansion.counts.blocked;
    if blocked > 0 {
        let noun = if blocked == 1 {
            "variant is"
        } else {
            "variants are"
        };
        return Some(format!(
            "{} {noun} blocked: fix the rows marked in the preview",
            thousands(blocked)
        ));
    }
    None
}

/// The first variant's file name, to show what the pattern makes.
pub fn example_file_name(spec: &CampaignSpec) -> String {
    let row = spec.sheet.rows.first().map_or(2, |r| r.number);
    let language = spec.languages.first().copied().unwrap_or(Language::English);
    let ratio = spec
        .ratios
        .first()
        .copied()
        .unwrap_or(AspectRatio::Portrait9x16);
    let fields = chorus_core::delivery::NameFields {
        campaign: spec.name.clone(),
        row,
        lang: language.code().to_string(),
        ratio: ratio.label().to_string(),
        version: 1,
        model: spec.template.model.clone(),
        seed: spec.template.seed.and_then(|s| u64::try_from(s).ok()),
        job: String::new(),
    };
    // The export's own naming: what the ZIP will hold.
    chorus_core::delivery::NamePattern::parse(&spec.name_pattern)
        .map_or_else(|why| why, |pattern| pattern.render(&fields))
}

/// A spreadsheet's grid as tab-separated text for the sheet box, quoted
/// where a cell holds a tab, a newline or a quote.
pub fn grid_to_tsv(columns: &[String], rows: &[Vec<String>]) -> String {
    let mut out = String::new();
    for row in std::iter::once(columns).chain(rows.iter().map(Vec::as_slice)) {
        for (i, cell) in row.iter().enumerate() {
            if i > 0 {
                out.push('\t');
            }
            if cell.contains(['\t', '\n', '\r', '"']) {
                out.push('"');
                out.push_str(&cell.replace('"', "\"\""));
                out.push('"');
            } else {
                out.push_str(cell);
            }
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chorus_core::campaign::{MeasuredFit, expand};
    use chorus_core::registry;
    use std::collections::BTreeMap;

    #[test]
    fn the_cap_is_read_as_dollars() {
        assert_eq!(parse_cap(""), Ok(None));
        assert_eq!(parse_cap(" $12.5 "), Ok(Some(12_500_000)));
        assert_eq!(parse_cap("1,000"), Ok(Some(1_000_000_000)));
        assert_eq!(parse_cap(".05"), Ok(Some(50_000)));
        assert!(parse_cap("12.345").is_err());
        assert!(parse_cap("ten").unwrap_err().contains("Budget cap"));
    }

    #[test]
    fn counts_are_grouped_by_thousands() {
        assert_eq!(thousands(7), "7");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn seeds_and_template_lines() {
        assert_eq!(parse_seed(" 42 "), Ok(Some(42)));
        assert_eq!(parse_seed(""), Ok(None));
        assert!(parse_seed("4.2").is_err());
        let mut t = GenerationRequest::new("draft");
        set_template_line(&mut t, Language::German, "Hallo {{product}}".into());
        assert_eq!(template_line(&t, Language::German), "Hallo {{product}}");
        set_template_line(&mut t, Language::German, String::new());
        assert!(t.dialogue.is_empty());
    }

    #[test]
    fn placeholders_are_listed_once_in_order() {
        let mut t = GenerationRequest::new("draft");
        t.prompt = "A {{colour}} {{ product }} in {{Colour}}".into();
        t.dialogue = vec![DialogueLine::new(Language::English, "{{claim}}!")];
        assert_eq!(placeholders_used(&t), ["colour", "product", "claim"]);
    }

    #[test]
    fn a_pasted_sheet_expands_to_rows_times_languages_times_ratios() {
        let mut draft = SavedDraft {
            name: "Spring".into(),
            languages: vec![Language::English, Language::German],
            ratios: vec![AspectRatio::Portrait9x16, AspectRatio::Square],
            ..SavedDraft::default()
        };
        draft.template.prompt = "A presenter shows the {{product}}".into();
        set_template_line(
            &mut draft.template,
            Language::English,
            "Meet the {{product}}.".into(),
        );
        set_template_line(
            &mut draft.template,
            Language::German,
            "Das ist {{product}}.".into(),
        );
        let sheet = Sheet::parse(b"product\tnotes\nmug\t\nlamp\t\nscarf\t\n").unwrap();
        let spec = draft.to_spec(sheet);
        let mut fit = MeasuredFit::new();
        let pending = expand(&spec, &registry(), &BTreeMap::new(), &fit);
        assert_eq!(pending.variants.len(), 12);
        for (language, text) in pending.lines_to_measure() {
            fit.insert(language, text, 1.5);
        }
        let measured = expand(&spec, &registry(), &BTreeMap::new(), &fit);
        assert_eq!(
            measured.counts.ready + measured.counts.warning,
            12,
            "{:?}",
            measured.problems
        );
        assert_eq!(blocked_reason(&measured, 3), None);
        assert!(run_label(&measured).starts_with("Run 12 variants · $"));
        assert_eq!(example_file_name(&spec), "Spring_2_en_9x16_v1.mp4");
    }

    #[test]
    fn a_grid_becomes_text_the_sheet_reads_back() {
        let columns = vec!["product".to_string(), "line:de".to_string()];
        let rows = vec![
            vec!["mug".to_string(), "Ein \"guter\"\tBecher".to_string()],
            vec![String::new(), String::new()],
            vec!["lamp".to_string(), "Zwei\nZeilen".to_string()],
        ];
        let sheet = Sheet::parse(grid_to_tsv(&columns, &rows).as_bytes()).unwrap();
        assert_eq!(sheet.columns, columns);
        assert_eq!(sheet.rows[0].cells[1], "Ein \"guter\"\tBecher");
        // The blank row still counts, as the spreadsheet numbers it.
        assert_eq!(sheet.rows[1].number, 4);
        assert_eq!(sheet.rows[1].cells[1], "Zwei\nZeilen");
    }
}
