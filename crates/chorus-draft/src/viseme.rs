//! Mouth shapes: the 15-viseme set and the map from espeak-ng phoneme
//! mnemonics to it.
//!
//! The set is Meta's (Oculus LipSync) 15 visemes. espeak-ng names phonemes
//! with ASCII mnemonics (Kirshenbaum-like: `tS` for "ch", `N` for "ng", `@`
//! for schwa, `a:` long a, tone digits in Mandarin and Cantonese), shared by
//! all seven of our voices, so one table serves every language.
//!
//! | viseme | sounds (espeak mnemonics)                 | mouth                 |
//! |--------|-------------------------------------------|-----------------------|
//! | sil    | `_`, `_:`, `_!`, `;`, pauses              | closed, relaxed       |
//! | PP     | p b m                                     | lips pressed          |
//! | FF     | f v                                       | lip under teeth       |
//! | TH     | T D                                       | tongue between teeth  |
//! | DD     | t d, anything unknown                     | slightly open         |
//! | kk     | k g x X N G q h                           | open, tongue back     |
//! | CH     | tS dZ S Z C c J, Mandarin `ts\` `s\`      | lips forward          |
//! | SS     | s z ts dz                                 | teeth together, wide  |
//! | nn     | n l L `n^` `l^`                           | slightly open         |
//! | RR     | r R `*` `r-` and the like                 | rounded, half open    |
//! | aa     | a A & V, diphthongs starting with a       | wide open             |
//! | E      | e E 3 @                                   | half open, wide       |
//! | ih     | i I y j                                   | narrow, wide          |
//! | oh     | o O 0                                     | round, open           |
//! | ou     | u U Y W w                                 | small and round       |

use serde::{Deserialize, Serialize};

/// One of the 15 mouth shapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Viseme {
    #[serde(rename = "sil")]
    Sil,
    #[serde(rename = "PP")]
    Pp,
    #[serde(rename = "FF")]
    Ff,
    #[serde(rename = "TH")]
    Th,
    #[serde(rename = "DD")]
    Dd,
    #[serde(rename = "kk")]
    Kk,
    #[serde(rename = "CH")]
    Ch,
    #[serde(rename = "SS")]
    Ss,
    #[serde(rename = "nn")]
    Nn,
    #[serde(rename = "RR")]
    Rr,
    #[serde(rename = "aa")]
    Aa,
    #[serde(rename = "E")]
    E,
    #[serde(rename = "ih")]
    Ih,
    #[serde(rename = "oh")]
    Oh,
    #[serde(rename = "ou")]
    Ou,
}

/// How a viseme shapes the drawn mouth, in units of the mouth's rest width.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MouthShape {
    /// Opening height.
    pub open: f32,
    /// Width relative to rest.
    pub wide: f32,
    /// Whether the upper teeth show.
    pub teeth: bool,
}

impl Viseme {
    pub const ALL: [Viseme; 15] = [
        Viseme::Sil,
        Viseme::Pp,
        Viseme::Ff,
        Viseme::Th,
        Viseme::Dd,
        Viseme::Kk,
        Viseme::Ch,
        Viseme::Ss,
        Viseme::Nn,
        Viseme::Rr,
        Viseme::Aa,
        Viseme::E,
        Viseme::Ih,
        Viseme::Oh,
        Viseme::Ou,
    ];

    /// The set's own name (`sil`, `PP`, …).
    pub fn name(self) -> &'static str {
        match self {
            Viseme::Sil => "sil",
            Viseme::Pp => "PP",
            Viseme::Ff => "FF",
            Viseme::Th => "TH",
            Viseme::Dd => "DD",
            Viseme::Kk => "kk",
            Viseme::Ch => "CH",
            Viseme::Ss => "SS",
            Viseme::Nn => "nn",
            Viseme::Rr => "RR",
            Viseme::Aa => "aa",
            Viseme::E => "E",
            Viseme::Ih => "ih",
            Viseme::Oh => "oh",
            Viseme::Ou => "ou",
        }
    }

    /// The drawn mouth for this viseme.
    pub fn shape(self) -> MouthShape {
        let (open, wide, teeth) = match self {
            Viseme::Sil => (0.0, 1.0, false),
            Viseme::Pp => (0.0, 0.92, false),
            Viseme::Ff => (0.10, 1.0, true),
            Viseme::Th => (0.16, 1.0, true),
            Viseme::Dd => (0.22, 1.0, true),
            Viseme::Kk => (0.30, 0.98, true),
            Viseme::Ch => (0.22, 0.78, true),
            Viseme::Ss => (0.10, 1.08, true),
            Viseme::Nn => (0.18, 1.0, true),
            Viseme::Rr => (0.24, 0.80, false),
            Viseme::Aa => (0.55, 1.05, true),
            Viseme::E => (0.36, 1.10, true),
            Viseme::Ih => (0.22, 1.14, true),
            Viseme::Oh => (0.46, 0.76, false),
            Viseme::Ou => (0.28, 0.58, false),
        };
        MouthShape { open, wide, teeth }
    }

    /// Whether the mouth is at rest (a pause, not speech).
    pub fn is_silence(self) -> bool {
        self == Viseme::Sil
    }
}

