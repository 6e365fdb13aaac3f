//! Shared set-up: the GPU tests run on any adapter, lavapipe included, and fail loudly when
//! there is none. One verifier per test binary, so kernels compile once.

// Test set-up arithmetic on small known values.
#![allow(clippy::arithmetic_side_effects)]

use carechain_gpu::{AdapterPolicy, Arithmetic, GpuContext, Mode, Verifier};
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

/// One GPU verifier per field representation ([`Arithmetic`]), each on its own context over
/// the same adapter. Every representation must run on a software adapter (lavapipe has 64-bit
/// integers); a hardware adapter without SHADER_INT64 runs the two core-WGSL ones, and says so.
#[allow(dead_code)] // not every test binary compares representations
pub fn gpu_verifiers() -> &'static [(Arithmetic, Verifier)] {
	static VERIFIERS: OnceLock<Vec<(Arithmetic, Verifier)>> = OnceLock::new();
	VERIFIERS.get_or_init(|| {
		let software = gpu_verifier().gpu().expect("Mode::Gpu has a context").is_software();
		Arithmetic::ALL
			.into_iter()
			.filter_map(|arithmetic| {
				let context = GpuContext::new(AdapterPolicy::AllowSoftware)
					.expect("the adapter of gpu_verifier is still there");
				match context.with_arithmetic(arithmetic) {
					Ok(context) => Some((arithmetic, Verifier::with_context(context, Mode::Gpu))),
					Err(e) if !software => {
						eprintln!("not testing {}: {e}", arithmetic.name());
						None
					}
					Err(e) => panic!("lavapipe should run every representation: {e}"),
				}
			})
			.collect()
	})
}
