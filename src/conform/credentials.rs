//! Credentials and region from the usual AWS sources.
