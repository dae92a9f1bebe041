//! Who may use the studio: accounts and their roles, API tokens and their
//! scopes, spend limits, and the audit log. The shapes the studio and the
//! server exchange, and the rules a password must pass (checked in the
//! browser as it is typed, and again by the server).

use serde::{Deserialize, Serialize};

/// Shortest password accepted, in characters.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Longest password accepted, in characters (a passphrase fits; a file does not).
pub const MAX_PASSWORD_CHARS: usize = 256;
/// Longest email address, in characters (RFC 5321's path limit).
pub const MAX_EMAIL_CHARS: usize = 254;
/// Longest API token name, in characters.
pub const MAX_TOKEN_NAME_CHARS: usize = 80;
/// How long an invite link can be used, in hours.
pub const INVITE_HOURS: i64 = 72;

/// What an account may do. Each role may do everything the one before it may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Watch, compare and comment.
    Viewer,
    /// Also generate, correct, import, share for review and run campaigns.
    Editor,
    /// Also manage users, provider keys and budgets, and read the audit log.
    Owner,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Viewer, Role::Editor, Role::Owner];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Editor => "editor",
            Role::Owner => "owner",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Viewer => "Viewer",
            Role::Editor => "Editor",
            Role::Owner => "Owner",
        }
    }

    /// What the role may do, in a few words for the Users page.
    pub fn describe(self) -> &'static str {
        match self {
            Role::Viewer => "watch, compare and comment",
            Role::Editor => "also generate, correct, import and share",
            Role::Owner => "also users, keys, budgets and the audit log",
        }
    }

    /// Whether this role reaches what `need` asks for.
    pub fn allows(self, need: Need) -> bool {
        match need {
            Need::Anyone => true,
            Need::Role(min) => self >= min,
        }
    }
}

/// What a route asks of its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", tag = "kind", content = "role")]
pub enum Need {
    /// Reachable signed out (sign-in itself, invites, the app's files).
    Anyone,
    /// A session or token of at least this role.
    Role(Role),
}

/// What an API token may be used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Read jobs, takes and the Library (`GET` only), as a viewer would.
    Read,
    /// Also create, cancel and correct jobs and import clips, as an editor would.
    Generate,
}

impl Scope {
    pub const ALL: [Scope; 2] = [Scope::Read, Scope::Generate];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Generate => "generate",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The highest role a token with this scope acts as; a token never acts
    /// above its maker's role either, and never as an owner.
    pub fn ceiling(self) -> Role {
        match self {
            Scope::Read => Role::Viewer,
            Scope::Generate => Role::Editor,
        }
    }
}

/// Who the studio is talking to: asked by the app when it starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Me {
    /// Whether this server asks for sign-in (false on a loopback address
    /// unless `--require-sign-in`).
    pub sign_in_required: bool,
    /// The signed-in account; `None` when signed out, or when sign-in is off.
    pub user: Option<UserView>,
    /// What this caller may do: `None` when signed out and sign-in is required;
    /// `Owner` for everyone when sign-in is off.
    pub role: Option<Role>,
}

impl Me {
    /// Whether the caller may do what `need` asks.
    pub fn allows(&self, need: Need) -> bool {
        match need {
            Need::Anyone => true,
            Need::Role(_) => self.role.is_some_and(|r| r.allows(need)),
        }
    }
}

/// An account, as Settings lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserView {
    pub id: String,
    pub email: String,
    pub role: Role,
    /// Unix milliseconds.
    pub created_at: i64,
    /// When the account last signed in; `None` before its first time.
    pub last_sign_in_at: Option<i64>,
    /// True until the invitee has set a password.
    pub invite_pending: bool,
    /// When the pending invite stops working.
    pub invite_expires_at: Option<i64>,
}

/// Signing in with a password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignIn {
    pub email: String,
    pub password: String,
}

/// An owner inviting someone (also `chorus user add`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewInvite {
    pub email: String,
    pub role: Role,
}

/// An invite just made: the link is shown once, only its hash is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedInvite {
    pub user: UserView,
    /// Absolute when the server knows its public address, else a path
    /// (`/invite/<token>`) the studio completes with its own origin.
    pub url: String,
    pub expires_at: i64,
}

