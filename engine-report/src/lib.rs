//! Reports and dashboards over record data. It arrives with its own issue; until then this crate is empty
//! on purpose, and polars is not compiled.
