//! A call nesting `Council.execute` 1,024 and 100,000 deep, sent to the real `carechain --dev`
//! by `author_submitExtrinsic` and by `state_call TaggedTransactionQueue_validate_transaction`,
//! used to overflow a thread's stack and abort the process. Both are refused with an error that
//! says why, the node answers `system_health` afterwards and keeps finalizing: a councillor's
//! call nested 8 deep, and one at the limit of 256, are finalized after the attack. In a
//! consortium, a validator whose signed proposals carry such calls is ignored by the others,
//! who keep finalizing without it.

#![allow(clippy::arithmetic_side_effects)]

use carechain_e2e::{hex_of, sign, DevNode, Network, Role};
use carechain_node::extrinsic;
use carechain_runtime::RuntimeCall;
use codec::{Decode, Encode};
use jsonrpsee::{
	core::client::{ClientT, Error as RpcClientError, SubscriptionClientT},
	rpc_params,
	ws_client::WsClient,
};
use serde_json::Value as Json;
use sp_core::{Bytes, H256};
use sp_keyring::Sr25519Keyring;
use sp_runtime::transaction_validity::TransactionSource;
use std::time::{Duration, Instant};

/// Depths an attacker sends: past the limit, and far past it.
const HOSTILE: [usize; 2] = [1_024, 100_000];

/// An empty remark: the runtime refuses one with bytes, nested or not.
fn remark() -> RuntimeCall {
	RuntimeCall::System(frame_system::Call::remark { remark: Vec::new() })
}

fn execute(inner: RuntimeCall) -> RuntimeCall {
	RuntimeCall::Council(pallet_collective::Call::execute {
		proposal: Box::new(inner),
		length_bound: 1 << 20,
	})
}

/// A remark inside `depth` levels of `Council.execute`, as a value (for small depths only).
fn nested(depth: u32) -> RuntimeCall {
	(0..depth).fold(remark(), |inner, _| execute(inner))
}

/// A signed extrinsic of Alice's (the dev council) whose call is a remark inside `depth` levels
/// of `Council.execute`, built without a value that deep. Its signature is the shallow call's:
/// the node must refuse it before it looks.
fn hostile_extrinsic(depth: usize, genesis: H256) -> Vec<u8> {
	let signed = sign(&Sr25519Keyring::Alice.pair(), 0, remark(), genesis);
	extrinsic::with_call(&signed, &extrinsic::nested_call(&remark(), depth))
}

fn error_of(error: RpcClientError) -> (i32, String) {
	match error {
		// A refused transaction says why in `data`, after Substrate's title in `message`.
		RpcClientError::Call(e) => match e.data() {
			Some(data) => (e.code(), format!("{}: {}", e.message(), data.get())),
			None => (e.code(), e.message().to_owned()),
		},
		other => panic!("expected a JSON-RPC error, got {other:?}"),
	}
}

async fn assert_healthy(client: &WsClient, node: &DevNode, after: &str) {
	let health = tokio::time::timeout(
		Duration::from_secs(30),
		client.request::<Json, _>("system_health", rpc_params![]),
	)
	.await
	.unwrap_or_else(|_| panic!("system_health answers within 30 s after {after}"));
	assert!(health.is_ok(), "system_health after {after}: {health:?}\n{}", node.log());
}

/// Submits `call` signed by Alice with `nonce` and waits until a block that holds it is final.
async fn finalized(client: &WsClient, genesis: H256, nonce: u32, call: RuntimeCall) {
	let extrinsic = sign(&Sr25519Keyring::Alice.pair(), nonce, call, genesis);
	let mut watch = client
		.subscribe::<Json, _>(
			"author_submitAndWatchExtrinsic",
			rpc_params![hex_of(&extrinsic)],
			"author_unwatchExtrinsic",
		)
		.await
		.expect("the pool accepts a councillor's nested call");
	loop {
		let status = tokio::time::timeout(Duration::from_secs(60), watch.next())
			.await
			.expect("a status within 60 s")
			.expect("the subscription stays open")
			.expect("statuses are JSON");
		if status.get("finalized").is_some() {
			return;
		}
		assert!(status == "ready" || status.get("inBlock").is_some(), "status {status}");
	}
}

