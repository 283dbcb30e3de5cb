//! The team view: sessions in a time window (walked by `listing`), folded into a report per
//! person and per repository (`model`), and rendered for a terminal (`text`) or as one HTML
//! page (`html`); JSON and CSV are the common renderings of `render`.

pub mod html;
pub mod model;
pub mod text;
