//! Hand-built files for layouts ffmpeg does not write for small inputs:
//! 64-bit box sizes, a size-0 last box, `co64`, a fixed-size `stsz`, `stsc`
//! runs, version-1 `ctts` with negative offsets, missing `stss`, version-1
//! `elst`.

#![expect(
    clippy::similar_names,
    reason = "bindings are named after the boxes they hold (stsz, stsc, mdhd, ...)"
)]

use chorus_media::{
    CodecConfig, FrameRate, IndexLocation, MediaError, Rational, locate_moov, parse_file,
    parse_moov,
};

fn bx(kind: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let body: Vec<u8> = parts.concat();
    let mut out = u32::try_from(body.len() + 8)
        .expect("small box")
        .to_be_bytes()
        .to_vec();
    out.extend_from_slice(kind);
    out.extend(body);
    out
}

fn full(kind: &[u8], version: u8, parts: &[&[u8]]) -> Vec<u8> {
    let mut body = vec![version, 0, 0, 0];
    body.extend(parts.concat());
    bx(kind, &[&body])
}

fn be32(values: &[u32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_be_bytes()).collect()
}

fn be64(values: &[u64]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_be_bytes()).collect()
}

/// A 7-sample 25 fps video track (timescale 1000, 40 ms per frame).
fn moov() -> Vec<u8> {
    let mvhd = full(b"mvhd", 0, &[&be32(&[0, 0, 1000, 280]), &[0; 80]]);
    let tkhd = full(
        b"tkhd",
        0,
        &[
            &be32(&[0, 0, 1, 0, 280]),
            &[0; 52],
            &be32(&[320 << 16, 240 << 16]),
        ],
    );
    // Version-1 elst with 64-bit fields, media from time 0.
    let elst = full(b"elst", 1, &[&be32(&[1]), &be64(&[280, 0]), &[0, 1, 0, 0]]);
    let edts = bx(b"edts", &[&elst]);
    let mdhd = full(b"mdhd", 0, &[&be32(&[0, 0, 1000, 280]), &[0; 4]]);
    let hdlr = full(b"hdlr", 0, &[&be32(&[0]), b"vide", &[0; 13]]);
    let avcc = bx(b"avcC", &[&[1, 0x42, 0xc0, 0x1e, 0xff, 0xe0, 0x00]]);
    let mut visual = vec![0u8; 78];
    visual[24..28].copy_from_slice(&[1, 64, 0, 240]);
    let avc1 = bx(b"avc1", &[&visual, &avcc]);
    let stsd = full(b"stsd", 0, &[&be32(&[1]), &avc1]);
    let stts = full(b"stts", 0, &[&be32(&[1, 7, 40])]);
    // Decode order I P B B P B B. Version 1 allows negative offsets, so the
    // I frame needs no delay: B frames are shown 40 ms before they decode.
    let minus_40 = (-40i32).cast_unsigned();
    let ctts = full(
        b"ctts",
        1,
        &[&be32(&[5, 1, 0, 1, 80, 2, minus_40, 1, 80, 2, minus_40])],
    );
    // Fixed sample size, 100 bytes each.
    let stsz = full(b"stsz", 0, &[&be32(&[100, 7])]);
    // Chunk 1 holds 3 samples, chunks 2 and 3 hold 2 each.
    let stsc = full(b"stsc", 0, &[&be32(&[2, 1, 3, 1, 2, 2, 1])]);
    let co64 = full(
        b"co64",
        0,
        &[
            &be32(&[3]),
            &be64(&[5_000_000_000, 6_000_000_000, 7_000_000_000]),
        ],
    );
    let stbl = bx(b"stbl", &[&stsd, &stts, &ctts, &stsz, &stsc, &co64]);
    let minf = bx(b"minf", &[&stbl]);
    let mdia = bx(b"mdia", &[&mdhd, &hdlr, &minf]);
    let trak = bx(b"trak", &[&tkhd, &edts, &mdia]);
    bx(b"moov", &[&mvhd, &trak])
}

