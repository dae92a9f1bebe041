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
pub mod guard;

pub use actor::{Actor, Via};

/// Whether this server asks who is calling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SignInMode {
    /// Nobody signs in; every caller acts as the local owner. The default
    /// on a loopback address.
    #[default]
    Off,
    /// Every studio route needs a session or a token.
    Required,
}
