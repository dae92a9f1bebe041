//! The seven spoken languages Chorus composes for, with the codes each part of
//! the pipeline needs: BCP-47 tags for the browser and providers, espeak-ng
//! voice names for the draft engine.

use serde::{Deserialize, Serialize};

/// A language a take can speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[serde(rename = "en")]
    English,
    #[serde(rename = "cmn")]
    Mandarin,
    #[serde(rename = "yue")]
    Cantonese,
    #[serde(rename = "ja")]
    Japanese,
    #[serde(rename = "ko")]
    Korean,
    #[serde(rename = "de")]
    German,
    #[serde(rename = "fr")]
    French,
}

impl Language {
    /// Every language, in the order the studio lists them.
    pub const ALL: [Language; 7] = [
        Language::English,
        Language::Mandarin,
        Language::Cantonese,
        Language::Japanese,
        Language::Korean,
        Language::German,
        Language::French,
    ];

    /// Chorus's short code: ISO 639-3 where the macrolanguage would be
    /// ambiguous (Mandarin `cmn`, Cantonese `yue`), ISO 639-1 otherwise.
    pub fn code(self) -> &'static str {
        match self {
            Language::English => "en",
            Language::Mandarin => "cmn",
            Language::Cantonese => "yue",
            Language::Japanese => "ja",
            Language::Korean => "ko",
            Language::German => "de",
            Language::French => "fr",
        }
    }

    /// The BCP-47 tag a browser or provider expects (`lang` attributes, APIs).
    pub fn bcp47(self) -> &'static str {
        match self {
            Language::Mandarin => "zh-Hans",
            Language::Cantonese => "yue-Hant",
            other => other.code(),
        }
    }

    /// The English name shown in the studio.
    pub fn display_name(self) -> &'static str {
        match self {
            Language::English => "English",
            Language::Mandarin => "Mandarin",
            Language::Cantonese => "Cantonese",
            Language::Japanese => "Japanese",
            Language::Korean => "Korean",
            Language::German => "German",
            Language::French => "French",
        }
    }

    /// The language's own name for itself.
    pub fn native_name(self) -> &'static str {
        match self {
            Language::English => "English",
            Language::Mandarin => "普通话",
            Language::Cantonese => "粵語",
            Language::Japanese => "日本語",
            Language::Korean => "한국어",
            Language::German => "Deutsch",
            Language::French => "Français",
        }
    }

    /// The espeak-ng voice the draft engine speaks with.
    pub fn espeak_voice(self) -> &'static str {
        self.code()
    }

    /// Parses a Chorus code or a BCP-47 tag (`zh-Hans`, `zh`, `cmn`, `yue`…).
    pub fn from_code(code: &str) -> Option<Language> {
        let lower = code.trim().to_ascii_lowercase();
        let primary = lower.split(['-', '_']).next().unwrap_or_default();
        match (primary, lower.as_str()) {
            ("en", _) => Some(Language::English),
            ("cmn", _) | (_, "zh" | "zh-hans" | "zh-cn") => Some(Language::Mandarin),
            ("yue", _) | (_, "zh-yue" | "zh-hk" | "zh-hant-hk") => Some(Language::Cantonese),
            ("ja", _) => Some(Language::Japanese),
            ("ko", _) => Some(Language::Korean),
            ("de", _) => Some(Language::German),
            ("fr", _) => Some(Language::French),
            _ => None,
        }
    }
}

impl std::fmt::Display for Language {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.display_name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for lang in Language::ALL {
            assert_eq!(Language::from_code(lang.code()), Some(lang));
            assert_eq!(Language::from_code(lang.bcp47()), Some(lang));
        }
    }

    #[test]
    fn mandarin_is_cmn_and_zh_hans() {
        assert_eq!(Language::Mandarin.code(), "cmn");
        assert_eq!(Language::Mandarin.bcp47(), "zh-Hans");
        assert_eq!(Language::from_code("zh-CN"), Some(Language::Mandarin));
        assert_eq!(Language::from_code("xx"), None);
    }

    #[test]
    fn serde_uses_codes() {
        let json = serde_json::to_string(&Language::Cantonese).expect("serialises");
        assert_eq!(json, "\"yue\"");
        let back: Language = serde_json::from_str("\"de\"").expect("parses");
        assert_eq!(back, Language::German);
    }
}
