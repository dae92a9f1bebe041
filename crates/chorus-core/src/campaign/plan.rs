//! The work done once per campaign before its rows (what each column is
//! for, each template text parsed and its placeholders resolved), then the
//! expansion of one row into its variants.

use std::collections::BTreeMap;

use super::expand::{Readiness, Variant, VariantProblem};
use super::placeholders::Template;
use super::{CampaignSpec, Sheet, SheetProblem, SheetRow, SpeechFit, fit};
use crate::check::{Problem, check_with_registry};
use crate::cost::estimate_cost;
use crate::{DialogueLine, Language, Mode, ModelSpec};

/// A template text parsed once, with each placeholder resolved to its column.
struct Field {
    /// How the person calls it in a message: "the prompt", "the German line".
    words: String,
    /// `None` when the text could not be parsed (a template problem says why).
    template: Option<Template>,
    /// Per placeholder: the column it takes its value from.
    columns: Vec<Option<usize>>,
}

/// A filled field and the placeholders whose cells were empty.
struct Filled {
    text: String,
    /// Columns whose cell was empty, each with the placeholder as written.
    empty: Vec<(usize, String)>,
}

impl Field {
    fn new(
        name: &str,
        words: String,
        text: &str,
        sheet: &Sheet,
        used: &mut [bool],
        problems: &mut Vec<SheetProblem>,
    ) -> Field {
        let template = match Template::parse(text) {
            Ok(template) => template,
            Err(e) => {
                problems.push(SheetProblem::error(None, Some(name), e.message(&words)));
                return Field {
                    words,
                    template: None,
                    columns: Vec::new(),
                };
            }
        };
        let columns = template
            .placeholders()
            .iter()
            .map(|p| {
                let column = sheet.column(&p.key);
                match column {
                    Some(i) => used[i] = true,
                    None => problems.push(SheetProblem::error(
                        None,
                        Some(name),
                        format!(
                            "{words} uses {{{{{}}}}}, but the sheet has no {} column",
                            p.name, p.name
                        ),
                    )),
                }
                column
            })
            .collect();
        Field {
            words,
            template: Some(template),
            columns,
        }
    }

    fn fill(&self, row: &SheetRow) -> Option<Filled> {
        let template = self.template.as_ref()?;
        let value = |i: usize| self.columns[i].map_or("", |c| Sheet::cell(row, c));
        let empty = template
            .placeholders()
            .iter()
            .zip(&self.columns)
            .filter_map(|(p, column)| {
                let c = (*column)?;
                Sheet::cell(row, c)
                    .is_empty()
                    .then(|| (c, format!("{{{{{}}}}}", p.name)))
            })
            .collect();
        Some(Filled {
            text: template.fill(value),
            empty,
        })
    }
}

/// Where each of a language's lines comes from.
struct LanguagePlan {
    language: Language,
    /// The `line:xx` column, if the sheet has one.
    column: Option<usize>,
    /// The template's line for this language.
    template_line: Option<Field>,
    /// The column name problems with this line are reported under.
    label: String,
}

/// Everything worked out once for the whole campaign before the rows.
pub(super) struct Plan<'a> {
    spec: &'a CampaignSpec,
    images: &'a BTreeMap<String, String>,
    /// Uploaded names lower-cased, for names typed in another case.
    images_folded: BTreeMap<String, &'a str>,
    prompt: Field,
    negative_prompt: Field,
    languages: Vec<LanguagePlan>,
    /// Per reference slot (0 = the start image or character1): the column
    /// that sets it in this template's mode.
    reference_columns: Vec<(usize, usize)>,
}

impl<'a> Plan<'a> {
    pub(super) fn new(
        spec: &'a CampaignSpec,
        images: &'a BTreeMap<String, String>,
        problems: &mut Vec<SheetProblem>,
    ) -> Plan<'a> {
        let sheet = &spec.sheet;
        let template = &spec.template;
        let mut used = vec![false; sheet.columns.len()];
        let mut line_columns: Vec<(Language, usize)> = Vec::new();
        let mut reference_columns = Vec::new();

