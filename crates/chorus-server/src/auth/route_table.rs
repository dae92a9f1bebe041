//! Every `/api` route and what it asks of its caller, in one list, so who
//! may do what is read in one place rather than found in handlers. The
//! guard looks each request up here by the route axum matched
//! (`MatchedPath`) and its method; a route missing from the list is
//! refused in every sign-in mode, so forgetting to list one fails closed
//! (and `tests/access.rs` fails when a route in `src/routes` is unlisted).

use std::sync::LazyLock;

use axum::http::Method;
use chorus_core::access::{Need, Role};

/// One route's rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub method: Method,
    /// The route as axum writes it, `/api` included: `/api/jobs/{id}`.
    pub path: &'static str,
    pub need: Need,
    /// What the route does, for the 403 that says why ("generate").
    pub does: &'static str,
}

const ANYONE: Need = Need::Anyone;
const VIEWER: Need = Need::Role(Role::Viewer);
const EDITOR: Need = Need::Role(Role::Editor);
const OWNER: Need = Need::Role(Role::Owner);

fn rule(method: Method, path: &'static str, need: Need, does: &'static str) -> Rule {
    Rule {
        method,
        path,
        need,
        does,
    }
}

static RULES: LazyLock<Vec<Rule>> = LazyLock::new(table);

/// Every rule, in the order the table lists them.
pub fn rules() -> &'static [Rule] {
    &RULES
}

/// The table. Reading is for viewers; so is commenting (replies, resolving)
/// and checking a line's fit. Spending, changing and sharing is for
/// editors; accounts, budgets and the audit log for owners. Signing in,
/// invites and provider webhooks (which check their own signatures) are
/// for anyone.
fn table() -> Vec<Rule> {
    use Method as M;
    vec![
        // Jobs and the Library.
        rule(M::POST, "/api/jobs", EDITOR, "generate"),
        rule(M::GET, "/api/jobs", VIEWER, "see jobs"),
        rule(M::GET, "/api/jobs/{id}", VIEWER, "see jobs"),
        rule(M::DELETE, "/api/jobs/{id}", EDITOR, "delete jobs"),
        rule(M::POST, "/api/jobs/{id}/cancel", EDITOR, "cancel jobs"),
        rule(M::POST, "/api/jobs/{id}/restore", EDITOR, "restore jobs"),
        rule(M::GET, "/api/library/usage", VIEWER, "see storage use"),
        // Campaigns.
        rule(M::POST, "/api/campaigns", EDITOR, "run campaigns"),
        rule(M::GET, "/api/campaigns", VIEWER, "see campaigns"),
        rule(M::GET, "/api/campaigns/{id}", VIEWER, "see campaigns"),
        rule(M::POST, "/api/campaigns/{id}/retry", EDITOR, "run campaigns"),
        rule(M::POST, "/api/campaigns/{id}/cancel", EDITOR, "run campaigns"),
        rule(M::POST, "/api/uploads", EDITOR, "upload pictures"),
        rule(M::POST, "/api/imports", EDITOR, "import clips"),
        rule(M::GET, "/api/assets/{id}", VIEWER, "watch takes"),
        rule(M::GET, "/api/events", VIEWER, "follow jobs"),
        rule(M::GET, "/api/models", VIEWER, "see models"),
        rule(M::POST, "/api/speech-fit", VIEWER, "check a line's fit"),
        // Localized lines: translating spends money; the glossary is the
        // studio's copy rules.
        rule(M::POST, "/api/translate", EDITOR, "translate lines"),
        rule(
            M::GET,
            "/api/translate/engines",
            VIEWER,
            "see translation engines",
        ),
        rule(M::GET, "/api/glossary", VIEWER, "see the glossary"),
        rule(M::PUT, "/api/glossary", EDITOR, "change the glossary"),
        rule(
            M::POST,
            "/api/jobs/{id}/outputs/{index}/audio-shift",
            EDITOR,
            "correct takes",
        ),
        rule(
            M::POST,
            "/api/webhooks/{provider}",
            ANYONE,
            "deliver webhooks",
        ),
        // Client review, the studio's side.
        rule(
            M::POST,
            "/api/jobs/{id}/reviews",
            EDITOR,
            "share for review",
        ),
        rule(M::GET, "/api/jobs/{id}/reviews", VIEWER, "see review links"),
        rule(
            M::PATCH,
            "/api/reviews/{link}",
            EDITOR,
            "change review links",
        ),
        rule(
            M::POST,
            "/api/reviews/{link}/revoke",
            EDITOR,
            "revoke review links",
        ),
        rule(M::GET, "/api/jobs/{id}/feedback", VIEWER, "read feedback"),
        rule(M::POST, "/api/jobs/{id}/comments", VIEWER, "comment"),
        rule(
            M::GET,
            "/api/jobs/{id}/comments.csv",
            VIEWER,
            "export comments",
        ),
        rule(
            M::GET,
            "/api/jobs/{id}/comments.edl",
            VIEWER,
            "export comments",
        ),
        rule(
            M::POST,
            "/api/comments/{comment}/resolve",
            VIEWER,
            "resolve comments",
        ),
        // Accounts.
        rule(M::GET, "/api/me", ANYONE, "ask who is signed in"),
        rule(M::POST, "/api/session", ANYONE, "sign in"),
        rule(M::DELETE, "/api/session", ANYONE, "sign out"),
        rule(
            M::POST,
            "/api/session/everywhere",
            VIEWER,
            "sign out everywhere",
        ),
        rule(M::GET, "/api/invites/{token}", ANYONE, "open an invite"),
        rule(M::POST, "/api/invites/{token}", ANYONE, "accept an invite"),
        rule(M::GET, "/api/users", OWNER, "manage users"),
        rule(M::POST, "/api/users", OWNER, "invite users"),
        rule(M::PATCH, "/api/users/{id}", OWNER, "change roles"),
        rule(M::DELETE, "/api/users/{id}", OWNER, "remove users"),
        rule(M::POST, "/api/users/{id}/invite", OWNER, "invite users"),
        rule(M::GET, "/api/tokens", EDITOR, "use API tokens"),
        rule(M::POST, "/api/tokens", EDITOR, "make API tokens"),
        // Revoking is open to a viewer too: an editor demoted since keeps
        // the right to revoke their own tokens (the handler checks whose).
        rule(M::DELETE, "/api/tokens/{id}", VIEWER, "revoke API tokens"),
        // Spend and the audit log.
        rule(M::GET, "/api/spend", OWNER, "see spend"),
        rule(M::PUT, "/api/budget", OWNER, "set budgets"),
        rule(M::GET, "/api/spend/left", EDITOR, "see the budget left"),
        rule(M::GET, "/api/audit", OWNER, "read the audit log"),
        rule(M::GET, "/api/audit.csv", OWNER, "export the audit log"),
        rule(M::GET, "/api/providers", OWNER, "see provider keys"),
    ]
}

