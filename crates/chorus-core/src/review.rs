//! Client review: links that open one job's takes to a client, the comments
//! and drawings they leave on exact frames, and their decisions. The shapes
//! the studio, the review page and the server exchange, and the rules every
//! comment and drawing must pass (checked in the browser as the reviewer
//! types, and again by the server, which never trusts the browser).

use serde::{Deserialize, Serialize};

use crate::{JobId, Language};

/// Longest comment, in characters.
pub const MAX_COMMENT_CHARS: usize = 2000;
/// Longest reviewer name, in characters.
pub const MAX_NAME_CHARS: usize = 80;
/// Most points one freehand stroke may have.
pub const MAX_STROKE_POINTS: usize = 512;
/// Longest passcode, in characters (a passphrase fits; a file does not).
pub const MAX_PASSCODE_CHARS: usize = 128;
/// Longest expiry a link may be given, in days; "never" is chosen on purpose
/// with `expires_in_days: None`.
pub const MAX_EXPIRY_DAYS: u32 = 3650;
/// How long a link lives when nobody says otherwise.
pub const DEFAULT_EXPIRY_DAYS: u32 = 30;

/// Whether a reviewer may download a take's file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Downloads {
    Never,
    /// Once that take is approved on this link.
    #[default]
    AfterApproval,
    Always,
}

impl Downloads {
    pub const ALL: [Downloads; 3] = [
        Downloads::Never,
        Downloads::AfterApproval,
        Downloads::Always,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Downloads::Never => "never",
            Downloads::AfterApproval => "after_approval",
            Downloads::Always => "always",
        }
    }

    pub fn parse(s: &str) -> Option<Downloads> {
        Downloads::ALL.into_iter().find(|d| d.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Downloads::Never => "No downloads",
            Downloads::AfterApproval => "Downloads once approved",
            Downloads::Always => "Downloads allowed",
        }
    }
}

#[allow(
    clippy::unnecessary_wraps,
    reason = "serde's `default` for an optional field"
)]
fn default_expiry() -> Option<u32> {
    Some(DEFAULT_EXPIRY_DAYS)
}

fn yes() -> bool {
    true
}

/// `POST /api/jobs/{id}/reviews`: share some of a job's takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewReviewLink {
    /// Indices of original takes (a take's versions come with it); empty
    /// shares every take.
    #[serde(default)]
    pub takes: Vec<usize>,
    /// Days until the link closes; `None` keeps it open until revoked.
    #[serde(default = "default_expiry")]
    pub expires_in_days: Option<u32>,
    /// Asked once per browser before anything is shown.
    #[serde(default)]
    pub passcode: Option<String>,
    #[serde(default)]
    pub downloads: Downloads,
    #[serde(default = "yes")]
    pub approvals: bool,
    /// Show each take's measured lip-sync offset and verdict.
    #[serde(default = "yes")]
    pub verdicts: bool,
}

impl Default for NewReviewLink {
    fn default() -> Self {
        NewReviewLink {
            takes: Vec::new(),
            expires_in_days: default_expiry(),
            passcode: None,
            downloads: Downloads::default(),
            approvals: true,
            verdicts: true,
        }
    }
}

/// `PATCH /api/reviews/{link}`: change a link's options; a field left out
/// stays as it is.
#[allow(
    clippy::option_option,
    reason = "absent, null and a value are three answers"
)]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReviewLinkChange {
    /// `Some(None)`: never expires; `Some(Some(d))`: closes `d` days from now.
    #[serde(default, with = "double_option")]
    pub expires_in_days: Option<Option<u32>>,
    /// `Some(None)` removes the passcode.
    #[serde(default, with = "double_option")]
    pub passcode: Option<Option<String>>,
    #[serde(default)]
    pub downloads: Option<Downloads>,
    #[serde(default)]
    pub approvals: Option<bool>,
    #[serde(default)]
    pub verdicts: Option<bool>,
}

/// `null` and a missing field mean different things in a change.
#[allow(
    clippy::option_option,
    reason = "absent, null and a value are three answers"
)]
mod double_option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[allow(clippy::ref_option, reason = "serde's `with` passes a reference")]
    pub fn serialize<S: Serializer, T: Serialize>(
        value: &Option<Option<T>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            None | Some(None) => serializer.serialize_none(),
            Some(Some(v)) => v.serialize(serializer),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
        deserializer: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(deserializer).map(Some)
    }
}

