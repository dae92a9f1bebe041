//! Browser tests: the built studio, served by the real `chorus` server, driven
//! in headless Chromium the way a person would use it.
//!
//! Needs: the app built into dist/ (`trunk build`), the server built
//! (`cargo build -p chorus-server`), and `apt-get install chromium
//! chromium-driver`. `CHORUS_BIN`, `CHORUS_DIST` override the paths;
//! `CHORUS_SCREENSHOTS=/some/dir` saves a PNG per step worth seeing.

mod access;
mod campaign;
mod campaign_bench;
mod compare;
mod draft;
mod harness;
mod import;
mod library;
mod load;
mod localize;
mod player;
mod player_bench;
mod review;
mod webhooks;

use anyhow::{Context, Result, ensure};
use fantoccini::Locator;
use harness::Studio;
use serde_json::json;

/// Select-all in WebDriver keys: Control down, `a`, then NULL releases the
/// modifier before the replacement text is typed.
const SELECT_ALL: &str = "\u{e009}a\u{e000}";

/// Draws a 480×480 PNG in the page, wraps it in a File and drops it on the
/// reference zone through a real `drop` event carrying a DataTransfer.
pub(crate) const DROP_GENERATED_PNG: &str = r"
const done = arguments[arguments.length - 1];
const canvas = document.createElement('canvas');
canvas.width = 480; canvas.height = 480;
const g = canvas.getContext('2d');
const sky = g.createLinearGradient(0, 0, 480, 480);
sky.addColorStop(0, '#ffb86b'); sky.addColorStop(1, '#6b5bff');
g.fillStyle = sky; g.fillRect(0, 0, 480, 480);
g.fillStyle = '#2b2118'; g.beginPath(); g.arc(240, 210, 110, 0, Math.PI * 2); g.fill();
g.fillStyle = '#f1c7a0'; g.beginPath(); g.arc(240, 230, 90, 0, Math.PI * 2); g.fill();
g.fillStyle = '#1d1d1d'; g.fillRect(200, 210, 18, 12); g.fillRect(262, 210, 18, 12);
g.fillStyle = '#c0392b'; g.fillRect(215, 270, 50, 10);
g.fillStyle = '#23304a'; g.fillRect(120, 330, 240, 150);
canvas.toBlob((blob) => {
  const file = new File([blob], 'presenter.png', { type: 'image/png' });
  const data = new DataTransfer();
  data.items.add(file);
  const zone = document.querySelector('[data-testid=drop-zone]');
  const init = { bubbles: true, cancelable: true, dataTransfer: data };
  zone.dispatchEvent(new DragEvent('dragenter', init));
  zone.dispatchEvent(new DragEvent('dragover', init));
  zone.dispatchEvent(new DragEvent('drop', init));
  done(file.size);
}, 'image/png');
";

#[tokio::test]
async fn compose_with_a_dropped_reference_and_three_languages_then_see_the_job() -> Result<()> {
    Studio::run("compose", async |s: &Studio| {
        s.open("/").await?;
        s.click("[data-testid=mode-reference-to-video]").await?;
        s.type_into("[data-testid=prompt]", "Close-up of ").await?;

        let bytes = s.client.execute_async(DROP_GENERATED_PNG, vec![]).await?;
        ensure!(
            bytes.as_u64().unwrap_or(0) > 0,
            "the page could not make the PNG"
        );
        s.find("[data-testid=reference-card]")
            .await
            .context("the dropped image never showed as a reference")?;
        s.find_text("[data-testid=character-chip]", "character1")
            .await?;

        // The chip types its token where the cursor is: the end of the prompt.
        s.click("[data-testid=character-chip]").await?;
        ensure!(s.value_of("[data-testid=prompt]").await? == "Close-up of character1");
        s.type_into(
            "[data-testid=prompt]",
            " holding the new phone, smiling at the camera.",
        )
        .await?;

        let lines = [
            ("en", "Meet the phone that listens."),
            ("de", "Das Telefon, das zuhört."),
            ("ja", "きくでんわです。"),
        ];
        for (code, line) in lines {
            s.click(&format!("[data-testid=language-{code}]")).await?;
            s.type_into(&format!("[data-testid=line-{code}]"), line)
                .await?;
        }
        // The server says how long each line takes to say, next to the line.
        s.find_text("[data-testid=dialogue-de] [data-testid=speech-fit]", " s")
            .await?;
        s.find_text("[data-testid=cost-figure]", "Free").await?;
        s.find_text("[data-testid=cost-breakdown]", "3 takes × 5 s")
            .await?;
        s.find_text("[data-testid=generate]", "Generate 3 takes")
            .await?;
        s.screenshot("compose-filled").await?;

        // A reload keeps everything, the uploaded reference included.
        s.client.refresh().await?;
        s.find("[data-testid=reference-card]")
            .await
            .context("reference lost on reload")?;
        ensure!(
            s.value_of("[data-testid=prompt]")
                .await?
                .starts_with("Close-up of character1 holding")
        );
        ensure!(s.value_of("[data-testid=line-de]").await? == "Das Telefon, das zuhört.");
        s.find("[data-testid=dialogue-ja] [data-testid=speech-fit]")
            .await?;
        s.screenshot("compose-reloaded").await?;

        s.click("[data-testid=generate]").await?;
        s.find("[data-testid=library-page]")
            .await
            .context("Generate did not open the Library")?;
        let card = s
            .find_text("[data-testid=job-card]", "Close-up of character1 holding")
            .await?;
        for language in ["English", "German", "Japanese"] {
            ensure!(
                card.contains(language),
                "{language} missing from the job card: {card}"
            );
        }
        s.find("[data-testid=job-card] [data-testid=job-status]")
            .await?;
        s.screenshot("library").await?;
        Ok(())
    })
    .await
}

