//! The RPC handlers, called through the module without a socket.

use super::{handlers::Handlers, module};
use crate::{
	chain_spec::ChainSpec,
	client::Client,
	db::ChainDb,
	pool::{Pool, PoolLimits},
	service::Node,
	signatures::BatchVerifier,
};
use codec::{Decode, Encode};
use jsonrpsee::{rpc_params, MethodsError, RpcModule};
use serde_json::Value as Json;
use sp_core::H256;
use std::sync::Arc;

/// A node of the development chain at genesis, in a temporary directory, with its chain spec.
pub(crate) fn dev_node() -> (Arc<Node>, Arc<ChainSpec>, tempfile::TempDir) {
	let dir = tempfile::tempdir().unwrap();
	let spec = Arc::new(ChainSpec::development());
	let client = Arc::new(Client::open(ChainDb::open(dir.path()).unwrap(), &spec.genesis).unwrap());
	(node_over(client), spec, dir)
}

/// A node over `client`, with an empty pool, checking signatures on the CPU.
pub(crate) fn node_over(client: Arc<Client>) -> Arc<Node> {
	let verifier = carechain_gpu::Verifier::new(carechain_gpu::Mode::Cpu).unwrap();
	Node::new(
		client,
		Arc::new(Pool::new(PoolLimits::default())),
		Arc::new(BatchVerifier::new(verifier)),
	)
}

/// Builds a block of `extrinsics` at `now` (ms) on `client`'s head and commits it; every one
/// must make it into the block.
pub(crate) fn commit_block(
	client: &Client,
	now: u64,
	extrinsics: &[carechain_runtime::UncheckedExtrinsic],
) {
	let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
	let built = client
		.build_block(
			now,
			extrinsics.iter().map(|e| (H256::zero(), e)),
			Default::default(),
			deadline,
		)
		.unwrap();
	assert_eq!(built.block.extrinsics.len(), extrinsics.len() + 1, "every call made it in");
	client.commit(&built.block, built.changes, &[]).unwrap();
}

fn rpc() -> (RpcModule<()>, Arc<Node>, tempfile::TempDir) {
	let (node, spec, dir) = dev_node();
	(module(Handlers::new(node.clone(), spec), None).unwrap(), node, dir)
}

fn code(error: MethodsError) -> (i32, String) {
	match error {
		MethodsError::JsonRpc(e) => (e.code(), e.message().to_owned()),
		other => panic!("expected a JSON-RPC error, got {other:?}"),
	}
}

/// The trials views of a study or subject that does not exist are null, and a block this node
/// does not hold is an error that names it; the journey itself runs against a real node in
/// client-js's `trials.test.js`.
#[tokio::test]
async fn trials_views_of_nothing_are_null_and_unknown_blocks_are_errors() {
	let (rpc, node, _dir) = rpc();
	for (method, params) in [
		("trials_study", rpc_params![0]),
		("trials_consortFlow", rpc_params![u32::MAX]),
		("trials_consentHistory", rpc_params![0, H256::repeat_byte(1)]),
		("trials_researchStudy", rpc_params![0]),
		("trials_researchSubject", rpc_params![0, H256::repeat_byte(1)]),
	] {
		let answer: Option<Json> = rpc.call(method, params).await.unwrap();
		assert_eq!(answer, None, "{method}");
	}
	let genesis = node.client.genesis_hash();
	let at_genesis: Option<Json> = rpc.call("trials_study", rpc_params![0, genesis]).await.unwrap();
	assert_eq!(at_genesis, None);
	let unknown = H256::repeat_byte(7);
	let error = rpc.call::<_, Option<Json>>("trials_study", rpc_params![0, unknown]).await;
	let (_, message) = code(error.unwrap_err());
	assert!(message.contains("is not known to this node"), "{message}");
	let error = rpc.call::<_, Option<Json>>("trials_consentHistory", rpc_params![0, "0x12"]).await;
	assert!(error.is_err(), "a pseudonym is 32 bytes");
}

