//! Campaign tests: the sheet, the template, and whole expansions.
