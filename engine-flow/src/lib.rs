//! The process engine. It arrives with its own issue; until then this crate is empty on purpose:
//! no placeholder behaviour. It will be pure: (definition, instance state, event, now) -> (new state, commands).
