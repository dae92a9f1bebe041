//! Stream-copy remuxing for "apply offset": rewrites an MP4 so its sound
//! plays earlier or later against the picture, without re-encoding. Pure
//! (bytes in, bytes out) so it runs on the server and in the browser alike.
//!
//! Method: only the audio track's edit list changes. The output maps the
//! audio's media time `c` to presentation time `E' + (c − M')`, where `E'` is
//! a leading empty edit (silence) and `M'` the media time where playback of
//! the audio starts:
//! - a delay grows the empty edit by the offset (`M'` unchanged), exactly
//!   what `ffmpeg -itsoffset` writes;
//! - an advance first uses up any empty edit, then moves `M'` forward. `M'`
//!   is put on the first audio sample boundary at or after the exact point
//!   and the remainder (under one AAC frame) becomes a short empty edit, so
//!   players that start at whole samples (ffmpeg, our preview) and players
//!   that trim inside a sample agree to the tick.
//!
//! Empty edits are in movie-timescale ticks; when the movie timescale
//! cannot hold the new edit exactly, it is raised to the least common
//! multiple of itself and the audio timescale (every movie-tick value in the
//! file is rescaled), so the shift is exact to the audio timescale's tick.
//!
//! Playback: Chromium plays a progressive MP4 (`<video src>`) through its
//! FFmpeg demuxer, which honours empty edits and `media_time`, as ffprobe
//! shows in the tests. Its MSE parser (fragmented MP4 only) honours a first
//! edit's `media_time` but ignores empty edits, so a delay must not be sent
//! through MSE. The preview (chorus-media) honours both.
//!
//! The output is faststart: `ftyp`, then `moov`, then one `mdat` holding the
//! input's chunks in their original order. Every `moov` box is kept as it
//! was except `mvhd`/`tkhd` durations, edit lists and chunk offsets
//! (`stco`, or `co64` past 4 GiB). Other top-level boxes are dropped.

use crate::boxes::BoxRef;
use crate::error::{FourCc, MediaError, Result};
use crate::moov::parse_file;
use crate::movie::{Track, TrackKind};

mod write;

use write::{EditEntry, TimeHeader, read_elst, write_box, write_chunk_offsets, write_elst};

const FTYP: FourCc = FourCc::new(b"ftyp");
const MOOV: FourCc = FourCc::new(b"moov");
const MVHD: FourCc = FourCc::new(b"mvhd");
const TRAK: FourCc = FourCc::new(b"trak");
const TKHD: FourCc = FourCc::new(b"tkhd");
const EDTS: FourCc = FourCc::new(b"edts");
const ELST: FourCc = FourCc::new(b"elst");
const MDIA: FourCc = FourCc::new(b"mdia");
const MINF: FourCc = FourCc::new(b"minf");
const STBL: FourCc = FourCc::new(b"stbl");
const STSC: FourCc = FourCc::new(b"stsc");
const STCO: FourCc = FourCc::new(b"stco");
const CO64: FourCc = FourCc::new(b"co64");
const MDAT: FourCc = FourCc::new(b"mdat");

