//! The chain: the finalized head, blocks and state in the database, and the runtime executed
//! over that state to author, import and answer calls.

use crate::{
	db::{self, columns, meta, ChainDb, DbError, StateStore},
	executor::NativeExecutor,
};
use carechain_primitives::signatures::{PreVerifiedExt, PreVerifiedSignatures};
use carechain_runtime::{Block, Header, UncheckedExtrinsic};
use codec::{Decode, Encode};
use parking_lot::{Mutex, RwLock};
use sp_core::{
	storage::Storage,
	traits::{CallContext, RuntimeCode, WrappedRuntimeCode},
	H256,
};
use sp_database::Transaction;
use sp_externalities::Extensions;
use sp_runtime::{
	traits::{BlakeTwo256, Hash as _, Header as _},
	transaction_validity::{InvalidTransaction, TransactionValidityError},
	ApplyExtrinsicResult, StateVersion,
};
use sp_state_machine::{
	Backend as _, OverlayedChanges, StateMachine, StorageChanges, TrieBackend, TrieBackendBuilder,
};
use sp_trie::cache::{CacheSize, LocalTrieCache, SharedTrieCache};
use std::{sync::Arc, time::Instant};

/// The state of one block, read from the database through the shared trie cache.
pub type State = TrieBackend<StateStore, BlakeTwo256, LocalTrieCache<BlakeTwo256>>;

/// Bytes of trie nodes and values kept in memory across blocks, unless the node is told
/// otherwise (`--trie-cache-size`).
pub const DEFAULT_TRIE_CACHE_BYTES: usize = 64 << 20;

/// Transactions in a row that do not fit in what is left of a block before its builder calls
/// it full (Substrate's block authorship uses the same number).
const MAX_SKIPPED_TRANSACTIONS: usize = 8;

/// The newest finalized block.
#[derive(Clone, Debug)]
pub struct Head {
	/// Its number.
	pub number: u32,
	/// Its hash.
	pub hash: H256,
	/// Its header.
	pub header: Header,
}

/// What went wrong in the chain.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
	/// The database failed.
	#[error(transparent)]
	Db(#[from] DbError),
	/// A runtime call failed (for a block: the runtime rejected it).
	#[error("runtime call {method} failed: {message}")]
	Runtime {
		/// The runtime API method.
		method: String,
		/// What the runtime said.
		message: String,
	},
	/// The runtime answered something that does not decode.
	#[error("runtime call {method} returned undecodable output: {error}")]
	Output {
		/// The runtime API method.
		method: String,
		/// The decoding error.
		error: codec::Error,
	},
	/// A block is not known here.
	#[error("block {0:?} is not known to this node")]
	UnknownBlock(H256),
	/// A block does not extend the finalized head.
	#[error(
		"block #{number} ({hash:?}) does not extend the finalized head #{head} ({head_hash:?})"
	)]
	NotNext {
		/// Its number.
		number: u32,
		/// Its hash.
		hash: H256,
		/// The head's number.
		head: u32,
		/// The head's hash.
		head_hash: H256,
	},
	/// The database holds another chain than the one asked for.
	#[error(
		"the base path holds chain {found:?}, not {expected:?}: use another --base-path or purge-chain"
	)]
	GenesisMismatch {
		/// The genesis of the chain spec.
		expected: H256,
		/// The genesis in the database.
		found: H256,
	},
	/// The inherent timestamp extrinsic was refused, so no block can be built.
	#[error("the runtime refused the block's timestamp: {0:?}")]
	Inherent(ApplyExtrinsicResult),
}

/// A block built on the head, with the changes it makes.
pub struct BuiltBlock {
	/// The block.
	pub block: Block,
	/// Its state changes, ready to commit.
	pub changes: StorageChanges<BlakeTwo256>,
	/// Hashes of the candidate extrinsics that are invalid now and never will be valid.
	pub invalid: Vec<H256>,
}

