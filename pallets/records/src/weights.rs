//! Weights for `pallet_records`.
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

/// Weight functions needed by `pallet_records`.
pub trait WeightInfo {
	fn create_record() -> Weight;
	fn amend_record() -> Weight;
	fn mark_entered_in_error() -> Weight;
	fn erase_record(v: u32, h: u32) -> Weight;
	fn log_access(g: u32) -> Weight;
}

/// Weights for `pallet_records` on the chain's own database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn create_record() -> Weight {
		Weight::from_parts(30_000_000, 14000)
			.saturating_add(T::DbWeight::get().reads(8_u64))
			.saturating_add(T::DbWeight::get().writes(6_u64))
	}
	fn amend_record() -> Weight {
		Weight::from_parts(30_000_000, 14000)
			.saturating_add(T::DbWeight::get().reads(8_u64))
			.saturating_add(T::DbWeight::get().writes(7_u64))
	}
	fn mark_entered_in_error() -> Weight {
		Weight::from_parts(20_000_000, 9500)
			.saturating_add(T::DbWeight::get().reads(5_u64))
			.saturating_add(T::DbWeight::get().writes(3_u64))
	}
	fn erase_record(v: u32, h: u32) -> Weight {
		Weight::from_parts(20_000_000, 8000)
			.saturating_add(Weight::from_parts(6_000_000, 0).saturating_mul(v.into()))
			.saturating_add(T::DbWeight::get().reads((1_u64).saturating_mul(v.into())))
			.saturating_add(T::DbWeight::get().writes((1_u64).saturating_mul(v.into())))
			.saturating_add(Weight::from_parts(2_000_000, 0).saturating_mul(h.into()))
			.saturating_add(T::DbWeight::get().reads((1_u64).saturating_mul(h.into())))
			.saturating_add(T::DbWeight::get().writes((2_u64).saturating_mul(h.into())))
			.saturating_add(T::DbWeight::get().reads(4_u64))
			.saturating_add(T::DbWeight::get().writes(3_u64))
	}
	fn log_access(g: u32) -> Weight {
		Weight::from_parts(25_000_000, 14000)
			.saturating_add(Weight::from_parts(2_000_000, 0).saturating_mul(g.into()))
			.saturating_add(T::DbWeight::get().reads((1_u64).saturating_mul(g.into())))
			.saturating_add(T::DbWeight::get().reads(8_u64))
			.saturating_add(T::DbWeight::get().writes(3_u64))
	}
}

// For tests: the same figures on RocksDB database weights.
impl WeightInfo for () {
	fn create_record() -> Weight {
		Weight::from_parts(30_000_000, 14000)
			.saturating_add(RocksDbWeight::get().reads(8_u64))
			.saturating_add(RocksDbWeight::get().writes(6_u64))
	}
	fn amend_record() -> Weight {
		Weight::from_parts(30_000_000, 14000)
			.saturating_add(RocksDbWeight::get().reads(8_u64))
			.saturating_add(RocksDbWeight::get().writes(7_u64))
	}
	fn mark_entered_in_error() -> Weight {
		Weight::from_parts(20_000_000, 9500)
			.saturating_add(RocksDbWeight::get().reads(5_u64))
			.saturating_add(RocksDbWeight::get().writes(3_u64))
	}
	fn erase_record(v: u32, h: u32) -> Weight {
		Weight::from_parts(20_000_000, 8000)
			.saturating_add(Weight::from_parts(6_000_000, 0).saturating_mul(v.into()))
			.saturating_add(RocksDbWeight::get().reads((1_u64).saturating_mul(v.into())))
			.saturating_add(RocksDbWeight::get().writes((1_u64).saturating_mul(v.into())))
			.saturating_add(Weight::from_parts(2_000_000, 0).saturating_mul(h.into()))
			.saturating_add(RocksDbWeight::get().reads((1_u64).saturating_mul(h.into())))
			.saturating_add(RocksDbWeight::get().writes((2_u64).saturating_mul(h.into())))
			.saturating_add(RocksDbWeight::get().reads(4_u64))
			.saturating_add(RocksDbWeight::get().writes(3_u64))
	}
	fn log_access(g: u32) -> Weight {
		Weight::from_parts(25_000_000, 14000)
			.saturating_add(Weight::from_parts(2_000_000, 0).saturating_mul(g.into()))
			.saturating_add(RocksDbWeight::get().reads((1_u64).saturating_mul(g.into())))
			.saturating_add(RocksDbWeight::get().reads(8_u64))
			.saturating_add(RocksDbWeight::get().writes(3_u64))
	}
}
