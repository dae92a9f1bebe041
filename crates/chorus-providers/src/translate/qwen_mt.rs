//! Qwen-MT on Alibaba's DashScope, through its OpenAI-compatible chat API:
//! `POST /compatible-mode/v1/chat/completions` with exactly one `user`
//! message holding the text (Qwen-MT takes no system message and no
//! earlier turns) and `translation_options`: `source_lang` and
//! `target_lang` as English language names, `terms` as `{source, target}`
//! pairs (term intervention) and `domains`, a style hint in English, where
//! the fit hint goes. The answer is `choices[0].message.content`, and
//! `usage` gives the tokens the call is billed for.
//!
//! Docs read 2026-12-07:
//! <https://www.alibabacloud.com/help/en/model-studio/machine-translation>,
//! <https://help.aliyun.com/en/model-studio/qwen-mt-api>.

use chorus_core::Language;
use serde_json::{Value, json};

use super::{
    TranslateError, TranslateRequest, Translation, Translator, Wire, clean_terms, default_retry,
    micros,
};
use crate::http::{Api, AuthScheme, CallKind, ClientConfig};
use crate::provider::BoxFuture;
use crate::secret::Secret;

pub const ID: &str = "qwen-mt";
pub const NAME: &str = "Qwen-MT (DashScope)";
pub const PATH: &str = "/compatible-mode/v1/chat/completions";
/// The model used unless `MODEL_VAR` names another.
pub const DEFAULT_MODEL: &str = "qwen-mt-turbo";
pub const MODEL_VAR: &str = "CHORUS_QWEN_MT_MODEL";

/// DashScope's international (Singapore) API, keyed by `DASHSCOPE_API_KEY`,
/// the same key as the video models.
pub const API: Api = Api {
    provider: ID,
    base_url: "https://dashscope-intl.aliyuncs.com",
    key_var: "DASHSCOPE_API_KEY",
    scheme: AuthScheme::Bearer,
};

/// Published prices in US dollars per million tokens (input, output), which
/// is millionths of a dollar per token, international (Singapore) region,
/// read 2026-12-07: qwen-mt-turbo $0.16 / $0.49
/// (<https://www.alibabacloud.com/help/ja/model-studio/qwen-mt-turbo>),
/// qwen-mt-plus $2.46 / $7.37
/// (<https://www.alibabacloud.com/help/en/model-studio/videos/translation-ability>).
/// Any other model is priced as qwen-mt-plus, the dearest, so the estimate
/// errs high.
pub fn price(model: &str) -> (f64, f64) {
    if model.starts_with("qwen-mt-turbo") {
        (0.16, 0.49)
    } else {
        (2.46, 7.37)
    }
}

/// `key` for DashScope's production address, with translation retries.
pub fn config_for(key: Secret) -> ClientConfig {
    let mut config = ClientConfig::new(&API, key);
    config.retry = default_retry();
    config
}

/// The language name Qwen-MT expects.
pub fn language_name(language: Language) -> &'static str {
    match language {
        Language::English => "English",
        Language::Mandarin => "Chinese",
        Language::Cantonese => "Cantonese",
        Language::Japanese => "Japanese",
        Language::Korean => "Korean",
        Language::German => "German",
        Language::French => "French",
    }
}

/// The style hint: always an advertising voice-over; with a fit hint, the
/// time it must be spoken in.
pub fn domains(request: &TranslateRequest) -> String {
    match request.fit {
        None => "Advertising voice-over for a short video: natural, spoken phrasing.".into(),
        Some(fit) => format!(
            "Advertising voice-over for a short video. The translation must be spoken within {:.1} seconds (the last one needed {:.1} s): use the shortest natural phrasing, keep the meaning.",
            fit.seconds, fit.needed_seconds
        ),
    }
}

/// The request body for `request` with `model`.
pub fn body_for(model: &str, request: &TranslateRequest) -> Value {
    let mut options = json!({
        "source_lang": language_name(request.source),
        "target_lang": language_name(request.target),
        "domains": domains(request),
    });
    let terms = clean_terms(&request.terms);
    if !terms.is_empty() {
        options["terms"] = json!(terms);
    }
    json!({
        "model": model,
        "messages": [{"role": "user", "content": request.text}],
        "translation_options": options,
    })
}

