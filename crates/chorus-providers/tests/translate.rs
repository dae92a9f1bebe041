//! The translation engines through their real adapters against the local
//! fakes: what each sends in its vendor's shape, what comes back, and how
//! every fault ends (retried, or a clear error naming the engine).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chorus_core::Language;
use chorus_providers::fake::deepl::{self as fake_deepl, FakeDeepL};
use chorus_providers::fake::qwen_mt::{self as fake_qwen, FakeQwenMt};
use chorus_providers::fake::translation::Scripted;
use chorus_providers::http::{ClientConfig, RetryPolicy};
use chorus_providers::translate::{self, DeepL, QwenMt, deepl, qwen_mt};
use chorus_providers::{
    Backoff, FitHint, Secret, TermPair, TranslateError, TranslateErrorKind, TranslateRequest,
    Translation, Translator,
};
use serde_json::{Value, json};

/// Three attempts, no wait between them, 300 ms a call.
fn fast() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        backoff: Backoff::new(Duration::ZERO, Duration::ZERO),
        call_timeout: Duration::from_millis(300),
    }
}

fn pointed(mut config: ClientConfig, base: &str) -> ClientConfig {
    config.base_url = base.into();
    config.retry = fast();
    config.seed = 1;
    config
}

async fn qwen() -> (FakeQwenMt, QwenMt) {
    let fake = FakeQwenMt::start().await;
    fake.slow_answer(Duration::from_secs(1));
    let config = pointed(
        qwen_mt::config_for(Secret::new(fake_qwen::KEY)),
        fake.base_url(),
    );
    (fake, QwenMt::new(config).expect("engine"))
}

async fn deepl_with(key: &str) -> (FakeDeepL, DeepL) {
    let fake = FakeDeepL::start().await;
    fake.slow_answer(Duration::from_secs(1));
    let config = pointed(deepl::config_for(Secret::new(key)), fake.base_url());
    (fake, DeepL::new(config).expect("engine"))
}

async fn deepl_pro() -> (FakeDeepL, DeepL) {
    deepl_with(fake_deepl::KEY).await
}

const LINE: &str = "Meet the Sparkle Blender";
const LONG_DE: &str = "Lernen Sie jetzt den neuen Sparkle Blender kennen";
const SHORT_DE: &str = "Das ist der Sparkle Blender";

fn line(target: Language) -> TranslateRequest {
    TranslateRequest {
        text: LINE.into(),
        source: Language::English,
        target,
        terms: Vec::new(),
        fit: None,
    }
}

fn with_terms() -> TranslateRequest {
    TranslateRequest {
        terms: vec![
            TermPair {
                source: "Sparkle Blender".into(),
                target: "Funkel-Mixer".into(),
            },
            TermPair {
                source: "Sie".into(),
                target: "Sie".into(),
            },
        ],
        ..line(Language::German)
    }
}

fn with_fit() -> TranslateRequest {
    TranslateRequest {
        fit: Some(FitHint {
            seconds: 4.5,
            needed_seconds: 7.9,
        }),
        ..line(Language::German)
    }
}

/// Translates the German line; it must succeed.
async fn german(engine: &dyn Translator) -> Translation {
    engine
        .translate(&line(Language::German))
        .await
        .expect("translated")
}

/// An engine and the fake it talks to, for the scenarios both share.
struct Rig {
    fake: Scripted,
    path: &'static str,
    key_var: &'static str,
    engine: Box<dyn Translator>,
}

impl Rig {
    async fn qwen() -> Rig {
        let (fake, engine) = qwen().await;
        Rig {
            fake: Scripted::clone(&fake),
            path: fake_qwen::PATH,
            key_var: "DASHSCOPE_API_KEY",
            engine: Box::new(engine),
        }
    }

    async fn deepl() -> Rig {
        let (fake, engine) = deepl_pro().await;
        Rig {
            fake: Scripted::clone(&fake),
            path: fake_deepl::TRANSLATE,
            key_var: "DEEPL_API_KEY",
            engine: Box::new(engine),
        }
    }

    fn calls(&self) -> usize {
        self.fake.requests_to(self.path).len()
    }

