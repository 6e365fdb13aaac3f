//! SCALE types stored by the registry pallet.

use crate::Config;
use carechain_primitives::{OrgKind, Role};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{BoundedVec, CloneNoBound, DebugNoBound, EqNoBound, PartialEqNoBound};
use frame_system::pallet_prelude::BlockNumberFor;
use scale_info::TypeInfo;
use sp_core::H256;

/// Whether an organization may act on chain.
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
pub enum OrgStatus {
	/// Its members act for it.
	Active,
	/// Governance suspended it: its members can do nothing until it is reinstated.
	Suspended,
}

/// A consortium organization.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct Organization<BlockNumber> {
	/// What kind of organization it is.
	pub kind: OrgKind,
	/// Whether it may act.
	pub status: OrgStatus,
	/// blake2b-256 of its legal name and licence: the documents stay off chain.
	pub credentials_hash: H256,
	/// How many accounts belong to it.
	pub member_count: u32,
	/// The block it was admitted in.
	pub admitted_at: BlockNumber,
}

/// An account's place in its organization.
#[derive(Clone, Copy, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct OrgMember {
	/// The organization.
	pub org: carechain_primitives::OrgId,
	/// The role in it.
	pub role: Role,
}

/// An X25519 public key to which record data keys are wrapped.
pub type EncryptionKey = [u8; 32];

/// A registered patient.
#[derive(
	CloneNoBound, PartialEqNoBound, EqNoBound, Encode, Decode, MaxEncodedLen, TypeInfo, DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct Patient<T: Config> {
	/// The public key record data keys are wrapped to.
	pub encryption_key: EncryptionKey,
	/// Accounts that act for the patient (parents of a minor, a legal guardian).
	pub guardians: BoundedVec<T::AccountId, T::MaxGuardians>,
	/// The block the patient registered in.
	pub registered_at: BlockNumberFor<T>,
}

/// A founding organization in the genesis config: kind, credentials hash and members.
pub type GenesisOrganization<AccountId> = (OrgKind, H256, alloc::vec::Vec<(AccountId, Role)>);
