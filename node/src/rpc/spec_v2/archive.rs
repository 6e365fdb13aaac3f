//! `archive_v1_*` over the node's finalized blocks.
//!
//! Every stored block is finalized, so a height up to the finalized one names exactly one
//! block and nothing above it names any. Headers and bodies are kept for every block; states
//! only for the newest `--state-pruning` blocks (256 by default, every block with `archive`),
//! so `archive_v1_storage`, `archive_v1_storageDiff` and `archive_v1_call` on an older block
//! answer an error that says so.
//!
//! Storage and diffs stream as subscriptions: the state is read on a blocking thread a few
//! events ahead of the socket, so a slow reader holds back the reading, not the node's memory.
//! Stopping, or closing the connection, ends the reading within 1,024 keys; a client that reads
//! nothing for [`STALL_LIMIT`] loses the operation. Each connection may run
//! [`ArchiveLimits::operations_per_connection`] of them at once and the node
//! [`ArchiveLimits::operations_in_all`] (past either [`TOO_MANY_OPERATIONS`]), each with at
//! most [`ArchiveLimits::items_per_call`] items; a diff compares at most
//! [`ArchiveLimits::diff_keys`] keys.

use super::{
	api::*,
	chain_head::{StorageFailure, StorageReader},
};
use crate::service::Node;
use codec::Encode;
use jsonrpsee::{
	core::{async_trait, RpcResult, SubscriptionResult},
	types::{error::INVALID_PARAMS_CODE, ErrorObject, ErrorObjectOwned},
	ConnectionId, PendingSubscriptionSink, SubscriptionMessage,
};
use parking_lot::Mutex;
use serde::Serialize;
use sp_core::{storage::ChildInfo, Bytes, H256};
use sp_state_machine::{Backend as _, IterArgs};
use std::{
	collections::HashMap,
	sync::{
		atomic::{AtomicBool, Ordering},
		Arc,
	},
	time::{Duration, Instant},
};
use tokio::sync::{
	mpsc::{self, error::TrySendError},
	OwnedSemaphorePermit, Semaphore,
};

/// More storage or diff operations on one connection than
/// [`ArchiveLimits::operations_per_connection`].
pub const TOO_MANY_OPERATIONS: i32 = -32805;
/// The node could not read a block it holds.
pub const INTERNAL: i32 = -32603;

/// How long an operation waits for its client to read before it gives up.
pub const STALL_LIMIT: Duration = Duration::from_secs(30);

/// The limits of `archive_v1_*`.
#[derive(Clone, Copy, Debug)]
pub struct ArchiveLimits {
	/// `archive_v1_storage` and `archive_v1_storageDiff` subscriptions one connection may run
	/// at once (the spec asks for at least one).
	pub operations_per_connection: usize,
	/// Such subscriptions the node runs at once, over all connections: each holds a blocking
	/// thread, which block building shares.
	pub operations_in_all: usize,
	/// Items in one `archive_v1_storage` or `archive_v1_storageDiff` call.
	pub items_per_call: usize,
	/// Keys one `archive_v1_storageDiff` may compare, over both blocks and all its items.
	pub diff_keys: u64,
	/// Events read ahead of the socket.
	pub read_ahead: usize,
}

impl Default for ArchiveLimits {
	fn default() -> Self {
		Self {
			operations_per_connection: 4,
			operations_in_all: 16,
			items_per_call: 64,
			diff_keys: 10_000_000,
			read_ahead: 16,
		}
	}
}

/// The `archive_v1_*` methods over `node`.
#[derive(Clone)]
pub struct Archive {
	node: Arc<Node>,
	limits: ArchiveLimits,
	/// Storage and diff operations running, per connection.
	running: Arc<Mutex<HashMap<ConnectionId, usize>>>,
	/// Storage and diff operations the node may still start.
	permits: Arc<Semaphore>,
}

/// One running operation of a connection; released when dropped.
struct Slot {
	running: Arc<Mutex<HashMap<ConnectionId, usize>>>,
	connection: ConnectionId,
	_permit: OwnedSemaphorePermit,
}

/// Where an operation's blocking thread hands its events.
struct Out<E> {
	events: mpsc::Sender<E>,
	/// Cleared when the client stops the operation or goes.
	alive: Arc<AtomicBool>,
}

