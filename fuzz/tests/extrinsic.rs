//! Extrinsics as users and peers send them: any bytes submitted to the pool (decode, batch
//! signature check, runtime validation) or passed to the runtime's validation by `state_call`
//! get an answer, never a crash; inputs near valid signed extrinsics reach the checks behind
//! decoding.

// Fuzz-input arithmetic works on small bounded values.
#![allow(clippy::arithmetic_side_effects)]

use carechain_fuzz::{mutate, DevChain};
use codec::Encode;
use sp_runtime::transaction_validity::TransactionSource;
use std::panic::AssertUnwindSafe;

#[test]
fn submitted_bytes_are_answered() {
	let chain = AssertUnwindSafe(DevChain::new());
	let runtime = AssertUnwindSafe(tokio::runtime::Runtime::new().unwrap());
	let valid = chain.valid_extrinsics();
	bolero::check!().with_type::<(u8, bool, Vec<u8>)>().for_each(|(pick, raw, bytes)| {
		let input = if *raw {
			bytes.clone()
		} else {
			mutate(&valid[usize::from(*pick) % valid.len()], bytes)
		};
		// From a user, then the same bytes from a peer: refused or admitted, and answered.
		let _ = runtime.block_on(chain.node.submitter.submit(input.clone()));
		let _ = runtime.block_on(chain.node.submitter.submit_from_peer(input));
	});
}

#[test]
fn state_call_validation_answers_any_bytes() {
	let chain = AssertUnwindSafe(DevChain::new());
	let genesis = chain.genesis();
	let valid = chain.valid_extrinsics();
	bolero::check!().with_type::<(u8, bool, Vec<u8>)>().for_each(|(pick, raw, bytes)| {
		let extrinsic = if *raw {
			bytes.clone()
		} else {
			mutate(&valid[usize::from(*pick) % valid.len()], bytes)
		};
		// The parameters as `state_call` passes them: source, extrinsic, block hash.
		let mut input = TransactionSource::External.encode();
		input.extend_from_slice(&extrinsic);
		input.extend_from_slice(genesis.as_bytes());
		let _ =
			chain.node.client.call(genesis, "TaggedTransactionQueue_validate_transaction", &input);
	});
}