/// A review link as the studio sees it (never its token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReviewLink {
    pub id: String,
    pub job_id: JobId,
    /// Original takes shared; their versions come with them.
    pub takes: Vec<usize>,
    /// Unix ms.
    pub created_at: i64,
    /// Unix ms; `None` never expires.
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub has_passcode: bool,
    pub downloads: Downloads,
    pub approvals: bool,
    pub verdicts: bool,
    /// Who opened it and when, newest first (names as reviewers gave them).
    #[serde(default)]
    pub opened: Vec<Opened>,
    pub comments: u32,
    pub decisions: u32,
}

impl ReviewLink {
    /// Open at `now_ms`: neither revoked nor expired.
    pub fn is_open(&self, now_ms: i64) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|t| now_ms < t)
    }
}

/// One visit to a review link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Opened {
    /// The name the reviewer gave; empty before they gave one.
    pub name: String,
    pub at: i64,
}

/// `POST /api/jobs/{id}/reviews` answers the link and, this once, its
/// address: only the token's hash is kept, so it cannot be shown again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedReviewLink {
    pub link: ReviewLink,
    /// `/r/<token>`, relative to the studio's origin.
    pub path: String,
}

/// `GET /api/jobs/{id}/reviews`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReviewLinks {
    pub links: Vec<ReviewLink>,
}

/// A point on the picture: 0–1 across and down, whatever its size.
pub type Point = [f32; 2];

/// A [`Point`] as the server's OpenAPI document writes it (utoipa has no
/// schema for a fixed-size array): two numbers from 0 to 1.
#[cfg(feature = "openapi")]
#[derive(Debug)]
pub struct PointSchema;

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for PointSchema {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
        let coordinate = ObjectBuilder::new()
            .schema_type(Type::Number)
            .minimum(Some(0.0))
            .maximum(Some(1.0));
        ArrayBuilder::new()
            .items(coordinate)
            .min_items(Some(2))
            .max_items(Some(2))
            .description(Some("Across, then down, each from 0 to 1"))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for PointSchema {
    fn name() -> std::borrow::Cow<'static, str> {
        "Point".into()
    }
}

/// A mark drawn on the picture, in 0–1 coordinates so it fits any size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Shape {
    Pin {
        #[cfg_attr(feature = "openapi", schema(value_type = PointSchema))]
        at: Point,
    },
    Arrow {
        #[cfg_attr(feature = "openapi", schema(value_type = PointSchema))]
        from: Point,
        #[cfg_attr(feature = "openapi", schema(value_type = PointSchema))]
        to: Point,
    },
    Rect {
        #[cfg_attr(feature = "openapi", schema(value_type = PointSchema))]
        from: Point,
        #[cfg_attr(feature = "openapi", schema(value_type = PointSchema))]
        to: Point,
    },
    Freehand {
        #[cfg_attr(feature = "openapi", schema(value_type = Vec<PointSchema>))]
        points: Vec<Point>,
    },
}

impl Shape {
    /// Why this shape cannot be stored, or `None` when it can.
    pub fn problem(&self) -> Option<String> {
        let inside = |p: &Point| p.iter().all(|c| c.is_finite() && (0.0..=1.0).contains(c));
        let points: Vec<&Point> = match self {
            Shape::Pin { at } => vec![at],
            Shape::Arrow { from, to } | Shape::Rect { from, to } => vec![from, to],
            Shape::Freehand { points } => points.iter().collect(),
        };
        if let Shape::Freehand { points } = self
            && !(2..=MAX_STROKE_POINTS).contains(&points.len())
        {
            return Some(format!(
                "a freehand stroke has {} points; it needs 2 to {MAX_STROKE_POINTS}",
                points.len()
            ));
        }
        if let Some([x, y]) = points.iter().find(|p| !inside(p)) {
            return Some(format!(
                "the point ({x}, {y}) is off the picture; coordinates run from 0 to 1"
            ));
        }
        if let Shape::Rect { from, to } = self
            && ((from[0] - to[0]).abs() < f32::EPSILON || (from[1] - to[1]).abs() < f32::EPSILON)
        {
            return Some("a rectangle needs a width and a height".into());
        }
        None
    }

    pub fn label(&self) -> &'static str {
        match self {
            Shape::Pin { .. } => "pin",
            Shape::Arrow { .. } => "arrow",
            Shape::Rect { .. } => "rectangle",
            Shape::Freehand { .. } => "drawing",
        }
    }
}

/// Who wrote a comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Reviewer,
    Studio,
}

