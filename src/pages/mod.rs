//! The studio's pages.

pub mod campaign_review;
pub mod campaign_board;
pub mod campaign_new;
pub mod campaigns;
pub mod compare;
pub mod compose;
pub mod invite;
pub mod library;
pub mod review;
pub mod settings;
pub mod sign_in;
