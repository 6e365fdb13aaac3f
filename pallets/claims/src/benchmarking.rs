//! Benchmarks of the claims pallet's calls (frame-benchmarking v2), each at the worst case its
//! bounds allow: full fee schedules, every line eligible, prior-authorized and paid, and every
//! supporting record disclosed through a consent that the access policy finds only after
//! scanning the patient's `MaxPatientConsents` consents.

// Test and benchmark set-up arithmetic works on small known values.
#![allow(clippy::arithmetic_side_effects)]

use super::*;
use carechain_primitives::{FhirResourceType, RecordLookup};
use frame_benchmarking::v2::*;
use frame_support::traits::{
	fungible::{Inspect, Mutate},
	EnsureOrigin, Get, Time,
};
use frame_system::RawOrigin;
use sp_core::H256;
use sp_runtime::Percent;

/// Today, the day of service: the benchmark chain's clock may stand anywhere.
fn service_day<T: Config>() -> Day {
	Pallet::<T>::day_of(T::Time::now())
}

/// A distinct code tag for each `i`: the chain never sees codes, only tags.
fn code(i: u32) -> CodeTag {
	CodeTag::from_low_u64_be(u64::from(i) + 1)
}

/// A principal diagnosis whose first tag is the covered prefix `code(1_000)`.
fn diagnosis() -> DiagnosisTags {
	[code(1_000), code(2_001), code(2_002), code(2_003), code(2_004)]
}

fn money<T: Config>(amount: u32) -> BalanceOf<T> {
	amount.into()
}

/// A member of a fresh organization of `kind`, with `role`.
fn member<T: Config>(name: &'static str, kind: OrgKind, role: Role) -> T::AccountId {
	let who: T::AccountId = account(name, 0, 0);
	T::Registry::register_for_benchmark(&who, Some((kind, role)));
	who
}

/// The largest rules the bounds allow; the first `MaxCodeList` procedures need prior
/// authorization.
fn terms<T: Config>(procedures: u32, review_threshold: u32) -> TermsOf<BalanceOf<T>> {
	let codes = T::MaxCodeList::get();
	CoverageTerms {
		procedures: (0..procedures).map(|i| (code(i), money::<T>(100))).collect(),
		diagnosis_prefixes: (0..codes).map(|i| code(1_000 + i)).collect(),
		prior_authorization: (0..codes.min(procedures)).map(code).collect(),
		deductible: money::<T>(50),
		coinsurance: Percent::from_percent(20),
		out_of_pocket_max: money::<T>(1_000_000),
		review_threshold: money::<T>(review_threshold),
		max_daily_lines_per_provider: u32::MAX,
		valid_from: 0,
		valid_until: Day::MAX,
	}
}

/// A published and funded policy of a payer's admin, with an enrolled patient whose procedures
/// are all authorized, and a practitioner allowed to disclose `records` records of the patient
/// by the last of the patient's `MaxPatientConsents` consents.
struct Setup<T: Config> {
	payer: T::AccountId,
	policy: PolicyId,
	patient: T::AccountId,
	practitioner: T::AccountId,
	records: Vec<RecordId>,
}

