//! `chorus serve` on its embedded database puts the jobs a stopped server
//! left running back in the queue before it starts work, instead of waiting
//! for their leases to lapse.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chorus_core::GenerationRequest;
use chorus_server::jobs;
use chorus_server::leases::{self, Lease};
use common::services::free_port;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_requeues_what_a_stopped_server_left_running() {
    let s = common::server().await;
    // A hosted model with no key on the server: no engine takes the job
    // again, so it stays where start-up put it.
    let mut request = common::draft_request();
    request["model"] = "happyhorse-1.1@fal".into();
    let request: GenerationRequest = serde_json::from_value(request).expect("a request");
    let job = jobs::create(&s.state, request, None)
        .await
        .expect("created");
    let gone = Lease::new(Duration::from_mins(10));
    leases::claim_next(&s.state.db, std::slice::from_ref(&job.request.model), &gone)
        .await
        .expect("claims")
        .expect("the job");
    s.state.db.close().await;

    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_chorus"))
        .arg("serve")
        .args(["--addr", &format!("127.0.0.1:{port}")])
        .arg("--data")
        .arg(s.dir.path().join("data"))
        .arg("--dist")
        .arg(s.dir.path().join("dist"))
        .env_remove("CHORUS_DATABASE_URL")
        .env_remove("CHORUS_ASSETS")
        .env_remove("FAL_KEY")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chorus serve starts");
    let url = format!("http://127.0.0.1:{port}/api/jobs/{}", job.id);
    let deadline = Instant::now() + Duration::from_mins(1);
    let answer = loop {
        if let Ok(answer) = reqwest::get(&url).await
            && answer.status().is_success()
        {
            break answer.json::<serde_json::Value>().await;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("chorus serve did not answer on port {port}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let _ = child.kill();
    let _ = child.wait();
    let job = answer.expect("a job as JSON");
    assert_eq!(job["status"], "queued", "{job}");
}
