//! The CPU reference and fallback: ed25519 verified in batches on all cores, with exactly
//! `sp_core::ed25519`'s verdicts; blake2b_simd on all cores.
//!
//! A batch is checked with `ed25519-zebra`'s batch equation, the cofactored equation ZIP-215
//! verifies one signature with, over random 128-bit multipliers (from the thread's CSPRNG, so
//! no signer can choose them): it holds for a set of valid signatures, and for a set holding an
//! invalid one it holds with probability at most 2^-128. A batch that fails is verified again one
//! signature at a time with `sp_core`, so a bad signature costs its batch one more pass, and
//! every verdict is `sp_core`'s own.

use crate::Ed25519Item;
use ed25519_zebra::{batch, Signature, VerificationKeyBytes};
use rayon::prelude::*;
use sp_core::{ed25519, Pair as _};

/// The most signatures checked in one batch equation. Each core takes batches of this size at
/// most; larger batches gain little (the multiscalar multiplication's cost per point levels
/// off) and one bad signature sends its whole batch to single verification.
pub const MAX_BATCH: usize = 128;

/// One verdict per triple, exactly as `sp_core::ed25519::Pair::verify` gives it, checked in
/// batches.
pub fn verify_ed25519(items: &[Ed25519Item<'_>]) -> Vec<bool> {
	let per_core = items.len().div_ceil(rayon::current_num_threads().max(1));
	let size = per_core.clamp(1, MAX_BATCH);
	items.par_chunks(size).flat_map_iter(verify_batch).collect()
}

/// One verdict per triple, each verified alone with `sp_core` (the reference the batches are
/// tested against).
pub fn verify_ed25519_each(items: &[Ed25519Item<'_>]) -> Vec<bool> {
	items.par_iter().map(verify_one).collect()
}

fn verify_batch(items: &[Ed25519Item<'_>]) -> Vec<bool> {
	if items.len() > 1 {
		let mut batch = batch::Verifier::new();
		for item in items {
			let key = VerificationKeyBytes::from(*item.public);
			batch.queue((key, Signature::from_bytes(item.signature), item.message));
		}
		if batch.verify(rand::thread_rng()).is_ok() {
			return vec![true; items.len()];
		}
	}
	items.iter().map(verify_one).collect()
}

fn verify_one(item: &Ed25519Item<'_>) -> bool {
	ed25519::Pair::verify(
		&ed25519::Signature::from_raw(*item.signature),
		item.message,
		&ed25519::Public::from_raw(*item.public),
	)
}

/// blake2b-256 of one message.
pub fn blake2b_256(message: &[u8]) -> [u8; 32] {
	let hash = blake2b_simd::Params::new().hash_length(32).hash(message);
	let mut digest = [0u8; 32];
	digest.copy_from_slice(hash.as_bytes());
	digest
}

/// blake2b-256 of each message.
pub fn blake2b_256_batch(messages: &[&[u8]]) -> Vec<[u8; 32]> {
	messages.par_iter().map(|m| blake2b_256(m)).collect()
}
