//! `chainHead_v1_*` over the node's finalized blocks.
//!
//! Every block is final at once, so each block is reported as `newBlock`, `bestBlockChanged`
//! and `finalized` in a row, and nothing is ever pruned. A follow subscription belongs to its
//! connection: another connection that names it is told the subscription is unknown (null or
//! `limitReached`), so operation events never reach anyone but the follower.
//!
//! Limits ([`Limits`]): follow subscriptions per connection (past it -32800), operations in
//! progress per subscription (past it `limitReached`, or `discardedItems`), storage items per
//! `operationStorageItems` page (then `operationWaitingForContinue`), and how far behind the
//! finalized head a block may stay pinned: the node keeps the state of its newest blocks only,
//! so a subscription whose oldest pin falls further behind gets `stop`.

use super::api::*;
use crate::{client::ClientError, service::Node};
use codec::Encode;
use jsonrpsee::{
	core::{async_trait, RpcResult, SubscriptionResult},
	types::{ErrorObject, ErrorObjectOwned},
	ConnectionId, Extensions, PendingSubscriptionSink, SubscriptionMessage,
};
use parking_lot::Mutex;
use sp_core::{Bytes, H256};
use sp_state_machine::Backend as _;
use std::{
	collections::{HashMap, HashSet},
	sync::{
		atomic::{AtomicU64, Ordering},
		Arc,
	},
};
use tokio::sync::{broadcast::error::RecvError, mpsc, oneshot};

/// More follow subscriptions on one connection than [`Limits::follows_per_connection`].
pub const TOO_MANY_FOLLOWS: i32 = -32800;
/// A block the subscription has not reported, or has unpinned.
pub const NOT_PINNED: i32 = -32801;
/// `chainHead_v1_call` on a subscription that did not ask for runtimes.
pub const NO_RUNTIME: i32 = -32802;
/// `chainHead_v1_continue` on an operation that is not waiting.
pub const NOT_WAITING: i32 = -32803;
/// `chainHead_v1_unpin` naming a block twice.
pub const DUPLICATE_HASH: i32 = -32804;
/// The node could not read a block it reported.
pub const INTERNAL: i32 = -32603;

/// The limits of `chainHead_v1_*`.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
	/// Follow subscriptions one connection may hold (the spec guarantees 2).
	pub follows_per_connection: usize,
	/// Operations in progress per subscription; each storage item counts as one (the spec
	/// guarantees 16).
	pub operations_per_follow: usize,
	/// Storage items per `operationStorageItems` page of descendants.
	pub items_per_page: usize,
	/// Bytes of values per page of descendants (a page holds at least one item).
	pub bytes_per_page: usize,
	/// How many blocks behind the finalized head a block may stay pinned: below the node's
	/// default of 256 kept states, so a pinned block's state is there to read.
	pub max_pinned_age: u32,
}

impl Default for Limits {
	fn default() -> Self {
		Self {
			follows_per_connection: 4,
			operations_per_follow: 16,
			items_per_page: 32,
			bytes_per_page: 256 << 10,
			max_pinned_age: 128,
		}
	}
}

/// Errors of `chainHead_v1_*`, with the spec's codes.
#[derive(Debug, thiserror::Error)]
pub enum ChainHeadError {
	/// Too many follow subscriptions on this connection.
	#[error(
		"this connection already follows the head {0} times, the most it may: unfollow one first"
	)]
	TooManyFollows(usize),
	/// The block is not pinned by this subscription.
	#[error("block {0:?} is not pinned by this subscription: use a block it reported and has not unpinned")]
	NotPinned(H256),
	/// A runtime call on a subscription without runtimes.
	#[error(
		"this subscription was opened with withRuntime false: follow with true to call the runtime"
	)]
	NoRuntime,
	/// `chainHead_v1_continue` on an operation that is not waiting.
	#[error("operation {0} is not waiting for chainHead_v1_continue: continue only after operationWaitingForContinue")]
	NotWaiting(String),
	/// The same block twice in one unpin.
	#[error("block {0:?} is named twice: name each block once")]
	DuplicateHash(H256),
	/// The node failed to read a block it reported.
	#[error(
		"the node could not read block {hash:?} ({error}); this is the node's fault, report it"
	)]
	Internal {
		/// The block.
		hash: H256,
		/// What failed.
		error: String,
	},
}

