//! The studio's rules about who is signed in, in plain Rust so they are
//! tested natively: where sign-in returns to (only ever a path of this
//! studio), dollars typed into the budget form, what Compose says about the
//! budget left, and the audit log's filters in a URL.

use chorus_core::access::Role;
use chorus_core::access::{AuditAction, BudgetLeft, BudgetOf, dollars, over_budget_message};

/// Pages anyone reaches signed out; sign-in never returns to them.
pub fn is_public_path(path: &str) -> bool {
    let path = path.split(['?', '#']).next().unwrap_or("");
    path == "/sign-in" || path.starts_with("/sign-in/") || path.starts_with("/invite/")
}

/// `?next=` as given, kept only when it is a path inside this studio: an
/// address elsewhere (`//evil.example`, `https://…`, `/\evil`) would make
/// the sign-in page a springboard for phishing.
pub fn safe_next(raw: Option<&str>) -> Option<String> {
    let next = percent_decode(raw?.trim())?;
    let inside = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(char::is_control);
    (inside && !is_public_path(&next)).then_some(next)
}

/// Where a signed-out person is sent from `current` (path, query and
/// hash): the sign-in page, remembering where they were.
pub fn sign_in_path(current: &str) -> String {
    if current.is_empty() || current == "/" || is_public_path(current) {
        "/sign-in".to_string()
    } else {
        format!("/sign-in?next={}", percent_encode(current))
    }
}

/// Where someone lands once signed in: where they were going, else the
/// page their role starts on (viewers cannot compose, so the Library).
pub fn landing(role: Role, next: Option<String>) -> String {
    let start = if role >= Role::Editor {
        "/"
    } else {
        "/library"
    };
    match next {
        Some(path) if role < Role::Editor && (path == "/" || path.starts_with("/?")) => {
            start.to_string()
        }
        Some(path) => path,
        None => start.to_string(),
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters, so a
/// path with its own query fits in one query value.
pub fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            const HEX: &[u8; 16] = b"0123456789ABCDEF";
            out.push('%');
            out.push(HEX[usize::from(byte >> 4)] as char);
            out.push(HEX[usize::from(byte & 0xF)] as char);
        }
    }
    out
}

/// The reverse of [`percent_encode`] (with `+` as a space, as forms send
/// it); `None` when the escapes are broken or not UTF-8.
pub fn percent_decode(value: &str) -> Option<String> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = value.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// The largest monthly limit the form takes, in dollars: far above any
/// studio's spend, and far below where millionths overflow.
const MAX_LIMIT_DOLLARS: u64 = 100_000_000;

/// A limit typed in dollars ("500", "$1,250.50"), in millionths; `Ok(None)`
/// when left empty (no limit).
pub fn parse_dollars(typed: &str) -> Result<Option<u64>, String> {
    let cleaned: String = typed
        .trim()
        .trim_start_matches('$')
        .chars()
        .filter(|c| *c != ',' && !c.is_whitespace())
        .collect();
    if cleaned.is_empty() {
        return Ok(None);
    }
    let wrong = || {
        format!(
            "\"{}\" is not an amount in dollars, like 500 or 12.50.",
            typed.trim()
        )
    };
    let (whole, cents) = match cleaned.split_once('.') {
        Some((w, c)) => (w, c),
        None => (cleaned.as_str(), ""),
    };
    if (whole.is_empty() && cents.is_empty())
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !cents.chars().all(|c| c.is_ascii_digit())
    {
        return Err(wrong());
    }
    if cents.len() > 2 {
        return Err("Give the amount to the cent at most, like 12.50.".to_string());
    }
    let whole: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| wrong())?
    };
    if whole >= MAX_LIMIT_DOLLARS {
        return Err(format!(
            "A monthly limit is at most {}.",
            dollars(MAX_LIMIT_DOLLARS * 1_000_000 - 10_000)
        ));
    }
    let cents: u64 = format!("{cents:0<2}").parse().map_err(|_| wrong())?;
    Ok(Some(whole * 1_000_000 + cents * 10_000))
}

/// A limit as the form shows it: "500" or "12.50" (no dollar sign: the
/// field has one beside it).
pub fn dollars_field(usd_micros: u64) -> String {
    let shown = dollars(usd_micros);
    let bare = shown.trim_start_matches('$');
    bare.strip_suffix(".00").unwrap_or(bare).to_string()
}

/// What Compose says beside the price about the budget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetNote {
    pub text: String,
    /// The job shown would pass the limit: the server will refuse it.
    pub over: bool,
}

/// "$3.10 of this month's $500.00 left", or the refusal the server would
/// give when `cost` passes it; `None` with no limit.
pub fn budget_note(left: &BudgetLeft, cost_usd_micros: Option<u64>) -> Option<BudgetNote> {
    let (left, limit, of) = left.tightest()?;
    if let Some(cost) = cost_usd_micros.filter(|c| *c > left) {
        return Some(BudgetNote {
            text: over_budget_message(cost, left, limit, of),
            over: true,
        });
    }
    let whose = match of {
        BudgetOf::Studio => "this month's",
        BudgetOf::User => "your own monthly",
    };
    Some(BudgetNote {
        text: format!("{} of {whose} {} left", dollars(left), dollars(limit)),
        over: false,
    })
}

