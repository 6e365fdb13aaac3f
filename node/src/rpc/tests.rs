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
use jsonrpsee::{rpc_params, MethodsError, RpcModule};
use serde_json::Value as Json;
use sp_core::H256;
use std::sync::Arc;

fn rpc() -> (RpcModule<()>, Arc<Node>, tempfile::TempDir) {
	let dir = tempfile::tempdir().unwrap();
	let spec = Arc::new(ChainSpec::development());
	let client = Arc::new(Client::open(ChainDb::open(dir.path()).unwrap(), &spec.genesis).unwrap());
	let verifier = carechain_gpu::Verifier::new(carechain_gpu::Mode::Cpu).unwrap();
	let node = Node::new(
		client,
		Arc::new(Pool::new(PoolLimits::default())),
		Arc::new(BatchVerifier::new(verifier)),
	);
	(module(Handlers::new(node.clone(), spec), None).unwrap(), node, dir)
}

fn code(error: MethodsError) -> (i32, String) {
	match error {
		MethodsError::JsonRpc(e) => (e.code(), e.message().to_owned()),
		other => panic!("expected a JSON-RPC error, got {other:?}"),
	}
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
	let (c, m) = code(
		rpc.call::<_, H256>("author_submitExtrinsic", rpc_params!["0x0102"]).await.unwrap_err(),
	);
	assert_eq!(c, 1002, "{m}");
}
