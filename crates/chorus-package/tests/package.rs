//! A delivery package end to end: real draft takes and their sidecars
//! written through the streaming writer, then checked by the system's
//! `unzip`, ffmpeg's caption readers and the csv reader; and the writer's
//! promises: bounded memory for any clip, and a stop when nobody reads.

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use chorus_core::delivery::{NameFields, NamePattern};
use chorus_core::{AspectRatio, GenerationRequest, Language, Mode, Resolution};
use chorus_draft::{RenderInput, RenderOptions, render};
use chorus_package::{
    ChannelWriter, Cue, ManifestRow, PackageError, PackageWriter, cues_from_draft_sidecar,
    cues_from_speech, srt, vtt,
};

/// A rendered take on disk.
struct Take {
    fields: NameFields,
    line: String,
    mp4: PathBuf,
    sidecar: String,
}

struct Takes {
    _dir: tempfile::TempDir,
    takes: Vec<Take>,
}

/// Two short draft takes, rendered once for every test.
fn takes() -> &'static [Take] {
    static TAKES: OnceLock<Takes> = OnceLock::new();
    &TAKES
        .get_or_init(|| {
            let dir = tempfile::tempdir().expect("temp dir");
            let specs = [
                (
                    Language::English,
                    AspectRatio::Portrait9x16,
                    "Fresh tomatoes, every single day.",
                ),
                (
                    Language::German,
                    AspectRatio::Square,
                    "Frische Tomaten. Jeden Tag, direkt vom Dach.",
                ),
            ];
            let takes = specs
                .iter()
                .enumerate()
                .map(|(i, (lang, ratio, line))| {
                    let mut req = GenerationRequest::new("draft");
                    req.mode = Mode::TextToVideo;
                    req.prompt = "A gardener on a rooftop at sunset".into();
                    req.aspect_ratio = *ratio;
                    req.resolution = Resolution::P720;
                    req.duration_s = 4;
                    req.fps = Some(24);
                    req.seed = Some(7 + i as i64);
                    let input = RenderInput {
                        request: req,
                        line: Some((*lang, (*line).to_owned())),
                        references: Vec::new(),
                        options: RenderOptions::default(),
                    };
                    let rendered = render(&input, &mut |_| {}).expect("the draft engine renders");
                    let mp4 = dir.path().join(format!("take{i}.mp4"));
                    std::fs::write(&mp4, &rendered.mp4).expect("writes the take");
                    let ratio = serde_json::to_value(ratio).expect("ratio");
                    Take {
                        fields: NameFields {
                            campaign: "Rooftop Spring".into(),
                            row: i as u32 + 1,
                            lang: lang.code().into(),
                            ratio: ratio.as_str().expect("a string").into(),
                            version: 1,
                            model: "draft".into(),
                            seed: Some(rendered.sidecar.seed),
                            job: format!("job{i}"),
                        },
                        line: (*line).to_owned(),
                        mp4,
                        sidecar: serde_json::to_string(&rendered.sidecar).expect("sidecar"),
                    }
                })
                .collect();
            Takes { _dir: dir, takes }
        })
        .takes
}