/// What an invite link opens to, before the password is set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InviteView {
    pub email: String,
    pub role: Role,
    pub expires_at: i64,
}

/// The invitee choosing a password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AcceptInvite {
    pub password: String,
}

/// An owner changing someone's role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoleChange {
    pub role: Role,
}

/// An API token, as Settings lists it (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiTokenView {
    pub id: String,
    pub name: String,
    pub scopes: Vec<Scope>,
    /// Whose it is; it acts as them, within its scopes.
    pub user_id: Option<String>,
    pub user_email: Option<String>,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// Making an API token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewApiToken {
    pub name: String,
    pub scopes: Vec<Scope>,
}

/// A token just made: `token` is shown once, only its hash is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedApiToken {
    pub token: String,
    pub view: ApiTokenView,
}

/// The monthly limits, in millionths of a US dollar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Budget {
    /// The whole studio's monthly limit; `None` for no limit.
    pub studio_usd_micros: Option<u64>,
    /// Limits for single accounts, within the studio's.
    #[serde(default)]
    pub users: Vec<UserBudget>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserBudget {
    pub user_id: String,
    pub usd_micros: u64,
}

/// Spend one group (a model, an account) came to this month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SpendLine {
    /// The model id, or the account's id.
    pub key: String,
    /// The model's name, or the account's email ("this studio" when sign-in
    /// is off).
    pub label: String,
    /// Settled: what finished jobs cost.
    pub spent_usd_micros: u64,
    /// Held for jobs still running.
    pub reserved_usd_micros: u64,
    pub jobs: u64,
}

/// This month's spend against the budget.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Spend {
    /// `YYYY-MM` (UTC).
    pub month: String,
    pub budget: Budget,
    pub spent_usd_micros: u64,
    pub reserved_usd_micros: u64,
    /// What is left of the studio's budget; `None` with no limit.
    pub left_usd_micros: Option<u64>,
    pub by_model: Vec<SpendLine>,
    pub by_user: Vec<SpendLine>,
}

/// What the caller may still spend this month, for Compose to show beside
/// a job's cost (`GET /api/spend/left`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BudgetLeft {
    /// `YYYY-MM` (UTC).
    pub month: String,
    /// The studio's limit and what is left of it; `None` with no limit.
    pub studio_limit_usd_micros: Option<u64>,
    pub studio_left_usd_micros: Option<u64>,
    /// The caller's own limit and what is left of it; `None` with none.
    pub user_limit_usd_micros: Option<u64>,
    pub user_left_usd_micros: Option<u64>,
}

impl BudgetLeft {
    /// The tighter of the two, with whose it is; `None` with no limit.
    pub fn tightest(&self) -> Option<(u64, u64, BudgetOf)> {
        let studio = self
            .studio_left_usd_micros
            .zip(self.studio_limit_usd_micros)
            .map(|(left, limit)| (left, limit, BudgetOf::Studio));
        let user = self
            .user_left_usd_micros
            .zip(self.user_limit_usd_micros)
            .map(|(left, limit)| (left, limit, BudgetOf::User));
        match (studio, user) {
            (Some(s), Some(u)) => Some(if u.0 < s.0 { u } else { s }),
            (s, u) => s.or(u),
        }
    }
}

/// A hosted provider's API key as owners see it: where the server reads
/// it from and whether it is there, never the key itself
/// (`GET /api/providers`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProviderKey {
    /// `fal`, `replicate`, `runware`, `dashscope`.
    pub provider: String,
    /// How people know it ("fal.ai", "Alibaba Cloud DashScope").
    pub label: String,
    /// The environment variable the server reads the key from.
    pub variable: String,
    /// Whether the server found it when it started.
    pub set: bool,
    /// The names of the models it opens.
    pub models: Vec<String>,
}

/// Something worth knowing later: who did what, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    pub id: i64,
    /// Unix milliseconds.
    pub at: i64,
    /// Who: an email, "token <name> (<email>)", "local" (sign-in off),
    /// "reviewer <name>" (a review link), or "server".
    pub actor: String,
    pub action: AuditAction,
    /// What it was done to: a job id, an email, a token name, a link id.
    pub target: String,
    /// Any more a reader needs ("editor → viewer", "$4.20 refused").
    pub detail: String,
    /// The client's address, where there was one.
    pub address: Option<String>,
}

