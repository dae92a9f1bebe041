//! Finds the index (`moov`) among the top-level boxes of a file the caller only
//! has parts of. A browser fetches the first N bytes with one Range request;
//! this says either where `moov` lies in them or which byte range to fetch
//! next (the `moov` itself when its header was seen, else the rest of the file
//! after the last box we could skip, which is where muxers put a trailing
//! `moov`). Fragmented files are out of scope.

use serde::{Deserialize, Serialize};

use crate::boxes::{BoxSize, HeaderRead, MOOV, read_header};
use crate::error::{MediaError, Result};

/// A span of file bytes; `end` is exclusive, `None` means "to the end of the
/// file" (an open-ended HTTP Range, `bytes=start-`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ByteRange {
    pub start: u64,
    pub end: Option<u64>,
}

impl ByteRange {
    /// The value of an HTTP `Range` header for these bytes.
    pub fn http_range(&self) -> String {
        match self.end {
            Some(end) => format!("bytes={}-{}", self.start, end.saturating_sub(1)),
            None => format!("bytes={}-", self.start),
        }
    }
}

/// Where the `moov` box is, as far as the bytes seen so far tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum IndexLocation {
    /// The whole `moov` box (header included) is inside the window, at these
    /// absolute file offsets; hand those bytes to [`crate::parse_moov`].
    Found { start: u64, end: u64 },
    /// Fetch this range and call [`locate_moov`] again with it as the window
    /// (it always starts at a box boundary). When `end` is `None` and the file
    /// size is unknown, pass the size learnt from the response next time.
    Fetch(ByteRange),
}

/// Walks the top-level boxes in `window`, whose first byte is at file offset
/// `window_start` and must begin a box (offset 0, or a range this function
/// asked for). `file_size` is the total size when known, e.g. from an HTTP
/// `Content-Range` header; it lets a `moov` at the end be fetched in one go.
pub fn locate_moov(
    window: &[u8],
    window_start: u64,
    file_size: Option<u64>,
) -> Result<IndexLocation> {
    let window_end = window_start
        .checked_add(window.len() as u64)
        .ok_or(MediaError::Overflow {
            kind: MOOV,
            offset: window_start,
            what: "window end",
        })?;
    let mut pos = window_start;
    loop {
        if file_size.is_some_and(|size| pos >= size) {
            return Err(MediaError::MoovNotFound { searched_to: pos });
        }
        let rest = usize::try_from(pos - window_start)
            .ok()
            .and_then(|rel| window.get(rel..))
            .unwrap_or_default();
        let header = match read_header(rest, pos)? {
            HeaderRead::Complete(header) => header,
            HeaderRead::NeedMore => {
                if file_size == Some(window_end) && pos < window_end {
                    // The file ends inside this header.
                    return Err(MediaError::Truncated {
                        kind: MOOV,
                        offset: pos,
                        at: pos,
                        needed: 8,
                        available: rest.len() as u64,
                    });
                }
                return Ok(IndexLocation::Fetch(ByteRange {
                    start: pos,
                    end: file_size,
                }));
            }
        };
        let box_end = match header.size {
            BoxSize::Exact(size) => Some(pos.checked_add(size).ok_or(MediaError::BadBoxSize {
                kind: header.kind,
                offset: pos,
                size,
            })?),
            BoxSize::ToEnd => file_size,
        };
        if let (Some(end), Some(size)) = (box_end, file_size)
            && end > size
        {
            return Err(MediaError::Truncated {
                kind: header.kind,
                offset: pos,
                at: size,
                needed: end - pos,
                available: size - pos,
            });
        }
        if header.kind == MOOV {
            return Ok(match box_end {
                Some(end) if end <= window_end => IndexLocation::Found { start: pos, end },
                end => IndexLocation::Fetch(ByteRange { start: pos, end }),
            });
        }
        match box_end {
            Some(end) => pos = end,
            // A box that runs to the end of the file leaves no room for moov.
            None => return Err(MediaError::MoovNotFound { searched_to: pos }),
        }
    }
}
