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
    /// Drawn quieter (resolved, or written on another version).
    pub muted: bool,
}

/// The timeline markers of the top-level comments on take `original`, all
/// its versions included (a version moves the sound, never the picture, so
/// a frame is the same frame on each), shown on output `shown`: comments
/// written on another version say which and are drawn quieter.
pub fn markers_of(comments: &[Comment], original: usize, shown: usize) -> Vec<Marker> {
    comments
        .iter()
        .filter(|c| c.original == original && c.parent.is_none())
        .map(|c| {
            let elsewhere = c.take != shown;
            let on = if elsewhere {
                format!(", on v{}", c.version)
            } else {
                String::new()
            };
            Marker {
                id: c.id.clone(),
                frame: c.frame,
                frame_out: c.frame_out,
                label: format!("{}: {} (frame {}{on})", c.author, c.text, c.frame),
                muted: c.resolved_at.is_some() || elsewhere,
            }
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
        // Output 3 is take 1's second version.
        let mut on_v2 = comment("e", 3, 50, None);
        on_v2.original = 1;
        on_v2.version = 2;
        let all = vec![
            comment("a", 1, 37, None),
            comment("b", 1, 37, Some("a")),
            resolved,
            comment("d", 0, 12, None),
            on_v2,
        ];
        let markers = markers_of(&all, 1, 1);
        let ids: Vec<&str> = markers.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["a", "c", "e"]);
        assert_eq!(markers[0].label, "Mia: Too fast (frame 37)");
        assert!(
            !markers[0].muted && markers[1].muted,
            "resolved ones are quieter"
        );
        assert_eq!(markers[1].frame_out, Some(48));
        assert!(markers[2].muted && markers[2].label.ends_with("(frame 50, on v2)"));
        let seen_on_v2 = markers_of(&all, 1, 3);
        assert!(seen_on_v2[0].muted && seen_on_v2[0].label.ends_with("(frame 37, on v1)"));
        assert!(!seen_on_v2[2].muted, "its own comment");
    }
}