/// The Qwen-MT engine.
#[derive(Debug)]
pub struct QwenMt {
    wire: Wire,
    model: String,
}

impl QwenMt {
    /// The engine as `config` says, with `DEFAULT_MODEL`.
    pub fn new(config: ClientConfig) -> Result<Self, TranslateError> {
        Ok(QwenMt {
            wire: Wire::new(&API, NAME, config)?,
            model: DEFAULT_MODEL.into(),
        })
    }

    /// The same engine calling `model` instead.
    #[must_use]
    pub fn with_model(mut self, model: impl Into<String>) -> Self {
        self.model = model.into();
        self
    }

    pub fn model(&self) -> &str {
        &self.model
    }

    fn read(
        &self,
        json: &Value,
        request: &TranslateRequest,
    ) -> Result<Translation, TranslateError> {
        let text = json
            .pointer("/choices/0/message/content")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| self.wire.voice.bad_answer("no choices[0].message.content"))?;
        let tokens = |name: &str| {
            json.pointer(&format!("/usage/{name}"))
                .and_then(Value::as_i64)
        };
        // Without `usage`, one token per character errs high.
        let chars = |s: &str| s.chars().count() as i64;
        let input = tokens("prompt_tokens").unwrap_or_else(|| chars(&request.text));
        let output = tokens("completion_tokens").unwrap_or_else(|| chars(text));
        let (in_price, out_price) = price(&self.model);
        Ok(Translation {
            text: text.to_string(),
            engine: ID,
            cost_usd_micros: micros(input as f64 * in_price + output as f64 * out_price),
        })
    }

    async fn run(&self, request: &TranslateRequest) -> Result<Translation, TranslateError> {
        if !self.supports(request.source, request.target) {
            return Err(self.wire.voice.unsupported(request.source, request.target));
        }
        let body = body_for(&self.model, request);
        let answer = self.wire.post(CallKind::Safe, PATH, &body).await?;
        if !(200..300).contains(&answer.status) {
            // An overdue account answers 400 `Arrearage`.
            let text = String::from_utf8_lossy(&answer.body);
            if text.contains("Arrearage") || text.contains("insufficient_quota") {
                return Err(self
                    .wire
                    .voice
                    .quota("the Alibaba Cloud account is out of credit"));
            }
            return Err(self.wire.voice.refused(&answer));
        }
        let json = self.wire.json(&answer, "translation")?;
        self.read(&json, request)
    }
}

impl Translator for QwenMt {
    fn id(&self) -> &'static str {
        ID
    }

    fn name(&self) -> &'static str {
        NAME
    }

    /// Every pair of Chorus's languages, Cantonese included.
    fn supports(&self, source: Language, target: Language) -> bool {
        source != target
    }

    fn translate<'a>(
        &'a self,
        request: &'a TranslateRequest,
    ) -> BoxFuture<'a, Result<Translation, TranslateError>> {
        Box::pin(self.run(request))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::translate::{FitHint, TermPair};

    fn request() -> TranslateRequest {
        TranslateRequest {
            text: "Meet the Sparkle Blender".into(),
            source: Language::English,
            target: Language::Mandarin,
            terms: vec![TermPair {
                source: "Sparkle\tBlender".into(),
                target: "闪耀搅拌机".into(),
            }],
            fit: Some(FitHint {
                seconds: 4.5,
                needed_seconds: 7.94,
            }),
        }
    }

    #[test]
    fn the_body_is_one_user_message_with_translation_options() {
        let body = body_for("qwen-mt-turbo", &request());
        assert_eq!(body["messages"].as_array().map(Vec::len), Some(1));
        assert_eq!(body["messages"][0]["role"], "user");
        let options = &body["translation_options"];
        assert_eq!(options["source_lang"], "English");
        assert_eq!(options["target_lang"], "Chinese");
        assert_eq!(
            options["terms"],
            json!([{"source": "Sparkle Blender", "target": "闪耀搅拌机"}])
        );
        let domains = options["domains"].as_str().expect("domains");
        assert!(domains.contains("within 4.5 seconds"), "{domains}");
        assert!(domains.contains("needed 7.9 s"), "{domains}");
    }

    #[test]
    fn turbo_costs_its_published_price() {
        assert_eq!(price("qwen-mt-turbo"), (0.16, 0.49));
        assert_eq!(price("qwen-mt-something-new"), (2.46, 7.37));
    }
}
