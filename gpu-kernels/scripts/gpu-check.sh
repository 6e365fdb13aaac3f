#!/usr/bin/env bash
# The GPU check of issue 25, for a machine with a hardware GPU: prints the adapter, checks
# DIFFERENTIAL random and adversarial ed25519 triples (default 10,000,000) against sp-core with
# each field representation, benchmarks each representation, the CPU and blake2b-256 at batches
# of 1 to 1,048,576, and writes bench.json, throughput.png and the log into OUT (default
# target/gpu-check). The measured part is bounded to six minutes; the release build before it
# is not. Exits non-zero on any difference, a missing hardware adapter, or the time limit.
#
#   gpu-kernels/scripts/gpu-check.sh [OUT] [DIFFERENTIAL]
#
# ALLOW_SOFTWARE=1 lets it run on lavapipe (to check the script itself; pass a small DIFFERENTIAL).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-target/gpu-check}
triples=${2:-10000000}
mkdir -p "$out"
cargo build --release -p carechain-gpu --features bench --bin carechain-gpu-bench
bin=${CARGO_TARGET_DIR:-target}/release/carechain-gpu-bench
if command -v nvidia-smi >/dev/null; then
	nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv | tee "$out/nvidia-smi.csv"
fi
hardware=--hardware-only
if [ "${ALLOW_SOFTWARE:-0}" = 1 ]; then hardware=; fi
timeout 360 "$bin" $hardware --differential "$triples" --max-batch 1048576 --budget-secs 8 \
	--out "$out" 2>&1 | tee "$out/gpu-check.log"
echo "wrote $out/bench.json, $out/throughput.png and $out/gpu-check.log"
