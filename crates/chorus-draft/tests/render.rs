//! End-to-end checks of rendered takes: container, sizes, timing, audio and
//! the lip-sync timeline, read back with independent parsers.

mod support;

use chorus_core::{AspectRatio, Language, Resolution};
use chorus_draft::{DraftError, RenderInput, RenderOptions, Rendered, Viseme, render, speech_fit};
use support::{LINES, decode_audio, index, png, request, rms, take};

fn check_take(lang: Language, r: &Rendered, secs: u32, fps: u32) {
    let idx = index(&r.mp4);
    // Faststart: the index comes before the media data.
    assert_eq!(idx.top, ["ftyp", "moov", "mdat"], "{lang}");
    assert_eq!((idx.width, idx.height), (1280, 720), "{lang}");
    let frame_ms = 1000.0 / f64::from(fps);
    let video_ms = f64::from(idx.video_duration) * 1000.0 / f64::from(idx.video_timescale);
    assert!(
        (video_ms - f64::from(secs * 1000)).abs() <= frame_ms,
        "{lang}: video lasts {video_ms} ms"
    );
    assert!(
        (f64::from(idx.movie_ms) - f64::from(secs * 1000)).abs() <= frame_ms,
        "{lang}"
    );
    assert_eq!(idx.video_frames, secs * fps);
    // A keyframe at least every second.
    let mut last = 1;
    for &k in idx
        .keyframes
        .iter()
        .chain(std::iter::once(&(idx.video_frames + 1)))
    {
        assert!(k - last <= fps, "{lang}: keyframes {:?}", idx.keyframes);
        last = k;
    }
    assert!(idx.has_audio && r.has_audio, "{lang}");
    assert_eq!(idx.audio_rate, 48_000);

    // The timeline: visemes in order, covering all speech.
    let sc = &r.sidecar;
    assert_eq!(
        (sc.fps, sc.frames, sc.language),
        (fps, secs * fps, Some(lang))
    );
    assert!(!sc.speech_spans.is_empty(), "{lang}: no speech spans");
    // Frame numbers are the times on the picture clock, rounded.
    let frame = |ms: f64| (ms * f64::from(fps) / 1000.0).round() as u32;
    for p in &sc.phonemes {
        assert_eq!(
            (p.start_frame, p.end_frame),
            (frame(p.start_ms), frame(p.end_ms)),
            "{lang}"
        );
    }
    for v in &sc.visemes {
        assert_eq!(
            (v.start_frame, v.end_frame),
            (frame(v.start_ms), frame(v.end_ms))
        );
    }
    for s in &sc.speech_spans {
        assert_eq!(
            (s.start_frame, s.end_frame),
            (frame(s.start_ms), frame(s.end_ms))
        );
        assert!(
            s.end_frame <= sc.frames,
            "{lang}: speech past the last frame"
        );
    }
    for pair in sc.visemes.windows(2) {
        assert!(
            pair[0].start_ms < pair[1].start_ms && (pair[0].end_ms - pair[1].start_ms).abs() < 0.5,
            "{lang}: visemes out of order"
        );
        assert!(pair[0].start_frame <= pair[1].start_frame);
    }
    for span in &sc.speech_spans {
        let covered = sc.visemes.iter().any(|v| v.start_ms <= span.start_ms + 0.5)
            && sc.visemes.iter().any(|v| v.end_ms >= span.end_ms - 0.5);
        assert!(covered, "{lang}: speech {span:?} not covered");
        assert!(
            sc.visemes.iter().any(|v| v.viseme != Viseme::Sil
                && v.start_ms >= span.start_ms - 0.5
                && v.end_ms <= span.end_ms + 0.5),
            "{lang}"
        );
    }

    // The audio: speech energy where the sidecar says speech is.
    let (rate, pcm) = decode_audio(&r.mp4);
    assert_eq!(rate, 48_000);
    assert!(
        (pcm.len() as f64 / 48.0 - f64::from(secs * 1000)).abs() < 100.0,
        "{lang}: {} samples",
        pcm.len()
    );
    let at = |ms: f64| ((ms.max(0.0) * 48.0) as usize).min(pcm.len());
    let mut inside = Vec::new();
    for s in &sc.speech_spans {
        // Skip the span edges: AAC priming and phoneme onsets blur them.
        inside.extend_from_slice(&pcm[at(s.start_ms + 60.0)..at(s.end_ms - 60.0)]);
    }
    let first = sc.speech_spans[0].start_ms;
    let last = sc.speech_spans[sc.speech_spans.len() - 1].end_ms;
    let before = &pcm[at(50.0)..at(first - 120.0)];
    let after = &pcm[at(last + 250.0)..at(f64::from(secs * 1000) - 50.0)];
    let quiet = rms(before).max(rms(after));
    assert!(
        rms(&inside) > 4.0 * quiet,
        "{lang}: speech rms {} vs quiet {}",
        rms(&inside),
        quiet
    );
    assert!(
        quiet > 0.0005,
        "{lang}: the music bed and ambience should be audible"
    );
}

