//! The comments of one take, as a list both sides read: each at its
//! timecode and frame (or range), its drawing, its replies, and whether it
//! was made on an older version. Clicking one takes the player there.

use chorus_core::review::{Comment, Side, place};
use leptos::prelude::*;

use crate::feedback_rules::threads;

/// What the list may do beyond reading.
#[derive(Clone, Copy)]
pub struct CommentActions {
    /// Reply to a comment with this text.
    pub reply: Callback<(Comment, String)>,
    /// Resolve (true) or reopen (false); the studio only.
    pub resolve: Option<Callback<(Comment, bool)>>,
}

#[component]
pub fn CommentList(
    comments: Signal<Vec<Comment>>,
    fps: u32,
    /// The version on screen: comments on others say which they were on.
    version: Signal<u32>,
    picked: RwSignal<Option<String>>,
    on_pick: Callback<Comment>,
    actions: CommentActions,
    /// What an empty list says.
    #[prop(default = "No comments yet. Pause on a frame, write, and post; I and O mark a range.")]
    empty: &'static str,
) -> impl IntoView {
    view! {
        <ol class="comment-list" data-testid="comment-list">
            {move || {
                let all = comments.get();
                if all.is_empty() {
                    return view! { <li class="hint">{empty}</li> }.into_any();
                }
                threads(&all).into_iter().map(|(top, replies)| {
                    view! { <CommentItem top replies fps version picked on_pick actions /> }
                }).collect_view().into_any()
            }}
        </ol>
    }
}

#[component]
fn CommentItem(
    top: Comment,
    replies: Vec<Comment>,
    fps: u32,
    version: Signal<u32>,
    picked: RwSignal<Option<String>>,
    on_pick: Callback<Comment>,
    actions: CommentActions,
) -> impl IntoView {
    let id = top.id.clone();
    let is_picked = {
        let id = id.clone();
        move || picked.with(|p| p.as_deref() == Some(id.as_str()))
    };
    let replying = RwSignal::new(false);
    let reply_text = RwSignal::new(String::new());
    let sending = RwSignal::new(false);
    let on_version = top.version;
    let resolved = top.resolved_at.is_some();
    let pick = {
        let top = top.clone();
        move |_| on_pick.run(top.clone())
    };
    let send_reply = {
        let top = top.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let text = reply_text.get_untracked();
            if text.trim().is_empty() {
                return;
            }
            sending.set(true);
            actions.reply.run((top.clone(), text));
            reply_text.set(String::new());
            replying.set(false);
            sending.set(false);
        }
    };
    let resolve_button = actions.resolve.map(|resolve| {
        let top = top.clone();
        view! {
            <button type="button" class="button small" data-testid="comment-resolve"
                on:click=move |_| resolve.run((top.clone(), !resolved))>
                {if resolved { "Reopen" } else { "Resolve" }}
            </button>
        }
    });
    view! {
        <li class="comment" class:picked=is_picked class:resolved=resolved
            data-testid="comment" data-comment=id data-frame=top.frame.to_string()>
            <button type="button" class="comment-place" data-testid="comment-place"
                title="Show this frame and its drawing" on:click=pick>
                {place(top.frame, top.frame_out, fps)}
            </button>
            <div class="comment-body">
                <p class="comment-meta">
                    <strong>{top.author.clone()}</strong>
                    {(top.side == Side::Studio).then(|| view! { <span class="chip muted">"Studio"</span> })}
                    {move || (version.get() != on_version).then(|| view! {
                        <span class="chip warn" data-testid="comment-version" title="Written on another version of this take">{format!("on v{on_version}")}</span>
                    })}
                    {top.shape.as_ref().map(|s| view! { <span class="chip muted">{s.label()}</span> })}
                    {resolved.then(|| view! { <span class="chip ok">"Resolved"</span> })}
                </p>
                <p class="comment-text">{top.text.clone()}</p>
                {(!replies.is_empty()).then(|| view! {
                    <ol class="replies">
                        {replies.into_iter().map(|r| view! {
                            <li class="reply" data-testid="comment-reply">
                                <strong>{r.author.clone()}</strong>
                                {(r.side == Side::Studio && r.author != "Studio").then(|| view! { <span class="chip muted">"Studio"</span> })}
                                " "
                                <span>{r.text.clone()}</span>
                            </li>
                        }).collect_view()}
                    </ol>
                })}
                <div class="comment-actions">
                    <button type="button" class="button small ghost" data-testid="comment-reply-open"
                        on:click=move |_| replying.update(|r| *r = !*r)>"Reply"</button>
                    {resolve_button}
                </div>
                {move || replying.get().then(|| view! {
                    <form class="reply-form" on:submit=send_reply.clone()>
                        <input type="text" maxlength="2000" placeholder="Reply…" aria-label="Reply"
                            data-testid="reply-text"
                            prop:value=move || reply_text.get()
                            on:input=move |ev| reply_text.set(event_target_value(&ev)) />
                        <button type="submit" class="button small primary" disabled=move || sending.get()>"Send"</button>
                    </form>
                })}
            </div>
        </li>
    }
}
