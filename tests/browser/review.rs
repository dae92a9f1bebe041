//! Client review from both seats (#17): the studio shares a job's EN, DE
//! and JA takes; a client opens the link in a second browser on a phone,
//! gives a name, comments on frame 37 of the DE take with a rectangle and
//! approves EN and JA; the studio sees each within a second, clicks the marker and
//! lands on frame 37 with the rectangle drawn; after revoking, the client's
//! page says the link was closed and its asset addresses answer 404.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use fantoccini::{Client, Locator};
use serde_json::{Value, json};

use crate::harness::{PATIENCE, Studio, cdp};
use crate::player::CLICK_TIMELINE_AT_FRAME;

/// Imports the clip three times as one job's EN, DE and JA takes, the way
/// the Import panel sends them.
const IMPORT: &str = r"
const [hex, languages] = arguments;
const done = arguments[arguments.length - 1];
const bytes = new Uint8Array(hex.length / 2);
for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.substr(i * 2, 2), 16);
const form = new FormData();
for (const l of languages) {
  form.append('language', l);
  form.append('file', new File([bytes], `spot-${l}.mp4`, { type: 'video/mp4' }));
}
fetch('/api/imports', { method: 'POST', body: form })
  .then((r) => r.json().then((body) => done({ status: r.status, body })))
  .catch((e) => done({ error: String(e) }));
";

/// Drags a rectangle across the drawing layer, pointer event by event.
const DRAW_RECT: &str = r"
const [x0, y0, x1, y1] = arguments;
const layer = document.querySelector('[data-testid=shapes-layer]');
const r = layer.getBoundingClientRect();
const at = (x, y) => ({ bubbles: true, clientX: r.left + x * r.width, clientY: r.top + y * r.height, pointerId: 7, isPrimary: true });
layer.dispatchEvent(new PointerEvent('pointerdown', at(x0, y0)));
for (let i = 1; i <= 8; i++) {
  layer.dispatchEvent(new PointerEvent('pointermove', at(x0 + (x1 - x0) * i / 8, y0 + (y1 - y0) * i / 8)));
}
layer.dispatchEvent(new PointerEvent('pointerup', at(x1, y1)));
";

/// The shown frame and the drawings over the picture.
const READ_PLAYER: &str = r"
const player = document.querySelector('[data-testid=player]');
if (!player) return null;
return {
  frame: player.dataset.frame === undefined ? null : Number(player.dataset.frame),
  count: Number(player.dataset.frameCount || 0),
  shapes: [...player.querySelectorAll('[data-testid=shape]')].map((g) => ({ kind: g.dataset.kind, shape: JSON.parse(g.dataset.shape) })),
  markers: [...player.querySelectorAll('[data-testid=timeline-marker]')].map((m) => Number(m.dataset.frame)),
};
";

/// Moves a take's sound by some ms in the studio (a new version).
const SHIFT: &str = r"
const [job, take, ms] = arguments;
const done = arguments[arguments.length - 1];
fetch(`/api/jobs/${job}/outputs/${take}/audio-shift`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ shift_ms: ms }) })
  .then((r) => done(r.status), (e) => done(String(e)));
";

/// A status code for `url` fetched from the page.
const STATUS_OF: &str = r"
const [url] = arguments;
const done = arguments[arguments.length - 1];
fetch(url, { headers: { Range: 'bytes=0-15' } }).then((r) => done(r.status), (e) => done(String(e)));
";

const TEXT_OF: &str = r"
const [url] = arguments;
const done = arguments[arguments.length - 1];
fetch(url).then((r) => r.text().then((t) => done({ status: r.status, type: r.headers.get('content-type'), text: t })), (e) => done({ error: String(e) }));
";

fn clip_hex() -> Result<String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("crates/chorus-media/tests/fixtures/draft_de.mp4");
    let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    Ok(bytes.iter().fold(String::new(), |mut hex, b| {
        use std::fmt::Write as _;
        let _ = write!(hex, "{b:02x}");
        hex
    }))
}

