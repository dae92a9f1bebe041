//! What the build does to Trunk's `dist/` before it is served:
//! - Trunk's inline loader script moves into a content-hashed file, so the
//!   Content-Security-Policy can forbid inline script altogether;
//! - every text or wasm file gets a brotli (`.br`) and a gzip (`.gz`) copy,
//!   compressed once at the slowest, smallest settings, which the server
//!   sends by content negotiation.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use sha2::{Digest as _, Sha256};

/// Files worth compressing; images and fonts are compressed already.
const COMPRESSIBLE: &[&str] = &["wasm", "js", "css", "html", "svg", "json", "txt", "map"];

/// Sizes of one built file, for the size report.
#[derive(Debug, Clone)]
pub struct Compressed {
    pub name: String,
    pub raw: u64,
    pub gzip: u64,
    pub brotli: u64,
}

/// Moves inline scripts out of `index.html`, then precompresses the folder.
pub fn finish(dist: &Path) -> anyhow::Result<Vec<Compressed>> {
    externalize_inline_scripts(dist)?;
    precompress(dist)
}

/// Rewrites `dist/index.html` so each inline `<script>` becomes
/// `<script … src="/boot-<hash>.js">` with its text in that file.
fn externalize_inline_scripts(dist: &Path) -> anyhow::Result<()> {
    let index = dist.join("index.html");
    let html =
        fs::read_to_string(&index).with_context(|| format!("cannot read {}", index.display()))?;
    let (rewritten, scripts) = split_inline_scripts(&html)?;
    for (name, body) in &scripts {
        fs::write(dist.join(name), body)?;
    }
    if !scripts.is_empty() {
        fs::write(&index, rewritten)?;
    }
    Ok(())
}

/// The page with its inline scripts replaced by references, and the files
/// (name, text) to write beside it.
pub fn split_inline_scripts(html: &str) -> anyhow::Result<(String, Vec<(String, String)>)> {
    let mut out = String::with_capacity(html.len());
    let mut files = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        out.push_str(&rest[..start]);
        let tag_end = rest[start..]
            .find('>')
            .map(|i| start + i)
            .context("index.html has an unclosed <script tag")?;
        let open_tag = &rest[start..tag_end];
        let body_start = tag_end + 1;
        let close = rest[body_start..]
            .find("</script>")
            .map(|i| body_start + i)
            .context("index.html has a <script> with no </script>")?;
        let body = &rest[body_start..close];
        if open_tag.contains(" src=") {
            out.push_str(&rest[start..close + "</script>".len()]);
        } else {
            if !open_tag.contains("type=\"module\"") {
                bail!(
                    "index.html has a classic inline script; only module scripts can move \
                     into a file without changing when they run: {open_tag}>"
                );
            }
            let text = body.trim().to_string() + "\n";
            let name = format!("boot-{}.js", short_hash(text.as_bytes()));
            out.push_str(open_tag);
            out.push_str(" src=\"/");
            out.push_str(&name);
            out.push_str("\"></script>");
            files.push((name, text));
        }
        rest = &rest[close + "</script>".len()..];
    }
    out.push_str(rest);
    Ok((out, files))
}

/// 16 hex digits of SHA-256, as Trunk names its files (the server caches
/// such names forever).
fn short_hash(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    Sha256::digest(bytes)
        .iter()
        .take(8)
        .fold(String::with_capacity(16), |mut hex, b| {
            let _ = write!(hex, "{b:02x}");
            hex
        })
}

/// Writes `.br` and `.gz` beside each compressible file of `dist`.
fn precompress(dist: &Path) -> anyhow::Result<Vec<Compressed>> {
    let files: Vec<PathBuf> = fs::read_dir(dist)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.is_file()
                && p.extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| COMPRESSIBLE.contains(&e))
        })
        .collect();
    // Brotli at its slowest takes seconds on the wasm: one thread per file.
    let results: Vec<anyhow::Result<Compressed>> = std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .iter()
            .map(|path| scope.spawn(move || compress_one(path)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("compression panicked")))
            })
            .collect()
    });
    let mut sizes = results.into_iter().collect::<anyhow::Result<Vec<_>>>()?;
    sizes.sort_by_key(|file| std::cmp::Reverse(file.raw));
    Ok(sizes)
}

fn compress_one(path: &Path) -> anyhow::Result<Compressed> {
    let bytes = fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let brotli = brotli_bytes(&bytes)?;
    let gzip = gzip_bytes(&bytes)?;
    let with_suffix = |suffix: &str| {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    };
    fs::write(with_suffix(".br"), &brotli)?;
    fs::write(with_suffix(".gz"), &gzip)?;
    Ok(Compressed {
        name: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        raw: bytes.len() as u64,
        gzip: gzip.len() as u64,
        brotli: brotli.len() as u64,
    })
}

/// Brotli at quality 11 with a 4 MiB window: slow once, small forever.
pub fn brotli_bytes(bytes: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len() / 3);
    {
        let mut writer = brotli::CompressorWriter::new(&mut out, 64 * 1024, 11, 22);
        writer.write_all(bytes)?;
        writer.flush()?;
    }
    Ok(out)
}

pub fn gzip_bytes(bytes: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(bytes.len() / 2),
        flate2::Compression::best(),
    );
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_module_script_moves_to_a_hashed_file() {
        let html = "<head><link rel=\"modulepreload\" href=\"/app-0123456789abcdef.js\">\
                    <script type=\"module\">\nimport init from '/app-0123456789abcdef.js';\nawait init();\n</script>\
                    </head><body><script src=\"/other.js\"></script></body>";
        let (page, files) = split_inline_scripts(html).unwrap();
        assert_eq!(files.len(), 1);
        let (name, text) = &files[0];
        assert_eq!(name.len(), 24, "{name}");
        assert_eq!((&name[..5], &name[21..]), ("boot-", ".js"));
        assert_eq!(
            text,
            "import init from '/app-0123456789abcdef.js';\nawait init();\n"
        );
        assert!(page.contains(&format!(
            "<script type=\"module\" src=\"/{name}\"></script>"
        )));
        assert!(page.contains("<script src=\"/other.js\"></script>"));
        assert!(!page.contains("await init"));
        // Built twice, named the same.
        assert_eq!(split_inline_scripts(html).unwrap().1[0].0, *name);
    }

    #[test]
    fn classic_inline_scripts_are_refused() {
        assert!(split_inline_scripts("<script>alert(1)</script>").is_err());
    }

    #[test]
    fn both_compressions_round_trip() {
        use std::io::Read as _;
        let text = "Chorus speaks every language. ".repeat(400);
        let br = brotli_bytes(text.as_bytes()).unwrap();
        let gz = gzip_bytes(text.as_bytes()).unwrap();
        assert!(br.len() < text.len() / 10 && gz.len() < text.len() / 10);
        let mut back = String::new();
        brotli::Decompressor::new(&br[..], 4096)
            .read_to_string(&mut back)
            .unwrap();
        assert_eq!(back, text);
        back.clear();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_string(&mut back)
            .unwrap();
        assert_eq!(back, text);
    }
}