/// The caption file as ffmpeg reads it, converted to ASS: a file ffmpeg
/// cannot parse fails; one it misreads loses its `Dialogue` lines.
fn as_ass(captions: &Path) -> String {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(captions)
        .args(["-c:s", "ass", "-f", "ass", "-"])
        .output()
        .expect("ffmpeg runs");
    assert!(
        out.status.success(),
        "ffmpeg refused {}: {}",
        captions.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

fn dialogues(ass: &str) -> Vec<&str> {
    ass.lines().filter(|l| l.starts_with("Dialogue:")).collect()
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("the program runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{cmd:?} failed:\n{text}");
    text
}

/// Writes the package through a `ChannelWriter` (as the server will) into
/// `path`, a reader thread draining the channel into the file.
fn write_package(path: &Path) -> (Vec<String>, Vec<Vec<Cue>>) {
    let takes = takes();
    let pattern = NamePattern::default();
    let fields: Vec<NameFields> = takes.iter().map(|t| t.fields.clone()).collect();
    let names = pattern.render_all(&fields);

    let (sink, mut rx) = ChannelWriter::channel(4);
    let out = path.to_owned();
    let reader = std::thread::spawn(move || {
        let mut file = std::fs::File::create(out).expect("creates the zip");
        while let Some(chunk) = rx.blocking_recv() {
            file.write_all(&chunk.expect("no error item"))
                .expect("writes");
        }
    });

    let mut package = PackageWriter::new(sink);
    let mut rows = Vec::new();
    let mut all_cues = Vec::new();
    for (i, (take, name)) in takes.iter().zip(&names).enumerate() {
        let file = std::fs::File::open(&take.mp4).expect("opens the take");
        let cues = if i == 0 {
            // A draft take: its sidecar's timing, clip of unknown length.
            package.add_clip(name, file).expect("adds the clip");
            cues_from_draft_sidecar(&take.sidecar).expect("reads the sidecar")
        } else {
            // As if made elsewhere: speech found in its sound; known length.
            let len = std::fs::metadata(&take.mp4).expect("size").len();
            package
                .add_clip_sized(name, len, file)
                .expect("adds the clip");
            let spans = chorus_decode::speech_spans_file(&take.mp4).expect("finds speech");
            assert!(!spans.is_empty(), "speech found in {name}");
            cues_from_speech(&spans, &take.line)
        };
        assert!(!cues.is_empty(), "cues for {name}");
        let said: Vec<String> = cues.iter().map(|c| c.text.replace('\n', " ")).collect();
        assert_eq!(said.join(" "), take.line, "every word captioned once");
        package.add_captions(name, &cues).expect("adds captions");
        all_cues.push(cues);
        rows.push(ManifestRow {
            file: name.clone(),
            row: take.fields.row,
            language: take.fields.lang.clone(),
            ratio: take.fields.ratio.clone(),
            model: "draft".into(),
            seed: take.fields.seed,
            cost_usd: "0.00".into(),
            lipsync_offset_ms: (i == 0).then_some(0),
            decision: "approved".into(),
            reviewer: "Ana Souza, client".into(),
            time: "2026-12-07T11:00:00Z".into(),
        });
    }
    package.add_manifest(&rows).expect("adds the manifest");
    package
        .finish()
        .expect("finishes")
        .close()
        .expect("ends the stream");
    reader.join().expect("the reader thread");
    (names, all_cues)
}

#[test]
fn package_unzips_with_identical_clips_parsable_captions_and_a_matching_manifest() {
    let dir = tempfile::tempdir().expect("temp dir");
    let zip = dir.path().join("delivery.zip");
    let (names, cues) = write_package(&zip);
    assert_eq!(
        names,
        [
            "Rooftop_Spring_1_en_9x16_v1.mp4",
            "Rooftop_Spring_2_de_1x1_v1.mp4"
        ]
    );

    // The system's unzip tests every entry's CRC and lists it.
    let tested = run(Command::new("unzip").arg("-t").arg(&zip));
    assert!(tested.contains("No errors detected"), "{tested}");
    let mut expected = vec!["manifest.csv".to_owned()];
    for name in &names {
        let stem = name.trim_end_matches(".mp4");
        expected.extend([name.clone(), format!("{stem}.srt"), format!("{stem}.vtt")]);
    }
    for entry in &expected {
        assert!(
            tested.contains(&format!("testing: {entry} ")),
            "{entry} not in:\n{tested}"
        );
    }
    let listed = run(Command::new("unzip").arg("-Z1").arg(&zip));
    assert_eq!(listed.lines().count(), expected.len(), "{listed}");

    let out = dir.path().join("out");
    run(Command::new("unzip")
        .arg("-q")
        .arg(&zip)
        .arg("-d")
        .arg(&out));

    for ((take, name), cues) in takes().iter().zip(&names).zip(&cues) {
        let source = std::fs::read(&take.mp4).expect("source");
        let unpacked = std::fs::read(out.join(name)).expect("unpacked clip");
        assert!(source == unpacked, "{name} differs from its source");
        let stem = name.trim_end_matches(".mp4");
        for ext in ["srt", "vtt"] {
            let ass = as_ass(&out.join(format!("{stem}.{ext}")));
            let read = dialogues(&ass);
            assert_eq!(read.len(), cues.len(), "{ext} of {name}:\n{ass}");
            let first_word = take.line.split_whitespace().next().expect("a word");
            assert!(read[0].contains(first_word), "{ext} of {name}:\n{ass}");
        }
    }

    let mut manifest = csv::Reader::from_path(out.join("manifest.csv")).expect("manifest");
    let headers = manifest.headers().expect("header").clone();
    assert_eq!(
        headers.iter().collect::<Vec<_>>(),
        [
            "file",
            "row",
            "language",
            "ratio",
            "model",
            "seed",
            "cost_usd",
            "lipsync_offset_ms",
            "decision",
            "reviewer",
            "time"
        ]
    );
    let rows: Vec<ManifestRow> = manifest
        .deserialize()
        .collect::<Result<_, _>>()
        .expect("rows parse");
    assert_eq!(rows.len(), names.len());
    for ((row, name), take) in rows.iter().zip(&names).zip(takes()) {
        assert_eq!(&row.file, name);
        assert!(out.join(&row.file).is_file());
        assert_eq!(row.language, take.fields.lang);
        assert_eq!(row.ratio, take.fields.ratio);
        assert_eq!(row.seed, take.fields.seed);
        assert_eq!(row.reviewer, "Ana Souza, client");
    }
    assert_eq!(rows[0].lipsync_offset_ms, Some(0));
    assert_eq!(rows[1].lipsync_offset_ms, None);
}

#[test]
fn sidecar_cues_follow_the_spoken_words_and_an_empty_line_has_none() {
    let take = &takes()[1];
    let sidecar: serde_json::Value = serde_json::from_str(&take.sidecar).expect("json");
    let spans = sidecar["speech_spans"].as_array().expect("spans");
    let first = spans[0]["start_ms"].as_f64().expect("start");
    let last = spans[spans.len() - 1]["end_ms"].as_f64().expect("end");
    let cues = cues_from_draft_sidecar(&take.sidecar).expect("cues");
    // The first cue starts when speech starts, the last ends near its end.
    assert!((cues[0].start_ms as f64 - first).abs() <= 1.0, "{cues:?}");
    let end = cues.last().expect("a cue").end_ms as f64;
    assert!(
        end >= last - 1.0 && end <= last + 800.0,
        "{cues:?} vs {last}"
    );
    // "Frische Tomaten." is a sentence: a cue of its own.
    assert_eq!(cues[0].text, "Frische Tomaten.");

    for text in [serde_json::Value::Null, "".into(), "   ".into()] {
        let mut silent = sidecar.clone();
        silent["text"] = text;
        let cues = cues_from_draft_sidecar(&silent.to_string()).expect("cues");
        assert!(cues.is_empty(), "{cues:?}");
        assert_eq!(srt(&cues), "");
        assert_eq!(vtt(&cues), "WEBVTT\n");
    }
    let e = cues_from_draft_sidecar("{\"fps\": 24}").unwrap_err();
    assert!(e.to_string().contains("draft engine's format"), "{e}");
}

/// Gives `len` bytes of a pattern, counting what it has given.
struct Synthetic {
    left: u64,
    given: Arc<AtomicU64>,
    received: Arc<AtomicU64>,
    most_in_flight: u64,
}

impl Read for Synthetic {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let in_flight = self.given.load(Ordering::SeqCst) - self.received.load(Ordering::SeqCst);
        self.most_in_flight = self.most_in_flight.max(in_flight);
        let n = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        for (i, b) in buf[..n].iter_mut().enumerate() {
            *b = (i % 251) as u8;
        }
        self.left -= n as u64;
        self.given.fetch_add(n as u64, Ordering::SeqCst);
        Ok(n)
    }
}

#[test]
fn a_200_mb_clip_streams_through_in_bounded_memory() {
    const LEN: u64 = 200 << 20;
    let given = Arc::new(AtomicU64::new(0));
    let received = Arc::new(AtomicU64::new(0));
    let (sink, mut rx) = ChannelWriter::channel(4);
    let counter = Arc::clone(&received);
    let reader = std::thread::spawn(move || {
        let mut tail = Vec::new();
        while let Some(chunk) = rx.blocking_recv() {
            let chunk = chunk.expect("no error item");
            counter.fetch_add(chunk.len() as u64, Ordering::SeqCst);
            tail.extend_from_slice(&chunk);
            let keep = tail.len().saturating_sub(1024);
            tail.drain(..keep);
        }
        tail
    });
    let mut clip = Synthetic {
        left: LEN,
        given: Arc::clone(&given),
        received: Arc::clone(&received),
        most_in_flight: 0,
    };
    let mut package = PackageWriter::new(sink);
    let copied = package.add_clip("big.mp4", &mut clip).expect("adds");
    assert_eq!(copied, LEN);
    package.finish().expect("finishes").close().expect("closes");
    let tail = reader.join().expect("reader");

    // Headers and descriptors aside, every byte went out, and at no time
    // were more than a copy buffer and the channel's chunks held.
    let out = received.load(Ordering::SeqCst);
    assert!(out > LEN && out < LEN + 4096, "{out}");
    assert!(
        clip.most_in_flight < 1 << 20,
        "{} bytes held at once",
        clip.most_in_flight
    );
    // The stream ends with the end of central directory record.
    let eocd = tail.windows(4).rposition(|w| w == b"PK\x05\x06");
    assert!(eocd.is_some(), "no end of central directory");
}

#[test]
fn a_closed_download_stops_the_writer() {
    let (sink, rx) = ChannelWriter::channel(2);
    drop(rx);
    let given = Arc::new(AtomicU64::new(0));
    let mut clip = Synthetic {
        left: 50 << 20,
        given: Arc::clone(&given),
        received: Arc::new(AtomicU64::new(0)),
        most_in_flight: 0,
    };
    let mut package = PackageWriter::new(sink);
    let e = package.add_clip("a.mp4", &mut clip).unwrap_err();
    assert!(e.is_disconnected(), "{e}");
    assert!(given.load(Ordering::SeqCst) <= 1 << 20, "kept reading");
    // Nothing more is written once it has failed.
    let e = package.add_text("b.txt", "x").unwrap_err();
    assert!(matches!(e, PackageError::Stopped), "{e}");
    assert!(matches!(package.finish(), Err(PackageError::Stopped)));
}

/// Fails after giving some bytes.
struct Failing(u64);

impl Read for Failing {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.0 == 0 {
            return Err(io::Error::other("the asset store went away"));
        }
        let n = buf.len().min(self.0 as usize);
        buf[..n].fill(7);
        self.0 -= n as u64;
        Ok(n)
    }
}

