//! The record vault a node serves: ciphertext in a blob store, handed out only to callers
//! who prove control of their account and whom the chain allows, and destroyed when the chain
//! erases the record.
//!
//! - `vault_challenge` gives a single-use challenge that expires (default 2 minutes).
//! - `vault_put` stores a blob if its blake2b-256 and size match a record, or a record still
//!   waiting in the pool, of the uploader (its author or its patient), signed over the
//!   challenge. The uploader may deposit the data key wrapped for members of its own
//!   organization, whom the chain carries no key for.
//! - `vault_get` returns the ciphertext and the caller's wrapped key to a caller who signed
//!   the challenge, whom pallet-consent allows for the stated purpose (consent, authorship,
//!   ownership or an open break-glass session), and whose read of that record for that purpose
//!   is on chain in a block after the challenge (`records.log_access`): every get is matched
//!   by its own audit entry, and one entry serves one get.
//! - [`spawn_eraser`] deletes the blob and the keys of every record erased in a finalized
//!   block.

use crate::{
	client::{ClientError, State},
	service::Node,
};
use carechain_primitives::{AccessBasis, AuditAction, Decision, DenialReason, Purpose, RecordId};
use carechain_runtime::{AccountId, Runtime, RuntimeCall, RuntimeEvent};
use carechain_vault::{access, BlobStore, StoreError};
use codec::{Decode, Encode};
use jsonrpsee::{
	core::{async_trait, RpcResult},
	proc_macros::rpc,
	types::{ErrorObject, ErrorObjectOwned},
};
use parking_lot::Mutex;
use rand::RngCore;
use sp_core::{ed25519, sr25519, Bytes, H256};
use sp_runtime::{traits::Verify, MultiSignature};
use sp_state_machine::Backend as _;
use std::{
	collections::{HashMap, HashSet, VecDeque},
	sync::Arc,
	time::{Duration, Instant},
};

/// Limits of a vault.
#[derive(Clone, Debug)]
pub struct VaultSettings {
	/// The largest blob accepted, in bytes.
	pub max_blob_bytes: usize,
	/// How long a challenge stays valid.
	pub challenge_ttl: Duration,
	/// The most challenges outstanding at once; the oldest go first beyond it.
	pub max_challenges: usize,
}

impl Default for VaultSettings {
	fn default() -> Self {
		Self {
			max_blob_bytes: 16 << 20,
			challenge_ttl: Duration::from_secs(120),
			max_challenges: 100_000,
		}
	}
}

/// Why a vault request was refused. Each message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
	/// A challenge this node never issued, or one dropped to make room.
	#[error("unknown challenge: ask vault_challenge for a fresh one")]
	ChallengeUnknown,
	/// A challenge past its lifetime.
	#[error("challenge expired: ask vault_challenge for a fresh one and use it within {0:?}")]
	ChallengeExpired(Duration),
	/// A challenge already used: a replay.
	#[error("challenge already used: every request needs a fresh challenge")]
	ChallengeUsed,
	/// A challenge issued to another account.
	#[error("challenge was issued to another account: ask for one as {0}")]
	ChallengeNotYours(AccountId),
	/// The signature does not verify.
	#[error("signature does not verify for {0} over this request and challenge: sign the exact message of carechain_vault::access (sr25519 or ed25519)")]
	BadSignature(AccountId),
	/// A blob above the size limit.
	#[error("blob of {size} bytes is above this vault's limit of {limit} bytes")]
	TooLarge {
		/// Its size.
		size: usize,
		/// The limit.
		limit: usize,
	},
	/// No record of the uploader names this blob.
	#[error("no record or pending record of {uploader} has content hash {hash:?} and size {size}: submit records.create_record (or amend_record) first, and name the record once it is in a block")]
	NoMatchingRecord {
		/// The uploader.
		uploader: AccountId,
		/// The blob's blake2b-256.
		hash: H256,
		/// Its size.
		size: usize,
	},
	/// A named record whose hash or size differ from the blob.
	#[error("record {record:?} has content hash {expected:?} and size {expected_size}; the blob has {actual:?} and {actual_size}")]
	RecordMismatch {
		/// The record.
		record: RecordId,
		/// Its content hash.
		expected: H256,
		/// Its size.
		expected_size: u64,
		/// The blob's hash.
		actual: H256,
		/// The blob's size.
		actual_size: usize,
	},
	/// The uploader is neither the record's author nor its patient.
	#[error("{0} is neither the author nor the patient of record {1:?}")]
	NotUploader(AccountId, RecordId),
	/// A deposited key that is malformed or for someone the uploader may not name.
	#[error("wrapped key for {recipient}: {reason}")]
	BadKey {
		/// Its recipient.
		recipient: AccountId,
		/// What is wrong.
		reason: &'static str,
	},
	/// The record is not on chain.
	#[error("record {0:?} is not on chain")]
	UnknownRecord(RecordId),
	/// The record was erased: its blob and keys are gone for good.
	#[error(
		"record {0:?} was erased: its blob and keys are destroyed, only the tombstone remains"
	)]
	RecordErased(RecordId),
	/// The chain does not allow the access.
	#[error("access denied: {}", explain(.0))]
	Denied(DenialReason),
	/// No unused audit entry of this read after the challenge.
	#[error("no on-chain audit entry of this read: after taking the challenge, submit records.log_access({record:?}, {purpose:?}) and wait for its block, then ask again with the same challenge")]
	NotAudited {
		/// The record.
		record: RecordId,
		/// The purpose.
		purpose: Purpose,
	},
	/// This vault holds no copy of the blob.
	#[error("this vault holds no copy of blob {0:?}: its author has not uploaded it here; try another vault")]
	BlobMissing(H256),
	/// The store failed or holds a corrupted copy.
	#[error(transparent)]
	Store(#[from] StoreError),
	/// The chain could not be read.
	#[error("chain: {0}")]
	Chain(String),
}

