//! The implementations of the RPC interface over the node's chain and pool.

mod epcis_reads;
mod fhir_reads;

pub use epcis_reads::{Items, Supply, TooManyItems, Traced, MAX_SCANNED_ITEMS};
pub use fhir_reads::{
	ClaimEntry, ConsentEntry, RecordEntry, RecordsPage, MAX_CLAIM_SCAN, MAX_GRANTEE_SCAN,
	MAX_OWN_SCAN,
};

use super::{
	api::*,
	auth::{self, AuthError},
	disclosures::{DisclosedBy, DisclosureLog, NodeDisclosure},
	fate::{fate, Fate},
};
use crate::{
	client::{decode, ClientError},
	pool::{account_nonce, PoolError},
	service::Node,
};
use carechain_primitives::{Decision, DenialReason, Purpose, RecordId};
use carechain_runtime::{AccountId, Header, Runtime};
use codec::Encode;
use jsonrpsee::{
	core::{async_trait, RpcResult, SubscriptionResult},
	types::{ErrorObject, ErrorObjectOwned},
	Extensions, PendingSubscriptionSink, SubscriptionMessage,
};
use serde_json::{json, Value as Json};
use sp_core::{Bytes, H256};
use sp_state_machine::Backend as _;
use sp_version::RuntimeVersion;
use std::{sync::Arc, time::Duration};
use tokio::sync::broadcast::error::RecvError;

/// The most keys `state_getKeysPaged` returns at once.
const MAX_KEYS_PAGE: u32 = 1000;

/// The most blocks one `state_queryStorage` reads, and the most keys it follows: at most a
/// million reads per call.
const MAX_QUERY_BLOCKS: u32 = 1000;
const MAX_QUERY_KEYS: usize = 1000;
/// How long `state_getStorageSize` may spend summing the values under a prefix.
const SIZE_DEADLINE: std::time::Duration = std::time::Duration::from_secs(1);

/// The key type of the node's consensus key in `author_hasKey` (ed25519).
const CONSENSUS_KEY_TYPE: &str = "cons";

/// Errors of the RPC handlers, with Substrate's codes.
#[derive(Debug, thiserror::Error)]
pub enum RpcError {
	/// A block the caller named is not stored.
	#[error("block {0:?} is not known to this node")]
	UnknownBlock(H256),
	/// A number that is not a valid block number.
	#[error("{0:?} is not a block number: give a number or 0x-prefixed hex below 2^32")]
	BadNumber(String),
	/// Too many keys asked for.
	#[error("count {0} is above the limit of {MAX_KEYS_PAGE} keys per page")]
	TooManyKeys(u32),
	/// The chain failed.
	#[error(transparent)]
	Client(#[from] ClientError),
	/// The pool refused a transaction.
	#[error(transparent)]
	Pool(#[from] PoolError),
	/// A runtime call's input that no runtime call may take (a call nested too deep, too many
	/// bytes).
	#[error(transparent)]
	BadInput(#[from] crate::decode::DecodeError),
	/// One of Substrate's unsafe methods, called on a node whose RPC listens beyond loopback.
	#[error("{0} is an operator's method (one of Substrate's unsafe methods) and this node serves RPC beyond loopback: call it on the node's own machine, through an RPC port that listens on loopback only")]
	OperatorOnly(&'static str),
	/// A `state_queryStorage` range that is not a range of this chain's blocks.
	#[error(
		"block {to:?} (#{to_number}) is before block {from:?} (#{from_number}): give `from` first"
	)]
	BadRange {
		/// The first block asked for.
		from: H256,
		/// Its number.
		from_number: u32,
		/// The last block asked for.
		to: H256,
		/// Its number.
		to_number: u32,
	},
	/// A `state_queryStorage` range longer than one call reads.
	#[error("the range holds {blocks} blocks, above the limit of {MAX_QUERY_BLOCKS} per call: query it in parts")]
	TooManyBlocks {
		/// Blocks in the range.
		blocks: u64,
	},
	/// More keys than one `state_queryStorage` follows.
	#[error(
		"{0} keys asked for, above the limit of {MAX_QUERY_KEYS} per call: query them in parts"
	)]
	TooManyQueryKeys(usize),
	/// Summing the values under a prefix took longer than the node allows one call.
	#[error(
		"the values under this prefix could not be summed within {} ms ({keys} keys so far): \
		 ask for a longer prefix",
		SIZE_DEADLINE.as_millis()
	)]
	PrefixTooLarge {
		/// The keys summed when the time ran out.
		keys: u64,
	},
	/// A read the node could not enter in its accounting of disclosures, so it did not answer.
	#[error("this read could not be entered in the node's accounting of disclosures ({0}), so it was not answered: retry")]
	NotAccounted(String),
	/// The peer-to-peer network could not list its peers.
	#[error(transparent)]
	Peers(#[from] crate::consensus::peers::PeersError),
}

