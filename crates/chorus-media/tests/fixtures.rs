//! Parsed facts of the committed fixtures, checked against what ffprobe
//! reported for the same files (numbers copied into `ffprobe/mod.rs` and
//! below; ffprobe itself is not run by the tests).

mod ffprobe;

use chorus_media::{
    CodecConfig, FrameRate, MediaError, Movie, Rational, Timecode, Track, TrackKind, frame_to_time,
    parse_file,
};
use ffprobe::{NA, Packet};

fn parse(bytes: &[u8]) -> Movie {
    parse_file(bytes).expect("fixture parses")
}

fn video(movie: &Movie) -> &Track {
    movie.video_track().expect("video track")
}

fn rational(num: u64, den: u64) -> Rational {
    Rational::new(num, den).expect("non-zero rate")
}

/// Every sample matches ffprobe's packet: times, size, position, keyframe and
/// discard flags.
fn assert_packets(track: &Track, packets: &[Packet]) {
    assert_eq!(track.samples.len(), packets.len(), "sample count");
    for (i, (s, p)) in track.samples.iter().zip(packets).enumerate() {
        let &(pts, dts, duration, size, pos, flags) = p;
        assert_eq!(s.presentation_time, pts, "pts of sample {i}");
        assert_eq!(s.decode_time, dts, "dts of sample {i}");
        if duration != NA {
            assert_eq!(i64::from(s.duration), duration, "duration of sample {i}");
        }
        assert_eq!(s.size, size, "size of sample {i}");
        assert_eq!(s.offset, pos, "offset of sample {i}");
        assert_eq!(
            s.is_keyframe,
            flags.contains('K'),
            "keyframe flag of sample {i}"
        );
        assert_eq!(
            s.is_shown,
            !flags.contains('D'),
            "discard flag of sample {i}"
        );
    }
}

fn video_codec(track: &Track) -> &chorus_media::VideoCodec {
    match &track.codec {
        CodecConfig::Video(v) => v,
        other => panic!("expected video codec, got {other:?}"),
    }
}

#[test]
fn bframes_with_moov_at_end() {
    let movie = parse(include_bytes!("fixtures/cfr24_bframes.mp4"));
    assert_eq!((movie.timescale, movie.duration), (1000, 2000));
    assert_eq!(movie.tracks.len(), 1);
    let track = video(&movie);
    assert_eq!(track.kind, TrackKind::Video);
    assert_eq!(track.timescale, 12288); // time_base=1/12288
    assert_eq!(track.duration, 24576); // duration_ts
    assert_eq!((track.width, track.height), (96, 64));
    assert_packets(track, ffprobe::CFR24_BFRAMES);
    assert_eq!(track.frame_count(), 48); // nb_frames
    assert_eq!(track.keyframes, vec![0, 12, 24, 36]);
    assert_eq!(track.frame_rate, Some(FrameRate::Constant(rational(24, 1))));
    assert_eq!(track.edit.media_start, 1024);
    assert_eq!(track.edit.shift, 1024);

    let codec = video_codec(track);
    // profile=High (100 = 0x64), level=10 (0x0a).
    assert_eq!(codec.codec, "avc1.64000a");
    assert_eq!((codec.coded_width, codec.coded_height), (96, 64));
    let avc = codec.avc.unwrap();
    assert_eq!((avc.profile_idc, avc.level_idc), (100, 10));
    // Extradata as ffprobe -show_data printed it.
    let description = codec.description().unwrap();
    assert_eq!(description.len(), 44);
    assert_eq!(
        description.get(..8).unwrap(),
        &[0x01, 0x64, 0x00, 0x0a, 0xff, 0xe1, 0x00, 0x18]
    );
}

#[test]
fn bframes_seeking() {
    let movie = parse(include_bytes!("fixtures/cfr24_bframes.mp4"));
    let track = video(&movie);
    for frame in 0..48 {
        assert_eq!(track.frame_time(frame), Some(512 * frame as i64));
        assert_eq!(track.frame_at_time(512 * frame as i64), Some(frame));
        assert_eq!(track.frame_at_time(512 * frame as i64 + 511), Some(frame));
    }
    assert_eq!(track.frame_at_time(-1), None);
    assert_eq!(track.frame_at_time(48 * 512), None);
    // Frame 1 (pts 512) is the third sample in decode order.
    assert_eq!(track.sample_at_time(600), Some(2));
    assert_eq!(track.decode_range_for_frame(1), Some(0..3));
    // Frame 13 (pts 6656) is sample 14, after the keyframe at sample 12.
    assert_eq!(track.keyframe_at_or_before(13), Some(12));
    assert_eq!(track.decode_range_for_frame(13), Some(12..15));
    assert_eq!(track.decode_range_for_frame(12), Some(12..13));
    assert_eq!(track.decode_range_for_frame(48), None);
    assert_eq!(track.frame_timecode(47).unwrap().to_string(), "00:00:01:23");
    let tc: Timecode = "00:00:01:05".parse().unwrap();
    assert_eq!(track.timecode_frame(tc), Some(29));
}

