//! Fuzz harnesses of Carechain's decoders and entry points, on stable Rust.
//!
//! Each harness in `tests/` is a `bolero::check!` test: under `cargo test` bolero's random
//! engine feeds it inputs for one second (the README test command runs them so); with
//! `BOLERO_RANDOM_ITERATIONS=1000000` it runs a million inputs per harness instead (README
//! documents the long run). A failing input is printed with the `BOLERO_RANDOM_SEED` that
//! replays it, and becomes a regression test beside the harness.
//!
//! This crate holds what the harnesses share: a dev chain on a temporary database, the node's
//! RPC module over it (vault included), valid inputs to mutate, and a generator of JSON values
//! from fuzz bytes.

// Fuzz-input arithmetic works on small bounded values.
#![allow(clippy::arithmetic_side_effects)]

use carechain_node::{
	chain_spec::ChainSpec,
	client::Client,
	db::ChainDb,
	pool::{Pool, PoolLimits},
	rpc::{handlers::Handlers, module},
	service::Node,
	signatures::BatchVerifier,
	vault::{Vault, VaultRpc, VaultSettings},
};
use carechain_runtime::{Block, RuntimeCall, UncheckedExtrinsic};
use codec::Encode;
use serde_json::{Map, Value as Json};
use sp_core::H256;
use sp_keyring::Ed25519Keyring;
use std::sync::Arc;

/// A dev chain at genesis on a temporary database, with the node around it.
pub struct DevChain {
	/// The node: client, pool, verifier.
	pub node: Arc<Node>,
	/// Its chain spec.
	pub spec: Arc<ChainSpec>,
	/// The vault over a temporary local store.
	pub vault: Arc<Vault>,
	_dir: tempfile::TempDir,
}

impl DevChain {
	/// Opens the dev chain's genesis in a temporary folder.
	pub fn new() -> Self {
		let dir = tempfile::tempdir().expect("a temporary directory");
		let spec = Arc::new(ChainSpec::development());
		let db = ChainDb::open(&dir.path().join("db")).expect("the database opens");
		let client = Arc::new(Client::open(db, &spec.genesis).expect("the genesis is written"));
		let verifier = carechain_gpu::Verifier::new(carechain_gpu::Mode::Cpu).expect("CPU");
		let node = Node::new(
			client,
			Arc::new(Pool::new(PoolLimits::default())),
			Arc::new(BatchVerifier::new(verifier)),
		);
		let store = Arc::new(
			carechain_vault::LocalStore::open(dir.path().join("vault")).expect("the store opens"),
		);
		let settings = VaultSettings {
			state_dir: Some(dir.path().join("vault-state")),
			..VaultSettings::default()
		};
		let vault = Vault::new(node.clone(), store, settings).expect("the vault opens");
		Self { node, spec, vault, _dir: dir }
	}

	/// The genesis hash.
	pub fn genesis(&self) -> H256 {
		self.node.client.genesis_hash()
	}

	/// Every RPC method of the node, the vault's included, called as on a node without
	/// authentication (a call without a caller counts as anonymous, and would stop at the
	/// refusal of every patient-linked method).
	pub fn rpc(&self) -> jsonrpsee::RpcModule<()> {
		let mut module = module(
			Handlers::new(self.node.clone(), self.spec.clone()),
			Some(VaultRpc(self.vault.clone())),
		)
		.expect("the methods register");
		module.extensions_mut().insert(carechain_node::rpc::auth::Caller::Open);
		module
	}

	/// Valid signed extrinsics of several kinds, SCALE-encoded, to mutate.
	pub fn valid_extrinsics(&self) -> Vec<Vec<u8>> {
		let genesis = self.genesis();
		// Empty: the runtime refuses a remark with bytes, which would not be valid.
		let remark = RuntimeCall::System(frame_system::Call::remark { remark: Vec::new() });
		let nested = RuntimeCall::Council(pallet_collective_call(remark.clone()));
		[
			carechain_node::extrinsic::sign(&Ed25519Keyring::Bob.pair(), 0, remark, genesis),
			carechain_node::extrinsic::sign(&Ed25519Keyring::Alice.pair(), 0, nested, genesis),
		]
		.iter()
		.map(Encode::encode)
		.collect()
	}

