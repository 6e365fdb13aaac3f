//! # Claims Pallet
//!
//! Claims that adjudicate and pay themselves from rules that payers publish.
//!
//! ## Overview
//!
//! A payer organization publishes coverage policies as on-chain rules ([`CoverageTerms`]): a
//! fee schedule of covered procedure codes (CPT/HCPCS) with allowed amounts per unit, covered
//! principal-diagnosis prefixes (ICD-10-CM), codes that need prior authorization, a deductible,
//! coinsurance, an annual out-of-pocket maximum and a validity period. It funds each policy's
//! escrow, a sub-account of this pallet, in the settlement currency (`pallet-balances`), and
//! enrolls patients by the hash of their member id.
//!
//! A practitioner of an active care provider submits a claim for an enrolled patient, citing the
//! records that support it. The practitioner must be allowed to disclose each record for
//! Payment (the consent pallet decides, and each disclosure is audited). The claim is then
//! adjudicated at once, line by line, in this order: policy inactive, principal diagnosis not
//! covered, procedure not covered, duplicate service, prior authorization missing. Eligible
//! lines are allowed at the lesser of the charge and the fee schedule; the deductible, then
//! coinsurance, capped by the out-of-pocket maximum, give the patient's share, recorded on the
//! claim; the payer's share moves from escrow to the provider organization's settlement
//! account. A claim whose eligible lines charge more than the review threshold, that brings its
//! provider above the policy's daily line count, or that the escrow cannot pay, is pended for
//! the payer's review instead.
//!
//! The same patient, provider, service day and procedure code is paid once: later lines are
//! denied as duplicates. A provider may appeal each denied line once; the payer upholds the
//! denial or overturns it with an allowed amount, which is then settled like any other line.
//!
//! ## Mapping to FHIR and X12
//!
//! | Here | FHIR R4 | X12 |
//! |---|---|---|
//! | [`Policy`], [`CoverageTerms`] | `InsurancePlan`, `Coverage` | 271 benefit information |
//! | [`Enrollment`]`.member_id_hash` | `Coverage.subscriberId` (hashed) | 837 `NM1*IL` member id |
//! | [`Claim`] | `Claim` | 837P claim (`CLM`) |
//! | `Claim.service_date` | `Claim.item.servicedDate` | `DTP*472` |
//! | `Claim.diagnoses` | `Claim.diagnosis` (principal first) | `HI*ABK` / `HI*ABF` |
//! | [`ServiceLine`] | `Claim.item` (`productOrService`, `quantity`, `net`) | `SV1` |
//! | `Claim.records` | `Claim.supportingInfo` | `PWK` attachments |
//! | [`AdjudicatedLine`] amounts | `ClaimResponse.item.adjudication`: `eligible`, `benefit`, `deductible`+`copay` | 835 `SVC` with `CAS*PR` |
//! | [`DenialReason`] | `ClaimResponse.item.adjudication.reason` | 835 `CAS*CO` reason codes |
//! | [`ClaimStatus`] | `ClaimResponse.outcome` (`queued`, `complete`) | 277 claim status |
//!
//! ## Dispatchable Functions
//!
//! - [`Pallet::publish_policy`], [`Pallet::set_policy_active`], [`Pallet::fund_policy`],
//!   [`Pallet::withdraw_escrow`], [`Pallet::enroll`], [`Pallet::authorize_procedure`]: a member
//!   of the payer organization.
//! - [`Pallet::collect_payments`]: an admin of the provider organization paid.
//! - [`Pallet::submit_claim`]: a practitioner of an active care provider.
//! - [`Pallet::review_claim`], [`Pallet::resolve_appeal`]: a member of the policy's payer.
//! - [`Pallet::appeal_line`]: a member of the claim's provider organization.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
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
	AccessPolicy, AuditAction, AuditLog, Decision, MembershipProvider, Moment, OrgId, OrgKind,
	Purpose, RecordId, Role,
};
use frame_support::traits::fungible;

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

	/// The in-code storage version.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

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
		/// The settlement currency.
		type Currency: fungible::Mutate<Self::AccountId>;
		/// The chain's clock, in milliseconds since the Unix epoch.
		type Time: Time<Moment = Moment>;
		/// Seeds the escrow account of each policy and the settlement account of each provider
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
		/// The most diagnosis codes in a claim.
		#[pallet::constant]
		type MaxDiagnoses: Get<u32>;
		/// The most supporting records a claim cites.
		#[pallet::constant]
		type MaxSupportingRecords: Get<u32>;
		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;
		/// Creates the supporting records that benchmarks cite.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkRecords: carechain_primitives::RecordLookup<Self::AccountId>;
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

	/// Prior authorizations: the first and last service day they cover.
	#[pallet::storage]
	pub type PriorAuthorizations<T: Config> = StorageNMap<
		_,
		(
			NMapKey<Twox64Concat, PolicyId>,
			NMapKey<Blake2_128Concat, T::AccountId>,
			NMapKey<Blake2_128Concat, Code>,
		),
		(Day, Day),
		OptionQuery,
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

	/// The claim that holds each billed service, by blake2b-256 of (patient, provider, day,
	/// procedure code): the duplicate check. Keys are hashes, so `Identity` is safe.
	#[pallet::storage]
	pub type ClaimedServices<T: Config> = StorageMap<_, Identity, H256, ClaimId>;

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
		/// A payer took unused funds back from a policy's escrow.
		EscrowWithdrawn { policy_id: PolicyId, to: T::AccountId, amount: BalanceOf<T> },
		/// A provider's admin collected claim payments from its settlement account.
		PaymentsCollected { provider: OrgId, to: T::AccountId, amount: BalanceOf<T> },
		/// A payer enrolled a patient in a policy.
		PatientEnrolled { policy_id: PolicyId, patient: T::AccountId },
		/// A payer authorized a procedure for a patient in advance.
		PriorAuthorizationGranted {
			policy_id: PolicyId,
			patient: T::AccountId,
			procedure: Code,
			from: Day,
			until: Day,
		},
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
		/// The signer is not a practitioner of an active care provider.
		NotProviderPractitioner,
		/// The signer is not a member of the claim's provider organization.
		NotClaimProvider,
		/// The signer is not an admin of an active organization.
		NotOrganizationAdmin,
		/// No policy has that id.
		UnknownPolicy,
		/// A code is empty, longer than 8 characters, or has characters other than capital
		/// letters and digits.
		InvalidCode,
		/// The fee schedule is empty.
		NoProcedures,
		/// The fee schedule has more codes than `MaxProcedures`.
		TooManyProcedures,
		/// A procedure code appears twice in the fee schedule.
		DuplicateProcedure,
		/// An allowed amount is zero.
		ZeroAllowedAmount,
		/// More diagnosis prefixes or prior-authorization codes than `MaxCodeList`.
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
		/// The claim has no diagnosis code.
		NoDiagnoses,
		/// The claim has more diagnosis codes than `MaxDiagnoses`.
		TooManyDiagnoses,
		/// The claim cites no supporting record.
		NoSupportingRecords,
		/// The claim cites more records than `MaxSupportingRecords`.
		TooManyRecords,
		/// A line has zero units.
		ZeroUnits,
		/// A line charges nothing.
		ZeroCharge,
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

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Publishes a coverage policy with its own escrow account.
		///
		/// The signer must be a member of an active payer organization.
		///
		/// - `terms`: the rules; codes are checked, the fee schedule is sorted and must not
		///   repeat a code.
		///
		/// Emits `PolicyPublished`. O(p log p), p procedures.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::publish_policy(terms.procedures.len() as u32))]
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
				Policy { payer, terms, active: true, published_at: T::Time::now() },
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

		/// Moves settlement funds from the signer's account into a policy's escrow.
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
		/// `from` to `until`; replaces an earlier authorization of the same procedure.
		///
		/// The signer must be a member of the policy's payer.
		///
		/// - `policy_id`: the policy.
		/// - `patient`: an enrolled patient.
		/// - `procedure`: the procedure code.
		/// - `from`, `until`: the first and last service day covered.
		///
		/// Emits `PriorAuthorizationGranted`. O(1).
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::authorize_procedure())]
		pub fn authorize_procedure(
			origin: OriginFor<T>,
			policy_id: PolicyId,
			patient: T::AccountId,
			procedure: Code,
			from: Day,
			until: Day,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::policy_of_payer(policy_id, &who)?;
			ensure!(Enrollments::<T>::contains_key(policy_id, &patient), Error::<T>::NotEnrolled);
			ensure!(is_valid_code(&procedure), Error::<T>::InvalidCode);
			ensure!(from <= until, Error::<T>::BadPeriod);

			PriorAuthorizations::<T>::insert((policy_id, &patient, &procedure), (from, until));
			Self::deposit_event(Event::PriorAuthorizationGranted {
				policy_id,
				patient,
				procedure,
				from,
				until,
			});
			Ok(())
		}

		/// Submits a claim and adjudicates it at once against the policy: each line is allowed,
		/// reduced to the allowed amount or denied with a reason; the payer's share is paid
		/// from escrow to the provider and the patient's share recorded, unless the claim must
		/// wait for the payer's review. Each supporting record's disclosure is audited.
		///
		/// The signer must be a practitioner of an active care provider allowed to disclose each
		/// supporting record for Payment.
		///
		/// - `policy_id`: the policy the patient is enrolled in.
		/// - `patient`: the patient served.
		/// - `service_date`: the day of service.
		/// - `diagnoses`: ICD-10-CM codes without the dot, the principal one first.
		/// - `lines`: the service lines.
		/// - `records`: the records that support the claim.
		///
		/// Emits `ClaimSubmitted`, then `ClaimAdjudicated` or `ClaimPended`. O(l log p + r·g):
		/// lines, fee schedule, records, the patient's consents.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::submit_claim(lines.len() as u32, records.len() as u32))]
		pub fn submit_claim(
			origin: OriginFor<T>,
			policy_id: PolicyId,
			patient: T::AccountId,
			service_date: Day,
			diagnoses: Vec<Code>,
			lines: Vec<ServiceLine<BalanceOf<T>>>,
			records: Vec<RecordId>,
		) -> DispatchResult {
			let practitioner = ensure_signed(origin)?;
			let provider = T::Registry::active_membership(&practitioner)
				.filter(|m| m.kind.is_care_provider() && m.role == Role::Practitioner)
				.ok_or(Error::<T>::NotProviderPractitioner)?
				.org;
			let policy = Policies::<T>::get(policy_id).ok_or(Error::<T>::UnknownPolicy)?;
			ensure!(Enrollments::<T>::contains_key(policy_id, &patient), Error::<T>::NotEnrolled);
			ensure!(!diagnoses.is_empty(), Error::<T>::NoDiagnoses);
			ensure!(diagnoses.iter().all(|d| is_valid_code(d)), Error::<T>::InvalidCode);
			let diagnoses: BoundedVec<_, T::MaxDiagnoses> =
				diagnoses.try_into().map_err(|_| Error::<T>::TooManyDiagnoses)?;
			ensure!(!lines.is_empty(), Error::<T>::NoLines);
			ensure!(lines.len() <= T::MaxLines::get() as usize, Error::<T>::TooManyLines);
			for line in &lines {
				ensure!(is_valid_code(&line.procedure), Error::<T>::InvalidCode);
				ensure!(line.units > 0, Error::<T>::ZeroUnits);
				ensure!(!line.charged.is_zero(), Error::<T>::ZeroCharge);
			}
			ensure!(!records.is_empty(), Error::<T>::NoSupportingRecords);
			let records: BoundedVec<_, T::MaxSupportingRecords> =
				records.try_into().map_err(|_| Error::<T>::TooManyRecords)?;
			let now = T::Time::now();
			let mut disclosures = Vec::with_capacity(records.len());
			for record in &records {
				match T::Access::check_access(
					&patient,
					&practitioner,
					record,
					Purpose::Payment,
					now,
				) {
					Decision::Allowed(basis) => disclosures.push((*record, basis)),
					Decision::Denied(reason) => return Err(Error::<T>::from(reason).into()),
				}
			}

			// The rules, line by line, before anything is written.
			let mut adjudicated = Vec::with_capacity(lines.len());
			let mut services = Vec::with_capacity(lines.len());
			let covered_diagnosis = policy.terms.diagnosis_prefixes.is_empty()
				|| policy.terms.diagnosis_prefixes.iter().any(|p| diagnoses[0].starts_with(p));
			let in_force = policy.active
				&& (policy.terms.valid_from..=policy.terms.valid_until).contains(&service_date);
			for line in lines {
				let service = Self::service_key(&patient, provider, service_date, &line.procedure);
				let denial = if !in_force {
					Some(DenialReason::PolicyInactive)
				} else if !covered_diagnosis {
					Some(DenialReason::DiagnosisNotCovered)
				} else if Self::fee(&policy.terms, &line.procedure).is_none() {
					Some(DenialReason::NotCovered)
				} else if services.contains(&service) || ClaimedServices::<T>::contains_key(service)
				{
					Some(DenialReason::Duplicate)
				} else if !Self::prior_authorized(policy_id, &policy, &patient, &line, service_date)
				{
					Some(DenialReason::PriorAuthorizationMissing)
				} else {
					None
				};
				let outcome = match denial {
					Some(reason) => LineOutcome::Denied(reason),
					None => {
						services.push(service);
						LineOutcome::Pending
					}
				};
				adjudicated.push(AdjudicatedLine {
					billed: line,
					outcome,
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
				.saturating_add(services.len() as u32);
			let mut pend = if eligible_charges > policy.terms.review_threshold {
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
				diagnoses,
				lines: adjudicated.try_into().map_err(|_| Error::<T>::TooManyLines)?,
				records,
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
			NextClaimId::<T>::put(claim_id.saturating_add(1));
			for service in services {
				ClaimedServices::<T>::insert(service, claim_id);
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
		/// rejection denies them and frees their services for a corrected claim.
		///
		/// The signer must be a member of the policy's payer.
		///
		/// - `claim_id`: a pended claim.
		/// - `approve`: whether to pay it.
		///
		/// Emits `ClaimAdjudicated` or `ClaimRejected`. O(l log p).
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::review_claim(T::MaxLines::get()))]
		pub fn review_claim(
			origin: OriginFor<T>,
			claim_id: ClaimId,
			approve: bool,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut claim = Claims::<T>::get(claim_id).ok_or(Error::<T>::UnknownClaim)?;
			let policy = Self::policy_of_payer(claim.policy, &who)?;
			ensure!(matches!(claim.status, ClaimStatus::Pended(_)), Error::<T>::NotPended);

			if !approve {
				for line in claim.lines.iter_mut().filter(|l| l.outcome == LineOutcome::Pending) {
					line.outcome = LineOutcome::Denied(DenialReason::RejectedOnReview);
					ClaimedServices::<T>::remove(Self::service_key(
						&claim.patient,
						claim.provider,
						claim.service_date,
						&line.billed.procedure,
					));
				}
				claim.status = ClaimStatus::Rejected;
				Claims::<T>::insert(claim_id, claim);
				Self::deposit_event(Event::ClaimRejected { claim_id });
				return Ok(());
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
			Ok(())
		}

		/// Appeals a denied line, once.
		///
		/// The signer must be a member of the claim's provider organization.
		///
		/// - `claim_id`: the claim.
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
		/// given allowed amount (deductible and coinsurance apply).
		///
		/// The signer must be a member of the policy's payer.
		///
		/// - `claim_id`: the claim.
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
			let (policy_id, patient, provider) =
				(claim.policy, claim.patient.clone(), claim.provider);
			let year = Self::plan_year(&policy, claim.service_date);
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
			let mut accumulator = Accumulators::<T>::get((policy_id, &patient, year));
			Self::settle_line(&policy, &mut accumulator, entry, allowed);
			let (payer_paid, patient_share) = (entry.payer_paid, entry.patient_share);
			ensure!(Self::escrow_balance(policy_id) >= payer_paid, Error::<T>::InsufficientEscrow);

			Self::pay(policy_id, provider, payer_paid)?;
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
		/// Moves unused funds from a policy's escrow to the signer.
		///
		/// The signer must be a member of the policy's payer.
		///
		/// - `policy_id`: the policy.
		/// - `amount`: how much to take back; pended claims may then need new funds.
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
			Self::policy_of_payer(policy_id, &who)?;
			ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
			ensure!(Self::escrow_balance(policy_id) >= amount, Error::<T>::InsufficientEscrow);

			T::Currency::transfer(
				&Self::escrow_account(policy_id),
				&who,
				amount,
				Preservation::Expendable,
			)?;
			Self::deposit_event(Event::EscrowWithdrawn { policy_id, to: who, amount });
			Ok(())
		}

		/// Moves claim payments from the signer's organization's settlement account to the
		/// signer.
		///
		/// The signer must be an admin of an active organization.
		///
		/// - `amount`: how much to collect.
		///
		/// Emits `PaymentsCollected`. O(1).
		#[pallet::call_index(10)]
		#[pallet::weight(T::WeightInfo::collect_payments())]
		pub fn collect_payments(origin: OriginFor<T>, amount: BalanceOf<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let provider = T::Registry::active_membership(&who)
				.filter(|m| m.role == Role::Admin)
				.ok_or(Error::<T>::NotOrganizationAdmin)?
				.org;
			ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
			let account = Self::provider_account(provider);
			let available = T::Currency::reducible_balance(
				&account,
				Preservation::Expendable,
				Fortitude::Polite,
			);
			ensure!(available >= amount, Error::<T>::InsufficientFunds);

			T::Currency::transfer(&account, &who, amount, Preservation::Expendable)?;
			Self::deposit_event(Event::PaymentsCollected { provider, to: who, amount });
			Ok(())
		}
	}

	impl<T: Config> Pallet<T> {
		/// The escrow account of a policy.
		pub fn escrow_account(policy_id: PolicyId) -> T::AccountId {
			Self::derived_account((b"escrow", policy_id))
		}

		/// The settlement account of a provider organization, where claims are paid.
		pub fn provider_account(provider: OrgId) -> T::AccountId {
			Self::derived_account((b"provider", provider))
		}

		/// An account only this pallet controls, from a hash of its id and `purpose`, so that
		/// every policy and provider gets its own whatever the account id's size.
		fn derived_account(purpose: impl codec::Encode) -> T::AccountId {
			use sp_runtime::traits::{BlakeTwo256, Hash, TrailingZeroInput};
			let entropy = BlakeTwo256::hash_of(&(T::PalletId::get(), purpose));
			T::AccountId::decode(&mut TrailingZeroInput::new(entropy.as_ref()))
				.expect("infinite input; decoding an account id cannot fail")
		}

		/// What a policy's escrow can pay.
		pub fn escrow_balance(policy_id: PolicyId) -> BalanceOf<T> {
			T::Currency::reducible_balance(
				&Self::escrow_account(policy_id),
				Preservation::Expendable,
				Fortitude::Polite,
			)
		}

		fn pay(policy_id: PolicyId, provider: OrgId, amount: BalanceOf<T>) -> DispatchResult {
			if amount.is_zero() {
				return Ok(());
			}
			T::Currency::transfer(
				&Self::escrow_account(policy_id),
				&Self::provider_account(provider),
				amount,
				Preservation::Expendable,
			)
			.map(|_| ())
			.map_err(|_| Error::<T>::InsufficientEscrow.into())
		}

		/// The signer's payer organization.
		fn payer_org(who: &T::AccountId) -> Result<OrgId, Error<T>> {
			T::Registry::active_membership(who)
				.filter(|m| m.kind == OrgKind::Payer)
				.map(|m| m.org)
				.ok_or(Error::<T>::NotPayer)
		}

		/// The policy, when the signer belongs to its payer.
		fn policy_of_payer(policy_id: PolicyId, who: &T::AccountId) -> Result<Policy<T>, Error<T>> {
			let policy = Policies::<T>::get(policy_id).ok_or(Error::<T>::UnknownPolicy)?;
			ensure!(Self::payer_org(who)? == policy.payer, Error::<T>::NotPolicyPayer);
			Ok(policy)
		}

		fn bounded_terms(terms: TermsOf<BalanceOf<T>>) -> Result<BoundedTerms<T>, Error<T>> {
			let CoverageTerms { mut procedures, diagnosis_prefixes, prior_authorization, .. } =
				terms;
			ensure!(!procedures.is_empty(), Error::<T>::NoProcedures);
			let all_codes = procedures
				.iter()
				.map(|(code, _)| code)
				.chain(&diagnosis_prefixes)
				.chain(&prior_authorization);
			for code in all_codes {
				ensure!(is_valid_code(code), Error::<T>::InvalidCode);
			}
			ensure!(
				procedures.iter().all(|(_, fee)| !fee.is_zero()),
				Error::<T>::ZeroAllowedAmount
			);
			procedures.sort_by(|a, b| a.0.cmp(&b.0));
			ensure!(
				procedures.windows(2).all(|w| w[0].0 != w[1].0),
				Error::<T>::DuplicateProcedure
			);
			ensure!(
				terms.out_of_pocket_max >= terms.deductible,
				Error::<T>::OutOfPocketBelowDeductible
			);
			ensure!(terms.valid_from <= terms.valid_until, Error::<T>::BadPeriod);
			Ok(CoverageTerms {
				procedures: procedures.try_into().map_err(|_| Error::<T>::TooManyProcedures)?,
				diagnosis_prefixes: diagnosis_prefixes
					.try_into()
					.map_err(|_| Error::<T>::TooManyCodes)?,
				prior_authorization: prior_authorization
					.try_into()
					.map_err(|_| Error::<T>::TooManyCodes)?,
				deductible: terms.deductible,
				coinsurance: terms.coinsurance,
				out_of_pocket_max: terms.out_of_pocket_max,
				review_threshold: terms.review_threshold,
				max_daily_lines_per_provider: terms.max_daily_lines_per_provider,
				valid_from: terms.valid_from,
				valid_until: terms.valid_until,
			})
		}

		/// The allowed amount per unit of a procedure, if the fee schedule covers it.
		fn fee(terms: &BoundedTerms<T>, procedure: &Code) -> Option<BalanceOf<T>> {
			terms
				.procedures
				.binary_search_by(|(code, _)| code.cmp(procedure))
				.ok()
				.map(|i| terms.procedures[i].1)
		}

		fn prior_authorized(
			policy_id: PolicyId,
			policy: &Policy<T>,
			patient: &T::AccountId,
			line: &ServiceLine<BalanceOf<T>>,
			day: Day,
		) -> bool {
			!policy.terms.prior_authorization.contains(&line.procedure)
				|| PriorAuthorizations::<T>::get((policy_id, patient, &line.procedure))
					.is_some_and(|(from, until)| (from..=until).contains(&day))
		}

		/// The duplicate-check key of a service.
		pub fn service_key(
			patient: &T::AccountId,
			provider: OrgId,
			day: Day,
			procedure: &Code,
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

		/// Settles every pending line at its fee-schedule amount and returns what those lines
		/// cost: the payer's share and the patient's. Lines settled earlier (an overturned
		/// appeal) are not counted again.
		fn settle_pending(
			policy: &Policy<T>,
			accumulator: &mut Accumulator<BalanceOf<T>>,
			lines: &mut [AdjudicatedLine<BalanceOf<T>>],
		) -> (BalanceOf<T>, BalanceOf<T>) {
			let mut totals = (BalanceOf::<T>::zero(), BalanceOf::<T>::zero());
			for line in lines.iter_mut().filter(|l| l.outcome == LineOutcome::Pending) {
				let fee = Self::fee(&policy.terms, &line.billed.procedure)
					.unwrap_or_else(Zero::zero)
					.saturating_mul(line.billed.units.into());
				Self::settle_line(policy, accumulator, line, fee);
				totals.0 = totals.0.saturating_add(line.payer_paid);
				totals.1 = totals.1.saturating_add(line.patient_share);
			}
			totals
		}
	}
}
