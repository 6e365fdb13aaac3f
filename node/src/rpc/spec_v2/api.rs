//! The methods of the new JSON-RPC spec (paritytech/json-rpc-interface-spec) and the shapes of
//! what they answer, named as the spec names them.

use jsonrpsee::{
	core::{RpcResult, SubscriptionResult},
	proc_macros::rpc,
};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use sp_core::{Bytes, H256};

/// A follow subscription's id as a client sends it back: jsonrpsee answers numbers, the spec
/// calls it an opaque string; either is taken.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FollowId {
	/// A number.
	Number(u64),
	/// A string.
	Text(String),
}

impl FollowId {
	/// The id as the node keys it.
	pub fn key(&self) -> String {
		match self {
			FollowId::Number(n) => n.to_string(),
			FollowId::Text(s) => s.clone(),
		}
	}
}

/// One hash or several, as `chainHead_v1_unpin` takes them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum HashOrHashes {
	/// One block.
	One(H256),
	/// Several blocks, each once.
	Many(Vec<H256>),
}

/// What a `chainHead_v1_storage` item asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum StorageQueryType {
	/// The value at the key.
	Value,
	/// The BLAKE2b-256 of the value at the key.
	Hash,
	/// The Merkle value of the key's closest descendant in the trie.
	ClosestDescendantMerkleValue,
	/// Every value under the key, a page at a time.
	DescendantsValues,
	/// The hash of every value under the key, a page at a time.
	DescendantsHashes,
}

/// One item of `chainHead_v1_storage`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StorageQuery {
	/// The key, or the prefix of the descendants.
	pub key: Bytes,
	/// What to answer about it.
	#[serde(rename = "type")]
	pub query_type: StorageQueryType,
}

/// One answer of an `operationStorageItems` event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StorageResult {
	/// The key.
	pub key: Bytes,
	/// Its value, for `value` and `descendantsValues`.
	#[serde(skip_serializing_if = "Option::is_none", default)]
	pub value: Option<Bytes>,
	/// Its value's hash, for `hash` and `descendantsHashes`.
	#[serde(skip_serializing_if = "Option::is_none", default)]
	pub hash: Option<Bytes>,
	/// The Merkle value, for `closestDescendantMerkleValue`.
	#[serde(skip_serializing_if = "Option::is_none", default)]
	pub closest_descendant_merkle_value: Option<Bytes>,
}

/// The runtime of a block, as `initialized` and `newBlock` report it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum RuntimeReport {
	/// The runtime, named by its version.
	Valid {
		/// Its version.
		spec: RuntimeSpec,
	},
}

/// A runtime's version as the new spec reports it: `apis` keyed by the 0x-hex of each API's id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuntimeSpec {
	/// The chain's runtime name.
	pub spec_name: String,
	/// The implementation's name.
	pub impl_name: String,
	/// Changes whenever the metadata may.
	pub spec_version: u32,
	/// Changes with compatible code changes.
	pub impl_version: u32,
	/// Changes whenever transactions are built differently.
	pub transaction_version: u32,
	/// Each runtime API's id (0x-hex of its 8 bytes) and version.
	pub apis: serde_json::Map<String, Json>,
}

