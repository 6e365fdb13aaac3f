//! The runtime executed natively through `api::dispatch` inside `sp-state-machine` over an
//! in-memory trie backend: a block is authored with several ed25519-signed extrinsics, then
//! imported on a fresh copy of genesis, and both state roots must equal the header's.

// Test and benchmark set-up arithmetic works on small known values.
#![allow(clippy::arithmetic_side_effects)]

use carechain_node::{executor::NativeExecutor, extrinsic::sign};
use carechain_primitives::{AccessBasis, AuditAction, Decision, FhirResourceType, Purpose};
use carechain_runtime::{
	genesis, AccountId, Block, Header, Runtime, RuntimeCall, UncheckedExtrinsic,
};
use codec::{Decode, Encode};
use sp_core::{
	crypto::Pair as _,
	ed25519,
	traits::{CallContext, RuntimeCode, WrappedRuntimeCode},
	H256,
};
use sp_externalities::Extensions;
use sp_keyring::Ed25519Keyring;
use sp_runtime::{
	traits::{BlakeTwo256, Block as BlockT, Hash as _, Header as _},
	transaction_validity::{
		InvalidTransaction, TransactionSource, TransactionValidity, TransactionValidityError,
	},
	ApplyExtrinsicResult, BuildStorage, StateVersion,
};
use sp_state_machine::{InMemoryBackend, OverlayedChanges, StateMachine};

struct Chain {
	backend: InMemoryBackend<BlakeTwo256>,
	overlay: OverlayedChanges<BlakeTwo256>,
}

impl Chain {
	fn genesis() -> Self {
		let storage = genesis::development().build_storage().expect("the dev genesis builds");
		Self { backend: (storage, StateVersion::V1).into(), overlay: Default::default() }
	}

	fn call(&mut self, method: &str, data: &[u8]) -> Vec<u8> {
		let import = method == "Core_execute_block";
		let code = WrappedRuntimeCode(Vec::new().into());
		let runtime_code = RuntimeCode { code_fetcher: &code, heap_pages: None, hash: Vec::new() };
		let mut extensions = Extensions::default();
		let result = StateMachine::new(
			&self.backend,
			&mut self.overlay,
			&NativeExecutor,
			method,
			data,
			&mut extensions,
			&runtime_code,
			CallContext::Onchain { import },
		)
		.execute();
		result.unwrap_or_else(|e| panic!("{method} failed: {e:?}"))
	}

	fn state_root(&mut self) -> H256 {
		self.overlay.storage_root(&self.backend, StateVersion::V1).0
	}

	fn genesis_header(&mut self) -> Header {
		Header::new(
			0,
			sp_trie::empty_trie_root::<sp_trie::LayoutV1<BlakeTwo256>>(),
			self.state_root(),
			H256::zero(),
			Default::default(),
		)
	}
}

fn timestamp(now: u64) -> UncheckedExtrinsic {
	UncheckedExtrinsic::new_bare(RuntimeCall::Timestamp(pallet_timestamp::Call::set { now }))
}

/// Applies an extrinsic as a block builder does: inside a storage transaction that is rolled
/// back when the extrinsic is invalid, so that it leaves no trace in the block.
fn apply(chain: &mut Chain, extrinsic: &UncheckedExtrinsic) -> ApplyExtrinsicResult {
	chain.overlay.start_transaction();
	let out = chain.call("BlockBuilder_apply_extrinsic", &extrinsic.encode());
	let result = ApplyExtrinsicResult::decode(&mut &out[..])
		.expect("the runtime returns an ApplyExtrinsicResult");
	if result.is_ok() {
		chain.overlay.commit_transaction().expect("a transaction was started");
	} else {
		chain.overlay.rollback_transaction().expect("a transaction was started");
	}
	result
}