impl<E> Out<E> {
	/// Sends `event`, waiting while the client is behind: false once it stopped, went, or read
	/// nothing for [`STALL_LIMIT`].
	fn send(&self, mut event: E) -> bool {
		let since = Instant::now();
		loop {
			match self.events.try_send(event) {
				Ok(()) => return true,
				Err(TrySendError::Closed(_)) => return false,
				Err(TrySendError::Full(back)) => {
					if !self.alive() || since.elapsed() > STALL_LIMIT {
						return false;
					}
					event = back;
					std::thread::sleep(Duration::from_millis(5));
				}
			}
		}
	}

	/// Whether the client still wants the operation.
	fn alive(&self) -> bool {
		self.alive.load(Ordering::Relaxed) && !self.events.is_closed()
	}
}

/// Clears an operation's `alive` when its forwarding ends, however it ends.
struct Gone(Arc<AtomicBool>);

impl Drop for Gone {
	fn drop(&mut self) {
		self.0.store(false, Ordering::Relaxed);
	}
}

impl Drop for Slot {
	fn drop(&mut self) {
		let mut running = self.running.lock();
		if let Some(n) = running.get_mut(&self.connection) {
			*n = n.saturating_sub(1);
			if *n == 0 {
				running.remove(&self.connection);
			}
		}
	}
}

fn internal(error: impl std::fmt::Display) -> ErrorObjectOwned {
	ErrorObject::owned(
		INTERNAL,
		format!("the node could not read its chain ({error}); this is the node's fault, report it"),
		None::<()>,
	)
}

fn invalid(message: String) -> ErrorObjectOwned {
	ErrorObject::owned(INVALID_PARAMS_CODE, message, None::<()>)
}

impl Archive {
	/// The methods over `node`, within `limits`.
	pub fn new(node: Arc<Node>, limits: ArchiveLimits) -> Self {
		let permits = Arc::new(Semaphore::new(limits.operations_in_all));
		Self { node, limits, running: Arc::default(), permits }
	}

	/// A slot for one more operation of `connection`, if it and the node have one left.
	fn slot(&self, connection: ConnectionId) -> Result<Slot, ErrorObjectOwned> {
		let Ok(permit) = self.permits.clone().try_acquire_owned() else {
			let all = self.limits.operations_in_all;
			return Err(ErrorObject::owned(
				TOO_MANY_OPERATIONS,
				format!("this node runs {all} archive storage operations, the most it runs at once: retry shortly"),
				None::<()>,
			));
		};
		let mut running = self.running.lock();
		let n = running.entry(connection).or_default();
		if *n >= self.limits.operations_per_connection {
			let held = *n;
			return Err(ErrorObject::owned(
				TOO_MANY_OPERATIONS,
				format!("this connection already runs {held} archive storage operations, the most it may: wait for one to end or stop it"),
				None::<()>,
			));
		}
		*n += 1;
		Ok(Slot { running: self.running.clone(), connection, _permit: permit })
	}

	/// Refuses a storage or diff call of more than [`ArchiveLimits::items_per_call`] items.
	fn items_allowed(&self, items: usize) -> Result<(), ErrorObjectOwned> {
		let limit = self.limits.items_per_call;
		if items <= limit {
			return Ok(());
		}
		Err(invalid(format!(
			"{items} items in one call, more than the {limit} allowed: split them over several calls"
		)))
	}

	/// The number of a stored block; none for a block the node does not hold.
	fn number_of(&self, hash: H256) -> Result<Option<u32>, ErrorObjectOwned> {
		Ok(self.node.client.header(hash).map_err(internal)?.map(|header| header.number))
	}

	/// Why the state of block `number` cannot be read.
	fn unreadable(&self, number: u32, hash: H256, failure: StorageFailure) -> String {
		match failure {
			StorageFailure::Inaccessible if !self.node.client.keeps_state_of(number) => {
				format!("the state of block #{number} ({hash:?}) is no longer kept by this node: it keeps the newest states only; ask a node run with --state-pruning archive")
			}
			StorageFailure::Inaccessible => {
				format!("the state of block #{number} ({hash:?}) could not be read")
			}
			StorageFailure::Error(error) => error,
		}
	}