impl From<ClientError> for VaultError {
	fn from(error: ClientError) -> Self {
		VaultError::Chain(error.to_string())
	}
}

fn explain(reason: &DenialReason) -> &'static str {
	match reason {
		DenialReason::UnknownRecord => "the record is not on chain",
		DenialReason::RecordNotOfPatient => "the record belongs to another patient",
		DenialReason::RecordErased => "the record was erased",
		DenialReason::AccessorNotActive =>
			"you are not an active member of a consortium organization, nor the patient or a guardian",
		DenialReason::NoConsent => "no consent of the patient names you or your organization",
		DenialReason::ConsentExpired => "the patient's consent has expired",
		DenialReason::PurposeNotPermitted => "the consent does not allow this purpose of use",
		DenialReason::OutOfScope => "the consent does not cover this record",
	}
}

impl VaultError {
	/// The JSON-RPC error code.
	pub fn code(&self) -> i32 {
		match self {
			VaultError::ChallengeUnknown => 6001,
			VaultError::ChallengeExpired(_) => 6002,
			VaultError::ChallengeUsed => 6003,
			VaultError::ChallengeNotYours(_) => 6004,
			VaultError::BadSignature(_) => 6005,
			VaultError::TooLarge { .. } => 6010,
			VaultError::NoMatchingRecord { .. } => 6011,
			VaultError::RecordMismatch { .. } => 6012,
			VaultError::NotUploader(..) => 6013,
			VaultError::BadKey { .. } => 6014,
			VaultError::UnknownRecord(_) => 6020,
			VaultError::RecordErased(_) => 6021,
			VaultError::Denied(_) => 6022,
			VaultError::NotAudited { .. } => 6023,
			VaultError::BlobMissing(_) => 6024,
			VaultError::Store(StoreError::Corrupted { .. }) => 6030,
			VaultError::Store(_) => 6031,
			VaultError::Chain(_) => 6032,
		}
	}
}

impl From<VaultError> for ErrorObjectOwned {
	fn from(error: VaultError) -> Self {
		let data = match &error {
			VaultError::Denied(reason) => Some(serde_json::json!({ "reason": reason })),
			_ => None,
		};
		ErrorObject::owned(error.code(), error.to_string(), data)
	}
}

/// Outstanding challenges, and their ids in the order issued. Every challenge lives the same
/// time, so the order issued is the order they expire in.
#[derive(Default)]
struct Challenges {
	by_id: HashMap<[u8; 32], Challenge>,
	issued: VecDeque<[u8; 32]>,
}

struct Challenge {
	account: AccountId,
	/// The finalized head when it was issued: the audit entry must come after it.
	block: u32,
	expires: Instant,
	used: bool,
}

/// A challenge as `vault_challenge` answers it.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChallengeGrant {
	/// The 32 bytes to sign into a request.
	pub challenge: H256,
	/// The finalized head it was issued at.
	pub block: u32,
	/// Milliseconds it stays valid.
	pub expires_in_ms: u64,
}

