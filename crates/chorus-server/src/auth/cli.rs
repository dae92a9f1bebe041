//! Accounts from the command line: `chorus user add` makes an account and
//! prints its one-time invite link, which is how the first owner of a
//! studio on a network address comes to be; and the check `chorus serve`
//! makes before it listens where everyone must sign in.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::bail;
use chorus_core::access::{INVITE_HOURS, Role};

use super::invites::{self, InviteRefused};
use super::{SignInMode, users};
use crate::db::{Db, now_ms};

/// Where invite links point when no public URL is given: the address
/// `chorus serve` listens on by default.
pub const DEFAULT_BASE_URL: &str = "http://127.0.0.1:8080";

/// The command that makes a studio's first owner, as `chorus serve` says it.
pub const MAKE_AN_OWNER: &str = "chorus user add you@example.com --role owner";

/// `chorus user …`.
#[derive(Debug, clap::Subcommand)]
pub enum UserCommand {
    /// Make an account and print its one-time invite link (it sets the
    /// account's password; it works once, for 72 hours).
    Add(AddArgs),
}

/// Arguments of `chorus user add`.
#[derive(Debug, clap::Args)]
pub struct AddArgs {
    /// The new account's email address.
    pub email: String,
    /// owner, editor or viewer.
    #[arg(long, value_parser = ["owner", "editor", "viewer"])]
    pub role: String,
    /// The data folder `chorus serve` uses.
    #[arg(long, env = "CHORUS_DATA", default_value = "data")]
    pub data: PathBuf,
    /// The database `chorus serve` uses, when it is not the data folder's.
    #[arg(long, env = "CHORUS_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// The address people reach the studio at; the link starts with it.
    #[arg(long, env = "CHORUS_PUBLIC_URL")]
    pub public_url: Option<String>,
}

/// Runs `chorus user …`; answers what to print.
pub async fn run(command: UserCommand) -> anyhow::Result<String> {
    match command {
        UserCommand::Add(args) => add(args).await,
    }
}

async fn add(args: AddArgs) -> anyhow::Result<String> {
    let Some(role) = Role::parse(&args.role) else {
        bail!("--role {} is not owner, editor or viewer", args.role);
    };
    let public_url = args
        .public_url
        .as_deref()
        .map(crate::config::check_public_url)
        .transpose()?;
    std::fs::create_dir_all(&args.data)?;
    let db = Db::open(args.database_url.as_deref(), &args.data).await?;
    let invited = invites::invite_new_account(&db, &args.email, role, now_ms()).await;
    db.close().await;
    let invited = match invited {
        Ok(invited) => invited,
        Err(InviteRefused::Exists(email)) => bail!(
            "{email} already has an account; an owner can send a fresh invite link from Settings → Users"
        ),
        Err(e) => return Err(e.into()),
    };
    let link = invites::url(
        Some(public_url.as_deref().unwrap_or(DEFAULT_BASE_URL)),
        &invited.invite.secret,
    );
    Ok(format!(
        "Invited {} as {}. This link sets their password; it works once, within {INVITE_HOURS} hours \
         (until {}):\n\n    {link}\n",
        invited.user.email,
        role.as_str(),
        utc(invited.invite.expires_at),
    ))
}

/// Unix milliseconds as `2025-06-01 14:30 UTC`.
fn utc(ms: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    time::OffsetDateTime::from_unix_timestamp(ms / 1000)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_else(|| format!("{ms} ms"))
}

/// Refuses to serve on a network address where no one could sign in: there
/// must be an owner first, and the message says how to make one.
pub async fn check_someone_can_sign_in(
    db: &Db,
    addr: SocketAddr,
    mode: SignInMode,
) -> anyhow::Result<()> {
    if mode == SignInMode::Off || users::any_owner(db).await? {
        return Ok(());
    }
    if addr.ip().is_loopback() {
        tracing::warn!(
            "sign-in is required and this studio has no owner yet: make one with `{MAKE_AN_OWNER}`"
        );
        return Ok(());
    }
    bail!(
        "this studio listens on {addr}, so everyone must sign in, and no one can yet: there is no owner. \
         Make one with\n\n    {MAKE_AN_OWNER}\n\n(with the same --data or --database-url as serve), \
         start the server again, and open the link it printed. \
         To use Chorus on this machine alone, serve on 127.0.0.1 instead."
    )
}