/// Waits, in `client`, until `check` gives `Some`.
async fn until<T>(
    client: &Client,
    what: &str,
    within: Duration,
    script: &str,
    args: Vec<Value>,
    check: impl Fn(&Value) -> Option<T>,
) -> Result<T> {
    let start = Instant::now();
    loop {
        let value = client.execute(script, args.clone()).await?;
        if let Some(found) = check(&value) {
            return Ok(found);
        }
        if start.elapsed() > within {
            bail!("{what}: still not there after {within:?}; last seen {value}");
        }
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
}

/// Clicks `css` once it is there; an element re-rendered under the
/// pointer (a list refreshed by a live event) is looked up again.
async fn click(client: &Client, css: &str) -> Result<()> {
    let start = Instant::now();
    loop {
        let tried = match client.find(Locator::Css(css)).await {
            Ok(el) => {
                // To the middle of the window, clear of the sticky top bar.
                let at = serde_json::to_value(&el)?;
                client
                    .execute(
                        "arguments[0].scrollIntoView({ block: 'center' });",
                        vec![at],
                    )
                    .await?;
                el.click().await.map_err(anyhow::Error::from)
            }
            Err(e) => Err(e.into()),
        };
        match tried {
            Ok(()) => return Ok(()),
            Err(_) if start.elapsed() < PATIENCE => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => return Err(e).with_context(|| format!("clicking {css}")),
        }
    }
}

async fn type_into(client: &Client, css: &str, text: &str) -> Result<()> {
    client
        .find(Locator::Css(css))
        .await?
        .send_keys(text)
        .await?;
    Ok(())
}

async fn screenshot(client: &Client, name: &str) -> Result<()> {
    if let Some(dir) = std::env::var_os("CHORUS_SCREENSHOTS") {
        let png = client.screenshot().await?;
        std::fs::create_dir_all(&dir)?;
        std::fs::write(std::path::Path::new(&dir).join(format!("{name}.png")), png)?;
    }
    Ok(())
}

/// Seeks the page's player to `frame` through its timeline and waits for it.
async fn seek(client: &Client, frame: u64) -> Result<()> {
    until(
        client,
        "the player's index",
        PATIENCE,
        READ_PLAYER,
        vec![],
        |v| (v["count"].as_u64().unwrap_or(0) > frame).then_some(()),
    )
    .await?;
    client
        .execute(CLICK_TIMELINE_AT_FRAME, vec![json!(frame)])
        .await?;
    until(
        client,
        &format!("frame {frame}"),
        PATIENCE,
        READ_PLAYER,
        vec![],
        |v| (v["frame"].as_u64() == Some(frame)).then_some(()),
    )
    .await
}

#[tokio::test]
async fn a_client_reviews_on_a_phone_and_the_studio_sees_it_live() -> Result<()> {
    Studio::run("review", async |s: &Studio| {
        s.open("/library").await?;
        let imported = s
            .client
            .execute_async(IMPORT, vec![json!(clip_hex()?), json!(["en", "de", "ja"])])
            .await?;
        ensure!(imported["status"] == 201 || imported["status"] == 200, "import failed: {imported}");
        let job = imported["body"]["id"].as_str().context("an imported job id")?.to_string();
        let card = format!("[data-job-id='{job}']");

        // The studio shares the three takes with the default options.
        click(&s.client, &format!("{card} [data-testid=share-open]")).await?;
        click(&s.client, &format!("{card} [data-testid=share-create]")).await?;
        let url = s
            .until("the new link", || async {
                let v = s.value_of("[data-testid=share-url]").await.unwrap_or_default();
                Ok(v.contains("/r/").then_some(v))
            })
            .await?;
        let token = url.rsplit("/r/").next().unwrap_or_default().to_string();
        ensure!(token.len() == 43, "a 256-bit token in base64url: {url}");
        s.screenshot("review-share").await?;

        // The client opens it on a phone and gives a name once.
        let client = s.another_browser("390,844").await?;
        let outcome = async {
            // A phone's screen: 390 × 844 CSS pixels at 3× , touch, mobile layout.
            cdp(&client, "Emulation.setDeviceMetricsOverride", json!({
                "width": 390, "height": 844, "deviceScaleFactor": 3, "mobile": true
            })).await?;
            client.goto(&url).await?;
            click(&client, "[data-testid=reviewer-name]").await?;
            type_into(&client, "[data-testid=reviewer-name]", "Mia Berger").await?;
            click(&client, "[data-testid=name-continue]").await?;
            click(&client, "[data-testid=review-take][data-original='1']").await?;
            seek(&client, 37).await?;

            // A rectangle on frame 37 of the DE take, and a comment.
            click(&client, "[data-testid=tool-box]").await?;
            client.execute(DRAW_RECT, vec![json!(0.3), json!(0.2), json!(0.7), json!(0.6)]).await?;
            type_into(&client, "[data-testid=comment-text]", "Her mouth closes late on this word").await?;
            let place = client.find(Locator::Css("[data-testid=composer-place]")).await?.text().await?;
            ensure!(place.contains("frame 37") && place.contains("00:00:01:"), "the composer names the frame: {place}");
            click(&client, "[data-testid=comment-post]").await?;
            until(&client, "the comment in the list", PATIENCE,
                "return [...document.querySelectorAll('[data-testid=comment]')].map((c) => Number(c.dataset.frame));",
                vec![], |v| v.as_array().is_some_and(|a| a.contains(&json!(37))).then_some(())).await?;
            let posted = Instant::now();

            // The studio's card counts it within a second.
            until(&s.client, "the comment on the studio's card", Duration::from_secs(1),
                "return document.querySelector(arguments[0])?.textContent ?? '';",
                vec![json!(format!("{card} [data-testid=feedback-open]"))],
                |v| v.as_str().is_some_and(|t| t.contains("1 comment")).then_some(())).await?;
            let seen_after = posted.elapsed();

            // A phone has no I and O keys: the In and Out buttons mark a range.
            seek(&client, 40).await?;
            click(&client, "[data-testid=mark-in]").await?;
            seek(&client, 48).await?;
            click(&client, "[data-testid=mark-out]").await?;
            until(&client, "the range in the composer", PATIENCE,
                "return document.querySelector('[data-testid=composer-place]')?.textContent ?? '';",
                vec![], |v| v.as_str().is_some_and(|t| t.contains("frames 40–48")).then_some(())).await?;
            click(&client, "[data-testid=mark-clear]").await?;
            until(&client, "one frame again", PATIENCE,
                "return document.querySelector('[data-testid=composer-place]')?.textContent ?? '';",
                vec![], |v| v.as_str().is_some_and(|t| t.ends_with("(frame 48)")).then_some(())).await?;

            // The client approves EN and JA; the studio sees each within a second too.
            let mut approved = Duration::ZERO;
            for (original, count) in [("0", "1 approved"), ("2", "2 approved")] {
                click(&client, &format!("[data-testid=review-take][data-original='{original}']")).await?;
                click(&client, "[data-testid=decide-approve]").await?;
                until(&client, "the standing decision", PATIENCE,
                    "return document.querySelector('[data-testid=decision-standing]')?.textContent ?? '';",
                    vec![], |v| v.as_str().is_some_and(|t| t.contains("Approved by Mia Berger")).then_some(())).await?;
                let decided = Instant::now();
                until(&s.client, "the approval on the studio's card", Duration::from_secs(1),
                    "return document.querySelector(arguments[0])?.textContent ?? '';",
                    vec![json!(format!("{card} [data-testid=feedback-open]"))],
                    |v| v.as_str().is_some_and(|t| t.contains(count)).then_some(())).await?;
                approved = approved.max(decided.elapsed());
            }
            eprintln!("studio saw the comment {seen_after:?} and the approvals within {approved:?} after the client");
            client.execute("window.scrollTo(0, 0);", vec![]).await?;
            screenshot(&client, "review-phone").await?;
            cdp(&client, "Emulation.clearDeviceMetricsOverride", json!({})).await?;
            client.set_window_size(1440, 1000).await?;
            click(&client, "[data-testid=review-take][data-original='1']").await?;
            seek(&client, 37).await?;
            click(&client, "[data-testid=comment-place]").await?;
            tokio::time::sleep(Duration::from_millis(300)).await;
            screenshot(&client, "review-laptop").await?;

            // In the studio: open the DE take, click the marker, land on 37 with the rectangle.
            click(&s.client, &format!("{card} [data-testid=job-output]:nth-child(2) [data-testid=take-poster]")).await?;
            until(&s.client, "the marker on the studio's timeline", PATIENCE, READ_PLAYER, vec![],
                |v| v["markers"].as_array().is_some_and(|m| m.contains(&json!(37))).then_some(())).await?;
            click(&s.client, "[data-testid=timeline-marker][data-frame='37']").await?;
            let drawn = until(&s.client, "frame 37 with the rectangle", PATIENCE, READ_PLAYER, vec![], |v| {
                (v["frame"].as_u64() == Some(37) && v["shapes"].as_array().is_some_and(|a| !a.is_empty()))
                    .then(|| v["shapes"][0].clone())
            }).await?;
            ensure!(drawn["kind"] == "rectangle", "the studio shows the rectangle: {drawn}");
            let corner = |key: &str, i: usize| drawn["shape"][key][i].as_f64().unwrap_or(-1.0);
            for (got, want) in [(corner("from", 0), 0.3), (corner("from", 1), 0.2), (corner("to", 0), 0.7), (corner("to", 1), 0.6)] {
                ensure!((got - want).abs() < 0.01, "the rectangle moved on its way: {drawn}");
            }
            s.screenshot("review-studio").await?;

            // The studio replies and resolves; the client's page shows both live.
            click(&s.client, &format!("{card} [data-testid=feedback-open]")).await?;
            click(&s.client, "[data-testid=feedback-view] [data-testid=comment-reply-open]").await?;
            type_into(&s.client, "[data-testid=feedback-view] [data-testid=reply-text]", "Fixed in the next version").await?;
            click(&s.client, "[data-testid=feedback-view] .reply-form button[type=submit]").await?;
            click(&s.client, "[data-testid=feedback-view] [data-testid=comment-resolve]").await?;
            until(&client, "the studio's reply and resolve on the client's page", Duration::from_secs(2),
                "const c = document.querySelector('[data-testid=comment]'); return c ? c.textContent : '';",
                vec![], |v| v.as_str().is_some_and(|t| t.contains("Fixed in the next version") && t.contains("Resolved")).then_some(())).await?;
            s.screenshot("review-feedback").await?;

            // A comment picked in the panel opens its take at its frame, drawing shown.
            click(&s.client, &format!("{card} [data-testid=take-close]")).await?;
            click(&s.client, "[data-testid=feedback-view] [data-testid=comment-place]").await?;
            until(&s.client, "the take opened at the comment", PATIENCE, READ_PLAYER, vec![], |v| {
                (v["frame"].as_u64() == Some(37) && v["shapes"].as_array().is_some_and(|a| a.len() == 1)).then_some(())
            }).await?;

            // The exports: CSV rows and an EDL Resolve imports.
            let csv = s.client.execute_async(TEXT_OF, vec![json!(format!("/api/jobs/{job}/comments.csv"))]).await?;
            let text = csv["text"].as_str().unwrap_or_default();
            ensure!(csv["status"] == 200 && text.contains("Mia Berger") && text.contains("37") && text.contains("Her mouth closes late"), "the CSV: {csv}");
            let edl = s.client.execute_async(TEXT_OF, vec![json!(format!("/api/jobs/{job}/comments.edl"))]).await?;
            let text = edl["text"].as_str().unwrap_or_default();
            ensure!(edl["status"] == 200 && text.contains("FCM: NON-DROP FRAME") && text.contains("|M:"), "the EDL: {edl}");

            // The studio moves the DE take's sound: the client's page offers v1
            // and v2 at once, and on v2 the comment says it was made on v1.
            let shifted = s.client.execute_async(SHIFT, vec![json!(job), json!(1), json!(40)]).await?;
            ensure!(shifted == 201, "the correction: {shifted}");
            until(&client, "v1 and v2 on the client's page", Duration::from_secs(3),
                "return [...document.querySelectorAll('[data-testid=review-version]')].map((b) => b.textContent);",
                vec![], |v| (v == &json!(["v1", "v2"])).then_some(())).await?;
            click(&client, "[data-testid=review-version]:nth-child(2)").await?;
            until(&client, "the comment marked as made on v1", PATIENCE,
                "return document.querySelector('[data-testid=comment-version]')?.textContent ?? '';",
                vec![], |v| (v == "on v1").then_some(())).await?;

            // A passcode added later asks the open page for it; a wrong one is
            // refused, the right one opens the review again.
            s.client.find(Locator::Css(&format!("{card} .link-passcode input"))).await?.send_keys("tulip-42").await?;
            click(&s.client, &format!("{card} [data-testid=link-passcode]")).await?;
            until(&client, "the passcode asked for", Duration::from_secs(5),
                "return !!document.querySelector('[data-testid=passcode-gate]');",
                vec![], |v| (v == &json!(true)).then_some(())).await?;
            type_into(&client, "[data-testid=passcode]", "tulip-41\u{e007}").await?;
            until(&client, "the wrong passcode refused", PATIENCE,
                "return document.querySelector('[data-testid=passcode-gate] [role=alert]')?.textContent ?? '';",
                vec![], |v| v.as_str().is_some_and(|t| !t.is_empty()).then_some(())).await?;
            let field = client.find(Locator::Css("[data-testid=passcode]")).await?;
            field.clear().await?;
            field.send_keys("tulip-42\u{e007}").await?;
            click(&client, "[data-testid=review-take][data-original='1']").await?;

            // Revoking closes the client's page at once, and its assets.
            let review: Value = client
                .execute_async(TEXT_OF, vec![json!(format!("/r/{token}/api/review"))])
                .await?;
            let body: Value = serde_json::from_str(review["text"].as_str().unwrap_or("{}"))?;
            let video = body["takes"][0]["video"].as_str().context("a take's address")?.to_string();
            let before = client.execute_async(STATUS_OF, vec![json!(video)]).await?;
            ensure!(before == 206, "the take plays before revoking: {before}");
            click(&s.client, &format!("{card} [data-testid=link-revoke]")).await?;
            until(&client, "the page saying the link closed", Duration::from_secs(5),
                "return document.querySelector('[data-testid=review-gone-message]')?.textContent ?? '';",
                vec![], |v| v.as_str().is_some_and(|t| t.contains("closed")).then_some(())).await?;
            let after = client.execute_async(STATUS_OF, vec![json!(video)]).await?;
            ensure!(after == 404, "a revoked link's asset answers {after}");
            screenshot(&client, "review-closed").await?;

            // The compare view marks the comment too, and its marker moves
            // every screen to the frame.
            s.open(&format!("/compare/{job}?takes=0,1")).await?;
            click(&s.client, "[data-testid=compare-view] [data-testid=timeline-marker][data-frame='37']").await?;
            until(&s.client, "the compare view at frame 37", PATIENCE,
                "return document.querySelector('[data-testid=compare-view] [data-testid=player-playhead]')?.textContent ?? '';",
                vec![], |v| (v == "37").then_some(())).await?;
            Ok::<(), anyhow::Error>(())
        }
        .await;
        if outcome.is_err() {
            let _ = screenshot(&client, "review-client-failure").await;
        }
        let _ = client.close().await;
        outcome
    })
    .await
}