	/// Accepts `pending`, then sends what `work` produces on a blocking thread: each event it
	/// hands to its [`Out`], then the one it returns.
	async fn stream<E: Serialize + Send + 'static>(
		&self,
		pending: PendingSubscriptionSink,
		slot: Slot,
		work: impl FnOnce(&Out<E>) -> E + Send + 'static,
	) -> SubscriptionResult {
		let sink = pending.accept().await?;
		let (events, mut received) = mpsc::channel::<E>(self.limits.read_ahead.max(1));
		let alive = Arc::new(AtomicBool::new(true));
		let _gone = Gone(alive.clone());
		tokio::task::spawn_blocking(move || {
			let _slot = slot;
			let out = Out { events, alive };
			let last = work(&out);
			out.send(last);
		});
		loop {
			tokio::select! {
				event = received.recv() => match event {
					Some(event) => sink.send(SubscriptionMessage::from_json(&event)?).await?,
					None => return Ok(()),
				},
				_ = sink.closed() => return Ok(()),
			}
		}
	}
}

/// Refuses an item whose `paginationStartKey` is not under its key.
fn resumed_under_their_keys(items: &[ArchiveStorageQuery]) -> Result<(), ErrorObjectOwned> {
	let misplaced = items.iter().find(|item| {
		item.pagination_start_key.as_ref().is_some_and(|start| !start.0.starts_with(&item.key))
	});
	match misplaced {
		None => Ok(()),
		Some(item) => Err(invalid(format!(
			"paginationStartKey 0x{} is not under key 0x{}: resume from a key the call answered",
			hex::encode(item.pagination_start_key.as_deref().unwrap_or_default()),
			hex::encode(&item.key[..])
		))),
	}
}

/// Reads `items` of block `hash` (main trie, or `child_key`'s) as `archive_v1_storage` events.
fn read_storage(
	archive: &Archive,
	hash: H256,
	number: u32,
	items: Vec<ArchiveStorageQuery>,
	child_key: Option<Bytes>,
	out: &Out<ArchiveStorageEvent>,
) -> ArchiveStorageEvent {
	let child = child_key.as_ref().map(|key| ChildInfo::new_default(key));
	let reader = StorageReader { node: &archive.node, hash, child: child.as_ref() };
	let failed = |failure| ArchiveStorageEvent::StorageError {
		error: archive.unreadable(number, hash, failure),
	};
	if !archive.node.client.keeps_state_of(number) {
		return failed(StorageFailure::Inaccessible);
	}
	let answer = |item| {
		ArchiveStorageEvent::Storage(ArchiveStorageResult {
			item,
			child_trie_key: child_key.clone(),
		})
	};
	for item in items {
		let hashed = item.query_type == StorageQueryType::DescendantsHashes;
		if !matches!(
			item.query_type,
			StorageQueryType::DescendantsValues | StorageQueryType::DescendantsHashes
		) {
			let query = StorageQuery { key: item.key, query_type: item.query_type };
			match reader.single(&query) {
				Ok(Some(result)) if !out.send(answer(result.clone())) => {
					return ArchiveStorageEvent::StorageDone
				}
				Ok(_) => continue,
				Err(failure) => return failed(failure),
			}
		}
		let state = match reader.state() {
			Ok(state) => state,
			Err(failure) => return failed(failure),
		};
		let mut args = IterArgs::default();
		args.prefix = Some(&item.key);
		args.start_at = Some(item.pagination_start_key.as_deref().unwrap_or(&item.key));
		args.start_at_exclusive = item.pagination_start_key.is_some();
		args.child_info = child.clone();
		let pairs = match state.pairs(args) {
			Ok(pairs) => pairs,
			Err(_) => return failed(StorageFailure::Inaccessible),
		};
		for pair in pairs {
			let Ok((key, value)) = pair else { return failed(StorageFailure::Inaccessible) };
			if !out.send(answer(StorageReader::result(key, value, hashed))) {
				return ArchiveStorageEvent::StorageDone;
			}
		}
	}
	ArchiveStorageEvent::StorageDone
}

