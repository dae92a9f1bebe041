//! `chorus serve` from start to stop: opens the storage, requeues what a
//! stopped server left running, starts the queue worker with every engine
//! this server has, and answers HTTP until Ctrl-C or SIGTERM.

use std::sync::Arc;

use crate::config::{ServeConfig, SignInMode};
use crate::queue::Engine;
use crate::state::AppState;
use crate::{auth, draft_engine, hosted, leases, library, outgoing, queue, removal, routes};

/// Starts the server on `config.addr` and runs until Ctrl-C or SIGTERM.
pub async fn serve(config: ServeConfig) -> anyhow::Result<()> {
    let state = AppState::open(&config).await?;
    auth::cli::check_someone_can_sign_in(&state.db, config.addr, config.sign_in).await?;
    let sweeper = (config.sign_in == SignInMode::Required).then(|| {
        // The stand-in hash, made now so the first sign-in is not slower.
        tokio::task::spawn_blocking(auth::passwords::warm_up);
        auth::sessions::spawn_sweeper(state.db.clone())
    });
    leases::requeue_interrupted(&state.db).await?;
    let indexed = library::index_older_jobs(&state.db).await?;
    if indexed > 0 {
        tracing::info!(
            jobs = indexed,
            "older jobs indexed for the Library's search"
        );
    }
    let purger = removal::spawn_purger(state.clone()).await;
    tracing::info!(
        database = ?state.db.backend(),
        assets = %state.assets.describe(),
        "storage ready"
    );
    let providers = hosted::providers_from_env(&state.db);
    let mut engines: Vec<Arc<dyn Engine>> =
        hosted::engines(&providers, &hosted::settings_from_env());
    engines.push(Arc::new(draft_engine::DraftEngine));
    let state = state.with_providers(providers);
    let worker = queue::spawn_worker(state.clone(), engines);
    let campaigns = crate::campaigns::spawn_watcher(state.clone());
    let webhooks = outgoing::spawn_worker(state.db.clone(), state.outgoing.clone());
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.addr))?;
    let addr = listener.local_addr()?;
    println!("Chorus studio is running at http://{addr}/");
    if config.sign_in == SignInMode::Required {
        println!("Everyone signs in here; an owner invites people from Settings → Users.");
    }
    // The peer's address reaches handlers (review passcode tries are
    // counted per client).
    let app = routes::app(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    worker.abort();
    campaigns.abort();
    webhooks.abort();
    purger.abort();
    if let Some(sweeper) = sweeper {
        sweeper.abort();
    }
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
