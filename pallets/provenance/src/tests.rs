//! Unit tests of the provenance pallet and the supply-chain scenario: 1,000 units commissioned
//! into a case, shipped and received, verified, recalled, and counterfeits caught at dispensing.

// Test and benchmark set-up arithmetic works on small known values.
#![allow(clippy::arithmetic_side_effects)]

use crate::{
	dispense_commitment, fill_nullifier, mock::*, verify_dispense_opening, CompanyPrefix,
	CompanyPrefixes, Containers, CounterfeitReports, CounterfeitSign, DispenseCommitments,
	DispenseOpening, DispensedPerDay, Epc, Error, Event, EventKind, FillNullifiers, Gtin, History,
	HistoryLength, Lot, Lots, PrefixLicensees, Quarantines, Serial, Sgtin, Sscc, UnitStatus, Units,
	Verification, VerificationCount, Verifications,
};
use carechain_primitives::RecordId;
use codec::Encode;
use frame_support::{assert_noop, assert_ok, traits::Get};
use sp_core::H256;
use sp_runtime::{traits::Dispatchable, DispatchError, DispatchResult};

/// Appends the GS1 check digit to `body`.
fn with_check_digit<const N: usize>(body: &str) -> [u8; N] {
	let mut out = [0u8; N];
	out[..N - 1].copy_from_slice(body.as_bytes());
	out[N - 1] = crate::gs1_check_digit(body.as_bytes());
	out
}

/// The GTIN-14 of NDC 0777-3105-02.
fn gtin() -> Gtin {
	with_check_digit("0030777310502")
}

fn other_gtin() -> Gtin {
	with_check_digit("0030777310519")
}

fn sscc(n: u32) -> Sscc {
	with_check_digit(&format!("00614141{n:09}"))
}

fn serial(s: &str) -> Serial {
	s.as_bytes().to_vec().try_into().expect("short serial")
}

fn lot(s: &str) -> Lot {
	s.as_bytes().to_vec().try_into().expect("short lot")
}

fn unit(s: &str) -> Sgtin {
	Sgtin { gtin: gtin(), serial: serial(s) }
}

fn epc(s: &str) -> Epc {
	Epc::Unit(unit(s))
}

fn signed(who: u64) -> RuntimeOrigin {
	RuntimeOrigin::signed(who)
}

fn register() {
	assert_ok!(Provenance::register_product(signed(MAKER), gtin(), H256::repeat_byte(1)));
}

fn commission(lot_number: &str, serials: &[&str]) {
	assert_ok!(Provenance::commission(
		signed(MAKER),
		gtin(),
		lot(lot_number),
		TODAY + 365,
		serials.iter().map(|s| serial(s)).collect()
	));
}

/// A registered product with units A1, A2, A3 of lot L1 held by the manufacturer.
fn setup() {
	register();
	commission("L1", &["A1", "A2", "A3"]);
}

fn ship_and_receive(item: Epc, from: u64, to_org: u32, to: u64) {
	assert_ok!(Provenance::ship(signed(from), item.clone(), to_org));
	assert_ok!(Provenance::receive(signed(to), item));
}

fn last_verification() -> Verification {
	System::events()
		.into_iter()
		.rev()
		.find_map(|r| match r.event {
			RuntimeEvent::Provenance(Event::ProductVerified { verification, .. }) => {
				Some(verification)
			}
			_ => None,
		})
		.expect("a verification event")
}

fn kinds(item: &Epc) -> Vec<EventKind> {
	Provenance::history(item).into_iter().map(|e| e.kind).collect()
}

/// The MedicationRequest record (a version of it) the patient sent the pharmacy. The pharmacy
/// holds it off chain; a distinctive value, so that a search of the chain's bytes finds only it.
const RX: RecordId = H256(*b"rx:medication-request-record-id!");

/// The prescription's vault data key, which the patient's wallet wrapped to the pharmacy.
const RX_DATA_KEY: [u8; 32] = *b"vault-data-key-of-the-rx-record!";

/// The random bytes the pharmacy drew for a dispense, and keeps to open its commitment.
const BLINDING: [u8; 32] = *b"pharmacy-random-blinding-32bytes";

/// What the pharmacy keeps to open the commitment of dispensing against `RX` to the patient.
fn opening() -> DispenseOpening<u64> {
	DispenseOpening { patient: PATIENT, prescription: Some(RX), blinding: BLINDING }
}

/// The commitment to dispensing `sgtin` to the patient against `RX`.
fn commitment(sgtin: &Sgtin) -> H256 {
	dispense_commitment(&PATIENT, Some(&RX), sgtin, &BLINDING)
}

/// Dispenses `sgtin` under its commitment, filling no prescription.
fn dispense(who: u64, sgtin: Sgtin) -> DispatchResult {
	let commitment = commitment(&sgtin);
	Provenance::dispense(signed(who), sgtin, commitment, None)
}

/// Dispenses `sgtin` as fill `fill` of `RX`.
fn dispense_fill(who: u64, sgtin: Sgtin, fill: u32) -> DispatchResult {
	let commitment = commitment(&sgtin);
	Provenance::dispense(
		signed(who),
		sgtin,
		commitment,
		Some(fill_nullifier(&RX_DATA_KEY, &RX, fill)),
	)
}

#[test]
fn provenance_scenario_catches_recalls_and_counterfeits() {
	run_test(|| {
		register();
		let serials: Vec<String> = (0..1000).map(|i| format!("S{i:04}")).collect();
		let refs: Vec<&str> = serials.iter().map(String::as_str).collect();
		commission("L1", &refs);
		System::assert_last_event(
			Event::UnitsCommissioned {
				gtin: gtin(),
				lot: lot("L1"),
				expiry: TODAY + 365,
				count: 1000,
			}
			.into(),
		);
		let case = Epc::Container(sscc(1));
		assert_ok!(Provenance::aggregate(
			signed(MAKER),
			sscc(1),
			refs.iter().map(|s| epc(s)).collect()
		));
		assert_eq!(Containers::<Test>::get(sscc(1)).map(|c| c.contents), Some(1000));

		// The case travels with everything in it.
		assert_ok!(Provenance::ship(signed(MAKER), case.clone(), WHOLESALER_ORG));
		System::assert_last_event(
			Event::Shipped { epc: case.clone(), from: MAKER_ORG, to: WHOLESALER_ORG, items: 1001 }
				.into(),
		);
		assert_noop!(
			Provenance::ship(signed(MAKER), case.clone(), PHARMACY_ORG),
			Error::<Test>::InTransit
		);
		assert_noop!(
			Provenance::ship(signed(MAKER), epc("S0001"), PHARMACY_ORG),
			Error::<Test>::InTransit
		);
		assert_noop!(
			Provenance::receive(signed(PHARMACIST), case.clone()),
			Error::<Test>::NotInTransitToYou
		);
		assert_ok!(Provenance::receive(signed(WHOLESALER), case.clone()));
		assert_noop!(
			Provenance::ship(signed(WHOLESALER), epc("S0001"), PHARMACY_ORG),
			Error::<Test>::InsideContainer
		);
		ship_and_receive(case.clone(), WHOLESALER, PHARMACY_ORG, PHARMACIST);
		assert!(Units::<Test>::iter_values()
			.all(|u| u.owner == PHARMACY_ORG && u.in_transit_to.is_none()));

		// The pharmacy verifies a unit before dispensing.
		assert_ok!(Provenance::verify_product(signed(PHARMACIST), unit("S0042")));
		assert_eq!(
			last_verification(),
			Verification::Known {
				owner: PHARMACY_ORG,
				status: UnitStatus::Active,
				in_transit: false,
				lot: lot("L1"),
				expiry: TODAY + 365,
				recalled: false,
				expired: false,
			}
		);
		assert_eq!(VerificationCount::<Test>::get(unit("S0042")), 1);

		// The manufacturer recalls the lot: its units can no longer be dispensed.
		assert_ok!(Provenance::recall_lot(signed(MAKER), gtin(), lot("L1"), H256::repeat_byte(9)));
		System::assert_last_event(
			Event::LotRecalled {
				gtin: gtin(),
				lot: lot("L1"),
				units: 1000,
				reason: H256::repeat_byte(9),
			}
			.into(),
		);
		assert_ok!(Provenance::verify_product(signed(PHARMACIST), unit("S0042")));
		assert!(matches!(last_verification(), Verification::Known { recalled: true, .. }));
		assert_noop!(dispense(PHARMACIST, unit("S0042")), Error::<Test>::UnitRecalled);
		assert_eq!(
			kinds(&epc("S0042")),
			vec![
				EventKind::Commissioned,
				EventKind::Packed { parent: sscc(1) },
				EventKind::Shipped { to: WHOLESALER_ORG },
				EventKind::Received { from: MAKER_ORG },
				EventKind::Shipped { to: PHARMACY_ORG },
				EventKind::Received { from: WHOLESALER_ORG },
				EventKind::Recalled { reason: H256::repeat_byte(9) },
			]
		);

		// A good lot: dispensed once; the same identifier presented again is a counterfeit.
		commission("L2", &["G1"]);
		ship_and_receive(epc("G1"), MAKER, PHARMACY_ORG, PHARMACIST);
		assert_ok!(dispense(PHARMACIST, unit("G1")));
		System::assert_last_event(
			Event::UnitDispensed {
				sgtin: unit("G1"),
				pharmacy: PHARMACY_ORG,
				commitment: commitment(&unit("G1")),
			}
			.into(),
		);
		assert_ok!(dispense(PHARMACIST, unit("G1")));
		System::assert_last_event(
			Event::CounterfeitSuspected {
				sgtin: unit("G1"),
				reported_by: PHARMACY_ORG,
				sign: CounterfeitSign::AlreadyDispensed,
			}
			.into(),
		);
		assert_eq!(CounterfeitReports::<Test>::get(unit("G1")), 1);
		assert_eq!(kinds(&epc("G1")).last(), Some(&EventKind::CounterfeitReported));
		assert_noop!(dispense(OTHER_PHARMACIST, unit("FAKE1")), Error::<Test>::UnknownUnit);
		assert!(!Units::<Test>::contains_key(unit("FAKE1")));
		assert!(!CounterfeitReports::<Test>::contains_key(unit("FAKE1")));
	});
}