#[test]
fn every_language_renders_a_valid_talking_take() {
    let dir = std::env::temp_dir().join("chorus-draft-examples");
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::thread::scope(|s| {
        for chunk in LINES.chunks(4) {
            let dir = &dir;
            s.spawn(move || {
                for (lang, text) in chunk {
                    let r = take(
                        request(AspectRatio::Landscape16x9, Resolution::P720, 4, 25),
                        Some((*lang, text)),
                        0,
                    );
                    std::fs::write(dir.join(format!("{}.mp4", lang.code())), &r.mp4)
                        .expect("example written");
                    check_take(*lang, &r, 4, 25);
                }
            });
        }
    });
}

#[test]
fn same_request_and_seed_give_identical_bytes() {
    let line = Some((Language::English, "Same again."));
    let a = take(
        request(AspectRatio::Square, Resolution::P720, 3, 24),
        line,
        0,
    );
    let b = take(
        request(AspectRatio::Square, Resolution::P720, 3, 24),
        line,
        0,
    );
    assert!(a.mp4 == b.mp4, "two renders differ");
    let mut other = request(AspectRatio::Square, Resolution::P720, 3, 24);
    other.seed = Some(43);
    assert!(
        take(other, line, 0).mp4 != a.mp4,
        "the seed should change the take"
    );
}

#[test]
fn every_aspect_ratio_has_its_exact_size_at_720p_and_1080p() {
    let sizes: Vec<(AspectRatio, Resolution)> = AspectRatio::ALL
        .into_iter()
        .flat_map(|r| [(r, Resolution::P720), (r, Resolution::P1080)])
        .collect();
    std::thread::scope(|s| {
        for chunk in sizes.chunks(sizes.len().div_ceil(2)) {
            s.spawn(move || {
                for &(ratio, res) in chunk {
                    let mut req = request(ratio, res, 3, 30);
                    req.audio = false;
                    let r = take(req, None, 0);
                    let idx = index(&r.mp4);
                    let expected = ratio.dimensions(res);
                    assert_eq!((idx.width, idx.height), expected, "{ratio} {res:?}");
                    assert_eq!((r.width, r.height), expected);
                    assert_eq!(idx.video_frames, 90);
                    assert!(!idx.has_audio && !r.has_audio);
                }
            });
        }
    });
    let idx = index(
        &take(
            request(AspectRatio::Tall9x21, Resolution::P1080, 3, 24),
            None,
            0,
        )
        .mp4,
    );
    assert_eq!((idx.width, idx.height), (1080, 2520));
}

#[test]
fn lengths_rates_and_offsets_outside_the_range_are_refused() {
    let refused = |secs: u32, fps: u32, offset: i32| {
        let input = RenderInput {
            request: request(AspectRatio::Square, Resolution::P720, secs, fps),
            line: None,
            references: Vec::new(),
            options: RenderOptions {
                av_offset_ms: offset,
            },
        };
        match render(&input, &mut |_| {}) {
            Err(DraftError::Invalid(why)) => why,
            other => panic!("{secs} s at {fps} fps, {offset} ms: {other:?}"),
        }
    };
    assert!(refused(2, 24, 0).contains("3–15 s"));
    assert!(refused(16, 24, 0).contains("3–15 s"));
    assert!(refused(5, 60, 0).contains("24, 25 or 30 fps"));
    assert!(refused(5, 24, 1001).contains("±1000 ms"));
    // Within range, a line pushed before the clip's start is named too.
    let input = RenderInput {
        request: request(AspectRatio::Square, Resolution::P720, 3, 24),
        line: Some((Language::English, "Hello there.".into())),
        references: Vec::new(),
        options: RenderOptions { av_offset_ms: -500 },
    };
    let err = render(&input, &mut |_| {}).expect_err("speech past the end");
    assert!(err.to_string().contains("outside the clip"), "{err}");
}

#[test]
fn av_offset_moves_the_sound_not_the_picture() {
    let line = Some((Language::English, "Papa pops the ball."));
    let onset = |r: &Rendered| {
        let (_, pcm) = decode_audio(&r.mp4);
        let win = 480; // 10 ms
        let loud = pcm.chunks(win).map(rms).fold(0.0f32, f32::max);
        pcm.chunks(win)
            .position(|c| rms(c) > loud * 0.25)
            .expect("speech onset") as f64
            * 10.0
    };
    let base = take(
        request(AspectRatio::Landscape16x9, Resolution::P720, 3, 25),
        line,
        0,
    );
    let late = take(
        request(AspectRatio::Landscape16x9, Resolution::P720, 3, 25),
        line,
        200,
    );
    assert_eq!(
        base.sidecar.phonemes, late.sidecar.phonemes,
        "the picture timeline must not move"
    );
    assert_eq!(late.sidecar.av_offset_ms, 200);
    let shift = onset(&late) - onset(&base);
    assert!((shift - 200.0).abs() <= 20.0, "sound moved {shift} ms");
}

