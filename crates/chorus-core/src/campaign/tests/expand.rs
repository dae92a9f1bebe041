use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::campaign::{
    CampaignSpec, DEFAULT_NAME_PATTERN, Expansion, MeasuredFit, NoFit, Readiness, Sheet,
    bench_spec, expand,
};
use crate::{AspectRatio, DialogueLine, GenerationRequest, Language, Mode, Severity, registry};

use AspectRatio::{Portrait9x16, Square};
use Language::{English, French, German, Japanese};

const HAPPYHORSE: &str = "happyhorse-1.1@fal";

fn template(model: &str) -> GenerationRequest {
    let mut template = GenerationRequest::new(model);
    template.prompt = "A {{ Product }} on a table, soft light".into();
    template.dialogue = vec![
        DialogueLine::new(English, "Meet the {{product}}."),
        DialogueLine::new(German, "Das ist der {{product}}."),
    ];
    template
}

fn spec(sheet: &str, languages: &[Language], ratios: &[AspectRatio]) -> CampaignSpec {
    CampaignSpec {
        name: "Spring".into(),
        template: template("draft"),
        languages: languages.to_vec(),
        ratios: ratios.to_vec(),
        sheet: Sheet::parse(sheet.as_bytes()).unwrap_or_else(|p| panic!("sheet: {p:?}")),
        budget_cap_usd_micros: None,
        name_pattern: DEFAULT_NAME_PATTERN.into(),
    }
}

fn run(spec: &CampaignSpec) -> Expansion {
    expand(spec, &registry(), &BTreeMap::new(), &NoFit)
}

/// Every problem in the expansion, campaign-wide then per variant, as a
/// person reads it.
fn said(expansion: &Expansion) -> Vec<String> {
    let mut out: Vec<String> = expansion.problems.iter().map(ToString::to_string).collect();
    for v in &expansion.variants {
        for p in &v.problems {
            let line = p.describe(v.row);
            if !out.contains(&line) {
                out.push(line);
            }
        }
    }
    out
}

#[test]
fn three_rows_in_two_languages_and_two_ratios_make_twelve_ready_variants() {
    let spec = spec(
        "product,line:de\nTrail shoe,Der Laufschuh ist da.\nTravel mug,\nRain jacket,Die Regenjacke.\n",
        &[English, German],
        &[Portrait9x16, Square],
    );
    let expansion = run(&spec);
    assert_eq!(said(&expansion), Vec::<String>::new());
    assert_eq!(expansion.variants.len(), 12);
    assert_eq!(
        (
            expansion.counts.ready,
            expansion.counts.warning,
            expansion.counts.blocked
        ),
        (12, 0, 0)
    );
    // The draft engine is free.
    assert_eq!(expansion.total_usd_micros, 0);
    assert_eq!(expansion.per_model, [("draft".to_string(), 0)]);
    assert_eq!(expansion.per_language, [(English, 0), (German, 0)]);

    let order: Vec<(u32, Language, AspectRatio)> = expansion
        .variants
        .iter()
        .map(|v| (v.row, v.language, v.ratio))
        .collect();
    assert_eq!(
        &order[..4],
        [
            (2, English, Portrait9x16),
            (2, English, Square),
            (2, German, Portrait9x16),
            (2, German, Square)
        ]
    );
    assert_eq!(order[11], (4, German, Square));

    let de_mug = &expansion.variants[6];
    assert_eq!(
        (de_mug.row, de_mug.language, de_mug.ratio),
        (3, German, Portrait9x16)
    );
    assert_eq!(de_mug.request.prompt, "A Travel mug on a table, soft light");
    // No line in the sheet for this row: the template's, filled.
    assert_eq!(
        de_mug.request.dialogue,
        [DialogueLine::new(German, "Das ist der Travel mug.")]
    );
    assert_eq!(de_mug.request.aspect_ratio, Portrait9x16);
    assert_eq!(de_mug.readiness, Readiness::Ready);
    // The sheet's line wins where it has one.
    assert_eq!(expansion.variants[2].line(), "Der Laufschuh ist da.");
    assert_eq!(expansion.variants[0].line(), "Meet the Trail shoe.");
    assert!(
        expansion
            .variants
            .iter()
            .all(|v| v.fit_pending && v.fit_seconds.is_none())
    );
}

