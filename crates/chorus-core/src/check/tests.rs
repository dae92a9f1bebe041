use proptest::prelude::*;

use super::*;
use crate::model::{DRAFT_MODEL_ID, registry};
use crate::{AspectRatio, DialogueLine, Language, Resolution};

fn happyhorse() -> ModelSpec {
    registry()
        .into_iter()
        .find(|m| m.id == "happyhorse-1.1@fal")
        .expect("registered")
}

fn draft() -> ModelSpec {
    registry()
        .into_iter()
        .find(|m| m.id == DRAFT_MODEL_ID)
        .expect("registered")
}

fn valid() -> GenerationRequest {
    let mut req = GenerationRequest::new("happyhorse-1.1@fal");
    req.prompt = "A barista hands over a cup and smiles".into();
    req.dialogue = vec![DialogueLine::new(Language::English, "Your usual?")];
    req
}

fn fields(problems: &[Problem]) -> Vec<&str> {
    problems.iter().map(|p| p.field.as_str()).collect()
}

#[test]
fn a_valid_request_has_no_problems() {
    assert_eq!(check_request(&valid(), &happyhorse()), vec![]);
}

#[test]
fn duration_message_names_the_model_and_range() {
    let mut req = valid();
    req.duration_s = 20;
    let problems = check_request(&req, &happyhorse());
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].field, "duration_s");
    assert_eq!(
        problems[0].message,
        "Duration 20 s is longer than HappyHorse 1.1 allows (3–15 s)"
    );
    req.duration_s = 2;
    assert_eq!(
        check_request(&req, &happyhorse())[0].message,
        "Duration 2 s is shorter than HappyHorse 1.1 allows (3–15 s)"
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let mut req = valid();
    req.prompt = "x".repeat(2613);
    req.duration_s = 20;
    req.audio = false;
    req.seed = Some(-4);
    req.mode = Mode::ImageToVideo;
    let problems = check_request(&req, &happyhorse());
    let f = fields(&problems);
    for expected in [
        "prompt",
        "references",
        "dialogue",
        "duration_s",
        "audio",
        "seed",
    ] {
        assert!(f.contains(&expected), "missing {expected} in {f:?}");
    }
    let prompt = problems
        .iter()
        .find(|p| p.field == "prompt")
        .expect("prompt problem");
    assert_eq!(
        prompt.message,
        "Prompt is 2,613 characters; HappyHorse 1.1 takes at most 2,500 (remove 113)"
    );
}

#[test]
fn prompt_length_counts_characters_not_bytes() {
    let mut req = valid();
    req.prompt = "猫".repeat(2500);
    assert!(is_acceptable(&check_request(&req, &happyhorse())));
    req.prompt.push('猫');
    assert!(!is_acceptable(&check_request(&req, &happyhorse())));
}

#[test]
fn reference_counts_per_mode() {
    let model = happyhorse();
    let mut req = valid();
    req.references = vec!["a".into()];
    assert_eq!(fields(&check_request(&req, &model)), vec!["references"]);

    req.mode = Mode::ImageToVideo;
    assert!(check_request(&req, &model).is_empty());
    req.references.push("b".into());
    assert_eq!(
        check_request(&req, &model)[0].message,
        "Image to video needs exactly one start image (you have 2)"
    );

    req.mode = Mode::ReferenceToVideo;
    req.references = (0..9).map(|i| format!("img{i}")).collect();
    assert!(check_request(&req, &model).is_empty());
    req.references.push("img9".into());
    assert_eq!(
        check_request(&req, &model)[0].message,
        "Reference to video takes 1–9 reference images (you have 10)"
    );
    req.references.clear();
    assert!(!is_acceptable(&check_request(&req, &model)));
}

#[test]
fn prompt_naming_a_missing_character_is_a_warning() {
    let mut req = valid();
    req.mode = Mode::ReferenceToVideo;
    req.references = vec!["a".into(), "b".into()];
    req.prompt = "character1 hands character3 a parcel; character2 waves".into();
    let problems = check_request(&req, &happyhorse());
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].severity, Severity::Warning);
    assert!(problems[0].message.contains("character3"));
    assert!(is_acceptable(&problems));
}

#[test]
fn dialogue_rules() {
    let mut req = valid();
    req.dialogue
        .push(DialogueLine::new(Language::English, "Again"));
    req.dialogue.push(DialogueLine::new(Language::German, "  "));
    let problems = check_request(&req, &happyhorse());
    assert_eq!(
        fields(&problems),
        vec!["dialogue[1].language", "dialogue[2].text"]
    );
    assert_eq!(
        problems[1].message,
        "Write the German line, or remove German"
    );
}

