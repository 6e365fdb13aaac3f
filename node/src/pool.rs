//! The transaction pool.
//!
//! Submissions queue up and are handled in batches: decoded, checked for duplicates, their
//! ed25519 signatures verified together (GPU or CPU), then each validated by the runtime's
//! `TaggedTransactionQueue` with those verdicts. Valid transactions wait here, ordered by
//! priority and by their `requires`/`provides` tags (an account's nonces in order), until a
//! block includes them.
//!
//! No sender may crowd the others out: each holds at most `per_sender` transactions, ready or
//! waiting; when the pool is full, a transaction from a sender holding fewer evicts the newest
//! transaction of the sender holding the most; and a transaction waiting for earlier nonces
//! may be at most `future_nonces` ahead of the sender's highest nonce in the pool (or of its
//! next nonce on chain), so a sender's gaps are small. The runtime adds its per-signer
//! allowance (`pallet_registry::RateLimit`): it bounds what a sender gets into blocks, and
//! refuses a nonce further ahead of the chain's than the allowance (128 for a patient), which
//! bounds what a sender can park here. Together they ration a feeless chain.
//!
//! No transaction is stranded. A batch is validated against the head of the moment and inserted
//! afterwards, so blocks may commit in between: the pool remembers the tags the newest blocks'
//! transactions provided, and an entry never waits for a tag that a block after the head it was
//! validated against provided (nor enters at all when such a block used its own nonce). What
//! the pool cannot know (a transaction it never held, included by another validator) the
//! revalidator ([`revalidate`]) finds after each block: entries that wait for a tag no
//! transaction in the pool provides are validated again against the new head, as is, every few
//! blocks, whatever still waits; those whose nonce the chain has used are dropped with the
//! reason (`invalid` to watchers), the others wait on what the chain still lacks.

use crate::{
	client::{decode, extrinsic_hash, Client, ClientError},
	signatures::{BatchReport, BatchVerifier},
};
use carechain_primitives::signatures::{PreVerifiedExt, Verdict};
use carechain_runtime::UncheckedExtrinsic;
use codec::Encode;
use frame_support::MAX_EXTRINSIC_DEPTH;
use parking_lot::{Condvar, Mutex};
use sp_core::H256;
use sp_externalities::Extensions;
use sp_runtime::transaction_validity::{
	InvalidTransaction, TransactionSource, TransactionValidity, TransactionValidityError,
	UnknownTransaction, ValidTransaction,
};
use std::{
	cmp::Reverse,
	collections::{BTreeMap, BinaryHeap, HashMap, HashSet},
	sync::Arc,
	time::{Duration, Instant},
};
use tokio::sync::{mpsc, oneshot};

mod revalidate;

type Tag = Vec<u8>;

/// Blocks whose provided tags the pool remembers. A batch validated against a head this many
/// blocks old would have taken minutes; what it still misses, the revalidator finds.
const CHAIN_TAG_BLOCKS: u32 = 256;

/// How long a transaction the operator removed is refused (Substrate's pool: 30 minutes).
pub const BAN_TIME: Duration = Duration::from_secs(30 * 60);

/// The most removed transactions refused at once; the operator removes them by hand.
const MAX_BANNED: usize = 65_536;

/// Stack of the threads that run the runtime for the pool: a call nested
/// [`MAX_EXTRINSIC_DEPTH`] deep recurses through dispatch and validation once per level.
const RUNTIME_THREAD_STACK: usize = 2 * crate::executor::RUNTIME_STACK_BYTES;

/// Limits of the pool.
#[derive(Clone, Copy, Debug)]
pub struct PoolLimits {
	/// Most transactions held.
	pub count: usize,
	/// Most encoded bytes held.
	pub bytes: usize,
	/// Most transactions one sender may have in the pool, ready or waiting.
	pub per_sender: usize,
	/// Most nonces a waiting transaction may be ahead of its sender's highest nonce in the
	/// pool (or of its next nonce on chain, when the pool holds none above it).
	pub future_nonces: u32,
	/// Most submissions verified and validated in one batch.
	pub batch: usize,
	/// Threads that run the runtime's checks of a batch in parallel.
	pub check_threads: usize,
}

impl Default for PoolLimits {
	fn default() -> Self {
		Self {
			count: 50_000,
			bytes: 64 << 20,
			// `carechain-bench` sends 40,000 transactions from one account and must never meet
			// it; other senders still get in when the pool is full, by eviction.
			per_sender: 40_960,
			// Wallets send nonces in order; a load of 32 connections with 128 requests in
			// flight each (issue 17's acceptance) has up to 4,096 of one sender's nonces on
			// their way at once, in any order: 1,024 refused some of them in release, and the
			// gap stranded every later nonce. A sender's share (`per_sender`) still bounds what
			// it can park ahead.
			future_nonces: 8_192,
			batch: 4096,
			check_threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
		}
	}
}

/// Why a transaction was refused.
#[derive(Debug, thiserror::Error)]
pub enum PoolError {
	/// The bytes are not an extrinsic of this chain.
	#[error(
		"the extrinsic does not decode ({0}): send one SCALE-encoded extrinsic of this chain's \
		 runtime, with nothing after it and calls nested at most {MAX_EXTRINSIC_DEPTH} deep"
	)]
	Decode(String),
	/// It is in the pool already.
	#[error("transaction {0:?} is already in the pool")]
	AlreadyImported(H256),
	/// The runtime says it is invalid.
	#[error("invalid transaction: {}", describe_invalid(.0))]
	Invalid(InvalidTransaction),
	/// The runtime cannot tell.
	#[error("unknown transaction validity: {0:?}")]
	Unknown(UnknownTransaction),
	/// Its nonce is further ahead of the account's than the pool keeps.
	#[error(
		"nonce {nonce} is more than {limit} ahead of {next}, the account's next nonce after \
		 those on chain and in the pool: send the missing nonces first"
	)]
	TooFarInFuture {
		/// The transaction's nonce.
		nonce: u32,
		/// The nonce after the account's highest in the pool, or its next on chain.
		next: u32,
		/// The pool's limit.
		limit: u32,
	},
	/// The node's operator removed it (`author_removeExtrinsic`) a short while ago.
	#[error(
		"transaction {0:?} was removed from this node's pool by its operator and is refused \
		 for {minutes} minutes after that: ask the operator, or sign a new transaction",
		minutes = BAN_TIME.as_secs() / 60
	)]
	TemporarilyBanned(H256),
	/// Another transaction in the pool provides the same tag (the same account and nonce).
	#[error("a transaction with the same sender and nonce is already in the pool")]
	TooLowPriority,
	/// The pool is full, or the sender's share of it is.
	#[error("{}", describe_full(*.count, *.bytes, .sender.as_ref()))]
	Full {
		/// Transactions held: in all, or the sender's when `sender` is set.
		count: usize,
		/// Bytes held in all.
		bytes: usize,
		/// The sender, when it is its share of the pool (`PoolLimits::per_sender`) that is
		/// full: the pool may still take other senders' transactions.
		sender: Option<carechain_runtime::AccountId>,
	},
	/// The node failed while validating.
	#[error(transparent)]
	Client(#[from] ClientError),
	/// The node is shutting down.
	#[error("the node is shutting down")]
	Closed,
}

fn describe_full(
	count: usize,
	bytes: usize,
	sender: Option<&carechain_runtime::AccountId>,
) -> String {
	match sender {
		Some(sender) => format!(
			"the sender {sender} already has {count} transactions in the pool, the most one \
			 sender may hold: submit again once some are in blocks"
		),
		None => format!(
			"the transaction pool is full ({count} transactions, {bytes} bytes); retry later"
		),
	}
}

