//! # Wellness Pallet
//!
//! Rewards for healthy behaviour, earned from facts the chain already holds rather than from
//! what patients report.
//!
//! ## Overview
//!
//! A payer's admin creates a **program**: the hash of its terms (kept off chain), what a point
//! is worth in the settlement currency, an optional attendance deposit, when it runs, and its
//! **rules**, each a trigger, the points it earns, a cap per period and an expiry. The payer
//! funds the program's escrow; a patient (or a guardian) enrols, paying the deposit if there is
//! one, and leaves when they like (the deposit comes back; unredeemed points are forfeited).
//!
//! Triggers are facts, pushed to this pallet by the pallets that record them
//! ([`carechain_primitives::wellness::CareEvents`]):
//! - [`Trigger::AttendedVisit`]: a telehealth encounter the patient attested with the
//!   practitioner (the telehealth pallet).
//! - [`Trigger::Immunization`]: an `Immunization` record of the patient written by a
//!   practitioner of a care provider (the records pallet).
//! - [`Trigger::Refill`]: a fill a pharmacy reports with [`Pallet::report_fill`], naming the
//!   days it supplies and never the drug; a pharmacy's reports on a day are bounded by the units
//!   it dispensed that day (the provenance pallet). The fill earns when the patient's adherence,
//!   the proportion of days covered (PDC) since their first reported fill, is at least the
//!   rule's minimum.
//!
//! A no-show of a booked telehealth appointment forfeits the patient's deposit to the program.
//! Points are not transferable: [`Pallet::redeem`] pays their worth from the program's escrow
//! to the patient. A rule earns nothing after its expiry, and nothing once the program has
//! ended; a point is only awarded while the escrow can pay it, so every point stays backed.
//! When a program ends, `on_idle` expires its unredeemed points and returns deposits, a bounded
//! number of members per block; then the payer may withdraw what is left.
//!
//! ## Privacy
//!
//! No wellness call or state names a visit, a record, a prescription or a drug: facts are
//! pushed by the pallets that hold them, and the pallet keeps points, per-rule counters and,
//! for the sponsor, totals per rule ([`RuleTotals`]). Enrolment in a program is public; so is
//! a pharmacy's fill report (member, pharmacy, days supplied). A program's terms are a hash:
//! SECURITY.md says why a payer should not publish a condition-specific program's terms.
//!
//! ## Dispatchable Functions
//!
//! - [`Pallet::create_program`], [`Pallet::fund`], [`Pallet::withdraw`]: an admin of an
//!   active payer (its own programs).
//! - [`Pallet::enrol`], [`Pallet::leave`], [`Pallet::redeem`]: the patient or a guardian.
//! - [`Pallet::report_fill`]: a member of an active pharmacy.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod weights;

pub use weights::WeightInfo;

use carechain_primitives::{
	wellness::{CareEvents, DispensingCounts},
	FhirResourceType, MembershipProvider, Moment, OrgId, OrgKind, Role,
};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{pallet_prelude::Weight, traits::fungible};
use scale_info::TypeInfo;
use sp_core::H256;
use sp_runtime::Percent;

/// What benchmarks need from the runtime beyond the pallet's `Config`.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper {
	/// Sets the chain's clock, so that a program can end.
	fn set_time(now: Moment);
}

/// A program's id, assigned by the chain in order.
pub type ProgramId = u32;

/// A calendar day: days since 1970-01-01 (UTC).
pub type Day = u32;

pub use carechain_primitives::DAY_MS;

/// The settlement currency's balance type.
pub type BalanceOf<T> =
	<<T as Config>::Currency as fungible::Inspect<<T as frame_system::Config>::AccountId>>::Balance;

/// What earns a rule's points.
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
pub enum Trigger {
	/// A telehealth encounter attested by the patient and the practitioner.
	AttendedVisit,
	/// An `Immunization` record written by a practitioner of a care provider.
	Immunization,
	/// A fill reported by the dispensing pharmacy, when the patient's proportion of days
	/// covered since their first reported fill (this fill excluded) is at least `min_pdc`.
	Refill {
		/// The least adherence that earns.
		min_pdc: Percent,
	},
}

/// A program's rule.
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
pub struct Rule {
	/// What earns.
	pub trigger: Trigger,
	/// The points each occurrence earns.
	pub points: u32,
	/// The most points a member earns under this rule in one period.
	pub cap_per_period: u32,
	/// A period's length in days, counted from the program's start.
	pub period_days: u32,
	/// From when the rule earns nothing.
	pub expires_at: Moment,
}

/// Where a program stands.
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
pub enum ProgramStatus {
	/// Enrolling and earning until its end.
	Open,
	/// Ended: `on_idle` is expiring its members' points and returning their deposits.
	Closing,
	/// Ended with no member left: the payer withdraws what is left.
	Closed,
}

/// A wellness program (FHIR has no such resource; its terms are a document off chain).
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct Program<Balance, Rules> {
	/// The payer that funds it.
	pub sponsor: OrgId,
	/// blake2b-256 of its terms, published off chain.
	pub terms_hash: H256,
	/// What a point is worth, paid on redemption.
	pub point_value: Balance,
	/// What a member pays in at enrolment and forfeits on a no-show; zero for none.
	pub deposit: Balance,
	/// When it starts: periods count from it.
	pub starts_at: Moment,
	/// When it ends: nothing earns after it, and unredeemed points expire.
	pub ends_at: Moment,
	/// Its rules.
	pub rules: Rules,
	/// Where it stands.
	pub status: ProgramStatus,
}