impl From<RpcError> for ErrorObjectOwned {
	fn from(error: RpcError) -> Self {
		let code = match &error {
			RpcError::UnknownBlock(_) => 4001,
			RpcError::BadNumber(_)
			| RpcError::TooManyKeys(_)
			| RpcError::BadInput(_)
			| RpcError::BadRange { .. }
			| RpcError::TooManyBlocks { .. }
			| RpcError::TooManyQueryKeys(_)
			| RpcError::PrefixTooLarge { .. } => -32602,
			// Substrate's code for an unsafe method called externally.
			RpcError::OperatorOnly(_) => -32601,
			RpcError::Client(ClientError::Runtime { .. }) => 4002,
			RpcError::Client(_) => 4000,
			RpcError::NotAccounted(_) => 4003,
			// Substrate's base code for its `system_*` errors.
			RpcError::Peers(_) => 2000,
			RpcError::Pool(e) => match e {
				// Substrate's author errors (`sc-rpc-api`).
				PoolError::Decode(_) => 1001,
				PoolError::Invalid(_) => 1010,
				PoolError::Unknown(_) => 1011,
				PoolError::TemporarilyBanned(_) => 1012,
				PoolError::AlreadyImported(_) => 1013,
				PoolError::TooLowPriority => 1014,
				PoolError::Full { .. } => 1016,
				PoolError::TooFarInFuture { .. } => 1021,
				PoolError::Client(_) | PoolError::Closed => 1040,
			},
		};
		// A refused transaction answers as Substrate's pool does: the title tools match in
		// `message`, the sentence for people (why, and what to do) in `data`.
		if let RpcError::Pool(refusal) = &error {
			return ErrorObject::owned(code, pool_title(refusal), Some(error.to_string()));
		}
		ErrorObject::owned(code, error.to_string(), None::<()>)
	}
}

/// The `message` of a pool refusal: Substrate's (`sc-rpc-api`'s author errors) where this node
/// refuses for the same reason.
fn pool_title(refusal: &PoolError) -> &'static str {
	match refusal {
		PoolError::Decode(_) => "Extrinsic has invalid format",
		PoolError::Invalid(_) => "Invalid Transaction",
		PoolError::Unknown(_) => "Unknown Transaction Validity",
		PoolError::TemporarilyBanned(_) => "Transaction is temporarily banned",
		PoolError::AlreadyImported(_) => "Transaction Already Imported",
		PoolError::TooLowPriority => "Priority is too low",
		PoolError::TooFarInFuture { .. } => "The pool is not accepting future transactions",
		PoolError::Full { .. } => "Immediately Dropped",
		PoolError::Client(_) | PoolError::Closed => "Transaction pool unavailable",
	}
}

pub(super) fn err(error: impl Into<RpcError>) -> ErrorObjectOwned {
	error.into().into()
}

/// The RPC handlers, all over one node.
#[derive(Clone)]
pub struct Handlers {
	node: Arc<Node>,
	spec: Arc<crate::chain_spec::ChainSpec>,
	disclosures: Arc<DisclosureLog>,
	local: Arc<LocalNode>,
}

/// What the node says about itself: its consensus identity and whether its RPC port is the
/// operator's own. The default says nothing of itself and refuses the operator's methods.
#[derive(Clone, Debug, Default)]
pub struct LocalNode {
	/// Its libp2p peer id.
	pub peer_id: String,
	/// Its consensus key (ed25519 public key) when it validates.
	pub validator_key: Option<[u8; 32]>,
	/// Whether Substrate's unsafe methods (`system_dryRun`, `state_queryStorage`,
	/// `author_removeExtrinsic`, `author_hasKey`) are served: only when RPC listens on
	/// loopback, as Substrate's `--rpc-methods auto` decides.
	pub operator_methods: bool,
	/// The finalized head's number when the node started.
	pub starting_block: u32,
}

/// Who reads a patient's data through a patient-linked method.
enum Reader {
	/// Authentication is off.
	Anyone,
	/// The patient or one of the patient's guardians.
	PatientOrGuardian,
	/// Another signed-in account: a grantee, if the chain says so.
	Other(AccountId),
}

/// Every purpose of use, to find whether the chain lets an account read a record for any.
const PURPOSES: [Purpose; 5] = [
	Purpose::Treatment,
	Purpose::Payment,
	Purpose::Operations,
	Purpose::Research,
	Purpose::PublicHealth,
];

impl Handlers {
	/// Handlers over `node`, which runs `spec`, with the node's accounting of disclosures in
	/// memory (see [`Self::with_disclosures`]).
	pub fn new(node: Arc<Node>, spec: Arc<crate::chain_spec::ChainSpec>) -> Self {
		let local = LocalNode { starting_block: node.client.head().number, ..Default::default() };
		Self {
			node,
			spec,
			disclosures: Arc::new(DisclosureLog::in_memory()),
			local: Arc::new(local),
		}
	}

	/// The same handlers, saying `local` of the node.
	pub fn with_local_node(self, local: LocalNode) -> Self {
		Self { local: Arc::new(local), ..self }
	}

	/// Refuses `method`, one of Substrate's unsafe methods, unless RPC listens on loopback.
	fn operator_only(&self, method: &'static str) -> Result<(), ErrorObjectOwned> {
		match self.local.operator_methods {
			true => Ok(()),
			false => Err(err(RpcError::OperatorOnly(method))),
		}
	}

