//! Signing extrinsics as a wallet does, for tools and tests that talk to a node.

use carechain_runtime::{RuntimeCall, SignedPayload, TxExtension, UncheckedExtrinsic, VERSION};
use codec::Encode;
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
