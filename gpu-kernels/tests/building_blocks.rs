//! The ed25519 kernel's building blocks on the GPU, one by one, against the CPU: field
//! arithmetic against big integers, decompression against curve25519-dalek.

// Reference arithmetic on small known values.
#![allow(clippy::arithmetic_side_effects)]

mod common;

use curve25519_dalek::edwards::CompressedEdwardsY;
use num_bigint::BigUint;
use rand::{rngs::StdRng, RngCore, SeedableRng};

fn p() -> BigUint {
	(BigUint::from(1u8) << 255u32) - BigUint::from(19u8)
}

fn to_words(bytes: &[u8; 32]) -> [u32; 8] {
	let mut w = [0u32; 8];
	for (i, chunk) in bytes.chunks_exact(4).enumerate() {
		w[i] = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
	}
	w
}

fn from_words(w: &[u32]) -> BigUint {
	BigUint::from_bytes_le(&w.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<_>>())
}

/// Encodings to feed the field: random, and the edges (0, 1, p-1, p, p+1, 2^255-1).
/// Output words per pair of `probe_field`: nine field elements.
const FIELD_OUT: usize = 72;

fn field_inputs() -> Vec<[u8; 32]> {
	let mut rng = StdRng::seed_from_u64(11);
	let mut inputs: Vec<[u8; 32]> = (0..48)
		.map(|_| {
			let mut b = [0u8; 32];
			rng.fill_bytes(&mut b);
			b[31] &= 0x7f;
			b
		})
		.collect();
	for v in [
		BigUint::from(0u8),
		BigUint::from(1u8),
		p() - 1u8,
		p(),
		p() + 1u8,
		(BigUint::from(1u8) << 255u32) - 1u8,
	] {
		let mut b = [0u8; 32];
		let bytes = v.to_bytes_le();
		b[..bytes.len()].copy_from_slice(&bytes);
		inputs.push(b);
	}
	inputs
}

#[test]
fn field_arithmetic_matches_big_integers() {
	let inputs = field_inputs();
	let pairs: Vec<(&[u8; 32], &[u8; 32])> = inputs.iter().zip(inputs.iter().rev()).collect();
	let words: Vec<u32> =
		pairs.iter().flat_map(|(a, b)| to_words(a).into_iter().chain(to_words(b))).collect();
	let p = p();
	let exponent = (BigUint::from(1u8) << 252u32) - 3u8;
	for (arithmetic, verifier) in common::gpu_verifiers() {
		let gpu = verifier.gpu().expect("a GPU context");
		let name = arithmetic.name();
		let out = gpu
			.probe("probe_field", &words, pairs.len() * FIELD_OUT, pairs.len() as u32)
			.expect("runs");
		for (i, (a, b)) in pairs.iter().enumerate() {
			let (a, b) = (BigUint::from_bytes_le(*a) % &p, BigUint::from_bytes_le(*b) % &p);
			let o = &out[i * FIELD_OUT..(i + 1) * FIELD_OUT];
			let ab = (&a * &b) % &p;
			let bb = (&b * &b) % &p;
			assert_eq!(from_words(&o[0..8]), ab, "{name}: mul, pair {i}");
			assert_eq!(from_words(&o[8..16]), (&a * &a) % &p, "{name}: square, pair {i}");
			assert_eq!(from_words(&o[16..24]), (&a + &b) % &p, "{name}: add, pair {i}");
			assert_eq!(from_words(&o[24..32]), (&a + &p - &b) % &p, "{name}: sub, pair {i}");
			let pow = a.modpow(&exponent, &p);
			assert_eq!(from_words(&o[32..40]), pow, "{name}: pow22523, pair {i}");
			// On the unreduced outputs of mul and square, as the kernel uses them.
			assert_eq!(from_words(&o[40..48]), (&ab + &bb) % &p, "{name}: ab + b^2, pair {i}");
			assert_eq!(from_words(&o[48..56]), (&ab + &p - &bb) % &p, "{name}: ab - b^2, {i}");
			assert_eq!(from_words(&o[56..64]), (&ab * &bb) % &p, "{name}: ab * b^2, pair {i}");
			assert_eq!(from_words(&o[64..72]), (&p - &ab) % &p, "{name}: -ab, pair {i}");
		}
	}
}

