//! The access guard: every `/api/…` request passes through it. It finds
//! the route's rule in the route table (refusing a route that has none),
//! finds who is calling ([`Actor`]), checks they may, and puts them on the
//! request for handlers.
//!
//! With sign-in off the caller is the local owner. With sign-in required
//! the caller proves who it is with an `Authorization: Bearer` API token or
//! the session cookie; a token in the address or in a cookie is refused,
//! and a state-changing request made with the cookie must come from the
//! studio's own origin (`origin`).

use std::convert::Infallible;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts, MatchedPath, OriginalUri, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chorus_core::access::{Need, Role};

use super::route_table::{self, Lookup};
use super::{Actor, SignInMode, Via, origin, sessions, tokens};
use crate::db::now_ms;
use crate::error::ApiError;
use crate::state::AppState;

/// Query parameters a token is sometimes put in by mistake; a request with
/// one is refused, since an address ends up in logs and browser history.
pub const TOKEN_PARAMETERS: [&str; 3] = ["token", "access_token", "api_token"];

/// The client's address, where the connection has one (in-process test
/// calls have none).
pub fn client_address(request: &Request) -> Option<String> {
    address_in(request.extensions())
}

fn address_in(extensions: &axum::http::Extensions) -> Option<String> {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_string())
}

/// The client's address, for handlers that need it whoever is calling
/// (sign-in tries are counted per address).
#[derive(Debug, Clone)]
pub struct ClientAddress(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Infallible> {
        Ok(ClientAddress(address_in(&parts.extensions)))
    }
}

pub async fn identify(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let address = client_address(&request);
    let lookup = rule_for(&request);
    if lookup == Lookup::Unlisted {
        let route = request
            .extensions()
            .get::<MatchedPath>()
            .map_or("?", MatchedPath::as_str);
        return ApiError::Internal(anyhow::anyhow!(
            "route has no access rule: {} {route} is missing from auth::route_table",
            request.method()
        ))
        .into_response();
    }
    match state.sign_in {
        SignInMode::Off => {
            // Nobody signs in, but another site's page must still not make
            // changes in this studio from a visitor's browser (a form or a
            // fetch aimed at 127.0.0.1): a change that names a foreign
            // Origin is refused. Scripts and providers send no Origin.
            if origin::changes_state(request.method())
                && origin::origin_of(request.headers()).is_some()
                && !origin::is_same_origin(
                    request.headers(),
                    request
                        .uri()
                        .authority()
                        .map(axum::http::uri::Authority::as_str),
                    state.public_url.as_deref(),
                )
            {
                return ApiError::Forbidden(
                    "cross-site request refused: changes to this studio must come from its own \
                     pages (the request's Origin is another site)"
                        .into(),
                )
                .into_response();
            }
            request.extensions_mut().insert(Actor::local(address));
            next.run(request).await
        }
        SignInMode::Required => {
            // The body stays out of `check`: it is not `Sync`, so it could
            // not be borrowed across the lookups' awaits.
            let (mut parts, body) = request.into_parts();
            match check(&state, &parts, &lookup, address).await {
                Ok(Some(actor)) => {
                    parts.extensions.insert(actor);
                    next.run(Request::from_parts(parts, body)).await
                }
                Ok(None) => next.run(Request::from_parts(parts, body)).await,
                Err(refusal) => refusal,
            }
        }
    }
}

/// The table's rule for this request: by the route axum matched, or, when
/// none matched (the API's 404), by the listed route the path fits.
fn rule_for(request: &Request) -> Lookup {
    let rules = route_table::rules();
    if let Some(matched) = request.extensions().get::<MatchedPath>() {
        return route_table::lookup(rules, request.method(), matched.as_str());
    }
    let path = request
        .extensions()
        .get::<OriginalUri>()
        .map_or_else(|| request.uri().path(), |original| original.path());
    route_table::pattern_of(rules, path).map_or(Lookup::NotThisMethod, |pattern| {
        route_table::lookup(rules, request.method(), pattern)
    })
}