/// What a wallet's user can do about an invalid transaction, in words.
fn describe_invalid(invalid: &InvalidTransaction) -> String {
	use carechain_runtime::extensions::{
		ALLOWANCE_SPENT, RAW_STORAGE_OUTSIDE_MOTION, REGISTRATIONS_EXHAUSTED, REGISTRATION_REFUSED,
		REMARK_NOT_EMPTY, RUNTIME_IDENTITY_PROTECTED, SIGNER_NOT_PERMITTED,
	};
	match invalid {
		InvalidTransaction::Custom(SIGNER_NOT_PERMITTED) => "the signer is neither an active \
			organization member, a registered patient nor a council member (Custom(1)): register \
			as a patient, or ask an organization's admin to add the account"
			.into(),
		InvalidTransaction::Custom(REGISTRATIONS_EXHAUSTED) => "this block's patient \
			registrations are used up (Custom(2)): submit again in the next block"
			.into(),
		InvalidTransaction::Custom(REGISTRATION_REFUSED) => "register_patient would fail \
			(Custom(3)): the account is already a patient, the encryption key is zero, or a \
			guardian is the signer, not registered, named twice or one too many"
			.into(),
		InvalidTransaction::Custom(ALLOWANCE_SPENT) => "the signer's transaction allowance is \
			spent, or the nonce is further ahead of the account's next one than the allowance \
			lets into blocks (Custom(4)): the allowance grows back every block, so submit again \
			a few blocks later, in nonce order"
			.into(),
		InvalidTransaction::Custom(REMARK_NOT_EMPTY) => "a remark must be empty: free bytes \
			are not allowed in blocks (Custom(6)); the call, or a call nested in it, is a \
			System remark or remark_with_event with bytes: send it with an empty remark"
			.into(),
		InvalidTransaction::Custom(RAW_STORAGE_OUTSIDE_MOTION) => "System's raw storage and \
			code calls (set_storage, kill_storage, kill_prefix, set_code, \
			apply_authorized_upgrade) are admitted only directly in Registry.dispatch_as_root \
			directly in a council motion (Council.propose) signed by a council member \
			(Custom(7)): propose it to the council that way"
			.into(),
		InvalidTransaction::Custom(RUNTIME_IDENTITY_PROTECTED) => "the runtime is compiled into \
			the node, so no code in storage is run and :code holds the runtime's identity \
			(Custom(8)): a code upgrade, or a raw storage call that writes, kills or wipes :code, \
			is refused even in the council's motion; upgrade the runtime by upgrading the node"
			.into(),
		InvalidTransaction::Stale => "the nonce was already used (Stale): sign again with \
			the nonce system_accountNextIndex returns"
			.into(),
		InvalidTransaction::BadProof => "the signature does not verify (BadProof): it was made \
			with another key, for another chain or runtime version, or over other bytes"
			.into(),
		InvalidTransaction::AncientBirthBlock => "the transaction's era starts at a block this \
			chain does not have or that is too old (AncientBirthBlock): sign again against a \
			recent finalized block"
			.into(),
		other => format!("{other:?}"),
	}
}

/// A validated transaction in the pool.
#[derive(Debug)]
pub struct PoolTx {
	/// Its hash.
	pub hash: H256,
	/// The extrinsic.
	pub extrinsic: UncheckedExtrinsic,
	/// Its encoded length.
	pub len: usize,
	/// Its priority (higher goes first).
	pub priority: u64,
	/// Tags it needs provided first.
	pub requires: Vec<Tag>,
	/// Tags it provides.
	pub provides: Vec<Tag>,
	/// The verdict on its ed25519 signature from the batch it was validated in, reused when a
	/// block includes it.
	pub verdict: Option<Verdict>,
	/// Its signer and nonce, when it is signed: the pool counts each sender's share by them.
	pub sender: Option<(carechain_runtime::AccountId, u32)>,
	seq: u64,
}

struct Entry {
	tx: Arc<PoolTx>,
	/// `requires` tags that no included transaction has provided yet.
	missing: HashSet<Tag>,
	/// The number of the head it was last validated against.
	checked_at: u32,
}

#[derive(Default)]
struct Inner {
	txs: HashMap<H256, Entry>,
	providers: HashMap<Tag, H256>,
	/// The transactions waiting for each tag that no included transaction provided yet.
	requirers: HashMap<Tag, HashSet<H256>>,
	/// The nonces each sender has in the pool.
	senders: HashMap<carechain_runtime::AccountId, BTreeMap<u32, H256>>,
	bytes: usize,
	seq: u64,
	/// The tags each of the newest [`CHAIN_TAG_BLOCKS`] included blocks provided, by number.
	chain_tags: BTreeMap<u32, Vec<Tag>>,
	/// The block that provided each tag in `chain_tags`.
	provided_at: HashMap<Tag, u32>,
	/// The newest block the pool heard of.
	best: u32,
	/// Transactions the operator removed, and until when they are refused.
	banned: HashMap<H256, Instant>,
}

impl Inner {
	/// Whether a block after `head` included a transaction that provided `tag`.
	fn provided_after(&self, tag: &Tag, head: u32) -> bool {
		self.provided_at.get(tag).is_some_and(|number| *number > head)
	}

	/// Sets what `hash` still waits for, given the tags it requires as of block `head`: those
	/// a later block provided are not waited for.
	fn set_missing(&mut self, hash: H256, requires: &[Tag], head: u32) {
		let missing: HashSet<Tag> =
			requires.iter().filter(|tag| !self.provided_after(tag, head)).cloned().collect();
		let Some(entry) = self.txs.get_mut(&hash) else { return };
		entry.checked_at = entry.checked_at.max(head);
		let old = std::mem::replace(&mut entry.missing, missing);
		for tag in old.difference(&entry.missing) {
			if let Some(requirers) = self.requirers.get_mut(tag) {
				requirers.remove(&hash);
				if requirers.is_empty() {
					self.requirers.remove(tag);
				}
			}
		}
		for tag in &entry.missing {
			self.requirers.entry(tag.clone()).or_default().insert(hash);
		}
	}
}

/// What validating a waiting transaction again found.
#[derive(Debug)]
enum Revalidation {
	/// It is valid against the head and requires these tags.
	Valid(Vec<Tag>),
	/// It waits for an earlier nonce the chain does not have yet, or the runtime cannot tell
	/// now (its allowance is spent, the node failed): it stays as it is.
	Unchanged,
	/// It can never be included.
	Invalid(InvalidTransaction),
}

/// Something the pool tells subscribers.
#[derive(Clone, Debug)]
pub enum PoolEvent {
	/// A transaction entered the pool.
	Ready(H256),
	/// A transaction was dropped as invalid.
	Invalid(H256),
	/// A valid transaction was evicted from the full pool to make room for a sender holding
	/// fewer transactions; its sender may submit it again.
	Dropped(H256),
}

/// The pool.
pub struct Pool {
	inner: Mutex<Inner>,
	/// Signalled when a block is included, for the revalidator.
	block_included: Condvar,
	limits: PoolLimits,
	events: tokio::sync::broadcast::Sender<PoolEvent>,
}

impl Pool {
	/// An empty pool.
	pub fn new(limits: PoolLimits) -> Self {
		Self {
			inner: Mutex::default(),
			block_included: Condvar::new(),
			limits,
			events: tokio::sync::broadcast::channel(4096).0,
		}
	}

	/// Subscribes to pool events.
	pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<PoolEvent> {
		self.events.subscribe()
	}

	/// Transactions held.
	pub fn len(&self) -> usize {
		self.inner.lock().txs.len()
	}

	/// Whether the pool is empty.
	pub fn is_empty(&self) -> bool {
		self.len() == 0
	}

	/// The sender's next nonce counting the transactions it has in the pool, as Substrate's
	/// `system_accountNextIndex` does: `chain_next`, then one more for each nonce held in a row
	/// from there. Reads only the sender's own entries.
	pub fn next_nonce(&self, who: &carechain_runtime::AccountId, chain_next: u32) -> u32 {
		let inner = self.inner.lock();
		let Some(held) = inner.senders.get(who) else { return chain_next };
		let mut next = chain_next;
		for nonce in held.range(chain_next..).map(|(nonce, _)| *nonce) {
			if nonce != next {
				break;
			}
			next = next.saturating_add(1);
		}
		next
	}

