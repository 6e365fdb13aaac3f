//! Refused calls that panic inside the runtime, sent as fast as a caller likes, on the real
//! `carechain --dev` binary under `RUST_BACKTRACE=1`: the node logs one line for them, with no
//! backtrace, and keeps answering.

use carechain_e2e::DevNode;
use jsonrpsee::{core::client::ClientT, rpc_params};
use sp_core::Bytes;

#[tokio::test]
async fn runtime_panics_of_refused_calls_are_logged_once_without_backtrace() {
	let dir = tempfile::tempdir().unwrap();
	let node = DevNode::start_with(dir.path(), &[], &[("RUST_BACKTRACE", "1")]);
	let client = node.connect().await;
	for i in 0..300u32 {
		// A block that does not decode: the runtime panics, the executor catches it.
		let refused = client
			.request::<Bytes, _>(
				"state_call",
				rpc_params!["Core_execute_block", Bytes(i.to_le_bytes().to_vec())],
			)
			.await;
		assert!(refused.is_err(), "a garbage block executed");
	}
	let health: serde_json::Value = client.request("system_health", rpc_params![]).await.unwrap();
	assert!(health.is_object());
	let log = node.log();
	let panics = log.lines().filter(|l| l.contains("panicked")).count();
	assert_eq!(panics, 1, "one line for 300 panics at one place:\n{log}");
	assert!(!log.contains("stack backtrace"), "a backtrace was logged:\n{log}");
}
