//! The expression language and rule engine. It arrives with its own issue; until then this crate is empty
//! on purpose. Form formulas (engine-form `FieldType::Formula`) are refused at publish until it lands.