/// The keys of `items` that differ between blocks `previous` and `hash`, as
/// `archive_v1_storageDiff` events: both states' keys walked in order side by side.
fn diff_storage(
	archive: &Archive,
	(hash, number): (H256, u32),
	(previous, previous_number): (H256, u32),
	items: Vec<StorageDiffItem>,
	out: &Out<ArchiveStorageDiffEvent>,
) -> ArchiveStorageDiffEvent {
	let failed = |number, hash, failure| ArchiveStorageDiffEvent::StorageDiffError {
		error: archive.unreadable(number, hash, failure),
	};
	for (n, h) in [(previous_number, previous), (number, hash)] {
		if !archive.node.client.keeps_state_of(n) {
			return failed(n, h, StorageFailure::Inaccessible);
		}
	}
	let reader = |hash| StorageReader { node: &archive.node, hash, child: None };
	let (old, new) = match (reader(previous).state(), reader(hash).state()) {
		(Ok(old), Ok(new)) => (old, new),
		(Err(failure), _) => return failed(previous_number, previous, failure),
		(_, Err(failure)) => return failed(number, hash, failure),
	};
	let mut compared = 0u64;
	for item in items {
		let prefix = item.key.map(|key| key.0).unwrap_or_default();
		let child = item.child_trie_key.as_ref().map(|key| ChildInfo::new_default(key));
		let args = || {
			let mut args = IterArgs::default();
			args.prefix = Some(&prefix);
			args.child_info = child.clone();
			args
		};
		let (mut old_pairs, mut new_pairs) = match (old.pairs(args()), new.pairs(args())) {
			(Ok(old), Ok(new)) => (old, new),
			_ => return failed(number, hash, StorageFailure::Inaccessible),
		};
		let next = |pairs: &mut dyn Iterator<Item = Result<(Vec<u8>, Vec<u8>), String>>| {
			pairs.next().transpose()
		};
		let (Ok(mut before), Ok(mut after)) = (next(&mut old_pairs), next(&mut new_pairs)) else {
			return failed(number, hash, StorageFailure::Inaccessible);
		};
		loop {
			let (key, value, kind, advance_old, advance_new) = match (&before, &after) {
				(None, None) => break,
				(Some((old_key, old_value)), Some((new_key, new_value))) if old_key == new_key => {
					let changed = old_value != new_value;
					(
						new_key.clone(),
						Some(new_value.clone()),
						changed.then_some(DiffKind::Modified),
						true,
						true,
					)
				}
				(Some((old_key, _)), Some((new_key, _))) if old_key > new_key => (
					new_key.clone(),
					after.as_ref().map(|p| p.1.clone()),
					Some(DiffKind::Added),
					false,
					true,
				),
				(Some((old_key, _)), _) => {
					(old_key.clone(), None, Some(DiffKind::Deleted), true, false)
				}
				(None, Some((new_key, new_value))) => {
					(new_key.clone(), Some(new_value.clone()), Some(DiffKind::Added), false, true)
				}
			};
			if let Some(kind) = kind {
				// The new value or its hash, as a storage read answers it; nothing once deleted.
				let hashed = item.return_type == DiffReturnType::Hash;
				let answer = match value {
					Some(value) => StorageReader::result(key, value, hashed),
					None => StorageResult {
						key: Bytes(key),
						value: None,
						hash: None,
						closest_descendant_merkle_value: None,
					},
				};
				let result = StorageDiffResult {
					key: answer.key,
					value: answer.value,
					hash: answer.hash,
					kind,
					child_trie_key: item.child_trie_key.clone(),
				};
				if !out.send(ArchiveStorageDiffEvent::StorageDiff(result)) {
					return ArchiveStorageDiffEvent::StorageDiffDone;
				}
			}
			// Unchanged keys send nothing: stopping is noticed here too.
			compared = compared.saturating_add(1);
			if compared.is_multiple_of(1024) && !out.alive() {
				return ArchiveStorageDiffEvent::StorageDiffDone;
			}
			if compared > archive.limits.diff_keys {
				let most = archive.limits.diff_keys;
				return ArchiveStorageDiffEvent::StorageDiffError {
					error: format!("compared {most} keys, the most one diff may: name longer key prefixes, or fewer items"),
				};
			}
			let stepped = (
				if advance_old { next(&mut old_pairs) } else { Ok(before.take()) },
				if advance_new { next(&mut new_pairs) } else { Ok(after.take()) },
			);
			match stepped {
				(Ok(old), Ok(new)) => (before, after) = (old, new),
				_ => return failed(number, hash, StorageFailure::Inaccessible),
			}
		}
	}
	ArchiveStorageDiffEvent::StorageDiffDone
}

#[async_trait]
impl ArchiveApiServer for Archive {
	async fn body(&self, hash: H256) -> RpcResult<Option<Vec<Bytes>>> {
		let node = self.node.clone();
		let body = tokio::task::spawn_blocking(move || node.client.body(hash))
			.await
			.map_err(internal)?
			.map_err(internal)?;
		Ok(body.map(|body| body.iter().map(|x| Bytes(x.encode())).collect()))
	}