/// A page of the audit log, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// Pass as `before` for the next page; `None` at the end.
    pub next_before: Option<i64>,
}

/// Every kind of audit entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    SignedIn,
    SignInRefused,
    SignedOut,
    SignedOutEverywhere,
    UserInvited,
    PasswordSet,
    RoleChanged,
    UserRemoved,
    TokenCreated,
    TokenRevoked,
    JobCreated,
    JobRefused,
    JobCancelled,
    JobDeleted,
    JobRestored,
    TakeCorrected,
    ClipsImported,
    ReviewShared,
    ReviewChanged,
    ReviewRevoked,
    ReviewApproved,
    ReviewChangesRequested,
    BudgetChanged,
    KeyChanged,
    LinesTranslated,
    GlossaryChanged,
    CampaignSubmitted,
    CampaignCanceled,
    WebhooksChanged,
}

impl AuditAction {
    pub const ALL: [AuditAction; 29] = [
        AuditAction::SignedIn,
        AuditAction::SignInRefused,
        AuditAction::SignedOut,
        AuditAction::SignedOutEverywhere,
        AuditAction::UserInvited,
        AuditAction::PasswordSet,
        AuditAction::RoleChanged,
        AuditAction::UserRemoved,
        AuditAction::TokenCreated,
        AuditAction::TokenRevoked,
        AuditAction::JobCreated,
        AuditAction::JobRefused,
        AuditAction::JobCancelled,
        AuditAction::JobDeleted,
        AuditAction::JobRestored,
        AuditAction::TakeCorrected,
        AuditAction::ClipsImported,
        AuditAction::ReviewShared,
        AuditAction::ReviewChanged,
        AuditAction::ReviewRevoked,
        AuditAction::ReviewApproved,
        AuditAction::ReviewChangesRequested,
        AuditAction::BudgetChanged,
        AuditAction::KeyChanged,
        AuditAction::LinesTranslated,
        AuditAction::GlossaryChanged,
        AuditAction::CampaignSubmitted,
        AuditAction::CampaignCanceled,
        AuditAction::WebhooksChanged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::SignedIn => "signed_in",
            AuditAction::SignInRefused => "sign_in_refused",
            AuditAction::SignedOut => "signed_out",
            AuditAction::SignedOutEverywhere => "signed_out_everywhere",
            AuditAction::UserInvited => "user_invited",
            AuditAction::PasswordSet => "password_set",
            AuditAction::RoleChanged => "role_changed",
            AuditAction::UserRemoved => "user_removed",
            AuditAction::TokenCreated => "token_created",
            AuditAction::TokenRevoked => "token_revoked",
            AuditAction::JobCreated => "job_created",
            AuditAction::JobRefused => "job_refused",
            AuditAction::JobCancelled => "job_cancelled",
            AuditAction::JobDeleted => "job_deleted",
            AuditAction::JobRestored => "job_restored",
            AuditAction::TakeCorrected => "take_corrected",
            AuditAction::ClipsImported => "clips_imported",
            AuditAction::ReviewShared => "review_shared",
            AuditAction::ReviewChanged => "review_changed",
            AuditAction::ReviewRevoked => "review_revoked",
            AuditAction::ReviewApproved => "review_approved",
            AuditAction::ReviewChangesRequested => "review_changes_requested",
            AuditAction::BudgetChanged => "budget_changed",
            AuditAction::KeyChanged => "key_changed",
            AuditAction::LinesTranslated => "lines_translated",
            AuditAction::GlossaryChanged => "glossary_changed",
            AuditAction::CampaignSubmitted => "campaign_submitted",
            AuditAction::CampaignCanceled => "campaign_canceled",
            AuditAction::WebhooksChanged => "webhooks_changed",
        }
    }

    pub fn parse(s: &str) -> Option<AuditAction> {
        AuditAction::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// In words, for the audit page.
    pub fn label(self) -> &'static str {
        match self {
            AuditAction::SignedIn => "Signed in",
            AuditAction::SignInRefused => "Sign-in refused",
            AuditAction::SignedOut => "Signed out",
            AuditAction::SignedOutEverywhere => "Signed out everywhere",
            AuditAction::UserInvited => "Invited",
            AuditAction::PasswordSet => "Password set",
            AuditAction::RoleChanged => "Role changed",
            AuditAction::UserRemoved => "User removed",
            AuditAction::TokenCreated => "API token made",
            AuditAction::TokenRevoked => "API token revoked",
            AuditAction::JobCreated => "Job created",
            AuditAction::JobRefused => "Job refused (budget)",
            AuditAction::JobCancelled => "Job cancelled",
            AuditAction::JobDeleted => "Job deleted",
            AuditAction::JobRestored => "Job restored",
            AuditAction::TakeCorrected => "Take corrected",
            AuditAction::ClipsImported => "Clips imported",
            AuditAction::ReviewShared => "Shared for review",
            AuditAction::ReviewChanged => "Review link changed",
            AuditAction::ReviewRevoked => "Review link revoked",
            AuditAction::ReviewApproved => "Approved",
            AuditAction::ReviewChangesRequested => "Changes requested",
            AuditAction::BudgetChanged => "Budget changed",
            AuditAction::KeyChanged => "Provider key changed",
            AuditAction::LinesTranslated => "Lines translated",
            AuditAction::GlossaryChanged => "Glossary changed",
            AuditAction::CampaignSubmitted => "Campaign submitted",
            AuditAction::CampaignCanceled => "Campaign canceled",
            AuditAction::WebhooksChanged => "Webhooks changed",
        }
    }
}

