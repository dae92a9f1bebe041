//! What the Library is showing: the search text and filters, kept in the
//! page's URL (so a filtered view can be bookmarked or sent) and sent to
//! `GET /api/jobs` with the page cursor. Pure, so it is tested natively.

/// One filtered view of the Library. Empty fields filter nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LibraryQuery {
    /// Words in the prompt or the spoken lines.
    pub text: String,
    /// `queued`, `running`, `succeeded`, `failed` or `canceled`.
    pub status: String,
    /// A language code (`de`).
    pub language: String,
    /// A model id (`draft`, `import`, …).
    pub model: String,
    /// First and last day, `YYYY-MM-DD`.
    pub from: String,
    pub to: String,
}

use std::fmt::Write as _;

/// `%XX`-encodes everything but unreserved characters.
fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(char::from(byte));
        } else if byte == b' ' {
            out.push('+');
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// Undoes [`encode`] (and any other `%XX`/`+` form a browser writes).
fn decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..=i + 2]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl LibraryQuery {
    fn fields(&self) -> [(&'static str, &str); 6] {
        [
            ("q", &self.text),
            ("status", &self.status),
            ("language", &self.language),
            ("model", &self.model),
            ("from", &self.from),
            ("to", &self.to),
        ]
    }

    /// Reads a URL's query (`?q=tulpen&language=de`); unknown keys are
    /// ignored, so other parameters can share the URL.
    pub fn from_search(search: &str) -> Self {
        let mut query = Self::default();
        for pair in search.trim_start_matches('?').split('&') {
            let Some((key, value)) = pair.split_once('=') else {
                continue;
            };
            let value = decode(value);
            match key {
                "q" => query.text = value,
                "status" => query.status = value,
                "language" => query.language = value,
                "model" => query.model = value,
                "from" => query.from = value,
                "to" => query.to = value,
                _ => {}
            }
        }
        query
    }

    /// The set fields as `key=value&…` (no `?`), in a fixed order; empty
    /// when nothing is filtered.
    pub fn to_search(&self) -> String {
        self.fields()
            .iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(k, v)| format!("{k}={}", encode(v.trim())))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// The API path for the page after `before` (the first page when
    /// `None`), `limit` jobs long.
    pub fn api_path(&self, before: Option<&str>, limit: u32) -> String {
        let mut parts = vec![format!("limit={limit}")];
        if let Some(cursor) = before {
            parts.push(format!("before={}", encode(cursor)));
        }
        let filters = self.to_search();
        if !filters.is_empty() {
            parts.push(filters);
        }
        format!("/api/jobs?{}", parts.join("&"))
    }

    pub fn is_filtered(&self) -> bool {
        self.fields().iter().any(|(_, v)| !v.trim().is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_view_round_trips_through_the_url() {
        let view = LibraryQuery {
            text: "frische Tulpen & Rosen".into(),
            language: "de".into(),
            status: "succeeded".into(),
            from: "2026-11-01".into(),
            ..LibraryQuery::default()
        };
        let search = view.to_search();
        assert_eq!(
            search,
            "q=frische+Tulpen+%26+Rosen&status=succeeded&language=de&from=2026-11-01"
        );
        assert_eq!(LibraryQuery::from_search(&format!("?{search}")), view);
        assert!(view.is_filtered());
    }

    #[test]
    fn the_api_path_carries_the_cursor_and_the_filters() {
        let view = LibraryQuery {
            text: "tulpen".into(),
            ..LibraryQuery::default()
        };
        assert_eq!(
            view.api_path(Some("1700000000000:job_abc"), 50),
            "/api/jobs?limit=50&before=1700000000000%3Ajob_abc&q=tulpen"
        );
        assert_eq!(
            LibraryQuery::default().api_path(None, 50),
            "/api/jobs?limit=50"
        );
    }

    #[test]
    fn other_parameters_and_broken_escapes_are_survived() {
        let view = LibraryQuery::from_search("?gpu=webgpu&q=caf%C3%A9&model=draft&x&q2=1&to=%Z");
        assert_eq!(view.text, "café");
        assert_eq!(view.model, "draft");
        assert_eq!(view.to, "%Z");
        assert!(!LibraryQuery::default().is_filtered());
    }
}
