//! The bar across the top: the product, the pages this role may use and
//! their shortcuts, and who is signed in. With sign-in off it is the bar as
//! it always was, plus a quiet way into Settings; signed out, only the brand.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::access::use_access;
use crate::components::user_menu::UserMenu;

#[component]
pub fn TopBar() -> impl IntoView {
    let access = use_access();
    let usable = move || access.role().is_some();
    let home_label = move || {
        if access.can_edit() {
            "Chorus Studio, go to Compose"
        } else {
            "Chorus Studio, go to the Library"
        }
    };
    view! {
        <header class="top-bar">
            <a class="brand" href=move || if access.can_edit() { "/" } else { "/library" } aria-label=home_label>
                <span class="brand-mark" aria-hidden="true"></span>
                <span class="brand-name">"Chorus"</span>
                <span class="brand-sub">"Studio"</span>
            </a>
            <Show when=usable>
                <nav class="top-nav" aria-label="Pages">
                    <Show when=move || access.can_edit()>
                        <A href="/" exact=true attr:data-testid="nav-compose" attr:aria-keyshortcuts="Alt+1">
                            "Compose"
                            <kbd class="nav-kbd" aria-hidden="true">"Alt 1"</kbd>
                        </A>
                    </Show>
                    <A href="/library" attr:data-testid="nav-library" attr:aria-keyshortcuts="Alt+2">
                        "Library"
                        <kbd class="nav-kbd" aria-hidden="true">"Alt 2"</kbd>
                    </A>
                    <A href="/campaigns" attr:data-testid="nav-campaigns">"Campaigns"</A>
                </nav>
                <div class="top-end">
                    {move || if access.user().is_some() {
                        view! { <UserMenu /> }.into_any()
                    } else {
                        view! {
                            <A href="/settings" attr:class="top-settings" attr:data-testid="nav-settings" attr:title="Settings: budget, spend and the audit log">
                                <svg class="gear" viewBox="0 0 16 16" aria-hidden="true"><path d="M6.9 1h2.2l.4 1.9 1.3.6 1.7-1 1.5 1.5-1 1.7.6 1.3L15 7v2.2l-1.9.4-.6 1.3 1 1.7-1.5 1.5-1.7-1-1.3.6L8.6 15H6.9l-.4-1.9-1.3-.6-1.7 1L2 12l1-1.7-.6-1.3L.5 8.6V6.9l1.9-.4.6-1.3-1-1.7L3.5 2l1.7 1 1.3-.6zM7.8 5.6a2.2 2.2 0 1 0 0 4.4 2.2 2.2 0 0 0 0-4.4z"></path></svg>
                                <span class="top-settings-label">"Settings"</span>
                            </A>
                        }.into_any()
                    }}
                </div>
            </Show>
        </header>
    }
}