#[test]
fn compact_tables_expand_to_the_right_samples() {
    let movie = parse_moov(&moov(), 0).unwrap();
    let track = movie.video_track().unwrap();
    assert_eq!((track.width, track.height), (320, 240));
    let offsets: Vec<u64> = track.samples.iter().map(|s| s.offset).collect();
    assert_eq!(
        offsets,
        [
            5_000_000_000,
            5_000_000_100,
            5_000_000_200,
            6_000_000_000,
            6_000_000_100,
            7_000_000_000,
            7_000_000_100
        ]
    );
    assert!(track.samples.iter().all(|s| s.size == 100 && s.is_keyframe));
    assert_eq!(track.keyframes.len(), 7);
    let pts: Vec<i64> = track.samples.iter().map(|s| s.presentation_time).collect();
    let dts: Vec<i64> = track.samples.iter().map(|s| s.decode_time).collect();
    assert_eq!(dts, [0, 40, 80, 120, 160, 200, 240]);
    assert_eq!(pts, [0, 120, 40, 80, 240, 160, 200]);
    assert_eq!(track.frames, [0, 2, 3, 1, 5, 6, 4]);
    assert_eq!(track.presentation_end(), Some(280));
    // Without stss every sample is a keyframe: frame 3 (the P) needs only itself.
    assert_eq!(track.decode_range_for_frame(3), Some(1..2));
    match &track.codec {
        CodecConfig::Video(v) => assert_eq!(v.codec, "avc1.42c01e"),
        other => panic!("{other:?}"),
    }
    assert_eq!(track.frame_rate.map(FrameRate::rate), Rational::new(25, 1));
}

#[test]
fn large_size_header_and_size_zero_last_box() {
    let moov = moov();
    let ftyp = bx(b"ftyp", &[b"isom", &[0, 0, 2, 0]]);
    // mdat with a 64-bit size field (size = 1, then the real size).
    let mut mdat = be32(&[1]);
    mdat.extend_from_slice(b"mdat");
    mdat.extend(be64(&[16 + 10]));
    mdat.extend([0u8; 10]);
    // moov last, with size 0: "to the end of the file".
    let mut moov_to_end = moov.clone();
    moov_to_end[..4].copy_from_slice(&[0, 0, 0, 0]);
    let file = [ftyp.clone(), mdat, moov_to_end].concat();
    let moov_start = (ftyp.len() + 26) as u64;
    let size = file.len() as u64;
    assert_eq!(
        locate_moov(&file, 0, Some(size)).unwrap(),
        IndexLocation::Found {
            start: moov_start,
            end: size
        }
    );
    // Without the size the end of a size-0 moov is unknown.
    assert!(matches!(
        locate_moov(&file, 0, None).unwrap(),
        IndexLocation::Fetch(r) if r.start == moov_start && r.end.is_none()
    ));
    let movie = parse_file(&file).unwrap();
    assert_eq!(movie, parse_moov(&moov, 0).unwrap());

    // moov itself with a 64-bit header.
    let mut large = be32(&[1]);
    large.extend_from_slice(b"moov");
    large.extend(be64(&[moov.len() as u64 + 8]));
    large.extend_from_slice(&moov[8..]);
    assert_eq!(parse_moov(&large, 0).unwrap(), movie);
}

#[test]
fn inconsistent_tables_are_errors_not_panics() {
    let good = moov();
    let find = |needle: &[u8]| good.windows(4).position(|w| w == needle).unwrap();
    // stsz says 9 samples, stts only covers 7.
    let mut bad = good.clone();
    let stsz = find(b"stsz");
    bad[stsz + 12..stsz + 16].copy_from_slice(&9u32.to_be_bytes());
    let err = parse_moov(&bad, 0).unwrap_err();
    assert!(matches!(err, MediaError::Invalid { .. }), "{err}");
    assert!(err.to_string().contains("`stts`"), "{err}");

    // An mdhd timescale of 0.
    let mut bad = good.clone();
    let mdhd = find(b"mdhd");
    bad[mdhd + 16..mdhd + 20].copy_from_slice(&0u32.to_be_bytes());
    let err = parse_moov(&bad, 0).unwrap_err();
    assert!(err.to_string().contains("timescale is 0"), "{err}");

    // A child box that claims to be larger than its parent.
    let mut bad = good.clone();
    let stts = find(b"stts");
    bad[stts - 4..stts].copy_from_slice(&1000u32.to_be_bytes());
    let err = parse_moov(&bad, 0).unwrap_err();
    assert!(matches!(err, MediaError::Truncated { .. }), "{err}");

    // A huge sample count in a fixed-size stsz is refused before allocating.
    let mut bad = good.clone();
    bad[stsz + 12..stsz + 16].copy_from_slice(&u32::MAX.to_be_bytes());
    let err = parse_moov(&bad, 0).unwrap_err();
    assert!(matches!(err, MediaError::TooManySamples { .. }), "{err}");
}