/// A `vault_put` request.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PutRequest {
	/// Who uploads: the record's author or patient.
	pub uploader: AccountId,
	/// The record, once it is in a block; `None` while it waits in the pool.
	pub record: Option<RecordId>,
	/// The sealed payload.
	pub ciphertext: Bytes,
	/// Data keys wrapped for members of the uploader's organization.
	#[serde(default)]
	pub keys: Vec<(AccountId, Bytes)>,
	/// The challenge.
	pub challenge: H256,
	/// The uploader's signature over `access::put_message(challenge, blake2b-256(ciphertext))`:
	/// 64 bytes (sr25519 or ed25519) or a SCALE `MultiSignature`.
	pub signature: Bytes,
}

/// What `vault_put` stored.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PutReceipt {
	/// The blob's id.
	pub content_hash: H256,
	/// Its size.
	pub size: u64,
	/// Its locator in this vault.
	pub locator: String,
	/// Wrapped keys deposited.
	pub keys: u32,
}

/// A `vault_get` request.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetRequest {
	/// Who reads.
	pub accessor: AccountId,
	/// The record version.
	pub record: RecordId,
	/// Why.
	pub purpose: Purpose,
	/// The challenge.
	pub challenge: H256,
	/// The accessor's signature over `access::get_message(challenge, record, purpose)`.
	pub signature: Bytes,
}

/// What `vault_get` returns.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetResponse {
	/// The record version.
	pub record: RecordId,
	/// The sealed payload.
	pub ciphertext: Bytes,
	/// Its blake2b-256, checked against the chain.
	pub content_hash: H256,
	/// The data key wrapped for the caller, when the chain or this vault holds one.
	pub wrapped_key: Option<Bytes>,
	/// Why the chain allowed the access.
	pub basis: AccessBasis,
	/// The index of the audit entry in the patient's audit trail that this read used.
	pub audit_index: u64,
}

/// A node's vault.
pub struct Vault {
	node: Arc<Node>,
	store: Arc<dyn BlobStore>,
	settings: VaultSettings,
	challenges: Mutex<Challenges>,
	/// Audit entries (patient, index) that already served a get.
	served: Mutex<HashSet<(AccountId, u64)>>,
}

impl Vault {
	/// A vault over `store`, checking requests against `node`'s chain.
	pub fn new(node: Arc<Node>, store: Arc<dyn BlobStore>, settings: VaultSettings) -> Arc<Self> {
		Arc::new(Self {
			node,
			store,
			settings,
			challenges: Mutex::default(),
			served: Mutex::default(),
		})
	}

	/// The store it keeps blobs in.
	pub fn store(&self) -> &Arc<dyn BlobStore> {
		&self.store
	}

	/// Issues a challenge to `account`.
	pub fn challenge(&self, account: AccountId) -> ChallengeGrant {
		let mut bytes = [0u8; 32];
		rand::rngs::OsRng.fill_bytes(&mut bytes);
		let block = self.node.client.head().number;
		let now = Instant::now();
		let mut challenges = self.challenges.lock();
		let Challenges { by_id, issued } = &mut *challenges;
		// Drop the expired, then the oldest beyond the limit: both at the front.
		while let Some(oldest) = issued.front() {
			let expired = by_id.get(oldest).is_none_or(|c| c.expires <= now);
			if !expired && by_id.len() < self.settings.max_challenges {
				break;
			}
			by_id.remove(oldest);
			issued.pop_front();
		}
		let expires = now + self.settings.challenge_ttl;
		by_id.insert(bytes, Challenge { account, block, expires, used: false });
		issued.push_back(bytes);
		ChallengeGrant {
			challenge: H256(bytes),
			block,
			expires_in_ms: self.settings.challenge_ttl.as_millis() as u64,
		}
	}

	/// Checks `signature` by `account` over `message` made from `challenge`, and uses the
	/// challenge up. Returns the block it was issued at.
	fn redeem(
		&self,
		challenge: &H256,
		account: &AccountId,
		message: &[u8],
		signature: &[u8],
	) -> Result<u32, VaultError> {
		let mut challenges = self.challenges.lock();
		let entry = challenges.by_id.get_mut(&challenge.0).ok_or(VaultError::ChallengeUnknown)?;
		if entry.expires <= Instant::now() {
			return Err(VaultError::ChallengeExpired(self.settings.challenge_ttl));
		}
		if entry.used {
			return Err(VaultError::ChallengeUsed);
		}
		if entry.account != *account {
			return Err(VaultError::ChallengeNotYours(entry.account.clone()));
		}
		if !verify_signature(account, message, signature) {
			return Err(VaultError::BadSignature(account.clone()));
		}
		entry.used = true;
		Ok(entry.block)
	}