#[tokio::test(flavor = "multi_thread")]
async fn author_submit_extrinsic_refuses_calls_nested_too_deep_and_the_node_lives() {
	let dir = tempfile::tempdir().unwrap();
	let node = DevNode::start(dir.path());
	let client = node.connect().await;
	let genesis: H256 = client.request("chain_getBlockHash", rpc_params![0]).await.unwrap();

	for depth in HOSTILE {
		let extrinsic = Bytes(hostile_extrinsic(depth, genesis));
		let error = client
			.request::<H256, _>("author_submitExtrinsic", rpc_params![extrinsic])
			.await
			.expect_err("a call nested too deep is refused");
		let (code, message) = error_of(error);
		assert_eq!(code, 1001, "{message}");
		assert!(message.contains("call nested deeper than 256"), "{message}");
		assert_healthy(&client, &node, &format!("a call nested {depth} deep")).await;
	}

	// Legitimate nesting still works, up to the limit.
	finalized(&client, genesis, 0, nested(8)).await;
	finalized(&client, genesis, 1, nested(256)).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn state_call_validate_transaction_refuses_calls_nested_too_deep_and_the_node_lives() {
	let dir = tempfile::tempdir().unwrap();
	let node = DevNode::start(dir.path());
	let client = node.connect().await;
	let genesis: H256 = client.request("chain_getBlockHash", rpc_params![0]).await.unwrap();

	for depth in HOSTILE {
		let input = [
			TransactionSource::External.encode(),
			hostile_extrinsic(depth, genesis),
			genesis.encode(),
		]
		.concat();
		let error = client
			.request::<Bytes, _>(
				"state_call",
				rpc_params!["TaggedTransactionQueue_validate_transaction", Bytes(input)],
			)
			.await
			.expect_err("a call nested too deep is refused");
		let (code, message) = error_of(error);
		assert_eq!(code, -32602, "{message}");
		assert!(message.contains("call nested deeper than 256"), "{message}");
		assert_healthy(&client, &node, &format!("a call nested {depth} deep")).await;
	}

	// The runtime still validates: a call at the limit is valid at the head (once there is a
	// block on genesis, which knows no hash of its own to check signatures against).
	let deadline = Instant::now() + Duration::from_secs(60);
	let head = loop {
		let header: carechain_runtime::Header =
			client.request("chain_getHeader", rpc_params![]).await.unwrap();
		if header.number >= 1 {
			break sp_runtime::traits::Header::hash(&header);
		}
		assert!(Instant::now() < deadline, "no block finalized in 60 s\n{}", node.log());
		tokio::time::sleep(Duration::from_millis(200)).await;
	};
	let extrinsic = sign(&Sr25519Keyring::Alice.pair(), 0, nested(256), genesis);
	let input = (TransactionSource::External, extrinsic, head).encode();
	let output: Bytes = client
		.request(
			"state_call",
			rpc_params!["TaggedTransactionQueue_validate_transaction", Bytes(input), head],
		)
		.await
		.expect("the runtime answers for a call at the limit");
	let validity =
		sp_runtime::transaction_validity::TransactionValidity::decode(&mut &output[..]).unwrap();
	assert!(validity.is_ok(), "{validity:?}");
}

async fn finalized_number(client: &WsClient) -> u32 {
	let hash: H256 = client.request("chain_getFinalizedHead", rpc_params![]).await.unwrap();
	let header: carechain_runtime::Header =
		client.request("chain_getHeader", rpc_params![hash]).await.unwrap();
	header.number
}

#[tokio::test(flavor = "multi_thread")]
async fn a_validator_proposing_calls_nested_too_deep_is_ignored_and_the_others_finalize() {
	let roles: Vec<Role> =
		["//Alice", "//Bob", "//Charlie", "//Dave"].iter().map(|k| Role::Validator(k)).collect();
	let network = Network::start(&roles, &[(3, &["--unsafe-faulty-proposals", "nested-call"])]);
	let mut honest = Vec::new();
	for i in 0..3 {
		honest.push(network.client(i).await);
	}
	// Dave proposes first at every fourth height: the others must move past at least two of his
	// rounds.
	const LAST: u32 = 10;
	let deadline = Instant::now() + Duration::from_secs(300);
	for client in &honest {
		while finalized_number(client).await < LAST {
			assert!(Instant::now() < deadline, "#{LAST} not finalized\n{}", network.logs());
			tokio::time::sleep(Duration::from_millis(250)).await;
		}
	}
	for n in 1..=LAST {
		let hashes: Vec<Option<H256>> = futures::future::join_all(
			honest.iter().map(|c| c.request("chain_getBlockHash", rpc_params![n])),
		)
		.await
		.into_iter()
		.map(|h| h.unwrap())
		.collect();
		assert!(hashes.iter().all(|h| h.is_some() && *h == hashes[0]), "#{n}: {hashes:?}");
	}
	// On a loaded machine Dave may not yet have led a round by #LAST: wait for his proposal
	// (the chain keeps finalizing meanwhile), up to the deadline.
	let refused = || {
		let logs: String = (0..3).map(|i| network.node(i).log()).collect();
		logs.lines().any(|l| {
			l.contains("a proposed block does not decode; ignored")
				&& l.contains("call nested deeper than 256")
		})
	};
	while !refused() {
		assert!(
			Instant::now() < deadline,
			"no honest node refused Dave's nested call\n{}",
			network.logs()
		);
		tokio::time::sleep(Duration::from_millis(250)).await;
	}
	for client in &honest {
		assert_healthy(client, network.node(0), "Dave's proposals").await;
	}
}
