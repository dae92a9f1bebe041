//! How the app and the API reach a browser: compression by content
//! negotiation, caching by file name, security headers on every answer, and
//! clear 413s for bodies over the limit.

mod common;

use std::io::Read as _;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use chorus_server::Delivery;
use common::{TestServer, draft_request, server, server_with};

const WASM: &str = "chorus-studio-0123456789abcdef_bg.wasm";
const CSS: &str = "tokens-fedcba9876543210.css";

/// A dist/ as the build leaves it: each file beside its `.br` and `.gz`
/// (stand-in bytes: the server only chooses among them).
fn write_built_app(s: &TestServer) {
    let dist = s.dir.path().join("dist");
    let index = "<!doctype html><title>Chorus test</title>\
                 <script type=\"module\" src=\"/boot-00112233aabbccdd.js\"></script>";
    for (name, bytes) in [
        ("index.html", index.as_bytes()),
        (WASM, b"\0asm raw module".as_slice()),
        (CSS, b"body { color: white }".as_slice()),
    ] {
        std::fs::write(dist.join(name), bytes).expect("write");
        std::fs::write(dist.join(format!("{name}.br")), format!("br:{name}")).expect("write");
        std::fs::write(dist.join(format!("{name}.gz")), format!("gz:{name}")).expect("write");
    }
}

async fn fetch(
    s: &TestServer,
    path: &str,
    accept: Option<&str>,
) -> (StatusCode, Vec<u8>, HeaderMap) {
    let mut request = Request::get(path);
    if let Some(accept) = accept {
        request = request.header("accept-encoding", accept);
    }
    s.call(request.body(Body::empty()).expect("request")).await
}

/// POSTs `body` as JSON, as it is (it may be too large or malformed).
async fn post_raw(
    s: &TestServer,
    path: &str,
    body: impl Into<Body>,
) -> (StatusCode, serde_json::Value) {
    s.json(
        Request::post(path)
            .header("content-type", "application/json")
            .body(body.into())
            .expect("request"),
    )
    .await
}

#[tokio::test]
async fn the_built_app_is_sent_brotli_gzip_or_plain_as_the_browser_asks() {
    let s = server().await;
    write_built_app(&s);
    for (accept, encoding, body) in [
        (Some("br, gzip"), Some("br"), format!("br:{WASM}")),
        (
            Some("gzip, deflate, br, zstd"),
            Some("br"),
            format!("br:{WASM}"),
        ),
        (Some("gzip"), Some("gzip"), format!("gz:{WASM}")),
        (Some("br;q=0, gzip"), Some("gzip"), format!("gz:{WASM}")),
        (Some("identity"), None, "\0asm raw module".to_string()),
        (None, None, "\0asm raw module".to_string()),
    ] {
        let (status, bytes, headers) = fetch(&s, &format!("/{WASM}"), accept).await;
        assert_eq!(status, StatusCode::OK, "{accept:?}");
        assert_eq!(String::from_utf8_lossy(&bytes), body, "{accept:?}");
        assert_eq!(
            headers
                .get("content-encoding")
                .map(|v| v.to_str().expect("ASCII")),
            encoding,
            "{accept:?}"
        );
        assert_eq!(headers["content-type"], "application/wasm", "{accept:?}");
        assert_eq!(headers["vary"], "accept-encoding", "{accept:?}");
    }
    // The page too.
    let (_, bytes, headers) = fetch(&s, "/", Some("gzip")).await;
    assert_eq!(headers["content-encoding"], "gzip");
    assert_eq!(bytes, b"gz:index.html");
}

