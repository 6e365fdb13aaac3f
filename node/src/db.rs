//! The chain database on parity-db: state trie nodes by hash, headers, bodies,
//! the canonical index, consensus certificates and the finalized head, all written in one
//! atomic commit per block so that a crash leaves either the whole block or none of it.

use codec::{Decode, Encode};
use sp_core::H256;
use sp_database::{error::DatabaseError, Change, ColumnId, Database, Transaction};
use sp_runtime::traits::BlakeTwo256;
use sp_state_machine::{DBValue, TrieBackendStorage};
use std::{path::Path, sync::Arc};

/// The columns of the chain database.
pub mod columns {
	use sp_database::ColumnId;
	/// Trie nodes by hash.
	pub const STATE: ColumnId = 0;
	/// SCALE headers by block hash.
	pub const HEADER: ColumnId = 1;
	/// SCALE extrinsic lists by block hash.
	pub const BODY: ColumnId = 2;
	/// Block hash by big-endian block number.
	pub const CANON: ColumnId = 3;
	/// Single values: genesis hash, finalized head.
	pub const META: ColumnId = 4;
	/// Commit certificates by big-endian block number.
	pub const CERTIFICATE: ColumnId = 5;
	/// How many columns there are.
	pub const COUNT: u8 = 6;
}

/// Keys of the `META` column.
pub mod meta {
	/// The genesis block hash.
	pub const GENESIS: &[u8] = b"genesis";
	/// The finalized head: SCALE (number, hash).
	pub const FINALIZED: &[u8] = b"finalized";
}

/// A database that failed or holds something it should not.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
	/// parity-db reported an error.
	#[error("the chain database at {path} failed: {message}")]
	Io {
		/// The database folder.
		path: String,
		/// What parity-db said.
		message: String,
	},
	/// A stored value did not decode.
	#[error("the chain database is corrupt: {0}")]
	Corrupt(String),
}

/// The parity-db chain database behind `sp_database::Database`.
pub struct ChainDb {
	db: parity_db::Db,
	path: String,
}

impl ChainDb {
	/// Opens (or creates) the database in `path`.
	pub fn open(path: &Path) -> Result<Arc<Self>, DbError> {
		let display = path.display().to_string();
		let mut options = parity_db::Options::with_columns(path, columns::COUNT);
		// Keys are hashes: uniformly distributed, and a value never changes under its key.
		for column in [columns::STATE, columns::HEADER, columns::BODY] {
			options.columns[column as usize].uniform = true;
		}
		options.columns[columns::STATE as usize].preimage = true;
		let db = parity_db::Db::open_or_create(&options)
			.map_err(|e| DbError::Io { path: display.clone(), message: e.to_string() })?;
		Ok(Arc::new(Self { db, path: display }))
	}

	/// Decodes a value of `column` under `key`.
	pub fn read<T: Decode>(&self, column: ColumnId, key: &[u8]) -> Result<Option<T>, DbError> {
		self.get(column, key)
			.map(|bytes| {
				T::decode(&mut &bytes[..]).map_err(|e| {
					DbError::Corrupt(format!("column {column}, key 0x{}: {e}", hex::encode(key)))
				})
			})
			.transpose()
	}

	/// Commits `transaction`, naming the database in the error.
	pub fn write(&self, transaction: Transaction<H256>) -> Result<(), DbError> {
		self.commit(transaction)
			.map_err(|e| DbError::Io { path: self.path.clone(), message: e.to_string() })
	}

	/// The canonical block number key.
	pub fn number_key(number: u32) -> [u8; 4] {
		number.to_be_bytes()
	}

	/// The finalized head, if a genesis was written.
	pub fn finalized(&self) -> Result<Option<(u32, H256)>, DbError> {
		self.read(columns::META, meta::FINALIZED)
	}

	/// Adds the writes that make `(number, hash)` the finalized head.
	pub fn set_finalized(transaction: &mut Transaction<H256>, number: u32, hash: H256) {
		transaction.set_from_vec(columns::META, meta::FINALIZED, (number, hash).encode());
		transaction.set(columns::CANON, &Self::number_key(number), hash.as_bytes());
	}
}

impl Database<H256> for ChainDb {
	fn commit(&self, transaction: Transaction<H256>) -> sp_database::error::Result<()> {
		use parity_db::Operation;
		let operations = transaction.0.into_iter().map(|change| match change {
			Change::Set(column, key, value) => (column as u8, Operation::Set(key, value)),
			Change::Remove(column, key) => (column as u8, Operation::Dereference(key)),
			Change::Store(column, hash, value) => {
				(column as u8, Operation::Set(hash.as_bytes().to_vec(), value))
			}
			Change::Reference(column, hash) => {
				(column as u8, Operation::Reference(hash.as_bytes().to_vec()))
			}
			Change::Release(column, hash) => {
				(column as u8, Operation::Dereference(hash.as_bytes().to_vec()))
			}
		});
		self.db.commit_changes(operations).map_err(|e| DatabaseError(Box::new(e)))
	}

	fn get(&self, column: ColumnId, key: &[u8]) -> Option<Vec<u8>> {
		match self.db.get(column as u8, key) {
			Ok(value) => value,
			Err(error) => {
				tracing::error!(%error, column, "reading the chain database failed");
				None
			}
		}
	}
}

/// The trie nodes of the state, read by hash from the `STATE` column.
pub struct StateStore(pub Arc<ChainDb>);

impl TrieBackendStorage<BlakeTwo256> for StateStore {
	fn get(&self, key: &H256, _prefix: (&[u8], Option<u8>)) -> Result<Option<DBValue>, String> {
		Ok(Database::get(&*self.0, columns::STATE, key.as_bytes()))
	}
}

/// Adds a block's new trie nodes to `transaction`. The node is an archive: nodes that a
/// later state no longer uses are kept, so every finalized block's state stays readable.
pub fn add_state_changes(
	transaction: &mut Transaction<H256>,
	mut changes: sp_trie::PrefixedMemoryDB<BlakeTwo256>,
) {
	for (key, (value, references)) in changes.drain() {
		// Prefixed keys end with the node's hash.
		let Some(start) = key.len().checked_sub(32) else { continue };
		if references > 0 {
			transaction.set_from_vec(columns::STATE, &key[start..], value);
		}
	}
}