/// What the table says of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// The route and method are listed.
    Listed { need: Need, does: &'static str },
    /// The route is listed, but not with this method: the router answers
    /// 405 (or 404, for a path no route matched).
    NotThisMethod,
    /// axum matched a route the table does not list: a programming mistake.
    Unlisted,
}

/// The rule for `method` on the route `pattern` axum matched. `HEAD` is
/// answered by a route's `GET`, so it follows that rule.
pub fn lookup(rules: &[Rule], method: &Method, pattern: &str) -> Lookup {
    let method = if method == Method::HEAD {
        &Method::GET
    } else {
        method
    };
    let mut path_listed = false;
    for rule in rules.iter().filter(|r| r.path == pattern) {
        path_listed = true;
        if rule.method == method {
            return Lookup::Listed {
                need: rule.need,
                does: rule.does,
            };
        }
    }
    if path_listed {
        Lookup::NotThisMethod
    } else {
        Lookup::Unlisted
    }
}

/// The pattern in `rules` that `path` (a request's own path) fits, for a
/// request no route matched: `/api/jobs/abc` fits `/api/jobs/{id}`.
pub fn pattern_of<'r>(rules: &'r [Rule], path: &str) -> Option<&'r str> {
    rules
        .iter()
        .map(|r| r.path)
        .find(|pattern| fits(pattern, path))
}

fn fits(pattern: &str, path: &str) -> bool {
    let mut want = pattern.split('/');
    let mut have = path.split('/');
    loop {
        match (want.next(), have.next()) {
            (None, None) => return true,
            (Some(w), Some(h)) if w.starts_with('{') && w.ends_with('}') && !h.is_empty() => {}
            (Some(w), Some(h)) if w == h => {}
            _ => return false,
        }
    }
}

/// The table as Markdown, for the closing note and the test output.
pub fn markdown(rules: &[Rule]) -> String {
    use std::fmt::Write as _;
    let mut out = String::from("| Method | Route | Needs | To |\n|---|---|---|---|\n");
    for rule in rules {
        let need = match rule.need {
            Need::Anyone => "anyone".to_string(),
            Need::Role(role) => role.as_str().to_string(),
        };
        let _ = writeln!(
            out,
            "| {} | `{}` | {need} | {} |",
            rule.method, rule.path, rule.does
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_found_by_pattern_and_method() {
        let rules = rules();
        assert_eq!(
            lookup(rules, &Method::POST, "/api/jobs"),
            Lookup::Listed {
                need: EDITOR,
                does: "generate"
            }
        );
        assert!(matches!(
            lookup(rules, &Method::HEAD, "/api/jobs/{id}"),
            Lookup::Listed { need, .. } if need == VIEWER
        ));
        assert_eq!(
            lookup(rules, &Method::PUT, "/api/jobs"),
            Lookup::NotThisMethod
        );
        assert_eq!(lookup(rules, &Method::GET, "/api/secret"), Lookup::Unlisted);
    }

    #[test]
    fn each_route_and_method_is_listed_once() {
        let rules = rules();
        for (i, a) in rules.iter().enumerate() {
            for b in &rules[i + 1..] {
                assert!(
                    !(a.path == b.path && a.method == b.method),
                    "{} {} is listed twice",
                    a.method,
                    a.path
                );
            }
        }
    }

    #[test]
    fn paths_fit_patterns_segment_by_segment() {
        let rules = rules();
        assert_eq!(pattern_of(rules, "/api/jobs/j1"), Some("/api/jobs/{id}"));
        assert_eq!(
            pattern_of(rules, "/api/jobs/j1/outputs/0/audio-shift"),
            Some("/api/jobs/{id}/outputs/{index}/audio-shift")
        );
        assert_eq!(pattern_of(rules, "/api/jobs/"), None);
        assert_eq!(pattern_of(rules, "/api/nothing"), None);
        assert_eq!(
            pattern_of(rules, "/api/spend/left"),
            Some("/api/spend/left")
        );
    }
}
