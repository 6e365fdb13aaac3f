//! Weights for `pallet_wellness`: placeholders until `carechain benchmark pallet` measures them.

#![allow(unused_parens, unused_imports, unused_variables, missing_docs)]
#![allow(clippy::unnecessary_cast, clippy::arithmetic_side_effects)]

use core::marker::PhantomData;
use frame_support::{
	traits::Get,
	weights::{constants::RocksDbWeight, Weight},
};

/// Weight functions needed for `pallet_wellness`.
pub trait WeightInfo {
	fn create_program(r: u32) -> Weight;
	fn fund() -> Weight;
	fn enrol() -> Weight;
	fn leave(r: u32) -> Weight;
	fn redeem() -> Weight;
	fn report_fill(r: u32) -> Weight;
	fn withdraw() -> Weight;
	fn care_event(p: u32, r: u32) -> Weight;
	fn close_step(m: u32) -> Weight;
}

/// Weights for `pallet_wellness` on the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	/// Placeholder until measured.
	fn create_program(r: u32) -> Weight {
		Weight::from_parts(20_000_000, 0)
			.saturating_add(Weight::from_parts(10_000_000, 0).saturating_mul(r as u64))
			.saturating_add(T::DbWeight::get().reads_writes(3_u64, 3_u64).saturating_mul(r as u64))
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	/// Placeholder until measured.
	fn fund() -> Weight {
		Weight::from_parts(20_000_000, 0)
			.saturating_add(T::DbWeight::get().reads(3_u64))
			.saturating_add(T::DbWeight::get().writes(2_u64))
	}
	/// Placeholder until measured.
	fn enrol() -> Weight {
		Weight::from_parts(20_000_000, 0)
			.saturating_add(T::DbWeight::get().reads(5_u64))
			.saturating_add(T::DbWeight::get().writes(4_u64))
	}
	/// Placeholder until measured.
	fn leave(r: u32) -> Weight {
		Weight::from_parts(20_000_000, 0)
			.saturating_add(Weight::from_parts(10_000_000, 0).saturating_mul(r as u64))
			.saturating_add(T::DbWeight::get().reads_writes(3_u64, 3_u64).saturating_mul(r as u64))
			.saturating_add(T::DbWeight::get().reads(6_u64))
			.saturating_add(T::DbWeight::get().writes(5_u64))
	}
	/// Placeholder until measured.
	fn redeem() -> Weight {
		Weight::from_parts(20_000_000, 0)
			.saturating_add(T::DbWeight::get().reads(5_u64))
			.saturating_add(T::DbWeight::get().writes(3_u64))
	}
	/// Placeholder until measured.
	fn report_fill(r: u32) -> Weight {
		Weight::from_parts(20_000_000, 0)
			.saturating_add(Weight::from_parts(10_000_000, 0).saturating_mul(r as u64))
			.saturating_add(T::DbWeight::get().reads_writes(3_u64, 3_u64).saturating_mul(r as u64))
			.saturating_add(T::DbWeight::get().reads(8_u64))
			.saturating_add(T::DbWeight::get().writes(6_u64))
	}
	/// Placeholder until measured.
	fn withdraw() -> Weight {
		Weight::from_parts(20_000_000, 0)
			.saturating_add(T::DbWeight::get().reads(4_u64))
			.saturating_add(T::DbWeight::get().writes(2_u64))
	}
	/// Placeholder until measured.
	fn care_event(p: u32, r: u32) -> Weight {
		Weight::from_parts(20_000_000, 0)
			.saturating_add(Weight::from_parts(10_000_000, 0).saturating_mul(p as u64))
			.saturating_add(T::DbWeight::get().reads_writes(3_u64, 3_u64).saturating_mul(p as u64))
			.saturating_add(Weight::from_parts(10_000_000, 0).saturating_mul(r as u64))
			.saturating_add(T::DbWeight::get().reads_writes(3_u64, 3_u64).saturating_mul(r as u64))
			.saturating_add(T::DbWeight::get().reads(2_u64))
			.saturating_add(T::DbWeight::get().writes(0_u64))
	}
	/// Placeholder until measured.
	fn close_step(m: u32) -> Weight {
		Weight::from_parts(20_000_000, 0)
			.saturating_add(Weight::from_parts(10_000_000, 0).saturating_mul(m as u64))
			.saturating_add(T::DbWeight::get().reads_writes(3_u64, 3_u64).saturating_mul(m as u64))
			.saturating_add(T::DbWeight::get().reads(3_u64))
			.saturating_add(T::DbWeight::get().writes(2_u64))
	}
}

