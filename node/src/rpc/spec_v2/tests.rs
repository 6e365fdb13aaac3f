//! Conformance of the new spec's methods to its rules, through the module without a socket:
//! follow events, pinning, operations and their limits, pagination with `chainHead_v1_continue`,
//! unknown subscriptions, and submissions.

use super::{chain_head::*, module};
use crate::{
	chain_spec::ChainSpec,
	client::{extrinsic_hash, Client},
	db::ChainDb,
	pool::{Pool, PoolLimits},
	service::Node,
	signatures::BatchVerifier,
};
use codec::{Decode, Encode};
use jsonrpsee::{rpc_params, MethodsError, RpcModule, Subscription};
use serde_json::{json, Value as Json};
use sp_core::{Bytes, H256};
use std::{sync::Arc, time::Duration};

/// A dev chain at genesis and the new spec's methods over it.
struct Chain {
	rpc: RpcModule<()>,
	node: Arc<Node>,
	_dir: tempfile::TempDir,
}

impl Chain {
	fn new(limits: Limits) -> Self {
		let dir = tempfile::tempdir().unwrap();
		let spec = Arc::new(ChainSpec::development());
		let client =
			Arc::new(Client::open(ChainDb::open(dir.path()).unwrap(), &spec.genesis).unwrap());
		let verifier = carechain_gpu::Verifier::new(carechain_gpu::Mode::Cpu).unwrap();
		let node = Node::new(
			client,
			Arc::new(Pool::new(PoolLimits::default())),
			Arc::new(BatchVerifier::new(verifier)),
		);
		Self { rpc: module(node.clone(), spec, limits).unwrap(), node, _dir: dir }
	}

	/// Builds, commits and announces an empty block, as consensus does; its hash.
	fn block(&self) -> H256 {
		let client = &self.node.client;
		let now = client.timestamp(client.head().hash).unwrap().max(1_700_000_000_000) + 1_000;
		let far = std::time::Instant::now() + Duration::from_secs(60);
		let built = client.build_block(now, [], Default::default(), far).unwrap();
		client.commit(&built.block, built.changes, &[]).unwrap();
		let hashes = built.block.extrinsics.iter().map(|x| extrinsic_hash(&x.encode())).collect();
		self.node.imported(&built.block, hashes, Duration::ZERO);
		built.block.header.hash()
	}

	async fn follow(&self, with_runtime: bool) -> (Subscription, Json) {
		let mut sub = self
			.rpc
			.subscribe_unbounded("chainHead_v1_follow", rpc_params![with_runtime])
			.await
			.unwrap();
		let id = serde_json::to_value(sub.subscription_id()).unwrap();
		let initialized = next(&mut sub).await;
		assert_eq!(initialized["event"], "initialized", "{initialized}");
		(sub, id)
	}

	async fn call(&self, method: &str, params: jsonrpsee::core::params::ArrayParams) -> Json {
		self.rpc.call(method, params).await.unwrap()
	}
}

async fn next(sub: &mut Subscription) -> Json {
	let next = tokio::time::timeout(Duration::from_secs(10), sub.next::<Json>()).await;
	next.expect("an event within 10 s").expect("the subscription is open").unwrap().0
}

fn code(error: MethodsError) -> (i32, String) {
	match error {
		MethodsError::JsonRpc(e) => (e.code(), e.message().to_owned()),
		other => panic!("expected a JSON-RPC error, got {other:?}"),
	}
}

fn operation_id(started: &Json) -> String {
	assert_eq!(started["result"], "started", "{started}");
	started["operationId"].as_str().unwrap().to_owned()
}

fn hex(bytes: &[u8]) -> String {
	format!("0x{}", hex::encode(bytes))
}

