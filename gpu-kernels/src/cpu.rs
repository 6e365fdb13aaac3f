//! The CPU reference and fallback: sp-core's ed25519 and blake2b_simd on all cores.

use crate::Ed25519Item;
use rayon::prelude::*;
use sp_core::{ed25519, Pair as _};

/// One verdict per triple, exactly as `sp_core::ed25519::Pair::verify` gives it.
pub fn verify_ed25519(items: &[Ed25519Item<'_>]) -> Vec<bool> {
	items
		.par_iter()
		.map(|item| {
			ed25519::Pair::verify(
				&ed25519::Signature::from_raw(*item.signature),
				item.message,
				&ed25519::Public::from_raw(*item.public),
			)
		})
		.collect()
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
