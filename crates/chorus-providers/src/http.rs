//! The HTTP layer every adapter shares: one authenticated client per
//! provider (base URL, auth scheme and key), one call with a per-call
//! timeout, retries with backoff for what is safe to retry, and provider
//! error bodies turned into messages. The key is read here and nowhere
//! else in the adapters. Safe calls (reads, polls, cancels) retry on
//! network errors, 429 and 5xx; submits retry only when the provider
//! certainly did not receive them (see `ledger` for why). A 429's
//! `Retry-After` (in seconds) is waited out, up to `RETRY_AFTER_CAP`.

use std::sync::Mutex;
use std::time::Duration;

use bytes::Bytes;
use reqwest::Method;
use reqwest::header::{AUTHORIZATION, HeaderValue};
use serde_json::Value;

use crate::error::{ProviderError, Result};
use crate::ledger::SendOutcome;
use crate::secret::Secret;
use crate::wait::{Backoff, SeededRng};

/// How hard one call tries.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    pub backoff: Backoff,
    /// Limit for one HTTP exchange.
    pub call_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            backoff: Backoff::new(Duration::from_millis(500), Duration::from_secs(8)),
            call_timeout: Duration::from_secs(30),
        }
    }
}

/// Whether a call may be repeated without side effects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallKind {
    Safe,
    Submit,
}

/// A final answer below 500 (2xx, or a 4xx the adapter interprets).
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: Bytes,
}

/// A call that failed, and whether a submit may have gone through.
#[derive(Debug, Clone)]
pub struct CallError {
    pub error: ProviderError,
    pub outcome: SendOutcome,
}

impl From<CallError> for ProviderError {
    fn from(e: CallError) -> Self {
        e.error
    }
}

/// How a provider reads its key from the `Authorization` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthScheme {
    /// `Key <key>` (fal).
    Key,
    /// `Bearer <key>` (Replicate, Runware, DashScope).
    Bearer,
    /// `DeepL-Auth-Key <key>` (DeepL).
    DeepL,
}

/// The longest a provider's `Retry-After` is waited out before a retry; a
/// longer one is cut to this (the call still gives up after its attempts).
pub const RETRY_AFTER_CAP: Duration = Duration::from_secs(10);

/// How a `ProviderError::Network` detail begins when the call timed out.
pub const TIMED_OUT: &str = "timed out";

/// A provider's HTTP API as shipped: what each adapter declares once.
#[derive(Debug)]
pub struct Api {
    pub provider: &'static str,
    /// The production address every path is joined to.
    pub base_url: &'static str,
    /// The environment variable that holds the key.
    pub key_var: &'static str,
    pub scheme: AuthScheme,
}

/// Where and how an adapter reaches its provider.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub key: Secret,
    /// The API's production address; a fake's address in tests.
    pub base_url: String,
    pub retry: RetryPolicy,
    /// Seeds the jitter between retries.
    pub seed: u64,
}

impl ClientConfig {
    /// `api` at its production address with `key`.
    pub fn new(api: &Api, key: Secret) -> Self {
        ClientConfig {
            key,
            base_url: api.base_url.into(),
            retry: RetryPolicy::default(),
            seed: SeededRng::from_time().next_u64(),
        }
    }

    /// The key from `api.key_var`; `NotConfigured` when unset or blank.
    pub fn from_env(api: &Api) -> Result<Self> {
        Secret::from_env(api.key_var)
            .map(|key| ClientConfig::new(api, key))
            .ok_or(ProviderError::NotConfigured {
                provider: api.provider,
                env_var: api.key_var,
            })
    }
}