/// The chain, shared by consensus, the pool and RPC.
pub struct Client {
	db: Arc<ChainDb>,
	genesis_hash: H256,
	head: RwLock<Head>,
	/// Held through a commit, so that commits run one at a time; the head's lock is taken only
	/// to move the head once the block is on disk, so readers of the head (the pool's
	/// validator, RPC) do not wait for the write and its fsync.
	committing: Mutex<()>,
	cache: SharedTrieCache<BlakeTwo256>,
	keep_states: Option<u32>,
}

/// States kept by default, as Substrate keeps them: the newest 256 blocks'.
pub const DEFAULT_KEEP_STATES: u32 = 256;

fn runtime_code() -> WrappedRuntimeCode<'static> {
	WrappedRuntimeCode(Vec::new().into())
}

/// The genesis header of a genesis state root.
pub fn genesis_header(state_root: H256) -> Header {
	Header::new(
		0,
		sp_trie::empty_trie_root::<sp_trie::LayoutV1<BlakeTwo256>>(),
		state_root,
		H256::zero(),
		Default::default(),
	)
}

impl Client {
	/// Opens the chain in `db`, writing `genesis` first when the database is new.
	pub fn open(db: Arc<ChainDb>, genesis: &Storage) -> Result<Self, ClientError> {
		let empty = sp_trie::empty_trie_root::<sp_trie::LayoutV1<BlakeTwo256>>();
		let (root, nodes) =
			TrieBackendBuilder::new(StateStore(db.clone()), empty).build().storage_root(
				genesis.top.iter().map(|(k, v)| (&k[..], Some(&v[..]))),
				StateVersion::V1,
			);
		let header = genesis_header(root);
		let genesis_hash = header.hash();
		match db.read::<H256>(columns::META, meta::GENESIS)? {
			Some(found) if found != genesis_hash => {
				return Err(ClientError::GenesisMismatch { expected: genesis_hash, found })
			}
			Some(_) => {}
			None => {
				let mut transaction = Transaction::new();
				db::add_state_changes(&mut transaction, 0, nodes);
				write_block(&mut transaction, &header, &[], &[]);
				transaction.set_from_vec(columns::META, meta::GENESIS, genesis_hash.encode());
				db.write(transaction)?;
			}
		}
		let (number, hash) = db.finalized()?.unwrap_or((0, genesis_hash));
		let header = db
			.read::<Header>(columns::HEADER, hash.as_bytes())?
			.ok_or(ClientError::UnknownBlock(hash))?;
		let cache = SharedTrieCache::new(CacheSize::new(DEFAULT_TRIE_CACHE_BYTES), None);
		Ok(Self {
			db,
			genesis_hash,
			head: RwLock::new(Head { number, hash, header }),
			committing: Mutex::new(()),
			cache,
			keep_states: Some(DEFAULT_KEEP_STATES),
		})
	}

	/// Keeps the state of the newest `keep` blocks (at least one), or every state for `None`
	/// (an archive). Blocks themselves are always kept.
	pub fn keep_states(mut self, keep: Option<u32>) -> Self {
		self.keep_states = keep.map(|k| k.max(1));
		self
	}

	/// Keeps up to `bytes` of trie nodes and values in memory across blocks.
	pub fn trie_cache_bytes(mut self, bytes: usize) -> Self {
		self.cache = SharedTrieCache::new(CacheSize::new(bytes), None);
		self
	}

	/// The genesis block hash.
	pub fn genesis_hash(&self) -> H256 {
		self.genesis_hash
	}

	/// The finalized head.
	pub fn head(&self) -> Head {
		self.head.read().clone()
	}

	/// The header of a stored block.
	///
	/// A block being committed is readable in the database before its write is durable; it is
	/// not shown until then ([`Client::commit`] moves the head only once the write returned),
	/// so nothing a crash could take back is given out.
	pub fn header(&self, hash: H256) -> Result<Option<Header>, ClientError> {
		let header: Option<Header> = self.db.read(columns::HEADER, hash.as_bytes())?;
		Ok(header.filter(|h| h.number <= self.head().number))
	}

