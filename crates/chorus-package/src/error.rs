//! What can go wrong writing a package, each saying which entry or file.

use std::io;

#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    #[error("reading the clip for {entry}: {source}")]
    ReadClip {
        entry: String,
        #[source]
        source: io::Error,
    },
    #[error("writing {entry} into the package: {source}")]
    Write {
        entry: String,
        #[source]
        source: io::Error,
    },
    #[error("adding {entry} to the package: {source}")]
    Zip {
        entry: String,
        #[source]
        source: zip::result::ZipError,
    },
    #[error("the package stopped at an earlier error and takes nothing more")]
    Stopped,
    #[error("finishing the package: {0}")]
    Finish(#[source] zip::result::ZipError),
    #[error("bad entry name {name:?}: {reason}")]
    BadName { name: String, reason: &'static str },
    #[error("{name} is already in the package (names are compared ignoring case)")]
    Duplicate { name: String },
    #[error("{entry}: the clip gave {actual} bytes, {expected} were expected")]
    WrongSize {
        entry: String,
        expected: u64,
        actual: u64,
    },
    #[error("the draft sidecar is not valid JSON of the draft engine's format: {0}")]
    Sidecar(#[source] serde_json::Error),
    #[error("manifest row for {file}: {reason}")]
    ManifestRow { file: String, reason: String },
    #[error("writing the manifest: {0}")]
    Manifest(#[source] csv::Error),
}

impl PackageError {
    /// Whether the package's reader went away (the client closed the
    /// download): the writer stopped because nobody was reading, which is
    /// not a fault to report.
    pub fn is_disconnected(&self) -> bool {
        let io = match self {
            PackageError::Write { source, .. }
            | PackageError::Zip {
                source: zip::result::ZipError::Io(source),
                ..
            }
            | PackageError::Finish(zip::result::ZipError::Io(source)) => Some(source),
            _ => None,
        };
        io.is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    }
}
