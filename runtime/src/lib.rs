//! # Carechain runtime
//!
//! The FRAME runtime of Carechain, composed for native execution: System, Timestamp, Balances
//! (the settlement currency of claims), the consortium council (Collective with Membership),
//! Registry, Records, Consent, Claims and Provenance.
//!
//! The chain is permissioned and feeless: [`extensions::CheckPermissioned`] admits only
//! organization members, registered patients and council members as signers, plus the patient
//! self-registration call from anyone, rationed per block. The usual checks (spec and
//! transaction version, genesis, mortality, nonce, weight) stay.
//!
//! The node calls the runtime natively through [`api::dispatch`], which `impl_runtime_apis!`
//! generates.

#![cfg_attr(not(feature = "std"), no_std)]
#![recursion_limit = "256"]
// `construct_runtime!` and `impl_runtime_apis!` generate public items without docs.
#![allow(missing_docs)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
#[macro_use]
mod benchmarks;
mod apis;
mod db_weights;
pub mod extensions;
pub mod genesis;
pub mod identity;
mod overhead_weights;
mod signature;

pub use apis::{api, RUNTIME_API_VERSIONS};

use alloc::borrow::Cow;
use frame_support::{
	derive_impl,
	dispatch::DispatchClass,
	parameter_types,
	traits::{ConstU128, ConstU32, ConstU64, EitherOfDiverse, VariantCountOf},
	weights::{constants::WEIGHT_REF_TIME_PER_SECOND, Weight},
	PalletId,
};
use frame_system::{limits, EnsureRoot};
use sp_runtime::{
	generic,
	traits::{BlakeTwo256, IdentifyAccount, Verify},
	MultiAddress, Perbill,
};
use sp_version::RuntimeVersion;

/// The signature scheme of transactions: ed25519, sr25519 or ecdsa, encoded as
/// `MultiSignature`; ed25519 checks use the node's batch verdicts when it supplies them.
pub use signature::Signature;
/// An account: the public key (or its hash, for ecdsa) of a signer.
pub type AccountId = <<Signature as Verify>::Signer as IdentifyAccount>::AccountId;
/// An amount of the settlement currency, in its smallest unit (cents).
pub type Balance = u128;
/// A transaction counter of an account.
pub type Nonce = u32;
/// A block number.
pub type BlockNumber = u32;
/// A block hash.
pub type Hash = sp_core::H256;
/// The address format of transactions.
pub type Address = MultiAddress<AccountId, ()>;
/// A block header.
pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
/// A block.
pub type Block = generic::Block<Header, UncheckedExtrinsic>;
/// The transaction extensions, in the order they are checked.
pub type TxExtension = (
	frame_system::CheckNonZeroSender<Runtime>,
	extensions::CheckPermissioned,
	frame_system::CheckSpecVersion<Runtime>,
	frame_system::CheckTxVersion<Runtime>,
	frame_system::CheckGenesis<Runtime>,
	frame_system::CheckEra<Runtime>,
	extensions::CheckNonce,
	frame_system::CheckWeight<Runtime>,
);
/// A transaction as it travels and is stored in blocks.
pub type UncheckedExtrinsic =
	generic::UncheckedExtrinsic<Address, RuntimeCall, Signature, TxExtension>;
/// The payload a signer signs.
pub type SignedPayload = generic::SignedPayload<RuntimeCall, TxExtension>;
/// Storage migrations, run once by the first block a node with this runtime builds or imports
/// after a spec version change. Each is versioned: it runs only on a pallet whose stored
/// storage version is the one it migrates from, and a chain started with this runtime is
/// already at the current versions (genesis writes them), so there it does nothing. The last
/// writes the new runtime's identity under `:code` ([`identity`]) at every spec version change.
pub type Migrations = (
	pallet_claims::migrations::v1::MigrateV0ToV1<Runtime>,
	pallet_claims::migrations::v2::MigrateV1ToV2<Runtime>,
	pallet_provenance::migrations::v1::MigrateV0ToV1<Runtime>,
	identity::WriteRuntimeIdentity,
);
/// Block execution.
pub type Executive = frame_executive::Executive<
	Runtime,
	Block,
	frame_system::ChainContext<Runtime>,
	Runtime,
	AllPalletsWithSystem,
	Migrations,
>;

