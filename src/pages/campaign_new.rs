//! `/campaigns/new`: a campaign from a template and a sheet, checked and
//! priced in the browser on every keystroke (chorus-core's expansion), with
//! the half-written form kept across reloads.

use leptos::prelude::*;

use crate::access::use_access;
use crate::components::campaign::axes::Axes;
use crate::components::campaign::form::CampaignForm;
use crate::components::campaign::preview::Preview;
use crate::components::campaign::sheet_input::SheetInput;
use crate::components::campaign::submit_bar::SubmitBar;
use crate::components::campaign::template_form::TemplateForm;

#[component]
pub fn CampaignNewPage() -> impl IntoView {
    let access = use_access();
    if !access.can_edit_now() {
        return view! {
            <div class="campaign-page" data-testid="campaign-new-page">
                <section class="empty-state">
                    <h1>"New campaign"</h1>
                    <p>"Viewers can watch campaigns and their boards; an editor or owner starts them."</p>
                    <a class="button primary" href="/campaigns">"See the campaigns"</a>
                </section>
            </div>
        }
        .into_any();
    }
    let form = CampaignForm::new();
    provide_context(form);
    view! {
        <div class="campaign-page" data-testid="campaign-new-page">
            <header class="page-head">
                <a class="back-link" href="/campaigns">"← Campaigns"</a>
                <h1>"New campaign"</h1>
                <p class="page-sub">"One template and a sheet: each row × language × format becomes one clip, checked and priced as you type."</p>
            </header>
            <label class="field campaign-name">
                <span class="field-label">"Name"</span>
                <input type="text" data-testid="campaign-name" placeholder="Spring launch"
                    prop:value=move || form.draft.with(|d| d.name.clone())
                    on:input=move |ev| {
                        let name = event_target_value(&ev);
                        form.update(|d| d.name = name);
                    } />
            </label>
            <div class="campaign-columns">
                <TemplateForm />
                <SheetInput />
            </div>
            <Axes />
            <Preview />
            <SubmitBar />
        </div>
    }
    .into_any()
}
