//! Untrusted bytes must give `Ok` or `Err`, never a panic: random input,
//! every truncation of every fixture, and random corruption of real indexes.

use chorus_media::{IndexLocation, locate_moov, parse_file, parse_moov};
use proptest::prelude::*;

const FIXTURES: &[&[u8]] = &[
    include_bytes!("fixtures/cfr24_bframes.mp4"),
    include_bytes!("fixtures/cfr24_faststart.mp4"),
    include_bytes!("fixtures/edit_trim.mp4"),
    include_bytes!("fixtures/edit_delay.mp4"),
    include_bytes!("fixtures/vfr.mp4"),
    include_bytes!("fixtures/ntsc2997.mp4"),
    include_bytes!("fixtures/av_aac.mp4"),
    include_bytes!("fixtures/hevc.mp4"),
    include_bytes!("fixtures/vp9.mp4"),
    include_bytes!("fixtures/av1.mp4"),
    include_bytes!("fixtures/truncated.mp4"),
];

/// The moov box of a complete fixture.
fn moov_of(file: &[u8]) -> (&[u8], u64) {
    match locate_moov(file, 0, Some(file.len() as u64)).expect("fixture scans") {
        IndexLocation::Found { start, end } => (&file[start as usize..end as usize], start),
        other @ IndexLocation::Fetch(_) => panic!("{other:?}"),
    }
}

/// Runs every entry point; the result is irrelevant, only that it returns.
fn exercise(bytes: &[u8]) {
    let _ = parse_file(bytes);
    let _ = parse_moov(bytes, 0);
    let _ = locate_moov(bytes, 0, None);
    let _ = locate_moov(bytes, 0, Some(bytes.len() as u64));
    if let Ok(movie) = parse_moov(bytes, 0) {
        for track in &movie.tracks {
            for frame in [0, 1, track.frame_count().saturating_sub(1), usize::MAX] {
                let _ = track.decode_range_for_frame(frame);
                let _ = track.frame_timecode(frame);
                let _ = track.frame_time(frame);
            }
            let _ = track.frame_at_time(i64::MAX);
            let _ = track.frame_at_time(i64::MIN);
        }
    }
}

#[test]
fn every_truncation_of_every_fixture() {
    for file in FIXTURES {
        for len in 0..=file.len() {
            let cut = &file[..len];
            let _ = parse_file(cut);
            let _ = locate_moov(cut, 0, Some(len as u64));
        }
    }
}

#[test]
fn every_truncation_of_every_index() {
    for file in &FIXTURES[..FIXTURES.len() - 1] {
        let (moov, start) = moov_of(file);
        assert!(parse_moov(moov, start).is_ok());
        for len in 0..moov.len() {
            assert!(
                parse_moov(&moov[..len], start).is_err(),
                "cut at {len} parsed"
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        exercise(&bytes);
    }

    #[test]
    fn random_bytes_behind_a_moov_header(body in proptest::collection::vec(any::<u8>(), 0..512)) {
        let mut bytes = u32::try_from(body.len() + 8).unwrap().to_be_bytes().to_vec();
        bytes.extend_from_slice(b"moov");
        bytes.extend(body);
        exercise(&bytes);
    }

    #[test]
    fn corrupted_index(
        which in 0..FIXTURES.len() - 1,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
    ) {
        let (moov, _) = moov_of(FIXTURES[which]);
        let mut bytes = moov.to_vec();
        for (at, value) in edits {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        exercise(&bytes);
    }
}
