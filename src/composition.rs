//! The half-written composition behind the Compose page: what the person has
//! typed and picked so far, kept in a shape that survives a reload
//! (localStorage) and turns into a `GenerationRequest` on demand. Pure data, so
//! it is unit-tested natively.

use std::collections::BTreeMap;

use chorus_core::api::UploadedAsset;
use chorus_core::check::check_with_registry;
use chorus_core::localize::{LineStatus, Localized, ProposedLine};
use chorus_core::model::DRAFT_MODEL_ID;
use chorus_core::{
    AspectRatio, DialogueLine, GenerationRequest, Language, Mode, ModelSpec, Problem, Resolution,
};
use serde::{Deserialize, Serialize};

/// Everything the Compose page gathers. Unlike `GenerationRequest` it keeps
/// work the request would drop (lines of languages switched off, images while
/// in text mode, a seed that does not parse yet) so toggling never loses text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Composition {
    pub model: String,
    pub mode: Mode,
    pub prompt: String,
    pub references: Vec<UploadedAsset>,
    /// Chosen languages, in the order they were chosen.
    pub languages: Vec<Language>,
    /// Lines per language, including languages currently switched off.
    pub lines: BTreeMap<Language, String>,
    /// Lines that came from Translate: where from, what the engine said of
    /// them, and whether a person has approved them. A line typed by hand
    /// has none.
    pub translated: BTreeMap<Language, Translated>,
    pub duration_s: u32,
    pub resolution: Resolution,
    pub aspect_ratio: AspectRatio,
    pub audio: bool,
    /// The seed field as typed; empty lets the model pick.
    pub seed: String,
}

impl Default for Composition {
    fn default() -> Self {
        let start = GenerationRequest::new(DRAFT_MODEL_ID);
        Composition {
            model: start.model,
            mode: start.mode,
            prompt: start.prompt,
            references: Vec::new(),
            languages: Vec::new(),
            lines: BTreeMap::new(),
            translated: BTreeMap::new(),
            duration_s: start.duration_s,
            resolution: start.resolution,
            aspect_ratio: start.aspect_ratio,
            audio: start.audio,
            seed: String::new(),
        }
    }
}

impl Composition {
    /// The request this composition would submit.
    pub fn to_request(&self) -> GenerationRequest {
        let mut request = GenerationRequest::new(self.model.clone());
        request.mode = self.mode;
        request.prompt.clone_from(&self.prompt);
        // Images stay in the composition while in text mode (switching back
        // must not lose them) but are not sent.
        if self.mode != Mode::TextToVideo {
            request.references = self.references.iter().map(|a| a.id.clone()).collect();
        }
        request.dialogue = self
            .languages
            .iter()
            .map(|&language| DialogueLine {
                language,
                text: self.lines.get(&language).cloned().unwrap_or_default(),
                localized: self.translated.get(&language).map(|t| t.meta.clone()),
            })
            .collect();
        request.duration_s = self.duration_s;
        request.resolution = self.resolution;
        request.aspect_ratio = self.aspect_ratio;
        request.audio = self.audio;
        request.seed = self.seed.trim().parse().ok();
        request
    }

    /// Problems only the page can see, because the request cannot carry them.
    pub fn local_problems(&self) -> Vec<Problem> {
        let seed = self.seed.trim();
        if !seed.is_empty() && seed.parse::<i64>().is_err() {
            return vec![Problem::error(
                "seed",
                "Seed must be a whole number, or empty to let the model pick",
            )];
        }
        Vec::new()
    }

    /// Every problem the browser can find, in page order.
    pub fn problems(&self, models: &[ModelSpec]) -> Vec<Problem> {
        let mut out = check_with_registry(&self.to_request(), models);
        out.extend(self.local_problems());
        out
    }

    /// Switches `language` on (appended, so lines keep the order chosen) or off.
    pub fn toggle_language(&mut self, language: Language) {
        if let Some(pos) = self.languages.iter().position(|&l| l == language) {
            self.languages.remove(pos);
        } else {
            self.languages.push(language);
        }
    }

    /// The line Translate starts from: the first chosen language whose line
    /// was written by hand (not translated) and is not empty.
    pub fn translate_source(&self) -> Option<DialogueLine> {
        self.languages
            .iter()
            .find(|l| {
                !self.translated.contains_key(l)
                    && self.lines.get(l).is_some_and(|t| !t.trim().is_empty())
            })
            .map(|&l| DialogueLine::new(l, self.lines.get(&l).cloned().unwrap_or_default()))
    }