#[tokio::test]
async fn over_long_prompt_and_twenty_seconds_show_errors_at_their_fields() -> Result<()> {
    Studio::run("inline-errors", async |s: &Studio| {
        s.open("/").await?;
        // Paste a long script (as a clipboard paste would: one input event),
        // then type a little more by hand.
        s.client
            .execute(
                "const a = document.querySelector('[data-testid=prompt]');
                 a.value = 'word '.repeat(518);
                 a.dispatchEvent(new Event('input', { bubbles: true }));",
                vec![],
            )
            .await?;
        s.type_into("[data-testid=prompt]", "and more words")
            .await?;
        s.type_into("[data-testid=duration]", &format!("{SELECT_ALL}20"))
            .await?;

        let prompt_problem = s
            .find_text("[data-testid=problem-prompt]", "2,604 characters")
            .await?;
        ensure!(prompt_problem.contains("at most 2,500"), "{prompt_problem}");
        let duration_problem = s
            .find_text("[data-testid=problem-duration]", "Duration 20 s")
            .await?;
        ensure!(duration_problem.contains("3–15 s"), "{duration_problem}");
        s.find_text("[data-testid=prompt-count]", "2,604 / 2,500")
            .await?;

        // Each message is tied to its control for screen readers too.
        let described = s
            .client
            .execute(
                "return ['prompt', 'duration'].map((id) => {
                   const el = document.querySelector(`[data-testid=${id}]`);
                   const list = document.getElementById(el.getAttribute('aria-describedby'));
                   return [el.getAttribute('aria-invalid'), list.textContent];
                 });",
                vec![],
            )
            .await?;
        ensure!(described[0][0] == json!("true") && described[1][0] == json!("true"));
        ensure!(
            described[0][1]
                .as_str()
                .unwrap_or("")
                .contains("2,604 characters")
        );
        ensure!(
            described[1][1]
                .as_str()
                .unwrap_or("")
                .contains("Duration 20 s")
        );
        for el in s
            .client
            .find_all(Locator::Css("[data-testid^=problem-]"))
            .await?
        {
            ensure!(el.attr("data-source").await?.as_deref() == Some("browser"));
        }

        // Generate refuses, says why, and takes the keyboard to the first problem.
        s.click("[data-testid=generate]").await?;
        s.find_text("[data-testid=blockers]", "2 things to fix")
            .await?;
        let focused = s
            .client
            .execute("return document.activeElement.dataset.testid;", vec![])
            .await?;
        ensure!(focused == json!("prompt"), "focus went to {focused}");
        ensure!(s.client.current_url().await?.path() == "/");
        s.screenshot("inline-errors").await?;

        // Half-written work survives a reload, problems and all.
        s.client.refresh().await?;
        s.find_text("[data-testid=problem-duration]", "Duration 20 s")
            .await?;
        ensure!(s.value_of("[data-testid=duration]").await? == "20");
        Ok(())
    })
    .await
}

#[tokio::test]
async fn a_request_past_the_browser_check_shows_the_servers_422_at_the_field() -> Result<()> {
    Studio::run("server-422", async |s: &Studio| {
        // `?skipcheck=1` switches the browser's check off, so what the page
        // shows next can only have come from the server.
        s.open("/?skipcheck=1").await?;
        s.find("[data-testid=skipcheck-note]").await?;
        s.type_into(
            "[data-testid=prompt]",
            "A lighthouse keeper waves from the gallery.",
        )
        .await?;
        s.type_into("[data-testid=duration]", &format!("{SELECT_ALL}20"))
            .await?;
        ensure!(
            s.client
                .find_all(Locator::Css("[data-testid=problem-duration]"))
                .await?
                .is_empty(),
            "the browser check should be off"
        );

        s.click("[data-testid=generate]").await?;
        let shown = s
            .find_text("[data-testid=problem-duration][data-source=server]", "20 s")
            .await
            .context("the server's 422 did not reach the duration field")?;
        ensure!(shown.contains("Server: Duration 20 s is longer"), "{shown}");
        s.find("[data-testid=server-message]").await?;
        ensure!(
            s.client.current_url().await?.path() == "/",
            "a refused job must not leave Compose"
        );
        s.screenshot("server-422").await?;

        // Fixing the field clears the server's verdict.
        s.type_into("[data-testid=duration]", &format!("{SELECT_ALL}6"))
            .await?;
        s.until("the server's problem to clear", || async {
            Ok(s.client
                .find_all(Locator::Css("[data-testid=problem-duration]"))
                .await?
                .is_empty()
                .then_some(()))
        })
        .await?;
        Ok(())
    })
    .await
}
