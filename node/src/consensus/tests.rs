//! Calls nested 1,024 and 100,000 deep, as a validator in the set proposes them inside a signed
//! block, as a peer serves them to a node that syncs, and as a peer gossips them: the same
//! [`App`] methods the Malachite channel drives ([`App::received_part`] for proposal parts and
//! gossip, [`App::synced_value`] for `ProcessSyncedValue`) refuse them on a test thread's 2 MiB
//! stack, and take a valid block or transaction afterwards.

use super::*;
use crate::{
	chain_spec::ChainSpec,
	client::Client,
	db::ChainDb,
	pool::{Pool, PoolError, PoolLimits},
	signatures::BatchVerifier,
};
use carechain_runtime::{RuntimeCall, UncheckedExtrinsic};
use codec::{Compact, Decode as _};
use context::Validator;
use sp_keyring::Sr25519Keyring;

/// Depths an attacker sends: past the limit, and far past it.
const HOSTILE: [usize; 2] = [1_024, 100_000];

fn app() -> (App, tempfile::TempDir) {
	let dir = tempfile::tempdir().unwrap();
	let db = ChainDb::open(dir.path()).unwrap();
	let client = Arc::new(Client::open(db, &ChainSpec::development().genesis).unwrap());
	let verifier = carechain_gpu::Verifier::new(carechain_gpu::Mode::Cpu).unwrap();
	let node = Node::new(
		client,
		Arc::new(Pool::new(PoolLimits::default())),
		Arc::new(BatchVerifier::new(verifier)),
	);
	let app = App {
		node,
		validators: ValidatorSet::new(Vec::new()),
		me: None,
		block_time: Duration::from_secs(1),
		proposals: HashMap::new(),
		early: HashMap::new(),
		built: HashMap::new(),
		streams: HashMap::new(),
		gossiped: 0,
		local: HashMap::new(),
		fault: None,
	};
	(app, dir)
}

/// An empty remark: the runtime refuses one with bytes, nested or not.
fn remark() -> RuntimeCall {
	remark_of(b"")
}

fn remark_of(bytes: &[u8]) -> RuntimeCall {
	RuntimeCall::System(frame_system::Call::remark { remark: bytes.to_vec() })
}

fn execute(inner: RuntimeCall) -> RuntimeCall {
	RuntimeCall::Council(pallet_collective::Call::execute {
		proposal: Box::new(inner),
		length_bound: 1 << 20,
	})
}

/// A signed extrinsic of Alice's (the dev council) whose call is a remark inside `depth` levels
/// of `Council.execute`, built from the bytes one level adds before and after the call it
/// holds, so that no value that deep exists here.
fn hostile_extrinsic(depth: usize, genesis: H256) -> Vec<u8> {
	let inner = remark().encode();
	let outer = execute(remark()).encode();
	let (prefix, rest) = outer.split_at(2);
	assert_eq!(&rest[..inner.len()], &inner[..]);
	let suffix = &rest[inner.len()..];
	let call = [prefix.repeat(depth), inner.clone(), suffix.repeat(depth)].concat();

	let signed = crate::extrinsic::sign(&Sr25519Keyring::Alice.pair(), 0, remark(), genesis);
	let signed = signed.encode();
	let mut input = &signed[..];
	let Compact(len) = Compact::<u32>::decode(&mut input).unwrap();
	assert_eq!(len as usize, input.len());
	let body = input.strip_suffix(&inner[..]).expect("the call comes last");
	let body = [body, &call].concat();
	[Compact(body.len() as u32).encode(), body].concat()
}

/// `block`'s encoding with `extrinsic`'s bytes appended to its body: the same header, so the
/// same hash and a valid proposer's signature over it.
fn with_extrinsic(block: &Block, extrinsic: &[u8]) -> Vec<u8> {
	let mut body = Compact(block.extrinsics.len() as u32 + 1).encode();
	for existing in &block.extrinsics {
		body.extend(existing.encode());
	}
	[block.header.encode(), body, extrinsic.to_vec()].concat()
}

/// Streams `bytes` to `app` as `key`'s signed proposal of `hash` for height 1, part by part,
/// as Malachite hands them over; the app's answer to the last part.
fn propose(
	app: &mut App,
	key: &ed::PrivateKey,
	round: u32,
	bytes: &[u8],
	hash: BlockHash,
) -> Option<ProposedValue<Ctx>> {
	let publisher = PeerId::from_bytes(&[0, 4, 1, 2, 3, 4]).unwrap();
	let (height, round) = (Height(1), Round::new(round));
	let proposer = PublicKey(key.public_key()).address();
	let mut parts = vec![ProposalPart::Init { height, round, proposer, pol_round: Round::Nil }];
	parts.extend(bytes.chunks(PART_BYTES).map(|chunk| ProposalPart::Data(chunk.to_vec())));
	parts.push(ProposalPart::Fin(Signature(key.sign(&stream_signing_bytes(height, round, hash)))));
	let stream_id = StreamId::new(Bytes::from(round.as_i64().to_be_bytes().to_vec()));
	let count = parts.len() as u64;
	for (sequence, part) in (0u64..).zip(parts) {
		let message = StreamMessage::new(stream_id.clone(), sequence, StreamContent::Data(part));
		assert!(app.received_part(publisher, message).is_none(), "the stream is not complete");
	}
	app.received_part(publisher, StreamMessage::new(stream_id, count, StreamContent::Fin))
}

