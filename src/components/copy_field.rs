//! Something to copy that is shown once (an invite link, an API token's
//! secret): the whole text selected on focus, and a Copy button that says
//! when it worked.

use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn CopyField(
    /// What to copy.
    value: String,
    /// What it is, for screen readers ("Invite link").
    label: &'static str,
    /// `data-testid` of the field; the button's is this with `-copy`.
    testid: &'static str,
) -> impl IntoView {
    let copied = RwSignal::new(None::<bool>);
    let text = value.clone();
    let copy = move |_| {
        let Some(window) = web_sys::window() else {
            return;
        };
        let promise = window.navigator().clipboard().write_text(&text);
        spawn_local(async move {
            let done = wasm_bindgen_futures::JsFuture::from(promise).await.is_ok();
            copied.set(Some(done));
        });
    };
    let select_all = move |ev: leptos::ev::FocusEvent| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        input.select();
    };
    view! {
        <div class="copy-field">
            <input type="text" readonly=true spellcheck="false" aria-label=label data-testid=testid
                prop:value=value on:focus=select_all />
            <button type="button" class="button small" data-testid=format!("{testid}-copy") on:click=copy>
                {move || match copied.get() {
                    Some(true) => "Copied",
                    Some(false) => "Copy failed: select and copy it",
                    None => "Copy",
                }}
            </button>
        </div>
    }
}
