//! The load generator: `clients` tasks, each sending its requests one after
//! another over its own kept-alive connection, every latency recorded.
//! The same generator drives the bare axum floor and the Chorus API, in
//! the same process and run, so the ratio is what Chorus adds.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::routing::get;

/// What each request is.
#[derive(Clone)]
pub enum Call {
    Get(Arc<Vec<String>>),
    Post(String, Arc<String>),
}

/// Latencies of one run, sorted.
pub struct Sample {
    pub latencies: Vec<Duration>,
    pub errors: usize,
    pub elapsed: Duration,
}

impl Sample {
    pub fn percentile(&self, p: f64) -> f64 {
        if self.latencies.is_empty() {
            return f64::NAN;
        }
        let rank = ((self.latencies.len() as f64) * p).ceil() as usize;
        let index = rank.clamp(1, self.latencies.len()) - 1;
        self.latencies[index].as_secs_f64() * 1000.0
    }

    pub fn merge(mut self, other: Sample) -> Sample {
        self.latencies.extend(other.latencies);
        self.latencies.sort();
        self.errors += other.errors;
        self.elapsed += other.elapsed;
        self
    }
}

/// Runs `clients` concurrent clients, each sending `per_client` calls.
/// GETs cycle through the given URLs; POSTs send the body as JSON.
pub async fn run(clients: usize, per_client: usize, call: &Call) -> Sample {
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(clients);
    for client_index in 0..clients {
        let call = call.clone();
        tasks.push(tokio::spawn(async move {
            // One client, one connection: like a browser tab keeping alive.
            let http = reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .timeout(Duration::from_secs(30))
                .build()
                .expect("client");
            let mut latencies = Vec::with_capacity(per_client);
            let mut errors = 0;
            for i in 0..per_client {
                let request = match &call {
                    Call::Get(urls) => {
                        http.get(&urls[(client_index * per_client + i) % urls.len()])
                    }
                    Call::Post(url, body) => http
                        .post(url)
                        .header("content-type", "application/json")
                        .body(body.as_str().to_owned()),
                };
                let sent = Instant::now();
                let ok = match request.send().await {
                    Ok(answer) => {
                        let status = answer.status();
                        answer.bytes().await.is_ok() && status.is_success()
                    }
                    Err(_) => false,
                };
                if ok {
                    latencies.push(sent.elapsed());
                } else {
                    errors += 1;
                }
            }
            (latencies, errors)
        }));
    }
    let mut latencies = Vec::with_capacity(clients * per_client);
    let mut errors = 0;
    for task in tasks {
        let (l, e) = task.await.expect("client task");
        latencies.extend(l);
        errors += e;
    }
    latencies.sort();
    Sample {
        latencies,
        errors,
        elapsed: started.elapsed(),
    }
}

/// The framework's floor: axum answering 200 with nothing, for a GET and
/// for a POST whose body it reads and drops.
pub fn floor() -> Router {
    Router::new().route("/nothing", get(|| async {}).post(|_body: Bytes| async {}))
}

/// Serves `app` on a loopback port; returns its base URL.
pub async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    base
}
