//! The Trellis server: storage of apps and records on SQLite or PostgreSQL, the REST API
//! with its OpenAPI documents, and the `trellis` command.

pub mod access;
mod actions;
mod actors;
pub mod api;
pub mod approval;
mod attachments;
pub mod audit;
pub mod auth;
pub mod bulk;
pub mod bundle_dir;
mod catalog;
pub mod clock;
pub mod core;
pub mod db;
pub mod demo;
mod designing;
mod drafts;
mod edit;
pub mod error;
pub mod export;
pub mod expr_sql;
pub mod files;
pub mod flows;
pub mod handover;
pub mod jobs;
pub mod limits;
pub mod meta;
pub mod notifications;
pub mod outbox;
pub mod pages;
pub mod pipeline;
pub mod publish;
pub mod records;
pub mod rules;
mod schema;
pub mod tasks;
pub mod texts;
pub mod timeline;
mod trail;
pub mod uses;
pub mod versions;
pub mod views;
pub mod workspace;

pub use api::{AppState, PlatformApi, configure};
pub use db::Db;
