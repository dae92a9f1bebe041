//! `chorus campaign submit sheet.csv --template campaign.json --wait`: a
//! campaign from the command line, through the studio's own HTTP API (the
//! same checks, the same key rules, the same board). The key defaults to a
//! hash of what is sent, so running the same command again, after a lost
//! answer or a Ctrl-C, makes the campaign once.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, bail};
use chorus_core::board::{Campaign, CampaignSubmit, VariantStatus, count_by_status};
use chorus_core::campaign::{CampaignSpec, Sheet};
use sha2::{Digest, Sha256};

#[derive(clap::Args, Debug)]
pub struct SubmitArgs {
    /// The sheet: CSV or TSV (UTF-8), or a spreadsheet (.xlsx, .xls, .ods).
    pub sheet: PathBuf,
    /// The campaign as JSON: `name`, `template` (a generation request whose
    /// prompt and lines may hold {{placeholders}}), `languages`, `ratios`,
    /// and optionally `budget_cap_usd_micros` and `name_pattern`; any
    /// `sheet` in it is replaced by the sheet file.
    #[arg(long)]
    pub template: PathBuf,
    /// The studio's address.
    #[arg(long, env = "CHORUS_URL", default_value = "http://127.0.0.1:8080")]
    pub server: String,
    /// An API token (Settings → API tokens), when the studio asks for
    /// sign-in.
    #[arg(long, env = "CHORUS_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// The submit key; by default a hash of the campaign, so the same
    /// command run twice makes it once.
    #[arg(long)]
    pub key: Option<String>,
    /// Follow the campaign until every variant has ended.
    #[arg(long)]
    pub wait: bool,
}

#[derive(clap::Subcommand, Debug)]
pub enum CampaignCommand {
    /// Check, price and run a campaign from a sheet and a template.
    Submit(SubmitArgs),
}

pub async fn run(command: CampaignCommand) -> anyhow::Result<bool> {
    match command {
        CampaignCommand::Submit(args) => submit(args).await,
    }
}

/// Reads the sheet file; problems name the row and column.
fn read_sheet(path: &PathBuf) -> anyhow::Result<Sheet> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let spreadsheet = path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
        ["xlsx", "xlsm", "xls", "xlsb", "ods"].contains(&e.to_ascii_lowercase().as_str())
    });
    let parsed = if spreadsheet {
        crate::campaigns::xlsx::grid(&bytes).and_then(Sheet::from_grid)
    } else {
        Sheet::parse(&bytes)
    };
    parsed.map_err(|problems| {
        let lines: Vec<String> = problems.iter().map(|p| format!("  {p}")).collect();
        anyhow::anyhow!("{} has problems:\n{}", path.display(), lines.join("\n"))
    })
}

async fn submit(args: SubmitArgs) -> anyhow::Result<bool> {
    let text = std::fs::read_to_string(&args.template)
        .with_context(|| format!("cannot read {}", args.template.display()))?;
    let mut spec: CampaignSpec = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a campaign template", args.template.display()))?;
    spec.sheet = read_sheet(&args.sheet)?;
    let key = if let Some(key) = args.key {
        key
    } else {
        let digest = Sha256::digest(serde_json::to_vec(&spec)?);
        format!("cli-{}", &crate::assets::hex_id(&digest)[..32])
    };
    let submit = CampaignSubmit {
        key,
        spec,
        images: std::collections::BTreeMap::default(),
    };
    let client = reqwest::Client::new();
    let base = args.server.trim_end_matches('/').to_string();
    let auth = |r: reqwest::RequestBuilder| match &args.token {
        Some(token) => r.bearer_auth(token),
        None => r,
    };
    let response = auth(client.post(format!("{base}/api/campaigns")))
        .json(&submit)
        .send()
        .await
        .with_context(|| format!("cannot reach the studio at {base}"))?;
    let status = response.status();
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    if !status.is_success() {
        let mut message = body["error"]["message"]
            .as_str()
            .unwrap_or("refused")
            .to_string();
        for p in body["error"]["problems"].as_array().into_iter().flatten() {
            let _ = write!(
                message,
                "\n  {}: {}",
                p["field"].as_str().unwrap_or(""),
                p["message"].as_str().unwrap_or("")
            );
        }
        bail!("the studio refused the campaign ({status}): {message}");
    }
    let campaign: Campaign = serde_json::from_value(body)?;
    let again = status == reqwest::StatusCode::OK;
    println!(
        "{} campaign {} ({}): {} variants, estimated {}",
        if again {
            "Already submitted:"
        } else {
            "Submitted"
        },
        campaign.name,
        campaign.id,
        campaign.variants.len(),
        chorus_core::cost::format_usd(campaign.estimate_usd_micros)
    );
    if !args.wait {
        return Ok(true);
    }
    let bar = indicatif::ProgressBar::new(campaign.variants.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} ended  {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let url = format!("{base}/api/campaigns/{}", campaign.id);
    loop {
        let board: Campaign = auth(client.get(&url))
            .send()
            .await
            .with_context(|| format!("cannot reach the studio at {base}"))?
            .error_for_status()?
            .json()
            .await?;
        let counts = count_by_status(&board.variants);
        let ended = board
            .variants
            .iter()
            .filter(|v| v.status.is_ended())
            .count();
        bar.set_position(ended as u64);
        let summary: Vec<String> = counts
            .iter()
            .map(|(s, n)| format!("{n} {}", s.label().to_lowercase()))
            .collect();
        bar.set_message(format!(
            "{} · {} committed",
            summary.join(", "),
            chorus_core::cost::format_usd(board.committed_usd_micros)
        ));
        if ended == board.variants.len() {
            bar.finish();
            let failed = counts.get(&VariantStatus::Failed).copied().unwrap_or(0);
            return Ok(failed == 0);
        }
        let held = counts.get(&VariantStatus::Held).copied().unwrap_or(0) as usize;
        if board.canceled_at.is_none() && held > 0 && ended + held == board.variants.len() {
            bar.abandon_with_message(
                "the rest is held (its cap or the month's budget); see the board",
            );
            return Ok(false);
        }
        tokio::time::sleep(Duration::from_millis(700)).await;
    }
}
