//! Server tests: the real app factory in-process, against a real SQLite file and a real
//! PostgreSQL database. Every test runs once per backend (`…::sqlite`, `…::postgres`).

mod support;

mod alerts;
mod apps;
mod audit;
mod aum;
mod auth;
mod bulk;
mod clock;
mod codes;
mod conditions;
mod credentials;
mod designing;
mod differential;
mod directory;
mod export;
mod files;
mod folding;
mod formulas;
mod hostile;
mod keyset;
mod limits;
mod lists;
mod masking;
mod masks;
mod outbox;
mod pages;
mod permissions;
mod process_steps;
mod processes;
mod publish;
mod records;
mod renaming;
mod reports;
mod review;
mod routes;
mod rules;
mod schedules;
mod sign_in;
mod statements;
mod tasks;
mod transitions;
mod views;
mod walk;
mod web;
