//! Benchmarks of the provenance pallet's calls (frame-benchmarking v2), each at the worst case
//! its bounds allow: full batches and cases, shipments of a pallet of full cases, units packed
//! in a case on a pallet, GTINs found under the shortest company prefix.

// Test and benchmark set-up arithmetic works on small known values.
#![allow(clippy::arithmetic_side_effects)]

use super::*;
use carechain_primitives::Role;
use frame_benchmarking::v2::*;
use frame_support::traits::{EnsureOrigin, Get};
use frame_system::RawOrigin;
use sp_core::H256;

/// A GTIN under a company prefix no genesis records (the development chain's manufacturer
/// holds GS1's example prefix 0614141), so the benchmark runs on the runtime's genesis too.
const GTIN: Gtin = *b"09999000000039";

/// The shortest company prefix `GTIN` begins with: found after the most lookups.
const PREFIX: &[u8] = b"9999";

fn sscc(n: u32) -> Sscc {
	let mut sscc = [0u8; 18];
	sscc[..17].copy_from_slice(alloc::format!("{n:017}").as_bytes());
	sscc[17] = gs1_check_digit(&sscc[..17]);
	sscc
}

fn serial(i: u32) -> Serial {
	alloc::format!("SERIAL{i:014}").into_bytes().try_into().expect("twenty characters")
}

fn lot() -> Lot {
	b"LOT00000000000000001".to_vec().try_into().expect("twenty characters")
}

fn sgtin(i: u32) -> Sgtin {
	Sgtin { gtin: GTIN, serial: serial(i) }
}

fn member<T: Config>(name: &'static str, kind: OrgKind) -> (T::AccountId, OrgId) {
	let who: T::AccountId = account(name, 0, 0);
	T::Registry::register_for_benchmark(&who, Some((kind, Role::Practitioner)));
	let org = T::Registry::active_membership(&who).expect("just registered").org;
	(who, org)
}

fn signed<T: Config>(who: &T::AccountId) -> OriginFor<T> {
	RawOrigin::Signed(who.clone()).into()
}

type OriginFor<T> = <T as frame_system::Config>::RuntimeOrigin;

/// A manufacturer licensed the company prefix of `GTIN`.
fn licensed_maker<T: Config>() -> T::AccountId {
	let (maker, org) = member::<T>("maker", OrgKind::Manufacturer);
	let prefix: CompanyPrefix = PREFIX.to_vec().try_into().expect("four digits");
	Pallet::<T>::store_prefixes(org, alloc::vec![prefix].try_into().expect("one prefix"));
	maker
}

/// A manufacturer with a registered product.
fn manufacturer<T: Config>() -> T::AccountId {
	let maker = licensed_maker::<T>();
	Pallet::<T>::register_product(signed::<T>(&maker), GTIN, H256::zero()).expect("registers");
	maker
}

/// `count` distinct 12-digit company prefixes, from `first` on.
fn prefixes(first: u32, count: u32) -> Vec<CompanyPrefix> {
	(first..first + count)
		.map(|i| alloc::format!("9{i:011}").into_bytes().try_into().expect("twelve digits"))
		.collect()
}

/// `n` loose children for a container, as heavy as the bounds allow: as many cases as the
/// contents bound leaves room for, sharing the spare room as units (each case at most
/// `MaxChildren`), then loose units.
fn heavy_children<T: Config>(maker: &T::AccountId, n: u32) -> Vec<Epc> {
	let spare = T::MaxContents::get().saturating_sub(n);
	let cases = n.min(spare);
	let extra = spare - cases;
	let case_size = |case: u32| {
		(1 + extra / cases.max(1) + u32::from(case < extra % cases.max(1)))
			.min(T::MaxChildren::get())
	};
	let units: u32 = (0..cases).map(case_size).sum::<u32>() + (n - cases);
	commission_units::<T>(maker, units);
	let mut next = 0;
	let mut children = Vec::new();
	for case in 0..cases {
		let take = case_size(case);
		let packed = (next..next + take).map(|i| Epc::Unit(sgtin(i))).collect();
		Pallet::<T>::aggregate(signed::<T>(maker), sscc(100 + case), packed).expect("packs");
		children.push(Epc::Container(sscc(100 + case)));
		next += take;
	}
	children.extend((next..units).map(|i| Epc::Unit(sgtin(i))));
	children
}

/// A shipment of `items` items, the outermost included, packed as the bounds allow: a loose
/// unit, a case of units, or a pallet of cases sharing the units evenly.
fn shipment<T: Config>(maker: &T::AccountId, items: u32) -> Epc {
	let contents = items.saturating_sub(1);
	if contents == 0 {
		commission_units::<T>(maker, 1);
		return Epc::Unit(sgtin(0));
	}
	let per_case = T::MaxChildren::get();
	if contents <= per_case {
		commission_units::<T>(maker, contents);
		let units = (0..contents).map(|i| Epc::Unit(sgtin(i))).collect();
		Pallet::<T>::aggregate(signed::<T>(maker), sscc(1), units).expect("packs the case");
		return Epc::Container(sscc(1));
	}
	let cases = contents.div_ceil(per_case + 1);
	let units = contents - cases;
	commission_units::<T>(maker, units);
	let mut next = 0;
	for case in 0..cases {
		let take = units / cases + u32::from(case < units % cases);
		let packed = (next..next + take).map(|i| Epc::Unit(sgtin(i))).collect();
		Pallet::<T>::aggregate(signed::<T>(maker), sscc(10 + case), packed).expect("packs a case");
		next += take;
	}
	let on_pallet = (0..cases).map(|case| Epc::Container(sscc(10 + case))).collect();
	Pallet::<T>::aggregate(signed::<T>(maker), sscc(1), on_pallet).expect("stacks the pallet");
	Epc::Container(sscc(1))
}