#[test]
fn authored_block_imports_with_the_same_state_root() {
	let mut author = Chain::genesis();
	let genesis_header = author.genesis_header();
	let genesis_hash = genesis_header.hash();

	let doctor = Ed25519Keyring::Bob.pair();
	let patient = Ed25519Keyring::Eve.pair();
	let admin = Ed25519Keyring::Alice.pair();
	let newcomer = ed25519::Pair::from_seed(&[42u8; 32]);
	let stranger = ed25519::Pair::from_seed(&[43u8; 32]);

	let content = pallet_records::RecordContent {
		content_hash: BlakeTwo256::hash(b"ciphertext"),
		size: 10,
		locator: BlakeTwo256::hash(b"ciphertext"),
		patient_key: [7u8; 80],
	};
	let signed = vec![
		sign(
			&doctor,
			0,
			RuntimeCall::Records(pallet_records::Call::create_record {
				patient: patient.public().into(),
				resource_type: FhirResourceType::Observation,
				content,
			}),
			genesis_hash,
		),
		sign(
			&patient,
			0,
			RuntimeCall::Consent(pallet_consent::Call::grant {
				patient: patient.public().into(),
				grantee: pallet_consent::Grantee::Organization(1),
				scope: pallet_consent::ConsentScope::AllRecords,
				purposes: vec![Purpose::Payment],
				expires_at: 2_000_000_000_000,
				wrapped_keys: vec![],
			}),
			genesis_hash,
		),
		sign(
			&newcomer,
			0,
			RuntimeCall::Registry(pallet_registry::Call::register_patient {
				encryption_key: [5u8; 32],
				guardians: vec![],
			}),
			genesis_hash,
		),
		sign(
			&admin,
			0,
			RuntimeCall::Registry(pallet_registry::Call::add_member {
				who: stranger.public().into(),
				role: carechain_primitives::Role::Staff,
			}),
			genesis_hash,
		),
	];
	let refused = sign(
		&ed25519::Pair::from_seed(&[44u8; 32]),
		0,
		RuntimeCall::Registry(pallet_registry::Call::rotate_encryption_key {
			encryption_key: [1u8; 32],
		}),
		genesis_hash,
	);

	let header = Header::new(1, H256::zero(), H256::zero(), genesis_hash, Default::default());
	author.call("Core_initialize_block", &header.encode());
	let mut extrinsics = vec![timestamp(1_700_000_000_000)];
	for extrinsic in extrinsics.iter().chain(&signed) {
		assert_eq!(apply(&mut author, extrinsic), Ok(Ok(())), "{extrinsic:?}");
	}
	// Neither member nor patient: the permission check refuses it, and it stays out.
	assert_eq!(
		apply(&mut author, &refused),
		Err(TransactionValidityError::Invalid(InvalidTransaction::Custom(
			carechain_runtime::extensions::SIGNER_NOT_PERMITTED
		)))
	);
	extrinsics.extend(signed);
	let out = author.call("BlockBuilder_finalize_block", &[]);
	let header = Header::decode(&mut &out[..]).expect("finalize_block returns a header");
	let block = Block::new(header.clone(), extrinsics);
	assert_eq!(author.state_root(), header.state_root, "the header carries the author's root");

	let mut importer = Chain::genesis();
	assert_eq!(importer.genesis_header().hash(), genesis_hash);
	importer.call("Core_execute_block", &block.encode());
	assert_eq!(importer.state_root(), header.state_root, "import reaches the same state root");
	assert_ne!(header.state_root, genesis_header.state_root, "the block changed the state");
	assert_eq!(block.extrinsics().len(), 5);

	// The domain runtime APIs answer from the imported state.
	let eve: AccountId = patient.public().into();
	let out = importer.call("RecordsApi_records_by_patient", &(eve.clone(), 0u32, 10u32).encode());
	let records = Vec::<(H256, pallet_records::Record<Runtime>)>::decode(&mut &out[..])
		.expect("records_by_patient returns records");
	assert_eq!(records.len(), 1);
	let (record, stored) = &records[0];
	assert_eq!(stored.author, AccountId::from(doctor.public()));

	let payer: AccountId = Ed25519Keyring::Charlie.to_account_id();
	let query = (eve.clone(), payer, *record, Purpose::Payment, None::<u64>);
	let out = importer.call("ConsentApi_check_access", &query.encode());
	assert_eq!(
		Decision::decode(&mut &out[..]).expect("a decision"),
		// The development genesis holds four consents (Eve's and Ferdie's accounts to the
		// hospital), so the block's grant is the fifth.
		Decision::Allowed(AccessBasis::Consent(4))
	);

	let out = importer.call("ConsentApi_accounting_of_disclosures", &(eve, 0u64).encode());
	let entries =
		Vec::<pallet_consent::AuditEntry<Runtime>>::decode(&mut &out[..]).expect("audit entries");
	let actions: Vec<_> = entries.iter().map(|e| e.action).collect();
	// The genesis grant to the hospital, the doctor's record, the block's grant.
	assert_eq!(actions, vec![AuditAction::Grant, AuditAction::Create, AuditAction::Grant]);
}

