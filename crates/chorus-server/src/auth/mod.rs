//! Who is calling, and whether they may: accounts, sessions, API tokens,
//! and the guard every request passes through.
//!
//! A server on a loopback address asks for nothing by default
//! ([`SignInMode::Off`]): the one person at the keyboard acts as an owner,
//! exactly as before accounts existed. Anywhere else, or with
//! `--require-sign-in`, every studio route needs a session cookie or an
//! `Authorization: Bearer` token of a role its rule in the route table
//! names. Review links keep their own key (`/r/{token}`) and never see any of
//! this.

mod actor;
pub mod cli;
pub mod guard;
pub mod invites;
pub mod origin;
pub mod passwords;
pub mod route_table;
pub mod secrets;
pub mod sessions;
pub mod sign_in;
pub mod tokens;
pub mod users;

pub use actor::{Actor, Via};

/// Settings are read before anything else exists, so the mode lives with
/// them (`config`), where `state` can name it without naming `auth`.
pub use crate::config::SignInMode;
