//! One attempt on the wire: the target checked by the same public-address
//! rule as provider downloads (`chorus_providers::download::is_public`),
//! resolved once and connected to at exactly the address checked (so a DNS
//! answer that changes between the check and the connection cannot point
//! us inside the network), https only (plain http only to loopback, where
//! tests allow it), redirects never followed, and a time limit.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, SystemTime};

use chorus_providers::download::is_public;
use reqwest::Url;

use super::schedule::{Answer, retry_after};

/// A target that passed the guard: its URL and the address to connect to.
#[derive(Debug, Clone)]
pub struct Target {
    pub url: Url,
    pub addr: SocketAddr,
}

/// Checks `url` and resolves its host; `Err` says why it is refused, in
/// words that follow the field's name ("10.0.0.5 is a private address").
pub async fn check_target(url: &str, allow_loopback: bool) -> Result<Target, String> {
    let url = url.trim();
    let parsed = Url::parse(url).map_err(|e| format!("{url} is not a URL ({e})"))?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("must not hold a user name or password".into());
    }
    let host = parsed
        .host_str()
        .ok_or_else(|| format!("{url} names no host"))?
        .trim_matches(['[', ']'])
        .to_string();
    let port = parsed
        .port_or_known_default()
        .ok_or_else(|| format!("{url} has no port for its scheme"))?;
    let addrs: Vec<SocketAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => tokio::net::lookup_host((host.as_str(), port))
            .await
            .map_err(|_| format!("{host} does not resolve"))?
            .collect(),
    };
    let Some(first) = addrs.first().copied() else {
        return Err(format!("{host} does not resolve"));
    };
    let loopback_ok = allow_loopback && addrs.iter().all(|a| a.ip().is_loopback());
    match parsed.scheme() {
        "https" => {}
        "http" if loopback_ok => {}
        "http" => return Err("must be https:// (plain http is not sent)".into()),
        other => return Err(format!("must be https://, not {other}://")),
    }
    if !loopback_ok && let Some(bad) = addrs.iter().find(|a| !is_public(a.ip())) {
        return Err(if bad.ip().to_string() == host {
            format!("{} is a private address", bad.ip())
        } else {
            format!("{host} resolves to {}, a private address", bad.ip())
        });
    }
    Ok(Target {
        url: parsed,
        addr: first,
    })
}

/// The headers of one signed attempt.
#[derive(Debug, Clone)]
pub struct Signed {
    pub id: String,
    pub timestamp: i64,
    pub signature: String,
}

/// Sends `body` to `target` once and says what came back.
pub async fn attempt(target: &Target, signed: &Signed, body: &str, timeout: Duration) -> Answer {
    let host = target.url.host_str().unwrap_or_default().to_string();
    let client = match reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(timeout)
        .resolve(host.trim_matches(['[', ']']), target.addr)
        .user_agent(concat!("Chorus-Webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
    {
        Ok(client) => client,
        Err(e) => return Answer::NoAnswer(format!("cannot make an HTTP client: {e}")),
    };
    let sent = client
        .post(target.url.clone())
        .header("content-type", "application/json")
        .header("webhook-id", &signed.id)
        .header("webhook-timestamp", signed.timestamp.to_string())
        .header("webhook-signature", &signed.signature)
        .body(body.to_string())
        .send()
        .await;
    match sent {
        Ok(response) => Answer::Status {
            status: response.status().as_u16(),
            retry_after: response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| retry_after(v, SystemTime::now())),
        },
        Err(e) if e.is_timeout() => {
            Answer::NoAnswer(format!("no answer within {} s", timeout.as_secs_f64()))
        }
        Err(e) if e.is_connect() => Answer::NoAnswer(format!(
            "could not connect to {}: {}",
            target.addr,
            root_cause(&e)
        )),
        Err(e) => Answer::NoAnswer(format!("the request failed: {}", root_cause(&e))),
    }
}

/// The innermost error's words (reqwest's own say only "error sending
/// request"), without the URL.
fn root_cause(e: &reqwest::Error) -> String {
    let mut source: &dyn std::error::Error = e;
    while let Some(next) = source.source() {
        source = next;
    }
    source.to_string()
}

/// How the log words an answer that was not a success.
pub fn describe(answer: &Answer) -> String {
    match answer {
        Answer::Status { status, .. } => {
            let reason = reqwest::StatusCode::from_u16(*status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("");
            let mut text = format!("the receiver answered {status} {reason}")
                .trim_end()
                .to_string();
            if (300..400).contains(status) {
                text.push_str(" (redirects are not followed)");
            }
            text
        }
        Answer::NoAnswer(why) => why.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn private_and_plain_targets_are_refused_saying_why() {
        let refused = |url: &'static str, allow| async move {
            check_target(url, allow).await.expect_err(url)
        };
        assert_eq!(
            refused("https://10.0.0.5/hook", false).await,
            "10.0.0.5 is a private address"
        );
        assert_eq!(
            refused("https://[::1]:8443/hook", false).await,
            "::1 is a private address"
        );
        assert_eq!(
            refused("https://169.254.169.254/latest", false).await,
            "169.254.169.254 is a private address"
        );
        assert!(
            refused("https://localhost/hook", false)
                .await
                .contains("a private address")
        );
        assert!(
            refused("http://93.184.215.14/hook", false)
                .await
                .contains("https")
        );
        assert!(
            refused("ftp://93.184.215.14/hook", true)
                .await
                .contains("not ftp")
        );
        assert!(refused("not a url", false).await.contains("is not a URL"));
        assert!(
            refused("https://a:b@93.184.215.14/", false)
                .await
                .contains("password")
        );
        // Loopback over plain http only where tests allow it.
        assert!(
            refused("http://127.0.0.1:9/hook", false)
                .await
                .contains("https")
        );
        let ok = check_target("http://127.0.0.1:9/hook", true)
            .await
            .expect("allowed in tests");
        assert_eq!(ok.addr, "127.0.0.1:9".parse().expect("addr"));
        // Even then, a private address that is not loopback is refused.
        assert_eq!(
            refused("http://192.168.1.2/hook", true).await,
            "must be https:// (plain http is not sent)"
        );
        assert_eq!(
            refused("https://192.168.1.2/hook", true).await,
            "192.168.1.2 is a private address"
        );
        let public = check_target("https://93.184.215.14/hook", false)
            .await
            .expect("public");
        assert_eq!(public.addr.port(), 443);
    }

    #[test]
    fn answers_are_described_for_the_log() {
        let status = |status| Answer::Status {
            status,
            retry_after: None,
        };
        assert_eq!(
            describe(&status(500)),
            "the receiver answered 500 Internal Server Error"
        );
        assert_eq!(
            describe(&status(302)),
            "the receiver answered 302 Found (redirects are not followed)"
        );
        assert_eq!(describe(&status(599)), "the receiver answered 599");
    }
}
