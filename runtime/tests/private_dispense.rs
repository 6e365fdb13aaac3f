//! Dispensing on the real runtime, with its 32-byte accounts: no patient account and no
//! prescription record id in the call, the provenance pallet's state or the events.

use carechain_runtime::{genesis, Provenance, RuntimeCall, RuntimeOrigin, System};
use codec::Encode;
use frame_support::assert_ok;
use pallet_provenance::{
	dispense_commitment, fill_nullifier, DispenseOpening, Epc, Gtin, Serial, Sgtin,
};
use sp_core::H256;
use sp_keyring::Sr25519Keyring;
use sp_runtime::{traits::Dispatchable, BuildStorage};

/// NDC labeler 12345 under One Pharmaceuticals' company prefix 0312345.
const GTIN: Gtin = *b"00312345678906";

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
	haystack.windows(needle.len()).any(|w| w == needle)
}

/// Every key and value under a pallet's storage prefix, each pair concatenated.
fn pallet_state(pallet: &[u8]) -> Vec<Vec<u8>> {
	let prefix = sp_io::hashing::twox_128(pallet);
	let mut pairs = Vec::new();
	let mut key = prefix.to_vec();
	while let Some(next) = sp_io::storage::next_key(&key) {
		if !next.starts_with(&prefix) {
			break;
		}
		let value = sp_io::storage::get(&next).map(|v| v.to_vec()).unwrap_or_default();
		pairs.push([next.clone(), value].concat());
		key = next;
	}
	pairs
}

#[test]
fn a_dispense_on_the_runtime_names_no_patient_or_prescription() {
	let storage = genesis::development().build_storage().expect("the dev genesis builds");
	sp_io::TestExternalities::new(storage).execute_with(|| {
		System::set_block_number(1);
		let one = RuntimeOrigin::signed(Sr25519Keyring::One.to_account_id());
		let dave = Sr25519Keyring::Dave.to_account_id();
		let serial: Serial = b"SN0001".to_vec().try_into().expect("short serial");
		let sgtin = Sgtin { gtin: GTIN, serial: serial.clone() };
		assert_ok!(Provenance::register_product(one.clone(), GTIN, H256::repeat_byte(1)));
		let lot = b"LOTA1".to_vec().try_into().expect("short lot");
		assert_ok!(Provenance::commission(one.clone(), GTIN, lot, 365, vec![serial]));
		// Dave's Pharmacy is organization 2.
		assert_ok!(Provenance::ship(one, Epc::Unit(sgtin.clone()), 2));
		assert_ok!(Provenance::receive(
			RuntimeOrigin::signed(dave.clone()),
			Epc::Unit(sgtin.clone())
		));

		// Eve, a registered patient, brings a prescription; Dave's Pharmacy holds its data key.
		let eve = Sr25519Keyring::Eve.to_account_id();
		let prescription = H256(*b"rx:eve's-medication-request-v1!!");
		let data_key = [0x5a; 32];
		let opening = DispenseOpening {
			patient: eve.clone(),
			prescription: Some(prescription),
			blinding: [0x42; 32],
		};
		let commitment = dispense_commitment(&eve, Some(&prescription), &sgtin, &opening.blinding);
		let call = RuntimeCall::Provenance(pallet_provenance::Call::dispense {
			sgtin: sgtin.clone(),
			commitment,
			fill: Some(fill_nullifier(&data_key, &prescription, 0)),
		});
		assert_ok!(call.clone().dispatch(RuntimeOrigin::signed(dave)));
		assert!(Provenance::verify_dispense_opening(&sgtin, &opening));

		let eve_bytes: &[u8] = eve.as_ref();
		assert_eq!(eve_bytes.len(), 32);
		let events = System::events().encode();
		let state = pallet_state(b"Provenance");
		for (what, secret) in [
			("Eve's account", eve_bytes),
			("the prescription's record id", prescription.as_bytes()),
			("the data key", &data_key[..]),
		] {
			assert!(!contains(&call.encode(), secret), "the call holds {what}");
			assert!(!contains(&events, secret), "the events hold {what}");
			assert!(!state.iter().any(|pair| contains(pair, secret)), "state holds {what}");
		}
		// The search is not blind: the registry lists Eve, the provenance pallet the commitment.
		assert!(pallet_state(b"Registry").iter().any(|pair| contains(pair, eve_bytes)));
		assert!(state.iter().any(|pair| contains(pair, commitment.as_bytes())));
	});
}