/// A valid block on genesis, built by another node.
fn valid_block() -> Block {
	let (author, _dir) = app();
	let far = Instant::now() + Duration::from_secs(600);
	let client = &author.node.client;
	client.build_block(timestamp::now_ms(), [], Default::default(), far).unwrap().block
}

#[test]
fn a_signed_proposal_carrying_a_call_nested_too_deep_is_ignored_and_a_valid_one_admitted() {
	let (mut app, _dir) = app();
	let key = ed::PrivateKey::from([7u8; 32]);
	app.validators = ValidatorSet::new(vec![Validator::new(PublicKey(key.public_key()), 1)]);
	let genesis = app.node.client.genesis_hash();
	let block = valid_block();
	let hash = BlockHash::from(block.header.hash());
	for (round, depth) in (0..).zip(HOSTILE) {
		let bytes = with_extrinsic(&block, &hostile_extrinsic(depth, genesis));
		assert!(
			matches!(crate::decode::block(&bytes), Err(crate::decode::DecodeError::TooDeep { .. })),
			"depth {depth}"
		);
		assert!(propose(&mut app, &key, round, &bytes, hash).is_none(), "depth {depth}");
	}
	assert!(app.proposals.is_empty() && app.streams.is_empty() && app.early.is_empty());

	let value = propose(&mut app, &key, 2, &block.encode(), hash).expect("a valid proposal");
	assert_eq!(value.value.0, hash);
	assert_eq!(value.validity, Validity::Valid);
}

#[test]
fn a_synced_block_carrying_a_call_nested_too_deep_is_the_peers_fault() {
	let (mut app, _dir) = app();
	let key = ed::PrivateKey::from([7u8; 32]);
	let proposer = PublicKey(key.public_key()).address();
	let genesis = app.node.client.genesis_hash();
	let block = valid_block();
	for depth in HOSTILE {
		let bytes = with_extrinsic(&block, &hostile_extrinsic(depth, genesis));
		let outcome = app.synced_value(Height(1), Round::new(0), proposer, &bytes);
		assert!(matches!(outcome, SyncedValueOutcome::PeerFault), "depth {depth}");
	}
	assert!(app.proposals.is_empty());

	match app.synced_value(Height(1), Round::new(0), proposer, &block.encode()) {
		SyncedValueOutcome::Verdict(value) => assert_eq!(value.validity, Validity::Valid),
		_ => panic!("a valid synced block gets a verdict"),
	}
}

#[tokio::test(flavor = "multi_thread")]
async fn gossiped_calls_nested_too_deep_are_refused_and_the_pool_takes_the_next() {
	let (mut app, _dir) = app();
	let client = app.node.client.clone();
	let genesis = client.genesis_hash();
	// On block 1: genesis knows no hash of its own to check signatures against.
	let far = Instant::now() + Duration::from_secs(600);
	let built = client.build_block(timestamp::now_ms(), [], Default::default(), far).unwrap();
	client.commit(&built.block, built.changes, &[]).unwrap();

	let hostile: Vec<Vec<u8>> = HOSTILE.iter().map(|d| hostile_extrinsic(*d, genesis)).collect();
	// The pool's decoder, which gossip hands every transaction to, says why.
	for bytes in &hostile {
		match app.node.submitter.submit_from_peer(bytes.clone()).await {
			Err(error @ PoolError::Decode(_)) => {
				let message = error.to_string();
				assert!(message.contains("call nested deeper than 256"), "{message}");
			}
			other => panic!("expected a decoding error, got {other:?}"),
		}
	}

	// A peer gossips them with a valid councillor's call nested 8 deep.
	let nested = (0..8).fold(remark(), |inner, _| execute(inner));
	let valid: UncheckedExtrinsic =
		crate::extrinsic::sign(&Sr25519Keyring::Alice.pair(), 0, nested, genesis);
	let valid_hash = crate::client::extrinsic_hash(&valid.encode());
	let batch = [hostile.clone(), vec![valid.encode()]].concat();
	let publisher = PeerId::from_bytes(&[0, 4, 4, 3, 2, 1]).unwrap();
	let stream_id = StreamId::new(Bytes::from_static(b"txs"));
	let message =
		StreamMessage::new(stream_id, 0, StreamContent::Data(ProposalPart::Transactions(batch)));
	assert!(app.received_part(publisher, message).is_none());

	let deadline = Instant::now() + Duration::from_secs(120);
	while !app.node.pool.contains(&valid_hash) {
		assert!(Instant::now() < deadline, "the gossiped valid call never reached the pool");
		tokio::time::sleep(Duration::from_millis(50)).await;
	}
	for bytes in &hostile {
		assert!(!app.node.pool.contains(&crate::client::extrinsic_hash(bytes)));
	}
	assert_eq!(app.node.pool.len(), 1);
}

