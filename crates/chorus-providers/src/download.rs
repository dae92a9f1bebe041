//! Copying a provider's output into our own storage, safely: https only, to
//! public addresses only (the address checked is the one connected to, so a
//! DNS answer cannot point us inside the network), redirects re-checked,
//! size capped, and the bytes checked to be a real MP4 before anything is
//! stored. Loopback is reachable only under `allow_loopback`, for tests.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use chorus_media::{TrackKind, parse_file};
use reqwest::Url;

use crate::error::{ProviderError, Result};
use crate::provider::BoxFuture;

/// Limits for one download.
#[derive(Debug, Clone)]
pub struct DownloadPolicy {
    pub max_bytes: u64,
    /// Lets tests fetch from their fakes on 127.0.0.1 over plain http.
    pub allow_loopback: bool,
    pub timeout: Duration,
    pub max_redirects: u32,
}

impl Default for DownloadPolicy {
    fn default() -> Self {
        DownloadPolicy {
            // A 15 s 1080p clip is a few tens of MB; 500 MB leaves headroom.
            max_bytes: 500 * 1024 * 1024,
            allow_loopback: false,
            timeout: Duration::from_mins(2),
            max_redirects: 3,
        }
    }
}

/// What the downloaded file holds.
#[derive(Debug, Clone, PartialEq)]
pub struct VideoInfo {
    pub size_bytes: u64,
    pub width: u32,
    pub height: u32,
    pub duration_ms: u64,
    /// Rounded frames per second, when the video track has frames.
    pub fps: Option<u32>,
    /// False flags a take the user will hear nothing from.
    pub has_audio: bool,
}

/// Where downloaded videos go; returns the stored asset's id.
pub trait VideoStore: Send + Sync {
    fn store<'a>(
        &'a self,
        video: Bytes,
        info: &'a VideoInfo,
    ) -> BoxFuture<'a, std::result::Result<String, String>>;
}

/// A video saved into our storage.
#[derive(Debug, Clone, PartialEq)]
pub struct SavedVideo {
    pub asset_id: String,
    pub info: VideoInfo,
}

/// Fetches `url`, checks it, and hands it to `store`.
pub async fn download_video(
    provider: &'static str,
    url: &str,
    policy: &DownloadPolicy,
    store: &dyn VideoStore,
) -> Result<SavedVideo> {
    let bytes = fetch(provider, url, policy).await?;
    let info = inspect_mp4(&bytes)?;
    let asset_id = store
        .store(bytes, &info)
        .await
        .map_err(ProviderError::Storage)?;
    Ok(SavedVideo { asset_id, info })
}

async fn fetch(provider: &'static str, url: &str, policy: &DownloadPolicy) -> Result<Bytes> {
    let mut current = parse_url(url)?;
    for _ in 0..=policy.max_redirects {
        let (host, addr) = vet_url(&current, policy).await?;
        // Pinning the vetted address closes the DNS-rebinding gap between
        // the check and the connect.
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .resolve(&host, addr)
            .timeout(policy.timeout)
            .build()
            .map_err(|e| network(provider, &e))?;
        let mut response = client
            .get(current.clone())
            .send()
            .await
            .map_err(|e| network(provider, &e))?;
        let status = response.status().as_u16();
        match status {
            200..=299 => {}
            301 | 302 | 303 | 307 | 308 => {
                let location = response
                    .headers()
                    .get(reqwest::header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .ok_or_else(|| unsafe_url(url, "redirect without a Location"))?;
                current = current
                    .join(location)
                    .map_err(|_| unsafe_url(location, "redirect to an invalid URL"))?;
                continue;
            }
            404 | 410 => {
                return Err(ProviderError::OutputExpired {
                    provider,
                    reason: format!("the output URL answers HTTP {status}"),
                });
            }
            _ => {
                return Err(ProviderError::Unavailable {
                    provider,
                    status,
                    attempts: 1,
                    message: "the output download failed".into(),
                });
            }
        }
        if response
            .content_length()
            .is_some_and(|len| len > policy.max_bytes)
        {
            return Err(ProviderError::TooLarge {
                limit_bytes: policy.max_bytes,
            });
        }
        let mut body = BytesMut::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| network(provider, &e))? {
            if (body.len() + chunk.len()) as u64 > policy.max_bytes {
                return Err(ProviderError::TooLarge {
                    limit_bytes: policy.max_bytes,
                });
            }
            body.extend_from_slice(&chunk);
        }
        return Ok(body.freeze());
    }
    Err(unsafe_url(url, "too many redirects"))
}

fn network(provider: &'static str, e: &reqwest::Error) -> ProviderError {
    ProviderError::Network {
        provider,
        attempts: 1,
        detail: format!("downloading the output: {}", e.without_url_ref()),
    }
}

/// `reqwest::Error::without_url` consumes; this keeps URLs out of messages
/// without needing ownership.
trait WithoutUrlRef {
    fn without_url_ref(&self) -> String;
}

impl WithoutUrlRef for reqwest::Error {
    fn without_url_ref(&self) -> String {
        let text = self.to_string();
        match self.url() {
            Some(u) => text
                .replace(&format!(" ({u})"), "")
                .replace(u.as_str(), "<url>"),
            None => text,
        }
    }
}

