//! Signature verdicts that the node computed in a batch before executing a block.
//!
//! The node verifies every ed25519 signature of a block (or of incoming transactions) in one
//! batch, on the GPU where it can, and every sr25519 signature on the CPU's cores, and registers
//! the verdicts as this externalities extension.
//! The runtime's signature check looks a signature up here first and verifies it itself when
//! the extension is absent or has no verdict for exactly this key, signature and message, so
//! that its answer is the same either way.

use sp_core::H256;
use sp_runtime::traits::{BlakeTwo256, Hash as _};
use std::{collections::HashMap, sync::Arc};

/// The signature schemes whose verdicts the node computes ahead of the runtime.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scheme {
	/// ed25519 (`sp_core::ed25519`, ZIP-215), in batches on the GPU or the CPU.
	Ed25519,
	/// sr25519 (`sp_core::sr25519`, schnorrkel with Substrate's signing context), on the CPU.
	Sr25519,
}

/// A verdict's key: the scheme, the signer's public key and the signature.
type Key = (Scheme, [u8; 32], [u8; 64]);

/// One verdict per (scheme, public key, signature), with the hash of the message it was
/// checked on. Clones share the verdicts, so one batch can serve many runtime calls.
#[derive(Clone, Default)]
pub struct PreVerifiedSignatures {
	verdicts: Arc<HashMap<Key, (H256, bool)>>,
}

sp_externalities::decl_extension! {
	/// The extension under which the node registers [`PreVerifiedSignatures`].
	pub struct PreVerifiedExt(PreVerifiedSignatures);
}

/// One verdict: the scheme, who signed, the signature, the hash of the message it is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verdict {
	/// The signature's scheme.
	pub scheme: Scheme,
	/// The signer's key.
	pub public: [u8; 32],
	/// The signature.
	pub signature: [u8; 64],
	/// blake2-256 of the message the verdict is for.
	pub message_hash: H256,
	/// Whether the signature verified.
	pub valid: bool,
}

impl FromIterator<Verdict> for PreVerifiedSignatures {
	fn from_iter<I: IntoIterator<Item = Verdict>>(verdicts: I) -> Self {
		let verdicts = verdicts
			.into_iter()
			.map(|v| ((v.scheme, v.public, v.signature), (v.message_hash, v.valid)))
			.collect();
		Self { verdicts: Arc::new(verdicts) }
	}
}

impl PreVerifiedSignatures {
	/// The verdict recorded for this key and signature, whatever message it was for.
	pub fn get(&self, scheme: Scheme, public: &[u8; 32], signature: &[u8; 64]) -> Option<Verdict> {
		let (message_hash, valid) = *self.verdicts.get(&(scheme, *public, *signature))?;
		Some(Verdict { scheme, public: *public, signature: *signature, message_hash, valid })
	}

	/// Records the verdict of `signature` by `public` on `message`.
	pub fn insert(
		&mut self,
		scheme: Scheme,
		public: [u8; 32],
		signature: [u8; 64],
		message: &[u8],
		valid: bool,
	) {
		Arc::make_mut(&mut self.verdicts)
			.insert((scheme, public, signature), (Self::message_hash(message), valid));
	}

	/// The recorded verdict on exactly this message, if there is one.
	pub fn verdict(
		&self,
		scheme: Scheme,
		public: &[u8; 32],
		signature: &[u8; 64],
		message: &[u8],
	) -> Option<bool> {
		let (hash, valid) = self.verdicts.get(&(scheme, *public, *signature))?;
		(*hash == Self::message_hash(message)).then_some(*valid)
	}

	/// Every recorded verdict.
	pub fn iter(&self) -> impl Iterator<Item = Verdict> + '_ {
		self.verdicts.iter().map(|((scheme, public, signature), (message_hash, valid))| Verdict {
			scheme: *scheme,
			public: *public,
			signature: *signature,
			message_hash: *message_hash,
			valid: *valid,
		})
	}

	/// How many verdicts are recorded.
	pub fn len(&self) -> usize {
		self.verdicts.len()
	}

	/// Whether none are.
	pub fn is_empty(&self) -> bool {
		self.verdicts.is_empty()
	}

	fn message_hash(message: &[u8]) -> H256 {
		BlakeTwo256::hash(message)
	}
}
