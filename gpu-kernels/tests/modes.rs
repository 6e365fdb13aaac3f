//! Device selection: modes, the CPU path, and refusals that name what was wrong.

// Test set-up arithmetic on small known values.
#![allow(clippy::arithmetic_side_effects)]

use carechain_gpu::{
	cpu, AdapterPolicy, Arithmetic, Backend, Ed25519Item, Error, GpuContext, Mode, Verifier,
};
use sp_core::{ed25519, Pair};
use std::time::Duration;

#[test]
fn modes_parse_from_their_cli_names() {
	assert_eq!("auto".parse::<Mode>(), Ok(Mode::Auto));
	assert_eq!("gpu".parse::<Mode>(), Ok(Mode::Gpu));
	assert_eq!("cpu".parse::<Mode>(), Ok(Mode::Cpu));
	let error = "cuda".parse::<Mode>().expect_err("not a mode");
	assert!(error.contains("cuda") && error.contains("auto, gpu or cpu"), "{error}");
}

#[test]
fn field_representations_parse_and_the_preferred_one_follows_the_features() {
	assert_eq!("l13".parse::<Arithmetic>(), Ok(Arithmetic::Limbs13));
	assert_eq!("l16".parse::<Arithmetic>(), Ok(Arithmetic::Limbs16));
	assert_eq!("w32".parse::<Arithmetic>(), Ok(Arithmetic::Words32));
	let error = "l64".parse::<Arithmetic>().expect_err("not a representation");
	assert_eq!("r26".parse::<Arithmetic>(), Ok(Arithmetic::Limbs26));
	assert!(error.contains("l64") && error.contains("l13, l16, w32 or r26"), "{error}");
	// Without 64-bit integers the faster core-WGSL path, with them 25.5-bit limbs.
	assert_eq!(Arithmetic::preferred(wgpu::Features::empty()), Arithmetic::Limbs13);
	assert_eq!(Arithmetic::preferred(wgpu::Features::SHADER_INT64), Arithmetic::Limbs26);
	assert!(Arithmetic::ALL.iter().all(|a| a.features() == wgpu::Features::empty()
		|| matches!(a, Arithmetic::Words32 | Arithmetic::Limbs26)));
}

#[test]
fn cpu_mode_never_touches_the_gpu_and_matches_sp_core() {
	let verifier = Verifier::new(Mode::Cpu).expect("the CPU is always there");
	assert!(verifier.gpu().is_none());
	let pair = ed25519::Pair::from_seed(&[3u8; 32]);
	let good = pair.sign(b"hello").0;
	let mut bad = good;
	bad[0] ^= 1;
	let public = pair.public().0;
	let items = [
		Ed25519Item { message: b"hello", public: &public, signature: &good },
		Ed25519Item { message: b"hello", public: &public, signature: &bad },
	];
	assert_eq!(verifier.verify_ed25519(&items).expect("runs"), (vec![true, false], Backend::Cpu));
	let (digests, backend) = verifier.blake2b_256(&[b"abc"]).expect("runs");
	assert_eq!((digests[0], backend), (cpu::blake2b_256(b"abc"), Backend::Cpu));
}

#[test]
fn auto_mode_uses_the_cpu_below_the_crossover_or_without_hardware() {
	let verifier = Verifier::new(Mode::Auto).expect("auto always has the CPU");
	let small: Vec<&[u8]> = vec![b"x"; 3];
	let (_, backend) = verifier.blake2b_256(&small).expect("runs");
	assert_eq!(backend, Backend::Cpu, "a batch of 3 is below any crossover");
	if verifier.gpu().is_none() {
		let many: Vec<&[u8]> = vec![b"x"; 10_000];
		assert_eq!(verifier.blake2b_256(&many).expect("runs").1, Backend::Cpu);
	}
}

#[test]
fn verify_needs_one_expected_digest_per_message() {
	let verifier = Verifier::new(Mode::Cpu).expect("the CPU is always there");
	match verifier.blake2b_256_verify(&[b"a", b"b"], &[[0u8; 32]]) {
		Err(Error::LengthMismatch { messages: 2, expected: 1 }) => {}
		other => panic!("expected LengthMismatch, got {other:?}"),
	}
	let (differing, _) = verifier
		.blake2b_256_verify(&[b"a", b"b"], &[cpu::blake2b_256(b"a"), [0u8; 32]])
		.expect("runs");
	assert_eq!(differing, vec![1]);
}

