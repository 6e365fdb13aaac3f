//! The JSON-RPC interface, with Substrate's method names so that existing wallets work.

use carechain_primitives::{Decision, Purpose, RecordId};
use carechain_runtime::{AccountId, Header};
use jsonrpsee::{core::RpcResult, proc_macros::rpc};
use serde_json::Value as Json;
use sp_core::{Bytes, H256};
use sp_version::RuntimeVersion;

/// A block number as a number or as hex, as Substrate accepts it.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum NumberOrHex {
	/// A JSON number.
	Number(u64),
	/// A `0x`-prefixed hex string.
	Hex(String),
}

impl Default for NumberOrHex {
	fn default() -> Self {
		Self::Number(0)
	}
}

impl From<u128> for NumberOrHex {
	/// A number when it fits in a `u64` (JSON's safe range is the caller's concern, as in
	/// Substrate), else `0x`-prefixed hex.
	fn from(value: u128) -> Self {
		match u64::try_from(value) {
			Ok(small) => Self::Number(small),
			Err(_) => Self::Hex(format!("{value:#x}")),
		}
	}
}

/// One value or a list of them, as Substrate's `chain_getBlockHash` takes and answers.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum ListOrValue<T> {
	/// A list: answered with a list, in the same order.
	List(Vec<T>),
	/// A single value: answered with a single value.
	Value(T),
}

/// A transaction named by its bytes or its hash, as `author_removeExtrinsic` takes it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ExtrinsicOrHash {
	/// Its hash.
	Hash(H256),
	/// Its SCALE-encoded bytes.
	Extrinsic(Bytes),
}

/// The storage values that changed in one block, as `state_queryStorage` answers them.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StorageChangeSet {
	/// The block.
	pub block: H256,
	/// Each key whose value changed in this block (every key in the first block), with its
	/// value (`null` when it has none).
	pub changes: Vec<(Bytes, Option<Bytes>)>,
}

/// Where the node stands in syncing, as `system_syncState` answers it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncState {
	/// The finalized head when the node started.
	pub starting_block: u32,
	/// The node's finalized head.
	pub current_block: u32,
	/// The highest block the node knows of: its own head, since a block is final once decided
	/// and the node imports no block it has not seen decided.
	pub highest_block: u32,
}

/// One connected peer, as `system_peers` answers it (Substrate's `PeerInfo`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PeerInfo {
	/// Its libp2p peer id.
	pub peer_id: String,
	/// `AUTHORITY` when it proved a key of the current validator set, `FULL` otherwise.
	pub roles: String,
	/// This node's block at `bestNumber` (the same block on every honest node: finality is
	/// instant); `null` while this node has not imported that height yet, or before the peer's
	/// first status.
	pub best_hash: Option<H256>,
	/// The finalized height in the peer's last sync status (sent on connection and every 10
	/// s), as the peer claims it (nothing checks it); `null` before its first.
	pub best_number: Option<u32>,
}

/// What a transaction costs, as Substrate's `payment_queryInfo` answers it: its weight
/// (`{"ref_time", "proof_size"}`), class and `partialFee` (a decimal string; always `"0"`: the
/// chain charges no fee).
pub type DispatchInfoAnswer = pallet_transaction_payment_rpc_runtime_api::RuntimeDispatchInfo<
	carechain_runtime::Balance,
	frame_support::weights::Weight,
>;

/// The parts of a transaction's fee, as Substrate's `payment_queryFeeDetails` answers them:
/// `{"inclusionFee": {"baseFee", "lenFee", "adjustedWeightFee"}}`, every part 0.
pub type FeeDetailsAnswer = pallet_transaction_payment_rpc_runtime_api::FeeDetails<NumberOrHex>;