/// A program as storage keeps it.
pub type ProgramOf<T> =
	Program<BalanceOf<T>, frame_support::BoundedVec<Rule, <T as Config>::MaxRules>>;

/// A patient's fills as a program counts them: the proportion of days covered.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Default,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub struct Adherence {
	/// The day of the first reported fill; `None` before it.
	pub first_fill: Option<Day>,
	/// The first day the fills so far do not cover (overlapping supply is shifted forward, as
	/// PDC counts it).
	pub covered_until: Day,
	/// The days the fills so far cover.
	pub covered_days: u32,
}

impl Adherence {
	/// The proportion of days covered from the first fill up to `day` (exclusive); a whole
	/// before any fill, or on the first fill's day.
	pub fn pdc(&self, day: Day) -> Percent {
		match self.first_fill {
			Some(first) if day > first => {
				let elapsed = day.saturating_sub(first);
				let covered = self
					.covered_days
					.saturating_sub(self.covered_until.saturating_sub(day))
					.min(elapsed);
				Percent::from_rational(covered, elapsed)
			}
			_ => Percent::one(),
		}
	}

	/// Counts a fill of `days` on `day`.
	pub fn fill(&mut self, day: Day, days: u32) {
		let start = day.max(self.covered_until);
		self.first_fill.get_or_insert(day);
		self.covered_until = start.saturating_add(days);
		self.covered_days = self.covered_days.saturating_add(days);
	}
}

/// A patient's enrolment in a program.
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
pub struct Enrolment<Balance> {
	/// When they enrolled: facts from before do not earn.
	pub enrolled_at: Moment,
	/// Points earned and not yet redeemed.
	pub points: u64,
	/// The deposit held for them; zero once forfeited (or when the program asks none).
	pub deposit: Balance,
	/// Their fills, for refill rules.
	pub adherence: Adherence,
	/// Whether they left: they earn nothing more and may not enrol again, and their deposit
	/// stays held (a no-show of an appointment that began before they left still forfeits
	/// it) until the program ends.
	pub left: bool,
}

/// What a program's escrow received and paid, so that what it may still pay is known without
/// trusting the escrow account's balance (anyone may transfer into it; such transfers are
/// never counted).
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Default,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub struct Ledger<Balance> {
	/// Moved in with `fund`.
	pub funded: Balance,
	/// Deposits forfeited on no-shows: the program's to pay points with.
	pub forfeited: Balance,
	/// Paid to members for points.
	pub redeemed: Balance,
	/// Withdrawn by the payer.
	pub withdrawn: Balance,
	/// Deposits held for members (not the program's).
	pub deposits: Balance,
	/// Points awarded and not yet redeemed or expired.
	pub outstanding: u64,
	/// Points that expired unredeemed (or were forfeited by leaving).
	pub expired: u64,
}

impl<Balance: sp_runtime::traits::Saturating + Copy> Ledger<Balance> {
	/// What the escrow may pay for points or return to the payer: funded and forfeited, less
	/// redeemed and withdrawn.
	pub fn available(&self) -> Balance {
		self.funded
			.saturating_add(self.forfeited)
			.saturating_sub(self.redeemed)
			.saturating_sub(self.withdrawn)
	}
}