#[test]
fn costs_add_up_per_model_and_language() {
    let mut spec = spec(
        "product\nShoe\nMug\n",
        &[English, German, Japanese],
        &[Square],
    );
    spec.template.model = HAPPYHORSE.into();
    spec.template
        .dialogue
        .push(DialogueLine::new(Japanese, "{{product}}です。"));
    spec.template.resolution = crate::Resolution::P1080;
    let expansion = run(&spec);
    assert_eq!(said(&expansion), Vec::<String>::new());
    // 5 s × $0.18/s at 1080p, one take each.
    assert!(
        expansion
            .variants
            .iter()
            .all(|v| v.cost_usd_micros == 900_000)
    );
    assert_eq!(expansion.total_usd_micros, 6 * 900_000);
    assert_eq!(expansion.per_model, [(HAPPYHORSE.to_string(), 5_400_000)]);
    assert_eq!(
        expansion.per_language,
        [
            (English, 1_800_000),
            (German, 1_800_000),
            (Japanese, 1_800_000)
        ]
    );

    spec.budget_cap_usd_micros = Some(5_000_000);
    let capped = run(&spec);
    assert_eq!(
        said(&capped),
        [
            "budget_cap: the campaign is estimated at $5.40; its cap of $5.00 sends only what fits and holds the rest"
        ]
    );
    // Over its cap, a campaign still runs: what does not fit waits.
    assert_eq!(capped.counts.blocked, 0);
    assert!(!capped.is_blocked());
}

#[test]
fn a_warning_lets_a_variant_run() {
    let mut spec = spec("product\nShoe\n", &[English], &[Square]);
    spec.template.model = HAPPYHORSE.into();
    spec.template.negative_prompt = "no {{product}} logos".into();
    let expansion = run(&spec);
    assert_eq!(
        said(&expansion),
        ["row 2, negative_prompt (template): HappyHorse 1.1 ignores the negative prompt"]
    );
    let v = &expansion.variants[0];
    assert_eq!(v.problems[0].severity, Severity::Warning);
    assert_eq!(v.readiness, Readiness::Warning);
    assert_eq!(v.request.negative_prompt, "no Shoe logos");
    assert_eq!(expansion.counts.warning, 1);
    assert!(!expansion.is_blocked());
}

#[test]
fn a_thousand_variants_expand_in_shape() {
    let spec = bench_spec(250);
    let expansion = run(&spec);
    assert_eq!(expansion.variants.len(), 1000);
    // The bench sheet's notes column is unused on purpose.
    assert_eq!(said(&expansion), ["notes: column notes is not used"]);
    assert_eq!(expansion.counts.ready, 1000);
    assert_eq!(expansion.total_usd_micros, 1000 * 700_000);
    let rows: Vec<u32> = expansion
        .variants
        .iter()
        .step_by(4)
        .map(|v| v.row)
        .collect();
    assert_eq!(rows, (2..252).collect::<Vec<u32>>());
    // Every other row has its own German line; the others share the
    // template's, filled per product, so lines repeat across products.
    let lines = expansion.lines_to_measure();
    assert!(lines.len() < 500, "{} lines", lines.len());
    let unique: std::collections::BTreeSet<_> = lines.iter().collect();
    assert_eq!(unique.len(), lines.len());
}

#[test]
fn template_problems_name_the_field() {
    let mut spec = spec("product\nShoe\n", &[English, German], &[Square]);
    spec.template.prompt = "A {{product on a table".into();
    spec.template.dialogue[1].text = "Hallo {{ }}".into();
    spec.template.negative_prompt = "no {{colour}}".into();
    let expansion = run(&spec);
    assert_eq!(
        said(&expansion)[..3],
        [
            "prompt: the prompt has {{product on a table with no closing }}; write {{column}}",
            "negative_prompt: the negative prompt uses {{colour}}, but the sheet has no colour column",
            "dialogue.de: the German line has an empty {{ }}; put a column name inside",
        ]
    );
    // A template-wide error blocks every variant.
    assert!(expansion.is_blocked());
    assert_eq!(expansion.counts.blocked, 2);
    assert_eq!(expansion.counts.ready, 0);
}