// For tests: the same compute, RocksDB's read and write costs.
impl WeightInfo for () {
	/// Placeholder until measured.
	fn create_program(r: u32) -> Weight {
		Weight::from_parts(20_000_000, 0)
			.saturating_add(Weight::from_parts(10_000_000, 0).saturating_mul(r as u64))
			.saturating_add(
				RocksDbWeight::get().reads_writes(3_u64, 3_u64).saturating_mul(r as u64),
			)
			.saturating_add(RocksDbWeight::get().reads(1_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	/// Placeholder until measured.
	fn fund() -> Weight {
		Weight::from_parts(20_000_000, 0)
			.saturating_add(RocksDbWeight::get().reads(3_u64))
			.saturating_add(RocksDbWeight::get().writes(2_u64))
	}
	/// Placeholder until measured.
	fn enrol() -> Weight {
		Weight::from_parts(20_000_000, 0)
			.saturating_add(RocksDbWeight::get().reads(5_u64))
			.saturating_add(RocksDbWeight::get().writes(4_u64))
	}
	/// Placeholder until measured.
	fn leave(r: u32) -> Weight {
		Weight::from_parts(20_000_000, 0)
			.saturating_add(Weight::from_parts(10_000_000, 0).saturating_mul(r as u64))
			.saturating_add(
				RocksDbWeight::get().reads_writes(3_u64, 3_u64).saturating_mul(r as u64),
			)
			.saturating_add(RocksDbWeight::get().reads(6_u64))
			.saturating_add(RocksDbWeight::get().writes(5_u64))
	}
	/// Placeholder until measured.
	fn redeem() -> Weight {
		Weight::from_parts(20_000_000, 0)
			.saturating_add(RocksDbWeight::get().reads(5_u64))
			.saturating_add(RocksDbWeight::get().writes(3_u64))
	}
	/// Placeholder until measured.
	fn report_fill(r: u32) -> Weight {
		Weight::from_parts(20_000_000, 0)
			.saturating_add(Weight::from_parts(10_000_000, 0).saturating_mul(r as u64))
			.saturating_add(
				RocksDbWeight::get().reads_writes(3_u64, 3_u64).saturating_mul(r as u64),
			)
			.saturating_add(RocksDbWeight::get().reads(8_u64))
			.saturating_add(RocksDbWeight::get().writes(6_u64))
	}
	/// Placeholder until measured.
	fn withdraw() -> Weight {
		Weight::from_parts(20_000_000, 0)
			.saturating_add(RocksDbWeight::get().reads(4_u64))
			.saturating_add(RocksDbWeight::get().writes(2_u64))
	}
	/// Placeholder until measured.
	fn care_event(p: u32, r: u32) -> Weight {
		Weight::from_parts(20_000_000, 0)
			.saturating_add(Weight::from_parts(10_000_000, 0).saturating_mul(p as u64))
			.saturating_add(
				RocksDbWeight::get().reads_writes(3_u64, 3_u64).saturating_mul(p as u64),
			)
			.saturating_add(Weight::from_parts(10_000_000, 0).saturating_mul(r as u64))
			.saturating_add(
				RocksDbWeight::get().reads_writes(3_u64, 3_u64).saturating_mul(r as u64),
			)
			.saturating_add(RocksDbWeight::get().reads(2_u64))
			.saturating_add(RocksDbWeight::get().writes(0_u64))
	}
	/// Placeholder until measured.
	fn close_step(m: u32) -> Weight {
		Weight::from_parts(20_000_000, 0)
			.saturating_add(Weight::from_parts(10_000_000, 0).saturating_mul(m as u64))
			.saturating_add(
				RocksDbWeight::get().reads_writes(3_u64, 3_u64).saturating_mul(m as u64),
			)
			.saturating_add(RocksDbWeight::get().reads(3_u64))
			.saturating_add(RocksDbWeight::get().writes(2_u64))
	}
}