    /// The chosen languages Translate may fill: empty, or still as an engine
    /// proposed (or approved) them. Lines written or edited by hand are
    /// never translated over.
    pub fn translate_targets(&self, source: Language) -> Vec<Language> {
        self.languages
            .iter()
            .copied()
            .filter(|&l| l != source)
            .filter(|l| match self.translated.get(l) {
                Some(t) => t.meta.status != LineStatus::Edited,
                None => self.lines.get(l).is_none_or(|t| t.trim().is_empty()),
            })
            .collect()
    }

    /// Chosen languages whose lines are kept as they are by Translate,
    /// because a person wrote or edited them.
    pub fn kept_by_hand(&self, source: Language) -> Vec<Language> {
        let targets = self.translate_targets(source);
        self.languages
            .iter()
            .copied()
            .filter(|l| *l != source && !targets.contains(l))
            .collect()
    }

    /// Takes the engine's proposals for `source`: each fills its line as
    /// proposed, awaiting approval. Failed languages change nothing.
    pub fn apply_proposals(&mut self, source: &DialogueLine, proposals: &[ProposedLine]) {
        let targets = self.translate_targets(source.language);
        for proposal in proposals {
            if proposal.error.is_some() || !targets.contains(&proposal.language) {
                continue;
            }
            self.lines.insert(proposal.language, proposal.text.clone());
            self.translated.insert(
                proposal.language,
                Translated {
                    meta: proposal.provenance(source),
                    proposal: proposal.clone(),
                },
            );
        }
    }

    /// A person typed in `language`'s line: a translated line becomes theirs
    /// ("edited by hand") once it differs from what was proposed.
    pub fn edit_line(&mut self, language: Language, text: String) {
        if let Some(t) = self.translated.get_mut(&language)
            && text != t.proposal.text
        {
            t.meta.status = LineStatus::Edited;
        }
        if text.trim().is_empty() {
            // Nothing left of the proposal: the line is free to translate again.
            self.translated.remove(&language);
        }
        self.lines.insert(language, text);
    }

    /// A person read the proposal (and its back-translation) and approved it.
    pub fn approve(&mut self, language: Language) {
        if let Some(t) = self.translated.get_mut(&language)
            && t.meta.status == LineStatus::Proposed
        {
            t.meta.status = LineStatus::Approved;
        }
    }

    /// The language a translated line came from, when that line has
    /// changed since (the proposal says what the copy no longer says).
    pub fn stale_source(&self, language: Language) -> Option<Language> {
        let meta = &self.translated.get(&language)?.meta;
        let now = self.lines.get(&meta.from).map_or("", String::as_str);
        (now.trim() != meta.source_text.trim()).then_some(meta.from)
    }

    /// Chosen languages whose lines are still proposals nobody approved.
    pub fn unapproved(&self) -> Vec<Language> {
        chorus_core::localize::unapproved(&self.to_request().dialogue)
    }

    /// Moves the reference at `from` by `delta` places, clamped to the list.
    /// Returns the index it ended up at.
    pub fn move_reference(&mut self, from: usize, delta: isize) -> usize {
        let len = self.references.len();
        if from >= len {
            return from;
        }
        let to = from.saturating_add_signed(delta).min(len - 1);
        let item = self.references.remove(from);
        self.references.insert(to, item);
        to
    }

    /// Moves a reference picked up at `from` to where `to` was (drag and drop).
    pub fn place_reference(&mut self, from: usize, to: usize) {
        if from < self.references.len() && to < self.references.len() {
            let item = self.references.remove(from);
            self.references.insert(to, item);
        }
    }
}

/// A line that came from Translate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Translated {
    /// What the job will carry: source, engine, status.
    pub meta: Localized,
    /// What the engine answered: fit, back-translation, cost, flags.
    pub proposal: ProposedLine,
}

/// Replaces the selection `start..end` of `text` (positions in UTF-16 units,
/// as `<textarea>` reports them) with `token`, padding it with spaces where it
/// would otherwise run into a word. Returns the new text and the UTF-16
/// position just after the token, for putting the cursor back.
pub fn insert_token(text: &str, start: u32, end: u32, token: &str) -> (String, u32) {
    let start_byte = utf16_to_byte(text, start);
    let end_byte = utf16_to_byte(text, end.max(start));
    let before = &text[..start_byte];
    let after = &text[end_byte..];
    let needs_space_before = before
        .chars()
        .next_back()
        .is_some_and(|c| !c.is_whitespace());
    let needs_space_after = after.chars().next().is_some_and(char::is_alphanumeric);

    let mut inserted = String::new();
    if needs_space_before {
        inserted.push(' ');
    }
    inserted.push_str(token);
    if needs_space_after {
        inserted.push(' ');
    }
    let cursor = utf16_len(before) + utf16_len(&inserted);
    (format!("{before}{inserted}{after}"), cursor)
}

