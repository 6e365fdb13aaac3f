//! Weights for `pallet_registry`.
//!
//! Provisional figures: `base + reads * read + writes * write`, where reads and writes are the
//! storage items each call touches (counted from the code) and the base is an upper estimate
//! of native execution time (native execution measured about 30 µs per call in the
//! feasibility build). `benchmarking.rs` holds the frame-benchmarking v2 benchmarks whose
//! measured results are to replace these figures.

#![allow(unused_parens, unused_imports, missing_docs)]

use core::marker::PhantomData;
use frame_support::{
	traits::Get,
	weights::{constants::RocksDbWeight, Weight},
};

/// Weight functions needed by `pallet_registry`.
pub trait WeightInfo {
	fn admit_organization() -> Weight;
	fn suspend_organization() -> Weight;
	fn reinstate_organization() -> Weight;
	fn remove_organization(m: u32) -> Weight;
	fn add_member() -> Weight;
	fn remove_member() -> Weight;
	fn register_patient(g: u32) -> Weight;
	fn add_guardian() -> Weight;
	fn remove_guardian() -> Weight;
	fn rotate_encryption_key() -> Weight;
}

/// Weights for `pallet_registry` on the chain's own database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn admit_organization() -> Weight {
		Weight::from_parts(20_000_000, 6500)
			.saturating_add(T::DbWeight::get().reads(3_u64))
			.saturating_add(T::DbWeight::get().writes(4_u64))
	}
	fn suspend_organization() -> Weight {
		Weight::from_parts(12_000_000, 3500)
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	fn reinstate_organization() -> Weight {
		Weight::from_parts(12_000_000, 3500)
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	fn remove_organization(m: u32) -> Weight {
		Weight::from_parts(15_000_000, 3500)
			.saturating_add(Weight::from_parts(6_000_000, 0).saturating_mul(m.into()))
			.saturating_add(T::DbWeight::get().reads((1_u64).saturating_mul(m.into())))
			.saturating_add(T::DbWeight::get().writes((3_u64).saturating_mul(m.into())))
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	fn add_member() -> Weight {
		Weight::from_parts(18_000_000, 8000)
			.saturating_add(T::DbWeight::get().reads(4_u64))
			.saturating_add(T::DbWeight::get().writes(4_u64))
	}
	fn remove_member() -> Weight {
		Weight::from_parts(18_000_000, 6500)
			.saturating_add(T::DbWeight::get().reads(3_u64))
			.saturating_add(T::DbWeight::get().writes(4_u64))
	}
	fn register_patient(g: u32) -> Weight {
		Weight::from_parts(16_000_000, 6500)
			.saturating_add(Weight::from_parts(2_000_000, 0).saturating_mul(g.into()))
			.saturating_add(T::DbWeight::get().reads((2_u64).saturating_mul(g.into())))
			.saturating_add(T::DbWeight::get().reads(3_u64))
			.saturating_add(T::DbWeight::get().writes(3_u64))
	}
	fn add_guardian() -> Weight {
		Weight::from_parts(14_000_000, 6500)
			.saturating_add(T::DbWeight::get().reads(3_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	fn remove_guardian() -> Weight {
		Weight::from_parts(13_000_000, 3500)
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	fn rotate_encryption_key() -> Weight {
		Weight::from_parts(12_000_000, 3500)
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
}

// For tests: the same figures on RocksDB database weights.
impl WeightInfo for () {
	fn admit_organization() -> Weight {
		Weight::from_parts(20_000_000, 6500)
			.saturating_add(RocksDbWeight::get().reads(3_u64))
			.saturating_add(RocksDbWeight::get().writes(4_u64))
	}
	fn suspend_organization() -> Weight {
		Weight::from_parts(12_000_000, 3500)
			.saturating_add(RocksDbWeight::get().reads(1_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	fn reinstate_organization() -> Weight {
		Weight::from_parts(12_000_000, 3500)
			.saturating_add(RocksDbWeight::get().reads(1_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	fn remove_organization(m: u32) -> Weight {
		Weight::from_parts(15_000_000, 3500)
			.saturating_add(Weight::from_parts(6_000_000, 0).saturating_mul(m.into()))
			.saturating_add(RocksDbWeight::get().reads((1_u64).saturating_mul(m.into())))
			.saturating_add(RocksDbWeight::get().writes((3_u64).saturating_mul(m.into())))
			.saturating_add(RocksDbWeight::get().reads(1_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	fn add_member() -> Weight {
		Weight::from_parts(18_000_000, 8000)
			.saturating_add(RocksDbWeight::get().reads(4_u64))
			.saturating_add(RocksDbWeight::get().writes(4_u64))
	}
	fn remove_member() -> Weight {
		Weight::from_parts(18_000_000, 6500)
			.saturating_add(RocksDbWeight::get().reads(3_u64))
			.saturating_add(RocksDbWeight::get().writes(4_u64))
	}
	fn register_patient(g: u32) -> Weight {
		Weight::from_parts(16_000_000, 6500)
			.saturating_add(Weight::from_parts(2_000_000, 0).saturating_mul(g.into()))
			.saturating_add(RocksDbWeight::get().reads((2_u64).saturating_mul(g.into())))
			.saturating_add(RocksDbWeight::get().reads(3_u64))
			.saturating_add(RocksDbWeight::get().writes(3_u64))
	}
	fn add_guardian() -> Weight {
		Weight::from_parts(14_000_000, 6500)
			.saturating_add(RocksDbWeight::get().reads(3_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	fn remove_guardian() -> Weight {
		Weight::from_parts(13_000_000, 3500)
			.saturating_add(RocksDbWeight::get().reads(1_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	fn rotate_encryption_key() -> Weight {
		Weight::from_parts(12_000_000, 3500)
			.saturating_add(RocksDbWeight::get().reads(1_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
}
