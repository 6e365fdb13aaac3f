//! A block built ahead, on a proposal its proposer has not committed yet (`build_block_on`),
//! is the block building after the commit would give: its parent's state is read through the
//! uncommitted changes, it imports on that parent to the state root it names, it can never be
//! committed on anything but that parent, and it never takes its parent's transactions again.

#![allow(clippy::arithmetic_side_effects)]

use carechain_node::{
	chain_spec::ChainSpec,
	client::{BuiltBlock, Client, ClientError},
	db::ChainDb,
	extrinsic::sign,
};
use carechain_primitives::{signatures::PreVerifiedSignatures, FhirResourceType};
use carechain_runtime::{RuntimeCall, UncheckedExtrinsic};
use codec::Encode;
use sp_core::H256;
use sp_keyring::Ed25519Keyring;
use sp_runtime::traits::{BlakeTwo256, Hash as _};
use std::{
	sync::Arc,
	time::{Duration, Instant},
};

const T0: u64 = 1_700_000_000_000;

fn open() -> (Client, tempfile::TempDir) {
	let dir = tempfile::tempdir().unwrap();
	let db = ChainDb::open(dir.path()).unwrap();
	(Client::open(db, &ChainSpec::development().genesis).unwrap(), dir)
}

fn record(n: u32) -> RuntimeCall {
	RuntimeCall::Records(pallet_records::Call::create_record {
		patient: Ed25519Keyring::Eve.to_account_id(),
		resource_type: FhirResourceType::Observation,
		content: pallet_records::RecordContent {
			content_hash: BlakeTwo256::hash(&n.to_le_bytes()),
			size: 10,
			locator: BlakeTwo256::hash(&n.to_le_bytes()),
			patient_key: [7u8; 80],
		},
	})
}

/// Bob's records `nonces`, signed.
fn records(client: &Client, nonces: std::ops::Range<u32>) -> Vec<UncheckedExtrinsic> {
	let doctor = Ed25519Keyring::Bob.pair();
	nonces.map(|n| sign(&doctor, n, record(n), client.genesis_hash())).collect()
}

fn candidates(txs: &[UncheckedExtrinsic]) -> impl Iterator<Item = (H256, &UncheckedExtrinsic)> {
	txs.iter().map(|x| (BlakeTwo256::hash(&x.encode()), x))
}

fn far() -> Instant {
	Instant::now() + Duration::from_secs(60)
}

/// Builds on the head's uncommitted child `parent`, stamped `parent_stamp`.
fn build_on(
	client: &Client,
	parent: &BuiltBlock,
	parent_stamp: u64,
	now: u64,
	txs: &[UncheckedExtrinsic],
) -> BuiltBlock {
	let nodes = Arc::new(parent.changes.transaction.clone());
	let verdicts = PreVerifiedSignatures::default();
	client
		.build_block_on(
			&parent.block.header,
			parent_stamp,
			nodes,
			now,
			candidates(txs),
			verdicts,
			far(),
		)
		.unwrap()
}

#[test]
fn a_block_built_ahead_imports_on_its_parent_as_it_names() {
	let (author, _a) = open();
	let first = records(&author, 0..3);
	let one = author.build_block(T0, candidates(&first), PreVerifiedSignatures::default(), far());
	let one = one.unwrap();
	assert_eq!(one.block.extrinsics.len(), 4, "timestamp and three records");

	// Block 2 on block 1 before block 1 is stored. Its candidates open with block 1's own
	// records (a replay): their nonces are used in block 1's state, so they stay out.
	let mut second = first.clone();
	second.extend(records(&author, 3..6));
	let two = build_on(&author, &one, T0, T0 + 1_000, &second);
	assert_eq!(two.block.header.parent_hash, one.block.header.hash());
	assert_eq!(two.block.header.number, 2);
	assert_eq!(two.block.extrinsics.len(), 4, "timestamp and the three new records only");
	assert_eq!(&two.block.extrinsics[1..], &second[3..]);
	let replayed: Vec<H256> = candidates(&first).map(|(hash, _)| hash).collect();
	assert_eq!(two.invalid, replayed, "block 1's records are stale on block 1");

	// Stored before its parent: refused, and nothing moves.
	let genesis = author.head().hash;
	let early =
		author.commit(&two.block, build_on(&author, &one, T0, T0 + 1_000, &second).changes, &[]);
	assert!(matches!(early, Err(ClientError::NotNext { number: 2, .. })), "{early:?}");
	assert_eq!(author.head().hash, genesis);

	// In order, both go in; another node imports both to the state roots their headers name.
	author.commit(&one.block, one.changes, &[]).unwrap();
	author.commit(&two.block, two.changes, &[]).unwrap();
	assert_eq!(author.head().hash, two.block.header.hash());
	let (importer, _i) = open();
	for block in [&one.block, &two.block] {
		let changes = importer.execute_block(block, PreVerifiedSignatures::default()).unwrap();
		assert_eq!(changes.transaction_storage_root, block.header.state_root);
		importer.commit(block, changes, &[]).unwrap();
	}
	assert_eq!(importer.head().hash, author.head().hash);
}

#[test]
fn a_block_built_ahead_on_a_proposal_that_lost_is_never_stored() {
	let (author, _a) = open();
	let txs = records(&author, 0..2);
	let verdicts = PreVerifiedSignatures::default;
	// Two proposals for block 1 (another round, another time): the child is built on the one
	// that loses.
	let won = author.build_block(T0, candidates(&txs[..1]), verdicts(), far()).unwrap();
	let lost = author.build_block(T0 + 500, candidates(&txs), verdicts(), far()).unwrap();
	assert_ne!(won.block.header.hash(), lost.block.header.hash());
	let child = build_on(&author, &lost, T0 + 500, T0 + 1_500, &records(&author, 2..4));
	assert_eq!(child.block.extrinsics.len(), 3);

	author.commit(&won.block, won.changes, &[]).unwrap();
	let refused = author.commit(&child.block, child.changes, &[]);
	assert!(matches!(refused, Err(ClientError::NotNext { number: 2, .. })), "{refused:?}");
	assert_eq!(author.head().hash, won.block.header.hash());
	// Nor does it import: its parent is not the head.
	assert!(author.execute_block(&child.block, verdicts()).is_err());
}
