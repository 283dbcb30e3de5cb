//! The team view: sessions in a time window, walked page by page (`fetch`), folded into a
//! report per person and per repository (`model`), and rendered for a terminal (`text`), as
//! JSON, or as CSV (`csv`, shared with `session list --csv`).

pub mod csv;
pub mod fetch;
pub mod html;
pub mod model;
pub mod text;
pub mod window;