/// The telehealth and wellness views of what does not exist are null; a patient's account must
/// be an account. The journeys run against a real node in client-js's `telehealth.test.js`.
#[tokio::test]
async fn telehealth_and_wellness_views_of_nothing_are_null() {
	let (rpc, _node, _dir) = rpc();
	let patient = carechain_runtime::AccountId::new([9; 32]);
	for (method, params) in [
		("telehealth_appointment", rpc_params![0]),
		("telehealth_fhirAppointment", rpc_params![u32::MAX]),
		("telehealth_fhirEncounter", rpc_params![0]),
		("wellness_program", rpc_params![0]),
		("wellness_enrolment", rpc_params![0, &patient]),
	] {
		let answer: Option<Json> = rpc.call(method, params).await.unwrap();
		assert_eq!(answer, None, "{method}");
	}
	let error = rpc.call::<_, Option<Json>>("wellness_enrolment", rpc_params![0, "0x12"]).await;
	assert!(error.is_err(), "an account is 32 bytes");
}

#[tokio::test]
async fn system_and_chain_describe_the_dev_chain() {
	let (rpc, node, _dir) = rpc();
	let chain: String = rpc.call("system_chain", rpc_params![]).await.unwrap();
	assert_eq!(chain, "Development");
	let kind: String = rpc.call("system_chainType", rpc_params![]).await.unwrap();
	assert_eq!(kind, "Development");
	let genesis: H256 = rpc.call("chain_getBlockHash", rpc_params![0]).await.unwrap();
	assert_eq!(genesis, node.client.genesis_hash());
	let by_hex: H256 = rpc.call("chain_getBlockHash", rpc_params!["0x0"]).await.unwrap();
	assert_eq!(by_hex, genesis);
	let missing: Option<H256> = rpc.call("chain_getBlockHash", rpc_params![7]).await.unwrap();
	assert_eq!(missing, None);
	let version: Json = rpc.call("state_getRuntimeVersion", rpc_params![]).await.unwrap();
	assert_eq!(version["specName"], "carechain");
	let methods: Json = rpc.call("rpc_methods", rpc_params![]).await.unwrap();
	let methods = methods["methods"].as_array().unwrap();
	for name in
		["author_submitAndWatchExtrinsic", "chain_subscribeNewHead", "consent_check", "rpc_methods"]
	{
		assert!(methods.contains(&Json::from(name)), "rpc_methods lacks {name}");
	}
}

#[tokio::test]
async fn storage_and_keys_read_the_state() {
	let (rpc, _node, _dir) = rpc();
	// System::Number: twox128("System") ++ twox128("Number").
	let key = format!(
		"0x{}{}",
		hex::encode(sp_io::hashing::twox_128(b"System")),
		hex::encode(sp_io::hashing::twox_128(b"Number"))
	);
	let keys: Vec<sp_core::Bytes> = rpc
		.call(
			"state_getKeysPaged",
			rpc_params![format!("0x{}", hex::encode(sp_io::hashing::twox_128(b"System"))), 10],
		)
		.await
		.unwrap();
	assert!(!keys.is_empty() && keys.len() <= 10);
	let number: Option<sp_core::Bytes> =
		rpc.call("state_getStorage", rpc_params![key]).await.unwrap();
	// Genesis leaves the block number unset or zero.
	assert!(number.is_none_or(|n| n.iter().all(|b| *b == 0)));
	let metadata: sp_core::Bytes = rpc.call("state_getMetadata", rpc_params![]).await.unwrap();
	assert_eq!(&metadata[..4], b"meta");
}

#[tokio::test]
async fn bad_input_gets_codes_and_messages() {
	let (rpc, _node, _dir) = rpc();
	let (c, m) =
		code(rpc.call::<_, Json>("chain_getBlockHash", rpc_params!["12"]).await.unwrap_err());
	assert_eq!(c, -32602, "{m}");
	assert!(m.contains("is not a block number"), "{m}");
	let (c, m) =
		code(rpc.call::<_, Json>("state_getKeysPaged", rpc_params!["0x", 5000]).await.unwrap_err());
	assert_eq!(c, -32602, "{m}");
	assert!(m.contains("limit of 1000"), "{m}");
	let unknown = H256::repeat_byte(3);
	let (c, m) = code(
		rpc.call::<_, Json>("state_call", rpc_params!["Core_version", "0x", unknown])
			.await
			.unwrap_err(),
	);
	assert_eq!(c, 4001, "{m}");
	let (c, m) = code(
		rpc.call::<_, Json>("state_call", rpc_params!["Nothing_here", "0x"]).await.unwrap_err(),
	);
	assert_eq!(c, 4002, "{m}");
	assert!(m.contains("no API method Nothing_here"), "{m}");
	// A refused transaction: Substrate's title in `message`, the reason for people in `data`.
	let refused =
		rpc.call::<_, H256>("author_submitExtrinsic", rpc_params!["0x0102"]).await.unwrap_err();
	let MethodsError::JsonRpc(refused) = refused else { panic!("{refused:?}") };
	assert_eq!((refused.code(), refused.message()), (1001, "Extrinsic has invalid format"));
	let data: String = serde_json::from_str(refused.data().unwrap().get()).unwrap();
	assert!(data.contains("does not decode"), "{data}");
}