#[test]
fn a_failed_clip_ends_the_stream_with_an_error_not_a_whole_looking_zip() {
    let (sink, mut rx) = ChannelWriter::channel(64);
    let mut package = PackageWriter::new(sink);
    package.add_text("first.txt", "hello").expect("adds");
    let e = package.add_clip("b.mp4", Failing(300_000)).unwrap_err();
    assert!(matches!(e, PackageError::ReadClip { .. }), "{e}");
    assert!(e.to_string().contains("b.mp4"), "{e}");
    assert!(!e.is_disconnected());
    drop(package);
    let mut bytes = Vec::new();
    let mut ended_in_error = false;
    while let Some(item) = rx.blocking_recv() {
        match item {
            Ok(chunk) => bytes.extend_from_slice(&chunk),
            Err(_) => ended_in_error = true,
        }
    }
    assert!(ended_in_error, "the stream ended as if complete");
    assert!(
        !bytes.windows(4).any(|w| w == b"PK\x05\x06"),
        "a central directory was written after the failure"
    );
}

#[test]
fn names_are_checked_and_sizes_held_to() {
    let mut package = PackageWriter::new(Vec::new());
    package.add_text("a.mp4.srt", "").expect("adds");
    for bad in ["", "/abs.mp4", "../up.mp4", "a//b.mp4", "dir\\x.mp4"] {
        let e = package.add_text(bad, "x").unwrap_err();
        assert!(matches!(e, PackageError::BadName { .. }), "{bad}: {e}");
    }
    let e = package.add_text("A.MP4.SRT", "x").unwrap_err();
    assert!(matches!(e, PackageError::Duplicate { .. }), "{e}");
    // A refused name writes nothing, so the package goes on.
    package
        .add_clip_sized("ok.mp4", 3, &b"abc"[..])
        .expect("adds");
    let e = package
        .add_clip_sized("short.mp4", 10, &b"abc"[..])
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("short.mp4: the clip gave 3 bytes, 10 were expected"),
        "{e}"
    );
    // A clip that fails stops the package; a fresh one for the last case.
    assert!(package.add_text("after.txt", "x").is_err());
    let mut package = PackageWriter::new(Vec::new());
    let e = package
        .add_clip_sized("long.mp4", 2, &b"abc"[..])
        .unwrap_err();
    assert!(matches!(e, PackageError::WrongSize { .. }), "{e}");
}