/// The runtime's version.
#[sp_version::runtime_version]
pub const VERSION: RuntimeVersion = RuntimeVersion {
	spec_name: Cow::Borrowed("carechain"),
	impl_name: Cow::Borrowed("carechain-native"),
	authoring_version: 1,
	// 2: claims and provenance at storage version 1 (`Migrations`).
	// 3: the runtime's identity under `:code` (`identity`).
	// 5: the trials and research pallets (genesis writes their storage versions; nothing to
	// migrate).
	// 6: the telehealth pallet (likewise).
	// 7: telehealth claim lines: claims at storage version 2 (`Migrations`); the wellness
	// pallet.
	// 8: ended consents kept for the patient's history (`Consent::EndedConsents`, new storage;
	// nothing to migrate).
	spec_version: 8,
	impl_version: 1,
	apis: RUNTIME_API_VERSIONS,
	transaction_version: 1,
	system_version: 1,
};

/// Milliseconds between blocks the node aims for.
pub const MILLISECS_PER_BLOCK: u64 = 1000;
/// One day of milliseconds.
pub const DAY_MS: u64 = 24 * 60 * 60 * 1000;

frame_support::construct_runtime!(
	pub enum Runtime {
		System: frame_system = 0,
		Timestamp: pallet_timestamp = 1,
		Balances: pallet_balances = 4,
		Council: pallet_collective::<Instance1> = 2,
		CouncilMembership: pallet_membership::<Instance1> = 3,
		Registry: pallet_registry = 10,
		Records: pallet_records = 11,
		Consent: pallet_consent = 12,
		Claims: pallet_claims = 13,
		Provenance: pallet_provenance = 14,
		Trials: pallet_trials = 15,
		Research: pallet_research = 16,
		Telehealth: pallet_telehealth = 17,
		Wellness: pallet_wellness = 18,
	}
);

/// Three quarters of a block for ordinary transactions, the rest kept for operational ones.
const NORMAL_BLOCK_WEIGHT: Weight =
	Weight::from_parts(3u64 * WEIGHT_REF_TIME_PER_SECOND / 2, u64::MAX);
const OPERATIONAL_RESERVED: Weight = Weight::from_parts(WEIGHT_REF_TIME_PER_SECOND / 2, u64::MAX);
const MAXIMUM_BLOCK_WEIGHT: Weight =
	Weight::from_parts(2u64 * WEIGHT_REF_TIME_PER_SECOND, u64::MAX);

parameter_types! {
	pub const Version: RuntimeVersion = VERSION;
	/// Two seconds of compute per block, three quarters of it for ordinary transactions, with
	/// the block and extrinsic base costs measured on this hardware
	/// (`carechain benchmark overhead`); the node's authoring deadline keeps blocks within the
	/// block time.
	pub RuntimeBlockWeights: limits::BlockWeights = limits::BlockWeights::builder()
		.base_block(overhead_weights::BlockExecutionWeight::get())
		.for_class(DispatchClass::all(), |weights| {
			weights.base_extrinsic = overhead_weights::ExtrinsicBaseWeight::get();
		})
		.for_class(DispatchClass::Normal, |weights| {
			weights.max_total = Some(NORMAL_BLOCK_WEIGHT);
		})
		.for_class(DispatchClass::Operational, |weights| {
			weights.max_total = Some(MAXIMUM_BLOCK_WEIGHT);
			weights.reserved = Some(OPERATIONAL_RESERVED);
		})
		.avg_block_initialization(Perbill::from_percent(10))
		.build_or_panic();
	pub RuntimeBlockLength: limits::BlockLength =
		limits::BlockLength::builder().max_length(5 * 1024 * 1024).build();
	pub const SS58Prefix: u16 = 42;
}

#[derive_impl(frame_system::config_preludes::SolochainDefaultConfig)]
impl frame_system::Config for Runtime {
	type Block = Block;
	type AccountId = AccountId;
	type Nonce = Nonce;
	type Hash = Hash;
	type BlockHashCount = ConstU32<2400>;
	type BlockWeights = RuntimeBlockWeights;
	type BlockLength = RuntimeBlockLength;
	type DbWeight = db_weights::CarechainDbWeight;
	type ExtensionsWeightInfo = extensions::ExtensionsInBaseWeight;
	type Version = Version;
	type AccountData = pallet_balances::AccountData<Balance>;
	type SS58Prefix = SS58Prefix;
	type MaxConsumers = ConstU32<16>;
}

