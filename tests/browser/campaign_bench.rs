//! The campaign benchmark (`cargo xtask bench campaign` runs it; ignored in
//! the suite), in one headless Chromium session on the release build:
//! - the New campaign page's work on a keystroke (parse the sheet, expand
//!   and check every variant) for 1,000 variants, in the page's wasm;
//! - 200 draft variants end to end (submitted, rendered, all done), and
//!   one job alone on the same server for the time per variant beside it.
//!
//! Figures are printed as `bench-campaign\t…` lines for xtask.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use anyhow::{Result, ensure};
use serde_json::{Value, json};

use crate::harness::Studio;

/// Rows of the generated sheet: × 2 languages × 2 ratios = 1,000 variants.
const ROWS: u32 = 250;
const RUNS: u32 = 15;
/// Draft variants rendered end to end: 100 rows × 2 ratios.
const DRAFT_ROWS: usize = 100;

async fn fetch_json(s: &Studio, method: &str, path: &str, body: Option<Value>) -> Result<Value> {
    let answer = s
        .client
        .execute_async(
            "const [method, path, body, done] = arguments;
             fetch(path, { method, headers: { 'content-type': 'application/json' },
                           body: body === null ? undefined : JSON.stringify(body) })
               .then(async (r) => done({ status: r.status, body: await r.json().catch(() => null) }))
               .catch((e) => done({ status: 0, body: String(e) }));",
            vec![json!(method), json!(path), body.unwrap_or(Value::Null)],
        )
        .await?;
    ensure!(
        answer["status"]
            .as_u64()
            .is_some_and(|s| (200..300).contains(&s)),
        "{method} {path}: {answer}"
    );
    Ok(answer["body"].clone())
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

async fn wait_done(s: &Studio, path: &str, total: usize) -> Result<()> {
    let deadline = Instant::now() + Duration::from_mins(30);
    loop {
        let board = fetch_json(s, "GET", path, None).await?;
        let done = board["variants"].as_array().map_or(0, |v| {
            v.iter().filter(|v| v["status"] == "succeeded").count()
        });
        let failed = board["variants"]
            .as_array()
            .map_or(0, |v| v.iter().filter(|v| v["status"] == "failed").count());
        ensure!(failed == 0, "{failed} variants failed: {board}");
        if done == total {
            return Ok(());
        }
        ensure!(
            Instant::now() < deadline,
            "{done} of {total} done after 30 min"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test]
#[ignore = "a benchmark: run it with `cargo xtask bench campaign`"]
async fn bench_campaign() -> Result<()> {
    Studio::run("bench-campaign", async |s: &Studio| {
        s.open("/").await?;
        let times = s
            .client
            .execute(
                &format!("return window.chorusBenchCampaign({ROWS}, {RUNS});"),
                vec![],
            )
            .await?;
        let times: Vec<f64> = times
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_f64).collect())
            .unwrap_or_default();
        ensure!(times.len() == RUNS as usize, "the page's hook answered {times:?}");
        println!(
            "bench-campaign\tbrowser\t1000 variants parsed, expanded and checked\tmedian {:.1} ms\tworst {:.1} ms\ttarget ≤ 100 ms",
            median(times.clone()),
            times.iter().copied().fold(0.0, f64::max)
        );

        // One draft job alone: the reference for a variant's time.
        let one = Instant::now();
        let job = fetch_json(
            s,
            "POST",
            "/api/jobs",
            Some(json!({"model": "draft", "mode": "text-to-video", "prompt": "A presenter holds up a lamp",
                "dialogue": [{"language": "en", "text": "Meet the lamp."}],
                "duration_s": 3, "resolution": "720p", "aspect_ratio": "9:16"})),
        )
        .await?;
        let id = job["id"].as_str().unwrap_or_default().to_string();
        loop {
            let job = fetch_json(s, "GET", &format!("/api/jobs/{id}"), None).await?;
            if job["status"] == "succeeded" {
                break;
            }
            ensure!(job["status"] != "failed", "{job}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let alone = one.elapsed().as_secs_f64();

        let mut csv = String::from("product,line:en\n");
        for i in 0..DRAFT_ROWS {
            let _ = writeln!(csv, "Lamp {i},Meet lamp {i}.");
        }
        let submit = json!({
            "key": format!("bench-{}", std::process::id()),
            "spec": {
                "name": "Bench",
                "template": {"model": "draft", "mode": "text-to-video",
                    "prompt": "A presenter holds up {{product}}",
                    "dialogue": [{"language": "en", "text": ""}],
                    "duration_s": 3, "resolution": "720p", "aspect_ratio": "9:16"},
                "languages": ["en"], "ratios": ["9:16", "1:1"],
                "sheet": sheet_json(&csv),
            }
        });
        let started = Instant::now();
        let board = fetch_json(s, "POST", "/api/campaigns", Some(submit)).await?;
        let submitted = started.elapsed().as_secs_f64();
        let total = board["variants"].as_array().map_or(0, Vec::len);
        ensure!(total == DRAFT_ROWS * 2, "{total} variants");
        let path = format!("/api/campaigns/{}", board["id"].as_str().unwrap_or_default());
        wait_done(s, &path, total).await?;
        let all = started.elapsed().as_secs_f64();
        println!(
            "bench-campaign\tdraft end to end\t{total} variants\tsubmit {submitted:.2} s\tall done {all:.1} s\t{:.2} s per variant\tone job alone {alone:.2} s",
            all / total as f64
        );
        Ok(())
    })
    .await
}

/// The sheet as `CampaignSpec` writes it: columns, then numbered rows.
fn sheet_json(csv: &str) -> Value {
    let mut lines = csv.lines();
    let columns: Vec<&str> = lines.next().unwrap_or_default().split(',').collect();
    let rows: Vec<Value> = lines
        .enumerate()
        .map(|(i, line)| json!({"number": i + 2, "cells": line.split(',').collect::<Vec<_>>()}))
        .collect();
    json!({"columns": columns, "rows": rows})
}