#[tokio::test]
async fn hashed_files_are_immutable_and_the_page_is_revalidated() {
    let s = server().await;
    write_built_app(&s);
    for path in [format!("/{WASM}"), format!("/{CSS}")] {
        let (status, _, headers) = fetch(&s, &path, Some("br")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            headers["cache-control"], "public, max-age=31536000, immutable",
            "{path}"
        );
    }
    for path in ["/", "/index.html", "/library", "/compare/0190a1b2c3d4"] {
        let (status, bytes, headers) = fetch(&s, path, None).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(
            String::from_utf8_lossy(&bytes).contains("Chorus test"),
            "{path}"
        );
        assert_eq!(headers["cache-control"], "no-cache", "{path}");
        assert!(headers.contains_key("last-modified"), "{path}");
    }

    // Revalidation costs a 304 and no body.
    let (_, _, headers) = fetch(&s, "/", None).await;
    let since = headers["last-modified"].clone();
    let (status, body, _) = s
        .call(
            Request::get("/")
                .header("if-modified-since", since)
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert!(body.is_empty());

    // A file that is not there is a 404, never the page cached for a year.
    let (status, bytes, headers) =
        fetch(&s, "/chorus-studio-ffffffffffffffff_bg.wasm", Some("br")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!String::from_utf8_lossy(&bytes).contains("Chorus test"));
    assert_eq!(headers["cache-control"], "no-cache");
}

#[tokio::test]
async fn every_page_and_answer_carries_the_security_headers() {
    let s = server().await;
    write_built_app(&s);
    for path in [
        "/",
        "/index.html",
        "/library",
        "/compare/0190a1b2c3d4",
        "/r/some-review-token",
        &format!("/{WASM}"),
        "/api/models",
        "/api/nothing-here",
        "/missing-0123456789abcdef.js",
    ] {
        let (_, _, headers) = fetch(&s, path, None).await;
        let csp = headers["content-security-policy"].to_str().expect("ASCII");
        assert!(
            csp.contains("script-src 'self' 'wasm-unsafe-eval';"),
            "{path}: {csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(!csp.contains("script-src 'self' 'unsafe-inline'"), "{path}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["referrer-policy"], "no-referrer", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        let permissions = headers["permissions-policy"].to_str().expect("ASCII");
        for off in ["camera=()", "microphone=()", "geolocation=()", "payment=()"] {
            assert!(permissions.contains(off), "{path}: {permissions}");
        }
    }
}

#[tokio::test]
async fn large_json_answers_are_compressed_and_clips_never_are() {
    let s = server().await;
    for _ in 0..12 {
        let (status, _) = s.post_json("/api/jobs", &draft_request()).await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let (status, plain, headers) = fetch(&s, "/api/jobs", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(plain.len() > 4096, "{} bytes", plain.len());
    assert!(!headers.contains_key("content-encoding"));

    let (status, gz, headers) = fetch(&s, "/api/jobs", Some("gzip")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-encoding"], "gzip");
    assert!(
        gz.len() < plain.len() / 3,
        "{} of {}",
        gz.len(),
        plain.len()
    );
    let mut back = Vec::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_end(&mut back)
        .expect("gunzip");
    let (a, b): (serde_json::Value, serde_json::Value) = (
        serde_json::from_slice(&back).expect("json"),
        serde_json::from_slice(&plain).expect("json"),
    );
    // The same list (jobs may have moved on between the two reads).
    assert_eq!(
        a["jobs"].as_array().map(Vec::len),
        b["jobs"].as_array().map(Vec::len)
    );

    let (_, _, headers) = fetch(&s, "/api/jobs", Some("br")).await;
    assert_eq!(headers["content-encoding"], "br");

    // Small answers are not worth it.
    let (_, _, headers) = fetch(&s, "/api/nothing-here", Some("br")).await;
    assert!(!headers.contains_key("content-encoding"));

    // A stored clip's bytes go as they are, whole or by range.
    let (status, asset) = s.upload(&common::png(640, 480, 3)).await;
    assert_eq!(status, StatusCode::CREATED);
    let url = asset["url"].as_str().expect("url");
    let (_, _, headers) = fetch(&s, url, Some("br, gzip")).await;
    assert!(!headers.contains_key("content-encoding"));
    assert_eq!(
        headers["cache-control"],
        "public, max-age=31536000, immutable"
    );
    let (status, part, headers) = s
        .call(
            Request::get(url)
                .header("accept-encoding", "br, gzip")
                .header("range", "bytes=0-99")
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(part.len(), 100);
    assert!(!headers.contains_key("content-encoding"));
}

#[tokio::test]
async fn the_event_stream_is_never_compressed() {
    let s = server().await;
    let response = tower::ServiceExt::oneshot(
        chorus_server::app(s.state.clone()),
        Request::get("/api/events")
            .header("accept-encoding", "br, gzip")
            .body(Body::empty())
            .expect("request"),
    )
    .await
    .expect("infallible");
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .expect("ASCII")
            .starts_with("text/event-stream")
    );
    assert!(!response.headers().contains_key("content-encoding"));
}

#[tokio::test]
async fn oversize_bodies_get_413_naming_the_limit() {
    let s = server().await;
    let mut request = draft_request();
    request["prompt"] = serde_json::Value::String("x".repeat(12 * 1024 * 1024));
    let (status, body) = s.post_json("/api/jobs", &request).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body["error"]["code"], "too_large");
    assert_eq!(
        body["error"]["message"],
        "The request body is larger than 2 MiB, the limit for JSON requests"
    );

    let (status, body) = post_raw(&s, "/api/webhooks/fal", vec![b' '; 3 * 1024 * 1024]).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .expect("a message")
            .contains("2 MiB"),
        "{body}"
    );

    let (status, body) = s.upload(&vec![0u8; 22 * 1024 * 1024]).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(
        body["error"]["message"],
        "The image is larger than 20 MiB, the limit for reference images"
    );

    // Under the limit, broken JSON is still a 400 that says where.
    let (status, body) = post_raw(&s, "/api/jobs", "{\"model\": \"draft\",}").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"]["message"]
            .as_str()
            .expect("a message")
            .contains("not valid JSON"),
        "{body}"
    );
}

#[tokio::test]
async fn plain_delivery_sends_files_as_they_are() {
    let s = server_with(|c| c.delivery = Delivery::Plain).await;
    write_built_app(&s);
    let (status, bytes, headers) = fetch(&s, &format!("/{WASM}"), Some("br, gzip")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(bytes, b"\0asm raw module");
    assert!(!headers.contains_key("content-encoding"));
    assert!(!headers.contains_key("cache-control"));
    let (_, _, headers) = fetch(&s, "/api/jobs", Some("br")).await;
    assert!(!headers.contains_key("content-encoding"));
}
