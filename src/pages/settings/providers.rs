//! Provider keys (owners): for each hosted provider, the environment
//! variable the server reads its key from, whether it found it, and the
//! models it opens. Keys never reach the browser; changing one means
//! setting it where the server runs and restarting it.

use chorus_core::access::ProviderKey;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::account_api;

#[component]
pub fn ProvidersSection() -> impl IntoView {
    let keys = RwSignal::new(None::<Vec<ProviderKey>>);
    let failed = RwSignal::new(None::<String>);
    spawn_local(async move {
        match account_api::provider_keys().await {
            Ok(list) => keys.set(Some(list)),
            Err(err) => failed.set(Some(err.message())),
        }
    });
    view! {
        <div class="panel" data-testid="providers-panel">
            <h2 class="panel-title">"Provider keys"</h2>
            <p class="hint">
                "Hosted models are paid with these keys. The server reads them from its environment when it starts; \
                 they are never stored in the database or shown here. To add or change one, set the variable where \
                 the server runs and restart it. A model whose key is missing is listed in Compose as unavailable, \
                 with the reason."
            </p>
            {move || failed.get().map(|p| view! { <p class="problem error" role="alert">{p}</p> })}
            {move || keys.get().map(|list| view! {
                <div class="table-wrap">
                    <table class="data-table" data-testid="provider-keys">
                        <thead>
                            <tr>
                                <th scope="col">"Provider"</th>
                                <th scope="col">"Variable"</th>
                                <th scope="col">"Key"</th>
                                <th scope="col">"Models it opens"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {list.into_iter().map(|key| view! {
                                <tr data-testid="provider-key" data-provider=key.provider.clone()>
                                    <th scope="row">{key.label}</th>
                                    <td><code>{key.variable}</code></td>
                                    <td>{if key.set {
                                        view! { <span class="chip ok" data-testid="provider-key-state">"Set"</span> }.into_any()
                                    } else {
                                        view! { <span class="chip warn" data-testid="provider-key-state">"Not set"</span> }.into_any()
                                    }}</td>
                                    <td class="provider-models">{key.models.join(", ")}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            })}
        </div>
    }
}
