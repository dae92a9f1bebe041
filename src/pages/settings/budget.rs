//! Budget and spend (owners): the studio's monthly limit and any
//! per-person limits inside it, typed in dollars (empty for none); and a
//! month's spend, settled and reserved for running jobs, per model and per
//! person. A job that would pass a limit is refused before anything is
//! sent to a provider.

use chorus_core::access::{Budget, Spend, SpendLine, UserBudget, UserView, dollars};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::access::use_access;
use crate::access_rules::{dollars_field, parse_dollars, shift_month};
use crate::account_api;

/// One person's limit as typed.
#[derive(Clone)]
struct PersonLimit {
    user_id: String,
    email: String,
    typed: RwSignal<String>,
    problem: RwSignal<Option<String>>,
}

#[component]
pub fn BudgetSection() -> impl IntoView {
    let access = use_access();
    // The month shown; `None` until the server says which month it is.
    let month = RwSignal::new(None::<String>);
    let this_month = RwSignal::new(None::<String>);
    let spend = RwSignal::new(None::<Result<Spend, String>>);
    let studio_typed = RwSignal::new(String::new());
    let studio_problem = RwSignal::new(None::<String>);
    let people = RwSignal::new(Vec::<PersonLimit>::new());
    let saving = RwSignal::new(false);
    let saved = RwSignal::new(None::<Result<(), String>>);

    let fill_form = move |budget: &Budget, users: &[UserView]| {
        studio_typed.set(budget.studio_usd_micros.map(dollars_field).unwrap_or_default());
        studio_problem.set(None);
        people.set(
            users
                .iter()
                .map(|u| PersonLimit {
                    user_id: u.id.clone(),
                    email: u.email.clone(),
                    typed: RwSignal::new(
                        budget
                            .users
                            .iter()
                            .find(|b| b.user_id == u.id)
                            .map(|b| dollars_field(b.usd_micros))
                            .unwrap_or_default(),
                    ),
                    problem: RwSignal::new(None),
                })
                .collect(),
        );
    };
    let users = StoredValue::new(Vec::<UserView>::new());
    // This month and the form first, with the people limits can be set for.
    let sign_in_on = access.me.with_untracked(|m| m.sign_in_required);
    spawn_local(async move {
        let answer = account_api::spend(None).await;
        if sign_in_on && let Ok(list) = account_api::users().await {
            users.set_value(list);
        }
        if let Ok(now) = &answer {
            this_month.set(Some(now.month.clone()));
            month.set(Some(now.month.clone()));
            users.with_value(|u| fill_form(&now.budget, u));
        }
        spend.set(Some(answer.map_err(|e| e.message())));
    });
    // Another month: only its spend.
    Effect::new(move |previous: Option<Option<String>>| {
        let shown = month.get();
        if let Some(Some(_)) = previous
            && let Some(wanted) = shown.clone()
        {
            spawn_local(async move {
                let answer = account_api::spend(Some(&wanted)).await;
                if month.get_untracked().as_deref() == Some(wanted.as_str()) {
                    spend.set(Some(answer.map_err(|e| e.message())));
                }
            });
        }
        shown
    });

    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if saving.get_untracked() {
            return;
        }
        saved.set(None);
        let mut ok = true;
        let studio = match parse_dollars(&studio_typed.get_untracked()) {
            Ok(v) => {
                studio_problem.set(None);
                v
            }
            Err(why) => {
                studio_problem.set(Some(why));
                ok = false;
                None
            }
        };
        let mut limits = Vec::new();
        for person in people.get_untracked() {
            match parse_dollars(&person.typed.get_untracked()) {
                Ok(Some(usd_micros)) => {
                    person.problem.set(None);
                    limits.push(UserBudget {
                        user_id: person.user_id.clone(),
                        usd_micros,
                    });
                }
                Ok(None) => person.problem.set(None),
                Err(why) => {
                    person.problem.set(Some(why));
                    ok = false;
                }
            }
        }
        if !ok {
            return;
        }
        let budget = Budget {
            studio_usd_micros: studio,
            users: limits,
        };
        saving.set(true);
        spawn_local(async move {
            match account_api::set_budget(&budget).await {
                Ok(now) => {
                    users.with_value(|u| fill_form(&now.budget, u));
                    if month.get_untracked() == Some(now.month.clone()) {
                        spend.set(Some(Ok(now)));
                    }
                    saved.set(Some(Ok(())));
                }
                Err(err) => saved.set(Some(Err(err.message()))),
            }
            saving.set(false);
        });
    };
    let step = move |by: i32| {
        month.update(|m| {
            if let Some(next) = m.as_deref().and_then(|m| shift_month(m, by)) {
                *m = Some(next);
            }
        });
    };
    let at_latest = move || month.get().is_some() && month.get() == this_month.get();

    view! {
        <form class="panel budget-form" on:submit=save novalidate=true data-testid="budget-form">
            <h2 class="panel-title">"Monthly limits"</h2>
            <p class="hint">"Each job's estimated cost is held when it is made and settled to what the provider charged. A job that would pass a limit is refused before anything is sent."</p>
            <label class="field">
                <span class="field-label">"Studio, per month"</span>
                <span class="money-input">
                    <span class="money-sign" aria-hidden="true">"$"</span>
                    <input type="text" inputmode="decimal" autocomplete="off" placeholder="No limit"
                        data-testid="budget-studio"
                        aria-invalid=move || studio_problem.with(Option::is_some).to_string()
                        prop:value=move || studio_typed.get() on:input=move |ev| studio_typed.set(event_target_value(&ev)) />
                </span>
                <span class="hint">"Empty for no limit."</span>
            </label>
            {move || studio_problem.get().map(|p| view! { <p class="problem error" data-testid="budget-studio-problem">{p}</p> })}
            {move || (!people.with(Vec::is_empty)).then(|| view! {
                <fieldset class="people-limits">
                    <legend class="field-label">"Per person, within the studio's"</legend>
                    <ul class="limit-list">
                        {people.get().into_iter().map(|p| {
                            let PersonLimit { email, typed, problem, .. } = p;
                            view! {
                                <li class="limit-row" data-testid="budget-user" data-email=email.clone()>
                                    <span class="limit-who">{email.clone()}</span>
                                    <span class="money-input">
                                        <span class="money-sign" aria-hidden="true">"$"</span>
                                        <input type="text" inputmode="decimal" autocomplete="off" placeholder="No limit"
                                            aria-label=format!("Monthly limit of {email}")
                                            data-testid="budget-user-limit"
                                            aria-invalid=move || problem.with(Option::is_some).to_string()
                                            prop:value=move || typed.get() on:input=move |ev| typed.set(event_target_value(&ev)) />
                                    </span>
                                    {move || problem.get().map(|p| view! { <span class="problem error">{p}</span> })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                </fieldset>
            })}
            <div class="row-actions">
                <button type="submit" class="button primary" data-testid="budget-save"
                    aria-disabled=move || saving.get().to_string()>
                    {move || if saving.get() { "Saving…" } else { "Save limits" }}
                </button>
                {move || saved.get().map(|r| match r {
                    Ok(()) => view! { <span class="saved" role="status" data-testid="budget-saved">"Saved"</span> }.into_any(),
                    Err(why) => view! { <span class="problem error" role="alert" data-testid="budget-error">{why}</span> }.into_any(),
                })}
            </div>
        </form>
        <div class="panel spend" data-testid="spend">
            <div class="spend-head">
                <h2 class="panel-title">"Spend"</h2>
                <div class="month-step" role="group" aria-label="Month">
                    <button type="button" class="icon-button" aria-label="Previous month" data-testid="spend-prev"
                        disabled=move || month.with(Option::is_none) on:click=move |_| step(-1)>"‹"</button>
                    <span class="month" data-testid="spend-month">{move || month.get().unwrap_or_default()}</span>
                    <button type="button" class="icon-button" aria-label="Next month" data-testid="spend-next"
                        disabled=at_latest on:click=move |_| step(1)>"›"</button>
                </div>
            </div>
            {move || match spend.get() {
                None => view! { <p class="hint">"Loading…"</p> }.into_any(),
                Some(Err(why)) => view! { <p class="banner error" role="alert">{format!("Could not load the spend: {why}")}</p> }.into_any(),
                Some(Ok(s)) => view! { <SpendView spend=s current=at_latest() /> }.into_any(),
            }}
        </div>
    }
}

#[component]
fn SpendView(spend: Spend, current: bool) -> impl IntoView {
    let used = spend.spent_usd_micros + spend.reserved_usd_micros;
    let limit = spend.budget.studio_usd_micros.filter(|_| current);
    let share = |part: u64| match limit {
        Some(l) if l > 0 => (part as f64 / l as f64 * 100.0).min(100.0),
        _ => 0.0,
    };
    view! {
        <dl class="spend-figures">
            <div>
                <dt>"Spent"</dt>
                <dd data-testid="spend-spent">{dollars(spend.spent_usd_micros)}</dd>
            </div>
            <div>
                <dt>"Reserved"</dt>
                <dd data-testid="spend-reserved" title="Held for jobs still running">{dollars(spend.reserved_usd_micros)}</dd>
            </div>
            {current.then(|| view! {
                <div>
                    <dt>"Left"</dt>
                    <dd data-testid="spend-left">{spend.left_usd_micros.map_or_else(|| "No limit".to_string(), |l| {
                        format!("{} of {}", dollars(l), limit.map(dollars).unwrap_or_default())
                    })}</dd>
                </div>
            })}
        </dl>
        {limit.map(|l| view! {
            <div class="spend-bar" role="img"
                aria-label=format!("{} of {} used or held", dollars(used), dollars(l))
                class:over={used >= l}>
                <span class="spent" style=format!("width:{:.2}%", share(spend.spent_usd_micros))></span>
                <span class="reserved" style=format!("width:{:.2}%", share(spend.reserved_usd_micros))></span>
            </div>
        })}
        <SpendTable title="Per model" who="Model" lines=spend.by_model testid="spend-by-model" />
        <SpendTable title="Per person" who="Who" lines=spend.by_user testid="spend-by-user" />
    }
}

#[component]
fn SpendTable(
    title: &'static str,
    who: &'static str,
    lines: Vec<SpendLine>,
    testid: &'static str,
) -> impl IntoView {
    view! {
        <h3 class="table-title">{title}</h3>
        {if lines.is_empty() {
            view! { <p class="empty-hint" data-testid=testid>"Nothing spent in this month."</p> }.into_any()
        } else {
            view! {
                <div class="table-wrap">
                    <table class="data-table" data-testid=testid>
                        <thead>
                            <tr>
                                <th scope="col">{who}</th>
                                <th scope="col" class="num">"Jobs"</th>
                                <th scope="col" class="num">"Spent"</th>
                                <th scope="col" class="num">"Reserved"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {lines.into_iter().map(|line| view! {
                                <tr data-key=line.key.clone()>
                                    <th scope="row">{line.label}</th>
                                    <td class="num">{line.jobs}</td>
                                    <td class="num">{dollars(line.spent_usd_micros)}</td>
                                    <td class="num">{dollars(line.reserved_usd_micros)}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }.into_any()
        }}
    }
}