#[test]
fn an_empty_cell_for_a_placeholder_is_its_rows_problem() {
    let mut spec = spec(
        "product,colour,line:de\nShoe,red,Hallo\n\n,blue,Tschüss\n\n\n,green,\n",
        &[English, German],
        &[Square],
    );
    spec.template.prompt = "A {{ Product }} in {{colour}}".into();
    let expansion = run(&spec);
    assert_eq!(
        said(&expansion),
        [
            "row 4, product: empty, but the prompt uses {{Product}}",
            "row 7, product: empty, but the prompt uses {{Product}}",
        ]
    );
    let row7: Vec<&crate::campaign::Variant> =
        expansion.variants.iter().filter(|v| v.row == 7).collect();
    // Row 7 has no German line either: the template's, which needs product
    // too, is used; the empty cell is said once per variant.
    assert_eq!(row7.len(), 2);
    assert!(row7.iter().all(|v| v.problems.len() == 1));
    assert_eq!(row7[1].line(), "Das ist der .");
    assert_eq!((expansion.counts.ready, expansion.counts.blocked), (2, 4));
}

#[test]
fn columns_that_nothing_uses_are_warnings() {
    let spec = spec(
        "product,notes,line:ja,image\nShoe,call Anna,こんにちは,shoe.png\n",
        &[English],
        &[Square],
    );
    let expansion = run(&spec);
    assert_eq!(
        said(&expansion),
        [
            "row 1, line:ja: column line:ja is not used: Japanese is not one of the campaign's languages",
            "notes: column notes is not used",
            "image: column image is not used: the template is text to video, which takes no images",
        ]
    );
    assert!(!expansion.is_blocked());
    assert!(
        expansion
            .variants
            .iter()
            .all(|v| v.readiness == Readiness::Ready)
    );
}

#[test]
fn an_unknown_language_column_blocks_the_campaign() {
    let spec = spec(
        "product,line:xx,Line:DE\nShoe,?,Hallo\n",
        &[German],
        &[Square],
    );
    let expansion = run(&spec);
    assert_eq!(
        said(&expansion),
        ["row 1, line:xx: unknown language xx (use en, zh, yue, ja, ko, de, fr)"]
    );
    assert_eq!(expansion.counts.blocked, 1);
    assert_eq!(expansion.variants[0].line(), "Hallo");

    let blank = spec_with_columns("product,line:\nShoe,x\n");
    assert_eq!(
        said(&run(&blank)),
        [
            "row 1, line:: say which language after line: (use en, zh, yue, ja, ko, de, fr)",
            "row 2, line:zh: no Mandarin line",
        ]
    );

    let twice = spec_with_columns("product,line:zh,line:cmn\nShoe,你好,你好");
    assert_eq!(
        said(&run(&twice))[0],
        "row 1, line:cmn: Mandarin already has its lines in column line:zh; keep one"
    );
}

fn spec_with_columns(sheet: &str) -> CampaignSpec {
    spec(sheet, &[Language::Mandarin], &[Square])
}

#[test]
fn a_language_with_no_line_anywhere_is_an_error() {
    let spec = spec(
        "product,line:fr\nShoe,Bonjour\nMug,Salut\nCap,Coucou\nBag,\n",
        &[English, French],
        &[Square],
    );
    let expansion = run(&spec);
    assert_eq!(said(&expansion), ["row 5, line:fr: no French line"]);
    // Without a column, the error names the column to add.
    let spec2 = self::spec("product\nShoe\n", &[French], &[Square]);
    assert_eq!(said(&run(&spec2)), ["row 2, line:fr: no French line"]);
}