#[tokio::test]
async fn follow_reports_the_head_then_each_block_as_new_best_and_finalized() {
	let chain = Chain::new(Limits::default());
	let genesis = chain.node.client.genesis_hash();
	let mut sub =
		chain.rpc.subscribe_unbounded("chainHead_v1_follow", rpc_params![true]).await.unwrap();
	let initialized = next(&mut sub).await;
	assert_eq!(initialized["event"], "initialized");
	assert_eq!(initialized["finalizedBlockHashes"], json!([genesis]));
	let runtime = &initialized["finalizedBlockRuntime"];
	assert_eq!(runtime["type"], "valid");
	assert_eq!(runtime["spec"]["specName"], "carechain");
	assert_eq!(runtime["spec"]["specVersion"], carechain_runtime::VERSION.spec_version);
	// Core's id, 0x-hex of its 8 bytes, as the spec keys `apis`.
	assert!(runtime["spec"]["apis"]["0xdf6acb689907609b"].is_number(), "{runtime}");

	let block = chain.block();
	let new_block = next(&mut sub).await;
	assert_eq!(
		new_block,
		json!({ "event": "newBlock", "blockHash": block, "parentBlockHash": genesis, "newRuntime": null })
	);
	assert_eq!(
		next(&mut sub).await,
		json!({ "event": "bestBlockChanged", "bestBlockHash": block })
	);
	assert_eq!(
		next(&mut sub).await,
		json!({ "event": "finalized", "finalizedBlockHashes": [block], "prunedBlockHashes": [] })
	);

	// Without runtimes: no runtime fields at all.
	let (mut plain, _) = chain.follow(false).await;
	let block = chain.block();
	let new_block = next(&mut plain).await;
	assert_eq!(new_block["blockHash"], json!(block));
	assert!(new_block.get("newRuntime").is_none(), "{new_block}");
}

#[tokio::test]
async fn header_body_storage_and_call_answer_through_operation_events() {
	let chain = Chain::new(Limits::default());
	let (mut sub, id) = chain.follow(true).await;
	let block = chain.block();
	for _ in 0..3 {
		next(&mut sub).await;
	}

	let header: Bytes =
		chain.rpc.call("chainHead_v1_header", rpc_params![&id, block]).await.unwrap();
	let header = carechain_runtime::Header::decode(&mut &header[..]).unwrap();
	assert_eq!(header.hash(), block);

	let started = chain.call("chainHead_v1_body", rpc_params![&id, block]).await;
	let op = operation_id(&started);
	let body = next(&mut sub).await;
	assert_eq!(body["event"], "operationBodyDone");
	assert_eq!(body["operationId"], op);
	assert_eq!(body["value"].as_array().unwrap().len(), 1, "the timestamp: {body}");

	// `:code` holds the runtime's identity, by value and by hash.
	let identity = carechain_runtime::identity::runtime_identity();
	let key = hex(b":code");
	let items = json!([{ "key": key, "type": "value" }, { "key": key, "type": "hash" }]);
	let started =
		chain.call("chainHead_v1_storage", rpc_params![&id, block, items, None::<()>]).await;
	assert_eq!(started["discardedItems"], 0);
	let op = operation_id(&started);
	let items = next(&mut sub).await;
	assert_eq!(items["event"], "operationStorageItems");
	assert_eq!(items["operationId"], op);
	assert_eq!(
		items["items"],
		json!([
			{ "key": key, "value": hex(&identity) },
			{ "key": key, "hash": hex(&sp_io::hashing::blake2_256(&identity)) },
		])
	);
	assert_eq!(next(&mut sub).await, json!({ "event": "operationStorageDone", "operationId": op }));

	// Nothing at a key: no item, done.
	let items = json!([{ "key": "0x0102", "type": "value" }]);
	let op =
		operation_id(&chain.call("chainHead_v1_storage", rpc_params![&id, block, items]).await);
	assert_eq!(next(&mut sub).await, json!({ "event": "operationStorageDone", "operationId": op }));

	// A Merkle value exists for the root's closest descendant of the empty key.
	let items = json!([{ "key": "0x", "type": "closestDescendantMerkleValue" }]);
	let op =
		operation_id(&chain.call("chainHead_v1_storage", rpc_params![&id, block, items]).await);
	let merkle = next(&mut sub).await;
	assert_eq!(merkle["operationId"], op);
	assert!(merkle["items"][0]["closestDescendantMerkleValue"].is_string(), "{merkle}");
	next(&mut sub).await;

	let started =
		chain.call("chainHead_v1_call", rpc_params![&id, block, "Core_version", "0x"]).await;
	let op = operation_id(&started);
	let done = next(&mut sub).await;
	assert_eq!(done["event"], "operationCallDone");
	assert_eq!(done["operationId"], op);
	let output: Bytes = serde_json::from_value(done["output"].clone()).unwrap();
	let version = sp_version::RuntimeVersion::decode(&mut &output[..]).unwrap();
	assert_eq!(version, carechain_runtime::VERSION);

	let started =
		chain.call("chainHead_v1_call", rpc_params![&id, block, "Nothing_here", "0x"]).await;
	let op = operation_id(&started);
	let error = next(&mut sub).await;
	assert_eq!(error["event"], "operationError");
	assert_eq!(error["operationId"], op);
	assert!(error["error"].as_str().unwrap().contains("Nothing_here"), "{error}");

	// A runtime call needs a subscription with runtimes.
	let (_plain, plain) = chain.follow(false).await;
	let head = chain.node.client.head().hash;
	let (c, m) = code(
		chain
			.rpc
			.call::<_, Json>("chainHead_v1_call", rpc_params![&plain, head, "Core_version", "0x"])
			.await
			.unwrap_err(),
	);
	assert_eq!(c, NO_RUNTIME, "{m}");
}