#[test]
fn register_product_checks_gtin_and_manufacturer() {
	run_test(|| {
		register();
		System::assert_last_event(
			Event::ProductRegistered { gtin: gtin(), manufacturer: MAKER_ORG }.into(),
		);
		assert_noop!(
			Provenance::register_product(signed(MAKER), gtin(), H256::zero()),
			Error::<Test>::ProductExists
		);
		assert_noop!(
			Provenance::register_product(signed(PHARMACIST), other_gtin(), H256::zero()),
			Error::<Test>::NotManufacturer
		);
		let mut bad = other_gtin();
		bad[13] = b'0' + (bad[13] - b'0' + 1) % 10;
		assert_noop!(
			Provenance::register_product(signed(MAKER), bad, H256::zero()),
			Error::<Test>::InvalidGtin
		);
	});
}

fn prefix(digits: &str) -> CompanyPrefix {
	digits.as_bytes().to_vec().try_into().expect("at most 12 digits")
}

#[test]
fn a_manufacturer_cannot_register_another_manufacturers_gtin() {
	run_test(|| {
		assert_noop!(
			Provenance::register_product(signed(OTHER_MAKER), gtin(), H256::zero()),
			Error::<Test>::GtinOutsideCompanyPrefix
		);
		// Nor one under nobody's prefix.
		assert_noop!(
			Provenance::register_product(
				signed(MAKER),
				with_check_digit("0999999000001"),
				H256::zero()
			),
			Error::<Test>::GtinOutsideCompanyPrefix
		);
		// Its own GTINs begin, after the indicator digit, with its prefix.
		assert_ok!(Provenance::register_product(
			signed(OTHER_MAKER),
			with_check_digit("1031234500001"),
			H256::zero()
		));
	});
}

#[test]
fn a_manufacturer_without_a_company_prefix_registers_nothing() {
	run_test(|| {
		assert_noop!(
			Provenance::register_product(signed(UNLICENSED_MAKER), gtin(), H256::zero()),
			Error::<Test>::NoCompanyPrefix
		);
		assert_noop!(
			Provenance::register_product(
				signed(UNLICENSED_MAKER),
				with_check_digit("0999999000001"),
				H256::zero()
			),
			Error::<Test>::NoCompanyPrefix
		);
	});
}

#[test]
fn a_gtin_with_a_bad_check_digit_is_refused_under_the_right_prefix() {
	run_test(|| {
		let mut bad = gtin();
		bad[13] = b'0' + (bad[13] - b'0' + 1) % 10;
		assert_noop!(
			Provenance::register_product(signed(MAKER), bad, H256::zero()),
			Error::<Test>::InvalidGtin
		);
		let mut letters = gtin();
		letters[5] = b'A';
		assert_noop!(
			Provenance::register_product(signed(MAKER), letters, H256::zero()),
			Error::<Test>::InvalidGtin
		);
	});
}

#[test]
fn the_longest_recorded_prefix_decides_whose_gtin_it_is() {
	run_test(|| {
		// GS1 licensed 0307773 to the other manufacturer: MAKER's 030777 no longer covers it.
		assert_ok!(Provenance::set_company_prefixes(
			RuntimeOrigin::root(),
			OTHER_MAKER_ORG,
			vec![prefix(OTHER_MAKER_PREFIX), prefix("0307773")]
		));
		assert_noop!(
			Provenance::register_product(signed(MAKER), gtin(), H256::zero()),
			Error::<Test>::GtinOutsideCompanyPrefix
		);
		assert_ok!(Provenance::register_product(signed(OTHER_MAKER), gtin(), H256::zero()));
		assert_ok!(Provenance::register_product(
			signed(MAKER),
			with_check_digit("0030777400001"),
			H256::zero()
		));
	});
}

#[test]
fn only_governance_records_company_prefixes() {
	run_test(|| {
		let set = |origin, org, prefixes: &[&str]| {
			Provenance::set_company_prefixes(
				origin,
				org,
				prefixes.iter().map(|p| prefix(p)).collect(),
			)
		};
		let root = RuntimeOrigin::root;
		// A manufacturer cannot give itself another's prefix, nor any prefix.
		assert_noop!(
			set(signed(MAKER), MAKER_ORG, &[OTHER_MAKER_PREFIX]),
			DispatchError::BadOrigin
		);
		assert_noop!(
			set(signed(INSPECTOR), UNLICENSED_MAKER_ORG, &["0400000"]),
			DispatchError::BadOrigin
		);
		assert_noop!(
			set(root(), UNLICENSED_MAKER_ORG, &[MAKER_PREFIX]),
			Error::<Test>::CompanyPrefixTaken
		);
		assert_noop!(
			set(root(), PHARMACY_ORG, &["0400000"]),
			Error::<Test>::NotManufacturerOrganization
		);
		assert_noop!(set(root(), 77, &["0400000"]), Error::<Test>::NotManufacturerOrganization);
		for bad in ["040", "04A0000", "", "1234567890123"] {
			let bad: CompanyPrefix = match bad.as_bytes().to_vec().try_into() {
				Ok(bad) => bad,
				Err(_) => continue,
			};
			assert_noop!(
				Provenance::set_company_prefixes(root(), UNLICENSED_MAKER_ORG, vec![bad]),
				Error::<Test>::InvalidCompanyPrefix
			);
		}
		assert_noop!(
			set(root(), UNLICENSED_MAKER_ORG, &["0400000", "0400000"]),
			Error::<Test>::DuplicateItem
		);
		// At the bound, and past it.
		let max = <Test as crate::Config>::MaxCompanyPrefixes::get();
		let many: Vec<String> = (0..=max).map(|i| format!("04{i:05}")).collect();
		let many: Vec<&str> = many.iter().map(String::as_str).collect();
		assert_noop!(
			set(root(), UNLICENSED_MAKER_ORG, &many),
			Error::<Test>::TooManyCompanyPrefixes
		);
		assert_ok!(set(root(), UNLICENSED_MAKER_ORG, &many[..max as usize]));
		assert_eq!(CompanyPrefixes::<Test>::get(UNLICENSED_MAKER_ORG).len() as u32, max);

		// Replacing drops the old prefixes from the index; an empty list removes them all.
		assert_ok!(set(root(), UNLICENSED_MAKER_ORG, &["0400009"]));
		System::assert_last_event(
			Event::CompanyPrefixesSet {
				org: UNLICENSED_MAKER_ORG,
				prefixes: vec![prefix("0400009")].try_into().expect("one"),
			}
			.into(),
		);
		assert!(!PrefixLicensees::<Test>::contains_key(prefix("0400000")));
		assert_ok!(set(root(), MAKER_ORG, &[]));
		assert!(!CompanyPrefixes::<Test>::contains_key(MAKER_ORG));
		assert_noop!(
			Provenance::register_product(signed(MAKER), gtin(), H256::zero()),
			Error::<Test>::NoCompanyPrefix
		);
		// The freed prefix may go to another manufacturer.
		assert_ok!(set(root(), OTHER_MAKER_ORG, &[OTHER_MAKER_PREFIX, MAKER_PREFIX]));
		assert_ok!(Provenance::register_product(signed(OTHER_MAKER), gtin(), H256::zero()));
	});
}

