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

use crate::{
	client::{decode, extrinsic_hash, Client, ClientError},
	signatures::{BatchReport, BatchVerifier},
};
use carechain_primitives::signatures::{PreVerifiedExt, Verdict};
use carechain_runtime::UncheckedExtrinsic;
use codec::Encode;
use parking_lot::Mutex;
use sp_core::H256;
use sp_externalities::Extensions;
use sp_runtime::transaction_validity::{
	InvalidTransaction, TransactionSource, TransactionValidity, TransactionValidityError,
	UnknownTransaction,
};
use std::{
	cmp::Reverse,
	collections::{BTreeMap, BinaryHeap, HashMap, HashSet},
	sync::Arc,
};
use tokio::sync::{mpsc, oneshot};

type Tag = Vec<u8>;

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
}

impl Default for PoolLimits {
	fn default() -> Self {
		Self {
			count: 50_000,
			bytes: 64 << 20,
			// `carechain-bench` sends 40,000 transactions from one account and must never meet
			// it; other senders still get in when the pool is full, by eviction.
			per_sender: 40_960,
			// Wallets send nonces in order; `carechain-bench` has 8 connections with 64
			// requests in flight each, so its nonces arrive up to 512 out of order.
			future_nonces: 1_024,
			batch: 4096,
		}
	}
}

/// Why a transaction was refused.
#[derive(Debug, thiserror::Error)]
pub enum PoolError {
	/// The bytes are not an extrinsic of this chain.
	#[error("the extrinsic does not decode: {0}")]
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
		ALLOWANCE_SPENT, REGISTRATIONS_EXHAUSTED, REGISTRATION_REFUSED, SIGNER_NOT_PERMITTED,
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
	limits: PoolLimits,
	events: tokio::sync::broadcast::Sender<PoolEvent>,
}

