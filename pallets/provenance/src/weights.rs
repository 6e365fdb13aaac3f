//! Weights for `pallet_provenance`: bootstrap values until `carechain benchmark pallet` measures them.

#![allow(unused_parens, unused_imports, unused_variables, missing_docs)]

use core::marker::PhantomData;
use frame_support::weights::Weight;

/// Weight functions needed for `pallet_provenance`.
pub trait WeightInfo {
	fn register_product() -> Weight;
	fn commission(n: u32) -> Weight;
	fn aggregate(n: u32) -> Weight;
	fn disaggregate(n: u32) -> Weight;
	fn ship(n: u32) -> Weight;
	fn receive(n: u32) -> Weight;
	fn verify() -> Weight;
	fn recall_lot() -> Weight;
	fn mark_suspect() -> Weight;
	fn clear_suspect() -> Weight;
	fn declare_illegitimate() -> Weight;
	fn dispense() -> Weight;
}

/// Weights for `pallet_provenance` on the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn register_product() -> Weight { Weight::zero() }
	fn commission(n: u32) -> Weight { Weight::zero() }
	fn aggregate(n: u32) -> Weight { Weight::zero() }
	fn disaggregate(n: u32) -> Weight { Weight::zero() }
	fn ship(n: u32) -> Weight { Weight::zero() }
	fn receive(n: u32) -> Weight { Weight::zero() }
	fn verify() -> Weight { Weight::zero() }
	fn recall_lot() -> Weight { Weight::zero() }
	fn mark_suspect() -> Weight { Weight::zero() }
	fn clear_suspect() -> Weight { Weight::zero() }
	fn declare_illegitimate() -> Weight { Weight::zero() }
	fn dispense() -> Weight { Weight::zero() }
}

impl WeightInfo for () {
	fn register_product() -> Weight { Weight::zero() }
	fn commission(n: u32) -> Weight { Weight::zero() }
	fn aggregate(n: u32) -> Weight { Weight::zero() }
	fn disaggregate(n: u32) -> Weight { Weight::zero() }
	fn ship(n: u32) -> Weight { Weight::zero() }
	fn receive(n: u32) -> Weight { Weight::zero() }
	fn verify() -> Weight { Weight::zero() }
	fn recall_lot() -> Weight { Weight::zero() }
	fn mark_suspect() -> Weight { Weight::zero() }
	fn clear_suspect() -> Weight { Weight::zero() }
	fn declare_illegitimate() -> Weight { Weight::zero() }
	fn dispense() -> Weight { Weight::zero() }
}
