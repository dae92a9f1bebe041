//! `{{placeholders}}` in a template's texts. Each text is parsed once into
//! literal pieces and slots, so filling it for a thousand rows is a copy of
//! the pieces and the row's cells, nothing more.

/// One `{{name}}` a template uses, first use first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placeholder {
    /// The name as written, spaces inside the braces trimmed.
    pub name: String,
    /// The name lower-cased: placeholders match columns whatever the case.
    pub key: String,
}

/// Why a template text could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateError {
    /// A `{{` with no `}}` after it; `near` is the text from the `{{` on,
    /// cut short.
    Unclosed { near: String },
    /// `{{ }}` with no name inside.
    EmptyName,
}

impl TemplateError {
    /// The message for a text the person calls `what` ("the prompt").
    pub fn message(&self, what: &str) -> String {
        match self {
            TemplateError::Unclosed { near } => {
                format!("{what} has {near} with no closing }}}}; write {{{{column}}}}")
            }
            TemplateError::EmptyName => {
                format!("{what} has an empty {{{{ }}}}; put a column name inside")
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    /// Index into `Template::placeholders`.
    Slot(usize),
}

/// A text with its placeholders found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Template {
    pieces: Vec<Piece>,
    placeholders: Vec<Placeholder>,
    /// Bytes of literal text, to size the filled string once.
    literal_len: usize,
}

const OPEN: &str = "{{";
const CLOSE: &str = "}}";

impl Template {
    pub fn parse(text: &str) -> Result<Template, TemplateError> {
        let mut template = Template::default();
        let mut rest = text;
        while let Some(open) = rest.find(OPEN) {
            template.push_text(&rest[..open]);
            let after = &rest[open + OPEN.len()..];
            let Some(close) = after.find(CLOSE) else {
                return Err(unclosed(&rest[open..]));
            };
            let inner = &after[..close];
            if inner.contains(['{', '}']) {
                return Err(unclosed(&rest[open..]));
            }
            let name = inner.trim();
            if name.is_empty() {
                return Err(TemplateError::EmptyName);
            }
            let key = name.to_lowercase();
            let known = template.placeholders.iter().position(|p| p.key == key);
            let index = known.unwrap_or_else(|| {
                template.placeholders.push(Placeholder {
                    name: name.to_string(),
                    key,
                });
                template.placeholders.len() - 1
            });
            template.pieces.push(Piece::Slot(index));
            rest = &after[close + CLOSE.len()..];
        }
        template.push_text(rest);
        Ok(template)
    }

    fn push_text(&mut self, text: &str) {
        if !text.is_empty() {
            self.literal_len += text.len();
            self.pieces.push(Piece::Text(text.to_string()));
        }
    }

    /// The placeholders used, each once, in order of first use.
    pub fn placeholders(&self) -> &[Placeholder] {
        &self.placeholders
    }

    /// The text with each placeholder replaced by `value(index)`, the index
    /// being the placeholder's position in [`Template::placeholders`].
    pub fn fill<'a>(&self, value: impl Fn(usize) -> &'a str) -> String {
        let mut out = String::with_capacity(self.literal_len + 16 * self.placeholders.len());
        for piece in &self.pieces {
            match piece {
                Piece::Text(text) => out.push_str(text),
                Piece::Slot(index) => out.push_str(value(*index)),
            }
        }
        out
    }
}

/// The unclosed `{{…`, cut to a readable length.
fn unclosed(from_open: &str) -> TemplateError {
    const SHOWN: usize = 24;
    let mut near: String = from_open.chars().take(SHOWN).collect();
    if from_open.chars().nth(SHOWN).is_some() {
        near.push('…');
    }
    TemplateError::Unclosed { near }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_and_fills_placeholders() {
        let t = Template::parse("{{ Product }} on {{surface}}, {{product}}!").expect("parses");
        let names: Vec<&str> = t.placeholders().iter().map(|p| p.key.as_str()).collect();
        assert_eq!(names, ["product", "surface"]);
        assert_eq!(t.placeholders()[0].name, "Product");
        let filled = t.fill(|i| ["shoe", "sand"][i]);
        assert_eq!(filled, "shoe on sand, shoe!");
    }

    #[test]
    fn plain_text_and_single_braces_stay() {
        let t = Template::parse("a {b} c }} d").expect("parses");
        assert!(t.placeholders().is_empty());
        assert_eq!(t.fill(|_| ""), "a {b} c }} d");
        assert_eq!(Template::parse("").expect("parses").fill(|_| ""), "");
    }

    #[test]
    fn unclosed_and_empty_are_errors() {
        let err = Template::parse("a {{product on sand").expect_err("unclosed");
        assert_eq!(
            err.message("the prompt"),
            "the prompt has {{product on sand with no closing }}; write {{column}}"
        );
        let err = Template::parse("a {{ x {{y}}").expect_err("nested");
        assert!(matches!(err, TemplateError::Unclosed { .. }));
        let err = Template::parse("a {{  }} b").expect_err("empty");
        assert_eq!(
            err.message("the German line"),
            "the German line has an empty {{ }}; put a column name inside"
        );
        let long = format!("{{{{{}", "x".repeat(40));
        let TemplateError::Unclosed { near } = Template::parse(&long).expect_err("long") else {
            panic!("unclosed expected");
        };
        assert_eq!(near.chars().count(), 25);
        assert!(near.ends_with('…'));
    }
}
