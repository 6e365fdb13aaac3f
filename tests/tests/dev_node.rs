//! The real `carechain --dev` binary, driven over WebSocket JSON-RPC: signed extrinsics are
//! finalized and readable, bad requests get clear errors, and a kill -9 under load loses no
//! finalized block.

#![allow(clippy::arithmetic_side_effects)]

use carechain_e2e::{create_record, hex_of, sign, DevNode};
use carechain_runtime::Header;
use codec::Decode;
use jsonrpsee::{
	core::client::{ClientT, Error as RpcClientError, SubscriptionClientT},
	rpc_params,
	ws_client::WsClient,
};
use serde_json::Value as Json;
use sp_core::{crypto::Pair as _, H256};
use sp_keyring::Ed25519Keyring;
use sp_runtime::traits::{BlakeTwo256, Hash as _};
use std::time::{Duration, Instant};

async fn genesis(client: &WsClient) -> H256 {
	client.request("chain_getBlockHash", rpc_params![0]).await.expect("genesis hash")
}

async fn head(client: &WsClient) -> Header {
	client.request("chain_getHeader", rpc_params![]).await.expect("head header")
}

fn error_code(error: RpcClientError) -> (i32, String) {
	match error {
		// A refused transaction says why in `data`, after Substrate's title in `message`.
		RpcClientError::Call(e) => match e.data() {
			Some(data) => (e.code(), format!("{}: {}", e.message(), data.get())),
			None => (e.code(), e.message().to_owned()),
		},
		other => panic!("expected a JSON-RPC error, got {other:?}"),
	}
}

