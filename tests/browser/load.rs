//! `cargo xtask bench load`: the studio's first load over emulated phone
//! networks, served as it is now (precompressed, cached) and, in the same
//! run, as Chorus served it before (`chorus serve --plain-delivery`: the
//! same files, no compression, no caching headers), cold and warm.
//!
//! Prints one `bench-load` line per measurement, which xtask gathers into a
//! table: delivery, network, page, cache, bytes on the wire, requests, and
//! milliseconds from navigation to the app's `chorus-interactive` mark.

use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde_json::json;

use crate::harness::Studio;

/// A network as Chrome's DevTools emulate it: bits per second down and up,
/// and the round trip added to every request.
struct Network {
    name: &'static str,
    down_bits: f64,
    up_bits: f64,
    round_trip_ms: f64,
}

/// The issue's 4G (9 Mbit/s, 150 ms) and 3G (1.6 Mbit/s, 300 ms) profiles;
/// uploads at a third of the download rate or less, as on phone networks.
const NETWORKS: [Network; 2] = [
    Network {
        name: "4G",
        down_bits: 9_000_000.0,
        up_bits: 3_000_000.0,
        round_trip_ms: 150.0,
    },
    Network {
        name: "3G",
        down_bits: 1_600_000.0,
        up_bits: 750_000.0,
        round_trip_ms: 300.0,
    },
];

/// The pages a first visit lands on. The review page joins this list when
/// review links exist.
const PAGES: [(&str, &str); 2] = [("compose", "/"), ("library", "/library")];

const ROUNDS: usize = 3;

/// Waits for the app's interactive mark, then reads what the page loaded.
const MEASURE: &str = r"
const done = arguments[arguments.length - 1];
const started = performance.now();
(function poll() {
  const mark = performance.getEntriesByName('chorus-interactive')[0];
  if (!mark) {
    if (performance.now() - started > 60000) { done({ error: 'no chorus-interactive mark after 60 s' }); return; }
    setTimeout(poll, 20);
    return;
  }
  const entries = performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'));
  let bytes = 0, body = 0, requests = 0;
  for (const e of entries) {
    if (e.startTime > mark.startTime) continue;
    bytes += e.transferSize; body += e.encodedBodySize; requests += 1;
  }
  done({ interactive_ms: mark.startTime, bytes, body, requests });
})();
";

#[tokio::test]
#[ignore = "a benchmark: run it with `cargo xtask bench load`"]
async fn bench_first_load() -> Result<()> {
    for (delivery, args) in [("before", &["--plain-delivery"][..]), ("now", &[][..])] {
        Studio::run_with(&format!("load-{delivery}"), args, async |s: &Studio| {
            // Opened once without throttling, so the server and browser are warm.
            s.open("/").await?;
            s.cdp("Network.enable", json!({})).await?;
            for network in &NETWORKS {
                s.cdp(
                    "Network.emulateNetworkConditions",
                    json!({
                        "offline": false,
                        "latency": network.round_trip_ms,
                        "downloadThroughput": network.down_bits / 8.0,
                        "uploadThroughput": network.up_bits / 8.0,
                    }),
                )
                .await?;
                for (page, path) in PAGES {
                    for _ in 0..ROUNDS {
                        s.cdp("Network.clearBrowserCache", json!({})).await?;
                        let cold = visit(s, path).await?;
                        let warm = visit(s, path).await?;
                        for (cache, m) in [("cold", cold), ("warm", warm)] {
                            println!(
                                "bench-load\t{delivery}\t{}\t{page}\t{cache}\t{}\t{}\t{}\t{:.0}",
                                network.name, m.bytes, m.body, m.requests, m.interactive_ms
                            );
                        }
                    }
                }
            }
            s.cdp(
                "Network.emulateNetworkConditions",
                json!({ "offline": false, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1 }),
            )
            .await?;
            Ok(())
        })
        .await?;
    }
    Ok(())
}

