//! The API's OpenAPI document, as a running server serves it at
//! `GET /api/openapi.json`: OpenAPI 3.1, an operation for every route in
//! `auth::route_table` and none for a route it lacks, each with its path
//! parameters, summary, tag and the table's role, and every `$ref` in it
//! resolving. A route added without its description fails here; see
//! `routes/openapi.rs` for how to describe one.

mod common;

use std::collections::BTreeSet;

use axum::http::{StatusCode, header};
use chorus_core::access::Need;
use chorus_server::auth::route_table;
use serde_json::Value;

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// The document as the server answers it.
async fn served() -> Value {
    let s = common::server().await;
    let (status, body, headers) = s.fetch("/api/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
        Some("application/json")
    );
    serde_json::from_slice(&body).expect("the document is JSON")
}

/// axum's route as OpenAPI writes it: the same `{name}`, but a catch-all
/// `{*rest}` is a plain parameter there.
fn openapi_path(axum_path: &str) -> String {
    axum_path.replace("{*", "{")
}

/// Every operation in the document, as (`GET`, path) with its object.
fn operations(doc: &Value) -> Vec<(String, String, &Value)> {
    let paths = doc["paths"].as_object().expect("paths");
    let mut found = Vec::new();
    for (path, item) in paths {
        for method in METHODS {
            if let Some(operation) = item.get(method) {
                found.push((method.to_uppercase(), path.clone(), operation));
            }
        }
    }
    found
}

#[tokio::test]
async fn the_document_describes_every_route_in_the_table_and_no_other() {
    let doc = served().await;
    let openapi = doc["openapi"].as_str().expect("an openapi version");
    assert!(openapi.starts_with("3.1"), "OpenAPI {openapi}, not 3.1");
    assert_eq!(doc["info"]["title"], "Chorus");

    let table: BTreeSet<(String, String)> = route_table::rules()
        .iter()
        .map(|r| (r.method.to_string(), openapi_path(r.path)))
        .collect();
    let described: BTreeSet<(String, String)> = operations(&doc)
        .into_iter()
        .map(|(method, path, _)| (method, path))
        .collect();
    // `METHOD path` for each route in `a` and not in `b`.
    let only_in = |a: &BTreeSet<(String, String)>, b: &BTreeSet<(String, String)>| {
        a.difference(b)
            .map(|(m, p)| format!("{m} {p}"))
            .collect::<Vec<_>>()
    };
    let missing = only_in(&table, &described);
    assert!(
        missing.is_empty(),
        "routes with no description in /api/openapi.json (annotate the handler with \
         #[utoipa::path(…)] and name it in routes/openapi.rs's paths(…)): {missing:#?}"
    );
    let stale = only_in(&described, &table);
    assert!(
        stale.is_empty(),
        "descriptions of routes auth::route_table does not list (a path or method \
         that changed?): {stale:#?}"
    );
}

#[tokio::test]
async fn each_operation_says_its_parameters_role_and_answers() {
    let doc = served().await;
    let mut ids = BTreeSet::new();
    for (method, path, operation) in operations(&doc) {
        let route = format!("{method} {path}");
        let rule = route_table::rules()
            .iter()
            .find(|r| r.method.as_str() == method && openapi_path(r.path) == path)
            .unwrap_or_else(|| panic!("{route} is not in the route table"));
        let id = operation["operationId"].as_str().unwrap_or("");
        assert!(
            ids.insert(id.to_string()),
            "{route}: operationId {id} is taken; give the handler's annotation its own"
        );
        let summary = operation["summary"].as_str().unwrap_or("");
        assert!(!summary.trim().is_empty(), "{route} has no summary");
        assert!(
            operation["tags"].as_array().is_some_and(|t| !t.is_empty()),
            "{route} has no tag"
        );

        // Every `{name}` in the path is a path parameter, and no other is.
        let in_path: BTreeSet<&str> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
            .collect();
        let declared: BTreeSet<&str> = operation["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["in"] == "path")
            .filter_map(|p| p["name"].as_str())
            .collect();
        assert_eq!(in_path, declared, "{route}: path parameters");

        // The role is the table's, in the extension and the description.
        let x_role = match rule.need {
            Need::Anyone => "anyone",
            Need::Role(needed) => needed.as_str(),
        };
        assert_eq!(operation["x-chorus-role"], x_role, "{route}: x-chorus-role");
        let description = operation["description"].as_str().unwrap_or("");
        assert!(
            description.contains(rule.does),
            "{route}: the description does not say what the table says it is for ({})",
            rule.does
        );
        let security = operation["security"].as_array().expect("security");
        let names: BTreeSet<&str> = security
            .iter()
            .filter_map(Value::as_object)
            .flat_map(|s| s.keys().map(String::as_str))
            .collect();
        assert_eq!(
            names,
            BTreeSet::from(["api_token", "session"]),
            "{route}: credentials"
        );
        let optional = security
            .iter()
            .any(|s| s.as_object().is_some_and(serde_json::Map::is_empty));
        assert_eq!(
            optional,
            rule.need == Need::Anyone,
            "{route}: a credential is optional only on a route for anyone"
        );

        // A success, the guard's refusals where it has them, and 500.
        let responses = operation["responses"].as_object().expect("responses");
        assert!(
            responses.keys().any(|code| code.starts_with('2')),
            "{route}: no success answer"
        );
        assert!(responses.contains_key("500"), "{route}: no 500");
        if let Need::Role(_) = rule.need {
            for code in ["401", "403"] {
                assert!(responses.contains_key(code), "{route}: no {code}");
            }
        }
        // Every error the route describes has the API's one error shape.
        for (code, response) in responses {
            if !(code.starts_with('4') || code.starts_with('5')) {
                continue;
            }
            let response = resolve(&doc, response);
            assert_eq!(
                response["content"]["application/json"]["schema"]["$ref"],
                "#/components/schemas/ErrorBody",
                "{route}: {code} is not an ErrorBody"
            );
        }
    }
}

/// `value` itself, or what its `$ref` points to.
fn resolve<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    match value["$ref"].as_str() {
        Some(reference) => doc
            .pointer(reference.trim_start_matches('#'))
            .unwrap_or_else(|| panic!("{reference} does not resolve")),
        None => value,
    }
}

