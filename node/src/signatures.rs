//! Verification of the signatures of transactions in batches, before the runtime sees them.
//!
//! The node rebuilds each signed payload exactly as `sp_runtime` does (call, extensions and
//! their implicit data, hashed when longer than 256 bytes), verifies the ed25519 ones as one
//! batch with `carechain-gpu` (GPU or CPU, identical verdicts) and the sr25519 ones with
//! `sp_core` on every core, and hands the verdicts to the runtime as
//! [`PreVerifiedSignatures`]. A payload it cannot rebuild is simply left out: the runtime then
//! verifies that signature itself. A transaction's verdict travels with it in the pool, so a
//! signature admitted to the pool is not verified again when a block is built.

use crate::client::Client;
use carechain_gpu::{Backend, Ed25519Item, Verifier};
use carechain_primitives::signatures::{PreVerifiedSignatures, Scheme};
use carechain_runtime::{UncheckedExtrinsic, VERSION};
use codec::{Decode, Encode};
use rayon::prelude::*;
use sp_core::{crypto::Pair as _, sr25519};
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
	scheme: Scheme,
	public: [u8; 32],
	signature: [u8; 64],
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

	/// Verifies the ed25519 and sr25519 signatures of `extrinsics`, which execute in block
	/// `number`. The report counts the ed25519 batch, the part that may run on the GPU.
	pub fn verify<'a>(
		&self,
		client: &Client,
		number: u32,
		extrinsics: impl IntoIterator<Item = &'a UncheckedExtrinsic>,
	) -> (PreVerifiedSignatures, BatchReport) {
		let (ed, sr): (Vec<Signed>, Vec<Signed>) = extrinsics
			.into_iter()
			.flat_map(|x| signed_payload(client, number, x).into_iter().chain(countersignature(x)))
			.partition(|s| s.scheme == Scheme::Ed25519);
		let mut verdicts = PreVerifiedSignatures::default();
		// sp-core's own check, so that every verdict is the runtime's.
		let sr_valid: Vec<bool> = sr
			.par_iter()
			.map(|s| {
				sr25519::Pair::verify(
					&sr25519::Signature::from_raw(s.signature),
					&s.message,
					&sr25519::Public::from_raw(s.public),
				)
			})
			.collect();
		for (s, valid) in sr.into_iter().zip(sr_valid) {
			verdicts.insert(s.scheme, s.public, s.signature, &s.message, valid);
		}
		if ed.is_empty() {
			return (verdicts, BatchReport::default());
		}
		let items: Vec<Ed25519Item<'_>> = ed
			.iter()
			.map(|s| Ed25519Item {
				message: &s.message,
				public: &s.public,
				signature: &s.signature,
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
			signatures: ed.len(),
			on_gpu: backend == Backend::Gpu,
			elapsed: started.elapsed(),
		};
		for (s, valid) in ed.into_iter().zip(valid) {
			verdicts.insert(s.scheme, s.public, s.signature, &s.message, valid);
		}
		(verdicts, report)
	}
}

/// The scheme, key and signature of an extrinsic signed with ed25519 or sr25519 by an account.
pub fn signer(extrinsic: &UncheckedExtrinsic) -> Option<(Scheme, [u8; 32], [u8; 64])> {
	let Preamble::Signed(MultiAddress::Id(who), signature, _) = &extrinsic.preamble else {
		return None;
	};
	let public: [u8; 32] = *who.as_ref();
	match &signature.0 {
		MultiSignature::Ed25519(signature) => Some((Scheme::Ed25519, public, signature.0)),
		MultiSignature::Sr25519(signature) => Some((Scheme::Sr25519, public, signature.0)),
		_ => None,
	}
}

/// The patient's countersignature a call carries beside the extrinsic's own signature, with the
/// message it covers, built from the call alone: a telehealth encounter's attestation.
fn countersignature(extrinsic: &UncheckedExtrinsic) -> Option<Signed> {
	let carechain_runtime::RuntimeCall::Telehealth(pallet_telehealth::Call::attest_encounter {
		appointment,
		patient,
		modality,
		started_at,
		ended_at,
		note_hash,
		patient_signature,
	}) = &extrinsic.function
	else {
		return None;
	};
	let (scheme, signature) = match &patient_signature.0 {
		MultiSignature::Ed25519(signature) => (Scheme::Ed25519, signature.0),
		MultiSignature::Sr25519(signature) => (Scheme::Sr25519, signature.0),
		_ => return None,
	};
	let encounter = pallet_telehealth::Encounter {
		started_at: *started_at,
		ended_at: *ended_at,
		note_hash: *note_hash,
	};
	Some(Signed {
		scheme,
		public: *AsRef::<[u8; 32]>::as_ref(patient),
		signature,
		message: pallet_telehealth::attestation_payload(*appointment, &encounter, *modality),
	})
}

/// The message a signed extrinsic's signature covers, rebuilt as `sp_runtime` builds it when the
/// extrinsic executes in block `number`.
fn signed_payload(client: &Client, number: u32, extrinsic: &UncheckedExtrinsic) -> Option<Signed> {
	let (scheme, public, signature) = signer(extrinsic)?;
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
	Some(Signed { scheme, public, signature, message })
}
