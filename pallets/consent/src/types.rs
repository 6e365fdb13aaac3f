//! SCALE types stored by the consent pallet.

use crate::Config;
use carechain_primitives::{
	AccessBasis, AuditAction, FhirResourceType, Moment, OrgId, Purpose, RecordId,
};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{
	pallet_prelude::ConstU32, BoundedVec, CloneNoBound, DebugNoBound, EqNoBound, PartialEqNoBound,
};
use scale_info::TypeInfo;
use serde::{Deserialize, Serialize};
use sp_core::H256;

/// Who a consent is given to.
#[derive(
	Clone,
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
pub enum Grantee<AccountId> {
	/// Every active member of an organization.
	Organization(OrgId),
	/// One member of an organization, for as long as they stay a member of the organization
	/// they belonged to when the consent was granted ([`Consent::grantee_org`]).
	Practitioner(AccountId),
}

/// Which records a consent covers, generic over the list containers so that calls take plain
/// vectors (checked against the bounds with named errors) and storage keeps bounded ones.
#[derive(
	Clone,
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
pub enum ConsentScope<ResourceTypes, Records> {
	/// All of the patient's records, present and future.
	AllRecords,
	/// The patient's records of these FHIR resource types.
	ResourceTypes(ResourceTypes),
	/// These records only.
	Records(Records),
}

impl<ResourceTypes, Records> ConsentScope<ResourceTypes, Records>
where
	ResourceTypes: AsRef<[FhirResourceType]>,
	Records: AsRef<[RecordId]>,
{
	/// How many items the scope lists: none for `AllRecords`. Saturates at `u32::MAX`.
	pub fn item_count(&self) -> u32 {
		let count = match self {
			ConsentScope::AllRecords => 0,
			ConsentScope::ResourceTypes(types) => types.as_ref().len(),
			ConsentScope::Records(records) => records.as_ref().len(),
		};
		u32::try_from(count).unwrap_or(u32::MAX)
	}
}

/// A scope as a call gives it.
pub type ScopeOf = ConsentScope<alloc::vec::Vec<FhirResourceType>, alloc::vec::Vec<RecordId>>;

/// A scope as storage keeps it.
pub type BoundedScope<T> = ConsentScope<
	BoundedVec<FhirResourceType, <T as Config>::MaxScopeItems>,
	BoundedVec<RecordId, <T as Config>::MaxScopeItems>,
>;

/// At most one of each purpose of use.
pub type PurposeList = BoundedVec<Purpose, ConstU32<5>>;

pub use carechain_primitives::WrappedKey;

/// A patient's consent: the FHIR Consent resource, reduced to what is enforced.
#[derive(
	CloneNoBound, PartialEqNoBound, EqNoBound, Encode, Decode, MaxEncodedLen, TypeInfo, DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct Consent<T: Config> {
	/// The patient whose records it covers.
	pub patient: T::AccountId,
	/// The patient or the guardian who granted it.
	pub granted_by: T::AccountId,
	/// Who may access.
	pub grantee: Grantee<T::AccountId>,
	/// The organization the grant is bound to: the grantee organization itself, or the
	/// organization a practitioner grantee belonged to when it was granted. A practitioner who
	/// leaves that organization, or moves to another, loses the access.
	pub grantee_org: OrgId,
	/// What may be accessed.
	pub scope: BoundedScope<T>,
	/// Why it may be accessed.
	pub purposes: PurposeList,
	/// When it was granted, in milliseconds since the Unix epoch.
	pub granted_at: Moment,
	/// When it stops allowing access, in milliseconds since the Unix epoch.
	pub expires_at: Moment,
}

/// How a consent stopped allowing access.
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
pub enum ConsentEnding {
	/// The patient or a guardian revoked it.
	Revoked,
	/// It reached its expiry and was cleared.
	Expired,
}

/// A consent that no longer allows access, kept so that the patient's history of consents
/// (FHIR `Consent` with status `inactive`) can still be shown. It holds no key.
#[derive(
	CloneNoBound, PartialEqNoBound, EqNoBound, Encode, Decode, MaxEncodedLen, TypeInfo, DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct EndedConsent<T: Config> {
	/// The consent as it was.
	pub consent: Consent<T>,
	/// When it ended, in milliseconds since the Unix epoch.
	pub ended_at: Moment,
	/// How.
	pub ending: ConsentEnding,
}

/// Why a practitioner broke the glass: a coarse code that says why consent could not be asked,
/// never what the patient has (no diagnosis-like category), so that neither state nor events
/// tell who had which kind of crisis. The practitioner's written justification stays off
/// chain; only its hash is kept.
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
pub enum EmergencyReason {
	/// The patient is unconscious.
	Unconscious,
	/// The patient is conscious but cannot consent now, and no guardian can be reached.
	UnableToConsent,
	/// Waiting for consent would put the patient's life at risk.
	LifeThreatening,
	/// Another emergency; the justification says which.
	Other,
}

/// A break-glass emergency access session.
#[derive(
	CloneNoBound, PartialEqNoBound, EqNoBound, Encode, Decode, MaxEncodedLen, TypeInfo, DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct Emergency<T: Config> {
	/// The patient.
	pub patient: T::AccountId,
	/// The practitioner who opened it.
	pub accessor: T::AccountId,
	/// The practitioner's organization.
	pub org: OrgId,
	/// The reason code.
	pub reason: EmergencyReason,
	/// A salted commitment to the written justification, which is kept off chain.
	pub justification_hash: H256,
	/// When it was opened.
	pub opened_at: Moment,
	/// When it closes.
	pub expires_at: Moment,
	/// Whether the patient disputed it.
	pub disputed: bool,
}

/// One entry of a patient's audit log.
#[derive(
	CloneNoBound, PartialEqNoBound, EqNoBound, Encode, Decode, MaxEncodedLen, TypeInfo, DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct AuditEntry<T: Config> {
	/// Who acted.
	pub accessor: T::AccountId,
	/// The accessor's organization at the time, if any.
	pub org: Option<OrgId>,
	/// The patient whose data it concerns.
	pub patient: T::AccountId,
	/// The record, when one was involved.
	pub record: Option<RecordId>,
	/// The declared purpose, for reads.
	pub purpose: Option<Purpose>,
	/// What happened.
	pub action: AuditAction,
	/// What allowed it.
	pub basis: Option<AccessBasis>,
	/// Whether it was emergency access, which the patient's wallet shows prominently.
	pub break_glass: bool,
	/// The block it happened in.
	pub block: frame_system::pallet_prelude::BlockNumberFor<T>,
	/// When it happened, in milliseconds since the Unix epoch.
	pub timestamp: Moment,
}
