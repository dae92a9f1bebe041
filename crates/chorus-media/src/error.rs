//! The one error type of the crate. Every variant names the box and the
//! absolute file offset where parsing stopped, so a bad upload can be reported
//! precisely instead of as "invalid file".

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// A four-character box or codec code such as `moov` or `avc1`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FourCc(pub [u8; 4]);

impl FourCc {
    pub const fn new(code: &[u8; 4]) -> Self {
        Self(*code)
    }
}

impl fmt::Display for FourCc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Codes come from untrusted bytes; escape anything unprintable so an
        // error message never carries control characters.
        for &b in &self.0 {
            if b.is_ascii_graphic() || b == b' ' {
                write!(f, "{}", b as char)?;
            } else {
                write!(f, "\\x{b:02x}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for FourCc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FourCc({self})")
    }
}

/// What is wrong with an MP4 file, and where.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MediaError {
    /// The bytes end before a field or box they promise.
    #[error(
        "`{kind}` box at byte {offset} is truncated: at byte {at} it needs {needed} more bytes, {available} left"
    )]
    Truncated {
        kind: FourCc,
        offset: u64,
        at: u64,
        needed: u64,
        available: u64,
    },
    /// A box header declares a size that cannot be right.
    #[error("`{kind}` box at byte {offset} declares an invalid size {size}")]
    BadBoxSize {
        kind: FourCc,
        offset: u64,
        size: u64,
    },
    /// A field holds a value the format does not allow.
    #[error("`{kind}` box at byte {offset}: {reason}")]
    Invalid {
        kind: FourCc,
        offset: u64,
        reason: String,
    },
    /// A box the format requires is absent.
    #[error("`{parent}` box at byte {offset} has no `{missing}` box")]
    MissingBox {
        missing: FourCc,
        parent: FourCc,
        offset: u64,
    },
    /// The top-level boxes end without a `moov`.
    #[error("no `moov` box in the file (searched up to byte {searched_to})")]
    MoovNotFound { searched_to: u64 },
    /// Valid MP4 that this demuxer deliberately does not handle.
    #[error("`{kind}` box at byte {offset}: {what} is not supported")]
    Unsupported {
        kind: FourCc,
        offset: u64,
        what: &'static str,
    },
    /// A track claims more samples than we are willing to index in memory.
    #[error("track {track_id} has {count} samples, more than the limit of {limit}")]
    TooManySamples {
        track_id: u32,
        count: u64,
        limit: u64,
    },
    /// Arithmetic on sizes or times would overflow.
    #[error("`{kind}` box at byte {offset}: {what} overflows")]
    Overflow {
        kind: FourCc,
        offset: u64,
        what: &'static str,
    },
}

pub(crate) type Result<T> = std::result::Result<T, MediaError>;
