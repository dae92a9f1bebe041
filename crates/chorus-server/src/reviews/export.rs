//! A job's review comments as files for editors: CSV for spreadsheets, and
//! a CMX3600 EDL of markers that DaVinci Resolve imports onto a timeline
//! (Timeline › Import › Timeline Markers from EDL). Replies follow the
//! comment they answer; in the EDL they join its marker, since Resolve
//! keeps one marker per frame.

use std::fmt::Write as _;

use chorus_core::Job;
use chorus_core::review::{Comment, Side, timecode};

use super::scope;

/// Resolve's default timeline starts at one hour.
const RECORD_START_SECONDS: usize = 3600;

/// Comments grouped by thread: each first comment in the order made,
/// followed by every reply under it in the order made. A reply whose
/// comment is not among `comments` starts a thread of its own.
pub fn threads(comments: &[Comment]) -> Vec<Vec<&Comment>> {
    let root_of = |comment: &Comment| -> usize {
        let mut at = comment;
        // A chain longer than the list is a loop; stop there.
        for _ in 0..comments.len() {
            match at
                .parent
                .as_deref()
                .and_then(|p| comments.iter().find(|c| c.id == p))
            {
                Some(parent) => at = parent,
                None => break,
            }
        }
        comments.iter().position(|c| c.id == at.id).unwrap_or(0)
    };
    let mut threads: Vec<(usize, Vec<&Comment>)> = Vec::new();
    for comment in comments {
        let root = root_of(comment);
        match threads.iter_mut().find(|(r, _)| *r == root) {
            Some((_, thread)) => thread.push(comment),
            None => threads.push((root, vec![comment])),
        }
    }
    threads.sort_by_key(|(root, _)| *root);
    threads.into_iter().map(|(_, thread)| thread).collect()
}

/// The take's fps (24 for a take the job no longer has).
fn fps_of(job: &Job, take: usize) -> u32 {
    job.outputs.get(take).map_or(24, |o| o.fps)
}

/// Unix ms as RFC 3339 in UTC, to the second.
pub fn rfc3339(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// A spreadsheet would run a cell starting with one of these as a formula:
/// such text (a reviewer's, say) is kept as text with a leading `'`.
pub(crate) fn as_text_cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

/// The comments as CSV: take, language, version, frame, timecode, range,
/// author, side, text, shape, status, created; replies after their comment.
pub fn csv(job: &Job, comments: &[Comment]) -> anyhow::Result<Vec<u8>> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record([
        "take", "language", "version", "frame", "timecode", "range", "author", "side", "text",
        "shape", "status", "created",
    ])?;
    for comment in threads(comments).into_iter().flatten() {
        let fps = fps_of(job, comment.take);
        let output = job.outputs.get(comment.take);
        let language = output
            .and_then(|o| {
                o.language
                    .map(|l| l.code().to_string())
                    .or_else(|| o.name.clone())
            })
            .unwrap_or_default();
        let range = match comment.frame_out {
            Some(out) if out != comment.frame => {
                format!("{}-{}", timecode(comment.frame, fps), timecode(out, fps))
            }
            _ => String::new(),
        };
        out.write_record([
            comment.take.to_string(),
            language,
            comment.version.to_string(),
            comment.frame.to_string(),
            timecode(comment.frame, fps),
            range,
            as_text_cell(&comment.author),
            match comment.side {
                Side::Reviewer => "reviewer".to_string(),
                Side::Studio => "studio".to_string(),
            },
            as_text_cell(&comment.text),
            comment
                .shape
                .as_ref()
                .map_or_else(String::new, |s| s.label().to_string()),
            if comment.resolved_at.is_some() {
                "resolved".to_string()
            } else {
                "open".to_string()
            },
            rfc3339(comment.created_at),
        ])?;
    }
    out.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
}

