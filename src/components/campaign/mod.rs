//! The campaign pages' pieces: the New campaign form (`form` holds its
//! state; `template_form`, `axes`, `sheet_input`, `preview`, `submit_bar`)
//! and the board (`board_grid`, `board_header`), both drawing only the
//! rows on screen (`rows_window`).

pub mod axes;
pub mod board_grid;
pub mod board_header;
pub mod form;
pub mod preview;
pub mod rows_window;
pub mod sheet_input;
pub mod submit_bar;
pub mod template_form;