	/// The extrinsics of a stored block.
	pub fn body(&self, hash: H256) -> Result<Option<Vec<UncheckedExtrinsic>>, ClientError> {
		Ok(self.db.read(columns::BODY, hash.as_bytes())?)
	}

	/// The whole stored block.
	pub fn block(&self, hash: H256) -> Result<Option<Block>, ClientError> {
		let Some(header) = self.header(hash)? else { return Ok(None) };
		let extrinsics = self.body(hash)?.unwrap_or_default();
		Ok(Some(Block { header, extrinsics }))
	}

	/// The hash of the finalized block `number`.
	pub fn hash(&self, number: u32) -> Result<Option<H256>, ClientError> {
		if number == 0 {
			return Ok(Some(self.genesis_hash));
		}
		let hash = self.db.read(columns::CANON, &ChainDb::number_key(number))?;
		Ok(hash.filter(|_| number <= self.head().number))
	}

	/// The consensus commit certificate of block `number`, as consensus encoded it.
	pub fn certificate(&self, number: u32) -> Result<Option<Vec<u8>>, ClientError> {
		let certificate = sp_database::Database::get(
			&*self.db,
			columns::CERTIFICATE,
			&ChainDb::number_key(number),
		);
		Ok(certificate.filter(|_| number <= self.head().number))
	}

	/// Whether the node still keeps the state of block `number` (`--state-pruning`): every
	/// finalized block's state on an archive node, the newest `keep` otherwise.
	pub fn keeps_state_of(&self, number: u32) -> bool {
		let head = self.head().number;
		number <= head && self.keep_states.is_none_or(|keep| head.saturating_sub(number) < keep)
	}

	/// The state of a stored block.
	pub fn state_at(&self, hash: H256) -> Result<State, ClientError> {
		let header = self.header(hash)?.ok_or(ClientError::UnknownBlock(hash))?;
		Ok(self.state(header.state_root))
	}

	fn state(&self, root: H256) -> State {
		let cache = self.cache.local_cache_trusted();
		TrieBackendBuilder::new_with_cache(StateStore(self.db.clone()), root, cache).build()
	}

	/// The validators that decide the block after `at`: `Registry::Validators` in its state.
	pub fn validators(&self, at: H256) -> Result<Vec<pallet_registry::Validator>, ClientError> {
		Ok(self.storage_value(at, "Registry", "Validators")?.unwrap_or_default())
	}

	/// The validator set that governance announced, as of `at`.
	pub fn scheduled_validators(
		&self,
		at: H256,
	) -> Result<Option<pallet_registry::ScheduledValidators<carechain_runtime::Runtime>>, ClientError>
	{
		self.storage_value(at, "Registry", "ScheduledValidatorSet")
	}

	/// A pallet's storage value in the state of block `at`, decoded.
	fn storage_value<T: Decode>(
		&self,
		at: H256,
		pallet: &str,
		item: &str,
	) -> Result<Option<T>, ClientError> {
		let method = format!("{pallet}.{item}");
		let raw = self
			.state_at(at)?
			.storage(&value_key(pallet, item))
			.map_err(|e| ClientError::Runtime { method: method.clone(), message: e.to_string() })?;
		raw.map(|raw| decode(&method, &raw)).transpose()
	}

	/// Calls a runtime API at a stored block; nothing it writes is kept.
	pub fn call(&self, at: H256, method: &str, data: &[u8]) -> Result<Vec<u8>, ClientError> {
		self.call_with(at, method, data, Extensions::default())
	}

	/// Calls a runtime API at a stored block with these extensions registered.
	pub fn call_with(
		&self,
		at: H256,
		method: &str,
		data: &[u8],
		mut extensions: Extensions,
	) -> Result<Vec<u8>, ClientError> {
		let state = self.state_at(at)?;
		let mut overlay = OverlayedChanges::default();
		execute(&state, &mut overlay, &mut extensions, method, data, false)
	}