/// What the request proved about its caller.
enum Credentials {
    /// Nothing: no token, no session cookie.
    None,
    Valid(Actor),
    /// Something that proves nothing, and why; `stale_cookie` when it was a
    /// session cookie (the answer removes it).
    Refused {
        message: &'static str,
        stale_cookie: bool,
    },
}

/// Who is calling (`None`: nobody, which a route for anyone allows), or the
/// answer that refuses the request.
async fn check(
    state: &AppState,
    request: &Parts,
    lookup: &Lookup,
    address: Option<String>,
) -> Result<Option<Actor>, Response> {
    if let Some(name) = token_in_query(request.uri.query()) {
        return Err(ApiError::BadRequest(format!(
            "An API token is never read from the address (?{name}=…): addresses are kept in \
             logs and browser history. Send it as the header `Authorization: Bearer <token>`, \
             and revoke this one in Settings if it was real."
        ))
        .into_response());
    }
    let (need, does) = match lookup {
        Lookup::Listed { need, does } => (*need, *does),
        // A method or path the router will refuse anyway; only callers who
        // may use the studio learn that.
        Lookup::NotThisMethod | Lookup::Unlisted => (Need::Role(Role::Viewer), "use this studio"),
    };
    let headers = &request.headers;
    let credentials = credentials(state, headers, address)
        .await
        .map_err(|e| ApiError::Internal(e).into_response())?;
    let changes_state = origin::changes_state(&request.method);
    let same_origin = || {
        origin::is_same_origin(
            headers,
            request
                .uri
                .authority()
                .map(axum::http::uri::Authority::as_str),
            state.public_url.as_deref(),
        )
    };
    match (credentials, need) {
        (Credentials::Valid(actor), need) => {
            if changes_state && matches!(actor.via, Via::Session { .. }) && !same_origin() {
                return Err(cross_site().into_response());
            }
            if let Need::Role(_) = need {
                allowed(&actor, need, does, &request.method)
                    .map_err(IntoResponse::into_response)?;
            }
            Ok(Some(actor))
        }
        (_, Need::Anyone) => {
            // Signing in from another site's page (login CSRF) is refused
            // too; a request from no page at all (a script) has no Origin.
            if changes_state && origin::origin_of(headers).is_some() && !same_origin() {
                return Err(cross_site().into_response());
            }
            Ok(None)
        }
        (Credentials::None, Need::Role(_)) => {
            Err(ApiError::Unauthorized(format!("Sign in to {does}")).into_response())
        }
        (
            Credentials::Refused {
                message,
                stale_cookie,
            },
            Need::Role(_),
        ) => {
            let mut response = ApiError::Unauthorized(message.to_string()).into_response();
            if stale_cookie
                && let Ok(clear) = HeaderValue::from_str(&sessions::clear_cookie(sessions::secure(
                    state.public_url.as_deref(),
                )))
            {
                response.headers_mut().append(header::SET_COOKIE, clear);
            }
            Err(response)
        }
    }
}

fn cross_site() -> ApiError {
    ApiError::Forbidden(
        "cross-site request refused: a change made with the studio's sign-in cookie must come \
         from the studio's own pages (its Origin did not match this studio's address)"
            .into(),
    )
}

/// The first query parameter that looks like a token is carried in it.
pub fn token_in_query(query: Option<&str>) -> Option<&'static str> {
    let query = query?;
    query.split('&').find_map(|pair| {
        let key = pair.split('=').next().unwrap_or(pair);
        TOKEN_PARAMETERS
            .into_iter()
            .find(|name| key.eq_ignore_ascii_case(name))
    })
}

