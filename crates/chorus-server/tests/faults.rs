//! Every provider's faults, each through the server's queue to the end
//! state it must reach, with the reason the studio shows: 500s (retried up
//! to the cap, then given up), slow answers and the per-job time limit,
//! malformed JSON, outputs that expired, are not MP4s or have no sound,
//! the provider's own failure message, refused submits (4xx, not retried),
//! submits whose outcome is unknown, and wrong keys (never shown back).

mod common;

use std::time::Duration;

use axum::http::StatusCode;
use chorus_core::JobStatus;
use chorus_providers::fake::{Output, Script, lock};
use chorus_providers::http::RetryPolicy;
use chorus_server::provider_engine::EngineSettings;
use common::hosted::{self, Fake, Which};

/// What a case must end in.
#[derive(Debug)]
enum Expect {
    Succeeded {
        has_audio: bool,
    },
    /// Failed, the error containing this text.
    Failed(&'static str),
}

struct Case {
    name: &'static str,
    script: Script,
    expect: Expect,
    /// Submit requests the fake must have seen (retries included).
    submit_attempts: Option<u32>,
    retry: RetryPolicy,
    time_limit: Duration,
    key: Option<&'static str>,
}

impl Case {
    fn new(name: &'static str, script: Script, expect: Expect) -> Case {
        Case {
            name,
            script,
            expect,
            submit_attempts: None,
            retry: hosted::fast_retry(),
            time_limit: Duration::from_secs(20),
            key: None,
        }
    }
}

fn done_after(polls: u32) -> Script {
    Script {
        polls_until_done: polls,
        ..Script::default()
    }
}

/// The cases every provider must pass.
fn cases() -> Vec<Case> {
    let quick = |timeout_ms| hosted::retry(Duration::from_millis(timeout_ms));
    vec![
        Case::new(
            "plain",
            done_after(2),
            Expect::Succeeded { has_audio: true },
        ),
        Case::new(
            "two 500s on a poll, then fine",
            Script {
                status_500s: 2,
                ..done_after(1)
            },
            Expect::Succeeded { has_audio: true },
        ),
        Case::new(
            "500s that never stop",
            Script {
                status_500s: 1_000,
                ..done_after(1)
            },
            Expect::Failed("(HTTP 500 after 3 attempts)"),
        ),
        Case {
            retry: quick(300),
            ..Case::new(
                "status answers slower than the call limit",
                Script {
                    status_delay_ms: 1_000,
                    ..done_after(1)
                },
                Expect::Failed("after 3 attempts: timed out"),
            )
        },
        Case {
            time_limit: Duration::from_secs(1),
            ..Case::new(
                "a job that outlasts the time limit",
                done_after(u32::MAX),
                Expect::Failed("did not finish within 1 s"),
            )
        },
        Case::new(
            "malformed JSON",
            Script {
                malformed_status: true,
                ..done_after(1)
            },
            Expect::Failed("sent an answer we cannot read"),
        ),
        Case::new(
            "an output that has expired",
            Script {
                output: Output::Expired,
                ..done_after(1)
            },
            Expect::Failed("no longer available"),
        ),
        Case::new(
            "an output that is not an MP4",
            Script {
                output: Output::NotMp4,
                ..done_after(1)
            },
            Expect::Failed("not a usable MP4"),
        ),
        Case::new(
            "a clip without sound is kept and marked",
            Script {
                output: Output::VideoOnly,
                ..done_after(1)
            },
            Expect::Succeeded { has_audio: false },
        ),
        Case::new(
            "the provider's own failure message",
            Script {
                fail_with: Some("Content policy: the prompt names a real person".into()),
                ..done_after(1)
            },
            Expect::Failed("Content policy: the prompt names a real person"),
        ),
        Case {
            submit_attempts: Some(1),
            ..Case::new(
                "a refused submit (4xx) is not retried",
                Script {
                    reject_submit: Some((422, "duration must be 5 or 10".into())),
                    ..done_after(1)
                },
                Expect::Failed("duration must be 5 or 10"),
            )
        },
        Case {
            submit_attempts: Some(1),
            ..Case::new(
                "a 500 after the submit landed is not sent again",
                Script {
                    submit_500: true,
                    ..done_after(1)
                },
                Expect::Failed("(HTTP 500 after 1 attempts)"),
            )
        },
        Case {
            key: Some("sk-wrong-key-0123456789"),
            ..Case::new(
                "a wrong key",
                done_after(1),
                Expect::Failed("refused the API key"),
            )
        },
    ]
}

/// Runs one case; `Err` says what went wrong.
async fn run(which: Which, case: Case) -> Result<(), String> {
    let fake: Fake = which.start(case.script).await;
    let mut s = common::server().await;
    let mut settings: EngineSettings = hosted::fast_settings();
    settings.wait.time_limit = case.time_limit;
    let key = case.key.unwrap_or(which.key());
    (s.state, s.engines) = fake.serve_with_key(&s.state, settings, key, case.retry);
    let prompt = format!("{} meets {}", which.name(), case.name);
    let (status, body) = s
        .post_json("/api/jobs", &hosted::request(which, &prompt))
        .await;
    if status != StatusCode::CREATED {
        return Err(format!("creating the job answered {status}: {body}"));
    }
    let id = body["id"].as_str().unwrap_or_default().to_string();
    let worker = s.spawn_worker();
    let done = common::wait_for_end(&s.state, &id, Duration::from_secs(40)).await;
    worker.abort();
    let (_, shown) = s.get(&format!("/api/jobs/{id}")).await;
    let shown = shown.to_string();
    if shown.contains(which.key()) || shown.contains(key) {
        return Err(format!("the job's answer shows the key: {shown}"));
    }
    let error = done.error.clone().unwrap_or_default();
    match case.expect {
        Expect::Succeeded { has_audio } => {
            if done.status != JobStatus::Succeeded {
                return Err(format!("ended {:?}: {error}", done.status));
            }
            let clip = done.outputs.first().ok_or("no clip")?;
            if clip.has_audio != has_audio {
                return Err(format!("has_audio is {}", clip.has_audio));
            }
            s.state
                .assets
                .read(&clip.video)
                .await
                .map_err(|e| format!("the clip is not in our store: {e:#}"))?;
            // Runware is the one provider that reports what it charged.
            let cost = (which == Which::Runware).then_some(700_000);
            if done.actual_cost_usd_micros != cost {
                return Err(format!("cost recorded {:?}", done.actual_cost_usd_micros));
            }
        }
        Expect::Failed(reason) => {
            if done.status != JobStatus::Failed || !error.contains(reason) {
                return Err(format!(
                    "ended {:?} with {error:?}, wanted failed with {reason:?}",
                    done.status
                ));
            }
            if !done.outputs.is_empty() {
                return Err("a failed job lists clips".into());
            }
        }
    }
    if let Some(wanted) = case.submit_attempts {
        let seen = lock(fake.state()).submit_attempts;
        if seen != wanted {
            return Err(format!(
                "the fake saw {seen} submit requests, wanted {wanted}"
            ));
        }
    }
    Ok(())
}

/// Runs every case for `which` side by side and reports all failures.
async fn run_all(which: Which, extra: Vec<Case>) {
    let cases: Vec<Case> = cases().into_iter().chain(extra).collect();
    let names: Vec<&str> = cases.iter().map(|c| c.name).collect();
    let runs = cases.into_iter().map(|case| run(which, case));
    let outcomes = futures_util::future::join_all(runs).await;
    let failures: Vec<String> = names
        .iter()
        .zip(outcomes)
        .filter_map(|(name, outcome)| outcome.err().map(|e| format!("  {name}: {e}")))
        .collect();
    assert!(
        failures.is_empty(),
        "{} cases failed for {}:\n{}",
        failures.len(),
        which.name(),
        failures.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fal_faults_end_in_the_right_state() {
    run_all(Which::Fal, Vec::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicate_faults_end_in_the_right_state() {
    let removed = Case::new(
        "an output Replicate already deleted",
        Script {
            output: Output::Removed,
            ..done_after(1)
        },
        Expect::Failed("Replicate deleted the output"),
    );
    run_all(Which::Replicate, vec![removed]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runware_faults_end_in_the_right_state() {
    run_all(Which::Runware, Vec::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashscope_faults_end_in_the_right_state() {
    let expired = Case::new(
        "a task DashScope no longer knows",
        Script {
            output: Output::Removed,
            ..done_after(1)
        },
        Expect::Failed("DashScope no longer knows the task"),
    );
    run_all(Which::DashScope, vec![expired]).await;
}