impl From<ChainHeadError> for ErrorObjectOwned {
	fn from(error: ChainHeadError) -> Self {
		let code = match &error {
			ChainHeadError::TooManyFollows(_) => TOO_MANY_FOLLOWS,
			ChainHeadError::NotPinned(_) => NOT_PINNED,
			ChainHeadError::NoRuntime => NO_RUNTIME,
			ChainHeadError::NotWaiting(_) => NOT_WAITING,
			ChainHeadError::DuplicateHash(_) => DUPLICATE_HASH,
			ChainHeadError::Internal { .. } => INTERNAL,
		};
		ErrorObject::owned(code, error.to_string(), None::<()>)
	}
}

/// A follow subscription, keyed by its connection and id.
type FollowKey = (ConnectionId, String);

/// What a follow subscription holds.
struct Follow {
	with_runtime: bool,
	/// Operations' events, sent on by the subscription's task.
	events: mpsc::Sender<FollowEvent>,
	state: Mutex<FollowState>,
}

#[derive(Default)]
struct FollowState {
	/// Pinned blocks and their numbers.
	pinned: HashMap<H256, u32>,
	/// Operations in progress and the slots each takes.
	operations: HashMap<String, Operation>,
}

struct Operation {
	slots: usize,
	/// Set while a storage operation waits for `chainHead_v1_continue`.
	resume: Option<oneshot::Sender<()>>,
}

impl FollowState {
	fn slots_in_use(&self) -> usize {
		self.operations.values().map(|o| o.slots).sum()
	}
}

/// `chainHead_v1_*` over one node.
#[derive(Clone)]
pub struct ChainHead {
	node: Arc<Node>,
	limits: Limits,
	follows: Arc<Mutex<HashMap<FollowKey, Arc<Follow>>>>,
	next_operation: Arc<AtomicU64>,
}

/// Removes a follow subscription from the table when its task ends, however it ends.
struct Unregister {
	follows: Arc<Mutex<HashMap<FollowKey, Arc<Follow>>>>,
	key: FollowKey,
}

impl Drop for Unregister {
	fn drop(&mut self) {
		self.follows.lock().remove(&self.key);
	}
}

/// How a follow subscription's loop ended.
enum Ended {
	/// The client left or unfollowed.
	Closed,
	/// The subscription must end with `stop`.
	Stop,
}

fn connection(ext: &Extensions) -> ConnectionId {
	ext.get::<ConnectionId>().copied().unwrap_or(ConnectionId(usize::MAX))
}

impl ChainHead {
	/// `chainHead_v1_*` over `node` with these limits.
	pub fn new(node: Arc<Node>, limits: Limits) -> Self {
		Self { node, limits, follows: Arc::default(), next_operation: Arc::new(AtomicU64::new(1)) }
	}

	fn follow_of(&self, ext: &Extensions, id: &FollowId) -> Option<Arc<Follow>> {
		self.follows.lock().get(&(connection(ext), id.key())).cloned()
	}

	/// The runtime of every block: the one compiled into the node.
	fn runtime(&self, at: H256) -> RuntimeReport {
		let version = match self.node.client.call(at, "Core_version", &[]) {
			Ok(output) => {
				crate::client::decode::<sp_version::RuntimeVersion>("Core_version", &output).ok()
			}
			Err(_) => None,
		}
		.unwrap_or(carechain_runtime::VERSION);
		let apis = version
			.apis
			.iter()
			.map(|(id, v)| (format!("0x{}", hex::encode(id)), serde_json::Value::from(*v)))
			.collect();
		RuntimeReport::Valid {
			spec: RuntimeSpec {
				spec_name: version.spec_name.to_string(),
				impl_name: version.impl_name.to_string(),
				spec_version: version.spec_version,
				impl_version: version.impl_version,
				transaction_version: version.transaction_version,
				apis,
			},
		}
	}

	/// Takes `wanted` operation slots of `follow` (at most what is free), for an operation on
	/// pinned block `hash`: its id and the slots taken, none when every slot is in use.
	fn start(
		&self,
		follow: &Follow,
		hash: H256,
		wanted: usize,
	) -> Result<Option<(String, usize)>, ChainHeadError> {
		let mut state = follow.state.lock();
		if !state.pinned.contains_key(&hash) {
			return Err(ChainHeadError::NotPinned(hash));
		}
		let free = self.limits.operations_per_follow.saturating_sub(state.slots_in_use());
		let slots = wanted.min(free);
		if free == 0 {
			return Ok(None);
		}
		let id = self.next_operation.fetch_add(1, Ordering::Relaxed).to_string();
		state.operations.insert(id.clone(), Operation { slots, resume: None });
		Ok(Some((id, slots)))
	}

