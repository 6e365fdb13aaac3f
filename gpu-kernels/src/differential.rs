//! Random and adversarial ed25519 triples for differential checks of the GPU kernel against
//! `sp_core::ed25519`: the test `tests/differential.rs` runs 100,000 of them on lavapipe, and
//! `carechain-gpu-bench --differential N` any number on a hardware GPU.
//!
//! Case `index` of a seed is a pure function of (seed, index), so any range of cases can be made
//! on any core, in any order, without the cases before it. The kinds, one in sixteen each
//! (valid ones six times): valid signatures over messages of 0 to 2,048 bytes; a flipped bit in
//! R, S, A or the message; small-order A and R (every encoding of the eight torsion points,
//! non-canonical ones included) with S = 0 or random; a public key or R with a torsion
//! component, which the cofactored equation of ZIP-215 accepts; non-canonical encodings of A
//! and R (y + p, and x = 0 with the sign bit set); S near l and at l; and random bytes.

// Test-data arithmetic on small known values.
#![allow(clippy::arithmetic_side_effects)]

use crate::Ed25519Item;
use curve25519_dalek::{
	constants::{ED25519_BASEPOINT_TABLE, EIGHT_TORSION},
	edwards::{CompressedEdwardsY, EdwardsPoint},
	scalar::Scalar,
};
use rand::{rngs::StdRng, Rng, RngCore, SeedableRng};
use sha2::{Digest, Sha512};

/// One triple, owned.
#[derive(Clone, Debug)]
pub struct Case {
	/// The message.
	pub message: Vec<u8>,
	/// The public key's encoding.
	pub public: [u8; 32],
	/// R's encoding, then S.
	pub signature: [u8; 64],
	/// What the case exercises, for failure messages.
	pub kind: &'static str,
}

impl Case {
	/// The triple as the verifier takes it.
	pub fn item(&self) -> Ed25519Item<'_> {
		Ed25519Item { message: &self.message, public: &self.public, signature: &self.signature }
	}
}

/// Cases `start..start + count` of `seed`.
pub fn cases(seed: u64, start: u64, count: usize) -> Vec<Case> {
	use rayon::prelude::*;
	(start..start + count as u64).into_par_iter().map(|index| case(seed, index)).collect()
}

/// Case `index` of `seed`.
pub fn case(seed: u64, index: u64) -> Case {
	let mut rng = StdRng::seed_from_u64(seed ^ index.wrapping_mul(0x9e37_79b9_7f4a_7c15));
	match index % 16 {
		0..=5 => valid(&mut rng, "valid"),
		6 => flipped(&mut rng, 0, "bit flip in R"),
		7 => flipped(&mut rng, 1, "bit flip in S"),
		8 => flipped(&mut rng, 2, "bit flip in A"),
		9 => flipped(&mut rng, 3, "changed message"),
		10 => small_order(&mut rng),
		11 => mixed_order(&mut rng),
		12 => non_canonical(&mut rng),
		13 => s_near_l(&mut rng),
		14 => {
			// Torsion in R only: also accepted by the cofactored equation.
			let mut case = mixed_order(&mut rng);
			case.kind = "mixed-order A and R";
			case
		}
		_ => random_bytes(&mut rng),
	}
}

/// A message of 0 to 2,048 bytes, short ones more often (most transactions are).
fn message(rng: &mut StdRng) -> Vec<u8> {
	let len = match rng.gen_range(0..4) {
		0 => rng.gen_range(0..=64),
		1 => rng.gen_range(0..=256),
		_ => rng.gen_range(0..=crate::MAX_MESSAGE_LEN),
	};
	let mut m = vec![0u8; len];
	rng.fill_bytes(&mut m);
	m
}

fn random_scalar(rng: &mut StdRng) -> Scalar {
	let mut wide = [0u8; 64];
	rng.fill_bytes(&mut wide);
	Scalar::from_bytes_mod_order_wide(&wide)
}

fn challenge(r: &[u8; 32], a: &[u8; 32], message: &[u8]) -> Scalar {
	let mut h = Sha512::new();
	h.update(r);
	h.update(a);
	h.update(message);
	Scalar::from_hash(h)
}

