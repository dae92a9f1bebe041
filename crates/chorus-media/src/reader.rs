//! A bounds-checked big-endian cursor over one box's bytes. Every read returns
//! an error naming the box and file offset instead of panicking, which is what
//! lets the parsers run on untrusted uploads.

use crate::error::{FourCc, MediaError, Result};

pub(crate) struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    /// File offset of `data[0]`, for error messages.
    base: u64,
    /// The box being read and its header's file offset, for error messages.
    kind: FourCc,
    box_offset: u64,
}

impl<'a> Reader<'a> {
    /// `base` is the file offset of `data[0]`; `box_offset` that of the
    /// header of the box `data` belongs to.
    pub(crate) fn new(data: &'a [u8], base: u64, kind: FourCc, box_offset: u64) -> Self {
        Self {
            data,
            pos: 0,
            base,
            kind,
            box_offset,
        }
    }

    pub(crate) fn remaining(&self) -> usize {
        self.data.len().saturating_sub(self.pos)
    }

    /// File offset of the next unread byte.
    pub(crate) fn offset(&self) -> u64 {
        self.base.saturating_add(self.pos as u64)
    }

    pub(crate) fn kind(&self) -> FourCc {
        self.kind
    }

    pub(crate) fn bytes(&mut self, len: usize) -> Result<&'a [u8]> {
        let slice = self
            .pos
            .checked_add(len)
            .and_then(|end| self.data.get(self.pos..end))
            .ok_or_else(|| self.truncated(len))?;
        self.pos += len;
        Ok(slice)
    }

    pub(crate) fn rest(&mut self) -> &'a [u8] {
        let slice = self.data.get(self.pos..).unwrap_or_default();
        self.pos = self.data.len();
        slice
    }

    pub(crate) fn skip(&mut self, len: usize) -> Result<()> {
        self.bytes(len).map(|_| ())
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut out = [0; N];
        out.copy_from_slice(self.bytes(N)?);
        Ok(out)
    }

    pub(crate) fn u8(&mut self) -> Result<u8> {
        Ok(self.array::<1>()?[0])
    }

    pub(crate) fn u16(&mut self) -> Result<u16> {
        self.array().map(u16::from_be_bytes)
    }

    pub(crate) fn i16(&mut self) -> Result<i16> {
        self.array().map(i16::from_be_bytes)
    }

    pub(crate) fn u24(&mut self) -> Result<u32> {
        let [a, b, c] = self.array()?;
        Ok(u32::from_be_bytes([0, a, b, c]))
    }

    pub(crate) fn u32(&mut self) -> Result<u32> {
        self.array().map(u32::from_be_bytes)
    }

    pub(crate) fn i32(&mut self) -> Result<i32> {
        self.array().map(i32::from_be_bytes)
    }

    pub(crate) fn u64(&mut self) -> Result<u64> {
        self.array().map(u64::from_be_bytes)
    }

    pub(crate) fn i64(&mut self) -> Result<i64> {
        self.array().map(i64::from_be_bytes)
    }

    pub(crate) fn fourcc(&mut self) -> Result<FourCc> {
        self.array().map(FourCc)
    }

    /// The version byte and 24-bit flags that start every "full box".
    pub(crate) fn full_box(&mut self) -> Result<(u8, u32)> {
        let version = self.u8()?;
        let flags = self.u24()?;
        Ok((version, flags))
    }

    /// Reads a `u32` entry count and checks that `count` entries of
    /// `entry_size` bytes fit in the box, so a forged count cannot make us
    /// allocate gigabytes before noticing the box is short.
    pub(crate) fn entry_count(&mut self, entry_size: usize) -> Result<usize> {
        let count = self.u32()? as usize;
        let needed = count
            .checked_mul(entry_size)
            .ok_or_else(|| self.overflow("entry count"))?;
        if needed > self.remaining() {
            return Err(self.truncated(needed));
        }
        Ok(count)
    }

    pub(crate) fn truncated(&self, needed: usize) -> MediaError {
        MediaError::Truncated {
            kind: self.kind,
            offset: self.box_offset,
            at: self.offset(),
            needed: needed as u64,
            available: self.remaining() as u64,
        }
    }

    pub(crate) fn invalid(&self, reason: impl Into<String>) -> MediaError {
        MediaError::Invalid {
            kind: self.kind,
            offset: self.box_offset,
            reason: reason.into(),
        }
    }

    pub(crate) fn overflow(&self, what: &'static str) -> MediaError {
        MediaError::Overflow {
            kind: self.kind,
            offset: self.box_offset,
            what,
        }
    }

    pub(crate) fn unsupported(&self, what: &'static str) -> MediaError {
        MediaError::Unsupported {
            kind: self.kind,
            offset: self.box_offset,
            what,
        }
    }
}