impl pallet_timestamp::Config for Runtime {
	type Moment = u64;
	type OnTimestampSet = ();
	/// Half a block time, as slot-based Substrate chains set it (`SLOT_DURATION / 2`). Each
	/// block's time is the proposer's clock, which every validator checks against its own
	/// before voting (the node's `consensus::timestamp`); this floor is what the runtime itself
	/// guarantees: the chain's time advances by at least half a second a block, so no proposer
	/// can pack blocks into the same instant (or many into a minute) to stretch time-based
	/// limits. The node paces blocks to meet it and refuses a block time below it.
	type MinimumPeriod = ConstU64<{ MILLISECS_PER_BLOCK / 2 }>;
	type WeightInfo = ();
}

/// The settlement currency: used only by claims, where payers fund policy escrows and providers
/// are paid. Feeless, so no fees burn it. The chain has no sudo key: Root mints with
/// `force_set_balance`, dispatched by a unanimous council motion through
/// `Registry::dispatch_as_root`.
impl pallet_balances::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeHoldReason = RuntimeHoldReason;
	type RuntimeFreezeReason = RuntimeFreezeReason;
	type Balance = Balance;
	type ExistentialDeposit = ConstU128<1>;
	type AccountStore = System;
	type ReserveIdentifier = [u8; 8];
	type FreezeIdentifier = RuntimeFreezeReason;
	type DustRemoval = ();
	type MaxLocks = ConstU32<16>;
	type MaxReserves = ConstU32<16>;
	type MaxFreezes = VariantCountOf<RuntimeFreezeReason>;
	// Parity's published weights: transfers are not on Carechain's hot path.
	type WeightInfo = pallet_balances::weights::SubstrateWeight<Runtime>;
	type DoneSlashHandler = ();
}

/// The council's collective instance.
pub type CouncilCollective = pallet_collective::Instance1;

/// Consortium governance: Root, or two thirds of the council.
pub type GovernanceOrigin = EitherOfDiverse<
	EnsureRoot<AccountId>,
	pallet_collective::EnsureProportionAtLeast<AccountId, CouncilCollective, 2, 3>,
>;

parameter_types! {
	pub const CouncilMotionDuration: BlockNumber = 7 * 24 * 60 * 60;
	/// Half of a block.
	pub MaxProposalWeight: Weight = Weight::from_parts(WEIGHT_REF_TIME_PER_SECOND, u64::MAX);
}

/// A councillor who does not vote counts against the motion, whoever the prime is: a motion
/// passes only on the ayes actually cast, so a unanimous motion (the only way to Root) needs
/// every councillor's aye, and the prime's vote never stands in for the silent.
pub struct SilenceIsNay;

impl pallet_collective::DefaultVote for SilenceIsNay {
	fn default_vote(_prime: Option<bool>, _yes: u32, _no: u32, _members: u32) -> bool {
		false
	}
}

impl pallet_collective::Config<CouncilCollective> for Runtime {
	type RuntimeOrigin = RuntimeOrigin;
	type Proposal = RuntimeCall;
	type RuntimeEvent = RuntimeEvent;
	type MotionDuration = CouncilMotionDuration;
	type MaxProposals = ConstU32<100>;
	type MaxMembers = ConstU32<32>;
	type DefaultVote = SilenceIsNay;
	type WeightInfo = pallet_collective::weights::SubstrateWeight<Runtime>;
	type SetMembersOrigin = EnsureRoot<AccountId>;
	type MaxProposalWeight = MaxProposalWeight;
	type DisapproveOrigin = GovernanceOrigin;
	type KillOrigin = GovernanceOrigin;
	type Consideration = ();
}

impl pallet_membership::Config<pallet_membership::Instance1> for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type AddOrigin = GovernanceOrigin;
	type RemoveOrigin = GovernanceOrigin;
	type SwapOrigin = GovernanceOrigin;
	type ResetOrigin = GovernanceOrigin;
	type PrimeOrigin = GovernanceOrigin;
	type MembershipInitialized = Council;
	type MembershipChanged = Council;
	type MaxMembers = ConstU32<32>;
	type WeightInfo = pallet_membership::weights::SubstrateWeight<Runtime>;
}

/// Blocks between a change to the validator set and the first block the new set decides.
pub const VALIDATOR_SET_DELAY: BlockNumber = 10;