#[test]
fn commission_rejects_bad_batches() {
	run_test(|| {
		setup();
		assert_eq!(Lots::<Test>::get(gtin(), lot("L1")).map(|l| l.units), Some(3));
		assert_eq!(kinds(&epc("A1")), vec![EventKind::Commissioned]);
		let batch = |who: u64, g: Gtin, l: &str, expiry: u32, serials: Vec<Serial>| {
			Provenance::commission(signed(who), g, lot(l), expiry, serials)
		};
		let one = || vec![serial("B1")];
		assert_noop!(
			batch(OTHER_MAKER, gtin(), "L1", TODAY + 365, one()),
			Error::<Test>::NotProductManufacturer
		);
		assert_noop!(
			batch(MAKER, other_gtin(), "L1", TODAY + 365, one()),
			Error::<Test>::UnknownProduct
		);
		assert_noop!(batch(MAKER, gtin(), "L-1", TODAY + 365, one()), Error::<Test>::InvalidLot);
		assert_noop!(batch(MAKER, gtin(), "L9", TODAY - 1, one()), Error::<Test>::ExpiryInPast);
		assert_noop!(
			batch(MAKER, gtin(), "L1", TODAY + 300, one()),
			Error::<Test>::LotExpiryMismatch
		);
		assert_noop!(batch(MAKER, gtin(), "L1", TODAY + 365, vec![]), Error::<Test>::EmptyBatch);
		assert_noop!(
			batch(
				MAKER,
				gtin(),
				"L1",
				TODAY + 365,
				(0..1001).map(|i| serial(&format!("X{i}"))).collect()
			),
			Error::<Test>::BatchTooLarge
		);
		assert_noop!(
			batch(MAKER, gtin(), "L1", TODAY + 365, vec![serial("A2")]),
			Error::<Test>::AlreadyCommissioned
		);
		assert_noop!(
			batch(MAKER, gtin(), "L1", TODAY + 365, vec![serial("B1"), serial("B1")]),
			Error::<Test>::AlreadyCommissioned
		);
		assert_noop!(
			batch(MAKER, gtin(), "L1", TODAY + 365, vec![serial("B 1")]),
			Error::<Test>::InvalidSerial
		);
		assert_ok!(Provenance::recall_lot(signed(MAKER), gtin(), lot("L1"), H256::zero()));
		assert_noop!(batch(MAKER, gtin(), "L1", TODAY + 365, one()), Error::<Test>::UnitRecalled);
	});
}

#[test]
fn aggregation_nests_cases_on_pallets_and_no_deeper() {
	run_test(|| {
		setup();
		assert_ok!(Provenance::aggregate(signed(MAKER), sscc(1), vec![epc("A1"), epc("A2")]));
		System::assert_last_event(Event::Aggregated { parent: sscc(1), count: 2 }.into());
		assert_ok!(Provenance::aggregate(signed(MAKER), sscc(2), vec![Epc::Container(sscc(1))]));
		let pallet = Containers::<Test>::get(sscc(2)).expect("created");
		assert_eq!((pallet.contents, pallet.level), (3, 2));
		assert_eq!(Units::<Test>::get(unit("A1")).and_then(|u| u.parent), Some(sscc(1)));

		assert_noop!(
			Provenance::aggregate(signed(MAKER), sscc(3), vec![Epc::Container(sscc(2))]),
			Error::<Test>::TooDeep
		);
		assert_noop!(
			Provenance::aggregate(signed(MAKER), sscc(1), vec![epc("A3")]),
			Error::<Test>::ContainerNested
		);
		assert_noop!(
			Provenance::aggregate(signed(MAKER), sscc(4), vec![epc("A1")]),
			Error::<Test>::AlreadyPacked
		);
		assert_noop!(
			Provenance::aggregate(signed(MAKER), sscc(4), vec![]),
			Error::<Test>::NoChildren
		);
		assert_noop!(
			Provenance::aggregate(signed(MAKER), sscc(4), vec![epc("A3"), epc("A3")]),
			Error::<Test>::DuplicateItem
		);
		assert_noop!(
			Provenance::aggregate(signed(MAKER), sscc(4), vec![epc("ZZ")]),
			Error::<Test>::UnknownUnit
		);
		assert_noop!(
			Provenance::aggregate(signed(PHARMACIST), sscc(4), vec![epc("A3")]),
			Error::<Test>::NotOwner
		);
		let mut bad = sscc(4);
		bad[17] = b'0' + (bad[17] - b'0' + 1) % 10;
		assert_noop!(
			Provenance::aggregate(signed(MAKER), bad, vec![epc("A3")]),
			Error::<Test>::InvalidSscc
		);
		assert_ok!(Provenance::mark_suspect(signed(INSPECTOR), unit("A3"), H256::zero()));
		assert_noop!(
			Provenance::aggregate(signed(MAKER), sscc(4), vec![epc("A3")]),
			Error::<Test>::NotActive
		);
	});
}

#[test]
fn disaggregation_unpacks_from_the_outside_in() {
	run_test(|| {
		setup();
		assert_ok!(Provenance::aggregate(signed(MAKER), sscc(1), vec![epc("A1"), epc("A2")]));
		assert_ok!(Provenance::aggregate(signed(MAKER), sscc(2), vec![Epc::Container(sscc(1))]));
		assert_noop!(
			Provenance::disaggregate(signed(MAKER), sscc(1), vec![]),
			Error::<Test>::ContainerNested
		);
		assert_noop!(
			Provenance::disaggregate(signed(MAKER), sscc(2), vec![epc("A1")]),
			Error::<Test>::NotInContainer
		);
		assert_noop!(
			Provenance::disaggregate(signed(PHARMACIST), sscc(2), vec![]),
			Error::<Test>::NotOwner
		);
		assert_noop!(
			Provenance::disaggregate(signed(MAKER), sscc(9), vec![]),
			Error::<Test>::UnknownContainer
		);
		assert_ok!(Provenance::disaggregate(signed(MAKER), sscc(2), vec![]));
		assert_eq!(
			Containers::<Test>::get(sscc(2)).map(|c| (c.contents, c.children.len())),
			Some((0, 0))
		);
		assert_ok!(Provenance::disaggregate(signed(MAKER), sscc(1), vec![epc("A2")]));
		System::assert_last_event(Event::Disaggregated { parent: sscc(1), count: 1 }.into());
		assert_eq!(Containers::<Test>::get(sscc(1)).map(|c| c.contents), Some(1));
		assert_eq!(Units::<Test>::get(unit("A2")).and_then(|u| u.parent), None);
		assert_eq!(kinds(&epc("A2")).last(), Some(&EventKind::Unpacked { parent: sscc(1) }));
	});
}

