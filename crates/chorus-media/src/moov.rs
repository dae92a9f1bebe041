//! Parses the `moov` box into a [`Movie`]: movie and track headers, then
//! each track's sample tables, codec configuration and edit list.

use crate::boxes::{BoxRef, MOOV};
use crate::codec::read_stsd;
use crate::edit::{apply_edits, read_edit_list};
use crate::error::{FourCc, MediaError, Result};
use crate::movie::{CodecConfig, Movie, Track, TrackKind};
use crate::sample_table::read_samples;
use crate::scan::{IndexLocation, locate_moov};
use crate::time::{FrameRate, Rational};

/// The most samples one track may have. A fixed-size `stsz` can claim any
/// count in a few bytes, so without a cap a forged file could make a browser
/// tab allocate gigabytes; at this cap the sample list stays near 100 MB.
/// 2^20 samples is over 9 hours of 30 fps video or 6 hours of 48 kHz AAC.
pub const MAX_SAMPLES_PER_TRACK: u64 = 1 << 20;

/// Parses a complete `moov` box (header included) that starts at file offset
/// `offset`. Chunk offsets in the result are absolute file offsets, so the
/// offset only matters for error messages.
pub fn parse_moov(moov: &[u8], offset: u64) -> Result<Movie> {
    let moov = BoxRef::parse(moov, offset)?;
    if moov.kind != MOOV {
        return Err(MediaError::Invalid {
            kind: moov.kind,
            offset,
            reason: "expected a `moov` box".to_owned(),
        });
    }
    if moov.find(FourCc::new(b"mvex"))?.is_some() {
        return Err(MediaError::Unsupported {
            kind: MOOV,
            offset,
            what: "fragmented MP4 (mvex)",
        });
    }
    let (timescale, duration) = read_timescale_and_duration(&moov.require(FourCc::new(b"mvhd"))?)?;
    if timescale == 0 {
        return Err(MediaError::Invalid {
            kind: FourCc::new(b"mvhd"),
            offset,
            reason: "timescale is 0".to_owned(),
        });
    }
    let mut tracks = Vec::new();
    for child in moov.children() {
        let child = child?;
        if child.kind == FourCc::new(b"trak") {
            tracks.push(read_track(&child, timescale)?);
        }
    }
    Ok(Movie {
        timescale,
        duration,
        tracks,
    })
}

/// Parses a whole file held in memory (tests, native tools).
pub fn parse_file(file: &[u8]) -> Result<Movie> {
    match locate_moov(file, 0, Some(file.len() as u64))? {
        IndexLocation::Found { start, end } => {
            // Found ranges lie inside the window, so these convert and slice.
            let bytes = usize::try_from(start)
                .ok()
                .zip(usize::try_from(end).ok())
                .and_then(|(s, e)| file.get(s..e))
                .ok_or(MediaError::MoovNotFound { searched_to: end })?;
            parse_moov(bytes, start)
        }
        IndexLocation::Fetch(range) => Err(MediaError::MoovNotFound {
            searched_to: range.start,
        }),
    }
}

/// Timescale and duration from `mvhd` or `mdhd`, which share that layout.
fn read_timescale_and_duration(b: &BoxRef<'_>) -> Result<(u32, u64)> {
    let mut r = b.reader();
    let (version, _) = r.full_box()?;
    if version == 1 {
        r.skip(16)?; // creation and modification times
        Ok((r.u32()?, r.u64()?))
    } else {
        r.skip(8)?;
        Ok((r.u32()?, u64::from(r.u32()?)))
    }
}

/// Track id and display size from `tkhd`.
fn read_tkhd(b: &BoxRef<'_>) -> Result<(u32, u32, u32)> {
    let mut r = b.reader();
    let (version, _) = r.full_box()?;
    let times = if version == 1 { 16 } else { 8 };
    r.skip(times)?;
    let id = r.u32()?;
    r.skip(4)?; // reserved
    r.skip(if version == 1 { 8 } else { 4 })?; // duration
    // reserved(8) layer(2) alternate_group(2) volume(2) reserved(2) matrix(36)
    r.skip(52)?;
    // 16.16 fixed point; the fraction is dropped.
    let width = r.u32()? >> 16;
    let height = r.u32()? >> 16;
    Ok((id, width, height))
}

