//! Every JSON-RPC method of the node (the vault's included) called with parameters built from
//! fuzz bytes, as arrays and as objects: each call gets a JSON-RPC response, result or error,
//! and the module keeps answering.

// Fuzz-input arithmetic works on small bounded values.
#![allow(clippy::arithmetic_side_effects)]

use carechain_fuzz::{json, DevChain};
use serde_json::{json, Value as Json};
use std::panic::AssertUnwindSafe;

#[test]
fn every_method_answers_any_parameters() {
	let chain = AssertUnwindSafe(DevChain::new());
	let rpc = AssertUnwindSafe(chain.rpc());
	let mut methods: Vec<String> = rpc.method_names().map(str::to_owned).collect();
	methods.sort();
	let runtime = AssertUnwindSafe(tokio::runtime::Runtime::new().unwrap());
	bolero::check!().with_type::<(u16, Vec<u8>)>().for_each(|(pick, bytes)| {
		let method = &methods[usize::from(*pick) % methods.len()];
		let mut input = &bytes[..];
		let params = json(&mut input, 4);
		let request = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params });
		let (response, _subscription) = runtime
			.block_on(rpc.raw_json_request(&request.to_string(), 1))
			.unwrap_or_else(|e| panic!("{method}: the module failed: {e}"));
		let response: Json = serde_json::from_str(&response)
			.unwrap_or_else(|e| panic!("{method}: the response is not JSON ({e}): {response}"));
		assert!(
			response.get("result").is_some() || response["error"]["code"].is_i64(),
			"{method}({params}): neither a result nor an error: {response}"
		);
	});
	// Still answering.
	let (response, _) = runtime
		.block_on(rpc.raw_json_request(r#"{"jsonrpc":"2.0","id":2,"method":"system_health"}"#, 1))
		.unwrap();
	assert!(response.contains("\"result\""), "{response}");
}