fn validate(chain: &mut Chain, extrinsic: &UncheckedExtrinsic, at: H256) -> TransactionValidity {
	let out = chain.call(
		"TaggedTransactionQueue_validate_transaction",
		&(TransactionSource::External, extrinsic, at).encode(),
	);
	TransactionValidity::decode(&mut &out[..]).expect("a validity")
}

#[test]
fn the_pool_check_admits_participants_and_registrants_only() {
	let mut chain = Chain::genesis();
	let genesis_hash = chain.genesis_header().hash();
	// The pool validates on top of a block: give the chain block 0's hash as block 1 would.
	let header = Header::new(1, H256::zero(), H256::zero(), genesis_hash, Default::default());
	chain.call("Core_initialize_block", &header.encode());

	let register = |nonce| {
		sign(
			&ed25519::Pair::from_seed(&[50u8; 32]),
			nonce,
			RuntimeCall::Registry(pallet_registry::Call::register_patient {
				encryption_key: [5u8; 32],
				guardians: vec![],
			}),
			genesis_hash,
		)
	};
	let valid = validate(&mut chain, &register(0), genesis_hash).expect("a registrant may send");
	assert!(valid.requires.is_empty() && valid.provides.len() == 1);
	assert_eq!(
		validate(&mut chain, &register(1), genesis_hash),
		Err(InvalidTransaction::Future.into()),
		"an unknown account's first transaction must be its registration"
	);

	let stranger_call = sign(
		&ed25519::Pair::from_seed(&[51u8; 32]),
		0,
		RuntimeCall::Registry(pallet_registry::Call::rotate_encryption_key {
			encryption_key: [1u8; 32],
		}),
		genesis_hash,
	);
	assert_eq!(
		validate(&mut chain, &stranger_call, genesis_hash),
		Err(InvalidTransaction::Custom(carechain_runtime::extensions::SIGNER_NOT_PERMITTED).into())
	);

	let bob_stale_then_ok = |nonce| {
		sign(
			&Ed25519Keyring::Bob.pair(),
			nonce,
			RuntimeCall::Consent(pallet_consent::Call::dispute { emergency_id: 0 }),
			genesis_hash,
		)
	};
	assert!(validate(&mut chain, &bob_stale_then_ok(0), genesis_hash).is_ok());
	let wrong_genesis = sign(
		&Ed25519Keyring::Bob.pair(),
		0,
		RuntimeCall::Consent(pallet_consent::Call::dispute { emergency_id: 0 }),
		H256::repeat_byte(1),
	);
	assert_eq!(
		validate(&mut chain, &wrong_genesis, genesis_hash),
		Err(InvalidTransaction::BadProof.into()),
		"a signature over another chain's genesis does not verify"
	);
}

#[test]
fn metadata_and_presets_are_served() {
	let mut chain = Chain::genesis();
	for version in [14u32, 15] {
		let out = chain.call("Metadata_metadata_at_version", &version.encode());
		let metadata = Option::<sp_core::OpaqueMetadata>::decode(&mut &out[..]).expect("decodes");
		assert!(metadata.is_some_and(|m| m.len() > 1000), "metadata V{version} is served");
	}
	let out = chain.call("GenesisBuilder_get_preset", &Some(genesis::DEVELOPMENT).encode());
	let preset = Option::<Vec<u8>>::decode(&mut &out[..]).expect("decodes").expect("dev preset");
	let json: serde_json::Value = serde_json::from_slice(&preset).expect("the preset is JSON");
	assert_eq!(json["registry"]["organizations"].as_array().map(Vec::len), Some(6));
	let out = chain.call("GenesisBuilder_get_preset", &Some("no-such-preset").encode());
	assert_eq!(Option::<Vec<u8>>::decode(&mut &out[..]).expect("decodes"), None);
}

