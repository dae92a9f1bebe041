//! Markers on the timeline: the comments of one take as points (one
//! frame) or spans (an in–out range). Pure, so it is tested natively.

use chorus_core::review::Comment;

/// A point or span on the timeline the page wants shown (a comment).
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    pub id: String,
    pub frame: usize,
    /// Last frame of a span, inclusive.
    pub frame_out: Option<usize>,
    /// Shown on hover and to screen readers.
    pub label: String,
    /// Drawn quieter (a resolved comment).
    pub muted: bool,
}

/// The timeline markers of `index`'s top-level comments.
pub fn markers_of(comments: &[Comment], index: usize) -> Vec<Marker> {
    comments
        .iter()
        .filter(|c| c.take == index && c.parent.is_none())
        .map(|c| Marker {
            id: c.id.clone(),
            frame: c.frame,
            frame_out: c.frame_out,
            label: format!("{}: {} (frame {})", c.author, c.text, c.frame),
            muted: c.resolved_at.is_some(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use chorus_core::review::Side;

    use super::*;

    fn comment(id: &str, take: usize, frame: usize, parent: Option<&str>) -> Comment {
        Comment {
            id: id.into(),
            link_id: "l".into(),
            take,
            original: take,
            version: 1,
            frame,
            frame_out: None,
            author: "Mia".into(),
            side: Side::Reviewer,
            text: "Too fast".into(),
            shape: None,
            parent: parent.map(str::to_string),
            created_at: 0,
            resolved_at: None,
        }
    }

    #[test]
    fn one_marker_per_comment_on_the_take_replies_left_out() {
        let mut resolved = comment("c", 1, 40, None);
        resolved.resolved_at = Some(5);
        resolved.frame_out = Some(48);
        let all = vec![
            comment("a", 1, 37, None),
            comment("b", 1, 37, Some("a")),
            resolved,
            comment("d", 0, 12, None),
        ];
        let markers = markers_of(&all, 1);
        assert_eq!(
            markers.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(),
            ["a", "c"]
        );
        assert_eq!(markers[0].label, "Mia: Too fast (frame 37)");
        assert!(
            !markers[0].muted && markers[1].muted,
            "resolved ones are quieter"
        );
        assert_eq!(markers[1].frame_out, Some(48));
    }
}