/// One provider's authenticated client. Every request it makes with the
/// key goes to a path under the configured base URL, and redirects are not
/// followed: keys only ever go to the configured host.
pub struct Client {
    pub provider: &'static str,
    base_url: String,
    /// The whole `Authorization` value, marked sensitive.
    authorization: HeaderValue,
    http: reqwest::Client,
    policy: RetryPolicy,
    rng: Mutex<SeededRng>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("provider", &self.provider)
            .field("base_url", &self.base_url)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client for `api` as `config` says. Fails when the key cannot be
    /// sent as a header or the HTTP client cannot be built; never falls
    /// back to a client that follows redirects.
    pub fn new(api: &Api, config: ClientConfig) -> Result<Self> {
        let setup = |detail: String| ProviderError::ClientSetup {
            provider: api.provider,
            detail,
        };
        let scheme = match api.scheme {
            AuthScheme::Key => "Key",
            AuthScheme::Bearer => "Bearer",
            AuthScheme::DeepL => "DeepL-Auth-Key",
        };
        // The one place a key is read: into this header value.
        let mut authorization = HeaderValue::from_str(&format!("{scheme} {}", config.key.expose()))
            .map_err(|_| {
                setup(format!(
                    "the key in {} has characters a header cannot carry",
                    api.key_var
                ))
            })?;
        authorization.set_sensitive(true);
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| setup(error_chain(&e)))?;
        Ok(Client {
            provider: api.provider,
            base_url: config.base_url.trim_end_matches('/').to_string(),
            authorization,
            http,
            policy: config.retry,
            rng: Mutex::new(SeededRng::new(config.seed)),
        })
    }

    fn next_delay(&self, attempt: u32) -> Duration {
        let mut rng = self
            .rng
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        self.policy.backoff.delay(attempt, &mut rng)
    }

    /// Sends `method` to `path` under the base URL with the key, adjusted
    /// by `build` (body, headers, query), retrying as `kind` allows.
    pub async fn send(
        &self,
        kind: CallKind,
        method: Method,
        path: &str,
        build: impl Fn(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
    ) -> std::result::Result<Answer, CallError> {
        let url = format!("{}{path}", self.base_url);
        self.send_built(kind, || {
            build(
                self.http
                    .request(method.clone(), &url)
                    .header(AUTHORIZATION, self.authorization.clone()),
            )
        })
        .await
    }

    /// GETs `url`, anywhere, without the key, as a safe (retried) call:
    /// for public documents such as a provider's webhook keys.
    pub async fn get_without_key(&self, url: &str) -> std::result::Result<Answer, CallError> {
        self.send_built(CallKind::Safe, || self.http.get(url)).await
    }

    /// GETs `path` as a safe (retried) call; the 2xx body as JSON, or the
    /// matching error.
    pub async fn get_json(&self, path: &str, context: &'static str) -> Result<Value> {
        let answer = self
            .send(CallKind::Safe, Method::GET, path, |r| r)
            .await?
            .into_ok(self.provider)?;
        answer.json(self.provider, context)
    }

    /// POSTs `body` to `path` as a submit, adjusted by `build`; the answer
    /// read as `Answer::submitted` does.
    pub async fn submit_json(
        &self,
        path: &str,
        body: &Value,
        build: impl Fn(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
        context: &'static str,
    ) -> std::result::Result<Value, CallError> {
        self.send(CallKind::Submit, Method::POST, path, |r| {
            build(r.json(body))
        })
        .await?
        .submitted(self.provider, context)
    }

    /// Sends the request `build` makes, retrying as `kind` allows.
    async fn send_built(
        &self,
        kind: CallKind,
        build: impl Fn() -> reqwest::RequestBuilder,
    ) -> std::result::Result<Answer, CallError> {
        let max = self.policy.max_attempts.max(1);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let sent = build().timeout(self.policy.call_timeout).send().await;
            let mut at_least = Duration::ZERO;
            let retry = match sent {
                Ok(response) => {
                    let status = response.status().as_u16();
                    if status == 429 {
                        at_least = retry_after(response.headers());
                    }
                    let body = match response.bytes().await {
                        Ok(b) => b,
                        Err(e) => {
                            let failed = self.network(attempt, &e);
                            if kind == CallKind::Safe && attempt < max {
                                tokio::time::sleep(self.next_delay(attempt)).await;
                                continue;
                            }
                            return Err(failed);
                        }
                    };
                    if status < 500 && status != 429 {
                        return Ok(Answer { status, body });
                    }
                    let failure = CallError {
                        error: ProviderError::Unavailable {
                            provider: self.provider,
                            status,
                            attempts: attempt,
                            message: provider_message(&body),
                        },
                        // 429 means the provider declined to look at it.
                        outcome: if status == 429 {
                            SendOutcome::NotCreated
                        } else {
                            SendOutcome::Unknown
                        },
                    };
                    (kind == CallKind::Safe || status == 429, failure)
                }
                Err(e) => {
                    let failure = self.network(attempt, &e);
                    let safe = kind == CallKind::Safe || failure.outcome == SendOutcome::NotCreated;
                    (safe, failure)
                }
            };
            let (may_retry, failure) = retry;
            if !may_retry || attempt >= max {
                return Err(failure);
            }
            tokio::time::sleep(self.next_delay(attempt).max(at_least)).await;
        }
    }

    fn network(&self, attempts: u32, e: &reqwest::Error) -> CallError {
        // Only a failed connect proves the request never left; a timeout
        // may fire after the provider accepted the job.
        let outcome = if e.is_connect() {
            SendOutcome::NotCreated
        } else {
            SendOutcome::Unknown
        };
        let what = if e.is_timeout() {
            TIMED_OUT
        } else if e.is_connect() {
            "connection failed"
        } else {
            "connection broke"
        };
        CallError {
            error: ProviderError::Network {
                provider: self.provider,
                attempts,
                // Without the URL: queries may carry webhook tokens.
                detail: format!("{what} ({})", error_chain(e)),
            },
            outcome,
        }
    }
}