#[test]
fn shipping_needs_a_licensed_receiver_and_saleable_units() {
	run_test(|| {
		setup();
		assert_noop!(
			Provenance::ship(signed(MAKER), epc("A1"), HOSPITAL_ORG),
			Error::<Test>::InvalidReceiver
		);
		assert_noop!(
			Provenance::ship(signed(MAKER), epc("A1"), MAKER_ORG),
			Error::<Test>::InvalidReceiver
		);
		assert_noop!(
			Provenance::ship(signed(MAKER), epc("A1"), 77),
			Error::<Test>::InvalidReceiver
		);
		assert_noop!(
			Provenance::ship(signed(WHOLESALER), epc("A1"), PHARMACY_ORG),
			Error::<Test>::NotOwner
		);
		assert_noop!(
			Provenance::ship(signed(MAKER), epc("Q1"), PHARMACY_ORG),
			Error::<Test>::UnknownUnit
		);
		assert_ok!(Provenance::mark_suspect(signed(MAKER), unit("A2"), H256::zero()));
		assert_ok!(Provenance::aggregate(signed(MAKER), sscc(1), vec![epc("A1")]));
		assert_noop!(
			Provenance::ship(signed(MAKER), epc("A2"), PHARMACY_ORG),
			Error::<Test>::UnitSuspect
		);
		// An expired unit in a case keeps the whole case home.
		Timestamp::set_timestamp(START + 366 * DAY);
		assert_noop!(
			Provenance::ship(signed(MAKER), Epc::Container(sscc(1)), PHARMACY_ORG),
			Error::<Test>::UnitExpired
		);
	});
}

#[test]
fn receive_is_for_the_named_receiver_only() {
	run_test(|| {
		setup();
		assert_ok!(Provenance::ship(signed(MAKER), epc("A1"), PHARMACY_ORG));
		assert_noop!(
			Provenance::receive(signed(OTHER_PHARMACIST), epc("A1")),
			Error::<Test>::NotInTransitToYou
		);
		assert_noop!(
			Provenance::receive(signed(PHARMACIST), epc("A2")),
			Error::<Test>::NotInTransitToYou
		);
		assert_noop!(
			Provenance::receive(signed(PHARMACIST), epc("Q1")),
			Error::<Test>::UnknownUnit
		);
		assert_ok!(Provenance::receive(signed(PHARMACIST), epc("A1")));
		System::assert_last_event(
			Event::Received { epc: epc("A1"), from: MAKER_ORG, by: PHARMACY_ORG, items: 1 }.into(),
		);
		assert_eq!(Units::<Test>::get(unit("A1")).map(|u| u.owner), Some(PHARMACY_ORG));
	});
}

#[test]
fn verification_is_recorded_for_known_identifiers_only() {
	run_test(|| {
		setup();
		assert_ok!(Provenance::verify_product(signed(OTHER_PHARMACIST), unit("NOPE")));
		assert_eq!(last_verification(), Verification::Unknown);
		assert_eq!(Verifications::<Test>::iter_prefix(unit("NOPE")).count(), 0);
		assert_eq!(VerificationCount::<Test>::get(unit("NOPE")), 0);
		assert_ok!(Provenance::verify_product(signed(OTHER_PHARMACIST), unit("A1")));
		let record = Verifications::<Test>::get(unit("A1"), 0).expect("recorded");
		assert_eq!((record.org, record.saleable), (OTHER_PHARMACY_ORG, true));
		for _ in 0..5 {
			assert_ok!(Provenance::verify_product(signed(INSPECTOR), unit("A1")));
		}
		// The ring keeps the latest four of the six requests.
		assert_eq!(VerificationCount::<Test>::get(unit("A1")), 6);
		assert_eq!(Verifications::<Test>::iter_prefix(unit("A1")).count(), 4);
		Timestamp::set_timestamp(START + 400 * DAY);
		assert_ok!(Provenance::verify_product(signed(INSPECTOR), unit("A1")));
		assert!(matches!(last_verification(), Verification::Known { expired: true, .. }));
		assert_noop!(
			Provenance::verify_product(signed(PATIENT), unit("A1")),
			Error::<Test>::NotMember
		);
	});
}

#[test]
fn recall_lot_is_for_the_manufacturer_once() {
	run_test(|| {
		setup();
		assert_noop!(
			Provenance::recall_lot(signed(OTHER_MAKER), gtin(), lot("L1"), H256::zero()),
			Error::<Test>::NotProductManufacturer
		);
		assert_noop!(
			Provenance::recall_lot(signed(MAKER), gtin(), lot("L7"), H256::zero()),
			Error::<Test>::UnknownLot
		);
		assert_ok!(Provenance::recall_lot(signed(MAKER), gtin(), lot("L1"), H256::zero()));
		assert_noop!(
			Provenance::recall_lot(signed(MAKER), gtin(), lot("L1"), H256::zero()),
			Error::<Test>::AlreadyRecalled
		);
		assert_noop!(
			Provenance::ship(signed(MAKER), epc("A1"), PHARMACY_ORG),
			Error::<Test>::UnitRecalled
		);
	});
}

#[test]
fn suspects_are_cleared_or_declared_illegitimate() {
	run_test(|| {
		setup();
		assert_noop!(
			Provenance::mark_suspect(signed(PHARMACIST), unit("A1"), H256::zero()),
			Error::<Test>::NotOwnerOrRegulator
		);
		assert_noop!(
			Provenance::clear_suspect(signed(INSPECTOR), unit("A1")),
			Error::<Test>::NotSuspect
		);
		assert_noop!(
			Provenance::declare_illegitimate(signed(INSPECTOR), unit("A1")),
			Error::<Test>::NotSuspect
		);
		assert_noop!(
			Provenance::mark_suspect(signed(INSPECTOR), unit("Q1"), H256::zero()),
			Error::<Test>::UnknownUnit
		);
		assert_ok!(Provenance::mark_suspect(signed(INSPECTOR), unit("A1"), H256::repeat_byte(5)));
		System::assert_last_event(
			Event::MarkedSuspect { sgtin: unit("A1"), by: 4, reason: H256::repeat_byte(5) }.into(),
		);
		assert_noop!(
			Provenance::mark_suspect(signed(MAKER), unit("A1"), H256::zero()),
			Error::<Test>::NotActive
		);
		assert_noop!(
			Provenance::clear_suspect(signed(OTHER_PHARMACIST), unit("A1")),
			Error::<Test>::NotRegulatorOrQuarantiner
		);
		// The owner cannot lift the regulator's quarantine.
		assert_noop!(
			Provenance::clear_suspect(signed(MAKER), unit("A1")),
			Error::<Test>::NotRegulatorOrQuarantiner
		);
		assert_ok!(Provenance::clear_suspect(signed(INSPECTOR), unit("A1")));
		System::assert_last_event(
			Event::SuspicionCleared { sgtin: unit("A1"), by: REGULATOR_ORG }.into(),
		);
		assert!(!Quarantines::<Test>::contains_key(unit("A1")));
		assert_eq!(Units::<Test>::get(unit("A1")).map(|u| u.status), Some(UnitStatus::Active));

		assert_ok!(Provenance::mark_suspect(signed(MAKER), unit("A2"), H256::zero()));
		assert_eq!(Quarantines::<Test>::get(unit("A2")), Some(MAKER_ORG));
		assert_ok!(Provenance::declare_illegitimate(signed(INSPECTOR), unit("A2")));
		assert!(!Quarantines::<Test>::contains_key(unit("A2")));
		System::assert_last_event(Event::DeclaredIllegitimate { sgtin: unit("A2"), by: 4 }.into());
		assert_noop!(
			Provenance::ship(signed(MAKER), epc("A2"), PHARMACY_ORG),
			Error::<Test>::UnitIllegitimate
		);
		assert_noop!(
			Provenance::clear_suspect(signed(INSPECTOR), unit("A2")),
			Error::<Test>::NotSuspect
		);
		assert_eq!(
			kinds(&epc("A2")),
			vec![
				EventKind::Commissioned,
				EventKind::MarkedSuspect { reason: H256::zero() },
				EventKind::DeclaredIllegitimate,
			]
		);
	});
}

