//! The studio's review panel on a job card: share some takes as a link
//! (its options shown and changeable later), the links made so far with who
//! opened them, and what reviewers said, with replies, resolving and the
//! exports an editor takes to Resolve.

use chorus_core::job::versions_of;
use chorus_core::review::{
    Comment, Downloads, NewComment, NewReviewLink, ReviewLink, ReviewLinkChange,
};
use chorus_core::Job;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::comments::{CommentActions, CommentList};
use super::feedback::FeedbackStore;
use crate::feedback_rules::summary;
use crate::review_api;

fn take_name(job: &Job, index: usize) -> String {
    let output = &job.outputs[index];
    output
        .language
        .map(|l| l.display_name().to_string())
        .or_else(|| output.name.clone())
        .unwrap_or_else(|| format!("Take {}", index + 1))
}

fn when(ms: i64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
    String::from(date.to_locale_string("en-GB", &wasm_bindgen::JsValue::UNDEFINED))
}

fn link_state(link: &ReviewLink) -> (&'static str, String) {
    let now = crate::dom::epoch_ms();
    if let Some(at) = link.revoked_at {
        return ("closed", format!("Revoked {}", when(at)));
    }
    match link.expires_at {
        Some(at) if at <= now => ("closed", format!("Expired {}", when(at))),
        Some(at) => ("open", format!("Open until {}", when(at))),
        None => ("open", "Open, never expires".to_string()),
    }
}

#[component]
pub fn ReviewPanel(job: Job) -> impl IntoView {
    let store = expect_context::<FeedbackStore>();
    // Viewers read the feedback and reply; sharing is for editors.
    let editor = crate::access::use_access().can_edit_now();
    let job_id = job.id.clone();
    store.want(&job_id);
    let sharing = {
        let id = job_id.clone();
        Memo::new(move |_| store.sharing.with(|s| s.contains(&id)))
    };
    let open = {
        let id = job_id.clone();
        Memo::new(move |_| store.reading.with(|s| s.contains(&id)))
    };
    let summary_text = {
        let id = job_id.clone();
        move || summary(&store.comments(&id), &store.decisions(&id))
    };
    let (share_id, read_id) = (job_id.clone(), job_id.clone());
    view! {
        <div class="review-panel" data-testid="review-panel">
            <div class="review-row">
                {editor.then(move || view! {
                    <button type="button" class="button small" data-testid="share-open"
                        aria-expanded=move || sharing.get().to_string()
                        title="Make a link a client can open to watch, comment and approve"
                        on:click=move |_| FeedbackStore::toggle(store.sharing, &share_id)>"Share for review"</button>
                })}
                <button type="button" class="button small ghost" data-testid="feedback-open"
                    aria-expanded=move || open.get().to_string()
                    on:click=move |_| FeedbackStore::toggle(store.reading, &read_id)>
                    {let s = summary_text.clone(); move || s().unwrap_or_else(|| "No review feedback yet".into())}
                </button>
            </div>
            {let job = job.clone(); move || (editor && sharing.get()).then(|| view! { <ShareForm job=job.clone() /> })}
            {let job = job.clone(); move || open.get().then(|| view! { <FeedbackView job=job.clone() /> })}
        </div>
    }
}

