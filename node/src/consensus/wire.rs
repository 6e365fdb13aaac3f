//! The wire and WAL encoding of consensus messages: borsh, as Malachite derives it.
//!
//! None of these types nests itself, so borsh decodes them without recursing on the input; a
//! message is refused unread beyond [`MAX_MESSAGE_BYTES`], and borsh allocates no more than the
//! bytes it reads. The blocks and extrinsics they carry stay bytes here: consensus decodes them
//! with [`crate::decode`]'s size and depth limits.

use super::context::{
	Address, BlockHash, CarechainContext as Ctx, Height, ProposalPart, Signature,
};
use borsh::{BorshDeserialize, BorshSerialize};
use bytes::Bytes;
use malachitebft_app_channel::app::{
	consensus::{LivenessMsg, ProposedValue, SignedConsensusMsg},
	streaming::StreamMessage,
	types::{
		codec::{Codec, HasEncodedLen},
		core::{
			ExtendedCommitCertificate, ExtendedCommitSignature, PolkaCertificate, Round,
			SignedMessage, ValidatorProof,
		},
		sync::{self, RawDecidedValue},
	},
};

/// Encodes consensus, sync and WAL messages in borsh.
#[derive(Clone, Copy, Debug, Default)]
pub struct BorshCodec;

/// A message that did not decode.
#[derive(Debug, thiserror::Error)]
#[error("undecodable consensus message: {0}")]
pub struct DecodeError(#[from] std::io::Error);

/// The longest message decoded: Malachite's network carries none longer (10 MiB, its limit on
/// a sync response), and this node writes none longer to its WAL.
pub const MAX_MESSAGE_BYTES: usize = 10 << 20;

fn decode<T: BorshDeserialize>(bytes: Bytes) -> Result<T, DecodeError> {
	bounded(&bytes)?;
	Ok(borsh::from_slice(&bytes)?)
}

fn bounded(bytes: &[u8]) -> Result<(), DecodeError> {
	if bytes.len() > MAX_MESSAGE_BYTES {
		return Err(DecodeError(std::io::Error::new(
			std::io::ErrorKind::InvalidData,
			format!("{} bytes, above the limit of {MAX_MESSAGE_BYTES}", bytes.len()),
		)));
	}
	Ok(())
}

fn encode<T: BorshSerialize>(value: &T) -> Result<Bytes, DecodeError> {
	Ok(borsh::to_vec(value)?.into())
}

macro_rules! borsh_codec {
	($($ty:ty),* $(,)?) => {$(
		impl Codec<$ty> for BorshCodec {
			type Error = DecodeError;

			fn decode(&self, bytes: Bytes) -> Result<$ty, DecodeError> {
				decode(bytes)
			}

			fn encode(&self, value: &$ty) -> Result<Bytes, DecodeError> {
				encode(value)
			}
		}
	)*};
}

borsh_codec!(
	ProposalPart,
	SignedConsensusMsg<Ctx>,
	LivenessMsg<Ctx>,
	StreamMessage<ProposalPart>,
	ProposedValue<Ctx>,
	PolkaCertificate<Ctx>,
	sync::Status<Ctx>,
	sync::Request<Ctx>,
);

/// Malachite 0.8 gives extended commit certificates no borsh encoding, so decided values (in
/// sync responses and in the chain database) travel as these.
#[derive(BorshSerialize, BorshDeserialize)]
struct CommitSignatureWire {
	address: Address,
	signature: Signature,
	extension: Option<(Vec<u8>, Signature)>,
}

#[derive(BorshSerialize, BorshDeserialize)]
struct DecidedWire {
	height: Height,
	round: Round,
	value_id: BlockHash,
	signatures: Vec<CommitSignatureWire>,
	value_bytes: Vec<u8>,
}

#[derive(BorshSerialize, BorshDeserialize)]
struct ResponseWire {
	start_height: Height,
	values: Vec<DecidedWire>,
}

impl From<&RawDecidedValue<Ctx>> for DecidedWire {
	fn from(value: &RawDecidedValue<Ctx>) -> Self {
		let certificate = &value.certificate;
		Self {
			height: certificate.height,
			round: certificate.round,
			value_id: certificate.value_id,
			signatures: certificate
				.commit_signatures
				.iter()
				.map(|s| CommitSignatureWire {
					address: s.address,
					signature: s.signature.clone(),
					extension: s
						.extension
						.as_ref()
						.map(|e| (e.message.to_vec(), e.signature.clone())),
				})
				.collect(),
			value_bytes: value.value_bytes.to_vec(),
		}
	}
}

impl From<DecidedWire> for RawDecidedValue<Ctx> {
	fn from(wire: DecidedWire) -> Self {
		let commit_signatures = wire
			.signatures
			.into_iter()
			.map(|s| ExtendedCommitSignature {
				address: s.address,
				signature: s.signature,
				extension: s.extension.map(|(message, signature)| {
					SignedMessage::new(Bytes::from(message), signature)
				}),
			})
			.collect();
		RawDecidedValue {
			value_bytes: wire.value_bytes.into(),
			certificate: ExtendedCommitCertificate {
				height: wire.height,
				round: wire.round,
				value_id: wire.value_id,
				commit_signatures,
			},
		}
	}
}

/// Encodes a decided value with its certificate.
pub fn encode_decided(value: &RawDecidedValue<Ctx>) -> Vec<u8> {
	borsh::to_vec(&DecidedWire::from(value)).unwrap_or_default()
}

/// Decodes what [`encode_decided`] wrote.
pub fn decode_decided(bytes: &[u8]) -> Result<RawDecidedValue<Ctx>, DecodeError> {
	bounded(bytes)?;
	Ok(borsh::from_slice::<DecidedWire>(bytes)?.into())
}

fn response_wire(response: &sync::Response<Ctx>) -> ResponseWire {
	let sync::Response::ValueResponse(response) = response;
	ResponseWire {
		start_height: response.start_height,
		values: response.values.iter().map(DecidedWire::from).collect(),
	}
}

impl Codec<sync::Response<Ctx>> for BorshCodec {
	type Error = DecodeError;

	fn decode(&self, bytes: Bytes) -> Result<sync::Response<Ctx>, DecodeError> {
		let wire: ResponseWire = decode(bytes)?;
		Ok(sync::Response::ValueResponse(malachitebft_sync::ValueResponse {
			start_height: wire.start_height,
			values: wire.values.into_iter().map(Into::into).collect(),
		}))
	}

	fn encode(&self, response: &sync::Response<Ctx>) -> Result<Bytes, DecodeError> {
		encode(&response_wire(response))
	}
}

impl HasEncodedLen<sync::Response<Ctx>> for BorshCodec {
	fn encoded_len(&self, response: &sync::Response<Ctx>) -> Result<usize, DecodeError> {
		Ok(borsh::object_length(&response_wire(response))?)
	}
}

/// Malachite gives the validator proof no borsh encoding; it is three fields.
#[derive(BorshSerialize, BorshDeserialize)]
struct ProofWire {
	public_key: Vec<u8>,
	peer_id: Vec<u8>,
	signature: Signature,
}

impl Codec<ValidatorProof<Ctx>> for BorshCodec {
	type Error = DecodeError;

	fn decode(&self, bytes: Bytes) -> Result<ValidatorProof<Ctx>, DecodeError> {
		let wire: ProofWire = decode(bytes)?;
		Ok(ValidatorProof::new(wire.public_key, wire.peer_id, wire.signature))
	}

	fn encode(&self, proof: &ValidatorProof<Ctx>) -> Result<Bytes, DecodeError> {
		encode(&ProofWire {
			public_key: proof.public_key.clone(),
			peer_id: proof.peer_id.clone(),
			signature: proof.signature.clone(),
		})
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_message_longer_than_the_network_carries_is_refused_unread() {
		let huge = Bytes::from(vec![0u8; MAX_MESSAGE_BYTES + 1]);
		let error = Codec::<ProposalPart>::decode(&BorshCodec, huge.clone()).unwrap_err();
		assert!(error.to_string().contains("above the limit"), "{error}");
		assert!(decode_decided(&huge).is_err());
	}

	#[test]
	fn a_gossiped_batch_claiming_billions_of_transactions_fails_without_allocating_them() {
		// The Transactions variant, then a length of u32::MAX and nothing after it.
		let mut bytes = borsh::to_vec(&ProposalPart::Transactions(Vec::new())).unwrap();
		let len = bytes.len();
		bytes[len - 4..].copy_from_slice(&u32::MAX.to_le_bytes());
		assert!(Codec::<ProposalPart>::decode(&BorshCodec, bytes.into()).is_err());
	}
}