	/// Whether `hash` is held.
	pub fn contains(&self, hash: &H256) -> bool {
		self.inner.lock().txs.contains_key(hash)
	}

	/// [`Self::insert_or_return`], for tests that need not have the transaction back.
	#[cfg(test)]
	fn insert(&self, tx: PoolTx, chain_next: Option<u32>, head: u32) -> Result<H256, PoolError> {
		self.insert_or_return(tx, chain_next, head).map_err(|(error, _)| error)
	}

	/// Admits a transaction validated against block `head`. `chain_next` is its sender's next
	/// nonce on chain when the transaction waits for earlier nonces (`None` when it is the next
	/// one itself). Blocks after `head` may have committed since: the tags they provided are
	/// not waited for, and a transaction whose own tag one of them provided (its nonce is used)
	/// is refused as stale. A transaction refused as too far in the future comes back with the
	/// refusal, since a newer `chain_next` may admit it: it need not be built again, nor copied
	/// beforehand.
	fn insert_or_return(
		&self,
		tx: PoolTx,
		chain_next: Option<u32>,
		head: u32,
	) -> Result<H256, (PoolError, Option<Box<PoolTx>>)> {
		let mut inner = self.inner.lock();
		let hash = tx.hash;
		if inner.txs.contains_key(&hash) {
			return Err((PoolError::AlreadyImported(hash), None));
		}
		if is_banned(&inner, &hash) {
			return Err((PoolError::TemporarilyBanned(hash), None));
		}
		if let Some((sender, nonce)) = &tx.sender {
			let held = inner.senders.get(sender);
			let count = held.map_or(0, BTreeMap::len);
			if count >= self.limits.per_sender {
				let sender = Some(sender.clone());
				return Err((PoolError::Full { count, bytes: inner.bytes, sender }, None));
			}
			if let Some(chain_next) = chain_next {
				let next = held
					.and_then(|nonces| nonces.last_key_value())
					.map_or(chain_next, |(highest, _)| highest.saturating_add(1).max(chain_next));
				if *nonce > next.saturating_add(self.limits.future_nonces) {
					let limit = self.limits.future_nonces;
					let error = PoolError::TooFarInFuture { nonce: *nonce, next, limit };
					return Err((error, Some(Box::new(tx))));
				}
			}
		}
		if tx.provides.iter().any(|tag| inner.provided_after(tag, head)) {
			return Err((PoolError::Invalid(InvalidTransaction::Stale), None));
		}
		if tx.provides.iter().any(|tag| inner.providers.contains_key(tag)) {
			return Err((PoolError::TooLowPriority, None));
		}
		let mut evicted = Vec::new();
		while inner.txs.len() >= self.limits.count
			|| inner.bytes.saturating_add(tx.len) > self.limits.bytes
		{
			let Some(victim) = eviction_candidate(&inner, tx.sender.as_ref()) else {
				let (count, bytes) = (inner.txs.len(), inner.bytes);
				drop(inner);
				self.dropped(evicted);
				return Err((PoolError::Full { count, bytes, sender: None }, None));
			};
			remove(&mut inner, &victim);
			evicted.push(victim);
		}
		let mut tx = tx;
		tx.seq = inner.seq;
		inner.seq = inner.seq.wrapping_add(1);
		for tag in &tx.provides {
			inner.providers.insert(tag.clone(), hash);
		}
		inner.bytes = inner.bytes.saturating_add(tx.len);
		if let Some((sender, nonce)) = &tx.sender {
			inner.senders.entry(sender.clone()).or_default().insert(*nonce, hash);
		}
		let tx = Arc::new(tx);
		let entry = Entry { tx: tx.clone(), missing: HashSet::new(), checked_at: head };
		inner.txs.insert(hash, entry);
		inner.set_missing(hash, &tx.requires, head);
		drop(inner);
		self.dropped(evicted);
		let _ = self.events.send(PoolEvent::Ready(hash));
		Ok(hash)
	}

	fn dropped(&self, evicted: Vec<H256>) {
		for hash in evicted {
			log::debug!("{hash:?} evicted from the full pool to make room for a lighter sender");
			let _ = self.events.send(PoolEvent::Dropped(hash));
		}
	}

	/// The transactions a block can take, best first: highest priority, then oldest, each
	/// after the transactions whose tags it requires.
	pub fn ready(&self) -> Vec<Arc<PoolTx>> {
		let inner = self.inner.lock();
		let mut waiting: HashMap<H256, usize> = HashMap::new();
		let mut dependents: HashMap<&Tag, Vec<H256>> = HashMap::new();
		let mut heap = BinaryHeap::new();
		for (hash, entry) in &inner.txs {
			// A requirement nobody in the pool provides leaves the transaction waiting.
			if entry.missing.iter().any(|tag| !inner.providers.contains_key(tag)) {
				continue;
			}
			if entry.missing.is_empty() {
				heap.push((entry.tx.priority, Reverse(entry.tx.seq), *hash));
			} else {
				waiting.insert(*hash, entry.missing.len());
				for tag in &entry.missing {
					dependents.entry(tag).or_default().push(*hash);
				}
			}
		}
		let mut best = Vec::with_capacity(heap.len());
		while let Some((_, _, hash)) = heap.pop() {
			let entry = &inner.txs[&hash];
			for tag in &entry.tx.provides {
				for dependent in dependents.get(tag).into_iter().flatten() {
					let Some(count) = waiting.get_mut(dependent) else { continue };
					*count = count.saturating_sub(1);
					if *count == 0 {
						let tx = &inner.txs[dependent].tx;
						heap.push((tx.priority, Reverse(tx.seq), *dependent));
					}
				}
			}
			best.push(entry.tx.clone());
		}
		best
	}

	/// All transactions held, ready or not.
	pub fn pending(&self) -> Vec<Arc<PoolTx>> {
		self.inner.lock().txs.values().map(|e| e.tx.clone()).collect()
	}

	/// Drops the transactions that finalized block `number` included (`hashes`: all of its
	/// extrinsics): their tags are now provided on chain, so nothing waits for them, and a
	/// batch validated against an earlier head will not wait for them either.
	pub fn included(&self, number: u32, hashes: &[H256]) {
		let mut inner = self.inner.lock();
		let mut provided = Vec::new();
		for hash in hashes {
			if let Some(entry) = remove(&mut inner, hash) {
				provided.extend(entry.tx.provides.iter().cloned());
			}
		}
		for tag in &provided {
			for hash in inner.requirers.remove(tag).unwrap_or_default() {
				if let Some(entry) = inner.txs.get_mut(&hash) {
					entry.missing.remove(tag);
				}
			}
			inner.provided_at.insert(tag.clone(), number);
		}
		inner.chain_tags.insert(number, provided);
		while let Some(entry) = inner.chain_tags.first_entry() {
			if number.saturating_sub(*entry.key()) < CHAIN_TAG_BLOCKS {
				break;
			}
			let (oldest, tags) = entry.remove_entry();
			for tag in tags {
				if inner.provided_at.get(&tag) == Some(&oldest) {
					inner.provided_at.remove(&tag);
				}
			}
		}
		inner.best = inner.best.max(number);
		drop(inner);
		self.block_included.notify_all();
	}

	/// Waits until a block after `seen` is included, or `timeout` passes; the newest block.
	fn wait_for_block(&self, seen: u32, timeout: Duration) -> u32 {
		let mut inner = self.inner.lock();
		if inner.best <= seen {
			self.block_included.wait_for(&mut inner, timeout);
		}
		inner.best
	}