	/// Puts the challenge back after a refusal that was not the caller's signature's fault
	/// (the audit entry is not in a block yet), so the same signed request can be retried.
	fn unredeem(&self, challenge: &H256) {
		if let Some(entry) = self.challenges.lock().by_id.get_mut(&challenge.0) {
			entry.used = false;
		}
	}

	/// Stores a blob; see the module documentation.
	pub async fn put(&self, request: PutRequest) -> Result<PutReceipt, VaultError> {
		let size = request.ciphertext.len();
		if size > self.settings.max_blob_bytes {
			return Err(VaultError::TooLarge { size, limit: self.settings.max_blob_bytes });
		}
		let hash = H256(carechain_vault::content_hash(&request.ciphertext));
		let message = access::put_message(&request.challenge.0, &hash.0);
		self.redeem(&request.challenge, &request.uploader, &message, &request.signature)?;

		let state = self.node.client.state_at(self.node.client.head().hash)?;
		match request.record {
			Some(record_id) => {
				let record = Self::record(&state, &record_id)?
					.ok_or(VaultError::UnknownRecord(record_id))?;
				if record.status == pallet_records::RecordStatus::Erased {
					return Err(VaultError::RecordErased(record_id));
				}
				if record.content_hash != hash || record.size != size as u64 {
					return Err(VaultError::RecordMismatch {
						record: record_id,
						expected: record.content_hash,
						expected_size: record.size,
						actual: hash,
						actual_size: size,
					});
				}
				if record.author != request.uploader && record.patient != request.uploader {
					return Err(VaultError::NotUploader(request.uploader, record_id));
				}
			}
			None => {
				if !self.pending_record_of(&request.uploader, &hash, size as u64) {
					return Err(VaultError::NoMatchingRecord {
						uploader: request.uploader,
						hash,
						size,
					});
				}
			}
		}

		let uploader_org = Self::membership(&state, &request.uploader)?.map(|m| m.org);
		let mut keys = Vec::with_capacity(request.keys.len());
		for (recipient, wrapped) in request.keys {
			if wrapped.len() != carechain_vault::envelope::WRAPPED_KEY_LEN {
				return Err(VaultError::BadKey {
					recipient,
					reason: "a wrapped key is 80 bytes (HPKE X25519 encapsulation and sealed key)",
				});
			}
			let same_org = uploader_org.is_some()
				&& Self::membership(&state, &recipient)?.map(|m| m.org) == uploader_org;
			if !same_org {
				return Err(VaultError::BadKey {
					recipient,
					reason: "keys may be deposited only for members of the uploader's organization; share with others through a consent",
				});
			}
			keys.push((recipient, wrapped));
		}

		self.store.put(hash.0, request.ciphertext.0.into()).await?;
		for (recipient, wrapped) in &keys {
			self.store.put_key(&hash.0, &account_bytes(recipient), wrapped.0.clone()).await?;
		}
		tracing::info!("Vault: stored blob {} ({size} bytes)", crate::service::short(&hash));
		Ok(PutReceipt {
			content_hash: hash,
			size: size as u64,
			locator: format!("cas:{hash:?}"),
			keys: keys.len() as u32,
		})
	}

	/// Serves a blob; see the module documentation.
	pub async fn get(&self, request: GetRequest) -> Result<GetResponse, VaultError> {
		let message = access::get_message(&request.challenge.0, &request.record, request.purpose);
		let issued_at =
			self.redeem(&request.challenge, &request.accessor, &message, &request.signature)?;
		let result = self.serve(&request, issued_at).await;
		if matches!(result, Err(VaultError::NotAudited { .. })) {
			self.unredeem(&request.challenge);
		}
		result
	}

