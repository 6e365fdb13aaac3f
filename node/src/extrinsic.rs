//! Signing extrinsics as a wallet does, for tools and tests that talk to a node.

use carechain_runtime::{RuntimeCall, SignedPayload, TxExtension, UncheckedExtrinsic, VERSION};
use codec::{Compact, Decode, Encode};
use sp_core::{crypto::Pair, H256};
use sp_runtime::{generic::Era, traits::IdentifyAccount, MultiSignature, MultiSigner};

/// Signs `call` as `signer` (an ed25519 or sr25519 pair) with `nonce`, immortal, for the chain
/// of `genesis`.
pub fn sign<P: Pair>(signer: &P, nonce: u32, call: RuntimeCall, genesis: H256) -> UncheckedExtrinsic
where
	P::Public: Into<MultiSigner>,
	P::Signature: Into<MultiSignature>,
{
	let extension: TxExtension = (
		frame_system::CheckNonZeroSender::new(),
		carechain_runtime::extensions::CheckPermissioned,
		frame_system::CheckSpecVersion::new(),
		frame_system::CheckTxVersion::new(),
		frame_system::CheckGenesis::new(),
		frame_system::CheckEra::from(Era::Immortal),
		carechain_runtime::extensions::CheckNonce(nonce),
		frame_system::CheckWeight::new(),
	);
	let implicit =
		((), (), VERSION.spec_version, VERSION.transaction_version, genesis, genesis, (), ());
	let payload = SignedPayload::from_raw(call.clone(), extension.clone(), implicit);
	let signature: MultiSignature = payload.using_encoded(|bytes| signer.sign(bytes)).into();
	let account = signer.public().into().into_account();
	UncheckedExtrinsic::new_signed(
		call,
		sp_runtime::MultiAddress::Id(account),
		signature.into(),
		extension,
	)
}

/// `0x`-hex of an extrinsic's encoding, as RPC takes it.
pub fn to_hex(extrinsic: &UncheckedExtrinsic) -> String {
	format!("0x{}", hex::encode(extrinsic.encode()))
}

/// The encoding of `call` inside `depth` levels of `Council.execute`: hostile input for the
/// decoders' depth limit. It is put together from the bytes one level adds before and after
/// the call it holds (`execute`'s pallet and call index, then `length_bound`), since no value
/// that deep could be built, encoded or dropped.
pub fn nested_call(call: &RuntimeCall, depth: usize) -> Vec<u8> {
	let inner = call.encode();
	let wrapped = RuntimeCall::Council(pallet_collective::Call::execute {
		proposal: Box::new(call.clone()),
		length_bound: 1 << 20,
	})
	.encode();
	let (prefix, rest) = wrapped.split_at(2);
	let suffix =
		rest.strip_prefix(inner.as_slice()).expect("execute encodes its call after 2 bytes");
	[prefix.repeat(depth), inner.clone(), suffix.repeat(depth)].concat()
}

/// `extrinsic`'s encoding with the bytes of its call replaced by `call`: a signed one keeps a
/// signature that no longer matches, which only matters to a node that looks past the decoder.
pub fn with_call(extrinsic: &UncheckedExtrinsic, call: &[u8]) -> Vec<u8> {
	let encoded = extrinsic.encode();
	let mut input = &encoded[..];
	let Compact(_) =
		Compact::<u32>::decode(&mut input).expect("an extrinsic starts with its length");
	let body = input
		.strip_suffix(extrinsic.function.encode().as_slice())
		.expect("an extrinsic's call comes last");
	let body = [body, call].concat();
	[Compact(body.len() as u32).encode(), body].concat()
}
