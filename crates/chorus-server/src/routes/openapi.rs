//! `GET /api/openapi.json`: the API as an OpenAPI 3.1 document, made once
//! from the handlers' `#[utoipa::path]` annotations and chorus-core's types
//! (their `openapi` feature), with who may call each route taken from
//! `auth::route_table`, so the two cannot disagree.
//!
//! **Adding a route.** Besides its rule in `auth::route_table`:
//! 1. put `#[utoipa::path(get, path = "/api/…", tag = "…", params(…),
//!    request_body = …, responses(…))]` on its handler, `/api` included
//!    and parameters in braces as axum writes them, the handler's doc
//!    comment giving the summary (first line) and description (the rest);
//!    list the errors it answers itself with `body = ErrorBody` (401, 403
//!    and 500 are added here from the table); give an `operation_id` if
//!    the handler's name is taken (`list`, `create`: ids are unique);
//! 2. name the handler in `paths(…)` below (and any new server-only type in
//!    `schemas(…)` if it is only reached through a `$ref`).
//!
//! `tests/openapi.rs` fails until every route in the table is described,
//! and for any description whose route is not in the table.

use std::sync::LazyLock;

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use chorus_core::access::{Need, Role};
use chorus_core::api::ErrorBody;
use utoipa::openapi::path::Operation;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{ContentBuilder, Ref, RefOr};
use utoipa::{Modify, OpenApi};

use crate::auth::route_table;
use crate::auth::sessions;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/openapi.json", get(serve))
}

/// Get this document
///
/// The API as OpenAPI 3.1 JSON, for client generators and API explorers.
#[utoipa::path(get, path = "/api/openapi.json", tag = "meta", operation_id = "openapi_document",
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json", body = Object)))]
async fn serve() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], JSON.as_str())
}

/// The document, made on first use.
pub fn document() -> &'static utoipa::openapi::OpenApi {
    &DOCUMENT
}

static DOCUMENT: LazyLock<utoipa::openapi::OpenApi> = LazyLock::new(ApiDoc::openapi);

static JSON: LazyLock<String> = LazyLock::new(|| {
    // Only maps, strings and numbers: serializing it cannot fail.
    serde_json::to_string(document()).unwrap_or_default()
});

#[derive(OpenApi)]
#[openapi(
    info(title = "Chorus", description = "The Chorus studio's HTTP API: jobs and the Library, uploads and imports, takes and their corrections, localized lines, client review, accounts, budgets and the audit log. Every error answers with `ErrorBody`."),
    paths(
        super::jobs::create, super::jobs::list, super::jobs::read, super::jobs::delete,
        super::jobs::cancel, super::jobs::restore, super::jobs::usage,
        super::uploads::upload, super::imports::import_clips, super::assets::serve,
        super::events::stream, super::models::list, super::speech_fit::fit,
        super::localize::translate, super::localize::engines,
        super::localize::read_glossary, super::localize::save_glossary,
        super::takes::shift_audio, super::webhooks::receive,
        super::reviews::create, super::reviews::list, super::reviews::change,
        super::reviews::revoke, super::reviews::feedback, super::reviews::reply,
        super::reviews::comments_csv, super::reviews::comments_edl, super::reviews::resolve,
        super::account::me, super::account::sign_in, super::account::sign_out,
        super::account::sign_out_everywhere, super::account::open_invite,
        super::account::accept_invite, super::account::list_users, super::account::invite_user,
        super::account::change_role, super::account::remove_user, super::account::invite_again,
        super::tokens::list, super::tokens::create, super::tokens::revoke,
        super::spend::report, super::spend::set_budget, super::spend::left,
        super::audit::page, super::audit::csv, super::providers::list,
        super::campaigns::create, super::campaigns::list, super::campaigns::read,
        super::campaigns::retry, super::campaigns::cancel, super::campaigns::share,
        super::campaigns::revoke, super::campaigns::export, super::campaigns::sheet,
        super::outgoing_webhooks::list, super::outgoing_webhooks::create,
        super::outgoing_webhooks::remove, super::outgoing_webhooks::test,
        super::outgoing_webhooks::rotate, super::outgoing_webhooks::deliveries,
        serve,
    ),
    components(schemas(ErrorBody, chorus_core::api::JobEvent, chorus_core::review::ReviewEvent)),
    modifiers(&FromRouteTable),
    tags(
        (name = "jobs", description = "Generating: a job per request, its takes and their corrections"),
        (name = "library", description = "Finding jobs and what they take in storage"),
        (name = "uploads", description = "Reference images"),
        (name = "imports", description = "Clips made elsewhere, as finished jobs"),
        (name = "assets", description = "Stored bytes, with Range"),
        (name = "events", description = "Server-sent events"),
        (name = "compose", description = "What Compose asks before generating"),
        (name = "localize", description = "Translated lines and the glossary"),
        (name = "webhooks", description = "Providers calling back, and the studio calling out (signed as Standard Webhooks)"),
        (name = "reviews", description = "Client review links, comments and exports"),
        (name = "accounts", description = "Signing in, invites and users"),
        (name = "tokens", description = "API tokens"),
        (name = "budget", description = "Spend, limits, provider keys and the audit log"),
        (name = "campaigns", description = "Many variants from one template and a sheet: checked, capped, reviewed, delivered"),
        (name = "meta", description = "This document"),
    ),
)]
struct ApiDoc;

