//! The review page, `/r/{token}`: what a client sees from a link, with no
//! studio around it. A name once (kept in this browser), then the shared
//! takes frame-exactly, their versions, comments on an exact frame or range
//! with a drawing, and a decision per take; everything the studio or other
//! reviewers add arrives live.

use chorus_core::review::{
    Comment, Decision, Downloads, NewComment, NewDecision, Review, ReviewTake, Shape, Verdict,
};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_params_map;

use crate::live_feed::{LiveFeed, json_handler};
use crate::player::grid::{GridTake, PlayerGrid};
use crate::player::keys::Command;
use crate::player::{Player, PlayerLink};
use crate::review::comments::{CommentActions, CommentList};
use crate::player::markers::markers_of;
use crate::review::shapes::{ShapesLayer, ToolPicker};
use crate::review_api;
use crate::sketch::Tool;

const NAME_KEY: &str = "chorus.review.name";

fn stored_name() -> String {
    web_sys::window()
        .and_then(|w| w.local_storage().ok().flatten())
        .and_then(|s| s.get_item(NAME_KEY).ok().flatten())
        .unwrap_or_default()
}

fn store_name(name: &str) {
    if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = storage.set_item(NAME_KEY, name);
    }
}

#[derive(Clone, PartialEq)]
enum Phase {
    Loading,
    Passcode(Option<String>),
    /// The link is closed (revoked or expired), or never existed.
    Gone(String),
    Ready,
}

fn take_title(take: &ReviewTake) -> String {
    take.language
        .map(|l| l.display_name().to_string())
        .or_else(|| take.name.clone())
        .unwrap_or_else(|| format!("Take {}", take.original + 1))
}

fn upsert<T: Clone>(list: &mut Vec<T>, item: T, same: impl Fn(&T) -> bool) {
    match list.iter_mut().find(|k| same(k)) {
        Some(known) => *known = item,
        None => list.push(item),
    }
}

#[component]
pub fn ReviewPage() -> impl IntoView {
    let params = use_params_map();
    let token = params.with_untracked(|p| p.get("token")).unwrap_or_default();
    let phase = RwSignal::new(Phase::Loading);
    let review = RwSignal::new(None::<Review>);
    let name = RwSignal::new(stored_name());
    // The original take on screen, and which of its versions.
    let original = RwSignal::new(None::<usize>);
    let shown_take = RwSignal::new(None::<usize>);

    let load = {
        let token = token.clone();
        move || {
            let token = token.clone();
            spawn_local(async move {
                match review_api::review(&token).await {
                    Ok(loaded) => {
                        let first = loaded.takes.first().map(|t| t.original);
                        if original.get_untracked().is_none() {
                            original.set(first);
                        }
                        // A version that appeared since: show the newest.
                        let newest = original.get_untracked().and_then(|o| {
                            loaded.takes.iter().filter(|t| t.original == o).max_by_key(|t| t.version).map(|t| t.index)
                        });
                        if shown_take.get_untracked().is_none_or(|s| !loaded.takes.iter().any(|t| t.index == s)) {
                            shown_take.set(newest);
                        }
                        review.set(Some(loaded));
                        // Setting it again would build the page anew.
                        if phase.get_untracked() != Phase::Ready {
                            phase.set(Phase::Ready);
                        }
                    }
                    Err(err) => phase.set(match (err.status(), &err) {
                        (Some(401), crate::api::ApiError::Rejected { body, .. }) if body.error.code == "wrong_passcode" => Phase::Passcode(Some(err.message())),
                        (Some(401), _) => Phase::Passcode(None),
                        // Closed (410), unknown (404), or unreachable: each says why.
                        _ => Phase::Gone(err.message()),
                    }),
                }
            });
        }
    };
    load();

    // Live: comments, decisions and versions as they happen; a closed link at once.
    // Held while the review shows: a passcode asked again, or a closed
    // link, lets it go (the server ends the stream then); unlocking takes
    // it up again.
    let feed = StoredValue::new_local(None::<LiveFeed>);
    Effect::new({
        let token = token.clone();
        let load = load.clone();
        move |_| {
            if phase.get() != Phase::Ready {
                feed.set_value(None);
                return;
            }
            if feed.with_value(Option::is_some) {
                return;
            }
            let reload = load.clone();
            let reload2 = load.clone();
            let handlers: crate::live_feed::Handlers = vec![
                ("comment", json_handler(move |c: Comment| review.update(|r| if let Some(r) = r { upsert(&mut r.comments, c.clone(), |k| k.id == c.id) }))),
                ("decision", json_handler(move |d: Decision| review.update(|r| if let Some(r) = r { upsert(&mut r.decisions, d.clone(), |k| k.take == d.take) }))),
                ("job", Box::new(move |_| reload())),
                ("link", Box::new(move |_| reload2())),
                ("closed", json_handler(move |v: serde_json::Value| {
                    let message = v["message"].as_str().unwrap_or("This review link was closed by the studio").to_string();
                    // The effect lets the stream go, outside its own callback.
                    phase.set(Phase::Gone(message));
                })),
            ];
            let reopened = load.clone();
            feed.set_value(LiveFeed::listen(&format!("/r/{token}/api/events"), handlers, reopened, || {}));
        }
    });
    on_cleanup(move || feed.set_value(None));

    view! {
        <div class="review-page" data-testid="review-page">
            <header class="review-head">
                <span class="brand">"Chorus"<span class="brand-sub">" review"</span></span>
                <h1 data-testid="review-title">{move || review.with(|r| r.as_ref().map(|r| r.title.clone()).unwrap_or_default())}</h1>
            </header>
            {
                let token = token.clone();
                let load = load.clone();
                move || match phase.get() {
                Phase::Loading => view! { <p class="hint">"Opening the review…"</p> }.into_any(),
                Phase::Gone(why) => view! {
                    <section class="empty-state" data-testid="review-gone">
                        <h2>"This review is not available"</h2>
                        <p role="alert" data-testid="review-gone-message">{why}</p>
                        <p class="hint">"Ask the studio that sent it for a new link."</p>
                    </section>
                }.into_any(),
                Phase::Passcode(problem) => view! { <PasscodeGate token=token.clone() problem on_open=Callback::new({ let load = load.clone(); move |()| load() }) /> }.into_any(),
                Phase::Ready if name.with(|n| n.trim().is_empty()) => view! { <NameGate name /> }.into_any(),
                Phase::Ready => view! { <ReviewBody token=token.clone() review name original shown_take /> }.into_any(),
            }}
        </div>
    }
}