impl Pool {
	/// An empty pool.
	pub fn new(limits: PoolLimits) -> Self {
		Self { inner: Mutex::default(), limits, events: tokio::sync::broadcast::channel(4096).0 }
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

	/// Whether `hash` is held.
	pub fn contains(&self, hash: &H256) -> bool {
		self.inner.lock().txs.contains_key(hash)
	}

	/// Admits a validated transaction. `chain_next` is its sender's next nonce on chain when
	/// the transaction waits for earlier nonces (`None` when it is the next one itself).
	fn insert(&self, tx: PoolTx, chain_next: Option<u32>) -> Result<H256, PoolError> {
		let mut inner = self.inner.lock();
		let hash = tx.hash;
		if inner.txs.contains_key(&hash) {
			return Err(PoolError::AlreadyImported(hash));
		}
		if let Some((sender, nonce)) = &tx.sender {
			let held = inner.senders.get(sender);
			let count = held.map_or(0, BTreeMap::len);
			if count >= self.limits.per_sender {
				return Err(PoolError::Full {
					count,
					bytes: inner.bytes,
					sender: Some(sender.clone()),
				});
			}
			if let Some(chain_next) = chain_next {
				let next = held
					.and_then(|nonces| nonces.last_key_value())
					.map_or(chain_next, |(highest, _)| highest.saturating_add(1).max(chain_next));
				if *nonce > next.saturating_add(self.limits.future_nonces) {
					return Err(PoolError::TooFarInFuture {
						nonce: *nonce,
						next,
						limit: self.limits.future_nonces,
					});
				}
			}
		}
		if tx.provides.iter().any(|tag| inner.providers.contains_key(tag)) {
			return Err(PoolError::TooLowPriority);
		}
		let mut evicted = Vec::new();
		while inner.txs.len() >= self.limits.count
			|| inner.bytes.saturating_add(tx.len) > self.limits.bytes
		{
			let Some(victim) = eviction_candidate(&inner, tx.sender.as_ref()) else {
				let (count, bytes) = (inner.txs.len(), inner.bytes);
				drop(inner);
				self.dropped(evicted);
				return Err(PoolError::Full { count, bytes, sender: None });
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
		for tag in &tx.requires {
			inner.requirers.entry(tag.clone()).or_default().insert(hash);
		}
		if let Some((sender, nonce)) = &tx.sender {
			inner.senders.entry(sender.clone()).or_default().insert(*nonce, hash);
		}
		let missing = tx.requires.iter().cloned().collect();
		inner.txs.insert(hash, Entry { tx: Arc::new(tx), missing });
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

	/// Drops transactions a finalized block included: their tags are now provided on chain.
	pub fn included(&self, hashes: &[H256]) {
		let mut inner = self.inner.lock();
		let mut provided = Vec::new();
		for hash in hashes {
			if let Some(entry) = remove(&mut inner, hash) {
				provided.extend(entry.tx.provides.iter().cloned());
			}
		}
		for tag in provided {
			for hash in inner.requirers.remove(&tag).unwrap_or_default() {
				if let Some(entry) = inner.txs.get_mut(&hash) {
					entry.missing.remove(&tag);
				}
			}
		}
	}

	/// Drops transactions that can never be included.
	pub fn invalid(&self, hashes: &[H256]) {
		let mut inner = self.inner.lock();
		for hash in hashes {
			if remove(&mut inner, hash).is_some() {
				let _ = self.events.send(PoolEvent::Invalid(*hash));
			}
		}
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
	std::thread::Builder::new()
		.name("pool-validator".into())
		.stack_size(crate::executor::RUNTIME_STACK_BYTES)
		.spawn(move || {
			while let Some(first) = submissions.blocking_recv() {
				let mut batch = vec![first];
				while batch.len() < pool.limits.batch {
					match submissions.try_recv() {
						Ok(next) => batch.push(next),
						Err(_) => break,
					}
				}
				let report = validate_batch(&pool, &client, &verifier, &gossip, batch);
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
	batch: Vec<Submission>,
) -> BatchReport {
	let head = client.head();
	let mut decoded = Vec::with_capacity(batch.len());
	for Submission { bytes, local, reply } in batch {
		let hash = extrinsic_hash(&bytes);
		let extrinsic = match crate::decode::extrinsic(&bytes) {
			Ok(x) if x.encoded_size() == bytes.len() => x,
			Ok(_) => {
				let _ =
					reply.send(Err(PoolError::Decode("trailing bytes after the extrinsic".into())));
				continue;
			}
			Err(e) => {
				let _ = reply.send(Err(PoolError::Decode(e.to_string())));
				continue;
			}
		};
		if pool.contains(&hash) {
			let _ = reply.send(Err(PoolError::AlreadyImported(hash)));
			continue;
		}
		decoded.push((hash, bytes, local, extrinsic, reply));
	}
	let (verdicts, report) =
		verifier.verify(client, head.number.saturating_add(1), decoded.iter().map(|d| &d.3));
	for (hash, bytes, local, extrinsic, reply) in decoded {
		let len = bytes.len();
		let verdict = crate::signatures::ed25519_signer(&extrinsic)
			.and_then(|(public, signature)| verdicts.get(&public, &signature));
		let sender = signed_nonce(&extrinsic).map(|(nonce, who)| (who, nonce));
		let result = validate(client, &head, &extrinsic, verdicts.clone()).and_then(
			|(validity, chain_next)| {
				pool.insert(
					PoolTx {
						hash,
						extrinsic,
						len,
						priority: validity.priority,
						requires: validity.requires,
						provides: validity.provides,
						verdict,
						sender,
						seq: 0,
					},
					chain_next,
				)
			},
		);
		// A peer that misses a gossiped transaction still gets it in a block; a full queue
		// only means the peers' pools see fewer of this node's transactions early.
		if result.is_ok() && local && gossip.try_send(bytes).is_err() {
			log::debug!("the gossip queue is full; {hash:?} stays with this node");
		}
		let _ = reply.send(result);
	}
	report
}

/// The runtime's verdict, and the sender's next nonce on chain when the transaction waits for
/// earlier nonces.
fn validate(
	client: &Client,
	head: &crate::client::Head,
	extrinsic: &UncheckedExtrinsic,
	verdicts: carechain_primitives::signatures::PreVerifiedSignatures,
) -> Result<(sp_runtime::transaction_validity::ValidTransaction, Option<u32>), PoolError> {
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
		pool.insert(tx, waits.then_some(0))
	}

	fn order(pool: &Pool) -> Vec<u8> {
		pool.ready().iter().map(|tx| tx.hash.0[0]).collect()
	}

	#[test]
	fn ready_respects_tags_then_priority() {
		let pool = Pool::new(PoolLimits::default());
		// Bob's nonces 1 and 2 arrive before nonce 0; Alice's single transaction pays more.
		pool.insert(tx(2, 10, &["bob1"], &["bob2"]), None).unwrap();
		pool.insert(tx(1, 10, &["bob0"], &["bob1"]), None).unwrap();
		assert_eq!(order(&pool), Vec::<u8>::new(), "nothing provides bob0 yet");
		pool.insert(tx(0, 10, &[], &["bob0"]), None).unwrap();
		pool.insert(tx(9, 50, &[], &["alice0"]), None).unwrap();
		assert_eq!(order(&pool), vec![9, 0, 1, 2]);

		// Nonce 0 is in a block: nonce 1 needs nothing from the pool any more.
		pool.included(&[H256::repeat_byte(0)]);
		assert_eq!(order(&pool), vec![9, 1, 2]);
		pool.invalid(&[H256::repeat_byte(1)]);
		assert_eq!(order(&pool), vec![9], "nonce 2 waits again for nonce 1");
		assert_eq!(pool.len(), 2);
	}

	#[test]
	fn duplicates_conflicts_and_limits_are_refused() {
		let pool = Pool::new(PoolLimits { count: 2, ..Default::default() });
		pool.insert(tx(1, 0, &[], &["a0"]), None).unwrap();
		assert!(matches!(
			pool.insert(tx(1, 0, &[], &["a0"]), None),
			Err(PoolError::AlreadyImported(_))
		));
		assert!(matches!(
			pool.insert(tx(2, 0, &[], &["a0"]), None),
			Err(PoolError::TooLowPriority)
		));
		pool.insert(tx(3, 0, &[], &["b0"]), None).unwrap();
		assert!(matches!(
			pool.insert(tx(4, 0, &[], &["c0"]), None),
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

		pool.included(&[from(1, 0).hash]);
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
		assert!(PoolLimits::default().future_nonces <= 1_024);
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
}