#[test]
fn the_field_arithmetic_can_be_chosen_and_the_cpu_ignores_it() {
	let cpu = Verifier::new(Mode::Cpu).expect("the CPU is always there");
	let cpu = cpu.with_arithmetic(Arithmetic::Limbs13).expect("nothing to change without a GPU");
	assert!(cpu.gpu().is_none());
	let gpu = Verifier::new(Mode::Gpu).expect("lavapipe at least (mesa-vulkan-drivers)");
	let context = gpu.gpu().expect("a context");
	let preferred = context.arithmetic();
	let features = if context.supports(Arithmetic::Limbs26) {
		wgpu::Features::SHADER_INT64
	} else {
		wgpu::Features::empty()
	};
	assert_eq!(preferred, Arithmetic::preferred(features));
	let gpu = gpu.with_arithmetic(Arithmetic::Limbs13).expect("core WGSL runs everywhere");
	assert_eq!(gpu.gpu().expect("a context").arithmetic(), Arithmetic::Limbs13);
}

fn signed_batch(n: usize) -> Vec<(Vec<u8>, [u8; 32], [u8; 64])> {
	let pair = ed25519::Pair::from_seed(&[9u8; 32]);
	(0..n)
		.map(|i| {
			let message = format!("transfer #{i}").into_bytes();
			let mut signature = pair.sign(&message).0;
			if i % 5 == 3 {
				signature[0] ^= 1;
			}
			(message, pair.public().0, signature)
		})
		.collect()
}

fn items(batch: &[(Vec<u8>, [u8; 32], [u8; 64])]) -> Vec<Ed25519Item<'_>> {
	batch.iter().map(|(m, p, s)| Ed25519Item { message: m, public: p, signature: s }).collect()
}

/// A batch that outlasts the timeout goes to the CPU with the right verdicts, the reason is
/// kept, and later batches go straight to the CPU: the caller neither panics nor hangs.
#[test]
fn a_batch_past_the_timeout_falls_back_to_the_cpu() {
	let context = GpuContext::new(AdapterPolicy::AllowSoftware)
		.expect("lavapipe at least (mesa-vulkan-drivers)")
		.with_timeout(Duration::from_nanos(1));
	let verifier = Verifier::with_context(context, Mode::Gpu);
	let batch = signed_batch(512);
	let items = items(&batch);
	let (verdicts, backend) = verifier.verify_ed25519(&items).expect("falls back, no error");
	assert_eq!(backend, Backend::Cpu);
	assert_eq!(verdicts, cpu::verify_ed25519_each(&items));
	let failure = verifier.gpu().expect("a context").failure().expect("the reason is kept");
	assert!(failure.contains("timed out") || failure.contains("Timeout"), "{failure}");
	assert_eq!(verifier.verify_ed25519(&items).expect("runs").1, Backend::Cpu);
	assert_eq!(verifier.blake2b_256(&[b"abc"]).expect("runs").1, Backend::Cpu);
}

/// A lost device (destroyed, as a driver reset would lose it) sends every batch to the CPU
/// with the right results, without a panic from wgpu's error handler.
#[test]
fn a_lost_device_falls_back_to_the_cpu() {
	let context = GpuContext::new(AdapterPolicy::AllowSoftware)
		.expect("lavapipe at least (mesa-vulkan-drivers)");
	let verifier = Verifier::with_context(context, Mode::Gpu);
	let gpu = verifier.gpu().expect("a context");
	assert!(gpu.failure().is_none());
	gpu.lose_device_for_testing();
	let batch = signed_batch(70);
	let items = items(&batch);
	let (verdicts, backend) = verifier.verify_ed25519(&items).expect("falls back, no error");
	assert_eq!(backend, Backend::Cpu);
	assert_eq!(verdicts, cpu::verify_ed25519_each(&items));
	assert!(gpu.failure().is_some());
	let (digests, backend) = verifier.blake2b_256(&[b"abc"]).expect("falls back");
	assert_eq!((digests[0], backend), (cpu::blake2b_256(b"abc"), Backend::Cpu));
}

/// The same when hashing is the first thing asked of the lost device.
#[test]
fn a_lost_device_falls_back_to_the_cpu_for_hashing_too() {
	let context = GpuContext::new(AdapterPolicy::AllowSoftware)
		.expect("lavapipe at least (mesa-vulkan-drivers)");
	let verifier = Verifier::with_context(context, Mode::Gpu);
	verifier.gpu().expect("a context").lose_device_for_testing();
	let blobs: Vec<&[u8]> = vec![b"record", b"", &[7u8; 300]];
	let (digests, backend) = verifier.blake2b_256(&blobs).expect("falls back, no error");
	assert_eq!(backend, Backend::Cpu);
	assert_eq!(digests, cpu::blake2b_256_batch(&blobs));
	let expected = [cpu::blake2b_256(b"record"), [0; 32], cpu::blake2b_256(&[7u8; 300])];
	assert_eq!(verifier.blake2b_256_verify(&blobs, &expected).expect("falls back").0, vec![1]);
}