fn setup<T: Config>(records: u32, review_threshold: u32) -> Setup<T> {
	let payer = member::<T>("payer", OrgKind::Payer, Role::Admin);
	T::Currency::set_balance(&payer, money::<T>(u32::MAX));
	let policy = NextPolicyId::<T>::get();
	Pallet::<T>::publish_policy(
		RawOrigin::Signed(payer.clone()).into(),
		terms::<T>(T::MaxProcedures::get(), review_threshold),
	)
	.expect("payer publishes");
	Pallet::<T>::fund_policy(RawOrigin::Signed(payer.clone()).into(), policy, money::<T>(1 << 30))
		.expect("payer funds");
	let patient: T::AccountId = account("patient", 0, 0);
	T::Registry::register_for_benchmark(&patient, None);
	Pallet::<T>::enroll(
		RawOrigin::Signed(payer.clone()).into(),
		policy,
		patient.clone(),
		H256::zero(),
	)
	.expect("payer enrolls");
	for i in 0..T::MaxCodeList::get() {
		PriorAuthorizations::<T>::insert(
			(policy, &patient, code(i)),
			PriorAuthorization { id: u64::from(i), from: 0, until: Day::MAX },
		);
	}
	NextAuthorizationId::<T>::put(u64::from(T::MaxCodeList::get()));
	let practitioner = member::<T>("practitioner", OrgKind::Hospital, Role::Practitioner);
	let records: Vec<_> = (0..records)
		.map(|i| T::Records::create_for_benchmark(&patient, FhirResourceType::Procedure, i))
		.collect();
	if let Some(first) = records.first() {
		// Consents to others first: each disclosure scans past all of them.
		for i in 1..T::MaxPatientConsents::get() {
			let other: T::AccountId = account("grantee", i, 0);
			T::Access::grant_for_benchmark(&patient, &other, first);
		}
		T::Access::grant_for_benchmark(&patient, &practitioner, first);
	}
	Setup { payer, policy, patient, practitioner, records }
}

/// `count` telehealth lines, the costlier kind: each bills its own attested encounter of the
/// patient with the practitioner today, read with the practitioner's licence.
fn lines<T: Config>(s: &Setup<T>, count: u32) -> Vec<ServiceLine<BalanceOf<T>>> {
	let org = T::Registry::active_membership(&s.practitioner).expect("a member").org;
	(0..count)
		.map(|i| {
			let appointment = T::Encounters::attested_for_benchmark(
				&s.patient,
				&s.practitioner,
				org,
				T::Time::now(),
			);
			ServiceLine {
				procedure: code(i),
				units: 1,
				charged: money::<T>(100),
				telehealth: Some(TelehealthService {
					appointment,
					place: TelehealthPlace::Home,
					modifier: TelehealthModifier::AudioVideo,
					jurisdiction: carechain_primitives::telehealth::Jurisdiction(*b"US-CA\0"),
					minutes: 30,
				}),
			}
		})
		.collect()
}

