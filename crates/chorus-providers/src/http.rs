//! The HTTP layer every adapter shares: one call with a per-call timeout,
//! retries with backoff for what is safe to retry, and provider error
//! bodies turned into messages. Safe calls (reads, polls, cancels) retry on
//! network errors, 429 and 5xx; submits retry only when the provider
//! certainly did not receive them (see `ledger` for why).

use std::sync::Mutex;
use std::time::Duration;

use bytes::Bytes;
use serde_json::Value;

use crate::error::{ProviderError, Result};
use crate::ledger::SendOutcome;
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

/// A provider's HTTP client.
#[derive(Debug)]
pub struct Http {
    pub provider: &'static str,
    client: reqwest::Client,
    policy: RetryPolicy,
    rng: Mutex<SeededRng>,
}

impl Http {
    pub fn new(provider: &'static str, policy: RetryPolicy, seed: u64) -> Self {
        // Redirects are not followed: keys must only go to the configured host.
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        Http {
            provider,
            client,
            policy,
            rng: Mutex::new(SeededRng::new(seed)),
        }
    }

    fn next_delay(&self, attempt: u32) -> Duration {
        let mut rng = self
            .rng
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        self.policy.backoff.delay(attempt, &mut rng)
    }

    /// Sends the request `build` makes, retrying as `kind` allows.
    pub async fn send(
        &self,
        kind: CallKind,
        build: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> std::result::Result<Answer, CallError> {
        let max = self.policy.max_attempts.max(1);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let sent = build(&self.client)
                .timeout(self.policy.call_timeout)
                .send()
                .await;
            let retry = match sent {
                Ok(response) => {
                    let status = response.status().as_u16();
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
            tokio::time::sleep(self.next_delay(attempt)).await;
        }
    }

    /// GETs `url` as a safe (retried) call with `auth` as its
    /// `Authorization`; the 2xx body as JSON, or the matching error.
    pub async fn get_json(&self, url: &str, auth: &str, context: &'static str) -> Result<Value> {
        let answer = self
            .send(CallKind::Safe, |c| c.get(url).header("Authorization", auth))
            .await?
            .into_ok(self.provider)?;
        answer.json(self.provider, context)
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
            "timed out"
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
