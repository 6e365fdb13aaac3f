//! Refused calls that panic inside the runtime, sent as fast as a caller likes, on the real
//! `carechain --dev` binary under `RUST_BACKTRACE=1`: the node logs one line for them, with no
//! backtrace, and keeps answering.

use carechain_e2e::DevNode;
use carechain_runtime::{Block, Header};
use codec::Encode;
use jsonrpsee::{core::client::ClientT, rpc_params};
use sp_core::{Bytes, H256};
use sp_runtime::traits::Header as _;

#[tokio::test]
async fn runtime_panics_of_refused_calls_are_logged_once_without_backtrace() {
	let dir = tempfile::tempdir().unwrap();
	let node = DevNode::start_with(dir.path(), &[], &[("RUST_BACKTRACE", "1")]);
	let client = node.connect().await;
	for i in 0..300u32 {
		// A block that decodes but does not extend the chain: the runtime panics ("Parent hash
		// should be valid"), the executor catches it.
		let header = Header::new(
			1,
			Default::default(),
			Default::default(),
			H256::from_low_u64_be(u64::from(i) + 1),
			Default::default(),
		);
		let block = Block { header, extrinsics: Vec::new() };
		let refused = client
			.request::<Bytes, _>(
				"state_call",
				rpc_params!["Core_execute_block", Bytes(block.encode())],
			)
			.await;
		assert!(refused.is_err(), "a garbage block executed");
	}
	let health: serde_json::Value = client.request("system_health", rpc_params![]).await.unwrap();
	assert!(health.is_object());
	let log = node.log();
	// The runtime refuses such a block at one place or another (the state the call runs on
	// moves on as blocks are imported): one line per place, not one per call.
	let places: Vec<&str> = log
		.lines()
		.filter_map(|l| {
			l.split_once("panicked at ").map(|(_, place)| place.split(':').next().unwrap_or(""))
		})
		.collect();
	let mut distinct = places.clone();
	distinct.sort();
	distinct.dedup();
	assert!(!places.is_empty(), "the refused calls were not logged at all:\n{log}");
	assert_eq!(places.len(), distinct.len(), "one line per place for 300 panics:\n{log}");
	assert!(!log.contains("stack backtrace"), "a backtrace was logged:\n{log}");
}