/// Maps an espeak-ng phoneme mnemonic to its viseme.
pub fn viseme_for(phoneme: &str) -> Viseme {
    const CONSONANTS: [(&str, Viseme); 24] = [
        ("tS", Viseme::Ch),
        ("dZ", Viseme::Ch),
        ("ts\\", Viseme::Ch),
        ("s\\", Viseme::Ch),
        ("ts", Viseme::Ss),
        ("dz", Viseme::Ss),
        ("pf", Viseme::Ff),
        ("n^", Viseme::Nn),
        ("l^", Viseme::Nn),
        ("p", Viseme::Pp),
        ("b", Viseme::Pp),
        ("m", Viseme::Pp),
        ("f", Viseme::Ff),
        ("v", Viseme::Ff),
        ("T", Viseme::Th),
        ("D", Viseme::Th),
        ("S", Viseme::Ch),
        ("Z", Viseme::Ch),
        ("C", Viseme::Ch),
        ("c", Viseme::Ch),
        ("J", Viseme::Ch),
        ("s", Viseme::Ss),
        ("z", Viseme::Ss),
        ("n", Viseme::Nn),
    ];
    if phoneme.is_empty() || phoneme.starts_with('_') || phoneme == ";" {
        return Viseme::Sil;
    }
    // Stress marks, length, tone digits and diacritics do not change the mouth.
    let core: String = phoneme
        .chars()
        .filter(|c| !matches!(c, '\'' | ',' | ':' | '#' | '~' | '=' | '%' | '0'..='9'))
        .collect();
    if core.is_empty() {
        return Viseme::Sil;
    }
    for (prefix, viseme) in CONSONANTS {
        if core.starts_with(prefix) {
            return viseme;
        }
    }
    let Some(first) = core.chars().next() else {
        return Viseme::Sil;
    };
    match first {
        'l' | 'L' => Viseme::Nn,
        'k' | 'g' | 'x' | 'X' | 'N' | 'G' | 'q' | 'h' | '?' => Viseme::Kk,
        'r' | 'R' | '*' => Viseme::Rr,
        'a' | 'A' | '&' | 'V' => Viseme::Aa,
        'e' | 'E' | '3' | '@' => Viseme::E,
        'i' | 'I' | 'y' | 'j' => Viseme::Ih,
        'o' | 'O' => Viseme::Oh,
        'u' | 'U' | 'Y' | 'W' | 'w' => Viseme::Ou,
        // t, d and anything unknown: a slightly open mouth.
        _ => Viseme::Dd,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_phonemes_map_to_the_expected_shape() {
        let cases = [
            ("_:", Viseme::Sil),
            ("_", Viseme::Sil),
            ("m", Viseme::Pp),
            ("b", Viseme::Pp),
            ("f", Viseme::Ff),
            ("T", Viseme::Th),
            ("t", Viseme::Dd),
            ("N", Viseme::Kk),
            ("tS", Viseme::Ch),
            ("ts", Viseme::Ss),
            ("s", Viseme::Ss),
            ("n", Viseme::Nn),
            ("r", Viseme::Rr),
            ("a:", Viseme::Aa),
            ("aI", Viseme::Aa),
            ("@", Viseme::E),
            ("i2", Viseme::Ih),
            ("'oU", Viseme::Oh),
            ("u:", Viseme::Ou),
        ];
        for (phoneme, viseme) in cases {
            assert_eq!(viseme_for(phoneme), viseme, "{phoneme}");
        }
    }

    #[test]
    fn names_are_the_fifteen_of_the_set() {
        let names: Vec<&str> = Viseme::ALL.iter().map(|v| v.name()).collect();
        assert_eq!(
            names,
            [
                "sil", "PP", "FF", "TH", "DD", "kk", "CH", "SS", "nn", "RR", "aa", "E", "ih", "oh",
                "ou"
            ]
        );
        let json = serde_json::to_string(&Viseme::Kk).expect("serialises");
        assert_eq!(json, "\"kk\"");
    }
}
