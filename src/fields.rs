//! Where on the Compose page a problem belongs. The checker and the server
//! name fields by their path in the request (`dialogue[1].text`); the page
//! shows each message next to the control that fixes it.

use chorus_core::{GenerationRequest, Language, Problem};

use crate::composition::Composition;

/// A place on the Compose page that can show problems.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Model,
    Mode,
    Prompt,
    NegativePrompt,
    References,
    Languages,
    /// The line of one language.
    Line(Language),
    Duration,
    Resolution,
    AspectRatio,
    Audio,
    Seed,
    /// Anything without a control of its own; shown beside Generate.
    General,
}

impl Field {
    /// Stable name used in `data-testid`s and element ids.
    pub fn slug(self) -> String {
        match self {
            Field::Model => "model".into(),
            Field::Mode => "mode".into(),
            Field::Prompt => "prompt".into(),
            Field::NegativePrompt => "negative-prompt".into(),
            Field::References => "references".into(),
            Field::Languages => "languages".into(),
            Field::Line(language) => format!("line-{}", language.code()),
            Field::Duration => "duration".into(),
            Field::Resolution => "resolution".into(),
            Field::AspectRatio => "aspect-ratio".into(),
            Field::Audio => "audio".into(),
            Field::Seed => "seed".into(),
            Field::General => "general".into(),
        }
    }

    /// Id of the control to focus when the person asks to fix this problem.
    pub fn control_id(self) -> String {
        format!("field-{}", self.slug())
    }
}

/// A problem placed on the page, remembering who found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlacedProblem {
    pub field: Field,
    pub problem: Problem,
    /// True when the server reported it (after the browser's check passed).
    pub from_server: bool,
}

/// The field a problem path such as `dialogue[1].text` points at, read
/// against the request it was found in (to know which language line 1 is).
pub fn field_of(path: &str, request: &GenerationRequest) -> Field {
    let (head, index, tail) = split_path(path);
    match head {
        "model" => Field::Model,
        "mode" => Field::Mode,
        "prompt" => Field::Prompt,
        "negative_prompt" => Field::NegativePrompt,
        "references" => Field::References,
        "dialogue" => match (index, tail) {
            (Some(i), "text") => request
                .dialogue
                .get(i)
                .map_or(Field::Languages, |line| Field::Line(line.language)),
            _ => Field::Languages,
        },
        "duration_s" => Field::Duration,
        "resolution" => Field::Resolution,
        "aspect_ratio" => Field::AspectRatio,
        "audio" => Field::Audio,
        "seed" => Field::Seed,
        _ => Field::General,
    }
}

/// Places each problem, in the order given.
pub fn place(
    problems: &[Problem],
    request: &GenerationRequest,
    from_server: bool,
) -> Vec<PlacedProblem> {
    problems
        .iter()
        .map(|p| PlacedProblem {
            field: field_of(&p.field, request),
            problem: p.clone(),
            from_server,
        })
        .collect()
}

/// True when a problem at `field` only says the field is still empty and the
/// person has not been there yet: a fresh page should not open in red. Such
/// problems show once the field is touched or Generate is tried.
pub fn waits_for_first_touch(field: Field, composition: &Composition) -> bool {
    match field {
        Field::Prompt => composition.prompt.trim().is_empty(),
        Field::Line(language) => composition
            .lines
            .get(&language)
            .is_none_or(|text| text.trim().is_empty()),
        _ => false,
    }
}

/// `dialogue[1].text` → ("dialogue", Some(1), "text"); `seed` → ("seed", None, "").
fn split_path(path: &str) -> (&str, Option<usize>, &str) {
    let path = path.trim();
    let head_end = path.find(['[', '.']).unwrap_or(path.len());
    let head = &path[..head_end];
    let mut rest = &path[head_end..];
    let mut index = None;
    if let Some(inner) = rest.strip_prefix('[')
        && let Some(close) = inner.find(']')
    {
        index = inner[..close].parse().ok();
        rest = &inner[close + 1..];
    }
    (head, index, rest.trim_start_matches('.'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chorus_core::DialogueLine;

    fn request() -> GenerationRequest {
        let mut req = GenerationRequest::new("draft");
        req.dialogue = vec![
            DialogueLine::new(Language::English, "Hi"),
            DialogueLine::new(Language::Japanese, String::new()),
        ];
        req
    }

    #[test]
    fn paths_map_to_their_controls() {
        let req = request();
        assert_eq!(field_of("duration_s", &req), Field::Duration);
        assert_eq!(field_of("prompt", &req), Field::Prompt);
        assert_eq!(field_of("references", &req), Field::References);
        assert_eq!(field_of("references[3]", &req), Field::References);
        assert_eq!(field_of("dialogue", &req), Field::Languages);
        assert_eq!(field_of("dialogue[0].language", &req), Field::Languages);
        assert_eq!(
            field_of("dialogue[1].text", &req),
            Field::Line(Language::Japanese)
        );
        assert_eq!(field_of("aspect_ratio", &req), Field::AspectRatio);
    }

    #[test]
    fn unknown_or_out_of_range_paths_still_land_somewhere_visible() {
        let req = request();
        assert_eq!(field_of("dialogue[7].text", &req), Field::Languages);
        assert_eq!(field_of("fps", &req), Field::General);
        assert_eq!(field_of("", &req), Field::General);
        assert_eq!(field_of("dialogue[x].text", &req), Field::Languages);
    }

    #[test]
    fn only_empty_text_fields_wait_for_a_touch() {
        let mut comp = Composition::default();
        assert!(waits_for_first_touch(Field::Prompt, &comp));
        assert!(waits_for_first_touch(Field::Line(Language::German), &comp));
        assert!(!waits_for_first_touch(Field::Duration, &comp));
        comp.prompt = "x".repeat(3000);
        assert!(
            !waits_for_first_touch(Field::Prompt, &comp),
            "too long is never pristine"
        );
    }

    #[test]
    fn slugs_name_lines_by_language_code() {
        assert_eq!(Field::Line(Language::Mandarin).slug(), "line-cmn");
        assert_eq!(Field::Duration.control_id(), "field-duration");
    }
}
