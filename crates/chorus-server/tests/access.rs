//! Who may use the studio (#18), on the server: the route table covers
//! every `/api` route and each route answers each kind of caller as the
//! table says; the attacks the issue names, each with its expected answer;
//! invites; users and API tokens; sign-in off on a loopback address; and
//! `chorus user add` / `chorus serve` on a network address with no owner.
//!
//! The cases share one server per database (SQLite, PostgreSQL), with
//! sign-in required.

mod common;

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use chorus_core::access::{BudgetOf, Need, Role, over_budget_message};
use chorus_server::AppState;
use chorus_server::auth::route_table::{self, Rule};
use chorus_server::auth::{SignInMode, passwords, sessions, users};
use chorus_server::db::now_ms;
use chorus_server::throttle::Throttle;
use common::TestServer;
use common::services::Postgres;
use http_body_util::BodyExt as _;
use serde_json::{Value, json};
use tower::ServiceExt as _;

/// The studio's address as these requests give it (`Host`), and the
/// `Origin` its own pages send.
const HOST: &str = "studio.test";
const ORIGIN: &str = "http://studio.test";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_on_sqlite() {
    let s = required(common::server().await);
    every_case(&s, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_on_postgres() {
    let url = Postgres::shared().fresh_database().await;
    let s = required(common::server_with(|c| c.database_url = Some(url)).await);
    every_case(&s, false).await;
}

fn required(mut s: TestServer) -> TestServer {
    s.state.sign_in = SignInMode::Required;
    s
}

async fn every_case(s: &TestServer, print_table: bool) {
    let people = people(s).await;
    every_route_answers_each_caller_as_the_table_says(s, &people, print_table).await;
    session_fixation_is_impossible(s, &people).await;
    cross_site_requests_with_the_cookie_are_refused(s, &people).await;
    password_guessing_is_throttled(s, &people).await;
    tokens_are_refused_in_the_address_and_in_cookies(s, &people).await;
    a_viewer_cannot_spend(s, &people).await;
    secrets_are_stored_as_digests_and_checked_in_fixed_time(s, &people).await;
    an_invite_sets_a_password_once(s, &people).await;
    owners_manage_users_and_keep_one_owner(s, &people).await;
    api_tokens_act_within_their_scopes_and_revoke_at_once(s, &people).await;
    ended_credentials_close_their_event_streams(s, &people).await;
    // Last: it leaves the studio's budget spent.
    a_generate_token_runs_jobs_until_the_budget_stops_it(s, &people).await;
}

// ---------------------------------------------------------------------
// Helpers

/// An account with a password, made straight in the database.
#[derive(Debug, Clone)]
struct Person {
    id: String,
    email: String,
    password: String,
}

struct People {
    owner: Person,
    editor: Person,
    viewer: Person,
}

async fn person(s: &TestServer, email: &str, role: Role) -> Person {
    let user = users::insert(&s.state.db, email, role, now_ms())
        .await
        .expect("inserts")
        .expect("a new email");
    let password = format!("{} violet harbor tractor", role.as_str());
    let phc = passwords::hash_off_thread(password.clone())
        .await
        .expect("hashes");
    users::set_password(&s.state.db, &user.id, &phc)
        .await
        .expect("stored");
    Person {
        id: user.id,
        email: email.to_string(),
        password,
    }
}

async fn people(s: &TestServer) -> People {
    People {
        owner: person(s, "olga@example.com", Role::Owner).await,
        editor: person(s, "eddie@example.com", Role::Editor).await,
        viewer: person(s, "vera@example.com", Role::Viewer).await,
    }
}

/// A fresh session of `who`, made straight in the database: its cookie.
async fn session(s: &TestServer, who: &Person) -> String {
    let started = sessions::start(&s.state.db, &who.id, None, now_ms())
        .await
        .expect("a session");
    format!("{}={}", sessions::COOKIE, started.secret)
}

/// How a request proves who it is.
#[derive(Debug, Clone, Default)]
struct Caller {
    cookie: Option<String>,
    bearer: Option<String>,
    /// `None`: the studio's own; `Some("")`: none at all.
    origin: Option<String>,
}

impl Caller {
    fn cookie(cookie: &str) -> Caller {
        Caller {
            cookie: Some(cookie.to_string()),
            ..Caller::default()
        }
    }

    fn bearer(token: &str) -> Caller {
        Caller {
            bearer: Some(token.to_string()),
            ..Caller::default()
        }
    }

    fn with_origin(mut self, origin: &str) -> Caller {
        self.origin = Some(origin.to_string());
        self
    }
}

fn request(method: Method, uri: &str, caller: &Caller, body: Option<&Value>) -> Request<Body> {
    let mut builder = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::HOST, HOST);
    match caller.origin.as_deref() {
        None => builder = builder.header(header::ORIGIN, ORIGIN),
        Some("") => {}
        Some(origin) => builder = builder.header(header::ORIGIN, origin),
    }
    if let Some(cookie) = &caller.cookie {
        builder = builder.header(header::COOKIE, cookie);
    }
    if let Some(token) = &caller.bearer {
        builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    match body {
        Some(body) => builder
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string())),
        None => builder.body(Body::empty()),
    }
    .expect("request")
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

impl Answer {
    fn message(&self) -> &str {
        self.body["error"]["message"].as_str().unwrap_or_default()
    }

    /// `name=value` of the session cookie this answer sets.
    fn session_cookie(&self) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with(sessions::COOKIE))
            .and_then(|v| v.split(';').next())
            .map(str::to_string)
    }
}

async fn send_to(state: &AppState, request: Request<Body>) -> Answer {
    let response = chorus_server::app(state.clone())
        .oneshot(request)
        .await
        .expect("infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Answer {
        status,
        headers,
        body,
    }
}

async fn send(s: &TestServer, request: Request<Body>) -> Answer {
    send_to(&s.state, request).await
}

/// The status alone; the body is never read, so an event stream that
/// never ends does not hold the test.
async fn status_of(s: &TestServer, request: Request<Body>) -> StatusCode {
    chorus_server::app(s.state.clone())
        .oneshot(request)
        .await
        .expect("infallible")
        .status()
}

async fn sign_in(state: &AppState, cookie: Option<&str>, email: &str, password: &str) -> Answer {
    let caller = Caller {
        cookie: cookie.map(str::to_string),
        ..Caller::default()
    };
    send_to(
        state,
        request(
            Method::POST,
            "/api/session",
            &caller,
            Some(&json!({"email": email, "password": password})),
        ),
    )
    .await
}

/// An API token of `who` with `scopes`, made through the API.
async fn make_token(s: &TestServer, who: &Person, name: &str, scopes: &[&str]) -> (String, String) {
    let cookie = session(s, who).await;
    let made = send(
        s,
        request(
            Method::POST,
            "/api/tokens",
            &Caller::cookie(&cookie),
            Some(&json!({"name": name, "scopes": scopes})),
        ),
    )
    .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    (
        made.body["token"].as_str().expect("token").to_string(),
        made.body["view"]["id"].as_str().expect("id").to_string(),
    )
}