/// A signature by secret `a` over `message` with public point `public` (a·B plus any torsion)
/// and nonce point `r_point` (r·B plus any torsion), whose encodings are the ones hashed.
fn signature(
	a: &Scalar,
	public: &[u8; 32],
	r: &Scalar,
	r_encoding: &[u8; 32],
	message: &[u8],
) -> [u8; 64] {
	let s = r + challenge(r_encoding, public, message) * a;
	let mut signature = [0u8; 64];
	signature[..32].copy_from_slice(r_encoding);
	signature[32..].copy_from_slice(s.as_bytes());
	signature
}

fn valid(rng: &mut StdRng, kind: &'static str) -> Case {
	let a = random_scalar(rng);
	let public = (&a * ED25519_BASEPOINT_TABLE).compress().to_bytes();
	let r = random_scalar(rng);
	let r_encoding = (&r * ED25519_BASEPOINT_TABLE).compress().to_bytes();
	let message = message(rng);
	let signature = signature(&a, &public, &r, &r_encoding, &message);
	Case { message, public, signature, kind }
}

fn flipped(rng: &mut StdRng, part: u8, kind: &'static str) -> Case {
	let mut case = valid(rng, kind);
	let bit = rng.gen_range(0..256usize);
	match part {
		0 => case.signature[bit / 8] ^= 1 << (bit % 8),
		1 => case.signature[32 + bit / 8] ^= 1 << (bit % 8),
		2 => case.public[bit / 8] ^= 1 << (bit % 8),
		_ if case.message.is_empty() => case.message.push(rng.gen()),
		_ => {
			let at = rng.gen_range(0..case.message.len() * 8);
			case.message[at / 8] ^= 1 << (at % 8);
		}
	}
	case
}

/// Every encoding of a small-order point: canonical, with the sign bit flipped, and y + p
/// where that is below 2^255.
pub fn small_order_encodings() -> Vec<[u8; 32]> {
	let mut encodings = Vec::new();
	for point in EIGHT_TORSION {
		let canonical = point.compress().to_bytes();
		let mut flipped = canonical;
		flipped[31] ^= 0x80;
		encodings.extend([canonical, flipped]);
		if let Some(plus_p) = plus_p(&canonical) {
			let mut other = plus_p;
			other[31] ^= 0x80;
			encodings.extend([plus_p, other]);
		}
	}
	encodings.sort();
	encodings.dedup();
	encodings
}

/// The encoding with y + p in place of y, where y + p < 2^255 (y < 19), keeping the sign bit.
fn plus_p(encoding: &[u8; 32]) -> Option<[u8; 32]> {
	let mut y = *encoding;
	y[31] &= 0x7f;
	if y[1..].iter().any(|b| *b != 0) || y[0] >= 19 {
		return None;
	}
	// p = 2^255 - 19: y + p = 2^255 - 19 + y, with y < 19 a single byte.
	let mut e = [0xffu8; 32];
	e[0] = 0xed + y[0];
	e[31] = 0x7f | (encoding[31] & 0x80);
	Some(e)
}

fn small_order(rng: &mut StdRng) -> Case {
	let encodings = small_order_encodings();
	let pick = |rng: &mut StdRng| encodings[rng.gen_range(0..encodings.len())];
	let public = pick(rng);
	let mut signature = [0u8; 64];
	match rng.gen_range(0..3) {
		// Small-order A and R, S = 0: ZIP-215 accepts whenever both decompress.
		0 => signature[..32].copy_from_slice(&pick(rng)),
		// Small-order A, a valid-looking R and S.
		1 => {
			let r = random_scalar(rng);
			signature[..32].copy_from_slice((&r * ED25519_BASEPOINT_TABLE).compress().as_bytes());
			signature[32..].copy_from_slice(random_scalar(rng).as_bytes());
		}
		// A real signer's key, small-order R, S = k·a: [S]B = [k]A, R vanishes under [8].
		_ => {
			let a = random_scalar(rng);
			let public = (&a * ED25519_BASEPOINT_TABLE).compress().to_bytes();
			let r_encoding = pick(rng);
			let message = message(rng);
			let s = challenge(&r_encoding, &public, &message) * a;
			signature[..32].copy_from_slice(&r_encoding);
			signature[32..].copy_from_slice(s.as_bytes());
			return Case { message, public, signature, kind: "small-order R" };
		}
	}
	Case { message: message(rng), public, signature, kind: "small-order A" }
}