fn unsafe_url(url: &str, reason: &str) -> ProviderError {
    ProviderError::UnsafeUrl {
        url: url.chars().take(200).collect(),
        reason: reason.into(),
    }
}

fn parse_url(url: &str) -> Result<Url> {
    Url::parse(url).map_err(|_| unsafe_url(url, "not a valid URL"))
}

/// Checks scheme and every address the host resolves to; returns the host
/// and the address to connect to.
async fn vet_url(url: &Url, policy: &DownloadPolicy) -> Result<(String, SocketAddr)> {
    let text = url.as_str();
    let host = url
        .host_str()
        .ok_or_else(|| unsafe_url(text, "no host"))?
        .trim_matches(['[', ']'])
        .to_string();
    let port = url
        .port_or_known_default()
        .ok_or_else(|| unsafe_url(text, "no port"))?;
    let addrs: Vec<SocketAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => tokio::net::lookup_host((host.as_str(), port))
            .await
            .map_err(|_| unsafe_url(text, "the host does not resolve"))?
            .collect(),
    };
    if addrs.is_empty() {
        return Err(unsafe_url(text, "the host does not resolve"));
    }
    let all_loopback = addrs.iter().all(|a| a.ip().is_loopback());
    let loopback_ok = policy.allow_loopback && all_loopback;
    match url.scheme() {
        "https" => {}
        "http" if loopback_ok => {}
        _ => return Err(unsafe_url(text, "only https URLs are fetched")),
    }
    if !loopback_ok && let Some(bad) = addrs.iter().find(|a| !is_public(a.ip())) {
        return Err(unsafe_url(
            text,
            &format!("it points at the non-public address {}", bad.ip()),
        ));
    }
    Ok((host, addrs[0]))
}

/// True for globally routable unicast addresses.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let s = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local
                || (s[0] & 0xffc0) == 0xfe80 // link local
                || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
                || (s[0] == 0x0064 && s[1] == 0xff9b)) // NAT64 can reach private v4
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240)
}

/// Checks `bytes` is an MP4 with a video track and reads what it holds.
pub fn inspect_mp4(bytes: &[u8]) -> Result<VideoInfo> {
    if bytes.get(4..8) != Some(b"ftyp".as_slice()) {
        let start: String = bytes
            .iter()
            .take(16)
            .map(|&b| if b.is_ascii_graphic() { b as char } else { '.' })
            .collect();
        return Err(ProviderError::NotMp4 {
            detail: format!("it does not start with an `ftyp` box (starts with \"{start}\")"),
        });
    }
    let movie = parse_file(bytes).map_err(|e| ProviderError::NotMp4 {
        detail: e.to_string(),
    })?;
    let video = movie.video_track().ok_or_else(|| ProviderError::NotMp4 {
        detail: "it has no video track".into(),
    })?;
    let duration_ms = if movie.timescale == 0 {
        0
    } else {
        movie.duration.saturating_mul(1000) / u64::from(movie.timescale)
    };
    Ok(VideoInfo {
        size_bytes: bytes.len() as u64,
        width: video.width,
        height: video.height,
        duration_ms,
        fps: video.frame_rate.map(|r| r.rate().as_f64().round() as u32),
        has_audio: movie.tracks.iter().any(|t| t.kind == TrackKind::Audio),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_special_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(!is_public(ip.parse().expect("ip")), "{ip}");
        }
        for ip in ["8.8.8.8", "151.101.1.1", "2606:4700::1111"] {
            assert!(is_public(ip.parse().expect("ip")), "{ip}");
        }
        assert!(!is_public(IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED)));
    }

    #[tokio::test]
    async fn refuses_http_and_private_hosts_without_connecting() {
        let policy = DownloadPolicy::default();
        for (url, why) in [
            ("http://8.8.8.8/v.mp4", "only https"),
            ("https://10.0.0.5/v.mp4", "non-public"),
            ("https://127.0.0.1:9/v.mp4", "non-public"),
            ("https://[::1]/v.mp4", "non-public"),
            ("file:///etc/passwd", "no host"),
        ] {
            let err = vet_url(&Url::parse(url).expect("url"), &policy)
                .await
                .expect_err(url);
            assert!(err.to_string().contains(why), "{url}: {err}");
        }
        // Loopback over http only when tests allow it.
        let test_policy = DownloadPolicy {
            allow_loopback: true,
            ..DownloadPolicy::default()
        };
        let url = Url::parse("http://127.0.0.1:9/v.mp4").expect("url");
        assert!(vet_url(&url, &test_policy).await.is_ok());
        let url = Url::parse("http://10.0.0.1/v.mp4").expect("url");
        assert!(vet_url(&url, &test_policy).await.is_err());
    }

    #[test]
    fn real_mp4_passes_and_text_does_not() {
        let info = inspect_mp4(include_bytes!(
            "../../chorus-media/tests/fixtures/av_aac.mp4"
        ))
        .expect("mp4");
        assert!(info.has_audio);
        assert!(info.width > 0 && info.duration_ms > 0);
        let err = inspect_mp4(b"<html>Access denied</html>").expect_err("not mp4");
        assert!(err.to_string().contains("ftyp"), "{err}");
    }
}