#[component]
fn PasscodeGate(token: String, problem: Option<String>, on_open: Callback<()>) -> impl IntoView {
    let code = RwSignal::new(String::new());
    let error = RwSignal::new(problem);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let token = token.clone();
        spawn_local(async move {
            match review_api::unlock(&token, &code.get_untracked()).await {
                Ok(()) => on_open.run(()),
                Err(err) => error.set(Some(err.message())),
            }
        });
    };
    view! {
        <form class="gate" data-testid="passcode-gate" on:submit=submit>
            <h2>"This review has a passcode"</h2>
            <label>"Passcode"
                <input type="password" autocomplete="off" data-testid="passcode" prop:value=move || code.get()
                    on:input=move |ev| code.set(event_target_value(&ev)) />
            </label>
            <button type="submit" class="button primary">"Open"</button>
            {move || error.get().map(|e| view! { <p class="problem error" role="alert">{e}</p> })}
        </form>
    }
}

#[component]
fn NameGate(name: RwSignal<String>) -> impl IntoView {
    let typed = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let given = typed.get_untracked().trim().to_string();
        if let Some(why) = chorus_core::review::name_problem(&given) {
            problem.set(Some(why));
            return;
        }
        // The page says hello once it shows the takes.
        store_name(&given);
        name.set(given);
    };
    view! {
        <form class="gate" data-testid="name-gate" on:submit=submit>
            <h2>"Who is reviewing?"</h2>
            <p class="hint">"Your name goes with your comments and decisions. Nothing else is asked."</p>
            <label>"Your name"
                <input type="text" maxlength="80" autocomplete="name" data-testid="reviewer-name"
                    prop:value=move || typed.get() on:input=move |ev| typed.set(event_target_value(&ev)) />
            </label>
            <button type="submit" class="button primary" data-testid="name-continue">"Continue"</button>
            {move || problem.get().map(|e| view! { <p class="problem error" role="alert">{e}</p> })}
        </form>
    }
}

