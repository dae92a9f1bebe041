//! Who may use the studio (#18), in a real browser against `chorus serve
//! --require-sign-in`: signed out, every studio address goes to sign-in;
//! the first owner comes from `chorus user add` and sets a password on the
//! invite page; the owner invites an editor and a viewer from Settings;
//! the editor sets a password, signs out, signs in with the form and
//! generates on the draft engine; the viewer sees no Generate, and the
//! API refuses the viewer's POST; the owner reads it all in the audit log
//! and sees which provider keys the server has.
//! The sign-in page is also looked at on a phone.

use anyhow::{Context, Result, ensure};
use serde_json::json;

use crate::SELECT_ALL;
use crate::harness::{Studio, cdp};

const PASSWORD: &str = "violet harbor tractor";

/// Chooses `value` in the `<select>` at `css`, as a person picking it would.
const CHOOSE: &str = r"
const [css, value] = arguments;
const select = document.querySelector(css);
select.value = value;
select.dispatchEvent(new Event('input', { bubbles: true }));
select.dispatchEvent(new Event('change', { bubbles: true }));
return select.value;
";

/// A `POST /api/jobs` from the page, with the browser's own cookie and
/// Origin, as the studio's Generate would send it.
const POST_JOB: &str = r"
const done = arguments[arguments.length - 1];
fetch('/api/jobs', {
  method: 'POST',
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify({ model: 'draft', mode: 'text-to-video', prompt: 'A viewer tries to spend', duration_s: 5, resolution: '720p', aspect_ratio: '16:9' }),
}).then((r) => r.json().then((body) => done({ status: r.status, body })), (e) => done({ error: String(e) }));
";

/// The path and query the page is on.
const WHERE: &str = "return location.pathname + location.search;";

async fn path_now(s: &Studio) -> Result<String> {
    Ok(s.client
        .execute(WHERE, vec![])
        .await?
        .as_str()
        .unwrap_or_default()
        .to_string())
}

/// Sets a password on the invite page at `link` and waits to be signed in
/// as `email`.
async fn accept_invite(s: &Studio, link: &str, email: &str) -> Result<()> {
    s.open(link).await?;
    invite_is_for(s, email).await?;
    s.type_into("[data-testid=invite-password]", PASSWORD)
        .await?;
    s.type_into("[data-testid=invite-confirm]", PASSWORD)
        .await?;
    s.click("[data-testid=invite-submit]").await?;
    s.find_text("[data-testid=user-email]", email)
        .await
        .context("setting the password did not sign in")?;
    Ok(())
}

/// The invite page names the account it sets a password for.
async fn invite_is_for(s: &Studio, email: &str) -> Result<()> {
    s.until(
        "the invite page to say whose account it is",
        || async move {
            let shown = s
                .value_of("[data-testid=invite-email]")
                .await
                .unwrap_or_default();
            Ok((shown == email).then_some(()))
        },
    )
    .await
}

async fn sign_out(s: &Studio) -> Result<()> {
    s.click("[data-testid=user-menu] summary").await?;
    s.click("[data-testid=sign-out]").await?;
    s.find("[data-testid=sign-in-form]")
        .await
        .context("signing out did not show the sign-in page")?;
    Ok(())
}

/// Invites `email` as `role` from Settings → Users: the link's path.
async fn invite(s: &Studio, email: &str, role: &str) -> Result<String> {
    s.open("/settings/users").await?;
    s.type_into(
        "[data-testid=invite-user-email]",
        &format!("{SELECT_ALL}{email}"),
    )
    .await?;
    let chosen = s
        .client
        .execute(
            CHOOSE,
            vec![json!("[data-testid=invite-user-role]"), json!(role)],
        )
        .await?;
    ensure!(chosen == json!(role), "the role select took {chosen}");
    s.click("[data-testid=invite-user-submit]").await?;
    s.find_text("[data-testid=user-row]", email).await?;
    let link = s
        .until("the invite link to be shown", || async move {
            let value = s
                .value_of("[data-testid=invite-link]")
                .await
                .unwrap_or_default();
            Ok(value.contains("/invite/").then_some(value))
        })
        .await?;
    let at = link.find("/invite/").unwrap_or_default();
    Ok(link[at..].to_string())
}

