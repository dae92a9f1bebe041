//! The Chorus backend: a thin axum server that checks and queues generation
//! jobs, stores uploads and outputs by content hash, streams job changes to the
//! studio, and serves the built studio app.
//!
//! The modules are listed by what they are for, from the top down. They
//! import one another in one direction, never in a circle
//! (`tests/module_graph.rs` fails on a cycle).

// Starting the server and the command line.
/// The other `chorus` subcommands: draft renders, sync checks, audio shifts.
pub mod cli;
/// `chorus serve` from start to stop: storage, worker, listener, shutdown.
mod server;

// The HTTP API.
/// Who did what, and when: the audit log, its pages and its CSV.
pub mod audit;
/// Who is calling: accounts, sessions, API tokens, and the access guard.
pub mod auth;
/// One JSON error shape for every failed request.
pub mod error;
/// Uploaded pictures, checked by their bytes.
pub mod images;
/// Clips made elsewhere, checked and recorded as a finished job's takes.
pub mod import;
/// The Library's pages, searches, filters and storage totals.
pub mod library;
/// Localized lines: translation engines, the glossary, fitted proposals.
pub mod localize;
/// Outgoing webhooks: events queued, signed, sent and retried.
pub mod outgoing;
/// Deleting jobs for real, after an undo window.
pub mod removal;
/// Client review: links, comments, decisions, passcodes, exports.
pub mod reviews;
/// The axum router: every `/api/…` route and the single-page app.
pub mod routes;
/// How long lines take to say with the draft voice, against the clip.
pub mod speech_fit;
/// This month's spend per model and per account, and setting the limits.
pub mod spend;
/// The folder where imported clips are received while they are hashed.
pub mod spool;

// What runs jobs.
/// The engine that renders `draft` jobs on this machine.
pub mod draft_engine;
/// Hosted providers and their engines, configured from the environment.
pub mod hosted;
/// The engine that runs a job on a hosted provider, take by take.
pub mod provider_engine;
/// The providers' submit ledger and saved takes in our database.
pub mod submit_ledger;

// The job queue.
/// Monthly spend limits: each job's estimate reserved, settled, released.
pub mod budget;
pub mod campaign_cli;
pub mod campaigns;
/// Job records and every change to them, each announced as an event.
pub mod jobs;
/// Who runs which job: claims, renewed leases, take-overs.
pub mod leases;
/// The worker: claims jobs, runs them on engines, records each outcome.
pub mod queue;

// State and storage.
/// Content-addressed assets in local files or an S3-compatible bucket.
pub mod assets;
/// Settings for `chorus serve`: address, folders, database, queue.
pub mod config;
/// The job database on SQLite or PostgreSQL, each query written once.
pub mod db;
/// Job changes fanned out to studio tabs, and webhook wake-ups for pollers.
pub mod events;
/// Which assets each job uses: its storage, and what goes when it goes.
pub mod holdings;
/// Poster frames and scrub strips, made once when a take is stored.
pub mod posters;
/// What a job is found by: its words and languages.
pub mod search;
/// What every request and job shares: database, stores, events, models.
pub mod state;
/// Tries counted in memory, per key within a window.
pub mod throttle;

pub use config::{Delivery, QueueSettings, ServeConfig};
pub use db::Db;
pub use error::ApiError;
pub use routes::app;
pub use server::serve;
pub use state::AppState;
