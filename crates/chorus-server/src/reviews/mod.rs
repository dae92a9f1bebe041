//! Client review (#17): a link opens some of a job's takes to someone
//! outside the studio, who can watch them, comment on exact frames (with a
//! drawing), and approve or ask for changes; the studio replies, resolves,
//! and exports the comments for its editors.
//!
//! A link is a random token in an address (`/r/<token>`); the server keeps
//! only the token's hash. A link may have a passcode, an expiry, and be
//! revoked; every request checks all three. The routes are in
//! `routes::reviews` (the studio's side) and `routes::review_link` (the
//! reviewer's).

/// Comments and replies in the database.
pub mod comments;
/// Standing decisions in the database.
pub mod decisions;
/// Comments as CSV and as an EDL of timeline markers.
pub mod export;
/// Review links in the database.
pub mod links;
/// Passcodes: hashes, unlock cookies, counted tries.
pub mod passcode;
/// Lip-sync readings of shared takes.
pub mod readings;
/// What a link shares of its job.
pub mod scope;
/// Tokens: made, written, hashed.
pub mod token;
/// What the review page loads.
pub mod view;
