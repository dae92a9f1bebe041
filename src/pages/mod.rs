//! The studio's pages.

pub mod compare;
pub mod compose;
pub mod library;
pub mod review;