	/// The time of a stored block (`Timestamp::Now` in its state), in milliseconds; zero for
	/// genesis, which has none.
	pub fn timestamp(&self, at: H256) -> Result<u64, ClientError> {
		Ok(self.storage_value(at, "Timestamp", "Now")?.unwrap_or_default())
	}

	/// Builds a block on the head: the timestamp, then the candidates in order while they fit
	/// and time is left. A candidate that fails is left out of the block.
	///
	/// The block is stamped with the proposer's clock `now_ms`, or with the earliest time the
	/// runtime accepts (the head's time plus the minimum period) when the head is stamped ahead
	/// of that clock (`consensus::timestamp::authored`).
	pub fn build_block<'a>(
		&self,
		now_ms: u64,
		candidates: impl IntoIterator<Item = (H256, &'a UncheckedExtrinsic)>,
		verdicts: PreVerifiedSignatures,
		deadline: Instant,
	) -> Result<BuiltBlock, ClientError> {
		let parent = self.head();
		let stamp = crate::consensus::timestamp::authored(now_ms, self.timestamp(parent.hash)?);
		let state = self.state(parent.header.state_root);
		let mut overlay = OverlayedChanges::default();
		let mut extensions = Extensions::default();
		extensions.register(PreVerifiedExt(verdicts));
		let mut call = |overlay: &mut OverlayedChanges<BlakeTwo256>, method: &str, data: &[u8]| {
			execute(&state, overlay, &mut extensions, method, data, false)
		};

		let number = parent.number.saturating_add(1);
		let timestamp = begin_block(&mut call, &mut overlay, number, parent.hash, stamp)?;
		let mut extrinsics = vec![timestamp];

		let started = Instant::now();
		let mut invalid = Vec::new();
		let mut skipped = 0;
		for (hash, extrinsic) in candidates {
			if Instant::now() >= deadline {
				break;
			}
			match apply(&mut call, &mut overlay, extrinsic)? {
				// A call that fails still goes in: its nonce is used and its failure recorded.
				Ok(_) => extrinsics.push(extrinsic.clone()),
				// One that does not fit in what is left waits for the next block; the smaller
				// ones behind it may still fit (as Substrate's block authorship does). Past a few
				// in a row, the block is full.
				Err(TransactionValidityError::Invalid(InvalidTransaction::ExhaustsResources)) => {
					skipped += 1;
					if skipped >= MAX_SKIPPED_TRANSACTIONS {
						break;
					}
				}
				Err(TransactionValidityError::Invalid(InvalidTransaction::Future)) => {}
				Err(_) => invalid.push(hash),
			}
		}

		let applied = started.elapsed();
		let output = call(&mut overlay, "BlockBuilder_finalize_block", &[])?;
		let header = decode::<Header>("BlockBuilder_finalize_block", &output)?;
		let finalized = started.elapsed();
		let changes = drain(&state, &mut overlay, "BlockBuilder_finalize_block")?;
		drop(state);
		tracing::debug!(
			txs = extrinsics.len(),
			apply_ms = applied.as_millis() as u64,
			finalize_ms = (finalized - applied).as_millis() as u64,
			drain_ms = (started.elapsed() - finalized).as_millis() as u64,
			"built"
		);
		Ok(BuiltBlock { block: Block { header, extrinsics }, changes, invalid })
	}