/// A comment on one frame (or an in–out range) of one version of a take.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Comment {
    pub id: String,
    pub link_id: String,
    /// The job output commented on (a version of a take).
    pub take: usize,
    /// The original take it belongs to, and the version number.
    pub original: usize,
    pub version: u32,
    pub frame: usize,
    /// Last frame of a range, inclusive; `None` for one frame.
    pub frame_out: Option<usize>,
    pub author: String,
    pub side: Side,
    pub text: String,
    pub shape: Option<Shape>,
    /// The comment this replies to.
    pub parent: Option<String>,
    pub created_at: i64,
    pub resolved_at: Option<i64>,
}

/// What a reviewer (or the studio replying) sends to add a comment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewComment {
    pub take: usize,
    pub frame: usize,
    #[serde(default)]
    pub frame_out: Option<usize>,
    pub author: String,
    pub text: String,
    #[serde(default)]
    pub shape: Option<Shape>,
    #[serde(default)]
    pub parent: Option<String>,
}

impl NewComment {
    /// Every problem with this comment, each naming its field; empty when it
    /// can be stored. `frame_count` is the commented take's length.
    pub fn problems(&self, frame_count: usize) -> Vec<(&'static str, String)> {
        let mut found = Vec::new();
        if let Some(why) = name_problem(&self.author) {
            found.push(("author", why));
        }
        let chars = self.text.chars().count();
        if self.text.trim().is_empty() {
            found.push(("text", "write something: the comment is empty".into()));
        } else if chars > MAX_COMMENT_CHARS {
            found.push((
                "text",
                format!("the comment is {chars} characters; the most is {MAX_COMMENT_CHARS}"),
            ));
        }
        if self.frame >= frame_count {
            found.push((
                "frame",
                format!(
                    "frame {} is past the take's end (it has {frame_count} frames, 0 to {})",
                    self.frame,
                    frame_count.saturating_sub(1)
                ),
            ));
        }
        if let Some(out) = self.frame_out {
            if out < self.frame {
                found.push((
                    "frame_out",
                    format!(
                        "the out point (frame {out}) is before the in point (frame {})",
                        self.frame
                    ),
                ));
            } else if out >= frame_count {
                found.push((
                    "frame_out",
                    format!("frame {out} is past the take's end ({frame_count} frames)"),
                ));
            }
        }
        if let Some(why) = self.shape.as_ref().and_then(Shape::problem) {
            found.push(("shape", why));
        }
        found
    }
}

/// Why a reviewer's name cannot be used, or `None`.
pub fn name_problem(name: &str) -> Option<String> {
    let chars = name.chars().count();
    if name.trim().is_empty() {
        Some("give your name so the studio knows who wrote this".into())
    } else if chars > MAX_NAME_CHARS {
        Some(format!(
            "the name is {chars} characters; the most is {MAX_NAME_CHARS}"
        ))
    } else if name.chars().any(char::is_control) {
        Some("the name has a control character in it".into())
    } else {
        None
    }
}

/// A reviewer's call on one take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Approved,
    ChangesRequested,
}

impl Verdict {
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Approved => "Approved",
            Verdict::ChangesRequested => "Changes requested",
        }
    }
}

/// The standing decision on one take of a link (the latest one made).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Decision {
    pub link_id: String,
    /// The original take decided on.
    pub take: usize,
    /// The version shown when the decision was made.
    pub version: u32,
    pub verdict: Verdict,
    /// Required when changes are requested: what to change.
    pub note: Option<String>,
    pub author: String,
    pub at: i64,
}

/// `POST /r/{token}/api/decisions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewDecision {
    /// The original take.
    pub take: usize,
    pub version: u32,
    pub verdict: Verdict,
    #[serde(default)]
    pub note: Option<String>,
    pub author: String,
}

impl NewDecision {
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut found = Vec::new();
        if let Some(why) = name_problem(&self.author) {
            found.push(("author", why));
        }
        let note = self.note.as_deref().unwrap_or("");
        if self.verdict == Verdict::ChangesRequested && note.trim().is_empty() {
            found.push(("note", "say what should change".into()));
        }
        let chars = note.chars().count();
        if chars > MAX_COMMENT_CHARS {
            found.push((
                "note",
                format!("the note is {chars} characters; the most is {MAX_COMMENT_CHARS}"),
            ));
        }
        found
    }
}