#[test]
fn dispensing_unpacks_the_unit_and_commits_to_the_patient_and_prescription() {
	run_test(|| {
		setup();
		assert_ok!(Provenance::aggregate(signed(MAKER), sscc(1), vec![epc("A1"), epc("A2")]));
		assert_ok!(Provenance::aggregate(signed(MAKER), sscc(2), vec![Epc::Container(sscc(1))]));
		ship_and_receive(Epc::Container(sscc(2)), MAKER, PHARMACY_ORG, PHARMACIST);

		assert_noop!(dispense(WHOLESALER, unit("A1")), Error::<Test>::NotPharmacy);
		// Another pharmacy cannot dispense a unit it does not hold, nor spend a fill with it.
		assert_noop!(dispense_fill(OTHER_PHARMACIST, unit("A1"), 0), Error::<Test>::NotOwner);
		assert_ok!(dispense_fill(PHARMACIST, unit("A1"), 0));
		let commitment = commitment(&unit("A1"));
		System::assert_last_event(
			Event::UnitDispensed { sgtin: unit("A1"), pharmacy: PHARMACY_ORG, commitment }.into(),
		);
		assert_eq!(DispenseCommitments::<Test>::get(unit("A1")), Some(commitment));
		assert_eq!(
			FillNullifiers::<Test>::get(fill_nullifier(&RX_DATA_KEY, &RX, 0)),
			Some(unit("A1"))
		);
		assert!(Provenance::verify_dispense_opening(&unit("A1"), &opening()));
		assert_eq!(
			Containers::<Test>::get(sscc(1)).map(|c| (c.contents, c.children.len())),
			Some((1, 1))
		);
		assert_eq!(Containers::<Test>::get(sscc(2)).map(|c| c.contents), Some(2));
		let unit_a1 = Units::<Test>::get(unit("A1")).expect("kept");
		assert_eq!((unit_a1.status, unit_a1.parent), (UnitStatus::Dispensed, None));
		assert_eq!(
			kinds(&epc("A1")).split_off(3),
			vec![
				EventKind::Received { from: MAKER_ORG },
				EventKind::Unpacked { parent: sscc(1) },
				EventKind::Dispensed { commitment },
			]
		);
		// A unit shipped on is no longer the pharmacy's to dispense.
		assert_ok!(Provenance::ship(
			signed(PHARMACIST),
			Epc::Container(sscc(2)),
			OTHER_PHARMACY_ORG
		));
		assert_noop!(dispense(PHARMACIST, unit("A2")), Error::<Test>::InTransit);
	});
}

#[test]
fn histories_keep_the_first_and_latest_events_and_never_fill_up() {
	run_test(|| {
		setup();
		let mut expected = vec![EventKind::Commissioned];
		let (mut holder, mut holder_org) = (MAKER, MAKER_ORG);
		// 16 shipments received: 33 events, more than the 16 kept.
		for i in 0..16 {
			let (to, to_org) = if i % 2 == 0 {
				(PHARMACIST, PHARMACY_ORG)
			} else {
				(OTHER_PHARMACIST, OTHER_PHARMACY_ORG)
			};
			ship_and_receive(epc("A1"), holder, to_org, to);
			expected.push(EventKind::Shipped { to: to_org });
			expected.push(EventKind::Received { from: holder_org });
			(holder, holder_org) = (to, to_org);
		}
		assert_eq!(HistoryLength::<Test>::get(epc("A1")), 33);
		assert_eq!(History::<Test>::iter_prefix(epc("A1")).count(), 16);
		let kept: Vec<EventKind> =
			[&expected[..1], &expected[expected.len() - 15..]].concat().into_iter().collect();
		assert_eq!(kinds(&epc("A1")), kept);
		// Still shippable.
		assert_ok!(Provenance::ship(signed(holder), epc("A1"), WHOLESALER_ORG));
	});
}

#[test]
fn events_map_to_epcis_vocabulary() {
	assert_eq!(EventKind::Commissioned.epcis(), ("ObjectEvent", "ADD", "commissioning", "active"));
	assert_eq!(
		EventKind::Packed { parent: sscc(1) }.epcis(),
		("AggregationEvent", "ADD", "packing", "in_progress")
	);
	assert_eq!(
		EventKind::Shipped { to: 1 }.epcis(),
		("ObjectEvent", "OBSERVE", "shipping", "in_transit")
	);
	assert_eq!(EventKind::Dispensed { commitment: H256::zero() }.epcis().3, "dispensed");
	assert_eq!(EventKind::Recalled { reason: H256::zero() }.epcis().3, "recalled");
}

#[test]
fn gs1_check_digits() {
	// GS1's examples: GTIN 00614141000036 and SSCC 106141412345678908.
	assert!(crate::has_gs1_check_digit(b"00614141000036"));
	assert!(crate::has_gs1_check_digit(b"106141412345678908"));
	assert!(!crate::has_gs1_check_digit(b"00614141000037"));
	assert!(!crate::has_gs1_check_digit(b"0061414100003A"));
	assert!(!crate::has_gs1_check_digit(b""));
}

/// Counts the provenance pallet's storage keys.
fn provenance_keys() -> usize {
	let prefix = sp_io::hashing::twox_128(b"Provenance");
	let mut key = prefix.to_vec();
	let mut count = 0;
	while let Some(next) = sp_io::storage::next_key(&key) {
		if !next.starts_with(&prefix) {
			break;
		}
		count += 1;
		key = next;
	}
	count
}

#[test]
fn the_owner_cannot_lift_a_regulators_quarantine() {
	run_test(|| {
		setup();
		ship_and_receive(epc("A1"), MAKER, PHARMACY_ORG, PHARMACIST);
		assert_ok!(Provenance::mark_suspect(signed(INSPECTOR), unit("A1"), H256::repeat_byte(7)));
		assert_eq!(Quarantines::<Test>::get(unit("A1")), Some(REGULATOR_ORG));
		// The owner, the manufacturer and another manufacturer are all refused.
		for who in [PHARMACIST, MAKER, OTHER_MAKER] {
			assert_noop!(
				Provenance::clear_suspect(signed(who), unit("A1")),
				Error::<Test>::NotRegulatorOrQuarantiner
			);
		}
		assert_noop!(dispense(PHARMACIST, unit("A1")), Error::<Test>::UnitSuspect);
		assert_ok!(Provenance::clear_suspect(signed(INSPECTOR), unit("A1")));
		assert_ok!(dispense(PHARMACIST, unit("A1")));
	});
}

#[test]
fn a_former_regulator_member_cannot_lift_a_quarantine() {
	run_test(|| {
		setup();
		assert_ok!(Provenance::mark_suspect(signed(INSPECTOR), unit("A1"), H256::zero()));
		assert_ok!(Registry::remove_member(signed(CHIEF_INSPECTOR), INSPECTOR));
		assert_noop!(
			Provenance::clear_suspect(signed(INSPECTOR), unit("A1")),
			Error::<Test>::NotMember
		);
		// Rejoining elsewhere, as a pharmacist, gives no regulator's power either.
		assert_ok!(pallet_registry::Pallet::<Test>::admit_organization(
			RuntimeOrigin::root(),
			carechain_primitives::OrgKind::Pharmacy,
			pallet_registry::Licence::gln([b'9'; 12]),
			H256::repeat_byte(9),
			INSPECTOR,
		));
		assert_noop!(
			Provenance::clear_suspect(signed(INSPECTOR), unit("A1")),
			Error::<Test>::NotRegulatorOrQuarantiner
		);
		assert_ok!(Provenance::clear_suspect(signed(CHIEF_INSPECTOR), unit("A1")));
	});
}

#[test]
fn the_quarantining_organization_may_lift_its_own_quarantine_unless_a_regulator_took_over() {
	run_test(|| {
		setup();
		assert_ok!(Provenance::mark_suspect(signed(MAKER), unit("A1"), H256::zero()));
		assert_ok!(Provenance::clear_suspect(signed(MAKER), unit("A1")));
		System::assert_last_event(
			Event::SuspicionCleared { sgtin: unit("A1"), by: MAKER_ORG }.into(),
		);
		// A regulator takes over the owner's quarantine; then the owner cannot lift it.
		assert_ok!(Provenance::mark_suspect(signed(MAKER), unit("A1"), H256::zero()));
		assert_noop!(
			Provenance::mark_suspect(signed(MAKER), unit("A1"), H256::zero()),
			Error::<Test>::NotActive
		);
		assert_ok!(Provenance::mark_suspect(signed(INSPECTOR), unit("A1"), H256::repeat_byte(3)));
		assert_eq!(Quarantines::<Test>::get(unit("A1")), Some(REGULATOR_ORG));
		assert_noop!(
			Provenance::mark_suspect(signed(INSPECTOR), unit("A1"), H256::zero()),
			Error::<Test>::NotActive
		);
		assert_noop!(
			Provenance::clear_suspect(signed(MAKER), unit("A1")),
			Error::<Test>::NotRegulatorOrQuarantiner
		);
		// The owner may still condemn its own stock.
		assert_ok!(Provenance::declare_illegitimate(signed(MAKER), unit("A1")));
		assert!(!Quarantines::<Test>::contains_key(unit("A1")));
	});
}