	async fn call(
		&self,
		hash: H256,
		function: String,
		call_parameters: Bytes,
	) -> RpcResult<Option<ArchiveCallResult>> {
		let Some(number) = self.number_of(hash)? else { return Ok(None) };
		let failure = |error| ArchiveCallResult { success: false, value: None, error: Some(error) };
		if !self.node.client.keeps_state_of(number) {
			return Ok(Some(failure(self.unreadable(number, hash, StorageFailure::Inaccessible))));
		}
		let node = self.node.clone();
		node.metrics.rpc_calls.inc();
		// The executor refuses inputs nested too deep before the runtime sees them.
		let output = tokio::task::spawn_blocking(move || {
			node.client.call(hash, &function, &call_parameters)
		})
		.await
		.map_err(internal)?;
		Ok(Some(match output {
			Ok(value) => {
				ArchiveCallResult { success: true, value: Some(Bytes(value)), error: None }
			}
			Err(error) => failure(error.to_string()),
		}))
	}

	fn finalized_height(&self) -> RpcResult<u64> {
		Ok(self.node.client.head().number.into())
	}

	fn genesis_hash(&self) -> RpcResult<H256> {
		Ok(self.node.client.genesis_hash())
	}

	fn hash_by_height(&self, height: u64) -> RpcResult<Vec<H256>> {
		let Ok(height) = u32::try_from(height) else { return Ok(Vec::new()) };
		if height > self.node.client.head().number {
			return Ok(Vec::new());
		}
		Ok(self.node.client.hash(height).map_err(internal)?.into_iter().collect())
	}

	fn header(&self, hash: H256) -> RpcResult<Option<Bytes>> {
		Ok(self.node.client.header(hash).map_err(internal)?.map(|header| Bytes(header.encode())))
	}

	async fn storage(
		&self,
		pending: PendingSubscriptionSink,
		hash: H256,
		items: Vec<ArchiveStorageQuery>,
		child_trie: Option<Bytes>,
	) -> SubscriptionResult {
		let admitted = self
			.items_allowed(items.len())
			.and_then(|()| resumed_under_their_keys(&items))
			.and_then(|()| self.slot(pending.connection_id()));
		let slot = match admitted {
			Ok(slot) => slot,
			Err(error) => {
				pending.reject(error).await;
				return Ok(());
			}
		};
		let Some(number) = self.number_of(hash)? else {
			let error = format!("block {hash:?} is not known to this node");
			return self
				.stream(pending, slot, move |_| ArchiveStorageEvent::StorageError { error })
				.await;
		};
		let archive = self.clone();
		self.stream(pending, slot, move |out| {
			read_storage(&archive, hash, number, items, child_trie, out)
		})
		.await
	}

	async fn storage_diff(
		&self,
		pending: PendingSubscriptionSink,
		hash: H256,
		items: Option<Vec<StorageDiffItem>>,
		previous_hash: Option<H256>,
	) -> SubscriptionResult {
		let mut items = items.unwrap_or_default();
		let admitted =
			self.items_allowed(items.len()).and_then(|()| self.slot(pending.connection_id()));
		if items.is_empty() {
			items.push(StorageDiffItem {
				key: None,
				return_type: DiffReturnType::Value,
				child_trie_key: None,
			});
		}
		let slot = match admitted {
			Ok(slot) => slot,
			Err(error) => {
				pending.reject(error).await;
				return Ok(());
			}
		};
		let client = &self.node.client;
		let header = client.header(hash).map_err(internal)?;
		let blocks = match (header, previous_hash) {
			(None, _) => Err(format!("block {hash:?} is not known to this node")),
			(Some(header), None) if header.number == 0 => {
				Err("block #0 has no parent: name previousHash".to_owned())
			}
			(Some(header), None) => {
				Ok(((hash, header.number), (header.parent_hash, header.number - 1)))
			}
			(Some(header), Some(previous)) => match client.header(previous).map_err(internal)? {
				Some(old)
					if old.number < header.number
						&& client.hash(old.number).map_err(internal)? == Some(previous)
						&& client.hash(header.number).map_err(internal)? == Some(hash) =>
				{
					Ok(((hash, header.number), (previous, old.number)))
				}
				_ => Err(format!(
					"previousHash {previous:?} is not an ancestor of block {hash:?} known to this node"
				)),
			},
		};
		let archive = self.clone();
		match blocks {
			Ok((new, old)) => {
				self.stream(pending, slot, move |send| {
					diff_storage(&archive, new, old, items, send)
				})
				.await
			}
			Err(error) => {
				self.stream(pending, slot, move |_| ArchiveStorageDiffEvent::StorageDiffError {
					error,
				})
				.await
			}
		}
	}
}
