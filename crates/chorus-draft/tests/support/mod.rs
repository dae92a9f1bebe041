//! Test helpers: a minimal MP4 box reader and an AAC decode through symphonia,
//! so the tests check the files independently of the writer.

#![allow(
    dead_code,
    reason = "shared by several test files, each using only some helpers"
)]

use chorus_core::{AspectRatio, GenerationRequest, Language, Mode, Resolution};
use chorus_draft::{RenderInput, RenderOptions, Rendered, render};

/// Top-level and nested boxes as (path, payload), e.g. ("moov/trak/tkhd", bytes).
pub fn boxes(data: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    walk(data, "", &mut out);
    out
}

const CONTAINERS: [&str; 8] = [
    "moov", "trak", "mdia", "minf", "stbl", "edts", "dinf", "udta",
];

fn walk(data: &[u8], prefix: &str, out: &mut Vec<(String, Vec<u8>)>) {
    let mut pos = 0;
    while pos + 8 <= data.len() {
        let size = u32::from_be_bytes(data[pos..pos + 4].try_into().expect("4 bytes")) as usize;
        let kind = String::from_utf8_lossy(&data[pos + 4..pos + 8]).into_owned();
        assert!(
            size >= 8 && pos + size <= data.len(),
            "box {kind} at {pos} has bad size {size}"
        );
        let body = &data[pos + 8..pos + size];
        let path = if prefix.is_empty() {
            kind.clone()
        } else {
            format!("{prefix}/{kind}")
        };
        out.push((path.clone(), body.to_vec()));
        if CONTAINERS.contains(&kind.as_str()) {
            walk(body, &path, out);
        }
        pos += size;
    }
    assert_eq!(
        pos,
        data.len(),
        "trailing bytes after boxes under {prefix:?}"
    );
}

pub fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

/// What the tests want from a file's index.
#[derive(Debug)]
pub struct Index {
    pub top: Vec<String>,
    pub movie_ms: u32,
    pub width: u32,
    pub height: u32,
    pub video_frames: u32,
    pub video_timescale: u32,
    pub video_duration: u32,
    pub keyframes: Vec<u32>,
    pub has_audio: bool,
    pub audio_rate: u32,
}

pub fn index(mp4: &[u8]) -> Index {
    let all = boxes(mp4);
    let top = all
        .iter()
        .filter(|(p, _)| !p.contains('/'))
        .map(|(p, _)| p.clone())
        .collect();
    let get = |path: &str| {
        all.iter()
            .filter(|(p, _)| p == path)
            .map(|(_, b)| b.clone())
            .collect::<Vec<_>>()
    };
    let movie_header = &get("moov/mvhd")[0];
    let track_header = &get("moov/trak/tkhd")[0];
    let media_headers = get("moov/trak/mdia/mdhd");
    let stss = &get("moov/trak/mdia/minf/stbl/stss")[0];
    let time_to_sample = &get("moov/trak/mdia/minf/stbl/stts")[0];
    let n_keys = be32(stss, 4) as usize;
    let handlers: Vec<String> = get("moov/trak/mdia/hdlr")
        .iter()
        .map(|h| String::from_utf8_lossy(&h[8..12]).into_owned())
        .collect();
    let has_audio = handlers.iter().any(|h| h == "soun");
    Index {
        top,
        movie_ms: be32(movie_header, 16),
        width: be32(track_header, 76) >> 16,
        height: be32(track_header, 80) >> 16,
        video_frames: be32(time_to_sample, 8),
        video_timescale: be32(&media_headers[0], 12),
        video_duration: be32(&media_headers[0], 16),
        keyframes: (0..n_keys).map(|i| be32(stss, 8 + i * 4)).collect(),
        has_audio,
        audio_rate: if has_audio {
            be32(&media_headers[1], 12)
        } else {
            0
        },
    }
}

