//! End-to-end tests: the `trellis` binary as a user runs it, over real HTTP.

mod alerts;
mod browser;
mod cli;
mod client;
mod flows;
mod hostile;
mod integrations;
mod process;
mod restart;
mod scale_out;
mod security;