// ---------------------------------------------------------------------
// The route table

/// Every `.route("…", …)` in `src/routes/*.rs` under `/api`, with the
/// methods it answers.
fn routes_in_the_source() -> Vec<(Method, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/routes");
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("src/routes lists") {
        let path = entry.expect("an entry").path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        // Review links are nested at `/r/{token}` and campaign links at
        // `/c/{token}`, and use their own key (review_link.rs,
        // campaign_link.rs, and mod.rs's `/r/{token}/`): not the studio's API.
        let is_rust = path.extension().is_some_and(|e| e == "rs");
        if !is_rust || ["review_link.rs", "campaign_link.rs", "mod.rs"].contains(&name) {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("reads");
        for (at, _) in text.match_indices(".route(\"") {
            let rest = &text[at + ".route(\"".len()..];
            let literal = &rest[..rest.find('"').expect("a closing quote")];
            let line = rest.lines().next().unwrap_or("");
            let methods = methods_in(line);
            assert!(
                !methods.is_empty(),
                "{name}: cannot read the methods of .route(\"{literal}\" …) from `{line}`; \
                 keep a route's methods on its line"
            );
            for method in methods {
                found.push((method, format!("/api{literal}")));
            }
        }
    }
    found
}

/// The `get(…)`, `post(…)`… a route line names.
fn methods_in(line: &str) -> Vec<Method> {
    let mut methods = Vec::new();
    for (name, method) in [
        ("get(", Method::GET),
        ("post(", Method::POST),
        ("put(", Method::PUT),
        ("patch(", Method::PATCH),
        ("delete(", Method::DELETE),
    ] {
        let named = line.match_indices(name).any(|(at, _)| {
            line[..at]
                .chars()
                .next_back()
                .is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == ':'))
        });
        if named {
            methods.push(method);
        }
    }
    methods
}