/// "Try again in 45 seconds." from a Retry-After in seconds.
pub fn retry_words(seconds: u64) -> String {
    match seconds {
        0 | 1 => "Try again in a second.".to_string(),
        2..=90 => format!("Try again in {seconds} seconds."),
        _ => {
            let minutes = seconds.div_ceil(60);
            format!("Try again in {minutes} minutes.")
        }
    }
}

/// "in 3 days", "in 5 hours", "in 12 minutes", or "expired", for an
/// instant `at` seen from `now` (both Unix milliseconds).
pub fn expires_words(now: i64, at: i64) -> String {
    let left = at - now;
    if left <= 0 {
        return "expired".to_string();
    }
    let minutes = (left + 59_999) / 60_000;
    let plural = |n: i64, unit: &str| {
        if n == 1 {
            format!("in 1 {unit}")
        } else {
            format!("in {n} {unit}s")
        }
    };
    if minutes < 60 {
        plural(minutes, "minute")
    } else if minutes < 48 * 60 {
        plural(minutes / 60, "hour")
    } else {
        plural(minutes / (24 * 60), "day")
    }
}

/// The month before or after `month` (`YYYY-MM`); `None` if it is not one.
pub fn shift_month(month: &str, by: i32) -> Option<String> {
    let (year, m) = month.split_once('-')?;
    let (year, m): (i32, i32) = (year.parse().ok()?, m.parse().ok()?);
    if !(1..=12).contains(&m) || year.to_string().len() != 4 {
        return None;
    }
    let index = year * 12 + (m - 1) + by;
    Some(format!(
        "{:04}-{:02}",
        index.div_euclid(12),
        index.rem_euclid(12) + 1
    ))
}

/// What the audit log is filtered by.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub action: Option<AuditAction>,
    /// Part of the actor's name or email.
    pub actor: String,
}

impl AuditFilter {
    /// The query for `GET /api/audit` (or its CSV), with a page's cursor.
    pub fn query(&self, before: Option<i64>, limit: Option<u32>) -> String {
        let mut pairs = Vec::new();
        if let Some(before) = before {
            pairs.push(format!("before={before}"));
        }
        if let Some(limit) = limit {
            pairs.push(format!("limit={limit}"));
        }
        if let Some(action) = self.action {
            pairs.push(format!("action={}", action.as_str()));
        }
        let actor = self.actor.trim();
        if !actor.is_empty() {
            pairs.push(format!("actor={}", percent_encode(actor)));
        }
        if pairs.is_empty() {
            String::new()
        } else {
            format!("?{}", pairs.join("&"))
        }
    }
}

