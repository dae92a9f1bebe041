//! Box headers and child iteration. Shared by the top-level scanner (which must
//! cope with headers cut off at the end of a partial download) and the `moov`
//! parser (where a cut-off header is an error).

use crate::error::{FourCc, MediaError, Result};
use crate::reader::Reader;

pub(crate) const MOOV: FourCc = FourCc::new(b"moov");
const UUID: FourCc = FourCc::new(b"uuid");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BoxSize {
    /// Total size including the header.
    Exact(u64),
    /// Size field 0: the box runs to the end of the file (or its parent).
    ToEnd,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Header {
    pub kind: FourCc,
    /// Bytes of the header itself (8, 16, or more for `uuid`).
    pub len: u64,
    pub size: BoxSize,
}

pub(crate) enum HeaderRead {
    Complete(Header),
    /// The bytes end inside the header; more are needed to know the size.
    NeedMore,
}

/// Reads the box header at the start of `bytes`; `offset` is its file offset.
pub(crate) fn read_header(bytes: &[u8], offset: u64) -> Result<HeaderRead> {
    let (Some(size32), Some(kind)) = (bytes.get(0..4), bytes.get(4..8)) else {
        return Ok(HeaderRead::NeedMore);
    };
    let mut size32_arr = [0; 4];
    size32_arr.copy_from_slice(size32);
    let mut kind_arr = [0; 4];
    kind_arr.copy_from_slice(kind);
    let kind = FourCc(kind_arr);
    let mut header_len: u64 = 8;
    let size = match u32::from_be_bytes(size32_arr) {
        0 => BoxSize::ToEnd,
        1 => {
            let Some(large) = bytes.get(8..16) else {
                return Ok(HeaderRead::NeedMore);
            };
            let mut arr = [0; 8];
            arr.copy_from_slice(large);
            header_len = 16;
            BoxSize::Exact(u64::from_be_bytes(arr))
        }
        n => BoxSize::Exact(u64::from(n)),
    };
    if kind == UUID {
        // An extended type follows the header; it is part of the header.
        header_len += 16;
        if (bytes.len() as u64) < header_len {
            return Ok(HeaderRead::NeedMore);
        }
    }
    if let BoxSize::Exact(total) = size
        && total < header_len
    {
        return Err(MediaError::BadBoxSize {
            kind,
            offset,
            size: total,
        });
    }
    Ok(HeaderRead::Complete(Header {
        kind,
        len: header_len,
        size,
    }))
}

/// One box whose bytes are all in memory.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BoxRef<'a> {
    pub kind: FourCc,
    /// File offset of the header.
    pub offset: u64,
    pub header_len: u64,
    pub body: &'a [u8],
}

impl<'a> BoxRef<'a> {
    /// Interprets `bytes` (starting at file offset `offset`) as exactly one box.
    pub(crate) fn parse(bytes: &'a [u8], offset: u64) -> Result<Self> {
        let mut children = Children {
            data: bytes,
            pos: 0,
            base: offset,
            parent: MOOV,
            parent_offset: offset,
            failed: false,
        };
        match children.next() {
            Some(result) => result,
            None => Err(MediaError::Truncated {
                kind: MOOV,
                offset,
                at: offset,
                needed: 8,
                available: 0,
            }),
        }
    }

    pub(crate) fn body_offset(&self) -> u64 {
        self.offset.saturating_add(self.header_len)
    }

    pub(crate) fn reader(&self) -> Reader<'a> {
        Reader::new(self.body, self.body_offset(), self.kind, self.offset)
    }

    pub(crate) fn children(&self) -> Children<'a> {
        self.children_after(0)
    }

    /// Children that start `skip` bytes into the body, for boxes such as
    /// sample entries that have fields before their child boxes.
    pub(crate) fn children_after(&self, skip: usize) -> Children<'a> {
        Children {
            data: self.body.get(skip..).unwrap_or_default(),
            pos: 0,
            base: self.body_offset().saturating_add(skip as u64),
            parent: self.kind,
            parent_offset: self.offset,
            failed: self.body.len() < skip,
        }
    }

    pub(crate) fn find(&self, kind: FourCc) -> Result<Option<BoxRef<'a>>> {
        for child in self.children() {
            let child = child?;
            if child.kind == kind {
                return Ok(Some(child));
            }
        }
        Ok(None)
    }

    pub(crate) fn require(&self, kind: FourCc) -> Result<BoxRef<'a>> {
        self.find(kind)?.ok_or(MediaError::MissingBox {
            missing: kind,
            parent: self.kind,
            offset: self.offset,
        })
    }
}

/// Iterator over the boxes packed in a parent's body. Stops after the first
/// error so a corrupt size cannot send it wandering.
pub(crate) struct Children<'a> {
    data: &'a [u8],
    pos: usize,
    base: u64,
    parent: FourCc,
    parent_offset: u64,
    failed: bool,
}

impl<'a> Iterator for Children<'a> {
    type Item = Result<BoxRef<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.pos >= self.data.len() {
            return None;
        }
        let result = self.next_box();
        self.failed = result.is_err();
        Some(result)
    }
}

impl<'a> Children<'a> {
    fn next_box(&mut self) -> Result<BoxRef<'a>> {
        let rest = self.data.get(self.pos..).unwrap_or_default();
        let offset = self.base.saturating_add(self.pos as u64);
        let header = match read_header(rest, offset)? {
            HeaderRead::Complete(header) => header,
            HeaderRead::NeedMore => {
                return Err(MediaError::Truncated {
                    kind: self.parent,
                    offset: self.parent_offset,
                    at: offset,
                    needed: 8,
                    available: rest.len() as u64,
                });
            }
        };
        let total = match header.size {
            BoxSize::Exact(total) => total,
            BoxSize::ToEnd => rest.len() as u64,
        };
        if total < header.len {
            return Err(MediaError::BadBoxSize {
                kind: header.kind,
                offset,
                size: total,
            });
        }
        if total > rest.len() as u64 {
            return Err(MediaError::Truncated {
                kind: header.kind,
                offset,
                at: offset,
                needed: total,
                available: rest.len() as u64,
            });
        }
        // Both fit in usize: they are at most rest.len().
        let total = total as usize;
        let header_len = header.len as usize;
        let body = rest.get(header_len..total).unwrap_or_default();
        self.pos = self.pos.saturating_add(total);
        Ok(BoxRef {
            kind: header.kind,
            offset,
            header_len: header.len,
            body,
        })
    }
}