	/// Applies `extrinsic` (its SCALE bytes, which the caller has bounded) to a block built on
	/// `at`, initialized and stamped as a proposer would, and answers what the runtime's
	/// `BlockBuilder_apply_extrinsic` answers, SCALE-encoded; nothing is kept. The runtime
	/// checks the signature itself (no batch verdicts are registered).
	pub fn dry_run(&self, at: H256, extrinsic: &[u8]) -> Result<Vec<u8>, ClientError> {
		let parent = self.header(at)?.ok_or(ClientError::UnknownBlock(at))?;
		let now = crate::consensus::timestamp::now_ms();
		let stamp = crate::consensus::timestamp::authored(now, self.timestamp(at)?);
		let state = self.state(parent.state_root);
		let mut overlay = OverlayedChanges::default();
		let mut extensions = Extensions::default();
		let mut call = |overlay: &mut OverlayedChanges<BlakeTwo256>, method: &str, data: &[u8]| {
			execute(&state, overlay, &mut extensions, method, data, false)
		};
		begin_block(&mut call, &mut overlay, parent.number.saturating_add(1), at, stamp)?;
		call(&mut overlay, "BlockBuilder_apply_extrinsic", extrinsic)
	}

	/// Executes a block that extends the head, as import does: the runtime checks every
	/// extrinsic, the extrinsics root and the state root.
	pub fn execute_block(
		&self,
		block: &Block,
		verdicts: PreVerifiedSignatures,
	) -> Result<StorageChanges<BlakeTwo256>, ClientError> {
		let parent = self.head();
		let hash = block.header.hash();
		if block.header.parent_hash != parent.hash
			|| block.header.number != parent.number.saturating_add(1)
		{
			return Err(ClientError::NotNext {
				number: block.header.number,
				hash,
				head: parent.number,
				head_hash: parent.hash,
			});
		}
		let state = self.state(parent.header.state_root);
		let mut overlay = OverlayedChanges::default();
		let mut extensions = Extensions::default();
		extensions.register(PreVerifiedExt(verdicts));
		execute(
			&state,
			&mut overlay,
			&mut extensions,
			"Core_execute_block",
			&block.encode(),
			true,
		)?;
		let changes = drain(&state, &mut overlay, "Core_execute_block")?;
		if changes.transaction_storage_root != block.header.state_root {
			return Err(ClientError::Runtime {
				method: "Core_execute_block".into(),
				message: format!(
					"state root {:?} differs from the header's {:?}",
					changes.transaction_storage_root, block.header.state_root
				),
			});
		}
		Ok(changes)
	}

	/// Stores a finalized block that extends the head, with its state changes and commit
	/// certificate, in one atomic write, and makes it the head.
	pub fn commit(
		&self,
		block: &Block,
		changes: StorageChanges<BlakeTwo256>,
		certificate: &[u8],
	) -> Result<(), ClientError> {
		let _committing = self.committing.lock();
		let head = self.head();
		let hash = block.header.hash();
		let number = block.header.number;
		if block.header.parent_hash != head.hash || number != head.number.saturating_add(1) {
			return Err(ClientError::NotNext {
				number,
				hash,
				head: head.number,
				head_hash: head.hash,
			});
		}
		let mut transaction = Transaction::new();
		db::add_state_changes(&mut transaction, number, changes.transaction);
		if let Some(keep) = self.keep_states {
			// Block `number - keep + 1` stopped using what only state `number - keep` had.
			if let Some(oldest_kept) = number.checked_sub(keep) {
				db::prune(&self.db, &mut transaction, oldest_kept.saturating_add(1))?;
			}
		}
		write_block(&mut transaction, &block.header, &block.extrinsics, certificate);
		ChainDb::set_finalized(&mut transaction, number, hash);
		self.db.write(transaction)?;
		// Only now, with the block durable, does anyone see it as the head.
		*self.head.write() = Head { number, hash, header: block.header.clone() };
		Ok(())
	}
}

fn write_block(
	transaction: &mut Transaction<H256>,
	header: &Header,
	extrinsics: &[UncheckedExtrinsic],
	certificate: &[u8],
) {
	let hash = header.hash();
	transaction.set_from_vec(columns::HEADER, hash.as_bytes(), header.encode());
	transaction.set_from_vec(columns::BODY, hash.as_bytes(), extrinsics.encode());
	if header.number > 0 {
		let key = ChainDb::number_key(header.number);
		transaction.set(columns::CERTIFICATE, &key, certificate);
	}
}

