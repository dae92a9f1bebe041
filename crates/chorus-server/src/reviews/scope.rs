//! What a link shares of its job: the original takes it names and every
//! version of each (versions made after the link was created included), the
//! files a reviewer may fetch, and how the review is titled. Pure: the
//! caller reads the job.

use chorus_core::job::{original_of, versions_of};
use chorus_core::review::ReviewTake;
use chorus_core::{Job, JobOutput, Problem};

/// The originals a new link shares: `requested` as given (each once), or
/// every original take when it is empty. Each index that is not an
/// original take of the job is a problem naming its place in `takes`.
pub fn originals_to_share(job: &Job, requested: &[usize]) -> Result<Vec<usize>, Vec<Problem>> {
    if requested.is_empty() {
        return Ok(originals(job));
    }
    let mut problems = Vec::new();
    let mut chosen: Vec<usize> = Vec::new();
    for (i, &take) in requested.iter().enumerate() {
        match job.outputs.get(take) {
            None => problems.push(Problem::error(
                format!("takes[{i}]"),
                format!(
                    "This job has no take {take} (it has {})",
                    job.outputs.len()
                ),
            )),
            Some(output) if output.revision.is_some() => problems.push(Problem::error(
                format!("takes[{i}]"),
                format!(
                    "Take {take} is a corrected version; share its original take {} (its versions come with it)",
                    original_of(&job.outputs, take).unwrap_or(take)
                ),
            )),
            Some(_) if !chosen.contains(&take) => chosen.push(take),
            Some(_) => {}
        }
    }
    if problems.is_empty() {
        Ok(chosen)
    } else {
        Err(problems)
    }
}

/// Every original take of the job, in order.
pub fn originals(job: &Job) -> Vec<usize> {
    job.outputs
        .iter()
        .enumerate()
        .filter(|(_, o)| o.revision.is_none())
        .map(|(i, _)| i)
        .collect()
}

/// Every output the link shares: each original's versions in order.
pub fn shared_outputs(job: &Job, originals: &[usize]) -> Vec<usize> {
    originals
        .iter()
        .flat_map(|&original| versions_of(&job.outputs, original))
        .collect()
}

/// Whether output `index` is a shared take or a version of one.
pub fn is_shared(job: &Job, originals: &[usize], index: usize) -> bool {
    original_of(&job.outputs, index).is_some_and(|o| originals.contains(&o))
}

/// What one of a take's files is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum File {
    Video,
    Poster,
    Strip,
}

/// The shared output that names asset `id`, and as what; `None` when no
/// shared take or version does.
pub fn shared_file(job: &Job, originals: &[usize], id: &str) -> Option<(usize, File)> {
    shared_outputs(job, originals).into_iter().find_map(|i| {
        let output = &job.outputs[i];
        if output.video == id {
            Some((i, File::Video))
        } else if output.poster.as_deref() == Some(id) {
            Some((i, File::Poster))
        } else if output.strip.as_ref().is_some_and(|s| s.image == id) {
            Some((i, File::Strip))
        } else {
            None
        }
    })
}

/// How many frames a take has: its length at its rate, rounded up.
pub fn frame_count(output: &JobOutput) -> usize {
    (output.duration_ms * u64::from(output.fps)).div_ceil(1000) as usize
}

/// The shared takes as the review page shows them, their files under
/// `base` (`/r/<token>`).
pub fn review_takes(job: &Job, originals: &[usize], base: &str) -> Vec<ReviewTake> {
    shared_outputs(job, originals)
        .into_iter()
        .map(|index| {
            let output = &job.outputs[index];
            ReviewTake {
                index,
                original: original_of(&job.outputs, index).unwrap_or(index),
                version: output.version(),
                language: output.language,
                name: output.name.clone(),
                width: output.width,
                height: output.height,
                fps: output.fps,
                duration_ms: output.duration_ms,
                has_audio: output.has_audio,
                video: format!("{base}/assets/{}", output.video),
                poster: output
                    .poster
                    .as_ref()
                    .map(|id| format!("{base}/assets/{id}")),
                audio_shift_ms: output.audio_shift_ms(),
            }
        })
        .collect()
}

/// Longest review title, in characters.
pub const TITLE_CHARS: usize = 120;

/// The review's title: the job's prompt, or the shared clips' names for an
/// import, cut to `TITLE_CHARS`.
pub fn title(job: &Job, originals: &[usize]) -> String {
    let prompt = job.request.prompt.trim();
    let text = if prompt.is_empty() {
        let names: Vec<&str> = originals
            .iter()
            .filter_map(|&i| job.outputs.get(i)?.name.as_deref())
            .collect();
        if names.is_empty() {
            "Review".to_string()
        } else {
            names.join(", ")
        }
    } else {
        prompt.split_whitespace().collect::<Vec<_>>().join(" ")
    };
    cut(&text, TITLE_CHARS)
}

