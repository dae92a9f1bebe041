//! Client review in the browser: the review page's parts and the studio's
//! (sharing, feedback arriving live).
//!
//! - `shapes`: drawings over the picture, shown and drawn;
//! - `comments`: the comment list and the composer, for both sides;
//! - `share`: the studio's share panel and links list on a job card;
//! - `feedback`: the studio's comments and decisions per job, kept live.

pub mod comments;
pub mod feedback;
pub mod shapes;
pub mod share;