#[component]
fn ReviewBody(
    token: String,
    review: RwSignal<Option<Review>>,
    name: RwSignal<String>,
    original: RwSignal<Option<usize>>,
    shown_take: RwSignal<Option<usize>>,
) -> impl IntoView {
    {
        // Said once per visit, so the studio sees who opened it.
        let token = token.clone();
        let who = name.get_untracked();
        spawn_local(async move {
            let _ = review_api::hello(&token, &who).await;
        });
    }
    let take = Memo::new(move |_| {
        let index = shown_take.get()?;
        review.with(|r| r.as_ref()?.takes.iter().find(|t| t.index == index).cloned())
    });
    let originals = Memo::new(move |_| {
        review.with(|r| {
            r.as_ref().map(|r| {
                let mut seen: Vec<ReviewTake> = Vec::new();
                for t in &r.takes {
                    if t.version == 1 || !seen.iter().any(|s| s.original == t.original) {
                        if let Some(at) = seen.iter().position(|s| s.original == t.original) {
                            seen[at] = t.clone();
                        } else {
                            seen.push(t.clone());
                        }
                    }
                }
                seen
            }).unwrap_or_default()
        })
    });
    let pick_original = move |o: usize| {
        original.set(Some(o));
        let newest = review.with_untracked(|r| {
            r.as_ref()?.takes.iter().filter(|t| t.original == o).max_by_key(|t| t.version).map(|t| t.index)
        });
        shown_take.set(newest);
    };
    let decision_of = move |o: usize| review.with(|r| r.as_ref()?.decisions.iter().find(|d| d.take == o).cloned());
    // Every take side by side in lockstep, or one take to comment on.
    let grid = RwSignal::new(false);
    let grid_takes = move || {
        originals.get().into_iter().filter_map(|o| {
            // Each take's newest version.
            review.with_untracked(|r| {
                r.as_ref()?.takes.iter().filter(|t| t.original == o.original).max_by_key(|t| t.version).map(|t| GridTake {
                    src: t.video.clone(),
                    label: take_title(t),
                    width: t.width,
                    height: t.height,
                })
            })
        }).collect::<Vec<_>>()
    };

    view! {
        <nav class="review-takes" aria-label="Takes" data-testid="review-takes">
            {move || originals.get().into_iter().map(|t| {
                let o = t.original;
                view! {
                    <button type="button" class="take-tab" class:active=move || original.get() == Some(o)
                        data-testid="review-take" data-original=o.to_string()
                        on:click=move |_| { grid.set(false); pick_original(o); }>
                        {take_title(&t)}
                        {move || decision_of(o).map(|d| view! {
                            <span class=format!("chip {}", if d.verdict == Verdict::Approved { "ok" } else { "warn" })>{d.verdict.label()}</span>
                        })}
                    </button>
                }
            }).collect_view()}
            {move || (originals.with(Vec::len) > 1).then(|| view! {
                <button type="button" class="take-tab grid-toggle" class:active=move || grid.get()
                    aria-pressed=move || grid.get().to_string() data-testid="review-grid-toggle"
                    title="Every take side by side, playing in lockstep"
                    on:click=move |_| grid.update(|g| *g = !*g)>"All side by side"</button>
            })}
        </nav>
        {move || if grid.get() {
            view! { <PlayerGrid takes=grid_takes() /> }.into_any()
        } else {
            take.get().map(|t| view! { <TakeReview token=token.clone() take=t review name shown_take /> }).into_any()
        }}
    }
}