	/// The same handlers, with the node's accounting of disclosures in `log`.
	pub fn with_disclosures(self, log: Arc<DisclosureLog>) -> Self {
		Self { disclosures: log, ..self }
	}

	/// The node and the chain spec served, for the modules merged beside these handlers.
	pub fn parts(&self) -> (Arc<Node>, Arc<crate::chain_spec::ChainSpec>) {
		(self.node.clone(), self.spec.clone())
	}

	/// Who calls `method` about `patient`, as the state of block `at` says.
	fn reader(
		&self,
		ext: &Extensions,
		method: &str,
		patient: &AccountId,
		at: H256,
	) -> Result<Reader, ErrorObjectOwned> {
		let caller = auth::caller(ext);
		let Some(account) = caller.account(method)? else { return Ok(Reader::Anyone) };
		let state = self.node.client.state_at(at).map_err(err)?;
		let follows = crate::registry::is_patient_or_guardian(&state, account, patient)
			.map_err(|e| ErrorObjectOwned::from(AuthError::Chain(e)))?;
		Ok(match follows {
			true => Reader::PatientOrGuardian,
			false => Reader::Other(account.clone()),
		})
	}

	/// Whether the chain lets `accessor` read `record` of `patient` for some purpose at `at`.
	fn may_read(
		&self,
		at: H256,
		patient: &AccountId,
		accessor: &AccountId,
		record: RecordId,
	) -> RpcResult<bool> {
		for purpose in PURPOSES {
			let decision = crate::vault::check_access(
				&self.node.client,
				at,
				patient,
				accessor,
				record,
				purpose,
			)
			.map_err(err)?;
			match decision {
				Decision::Allowed(_) => return Ok(true),
				// No other purpose changes these.
				Decision::Denied(
					DenialReason::UnknownRecord
					| DenialReason::RecordNotOfPatient
					| DenialReason::RecordErased
					| DenialReason::AccessorNotActive,
				) => return Ok(false),
				Decision::Denied(_) => {}
			}
		}
		Ok(false)
	}

	pub(super) fn at(&self, at: Option<H256>) -> Result<H256, ErrorObjectOwned> {
		match at {
			None => Ok(self.node.client.head().hash),
			Some(hash) => match self.node.client.header(hash).map_err(err)? {
				Some(_) => Ok(hash),
				None => Err(err(RpcError::UnknownBlock(hash))),
			},
		}
	}

	pub(super) fn runtime_call(
		&self,
		at: Option<H256>,
		method: &str,
		data: &[u8],
	) -> RpcResult<Vec<u8>> {
		self.node.metrics.rpc_calls.inc();
		let at = self.at(at)?;
		self.node.client.call(at, method, data).map_err(err)
	}
}

async fn forward_headers(pending: PendingSubscriptionSink, node: Arc<Node>) -> SubscriptionResult {
	let mut finalized = node.finalized.subscribe();
	let sink = pending.accept().await?;
	// The current head first, as Substrate does, then each new one.
	sink.send(SubscriptionMessage::from_json(&node.client.head().header)?).await?;
	loop {
		match finalized.recv().await {
			Ok(block) => sink.send(SubscriptionMessage::from_json(&block.header)?).await?,
			Err(RecvError::Lagged(_)) => continue,
			Err(RecvError::Closed) => return Ok(()),
		}
	}
}

#[async_trait]
impl SystemApiServer for Handlers {
	fn chain(&self) -> RpcResult<String> {
		Ok(self.spec.name.clone())
	}

	fn name(&self) -> RpcResult<String> {
		Ok("Carechain Node".into())
	}

	fn version(&self) -> RpcResult<String> {
		Ok(env!("CARGO_PKG_VERSION").into())
	}

	fn properties(&self) -> RpcResult<Json> {
		Ok(self.spec.properties.clone())
	}

	fn health(&self) -> RpcResult<Json> {
		Ok(json!({ "peers": 0, "isSyncing": false, "shouldHavePeers": false }))
	}

	fn chain_type(&self) -> RpcResult<String> {
		Ok(self.spec.chain_type.clone())
	}

	fn account_next_index(&self, account: AccountId) -> RpcResult<u32> {
		let head = self.node.client.head().hash;
		let next = account_nonce(&self.node.client, head, &account).map_err(err)?;
		// Count the account's transactions waiting in the pool, as Substrate does.
		let next = self.node.pool.next_nonce(&account, next);
		Ok(next)
	}

	fn dry_run(&self, extrinsic: Bytes, at: Option<H256>) -> RpcResult<Bytes> {
		self.operator_only("system_dryRun")?;
		self.node.metrics.rpc_calls.inc();
		crate::decode::extrinsic(&extrinsic).map_err(err)?;
		let at = self.at(at)?;
		self.node.client.dry_run(at, &extrinsic).map(Bytes).map_err(err)
	}

	fn local_peer_id(&self) -> RpcResult<String> {
		Ok(self.local.peer_id.clone())
	}