parameter_types! {
	pub const ValidatorSetDelay: BlockNumber = VALIDATOR_SET_DELAY;
	/// A member of an active organization (or a council member) sustains 8,192 transactions a
	/// block (a block holds about 4,700 `create_record`s, so a hospital's hot path never meets
	/// it) and may send 49,152 at once, so `carechain-bench`'s 40,000 transactions from one
	/// account never meet it either. No member can keep more than 8,192 a block for long.
	pub const MemberRateLimit: pallet_registry::RateLimit =
		pallet_registry::RateLimit { per_block: 8_192, burst: 49_152 };
	/// A patient, whom anyone can create, sustains 8 transactions a block (480 a minute) and
	/// may send 128 at once: far more than a wallet needs, far less than a flood.
	pub const PatientRateLimit: pallet_registry::RateLimit =
		pallet_registry::RateLimit { per_block: 8, burst: 128 };
}

impl pallet_registry::Config for Runtime {
	type GovernanceOrigin = GovernanceOrigin;
	type MaxMembersPerOrg = ConstU32<1024>;
	type MaxGuardians = ConstU32<4>;
	type MaxPatientRegistrationsPerBlock = ConstU32<256>;
	type MemberRateLimit = MemberRateLimit;
	type PatientRateLimit = PatientRateLimit;
	/// Root can change anything, so every council member must vote for it.
	type RootOrigin =
		pallet_collective::EnsureProportionAtLeast<AccountId, CouncilCollective, 1, 1>;
	type RuntimeCall = RuntimeCall;
	type MaxValidators = ConstU32<100>;
	type ValidatorSetDelay = ValidatorSetDelay;
	type WeightInfo = pallet_registry::weights::SubstrateWeight<Runtime>;
}

impl pallet_records::Config for Runtime {
	type CareEvents = Wellness;
	type Registry = Registry;
	type Access = Consent;
	type Time = Timestamp;
	type MaxRecordsPerPatient = ConstU32<100_000>;
	type MaxVersions = ConstU32<64>;
	/// Writers other than the patient and guardians may fill 90,000 of the 100,000 slots.
	type ReservedForPatient = ConstU32<10_000>;
	/// The consent pallet's `MaxGrantsPerPatient`.
	type MaxConsentsPerPatient = ConstU32<64>;
	/// Three organizations together cannot exhaust a patient's 90,000 slots for others.
	type MaxRecordsPerOrganization = ConstU32<30_000>;
	/// An emergency needs a few notes, not a flood.
	type MaxWritesPerEmergency = ConstU32<64>;
	type WeightInfo = pallet_records::weights::SubstrateWeight<Runtime>;
}

impl pallet_consent::Config for Runtime {
	type Registry = Registry;
	type Records = Records;
	type Time = Timestamp;
	type BreakGlassPeriod = ConstU64<DAY_MS>;
	/// An emergency physician breaks the glass for a few unconscious patients a shift; twenty
	/// a day is well above that and far below scraping the chain's patients.
	type MaxBreakGlassPerPractitioner = ConstU32<20>;
	/// A large hospital's emergency departments break the glass a few dozen times a day; 256
	/// allows that, and bounds what an admin who adds practitioners can open (1,024 members
	/// times twenty would be 20,480 patients a day).
	type MaxBreakGlassPerOrganization = ConstU32<256>;
	/// One hospital's emergency team (emergency physician, anaesthetist, surgeon, radiologist,
	/// pharmacist) for one patient in one day; other hospitals have their own five, and a
	/// dispute frees its slot.
	type MaxBreakGlassPerPatientPerOrganization = ConstU32<5>;
	type BreakGlassRateWindow = ConstU64<DAY_MS>;
	type MaxGrantsPerPatient = ConstU32<64>;
	type MaxScopeItems = ConstU32<64>;
	type MaxWrappedKeys = ConstU32<64>;
	/// A patient's last 64 ended consents stay readable (FHIR `Consent`, `inactive`); the audit
	/// trail keeps every grant and revocation regardless.
	type MaxEndedConsentsPerPatient = ConstU32<64>;
	type WeightInfo = pallet_consent::weights::SubstrateWeight<Runtime>;
}

parameter_types! {
	/// Seeds the claims pallet's escrow and settlement accounts.
	pub const ClaimsPalletId: PalletId = PalletId(*b"cc/claim");
	pub const WellnessPalletId: PalletId = PalletId(*b"cc/welln");
}

