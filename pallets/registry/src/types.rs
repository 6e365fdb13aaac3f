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

/// A consensus validator's ed25519 public key.
pub type ValidatorKey = [u8; 32];

/// A validator: its consensus key and the organization that runs it.
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
pub struct Validator {
	/// The ed25519 key it signs votes and proposals with.
	pub key: ValidatorKey,
	/// The organization that operates it.
	pub org: carechain_primitives::OrgId,
}

/// A validator set that governance announced, and the first block it validates.
#[derive(
	CloneNoBound, PartialEqNoBound, EqNoBound, Encode, Decode, MaxEncodedLen, TypeInfo, DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct ScheduledValidators<T: Config> {
	/// The first block that the new set decides.
	pub at: BlockNumberFor<T>,
	/// The new set.
	pub validators: BoundedVec<Validator, T::MaxValidators>,
}

/// What a validator's key signs to prove that its operator holds it: this prefix, the SCALE
/// encoding of the organization id, and the key.
pub const VALIDATOR_PROOF_CONTEXT: &[u8] = b"carechain/validator/v1";

/// The bytes a validator key signs to be added for `org`.
pub fn validator_proof_payload(
	org: carechain_primitives::OrgId,
	key: &ValidatorKey,
) -> alloc::vec::Vec<u8> {
	use codec::Encode as _;
	[VALIDATOR_PROOF_CONTEXT, &org.encode()[..], &key[..]].concat()
}

/// How many transactions one signer may have applied: `per_block` more each block, saved up
/// to `burst`. A signer starts with a full `burst`.
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
pub struct RateLimit {
	/// Transactions the allowance grows by in each block: the most a signer sustains.
	pub per_block: u32,
	/// The most the allowance holds: the longest run a signer may send at once.
	pub burst: u32,
}

/// What is left of a signer's allowance, and the block it was last counted in.
#[derive(Clone, Copy, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct Allowance<BlockNumber> {
	/// Transactions the signer may still send, as of `counted_at`.
	pub remaining: u32,
	/// The block `remaining` was counted in; later blocks add `per_block` each.
	pub counted_at: BlockNumber,
}

/// Why an account may sign: it decides the signer's [`RateLimit`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Standing {
	/// A member of an active organization (admitted by governance, accountable).
	Member,
	/// A registered patient (self-registered, so cheap to create: a small allowance).
	Patient,
}
