//! The runtime APIs the node calls natively through [`api::dispatch`].

use crate::{
	AccountId, Balance, Block, Consent, Executive, InherentDataExt, Nonce, Provenance, Records,
	Runtime, RuntimeCall, System, Timestamp, VERSION,
};
use alloc::vec::Vec;
use carechain_primitives::{Decision, Moment, Purpose, RecordId};
use frame_support::{
	dispatch::{DispatchInfo, GetDispatchInfo},
	genesis_builder_helper::{build_state, get_preset},
	traits::Time,
	weights::Weight,
};
use pallet_transaction_payment_rpc_runtime_api::{FeeDetails, InclusionFee, RuntimeDispatchInfo};
use sp_api::impl_runtime_apis;
use sp_core::OpaqueMetadata;
use sp_runtime::{
	traits::Block as BlockT,
	transaction_validity::{TransactionSource, TransactionValidity},
	ApplyExtrinsicResult, ExtrinsicInclusionMode,
};
use sp_version::RuntimeVersion;

/// What a transaction of this weight and class costs on a feeless chain: its weight, its class
/// and no fee, as a fee-charging chain would answer it, so that wallets show a fee of zero.
fn feeless_info(info: DispatchInfo) -> RuntimeDispatchInfo<Balance> {
	RuntimeDispatchInfo { weight: info.total_weight(), class: info.class, partial_fee: 0 }
}

/// The parts of a fee on a feeless chain: an inclusion fee of zero in every part (not `None`,
/// which would say the transaction is exempt, as an unsigned one is), and no tip.
fn feeless_details() -> FeeDetails<Balance> {
	FeeDetails {
		inclusion_fee: Some(InclusionFee { base_fee: 0, len_fee: 0, adjusted_weight_fee: 0 }),
		tip: 0,
	}
}