	/// The waiting transactions to validate again against block `head`, at most `limit`,
	/// those that wait for a tag nobody in the pool provides first (`true` beside them): they
	/// would wait for good if the chain already provided it. The others are due once every
	/// `every` blocks. Only transactions validated before `head` are due.
	fn due_for_revalidation(
		&self,
		head: u32,
		every: u32,
		limit: usize,
	) -> Vec<(Arc<PoolTx>, bool)> {
		let inner = self.inner.lock();
		let mut orphans = Vec::new();
		let mut periodic = Vec::new();
		for entry in inner.txs.values() {
			if entry.missing.is_empty() || entry.checked_at >= head {
				continue;
			}
			if entry.missing.iter().any(|tag| !inner.providers.contains_key(tag)) {
				orphans.push((entry.tx.seq, entry.tx.clone()));
			} else if head.saturating_sub(entry.checked_at) >= every {
				periodic.push((entry.tx.seq, entry.tx.clone()));
			}
		}
		drop(inner);
		// Oldest first, so that none is put off for good.
		orphans.sort_unstable_by_key(|(seq, _)| *seq);
		periodic.sort_unstable_by_key(|(seq, _)| *seq);
		let orphans = orphans.into_iter().map(|(_, tx)| (tx, true));
		let periodic = periodic.into_iter().map(|(_, tx)| (tx, false));
		orphans.chain(periodic).take(limit).collect()
	}

	/// Applies what validating `hash` again against block `head` found.
	fn revalidated(&self, hash: H256, head: u32, outcome: Revalidation) {
		let mut inner = self.inner.lock();
		match outcome {
			Revalidation::Valid(requires) if inner.txs.contains_key(&hash) => {
				inner.set_missing(hash, &requires, head);
			}
			Revalidation::Valid(_) => {}
			Revalidation::Unchanged => {
				if let Some(entry) = inner.txs.get_mut(&hash) {
					entry.checked_at = entry.checked_at.max(head);
				}
			}
			Revalidation::Invalid(reason) => {
				if remove(&mut inner, &hash).is_some() {
					drop(inner);
					log::debug!(
						"{hash:?} dropped on revalidation at #{head}: {}",
						describe_invalid(&reason)
					);
					let _ = self.events.send(PoolEvent::Invalid(hash));
				}
			}
		}
	}

	/// Drops the transactions the node's operator removes (`author_removeExtrinsic`), as
	/// [`Self::invalid`] does, and refuses each of them, held or not, for [`BAN_TIME`], as
	/// Substrate's pool does: a peer or a wallet resending it does not bring it straight back.
	pub fn remove_and_ban(&self, hashes: &[H256]) -> Vec<H256> {
		self.ban_for(hashes, BAN_TIME);
		self.invalid(hashes)
	}

	/// Refuses `hashes` for `time`; past [`MAX_BANNED`] held, the bans that end soonest go.
	fn ban_for(&self, hashes: &[H256], time: Duration) {
		let mut inner = self.inner.lock();
		let now = Instant::now();
		inner.banned.retain(|_, until| *until > now);
		for hash in hashes {
			inner.banned.insert(*hash, now + time);
		}
		let excess = inner.banned.len().saturating_sub(MAX_BANNED);
		if excess > 0 {
			let mut by_end: Vec<(Instant, H256)> =
				inner.banned.iter().map(|(hash, until)| (*until, *hash)).collect();
			by_end.sort_unstable();
			for (_, hash) in &by_end[..excess] {
				inner.banned.remove(hash);
			}
		}
	}

	/// Whether the operator removed `hash` less than [`BAN_TIME`] ago.
	#[cfg(test)]
	fn is_banned(&self, hash: &H256) -> bool {
		is_banned(&self.inner.lock(), hash)
	}

	/// Why `hash` is refused before anyone validates it (held already, or banned), under one
	/// lock.
	fn refused_unseen(&self, hash: &H256) -> Option<PoolError> {
		let inner = self.inner.lock();
		if inner.txs.contains_key(hash) {
			return Some(PoolError::AlreadyImported(*hash));
		}
		is_banned(&inner, hash).then_some(PoolError::TemporarilyBanned(*hash))
	}

	/// Drops transactions that can never be included, or that the node's operator removes
	/// (`author_removeExtrinsic`), and answers those it held; their watchers hear `"invalid"`,
	/// as in Substrate.
	pub fn invalid(&self, hashes: &[H256]) -> Vec<H256> {
		let mut inner = self.inner.lock();
		let mut removed = Vec::new();
		for hash in hashes {
			if remove(&mut inner, hash).is_some() {
				let _ = self.events.send(PoolEvent::Invalid(*hash));
				removed.push(*hash);
			}
		}
		removed
	}
}

/// When the pool is full, the transaction to evict so that one from `sender` fits: the newest
/// nonce of the sender holding the most, if it holds at least two more than `sender` would (so
/// no sender is ever evicted in favour of a heavier one, and eviction cannot go back and
/// forth). Evicting a sender's highest nonce leaves no transaction waiting on it. Nothing for
/// an unsigned transaction. O(senders), only when the pool is full.
fn eviction_candidate(
	inner: &Inner,
	sender: Option<&(carechain_runtime::AccountId, u32)>,
) -> Option<H256> {
	let (sender, _) = sender?;
	let held = inner.senders.get(sender).map_or(0, BTreeMap::len);
	let (heaviest, nonces) = inner.senders.iter().max_by_key(|(_, nonces)| nonces.len())?;
	if heaviest == sender || nonces.len() <= held.saturating_add(1) {
		return None;
	}
	nonces.last_key_value().map(|(_, hash)| *hash)
}

fn is_banned(inner: &Inner, hash: &H256) -> bool {
	inner.banned.get(hash).is_some_and(|until| *until > Instant::now())
}

fn remove(inner: &mut Inner, hash: &H256) -> Option<Entry> {
	let entry = inner.txs.remove(hash)?;
	inner.bytes = inner.bytes.saturating_sub(entry.tx.len);
	if let Some((sender, nonce)) = &entry.tx.sender {
		if let Some(nonces) = inner.senders.get_mut(sender) {
			nonces.remove(nonce);
			if nonces.is_empty() {
				inner.senders.remove(sender);
			}
		}
	}
	for tag in &entry.tx.provides {
		if inner.providers.get(tag) == Some(hash) {
			inner.providers.remove(tag);
		}
	}
	for tag in &entry.missing {
		if let Some(requirers) = inner.requirers.get_mut(tag) {
			requirers.remove(hash);
			if requirers.is_empty() {
				inner.requirers.remove(tag);
			}
		}
	}
	Some(entry)
}

struct Submission {
	bytes: Vec<u8>,
	/// Whether it came from this node's users, and so goes on to the peers once admitted.
	local: bool,
	reply: oneshot::Sender<Result<H256, PoolError>>,
}

/// Hands submissions to the batch validator.
#[derive(Clone)]
pub struct Submitter {
	queue: mpsc::Sender<Submission>,
}

impl Submitter {
	/// Submits an encoded extrinsic from a user; answers with its hash once it is in the pool,
	/// from where it is gossiped to the peers.
	pub async fn submit(&self, bytes: Vec<u8>) -> Result<H256, PoolError> {
		self.send(bytes, true).await
	}

	/// Submits an extrinsic a peer gossiped; it is not gossiped again.
	pub async fn submit_from_peer(&self, bytes: Vec<u8>) -> Result<H256, PoolError> {
		self.send(bytes, false).await
	}

	async fn send(&self, bytes: Vec<u8>, local: bool) -> Result<H256, PoolError> {
		let (reply, answer) = oneshot::channel();
		let submission = Submission { bytes, local, reply };
		self.queue.send(submission).await.map_err(|_| PoolError::Closed)?;
		answer.await.map_err(|_| PoolError::Closed)?
	}
}

/// Extrinsics admitted from this node's users, on their way to the peers.
pub type Gossip = mpsc::Sender<Vec<u8>>;

