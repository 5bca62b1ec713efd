//! engine-flow tests: definitions checked against the bank CRM's forms, and the bank's
//! follow-up SOP run on a virtual clock.

mod bank;
mod definitions;
mod runtime;