/// Why the two password fields cannot be used yet, beyond the password's
/// own problems. Quiet while the confirmation is still on its way (a
/// beginning of the password, shorter than it).
pub fn confirm_problem(password: &str, confirm: &str) -> Option<&'static str> {
    let typing = confirm.len() < password.len() && password.starts_with(confirm);
    (!confirm.is_empty() && !typing && password != confirm).then_some("The two passwords differ.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_inside_the_studio() {
        assert_eq!(
            safe_next(Some("%2Flibrary%3Fq%3Dsun")),
            Some("/library?q=sun".into())
        );
        assert_eq!(
            safe_next(Some("/compare/abc?takes=0,1")),
            Some("/compare/abc?takes=0,1".into())
        );
        for bad in [
            "https://evil.example/",
            "//evil.example",
            "%2F%2Fevil.example",
            "/\\evil.example",
            "javascript:alert(1)",
            "/sign-in",
            "/invite/abc",
            "%zz",
            "",
        ] {
            assert_eq!(safe_next(Some(bad)), None, "{bad}");
        }
        assert_eq!(safe_next(None), None);
    }

    #[test]
    fn sign_in_remembers_where_you_were() {
        assert_eq!(sign_in_path("/"), "/sign-in");
        assert_eq!(sign_in_path("/sign-in?next=%2F"), "/sign-in");
        let there = sign_in_path("/library?q=sun rise&status=failed");
        assert_eq!(
            there,
            "/sign-in?next=%2Flibrary%3Fq%3Dsun%20rise%26status%3Dfailed"
        );
        let next = there.split_once("next=").map(|(_, n)| n);
        assert_eq!(
            safe_next(next),
            Some("/library?q=sun rise&status=failed".into())
        );
    }

    #[test]
    fn viewers_land_on_the_library() {
        assert_eq!(landing(Role::Editor, None), "/");
        assert_eq!(
            landing(Role::Owner, Some("/settings/users".into())),
            "/settings/users"
        );
        assert_eq!(landing(Role::Viewer, None), "/library");
        assert_eq!(landing(Role::Viewer, Some("/".into())), "/library");
        assert_eq!(
            landing(Role::Viewer, Some("/compare/x".into())),
            "/compare/x"
        );
    }

    #[test]
    fn percent_round_trips_unicode() {
        let s = "/library?q=café & 東京#x";
        assert_eq!(percent_decode(&percent_encode(s)).as_deref(), Some(s));
        assert_eq!(percent_decode("a+b"), Some("a b".into()));
        assert_eq!(percent_decode("%E2%82"), None);
    }

    #[test]
    fn dollars_typed_become_micros() {
        assert_eq!(parse_dollars(""), Ok(None));
        assert_eq!(parse_dollars("  "), Ok(None));
        assert_eq!(parse_dollars("500"), Ok(Some(500_000_000)));
        assert_eq!(parse_dollars("$1,250.5"), Ok(Some(1_250_500_000)));
        assert_eq!(parse_dollars("12.50"), Ok(Some(12_500_000)));
        assert_eq!(parse_dollars(".75"), Ok(Some(750_000)));
        assert_eq!(parse_dollars("0"), Ok(Some(0)));
        assert!(parse_dollars("-5").is_err());
        assert!(parse_dollars("five").is_err());
        assert!(parse_dollars("1.234").unwrap_err().contains("cent"));
        assert!(parse_dollars("1e9").is_err());
        assert!(parse_dollars("999999999999999999999").is_err());
        assert!(parse_dollars(".").is_err());
    }

    #[test]
    fn limits_show_as_typed() {
        assert_eq!(dollars_field(500_000_000), "500");
        assert_eq!(dollars_field(12_500_000), "12.50");
        assert_eq!(
            parse_dollars(&dollars_field(12_340_000)),
            Ok(Some(12_340_000))
        );
    }

    fn left(studio: Option<(u64, u64)>, user: Option<(u64, u64)>) -> BudgetLeft {
        BudgetLeft {
            month: "2026-12".into(),
            studio_limit_usd_micros: studio.map(|s| s.1),
            studio_left_usd_micros: studio.map(|s| s.0),
            user_limit_usd_micros: user.map(|u| u.1),
            user_left_usd_micros: user.map(|u| u.0),
        }
    }

    #[test]
    fn compose_says_what_is_left_and_when_a_job_passes_it() {
        assert_eq!(budget_note(&left(None, None), Some(4_200_000)), None);
        let studio = left(Some((3_100_000, 500_000_000)), None);
        assert_eq!(
            budget_note(&studio, Some(1_000_000)),
            Some(BudgetNote {
                text: "$3.10 of this month's $500.00 left".into(),
                over: false
            })
        );
        assert_eq!(
            budget_note(&studio, Some(4_200_000)),
            Some(BudgetNote {
                text: "This job needs $4.20; $3.10 of this month's $500.00 is left.".into(),
                over: true
            })
        );
        let both = left(
            Some((100_000_000, 500_000_000)),
            Some((2_000_000, 20_000_000)),
        );
        let note = budget_note(&both, None).expect("a limit");
        assert_eq!(note.text, "$2.00 of your own monthly $20.00 left");
    }

    #[test]
    fn waits_and_expiries_read_as_words() {
        assert_eq!(retry_words(1), "Try again in a second.");
        assert_eq!(retry_words(45), "Try again in 45 seconds.");
        assert_eq!(retry_words(600), "Try again in 10 minutes.");
        let hour = 3_600_000;
        assert_eq!(expires_words(0, 72 * hour), "in 3 days");
        assert_eq!(expires_words(0, 5 * hour), "in 5 hours");
        assert_eq!(expires_words(0, 60_000), "in 1 minute");
        assert_eq!(expires_words(10, 10), "expired");
    }

    #[test]
    fn months_step_across_years() {
        assert_eq!(shift_month("2026-12", 1).as_deref(), Some("2027-01"));
        assert_eq!(shift_month("2026-01", -1).as_deref(), Some("2025-12"));
        assert_eq!(shift_month("2026-13", 1), None);
        assert_eq!(shift_month("nope", 1), None);
    }

    #[test]
    fn audit_filters_make_a_query() {
        assert_eq!(AuditFilter::default().query(None, None), "");
        let filter = AuditFilter {
            action: Some(AuditAction::JobRefused),
            actor: " ana@example.com ".into(),
        };
        assert_eq!(
            filter.query(Some(42), Some(50)),
            "?before=42&limit=50&action=job_refused&actor=ana%40example.com"
        );
    }

    #[test]
    fn confirmation_must_match() {
        assert_eq!(confirm_problem("abc", ""), None);
        assert_eq!(confirm_problem("abc", "abc"), None);
        assert!(confirm_problem("abc", "abd").is_some());
        assert_eq!(confirm_problem("abcdef", "abc"), None, "still typing");
        assert!(confirm_problem("abcdef", "abx").is_some());
        assert!(confirm_problem("abc", "abcd").is_some());
    }
}