/// Starts the batch validator on its own thread; it stops when every [`Submitter`] is gone.
pub fn start_validator(
	pool: Arc<Pool>,
	client: Arc<Client>,
	verifier: Arc<BatchVerifier>,
	gossip: Gossip,
	on_batch: impl Fn(BatchReport) + Send + 'static,
) -> Submitter {
	let (queue, mut submissions) = mpsc::channel::<Submission>(pool.limits.batch);
	revalidate::start(Arc::downgrade(&pool), Arc::downgrade(&client));
	// The runtime's checks of a batch run on every core; the pool admits their results in the
	// order the submissions came, on the validator thread.
	let workers = rayon::ThreadPoolBuilder::new()
		.num_threads(pool.limits.check_threads.max(1))
		.thread_name(|i| format!("pool-check-{i}"))
		.stack_size(RUNTIME_THREAD_STACK)
		.build()
		.expect("the pool's checking threads start");
	std::thread::Builder::new()
		.name("pool-validator".into())
		.stack_size(RUNTIME_THREAD_STACK)
		.spawn(move || {
			while let Some(first) = submissions.blocking_recv() {
				let mut batch = vec![first];
				while batch.len() < pool.limits.batch {
					match submissions.try_recv() {
						Ok(next) => batch.push(next),
						Err(_) => break,
					}
				}
				let report = validate_batch(&pool, &client, &verifier, &gossip, &workers, batch);
				on_batch(report);
			}
		})
		.expect("the pool validator thread starts");
	Submitter { queue }
}

fn validate_batch(
	pool: &Pool,
	client: &Client,
	verifier: &BatchVerifier,
	gossip: &Gossip,
	workers: &rayon::ThreadPool,
	batch: Vec<Submission>,
) -> BatchReport {
	use rayon::prelude::*;
	let head = client.head();
	let mut decoded = Vec::with_capacity(batch.len());
	for Submission { bytes, local, reply } in batch {
		let hash = extrinsic_hash(&bytes);
		// Bounded before anything recurses (`crate::decode`): a call nested deeper than the
		// runtime allows, or longer than a block, is refused before it could overflow this
		// thread's stack.
		let extrinsic = match crate::decode::extrinsic(&bytes) {
			Ok(x) => x,
			Err(e) => {
				let _ = reply.send(Err(PoolError::Decode(e.to_string())));
				continue;
			}
		};
		if let Some(refusal) = pool.refused_unseen(&hash) {
			let _ = reply.send(Err(refusal));
			continue;
		}
		decoded.push((hash, bytes, local, extrinsic, reply));
	}
	let (verdicts, report) =
		verifier.verify(client, head.number.saturating_add(1), decoded.iter().map(|d| &d.3));
	// Each check reads the head's state only, so the checks run in parallel; `collect` keeps
	// the submissions' order, in which they are admitted.
	let checked: Vec<_> = workers.install(|| {
		decoded
			.par_iter()
			.map(|(_, _, _, extrinsic, _)| validate(client, &head, extrinsic, verdicts.clone()))
			.collect()
	});
	for ((hash, bytes, local, extrinsic, reply), checked) in decoded.into_iter().zip(checked) {
		let len = bytes.len();
		let verdict = crate::signatures::signer(&extrinsic)
			.and_then(|(scheme, public, signature)| verdicts.get(scheme, &public, &signature));
		let tx = Candidate { hash, extrinsic, len, verdict };
		let result = insert_checked(pool, client, &head, tx, checked, verdicts.clone());
		// A peer that misses a gossiped transaction still gets it in a block; a full queue
		// only means the peers' pools see fewer of this node's transactions early.
		if result.is_ok() && local && gossip.try_send(bytes).is_err() {
			log::debug!("the gossip queue is full; {hash:?} stays with this node");
		}
		let _ = reply.send(result);
	}
	report
}

/// A decoded, signature-checked transaction on its way into the pool.
struct Candidate {
	hash: H256,
	extrinsic: UncheckedExtrinsic,
	len: usize,
	verdict: Option<Verdict>,
}

/// Admits `tx`, which the runtime checked against `head` (`checked`). A batch is checked
/// against the head it started on; a block committed meanwhile may have included every
/// transaction the pool held of the sender, so that the sender's next nonce read at `head`
/// lags the chain's by a whole block. A transaction refused as too far ahead of that stale
/// nonce is checked once more against the newest head before the refusal stands.
fn insert_checked(
	pool: &Pool,
	client: &Client,
	head: &crate::client::Head,
	tx: Candidate,
	checked: Result<(ValidTransaction, Option<u32>), PoolError>,
	verdicts: carechain_primitives::signatures::PreVerifiedSignatures,
) -> Result<H256, PoolError> {
	let Candidate { hash, mut extrinsic, len, verdict } = tx;
	let sender = signed_nonce(&extrinsic).map(|(nonce, who)| (who, nonce));
	let mut newer: Option<crate::client::Head> = None;
	let mut checked = Some(checked);
	loop {
		let at = newer.as_ref().unwrap_or(head);
		let (validity, chain_next) = match checked.take() {
			Some(first) => first?,
			None => validate(client, at, &extrinsic, verdicts.clone())?,
		};
		let tx = PoolTx {
			hash,
			extrinsic,
			len,
			priority: validity.priority,
			requires: validity.requires,
			provides: validity.provides,
			verdict,
			sender: sender.clone(),
			seq: 0,
		};
		match pool.insert_or_return(tx, chain_next, at.number) {
			Ok(hash) => return Ok(hash),
			Err((error @ PoolError::TooFarInFuture { .. }, Some(refused))) => {
				let latest = client.head();
				if latest.number <= at.number {
					return Err(error);
				}
				extrinsic = refused.extrinsic;
				newer = Some(latest);
			}
			Err((error, _)) => return Err(error),
		}
	}
}

/// Checks `tx` against `head`, then admits it: what the validator thread does with each
/// submission, one at a time.
#[cfg(test)]
fn validate_and_insert(
	pool: &Pool,
	client: &Client,
	head: &crate::client::Head,
	tx: Candidate,
	verdicts: carechain_primitives::signatures::PreVerifiedSignatures,
) -> Result<H256, PoolError> {
	let checked = validate(client, head, &tx.extrinsic, verdicts.clone());
	insert_checked(pool, client, head, tx, checked, verdicts)
}

/// The runtime's verdict, and the sender's next nonce on chain when the transaction waits for
/// earlier nonces.
fn validate(
	client: &Client,
	head: &crate::client::Head,
	extrinsic: &UncheckedExtrinsic,
	verdicts: carechain_primitives::signatures::PreVerifiedSignatures,
) -> Result<(ValidTransaction, Option<u32>), PoolError> {
	const METHOD: &str = "TaggedTransactionQueue_validate_transaction";
	let mut extensions = Extensions::default();
	extensions.register(PreVerifiedExt(verdicts));
	let input = (TransactionSource::External, extrinsic, head.hash).encode();
	let output = client.call_with(head.hash, METHOD, &input, extensions)?;
	let validity = decode::<TransactionValidity>(METHOD, &output)?;
	let valid = validity.map_err(|e| match e {
		TransactionValidityError::Invalid(e) => PoolError::Invalid(e),
		TransactionValidityError::Unknown(e) => PoolError::Unknown(e),
	})?;
	// A transaction that requires nothing carries the account's next nonce: only one that waits
	// for earlier nonces can be too far ahead, and only then is the on-chain nonce read.
	let waits = !valid.requires.is_empty();
	let chain_next = match signed_nonce(extrinsic).filter(|_| waits) {
		Some((_, who)) => Some(account_nonce(client, head.hash, &who)?),
		None => None,
	};
	Ok((valid, chain_next))
}

/// The nonce and sender of a signed extrinsic.
fn signed_nonce(extrinsic: &UncheckedExtrinsic) -> Option<(u32, carechain_runtime::AccountId)> {
	let sp_runtime::generic::Preamble::Signed(sp_runtime::MultiAddress::Id(who), _, extension) =
		&extrinsic.preamble
	else {
		return None;
	};
	Some((extension.6 .0, who.clone()))
}