#[test]
fn images_come_from_the_uploads_by_file_name() {
    let mut spec = spec(
        "product,image\nShoe,shoe.png\nMug,mug.png\nCap,Cap.PNG\nBag,\n",
        &[English],
        &[Square],
    );
    spec.template.mode = Mode::ImageToVideo;
    let images: BTreeMap<String, String> = [
        ("shoe.png".to_string(), "asset-shoe".to_string()),
        ("cap.png".to_string(), "asset-cap".to_string()),
    ]
    .into();
    let expansion = expand(&spec, &registry(), &images, &NoFit);
    assert_eq!(
        said(&expansion),
        [
            "row 3, image: no uploaded image named mug.png",
            "row 3, image: Image to video needs exactly one start image (you have 0)",
            "row 5, image: Image to video needs exactly one start image (you have 0)",
        ]
    );
    assert_eq!(expansion.variants[0].request.references, ["asset-shoe"]);
    // Names match whatever their case.
    assert_eq!(expansion.variants[2].request.references, ["asset-cap"]);

    // Reference to video: referenceN fills character N.
    let mut spec = self::spec(
        "product,reference1,reference2\nShoe,shoe.png,\nCap,cap.png,missing.png\n",
        &[English],
        &[Square],
    );
    spec.template.mode = Mode::ReferenceToVideo;
    spec.template.prompt = "character1 holds a {{product}}, character2 waves".into();
    spec.template.references = vec!["asset-default".into(), "asset-friend".into()];
    let expansion = expand(&spec, &registry(), &images, &NoFit);
    assert_eq!(
        said(&expansion),
        ["row 3, reference2: no uploaded image named missing.png"]
    );
    assert_eq!(
        expansion.variants[0].request.references,
        ["asset-shoe", "asset-friend"]
    );
}

#[test]
fn a_line_that_does_not_fit_is_an_error_in_its_column() {
    let spec = spec(
        "product,line:de\nShoe,Ein sehr langer Satz über den Schuh.\nMug,\n",
        &[English, German],
        &[Portrait9x16, Square],
    );
    let mut fit = MeasuredFit::new();
    fit.insert(German, "Ein sehr langer Satz über den Schuh.", 7.94);
    fit.insert(English, "Meet the Shoe.", 1.6);
    fit.insert(English, "Meet the Mug.", 5.0);
    let expansion = expand(&spec, &registry(), &BTreeMap::new(), &fit);
    assert_eq!(
        said(&expansion),
        ["row 2, line:de: German needs 7.9 s; the clip is 5 s"]
    );
    let v = &expansion.variants[2];
    assert_eq!((v.row, v.language), (2, German));
    assert_eq!(v.fit_seconds, Some(7.94));
    assert!(!v.fit_pending);
    assert_eq!(v.readiness, Readiness::Blocked);
    // 5.0 s fits a 5 s clip exactly.
    assert_eq!(expansion.variants[4].fit_seconds, Some(5.0));
    assert_eq!(expansion.variants[4].readiness, Readiness::Ready);
    // Only the German template line of row 3 is left to measure, once for
    // both ratios.
    assert_eq!(
        expansion.lines_to_measure(),
        [(German, "Das ist der Mug.".to_string())]
    );

    // Without a line: column, the fit is the template line's.
    let spec = self::spec("product\nShoe\n", &[German], &[Square]);
    let mut fit = MeasuredFit::new();
    fit.insert(German, "Das ist der Shoe.", 6.0);
    let expansion = expand(&spec, &registry(), &BTreeMap::new(), &fit);
    assert_eq!(
        said(&expansion),
        ["row 2, template line (de): German needs 6.0 s; the clip is 5 s"]
    );
}

