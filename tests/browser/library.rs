//! The Library at scale from a user's seat: 61 jobs arrive a page at a time
//! as posters (one GPU context on the page whatever it holds), a take opens
//! in the one player, "tulpen" finds the German lines and stays in the URL,
//! and a deleted job can be brought back, then is gone for good.

use anyhow::{Context, Result, ensure};
use serde_json::{Value, json};

use crate::compare::{COUNT_GPU_CONTEXTS, gpu_contexts_within_budget, render};
use crate::harness::Studio;

/// The cards on screen: how many, their prompts and languages, whether
/// every poster that was laid out has loaded, and the load-more state.
const READ_LIBRARY: &str = r"
const cards = [...document.querySelectorAll('[data-testid=job-card]')];
const posters = [...document.querySelectorAll('[data-testid=take-poster] img')];
return {
  count: cards.length,
  prompts: cards.map((c) => c.querySelector('[data-testid=job-prompt]')?.textContent ?? ''),
  languages: cards.map((c) => [...c.querySelectorAll('[data-testid=job-languages] li')].map((l) => l.textContent)),
  posters: posters.length,
  postersLoaded: posters.filter((i) => i.complete && i.naturalWidth > 0).length,
  more: !!document.querySelector('[data-testid=load-more]'),
  usage: document.querySelector('[data-testid=library-usage]')?.textContent ?? null,
  toasts: document.querySelectorAll('[data-testid=undo-toast]').length,
  url: location.pathname + location.search,
};
";

async fn read(s: &Studio) -> Result<Value> {
    Ok(s.client.execute(READ_LIBRARY, vec![]).await?)
}

fn count(v: &Value) -> u64 {
    v["count"].as_u64().unwrap_or(0)
}

