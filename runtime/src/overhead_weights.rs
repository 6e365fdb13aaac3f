//! The cost of executing a block and of one extrinsic beyond its call, measured by
//! `carechain benchmark overhead` on this hardware (blocks of 2000 signed `system.remark`
//! extrinsics, signatures verified in a batch as the node does).
//!
//! `carechain benchmark overhead --extrinsics 2000 --repeat 10 --output runtime/src/overhead_weights.rs`
//!
//! Generated; do not edit by hand.

use frame_support::{
	parameter_types,
	weights::{constants::WEIGHT_REF_TIME_PER_NANOS, Weight},
};

parameter_types! {
	/// Executing an empty block: initialization, the timestamp, finalization.
	pub const BlockExecutionWeight: Weight =
		Weight::from_parts(WEIGHT_REF_TIME_PER_NANOS.saturating_mul(223_733), 0);
	/// Applying one extrinsic beyond its call: decoding, checks, nonce, events.
	pub const ExtrinsicBaseWeight: Weight =
		Weight::from_parts(WEIGHT_REF_TIME_PER_NANOS.saturating_mul(18_472), 0);
}
