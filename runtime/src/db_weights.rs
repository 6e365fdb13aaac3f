//! The cost of one storage read and one write on the node's parity-db chain database,
//! measured by `carechain benchmark storage` on this hardware (200000 keys; writes
//! committed 2000 per block, as blocks commit them).
//!
//! `carechain benchmark storage --keys 200000 --batch 2000 --output runtime/src/db_weights.rs`
//!
//! Generated; do not edit by hand.

use frame_support::{
	parameter_types,
	weights::{constants::WEIGHT_REF_TIME_PER_NANOS, RuntimeDbWeight},
};

parameter_types! {
	/// Measured read and write costs of the chain database.
	pub const CarechainDbWeight: RuntimeDbWeight = RuntimeDbWeight {
		read: 9_892 * WEIGHT_REF_TIME_PER_NANOS,
		write: 26_597 * WEIGHT_REF_TIME_PER_NANOS,
	};
}