#[test]
fn faststart_has_the_same_samples_after_the_index() {
    let end = parse(include_bytes!("fixtures/cfr24_bframes.mp4"));
    let fast = parse(include_bytes!("fixtures/cfr24_faststart.mp4"));
    let (a, b) = (video(&end), video(&fast));
    assert_eq!(a.samples.len(), b.samples.len());
    // ffprobe: first packet at pos 1256 (after the 1208-byte moov) instead of 48.
    assert_eq!(b.samples.first().unwrap().offset, 1256);
    for (x, y) in a.samples.iter().zip(&b.samples) {
        assert_eq!(y.offset, x.offset + 1208);
        assert_eq!(
            (x.presentation_time, x.decode_time, x.size),
            (y.presentation_time, y.decode_time, y.size)
        );
    }
}

#[test]
fn edit_list_trims_the_start() {
    let movie = parse(include_bytes!("fixtures/edit_trim.mp4"));
    let track = video(&movie);
    // elst media_time 3482 lies inside the frame at 3072; ffmpeg hides that
    // frame and starts at 3584.
    assert_eq!(track.edit.media_start, 3482);
    assert_eq!(track.edit.shift, 3584);
    assert_eq!(track.duration, 15962); // duration_ts
    assert_packets(track, ffprobe::EDIT_TRIM);
    // 36 packets, 5 flagged D: 31 shown, pts 0 to 15360.
    assert_eq!(track.frame_count(), 31);
    // The edit ends at media 3482 + 15962, i.e. presentation 15860.
    assert_eq!(track.presentation_end(), Some(15_860));
    assert_eq!(track.frame_time(0), Some(0));
    assert_eq!(track.frame_sample(0), Some(6));
    // Reaching frame 0 means decoding the hidden keyframe and B-frames first.
    assert_eq!(track.decode_range_for_frame(0), Some(0..7));
    assert_eq!(track.frame_rate, Some(FrameRate::Constant(rational(24, 1))));
}

#[test]
fn empty_edit_delays_the_first_frame() {
    let movie = parse(include_bytes!("fixtures/edit_delay.mp4"));
    let track = video(&movie);
    assert_eq!(track.edit.empty_delay, 3072); // start_pts
    assert_eq!(track.duration, 24576);
    let first = track.samples.first().unwrap();
    assert_eq!((first.presentation_time, first.decode_time), (3072, 2048));
    let last = track.samples.last().unwrap();
    assert_eq!((last.presentation_time, last.decode_time), (27136, 26112));
    assert_eq!(track.frame_at_time(0), None);
    assert_eq!(track.frame_at_time(3071), None);
    assert_eq!(track.frame_at_time(3072), Some(0));
    assert_eq!(track.frame_count(), 48);
}

#[test]
fn variable_frame_rate() {
    let movie = parse(include_bytes!("fixtures/vfr.mp4"));
    let track = video(&movie);
    assert_eq!(track.timescale, 16000);
    assert_eq!(track.duration, 32800); // duration_ts
    assert_packets(track, ffprobe::VFR);
    assert_eq!(track.frame_count(), 30);
    // ffprobe: nb_frames=30, duration=2.05 s. (Its avg_frame_rate, 600/43,
    // divides by a longer span that includes ffmpeg's own padding.)
    assert_eq!(
        track.frame_rate,
        Some(FrameRate::Variable {
            average: rational(600, 41)
        })
    );
    // Frames are 0.1 s apart for the first second, 0.05 s after.
    assert_eq!(track.frame_time(9), Some(14_400));
    assert_eq!(track.frame_time(10), Some(16_000));
    assert_eq!(track.frame_time(11), Some(16_800));
    assert_eq!(track.frame_at_time(16_799), Some(10));
    // The last frame (pts 31200) lasts until the edit ends at 2.05 s.
    assert_eq!(track.presentation_end(), Some(32_800));
    assert_eq!(track.frame_at_time(32_799), Some(29));
    assert_eq!(track.frame_at_time(32_800), None);
}

