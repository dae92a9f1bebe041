//! `cargo xtask bench <name>`: benchmarks that print figures beside a
//! reference measured in the same run, since these machines are noisy.

use anyhow::bail;

pub fn bench(args: &[String]) -> anyhow::Result<()> {
    match args.first().map(String::as_str) {
        Some(other) => bail!("unknown benchmark `{other}`"),
        None => bail!("name a benchmark: cargo xtask bench <draft>"),
    }
}
