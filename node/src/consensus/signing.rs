//! Signing and verifying consensus messages with the validator's ed25519 key.

use super::context::{CarechainContext as Ctx, Proposal, PublicKey, Signature, Vote};
use async_trait::async_trait;
use malachitebft_app_channel::app::types::core::{
	SignedMessage, ValidatorProof, VoteExtensionScope,
};
use malachitebft_app_channel::{Signer, Verifier};
use malachitebft_signing::{Error, VerificationResult};
use malachitebft_signing_ed25519 as ed;

/// Signs with the validator's consensus key and verifies with anyone's.
pub struct Ed25519Provider {
	key: ed::PrivateKey,
}

impl Ed25519Provider {
	/// A provider holding this key.
	pub fn new(key: ed::PrivateKey) -> Self {
		Self { key }
	}

	fn sign(&self, bytes: &[u8]) -> Signature {
		Signature(self.key.sign(bytes))
	}
}

fn verdict(public_key: &PublicKey, bytes: &[u8], signature: &Signature) -> VerificationResult {
	VerificationResult::from_bool(public_key.0.verify(bytes, &signature.0).is_ok())
}

fn extension_bytes(scope: &VoteExtensionScope<Ctx>, extension: &bytes::Bytes) -> Vec<u8> {
	let mut bytes = b"carechain/extension".to_vec();
	bytes.extend_from_slice(&scope.height.0.to_le_bytes());
	bytes.extend_from_slice(&scope.round.as_i64().to_le_bytes());
	bytes.extend_from_slice(&scope.value_id.0);
	bytes.extend_from_slice(&scope.validator_address.0);
	bytes.extend_from_slice(extension);
	bytes
}

#[async_trait]
impl Signer<Ctx> for Ed25519Provider {
	async fn sign_vote(&self, vote: Vote) -> Result<SignedMessage<Ctx, Vote>, Error> {
		let signature = self.sign(&vote.signing_bytes());
		Ok(SignedMessage::new(vote, signature))
	}

	async fn sign_proposal(
		&self,
		proposal: Proposal,
	) -> Result<SignedMessage<Ctx, Proposal>, Error> {
		let signature = self.sign(&proposal.signing_bytes());
		Ok(SignedMessage::new(proposal, signature))
	}

	async fn sign_vote_extension(
		&self,
		scope: VoteExtensionScope<Ctx>,
		extension: bytes::Bytes,
	) -> Result<SignedMessage<Ctx, bytes::Bytes>, Error> {
		let signature = self.sign(&extension_bytes(&scope, &extension));
		Ok(SignedMessage::new(extension, signature))
	}

	async fn sign_validator_proof(
		&self,
		public_key: Vec<u8>,
		peer_id: Vec<u8>,
	) -> Result<ValidatorProof<Ctx>, Error> {
		let signature = self.sign(&ValidatorProof::<Ctx>::signing_bytes(&public_key, &peer_id));
		Ok(ValidatorProof::new(public_key, peer_id, signature))
	}
}

#[async_trait]
impl Verifier<Ctx> for Ed25519Provider {
	async fn verify_signed_vote(
		&self,
		vote: &Vote,
		signature: &Signature,
		public_key: &PublicKey,
	) -> Result<VerificationResult, Error> {
		Ok(verdict(public_key, &vote.signing_bytes(), signature))
	}

	async fn verify_signed_proposal(
		&self,
		proposal: &Proposal,
		signature: &Signature,
		public_key: &PublicKey,
	) -> Result<VerificationResult, Error> {
		Ok(verdict(public_key, &proposal.signing_bytes(), signature))
	}

	async fn verify_signed_vote_extension(
		&self,
		scope: &VoteExtensionScope<Ctx>,
		extension: &bytes::Bytes,
		signature: &Signature,
		public_key: &PublicKey,
	) -> Result<VerificationResult, Error> {
		Ok(verdict(public_key, &extension_bytes(scope, extension), signature))
	}

	async fn verify_validator_proof(
		&self,
		proof: &ValidatorProof<Ctx>,
	) -> Result<VerificationResult, Error> {
		let Ok(public_key) = proof.decoded_public_key() else {
			return Ok(VerificationResult::Invalid);
		};
		Ok(verdict(&public_key, &proof.preimage(), &proof.signature))
	}
}