/// `system_*`: the node and the chain it runs.
#[rpc(server, client, namespace = "system")]
pub trait SystemApi {
	/// The chain's name.
	#[method(name = "chain")]
	fn chain(&self) -> RpcResult<String>;
	/// The node's implementation name.
	#[method(name = "name")]
	fn name(&self) -> RpcResult<String>;
	/// The node's version.
	#[method(name = "version")]
	fn version(&self) -> RpcResult<String>;
	/// Token and address properties of the chain.
	#[method(name = "properties")]
	fn properties(&self) -> RpcResult<Json>;
	/// Peers and sync state.
	#[method(name = "health")]
	fn health(&self) -> RpcResult<Json>;
	/// `Development`, `Local` or `Live`.
	#[method(name = "chainType")]
	fn chain_type(&self) -> RpcResult<String>;
	/// The next nonce of an account, counting its transactions in the pool.
	#[method(name = "accountNextIndex", aliases = ["account_nextIndex"])]
	fn account_next_index(&self, account: AccountId) -> RpcResult<u32>;
	/// Applies an extrinsic to a block built on `at` (the head when not given) and answers the
	/// SCALE-encoded `ApplyExtrinsicResult`; nothing is kept. An operator's method, as in
	/// Substrate.
	#[method(name = "dryRun", aliases = ["system_dryRunAt"])]
	fn dry_run(&self, extrinsic: Bytes, at: Option<H256>) -> RpcResult<Bytes>;
	/// The node's libp2p peer id (the one its consensus network uses).
	#[method(name = "localPeerId")]
	fn local_peer_id(&self) -> RpcResult<String>;
	/// `["Authority"]` on a validator, `["Full"]` on a full node.
	#[method(name = "nodeRoles")]
	fn node_roles(&self) -> RpcResult<Vec<String>>;
	/// The connected peers, with the finalized height each last reported. An operator's
	/// method, as in Substrate.
	#[method(name = "peers")]
	async fn peers(&self) -> RpcResult<Vec<PeerInfo>>;
	/// Where the node stands in syncing.
	#[method(name = "syncState")]
	fn sync_state(&self) -> RpcResult<SyncState>;
}

/// `chain_*`: blocks and headers.
#[rpc(server, client, namespace = "chain")]
pub trait ChainApi {
	/// The hash of a block by number, or of each of a list of numbers; the head when none is
	/// given.
	#[method(name = "getBlockHash", aliases = ["chain_getHead"])]
	fn block_hash(
		&self,
		number: Option<ListOrValue<NumberOrHex>>,
	) -> RpcResult<ListOrValue<Option<H256>>>;
	/// A header; the head's when no hash is given.
	#[method(name = "getHeader")]
	fn header(&self, hash: Option<H256>) -> RpcResult<Option<Header>>;
	/// A block with its extrinsics; the head when no hash is given.
	#[method(name = "getBlock")]
	fn block(&self, hash: Option<H256>) -> RpcResult<Option<Json>>;
	/// The finalized head's hash.
	#[method(name = "getFinalizedHead", aliases = ["chain_getFinalisedHead"])]
	fn finalized_head(&self) -> RpcResult<H256>;
	/// New best headers (every block is final at once).
	#[subscription(
		name = "subscribeNewHeads" => "newHead",
		aliases = ["chain_subscribeNewHead"],
		unsubscribe = "unsubscribeNewHeads",
		unsubscribe_aliases = ["chain_unsubscribeNewHead"],
		item = Header
	)]
	async fn subscribe_new_heads(&self) -> jsonrpsee::core::SubscriptionResult;
	/// Finalized headers.
	#[subscription(
		name = "subscribeFinalizedHeads" => "finalizedHead",
		aliases = ["chain_subscribeFinalisedHeads"],
		unsubscribe = "unsubscribeFinalizedHeads",
		unsubscribe_aliases = ["chain_unsubscribeFinalisedHeads"],
		item = Header
	)]
	async fn subscribe_finalized_heads(&self) -> jsonrpsee::core::SubscriptionResult;
	/// All imported headers.
	#[subscription(
		name = "subscribeAllHeads" => "allHead",
		unsubscribe = "unsubscribeAllHeads",
		item = Header
	)]
	async fn subscribe_all_heads(&self) -> jsonrpsee::core::SubscriptionResult;
}