/// Commissions units `0..count` in full batches.
fn commission_units<T: Config>(maker: &T::AccountId, count: u32) {
	let batch = T::MaxCommissionBatch::get();
	let mut next = 0;
	while next < count {
		let end = (next + batch).min(count);
		Pallet::<T>::commission(
			signed::<T>(maker),
			GTIN,
			lot(),
			Day::MAX,
			(next..end).map(serial).collect(),
		)
		.expect("commissions");
		next = end;
	}
}

/// A case of `units` units on a pallet.
fn packed<T: Config>(maker: &T::AccountId, units: u32) {
	commission_units::<T>(maker, units);
	Pallet::<T>::aggregate(
		signed::<T>(maker),
		sscc(1),
		(0..units).map(|i| Epc::Unit(sgtin(i))).collect(),
	)
	.expect("packs the case");
	Pallet::<T>::aggregate(signed::<T>(maker), sscc(2), alloc::vec![Epc::Container(sscc(1))])
		.expect("stacks the pallet");
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn register_product() {
		let maker = licensed_maker::<T>();
		T::Registry::whitelist_signer_for_benchmark(&maker);
		#[extrinsic_call]
		_(RawOrigin::Signed(maker), GTIN, H256::zero());
		assert!(Products::<T>::contains_key(GTIN));
	}

	#[benchmark]
	fn commission(n: Linear<1, { T::MaxCommissionBatch::get() }>) {
		let maker = manufacturer::<T>();
		let serials = (0..n).map(serial).collect::<Vec<_>>();
		T::Registry::whitelist_signer_for_benchmark(&maker);
		#[extrinsic_call]
		_(RawOrigin::Signed(maker), GTIN, lot(), Day::MAX, serials);
		assert_eq!(Lots::<T>::get(GTIN, lot()).map(|l| l.units), Some(n));
	}

	/// `n` children, as many of them cases, and as full, as the contents bound allows: a
	/// case costs more to move than a unit.
	#[benchmark]
	fn aggregate(n: Linear<1, { T::MaxChildren::get() }>) {
		let maker = manufacturer::<T>();
		let children = heavy_children::<T>(&maker, n);
		T::Registry::whitelist_signer_for_benchmark(&maker);
		#[extrinsic_call]
		_(RawOrigin::Signed(maker), sscc(1), children);
		assert_eq!(Containers::<T>::get(sscc(1)).map(|c| c.children.len() as u32), Some(n));
	}

	/// `n` children unpacked, as heavy as in `aggregate`.
	#[benchmark]
	fn disaggregate(n: Linear<1, { T::MaxChildren::get() }>) {
		let maker = manufacturer::<T>();
		let children = heavy_children::<T>(&maker, n);
		Pallet::<T>::aggregate(signed::<T>(&maker), sscc(1), children).expect("packs");
		T::Registry::whitelist_signer_for_benchmark(&maker);
		#[extrinsic_call]
		_(RawOrigin::Signed(maker), sscc(1), Vec::new());
		assert_eq!(Containers::<T>::get(sscc(1)).map(|c| c.contents), Some(0));
	}

	/// `n` items moved: the shipment and everything in it.
	#[benchmark]
	fn ship(n: Linear<1, { T::MaxContents::get() + 1 }>) {
		let maker = manufacturer::<T>();
		let (_, pharmacy) = member::<T>("pharmacy", OrgKind::Pharmacy);
		let epc = shipment::<T>(&maker, n);
		T::Registry::whitelist_signer_for_benchmark(&maker);
		#[extrinsic_call]
		_(RawOrigin::Signed(maker), epc, pharmacy);
		assert!(Units::<T>::get(sgtin(0)).is_some_and(|u| u.in_transit_to == Some(pharmacy)));
	}

	/// `n` items moved: the shipment and everything in it.
	#[benchmark]
	fn receive(n: Linear<1, { T::MaxContents::get() + 1 }>) {
		let maker = manufacturer::<T>();
		let (pharmacist, pharmacy) = member::<T>("pharmacy", OrgKind::Pharmacy);
		let epc = shipment::<T>(&maker, n);
		Pallet::<T>::ship(signed::<T>(&maker), epc.clone(), pharmacy).expect("ships");
		T::Registry::whitelist_signer_for_benchmark(&pharmacist);
		#[extrinsic_call]
		_(RawOrigin::Signed(pharmacist), epc);
		assert!(Units::<T>::get(sgtin(0)).is_some_and(|u| u.owner == pharmacy));
	}

	#[benchmark]
	fn verify_product() {
		let maker = manufacturer::<T>();
		commission_units::<T>(&maker, 1);
		Pallet::<T>::recall_lot(signed::<T>(&maker), GTIN, lot(), H256::zero()).expect("recalls");
		T::Registry::whitelist_signer_for_benchmark(&maker);
		#[extrinsic_call]
		_(RawOrigin::Signed(maker), sgtin(0));
		assert_eq!(VerificationCount::<T>::get(sgtin(0)), 1);
	}

	#[benchmark]
	fn recall_lot() {
		let maker = manufacturer::<T>();
		commission_units::<T>(&maker, 1);
		T::Registry::whitelist_signer_for_benchmark(&maker);
		#[extrinsic_call]
		_(RawOrigin::Signed(maker), GTIN, lot(), H256::zero());
		assert!(Lots::<T>::get(GTIN, lot()).is_some_and(|l| l.recall.is_some()));
	}

	/// A regulator takes over the owner's quarantine: the most reads.
	#[benchmark]
	fn mark_suspect() {
		let maker = manufacturer::<T>();
		commission_units::<T>(&maker, 1);
		Pallet::<T>::mark_suspect(signed::<T>(&maker), sgtin(0), H256::zero()).expect("marks");
		let (inspector, regulator) = member::<T>("inspector", OrgKind::Regulator);
		T::Registry::whitelist_signer_for_benchmark(&inspector);
		#[extrinsic_call]
		_(RawOrigin::Signed(inspector), sgtin(0), H256::zero());
		assert_eq!(Quarantines::<T>::get(sgtin(0)), Some(regulator));
	}

	#[benchmark]
	fn clear_suspect() {
		let maker = manufacturer::<T>();
		commission_units::<T>(&maker, 1);
		let (inspector, _) = member::<T>("inspector", OrgKind::Regulator);
		Pallet::<T>::mark_suspect(signed::<T>(&inspector), sgtin(0), H256::zero()).expect("marks");
		T::Registry::whitelist_signer_for_benchmark(&inspector);
		#[extrinsic_call]
		_(RawOrigin::Signed(inspector), sgtin(0));
		assert_eq!(Units::<T>::get(sgtin(0)).map(|u| u.status), Some(UnitStatus::Active));
	}

	#[benchmark]
	fn declare_illegitimate() {
		let maker = manufacturer::<T>();
		commission_units::<T>(&maker, 1);
		let (inspector, _) = member::<T>("inspector", OrgKind::Regulator);
		Pallet::<T>::mark_suspect(signed::<T>(&inspector), sgtin(0), H256::zero()).expect("marks");
		T::Registry::whitelist_signer_for_benchmark(&inspector);
		#[extrinsic_call]
		_(RawOrigin::Signed(inspector), sgtin(0));
		assert_eq!(Units::<T>::get(sgtin(0)).map(|u| u.status), Some(UnitStatus::Illegitimate));
	}

	/// A unit in a full case on a pallet, filling a prescription: the spent-fill check and both
	/// writes.
	#[benchmark]
	fn dispense() {
		let maker = manufacturer::<T>();
		let (pharmacist, pharmacy) = member::<T>("pharmacy", OrgKind::Pharmacy);
		packed::<T>(&maker, T::MaxChildren::get());
		Pallet::<T>::ship(signed::<T>(&maker), Epc::Container(sscc(2)), pharmacy).expect("ships");
		Pallet::<T>::receive(signed::<T>(&pharmacist), Epc::Container(sscc(2))).expect("receives");
		let patient: T::AccountId = account("patient", 0, 0);
		let commitment =
			dispense_commitment(&patient, Some(&H256::repeat_byte(1)), &sgtin(0), &[7; 32]);
		let fill = fill_nullifier(&[9; 32], &H256::repeat_byte(1), 0);
		T::Registry::whitelist_signer_for_benchmark(&pharmacist);
		#[extrinsic_call]
		_(RawOrigin::Signed(pharmacist), sgtin(0), commitment, Some(fill));
		assert_eq!(Units::<T>::get(sgtin(0)).map(|u| u.status), Some(UnitStatus::Dispensed));
		assert_eq!(FillNullifiers::<T>::get(fill), Some(sgtin(0)));
	}

	/// `o` prefixes recorded before are replaced by `n` others.
	#[benchmark]
	fn set_company_prefixes(
		o: Linear<0, { T::MaxCompanyPrefixes::get() }>,
		n: Linear<0, { T::MaxCompanyPrefixes::get() }>,
	) -> Result<(), BenchmarkError> {
		let (_, org) = member::<T>("maker", OrgKind::Manufacturer);
		let old = prefixes(0, o);
		Pallet::<T>::store_prefixes(org, old.try_into().expect("within the bound"));
		let new = prefixes(1000, n);
		let origin =
			T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, org, new);
		assert_eq!(CompanyPrefixes::<T>::get(org).len() as u32, n);
		Ok(())
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