#[tokio::test]
async fn blocks_stay_pinned_until_unpinned_and_unpinning_is_all_or_nothing() {
	let chain = Chain::new(Limits::default());
	let genesis = chain.node.client.genesis_hash();
	let (mut sub, id) = chain.follow(false).await;
	let block = chain.block();
	for _ in 0..3 {
		next(&mut sub).await;
	}
	let unknown = H256::repeat_byte(7);
	let refused = |result: Result<Json, MethodsError>| code(result.unwrap_err()).0;
	let header =
		|hash: H256| chain.rpc.call::<_, Json>("chainHead_v1_header", rpc_params![&id, hash]);
	assert_eq!(refused(header(unknown).await), NOT_PINNED);
	let unpin =
		|hashes: Json| chain.rpc.call::<_, Json>("chainHead_v1_unpin", rpc_params![&id, hashes]);
	assert_eq!(refused(unpin(json!(unknown)).await), NOT_PINNED);
	// One unknown hash among pinned ones: nothing is unpinned.
	assert_eq!(refused(unpin(json!([genesis, unknown])).await), NOT_PINNED);
	assert_eq!(refused(unpin(json!([genesis, genesis])).await), DUPLICATE_HASH);
	assert!(header(genesis).await.unwrap().is_string(), "still pinned");
	unpin(json!([genesis, block])).await.unwrap();
	assert_eq!(refused(header(genesis).await), NOT_PINNED);
	assert_eq!(refused(header(block).await), NOT_PINNED);
	assert_eq!(refused(unpin(json!(block)).await), NOT_PINNED, "unpinned once only");
	let items = json!([{ "key": "0x", "type": "value" }]);
	let storage =
		chain.rpc.call::<_, Json>("chainHead_v1_storage", rpc_params![&id, block, items]).await;
	assert_eq!(refused(storage), NOT_PINNED);
}

#[tokio::test]
async fn a_subscription_that_leaves_a_block_pinned_too_long_is_stopped() {
	let limits = Limits { max_pinned_age: 3, ..Limits::default() };
	let chain = Chain::new(limits);
	let (mut sub, id) = chain.follow(false).await;
	// Unpinning as it goes keeps it alive.
	let mut previous = chain.node.client.genesis_hash();
	for _ in 0..5 {
		let block = chain.block();
		for _ in 0..3 {
			next(&mut sub).await;
		}
		chain.call("chainHead_v1_unpin", rpc_params![&id, previous]).await;
		previous = block;
	}
	// Keeping every pin: the fourth block after the oldest pin stops it.
	for _ in 0..3 {
		chain.block();
		for _ in 0..3 {
			next(&mut sub).await;
		}
	}
	chain.block();
	assert_eq!(next(&mut sub).await, json!({ "event": "stop" }));
	// Gone: its id is unknown now.
	let header = chain.call("chainHead_v1_header", rpc_params![&id, previous]).await;
	assert!(header.is_null());
}