/// A `Retry-After` given in seconds, capped at `RETRY_AFTER_CAP`; zero when
/// absent or given as a date.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Duration {
    headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map_or(Duration::ZERO, |s| {
            Duration::from_secs(s).min(RETRY_AFTER_CAP)
        })
}

fn error_chain(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

impl Answer {
    /// Turns a 4xx into the matching error; passes 2xx through.
    pub fn into_ok(self, provider: &'static str) -> Result<Answer> {
        match self.status {
            200..=299 => Ok(self),
            401 | 403 => Err(ProviderError::Unauthorized {
                provider,
                status: self.status,
                message: provider_message(&self.body),
            }),
            status => Err(ProviderError::Rejected {
                provider,
                status,
                message: provider_message(&self.body),
            }),
        }
    }

    /// Turns only 401/403 into `Unauthorized`, for callers that interpret
    /// other 4xx answers themselves.
    pub fn reject_auth(self, provider: &'static str) -> Result<Answer> {
        if matches!(self.status, 401 | 403) {
            return self.into_ok(provider);
        }
        Ok(self)
    }

    /// A submit's answer as JSON. A 4xx means the provider created nothing;
    /// from a 2xx on the job exists, so a body we cannot read leaves the
    /// submit in doubt rather than free to send again.
    pub fn submitted(
        self,
        provider: &'static str,
        context: &'static str,
    ) -> Result<Value, CallError> {
        let answer = self.into_ok(provider).map_err(|error| CallError {
            error,
            outcome: SendOutcome::NotCreated,
        })?;
        answer.json(provider, context).map_err(|error| CallError {
            error,
            outcome: SendOutcome::Unknown,
        })
    }

    /// The body as JSON, or a `BadResponse` naming `context`.
    pub fn json(&self, provider: &'static str, context: &'static str) -> Result<Value> {
        serde_json::from_slice(&self.body).map_err(|e| ProviderError::BadResponse {
            provider,
            context,
            detail: e.to_string(),
        })
    }
}

/// The provider's id for a job it accepted: the string at `pointer` in its
/// answer. Missing, the job may still exist: the submit is in doubt.
pub fn accepted_id(
    json: &Value,
    pointer: &str,
    provider: &'static str,
    context: &'static str,
) -> Result<String, CallError> {
    json.pointer(pointer)
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| CallError {
            error: ProviderError::BadResponse {
                provider,
                context,
                detail: format!("no {}", pointer.trim_start_matches('/').replace('/', ".")),
            },
            outcome: SendOutcome::Unknown,
        })
}

/// The provider's own error text from an error body, whatever its shape:
/// fal `detail` (text or list), Replicate `detail`/`title`, Runware
/// `errors[].message`, DashScope `code`+`message`.
pub fn provider_message(body: &[u8]) -> String {
    let Ok(json) = serde_json::from_slice::<Value>(body) else {
        let text = String::from_utf8_lossy(body);
        let text: String = text.chars().filter(|c| !c.is_control()).take(300).collect();
        return if text.trim().is_empty() {
            "no details given".into()
        } else {
            text.trim().to_string()
        };
    };
    message_in(&json).unwrap_or_else(|| "no details given".into())
}