/// Why a password cannot be used, in words for the person choosing it;
/// empty when it can. `email` is the account's, so a password built on it
/// is refused too.
pub fn password_problems(password: &str, email: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        problems.push(format!(
            "Use at least {MIN_PASSWORD_CHARS} characters ({chars} so far)."
        ));
    }
    if chars > MAX_PASSWORD_CHARS {
        problems.push(format!(
            "Use at most {MAX_PASSWORD_CHARS} characters ({chars} given)."
        ));
    }
    if chars >= MIN_PASSWORD_CHARS && is_common_password(password) {
        problems.push(
            "This password is one of the most common: anyone guessing would try it early. \
             A few unrelated words make a strong one."
                .to_string(),
        );
    } else if chars >= MIN_PASSWORD_CHARS && built_on_email(password, email) {
        problems.push("Don't build the password on your email address.".to_string());
    }
    problems
}

/// The bundled list of common passwords and the words they are built on,
/// one per line (lowercase).
const COMMON: &str = include_str!("common-passwords.txt");

/// Whether a password is, or is a thin variation of, a common one: on the
/// bundled list as typed; one of its words with digits and symbols around
/// it ("Password2024!"); a word repeated ("monkeymonkey"); one character
/// repeated; or a run along the keyboard or the digits.
pub fn is_common_password(password: &str) -> bool {
    let lower = password.to_lowercase();
    let on_list = |s: &str| COMMON.lines().any(|line| line.trim() == s);
    if on_list(&lower) {
        return true;
    }
    // The letters at its heart, with digits and symbols before and after removed.
    let core: &str = lower.trim_matches(|c: char| !c.is_alphabetic());
    let leetless: String = core
        .chars()
        .map(|c| match c {
            '0' => 'o',
            '1' | '!' => 'i',
            '3' => 'e',
            '4' | '@' => 'a',
            '5' | '$' => 's',
            '7' => 't',
            _ => c,
        })
        .collect();
    if core.chars().count() < 4 || on_list(core) || on_list(&leetless) {
        return true;
    }
    // Its letters alone: "letmein!letmein" is "letmein" twice.
    let letters: String = core.chars().filter(|c| c.is_alphabetic()).collect();
    if is_repetition(&leetless) || is_repetition(&letters) || on_list(&letters) || is_run(core) {
        return true;
    }
    let distinct: std::collections::BTreeSet<char> = lower.chars().collect();
    if distinct.len() <= 3 {
        return true;
    }
    is_run(&lower)
}

