//! Helpers for end-to-end tests: start the real `trellis` binary and talk HTTP to it.
//! The library itself has no code; see `e2e/main.rs`.