	fn node_roles(&self) -> RpcResult<Vec<String>> {
		let role = if self.local.validator_key.is_some() { "Authority" } else { "Full" };
		Ok(vec![role.into()])
	}

	async fn peers(&self) -> RpcResult<Vec<PeerInfo>> {
		self.operator_only("system_peers")?;
		let peers = self.node.peers.list().await.map_err(|e| err(RpcError::from(e)))?;
		let client = &self.node.client;
		let head = client.head().number;
		Ok(peers
			.into_iter()
			.map(|peer| {
				let best_number = peer.best.and_then(|n| u32::try_from(n).ok());
				PeerInfo {
					peer_id: peer.id,
					roles: if peer.validator { "AUTHORITY" } else { "FULL" }.into(),
					best_hash: best_number
						.filter(|n| *n <= head)
						.and_then(|n| client.hash(n).ok().flatten()),
					best_number,
				}
			})
			.collect())
	}

	fn sync_state(&self) -> RpcResult<SyncState> {
		let head = self.node.client.head().number;
		Ok(SyncState {
			starting_block: self.local.starting_block,
			current_block: head,
			highest_block: head,
		})
	}
}

fn parse_number(number: NumberOrHex) -> Result<u32, RpcError> {
	match number {
		NumberOrHex::Number(n) => u32::try_from(n).map_err(|_| RpcError::BadNumber(n.to_string())),
		NumberOrHex::Hex(hex) => hex
			.strip_prefix("0x")
			.and_then(|digits| u32::from_str_radix(digits, 16).ok())
			.ok_or(RpcError::BadNumber(hex)),
	}
}

#[async_trait]
impl ChainApiServer for Handlers {
	fn block_hash(
		&self,
		number: Option<ListOrValue<NumberOrHex>>,
	) -> RpcResult<ListOrValue<Option<H256>>> {
		let hash = |number: NumberOrHex| -> RpcResult<Option<H256>> {
			let number = parse_number(number).map_err(err)?;
			self.node.client.hash(number).map_err(err)
		};
		match number {
			None => Ok(ListOrValue::Value(Some(self.node.client.head().hash))),
			Some(ListOrValue::Value(number)) => hash(number).map(ListOrValue::Value),
			Some(ListOrValue::List(numbers)) => {
				if numbers.len() > MAX_QUERY_BLOCKS as usize {
					return Err(err(RpcError::TooManyBlocks { blocks: numbers.len() as u64 }));
				}
				numbers.into_iter().map(hash).collect::<RpcResult<_>>().map(ListOrValue::List)
			}
		}
	}

	fn header(&self, hash: Option<H256>) -> RpcResult<Option<Header>> {
		let hash = hash.unwrap_or_else(|| self.node.client.head().hash);
		self.node.client.header(hash).map_err(err)
	}

	fn block(&self, hash: Option<H256>) -> RpcResult<Option<Json>> {
		let hash = hash.unwrap_or_else(|| self.node.client.head().hash);
		let Some(block) = self.node.client.block(hash).map_err(err)? else { return Ok(None) };
		let extrinsics: Vec<Bytes> = block.extrinsics.iter().map(|x| Bytes(x.encode())).collect();
		Ok(Some(json!({
			"block": { "header": block.header, "extrinsics": extrinsics },
			"justifications": null,
		})))
	}

	fn finalized_head(&self) -> RpcResult<H256> {
		Ok(self.node.client.head().hash)
	}

	async fn subscribe_new_heads(&self, pending: PendingSubscriptionSink) -> SubscriptionResult {
		forward_headers(pending, self.node.clone()).await
	}

	async fn subscribe_finalized_heads(
		&self,
		pending: PendingSubscriptionSink,
	) -> SubscriptionResult {
		forward_headers(pending, self.node.clone()).await
	}

	async fn subscribe_all_heads(&self, pending: PendingSubscriptionSink) -> SubscriptionResult {
		forward_headers(pending, self.node.clone()).await
	}
}

#[async_trait]
impl StateApiServer for Handlers {
	fn runtime_version(&self, at: Option<H256>) -> RpcResult<RuntimeVersion> {
		let output = self.runtime_call(at, "Core_version", &[])?;
		decode("Core_version", &output).map_err(err)
	}

	fn metadata(&self, at: Option<H256>) -> RpcResult<Bytes> {
		let output = self.runtime_call(at, "Metadata_metadata", &[])?;
		let metadata: sp_core::OpaqueMetadata =
			decode("Metadata_metadata", &output).map_err(err)?;
		Ok(Bytes(metadata.to_vec()))
	}

	fn storage(&self, key: Bytes, at: Option<H256>) -> RpcResult<Option<Bytes>> {
		let state = self.node.client.state_at(self.at(at)?).map_err(err)?;
		let value = state.storage(&key).map_err(|e| {
			err(ClientError::Runtime { method: "state_getStorage".into(), message: e.to_string() })
		})?;
		Ok(value.map(Bytes))
	}

	fn storage_hash(&self, key: Bytes, at: Option<H256>) -> RpcResult<Option<H256>> {
		// The chain's hasher, as Substrate answers it.
		Ok(self.storage(key, at)?.map(|value| sp_io::hashing::blake2_256(&value).into()))
	}

