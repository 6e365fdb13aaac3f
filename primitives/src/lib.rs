//! # Carechain primitives
//!
//! The vocabulary that Carechain's pallets, runtime and node share: who a consortium member
//! is ([`OrgKind`], [`Role`], [`Membership`]), what a record is about ([`FhirResourceType`]),
//! why somebody reads it ([`Purpose`]), and how an access decision is reported ([`Decision`]).
//!
//! Pallets never read each other's storage. They talk through the traits here:
//! [`MembershipProvider`] (answered by the registry), [`RecordLookup`] (answered by the
//! records pallet) and [`AccessPolicy`] with [`AuditLog`] (answered by the consent pallet).

#![cfg_attr(not(feature = "std"), no_std)]

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use serde::{Deserialize, Serialize};
use sp_core::H256;

#[cfg(feature = "std")]
pub mod privacy;
#[cfg(feature = "std")]
pub mod signatures;
pub mod telehealth;
pub mod wellness;

/// Identifier of a consortium organization, assigned in admission order.
pub type OrgId = u32;

/// Identifier of a medical record version: a blake2b-256 hash, deterministic from its inputs.
pub type RecordId = H256;

/// Identifier of a consent grant, assigned in grant order.
pub type ConsentId = u64;

/// Identifier of a break-glass emergency access session, assigned in opening order.
pub type EmergencyId = u64;

/// Milliseconds since the Unix epoch, as `pallet-timestamp` keeps time.
pub type Moment = u64;

/// Milliseconds in a day.
pub const DAY_MS: Moment = 24 * 60 * 60 * 1000;

/// An account only the pallet `pallet` (its `PalletId`) controls, one per `purpose`: blake2b-256
/// of both, as many bytes as the account id takes (zeros after), so that it holds whatever
/// the account id's size. Claims' escrows and settlement accounts and wellness's escrows.
pub fn pallet_account<AccountId: Decode>(pallet: impl Encode, purpose: impl Encode) -> AccountId {
	use sp_runtime::traits::{BlakeTwo256, Hash, TrailingZeroInput};
	let entropy = BlakeTwo256::hash_of(&(pallet, purpose));
	AccountId::decode(&mut TrailingZeroInput::new(entropy.as_ref()))
		.expect("infinite input; decoding an account id cannot fail")
}

/// The calendar day (UTC) of a time: days since 1970-01-01; `u32::MAX` for times past it.
pub fn day_of(at: Moment) -> u32 {
	u32::try_from(at / DAY_MS).unwrap_or(u32::MAX)
}

/// The length of a wrapped data key: an HPKE X25519 encapsulated key (32 bytes) and the sealed
/// 32-byte data key with its 16-byte tag (`carechain_vault::envelope::WRAPPED_KEY_LEN`).
pub const WRAPPED_KEY_LEN: usize = 80;

/// A record's data key wrapped to one recipient's X25519 key. A fixed length, so that a field
/// meant for a key has no room for anything longer.
pub type WrappedKey = [u8; WRAPPED_KEY_LEN];

/// The GS1 mod-10 check digit (as an ASCII digit) of ASCII digits `body`: the last digit of a
/// GTIN, an SSCC or a GLN.
pub fn gs1_check_digit(body: &[u8]) -> u8 {
	// Weights 3, 1, 3, ... from the digit next to the check digit.
	let weighted = body.iter().rev().enumerate().fold(0u32, |sum, (i, d)| {
		let digit = u32::from(d.wrapping_sub(b'0'));
		sum.wrapping_add(if i % 2 == 0 { digit.wrapping_mul(3) } else { digit })
	});
	b'0'.wrapping_add((10u32.wrapping_sub(weighted % 10) % 10) as u8)
}

/// Whether `digits` are ASCII digits whose last is the GS1 mod-10 check digit of the others.
pub fn has_gs1_check_digit(digits: &[u8]) -> bool {
	let Some((&check, body)) = digits.split_last() else { return false };
	digits.iter().all(u8::is_ascii_digit) && check == gs1_check_digit(body)
}

/// What kind of organization a consortium member is.
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
pub enum OrgKind {
	/// An acute-care hospital.
	Hospital,
	/// An outpatient clinic or practice.
	Clinic,
	/// A diagnostic laboratory.
	Lab,
	/// An insurer or other payer of claims.
	Payer,
	/// A drug or device manufacturer.
	Manufacturer,
	/// A wholesale distributor.
	Distributor,
	/// A dispensing pharmacy.
	Pharmacy,
	/// A regulator or public-health authority.
	Regulator,
	/// A sponsor of clinical research.
	ResearchSponsor,
}

impl OrgKind {
	/// Whether practitioners of this kind of organization provide care and so may author
	/// records and open break-glass access.
	pub fn is_care_provider(self) -> bool {
		matches!(self, OrgKind::Hospital | OrgKind::Clinic | OrgKind::Lab)
	}
}

