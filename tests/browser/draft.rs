//! The draft engine from a user's seat: a photo, a German and a Japanese
//! (kana) line, Generate, and two talking clips that play in the Library.

use anyhow::{Context, Result, ensure};
use serde_json::Value;

use crate::harness::Studio;

/// Reads every take on the first job card: its poster (loaded, with a
/// scrub strip) and its player once opened.
const READ_OUTPUTS: &str = r"
const card = document.querySelector('[data-testid=job-card]');
if (!card) return null;
return {
  status: card.dataset.status,
  error: card.querySelector('[data-testid=job-error]')?.textContent ?? null,
  text: card.textContent,
  posters: [...card.querySelectorAll('[data-testid=take-poster]')].map((p) => {
    const img = p.querySelector('img');
    return { loaded: !!img && img.complete && img.naturalWidth > 0, width: img?.naturalWidth ?? 0 };
  }),
  players: [...card.querySelectorAll('[data-testid=player]')].map((p) => ({
    frame: p.dataset.frame === undefined ? null : Number(p.dataset.frame),
    count: Number(p.dataset.frameCount || 0),
    error: p.querySelector('.player-error')?.textContent ?? null,
  })),
};
";

async fn outputs(s: &Studio) -> Result<Value> {
    Ok(s.client.execute(READ_OUTPUTS, vec![]).await?)
}

#[tokio::test]
async fn a_photo_with_german_and_japanese_lines_becomes_two_talking_clips() -> Result<()> {
    Studio::run("draft", async |s: &Studio| {
        s.open("/").await?;
        s.click("[data-testid=mode-image-to-video]").await?;
        s.type_into(
            "[data-testid=prompt]",
            "A baker smiles at the camera in her shop.",
        )
        .await?;
        let bytes = s
            .client
            .execute_async(crate::DROP_GENERATED_PNG, vec![])
            .await?;
        ensure!(
            bytes.as_u64().unwrap_or(0) > 0,
            "the page could not make the photo"
        );
        s.find("[data-testid=reference-card]")
            .await
            .context("the photo never showed as the start image")?;
        for (code, line) in [
            ("de", "Frisches Brot, jeden Morgen."),
            ("ja", "まいあさ、やきたてです。"),
        ] {
            s.click(&format!("[data-testid=language-{code}]")).await?;
            s.type_into(&format!("[data-testid=line-{code}]"), line)
                .await?;
        }
        s.find_text("[data-testid=generate]", "Generate 2 takes")
            .await?;
        s.click("[data-testid=generate]").await?;
        s.find("[data-testid=library-page]").await?;

        // The job renders on this machine and the card updates live.
        let done = s
            .until("the job to finish", || async {
                let v = outputs(s).await?;
                let status = v["status"].as_str().unwrap_or_default().to_string();
                Ok((status == "succeeded" || status == "failed").then_some(v))
            })
            .await?;
        ensure!(
            done["status"] == "succeeded",
            "the job failed: {}",
            done["error"]
        );
        let text = done["text"].as_str().unwrap_or_default();
        ensure!(
            text.contains("German") && text.contains("Japanese"),
            "languages missing: {text}"
        );

        // Both clips show their posters, made by the server, and no player
        // until one is opened.
        s.until("both posters on screen", || async {
            let v = outputs(s).await?;
            let posters = v["posters"].as_array().cloned().unwrap_or_default();
            let players = v["players"].as_array().map_or(0, Vec::len);
            Ok(
                (posters.len() == 2 && posters.iter().all(|p| p["loaded"] == true) && players == 0)
                    .then_some(()),
            )
        })
        .await?;
        s.screenshot("draft-ready").await?;

        // Opening a take puts the Library's one player on it.
        for take in 0..2 {
            s.click("[data-testid=take-poster]").await?;
            let players = s
                .until(&format!("take {take} in the player"), || async {
                    let v = outputs(s).await?;
                    let players = v["players"].as_array().cloned().unwrap_or_default();
                    if let Some(error) = players.iter().find_map(|p| p["error"].as_str()) {
                        anyhow::bail!("a player failed: {error}");
                    }
                    let ready = players.len() == 1
                        && players[0]["frame"].as_u64().is_some()
                        && players[0]["count"].as_u64().unwrap_or(0) >= 24 * 5;
                    Ok(ready.then_some(players))
                })
                .await?;
            ensure!(players.len() == 1, "one player at a time");
        }
        let v = outputs(s).await?;
        ensure!(
            v["posters"].as_array().map_or(0, Vec::len) == 1,
            "the other take went back to its poster: {v}"
        );

        // Space plays the first clip: its frame moves on by itself.
        let player = s.find("[data-testid=player]").await?;
        player.send_keys(" ").await?;
        s.until("the clip to play", || async {
            let v = outputs(s).await?;
            Ok(v["players"][0]["frame"].as_u64().filter(|f| *f >= 6))
        })
        .await?;
        s.screenshot("draft-playing").await?;
        Ok(())
    })
    .await
}
