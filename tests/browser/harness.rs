//! Starts the real `chorus` server (serving the built app) and a headless
//! Chromium through chromedriver, each on a free port with throwaway
//! directories, and tears all of it down again, also when a scenario fails.

use std::fs;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, anyhow, bail, ensure};
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

/// How long any one condition may take before a scenario fails.
pub const PATIENCE: Duration = Duration::from_secs(20);

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// Tests share the machine's two cores; running browsers one at a time keeps
/// timings predictable.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A child process killed (with its process group) when dropped.
struct Process {
    child: Child,
    name: &'static str,
    log: PathBuf,
}

impl Drop for Process {
    fn drop(&mut self) {
        // The group id is the child's own id (see `process_group(0)`), so this
        // also ends what it started (chromedriver's Chromium) and nothing else.
        // kill(2) directly, never the `kill` program: procps-ng 4.0.2 reads
        // `kill -TERM -PID` as kill(-1, SIGTERM), which ends every process on
        // the machine. A group id of 0 or 1 is never signalled.
        let group = i32::try_from(self.child.id()).ok().filter(|id| *id > 1);
        if let Some(group) = group.and_then(rustix::process::Pid::from_raw) {
            let _ = rustix::process::kill_process_group(group, rustix::process::Signal::TERM);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub struct Studio {
    pub base: String,
    pub client: Client,
    scratch: PathBuf,
    driver_port: u16,
    server: Process,
    _driver: Process,
}

impl Studio {
    /// Runs `scenario` against a fresh server and browser, then shuts both
    /// down whatever the outcome. On failure the server log is printed. The
    /// page must have reported no Content-Security-Policy violation.
    pub async fn run<F>(name: &str, scenario: F) -> Result<()>
    where
        F: AsyncFnOnce(&Studio) -> Result<()>,
    {
        Self::run_with(name, &[], scenario).await
    }

    /// `run` with extra `chorus serve` arguments.
    pub async fn run_with<F>(name: &str, server_args: &[&str], scenario: F) -> Result<()>
    where
        F: AsyncFnOnce(&Studio) -> Result<()>,
    {
        Self::run_with_env(name, server_args, &[], scenario).await
    }

    /// `run_with`, the server started with extra environment variables
    /// (a hosted engine's key and its local fake's address).
    pub async fn run_with_env<F>(
        name: &str,
        server_args: &[&str],
        env: &[(&str, &str)],
        scenario: F,
    ) -> Result<()>
    where
        F: AsyncFnOnce(&Studio) -> Result<()>,
    {
        let _turn = ONE_AT_A_TIME.lock().await;
        let studio = Studio::start(name, server_args, env).await?;
        let mut outcome = scenario(&studio).await;
        if outcome.is_ok() {
            outcome = studio.check_csp().await;
        }
        if outcome.is_err() {
            let _ = studio.screenshot(&format!("{name}-failure")).await;
            eprintln!(
                "--- {} log ---\n{}",
                studio.server.name,
                fs::read_to_string(&studio.server.log).unwrap_or_default()
            );
        }
        let scratch = studio.scratch.clone();
        let _ = studio.client.clone().close().await;
        drop(studio);
        let _ = fs::remove_dir_all(scratch);
        outcome
    }

    /// Fails if the page on screen reported a Content-Security-Policy
    /// violation (the app's `window.__chorusCsp` hook, and the browser's
    /// buffered reports from before the app started), or if the policy is
    /// not on at all.
    pub async fn check_csp(&self) -> Result<()> {
        let url = self.client.current_url().await?;
        if !url.as_str().starts_with(&self.base) {
            return Ok(());
        }
        let report = self.client.execute_async(CSP_REPORT, vec![]).await?;
        let policy = report["policy"].as_str().unwrap_or_default();
        ensure!(
            policy.contains("script-src"),
            "the page is served without a Content-Security-Policy: {report}"
        );
        let violations: Vec<&str> = ["hook", "reports"]
            .iter()
            .flat_map(|key| report[key].as_array().into_iter().flatten())
            .filter_map(serde_json::Value::as_str)
            .collect();
        ensure!(
            violations.is_empty(),
            "the Content-Security-Policy blocked {violations:?} on {url}"
        );
        Ok(())
    }

    /// Adds `jobs` finished jobs to the server's database with `chorus
    /// seed` (their takes are the newest finished job's).
    pub fn seed(&self, jobs: usize) -> Result<()> {
        let bin = server_binary(Path::new(env!("CARGO_MANIFEST_DIR")))?;
        let out = Command::new(bin)
            .args(["seed", "--jobs", &jobs.to_string(), "--data"])
            .arg(self.scratch.join("data"))
            .output()
            .context("running chorus seed")?;
        ensure!(
            out.status.success(),
            "chorus seed failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(())
    }

    /// Makes an account with `chorus user add` on this server's database,
    /// as an owner would on the server's machine: the path of its one-time
    /// invite link (`/invite/…`).
    pub fn user_add(&self, email: &str, role: &str) -> Result<String> {
        let bin = server_binary(Path::new(env!("CARGO_MANIFEST_DIR")))?;
        let out = Command::new(bin)
            .args(["user", "add", email, "--role", role, "--data"])
            .arg(self.scratch.join("data"))
            .output()
            .context("running chorus user add")?;
        let printed = String::from_utf8_lossy(&out.stdout);
        ensure!(
            out.status.success(),
            "chorus user add failed: {printed}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let path = printed
            .split_whitespace()
            .find_map(|word| word.find("/invite/").map(|at| word[at..].to_string()))
            .ok_or_else(|| anyhow!("no invite link in what chorus user add printed: {printed}"))?;
        Ok(path)
    }

    /// This scenario's throwaway folder (removed when it ends), for files
    /// a test hands to the page.
    pub fn scratch(&self) -> &Path {
        &self.scratch
    }

    /// Sends a Chrome DevTools Protocol command to the page (network
    /// emulation, cache control) through chromedriver.
    pub async fn cdp(&self, cmd: &str, params: serde_json::Value) -> Result<serde_json::Value> {
        cdp(&self.client, cmd, params).await
    }

    async fn start(name: &str, server_args: &[&str], env: &[(&str, &str)]) -> Result<Studio> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let bin = server_binary(root)?;
        let dist = std::env::var_os("CHORUS_DIST").map_or_else(|| root.join("dist"), PathBuf::from);
        if !dist.join("index.html").is_file() {
            bail!(
                "no built app in {} (set CHORUS_DIST, or run `trunk build` in the repository root)",
                dist.display()
            );
        }
        for tool in [CHROMIUM, CHROMEDRIVER] {
            if !Path::new(tool).exists() {
                bail!("{tool} is missing: run `apt-get install chromium chromium-driver`");
            }
        }

        let scratch = scratch_dir(name)?;
        let data = scratch.join("data");
        fs::create_dir_all(&data)?;

        let port = free_port()?;
        let addr = format!("127.0.0.1:{port}");
        let server = spawn(
            "chorus",
            Command::new(&bin)
                .args(["serve", "--addr", &addr, "--data"])
                .arg(&data)
                .arg("--dist")
                .arg(&dist)
                .args(server_args)
                .envs(env.iter().copied()),
            &scratch,
        )?;
        wait_for_http(port, "/api/models", &server).await?;

        let driver_port = free_port()?;
        let driver = spawn(
            "chromedriver",
            Command::new(CHROMEDRIVER).arg(format!("--port={driver_port}")),
            &scratch,
        )?;
        wait_for_http(driver_port, "/status", &driver).await?;

        let client = browser(driver_port, &scratch.join("chromium-profile"), "1440,1100").await?;

        Ok(Studio {
            base: format!("http://{addr}"),
            client,
            scratch,
            driver_port,
            server,
            _driver: driver,
        })
    }

    /// A second browser on this server, with its own profile (its own
    /// storage and cookies), a window of `size` ("390,844"): a client
    /// opening a review link beside the studio. Closed by the caller.
    pub async fn another_browser(&self, size: &str) -> Result<Client> {
        let profile = self.scratch.join(format!("chromium-profile-{size}"));
        browser(self.driver_port, &profile, size).await
    }

    pub async fn open(&self, path: &str) -> Result<()> {
        // The page being left must have kept to the policy too.
        self.check_csp().await?;
        self.client.goto(&format!("{}{path}", self.base)).await?;
        self.find(
            "[data-testid=compose-page], [data-testid=library-page], [data-testid=compare-page], [data-testid=review-page], [data-testid=sign-in-page], [data-testid=invite-page], [data-testid=settings-page], [data-testid=campaigns-page], [data-testid=campaign-new-page], [data-testid=campaign-board-page], [data-testid=campaign-review]",
        )
        .await
        .context("the app did not start")?;
        Ok(())
    }

    /// Imports the files at `paths` (one per line) through the Library's
    /// Import panel, each in its default language, and returns the newest
    /// job, which the import made.
    pub async fn import(&self, paths: &str) -> Result<serde_json::Value> {
        self.open("/library").await?;
        self.find("[data-testid=import-input]")
            .await?
            .send_keys(paths)
            .await?;
        self.click("[data-testid=import-send]").await?;
        self.find("[data-testid=import-done]").await?;
        let job = self
            .client
            .execute_async(
                "const done = arguments[0]; fetch('/api/jobs?limit=1').then((r) => r.json()).then((l) => done(l.jobs[0]));",
                vec![],
            )
            .await?;
        ensure!(job["id"].is_string(), "the import made no job: {job}");
        Ok(job)
    }

    /// Waits for an element matching `css`.
    pub async fn find(&self, css: &str) -> Result<Element> {
        self.client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(css))
            .await
            .with_context(|| format!("waiting for `{css}`"))
    }

    /// Waits until some element matching `css` shows text containing `needle`,
    /// and returns that text.
    pub async fn find_text(&self, css: &str, needle: &str) -> Result<String> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let mut seen = Vec::new();
            for el in self.client.find_all(Locator::Css(css)).await? {
                // A live list re-renders a card as its job moves on: an
                // element gone between finding and reading is looked for
                // again on the next round, not an error.
                let Ok(text) = el.text().await else {
                    continue;
                };
                if text.contains(needle) && el.is_displayed().await.unwrap_or(false) {
                    return Ok(text);
                }
                seen.push(text);
            }
            if Instant::now() > deadline {
                bail!("timed out waiting for `{css}` to show \"{needle}\"; saw {seen:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Polls `check` until it yields a value or `PATIENCE` runs out.
    pub async fn until<T, F, Fut>(&self, what: &str, check: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<Option<T>>>,
    {
        self.until_within(what, PATIENCE, check).await
    }

    /// `until` with its own time limit, for work that is slow by nature
    /// (rendering a job, decoding a whole clip in the browser).
    pub async fn until_within<T, F, Fut>(
        &self,
        what: &str,
        patience: Duration,
        mut check: F,
    ) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<Option<T>>>,
    {
        let deadline = Instant::now() + patience;
        loop {
            if let Some(value) = check().await? {
                return Ok(value);
            }
            if Instant::now() > deadline {
                bail!("timed out waiting for {what}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Clicks `css` the way a user would: first scrolled to the middle of
    /// the window, so the sticky top bar never lies over it.
    pub async fn click(&self, css: &str) -> Result<()> {
        let el = self.find(css).await?;
        self.client
            .execute(
                "arguments[0].scrollIntoView({block: 'center', inline: 'nearest'});",
                vec![serde_json::to_value(&el)?],
            )
            .await
            .with_context(|| format!("scrolling to `{css}`"))?;
        el.click()
            .await
            .with_context(|| format!("clicking `{css}`"))
    }

    pub async fn type_into(&self, css: &str, text: &str) -> Result<()> {
        let el = self.find(css).await?;
        el.send_keys(text)
            .await
            .with_context(|| format!("typing into `{css}`"))
    }

    pub async fn value_of(&self, css: &str) -> Result<String> {
        Ok(self
            .find(css)
            .await?
            .prop("value")
            .await?
            .unwrap_or_default())
    }

    /// Saves a PNG of the page when `CHORUS_SCREENSHOTS` names a folder.
    pub async fn screenshot(&self, name: &str) -> Result<()> {
        if let Some(dir) = std::env::var_os("CHORUS_SCREENSHOTS") {
            let png = self.client.screenshot().await?;
            fs::create_dir_all(&dir)?;
            fs::write(Path::new(&dir).join(format!("{name}.png")), png)?;
        }
        Ok(())
    }
}

/// What `check_csp` runs in the page: the app's own log of violations, the
/// browser's buffered reports (which reach back before the app started),
/// and the policy the page is served with.
const CSP_REPORT: &str = r"
const done = arguments[arguments.length - 1];
const hook = (window.__chorusCsp || []).slice();
const reports = [];
const keep = (list) => { for (const r of list) reports.push(`${r.body.effectiveDirective} ${r.body.blockedURL} (${r.body.sourceFile}:${r.body.lineNumber})`); };
let observer = null;
try {
  observer = new ReportingObserver(keep, { types: ['csp-violation'], buffered: true });
  observer.observe();
} catch (e) {}
setTimeout(() => {
  if (observer) { keep(observer.takeRecords()); observer.disconnect(); }
  fetch(location.href, { cache: 'no-store' })
    .then((r) => done({ hook, reports, policy: r.headers.get('content-security-policy') }))
    .catch((e) => done({ hook, reports, policy: null, error: String(e) }));
}, 50);
";

/// Sends a Chrome DevTools Protocol command to `client`'s page.
pub async fn cdp(
    client: &Client,
    cmd: &str,
    params: serde_json::Value,
) -> Result<serde_json::Value> {
    client
        .issue_cmd(Cdp {
            cmd: cmd.to_string(),
            params,
        })
        .await
        .with_context(|| format!("DevTools command {cmd}"))
}

/// A headless Chromium session through the chromedriver on `driver_port`.
async fn browser(driver_port: u16, profile: &Path, size: &str) -> Result<Client> {
    // The WebDriver client (fantoccini) and the engine fakes' HTTP stack
    // (reqwest) bring rustls with different crypto back ends; name one.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": CHROMIUM,
            "args": [
                "--headless", "--no-sandbox", "--no-first-run",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-quic", "--disable-gpu",
                // The player draws with wgpu: WebGL2 on SwiftShader needs the opt-in now
                // that Chromium dropped its automatic fallback (WebGPU for ?gpu=webgpu).
                "--enable-unsafe-webgpu", "--enable-unsafe-swiftshader",
                format!("--window-size={size}"),
                format!("--user-data-dir={}", profile.display()),
            ],
        }),
    );
    let client = ClientBuilder::rustls()
        .context("TLS roots for the WebDriver client")?
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{driver_port}"))
        .await
        .context("starting headless Chromium through chromedriver")?;
    // Every page hashes the pixels its players show, for the tests to read
    // (off for users: the read-back makes the page wait for the GPU).
    cdp(
        &client,
        "Page.addScriptToEvaluateOnNewDocument",
        json!({ "source": PROBE_ON }),
    )
    .await?;
    Ok(client)
}

/// Turns on the players' pixel checksums (`player::probe`).
pub const PROBE_ON: &str = "window.__chorusProbe = true;";

/// Turns them off again, as users have them; installed after `PROBE_ON`,
/// so it runs last.
pub const PROBE_OFF: &str = "window.__chorusProbe = false;";

/// A Chrome DevTools Protocol command sent through chromedriver's
/// `goog/cdp/execute` endpoint.
#[derive(Debug)]
struct Cdp {
    cmd: String,
    params: serde_json::Value,
}

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({ "cmd": self.cmd, "params": self.params });
        (http::Method::POST, Some(body.to_string()))
    }
}

fn server_binary(root: &Path) -> Result<PathBuf> {
    if let Some(bin) = std::env::var_os("CHORUS_BIN") {
        return Ok(PathBuf::from(bin));
    }
    let mut tried = vec![root.join("target/debug/chorus")];
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        tried.push(Path::new(&target).join("debug/chorus"));
    }
    tried.iter().find(|p| p.is_file()).cloned().ok_or_else(|| {
        anyhow!(
            "no server binary at {tried:?}: run `cargo build -p chorus-server` or set CHORUS_BIN"
        )
    })
}

fn scratch_dir(name: &str) -> Result<PathBuf> {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH)?.as_nanos();
    let dir = std::env::temp_dir().join(format!(
        "chorus-browser-{name}-{}-{nanos}",
        std::process::id()
    ));
    fs::create_dir_all(&dir)?;
    Ok(dir)
}

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn spawn(name: &'static str, command: &mut Command, scratch: &Path) -> Result<Process> {
    use std::os::unix::process::CommandExt;
    let log = scratch.join(format!("{name}.log"));
    let out = fs::File::create(&log)?;
    let child = command
        .stdin(Stdio::null())
        .stdout(out.try_clone()?)
        .stderr(out)
        .process_group(0)
        .spawn()
        .with_context(|| format!("starting {name}"))?;
    Ok(Process { child, name, log })
}

/// Waits until `GET path` on the port answers at all (any status).
async fn wait_for_http(port: u16, path: &str, process: &Process) -> Result<()> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) {
            stream.set_read_timeout(Some(Duration::from_secs(2)))?;
            // chromedriver refuses a Host header without the port.
            let request = format!(
                "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
            );
            let mut head = [0_u8; 12];
            if stream.write_all(request.as_bytes()).is_ok()
                && stream.read_exact(&mut head).is_ok()
                && head.starts_with(b"HTTP/")
            {
                return Ok(());
            }
        }
        if Instant::now() > deadline {
            bail!(
                "{} did not answer on port {port}; its log:\n{}",
                process.name,
                fs::read_to_string(&process.log).unwrap_or_default()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