    async fn german(&self) -> Translation {
        german(self.engine.as_ref()).await
    }

    /// Translates the German line; it must fail.
    async fn german_fails(&self) -> TranslateError {
        self.engine
            .translate(&line(Language::German))
            .await
            .expect_err("an error")
    }
}

/// One slow answer is retried and the next one used.
async fn a_timeout_is_retried(rig: Rig) {
    rig.fake.timeout(1);
    assert_eq!(rig.german().await.text, format!("[de] {LINE}"));
    assert_eq!(rig.calls(), 2);
}

/// Slow to the end: `Timeout`, saying how long each try waited.
async fn slow_to_the_end_times_out(rig: Rig) {
    rig.fake.timeout(u32::MAX);
    let err = rig.german_fails().await;
    assert_eq!(err.kind, TranslateErrorKind::Timeout);
    let said = format!("{} did not answer within 0.3 s, 3 tries", rig.engine.name());
    assert!(err.message.starts_with(&said), "{err}");
    assert_eq!(rig.calls(), 3);
}

/// One 429 is retried and the next answer used.
async fn a_429_is_retried(rig: Rig) {
    rig.fake.status(429, 1);
    rig.german().await;
    assert_eq!(rig.calls(), 2);
}

/// 429 to the end: `RateLimited`, naming the engine and what to do.
async fn rate_limited_to_the_end(rig: Rig) {
    rig.fake.status(429, u32::MAX);
    let err = rig.german_fails().await;
    assert_eq!(err.kind, TranslateErrorKind::RateLimited);
    assert_eq!(
        err.message,
        format!(
            "{} is rate-limiting this studio (429) after 3 tries; wait a minute and press Translate again",
            rig.engine.name()
        )
    );
    assert_eq!(rig.calls(), 3);
}

/// 403: `Auth` at once, naming the variable to check.
async fn a_403_is_auth(rig: Rig) {
    rig.fake.status(403, 1);
    let err = rig.german_fails().await;
    assert_eq!(err.kind, TranslateErrorKind::Auth);
    let said = format!(
        "{} refused the API key (403); check {}",
        rig.engine.name(),
        rig.key_var
    );
    assert!(err.message.starts_with(&said), "{err}");
    assert_eq!(rig.calls(), 1);
}

/// 5xx to the end: `Unavailable`.
async fn failing_to_the_end(rig: Rig) {
    rig.fake.status(500, u32::MAX);
    let err = rig.german_fails().await;
    assert_eq!(err.kind, TranslateErrorKind::Unavailable);
    let said = format!("{} is failing (HTTP 500", rig.engine.name());
    assert!(err.message.starts_with(&said), "{err}");
    assert_eq!(rig.calls(), 3);
}

/// Not JSON: `BadAnswer`.
async fn a_malformed_answer_is_bad(rig: Rig) {
    rig.fake.malformed(1);
    let err = rig.german_fails().await;
    assert_eq!(err.kind, TranslateErrorKind::BadAnswer);
    let said = format!("{} sent an answer we cannot read", rig.engine.name());
    assert!(err.message.starts_with(&said), "{err}");
}

/// Each scenario as two tests, `<scenario>::qwen` and `<scenario>::deepl`.
macro_rules! on_both_engines {
    ($($scenario:ident),* $(,)?) => {$(
        mod $scenario {
            #[tokio::test]
            async fn qwen() {
                super::$scenario(super::Rig::qwen().await).await;
            }

            #[tokio::test]
            async fn deepl() {
                super::$scenario(super::Rig::deepl().await).await;
            }
        }
    )*};
}

on_both_engines!(
    a_timeout_is_retried,
    slow_to_the_end_times_out,
    a_429_is_retried,
    rate_limited_to_the_end,
    failing_to_the_end,
    a_403_is_auth,
    a_malformed_answer_is_bad,
);

// ---- Qwen-MT ----

