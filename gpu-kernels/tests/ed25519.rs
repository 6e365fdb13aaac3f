//! ed25519 on the GPU against sp-core, verdict by verdict: seeded valid signatures, bit flips
//! in R, S, A and M, S >= l, non-canonical encodings of R and A, the eight small-order points as
//! A and as R, messages of every length from 0 to 1 KiB, and one batch mixing all of them.

// Test set-up arithmetic on small known values.
#![allow(clippy::arithmetic_side_effects)]

mod common;

use carechain_gpu::{
	cpu, differential::small_order_encodings, Backend, Ed25519Item, Error, Verifier,
	MAX_MESSAGE_LEN,
};
use curve25519_dalek::edwards::CompressedEdwardsY;
use num_bigint::BigUint;
use rand::{rngs::StdRng, Rng, RngCore, SeedableRng};
use sp_core::{ed25519, Pair};

/// One case: owned message, key and signature, and what it exercises.
#[derive(Clone)]
struct Case {
	what: String,
	message: Vec<u8>,
	public: [u8; 32],
	signature: [u8; 64],
}

impl Case {
	fn item(&self) -> Ed25519Item<'_> {
		Ed25519Item { message: &self.message, public: &self.public, signature: &self.signature }
	}
}

fn signed(rng: &mut StdRng, what: &str, message: Vec<u8>) -> Case {
	let mut seed = [0u8; 32];
	rng.fill_bytes(&mut seed);
	let pair = ed25519::Pair::from_seed(&seed);
	let signature = pair.sign(&message).0;
	Case { what: what.into(), message, public: pair.public().0, signature }
}

fn random_message(rng: &mut StdRng, max: usize) -> Vec<u8> {
	let mut m = vec![0u8; rng.gen_range(0..=max)];
	rng.fill_bytes(&mut m);
	m
}

fn valid_cases(rng: &mut StdRng, n: usize) -> Vec<Case> {
	(0..n)
		.map(|i| {
			let message = random_message(rng, 300);
			signed(rng, &format!("valid #{i}"), message)
		})
		.collect()
}

fn bit_flip_cases(rng: &mut StdRng) -> Vec<Case> {
	let mut cases = Vec::new();
	for part in ["R", "S", "A", "M"] {
		for i in 0..6 {
			let message = random_message(rng, 200);
			let mut case = signed(rng, "", message);
			let bit = rng.gen_range(0..256);
			match part {
				"R" => case.signature[bit / 8] ^= 1 << (bit % 8),
				"S" => case.signature[32 + bit / 8] ^= 1 << (bit % 8),
				"A" => case.public[bit / 8] ^= 1 << (bit % 8),
				_ if case.message.is_empty() => case.message.push(1),
				_ => {
					let at = rng.gen_range(0..case.message.len() * 8);
					case.message[at / 8] ^= 1 << (at % 8);
				}
			}
			case.what = format!("bit flip in {part} #{i} (bit {bit})");
			cases.push(case);
		}
	}
	cases
}

fn ell() -> BigUint {
	(BigUint::from(1u8) << 252u32) + BigUint::from(27742317777372353535851937790883648493u128)
}

fn with_s(mut case: Case, s: BigUint, what: &str) -> Case {
	let mut bytes = s.to_bytes_le();
	bytes.resize(32, 0);
	case.signature[32..].copy_from_slice(&bytes[..32]);
	case.what = what.into();
	case
}

fn non_canonical_s_cases(rng: &mut StdRng) -> Vec<Case> {
	let base = signed(rng, "", b"S out of range".to_vec());
	let s = BigUint::from_bytes_le(&base.signature[32..]);
	vec![
		with_s(base.clone(), &s + ell(), "S + l (same scalar, not canonical)"),
		with_s(base.clone(), ell(), "S = l"),
		with_s(base.clone(), ell() - 1u8, "S = l - 1 (canonical, wrong)"),
		with_s(base, (BigUint::from(1u8) << 256u32) - 1u8, "S = 2^256 - 1"),
	]
}

