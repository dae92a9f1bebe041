//! Localized lines: a line written once, proposed in the other languages by
//! a translation engine, fitted to the clip, checked against the studio's
//! glossary and approved by a person before it is spoken. Shared by the
//! server (which asks the engines) and the studio (which shows and
//! approves), so both judge a proposal the same way.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{Language, Problem};

/// How many times a line that does not fit is asked for again, shorter,
/// before it is left to a person ("too long: shorten by hand").
pub const MAX_FIT_TRIES: u32 = 3;

/// Longest glossary term, in characters.
pub const MAX_TERM_CHARS: usize = 80;

/// Most terms a studio's glossary holds.
pub const MAX_TERMS: usize = 500;

/// Where a spoken line stands with a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LineStatus {
    /// As the engine proposed it; nobody has looked yet.
    Proposed,
    /// A person read it (and its back-translation) and approved it as it is.
    Approved,
    /// A person changed the proposal by hand: theirs, never re-translated.
    Edited,
}

impl LineStatus {
    /// Whether a person has signed the line off.
    pub fn is_approved(self) -> bool {
        matches!(self, LineStatus::Approved | LineStatus::Edited)
    }

    pub fn label(self) -> &'static str {
        match self {
            LineStatus::Proposed => "proposed",
            LineStatus::Approved => "approved",
            LineStatus::Edited => "edited by hand",
        }
    }
}

/// What a translated line carries with it: where it came from, and who
/// approved it. Lines typed by hand in their own language carry none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Localized {
    /// The line it was translated from.
    pub from: Language,
    pub source_text: String,
    /// Engine id (`qwen-mt`, `deepl`).
    pub engine: String,
    pub status: LineStatus,
    /// The proposal put back into the source language, to check meaning.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub back_translation: Option<String>,
    /// Who approved it, as the server records it when the job is made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<String>,
}

/// One term of a studio's glossary: a brand or product name kept as it is,
/// or a phrase with a fixed translation in some languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GlossaryTerm {
    /// As written in the copy ("Bloom", "free delivery").
    pub term: String,
    /// Fixed translations by language; a language not listed keeps the
    /// term exactly as written.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub translations: BTreeMap<Language, String>,
}

impl GlossaryTerm {
    /// How the term must read in `language`.
    pub fn in_language(&self, language: Language) -> &str {
        self.translations
            .get(&language)
            .map_or(self.term.as_str(), String::as_str)
    }
}

/// The studio's glossary, applied to every translation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Glossary {
    pub terms: Vec<GlossaryTerm>,
}

/// A term as an engine is told it: this source text, that translation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TermPair {
    pub source: String,
    pub target: String,
}

impl Glossary {
    /// What is wrong with it, each problem at its field
    /// (`terms[2].translations.de`).
    pub fn problems(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        if self.terms.len() > MAX_TERMS {
            problems.push(Problem::error(
                "terms",
                format!(
                    "A glossary holds at most {MAX_TERMS} terms; this one has {}",
                    self.terms.len()
                ),
            ));
        }
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        for (i, entry) in self.terms.iter().enumerate() {
            let term = entry.term.trim();
            let field = format!("terms[{i}].term");
            if term.is_empty() {
                problems.push(Problem::error(field, "Write the term"));
                continue;
            }
            if term.chars().count() > MAX_TERM_CHARS {
                problems.push(Problem::error(
                    field.clone(),
                    format!("A term is at most {MAX_TERM_CHARS} characters"),
                ));
            }
            if let Some(first) = seen.insert(term.to_lowercase(), i) {
                problems.push(Problem::error(
                    field,
                    format!("\"{term}\" is already term {}", first + 1),
                ));
            }
            for (language, translation) in &entry.translations {
                let field = format!("terms[{i}].translations.{}", language.code());
                if translation.trim().is_empty() {
                    problems.push(Problem::error(
                        field,
                        format!(
                            "Write how \"{term}\" reads in {}, or remove that language",
                            language.display_name()
                        ),
                    ));
                } else if translation.chars().count() > MAX_TERM_CHARS {
                    problems.push(Problem::error(
                        field,
                        format!("A translation is at most {MAX_TERM_CHARS} characters"),
                    ));
                }
            }
        }
        problems
    }

