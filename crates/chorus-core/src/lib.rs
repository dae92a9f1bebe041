//! Chorus's domain: what a generation request is, which models exist and what
//! each accepts, how a request is checked and priced, and the job records the
//! server and the browser exchange. Pure data and rules: no I/O, builds for
//! wasm32 and native alike, so the browser and the server check requests with
//! the same code.

pub mod access;
pub mod api;
pub mod board;
pub mod campaign;
pub mod check;
pub mod cost;
pub mod delivery;
pub mod format;
pub mod job;
pub mod language;
pub mod localize;
pub mod model;
pub mod request;
pub mod review;
pub mod webhook;

pub use check::{Problem, Severity, check_request};
pub use cost::{Cost, estimate_cost};
pub use format::{AspectRatio, Resolution};
pub use job::{Job, JobId, JobOutput, JobStatus, Revision, Strip};
pub use language::Language;
pub use model::{ModelSpec, registry};
pub use request::{DialogueLine, GenerationRequest, IMPORT_MODEL, ImportedClip, Mode};
