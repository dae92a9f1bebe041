//! The `chorus` binary: `chorus serve` runs the studio's server.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

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
        /// `postgres://user:password@host/db` to share jobs with other
        /// servers; SQLite in the data folder when absent.
        #[arg(long, env = "CHORUS_DATABASE_URL", hide_env_values = true)]
        database_url: Option<String>,
        /// `s3://bucket/prefix` (credentials from AWS_ACCESS_KEY_ID,
        /// AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_ENDPOINT_URL) or a folder;
        /// the data folder's `assets/` when absent.
        #[arg(long, env = "CHORUS_ASSETS")]
        assets: Option<String>,
        /// How long a claimed job stays this server's without a renewal;
        /// a dead server's jobs are taken over once it lapses.
        #[arg(long, env = "CHORUS_LEASE_MS", default_value_t = 30_000)]
        lease_ms: u64,
        /// Hosted-provider jobs this server runs at once.
        #[arg(long, env = "CHORUS_HOSTED_AT_ONCE", default_value_t = 32)]
        hosted_at_once: usize,
        /// How often an idle server looks for jobs created elsewhere.
        #[arg(long, env = "CHORUS_IDLE_POLL_MS", default_value_t = 2_000)]
        idle_poll_ms: u64,
        /// How long a deleted job can be restored before it and its
        /// unshared assets are removed for good.
        #[arg(long, env = "CHORUS_UNDO_WINDOW_MS", default_value_t = 10_000)]
        undo_window_ms: u64,
        /// Ask everyone to sign in even on a loopback address (on any other
        /// address they always must).
        #[arg(long, env = "CHORUS_REQUIRE_SIGN_IN")]
        require_sign_in: bool,
        /// The address people reach the studio at (`https://…` makes the
        /// sign-in cookie `Secure`); invite links start with it.
        #[arg(long, env = "CHORUS_PUBLIC_URL")]
        public_url: Option<String>,
        /// Serve the app with no compression and no caching headers, as
        /// Chorus did before: the reference for `cargo xtask bench load`.
        #[arg(long, hide = true)]
        plain_delivery: bool,
    },
    /// Manage accounts: `chorus user add EMAIL --role owner` prints a
    /// one-time invite link.
    #[command(subcommand)]
    User(chorus_server::auth::cli::UserCommand),
    /// Campaigns on the command line: `chorus campaign submit sheet.csv
    /// --template campaign.json --wait`.
    #[command(subcommand)]
    Campaign(chorus_server::campaign_cli::CampaignCommand),
    /// Render a draft clip (MP4 + JSON sidecar) without the server.
    Draft(chorus_server::cli::DraftArgs),
    /// Measure a clip's lip-sync offset (H.264 + AAC MP4).
    Sync(chorus_server::cli::SyncArgs),
    /// Move a clip's sound later (positive ms) or earlier (negative) without
    /// re-encoding: the audio's edit list is rewritten, as "Make v2" does.
    ShiftAudio(chorus_server::cli::ShiftArgs),
    /// Fill a database with jobs for benchmarks (`cargo xtask bench library`).
    #[command(hide = true)]
    Seed {
        /// How many jobs to add.
        #[arg(long, default_value_t = 5_000)]
        jobs: usize,
        #[arg(long, env = "CHORUS_DATA", default_value = "data")]
        data: PathBuf,
        #[arg(long, env = "CHORUS_DATABASE_URL", hide_env_values = true)]
        database_url: Option<String>,
    },
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
        // Escape codes only for a person watching; log files stay plain.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let result = match cli.command {
        Command::Serve {
            addr,
            data,
            dist,
            database_url,
            assets,
            lease_ms,
            hosted_at_once,
            idle_poll_ms,
            undo_window_ms,
            require_sign_in,
            public_url,
            plain_delivery,
        } => {
            let mut config = chorus_server::ServeConfig::local(addr, data, dist);
            config.sign_in = chorus_server::config::SignInMode::for_address(addr, require_sign_in);
            config.public_url = match public_url
                .as_deref()
                .map(chorus_server::config::check_public_url)
            {
                Some(Ok(url)) => Some(url),
                Some(Err(e)) => {
                    eprintln!("chorus: {e:#}");
                    return std::process::ExitCode::FAILURE;
                }
                None => None,
            };
            config.database_url = database_url;
            config.assets = assets;
            config.undo_window = Duration::from_millis(undo_window_ms);
            if plain_delivery {
                config.delivery = chorus_server::Delivery::Plain;
            }
            config.queue = chorus_server::QueueSettings {
                lease: Duration::from_millis(lease_ms.max(100)),
                hosted_at_once: hosted_at_once.max(1),
                idle_poll: Duration::from_millis(idle_poll_ms.max(10)),
            };
            chorus_server::cli::speak_in_child_processes()
                .and_then(|()| run_async(chorus_server::serve(config)))
        }
        Command::Draft(args) => chorus_server::cli::speak_in_child_processes()
            .and_then(|()| chorus_server::cli::draft(&args)),
        Command::User(command) => run_async(async move {
            print!("{}", chorus_server::auth::cli::run(command).await?);
            Ok(())
        }),
        Command::Campaign(command) => {
            match run_async_value(chorus_server::campaign_cli::run(command)) {
                Ok(true) => Ok(()),
                Ok(false) => return std::process::ExitCode::from(2),
                Err(e) => Err(e),
            }
        }
        Command::Sync(args) => chorus_server::cli::sync(&args),
        Command::ShiftAudio(args) => chorus_server::cli::shift_audio(&args),
        Command::Voice => chorus_server::cli::voice_helper(),
        Command::Seed {
            jobs,
            data,
            database_url,
        } => run_async(async move {
            std::fs::create_dir_all(&data)?;
            let db = chorus_server::Db::open(database_url.as_deref(), &data).await?;
            let started = std::time::Instant::now();
            chorus_server::library::seed(&db, jobs).await?;
            println!(
                "{jobs} jobs added in {:.1} s",
                started.elapsed().as_secs_f64()
            );
            db.close().await;
            Ok(())
        }),
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
    run_async_value(future)
}

fn run_async_value<T, F: std::future::Future<Output = anyhow::Result<T>>>(
    future: F,
) -> anyhow::Result<T> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(future)
}
