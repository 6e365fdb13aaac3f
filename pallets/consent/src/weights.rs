//! Weights for `pallet_consent`.
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

/// Weight functions needed by `pallet_consent`.
pub trait WeightInfo {
	fn grant(g: u32, s: u32, k: u32) -> Weight;
	fn revoke(k: u32) -> Weight;
	fn break_glass() -> Weight;
	fn dispute() -> Weight;
	fn sweep_expired_item() -> Weight;
}

/// Weights for `pallet_consent` on the chain's own database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn grant(g: u32, s: u32, k: u32) -> Weight {
		Weight::from_parts(25_000_000, 11000)
			.saturating_add(Weight::from_parts(1_000_000, 0).saturating_mul(g.into()))
			.saturating_add(T::DbWeight::get().reads((1_u64).saturating_mul(g.into())))
			.saturating_add(Weight::from_parts(1_000_000, 0).saturating_mul(s.into()))
			.saturating_add(T::DbWeight::get().reads((1_u64).saturating_mul(s.into())))
			.saturating_add(Weight::from_parts(2_000_000, 0).saturating_mul(k.into()))
			.saturating_add(T::DbWeight::get().reads((1_u64).saturating_mul(k.into())))
			.saturating_add(T::DbWeight::get().writes((2_u64).saturating_mul(k.into())))
			.saturating_add(T::DbWeight::get().reads(6_u64))
			.saturating_add(T::DbWeight::get().writes(5_u64))
	}
	fn revoke(k: u32) -> Weight {
		Weight::from_parts(20_000_000, 8000)
			.saturating_add(Weight::from_parts(1_000_000, 0).saturating_mul(k.into()))
			.saturating_add(T::DbWeight::get().writes((2_u64).saturating_mul(k.into())))
			.saturating_add(T::DbWeight::get().reads(4_u64))
			.saturating_add(T::DbWeight::get().writes(5_u64))
	}
	fn break_glass() -> Weight {
		Weight::from_parts(22_000_000, 11000)
			.saturating_add(T::DbWeight::get().reads(6_u64))
			.saturating_add(T::DbWeight::get().writes(5_u64))
	}
	fn dispute() -> Weight {
		Weight::from_parts(15_000_000, 6500)
			.saturating_add(T::DbWeight::get().reads(3_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	fn sweep_expired_item() -> Weight {
		Weight::from_parts(5_000_000, 3500)
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().writes(0_u64))
	}
}

// For tests: the same figures on RocksDB database weights.
impl WeightInfo for () {
	fn grant(g: u32, s: u32, k: u32) -> Weight {
		Weight::from_parts(25_000_000, 11000)
			.saturating_add(Weight::from_parts(1_000_000, 0).saturating_mul(g.into()))
			.saturating_add(RocksDbWeight::get().reads((1_u64).saturating_mul(g.into())))
			.saturating_add(Weight::from_parts(1_000_000, 0).saturating_mul(s.into()))
			.saturating_add(RocksDbWeight::get().reads((1_u64).saturating_mul(s.into())))
			.saturating_add(Weight::from_parts(2_000_000, 0).saturating_mul(k.into()))
			.saturating_add(RocksDbWeight::get().reads((1_u64).saturating_mul(k.into())))
			.saturating_add(RocksDbWeight::get().writes((2_u64).saturating_mul(k.into())))
			.saturating_add(RocksDbWeight::get().reads(6_u64))
			.saturating_add(RocksDbWeight::get().writes(5_u64))
	}
	fn revoke(k: u32) -> Weight {
		Weight::from_parts(20_000_000, 8000)
			.saturating_add(Weight::from_parts(1_000_000, 0).saturating_mul(k.into()))
			.saturating_add(RocksDbWeight::get().writes((2_u64).saturating_mul(k.into())))
			.saturating_add(RocksDbWeight::get().reads(4_u64))
			.saturating_add(RocksDbWeight::get().writes(5_u64))
	}
	fn break_glass() -> Weight {
		Weight::from_parts(22_000_000, 11000)
			.saturating_add(RocksDbWeight::get().reads(6_u64))
			.saturating_add(RocksDbWeight::get().writes(5_u64))
	}
	fn dispute() -> Weight {
		Weight::from_parts(15_000_000, 6500)
			.saturating_add(RocksDbWeight::get().reads(3_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	fn sweep_expired_item() -> Weight {
		Weight::from_parts(5_000_000, 3500)
			.saturating_add(RocksDbWeight::get().reads(1_u64))
			.saturating_add(RocksDbWeight::get().writes(0_u64))
	}
}