/// An event of a `chainHead_v1_follow` subscription.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum FollowEvent {
	/// The first event: the finalized head, pinned.
	Initialized {
		/// Finalized blocks, oldest first; the last is the finalized head.
		finalized_block_hashes: Vec<H256>,
		/// The head's runtime, when the subscription asked for runtimes.
		#[serde(skip_serializing_if = "Option::is_none")]
		finalized_block_runtime: Option<RuntimeReport>,
	},
	/// A new block, pinned.
	NewBlock {
		/// Its hash.
		block_hash: H256,
		/// Its parent's.
		parent_block_hash: H256,
		/// Absent without runtimes; `null` when the runtime is its parent's.
		#[serde(skip_serializing_if = "Option::is_none")]
		new_runtime: Option<Option<RuntimeReport>>,
	},
	/// The best block changed.
	BestBlockChanged {
		/// The new best block.
		best_block_hash: H256,
	},
	/// Blocks were finalized (with instant finality, the block just reported).
	Finalized {
		/// The finalized blocks, oldest first.
		finalized_block_hashes: Vec<H256>,
		/// Blocks that will never be finalized (none with instant finality).
		pruned_block_hashes: Vec<H256>,
	},
	/// A `chainHead_v1_body` operation's answer.
	OperationBodyDone {
		/// The operation.
		operation_id: String,
		/// The SCALE-encoded extrinsics, in order.
		value: Vec<Bytes>,
	},
	/// A `chainHead_v1_call` operation's answer.
	OperationCallDone {
		/// The operation.
		operation_id: String,
		/// The runtime's output.
		output: Bytes,
	},
	/// Some items of a `chainHead_v1_storage` operation.
	OperationStorageItems {
		/// The operation.
		operation_id: String,
		/// The items.
		items: Vec<StorageResult>,
	},
	/// A `chainHead_v1_storage` operation waits for `chainHead_v1_continue`.
	OperationWaitingForContinue {
		/// The operation.
		operation_id: String,
	},
	/// A `chainHead_v1_storage` operation gave all its items.
	OperationStorageDone {
		/// The operation.
		operation_id: String,
	},
	/// An operation could not read what it needed; it may succeed if tried again.
	OperationInaccessible {
		/// The operation.
		operation_id: String,
	},
	/// An operation failed and would fail again.
	OperationError {
		/// The operation.
		operation_id: String,
		/// Why, for developers.
		error: String,
	},
	/// The subscription ended: follow again.
	Stop,
}

/// What `chainHead_v1_body` and `chainHead_v1_call` answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum OperationStart {
	/// Started: its events carry this id.
	Started {
		/// The operation.
		operation_id: String,
	},
	/// Not started: too many operations in progress, or the subscription is not (or no
	/// longer) this connection's.
	LimitReached,
}

/// What `chainHead_v1_storage` answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum StorageStart {
	/// Started: its events carry this id.
	Started {
		/// The operation.
		operation_id: String,
		/// How many items at the end of the list were not taken (the operation limit).
		discarded_items: usize,
	},
	/// Not started: see [`OperationStart::LimitReached`].
	LimitReached,
}

/// A block that holds a watched transaction, and where.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionBlock {
	/// The block's hash.
	pub hash: H256,
	/// The transaction's position in the block's body.
	pub index: usize,
}

/// An event of a `transactionWatch_v1_submitAndWatch` subscription.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "camelCase")]
pub enum TransactionEvent {
	/// The runtime found it valid; it waits in the pool.
	Validated,
	/// It is in this block of the best chain.
	BestChainBlockIncluded {
		/// The block and position.
		block: Option<TransactionBlock>,
	},
	/// It is in this finalized block. The last event.
	Finalized {
		/// The block and position.
		block: TransactionBlock,
	},
	/// The node failed. The last event.
	Error {
		/// Why, for developers.
		error: String,
	},
	/// The runtime refused it. The last event.
	Invalid {
		/// Why, for developers.
		error: String,
	},
	/// The node stopped tracking it (a full pool). The last event.
	Dropped {
		/// Why, for developers.
		error: String,
	},
}

/// `chainHead_v1_*`: following the head and reading its pinned blocks.
#[rpc(server, namespace = "chainHead")]
pub trait ChainHeadApi {
	/// Follows the head; with `with_runtime`, reports runtimes and allows runtime calls.
	#[subscription(
		name = "v1_follow" => "v1_followEvent",
		unsubscribe = "v1_unfollow",
		item = FollowEvent
	)]
	async fn follow(&self, with_runtime: bool) -> SubscriptionResult;

	/// The SCALE-encoded header of a pinned block; null for another connection's, an unknown
	/// or an ended subscription.
	#[method(name = "v1_header", with_extensions)]
	fn header(&self, follow_subscription: FollowId, hash: H256) -> RpcResult<Option<Bytes>>;

	/// Starts reading a pinned block's body (`operationBodyDone`).
	#[method(name = "v1_body", with_extensions)]
	fn body(&self, follow_subscription: FollowId, hash: H256) -> RpcResult<OperationStart>;

	/// Starts a runtime call at a pinned block (`operationCallDone`).
	#[method(name = "v1_call", with_extensions)]
	fn call(
		&self,
		follow_subscription: FollowId,
		hash: H256,
		function: String,
		call_parameters: Bytes,
	) -> RpcResult<OperationStart>;

	/// Starts reading storage of a pinned block (`operationStorageItems`, then
	/// `operationStorageDone`; pages of descendants wait for `chainHead_v1_continue`).
	#[method(name = "v1_storage", with_extensions)]
	fn storage(
		&self,
		follow_subscription: FollowId,
		hash: H256,
		items: Vec<StorageQuery>,
		child_trie: Option<Bytes>,
	) -> RpcResult<StorageStart>;

	/// Lets a storage operation that waits give its next page.
	#[method(name = "v1_continue", with_extensions)]
	fn continue_operation(
		&self,
		follow_subscription: FollowId,
		operation_id: String,
	) -> RpcResult<()>;

	/// Stops an operation.
	#[method(name = "v1_stopOperation", with_extensions)]
	fn stop_operation(&self, follow_subscription: FollowId, operation_id: String) -> RpcResult<()>;

	/// Unpins blocks: all or none.
	#[method(name = "v1_unpin", with_extensions)]
	fn unpin(&self, follow_subscription: FollowId, hash_or_hashes: HashOrHashes) -> RpcResult<()>;
}

