//! Applies the edit list (`elst`) to a track's samples, the way ffmpeg does,
//! so that our times match what `ffprobe` prints for the same file: leading
//! empty edits delay the track; the first media edit picks where the shown
//! media starts and ends; samples outside it are kept (they may be needed to
//! decode later frames) but marked hidden; then times shift so the first shown
//! sample is presented at the empty-edit delay.
//!
//! Only that common shape is supported. Later edits (repeats, dwells, slow
//! motion) are counted in `EditInfo::ignored_edits` and otherwise ignored.

use crate::boxes::BoxRef;
use crate::error::Result;
use crate::movie::{EditInfo, Sample};
use crate::reader::Reader;
use crate::sample_table::RawSample;

#[derive(Debug, Clone, Copy)]
struct Edit {
    /// In movie ticks.
    segment_duration: u64,
    /// In media ticks; -1 marks an empty edit.
    media_time: i64,
}

/// Reads `elst` and turns it into track-tick values. `movie_timescale` is
/// the `mvhd` timescale in which segment durations are given.
pub(crate) fn read_edit_list(
    elst: &BoxRef<'_>,
    movie_timescale: u32,
    track_timescale: u32,
) -> Result<EditInfo> {
    let mut r = elst.reader();
    let (version, _) = r.full_box()?;
    let entry_size = if version == 1 { 20 } else { 12 };
    let count = r.entry_count(entry_size)?;
    let mut edits = Vec::with_capacity(count);
    for _ in 0..count {
        edits.push(read_edit(&mut r, version)?);
    }
    let to_track = |movie_ticks: u64| -> Result<i64> {
        rescale(movie_ticks, movie_timescale, track_timescale)
            .ok_or_else(|| r.overflow("edit duration"))
    };

    let mut info = EditInfo::default();
    let mut edits = edits.into_iter();
    for edit in edits.by_ref() {
        if edit.media_time == -1 {
            info.empty_delay = info
                .empty_delay
                .checked_add(to_track(edit.segment_duration)?)
                .ok_or_else(|| r.overflow("empty edit"))?;
            continue;
        }
        if edit.media_time < 0 {
            return Err(r.invalid(format!("media time {} is negative", edit.media_time)));
        }
        info.media_start = edit.media_time;
        // A zero duration means "the rest of the media" (fragmented files
        // write it that way).
        info.media_duration = (edit.segment_duration != 0)
            .then(|| to_track(edit.segment_duration))
            .transpose()?;
        break;
    }
    info.ignored_edits = u32::try_from(edits.count()).unwrap_or(u32::MAX);
    Ok(info)
}

fn read_edit(r: &mut Reader<'_>, version: u8) -> Result<Edit> {
    let (segment_duration, media_time) = if version == 1 {
        (r.u64()?, r.i64()?)
    } else {
        (u64::from(r.u32()?), i64::from(r.i32()?))
    };
    // media_rate (16.16); only rate 1 is played back, others are ignored.
    r.i16()?;
    r.i16()?;
    Ok(Edit {
        segment_duration,
        media_time,
    })
}

/// `value` ticks of `from` expressed in ticks of `to`, rounded to nearest.
fn rescale(value: u64, from: u32, to: u32) -> Option<i64> {
    if from == 0 {
        return None;
    }
    let scaled = (u128::from(value) * u128::from(to) + u128::from(from) / 2) / u128::from(from);
    i64::try_from(scaled).ok()
}

/// Marks hidden samples and shifts times. Without an edit list (`None`)
/// every sample is shown and times are left as they are.
pub(crate) fn apply_edits(
    raw: &[RawSample],
    edit: Option<EditInfo>,
    overflow: impl Fn() -> crate::error::MediaError,
) -> Result<(Vec<Sample>, EditInfo)> {
    let mut info = edit.unwrap_or_default();
    let shown = |s: &RawSample| match edit {
        None => true,
        Some(e) => {
            s.composition_time >= e.media_start
                && e.media_duration
                    .is_none_or(|d| s.composition_time < e.media_start.saturating_add(d))
        }
    };
    if edit.is_some() {
        // ffmpeg starts presentation at the first sample at or after the
        // edit's media time, even when the edit begins inside an earlier frame.
        info.shift = raw
            .iter()
            .filter(|s| shown(s))
            .map(|s| s.composition_time)
            .min()
            .unwrap_or(info.media_start);
    }
    let shift_by = info
        .empty_delay
        .checked_sub(info.shift)
        .ok_or_else(&overflow)?;
    let samples = raw
        .iter()
        .map(|s| {
            Ok(Sample {
                offset: s.offset,
                size: s.size,
                decode_time: s.decode_time.checked_add(shift_by).ok_or_else(&overflow)?,
                presentation_time: s
                    .composition_time
                    .checked_add(shift_by)
                    .ok_or_else(&overflow)?,
                duration: s.duration,
                is_keyframe: s.is_keyframe,
                is_shown: shown(s),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((samples, info))
}
