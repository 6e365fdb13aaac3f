//! SCALE types stored by the claims pallet.

use crate::{BalanceOf, Config};
use carechain_primitives::{
	telehealth::{AppointmentId, Jurisdiction, Modality},
	Moment, OrgId, RecordId,
};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{BoundedVec, CloneNoBound, DebugNoBound, EqNoBound, PartialEqNoBound};
use scale_info::TypeInfo;
use sp_core::H256;
use sp_runtime::Percent;

/// Identifier of a coverage policy, assigned in publication order.
pub type PolicyId = u32;

/// Identifier of a claim, assigned in submission order.
pub type ClaimId = u64;

/// A calendar day: days since 1970-01-01 (UTC). Claims carry dates, not times (FHIR
/// `Claim.item.servicedDate`, X12 837 `DTP*472`).
pub type Day = u32;

/// The policy code key: 32 random bytes a payer draws for each policy and key epoch, and
/// shares only with the provider organizations it pays, wrapped to each organization's X25519
/// key ([`WrappedCodeKey`]). It never reaches the chain.
pub type CodeKey = [u8; 32];

/// A keyed pseudonym of a clinical code or code prefix: BLAKE2b-256 keyed with the policy code
/// key over `CODE_TAG_DOMAIN ‖ kind ‖ length ‖ code` (see `code_tag`). Whoever lacks the
/// key, validators included, cannot map a tag back to its code, even by trying every code.
pub type CodeTag = H256;

/// What the message of a [`CodeTag`] starts with: a version, so that a changed encoding never
/// produces tags equal to today's.
pub const CODE_TAG_DOMAIN: &[u8] = b"carechain/code/v1";

/// Which code system a tag stands for; its byte is part of the tagged message, so a procedure's
/// tag never equals a diagnosis's, whatever the codes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
pub enum CodeKind {
	/// An ICD-10-CM diagnosis code or prefix.
	Diagnosis = 0,
	/// A CPT or HCPCS procedure code.
	Procedure = 1,
}

/// The prefix lengths a claim's principal diagnosis is tagged at: ICD-10-CM categories have 3
/// characters and full codes up to 7 (without the dot).
pub const DIAGNOSIS_PREFIX_LENGTHS: core::ops::RangeInclusive<u8> = 3..=7;

/// How many tags a claim's principal diagnosis carries: one per prefix length, padded for
/// shorter codes, so every diagnosis costs the same and its length does not show.
pub const DIAGNOSIS_TAGS: usize = 5;

/// A principal diagnosis as a claim carries it: for each prefix length `n` in
/// [`DIAGNOSIS_PREFIX_LENGTHS`], the tag of the code's first `n` characters, or, where the code
/// is shorter than `n`, the tag of the whole code with length byte `n` (a message no real
/// prefix has, so it matches no rule). See [`diagnosis_tags`].
pub type DiagnosisTags = [CodeTag; DIAGNOSIS_TAGS];

/// Bytes of a wrapped policy code key: HPKE base mode (X25519, HKDF-SHA256, ChaCha20-Poly1305)
/// with info `carechain/claims/code-key/v1`, the encapsulated key (32) then the sealed code key
/// (32 and a 16-byte tag), as the vault wraps record data keys.
pub const WRAPPED_CODE_KEY_LEN: usize = 80;

/// A policy code key wrapped to a provider organization's X25519 key.
pub type WrappedCodeKey = [u8; WRAPPED_CODE_KEY_LEN];