#[tokio::test(flavor = "multi_thread")]
async fn a_signed_record_is_finalized_and_served() {
	let dir = tempfile::tempdir().unwrap();
	let node = DevNode::start(dir.path());
	let client = node.connect().await;
	let genesis = genesis(&client).await;
	let doctor = Ed25519Keyring::Bob.pair();

	let extrinsic = sign(&doctor, 0, create_record(1), genesis);
	let mut watch = client
		.subscribe::<Json, _>(
			"author_submitAndWatchExtrinsic",
			rpc_params![hex_of(&extrinsic)],
			"author_unwatchExtrinsic",
		)
		.await
		.expect("the pool accepts a valid extrinsic");
	let mut statuses = Vec::new();
	let finalized = loop {
		let status = tokio::time::timeout(Duration::from_secs(30), watch.next())
			.await
			.expect("a status within 30 s")
			.expect("the subscription stays open")
			.expect("statuses are JSON");
		statuses.push(status.clone());
		if let Some(hash) = status.get("finalized") {
			break serde_json::from_value::<H256>(hash.clone()).unwrap();
		}
	};
	assert_eq!(statuses[0], Json::from("ready"), "statuses: {statuses:?}");

	// The block holds the extrinsic, and its header is the one RPC reports.
	let block: Json = client.request("chain_getBlock", rpc_params![finalized]).await.unwrap();
	let extrinsics = block["block"]["extrinsics"].as_array().unwrap();
	assert!(extrinsics.contains(&Json::from(hex_of(&extrinsic))), "block: {block}");
	let header: Header = client.request("chain_getHeader", rpc_params![finalized]).await.unwrap();
	assert_eq!(header.hash(), finalized);

	// The record is in state: the runtime API through RPC returns it for Eve.
	let records: sp_core::Bytes = client
		.request(
			"records_byPatient",
			rpc_params![Ed25519Keyring::Eve.to_account_id(), 0, 10, Option::<H256>::None],
		)
		.await
		.unwrap();
	let records = Vec::<(H256, pallet_records::Record<carechain_runtime::Runtime>)>::decode(
		&mut &records[..],
	)
	.unwrap();
	assert_eq!(records.len(), 1);
	assert_eq!(records[0].1.author, Ed25519Keyring::Bob.to_account_id());

	// Prometheus counts what happened.
	let metrics = node.metrics();
	assert!(metrics.starts_with("HTTP/1.1 200 OK"), "{metrics}");
	let value = |name: &str| {
		metrics
			.lines()
			.find(|l| l.starts_with(name))
			.and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
			.unwrap_or_else(|| panic!("{name} missing from:\n{metrics}"))
	};
	assert!(value("carechain_finalized_height") >= 1.0);
	assert!(value("carechain_block_transactions_total") >= 1.0);
	assert!(value("carechain_cpu_signatures_total") >= 1.0);
	assert!(value("carechain_rpc_calls_total") >= 1.0);

	// The nonce moved on.
	let next: u32 = client
		.request("system_accountNextIndex", rpc_params![Ed25519Keyring::Bob.to_account_id()])
		.await
		.unwrap();
	assert_eq!(next, 1);

	// SIGTERM: the node shuts down cleanly and says so.
	let mut node = node;
	let status = node.terminate();
	assert!(status.success(), "exit status {status}; log:\n{}", node.log());
	assert!(node.log().contains("Shutting down"), "{}", node.log());
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_requests_get_clear_errors_and_the_node_keeps_serving() {
	let dir = tempfile::tempdir().unwrap();
	let node = DevNode::start(dir.path());
	let client = node.connect().await;
	let genesis = genesis(&client).await;
	let doctor = Ed25519Keyring::Bob.pair();

	let submit = |hex: String| {
		let client = &client;
		async move { client.request::<H256, _>("author_submitExtrinsic", rpc_params![hex]).await }
	};

	// Not hex at all: the parameters do not parse.
	let (code, _) = error_code(submit("0xzz".into()).await.unwrap_err());
	assert_eq!(code, -32602);

	// Hex, but not an extrinsic.
	let (code, message) = error_code(submit("0x0102".into()).await.unwrap_err());
	assert_eq!(code, 1001, "{message}");
	assert!(message.contains("does not decode"), "{message}");

	// A signature that does not match.
	let mut forged = sign(&doctor, 0, create_record(2), genesis);
	if let sp_runtime::generic::Preamble::Signed(_, signature, _) = &mut forged.preamble {
		*signature = sp_runtime::MultiSignature::Ed25519(doctor.sign(b"something else")).into();
	}
	let (code, message) = error_code(submit(hex_of(&forged)).await.unwrap_err());
	assert_eq!(code, 1010, "{message}");
	assert!(message.contains("BadProof"), "{message}");

	// A valid one goes in once; the same bytes again are a duplicate.
	let valid = sign(&doctor, 0, create_record(3), genesis);
	let hash = submit(hex_of(&valid)).await.expect("a valid extrinsic is accepted");
	assert_eq!(hash, BlakeTwo256::hash(&codec::Encode::encode(&valid)));
	let deadline = Instant::now() + Duration::from_secs(30);
	let mut stale = None;
	while Instant::now() < deadline {
		match submit(hex_of(&valid)).await {
			Err(e) => {
				let (code, message) = error_code(e);
				if code == 1010 {
					// Included by now: the same nonce is stale.
					assert!(message.contains("Stale"), "{message}");
					stale = Some(message);
					break;
				}
				assert_eq!(code, 1013, "{message}");
			}
			Ok(_) => panic!("a duplicate was accepted"),
		}
		tokio::time::sleep(Duration::from_millis(200)).await;
	}
	assert!(stale.is_some(), "the extrinsic was never included");

	// A nonce far in the future (the pool allows 8,192 out of order).
	let (code, message) = error_code(
		submit(hex_of(&sign(&doctor, 20_000, create_record(4), genesis))).await.unwrap_err(),
	);
	assert_eq!(code, 1021, "{message}");

	// An unknown method and an unknown block.
	let unknown = client.request::<Json, _>("carechain_nothing", rpc_params![]).await.unwrap_err();
	assert_eq!(error_code(unknown).0, -32601);
	let missing = client
		.request::<Json, _>("state_getRuntimeVersion", rpc_params![H256::repeat_byte(9)])
		.await
		.unwrap_err();
	let (code, message) = error_code(missing);
	assert_eq!(code, 4001);
	assert!(message.contains("not known"), "{message}");

	// Still serving.
	let chain: String = client.request("system_chain", rpc_params![]).await.unwrap();
	assert_eq!(chain, "Development");
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_under_load_loses_no_finalized_block() {
	let dir = tempfile::tempdir().unwrap();
	let mut node = DevNode::start(dir.path());
	let client = node.connect().await;
	let genesis = genesis(&client).await;
	let doctor = Ed25519Keyring::Bob.pair();

	// Load: a steady stream of records while blocks are finalized.
	let mut nonce = 0u32;
	let deadline = Instant::now() + Duration::from_secs(60);
	while head(&client).await.number < 4 {
		for _ in 0..20 {
			let x = sign(&doctor, nonce, create_record(1000 + nonce), genesis);
			let _: H256 =
				client.request("author_submitExtrinsic", rpc_params![hex_of(&x)]).await.unwrap();
			nonce += 1;
		}
		assert!(Instant::now() < deadline, "no block #4 within 60 s; log:\n{}", node.log());
		tokio::time::sleep(Duration::from_millis(300)).await;
	}
	let before = head(&client).await;
	let mut hashes = Vec::new();
	for n in 0..=before.number {
		let hash: H256 = client.request("chain_getBlockHash", rpc_params![n]).await.unwrap();
		hashes.push(hash);
	}
	// Keep submitting, and kill the node in the middle of it.
	for _ in 0..20 {
		let x = sign(&doctor, nonce, create_record(1000 + nonce), genesis);
		let _ = client.request::<H256, _>("author_submitExtrinsic", rpc_params![hex_of(&x)]).await;
		nonce += 1;
	}
	node.kill();
	drop(client);

	let node = DevNode::start(dir.path());
	let client = node.connect().await;
	let after = head(&client).await;
	assert!(
		after.number >= before.number,
		"head went back from #{} to #{}",
		before.number,
		after.number
	);
	for (n, expected) in hashes.iter().enumerate() {
		let hash: Option<H256> =
			client.request("chain_getBlockHash", rpc_params![n]).await.unwrap();
		assert_eq!(hash, Some(*expected), "block #{n} changed across the crash");
	}
	let header: Header = client
		.request("chain_getHeader", rpc_params![hashes[before.number as usize]])
		.await
		.unwrap();
	assert_eq!(header.state_root, before.state_root);
	// The state of that block is readable: the records count in storage decodes.
	let records: sp_core::Bytes = client
		.request(
			"records_byPatient",
			rpc_params![
				Ed25519Keyring::Eve.to_account_id(),
				0,
				100,
				Some(hashes[before.number as usize])
			],
		)
		.await
		.unwrap();
	assert!(records.len() > 1, "the records written before the crash are readable");

	// And the chain goes on.
	let deadline = Instant::now() + Duration::from_secs(30);
	while head(&client).await.number <= after.number + 1 {
		assert!(Instant::now() < deadline, "no new block after restart; log:\n{}", node.log());
		tokio::time::sleep(Duration::from_millis(200)).await;
	}
}