/// Every `$ref` in `value`, with where it stands.
fn references<'a>(value: &'a Value, at: &str, found: &mut Vec<(String, &'a str)>) {
    match value {
        Value::Object(fields) => {
            for (key, field) in fields {
                match (key.as_str(), field) {
                    ("$ref", Value::String(reference)) => found.push((at.to_string(), reference)),
                    _ => references(field, &format!("{at}/{key}"), found),
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                references(item, &format!("{at}/{i}"), found);
            }
        }
        _ => {}
    }
}

#[tokio::test]
async fn every_reference_resolves_within_the_document() {
    let doc = served().await;
    let mut found = Vec::new();
    references(&doc, "", &mut found);
    assert!(
        found.len() > 50,
        "only {} references: are the types described?",
        found.len()
    );
    for (at, reference) in &found {
        let pointer = reference
            .strip_prefix("#/components/")
            .unwrap_or_else(|| panic!("{at}: {reference} is not in this document's components"));
        assert!(
            doc["components"].pointer(&format!("/{pointer}")).is_some(),
            "{at}: {reference} does not resolve"
        );
    }
    // The shapes a caller most needs are there by name.
    for schema in [
        "ErrorBody",
        "Job",
        "GenerationRequest",
        "JobEvent",
        "ReviewEvent",
    ] {
        assert!(
            doc["components"]["schemas"].get(schema).is_some(),
            "no {schema} schema"
        );
    }
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["session"]["type"], "apiKey");
    assert_eq!(schemes["session"]["in"], "cookie");
    assert_eq!(schemes["session"]["name"], "chorus_session");
    assert_eq!(schemes["api_token"]["type"], "http");
    assert_eq!(schemes["api_token"]["scheme"], "bearer");
}

#[tokio::test]
async fn bodies_that_are_not_json_say_their_type() {
    let doc = served().await;
    let content = |path: &str, method: &str, status: &str| -> BTreeSet<String> {
        doc["paths"][path][method]["responses"][status]["content"]
            .as_object()
            .map(|c| c.keys().cloned().collect())
            .unwrap_or_default()
    };
    assert!(content("/api/assets/{id}", "get", "206").contains("video/*"));
    assert!(content("/api/events", "get", "200").contains("text/event-stream"));
    assert!(content("/api/jobs/{id}/comments.csv", "get", "200").contains("text/csv"));
    assert!(content("/api/audit.csv", "get", "200").contains("text/csv"));
    let range = doc["paths"]["/api/assets/{id}"]["get"]["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .any(|p| p["in"] == "header" && p["name"] == "Range");
    assert!(range, "the asset route takes Range");
    for upload in ["/api/uploads", "/api/imports"] {
        assert!(
            doc["paths"][upload]["post"]["requestBody"]["content"]
                .get("multipart/form-data")
                .is_some(),
            "{upload} takes a multipart form"
        );
    }
}