/// A node whose block 1 holds Bob's record of Eve, with the handlers of a node whose RPC
/// listens on loopback (`operator`: Substrate's unsafe methods served) or beyond it.
fn rpc_after_one_block(
	operator: bool,
) -> (RpcModule<()>, Arc<Node>, carechain_runtime::UncheckedExtrinsic, tempfile::TempDir) {
	use sp_keyring::Ed25519Keyring;
	use sp_runtime::traits::{BlakeTwo256, Hash as _};
	let dir = tempfile::tempdir().unwrap();
	let spec = Arc::new(ChainSpec::development());
	let client = Arc::new(Client::open(ChainDb::open(dir.path()).unwrap(), &spec.genesis).unwrap());
	let call = carechain_runtime::RuntimeCall::Records(pallet_records::Call::create_record {
		patient: Ed25519Keyring::Eve.to_account_id(),
		resource_type: carechain_primitives::FhirResourceType::Observation,
		content: pallet_records::RecordContent {
			content_hash: BlakeTwo256::hash(b"fee test ciphertext"),
			size: 1024,
			locator: BlakeTwo256::hash(b"fee test ciphertext"),
			patient_key: [7u8; 80],
		},
	});
	let extrinsic =
		crate::extrinsic::sign(&Ed25519Keyring::Bob.pair(), 0, call, client.genesis_hash());
	commit_block(&client, 1_700_000_000_000, std::slice::from_ref(&extrinsic));
	let node = node_over(client);
	let local = super::handlers::LocalNode {
		peer_id: "12D3KooWtest".into(),
		validator_key: Some(Ed25519Keyring::Alice.public().0),
		operator_methods: operator,
		starting_block: 1,
	};
	let handlers = Handlers::new(node.clone(), spec).with_local_node(local);
	(module(handlers, None).unwrap(), node, extrinsic, dir)
}

fn system_number_key() -> String {
	format!(
		"0x{}{}",
		hex::encode(sp_io::hashing::twox_128(b"System")),
		hex::encode(sp_io::hashing::twox_128(b"Number"))
	)
}

#[tokio::test]
async fn fee_queries_answer_the_weight_and_class_and_a_fee_of_zero() {
	use frame_support::dispatch::GetDispatchInfo;
	let (rpc, _node, extrinsic, _dir) = rpc_after_one_block(false);
	let bytes = crate::extrinsic::to_hex(&extrinsic);
	let info: Json = rpc.call("payment_queryInfo", rpc_params![&bytes]).await.unwrap();
	let weight = extrinsic.get_dispatch_info().total_weight();
	assert!(weight.ref_time() > 0);
	// Substrate's shape: the weight as sp-weights serializes it, the fee as a decimal string.
	assert_eq!(
		info,
		serde_json::json!({
			"weight": { "ref_time": weight.ref_time(), "proof_size": weight.proof_size() },
			"class": "normal",
			"partialFee": "0",
		})
	);
	let details: Json = rpc.call("payment_queryFeeDetails", rpc_params![&bytes]).await.unwrap();
	assert_eq!(
		details,
		serde_json::json!({ "inclusionFee": { "baseFee": 0, "lenFee": 0, "adjustedWeightFee": 0 } })
	);
	// The runtime API answers the same through `state_call`, as `@polkadot/api` asks it.
	let len = u32::try_from(extrinsic.encode().len()).unwrap();
	let input = format!("{bytes}{}", hex::encode(len.encode()));
	let output: sp_core::Bytes = rpc
		.call("state_call", rpc_params!["TransactionPaymentApi_query_info", input])
		.await
		.unwrap();
	let decoded = pallet_transaction_payment_rpc_runtime_api::RuntimeDispatchInfo::<u128>::decode(
		&mut &output[..],
	)
	.unwrap();
	assert_eq!((decoded.weight, decoded.partial_fee), (weight, 0));
	// Bytes that are no extrinsic are the caller's invalid params.
	for bad in ["0x0102", "0x"] {
		let (c, m) =
			code(rpc.call::<_, Json>("payment_queryInfo", rpc_params![bad]).await.unwrap_err());
		assert_eq!(c, -32602, "{m}");
		assert!(m.contains("extrinsic"), "{m}");
	}
}