	async fn serve(&self, request: &GetRequest, issued_at: u32) -> Result<GetResponse, VaultError> {
		let record_id = request.record;
		let (record, basis, audit_index, on_chain_key) = {
			let at = self.node.client.head().hash;
			let state = self.node.client.state_at(at)?;
			let record =
				Self::record(&state, &record_id)?.ok_or(VaultError::UnknownRecord(record_id))?;
			if record.status == pallet_records::RecordStatus::Erased {
				return Err(VaultError::RecordErased(record_id));
			}
			let decision = check_access(
				&self.node.client,
				at,
				&record.patient,
				&request.accessor,
				record_id,
				request.purpose,
			)?;
			let basis = match decision {
				Decision::Allowed(basis) => basis,
				Decision::Denied(reason) => return Err(VaultError::Denied(reason)),
			};
			let audit_index = self
				.claim_audit_entry(&state, &record.patient, request, issued_at)?
				.ok_or(VaultError::NotAudited { record: record_id, purpose: request.purpose })?;
			let on_chain_key = match basis {
				AccessBasis::Patient | AccessBasis::Guardian => {
					Ok(Some(record.patient_key.to_vec()))
				}
				AccessBasis::Consent(consent) => Self::storage::<Vec<u8>>(
					&state,
					pallet_consent::GrantedKeys::<Runtime>::hashed_key_for(consent, record_id),
				),
				AccessBasis::AuthorOrganization | AccessBasis::BreakGlass(_) => Ok(None),
			};
			(record, basis, audit_index, on_chain_key)
		};

		// An entry is spent only by a read that returns the record.
		let result = match on_chain_key {
			Ok(key) => self.fetch(&record, &request.accessor, key).await,
			Err(e) => Err(e),
		};
		if result.is_err() {
			self.served.lock().remove(&(record.patient.clone(), audit_index));
		}
		let (ciphertext, wrapped_key) = result?;
		Ok(GetResponse {
			record: record_id,
			ciphertext: Bytes(ciphertext),
			content_hash: record.content_hash,
			wrapped_key: wrapped_key.map(Bytes),
			basis,
			audit_index,
		})
	}

	/// The blob of `record`, and the data key wrapped for `accessor`: `on_chain_key` when the
	/// chain carries one for the access basis, else one deposited in this vault.
	async fn fetch(
		&self,
		record: &pallet_records::Record<Runtime>,
		accessor: &AccountId,
		on_chain_key: Option<Vec<u8>>,
	) -> Result<(Vec<u8>, Option<Vec<u8>>), VaultError> {
		let ciphertext = self
			.store
			.get(&record.content_hash.0)
			.await?
			.ok_or(VaultError::BlobMissing(record.content_hash))?;
		let wrapped_key = match on_chain_key {
			Some(key) => Some(key),
			None => self.store.key(&record.content_hash.0, &account_bytes(accessor)).await?,
		};
		Ok((ciphertext.to_vec(), wrapped_key))
	}

	/// Finds, in the patient's audit trail, an entry of this read in a block after `issued_at`
	/// that served no get yet, and marks it served.
	fn claim_audit_entry(
		&self,
		state: &State,
		patient: &AccountId,
		request: &GetRequest,
		issued_at: u32,
	) -> Result<Option<u64>, VaultError> {
		let length: u64 =
			Self::storage(state, pallet_consent::AuditLength::<Runtime>::hashed_key_for(patient))?
				.unwrap_or(0);
		let mut served = self.served.lock();
		for index in (0..length).rev() {
			let Some(entry) = Self::storage::<pallet_consent::AuditEntry<Runtime>>(
				state,
				pallet_consent::AuditTrail::<Runtime>::hashed_key_for(patient, index),
			)?
			else {
				continue;
			};
			if entry.block <= issued_at {
				break;
			}
			let matches = entry.accessor == request.accessor
				&& entry.record == Some(request.record)
				&& entry.purpose == Some(request.purpose)
				&& entry.action == AuditAction::Read;
			if matches && served.insert((patient.clone(), index)) {
				return Ok(Some(index));
			}
		}
		Ok(None)
	}

	/// Whether the pool holds a create or amend by `uploader` of a blob with `hash` and `size`.
	fn pending_record_of(&self, uploader: &AccountId, hash: &H256, size: u64) -> bool {
		self.node.pool.pending().iter().any(|tx| {
			let sp_runtime::generic::Preamble::Signed(sp_runtime::MultiAddress::Id(signer), ..) =
				&tx.extrinsic.preamble
			else {
				return false;
			};
			let content = match &tx.extrinsic.function {
				RuntimeCall::Records(pallet_records::Call::create_record { content, .. })
				| RuntimeCall::Records(pallet_records::Call::amend_record { content, .. }) => content,
				_ => return false,
			};
			signer == uploader && content.content_hash == *hash && content.size == size
		})
	}

	fn record(
		state: &State,
		record: &RecordId,
	) -> Result<Option<pallet_records::Record<Runtime>>, VaultError> {
		Self::storage(state, pallet_records::Records::<Runtime>::hashed_key_for(record))
	}

