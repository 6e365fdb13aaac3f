//! The GPU kernel against `sp_core::ed25519`, verdict by verdict, on 100,000 random and
//! adversarial triples (`carechain_gpu::differential`: valid, bit flips, small-order and
//! mixed-order points, non-canonical encodings, S near l, messages of 0 to 2,048 bytes) with
//! the preferred field representation, in batches of sizes that straddle the workgroup, the
//! buffers' growth and (with dispatches held to 1 MiB) the chunk boundaries; and 10,000 of them
//! with each other representation.

// Test set-up arithmetic on small known values.
#![allow(clippy::arithmetic_side_effects)]

mod common;

use carechain_gpu::{
	cpu,
	differential::{self, Case},
	AdapterPolicy, Backend, Ed25519Item, GpuContext, Mode, Verifier,
};
use std::time::Instant;

const SEED: u64 = 25;

/// Batch sizes that straddle a workgroup (64), the buffers' power-of-two growth and, with
/// 1 MiB dispatches, several chunks (about 1,600 triples each); then the rest in one batch.
const BATCHES: [usize; 12] = [1, 63, 64, 65, 127, 129, 1_000, 4_095, 4_096, 4_097, 8_193, 20_000];

fn check(verifier: &Verifier, cases: &[Case], expected: &[bool], batches: &[usize]) {
	let items: Vec<Ed25519Item> = cases.iter().map(Case::item).collect();
	let started = Instant::now();
	let mut at = 0;
	let mut sizes = batches.to_vec();
	sizes.push(items.len().saturating_sub(batches.iter().sum()));
	for size in sizes {
		let end = (at + size).min(items.len());
		let (verdicts, backend) = verifier.verify_ed25519(&items[at..end]).expect("the batch runs");
		assert_eq!(backend, Backend::Gpu);
		for (i, (got, want)) in verdicts.iter().zip(&expected[at..end]).enumerate() {
			let case = &cases[at + i];
			assert_eq!(got, want, "case {} ({}): {:02x?}", at + i, case.kind, case.item());
		}
		at = end;
	}
	assert_eq!(at, items.len());
	eprintln!("{} triples on the GPU in {:.1?}", items.len(), started.elapsed());
}

#[test]
fn a_hundred_thousand_random_and_adversarial_triples_match_sp_core() {
	let started = Instant::now();
	let cases = differential::cases(SEED, 0, 100_000);
	let items: Vec<Ed25519Item> = cases.iter().map(Case::item).collect();
	let expected = cpu::verify_ed25519_each(&items);
	let accepted = expected.iter().filter(|v| **v).count();
	eprintln!("made and checked on the CPU in {:.1?}: {accepted} accepted", started.elapsed());
	// Every kind reaches both verdicts where it can: the set is not trivially all-valid.
	let accepted_of =
		|kind: &str| cases.iter().zip(&expected).filter(|(c, v)| c.kind == kind && **v).count();
	assert!(accepted_of("mixed-order A") > 1_000, "ZIP-215 accepts torsion in A");
	assert!(accepted_of("small-order A") > 100);
	assert_eq!(accepted_of("S near l"), 0);
	assert!(accepted > 40_000 && accepted < 80_000, "{accepted}");

	let preferred = common::gpu_verifier().gpu().expect("a context").arithmetic();
	let context = GpuContext::new(AdapterPolicy::AllowSoftware)
		.expect("the adapter of gpu_verifier")
		.with_max_binding_for_testing(1 << 20);
	let chunked = Verifier::with_context(context, Mode::Gpu);
	eprintln!("field arithmetic: {} (1 MiB dispatches)", preferred.name());
	check(&chunked, &cases, &expected, &BATCHES);

	for (arithmetic, verifier) in common::gpu_verifiers() {
		if *arithmetic != preferred {
			eprintln!("field arithmetic: {}", arithmetic.name());
			check(verifier, &cases[..10_000], &expected[..10_000], &[1, 63, 65, 4_097]);
		}
	}
}
