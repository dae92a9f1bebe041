//! Expands the compressed sample tables of an `stbl` box (`stts`, `ctts`,
//! `stss`, `stsz`/`stz2`, `stsc`, `stco`/`co64`) into one flat list of samples
//! in decode order. Times here are raw media times; `edit.rs` shifts them.

use crate::boxes::BoxRef;
use crate::error::{FourCc, MediaError, Result};
use crate::reader::Reader;

const STTS: FourCc = FourCc::new(b"stts");
const CTTS: FourCc = FourCc::new(b"ctts");
const STSS: FourCc = FourCc::new(b"stss");
const STSZ: FourCc = FourCc::new(b"stsz");
const STZ2: FourCc = FourCc::new(b"stz2");
const STSC: FourCc = FourCc::new(b"stsc");
const STCO: FourCc = FourCc::new(b"stco");
const CO64: FourCc = FourCc::new(b"co64");

/// A sample before the edit list is applied.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RawSample {
    pub offset: u64,
    pub size: u32,
    pub decode_time: i64,
    pub composition_time: i64,
    pub duration: u32,
    pub is_keyframe: bool,
}

/// Reads the sample tables of `stbl`. `max_samples` bounds memory use, since
/// a fixed-size `stsz` can claim billions of samples in a dozen bytes.
pub(crate) fn read_samples(
    stbl: &BoxRef<'_>,
    track_id: u32,
    max_samples: u64,
) -> Result<Vec<RawSample>> {
    let sizes = read_sizes(stbl)?;
    let count = sizes.count();
    if count as u64 > max_samples {
        return Err(MediaError::TooManySamples {
            track_id,
            count: count as u64,
            limit: max_samples,
        });
    }
    let mut samples = Vec::with_capacity(count);
    for index in 0..count {
        samples.push(RawSample {
            offset: 0,
            size: sizes.get(index),
            decode_time: 0,
            composition_time: 0,
            duration: 0,
            is_keyframe: true,
        });
    }
    apply_durations(&stbl.require(STTS)?, &mut samples)?;
    if let Some(ctts) = stbl.find(CTTS)? {
        apply_composition_offsets(&ctts, &mut samples)?;
    } else {
        for s in &mut samples {
            s.composition_time = s.decode_time;
        }
    }
    if let Some(stss) = stbl.find(STSS)? {
        apply_sync_samples(&stss, &mut samples)?;
    }
    let chunks = read_chunk_offsets(stbl)?;
    apply_offsets(&stbl.require(STSC)?, &chunks, &mut samples)?;
    Ok(samples)
}

enum Sizes<'a> {
    Fixed {
        size: u32,
        count: usize,
    },
    /// Big-endian entries of `width` bits.
    Table {
        data: &'a [u8],
        width: u8,
        count: usize,
    },
}

impl Sizes<'_> {
    fn count(&self) -> usize {
        match *self {
            Self::Fixed { count, .. } | Self::Table { count, .. } => count,
        }
    }

    fn get(&self, index: usize) -> u32 {
        match *self {
            Self::Fixed { size, .. } => size,
            Self::Table { data, width, .. } => {
                let byte = |i: usize| data.get(i).copied().map_or(0, u32::from);
                match width {
                    4 => {
                        let b = byte(index / 2);
                        if index.is_multiple_of(2) {
                            b >> 4
                        } else {
                            b & 0x0f
                        }
                    }
                    8 => byte(index),
                    16 => (byte(index * 2) << 8) | byte(index * 2 + 1),
                    _ => {
                        let i = index * 4;
                        u32::from_be_bytes([0, 1, 2, 3].map(|k| byte(i + k) as u8))
                    }
                }
            }
        }
    }
}

fn read_sizes<'a>(stbl: &BoxRef<'a>) -> Result<Sizes<'a>> {
    if let Some(stsz) = stbl.find(STSZ)? {
        let mut r = stsz.reader();
        r.full_box()?;
        let size = r.u32()?;
        if size != 0 {
            let count = r.u32()? as usize;
            return Ok(Sizes::Fixed { size, count });
        }
        let count = r.entry_count(4)?;
        return Ok(Sizes::Table {
            data: r.rest(),
            width: 32,
            count,
        });
    }
    let Some(stz2) = stbl.find(STZ2)? else {
        return Err(MediaError::MissingBox {
            missing: STSZ,
            parent: stbl.kind,
            offset: stbl.offset,
        });
    };
    let mut r = stz2.reader();
    r.full_box()?;
    r.skip(3)?;
    let width = r.u8()?;
    if !matches!(width, 4 | 8 | 16) {
        return Err(r.invalid(format!("field size {width} is not 4, 8 or 16")));
    }
    let count = r.u32()? as usize;
    let needed = count
        .checked_mul(usize::from(width))
        .map(|bits| bits.div_ceil(8));
    if needed.is_none_or(|n| n > r.remaining()) {
        return Err(r.truncated(needed.unwrap_or(usize::MAX)));
    }
    Ok(Sizes::Table {
        data: r.rest(),
        width,
        count,
    })
}

