//! Finding the index with the Range requests a browser would make.

use chorus_media::{ByteRange, IndexLocation, MediaError, locate_moov, parse_file, parse_moov};

const MOOV_AT_END: &[u8] = include_bytes!("fixtures/cfr24_bframes.mp4");
const FASTSTART: &[u8] = include_bytes!("fixtures/cfr24_faststart.mp4");

fn slice(file: &[u8], start: u64, end: u64) -> &[u8] {
    file.get(start as usize..end as usize)
        .expect("range inside the file")
}

#[test]
fn moov_at_end_takes_a_second_request_for_the_tail() {
    let size = MOOV_AT_END.len() as u64;
    // Request 1: the first 64 KiB (here the file is smaller, so the first 64
    // bytes stand in: enough for ftyp, free and the mdat header).
    let first = locate_moov(slice(MOOV_AT_END, 0, 64), 0, Some(size)).unwrap();
    let IndexLocation::Fetch(range) = first else {
        panic!("expected a fetch, got {first:?}");
    };
    // moov starts right after the 7884-byte mdat at byte 40.
    assert_eq!(
        range,
        ByteRange {
            start: 7924,
            end: Some(size)
        }
    );
    assert_eq!(range.http_range(), "bytes=7924-9131");
    // Request 2: the tail holds the whole moov.
    let tail = slice(MOOV_AT_END, range.start, size);
    let found = locate_moov(tail, range.start, Some(size)).unwrap();
    assert_eq!(
        found,
        IndexLocation::Found {
            start: 7924,
            end: size
        }
    );
    let movie = parse_moov(tail, 7924).unwrap();
    assert_eq!(movie, parse_file(MOOV_AT_END).unwrap());
}

#[test]
fn unknown_size_asks_for_an_open_ended_range() {
    let first = locate_moov(slice(MOOV_AT_END, 0, 64), 0, None).unwrap();
    let IndexLocation::Fetch(range) = first else {
        panic!("expected a fetch, got {first:?}");
    };
    assert_eq!(
        range,
        ByteRange {
            start: 7924,
            end: None
        }
    );
    assert_eq!(range.http_range(), "bytes=7924-");
}

#[test]
fn faststart_is_found_in_the_first_request() {
    let size = FASTSTART.len() as u64;
    let found = locate_moov(slice(FASTSTART, 0, 4096), 0, Some(size)).unwrap();
    assert_eq!(
        found,
        IndexLocation::Found {
            start: 32,
            end: 1240
        }
    );
    // A first request too short for the whole moov asks for exactly the moov.
    let partial = locate_moov(slice(FASTSTART, 0, 100), 0, None).unwrap();
    assert_eq!(
        partial,
        IndexLocation::Fetch(ByteRange {
            start: 32,
            end: Some(1240)
        })
    );
    // A window that stops inside the ftyp header asks again from there.
    let tiny = locate_moov(slice(FASTSTART, 0, 5), 0, Some(size)).unwrap();
    assert_eq!(
        tiny,
        IndexLocation::Fetch(ByteRange {
            start: 0,
            end: Some(size)
        })
    );
}

#[test]
fn file_without_moov_is_an_error() {
    // ftyp then a box running to the end of the file (size 0).
    let mut file = include_bytes!("fixtures/cfr24_bframes.mp4")[..32].to_vec();
    file.extend_from_slice(&[0, 0, 0, 0, b'm', b'd', b'a', b't', 1, 2, 3]);
    let size = file.len() as u64;
    assert_eq!(
        locate_moov(&file, 0, Some(size)),
        Err(MediaError::MoovNotFound { searched_to: size })
    );
    assert_eq!(
        locate_moov(&file, 0, None),
        Err(MediaError::MoovNotFound { searched_to: 32 })
    );
}

#[test]
fn moov_cut_off_by_the_end_of_the_file_is_an_error() {
    let cut = slice(MOOV_AT_END, 0, 9000);
    let err = locate_moov(cut, 0, Some(9000)).unwrap_err();
    assert!(
        matches!(err, MediaError::Truncated { offset: 7924, .. }),
        "{err}"
    );
    // mdat itself cut short: the file ends before the box does.
    let err = locate_moov(slice(MOOV_AT_END, 0, 4000), 0, Some(4000)).unwrap_err();
    assert!(
        matches!(err, MediaError::Truncated { offset: 40, .. }),
        "{err}"
    );
}
