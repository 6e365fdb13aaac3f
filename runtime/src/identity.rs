//! The runtime's identity under `:code`.
//!
//! The runtime is compiled into the node, so `:code` holds no WebAssembly. Clients key runtimes
//! by the hash of `:code` (polkadot-api names each runtime so and caches its metadata under that
//! name), so `:code` holds bytes that change exactly when the runtime does: a tag that no
//! WebAssembly blob starts with, the SCALE-encoded [`RuntimeVersion`](crate::VERSION) (what
//! `state_getRuntimeVersion` answers) and the BLAKE2b-256 of the SCALE-encoded metadata (what
//! `state_getMetadata` answers).
//!
//! Genesis writes it (the node's chain spec), and so does [`WriteRuntimeIdentity`], a migration
//! of [`crate::Migrations`], in the first block a node with a new spec version builds or imports.
//! That is Substrate's own trigger for a runtime upgrade, and every node of the chain runs it in
//! the same block. A check at every block would instead split the chain between two builds
//! whose metadata differs in a doc comment only; a runtime change that keeps the spec version
//! is no upgrade here, as in Substrate, and the node warns about it at startup.

use crate::{Runtime, VERSION};
use alloc::vec::Vec;
use codec::Encode;
use frame_support::{traits::OnRuntimeUpgrade, weights::Weight};

/// The first bytes of the identity: not `\0asm` (WebAssembly) nor zstd-compressed code's
/// prefix, so no tool takes it for code it could run.
pub const IDENTITY_TAG: &[u8; 24] = b"carechain:native-runtime";

/// The bytes this runtime writes under `:code`: [`IDENTITY_TAG`], then the SCALE encoding of
/// the runtime version and of the BLAKE2b-256 of the metadata (no length prefix before the
/// tag).
pub fn runtime_identity() -> Vec<u8> {
	let metadata: Vec<u8> = Runtime::metadata().into();
	let metadata_hash = sp_io::hashing::blake2_256(&metadata);
	let mut identity = IDENTITY_TAG.to_vec();
	(VERSION, metadata_hash).encode_to(&mut identity);
	identity
}

/// Writes [`runtime_identity`] under `:code` at each spec version change.
pub struct WriteRuntimeIdentity;

impl OnRuntimeUpgrade for WriteRuntimeIdentity {
	fn on_runtime_upgrade() -> Weight {
		sp_io::storage::set(sp_core::storage::well_known_keys::CODE, &runtime_identity());
		// One write; building the metadata is compute of the order of a block's initialization.
		<Runtime as frame_system::Config>::DbWeight::get().writes(1)
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use codec::Decode;
	use sp_runtime::{traits::Header as _, BuildStorage};

	#[test]
	fn the_identity_names_the_version_and_the_metadata_and_is_no_wasm() {
		let identity = runtime_identity();
		assert!(identity.starts_with(IDENTITY_TAG));
		assert!(!identity.starts_with(b"\0asm"));
		let (version, hash) =
			<(sp_version::RuntimeVersion, [u8; 32])>::decode(&mut &identity[IDENTITY_TAG.len()..])
				.unwrap();
		assert_eq!(version, VERSION);
		let metadata: Vec<u8> = Runtime::metadata().into();
		assert_eq!(hash, sp_io::hashing::blake2_256(&metadata));
		assert_eq!(identity, runtime_identity(), "the same runtime, the same bytes");
	}

	/// A chain whose state holds no identity, or an older runtime's (an upgrade from spec
	/// version 2), gets this runtime's in its first block after the upgrade, and not again.
	#[test]
	fn the_first_block_after_a_spec_version_change_writes_the_identity() {
		let storage =
			crate::genesis::development().build_storage().expect("the dev genesis builds");
		sp_io::TestExternalities::new(storage).execute_with(|| {
			let code = sp_core::storage::well_known_keys::CODE;
			sp_io::storage::set(code, b"an older runtime's identity");
			frame_system::LastRuntimeUpgrade::<Runtime>::put(
				frame_system::LastRuntimeUpgradeInfo {
					spec_version: codec::Compact(VERSION.spec_version - 1),
					spec_name: VERSION.spec_name.clone(),
				},
			);
			let header = |number| {
				crate::Header::new(
					number,
					Default::default(),
					Default::default(),
					Default::default(),
					Default::default(),
				)
			};
			crate::Executive::initialize_block(&header(1));
			assert_eq!(sp_io::storage::get(code).map(|b| b.to_vec()), Some(runtime_identity()));
			// Nothing else writes it: a block of the same version leaves it.
			sp_io::storage::set(code, b"left alone");
			crate::Executive::initialize_block(&header(2));
			assert_eq!(sp_io::storage::get(code).map(|b| b.to_vec()), Some(b"left alone".to_vec()));
		});
	}
}
