#!/usr/bin/env bash
# Runs every check and test of the tree, as CI does, on a fresh machine.
# Each binary is built once: clippy checks, then one test build with the benchmark feature on,
# so the frame-benchmarking v2 benchmarks run as tests beside the unit tests.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo fmt --all --check
cargo clippy --workspace --all-targets --features runtime-benchmarks -- -D warnings
cargo test --workspace --features runtime-benchmarks
