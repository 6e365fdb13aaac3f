//! The record vault a node serves: ciphertext in a blob store, handed out only to callers
//! who prove control of their account and whom the chain allows, and destroyed when the chain
//! erases the record.
//!
//! - `vault_challenge` gives a single-use challenge for the account named, that expires
//!   (default 2 minutes; [`crate::challenge`], shared with sign-in). A challenge carries its own issue time and block and a MAC over them
//!   and the account under a secret of this process, so issuing one keeps nothing: a flood of
//!   requests, for any accounts, cannot push out a challenge already given. Only a challenge
//!   that a request signed by its account redeemed, for a request the chain allowed, is kept
//!   (until it expires, to refuse replays), at most `max_redeemed_per_account` per account,
//!   so only an account's own requests compete with each other.
//! - `vault_put` stores a blob if its blake2b-256 and size match a record, or a record still
//!   waiting in the pool, of the uploader (its author or its patient), signed over the
//!   challenge. The uploader may deposit the data key wrapped for members of its own
//!   organization, whom the chain carries no key for, and an emergency copy wrapped to this
//!   vault's escrow key (`vault_escrowKey`).
//! - `vault_get` returns the ciphertext and the caller's wrapped key to a caller who signed
//!   the challenge, whom pallet-consent allows for the stated purpose (consent, authorship,
//!   ownership or an open break-glass session), and whose read of that record for that purpose
//!   is on chain in a block after the challenge (`records.log_access`): every get is matched
//!   by its own audit entry, and one entry serves one get, on this vault, across restarts (the
//!   entries served are kept in `<state dir>/served`).
//! - Which wrapped key a read gets depends on why the chain allowed it: the patient and
//!   guardians get the key the record carries, a consent's grantee the key the consent carries,
//!   a member of the authoring organization a key deposited here for that account, and only
//!   while the chain still counts it a member of that organization. An emergency reader (an
//!   open break-glass session) gets the escrow copy unwrapped and wrapped again to the X25519
//!   key it names in the signed request (`readerKey`), so it can read the record while the
//!   session is open and the read is audited on chain, flagged as break-glass, and never after.
//!   The escrow secret stays in this vault (`<state dir>/escrow.key`, mode 0600); the data key
//!   exists in its memory only while it is wrapped again, and is zeroized after.
//! - `vault_subscribeDisclosures` pushes each new entry of a patient's audit trail (every
//!   read, write, grant, break-glass and dispute) as soon as its block is finalized, to the
//!   patient or a guardian who signed the challenge, so a wallet shows an emergency access as
//!   it happens.
//! - [`spawn_eraser`] deletes the blob and the keys of every record erased in a finalized
//!   block, unless a live record still anchors that content hash, or the blob was uploaded by
//!   someone other than the erased record's patient and author (an attacker who anchored a
//!   hash seen in the pool before its owner's record landed cannot have the owner's blob
//!   deleted; the vault notes each uploader beside the blob).

use crate::{
	challenge::{ChallengeError, Challenges, Issued},
	client::{ClientError, State},
	rpc::auth::require_account,
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
	Extensions,
};
use parking_lot::Mutex;
use rand::RngCore;
use sp_core::{Bytes, H256};
use sp_state_machine::Backend as _;
use std::{
	collections::HashSet,
	io::{Read as _, Write as _},
	path::PathBuf,
	sync::Arc,
	time::Duration,
};
use zeroize::Zeroizing;

/// Limits of a vault.
#[derive(Clone, Debug)]
pub struct VaultSettings {
	/// The largest blob accepted, in bytes.
	pub max_blob_bytes: usize,
	/// How long a challenge stays valid.
	pub challenge_ttl: Duration,
	/// The most challenges one account may have redeemed within one `challenge_ttl`; beyond
	/// it the account's requests are refused until its oldest expire.
	pub max_redeemed_per_account: usize,
	/// The most redeemed challenges kept, over all accounts; beyond it the oldest is
	/// forgotten and challenges no younger than it are refused as superseded. Only accounts
	/// the chain allowed a request fill it, `max_redeemed_per_account` at most each.
	pub max_redeemed: usize,
	/// Where the vault keeps its escrow key and the audit entries it served; `None` keeps both
	/// in memory only (tests).
	pub state_dir: Option<PathBuf>,
}

impl Default for VaultSettings {
	fn default() -> Self {
		Self {
			max_blob_bytes: 16 << 20,
			challenge_ttl: Duration::from_secs(120),
			max_redeemed_per_account: 1024,
			max_redeemed: 1 << 20,
			state_dir: None,
		}
	}
}

