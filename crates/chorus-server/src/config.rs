//! Where the server listens and keeps its files.

use std::net::SocketAddr;
use std::path::PathBuf;

/// Settings for `chorus serve`.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub addr: SocketAddr,
    /// Holds `chorus.db` and `assets/`.
    pub data_dir: PathBuf,
    /// The built studio app (Trunk's `dist/`).
    pub dist_dir: PathBuf,
}

impl ServeConfig {
    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join("chorus.db")
    }

    pub fn assets_dir(&self) -> PathBuf {
        self.data_dir.join("assets")
    }
}
