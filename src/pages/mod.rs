//! The studio's two pages.

pub mod compose;
pub mod library;
