//! Calls nested past the limit, as an attacker sends them: `Council.execute` wrapped 1,024 and
//! 100,000 deep (the deepest built by hand from the bytes one level adds, never as a value). The
//! decoders the pool, consensus and sync use refuse them, and so does every runtime API method
//! that carries an extrinsic or a block, whoever calls it, on a thread with an ordinary 2 MiB
//! stack that the runtime would overflow. A call at the limit still decodes, validates, goes
//! into a block and imports, on a thread of the node's runtime stack size.

#![allow(clippy::arithmetic_side_effects)]

use carechain_node::{
	chain_spec::ChainSpec,
	client::Client,
	db::ChainDb,
	decode::{self, DecodeError, MAX_CALL_DEPTH},
	executor::RUNTIME_STACK_BYTES,
	extrinsic::{self, sign},
};
use carechain_primitives::signatures::PreVerifiedSignatures;
use carechain_runtime::{Block, Header, RuntimeCall, UncheckedExtrinsic};
use codec::{Compact, Decode, DecodeLimit, Encode};
use sp_core::H256;
use sp_keyring::Sr25519Keyring;
use sp_runtime::{
	traits::{BlakeTwo256, Hash as _, Header as _},
	transaction_validity::{TransactionSource, TransactionValidity},
};
use std::time::{Duration, Instant};

/// Depths an attacker sends: past the limit, and far past it.
const HOSTILE: [u32; 2] = [1_024, 100_000];

fn open() -> (Client, tempfile::TempDir) {
	let dir = tempfile::tempdir().unwrap();
	let db = ChainDb::open(dir.path()).unwrap();
	(Client::open(db, &ChainSpec::development().genesis).unwrap(), dir)
}

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

/// The encoding of [`nested`]`(depth)`, built without a value that deep.
fn nested_bytes(depth: u32) -> Vec<u8> {
	extrinsic::nested_call(&remark(), depth as usize)
}

/// A signed extrinsic (Alice, a councillor in the dev chain) whose call is `call`'s bytes: a
/// signed remark with its call swapped, so the signature no longer matches, which matters not,
/// since nothing past the decoder may look at it.
fn extrinsic_bytes(call: &[u8], genesis: H256) -> Vec<u8> {
	extrinsic::with_call(&sign(&Sr25519Keyring::Alice.pair(), 0, remark(), genesis), call)
}

/// A block on genesis with the timestamp and `extrinsic`'s bytes, encoded by hand.
fn block_bytes(client: &Client, extrinsic: &[u8]) -> Vec<u8> {
	let timestamp =
		UncheckedExtrinsic::new_bare(RuntimeCall::Timestamp(pallet_timestamp::Call::set {
			now: 1_700_000_000_000,
		}));
	let header = Header::new(
		1,
		Default::default(),
		Default::default(),
		client.genesis_hash(),
		Default::default(),
	);
	[header.encode(), Compact(2u32).encode(), timestamp.encode(), extrinsic.to_vec()].concat()
}

fn validate_input(extrinsic: &[u8], at: H256) -> Vec<u8> {
	[TransactionSource::External.encode(), extrinsic.to_vec(), at.encode()].concat()
}

/// Runs `f` on a thread with `stack` bytes of stack, as the node's threads have.
fn on_stack<T: Send + 'static>(stack: usize, f: impl FnOnce() -> T + Send + 'static) -> T {
	std::thread::Builder::new().stack_size(stack).spawn(f).unwrap().join().unwrap()
}

fn assert_too_deep(result: Result<impl std::fmt::Debug, DecodeError>) {
	match result {
		Err(error @ DecodeError::TooDeep { .. }) => {
			let message = error.to_string();
			assert!(message.contains("call nested deeper than 256"), "{message}");
		}
		other => panic!("expected a call nested too deep, got {other:?}"),
	}
}

#[test]
fn the_hand_built_bytes_are_the_nested_call() {
	for depth in [0, 1, 8] {
		assert_eq!(nested_bytes(depth), nested(depth).encode());
	}
}

#[test]
fn decoders_refuse_calls_nested_past_the_limit_and_take_those_at_it() {
	let (client, _dir) = open();
	let genesis = client.genesis_hash();
	// The limit is the runtime's own: the deepest call `frame_executive` re-decodes is the
	// deepest the node's decoder takes, alone and in a block.
	let at_limit = extrinsic_bytes(&nested_bytes(MAX_CALL_DEPTH), genesis);
	let past_limit = extrinsic_bytes(&nested_bytes(MAX_CALL_DEPTH + 1), genesis);
	on_stack(RUNTIME_STACK_BYTES, move || {
		let runtime = |bytes: &[u8]| {
			UncheckedExtrinsic::decode_all_with_depth_limit(MAX_CALL_DEPTH, &mut &bytes[..])
		};
		assert!(runtime(&at_limit).is_ok());
		assert!(runtime(&past_limit).is_err());
		assert!(decode::extrinsic(&at_limit).is_ok());
		assert_too_deep(decode::extrinsic(&past_limit));
		assert!(decode::block(&block_bytes(&client, &at_limit)).is_ok());
		assert_too_deep(decode::block(&block_bytes(&client, &past_limit)));
	});
	for depth in HOSTILE {
		let extrinsic = extrinsic_bytes(&nested_bytes(depth), genesis);
		assert_too_deep(decode::extrinsic(&extrinsic));
		assert_too_deep(decode::block(&block_bytes(&open().0, &extrinsic)));
	}
}

