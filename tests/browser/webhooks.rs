//! Settings → Webhooks from an owner's seat: a private address refused
//! with the field named, an endpoint added and its secret shown once, a
//! test event sent to three local receivers (one that takes it, one that
//! answers 410 Gone, one where nothing listens), and the delivery log and
//! endpoint list showing what became of each.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;

use anyhow::{Result, ensure};

use crate::SELECT_ALL;
use crate::harness::Studio;

/// A receiver on 127.0.0.1 that answers every request with `status`
/// ("204 No Content"); returns its URL.
fn receiver(status: &'static str) -> Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let url = format!("http://{}/events", listener.local_addr()?);
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
            read_request(&mut stream);
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            );
        }
    });
    Ok(url)
}

/// Reads one request: its head, then as many bytes as it says it has.
fn read_request(stream: &mut impl Read) {
    let mut seen = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let Ok(n) = stream.read(&mut chunk) else {
            return;
        };
        if n == 0 {
            return;
        }
        seen.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&seen);
        if let Some(head_end) = text.find("\r\n\r\n") {
            let length = text[..head_end]
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if seen.len() >= head_end + 4 + length {
                return;
            }
        }
    }
}

async fn add(s: &Studio, url: &str) -> Result<()> {
    s.type_into("[data-testid=webhook-url]", &format!("{SELECT_ALL}{url}"))
        .await?;
    s.click("[data-testid=webhook-add]").await
}

fn row(url: &str) -> String {
    format!("[data-testid=webhook-row][data-url=\"{url}\"]")
}

#[tokio::test]
async fn an_owner_adds_webhooks_and_reads_the_delivery_log() -> Result<()> {
    let taker = receiver("204 No Content")?;
    let gone = receiver("410 Gone")?;
    let nobody = {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        format!("http://{}/events", listener.local_addr()?)
    };
    // Loopback receivers over plain http, as the provider tests allow.
    let env = [("CHORUS_TEST_ALLOW_LOOPBACK", "1")];
    Studio::run_with_env("webhooks", &[], &env, async |s| {
        s.open("/settings/webhooks").await?;
        s.find("[data-testid=webhook-list-empty]").await?;
        s.find_text(
            "[data-testid=webhook-schedule]",
            "How deliveries are retried",
        )
        .await?;

        add(s, "https://10.0.0.5/hook").await?;
        s.find_text(
            "[data-testid=webhook-error]",
            "url: 10.0.0.5 is a private address",
        )
        .await?;
        s.screenshot("webhooks-refused").await?;

        add(s, &taker).await?;
        s.find("[data-testid=webhook-secret-shown]").await?;
        let secret = s.value_of("[data-testid=webhook-secret]").await?;
        ensure!(secret.starts_with("whsec_"), "the secret shown: {secret}");
        s.find(&row(&taker)).await?;
        s.screenshot("webhooks-secret").await?;
        s.click("[data-testid=webhook-secret-done]").await?;
        add(s, &gone).await?;
        s.find(&row(&gone)).await?;
        add(s, &nobody).await?;
        s.find(&row(&nobody)).await?;
        s.click("[data-testid=webhook-secret-done]").await?;

        for url in [&taker, &nobody, &gone] {
            s.click(&format!("{} [data-testid=webhook-test]", row(url)))
                .await?;
        }
        // (The 410's row is drawn anew once it is disabled, without it.)
        s.find_text(&row(&taker), "Test event queued").await?;
        s.find_text(
            "[data-testid=webhook-delivery][data-state=delivered]",
            "204",
        )
        .await?;
        s.find_text(
            "[data-testid=webhook-delivery][data-state=failed]",
            "410 Gone",
        )
        .await?;
        s.find_text(
            "[data-testid=webhook-delivery][data-state=pending]",
            "could not connect",
        )
        .await?;
        // The 410 disabled its endpoint, and the list says why.
        let status = s
            .find_text(
                &format!("{} [data-testid=webhook-status]", row(&gone)),
                "Disabled",
            )
            .await?;
        ensure!(status.contains("410 Gone"), "{status}");
        s.click("[data-testid=webhook-schedule] summary").await?;
        s.find_text("[data-testid=webhook-schedule]", "5 s, 5 min, 30 min")
            .await?;
        s.screenshot("webhooks-log").await?;

        // Deleting asks first.
        s.click(&format!("{} [data-testid=webhook-delete]", row(&nobody)))
            .await?;
        s.click(&format!("{} [data-testid=webhook-confirm]", row(&nobody)))
            .await?;
        s.until("the deleted endpoint leaves the list", async || {
            let left = s
                .client
                .find_all(fantoccini::Locator::Css(&row(&nobody)))
                .await?;
            Ok(left.is_empty().then_some(()))
        })
        .await?;
        Ok(())
    })
    .await
}