	async fn storage_size(&self, key: Bytes, at: Option<H256>) -> RpcResult<Option<u64>> {
		let at = self.at(at)?;
		// A prefix walk reads the state for up to a second: it runs on a blocking thread, and
		// no more of them at once than `PREFIX_WALKS` allows; other callers wait their turn
		// without holding a thread.
		let _turn = PREFIX_WALKS.acquire().await.map_err(|e| size_failed(e.to_string()))?;
		let node = self.node.clone();
		let size = tokio::task::spawn_blocking(move || storage_size(&node, &key, at)).await;
		size.map_err(|e| size_failed(e.to_string()))?
	}

	fn query_storage(
		&self,
		keys: Vec<Bytes>,
		from: H256,
		to: Option<H256>,
	) -> RpcResult<Vec<StorageChangeSet>> {
		self.operator_only("state_queryStorage")?;
		if keys.len() > MAX_QUERY_KEYS {
			return Err(err(RpcError::TooManyQueryKeys(keys.len())));
		}
		let client = &self.node.client;
		let number_of = |hash: H256| -> RpcResult<u32> {
			let header = client.header(hash).map_err(err)?;
			header.map(|h| h.number).ok_or_else(|| err(RpcError::UnknownBlock(hash)))
		};
		let to = self.at(to)?;
		let (from_number, to_number) = (number_of(from)?, number_of(to)?);
		// Every stored block is final, so `to` descends from `from` exactly when it is not
		// numbered before it.
		if to_number < from_number {
			return Err(err(RpcError::BadRange { from, from_number, to, to_number }));
		}
		let blocks = u64::from(to_number.saturating_sub(from_number)).saturating_add(1);
		if blocks > u64::from(MAX_QUERY_BLOCKS) {
			return Err(err(RpcError::TooManyBlocks { blocks }));
		}
		let failed = |e: String| {
			err(ClientError::Runtime { method: "state_queryStorage".into(), message: e })
		};
		let mut last: Vec<Option<Bytes>> = vec![None; keys.len()];
		let mut sets = Vec::new();
		for number in from_number..=to_number {
			let block = client.hash(number).map_err(err)?.ok_or_else(|| {
				failed(format!("block #{number} is missing from this node's database"))
			})?;
			let state = client.state_at(block).map_err(err)?;
			let mut changes = Vec::new();
			for (key, last) in keys.iter().zip(last.iter_mut()) {
				let value = state.storage(key).map_err(failed)?.map(Bytes);
				// Every key at the first block, then only those whose value changed.
				if number == from_number || value != *last {
					changes.push((key.clone(), value.clone()));
					*last = value;
				}
			}
			if !changes.is_empty() {
				sets.push(StorageChangeSet { block, changes });
			}
		}
		Ok(sets)
	}

	fn keys_paged(
		&self,
		prefix: Option<Bytes>,
		count: u32,
		start_key: Option<Bytes>,
		at: Option<H256>,
	) -> RpcResult<Vec<Bytes>> {
		if count > MAX_KEYS_PAGE {
			return Err(err(RpcError::TooManyKeys(count)));
		}
		let state = self.node.client.state_at(self.at(at)?).map_err(err)?;
		let prefix = prefix.map(|p| p.0).unwrap_or_default();
		let mut args = sp_state_machine::IterArgs::default();
		args.prefix = Some(&prefix);
		args.start_at = start_key.as_ref().map(|k| &k.0[..]);
		args.start_at_exclusive = true;
		let failed = |e: String| {
			err(ClientError::Runtime { method: "state_getKeysPaged".into(), message: e })
		};
		let mut keys = Vec::new();
		for key in state.keys(args).map_err(failed)? {
			if keys.len() >= count as usize {
				break;
			}
			keys.push(Bytes(key.map_err(failed)?));
		}
		Ok(keys)
	}

	fn query_storage_at(&self, keys: Vec<Bytes>, at: Option<H256>) -> RpcResult<Json> {
		let block = self.at(at)?;
		let changes: Vec<(Bytes, Option<Bytes>)> = keys
			.into_iter()
			.map(|key| Ok((key.clone(), self.storage(key, Some(block))?)))
			.collect::<RpcResult<_>>()?;
		Ok(json!([{ "block": block, "changes": changes }]))
	}

	fn call(&self, method: String, data: Bytes, at: Option<H256>) -> RpcResult<Bytes> {
		// The executor refuses these too; refused here, they are the caller's invalid params
		// rather than a failed runtime call.
		crate::decode::check_runtime_input(&method, &data).map_err(err)?;
		self.runtime_call(at, &method, &data).map(Bytes)
	}

	fn read_proof(&self, keys: Vec<Bytes>, at: Option<H256>) -> RpcResult<Json> {
		let block = self.at(at)?;
		let state = self.node.client.state_at(block).map_err(err)?;
		let proof =
			sp_state_machine::prove_read(state, keys.iter().map(|k| &k.0[..])).map_err(|e| {
				err(ClientError::Runtime {
					method: "state_getReadProof".into(),
					message: e.to_string(),
				})
			})?;
		let nodes: Vec<Bytes> = proof.into_iter_nodes().map(Bytes).collect();
		Ok(json!({ "at": block, "proof": nodes }))
	}

