//! The Chorus backend: a thin axum server that checks and queues generation
//! jobs, stores uploads and outputs by content hash, streams job changes to the
//! studio, and serves the built studio app.

pub mod assets;
pub mod cli;
pub mod config;
pub mod db;
pub mod draft_engine;
pub mod error;
pub mod events;
pub mod hosted;
pub mod images;
pub mod import;
mod job_inserts;
pub mod jobs;
pub mod leases;
pub mod provider_engine;
pub mod queue;
pub mod routes;
pub mod state;
pub mod submit_ledger;

pub use config::{Delivery, QueueSettings, ServeConfig};
pub use db::Db;
pub use error::ApiError;
pub use routes::app;
pub use state::AppState;

/// Starts the server on `config.addr` and runs until Ctrl-C or SIGTERM.
pub async fn serve(config: ServeConfig) -> anyhow::Result<()> {
    let state = AppState::open(&config).await?;
    tracing::info!(
        database = ?state.db.backend(),
        assets = %state.assets.describe(),
        "storage ready"
    );
    let providers = hosted::providers_from_env(&state.db);
    let mut engines = hosted::engines(&providers, &hosted::settings_from_env());
    engines.push(std::sync::Arc::new(draft_engine::DraftEngine));
    let state = state.with_engines(engines).with_providers(providers);
    let worker = queue::spawn_worker(state.clone());
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.addr))?;
    let addr = listener.local_addr()?;
    println!("Chorus studio is running at http://{addr}/");
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    worker.abort();
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut sig) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            sig.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