/// Why a vault request was refused. Each message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
	/// A challenge this node (since its last restart) never issued to this account.
	#[error("unknown challenge: this node did not issue it to {0} since it started; ask vault_challenge for one as {0}")]
	ChallengeUnknown(AccountId),
	/// A challenge past its lifetime.
	#[error("challenge expired: ask vault_challenge for a fresh one and use it within {0:?}")]
	ChallengeExpired(Duration),
	/// A challenge already used: a replay.
	#[error("challenge already used: every request needs a fresh challenge")]
	ChallengeUsed,
	/// The account redeemed `max_redeemed_per_account` challenges within one lifetime.
	#[error("{account} made {limit} vault requests within {ttl:?}: wait for the oldest to expire, then retry")]
	AccountBusy {
		/// The account.
		account: AccountId,
		/// The limit.
		limit: usize,
		/// A challenge's lifetime.
		ttl: Duration,
	},
	/// A challenge issued before the oldest of the `max_redeemed` redeemed challenges kept.
	#[error("challenge superseded: this vault served its limit of requests with newer challenges since this one was issued; ask vault_challenge for a fresh one and use it at once")]
	ChallengeSuperseded,
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
	/// A live record anchors the blob: the upload must name it.
	#[error(
		"record {0:?} anchors this blob: upload it naming that record, as its author or patient"
	)]
	NameTheRecord(RecordId),
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
	/// Someone other than the patient or a guardian asked to follow the patient's audit trail.
	#[error(
		"{0} is neither the patient nor a guardian: only they may follow the patient's disclosures"
	)]
	NotPatientOrGuardian(AccountId),
	/// An emergency read of a record with an escrow copy, without a key to wrap it to.
	#[error("an emergency (break-glass) read gets the data key wrapped to your X25519 key: send readerKey and sign carechain_vault::access::get_message_for_key")]
	ReaderKeyNeeded,
	/// The escrow copy could not be opened or wrapped again.
	#[error("escrow: {0}")]
	Escrow(String),
	/// The vault's own state on disk could not be read or written.
	#[error("vault state {path}: {source}")]
	State {
		/// The file.
		path: PathBuf,
		/// The error.
		source: std::io::Error,
	},
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
			VaultError::ChallengeUnknown(_) => 6001,
			VaultError::ChallengeExpired(_) => 6002,
			VaultError::ChallengeUsed => 6003,
			VaultError::AccountBusy { .. } => 6006,
			VaultError::ChallengeSuperseded => 6007,
			VaultError::BadSignature(_) => 6005,
			VaultError::TooLarge { .. } => 6010,
			VaultError::NoMatchingRecord { .. } => 6011,
			VaultError::RecordMismatch { .. } => 6012,
			VaultError::NotUploader(..) | VaultError::NameTheRecord(_) => 6013,
			VaultError::BadKey { .. } => 6014,
			VaultError::UnknownRecord(_) => 6020,
			VaultError::RecordErased(_) => 6021,
			VaultError::Denied(_) => 6022,
			VaultError::NotAudited { .. } => 6023,
			VaultError::BlobMissing(_) => 6024,
			VaultError::Store(StoreError::Corrupted { .. }) => 6030,
			VaultError::Store(_) => 6031,
			VaultError::Chain(_) => 6032,
			VaultError::ReaderKeyNeeded => 6015,
			VaultError::NotPatientOrGuardian(_) => 6016,
			VaultError::Escrow(_) => 6033,
			VaultError::State { .. } => 6034,
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
	/// The data key wrapped to this vault's escrow key (`vault_escrowKey`), for emergency
	/// readers; none if the uploader wants no emergency access through this vault.
	#[serde(default)]
	pub emergency_key: Option<Bytes>,
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
	/// The reader's X25519 public key, to wrap an emergency read's data key to.
	#[serde(default)]
	pub reader_key: Option<H256>,
	/// The accessor's signature over `access::get_message(challenge, record, purpose)`, or
	/// `access::get_message_for_key(challenge, record, purpose, reader_key)` with a reader key.
	pub signature: Bytes,
}

/// A `vault_subscribeDisclosures` request.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DisclosuresRequest {
	/// Who follows: the patient or a guardian.
	pub subscriber: AccountId,
	/// Whose audit trail.
	pub patient: AccountId,
	/// The first entry to send; the trail's current length (only new entries) when not given.
	#[serde(default)]
	pub from_index: Option<u64>,
	/// The challenge, issued to the subscriber.
	pub challenge: H256,
	/// The subscriber's signature over `access::disclosures_message(challenge, patient)`.
	pub signature: Bytes,
}

/// An entry of a patient's audit trail, as `vault_subscribeDisclosures` pushes it.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Disclosure {
	/// Its position in the trail.
	pub index: u64,
	/// Who acted.
	pub accessor: AccountId,
	/// What was done.
	pub action: AuditAction,
	/// Whether it was an emergency (break-glass) access.
	pub break_glass: bool,
	/// The block it is in.
	pub block: u32,
	/// The whole entry, SCALE-encoded as `pallet_consent::AuditEntry`.
	pub entry: Bytes,
}

/// This vault's escrow key, as `vault_escrowKey` answers it.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EscrowKey {
	/// The X25519 public key to wrap emergency copies of data keys to.
	pub public_key: H256,
}

/// Where a read's wrapped key comes from, by why the chain allowed the read.
enum KeySource {
	/// The chain carries it (the patient's key, or a consent's).
	Chain(Option<Vec<u8>>),
	/// Deposited in this vault for a member of the authoring organization.
	Deposited,
	/// The escrow copy, wrapped again to the emergency reader's key.
	Escrow,
}

/// The store slot of escrow copies: no account's bytes (a hash of a domain tag).
fn escrow_slot() -> [u8; 32] {
	sp_io::hashing::blake2_256(b"carechain/vault/escrow/v1")
}

/// The store slot that notes that `account` uploaded a blob.
fn uploader_slot(account: &AccountId) -> [u8; 32] {
	sp_io::hashing::blake2_256(&(b"carechain/vault/uploader/v1", account).encode())
}

/// What an uploader slot holds.
const UPLOADED: &[u8] = b"uploaded";

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
	/// The challenges it issues; a restart forgets their MAC key, and with it every
	/// challenge issued.
	challenges: Challenges,
	/// Audit entries (patient, index) that already served a get.
	served: Mutex<HashSet<(AccountId, u64)>>,
	/// Where served entries are appended, so that a restart forgets none.
	served_log: Option<(PathBuf, Mutex<std::fs::File>)>,
	/// The secret of the escrow key.
	escrow: carechain_vault::envelope::SecretKey,
}

/// Bytes of one entry of the served log: the patient's account and the entry's index.
const SERVED_ENTRY: usize = 32 + 8;