#[tokio::test]
async fn qwen_translates_a_line_with_one_user_message() {
    let (fake, engine) = qwen().await;
    fake.phrase(LINE, Language::German, LONG_DE, SHORT_DE);
    let done = german(&engine).await;
    assert_eq!(done.text, LONG_DE);
    assert_eq!(done.engine, "qwen-mt");
    // The fake bills one token per character: 24 in at $0.16/M, 50 out at $0.49/M.
    assert_eq!(
        done.cost_usd_micros,
        (24.0f64 * 0.16 + 50.0 * 0.49).round() as i64
    );

    let sent = fake.requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["model"], "qwen-mt-turbo");
    assert_eq!(
        sent[0]["messages"],
        json!([{"role": "user", "content": LINE}])
    );
    let options = &sent[0]["translation_options"];
    assert_eq!(options["source_lang"], "English");
    assert_eq!(options["target_lang"], "German");
    assert!(options.get("terms").is_none(), "{options}");
    assert!(
        !options["domains"]
            .as_str()
            .expect("domains")
            .contains("seconds")
    );
}

#[tokio::test]
async fn qwen_names_mandarin_chinese_and_takes_cantonese() {
    let (fake, engine) = qwen().await;
    assert!(engine.supports(Language::English, Language::Cantonese));
    assert!(!engine.supports(Language::German, Language::German));
    let done = engine
        .translate(&line(Language::Cantonese))
        .await
        .expect("translated");
    assert_eq!(done.text, format!("[yue] {LINE}"));
    engine
        .translate(&line(Language::Mandarin))
        .await
        .expect("translated");
    let targets: Vec<Value> = fake
        .requests()
        .iter()
        .map(|b| b["translation_options"]["target_lang"].clone())
        .collect();
    assert_eq!(targets, [json!("Cantonese"), json!("Chinese")]);
}

#[tokio::test]
async fn qwen_sends_terms_as_term_intervention_and_they_apply() {
    let (fake, engine) = qwen().await;
    fake.phrase(LINE, Language::German, LONG_DE, SHORT_DE);
    let done = engine.translate(&with_terms()).await.expect("translated");
    assert_eq!(done.text, "Lernen Sie jetzt den neuen Funkel-Mixer kennen");
    assert_eq!(
        fake.requests()[0]["translation_options"]["terms"],
        json!([
            {"source": "Sparkle Blender", "target": "Funkel-Mixer"},
            {"source": "Sie", "target": "Sie"},
        ])
    );

    fake.drop_term("Sparkle Blender");
    let ignored = engine.translate(&with_terms()).await.expect("translated");
    assert_eq!(ignored.text, LONG_DE, "the engine ignored the term");
}

#[tokio::test]
async fn qwen_puts_the_fit_hint_in_domains_and_gets_the_short_line() {
    let (fake, engine) = qwen().await;
    fake.phrase(LINE, Language::German, LONG_DE, SHORT_DE);
    let done = engine.translate(&with_fit()).await.expect("translated");
    assert_eq!(done.text, SHORT_DE);
    let domains = fake.requests()[0]["translation_options"]["domains"]
        .as_str()
        .expect("domains")
        .to_string();
    assert!(
        domains.contains("spoken within 4.5 seconds") && domains.contains("needed 7.9 s"),
        "{domains}"
    );
}

#[tokio::test]
async fn qwen_with_a_wrong_key_is_auth() {
    let fake = FakeQwenMt::start().await;
    let config = pointed(
        qwen_mt::config_for(Secret::new("wrong-key")),
        fake.base_url(),
    );
    let err = QwenMt::new(config)
        .expect("engine")
        .translate(&line(Language::German))
        .await
        .expect_err("refused");
    assert_eq!(err.kind, TranslateErrorKind::Auth);
}