#[tokio::test]
async fn storage_hash_size_and_block_hash_lists_answer_as_substrate_does() {
	let (rpc, node, _extrinsic, _dir) = rpc_after_one_block(false);
	let key = system_number_key();
	let value: sp_core::Bytes = rpc.call("state_getStorage", rpc_params![&key]).await.unwrap();
	let hash: H256 = rpc.call("state_getStorageHash", rpc_params![&key]).await.unwrap();
	assert_eq!(hash, H256(sp_io::hashing::blake2_256(&value)));
	let size: u64 = rpc.call("state_getStorageSize", rpc_params![&key]).await.unwrap();
	assert_eq!(size, value.len() as u64);
	let genesis = node.client.genesis_hash();
	let at_genesis: Option<u64> =
		rpc.call("state_getStorageSizeAt", rpc_params!["0x0badbeef", genesis]).await.unwrap();
	assert_eq!(at_genesis, None);
	// A key without a value is a prefix: the sum of the values under it (Records' map here).
	let records = format!(
		"0x{}{}",
		hex::encode(sp_io::hashing::twox_128(b"Records")),
		hex::encode(sp_io::hashing::twox_128(b"Records"))
	);
	let keys: Vec<String> =
		rpc.call("state_getKeysPaged", rpc_params![&records, 100, Json::Null]).await.unwrap();
	assert!(!keys.is_empty(), "block 1 holds a record");
	let mut sum = 0u64;
	for key in &keys {
		let value: sp_core::Bytes = rpc.call("state_getStorage", rpc_params![key]).await.unwrap();
		sum += value.len() as u64;
	}
	let size: u64 = rpc.call("state_getStorageSize", rpc_params![&records]).await.unwrap();
	assert_eq!(size, sum);
	let (c, _) = code(
		rpc.call::<_, Json>("state_getStorageHash", rpc_params![&key, H256::repeat_byte(9)])
			.await
			.unwrap_err(),
	);
	assert_eq!(c, 4001);
	let hashes: Vec<Option<H256>> = rpc
		.call("chain_getBlockHash", rpc_params![vec![Json::from(0), "0x1".into(), 5.into()]])
		.await
		.unwrap();
	assert_eq!(hashes, vec![Some(genesis), Some(node.client.head().hash), None]);
	let one: Option<H256> = rpc.call("chain_getBlockHash", rpc_params![1]).await.unwrap();
	assert_eq!(one, Some(node.client.head().hash));
	let too_many = vec![0u32; 1001];
	let (c, m) =
		code(rpc.call::<_, Json>("chain_getBlockHash", rpc_params![too_many]).await.unwrap_err());
	assert_eq!(c, -32602, "{m}");
	let roles: Vec<String> = rpc.call("system_nodeRoles", rpc_params![]).await.unwrap();
	assert_eq!(roles, ["Authority"]);
	let peer: String = rpc.call("system_localPeerId", rpc_params![]).await.unwrap();
	assert_eq!(peer, "12D3KooWtest");
	let sync: Json = rpc.call("system_syncState", rpc_params![]).await.unwrap();
	assert_eq!(
		sync,
		serde_json::json!({ "startingBlock": 1, "currentBlock": 1, "highestBlock": 1 })
	);
	let methods: Json = rpc.call("rpc_methods", rpc_params![]).await.unwrap();
	let methods = methods["methods"].as_array().unwrap();
	for name in [
		"payment_queryInfo",
		"payment_queryFeeDetails",
		"state_getStorageHash",
		"state_getStorageSize",
		"state_queryStorage",
		"state_queryStorageAt",
		"system_dryRun",
		"system_localPeerId",
		"system_nodeRoles",
		"system_peers",
		"system_syncState",
		"author_hasKey",
		"author_removeExtrinsic",
		"archive_v1_body",
		"archive_v1_call",
		"archive_v1_finalizedHeight",
		"archive_v1_genesisHash",
		"archive_v1_hashByHeight",
		"archive_v1_header",
		"archive_v1_storage",
		"archive_v1_stopStorage",
		"archive_v1_storageDiff",
		"archive_v1_stopStorageDiff",
		"chainHead_v1_follow",
		"chainHead_v1_unfollow",
		"chainHead_v1_header",
		"chainHead_v1_body",
		"chainHead_v1_storage",
		"chainHead_v1_call",
		"chainHead_v1_continue",
		"chainHead_v1_stopOperation",
		"chainHead_v1_unpin",
		"chainSpec_v1_chainName",
		"chainSpec_v1_genesisHash",
		"chainSpec_v1_properties",
		"transaction_v1_broadcast",
		"transaction_v1_stop",
		"transactionWatch_v1_submitAndWatch",
		"transactionWatch_v1_unwatch",
		"chain_getBlockHash",
		"trials_study",
		"trials_consentHistory",
		"trials_consortFlow",
		"trials_researchStudy",
		"trials_researchSubject",
		"telehealth_appointment",
		"telehealth_fhirAppointment",
		"telehealth_fhirEncounter",
		"wellness_program",
		"wellness_enrolment",
	] {
		assert!(methods.contains(&Json::from(name)), "rpc_methods lacks {name}");
	}
}