/// What a rule awarded, for the sponsor: totals only.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Default,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub struct RuleTotal {
	/// How many awards.
	pub awards: u32,
	/// How many points.
	pub points: u64,
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use alloc::vec::Vec;
	use frame_support::{
		pallet_prelude::*,
		traits::{
			fungible::{Inspect, Mutate},
			tokens::Preservation,
			Time,
		},
		PalletId,
	};
	use frame_system::pallet_prelude::*;
	use sp_runtime::traits::{Saturating, Zero};

	/// The in-code storage version.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Configuration of the wellness pallet.
	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The consortium registry: organizations, roles, patients and guardians.
		type Registry: MembershipProvider<Self::AccountId>;
		/// The settlement currency.
		type Currency: fungible::Mutate<Self::AccountId>;
		/// How many units each pharmacy dispensed each day (the provenance pallet).
		type Dispensing: DispensingCounts;
		/// The chain's clock, in milliseconds since the Unix epoch.
		type Time: Time<Moment = Moment>;
		/// Seeds each program's escrow account.
		#[pallet::constant]
		type PalletId: Get<PalletId>;
		/// The most rules a program has.
		#[pallet::constant]
		type MaxRules: Get<u32>;
		/// The most programs a patient is enrolled in at once.
		#[pallet::constant]
		type MaxProgramsPerPatient: Get<u32>;
		/// The most programs open (or closing) at once: `on_idle` walks their ends in order.
		#[pallet::constant]
		type MaxOpenPrograms: Get<u32>;
		/// The most programs one sponsor has open at once, so that no payer fills
		/// `MaxOpenPrograms` for the others.
		#[pallet::constant]
		type MaxOpenProgramsPerSponsor: Get<u32>;
		/// The longest a program runs.
		#[pallet::constant]
		type MaxProgramDuration: Get<Moment>;
		/// The account a sponsor's withdrawals are paid into (the claims pallet's settlement
		/// account of the organization, which only its admins collect from, into the payout
		/// account governance registered), never a signer's own.
		type SettlementAccount: sp_runtime::traits::Convert<OrgId, Self::AccountId>;
		/// The most days one reported fill supplies.
		#[pallet::constant]
		type MaxDaysSupply: Get<u32>;
		/// Weights of this pallet's calls and hooks.
		type WeightInfo: WeightInfo;
		/// Sets the clock for benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper;
	}

	/// The id the next program gets.
	#[pallet::storage]
	pub type NextProgramId<T: Config> = StorageValue<_, ProgramId, ValueQuery>;

	/// Programs. Ids are assigned by the chain in order, so `Twox64Concat` is safe.
	#[pallet::storage]
	pub type Programs<T: Config> = StorageMap<_, Twox64Concat, ProgramId, ProgramOf<T>>;

	/// The programs not yet closed, by end time: `on_idle` closes them in this order.
	#[pallet::storage]
	pub type Ends<T: Config> =
		StorageValue<_, BoundedVec<(Moment, ProgramId, OrgId), T::MaxOpenPrograms>, ValueQuery>;

	/// Members by program and patient.
	// Patients' accounts are chosen by callers: `Blake2_128Concat`.
	#[pallet::storage]
	pub type Members<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		ProgramId,
		Blake2_128Concat,
		T::AccountId,
		Enrolment<BalanceOf<T>>,
	>;

	/// The programs each patient is enrolled in: what a pushed fact is checked against.
	#[pallet::storage]
	pub type PatientPrograms<T: Config> = StorageMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		BoundedVec<ProgramId, T::MaxProgramsPerPatient>,
		ValueQuery,
	>;

	/// Points each member earned under each rule in its current period: (period, points).
	#[pallet::storage]
	pub type PeriodPoints<T: Config> = StorageNMap<
		_,
		(
			NMapKey<Twox64Concat, ProgramId>,
			NMapKey<Blake2_128Concat, T::AccountId>,
			NMapKey<Twox64Concat, u32>,
		),
		(u32, u32),
		ValueQuery,
	>;

	/// What each rule awarded, in total: all a sponsor sees of its members' care.
	#[pallet::storage]
	pub type RuleTotals<T: Config> =
		StorageDoubleMap<_, Twox64Concat, ProgramId, Twox64Concat, u32, RuleTotal, ValueQuery>;

	/// Each program's escrow ledger.
	#[pallet::storage]
	pub type Ledgers<T: Config> =
		StorageMap<_, Twox64Concat, ProgramId, Ledger<BalanceOf<T>>, ValueQuery>;

	/// Fills each pharmacy reported each day, at most the units it dispensed that day.
	#[pallet::storage]
	pub type FillReports<T: Config> =
		StorageDoubleMap<_, Twox64Concat, OrgId, Twox64Concat, Day, u32, ValueQuery>;

	// Event fields are named for what they hold; the variant docs say what happened. No
	// visit, record, prescription or drug.
	#[allow(missing_docs)]
	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A payer created a program.
		ProgramCreated { program: ProgramId, sponsor: OrgId },
		/// A payer funded a program's escrow.
		Funded { program: ProgramId, amount: BalanceOf<T> },
		/// A patient enrolled.
		Enrolled { program: ProgramId, patient: T::AccountId },
		/// A patient left; their unredeemed points were forfeited (their deposit comes back
		/// when the program ends).
		Left { program: ProgramId, patient: T::AccountId, forfeited_points: u64 },
		/// A member earned points under a rule.
		PointsEarned { program: ProgramId, rule: u32, patient: T::AccountId, points: u32 },
		/// A rule's points were not awarded: the escrow cannot pay them.
		Unfunded { program: ProgramId, rule: u32 },
		/// A member redeemed points.
		Redeemed { program: ProgramId, patient: T::AccountId, points: u64, paid: BalanceOf<T> },
		/// A member's deposit was forfeited on a no-show.
		DepositForfeited { program: ProgramId, patient: T::AccountId, amount: BalanceOf<T> },
		/// A pharmacy reported a fill.
		FillReported { program: ProgramId, pharmacy: OrgId },
		/// A program ended and every member was settled.
		ProgramClosed { program: ProgramId, expired_points: u64 },
		/// The payer withdrew from a program's escrow.
		Withdrawn { program: ProgramId, amount: BalanceOf<T> },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The signer is not an admin of an active payer.
		NotPayerAdmin,
		/// The signer is not an admin of the program's sponsor.
		NotSponsor,
		/// A program needs 1 to `MaxRules` rules.
		BadRuleCount,
		/// A rule earns no points, has a cap below its points, a period of no days, or expires
		/// before the program starts.
		BadRule,
		/// The program's times are wrong: it ends before it starts, has ended already, or runs
		/// longer than `MaxProgramDuration`.
		BadTimes,
		/// A point must be worth something.
		ZeroPointValue,
		/// `MaxOpenPrograms` programs are open, or the sponsor has `MaxOpenProgramsPerSponsor`:
		/// wait for one to close.
		TooManyOpenPrograms,
		/// The chain has used every program id.
		ProgramIdOverflow,
		/// No program has that id.
		UnknownProgram,
		/// The program has ended.
		ProgramEnded,
		/// The program has not closed yet: its members' points may still be redeemed.
		ProgramNotClosed,
		/// Nothing to move: the amount is zero.
		ZeroAmount,
		/// The patient is not registered.
		NotPatient,
		/// The signer is not the patient or one of their guardians.
		NotPatientOrGuardian,
		/// The patient is enrolled already, or was and left: one enrolment per program.
		AlreadyEnrolled,
		/// The patient is in `MaxProgramsPerPatient` programs already: leave one first.
		TooManyPrograms,
		/// The patient is not enrolled in the program.
		NotEnrolled,
		/// The deposit could not be paid: the signer's balance is too low.
		DepositFailed,
		/// The member has fewer points than asked.
		NotEnoughPoints,
		/// The escrow cannot pay that, or the payment would leave an account below the
		/// existential deposit.
		PayoutFailed,
		/// The escrow holds less than asked, beyond what its outstanding points are worth.
		InsufficientEscrow,
		/// The signer is not a member of an active pharmacy.
		NotPharmacy,
		/// The days supplied must be 1 to `MaxDaysSupply`.
		BadDaysSupply,
		/// The pharmacy has reported as many fills today as it dispensed units.
		NoMatchingDispense,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		/// Closes ended programs, a bounded number of members per block, with the weight left.
		fn on_idle(_n: BlockNumberFor<T>, remaining: Weight) -> Weight {
			Self::close_ended(remaining)
		}

		fn integrity_test() {
			assert!(T::MaxRules::get() >= 1, "a program has a rule");
			assert!(T::MaxProgramsPerPatient::get() >= 1, "a patient may enrol");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Creates a program of the signer's payer.
		///
		/// The signer must be an admin of an active payer. `rules`: 1 to `MaxRules`, each
		/// earning at least a point, with a cap of at least its points, a period of at least a
		/// day, and an expiry after `starts_at`; `ends_at` after `starts_at` and in the future;
		/// `point_value` above zero.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::create_program(
			u32::try_from(rules.len()).unwrap_or(u32::MAX)
		))]
		pub fn create_program(
			origin: OriginFor<T>,
			terms_hash: H256,
			point_value: BalanceOf<T>,
			deposit: BalanceOf<T>,
			starts_at: Moment,
			ends_at: Moment,
			rules: Vec<Rule>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let sponsor = T::Registry::active_membership(&who)
				.filter(|m| m.kind == OrgKind::Payer && m.role == Role::Admin)
				.ok_or(Error::<T>::NotPayerAdmin)?
				.org;
			ensure!(!rules.is_empty(), Error::<T>::BadRuleCount);
			let rules: BoundedVec<Rule, T::MaxRules> =
				rules.try_into().map_err(|_| Error::<T>::BadRuleCount)?;
			ensure!(
				rules.iter().all(|r| r.points > 0
					&& r.cap_per_period >= r.points
					&& r.period_days > 0
					&& r.expires_at > starts_at),
				Error::<T>::BadRule
			);
			ensure!(
				ends_at > starts_at
					&& ends_at > T::Time::now()
					&& ends_at.saturating_sub(starts_at) <= T::MaxProgramDuration::get(),
				Error::<T>::BadTimes
			);
			ensure!(!point_value.is_zero(), Error::<T>::ZeroPointValue);
			let program = NextProgramId::<T>::get();
			let next = program.checked_add(1).ok_or(Error::<T>::ProgramIdOverflow)?;
			let mut ends = Ends::<T>::get();
			let own = ends.iter().filter(|(_, _, s)| *s == sponsor).count();
			ensure!(
				own < T::MaxOpenProgramsPerSponsor::get() as usize,
				Error::<T>::TooManyOpenPrograms
			);
			let at = ends.partition_point(|(end, _, _)| *end <= ends_at);
			ends.try_insert(at, (ends_at, program, sponsor))
				.map_err(|_| Error::<T>::TooManyOpenPrograms)?;

			NextProgramId::<T>::put(next);
			Ends::<T>::put(ends);
			Programs::<T>::insert(
				program,
				Program {
					sponsor,
					terms_hash,
					point_value,
					deposit,
					starts_at,
					ends_at,
					rules,
					status: ProgramStatus::Open,
				},
			);
			Self::deposit_event(Event::ProgramCreated { program, sponsor });
			Ok(())
		}

		/// Moves `amount` from the signer into the program's escrow.
		///
		/// The signer must be an admin of the program's sponsor; the program open.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::fund())]
		pub fn fund(
			origin: OriginFor<T>,
			program: ProgramId,
			amount: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let info = Self::sponsored(program, &who)?;
			ensure!(info.status == ProgramStatus::Open, Error::<T>::ProgramEnded);
			ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);

			T::Currency::transfer(
				&who,
				&Self::escrow_account(program),
				amount,
				Preservation::Preserve,
			)?;
			Ledgers::<T>::mutate(program, |l| l.funded = l.funded.saturating_add(amount));
			Self::deposit_event(Event::Funded { program, amount });
			Ok(())
		}

		/// Enrols a patient in an open program; the signer pays the program's deposit, if any.
		///
		/// The signer must be the patient or one of their guardians.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::enrol())]
		pub fn enrol(
			origin: OriginFor<T>,
			program: ProgramId,
			patient: T::AccountId,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(T::Registry::is_patient(&patient), Error::<T>::NotPatient);
			ensure!(
				T::Registry::is_patient_or_guardian(&patient, &who),
				Error::<T>::NotPatientOrGuardian
			);
			let info = Programs::<T>::get(program).ok_or(Error::<T>::UnknownProgram)?;
			let now = T::Time::now();
			ensure!(
				info.status == ProgramStatus::Open && now < info.ends_at,
				Error::<T>::ProgramEnded
			);
			ensure!(!Members::<T>::contains_key(program, &patient), Error::<T>::AlreadyEnrolled);
			let mut programs = PatientPrograms::<T>::get(&patient);
			programs.try_push(program).map_err(|_| Error::<T>::TooManyPrograms)?;

			if !info.deposit.is_zero() {
				T::Currency::transfer(
					&who,
					&Self::escrow_account(program),
					info.deposit,
					Preservation::Preserve,
				)
				.map_err(|_| Error::<T>::DepositFailed)?;
				Ledgers::<T>::mutate(program, |l| {
					l.deposits = l.deposits.saturating_add(info.deposit)
				});
			}
			PatientPrograms::<T>::insert(&patient, programs);
			Members::<T>::insert(
				program,
				&patient,
				Enrolment {
					enrolled_at: now,
					points: 0,
					deposit: info.deposit,
					adherence: Adherence::default(),
					left: false,
				},
			);
			Self::deposit_event(Event::Enrolled { program, patient });
			Ok(())
		}

		/// Takes a patient out of a program: their unredeemed points are forfeited (redeem them
		/// first) and they earn nothing more. Leaving is final for the program's life: the
		/// patient may not enrol again, their caps and adherence stay counted, and their deposit
		/// stays held until the program ends (a no-show of an appointment that began before
		/// they left still forfeits it), so that leaving never resets what joining commits to.
		///
		/// The signer must be the patient or one of their guardians.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::leave(T::MaxRules::get()))]
		pub fn leave(
			origin: OriginFor<T>,
			program: ProgramId,
			patient: T::AccountId,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(
				T::Registry::is_patient_or_guardian(&patient, &who),
				Error::<T>::NotPatientOrGuardian
			);
			let mut member = Members::<T>::get(program, &patient)
				.filter(|m| !m.left)
				.ok_or(Error::<T>::NotEnrolled)?;

			let forfeited_points = member.points;
			Ledgers::<T>::mutate(program, |l| {
				l.outstanding = l.outstanding.saturating_sub(forfeited_points);
				l.expired = l.expired.saturating_add(forfeited_points);
			});
			member.points = 0;
			member.left = true;
			Members::<T>::insert(program, &patient, member);
			Self::deposit_event(Event::Left { program, patient, forfeited_points });
			Ok(())
		}

		/// Pays `points` of a member's points from the program's escrow to the patient, at the
		/// program's point value.
		///
		/// The signer must be the patient or one of their guardians; the program not closed.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::redeem())]
		pub fn redeem(
			origin: OriginFor<T>,
			program: ProgramId,
			patient: T::AccountId,
			points: u64,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(
				T::Registry::is_patient_or_guardian(&patient, &who),
				Error::<T>::NotPatientOrGuardian
			);
			ensure!(points > 0, Error::<T>::ZeroAmount);
			let info = Programs::<T>::get(program).ok_or(Error::<T>::UnknownProgram)?;
			let mut member = Members::<T>::get(program, &patient)
				.filter(|m| !m.left)
				.ok_or(Error::<T>::NotEnrolled)?;
			ensure!(member.points >= points, Error::<T>::NotEnoughPoints);
			let paid = Self::worth(&info, points);
			let mut ledger = Ledgers::<T>::get(program);
			ensure!(ledger.available() >= paid, Error::<T>::PayoutFailed);

			T::Currency::transfer(
				&Self::escrow_account(program),
				&patient,
				paid,
				Preservation::Expendable,
			)
			.map_err(|_| Error::<T>::PayoutFailed)?;
			member.points = member.points.saturating_sub(points);
			ledger.redeemed = ledger.redeemed.saturating_add(paid);
			ledger.outstanding = ledger.outstanding.saturating_sub(points);
			Ledgers::<T>::insert(program, ledger);
			Members::<T>::insert(program, &patient, member);
			Self::deposit_event(Event::Redeemed { program, patient, points, paid });
			Ok(())
		}

		/// Reports that the signer's pharmacy filled a prescription of an enrolled patient
		/// today, supplying `days_supply` days; the program's refill rules then award points
		/// if the patient's adherence before this fill meets their minimum. Neither the drug
		/// nor the unit is named: a pharmacy's reports on a day are bounded by the units it
		/// dispensed that day (`NoMatchingDispense`).
		///
		/// The signer must be a member of an active pharmacy.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::report_fill(T::MaxRules::get()))]
		pub fn report_fill(
			origin: OriginFor<T>,
			program: ProgramId,
			patient: T::AccountId,
			days_supply: u32,
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let pharmacy = T::Registry::active_membership(&who)
				.filter(|m| m.kind == OrgKind::Pharmacy)
				.ok_or(Error::<T>::NotPharmacy)?
				.org;
			ensure!(
				(1..=T::MaxDaysSupply::get()).contains(&days_supply),
				Error::<T>::BadDaysSupply
			);
			let info = Programs::<T>::get(program).ok_or(Error::<T>::UnknownProgram)?;
			let now = T::Time::now();
			ensure!(
				info.status == ProgramStatus::Open && now < info.ends_at,
				Error::<T>::ProgramEnded
			);
			let mut member = Members::<T>::get(program, &patient)
				.filter(|m| !m.left)
				.ok_or(Error::<T>::NotEnrolled)?;
			let today = carechain_primitives::day_of(now);
			let reported = FillReports::<T>::get(pharmacy, today).saturating_add(1);
			ensure!(
				reported <= T::Dispensing::dispensed_on(pharmacy, today),
				Error::<T>::NoMatchingDispense
			);

			FillReports::<T>::insert(pharmacy, today, reported);
			let pdc = member.adherence.pdc(today);
			member.adherence.fill(today, days_supply);
			Members::<T>::insert(program, &patient, member);
			Self::deposit_event(Event::FillReported { program, pharmacy });
			let rules = Self::award(
				program,
				&info,
				&patient,
				now,
				|trigger| matches!(trigger, Trigger::Refill { min_pdc } if pdc >= min_pdc),
			);
			Ok(Some(T::WeightInfo::report_fill(rules)).into())
		}

		/// Moves `amount` from a program's escrow, beyond what its outstanding points are
		/// worth, to the sponsor's settlement account (`SettlementAccount`).
		///
		/// The signer must be an admin of the program's sponsor.
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::withdraw())]
		pub fn withdraw(
			origin: OriginFor<T>,
			program: ProgramId,
			amount: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let info = Self::sponsored(program, &who)?;
			ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
			let mut ledger = Ledgers::<T>::get(program);
			let owed = Self::worth(&info, ledger.outstanding);
			ensure!(
				ledger.available().saturating_sub(owed) >= amount,
				Error::<T>::InsufficientEscrow
			);

			T::Currency::transfer(
				&Self::escrow_account(program),
				&<T::SettlementAccount as sp_runtime::traits::Convert<_, _>>::convert(info.sponsor),
				amount,
				Preservation::Expendable,
			)
			.map_err(|_| Error::<T>::PayoutFailed)?;
			ledger.withdrawn = ledger.withdrawn.saturating_add(amount);
			Ledgers::<T>::insert(program, ledger);
			Self::deposit_event(Event::Withdrawn { program, amount });
			Ok(())
		}
	}

	impl<T: Config> Pallet<T> {
		/// The account holding a program's escrow and deposits: derived from the pallet id and
		/// the program id, so only this pallet moves its funds.
		pub fn escrow_account(program: ProgramId) -> T::AccountId {
			carechain_primitives::pallet_account(T::PalletId::get(), (b"escrow", program))
		}

		/// What `points` are worth in a program.
		fn worth(info: &ProgramOf<T>, points: u64) -> BalanceOf<T> {
			let points: BalanceOf<T> = points
				.try_into()
				.unwrap_or_else(|_| <BalanceOf<T> as sp_runtime::traits::Bounded>::max_value());
			info.point_value.saturating_mul(points)
		}

		/// The program, if `who` is an admin of its sponsor.
		fn sponsored(program: ProgramId, who: &T::AccountId) -> Result<ProgramOf<T>, Error<T>> {
			let info = Programs::<T>::get(program).ok_or(Error::<T>::UnknownProgram)?;
			T::Registry::active_membership(who)
				.filter(|m| m.org == info.sponsor && m.role == Role::Admin)
				.ok_or(Error::<T>::NotSponsor)?;
			Ok(info)
		}

		/// Removes a member: returns their deposit, expires their points, and forgets their
		/// counters.
		fn settle_member(
			program: ProgramId,
			patient: &T::AccountId,
			member: Enrolment<BalanceOf<T>>,
		) -> DispatchResult {
			let mut ledger = Ledgers::<T>::get(program);
			if !member.deposit.is_zero() {
				T::Currency::transfer(
					&Self::escrow_account(program),
					patient,
					member.deposit,
					Preservation::Expendable,
				)
				.map_err(|_| Error::<T>::PayoutFailed)?;
				ledger.deposits = ledger.deposits.saturating_sub(member.deposit);
			}
			ledger.outstanding = ledger.outstanding.saturating_sub(member.points);
			ledger.expired = ledger.expired.saturating_add(member.points);
			Ledgers::<T>::insert(program, ledger);
			Members::<T>::remove(program, patient);
			PatientPrograms::<T>::mutate_exists(patient, |programs| {
				if let Some(list) = programs {
					list.retain(|p| *p != program);
					if list.is_empty() {
						*programs = None;
					}
				}
			});
			let _ = PeriodPoints::<T>::clear_prefix((program, patient), T::MaxRules::get(), None);
			Ok(())
		}

		/// Awards `patient`'s points in `program` under each rule whose trigger `earns`, within
		/// the rule's cap for the period and only while the escrow can pay them; how many
		/// rules matched (what the weight is charged for).
		fn award(
			program: ProgramId,
			info: &ProgramOf<T>,
			patient: &T::AccountId,
			now: Moment,
			earns: impl Fn(Trigger) -> bool,
		) -> u32 {
			let mut awarded = 0u32;
			// The member and the ledger, read when a rule first awards and written once after.
			let mut credited: Option<(Enrolment<BalanceOf<T>>, Ledger<BalanceOf<T>>)> = None;
			let mut changed = false;
			for (index, rule) in info.rules.iter().enumerate() {
				if !earns(rule.trigger) {
					continue;
				}
				// A matching rule costs its reads whether or not it awards.
				awarded.saturating_inc();
				if now >= rule.expires_at || now < info.starts_at {
					continue;
				}
				let index = u32::try_from(index).unwrap_or(u32::MAX);
				let period_ms = Moment::from(rule.period_days).saturating_mul(DAY_MS).max(1);
				let period = u32::try_from(
					now.saturating_sub(info.starts_at).checked_div(period_ms).unwrap_or(0),
				)
				.unwrap_or(u32::MAX);
				let (stored_period, used) = PeriodPoints::<T>::get((program, patient, index));
				let used = if stored_period == period { used } else { 0 };
				let points = rule.points.min(rule.cap_per_period.saturating_sub(used));
				if points == 0 {
					continue;
				}
				if credited.is_none() {
					let Some(member) = Members::<T>::get(program, patient) else { return awarded };
					credited = Some((member, Ledgers::<T>::get(program)));
				}
				let Some((member, ledger)) = credited.as_mut() else { continue };
				let owed = Self::worth(info, ledger.outstanding.saturating_add(u64::from(points)));
				if owed > ledger.available() {
					Self::deposit_event(Event::Unfunded { program, rule: index });
					continue;
				}
				member.points = member.points.saturating_add(u64::from(points));
				ledger.outstanding = ledger.outstanding.saturating_add(u64::from(points));
				changed = true;
				PeriodPoints::<T>::insert(
					(program, patient, index),
					(period, used.saturating_add(points)),
				);
				RuleTotals::<T>::mutate(program, index, |total| {
					total.awards = total.awards.saturating_add(1);
					total.points = total.points.saturating_add(u64::from(points));
				});
				Self::deposit_event(Event::PointsEarned {
					program,
					rule: index,
					patient: patient.clone(),
					points,
				});
			}
			if let Some((member, ledger)) = credited.filter(|_| changed) {
				Members::<T>::insert(program, patient, member);
				Ledgers::<T>::insert(program, ledger);
			}
			awarded
		}

		/// Awards, in each open program `patient` joined before `at`, the rules whose trigger
		/// `earns`; the weight used.
		pub(crate) fn award_everywhere(
			patient: &T::AccountId,
			at: Moment,
			earns: impl Fn(Trigger) -> bool + Copy,
		) -> Weight {
			let programs = PatientPrograms::<T>::get(patient);
			let mut rules = 0u32;
			let now = T::Time::now();
			for program in programs.iter().copied() {
				let Some(info) = Programs::<T>::get(program) else { continue };
				let joined_before = Members::<T>::get(program, patient)
					.is_some_and(|m| m.enrolled_at <= at && !m.left);
				if info.status != ProgramStatus::Open || now >= info.ends_at || !joined_before {
					continue;
				}
				rules.saturating_accrue(Self::award(program, &info, patient, now, earns));
			}
			T::WeightInfo::care_event(u32::try_from(programs.len()).unwrap_or(u32::MAX), rules)
		}

		/// Closes ended programs in order of their ends: settles up to as many members as
		/// `remaining` pays for, then marks a program with none left `Closed`.
		fn close_ended(remaining: Weight) -> Weight {
			let mut used = T::WeightInfo::close_step(0);
			if used.any_gt(remaining) {
				return Weight::zero();
			}
			let now = T::Time::now();
			let mut ends = Ends::<T>::get();
			let Some((end, program, _)) = ends.first().copied() else { return used };
			if end > now {
				return used;
			}
			let per_member =
				T::WeightInfo::close_step(1).saturating_sub(T::WeightInfo::close_step(0));
			let affordable = remaining.saturating_sub(used);
			let budget = if per_member.ref_time() == 0 {
				u32::MAX
			} else {
				u32::try_from(
					affordable.ref_time().checked_div(per_member.ref_time()).unwrap_or(u64::MAX),
				)
				.unwrap_or(u32::MAX)
			};
			let Some(mut info) = Programs::<T>::get(program) else {
				ends.remove(0);
				Ends::<T>::put(ends);
				return used;
			};
			if info.status == ProgramStatus::Open {
				info.status = ProgramStatus::Closing;
				Programs::<T>::insert(program, &info);
			}
			let batch: Vec<_> = Members::<T>::iter_prefix(program)
				.take(usize::try_from(budget).unwrap_or(usize::MAX))
				.collect();
			let settled = u32::try_from(batch.len()).unwrap_or(u32::MAX);
			for (patient, member) in batch {
				// Moving back a deposit the escrow holds fails only for an account left below
				// the existential deposit; such a member is settled without it.
				if Self::settle_member(program, &patient, member).is_err() {
					let stripped = Enrolment { deposit: Zero::zero(), ..member };
					Ledgers::<T>::mutate(program, |l| {
						l.deposits = l.deposits.saturating_sub(member.deposit);
						l.forfeited = l.forfeited.saturating_add(member.deposit);
					});
					let _ = Self::settle_member(program, &patient, stripped);
				}
			}
			used = T::WeightInfo::close_step(settled);
			if Members::<T>::iter_prefix(program).next().is_none() {
				info.status = ProgramStatus::Closed;
				Programs::<T>::insert(program, &info);
				ends.remove(0);
				Ends::<T>::put(ends);
				Self::deposit_event(Event::ProgramClosed {
					program,
					expired_points: Ledgers::<T>::get(program).expired,
				});
			}
			used
		}

		/// Checks the pallet's invariants: each program's ledger adds up (deposits and
		/// outstanding points equal its members'), its points are backed by its escrow, its
		/// account holds at least what the ledger says; points within each rule's cap; each
		/// patient's program list matches the members; open programs are in `Ends` in order.
		pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
			let next = NextProgramId::<T>::get();
			for (id, info) in Programs::<T>::iter() {
				ensure!(id < next, "a program's id is at or past NextProgramId");
				let ledger = Ledgers::<T>::get(id);
				let (mut points, mut deposits) = (0u64, BalanceOf::<T>::zero());
				for (patient, member) in Members::<T>::iter_prefix(id) {
					points = points.saturating_add(member.points);
					deposits = deposits.saturating_add(member.deposit);
					ensure!(
						PatientPrograms::<T>::get(&patient).contains(&id),
						"a member's program list misses the program"
					);
				}
				ensure!(points == ledger.outstanding, "outstanding points are not the members'");
				ensure!(deposits == ledger.deposits, "held deposits are not the members'");
				ensure!(
					Self::worth(&info, ledger.outstanding) <= ledger.available(),
					"outstanding points are worth more than the escrow may pay"
				);
				ensure!(
					T::Currency::balance(&Self::escrow_account(id))
						>= ledger.available().saturating_add(ledger.deposits),
					"the escrow account holds less than its ledger"
				);
				ensure!(
					(info.status == ProgramStatus::Closed)
						!= Ends::<T>::get().iter().any(|(_, p, s)| *p == id && *s == info.sponsor),
					"a program is in Ends exactly while not closed"
				);
			}
			for ((program, _, rule), (_, used)) in PeriodPoints::<T>::iter() {
				let info = Programs::<T>::get(program).ok_or("period points of no program")?;
				let rule = info.rules.get(rule as usize).ok_or("period points of no rule")?;
				ensure!(used <= rule.cap_per_period, "a member earned past a rule's cap");
			}
			for (patient, programs) in PatientPrograms::<T>::iter() {
				for program in programs {
					ensure!(
						Members::<T>::contains_key(program, &patient),
						"a patient's program list names a program they are not in"
					);
				}
			}
			let ends = Ends::<T>::get();
			ensure!(ends.windows(2).all(|w| w[0].0 <= w[1].0), "Ends is out of order");
			Ok(())
		}
	}
}

