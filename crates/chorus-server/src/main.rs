//! The `chorus` binary: `chorus serve` runs the studio's server.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "chorus",
    version,
    about = "Chorus: a studio for short AI videos that speak"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the studio server.
    Serve {
        /// Address to listen on.
        #[arg(long, env = "CHORUS_ADDR", default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
        /// Folder for the database and stored assets.
        #[arg(long, env = "CHORUS_DATA", default_value = "data")]
        data: PathBuf,
        /// Folder holding the built studio app.
        #[arg(long, env = "CHORUS_DIST", default_value = "dist")]
        dist: PathBuf,
    },
    /// Render a draft clip (MP4 + JSON sidecar) without the server.
    Draft(chorus_server::cli::DraftArgs),
    /// Measure a clip's lip-sync offset (H.264 + AAC MP4).
    Sync(chorus_server::cli::SyncArgs),
    /// The draft voice helper: speaks one line from standard input to
    /// standard output in this fresh process (see `chorus_draft::voice`).
    #[command(name = chorus_server::cli::VOICE_SUBCOMMAND, hide = true)]
    Voice,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CHORUS_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("chorus_server=info,warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let result = match cli.command {
        Command::Serve { addr, data, dist } => chorus_server::cli::speak_in_child_processes()
            .and_then(|()| {
                run_async(chorus_server::serve(chorus_server::ServeConfig {
                    addr,
                    data_dir: data,
                    dist_dir: dist,
                }))
            }),
        Command::Draft(args) => chorus_server::cli::speak_in_child_processes()
            .and_then(|()| chorus_server::cli::draft(&args)),
        Command::Sync(args) => chorus_server::cli::sync(&args),
        Command::Voice => chorus_server::cli::voice_helper(),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("chorus: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run_async<F: std::future::Future<Output = anyhow::Result<()>>>(future: F) -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(future)
}
