//! The clips chosen for import before they are sent: what each is called,
//! what is spoken in it, and whether it can be sent at all. The server
//! checks every clip by its bytes; this only catches, at once, what the
//! name and size already say. Pure, so it is unit-tested natively.

use chorus_core::Language;
use chorus_core::api::{IMPORT_FORMATS, MAX_IMPORT_BYTES, MAX_IMPORT_CLIPS};

/// One chosen file.
#[derive(Debug, Clone, PartialEq)]
pub struct Pick {
    /// Stable while the list changes (keys the file kept beside it).
    pub key: u32,
    pub name: String,
    pub bytes: u64,
    /// What is spoken in it; `None` for no speech.
    pub language: Option<Language>,
    /// Why it cannot be sent as it is.
    pub problem: Option<String>,
}

/// Why a file named `name`, of type `mime` and `bytes` long, cannot be
/// imported; `None` when it may be sent for the server's check.
pub fn check_file(name: &str, mime: &str, bytes: u64) -> Option<String> {
    let lower = name.to_ascii_lowercase();
    let movie_name = [".mp4", ".mov", ".m4v", ".qt"]
        .iter()
        .any(|ext| lower.ends_with(ext));
    let movie_type = matches!(mime, "video/mp4" | "video/quicktime" | "video/x-m4v");
    if !movie_name && !movie_type {
        return Some(format!(
            "{name} is not a movie Chorus imports ({IMPORT_FORMATS})"
        ));
    }
    if bytes == 0 {
        return Some(format!("{name} is empty"));
    }
    if bytes > MAX_IMPORT_BYTES {
        return Some(format!(
            "{name} is {}; one clip may be at most 2 GB",
            describe_size(bytes)
        ));
    }
    None
}

/// The language a newly added file starts with: the one chosen for the
/// file before it, else English.
pub fn default_language(picks: &[Pick]) -> Option<Language> {
    picks.last().map_or(Some(Language::English), |p| p.language)
}

/// Why the list as a whole cannot be sent yet; `None` when it can.
pub fn blocker(picks: &[Pick]) -> Option<String> {
    if picks.is_empty() {
        return Some("Choose at least one clip".into());
    }
    if picks.len() > MAX_IMPORT_CLIPS {
        return Some(format!(
            "An import takes at most {MAX_IMPORT_CLIPS} clips; remove {}",
            picks.len() - MAX_IMPORT_CLIPS
        ));
    }
    let bad = picks.iter().filter(|p| p.problem.is_some()).count();
    match bad {
        0 => None,
        1 => Some("Remove the clip that cannot be imported".into()),
        n => Some(format!("Remove the {n} clips that cannot be imported")),
    }
}

/// "1.4 GB", "380 MB", "12 KB": sizes as a file manager shows them.
pub fn describe_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if bytes < 1000 {
        return format!("{bytes} bytes");
    }
    let mut value = bytes as f64 / 1000.0;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    if value < 10.0 {
        format!("{value:.1} {}", UNITS[unit])
    } else {
        format!("{value:.0} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_judged_by_name_type_and_size() {
        assert_eq!(check_file("talking-5.mp4", "video/mp4", 390_689), None);
        assert_eq!(check_file("CLIP.MOV", "", 1_000_000), None);
        assert_eq!(check_file("export", "video/quicktime", 10), None);
        let png = check_file("still.png", "image/png", 1000).expect("refused");
        assert!(
            png.contains("still.png") && png.contains("MP4 or MOV"),
            "{png}"
        );
        let empty = check_file("a.mp4", "video/mp4", 0).expect("refused");
        assert!(empty.contains("empty"), "{empty}");
        let big = check_file("a.mov", "video/quicktime", 3_000_000_000).expect("refused");
        assert!(big.contains("3.0 GB") && big.contains("2 GB"), "{big}");
        assert_eq!(check_file("a.mov", "", MAX_IMPORT_BYTES), None);
    }

    #[test]
    fn the_list_says_what_blocks_it() {
        let pick = |key, problem: Option<&str>| Pick {
            key,
            name: format!("{key}.mp4"),
            bytes: 1,
            language: Some(Language::German),
            problem: problem.map(str::to_string),
        };
        assert_eq!(blocker(&[]).as_deref(), Some("Choose at least one clip"));
        assert_eq!(blocker(&[pick(1, None)]), None);
        assert!(blocker(&[pick(1, None), pick(2, Some("x"))]).is_some());
        let many: Vec<Pick> = (0..10).map(|k| pick(k, None)).collect();
        assert!(blocker(&many).expect("too many").contains("remove 2"));
        assert_eq!(default_language(&[]), Some(Language::English));
        assert_eq!(default_language(&[pick(1, None)]), Some(Language::German));
    }

    #[test]
    fn sizes_read_like_a_file_manager() {
        assert_eq!(describe_size(512), "512 bytes");
        assert_eq!(describe_size(390_689), "391 KB");
        assert_eq!(describe_size(1_400_000_000), "1.4 GB");
    }
}
