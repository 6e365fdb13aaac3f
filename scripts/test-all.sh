#!/usr/bin/env bash
# Runs every check and test of the tree, as CI does, on a fresh machine.
#
# GPU kernels are tested on Mesa's lavapipe, a software Vulkan device, so every kernel runs on
# every machine; the benchmark's PNG plot needs fontconfig and freetype headers; the portal is
# tested in Debian's chromium. Each binary
# is built once: clippy checks, then one test build with the benchmark feature on, so the
# frame-benchmarking v2 benchmarks run as tests beside the unit tests.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(mesa-vulkan-drivers libvulkan1 pkg-config libfontconfig1-dev libfreetype-dev chromium)
missing=()
for package in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$package")
done
# The @polkadot/api and client-js tests need Node.js (20.19 or later) and npm; Debian's will do
# where the machine has none.
command -v npm >/dev/null || missing+=(nodejs npm)
if ((${#missing[@]})); then
	sudo=""
	if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The vault's S3 backend is tested against moto, a real S3-compatible server from PyPI.
python3 -c "import moto.server, flask" 2>/dev/null ||
	python3 -m pip install --quiet --disable-pip-version-check "moto[server]>=5,<6" ||
	python3 -m pip install --quiet --disable-pip-version-check --user --break-system-packages "moto[server]>=5,<6"

# CI builds once from a clean tree: incremental caches would only take disk (gigabytes) and time.
export CARGO_INCREMENTAL=0

cargo fmt --all --check
# Clippy checks in a target folder of its own, removed once it passes: its metadata-only build
# of every dependency is of no use to the test build, and the two together outgrew CI's disk.
CARGO_TARGET_DIR=target/clippy \
	cargo clippy --workspace --all-targets --features runtime-benchmarks,carechain-gpu/bench -- -D warnings
rm -rf target/clippy
# Each crate's integration tests are one binary (`tests/main.rs`): a test file it does not
# name would never run.
for crate in node runtime tests; do
	for file in "$crate"/tests/*.rs; do
		name=$(basename "$file" .rs)
		[[ $name == main ]] && continue
		grep -qx "mod $name;" "$crate/tests/main.rs" ||
			{ echo "$file is not a module of $crate/tests/main.rs: it would never run" >&2; exit 1; }
	done
done
cargo test --workspace --features runtime-benchmarks

# An unmodified @polkadot/api against the `carechain` binary that cargo test built.
(cd tests/js && npm ci --no-audit --no-fund --loglevel=error && node --test)

# The wallet SDK against that binary, and its envelope against the Rust vault's
# (target/debug/examples/envelope-interop, which cargo test built).
(cd client-js && npm ci --no-audit --no-fund --loglevel=error && node --test)

# The portal, built by esbuild and served by that binary, in headless chromium (playwright-core).
(cd portal && npm ci --no-audit --no-fund --loglevel=error && node --test)
