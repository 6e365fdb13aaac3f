//! Genesis presets: the founding consortium of a development chain.

use crate::{AccountId, RuntimeGenesisConfig};
use alloc::{vec, vec::Vec};
use carechain_primitives::{OrgKind, Purpose, Role};
use pallet_registry::Licence;
use sp_core::H256;
use sp_genesis_builder::PresetId;
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};

/// The development preset's name.
pub const DEVELOPMENT: &str = sp_genesis_builder::DEV_RUNTIME_PRESET;

/// The X25519 encryption key the development preset registers for a dev patient. Wallets
/// derive the real one from the patient's seed; this one is only a well-known placeholder.
pub fn dev_encryption_key(name: &str) -> [u8; 32] {
	sp_io::hashing::blake2_256(&[b"carechain/dev-x25519/", name.as_bytes()].concat())
}

/// The settlement funds of the development payer: ten million in cents.
pub const DEV_PAYER_FUNDS: crate::Balance = 1_000_000_000;

/// `//Grace` of the development phrase, sr25519 then ed25519: the research sponsor's
/// practitioner, a name the keyrings lack.
pub fn grace() -> [AccountId; 2] {
	use sp_core::Pair as _;
	let uri = "//Grace";
	let sr = sp_core::sr25519::Pair::from_string(uri, None).expect("a dev URI");
	let ed = sp_core::ed25519::Pair::from_string(uri, None).expect("a dev URI");
	[AccountId::from(sr.public()), AccountId::from(ed.public())]
}

fn both(sr: Sr25519Keyring, ed: Ed25519Keyring) -> [AccountId; 2] {
	[sr.to_account_id(), ed.to_account_id()]
}

