//! Serves the built studio app. Every path that looks like a page (no file
//! extension) is answered by `index.html`, so client-side routes survive a
//! reload; a missing file is a 404, never the page in its place.
//!
//! In production delivery the build's brotli and gzip copies are sent to
//! browsers that take them, files whose names carry a content hash are
//! cached for a year and never revalidated, and `index.html` is revalidated
//! on every visit (`no-cache` with `Last-Modified`), so a new build reaches
//! everyone at once.

use std::convert::Infallible;
use std::path::Path;

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{MethodRouter, get, get_service};
use tower::ServiceExt as _;
use tower_http::services::{ServeDir, ServeFile};

use crate::config::Delivery;

/// For files whose names change whenever their bytes do (hashed app files,
/// content-addressed assets).
pub(super) const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// The page shown in the app's place when it has not been built.
fn not_built(dist: &Path) -> String {
    format!(
        "<!doctype html><title>Chorus</title><body style=\"font-family:sans-serif;padding:3rem\">\
         <h1>The studio app isn't built</h1><p>No app was found in <code>{}</code>. \
         Run <code>cargo xtask run</code>, which builds it and starts the server.</p></body>",
        dist.display()
    )
}

/// The app's page alone, for addresses outside the app's own (a review
/// link's `/r/<token>`, where the app finds its review page): sent as the
/// fallback sends it, brotli or gzip copies by `Accept-Encoding` in
/// production. Caching is the caller's to set.
pub(super) fn page<S: Clone + Send + Sync + 'static>(
    dist: &Path,
    delivery: Delivery,
) -> MethodRouter<S> {
    let index = dist.join("index.html");
    if !index.exists() {
        let message = not_built(dist);
        return get(move || {
            let message = message.clone();
            async move { (StatusCode::SERVICE_UNAVAILABLE, Html(message)) }
        });
    }
    match delivery {
        Delivery::Production => get_service(
            ServeFile::new(&index)
                .precompressed_br()
                .precompressed_gzip(),
        ),
        Delivery::Plain => get_service(ServeFile::new(&index)),
    }
}

pub fn router(dist: &Path, delivery: Delivery) -> Router {
    let index = dist.join("index.html");
    if !index.exists() {
        let message = not_built(dist);
        return Router::new().fallback(move || {
            let message = message.clone();
            async move { (StatusCode::SERVICE_UNAVAILABLE, Html(message)) }
        });
    }
    warn_about_inline_scripts(&index);
    match delivery {
        Delivery::Production => {
            let page = ServeFile::new(&index)
                .precompressed_br()
                .precompressed_gzip();
            let files = ServeDir::new(dist)
                .precompressed_br()
                .precompressed_gzip()
                .fallback(page_or_not_found(page));
            Router::new()
                .fallback_service(files)
                .layer(middleware::from_fn(cache_policy))
        }
        Delivery::Plain => {
            let files = ServeDir::new(dist).fallback(page_or_not_found(ServeFile::new(&index)));
            Router::new().fallback_service(files)
        }
    }
}

/// What ServeDir falls back to for a path with no file: the app's page for
/// a page address, a 404 for a file address.
fn page_or_not_found(
    page: ServeFile,
) -> impl tower::Service<
    Request,
    Response = Response,
    Error = Infallible,
    Future = impl Future<Output = Result<Response, Infallible>> + Send,
> + Clone
+ Send {
    tower::service_fn(move |request: Request| {
        let page = page.clone();
        async move {
            if looks_like_file(request.uri().path()) {
                let message = format!("There is no file at {}", request.uri().path());
                return Ok((StatusCode::NOT_FOUND, message).into_response());
            }
            let response = page.oneshot(request).await?;
            Ok(response.map(Body::new))
        }
    })
}

/// `/chorus-studio-…_bg.wasm` is a file; `/library` and `/compare/<id>` are
/// pages.
fn looks_like_file(path: &str) -> bool {
    path.rsplit('/')
        .next()
        .is_some_and(|name| name.contains('.'))
}

/// Sets `Cache-Control` from the name asked for, once the answer is known.
async fn cache_policy(request: Request, next: Next) -> Response {
    let hashed = is_content_hashed(request.uri().path());
    let mut response = next.run(request).await;
    let ok = response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED;
    let policy = if hashed && ok { IMMUTABLE } else { "no-cache" };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    // The same address answers brotli, gzip or plain bytes by request header.
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    response
}

/// Trunk names each built file `<name>-<hash>`, the hash a 64-bit number in
/// hex without leading zeros (so 16 digits, now and then fewer), the wasm
/// module `…-<hash>_bg.wasm`. Ten digits or more is a hash: a leading run of
/// seven zeros happens once in 268 million builds.
pub fn is_content_hashed(path: &str) -> bool {
    let Some(name) = path.rsplit('/').next() else {
        return false;
    };
    let Some((stem, _extension)) = name.split_once('.') else {
        return false;
    };
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    stem.rsplit_once('-').is_some_and(|(base, hash)| {
        !base.is_empty()
            && (10..=16).contains(&hash.len())
            && hash.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

/// The Content-Security-Policy allows no inline script. A page that still has
/// one (built by plain `trunk build`, not `cargo xtask`) would not start: say
/// why at start-up rather than leave a blank page.
fn warn_about_inline_scripts(index: &Path) {
    let Ok(html) = std::fs::read_to_string(index) else {
        return;
    };
    if has_inline_script(&html) {
        tracing::warn!(
            index = %index.display(),
            "the app's page has an inline <script>, which the Content-Security-Policy blocks; \
             build it with `cargo xtask run`, which moves the loader into a file"
        );
    }
}

/// Whether any `<script>` element has no `src` attribute.
pub fn has_inline_script(html: &str) -> bool {
    let lower = html.to_ascii_lowercase();
    lower.match_indices("<script").any(|(at, _)| {
        let tag_end = lower[at..].find('>').map_or(lower.len(), |end| at + end);
        !lower[at..tag_end].contains(" src=")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_names() {
        assert!(is_content_hashed("/chorus-studio-6f1e2a3b4c5d6e7f_bg.wasm"));
        assert!(is_content_hashed("/chorus-studio-6f1e2a3b4c5d6e7f.js"));
        assert!(is_content_hashed("/tokens-0123456789abcdef.css"));
        assert!(is_content_hashed("/library-394d6b6c41faf66.css"));
        assert!(!is_content_hashed("/player-v2.css"));
        assert!(!is_content_hashed("/clip-2026.mp4"));
        assert!(!is_content_hashed("/index.html"));
        assert!(!is_content_hashed("/library"));
        assert!(!is_content_hashed("/screenshot-compose.png"));
        assert!(!is_content_hashed("/-0123456789abcdef.css"));
        assert!(!is_content_hashed("/tokens-0123456789abcdeg.css"));
    }

    #[test]
    fn pages_and_files() {
        assert!(looks_like_file("/chorus-studio-6f1e2a3b4c5d6e7f_bg.wasm"));
        assert!(!looks_like_file("/compare/0190a1b2-c3d4"));
        assert!(!looks_like_file("/"));
    }

    #[test]
    fn inline_scripts_are_found() {
        assert!(has_inline_script(
            "<head><script type=\"module\">import init from '/a.js';</script></head>"
        ));
        assert!(!has_inline_script(
            "<head><script type=\"module\" src=\"/boot-0123456789abcdef.js\"></script></head>"
        ));
        assert!(!has_inline_script("<head></head>"));
    }
}