/// A manufacturer commissions and ships, a distributor receives, a payer publishes, funds and
/// enrolls: all as signed extrinsics in one natively executed block, then queried through
/// `ProvenanceApi`.
#[test]
fn supply_chain_and_claims_calls_run_in_a_block() {
	let mut chain = Chain::genesis();
	let genesis_hash = chain.genesis_header().hash();
	let maker = Ed25519Keyring::One.pair();
	let distributor = Ed25519Keyring::Two.pair();
	let payer = Ed25519Keyring::Charlie.pair();
	let gtin = *b"00614141000036";
	let serial = |s: &[u8]| s.to_vec().try_into().expect("short serial");
	let unit = pallet_provenance::Sgtin { gtin, serial: serial(b"S1") };
	let lot: pallet_provenance::Lot = b"L1".to_vec().try_into().expect("short lot");
	// A procedure's tag under the payer's code key: the chain never sees the code itself.
	let office_visit =
		pallet_claims::code_tag(&[7; 32], pallet_claims::CodeKind::Procedure, b"99213")
			.expect("a CPT code");
	let terms = pallet_claims::CoverageTerms {
		procedures: vec![(office_visit, 100u128)],
		diagnosis_prefixes: vec![],
		prior_authorization: vec![],
		deductible: 50,
		coinsurance: sp_runtime::Percent::from_percent(20),
		out_of_pocket_max: 1_000,
		review_threshold: 10_000,
		max_daily_lines_per_provider: 100,
		valid_from: 0,
		valid_until: 30_000,
	};
	use pallet_claims::Call as Claims;
	use pallet_provenance::Call as Provenance;
	let calls: Vec<(&ed25519::Pair, u32, RuntimeCall)> = vec![
		(&maker, 0, Provenance::register_product { gtin, description_hash: H256::zero() }.into()),
		(
			&maker,
			1,
			Provenance::commission {
				gtin,
				lot: lot.clone(),
				expiry: 20_000,
				serials: vec![serial(b"S1"), serial(b"S2")],
			}
			.into(),
		),
		(
			&maker,
			2,
			Provenance::ship { epc: pallet_provenance::Epc::Unit(unit.clone()), to: 4 }.into(),
		),
		(
			&distributor,
			0,
			Provenance::receive { epc: pallet_provenance::Epc::Unit(unit.clone()) }.into(),
		),
		(&payer, 0, Claims::publish_policy { terms }.into()),
		(&payer, 1, Claims::fund_policy { policy_id: 0, amount: 50_000 }.into()),
		(
			&payer,
			2,
			Claims::enroll {
				policy_id: 0,
				patient: Ed25519Keyring::Eve.to_account_id(),
				member_id_hash: H256::zero(),
			}
			.into(),
		),
	];

	let header = Header::new(1, H256::zero(), H256::zero(), genesis_hash, Default::default());
	chain.call("Core_initialize_block", &header.encode());
	assert_eq!(apply(&mut chain, &timestamp(1_700_000_000_000)), Ok(Ok(())));
	for (pair, nonce, call) in calls {
		let extrinsic = sign(pair, nonce, call, genesis_hash);
		assert_eq!(apply(&mut chain, &extrinsic), Ok(Ok(())), "{extrinsic:?}");
	}
	chain.call("BlockBuilder_finalize_block", &[]);

	let out = chain.call("ProvenanceApi_verify_product", &unit.encode());
	assert_eq!(
		pallet_provenance::Verification::decode(&mut &out[..]).expect("a verification"),
		pallet_provenance::Verification::Known {
			owner: 4,
			status: pallet_provenance::UnitStatus::Active,
			in_transit: false,
			lot,
			expiry: 20_000,
			recalled: false,
			expired: false,
		}
	);
	let out = chain.call("ProvenanceApi_history", &pallet_provenance::Epc::Unit(unit).encode());
	let history = Vec::<pallet_provenance::SupplyEvent>::decode(&mut &out[..]).expect("a history");
	let kinds: Vec<_> = history.into_iter().map(|e| e.kind).collect();
	assert_eq!(
		kinds,
		vec![
			pallet_provenance::EventKind::Commissioned,
			pallet_provenance::EventKind::Shipped { to: 4 },
			pallet_provenance::EventKind::Received { from: 3 },
		]
	);
}

