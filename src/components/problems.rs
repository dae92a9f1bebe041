//! Inline problem messages under a control. Errors block generation and are
//! red; warnings only advise and are amber; the server's findings say so.

use leptos::prelude::*;

use crate::compose_state::use_compose;
use crate::fields::Field;

/// Id of the problem list for `field`, for `aria-describedby`.
pub fn problems_id(field: Field) -> String {
    format!("problems-{}", field.slug())
}

#[component]
pub fn FieldProblems(field: Field) -> impl IntoView {
    let state = use_compose();
    let slug = field.slug();
    view! {
        <ul class="field-problems" id=problems_id(field) aria-live="polite">
            <For
                each=move || state.problems_at(field).into_iter().enumerate()
                key=|(i, p)| (*i, p.problem.message.clone(), p.from_server)
                children=move |(_, placed)| {
                    let error = placed.problem.is_error();
                    let source = if placed.from_server { "server" } else { "browser" };
                    view! {
                        <li
                            class="problem"
                            class:error=error
                            class:warning=!error
                            data-testid=format!("problem-{slug}")
                            data-severity=if error { "error" } else { "warning" }
                            data-source=source
                        >
                            <span class="problem-icon" aria-hidden="true">
                                {if error { "!" } else { "i" }}
                            </span>
                            <span class="problem-text">
                                {placed.from_server.then_some("Server: ")}
                                {placed.problem.message.clone()}
                            </span>
                        </li>
                    }
                }
            />
        </ul>
    }
}