#[component]
fn TakeReview(
    token: String,
    take: ReviewTake,
    review: RwSignal<Option<Review>>,
    name: RwSignal<String>,
    shown_take: RwSignal<Option<usize>>,
) -> impl IntoView {
    let link = PlayerLink::new();
    let tool = RwSignal::new(None::<Tool>);
    let drawn = RwSignal::new(None::<Shape>);
    let text = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let sending = RwSignal::new(false);
    let original = take.original;
    let index = take.index;
    let version = take.version;
    let fps = take.fps;
    let versions = move || {
        review.with(|r| {
            let mut v: Vec<(usize, u32)> = r.as_ref().map(|r| r.takes.iter().filter(|t| t.original == original).map(|t| (t.index, t.version)).collect()).unwrap_or_default();
            v.sort_by_key(|(_, n)| *n);
            v
        })
    };
    let members = move || versions().into_iter().map(|(i, _)| i).collect::<Vec<_>>();
    let comments = Signal::derive(move || {
        let members = members();
        review.with(|r| r.as_ref().map(|r| r.comments.iter().filter(|c| members.contains(&c.take)).cloned().collect::<Vec<_>>()).unwrap_or_default())
    });
    Effect::new(move |_| link.markers.set(markers_of(&comments.get(), original, index)));
    let shown_shapes = Signal::derive(move || {
        let picked = link.picked.get();
        let frame = link.frame.get();
        comments.with(|all| {
            all.iter()
                .filter(|c| picked.as_deref() == Some(c.id.as_str()) && c.frame <= frame && frame <= c.frame_out.unwrap_or(c.frame))
                .filter_map(|c| c.shape.clone())
                .collect()
        })
    });
    let on_pick = Callback::new(move |c: Comment| {
        if c.take != index {
            shown_take.set(Some(c.take));
        }
        link.picked.set(Some(c.id.clone()));
        link.seek.set(Some(c.frame));
    });
    let token_reply = token.clone();
    let reply = Callback::new(move |(parent, body): (Comment, String)| {
        let token = token_reply.clone();
        let comment = NewComment {
            take: parent.take,
            frame: parent.frame,
            frame_out: None,
            author: name.get_untracked(),
            text: body,
            shape: None,
            parent: Some(parent.id.clone()),
        };
        spawn_local(async move {
            if let Ok(made) = review_api::comment(&token, &comment).await {
                review.update(|r| if let Some(r) = r { upsert(&mut r.comments, made.clone(), |k| k.id == made.id) });
            }
        });
    });
    let actions = CommentActions { reply, resolve: None };
    let place_text = move || {
        let (i, o) = (link.mark_in.get(), link.mark_out.get());
        match (i, o) {
            (Some(i), Some(o)) if o > i => chorus_core::review::place(i, Some(o), fps),
            _ => chorus_core::review::place(link.frame.get(), None, fps),
        }
    };
    let token_post = token.clone();
    let post = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (frame, frame_out) = match (link.mark_in.get_untracked(), link.mark_out.get_untracked()) {
            (Some(i), Some(o)) if o > i => (i, Some(o)),
            _ => (link.frame.get_untracked(), None),
        };
        let comment = NewComment {
            take: index,
            frame,
            frame_out,
            author: name.get_untracked(),
            text: text.get_untracked(),
            shape: drawn.get_untracked(),
            parent: None,
        };
        let problems = comment.problems(link.frame_count.get_untracked().max(frame + 1));
        if let Some((_, why)) = problems.first() {
            problem.set(Some(why.clone()));
            return;
        }
        let token = token_post.clone();
        sending.set(true);
        spawn_local(async move {
            match review_api::comment(&token, &comment).await {
                Ok(made) => {
                    review.update(|r| if let Some(r) = r { upsert(&mut r.comments, made.clone(), |k| k.id == made.id) });
                    text.set(String::new());
                    drawn.set(None);
                    tool.set(None);
                    link.clear_marks.set(true);
                    problem.set(None);
                }
                Err(err) => problem.set(Some(err.message())),
            }
            sending.set(false);
        });
    };
    let approvals = move || review.with(|r| r.as_ref().is_some_and(|r| r.approvals));
    let reading = move || review.with(|r| r.as_ref()?.readings.iter().find(|x| x.take == index).cloned());
    let verdicts_on = move || review.with(|r| r.as_ref().is_some_and(|r| r.verdicts));
    let decision = move || review.with(|r| r.as_ref()?.decisions.iter().find(|d| d.take == original).cloned());
    let can_download = move || review.with(|r| r.as_ref().is_some_and(|r| match r.downloads {
        Downloads::Always => true,
        Downloads::Never => false,
        Downloads::AfterApproval => r.decisions.iter().any(|d| d.take == original && d.verdict == Verdict::Approved),
    }));
    let note = RwSignal::new(String::new());
    let asking = RwSignal::new(false);
    let token_decide = token.clone();
    let decide = Callback::new(move |verdict: Verdict| {
        let decision = NewDecision {
            take: original,
            version,
            verdict,
            note: Some(note.get_untracked()).filter(|n| !n.trim().is_empty()),
            author: name.get_untracked(),
        };
        if let Some((_, why)) = decision.problems().first() {
            problem.set(Some(why.clone()));
            return;
        }
        let token = token_decide.clone();
        spawn_local(async move {
            match review_api::decide(&token, &decision).await {
                Ok(made) => {
                    review.update(|r| if let Some(r) = r { upsert(&mut r.decisions, made.clone(), |k| k.take == made.take) });
                    asking.set(false);
                    note.set(String::new());
                }
                Err(err) => problem.set(Some(err.message())),
            }
        });
    });
    let label = take_title(&take);
    let video = take.video.clone();
    let download_href = format!("{}?download=1", take.video);

    view! {
        <div class="review-grid">
            <div class="review-stage">
                <div class="review-versions" role="group" aria-label="Versions">
                    {move || {
                        let all = versions();
                        (all.len() > 1).then(|| all.into_iter().map(|(i, n)| view! {
                            <button type="button" class="button small" class:active=move || shown_take.get() == Some(i)
                                data-testid="review-version" on:click=move |_| shown_take.set(Some(i))>{format!("v{n}")}</button>
                        }).collect_view())
                    }}
                    {move || (verdicts_on()).then(|| match reading() {
                        Some(r) => view! {
                            <span class=format!("chip sync-{:?}", r.verdict).to_lowercase() data-testid="review-reading" title=r.summary.clone()>
                                {match r.offset_ms { Some(ms) => format!("Lip-sync {ms:+.0} ms · {}", r.verdict.label()), None => format!("Lip-sync: {}", r.verdict.label().to_lowercase()) }}
                            </span>
                        }.into_any(),
                        None => view! { <span class="chip muted">"Lip-sync: measuring…"</span> }.into_any(),
                    })}
                    {move || can_download().then(|| view! {
                        <a class="button small" href=download_href.clone() download="" data-testid="review-download">"Download"</a>
                    })}
                </div>
                <Player src=video width=take.width height=take.height label=label link>
                    <ShapesLayer width=take.width height=take.height shown=shown_shapes tool drawn />
                </Player>
                <form class="composer" data-testid="composer" on:submit=post>
                    <div class="composer-head">
                        <span class="composer-place" data-testid="composer-place">{place_text}</span>
                        // A phone has no I and O keys.
                        <span class="mark-buttons" role="group" aria-label="Range">
                            <button type="button" class="button small" data-testid="mark-in" title="Start the range here (I)"
                                on:click=move |_| link.command.set(Some(Command::MarkIn))>"In"</button>
                            <button type="button" class="button small" data-testid="mark-out" title="End the range here (O)"
                                on:click=move |_| link.command.set(Some(Command::MarkOut))>"Out"</button>
                            {move || (link.mark_in.get().is_some() || link.mark_out.get().is_some()).then(|| view! {
                                <button type="button" class="button small ghost" data-testid="mark-clear" title="One frame again (X)"
                                    on:click=move |_| link.clear_marks.set(true)>"Clear"</button>
                            })}
                        </span>
                        <ToolPicker tool drawn />
                    </div>
                    <textarea rows="2" maxlength="2000" placeholder="What should change here?" aria-label="Comment"
                        data-testid="comment-text"
                        prop:value=move || text.get() on:input=move |ev| text.set(event_target_value(&ev))></textarea>
                    <div class="composer-foot">
                        <span class="hint-inline">"Pause on the frame (← → step), In and Out (I, O) for a range, draw with a tool."</span>
                        <button type="submit" class="button primary small" data-testid="comment-post" disabled=move || sending.get()>"Post comment"</button>
                    </div>
                    {move || problem.get().map(|p| view! { <p class="problem error" role="alert" data-testid="review-problem">{p}</p> })}
                </form>
                {move || approvals().then(|| view! {
                    <div class="decision-bar" data-testid="decision-bar">
                        {move || decision().map(|d| view! {
                            <span class=format!("chip {}", if d.verdict == Verdict::Approved { "ok" } else { "warn" }) data-testid="decision-standing">
                                {format!("{} by {} (v{})", d.verdict.label(), d.author, d.version)}
                            </span>
                        })}
                        <button type="button" class="button small primary" data-testid="decide-approve"
                            on:click=move |_| decide.run(Verdict::Approved)>"Approve"</button>
                        <button type="button" class="button small" data-testid="decide-changes"
                            on:click=move |_| asking.set(true)>"Request changes"</button>
                        {move || asking.get().then(|| {
                            view! {
                                <span class="decision-note">
                                    <input type="text" maxlength="2000" placeholder="What should change?" data-testid="decision-note"
                                        prop:value=move || note.get() on:input=move |ev| note.set(event_target_value(&ev)) />
                                    <button type="button" class="button small" data-testid="decide-send"
                                        on:click=move |_| decide.run(Verdict::ChangesRequested)>"Send"</button>
                                </span>
                            }
                        })}
                    </div>
                })}
            </div>
            <aside class="review-comments">
                <h2>"Comments"</h2>
                <CommentList comments fps version=Signal::derive(move || version) picked=link.picked on_pick actions />
            </aside>
        </div>
    }
}