struct Measured {
    bytes: u64,
    body: u64,
    requests: u64,
    interactive_ms: f64,
}

/// A fresh navigation (not a reload, which would revalidate everything) to
/// `path`, measured to the app's interactive mark.
async fn visit(s: &Studio, path: &str) -> Result<Measured> {
    s.client.goto("about:blank").await?;
    tokio::time::sleep(Duration::from_millis(100)).await;
    s.client.goto(&format!("{}{path}", s.base)).await?;
    let m = s
        .client
        .execute_async(MEASURE, vec![])
        .await
        .context("measuring the load")?;
    if let Some(error) = m["error"].as_str() {
        bail!("{path}: {error}");
    }
    s.check_csp().await?;
    Ok(Measured {
        bytes: m["bytes"].as_u64().unwrap_or(0),
        body: m["body"].as_u64().unwrap_or(0),
        requests: m["requests"].as_u64().unwrap_or(0),
        interactive_ms: m["interactive_ms"].as_f64().unwrap_or(f64::NAN),
    })
}

/// What the page's resources cost, by file name.
const RESOURCES: &str = r"
return performance.getEntriesByType('resource').map((e) => ({
  name: new URL(e.name).pathname,
  transfer: e.transferSize,
  encoded: e.encodedBodySize,
  decoded: e.decodedBodySize,
}));
";

/// A real browser takes the app compressed, and on the next visit takes the
/// hashed files from its cache without asking the server at all.
#[tokio::test]
async fn the_app_arrives_compressed_and_the_second_visit_uses_the_cache() -> Result<()> {
    Studio::run("delivery", async |s: &Studio| {
        s.open("/").await?;
        let wasm = |list: &serde_json::Value| {
            list.as_array()
                .into_iter()
                .flatten()
                .find(|e| e["name"].as_str().is_some_and(|n| n.ends_with("_bg.wasm")))
                .cloned()
        };
        let first = s.client.execute(RESOURCES, vec![]).await?;
        let module = wasm(&first).with_context(|| format!("no wasm among {first}"))?;
        let (encoded, decoded) = (
            module["encoded"].as_f64().unwrap_or(0.0),
            module["decoded"].as_f64().unwrap_or(0.0),
        );
        anyhow::ensure!(
            decoded > 0.0 && encoded < decoded * 0.5,
            "the wasm came uncompressed or barely compressed: {module}"
        );

        s.client.goto("about:blank").await?;
        s.open("/library").await?;
        let second = s.client.execute(RESOURCES, vec![]).await?;
        let module = wasm(&second).with_context(|| format!("no wasm among {second}"))?;
        anyhow::ensure!(
            module["transfer"].as_f64() == Some(0.0),
            "the second visit downloaded the wasm again: {module}"
        );
        Ok(())
    })
    .await
}

/// The policy is really on, and the suite really sees a violation: an
/// injected inline script is blocked, and `check_csp` fails on it.
#[tokio::test]
async fn an_inline_script_is_blocked_and_the_suite_notices() -> Result<()> {
    Studio::run("csp", async |s: &Studio| {
        s.open("/").await?;
        let ran = s
            .client
            .execute_async(
                r"
const done = arguments[arguments.length - 1];
window.__injected = false;
const script = document.createElement('script');
script.textContent = 'window.__injected = true;';
document.body.appendChild(script);
setTimeout(() => done(window.__injected), 200);
",
                vec![],
            )
            .await?;
        anyhow::ensure!(ran == json!(false), "an inline script ran: {ran}");
        let Err(caught) = s.check_csp().await else {
            bail!("check_csp saw no violation after an inline script was blocked");
        };
        anyhow::ensure!(
            caught.to_string().contains("script-src"),
            "unexpected report: {caught:#}"
        );
        // A fresh page for the harness's own final check.
        s.client.goto(&format!("{}/library", s.base)).await?;
        s.find("[data-testid=library-page]").await?;
        Ok(())
    })
    .await
}