#[test]
fn an_item_inside_a_container_is_received_only_with_it() {
	run_test(|| {
		setup();
		assert_ok!(Provenance::aggregate(signed(MAKER), sscc(1), vec![epc("A1"), epc("A2")]));
		assert_ok!(Provenance::aggregate(signed(MAKER), sscc(2), vec![Epc::Container(sscc(1))]));
		assert_ok!(Provenance::ship(signed(MAKER), Epc::Container(sscc(2)), PHARMACY_ORG));
		assert_noop!(
			Provenance::receive(signed(PHARMACIST), epc("A1")),
			Error::<Test>::InsideContainer
		);
		assert_noop!(
			Provenance::receive(signed(PHARMACIST), Epc::Container(sscc(1))),
			Error::<Test>::InsideContainer
		);
		assert_ok!(Provenance::receive(signed(PHARMACIST), Epc::Container(sscc(2))));
		assert_eq!(Units::<Test>::get(unit("A1")).map(|u| u.owner), Some(PHARMACY_ORG));
	});
}

#[test]
fn toggling_a_quarantine_past_max_history_leaves_the_unit_usable() {
	run_test(|| {
		setup();
		let max = <Test as crate::Config>::MaxHistory::get();
		for _ in 0..max {
			assert_ok!(Provenance::mark_suspect(signed(INSPECTOR), unit("A1"), H256::zero()));
			assert_ok!(Provenance::clear_suspect(signed(INSPECTOR), unit("A1")));
		}
		assert_eq!(HistoryLength::<Test>::get(epc("A1")), 1 + 2 * max);
		assert_eq!(History::<Test>::iter_prefix(epc("A1")).count() as u32, max);
		// Still packable, shippable, receivable and dispensable.
		assert_ok!(Provenance::aggregate(signed(MAKER), sscc(1), vec![epc("A1")]));
		ship_and_receive(Epc::Container(sscc(1)), MAKER, PHARMACY_ORG, PHARMACIST);
		assert_ok!(dispense(PHARMACIST, unit("A1")));
		let history = kinds(&epc("A1"));
		assert_eq!(history.len() as u32, max);
		assert_eq!(history[0], EventKind::Commissioned);
		assert_eq!(
			history[history.len() - 5..],
			[
				EventKind::Packed { parent: sscc(1) },
				EventKind::Shipped { to: PHARMACY_ORG },
				EventKind::Received { from: MAKER_ORG },
				EventKind::Unpacked { parent: sscc(1) },
				EventKind::Dispensed { commitment: commitment(&unit("A1")) },
			]
		);
	});
}

#[test]
fn repeated_counterfeit_reports_cannot_push_custody_out_of_a_history() {
	run_test(|| {
		setup();
		ship_and_receive(epc("A1"), MAKER, PHARMACY_ORG, PHARMACIST);
		assert_ok!(dispense(PHARMACIST, unit("A1")));
		let before = kinds(&epc("A1"));
		for _ in 0..40 {
			assert_ok!(dispense(OTHER_PHARMACIST, unit("A1")));
		}
		assert_eq!(CounterfeitReports::<Test>::get(unit("A1")), 40);
		assert_eq!(kinds(&epc("A1")), [before, vec![EventKind::CounterfeitReported]].concat());
	});
}

#[test]
fn made_up_identifiers_leave_no_state() {
	run_test(|| {
		setup();
		ship_and_receive(epc("A1"), MAKER, PHARMACY_ORG, PHARMACIST);
		let before = provenance_keys();
		for i in 0..200 {
			let fake = unit(&format!("FAKE{i}"));
			assert_ok!(Provenance::verify_product(signed(OTHER_PHARMACIST), fake.clone()));
			assert_eq!(last_verification(), Verification::Unknown);
			assert_noop!(dispense(PHARMACIST, fake.clone()), Error::<Test>::UnknownUnit);
			let other_product = Sgtin { gtin: other_gtin(), serial: serial(&format!("X{i}")) };
			assert_ok!(Provenance::verify_product(signed(INSPECTOR), other_product.clone()));
			assert_noop!(dispense(PHARMACIST, other_product), Error::<Test>::UnknownUnit);
		}
		assert_eq!(provenance_keys(), before);
	});
}

#[test]
fn disaggregate_bounds_its_input_before_reading_it() {
	run_test(|| {
		setup();
		assert_ok!(Provenance::aggregate(signed(MAKER), sscc(1), vec![epc("A1")]));
		let max = <Test as crate::Config>::MaxChildren::get();
		let too_many: Vec<Epc> = (0..=max).map(|i| epc(&format!("Z{i}"))).collect();
		assert_noop!(
			Provenance::disaggregate(signed(MAKER), sscc(1), too_many.clone()),
			Error::<Test>::TooManyChildren
		);
		assert_noop!(
			Provenance::disaggregate(signed(MAKER), sscc(1), too_many[..max as usize].to_vec()),
			Error::<Test>::NotInContainer
		);
	});
}

#[test]
fn custody_calls_refuse_other_organizations() {
	run_test(|| {
		setup();
		assert_ok!(Provenance::aggregate(signed(MAKER), sscc(1), vec![epc("A1")]));
		// Packing another's units, unpacking or shipping another's case, recalling another's lot.
		assert_noop!(
			Provenance::aggregate(signed(OTHER_MAKER), sscc(5), vec![epc("A2")]),
			Error::<Test>::NotOwner
		);
		assert_noop!(
			Provenance::aggregate(signed(OTHER_MAKER), sscc(1), vec![epc("A2")]),
			Error::<Test>::NotOwner
		);
		assert_noop!(
			Provenance::disaggregate(signed(OTHER_MAKER), sscc(1), vec![]),
			Error::<Test>::NotOwner
		);
		assert_noop!(
			Provenance::ship(signed(OTHER_MAKER), Epc::Container(sscc(1)), PHARMACY_ORG),
			Error::<Test>::NotOwner
		);
		assert_noop!(
			Provenance::recall_lot(signed(OTHER_MAKER), gtin(), lot("L1"), H256::zero()),
			Error::<Test>::NotProductManufacturer
		);
		assert_noop!(
			Provenance::commission(
				signed(OTHER_MAKER),
				gtin(),
				lot("L1"),
				TODAY + 365,
				vec![serial("B1")]
			),
			Error::<Test>::NotProductManufacturer
		);
		// Dispensing by a non-pharmacy, even the owner.
		assert_noop!(dispense(MAKER, unit("A2")), Error::<Test>::NotPharmacy);
		// A case cannot be packed into itself or into what it holds.
		assert_ok!(Provenance::aggregate(signed(MAKER), sscc(2), vec![Epc::Container(sscc(1))]));
		assert_noop!(
			Provenance::aggregate(signed(MAKER), sscc(1), vec![Epc::Container(sscc(2))]),
			Error::<Test>::ContainerNested
		);
		assert_noop!(
			Provenance::aggregate(signed(MAKER), sscc(2), vec![Epc::Container(sscc(2))]),
			Error::<Test>::ContainerNested
		);
	});
}

#[test]
fn nobody_squats_a_manufacturers_sscc() {
	run_test(|| {
		setup();
		ship_and_receive(epc("A1"), MAKER, WHOLESALER_ORG, WHOLESALER);
		// An SSCC under MAKER's company prefix 030777.
		let makers_sscc: Sscc = with_check_digit("00307770000000001");
		assert_noop!(
			Provenance::aggregate(signed(WHOLESALER), makers_sscc, vec![epc("A1")]),
			Error::<Test>::SsccOutsideCompanyPrefix
		);
		// Under no recorded prefix, the distributor packs freely; MAKER uses its own.
		assert_ok!(Provenance::aggregate(signed(WHOLESALER), sscc(1), vec![epc("A1")]));
		assert_ok!(Provenance::aggregate(signed(MAKER), makers_sscc, vec![epc("A2")]));
	});
}

/// Whether `needle` occurs in `haystack`.
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
	haystack.windows(needle.len()).any(|w| w == needle)
}