fn execute(
	state: &State,
	overlay: &mut OverlayedChanges<BlakeTwo256>,
	extensions: &mut Extensions,
	method: &str,
	data: &[u8],
	import: bool,
) -> Result<Vec<u8>, ClientError> {
	let code = runtime_code();
	let runtime_code = RuntimeCode { code_fetcher: &code, heap_pages: None, hash: Vec::new() };
	let result = StateMachine::new(
		state,
		overlay,
		&NativeExecutor,
		method,
		data,
		extensions,
		&runtime_code,
		CallContext::Onchain { import },
	)
	.execute()
	.map_err(|e| ClientError::Runtime { method: method.into(), message: format!("{e}") });
	result
}

/// A runtime call on a block being built, over its overlay: method and input in, output out.
trait BlockCall:
	FnMut(&mut OverlayedChanges<BlakeTwo256>, &str, &[u8]) -> Result<Vec<u8>, ClientError>
{
}

impl<F> BlockCall for F where
	F: FnMut(&mut OverlayedChanges<BlakeTwo256>, &str, &[u8]) -> Result<Vec<u8>, ClientError>
{
}

/// Initializes block `number` on `parent` and applies its timestamp inherent stamped `stamp`;
/// answers the inherent, the block's first extrinsic.
fn begin_block(
	call: &mut impl BlockCall,
	overlay: &mut OverlayedChanges<BlakeTwo256>,
	number: u32,
	parent: H256,
	stamp: u64,
) -> Result<UncheckedExtrinsic, ClientError> {
	let header =
		Header::new(number, Default::default(), Default::default(), parent, Default::default());
	call(overlay, "Core_initialize_block", &header.encode())?;
	let timestamp = UncheckedExtrinsic::new_bare(carechain_runtime::RuntimeCall::Timestamp(
		pallet_timestamp::Call::set { now: stamp },
	));
	match apply(call, overlay, &timestamp)? {
		Ok(Ok(())) => Ok(timestamp),
		refused => Err(ClientError::Inherent(refused)),
	}
}

/// Applies an extrinsic inside a storage transaction that is rolled back when it is invalid,
/// so that it leaves no trace in the block.
fn apply(
	call: &mut impl BlockCall,
	overlay: &mut OverlayedChanges<BlakeTwo256>,
	extrinsic: &UncheckedExtrinsic,
) -> Result<ApplyExtrinsicResult, ClientError> {
	const METHOD: &str = "BlockBuilder_apply_extrinsic";
	overlay.start_transaction();
	let output = call(overlay, METHOD, &extrinsic.encode());
	let result = output.and_then(|output| decode::<ApplyExtrinsicResult>(METHOD, &output));
	let keep = matches!(result, Ok(Ok(_)));
	let closed = if keep { overlay.commit_transaction() } else { overlay.rollback_transaction() };
	closed.expect("a storage transaction was started above");
	result
}

fn drain(
	state: &State,
	overlay: &mut OverlayedChanges<BlakeTwo256>,
	method: &str,
) -> Result<StorageChanges<BlakeTwo256>, ClientError> {
	overlay
		.drain_storage_changes(state, StateVersion::V1)
		.map_err(|message| ClientError::Runtime { method: method.into(), message })
}

/// Decodes a runtime call's output.
pub fn decode<T: Decode>(method: &str, output: &[u8]) -> Result<T, ClientError> {
	T::decode(&mut &output[..])
		.map_err(|error| ClientError::Output { method: method.into(), error })
}

/// The hash of an extrinsic as the pool and RPC name it: blake2-256 of its encoding.
pub fn extrinsic_hash(encoded: &[u8]) -> H256 {
	BlakeTwo256::hash(encoded)
}

