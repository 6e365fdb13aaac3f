//! State pruning: the newest states stay readable, older ones are released from the database,
//! and an archive keeps them all.

// Test set-up arithmetic works on small known values.
#![allow(clippy::arithmetic_side_effects)]

use carechain_node::{
	chain_spec::ChainSpec,
	client::Client,
	db::{columns, ChainDb},
};
use carechain_primitives::signatures::PreVerifiedSignatures;
use sp_core::H256;
use sp_database::Database;
use sp_runtime::traits::BlakeTwo256;
use sp_state_machine::Backend as _;
use std::{
	sync::Arc,
	time::{Duration, Instant},
};

struct Chain {
	client: Client,
	db: Arc<ChainDb>,
	hashes: Vec<H256>,
	_dir: tempfile::TempDir,
}

/// Builds `blocks` blocks, then reopens the database: parity-db applies releases in the
/// background, and a reopened database shows them all.
fn chain(keep: Option<u32>, blocks: u64) -> Chain {
	let dir = tempfile::tempdir().unwrap();
	let hashes = build(dir.path(), keep, blocks);
	let db = ChainDb::open(dir.path()).unwrap();
	let client = Client::open(db.clone(), &ChainSpec::development().genesis).unwrap();
	Chain { client, db, hashes, _dir: dir }
}

fn build(path: &std::path::Path, keep: Option<u32>, blocks: u64) -> Vec<H256> {
	let db = ChainDb::open(path).unwrap();
	let client = Client::open(db, &ChainSpec::development().genesis).unwrap().keep_states(keep);
	let mut hashes = vec![client.genesis_hash()];
	for n in 1..=blocks {
		let far = Instant::now() + Duration::from_secs(60);
		let now = 1_700_000_000_000 + n * 1000;
		let built = client.build_block(now, [], PreVerifiedSignatures::default(), far).unwrap();
		client.commit(&built.block, built.changes, b"certificate").unwrap();
		hashes.push(client.head().hash);
	}
	hashes
}

/// `Timestamp::Now`, which every block changes.
fn now_key() -> Vec<u8> {
	[sp_io::hashing::twox_128(b"Timestamp"), sp_io::hashing::twox_128(b"Now")].concat()
}

impl Chain {
	/// Whether the database still holds the block's state root node. (Reads through the
	/// client may still be answered by the trie cache, which holds only valid nodes.)
	fn stored(&self, n: usize) -> bool {
		let root = self.client.header(self.hashes[n]).unwrap().unwrap().state_root;
		let key = sp_trie::prefixed_key::<BlakeTwo256>(&root, sp_trie::EMPTY_PREFIX);
		Database::get(&*self.db, columns::STATE, &key).is_some()
	}

	fn readable(&self, n: usize) -> bool {
		let state = self.client.state_at(self.hashes[n]).unwrap();
		state.storage(&now_key()).is_ok_and(|v| v.is_some())
	}
}

#[test]
fn only_the_newest_states_stay() {
	let chain = chain(Some(2), 6);
	assert!(chain.stored(6) && chain.readable(6));
	assert!(chain.stored(5) && chain.readable(5));
	for old in 0..=4 {
		assert!(!chain.stored(old), "state of block {old} is still stored");
	}
	// Blocks themselves stay.
	assert!(chain.client.block(chain.hashes[1]).unwrap().is_some());
}

#[test]
fn an_archive_keeps_every_state() {
	let chain = chain(None, 6);
	assert!(chain.stored(0), "the genesis state is gone");
	for n in 1..=6 {
		assert!(chain.stored(n) && chain.readable(n), "state of block {n} is gone");
	}
}
