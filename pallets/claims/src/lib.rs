//! # Claims Pallet
//!
//! Claims that adjudicate and pay themselves from rules that payers publish.
//!
//! ## Overview
//!
//! A payer organization publishes coverage policies as on-chain rules ([`CoverageTerms`]): a
//! fee schedule of covered procedure codes (CPT/HCPCS) with allowed amounts per unit, covered
//! principal-diagnosis prefixes (ICD-10-CM), codes that need prior authorization, a deductible,
//! coinsurance, an annual out-of-pocket maximum and a validity period. No clinical code is on
//! chain in plaintext: every code is a [`CodeTag`], a BLAKE2b-256 of the code keyed with the
//! policy's code key, which the payer draws and shares only with provider organizations, wrapped
//! to each one's X25519 key ([`WrappedCodeKeys`]); the plaintext codes travel in the claim's
//! sealed attachment in the vault, of which the claim keeps the content hash.
//!
//! The payer funds each policy's escrow, a sub-account of this pallet, in the settlement
//! currency (`pallet-balances`), and enrolls patients by the hash of their member id. Each
//! escrow keeps a ledger ([`EscrowLedger`]): what was funded, paid to providers and withdrawn;
//! the escrow pays only what the ledger holds, never money sent to its account by other means.
//!
//! A practitioner of an active care provider submits a claim for an enrolled patient, citing the
//! records that support it. The day of service must lie within the policy's period, on or after
//! the patient's enrollment, and at most `TimelyFilingDays` before the day of submission (the
//! timely-filing limit). Each supporting record must be current and written on the day of
//! service or at most `MaxRecordDelayDays` after it, and supports the services of one day only:
//! the first claim that cites a record fixes its day ([`RecordServiceDays`]), so that billing
//! another day needs another record, which needs the patient's consent or an audited
//! break-glass session to write. The practitioner must be allowed to disclose each record for
//! Payment as a provider: the record was written by the practitioner's organization, or a
//! consent of the patient names the practitioner or the organization (the consent pallet
//! decides, and each disclosure is audited). Reading a record as the patient or a guardian is
//! not a provider relationship: a practitioner does not bill for their own or their ward's care.
//! The claim is then adjudicated at once, line by line, in this order: policy inactive (also
//! while its payer organization is suspended),
//! principal diagnosis not covered, procedure not covered, duplicate service, prior
//! authorization missing. Eligible lines are allowed at the lesser of the charge and the fee
//! schedule; the deductible, then coinsurance, capped by the out-of-pocket maximum, give the
//! patient's share, recorded on the claim; the payer's share moves from escrow to the provider
//! organization's settlement account. A claim whose eligible lines charge more than the review
//! threshold, that brings its provider above the policy's daily line count, or that the escrow
//! cannot pay, is pended for the payer's review instead.
//!
//! The same patient, provider, service day and procedure code is paid once, whatever the claim
//! or the path: later lines are denied as duplicates, and an appeal is overturned only while no
//! other line holds the service. A provider may appeal each denied line of a claim that was not
//! rejected, once; the payer upholds the denial or overturns it with an allowed amount, which is
//! then settled like any other line. A rejected claim is final: its services are freed for a
//! corrected claim, and its open appeals are closed.
//!
//! ## Code keys and their epochs
//!
//! A policy's code key has epochs ([`CodeKeyEpoch`]): the payer rotates it
//! ([`Pallet::rotate_code_key`]) by republishing the policy's code lists tagged under a fresh
//! key, which applies to services from the next day on. Each day of service belongs to one
//! epoch, so a service always has the same tag and is paid once across rotations. Claims name
//! the epoch that tagged them: the current one, or the previous one for days of service before
//! the rotation (its lists are kept in [`PreviousCodes`] until the next rotation retires them).
//! A claim of an older epoch, of a future one, or of a day its epoch does not cover is refused;
//! a claim tagged under another policy's key or a wrong one matches no rule and is denied.
//!
//! ## Settlement accounts
//!
//! Each organization has one settlement account, derived from the pallet id and the
//! organization id ([`Pallet::settlement_account`]); no key controls it. Claims are paid into
//! the provider's, and a payer's admins withdraw unused escrow into the payer's. Money leaves a
//! settlement account only through [`Pallet::collect_payments`], signed by an admin of that
//! organization, and only to the organization's payout account ([`PayoutAccounts`]), which
//! governance registers with [`Pallet::set_payout_account`]: no single admin can pay the
//! organization's money to themselves. Until governance registers one, nothing is collected.
//!
//! ## Mapping to FHIR and X12
//!
//! | Here | FHIR R4 | X12 |
//! |---|---|---|
//! | [`Policy`], [`CoverageTerms`] | `InsurancePlan`, `Coverage` | 271 benefit information |
//! | [`Enrollment`]`.member_id_hash` | `Coverage.subscriberId` (hashed) | 837 `NM1*IL` member id |
//! | [`Claim`] | `Claim` | 837P claim (`CLM`) |
//! | `Claim.service_date` | `Claim.item.servicedDate` | `DTP*472` |
//! | `Claim.diagnosis` (tags) | `Claim.diagnosis` (the principal one) | `HI*ABK` |
//! | `Claim.attachment` | the `Claim` itself, sealed in the vault | the 837 itself |
//! | [`ServiceLine`] | `Claim.item` (`productOrService`, `quantity`, `net`) | `SV1` |
//! | `Claim.records` | `Claim.supportingInfo` | `PWK` attachments |
//! | [`AdjudicatedLine`] amounts | `ClaimResponse.item.adjudication`: `eligible`, `benefit`, `deductible`+`copay` | 835 `SVC` with `CAS*PR` |
//! | [`DenialReason`] | `ClaimResponse.item.adjudication.reason` | 835 `CAS*CO` reason codes |
//! | [`ClaimStatus`] | `ClaimResponse.outcome` (`queued`, `complete`) | 277 claim status |
//!
//! ## Dispatchable Functions
//!
//! - [`Pallet::publish_policy`]: a member of an active payer organization.
//! - [`Pallet::set_policy_active`], [`Pallet::fund_policy`], [`Pallet::enroll`],
//!   [`Pallet::authorize_procedure`], [`Pallet::review_claim`], [`Pallet::resolve_appeal`],
//!   [`Pallet::rotate_code_key`], [`Pallet::share_code_key`]: a member of the policy's payer
//!   organization.
//! - [`Pallet::withdraw_escrow`]: an admin of the policy's payer organization; the money goes to
//!   the payer's settlement account.
//! - [`Pallet::collect_payments`]: an admin of an active organization, from its settlement
//!   account to its payout account.
//! - [`Pallet::set_payout_account`]: governance (`GovernanceOrigin`).
//! - [`Pallet::submit_claim`]: a practitioner of an active care provider with a provider
//!   relationship to the patient.
//! - [`Pallet::appeal_line`]: a member of the claim's provider organization.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
pub mod migrations;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod types;
pub mod weights;

pub use types::*;
pub use weights::WeightInfo;

use alloc::vec::Vec;
use carechain_primitives::{
	telehealth::{AppointmentId, EncounterLookup},
	AccessBasis, AccessPolicy, AuditAction, AuditLog, Decision, Membership, MembershipProvider,
	Moment, OrgId, OrgKind, Purpose, RecordId, RecordLookup, Role,
};
use frame_support::traits::fungible;

/// Milliseconds in a calendar day: service days are counted in days since the Unix epoch.
pub const MILLISECONDS_PER_DAY: Moment = carechain_primitives::DAY_MS;

/// A list's length as a weight component; lengths past `u32::MAX` are charged as `u32::MAX`.
fn count(len: usize) -> u32 {
	u32::try_from(len).unwrap_or(u32::MAX)
}

