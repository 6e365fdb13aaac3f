//! Benchmarks of the wellness pallet's calls and hooks (frame-benchmarking v2), each at the
//! worst case its bounds allow: every rule earning, every member holding a deposit and
//! counters for every rule.

// Test and benchmark set-up arithmetic works on small known values.
#![allow(clippy::arithmetic_side_effects)]

use super::*;
use frame_benchmarking::v2::*;
use frame_support::traits::{fungible::Mutate, Get, Hooks, Time};
use frame_system::RawOrigin;

const MONTH: Moment = 30 * DAY_MS;

fn money<T: Config>(amount: u32) -> BalanceOf<T> {
	amount.into()
}

/// `count` rules; the first `earning` have `trigger`, the rest never earn here.
fn rules<T: Config>(count: u32, earning: u32, trigger: Trigger) -> alloc::vec::Vec<Rule> {
	(0..count)
		.map(|i| Rule {
			trigger: if i < earning { trigger } else { Trigger::Immunization },
			points: 1,
			cap_per_period: 1_000,
			period_days: 30,
			expires_at: T::Time::now() + 12 * MONTH,
		})
		.collect()
}

/// A payer's admin with funds.
fn payer<T: Config>() -> T::AccountId {
	let admin: T::AccountId = account("payer", 0, 0);
	T::Registry::register_for_benchmark(&admin, Some((OrgKind::Payer, Role::Admin)));
	T::Currency::set_balance(&admin, money::<T>(u32::MAX));
	admin
}

/// A funded program of `admin` with a deposit and these rules.
fn program<T: Config>(admin: &T::AccountId, rules: alloc::vec::Vec<Rule>) -> ProgramId {
	let id = NextProgramId::<T>::get();
	let now = T::Time::now();
	Pallet::<T>::create_program(
		RawOrigin::Signed(admin.clone()).into(),
		H256::repeat_byte(1),
		money::<T>(1),
		money::<T>(1_000),
		now,
		now + 6 * MONTH,
		rules,
	)
	.expect("creates");
	Pallet::<T>::fund(RawOrigin::Signed(admin.clone()).into(), id, money::<T>(1 << 24))
		.expect("funds");
	id
}

/// A registered patient with funds for deposits, seeded by `i`.
fn patient<T: Config>(i: u32) -> T::AccountId {
	let who: T::AccountId = account("patient", i, 0);
	T::Registry::register_for_benchmark(&who, None);
	T::Currency::set_balance(&who, money::<T>(1 << 20));
	who
}

fn join<T: Config>(program: ProgramId, who: &T::AccountId) {
	Pallet::<T>::enrol(RawOrigin::Signed(who.clone()).into(), program, who.clone())
		.expect("enrols");
}

