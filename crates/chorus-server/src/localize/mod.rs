//! Localized lines on the server: the translation engines configured here,
//! the studio's glossary, and proposing a line in other languages that fits
//! the clip (`propose`).

pub mod glossary;
mod propose;

use std::sync::Arc;

use chorus_core::Language;
use chorus_core::localize::{EngineView, Engines};
use chorus_providers::translate::{EngineStatus, Translator};

pub use propose::propose_all;

/// The translation engines this server can use, in the order they are
/// preferred, and what the studio is told about every engine.
#[derive(Clone, Default)]
pub struct Translation {
    engines: Vec<Arc<dyn Translator>>,
    status: Vec<EngineStatus>,
}

impl Translation {
    /// The engines whose keys are set (`chorus_providers::translate`).
    pub fn from_env() -> Translation {
        let (engines, status) = chorus_providers::translate::engines_from_env();
        Translation::new(engines, status)
    }

    /// Engines already made (tests point them at local fakes).
    pub fn new(engines: Vec<Arc<dyn Translator>>, status: Vec<EngineStatus>) -> Translation {
        Translation { engines, status }
    }

    /// The engine for `source` → `target`: the first configured that
    /// translates both.
    pub fn pick(&self, source: Language, target: Language) -> Option<&Arc<dyn Translator>> {
        self.engines.iter().find(|e| e.supports(source, target))
    }

    /// Every engine, configured or not, as the studio lists them.
    pub fn views(&self) -> Engines {
        let engines = self
            .status
            .iter()
            .map(|s| {
                let engine = self.engines.iter().find(|e| e.id() == s.id);
                let lacks = Language::ALL
                    .into_iter()
                    .filter(|&l| {
                        engine.is_some_and(|e| {
                            Language::ALL
                                .into_iter()
                                .all(|other| other == l || !e.supports(other, l))
                        })
                    })
                    .collect();
                EngineView {
                    id: s.id.to_string(),
                    name: s.name.to_string(),
                    available: s.available,
                    reason: s.reason.clone(),
                    lacks,
                }
            })
            .collect();
        Engines { engines }
    }
}