/// Runs of (count, value) pairs, as in `stts` and `ctts`, applied to the
/// samples in order. The table must cover every sample; entries past the
/// last sample are ignored, as other demuxers do.
fn for_each_run(
    r: &mut Reader<'_>,
    samples_len: usize,
    mut apply: impl FnMut(usize, u32) -> Result<()>,
) -> Result<()> {
    let entries = r.entry_count(8)?;
    let mut index = 0usize;
    for _ in 0..entries {
        let run = r.u32()? as usize;
        let value = r.u32()?;
        let end = index.saturating_add(run).min(samples_len);
        for i in index..end {
            apply(i, value)?;
        }
        index = end;
        if index == samples_len {
            return Ok(());
        }
    }
    if index < samples_len {
        return Err(r.invalid(format!(
            "covers {index} samples but the track has {samples_len}"
        )));
    }
    Ok(())
}

fn apply_durations(stts: &BoxRef<'_>, samples: &mut [RawSample]) -> Result<()> {
    let mut r = stts.reader();
    r.full_box()?;
    let overflow = r.overflow("decode time");
    let mut time: i64 = 0;
    let len = samples.len();
    for_each_run(&mut r, len, |i, delta| {
        let s = samples.get_mut(i).ok_or_else(|| overflow.clone())?;
        s.decode_time = time;
        s.duration = delta;
        time = time
            .checked_add(i64::from(delta))
            .ok_or_else(|| overflow.clone())?;
        Ok(())
    })
}

fn apply_composition_offsets(ctts: &BoxRef<'_>, samples: &mut [RawSample]) -> Result<()> {
    let mut r = ctts.reader();
    // Version 1 offsets are signed; version 0 ones are unsigned in the spec
    // but encoders write negative values there too, so both read as i32.
    r.full_box()?;
    let overflow = r.overflow("composition time");
    let len = samples.len();
    for_each_run(&mut r, len, |i, raw| {
        let s = samples.get_mut(i).ok_or_else(|| overflow.clone())?;
        s.composition_time = s
            .decode_time
            .checked_add(i64::from(raw as i32))
            .ok_or_else(|| overflow.clone())?;
        Ok(())
    })
}

fn apply_sync_samples(stss: &BoxRef<'_>, samples: &mut [RawSample]) -> Result<()> {
    let mut r = stss.reader();
    r.full_box()?;
    let entries = r.entry_count(4)?;
    for s in samples.iter_mut() {
        s.is_keyframe = false;
    }
    for _ in 0..entries {
        let number = r.u32()?;
        let len = samples.len();
        // Sample numbers are 1-based.
        let sample = (number as usize)
            .checked_sub(1)
            .and_then(|i| samples.get_mut(i))
            .ok_or_else(|| r.invalid(format!("sync sample {number} is not in 1..={len}")))?;
        sample.is_keyframe = true;
    }
    Ok(())
}

fn read_chunk_offsets(stbl: &BoxRef<'_>) -> Result<Vec<u64>> {
    if let Some(stco) = stbl.find(STCO)? {
        let mut r = stco.reader();
        r.full_box()?;
        let n = r.entry_count(4)?;
        return (0..n).map(|_| r.u32().map(u64::from)).collect();
    }
    let Some(co64) = stbl.find(CO64)? else {
        return Err(MediaError::MissingBox {
            missing: STCO,
            parent: stbl.kind,
            offset: stbl.offset,
        });
    };
    let mut r = co64.reader();
    r.full_box()?;
    let n = r.entry_count(8)?;
    (0..n).map(|_| r.u64()).collect()
}

/// Places samples in chunks: `stsc` says how many samples each run of chunks
/// holds; within a chunk samples follow each other with no gaps.
fn apply_offsets(stsc: &BoxRef<'_>, chunks: &[u64], samples: &mut [RawSample]) -> Result<()> {
    let mut r = stsc.reader();
    r.full_box()?;
    let entries = r.entry_count(12)?;
    let mut runs = Vec::with_capacity(entries);
    for _ in 0..entries {
        let first_chunk = r.u32()?;
        let per_chunk = r.u32()?;
        r.u32()?; // sample description index: we only read the first entry
        runs.push((first_chunk, per_chunk));
    }
    let mut sample_index = 0usize;
    for (i, &(first_chunk, per_chunk)) in runs.iter().enumerate() {
        let previous = if i == 0 {
            0
        } else {
            runs.get(i - 1).map_or(0, |p| p.0)
        };
        if first_chunk == 0 || first_chunk <= previous {
            return Err(r.invalid(format!("first chunk {first_chunk} out of order")));
        }
        // This run lasts until the next entry's first chunk, or the last chunk.
        let end_chunk = runs
            .get(i + 1)
            .map_or(chunks.len(), |next| (next.0 as usize).saturating_sub(1))
            .min(chunks.len());
        for chunk in (first_chunk as usize - 1)..end_chunk {
            let mut offset = chunks.get(chunk).copied().unwrap_or_default();
            for _ in 0..per_chunk {
                let Some(sample) = samples.get_mut(sample_index) else {
                    return Ok(());
                };
                sample.offset = offset;
                offset = offset
                    .checked_add(u64::from(sample.size))
                    .ok_or_else(|| r.overflow("sample offset"))?;
                sample_index += 1;
            }
        }
    }
    if sample_index < samples.len() {
        return Err(r.invalid(format!(
            "chunks hold {sample_index} samples but the track has {}",
            samples.len()
        )));
    }
    Ok(())
}
