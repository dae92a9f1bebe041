//! Localized lines from a marketer's seat: the brand put in the glossary,
//! an English line translated into German and Japanese by Translate
//! (against a local fake of Qwen-MT's protocol), the German proposal too
//! long at first and asked for again shorter, the Japanese one flagged for
//! losing the brand, a question before generating unapproved lines, both
//! approved after reading their back-translations, and two takes rendered.

use anyhow::{Result, ensure};
use chorus_core::Language;
use chorus_providers::fake::qwen_mt::{self, FakeQwenMt};
use serde_json::Value;

use crate::harness::Studio;

const LINE: &str = "Fresh tulips from Bloom, every single morning.";
const LONG_DE: &str = "Frische Tulpen von Bloom, an jedem einzelnen Morgen, direkt von unseren eigenen Feldern am Stadtrand gepflückt und sorgfältig gebunden.";
const SHORT_DE: &str = "Frische Tulpen von Bloom, jeden Morgen.";
/// The brand written in katakana: the glossary says it stays "Bloom".
const JA: &str = "まいあさ、ブルームのチューリップ。";

/// What the Compose page shows of each proposal.
const READ_PROPOSALS: &str = r"
return [...document.querySelectorAll('div.proposal')].map((p) => ({
  id: p.dataset.testid,
  status: p.dataset.status,
  fits: p.dataset.fits,
  tries: Number(p.dataset.tries),
  fit: p.querySelector('[data-testid=proposal-fit]')?.textContent ?? '',
  back: p.querySelector('[data-testid=back-translation]')?.textContent ?? '',
  text: p.textContent,
}));
";

const LATEST_JOB: &str = r"
const done = arguments[arguments.length - 1];
fetch('/api/jobs?limit=1').then((r) => r.json()).then((l) => done(l.jobs[0] ?? null), () => done(null));
";