#[test]
fn captions_written_by_hand_parse_in_ffmpeg() {
    // Edge cases ffmpeg must still read: an hour in, escapes, two lines.
    let cues = [
        Cue {
            start_ms: 0,
            end_ms: 900,
            text: "Tom & <Jerry>".into(),
        },
        Cue {
            start_ms: 3_600_000,
            end_ms: 3_601_500,
            text: "line one\nline two".into(),
        },
    ];
    let dir = tempfile::tempdir().expect("dir");
    for (ext, text) in [("srt", srt(&cues)), ("vtt", vtt(&cues))] {
        let path = dir.path().join(format!("c.{ext}"));
        std::fs::write(&path, text).expect("writes");
        let ass = as_ass(&path);
        let read = dialogues(&ass);
        assert_eq!(read.len(), 2, "{ext}:\n{ass}");
        assert!(
            read[0].starts_with("Dialogue: 0,0:00:00.00,0:00:00.90,"),
            "{ext}: {}",
            read[0]
        );
        assert!(read[0].contains("Tom &"), "{ext}: {}", read[0]);
        assert!(
            read[1].starts_with("Dialogue: 0,1:00:00.00,1:00:01.50,")
                && read[1].ends_with("line one\\Nline two"),
            "{ext}: {}",
            read[1]
        );
    }
}

