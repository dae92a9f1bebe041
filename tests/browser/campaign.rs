//! A campaign from a marketer's seat: a three-row sheet pasted into a new
//! campaign in English and German, 9:16 and 1:1, checked and priced in the
//! browser (12 variants, each line's speech measured by the server), sent
//! on the draft engine, and the board filling in until every cell shows its
//! poster.

use std::time::Duration;

use anyhow::{Context, Result, ensure};
use base64::Engine as _;
use serde_json::{Value, json};

use crate::harness::Studio;

const SHEET: &str =
    "product\tclaim\nTrail mug\tkeeps it hot\nDesk lamp\tfolds flat\nWool scarf\tnever itches\n";

/// Pastes `text` into the sheet box as a clipboard paste would: one input
/// event with the whole text.
const PASTE: &str = r"
const box = document.querySelector('[data-testid=campaign-sheet]');
box.value = arguments[0];
box.dispatchEvent(new Event('input', { bubbles: true }));
";

/// Replaces the text of `arguments[0]` (a selector) with `arguments[1]`
/// in one input event, then waits for everything it set off (parse,
/// expansion, drawing the rows on screen) and says how long that took and
/// how many variants the page counts.
const TIMED_INPUT: &str = r"
const done = arguments[arguments.length - 1];
const box = document.querySelector(arguments[0]);
const t0 = performance.now();
box.value = arguments[1];
box.dispatchEvent(new Event('input', { bubbles: true }));
setTimeout(() => {
  const ms = performance.now() - t0;
  const n = (id) => Number(document.querySelector(`[data-testid=${id}]`).textContent.replace(/,/g, ''));
  done({ ms, variants: n('count-ready') + n('count-warning') + n('count-blocked'),
         rows: document.querySelectorAll('[data-testid=variant-row]').length });
}, 0);
";

/// What the board shows: each cell's status and whether its poster has
/// loaded.
const READ_BOARD: &str = r"
return [...document.querySelectorAll('[data-testid=board-cell]')].map((c) => {
  const img = c.querySelector('[data-testid=cell-poster]');
  return { status: c.dataset.status, poster: !!img && img.complete && img.naturalWidth > 0 };
});
";

