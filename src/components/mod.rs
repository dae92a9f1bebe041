//! UI pieces, one per file. Compose-page pieces read `ComposeState` from
//! context; Library pieces take the job they show.

pub mod aspect_preview;
pub mod budget_left;
pub mod campaign;
pub mod card_window;
pub mod copy_field;
pub mod cost_summary;
pub mod dialogue;
pub mod format_controls;
pub mod generate_bar;
pub mod import_panel;
pub mod job_card;
pub mod languages;
pub mod mode_switch;
pub mod model_picker;
pub mod problems;
pub mod prompt_editor;
pub mod references;
pub mod take_tile;
pub mod top_bar;
pub mod translate_bar;
pub mod user_menu;