/// ZIP-215's cases: small-order A and R, S = 0, so [8][S]B = [8]R + [8][k]A holds for every
/// encoding that decompresses.
fn small_order_cases() -> Vec<Case> {
	let encodings = small_order_encodings();
	let mut cases = Vec::new();
	for a in &encodings {
		for r in &encodings {
			let mut signature = [0u8; 64];
			signature[..32].copy_from_slice(r);
			cases.push(Case {
				what: format!("small-order A {a:02x?} R {r:02x?}"),
				message: b"Zcash".to_vec(),
				public: *a,
				signature,
			});
		}
	}
	cases
}

/// Valid signatures whose R or A is then re-encoded non-canonically where possible, and
/// encodings of points with y + p (2 <= y < 19) that decompress, as R and as A.
fn non_canonical_point_cases(rng: &mut StdRng) -> Vec<Case> {
	let p = (BigUint::from(1u8) << 255u32) - 19u8;
	let mut cases = Vec::new();
	for y in 2u8..19 {
		let mut bytes = (BigUint::from(y) + &p).to_bytes_le();
		bytes.resize(32, 0);
		let mut e = [0u8; 32];
		e.copy_from_slice(&bytes);
		for sign in [0u8, 0x80] {
			e[31] = (e[31] & 0x7f) | sign;
			let decompresses = CompressedEdwardsY(e).decompress().is_some();
			let mut as_r = signed(rng, "", b"non-canonical R".to_vec());
			as_r.signature[..32].copy_from_slice(&e);
			as_r.what = format!("R with y = {y} + p, sign {sign:#x}, decompresses: {decompresses}");
			let mut as_a = signed(rng, "", b"non-canonical A".to_vec());
			as_a.public = e;
			as_a.what = format!("A with y = {y} + p, sign {sign:#x}, decompresses: {decompresses}");
			cases.extend([as_r, as_a]);
		}
	}
	cases
}

fn every_length_cases(rng: &mut StdRng) -> Vec<Case> {
	(0..=1024)
		.map(|len| {
			let mut message = vec![0u8; len];
			rng.fill_bytes(&mut message);
			let mut case = signed(rng, &format!("length {len}"), message);
			if len % 7 == 3 {
				case.signature[40] ^= 0x10;
				case.what += " (corrupted)";
			}
			case
		})
		.collect()
}

fn assert_matches_sp_core(verifier: &Verifier, cases: &[Case]) -> Vec<bool> {
	let items: Vec<Ed25519Item> = cases.iter().map(Case::item).collect();
	let started = std::time::Instant::now();
	let (verdicts, backend) = verifier.verify_ed25519(&items).expect("the batch runs");
	eprintln!("{} verifications on the GPU in {:?}", items.len(), started.elapsed());
	assert_eq!(backend, Backend::Gpu);
	let expected = cpu::verify_ed25519_each(&items);
	for ((case, got), want) in cases.iter().zip(&verdicts).zip(&expected) {
		assert_eq!(got, want, "{}", case.what);
	}
	expected
}

#[test]
fn every_verdict_matches_sp_core() {
	for (arithmetic, verifier) in common::gpu_verifiers() {
		eprintln!("field arithmetic: {}", arithmetic.name());
		every_verdict_matches_sp_core_with(verifier);
	}
}

fn every_verdict_matches_sp_core_with(verifier: &Verifier) {
	let mut rng = StdRng::seed_from_u64(2026);

	let valid = valid_cases(&mut rng, 24);
	assert!(assert_matches_sp_core(verifier, &valid).iter().all(|v| *v));

	let flips = bit_flip_cases(&mut rng);
	assert_matches_sp_core(verifier, &flips);

	let s_cases = non_canonical_s_cases(&mut rng);
	let verdicts = assert_matches_sp_core(verifier, &s_cases);
	assert_eq!(verdicts, vec![false, false, false, false]);

	let small = small_order_cases();
	let verdicts = assert_matches_sp_core(verifier, &small);
	assert!(verdicts.iter().filter(|v| **v).count() > 100, "ZIP-215 accepts small-order R and A");

	assert_matches_sp_core(verifier, &non_canonical_point_cases(&mut rng));

	let lengths = every_length_cases(&mut rng);
	assert_matches_sp_core(verifier, &lengths);

	// All of them in one batch, shuffled.
	let mut mixed: Vec<Case> =
		[valid, flips, s_cases, small, lengths].into_iter().flatten().collect();
	for i in (1..mixed.len()).rev() {
		mixed.swap(i, rng.gen_range(0..=i));
	}
	assert_matches_sp_core(verifier, &mixed);
}

