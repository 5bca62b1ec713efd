//! engine-flow tests: reading and checking definitions against the bank CRM's forms.

mod definitions;