	async fn run_follow(
		&self,
		sink: &jsonrpsee::SubscriptionSink,
		follow: &Follow,
		mut events: mpsc::Receiver<FollowEvent>,
	) -> Result<Ended, jsonrpsee::core::StringError> {
		// Subscribed before the head is read: no block falls between the two.
		let mut finalized = self.node.finalized.subscribe();
		let head = self.node.client.head();
		follow.state.lock().pinned.insert(head.hash, head.number);
		let runtime = follow.with_runtime.then(|| self.runtime(head.hash));
		let initialized = FollowEvent::Initialized {
			finalized_block_hashes: vec![head.hash],
			finalized_block_runtime: runtime,
		};
		sink.send(SubscriptionMessage::from_json(&initialized)?).await?;
		let mut last = head.number;
		loop {
			tokio::select! {
				event = events.recv() => {
					let Some(event) = event else { return Ok(Ended::Closed) };
					sink.send(SubscriptionMessage::from_json(&event)?).await?;
				}
				block = finalized.recv() => {
					let block = match block {
						Ok(block) => block,
						// A gap in what this subscription saw: the spec's remedy is `stop`.
						Err(RecvError::Lagged(_)) => return Ok(Ended::Stop),
						Err(RecvError::Closed) => return Ok(Ended::Closed),
					};
					let number = block.header.number;
					if number <= last {
						continue;
					}
					if number != last.saturating_add(1) {
						return Ok(Ended::Stop);
					}
					last = number;
					let hash = block.header.hash();
					{
						let mut state = follow.state.lock();
						state.pinned.insert(hash, number);
						let oldest = state.pinned.values().copied().min().unwrap_or(number);
						if number.saturating_sub(oldest) > self.limits.max_pinned_age {
							return Ok(Ended::Stop);
						}
					}
					let new_block = FollowEvent::NewBlock {
						block_hash: hash,
						parent_block_hash: block.header.parent_hash,
						// The runtime is compiled in: it never changes under a subscription.
						new_runtime: follow.with_runtime.then_some(None),
					};
					let best = FollowEvent::BestBlockChanged { best_block_hash: hash };
					let finalized = FollowEvent::Finalized {
						finalized_block_hashes: vec![hash],
						pruned_block_hashes: Vec::new(),
					};
					for event in [new_block, best, finalized] {
						sink.send(SubscriptionMessage::from_json(&event)?).await?;
					}
				}
				() = sink.closed() => return Ok(Ended::Closed),
			}
		}
	}

	/// Sends an operation's event, unless the operation was stopped or the subscription ended;
	/// whether it was sent.
	async fn emit(follow: &Follow, operation: &str, event: FollowEvent) -> bool {
		if !follow.state.lock().operations.contains_key(operation) {
			return false;
		}
		follow.events.send(event).await.is_ok()
	}

	fn finish(follow: &Follow, operation: &str) {
		follow.state.lock().operations.remove(operation);
	}

	/// Runs an operation that ends in one event, which `work` makes from the operation's id,
	/// on a task of its own; then sends the event and ends the operation.
	fn spawn_one(
		follow: Arc<Follow>,
		operation_id: String,
		work: impl FnOnce(String) -> FollowEvent + Send + 'static,
	) {
		tokio::spawn(async move {
			let event = work(operation_id.clone());
			Self::emit(&follow, &operation_id, event).await;
			Self::finish(&follow, &operation_id);
		});
	}

	async fn run_storage(
		self,
		follow: Arc<Follow>,
		operation_id: String,
		hash: H256,
		items: Vec<StorageQuery>,
		child_trie: Option<Bytes>,
	) {
		let op = operation_id.as_str();
		let done = match self.read_storage(&follow, op, hash, items, child_trie).await {
			Ok(true) => FollowEvent::OperationStorageDone { operation_id: operation_id.clone() },
			// Stopped, or the subscription ended.
			Ok(false) => return Self::finish(&follow, op),
			Err(StorageFailure::Inaccessible) => {
				FollowEvent::OperationInaccessible { operation_id: operation_id.clone() }
			}
			Err(StorageFailure::Error(error)) => {
				FollowEvent::OperationError { operation_id: operation_id.clone(), error }
			}
		};
		Self::emit(&follow, op, done).await;
		Self::finish(&follow, op);
	}

