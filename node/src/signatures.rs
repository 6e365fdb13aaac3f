//! Batch verification of the ed25519 signatures of transactions, before the runtime sees them.
//!
//! The node rebuilds each signed payload exactly as `sp_runtime` does (call, extensions and
//! their implicit data, hashed when longer than 256 bytes), verifies the whole batch with
//! `carechain-gpu` (GPU or CPU, identical verdicts), and hands the verdicts to the runtime as
//! [`PreVerifiedSignatures`]. A payload it cannot rebuild is simply left out: the runtime then
//! verifies that signature itself.

use crate::client::Client;
use carechain_gpu::{Backend, Ed25519Item, Verifier};
use carechain_primitives::signatures::PreVerifiedSignatures;
use carechain_runtime::{UncheckedExtrinsic, VERSION};
use codec::{Decode, Encode};
use sp_core::ed25519;
use sp_runtime::{
	generic::{Era, Preamble},
	MultiAddress, MultiSignature,
};
use std::time::{Duration, Instant};

/// What one batch did, for logs and metrics.
#[derive(Clone, Copy, Debug, Default)]
pub struct BatchReport {
	/// Signatures verified.
	pub signatures: usize,
	/// Whether they ran on the GPU.
	pub on_gpu: bool,
	/// Wall time of the verification.
	pub elapsed: Duration,
}

/// One signed payload to check.
struct Signed {
	public: ed25519::Public,
	signature: ed25519::Signature,
	message: Vec<u8>,
}

/// Verifies batches of transaction signatures.
pub struct BatchVerifier {
	verifier: Verifier,
	adapter: String,
}

impl BatchVerifier {
	/// A batch verifier over `verifier`.
	pub fn new(verifier: Verifier) -> Self {
		let adapter = verifier.gpu().map_or_else(
			|| "CPU".to_owned(),
			|g| format!("{}, {}", g.adapter_name(), g.arithmetic().name()),
		);
		Self { verifier, adapter }
	}

	/// The name of the device batches run on when they go to the GPU.
	pub fn adapter(&self) -> &str {
		&self.adapter
	}

	/// Verifies the ed25519 signatures of `extrinsics`, which execute in block `number`.
	pub fn verify<'a>(
		&self,
		client: &Client,
		number: u32,
		extrinsics: impl IntoIterator<Item = &'a UncheckedExtrinsic>,
	) -> (PreVerifiedSignatures, BatchReport) {
		let signed: Vec<Signed> =
			extrinsics.into_iter().filter_map(|x| signed_payload(client, number, x)).collect();
		let mut verdicts = PreVerifiedSignatures::default();
		if signed.is_empty() {
			return (verdicts, BatchReport::default());
		}
		let items: Vec<Ed25519Item<'_>> = signed
			.iter()
			.map(|s| Ed25519Item {
				message: &s.message,
				public: &s.public.0,
				signature: &s.signature.0,
			})
			.collect();
		let started = Instant::now();
		let (valid, backend) = match self.verifier.verify_ed25519(&items) {
			Ok(result) => result,
			Err(error) => {
				// The runtime verifies whatever has no verdict: nothing is lost but speed.
				tracing::warn!(%error, "batch signature verification failed");
				return (verdicts, BatchReport::default());
			}
		};
		let report = BatchReport {
			signatures: signed.len(),
			on_gpu: backend == Backend::Gpu,
			elapsed: started.elapsed(),
		};
		for (s, valid) in signed.into_iter().zip(valid) {
			verdicts.insert(s.public, s.signature, &s.message, valid);
		}
		(verdicts, report)
	}
}

/// The key and signature of an extrinsic signed with ed25519 by an account.
pub fn ed25519_signer(
	extrinsic: &UncheckedExtrinsic,
) -> Option<(ed25519::Public, ed25519::Signature)> {
	let Preamble::Signed(MultiAddress::Id(who), signature, _) = &extrinsic.preamble else {
		return None;
	};
	let MultiSignature::Ed25519(signature) = &signature.0 else { return None };
	Some((ed25519::Public::from_raw(*who.as_ref()), *signature))
}

/// The message an ed25519-signed extrinsic's signature covers, rebuilt as `sp_runtime` builds it
/// when the extrinsic executes in block `number`.
fn signed_payload(client: &Client, number: u32, extrinsic: &UncheckedExtrinsic) -> Option<Signed> {
	let (public, signature) = ed25519_signer(extrinsic)?;
	let Preamble::Signed(_, _, extension) = &extrinsic.preamble else { return None };
	// `CheckEra` keeps its era private; it encodes as the era alone.
	let era = Era::decode(&mut &extension.5.encode()[..]).ok()?;
	let birth = u32::try_from(era.birth(number.into())).ok()?;
	let birth_hash = client.hash(birth).ok().flatten()?;
	let genesis = client.genesis_hash();
	let implicit = (VERSION.spec_version, VERSION.transaction_version, genesis, birth_hash);
	let mut message = match &extrinsic.encoded_call {
		Some(call) => call.clone(),
		None => extrinsic.function.encode(),
	};
	extension.encode_to(&mut message);
	implicit.encode_to(&mut message);
	if message.len() > 256 {
		message = sp_io::hashing::blake2_256(&message).to_vec();
	}
	Some(Signed { public, signature, message })
}
