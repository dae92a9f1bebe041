//! `/bench/player?src=URL`: one player on any clip the server has, at the
//! width of the page. The player tests open their counting clip here; it is
//! also the quickest way to look at a file frame by frame.

use leptos::prelude::*;

use crate::player::Player;

/// A query parameter of the page URL, decoded.
pub fn query(name: &str) -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    search.trim_start_matches('?').split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        (key == name).then(|| js_sys::decode_uri_component(value).ok()?.as_string())?
    })
}

#[component]
pub fn BenchPlayerPage() -> impl IntoView {
    let src = query("src").unwrap_or_default();
    let width = query("w").and_then(|w| w.parse().ok()).unwrap_or(1920);
    let height = query("h").and_then(|h| h.parse().ok()).unwrap_or(1080);
    view! {
        <div class="bench" data-testid="bench-page">
            <header class="page-head">
                <h1>"Player"</h1>
                <p class="page-sub">{src.clone()}</p>
            </header>
            {if src.is_empty() {
                view! { <p class="banner error">"Name a clip: /bench/player?src=/path/to/clip.mp4"</p> }.into_any()
            } else {
                view! { <Player src=src width=width height=height label="Clip".to_string() /> }.into_any()
            }}
        </div>
    }
}