#[test]
fn audio_switches() {
    let mut req = valid();
    req.dialogue.clear();
    req.audio = false;
    let problems = check_request(&req, &happyhorse());
    assert_eq!(fields(&problems), vec!["audio"]);
    req.model = DRAFT_MODEL_ID.into();
    assert!(check_request(&req, &draft()).is_empty());
}

#[test]
fn unknown_and_unavailable_models() {
    let mut req = valid();
    req.model = "nope".into();
    let problems = check_with_registry(&req, &registry());
    assert_eq!(fields(&problems), vec!["model"]);

    let mut model = happyhorse();
    model.available = false;
    model.unavailable_reason = Some("FAL_KEY is not set".into());
    let problems = check_request(&valid(), &model);
    assert_eq!(
        problems[0].message,
        "HappyHorse 1.1 (fal) can't be used right now: FAL_KEY is not set"
    );
}

#[test]
fn restricted_ratio_lists_the_choices() {
    let mut model = happyhorse();
    model.aspect_ratios = vec![
        AspectRatio::Landscape16x9,
        AspectRatio::Portrait9x16,
        AspectRatio::Square,
    ];
    let mut req = valid();
    req.aspect_ratio = AspectRatio::Cinema21x9;
    assert_eq!(
        check_request(&req, &model)[0].message,
        "HappyHorse 1.1 doesn't offer 21:9; choose 16:9, 9:16 or 1:1"
    );
}

#[test]
fn fps_must_be_on_offer() {
    let mut req = valid();
    req.model = DRAFT_MODEL_ID.into();
    req.fps = Some(25);
    assert!(check_request(&req, &draft()).is_empty());
    req.fps = Some(60);
    assert_eq!(
        check_request(&req, &draft())[0].message,
        "Chorus Draft doesn't render at 60 fps; choose 24 fps, 25 fps or 30 fps"
    );
}

#[test]
fn mentions_are_parsed() {
    assert_eq!(
        mentioned_characters("character2 and character10, character2"),
        vec![2, 10]
    );
    assert_eq!(
        mentioned_characters("characters everywhere"),
        Vec::<usize>::new()
    );
}

fn arb_request() -> impl Strategy<Value = GenerationRequest> {
    (
        prop::sample::select(Mode::ALL.to_vec()),
        ".{0,40}",
        0usize..12,
        prop::collection::vec(
            (prop::sample::select(Language::ALL.to_vec()), ".{0,20}"),
            0..9,
        ),
        0u32..40,
        prop::sample::select(Resolution::ALL.to_vec()),
        prop::sample::select(AspectRatio::ALL.to_vec()),
        any::<bool>(),
        prop::option::of(-10i64..3_000_000_000),
    )
        .prop_map(
            |(mode, prompt, refs, lines, duration_s, resolution, aspect_ratio, audio, seed)| {
                GenerationRequest {
                    model: "happyhorse-1.1@fal".into(),
                    mode,
                    prompt,
                    negative_prompt: String::new(),
                    references: (0..refs).map(|i| format!("asset{i}")).collect(),
                    dialogue: lines
                        .into_iter()
                        .map(|(language, text)| DialogueLine::new(language, text))
                        .collect(),
                    duration_s,
                    resolution,
                    aspect_ratio,
                    audio,
                    seed,
                    fps: None,
                    captions: false,
                }
            },
        )
}

proptest! {
    #[test]
    fn duration_errors_exactly_when_out_of_range(req in arb_request()) {
        let problems = check_request(&req, &happyhorse());
        let has = problems.iter().any(|p| p.field == "duration_s");
        prop_assert_eq!(has, !(3..=15).contains(&req.duration_s));
    }

    #[test]
    fn every_problem_names_a_real_field_and_says_something(req in arb_request()) {
        for p in check_request(&req, &happyhorse()) {
            let root = p.field.split(['[', '.']).next().unwrap_or_default();
            prop_assert!(
                ["model", "mode", "prompt", "negative_prompt", "references", "dialogue",
                 "duration_s", "resolution", "aspect_ratio", "audio", "seed", "fps"].contains(&root),
                "unknown field {}", p.field
            );
            prop_assert!(p.message.len() > 10);
        }
    }

    #[test]
    fn checking_survives_a_json_round_trip(req in arb_request()) {
        let json = serde_json::to_string(&req).expect("serialises");
        let back: GenerationRequest = serde_json::from_str(&json).expect("parses");
        prop_assert_eq!(check_request(&back, &happyhorse()), check_request(&req, &happyhorse()));
    }
}