#[tokio::test]
async fn the_qwen_fake_refuses_what_qwen_mt_refuses() {
    let fake = FakeQwenMt::start().await;
    let url = format!("{}{}", fake.base_url(), fake_qwen::PATH);
    let http = reqwest::Client::new();
    let send = |body: Value, key: &'static str| {
        http.post(&url)
            .header("authorization", format!("Bearer {key}"))
            .json(&body)
            .send()
    };
    let options = json!({"source_lang": "English", "target_lang": "German"});
    let with_system = json!({
        "model": "qwen-mt-turbo",
        "messages": [{"role": "system", "content": "Be brief"}, {"role": "user", "content": "Hi"}],
        "translation_options": options,
    });
    let answer = send(with_system, fake_qwen::KEY).await.expect("sent");
    assert_eq!(answer.status().as_u16(), 400);
    let body: Value = answer.json().await.expect("json");
    assert_eq!(body["error"]["code"], "invalid_parameter_error");

    let good = json!({
        "model": "qwen-mt-turbo",
        "messages": [{"role": "user", "content": "Hi"}],
        "translation_options": options,
    });
    let answer = send(good.clone(), "not-the-key").await.expect("sent");
    assert_eq!(answer.status().as_u16(), 401);
    let answer = send(good, fake_qwen::KEY).await.expect("sent");
    assert_eq!(answer.status().as_u16(), 200);
}

// ---- DeepL ----

#[tokio::test]
async fn deepl_translates_a_line() {
    let (fake, engine) = deepl_pro().await;
    fake.phrase(LINE, Language::German, LONG_DE, SHORT_DE);
    let done = german(&engine).await;
    assert_eq!(done.text, LONG_DE);
    assert_eq!(done.engine, "deepl");
    // 24 billed characters at US$25 per million.
    assert_eq!(done.cost_usd_micros, 24 * 25);
    let sent = fake.requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["text"], json!([LINE]));
    assert_eq!(sent[0]["source_lang"], "EN");
    assert_eq!(sent[0]["target_lang"], "DE");
    assert!(sent[0].get("glossary_id").is_none());
    assert!(fake.glossary_requests().is_empty());
}

#[tokio::test]
async fn deepl_free_plan_costs_nothing_and_mandarin_is_simplified() {
    let (fake, engine) = deepl_with(fake_deepl::FREE_KEY).await;
    let done = engine
        .translate(&line(Language::Mandarin))
        .await
        .expect("translated");
    assert_eq!(done.cost_usd_micros, 0);
    assert_eq!(fake.requests()[0]["target_lang"], "ZH-HANS");
}

#[tokio::test]
async fn deepl_terms_go_through_one_glossary_per_term_set() {
    let (fake, engine) = deepl_pro().await;
    fake.phrase(LINE, Language::German, LONG_DE, SHORT_DE);
    let done = engine.translate(&with_terms()).await.expect("translated");
    assert_eq!(done.text, "Lernen Sie jetzt den neuen Funkel-Mixer kennen");

    let created = fake.glossary_requests();
    assert_eq!(created.len(), 1);
    assert_eq!(created[0]["source_lang"], "en");
    assert_eq!(created[0]["target_lang"], "de");
    assert_eq!(created[0]["entries_format"], "tsv");
    assert_eq!(
        created[0]["entries"],
        "Sparkle Blender\tFunkel-Mixer\nSie\tSie"
    );
    let sent = fake.requests();
    assert_eq!(sent[0]["glossary_id"], "fake-glossary-1");
    assert_eq!(sent[0]["source_lang"], "EN");

    // The same terms again: the kept glossary, none created.
    engine.translate(&with_terms()).await.expect("translated");
    assert_eq!(fake.glossary_requests().len(), 1);

    fake.drop_term("Sparkle Blender");
    let ignored = engine.translate(&with_terms()).await.expect("translated");
    assert_eq!(ignored.text, LONG_DE, "the engine ignored the term");
}

#[tokio::test]
async fn deepl_makes_a_lost_glossary_again() {
    let (fake, engine) = deepl_pro().await;
    engine.translate(&with_terms()).await.expect("translated");
    fake.forget_glossaries();
    let done = engine.translate(&with_terms()).await.expect("translated");
    assert_eq!(done.text, "[de] Meet the Funkel-Mixer");
    assert_eq!(fake.glossary_requests().len(), 2);
    let ids: Vec<Value> = fake
        .requests()
        .iter()
        .map(|b| b["glossary_id"].clone())
        .collect();
    assert_eq!(
        ids,
        [
            json!("fake-glossary-1"),
            json!("fake-glossary-1"),
            json!("fake-glossary-2")
        ]
    );
}