/// One shared take (a version of it) as the review page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReviewTake {
    /// Index in the job's outputs.
    pub index: usize,
    pub original: usize,
    pub version: u32,
    pub language: Option<Language>,
    /// Name of an imported clip.
    pub name: Option<String>,
    pub width: u32,
    pub height: u32,
    pub fps: u32,
    pub duration_ms: u64,
    pub has_audio: bool,
    /// Paths under the link (`/r/<token>/assets/<id>`).
    pub video: String,
    pub poster: Option<String>,
    pub audio_shift_ms: i32,
}

/// What the review page loads: `GET /r/{token}/api/review`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Review {
    pub link_id: String,
    pub title: String,
    pub takes: Vec<ReviewTake>,
    pub comments: Vec<Comment>,
    pub decisions: Vec<Decision>,
    pub downloads: Downloads,
    pub approvals: bool,
    pub verdicts: bool,
    pub expires_at: Option<i64>,
    /// Lip-sync readings of the shared takes, when the link shows them
    /// (empty otherwise); a take not yet measured has none.
    #[serde(default)]
    pub readings: Vec<TakeReading>,
}

/// The ITU-R BT.1359 band a measured offset falls in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReadingVerdict {
    InSync,
    /// Noticeable, within what BT.1359 calls acceptable.
    Detectable,
    Unacceptable,
    /// The analysis could not tell (no face, no speech, …): `summary` says why.
    CantTell,
}

impl ReadingVerdict {
    pub fn label(self) -> &'static str {
        match self {
            ReadingVerdict::InSync => "In sync",
            ReadingVerdict::Detectable => "Noticeable",
            ReadingVerdict::Unacceptable => "Out of sync",
            ReadingVerdict::CantTell => "Can't tell",
        }
    }
}

/// One take's lip-sync as measured by the server (the same analysis as
/// `chorus sync`), once per take file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TakeReading {
    /// Index in the job's outputs.
    pub take: usize,
    /// Sound against picture, ms; positive: the sound is late.
    pub offset_ms: Option<f64>,
    pub verdict: ReadingVerdict,
    /// One sentence: the offset and how sure, or why it can't tell.
    pub summary: String,
}

/// `GET /api/jobs/{id}/feedback`: every comment and standing decision on a
/// job's review links, for the studio.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobFeedback {
    pub comments: Vec<Comment>,
    pub decisions: Vec<Decision>,
}

/// `POST /r/{token}/api/unlock`: the passcode, once per browser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Unlock {
    pub passcode: String,
}

/// `POST /r/{token}/api/opened`: who is looking (once their name is known).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Hello {
    pub name: String,
}

/// `POST /api/comments/{id}/resolve` and the studio's replies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Resolve {
    pub resolved: bool,
}

/// A change on a review, sent live: to the review page on
/// `/r/{token}/api/events`, and to the studio on `/api/events` (as a
/// `review` event).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ReviewEvent {
    Comment {
        job_id: JobId,
        comment: Comment,
    },
    Decision {
        job_id: JobId,
        decision: Decision,
    },
    /// The link's options or state changed (revoked, extended, opened).
    Link {
        link: ReviewLink,
    },
}

impl ReviewEvent {
    pub fn link_id(&self) -> &str {
        match self {
            ReviewEvent::Comment { comment, .. } => &comment.link_id,
            ReviewEvent::Decision { decision, .. } => &decision.link_id,
            ReviewEvent::Link { link } => &link.id,
        }
    }

    pub fn job_id(&self) -> &JobId {
        match self {
            ReviewEvent::Comment { job_id, .. } | ReviewEvent::Decision { job_id, .. } => job_id,
            ReviewEvent::Link { link } => &link.job_id,
        }
    }
}

/// `HH:MM:SS:FF` of `frame` at a whole `fps` (non-drop), as editors write it.
pub fn timecode(frame: usize, fps: u32) -> String {
    let fps = fps.max(1) as usize;
    let ff = frame % fps;
    let seconds = frame / fps;
    format!(
        "{:02}:{:02}:{:02}:{:02}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60,
        ff
    )
}