/// Substrate's unsafe methods, on a node whose RPC listens beyond loopback: refused to
/// everyone (the class check then decides who on loopback).
#[tokio::test]
async fn operator_methods_are_refused_beyond_loopback() {
	let (rpc, node, extrinsic, _dir) = rpc_after_one_block(false);
	let bytes = crate::extrinsic::to_hex(&extrinsic);
	let genesis = node.client.genesis_hash();
	for (method, params) in [
		("system_dryRun", rpc_params![&bytes]),
		("state_queryStorage", rpc_params![vec![system_number_key()], genesis]),
		("author_removeExtrinsic", rpc_params![vec![serde_json::json!({ "hash": genesis })]]),
		("author_hasKey", rpc_params!["0x00", "cons"]),
		("system_peers", rpc_params![]),
	] {
		let (c, m) = code(rpc.call::<_, Json>(method, params).await.unwrap_err());
		assert_eq!(c, -32601, "{method}: {m}");
		assert!(m.contains(method) && m.contains("loopback"), "{m}");
	}
}

/// No consensus runs here: the peer-to-peer network is not there to list peers, and the
/// operator is told so (the consortium test lists real peers).
#[tokio::test]
async fn peers_before_the_network_starts_are_an_error_that_says_so() {
	let (rpc, _node, _extrinsic, _dir) = rpc_after_one_block(true);
	let (c, m) = code(rpc.call::<_, Json>("system_peers", rpc_params![]).await.unwrap_err());
	assert_eq!(c, 2000, "{m}");
	assert!(m.contains("not started"), "{m}");
}

#[tokio::test]
async fn query_storage_reports_each_change_over_a_bounded_range() {
	let (rpc, node, _extrinsic, _dir) = rpc_after_one_block(true);
	let key = system_number_key();
	let genesis = node.client.genesis_hash();
	let head = node.client.head().hash;
	let sets: Json =
		rpc.call("state_queryStorage", rpc_params![vec![&key], genesis]).await.unwrap();
	let sets = sets.as_array().unwrap();
	assert_eq!(sets.len(), 2, "{sets:?}");
	assert_eq!(sets[0]["block"], serde_json::to_value(genesis).unwrap());
	assert_eq!(sets[1]["block"], serde_json::to_value(head).unwrap());
	assert_eq!(sets[1]["changes"][0][1], "0x01000000");
	// A key that never changes is reported at the first block only.
	let sets: Json = rpc
		.call("state_queryStorage", rpc_params![vec!["0x0badbeef"], genesis, head])
		.await
		.unwrap();
	assert_eq!(sets, serde_json::json!([{ "block": genesis, "changes": [["0x0badbeef", null]] }]));
	// Backwards, unknown, too many keys.
	let (c, m) = code(
		rpc.call::<_, Json>("state_queryStorage", rpc_params![vec![&key], head, genesis])
			.await
			.unwrap_err(),
	);
	assert_eq!(c, -32602, "{m}");
	assert!(m.contains("give `from` first"), "{m}");
	let (c, _) = code(
		rpc.call::<_, Json>("state_queryStorage", rpc_params![vec![&key], H256::repeat_byte(4)])
			.await
			.unwrap_err(),
	);
	assert_eq!(c, 4001);
	let keys = vec![key.clone(); 1001];
	let (c, m) = code(
		rpc.call::<_, Json>("state_queryStorage", rpc_params![keys, genesis]).await.unwrap_err(),
	);
	assert_eq!(c, -32602, "{m}");
	assert!(m.contains("limit of 1000"), "{m}");
}

