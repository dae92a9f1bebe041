//! Installs what the build and tests need when it is missing, using only the
//! package registries (crates.io, npm, Debian): nothing downloads a prebuilt
//! binary of its own. Facts behind the versions: shared/TOOLCHAIN.md.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, bail};

use crate::sh;

const TRUNK_VERSION: &str = "0.21.14";
/// Debian's binaryen 108 breaks rustc 1.95 output; npm's 132 works.
const BINARYEN_VERSION: &str = "132";

/// PATH with the cargo bin folder and our local tools in front.
pub fn tool_path() -> OsString {
    let mut dirs = vec![
        binaryen_dir().join("node_modules").join(".bin"),
        cargo_bin(),
    ];
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    std::env::join_paths(dirs).unwrap_or_default()
}

fn cargo_bin() -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from("/root/.cargo"))
        .join("bin")
}

fn binaryen_dir() -> PathBuf {
    sh::root().join("target").join("tools").join("binaryen")
}

fn with_path(mut cmd: Command) -> Command {
    cmd.env("PATH", tool_path());
    cmd
}

/// Everything `trunk build` needs.
pub fn ensure_web_toolchain() -> anyhow::Result<()> {
    ensure_wasm_target()?;
    ensure_trunk()?;
    ensure_wasm_bindgen()?;
    ensure_wasm_opt()
}

fn ensure_wasm_target() -> anyhow::Result<()> {
    let installed = sh::output(Command::new("rustup").args(["target", "list", "--installed"]))
        .unwrap_or_default();
    if installed
        .lines()
        .any(|l| l.trim() == "wasm32-unknown-unknown")
    {
        return Ok(());
    }
    sh::run(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))
}

fn ensure_trunk() -> anyhow::Result<()> {
    let version = sh::output(with_path(Command::new("trunk")).arg("--version")).unwrap_or_default();
    if version.contains(TRUNK_VERSION) {
        return Ok(());
    }
    eprintln!("Installing Trunk {TRUNK_VERSION} (about 6 minutes on 2 cores)…");
    sh::run(sh::cargo().args(["install", "trunk", "--version", TRUNK_VERSION, "--locked"]))
}

/// The wasm-bindgen version in Cargo.lock: the CLI must match it exactly.
pub fn locked_wasm_bindgen() -> anyhow::Result<String> {
    let lock =
        std::fs::read_to_string(sh::root().join("Cargo.lock")).context("cannot read Cargo.lock")?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "name = \"wasm-bindgen\""
            && let Some(version) = lines
                .next()
                .and_then(|v| v.trim().strip_prefix("version = "))
        {
            return Ok(version.trim_matches('"').to_string());
        }
    }
    bail!("Cargo.lock has no wasm-bindgen entry; run `cargo generate-lockfile`")
}

fn ensure_wasm_bindgen() -> anyhow::Result<()> {
    let wanted = locked_wasm_bindgen()?;
    let version =
        sh::output(with_path(Command::new("wasm-bindgen")).arg("--version")).unwrap_or_default();
    if version.split_whitespace().nth(1) == Some(wanted.as_str()) {
        return Ok(());
    }
    eprintln!("Installing wasm-bindgen-cli {wanted} to match Cargo.lock (about 2 minutes)…");
    // Not --locked: the registry here lacks a newest patch of one dependency.
    sh::run(sh::cargo().args(["install", "wasm-bindgen-cli", "--version", &wanted]))
}

fn ensure_wasm_opt() -> anyhow::Result<()> {
    let bin = binaryen_dir()
        .join("node_modules")
        .join(".bin")
        .join("wasm-opt");
    let version = sh::output(Command::new(&bin).arg("--version")).unwrap_or_default();
    if version.contains(&format!("version {BINARYEN_VERSION}")) {
        return Ok(());
    }
    if !sh::on_path("npm") {
        ensure_apt(&[("npm", "npm")])?;
    }
    std::fs::create_dir_all(binaryen_dir())?;
    sh::run(
        Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--prefix"])
            .arg(binaryen_dir())
            .arg(format!("binaryen@{BINARYEN_VERSION}")),
    )
}

/// npm's `standardwebhooks`, the independent check of our outgoing
/// webhooks' signatures (`crates/chorus-server/tests/outgoing_webhooks.rs`).
const STANDARDWEBHOOKS_VERSION: &str = "1.1.1";

/// The folder holding `node_modules/standardwebhooks`, installed there if
/// missing; the server tests find it through `CHORUS_STANDARDWEBHOOKS`.
pub fn ensure_standardwebhooks() -> anyhow::Result<PathBuf> {
    let dir = sh::root()
        .join("target")
        .join("tools")
        .join("standardwebhooks");
    let package = dir
        .join("node_modules")
        .join("standardwebhooks")
        .join("package.json");
    let installed = std::fs::read_to_string(&package).unwrap_or_default();
    if installed.contains(&format!("\"version\": \"{STANDARDWEBHOOKS_VERSION}\"")) {
        return Ok(dir);
    }
    // Debian's npm brings node, which the test runs.
    if !sh::on_path("npm") || !sh::on_path("node") {
        ensure_apt(&[("npm", "npm")])?;
    }
    std::fs::create_dir_all(&dir)?;
    sh::run(
        Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--prefix"])
            .arg(&dir)
            .arg(format!("standardwebhooks@{STANDARDWEBHOOKS_VERSION}")),
    )?;
    Ok(dir)
}

/// Headless Chromium and its WebDriver, for the browser tests.
pub fn ensure_chromium() -> anyhow::Result<()> {
    ensure_apt(&[
        ("/usr/bin/chromium", "chromium"),
        ("/usr/bin/chromedriver", "chromium-driver"),
    ])
}