#[test]
fn a_faulty_proposer_nests_the_call_it_adds_as_asked() {
	let block = valid_block();
	let shallow = crate::decode::block(&with_nested_call(&block, 3)).unwrap();
	let empty = RuntimeCall::System(frame_system::Call::remark { remark: Vec::new() });
	let nested = (0..3).fold(empty, |inner, _| {
		RuntimeCall::Council(pallet_collective::Call::execute {
			proposal: Box::new(inner),
			length_bound: 1 << 20,
		})
	});
	assert_eq!(shallow.header, block.header);
	assert_eq!(shallow.extrinsics[..block.extrinsics.len()], block.extrinsics[..]);
	assert_eq!(shallow.extrinsics.last().map(|x| &x.function), Some(&nested));
	for depth in HOSTILE {
		assert!(matches!(
			crate::decode::block(&with_nested_call(&block, depth)),
			Err(crate::decode::DecodeError::TooDeep { .. })
		));
	}
}

/// Issue 18: a validator's block that carries a remark with bytes, in a signed extrinsic or in
/// a bare one (a council motion, which the runtime would otherwise let into a block and fail
/// at dispatch), fails to import: the runtime refuses the extrinsic while applying the block,
/// before any root is compared, so the block is invalid whether it is proposed or synced. The
/// block it was made from, with an empty remark in the same place, is valid.
#[test]
fn a_block_carrying_a_remark_with_bytes_fails_to_import() {
	let key = ed::PrivateKey::from([7u8; 32]);
	let proposer = PublicKey(key.public_key()).address();
	let (author, _dir) = app();
	let client = &author.node.client;
	let genesis = client.genesis_hash();
	let bob = Sr25519Keyring::Bob.pair();
	let empty = crate::extrinsic::sign(&bob, 0, remark(), genesis);
	let candidate = (crate::client::extrinsic_hash(&empty.encode()), &empty);
	let far = Instant::now() + Duration::from_secs(600);
	let built =
		client.build_block(timestamp::now_ms(), [candidate], Default::default(), far).unwrap();
	let block = built.block;
	assert_eq!(block.extrinsics.len(), 2, "the timestamp and the empty remark");

	let text = b"F32.9 J. Doe".as_slice();
	let hostile = [
		crate::extrinsic::sign(&bob, 0, remark_of(text), genesis),
		UncheckedExtrinsic::new_bare(execute(remark_of(text))),
		UncheckedExtrinsic::new_bare(RuntimeCall::Registry(
			pallet_registry::Call::dispatch_as_root { call: Box::new(remark_of(text)) },
		)),
	];
	for extrinsic in hostile {
		let mut carrying = block.clone();
		carrying.extrinsics[1] = extrinsic;
		// The header names the new body, as its proposer would have made it.
		carrying.header.extrinsics_root =
			<sp_runtime::traits::BlakeTwo256 as sp_runtime::traits::Hash>::ordered_trie_root(
				carrying.extrinsics.iter().map(|x| x.encode()).collect(),
				sp_runtime::StateVersion::V1,
			);
		let (mut app, _dir) = app();
		let error = app
			.node
			.client
			.execute_block(&carrying, Default::default())
			.err()
			.expect("the block is refused");
		assert!(
			error.to_string().contains("applying extrinsic: InvalidTransaction custom error"),
			"refused for the extrinsic, not a root: {error}"
		);
		match app.synced_value(Height(1), Round::new(0), proposer, &carrying.encode()) {
			SyncedValueOutcome::Verdict(value) => assert_eq!(value.validity, Validity::Invalid),
			_ => panic!("a decodable synced block gets a verdict"),
		}
		assert_eq!(app.node.client.head().number, 0, "nothing was imported");
	}

	let (mut app, _dir) = app();
	match app.synced_value(Height(1), Round::new(0), proposer, &block.encode()) {
		SyncedValueOutcome::Verdict(value) => assert_eq!(value.validity, Validity::Valid),
		_ => panic!("a valid synced block gets a verdict"),
	}
}