    /// The terms `text` (in `source`) uses, each as `target` must read it.
    pub fn pairs_for(&self, source: Language, text: &str, target: Language) -> Vec<TermPair> {
        self.terms
            .iter()
            .filter(|t| contains_term(text, t.in_language(source)))
            .map(|t| TermPair {
                source: t.in_language(source).to_string(),
                target: t.in_language(target).to_string(),
            })
            .collect()
    }

    /// The terms `text` uses that `translated` (in `target`) lost: each as
    /// it should have read.
    pub fn dropped(
        &self,
        source: Language,
        text: &str,
        target: Language,
        translated: &str,
    ) -> Vec<String> {
        self.pairs_for(source, text, target)
            .into_iter()
            .filter(|pair| !contains_term(translated, &pair.target))
            .map(|pair| pair.target)
            .collect()
    }
}

/// Whether `text` contains `term`, ignoring case, and as a whole word where
/// the term starts or ends with a Latin letter or digit ("Bloom" is not in
/// "Bloomberg"; it is in "Bloomの" and "«Bloom»").
pub fn contains_term(text: &str, term: &str) -> bool {
    let term = term.trim();
    if term.is_empty() {
        return false;
    }
    let text: Vec<char> = text.to_lowercase().chars().collect();
    let term: Vec<char> = term.to_lowercase().chars().collect();
    if term.len() > text.len() {
        return false;
    }
    let edge = |c: Option<&char>| c.is_some_and(char::is_ascii_alphanumeric);
    let starts_word = term.first().is_some_and(char::is_ascii_alphanumeric);
    let ends_word = term.last().is_some_and(char::is_ascii_alphanumeric);
    (0..=text.len() - term.len()).any(|at| {
        text[at..at + term.len()] == term[..]
            && !(starts_word && at > 0 && edge(text.get(at - 1)))
            && !(ends_word && edge(text.get(at + term.len())))
    })
}

/// Lines a job would speak that nobody has approved yet: translated lines
/// still as proposed. Lines typed by hand need no approval.
pub fn unapproved(dialogue: &[crate::DialogueLine]) -> Vec<Language> {
    dialogue
        .iter()
        .filter(|line| {
            !line.text.trim().is_empty()
                && line
                    .localized
                    .as_ref()
                    .is_some_and(|l| !l.status.is_approved())
        })
        .map(|line| line.language)
        .collect()
}

/// Languages named as a sentence lists them: "German, French and Japanese".
pub fn language_list(languages: &[Language]) -> String {
    let names: Vec<&str> = languages.iter().map(|l| l.display_name()).collect();
    match names.as_slice() {
        [] => String::new(),
        [one] => (*one).to_string(),
        [first @ .., last] => format!("{} and {last}", first.join(", ")),
    }
}

/// "The German and Japanese lines are translations nobody has approved
/// yet": for the question before generating and the server's refusal.
pub fn unapproved_sentence(languages: &[Language]) -> String {
    let which = language_list(languages);
    if languages.len() == 1 {
        format!("The {which} line is a translation nobody has approved yet")
    } else {
        format!("The {which} lines are translations nobody has approved yet")
    }
}

/// What the studio asks for: `source` translated into each of `targets`,
/// fitted to a clip of `duration_s` seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TranslateRequest {
    pub source: crate::DialogueLine,
    pub targets: Vec<Language>,
    pub duration_s: u32,
}

/// Most languages one Translate asks for (every other language).
pub const MAX_TARGETS: usize = Language::ALL.len() - 1;

impl TranslateRequest {
    /// What is wrong with the request, each problem at its field.
    pub fn problems(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        if self.source.text.trim().is_empty() {
            problems.push(Problem::error(
                "source.text",
                "Write the line to translate first",
            ));
        }
        if self.targets.is_empty() {
            problems.push(Problem::error(
                "targets",
                "Choose at least one other language",
            ));
        }
        for (i, target) in self.targets.iter().enumerate() {
            if *target == self.source.language {
                problems.push(Problem::error(
                    format!("targets[{i}]"),
                    format!("The line is already in {}", target.display_name()),
                ));
            } else if self.targets[..i].contains(target) {
                problems.push(Problem::error(
                    format!("targets[{i}]"),
                    format!("{} is asked for twice", target.display_name()),
                ));
            }
        }
        problems
    }
}

