//! The chain database on parity-db: state trie nodes (reference counted), headers, bodies,
//! the canonical index, consensus certificates and the finalized head, all written in one
//! atomic commit per block so that a crash leaves either the whole block or none of it.

use codec::{Decode, Encode};
use parking_lot::{Condvar, Mutex};
use sp_core::H256;
use sp_database::{error::DatabaseError, Change, ColumnId, Database, Transaction};
use sp_runtime::traits::BlakeTwo256;
use sp_state_machine::{DBValue, TrieBackendStorage};
use std::{path::Path, sync::Arc};

/// The columns of the chain database.
pub mod columns {
	use sp_database::ColumnId;
	/// Trie nodes by prefixed key (position in the trie, then hash), reference counted.
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
	/// Per block, the trie nodes its state stopped using: released when the block's parent
	/// state is pruned.
	pub const RELEASED: ColumnId = 6;
	/// How many columns there are.
	pub const COUNT: u8 = 7;
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
///
/// A commit is durable when it returns. Left to itself, parity-db only queues a commit for
/// its background threads and fsyncs its write-ahead log once the log reaches 64 MiB, so a
/// kill -9 could take back a block the node had already announced as final. The node drives
/// the log itself instead: [`Database::commit`] writes the commit's log record, fsyncs it,
/// and only then returns, so everything the caller does next (answer RPC, notify
/// subscribers, evict from the pool, reply to consensus) happens after the block is on disk.
/// Moving logged records into the tables (enacting) is left to a thread of its own; reads see
/// a commit from the moment it is made.
pub struct ChainDb {
	db: Arc<parity_db::Db>,
	path: String,
	/// Held while a commit (or an index rebuild step) goes through the log: one record at a
	/// time, in commit order.
	log: Arc<Mutex<()>>,
	enactor: Enactor,
}

/// How many fsynced log records may wait to be enacted before a commit waits for the
/// enacting thread: bounds the memory the logs' overlay holds.
const MAX_UNENACTED: u64 = 16;

/// Index rebuild steps the enacting thread takes after each round of enacting (each a no-op
/// when no rebuild is due).
const REINDEX_STEPS_PER_ROUND: usize = 8;

impl ChainDb {
	/// Opens (or creates) the database in `path`. A crash leaves a log that this replays.
	pub fn open(path: &Path) -> Result<Arc<Self>, DbError> {
		let display = path.display().to_string();
		let mut options = parity_db::Options::with_columns(path, columns::COUNT);
		// The node writes and fsyncs the log itself, in `commit`.
		options.with_background_thread = false;
		options.sync_wal = true;
		options.sync_data = true;
		// Block keys are hashes: uniformly distributed, and a value never changes under its key.
		for column in [columns::HEADER, columns::BODY] {
			options.columns[column as usize].uniform = true;
		}
		// Storing a node that exists adds a reference; releasing one removes a reference.
		let state = &mut options.columns[columns::STATE as usize];
		state.ref_counted = true;
		state.preimage = true;
		let db = parity_db::Db::open_or_create(&options)
			.map(Arc::new)
			.map_err(|e| DbError::Io { path: display.clone(), message: e.to_string() })?;
		let log = Arc::new(Mutex::new(()));
		let enactor = Enactor::start(db.clone(), log.clone(), &display)?;
		Ok(Arc::new(Self { db, path: display, log, enactor }))
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
	/// Commits `transaction` atomically and durably: when this returns, the commit's log record
	/// is fsynced, and a crash at any later moment replays it on the next open.
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
		let failed = |e: parity_db::Error| DatabaseError(Box::new(e));
		self.enactor.check().map_err(|e| DatabaseError(e.into()))?;
		let log = self.log.lock();
		// Queued, then written as one log record, then the log file is flushed and fsynced and
		// handed to the enacting thread.
		self.db.commit_changes(operations).map_err(failed)?;
		let logged = self.db.process_commits().and_then(|()| self.db.flush_logs());
		// The enacting thread takes the log for index rebuild steps: let go of it before
		// waiting for that thread.
		drop(log);
		if let Err(error) = logged {
			// The commit is queued and readable but not on disk: no later commit may return
			// as if the database were whole (each would log its predecessor's record).
			self.enactor.fail(&error);
			return Err(failed(error));
		}
		self.enactor.logged();
		Ok(())
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

impl Drop for ChainDb {
	fn drop(&mut self) {
		// The enacting thread lets go of the database before parity-db closes it (closing
		// enacts what is left).
		self.enactor.stop();
	}
}

/// The threads that move fsynced log records into parity-db's tables (enacting) and clean the
/// logs enacted (cleaning flushes the tables to disk first). They are two, as parity-db's own
/// are: enacting waits whenever more than a few logs wait to be cleaned.
struct Enactor {
	shared: Arc<(Mutex<Backlog>, Condvar)>,
	thread: Option<std::thread::JoinHandle<()>>,
	cleaner: Option<std::thread::JoinHandle<()>>,
}

#[derive(Default)]
struct Backlog {
	/// Log records fsynced and not yet enacted.
	unenacted: u64,
	stop: bool,
	/// The enacting thread is gone: the cleaner may stop.
	enacted_all: bool,
	/// Why enacting failed, if it did: every later commit fails with it.
	failed: Option<String>,
}

impl Enactor {
	fn start(db: Arc<parity_db::Db>, log: Arc<Mutex<()>>, path: &str) -> Result<Self, DbError> {
		let shared = Arc::new((Mutex::new(Backlog::default()), Condvar::new()));
		let spawn = |name: &str, work: Box<dyn FnOnce() + Send>| {
			let theirs = shared.clone();
			std::thread::Builder::new()
				.name(name.into())
				.spawn(move || {
					let failed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work));
					let mut backlog = theirs.0.lock();
					if failed.is_err() {
						// Commits must not wait for a thread that is gone.
						backlog.failed.get_or_insert_with(|| "a database thread panicked".into());
					}
					theirs.1.notify_all();
				})
				.map_err(|e| DbError::Io { path: path.to_owned(), message: e.to_string() })
		};
		let (enact_db, enact_shared) = (db.clone(), shared.clone());
		let thread = spawn(
			"db-enact",
			Box::new(move || {
				Self::run(&enact_db, &log, &enact_shared);
				enact_shared.0.lock().enacted_all = true;
			}),
		)?;
		let clean_shared = shared.clone();
		let cleaner = spawn("db-clean", Box::new(move || Self::clean(&db, &clean_shared)))?;
		Ok(Self { shared, thread: Some(thread), cleaner: Some(cleaner) })
	}

