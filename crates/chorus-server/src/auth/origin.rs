//! Cross-site request refusal. A browser sends the studio's cookie with a
//! request some other site's page makes, so a state-changing request
//! authenticated by the cookie must prove it comes from the studio's own
//! pages: its `Origin` must be the studio's origin, which is the one
//! `CHORUS_PUBLIC_URL` names, or else the address the request was sent to
//! (its `Host`). Browsers always send `Origin` on such requests; a missing
//! one is refused too. Requests with a bearer token need none: no browser
//! adds that header on another site's behalf.

use axum::http::{HeaderMap, Method, header};

/// Whether `method` may change something (all but `GET`, `HEAD`, `OPTIONS`).
pub fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The request's `Origin`, when it sent one that is not `null`.
pub fn origin_of(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|o| !o.is_empty() && *o != "null")
}

/// `scheme://host[:port]` of `url`, lower-cased: what an `Origin` header
/// holds.
pub fn origin_part(url: &str) -> Option<String> {
    let url = url.trim();
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    (!authority.is_empty()).then(|| format!("{scheme}://{authority}").to_ascii_lowercase())
}

/// Whether the request's `Origin` is the studio's own: `public_url`'s
/// origin, or `http(s)://` and the request's `Host` (`authority` when the
/// request carried its address in the URI instead, as HTTP/2 does).
pub fn is_same_origin(
    headers: &HeaderMap,
    authority: Option<&str>,
    public_url: Option<&str>,
) -> bool {
    let Some(origin) = origin_of(headers).map(str::to_ascii_lowercase) else {
        return false;
    };
    if public_url
        .and_then(origin_part)
        .is_some_and(|public| origin == public)
    {
        return true;
    }
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or(authority)
        .map(|h| h.trim().to_ascii_lowercase());
    host.is_some_and(|host| {
        !host.is_empty()
            && (origin == format!("http://{host}") || origin == format!("https://{host}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().expect("header value"));
        }
        map
    }

    #[test]
    fn the_origin_must_be_the_studios_own() {
        let own = headers(&[
            ("host", "studio.test:8080"),
            ("origin", "http://studio.test:8080"),
        ]);
        assert!(is_same_origin(&own, None, None));
        let other = headers(&[
            ("host", "studio.test:8080"),
            ("origin", "https://evil.test"),
        ]);
        assert!(!is_same_origin(&other, None, None));
        let none = headers(&[("host", "studio.test:8080")]);
        assert!(!is_same_origin(&none, None, None));
        let null = headers(&[("host", "studio.test"), ("origin", "null")]);
        assert!(!is_same_origin(&null, None, None));
        // Behind a proxy the Host may be the proxy's upstream address;
        // the public URL names the studio's origin.
        let proxied = headers(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "https://Studio.Example.com"),
        ]);
        assert!(is_same_origin(
            &proxied,
            None,
            Some("https://studio.example.com/")
        ));
        assert!(!is_same_origin(
            &proxied,
            None,
            Some("https://other.example.com")
        ));
        // A look-alike host is not the same host.
        let lookalike = headers(&[
            ("host", "studio.test"),
            ("origin", "http://studio.test.evil.test"),
        ]);
        assert!(!is_same_origin(&lookalike, None, None));
        let h2 = headers(&[("origin", "https://studio.test")]);
        assert!(is_same_origin(&h2, Some("studio.test"), None));
    }

    #[test]
    fn only_reads_are_safe() {
        assert!(!changes_state(&Method::GET));
        assert!(!changes_state(&Method::HEAD));
        assert!(changes_state(&Method::POST));
        assert!(changes_state(&Method::DELETE));
        assert!(changes_state(&Method::PATCH));
        assert_eq!(
            origin_part("https://studio.example.com/base?x").as_deref(),
            Some("https://studio.example.com")
        );
        assert_eq!(origin_part("studio.example.com"), None);
    }
}