#[tokio::test]
async fn sixty_one_jobs_scroll_search_open_and_delete() -> Result<()> {
    Studio::run_with("library", &["--undo-window-ms", "4000"], async |s: &Studio| {
        s.cdp("Page.addScriptToEvaluateOnNewDocument", json!({ "source": COUNT_GPU_CONTEXTS }))
            .await?;
        s.open("/library").await?;
        let made = render(
            s,
            json!({
                "model": "draft",
                "mode": "text-to-video",
                "prompt": "A florist talks about her tulips",
                "dialogue": [
                    {"language": "en", "text": "Fresh tulips, every morning."},
                    {"language": "de", "text": "Frische Tulpen, jeden Morgen."}
                ],
                "duration_s": 3,
                "resolution": "720p",
                "aspect_ratio": "16:9"
            }),
        )
        .await?;
        s.seed(60)?;
        s.open("/library").await?;

        // The first page, as posters.
        let first = s
            .until("the first page of posters", || async {
                let v = read(s).await?;
                Ok((count(&v) >= 30 && count(&v) < 61 && v["more"] == true).then_some(v))
            })
            .await?;
        ensure!(
            first["usage"].as_str().is_some_and(|u| u.starts_with("61 jobs")),
            "the header totals the Library: {first}"
        );
        s.screenshot("library-first-page").await?;

        // Scrolling to the end brings every page; scrolling back, every
        // poster has loaded.
        let all = s
            .until("every page", || async {
                s.client.execute("window.scrollTo(0, document.body.scrollHeight);", vec![]).await?;
                let v = read(s).await?;
                Ok((count(&v) == 61 && v["more"] == false).then_some(v))
            })
            .await?;
        let prompts: std::collections::HashSet<&str> = all["prompts"]
            .as_array()
            .context("no prompts")?
            .iter()
            .filter_map(Value::as_str)
            .collect();
        ensure!(prompts.len() == 61, "no job twice, none missing: {} distinct", prompts.len());
        s.until("every poster after scrolling back", || async {
            // Lazy images load as they come near the screen: walk back up.
            s.client
                .execute(
                    "const step = window.innerHeight; for (let y = document.body.scrollHeight; y >= 0; y -= step) { window.scrollTo(0, y); } window.scrollTo(0, 0);",
                    vec![],
                )
                .await?;
            let v = read(s).await?;
            let (posters, loaded) = (v["posters"].as_u64(), v["postersLoaded"].as_u64());
            Ok((posters.is_some_and(|p| p > 60) && posters == loaded).then_some(()))
        })
        .await?;

        // One take opens in the player, frame-exact, on the page's one
        // GPU context.
        let card = format!("[data-job-id='{made}']");
        s.click(&format!("{card} [data-testid=take-poster]")).await?;
        let frame_of = || async {
            let f = s
                .client
                .execute(
                    "return document.querySelector('[data-testid=player]')?.dataset.frame ?? null;",
                    vec![],
                )
                .await?;
            Ok::<_, anyhow::Error>(f.as_str().and_then(|f| f.parse::<u64>().ok()))
        };
        s.until("the opened take's first frame", || async { Ok(frame_of().await?.filter(|f| *f == 0)) })
            .await?;
        let player = s.find("[data-testid=player]").await?;
        for _ in 0..3 {
            player.send_keys("\u{e014}").await?; // →
        }
        s.until("three frames on", || async { Ok(frame_of().await?.filter(|f| *f == 3)) })
            .await?;
        gpu_contexts_within_budget(s, "a Library of 61 jobs with a take open").await?;
        s.screenshot("library-open-take").await?;

        // "tulpen" finds the German lines, and the view is in the URL.
        s.type_into("[data-testid=library-search]", "tulpen").await?;
        let found = s
            .until("the search", || async {
                let v = read(s).await?;
                Ok((v["url"].as_str().is_some_and(|u| u.contains("q=tulpen")) && count(&v) > 0
                    && count(&v) < 61)
                    .then_some(v))
            })
            .await?;
        for langs in found["languages"].as_array().context("no languages")? {
            ensure!(langs.to_string().contains("German"), "a card without German lines: {found}");
        }
        s.screenshot("library-search").await?;
        s.client.refresh().await?;
        let again = s
            .until("the search after a reload", || async {
                let v = read(s).await?;
                Ok((count(&v) == count(&found)).then_some(v))
            })
            .await?;
        ensure!(
            s.value_of("[data-testid=library-search]").await? == "tulpen",
            "the search box shows the search from the URL: {again}"
        );
        s.click("[data-testid=filter-clear]").await?;
        s.until("the whole Library again", || async {
            let v = read(s).await?;
            Ok((count(&v) >= 30 && v["url"] == "/library").then_some(()))
        })
        .await?;

        // Delete, undo, delete for good.
        s.click(&format!("{card} [data-testid=job-delete]")).await?;
        s.click(&format!("{card} [data-testid=delete-yes]")).await?;
        s.until("the card to go and the undo to show", || async {
            let v = read(s).await?;
            let gone = s.client.find_all(fantoccini::Locator::Css(&card)).await?.is_empty();
            Ok((gone && v["toasts"] == 1).then_some(()))
        })
        .await?;
        s.click("[data-testid=undo-delete]").await?;
        s.find(&card).await.context("undo brings the job back")?;
        s.click(&format!("{card} [data-testid=job-delete]")).await?;
        s.click(&format!("{card} [data-testid=delete-yes]")).await?;
        s.screenshot("library-undo").await?;
        s.until("the undo window to close", || async {
            Ok((read(s).await?["toasts"] == 0).then_some(()))
        })
        .await?;
        s.until("the job to be removed for good", || async {
            let status = s
                .client
                .execute_async(
                    "const done = arguments[arguments.length - 1]; fetch('/api/jobs/' + arguments[0]).then((r) => done(r.status));",
                    vec![json!(made)],
                )
                .await?;
            Ok((status == 404).then_some(()))
        })
        .await?;
        let after = read(s).await?;
        ensure!(
            after["usage"].as_str().is_some_and(|u| u.starts_with("60 jobs")),
            "the header counts one job fewer: {after}"
        );

        // On a phone the filters wrap above the posters.
        s.client.set_window_size(390, 844).await?;
        s.client.execute("window.scrollTo(0, 0);", vec![]).await?;
        s.screenshot("library-phone").await?;
        Ok(())
    })
    .await
}