#[tokio::test]
async fn a_dry_run_applies_without_keeping_and_a_replay_is_stale() {
	use sp_runtime::{
		transaction_validity::{InvalidTransaction, TransactionValidityError},
		ApplyExtrinsicResult,
	};
	let (rpc, node, extrinsic, _dir) = rpc_after_one_block(true);
	let bytes = crate::extrinsic::to_hex(&extrinsic);
	let genesis = node.client.genesis_hash();
	let head = node.client.head();
	let at_genesis: sp_core::Bytes =
		rpc.call("system_dryRun", rpc_params![&bytes, genesis]).await.unwrap();
	let result = ApplyExtrinsicResult::decode(&mut &at_genesis[..]).unwrap();
	assert!(matches!(result, Ok(Ok(()))), "{result:?}");
	// The same bytes again on the head, which holds them: a replay.
	let at_head: sp_core::Bytes = rpc.call("system_dryRun", rpc_params![&bytes]).await.unwrap();
	let result = ApplyExtrinsicResult::decode(&mut &at_head[..]).unwrap();
	assert_eq!(result, Err(TransactionValidityError::Invalid(InvalidTransaction::Stale)));
	// Nothing was kept.
	assert_eq!(node.client.head().hash, head.hash);
	let (c, m) =
		code(rpc.call::<_, Json>("system_dryRun", rpc_params!["0x0102"]).await.unwrap_err());
	assert_eq!(c, -32602, "{m}");
}

#[tokio::test]
async fn the_operator_removes_pool_transactions_and_asks_for_the_node_s_key() {
	use sp_keyring::Ed25519Keyring;
	let (rpc, node, _extrinsic, _dir) = rpc_after_one_block(true);
	let call =
		carechain_runtime::RuntimeCall::System(frame_system::Call::remark { remark: Vec::new() });
	let genesis = node.client.genesis_hash();
	let waiting = crate::extrinsic::sign(&Ed25519Keyring::Alice.pair(), 0, call, genesis);
	let hash = node.submitter.submit(waiting.encode()).await.unwrap();
	assert!(node.pool.contains(&hash));
	let other = H256::repeat_byte(8);
	let removed: Vec<H256> = rpc
		.call(
			"author_removeExtrinsic",
			rpc_params![vec![
				serde_json::json!({ "extrinsic": crate::extrinsic::to_hex(&waiting) }),
				serde_json::json!({ "hash": other }),
			]],
		)
		.await
		.unwrap();
	assert_eq!(removed, vec![hash], "only what the pool held");
	assert!(!node.pool.contains(&hash));
	// Sent again, by a wallet or a peer: refused for a while, as Substrate's pool does.
	let again = rpc
		.call::<_, H256>("author_submitExtrinsic", rpc_params![crate::extrinsic::to_hex(&waiting)])
		.await
		.unwrap_err();
	let MethodsError::JsonRpc(again) = again else { panic!("{again:?}") };
	assert_eq!((again.code(), again.message()), (1012, "Transaction is temporarily banned"));
	let data: String = serde_json::from_str(again.data().unwrap().get()).unwrap();
	assert!(data.contains("30 minutes"), "{data}");
	assert!(node.submitter.submit_from_peer(waiting.encode()).await.is_err(), "from a peer too");
	assert!(!node.pool.contains(&hash));
	let alice = format!("0x{}", hex::encode(Ed25519Keyring::Alice.public().0));
	let bob = format!("0x{}", hex::encode(Ed25519Keyring::Bob.public().0));
	for (key, kind, expected) in
		[(&alice, "cons", true), (&bob, "cons", false), (&alice, "aura", false)]
	{
		let has: bool = rpc.call("author_hasKey", rpc_params![key, kind]).await.unwrap();
		assert_eq!(has, expected, "{key} {kind}");
	}
}
