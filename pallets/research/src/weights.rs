//! Weights for `pallet_research`: placeholders until `carechain benchmark pallet` writes them.

#![allow(unused_parens, unused_imports, unused_variables, missing_docs)]
#![allow(clippy::unnecessary_cast, clippy::arithmetic_side_effects)]

use core::marker::PhantomData;
use frame_support::{
	traits::Get,
	weights::{constants::RocksDbWeight, Weight},
};

/// Weight functions needed for `pallet_research`.
pub trait WeightInfo {
	fn request_access() -> Weight;
	fn close_request() -> Weight;
	fn release(n: u32) -> Weight;
}

pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn request_access() -> Weight {
		Weight::from_parts(20_000_000, 0)
			.saturating_add(T::DbWeight::get().reads(3_u64))
			.saturating_add(T::DbWeight::get().writes(2_u64))
	}
	fn close_request() -> Weight {
		Weight::from_parts(20_000_000, 0)
			.saturating_add(T::DbWeight::get().reads(3_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	fn release(n: u32) -> Weight {
		Weight::from_parts(20_000_000, 0)
			.saturating_add(Weight::from_parts(20_000_000, 0).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads(3_u64))
			.saturating_add(T::DbWeight::get().reads((3_u64).saturating_mul(n.into())))
			.saturating_add(T::DbWeight::get().writes(1_u64))
			.saturating_add(T::DbWeight::get().writes((3_u64).saturating_mul(n.into())))
	}
}

impl WeightInfo for () {
	fn request_access() -> Weight {
		Weight::from_parts(20_000_000, 0)
	}
	fn close_request() -> Weight {
		Weight::from_parts(20_000_000, 0)
	}
	fn release(n: u32) -> Weight {
		Weight::from_parts(20_000_000, 0).saturating_mul(n.into())
	}
}