/// `state_*`: storage, metadata and runtime calls.
#[rpc(server, client, namespace = "state")]
pub trait StateApi {
	/// The runtime version at a block.
	#[method(name = "getRuntimeVersion", aliases = ["chain_getRuntimeVersion"])]
	fn runtime_version(&self, at: Option<H256>) -> RpcResult<RuntimeVersion>;
	/// The runtime's metadata (V14).
	#[method(name = "getMetadata")]
	fn metadata(&self, at: Option<H256>) -> RpcResult<Bytes>;
	/// A storage value.
	#[method(name = "getStorage", aliases = ["state_getStorageAt"])]
	fn storage(&self, key: Bytes, at: Option<H256>) -> RpcResult<Option<Bytes>>;
	/// The BLAKE2b-256 hash of a storage value.
	#[method(name = "getStorageHash", aliases = ["state_getStorageHashAt"])]
	fn storage_hash(&self, key: Bytes, at: Option<H256>) -> RpcResult<Option<H256>>;
	/// The length in bytes of a storage value; for a key without one, the sum of the values
	/// under it as a prefix (null when none).
	#[method(name = "getStorageSize", aliases = ["state_getStorageSizeAt"])]
	async fn storage_size(&self, key: Bytes, at: Option<H256>) -> RpcResult<Option<u64>>;
	/// The changes of storage values over a range of blocks, `from` to `to` (the head when not
	/// given): every key at `from`, then each block where one changed. An operator's method,
	/// as in Substrate.
	#[method(name = "queryStorage")]
	fn query_storage(
		&self,
		keys: Vec<Bytes>,
		from: H256,
		to: Option<H256>,
	) -> RpcResult<Vec<StorageChangeSet>>;
	/// Storage keys with a prefix, a page at a time.
	#[method(name = "getKeysPaged", aliases = ["state_getKeysPagedAt"])]
	fn keys_paged(
		&self,
		prefix: Option<Bytes>,
		count: u32,
		start_key: Option<Bytes>,
		at: Option<H256>,
	) -> RpcResult<Vec<Bytes>>;
	/// Several storage values at one block.
	#[method(name = "queryStorageAt")]
	fn query_storage_at(&self, keys: Vec<Bytes>, at: Option<H256>) -> RpcResult<Json>;
	/// Calls a runtime API.
	#[method(name = "call", aliases = ["state_callAt"])]
	fn call(&self, method: String, data: Bytes, at: Option<H256>) -> RpcResult<Bytes>;
	/// A Merkle proof of storage values.
	#[method(name = "getReadProof")]
	fn read_proof(&self, keys: Vec<Bytes>, at: Option<H256>) -> RpcResult<Json>;
	/// Runtime version changes (the current version first).
	#[subscription(
		name = "subscribeRuntimeVersion" => "runtimeVersion",
		aliases = ["chain_subscribeRuntimeVersion"],
		unsubscribe = "unsubscribeRuntimeVersion",
		unsubscribe_aliases = ["chain_unsubscribeRuntimeVersion"],
		item = RuntimeVersion
	)]
	async fn subscribe_runtime_version(&self) -> jsonrpsee::core::SubscriptionResult;
	/// Changes of storage values, after each block; with authentication on, while the
	/// connection's session lasts and its account is a member.
	#[subscription(
		name = "subscribeStorage" => "storage",
		unsubscribe = "unsubscribeStorage",
		item = Json,
		with_extensions
	)]
	async fn subscribe_storage(
		&self,
		keys: Option<Vec<Bytes>>,
	) -> jsonrpsee::core::SubscriptionResult;
}

/// `author_*`: transaction submission.
#[rpc(server, client, namespace = "author")]
pub trait AuthorApi {
	/// Submits an extrinsic; answers its hash once the pool accepted it.
	#[method(name = "submitExtrinsic")]
	async fn submit_extrinsic(&self, extrinsic: Bytes) -> RpcResult<H256>;
	/// Submits an extrinsic and reports its progress up to finalization.
	#[subscription(
		name = "submitAndWatchExtrinsic" => "extrinsicUpdate",
		unsubscribe = "unwatchExtrinsic",
		item = Json
	)]
	async fn submit_and_watch_extrinsic(
		&self,
		extrinsic: Bytes,
	) -> jsonrpsee::core::SubscriptionResult;
	/// The extrinsics waiting in the pool.
	#[method(name = "pendingExtrinsics")]
	fn pending_extrinsics(&self) -> RpcResult<Vec<Bytes>>;
	/// Removes transactions from the pool (their watchers hear `"invalid"`) and answers the
	/// hashes of those it held. An operator's method, as in Substrate.
	#[method(name = "removeExtrinsic")]
	fn remove_extrinsic(&self, bytes_or_hash: Vec<ExtrinsicOrHash>) -> RpcResult<Vec<H256>>;
	/// Whether the node holds the secret of `public_key` for `key_type`: its consensus key is
	/// of type `"cons"` (ed25519). An operator's method, as in Substrate.
	#[method(name = "hasKey")]
	fn has_key(&self, public_key: Bytes, key_type: String) -> RpcResult<bool>;
	/// What became of a submitted extrinsic in a block: its position and its events; null
	/// when the block does not hold exactly these bytes. Whoever holds the signed bytes (its
	/// submitter) may ask, so a wallet learns its own outcome without reading blocks.
	#[method(name = "extrinsicOutcome")]
	fn extrinsic_outcome(
		&self,
		extrinsic: Bytes,
		block: H256,
	) -> RpcResult<Option<ExtrinsicOutcome>>;
}