	/// A valid block on genesis carrying `extrinsics`, SCALE-encoded, to mutate.
	pub fn valid_block(&self, extrinsics: &[UncheckedExtrinsic]) -> Vec<u8> {
		let client = &self.node.client;
		let candidates = extrinsics.iter().map(|x| (H256::zero(), x));
		let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
		let built = client
			.build_block(1_700_000_000_000, candidates, Default::default(), deadline)
			.expect("a block builds on genesis");
		let block: Block = built.block;
		block.encode()
	}
}

impl Default for DevChain {
	fn default() -> Self {
		Self::new()
	}
}

/// `Council.execute(call)`: a council member's call that nests another.
fn pallet_collective_call(
	call: RuntimeCall,
) -> pallet_collective::Call<carechain_runtime::Runtime, pallet_collective::Instance1> {
	pallet_collective::Call::execute { proposal: Box::new(call), length_bound: 1024 }
}

/// Mutates `valid` as the fuzz bytes say: each 3-byte step flips, overwrites, inserts or
/// removes a byte at a position, or truncates; so most inputs stay close to a valid one and
/// reach the checks behind decoding.
pub fn mutate(valid: &[u8], steps: &[u8]) -> Vec<u8> {
	let mut bytes = valid.to_vec();
	for step in steps.chunks_exact(3) {
		let (op, at, value) = (step[0] % 5, usize::from(step[1]), step[2]);
		let at = if bytes.is_empty() { 0 } else { at % bytes.len() };
		match op {
			0 if !bytes.is_empty() => bytes[at] ^= value | 1,
			1 if !bytes.is_empty() => bytes[at] = value,
			2 => bytes.insert(at, value),
			3 if !bytes.is_empty() => {
				bytes.remove(at);
			}
			4 => bytes.truncate(at),
			_ => {}
		}
	}
	bytes
}

/// Strings that RPC parameters often are, or are close to: hex of the sizes hashes, accounts
/// and extrinsics have, and their malformed neighbours.
const STRINGS: &[&str] = &[
	"",
	"0x",
	"0x0",
	"0x00",
	"0xzz",
	"0x0000000000000000000000000000000000000000000000000000000000000000",
	"0x000000000000000000000000000000000000000000000000000000000000000000",
	"5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY",
	"1",
	"-1",
	"18446744073709551616",
	"Observation",
	"treatment",
	"\u{0}",
	"ä",
];

/// A JSON value built from fuzz bytes, nested at most `depth` deep.
pub fn json(bytes: &mut &[u8], depth: u32) -> Json {
	let mut next = || -> u8 {
		let Some((&first, rest)) = bytes.split_first() else { return 0 };
		*bytes = rest;
		first
	};
	let kind = next();
	match kind % 9 {
		0 => Json::Null,
		1 => Json::Bool(kind & 0x10 != 0),
		2 => Json::from(u64::from(next()) * u64::from(next()) * 1_000_003),
		3 => Json::from(-i64::from(next())),
		4 => Json::from(f64::from(next()) / 7.0),
		5 => Json::String(STRINGS[usize::from(next()) % STRINGS.len()].to_owned()),
		6 => {
			// A hex string of a length the bytes choose, up to 255 bytes.
			let len = usize::from(next());
			let digits: Vec<u8> = (0..len).map(|_| next()).collect();
			Json::String(format!("0x{}", hex::encode(digits)))
		}
		7 if depth > 0 => {
			let len = usize::from(next() % 6);
			Json::Array((0..len).map(|_| json(bytes, depth - 1)).collect())
		}
		8 if depth > 0 => {
			let len = usize::from(next() % 4);
			let keys = ["patient", "grantee", "scope", "purpose", "at", "challenge", "data"];
			let object: Map<String, Json> = (0..len)
				.map(|i| {
					(keys[(usize::from(kind) + i) % keys.len()].to_owned(), json(bytes, depth - 1))
				})
				.collect();
			Json::Object(object)
		}
		_ => Json::Null,
	}
}