/// The CPU's batches against `sp_core`'s verdict on each signature alone, for every kind of
/// case, in sets where every signature is valid (the batch equation holds, so the batch alone
/// decides: small-order and non-canonical points included) and where an attacker hid bad ones.
#[test]
fn the_cpus_batches_give_sp_cores_verdict_on_every_signature() {
	let mut rng = StdRng::seed_from_u64(215);
	let check = |cases: &[Case]| -> Vec<bool> {
		let items: Vec<Ed25519Item> = cases.iter().map(Case::item).collect();
		let (batched, backend) =
			Verifier::new(carechain_gpu::Mode::Cpu).unwrap().verify_ed25519(&items).unwrap();
		assert_eq!(backend, Backend::Cpu);
		let each = cpu::verify_ed25519_each(&items);
		for ((case, got), want) in cases.iter().zip(&batched).zip(&each) {
			assert_eq!(got, want, "{}", case.what);
		}
		each
	};
	let valid = valid_cases(&mut rng, 300);
	assert!(check(&valid).iter().all(|v| *v));
	let flips = bit_flip_cases(&mut rng);
	check(&flips);
	assert_eq!(check(&non_canonical_s_cases(&mut rng)), vec![false; 4]);
	let small = small_order_cases();
	let verdicts = check(&small);
	// Only the ones ZIP-215 accepts, together: one batch equation must hold for all of them.
	let accepted: Vec<Case> =
		small.iter().zip(&verdicts).filter(|(_, v)| **v).map(|(c, _)| c.clone()).collect();
	assert!(accepted.len() > 100);
	assert!(check(&accepted).iter().all(|v| *v));
	let points = non_canonical_point_cases(&mut rng);
	let verdicts = check(&points);
	let accepted: Vec<Case> =
		points.iter().zip(&verdicts).filter(|(_, v)| **v).map(|(c, _)| c.clone()).collect();
	check(&accepted);
	check(&every_length_cases(&mut rng));

	// One forgery hidden among a batch's worth of valid signatures of the same signer (whose
	// terms the batch merges): only the forgery is refused, wherever it sits.
	let pair = ed25519::Pair::from_seed(&[7; 32]);
	for at in [0, 63, cpu::MAX_BATCH - 1, cpu::MAX_BATCH, 3 * cpu::MAX_BATCH - 1] {
		let mut cases: Vec<Case> = (0..3 * cpu::MAX_BATCH)
			.map(|i| {
				let message = format!("nonce {i}").into_bytes();
				let signature = pair.sign(&message).0;
				Case { what: format!("#{i}"), message, public: pair.public().0, signature }
			})
			.collect();
		cases[at].message.push(0);
		let verdicts = check(&cases);
		assert_eq!(verdicts.iter().filter(|v| !**v).count(), 1);
		assert!(!verdicts[at]);
	}
}

#[test]
fn oversized_messages_are_refused_with_the_limit() {
	let verifier = common::gpu_verifier();
	let message = vec![0u8; MAX_MESSAGE_LEN + 1];
	let item = Ed25519Item { message: &message, public: &[0; 32], signature: &[0; 64] };
	match verifier.verify_ed25519(&[item]) {
		Err(Error::MessageTooLong { index: 0, len, max }) => {
			assert_eq!((len, max), (MAX_MESSAGE_LEN + 1, MAX_MESSAGE_LEN));
		}
		other => panic!("expected MessageTooLong, got {other:?}"),
	}
}
