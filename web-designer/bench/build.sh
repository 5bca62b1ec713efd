# Sourced by the UI benchmarks: builds trellis and sets $bin, a release build unless
# BENCH_PROFILE=dev asks for a quick look with the debug one. Needs $root.
profile=${BENCH_PROFILE:-release}
if [ "$profile" = release ]; then
  cargo build --release -p server --bin trellis --manifest-path "$root/Cargo.toml"; bin="$root/target/release/trellis"
else
  cargo build -p server --bin trellis --manifest-path "$root/Cargo.toml"; bin="$root/target/debug/trellis"
fi