#[tokio::test]
async fn deepl_gets_the_fit_hint_as_context_and_answers_short() {
    let (fake, engine) = deepl_pro().await;
    fake.phrase(LINE, Language::German, LONG_DE, SHORT_DE);
    let done = engine.translate(&with_fit()).await.expect("translated");
    assert_eq!(done.text, SHORT_DE);
    let context = fake.requests()[0]["context"]
        .as_str()
        .expect("context")
        .to_string();
    assert!(context.contains("within 4.5 seconds"), "{context}");
}

#[tokio::test]
async fn deepl_waits_out_retry_after_on_a_429() {
    let rig = Rig::deepl().await;
    rig.fake.status(429, 1);
    rig.fake.retry_after(1);
    let started = Instant::now();
    rig.german().await;
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(rig.calls(), 2);
}

#[tokio::test]
async fn deepl_456_is_quota_and_not_retried() {
    let rig = Rig::deepl().await;
    rig.fake.status(456, 1);
    let err = rig.german_fails().await;
    assert_eq!(err.kind, TranslateErrorKind::QuotaExceeded);
    assert!(
        err.message
            .starts_with("DeepL's quota for this account is used up"),
        "{err}"
    );
    assert_eq!(rig.calls(), 1);
}

#[tokio::test]
async fn deepl_refuses_cantonese_without_calling() {
    let (fake, engine) = deepl_pro().await;
    assert!(!engine.supports(Language::English, Language::Cantonese));
    assert!(!engine.supports(Language::Cantonese, Language::English));
    assert!(engine.supports(Language::Japanese, Language::Korean));
    let err = engine
        .translate(&line(Language::Cantonese))
        .await
        .expect_err("unsupported");
    assert_eq!(err.kind, TranslateErrorKind::Unsupported);
    assert!(
        err.message
            .starts_with("DeepL cannot translate en into yue"),
        "{err}"
    );
    assert!(fake.requests().is_empty());
}

// ---- engines from the environment ----

fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let vars: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect();
    move |name| vars.get(name).cloned()
}

#[tokio::test]
async fn engines_need_their_keys_and_say_which() {
    let fake = FakeDeepL::start().await;
    let (engines, statuses) = translate::engines_from(env(&[
        ("DEEPL_API_KEY", fake_deepl::KEY),
        ("DASHSCOPE_API_KEY", "  "),
        ("CHORUS_TEST_DEEPL_BASE", fake.base_url()),
    ]));
    let ids: Vec<&str> = engines.iter().map(|e| e.id()).collect();
    assert_eq!(ids, ["deepl"]);
    assert_eq!(statuses.len(), 2);
    let qwen = statuses.iter().find(|s| s.id == "qwen-mt").expect("listed");
    assert!(!qwen.available);
    assert_eq!(qwen.name, "Qwen-MT (DashScope)");
    assert_eq!(
        qwen.reason.as_deref(),
        Some("Set DASHSCOPE_API_KEY to use Qwen-MT (DashScope)")
    );
    let deepl = statuses.iter().find(|s| s.id == "deepl").expect("listed");
    assert!(deepl.available && deepl.reason.is_none(), "{deepl:?}");

    let done = engines[0]
        .translate(&line(Language::French))
        .await
        .expect("translated at the fake");
    assert_eq!(done.text, format!("[fr] {LINE}"));
    assert_eq!(fake.requests().len(), 1);
}

#[tokio::test]
async fn engines_read_the_qwen_model_and_base() {
    let fake = FakeQwenMt::start().await;
    let (engines, statuses) = translate::engines_from(env(&[
        ("DASHSCOPE_API_KEY", fake_qwen::KEY),
        ("CHORUS_TEST_QWEN_MT_BASE", fake.base_url()),
        ("CHORUS_QWEN_MT_MODEL", "qwen-mt-plus"),
    ]));
    assert_eq!(engines.len(), 1);
    let deepl = statuses.iter().find(|s| s.id == "deepl").expect("listed");
    assert_eq!(
        deepl.reason.as_deref(),
        Some("Set DEEPL_API_KEY to use DeepL")
    );
    engines[0]
        .translate(&line(Language::Korean))
        .await
        .expect("translated at the fake");
    assert_eq!(fake.requests()[0]["model"], "qwen-mt-plus");
}
