//! Weights for `pallet_trials`.
//!
//! NOT MEASURED. These figures are estimates written by hand when the pallet was written (issue
//! 21): a compute time in the range of the other pallets' calls of similar shape, the storage
//! reads and writes counted from the code, and a proof size guessed from the stored types. They
//! are placeholders until the pallet joins the runtime and they are generated on the node with
//!
//! `carechain benchmark pallet --pallet pallet_trials --steps 20 --repeat 10 --output pallets/trials/src/weights.rs`
//!
//! from the benchmarks in `benchmarking.rs` (which run, as tests, with
//! `cargo test -p pallet-trials --features runtime-benchmarks`).

#![allow(unused_parens, unused_imports, unused_variables, missing_docs)]
#![allow(clippy::unnecessary_cast, clippy::arithmetic_side_effects)]

use core::marker::PhantomData;
use frame_support::{
	traits::Get,
	weights::{constants::RocksDbWeight, Weight},
};

/// Weight functions needed for `pallet_trials`.
pub trait WeightInfo {
	fn register_study(a: u32, o: u32) -> Weight;
	fn amend_protocol() -> Weight;
	fn activate_site() -> Weight;
	fn deactivate_site() -> Weight;
	fn screen() -> Weight;
	fn enrol() -> Weight;
	fn reconsent() -> Weight;
	fn randomise(d: u32) -> Weight;
	fn capture_data() -> Weight;
	fn withdraw() -> Weight;
	fn mark_lost_to_follow_up() -> Weight;
	fn complete() -> Weight;
	fn report_adverse_event() -> Weight;
	fn lock_database() -> Weight;
	fn report_results(o: u32) -> Weight;
	fn flag_overdue() -> Weight;
}