/// What became of an extrinsic, as `author_extrinsicOutcome` answers it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExtrinsicOutcome {
	/// The block's number.
	pub block_number: u32,
	/// The extrinsic's position in the block.
	pub index: u32,
	/// Its events, SCALE-encoded as `System::Events` holds them (`Vec<EventRecord>`).
	pub events: Bytes,
}

/// `payment_*`: what a transaction costs, as a fee-charging chain answers it. The chain is
/// feeless: weight and class are the runtime's, every fee is zero.
#[rpc(server, client, namespace = "payment")]
pub trait PaymentApi {
	/// A transaction's weight, class and partial fee (zero).
	#[method(name = "queryInfo")]
	fn query_info(&self, extrinsic: Bytes, at: Option<H256>) -> RpcResult<DispatchInfoAnswer>;
	/// The parts of a transaction's fee (each zero).
	#[method(name = "queryFeeDetails")]
	fn query_fee_details(&self, extrinsic: Bytes, at: Option<H256>) -> RpcResult<FeeDetailsAnswer>;
}

/// A validator as the consensus RPC reports it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ValidatorInfo {
	/// Its ed25519 consensus key, 0x-hex.
	pub key: String,
	/// The organization that runs it.
	pub org: u32,
}

/// The validators of the next block, and the change governance announced, if any.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidatorSetInfo {
	/// The block these are read after.
	pub at: H256,
	/// Who decides the next block.
	pub validators: Vec<ValidatorInfo>,
	/// The announced set and the first block it decides.
	pub scheduled: Option<ScheduledSetInfo>,
}

/// An announced validator set.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ScheduledSetInfo {
	/// The first block it decides.
	pub at: u32,
	/// The set.
	pub validators: Vec<ValidatorInfo>,
}

/// How a finalized block was decided.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CommitInfo {
	/// The block's number.
	pub number: u32,
	/// The block's hash.
	pub hash: H256,
	/// The consensus round that decided it (0 unless earlier rounds failed).
	pub round: i64,
	/// The consensus keys of the validators whose precommits are in its certificate, 0x-hex.
	pub signers: Vec<String>,
}

/// Carechain's own queries: records, consent, and consensus.
#[rpc(server, client)]
pub trait CarechainApi {
	/// The validators that decide the block after `at` (the finalized head when not given),
	/// and the change to them that governance announced.
	#[method(name = "consensus_validators")]
	fn consensus_validators(&self, at: Option<H256>) -> RpcResult<ValidatorSetInfo>;
	/// How finalized block `number` was decided: its round and the validators that signed its
	/// commit; null when there is no such block yet.
	#[method(name = "consensus_commit")]
	fn consensus_commit(&self, number: u32) -> RpcResult<Option<CommitInfo>>;
	/// A patient's records, a page at a time, SCALE-encoded as the runtime's
	/// `RecordsApi::records_by_patient` returns them. With authentication on, the patient and
	/// guardians get the whole page; anyone else only the records the chain lets them read
	/// (consent, authorship, break-glass), the page refused when it holds none, and each answer
	/// is in the node's accounting (`consent_nodeDisclosures`).
	#[method(name = "records_byPatient", with_extensions)]
	fn records_by_patient(
		&self,
		patient: AccountId,
		start: u32,
		count: u32,
		at: Option<H256>,
	) -> RpcResult<Bytes>;
	/// Whether an accessor may read a record for a purpose now, and on which basis. With
	/// authentication on, the patient and guardians may ask about anyone; others only about
	/// themselves, and get an answer only when they are allowed (a refusal otherwise, which
	/// does not say why).
	#[method(name = "consent_check", with_extensions)]
	fn consent_check(
		&self,
		patient: AccountId,
		accessor: AccountId,
		record: RecordId,
		purpose: Purpose,
		at: Option<H256>,
	) -> RpcResult<Decision>;
	/// The accesses to a patient's records since a moment (HIPAA accounting of disclosures),
	/// SCALE-encoded audit entries. With authentication on, for the patient and guardians
	/// only.
	#[method(name = "consent_accountingOfDisclosures", with_extensions)]
	fn accounting_of_disclosures(
		&self,
		patient: AccountId,
		since: u64,
		at: Option<H256>,
	) -> RpcResult<Bytes>;
	/// The patient-linked reads this node answered to others than the patient and guardians
	/// since a moment (ms since the Unix epoch), oldest first: the node's part of the
	/// accounting of disclosures. With authentication on, for the patient and guardians only.
	#[method(name = "consent_nodeDisclosures", with_extensions)]
	fn node_disclosures(
		&self,
		patient: AccountId,
		since: u64,
	) -> RpcResult<Vec<super::disclosures::NodeDisclosure>>;
}
