//! Consensus wire messages from peers: every message type the node decodes (proposal parts,
//! votes and proposals, liveness, streams, sync requests and responses, validator proofs,
//! decided values) fails cleanly on any bytes.

// Fuzz-input arithmetic works on small bounded values.
#![allow(clippy::arithmetic_side_effects)]

use bytes::Bytes;
use carechain_node::consensus::{
	context::{CarechainContext as Ctx, ProposalPart},
	wire::{decode_decided, BorshCodec},
};
use malachitebft_app_channel::app::{
	consensus::{LivenessMsg, ProposedValue, SignedConsensusMsg},
	streaming::StreamMessage,
	types::{
		codec::Codec,
		core::{PolkaCertificate, ValidatorProof},
		sync,
	},
};

fn decode_as<T>(bytes: &[u8])
where
	BorshCodec: Codec<T>,
{
	let _ = <BorshCodec as Codec<T>>::decode(&BorshCodec, Bytes::copy_from_slice(bytes));
}

#[test]
fn every_wire_message_decodes_or_fails_cleanly() {
	bolero::check!().with_type::<(u8, Vec<u8>)>().for_each(|(kind, bytes)| match kind % 11 {
		0 => decode_as::<ProposalPart>(bytes),
		1 => decode_as::<SignedConsensusMsg<Ctx>>(bytes),
		2 => decode_as::<LivenessMsg<Ctx>>(bytes),
		3 => decode_as::<StreamMessage<ProposalPart>>(bytes),
		4 => decode_as::<ProposedValue<Ctx>>(bytes),
		5 => decode_as::<PolkaCertificate<Ctx>>(bytes),
		6 => decode_as::<sync::Status<Ctx>>(bytes),
		7 => decode_as::<sync::Request<Ctx>>(bytes),
		8 => decode_as::<sync::Response<Ctx>>(bytes),
		9 => decode_as::<ValidatorProof<Ctx>>(bytes),
		_ => {
			let _ = decode_decided(bytes);
		}
	});
}
