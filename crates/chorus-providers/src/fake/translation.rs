//! What the translation fakes (`qwen_mt`, `deepl`) share: a phrasebook a
//! test scripts, the faults it queues for the next calls, and the request
//! bodies each fake received. Answers are deterministic: a scripted line
//! answers its long translation, or its short one when the request carries
//! a length hint; any other line answers `[<code>] <text>`. Terms sent with
//! a request are applied to the answer (the source term replaced by the
//! target term) unless the test made the fake drop that term.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chorus_core::Language;
use serde_json::Value;

/// A fault answered in place of the real answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answers only after `Book::slow`, longer than a test client waits.
    Slow,
    /// Answers this HTTP status (429 with `Retry-After`).
    Status(u16),
    /// Answers 200 with a body that is not JSON.
    Malformed,
}

/// A fake's whole state.
#[derive(Debug)]
pub struct Book {
    /// (source text, target) to (long, short) translations.
    pub phrases: HashMap<(String, Language), (String, String)>,
    /// Terms the fake ignores although they were sent.
    pub dropped: HashSet<String>,
    /// Faults for the next calls, each with the calls it still covers.
    pub faults: Vec<(Fault, u32)>,
    /// Every request body, with the path it was sent to, in order.
    pub requests: Vec<(String, Value)>,
    /// The `Retry-After` sent with a scripted 429, in seconds.
    pub retry_after_s: u64,
    /// How long a `Fault::Slow` answer takes.
    pub slow: Duration,
}

impl Default for Book {
    fn default() -> Self {
        Book {
            phrases: HashMap::new(),
            dropped: HashSet::new(),
            faults: Vec::new(),
            requests: Vec::new(),
            retry_after_s: 0,
            slow: Duration::from_secs(2),
        }
    }
}

pub type Shared = Arc<Mutex<Book>>;

pub fn lock(state: &Shared) -> std::sync::MutexGuard<'_, Book> {
    state.lock().expect("fake translation state")
}

/// A running translation fake and its script; `FakeQwenMt` and `FakeDeepL`
/// dereference to it.
#[derive(Debug, Clone)]
pub struct Scripted {
    pub base: String,
    pub state: Shared,
}

impl Scripted {
    /// Where the fake listens (`http://127.0.0.1:<port>`).
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// Scripts `source_text` into `target`: `long` normally, `short` when
    /// the request says how many seconds the line has.
    pub fn phrase(&self, source_text: &str, target: Language, long: &str, short: &str) {
        lock(&self.state)
            .phrases
            .insert((source_text.into(), target), (long.into(), short.into()));
    }

    /// Makes the fake ignore `term` (the source side) when it is sent.
    pub fn drop_term(&self, term: &str) {
        lock(&self.state).dropped.insert(term.into());
    }

    /// The next `calls` calls answer too slowly (see `slow_answer`).
    pub fn timeout(&self, calls: u32) {
        self.queue(Fault::Slow, calls);
    }

    /// The next `calls` calls answer `code` with the vendor's error body
    /// (429s with `Retry-After`, see `retry_after`).
    pub fn status(&self, code: u16, calls: u32) {
        self.queue(Fault::Status(code), calls);
    }

    /// The next `calls` calls answer 200 with a body that is not JSON.
    pub fn malformed(&self, calls: u32) {
        self.queue(Fault::Malformed, calls);
    }

    /// The `Retry-After` a scripted 429 carries (0 unless set).
    pub fn retry_after(&self, seconds: u64) {
        lock(&self.state).retry_after_s = seconds;
    }

    /// How long a slow answer takes (2 s unless set).
    pub fn slow_answer(&self, delay: Duration) {
        lock(&self.state).slow = delay;
    }

    /// Every body sent to `path`, in order, refused ones included.
    pub fn requests_to(&self, path: &str) -> Vec<Value> {
        lock(&self.state)
            .requests
            .iter()
            .filter(|(p, _)| p == path)
            .map(|(_, body)| body.clone())
            .collect()
    }

    fn queue(&self, fault: Fault, calls: u32) {
        if calls > 0 {
            lock(&self.state).faults.push((fault, calls));
        }
    }
}

/// Records a request and takes the fault scripted for it, if any.
pub fn arrive(state: &Shared, path: &str, body: &Value) -> Option<Fault> {
    let mut book = lock(state);
    book.requests.push((path.into(), body.clone()));
    let (fault, left) = book.faults.first_mut()?;
    let fault = *fault;
    *left -= 1;
    if *left == 0 {
        book.faults.remove(0);
    }
    Some(fault)
}

/// The answer for a fault: `None` after a slow wait (the real answer
/// follows, too late), else the faulty response, its error body made by
/// `error_body(status)`.
pub async fn fault_answer(
    state: &Shared,
    fault: Fault,
    error_body: impl Fn(u16) -> Value,
) -> Option<Response> {
    let (slow, retry_after) = {
        let book = lock(state);
        (book.slow, book.retry_after_s)
    };
    match fault {
        Fault::Slow => {
            tokio::time::sleep(slow).await;
            None
        }
        Fault::Malformed => Some(super::malformed()),
        Fault::Status(code) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let body = axum::Json(error_body(code));
            Some(if code == 429 {
                (status, [("retry-after", retry_after.to_string())], body).into_response()
            } else {
                (status, body).into_response()
            })
        }
    }
}

/// The fake's translation of `text` into `target`: scripted (short when
/// `hinted`) or `[<code>] <text>`, with `terms` applied unless dropped.
pub fn answer_for(
    state: &Shared,
    text: &str,
    target: Language,
    hinted: bool,
    terms: &[(String, String)],
) -> String {
    let book = lock(state);
    let mut answer = match book.phrases.get(&(text.to_string(), target)) {
        Some((long, short)) => {
            if hinted {
                short.clone()
            } else {
                long.clone()
            }
        }
        None => format!("[{}] {text}", target.code()),
    };
    for (source, target) in terms {
        if !book.dropped.contains(source) {
            answer = answer.replace(source.as_str(), target);
        }
    }
    answer
}

/// Whether a hint text tells the length.
pub fn mentions_seconds(hint: Option<&str>) -> bool {
    hint.is_some_and(|h| h.contains("seconds"))
}