	async fn subscribe_runtime_version(
		&self,
		pending: PendingSubscriptionSink,
	) -> SubscriptionResult {
		let version = self.runtime_version(None)?;
		let sink = pending.accept().await?;
		// The runtime is compiled into the node: its version never changes while it runs.
		sink.send(SubscriptionMessage::from_json(&version)?).await?;
		sink.closed().await;
		Ok(())
	}

	async fn subscribe_storage(
		&self,
		pending: PendingSubscriptionSink,
		ext: &Extensions,
		keys: Option<Vec<Bytes>>,
	) -> SubscriptionResult {
		let keys = keys.unwrap_or_default();
		let live = ext.get::<auth::LiveCaller>().cloned();
		let mut finalized = self.node.finalized.subscribe();
		let sink = pending.accept().await?;
		let mut last: Vec<Option<Bytes>> = vec![None; keys.len()];
		let mut first = true;
		loop {
			// Raw state streams only while the session lasts and its account is a member.
			if let Some(live) = &live {
				live.admits(auth::MethodClass::Members, "state_subscribeStorage")
					.map_err(|e| e.to_string())?;
			}
			let block = self.node.client.head().hash;
			let mut changes = Vec::new();
			for (key, last) in keys.iter().zip(last.iter_mut()) {
				let value = self.storage(key.clone(), Some(block))?;
				if first || value != *last {
					changes.push((key.clone(), value.clone()));
					*last = value;
				}
			}
			if first || !changes.is_empty() {
				let message = json!({ "block": block, "changes": changes });
				sink.send(SubscriptionMessage::from_json(&message)?).await?;
			}
			first = false;
			// Woken at the session's end too, when no block comes before it.
			let session_end = live.as_ref().and_then(auth::LiveCaller::remaining);
			let until_end = session_end.unwrap_or(Duration::from_secs(3600));
			tokio::select! {
				block = finalized.recv() => match block {
					Ok(_) | Err(RecvError::Lagged(_)) => continue,
					Err(RecvError::Closed) => return Ok(()),
				},
				() = tokio::time::sleep(until_end.saturating_add(Duration::from_millis(1))) => continue,
			}
		}
	}
}

/// A failure of `state_getStorageSize` that is the node's, not the caller's.
fn size_failed(message: String) -> ErrorObjectOwned {
	err(ClientError::Runtime { method: "state_getStorageSize".into(), message })
}

/// Prefix walks of `state_getStorageSize` running at once.
static PREFIX_WALKS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// The length of the value at `key` in block `at`; for a key without a value, as Substrate,
/// the sum of the values under it as a prefix (none when there are none), within
/// [`SIZE_DEADLINE`].
fn storage_size(node: &Node, key: &[u8], at: H256) -> RpcResult<Option<u64>> {
	let state = node.client.state_at(at).map_err(err)?;
	if let Some(value) = state.storage(key).map_err(|e| size_failed(e.to_string()))? {
		return Ok(Some(value.len() as u64));
	}
	let deadline = std::time::Instant::now() + SIZE_DEADLINE;
	let mut args = sp_state_machine::IterArgs::default();
	args.prefix = Some(key);
	let (mut keys, mut bytes) = (0u64, 0u64);
	for pair in state.pairs(args).map_err(size_failed)? {
		let (_, value) = pair.map_err(size_failed)?;
		keys = keys.saturating_add(1);
		bytes = bytes.saturating_add(value.len() as u64);
		if keys.is_multiple_of(1024) && std::time::Instant::now() > deadline {
			return Err(err(RpcError::PrefixTooLarge { keys }));
		}
	}
	Ok((keys > 0).then_some(bytes))
}

#[async_trait]
impl AuthorApiServer for Handlers {
	async fn submit_extrinsic(&self, extrinsic: Bytes) -> RpcResult<H256> {
		self.node.metrics.rpc_calls.inc();
		self.node.submitter.submit(extrinsic.0).await.map_err(err)
	}

	async fn submit_and_watch_extrinsic(
		&self,
		pending: PendingSubscriptionSink,
		extrinsic: Bytes,
	) -> SubscriptionResult {
		self.node.metrics.rpc_calls.inc();
		let mut finalized = self.node.finalized.subscribe();
		let mut pool_events = self.node.pool.subscribe();
		let hash = match self.node.submitter.submit(extrinsic.0).await {
			Ok(hash) => hash,
			Err(error) => {
				pending.reject(err(error)).await;
				return Ok(());
			}
		};
		let sink = pending.accept().await?;
		sink.send(SubscriptionMessage::from_json(&"ready")?).await?;
		let status = tokio::select! {
			fate = fate(hash, &mut finalized, &mut pool_events) => match fate {
				Fate::Finalized(at) => {
					sink.send(SubscriptionMessage::from_json(&json!({ "inBlock": at }))?).await?;
					json!({ "finalized": at })
				}
				Fate::Invalid => json!("invalid"),
				// Evicted from a full pool for a lighter sender: it may be submitted again.
				Fate::Dropped => json!("dropped"),
				Fate::Closed => return Ok(()),
			},
			_ = sink.closed() => return Ok(()),
		};
		sink.send(SubscriptionMessage::from_json(&status)?).await?;
		Ok(())
	}

