//! Campaign tests: reading sheets, and whole expansions.

mod expand;
mod sheet;