#[test]
fn decompression_matches_curve25519_dalek() {
	let mut rng = StdRng::seed_from_u64(12);
	let mut encodings: Vec<[u8; 32]> = (0..64)
		.map(|_| {
			let mut b = [0u8; 32];
			rng.fill_bytes(&mut b);
			b
		})
		.collect();
	// Valid points, small-order points, and non-canonical encodings (y >= p, x = 0 with the
	// sign bit set).
	for k in 1u8..=8 {
		let point = curve25519_dalek::constants::ED25519_BASEPOINT_POINT
			* curve25519_dalek::Scalar::from(k);
		encodings.push(point.compress().to_bytes());
	}
	for torsion in curve25519_dalek::constants::EIGHT_TORSION {
		let mut b = torsion.compress().to_bytes();
		encodings.push(b);
		b[31] ^= 0x80;
		encodings.push(b);
	}
	for y in 0u8..19 {
		let mut b = p().to_bytes_le();
		b.resize(32, 0);
		b[0] = b[0].wrapping_add(y);
		let mut e = [0u8; 32];
		e.copy_from_slice(&b);
		encodings.push(e);
		e[31] |= 0x80;
		encodings.push(e);
	}
	let words: Vec<u32> = encodings.iter().flat_map(to_words).collect();
	for (arithmetic, verifier) in common::gpu_verifiers() {
		let gpu = verifier.gpu().expect("a GPU context");
		let name = arithmetic.name();
		let out = gpu
			.probe("probe_decompress", &words, encodings.len() * 9, encodings.len() as u32)
			.expect("runs");
		for (i, encoding) in encodings.iter().enumerate() {
			let expected = CompressedEdwardsY(*encoding).decompress();
			let o = &out[i * 9..i * 9 + 9];
			assert_eq!(
				o[0] == 1,
				expected.is_some(),
				"{name}: decompresses, encoding {i}: {encoding:02x?}"
			);
			if let Some(point) = expected {
				let gpu_encoding: Vec<u8> = o[1..].iter().flat_map(|w| w.to_le_bytes()).collect();
				let want = point.compress().to_bytes().to_vec();
				assert_eq!(gpu_encoding, want, "{name}: point, encoding {i}");
			}
		}
	}
}

/// The grid a dispatch uses covers every item exactly once, with no row more than it needs,
/// for batches up to and past the 65,535 workgroups (4,194,240 invocations) of one row.
#[test]
fn the_dispatch_grid_covers_every_item_once_past_one_row() {
	for count in
		[1u32, 63, 64, 65, 4_194_176, 4_194_239, 4_194_240, 4_194_241, 8_388_481, 44_739_242]
	{
		let (x, y) = carechain_gpu::dispatch_grid(count);
		assert!((1..=65_535).contains(&x) && (1..=65_535).contains(&y), "{count}: {x} x {y}");
		let covered = u64::from(x) * u64::from(y) * 64;
		assert!(covered >= u64::from(count), "{count}: {x} x {y} covers {covered}");
		assert!(u64::from(x) * (u64::from(y) - 1) * 64 < u64::from(count), "{count}: a spare row");
		// Row-major numbering: the corners, and the first invocation of the second row.
		assert_eq!(carechain_gpu::invocation_index(0, 0, x, 0), 0);
		assert_eq!(carechain_gpu::invocation_index(x - 1, y - 1, x, 63), covered - 1);
		if y > 1 {
			assert_eq!(carechain_gpu::invocation_index(0, 1, x, 0), u64::from(x) * 64);
		}
		// The shader computes in u32: no index below `count` may wrap.
		assert!(covered <= 1 << 32, "{count}");
	}
}

/// The same on the device: one invocation per item of a batch one past the first row, each
/// writing its own index, every index written.
#[test]
fn a_dispatch_past_one_row_reaches_every_item_on_the_device() {
	let count = 65_535 * 64 + 1;
	let gpu = common::gpu_verifier().gpu().expect("a GPU context");
	let out = gpu.probe("probe_dispatch", &[0], count as usize, count).expect("runs");
	let wrong: Vec<usize> =
		out.iter().enumerate().filter(|(i, v)| **v != *i as u32).map(|(i, _)| i).take(5).collect();
	assert!(wrong.is_empty(), "items not reached or reached twice: {wrong:?}");
}