	/// The items of a storage operation, as events; false when it was stopped.
	async fn read_storage(
		&self,
		follow: &Follow,
		op: &str,
		hash: H256,
		items: Vec<StorageQuery>,
		child_trie: Option<Bytes>,
	) -> Result<bool, StorageFailure> {
		let child = child_trie.map(|key| sp_core::storage::ChildInfo::new_default(&key));
		let reader = StorageReader { node: &self.node, hash, child: child.as_ref() };
		let mut single = Vec::new();
		let mut descendants = Vec::new();
		for item in items {
			match item.query_type {
				StorageQueryType::DescendantsValues | StorageQueryType::DescendantsHashes => {
					descendants.push(item)
				}
				_ => single.extend(reader.single(&item)?),
			}
		}
		if !single.is_empty() {
			let event =
				FollowEvent::OperationStorageItems { operation_id: op.into(), items: single };
			if !Self::emit(follow, op, event).await {
				return Ok(false);
			}
		}
		for item in descendants {
			let hashes = item.query_type == StorageQueryType::DescendantsHashes;
			let mut after = None;
			loop {
				let (page, more) =
					reader.page(&item.key, after.as_deref(), hashes, &self.limits)?;
				after = page.last().map(|r| r.key.0.clone());
				if !page.is_empty() {
					let event =
						FollowEvent::OperationStorageItems { operation_id: op.into(), items: page };
					if !Self::emit(follow, op, event).await {
						return Ok(false);
					}
				}
				if !more {
					break;
				}
				let (resume, resumed) = oneshot::channel();
				match follow.state.lock().operations.get_mut(op) {
					Some(operation) => operation.resume = Some(resume),
					None => return Ok(false),
				}
				let waiting = FollowEvent::OperationWaitingForContinue { operation_id: op.into() };
				if !Self::emit(follow, op, waiting).await {
					return Ok(false);
				}
				// Stopping the operation or ending the subscription drops the sender.
				if resumed.await.is_err() {
					return Ok(false);
				}
			}
		}
		Ok(true)
	}
}

/// Why a storage operation ended early.
pub(super) enum StorageFailure {
	/// The block's state is gone (pruned): `operationInaccessible`.
	Inaccessible,
	/// It cannot be read: `operationError`.
	Error(String),
}

/// Reads the storage of one block, main trie or one child trie.
pub(super) struct StorageReader<'a> {
	pub(super) node: &'a Node,
	pub(super) hash: H256,
	pub(super) child: Option<&'a sp_core::storage::ChildInfo>,
}

impl StorageReader<'_> {
	pub(super) fn state(&self) -> Result<crate::client::State, StorageFailure> {
		self.node.client.state_at(self.hash).map_err(|e| match e {
			ClientError::UnknownBlock(_) => StorageFailure::Inaccessible,
			other => StorageFailure::Error(other.to_string()),
		})
	}

	fn value(
		&self,
		state: &crate::client::State,
		key: &[u8],
	) -> Result<Option<Vec<u8>>, StorageFailure> {
		let read = match self.child {
			None => state.storage(key),
			Some(child) => state.child_storage(child, key),
		};
		// A missing trie node is a pruned state.
		read.map_err(|_| StorageFailure::Inaccessible)
	}

	pub(super) fn result(key: Vec<u8>, value: Vec<u8>, hashed: bool) -> StorageResult {
		let (value, hash) = match hashed {
			true => (None, Some(Bytes(sp_io::hashing::blake2_256(&value).to_vec()))),
			false => (Some(Bytes(value)), None),
		};
		StorageResult { key: Bytes(key), value, hash, closest_descendant_merkle_value: None }
	}

	/// The answer to a `value`, `hash` or `closestDescendantMerkleValue` item; none when there
	/// is nothing at (or under) the key.
	pub(super) fn single(
		&self,
		item: &StorageQuery,
	) -> Result<Option<StorageResult>, StorageFailure> {
		let state = self.state()?;
		let key = item.key.0.clone();
		if item.query_type == StorageQueryType::ClosestDescendantMerkleValue {
			let merkle = match self.child {
				None => state.closest_merkle_value(&key),
				Some(child) => state.child_closest_merkle_value(child, &key),
			}
			.map_err(|_| StorageFailure::Inaccessible)?;
			return Ok(merkle.map(|m| {
				let bytes = match m {
					sp_trie::MerkleValue::Node(node) => node,
					sp_trie::MerkleValue::Hash(hash) => hash.as_bytes().to_vec(),
				};
				StorageResult {
					key: Bytes(key),
					value: None,
					hash: None,
					closest_descendant_merkle_value: Some(Bytes(bytes)),
				}
			}));
		}
		let hashed = item.query_type == StorageQueryType::Hash;
		Ok(self.value(&state, &key)?.map(|value| Self::result(key, value, hashed)))
	}

	/// A page of the items under `prefix` after key `after`, and whether more follow.
	fn page(
		&self,
		prefix: &[u8],
		after: Option<&[u8]>,
		hashed: bool,
		limits: &Limits,
	) -> Result<(Vec<StorageResult>, bool), StorageFailure> {
		let state = self.state()?;
		let mut args = sp_state_machine::IterArgs::default();
		args.prefix = Some(prefix);
		args.start_at = Some(after.unwrap_or(prefix));
		args.start_at_exclusive = after.is_some();
		args.child_info = self.child.cloned();
		let mut page = Vec::new();
		let mut bytes = 0usize;
		let pairs = state.pairs(args).map_err(|_| StorageFailure::Inaccessible)?;
		for pair in pairs {
			let (key, value) = pair.map_err(|_| StorageFailure::Inaccessible)?;
			if page.len() >= limits.items_per_page
				|| (!page.is_empty() && bytes >= limits.bytes_per_page)
			{
				return Ok((page, true));
			}
			bytes = bytes.saturating_add(key.len()).saturating_add(value.len());
			page.push(Self::result(key, value, hashed));
		}
		Ok((page, false))
	}
}

