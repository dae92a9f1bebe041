//! Import from a marketer's seat: a real recording and a copy whose sound
//! is 200 ms late, picked in the Library, refused at first because a third
//! file is cut short, then imported, compared with their lip-sync measured,
//! and the late one corrected back into sync.

use std::path::PathBuf;

use anyhow::{Context, Result, ensure};
use serde_json::Value;

use crate::compare::{MEASURING, measured, offset, read};
use crate::harness::Studio;

/// How many jobs the server holds.
const JOB_COUNT: &str = r"
const done = arguments[arguments.length - 1];
fetch('/api/jobs').then((r) => r.json()).then((list) => done(list.jobs.length), () => done(-1));
";

fn footage(name: &str) -> Result<PathBuf> {
    let dir = std::env::var_os("CHORUS_FOOTAGE").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/footage"),
        PathBuf::from,
    );
    let path = dir.join(name);
    ensure!(
        path.is_file(),
        "real footage missing: {} (the shared folder beside the repository, or CHORUS_FOOTAGE)",
        path.display()
    );
    // WebDriver takes only canonical paths for file inputs.
    Ok(path.canonicalize()?)
}

async fn job_count(s: &Studio) -> Result<i64> {
    let n = s.client.execute_async(JOB_COUNT, vec![]).await?;
    n.as_i64().context("the job list did not load")
}

/// The names in the import list, in order.
async fn listed(s: &Studio) -> Result<Vec<String>> {
    let rows = s
        .client
        .execute(
            "return [...document.querySelectorAll('[data-testid=import-row] .import-name')].map((n) => n.textContent);",
            vec![],
        )
        .await?;
    Ok(rows
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect())
}

#[tokio::test]
async fn import_real_footage_and_a_late_copy_then_correct_it() -> Result<()> {
    Studio::run("import", async |s: &Studio| {
        // The recording as it is, a copy with its sound 200 ms late (our
        // own remux, no re-encode), and a copy cut short.
        let original = footage("talking-5.mp4")?;
        let bytes = std::fs::read(&original)?;
        let late = s.scratch().join("talking-5 sound +200ms.mp4");
        std::fs::write(&late, chorus_media::shift_audio(&bytes, 200)?)?;
        let cut = s.scratch().join("talking-5 cut.mp4");
        std::fs::write(&cut, &bytes[..bytes.len() * 6 / 10])?;

        s.open("/library").await?;
        let before = job_count(s).await?;
        let input = s.find("[data-testid=import-input]").await?;
        let paths = [&original, &late, &cut]
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join("\n");
        input.send_keys(&paths).await?;
        s.find("[data-testid=import-panel]").await?;
        let names = s
            .until("three clips listed", || async {
                let names = listed(s).await?;
                Ok((names.len() == 3).then_some(names))
            })
            .await?;
        ensure!(
            names == ["talking-5.mp4", "talking-5 sound +200ms.mp4", "talking-5 cut.mp4"],
            "listed: {names:?}"
        );
        s.screenshot("import-chosen").await?;
        // A phone's width: each row keeps its name, size, language and remove.
        s.client.set_window_size(390, 844).await?;
        s.screenshot("import-phone").await?;
        s.client.set_window_size(1440, 1100).await?;

        // The cut copy is refused by its bytes, named, and nothing is kept.
        s.click("[data-testid=import-send]").await?;
        let refused = s.find("[data-testid=import-refused]").await?.text().await?;
        ensure!(
            refused.contains("Nothing was imported") && refused.contains("talking-5 cut.mp4"),
            "the refusal names the cut file: {refused}"
        );
        let marked = s
            .client
            .execute(
                "return [...document.querySelectorAll('[data-testid=import-row]')].map((r) => r.querySelector('[data-testid=import-problem]')?.textContent ?? null);",
                vec![],
            )
            .await?;
        let reason = marked[2].as_str().unwrap_or_default();
        ensure!(
            marked[0].is_null() && marked[1].is_null() && reason.contains("cut short"),
            "only the cut file's row is marked, with why: {marked}"
        );
        ensure!(job_count(s).await? == before, "a refused import made a job");
        ensure!(listed(s).await?.len() == 3, "the list is kept after a refusal");
        s.screenshot("import-refused").await?;

        // Remove it and send the other two.
        s.click("[data-testid=import-row]:nth-child(3) button[aria-label^=Remove]")
            .await?;
        s.until("two clips listed", || async {
            Ok((listed(s).await?.len() == 2).then_some(()))
        })
        .await?;
        s.click("[data-testid=import-send]").await?;
        s.find("[data-testid=import-done]").await?;
        ensure!(job_count(s).await? == before + 1, "the import made one job");
        let card = s.find("[data-testid=job-card]").await?;
        let card_text = card.text().await?;
        ensure!(
            card_text.contains("Imported") && card_text.contains("talking-5 sound +200ms.mp4"),
            "the Library shows the import: {card_text}"
        );
        s.screenshot("import-done").await?;

        // Both in the compare view, measured on their faces.
        s.click("[data-testid=import-compare]").await?;
        s.find("[data-testid=compare-view]").await?;
        let meters = measured(s).await?;
        let as_recorded = offset(&meters[0])?;
        let shifted = offset(&meters[1])?;
        ensure!(
            meters[0]["level"] == "in-sync" && as_recorded.abs() <= 80.0,
            "the recording reads in sync: {}",
            meters[0]
        );
        ensure!(
            (shifted - as_recorded - 200.0).abs() <= 40.0,
            "the late copy reads 200 ms later than the recording (±40): {as_recorded:+.0} and {shifted:+.0}"
        );
        s.screenshot("import-measured").await?;

        // The recording is left alone: no correction is proposed for it.
        let nudge = s
            .find("[data-testid=variant-head][data-slot='0'] [data-testid=variant-nudge]")
            .await?;
        ensure!(
            nudge.prop("value").await?.as_deref() == Some("0"),
            "a take that reads in sync gets no correction"
        );

        // The late copy's proposed correction makes version 2, which reads
        // in sync.
        s.click("[data-testid=variant-head][data-slot='1'] [data-testid=variant-apply]")
            .await?;
        s.until_within("version 2 on screen", MEASURING, || async {
            let v = read(s).await?;
            Ok((v["screens"][1]["version"].as_u64() == Some(2)).then_some(()))
        })
        .await?;
        let meters = measured(s).await?;
        let fixed = offset(&meters[1])?;
        ensure!(
            fixed.abs() <= 40.0 && meters[1]["level"] == "in-sync",
            "the corrected copy reads in sync, got {fixed:+.0}: {}",
            meters[1]
        );
        let result = s
            .find("[data-testid=variant-head][data-slot='1'] [data-testid=correction-result]")
            .await?;
        ensure!(
            result.attr("data-after-level").await?.as_deref() == Some("in-sync"),
            "after the correction: {}",
            result.text().await?
        );
        s.screenshot("import-corrected").await?;
        Ok(())
    })
    .await
}