#[test]
fn decoders_refuse_more_bytes_than_a_block_holds_before_decoding() {
	let huge = vec![0u8; decode::max_block_bytes() + 1];
	assert!(matches!(decode::extrinsic(&huge), Err(DecodeError::TooLarge { .. })));
	assert!(matches!(decode::block(&huge), Err(DecodeError::TooLarge { .. })));
}

/// Every runtime API method that carries an extrinsic or a block refuses one nested past the
/// limit with an error that says so, on a 2 MiB stack, and the chain answers afterwards.
#[test]
fn runtime_calls_refuse_nested_extrinsics_on_an_ordinary_stack() {
	let (client, _dir) = open();
	let genesis = client.genesis_hash();
	on_stack(2 << 20, move || {
		for depth in HOSTILE {
			let extrinsic = extrinsic_bytes(&nested_bytes(depth), genesis);
			let block = block_bytes(&client, &extrinsic);
			for (method, input) in [
				(
					"TaggedTransactionQueue_validate_transaction",
					validate_input(&extrinsic, genesis),
				),
				("BlockBuilder_apply_extrinsic", extrinsic.clone()),
				("Core_execute_block", block.clone()),
				("BlockBuilder_check_inherents", [block.clone(), vec![0]].concat()),
				// The fee queries wallets make before signing: an extrinsic, or a bare call,
				// then its length.
				("TransactionPaymentApi_query_info", [extrinsic.clone(), 9u32.encode()].concat()),
				(
					"TransactionPaymentApi_query_fee_details",
					[extrinsic.clone(), 9u32.encode()].concat(),
				),
				(
					"TransactionPaymentCallApi_query_call_info",
					[nested_bytes(depth), 9u32.encode()].concat(),
				),
				(
					"TransactionPaymentCallApi_query_call_fee_details",
					[nested_bytes(depth), 9u32.encode()].concat(),
				),
			] {
				let error = client.call(genesis, method, &input).unwrap_err().to_string();
				assert!(
					error.contains(method) && error.contains("call nested deeper than 256"),
					"{method} at depth {depth}: {error}"
				);
			}
		}
		let version = client.call(genesis, "Core_version", &[]).unwrap();
		assert!(!version.is_empty());
	});
}

/// A call nested at the limit is validated, included and imported like any other, on threads
/// of the node's runtime stack size; one nested 8 deep is a councillor's valid transaction.
#[test]
fn calls_nested_up_to_the_limit_still_work_on_the_runtime_stack() {
	for depth in [8, MAX_CALL_DEPTH] {
		on_stack(RUNTIME_STACK_BYTES, move || include_and_import(depth));
	}
}

fn include_and_import(depth: u32) {
	let (author, _a) = open();
	let genesis = author.genesis_hash();
	let alice = Sr25519Keyring::Alice.pair();
	let extrinsic = sign(&alice, 0, nested(depth), genesis);
	let bytes = extrinsic.encode();
	assert!(decode::extrinsic(&bytes).is_ok());

	let far = Instant::now() + Duration::from_secs(600);
	let hash = BlakeTwo256::hash_of(&extrinsic);
	let built = author
		.build_block(1_700_000_000_000, [(hash, &extrinsic)], PreVerifiedSignatures::default(), far)
		.unwrap();
	assert_eq!(built.block.extrinsics.len(), 2, "depth {depth}: the timestamp and the call");
	assert!(built.invalid.is_empty());

	// Another node imports it as consensus and sync hand it over: through the bounded decoder.
	let block: Block = decode::block(&built.block.encode()).unwrap();
	let (importer, _i) = open();
	let changes = importer.execute_block(&block, PreVerifiedSignatures::default()).unwrap();
	assert_eq!(changes.transaction_storage_root, block.header.state_root);

	// On the new head (genesis knows no hash of its own to check signatures against), the
	// pool's check of the next one.
	author.commit(&built.block, built.changes, &[]).unwrap();
	let head = author.head().hash;
	let next = sign(&alice, 1, nested(depth), genesis).encode();
	let output = author
		.call(head, "TaggedTransactionQueue_validate_transaction", &validate_input(&next, head))
		.unwrap();
	let validity = TransactionValidity::decode(&mut &output[..]).unwrap();
	assert!(validity.is_ok(), "depth {depth}: {validity:?}");
}

/// How much stack a call nested at the limit needs: run with `NESTED_STACK_PROBE=<bytes>`
/// `--ignored --exact nested_calls::stack_probe` (`cargo test -p carechain-node --test integration`);
/// it aborts on overflow. `RUNTIME_STACK_BYTES` leaves a
/// margin above the least that passes in a debug build.
#[test]
#[ignore = "a measurement, not a check: see its doc"]
fn stack_probe() {
	let stack =
		std::env::var("NESTED_STACK_PROBE").map_or(RUNTIME_STACK_BYTES, |s| s.parse().unwrap());
	on_stack(stack, move || include_and_import(MAX_CALL_DEPTH));
}