#[tokio::test]
async fn descendants_come_a_page_at_a_time_with_continue() {
	let limits = Limits { items_per_page: 4, ..Limits::default() };
	let chain = Chain::new(limits);
	let (mut sub, id) = chain.follow(false).await;
	let head = chain.node.client.head().hash;
	// Every key of the genesis state, as the legacy paging reads them.
	let state = chain.node.client.state_at(head).unwrap();
	let all: Vec<Vec<u8>> = sp_state_machine::Backend::keys(&state, Default::default())
		.unwrap()
		.map(Result::unwrap)
		.collect();
	assert!(all.len() > 8, "more than two pages");

	let items = json!([{ "key": "0x", "type": "descendantsHashes" }]);
	let op = operation_id(&chain.call("chainHead_v1_storage", rpc_params![&id, head, items]).await);
	let unknown = chain.call("chainHead_v1_continue", rpc_params![&id, "no-such-operation"]).await;
	assert!(unknown.is_null(), "an unknown operation is ignored, not refused");
	let mut keys = Vec::new();
	loop {
		let event = next(&mut sub).await;
		assert_eq!(event["operationId"], op, "{event}");
		match event["event"].as_str().unwrap() {
			"operationStorageItems" => {
				let items = event["items"].as_array().unwrap();
				assert!(items.len() <= 4, "a page holds at most items_per_page");
				for item in items {
					assert!(item["hash"].is_string() && item.get("value").is_none(), "{item}");
					let key: Bytes = serde_json::from_value(item["key"].clone()).unwrap();
					keys.push(key.0);
				}
			}
			"operationWaitingForContinue" => {
				chain.call("chainHead_v1_continue", rpc_params![&id, &op]).await;
			}
			"operationStorageDone" => break,
			other => panic!("unexpected {other}: {event}"),
		}
	}
	assert_eq!(keys, all, "every key once, in order");

	// An operation that is running but not waiting is refused a continue (the test's runtime
	// has one thread: the operation does not run between the two calls).
	let items = json!([{ "key": "0x", "type": "descendantsValues" }]);
	let op = operation_id(&chain.call("chainHead_v1_storage", rpc_params![&id, head, items]).await);
	assert_eq!(next(&mut sub).await["event"], "operationStorageItems");
	assert_eq!(next(&mut sub).await["event"], "operationWaitingForContinue");
	chain.call("chainHead_v1_continue", rpc_params![&id, &op]).await;
	let again = chain.rpc.call::<_, Json>("chainHead_v1_continue", rpc_params![&id, &op]).await;
	let (c, m) = code(again.unwrap_err());
	assert_eq!(c, NOT_WAITING, "{m}");
	assert_eq!(next(&mut sub).await["event"], "operationStorageItems");
	// Stopped while it waits: no more events of it, and a continue is ignored.
	assert_eq!(next(&mut sub).await["event"], "operationWaitingForContinue");
	chain.call("chainHead_v1_stopOperation", rpc_params![&id, &op]).await;
	chain.call("chainHead_v1_continue", rpc_params![&id, &op]).await;
	let block = chain.block();
	assert_eq!(next(&mut sub).await["blockHash"], json!(block), "the stopped operation is silent");
}

#[tokio::test]
async fn operations_and_follows_are_limited() {
	let chain = Chain::new(Limits {
		operations_per_follow: 3,
		follows_per_connection: 2,
		..Limits::default()
	});
	let (mut sub, id) = chain.follow(false).await;
	let head = chain.node.client.head().hash;
	let items = json!([
		{ "key": "0x", "type": "descendantsValues" },
		{ "key": "0x01", "type": "value" },
		{ "key": "0x02", "type": "value" },
		{ "key": "0x03", "type": "value" },
		{ "key": "0x04", "type": "value" },
	]);
	// The first item waits for continue, holding the three slots.
	let started = chain.call("chainHead_v1_storage", rpc_params![&id, head, items]).await;
	assert_eq!(started["discardedItems"], 2, "{started}");
	let op = operation_id(&started);
	let body = chain.call("chainHead_v1_body", rpc_params![&id, head]).await;
	assert_eq!(body, json!({ "result": "limitReached" }));
	let more = json!([{ "key": "0x", "type": "value" }]);
	let storage = chain.call("chainHead_v1_storage", rpc_params![&id, head, more.clone()]).await;
	assert_eq!(storage, json!({ "result": "limitReached" }));
	// Stopping it frees them.
	while next(&mut sub).await["event"] != "operationWaitingForContinue" {}
	chain.call("chainHead_v1_stopOperation", rpc_params![&id, &op]).await;
	operation_id(&chain.call("chainHead_v1_body", rpc_params![&id, head]).await);

	let _second = chain.follow(false).await;
	let third = chain.rpc.subscribe_unbounded("chainHead_v1_follow", rpc_params![false]).await;
	let Err(error) = third else { panic!("a third follow on one connection is refused") };
	let (c, m) = code(error);
	assert_eq!(c, TOO_MANY_FOLLOWS, "{m}");
}