/// `text` on one line with no `|` (which separates an EDL marker's fields).
fn marker_text(text: &str) -> String {
    text.replace('|', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The comments as an EDL of markers, one per thread at its first
/// comment's frame (its range, if it has one): red while open, green once
/// resolved. Record timecodes start at 01:00:00:00; source timecodes are
/// the take's own. With comments on several takes, each marker names its
/// take.
pub fn edl(job: &Job, comments: &[Comment], title: &str) -> String {
    let mut threads = threads(comments);
    threads.sort_by_key(|thread| (thread[0].frame, thread[0].created_at));
    let several_takes = comments.iter().any(|c| c.take != comments[0].take);
    let mut out = format!("TITLE: {}\nFCM: NON-DROP FRAME\n\n", marker_text(title));
    for (n, thread) in threads.iter().enumerate() {
        let first = thread[0];
        let fps = fps_of(job, first.take);
        let duration = first
            .frame_out
            .map_or(1, |out| out.saturating_sub(first.frame) + 1);
        let start = RECORD_START_SECONDS * fps.max(1) as usize;
        let (src_in, src_out) = (first.frame, first.frame + duration);
        let mut text = thread
            .iter()
            .map(|c| format!("{}: {}", c.author, c.text))
            .collect::<Vec<_>>()
            .join(" // ");
        if several_takes && let Some(output) = job.outputs.get(first.take) {
            text = format!("[{}] {text}", scope::take_label(output));
        }
        let colour = if first.resolved_at.is_some() {
            "ResolveColorGreen"
        } else {
            "ResolveColorRed"
        };
        let _ = write!(
            out,
            "{:03}  001      V     C        {} {} {} {}\n |C:{colour} |M:{} |D:{duration}\n\n",
            n + 1,
            timecode(src_in, fps),
            timecode(src_out, fps),
            timecode(start + src_in, fps),
            timecode(start + src_out, fps),
            marker_text(&text),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use chorus_core::review::Shape;
    use chorus_core::{JobId, JobOutput, JobStatus, Language};

    use super::*;

    fn job() -> Job {
        let take = |language| JobOutput {
            language: Some(language),
            video: "v".into(),
            sidecar: None,
            width: 1280,
            height: 720,
            duration_ms: 5000,
            fps: 24,
            has_audio: true,
            revision: None,
            name: None,
            poster: None,
            strip: None,
        };
        Job {
            id: JobId("job_1".into()),
            status: JobStatus::Succeeded,
            progress: 1.0,
            request: chorus_core::GenerationRequest::new("draft"),
            estimate: None,
            created_at: 0,
            updated_at: 0,
            outputs: vec![take(Language::English), take(Language::German)],
            error: None,
            actual_cost_usd_micros: None,
            bytes: 0,
            deleted_at: None,
        }
    }

    fn comment(id: &str, take: usize, frame: usize, text: &str) -> Comment {
        Comment {
            id: id.into(),
            link_id: "rl_1".into(),
            take,
            original: take,
            version: 1,
            frame,
            frame_out: None,
            author: "Mia".into(),
            side: Side::Reviewer,
            text: text.into(),
            shape: None,
            parent: None,
            created_at: 1_765_000_000_000,
            resolved_at: None,
        }
    }

    fn sample() -> Vec<Comment> {
        let mut first = comment("c1", 0, 37, "Her mouth is late");
        first.frame_out = Some(48);
        first.shape = Some(Shape::Pin { at: [0.5, 0.5] });
        let second = comment("c2", 0, 10, "=cut | here\nplease");
        let mut reply = comment("c3", 0, 37, "Fixed in v2");
        reply.parent = Some("c1".into());
        reply.side = Side::Studio;
        reply.author = "Studio".into();
        reply.resolved_at = Some(1);
        vec![first, second, reply]
    }

    #[test]
    fn replies_follow_their_comment() {
        let comments = sample();
        let ids: Vec<Vec<&str>> = threads(&comments)
            .iter()
            .map(|t| t.iter().map(|c| c.id.as_str()).collect())
            .collect();
        assert_eq!(ids, [vec!["c1", "c3"], vec!["c2"]]);
    }

    #[test]
    fn csv_has_a_row_per_comment_and_reply() {
        let text = String::from_utf8(csv(&job(), &sample()).expect("csv")).expect("utf-8");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "take,language,version,frame,timecode,range,author,side,text,shape,status,created"
        );
        assert_eq!(
            lines[1],
            "0,en,1,37,00:00:01:13,00:00:01:13-00:00:02:00,Mia,reviewer,Her mouth is late,pin,open,2025-12-06T05:46:40Z"
        );
        assert!(
            lines[2].starts_with("0,en,1,37,00:00:01:13,,Studio,studio,Fixed in v2,,resolved,")
        );
        // The formula-like text is kept as text, and its new line quoted.
        assert!(text.contains("\"'=cut | here\nplease\""), "{text}");
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        assert_eq!(reader.records().count(), 3);
    }

    #[test]
    fn edl_markers_read_as_resolve_writes_them() {
        let edl = edl(&job(), &sample(), "Tulips | spring");
        let expected = "TITLE: Tulips spring\nFCM: NON-DROP FRAME\n\n\
            001  001      V     C        00:00:00:10 00:00:00:11 01:00:00:10 01:00:00:11\n \
            |C:ResolveColorRed |M:Mia: =cut here please |D:1\n\n\
            002  001      V     C        00:00:01:13 00:00:02:01 01:00:01:13 01:00:02:01\n \
            |C:ResolveColorRed |M:Mia: Her mouth is late // Studio: Fixed in v2 |D:12\n\n";
        assert_eq!(edl, expected);
    }

    #[test]
    fn markers_on_several_takes_name_theirs() {
        let comments = vec![comment("a", 0, 1, "One"), comment("b", 1, 2, "Two")];
        let edl = edl(&job(), &comments, "T");
        assert!(edl.contains("|M:[en v1] Mia: One |D:1"), "{edl}");
        assert!(edl.contains("|M:[de v1] Mia: Two |D:1"), "{edl}");
    }
}