fn message_in(json: &Value) -> Option<String> {
    let text = |v: &Value| v.as_str().map(str::to_string);
    if let Some(d) = json.get("detail") {
        if let Some(s) = text(d) {
            return Some(s);
        }
        if let Some(list) = d.as_array() {
            let parts: Vec<String> = list
                .iter()
                .filter_map(|i| i.get("msg").and_then(text).or_else(|| text(i)))
                .collect();
            if !parts.is_empty() {
                return Some(parts.join("; "));
            }
        }
    }
    if let Some(errors) = json.get("errors").and_then(Value::as_array) {
        let parts: Vec<String> = errors
            .iter()
            .filter_map(|e| e.get("message").and_then(text))
            .collect();
        if !parts.is_empty() {
            return Some(parts.join("; "));
        }
    }
    if let Some(m) = json.get("message").and_then(text) {
        return Some(match json.get("code").and_then(text) {
            Some(code) => format!("{code}: {m}"),
            None => m,
        });
    }
    if let Some(e) = json.get("error") {
        return text(e).or_else(|| e.get("message").and_then(text));
    }
    json.get("title").and_then(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEST_API: Api = Api {
        provider: "test",
        base_url: "https://api.example/",
        key_var: "CHORUS_TEST_UNSET_KEY",
        scheme: AuthScheme::Bearer,
    };

    #[test]
    fn a_client_never_shows_its_key() {
        let client = Client::new(&TEST_API, ClientConfig::new(&TEST_API, Secret::new("sk-1")))
            .expect("client");
        let printed = format!("{client:?}");
        assert!(!printed.contains("sk-1"), "{printed}");
        assert!(printed.contains("https://api.example\""), "{printed}");
    }

    #[test]
    fn a_key_no_header_can_carry_is_a_setup_error() {
        let config = ClientConfig::new(&TEST_API, Secret::new("sk-1\nInjected: yes"));
        let err = Client::new(&TEST_API, config).expect_err("refused");
        assert!(
            matches!(
                err,
                ProviderError::ClientSetup {
                    provider: "test",
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(!err.to_string().contains("sk-1"), "{err}");
    }

    #[test]
    fn a_missing_key_names_its_variable() {
        assert_eq!(
            ClientConfig::from_env(&TEST_API).expect_err("unset"),
            ProviderError::NotConfigured {
                provider: "test",
                env_var: "CHORUS_TEST_UNSET_KEY",
            }
        );
    }

    #[test]
    fn retry_after_is_read_in_seconds_and_capped() {
        let mut headers = reqwest::header::HeaderMap::new();
        assert_eq!(retry_after(&headers), Duration::ZERO);
        headers.insert(reqwest::header::RETRY_AFTER, HeaderValue::from_static("2"));
        assert_eq!(retry_after(&headers), Duration::from_secs(2));
        headers.insert(
            reqwest::header::RETRY_AFTER,
            HeaderValue::from_static("3600"),
        );
        assert_eq!(retry_after(&headers), RETRY_AFTER_CAP);
        headers.insert(
            reqwest::header::RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2026 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&headers), Duration::ZERO);
    }

    #[test]
    fn messages_from_each_provider_shape() {
        assert_eq!(
            provider_message(br#"{"detail":"bad prompt"}"#),
            "bad prompt"
        );
        assert_eq!(
            provider_message(br#"{"detail":[{"msg":"duration too long"},{"msg":"x"}]}"#),
            "duration too long; x"
        );
        assert_eq!(
            provider_message(br#"{"errors":[{"code":"c","message":"Invalid model"}]}"#),
            "Invalid model"
        );
        assert_eq!(
            provider_message(br#"{"code":"InvalidParameter","message":"ratio"}"#),
            "InvalidParameter: ratio"
        );
        assert_eq!(provider_message(b"<html>oops</html>"), "<html>oops</html>");
        assert_eq!(provider_message(b""), "no details given");
    }
}