/// Returns a copy of the MP4 `file` whose audio plays `offset_ms` later
/// (positive) or earlier (negative) than in `file`; video and audio sample
/// bytes are copied unchanged. See the module docs for the method.
pub fn shift_audio(file: &[u8], offset_ms: i32) -> Result<Vec<u8>> {
    let movie = parse_file(file)?;
    let top = top_level_boxes(file)?;
    let moov = top
        .iter()
        .find(|b| b.kind == MOOV)
        .ok_or(MediaError::MoovNotFound {
            searched_to: file.len() as u64,
        })?;
    let traks = moov
        .children()
        .filter(|c| c.as_ref().map_or(true, |c| c.kind == TRAK))
        .collect::<Result<Vec<_>>>()?;
    let audio = movie
        .tracks
        .iter()
        .position(|t| t.kind == TrackKind::Audio)
        .ok_or_else(|| invalid(moov, "the file has no audio track to shift"))?;
    let edit = plan_audio_edit(
        &movie.tracks[audio],
        movie.timescale,
        offset_ms,
        &traks[audio],
    )?;

    // Lay the chunks out in one mdat in their original file order, which
    // keeps the input's interleaving of audio and video.
    let mut chunks: Vec<(usize, usize, Chunk)> = Vec::new();
    let mut relative: Vec<Vec<u64>> = Vec::with_capacity(traks.len());
    for (t, (track, trak)) in movie.tracks.iter().zip(&traks).enumerate() {
        let track_chunks = track_chunks(track, trak)?;
        relative.push(vec![0; track_chunks.len()]);
        for (c, chunk) in track_chunks.into_iter().enumerate() {
            chunks.push((t, c, chunk));
        }
    }
    // Chunk tables need not be in file order; the mdat follows the file.
    chunks.sort_by_key(|&(t, c, chunk)| (chunk.source, t, c));
    let mut payload_len = 0u64;
    for &(t, c, chunk) in &chunks {
        relative[t][c] = payload_len;
        payload_len += chunk.len;
    }

    let ftyp = match top.iter().find(|b| b.kind == FTYP) {
        Some(b) => raw(file, b)?.to_vec(),
        None => default_ftyp(),
    };
    let writer = MoovWriter {
        file,
        traks: &traks,
        audio,
        edit: &edit,
        relative: &relative,
    };
    let mut large = false;
    let mut moov_len = writer.write(moov, 0, false)?.len() as u64;
    let mdat_header = |large: bool| if large { 16 } else { 8 };
    if ftyp.len() as u64 + moov_len + 8 + payload_len > u64::from(u32::MAX) {
        large = true;
        moov_len = writer.write(moov, 0, true)?.len() as u64;
    }
    let base = ftyp.len() as u64 + moov_len + mdat_header(large);
    let moov_bytes = writer.write(moov, base, large)?;

    let mut out = Vec::with_capacity(usize::try_from(base + payload_len).unwrap_or(0));
    out.extend_from_slice(&ftyp);
    out.extend_from_slice(&moov_bytes);
    if large {
        out.extend_from_slice(&1u32.to_be_bytes());
        out.extend_from_slice(&MDAT.0);
        out.extend_from_slice(&(payload_len + 16).to_be_bytes());
    } else {
        out.extend_from_slice(&((payload_len + 8) as u32).to_be_bytes());
        out.extend_from_slice(&MDAT.0);
    }
    for &(_, _, chunk) in &chunks {
        let bytes = usize::try_from(chunk.source)
            .ok()
            .zip(usize::try_from(chunk.source + chunk.len).ok())
            .and_then(|(s, e)| file.get(s..e))
            .ok_or(MediaError::Truncated {
                kind: MDAT,
                offset: chunk.source,
                at: chunk.source,
                needed: chunk.len,
                available: (file.len() as u64).saturating_sub(chunk.source),
            })?;
        out.extend_from_slice(bytes);
    }
    Ok(out)
}

fn invalid(b: &BoxRef<'_>, reason: &str) -> MediaError {
    MediaError::Invalid {
        kind: b.kind,
        offset: b.offset,
        reason: reason.to_owned(),
    }
}

fn top_level_boxes(file: &[u8]) -> Result<Vec<BoxRef<'_>>> {
    let mut boxes = Vec::new();
    let mut pos = 0usize;
    while pos < file.len() {
        let b = BoxRef::parse(&file[pos..], pos as u64)?;
        pos += b.header_len as usize + b.body.len();
        boxes.push(b);
    }
    Ok(boxes)
}

/// The whole box, header included, as it is in the file.
fn raw<'a>(file: &'a [u8], b: &BoxRef<'_>) -> Result<&'a [u8]> {
    let start = usize::try_from(b.offset).ok();
    start
        .and_then(|s| file.get(s..s + b.header_len as usize + b.body.len()))
        .ok_or_else(|| invalid(b, "box lies outside the file"))
}

fn default_ftyp() -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&24u32.to_be_bytes());
    out.extend_from_slice(b"ftypisom");
    out.extend_from_slice(&512u32.to_be_bytes());
    out.extend_from_slice(b"isomiso2mp41");
    out
}

/// The audio track's new edit, and the movie timescale that holds it.
#[derive(Debug, Clone, Copy)]
struct AudioEdit {
    /// New movie timescale, a whole multiple of the old one.
    movie_timescale: u32,
    /// New movie timescale / old one: every movie-tick value scales by it.
    scale: u64,
    /// Leading empty edit, in new movie ticks.
    empty: u64,
    /// Media time (audio ticks) where the audio starts.
    media_time: i64,
    /// Length of the media edit, in new movie ticks.
    media_duration: u64,
}