/// Bounds from X12 837P: up to 50 service lines per claim (the diagnoses are in the claim's
/// sealed attachment; the chain keeps the principal one's tags).
impl pallet_claims::Config for Runtime {
	type Registry = Registry;
	type Access = Consent;
	type Records = Records;
	type Encounters = Telehealth;
	type GovernanceOrigin = GovernanceOrigin;
	type Currency = Balances;
	type Time = Timestamp;
	type PalletId = ClaimsPalletId;
	type MaxProcedures = ConstU32<256>;
	type MaxCodeList = ConstU32<64>;
	type MaxLines = ConstU32<50>;
	// Every provider organization of a large consortium can hold a policy's code key.
	type MaxCodeKeyHolders = ConstU32<128>;
	type MaxSupportingRecords = ConstU32<16>;
	type MaxPatientConsents = <Runtime as pallet_consent::Config>::MaxGrantsPerPatient;
	// Claims are filed within 90 days of care (Medicare allows a year; most payers 90 to 180
	// days), from records written within 30 days of it.
	type TimelyFilingDays = ConstU32<90>;
	type MaxRecordDelayDays = ConstU32<30>;
	type WeightInfo = pallet_claims::weights::SubstrateWeight<Runtime>;
}

/// A case holds up to 1,000 units and a pallet up to 5,000 items in all.
impl pallet_provenance::Config for Runtime {
	type Registry = Registry;
	type GovernanceOrigin = crate::GovernanceOrigin;
	type Time = Timestamp;
	type MaxCommissionBatch = ConstU32<1000>;
	type MaxChildren = ConstU32<1000>;
	type MaxContents = ConstU32<5000>;
	type MaxHistory = ConstU32<64>;
	type MaxVerificationLog = ConstU32<16>;
	type MaxCompanyPrefixes = ConstU32<16>;
	/// An original fill and up to 11 refills, the most US pharmacy law allows for a
	/// non-controlled prescription within its year of validity.
	type MaxFillsPerPrescription = ConstU32<12>;
	type WeightInfo = pallet_provenance::weights::SubstrateWeight<Runtime>;
}

/// Clinical trials: a study of up to 16 arms and 32 outcomes in each list, amended up to 63
/// times, run at up to 256 sites, enrolling up to 2^20 subjects, each with up to 1,024 captured
/// records and 128 adverse events.
impl pallet_trials::Config for Runtime {
	type Membership = Registry;
	type Records = Records;
	type Time = Timestamp;
	type MaxArms = ConstU32<16>;
	type MaxOutcomes = ConstU32<32>;
	type MaxProtocolVersions = ConstU32<64>;
	type MaxSites = ConstU32<256>;
	type MaxAllocationDepth = ConstU32<20>;
	type MaxCapturesPerSubject = ConstU32<1024>;
	type MaxAdverseEventsPerSubject = ConstU32<128>;
	/// A site reports a serious adverse event to the sponsor at once (ICH E6 4.11.1): within
	/// 24 hours of learning of it.
	type SeriousAdverseEventDeadline = ConstU64<DAY_MS>;
	/// Other adverse events within 30 days, as protocols commonly set.
	type AdverseEventDeadline = ConstU64<{ 30 * DAY_MS }>;
	/// Results within a year of the primary completion (FDAAA 801, 42 CFR 11.44).
	type ResultsDeadline = ConstU64<{ 365 * DAY_MS }>;
	type WeightInfo = pallet_trials::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = TrialsClock;
}

/// Telehealth: an appointment lasts at most four hours; the patient countersigns an encounter
/// with the runtime's own signature type, so the node verifies it in its batches.
impl pallet_telehealth::Config for Runtime {
	type Records = Records;
	type MaxPrescriptionsPerEncounter = frame_support::traits::ConstU32<16>;
	type CareEvents = Wellness;
	type Registry = Registry;
	type Time = Timestamp;
	type Signature = Signature;
	type Signer = sp_runtime::MultiSigner;
	type MaxAppointmentDuration = ConstU64<{ 4 * 60 * 60 * 1000 }>;
	type WeightInfo = pallet_telehealth::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = TelehealthHelper;
}

/// Sets the clock and signs as a patient for the telehealth pallet's benchmarks.
#[cfg(feature = "runtime-benchmarks")]
pub struct TelehealthHelper;

