//! Box writing for the remuxer: sized boxes, chunk offset tables, and the
//! few header fields (`mvhd`/`tkhd` durations, edit lists) it rewrites.
//! Writers pick 32-bit box versions when the values fit, else 64-bit.

use crate::boxes::BoxRef;
use crate::error::{FourCc, MediaError, Result};

use super::{CO64, ELST, STCO};

pub(super) fn write_box(
    out: &mut Vec<u8>,
    kind: FourCc,
    body: impl FnOnce(&mut Vec<u8>) -> Result<()>,
) -> Result<()> {
    let start = out.len();
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&kind.0);
    body(out)?;
    let size = u32::try_from(out.len() - start).map_err(|_| MediaError::Overflow {
        kind,
        offset: start as u64,
        what: "box size",
    })?;
    out[start..start + 4].copy_from_slice(&size.to_be_bytes());
    Ok(())
}

pub(super) fn write_chunk_offsets(out: &mut Vec<u8>, offsets: &[u64], large: bool) -> Result<()> {
    let count = u32::try_from(offsets.len()).map_err(|_| MediaError::Overflow {
        kind: STCO,
        offset: 0,
        what: "chunk count",
    })?;
    write_box(out, if large { CO64 } else { STCO }, |out| {
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&count.to_be_bytes());
        for &o in offsets {
            if large {
                out.extend_from_slice(&o.to_be_bytes());
            } else {
                // Not large means the whole file is under 4 GiB.
                out.extend_from_slice(&(o as u32).to_be_bytes());
            }
        }
        Ok(())
    })
}

/// The fields of `mvhd`/`tkhd` this module rewrites; both boxes put
/// creation and modification times, then `middle_len` other bytes, then a
/// duration, in 32 or 64 bits by version.
pub(super) struct TimeHeader<'a> {
    flags: u32,
    created: u64,
    modified: u64,
    /// `mvhd`: the timescale; `tkhd`: track id and a reserved word.
    pub(super) middle: &'a [u8],
    duration: u64,
    /// Whether `duration` is the "unknown" value (all ones).
    unknown: bool,
    rest: &'a [u8],
}

impl<'a> TimeHeader<'a> {
    pub(super) fn read(b: &BoxRef<'a>, middle_len: usize) -> Result<Self> {
        let mut r = b.reader();
        let (version, flags) = r.full_box()?;
        let wide = version == 1;
        let time = |r: &mut crate::reader::Reader<'a>| -> Result<u64> {
            if wide {
                r.u64()
            } else {
                r.u32().map(u64::from)
            }
        };
        let created = time(&mut r)?;
        let modified = time(&mut r)?;
        let middle = r.bytes(middle_len)?;
        let duration = time(&mut r)?;
        let unknown = if wide {
            duration == u64::MAX
        } else {
            duration == u64::from(u32::MAX)
        };
        Ok(Self {
            flags,
            created,
            modified,
            middle,
            duration,
            unknown,
            rest: r.rest(),
        })
    }

    pub(super) fn scaled_duration(&self, scale: u64) -> u64 {
        if self.unknown {
            self.duration
        } else {
            self.duration.saturating_mul(scale)
        }
    }

    pub(super) fn write(
        &self,
        out: &mut Vec<u8>,
        kind: FourCc,
        middle: &[u8],
        duration: u64,
    ) -> Result<()> {
        let narrow = [self.created, self.modified, duration]
            .iter()
            .all(|&v| u32::try_from(v).is_ok());
        write_box(out, kind, |out| {
            let version = u32::from(!narrow);
            out.extend_from_slice(&((version << 24) | (self.flags & 0x00ff_ffff)).to_be_bytes());
            let time = |out: &mut Vec<u8>, v: u64| {
                if narrow {
                    out.extend_from_slice(&(v as u32).to_be_bytes());
                } else {
                    out.extend_from_slice(&v.to_be_bytes());
                }
            };
            time(out, self.created);
            time(out, self.modified);
            out.extend_from_slice(middle);
            time(out, duration);
            out.extend_from_slice(self.rest);
            Ok(())
        })
    }
}

#[derive(Debug, Clone, Copy)]
pub(super) struct EditEntry {
    /// In movie ticks.
    pub(super) duration: u64,
    /// In media ticks; −1 for an empty edit.
    media_time: i64,
    /// 16.16 media rate as stored.
    rate: [u8; 4],
}

impl EditEntry {
    pub(super) fn new(duration: u64, media_time: i64) -> Self {
        Self {
            duration,
            media_time,
            rate: [0, 1, 0, 0],
        }
    }
}

pub(super) fn read_elst(elst: &BoxRef<'_>) -> Result<Vec<EditEntry>> {
    let mut r = elst.reader();
    let (version, _) = r.full_box()?;
    let count = r.entry_count(if version == 1 { 20 } else { 12 })?;
    let mut entries = Vec::with_capacity(count);
    for _ in 0..count {
        let (duration, media_time) = if version == 1 {
            (r.u64()?, r.i64()?)
        } else {
            (u64::from(r.u32()?), i64::from(r.i32()?))
        };
        let mut rate = [0; 4];
        rate.copy_from_slice(r.bytes(4)?);
        entries.push(EditEntry {
            duration,
            media_time,
            rate,
        });
    }
    Ok(entries)
}

pub(super) fn write_elst(out: &mut Vec<u8>, entries: &[EditEntry]) -> Result<()> {
    let narrow = entries
        .iter()
        .all(|e| u32::try_from(e.duration).is_ok() && i32::try_from(e.media_time).is_ok());
    write_box(out, ELST, |out| {
        let version = u32::from(!narrow);
        out.extend_from_slice(&(version << 24).to_be_bytes());
        out.extend_from_slice(&(entries.len() as u32).to_be_bytes());
        for e in entries {
            if narrow {
                out.extend_from_slice(&(e.duration as u32).to_be_bytes());
                out.extend_from_slice(&(e.media_time as i32).to_be_bytes());
            } else {
                out.extend_from_slice(&e.duration.to_be_bytes());
                out.extend_from_slice(&e.media_time.to_be_bytes());
            }
            out.extend_from_slice(&e.rate);
        }
        Ok(())
    })
}
