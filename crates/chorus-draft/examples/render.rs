//! Renders one take to a file: `render OUT.mp4 [lang] [text] [mode] [ratio] [res] [secs] [fps]`.
use chorus_core::{AspectRatio, GenerationRequest, Language, Mode, Resolution};
use chorus_draft::{RenderInput, RenderOptions, render};

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let arg = |i: usize, d: &str| a.get(i).cloned().unwrap_or_else(|| d.to_owned());
    let out = arg(1, "/tmp/draft.mp4");
    let lang = Language::from_code(&arg(2, "en")).expect("language");
    let text = arg(
        3,
        "Hello! Welcome to Chorus, where every video speaks your language.",
    );
    let mut req = GenerationRequest::new("draft");
    req.mode = Mode::parse(&arg(4, "t2v")).expect("mode");
    req.aspect_ratio = AspectRatio::parse(&arg(5, "16:9")).expect("ratio");
    req.resolution = Resolution::parse(&arg(6, "720p")).expect("res");
    req.duration_s = arg(7, "5").parse().expect("secs");
    req.fps = Some(arg(8, "25").parse().expect("fps"));
    req.prompt = "A cheerful fox explains solar panels on a sunny rooftop garden".into();
    req.seed = Some(arg(9, "7").parse().expect("seed"));
    req.captions = true;
    let references = a
        .get(10)
        .map(|p| vec![std::fs::read(p).expect("image")])
        .unwrap_or_default();
    let input = RenderInput {
        request: req,
        line: Some((lang, text)),
        references,
        options: RenderOptions::default(),
    };
    let t = std::time::Instant::now();
    let r = render(&input, &mut |_| {}).expect("renders");
    eprintln!(
        "rendered {}x{} in {:?}, {} bytes",
        r.width,
        r.height,
        t.elapsed(),
        r.mp4.len()
    );
    std::fs::write(&out, &r.mp4).expect("write");
    std::fs::write(
        format!("{out}.json"),
        serde_json::to_string_pretty(&r.sidecar).expect("json"),
    )
    .expect("write");
}