/// Length of `text` in UTF-16 units, the unit browsers count in.
pub fn utf16_len(text: &str) -> u32 {
    text.chars().map(|c| c.len_utf16() as u32).sum()
}

/// Byte offset of the UTF-16 position `pos`, clamped to the text and never in
/// the middle of a character.
fn utf16_to_byte(text: &str, pos: u32) -> usize {
    let mut units = 0;
    for (byte, c) in text.char_indices() {
        if units >= pos {
            return byte;
        }
        units += c.len_utf16() as u32;
    }
    text.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chorus_core::model::registry;

    fn proposal(language: Language, text: &str) -> ProposedLine {
        ProposedLine {
            language,
            text: text.into(),
            engine: "qwen-mt".into(),
            engine_name: "Qwen-MT (DashScope)".into(),
            back_translation: Some("Fresh tulips every morning".into()),
            seconds: 3.1,
            fits: true,
            tries: 1,
            dropped_terms: Vec::new(),
            cost_usd_micros: 40,
            error: None,
            note: None,
        }
    }

    fn english_german_japanese() -> Composition {
        let mut comp = Composition::default();
        for l in [Language::English, Language::German, Language::Japanese] {
            comp.toggle_language(l);
        }
        comp.lines
            .insert(Language::English, "Fresh tulips every morning".into());
        comp
    }

    #[test]
    fn translate_fills_empty_lines_as_proposals_awaiting_approval() {
        let mut comp = english_german_japanese();
        let source = comp.translate_source().expect("the English line");
        assert_eq!(source.language, Language::English);
        assert_eq!(
            comp.translate_targets(Language::English),
            vec![Language::German, Language::Japanese]
        );
        let mut failed = proposal(Language::Japanese, "");
        failed.error = Some("Qwen-MT timed out".into());
        comp.apply_proposals(
            &source,
            &[
                proposal(Language::German, "Jeden Morgen frische Tulpen"),
                failed,
            ],
        );
        assert_eq!(
            comp.lines.get(&Language::German).map(String::as_str),
            Some("Jeden Morgen frische Tulpen")
        );
        assert!(
            !comp.translated.contains_key(&Language::Japanese),
            "a failure fills nothing"
        );
        assert_eq!(comp.unapproved(), vec![Language::German]);
        let request = comp.to_request();
        let de = &request.dialogue[1];
        let meta = de
            .localized
            .as_ref()
            .expect("provenance travels with the line");
        assert_eq!(
            (meta.from, meta.status),
            (Language::English, LineStatus::Proposed)
        );
        comp.approve(Language::German);
        assert!(comp.unapproved().is_empty());
    }

    #[test]
    fn a_proposal_knows_when_its_source_line_changed() {
        let mut comp = english_german_japanese();
        let source = comp.translate_source().expect("source");
        comp.apply_proposals(&source, &[proposal(Language::German, "Frische Tulpen")]);
        assert_eq!(comp.stale_source(Language::German), None);
        comp.edit_line(Language::English, "Fresh tulips every morning ".into());
        assert_eq!(
            comp.stale_source(Language::German),
            None,
            "spaces change nothing"
        );
        comp.edit_line(Language::English, "Fresh roses every morning".into());
        assert_eq!(comp.stale_source(Language::German), Some(Language::English));
        assert_eq!(
            comp.stale_source(Language::Japanese),
            None,
            "not translated"
        );
        // Translating again from the new line brings it up to date.
        let source = comp.translate_source().expect("source");
        comp.apply_proposals(&source, &[proposal(Language::German, "Frische Rosen")]);
        assert_eq!(comp.stale_source(Language::German), None);
    }

    #[test]
    fn a_line_edited_by_hand_is_kept_and_never_translated_over() {
        let mut comp = english_german_japanese();
        let source = comp.translate_source().expect("source");
        comp.apply_proposals(&source, &[proposal(Language::German, "Frische Tulpen")]);
        comp.edit_line(Language::German, "Frische Tulpen, jeden Tag".into());
        assert_eq!(
            comp.translated
                .get(&Language::German)
                .map(|t| t.meta.status),
            Some(LineStatus::Edited)
        );
        assert!(comp.unapproved().is_empty(), "an edit is the person's own");
        assert_eq!(
            comp.translate_targets(Language::English),
            vec![Language::Japanese]
        );
        assert_eq!(comp.kept_by_hand(Language::English), vec![Language::German]);
        // Translating again leaves the edit alone even if the engine answers it.
        comp.apply_proposals(&source, &[proposal(Language::German, "Tulpen")]);
        assert_eq!(
            comp.lines.get(&Language::German).map(String::as_str),
            Some("Frische Tulpen, jeden Tag")
        );
        // A line typed by hand from the start is kept too.
        comp.lines.insert(Language::Japanese, "まいあさ".into());
        assert!(comp.translate_targets(Language::English).is_empty());
        // Clearing a translated line frees it for Translate again.
        comp.edit_line(Language::German, String::new());
        assert_eq!(
            comp.translate_targets(Language::English),
            vec![Language::German]
        );
    }

    fn asset(id: &str) -> UploadedAsset {
        UploadedAsset {
            id: id.into(),
            mime: "image/png".into(),
            width: 512,
            height: 512,
            bytes: 10,
            url: format!("/api/assets/{id}"),
        }
    }

    #[test]
    fn default_is_a_valid_draft_once_prompted() {
        let mut comp = Composition::default();
        assert_eq!(comp.model, "draft");
        assert!(!comp.problems(&registry()).is_empty(), "empty prompt");
        comp.prompt = "A fox reads the news".into();
        assert!(comp.problems(&registry()).is_empty());
    }

    #[test]
    fn lines_follow_chosen_order_and_survive_toggling() {
        let mut comp = Composition::default();
        comp.toggle_language(Language::German);
        comp.toggle_language(Language::English);
        comp.lines.insert(Language::German, "Hallo".into());
        let req = comp.to_request();
        let langs: Vec<_> = req.languages().collect();
        assert_eq!(langs, [Language::German, Language::English]);
        comp.toggle_language(Language::German);
        assert_eq!(comp.to_request().dialogue.len(), 1);
        comp.toggle_language(Language::German);
        assert_eq!(comp.to_request().dialogue[1].text, "Hallo");
    }

    #[test]
    fn text_mode_keeps_but_does_not_send_images() {
        let mut comp = Composition {
            references: vec![asset("a")],
            ..Composition::default()
        };
        assert!(comp.to_request().references.is_empty());
        comp.mode = Mode::ReferenceToVideo;
        assert_eq!(comp.to_request().references, ["a"]);
    }

    #[test]
    fn seed_that_does_not_parse_is_a_local_problem() {
        let mut comp = Composition {
            seed: "12x".into(),
            ..Composition::default()
        };
        assert_eq!(comp.to_request().seed, None);
        assert_eq!(comp.local_problems()[0].field, "seed");
        comp.seed = " 42 ".into();
        assert_eq!(comp.to_request().seed, Some(42));
        assert!(comp.local_problems().is_empty());
    }

    #[test]
    fn references_move_within_bounds() {
        let mut comp = Composition {
            references: vec![asset("a"), asset("b"), asset("c")],
            ..Composition::default()
        };
        assert_eq!(comp.move_reference(0, 1), 1);
        assert_eq!(comp.move_reference(1, -5), 0);
        assert_eq!(comp.move_reference(2, 3), 2);
        comp.place_reference(2, 0);
        let ids: Vec<_> = comp.references.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, ["c", "a", "b"]);
    }

    #[test]
    fn token_goes_in_at_the_cursor_with_spacing() {
        assert_eq!(
            insert_token("", 0, 0, "character1"),
            ("character1".into(), 10)
        );
        assert_eq!(
            insert_token("A hugs B", 1, 1, "character1"),
            ("A character1 hugs B".into(), 12)
        );
        assert_eq!(
            insert_token("say hi", 4, 6, "character2"),
            ("say character2".into(), 14)
        );
        // Positions are UTF-16: "日本" is two units, "👋" two more.
        let (text, cursor) = insert_token("日本👋x", 4, 4, "character1");
        assert_eq!(text, "日本👋 character1 x");
        assert_eq!(cursor, 16);
    }

    #[test]
    fn old_storage_with_missing_fields_still_loads() {
        let comp: Composition =
            serde_json::from_str(r#"{"prompt":"hello","lines":{"de":"Hallo"}}"#).expect("parses");
        assert_eq!(comp.prompt, "hello");
        assert_eq!(
            comp.lines.get(&Language::German).map(String::as_str),
            Some("Hallo")
        );
        assert_eq!(comp.model, "draft");
    }
}