#[test]
fn ntsc_rate_is_exact() {
    let movie = parse(include_bytes!("fixtures/ntsc2997.mp4"));
    let track = video(&movie);
    assert_eq!(track.timescale, 30000);
    assert_eq!(track.duration, 60060);
    assert_packets(track, ffprobe::NTSC2997);
    let rate = rational(30000, 1001); // r_frame_rate and avg_frame_rate
    assert_eq!(track.frame_rate, Some(FrameRate::Constant(rate)));
    for frame in 0..60 {
        assert_eq!(
            track.frame_time(frame),
            frame_to_time(frame as u64, rate, 30000)
        );
    }
    assert_eq!(track.frame_timecode(59).unwrap().to_string(), "00:00:01:29");
    assert_eq!(track.frame_timecode(30).unwrap().to_string(), "00:00:01:00");
}

#[test]
fn aac_audio_beside_video() {
    let movie = parse(include_bytes!("fixtures/av_aac.mp4"));
    assert_eq!(movie.tracks.len(), 2);
    assert_packets(video(&movie), ffprobe::AV_AAC_VIDEO);
    let audio = movie.audio_track().unwrap();
    assert_eq!(audio.kind, TrackKind::Audio);
    assert_eq!(audio.timescale, 44100);
    assert_eq!(audio.duration, 44100);
    // Offsets come from an stsc with 11 entries: chunks of 1 and 2 samples.
    assert_packets(audio, ffprobe::AV_AAC_AUDIO);
    assert_eq!(audio.frame_rate, None);
    let CodecConfig::Audio(codec) = &audio.codec else {
        panic!("expected audio, got {:?}", audio.codec);
    };
    assert_eq!(codec.codec, "mp4a.40.2"); // profile=LC
    assert_eq!(codec.object_type, Some(2));
    assert_eq!((codec.sample_rate, codec.channels), (44100, 2));
    // extradata_size=5: AAC-LC, 44.1 kHz, stereo, plus an SBR sync extension.
    assert_eq!(
        codec.description.as_deref(),
        Some(&[0x12, 0x10, 0x56, 0xe5, 0x00][..])
    );
}

#[test]
fn hevc_codec_string() {
    let movie = parse(include_bytes!("fixtures/hevc.mp4"));
    let track = video(&movie);
    assert_packets(track, ffprobe::HEVC);
    let codec = video_codec(track);
    // profile=Main (1), level=30, main tier, compat flags 0x60000000.
    assert_eq!(codec.codec, "hvc1.1.6.L30.90");
    assert_eq!(
        codec.description().map(<[u8]>::len),
        Some(codec.config_record.len())
    );
}

#[test]
fn vp9_codec_string() {
    let movie = parse(include_bytes!("fixtures/vp9.mp4"));
    let track = video(&movie);
    assert_eq!(track.frame_count(), 6);
    let codec = video_codec(track);
    assert_eq!(codec.codec, "vp09.00.10.08"); // Profile 0, 8-bit
    assert_eq!(codec.description(), None);
    assert_eq!(codec.config_record.len(), 12);
}

#[test]
fn av1_codec_string() {
    let movie = parse(include_bytes!("fixtures/av1.mp4"));
    let track = video(&movie);
    assert_eq!(track.frame_count(), 6);
    assert_eq!(
        track
            .samples
            .iter()
            .map(|s| s.offset)
            .collect::<Vec<_>>()
            .first(),
        Some(&48)
    );
    let codec = video_codec(track);
    assert_eq!(codec.codec, "av01.0.00M.08"); // profile=Main, level=0
    // Extradata as ffprobe printed it.
    assert_eq!(
        codec.description().unwrap(),
        &[
            0x81, 0x00, 0x0c, 0x00, 0x0a, 0x0a, 0x00, 0x00, 0x00, 0x03, 0x2d, 0xff, 0xcd, 0xaf,
            0x90, 0x04
        ]
    );
}

