//! Weights for `pallet_claims`: bootstrap values until `carechain benchmark pallet` measures them.

#![allow(unused_parens, unused_imports, unused_variables, missing_docs)]

use core::marker::PhantomData;
use frame_support::weights::Weight;

/// Weight functions needed for `pallet_claims`.
pub trait WeightInfo {
	fn publish_policy(p: u32) -> Weight;
	fn set_policy_active() -> Weight;
	fn fund_policy() -> Weight;
	fn enroll() -> Weight;
	fn authorize_procedure() -> Weight;
	fn submit_claim(l: u32, r: u32) -> Weight;
	fn review_claim(l: u32) -> Weight;
	fn appeal_line() -> Weight;
	fn resolve_appeal() -> Weight;
}

/// Weights for `pallet_claims` on the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn publish_policy(p: u32) -> Weight {
		Weight::zero()
	}
	fn set_policy_active() -> Weight {
		Weight::zero()
	}
	fn fund_policy() -> Weight {
		Weight::zero()
	}
	fn enroll() -> Weight {
		Weight::zero()
	}
	fn authorize_procedure() -> Weight {
		Weight::zero()
	}
	fn submit_claim(l: u32, r: u32) -> Weight {
		Weight::zero()
	}
	fn review_claim(l: u32) -> Weight {
		Weight::zero()
	}
	fn appeal_line() -> Weight {
		Weight::zero()
	}
	fn resolve_appeal() -> Weight {
		Weight::zero()
	}
}

impl WeightInfo for () {
	fn publish_policy(p: u32) -> Weight {
		Weight::zero()
	}
	fn set_policy_active() -> Weight {
		Weight::zero()
	}
	fn fund_policy() -> Weight {
		Weight::zero()
	}
	fn enroll() -> Weight {
		Weight::zero()
	}
	fn authorize_procedure() -> Weight {
		Weight::zero()
	}
	fn submit_claim(l: u32, r: u32) -> Weight {
		Weight::zero()
	}
	fn review_claim(l: u32) -> Weight {
		Weight::zero()
	}
	fn appeal_line() -> Weight {
		Weight::zero()
	}
	fn resolve_appeal() -> Weight {
		Weight::zero()
	}
}