#[test]
fn speech_fit_reports_length_and_unpronounceable_characters() {
    support::child_voice();
    let ja = speech_fit(Language::Japanese, "今日はいい天気です", 5).expect("fits");
    assert!(
        ja.unpronounceable.contains(&"今".to_owned())
            && ja.unpronounceable.contains(&"天".to_owned()),
        "{ja:?}"
    );
    assert!(!ja.unpronounceable.contains(&"は".to_owned()));
    assert!(
        ja.message.as_deref().is_some_and(|m| m.contains("kana")),
        "{ja:?}"
    );

    let kana = speech_fit(Language::Japanese, "こんにちは", 5).expect("fits");
    assert!(
        kana.fits && kana.unpronounceable.is_empty() && kana.message.is_none(),
        "{kana:?}"
    );
    assert!(kana.seconds > 0.5 && kana.seconds < 3.0);

    let long = "Guten Morgen, meine Damen und Herren, heute sprechen wir ausführlich über die Zukunft der Energie.";
    let de = speech_fit(Language::German, long, 3).expect("measures");
    assert!(!de.fits && de.seconds > 3.0, "{de:?}");
    let msg = de.message.expect("message");
    assert!(
        msg.starts_with("German needs ") && msg.contains("; the clip is 3 s"),
        "{msg}"
    );

    let err = render(
        &RenderInput {
            request: request(AspectRatio::Square, Resolution::P720, 3, 24),
            line: Some((Language::German, long.to_owned())),
            references: Vec::new(),
            options: RenderOptions::default(),
        },
        &mut |_| {},
    )
    .expect_err("too long to render");
    assert!(matches!(err, DraftError::SpeechTooLong { .. }));
    assert!(err.to_string().starts_with("German needs "), "{err}");
}

#[test]
fn ffprobe_reads_h264_yuv420p_and_aac_48k() {
    if std::process::Command::new("ffprobe")
        .arg("-version")
        .output()
        .is_err()
    {
        eprintln!("ffprobe not installed; skipped");
        return;
    }
    let r = take(
        request(AspectRatio::Portrait9x16, Resolution::P720, 3, 30),
        Some((Language::French, "Bonjour à tous.")),
        0,
    );
    let path = std::env::temp_dir().join(format!("chorus-draft-probe-{}.mp4", std::process::id()));
    std::fs::write(&path, &r.mp4).expect("write");
    let out = std::process::Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "stream=codec_name,profile,pix_fmt,sample_rate,width,height",
            "-of",
            "compact",
        ])
        .arg(&path)
        .output()
        .expect("ffprobe runs");
    let _ = std::fs::remove_file(&path);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("codec_name=h264")
            && text.contains("pix_fmt=yuv420p")
            && text.contains("width=720|height=1280"),
        "{text}"
    );
    assert!(
        text.contains("codec_name=aac")
            && text.contains("profile=LC")
            && text.contains("sample_rate=48000"),
        "{text}"
    );
}

#[test]
fn progress_runs_from_zero_to_one() {
    let mut seen = Vec::new();
    let input = RenderInput {
        request: request(AspectRatio::Square, Resolution::P720, 3, 24),
        line: None,
        references: Vec::new(),
        options: RenderOptions::default(),
    };
    let r = render(&input, &mut |p| seen.push(p)).expect("renders");
    assert!(r.has_audio, "music bed and ambience even without a line");
    assert_eq!(seen.first(), Some(&0.0));
    assert_eq!(seen.last(), Some(&1.0));
    assert!(seen.windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn image_and_reference_modes_render_their_pictures() {
    let dir = std::env::temp_dir().join("chorus-draft-examples");
    std::fs::create_dir_all(&dir).expect("temp dir");
    for (mode, refs) in [
        (
            chorus_core::Mode::ImageToVideo,
            vec![png(800, 600, [40, 120, 200])],
        ),
        (
            chorus_core::Mode::ReferenceToVideo,
            vec![
                png(400, 400, [200, 80, 60]),
                png(300, 500, [60, 180, 90]),
                png(500, 300, [220, 200, 40]),
            ],
        ),
    ] {
        let mut req = request(AspectRatio::Landscape16x9, Resolution::P720, 3, 24);
        req.mode = mode;
        req.captions = true;
        let input = RenderInput {
            request: req,
            line: Some((Language::English, "Look at this.".into())),
            references: refs,
            options: RenderOptions::default(),
        };
        let r = render(&input, &mut |_| {}).expect("renders");
        std::fs::write(dir.join(format!("{}.mp4", mode.short())), &r.mp4).expect("example written");
        assert_eq!((index(&r.mp4).width, index(&r.mp4).height), (1280, 720));
    }
    let mut req = request(AspectRatio::Square, Resolution::P720, 3, 24);
    req.mode = chorus_core::Mode::ImageToVideo;
    let bad = RenderInput {
        request: req,
        line: None,
        references: vec![b"not an image".to_vec()],
        options: RenderOptions::default(),
    };
    let err = render(&bad, &mut |_| {}).expect_err("bad image");
    assert!(matches!(err, DraftError::Image { index: 1, .. }), "{err}");
}
