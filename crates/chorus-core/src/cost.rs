//! What a request will cost, shown before anything is spent.

use serde::{Deserialize, Serialize};

use crate::{GenerationRequest, ModelSpec};

/// An estimate in millionths of a US dollar, with the arithmetic behind it so
/// the studio can explain the figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Cost {
    pub usd_micros: u64,
    pub takes: u32,
    pub seconds_per_take: u32,
    pub usd_micros_per_second: u64,
}

impl Cost {
    pub fn is_free(&self) -> bool {
        self.usd_micros == 0
    }

    /// "$2.70": rounded to the cent, up, so the estimate never undersells.
    pub fn display(&self) -> String {
        format_usd(self.usd_micros)
    }

    /// "2 takes × 5 s × $0.14/s".
    pub fn breakdown(&self) -> String {
        let takes = if self.takes == 1 {
            "1 take".to_string()
        } else {
            format!("{} takes", self.takes)
        };
        format!(
            "{takes} × {} s × {}/s",
            self.seconds_per_take,
            format_usd(self.usd_micros_per_second)
        )
    }
}

/// Formats millionths of a dollar as dollars and cents, rounding up.
pub fn format_usd(usd_micros: u64) -> String {
    let cents = usd_micros.div_ceil(10_000);
    format!("${}.{:02}", cents / 100, cents % 100)
}

/// Estimated cost of `request` on `model`; `None` when the model has no price
/// for the requested resolution (the checker reports that separately).
pub fn estimate_cost(request: &GenerationRequest, model: &ModelSpec) -> Option<Cost> {
    let per_second = model.price_per_second(request.resolution)?;
    let takes = request.take_count();
    let usd_micros = per_second
        .saturating_mul(u64::from(request.duration_s))
        .saturating_mul(u64::from(takes));
    Some(Cost {
        usd_micros,
        takes,
        seconds_per_take: request.duration_s,
        usd_micros_per_second: per_second,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DialogueLine, Language, Resolution, model};

    #[test]
    fn happyhorse_prices() {
        let models = model::registry();
        let hh = model::find(&models, "happyhorse-1.1@fal").expect("model");
        let mut req = GenerationRequest::new(&hh.id);
        req.duration_s = 5;
        req.resolution = Resolution::P720;
        let cost = estimate_cost(&req, hh).expect("priced");
        assert_eq!(cost.usd_micros, 700_000);
        assert_eq!(cost.display(), "$0.70");

        req.resolution = Resolution::P1080;
        req.duration_s = 15;
        req.dialogue = vec![
            DialogueLine::new(Language::English, "Hi"),
            DialogueLine::new(Language::German, "Hallo"),
        ];
        let cost = estimate_cost(&req, hh).expect("priced");
        assert_eq!(cost.usd_micros, 2 * 15 * 180_000);
        assert_eq!(cost.display(), "$5.40");
        assert_eq!(cost.breakdown(), "2 takes × 15 s × $0.18/s");
    }

    #[test]
    fn rounds_up_to_the_cent() {
        assert_eq!(format_usd(0), "$0.00");
        assert_eq!(format_usd(1), "$0.01");
        assert_eq!(format_usd(1_000_000), "$1.00");
        assert_eq!(format_usd(1_234_567), "$1.24");
    }
}