/// The next nonce of `who` on chain at `at`.
pub fn account_nonce(
	client: &Client,
	at: H256,
	who: &carechain_runtime::AccountId,
) -> Result<u32, ClientError> {
	const METHOD: &str = "AccountNonceApi_account_nonce";
	decode(METHOD, &client.call(at, METHOD, &who.encode())?)
}

#[cfg(test)]
mod tests {
	use super::*;

	fn tx(n: u8, priority: u64, requires: &[&str], provides: &[&str]) -> PoolTx {
		let extrinsic = UncheckedExtrinsic::new_bare(carechain_runtime::RuntimeCall::Timestamp(
			pallet_timestamp::Call::set { now: n.into() },
		));
		PoolTx {
			hash: H256::repeat_byte(n),
			extrinsic,
			len: 10,
			priority,
			requires: requires.iter().map(|t| t.as_bytes().to_vec()).collect(),
			provides: provides.iter().map(|t| t.as_bytes().to_vec()).collect(),
			verdict: None,
			sender: None,
			seq: 0,
		}
	}

	fn account(n: u8) -> carechain_runtime::AccountId {
		[n; 32].into()
	}

	/// Transaction `nonce` of `sender`, with the tags the runtime's nonce check gives it.
	fn from(sender: u8, nonce: u32) -> PoolTx {
		let tag = |n: u32| format!("{sender}/{n}");
		let requires = if nonce == 0 { vec![] } else { vec![tag(nonce - 1)] };
		let mut tx = tx(0, 0, &[], &[]);
		tx.hash = H256::from_low_u64_be(u64::from(sender) << 32 | u64::from(nonce));
		tx.requires = requires.iter().map(|t| t.as_bytes().to_vec()).collect();
		tx.provides = vec![tag(nonce).into_bytes()];
		tx.sender = Some((account(sender), nonce));
		tx
	}

	/// Inserts as the validator does: a transaction past the sender's next nonce on chain (0
	/// here) waits.
	fn submit(pool: &Pool, tx: PoolTx) -> Result<H256, PoolError> {
		let waits = tx.sender.as_ref().is_some_and(|(_, nonce)| *nonce > 0);
		pool.insert(tx, waits.then_some(0), 0)
	}

	fn order(pool: &Pool) -> Vec<u8> {
		pool.ready().iter().map(|tx| tx.hash.0[0]).collect()
	}

	#[test]
	fn ready_respects_tags_then_priority() {
		let pool = Pool::new(PoolLimits::default());
		// Bob's nonces 1 and 2 arrive before nonce 0; Alice's single transaction pays more.
		pool.insert(tx(2, 10, &["bob1"], &["bob2"]), None, 0).unwrap();
		pool.insert(tx(1, 10, &["bob0"], &["bob1"]), None, 0).unwrap();
		assert_eq!(order(&pool), Vec::<u8>::new(), "nothing provides bob0 yet");
		pool.insert(tx(0, 10, &[], &["bob0"]), None, 0).unwrap();
		pool.insert(tx(9, 50, &[], &["alice0"]), None, 0).unwrap();
		assert_eq!(order(&pool), vec![9, 0, 1, 2]);

		// Nonce 0 is in a block: nonce 1 needs nothing from the pool any more.
		pool.included(1, &[H256::repeat_byte(0)]);
		assert_eq!(order(&pool), vec![9, 1, 2]);
		pool.invalid(&[H256::repeat_byte(1)]);
		assert_eq!(order(&pool), vec![9], "nonce 2 waits again for nonce 1");
		assert_eq!(pool.len(), 2);
	}

	#[test]
	fn duplicates_conflicts_and_limits_are_refused() {
		let pool = Pool::new(PoolLimits { count: 2, ..Default::default() });
		pool.insert(tx(1, 0, &[], &["a0"]), None, 0).unwrap();
		assert!(matches!(
			pool.insert(tx(1, 0, &[], &["a0"]), None, 0),
			Err(PoolError::AlreadyImported(_))
		));
		assert!(matches!(
			pool.insert(tx(2, 0, &[], &["a0"]), None, 0),
			Err(PoolError::TooLowPriority)
		));
		pool.insert(tx(3, 0, &[], &["b0"]), None, 0).unwrap();
		assert!(matches!(
			pool.insert(tx(4, 0, &[], &["c0"]), None, 0),
			Err(PoolError::Full { count: 2, sender: None, .. })
		));
	}

	/// Hole 4: one sender cannot fill the pool. Past `per_sender`, its transactions are refused
	/// with an error that names the sender's share, while other senders still get in; once
	/// some are in blocks, it may send again.
	#[test]
	fn a_sender_past_its_share_is_refused() {
		let pool = Pool::new(PoolLimits { per_sender: 3, ..Default::default() });
		for nonce in 0..3 {
			submit(&pool, from(1, nonce)).unwrap();
		}
		let refused = submit(&pool, from(1, 3)).unwrap_err();
		assert!(matches!(
			&refused,
			PoolError::Full { count: 3, sender: Some(who), .. } if *who == account(1)
		));
		assert!(
			refused.to_string().contains("already has 3 transactions in the pool"),
			"{refused}"
		);
		submit(&pool, from(2, 0)).expect("another sender still gets in");

		pool.included(1, &[from(1, 0).hash]);
		submit(&pool, from(1, 3)).expect("room again once one is in a block");
		pool.invalid(&[from(1, 3).hash]);
		assert_eq!(pool.len(), 3);
	}

	/// Hole 4: a sender that filled the pool cannot keep others out: their transactions evict
	/// its newest ones, until they hold as many; it cannot evict anyone in turn.
	#[test]
	fn a_full_pool_makes_room_for_lighter_senders() {
		let pool = Pool::new(PoolLimits { count: 4, ..Default::default() });
		let mut events = pool.subscribe();
		for nonce in 0..4 {
			submit(&pool, from(1, nonce)).unwrap();
		}
		assert!(matches!(
			submit(&pool, from(1, 4)),
			Err(PoolError::Full { count: 4, sender: None, .. })
		));
		submit(&pool, from(2, 0)).expect("a lighter sender evicts the heaviest's newest");
		assert!(!pool.contains(&from(1, 3).hash));
		submit(&pool, from(2, 1)).expect("3 against 1: still lighter");
		assert!(!pool.contains(&from(1, 2).hash));
		assert!(
			matches!(submit(&pool, from(2, 2)), Err(PoolError::Full { .. })),
			"2 against 2: nobody is evicted in favour of an equal"
		);
		assert_eq!(order(&pool).len(), 4, "what stays is ready: only the newest were evicted");
		let dropped: Vec<_> = std::iter::from_fn(|| events.try_recv().ok())
			.filter_map(|event| match event {
				PoolEvent::Dropped(hash) => Some(hash),
				_ => None,
			})
			.collect();
		assert_eq!(dropped, vec![from(1, 3).hash, from(1, 2).hash]);
	}

	/// Hole 4: a sender cannot hold nonces far in the future: a waiting transaction may be at
	/// most `future_nonces` past the sender's highest nonce in the pool (or its next on chain).
	#[test]
	fn future_nonces_are_bounded_to_a_small_window() {
		let pool = Pool::new(PoolLimits { future_nonces: 4, ..Default::default() });
		// Nothing in the pool: at most 4 past the chain's next nonce, 0.
		assert!(matches!(
			submit(&pool, from(1, 5)),
			Err(PoolError::TooFarInFuture { nonce: 5, next: 0, limit: 4 })
		));
		let window = PoolLimits::default().future_nonces;
		assert!(window >= 32 * 128, "one sender's 32 connections x 128 in flight fit");
		assert!(window as usize <= PoolLimits::default().per_sender);
		submit(&pool, from(1, 4)).expect("at the window's edge");
		// The window moves with the highest nonce held, so a sender sending in order (or
		// slightly out of order over several connections) never meets it.
		submit(&pool, from(1, 9)).expect("4 past 4 + 1");
		assert!(matches!(
			submit(&pool, from(1, 15)),
			Err(PoolError::TooFarInFuture { nonce: 15, next: 10, limit: 4 })
		));
		assert_eq!(order(&pool), Vec::<u8>::new(), "nothing is ready without nonce 0");
	}

