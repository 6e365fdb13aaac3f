//! SCALE types stored by the records pallet.

use crate::Config;
use carechain_primitives::{FhirResourceType, Moment, OrgId, RecordId};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{CloneNoBound, DebugNoBound, EqNoBound, PartialEqNoBound};
use frame_system::pallet_prelude::BlockNumberFor;
use scale_info::TypeInfo;
use sp_core::H256;

/// Where a record version stands.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum RecordStatus {
	/// The current version.
	Active,
	/// A newer version replaced it.
	Amended,
	/// Its author or patient marked it as entered in error (FHIR `entered-in-error`).
	EnteredInError,
	/// It was crypto-shredded: its locator and keys are gone, only this tombstone remains.
	Erased,
}

/// Where a record's encrypted payload is kept: the vault's content address of the blob, the
/// blake2b-256 of its ciphertext (`carechain_vault::BlobId`, the name every vault store files a
/// blob under; a vault's receipt writes it as `cas:0x<hex>`). A fixed 32 bytes that must equal
/// the record's content hash, so that no free text (a file name, a URL, a note) fits in it.
pub type Locator = H256;

pub use carechain_primitives::WrappedKey;

/// One version of a medical record: the hash, size and locator of its encrypted payload, never
/// the payload itself.
#[derive(
	CloneNoBound, PartialEqNoBound, EqNoBound, Encode, Decode, MaxEncodedLen, TypeInfo, DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct Record<T: Config> {
	/// The patient it is about.
	pub patient: T::AccountId,
	/// Who wrote it.
	pub author: T::AccountId,
	/// The author's organization; `None` when the patient reported it.
	pub author_org: Option<OrgId>,
	/// The FHIR resource type of the payload.
	pub resource_type: FhirResourceType,
	/// blake2b-256 of the encrypted payload.
	pub content_hash: H256,
	/// Size of the encrypted payload in bytes.
	pub size: u64,
	/// Where the encrypted payload is stored, the same as `content_hash`; `None` once erased.
	pub locator: Option<Locator>,
	/// The data key wrapped to the patient; `None` once erased.
	pub patient_key: Option<WrappedKey>,
	/// The block it was created in.
	pub created_at: BlockNumberFor<T>,
	/// When it was created, in milliseconds since the Unix epoch.
	pub created_at_ms: Moment,
	/// 1 for the first version, one more for each amendment.
	pub version: u32,
	/// The version it amends.
	pub previous: Option<RecordId>,
	/// Where it stands.
	pub status: RecordStatus,
	/// The break-glass session it was written under, if any.
	pub emergency: Option<carechain_primitives::EmergencyId>,
}

/// The new content of a record or amendment, as a call gives it.
#[derive(Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, Debug)]
pub struct RecordContent {
	/// blake2b-256 of the encrypted payload.
	pub content_hash: H256,
	/// Size of the encrypted payload in bytes.
	pub size: u64,
	/// Where the encrypted payload is stored: its content address, equal to `content_hash`.
	pub locator: Locator,
	/// The data key wrapped to the patient (80 bytes of HPKE output).
	pub patient_key: WrappedKey,
}
