//! Blocks as peers send them (proposals and sync responses): any bytes, or a valid block's
//! bytes mutated, either fail to decode or are executed and refused; the node never crashes.

// Fuzz-input arithmetic works on small bounded values.
#![allow(clippy::arithmetic_side_effects)]

use carechain_fuzz::{mutate, DevChain};
use carechain_runtime::UncheckedExtrinsic;
use codec::Decode;
use std::panic::AssertUnwindSafe;

#[test]
fn imported_blocks_are_checked_not_crashed_on() {
	let chain = AssertUnwindSafe(DevChain::new());
	let extrinsics: Vec<UncheckedExtrinsic> = chain
		.valid_extrinsics()
		.iter()
		.map(|x| UncheckedExtrinsic::decode(&mut &x[..]).unwrap())
		.collect();
	let valid = chain.valid_block(&extrinsics);
	let genesis = chain.genesis();
	bolero::check!().with_type::<(bool, Vec<u8>)>().for_each(|(raw, bytes)| {
		let input = if *raw { bytes.clone() } else { mutate(&valid, bytes) };
		// As proposals and synced blocks are decoded.
		if let Ok(block) = carechain_node::decode::block(&input) {
			let _ = chain.node.client.execute_block(&block, Default::default());
		}
		// And straight into the runtime, as `state_call Core_execute_block` would.
		let _ = chain.node.client.call(genesis, "Core_execute_block", &input);
	});
}