#[test]
fn every_route_in_the_source_is_in_the_table() {
    let rules = route_table::rules();
    let routes = routes_in_the_source();
    assert!(
        routes.len() > 25,
        "found only {} routes in src/routes: {routes:?}",
        routes.len()
    );
    let unlisted: Vec<String> = routes
        .iter()
        .filter(|(method, path)| {
            !rules
                .iter()
                .any(|rule| rule.path == path.as_str() && rule.method == method)
        })
        .map(|(method, path)| format!("{method} {path}"))
        .collect();
    assert!(
        unlisted.is_empty(),
        "routes with no rule in auth::route_table (add each with the role it needs): {unlisted:#?}"
    );
    assert_eq!(
        methods_in(r#".route("/jobs", post(create).get(list))"#),
        [Method::GET, Method::POST]
    );
    assert_eq!(
        methods_in(r#".route("/events", get(super::review_feed::stream))"#),
        [Method::GET]
    );
}

/// A path for `rule` with every `{…}` filled in (with ids that do not
/// exist: the guard answers before any handler looks).
fn path_of(rule: &Rule) -> String {
    rule.path
        .split('/')
        .map(|segment| {
            if segment.starts_with('{') {
                "no-such-thing"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// What the guard should do with a caller of `role` (`None`: no valid
/// credentials) on `rule`: let it through, or answer 401 or 403.
fn expected(rule: &Rule, caller_role: Option<Role>, read_only: bool) -> &'static str {
    match (rule.need, caller_role) {
        (Need::Anyone, _) => "passes",
        (Need::Role(_), None) => "401",
        (Need::Role(_), Some(_)) if read_only && !matches!(rule.method, Method::GET) => "403",
        (Need::Role(needed), Some(has)) if has >= needed => "passes",
        (Need::Role(_), Some(_)) => "403",
    }
}

fn seen(status: StatusCode) -> &'static str {
    match status {
        StatusCode::UNAUTHORIZED => "401",
        StatusCode::FORBIDDEN => "403",
        StatusCode::INTERNAL_SERVER_ERROR => "500",
        _ => "passes",
    }
}

async fn every_route_answers_each_caller_as_the_table_says(
    s: &TestServer,
    p: &People,
    print: bool,
) {
    let (revoked, revoked_id) = make_token(s, &p.editor, "revoked", &["generate"]).await;
    let editor_cookie = session(s, &p.editor).await;
    let gone = send(
        s,
        request(
            Method::DELETE,
            &format!("/api/tokens/{revoked_id}"),
            &Caller::cookie(&editor_cookie),
            None,
        ),
    )
    .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    let (reader, _) = make_token(s, &p.editor, "reader", &["read"]).await;
    let columns = [
        "no credentials",
        "viewer",
        "editor",
        "owner",
        "read token",
        "revoked token",
        "expired session",
    ];
    let mut table = format!(
        "| Method | Route | Needs | {} |\n|---|---|---|{}\n",
        columns.join(" | "),
        "---|".repeat(columns.len())
    );
    let mut wrong = Vec::new();
    for rule in route_table::rules() {
        // Fresh sessions for every route: signing out ends one.
        let expired = session(s, &p.viewer).await;
        s.state
            .db
            .execute(&format!(
                "UPDATE sessions SET last_seen_at = 0 WHERE secret_hash = '{}'",
                chorus_server::auth::secrets::digest(expired.trim_start_matches("chorus_session="))
            ))
            .await
            .expect("ages the session");
        let callers: Vec<(Caller, Option<Role>, bool)> = vec![
            (Caller::default(), None, false),
            (
                Caller::cookie(&session(s, &p.viewer).await),
                Some(Role::Viewer),
                false,
            ),
            (
                Caller::cookie(&session(s, &p.editor).await),
                Some(Role::Editor),
                false,
            ),
            (
                Caller::cookie(&session(s, &p.owner).await),
                Some(Role::Owner),
                false,
            ),
            (Caller::bearer(&reader), Some(Role::Viewer), true),
            (Caller::bearer(&revoked), None, false),
            (Caller::cookie(&expired), None, false),
        ];
        let need = match rule.need {
            Need::Anyone => "anyone".to_string(),
            Need::Role(role) => role.as_str().to_string(),
        };
        let mut row = format!("| {} | `{}` | {need} |", rule.method, rule.path);
        for (i, (caller, role, read_only)) in callers.iter().enumerate() {
            let body = (rule.method != Method::GET).then(|| json!({}));
            let status = status_of(
                s,
                request(rule.method.clone(), &path_of(rule), caller, body.as_ref()),
            )
            .await;
            let want = expected(rule, *role, *read_only);
            let got = seen(status);
            if got != want {
                wrong.push(format!(
                    "{} {} as {}: expected {want}, got {status}",
                    rule.method, rule.path, columns[i]
                ));
            }
            let _ = write!(row, " {} |", status.as_u16());
        }
        table.push_str(&row);
        table.push('\n');
    }
    if print {
        println!(
            "\nThe route table (auth::route_table):\n\n{}",
            route_table::markdown(route_table::rules())
        );
        println!(
            "What each caller got (401 and 403 come from the guard; anything else means the \
             guard let the request through to its handler, which then answered for itself, \
             e.g. 400 for the empty body or 404 for the made-up id):\n\n{table}"
        );
    }
    assert!(
        wrong.is_empty(),
        "answers not as the table says:\n{}",
        wrong.join("\n")
    );
}

// ---------------------------------------------------------------------
// Attacks

async fn session_fixation_is_impossible(s: &TestServer, p: &People) {
    // Signed out, the studio hears that sign-in is required.
    let me = send(s, request(Method::GET, "/api/me", &Caller::default(), None)).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(
        me.body,
        json!({"sign_in_required": true, "user": null, "role": null})
    );
    // A cookie the server never issued matches nothing.
    let made_up = format!("{}={}", sessions::COOKIE, "A".repeat(43));
    let refused = send(
        s,
        request(Method::GET, "/api/jobs", &Caller::cookie(&made_up), None),
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    // Signing in while holding it issues a different one; the planted one
    // still opens nothing.
    let first = sign_in(
        &s.state,
        Some(&made_up),
        &p.editor.email,
        &p.editor.password,
    )
    .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let first_cookie = first.session_cookie().expect("a session cookie");
    assert_ne!(first_cookie, made_up);
    let still = send(
        s,
        request(Method::GET, "/api/jobs", &Caller::cookie(&made_up), None),
    )
    .await;
    assert_eq!(still.status, StatusCode::UNAUTHORIZED);
    // Signing in again from the same browser makes a new id and ends the old.
    let second = sign_in(
        &s.state,
        Some(&first_cookie),
        &p.editor.email,
        &p.editor.password,
    )
    .await;
    let second_cookie = second.session_cookie().expect("a session cookie");
    assert_ne!(second_cookie, first_cookie);
    let old = send(
        s,
        request(
            Method::GET,
            "/api/jobs",
            &Caller::cookie(&first_cookie),
            None,
        ),
    )
    .await;
    assert_eq!(
        old.status,
        StatusCode::UNAUTHORIZED,
        "the id before sign-in is dead"
    );
    let me = send(
        s,
        request(
            Method::GET,
            "/api/me",
            &Caller::cookie(&second_cookie),
            None,
        ),
    )
    .await;
    assert_eq!(me.body["user"]["email"], json!(p.editor.email));
    assert_eq!(me.body["role"], json!("editor"));
    // Signing out ends it on the server, not only in the browser.
    let out = send(
        s,
        request(
            Method::DELETE,
            "/api/session",
            &Caller::cookie(&second_cookie),
            None,
        ),
    )
    .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    assert!(
        out.headers
            .get(header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("Max-Age=0")),
        "the cookie is removed"
    );
    let after = send(
        s,
        request(
            Method::GET,
            "/api/jobs",
            &Caller::cookie(&second_cookie),
            None,
        ),
    )
    .await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
    // Sign out everywhere ends every session of the account.
    let a = session(s, &p.editor).await;
    let b = session(s, &p.editor).await;
    let everywhere = send(
        s,
        request(
            Method::POST,
            "/api/session/everywhere",
            &Caller::cookie(&a),
            None,
        ),
    )
    .await;
    assert_eq!(everywhere.status, StatusCode::NO_CONTENT);
    for cookie in [a, b] {
        let after = send(
            s,
            request(Method::GET, "/api/jobs", &Caller::cookie(&cookie), None),
        )
        .await;
        assert_eq!(after.status, StatusCode::UNAUTHORIZED);
    }
    // The cookie's attributes.
    let set = first
        .headers
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .expect("set-cookie");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(set.contains(attribute), "{set}");
    }
    assert!(!set.contains("Secure"), "plain http: {set}");
    let mut https = s.state.clone();
    https.public_url = Some("https://studio.example.com".into());
    let behind_https = send_to(
        &https,
        request(
            Method::POST,
            "/api/session",
            &Caller::default().with_origin("https://studio.example.com"),
            Some(&json!({"email": p.viewer.email, "password": p.viewer.password})),
        ),
    )
    .await;
    assert_eq!(behind_https.status, StatusCode::OK, "{}", behind_https.body);
    let set = behind_https
        .headers
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .expect("set-cookie");
    assert!(set.ends_with("; Secure"), "{set}");
}

async fn cross_site_requests_with_the_cookie_are_refused(s: &TestServer, p: &People) {
    let cookie = session(s, &p.editor).await;
    let job = common::draft_request();
    let evil = send(
        s,
        request(
            Method::POST,
            "/api/jobs",
            &Caller::cookie(&cookie).with_origin("https://evil.example"),
            Some(&job),
        ),
    )
    .await;
    assert_eq!(evil.status, StatusCode::FORBIDDEN);
    assert!(
        evil.message().starts_with("cross-site request refused"),
        "{}",
        evil.body
    );
    let no_origin = send(
        s,
        request(
            Method::POST,
            "/api/jobs",
            &Caller::cookie(&cookie).with_origin(""),
            Some(&job),
        ),
    )
    .await;
    assert_eq!(
        no_origin.status,
        StatusCode::FORBIDDEN,
        "{}",
        no_origin.body
    );
    // Reading needs no Origin.
    let read = send(
        s,
        request(
            Method::GET,
            "/api/jobs",
            &Caller::cookie(&cookie).with_origin(""),
            None,
        ),
    )
    .await;
    assert_eq!(read.status, StatusCode::OK);
    // From the studio's own page it goes through.
    let own = send(
        s,
        request(
            Method::POST,
            "/api/jobs",
            &Caller::cookie(&cookie),
            Some(&job),
        ),
    )
    .await;
    assert_eq!(own.status, StatusCode::CREATED, "{}", own.body);
    // A bearer token needs no Origin: no browser adds one for another site.
    let (token, _) = make_token(s, &p.editor, "script", &["generate"]).await;
    let script = send(
        s,
        request(
            Method::POST,
            "/api/jobs",
            &Caller::bearer(&token).with_origin(""),
            Some(&job),
        ),
    )
    .await;
    assert_eq!(script.status, StatusCode::CREATED, "{}", script.body);
    // Signing in from another site's page is refused too.
    let login_csrf = send(
        s,
        request(
            Method::POST,
            "/api/session",
            &Caller::default().with_origin("https://evil.example"),
            Some(&json!({"email": p.viewer.email, "password": p.viewer.password})),
        ),
    )
    .await;
    assert_eq!(login_csrf.status, StatusCode::FORBIDDEN);
}

async fn password_guessing_is_throttled(s: &TestServer, p: &People) {
    let window = Duration::from_secs(3);
    let mut state = s.state.clone();
    state.sign_in_tries = Arc::new(Throttle::new(window));
    let who = &p.viewer;
    let started = Instant::now();
    for guess in 0..5 {
        let wrong = sign_in(&state, None, &who.email, &format!("guess number {guess}")).await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
        assert_eq!(wrong.message(), "Email or password is wrong");
    }
    let throttled = sign_in(&state, None, &who.email, "guess number six").await;
    assert_eq!(
        throttled.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        throttled.body
    );
    let retry: u64 = throttled
        .headers
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds");
    assert!((1..=3).contains(&retry), "Retry-After: {retry}");
    // The right password is refused too, until the window moves on.
    let right = sign_in(&state, None, &who.email, &who.password).await;
    assert_eq!(right.status, StatusCode::TOO_MANY_REQUESTS);
    tokio::time::sleep(window.saturating_sub(started.elapsed()) + Duration::from_millis(200)).await;
    let later = sign_in(&state, None, &who.email, &who.password).await;
    assert_eq!(later.status, StatusCode::OK, "{}", later.body);

    // An email with no account answers the same, and is throttled the same.
    for guess in 0..5 {
        let wrong = sign_in(
            &state,
            None,
            "nobody@example.com",
            &format!("guess {guess}"),
        )
        .await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
        assert_eq!(wrong.message(), "Email or password is wrong");
    }
    let throttled = sign_in(&state, None, "Nobody@Example.com ", "guess").await;
    assert_eq!(
        throttled.status,
        StatusCode::TOO_MANY_REQUESTS,
        "counted per account, normalized"
    );

    // One address guessing at many accounts is stopped at 20 tries.
    let address: SocketAddr = "198.51.100.7:50000".parse().expect("address");
    let from = |email: String| {
        let mut request = request(
            Method::POST,
            "/api/session",
            &Caller::default(),
            Some(&json!({"email": email, "password": "not it at all"})),
        );
        request.extensions_mut().insert(ConnectInfo(address));
        request
    };
    let mut fresh = s.state.clone();
    fresh.sign_in_tries = Arc::new(Throttle::new(Duration::from_mins(15)));
    for i in 0..20 {
        let wrong = send_to(&fresh, from(format!("someone{i}@example.com"))).await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    }
    let stopped = send_to(&fresh, from("someone-else@example.com".into())).await;
    assert_eq!(stopped.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        stopped.message().contains("try again in 15 minutes"),
        "{}",
        stopped.body
    );
}

async fn tokens_are_refused_in_the_address_and_in_cookies(s: &TestServer, p: &People) {
    let (token, _) = make_token(s, &p.editor, "leaky", &["read"]).await;
    for name in ["token", "access_token", "api_token"] {
        let leaked = send(
            s,
            request(
                Method::GET,
                &format!("/api/jobs?{name}={token}"),
                &Caller::default(),
                None,
            ),
        )
        .await;
        assert_eq!(leaked.status, StatusCode::BAD_REQUEST, "?{name}=");
        assert!(
            leaked.message().contains("Authorization: Bearer"),
            "{}",
            leaked.body
        );
        // Even alongside a proper header: the address has leaked it already.
        let both = send(
            s,
            request(
                Method::GET,
                &format!("/api/jobs?{name}={token}"),
                &Caller::bearer(&token),
                None,
            ),
        )
        .await;
        assert_eq!(both.status, StatusCode::BAD_REQUEST);
    }
    for cookie in [
        format!("{}={token}", sessions::COOKIE),
        format!("api_token={token}"),
    ] {
        let in_cookie = send(
            s,
            request(Method::GET, "/api/jobs", &Caller::cookie(&cookie), None),
        )
        .await;
        assert_eq!(in_cookie.status, StatusCode::UNAUTHORIZED, "{cookie}");
    }
    let proper = send(
        s,
        request(Method::GET, "/api/jobs", &Caller::bearer(&token), None),
    )
    .await;
    assert_eq!(proper.status, StatusCode::OK);
}

async fn a_viewer_cannot_spend(s: &TestServer, p: &People) {
    let cookie = session(s, &p.viewer).await;
    let job = common::draft_request();
    let refused = send(
        s,
        request(
            Method::POST,
            "/api/jobs",
            &Caller::cookie(&cookie),
            Some(&job),
        ),
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        refused.message(),
        "Viewers can't generate: ask an owner to make you an editor"
    );
    // A viewer may comment and read.
    let read = send(
        s,
        request(Method::GET, "/api/jobs", &Caller::cookie(&cookie), None),
    )
    .await;
    assert_eq!(read.status, StatusCode::OK);
    // An editor's generate token acts as a viewer once its maker is one.
    let (token, _) = make_token(s, &p.editor, "demoted", &["generate"]).await;
    users::change_role(&s.state.db, &p.editor.id, Role::Viewer)
        .await
        .expect("demoted");
    let by_token = send(
        s,
        request(
            Method::POST,
            "/api/jobs",
            &Caller::bearer(&token),
            Some(&job),
        ),
    )
    .await;
    assert_eq!(by_token.status, StatusCode::FORBIDDEN, "{}", by_token.body);
    users::change_role(&s.state.db, &p.editor.id, Role::Editor)
        .await
        .expect("an editor again");
    let again = send(
        s,
        request(
            Method::POST,
            "/api/jobs",
            &Caller::bearer(&token),
            Some(&job),
        ),
    )
    .await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.body);
}

/// By construction: no secret is compared as given. Session cookies,
/// invite links and API tokens are looked up by their SHA-256
/// (`chorus_server::auth::secrets::digest`), and passwords are checked by
/// Argon2's constant-time verify (`chorus_server::auth::passwords::verify`),
/// which runs against a stand-in hash when the email has no account.
async fn secrets_are_stored_as_digests_and_checked_in_fixed_time(s: &TestServer, p: &People) {
    let cookie = session(s, &p.owner).await;
    let secret = cookie.trim_start_matches("chorus_session=").to_string();
    let (token, _) = make_token(s, &p.owner, "digest", &["read"]).await;
    let invited = send(
        s,
        request(
            Method::POST,
            "/api/users",
            &Caller::cookie(&cookie),
            Some(&json!({"email": "digest@example.com", "role": "viewer"})),
        ),
    )
    .await;
    let invite = invited.body["url"]
        .as_str()
        .and_then(|u| u.rsplit('/').next())
        .expect("an invite link")
        .to_string();
    for (table, column) in [
        ("sessions", "secret_hash"),
        ("api_tokens", "secret_hash"),
        ("invites", "token_hash"),
    ] {
        let rows = s
            .state
            .db
            .text_rows(&format!("SELECT {column} FROM {table}"))
            .await
            .expect("reads");
        assert!(!rows.is_empty());
        for row in rows {
            let stored = row[0].clone().expect("a hash");
            assert_eq!(stored.len(), 64, "{table}.{column} holds SHA-256 hex");
            assert!(stored.bytes().all(|b| b.is_ascii_hexdigit()));
            for given in [&secret, &token, &invite] {
                assert!(
                    !stored.contains(given.as_str()),
                    "{table} holds a secret as given"
                );
            }
        }
    }
    let digests = [&secret, &token, &invite].map(|t| chorus_server::auth::secrets::digest(t));
    let all = s
        .state
        .db
        .text_rows(
            "SELECT secret_hash FROM sessions UNION ALL SELECT secret_hash FROM api_tokens \
             UNION ALL SELECT token_hash FROM invites",
        )
        .await
        .expect("reads");
    for digest in digests {
        assert!(
            all.iter()
                .any(|row| row[0].as_deref() == Some(digest.as_str()))
        );
    }
    let phc = users::by_id(&s.state.db, &p.owner.id)
        .await
        .expect("reads")
        .and_then(|u| u.password_hash)
        .expect("a password");
    assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");

    // An email with no account takes as long as a wrong password: both
    // spend one Argon2 verify. The fastest of three, so a busy machine
    // does not decide it.
    let timer = |email: String| {
        let state = s.state.clone();
        async move {
            let started = Instant::now();
            let answer = sign_in(&state, None, &email, "not the password at all").await;
            assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
            started.elapsed()
        }
    };
    let account = person(s, "timed@example.com", Role::Viewer).await;
    let mut wrong = Vec::new();
    let mut missing = Vec::new();
    for i in 0..3 {
        wrong.push(timer(account.email.clone()).await);
        missing.push(timer(format!("missing{i}@example.com")).await);
    }
    let wrong = wrong.into_iter().min().expect("three");
    let missing = missing.into_iter().min().expect("three");
    assert!(
        missing * 2 > wrong,
        "no account answered in {missing:?}, a wrong password in {wrong:?}"
    );
}

// ---------------------------------------------------------------------
// Invites, users, tokens

async fn an_invite_sets_a_password_once(s: &TestServer, p: &People) {
    let owner = Caller::cookie(&session(s, &p.owner).await);
    let made = send(
        s,
        request(
            Method::POST,
            "/api/users",
            &owner,
            Some(&json!({"email": " Nina@Example.com ", "role": "editor"})),
        ),
    )
    .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    assert_eq!(made.body["user"]["email"], json!("nina@example.com"));
    assert_eq!(made.body["user"]["invite_pending"], json!(true));
    let url = made.body["url"].as_str().expect("url");
    let token = url
        .strip_prefix("/invite/")
        .expect("a path without a public URL");
    let expires_at = made.body["expires_at"].as_i64().expect("expiry");
    assert!(
        (expires_at - now_ms() - 72 * 3_600_000).abs() < 60_000,
        "72 h"
    );
    let again = send(
        s,
        request(
            Method::POST,
            "/api/users",
            &owner,
            Some(&json!({"email": "nina@example.com", "role": "viewer"})),
        ),
    )
    .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let bad = send(
        s,
        request(
            Method::POST,
            "/api/users",
            &owner,
            Some(&json!({"email": "nina.example.com", "role": "viewer"})),
        ),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    let anyone = Caller::default();
    let view = send(
        s,
        request(Method::GET, &format!("/api/invites/{token}"), &anyone, None),
    )
    .await;
    assert_eq!(view.status, StatusCode::OK);
    assert_eq!(view.body["email"], json!("nina@example.com"));
    assert_eq!(view.body["role"], json!("editor"));
    let weak = send(
        s,
        request(
            Method::POST,
            &format!("/api/invites/{token}"),
            &anyone,
            Some(&json!({"password": "password1234"})),
        ),
    )
    .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    let problems = weak.body["error"]["problems"].as_array().expect("problems");
    assert!(!problems.is_empty());
    assert!(problems.iter().all(|p| p["field"] == json!("password")));
    assert!(
        problems[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("most common")),
        "{}",
        weak.body
    );
    let short = send(
        s,
        request(
            Method::POST,
            &format!("/api/invites/{token}"),
            &anyone,
            Some(&json!({"password": "tulips"})),
        ),
    )
    .await;
    assert!(short.message().contains("at least 12"), "{}", short.body);
    let strong = send(
        s,
        request(
            Method::POST,
            &format!("/api/invites/{token}"),
            &anyone,
            Some(&json!({"password": "kettle orbit marsh"})),
        ),
    )
    .await;
    assert_eq!(strong.status, StatusCode::OK, "{}", strong.body);
    assert_eq!(strong.body["user"]["email"], json!("nina@example.com"));
    assert_eq!(strong.body["role"], json!("editor"));
    assert_eq!(strong.body["user"]["invite_pending"], json!(false));
    let cookie = strong.session_cookie().expect("signed in");
    let me = send(
        s,
        request(Method::GET, "/api/me", &Caller::cookie(&cookie), None),
    )
    .await;
    assert_eq!(me.body["user"]["email"], json!("nina@example.com"));
    let signs_in = sign_in(&s.state, None, "nina@example.com", "kettle orbit marsh").await;
    assert_eq!(signs_in.status, StatusCode::OK);
    // Once only.
    let twice = send(
        s,
        request(
            Method::POST,
            &format!("/api/invites/{token}"),
            &anyone,
            Some(&json!({"password": "another strong phrase"})),
        ),
    )
    .await;
    assert_eq!(twice.status, StatusCode::GONE);
    let view = send(
        s,
        request(Method::GET, &format!("/api/invites/{token}"), &anyone, None),
    )
    .await;
    assert_eq!(view.status, StatusCode::GONE);

    // Expired.
    let late = send(
        s,
        request(
            Method::POST,
            "/api/users",
            &owner,
            Some(&json!({"email": "late@example.com", "role": "viewer"})),
        ),
    )
    .await;
    let late_token = late.body["url"]
        .as_str()
        .and_then(|u| u.strip_prefix("/invite/"))
        .expect("a link")
        .to_string();
    s.state
        .db
        .execute(&format!(
            "UPDATE invites SET expires_at = {} WHERE token_hash = '{}'",
            now_ms() - 1,
            chorus_server::auth::secrets::digest(&late_token)
        ))
        .await
        .expect("expires it");
    let expired = send(
        s,
        request(
            Method::GET,
            &format!("/api/invites/{late_token}"),
            &anyone,
            None,
        ),
    )
    .await;
    assert_eq!(expired.status, StatusCode::GONE);
    assert!(expired.message().contains("expired"));
    let expired = send(
        s,
        request(
            Method::POST,
            &format!("/api/invites/{late_token}"),
            &anyone,
            Some(&json!({"password": "kettle orbit marsh"})),
        ),
    )
    .await;
    assert_eq!(expired.status, StatusCode::GONE);
    // A fresh link works, and closes the one before.
    let late_id = late.body["user"]["id"].as_str().expect("id");
    let fresh = send(
        s,
        request(
            Method::POST,
            &format!("/api/users/{late_id}/invite"),
            &owner,
            None,
        ),
    )
    .await;
    assert_eq!(fresh.status, StatusCode::CREATED, "{}", fresh.body);
    let fresh_token = fresh.body["url"]
        .as_str()
        .and_then(|u| u.strip_prefix("/invite/"))
        .expect("a link");
    let opens = send(
        s,
        request(
            Method::GET,
            &format!("/api/invites/{fresh_token}"),
            &anyone,
            None,
        ),
    )
    .await;
    assert_eq!(opens.status, StatusCode::OK);
    let unknown = send(
        s,
        request(
            Method::GET,
            &format!("/api/invites/{}", "B".repeat(43)),
            &anyone,
            None,
        ),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

async fn owners_manage_users_and_keep_one_owner(s: &TestServer, p: &People) {
    let owner = Caller::cookie(&session(s, &p.owner).await);
    let listed = send(s, request(Method::GET, "/api/users", &owner, None)).await;
    assert_eq!(listed.status, StatusCode::OK);
    let emails: Vec<&str> = listed
        .body
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|u| u["email"].as_str())
        .collect();
    for email in [&p.owner.email, &p.editor.email, &p.viewer.email] {
        assert!(emails.contains(&email.as_str()), "{emails:?}");
    }
    // The last owner stays one (other owners made by invite have no
    // password yet, so they cannot stand in).
    let demote = send(
        s,
        request(
            Method::PATCH,
            &format!("/api/users/{}", p.owner.id),
            &owner,
            Some(&json!({"role": "editor"})),
        ),
    )
    .await;
    assert_eq!(demote.status, StatusCode::CONFLICT, "{}", demote.body);
    assert!(demote.message().contains("last owner"), "{}", demote.body);
    let remove = send(
        s,
        request(
            Method::DELETE,
            &format!("/api/users/{}", p.owner.id),
            &owner,
            None,
        ),
    )
    .await;
    assert_eq!(remove.status, StatusCode::CONFLICT);
    // Removing someone ends their sessions and revokes their tokens.
    let leaving = person(s, "leaving@example.com", Role::Editor).await;
    let their_cookie = session(s, &leaving).await;
    let (their_token, _) = make_token(s, &leaving, "theirs", &["generate"]).await;
    let demoted = send(
        s,
        request(
            Method::PATCH,
            &format!("/api/users/{}", leaving.id),
            &owner,
            Some(&json!({"role": "viewer"})),
        ),
    )
    .await;
    assert_eq!(demoted.status, StatusCode::OK);
    assert_eq!(demoted.body["role"], json!("viewer"));
    let now_viewer = send(
        s,
        request(
            Method::POST,
            "/api/jobs",
            &Caller::cookie(&their_cookie),
            Some(&common::draft_request()),
        ),
    )
    .await;
    assert_eq!(
        now_viewer.status,
        StatusCode::FORBIDDEN,
        "a new role applies at once"
    );
    let removed = send(
        s,
        request(
            Method::DELETE,
            &format!("/api/users/{}", leaving.id),
            &owner,
            None,
        ),
    )
    .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    for caller in [Caller::cookie(&their_cookie), Caller::bearer(&their_token)] {
        let after = send(s, request(Method::GET, "/api/jobs", &caller, None)).await;
        assert_eq!(after.status, StatusCode::UNAUTHORIZED);
    }
    let unknown = send(
        s,
        request(
            Method::DELETE,
            &format!("/api/users/{}", leaving.id),
            &owner,
            None,
        ),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    // A second owner may step down once there is one who can sign in.
    let second = person(s, "second-owner@example.com", Role::Owner).await;
    let step_down = send(
        s,
        request(
            Method::PATCH,
            &format!("/api/users/{}", second.id),
            &owner,
            Some(&json!({"role": "editor"})),
        ),
    )
    .await;
    assert_eq!(step_down.status, StatusCode::OK);
    // Editors may not manage users.
    let editor = Caller::cookie(&session(s, &p.editor).await);
    let refused = send(s, request(Method::GET, "/api/users", &editor, None)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        refused.message(),
        "Editors can't manage users: only owners can"
    );
}

async fn api_tokens_act_within_their_scopes_and_revoke_at_once(s: &TestServer, p: &People) {
    let editor = Caller::cookie(&session(s, &p.editor).await);
    let made = send(
        s,
        request(
            Method::POST,
            "/api/tokens",
            &editor,
            Some(&json!({"name": " nightly ", "scopes": ["generate", "read"]})),
        ),
    )
    .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let token = made.body["token"].as_str().expect("token").to_string();
    let id = made.body["view"]["id"].as_str().expect("id").to_string();
    assert!(token.starts_with("chorus_pat_") && token.len() == "chorus_pat_".len() + 43);
    assert_eq!(made.body["view"]["name"], json!("nightly"));
    assert_eq!(made.body["view"]["scopes"], json!(["read", "generate"]));
    let bad = send(
        s,
        request(
            Method::POST,
            "/api/tokens",
            &editor,
            Some(&json!({"name": "", "scopes": []})),
        ),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    // It works, is seen used, and cannot make tokens itself.
    let used = send(
        s,
        request(Method::GET, "/api/jobs", &Caller::bearer(&token), None),
    )
    .await;
    assert_eq!(used.status, StatusCode::OK);
    let me = send(
        s,
        request(Method::GET, "/api/me", &Caller::bearer(&token), None),
    )
    .await;
    assert_eq!(me.body["role"], json!("editor"));
    let minted = send(
        s,
        request(
            Method::POST,
            "/api/tokens",
            &Caller::bearer(&token),
            Some(&json!({"name": "child", "scopes": ["generate"]})),
        ),
    )
    .await;
    assert_eq!(minted.status, StatusCode::FORBIDDEN, "{}", minted.body);
    let listed = send(s, request(Method::GET, "/api/tokens", &editor, None)).await;
    let mine = listed
        .body
        .as_array()
        .expect("a list")
        .iter()
        .find(|t| t["id"] == json!(id))
        .expect("listed")
        .clone();
    assert!(mine["last_used_at"].as_i64().is_some(), "{mine}");
    assert_eq!(mine["user_email"], json!(p.editor.email));
    assert!(mine.get("token").is_none(), "the secret is shown once only");
    assert!(
        listed
            .body
            .as_array()
            .expect("a list")
            .iter()
            .all(|t| t["user_id"] == json!(p.editor.id)),
        "an editor sees their own tokens"
    );
    // Someone else's token is not theirs to revoke; an owner's it is.
    let (others, others_id) = make_token(s, &p.owner, "owner's", &["read"]).await;
    let not_theirs = send(
        s,
        request(
            Method::DELETE,
            &format!("/api/tokens/{others_id}"),
            &editor,
            None,
        ),
    )
    .await;
    assert_eq!(not_theirs.status, StatusCode::NOT_FOUND);
    let owner = Caller::cookie(&session(s, &p.owner).await);
    let all = send(s, request(Method::GET, "/api/tokens", &owner, None)).await;
    assert!(
        all.body
            .as_array()
            .expect("a list")
            .iter()
            .any(|t| t["id"] == json!(id)),
        "an owner sees everyone's"
    );
    // Revoking takes effect on the very next request.
    let revoked = send(
        s,
        request(Method::DELETE, &format!("/api/tokens/{id}"), &owner, None),
    )
    .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    let after = send(
        s,
        request(Method::GET, "/api/jobs", &Caller::bearer(&token), None),
    )
    .await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
    assert!(after.message().contains("revoked"), "{}", after.body);
    let still = send(
        s,
        request(Method::GET, "/api/jobs", &Caller::bearer(&others), None),
    )
    .await;
    assert_eq!(still.status, StatusCode::OK);
    // A read token reads only.
    let reading = send(
        s,
        request(
            Method::POST,
            "/api/jobs",
            &Caller::bearer(&others),
            Some(&common::draft_request()),
        ),
    )
    .await;
    assert_eq!(reading.status, StatusCode::FORBIDDEN);
    assert!(
        reading.message().contains("may only read"),
        "{}",
        reading.body
    );
}

// ---------------------------------------------------------------------
// Sign-in off, and the command line

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_sign_in_off_everyone_is_the_local_owner() {
    let s = common::server().await;
    assert_eq!(s.state.sign_in, SignInMode::Off, "the default");
    let (status, me) = s.get("/api/me").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["sign_in_required"], json!(false));
    assert_eq!(me["role"], json!("owner"));
    assert_eq!(me["user"], Value::Null);
    let (status, _) = s.get("/api/jobs").await;
    assert_eq!(status, StatusCode::OK);
    let (status, job) = s.post_json("/api/jobs", &common::draft_request()).await;
    assert_eq!(status, StatusCode::CREATED, "{job}");
    let (status, body) = s
        .post_json(
            "/api/session",
            &json!({"email": "a@example.com", "password": "kettle orbit marsh"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    // Owners' routes answer the local owner, and unknown API paths are
    // still plain 404s.
    let (status, _) = s.get("/api/users").await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = s.get("/api/no-such-endpoint").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Another site's page can't make changes through a visitor's browser;
    // the studio's own pages and scripts (no Origin) can.
    let body = common::draft_request();
    let foreign = Caller::default().with_origin("http://evil.example");
    let refused = send(
        &s,
        request(Method::POST, "/api/jobs", &foreign, Some(&body)),
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    assert!(refused.message().contains("cross-site"), "{}", refused.body);
    let own = send(
        &s,
        request(Method::POST, "/api/jobs", &Caller::default(), Some(&body)),
    )
    .await;
    assert_eq!(own.status, StatusCode::CREATED, "{}", own.body);
    let script = Caller::default().with_origin("");
    let scripted = send(&s, request(Method::POST, "/api/jobs", &script, Some(&body))).await;
    assert_eq!(scripted.status, StatusCode::CREATED, "{}", scripted.body);
    let read = send(&s, request(Method::GET, "/api/jobs", &foreign, None)).await;
    assert_eq!(read.status, StatusCode::OK, "reads are not changes");
}

/// A route someone added without a rule: refused whatever the mode, since
/// guessing who may use it would be guessing about access.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_route_with_no_rule_is_refused_in_both_modes() {
    let s = common::server().await;
    for mode in [SignInMode::Off, SignInMode::Required] {
        let mut state = s.state.clone();
        state.sign_in = mode;
        let app = axum::Router::new()
            .route("/api/forgotten", axum::routing::get(|| async { "reached" }))
            .layer(axum::middleware::from_fn_with_state(
                state.clone(),
                chorus_server::auth::guard::identify,
            ))
            .with_state(state);
        let response = app
            .oneshot(request(
                Method::GET,
                "/api/forgotten",
                &Caller::default(),
                None,
            ))
            .await
            .expect("infallible");
        assert_eq!(
            response.status(),
            StatusCode::INTERNAL_SERVER_ERROR,
            "{mode:?}"
        );
    }
}

fn chorus() -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_chorus"));
    for var in [
        "CHORUS_DATA",
        "CHORUS_DATABASE_URL",
        "CHORUS_PUBLIC_URL",
        "CHORUS_REQUIRE_SIGN_IN",
        "CHORUS_ADDR",
        "CHORUS_ASSETS",
    ] {
        command.env_remove(var);
    }
    command
}

#[test]
fn chorus_user_add_prints_a_one_time_invite_link() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let out = chorus()
        .args([
            "user",
            "add",
            "Ana@Example.com",
            "--role",
            "owner",
            "--data",
        ])
        .arg(&data)
        .output()
        .expect("chorus user add runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("ana@example.com as owner"), "{stdout}");
    assert!(stdout.contains("72 hours"), "{stdout}");
    let link = stdout
        .split_whitespace()
        .find(|w| w.starts_with("http"))
        .expect("a link");
    let token = link
        .strip_prefix("http://127.0.0.1:8080/invite/")
        .expect("under the default address");
    assert_eq!(token.len(), 43);
    // The link opens the invite on a server over the same data.
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let db = chorus_server::Db::open(None, &data).await.expect("opens");
        let standing = chorus_server::auth::invites::find(&db, token, now_ms())
            .await
            .expect("reads");
        assert!(
            matches!(standing, Some(chorus_server::auth::invites::Standing::Open { ref user, .. }) if user.role == Role::Owner),
            "{standing:?}"
        );
        db.close().await;
    });
    // With a public URL the link starts with it; an email twice is refused.
    let out = chorus()
        .args(["user", "add", "ed@example.com", "--role", "editor"])
        .args(["--public-url", "https://studio.example.com/", "--data"])
        .arg(&data)
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("https://studio.example.com/invite/"),
        "{stdout}"
    );
    let out = chorus()
        .args([
            "user",
            "add",
            "ana@example.com",
            "--role",
            "viewer",
            "--data",
        ])
        .arg(&data)
        .output()
        .expect("runs");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("already has an account"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn serving_on_a_network_address_with_no_owner_says_how_to_make_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = chorus()
        .args(["serve", "--addr", "0.0.0.0:0", "--data"])
        .arg(dir.path().join("data"))
        .arg("--dist")
        .arg(dir.path().join("dist"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("chorus serve starts");
    let deadline = Instant::now() + Duration::from_mins(1);
    let status = loop {
        if let Some(status) = child.try_wait().expect("waits") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("chorus serve kept running on 0.0.0.0 with no owner");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let out = child.wait_with_output().expect("output");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!status.success());
    assert!(
        stderr.contains("chorus user add you@example.com --role owner"),
        "{stderr}"
    );
}

// ---------------------------------------------------------------------
// The issue's "done when": a script with a `generate` token runs jobs
// until the budget stops it, and the audit log shows all of it.

/// A hosted model with a price (every provider's key taken as set), so a
/// job reserves money; no worker runs, so nothing is sent anywhere.
const PRICED: &str = "happyhorse-1.1@fal";
/// 5 s at 720p, $0.14 a second.
const ONE_JOB: u64 = 700_000;

async fn a_generate_token_runs_jobs_until_the_budget_stops_it(s: &TestServer, p: &People) {
    let state = s
        .state
        .clone()
        .with_models(chorus_server::state::models_with_keys(|_| true));
    let owner = Caller::cookie(&session(s, &p.owner).await);
    let budget = send_to(
        &state,
        request(
            Method::PUT,
            "/api/budget",
            &owner,
            Some(&json!({"studio_usd_micros": 2_000_000, "users": []})),
        ),
    )
    .await;
    assert_eq!(budget.status, StatusCode::OK, "{}", budget.body);
    let (token, _) = make_token(s, &p.editor, "nightly script", &["generate"]).await;
    let script = Caller::bearer(&token).with_origin("");
    let left = send_to(
        &state,
        request(Method::GET, "/api/spend/left", &script, None),
    )
    .await;
    assert_eq!(left.status, StatusCode::OK, "{}", left.body);
    let left = left.body["studio_left_usd_micros"]
        .as_u64()
        .expect("a limit");
    let fits = left / ONE_JOB;
    assert!(fits >= 1, "the budget fits a job ({left} left)");

    let job = json!({
        "model": PRICED,
        "mode": "text-to-video",
        "prompt": "A florist arranges tulips at dawn",
        "duration_s": 5,
        "resolution": "720p",
        "aspect_ratio": "16:9"
    });
    let mut made = Vec::new();
    let refusal = loop {
        let answer = send_to(
            &state,
            request(Method::POST, "/api/jobs", &script, Some(&job)),
        )
        .await;
        match answer.status {
            StatusCode::CREATED => made.push(answer.body["id"].as_str().expect("id").to_string()),
            StatusCode::PAYMENT_REQUIRED => break answer,
            other => panic!("a job answered {other}: {}", answer.body),
        }
        assert!(
            made.len() as u64 <= fits,
            "the budget let more jobs through than it fits"
        );
    };
    assert_eq!(made.len() as u64, fits, "every job that fits was made");
    assert_eq!(
        refusal.message(),
        over_budget_message(ONE_JOB, left - fits * ONE_JOB, 2_000_000, BudgetOf::Studio)
    );

    // The owner reads all of it in the audit log, and in its CSV.
    let log = send_to(
        &state,
        request(Method::GET, "/api/audit?limit=200", &owner, None),
    )
    .await;
    assert_eq!(log.status, StatusCode::OK, "{}", log.body);
    let entries = log.body["entries"].as_array().expect("entries");
    let by = |action: &str, actor: &str| {
        entries
            .iter()
            .filter(|e| e["action"] == action && e["actor"] == actor)
            .count()
    };
    let script_label = format!("token nightly script ({})", p.editor.email);
    assert!(by("budget_changed", &p.owner.email) >= 1, "{entries:#?}");
    assert!(by("token_created", &p.editor.email) >= 1, "{entries:#?}");
    assert_eq!(by("job_created", &script_label), made.len(), "{entries:#?}");
    assert_eq!(by("job_refused", &script_label), 1, "{entries:#?}");
    for id in &made {
        assert!(
            entries
                .iter()
                .any(|e| e["action"] == "job_created" && e["target"] == id.as_str()),
            "job {id} is in the log"
        );
    }
    let csv = chorus_server::app(state.clone())
        .oneshot(request(Method::GET, "/api/audit.csv", &owner, None))
        .await
        .expect("infallible");
    assert_eq!(csv.status(), StatusCode::OK);
    let csv = csv.into_body().collect().await.expect("body").to_bytes();
    let csv = String::from_utf8_lossy(&csv);
    assert!(
        csv.contains("job_refused") && csv.contains(&script_label),
        "{csv}"
    );

    // The editor's script can't read the log; a viewer can't spend.
    let peek = send_to(&state, request(Method::GET, "/api/audit", &script, None)).await;
    assert_eq!(peek.status, StatusCode::FORBIDDEN);
    let viewer = Caller::cookie(&session(s, &p.viewer).await);
    let spend = send_to(
        &state,
        request(Method::POST, "/api/jobs", &viewer, Some(&job)),
    )
    .await;
    assert_eq!(spend.status, StatusCode::FORBIDDEN, "{}", spend.body);
}

// ---------------------------------------------------------------------
// Live streams end with their credential

/// Opens `/api/events` as `caller`; answers the body, still streaming.
async fn open_stream(s: &TestServer, caller: &Caller) -> Body {
    let response = chorus_server::app(s.state.clone())
        .oneshot(request(Method::GET, "/api/events", caller, None))
        .await
        .expect("infallible");
    assert_eq!(response.status(), StatusCode::OK);
    response.into_body()
}

/// Whether the stream ends (all of its body read) within `wait`.
async fn ends_within(body: Body, wait: Duration) -> bool {
    tokio::time::timeout(wait, body.collect()).await.is_ok()
}

async fn ended_credentials_close_their_event_streams(s: &TestServer, p: &People) {
    let wait = chorus_server::routes::EVENTS_RECHECK * 2 + Duration::from_secs(2);
    // A session signed out everywhere.
    let cookie = session(s, &p.viewer).await;
    let stream = open_stream(s, &Caller::cookie(&cookie)).await;
    let still = open_stream(s, &Caller::cookie(&cookie)).await;
    assert!(
        !ends_within(still, Duration::from_millis(300)).await,
        "a stream with a live session stays open"
    );
    let everywhere = send(
        s,
        request(
            Method::POST,
            "/api/session/everywhere",
            &Caller::cookie(&cookie),
            None,
        ),
    )
    .await;
    assert_eq!(everywhere.status, StatusCode::NO_CONTENT);
    assert!(
        ends_within(stream, wait).await,
        "signing out everywhere closes the session's open event stream"
    );
    // A revoked API token.
    let (token, id) = make_token(s, &p.editor, "stream watcher", &["read"]).await;
    let stream = open_stream(s, &Caller::bearer(&token)).await;
    let owner = Caller::cookie(&session(s, &p.owner).await);
    let revoked = send(
        s,
        request(Method::DELETE, &format!("/api/tokens/{id}"), &owner, None),
    )
    .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT, "{}", revoked.body);
    assert!(
        ends_within(stream, wait).await,
        "revoking a token closes its open event stream"
    );
}
