//! Which takes of a job the compare view puts side by side, and what each is
//! called. A variant is one original take (one language) shown at one of its
//! versions: the newest by default, so a correction just made is on screen.
//! Pure, so it is unit-tested natively.

use chorus_core::JobOutput;
use chorus_core::job::versions_of;

/// Most variants on screen at once: beyond four, faces get too small to
/// judge a mouth.
pub const MAX_VARIANTS: usize = 4;

/// Indices of the original takes (not corrections), in job order.
pub fn originals(outputs: &[JobOutput]) -> Vec<usize> {
    outputs
        .iter()
        .enumerate()
        .filter(|(_, o)| o.revision.is_none())
        .map(|(i, _)| i)
        .collect()
}

/// The newest version of the original take `original`.
pub fn newest_version(outputs: &[JobOutput], original: usize) -> Option<usize> {
    versions_of(outputs, original).last().copied()
}

/// Reads the `takes` query value (`"0,2"`: original take indices) into the
/// variants to show. Empty or missing: the first [`MAX_VARIANTS`] originals.
pub fn parse_takes(value: Option<&str>, outputs: &[JobOutput]) -> Result<Vec<usize>, String> {
    let all = originals(outputs);
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(all.into_iter().take(MAX_VARIANTS).collect());
    };
    let mut chosen = Vec::new();
    for part in value.split(',') {
        let index: usize = part
            .trim()
            .parse()
            .map_err(|_| format!("“{part}” in takes= is not a take number"))?;
        if !all.contains(&index) {
            return Err(format!(
                "This job has no take {index} to compare (it has {})",
                all.len()
            ));
        }
        if !chosen.contains(&index) {
            chosen.push(index);
        }
    }
    if chosen.len() > MAX_VARIANTS {
        return Err(format!(
            "At most {MAX_VARIANTS} takes can be compared at once; {} were asked",
            chosen.len()
        ));
    }
    Ok(chosen)
}

/// The take's name on screen: an imported clip's file name, else its
/// language, or its position when it has no speech.
pub fn take_name(outputs: &[JobOutput], index: usize) -> String {
    let original = outputs
        .get(index)
        .map_or(index, |o| o.revision.map_or(index, |r| r.of));
    if let Some(name) = outputs.get(original).and_then(|o| o.name.clone()) {
        return name;
    }
    outputs.get(index).and_then(|o| o.language).map_or_else(
        || format!("Take {}", original + 1),
        |l| l.display_name().to_string(),
    )
}

/// "v2 · sound 120 ms earlier" for a correction, "v1 · as generated" for
/// an original.
pub fn version_label(output: &JobOutput) -> String {
    let shift = output.audio_shift_ms();
    let what = match shift {
        0 => "as generated".to_string(),
        s if s < 0 => format!("sound {} ms earlier", -s),
        s => format!("sound {s} ms later"),
    };
    format!("v{} · {what}", output.version())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chorus_core::{Language, Revision};

    fn take(language: Option<Language>, revision: Option<Revision>) -> JobOutput {
        JobOutput {
            language,
            video: "v".into(),
            sidecar: None,
            width: 1280,
            height: 720,
            duration_ms: 5000,
            fps: 24,
            has_audio: true,
            revision,
            name: None,
            poster: None,
            strip: None,
        }
    }

    fn job() -> Vec<JobOutput> {
        vec![
            take(Some(Language::English), None),
            take(Some(Language::German), None),
            take(
                Some(Language::German),
                Some(Revision {
                    of: 1,
                    number: 2,
                    audio_shift_ms: -120,
                }),
            ),
            take(Some(Language::Japanese), None),
        ]
    }

    #[test]
    fn default_is_every_original_up_to_four() {
        assert_eq!(parse_takes(None, &job()), Ok(vec![0, 1, 3]));
        assert_eq!(parse_takes(Some(" "), &job()), Ok(vec![0, 1, 3]));
        let many: Vec<JobOutput> = (0..6).map(|_| take(None, None)).collect();
        assert_eq!(parse_takes(None, &many), Ok(vec![0, 1, 2, 3]));
    }

    #[test]
    fn chosen_takes_must_be_originals_of_this_job() {
        assert_eq!(parse_takes(Some("3,0"), &job()), Ok(vec![3, 0]));
        assert_eq!(parse_takes(Some("1,1"), &job()), Ok(vec![1]));
        let err = parse_takes(Some("2"), &job()).expect_err("a correction is not a take");
        assert!(err.contains("no take 2"), "{err}");
        let err = parse_takes(Some("x"), &job()).expect_err("not a number");
        assert!(err.contains("“x”"), "{err}");
        let many: Vec<JobOutput> = (0..6).map(|_| take(None, None)).collect();
        let err = parse_takes(Some("0,1,2,3,4"), &many).expect_err("too many");
        assert!(err.contains("At most 4"), "{err}");
    }

    #[test]
    fn the_newest_version_is_shown_by_default() {
        let outputs = job();
        assert_eq!(newest_version(&outputs, 1), Some(2));
        assert_eq!(newest_version(&outputs, 0), Some(0));
        assert_eq!(newest_version(&outputs, 2), None);
    }

    #[test]
    fn names_say_language_and_version() {
        let outputs = job();
        assert_eq!(take_name(&outputs, 2), "German");
        assert_eq!(take_name(&[take(None, None)], 0), "Take 1");
        assert_eq!(version_label(&outputs[2]), "v2 · sound 120 ms earlier");
        assert_eq!(version_label(&outputs[0]), "v1 · as generated");
    }
}
