//! Serves the built studio app, with every unknown path answered by
//! `index.html` so client-side routes survive a reload.

use std::path::Path;

use axum::Router;
use axum::http::StatusCode;
use axum::response::Html;
use tower_http::services::{ServeDir, ServeFile};

pub fn router(dist: &Path) -> Router {
    let index = dist.join("index.html");
    if !index.exists() {
        let message = format!(
            "<!doctype html><title>Chorus</title><body style=\"font-family:sans-serif;padding:3rem\">\
             <h1>The studio app isn't built</h1><p>No app was found in <code>{}</code>. \
             Run <code>cargo xtask run</code>, which builds it and starts the server.</p></body>",
            dist.display()
        );
        return Router::new().fallback(move || {
            let message = message.clone();
            async move { (StatusCode::SERVICE_UNAVAILABLE, Html(message)) }
        });
    }
    Router::new().fallback_service(ServeDir::new(dist).fallback(ServeFile::new(index)))
}