/// Gives `who` counters under every rule of `program` and points.
fn counters<T: Config>(program: ProgramId, who: &T::AccountId) {
	for rule in 0..T::MaxRules::get() {
		PeriodPoints::<T>::insert((program, who, rule), (0u32, 1u32));
	}
	Members::<T>::mutate(program, who, |m| {
		if let Some(m) = m {
			m.points = 10;
		}
	});
	Ledgers::<T>::mutate(program, |l| l.outstanding += 10);
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn create_program(r: Linear<1, { T::MaxRules::get() }>) {
		let admin = payer::<T>();
		let now = T::Time::now();
		let rules = rules::<T>(r, r, Trigger::AttendedVisit);
		T::Registry::whitelist_signer_for_benchmark(&admin);
		#[extrinsic_call]
		_(
			RawOrigin::Signed(admin),
			H256::zero(),
			money::<T>(1),
			money::<T>(1),
			now,
			now + MONTH,
			rules,
		);
		assert_eq!(NextProgramId::<T>::get(), 1);
	}

	#[benchmark]
	fn fund() {
		let admin = payer::<T>();
		let id = program::<T>(&admin, rules::<T>(1, 1, Trigger::AttendedVisit));
		T::Registry::whitelist_signer_for_benchmark(&admin);
		#[extrinsic_call]
		_(RawOrigin::Signed(admin), id, money::<T>(1_000));
		assert!(Ledgers::<T>::get(id).funded > money::<T>(1 << 24));
	}

	#[benchmark]
	fn enrol() {
		let admin = payer::<T>();
		let id = program::<T>(&admin, rules::<T>(1, 1, Trigger::AttendedVisit));
		// The patient is in every program but one already.
		let who = patient::<T>(0);
		for _ in 1..T::MaxProgramsPerPatient::get() {
			let other = program::<T>(&admin, rules::<T>(1, 1, Trigger::AttendedVisit));
			join::<T>(other, &who);
		}
		T::Registry::whitelist_signer_for_benchmark(&who);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), id, who.clone());
		assert!(Members::<T>::contains_key(id, &who));
	}

	#[benchmark]
	fn leave(r: Linear<1, { T::MaxRules::get() }>) {
		let admin = payer::<T>();
		let id = program::<T>(&admin, rules::<T>(T::MaxRules::get(), r, Trigger::AttendedVisit));
		let who = patient::<T>(0);
		join::<T>(id, &who);
		counters::<T>(id, &who);
		T::Registry::whitelist_signer_for_benchmark(&who);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), id, who.clone());
		assert_eq!(Members::<T>::get(id, &who).map(|m| m.left), Some(true));
	}

	#[benchmark]
	fn redeem() {
		let admin = payer::<T>();
		let id = program::<T>(&admin, rules::<T>(1, 1, Trigger::AttendedVisit));
		let who = patient::<T>(0);
		join::<T>(id, &who);
		counters::<T>(id, &who);
		T::Registry::whitelist_signer_for_benchmark(&who);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), id, who.clone(), 10);
		assert_eq!(Members::<T>::get(id, &who).map(|m| m.points), Some(0));
	}

	#[benchmark]
	fn report_fill(r: Linear<0, { T::MaxRules::get() }>) {
		let admin = payer::<T>();
		let trigger = Trigger::Refill { min_pdc: sp_runtime::Percent::from_percent(80) };
		let id = program::<T>(&admin, rules::<T>(T::MaxRules::get(), r, trigger));
		let who = patient::<T>(0);
		join::<T>(id, &who);
		let pharmacist: T::AccountId = account("pharmacist", 0, 0);
		T::Registry::register_for_benchmark(&pharmacist, Some((OrgKind::Pharmacy, Role::Staff)));
		let org = T::Registry::active_membership(&pharmacist).expect("a member").org;
		T::Dispensing::set_dispensed_for_benchmark(
			org,
			carechain_primitives::day_of(T::Time::now()),
			1,
		);
		T::Registry::whitelist_signer_for_benchmark(&pharmacist);
		#[extrinsic_call]
		_(RawOrigin::Signed(pharmacist), id, who.clone(), 30);
		assert_eq!(Members::<T>::get(id, &who).map(|m| m.points), Some(u64::from(r)));
	}

	#[benchmark]
	fn withdraw() {
		let admin = payer::<T>();
		let id = program::<T>(&admin, rules::<T>(1, 1, Trigger::AttendedVisit));
		T::Registry::whitelist_signer_for_benchmark(&admin);
		#[extrinsic_call]
		_(RawOrigin::Signed(admin), id, money::<T>(1_000));
		assert_eq!(Ledgers::<T>::get(id).withdrawn, money::<T>(1_000));
	}

	/// An attested visit of a patient in `p` programs, `r` of whose rules earn in all.
	#[benchmark]
	fn care_event(
		p: Linear<1, { T::MaxProgramsPerPatient::get() }>,
		r: Linear<0, { T::MaxProgramsPerPatient::get() * T::MaxRules::get() }>,
	) {
		let admin = payer::<T>();
		let who = patient::<T>(0);
		let per_program = T::MaxRules::get();
		for i in 0..p {
			let earning = r.saturating_sub(i * per_program).min(per_program);
			let id = program::<T>(&admin, rules::<T>(per_program, earning, Trigger::AttendedVisit));
			join::<T>(id, &who);
		}
		let now = T::Time::now();
		#[block]
		{
			Pallet::<T>::encounter_attested(&who, now);
		}
		let awarded: u64 = PatientPrograms::<T>::get(&who)
			.iter()
			.filter_map(|id| Members::<T>::get(id, &who))
			.map(|m| m.points)
			.sum();
		assert_eq!(awarded, u64::from(r.min(p * per_program)));
	}

	/// Closing an ended program: `m` members settled in one block, each with a deposit and
	/// counters under every rule.
	#[benchmark]
	fn close_step(m: Linear<0, 100>) {
		let admin = payer::<T>();
		let id = program::<T>(&admin, rules::<T>(T::MaxRules::get(), 1, Trigger::AttendedVisit));
		for i in 0..m {
			let who = patient::<T>(i);
			join::<T>(id, &who);
			counters::<T>(id, &who);
		}
		T::BenchmarkHelper::set_time(T::Time::now() + 7 * MONTH);
		#[block]
		{
			Pallet::<T>::on_idle(1u32.into(), Weight::MAX);
		}
		assert_eq!(Programs::<T>::get(id).map(|p| p.status), Some(ProgramStatus::Closed));
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext().0, crate::mock::Test);
}