/// Counts what it is given and keeps the last few KiB.
#[derive(Default)]
struct Tail {
    total: u64,
    tail: Vec<u8>,
}

impl Write for Tail {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.total += data.len() as u64;
        self.tail
            .extend_from_slice(&data[data.len().saturating_sub(8192)..]);
        let keep = self.tail.len().saturating_sub(8192);
        self.tail.drain(..keep);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Gives `left` bytes of whatever is in the buffer, cheaply.
struct Filler(u64);

impl Read for Filler {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(usize::try_from(self.0).unwrap_or(usize::MAX));
        self.0 -= n as u64;
        Ok(n)
    }
}

fn le16(b: &[u8], at: usize) -> usize {
    usize::from(u16::from_le_bytes([b[at], b[at + 1]]))
}

#[test]
fn a_clip_over_4_gb_gets_zip64_sizes() {
    const LEN: u64 = (4 << 30) + 12_345;
    for sized in [false, true] {
        let mut package = PackageWriter::new(Tail::default());
        let copied = if sized {
            package.add_clip_sized("big.mp4", LEN, Filler(LEN))
        } else {
            package.add_clip("big.mp4", Filler(LEN))
        };
        assert_eq!(copied.expect("adds"), LEN);
        package.add_text("after.txt", "still fine").expect("adds");
        let sink = package.finish().expect("finishes");
        assert!(sink.total > LEN);
        let t = &sink.tail;
        // The ZIP64 end of central directory and its locator are written.
        assert!(
            t.windows(4).any(|w| w == b"PK\x06\x06"),
            "no zip64 end record"
        );
        assert!(t.windows(4).any(|w| w == b"PK\x06\x07"), "no zip64 locator");
        // big.mp4's central header says "see ZIP64" and its extra field
        // holds the true size.
        let at = t
            .windows(4)
            .position(|w| w == b"PK\x01\x02")
            .expect("central directory");
        let header = &t[at..];
        assert_eq!(
            &header[24..28],
            &[0xFF; 4],
            "uncompressed size defers to zip64"
        );
        let (name_len, extra_len) = (le16(header, 28), le16(header, 30));
        assert_eq!(&header[46..46 + name_len], b"big.mp4");
        let extra = &header[46 + name_len..46 + name_len + extra_len];
        assert_eq!(le16(extra, 0), 1, "zip64 extra field first");
        let size = u64::from_le_bytes(extra[4..12].try_into().expect("8 bytes"));
        assert_eq!(size, LEN);
    }
}