/// The development consortium, with each well-known dev name as both an sr25519 and an
/// ed25519 account:
/// - St. Alice General Hospital (org 0, NPI 1234567893): Alice is admin, Bob a practitioner.
/// - Charlie Health Insurance (org 1, payer, GLN 0800000000013): Charlie is admin.
/// - Dave's Pharmacy (org 2, NPI 1234567885): Dave is admin.
/// - One Pharmaceuticals (org 3, manufacturer, GLN 0614141000005): One is admin.
/// - Two Distribution (org 4, distributor, GLN 0800000000020): Two is admin.
/// - Grace Clinical Research (org 5, research sponsor, GLN 0800000000037): Grace (`//Grace`,
///   which the keyrings lack: derived from the development phrase) is a practitioner, who
///   registers and runs studies.
/// - One Pharmaceuticals holds the GS1 company prefixes 0614141 and 0312345.
/// - Eve and Ferdie are registered patients. Each of their four accounts has granted St. Alice
///   General Hospital (org 0) a consent for treatment, payment and operations on all records
///   that never expires (`u64::MAX`), so that Bob may write and read their records (writing
///   needs the patient's consent); the end-to-end tests and the benchmark rely on it.
/// - Charlie holds [`DEV_PAYER_FUNDS`] of the settlement currency to fund policies.
/// - The council is Alice alone, so one signature passes governance motions.
/// - Alice's ed25519 key is the one validator, run by the hospital.
pub fn development() -> RuntimeGenesisConfig {
	use Ed25519Keyring as Ed;
	use Sr25519Keyring as Sr;
	// Each founder's documents (here only a label) stay off chain: their hash is kept.
	let org = |kind, licence, label: &str, members: Vec<(AccountId, Role)>| {
		(kind, licence, H256(sp_io::hashing::blake2_256(label.as_bytes())), members)
	};
	let with_role = |accounts: [AccountId; 2], role| accounts.map(|a| (a, role)).to_vec();
	let hospital = [
		with_role(both(Sr::Alice, Ed::Alice), Role::Admin),
		with_role(both(Sr::Bob, Ed::Bob), Role::Practitioner),
	]
	.concat();

	let patients: Vec<_> =
		[("Eve", both(Sr::Eve, Ed::Eve)), ("Ferdie", both(Sr::Ferdie, Ed::Ferdie))]
			.into_iter()
			.flat_map(|(name, accounts)| accounts.map(|a| (a, dev_encryption_key(name))))
			.collect();
	let consents = patients
		.iter()
		.map(|(patient, _)| {
			(
				patient.clone(),
				pallet_consent::Grantee::Organization(0),
				pallet_consent::ConsentScope::AllRecords,
				vec![Purpose::Treatment, Purpose::Payment, Purpose::Operations],
				u64::MAX,
			)
		})
		.collect();

	RuntimeGenesisConfig {
		registry: pallet_registry::GenesisConfig {
			organizations: vec![
				org(
					OrgKind::Hospital,
					Licence::npi(*b"123456789"),
					"St. Alice General Hospital; licence H-0001",
					hospital,
				),
				org(
					OrgKind::Payer,
					Licence::gln(*b"080000000001"),
					"Charlie Health Insurance; licence P-0001",
					with_role(both(Sr::Charlie, Ed::Charlie), Role::Admin),
				),
				org(
					OrgKind::Pharmacy,
					Licence::npi(*b"123456788"),
					"Dave's Pharmacy; licence R-0001",
					with_role(both(Sr::Dave, Ed::Dave), Role::Admin),
				),
				org(
					OrgKind::Manufacturer,
					Licence::gln(*b"061414100000"),
					"One Pharmaceuticals; licence M-0001",
					with_role(both(Sr::One, Ed::One), Role::Admin),
				),
				org(
					OrgKind::Distributor,
					Licence::gln(*b"080000000002"),
					"Two Distribution; licence D-0001",
					with_role(both(Sr::Two, Ed::Two), Role::Admin),
				),
				org(
					OrgKind::ResearchSponsor,
					Licence::gln(*b"080000000003"),
					"Grace Clinical Research; licence S-0001",
					with_role(grace(), Role::Practitioner),
				),
			],
			patients,
			validators: vec![(Ed::Alice.public().0, 0)],
		},
		consent: pallet_consent::GenesisConfig { consents },
		balances: pallet_balances::GenesisConfig {
			balances: both(Sr::Charlie, Ed::Charlie).map(|a| (a, DEV_PAYER_FUNDS)).to_vec(),
			..Default::default()
		},
		provenance: pallet_provenance::GenesisConfig {
			// One Pharmaceuticals' GS1 company prefixes: GS1's example prefix and an NDC
			// labeler's (`03` + labeler code 12345).
			company_prefixes: vec![(3, vec!["0614141".into(), "0312345".into()])],
			..Default::default()
		},
		council_membership: pallet_membership::GenesisConfig {
			members: vec![Sr::Alice.to_account_id()].try_into().expect("within MaxMembers"),
			..Default::default()
		},
		..Default::default()
	}
}

/// The local testnet's preset name.
pub const LOCAL_TESTNET: &str = sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET;

/// The development consortium with these validator keys, run by the five founding
/// organizations in turn (the first by the hospital, the second by the payer, and so on).
pub fn development_with_validators(
	keys: impl IntoIterator<Item = [u8; 32]>,
) -> RuntimeGenesisConfig {
	let mut config = development();
	config.registry.validators = keys.into_iter().zip((0u32..5).cycle()).collect();
	config
}

/// The development consortium with four validators, each run by a founding organization:
/// the ed25519 keys of Alice (hospital), Bob (payer), Charlie (pharmacy) and Dave
/// (manufacturer).
pub fn local_testnet() -> RuntimeGenesisConfig {
	use Ed25519Keyring as Ed;
	development_with_validators([Ed::Alice, Ed::Bob, Ed::Charlie, Ed::Dave].map(|k| k.public().0))
}

/// The preset of that name, as JSON.
pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
	let config = match id.as_ref() {
		DEVELOPMENT => development(),
		LOCAL_TESTNET => local_testnet(),
		_ => return None,
	};
	Some(serde_json::to_vec(&config).expect("the genesis config serializes"))
}

/// The names of the presets.
pub fn preset_names() -> Vec<PresetId> {
	vec![PresetId::from(DEVELOPMENT), PresetId::from(LOCAL_TESTNET)]
}