#[tokio::test]
async fn an_owner_invites_an_editor_who_generates_and_a_viewer_who_cannot_spend() -> Result<()> {
    Studio::run_with("access", &["--require-sign-in"], async |s: &Studio| {
        // Signed out, a studio address goes to sign-in, remembering where.
        s.open("/library").await?;
        s.find("[data-testid=sign-in-form]").await?;
        let at = path_now(s).await?;
        ensure!(
            at.starts_with("/sign-in") && at.contains("next=") && at.contains("library"),
            "signed out, /library went to {at}"
        );
        s.screenshot("access-sign-in").await?;

        // The first owner is made on the server's machine.
        let owner_link = s.user_add("olga@example.com", "owner")?;
        s.open(&owner_link).await?;
        invite_is_for(s, "olga@example.com").await?;
        // A weak password is explained as it is typed.
        s.type_into("[data-testid=invite-password]", "tulips")
            .await?;
        s.find_text("[data-testid=password-problem]", "at least 12")
            .await?;
        s.screenshot("access-invite").await?;
        s.type_into(
            "[data-testid=invite-password]",
            &format!("{SELECT_ALL}{PASSWORD}"),
        )
        .await?;
        s.type_into("[data-testid=invite-confirm]", PASSWORD)
            .await?;
        s.click("[data-testid=invite-submit]").await?;
        s.find_text("[data-testid=user-role]", "Owner").await?;

        // The owner invites an editor and a viewer.
        let editor_link = invite(s, "eddie@example.com", "editor").await?;
        let viewer_link = invite(s, "vera@example.com", "viewer").await?;
        s.screenshot("access-users").await?;
        sign_out(s).await?;

        // The editor sets a password, signs out, and signs in with the form.
        accept_invite(s, &editor_link, "eddie@example.com").await?;
        sign_out(s).await?;
        s.type_into("[data-testid=sign-in-email]", "eddie@example.com")
            .await?;
        s.type_into("[data-testid=sign-in-password]", "not the password")
            .await?;
        s.click("[data-testid=sign-in-submit]").await?;
        s.find_text("[data-testid=sign-in-error]", "wrong").await?;
        s.type_into(
            "[data-testid=sign-in-password]",
            &format!("{SELECT_ALL}{PASSWORD}"),
        )
        .await?;
        s.click("[data-testid=sign-in-submit]").await?;
        s.find_text("[data-testid=user-role]", "Editor").await?;

        // … and generates on the draft engine.
        s.open("/").await?;
        s.type_into(
            "[data-testid=prompt]",
            "A florist arranges tulips at dawn, smiling at the camera.",
        )
        .await?;
        s.click("[data-testid=generate]").await?;
        s.find("[data-testid=library-page]")
            .await
            .context("Generate did not open the Library")?;
        s.find_text("[data-testid=job-card]", "A florist arranges tulips")
            .await?;
        s.screenshot("access-editor-generated").await?;
        sign_out(s).await?;

        // The viewer watches but cannot spend.
        accept_invite(s, &viewer_link, "vera@example.com").await?;
        s.find_text("[data-testid=user-role]", "Viewer").await?;
        s.find_text("[data-testid=job-card]", "A florist arranges tulips")
            .await
            .context("the viewer cannot see the editor's job")?;
        for hidden in [
            "[data-testid=nav-compose]",
            "[data-testid=generate]",
            "[data-testid=import-button]",
            "[data-testid=job-delete]",
            "[data-testid=share-open]",
        ] {
            let shown = s
                .client
                .find_all(fantoccini::Locator::Css(hidden))
                .await?
                .len();
            ensure!(shown == 0, "a viewer is shown {hidden}");
        }
        s.open("/").await?;
        s.find("[data-testid=library-page]").await?;
        ensure!(
            s.client
                .find_all(fantoccini::Locator::Css("[data-testid=generate]"))
                .await?
                .is_empty(),
            "a viewer reached Compose's Generate"
        );
        let refused = s.client.execute_async(POST_JOB, vec![]).await?;
        ensure!(
            refused["status"] == 403,
            "the viewer's POST /api/jobs answered {refused}"
        );
        let message = refused["body"]["error"]["message"]
            .as_str()
            .unwrap_or_default();
        ensure!(
            message.contains("Viewers can't generate"),
            "the refusal says why: {message}"
        );
        s.screenshot("access-viewer").await?;
        sign_out(s).await?;

        // The owner reads all of it in the audit log.
        s.type_into("[data-testid=sign-in-email]", "olga@example.com")
            .await?;
        s.type_into("[data-testid=sign-in-password]", PASSWORD)
            .await?;
        s.click("[data-testid=sign-in-submit]").await?;
        s.find_text("[data-testid=user-role]", "Owner").await?;
        s.open("/settings/audit").await?;
        for action in [
            "job_created",
            "user_invited",
            "password_set",
            "signed_in",
            "sign_in_refused",
        ] {
            s.find(&format!(
                "[data-testid=audit-list] [data-testid=audit-entry][data-action={action}]"
            ))
            .await
            .with_context(|| format!("no {action} in the audit log"))?;
        }
        s.find_text("[data-testid=audit-list]", "eddie@example.com")
            .await?;
        s.screenshot("access-audit").await?;

        // Owners see where each provider's key comes from, never the key.
        s.open("/settings/providers").await?;
        let fal = s
            .find_text("[data-testid=provider-key][data-provider=fal]", "FAL_KEY")
            .await?;
        ensure!(fal.contains("Not set"), "no key is set in this test: {fal}");

        // The sign-in page on a phone.
        let phone = s.another_browser("390,844").await?;
        let outcome = async {
            cdp(
                &phone,
                "Emulation.setDeviceMetricsOverride",
                json!({"width": 390, "height": 844, "deviceScaleFactor": 3, "mobile": true}),
            )
            .await?;
            phone.goto(&format!("{}/library", s.base)).await?;
            let deadline = std::time::Instant::now() + crate::harness::PATIENCE;
            while phone
                .find_all(fantoccini::Locator::Css("[data-testid=sign-in-form]"))
                .await?
                .is_empty()
            {
                ensure!(
                    std::time::Instant::now() < deadline,
                    "the phone never showed sign-in"
                );
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            let fits: bool = phone
                .execute(
                    "return document.documentElement.scrollWidth <= window.innerWidth;",
                    vec![],
                )
                .await?
                .as_bool()
                .unwrap_or(false);
            ensure!(fits, "the sign-in page is wider than a phone");
            if let Some(dir) = std::env::var_os("CHORUS_SCREENSHOTS") {
                std::fs::create_dir_all(&dir)?;
                std::fs::write(
                    std::path::Path::new(&dir).join("access-sign-in-phone.png"),
                    phone.screenshot().await?,
                )?;
            }
            Ok(())
        }
        .await;
        let _ = phone.close().await;
        outcome
    })
    .await
}