	fn pending_extrinsics(&self) -> RpcResult<Vec<Bytes>> {
		Ok(self.node.pool.pending().iter().map(|tx| Bytes(tx.extrinsic.encode())).collect())
	}

	fn remove_extrinsic(&self, bytes_or_hash: Vec<ExtrinsicOrHash>) -> RpcResult<Vec<H256>> {
		self.operator_only("author_removeExtrinsic")?;
		let hashes: Vec<H256> = bytes_or_hash
			.into_iter()
			.map(|named| match named {
				ExtrinsicOrHash::Hash(hash) => hash,
				ExtrinsicOrHash::Extrinsic(bytes) => crate::client::extrinsic_hash(&bytes),
			})
			.collect();
		Ok(self.node.pool.remove_and_ban(&hashes))
	}

	fn has_key(&self, public_key: Bytes, key_type: String) -> RpcResult<bool> {
		self.operator_only("author_hasKey")?;
		let own = self.local.validator_key.is_some_and(|key| key[..] == public_key[..]);
		Ok(key_type == CONSENSUS_KEY_TYPE && own)
	}

	fn extrinsic_outcome(
		&self,
		extrinsic: Bytes,
		block: H256,
	) -> RpcResult<Option<ExtrinsicOutcome>> {
		self.node.metrics.rpc_calls.inc();
		let Some(body) = self.node.client.block(block).map_err(err)? else { return Ok(None) };
		let Some(index) = body.extrinsics.iter().position(|x| x.encode() == extrinsic.0) else {
			return Ok(None);
		};
		let index = u32::try_from(index).unwrap_or(u32::MAX);
		let state = self.node.client.state_at(block).map_err(err)?;
		let events: Vec<frame_system::EventRecord<carechain_runtime::RuntimeEvent, H256>> =
			crate::registry::storage(&state, crate::client::events_key())
				.map_err(|message| {
					err(ClientError::Runtime { method: "author_extrinsicOutcome".into(), message })
				})?
				.unwrap_or_default();
		let own: Vec<_> = events
			.into_iter()
			.filter(|e| e.phase == frame_system::Phase::ApplyExtrinsic(index))
			.collect();
		Ok(Some(ExtrinsicOutcome {
			block_number: body.header.number,
			index,
			events: Bytes(own.encode()),
		}))
	}
}

impl Handlers {
	/// Calls a fee query of the runtime with `extrinsic` and its length, as Substrate's
	/// `payment_*` methods do.
	fn payment_call(&self, method: &str, extrinsic: Bytes, at: Option<H256>) -> RpcResult<Vec<u8>> {
		let len = u32::try_from(extrinsic.len()).unwrap_or(u32::MAX);
		let mut input = extrinsic.0;
		len.encode_to(&mut input);
		// Refused here, a malformed or too deeply nested extrinsic is the caller's invalid
		// params rather than a failed runtime call.
		crate::decode::check_runtime_input(method, &input).map_err(err)?;
		self.runtime_call(at, method, &input)
	}
}

impl PaymentApiServer for Handlers {
	fn query_info(&self, extrinsic: Bytes, at: Option<H256>) -> RpcResult<DispatchInfoAnswer> {
		const METHOD: &str = "TransactionPaymentApi_query_info";
		let output = self.payment_call(METHOD, extrinsic, at)?;
		decode(METHOD, &output).map_err(err)
	}

	fn query_fee_details(&self, extrinsic: Bytes, at: Option<H256>) -> RpcResult<FeeDetailsAnswer> {
		use pallet_transaction_payment_rpc_runtime_api::{FeeDetails, InclusionFee};
		const METHOD: &str = "TransactionPaymentApi_query_fee_details";
		let output = self.payment_call(METHOD, extrinsic, at)?;
		let details: FeeDetails<carechain_runtime::Balance> =
			decode(METHOD, &output).map_err(err)?;
		Ok(FeeDetails {
			inclusion_fee: details.inclusion_fee.map(|fee| InclusionFee {
				base_fee: fee.base_fee.into(),
				len_fee: fee.len_fee.into(),
				adjusted_weight_fee: fee.adjusted_weight_fee.into(),
			}),
			tip: details.tip.into(),
		})
	}
}

fn validator_info(
	validators: impl IntoIterator<Item = pallet_registry::Validator>,
) -> Vec<ValidatorInfo> {
	validators
		.into_iter()
		.map(|v| ValidatorInfo { key: format!("0x{}", hex::encode(v.key)), org: v.org })
		.collect()
}