/// `text` in at most `chars` characters, "…" marking a cut.
fn cut(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        return text.to_string();
    }
    let mut short: String = text.chars().take(chars.saturating_sub(1)).collect();
    short.truncate(short.trim_end().len());
    short.push('…');
    short
}

/// A take's label for people and file names: its language code or clip
/// name, and its version.
pub fn take_label(output: &JobOutput) -> String {
    let what = output
        .language
        .map(|l| l.code().to_string())
        .or_else(|| output.name.clone())
        .unwrap_or_else(|| "take".to_string());
    format!("{what} v{}", output.version())
}

/// `text` as a file name: letters, digits and dashes, at most 60 long.
pub fn file_stem(text: &str) -> String {
    let mut stem = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            stem.push(c.to_ascii_lowercase());
        } else if !stem.ends_with('-') && !stem.is_empty() {
            stem.push('-');
        }
        if stem.len() >= 60 {
            break;
        }
    }
    let stem = stem.trim_end_matches('-');
    if stem.is_empty() {
        "review".to_string()
    } else {
        stem.to_string()
    }
}

#[cfg(test)]
mod tests {
    use chorus_core::{JobId, JobStatus, Language, Revision};

    use super::*;

    fn output(language: Language, video: &str, revision: Option<Revision>) -> JobOutput {
        JobOutput {
            language: Some(language),
            video: video.into(),
            sidecar: None,
            width: 1280,
            height: 720,
            duration_ms: 5000,
            fps: 24,
            has_audio: true,
            revision,
            name: None,
            poster: Some(format!("{video}-poster")),
            strip: None,
        }
    }

    fn job() -> Job {
        let shift = |of, number| {
            Some(Revision {
                of,
                number,
                audio_shift_ms: -40,
            })
        };
        let mut request = chorus_core::GenerationRequest::new("draft");
        request.prompt = "A florist arranges tulips".into();
        Job {
            id: JobId("job_1".into()),
            status: JobStatus::Succeeded,
            progress: 1.0,
            request,
            estimate: None,
            created_at: 0,
            updated_at: 0,
            outputs: vec![
                output(Language::English, "en", None),
                output(Language::German, "de", None),
                output(Language::Japanese, "ja", None),
                output(Language::German, "de2", shift(1, 2)),
            ],
            error: None,
            actual_cost_usd_micros: None,
            bytes: 0,
            deleted_at: None,
        }
    }

    #[test]
    fn only_original_takes_are_shared() {
        let job = job();
        assert_eq!(originals_to_share(&job, &[]), Ok(vec![0, 1, 2]));
        assert_eq!(originals_to_share(&job, &[1, 0, 1]), Ok(vec![1, 0]));
        let problems = originals_to_share(&job, &[0, 3, 9]).expect_err("refused");
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["takes[1]", "takes[2]"]);
        assert!(
            problems[0].message.contains("original take 1"),
            "{problems:?}"
        );
    }

    #[test]
    fn versions_come_with_their_original() {
        let job = job();
        assert_eq!(shared_outputs(&job, &[1]), [1, 3]);
        assert!(is_shared(&job, &[1], 3));
        assert!(!is_shared(&job, &[1], 0));
        assert_eq!(shared_file(&job, &[1], "de2"), Some((3, File::Video)));
        assert_eq!(
            shared_file(&job, &[1], "de2-poster"),
            Some((3, File::Poster))
        );
        assert_eq!(shared_file(&job, &[1], "en"), None);
        let takes = review_takes(&job, &[1], "/r/tok");
        assert_eq!(takes.len(), 2);
        assert_eq!(takes[1].video, "/r/tok/assets/de2");
        assert_eq!(takes[1].poster.as_deref(), Some("/r/tok/assets/de2-poster"));
        assert_eq!((takes[1].original, takes[1].version), (1, 2));
        assert_eq!(takes[1].audio_shift_ms, -40);
    }

    #[test]
    fn frames_round_up() {
        let mut take = output(Language::English, "v", None);
        assert_eq!(frame_count(&take), 120);
        take.duration_ms = 5010;
        assert_eq!(frame_count(&take), 121);
    }

    #[test]
    fn titles_and_file_names() {
        let mut job = job();
        assert_eq!(title(&job, &[0]), "A florist arranges tulips");
        job.request.prompt = "word ".repeat(40);
        let long = title(&job, &[0]);
        assert_eq!(long.chars().count(), TITLE_CHARS);
        assert!(long.ends_with('…'));
        job.request.prompt = String::new();
        job.outputs[0].name = Some("intro.mp4".into());
        job.outputs[1].name = Some("outro.mov".into());
        assert_eq!(title(&job, &[0, 1]), "intro.mp4, outro.mov");
        assert_eq!(
            file_stem("A florist: arranges tulips!"),
            "a-florist-arranges-tulips"
        );
        assert_eq!(file_stem("…"), "review");
        assert_eq!(take_label(&job.outputs[3]), "de v2");
    }
}
