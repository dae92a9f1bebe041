//! What reviewers said, arranged for reading: comments as threads in
//! playing order, and a job's feedback in one line. Pure, so it is tested
//! natively; `review::comments` and `review::share` show it.

use chorus_core::review::{Comment, Decision, Verdict};

/// Top-level comments in playing order, each with its replies in the
/// order written.
pub fn threads(comments: &[Comment]) -> Vec<(Comment, Vec<Comment>)> {
    let mut tops: Vec<Comment> = comments
        .iter()
        .filter(|c| c.parent.is_none())
        .cloned()
        .collect();
    tops.sort_by_key(|c| (c.frame, c.created_at));
    tops.into_iter()
        .map(|top| {
            let replies = comments
                .iter()
                .filter(|c| c.parent.as_deref() == Some(top.id.as_str()))
                .cloned()
                .collect();
            (top, replies)
        })
        .collect()
}

/// "3 comments, 1 open · 2 approved, 1 changes requested"; `None` when
/// nobody has said anything.
pub fn summary(comments: &[Comment], decisions: &[Decision]) -> Option<String> {
    let tops: Vec<&Comment> = comments.iter().filter(|c| c.parent.is_none()).collect();
    let open = tops.iter().filter(|c| c.resolved_at.is_none()).count();
    let approved = decisions
        .iter()
        .filter(|d| d.verdict == Verdict::Approved)
        .count();
    let changes = decisions.len() - approved;
    let mut parts = Vec::new();
    if !tops.is_empty() {
        let noun = if tops.len() == 1 {
            "comment"
        } else {
            "comments"
        };
        parts.push(format!("{} {noun}, {open} open", tops.len()));
    }
    if approved > 0 {
        parts.push(format!("{approved} approved"));
    }
    if changes > 0 {
        parts.push(format!("{changes} changes requested"));
    }
    (!parts.is_empty()).then(|| parts.join(" · "))
}

#[cfg(test)]
mod tests {
    use chorus_core::review::Side;

    use super::*;

    fn comment(id: &str, frame: usize, at: i64, parent: Option<&str>) -> Comment {
        Comment {
            id: id.into(),
            link_id: "l".into(),
            take: 0,
            original: 0,
            version: 1,
            frame,
            frame_out: None,
            author: "Mia".into(),
            side: Side::Reviewer,
            text: "t".into(),
            shape: None,
            parent: parent.map(str::to_string),
            created_at: at,
            resolved_at: None,
        }
    }

    fn decision(take: usize, verdict: Verdict) -> Decision {
        Decision {
            link_id: "l".into(),
            take,
            version: 1,
            verdict,
            note: None,
            author: "Mia".into(),
            at: 0,
        }
    }

    #[test]
    fn threads_run_in_playing_order_with_replies_as_written() {
        let all = vec![
            comment("late", 90, 1, None),
            comment("r2", 0, 9, Some("early")),
            comment("early", 10, 5, None),
            comment("r1", 0, 7, Some("early")),
        ];
        let found = threads(&all);
        let order: Vec<(&str, Vec<&str>)> = found
            .iter()
            .map(|(top, replies)| {
                (
                    top.id.as_str(),
                    replies.iter().map(|r| r.id.as_str()).collect(),
                )
            })
            .collect();
        assert_eq!(order, [("early", vec!["r2", "r1"]), ("late", vec![])]);
    }

    #[test]
    fn a_job_s_feedback_in_one_line() {
        assert_eq!(summary(&[], &[]), None);
        let mut done = comment("b", 2, 0, None);
        done.resolved_at = Some(1);
        let comments = vec![
            comment("a", 1, 0, None),
            done,
            comment("r", 1, 0, Some("a")),
        ];
        let decisions = vec![
            decision(0, Verdict::Approved),
            decision(1, Verdict::Approved),
            decision(2, Verdict::ChangesRequested),
        ];
        assert_eq!(
            summary(&comments, &decisions).as_deref(),
            Some("2 comments, 1 open · 2 approved · 1 changes requested")
        );
        assert_eq!(
            summary(&comments[..1], &[]).as_deref(),
            Some("1 comment, 1 open")
        );
    }
}
