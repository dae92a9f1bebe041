//! Writes the files named on the command line into a ZIP through
//! `PackageWriter`, every one Stored as a clip: what `cargo xtask bench
//! package` times against `zip -0`.
//!
//! `package_files OUT.zip FILE…`

use std::io::BufWriter;
use std::path::Path;
use std::process::ExitCode;

use chorus_package::PackageWriter;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((out, files)) = args.split_first().filter(|(_, f)| !f.is_empty()) else {
        eprintln!("usage: package_files OUT.zip FILE…");
        return ExitCode::FAILURE;
    };
    match write(Path::new(out), files) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("package_files: {e}");
            ExitCode::FAILURE
        }
    }
}

fn write(out: &Path, files: &[String]) -> Result<(), Box<dyn std::error::Error>> {
    let sink = BufWriter::with_capacity(256 * 1024, std::fs::File::create(out)?);
    let mut package = PackageWriter::new(sink);
    for file in files {
        let path = Path::new(file);
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| format!("{file} has no usable file name"))?;
        let len = std::fs::metadata(path)?.len();
        package.add_clip_sized(name, len, std::fs::File::open(path)?)?;
    }
    package.finish()?.into_inner()?.sync_all()?;
    Ok(())
}
