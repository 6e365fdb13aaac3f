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
		Self::keeping(limits, Some(crate::client::DEFAULT_KEEP_STATES))
	}

	/// A chain whose node keeps the newest `keep` states (all with `None`).
	fn keeping(limits: Limits, keep: Option<u32>) -> Self {
		let dir = tempfile::tempdir().unwrap();
		let spec = Arc::new(ChainSpec::development());
		let client = Client::open(ChainDb::open(dir.path()).unwrap(), &spec.genesis).unwrap();
		let client = Arc::new(client.keep_states(keep));
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

/// Every event of a subscription up to its last (`done` or `error`).
async fn all_events(sub: &mut Subscription, done: &str, error: &str) -> Vec<Json> {
	let mut events = Vec::new();
	loop {
		let event = next(sub).await;
		let last = event["event"] == done || event["event"] == error;
		events.push(event);
		if last {
			return events;
		}
	}
}

#[tokio::test]
async fn archive_names_each_finalized_block_by_height_with_its_header_and_body() {
	let chain = Chain::new(Limits::default());
	let genesis = chain.node.client.genesis_hash();
	let (first, second) = (chain.block(), chain.block());
	assert_eq!(chain.call("archive_v1_finalizedHeight", rpc_params![]).await, json!(2));
	assert_eq!(chain.call("archive_v1_genesisHash", rpc_params![]).await, json!(genesis));
	for (height, hash) in [(0, genesis), (1, first), (2, second)] {
		assert_eq!(chain.call("archive_v1_hashByHeight", rpc_params![height]).await, json!([hash]));
	}
	// Above the finalized height, and past any block number: nothing.
	for height in [json!(3), json!(u64::MAX)] {
		let hashes = chain.call("archive_v1_hashByHeight", rpc_params![height]).await;
		assert_eq!(hashes, json!([]));
	}
	let header = chain.call("archive_v1_header", rpc_params![first]).await;
	let bytes = hex::decode(header.as_str().unwrap().trim_start_matches("0x")).unwrap();
	let header = carechain_runtime::Header::decode(&mut &bytes[..]).unwrap();
	assert_eq!((header.number, header.parent_hash), (1, genesis));
	let body = chain.call("archive_v1_body", rpc_params![first]).await;
	let stored = chain.node.client.body(first).unwrap().unwrap();
	let expected: Vec<String> = stored.iter().map(|x| hex(&x.encode())).collect();
	assert!(!expected.is_empty(), "a block holds its timestamp inherent");
	assert_eq!(body, json!(expected));
	let unknown = H256::repeat_byte(7);
	assert_eq!(chain.call("archive_v1_header", rpc_params![unknown]).await, Json::Null);
	assert_eq!(chain.call("archive_v1_body", rpc_params![unknown]).await, Json::Null);
}

#[tokio::test]
async fn archive_calls_the_runtime_of_the_block_named() {
	let chain = Chain::new(Limits::default());
	let first = chain.block();
	let answer = chain.call("archive_v1_call", rpc_params![first, "Core_version", "0x"]).await;
	assert_eq!(answer["success"], true, "{answer}");
	let value = hex::decode(answer["value"].as_str().unwrap().trim_start_matches("0x")).unwrap();
	let version = sp_version::RuntimeVersion::decode(&mut &value[..]).unwrap();
	assert_eq!(version.spec_version, carechain_runtime::VERSION.spec_version);
	let missing = chain.call("archive_v1_call", rpc_params![first, "Nothing_here", "0x"]).await;
	assert_eq!(missing["success"], false, "{missing}");
	assert!(missing["error"].as_str().is_some_and(|e| !e.is_empty()), "{missing}");
	assert!(missing.get("value").is_none(), "{missing}");
	let unknown = H256::repeat_byte(7);
	let call = chain.call("archive_v1_call", rpc_params![unknown, "Core_version", "0x"]).await;
	assert_eq!(call, Json::Null);
}

#[tokio::test]
async fn archive_storage_streams_values_hashes_and_descendants_and_resumes_after_a_key() {
	let chain = Chain::new(Limits::default());
	let first = chain.block();
	let state = chain.node.client.state_at(first).unwrap();
	use sp_state_machine::Backend as _;
	let code_key = sp_core::storage::well_known_keys::CODE.to_vec();
	let code = state.storage(&code_key).unwrap().unwrap();
	// System's prefix: twox128("System").
	let system = sp_io::hashing::twox_128(b"System").to_vec();
	let mut args = sp_state_machine::IterArgs::default();
	args.prefix = Some(&system);
	let system_keys: Vec<Vec<u8>> = state.keys(args).unwrap().map(|k| k.unwrap()).collect();
	assert!(system_keys.len() > 3, "System holds several keys");

	let items = json!([
		{ "key": hex(&code_key), "type": "value" },
		{ "key": hex(&code_key), "type": "hash" },
		{ "key": hex(&system), "type": "descendantsHashes", "paginationStartKey": hex(&system_keys[1]) },
		{ "key": "0x00ff00ff", "type": "value" },
	]);
	let mut sub = chain
		.rpc
		.subscribe_unbounded("archive_v1_storage", rpc_params![first, items, Json::Null])
		.await
		.unwrap();
	let events = all_events(&mut sub, "storageDone", "storageError").await;
	assert_eq!(events.last().unwrap(), &json!({ "event": "storageDone" }));
	assert_eq!(
		events[0],
		json!({ "event": "storage", "key": hex(&code_key), "value": hex(&code) })
	);
	let code_hash = hex(&sp_io::hashing::blake2_256(&code));
	assert_eq!(events[1], json!({ "event": "storage", "key": hex(&code_key), "hash": code_hash }));
	// Resumed after the second key: the third and the rest, hashed; nothing for a missing key.
	let keys: Vec<&str> = events[2..events.len() - 1]
		.iter()
		.map(|e| {
			assert!(e["hash"].is_string() && e.get("value").is_none(), "{e}");
			e["key"].as_str().unwrap()
		})
		.collect();
	let expected: Vec<String> = system_keys[2..].iter().map(|k| hex(k)).collect();
	assert_eq!(keys, expected);
}

#[tokio::test]
async fn archive_storage_refuses_what_it_cannot_answer_with_reasons() {
	let chain = Chain::new(Limits::default());
	let first = chain.block();
	let subscribe = |params| chain.rpc.subscribe_unbounded("archive_v1_storage", params);
	// An unknown block: an error event.
	let items = json!([{ "key": "0x3a636f6465", "type": "value" }]);
	let mut sub =
		subscribe(rpc_params![H256::repeat_byte(7), items.clone(), Json::Null]).await.unwrap();
	let event = next(&mut sub).await;
	assert_eq!(event["event"], "storageError", "{event}");
	assert!(event["error"].as_str().unwrap().contains("not known"), "{event}");
	// Too many items, and a resumption key outside its item's key: refused with -32602.
	let many: Vec<Json> = (0..65).map(|_| json!({ "key": "0x00", "type": "value" })).collect();
	let Err(error) = subscribe(rpc_params![first, many, Json::Null]).await else {
		panic!("65 items are refused")
	};
	let (c, m) = code(error);
	assert_eq!(c, -32602, "{m}");
	assert!(m.contains("64"), "{m}");
	let misplaced =
		json!([{ "key": "0x26aa", "type": "descendantsValues", "paginationStartKey": "0x3a" }]);
	let Err(error) = subscribe(rpc_params![first, misplaced, Json::Null]).await else {
		panic!("a resumption key outside the prefix is refused")
	};
	assert_eq!(code(error).0, -32602);
}

#[tokio::test]
async fn archive_storage_runs_a_few_operations_per_connection_and_frees_them_when_stopped() {
	use super::api::ArchiveApiServer;
	use super::archive::{Archive, ArchiveLimits, TOO_MANY_OPERATIONS};
	let chain = Chain::new(Limits::default());
	let limits = ArchiveLimits {
		operations_per_connection: 2,
		items_per_call: 8,
		read_ahead: 1,
		..Default::default()
	};
	let rpc = Archive::new(chain.node.clone(), limits).into_rpc();
	let head = chain.node.client.head().hash;
	// Every key of the state, read by nobody: each operation stays running.
	let everything =
		|| rpc_params![head, json!([{ "key": "0x", "type": "descendantsValues" }]), Json::Null];
	let first = rpc.subscribe("archive_v1_storage", everything(), 1).await.unwrap();
	let _second = rpc.subscribe("archive_v1_storage", everything(), 1).await.unwrap();
	let Err(error) = rpc.subscribe("archive_v1_storage", everything(), 1).await else {
		panic!("a third operation on one connection is refused")
	};
	let (c, m) = code(error);
	assert_eq!(c, TOO_MANY_OPERATIONS, "{m}");
	let Err(error) = rpc.subscribe("archive_v1_storageDiff", rpc_params![head], 1).await else {
		panic!("diffs count too")
	};
	assert_eq!(code(error).0, TOO_MANY_OPERATIONS);
	// Stopping one frees its slot once its reader notices.
	drop(first);
	let deadline = std::time::Instant::now() + Duration::from_secs(10);
	loop {
		match rpc.subscribe("archive_v1_storage", everything(), 1).await {
			Ok(_third) => break,
			Err(_) if std::time::Instant::now() < deadline => {
				tokio::time::sleep(Duration::from_millis(50)).await
			}
			Err(e) => panic!("the stopped operation's slot was never freed: {e:?}"),
		}
	}
}

#[tokio::test]
async fn archive_storage_diff_names_what_a_block_changed() {
	let chain = Chain::new(Limits::default());
	let genesis = chain.node.client.genesis_hash();
	let (first, second) = (chain.block(), chain.block());
	let rpc = &chain.rpc;
	let diff = |params| async move {
		let mut sub = rpc.subscribe_unbounded("archive_v1_storageDiff", params).await.unwrap();
		all_events(&mut sub, "storageDiffDone", "storageDiffError").await
	};
	use sp_state_machine::Backend as _;
	let (before, after) =
		(chain.node.client.state_at(first).unwrap(), chain.node.client.state_at(second).unwrap());
	let all = |state: &crate::client::State| -> std::collections::BTreeMap<Vec<u8>, Vec<u8>> {
		state.pairs(Default::default()).unwrap().map(|p| p.unwrap()).collect()
	};
	let (before, after) = (all(&before), all(&after));
	// Against the parent, every key: exactly the keys whose values differ, with their kind.
	let events = diff(rpc_params![second]).await;
	assert_eq!(events.last().unwrap(), &json!({ "event": "storageDiffDone" }));
	let changes = &events[..events.len() - 1];
	let mut expected = Vec::new();
	for key in before.keys().chain(after.keys()).collect::<std::collections::BTreeSet<_>>() {
		let kind = match (before.get(key), after.get(key)) {
			(Some(a), Some(b)) if a == b => continue,
			(Some(_), Some(_)) => "modified",
			(None, Some(_)) => "added",
			_ => "deleted",
		};
		let mut event = json!({ "event": "storageDiff", "key": hex(key), "type": kind });
		if let Some(value) = after.get(key) {
			event["value"] = json!(hex(value));
		}
		expected.push(event);
	}
	assert!(!expected.is_empty(), "a block changes its number and time at least");
	assert_eq!(changes, &expected[..]);
	// Timestamp's keys only, hashed, against genesis named as the previous block.
	let timestamp = hex(&sp_io::hashing::twox_128(b"Timestamp"));
	let items = json!([{ "key": timestamp, "returnType": "hash" }]);
	let events = diff(rpc_params![second, items, genesis]).await;
	assert!(events.len() >= 2, "{events:?}");
	for event in &events[..events.len() - 1] {
		assert!(event["key"].as_str().unwrap().starts_with(&timestamp), "{event}");
		assert!(event["hash"].is_string() && event.get("value").is_none(), "{event}");
	}
	// A later block as the previous one, and genesis without one: errors that say why.
	let events = diff(rpc_params![first, Json::Null, second]).await;
	assert_eq!(events.len(), 1);
	assert!(events[0]["error"].as_str().unwrap().contains("not an ancestor"), "{events:?}");
	let events = diff(rpc_params![genesis]).await;
	assert!(events[0]["error"].as_str().unwrap().contains("no parent"), "{events:?}");
}

#[tokio::test]
async fn archive_says_when_a_state_is_no_longer_kept_and_still_serves_its_header() {
	let chain = Chain::keeping(Limits::default(), Some(2));
	let first = chain.block();
	for _ in 0..3 {
		chain.block();
	}
	assert!(!chain.node.client.keeps_state_of(1));
	let header = chain.call("archive_v1_header", rpc_params![first]).await;
	assert!(header.is_string(), "{header}");
	let call = chain.call("archive_v1_call", rpc_params![first, "Core_version", "0x"]).await;
	assert_eq!(call["success"], false, "{call}");
	assert!(call["error"].as_str().unwrap().contains("--state-pruning archive"), "{call}");
	let items = json!([{ "key": "0x3a636f6465", "type": "value" }]);
	let mut sub = chain
		.rpc
		.subscribe_unbounded("archive_v1_storage", rpc_params![first, items, Json::Null])
		.await
		.unwrap();
	let event = next(&mut sub).await;
	assert_eq!(event["event"], "storageError", "{event}");
	assert!(event["error"].as_str().unwrap().contains("--state-pruning archive"), "{event}");
	// The newest states are still there.
	let head = chain.node.client.head().hash;
	let call = chain.call("archive_v1_call", rpc_params![head, "Core_version", "0x"]).await;
	assert_eq!(call["success"], true, "{call}");
}

#[tokio::test]
async fn archive_operations_are_bounded_in_all_and_a_diff_in_the_keys_it_compares() {
	use super::api::ArchiveApiServer;
	use super::archive::{Archive, ArchiveLimits, TOO_MANY_OPERATIONS};
	let chain = Chain::new(Limits::default());
	chain.block();
	let head = chain.node.client.head().hash;
	// The node's own bound, below any connection's.
	let limits = ArchiveLimits {
		operations_per_connection: 8,
		operations_in_all: 1,
		read_ahead: 1,
		..Default::default()
	};
	let rpc = Archive::new(chain.node.clone(), limits).into_rpc();
	let everything = json!([{ "key": "0x", "type": "descendantsValues" }]);
	let _running =
		rpc.subscribe("archive_v1_storage", rpc_params![head, &everything, Json::Null], 1).await;
	let Err(error) =
		rpc.subscribe("archive_v1_storage", rpc_params![head, &everything, Json::Null], 1).await
	else {
		panic!("a second operation on a node that runs one is refused")
	};
	let (c, m) = code(error);
	assert_eq!(c, TOO_MANY_OPERATIONS, "{m}");
	assert!(m.contains("node runs 1"), "{m}");

	// A diff of the whole state, allowed to compare only a few keys: an error that says so.
	let limits = ArchiveLimits { diff_keys: 10, ..Default::default() };
	let rpc = Archive::new(chain.node.clone(), limits).into_rpc();
	let mut sub =
		rpc.subscribe_unbounded("archive_v1_storageDiff", rpc_params![head]).await.unwrap();
	let events = all_events(&mut sub, "storageDiffDone", "storageDiffError").await;
	let last = events.last().unwrap();
	assert_eq!(last["event"], "storageDiffError", "{events:?}");
	assert!(last["error"].as_str().unwrap().contains("compared 10 keys"), "{last}");
}