#[tokio::test]
async fn an_english_line_becomes_approved_german_and_japanese_takes() -> Result<()> {
    let fake = FakeQwenMt::start().await;
    fake.phrase(LINE, Language::German, LONG_DE, SHORT_DE);
    fake.phrase(LINE, Language::Japanese, JA, JA);
    let env = [
        ("DASHSCOPE_API_KEY", qwen_mt::KEY),
        ("CHORUS_TEST_QWEN_MT_BASE", fake.base_url()),
    ];
    Studio::run_with_env("localize", &[], &env, async |s: &Studio| {
        // The brand goes in the glossary first.
        s.open("/settings/glossary").await?;
        s.find("[data-testid=glossary-empty]").await?;
        s.click("[data-testid=glossary-add]").await?;
        s.type_into("[data-testid=glossary-term-input]", "Bloom")
            .await?;
        s.click("[data-testid=glossary-save]").await?;
        s.find_text("[data-testid=glossary-status]", "Saved: 1 term")
            .await?;
        s.screenshot("localize-glossary").await?;

        s.open("/").await?;
        s.type_into("[data-testid=prompt]", "A florist talks about her tulips")
            .await?;
        for code in ["en", "de", "ja"] {
            s.click(&format!("[data-testid=language-{code}]")).await?;
        }
        s.type_into("[data-testid=line-en]", LINE).await?;
        s.find_text(
            "[data-testid=translate-bar]",
            "From English into German and Japanese",
        )
        .await?;
        s.click("[data-testid=translate]").await?;
        let proposals = s
            .until("both proposals", || async {
                let v: Value = s.client.execute(READ_PROPOSALS, vec![]).await?;
                Ok((v.as_array().map_or(0, Vec::len) == 2).then_some(v))
            })
            .await?;
        let de = &proposals[0];
        ensure!(
            de["id"] == "proposal-de" && de["status"] == "proposed",
            "{de}"
        );
        ensure!(
            de["fits"] == "true" && de["tries"] == 2,
            "German was asked again, shorter: {de}"
        );
        ensure!(
            de["fit"].as_str().is_some_and(|f| f.ends_with("of 5 s")),
            "{de}"
        );
        ensure!(
            !de["back"].as_str().unwrap_or_default().is_empty(),
            "a back-translation: {de}"
        );
        ensure!(
            s.value_of("[data-testid=line-de]").await? == SHORT_DE,
            "the fitted line is in place"
        );
        ensure!(s.value_of("[data-testid=line-ja]").await? == JA);
        s.find_text("[data-testid=translate-note]", "2 lines proposed")
            .await?;
        s.find_text(
            "[data-testid=proposal-ja] [data-testid=proposal-dropped]",
            "Glossary term lost: Bloom",
        )
        .await?;
        let from_english: Vec<Value> = fake
            .requests()
            .into_iter()
            .filter(|b| b["translation_options"]["source_lang"] == "English")
            .collect();
        ensure!(
            from_english.len() == 3
                && from_english.iter().all(|b| {
                    b["translation_options"]["terms"]
                        == serde_json::json!([{"source": "Bloom", "target": "Bloom"}])
                }),
            "German twice and Japanese once, each with the glossary's term: {from_english:?}"
        );
        s.screenshot("localize-proposed").await?;
        // How it reads on a phone.
        s.cdp(
            "Emulation.setDeviceMetricsOverride",
            serde_json::json!({"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": true}),
        )
        .await?;
        s.client
            .execute(
                "document.querySelector('[data-testid=proposal-ja]').scrollIntoView({block: 'center'});",
                vec![],
            )
            .await?;
        s.screenshot("localize-phone").await?;
        s.cdp("Emulation.clearDeviceMetricsOverride", serde_json::json!({}))
            .await?;

        // Generating now asks first, and "Review the lines" goes back to them.
        s.click("[data-testid=generate]").await?;
        s.find_text(
            "[data-testid=confirm-unapproved]",
            "The German and Japanese lines are translations nobody has approved yet.",
        )
        .await?;
        s.screenshot("localize-confirm").await?;
        s.click("[data-testid=review-lines]").await?;
        let focused = s
            .client
            .execute(
                "return document.activeElement?.dataset?.testid ?? '';",
                vec![],
            )
            .await?;
        ensure!(
            focused == "line-de",
            "the first unapproved line has the focus: {focused}"
        );

        s.click("[data-testid=approve-de]").await?;
        s.click("[data-testid=approve-ja]").await?;
        s.until("both approved", || async {
            let v: Value = s.client.execute(READ_PROPOSALS, vec![]).await?;
            let all = v
                .as_array()
                .is_some_and(|a| a.iter().all(|p| p["status"] == "approved"));
            Ok(all.then_some(()))
        })
        .await?;
        // The clip speaks German and Japanese only: English was the copy.
        s.click("[data-testid=language-en]").await?;
        s.find_text("[data-testid=generate]", "Generate 2 takes")
            .await?;
        s.click("[data-testid=generate]").await?;
        s.find("[data-testid=library-page]").await?;
        let job = s
            .until("the job to render", || async {
                let job = s.client.execute_async(LATEST_JOB, vec![]).await?;
                let status = job["status"].as_str().unwrap_or_default().to_string();
                Ok((status == "succeeded" || status == "failed").then_some(job))
            })
            .await?;
        ensure!(
            job["status"] == "succeeded",
            "the job failed: {}",
            job["error"]
        );
        let outputs = job["outputs"].as_array().map_or(0, Vec::len);
        ensure!(
            outputs == 2,
            "two takes (German and Japanese), got {outputs}: {job}"
        );
        let dialogue = &job["request"]["dialogue"];
        for i in [0, 1] {
            let meta = &dialogue[i]["localized"];
            ensure!(
                meta["status"] == "approved"
                    && meta["approved_by"] == "local"
                    && meta["engine"] == "qwen-mt",
                "line {i} records who approved it: {meta}"
            );
        }
        // Back in Compose (restored from this browser), the copy changes: the
        // translations say they no longer follow it.
        s.open("/").await?;
        s.click("[data-testid=language-en]").await?;
        s.type_into("[data-testid=line-en]", " Today only.").await?;
        s.find_text(
            "[data-testid=proposal-de] [data-testid=proposal-stale]",
            "The English line changed after this was translated",
        )
        .await?;
        ensure!(
            fake.requests().len() >= 5,
            "German twice, Japanese once, and both back-translations went to the engine"
        );
        Ok(())
    })
    .await
}