fn submit<T: Config>(s: &Setup<T>, lines: Vec<ServiceLine<BalanceOf<T>>>) -> ClaimId {
	let id = NextClaimId::<T>::get();
	Pallet::<T>::submit_claim(
		RawOrigin::Signed(s.practitioner.clone()).into(),
		s.policy,
		s.patient.clone(),
		service_day::<T>(),
		0,
		diagnosis(),
		lines,
		s.records.clone(),
		H256::zero(),
	)
	.expect("practitioner submits");
	id
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn publish_policy(p: Linear<1, { T::MaxProcedures::get() }>) {
		let payer = member::<T>("payer", OrgKind::Payer, Role::Admin);
		let terms = terms::<T>(p, 0);
		T::Registry::whitelist_signer_for_benchmark(&payer);
		#[extrinsic_call]
		_(RawOrigin::Signed(payer), terms);
		assert_eq!(NextPolicyId::<T>::get(), 1);
	}

	#[benchmark]
	fn set_policy_active() {
		let s = setup::<T>(0, 0);
		T::Registry::whitelist_signer_for_benchmark(&s.payer);
		#[extrinsic_call]
		_(RawOrigin::Signed(s.payer), s.policy, false);
		assert_eq!(Policies::<T>::get(s.policy).map(|p| p.active), Some(false));
	}

	#[benchmark]
	fn fund_policy() {
		let s = setup::<T>(0, 0);
		let before = Pallet::<T>::escrow_balance(s.policy);
		T::Registry::whitelist_signer_for_benchmark(&s.payer);
		#[extrinsic_call]
		_(RawOrigin::Signed(s.payer), s.policy, money::<T>(1_000));
		assert_eq!(Pallet::<T>::escrow_balance(s.policy), before + money::<T>(1_000));
	}

	#[benchmark]
	fn enroll() {
		let s = setup::<T>(0, 0);
		let patient: T::AccountId = account("patient", 1, 0);
		T::Registry::register_for_benchmark(&patient, None);
		T::Registry::whitelist_signer_for_benchmark(&s.payer);
		#[extrinsic_call]
		_(RawOrigin::Signed(s.payer), s.policy, patient.clone(), H256::zero());
		assert!(Enrollments::<T>::contains_key(s.policy, &patient));
	}

	#[benchmark]
	fn authorize_procedure() {
		let s = setup::<T>(0, 0);
		T::Registry::whitelist_signer_for_benchmark(&s.payer);
		#[extrinsic_call]
		_(RawOrigin::Signed(s.payer), s.policy, s.patient.clone(), code(0), 1, 2);
		assert_eq!(
			PriorAuthorizations::<T>::get((s.policy, &s.patient, code(0)))
				.map(|auth| (auth.from, auth.until)),
			Some((1, 2))
		);
	}

	/// Billed under the previous epoch's key after a rotation, which also reads that epoch's
	/// code lists.
	#[benchmark]
	fn submit_claim(
		l: Linear<1, { T::MaxLines::get() }>,
		r: Linear<1, { T::MaxSupportingRecords::get() }>,
	) {
		let s = setup::<T>(r, u32::MAX);
		let same = terms::<T>(T::MaxProcedures::get(), u32::MAX);
		Pallet::<T>::rotate_code_key(
			RawOrigin::Signed(s.payer.clone()).into(),
			s.policy,
			CodeRules {
				procedures: same.procedures,
				diagnosis_prefixes: same.diagnosis_prefixes,
				prior_authorization: same.prior_authorization,
			},
		)
		.expect("payer rotates");
		let lines = lines::<T>(&s, l);
		T::Registry::whitelist_signer_for_benchmark(&s.practitioner);
		#[extrinsic_call]
		_(
			RawOrigin::Signed(s.practitioner.clone()),
			s.policy,
			s.patient.clone(),
			service_day::<T>(),
			0,
			diagnosis(),
			lines,
			s.records.clone(),
			H256::zero(),
		);
		let claim = Claims::<T>::get(0).expect("stored");
		assert_eq!(claim.status, ClaimStatus::Adjudicated);
		assert!(claim.lines.iter().all(|line| line.outcome == LineOutcome::Allowed));
	}

	#[benchmark]
	fn review_claim(l: Linear<1, { T::MaxLines::get() }>) {
		let s = setup::<T>(1, 0);
		let claim = submit(&s, lines::<T>(&s, l));
		T::Registry::whitelist_signer_for_benchmark(&s.payer);
		#[extrinsic_call]
		_(RawOrigin::Signed(s.payer), claim, true);
		assert_eq!(Claims::<T>::get(claim).map(|c| c.status), Some(ClaimStatus::Adjudicated));
	}

	#[benchmark]
	fn appeal_line() {
		let s = setup::<T>(1, u32::MAX);
		let mut billed = lines::<T>(&s, T::MaxLines::get());
		billed[0].procedure = code(999_999);
		let claim = submit(&s, billed);
		T::Registry::whitelist_signer_for_benchmark(&s.practitioner);
		#[extrinsic_call]
		_(RawOrigin::Signed(s.practitioner.clone()), claim, 0, H256::zero());
		assert!(Claims::<T>::get(claim).is_some_and(|c| c.lines[0].appeal.is_some()));
	}

	#[benchmark]
	fn resolve_appeal() {
		let s = setup::<T>(1, u32::MAX);
		let mut billed = lines::<T>(&s, T::MaxLines::get());
		billed[0].procedure = code(999_999);
		let claim = submit(&s, billed);
		Pallet::<T>::appeal_line(
			RawOrigin::Signed(s.practitioner.clone()).into(),
			claim,
			0,
			H256::zero(),
		)
		.expect("provider appeals");
		T::Registry::whitelist_signer_for_benchmark(&s.payer);
		#[extrinsic_call]
		_(RawOrigin::Signed(s.payer), claim, 0, Some(money::<T>(100)));
		assert!(Claims::<T>::get(claim).is_some_and(|c| c.lines[0].outcome == LineOutcome::Allowed));
	}

	#[benchmark]
	fn withdraw_escrow() {
		let s = setup::<T>(0, 0);
		let before = Pallet::<T>::escrow_balance(s.policy);
		let payer = T::Registry::active_membership(&s.payer).expect("member").org;
		T::Registry::whitelist_signer_for_benchmark(&s.payer);
		#[extrinsic_call]
		_(RawOrigin::Signed(s.payer), s.policy, money::<T>(1_000));
		assert_eq!(Pallet::<T>::escrow_balance(s.policy) + money::<T>(1_000), before);
		assert_eq!(
			T::Currency::balance(&Pallet::<T>::settlement_account(payer)),
			money::<T>(1_000)
		);
	}

	#[benchmark]
	fn collect_payments() {
		let admin: T::AccountId = account("admin", 0, 0);
		T::Registry::register_for_benchmark(&admin, Some((OrgKind::Hospital, Role::Admin)));
		let provider = T::Registry::active_membership(&admin).expect("member").org;
		let payout: T::AccountId = account("payout", 0, 0);
		PayoutAccounts::<T>::insert(provider, &payout);
		T::Currency::set_balance(&Pallet::<T>::settlement_account(provider), money::<T>(1_000));
		T::Registry::whitelist_signer_for_benchmark(&admin);
		#[extrinsic_call]
		_(RawOrigin::Signed(admin.clone()), money::<T>(1_000));
		assert_eq!(T::Currency::balance(&payout), money::<T>(1_000));
		assert_eq!(T::Currency::balance(&admin), money::<T>(0));
	}

	#[benchmark]
	fn set_payout_account() -> Result<(), BenchmarkError> {
		let admin = member::<T>("admin", OrgKind::Hospital, Role::Admin);
		let provider = T::Registry::active_membership(&admin).expect("member").org;
		let payout: T::AccountId = account("payout", 0, 0);
		let origin =
			T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, provider, payout.clone());
		assert_eq!(PayoutAccounts::<T>::get(provider), Some(payout));
		Ok(())
	}

	#[benchmark]
	fn rotate_code_key(p: Linear<1, { T::MaxProcedures::get() }>) {
		let payer = member::<T>("payer", OrgKind::Payer, Role::Admin);
		Pallet::<T>::publish_policy(RawOrigin::Signed(payer.clone()).into(), terms::<T>(p, 0))
			.expect("payer publishes");
		let rotated = terms::<T>(p, 0);
		let rules = CodeRules {
			procedures: rotated.procedures.into_iter().rev().collect(),
			diagnosis_prefixes: rotated.diagnosis_prefixes,
			prior_authorization: rotated.prior_authorization,
		};
		T::Registry::whitelist_signer_for_benchmark(&payer);
		#[extrinsic_call]
		_(RawOrigin::Signed(payer), 0, rules);
		assert_eq!(Policies::<T>::get(0).map(|policy| policy.code_key.epoch), Some(1));
	}

	/// Into an epoch's holders, all but one already there.
	#[benchmark]
	fn share_code_key() {
		let s = setup::<T>(0, 0);
		let provider = T::Registry::active_membership(&s.practitioner).expect("member").org;
		WrappedCodeKeys::<T>::mutate(s.policy, 0, |holders| {
			for i in 1..T::MaxCodeKeyHolders::get() {
				holders.try_insert(OrgId::MAX - i, [1; WRAPPED_CODE_KEY_LEN]).expect("in bounds");
			}
		});
		T::Registry::whitelist_signer_for_benchmark(&s.payer);
		#[extrinsic_call]
		_(RawOrigin::Signed(s.payer), s.policy, 0, provider, [7; WRAPPED_CODE_KEY_LEN]);
		assert!(WrappedCodeKeys::<T>::get(s.policy, 0).contains_key(&provider));
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