	fn membership(
		state: &State,
		who: &AccountId,
	) -> Result<Option<pallet_registry::OrgMember>, VaultError> {
		Self::storage(state, pallet_registry::Members::<Runtime>::hashed_key_for(who))
	}

	fn storage<T: Decode>(state: &State, key: Vec<u8>) -> Result<Option<T>, VaultError> {
		let Some(bytes) = state.storage(&key).map_err(VaultError::Chain)? else {
			return Ok(None);
		};
		T::decode(&mut &bytes[..])
			.map(Some)
			.map_err(|e| VaultError::Chain(format!("undecodable storage value: {e}")))
	}

	/// Deletes the blobs of records erased in block `hash`; how many it deleted.
	pub async fn erase_in_block(&self, hash: H256) -> Result<usize, VaultError> {
		let events: Vec<frame_system::EventRecord<RuntimeEvent, H256>> =
			Self::storage(&self.node.client.state_at(hash)?, crate::client::events_key())?
				.unwrap_or_default();
		let mut deleted = 0;
		for record in events {
			if let RuntimeEvent::Records(pallet_records::Event::RecordErased {
				record_id,
				content_hash,
				..
			}) = record.event
			{
				let blob = self.store.delete(&content_hash.0).await?;
				tracing::info!(
					"Vault: record {} erased on chain; blob {} {}",
					crate::service::short(&record_id),
					crate::service::short(&content_hash),
					if blob { "and its keys deleted" } else { "was not held here" },
				);
				deleted += usize::from(blob);
			}
		}
		Ok(deleted)
	}
}

/// Whether pallet-consent lets `accessor` read `record` of `patient` for `purpose`, at block
/// `at` and its time (`ConsentApi::check_access`).
pub fn check_access(
	client: &crate::client::Client,
	at: H256,
	patient: &AccountId,
	accessor: &AccountId,
	record: RecordId,
	purpose: Purpose,
) -> Result<Decision, ClientError> {
	const METHOD: &str = "ConsentApi_check_access";
	let input = (patient, accessor, record, purpose, None::<u64>).encode();
	crate::client::decode(METHOD, &client.call(at, METHOD, &input)?)
}

/// Follows finalized blocks and erases the blobs of records erased in them, catching up on
/// any block it missed.
pub fn spawn_eraser(vault: Arc<Vault>) -> tokio::task::JoinHandle<()> {
	let mut finalized = vault.node.finalized.subscribe();
	let mut next = vault.node.client.head().number + 1;
	tokio::spawn(async move {
		loop {
			let head = match finalized.recv().await {
				Ok(block) => block.header.number,
				Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
					vault.node.client.head().number
				}
				Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
			};
			while next <= head {
				let hash = match vault.node.client.hash(next) {
					Ok(Some(hash)) => hash,
					Ok(None) => break,
					Err(e) => {
						tracing::error!("Vault: cannot read block #{next}: {e}");
						break;
					}
				};
				if let Err(e) = vault.erase_in_block(hash).await {
					// Retried on the next block; the audit reports what stays behind.
					tracing::error!("Vault: erasing blobs of block #{next} failed: {e}");
					break;
				}
				next += 1;
			}
		}
	})
}

fn account_bytes(account: &AccountId) -> [u8; 32] {
	*account.as_ref()
}

/// Whether `signature` by `account` over `message` verifies, as the runtime verifies
/// `MultiSignature`: 64 bytes as sr25519 or ed25519, or a SCALE-encoded sr25519 or ed25519
/// `MultiSignature` (65 bytes).
pub fn verify_signature(account: &AccountId, message: &[u8], signature: &[u8]) -> bool {
	let candidates = match <[u8; 64]>::try_from(signature) {
		Ok(raw) => vec![
			MultiSignature::Sr25519(sr25519::Signature::from_raw(raw)),
			MultiSignature::Ed25519(ed25519::Signature::from_raw(raw)),
		],
		Err(_) if signature.len() == 65 => {
			MultiSignature::decode(&mut &signature[..]).into_iter().collect()
		}
		Err(_) => Vec::new(),
	};
	candidates.iter().any(|s| s.verify(message, account))
}

/// `vault_*`: the record vault.
#[rpc(server, client, namespace = "vault")]
pub trait VaultApi {
	/// A fresh single-use challenge for `account` to sign into a put or get.
	#[method(name = "challenge")]
	fn challenge(&self, account: AccountId) -> RpcResult<ChallengeGrant>;
	/// Uploads the ciphertext of a record of the uploader.
	#[method(name = "put")]
	async fn put(&self, request: PutRequest) -> RpcResult<PutReceipt>;
	/// Reads the ciphertext of a record and the caller's wrapped key.
	#[method(name = "get")]
	async fn get(&self, request: GetRequest) -> RpcResult<GetResponse>;
}