/// "monkeymonkey", "abcabcabcabc": one piece said again and again.
fn is_repetition(s: &str) -> bool {
    let chars: Vec<char> = s.chars().collect();
    let n = chars.len();
    (1..=n / 2).any(|len| {
        n.is_multiple_of(len)
            && on_common_or_short(&chars[..len])
            && chars.chunks(len).all(|c| c == &chars[..len])
    })
}

fn on_common_or_short(piece: &[char]) -> bool {
    let s: String = piece.iter().collect();
    piece.len() <= 6 || COMMON.lines().any(|line| line.trim() == s)
}

/// Rows of a keyboard and the digits, forwards; a password that is one run
/// along any of them (either way) is refused.
const RUNS: [&str; 6] = [
    "1234567890",
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm",
    "abcdefghijklmnopqrstuvwxyz",
    "qwertzuiop",
];

fn is_run(s: &str) -> bool {
    let stripped: String = s.chars().filter(char::is_ascii_alphanumeric).collect();
    if stripped.len() < 6 {
        return false;
    }
    // Made of at most two runs, each at least 4 long.
    let forwards = |piece: &str| {
        RUNS.iter().any(|row| {
            let doubled = format!("{row}{row}");
            let reversed: String = doubled.chars().rev().collect();
            doubled.contains(piece) || reversed.contains(piece)
        })
    };
    if forwards(&stripped) {
        return true;
    }
    (4..=stripped.len().saturating_sub(4)).any(|cut| {
        let (a, b) = stripped.split_at(cut);
        forwards(a) && forwards(b)
    })
}

fn built_on_email(password: &str, email: &str) -> bool {
    let local = email.split('@').next().unwrap_or("").to_lowercase();
    let letters: String = local.chars().filter(|c| c.is_alphanumeric()).collect();
    letters.chars().count() >= 4 && {
        let lower: String = password
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric())
            .collect();
        lower.contains(&letters)
            && lower.chars().count() - letters.chars().count() < MIN_PASSWORD_CHARS
    }
}

/// Whether an email address is plausible: something, one `@`, a domain with
/// a dot, no spaces. `None` when it is, else what is wrong.
pub fn email_problem(email: &str) -> Option<String> {
    let email = email.trim();
    if email.is_empty() {
        return Some("Enter an email address.".to_string());
    }
    if email.chars().count() > MAX_EMAIL_CHARS {
        return Some(format!(
            "An email address has at most {MAX_EMAIL_CHARS} characters."
        ));
    }
    let Some((local, domain)) = email.split_once('@') else {
        return Some(format!(
            "\"{email}\" has no @: enter a whole email address."
        ));
    };
    if local.is_empty()
        || domain.contains('@')
        || !domain.contains('.')
        || domain.starts_with('.')
        || domain.ends_with('.')
        || email.chars().any(char::is_whitespace)
    {
        return Some(format!("\"{email}\" is not an email address."));
    }
    None
}

/// The form an email is stored and compared in.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Why a token request cannot be made; empty when it can.
pub fn token_problems(token: &NewApiToken) -> Vec<String> {
    let mut problems = Vec::new();
    let name = token.name.trim();
    if name.is_empty() {
        problems.push("Give the token a name, so you know later what uses it.".to_string());
    }
    if name.chars().count() > MAX_TOKEN_NAME_CHARS {
        problems.push(format!(
            "A token name has at most {MAX_TOKEN_NAME_CHARS} characters."
        ));
    }
    if token.scopes.is_empty() {
        problems.push("Choose what the token may do: read, generate, or both.".to_string());
    }
    problems
}

/// `$4.20` from millionths of a dollar, rounded to the cent.
pub fn dollars(usd_micros: u64) -> String {
    let cents = usd_micros.div_ceil(10_000);
    format!("${}.{:02}", cents / 100, cents % 100)
}

/// Whose budget refused a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum BudgetOf {
    Studio,
    /// The caller's own limit within the studio's.
    User,
}