/// The storage key of the registry's `Validators`: read in a block's state, who decides the next.
pub fn validators_key() -> Vec<u8> {
	value_key("Registry", "Validators")
}

/// The storage key of frame-system's `Events`: read in a block's state, that block's events.
pub fn events_key() -> Vec<u8> {
	value_key("System", "Events")
}

/// The storage key of the timestamp pallet's `Now`: read in a block's state, that block's time.
pub fn now_key() -> Vec<u8> {
	value_key("Timestamp", "Now")
}

/// The storage key of a pallet's storage value, as FRAME lays it out.
fn value_key(pallet: &str, item: &str) -> Vec<u8> {
	[sp_io::hashing::twox_128(pallet.as_bytes()), sp_io::hashing::twox_128(item.as_bytes())]
		.concat()
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::{chain_spec::ChainSpec, extrinsic::sign};
	use carechain_runtime::RuntimeCall;
	use frame_support::weights::Weight;
	use sp_keyring::Ed25519Keyring;

	/// A transaction of `signer`'s that declares `weight` of compute: `Council.close` is
	/// charged its `proposal_weight_bound` up front (it fails at dispatch, with no motion to
	/// close, and is charged all of it). Remarks carry no bytes, so a large transaction is a
	/// heavy one, not a long one.
	fn heavy(signer: Ed25519Keyring, weight: Weight, client: &Client) -> UncheckedExtrinsic {
		let call = RuntimeCall::Council(pallet_collective::Call::close {
			proposal_hash: H256::repeat_byte(1),
			index: 0,
			proposal_weight_bound: weight,
			length_bound: 0,
		});
		sign(&signer.pair(), 0, call, client.genesis_hash())
	}

	fn remark(signer: Ed25519Keyring, client: &Client) -> UncheckedExtrinsic {
		let call = RuntimeCall::System(frame_system::Call::remark { remark: Vec::new() });
		sign(&signer.pair(), 0, call, client.genesis_hash())
	}

	/// Issue 17's review: an extrinsic that passes validation but does not fit in what is left
	/// of the block (two transactions of 3/5 of a block's compute each) must not keep every
	/// smaller one behind it out of the block.
	#[test]
	fn a_transaction_too_big_for_what_is_left_does_not_block_the_ones_behind_it() {
		use frame_support::dispatch::DispatchClass;
		let dir = tempfile::tempdir().unwrap();
		let db = ChainDb::open(dir.path()).unwrap();
		let client = Client::open(db, &ChainSpec::development().genesis).unwrap();
		let limits = carechain_runtime::RuntimeBlockWeights::get();
		let weight = Weight::from_parts(limits.max_block.ref_time() / 5 * 3, 0);
		let operational = limits.get(DispatchClass::Operational);
		assert!(
			operational.max_extrinsic.is_some_and(|max| weight.all_lte(max)),
			"one fits in a block on its own"
		);
		assert!(
			operational.max_total.is_some_and(|max| weight.saturating_mul(2).any_gt(max)),
			"two do not"
		);
		let candidates = [
			heavy(Ed25519Keyring::Bob, weight, &client),
			heavy(Ed25519Keyring::Dave, weight, &client),
			remark(Ed25519Keyring::Charlie, &client),
		];
		let hashes: Vec<H256> = candidates.iter().map(|x| extrinsic_hash(&x.encode())).collect();
		let far = Instant::now() + std::time::Duration::from_secs(600);
		let now = crate::consensus::timestamp::now_ms();
		let built = client
			.build_block(now, hashes.iter().copied().zip(&candidates), Default::default(), far)
			.unwrap();
		let included: Vec<H256> =
			built.block.extrinsics.iter().skip(1).map(|x| extrinsic_hash(&x.encode())).collect();
		assert_eq!(included, vec![hashes[0], hashes[2]], "the second does not fit, the third does");
		assert!(built.invalid.is_empty(), "the one left out is not invalid: it waits");
	}
}
