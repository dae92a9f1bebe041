//! The bar across the top: the product, the two pages, and their shortcuts.

use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn TopBar() -> impl IntoView {
    view! {
        <header class="top-bar">
            <a class="brand" href="/" aria-label="Chorus Studio, go to Compose">
                <span class="brand-mark" aria-hidden="true"></span>
                <span class="brand-name">"Chorus"</span>
                <span class="brand-sub">"Studio"</span>
            </a>
            <nav class="top-nav" aria-label="Pages">
                <A href="/" exact=true attr:data-testid="nav-compose" attr:aria-keyshortcuts="Alt+1">
                    "Compose"
                    <kbd class="nav-kbd" aria-hidden="true">"Alt 1"</kbd>
                </A>
                <A href="/library" attr:data-testid="nav-library" attr:aria-keyshortcuts="Alt+2">
                    "Library"
                    <kbd class="nav-kbd" aria-hidden="true">"Alt 2"</kbd>
                </A>
            </nav>
        </header>
    }
}