/// The settlement currency's balance type.
pub type BalanceOf<T> =
	<<T as Config>::Currency as fungible::Inspect<<T as frame_system::Config>::AccountId>>::Balance;

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::{
		pallet_prelude::*,
		traits::{
			fungible::{Inspect, Mutate},
			tokens::{Fortitude, Preservation},
			Time,
		},
		PalletId,
	};
	use frame_system::pallet_prelude::*;
	use sp_core::H256;
	use sp_runtime::traits::{Saturating, Zero};

	/// The in-code storage version: 1 added the escrow ledgers ([`Escrows`]);
	/// [`crate::migrations::v1::MigrateV0ToV1`] migrates from 0. Version 1 state with plaintext
	/// codes has no migration to tags (the chain cannot tag codes without the payers' keys):
	/// such a chain starts over. 2 added telehealth lines ([`ServiceLine::telehealth`]);
	/// [`crate::migrations::v2::MigrateV1ToV2`] migrates from 1.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(2);

	/// Days in a plan year, counted from the policy's first day.
	pub const PLAN_YEAR_DAYS: Day = 365;

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Configuration of the claims pallet.
	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The consortium registry.
		type Registry: MembershipProvider<Self::AccountId>;
		/// The access policy and audit log (the consent pallet).
		type Access: AccessPolicy<Self::AccountId> + AuditLog<Self::AccountId>;
		/// The records that claims cite (the records pallet): when each was written and whether
		/// it is current. Benchmarks also create records through it.
		type Records: RecordLookup<Self::AccountId>;
		/// The telehealth encounters and licences that telehealth lines bill (the telehealth
		/// pallet).
		type Encounters: EncounterLookup<Self::AccountId>;
		/// Registers each organization's payout account: the only account its settlement
		/// account pays out to.
		type GovernanceOrigin: EnsureOrigin<Self::RuntimeOrigin>;
		/// The settlement currency.
		type Currency: fungible::Mutate<Self::AccountId>;
		/// The chain's clock, in milliseconds since the Unix epoch.
		type Time: Time<Moment = Moment>;
		/// Seeds the escrow account of each policy and the settlement account of each
		/// organization.
		#[pallet::constant]
		type PalletId: Get<PalletId>;
		/// The most procedure codes in a fee schedule.
		#[pallet::constant]
		type MaxProcedures: Get<u32>;
		/// The most diagnosis prefixes, and the most prior-authorization codes, of a policy.
		#[pallet::constant]
		type MaxCodeList: Get<u32>;
		/// The most service lines in a claim.
		#[pallet::constant]
		type MaxLines: Get<u32>;
		/// The most provider organizations a policy's code key is wrapped to, per epoch.
		#[pallet::constant]
		type MaxCodeKeyHolders: Get<u32>;
		/// The most supporting records a claim cites.
		#[pallet::constant]
		type MaxSupportingRecords: Get<u32>;
		/// The most consents of one patient that `Access` scans to decide one disclosure (the
		/// consent pallet's `MaxGrantsPerPatient`): `submit_claim` is charged for that many per
		/// supporting record.
		#[pallet::constant]
		type MaxPatientConsents: Get<u32>;
		/// The timely-filing limit: a claim is accepted at most this many days after its day of
		/// service.
		#[pallet::constant]
		type TimelyFilingDays: Get<Day>;
		/// A supporting record must have been written on the day of service or at most this
		/// many days after it (documentation written later does not support the service).
		#[pallet::constant]
		type MaxRecordDelayDays: Get<Day>;
		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;
	}

	/// The next policy id.
	#[pallet::storage]
	pub type NextPolicyId<T> = StorageValue<_, PolicyId, ValueQuery>;

	/// Published policies. Ids are assigned by the chain in order, so `Twox64Concat` is safe.
	#[pallet::storage]
	pub type Policies<T: Config> = StorageMap<_, Twox64Concat, PolicyId, Policy<T>>;

	/// Enrollments of patients in policies.
	#[pallet::storage]
	pub type Enrollments<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		PolicyId,
		Blake2_128Concat,
		T::AccountId,
		Enrollment,
		OptionQuery,
	>;

	/// Prior authorizations by policy, patient and procedure tag: the service days they cover.
	/// Tags are keyed hashes, so `Identity` is safe for them.
	#[pallet::storage]
	pub type PriorAuthorizations<T: Config> = StorageNMap<
		_,
		(
			NMapKey<Twox64Concat, PolicyId>,
			NMapKey<Blake2_128Concat, T::AccountId>,
			NMapKey<Identity, CodeTag>,
		),
		PriorAuthorization,
		OptionQuery,
	>;

	/// The next prior authorization id.
	#[pallet::storage]
	pub type NextAuthorizationId<T> = StorageValue<_, AuthorizationId, ValueQuery>;

	/// The code lists of each policy's previous code key epoch, for days of service before its
	/// rotation; the next rotation replaces them.
	#[pallet::storage]
	pub type PreviousCodes<T: Config> = StorageMap<_, Twox64Concat, PolicyId, PreviousCodeRules<T>>;

	/// A policy's code key of an epoch, wrapped to each provider organization the payer shares it
	/// with; only the current and the previous epoch's are kept. Policy ids and epochs are
	/// assigned by the chain in order, so `Twox64Concat` is safe.
	#[pallet::storage]
	pub type WrappedCodeKeys<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		PolicyId,
		Twox64Concat,
		u32,
		BoundedBTreeMap<OrgId, WrappedCodeKey, T::MaxCodeKeyHolders>,
		ValueQuery,
	>;

	/// What each enrolled patient has paid per plan year (years counted from the policy's
	/// first day).
	#[pallet::storage]
	pub type Accumulators<T: Config> = StorageNMap<
		_,
		(
			NMapKey<Twox64Concat, PolicyId>,
			NMapKey<Blake2_128Concat, T::AccountId>,
			NMapKey<Twox64Concat, u32>,
		),
		Accumulator<BalanceOf<T>>,
		ValueQuery,
	>;

	/// The next claim id.
	#[pallet::storage]
	pub type NextClaimId<T> = StorageValue<_, ClaimId, ValueQuery>;

	/// Claims by id. Ids are assigned by the chain in order, so `Twox64Concat` is safe.
	#[pallet::storage]
	pub type Claims<T: Config> = StorageMap<_, Twox64Concat, ClaimId, Claim<T>>;

	/// What each policy's escrow was funded with, paid and had withdrawn; it pays at most
	/// `funded - paid - withdrawn`. Keys are policy ids, as in `Policies`.
	#[pallet::storage]
	pub type Escrows<T: Config> =
		StorageMap<_, Twox64Concat, PolicyId, EscrowLedger<BalanceOf<T>>, ValueQuery>;

	/// The claim that holds each billed service, by blake2b-256 of (patient, provider, day,
	/// procedure tag): the duplicate check. A day of service has one code key epoch, so a
	/// service has one tag. Keys are hashes, so `Identity` is safe.
	#[pallet::storage]
	pub type ClaimedServices<T: Config> = StorageMap<_, Identity, H256, ClaimId>;

	/// The claim whose telehealth line holds each billed encounter: an encounter is billed by
	/// one pending or paid line. Appointment ids are assigned by the telehealth pallet in order,
	/// so `Twox64Concat` is safe.
	#[pallet::storage]
	pub type BilledEncounters<T: Config> = StorageMap<_, Twox64Concat, AppointmentId, ClaimId>;

	/// The day of service each cited record supports, fixed by the first claim that cites it:
	/// a record supports the services of one day only. Record ids are hashes that the records
	/// pallet derives, so `Identity` is safe.
	#[pallet::storage]
	pub type RecordServiceDays<T: Config> = StorageMap<_, Identity, RecordId, Day>;

	/// The account each organization's settlement account pays out to, registered by
	/// governance. Organization ids are assigned by the registry in order, so `Twox64Concat`
	/// is safe.
	#[pallet::storage]
	pub type PayoutAccounts<T: Config> = StorageMap<_, Twox64Concat, OrgId, T::AccountId>;

	/// Eligible lines each provider organization billed per service day, for the volume flag.
	#[pallet::storage]
	pub type ProviderDailyLines<T: Config> =
		StorageDoubleMap<_, Twox64Concat, OrgId, Twox64Concat, Day, u32, ValueQuery>;

	// Event fields are named for what they hold; the variant docs say what happened.
	#[allow(missing_docs)]
	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A payer published a policy.
		PolicyPublished { policy_id: PolicyId, payer: OrgId, escrow: T::AccountId },
		/// A payer suspended or resumed a policy.
		PolicyStatusChanged { policy_id: PolicyId, active: bool },
		/// A policy's escrow was funded.
		PolicyFunded { policy_id: PolicyId, from: T::AccountId, amount: BalanceOf<T> },
		/// A payer's admin took unused funds back from a policy's escrow into the payer's
		/// settlement account.
		EscrowWithdrawn {
			policy_id: PolicyId,
			payer: OrgId,
			by: T::AccountId,
			to: T::AccountId,
			amount: BalanceOf<T>,
		},
		/// An organization's admin moved funds from its settlement account to its payout
		/// account.
		PaymentsCollected { org: OrgId, by: T::AccountId, to: T::AccountId, amount: BalanceOf<T> },
		/// Governance registered the account an organization's settlement account pays out to.
		PayoutAccountSet { org: OrgId, account: T::AccountId },
		/// A payer enrolled a patient in a policy.
		PatientEnrolled { policy_id: PolicyId, patient: T::AccountId },
		/// A payer authorized a procedure for a patient in advance. The event names neither the
		/// patient nor the procedure.
		PriorAuthorizationGranted { policy_id: PolicyId, authorization_id: AuthorizationId },
		/// A payer rotated a policy's code key: services from `first_day` on are tagged under
		/// the key of `epoch`.
		CodeKeyRotated { policy_id: PolicyId, epoch: u32, first_day: Day },
		/// A payer shared a policy's code key of an epoch with a provider organization.
		CodeKeyShared { policy_id: PolicyId, epoch: u32, org: OrgId },
		/// A claim was submitted.
		ClaimSubmitted {
			claim_id: ClaimId,
			policy_id: PolicyId,
			provider: OrgId,
			patient: T::AccountId,
		},
		/// A claim was adjudicated and its payer's share paid to the provider.
		ClaimAdjudicated {
			claim_id: ClaimId,
			payer_paid: BalanceOf<T>,
			patient_share: BalanceOf<T>,
		},
		/// A claim waits for the payer's review.
		ClaimPended { claim_id: ClaimId, reason: PendReason },
		/// The payer rejected a pended claim.
		ClaimRejected { claim_id: ClaimId },
		/// A provider appealed a denied line.
		LineAppealed { claim_id: ClaimId, line: u32, justification: H256 },
		/// The payer decided an appeal.
		AppealResolved {
			claim_id: ClaimId,
			line: u32,
			overturned: bool,
			payer_paid: BalanceOf<T>,
			patient_share: BalanceOf<T>,
		},
	}

	/// Errors of the claims pallet.
	#[pallet::error]
	pub enum Error<T> {
		/// The signer is not a member of an active payer organization.
		NotPayer,
		/// The signer is not a member of the policy's payer organization.
		NotPolicyPayer,
		/// The signer belongs to the policy's payer but is not one of its admins: only admins
		/// move money out of escrow.
		NotPayerAdmin,
		/// The signer is not a practitioner of an active care provider.
		NotProviderPractitioner,
		/// The signer is not a member of the claim's provider organization.
		NotClaimProvider,
		/// The signer is not an admin of an active organization.
		NotOrganizationAdmin,
		/// No policy has that id.
		UnknownPolicy,
		/// The fee schedule is empty.
		NoProcedures,
		/// The fee schedule has more codes than `MaxProcedures`.
		TooManyProcedures,
		/// A procedure tag appears twice in the fee schedule.
		DuplicateProcedure,
		/// An allowed amount is zero.
		ZeroAllowedAmount,
		/// More diagnosis prefix or prior-authorization tags than `MaxCodeList`.
		TooManyCodes,
		/// The out-of-pocket maximum is below the deductible.
		OutOfPocketBelowDeductible,
		/// The last day is before the first day.
		BadPeriod,
		/// The amount is zero.
		ZeroAmount,
		/// The signer's account cannot pay that amount.
		InsufficientFunds,
		/// The account is not a registered patient.
		PatientNotRegistered,
		/// The patient is enrolled in the policy already.
		AlreadyEnrolled,
		/// The patient is not enrolled in the policy.
		NotEnrolled,
		/// The claim has no service lines.
		NoLines,
		/// The claim has more lines than `MaxLines`.
		TooManyLines,
		/// The principal diagnosis repeats a tag: each prefix length has its own tag (see
		/// `diagnosis_tags`).
		InvalidDiagnosisTags,
		/// The policy has no code key epoch that new: tag the claim under the current one.
		UnknownCodeKeyEpoch,
		/// The claim is tagged under an epoch older than the previous one, whose code lists were
		/// retired: its days of service can no longer be billed under this policy.
		CodeKeyEpochRetired,
		/// The claim is tagged under the previous epoch's key, but its day of service is on or
		/// after the current epoch's first day: tag it under the current key.
		CodeKeyEpochSuperseded,
		/// The day of service is before the current epoch's first day: tag the claim under the
		/// previous epoch's key.
		ServiceBeforeCodeKeyEpoch,
		/// The current code key epoch has not begun (it begins the day after its rotation):
		/// rotate again from its first day.
		CodeKeyRotationPending,
		/// The republished code lists differ from the current ones in their lengths or their
		/// allowed amounts: a rotation changes the key, not the rules; publish a new policy to
		/// change them.
		RotationChangesRules,
		/// The policy's code key epochs are used up.
		CodeKeyEpochsExhausted,
		/// The organization is not an active care provider: code keys are shared only with
		/// organizations that bill claims.
		NotCareProvider,
		/// The epoch's code key is wrapped to `MaxCodeKeyHolders` organizations already.
		TooManyCodeKeyHolders,
		/// The claim cites no supporting record.
		NoSupportingRecords,
		/// The claim cites more records than `MaxSupportingRecords`.
		TooManyRecords,
		/// A line has zero units.
		ZeroUnits,
		/// A line charges nothing.
		ZeroCharge,
		/// A telehealth line bills zero minutes.
		ZeroMinutes,
		/// The line's telehealth encounter is already billed by a pending or paid line.
		EncounterAlreadyBilled,
		/// A supporting record does not exist or belongs to another patient.
		UnknownRecord,
		/// A supporting record was erased.
		RecordErased,
		/// The practitioner holds no consent to disclose a supporting record for payment.
		NoConsent,
		/// The consent that names the practitioner has expired.
		ConsentExpired,
		/// The consent that names the practitioner does not allow Payment.
		PurposeNotPermitted,
		/// The consent that names the practitioner does not cover a supporting record.
		OutOfScope,
		/// The submitter is not a member of an active organization.
		AccessorNotActive,
		/// No claim has that id.
		UnknownClaim,
		/// The claim is not waiting for review.
		NotPended,
		/// The claim has no line with that index.
		UnknownLine,
		/// Only denied lines can be appealed.
		LineNotDenied,
		/// The line was appealed already; each line may be appealed once.
		AlreadyAppealed,
		/// The line is not under appeal.
		NotUnderAppeal,
		/// The allowed amount of an overturned line is zero or above its charge.
		BadAllowedAmount,
		/// The policy's escrow cannot pay the payer's share; the payer must fund it first.
		InsufficientEscrow,
		/// The claim was rejected on review: its lines cannot be appealed or overturned; submit
		/// a corrected claim instead.
		ClaimNotAppealable,
		/// Another line (of this claim or another one) already holds the same service (patient,
		/// provider, day, procedure): overturning this line would pay the service twice.
		ServiceAlreadyClaimed,
		/// The practitioner may disclose a supporting record only as the patient or a guardian,
		/// not as a provider: cite records the provider wrote or holds a consent for, and let
		/// another practitioner bill a ward's care.
		NoProviderRelationship,
		/// A practitioner may not bill for their own care; another practitioner of the
		/// provider must submit the claim.
		ClaimForSelf,
		/// The day of service is after today (UTC): services are billed once rendered.
		ServiceDateInFuture,
		/// The day of service is more than `TimelyFilingDays` before today: the timely-filing
		/// limit has passed.
		FilingWindowClosed,
		/// The day of service is before the day the patient was enrolled in the policy.
		ServiceBeforeEnrollment,
		/// The day of service lies outside the policy's period (`valid_from` to
		/// `valid_until`).
		ServiceOutsidePolicyPeriod,
		/// A supporting record was amended, marked entered in error or erased: cite its
		/// current version.
		RecordNotCurrent,
		/// A supporting record was written before the day of service: it cannot document it.
		RecordBeforeService,
		/// A supporting record was written more than `MaxRecordDelayDays` after the day of
		/// service.
		RecordTooLate,
		/// A supporting record already supports a claim for another day of service: each record
		/// supports the services of one day; cite a record of this day.
		RecordSupportsAnotherDay,
		/// The organization has no payout account: governance must register one
		/// (`set_payout_account`) before its payments can be collected.
		NoPayoutAccount,
		/// No active organization has that id.
		UnknownOrganization,
	}

	impl<T> From<carechain_primitives::DenialReason> for Error<T> {
		fn from(reason: carechain_primitives::DenialReason) -> Self {
			use carechain_primitives::DenialReason as Denial;
			match reason {
				Denial::UnknownRecord | Denial::RecordNotOfPatient => Error::UnknownRecord,
				Denial::RecordErased => Error::RecordErased,
				Denial::AccessorNotActive => Error::AccessorNotActive,
				Denial::NoConsent => Error::NoConsent,
				Denial::ConsentExpired => Error::ConsentExpired,
				Denial::PurposeNotPermitted => Error::PurposeNotPermitted,
				Denial::OutOfScope => Error::OutOfScope,
			}
		}
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(T::MaxProcedures::get() >= 1, "a fee schedule has at least one procedure");
			assert!(T::MaxLines::get() >= 1, "a claim has at least one line");
			assert!(T::MaxCodeKeyHolders::get() >= 1, "a code key is shared with a provider");
			assert!(T::MaxSupportingRecords::get() >= 1, "a claim cites at least one record");
			assert!(T::MaxPatientConsents::get() >= 1, "a patient may grant a consent");
			assert!(T::TimelyFilingDays::get() >= 1, "a claim may be filed after the day of care");
			assert!(
				T::TimelyFilingDays::get() <= 2 * PLAN_YEAR_DAYS,
				"the timely-filing limit is at most two plan years"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Publishes a coverage policy with its own escrow account.
		///
		/// The signer must be a member of an active payer organization.
		///
		/// - `terms`: the rules, their codes tagged under the policy's code key of epoch 0; each
		///   list is bounded (`MaxProcedures`, `MaxCodeList`) before it is looked at, the fee
		///   schedule is sorted and must not repeat a tag.
		///
		/// Emits `PolicyPublished`. O(p log p), p procedures.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::publish_policy(count(terms.procedures.len())))]
		pub fn publish_policy(
			origin: OriginFor<T>,
			terms: TermsOf<BalanceOf<T>>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let payer = Self::payer_org(&who)?;
			let terms = Self::bounded_terms(terms)?;

			let policy_id = NextPolicyId::<T>::get();
			NextPolicyId::<T>::put(policy_id.saturating_add(1));
			Policies::<T>::insert(
				policy_id,
				Policy {
					payer,
					terms,
					code_key: CodeKeyEpoch { epoch: 0, first_day: 0 },
					active: true,
					published_at: T::Time::now(),
				},
			);
			let escrow = Self::escrow_account(policy_id);
			Self::deposit_event(Event::PolicyPublished { policy_id, payer, escrow });
			Ok(())
		}

		/// Suspends or resumes a policy: lines of a suspended policy are denied as
		/// `PolicyInactive`.
		///
		/// The signer must be a member of the policy's payer.
		///
		/// - `policy_id`: the policy.
		/// - `active`: whether claims are paid.
		///
		/// Emits `PolicyStatusChanged`. O(1).
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::set_policy_active())]
		pub fn set_policy_active(
			origin: OriginFor<T>,
			policy_id: PolicyId,
			active: bool,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut policy = Self::policy_of_payer(policy_id, &who)?;
			policy.active = active;
			Policies::<T>::insert(policy_id, policy);
			Self::deposit_event(Event::PolicyStatusChanged { policy_id, active });
			Ok(())
		}

		/// Moves settlement funds from the signer's account into a policy's escrow, and counts
		/// them in the escrow's ledger as funded.
		///
		/// The signer must be a member of the policy's payer.
		///
		/// - `policy_id`: the policy.
		/// - `amount`: how much to move.
		///
		/// Emits `PolicyFunded`. O(1).
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::fund_policy())]
		pub fn fund_policy(
			origin: OriginFor<T>,
			policy_id: PolicyId,
			amount: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::policy_of_payer(policy_id, &who)?;
			ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
			let spendable =
				T::Currency::reducible_balance(&who, Preservation::Expendable, Fortitude::Polite);
			ensure!(spendable >= amount, Error::<T>::InsufficientFunds);

			T::Currency::transfer(
				&who,
				&Self::escrow_account(policy_id),
				amount,
				Preservation::Expendable,
			)?;
			Escrows::<T>::mutate(policy_id, |ledger| {
				ledger.funded = ledger.funded.saturating_add(amount)
			});
			Self::deposit_event(Event::PolicyFunded { policy_id, from: who, amount });
			Ok(())
		}

		/// Enrolls a registered patient in a policy.
		///
		/// The signer must be a member of the policy's payer.
		///
		/// - `policy_id`: the policy.
		/// - `patient`: a registered patient.
		/// - `member_id_hash`: blake2b-256 of the payer's member id for the patient.
		///
		/// Emits `PatientEnrolled`. O(1).
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::enroll())]
		pub fn enroll(
			origin: OriginFor<T>,
			policy_id: PolicyId,
			patient: T::AccountId,
			member_id_hash: H256,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::policy_of_payer(policy_id, &who)?;
			ensure!(T::Registry::is_patient(&patient), Error::<T>::PatientNotRegistered);
			ensure!(
				!Enrollments::<T>::contains_key(policy_id, &patient),
				Error::<T>::AlreadyEnrolled
			);

			Enrollments::<T>::insert(
				policy_id,
				&patient,
				Enrollment { member_id_hash, enrolled_at: T::Time::now() },
			);
			Self::deposit_event(Event::PatientEnrolled { policy_id, patient });
			Ok(())
		}

		/// Authorizes a procedure for an enrolled patient in advance, for service days from
		/// `from` to `until`; replaces an earlier authorization of the same procedure tag.
		///
		/// The signer must be a member of the policy's payer.
		///
		/// - `policy_id`: the policy.
		/// - `patient`: an enrolled patient.
		/// - `procedure`: the procedure's tag under the key of the epoch of the days covered (an
		///   authorization across a rotation is granted once under each epoch's tag).
		/// - `from`, `until`: the first and last service day covered.
		///
		/// Emits `PriorAuthorizationGranted` with the authorization's id only. O(1).
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::authorize_procedure())]
		pub fn authorize_procedure(
			origin: OriginFor<T>,
			policy_id: PolicyId,
			patient: T::AccountId,
			procedure: CodeTag,
			from: Day,
			until: Day,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::policy_of_payer(policy_id, &who)?;
			ensure!(Enrollments::<T>::contains_key(policy_id, &patient), Error::<T>::NotEnrolled);
			ensure!(from <= until, Error::<T>::BadPeriod);

			let authorization_id = NextAuthorizationId::<T>::get();
			NextAuthorizationId::<T>::put(authorization_id.saturating_add(1));
			PriorAuthorizations::<T>::insert(
				(policy_id, &patient, procedure),
				PriorAuthorization { id: authorization_id, from, until },
			);
			Self::deposit_event(Event::PriorAuthorizationGranted { policy_id, authorization_id });
			Ok(())
		}

		/// Submits a claim and adjudicates it at once against the policy: each line is allowed,
		/// reduced to the allowed amount or denied with a reason; the payer's share is paid
		/// from escrow to the provider and the patient's share recorded, unless the claim must
		/// wait for the payer's review. Each supporting record's disclosure is audited.
		///
		/// The signer must be a practitioner of an active care provider, other than the patient,
		/// allowed to disclose each supporting record for Payment as a provider: the record was
		/// written by the practitioner's organization, or a consent of the patient names the
		/// practitioner or the organization. Reading a record as the patient or a guardian does
		/// not count (`NoProviderRelationship`).
		///
		/// - `policy_id`: the policy the patient is enrolled in.
		/// - `patient`: the patient served.
		/// - `service_date`: the day of service (UTC): today or at most `TimelyFilingDays`
		///   earlier, not before the patient's enrollment, within the policy's period.
		/// - `code_key_epoch`: the epoch whose code key tagged the claim: the current one, or the
		///   previous one for a day of service before the current one's first day.
		/// - `diagnosis`: the principal diagnosis's tags (`diagnosis_tags`), five distinct tags.
		/// - `lines`: the service lines, procedures as tags; 1 to `MaxLines`.
		/// - `records`: the records that support the claim; 1 to `MaxSupportingRecords`. Each must
		///   be current, written on the day of service or at most `MaxRecordDelayDays` after it,
		///   and not already support a claim for another day; the claim fixes each record's day.
		/// - `attachment`: blake2b-256 of the claim's sealed attachment in the vault, which holds
		///   the plaintext codes.
		///
		/// Emits `ClaimSubmitted`, then `ClaimAdjudicated` or `ClaimPended`. O(l log p + r·g):
		/// l lines, p procedures in the fee schedule, r records, g the patient's consents that the
		/// access policy scans for each record (at most `MaxPatientConsents`); each record is
		/// also read once and its day of service read and written, and a claim of the previous
		/// epoch reads that epoch's code lists.
		/// Every list is bounded before it is looped over; the weight is benchmarked with each
		/// record found only after a scan of `MaxPatientConsents` consents, the worst case.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::submit_claim(count(lines.len()), count(records.len())))]
		pub fn submit_claim(
			origin: OriginFor<T>,
			policy_id: PolicyId,
			patient: T::AccountId,
			service_date: Day,
			code_key_epoch: u32,
			diagnosis: DiagnosisTags,
			lines: Vec<ServiceLine<BalanceOf<T>>>,
			records: Vec<RecordId>,
			attachment: H256,
		) -> DispatchResult {
			let practitioner = ensure_signed(origin)?;
			let provider = T::Registry::active_membership(&practitioner)
				.filter(|m| m.kind.is_care_provider() && m.role == Role::Practitioner)
				.ok_or(Error::<T>::NotProviderPractitioner)?
				.org;
			ensure!(practitioner != patient, Error::<T>::ClaimForSelf);
			let policy = Policies::<T>::get(policy_id).ok_or(Error::<T>::UnknownPolicy)?;
			let enrollment =
				Enrollments::<T>::get(policy_id, &patient).ok_or(Error::<T>::NotEnrolled)?;
			let now = T::Time::now();
			let today = Self::day_of(now);
			ensure!(service_date <= today, Error::<T>::ServiceDateInFuture);
			ensure!(
				service_date >= today.saturating_sub(T::TimelyFilingDays::get()),
				Error::<T>::FilingWindowClosed
			);
			ensure!(
				service_date >= Self::day_of(enrollment.enrolled_at),
				Error::<T>::ServiceBeforeEnrollment
			);
			ensure!(
				(policy.terms.valid_from..=policy.terms.valid_until).contains(&service_date),
				Error::<T>::ServiceOutsidePolicyPeriod
			);
			let rules = Self::code_rules(policy_id, &policy, code_key_epoch, service_date)?;
			ensure!(
				diagnosis.iter().enumerate().all(|(i, tag)| !diagnosis[..i].contains(tag)),
				Error::<T>::InvalidDiagnosisTags
			);

			// Every list is bounded before anything loops over it.
			ensure!(!lines.is_empty(), Error::<T>::NoLines);
			let lines: BoundedVec<_, T::MaxLines> =
				lines.try_into().map_err(|_| Error::<T>::TooManyLines)?;
			ensure!(!records.is_empty(), Error::<T>::NoSupportingRecords);
			let records: BoundedVec<_, T::MaxSupportingRecords> =
				records.try_into().map_err(|_| Error::<T>::TooManyRecords)?;
			for line in &lines {
				ensure!(line.units > 0, Error::<T>::ZeroUnits);
				ensure!(!line.charged.is_zero(), Error::<T>::ZeroCharge);
				ensure!(line.telehealth.is_none_or(|t| t.minutes > 0), Error::<T>::ZeroMinutes);
			}
			let mut disclosures = Vec::with_capacity(records.len());
			for record in &records {
				match T::Access::check_access(
					&patient,
					&practitioner,
					record,
					Purpose::Payment,
					now,
				) {
					Decision::Allowed(
						basis @ (AccessBasis::AuthorOrganization | AccessBasis::Consent(_)),
					) => disclosures.push((*record, basis)),
					Decision::Allowed(_) => return Err(Error::<T>::NoProviderRelationship.into()),
					Decision::Denied(reason) => return Err(Error::<T>::from(reason).into()),
				}
				Self::check_supports(record, service_date)?;
			}

			// The rules, line by line, before anything is written.
			let mut adjudicated = Vec::with_capacity(lines.len());
			let mut services = Vec::with_capacity(lines.len());
			let mut encounters = Vec::new();
			// Prefix matching is set membership: the claim carries a tag per prefix length.
			let covered_diagnosis = rules.diagnosis_prefixes.is_empty()
				|| diagnosis.iter().any(|tag| rules.diagnosis_prefixes.contains(tag));
			// A suspended or removed payer cannot review, answer appeals or suspend its policies:
			// its escrow pays nothing by the rules until governance reinstates it. The day of
			// service was checked against the policy's period above.
			let in_force = policy.active && T::Registry::is_active_organization(policy.payer);
			for line in lines {
				let service = Self::service_key(&patient, provider, service_date, &line.procedure);
				let denial = if !in_force {
					Some(DenialReason::PolicyInactive)
				} else if !covered_diagnosis {
					Some(DenialReason::DiagnosisNotCovered)
				} else if Self::fee(&rules, &line.procedure).is_none() {
					Some(DenialReason::NotCovered)
				} else if services.contains(&service) || ClaimedServices::<T>::contains_key(service)
				{
					Some(DenialReason::Duplicate)
				} else if !Self::prior_authorized(policy_id, &rules, &patient, &line, service_date)
				{
					Some(DenialReason::PriorAuthorizationMissing)
				} else if let Some(telehealth) = &line.telehealth {
					if encounters.contains(&telehealth.appointment)
						|| BilledEncounters::<T>::contains_key(telehealth.appointment)
					{
						Some(DenialReason::Duplicate)
					} else {
						Self::telehealth_denial(
							telehealth,
							&patient,
							&practitioner,
							provider,
							service_date,
						)
					}
				} else {
					None
				};
				let (outcome, scheduled) = match denial {
					Some(reason) => (LineOutcome::Denied(reason), Zero::zero()),
					None => {
						services.push(service);
						if let Some(telehealth) = &line.telehealth {
							encounters.push(telehealth.appointment);
						}
						let fee = Self::fee(&rules, &line.procedure).unwrap_or_else(Zero::zero);
						(LineOutcome::Pending, fee.saturating_mul(line.units.into()))
					}
				};
				adjudicated.push(AdjudicatedLine {
					billed: line,
					outcome,
					scheduled,
					allowed: Zero::zero(),
					payer_paid: Zero::zero(),
					patient_share: Zero::zero(),
					appeal: None,
				});
			}

			let eligible_charges = adjudicated
				.iter()
				.filter(|l| l.outcome == LineOutcome::Pending)
				.fold(BalanceOf::<T>::zero(), |sum, l| sum.saturating_add(l.billed.charged));
			let daily_lines = ProviderDailyLines::<T>::get(provider, service_date)
				.saturating_add(count(services.len()));
			// A claim without an eligible line has nothing for the payer to decide.
			let mut pend = if services.is_empty() {
				None
			} else if eligible_charges > policy.terms.review_threshold {
				Some(PendReason::AboveReviewThreshold)
			} else if daily_lines > policy.terms.max_daily_lines_per_provider {
				Some(PendReason::UnusualVolume)
			} else {
				None
			};
			let year = Self::plan_year(&policy, service_date);
			let mut accumulator = Accumulators::<T>::get((policy_id, &patient, year));
			let mut totals = (Zero::zero(), Zero::zero());
			if pend.is_none() {
				totals = Self::settle_pending(&policy, &mut accumulator, &mut adjudicated);
				if Self::escrow_balance(policy_id) < totals.0 {
					pend = Some(PendReason::EscrowShort);
					totals = (Zero::zero(), Zero::zero());
					for line in adjudicated.iter_mut().filter(|l| !Self::is_denied(l)) {
						line.outcome = LineOutcome::Pending;
						line.allowed = Zero::zero();
						line.payer_paid = Zero::zero();
						line.patient_share = Zero::zero();
					}
				}
			}

			let claim_id = NextClaimId::<T>::get();
			let claim = Claim::<T> {
				policy: policy_id,
				patient: patient.clone(),
				provider,
				practitioner: practitioner.clone(),
				service_date,
				code_key_epoch,
				diagnosis,
				lines: adjudicated.try_into().map_err(|_| Error::<T>::TooManyLines)?,
				records,
				attachment,
				status: match pend {
					Some(reason) => ClaimStatus::Pended(reason),
					None => ClaimStatus::Adjudicated,
				},
				submitted_at: now,
			};
			if pend.is_none() {
				Self::pay(policy_id, provider, totals.0)?;
				Accumulators::<T>::insert((policy_id, &patient, year), accumulator);
			}
			for record in &claim.records {
				RecordServiceDays::<T>::insert(record, service_date);
			}
			NextClaimId::<T>::put(claim_id.saturating_add(1));
			for service in services {
				ClaimedServices::<T>::insert(service, claim_id);
			}
			for appointment in encounters {
				BilledEncounters::<T>::insert(appointment, claim_id);
			}
			ProviderDailyLines::<T>::insert(provider, service_date, daily_lines);
			for (record, basis) in disclosures {
				T::Access::append(
					&patient,
					&practitioner,
					Some(record),
					Some(Purpose::Payment),
					AuditAction::Disclose,
					Some(basis),
				);
			}
			Self::deposit_event(Event::ClaimSubmitted {
				claim_id,
				policy_id,
				provider,
				patient: patient.clone(),
			});
			match pend {
				Some(reason) => Self::deposit_event(Event::ClaimPended { claim_id, reason }),
				None => Self::deposit_event(Event::ClaimAdjudicated {
					claim_id,
					payer_paid: totals.0,
					patient_share: totals.1,
				}),
			}
			Claims::<T>::insert(claim_id, claim);
			Ok(())
		}

		/// Decides a pended claim: approval settles its eligible lines as the rules would;
		/// rejection denies them, frees their services for a corrected claim and closes the
		/// claim's open appeals (upheld). A rejected claim is final.
		///
		/// The signer must be a member of the policy's payer.
		///
		/// - `claim_id`: a pended claim.
		/// - `approve`: whether to pay it.
		///
		/// Emits `ClaimAdjudicated`, or `ClaimRejected` after an `AppealResolved` for each
		/// appeal it closes. O(l), l lines, each settled at the fee-schedule amount fixed when
		/// the claim was submitted; charged for `MaxLines` and refunded to the claim's lines.
		#[pallet::call_index(6)]
		// A rejection frees each line's service and encounter: two reads and two writes a line
		// beyond the benchmarked approval.
		#[pallet::weight(T::WeightInfo::review_claim(T::MaxLines::get())
			.saturating_add(T::DbWeight::get().reads_writes(2, 2).saturating_mul(T::MaxLines::get().into())))]
		pub fn review_claim(
			origin: OriginFor<T>,
			claim_id: ClaimId,
			approve: bool,
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let mut claim = Claims::<T>::get(claim_id).ok_or(Error::<T>::UnknownClaim)?;
			let policy = Self::policy_of_payer(claim.policy, &who)?;
			ensure!(matches!(claim.status, ClaimStatus::Pended(_)), Error::<T>::NotPended);
			let lines = count(claim.lines.len());
			let actual = Some(T::WeightInfo::review_claim(lines).saturating_add(
				T::DbWeight::get().reads_writes(2, 2).saturating_mul(u64::from(lines)),
			))
			.into();

			if !approve {
				let mut closed = Vec::new();
				for (index, line) in claim.lines.iter_mut().enumerate() {
					match line.outcome {
						LineOutcome::Pending => {
							line.outcome = LineOutcome::Denied(DenialReason::RejectedOnReview);
							let service = Self::service_key(
								&claim.patient,
								claim.provider,
								claim.service_date,
								&line.billed.procedure,
							);
							if ClaimedServices::<T>::get(service) == Some(claim_id) {
								ClaimedServices::<T>::remove(service);
							}
							if let Some(telehealth) = &line.billed.telehealth {
								if BilledEncounters::<T>::get(telehealth.appointment)
									== Some(claim_id)
								{
									BilledEncounters::<T>::remove(telehealth.appointment);
								}
							}
						}
						LineOutcome::UnderAppeal(reason) => {
							line.outcome = LineOutcome::Denied(reason);
							closed.push(count(index));
						}
						_ => {}
					}
				}
				claim.status = ClaimStatus::Rejected;
				Claims::<T>::insert(claim_id, claim);
				for line in closed {
					Self::deposit_event(Event::AppealResolved {
						claim_id,
						line,
						overturned: false,
						payer_paid: Zero::zero(),
						patient_share: Zero::zero(),
					});
				}
				Self::deposit_event(Event::ClaimRejected { claim_id });
				return Ok(actual);
			}

			let year = Self::plan_year(&policy, claim.service_date);
			let mut accumulator = Accumulators::<T>::get((claim.policy, &claim.patient, year));
			let (payer_paid, patient_share) =
				Self::settle_pending(&policy, &mut accumulator, claim.lines.as_mut());
			ensure!(
				Self::escrow_balance(claim.policy) >= payer_paid,
				Error::<T>::InsufficientEscrow
			);

			Self::pay(claim.policy, claim.provider, payer_paid)?;
			Accumulators::<T>::insert((claim.policy, &claim.patient, year), accumulator);
			claim.status = ClaimStatus::Adjudicated;
			Claims::<T>::insert(claim_id, claim);
			Self::deposit_event(Event::ClaimAdjudicated { claim_id, payer_paid, patient_share });
			Ok(actual)
		}

		/// Appeals a denied line, once. The claim must not have been rejected: a rejected
		/// claim's services were freed for a corrected claim, which is the way to bill them.
		///
		/// The signer must be a member of the claim's provider organization.
		///
		/// - `claim_id`: a claim that is adjudicated or pended.
		/// - `line`: the index of the denied line.
		/// - `justification`: blake2b-256 of the written justification, kept off chain.
		///
		/// Emits `LineAppealed`. O(1).
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::appeal_line())]
		pub fn appeal_line(
			origin: OriginFor<T>,
			claim_id: ClaimId,
			line: u32,
			justification: H256,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut claim = Claims::<T>::get(claim_id).ok_or(Error::<T>::UnknownClaim)?;
			ensure!(
				T::Registry::active_membership(&who).is_some_and(|m| m.org == claim.provider),
				Error::<T>::NotClaimProvider
			);
			ensure!(claim.status != ClaimStatus::Rejected, Error::<T>::ClaimNotAppealable);
			let entry = claim.lines.get_mut(line as usize).ok_or(Error::<T>::UnknownLine)?;
			ensure!(entry.appeal.is_none(), Error::<T>::AlreadyAppealed);
			let LineOutcome::Denied(reason) = entry.outcome else {
				return Err(Error::<T>::LineNotDenied.into());
			};

			entry.outcome = LineOutcome::UnderAppeal(reason);
			entry.appeal = Some(justification);
			Claims::<T>::insert(claim_id, claim);
			Self::deposit_event(Event::LineAppealed { claim_id, line, justification });
			Ok(())
		}

		/// Decides an appeal: upholds the denial, or overturns it and settles the line at the
		/// given allowed amount (deductible and coinsurance apply). An overturned line holds its
		/// service like any paid line, and cannot be overturned while another line holds it.
		///
		/// The signer must be a member of the policy's payer.
		///
		/// - `claim_id`: a claim that was not rejected.
		/// - `line`: the index of the line under appeal.
		/// - `allowed`: `None` upholds the denial; `Some(amount)` overturns it, with an amount
		///   from 1 up to the line's charge.
		///
		/// Emits `AppealResolved`. O(1).
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::resolve_appeal())]
		pub fn resolve_appeal(
			origin: OriginFor<T>,
			claim_id: ClaimId,
			line: u32,
			allowed: Option<BalanceOf<T>>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut claim = Claims::<T>::get(claim_id).ok_or(Error::<T>::UnknownClaim)?;
			let policy = Self::policy_of_payer(claim.policy, &who)?;
			ensure!(claim.status != ClaimStatus::Rejected, Error::<T>::ClaimNotAppealable);
			let (policy_id, patient, provider, day) =
				(claim.policy, claim.patient.clone(), claim.provider, claim.service_date);
			let year = Self::plan_year(&policy, day);
			let entry = claim.lines.get_mut(line as usize).ok_or(Error::<T>::UnknownLine)?;
			let LineOutcome::UnderAppeal(reason) = entry.outcome else {
				return Err(Error::<T>::NotUnderAppeal.into());
			};

			let Some(allowed) = allowed else {
				entry.outcome = LineOutcome::Denied(reason);
				Claims::<T>::insert(claim_id, claim);
				Self::deposit_event(Event::AppealResolved {
					claim_id,
					line,
					overturned: false,
					payer_paid: Zero::zero(),
					patient_share: Zero::zero(),
				});
				return Ok(());
			};
			ensure!(
				!allowed.is_zero() && allowed <= entry.billed.charged,
				Error::<T>::BadAllowedAmount
			);
			let service = Self::service_key(&patient, provider, day, &entry.billed.procedure);
			ensure!(
				!ClaimedServices::<T>::contains_key(service),
				Error::<T>::ServiceAlreadyClaimed
			);
			let encounter = entry.billed.telehealth.map(|t| t.appointment);
			ensure!(
				!encounter.is_some_and(BilledEncounters::<T>::contains_key),
				Error::<T>::EncounterAlreadyBilled
			);
			let mut accumulator = Accumulators::<T>::get((policy_id, &patient, year));
			Self::settle_line(&policy, &mut accumulator, entry, allowed);
			let (payer_paid, patient_share) = (entry.payer_paid, entry.patient_share);
			ensure!(Self::escrow_balance(policy_id) >= payer_paid, Error::<T>::InsufficientEscrow);

			Self::pay(policy_id, provider, payer_paid)?;
			ClaimedServices::<T>::insert(service, claim_id);
			if let Some(appointment) = encounter {
				BilledEncounters::<T>::insert(appointment, claim_id);
			}
			Accumulators::<T>::insert((policy_id, &patient, year), accumulator);
			Claims::<T>::insert(claim_id, claim);
			Self::deposit_event(Event::AppealResolved {
				claim_id,
				line,
				overturned: true,
				payer_paid,
				patient_share,
			});
			Ok(())
		}

		/// Moves unused funds from a policy's escrow to the payer's settlement account, from
		/// which the payer's admins collect them with `collect_payments`.
		///
		/// The signer must be an admin of the policy's payer; other members cannot move money
		/// out of escrow.
		///
		/// - `policy_id`: the policy.
		/// - `amount`: how much to take back, at most what the escrow's ledger holds; pended
		///   claims may then need new funds.
		///
		/// Emits `EscrowWithdrawn`. O(1).
		#[pallet::call_index(9)]
		#[pallet::weight(T::WeightInfo::withdraw_escrow())]
		pub fn withdraw_escrow(
			origin: OriginFor<T>,
			policy_id: PolicyId,
			amount: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let policy = Self::policy_of_payer_admin(policy_id, &who)?;
			ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
			ensure!(Self::escrow_balance(policy_id) >= amount, Error::<T>::InsufficientEscrow);

			let to = Self::settlement_account(policy.payer);
			T::Currency::transfer(
				&Self::escrow_account(policy_id),
				&to,
				amount,
				Preservation::Expendable,
			)
			.map_err(|_| Error::<T>::InsufficientEscrow)?;
			Escrows::<T>::mutate(policy_id, |ledger| {
				ledger.withdrawn = ledger.withdrawn.saturating_add(amount)
			});
			Self::deposit_event(Event::EscrowWithdrawn {
				policy_id,
				payer: policy.payer,
				by: who,
				to,
				amount,
			});
			Ok(())
		}

		/// Moves funds from the signer's organization's settlement account to the organization's
		/// payout account, which governance registered (`set_payout_account`): claim payments
		/// for a provider, withdrawn escrow for a payer. The signer never receives them.
		///
		/// The signer must be an admin of an active organization that has a payout account
		/// (`NoPayoutAccount` otherwise).
		///
		/// - `amount`: how much to collect.
		///
		/// Emits `PaymentsCollected`. O(1).
		#[pallet::call_index(10)]
		#[pallet::weight(T::WeightInfo::collect_payments())]
		pub fn collect_payments(origin: OriginFor<T>, amount: BalanceOf<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let org = T::Registry::active_membership(&who)
				.filter(|m| m.role == Role::Admin)
				.ok_or(Error::<T>::NotOrganizationAdmin)?
				.org;
			ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
			let to = PayoutAccounts::<T>::get(org).ok_or(Error::<T>::NoPayoutAccount)?;
			let account = Self::settlement_account(org);
			let available = T::Currency::reducible_balance(
				&account,
				Preservation::Expendable,
				Fortitude::Polite,
			);
			ensure!(available >= amount, Error::<T>::InsufficientFunds);

			T::Currency::transfer(&account, &to, amount, Preservation::Expendable)?;
			Self::deposit_event(Event::PaymentsCollected { org, by: who, to, amount });
			Ok(())
		}

		/// Registers, or replaces, the account that an organization's settlement account pays
		/// out to through `collect_payments`.
		///
		/// The origin must be `GovernanceOrigin`: an organization's own admins cannot redirect
		/// its money.
		///
		/// - `org`: an active organization.
		/// - `account`: its payout account, e.g. its bank's on-ramp or a multisig of its officers.
		///
		/// Emits `PayoutAccountSet`. O(1).
		#[pallet::call_index(11)]
		#[pallet::weight(T::WeightInfo::set_payout_account())]
		pub fn set_payout_account(
			origin: OriginFor<T>,
			org: OrgId,
			account: T::AccountId,
		) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			ensure!(T::Registry::is_active_organization(org), Error::<T>::UnknownOrganization);

			PayoutAccounts::<T>::insert(org, &account);
			Self::deposit_event(Event::PayoutAccountSet { org, account });
			Ok(())
		}

		/// Rotates a policy's code key: the payer drew a fresh key and republishes the policy's
		/// code lists tagged under it. The new epoch applies to services from tomorrow on (UTC);
		/// earlier days stay billable under the previous epoch, whose lists are kept until the
		/// next rotation, which retires them and the previous epoch's wrapped keys. Rotate at
		/// most once per `TimelyFilingDays` to keep every fileable day billable.
		///
		/// The signer must be a member of the policy's payer.
		///
		/// - `policy_id`: the policy.
		/// - `rules`: the fee schedule, covered diagnosis prefixes and prior-authorization
		///   procedures tagged under the new key: as long as the current lists, with the same
		///   allowed amounts (a rotation changes the key, not the rules).
		///
		/// Emits `CodeKeyRotated`. O(p log p), p procedures.
		#[pallet::call_index(12)]
		#[pallet::weight(T::WeightInfo::rotate_code_key(count(rules.procedures.len())))]
		pub fn rotate_code_key(
			origin: OriginFor<T>,
			policy_id: PolicyId,
			rules: CodeRulesOf<BalanceOf<T>>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut policy = Self::policy_of_payer(policy_id, &who)?;
			let today = Self::day_of(T::Time::now());
			ensure!(policy.code_key.first_day <= today, Error::<T>::CodeKeyRotationPending);
			let epoch =
				policy.code_key.epoch.checked_add(1).ok_or(Error::<T>::CodeKeyEpochsExhausted)?;
			let rules = Self::bounded_code_rules(rules)?;
			let current = Self::current_rules(&policy);
			ensure!(Self::same_rules_but_tags(&current, &rules), Error::<T>::RotationChangesRules);

			let retiring = policy.code_key.epoch;
			if let Some(retired) = retiring.checked_sub(1) {
				WrappedCodeKeys::<T>::remove(policy_id, retired);
			}
			PreviousCodes::<T>::insert(
				policy_id,
				PreviousCodeRules { epoch: retiring, rules: current },
			);
			let first_day = today.saturating_add(1);
			policy.code_key = CodeKeyEpoch { epoch, first_day };
			policy.terms.procedures = rules.procedures;
			policy.terms.diagnosis_prefixes = rules.diagnosis_prefixes;
			policy.terms.prior_authorization = rules.prior_authorization;
			Policies::<T>::insert(policy_id, policy);
			Self::deposit_event(Event::CodeKeyRotated { policy_id, epoch, first_day });
			Ok(())
		}

		/// Stores a policy's code key of an epoch wrapped to a provider organization's X25519
		/// key, or replaces the one stored; the organization's members read it and unwrap it off
		/// chain. Whoever lacks the organization's secret key learns nothing from it.
		///
		/// The signer must be a member of the policy's payer.
		///
		/// - `policy_id`: the policy.
		/// - `epoch`: the policy's current code key epoch or the previous one.
		/// - `org`: an active care provider organization.
		/// - `wrapped_key`: the code key, HPKE-wrapped to the organization (`WRAPPED_CODE_KEY_LEN`
		///   bytes).
		///
		/// Emits `CodeKeyShared`. O(h), h organizations holding the epoch's key (at most
		/// `MaxCodeKeyHolders`).
		#[pallet::call_index(13)]
		#[pallet::weight(T::WeightInfo::share_code_key())]
		pub fn share_code_key(
			origin: OriginFor<T>,
			policy_id: PolicyId,
			epoch: u32,
			org: OrgId,
			wrapped_key: WrappedCodeKey,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let policy = Self::policy_of_payer(policy_id, &who)?;
			let current = policy.code_key.epoch;
			ensure!(
				epoch == current || epoch.checked_add(1) == Some(current),
				if epoch > current {
					Error::<T>::UnknownCodeKeyEpoch
				} else {
					Error::<T>::CodeKeyEpochRetired
				}
			);
			ensure!(
				T::Registry::active_organization_kind(org)
					.is_some_and(|kind| kind.is_care_provider()),
				Error::<T>::NotCareProvider
			);

			WrappedCodeKeys::<T>::try_mutate(policy_id, epoch, |holders| {
				holders.try_insert(org, wrapped_key).map_err(|_| Error::<T>::TooManyCodeKeyHolders)
			})?;
			Self::deposit_event(Event::CodeKeyShared { policy_id, epoch, org });
			Ok(())
		}
	}

	impl<T: Config> Pallet<T> {
		/// The escrow account of a policy.
		pub fn escrow_account(policy_id: PolicyId) -> T::AccountId {
			Self::derived_account((b"escrow", policy_id))
		}

		/// The settlement account of an organization: claims are paid into a provider's, and
		/// a payer's admins withdraw unused escrow into the payer's. Only `collect_payments`,
		/// signed by an admin of the organization, takes money out of it, to the payout account
		/// governance registered.
		pub fn settlement_account(org: OrgId) -> T::AccountId {
			// The seed predates payers' use of these accounts; it is kept so that each
			// organization's account, and what it holds, stays where it was.
			Self::derived_account((b"provider", org))
		}

		/// An account only this pallet controls, from a hash of its id and `purpose`, so that
		/// every policy and organization gets its own whatever the account id's size.
		fn derived_account(purpose: impl codec::Encode) -> T::AccountId {
			carechain_primitives::pallet_account(T::PalletId::get(), purpose)
		}

		/// What a policy's escrow can pay: its ledger's funds, less what it paid and what was
		/// withdrawn. Money sent to the escrow account by other means is never counted.
		pub fn escrow_balance(policy_id: PolicyId) -> BalanceOf<T> {
			Escrows::<T>::get(policy_id).available()
		}

		/// Pays `amount` from a policy's escrow to a provider's settlement account and counts
		/// it in the escrow's ledger. Callers check first that the escrow holds it.
		fn pay(policy_id: PolicyId, provider: OrgId, amount: BalanceOf<T>) -> DispatchResult {
			if amount.is_zero() {
				return Ok(());
			}
			T::Currency::transfer(
				&Self::escrow_account(policy_id),
				&Self::settlement_account(provider),
				amount,
				Preservation::Expendable,
			)
			.map_err(|_| Error::<T>::InsufficientEscrow)?;
			Escrows::<T>::mutate(policy_id, |ledger| {
				ledger.paid = ledger.paid.saturating_add(amount)
			});
			Ok(())
		}

		/// Checks that `record` can support services of `service_date`: it is current, was
		/// written on that day or at most `MaxRecordDelayDays` after it, and supports no claim
		/// of another day.
		fn check_supports(record: &RecordId, service_date: Day) -> Result<(), Error<T>> {
			let subject = T::Records::record_subject(record).ok_or(Error::<T>::UnknownRecord)?;
			ensure!(subject.current, Error::<T>::RecordNotCurrent);
			let written = Self::day_of(subject.created_at);
			ensure!(written >= service_date, Error::<T>::RecordBeforeService);
			ensure!(
				written.saturating_sub(service_date) <= T::MaxRecordDelayDays::get(),
				Error::<T>::RecordTooLate
			);
			ensure!(
				RecordServiceDays::<T>::get(record).is_none_or(|day| day == service_date),
				Error::<T>::RecordSupportsAnotherDay
			);
			Ok(())
		}

		/// Why a telehealth line cannot be paid, if it cannot: its encounter must be attested
		/// with the claim's patient, practitioner, organization and day and the modifier's
		/// modality; the practitioner licensed for the line's jurisdiction (the encounter's)
		/// when it started; and it must have lasted at least the minutes billed.
		fn telehealth_denial(
			telehealth: &TelehealthService,
			patient: &T::AccountId,
			practitioner: &T::AccountId,
			provider: OrgId,
			service_date: Day,
		) -> Option<DenialReason> {
			let Some(encounter) = T::Encounters::attested_encounter(telehealth.appointment) else {
				return Some(DenialReason::EncounterNotAttested);
			};
			let same_facts = encounter.patient == *patient
				&& encounter.practitioner == *practitioner
				&& encounter.org == provider
				&& Self::day_of(encounter.started_at) == service_date
				&& encounter.modality == telehealth.modifier.modality();
			if !same_facts {
				Some(DenialReason::EncounterNotAttested)
			} else if telehealth.jurisdiction != encounter.jurisdiction
				|| !T::Encounters::licensed(
					practitioner,
					telehealth.jurisdiction,
					encounter.started_at,
				) {
				Some(DenialReason::NotLicensedInJurisdiction)
			} else if telehealth.minutes > encounter.minutes() {
				Some(DenialReason::DurationNotSupported)
			} else {
				None
			}
		}

		/// The calendar day (UTC) of a time in milliseconds since the Unix epoch.
		pub fn day_of(now: Moment) -> Day {
			carechain_primitives::day_of(now)
		}

		/// The signer's membership of an active payer organization.
		fn payer_membership(who: &T::AccountId) -> Result<Membership, Error<T>> {
			T::Registry::active_membership(who)
				.filter(|m| m.kind == OrgKind::Payer)
				.ok_or(Error::<T>::NotPayer)
		}

		/// The policy, when the signer is an admin of its payer.
		fn policy_of_payer_admin(
			policy_id: PolicyId,
			who: &T::AccountId,
		) -> Result<Policy<T>, Error<T>> {
			let policy = Policies::<T>::get(policy_id).ok_or(Error::<T>::UnknownPolicy)?;
			let membership = Self::payer_membership(who)?;
			ensure!(membership.org == policy.payer, Error::<T>::NotPolicyPayer);
			ensure!(membership.role == Role::Admin, Error::<T>::NotPayerAdmin);
			Ok(policy)
		}

		/// The signer's payer organization.
		fn payer_org(who: &T::AccountId) -> Result<OrgId, Error<T>> {
			Self::payer_membership(who).map(|m| m.org)
		}

		/// The policy, when the signer belongs to its payer.
		fn policy_of_payer(policy_id: PolicyId, who: &T::AccountId) -> Result<Policy<T>, Error<T>> {
			let policy = Policies::<T>::get(policy_id).ok_or(Error::<T>::UnknownPolicy)?;
			ensure!(Self::payer_org(who)? == policy.payer, Error::<T>::NotPolicyPayer);
			Ok(policy)
		}

		fn bounded_terms(terms: TermsOf<BalanceOf<T>>) -> Result<BoundedTerms<T>, Error<T>> {
			let CoverageTerms { procedures, diagnosis_prefixes, prior_authorization, .. } = terms;
			let rules = Self::bounded_code_rules(CodeRules {
				procedures,
				diagnosis_prefixes,
				prior_authorization,
			})?;
			ensure!(
				terms.out_of_pocket_max >= terms.deductible,
				Error::<T>::OutOfPocketBelowDeductible
			);
			ensure!(terms.valid_from <= terms.valid_until, Error::<T>::BadPeriod);
			Ok(CoverageTerms {
				procedures: rules.procedures,
				diagnosis_prefixes: rules.diagnosis_prefixes,
				prior_authorization: rules.prior_authorization,
				deductible: terms.deductible,
				coinsurance: terms.coinsurance,
				out_of_pocket_max: terms.out_of_pocket_max,
				review_threshold: terms.review_threshold,
				max_daily_lines_per_provider: terms.max_daily_lines_per_provider,
				valid_from: terms.valid_from,
				valid_until: terms.valid_until,
			})
		}

		/// Bounds code lists, then checks and sorts the fee schedule.
		fn bounded_code_rules(
			rules: CodeRulesOf<BalanceOf<T>>,
		) -> Result<BoundedCodeRules<T>, Error<T>> {
			let CodeRules { procedures, diagnosis_prefixes, prior_authorization } = rules;
			ensure!(!procedures.is_empty(), Error::<T>::NoProcedures);
			// Every list is bounded before anything loops over it.
			let mut procedures: BoundedVec<_, T::MaxProcedures> =
				procedures.try_into().map_err(|_| Error::<T>::TooManyProcedures)?;
			let diagnosis_prefixes: BoundedVec<_, T::MaxCodeList> =
				diagnosis_prefixes.try_into().map_err(|_| Error::<T>::TooManyCodes)?;
			let prior_authorization: BoundedVec<_, T::MaxCodeList> =
				prior_authorization.try_into().map_err(|_| Error::<T>::TooManyCodes)?;
			ensure!(
				procedures.iter().all(|(_, fee)| !fee.is_zero()),
				Error::<T>::ZeroAllowedAmount
			);
			procedures.sort_by(|a, b| a.0.cmp(&b.0));
			ensure!(
				procedures.windows(2).all(|w| w[0].0 != w[1].0),
				Error::<T>::DuplicateProcedure
			);
			Ok(CodeRules { procedures, diagnosis_prefixes, prior_authorization })
		}

		/// The policy's code lists of its current epoch.
		fn current_rules(policy: &Policy<T>) -> BoundedCodeRules<T> {
			CodeRules {
				procedures: policy.terms.procedures.clone(),
				diagnosis_prefixes: policy.terms.diagnosis_prefixes.clone(),
				prior_authorization: policy.terms.prior_authorization.clone(),
			}
		}

		/// Whether `new` could be `old` tagged under another key: the same list lengths and the
		/// same allowed amounts. (Which code has which amount is hidden by the tags.)
		fn same_rules_but_tags(old: &BoundedCodeRules<T>, new: &BoundedCodeRules<T>) -> bool {
			let amounts = |rules: &BoundedCodeRules<T>| {
				let mut amounts: Vec<_> = rules.procedures.iter().map(|(_, fee)| *fee).collect();
				amounts.sort();
				amounts
			};
			old.diagnosis_prefixes.len() == new.diagnosis_prefixes.len()
				&& old.prior_authorization.len() == new.prior_authorization.len()
				&& amounts(old) == amounts(new)
		}

		/// The code lists a claim tagged under `epoch` for `day` is adjudicated by: the current
		/// epoch's for its days, the previous epoch's for the days before the current one's.
		fn code_rules(
			policy_id: PolicyId,
			policy: &Policy<T>,
			epoch: u32,
			day: Day,
		) -> Result<BoundedCodeRules<T>, Error<T>> {
			let current = policy.code_key;
			if epoch == current.epoch {
				ensure!(day >= current.first_day, Error::<T>::ServiceBeforeCodeKeyEpoch);
				return Ok(Self::current_rules(policy));
			}
			ensure!(epoch < current.epoch, Error::<T>::UnknownCodeKeyEpoch);
			ensure!(day < current.first_day, Error::<T>::CodeKeyEpochSuperseded);
			PreviousCodes::<T>::get(policy_id)
				.filter(|previous| previous.epoch == epoch)
				.map(|previous| previous.rules)
				.ok_or(Error::<T>::CodeKeyEpochRetired)
		}

		/// The allowed amount per unit of a procedure, if the fee schedule covers it.
		fn fee(rules: &BoundedCodeRules<T>, procedure: &CodeTag) -> Option<BalanceOf<T>> {
			rules
				.procedures
				.binary_search_by(|(tag, _)| tag.cmp(procedure))
				.ok()
				.map(|i| rules.procedures[i].1)
		}

		fn prior_authorized(
			policy_id: PolicyId,
			rules: &BoundedCodeRules<T>,
			patient: &T::AccountId,
			line: &ServiceLine<BalanceOf<T>>,
			day: Day,
		) -> bool {
			!rules.prior_authorization.contains(&line.procedure)
				|| PriorAuthorizations::<T>::get((policy_id, patient, line.procedure))
					.is_some_and(|auth| (auth.from..=auth.until).contains(&day))
		}

		/// The duplicate-check key of a service.
		pub fn service_key(
			patient: &T::AccountId,
			provider: OrgId,
			day: Day,
			procedure: &CodeTag,
		) -> H256 {
			use sp_runtime::traits::{BlakeTwo256, Hash};
			BlakeTwo256::hash_of(&(patient, provider, day, procedure))
		}

		fn plan_year(policy: &Policy<T>, day: Day) -> u32 {
			day.saturating_sub(policy.terms.valid_from) / PLAN_YEAR_DAYS
		}

		/// Settles one line at `fee` (the allowed amount before the charge caps it): the
		/// deductible first, then coinsurance, the patient's total capped by the out-of-pocket
		/// maximum; the rest is the payer's.
		fn settle_line(
			policy: &Policy<T>,
			accumulator: &mut Accumulator<BalanceOf<T>>,
			line: &mut AdjudicatedLine<BalanceOf<T>>,
			fee: BalanceOf<T>,
		) {
			let terms = &policy.terms;
			let allowed = fee.min(line.billed.charged);
			let deductible =
				allowed.min(terms.deductible.saturating_sub(accumulator.deductible_met));
			let coinsurance = terms.coinsurance.mul_floor(allowed.saturating_sub(deductible));
			let patient_share = deductible
				.saturating_add(coinsurance)
				.min(terms.out_of_pocket_max.saturating_sub(accumulator.out_of_pocket));
			accumulator.deductible_met = accumulator.deductible_met.saturating_add(deductible);
			accumulator.out_of_pocket = accumulator.out_of_pocket.saturating_add(patient_share);

			line.outcome = if allowed < line.billed.charged {
				LineOutcome::Reduced
			} else {
				LineOutcome::Allowed
			};
			line.allowed = allowed;
			line.patient_share = patient_share;
			line.payer_paid = allowed.saturating_sub(patient_share);
		}

		fn is_denied(line: &AdjudicatedLine<BalanceOf<T>>) -> bool {
			matches!(line.outcome, LineOutcome::Denied(_) | LineOutcome::UnderAppeal(_))
		}

		/// Settles every pending line at the fee-schedule amount fixed when it was submitted and
		/// returns what those lines cost: the payer's share and the patient's. Lines settled
		/// earlier (an overturned appeal) are not counted again.
		fn settle_pending(
			policy: &Policy<T>,
			accumulator: &mut Accumulator<BalanceOf<T>>,
			lines: &mut [AdjudicatedLine<BalanceOf<T>>],
		) -> (BalanceOf<T>, BalanceOf<T>) {
			let mut totals = (BalanceOf::<T>::zero(), BalanceOf::<T>::zero());
			for line in lines.iter_mut().filter(|l| l.outcome == LineOutcome::Pending) {
				let fee = line.scheduled;
				Self::settle_line(policy, accumulator, line, fee);
				totals.0 = totals.0.saturating_add(line.payer_paid);
				totals.1 = totals.1.saturating_add(line.patient_share);
			}
			totals
		}

		/// Checks the pallet's invariants:
		/// - ids are below their counters, and every claim, enrollment, prior authorization,
		///   escrow ledger and accumulator names a published policy;
		/// - each escrow's ledger paid and withdrew at most what it was funded with, its paid
		///   total equals what its claims' settled lines paid, and its account holds at least
		///   `funded - paid - withdrawn` (more only if someone transferred into it directly);
		/// - each patient's accumulated share per plan year equals the patient shares of the
		///   settled lines of that year, within the deductible and out-of-pocket maximum;
		/// - a pended claim has a line to decide, a decided one has none, a rejected one has no
		///   open appeal; unsettled lines carry no amounts, settled ones add up;
		/// - every line that is pending or paid holds its service for its claim, no two lines
		///   hold the same service, and no service is held by nothing: a service is paid once;
		/// - every record's day of service is the day of a claim that cites it (claims filed
		///   before records were bound to days may cite records bound to another day, or none);
		/// - code lists are bounded by their types; each policy of epoch `e > 0` keeps the code
		///   lists of epoch `e - 1` (sorted like its own) and no other, each claim names an epoch
		///   its policy has had and a principal diagnosis of distinct tags; wrapped code keys are
		///   kept only for a policy's current and previous epoch, and never for an active
		///   organization that is not a care provider; prior authorizations have ids below
		///   `NextAuthorizationId`.
		#[cfg(any(feature = "try-runtime", test))]
		pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
			use alloc::collections::{btree_map::BTreeMap, btree_set::BTreeSet};

			let next_policy = NextPolicyId::<T>::get();
			for (id, policy) in Policies::<T>::iter() {
				ensure!(id < next_policy, "a policy id is at or above NextPolicyId");
				let terms = &policy.terms;
				ensure!(terms.valid_from <= terms.valid_until, "a policy's period is reversed");
				ensure!(
					terms.out_of_pocket_max >= terms.deductible,
					"a policy's out-of-pocket maximum is below its deductible"
				);
				ensure!(
					terms.procedures.windows(2).all(|w| w[0].0 < w[1].0),
					"a fee schedule is unsorted or repeats a tag"
				);
				let previous = PreviousCodes::<T>::get(id);
				match policy.code_key.epoch.checked_sub(1) {
					None => ensure!(previous.is_none(), "a policy of epoch 0 keeps earlier codes"),
					Some(epoch) => {
						let previous =
							previous.ok_or("a rotated policy lost its previous codes")?;
						ensure!(previous.epoch == epoch, "a policy keeps codes of an older epoch");
						ensure!(
							previous.rules.procedures.windows(2).all(|w| w[0].0 < w[1].0),
							"a previous fee schedule is unsorted or repeats a tag"
						);
					}
				}
			}
			for id in PreviousCodes::<T>::iter_keys() {
				ensure!(Policies::<T>::contains_key(id), "previous codes of no policy");
			}
			for (id, epoch, holders) in WrappedCodeKeys::<T>::iter() {
				let policy = Policies::<T>::get(id).ok_or("a wrapped code key of no policy")?;
				let current = policy.code_key.epoch;
				ensure!(
					epoch == current || epoch.saturating_add(1) == current,
					"a wrapped code key of a retired or future epoch"
				);
				ensure!(
					holders.keys().all(|org| T::Registry::active_organization_kind(*org)
						.is_none_or(|kind| kind.is_care_provider())),
					"a code key is wrapped to an organization that is not a care provider"
				);
			}

			let mut paid = BTreeMap::<PolicyId, BalanceOf<T>>::new();
			let mut shares = BTreeMap::<(PolicyId, T::AccountId, u32), BalanceOf<T>>::new();
			let mut held = BTreeSet::<H256>::new();
			let mut billed = BTreeSet::<AppointmentId>::new();
			let mut cited = BTreeSet::<(RecordId, Day)>::new();
			let next_claim = NextClaimId::<T>::get();
			for (id, claim) in Claims::<T>::iter() {
				ensure!(id < next_claim, "a claim id is at or above NextClaimId");
				cited.extend(claim.records.iter().map(|record| (*record, claim.service_date)));
				let policy =
					Policies::<T>::get(claim.policy).ok_or("a claim bills an unknown policy")?;
				ensure!(
					claim.code_key_epoch <= policy.code_key.epoch,
					"a claim names a code key epoch its policy never had"
				);
				ensure!(
					claim
						.diagnosis
						.iter()
						.enumerate()
						.all(|(i, tag)| !claim.diagnosis[..i].contains(tag)),
					"a claim's principal diagnosis repeats a tag"
				);
				ensure!(
					Enrollments::<T>::contains_key(claim.policy, &claim.patient),
					"a claim's patient is not enrolled in its policy"
				);
				let pending =
					claim.lines.iter().filter(|l| l.outcome == LineOutcome::Pending).count();
				match claim.status {
					ClaimStatus::Pended(_) => ensure!(pending > 0, "a pended claim has no line"),
					_ => ensure!(pending == 0, "a decided claim has a pending line"),
				}
				if claim.status == ClaimStatus::Rejected {
					ensure!(
						!claim
							.lines
							.iter()
							.any(|l| matches!(l.outcome, LineOutcome::UnderAppeal(_))),
						"a rejected claim has an open appeal"
					);
				}
				let year = Self::plan_year(&policy, claim.service_date);
				for line in &claim.lines {
					let unsettled = line.allowed.is_zero()
						&& line.payer_paid.is_zero()
						&& line.patient_share.is_zero();
					match line.outcome {
						LineOutcome::Pending | LineOutcome::Denied(_) => {
							ensure!(unsettled, "an unsettled line carries amounts")
						}
						LineOutcome::UnderAppeal(_) => {
							ensure!(unsettled, "a line under appeal carries amounts");
							ensure!(line.appeal.is_some(), "a line under appeal has no appeal");
						}
						LineOutcome::Allowed | LineOutcome::Reduced => {
							ensure!(
								line.allowed == line.payer_paid.saturating_add(line.patient_share),
								"a settled line's shares do not add up to its allowed amount"
							);
							ensure!(
								line.allowed <= line.billed.charged,
								"a line is allowed more than it charged"
							);
							ensure!(
								(line.outcome == LineOutcome::Reduced)
									== (line.allowed < line.billed.charged),
								"a line's outcome disagrees with its allowed amount"
							);
							let total = paid.entry(claim.policy).or_insert_with(Zero::zero);
							*total = total.saturating_add(line.payer_paid);
							let share = shares
								.entry((claim.policy, claim.patient.clone(), year))
								.or_insert_with(Zero::zero);
							*share = share.saturating_add(line.patient_share);
						}
					}
					if matches!(
						line.outcome,
						LineOutcome::Pending | LineOutcome::Allowed | LineOutcome::Reduced
					) {
						let service = Self::service_key(
							&claim.patient,
							claim.provider,
							claim.service_date,
							&line.billed.procedure,
						);
						ensure!(
							ClaimedServices::<T>::get(service) == Some(id),
							"a pending or paid line's service is not held by its claim"
						);
						ensure!(held.insert(service), "two lines hold the same service");
						if let Some(telehealth) = &line.billed.telehealth {
							ensure!(
								BilledEncounters::<T>::get(telehealth.appointment) == Some(id),
								"a pending or paid telehealth line's encounter is not held by its claim"
							);
							ensure!(
								billed.insert(telehealth.appointment),
								"two lines bill the same encounter"
							);
						}
					}
				}
			}
			ensure!(
				ClaimedServices::<T>::iter_keys().count() == held.len(),
				"a service is held by no pending or paid line"
			);
			ensure!(
				BilledEncounters::<T>::iter_keys().count() == billed.len(),
				"an encounter is held by no pending or paid line"
			);
			for (record, day) in RecordServiceDays::<T>::iter() {
				ensure!(
					cited.contains(&(record, day)),
					"a record's day of service is the day of no claim citing it"
				);
			}

			for id in Escrows::<T>::iter_keys() {
				ensure!(Policies::<T>::contains_key(id), "an escrow ledger of no policy");
			}
			for id in Policies::<T>::iter_keys() {
				let ledger = Escrows::<T>::get(id);
				ensure!(
					ledger.paid.saturating_add(ledger.withdrawn) <= ledger.funded,
					"an escrow paid out more than it was funded with"
				);
				ensure!(
					ledger.paid == paid.get(&id).copied().unwrap_or_else(Zero::zero),
					"an escrow's payments differ from what its claims' lines were paid"
				);
				ensure!(
					T::Currency::balance(&Self::escrow_account(id)) >= ledger.available(),
					"an escrow account holds less than funded - paid - withdrawn"
				);
			}

			for ((policy_id, patient, year), accumulator) in Accumulators::<T>::iter() {
				let policy = Policies::<T>::get(policy_id).ok_or("an accumulator of no policy")?;
				ensure!(
					accumulator.deductible_met <= policy.terms.deductible,
					"a patient met more than the deductible"
				);
				ensure!(
					accumulator.out_of_pocket <= policy.terms.out_of_pocket_max,
					"a patient paid more than the out-of-pocket maximum"
				);
				let settled = shares.remove(&(policy_id, patient, year)).unwrap_or_else(Zero::zero);
				ensure!(
					accumulator.out_of_pocket == settled,
					"a patient's accumulated share differs from their settled lines' shares"
				);
			}
			ensure!(
				shares.values().all(|share| share.is_zero()),
				"settled lines' patient shares are missing from the accumulators"
			);

			for (policy_id, _, _) in Enrollments::<T>::iter() {
				ensure!(Policies::<T>::contains_key(policy_id), "an enrollment in no policy");
			}
			let next_authorization = NextAuthorizationId::<T>::get();
			for ((policy_id, patient, _), auth) in PriorAuthorizations::<T>::iter() {
				ensure!(auth.from <= auth.until, "a prior authorization's period is reversed");
				ensure!(
					auth.id < next_authorization,
					"a prior authorization's id is at or above NextAuthorizationId"
				);
				ensure!(
					Enrollments::<T>::contains_key(policy_id, &patient),
					"a prior authorization for a patient not enrolled"
				);
			}
			Ok(())
		}
	}
}
