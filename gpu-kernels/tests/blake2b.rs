//! blake2b-256 on the GPU against blake2b_simd.

// Test set-up arithmetic on small known values.
#![allow(clippy::arithmetic_side_effects)]

mod common;

use carechain_gpu::{cpu, Backend};
use rand::{rngs::StdRng, RngCore, SeedableRng};

#[test]
fn every_length_up_to_4_kib_matches_blake2b_simd() {
	let verifier = common::gpu_verifier();
	let mut rng = StdRng::seed_from_u64(7);
	let messages: Vec<Vec<u8>> = (0..=4096)
		.map(|len| {
			let mut m = vec![0u8; len];
			rng.fill_bytes(&mut m);
			m
		})
		.collect();
	let refs: Vec<&[u8]> = messages.iter().map(Vec::as_slice).collect();
	let (digests, backend) = verifier.blake2b_256(&refs).expect("hashes");
	assert_eq!(backend, Backend::Gpu);
	for (len, (digest, message)) in digests.iter().zip(&messages).enumerate() {
		assert_eq!(*digest, cpu::blake2b_256(message), "length {len}");
	}
}

#[test]
fn multi_mib_blobs_match_blake2b_simd() {
	let verifier = common::gpu_verifier();
	let mut rng = StdRng::seed_from_u64(8);
	let messages: Vec<Vec<u8>> = [(2 << 20) + 17, 3 << 20, 1]
		.iter()
		.map(|&len| {
			let mut m = vec![0u8; len];
			rng.fill_bytes(&mut m);
			m
		})
		.collect();
	let refs: Vec<&[u8]> = messages.iter().map(Vec::as_slice).collect();
	let (digests, _) = verifier.blake2b_256(&refs).expect("hashes");
	assert_eq!(digests, cpu::blake2b_256_batch(&refs));
}

#[test]
fn verify_reports_exactly_the_differing_indices() {
	let verifier = common::gpu_verifier();
	let messages: Vec<Vec<u8>> = (0..300u32).map(|i| i.to_le_bytes().repeat(i as usize)).collect();
	let refs: Vec<&[u8]> = messages.iter().map(Vec::as_slice).collect();
	let mut expected = cpu::blake2b_256_batch(&refs);
	for i in [0usize, 17, 299] {
		expected[i][5] ^= 1;
	}
	let (differing, backend) = verifier.blake2b_256_verify(&refs, &expected).expect("verifies");
	assert_eq!(backend, Backend::Gpu);
	assert_eq!(differing, vec![0, 17, 299]);
	assert!(verifier.blake2b_256_verify(&refs, &expected[..10]).is_err());
}