#[cfg(feature = "runtime-benchmarks")]
impl pallet_telehealth::BenchmarkHelper<AccountId, Signature> for TelehealthHelper {
	fn set_time(now: u64) {
		pallet_timestamp::Now::<Runtime>::put(now);
	}

	fn countersign(payload: &[u8]) -> (AccountId, Signature) {
		use sp_core::Pair as _;
		let pair = sp_core::ed25519::Pair::from_seed(&[42u8; 32]);
		(pair.public().into(), sp_runtime::MultiSignature::Ed25519(pair.sign(payload)).into())
	}
}

/// Wellness programs: up to 8 rules each, a patient in up to 4 at once, 256 open at once and
/// 16 per sponsor (`on_idle` walks their ends in order), running at most two years; a
/// reported fill supplies at most a year.
impl pallet_wellness::Config for Runtime {
	type Registry = Registry;
	type Currency = Balances;
	type Dispensing = Provenance;
	type Time = Timestamp;
	type PalletId = WellnessPalletId;
	type MaxRules = ConstU32<8>;
	type MaxProgramsPerPatient = ConstU32<4>;
	type MaxOpenPrograms = ConstU32<256>;
	type MaxOpenProgramsPerSponsor = ConstU32<16>;
	type MaxProgramDuration = ConstU64<{ 2 * 365 * DAY_MS }>;
	type SettlementAccount = ClaimsSettlement;
	type MaxDaysSupply = ConstU32<365>;
	type WeightInfo = pallet_wellness::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = WellnessClock;
}

/// A payer's settlement account in the claims pallet: where wellness withdrawals go, collected
/// by its admins into the payout account governance registered.
pub struct ClaimsSettlement;

impl sp_runtime::traits::Convert<carechain_primitives::OrgId, AccountId> for ClaimsSettlement {
	fn convert(org: carechain_primitives::OrgId) -> AccountId {
		Claims::settlement_account(org)
	}
}

/// Sets the clock for the wellness pallet's benchmarks.
#[cfg(feature = "runtime-benchmarks")]
pub struct WellnessClock;

#[cfg(feature = "runtime-benchmarks")]
impl pallet_wellness::BenchmarkHelper for WellnessClock {
	fn set_time(now: u64) {
		pallet_timestamp::Now::<Runtime>::put(now);
	}
}

/// Research access: a request runs for at most two years (a common data-use agreement term),
/// and releases up to 64 records at a time, each checked against its patient's consents.
impl pallet_research::Config for Runtime {
	type Registry = Registry;
	type Access = Consent;
	type Records = Records;
	type Time = Timestamp;
	type MaxRequestDuration = ConstU64<{ 2 * 365 * DAY_MS }>;
	type MaxRecordsPerRelease = ConstU32<64>;
	type CheckAccessWeight = pallet_consent::CheckAccessWeight<Runtime>;
	type WeightInfo = pallet_research::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = ResearchConsents;
}

/// Stores research consents for the research pallet's benchmarks.
#[cfg(feature = "runtime-benchmarks")]
pub struct ResearchConsents;

#[cfg(feature = "runtime-benchmarks")]
impl pallet_research::BenchmarkHelper<AccountId> for ResearchConsents {
	fn grant_research(patient: &AccountId, org: carechain_primitives::OrgId) {
		pallet_consent::Pallet::<Runtime>::insert_consent_for_benchmark(
			pallet_consent::Consent {
				patient: patient.clone(),
				granted_by: patient.clone(),
				grantee: pallet_consent::Grantee::Organization(org),
				grantee_org: org,
				scope: pallet_consent::ConsentScope::AllRecords,
				purposes: alloc::vec![carechain_primitives::Purpose::Research]
					.try_into()
					.expect("one purpose"),
				granted_at: 0,
				expires_at: u64::MAX,
			},
			alloc::vec::Vec::new(),
		);
	}
}

/// Sets the chain's clock for the trials pallet's benchmarks, so that deadlines pass.
#[cfg(feature = "runtime-benchmarks")]
pub struct TrialsClock;

#[cfg(feature = "runtime-benchmarks")]
impl pallet_trials::BenchmarkHelper for TrialsClock {
	fn set_time(now: u64) {
		pallet_timestamp::Now::<Runtime>::put(now);
	}
}