fn plan_audio_edit(
    track: &Track,
    movie_timescale: u32,
    offset_ms: i32,
    trak_box: &BoxRef<'_>,
) -> Result<AudioEdit> {
    let overflow = || MediaError::Overflow {
        kind: trak_box.kind,
        offset: trak_box.offset,
        what: "shifted audio time",
    };
    if track.edit.ignored_edits > 0 {
        return Err(MediaError::Unsupported {
            kind: trak_box.kind,
            offset: trak_box.offset,
            what: "shifting audio whose edit list has several media edits",
        });
    }
    let audio_ts = i64::from(track.timescale);
    let delta = div_round(i64::from(offset_ms) * audio_ts, 1000);
    // Media (composition) time c plays at empty_delay + c − shift now, and
    // must play at `origin + c` after the shift.
    let (empty_delay, shift) = (track.edit.empty_delay, track.edit.shift);
    let origin = empty_delay
        .checked_add(delta)
        .and_then(|v| v.checked_sub(shift))
        .ok_or_else(overflow)?;
    let media_times = || {
        track.samples.iter().map(|s| {
            s.presentation_time
                .saturating_sub(empty_delay)
                .saturating_add(shift)
        })
    };
    let media_end = match track.edit.media_duration {
        Some(d) => track.edit.media_start.saturating_add(d),
        None => media_times()
            .zip(&track.samples)
            .map(|(c, s)| c.saturating_add(i64::from(s.duration)))
            .max()
            .unwrap_or(0),
    };
    let media_time = if -origin <= shift {
        shift
    } else {
        media_times()
            .filter(|&c| c >= -origin)
            .min()
            .ok_or_else(|| {
                invalid(
                    trak_box,
                    "the offset moves all of the audio before the start",
                )
            })?
    };
    let empty_ticks = origin.saturating_add(media_time);
    let duration_ticks = media_end.saturating_sub(media_time);
    if duration_ticks <= 0 {
        return Err(invalid(
            trak_box,
            "the offset moves all of the audio before the start",
        ));
    }
    // Raise the movie timescale only when the empty edit needs it.
    let mut movie_ts = u64::from(movie_timescale);
    let audio_ts = audio_ts as u64;
    if (u128::from(empty_ticks as u64) * u128::from(movie_ts)) % u128::from(audio_ts) != 0 {
        let lcm = movie_ts / gcd(movie_ts, audio_ts) * audio_ts;
        if u32::try_from(lcm).is_ok() {
            movie_ts = lcm;
        }
    }
    let to_movie = |ticks: u64, round_up: bool| -> Option<u64> {
        let num = u128::from(ticks) * u128::from(movie_ts);
        let den = u128::from(audio_ts);
        let q = if round_up {
            num.div_ceil(den)
        } else {
            (num + den / 2) / den
        };
        u64::try_from(q).ok()
    };
    Ok(AudioEdit {
        movie_timescale: u32::try_from(movie_ts).map_err(|_| overflow())?,
        scale: movie_ts / u64::from(movie_timescale.max(1)),
        empty: to_movie(empty_ticks as u64, false).ok_or_else(overflow)?,
        media_time,
        // Rounded up so the last audio sample is not cut.
        media_duration: to_movie(duration_ticks as u64, true).ok_or_else(overflow)?,
    })
}

fn div_round(num: i64, den: i64) -> i64 {
    let half = den / 2;
    if num >= 0 {
        (num + half) / den
    } else {
        -((-num + half) / den)
    }
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.max(1)
}

/// One chunk of a track: its bytes in the input.
#[derive(Debug, Clone, Copy)]
struct Chunk {
    source: u64,
    len: u64,
}

/// The track's chunks in table order, from `stsc` and the parsed samples
/// (whose offsets already place each sample inside its chunk).
fn track_chunks(track: &Track, trak_box: &BoxRef<'_>) -> Result<Vec<Chunk>> {
    let stbl = trak_box.require(MDIA)?.require(MINF)?.require(STBL)?;
    let (table, entry_size) = if let Some(stco) = stbl.find(STCO)? {
        (stco, 4)
    } else {
        (stbl.require(CO64)?, 8)
    };
    let mut r = table.reader();
    r.full_box()?;
    let count = r.entry_count(entry_size)?;
    let mut r = stbl.require(STSC)?.reader();
    r.full_box()?;
    let entries = r.entry_count(12)?;
    let mut runs = Vec::with_capacity(entries);
    for _ in 0..entries {
        let first_chunk = r.u32()? as usize;
        let per_chunk = r.u32()? as usize;
        r.u32()?;
        runs.push((first_chunk, per_chunk));
    }
    let mut chunks = Vec::with_capacity(count);
    let mut samples = track.samples.iter();
    let mut run = 0;
    for chunk in 1..=count {
        while runs.get(run + 1).is_some_and(|&(first, _)| first <= chunk) {
            run += 1;
        }
        let per_chunk = runs.get(run).map_or(0, |r| r.1);
        let mut source = None;
        let mut len = 0u64;
        for sample in samples.by_ref().take(per_chunk) {
            source.get_or_insert(sample.offset);
            len += u64::from(sample.size);
        }
        chunks.push(Chunk {
            source: source.unwrap_or(0),
            len,
        });
    }
    Ok(chunks)
}

