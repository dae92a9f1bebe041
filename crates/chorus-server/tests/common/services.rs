//! Real services for tests and the queue benchmark: a throwaway PostgreSQL
//! cluster (initdb + pg_ctl in a temp folder, as the `postgres` user when we
//! are root, since the server refuses to run as root) and an S3-compatible
//! server (`s3s-fs`). Both are installed by `cargo xtask test`; missing ones
//! fail with the command that installs them. A watchdog stops the cluster
//! once the process that started it is gone, however it ended.

#![allow(dead_code, reason = "each test binary uses some of the helpers")]

use std::io::BufRead as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Every file below `dir` (none when it is missing).
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_under(&path));
        } else {
            found.push(path);
        }
    }
    found
}

/// A free port on loopback (bound, then released for the service).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// PostgreSQL's programs: `CHORUS_PG_BIN`, else the newest Debian cluster
/// version, else whatever `initdb` is on PATH.
fn pg_bin() -> PathBuf {
    if let Some(dir) = std::env::var_os("CHORUS_PG_BIN") {
        return PathBuf::from(dir);
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|bin| bin.join("initdb").is_file())
        .collect();
    versions.sort_by_key(|p| {
        p.parent()
            .and_then(Path::file_name)
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    if let Some(newest) = versions.pop() {
        return newest;
    }
    let on_path = std::env::var_os("PATH")
        .and_then(|path| std::env::split_paths(&path).find(|dir| dir.join("initdb").is_file()));
    on_path.unwrap_or_else(|| {
        panic!(
            "PostgreSQL is not installed (no initdb under /usr/lib/postgresql or on PATH). \
             `cargo xtask test` installs it, or run `apt-get install postgresql`"
        )
    })
}

/// One running cluster; the user `chorus` may do anything, no password.
#[derive(Debug)]
pub struct Postgres {
    pub port: u16,
    pub dir: PathBuf,
    _watchdog: Child,
}

static SHARED: OnceLock<Postgres> = OnceLock::new();

impl Postgres {
    /// The cluster every test in this binary shares (each test makes its
    /// own database in it).
    pub fn shared() -> &'static Postgres {
        SHARED.get_or_init(|| Postgres::start(true))
    }

    /// Starts a fresh cluster. `scratch` turns off what only matters when
    /// the machine loses power (fsync), which tests never survive anyway.
    /// A port taken between choosing it and listening is tried again.
    pub fn start(scratch: bool) -> Postgres {
        let mut failures = Vec::new();
        for _ in 0..3 {
            match Postgres::try_start(scratch) {
                Ok(cluster) => return cluster,
                Err(why) => failures.push(why),
            }
        }
        panic!("PostgreSQL did not start:\n{}", failures.join("\n---\n"));
    }

    fn try_start(scratch: bool) -> Result<Postgres, String> {
        let bin = pg_bin();
        let port = free_port();
        let dir = std::env::temp_dir().join(format!("chorus-pg-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("cluster folder");
        let as_user = if is_root() {
            let chown = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&dir)
                .status()
                .expect("chown runs");
            assert!(chown.success(), "cannot hand {} to postgres", dir.display());
            "runuser -u postgres -- "
        } else {
            ""
        };
        let data = dir.join("data");
        let bin = bin.display();
        let data_s = data.display();
        let dir_s = dir.display();
        let tuning = if scratch {
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        } else {
            ""
        };
        // The watchdog: init, start, say "ready", then stop the cluster and
        // remove its folder once our process has gone.
        let script = format!(
            "set -e
             {as_user}{bin}/initdb -D {data_s} -U chorus --auth=trust -E UTF8 --no-sync > {dir_s}/initdb.log 2>&1
             {as_user}{bin}/pg_ctl -D {data_s} -l {dir_s}/server.log -w -t 60 \
               -o \"-p {port} -k {dir_s} -c listen_addresses=127.0.0.1 -c max_connections=400 {tuning}\" start > /dev/null
             echo ready
             set +e
             while kill -0 {parent} 2>/dev/null; do sleep 0.5; done
             {as_user}{bin}/pg_ctl -D {data_s} -m immediate stop > /dev/null 2>&1
             rm -rf {dir_s}",
            parent = std::process::id(),
        );
        let mut watchdog = Command::new("sh")
            .arg("-c")
            .arg(&script)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("sh starts");
        let mut line = String::new();
        let stdout = watchdog.stdout.take().expect("piped");
        let _ = std::io::BufReader::new(stdout).read_line(&mut line);
        if line.trim() != "ready" {
            let log = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap_or_default();
            let why = format!(
                "in {} on port {port}:\n{}\n{}",
                dir.display(),
                log("initdb.log"),
                log("server.log")
            );
            let _ = watchdog.wait();
            let _ = std::fs::remove_dir_all(&dir);
            return Err(why);
        }
        Ok(Postgres {
            port,
            dir,
            _watchdog: watchdog,
        })
    }

    /// The URL of database `name` in this cluster.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://chorus@127.0.0.1:{}/{name}", self.port)
    }

    /// Creates an empty database with a unique name; returns its URL.
    pub async fn fresh_database(&self) -> String {
        use std::sync::atomic::{AtomicU32, Ordering};
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "t{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let admin = sqlx::PgPool::connect(&self.url("postgres"))
            .await
            .expect("connect to the cluster");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&admin)
            .await
            .expect("create a database");
        admin.close().await;
        self.url(&name)
    }
}