/// `chainSpec_v1_*`: the chain this node runs.
#[rpc(server, namespace = "chainSpec")]
pub trait ChainSpecApi {
	/// The chain's name.
	#[method(name = "v1_chainName")]
	fn chain_name(&self) -> RpcResult<String>;
	/// The genesis block's hash.
	#[method(name = "v1_genesisHash")]
	fn genesis_hash(&self) -> RpcResult<H256>;
	/// The chain spec's `properties`.
	#[method(name = "v1_properties")]
	fn properties(&self) -> RpcResult<Json>;
}

/// `transaction_v1_*`: handing transactions to the chain without watching them.
#[rpc(server, namespace = "transaction")]
pub trait TransactionApi {
	/// Submits a transaction; answers an operation id, or null when this connection has as
	/// many broadcasts open as it may. An invalid transaction is not reported.
	#[method(name = "v1_broadcast", with_extensions)]
	async fn broadcast(&self, transaction: Bytes) -> RpcResult<Option<String>>;
	/// Ends a broadcast.
	#[method(name = "v1_stop", with_extensions)]
	fn stop(&self, operation_id: String) -> RpcResult<()>;
}

/// `transactionWatch_v1_*`: submitting a transaction and following it to finality.
#[rpc(server, namespace = "transactionWatch")]
pub trait TransactionWatchApi {
	/// Submits a transaction and reports what becomes of it.
	#[subscription(
		name = "v1_submitAndWatch" => "v1_watchEvent",
		unsubscribe = "v1_unwatch",
		item = TransactionEvent
	)]
	async fn submit_and_watch(&self, transaction: Bytes) -> SubscriptionResult;
}

/// One item of `archive_v1_storage`: a `chainHead_v1_storage` item, and where to resume the
/// descendants of an earlier call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArchiveStorageQuery {
	/// The key, or the prefix of the descendants.
	pub key: Bytes,
	/// What to answer about it.
	#[serde(rename = "type")]
	pub query_type: StorageQueryType,
	/// For descendants: the key after which to resume.
	#[serde(default, skip_serializing_if = "Option::is_none")]
	pub pagination_start_key: Option<Bytes>,
}

/// An event of an `archive_v1_storage` subscription.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "camelCase")]
pub enum ArchiveStorageEvent {
	/// One answer.
	Storage(ArchiveStorageResult),
	/// Every answer was sent. The last event.
	StorageDone,
	/// The operation failed. The last event.
	StorageError {
		/// Why, for developers.
		error: String,
	},
}

/// One answer of `archive_v1_storage`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ArchiveStorageResult {
	/// The storage item's answer.
	#[serde(flatten)]
	pub item: StorageResult,
	/// The child trie it is in; none for the main trie.
	#[serde(skip_serializing_if = "Option::is_none")]
	pub child_trie_key: Option<Bytes>,
}

/// What `archive_v1_storageDiff` answers for the keys of an item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum DiffReturnType {
	/// The new value.
	Value,
	/// The BLAKE2b-256 of the new value.
	Hash,
}

