//! What every answer carries whatever its route: the security headers, and
//! on-the-fly compression of large JSON answers.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Version, header};
use axum::middleware::Next;
use axum::response::Response;
use tower_http::compression::predicate::{Predicate, SizeAbove};
use tower_http::compression::{CompressionLayer, CompressionLevel};

/// Exactly what the studio needs, and nothing else:
/// - its own scripts, and compiling its own wasm (`'wasm-unsafe-eval'`);
///   no inline script at all (the build moves Trunk's loader into a file);
/// - its own style sheets; inline `style` attributes only, which views use
///   for positions and sizes (they cannot run code);
/// - images from itself, `data:` (the icon) and `blob:` (local previews);
/// - requests, clips and the event stream to its own origin;
/// - never framed, by anyone (review pages too), never a form to elsewhere.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; \
     script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self'; style-src-attr 'unsafe-inline'; \
     img-src 'self' data: blob:; media-src 'self' blob:; \
     connect-src 'self'; font-src 'self'; manifest-src 'self'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Device features the studio never uses, turned off for it and anything
/// it might embed.
const PERMISSIONS_POLICY: &str = "accelerometer=(), camera=(), display-capture=(), \
     geolocation=(), gyroscope=(), hid=(), magnetometer=(), microphone=(), midi=(), \
     payment=(), serial=(), usb=(), fullscreen=(self)";

/// Adds the security headers to an answer that does not set its own.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let set = |headers: &mut HeaderMap, name: header::HeaderName, value: &'static str| {
        headers
            .entry(name)
            .or_insert(HeaderValue::from_static(value));
    };
    set(
        headers,
        header::CONTENT_SECURITY_POLICY,
        CONTENT_SECURITY_POLICY,
    );
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    // Review links carry their token in the path: never send it onwards.
    set(headers, header::REFERRER_POLICY, "no-referrer");
    set(
        headers,
        header::HeaderName::from_static("permissions-policy"),
        PERMISSIONS_POLICY,
    );
    // For browsers older than `frame-ancestors`.
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    set(
        headers,
        header::HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    set(
        headers,
        header::HeaderName::from_static("cross-origin-resource-policy"),
        "same-origin",
    );
    response
}

/// JSON answers of at least this many bytes are compressed on the fly.
const COMPRESS_FROM_BYTES: u16 = 1024;

/// Compresses JSON answers (brotli or gzip, as the client asks) and nothing
/// else: clips are already compressed and read by ranges, and an event
/// stream must reach the browser event by event.
pub fn json_compression() -> CompressionLayer<impl tower_http::compression::Predicate + Copy> {
    CompressionLayer::new()
        .br(true)
        .gzip(true)
        // Level 4: most of the gain at a small share of the CPU of the
        // slowest levels, which suit files compressed once at build time.
        .quality(CompressionLevel::Precise(4))
        .compress_when(SizeAbove::new(COMPRESS_FROM_BYTES).and(worth_compressing))
}

/// JSON, whole (not a range of it).
fn worth_compressing(
    status: StatusCode,
    _version: Version,
    headers: &HeaderMap,
    _extensions: &axum::http::Extensions,
) -> bool {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    is_json && status != StatusCode::PARTIAL_CONTENT && !headers.contains_key(header::CONTENT_RANGE)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(
                name.clone(),
                HeaderValue::from_str(value).expect("a valid header value"),
            );
        }
        map
    }

    fn decide(status: StatusCode, pairs: &[(header::HeaderName, &str)]) -> bool {
        worth_compressing(
            status,
            Version::HTTP_11,
            &headers(pairs),
            &axum::http::Extensions::new(),
        )
    }

    #[test]
    fn only_whole_json_is_compressed() {
        let json = (header::CONTENT_TYPE, "application/json");
        assert!(decide(StatusCode::OK, std::slice::from_ref(&json)));
        assert!(decide(
            StatusCode::OK,
            &[(header::CONTENT_TYPE, "application/json; charset=utf-8")]
        ));
        assert!(!decide(
            StatusCode::OK,
            &[(header::CONTENT_TYPE, "video/mp4")]
        ));
        assert!(!decide(
            StatusCode::OK,
            &[(header::CONTENT_TYPE, "text/event-stream")]
        ));
        assert!(!decide(
            StatusCode::PARTIAL_CONTENT,
            &[json.clone(), (header::CONTENT_RANGE, "bytes 0-9/100")]
        ));
    }

    #[test]
    fn the_policy_allows_wasm_but_no_inline_script() {
        let script = CONTENT_SECURITY_POLICY
            .split(';')
            .map(str::trim)
            .find(|d| d.starts_with("script-src"))
            .expect("a script-src directive");
        assert_eq!(script, "script-src 'self' 'wasm-unsafe-eval'");
        assert!(CONTENT_SECURITY_POLICY.contains("frame-ancestors 'none'"));
        assert!(!CONTENT_SECURITY_POLICY.contains("'unsafe-eval'"));
    }
}