/// The role an account holds inside its organization.
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
pub enum Role {
	/// Manages the organization's own members.
	Admin,
	/// A licensed clinician: may author records and request access.
	Practitioner,
	/// Administrative staff: may transact for the organization but not author records.
	Staff,
}

/// An account's place in an active organization, as the registry reports it.
#[derive(Clone, Copy, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct Membership {
	/// The organization.
	pub org: OrgId,
	/// The organization's kind.
	pub kind: OrgKind,
	/// The account's role in it.
	pub role: Role,
}

/// The FHIR R4 resource type a record holds.
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
pub enum FhirResourceType {
	/// Demographics of the patient.
	Patient,
	/// A measurement or assertion: vital sign, lab result.
	Observation,
	/// A diagnosis or problem.
	Condition,
	/// An action performed on the patient.
	Procedure,
	/// A prescription.
	MedicationRequest,
	/// A statement of medication taken.
	MedicationStatement,
	/// An allergy or intolerance.
	AllergyIntolerance,
	/// A vaccination.
	Immunization,
	/// A report of diagnostic findings.
	DiagnosticReport,
	/// A reference to a document (PDF, scan, note).
	DocumentReference,
	/// An interaction between patient and provider.
	Encounter,
	/// A plan of care.
	CarePlan,
	/// A DICOM imaging study.
	ImagingStudy,
	/// A collection of resources.
	Bundle,
	/// Any other FHIR resource type.
	Other,
}

/// Why an accessor reads a record: the HL7 purpose-of-use subset that consents name.
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
pub enum Purpose {
	/// Treatment of the patient (HL7 TREAT).
	Treatment,
	/// Payment for care (HL7 HPAYMT).
	Payment,
	/// Healthcare operations (HL7 HOPERAT).
	Operations,
	/// Research (HL7 HRESCH).
	Research,
	/// Public health reporting (HL7 PUBHLTH).
	PublicHealth,
}

/// What allowed an access.
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
pub enum AccessBasis {
	/// The accessor is the patient.
	Patient,
	/// The accessor is one of the patient's guardians.
	Guardian,
	/// The accessor belongs to the organization that authored the record, and reads it for
	/// treatment, payment or operations (HIPAA's TPO exception).
	AuthorOrganization,
	/// A consent of the patient allows it.
	Consent(ConsentId),
	/// An open break-glass emergency session allows it.
	BreakGlass(EmergencyId),
}

impl AccessBasis {
	/// The basis of an act by the patient or, when `who` is someone else, by a guardian:
	/// callers check first that `who` is one of the two.
	pub fn of_owner<AccountId: PartialEq>(patient: &AccountId, who: &AccountId) -> Self {
		if patient == who {
			AccessBasis::Patient
		} else {
			AccessBasis::Guardian
		}
	}
}

/// Why an access was refused.
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
pub enum DenialReason {
	/// No record has that id.
	UnknownRecord,
	/// The record belongs to another patient.
	RecordNotOfPatient,
	/// The record was erased (crypto-shredded); only its tombstone remains.
	RecordErased,
	/// The accessor is not a member of an active organization.
	AccessorNotActive,
	/// No consent names this accessor.
	NoConsent,
	/// A consent names this accessor but has expired.
	ConsentExpired,
	/// A consent names this accessor but not for this purpose.
	PurposeNotPermitted,
	/// A consent names this accessor but does not cover this record.
	OutOfScope,
}

/// The answer to "may this accessor read this record for this purpose now?".
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
pub enum Decision {
	/// Access is allowed, and this is why.
	Allowed(AccessBasis),
	/// Access is denied, and this is why.
	Denied(DenialReason),
}

impl Decision {
	/// Whether access is allowed.
	pub fn is_allowed(&self) -> bool {
		matches!(self, Decision::Allowed(_))
	}
}

/// What an audit entry records.
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
pub enum AuditAction {
	/// A record was created.
	Create,
	/// A record's content was read.
	Read,
	/// A record was amended or marked entered-in-error.
	Amend,
	/// A record was erased.
	Erase,
	/// A consent was granted.
	Grant,
	/// A consent was revoked.
	Revoke,
	/// A break-glass emergency session was opened.
	BreakGlass,
	/// A record was disclosed to a payer in support of a claim.
	Disclose,
	/// The patient or a guardian disputed a break-glass session, which closed it and blocks
	/// its practitioner from breaking the glass for the patient again.
	DisputeBreakGlass,
	/// The patient or a guardian lifted the block a dispute put on a practitioner.
	LiftDisputeBlock,
}

