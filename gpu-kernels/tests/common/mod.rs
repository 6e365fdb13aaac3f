//! Shared set-up: the GPU tests run on any adapter, lavapipe included, and fail loudly when
//! there is none. One verifier per test binary, so kernels compile once.

// Test set-up arithmetic on small known values.
#![allow(clippy::arithmetic_side_effects)]

use carechain_gpu::{Mode, Verifier};
use std::sync::OnceLock;

/// A verifier that uses the GPU for every batch.
pub fn gpu_verifier() -> &'static Verifier {
	static VERIFIER: OnceLock<Verifier> = OnceLock::new();
	VERIFIER.get_or_init(|| match Verifier::new(Mode::Gpu) {
		Ok(verifier) => {
			let gpu = verifier.gpu().expect("Mode::Gpu has a context");
			eprintln!("adapter: {}", gpu.adapter_name());
			verifier
		}
		Err(e) => panic!(
			"no GPU adapter, not even a software one: {e}. The GPU tests need Mesa's lavapipe \
			 (apt-get install mesa-vulkan-drivers libvulkan1); they never pass without running."
		),
	})
}