/// One item of `archive_v1_storageDiff`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StorageDiffItem {
	/// The prefix of the keys compared; every key when absent.
	#[serde(default, skip_serializing_if = "Option::is_none")]
	pub key: Option<Bytes>,
	/// What to answer for each changed key.
	pub return_type: DiffReturnType,
	/// The child trie compared; the main trie when absent.
	#[serde(default, skip_serializing_if = "Option::is_none")]
	pub child_trie_key: Option<Bytes>,
}

/// How a key differs between two blocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum DiffKind {
	/// Only the newer block has it.
	Added,
	/// Both have it, with different values.
	Modified,
	/// Only the older block has it.
	Deleted,
}

/// An event of an `archive_v1_storageDiff` subscription.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "camelCase")]
pub enum ArchiveStorageDiffEvent {
	/// One changed key.
	StorageDiff(StorageDiffResult),
	/// Every change was sent. The last event.
	StorageDiffDone,
	/// The operation failed. The last event.
	StorageDiffError {
		/// Why, for developers.
		error: String,
	},
}

/// One changed key of `archive_v1_storageDiff`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StorageDiffResult {
	/// The key.
	pub key: Bytes,
	/// Its new value (none when deleted), for `value`.
	#[serde(skip_serializing_if = "Option::is_none")]
	pub value: Option<Bytes>,
	/// Its new value's hash (none when deleted), for `hash`.
	#[serde(skip_serializing_if = "Option::is_none")]
	pub hash: Option<Bytes>,
	/// How it changed.
	#[serde(rename = "type")]
	pub kind: DiffKind,
	/// The child trie it is in; none for the main trie.
	#[serde(skip_serializing_if = "Option::is_none")]
	pub child_trie_key: Option<Bytes>,
}

/// What `archive_v1_call` answers for a known block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveCallResult {
	/// Whether the runtime answered.
	pub success: bool,
	/// Its SCALE-encoded answer, on success.
	#[serde(default, skip_serializing_if = "Option::is_none")]
	pub value: Option<Bytes>,
	/// Why it failed, for developers, on failure.
	#[serde(default, skip_serializing_if = "Option::is_none")]
	pub error: Option<String>,
}

/// `archive_v1_*`: any finalized block, by height or hash.
#[rpc(server, namespace = "archive")]
pub trait ArchiveApi {
	/// The block's extrinsics, SCALE-encoded; null for an unknown block.
	#[method(name = "v1_body")]
	async fn body(&self, hash: H256) -> RpcResult<Option<Vec<Bytes>>>;

	/// Calls the runtime at the block; null for an unknown block.
	#[method(name = "v1_call")]
	async fn call(
		&self,
		hash: H256,
		function: String,
		call_parameters: Bytes,
	) -> RpcResult<Option<ArchiveCallResult>>;

	/// The finalized head's height.
	#[method(name = "v1_finalizedHeight")]
	fn finalized_height(&self) -> RpcResult<u64>;

	/// The genesis block's hash.
	#[method(name = "v1_genesisHash")]
	fn genesis_hash(&self) -> RpcResult<H256>;

	/// The blocks at `height`: exactly one up to the finalized height, none above it.
	#[method(name = "v1_hashByHeight")]
	fn hash_by_height(&self, height: u64) -> RpcResult<Vec<H256>>;

	/// The block's SCALE-encoded header; null for an unknown block.
	#[method(name = "v1_header")]
	fn header(&self, hash: H256) -> RpcResult<Option<Bytes>>;

	/// Reads the block's storage, as `archive_v1_storageEvent` notifications.
	#[subscription(
		name = "v1_storage" => "v1_storageEvent",
		unsubscribe = "v1_stopStorage",
		item = ArchiveStorageEvent
	)]
	async fn storage(
		&self,
		hash: H256,
		items: Vec<ArchiveStorageQuery>,
		child_trie: Option<Bytes>,
	) -> SubscriptionResult;

	/// The keys that differ between the block and `previous_hash` (its parent when absent), as
	/// `archive_v1_storageDiffEvent` notifications.
	#[subscription(
		name = "v1_storageDiff" => "v1_storageDiffEvent",
		unsubscribe = "v1_stopStorageDiff",
		item = ArchiveStorageDiffEvent
	)]
	async fn storage_diff(
		&self,
		hash: H256,
		items: Option<Vec<StorageDiffItem>>,
		previous_hash: Option<H256>,
	) -> SubscriptionResult;
}