/// Whether `code` is 1 to 8 ASCII capital letters and digits: the shape of ICD-10-CM (without
/// the dot), CPT and HCPCS codes.
pub fn is_valid_code(code: &[u8]) -> bool {
	(1..=8).contains(&code.len())
		&& code.iter().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// The tag of `code` of `kind` under `key`, with `length` as the message's length byte.
#[cfg(feature = "std")]
fn tag_with_length(key: &CodeKey, kind: CodeKind, length: u8, code: &[u8]) -> CodeTag {
	let mut state = blake2b_simd::Params::new().hash_length(32).key(key).to_state();
	state.update(CODE_TAG_DOMAIN).update(&[kind as u8, length]).update(code);
	CodeTag::from_slice(state.finalize().as_bytes())
}

/// The tag of a procedure code, or of a diagnosis prefix a policy covers, under a policy code
/// key; `None` unless `code` is 1 to 8 capital letters and digits. Payers and providers compute
/// tags off chain (client-js: `codeTag`); the chain only compares them.
#[cfg(feature = "std")]
pub fn code_tag(key: &CodeKey, kind: CodeKind, code: &[u8]) -> Option<CodeTag> {
	let length = u8::try_from(code.len()).ok()?;
	is_valid_code(code).then(|| tag_with_length(key, kind, length, code))
}

/// The tags of a principal diagnosis (see [`DiagnosisTags`]); `None` unless `code` is an
/// ICD-10-CM code without the dot: 3 to 7 capital letters and digits.
#[cfg(feature = "std")]
pub fn diagnosis_tags(key: &CodeKey, code: &[u8]) -> Option<DiagnosisTags> {
	let length = u8::try_from(code.len()).ok()?;
	if !is_valid_code(code) || !DIAGNOSIS_PREFIX_LENGTHS.contains(&length) {
		return None;
	}
	let mut tags = [CodeTag::zero(); DIAGNOSIS_TAGS];
	for (tag, n) in tags.iter_mut().zip(DIAGNOSIS_PREFIX_LENGTHS) {
		let prefix = &code[..usize::from(n.min(length))];
		*tag = tag_with_length(key, CodeKind::Diagnosis, n, prefix);
	}
	Some(tags)
}

/// A policy's code key epoch: claims name the epoch whose key tagged them.
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
pub struct CodeKeyEpoch {
	/// The epoch: 0 when the policy is published, one more at each rotation.
	pub epoch: u32,
	/// The first day of service billed under this epoch's key; earlier days are billed under
	/// the previous epoch's (while it is kept), so that a service always has the same tag and
	/// the duplicate check holds across rotations.
	pub first_day: Day,
}

/// The code lists of a policy under one epoch's key, generic over the list containers as
/// [`CoverageTerms`] is.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct CodeRules<Procedures, Tags> {
	/// Tags of covered procedure codes with the allowed amount per unit, sorted by tag.
	pub procedures: Procedures,
	/// Tags of the covered principal-diagnosis prefixes; empty covers every diagnosis.
	pub diagnosis_prefixes: Tags,
	/// Tags of the procedure codes paid only with a prior authorization.
	pub prior_authorization: Tags,
}

/// Code lists as `rotate_code_key` takes them.
pub type CodeRulesOf<Balance> =
	CodeRules<alloc::vec::Vec<(CodeTag, Balance)>, alloc::vec::Vec<CodeTag>>;

/// Code lists as storage keeps them.
pub type BoundedCodeRules<T> = CodeRules<
	BoundedVec<(CodeTag, BalanceOf<T>), <T as Config>::MaxProcedures>,
	BoundedVec<CodeTag, <T as Config>::MaxCodeList>,
>;

/// The code lists of the epoch before a policy's current one, kept so that services of days
/// before the rotation can still be billed under the key that tagged them.
#[derive(
	CloneNoBound, PartialEqNoBound, EqNoBound, Encode, Decode, MaxEncodedLen, TypeInfo, DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct PreviousCodeRules<T: Config> {
	/// The epoch they were tagged under.
	pub epoch: u32,
	/// The lists.
	pub rules: BoundedCodeRules<T>,
}

/// An identifier of a prior authorization, assigned in grant order: events name it instead of
/// the patient and the procedure.
pub type AuthorizationId = u64;

/// A prior authorization: the service days it covers.
#[derive(Clone, Copy, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct PriorAuthorization {
	/// Its identifier.
	pub id: AuthorizationId,
	/// The first service day covered.
	pub from: Day,
	/// The last service day covered.
	pub until: Day,
}

/// A payer's coverage rules, generic over the list containers so that calls take plain vectors
/// (checked against the bounds with named errors) and storage keeps bounded ones. Codes appear
/// only as tags under the policy code key of the current epoch.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct CoverageTerms<Procedures, Tags, Balance> {
	/// Tags of covered procedure codes (CPT/HCPCS) with the allowed amount per unit (the fee
	/// schedule).
	pub procedures: Procedures,
	/// Tags of the ICD-10-CM prefixes of the principal diagnoses covered, each tagged with its
	/// own length (3 to 7 characters); empty covers every diagnosis.
	pub diagnosis_prefixes: Tags,
	/// Tags of the procedure codes that are paid only with a prior authorization.
	pub prior_authorization: Tags,
	/// What the patient pays each plan year before the policy shares costs.
	pub deductible: Balance,
	/// The patient's share of allowed amounts after the deductible.
	pub coinsurance: Percent,
	/// The most the patient pays in a plan year (deductible and coinsurance together).
	pub out_of_pocket_max: Balance,
	/// Claims charging more than this in covered lines wait for the payer's review.
	pub review_threshold: Balance,
	/// More covered lines than this from one provider on one service day are flagged for
	/// review as unusual.
	pub max_daily_lines_per_provider: u32,
	/// The first day of coverage; plan years count from it.
	pub valid_from: Day,
	/// The last day of coverage.
	pub valid_until: Day,
}