impl Vault {
	/// A vault over `store`, checking requests against `node`'s chain, with its escrow key and
	/// served entries in `settings.state_dir` (made on first use).
	pub fn new(
		node: Arc<Node>,
		store: Arc<dyn BlobStore>,
		settings: VaultSettings,
	) -> Result<Arc<Self>, VaultError> {
		let (escrow, served, served_log) = match &settings.state_dir {
			None => (carechain_vault::envelope::SecretKey::generate(), HashSet::new(), None),
			Some(dir) => {
				let state = |path: PathBuf| move |source| VaultError::State { path, source };
				std::fs::create_dir_all(dir).map_err(state(dir.clone()))?;
				let escrow = Self::escrow_key(&dir.join("escrow.key"))?;
				let path = dir.join("served");
				let mut file = std::fs::OpenOptions::new()
					.create(true)
					.read(true)
					.append(true)
					.open(&path)
					.map_err(state(path.clone()))?;
				let mut bytes = Vec::new();
				file.read_to_end(&mut bytes).map_err(state(path.clone()))?;
				// A torn last entry (a crash mid-append) never served anything: ignore it.
				let served = bytes
					.chunks_exact(SERVED_ENTRY)
					.map(|entry| {
						let (account, index) = entry.split_at(32);
						let account: [u8; 32] = account.try_into().expect("split at 32");
						let index: [u8; 8] = index.try_into().expect("8 bytes left");
						(AccountId::from(account), u64::from_le_bytes(index))
					})
					.collect();
				(escrow, served, Some((path, Mutex::new(file))))
			}
		};
		let challenges = Challenges::new(
			b"carechain-vault-challenge-mac-v1",
			settings.challenge_ttl,
			settings.max_redeemed_per_account,
			settings.max_redeemed,
		);
		Ok(Arc::new(Self {
			node,
			store,
			settings,
			challenges,
			served: Mutex::new(served),
			served_log,
			escrow,
		}))
	}

	/// The escrow secret kept in `path`, made (mode 0600) if there is none.
	fn escrow_key(
		path: &std::path::Path,
	) -> Result<carechain_vault::envelope::SecretKey, VaultError> {
		let state = |source| VaultError::State { path: path.to_owned(), source };
		if let Ok(mut file) = std::fs::File::open(path) {
			let mut bytes = Zeroizing::new([0u8; 32]);
			file.read_exact(&mut bytes[..]).map_err(state)?;
			return Ok(carechain_vault::envelope::SecretKey::from_bytes(bytes));
		}
		let mut bytes = Zeroizing::new([0u8; 32]);
		rand::rngs::OsRng.fill_bytes(&mut bytes[..]);
		let mut options = std::fs::OpenOptions::new();
		options.write(true).create_new(true);
		#[cfg(unix)]
		std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
		let mut file = options.open(path).map_err(state)?;
		file.write_all(&bytes[..]).and_then(|()| file.sync_all()).map_err(state)?;
		Ok(carechain_vault::envelope::SecretKey::from_bytes(bytes))
	}

	/// The public half of the escrow key, to wrap emergency copies of data keys to.
	pub fn escrow_public_key(&self) -> EscrowKey {
		EscrowKey { public_key: H256(self.escrow.public_key().0) }
	}

	/// The store it keeps blobs in.
	pub fn store(&self) -> &Arc<dyn BlobStore> {
		&self.store
	}

	/// Issues a challenge to `account`. Keeps nothing: see the module documentation.
	pub fn challenge(&self, account: AccountId) -> ChallengeGrant {
		let block = self.node.client.head().number;
		ChallengeGrant {
			challenge: self.challenges.issue(&account, block),
			block,
			expires_in_ms: u64::try_from(self.settings.challenge_ttl.as_millis())
				.unwrap_or(u64::MAX),
		}
	}

	/// The vault's error for a refused challenge of `account`.
	fn challenge_error(&self, account: &AccountId, error: ChallengeError) -> VaultError {
		match error {
			ChallengeError::Unknown => VaultError::ChallengeUnknown(account.clone()),
			ChallengeError::Expired(ttl) => VaultError::ChallengeExpired(ttl),
			ChallengeError::Used => VaultError::ChallengeUsed,
			ChallengeError::AccountBusy { limit, ttl } => {
				VaultError::AccountBusy { account: account.clone(), limit, ttl }
			}
			ChallengeError::Superseded => VaultError::ChallengeSuperseded,
		}
	}

	/// Checks that this vault issued `challenge` to `account`, that it has not expired nor
	/// been redeemed, and that `signature` by `account` over `message` verifies. Keeps
	/// nothing: [`Self::redeem`] uses the challenge up once the chain allowed the request.
	fn check(
		&self,
		challenge: &H256,
		account: &AccountId,
		message: &[u8],
		signature: &[u8],
	) -> Result<Issued, VaultError> {
		let issued = self
			.challenges
			.check(challenge, account)
			.map_err(|e| self.challenge_error(account, e))?;
		if !verify_signature(account, message, signature) {
			return Err(VaultError::BadSignature(account.clone()));
		}
		Ok(issued)
	}

	/// Uses up a challenge that [`Self::check`] accepted, for a request the chain allowed.
	fn redeem(
		&self,
		challenge: &H256,
		account: &AccountId,
		issued: Issued,
	) -> Result<(), VaultError> {
		self.challenges
			.redeem(challenge, account, issued)
			.map_err(|e| self.challenge_error(account, e))
	}

	/// Puts a challenge back after a refusal that was not the caller's fault (the audit entry
	/// is not in a block yet), so the same signed request can be retried.
	fn unredeem(&self, challenge: &H256, account: &AccountId) {
		self.challenges.unredeem(challenge, account);
	}

