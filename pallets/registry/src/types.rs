//! SCALE types stored by the registry pallet.

use crate::Config;
use carechain_primitives::{OrgKind, Role};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{BoundedVec, CloneNoBound, DebugNoBound, EqNoBound, PartialEqNoBound};
use frame_system::pallet_prelude::BlockNumberFor;
use scale_info::TypeInfo;
use serde::{Deserialize, Serialize};
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

/// An organization's licence identifier: digits of a public register, each with its check
/// digit, so that no free text (a name, a note, a diagnosis) fits in it. An organization's name
/// is not kept on chain at all: it is in the documents whose hash is kept.
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
	Serialize,
	Deserialize,
)]
pub enum Licence {
	/// A US National Provider Identifier (CMS's NPPES register), for care providers and
	/// pharmacies: 10 ASCII digits, the first 1 or 2, the last the Luhn check digit of the
	/// others prefixed with `80840` (as the NPI standard defines it).
	Npi([u8; 10]),
	/// A GS1 Global Location Number, for any legal entity (payers, manufacturers,
	/// distributors, regulators, research sponsors, and care providers without an NPI): 13
	/// ASCII digits, the last the GS1 mod-10 check digit of the others.
	Gln([u8; 13]),
}

/// The prefix the NPI standard puts before the nine digits its check digit covers (the ISO
/// issuer identification number of US health applications).
const NPI_PREFIX: &[u8] = b"80840";

/// The Luhn check digit (as an ASCII digit) of ASCII digits `body`.
fn luhn_check_digit(body: impl DoubleEndedIterator<Item = u8>) -> u8 {
	// Every other digit, starting with the one next to the check digit, is doubled.
	let sum = body.rev().enumerate().fold(0u32, |sum, (i, d)| {
		let digit = u32::from(d.wrapping_sub(b'0'));
		let value = if i % 2 == 0 { digit.wrapping_mul(2) } else { digit };
		sum.wrapping_add(value / 10).wrapping_add(value % 10)
	});
	b'0'.wrapping_add((10u32.wrapping_sub(sum % 10) % 10) as u8)
}

impl Licence {
	/// The NPI whose first nine digits are `body`, with its check digit.
	pub fn npi(body: [u8; 9]) -> Self {
		let mut digits = [0u8; 10];
		digits[..9].copy_from_slice(&body);
		digits[9] = luhn_check_digit(NPI_PREFIX.iter().chain(&body).copied());
		Licence::Npi(digits)
	}

	/// The GLN whose first twelve digits are `body`, with its check digit.
	pub fn gln(body: [u8; 12]) -> Self {
		let mut digits = [0u8; 13];
		digits[..12].copy_from_slice(&body);
		digits[12] = carechain_primitives::gs1_check_digit(&body);
		Licence::Gln(digits)
	}

	/// Parses `npi:` followed by 10 digits or `gln:` followed by 13 digits; the form is checked
	/// by [`Licence::is_well_formed`], not here.
	pub fn parse(text: &str) -> Option<Self> {
		let (scheme, digits) = text.split_once(':')?;
		match scheme {
			"npi" => digits.as_bytes().try_into().ok().map(Licence::Npi),
			"gln" => digits.as_bytes().try_into().ok().map(Licence::Gln),
			_ => None,
		}
	}

	/// Whether every character is a digit and the check digit is right (and an NPI starts
	/// with 1 or 2).
	pub fn is_well_formed(&self) -> bool {
		match self {
			Licence::Npi(digits) => {
				let Some((&check, body)) = digits.split_last() else { return false };
				digits.iter().all(u8::is_ascii_digit)
					&& matches!(digits[0], b'1' | b'2')
					&& check == luhn_check_digit(NPI_PREFIX.iter().chain(body).copied())
			}
			Licence::Gln(digits) => carechain_primitives::has_gs1_check_digit(digits),
		}
	}

	/// A well-formed GLN, another for each `n` (any kind of organization may hold it), for
	/// benchmarks: their organizations need licences nobody else holds.
	#[cfg(feature = "runtime-benchmarks")]
	pub fn for_benchmark(n: u32) -> Self {
		let mut body = *b"990000000000";
		let mut rest = n;
		for digit in body[2..].iter_mut().rev() {
			*digit = b'0'.saturating_add((rest % 10) as u8);
			rest /= 10;
		}
		Licence::gln(body)
	}

	/// Whether an organization of `kind` may be registered under this licence: NPIs are issued
	/// to health care providers only.
	pub fn fits(&self, kind: OrgKind) -> bool {
		match self {
			Licence::Npi(_) => kind.is_care_provider() || kind == OrgKind::Pharmacy,
			Licence::Gln(_) => true,
		}
	}
}

/// A consortium organization.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct Organization<BlockNumber> {
	/// What kind of organization it is.
	pub kind: OrgKind,
	/// Whether it may act.
	pub status: OrgStatus,
	/// Its licence identifier, well formed (checked at admission and by `try_state`).
	pub licence: Licence,
	/// blake2b-256 of its credentials (legal name, licence documents): they stay off chain.
	pub documents_hash: H256,
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

/// A founding organization in the genesis config: kind, licence, documents hash and members.
pub type GenesisOrganization<AccountId> =
	(OrgKind, Licence, H256, alloc::vec::Vec<(AccountId, Role)>);

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