impl_runtime_apis! {
	impl sp_api::Core<Block> for Runtime {
		fn version() -> RuntimeVersion {
			VERSION
		}

		fn execute_block(block: <Block as BlockT>::LazyBlock) {
			Executive::execute_block(block);
		}

		fn initialize_block(header: &<Block as BlockT>::Header) -> ExtrinsicInclusionMode {
			Executive::initialize_block(header)
		}
	}

	impl sp_api::Metadata<Block> for Runtime {
		fn metadata() -> OpaqueMetadata {
			OpaqueMetadata::new(Runtime::metadata().into())
		}

		fn metadata_at_version(version: u32) -> Option<OpaqueMetadata> {
			Runtime::metadata_at_version(version)
		}

		fn metadata_versions() -> Vec<u32> {
			Runtime::metadata_versions()
		}
	}

	impl sp_block_builder::BlockBuilder<Block> for Runtime {
		fn apply_extrinsic(extrinsic: <Block as BlockT>::Extrinsic) -> ApplyExtrinsicResult {
			Executive::apply_extrinsic(extrinsic)
		}

		fn finalize_block() -> <Block as BlockT>::Header {
			Executive::finalize_block()
		}

		fn inherent_extrinsics(data: sp_inherents::InherentData) -> Vec<<Block as BlockT>::Extrinsic> {
			data.create_extrinsics()
		}

		fn check_inherents(
			block: <Block as BlockT>::LazyBlock,
			data: sp_inherents::InherentData,
		) -> sp_inherents::CheckInherentsResult {
			data.check_extrinsics(&block)
		}
	}

	impl sp_transaction_pool::runtime_api::TaggedTransactionQueue<Block> for Runtime {
		fn validate_transaction(
			source: TransactionSource,
			tx: <Block as BlockT>::Extrinsic,
			block_hash: <Block as BlockT>::Hash,
		) -> TransactionValidity {
			Executive::validate_transaction(source, tx, block_hash)
		}
	}

	impl frame_system_rpc_runtime_api::AccountNonceApi<Block, AccountId, Nonce> for Runtime {
		fn account_nonce(account: AccountId) -> Nonce {
			System::account_nonce(account)
		}
	}

	impl pallet_transaction_payment_rpc_runtime_api::TransactionPaymentApi<Block, Balance> for Runtime {
		fn query_info(uxt: <Block as BlockT>::Extrinsic, _len: u32) -> RuntimeDispatchInfo<Balance> {
			feeless_info(uxt.get_dispatch_info())
		}

		fn query_fee_details(_uxt: <Block as BlockT>::Extrinsic, _len: u32) -> FeeDetails<Balance> {
			feeless_details()
		}

		fn query_weight_to_fee(_weight: Weight) -> Balance {
			0
		}

		fn query_length_to_fee(_length: u32) -> Balance {
			0
		}
	}

	impl pallet_transaction_payment_rpc_runtime_api::TransactionPaymentCallApi<Block, Balance, RuntimeCall>
		for Runtime
	{
		fn query_call_info(call: RuntimeCall, _len: u32) -> RuntimeDispatchInfo<Balance> {
			feeless_info(call.get_dispatch_info())
		}

		fn query_call_fee_details(_call: RuntimeCall, _len: u32) -> FeeDetails<Balance> {
			feeless_details()
		}

		fn query_weight_to_fee(_weight: Weight) -> Balance {
			0
		}

		fn query_length_to_fee(_length: u32) -> Balance {
			0
		}
	}

	impl sp_genesis_builder::GenesisBuilder<Block> for Runtime {
		fn build_state(config: Vec<u8>) -> sp_genesis_builder::Result {
			build_state::<crate::RuntimeGenesisConfig>(config)
		}

		fn get_preset(id: &Option<sp_genesis_builder::PresetId>) -> Option<Vec<u8>> {
			get_preset::<crate::RuntimeGenesisConfig>(id, crate::genesis::get_preset)
		}

		fn preset_names() -> Vec<sp_genesis_builder::PresetId> {
			crate::genesis::preset_names()
		}
	}

	impl pallet_records::RecordsApi<Block, AccountId, pallet_records::Record<Runtime>> for Runtime {
		fn records_by_patient(
			patient: AccountId,
			start: u32,
			limit: u32,
		) -> Vec<(RecordId, pallet_records::Record<Runtime>)> {
			Records::records_of(&patient, start, limit)
		}

		fn record_with_history(record: RecordId) -> Vec<(RecordId, pallet_records::Record<Runtime>)> {
			Records::history(record)
		}
	}

	impl pallet_consent::ConsentApi<Block, AccountId, pallet_consent::AuditEntry<Runtime>> for Runtime {
		fn check_access(
			patient: AccountId,
			accessor: AccountId,
			record: RecordId,
			purpose: Purpose,
			now: Option<Moment>,
		) -> Decision {
			Consent::decide(&patient, &accessor, &record, purpose, now.unwrap_or_else(Timestamp::now))
		}

		fn accounting_of_disclosures(
			patient: AccountId,
			since: Moment,
		) -> Vec<pallet_consent::AuditEntry<Runtime>> {
			Consent::accounting_of_disclosures(&patient, since)
		}
	}

	impl pallet_provenance::ProvenanceApi<Block> for Runtime {
		fn verify_product(sgtin: pallet_provenance::Sgtin) -> pallet_provenance::Verification {
			Provenance::verification(&sgtin)
		}

		fn history(epc: pallet_provenance::Epc) -> Vec<pallet_provenance::SupplyEvent> {
			Provenance::history(&epc)
		}
	}

	impl
		pallet_trials::TrialsApi<
			Block,
			pallet_trials::Study<Runtime>,
			pallet_trials::ConsortFlow<Runtime>,
			pallet_trials::StudyResults<Runtime>,
		>
		for Runtime
	{
		fn study(study: pallet_trials::StudyId) -> Option<pallet_trials::Study<Runtime>> {
			pallet_trials::Studies::<Runtime>::get(study)
		}

		fn protocol_history(study: pallet_trials::StudyId) -> Vec<pallet_trials::ProtocolVersion> {
			crate::Trials::protocol_history(study)
		}

		fn subject(
			study: pallet_trials::StudyId,
			pseudonym: pallet_trials::Pseudonym,
		) -> Option<pallet_trials::Subject> {
			pallet_trials::Subjects::<Runtime>::get(study, pseudonym)
		}

		fn consent_history(
			study: pallet_trials::StudyId,
			pseudonym: pallet_trials::Pseudonym,
		) -> Vec<pallet_trials::ConsentRecord> {
			crate::Trials::consent_history(study, pseudonym)
		}

		fn consort_flow(
			study: pallet_trials::StudyId,
		) -> Option<pallet_trials::ConsortFlow<Runtime>> {
			crate::Trials::consort_flow(study)
		}

		fn results(study: pallet_trials::StudyId) -> Option<pallet_trials::StudyResults<Runtime>> {
			pallet_trials::Results::<Runtime>::get(study)
		}
	}

	impl pallet_research::ResearchApi<Block> for Runtime {
		fn request(request: pallet_research::RequestId) -> Option<pallet_research::ResearchRequest> {
			pallet_research::Requests::<Runtime>::get(request)
		}

		fn released(request: pallet_research::RequestId) -> Vec<(RecordId, u64)> {
			crate::Research::released(request)
		}
	}

	impl pallet_telehealth::TelehealthApi<Block, AccountId> for Runtime {
		fn appointment(
			appointment: pallet_telehealth::AppointmentId,
		) -> Option<pallet_telehealth::Appointment<AccountId>> {
			pallet_telehealth::Appointments::<Runtime>::get(appointment)
		}

		fn licence(
			practitioner: AccountId,
			jurisdiction: pallet_telehealth::Jurisdiction,
		) -> Option<pallet_telehealth::Licence> {
			pallet_telehealth::Licences::<Runtime>::get(practitioner, jurisdiction)
		}

		fn prescriptions(appointment: pallet_telehealth::AppointmentId) -> Vec<RecordId> {
			pallet_telehealth::EncounterPrescriptions::<Runtime>::get(appointment).into_inner()
		}

		fn prescription_encounter(record: RecordId) -> Option<pallet_telehealth::AppointmentId> {
			pallet_telehealth::PrescriptionEncounters::<Runtime>::get(record)
		}
	}

	impl pallet_wellness::WellnessApi<Block, AccountId, Balance> for Runtime {
		fn program(
			program: pallet_wellness::ProgramId,
		) -> Option<pallet_wellness::Program<Balance, Vec<pallet_wellness::Rule>>> {
			pallet_wellness::Programs::<Runtime>::get(program).map(|p| pallet_wellness::Program {
				sponsor: p.sponsor,
				terms_hash: p.terms_hash,
				point_value: p.point_value,
				deposit: p.deposit,
				starts_at: p.starts_at,
				ends_at: p.ends_at,
				rules: p.rules.into_inner(),
				status: p.status,
			})
		}

		fn ledger(program: pallet_wellness::ProgramId) -> pallet_wellness::Ledger<Balance> {
			pallet_wellness::Ledgers::<Runtime>::get(program)
		}

		fn enrolment(
			program: pallet_wellness::ProgramId,
			patient: AccountId,
		) -> Option<pallet_wellness::Enrolment<Balance>> {
			pallet_wellness::Members::<Runtime>::get(program, patient)
		}

		fn rule_totals(program: pallet_wellness::ProgramId) -> Vec<(u32, pallet_wellness::RuleTotal)> {
			let mut totals: Vec<_> = pallet_wellness::RuleTotals::<Runtime>::iter_prefix(program).collect();
			totals.sort_by_key(|(rule, _)| *rule);
			totals
		}

		fn programs_of(patient: AccountId) -> Vec<pallet_wellness::ProgramId> {
			pallet_wellness::PatientPrograms::<Runtime>::get(patient).into_inner()
		}
	}

	#[cfg(feature = "runtime-benchmarks")]
	impl frame_benchmarking::Benchmark<Block> for Runtime {
		fn benchmark_metadata(
			extra: bool,
		) -> (Vec<frame_benchmarking::BenchmarkList>, Vec<frame_support::traits::StorageInfo>) {
			use frame_benchmarking::BenchmarkList;
			use frame_support::traits::StorageInfoTrait;
			let mut list = Vec::<BenchmarkList>::new();
			use crate::{
				Claims, Consent, Provenance, Records, Registry, Research, Telehealth, Trials, Wellness,
			};
			list_benchmarks!(list, extra);
			(list, crate::AllPalletsWithSystem::storage_info())
		}

		fn dispatch_benchmark(
			config: frame_benchmarking::BenchmarkConfig,
		) -> Result<Vec<frame_benchmarking::BenchmarkBatch>, alloc::string::String> {
			use frame_benchmarking::BenchmarkBatch;
			use frame_support::traits::WhitelistedStorageKeys;
			let whitelist = crate::AllPalletsWithSystem::whitelisted_storage_keys();
			let mut batches = Vec::<BenchmarkBatch>::new();
			let params = (&config, &whitelist);
			use crate::{
				Claims, Consent, Provenance, Records, Registry, Research, Telehealth, Trials, Wellness,
			};
			add_benchmarks!(params, batches);
			Ok(batches)
		}
	}
}