#[test]
fn check_problems_are_traced_to_the_sheet() {
    let mut spec = spec(
        "product,line:de\nShoe,\n",
        &[English, German],
        &[Portrait9x16],
    );
    spec.template.prompt = "{{product}} ".repeat(600);
    spec.template.duration_s = 40;
    let mut models = registry();
    models[0].aspect_ratios = vec![Square];
    let expansion = expand(&spec, &models, &BTreeMap::new(), &NoFit);
    let english = said(&Expansion {
        variants: vec![expansion.variants[0].clone()],
        ..Expansion::default()
    });
    assert_eq!(
        english,
        [
            "row 2, prompt (template): Prompt is 3,000 characters; Chorus Draft takes at most 2,500 (remove 500)",
            "row 2, duration_s (template): Duration 40 s is longer than Chorus Draft allows (3–15 s)",
            "row 2, ratios: Chorus Draft doesn't offer 9:16; choose 1:1",
        ]
    );

    // A line the sheet leaves empty and the template does not have.
    let mut spec = self::spec("product,line:de\nShoe,   \n", &[German], &[Square]);
    spec.template.dialogue[1].text = "  ".into();
    assert_eq!(said(&run(&spec)), ["row 2, line:de: no German line"]);

    // Turning audio off is the template's problem, said in its words.
    let mut spec = self::spec("product\nShoe\n", &[German], &[Square]);
    spec.template.audio = false;
    assert_eq!(
        said(&run(&spec)),
        [
            "row 2, audio (template): Audio is off, so nobody can speak these lines: turn Audio on or remove the languages"
        ]
    );
}

#[test]
fn too_many_variants_are_refused_without_expanding() {
    let mut text = String::from("product\n");
    for i in 0..700 {
        let _ = writeln!(text, "Shoe {i}");
    }
    let mut spec = spec(&text, &[English, German], &[Portrait9x16, Square]);
    spec.template.dialogue.clear();
    let expansion = run(&spec);
    assert_eq!(
        said(&expansion),
        [
            "the campaign makes 2,800 variants (700 rows × 2 languages × 2 ratios); a campaign makes at most 2,000"
        ]
    );
    assert!(expansion.variants.is_empty());
    assert_eq!(expansion.counts.blocked, 2800);
}

#[test]
fn the_campaigns_own_settings_are_checked() {
    let mut spec = spec("product\nShoe\n", &[English], &[Square]);
    spec.name = "  ".into();
    spec.languages = vec![German, German];
    spec.ratios = vec![];
    spec.budget_cap_usd_micros = Some(0);
    spec.name_pattern = "{campaign}_{row}.mp4".into();
    let problems: Vec<String> = spec.problems().iter().map(ToString::to_string).collect();
    assert_eq!(
        problems,
        [
            "name: name the campaign",
            "languages: German is chosen twice; keep one",
            "ratios: choose at least one aspect ratio",
            "budget_cap: a budget cap of $0.00 lets nothing run; raise it or remove the cap",
            "name_pattern: clips may get the same name: add {row}, {lang} and {ratio}, or {job}; repeated names get -2, -3, … before the extension",
        ]
    );
    spec.languages.clear();
    spec.name_pattern = "{campaign}_{sku}".into();
    let problems: Vec<String> = spec.problems().iter().map(ToString::to_string).collect();
    assert!(problems.contains(&"languages: choose at least one language".to_string()));
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("name_pattern: unknown placeholder {sku}")),
        "{problems:?}"
    );
    assert!(problems.iter().all(|p| !p.is_empty()));
    assert!(run(&spec).is_blocked());
}

#[test]
fn a_spec_round_trips_through_json_with_defaults() {
    let spec = spec("product\nShoe\n", &[English], &[Square]);
    let json = serde_json::to_string(&spec).expect("serialises");
    let back: CampaignSpec = serde_json::from_str(&json).expect("parses");
    assert_eq!(back, spec);
    let minimal: CampaignSpec = serde_json::from_str(
        r#"{"name":"x","template":{"model":"draft","mode":"text-to-video","prompt":"a",
            "duration_s":5,"resolution":"720p","aspect_ratio":"9:16"}}"#,
    )
    .expect("parses");
    assert_eq!(minimal.name_pattern, DEFAULT_NAME_PATTERN);
    assert!(minimal.sheet.rows.is_empty());
    let header_only = self::spec("product\n", &[English], &[Square]);
    assert_eq!(
        said(&run(&header_only)),
        ["the sheet has no rows below its header; add one row per product"]
    );
    let expansion = run(&spec);
    let json = serde_json::to_string(&expansion).expect("serialises");
    assert!(json.contains("\"readiness\":\"ready\""));
    assert_eq!(expansion.variants[0].problems.len(), 0);
}