/// Writes the new `moov`; its length does not depend on `base`.
struct MoovWriter<'a, 'f> {
    file: &'f [u8],
    traks: &'a [BoxRef<'f>],
    audio: usize,
    edit: &'a AudioEdit,
    /// Per track, per chunk: offset inside the mdat payload.
    relative: &'a [Vec<u64>],
}

impl MoovWriter<'_, '_> {
    fn write(&self, moov: &BoxRef<'_>, base: u64, large: bool) -> Result<Vec<u8>> {
        let mut durations = Vec::with_capacity(self.traks.len());
        for (t, trak) in self.traks.iter().enumerate() {
            durations.push(if t == self.audio {
                self.edit.empty + self.edit.media_duration
            } else {
                let header = TimeHeader::read(&trak.require(TKHD)?, 8)?;
                header.scaled_duration(self.edit.scale)
            });
        }
        let movie_duration = durations.iter().copied().max().unwrap_or(0);
        let mut out = Vec::new();
        let mut trak_index = 0;
        write_box(&mut out, MOOV, |out| {
            for child in moov.children() {
                let child = child?;
                if child.kind == MVHD {
                    let header = TimeHeader::read(&child, 4)?;
                    let timescale = self.edit.movie_timescale.to_be_bytes();
                    header.write(out, MVHD, &timescale, movie_duration)?;
                } else if child.kind == TRAK {
                    // The parsed movie has one track per `trak`, so both exist.
                    let (Some(relative), Some(&duration)) =
                        (self.relative.get(trak_index), durations.get(trak_index))
                    else {
                        return Err(invalid(&child, "track without a parsed index"));
                    };
                    let offsets: Vec<u64> = relative.iter().map(|r| r + base).collect();
                    self.write_trak(out, &child, trak_index, duration, &offsets, large)?;
                    trak_index += 1;
                } else {
                    out.extend_from_slice(raw(self.file, &child)?);
                }
            }
            Ok(())
        })?;
        Ok(out)
    }

    fn write_trak(
        &self,
        out: &mut Vec<u8>,
        trak: &BoxRef<'_>,
        index: usize,
        duration: u64,
        offsets: &[u64],
        large: bool,
    ) -> Result<()> {
        let is_audio = index == self.audio;
        write_box(out, TRAK, |out| {
            for child in trak.children() {
                let child = child?;
                match child.kind {
                    k if k == TKHD => {
                        let header = TimeHeader::read(&child, 8)?;
                        header.write(out, TKHD, header.middle, duration)?;
                        if is_audio {
                            let mut entries = Vec::new();
                            if self.edit.empty > 0 {
                                entries.push(EditEntry::new(self.edit.empty, -1));
                            }
                            entries.push(EditEntry::new(
                                self.edit.media_duration,
                                self.edit.media_time,
                            ));
                            write_box(out, EDTS, |out| write_elst(out, &entries))?;
                        }
                    }
                    k if k == EDTS && is_audio => {}
                    k if k == EDTS && self.edit.scale > 1 => write_box(out, EDTS, |out| {
                        for e in child.children() {
                            let e = e?;
                            if e.kind == ELST {
                                let mut entries = read_elst(&e)?;
                                for entry in &mut entries {
                                    entry.duration = entry.duration.saturating_mul(self.edit.scale);
                                }
                                write_elst(out, &entries)?;
                            } else {
                                out.extend_from_slice(raw(self.file, &e)?);
                            }
                        }
                        Ok(())
                    })?,
                    k if k == MDIA => {
                        self.write_down(out, &child, &[MINF, STBL], offsets, large)?;
                    }
                    _ => out.extend_from_slice(raw(self.file, &child)?),
                }
            }
            Ok(())
        })
    }

    /// Copies `b`, descending along `path` to `stbl`, whose chunk offset
    /// table is replaced by `offsets`.
    fn write_down(
        &self,
        out: &mut Vec<u8>,
        b: &BoxRef<'_>,
        path: &[FourCc],
        offsets: &[u64],
        large: bool,
    ) -> Result<()> {
        write_box(out, b.kind, |out| {
            for child in b.children() {
                let child = child?;
                match path.first() {
                    Some(&next) if child.kind == next => {
                        self.write_down(out, &child, &path[1..], offsets, large)?;
                    }
                    None if child.kind == STCO || child.kind == CO64 => {
                        write_chunk_offsets(out, offsets, large)?;
                    }
                    _ => out.extend_from_slice(raw(self.file, &child)?),
                }
            }
            Ok(())
        })
    }
}