/// Coverage terms as a call gives them.
pub type TermsOf<Balance> =
	CoverageTerms<alloc::vec::Vec<(CodeTag, Balance)>, alloc::vec::Vec<CodeTag>, Balance>;

/// Coverage terms as storage keeps them; procedures sorted by tag.
pub type BoundedTerms<T> = CoverageTerms<
	BoundedVec<(CodeTag, BalanceOf<T>), <T as Config>::MaxProcedures>,
	BoundedVec<CodeTag, <T as Config>::MaxCodeList>,
	BalanceOf<T>,
>;

/// A published coverage policy (FHIR `InsurancePlan` and `Coverage`).
#[derive(
	CloneNoBound, PartialEqNoBound, EqNoBound, Encode, Decode, MaxEncodedLen, TypeInfo, DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct Policy<T: Config> {
	/// The payer organization that publishes and funds it.
	pub payer: OrgId,
	/// Its rules, the code lists tagged under the current epoch's key.
	pub terms: BoundedTerms<T>,
	/// The current code key epoch.
	pub code_key: CodeKeyEpoch,
	/// Whether claims are paid; a payer may suspend a policy.
	pub active: bool,
	/// When it was published.
	pub published_at: Moment,
}

/// A patient's enrollment in a policy (FHIR `Coverage`).
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct Enrollment {
	/// blake2b-256 of the payer's member id: the id itself stays with the payer.
	pub member_id_hash: H256,
	/// When the payer enrolled the patient.
	pub enrolled_at: Moment,
}

/// What a patient has paid in a plan year.
#[derive(Clone, Copy, PartialEq, Eq, Default, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct Accumulator<Balance> {
	/// Paid towards the deductible.
	pub deductible_met: Balance,
	/// Paid in total (deductible and coinsurance), towards the out-of-pocket maximum.
	pub out_of_pocket: Balance,
}

/// Where a telehealth service was received (CMS place-of-service codes).
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
pub enum TelehealthPlace {
	/// POS 02: telehealth received somewhere other than the patient's home.
	OtherThanHome,
	/// POS 10: telehealth received in the patient's home.
	Home,
}

/// The modifier of a telehealth line, which names how it took place.
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
pub enum TelehealthModifier {
	/// 95: synchronous audio and video; paid against a video encounter.
	AudioVideo,
	/// 93: synchronous audio only; paid against an audio-only encounter.
	AudioOnly,
}

impl TelehealthModifier {
	/// The encounter modality the modifier bills.
	pub fn modality(self) -> Modality {
		match self {
			TelehealthModifier::AudioVideo => Modality::Video,
			TelehealthModifier::AudioOnly => Modality::AudioOnly,
		}
	}
}

/// What makes a line a telehealth service: the attested encounter it bills and how.
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
pub struct TelehealthService {
	/// The telehealth pallet's appointment whose attested encounter the line bills.
	pub appointment: AppointmentId,
	/// Where the patient received it (POS 02 or 10).
	pub place: TelehealthPlace,
	/// How it took place (modifier 95 or 93).
	pub modifier: TelehealthModifier,
	/// The jurisdiction the patient was in, where the practitioner must have been licensed.
	pub jurisdiction: Jurisdiction,
	/// The minutes billed (time-based codes): at most the encounter's attested duration.
	pub minutes: u32,
}

/// A service line as the provider bills it (FHIR `Claim.item`, X12 837 `SV1`).
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct ServiceLine<Balance> {
	/// The tag of the procedure code (CPT or HCPCS) under the claim's code key epoch.
	pub procedure: CodeTag,
	/// How many units were provided.
	pub units: u32,
	/// What the provider charges for the line.
	pub charged: Balance,
	/// For a telehealth service, the encounter it bills; paid only when that encounter was
	/// attested by both sides with the claim's patient, practitioner, organization, day and
	/// modality, the practitioner was licensed for the patient's jurisdiction when it started,
	/// and it lasted at least the minutes billed.
	pub telehealth: Option<TelehealthService>,
}

/// Why a line was not paid (X12 835 claim adjustment reason codes in brackets).
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
pub enum DenialReason {
	/// The procedure is not in the policy's fee schedule [CARC 96].
	NotCovered,
	/// The principal diagnosis is not covered [CARC 11].
	DiagnosisNotCovered,
	/// The procedure needs a prior authorization that does not cover the service day [CARC 197].
	PriorAuthorizationMissing,
	/// The policy or its payer organization was suspended [CARC 27]. (A day of service outside
	/// the policy's validity is refused at submission: `ServiceOutsidePolicyPeriod`.)
	PolicyInactive,
	/// The same service (patient, provider, day, procedure tag) was already claimed [CARC 18].
	Duplicate,
	/// The payer rejected the claim on review.
	RejectedOnReview,
	/// A telehealth line names no encounter attested by both sides with the claim's patient,
	/// practitioner, organization, day of service and the modifier's modality [CARC 5].
	EncounterNotAttested,
	/// The practitioner held no valid licence for the patient's jurisdiction when the
	/// encounter started, or the line names another jurisdiction than the encounter's [CARC B7].
	NotLicensedInJurisdiction,
	/// The minutes billed exceed the encounter's attested duration [CARC 150].
	DurationNotSupported,
}