/// The `vault_*` handlers.
#[derive(Clone)]
pub struct VaultRpc(pub Arc<Vault>);

#[async_trait]
impl VaultApiServer for VaultRpc {
	fn challenge(&self, account: AccountId) -> RpcResult<ChallengeGrant> {
		self.0.node.metrics.rpc_calls.inc();
		Ok(self.0.challenge(account))
	}

	async fn put(&self, request: PutRequest) -> RpcResult<PutReceipt> {
		self.0.node.metrics.rpc_calls.inc();
		self.0.put(request).await.map_err(Into::into)
	}

	async fn get(&self, request: GetRequest) -> RpcResult<GetResponse> {
		self.0.node.metrics.rpc_calls.inc();
		let accessor = request.accessor.clone();
		let record = request.record;
		let result = self.0.get(request).await;
		match &result {
			Ok(response) => tracing::info!(
				"Vault: served record {} to {accessor} ({:?})",
				crate::service::short(&record),
				response.basis
			),
			Err(e) => tracing::info!(
				"Vault: refused record {} to {accessor}: {e}",
				crate::service::short(&record)
			),
		}
		result.map_err(Into::into)
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::{
		chain_spec::ChainSpec,
		client::Client,
		db::ChainDb,
		pool::{Pool, PoolLimits},
		signatures::BatchVerifier,
	};
	use carechain_vault::LocalStore;
	use sp_core::Pair as _;
	use sp_keyring::{Ed25519Keyring, Sr25519Keyring};

	fn vault(ttl: Duration) -> (Arc<Vault>, tempfile::TempDir) {
		let dir = tempfile::tempdir().unwrap();
		let spec = ChainSpec::development();
		let db = ChainDb::open(&dir.path().join("db")).unwrap();
		let client = Arc::new(Client::open(db, &spec.genesis).unwrap());
		let verifier = carechain_gpu::Verifier::new(carechain_gpu::Mode::Cpu).unwrap();
		let node = Node::new(
			client,
			Arc::new(Pool::new(PoolLimits::default())),
			Arc::new(BatchVerifier::new(verifier)),
		);
		let store = Arc::new(LocalStore::open(dir.path().join("vault")).unwrap());
		let settings =
			VaultSettings { max_blob_bytes: 1024, challenge_ttl: ttl, max_challenges: 3 };
		(Vault::new(node, store, settings), dir)
	}

	fn put_request(
		vault: &Vault,
		signer: Ed25519Keyring,
		ciphertext: &[u8],
		record: Option<RecordId>,
	) -> PutRequest {
		let uploader = signer.to_account_id();
		let challenge = vault.challenge(uploader.clone()).challenge;
		let hash = carechain_vault::content_hash(ciphertext);
		let signature = signer.pair().sign(&access::put_message(&challenge.0, &hash));
		PutRequest {
			uploader,
			record,
			ciphertext: Bytes(ciphertext.to_vec()),
			keys: vec![],
			challenge,
			signature: Bytes(signature.0.to_vec()),
		}
	}

	#[test]
	fn signatures_verify_for_sr25519_ed25519_and_multisignature() {
		let message = b"carechain";
		let sr = Sr25519Keyring::Eve;
		let ed = Ed25519Keyring::Eve;
		let sr_sig = sr.pair().sign(message);
		let ed_sig = ed.pair().sign(message);
		assert!(verify_signature(&sr.to_account_id(), message, &sr_sig.0));
		assert!(verify_signature(&ed.to_account_id(), message, &ed_sig.0));
		let multi = MultiSignature::Ed25519(ed_sig).encode();
		assert_eq!(multi.len(), 65);
		assert!(verify_signature(&ed.to_account_id(), message, &multi));
		assert!(!verify_signature(&ed.to_account_id(), b"other", &ed_sig.0));
		assert!(!verify_signature(&sr.to_account_id(), message, &ed_sig.0));
		assert!(!verify_signature(&ed.to_account_id(), message, &ed_sig.0[..63]));
		assert!(!verify_signature(
			&ed.to_account_id(),
			message,
			&[multi.clone(), vec![0]].concat()
		));
	}

	#[test]
	fn a_challenge_serves_one_request_of_its_account_before_it_expires() {
		let (vault, _dir) = vault(Duration::from_secs(60));
		let eve = Ed25519Keyring::Eve;
		let grant = vault.challenge(eve.to_account_id());
		assert_eq!(grant.block, 0);
		assert_eq!(grant.expires_in_ms, 60_000);
		let message = b"request";
		let signature = eve.pair().sign(message).0;

		let ferdie = Ed25519Keyring::Ferdie.to_account_id();
		let not_yours = vault.redeem(&grant.challenge, &ferdie, message, &signature).unwrap_err();
		assert!(matches!(not_yours, VaultError::ChallengeNotYours(_)), "{not_yours}");
		let bad =
			vault.redeem(&grant.challenge, &eve.to_account_id(), b"other", &signature).unwrap_err();
		assert!(matches!(bad, VaultError::BadSignature(_)), "{bad}");
		// Neither refusal used the challenge up.
		vault.redeem(&grant.challenge, &eve.to_account_id(), message, &signature).unwrap();
		let replay =
			vault.redeem(&grant.challenge, &eve.to_account_id(), message, &signature).unwrap_err();
		assert!(matches!(replay, VaultError::ChallengeUsed), "{replay}");
		assert_eq!(replay.code(), 6003);
		let unknown =
			vault.redeem(&H256::repeat_byte(1), &eve.to_account_id(), message, &signature);
		assert!(matches!(unknown, Err(VaultError::ChallengeUnknown)));
	}

	#[test]
	fn challenges_expire_and_the_oldest_make_room() {
		let (vault, _dir) = vault(Duration::from_millis(1));
		let eve = Ed25519Keyring::Eve;
		let grant = vault.challenge(eve.to_account_id());
		std::thread::sleep(Duration::from_millis(5));
		let signature = eve.pair().sign(b"m").0;
		let expired = vault.redeem(&grant.challenge, &eve.to_account_id(), b"m", &signature);
		assert!(matches!(expired, Err(VaultError::ChallengeExpired(_))), "{expired:?}");

		let (vault, _dir) = self::vault(Duration::from_secs(60));
		let first = vault.challenge(eve.to_account_id()).challenge;
		for _ in 0..3 {
			vault.challenge(eve.to_account_id());
		}
		assert_eq!(vault.challenges.lock().by_id.len(), 3);
		let dropped = vault.redeem(&first, &eve.to_account_id(), b"m", &signature);
		assert!(matches!(dropped, Err(VaultError::ChallengeUnknown)), "{dropped:?}");
	}

	#[tokio::test]
	async fn uploads_that_match_no_record_or_are_too_large_are_refused() {
		let (vault, _dir) = vault(Duration::from_secs(60));
		let (sealed, _) = carechain_vault::seal(b"{\"resourceType\":\"Patient\"}");
		let request = put_request(&vault, Ed25519Keyring::Bob, &sealed.ciphertext, None);
		let error = vault.put(request).await.unwrap_err();
		assert!(matches!(error, VaultError::NoMatchingRecord { .. }), "{error}");
		assert_eq!(error.code(), 6011);

		let named = put_request(
			&vault,
			Ed25519Keyring::Bob,
			&sealed.ciphertext,
			Some(H256::repeat_byte(9)),
		);
		let error = vault.put(named).await.unwrap_err();
		assert!(matches!(error, VaultError::UnknownRecord(_)), "{error}");

		let large = put_request(&vault, Ed25519Keyring::Bob, &[0u8; 1025], None);
		let error = vault.put(large).await.unwrap_err();
		assert!(error.to_string().contains("1025 bytes is above this vault's limit of 1024"));
		assert!(vault.store().list().await.unwrap().is_empty(), "nothing was stored");
	}

	#[tokio::test]
	async fn reads_of_unknown_records_are_refused() {
		let (vault, _dir) = vault(Duration::from_secs(60));
		let eve = Ed25519Keyring::Eve;
		let challenge = vault.challenge(eve.to_account_id()).challenge;
		let record = H256::repeat_byte(3);
		let message = access::get_message(&challenge.0, &record, Purpose::Treatment);
		let request = GetRequest {
			accessor: eve.to_account_id(),
			record,
			purpose: Purpose::Treatment,
			challenge,
			signature: Bytes(eve.pair().sign(&message).0.to_vec()),
		};
		let error = vault.get(request).await.unwrap_err();
		assert!(matches!(error, VaultError::UnknownRecord(_)), "{error}");
		let object = ErrorObjectOwned::from(error);
		assert_eq!(object.code(), 6020);
	}
}