/// Reading a whole take in bounded requests: every sample once, in decode
/// order, each run's bytes within the bound, and one run when it all fits.
#[test]
fn read_spans_cover_every_sample_within_the_bound() {
    let bytes: &[u8] = include_bytes!("fixtures/draft_de.mp4");
    let movie = parse(bytes);
    let track = video(&movie);
    let n = track.samples.len();
    assert_eq!(
        track.read_spans(u64::MAX),
        vec![std::ops::Range { start: 0, end: n }]
    );
    for bound in [1, 20_000, 50_000] {
        let spans = track.read_spans(bound);
        let flat: Vec<usize> = spans.iter().flat_map(Clone::clone).collect();
        assert_eq!(flat, (0..n).collect::<Vec<_>>(), "bound {bound}");
        for span in &spans {
            let samples = &track.samples[span.clone()];
            let low = samples.iter().map(|s| s.offset).min().expect("a sample");
            let high = samples
                .iter()
                .map(|s| s.offset + u64::from(s.size))
                .max()
                .expect("a sample");
            let range = track.byte_range(span.clone()).expect("a span of samples");
            assert_eq!((range.start, range.end), (low, Some(high)), "{span:?}");
            assert!(
                high - low <= bound || span.len() == 1,
                "bound {bound}: {span:?} spans {} bytes",
                high - low
            );
        }
    }
    assert!(track.byte_range(n..n).is_none());
    // With a 1-byte bound every sample stands alone.
    assert_eq!(track.read_spans(1).len(), n);
}

/// A take from our own draft engine (see make.sh): OpenH264 Constrained
/// Baseline without B-frames, a keyframe every second, AAC-LC mono, index
/// first. Numbers from ffprobe on the committed file.
#[test]
fn draft_engine_take() {
    let bytes: &[u8] = include_bytes!("fixtures/draft_de.mp4");
    let movie = parse(bytes);
    let track = video(&movie);
    assert_eq!(
        (track.width, track.height, track.timescale),
        (720, 720, 24000)
    );
    assert_eq!(track.frame_count(), 72);
    assert_eq!(track.frame_rate, Some(FrameRate::Constant(rational(24, 1))));
    let total: u64 = track.samples.iter().map(|s| u64::from(s.size)).sum();
    assert_eq!(total, 148_565);
    // ffprobe's pts, dts, duration, size, pos and key flag of packets 0,
    // 24 and 71.
    let expect = [
        (0, 0, 1000, 7417, 2052, true),
        (24, 24_000, 1000, 11_257, 66_594, true),
        (71, 71_000, 1000, 1021, 173_261, false),
    ];
    for (i, time, duration, size, pos, key) in expect {
        let s = &track.samples[i];
        assert_eq!(
            (
                s.presentation_time,
                s.decode_time,
                s.duration,
                s.size,
                s.offset,
                s.is_keyframe
            ),
            (time, time, duration, size, pos, key),
            "sample {i}"
        );
    }
    // No B-frames: decode order is presentation order, and a frame decodes
    // from the keyframe of its second.
    assert!(
        track
            .samples
            .windows(2)
            .all(|w| w[0].presentation_time < w[1].presentation_time)
    );
    assert_eq!(track.keyframes, [0, 24, 48]);
    assert_eq!(track.decode_range_for_frame(30), Some(24..31));
    assert_eq!(track.decode_range_for_frame(23), Some(0..24));
    let codec = video_codec(track);
    let avc = codec.avc.as_ref().expect("avcC");
    // Constrained Baseline: profile 66 with constraint_set1; level 3.1.
    assert_eq!((avc.profile_idc, avc.level_idc), (66, 31));
    assert!(avc.constraint_flags & 0x40 != 0);
    assert!(
        codec.codec.starts_with("avc1.42") && codec.codec.ends_with("1f"),
        "{}",
        codec.codec
    );
    let audio = movie.audio_track().expect("audio");
    let CodecConfig::Audio(sound) = &audio.codec else {
        panic!("expected audio, got {:?}", audio.codec);
    };
    assert_eq!(sound.codec, "mp4a.40.2");
    assert_eq!((sound.sample_rate, sound.channels), (48_000, 1));
    assert_eq!(audio.samples.len(), 143);
    // Cut inside the index, as a broken download would be: an error.
    assert!(matches!(
        parse_file(&bytes[..1500]),
        Err(MediaError::Truncated { .. })
    ));
}

#[test]
fn truncated_file_is_an_error() {
    let err = parse_file(include_bytes!("fixtures/truncated.mp4")).unwrap_err();
    // The moov header at byte 32 promises 1208 bytes; the file stops at 700.
    assert_eq!(
        err,
        MediaError::Truncated {
            kind: chorus_media::FourCc::new(b"moov"),
            offset: 32,
            at: 700,
            needed: 1208,
            available: 668,
        }
    );
    assert!(err.to_string().contains("`moov` box at byte 32"));
}

#[test]
fn movie_crosses_to_json_and_back() {
    let movie = parse(include_bytes!("fixtures/av_aac.mp4"));
    let json = serde_json::to_string(&movie).unwrap();
    let back: Movie = serde_json::from_str(&json).unwrap();
    assert_eq!(back, movie);
}