/// Decodes the audio track to mono f32 samples.
pub fn decode_audio(mp4: &[u8]) -> (u32, Vec<f32>) {
    use symphonia::core::audio::SampleBuffer;
    use symphonia::core::codecs::DecoderOptions;
    use symphonia::core::formats::FormatOptions;
    use symphonia::core::io::MediaSourceStream;
    use symphonia::core::meta::MetadataOptions;
    use symphonia::core::probe::Hint;

    let cursor = std::io::Cursor::new(mp4.to_vec());
    let mss = MediaSourceStream::new(
        Box::new(cursor),
        symphonia::core::io::MediaSourceStreamOptions::default(),
    );
    let mut hint = Hint::new();
    hint.with_extension("mp4");
    let probed = symphonia::default::get_probe()
        .format(
            &hint,
            mss,
            &FormatOptions::default(),
            &MetadataOptions::default(),
        )
        .expect("symphonia opens the mp4");
    let mut format = probed.format;
    let track = format
        .tracks()
        .iter()
        .find(|t| t.codec_params.codec == symphonia::core::codecs::CODEC_TYPE_AAC)
        .expect("an AAC track")
        .clone();
    let rate = track.codec_params.sample_rate.expect("sample rate");
    let mut decoder = symphonia::default::get_codecs()
        .make(&track.codec_params, &DecoderOptions::default())
        .expect("AAC decoder");
    let mut out = Vec::new();
    while let Ok(packet) = format.next_packet() {
        if packet.track_id() != track.id {
            continue;
        }
        let audio_frame = decoder.decode(&packet).expect("AAC frame decodes");
        let mut buf = SampleBuffer::<f32>::new(audio_frame.capacity() as u64, *audio_frame.spec());
        buf.copy_interleaved_ref(audio_frame);
        out.extend_from_slice(buf.samples());
    }
    (rate, out)
}

pub fn rms(s: &[f32]) -> f32 {
    if s.is_empty() {
        return 0.0;
    }
    (s.iter().map(|x| x * x).sum::<f32>() / s.len() as f32).sqrt()
}

/// Speaks every line in a fresh `chorus-draft-voice` process, as the
/// `chorus` binary does with itself; set once per test binary, before
/// anything is spoken.
pub fn child_voice() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        chorus_draft::set_speaker(chorus_draft::Speaker::ChildProcess {
            program: env!("CARGO_BIN_EXE_chorus-draft-voice").into(),
            args: Vec::new(),
        });
    });
}

/// A short take for tests.
pub fn request(ratio: AspectRatio, res: Resolution, secs: u32, fps: u32) -> GenerationRequest {
    child_voice();
    let mut req = GenerationRequest::new("draft");
    req.mode = Mode::TextToVideo;
    req.prompt = "A friendly robot waters tomatoes in a rooftop garden at sunset".into();
    req.aspect_ratio = ratio;
    req.resolution = res;
    req.duration_s = secs;
    req.fps = Some(fps);
    req.seed = Some(42);
    req
}

pub fn take(req: GenerationRequest, line: Option<(Language, &str)>, av_offset_ms: i32) -> Rendered {
    child_voice();
    let input = RenderInput {
        request: req,
        line: line.map(|(l, t)| (l, t.to_owned())),
        references: Vec::new(),
        options: RenderOptions { av_offset_ms },
    };
    render(&input, &mut |_| {}).expect("renders")
}

/// A PNG of `w × h` in `tint` with gradients and a checker of 40 px cells,
/// so that a pan or zoom over it shows as motion.
pub fn png(w: u32, h: u32, tint: [u8; 3]) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        let cell = if (x / 40 + y / 40) % 2 == 0 { 40 } else { 0 };
        image::Rgb([
            ((x * 255 / w) as u8 / 2 + tint[0] / 2).saturating_add(cell),
            (y * 255 / h) as u8 / 2 + tint[1] / 2,
            tint[2],
        ])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("png encodes");
    out.into_inner()
}

/// One short line per language.
pub const LINES: [(Language, &str); 7] = [
    (Language::English, "Hello, welcome to the show."),
    (Language::Mandarin, "你好，欢迎收看。"),
    (Language::Cantonese, "你好，歡迎收看。"),
    (Language::Japanese, "こんにちは、ようこそ。"),
    (Language::Korean, "안녕하세요, 환영합니다."),
    (Language::German, "Hallo, willkommen zur Show."),
    (Language::French, "Bonjour, bienvenue au spectacle."),
];