#[tokio::test]
async fn a_pasted_sheet_becomes_twelve_checked_variants_and_a_full_board() -> Result<()> {
    Studio::run("campaign", async |s: &Studio| {
        s.open("/campaigns/new").await?;
        s.type_into("[data-testid=campaign-name]", "Spring launch")
            .await?;
        s.type_into(
            "[data-testid=campaign-prompt]",
            "A presenter holds up the {{product}} and smiles.",
        )
        .await?;
        // English and 9:16 are chosen for a new form; add German and 1:1.
        s.click("[data-testid=campaign-language-de]").await?;
        s.click("[data-testid=campaign-ratio-1x1]").await?;

        // A thousand variants (250 rows × 2 × 2) re-check as fast as typing,
        // with only the rows on screen built.
        let big: String = std::iter::once("product\tclaim\n".to_string())
            .chain((0..250).map(|i| format!("Product {i}\tclaim {i}\n")))
            .collect();
        let pasted = s
            .client
            .execute_async(TIMED_INPUT, vec![json!("[data-testid=campaign-sheet]"), json!(big)])
            .await?;
        let typed = s
            .client
            .execute_async(
                TIMED_INPUT,
                vec![
                    json!("[data-testid=campaign-prompt]"),
                    json!("A presenter holds up the {{product}} and smiles!"),
                ],
            )
            .await?;
        eprintln!("1,000 variants: paste re-checked in {:.0} ms, a keystroke in {:.0} ms", pasted["ms"], typed["ms"]);
        ensure!(pasted["variants"] == 1000 && typed["variants"] == 1000, "{pasted} {typed}");
        ensure!(
            typed["rows"].as_u64().unwrap_or(0) < 60,
            "every row of the table was built: {typed}"
        );
        ensure!(
            typed["ms"].as_f64().unwrap_or(f64::MAX) < 250.0,
            "a keystroke took {typed} to re-check 1,000 variants"
        );
        s.screenshot("campaign-new-1000").await?;
        s.type_into("[data-testid=campaign-line-en]", "The {{product}} {{claim}}.")
            .await?;
        s.type_into("[data-testid=campaign-line-de]", "Neu: {{product}}.")
            .await?;
        s.client.execute(PASTE, vec![json!(SHEET)]).await?;
        s.find_text("[data-testid=sheet-summary]", "3 rows").await?;

        // Each placeholder the template uses is found among the columns.
        let used = s.find_text("[data-testid=placeholder-map]", "{{claim}}").await?;
        ensure!(used.contains("{{product}}"), "{used}");

        // 3 rows × 2 languages × 2 formats, each checked once its line is
        // measured (the fit shows as "1.4 s of 3 s").
        s.until_within("12 checked variants", Duration::from_secs(30), || async {
            let ready: u32 = s.find("[data-testid=count-ready]").await?.text().await?.parse().unwrap_or(0);
            let warning: u32 = s.find("[data-testid=count-warning]").await?.text().await?.parse().unwrap_or(0);
            let blocked: u32 = s.find("[data-testid=count-blocked]").await?.text().await?.parse().unwrap_or(0);
            Ok((ready + warning == 12 && blocked == 0).then_some(()))
        })
        .await?;
        // Only the rows on screen are built: bring the whole table in view.
        s.client
            .execute(
                "document.querySelector('[data-testid=campaign-preview]').scrollIntoView({ block: 'start' });",
                vec![],
            )
            .await?;
        // The rows follow the scroll on the next frame.
        let rows: Vec<String> = s
            .until("all 12 rows of the table built", || async {
                let rows = s
                    .client
                    .execute(
                        "return [...document.querySelectorAll('[data-testid=variant-row]')].map((r) => r.textContent);",
                        vec![],
                    )
                    .await?;
                let rows: Vec<String> = serde_json::from_value(rows)?;
                Ok((rows.len() == 12).then_some(rows))
            })
            .await?;
        ensure!(
            rows.iter().any(|r| r.contains("“Neu: Desk lamp.”") && r.contains("1:1")),
            "the German line is not filled in: {rows:?}"
        );
        s.until("every line measured", || async {
            let fits = s
                .client
                .execute(
                    "return [...document.querySelectorAll('[data-testid=variant-fit]')].map((f) => f.textContent);",
                    vec![],
                )
                .await?;
            let fits: Vec<String> = serde_json::from_value(fits)?;
            Ok(fits.iter().all(|f| f.ends_with(" s of 3 s")).then_some(()))
        })
        .await?;
        s.find_text("[data-testid=campaign-total]", "$0.00").await?;
        s.find_text("[data-testid=cost-per-language]", "DE $0.00").await?;
        let run = s.find_text("[data-testid=campaign-run]", "Run 12 variants").await?;
        ensure!(run == "Run 12 variants · $0.00", "{run}");
        s.find_text("[data-testid=pattern-example]", "Spring_launch_2_en_9x16_v1.mp4")
            .await?;
        s.screenshot("campaign-new").await?;
        s.client.execute("window.scrollTo(0, 0);", vec![]).await?;
        s.screenshot("campaign-new-top").await?;
        s.client.set_window_size(390, 844).await?;
        s.screenshot("campaign-new-phone").await?;
        s.client.set_window_size(1440, 1100).await?;

        // A reload keeps the whole form, the sheet included.
        s.client.refresh().await?;
        s.find_text("[data-testid=sheet-summary]", "3 rows").await?;
        ensure!(s.value_of("[data-testid=campaign-line-de]").await? == "Neu: {{product}}.");
        s.find_text("[data-testid=campaign-run]", "Run 12 variants · $0.00")
            .await?;
        s.until("the Run button to be ready", || async {
            let el = s.find("[data-testid=campaign-run]").await?;
            Ok((el.attr("aria-disabled").await?.as_deref() == Some("false")).then_some(()))
        })
        .await?;

        s.click("[data-testid=campaign-run]").await?;
        s.find("[data-testid=campaign-board-page]")
            .await
            .context("Run did not open the board")?;
        s.find_text("[data-testid=board-name]", "Spring launch").await?;
        let url = s.client.current_url().await?;
        ensure!(url.path().starts_with("/campaigns/"), "{url}");

        // The board fills in from the job events, every poster shown.
        s.until_within("12 done cells with posters", Duration::from_secs(150), || async {
            let cells: Vec<Value> = serde_json::from_value(s.client.execute(READ_BOARD, vec![]).await?)?;
            let done = cells
                .iter()
                .filter(|c| c["status"] == "succeeded" && c["poster"] == true)
                .count();
            Ok((cells.len() == 12 && done == 12).then_some(()))
        })
        .await?;
        s.find_text("[data-testid=count-succeeded]", "12").await?;
        s.find_text("[data-testid=board-spend]", "$0.00 spent").await?;
        s.screenshot("campaign-board").await?;
        s.click("[data-testid=export-open]").await?;
        let href = s
            .find("[data-testid=export-download]")
            .await?
            .attr("href")
            .await?
            .unwrap_or_default();
        ensure!(href.contains("/export?only=approved&pattern=%7Bcampaign%7D"), "{href}");
        s.screenshot("campaign-board-export").await?;
        s.click("[data-testid=export-open]").await?;
        s.client.set_window_size(390, 844).await?;
        s.screenshot("campaign-board-phone").await?;
        s.client.set_window_size(1440, 1100).await?;

        // Filters narrow the board and stay in the URL.
        s.client
            .execute(
                "const f = document.querySelector('[data-testid=filter-language]');
                 f.value = 'de'; f.dispatchEvent(new Event('change', { bubbles: true }));",
                vec![],
            )
            .await?;
        s.find_text("[data-testid=board-shown]", "6 shown").await?;
        ensure!(s.client.current_url().await?.query() == Some("language=de"));

        // A client approves one take through the campaign's one link.
        let board_path = s.client.current_url().await?.path().to_string();
        s.click("[data-testid=share-campaign]").await?;
        let link = s
            .until("the campaign link", || async {
                let v = s.value_of("[data-testid=campaign-share-url]").await.unwrap_or_default();
                Ok(v.contains("/c/").then_some(v))
            })
            .await?;
        let path = link[link.find("/c/").unwrap_or(0)..].to_string();
        s.client.set_window_size(390, 844).await?;
        s.open(&path).await?;
        s.find_text("[data-testid=campaign-review-summary]", "12 of 12 ready to review").await?;
        s.screenshot("campaign-client-phone").await?;
        s.click("[data-testid=client-variant][data-row='2'][data-lang=en][data-ratio='9:16'] a").await?;
        s.click("[data-testid=reviewer-name]").await?;
        s.type_into("[data-testid=reviewer-name]", "Mia Berger").await?;
        s.click("[data-testid=name-continue]").await?;
        s.click("[data-testid=decide-approve]").await?;
        s.find_text("[data-testid=decision-standing]", "Approved").await?;
        s.client.back().await?;
        s.find_text("[data-testid=client-decision]", "Approved by Mia Berger").await?;
        s.client.set_window_size(1440, 1100).await?;

        // The studio's board shows it, and the package holds that take.
        s.open(&board_path).await?;
        s.find_text("[data-testid=cell-decision]", "Approved · Mia Berger").await?;
        let zip = s
            .client
            .execute_async(
                "const [path, done] = arguments;
                 fetch(path).then(async (r) => {
                   const bytes = new Uint8Array(await r.arrayBuffer());
                   let text = '';
                   for (let i = 0; i < bytes.length; i += 0x8000) {
                     text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
                   }
                   done({ status: r.status, type: r.headers.get('content-type'), b64: btoa(text) });
                 });",
                vec![json!(format!("{board_path}/export?only=approved").replace("/campaigns/", "/api/campaigns/"))],
            )
            .await?;
        ensure!(zip["status"] == 200 && zip["type"] == "application/zip", "{zip}");
        let bytes = base64::engine::general_purpose::STANDARD.decode(zip["b64"].as_str().unwrap_or_default())?;
        let file = s.scratch().join("spring.zip");
        std::fs::write(&file, &bytes)?;
        let listing = std::process::Command::new("unzip").arg("-l").arg(&file).output()?;
        let listing = String::from_utf8_lossy(&listing.stdout).to_string();
        ensure!(listing.contains("Spring_launch_2_en_9x16_v1.mp4"), "{listing}");
        ensure!(listing.contains("manifest.csv") && listing.contains("Spring_launch_2_en_9x16_v1.srt") && listing.contains("Spring_launch_2_en_9x16_v1.vtt"), "{listing}");
        ensure!(!listing.contains("_1x1_"), "only the approved take: {listing}");

        s.open("/campaigns").await?;
        s.find_text("[data-testid=campaign-summary]", "Spring launch")
            .await?;
        s.find_text("[data-testid=campaign-summary]", "12 of 12 done")
            .await?;
        s.screenshot("campaigns-list").await?;
        Ok(())
    })
    .await
}