impl<T: Config> CareEvents<T::AccountId> for Pallet<T> {
	fn encounter_attested(patient: &T::AccountId, started_at: Moment) -> Weight {
		Self::award_everywhere(patient, started_at, |t| t == Trigger::AttendedVisit)
	}

	fn no_show(patient: &T::AccountId, start: Moment) -> Weight {
		use frame_support::traits::Time;
		use sp_runtime::traits::{Saturating, Zero};
		let programs = PatientPrograms::<T>::get(patient);
		let now = T::Time::now();
		for program in programs.iter().copied() {
			let Some(mut member) = Members::<T>::get(program, patient) else { continue };
			let open = Programs::<T>::get(program)
				.is_some_and(|p| p.status == ProgramStatus::Open && now < p.ends_at);
			if !open || member.deposit.is_zero() || member.enrolled_at > start {
				continue;
			}
			let amount = member.deposit;
			member.deposit = Zero::zero();
			Members::<T>::insert(program, patient, member);
			Ledgers::<T>::mutate(program, |l| {
				l.deposits = l.deposits.saturating_sub(amount);
				l.forfeited = l.forfeited.saturating_add(amount);
			});
			Self::deposit_event(Event::DepositForfeited {
				program,
				patient: patient.clone(),
				amount,
			});
		}
		T::WeightInfo::care_event(u32::try_from(programs.len()).unwrap_or(u32::MAX), 0)
	}

