//! How long lines take to say with the draft voice, and whether they fit a
//! clip: for the speech-fit check, job creation and fitting translations.

use chorus_core::DialogueLine;
use chorus_core::api::SpeechFitLine;

/// Measures every line that has words (espeak runs on a blocking thread);
/// blank lines are skipped.
pub async fn measure(
    dialogue: Vec<DialogueLine>,
    duration_s: u32,
) -> anyhow::Result<Vec<SpeechFitLine>> {
    if dialogue.iter().all(|line| line.text.trim().is_empty()) {
        // Nothing to say: no voice to start (and no blocking thread).
        return Ok(Vec::new());
    }
    tokio::task::spawn_blocking(move || {
        dialogue
            .iter()
            .filter(|line| !line.text.trim().is_empty())
            .map(|line| chorus_draft::speech_fit(line.language, &line.text, duration_s))
            .collect::<Result<Vec<_>, _>>()
    })
    .await?
    .map_err(|e| anyhow::anyhow!("speech fit: {e}"))
}