        for (i, name) in sheet.columns.iter().enumerate() {
            match column_role(name) {
                Role::Line(code) => {
                    used[i] = true;
                    let Some(language) = Language::from_code(code) else {
                        let message = if code.is_empty() {
                            format!("say which language after line: (use {})", sheet_codes())
                        } else {
                            format!("unknown language {code} (use {})", sheet_codes())
                        };
                        problems.push(SheetProblem::error(Some(1), Some(name), message));
                        continue;
                    };
                    if let Some((_, first)) = line_columns.iter().find(|(l, _)| *l == language) {
                        problems.push(SheetProblem::error(
                            Some(1),
                            Some(name),
                            format!(
                                "{language} already has its lines in column {}; keep one",
                                sheet.columns[*first]
                            ),
                        ));
                    } else if spec.languages.contains(&language) {
                        line_columns.push((language, i));
                    } else {
                        problems.push(SheetProblem::warning(
                            Some(1),
                            Some(name),
                            format!(
                                "column {name} is not used: {language} is not one of the campaign's languages"
                            ),
                        ));
                        line_columns.push((language, i));
                    }
                }
                Role::Reference(slot) => {
                    let fits_mode = match template.mode {
                        Mode::ImageToVideo => {
                            slot == 0 && name.trim().eq_ignore_ascii_case("image")
                        }
                        Mode::ReferenceToVideo => !name.trim().eq_ignore_ascii_case("image"),
                        Mode::TextToVideo => false,
                    };
                    if fits_mode {
                        used[i] = true;
                        reference_columns.push((slot, i));
                    }
                }
                Role::Other => {}
            }
        }

        let prompt = Field::new(
            "prompt",
            "the prompt".into(),
            &template.prompt,
            sheet,
            &mut used,
            problems,
        );
        let negative_prompt = Field::new(
            "negative_prompt",
            "the negative prompt".into(),
            &template.negative_prompt,
            sheet,
            &mut used,
            problems,
        );
        let languages = spec
            .languages
            .iter()
            .map(|&language| {
                let column = line_columns
                    .iter()
                    .find(|(l, _)| *l == language)
                    .map(|(_, c)| *c);
                let template_line = template
                    .dialogue
                    .iter()
                    .find(|line| line.language == language && !line.text.trim().is_empty())
                    .map(|line| {
                        Field::new(
                            &format!("dialogue.{}", language.code()),
                            format!("the {language} line"),
                            &line.text,
                            sheet,
                            &mut used,
                            problems,
                        )
                    });
                let label = column.map_or_else(
                    || format!("line:{}", sheet_code(language)),
                    |c| sheet.columns[c].clone(),
                );
                LanguagePlan {
                    language,
                    column,
                    template_line,
                    label,
                }
            })
            .collect();

        for (i, name) in sheet.columns.iter().enumerate() {
            if used[i] {
                continue;
            }
            let message = match (column_role(name), template.mode) {
                (Role::Reference(_), Mode::TextToVideo) => format!(
                    "column {name} is not used: the template is text to video, which takes no images"
                ),
                (Role::Reference(_), Mode::ImageToVideo) => format!(
                    "column {name} is not used: image to video takes its start image from the image column"
                ),
                (Role::Reference(_), Mode::ReferenceToVideo) => format!(
                    "column {name} is not used: reference to video takes its images from reference1…reference9"
                ),
                _ => format!("column {name} is not used"),
            };
            problems.push(SheetProblem::warning(None, Some(name), message));
        }

