//! Delivery packages: the file names clips get inside a campaign's ZIP. The
//! user writes a pattern (`{campaign}_{row}_{lang}_{ratio}_v{version}.mp4`);
//! the browser shows the names live as it is typed and the server renders
//! the same names when it writes the package, so both use this module.

use serde::{Deserialize, Serialize};

/// The pattern a campaign starts with.
pub const DEFAULT_PATTERN: &str = "{campaign}_{row}_{lang}_{ratio}_v{version}.mp4";

/// Longest file name, in bytes, extension included: well inside every
/// common file system's 255 and short enough for Windows' path limit once
/// the ZIP is unpacked into a folder or two.
pub const MAX_NAME_BYTES: usize = 150;

const EXTENSION: &str = ".mp4";

/// Characters no portable file name may hold (Windows forbids them all;
/// `/` separates folders everywhere).
const FORBIDDEN: [char; 9] = ['/', '\\', ':', '*', '?', '"', '<', '>', '|'];

/// Names Windows reserves whatever their extension.
const RESERVED: [&str; 22] = [
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// One thing a pattern may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Placeholder {
    Campaign,
    Row,
    Lang,
    Ratio,
    Version,
    Model,
    Seed,
    Job,
}

impl Placeholder {
    pub const ALL: [Placeholder; 8] = [
        Placeholder::Campaign,
        Placeholder::Row,
        Placeholder::Lang,
        Placeholder::Ratio,
        Placeholder::Version,
        Placeholder::Model,
        Placeholder::Seed,
        Placeholder::Job,
    ];

    /// The word between the braces.
    pub fn name(self) -> &'static str {
        match self {
            Placeholder::Campaign => "campaign",
            Placeholder::Row => "row",
            Placeholder::Lang => "lang",
            Placeholder::Ratio => "ratio",
            Placeholder::Version => "version",
            Placeholder::Model => "model",
            Placeholder::Seed => "seed",
            Placeholder::Job => "job",
        }
    }

    fn from_name(name: &str) -> Option<Placeholder> {
        Placeholder::ALL.into_iter().find(|p| p.name() == name)
    }
}

/// What one clip's name is made of.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NameFields {
    pub campaign: String,
    /// The campaign row the clip was made for, from 1.
    pub row: u32,
    /// Language code, e.g. `en` or `pt-BR`.
    pub lang: String,
    /// Aspect ratio as written, e.g. `9:16` (named `9x16`).
    pub ratio: String,
    pub version: u32,
    pub model: String,
    /// Empty in the name when the take has none (hosted models may not say).
    pub seed: Option<u64>,
    pub job: String,
}