	fn run(db: &parity_db::Db, log: &Mutex<()>, shared: &(Mutex<Backlog>, Condvar)) {
		let (backlog, changed) = shared;
		loop {
			let taken = {
				let mut backlog = backlog.lock();
				while backlog.unenacted == 0 && !backlog.stop {
					changed.wait(&mut backlog);
				}
				if backlog.unenacted == 0 {
					return;
				}
				backlog.unenacted
			};
			let mut result = db.enact_logs();
			// An index that filled up is rebuilt into a larger one in steps, each a log record
			// of its own; parity-db's own threads would loop until it is done.
			for _ in 0..REINDEX_STEPS_PER_ROUND {
				if result.is_err() {
					break;
				}
				let guard = log.lock();
				result = db.process_reindex().and_then(|()| db.flush_logs());
				drop(guard);
				result = result.and_then(|()| db.enact_logs());
			}
			let mut backlog = backlog.lock();
			backlog.unenacted = backlog.unenacted.saturating_sub(taken);
			if let Err(error) = result {
				tracing::error!(%error, "enacting the chain database's log failed");
				backlog.failed.get_or_insert_with(|| error.to_string());
			}
			changed.notify_all();
		}
	}

	/// Cleans enacted logs after each round of enacting, and every 50 ms besides (enacting
	/// may be waiting for it in the middle of a round).
	fn clean(db: &parity_db::Db, shared: &(Mutex<Backlog>, Condvar)) {
		let (backlog, changed) = shared;
		loop {
			{
				let mut backlog = backlog.lock();
				if backlog.enacted_all {
					return;
				}
				changed.wait_for(&mut backlog, std::time::Duration::from_millis(50));
			}
			if let Err(error) = db.clean_logs() {
				tracing::error!(%error, "cleaning the chain database's log failed");
				shared.0.lock().failed.get_or_insert_with(|| error.to_string());
				shared.1.notify_all();
			}
		}
	}

