//! The allocator the `trellis` binary runs with (`server/src/main.rs`), so that what a
//! benchmark measures is what the binary does.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
