//! Lifecycle diagram generated from the model.