/// Credentials the S3 server is started with.
pub const S3_KEY: &str = "chorus-test-access";
pub const S3_SECRET: &str = "chorus-test-secret-key";
pub const S3_BUCKET: &str = "chorus";

/// `s3s-fs` serving one bucket from a temp folder; stopped when dropped.
pub struct S3 {
    pub endpoint: String,
    pub dir: tempfile::TempDir,
    child: Child,
}

fn s3s_fs() -> PathBuf {
    if let Some(bin) = std::env::var_os("CHORUS_S3S_FS") {
        return PathBuf::from(bin);
    }
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    let candidates = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .chain(cargo_home.map(|h| h.join("bin")));
    for dir in candidates {
        if dir.join("s3s-fs").is_file() {
            return dir.join("s3s-fs");
        }
    }
    panic!(
        "s3s-fs is not installed. `cargo xtask test` installs it, or run \
         `cargo install s3s-fs --version 0.14.1 --features binary`"
    )
}

impl S3 {
    pub fn start() -> S3 {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join(S3_BUCKET)).expect("bucket folder");
        let port = free_port();
        let child = Command::new(s3s_fs())
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--access-key", S3_KEY, "--secret-key", S3_SECRET])
            .arg(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("s3s-fs starts");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "s3s-fs did not listen on {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        S3 {
            endpoint: format!("http://127.0.0.1:{port}"),
            dir,
            child,
        }
    }

    /// The variables a `chorus serve` child needs to reach this server.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ACCESS_KEY_ID", S3_KEY.to_string()),
            ("AWS_SECRET_ACCESS_KEY", S3_SECRET.to_string()),
            ("AWS_REGION", "us-east-1".to_string()),
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
        ]
    }

    /// What is stored under `prefix` in the bucket's folder, as paths.
    pub fn stored_under(&self, prefix: &str) -> Vec<PathBuf> {
        files_under(&self.dir.path().join(S3_BUCKET).join(prefix))
    }

    /// An asset store under `prefix` in this server's bucket.
    pub fn bucket(&self, prefix: &str) -> chorus_server::assets::AssetStore {
        chorus_server::assets::AssetStore::open_s3(
            &format!("s3://{S3_BUCKET}/{prefix}"),
            &[
                ("aws_endpoint", self.endpoint.as_str()),
                ("aws_access_key_id", S3_KEY),
                ("aws_secret_access_key", S3_SECRET),
                ("aws_region", "us-east-1"),
            ],
        )
        .expect("bucket")
    }
}

impl Drop for S3 {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