#[component]
fn ShareForm(job: Job) -> impl IntoView {
    let originals: Vec<usize> = (0..job.outputs.len())
        .filter(|&i| job.outputs[i].revision.is_none())
        .collect();
    let picked = RwSignal::new(originals.clone());
    let expiry = RwSignal::new("30".to_string());
    let passcode = RwSignal::new(String::new());
    let downloads = RwSignal::new(Downloads::AfterApproval);
    let approvals = RwSignal::new(true);
    let verdicts = RwSignal::new(true);
    let store = expect_context::<FeedbackStore>();
    let created = {
        let id = job.id.clone();
        Signal::derive(move || store.made.with(|m| m.get(&id).cloned()))
    };
    let problem = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let links = RwSignal::new(Vec::<ReviewLink>::new());
    let job_id = job.id.clone();
    let reload = {
        let id = job_id.clone();
        move || {
            let id = id.clone();
            spawn_local(async move {
                if let Ok(found) = review_api::links(&id).await {
                    links.set(found.links);
                }
            });
        }
    };
    // Read again whenever a reviewer opens, comments or decides.
    Effect::new({
        let reload = reload.clone();
        move |_| {
            store.changes.track();
            reload();
        }
    });
    let create = {
        let id = job_id.clone();
        let reload = reload.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let request = NewReviewLink {
                takes: picked.get_untracked(),
                expires_in_days: expiry.get_untracked().parse().ok(),
                passcode: Some(passcode.get_untracked()).filter(|p| !p.is_empty()),
                downloads: downloads.get_untracked(),
                approvals: approvals.get_untracked(),
                verdicts: verdicts.get_untracked(),
            };
            let id = id.clone();
            let reload = reload.clone();
            busy.set(true);
            spawn_local(async move {
                match review_api::create_link(&id, &request).await {
                    Ok(made) => {
                        let origin = web_sys::window()
                            .and_then(|w| w.location().origin().ok())
                            .unwrap_or_default();
                        store.made.update(|m| {
                            m.insert(id.clone(), format!("{origin}{}", made.path));
                        });
                        problem.set(None);
                        reload();
                    }
                    Err(err) => problem.set(Some(err.message())),
                }
                busy.set(false);
            });
        }
    };
    let copy = move |_| {
        if let (Some(url), Some(window)) = (created.get_untracked(), web_sys::window()) {
            let _ = window.navigator().clipboard().write_text(&url);
        }
    };
    let names: Vec<(usize, String, usize)> = originals
        .iter()
        .map(|&i| (i, take_name(&job, i), versions_of(&job.outputs, i).len()))
        .collect();
    view! {
        <form class="share-form" data-testid="share-form" on:submit=create>
            <fieldset>
                <legend>"Takes"</legend>
                {names.into_iter().map(|(i, name, versions)| view! {
                    <label class="check">
                        <input type="checkbox" data-testid="share-take"
                            prop:checked=move || picked.with(|p| p.contains(&i))
                            on:change=move |_| picked.update(|p| if let Some(at) = p.iter().position(|&x| x == i) { p.remove(at); } else { p.push(i); p.sort_unstable(); }) />
                        {name}
                        {(versions > 1).then(|| view! { <span class="hint-inline">{format!(" ({versions} versions)")}</span> })}
                    </label>
                }).collect_view()}
            </fieldset>
            <div class="share-options">
                <label>"Expires"
                    <select data-testid="share-expiry" on:change=move |ev| expiry.set(event_target_value(&ev))>
                        <option value="7">"in 7 days"</option>
                        <option value="30" selected=true>"in 30 days"</option>
                        <option value="90">"in 90 days"</option>
                        <option value="never">"never (until revoked)"</option>
                    </select>
                </label>
                <label>"Passcode"
                    <input type="text" autocomplete="off" maxlength="128" placeholder="optional" data-testid="share-passcode"
                        prop:value=move || passcode.get() on:input=move |ev| passcode.set(event_target_value(&ev)) />
                </label>
                <label>"Downloads"
                    <select data-testid="share-downloads" on:change=move |ev| {
                        if let Some(d) = Downloads::parse(&event_target_value(&ev)) { downloads.set(d); }
                    }>
                        {Downloads::ALL.into_iter().map(|d| view! {
                            <option value=d.as_str() selected=d == Downloads::AfterApproval>{d.label()}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label class="check"><input type="checkbox" prop:checked=move || approvals.get()
                    on:change=move |_| approvals.update(|a| *a = !*a) />"Approvals"</label>
                <label class="check"><input type="checkbox" prop:checked=move || verdicts.get()
                    on:change=move |_| verdicts.update(|v| *v = !*v) />"Show lip-sync verdicts"</label>
            </div>
            <button type="submit" class="button primary small" data-testid="share-create"
                disabled=move || busy.get() || picked.with(Vec::is_empty)>"Create link"</button>
            {move || problem.get().map(|p| view! { <p class="problem error" role="alert">{p}</p> })}
            {move || created.get().map(|url| view! {
                <div class="share-made" role="status">
                    <input type="text" readonly=true class="share-url" data-testid="share-url" prop:value=url.clone() />
                    <button type="button" class="button small" on:click=copy>"Copy"</button>
                    <p class="hint">"Shown this once: Chorus keeps only a fingerprint of it. Make a new link if it is lost."</p>
                </div>
            })}
        </form>
        <LinkList links reload=Callback::new(move |()| reload()) />
    }
}

#[component]
fn LinkList(links: RwSignal<Vec<ReviewLink>>, reload: Callback<()>) -> impl IntoView {
    let problem = RwSignal::new(None::<String>);
    // Every change goes to the server, then the list is read again.
    let change = move |id: String, change: ReviewLinkChange| {
        spawn_local(async move {
            if let Err(err) = review_api::change_link(&id, &change).await {
                problem.set(Some(err.message()));
            }
            reload.run(());
        });
    };
    let revoke = move |id: String| {
        spawn_local(async move {
            if let Err(err) = review_api::revoke_link(&id).await {
                problem.set(Some(err.message()));
            }
            reload.run(());
        });
    };
    view! {
        {move || problem.get().map(|p| view! { <p class="problem error" role="alert">{p}</p> })}
        <ul class="link-list" data-testid="link-list">
            {move || links.get().into_iter().map(|link| {
                let (state, words) = link_state(&link);
                let opened = link.opened.first().map_or_else(
                    || "Not opened yet".to_string(),
                    |o| format!("Last opened by {} {}", if o.name.is_empty() { "someone" } else { &o.name }, when(o.at)),
                );
                let (id1, id2, id3, id4, id5, id6) = (link.id.clone(), link.id.clone(), link.id.clone(), link.id.clone(), link.id.clone(), link.id.clone());
                let (id7, id8) = (link.id.clone(), link.id.clone());
                let new_code = RwSignal::new(String::new());
                let has_passcode = link.has_passcode;
                let visits = link.opened.clone();
                let current = link.downloads;
                view! {
                    <li class=format!("link {state}") data-testid="review-link" data-state=state>
                        <span class="link-state">{words}</span>
                        <span class="hint-inline">{format!("{} take(s){}", link.takes.len(), if link.has_passcode { " · passcode" } else { "" })}</span>
                        <span class="hint-inline">{format!("{opened} · {} comments · {} decisions", link.comments, link.decisions)}</span>
                        {(visits.len() > 1).then(|| view! {
                            <details class="link-visits">
                                <summary>{format!("{} visits", visits.len())}</summary>
                                <ul>
                                    {visits.iter().map(|o| view! {
                                        <li>{format!("{} · {}", if o.name.is_empty() { "someone" } else { &o.name }, when(o.at))}</li>
                                    }).collect_view()}
                                </ul>
                            </details>
                        })}
                        {(state == "open").then(|| view! {
                            <span class="link-options">
                                <select aria-label="Downloads" data-testid="link-downloads" on:change=move |ev| {
                                    if let Some(d) = Downloads::parse(&event_target_value(&ev)) {
                                        change(id1.clone(), ReviewLinkChange { downloads: Some(d), ..ReviewLinkChange::default() });
                                    }
                                }>
                                    {Downloads::ALL.into_iter().map(|d| view! { <option value=d.as_str() selected=d == current>{d.label()}</option> }).collect_view()}
                                </select>
                                <label class="check"><input type="checkbox" prop:checked=link.approvals data-testid="link-approvals"
                                    on:change=move |ev| change(id2.clone(), ReviewLinkChange { approvals: Some(event_target_checked(&ev)), ..ReviewLinkChange::default() }) />"Approvals"</label>
                                <label class="check"><input type="checkbox" prop:checked=link.verdicts data-testid="link-verdicts"
                                    on:change=move |ev| change(id3.clone(), ReviewLinkChange { verdicts: Some(event_target_checked(&ev)), ..ReviewLinkChange::default() }) />"Lip-sync verdicts"</label>
                            </span>
                            <span class="link-passcode">
                                <input type="text" autocomplete="off" maxlength="128" aria-label="New passcode"
                                    placeholder=if has_passcode { "new passcode" } else { "add a passcode" }
                                    prop:value=move || new_code.get() on:input=move |ev| new_code.set(event_target_value(&ev)) />
                                <button type="button" class="button small" data-testid="link-passcode"
                                    disabled=move || new_code.with(String::is_empty)
                                    title="Reviewers who opened it must enter the new one"
                                    on:click=move |_| change(id7.clone(), ReviewLinkChange { passcode: Some(Some(new_code.get_untracked())), ..ReviewLinkChange::default() })>
                                    {if has_passcode { "Change passcode" } else { "Set passcode" }}
                                </button>
                                {has_passcode.then(|| view! {
                                    <button type="button" class="button small" data-testid="link-passcode-remove"
                                        on:click=move |_| change(id8.clone(), ReviewLinkChange { passcode: Some(None), ..ReviewLinkChange::default() })>"Remove passcode"</button>
                                })}
                            </span>
                            <span class="link-actions">
                                <button type="button" class="button small" data-testid="link-extend"
                                    title="Keep it open 30 days from today"
                                    on:click=move |_| change(id4.clone(), ReviewLinkChange { expires_in_days: Some(Some(30)), ..ReviewLinkChange::default() })>"Extend 30 days"</button>
                                <button type="button" class="button small" data-testid="link-never"
                                    title="Keep it open until you revoke it"
                                    on:click=move |_| change(id5.clone(), ReviewLinkChange { expires_in_days: Some(None), ..ReviewLinkChange::default() })>"Never expire"</button>
                                <button type="button" class="button small danger" data-testid="link-revoke"
                                    title="Close it now, open pages included"
                                    on:click=move |_| revoke(id6.clone())>"Revoke"</button>
                            </span>
                        })}
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}

#[component]
fn FeedbackView(job: Job) -> impl IntoView {
    let store = expect_context::<FeedbackStore>();
    let job_id = job.id.clone();
    let originals: Vec<usize> = (0..job.outputs.len())
        .filter(|&i| job.outputs[i].revision.is_none())
        .collect();
    let picked = RwSignal::new(None::<String>);
    let reply = {
        let id = job_id.clone();
        Callback::new(move |(parent, text): (Comment, String)| {
            let id = id.clone();
            spawn_local(async move {
                let comment = NewComment {
                    take: parent.take,
                    frame: parent.frame,
                    frame_out: None,
                    author: "Studio".into(),
                    text,
                    shape: None,
                    parent: Some(parent.id.clone()),
                };
                if let Ok(made) = review_api::reply(&id, &comment).await {
                    store.keep_comment(&id, made);
                }
            });
        })
    };
    let resolve = {
        let id = job_id.clone();
        Callback::new(move |(comment, resolved): (Comment, bool)| {
            let id = id.clone();
            spawn_local(async move {
                if let Ok(made) = review_api::resolve(&comment.id, resolved).await {
                    store.keep_comment(&id, made);
                }
            });
        })
    };
    let actions = CommentActions {
        reply,
        resolve: Some(resolve),
    };
    // The take opens in the card's player at the comment's frame.
    let on_pick = {
        let id = job_id.clone();
        Callback::new(move |c: Comment| {
            store.focus.set(Some((id.clone(), c.take, c.id.clone(), c.frame)));
        })
    };
    view! {
        <div class="feedback-view" data-testid="feedback-view">
            <p class="exports">
                "Export comments: "
                <a class="button small" href=review_api::export_href(&job_id, "csv", None) download="" data-testid="export-csv">"CSV"</a>
                <a class="button small" href=review_api::export_href(&job_id, "edl", None) download="" data-testid="export-edl"
                    title="Markers DaVinci Resolve imports onto a timeline">"EDL for Resolve"</a>
            </p>
            {originals.into_iter().map(|original| {
                let id = job_id.clone();
                let id2 = job_id.clone();
                let name = take_name(&job, original);
                let fps = job.outputs[original].fps;
                let versions = versions_of(&job.outputs, original);
                let newest = versions.last().map_or(1, |&i| job.outputs[i].version());
                let members = versions.clone();
                let comments = Signal::derive(move || {
                    store.comments(&id).into_iter().filter(|c| members.contains(&c.take)).collect::<Vec<_>>()
                });
                let decision = move || store.decisions(&id2).into_iter().filter(|d| d.take == original).max_by_key(|d| d.at);
                view! {
                    <section class="feedback-take" data-testid="feedback-take">
                        <h4>{name}
                            {move || decision().map(|d| view! {
                                <span class=format!("chip {}", if d.verdict == chorus_core::review::Verdict::Approved { "ok" } else { "warn" })
                                    data-testid="feedback-decision" title=d.note.clone().unwrap_or_default()>
                                    {format!("{} by {} (v{})", d.verdict.label(), d.author, d.version)}
                                </span>
                            })}
                        </h4>
                        <CommentList comments fps version=Signal::derive(move || newest) picked on_pick actions empty="No comments on this take." />
                    </section>
                }
            }).collect_view()}
        </div>
    }
}

