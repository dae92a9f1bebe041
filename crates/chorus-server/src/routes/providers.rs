//! `GET /api/providers`: each hosted provider's key as owners see it, where
//! the server reads it from and whether it found it, never the key. Keys
//! live in the server's environment only (`chorus_providers::ClientConfig`
//! is their one reader), so a copied database or a browser holds none.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use chorus_core::access::ProviderKey;

use crate::state::{AppState, key_variable};

pub fn router() -> Router<AppState> {
    Router::new().route("/providers", get(list))
}

/// Provider keys
///
/// Each hosted provider's key: the variable the server reads it from and
/// whether it is set, never the key.
#[utoipa::path(get, path = "/api/providers", tag = "budget", operation_id = "list_provider_keys",
    responses((status = 200, description = "One entry per provider that needs a key", body = Vec<ProviderKey>)))]
async fn list(State(state): State<AppState>) -> Json<Vec<ProviderKey>> {
    Json(provider_keys(&state.models))
}

/// One entry per provider that needs a key, in the registry's order; a key
/// counts as set when every model it opens is offered (a model is offered
/// unavailable only for its provider's missing key).
pub fn provider_keys(models: &[chorus_core::ModelSpec]) -> Vec<ProviderKey> {
    let mut keys: Vec<ProviderKey> = Vec::new();
    for model in models {
        let Some(variable) = key_variable(&model.provider) else {
            continue;
        };
        match keys.iter_mut().find(|k| k.provider == model.provider) {
            Some(key) => {
                key.set &= model.available;
                key.models.push(model.name.clone());
            }
            None => keys.push(ProviderKey {
                provider: model.provider.clone(),
                label: model.provider_label.clone(),
                variable: variable.to_string(),
                set: model.available,
                models: vec![model.name.clone()],
            }),
        }
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::models_with_keys;

    #[test]
    fn each_provider_is_listed_once_with_its_variable_and_whether_it_is_set() {
        let models = models_with_keys(|var| var == "FAL_KEY");
        let keys = provider_keys(&models);
        let fal = keys.iter().find(|k| k.provider == "fal").expect("fal");
        assert!(fal.set);
        assert_eq!(fal.variable, "FAL_KEY");
        assert!(!fal.models.is_empty());
        let dashscope = keys
            .iter()
            .find(|k| k.provider == "dashscope")
            .expect("dashscope");
        assert!(!dashscope.set);
        assert_eq!(dashscope.variable, "DASHSCOPE_API_KEY");
        let providers: Vec<&str> = keys.iter().map(|k| k.provider.as_str()).collect();
        let mut unique = providers.clone();
        unique.dedup();
        assert_eq!(providers, unique, "each provider once");
        assert!(
            !providers.contains(&"draft"),
            "the draft engine needs no key"
        );
    }
}