/// A key a·B + T and a nonce r·B (+ T' in half of them) with T, T' torsion points: the
/// cofactored equation holds, the cofactorless one only when k·T + T' vanishes.
fn mixed_order(rng: &mut StdRng) -> Case {
	let torsion = |rng: &mut StdRng| EIGHT_TORSION[rng.gen_range(1..8)];
	let a = random_scalar(rng);
	let public_point: EdwardsPoint = &a * ED25519_BASEPOINT_TABLE + torsion(rng);
	let public = public_point.compress().to_bytes();
	let r = random_scalar(rng);
	let mut r_point = &r * ED25519_BASEPOINT_TABLE;
	if rng.gen() {
		r_point += torsion(rng);
	}
	let r_encoding = r_point.compress().to_bytes();
	let message = message(rng);
	let signature = signature(&a, &public, &r, &r_encoding, &message);
	Case { message, public, signature, kind: "mixed-order A" }
}

/// A or R re-encoded non-canonically: y + p for the points with y < 19 that exist, or x = 0
/// with the sign bit set (y = 1 and y = -1); the signature is made over the encoding used.
fn non_canonical(rng: &mut StdRng) -> Case {
	let mut odd = Vec::new();
	for y in 0u8..19 {
		for sign in [0u8, 0x80] {
			let mut canonical = [0u8; 32];
			canonical[0] = y;
			canonical[31] = sign;
			if let Some(e) = plus_p(&canonical) {
				odd.push(e);
			}
			odd.push(canonical);
		}
	}
	let encoding = odd[rng.gen_range(0..odd.len())];
	let mut case = valid(rng, "non-canonical A or R");
	if CompressedEdwardsY(encoding).decompress().is_none() || rng.gen() {
		// As R: a random S; it must fail unless the equation happens to hold.
		case.signature[..32].copy_from_slice(&encoding);
	} else {
		case.public = encoding;
	}
	case
}

fn s_near_l(rng: &mut StdRng) -> Case {
	let mut case = valid(rng, "S near l");
	// l = 2^252 + 27742317777372353535851937790883648493, little-endian.
	let l: [u8; 32] = [
		0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde,
		0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
	];
	let add = |a: &[u8; 32], b: &[u8; 32]| {
		let mut out = [0u8; 32];
		let mut carry = 0u16;
		for i in 0..32 {
			let v = u16::from(a[i]) + u16::from(b[i]) + carry;
			out[i] = v as u8;
			carry = v >> 8;
		}
		out
	};
	let small = |v: u8| {
		let mut b = [0u8; 32];
		b[0] = v;
		b
	};
	let s: [u8; 32] = case.signature[32..].try_into().expect("32 bytes");
	let minus_one = {
		let mut b = l;
		b[0] -= 1;
		b
	};
	let new_s = match rng.gen_range(0..6) {
		0 => add(&s, &l), // the same scalar, not reduced: refused
		1 => l,           // refused
		2 => minus_one,   // canonical, wrong
		3 => add(&l, &small(rng.gen_range(1..=255))), // just past l
		4 => [0xff; 32],  // 2^256 - 1
		_ => {
			let mut b = minus_one;
			b[0] -= rng.gen_range(0..=200);
			b
		}
	};
	case.signature[32..].copy_from_slice(&new_s);
	case
}

fn random_bytes(rng: &mut StdRng) -> Case {
	let mut public = [0u8; 32];
	let mut signature = [0u8; 64];
	rng.fill_bytes(&mut public);
	rng.fill_bytes(&mut signature);
	signature[63] &= 0x0f;
	Case { message: message(rng), public, signature, kind: "random bytes" }
}