fn read_handler(b: &BoxRef<'_>) -> Result<FourCc> {
    let mut r = b.reader();
    r.full_box()?;
    r.skip(4)?; // pre_defined
    r.fourcc()
}

fn read_track(trak_box: &BoxRef<'_>, movie_timescale: u32) -> Result<Track> {
    let (id, width, height) = read_tkhd(&trak_box.require(FourCc::new(b"tkhd"))?)?;
    let mdia = trak_box.require(FourCc::new(b"mdia"))?;
    let mdhd = mdia.require(FourCc::new(b"mdhd"))?;
    let (timescale, media_duration) = read_timescale_and_duration(&mdhd)?;
    if timescale == 0 {
        return Err(MediaError::Invalid {
            kind: mdhd.kind,
            offset: mdhd.offset,
            reason: "timescale is 0".to_owned(),
        });
    }
    let kind = match read_handler(&mdia.require(FourCc::new(b"hdlr"))?)? {
        h if h == FourCc::new(b"vide") => TrackKind::Video,
        h if h == FourCc::new(b"soun") => TrackKind::Audio,
        h => TrackKind::Other(h),
    };
    let stbl = mdia
        .require(FourCc::new(b"minf"))?
        .require(FourCc::new(b"stbl"))?;
    let codec = match stbl.find(FourCc::new(b"stsd"))? {
        Some(stsd) => read_stsd(&stsd)?,
        None => CodecConfig::Unknown {
            fourcc: FourCc([0; 4]),
        },
    };
    let raw = read_samples(&stbl, id, MAX_SAMPLES_PER_TRACK)?;
    let edit = match trak_box.find(FourCc::new(b"edts"))? {
        Some(edts) => match edts.find(FourCc::new(b"elst"))? {
            Some(elst) => Some(read_edit_list(&elst, movie_timescale, timescale)?),
            None => None,
        },
        None => None,
    };
    let overflow = || MediaError::Overflow {
        kind: trak_box.kind,
        offset: trak_box.offset,
        what: "sample time",
    };
    let (samples, edit) = apply_edits(&raw, edit, overflow)?;
    let duration = match edit.media_duration {
        Some(d) => d,
        None => i64::try_from(media_duration).map_err(|_| overflow())?,
    };
    let keyframes = (0..samples.len())
        .filter(|&i| samples.get(i).is_some_and(|s| s.is_keyframe))
        .collect();
    let mut frames: Vec<usize> = (0..samples.len())
        .filter(|&i| samples.get(i).is_some_and(|s| s.is_shown))
        .collect();
    frames.sort_by_key(|&i| samples.get(i).map(|s| (s.presentation_time, i)));
    let mut track = Track {
        id,
        kind,
        timescale,
        duration,
        width,
        height,
        codec,
        edit,
        samples,
        keyframes,
        frames,
        frame_rate: None,
    };
    if track.kind == TrackKind::Video {
        track.frame_rate = frame_rate(&track);
    }
    Ok(track)
}

/// Constant when consecutive shown frames are all the same distance apart
/// (measured between presentation times, so B-frame reordering does not
/// matter), else the average over the presented span. The last frame's
/// length is left out of the test: muxers derive it from the edit list or
/// repeat the previous delta, so it says little about the source rate.
fn frame_rate(track: &Track) -> Option<FrameRate> {
    let times: Vec<i64> = track
        .frames
        .iter()
        .filter_map(|&i| track.samples.get(i).map(|s| s.presentation_time))
        .collect();
    let first_time = *times.first()?;
    let end = track.presentation_end()?;
    let timescale = u64::from(track.timescale);
    let mut deltas = times
        .windows(2)
        .filter_map(|w| w.get(1).zip(w.first()).map(|(b, a)| b - a));
    let constant = match deltas.next() {
        Some(first) => (first > 0 && deltas.all(|d| d == first)).then_some(first),
        // A single frame: its own span is all there is.
        None => Some(end - first_time),
    };
    if let Some(delta) = constant.filter(|&d| d > 0) {
        return Rational::new(timescale, delta as u64).map(FrameRate::Constant);
    }
    let span = u64::try_from(end.checked_sub(first_time)?).ok()?;
    let average = Rational::new((times.len() as u64).checked_mul(timescale)?, span)?;
    Some(FrameRate::Variable { average })
}