	fn record_created(
		patient: &T::AccountId,
		resource_type: FhirResourceType,
		author_org: Option<OrgId>,
		at: Moment,
	) -> Weight {
		use frame_support::traits::Get;
		// Only an immunization a care provider recorded earns; anything else costs nothing.
		if resource_type != FhirResourceType::Immunization {
			return Weight::zero();
		}
		let by_care_provider = author_org.is_some_and(|org| {
			T::Registry::active_organization_kind(org).is_some_and(|k| k.is_care_provider())
		});
		if !by_care_provider {
			return T::DbWeight::get().reads(1);
		}
		Self::award_everywhere(patient, at, |t| t == Trigger::Immunization)
	}

	fn max_encounter_weight() -> Weight {
		use frame_support::traits::Get;
		T::WeightInfo::care_event(T::MaxProgramsPerPatient::get(), Self::max_rules())
	}

	fn max_record_weight(resource_type: FhirResourceType) -> Weight {
		use frame_support::traits::Get;
		if resource_type != FhirResourceType::Immunization {
			// `record_created` returns at once, reading nothing, for any other type.
			return Weight::zero();
		}
		T::WeightInfo::care_event(T::MaxProgramsPerPatient::get(), Self::max_rules())
	}
}

impl<T: Config> Pallet<T> {
	/// The most rules a care event can award: every rule of every program of a patient.
	fn max_rules() -> u32 {
		use frame_support::traits::Get;
		T::MaxProgramsPerPatient::get().saturating_mul(T::MaxRules::get())
	}
}

sp_api::decl_runtime_apis! {
	/// Queries of wellness programs, for the node and wallets.
	pub trait WellnessApi<AccountId, Balance> where
		AccountId: codec::Codec,
		Balance: codec::Codec,
	{
		/// A program, or `None`.
		fn program(program: ProgramId) -> Option<Program<Balance, alloc::vec::Vec<Rule>>>;
		/// A program's escrow ledger.
		fn ledger(program: ProgramId) -> Ledger<Balance>;
		/// A patient's enrolment in a program, or `None`.
		fn enrolment(program: ProgramId, patient: AccountId) -> Option<Enrolment<Balance>>;
		/// What each rule of a program awarded, by rule index: all its sponsor sees.
		fn rule_totals(program: ProgramId) -> alloc::vec::Vec<(u32, RuleTotal)>;
		/// The programs a patient is enrolled in.
		fn programs_of(patient: AccountId) -> alloc::vec::Vec<ProgramId>;
	}
}