#[tokio::test]
async fn unknown_follow_subscriptions_are_answered_as_the_spec_says() {
	let chain = Chain::new(Limits::default());
	let head = chain.node.client.head().hash;
	for id in [json!("no-such-subscription"), json!(12345)] {
		let header = chain.call("chainHead_v1_header", rpc_params![&id, head]).await;
		assert!(header.is_null());
		let limit = json!({ "result": "limitReached" });
		assert_eq!(chain.call("chainHead_v1_body", rpc_params![&id, head]).await, limit);
		let call = rpc_params![&id, head, "Core_version", "0x"];
		assert_eq!(chain.call("chainHead_v1_call", call).await, limit);
		let items = json!([{ "key": "0x", "type": "value" }]);
		assert_eq!(chain.call("chainHead_v1_storage", rpc_params![&id, head, items]).await, limit);
		assert!(chain.call("chainHead_v1_unpin", rpc_params![&id, head]).await.is_null());
		assert!(chain.call("chainHead_v1_continue", rpc_params![&id, "1"]).await.is_null());
		assert!(chain.call("chainHead_v1_stopOperation", rpc_params![&id, "1"]).await.is_null());
	}
	// An ended subscription is unknown too.
	let (sub, id) = chain.follow(false).await;
	drop(sub);
	tokio::time::sleep(Duration::from_millis(200)).await;
	assert!(chain.call("chainHead_v1_header", rpc_params![&id, head]).await.is_null());
}

#[tokio::test]
async fn chain_spec_and_transactions() {
	let chain = Chain::new(Limits::default());
	assert_eq!(chain.call("chainSpec_v1_chainName", rpc_params![]).await, "Development");
	let genesis = chain.call("chainSpec_v1_genesisHash", rpc_params![]).await;
	assert_eq!(genesis, json!(chain.node.client.genesis_hash()));
	assert_eq!(chain.call("chainSpec_v1_properties", rpc_params![]).await["tokenSymbol"], "CARE");

	// An invalid transaction is not reported by broadcast, and never reaches the pool.
	let op = chain.call("transaction_v1_broadcast", rpc_params!["0x0102"]).await;
	let op = op.as_str().expect("an operation id, even for an invalid transaction").to_owned();
	tokio::time::sleep(Duration::from_millis(200)).await;
	assert_eq!(chain.node.pool.len(), 0);
	assert!(chain.call("transaction_v1_stop", rpc_params![&op]).await.is_null());
	let (c, m) =
		code(chain.rpc.call::<_, Json>("transaction_v1_stop", rpc_params![&op]).await.unwrap_err());
	assert_eq!(c, -32602, "stopped once: {m}");
	// Invalid broadcasts hold their places until stopped: past the limit, null.
	for _ in 0..super::transaction::BROADCASTS_PER_CONNECTION {
		assert!(chain.call("transaction_v1_broadcast", rpc_params!["0x0102"]).await.is_string());
	}
	assert!(chain.call("transaction_v1_broadcast", rpc_params!["0x0102"]).await.is_null());

	// Watched, it is reported invalid.
	let mut watch = chain
		.rpc
		.subscribe_unbounded("transactionWatch_v1_submitAndWatch", rpc_params!["0x0102"])
		.await
		.unwrap();
	let event = next(&mut watch).await;
	assert_eq!(event["event"], "invalid", "{event}");
	assert!(event["error"].as_str().unwrap().contains("does not decode"), "{event}");
}

#[tokio::test]
async fn a_watched_transaction_is_validated_then_finalized_with_its_position() {
	let chain = Chain::new(Limits::default());
	let genesis = chain.node.client.genesis_hash();
	let call =
		carechain_runtime::RuntimeCall::System(frame_system::Call::remark { remark: vec![] });
	let xt = crate::extrinsic::sign(&sp_keyring::Ed25519Keyring::Alice.pair(), 0, call, genesis);
	let mut watch = chain
		.rpc
		.subscribe_unbounded("transactionWatch_v1_submitAndWatch", rpc_params![Bytes(xt.encode())])
		.await
		.unwrap();
	assert_eq!(next(&mut watch).await, json!({ "event": "validated" }));
	let hash = extrinsic_hash(&xt.encode());
	let client = &chain.node.client;
	let now = 1_700_000_001_000;
	let far = std::time::Instant::now() + Duration::from_secs(60);
	let built = client.build_block(now, [(hash, &xt)], Default::default(), far).unwrap();
	assert_eq!(built.block.extrinsics.len(), 2);
	client.commit(&built.block, built.changes, &[]).unwrap();
	let hashes = built.block.extrinsics.iter().map(|x| extrinsic_hash(&x.encode())).collect();
	chain.node.imported(&built.block, hashes, Duration::ZERO);
	let at = built.block.header.hash();
	let included = json!({ "hash": at, "index": 1 });
	assert_eq!(
		next(&mut watch).await,
		json!({ "event": "bestChainBlockIncluded", "block": included })
	);
	assert_eq!(next(&mut watch).await, json!({ "event": "finalized", "block": included }));
}