        Plan {
            spec,
            images,
            images_folded: images
                .keys()
                .map(|name| (name.to_lowercase(), name.as_str()))
                .collect(),
            prompt,
            negative_prompt,
            languages,
            reference_columns,
        }
    }

    pub(super) fn expand_row(
        &self,
        row: &SheetRow,
        models: &[ModelSpec],
        model: Option<&ModelSpec>,
        fit: &dyn SpeechFit,
        out: &mut Vec<Variant>,
    ) {
        let sheet = &self.spec.sheet;
        let template = &self.spec.template;
        let mut row_problems = Vec::new();
        // One problem per empty cell, naming the first text that needs it.
        let note_empty = |filled: &Filled, words: &str, problems: &mut Vec<VariantProblem>| {
            for (column, placeholder) in &filled.empty {
                let name = &sheet.columns[*column];
                if !problems
                    .iter()
                    .any(|p| p.column == *name && p.message.starts_with(EMPTY))
                {
                    problems.push(VariantProblem::error(
                        name.clone(),
                        format!("{EMPTY}{words} uses {placeholder}"),
                    ));
                }
            }
        };

        // Texts that could not be parsed stay as written: the template
        // problem blocks the campaign, and says why.
        let mut base = template.clone();
        base.dialogue = Vec::new();
        if let Some(filled) = self.prompt.fill(row) {
            note_empty(&filled, &self.prompt.words, &mut row_problems);
            base.prompt = filled.text;
        }
        if let Some(filled) = self.negative_prompt.fill(row) {
            note_empty(&filled, &self.negative_prompt.words, &mut row_problems);
            base.negative_prompt = filled.text;
        }
        for &(slot, column) in &self.reference_columns {
            let name = Sheet::cell(row, column);
            if name.is_empty() {
                continue;
            }
            let asset = self.images.get(name).map(String::as_str).or_else(|| {
                self.images_folded
                    .get(&name.to_lowercase())
                    .and_then(|original| self.images.get(*original))
                    .map(String::as_str)
            });
            match asset {
                Some(asset) => {
                    if base.references.len() <= slot {
                        base.references.resize(slot + 1, String::new());
                    }
                    base.references[slot] = asset.to_string();
                }
                None => row_problems.push(VariantProblem::error(
                    sheet.columns[column].clone(),
                    format!("no uploaded image named {name}"),
                )),
            }
        }

        for plan in &self.languages {
            let mut problems = row_problems.clone();
            let cell = plan.column.map_or("", |c| Sheet::cell(row, c));
            let text = if cell.is_empty() {
                match plan
                    .template_line
                    .as_ref()
                    .map(|field| (field, field.fill(row)))
                {
                    Some((field, Some(filled))) => {
                        note_empty(&filled, &field.words, &mut problems);
                        Some(filled.text)
                    }
                    // The template's line could not be parsed; that problem
                    // is the campaign's, and blocks it already.
                    Some((_, None)) => None,
                    None => {
                        problems.push(VariantProblem::error(
                            plan.label.clone(),
                            format!("no {} line", plan.language),
                        ));
                        None
                    }
                }
            } else {
                Some(cell.to_string())
            };
            let text = text.unwrap_or_default();

            let (fit_seconds, fit_pending) = if text.trim().is_empty() {
                (None, false)
            } else {
                match fit.seconds(plan.language, &text) {
                    Some(seconds) => {
                        if !fit::fits(seconds, template.duration_s) {
                            problems.push(VariantProblem::error(
                                self.line_label(plan),
                                super::speech_too_long(plan.language, seconds, template.duration_s),
                            ));
                        }
                        (Some(seconds), false)
                    }
                    None => (None, true),
                }
            };

            let line_is_empty = text.trim().is_empty();
            let mut request = base.clone();
            request.dialogue = vec![DialogueLine::new(plan.language, text)];
            for &ratio in &self.spec.ratios {
                let mut request = request.clone();
                request.aspect_ratio = ratio;
                let mut problems = problems.clone();
                problems.extend(
                    check_with_registry(&request, models)
                        .into_iter()
                        // An empty line has been said already, in the
                        // sheet's words.
                        .filter(|p| !(line_is_empty && is_line_text(&p.field)))
                        .map(|p| self.trace(p, plan)),
                );
                let cost_usd_micros = model
                    .and_then(|m| estimate_cost(&request, m))
                    .map_or(0, |c| c.usd_micros);
                let readiness = if problems.iter().any(VariantProblem::is_error) {
                    Readiness::Blocked
                } else if problems.is_empty() {
                    Readiness::Ready
                } else {
                    Readiness::Warning
                };
                out.push(Variant {
                    row: row.number,
                    language: plan.language,
                    ratio,
                    request,
                    problems,
                    cost_usd_micros,
                    readiness,
                    fit_seconds,
                    fit_pending,
                });
            }
        }
    }

    /// Where a problem with a language's line text is reported: its
    /// `line:` column, or the template's line when the sheet has none.
    fn line_label(&self, plan: &LanguagePlan) -> String {
        match plan.column {
            Some(c) => self.spec.sheet.columns[c].clone(),
            None => format!("template line ({})", plan.language.code()),
        }
    }

    /// A check problem, placed at the sheet column that caused it.
    fn trace(&self, problem: Problem, plan: &LanguagePlan) -> VariantProblem {
        let field = problem.field.as_str();
        let column = if is_line_text(field) {
            self.line_label(plan)
        } else if field.starts_with("dialogue[") {
            "languages".into()
        } else if field == "dialogue" {
            "audio (template)".into()
        } else if field == "aspect_ratio" {
            "ratios".into()
        } else if field == "references" {
            self.reference_columns
                .iter()
                .min_by_key(|(slot, _)| *slot)
                .map_or_else(
                    || "references (template)".into(),
                    |(_, c)| self.spec.sheet.columns[*c].clone(),
                )
        } else if let Some(index) = field
            .strip_prefix("references[")
            .and_then(|rest| rest.strip_suffix(']'))
            .and_then(|n| n.parse::<usize>().ok())
        {
            self.reference_columns
                .iter()
                .find(|(slot, _)| *slot == index)
                .map_or_else(
                    || "references (template)".into(),
                    |(_, c)| self.spec.sheet.columns[*c].clone(),
                )
        } else {
            format!("{field} (template)")
        };
        VariantProblem {
            column,
            message: problem.message,
            severity: problem.severity,
        }
    }
}

