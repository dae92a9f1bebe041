//! What a job is found by in the Library: its words (the prompt, every
//! spoken line, imported clips' file names) lower-cased as stored, and the
//! languages its takes speak. Both are written with the job, so a search is
//! one `LIKE` per word on both databases.

use chorus_core::{GenerationRequest, JobOutput, Language};

/// The text `q=` searches: prompt, lines and file names, folded
/// (Unicode-aware: "Tulpen" and "TULPEN" are both found by "tulpen").
pub fn text_of(request: &GenerationRequest, outputs: &[JobOutput]) -> String {
    let mut parts: Vec<&str> = vec![request.prompt.as_str()];
    parts.extend(request.dialogue.iter().map(|line| line.text.as_str()));
    parts.extend(outputs.iter().filter_map(|o| o.name.as_deref()));
    fold(&parts.join("\n"))
}

/// Text as searches compare it: lower case, and German's ß as "ss" (what
/// Unicode's case folding does, so "GRÜSSE" and "Grüße" meet).
fn fold(text: &str) -> String {
    text.to_lowercase().replace('ß', "ss")
}

/// The languages of the job's lines and takes as `,en,de,`, so that
/// `languages LIKE '%,de,%'` finds German.
pub fn languages_of(request: &GenerationRequest, outputs: &[JobOutput]) -> String {
    let mut spoken: Vec<Language> = request
        .dialogue
        .iter()
        .map(|line| line.language)
        .chain(outputs.iter().filter_map(|o| o.language))
        .collect();
    spoken.sort_unstable();
    spoken.dedup();
    let codes: Vec<&str> = spoken.into_iter().map(Language::code).collect();
    if codes.is_empty() {
        String::new()
    } else {
        format!(",{},", codes.join(","))
    }
}

/// The `LIKE` pattern that finds `language` in a `languages_of` value.
pub fn language_pattern(language: Language) -> String {
    format!("%,{},%", language.code())
}

/// The words of a query, lower-cased like `text_of`; a job matches when
/// its text holds every one.
pub fn words(query: &str) -> Vec<String> {
    fold(query).split_whitespace().map(str::to_string).collect()
}

/// A `LIKE … ESCAPE '\'` pattern finding `word` anywhere, with `%`, `_`
/// and `\` in it taken literally.
pub fn contains_pattern(word: &str) -> String {
    let mut pattern = String::with_capacity(word.len() + 2);
    pattern.push('%');
    for c in word.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

#[cfg(test)]
mod tests {
    use super::*;
    use chorus_core::DialogueLine;

    #[test]
    fn text_and_languages_of_a_request() {
        let mut request = GenerationRequest::new("draft");
        request.prompt = "A florist's SHOP".into();
        request.dialogue = vec![
            DialogueLine::new(Language::German, "Frische TULPEN"),
            DialogueLine::new(Language::English, "Fresh tulips"),
        ];
        let text = text_of(&request, &[]);
        assert!(text.contains("frische tulpen"), "{text}");
        assert!(text.contains("a florist's shop"), "{text}");
        assert_eq!(languages_of(&request, &[]), ",en,de,");
        assert_eq!(language_pattern(Language::German), "%,de,%");
    }

    #[test]
    fn patterns_take_wildcards_literally() {
        assert_eq!(contains_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
        assert_eq!(words("  Grüße   AUS  "), ["grüsse", "aus"]);
    }
}