	/// Stores a blob; see the module documentation.
	pub async fn put(&self, request: PutRequest) -> Result<PutReceipt, VaultError> {
		let size = request.ciphertext.len();
		if size > self.settings.max_blob_bytes {
			return Err(VaultError::TooLarge { size, limit: self.settings.max_blob_bytes });
		}
		let hash = H256(carechain_vault::content_hash(&request.ciphertext));
		let message = access::put_message(&request.challenge.0, &hash.0);
		let issued =
			self.check(&request.challenge, &request.uploader, &message, &request.signature)?;

		let state = self.node.client.state_at(self.node.client.head().hash)?;
		// Who may replace an escrow copy already kept: the record's patient only.
		let mut patient = None;
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
				patient = Some(record.patient);
			}
			None => {
				// Once a live record anchors the blob, only its author or patient may upload
				// it, naming it: a pending transaction of someone else's that would fail
				// (`ContentHashInUse`) is no proof of anything.
				if let Some(record) = Self::anchor(&state, &hash)? {
					return Err(VaultError::NameTheRecord(record));
				}
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
		if let Some(wrapped) = &request.emergency_key {
			// Checked only for its form: opening it here would put the data key in this
			// vault's memory for no reason.
			if wrapped.len() != carechain_vault::envelope::WRAPPED_KEY_LEN {
				return Err(VaultError::BadKey {
					recipient: AccountId::from(escrow_slot()),
					reason: "the emergency copy is an 80-byte HPKE X25519 wrap to vault_escrowKey",
				});
			}
			let kept = self.store.key(&hash.0, &escrow_slot()).await?;
			let replaces = kept.is_some_and(|kept| kept != wrapped.0);
			if replaces && patient.as_ref() != Some(&request.uploader) {
				return Err(VaultError::BadKey {
					recipient: AccountId::from(escrow_slot()),
					reason: "an emergency copy is kept already; only the record's patient may replace it",
				});
			}
		}

		self.redeem(&request.challenge, &request.uploader, issued)?;
		self.store.put(hash.0, request.ciphertext.0.into()).await?;
		for (recipient, wrapped) in &keys {
			self.store.put_key(&hash.0, &account_bytes(recipient), wrapped.0.clone()).await?;
		}
		if let Some(wrapped) = request.emergency_key {
			self.store.put_key(&hash.0, &escrow_slot(), wrapped.0).await?;
		}
		self.store.put_key(&hash.0, &uploader_slot(&request.uploader), UPLOADED.to_vec()).await?;
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
		let message = match &request.reader_key {
			None => access::get_message(&request.challenge.0, &request.record, request.purpose),
			Some(key) => access::get_message_for_key(
				&request.challenge.0,
				&request.record,
				request.purpose,
				&key.0,
			),
		};
		let issued =
			self.check(&request.challenge, &request.accessor, &message, &request.signature)?;
		let result = self.serve(&request, issued).await;
		if matches!(result, Err(VaultError::NotAudited { .. })) {
			self.unredeem(&request.challenge, &request.accessor);
		}
		result
	}

	async fn serve(&self, request: &GetRequest, issued: Issued) -> Result<GetResponse, VaultError> {
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
			self.redeem(&request.challenge, &request.accessor, issued)?;
			let audit_index = self
				.claim_audit_entry(&state, &record.patient, request, issued.block)?
				.ok_or(VaultError::NotAudited { record: record_id, purpose: request.purpose })?;
			let key_source =
				match basis {
					AccessBasis::Patient | AccessBasis::Guardian => {
						Ok(KeySource::Chain(record.patient_key.map(|key| key.to_vec())))
					}
					AccessBasis::Consent(consent) => Self::storage::<pallet_consent::WrappedKey>(
						&state,
						pallet_consent::GrantedKeys::<Runtime>::hashed_key_for(consent, record_id),
					)
					.map(|key| KeySource::Chain(key.map(|key| key.to_vec()))),
					// Deposited keys serve only current members of the organization they were
					// deposited for (the record's author's): the chain allowed this read because
					// the accessor is one, and this checks it against the same state again.
					AccessBasis::AuthorOrganization => Self::membership(&state, &request.accessor)
						.map(|m| match m.map(|m| m.org) == record.author_org {
							true => KeySource::Deposited,
							false => KeySource::Chain(None),
						}),
					AccessBasis::BreakGlass(_) => Ok(KeySource::Escrow),
				};
			(record, basis, audit_index, key_source)
		};

