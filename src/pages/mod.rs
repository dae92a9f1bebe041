//! The studio's pages.

pub mod campaign_review;
pub mod compare;
pub mod compose;
pub mod invite;
pub mod library;
pub mod review;
pub mod settings;
pub mod sign_in;