/// A trial in natively executed blocks: the sponsor registers, the hospital's doctor screens a
/// subject whose patient acts from an account registered nowhere, and that account enrols and
/// withdraws; the pool admits it for nothing else, and nobody else acts for the subject.
#[test]
fn a_trial_subject_acts_from_an_account_registered_nowhere() {
	use pallet_trials::Call as Trials;
	let mut chain = Chain::genesis();
	let genesis_hash = chain.genesis_header().hash();
	let grace = ed25519::Pair::from_string("//Grace", None).expect("a dev URI");
	let bob = Ed25519Keyring::Bob.pair();
	let eve = Ed25519Keyring::Eve.to_account_id();
	// The account Eve's wallet derives for this study: in no registry, never funded.
	let subject = ed25519::Pair::from_seed(&[77u8; 32]);
	let subject_account = AccountId::from(subject.public());
	let study = 0;
	let pseudonym = pallet_trials::pseudonym(study, &eve, &[3; 32]);
	let key = pallet_trials::subject_key(study, &pseudonym, &subject_account);
	let nullifier = pallet_trials::enrolment_nullifier(&[0x4E; 32], study, &eve);
	let leaves: Vec<H256> = (0..2u32)
		.map(|slot| pallet_trials::allocation_leaf(slot, 0, &H256::repeat_byte(9)))
		.collect();
	let hash = |n: u8| H256::repeat_byte(n);
	let arms = vec![
		pallet_trials::Arm { index: 0, description_hash: hash(0x40) },
		pallet_trials::Arm { index: 1, description_hash: hash(0x41) },
	];
	let calls: Vec<(&ed25519::Pair, u32, RuntimeCall)> = vec![
		(
			&grace,
			0,
			Trials::register_study {
				registry_id: pallet_trials::RegistryId::Nct(*b"01234567"),
				phase: pallet_trials::Phase::Phase2,
				arms: arms.try_into().expect("two arms"),
				target_enrolment: 2,
				protocol_hash: hash(1),
				consent_form_hash: hash(2),
				primary_outcomes: vec![hash(11)].try_into().expect("one"),
				secondary_outcomes: vec![].try_into().expect("none"),
				analysis_plan_hash: hash(3),
				allocation_root: pallet_trials::allocation_root(&leaves, 1),
			}
			.into(),
		),
		(&grace, 1, Trials::activate_site { study, site: 0, ethics_approval_hash: hash(4) }.into()),
		(&bob, 0, Trials::screen { study, pseudonym, key, nullifier, eligible: true }.into()),
	];
	let header = Header::new(1, H256::zero(), H256::zero(), genesis_hash, Default::default());
	chain.call("Core_initialize_block", &header.encode());
	assert_eq!(apply(&mut chain, &timestamp(1_700_000_000_000)), Ok(Ok(())));
	for (pair, nonce, call) in calls {
		let extrinsic = sign(pair, nonce, call, genesis_hash);
		assert_eq!(apply(&mut chain, &extrinsic), Ok(Ok(())), "{extrinsic:?}");
	}

	let not_permitted: TransactionValidityError =
		InvalidTransaction::Custom(carechain_runtime::extensions::SIGNER_NOT_PERMITTED).into();
	let enrol = Trials::enrol { study, pseudonym, site: 0, version: 1 };
	// Anything else the subject account signs is refused: another pallet's call, a trial call
	// that is not the subject's own, the subject call of a pseudonym that is not its own.
	let refused: Vec<RuntimeCall> = vec![
		RuntimeCall::Registry(pallet_registry::Call::rotate_encryption_key {
			encryption_key: [1; 32],
		}),
		Trials::capture_data { study, pseudonym, record: hash(5) }.into(),
		Trials::enrol { study, pseudonym: hash(6), site: 0, version: 1 }.into(),
		Trials::enrol { study: 1, pseudonym, site: 0, version: 1 }.into(),
	];
	for call in refused {
		let extrinsic = sign(&subject, 0, call, genesis_hash);
		assert_eq!(
			validate(&mut chain, &extrinsic, genesis_hash),
			Err(not_permitted),
			"{extrinsic:?}"
		);
		assert_eq!(apply(&mut chain, &extrinsic), Err(not_permitted));
	}
	// Another account with the subject's seed guessed wrong is refused the same way.
	let stranger =
		sign(&ed25519::Pair::from_seed(&[78u8; 32]), 0, enrol.clone().into(), genesis_hash);
	assert_eq!(apply(&mut chain, &stranger), Err(not_permitted));
	// Eve herself is a patient, so her transaction is admitted, but the call refuses her: the
	// subject is bound to the subject account, not to her.
	let eve_enrols = sign(&Ed25519Keyring::Eve.pair(), 0, enrol.clone().into(), genesis_hash);
	let not_subject: sp_runtime::DispatchError = pallet_trials::Error::<Runtime>::NotSubject.into();
	assert!(matches!(apply(&mut chain, &eve_enrols), Ok(Err(e)) if e == not_subject));

	// The subject account itself: admitted one transaction at a time, nonce by nonce.
	let ahead = sign(&subject, 1, enrol.clone().into(), genesis_hash);
	assert_eq!(apply(&mut chain, &ahead), Err(InvalidTransaction::Future.into()));
	let enrols = sign(&subject, 0, enrol.clone().into(), genesis_hash);
	assert!(validate(&mut chain, &enrols, genesis_hash).is_ok());
	assert_eq!(apply(&mut chain, &enrols), Ok(Ok(())));
	// No replay: the subject is enrolled, so its enrolment is not admitted again (and its
	// nonce is spent).
	assert_eq!(apply(&mut chain, &enrols), Err(not_permitted), "no replay");
	let withdraws = sign(&subject, 1, Trials::withdraw { study, pseudonym }.into(), genesis_hash);
	assert_eq!(apply(&mut chain, &withdraws), Ok(Ok(())));
	// Withdrawn, the subject account may send nothing more: its calls could only fail.
	for call in [
		RuntimeCall::from(Trials::withdraw { study, pseudonym }),
		Trials::reconsent { study, pseudonym, version: 1 }.into(),
		enrol.clone().into(),
	] {
		let extrinsic = sign(&subject, 2, call, genesis_hash);
		assert_eq!(apply(&mut chain, &extrinsic), Err(not_permitted), "{extrinsic:?}");
	}
	chain.call("BlockBuilder_finalize_block", &[]);

	let out = chain.call("TrialsApi_consort_flow", &study.encode());
	let flow = Option::<pallet_trials::ConsortFlow<Runtime>>::decode(&mut &out[..])
		.expect("a flow")
		.expect("the study");
	assert_eq!((flow.assessed, flow.enrolled, flow.withdrawn_before_allocation), (1, 1, 1));
	let out = chain.call("TrialsApi_consent_history", &(study, pseudonym).encode());
	let history =
		Vec::<pallet_trials::ConsentRecord>::decode(&mut &out[..]).expect("a consent history");
	assert_eq!(history.len(), 1);
	assert_eq!((history[0].version, history[0].consent_form_hash), (1, hash(2)));
	// The subject account holds no provider: nothing on chain ties it to a patient.
	let account = frame_system::Account::<Runtime>::hashed_key_for(&subject_account);
	let info = chain
		.overlay
		.storage(&account)
		.flatten()
		.map(|bytes| {
			frame_system::AccountInfo::<
					u32,
					pallet_balances::AccountData<carechain_runtime::Balance>,
				>::decode(&mut &bytes[..])
				.expect("account info")
		})
		.expect("the nonce is kept");
	assert_eq!((info.nonce, info.providers), (2, 0));
}