		// An entry is spent only by a read that returns the record.
		let result = match on_chain_key {
			Ok(source) => self.fetch(&record, request, source).await,
			Err(e) => Err(e),
		};
		let result = match result {
			Ok(found) => self.record_served(&record.patient, audit_index).map(|()| found),
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

	/// The blob of `record`, and the data key wrapped for the reader, from `source`.
	async fn fetch(
		&self,
		record: &pallet_records::Record<Runtime>,
		request: &GetRequest,
		source: KeySource,
	) -> Result<(Vec<u8>, Option<Vec<u8>>), VaultError> {
		let ciphertext = self
			.store
			.get(&record.content_hash.0)
			.await?
			.ok_or(VaultError::BlobMissing(record.content_hash))?;
		let hash = &record.content_hash.0;
		let wrapped_key = match source {
			KeySource::Chain(key) => key,
			KeySource::Deposited => self.store.key(hash, &account_bytes(&request.accessor)).await?,
			KeySource::Escrow => match self.store.key(hash, &escrow_slot()).await? {
				None => None,
				Some(escrowed) => {
					let reader = request.reader_key.ok_or(VaultError::ReaderKeyNeeded)?;
					Some(self.rewrap(&escrowed, &reader)?)
				}
			},
		};
		Ok((ciphertext.to_vec(), wrapped_key))
	}

	/// Opens an escrow copy and wraps the data key to `reader`.
	fn rewrap(&self, escrowed: &[u8], reader: &H256) -> Result<Vec<u8>, VaultError> {
		use carechain_vault::envelope::{unwrap_key, wrap_key, PublicKey};
		let key = unwrap_key(escrowed, &self.escrow)
			.map_err(|e| VaultError::Escrow(format!("the escrow copy does not open: {e}")))?;
		wrap_key(&key, &PublicKey(reader.0))
			.map_err(|e| VaultError::Escrow(format!("readerKey is not an X25519 key: {e}")))
	}

	/// Makes the serving of audit entry `index` of `patient` durable.
	fn record_served(&self, patient: &AccountId, index: u64) -> Result<(), VaultError> {
		let Some((path, file)) = &self.served_log else { return Ok(()) };
		let mut entry = [0u8; SERVED_ENTRY];
		entry[..32].copy_from_slice(patient.as_ref());
		entry[32..].copy_from_slice(&index.to_le_bytes());
		let mut file = file.lock();
		file.write_all(&entry)
			.and_then(|()| file.sync_data())
			.map_err(|source| VaultError::State { path: path.clone(), source })
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
		let length = Self::audit_length(state, patient)?;
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
		crate::registry::membership(state, who).map_err(VaultError::Chain)
	}

	/// The live record that anchors the blob `hash`, if any.
	fn anchor(state: &State, hash: &H256) -> Result<Option<RecordId>, VaultError> {
		Self::storage(state, pallet_records::ContentIndex::<Runtime>::hashed_key_for(hash))
	}

	/// How many entries the patient's audit trail has.
	fn audit_length(state: &State, patient: &AccountId) -> Result<u64, VaultError> {
		Self::storage(state, pallet_consent::AuditLength::<Runtime>::hashed_key_for(patient))
			.map(Option::unwrap_or_default)
	}

	fn storage<T: Decode>(state: &State, key: Vec<u8>) -> Result<Option<T>, VaultError> {
		crate::registry::storage(state, key).map_err(VaultError::Chain)
	}

	/// Checks a request to follow a patient's disclosures; the trail's length at the head.
	pub fn authorize_disclosures(&self, request: &DisclosuresRequest) -> Result<u64, VaultError> {
		let message = access::disclosures_message(&request.challenge.0, &request.patient);
		let issued =
			self.check(&request.challenge, &request.subscriber, &message, &request.signature)?;
		let state = self.node.client.state_at(self.node.client.head().hash)?;
		if !Self::follows(&state, &request.subscriber, &request.patient)? {
			return Err(VaultError::NotPatientOrGuardian(request.subscriber.clone()));
		}
		self.redeem(&request.challenge, &request.subscriber, issued)?;
		Self::audit_length(&state, &request.patient)
	}

	/// Whether `subscriber` is `patient`, or one of the patient's guardians, in `state`.
	fn follows(
		state: &State,
		subscriber: &AccountId,
		patient: &AccountId,
	) -> Result<bool, VaultError> {
		crate::registry::is_patient_or_guardian(state, subscriber, patient)
			.map_err(VaultError::Chain)
	}

	/// The entries of `patient`'s audit trail from `from` on, in the state of block `at`, for
	/// `subscriber`: none, and `None`, once the subscriber is no longer the patient or a
	/// guardian there.
	pub fn disclosures_for(
		&self,
		at: H256,
		subscriber: &AccountId,
		patient: &AccountId,
		from: u64,
	) -> Result<Option<Vec<Disclosure>>, VaultError> {
		if !Self::follows(&self.node.client.state_at(at)?, subscriber, patient)? {
			return Ok(None);
		}
		self.disclosures(at, patient, from).map(Some)
	}

	/// The entries of `patient`'s audit trail from `from` on, in the state of block `at`.
	pub fn disclosures(
		&self,
		at: H256,
		patient: &AccountId,
		from: u64,
	) -> Result<Vec<Disclosure>, VaultError> {
		let state = self.node.client.state_at(at)?;
		let length = Self::audit_length(&state, patient)?;
		let mut entries = Vec::new();
		for index in from..length {
			let key = pallet_consent::AuditTrail::<Runtime>::hashed_key_for(patient, index);
			let Some(bytes) = state.storage(&key).map_err(VaultError::Chain)? else { continue };
			let entry = pallet_consent::AuditEntry::<Runtime>::decode(&mut &bytes[..])
				.map_err(|e| VaultError::Chain(format!("undecodable audit entry: {e}")))?;
			entries.push(Disclosure {
				index,
				accessor: entry.accessor,
				action: entry.action,
				break_glass: entry.break_glass,
				block: entry.block,
				entry: Bytes(bytes),
			});
		}
		Ok(entries)
	}

	/// Whether the blob of an erased record was uploaded by its patient or author, or carries
	/// no note of its uploader at all (uploaded before uploaders were noted).
	async fn uploaded_by_erased_record(
		&self,
		state: &State,
		record_id: &RecordId,
		content_hash: &H256,
	) -> Result<bool, VaultError> {
		let Some(record) = Self::record(state, record_id)? else { return Ok(true) };
		let recipients = self.store.key_recipients(&content_hash.0).await?;
		let noted = |who: &AccountId| recipients.contains(&uploader_slot(who));
		if noted(&record.patient) || noted(&record.author) {
			return Ok(true);
		}
		for recipient in &recipients {
			if self.store.key(&content_hash.0, recipient).await?.as_deref() == Some(UPLOADED) {
				return Ok(false);
			}
		}
		Ok(true)
	}

	/// Deletes the blobs of records erased in block `hash`; how many it deleted.
	pub async fn erase_in_block(&self, hash: H256) -> Result<usize, VaultError> {
		let events: Vec<frame_system::EventRecord<RuntimeEvent, H256>> =
			Self::storage(&self.node.client.state_at(hash)?, crate::client::events_key())?
				.unwrap_or_default();
		let state = self.node.client.state_at(hash)?;
		let mut deleted = 0;
		for record in events {
			if let RuntimeEvent::Records(pallet_records::Event::RecordErased {
				record_id, ..
			}) = record.event
			{
				// Events carry no locator: the tombstone keeps the blob's content address.
				let Some(content_hash) = Self::record(&state, &record_id)?.map(|r| r.content_hash)
				else {
					continue;
				};
				// A blob goes only when no live record refers to it any more.
				if let Some(live) = Self::anchor(&state, &content_hash)? {
					tracing::warn!(
						"Vault: record {} erased on chain, but blob {} is still anchored by live record {}: kept",
						crate::service::short(&record_id),
						crate::service::short(&content_hash),
						crate::service::short(&live),
					);
					continue;
				}
				if !self.uploaded_by_erased_record(&state, &record_id, &content_hash).await? {
					tracing::warn!(
						"Vault: record {} erased on chain, but blob {} was uploaded by neither its patient nor its author: kept",
						crate::service::short(&record_id),
						crate::service::short(&content_hash),
					);
					continue;
				}
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

pub use crate::challenge::verify_signature;

/// `vault_*`: the record vault.
#[rpc(server, client, namespace = "vault")]
pub trait VaultApi {
	/// A fresh single-use challenge for `account` to sign into a put or get. With
	/// authentication on, for the session's own account only, as are puts, gets and
	/// subscriptions.
	#[method(name = "challenge", with_extensions)]
	fn challenge(&self, account: AccountId) -> RpcResult<ChallengeGrant>;
	/// Uploads the ciphertext of a record of the uploader.
	#[method(name = "put", with_extensions)]
	async fn put(&self, request: PutRequest) -> RpcResult<PutReceipt>;
	/// Reads the ciphertext of a record and the caller's wrapped key.
	#[method(name = "get", with_extensions)]
	async fn get(&self, request: GetRequest) -> RpcResult<GetResponse>;
	/// This vault's escrow key, to wrap emergency copies of data keys to.
	#[method(name = "escrowKey")]
	fn escrow_key(&self) -> RpcResult<EscrowKey>;
	/// Pushes each new entry of a patient's audit trail once its block is finalized, to the
	/// patient or a guardian.
	#[subscription(
		name = "subscribeDisclosures" => "disclosure",
		unsubscribe = "unsubscribeDisclosures",
		item = Disclosure,
		with_extensions
	)]
	async fn subscribe_disclosures(
		&self,
		request: DisclosuresRequest,
	) -> jsonrpsee::core::SubscriptionResult;
}

/// The `vault_*` handlers.
#[derive(Clone)]
pub struct VaultRpc(pub Arc<Vault>);

#[async_trait]
impl VaultApiServer for VaultRpc {
	fn challenge(&self, ext: &Extensions, account: AccountId) -> RpcResult<ChallengeGrant> {
		self.0.node.metrics.rpc_calls.inc();
		require_account(ext, "vault_challenge", &account)?;
		Ok(self.0.challenge(account))
	}

	async fn put(&self, ext: &Extensions, request: PutRequest) -> RpcResult<PutReceipt> {
		self.0.node.metrics.rpc_calls.inc();
		require_account(ext, "vault_put", &request.uploader)?;
		self.0.put(request).await.map_err(Into::into)
	}

	fn escrow_key(&self) -> RpcResult<EscrowKey> {
		self.0.node.metrics.rpc_calls.inc();
		Ok(self.0.escrow_public_key())
	}

	async fn subscribe_disclosures(
		&self,
		pending: jsonrpsee::PendingSubscriptionSink,
		ext: &Extensions,
		request: DisclosuresRequest,
	) -> jsonrpsee::core::SubscriptionResult {
		self.0.node.metrics.rpc_calls.inc();
		if let Err(e) = require_account(ext, "vault_subscribeDisclosures", &request.subscriber) {
			pending.reject(ErrorObjectOwned::from(e)).await;
			return Ok(());
		}
		let vault = self.0.clone();
		let length = match vault.authorize_disclosures(&request) {
			Ok(length) => length,
			Err(e) => {
				pending.reject(ErrorObjectOwned::from(e)).await;
				return Ok(());
			}
		};
		let mut finalized = vault.node.finalized.subscribe();
		let sink = pending.accept().await?;
		let mut next = request.from_index.unwrap_or(length);
		let mut at = vault.node.client.head().hash;
		let live = ext.get::<crate::rpc::auth::LiveCaller>().cloned();
		loop {
			// A session that ended, or was signed out, stops hearing.
			if let Some(live) = &live {
				live.now().account("vault_subscribeDisclosures").map_err(|e| e.to_string())?;
			}
			// A guardian removed by the patient stops hearing at once.
			let Some(disclosures) =
				vault.disclosures_for(at, &request.subscriber, &request.patient, next)?
			else {
				return Ok(());
			};
			for disclosure in disclosures {
				next = disclosure.index + 1;
				sink.send(jsonrpsee::SubscriptionMessage::from_json(&disclosure)?).await?;
			}
			at = tokio::select! {
				block = finalized.recv() => match block {
					Ok(block) => sp_runtime::traits::Header::hash(&block.header),
					Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
						vault.node.client.head().hash
					}
					Err(tokio::sync::broadcast::error::RecvError::Closed) => return Ok(()),
				},
				() = sink.closed() => return Ok(()),
				// Woken at the session's end too, to stop.
				() = tokio::time::sleep(
					live.as_ref()
						.and_then(crate::rpc::auth::LiveCaller::remaining)
						.unwrap_or(Duration::from_secs(3600))
						.saturating_add(Duration::from_millis(1)),
				) => vault.node.client.head().hash,
			};
		}
	}

	async fn get(&self, ext: &Extensions, request: GetRequest) -> RpcResult<GetResponse> {
		self.0.node.metrics.rpc_calls.inc();
		require_account(ext, "vault_get", &request.accessor)?;
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
	use sp_runtime::MultiSignature;

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
		let settings = VaultSettings {
			max_blob_bytes: 1024,
			challenge_ttl: ttl,
			max_redeemed_per_account: 3,
			max_redeemed: 5,
			state_dir: Some(dir.path().join("vault-state")),
		};
		(Vault::new(node, store, settings).unwrap(), dir)
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
			emergency_key: None,
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

	/// Checks and redeems, as a request the chain allowed does.
	fn use_up(
		vault: &Vault,
		challenge: &H256,
		account: &AccountId,
		message: &[u8],
		signature: &[u8],
	) -> Result<(), VaultError> {
		let issued = vault.check(challenge, account, message, signature)?;
		vault.redeem(challenge, account, issued)
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
		let not_yours = use_up(&vault, &grant.challenge, &ferdie, message, &signature).unwrap_err();
		assert!(matches!(not_yours, VaultError::ChallengeUnknown(_)), "{not_yours}");
		let bad = use_up(&vault, &grant.challenge, &eve.to_account_id(), b"other", &signature)
			.unwrap_err();
		assert!(matches!(bad, VaultError::BadSignature(_)), "{bad}");
		// A check alone (a request the chain refused) keeps nothing.
		vault.check(&grant.challenge, &eve.to_account_id(), message, &signature).unwrap();
		// Neither refusal used the challenge up.
		use_up(&vault, &grant.challenge, &eve.to_account_id(), message, &signature).unwrap();
		let replay = use_up(&vault, &grant.challenge, &eve.to_account_id(), message, &signature)
			.unwrap_err();
		assert!(matches!(replay, VaultError::ChallengeUsed), "{replay}");
		assert_eq!(replay.code(), 6003);
		let unknown =
			use_up(&vault, &H256::repeat_byte(1), &eve.to_account_id(), message, &signature);
		assert!(matches!(unknown, Err(VaultError::ChallengeUnknown(_))));
		// Its block, or its issue time, changed: the MAC no longer matches.
		for byte in [0, 8] {
			let mut forged = grant.challenge;
			forged.0[byte] ^= 1;
			let forged = use_up(&vault, &forged, &eve.to_account_id(), message, &signature);
			assert!(matches!(forged, Err(VaultError::ChallengeUnknown(_))), "{forged:?}");
		}
		// A restarted vault (another MAC key) knows none of the challenges issued before.
		let (other, _dir) = self::vault(Duration::from_secs(60));
		let grant = vault.challenge(eve.to_account_id());
		let restarted = use_up(&other, &grant.challenge, &eve.to_account_id(), message, &signature);
		assert!(matches!(restarted, Err(VaultError::ChallengeUnknown(_))), "{restarted:?}");
	}

	#[test]
	fn challenges_expire() {
		let (vault, _dir) = vault(Duration::from_millis(1));
		let eve = Ed25519Keyring::Eve;
		let grant = vault.challenge(eve.to_account_id());
		std::thread::sleep(Duration::from_millis(5));
		let signature = eve.pair().sign(b"m").0;
		let expired = use_up(&vault, &grant.challenge, &eve.to_account_id(), b"m", &signature);
		assert!(matches!(expired, Err(VaultError::ChallengeExpired(_))), "{expired:?}");
	}

	/// The attack of issue 17: more challenge requests than the vault ever held, for the
	/// patient's own account and for many others, between the patient's request for a
	/// challenge and its use. Nothing is pushed out, since issuing keeps nothing.
	#[test]
	fn a_flood_of_challenge_requests_pushes_out_no_challenge() {
		let (vault, _dir) = vault(Duration::from_secs(60));
		let eve = Ed25519Keyring::Eve;
		let grant = vault.challenge(eve.to_account_id());
		for i in 0..200_000u32 {
			let mut account = [0u8; 32];
			account[..4].copy_from_slice(&i.to_le_bytes());
			vault.challenge(AccountId::from(account));
			vault.challenge(eve.to_account_id());
		}
		assert_eq!(vault.challenges.redeemed(&eve.to_account_id()), (0, 0, 0));
		let signature = eve.pair().sign(b"m").0;
		use_up(&vault, &grant.challenge, &eve.to_account_id(), b"m", &signature).unwrap();
	}

	#[test]
	fn redeemed_challenges_are_bounded_per_account_and_in_all() {
		// At the bound (3 per account, 5 in all) and past it.
		let (vault, _dir) = vault(Duration::from_secs(60));
		// Challenges carry their issue time in milliseconds: each is issued in a later one.
		let tick = || std::thread::sleep(Duration::from_millis(2));
		let redeem = |signer: Ed25519Keyring| {
			tick();
			let grant = vault.challenge(signer.to_account_id());
			let signature = signer.pair().sign(b"m").0;
			use_up(&vault, &grant.challenge, &signer.to_account_id(), b"m", &signature)
		};
		for _ in 0..3 {
			redeem(Ed25519Keyring::Eve).unwrap();
		}
		let busy = redeem(Ed25519Keyring::Eve).unwrap_err();
		assert!(matches!(busy, VaultError::AccountBusy { limit: 3, .. }), "{busy}");
		assert_eq!(busy.code(), 6006);
		// Another account is not held up by Eve's.
		redeem(Ed25519Keyring::Ferdie).unwrap();
		// Eve asked for a challenge before the set filled up, and has not used it yet.
		let eve = Ed25519Keyring::Eve;
		tick();
		let waiting = vault.challenge(eve.to_account_id()).challenge;
		tick();
		let first_of_ferdie = vault.challenge(Ed25519Keyring::Ferdie.to_account_id()).challenge;
		let signature = Ed25519Keyring::Ferdie.pair().sign(b"m").0;
		let ferdie = Ed25519Keyring::Ferdie.to_account_id();
		use_up(&vault, &first_of_ferdie, &ferdie, b"m", &signature).unwrap();
		assert_eq!(vault.challenges.redeemed(&ferdie).0, 5);
		// Colluding accounts past the bound in all (the attack of issue 17's review): nobody
		// is refused as busy; the oldest redeemed challenges are forgotten instead.
		let colluders = [Ed25519Keyring::Dave, Ed25519Keyring::Charlie, Ed25519Keyring::Alice];
		for signer in colluders.into_iter().chain([Ed25519Keyring::Bob, Ed25519Keyring::Dave]) {
			redeem(signer).unwrap();
		}
		assert_eq!(vault.challenges.redeemed(&ferdie).0, 5);
		// A forgotten challenge is not open to a replay: it and every challenge as old are
		// refused as superseded, with a code and a message that say to ask for a fresh one.
		let replay = use_up(&vault, &first_of_ferdie, &ferdie, b"m", &signature).unwrap_err();
		assert!(matches!(replay, VaultError::ChallengeSuperseded), "{replay}");
		assert_eq!(replay.code(), 6007);
		let signature = eve.pair().sign(b"m").0;
		let stale = use_up(&vault, &waiting, &eve.to_account_id(), b"m", &signature).unwrap_err();
		assert!(matches!(stale, VaultError::ChallengeSuperseded), "{stale}");
		assert!(stale.to_string().contains("fresh one"), "{stale}");
		// A fresh challenge is served.
		tick();
		let fresh = vault.challenge(eve.to_account_id()).challenge;
		use_up(&vault, &fresh, &eve.to_account_id(), b"m", &signature).unwrap();

		// Expired entries make room again.
		let (vault, _dir) = self::vault(Duration::from_millis(50));
		let eve = Ed25519Keyring::Eve;
		let signature = eve.pair().sign(b"m").0;
		for _ in 0..3 {
			let grant = vault.challenge(eve.to_account_id());
			use_up(&vault, &grant.challenge, &eve.to_account_id(), b"m", &signature).unwrap();
		}
		std::thread::sleep(Duration::from_millis(60));
		let grant = vault.challenge(eve.to_account_id());
		use_up(&vault, &grant.challenge, &eve.to_account_id(), b"m", &signature).unwrap();
		assert_eq!(vault.challenges.redeemed(&eve.to_account_id()), (1, 1, 1));
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

	#[test]
	fn the_escrow_key_and_served_entries_survive_a_restart() {
		let dir = tempfile::tempdir().unwrap();
		// Only the vault's state directory is shared: each opening gets its own chain.
		let opened = std::cell::Cell::new(0);
		let open = || {
			opened.set(opened.get() + 1);
			let spec = ChainSpec::development();
			let db = ChainDb::open(&dir.path().join(format!("db{}", opened.get()))).unwrap();
			let client = Arc::new(Client::open(db, &spec.genesis).unwrap());
			let verifier = carechain_gpu::Verifier::new(carechain_gpu::Mode::Cpu).unwrap();
			let node = Node::new(
				client,
				Arc::new(Pool::new(PoolLimits::default())),
				Arc::new(BatchVerifier::new(verifier)),
			);
			let store = Arc::new(LocalStore::open(dir.path().join("vault")).unwrap());
			let settings = VaultSettings {
				state_dir: Some(dir.path().join("vault-state")),
				..Default::default()
			};
			Vault::new(node, store, settings).unwrap()
		};
		let eve = Ed25519Keyring::Eve.to_account_id();
		let (escrow, served) = {
			let vault = open();
			vault.served.lock().insert((eve.clone(), 7));
			vault.record_served(&eve, 7).unwrap();
			let served = vault.served.lock().clone();
			(vault.escrow_public_key().public_key, served)
		};
		// A torn entry at the end, as a crash in the middle of an append leaves it.
		let log = dir.path().join("vault-state/served");
		std::fs::OpenOptions::new().append(true).open(&log).unwrap().write_all(&[1; 5]).unwrap();

		let vault = open();
		assert_eq!(vault.escrow_public_key().public_key, escrow, "the escrow key is kept");
		assert_eq!(*vault.served.lock(), served, "an entry served before the restart stays served");
		assert!(vault.served.lock().contains(&(eve, 7)));
		#[cfg(unix)]
		{
			use std::os::unix::fs::PermissionsExt;
			let key = std::fs::metadata(dir.path().join("vault-state/escrow.key")).unwrap();
			assert_eq!(
				key.permissions().mode() & 0o777,
				0o600,
				"only the node reads the escrow key"
			);
		}
	}

	#[test]
	fn an_escrow_copy_is_wrapped_again_only_to_a_valid_reader_key() {
		use carechain_vault::envelope::{unwrap_key, wrap_key, DataKey, PublicKey, SecretKey};
		let (vault, _dir) = vault(Duration::from_secs(60));
		let key = DataKey::generate();
		let escrow = PublicKey(vault.escrow_public_key().public_key.0);
		let escrowed = wrap_key(&key, &escrow).unwrap();
		let reader = SecretKey::generate();
		let rewrapped = vault.rewrap(&escrowed, &H256(reader.public_key().0)).unwrap();
		assert_eq!(unwrap_key(&rewrapped, &reader).unwrap().expose(), key.expose());
		// Nobody else opens what was wrapped for the reader, nor the escrow copy.
		assert!(unwrap_key(&rewrapped, &SecretKey::generate()).is_err());
		assert!(unwrap_key(&escrowed, &reader).is_err());
		// A copy wrapped to another key does not open here.
		let foreign = wrap_key(&key, &SecretKey::generate().public_key()).unwrap();
		let error = vault.rewrap(&foreign, &H256(reader.public_key().0)).unwrap_err();
		assert!(matches!(error, VaultError::Escrow(_)), "{error}");
		assert_eq!(error.code(), 6033);
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
			reader_key: None,
			signature: Bytes(eve.pair().sign(&message).0.to_vec()),
		};
		let error = vault.get(request).await.unwrap_err();
		assert!(matches!(error, VaultError::UnknownRecord(_)), "{error}");
		let object = ErrorObjectOwned::from(error);
		assert_eq!(object.code(), 6020);
	}
}