	/// The next nonce counts the sender's own nonces held in a row from the chain's, and no
	/// other sender's: a gap stops it, and nonces below the chain's are not counted.
	#[test]
	fn the_next_nonce_counts_the_senders_nonces_in_a_row() {
		let pool = Pool::new(PoolLimits::default());
		for nonce in [0, 1, 2, 4] {
			submit(&pool, from(1, nonce)).unwrap();
		}
		submit(&pool, from(2, 0)).unwrap();
		assert_eq!(pool.next_nonce(&account(1), 0), 3, "4 waits behind the gap at 3");
		assert_eq!(pool.next_nonce(&account(1), 2), 3);
		assert_eq!(pool.next_nonce(&account(1), 4), 5);
		assert_eq!(pool.next_nonce(&account(1), 7), 7, "nothing held from the chain's next on");
		assert_eq!(pool.next_nonce(&account(2), 0), 1);
		assert_eq!(pool.next_nonce(&account(3), 5), 5, "a sender with nothing held");
	}

	fn ready_hashes(pool: &Pool) -> Vec<H256> {
		pool.ready().iter().map(|tx| tx.hash).collect()
	}

	/// Issue 17, the exact interleaving that stranded transactions: a batch is validated
	/// against head 0, where nonce 1 requires nonce 0's tag; block 1, which includes nonce 0,
	/// commits and the pool hears of it; only then does the batch insert nonce 1. It must be
	/// ready at once, not wait for good on a tag the chain already provides.
	#[test]
	fn a_batch_that_lands_after_its_predecessors_block_waits_for_nothing() {
		let pool = Pool::new(PoolLimits::default());
		pool.insert(from(1, 0), None, 0).unwrap();
		// Nonces 1 and 2 are validated against head 0 ...
		let (one, two) = (from(1, 1), from(1, 2));
		// ... block 1 includes nonce 0 ...
		pool.included(1, &[from(1, 0).hash]);
		// ... and then the batch lands.
		pool.insert(one, Some(0), 0).unwrap();
		pool.insert(two, Some(0), 0).unwrap();
		assert_eq!(ready_hashes(&pool), vec![from(1, 1).hash, from(1, 2).hash]);

		// A nonce 0 that another wallet signed, validated against head 0 too, is refused when
		// it lands: block 1 used the nonce.
		let mut rival = from(1, 0);
		rival.hash = H256::repeat_byte(0xee);
		assert!(matches!(
			pool.insert(rival, None, 0),
			Err(PoolError::Invalid(InvalidTransaction::Stale))
		));
		// Validated against block 1 itself, a transaction requiring nonce 0's tag would not
		// have required it: the log only answers for blocks after the validation's head.
		let mut late = from(2, 1);
		late.requires = vec![b"2/0".to_vec()];
		pool.insert(late, Some(0), 1).unwrap();
		assert_eq!(ready_hashes(&pool).len(), 2, "sender 2's nonce 0 is still to come");
		assert_eq!(pool.len(), 3);
	}

	/// The pool forgets the tags of old blocks, so its memory stays bounded: a batch
	/// validated that long ago is left to the revalidator.
	#[test]
	fn the_pool_remembers_the_tags_of_the_newest_blocks_only() {
		let pool = Pool::new(PoolLimits::default());
		for number in 1..=CHAIN_TAG_BLOCKS + 10 {
			let nonce = number - 1;
			pool.insert(from(1, nonce), None, nonce).unwrap();
			pool.included(number, &[from(1, nonce).hash]);
		}
		let inner = pool.inner.lock();
		assert_eq!(inner.chain_tags.len(), CHAIN_TAG_BLOCKS as usize);
		assert_eq!(inner.provided_at.len(), CHAIN_TAG_BLOCKS as usize);
		assert_eq!(inner.best, CHAIN_TAG_BLOCKS + 10);
		assert!(inner.requirers.is_empty() && inner.txs.is_empty());
	}

	mod on_chain {
		use super::{super::*, ready_hashes};
		use crate::{
			chain_spec::ChainSpec, db::ChainDb, extrinsic::sign, service::Node,
			signatures::BatchVerifier,
		};
		use carechain_runtime::RuntimeCall;
		use codec::DecodeLimit;
		use sp_keyring::Ed25519Keyring;
		use std::time::Instant;

		fn dev_chain() -> (Arc<Client>, tempfile::TempDir) {
			let dir = tempfile::tempdir().unwrap();
			let db = ChainDb::open(dir.path()).unwrap();
			let client = Client::open(db, &ChainSpec::development().genesis).unwrap();
			(Arc::new(client), dir)
		}

		/// An empty remark: transactions of one signer differ by their nonces.
		fn remark(signer: Ed25519Keyring, nonce: u32, client: &Client) -> UncheckedExtrinsic {
			let call = RuntimeCall::System(frame_system::Call::remark { remark: Vec::new() });
			sign(&signer.pair(), nonce, call, client.genesis_hash())
		}

		/// Another transaction with the same signer and nonce as [`remark`]'s: an empty
		/// `remark_with_event` (remarks carry no bytes, so the call tells them apart).
		fn remark_elsewhere(
			signer: Ed25519Keyring,
			nonce: u32,
			client: &Client,
		) -> UncheckedExtrinsic {
			let call =
				RuntimeCall::System(frame_system::Call::remark_with_event { remark: Vec::new() });
			sign(&signer.pair(), nonce, call, client.genesis_hash())
		}

		/// Validates `extrinsic` against the head and inserts it, as a batch does.
		fn admit(pool: &Pool, client: &Client, extrinsic: UncheckedExtrinsic) -> H256 {
			let head = client.head();
			let (valid, chain_next) =
				validate(client, &head, &extrinsic, Default::default()).unwrap();
			let bytes = extrinsic.encode();
			let sender = signed_nonce(&extrinsic).map(|(nonce, who)| (who, nonce));
			let tx = PoolTx {
				hash: extrinsic_hash(&bytes),
				extrinsic,
				len: bytes.len(),
				priority: valid.priority,
				requires: valid.requires,
				provides: valid.provides,
				verdict: None,
				sender,
				seq: 0,
			};
			pool.insert(tx, chain_next, head.number).unwrap()
		}

		/// A submission of `extrinsic` as a batch hands it on.
		fn candidate(extrinsic: UncheckedExtrinsic) -> Candidate {
			let bytes = extrinsic.encode();
			Candidate { hash: extrinsic_hash(&bytes), extrinsic, len: bytes.len(), verdict: None }
		}

		/// Builds and commits a block of `extrinsics` on the head, and tells the pool, as
		/// consensus does.
		fn commit_block(pool: &Pool, client: &Client, extrinsics: &[UncheckedExtrinsic]) {
			let far = Instant::now() + Duration::from_secs(60);
			let candidates = extrinsics.iter().map(|x| (extrinsic_hash(&x.encode()), x));
			let now = crate::consensus::timestamp::now_ms();
			let built = client.build_block(now, candidates, Default::default(), far).unwrap();
			assert_eq!(built.block.extrinsics.len(), extrinsics.len() + 1, "all included");
			client.commit(&built.block, built.changes, b"certificate").unwrap();
			let hashes: Vec<H256> =
				built.block.extrinsics.iter().map(|x| extrinsic_hash(&x.encode())).collect();
			pool.included(built.block.header.number, &hashes);
		}