/// The message a job refused by a budget answers with:
/// "This job needs $4.20; $3.10 of this month's $500.00 is left."
pub fn over_budget_message(needs: u64, left: u64, limit: u64, of: BudgetOf) -> String {
    let whose = match of {
        BudgetOf::Studio => "this month's",
        BudgetOf::User => "your own monthly",
    };
    format!(
        "This job needs {}; {} of {whose} {} is left.",
        dollars(needs),
        dollars(left),
        dollars(limit)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered_and_allow_what_is_below_them() {
        assert!(Role::Owner.allows(Need::Role(Role::Editor)));
        assert!(Role::Editor.allows(Need::Role(Role::Viewer)));
        assert!(!Role::Viewer.allows(Need::Role(Role::Editor)));
        assert!(!Role::Editor.allows(Need::Role(Role::Owner)));
        assert!(Role::Viewer.allows(Need::Anyone));
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("admin"), None);
    }

    #[test]
    fn a_signed_out_caller_reaches_only_what_anyone_may() {
        let me = Me {
            sign_in_required: true,
            user: None,
            role: None,
        };
        assert!(me.allows(Need::Anyone));
        assert!(!me.allows(Need::Role(Role::Viewer)));
    }

    #[test]
    fn token_scopes_never_reach_owner() {
        assert_eq!(Scope::Read.ceiling(), Role::Viewer);
        assert_eq!(Scope::Generate.ceiling(), Role::Editor);
    }

    #[test]
    fn short_and_common_passwords_are_refused_with_the_reason() {
        let short = password_problems("tulips", "ana@example.com");
        assert_eq!(short.len(), 1);
        assert!(short[0].contains("at least 12"), "{short:?}");
        for weak in [
            "password1234",
            "Password2024!",
            "P@ssw0rd2024",
            "qwertyuiop12",
            "123456789012",
            "aaaaaaaaaaaa",
            "monkeymonkey",
            "iloveyou1234",
            "letmein!letmein",
            "asdf1234asdf",
            "0987654321qwerty",
        ] {
            assert!(is_common_password(weak), "{weak} should be refused");
            assert!(!password_problems(weak, "x@example.com").is_empty());
        }
    }

    #[test]
    fn strong_passwords_pass() {
        for strong in [
            "violet harbor tractor",
            "Kettle-Orbit-Marsh-91",
            "correct horse battery staple",
            "b7#Lq9!zR2mX",
        ] {
            assert!(
                password_problems(strong, "ana@example.com").is_empty(),
                "{strong}: {:?}",
                password_problems(strong, "ana@example.com")
            );
        }
    }

    #[test]
    fn a_password_built_on_the_email_is_refused() {
        let p = password_problems("anabelle2024!", "anabelle@example.com");
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].contains("email"));
    }

    #[test]
    fn emails_are_checked_and_normalized() {
        assert_eq!(email_problem("ana@example.com"), None);
        assert!(email_problem("").is_some());
        assert!(email_problem("ana.example.com").unwrap().contains("no @"));
        assert!(email_problem("ana@localhost").is_some());
        assert!(email_problem("a na@example.com").is_some());
        assert_eq!(normalize_email("  Ana@Example.COM "), "ana@example.com");
    }

    #[test]
    fn an_over_budget_message_says_what_is_needed_and_left() {
        assert_eq!(
            over_budget_message(4_200_000, 3_100_000, 500_000_000, BudgetOf::Studio),
            "This job needs $4.20; $3.10 of this month's $500.00 is left."
        );
        assert_eq!(
            over_budget_message(4_200_000, 0, 20_000_000, BudgetOf::User),
            "This job needs $4.20; $0.00 of your own monthly $20.00 is left."
        );
        assert_eq!(dollars(1), "$0.01");
        assert_eq!(dollars(0), "$0.00");
    }

    #[test]
    fn tokens_need_a_name_and_a_scope() {
        let none = token_problems(&NewApiToken {
            name: " ".into(),
            scopes: vec![],
        });
        assert_eq!(none.len(), 2);
        assert!(
            token_problems(&NewApiToken {
                name: "nightly".into(),
                scopes: vec![Scope::Generate],
            })
            .is_empty()
        );
    }

    #[test]
    fn audit_actions_round_trip() {
        for a in AuditAction::ALL {
            assert_eq!(AuditAction::parse(a.as_str()), Some(a));
            let json = serde_json::to_string(&a).unwrap();
            assert_eq!(json, format!("\"{}\"", a.as_str()));
        }
    }
}