/// Whether a check problem's field is a dialogue line's text.
fn is_line_text(field: &str) -> bool {
    field.starts_with("dialogue[")
        && field
            .rsplit_once('.')
            .is_some_and(|(_, last)| last == "text")
}

/// How a message about an empty cell starts.
const EMPTY: &str = "empty, but ";

/// What a sheet column is for, from its name alone.
enum Role<'n> {
    /// `line:de`: the code after the colon.
    Line(&'n str),
    /// `image` (slot 0) or `reference1`…`reference9` (slots 0–8).
    Reference(usize),
    /// A value for placeholders, or nothing.
    Other,
}

fn column_role(name: &str) -> Role<'_> {
    let name = name.trim();
    if let Some(prefix) = name.get(..5)
        && prefix.eq_ignore_ascii_case("line:")
    {
        return Role::Line(name[5..].trim());
    }
    if name.eq_ignore_ascii_case("image") {
        return Role::Reference(0);
    }
    if name.len() == "reference1".len()
        && let Some(prefix) = name.get(..9)
        && prefix.eq_ignore_ascii_case("reference")
        && let Some(n) = name[9..]
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=9).contains(n))
    {
        return Role::Reference(n - 1);
    }
    Role::Other
}

/// The code a sheet uses for a language: the primary BCP-47 subtag (`zh`
/// for Mandarin, `yue` for Cantonese).
fn sheet_code(language: Language) -> &'static str {
    let tag = language.bcp47();
    tag.split('-').next().unwrap_or(tag)
}

/// "en, zh, yue, ja, ko, de, fr".
fn sheet_codes() -> String {
    Language::ALL
        .iter()
        .map(|l| sheet_code(*l))
        .collect::<Vec<_>>()
        .join(", ")
}