#[async_trait]
impl ChainHeadApiServer for ChainHead {
	async fn follow(
		&self,
		pending: PendingSubscriptionSink,
		with_runtime: bool,
	) -> SubscriptionResult {
		let key = (pending.connection_id(), FollowId::from(pending.subscription_id()).key());
		let (sender, events) = mpsc::channel(self.limits.operations_per_follow);
		let follow = Arc::new(Follow { with_runtime, events: sender, state: Mutex::default() });
		// Counted and registered at once, and before the client learns the id.
		let refused = {
			let mut follows = self.follows.lock();
			let held = follows.keys().filter(|(c, _)| *c == key.0).count();
			let refused = held >= self.limits.follows_per_connection;
			if !refused {
				follows.insert(key.clone(), follow.clone());
			}
			refused.then_some(held)
		};
		if let Some(held) = refused {
			pending.reject(ChainHeadError::TooManyFollows(held)).await;
			return Ok(());
		}
		let _unregister = Unregister { follows: self.follows.clone(), key };
		let sink = pending.accept().await?;
		if let Ended::Stop = self.run_follow(&sink, &follow, events).await? {
			sink.send(SubscriptionMessage::from_json(&FollowEvent::Stop)?).await?;
		}
		Ok(())
	}

	fn header(
		&self,
		ext: &Extensions,
		follow_subscription: FollowId,
		hash: H256,
	) -> RpcResult<Option<Bytes>> {
		let Some(follow) = self.follow_of(ext, &follow_subscription) else { return Ok(None) };
		if !follow.state.lock().pinned.contains_key(&hash) {
			return Err(ChainHeadError::NotPinned(hash).into());
		}
		match self.node.client.header(hash) {
			Ok(Some(header)) => Ok(Some(Bytes(header.encode()))),
			Ok(None) => Err(ChainHeadError::Internal { hash, error: "no header".into() }.into()),
			Err(e) => Err(ChainHeadError::Internal { hash, error: e.to_string() }.into()),
		}
	}

	fn body(
		&self,
		ext: &Extensions,
		follow_subscription: FollowId,
		hash: H256,
	) -> RpcResult<OperationStart> {
		let Some(follow) = self.follow_of(ext, &follow_subscription) else {
			return Ok(OperationStart::LimitReached);
		};
		let Some((operation_id, _)) = self.start(&follow, hash, 1)? else {
			return Ok(OperationStart::LimitReached);
		};
		let node = self.node.clone();
		Self::spawn_one(follow, operation_id.clone(), move |op| match node.client.body(hash) {
			Ok(Some(body)) => FollowEvent::OperationBodyDone {
				operation_id: op,
				value: body.iter().map(|x| Bytes(x.encode())).collect(),
			},
			Ok(None) => FollowEvent::OperationInaccessible { operation_id: op },
			Err(e) => FollowEvent::OperationError { operation_id: op, error: e.to_string() },
		});
		Ok(OperationStart::Started { operation_id })
	}

