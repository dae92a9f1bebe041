//! The event stream over a real socket: a job created through the API shows up
//! on `/api/events` as a `job` event.

mod common;

use futures_util::StreamExt as _;

#[tokio::test]
async fn job_changes_stream_to_subscribers() {
    let s = common::server().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = chorus_server::app(s.state.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let client = reqwest::Client::new();
    let events = client
        .get(format!("http://{addr}/api/events"))
        .send()
        .await
        .expect("connects");
    assert_eq!(events.headers()["content-type"], "text/event-stream");
    let mut stream = events.bytes_stream();

    let created: serde_json::Value = client
        .post(format!("http://{addr}/api/jobs"))
        .json(&common::draft_request())
        .send()
        .await
        .expect("creates")
        .json()
        .await
        .expect("json");
    let id = created["id"].as_str().expect("id").to_string();

    let mut seen = String::new();
    let found = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        while let Some(chunk) = stream.next().await {
            seen.push_str(&String::from_utf8_lossy(&chunk.expect("chunk")));
            if seen.contains("event: job") && seen.contains(&id) {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(found, Ok(true), "stream so far: {seen}");
    let data = seen
        .lines()
        .find(|l| l.starts_with("data:"))
        .expect("data line");
    let event: chorus_core::api::JobEvent =
        serde_json::from_str(data.trim_start_matches("data:").trim()).expect("JobEvent");
    assert_eq!(event.job.id.0, id);
    assert_eq!(event.job.status, chorus_core::JobStatus::Queued);
}