/// One language's proposal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProposedLine {
    pub language: Language,
    /// The proposal (the shortest tried when none fitted); empty when the
    /// engine failed (`error`).
    pub text: String,
    /// Engine id and its name for people.
    pub engine: String,
    pub engine_name: String,
    /// The proposal translated back into the source language.
    #[serde(default)]
    pub back_translation: Option<String>,
    /// Spoken length with the draft voice, and whether it fits the clip.
    pub seconds: f32,
    pub fits: bool,
    /// How many times the engine was asked (1 when the first fitted).
    pub tries: u32,
    /// Glossary terms the proposal lost, as they should have read.
    #[serde(default)]
    pub dropped_terms: Vec<String>,
    /// What the engine calls for this line cost (proposal, retries and the
    /// back-translation), in micro-dollars.
    pub cost_usd_micros: u64,
    /// Why there is no proposal, in words a person can act on.
    #[serde(default)]
    pub error: Option<String>,
    /// Anything else the speech check said (unpronounceable characters).
    #[serde(default)]
    pub note: Option<String>,
}

impl ProposedLine {
    /// "4.1 s of 5 s".
    pub fn fit_text(&self, duration_s: u32) -> String {
        format!("{:.1} s of {duration_s} s", self.seconds)
    }

    /// Where the proposal came from, still to be approved.
    pub fn provenance(&self, source: &crate::DialogueLine) -> Localized {
        Localized {
            from: source.language,
            source_text: source.text.clone(),
            engine: self.engine.clone(),
            status: LineStatus::Proposed,
            back_translation: self.back_translation.clone(),
            approved_by: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TranslateResponse {
    pub lines: Vec<ProposedLine>,
    /// The whole Translate's cost, in micro-dollars.
    pub cost_usd_micros: u64,
}

/// A translation's cost as people read it: to the cent like every price
/// in the studio, and to a hundredth of a cent below one ("$0.0004"), since
/// a line often costs less than a cent.
pub fn cost_text(usd_micros: u64) -> String {
    if usd_micros >= 10_000 {
        return crate::access::dollars(usd_micros);
    }
    let hundredths_of_cents = usd_micros.div_ceil(100);
    format!("$0.{hundredths_of_cents:04}")
}

/// One translation engine as the studio lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EngineView {
    pub id: String,
    pub name: String,
    pub available: bool,
    /// Why it is unavailable ("Set DEEPL_API_KEY to use DeepL").
    #[serde(default)]
    pub reason: Option<String>,
    /// The languages it cannot translate to or from.
    #[serde(default)]
    pub lacks: Vec<Language>,
}

/// `GET /api/translate/engines`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Engines {
    pub engines: Vec<EngineView>,
}

impl Engines {
    /// Why Translate cannot run at all, or `None` when some engine can.
    pub fn why_not(&self) -> Option<String> {
        if self.engines.iter().any(|e| e.available) {
            return None;
        }
        let mut how = String::new();
        for reason in self.engines.iter().filter_map(|e| e.reason.as_deref()) {
            how.push(' ');
            how.push_str(reason.trim_end_matches('.'));
            how.push('.');
        }
        Some(format!(
            "No translation engine is set up on this server.{how} Until then, write each line by hand."
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DialogueLine;

    fn glossary() -> Glossary {
        Glossary {
            terms: vec![
                GlossaryTerm {
                    term: "Bloom".into(),
                    translations: BTreeMap::new(),
                },
                GlossaryTerm {
                    term: "free delivery".into(),
                    translations: BTreeMap::from([
                        (Language::German, "kostenlose Lieferung".into()),
                        (Language::Japanese, "送料無料".into()),
                    ]),
                },
            ],
        }
    }

    #[test]
    fn terms_are_whole_words_in_latin_scripts_and_found_inside_cjk() {
        assert!(contains_term("Fresh tulips from Bloom.", "bloom"));
        assert!(!contains_term("Bloomberg reports", "Bloom"));
        assert!(contains_term("Bloomの花", "Bloom"));
        assert!(contains_term("«Bloom»", "Bloom"));
        assert!(contains_term("毎朝、送料無料で", "送料無料"));
        assert!(!contains_term("", "Bloom"));
        assert!(!contains_term("Bloom", " "));
    }

    #[test]
    fn pairs_and_dropped_terms_follow_the_target_language() {
        let g = glossary();
        let line = "Bloom tulips, with free delivery.";
        let de = g.pairs_for(Language::English, line, Language::German);
        assert_eq!(
            de,
            vec![
                TermPair {
                    source: "Bloom".into(),
                    target: "Bloom".into()
                },
                TermPair {
                    source: "free delivery".into(),
                    target: "kostenlose Lieferung".into()
                },
            ]
        );
        assert_eq!(
            g.dropped(
                Language::English,
                line,
                Language::German,
                "Tulpen von Blum, kostenlose Lieferung."
            ),
            vec!["Bloom".to_string()],
            "a brand translated away is flagged"
        );
        assert!(
            g.dropped(
                Language::English,
                line,
                Language::Japanese,
                "Bloomのチューリップ、送料無料。"
            )
            .is_empty()
        );
        // A French line has no fixed translation: the term stays as written.
        assert_eq!(
            g.pairs_for(Language::English, line, Language::French)[1].target,
            "free delivery"
        );
    }

    #[test]
    fn a_glossary_explains_what_is_wrong_where() {
        let mut g = glossary();
        g.terms.push(GlossaryTerm {
            term: " bloom ".into(),
            translations: BTreeMap::from([(Language::Korean, " ".into())]),
        });
        g.terms.push(GlossaryTerm {
            term: String::new(),
            translations: BTreeMap::new(),
        });
        let problems = g.problems();
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            vec!["terms[2].term", "terms[2].translations.ko", "terms[3].term"]
        );
        assert!(problems[0].message.contains("already term 1"));
        assert!(glossary().problems().is_empty());
    }

    #[test]
    fn only_proposed_translations_wait_for_approval() {
        let source = DialogueLine::new(Language::English, "Fresh tulips");
        let proposal = ProposedLine {
            language: Language::German,
            text: "Frische Tulpen".into(),
            engine: "deepl".into(),
            engine_name: "DeepL".into(),
            back_translation: Some("Fresh tulips".into()),
            seconds: 2.0,
            fits: true,
            tries: 1,
            dropped_terms: Vec::new(),
            cost_usd_micros: 10,
            error: None,
            note: None,
        };
        let mut de = DialogueLine {
            language: proposal.language,
            text: proposal.text.clone(),
            localized: Some(proposal.provenance(&source)),
        };
        let dialogue = vec![source.clone(), de.clone()];
        assert_eq!(unapproved(&dialogue), vec![Language::German]);
        if let Some(l) = de.localized.as_mut() {
            l.status = LineStatus::Edited;
        }
        assert!(unapproved(&[source, de]).is_empty());
    }

    #[test]
    fn a_translate_request_names_its_problems() {
        let request = TranslateRequest {
            source: DialogueLine::new(Language::English, " "),
            targets: vec![Language::German, Language::English, Language::German],
            duration_s: 5,
        };
        let fields: Vec<String> = request.problems().into_iter().map(|p| p.field).collect();
        assert_eq!(fields, vec!["source.text", "targets[1]", "targets[2]"]);
    }

    #[test]
    fn languages_read_as_a_sentence() {
        use Language::{French, German, Japanese};
        assert_eq!(language_list(&[German]), "German");
        assert_eq!(
            language_list(&[German, French, Japanese]),
            "German, French and Japanese"
        );
        assert_eq!(
            unapproved_sentence(&[German, Japanese]),
            "The German and Japanese lines are translations nobody has approved yet"
        );
    }

    #[test]
    fn small_costs_keep_their_digits() {
        assert_eq!(cost_text(0), "$0.0000");
        assert_eq!(cost_text(420), "$0.0005");
        assert_eq!(cost_text(9_999), "$0.0100");
        assert_eq!(cost_text(1_230_000), "$1.23");
    }

    #[test]
    fn no_engine_says_why_and_what_to_do() {
        let engines = Engines {
            engines: vec![EngineView {
                id: "deepl".into(),
                name: "DeepL".into(),
                available: false,
                reason: Some("Set DEEPL_API_KEY to use DeepL".into()),
                lacks: vec![Language::Cantonese],
            }],
        };
        assert_eq!(
            engines.why_not().as_deref(),
            Some(
                "No translation engine is set up on this server. Set DEEPL_API_KEY to use DeepL. Until then, write each line by hand."
            )
        );
    }
}