/// Weights for `pallet_trials` on the runtime's database weights. Not measured: see the module
/// docs.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	/// Storage: `Registry::Members` (r:1 w:0)
	/// Storage: `Registry::Organizations` (r:1 w:0)
	/// Storage: `Trials::StudyByRegistryId` (r:1 w:1)
	/// Storage: `Trials::NextStudyId` (r:1 w:1)
	/// Storage: `Trials::ProtocolVersions` (r:0 w:1)
	/// Storage: `Trials::Studies` (r:0 w:1)
	/// Storage: `Trials::ConsortFlows` (r:0 w:1)
	/// Proof: estimated at 6_000 bytes (not measured).
	fn register_study(a: u32, o: u32) -> Weight {
		Weight::from_parts(40_000_000, 6_000)
			.saturating_add(Weight::from_parts(400_000, 0).saturating_mul(a.into()))
			.saturating_add(Weight::from_parts(900_000, 0).saturating_mul(o.into()))
			.saturating_add(T::DbWeight::get().reads(4_u64))
			.saturating_add(T::DbWeight::get().writes(5_u64))
	}
	/// Storage: `Trials::Studies` (r:1 w:1)
	/// Storage: `Registry::Members` (r:1 w:0)
	/// Storage: `Registry::Organizations` (r:1 w:0)
	/// Storage: `Trials::ProtocolVersions` (r:0 w:1)
	/// Proof: estimated at 6_000 bytes (not measured).
	fn amend_protocol() -> Weight {
		Weight::from_parts(25_000_000, 6_000)
			.saturating_add(T::DbWeight::get().reads(3_u64))
			.saturating_add(T::DbWeight::get().writes(2_u64))
	}
	/// Storage: `Trials::Studies` (r:1 w:1)
	/// Storage: `Registry::Members` (r:1 w:0)
	/// Storage: `Registry::Organizations` (r:2 w:0)
	/// Storage: `Trials::Sites` (r:1 w:1)
	/// Proof: estimated at 6_000 bytes (not measured).
	fn activate_site() -> Weight {
		Weight::from_parts(30_000_000, 6_000)
			.saturating_add(T::DbWeight::get().reads(5_u64))
			.saturating_add(T::DbWeight::get().writes(2_u64))
	}
	/// Storage: `Trials::Studies` (r:1 w:0)
	/// Storage: `Registry::Members` (r:1 w:0)
	/// Storage: `Registry::Organizations` (r:1 w:0)
	/// Storage: `Trials::Sites` (r:1 w:1)
	/// Proof: estimated at 6_000 bytes (not measured).
	fn deactivate_site() -> Weight {
		Weight::from_parts(22_000_000, 6_000)
			.saturating_add(T::DbWeight::get().reads(4_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	/// Storage: `Trials::Studies` (r:1 w:0)
	/// Storage: `Registry::Members` (r:1 w:0)
	/// Storage: `Registry::Organizations` (r:2 w:0)
	/// Storage: `Trials::Sites` (r:1 w:0)
	/// Storage: `Trials::Subjects` (r:1 w:1)
	/// Storage: `Trials::ConsortFlows` (r:1 w:1)
	/// Proof: estimated at 6_000 bytes (not measured).
	fn screen() -> Weight {
		Weight::from_parts(30_000_000, 6_000)
			.saturating_add(T::DbWeight::get().reads(6_u64))
			.saturating_add(T::DbWeight::get().writes(2_u64))
	}
	/// Storage: `Registry::Patients` (r:1 w:0)
	/// Storage: `Trials::Studies` (r:1 w:0)
	/// Storage: `Trials::Subjects` (r:1 w:1)
	/// Storage: `Trials::Sites` (r:1 w:0)
	/// Storage: `Registry::Organizations` (r:1 w:0)
	/// Storage: `Trials::EnrolledPatients` (r:1 w:1)
	/// Storage: `Trials::ConsortFlows` (r:1 w:1)
	/// Storage: `Trials::ProtocolVersions` (r:1 w:0)
	/// Storage: `Trials::ConsentHistory` (r:0 w:1)
	/// Proof: estimated at 6_000 bytes (not measured).
	fn enrol() -> Weight {
		Weight::from_parts(42_000_000, 6_000)
			.saturating_add(T::DbWeight::get().reads(8_u64))
			.saturating_add(T::DbWeight::get().writes(4_u64))
	}
	/// Storage: `Trials::Studies` (r:1 w:0)
	/// Storage: `Trials::Subjects` (r:1 w:1)
	/// Storage: `Trials::ProtocolVersions` (r:1 w:0)
	/// Storage: `Trials::ConsentHistory` (r:0 w:1)
	/// Proof: estimated at 6_000 bytes (not measured).
	fn reconsent() -> Weight {
		Weight::from_parts(32_000_000, 6_000)
			.saturating_add(T::DbWeight::get().reads(3_u64))
			.saturating_add(T::DbWeight::get().writes(2_u64))
	}
	/// Storage: `Trials::Studies` (r:1 w:1)
	/// Storage: `Registry::Members` (r:1 w:0)
	/// Storage: `Registry::Organizations` (r:1 w:0)
	/// Storage: `Trials::Subjects` (r:1 w:1)
	/// Storage: `Trials::ConsortFlows` (r:1 w:1)
	/// Proof: estimated at 6_000 bytes (not measured).
	fn randomise(d: u32) -> Weight {
		Weight::from_parts(35_000_000, 6_000)
			.saturating_add(Weight::from_parts(1_600_000, 0).saturating_mul(d.into()))
			.saturating_add(T::DbWeight::get().reads(5_u64))
			.saturating_add(T::DbWeight::get().writes(3_u64))
	}
	/// Storage: `Trials::Studies` (r:1 w:1)
	/// Storage: `Trials::Subjects` (r:1 w:1)
	/// Storage: `Registry::Members` (r:1 w:0)
	/// Storage: `Registry::Organizations` (r:1 w:0)
	/// Storage: `Trials::Captures` (r:0 w:1)
	/// Proof: estimated at 6_000 bytes (not measured).
	fn capture_data() -> Weight {
		Weight::from_parts(35_000_000, 6_000)
			.saturating_add(T::DbWeight::get().reads(4_u64))
			.saturating_add(T::DbWeight::get().writes(3_u64))
	}
	/// Storage: `Trials::Studies` (r:1 w:0)
	/// Storage: `Trials::Subjects` (r:1 w:1)
	/// Storage: `Trials::ConsortFlows` (r:1 w:1)
	/// Proof: estimated at 6_000 bytes (not measured).
	fn withdraw() -> Weight {
		Weight::from_parts(28_000_000, 6_000)
			.saturating_add(T::DbWeight::get().reads(3_u64))
			.saturating_add(T::DbWeight::get().writes(2_u64))
	}
	/// Storage: `Trials::Studies` (r:1 w:0)
	/// Storage: `Trials::Subjects` (r:1 w:1)
	/// Storage: `Registry::Members` (r:1 w:0)
	/// Storage: `Registry::Organizations` (r:1 w:0)
	/// Storage: `Trials::ConsortFlows` (r:1 w:1)
	/// Proof: estimated at 6_000 bytes (not measured).
	fn mark_lost_to_follow_up() -> Weight {
		Weight::from_parts(28_000_000, 6_000)
			.saturating_add(T::DbWeight::get().reads(5_u64))
			.saturating_add(T::DbWeight::get().writes(2_u64))
	}
	/// Storage: `Trials::Studies` (r:1 w:1)
	/// Storage: `Trials::Subjects` (r:1 w:1)
	/// Storage: `Registry::Members` (r:1 w:0)
	/// Storage: `Registry::Organizations` (r:1 w:0)
	/// Storage: `Trials::ConsortFlows` (r:1 w:1)
	/// Proof: estimated at 6_000 bytes (not measured).
	fn complete() -> Weight {
		Weight::from_parts(30_000_000, 6_000)
			.saturating_add(T::DbWeight::get().reads(5_u64))
			.saturating_add(T::DbWeight::get().writes(3_u64))
	}
	/// Storage: `Trials::Studies` (r:1 w:1)
	/// Storage: `Trials::Subjects` (r:1 w:1)
	/// Storage: `Registry::Members` (r:1 w:0)
	/// Storage: `Registry::Organizations` (r:1 w:0)
	/// Storage: `Trials::AdverseEvents` (r:0 w:1)
	/// Proof: estimated at 6_000 bytes (not measured).
	fn report_adverse_event() -> Weight {
		Weight::from_parts(32_000_000, 6_000)
			.saturating_add(T::DbWeight::get().reads(4_u64))
			.saturating_add(T::DbWeight::get().writes(3_u64))
	}
	/// Storage: `Trials::Studies` (r:1 w:1)
	/// Storage: `Registry::Members` (r:1 w:0)
	/// Storage: `Registry::Organizations` (r:1 w:0)
	/// Storage: `Trials::ConsortFlows` (r:1 w:1)
	/// Proof: estimated at 6_000 bytes (not measured).
	fn lock_database() -> Weight {
		Weight::from_parts(30_000_000, 6_000)
			.saturating_add(T::DbWeight::get().reads(4_u64))
			.saturating_add(T::DbWeight::get().writes(2_u64))
	}
	/// Storage: `Trials::Studies` (r:1 w:0)
	/// Storage: `Registry::Members` (r:1 w:0)
	/// Storage: `Registry::Organizations` (r:1 w:0)
	/// Storage: `Trials::Results` (r:1 w:1)
	/// Proof: estimated at 6_000 bytes (not measured).
	fn report_results(o: u32) -> Weight {
		Weight::from_parts(35_000_000, 6_000)
			.saturating_add(Weight::from_parts(1_200_000, 0).saturating_mul(o.into()))
			.saturating_add(T::DbWeight::get().reads(4_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	/// Storage: `Trials::Studies` (r:1 w:1)
	/// Storage: `Trials::Results` (r:1 w:0)
	/// Proof: estimated at 6_000 bytes (not measured).
	fn flag_overdue() -> Weight {
		Weight::from_parts(20_000_000, 6_000)
			.saturating_add(T::DbWeight::get().reads(2_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
}

// For tests: the same estimates, RocksDB's read and write costs. Not measured.
impl WeightInfo for () {
	/// Storage: `Registry::Members` (r:1 w:0)
	/// Storage: `Registry::Organizations` (r:1 w:0)
	/// Storage: `Trials::StudyByRegistryId` (r:1 w:1)
	/// Storage: `Trials::NextStudyId` (r:1 w:1)
	/// Storage: `Trials::ProtocolVersions` (r:0 w:1)
	/// Storage: `Trials::Studies` (r:0 w:1)
	/// Storage: `Trials::ConsortFlows` (r:0 w:1)
	/// Proof: estimated at 6_000 bytes (not measured).
	fn register_study(a: u32, o: u32) -> Weight {
		Weight::from_parts(40_000_000, 6_000)
			.saturating_add(Weight::from_parts(400_000, 0).saturating_mul(a.into()))
			.saturating_add(Weight::from_parts(900_000, 0).saturating_mul(o.into()))
			.saturating_add(RocksDbWeight::get().reads(4_u64))
			.saturating_add(RocksDbWeight::get().writes(5_u64))
	}
	/// Storage: `Trials::Studies` (r:1 w:1)
	/// Storage: `Registry::Members` (r:1 w:0)
	/// Storage: `Registry::Organizations` (r:1 w:0)
	/// Storage: `Trials::ProtocolVersions` (r:0 w:1)
	/// Proof: estimated at 6_000 bytes (not measured).
	fn amend_protocol() -> Weight {
		Weight::from_parts(25_000_000, 6_000)
			.saturating_add(RocksDbWeight::get().reads(3_u64))
			.saturating_add(RocksDbWeight::get().writes(2_u64))
	}
	/// Storage: `Trials::Studies` (r:1 w:1)
	/// Storage: `Registry::Members` (r:1 w:0)
	/// Storage: `Registry::Organizations` (r:2 w:0)
	/// Storage: `Trials::Sites` (r:1 w:1)
	/// Proof: estimated at 6_000 bytes (not measured).
	fn activate_site() -> Weight {
		Weight::from_parts(30_000_000, 6_000)
			.saturating_add(RocksDbWeight::get().reads(5_u64))
			.saturating_add(RocksDbWeight::get().writes(2_u64))
	}
	/// Storage: `Trials::Studies` (r:1 w:0)
	/// Storage: `Registry::Members` (r:1 w:0)
	/// Storage: `Registry::Organizations` (r:1 w:0)
	/// Storage: `Trials::Sites` (r:1 w:1)
	/// Proof: estimated at 6_000 bytes (not measured).
	fn deactivate_site() -> Weight {
		Weight::from_parts(22_000_000, 6_000)
			.saturating_add(RocksDbWeight::get().reads(4_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	/// Storage: `Trials::Studies` (r:1 w:0)
	/// Storage: `Registry::Members` (r:1 w:0)
	/// Storage: `Registry::Organizations` (r:2 w:0)
	/// Storage: `Trials::Sites` (r:1 w:0)
	/// Storage: `Trials::Subjects` (r:1 w:1)
	/// Storage: `Trials::ConsortFlows` (r:1 w:1)
	/// Proof: estimated at 6_000 bytes (not measured).
	fn screen() -> Weight {
		Weight::from_parts(30_000_000, 6_000)
			.saturating_add(RocksDbWeight::get().reads(6_u64))
			.saturating_add(RocksDbWeight::get().writes(2_u64))
	}
	/// Storage: `Registry::Patients` (r:1 w:0)
	/// Storage: `Trials::Studies` (r:1 w:0)
	/// Storage: `Trials::Subjects` (r:1 w:1)
	/// Storage: `Trials::Sites` (r:1 w:0)
	/// Storage: `Registry::Organizations` (r:1 w:0)
	/// Storage: `Trials::EnrolledPatients` (r:1 w:1)
	/// Storage: `Trials::ConsortFlows` (r:1 w:1)
	/// Storage: `Trials::ProtocolVersions` (r:1 w:0)
	/// Storage: `Trials::ConsentHistory` (r:0 w:1)
	/// Proof: estimated at 6_000 bytes (not measured).
	fn enrol() -> Weight {
		Weight::from_parts(42_000_000, 6_000)
			.saturating_add(RocksDbWeight::get().reads(8_u64))
			.saturating_add(RocksDbWeight::get().writes(4_u64))
	}
	/// Storage: `Trials::Studies` (r:1 w:0)
	/// Storage: `Trials::Subjects` (r:1 w:1)
	/// Storage: `Trials::ProtocolVersions` (r:1 w:0)
	/// Storage: `Trials::ConsentHistory` (r:0 w:1)
	/// Proof: estimated at 6_000 bytes (not measured).
	fn reconsent() -> Weight {
		Weight::from_parts(32_000_000, 6_000)
			.saturating_add(RocksDbWeight::get().reads(3_u64))
			.saturating_add(RocksDbWeight::get().writes(2_u64))
	}
	/// Storage: `Trials::Studies` (r:1 w:1)
	/// Storage: `Registry::Members` (r:1 w:0)
	/// Storage: `Registry::Organizations` (r:1 w:0)
	/// Storage: `Trials::Subjects` (r:1 w:1)
	/// Storage: `Trials::ConsortFlows` (r:1 w:1)
	/// Proof: estimated at 6_000 bytes (not measured).
	fn randomise(d: u32) -> Weight {
		Weight::from_parts(35_000_000, 6_000)
			.saturating_add(Weight::from_parts(1_600_000, 0).saturating_mul(d.into()))
			.saturating_add(RocksDbWeight::get().reads(5_u64))
			.saturating_add(RocksDbWeight::get().writes(3_u64))
	}
	/// Storage: `Trials::Studies` (r:1 w:1)
	/// Storage: `Trials::Subjects` (r:1 w:1)
	/// Storage: `Registry::Members` (r:1 w:0)
	/// Storage: `Registry::Organizations` (r:1 w:0)
	/// Storage: `Trials::Captures` (r:0 w:1)
	/// Proof: estimated at 6_000 bytes (not measured).
	fn capture_data() -> Weight {
		Weight::from_parts(35_000_000, 6_000)
			.saturating_add(RocksDbWeight::get().reads(4_u64))
			.saturating_add(RocksDbWeight::get().writes(3_u64))
	}
	/// Storage: `Trials::Studies` (r:1 w:0)
	/// Storage: `Trials::Subjects` (r:1 w:1)
	/// Storage: `Trials::ConsortFlows` (r:1 w:1)
	/// Proof: estimated at 6_000 bytes (not measured).
	fn withdraw() -> Weight {
		Weight::from_parts(28_000_000, 6_000)
			.saturating_add(RocksDbWeight::get().reads(3_u64))
			.saturating_add(RocksDbWeight::get().writes(2_u64))
	}
	/// Storage: `Trials::Studies` (r:1 w:0)
	/// Storage: `Trials::Subjects` (r:1 w:1)
	/// Storage: `Registry::Members` (r:1 w:0)
	/// Storage: `Registry::Organizations` (r:1 w:0)
	/// Storage: `Trials::ConsortFlows` (r:1 w:1)
	/// Proof: estimated at 6_000 bytes (not measured).
	fn mark_lost_to_follow_up() -> Weight {
		Weight::from_parts(28_000_000, 6_000)
			.saturating_add(RocksDbWeight::get().reads(5_u64))
			.saturating_add(RocksDbWeight::get().writes(2_u64))
	}
	/// Storage: `Trials::Studies` (r:1 w:1)
	/// Storage: `Trials::Subjects` (r:1 w:1)
	/// Storage: `Registry::Members` (r:1 w:0)
	/// Storage: `Registry::Organizations` (r:1 w:0)
	/// Storage: `Trials::ConsortFlows` (r:1 w:1)
	/// Proof: estimated at 6_000 bytes (not measured).
	fn complete() -> Weight {
		Weight::from_parts(30_000_000, 6_000)
			.saturating_add(RocksDbWeight::get().reads(5_u64))
			.saturating_add(RocksDbWeight::get().writes(3_u64))
	}
	/// Storage: `Trials::Studies` (r:1 w:1)
	/// Storage: `Trials::Subjects` (r:1 w:1)
	/// Storage: `Registry::Members` (r:1 w:0)
	/// Storage: `Registry::Organizations` (r:1 w:0)
	/// Storage: `Trials::AdverseEvents` (r:0 w:1)
	/// Proof: estimated at 6_000 bytes (not measured).
	fn report_adverse_event() -> Weight {
		Weight::from_parts(32_000_000, 6_000)
			.saturating_add(RocksDbWeight::get().reads(4_u64))
			.saturating_add(RocksDbWeight::get().writes(3_u64))
	}
	/// Storage: `Trials::Studies` (r:1 w:1)
	/// Storage: `Registry::Members` (r:1 w:0)
	/// Storage: `Registry::Organizations` (r:1 w:0)
	/// Storage: `Trials::ConsortFlows` (r:1 w:1)
	/// Proof: estimated at 6_000 bytes (not measured).
	fn lock_database() -> Weight {
		Weight::from_parts(30_000_000, 6_000)
			.saturating_add(RocksDbWeight::get().reads(4_u64))
			.saturating_add(RocksDbWeight::get().writes(2_u64))
	}
	/// Storage: `Trials::Studies` (r:1 w:0)
	/// Storage: `Registry::Members` (r:1 w:0)
	/// Storage: `Registry::Organizations` (r:1 w:0)
	/// Storage: `Trials::Results` (r:1 w:1)
	/// Proof: estimated at 6_000 bytes (not measured).
	fn report_results(o: u32) -> Weight {
		Weight::from_parts(35_000_000, 6_000)
			.saturating_add(Weight::from_parts(1_200_000, 0).saturating_mul(o.into()))
			.saturating_add(RocksDbWeight::get().reads(4_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	/// Storage: `Trials::Studies` (r:1 w:1)
	/// Storage: `Trials::Results` (r:1 w:0)
	/// Proof: estimated at 6_000 bytes (not measured).
	fn flag_overdue() -> Weight {
		Weight::from_parts(20_000_000, 6_000)
			.saturating_add(RocksDbWeight::get().reads(2_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
}