/// A comment's place as people read it: `00:00:01:13 (frame 37)`, or the
/// range `00:00:01:13–00:00:02:00 (frames 37–48)`.
pub fn place(frame: usize, frame_out: Option<usize>, fps: u32) -> String {
    match frame_out {
        Some(out) if out != frame => format!(
            "{}–{} (frames {frame}–{out})",
            timecode(frame, fps),
            timecode(out, fps)
        ),
        _ => format!("{} (frame {frame})", timecode(frame, fps)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comment(frame: usize, frame_out: Option<usize>, shape: Option<Shape>) -> NewComment {
        NewComment {
            take: 0,
            frame,
            frame_out,
            author: "Mia".into(),
            text: "Her mouth is late".into(),
            shape,
            parent: None,
        }
    }

    fn fields(found: &[(&'static str, String)]) -> Vec<&'static str> {
        found.iter().map(|(f, _)| *f).collect()
    }

    #[test]
    fn a_good_comment_passes() {
        let rect = Shape::Rect {
            from: [0.2, 0.3],
            to: [0.5, 0.6],
        };
        assert!(comment(37, Some(48), Some(rect)).problems(120).is_empty());
        assert!(comment(119, None, None).problems(120).is_empty());
    }

    #[test]
    fn each_problem_names_its_field() {
        let off = Shape::Arrow {
            from: [0.1, 0.1],
            to: [1.2, 0.5],
        };
        let found = comment(130, Some(2), Some(off)).problems(120);
        assert_eq!(fields(&found), ["frame", "frame_out", "shape"]);
        assert!(found[0].1.contains("120 frames"), "{}", found[0].1);
        assert!(found[2].1.contains("1.2"), "{}", found[2].1);

        let mut empty = comment(1, None, None);
        empty.text = "  ".into();
        empty.author = String::new();
        assert_eq!(fields(&empty.problems(10)), ["author", "text"]);

        let mut long = comment(1, None, None);
        long.text = "a".repeat(MAX_COMMENT_CHARS + 1);
        assert!(long.problems(10)[0].1.contains("2001 characters"));
    }

    #[test]
    fn shapes_are_bounded() {
        let nan = Shape::Pin {
            at: [f32::NAN, 0.5],
        };
        assert!(nan.problem().is_some());
        let flat = Shape::Rect {
            from: [0.2, 0.3],
            to: [0.5, 0.3],
        };
        assert!(flat.problem().unwrap().contains("height"));
        let one = Shape::Freehand {
            points: vec![[0.5, 0.5]],
        };
        assert!(one.problem().unwrap().contains("1 points"));
        let many = Shape::Freehand {
            points: vec![[0.5, 0.5]; MAX_STROKE_POINTS + 1],
        };
        assert!(many.problem().is_some());
        let ok = Shape::Freehand {
            points: vec![[0.0, 0.0], [1.0, 1.0]],
        };
        assert_eq!(ok.problem(), None);
    }

    #[test]
    fn shapes_read_as_tagged_json() {
        let json = r#"{"kind":"rect","from":[0.1,0.2],"to":[0.4,0.5]}"#;
        let shape: Shape = serde_json::from_str(json).expect("reads");
        assert_eq!(
            shape,
            Shape::Rect {
                from: [0.1, 0.2],
                to: [0.4, 0.5]
            }
        );
        assert!(serde_json::from_str::<Shape>(r#"{"kind":"circle","at":[0,0]}"#).is_err());
    }

    #[test]
    fn changes_tell_null_from_missing() {
        let never: ReviewLinkChange =
            serde_json::from_str(r#"{"expires_in_days":null}"#).expect("reads");
        assert_eq!(never.expires_in_days, Some(None));
        let untouched: ReviewLinkChange = serde_json::from_str("{}").expect("reads");
        assert_eq!(untouched.expires_in_days, None);
        let new: NewReviewLink = serde_json::from_str("{}").expect("reads");
        assert_eq!(new, NewReviewLink::default());
        assert_eq!(new.expires_in_days, Some(30));
        assert_eq!(new.downloads, Downloads::AfterApproval);
    }

    #[test]
    fn decisions_asking_for_changes_say_what() {
        let mut d = NewDecision {
            take: 0,
            version: 1,
            verdict: Verdict::ChangesRequested,
            note: None,
            author: "Mia".into(),
        };
        assert_eq!(fields(&d.problems()), ["note"]);
        d.note = Some("Cut the pause".into());
        assert!(d.problems().is_empty());
        d.verdict = Verdict::Approved;
        d.note = None;
        assert!(d.problems().is_empty());
    }

    #[test]
    fn timecodes_and_places() {
        assert_eq!(timecode(37, 24), "00:00:01:13");
        assert_eq!(timecode(24 * 3661 + 5, 24), "01:01:01:05");
        assert_eq!(place(37, None, 24), "00:00:01:13 (frame 37)");
        assert_eq!(
            place(37, Some(48), 24),
            "00:00:01:13–00:00:02:00 (frames 37–48)"
        );
    }
}
