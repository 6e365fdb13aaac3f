//! Unit tests of the provenance pallet and the supply-chain scenario: 1,000 units commissioned
//! into a case, shipped and received, verified, recalled, and counterfeits caught at dispensing.

// Test and benchmark set-up arithmetic works on small known values.
#![allow(clippy::arithmetic_side_effects)]

use crate::{
	mock::*, Containers, CounterfeitReports, CounterfeitSign, Epc, Error, Event, EventKind, Gtin,
	HistoryLength, Lot, Lots, Serial, Sgtin, Sscc, UnitStatus, Units, Verification,
	VerificationCount, Verifications,
};
use carechain_primitives::{FhirResourceType, RecordId};
use frame_support::{assert_noop, assert_ok};
use sp_core::H256;

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

fn prescription(resource_type: FhirResourceType) -> RecordId {
	let index = pallet_records::PatientRecordCount::<Test>::get(PATIENT);
	assert_ok!(Records::create_record(
		signed(DOCTOR),
		PATIENT,
		resource_type,
		pallet_records::RecordContent {
			content_hash: H256::repeat_byte(index as u8 + 1),
			size: 10,
			locator: vec![1; 8],
			patient_key: vec![1; 32],
		}
	));
	pallet_records::PatientRecords::<Test>::get(PATIENT, index).expect("created")
}

#[test]
fn provenance_scenario_catches_recalls_and_counterfeits() {
	new_test_ext().execute_with(|| {
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
		assert_noop!(
			Provenance::dispense(signed(PHARMACIST), unit("S0042"), None),
			Error::<Test>::UnitRecalled
		);
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
		assert_ok!(Provenance::dispense(signed(PHARMACIST), unit("G1"), None));
		System::assert_last_event(
			Event::UnitDispensed { sgtin: unit("G1"), pharmacy: PHARMACY_ORG, prescription: None }
				.into(),
		);
		assert_ok!(Provenance::dispense(signed(PHARMACIST), unit("G1"), None));
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
		assert_ok!(Provenance::dispense(signed(OTHER_PHARMACIST), unit("FAKE1"), None));
		System::assert_last_event(
			Event::CounterfeitSuspected {
				sgtin: unit("FAKE1"),
				reported_by: OTHER_PHARMACY_ORG,
				sign: CounterfeitSign::UnknownIdentifier,
			}
			.into(),
		);
		assert!(!Units::<Test>::contains_key(unit("FAKE1")));
	});
}

#[test]
fn register_product_checks_gtin_and_manufacturer() {
	new_test_ext().execute_with(|| {
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

#[test]
fn commission_rejects_bad_batches() {
	new_test_ext().execute_with(|| {
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
	new_test_ext().execute_with(|| {
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
	new_test_ext().execute_with(|| {
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
	new_test_ext().execute_with(|| {
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
	new_test_ext().execute_with(|| {
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
fn verification_is_recorded_for_known_and_unknown_identifiers() {
	new_test_ext().execute_with(|| {
		setup();
		assert_ok!(Provenance::verify_product(signed(OTHER_PHARMACIST), unit("NOPE")));
		assert_eq!(last_verification(), Verification::Unknown);
		let record = Verifications::<Test>::get(unit("NOPE"), 0).expect("recorded");
		assert_eq!((record.org, record.saleable), (OTHER_PHARMACY_ORG, false));
		for _ in 0..5 {
			assert_ok!(Provenance::verify_product(signed(INSPECTOR), unit("A1")));
		}
		// The ring keeps the latest four of the five requests.
		assert_eq!(VerificationCount::<Test>::get(unit("A1")), 5);
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
	new_test_ext().execute_with(|| {
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
	new_test_ext().execute_with(|| {
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
			Error::<Test>::NotOwnerOrRegulator
		);
		assert_ok!(Provenance::clear_suspect(signed(MAKER), unit("A1")));
		System::assert_last_event(
			Event::SuspicionCleared { sgtin: unit("A1"), by: MAKER_ORG }.into(),
		);
		assert_eq!(Units::<Test>::get(unit("A1")).map(|u| u.status), Some(UnitStatus::Active));

		assert_ok!(Provenance::mark_suspect(signed(MAKER), unit("A2"), H256::zero()));
		assert_ok!(Provenance::declare_illegitimate(signed(INSPECTOR), unit("A2")));
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
fn dispensing_unpacks_the_unit_and_links_the_prescription() {
	new_test_ext().execute_with(|| {
		setup();
		assert_ok!(Provenance::aggregate(signed(MAKER), sscc(1), vec![epc("A1"), epc("A2")]));
		assert_ok!(Provenance::aggregate(signed(MAKER), sscc(2), vec![Epc::Container(sscc(1))]));
		ship_and_receive(Epc::Container(sscc(2)), MAKER, PHARMACY_ORG, PHARMACIST);

		assert_noop!(
			Provenance::dispense(signed(WHOLESALER), unit("A1"), None),
			Error::<Test>::NotPharmacy
		);
		assert_noop!(
			Provenance::dispense(signed(OTHER_PHARMACIST), unit("A1"), None),
			Error::<Test>::NotOwner
		);
		let observation = prescription(FhirResourceType::Observation);
		assert_noop!(
			Provenance::dispense(signed(PHARMACIST), unit("A1"), Some(observation)),
			Error::<Test>::BadPrescription
		);
		assert_noop!(
			Provenance::dispense(signed(PHARMACIST), unit("A1"), Some(H256::repeat_byte(0xaa))),
			Error::<Test>::BadPrescription
		);
		let rx = prescription(FhirResourceType::MedicationRequest);
		assert_ok!(Provenance::dispense(signed(PHARMACIST), unit("A1"), Some(rx)));
		System::assert_last_event(
			Event::UnitDispensed {
				sgtin: unit("A1"),
				pharmacy: PHARMACY_ORG,
				prescription: Some(rx),
			}
			.into(),
		);
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
				EventKind::Dispensed { prescription: Some(rx) },
			]
		);
		// A unit shipped on is no longer the pharmacy's to dispense.
		assert_ok!(Provenance::ship(
			signed(PHARMACIST),
			Epc::Container(sscc(2)),
			OTHER_PHARMACY_ORG
		));
		assert_noop!(
			Provenance::dispense(signed(PHARMACIST), unit("A2"), None),
			Error::<Test>::InTransit
		);
	});
}

#[test]
fn histories_are_bounded() {
	new_test_ext().execute_with(|| {
		setup();
		ship_and_receive(epc("A1"), MAKER, PHARMACY_ORG, PHARMACIST);
		// Commissioned, then 7 shipments received: 15 events of the 16 allowed.
		for _ in 0..3 {
			ship_and_receive(epc("A1"), PHARMACIST, OTHER_PHARMACY_ORG, OTHER_PHARMACIST);
			ship_and_receive(epc("A1"), OTHER_PHARMACIST, PHARMACY_ORG, PHARMACIST);
		}
		assert_eq!(HistoryLength::<Test>::get(epc("A1")), 15);
		assert_ok!(Provenance::ship(signed(PHARMACIST), epc("A1"), OTHER_PHARMACY_ORG));
		assert_noop!(
			Provenance::receive(signed(OTHER_PHARMACIST), epc("A1")),
			Error::<Test>::HistoryFull
		);
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
	assert_eq!(EventKind::Dispensed { prescription: None }.epcis().3, "dispensed");
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