/// Where a line stands (FHIR `ClaimResponse.item.adjudication`).
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
pub enum LineOutcome {
	/// Eligible, waiting for the payer's review of the claim.
	Pending,
	/// Paid at the charged amount.
	Allowed,
	/// Paid at the policy's allowed amount, less than the charge [CARC 45].
	Reduced,
	/// Not paid.
	Denied(DenialReason),
	/// Denied and appealed; the payer has not yet decided.
	UnderAppeal(DenialReason),
}

/// A service line with its adjudication.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct AdjudicatedLine<Balance> {
	/// The line as billed.
	pub billed: ServiceLine<Balance>,
	/// Its outcome.
	pub outcome: LineOutcome,
	/// The fee schedule's amount for the billed units when the claim was submitted (zero when
	/// the procedure is not covered): a pended line is settled at it, whatever the code lists
	/// hold by then.
	pub scheduled: Balance,
	/// The amount the policy recognizes (FHIR adjudication `eligible`).
	pub allowed: Balance,
	/// What the payer paid the provider from escrow (`benefit`).
	pub payer_paid: Balance,
	/// What the patient owes the provider (`deductible` plus `copay`/coinsurance).
	pub patient_share: Balance,
	/// blake2b-256 of the provider's appeal justification, once appealed.
	pub appeal: Option<H256>,
}

/// Why a claim waits for the payer.
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
pub enum PendReason {
	/// Its covered lines charge more than the policy's review threshold.
	AboveReviewThreshold,
	/// The provider billed an unusual number of lines for the service day.
	UnusualVolume,
	/// The policy's escrow cannot pay the payer's share.
	EscrowShort,
}

/// Where a claim stands (FHIR `ClaimResponse.outcome`).
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
pub enum ClaimStatus {
	/// Waiting for the payer's review (`queued`).
	Pended(PendReason),
	/// Every line was decided by the rules or the payer (`complete`).
	Adjudicated,
	/// The payer rejected it on review.
	Rejected,
}

/// A claim and its adjudication (FHIR `Claim` with `ClaimResponse`, X12 837 with 835).
#[derive(
	CloneNoBound, PartialEqNoBound, EqNoBound, Encode, Decode, MaxEncodedLen, TypeInfo, DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct Claim<T: Config> {
	/// The policy billed.
	pub policy: PolicyId,
	/// The patient served.
	pub patient: T::AccountId,
	/// The provider organization paid.
	pub provider: OrgId,
	/// The practitioner who submitted it.
	pub practitioner: T::AccountId,
	/// The day of service.
	pub service_date: Day,
	/// The code key epoch whose key tagged the claim's codes.
	pub code_key_epoch: u32,
	/// The tags of the principal diagnosis (ICD-10-CM); the other diagnoses travel only in the
	/// attachment, since no rule reads them.
	pub diagnosis: DiagnosisTags,
	/// The service lines and their adjudication.
	pub lines: BoundedVec<AdjudicatedLine<BalanceOf<T>>, T::MaxLines>,
	/// The records that support it, disclosed to the payer under Payment consent.
	pub records: BoundedVec<RecordId, T::MaxSupportingRecords>,
	/// blake2b-256 of the claim's sealed attachment in the vault: the plaintext codes (a FHIR
	/// `Claim`), which only holders of its data key read.
	pub attachment: H256,
	/// Where it stands.
	pub status: ClaimStatus,
	/// When it was submitted.
	pub submitted_at: Moment,
}

/// What a policy's escrow has received and paid out, so that what it may still pay is known
/// without trusting the escrow account's balance (anyone may transfer into that account; such
/// transfers are never counted as funding and never paid out).
#[derive(Clone, Copy, PartialEq, Eq, Default, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct EscrowLedger<Balance> {
	/// Moved in with `fund_policy`.
	pub funded: Balance,
	/// Paid to providers for claim lines.
	pub paid: Balance,
	/// Withdrawn to the payer's settlement account.
	pub withdrawn: Balance,
}

impl<Balance: sp_runtime::traits::Saturating + Copy> EscrowLedger<Balance> {
	/// What the escrow may still pay: funded, less paid, less withdrawn.
	pub fn available(&self) -> Balance {
		self.funded.saturating_sub(self.paid).saturating_sub(self.withdrawn)
	}
}