/// What the native crates build against: espeak-ng's library and voices for
/// the draft engine, nasm, without which OpenH264 falls back to C code about
/// ten times slower, the fonts the draft engine draws text with, and
/// OpenCV's LBP face cascade, which chorus-sync's build embeds (it finds the
/// mouth on real faces; see crates/chorus-sync/FACE_MODEL.md), FFmpeg's
/// libraries for chorus-decode, and the ffmpeg CLI its tests use.
pub fn ensure_native_deps() -> anyhow::Result<()> {
    ensure_apt(&[
        ("/usr/include/espeak-ng/speak_lib.h", "libespeak-ng-dev"),
        ("/usr/bin/espeak-ng", "espeak-ng"),
        ("nasm", "nasm"),
        (
            "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
            "fonts-dejavu-core",
        ),
        // Captions and scene type in Chinese, Japanese and Korean (5 MB).
        (
            "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
            "fonts-wqy-microhei",
        ),
        (
            "/usr/share/opencv4/lbpcascades/lbpcascade_frontalface_improved.xml",
            "opencv-data",
        ),
        // chorus-decode's HEVC, AV1 (libdav1d) and Opus decoding: FFmpeg's
        // libraries through ffmpeg-next, whose bindings bindgen makes with
        // libclang; pkg-config finds the libraries.
        (
            "/usr/include/x86_64-linux-gnu/libavcodec/avcodec.h",
            "libavcodec-dev",
        ),
        (
            "/usr/include/x86_64-linux-gnu/libavformat/avformat.h",
            "libavformat-dev",
        ),
        // Posters of HEVC and AV1 takes in colour.
        (
            "/usr/include/x86_64-linux-gnu/libswscale/swscale.h",
            "libswscale-dev",
        ),
        ("pkg-config", "pkg-config"),
        ("clang", "clang"),
        ("/usr/lib/llvm-14/lib/libclang.so", "libclang-dev"),
        // The ffmpeg CLI: chorus-decode's tests make their clips with it.
        ("ffmpeg", "ffmpeg"),
    ])
}

/// Installs the Debian packages whose marker file or program is missing.
/// A marker with a slash is a path; otherwise a program on PATH.
pub fn ensure_apt(wanted: &[(&str, &str)]) -> anyhow::Result<()> {
    let missing: Vec<&str> = wanted
        .iter()
        .filter(|(marker, _)| {
            if marker.contains('/') {
                !Path::new(marker).exists()
            } else {
                !sh::on_path(marker)
            }
        })
        .map(|(_, package)| *package)
        .collect();
    apt_install(&missing)
}

/// Installs Debian `packages` with apt (as root), or says how to.
fn apt_install(missing: &[&str]) -> anyhow::Result<()> {
    if missing.is_empty() {
        return Ok(());
    }
    if !sh::is_root() || !sh::on_path("apt-get") {
        bail!(
            "missing system packages: {}. Install them with `sudo apt-get install {}` and run this again",
            missing.join(", "),
            missing.join(" ")
        );
    }
    eprintln!("Installing {} with apt…", missing.join(", "));
    sh::run(Command::new("apt-get").args(["update", "-qq"]))?;
    sh::run(
        Command::new("apt-get")
            .env("DEBIAN_FRONTEND", "noninteractive")
            .args(["install", "-y", "-qq", "--no-install-recommends"])
            .args(missing),
    )
}

/// What the storage, S3 and kill tests and `bench queue` start for
/// themselves: PostgreSQL's server programs and the s3s-fs S3 server.
pub fn ensure_services() -> anyhow::Result<()> {
    ensure_postgres()?;
    ensure_s3s_fs()
}

/// The newest `/usr/lib/postgresql/<version>/bin` holding `initdb`.
pub fn postgres_bin() -> Option<PathBuf> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin)
}

fn ensure_postgres() -> anyhow::Result<()> {
    if postgres_bin().is_some() {
        return Ok(());
    }
    // Tests run throwaway clusters of their own (initdb + pg_ctl in a temp
    // folder); only the server programs are needed.
    apt_install(&["postgresql"])
}

const S3S_FS_VERSION: &str = "0.14.1";

fn ensure_s3s_fs() -> anyhow::Result<()> {
    if cargo_bin().join("s3s-fs").is_file() || sh::on_path("s3s-fs") {
        return Ok(());
    }
    // 0.17 needs a newer rustc than ours (shared/TOOLCHAIN.md).
    eprintln!("Installing s3s-fs {S3S_FS_VERSION}, an S3 server for the tests (about 3 minutes)…");
    sh::run(sh::cargo().args([
        "install",
        "s3s-fs",
        "--version",
        S3S_FS_VERSION,
        "--features",
        "binary",
    ]))
}

/// `trunk build` for the studio app into `dist/`.
/// Builds the app into dist/ and finishes it (`dist::finish`); returns the
/// built files' sizes, largest first.
pub fn trunk_build(release: bool) -> anyhow::Result<Vec<crate::dist::Compressed>> {
    ensure_web_toolchain()?;
    let mut cmd = with_path(Command::new("trunk"));
    cmd.args(["build", "--offline"]);
    if release {
        cmd.arg("--release");
    }
    sh::run(&mut cmd)?;
    let sizes = crate::dist::finish(&sh::root().join("dist"))?;
    for file in sizes.iter().take(3) {
        eprintln!(
            "  {:<44} {:>9} bytes, gzip {:>9}, brotli {:>9}",
            file.name, file.raw, file.gzip, file.brotli
        );
    }
    Ok(sizes)
}