	fn call(
		&self,
		ext: &Extensions,
		follow_subscription: FollowId,
		hash: H256,
		function: String,
		call_parameters: Bytes,
	) -> RpcResult<OperationStart> {
		let Some(follow) = self.follow_of(ext, &follow_subscription) else {
			return Ok(OperationStart::LimitReached);
		};
		if !follow.with_runtime {
			return Err(ChainHeadError::NoRuntime.into());
		}
		let Some((operation_id, _)) = self.start(&follow, hash, 1)? else {
			return Ok(OperationStart::LimitReached);
		};
		let node = self.node.clone();
		Self::spawn_one(follow, operation_id.clone(), move |op| {
			node.metrics.rpc_calls.inc();
			// The executor refuses inputs nested too deep before the runtime sees them.
			match node.client.call(hash, &function, &call_parameters) {
				Ok(output) => {
					FollowEvent::OperationCallDone { operation_id: op, output: Bytes(output) }
				}
				Err(ClientError::UnknownBlock(_)) => {
					FollowEvent::OperationInaccessible { operation_id: op }
				}
				Err(e) => FollowEvent::OperationError { operation_id: op, error: e.to_string() },
			}
		});
		Ok(OperationStart::Started { operation_id })
	}

	fn storage(
		&self,
		ext: &Extensions,
		follow_subscription: FollowId,
		hash: H256,
		mut items: Vec<StorageQuery>,
		child_trie: Option<Bytes>,
	) -> RpcResult<StorageStart> {
		let Some(follow) = self.follow_of(ext, &follow_subscription) else {
			return Ok(StorageStart::LimitReached);
		};
		let Some((operation_id, slots)) = self.start(&follow, hash, items.len().max(1))? else {
			return Ok(StorageStart::LimitReached);
		};
		let discarded_items = items.len().saturating_sub(slots);
		items.truncate(slots);
		let op = operation_id.clone();
		tokio::spawn(self.clone().run_storage(follow, op, hash, items, child_trie));
		Ok(StorageStart::Started { operation_id, discarded_items })
	}

	fn continue_operation(
		&self,
		ext: &Extensions,
		follow_subscription: FollowId,
		operation_id: String,
	) -> RpcResult<()> {
		let Some(follow) = self.follow_of(ext, &follow_subscription) else { return Ok(()) };
		let mut state = follow.state.lock();
		let Some(operation) = state.operations.get_mut(&operation_id) else { return Ok(()) };
		match operation.resume.take() {
			Some(resume) => {
				let _ = resume.send(());
				Ok(())
			}
			None => Err(ChainHeadError::NotWaiting(operation_id).into()),
		}
	}

	fn stop_operation(
		&self,
		ext: &Extensions,
		follow_subscription: FollowId,
		operation_id: String,
	) -> RpcResult<()> {
		if let Some(follow) = self.follow_of(ext, &follow_subscription) {
			// Its task sees it gone before its next event, or wakes with its sender dropped.
			follow.state.lock().operations.remove(&operation_id);
		}
		Ok(())
	}

	fn unpin(
		&self,
		ext: &Extensions,
		follow_subscription: FollowId,
		hash_or_hashes: HashOrHashes,
	) -> RpcResult<()> {
		let Some(follow) = self.follow_of(ext, &follow_subscription) else { return Ok(()) };
		let hashes = match hash_or_hashes {
			HashOrHashes::One(hash) => vec![hash],
			HashOrHashes::Many(hashes) => hashes,
		};
		let mut state = follow.state.lock();
		let mut seen = HashSet::with_capacity(hashes.len());
		// All checked before any is unpinned.
		for hash in &hashes {
			if !seen.insert(*hash) {
				return Err(ChainHeadError::DuplicateHash(*hash).into());
			}
			if !state.pinned.contains_key(hash) {
				return Err(ChainHeadError::NotPinned(*hash).into());
			}
		}
		for hash in &hashes {
			state.pinned.remove(hash);
		}
		Ok(())
	}
}

impl From<jsonrpsee::types::SubscriptionId<'static>> for FollowId {
	fn from(id: jsonrpsee::types::SubscriptionId<'static>) -> Self {
		match id {
			jsonrpsee::types::SubscriptionId::Num(n) => FollowId::Number(n),
			jsonrpsee::types::SubscriptionId::Str(s) => FollowId::Text(s.into_owned()),
		}
	}
}