/// What the records pallet tells others about a record, without its locator or keys.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct RecordSubject<AccountId> {
	/// The patient the record is about.
	pub patient: AccountId,
	/// The FHIR resource type it holds.
	pub resource_type: FhirResourceType,
	/// The organization that authored it; `None` for self-reported data.
	pub author_org: Option<OrgId>,
	/// Whether it was erased.
	pub erased: bool,
	/// Whether it is the current version (not amended, marked entered in error, or erased).
	pub current: bool,
	/// When it was written, in milliseconds since the Unix epoch.
	pub created_at: Moment,
	/// The break-glass session it was written under, if any: its authoring organization's
	/// rights to it last only as long as that session stays undisputed.
	pub emergency: Option<EmergencyId>,
}

/// The consortium registry, as other pallets see it.
pub trait MembershipProvider<AccountId> {
	/// The account's membership, if it belongs to an organization that is active.
	fn active_membership(who: &AccountId) -> Option<Membership>;
	/// Whether the organization exists and is active.
	fn is_active_organization(org: OrgId) -> bool {
		Self::active_organization_kind(org).is_some()
	}
	/// The organization's kind, if it exists and is active.
	fn active_organization_kind(org: OrgId) -> Option<OrgKind>;
	/// Whether the account registered itself as a patient.
	fn is_patient(who: &AccountId) -> bool;
	/// Whether `who` is the patient or one of the patient's guardians.
	fn is_patient_or_guardian(patient: &AccountId, who: &AccountId) -> bool;
	/// Whether `who` is one of the patient's guardians.
	fn is_guardian(patient: &AccountId, who: &AccountId) -> bool;

	/// Registers `who` as a patient and, when `org` is given, also as a member with that role of
	/// a fresh organization of that kind: only for benchmarks, which need actors to exist.
	#[cfg(feature = "runtime-benchmarks")]
	fn register_for_benchmark(who: &AccountId, org: Option<(OrgKind, Role)>);

	/// Leaves out of a benchmark's counts the keys that the transaction extension reads for
	/// every signer before any call (the signer's standing), so that a call's weight does not
	/// charge again what the measured extrinsic base weight holds.
	#[cfg(feature = "runtime-benchmarks")]
	fn whitelist_signer_for_benchmark(who: &AccountId);
}

/// The record index, as other pallets see it.
pub trait RecordLookup<AccountId> {
	/// What the record is about, or `None` if no record has that id.
	fn record_subject(record: &RecordId) -> Option<RecordSubject<AccountId>>;

	/// Creates a record of `resource_type` for benchmarks, authored by the patient.
	#[cfg(feature = "runtime-benchmarks")]
	fn create_for_benchmark(
		patient: &AccountId,
		resource_type: FhirResourceType,
		seed: u32,
	) -> RecordId;

	/// Makes `record` one a practitioner of `org` wrote, for benchmarks.
	#[cfg(feature = "runtime-benchmarks")]
	fn set_author_org_for_benchmark(_record: &RecordId, _org: OrgId) {}
}

/// The access policy: the patient's consents and open emergencies.
pub trait AccessPolicy<AccountId> {
	/// How many consents a decision about `patient` scans at most now: what `check_access`
	/// and `check_write` cost, for callers that charge the bound and refund the rest.
	fn consents_of(patient: &AccountId) -> u32;
	/// Decides whether `author` may write a new record of `resource_type` for `patient` at
	/// `now`: the patient or a guardian; a practitioner of an active care provider named (by
	/// account bound to its organization, or by organization) in an unexpired consent of the
	/// patient for `Purpose::Treatment` whose scope covers `resource_type` (a scope listing
	/// record ids covers no new record); or one with an open break-glass session for the
	/// patient through its current organization. Authorship alone gives no right to write.
	fn check_write(
		patient: &AccountId,
		author: &AccountId,
		resource_type: FhirResourceType,
		now: Moment,
	) -> Decision;
	/// Decides whether `accessor` may read `record` of `patient` for `purpose` at `now`.
	fn check_access(
		patient: &AccountId,
		accessor: &AccountId,
		record: &RecordId,
		purpose: Purpose,
		now: Moment,
	) -> Decision;
	/// Destroys every data key of `record` wrapped for grantees: the record is being erased.
	/// Returns how many it destroyed.
	fn forget_record_keys(record: &RecordId) -> u32;

	/// Grants `grantee` treatment and payment access to all of the patient's records, with a wrapped key of
	/// `record`: only for benchmarks, which need consents to exist.
	#[cfg(feature = "runtime-benchmarks")]
	fn grant_for_benchmark(patient: &AccountId, grantee: &AccountId, record: &RecordId);
}

/// The append-only audit log of accesses (the HIPAA accounting of disclosures).
pub trait AuditLog<AccountId> {
	/// Appends an entry to the patient's log.
	fn append(
		patient: &AccountId,
		accessor: &AccountId,
		record: Option<RecordId>,
		purpose: Option<Purpose>,
		action: AuditAction,
		basis: Option<AccessBasis>,
	);
}