/// Finds the caller from the `Authorization` header, else the session
/// cookie.
async fn credentials(
    state: &AppState,
    headers: &HeaderMap,
    address: Option<String>,
) -> anyhow::Result<Credentials> {
    let now = now_ms();
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        let Some(token) = token else {
            return Ok(Credentials::Refused {
                message: "Send an API token as `Authorization: Bearer chorus_pat_…`",
                stale_cookie: false,
            });
        };
        return Ok(match tokens::find(&state.db, token, now).await? {
            Some(found) => Credentials::Valid(Actor {
                user_id: Some(found.user.id.clone()),
                email: Some(found.user.email.clone()),
                role: found.role(),
                via: Via::Token {
                    token_id: found.token_id,
                    name: found.name,
                    scopes: found.scopes,
                },
                address,
            }),
            None => Credentials::Refused {
                message: "This API token is unknown or has been revoked: make a new one in Settings",
                stale_cookie: false,
            },
        });
    }
    if sessions::all_cookies(headers).any(|(_, value)| value.starts_with(tokens::PREFIX)) {
        return Ok(Credentials::Refused {
            message: "An API token is accepted only as `Authorization: Bearer …`, never in a cookie",
            stale_cookie: false,
        });
    }
    let Some(secret) = sessions::secret_in(headers) else {
        return Ok(Credentials::None);
    };
    Ok(match sessions::find(&state.db, secret, now).await? {
        Some(found) => Credentials::Valid(Actor {
            user_id: Some(found.user.id),
            email: Some(found.user.email),
            role: found.user.role,
            via: Via::Session {
                session_id: found.session_id,
            },
            address,
        }),
        None => Credentials::Refused {
            message: "Your session has ended: sign in again",
            stale_cookie: true,
        },
    })
}

/// Whether `actor` may do what the route needs; the 403 says why not.
fn allowed(actor: &Actor, need: Need, does: &str, method: &Method) -> Result<(), ApiError> {
    if let Via::Token { scopes, name, .. } = &actor.via
        && origin::changes_state(method)
        && !tokens::may_write(scopes)
    {
        return Err(ApiError::Forbidden(format!(
            "The token \"{name}\" may only read: make one with the generate scope to {does}"
        )));
    }
    if actor.role.allows(need) {
        return Ok(());
    }
    let Need::Role(needed) = need else {
        return Ok(());
    };
    let message = match &actor.via {
        Via::Token { name, .. } => format!(
            "The token \"{name}\" acts as {} {}: it can't {does}{}",
            article(actor.role),
            actor.role.as_str(),
            if needed == Role::Owner {
                " (only owners can, and tokens never act as owners)"
            } else {
                ""
            }
        ),
        Via::Local | Via::Session { .. } if needed == Role::Owner => {
            format!("{}s can't {does}: only owners can", actor.role.label())
        }
        Via::Local | Via::Session { .. } => format!(
            "{}s can't {does}: ask an owner to make you {} {}",
            actor.role.label(),
            article(needed),
            needed.as_str()
        ),
    };
    Err(ApiError::Forbidden(message))
}

fn article(role: Role) -> &'static str {
    match role {
        Role::Editor | Role::Owner => "an",
        Role::Viewer => "a",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_in_the_query_are_spotted() {
        assert_eq!(token_in_query(Some("a=1&token=x")), Some("token"));
        assert_eq!(token_in_query(Some("Access_Token=x")), Some("access_token"));
        assert_eq!(token_in_query(Some("api_token")), Some("api_token"));
        assert_eq!(token_in_query(Some("tokens=1&q=token")), None);
        assert_eq!(token_in_query(None), None);
    }

    #[test]
    fn refusals_say_why() {
        let viewer = Actor {
            role: Role::Viewer,
            user_id: Some("us_1".into()),
            email: Some("vi@example.com".into()),
            via: Via::Session {
                session_id: "ss_1".into(),
            },
            address: None,
        };
        let refused = allowed(&viewer, Need::Role(Role::Editor), "generate", &Method::POST)
            .expect_err("a viewer may not generate");
        assert_eq!(
            refused.to_string(),
            "Viewers can't generate: ask an owner to make you an editor"
        );
        assert!(allowed(&viewer, Need::Role(Role::Viewer), "comment", &Method::POST).is_ok());
        let reader = Actor {
            role: Role::Viewer,
            via: Via::Token {
                token_id: "tk_1".into(),
                name: "nightly".into(),
                scopes: vec![chorus_core::access::Scope::Read],
            },
            ..viewer
        };
        let refused = allowed(&reader, Need::Role(Role::Viewer), "comment", &Method::POST)
            .expect_err("a read token only reads");
        assert!(refused.to_string().contains("may only read"), "{refused}");
        assert!(allowed(&reader, Need::Role(Role::Viewer), "see jobs", &Method::GET).is_ok());
    }
}