	/// Fails every later commit with `error`.
	fn fail(&self, error: &parity_db::Error) {
		tracing::error!(%error, "writing the chain database's log failed");
		self.shared.0.lock().failed.get_or_insert_with(|| error.to_string());
		self.shared.1.notify_all();
	}

	/// Fails if enacting failed before.
	fn check(&self) -> Result<(), String> {
		match &self.shared.0.lock().failed {
			Some(error) => Err(format!("enacting the log failed earlier: {error}")),
			None => Ok(()),
		}
	}

	/// Counts one more fsynced record for the thread, and waits while too many are waiting.
	fn logged(&self) {
		let (backlog, changed) = &*self.shared;
		let mut backlog = backlog.lock();
		backlog.unenacted = backlog.unenacted.saturating_add(1);
		changed.notify_all();
		while backlog.unenacted > MAX_UNENACTED && backlog.failed.is_none() {
			changed.wait(&mut backlog);
		}
	}

	fn stop(&mut self) {
		self.shared.0.lock().stop = true;
		self.shared.1.notify_all();
		// Enacting finishes what is logged (the cleaner keeps going meanwhile), then the
		// cleaner stops.
		if let Some(thread) = self.thread.take() {
			let _ = thread.join();
		}
		self.shared.0.lock().enacted_all = true;
		self.shared.1.notify_all();
		if let Some(cleaner) = self.cleaner.take() {
			let _ = cleaner.join();
		}
	}
}

/// The trie nodes of the state, read from the `STATE` column.
pub struct StateStore(pub Arc<ChainDb>);

impl TrieBackendStorage<BlakeTwo256> for StateStore {
	fn get(&self, key: &H256, prefix: (&[u8], Option<u8>)) -> Result<Option<DBValue>, String> {
		let key = sp_trie::prefixed_key::<BlakeTwo256>(key, prefix);
		Ok(Database::get(&*self.0, columns::STATE, &key))
	}
}

/// Adds a block's trie changes to `transaction`: its new nodes are stored (a node already
/// stored gains a reference), and the nodes it stopped using are listed under its number, to
/// be released when [`prune`] removes its parent's state.
pub fn add_state_changes(
	transaction: &mut Transaction<H256>,
	number: u32,
	mut changes: sp_trie::PrefixedMemoryDB<BlakeTwo256>,
) {
	let mut released: Vec<Vec<u8>> = Vec::new();
	for (key, (value, references)) in changes.drain() {
		// Keys are prefixed by trie position, so one key occurs once per block: +1, -1 or 0.
		if references > 0 {
			transaction.set_from_vec(columns::STATE, &key, value);
		} else if references < 0 {
			released.push(key);
		}
	}
	transaction.set_from_vec(columns::RELEASED, &ChainDb::number_key(number), released.encode());
}

/// Adds the release of the nodes that block `number` stopped using, which removes the state of
/// block `number - 1`.
pub fn prune(
	db: &ChainDb,
	transaction: &mut Transaction<H256>,
	number: u32,
) -> Result<(), DbError> {
	let key = ChainDb::number_key(number);
	for node in db.read::<Vec<Vec<u8>>>(columns::RELEASED, &key)?.unwrap_or_default() {
		transaction.remove(columns::STATE, &node);
	}
	transaction.remove(columns::RELEASED, &key);
	Ok(())
}