/// Security scheme names.
const SESSION: &str = "session";
const API_TOKEN: &str = "api_token";

/// Writes what the route table says into each operation: its role (in
/// the description and as `x-chorus-role`), the credentials it takes, and
/// the guard's own answers (401, 403); and 500, which any route may give.
struct FromRouteTable;

impl Modify for FromRouteTable {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            SESSION,
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                sessions::COOKIE,
                "The studio's sign-in cookie, set by `POST /api/session`. A request that changes something must come from the studio's own origin.",
            ))),
        );
        components.add_security_scheme(
            API_TOKEN,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("chorus_pat_…")
                    .description(Some(
                        "An API token from Settings, as `Authorization: Bearer chorus_pat_…`; never in the address or a cookie.",
                    ))
                    .build(),
            ),
        );
        for (name, description) in [
            ("Unauthorized", "Not signed in, or the credential has ended"),
            (
                "Forbidden",
                "The caller's role or token may not do this, or a change came from another site",
            ),
            (
                "Internal",
                "Something went wrong on the server; the message says little, the log says more",
            ),
        ] {
            let body = ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build();
            let response = ResponseBuilder::new()
                .description(description)
                .content("application/json", body);
            components
                .responses
                .insert(name.into(), response.build().into());
        }
        for (path, item) in &mut doc.paths.paths {
            let operations = [
                ("GET", &mut item.get),
                ("POST", &mut item.post),
                ("PUT", &mut item.put),
                ("PATCH", &mut item.patch),
                ("DELETE", &mut item.delete),
            ];
            for (method, operation) in operations {
                if let Some(operation) = operation {
                    apply_rule(path, method, operation);
                }
            }
        }
    }
}

fn apply_rule(path: &str, method: &str, operation: &mut Operation) {
    let Some(rule) = route_table::rules()
        .iter()
        .find(|r| r.path == path && r.method.as_str() == method)
    else {
        // Not in the table: the guard refuses it, and the test says so.
        return;
    };
    let x_role = match rule.need {
        Need::Anyone => "anyone",
        Need::Role(needed) => needed.as_str(),
    };
    let needs = match rule.need {
        Need::Anyone => format!("**Who:** anyone, signed in or not (to {}).", rule.does),
        Need::Role(Role::Owner) => format!("**Who:** owners (to {}).", rule.does),
        Need::Role(Role::Editor) => format!("**Who:** editors and owners (to {}).", rule.does),
        Need::Role(Role::Viewer) => format!("**Who:** anyone signed in (to {}).", rule.does),
    };
    operation.description = Some(match operation.description.take() {
        Some(text) if !text.is_empty() => format!("{text}\n\n{needs}"),
        _ => needs,
    });
    operation
        .extensions
        .get_or_insert_with(Default::default)
        .insert("x-chorus-role".into(), x_role.into());
    let responses = &mut operation.responses.responses;
    let mut add = |status: &str, name: &str| {
        responses
            .entry(status.into())
            .or_insert_with(|| RefOr::Ref(Ref::new(format!("#/components/responses/{name}"))));
    };
    let mut security = vec![
        SecurityRequirement::new(SESSION, Vec::<String>::new()),
        SecurityRequirement::new(API_TOKEN, Vec::<String>::new()),
    ];
    if let Need::Role(_) = rule.need {
        add("401", "Unauthorized");
        add("403", "Forbidden");
    } else {
        // Open to anyone: a credential is optional (`{}`), read if sent.
        security.insert(0, SecurityRequirement::default());
        if method != "GET" {
            add("403", "Forbidden");
        }
    }
    operation.security = Some(security);
    add("500", "Internal");
}