/// Every key and value in state, each pair concatenated, but, when `with_accounts` is false,
/// the registry's and the account records of `frame_system`, which list registered patients by
/// design. Events are in state too (`System::Events`).
fn state_bytes(with_accounts: bool) -> Vec<Vec<u8>> {
	let registry = sp_io::hashing::twox_128(b"Registry");
	use frame_support::storage::StoragePrefixedMap;
	let accounts = frame_system::Account::<Test>::final_prefix();
	let mut pairs = Vec::new();
	let mut key = Vec::new();
	while let Some(next) = sp_io::storage::next_key(&key) {
		if with_accounts || !(next.starts_with(&registry) || next.starts_with(&accounts)) {
			let value = sp_io::storage::get(&next).map(|v| v.to_vec()).unwrap_or_default();
			pairs.push([next.clone(), value].concat());
		}
		key = next;
	}
	pairs
}

/// What the chain must never see of a dispense: the patient's account, the prescription's
/// record id, its data key and the pharmacy's random bytes.
fn secrets() -> [(&'static str, Vec<u8>); 4] {
	[
		("the patient's account", PATIENT.encode()),
		("the prescription's record id", RX.encode()),
		("the prescription's data key", RX_DATA_KEY.to_vec()),
		("the commitment's random bytes", BLINDING.to_vec()),
	]
}

#[test]
fn a_dispense_puts_no_patient_or_prescription_in_state_events_or_the_call() {
	run_test(|| {
		setup();
		assert_ok!(Provenance::aggregate(signed(MAKER), sscc(1), vec![epc("A1")]));
		ship_and_receive(Epc::Container(sscc(1)), MAKER, PHARMACY_ORG, PHARMACIST);
		let fill = fill_nullifier(&RX_DATA_KEY, &RX, 0);
		let call = RuntimeCall::Provenance(crate::Call::dispense {
			sgtin: unit("A1"),
			commitment: commitment(&unit("A1")),
			fill: Some(fill),
		});
		assert_ok!(call.clone().dispatch(signed(PHARMACIST)));
		// The same identifier presented again: the counterfeit report carries nothing either.
		assert_ok!(dispense_fill(OTHER_PHARMACIST, unit("A1"), 1));

		// What the chain keeps, decoded: the unit, its commitment, its history, the event.
		let kept = Units::<Test>::get(unit("A1")).expect("kept");
		assert_eq!((kept.owner, kept.status), (PHARMACY_ORG, UnitStatus::Dispensed));
		assert_eq!(DispenseCommitments::<Test>::get(unit("A1")), Some(commitment(&unit("A1"))));
		assert!(System::events().iter().any(|r| r.event
			== RuntimeEvent::Provenance(Event::UnitDispensed {
				sgtin: unit("A1"),
				pharmacy: PHARMACY_ORG,
				commitment: commitment(&unit("A1")),
			})));

		// And as bytes: the call (the block body), every event and all state outside the
		// registry hold none of the secrets.
		let events: Vec<Vec<u8>> = System::events().iter().map(|r| r.encode()).collect();
		let state = state_bytes(false);
		for (what, secret) in secrets() {
			assert!(!contains(&call.encode(), &secret), "the call holds {what}");
			for event in &events {
				assert!(!contains(event, &secret), "an event holds {what}");
			}
			for pair in &state {
				assert!(!contains(pair, &secret), "state under {} holds {what}", hex(&pair[..32]));
			}
		}
		// The search is not blind: the registry and the account records list the patient, and
		// the commitment and the spent fill are where they should be.
		assert!(state_bytes(true).iter().any(|pair| contains(pair, &PATIENT.encode())));
		assert!(state.iter().any(|pair| contains(pair, commitment(&unit("A1")).as_bytes())));
		assert!(state.iter().any(|pair| contains(pair, fill.as_bytes())));
	});
}

#[test]
fn an_opening_with_the_wrong_patient_prescription_blinding_or_unit_fails() {
	run_test(|| {
		setup();
		ship_and_receive(epc("A1"), MAKER, PHARMACY_ORG, PHARMACIST);
		ship_and_receive(epc("A2"), MAKER, PHARMACY_ORG, PHARMACIST);
		assert_ok!(dispense_fill(PHARMACIST, unit("A1"), 0));
		assert!(Provenance::verify_dispense_opening(&unit("A1"), &opening()));

		let wrong_patient = DispenseOpening { patient: DOCTOR, ..opening() };
		let wrong_prescription = DispenseOpening { prescription: Some(H256([7; 32])), ..opening() };
		let no_prescription = DispenseOpening { prescription: None, ..opening() };
		let mut blinding = BLINDING;
		blinding[31] ^= 1;
		let wrong_blinding = DispenseOpening { blinding, ..opening() };
		for forged in [wrong_patient, wrong_prescription, no_prescription, wrong_blinding] {
			assert!(!Provenance::verify_dispense_opening(&unit("A1"), &forged), "{forged:?}");
		}
		// A's opening does not open another unit, dispensed or not, nor an unknown one.
		assert_ok!(dispense(PHARMACIST, unit("A2")));
		let stored = DispenseCommitments::<Test>::get(unit("A2")).expect("dispensed");
		assert!(!verify_dispense_opening(&stored, &unit("A1"), &opening()));
		assert!(!Provenance::verify_dispense_opening(&unit("A3"), &opening()));
		assert!(!Provenance::verify_dispense_opening(&unit("NONE"), &opening()));
		// A dispense with no prescription opens with none.
		let commitment = dispense_commitment(&PATIENT, None, &unit("A3"), &BLINDING);
		assert!(verify_dispense_opening(
			&commitment,
			&unit("A3"),
			&DispenseOpening { prescription: None, ..opening() }
		));
	});
}

#[test]
fn a_zero_commitment_is_refused() {
	run_test(|| {
		setup();
		ship_and_receive(epc("A1"), MAKER, PHARMACY_ORG, PHARMACIST);
		assert_noop!(
			Provenance::dispense(signed(PHARMACIST), unit("A1"), H256::zero(), None),
			Error::<Test>::MissingCommitment
		);
	});
}

#[test]
fn each_fill_of_a_prescription_is_dispensed_once_by_any_pharmacy() {
	run_test(|| {
		setup();
		commission("L1", &["A4"]);
		for serial in ["A1", "A2", "A3"] {
			ship_and_receive(epc(serial), MAKER, PHARMACY_ORG, PHARMACIST);
		}
		ship_and_receive(epc("A4"), MAKER, OTHER_PHARMACY_ORG, OTHER_PHARMACIST);
		let max_fills: u32 = <Test as crate::Config>::MaxFillsPerPrescription::get();
		assert_eq!(max_fills, 2);

		assert_ok!(dispense_fill(PHARMACIST, unit("A1"), 0));
		// The same fill again, at this pharmacy or at another one the patient also gave the
		// prescription (both hold its data key): refused.
		assert_noop!(dispense_fill(PHARMACIST, unit("A2"), 0), Error::<Test>::PrescriptionFillUsed);
		assert_noop!(
			dispense_fill(OTHER_PHARMACIST, unit("A4"), 0),
			Error::<Test>::PrescriptionFillUsed
		);
		// The refill, up to the bound the pharmacies read from the chain.
		assert_ok!(dispense_fill(OTHER_PHARMACIST, unit("A4"), 1));
		let spent: Vec<bool> = (0..max_fills)
			.map(|fill| {
				FillNullifiers::<Test>::contains_key(fill_nullifier(&RX_DATA_KEY, &RX, fill))
			})
			.collect();
		assert_eq!(spent, vec![true, true], "no fill is left: the pharmacy refuses a third");
		assert_noop!(dispense_fill(PHARMACIST, unit("A2"), 1), Error::<Test>::PrescriptionFillUsed);

		// The nullifiers of one prescription share nothing the chain could link, and an
		// amended prescription (a new record id) has fills of its own.
		let amended = H256(*b"rx:the-amended-version-record-id");
		let nullifiers = [
			fill_nullifier(&RX_DATA_KEY, &RX, 0),
			fill_nullifier(&RX_DATA_KEY, &RX, 1),
			fill_nullifier(&RX_DATA_KEY, &amended, 0),
			fill_nullifier(&[0; 32], &RX, 0),
		];
		for (i, a) in nullifiers.iter().enumerate() {
			for b in &nullifiers[i + 1..] {
				assert_ne!(a, b);
			}
		}
		let commitment = commitment(&unit("A2"));
		assert_ok!(Provenance::dispense(
			signed(PHARMACIST),
			unit("A2"),
			commitment,
			Some(fill_nullifier(&RX_DATA_KEY, &amended, 0))
		));
		// A unit dispensed without a prescription spends no fill.
		let before = FillNullifiers::<Test>::iter().count();
		assert_ok!(dispense(PHARMACIST, unit("A3")));
		assert_eq!(FillNullifiers::<Test>::iter().count(), before);
	});
}

#[test]
fn a_copy_of_a_dispensed_unit_is_reported_and_spends_no_fill() {
	run_test(|| {
		setup();
		ship_and_receive(epc("A1"), MAKER, PHARMACY_ORG, PHARMACIST);
		assert_ok!(dispense_fill(PHARMACIST, unit("A1"), 0));
		// The copy is presented against the refill at another pharmacy.
		assert_ok!(dispense_fill(OTHER_PHARMACIST, unit("A1"), 1));
		System::assert_last_event(
			Event::CounterfeitSuspected {
				sgtin: unit("A1"),
				reported_by: OTHER_PHARMACY_ORG,
				sign: CounterfeitSign::AlreadyDispensed,
			}
			.into(),
		);
		assert!(!FillNullifiers::<Test>::contains_key(fill_nullifier(&RX_DATA_KEY, &RX, 1)));
		assert_eq!(DispenseCommitments::<Test>::get(unit("A1")), Some(commitment(&unit("A1"))));
		// Only the real dispense counts towards the day's dispensing (what wellness fill
		// reports are bounded by); the copy's pharmacy dispensed nothing.
		let today = u32::try_from(Timestamp::get() / DAY).expect("a day");
		assert_eq!(DispensedPerDay::<Test>::get(PHARMACY_ORG, today), 1);
		assert_eq!(DispensedPerDay::<Test>::get(OTHER_PHARMACY_ORG, today), 0);
	});
}

#[test]
fn recalled_suspect_illegitimate_and_expired_units_are_not_dispensed_and_spend_no_fill() {
	run_test(|| {
		setup();
		commission("L2", &["B1", "B2"]);
		for serial in ["A1", "A2", "A3", "B1", "B2"] {
			ship_and_receive(epc(serial), MAKER, PHARMACY_ORG, PHARMACIST);
		}
		assert_ok!(Provenance::recall_lot(signed(MAKER), gtin(), lot("L1"), H256::zero()));
		assert_noop!(dispense_fill(PHARMACIST, unit("A1"), 0), Error::<Test>::UnitRecalled);
		assert_ok!(Provenance::mark_suspect(signed(INSPECTOR), unit("B1"), H256::zero()));
		assert_noop!(dispense_fill(PHARMACIST, unit("B1"), 0), Error::<Test>::UnitSuspect);
		assert_ok!(Provenance::declare_illegitimate(signed(INSPECTOR), unit("B1")));
		assert_noop!(dispense_fill(PHARMACIST, unit("B1"), 0), Error::<Test>::UnitIllegitimate);
		Timestamp::set_timestamp(START + 366 * DAY);
		assert_noop!(dispense_fill(PHARMACIST, unit("B2"), 0), Error::<Test>::UnitExpired);
		assert!(FillNullifiers::<Test>::iter().next().is_none());
		assert!(DispenseCommitments::<Test>::iter().next().is_none());
	});
}

/// The vectors `client-js/src/dispense.test.js` checks too: both sides hash the same bytes.
#[test]
fn commitment_and_nullifier_match_the_client_js_vectors() {
	let patient: [u8; 32] = core::array::from_fn(|i| i as u8 + 1);
	let sgtin = Sgtin {
		gtin: *b"00312345678906",
		serial: b"SN0001".to_vec().try_into().expect("short serial"),
	};
	let commitment = dispense_commitment(&patient, Some(&H256([0xaa; 32])), &sgtin, &[0x42; 32]);
	assert_eq!(
		hex(commitment.as_bytes()),
		"61c9fa187abe58a679ba919cad2c475b5701f3572beba349926c2fbd00d7c964"
	);
	let none = dispense_commitment(&patient, None, &sgtin, &[0x42; 32]);
	assert_eq!(
		hex(none.as_bytes()),
		"25b7943e71056e3f01d804d4a1cfaf47202a9ad01ea0c20dd568715ac9167ff9"
	);
	let nullifier = fill_nullifier(&[0x07; 32], &H256([0xaa; 32]), 3);
	assert_eq!(
		hex(nullifier.as_bytes()),
		"c41d1bd66f36a61219f694a4b2b7322bf4d47c0252af90b1f36a81196643c5e2"
	);
}

fn hex(bytes: &[u8]) -> String {
	bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn the_migration_to_v1_removes_prescriptions_from_state() {
	use crate::migrations::v1::{v0, MigrateV0ToV1};
	use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion};
	run_test(|| {
		setup();
		ship_and_receive(epc("A1"), MAKER, PHARMACY_ORG, PHARMACIST);
		assert_ok!(dispense(PHARMACIST, unit("A1")));
		// Version 0's state: the dispensing event names the prescription, and fills are
		// counted by record id.
		let slot = Provenance::history_slot(HistoryLength::<Test>::get(epc("A1")) - 1);
		let at = History::<Test>::get(epc("A1"), slot).expect("dispensed").at;
		let old = (v0::DISPENSED, Some(RX), PHARMACY_ORG, at);
		let key = History::<Test>::hashed_key_for(epc("A1"), slot);
		sp_io::storage::set(&key, &old.encode());
		v0::PrescriptionFills::<Test>::insert(RX, 1);
		DispenseCommitments::<Test>::remove(unit("A1"));
		StorageVersion::new(0).put::<Provenance>();
		assert!(state_bytes(false).iter().any(|pair| contains(pair, RX.as_bytes())));

		MigrateV0ToV1::<Test>::on_runtime_upgrade();

		assert_eq!(Provenance::on_chain_storage_version(), 1);
		assert!(!state_bytes(false).iter().any(|pair| contains(pair, RX.as_bytes())));
		assert_eq!(
			History::<Test>::get(epc("A1"), slot).map(|e| e.kind),
			Some(EventKind::Dispensed { commitment: H256::zero() })
		);
		assert_eq!(
			kinds(&epc("A1"))[..2],
			[EventKind::Commissioned, EventKind::Shipped { to: PHARMACY_ORG }]
		);
	});
}

#[test]
fn the_seller_cannot_quarantine_goods_in_transit_to_the_buyer() {
	run_test(|| {
		setup();
		assert_ok!(Provenance::aggregate(signed(MAKER), sscc(1), vec![epc("A2")]));
		assert_ok!(Provenance::ship(signed(MAKER), epc("A1"), PHARMACY_ORG));
		assert_ok!(Provenance::ship(signed(MAKER), Epc::Container(sscc(1)), PHARMACY_ORG));
		// The manufacturer still owns both on the way, but has sold them.
		for serial in ["A1", "A2"] {
			assert_noop!(
				Provenance::mark_suspect(signed(MAKER), unit(serial), H256::repeat_byte(7)),
				Error::<Test>::InTransitRegulatorOnly
			);
		}
		// A regulator may quarantine goods on their way; the sender may not condemn them.
		assert_ok!(Provenance::mark_suspect(signed(INSPECTOR), unit("A1"), H256::repeat_byte(7)));
		assert_noop!(
			Provenance::declare_illegitimate(signed(MAKER), unit("A1")),
			Error::<Test>::InTransitRegulatorOnly
		);
		assert_ok!(Provenance::declare_illegitimate(signed(INSPECTOR), unit("A1")));
		// Once received, the buyer owns the goods and may quarantine them itself.
		assert_ok!(Provenance::receive(signed(PHARMACIST), Epc::Container(sscc(1))));
		assert_ok!(Provenance::mark_suspect(signed(PHARMACIST), unit("A2"), H256::repeat_byte(7)));
		assert_noop!(
			Provenance::mark_suspect(signed(MAKER), unit("A2"), H256::repeat_byte(7)),
			Error::<Test>::NotOwnerOrRegulator
		);
	});
}
