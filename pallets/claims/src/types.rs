//! SCALE types stored by the claims pallet.

use crate::{BalanceOf, Config};
use carechain_primitives::{Moment, OrgId, RecordId};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{
	pallet_prelude::ConstU32, BoundedVec, CloneNoBound, DebugNoBound, EqNoBound, PartialEqNoBound,
};
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

/// The longest code: ICD-10-CM codes have up to 7 characters without the dot, CPT and HCPCS 5.
pub const MAX_CODE_LEN: u32 = 8;

/// A procedure code (CPT or HCPCS) or a diagnosis code or prefix (ICD-10-CM, without the dot):
/// 1 to 8 ASCII capital letters and digits.
pub type Code = BoundedVec<u8, ConstU32<MAX_CODE_LEN>>;

/// Whether `code` is 1 to 8 ASCII capital letters and digits.
pub fn is_valid_code(code: &[u8]) -> bool {
	!code.is_empty() && code.iter().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// A payer's coverage rules, generic over the list containers so that calls take plain vectors
/// (checked against the bounds with named errors) and storage keeps bounded ones.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct CoverageTerms<Procedures, Codes, Balance> {
	/// Covered procedure codes with the allowed amount per unit (the fee schedule).
	pub procedures: Procedures,
	/// ICD-10-CM prefixes of the principal diagnoses covered; empty covers every diagnosis.
	pub diagnosis_prefixes: Codes,
	/// Procedure codes that are paid only with a prior authorization.
	pub prior_authorization: Codes,
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
	CoverageTerms<alloc::vec::Vec<(Code, Balance)>, alloc::vec::Vec<Code>, Balance>;

/// Coverage terms as storage keeps them; procedures sorted by code.
pub type BoundedTerms<T> = CoverageTerms<
	BoundedVec<(Code, BalanceOf<T>), <T as Config>::MaxProcedures>,
	BoundedVec<Code, <T as Config>::MaxCodeList>,
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
	/// Its rules.
	pub terms: BoundedTerms<T>,
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

/// A service line as the provider bills it (FHIR `Claim.item`, X12 837 `SV1`).
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct ServiceLine<Balance> {
	/// The procedure code (CPT or HCPCS).
	pub procedure: Code,
	/// How many units were provided.
	pub units: u32,
	/// What the provider charges for the line.
	pub charged: Balance,
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
	/// The same service (patient, provider, day, procedure) was already claimed [CARC 18].
	Duplicate,
	/// The payer rejected the claim on review.
	RejectedOnReview,
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
	/// ICD-10-CM diagnosis codes, the principal one first.
	pub diagnoses: BoundedVec<Code, T::MaxDiagnoses>,
	/// The service lines and their adjudication.
	pub lines: BoundedVec<AdjudicatedLine<BalanceOf<T>>, T::MaxLines>,
	/// The records that support it, disclosed to the payer under Payment consent.
	pub records: BoundedVec<RecordId, T::MaxSupportingRecords>,
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