		/// `author_removeExtrinsic`: the removed transaction is refused while its ban lasts,
		/// whichever way it comes back, then admitted again; other transactions are not
		/// touched; the bans held are bounded.
		#[test]
		fn a_removed_transaction_is_refused_until_its_ban_ends() {
			let (client, _dir) = dev_chain();
			let pool = Pool::new(PoolLimits::default());
			let bob = Ed25519Keyring::Bob;
			let (first, second) = (remark(bob, 0, &client), remark(bob, 1, &client));
			let hash = admit(&pool, &client, first.clone());
			let kept = admit(&pool, &client, second);
			assert_eq!(pool.remove_and_ban(&[hash]), vec![hash]);
			assert!(pool.is_banned(&hash) && !pool.is_banned(&kept) && pool.contains(&kept));
			let head = client.head();
			let again = validate_and_insert(
				&pool,
				&client,
				&head,
				candidate(first.clone()),
				Default::default(),
			);
			assert!(
				matches!(again, Err(PoolError::TemporarilyBanned(h)) if h == hash),
				"{again:?}"
			);
			// A short ban, ended: admitted again.
			pool.ban_for(&[hash], Duration::from_millis(20));
			std::thread::sleep(Duration::from_millis(40));
			assert!(!pool.is_banned(&hash));
			let back =
				validate_and_insert(&pool, &client, &head, candidate(first), Default::default());
			assert_eq!(back.unwrap(), hash);
			// The operator's list cannot grow without bound.
			let many: Vec<H256> = (0..MAX_BANNED as u64 + 10).map(H256::from_low_u64_be).collect();
			pool.ban_for(&many, BAN_TIME);
			assert!(pool.inner.lock().banned.len() <= MAX_BANNED);
		}

		/// Issue 17: a batch validated against head `n` reads the sender's next nonce there; a
		/// block committed meanwhile takes every transaction the pool held of the sender. Its
		/// next nonce is then far past the stale one, and the pool must not refuse it as too
		/// far in the future (seen in release: 1 to 2 of 40,000 refused, leaving a nonce gap
		/// that stranded every later one). A nonce truly too far ahead is still refused.
		#[test]
		fn a_nonce_read_before_a_block_does_not_refuse_what_the_block_made_next() {
			let (client, _dir) = dev_chain();
			let pool = Pool::new(PoolLimits { future_nonces: 4, ..Default::default() });
			let bob = Ed25519Keyring::Bob;
			let stale_head = client.head();
			let block: Vec<_> = (0..10).map(|n| remark(bob, n, &client)).collect();
			commit_block(&pool, &client, &block);
			let candidate = |nonce| candidate(remark(bob, nonce, &client));

			let next_but_one =
				validate_and_insert(&pool, &client, &stale_head, candidate(11), Default::default());
			assert!(next_but_one.is_ok(), "{next_but_one:?}");
			let far =
				validate_and_insert(&pool, &client, &stale_head, candidate(17), Default::default());
			assert!(
				matches!(far, Err(PoolError::TooFarInFuture { nonce: 17, next: 12, limit: 4 })),
				"{far:?}"
			);
		}

		/// Issue 17: a block includes transactions the pool never held (another validator's):
		/// the pool cannot know which tags they provided. The revalidator frees the transaction
		/// that waited on one of them, drops as invalid (telling watchers) the one whose nonce
		/// the block used, and leaves alone the one whose previous nonce is still to come.
		#[test]
		fn the_revalidator_frees_or_drops_what_a_foreign_block_stranded() {
			let (client, _dir) = dev_chain();
			let pool = Pool::new(PoolLimits::default());
			let mut events = pool.subscribe();
			let (bob, dave) = (Ed25519Keyring::Bob, Ed25519Keyring::Dave);
			let freed = admit(&pool, &client, remark(bob, 1, &client));
			let gap = admit(&pool, &client, remark(bob, 3, &client));
			let stale = admit(&pool, &client, remark(dave, 1, &client));
			assert!(ready_hashes(&pool).is_empty(), "each waits for a nonce 0 or 2");

			commit_block(
				&pool,
				&client,
				&[
					remark_elsewhere(bob, 0, &client),
					remark_elsewhere(dave, 0, &client),
					remark_elsewhere(dave, 1, &client),
				],
			);
			assert!(
				ready_hashes(&pool).is_empty(),
				"the pool held none of the block's transactions: without revalidation Bob's \
				 nonce 1 would wait for good"
			);

			assert_eq!(revalidate::round(&pool, &client, 100), 2, "the gap costs no runtime call");
			assert_eq!(ready_hashes(&pool), vec![freed]);
			assert!(!pool.contains(&stale));
			assert!(pool.contains(&gap), "nonce 2 may still come");
			let invalid: Vec<H256> = std::iter::from_fn(|| events.try_recv().ok())
				.filter_map(|event| match event {
					PoolEvent::Invalid(hash) => Some(hash),
					_ => None,
				})
				.collect();
			assert_eq!(invalid, vec![stale]);
			assert_eq!(revalidate::round(&pool, &client, 100), 0, "nothing new until a block");
		}

		/// Issue 18: a remark with bytes, from a member or nested in the council's motion, is
		/// refused by the pool with a message that says what to do; an empty one is admitted.
		#[test]
		fn a_remark_with_bytes_is_refused_with_what_to_do() {
			use carechain_runtime::extensions::REMARK_NOT_EMPTY;
			let (client, _dir) = dev_chain();
			let head = client.head();
			let text =
				RuntimeCall::System(frame_system::Call::remark { remark: b"F32.9".to_vec() });
			let motion = RuntimeCall::Council(pallet_collective::Call::execute {
				proposal: Box::new(text.clone()),
				length_bound: 1_000,
			});
			let genesis = client.genesis_hash();
			for (signer, call) in [(Ed25519Keyring::Bob, text), (Ed25519Keyring::Alice, motion)] {
				let extrinsic = sign(&signer.pair(), 0, call, genesis);
				let refused = validate(&client, &head, &extrinsic, Default::default()).unwrap_err();
				assert!(
					matches!(
						refused,
						PoolError::Invalid(InvalidTransaction::Custom(REMARK_NOT_EMPTY))
					),
					"{refused:?}"
				);
				assert!(
					refused.to_string().contains(
						"a remark must be empty: free bytes are not allowed in blocks (Custom(6))"
					),
					"{refused}"
				);
			}
			let empty = remark(Ed25519Keyring::Bob, 0, &client);
			assert!(validate(&client, &head, &empty, Default::default()).is_ok());
		}

		/// Issue 17, item 2: a call nested 1,024 or 100,000 deep in `Council.execute` is
		/// refused with a decode error naming the limit, instead of overflowing the validator
		/// thread's stack; the node keeps admitting transactions.
		#[tokio::test(flavor = "multi_thread")]
		async fn a_deeply_nested_call_is_refused_and_the_pool_keeps_working() {
			let (client, _dir) = dev_chain();
			let verifier = carechain_gpu::Verifier::new(carechain_gpu::Mode::Cpu).unwrap();
			let node = Node::new(
				client.clone(),
				Arc::new(Pool::new(PoolLimits::default())),
				Arc::new(BatchVerifier::new(verifier)),
			);
			let call = RuntimeCall::System(frame_system::Call::remark { remark: vec![] });
			let signed =
				sign(&Ed25519Keyring::Alice.pair(), 0, call.clone(), client.genesis_hash());
			// The construction is right: three levels decode into an extrinsic.
			let shallow =
				crate::extrinsic::with_call(&signed, &crate::extrinsic::nested_call(&call, 3));
			assert!(UncheckedExtrinsic::decode_all_with_depth_limit(
				MAX_EXTRINSIC_DEPTH,
				&mut &shallow[..]
			)
			.is_ok());
			for depth in [1_024, 100_000] {
				let bytes = crate::extrinsic::with_call(
					&signed,
					&crate::extrinsic::nested_call(&call, depth),
				);
				let refused = node.submitter.submit(bytes).await.unwrap_err();
				assert!(matches!(refused, PoolError::Decode(_)), "{depth}: {refused}");
				assert!(refused.to_string().contains("nested at most 256 deep"), "{refused}");
			}
			let hash = node.submitter.submit(signed.encode()).await.expect("still admitting");
			assert!(node.pool.contains(&hash));
		}
	}
}