impl CarechainApiServer for Handlers {
	fn consensus_validators(&self, at: Option<H256>) -> RpcResult<ValidatorSetInfo> {
		self.node.metrics.rpc_calls.inc();
		let at = self.at(at)?;
		let client = &self.node.client;
		let validators = validator_info(client.validators(at).map_err(err)?);
		let scheduled = client
			.scheduled_validators(at)
			.map_err(err)?
			.map(|s| ScheduledSetInfo { at: s.at, validators: validator_info(s.validators) });
		Ok(ValidatorSetInfo { at, validators, scheduled })
	}

	fn consensus_commit(&self, number: u32) -> RpcResult<Option<CommitInfo>> {
		self.node.metrics.rpc_calls.inc();
		let client = &self.node.client;
		let (Some(hash), Some(record)) =
			(client.hash(number).map_err(err)?, client.certificate(number).map_err(err)?)
		else {
			return Ok(None);
		};
		let decided = crate::consensus::wire::decode_decided(&record).map_err(|e| {
			err(ClientError::Runtime {
				method: "consensus_commit".into(),
				message: format!("the stored certificate of #{number} does not decode: {e:?}"),
			})
		})?;
		let certificate = decided.certificate;
		Ok(Some(CommitInfo {
			number,
			hash,
			round: certificate.round.as_i64(),
			signers: certificate
				.commit_signatures
				.iter()
				.map(|s| format!("0x{}", hex::encode(s.address.0)))
				.collect(),
		}))
	}

	fn records_by_patient(
		&self,
		ext: &Extensions,
		patient: AccountId,
		start: u32,
		count: u32,
		at: Option<H256>,
	) -> RpcResult<Bytes> {
		let at = self.at(at)?;
		let reader = self.reader(ext, "records_byPatient", &patient, at)?;
		let input = (&patient, start, count).encode();
		const METHOD: &str = "RecordsApi_records_by_patient";
		let output = self.runtime_call(Some(at), METHOD, &input)?;
		let Reader::Other(accessor) = reader else { return Ok(Bytes(output)) };
		let page: Vec<(RecordId, pallet_records::Record<Runtime>)> =
			decode(METHOD, &output).map_err(err)?;
		let mut readable = Vec::with_capacity(page.len());
		for (id, record) in page {
			if self.may_read(at, &patient, &accessor, id)? {
				readable.push((id, record));
			}
		}
		if readable.is_empty() {
			return Err(AuthError::NotEntitled {
				account: accessor,
				patient,
				what: "list records (none in this page is yours to read)",
			}
			.into());
		}
		self.disclosures
			.append(NodeDisclosure {
				at: auth::now_ms(),
				patient,
				accessor,
				method: DisclosedBy::RecordsByPatient,
				records: readable.iter().map(|(id, _)| *id).collect(),
			})
			.map_err(ErrorObjectOwned::from)?;
		Ok(Bytes(readable.encode()))
	}

	fn consent_check(
		&self,
		ext: &Extensions,
		patient: AccountId,
		accessor: AccountId,
		record: RecordId,
		purpose: Purpose,
		at: Option<H256>,
	) -> RpcResult<Decision> {
		self.node.metrics.rpc_calls.inc();
		let at = self.at(at)?;
		let reader = self.reader(ext, "consent_check", &patient, at)?;
		let decision = |accessor: &AccountId| {
			crate::vault::check_access(&self.node.client, at, &patient, accessor, record, purpose)
				.map_err(err)
		};
		match reader {
			Reader::Anyone | Reader::PatientOrGuardian => decision(&accessor),
			// Others learn only their own allowed accesses: a denial's reason would tell whose
			// record it is.
			Reader::Other(caller) if caller != accessor => Err(AuthError::NotEntitled {
				account: caller,
				patient,
				what: "ask about another account's access to the records",
			}
			.into()),
			Reader::Other(caller) => match decision(&caller)? {
				allowed @ Decision::Allowed(_) => Ok(allowed),
				Decision::Denied(_) => Err(AuthError::NotEntitled {
					account: caller,
					patient,
					what: "read this record for this purpose",
				}
				.into()),
			},
		}
	}

	fn accounting_of_disclosures(
		&self,
		ext: &Extensions,
		patient: AccountId,
		since: u64,
		at: Option<H256>,
	) -> RpcResult<Bytes> {
		let at = self.at(at)?;
		if let Reader::Other(account) =
			self.reader(ext, "consent_accountingOfDisclosures", &patient, at)?
		{
			let what = "read the accounting of disclosures";
			return Err(AuthError::NotEntitled { account, patient, what }.into());
		}
		let input = (patient, since).encode();
		self.runtime_call(Some(at), "ConsentApi_accounting_of_disclosures", &input).map(Bytes)
	}

	fn node_disclosures(
		&self,
		ext: &Extensions,
		patient: AccountId,
		since: u64,
	) -> RpcResult<Vec<NodeDisclosure>> {
		let at = self.node.client.head().hash;
		if let Reader::Other(account) = self.reader(ext, "consent_nodeDisclosures", &patient, at)? {
			let what = "read the node's accounting of disclosures";
			return Err(AuthError::NotEntitled { account, patient, what }.into());
		}
		self.disclosures.of_patient(&patient, since).map_err(|e| err(RpcError::NotAccounted(e)))
	}
}
