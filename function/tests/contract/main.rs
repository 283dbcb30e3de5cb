//! The documents that describe the function, checked against its code so that neither drifts:
//! `template.yaml` (what is deployed) and `openapi.yaml` (the published API). One test binary
//! for both, so a change to the function links one more test, not two.

mod openapi;
mod template;