impl NameFields {
    fn value(&self, p: Placeholder) -> String {
        match p {
            Placeholder::Campaign => self.campaign.clone(),
            Placeholder::Row => self.row.to_string(),
            Placeholder::Lang => self.lang.clone(),
            Placeholder::Ratio => self.ratio.replace(':', "x"),
            Placeholder::Version => self.version.to_string(),
            Placeholder::Model => self.model.clone(),
            Placeholder::Seed => self.seed.map(|s| s.to_string()).unwrap_or_default(),
            Placeholder::Job => self.job.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Field(Placeholder),
}

/// A checked file-name pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamePattern {
    source: String,
    pieces: Vec<Piece>,
}

impl Default for NamePattern {
    fn default() -> Self {
        NamePattern::parse(DEFAULT_PATTERN).expect("the default pattern is well formed")
    }
}

fn placeholder_list() -> String {
    let names: Vec<String> = Placeholder::ALL
        .iter()
        .map(|p| format!("{{{}}}", p.name()))
        .collect();
    let (last, rest) = names
        .split_last()
        .map_or((String::new(), &[][..]), |(l, r)| (l.clone(), r));
    format!("{} or {last}", rest.join(", "))
}

impl NamePattern {
    /// Reads a pattern. Errors say what is wrong and at which character
    /// (counted from 1), in words the studio shows as they are.
    pub fn parse(pattern: &str) -> Result<NamePattern, String> {
        if pattern.trim().is_empty() {
            return Err(format!(
                "the file-name pattern is empty; for example {DEFAULT_PATTERN}"
            ));
        }
        let mut pieces = Vec::new();
        let mut text = String::new();
        let mut chars = pattern.chars().enumerate();
        while let Some((at, c)) = chars.next() {
            match c {
                '{' => {
                    let mut name = String::new();
                    let mut closed = false;
                    for (_, c) in chars.by_ref() {
                        if c == '}' {
                            closed = true;
                            break;
                        }
                        if c == '{' {
                            break;
                        }
                        name.push(c);
                    }
                    if !closed {
                        return Err(format!(
                            "unclosed brace at character {}: {{{name} has no closing }}",
                            at + 1
                        ));
                    }
                    let Some(field) = Placeholder::from_name(name.trim()) else {
                        return Err(format!(
                            "unknown placeholder {{{name}}} at character {}; use {}",
                            at + 1,
                            placeholder_list()
                        ));
                    };
                    if !text.is_empty() {
                        pieces.push(Piece::Text(std::mem::take(&mut text)));
                    }
                    pieces.push(Piece::Field(field));
                }
                '}' => {
                    return Err(format!(
                        "a }} at character {} closes no placeholder; placeholders are written {{row}}",
                        at + 1
                    ));
                }
                c => text.push(c),
            }
        }
        if !text.is_empty() {
            pieces.push(Piece::Text(text));
        }
        Ok(NamePattern {
            source: pattern.to_owned(),
            pieces,
        })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    fn has(&self, p: Placeholder) -> bool {
        self.pieces.contains(&Piece::Field(p))
    }

    /// Whether two clips of a campaign may get the same name: true unless
    /// the pattern names `{row}`, `{lang}` and `{ratio}`, or `{job}`.
    pub fn may_repeat(&self) -> bool {
        !(self.has(Placeholder::Job)
            || (self.has(Placeholder::Row)
                && self.has(Placeholder::Lang)
                && self.has(Placeholder::Ratio)))
    }

    /// A warning to show beside the pattern, if names may repeat.
    pub fn warning(&self) -> Option<String> {
        self.may_repeat().then(|| {
            "clips may get the same name: add {row}, {lang} and {ratio}, or {job}; \
             repeated names get -2, -3, … before the extension"
                .to_owned()
        })
    }

    /// One clip's file name, made safe to unpack anywhere: `:` in the
    /// ratio becomes `x`, characters Windows forbids and spaces become `_`,
    /// no leading dot, at most [`MAX_NAME_BYTES`], ending in `.mp4`.
    pub fn render(&self, fields: &NameFields) -> String {
        let raw: String = self
            .pieces
            .iter()
            .map(|p| match p {
                Piece::Text(t) => t.clone(),
                Piece::Field(f) => fields.value(*f),
            })
            .collect();
        sanitize(&raw)
    }

    /// Every clip's name, in order, repeats told apart by `-2`, `-3`, …
    /// (compared ignoring case, as Windows and macOS file systems do).
    pub fn render_all(&self, fields: &[NameFields]) -> Vec<String> {
        let mut taken = std::collections::HashSet::new();
        let mut out = Vec::with_capacity(fields.len());
        for f in fields {
            let name = self.render(f);
            let mut unique = name.clone();
            let mut n = 2u32;
            while !taken.insert(unique.to_lowercase()) {
                unique = with_suffix(&name, n);
                n += 1;
            }
            out.push(unique);
        }
        out
    }
}

/// `name` (already sanitized) with `-n` before its extension, still within
/// the length limit.
fn with_suffix(name: &str, n: u32) -> String {
    let (stem, ext) = split_extension(name);
    let suffix = format!("-{n}");
    let stem = truncate(stem, MAX_NAME_BYTES - ext.len() - suffix.len());
    format!("{stem}{suffix}{ext}")
}

fn split_extension(name: &str) -> (&str, &str) {
    let Some(at) = name.len().checked_sub(EXTENSION.len()) else {
        return (name, "");
    };
    if name.is_char_boundary(at) && name[at..].eq_ignore_ascii_case(EXTENSION) {
        name.split_at(at)
    } else {
        (name, "")
    }
}

fn truncate(s: &str, max_bytes: usize) -> &str {
    if s.len() <= max_bytes {
        return s;
    }
    let mut end = max_bytes;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

fn sanitize(raw: &str) -> String {
    let cleaned: String = raw
        .chars()
        .map(|c| {
            if FORBIDDEN.contains(&c) || c.is_control() || c.is_whitespace() {
                '_'
            } else {
                c
            }
        })
        .collect();
    let cleaned = cleaned.trim_start_matches('.');
    let (stem, ext) = match split_extension(cleaned) {
        (stem, "") => (stem, EXTENSION),
        split => split,
    };
    // Windows drops trailing dots, which would change the name on unpacking.
    let stem = stem.trim_end_matches('.');
    let mut stem = if stem.is_empty() {
        "clip".to_owned()
    } else {
        stem.to_owned()
    };
    let base = stem.split('.').next().unwrap_or_default();
    if RESERVED.iter().any(|r| r.eq_ignore_ascii_case(base)) {
        stem.insert(0, '_');
    }
    let stem = truncate(&stem, MAX_NAME_BYTES - ext.len());
    format!("{stem}{ext}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> NameFields {
        NameFields {
            campaign: "Spring Sale".into(),
            row: 3,
            lang: "pt-BR".into(),
            ratio: "9:16".into(),
            version: 2,
            model: "draft".into(),
            seed: Some(42),
            job: "j_01".into(),
        }
    }

    #[test]
    fn default_pattern_names_a_clip() {
        let p = NamePattern::default();
        assert_eq!(p.as_str(), DEFAULT_PATTERN);
        assert_eq!(p.render(&fields()), "Spring_Sale_3_pt-BR_9x16_v2.mp4");
        assert_eq!(p.warning(), None);
    }

    #[test]
    fn every_placeholder_is_filled() {
        let p =
            NamePattern::parse("{campaign}-{row}-{lang}-{ratio}-{version}-{model}-{seed}-{job}")
                .unwrap();
        assert_eq!(
            p.render(&fields()),
            "Spring_Sale-3-pt-BR-9x16-2-draft-42-j_01.mp4"
        );
        let no_seed = NameFields {
            seed: None,
            ..fields()
        };
        assert_eq!(
            p.render(&no_seed),
            "Spring_Sale-3-pt-BR-9x16-2-draft--j_01.mp4"
        );
    }

    #[test]
    fn unknown_placeholder_is_named_with_the_choices() {
        let e = NamePattern::parse("{campaign}_{colour}").unwrap_err();
        assert!(
            e.starts_with("unknown placeholder {colour} at character 12"),
            "{e}"
        );
        assert!(e.contains("{campaign}, {row}"), "{e}");
        assert!(e.ends_with("{seed} or {job}"), "{e}");
        let e = NamePattern::parse("a{}b").unwrap_err();
        assert!(
            e.starts_with("unknown placeholder {} at character 2"),
            "{e}"
        );
    }

    #[test]
    fn unclosed_and_stray_braces_are_errors() {
        let e = NamePattern::parse("{campaign}_{row").unwrap_err();
        assert_eq!(e, "unclosed brace at character 12: {row has no closing }");
        let e = NamePattern::parse("{row{lang}").unwrap_err();
        assert!(e.starts_with("unclosed brace at character 1"), "{e}");
        let e = NamePattern::parse("row}").unwrap_err();
        assert!(
            e.starts_with("a } at character 4 closes no placeholder"),
            "{e}"
        );
        assert!(NamePattern::parse("  ").unwrap_err().contains("empty"));
    }

    #[test]
    fn patterns_that_may_repeat_warn() {
        for ok in ["{row}{lang}{ratio}", "{job}", "x_{job}_{lang}"] {
            assert_eq!(NamePattern::parse(ok).unwrap().warning(), None, "{ok}");
        }
        for repeats in ["{campaign}", "{row}_{lang}", "{lang}_{ratio}_{version}"] {
            let w = NamePattern::parse(repeats).unwrap().warning().unwrap();
            assert!(w.contains("{row}, {lang} and {ratio}, or {job}"), "{w}");
        }
    }

    #[test]
    fn repeated_names_get_numbers_before_the_extension() {
        let p = NamePattern::parse("{campaign}_{lang}").unwrap();
        let other_lang = NameFields {
            lang: "de".into(),
            ..fields()
        };
        let shouting = NameFields {
            campaign: "SPRING SALE".into(),
            ..fields()
        };
        let names = p.render_all(&[fields(), fields(), other_lang, fields(), shouting]);
        assert_eq!(
            names,
            [
                "Spring_Sale_pt-BR.mp4",
                "Spring_Sale_pt-BR-2.mp4",
                "Spring_Sale_de.mp4",
                "Spring_Sale_pt-BR-3.mp4",
                "SPRING_SALE_pt-BR-4.mp4",
            ]
        );
    }

    #[test]
    fn names_are_safe_anywhere() {
        let p = NamePattern::parse("{campaign}").unwrap();
        let named = |campaign: &str| {
            p.render(&NameFields {
                campaign: campaign.into(),
                ..fields()
            })
        };
        assert_eq!(named(r#"a/b\c:d*e?f"g<h>i|j"#), "a_b_c_d_e_f_g_h_i_j.mp4");
        assert_eq!(named("..hidden"), "hidden.mp4");
        assert_eq!(named("tab\there\nnew"), "tab_here_new.mp4");
        assert_eq!(named("../../etc/passwd"), "_.._etc_passwd.mp4");
        assert_eq!(named(""), "clip.mp4");
        assert_eq!(named("..."), "clip.mp4");
        assert_eq!(named("con"), "_con.mp4");
        assert_eq!(named("Trailing."), "Trailing.mp4");
        assert_eq!(named("Été à Paris"), "Été_à_Paris.mp4");
        // An extension written in the pattern is kept, not doubled.
        assert_eq!(named("clip.MP4"), "clip.MP4");
        assert_eq!(named("clip.mov"), "clip.mov.mp4");
    }

    #[test]
    fn long_names_keep_their_extension_and_whole_characters() {
        let p = NamePattern::parse("{campaign}_{row}_{lang}_{ratio}").unwrap();
        let long = NameFields {
            campaign: "é".repeat(200),
            ..fields()
        };
        let name = p.render(&long);
        assert!(name.len() <= MAX_NAME_BYTES, "{}", name.len());
        assert!(name.ends_with("éé.mp4"), "{name}");
        let both = p.render_all(&[long.clone(), long]);
        assert!(both[1].len() <= MAX_NAME_BYTES);
        assert!(both[1].ends_with("é-2.mp4"), "{}", both[1]);
        assert_ne!(both[0], both[1]);
    }
}
